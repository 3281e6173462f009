//! Differential test: random command sequences run on a real
//! `redis-server` (7.0) and on shardis (proxy + 3 shards), every reply
//! compared. See `DIFFERENTIAL.md` for what is normalised, what is left
//! out on purpose, and how to run a long run.
//!
//! Skipped, with a note, where `redis-server` is not installed (CI
//! installs it). A failure prints the shrunk sequence as redis-cli lines.

mod common;
mod diff;

use diff::{families, run_case_pipelined, run_case_watched, run_family, run_family_with};

/// Cases per family in a normal run (`PROPTEST_CASES` overrides it; the
/// mixed family runs twice as many). About 15 s for all on an idle 2-core
/// machine.
const CASES: u32 = 400;

#[test]
fn strings_agree_with_redis() {
    run_family("strings", families::strings(), CASES, 1, 30);
}

#[test]
fn keys_agree_with_redis() {
    run_family("keys", families::keys(), CASES, 1, 30);
}

#[test]
fn hashes_agree_with_redis() {
    run_family("hashes", families::hashes(), CASES, 1, 30);
}

#[test]
fn lists_agree_with_redis() {
    run_family("lists", families::lists(), CASES, 1, 30);
}

#[test]
fn sets_agree_with_redis() {
    run_family("sets", families::sets(), CASES, 1, 30);
}

#[test]
fn zsets_agree_with_redis() {
    run_family("zsets", families::zsets(), CASES, 1, 30);
}

#[test]
fn geo_agrees_with_redis() {
    run_family("geo", families::geo(), CASES, 1, 30);
}

#[test]
fn streams_agree_with_redis() {
    run_family("streams", families::streams(), CASES, 1, 30);
}

#[test]
fn databases_agree_with_redis() {
    run_family("databases", families::databases(), CASES, 1, 30);
}

#[test]
fn eviction_agrees_with_redis() {
    run_family("eviction", families::eviction(), CASES, 1, 30);
}

#[test]
fn bits_and_hyperloglogs_agree_with_redis() {
    run_family("bits", families::bits(), CASES, 1, 30);
}

#[test]
fn odd_and_wrong_commands_agree_with_redis() {
    run_family("misc", families::misc(), CASES, 1, 30);
}

#[test]
fn transactions_agree_with_redis() {
    run_family("transactions", families::transactions(), CASES, 1, 30);
}

#[test]
fn pipelined_transactions_agree_with_redis() {
    // Each MULTI ... EXEC in one write: the blocks shardis takes whole
    // (all for one shard, no WATCH) and those it leaves to the general
    // path, beside redis-server.
    let family = families::transactions();
    run_family_with("pipelined", family, (CASES, 1, 30), run_case_pipelined);
}

#[test]
fn blocking_commands_agree_with_redis() {
    // Fewer, shorter cases: a blocking command on empty keys waits its
    // few milliseconds on both servers.
    run_family("blocking", families::blocking(), CASES / 4, 1, 20);
}

#[test]
fn pubsub_sequences_agree_with_redis() {
    let Some(redis) = common::RedisServer::start() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("redis-server is not installed, and CI must run the differential tests");
        }
        eprintln!("note: redis-server is not installed; skipping the pub/sub differential test");
        return;
    };
    let ours = common::Server::with_shards(3);
    if let Err(e) = diff::pubsub::compare(redis.port, ours.port, 400, 20) {
        panic!("{e}");
    }
}

#[test]
fn generated_scripts_agree_with_redis() {
    run_family("scripts", families::scripts(), CASES / 2, 1, 12);
}

#[test]
fn all_families_on_shared_keys_agree_with_redis() {
    run_family("mixed", families::mixed(), 2 * CASES, 1, 40);
}

#[test]
fn what_touches_a_watched_key_agrees_with_redis() {
    // Every family on shared keys, a watcher's EXEC after each command:
    // a write that changed nothing must leave it running, as on Redis.
    run_family_with(
        "watched",
        families::mixed(),
        (CASES / 2, 1, 30),
        run_case_watched,
    );
}
