//! Data outlives processes: a shard killed with SIGKILL comes back with
//! every acknowledged write (the log is written before replies are
//! published), and a new proxy on the same data directory finds the data.

mod common;

use common::{bulk, bulks, int, keys_on_shard, Opts, Server, TempDir, OK};

const SHARDS: usize = 3;

/// Writes strings on every shard plus a hash and a list; returns the keys.
fn write_data(s: &Server) -> Vec<String> {
    let mut c = s.raw();
    let keys: Vec<String> = (0..SHARDS)
        .flat_map(|sh| keys_on_shard("dur", sh, SHARDS, 50))
        .collect();
    for k in &keys {
        c.expect(&["SET", k, &format!("v-{k}")], OK);
    }
    c.expect(&["INCRBY", "dur:counter", "41"], int(41));
    c.expect(&["INCR", "dur:counter"], int(42));
    c.expect(&["HSET", "dur:hash", "f", "v", "g", "w"], int(2));
    c.expect(&["RPUSH", "dur:list", "a", "b", "c"], int(3));
    c.expect(&["DEL", &keys[0]], int(1));
    keys
}

/// Checks what [`write_data`] wrote.
fn check_data(s: &Server, keys: &[String]) {
    let mut c = s.raw();
    c.expect(&["GET", &keys[0]], common::NIL);
    for k in &keys[1..] {
        c.expect(&["GET", k], bulk(&format!("v-{k}")));
    }
    c.expect(&["GET", "dur:counter"], bulk("42"));
    c.expect(&["HGET", "dur:hash", "g"], bulk("w"));
    c.expect(&["LRANGE", "dur:list", "0", "-1"], bulks(&["a", "b", "c"]));
}

#[test]
fn acknowledged_writes_survive_shards_killed_with_sigkill() {
    let s = Server::with_shards(SHARDS);
    let keys = write_data(&s);
    s.kill_every_shard(SHARDS);
    check_data(&s, &keys);
}

#[test]
fn a_new_proxy_on_the_same_data_directory_finds_the_data() {
    let data = TempDir::new();
    let keys = {
        let s = Server::start(Opts::shards(SHARDS).data_dir(&data.0));
        write_data(&s)
        // Dropped: the proxy is killed, its shards stop.
    };
    let s = Server::start(Opts::shards(SHARDS).data_dir(&data.0));
    check_data(&s, &keys);
}

/// The `appendfsync=` of each `shardN:` line of `INFO shards`.
fn shard_policies(s: &Server) -> Vec<String> {
    let info = s.raw().cmd_str(&["INFO", "shards"]);
    info.lines()
        .filter(|l| l.starts_with("shard"))
        .filter_map(|l| l.split("appendfsync=").nth(1))
        .map(|p| p.trim().to_string())
        .collect()
}

#[test]
fn a_restarted_shard_keeps_the_policy_config_set_chose() {
    let s = Server::with_shards(2);
    assert_eq!(shard_policies(&s), ["everysec", "everysec"]);
    s.raw()
        .expect(&["CONFIG", "SET", "appendfsync", "always"], OK);
    assert_eq!(shard_policies(&s), ["always", "always"]);
    s.kill_every_shard(2);
    // The supervisor started new processes, with the policy set last, not
    // the flag's.
    assert_eq!(shard_policies(&s), ["always", "always"]);
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "GET", "appendfsync"],
        bulks(&["appendfsync", "always"]),
    );
}

#[test]
fn a_transactions_writes_replay_in_their_logged_form_after_sigkill() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.client();
    // One shard (a hash tag): one group record, with a relative expiry
    // logged as an absolute one, a counter, a list and a plain SET.
    let replies: Vec<redis::Value> = redis::pipe()
        .atomic()
        .cmd("SET")
        .arg("{tx}ttl")
        .arg("t")
        .arg("EX")
        .arg(1000)
        .incr("{tx}n", 1)
        .incr("{tx}n", 1)
        .rpush("{tx}l", "x")
        .set("{tx}plain", "p")
        .query(&mut c)
        .expect("the transaction");
    assert_eq!(replies.len(), 5);
    s.kill_every_shard(SHARDS);
    let mut c = s.client();
    let ttl: i64 = redis::cmd("TTL").arg("{tx}ttl").query(&mut c).expect("TTL");
    assert!((900..=1000).contains(&ttl), "ttl {ttl}");
    let n: i64 = redis::cmd("GET").arg("{tx}n").query(&mut c).expect("GET");
    assert_eq!(n, 2);
    let l: Vec<String> = redis::cmd("LRANGE")
        .arg("{tx}l")
        .arg(0)
        .arg(-1)
        .query(&mut c)
        .expect("LRANGE");
    assert_eq!(l, vec!["x".to_string()]);
    let p: String = redis::cmd("GET")
        .arg("{tx}plain")
        .query(&mut c)
        .expect("GET");
    assert_eq!(p, "p");
}
