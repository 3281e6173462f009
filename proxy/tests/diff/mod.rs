//! The differential harness: one real `redis-server` and one shardis (proxy
//! with 3 shards) side by side; every generated command goes to both, and
//! the replies must match byte for byte, except for the few replies whose
//! order or content Redis itself leaves open (see [`check`]).

pub mod check;
pub mod families;
pub mod gen;
pub mod pubsub;

use std::{
    cell::RefCell,
    sync::OnceLock,
    time::{SystemTime, UNIX_EPOCH},
};

use proptest::{
    strategy::BoxedStrategy,
    test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner},
};

pub use crate::common::RedisServer;
use crate::common::{self, encode, Raw, Server};
use gen::{cli_quote, Case, Op};

/// Shards behind the proxy under test.
pub const SHARDS: usize = 3;

/// The six keys (see [`gen::KEY_COUNT`]): `{t}a`, `{t}b`, `{t}c`, then an
/// untagged key on `{t}`'s shard, then one on each of the two other shards.
pub fn keys() -> &'static [Vec<u8>] {
    static KEYS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys: Vec<Vec<u8>> = ["{t}a", "{t}b", "{t}c"]
            .iter()
            .map(|k| k.as_bytes().to_vec())
            .collect();
        let tagged = common::shard_of(b"{t}a", SHARDS);
        keys.push(common::key_on_shard("k", tagged, SHARDS).into_bytes());
        for shard in (0..SHARDS).filter(|&s| s != tagged) {
            keys.push(common::key_on_shard("k", shard, SHARDS).into_bytes());
        }
        keys
    })
}

/// One server's connections: RESP2 and RESP3.
pub struct Side {
    /// Speaks RESP2.
    pub r2: Raw,
    /// Said `HELLO 3`.
    pub r3: Raw,
}

impl Side {
    fn connect(port: u16) -> Side {
        let r2 = Raw::connect(port);
        let mut r3 = Raw::connect(port);
        let hello = r3.cmd(&["HELLO", "3"]);
        assert!(hello.starts_with(b"%"), "HELLO 3 gave {hello:?}");
        Side { r2, r3 }
    }

    /// The connection for the case's protocol.
    pub fn conn(&mut self, resp3: bool) -> &mut Raw {
        if resp3 {
            &mut self.r3
        } else {
            &mut self.r2
        }
    }
}

/// Sends `argv` on `c` and returns the raw reply.
pub fn send(c: &mut Raw, argv: &[Vec<u8>]) -> Vec<u8> {
    c.send(&encode(argv));
    c.read_reply()
}

/// Both servers.
pub struct Pair {
    /// The reference.
    pub redis: Side,
    /// The one under test.
    pub ours: Side,
    /// A case sent CONFIG (the eviction family's limits): the next one
    /// starts with them back at their defaults.
    pub configured: bool,
}

fn now_s() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Renders the case's commands as redis-cli lines (times as sent).
fn cli_lines(ops: &[Vec<Vec<u8>>]) -> String {
    ops.iter()
        .map(|a| a.iter().map(|x| cli_quote(x)).collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs one case on both servers; the first divergence as text.
pub fn run_case(pair: &mut Pair, case: &Case) -> Result<(), String> {
    reset(pair);
    let now = now_s();
    let keys = keys();
    let mut sent: Vec<Vec<Vec<u8>>> = Vec::new();
    for (pos, Op(args)) in case.ops.iter().enumerate() {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.render(keys, pos, now)).collect();
        pair.configured |= argv
            .first()
            .is_some_and(|n| n.eq_ignore_ascii_case(b"config"));
        sent.push(argv.clone());
        if let Err(why) = check::step(pair, case.resp3, &argv) {
            return Err(format!(
                "command {} of {}: {}\n{why}\nsequence as sent (redis-cli):\n{}",
                pos + 1,
                case.ops.len(),
                cli_quote_line(&argv),
                cli_lines(&sent)
            ));
        }
    }
    // A transaction left open ends as it would: DISCARD on both.
    let discard = [b"DISCARD".to_vec()];
    let r = send(pair.redis.conn(case.resp3), &discard);
    let o = send(pair.ours.conn(case.resp3), &discard);
    if r != o {
        return Err(format!(
            "DISCARD after the last command: redis-server {:?}, shardis {:?}\nsequence as sent (redis-cli):\n{}",
            String::from_utf8_lossy(&r),
            String::from_utf8_lossy(&o),
            cli_lines(&sent)
        ));
    }
    check::final_state(pair).map_err(|why| {
        format!(
            "after the last command: {why}\nsequence as sent (redis-cli):\n{}",
            cli_lines(&sent)
        )
    })
}

fn cli_quote_line(argv: &[Vec<u8>]) -> String {
    argv.iter()
        .map(|x| cli_quote(x))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cases to run: `PROPTEST_CASES` if set, else `default`.
fn case_count(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed: `DIFF_SEED` if set (for long runs with fresh sequences), else
/// fixed per family.
fn seed(family: &str) -> [u8; 32] {
    let base: u64 = std::env::var("DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_d1ff);
    let mut h = base;
    for b in family.bytes() {
        h = h.wrapping_mul(0x100_0000_01b3).wrapping_add(b as u64);
    }
    let mut out = [0u8; 32];
    for (i, chunk) in out.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&h.wrapping_add(i as u64).to_le_bytes());
    }
    out
}

/// Both sides as a case starts: no transaction, no watch, the limits a
/// case with CONFIG changed back at their defaults, nothing stored.
fn reset(pair: &mut Pair) {
    let configured = std::mem::take(&mut pair.configured);
    for side in [&mut pair.redis, &mut pair.ours] {
        // A case may have left a transaction open, or watches.
        for c in [&mut side.r2, &mut side.r3] {
            send(c, &[b"DISCARD".to_vec()]);
            send(c, &[b"UNWATCH".to_vec()]);
        }
        if configured {
            for (name, value) in [("maxmemory", "0"), ("maxmemory-policy", "noeviction")] {
                let set = [
                    b"CONFIG".to_vec(),
                    b"SET".to_vec(),
                    name.into(),
                    value.into(),
                ];
                assert_eq!(send(&mut side.r2, &set), b"+OK\r\n", "CONFIG SET {name}");
            }
        }
        let r = send(&mut side.r2, &[b"FLUSHALL".to_vec()]);
        assert_eq!(r, b"+OK\r\n", "FLUSHALL");
    }
}

/// [`run_case`] with each MULTI and the commands after it, up to its EXEC
/// (or the case's end), sent in one write, as pipelining clients send a
/// transaction (shardis takes such a block whole when it is for one shard:
/// `proxy/src/whole_tx.rs`); every reply of the block compared as bytes
/// (for families whose replies are deterministic).
pub fn run_case_pipelined(pair: &mut Pair, case: &Case) -> Result<(), String> {
    reset(pair);
    let now = now_s();
    let keys = keys();
    let argvs: Vec<Vec<Vec<u8>>> = case
        .ops
        .iter()
        .enumerate()
        .map(|(pos, Op(args))| args.iter().map(|a| a.render(keys, pos, now)).collect())
        .collect();
    let is = |argv: &Vec<Vec<u8>>, name: &str| {
        argv.first()
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    };
    let mut at = 0;
    while at < argvs.len() {
        let end = match is(&argvs[at], "multi") {
            true => argvs[at..]
                .iter()
                .position(|a| is(a, "exec"))
                .map_or(argvs.len(), |i| at + i + 1),
            false => at + 1,
        };
        let block = &argvs[at..end];
        let bytes: Vec<u8> = block.iter().flat_map(|a| encode(a)).collect();
        let mut replies = Vec::new();
        for (name, side) in [
            ("redis-server", &mut pair.redis),
            ("shardis", &mut pair.ours),
        ] {
            let c = side.conn(case.resp3);
            c.send(&bytes);
            let mut got = Vec::new();
            for i in 0..block.len() {
                match c.try_read_reply(common::IO_TIMEOUT) {
                    Ok(r) => got.push(r),
                    Err(e) => {
                        return Err(format!(
                            "{name} gave no reply ({e:?}) to command {} of a block of {} sent at once: {}\nreplies before: {:?}\nsequence as sent (redis-cli):\n{}",
                            i + 1,
                            block.len(),
                            cli_quote_line(&block[i]),
                            got.iter().map(|r| String::from_utf8_lossy(r).into_owned()).collect::<Vec<_>>(),
                            cli_lines(&argvs[..end])
                        ))
                    }
                }
            }
            replies.push(got);
        }
        if let Some(i) = (0..block.len()).find(|&i| replies[0][i] != replies[1][i]) {
            return Err(format!(
                "command {} of {} (in a block of {} sent at once): {}\nredis-server {:?}\nshardis      {:?}\nsequence as sent (redis-cli):\n{}",
                at + i + 1,
                argvs.len(),
                block.len(),
                cli_quote_line(&block[i]),
                String::from_utf8_lossy(&replies[0][i]),
                String::from_utf8_lossy(&replies[1][i]),
                cli_lines(&argvs[..end])
            ));
        }
        at = end;
    }
    check::final_state(pair).map_err(|why| {
        format!(
            "after the last command: {why}\nsequence as sent (redis-cli):\n{}",
            cli_lines(&argvs)
        )
    })
}

/// [`run_case`] with a watcher: before each command the case's other
/// connection WATCHes every key of the pool, and after it runs MULTI,
/// PING, EXEC; whether that EXEC ran (the command touched no watched key)
/// or failed must be redis-server's. Catches a write that changed nothing
/// but counted as a change (or the reverse), which the replies alone do
/// not show: it also decides what is logged and notified.
pub fn run_case_watched(pair: &mut Pair, case: &Case) -> Result<(), String> {
    reset(pair);
    let now = now_s();
    let keys = keys();
    let mut watch = vec![b"WATCH".to_vec()];
    watch.extend(keys.iter().cloned());
    let mut sent: Vec<Vec<Vec<u8>>> = Vec::new();
    for (pos, Op(args)) in case.ops.iter().enumerate() {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.render(keys, pos, now)).collect();
        sent.push(argv.clone());
        let fail = |why: String, sent: &[Vec<Vec<u8>>]| {
            format!(
                "command {} of {}: {}\n{why}\nsequence as sent (redis-cli):\n{}",
                pos + 1,
                case.ops.len(),
                cli_quote_line(&argv),
                cli_lines(sent)
            )
        };
        for side in [&mut pair.redis, &mut pair.ours] {
            let r = send(side.conn(!case.resp3), &watch);
            if r != b"+OK\r\n" {
                return Err(fail(
                    format!("WATCH answered {:?}", String::from_utf8_lossy(&r)),
                    &sent,
                ));
            }
        }
        check::step(pair, case.resp3, &argv).map_err(|why| fail(why, &sent))?;
        let mut ran = Vec::new();
        let mut execs = Vec::new();
        for side in [&mut pair.redis, &mut pair.ours] {
            let w = side.conn(!case.resp3);
            send(w, &[b"MULTI".to_vec()]);
            send(w, &[b"PING".to_vec()]);
            let exec = send(w, &[b"EXEC".to_vec()]);
            ran.push(!matches!(exec.as_slice(), b"*-1\r\n" | b"_\r\n"));
            execs.push(String::from_utf8_lossy(&exec).into_owned());
        }
        // Left on purpose (DIFFERENTIAL.md): Redis counts a PFCOUNT that
        // refreshes its cached cardinality as a change of the key, and a
        // BITFIELD whose every write failed (OVERFLOW FAIL) as none even
        // when it created the key.
        let named = |n: &str| {
            argv.first()
                .is_some_and(|a| a.eq_ignore_ascii_case(n.as_bytes()))
        };
        let fails = argv.iter().any(|a| a.eq_ignore_ascii_case(b"fail"));
        let unmatched = named("pfcount") || (named("bitfield") && fails);
        if ran[0] != ran[1] && !unmatched {
            let says = |r: bool| {
                if r {
                    "ran"
                } else {
                    "failed (a watched key changed)"
                }
            };
            return Err(fail(
                format!(
                    "the watcher's EXEC: redis-server {} ({:?}), shardis {} ({:?})",
                    says(ran[0]),
                    execs[0],
                    says(ran[1]),
                    execs[1]
                ),
                &sent,
            ));
        }
    }
    check::final_state(pair).map_err(|why| {
        format!(
            "after the last command: {why}\nsequence as sent (redis-cli):\n{}",
            cli_lines(&sent)
        )
    })
}

/// Runs `cases` generated cases of `min..=max` commands from `op` against
/// both servers; panics with the shrunk case as redis-cli lines.
pub fn run_family(family: &str, op: BoxedStrategy<Op>, cases: u32, min: usize, max: usize) {
    run_family_with(family, op, (cases, min, max), run_case);
}

/// [`run_family`] with `run` running each case (`run_case`, or
/// [`run_case_pipelined`]).
pub fn run_family_with(
    family: &str,
    op: BoxedStrategy<Op>,
    (cases, min, max): (u32, usize, usize),
    run: fn(&mut Pair, &Case) -> Result<(), String>,
) {
    let Some(redis) = RedisServer::start() else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("redis-server is not installed, and CI must run the differential tests");
        }
        eprintln!("note: redis-server is not installed; skipping the {family} differential test");
        return;
    };
    let shardis = Server::with_shards(SHARDS);
    let pair = RefCell::new(Pair {
        redis: Side::connect(redis.port),
        ours: Side::connect(shardis.port),
        configured: false,
    });
    let cases = case_count(cases);
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_time: 120_000,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed(family));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let strategy = gen::case(op, min, max);
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |case| {
        run(&mut pair.borrow_mut(), &case).map_err(TestCaseError::fail)
    });
    match result {
        Ok(()) => eprintln!(
            "{family}: {cases} cases agree with redis-server ({:.1?})",
            started.elapsed()
        ),
        Err(TestError::Fail(why, case)) => {
            panic!("{family}: shardis and redis-server disagree\n{why}\nshrunk case:\n{case:?}")
        }
        Err(e) => panic!("{family}: {e}"),
    }
    drop(shardis);
    drop(redis);
}

/// Most rounds a full SCAN iteration may take.
pub const SCAN_ROUNDS: usize = 10_000;
