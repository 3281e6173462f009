//! Transactions over several shards through kill -9, with the real
//! binaries (`appendfsync always`): shard processes killed again and again,
//! and a proxy killed, while clients move money between accounts spread
//! over every shard and readers sum them inside one MULTI.
//!
//! Each transfer `i` of writer `w` is `MULTI; DECRBY from n; INCRBY to n;
//! SADD done:w i; RPUSH log:w i; HSET hlog:w i n; EXEC`, or the first three
//! commands in an
//! EVAL script or an FCALL function (writers take turns), so the `done`
//! sets say exactly which transfers were applied. The set, the list and
//! the hash grow with every transfer: their undo is by steps
//! (`txlog::Delta`), not images. The checks:
//!
//! - no reader ever sees a total other than the start's;
//! - afterwards, every acknowledged transfer is in its `done` set, every
//!   member of a `done` set was sent, and every account's balance is the
//!   start plus the applied transfers' amounts: each applied once and
//!   whole (never its DECRBY without its INCRBY or its marker);
//! - a MULTI writer's `log` list holds each applied transfer exactly once,
//!   and its `hlog` hash each with its amount.
//!
//! A transfer that got an error (its shard was down, or the outcome was
//! unknown when a decider died while committing) may or may not be
//! applied; only the `done` sets say.

mod common;

use std::{
    collections::HashSet,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use common::{pid_alive, wait_until, Lcg, Opts, Server, Shards, TempDir, IO_TIMEOUT};

const SHARDS: usize = 3;
const ACCOUNTS: usize = 200;
const START: i64 = 1_000;
const WRITERS: usize = 4;
const READERS: usize = 2;
/// Most transfers one writer sends.
const MAX_TRANSFERS: usize = 20_000;
/// Longest the traffic runs.
const TRAFFIC_DEADLINE: Duration = Duration::from_secs(40);
/// Acknowledged transfers between kills, so every kill lands in traffic.
const ACKS_BETWEEN_KILLS: u64 = 40;
const KILLS: [usize; 5] = [1, 0, 2, 0, 1];
const RESTART_TIMEOUT: Duration = Duration::from_secs(15);

fn account(i: usize) -> String {
    format!("acct:{i}")
}

/// One transfer: (from, to, amount).
type Transfer = (usize, usize, i64);

#[derive(Default)]
struct Tally {
    sent: Vec<Transfer>,
    acked: HashSet<usize>,
    unexpected: Vec<String>,
}

#[derive(Default)]
struct Traffic {
    acked: AtomicU64,
    stop: AtomicBool,
    wrong_totals: AtomicU64,
    good_reads: AtomicU64,
}

/// Errors a transfer may get while shards die: its shard was down, the
/// transaction was aborted, or its outcome is unknown.
fn is_expected(e: &redis::RedisError) -> bool {
    let d = e.detail().unwrap_or("");
    e.kind() == redis::ErrorKind::ResponseError
        && (d.contains("is unavailable")
            || d.starts_with("transaction aborted")
            || d.starts_with("transaction outcome unknown"))
}

/// `MULTI`, `cmds` (each must be queued), `EXEC`, one at a time, so an
/// error of EXEC itself comes back as that error.
fn exec(con: &mut redis::Connection, cmds: &[redis::Cmd]) -> redis::RedisResult<redis::Value> {
    let () = redis::cmd("MULTI").query(con)?;
    for c in cmds {
        let queued: String = c.query(con)?;
        assert_eq!(queued, "QUEUED");
    }
    redis::cmd("EXEC").query(con)
}

fn writer(url: String, w: usize, traffic: Arc<Traffic>, expect_io: bool) -> JoinHandle<Tally> {
    let mut con = common::client_for(&url);
    std::thread::spawn(move || {
        let mut t = Tally::default();
        let mut rng = Lcg(w as u64 * 7919 + 1);
        let deadline = Instant::now() + TRAFFIC_DEADLINE;
        for i in 0..MAX_TRANSFERS {
            if traffic.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                break;
            }
            let from = rng.next(ACCOUNTS);
            let to = (from + 1 + rng.next(ACCOUNTS - 1)) % ACCOUNTS;
            let amount = rng.next(9) as i64 + 1;
            t.sent.push((from, to, amount));
            let mut decr = redis::cmd("DECRBY");
            decr.arg(account(from)).arg(amount);
            let mut incr = redis::cmd("INCRBY");
            incr.arg(account(to)).arg(amount);
            let mut mark = redis::cmd("SADD");
            mark.arg(format!("done:{w}")).arg(i);
            let mut log = redis::cmd("RPUSH");
            log.arg(format!("log:{w}")).arg(i);
            let mut hlog = redis::cmd("HSET");
            hlog.arg(format!("hlog:{w}")).arg(i).arg(amount);
            let r = match w % 3 {
                0 => exec(&mut con, &[decr, incr, mark, log, hlog]).map(|_| ()),
                kind => {
                    // The same transfer as a script (EVAL) or a function.
                    let (name, body) = match kind {
                        1 => ("EVAL", TRANSFER),
                        _ => ("FCALL", "transfer"),
                    };
                    redis::cmd(name)
                        .arg(body)
                        .arg(3)
                        .arg(account(from))
                        .arg(account(to))
                        .arg(format!("done:{w}"))
                        .arg(amount)
                        .arg(i)
                        .query::<i64>(&mut con)
                        .map(|_| ())
                }
            };
            match r {
                Ok(()) => {
                    t.acked.insert(i);
                    traffic.acked.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if is_expected(&e) => {}
                Err(e) if expect_io && e.is_io_error() => return t,
                Err(e) => {
                    t.unexpected.push(format!("transfer {i}: {e}"));
                    return t;
                }
            }
        }
        t
    })
}

fn reader(url: String, traffic: Arc<Traffic>, expect_io: bool) -> JoinHandle<Vec<String>> {
    let mut con = common::client_for(&url);
    std::thread::spawn(move || {
        let keys: Vec<String> = (0..ACCOUNTS).map(account).collect();
        let want = START * ACCOUNTS as i64;
        let deadline = Instant::now() + TRAFFIC_DEADLINE;
        let mut unexpected = Vec::new();
        while !traffic.stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            let mut mget = redis::cmd("MGET");
            mget.arg(&keys);
            let r = exec(&mut con, &[mget]).and_then(|v| match v {
                redis::Value::Array(mut items) if items.len() == 1 => {
                    redis::from_redis_value::<Vec<i64>>(&items.remove(0))
                }
                other => Err(redis::RedisError::from((
                    redis::ErrorKind::TypeError,
                    "not one reply",
                    format!("{other:?}"),
                ))),
            });
            match r {
                Ok(v) => {
                    if v.iter().sum::<i64>() == want {
                        traffic.good_reads.fetch_add(1, Ordering::Relaxed);
                    } else {
                        traffic.wrong_totals.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(e) if is_expected(&e) => {}
                Err(e) if expect_io && e.is_io_error() => break,
                Err(e) => {
                    unexpected.push(format!("read: {e}"));
                    break;
                }
            }
        }
        unexpected
    })
}

/// A transfer as a script: KEYS from, to, done set; ARGV amount, index.
const TRANSFER: &str = "redis.call('decrby', KEYS[1], ARGV[1]) \
    redis.call('incrby', KEYS[2], ARGV[1]) \
    return redis.call('sadd', KEYS[3], ARGV[2])";

fn setup(url: &str) {
    let mut con = common::client_for(url);
    let lib = format!(
        "#!lua name=bank\nredis.register_function('transfer', function(KEYS, ARGV) {TRANSFER} end)"
    );
    let loaded: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg("REPLACE")
        .arg(lib)
        .query(&mut con)
        .expect("FUNCTION LOAD");
    assert_eq!(loaded, "bank");
    let mut p = redis::pipe();
    for i in 0..ACCOUNTS {
        p.cmd("SET").arg(account(i)).arg(START).ignore();
    }
    let () = p.query(&mut con).expect("the accounts");
}

fn wait_acks(traffic: &Traffic, n: u64) {
    let start = traffic.acked.load(Ordering::Relaxed);
    wait_until(IO_TIMEOUT * 2, "more acknowledged transfers", || {
        traffic.acked.load(Ordering::Relaxed) >= start + n
    });
}

/// The checks of the module docs, on the data behind `url`.
fn check(url: &str, tallies: &[Tally]) {
    let mut con = common::client_for(url);
    let keys: Vec<String> = (0..ACCOUNTS).map(account).collect();
    let balances: Vec<i64> = redis::cmd("MGET").arg(&keys).query(&mut con).expect("MGET");
    assert_eq!(
        balances.iter().sum::<i64>(),
        START * ACCOUNTS as i64,
        "the final total"
    );
    let mut want = vec![START; ACCOUNTS];
    let (mut acked, mut applied) = (0, 0);
    for (w, t) in tallies.iter().enumerate() {
        assert!(t.unexpected.is_empty(), "writer {w}: {:?}", t.unexpected);
        let done: Vec<usize> = redis::cmd("SMEMBERS")
            .arg(format!("done:{w}"))
            .query(&mut con)
            .expect("SMEMBERS");
        let done: HashSet<usize> = done.into_iter().collect();
        if w % 3 == 0 {
            let mut log: Vec<usize> = redis::cmd("LRANGE")
                .arg(format!("log:{w}"))
                .arg(0)
                .arg(-1)
                .query(&mut con)
                .expect("LRANGE");
            log.sort_unstable();
            let mut want_log: Vec<usize> = done.iter().copied().collect();
            want_log.sort_unstable();
            assert_eq!(log, want_log, "writer {w}: its log is not its done set");
            let hlog: std::collections::HashMap<usize, i64> = redis::cmd("HGETALL")
                .arg(format!("hlog:{w}"))
                .query(&mut con)
                .expect("HGETALL");
            let mut keys: Vec<usize> = hlog.keys().copied().collect();
            keys.sort_unstable();
            assert_eq!(keys, want_log, "writer {w}: its hlog is not its done set");
            for (i, amount) in &hlog {
                assert_eq!(
                    t.sent.get(*i).map(|s| s.2),
                    Some(*amount),
                    "writer {w}: hlog {i}"
                );
            }
        }
        for i in &t.acked {
            assert!(
                done.contains(i),
                "writer {w}: acknowledged transfer {i} is lost"
            );
        }
        for &i in &done {
            let (from, to, amount) = *t.sent.get(i).expect("a transfer that was sent");
            want[from] -= amount;
            want[to] += amount;
        }
        eprintln!(
            "writer {w} ({}): {} acknowledged, {} applied",
            ["MULTI", "EVAL", "FCALL"][w % 3],
            t.acked.len(),
            done.len()
        );
        acked += t.acked.len();
        applied += done.len();
    }
    for (i, (got, want)) in balances.iter().zip(&want).enumerate() {
        assert_eq!(
            got, want,
            "account {i}: not the start plus its applied transfers"
        );
    }
    eprintln!("{acked} transfers acknowledged, {applied} applied");
}

#[test]
fn shards_killed_in_the_middle_of_transactions_apply_each_whole_or_not_at_all() {
    let s = Server::start(
        Opts::shards(SHARDS)
            .workers(2)
            .flag("--appendfsync", "always"),
    );
    setup(&s.url());
    let traffic = Arc::new(Traffic::default());
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| writer(s.url(), w, traffic.clone(), false))
        .collect();
    let readers: Vec<_> = (0..READERS)
        .map(|_| reader(s.url(), traffic.clone(), false))
        .collect();
    wait_acks(&traffic, ACKS_BETWEEN_KILLS);
    for &id in &KILLS {
        let pid = s.shard_pid(id).expect("the shard is running");
        // SAFETY: killing a shard process this test's proxy started, by pid.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        wait_until(IO_TIMEOUT, "the shard to die", || !pid_alive(pid));
        wait_until(RESTART_TIMEOUT, "the shard to come back", || {
            s.shard_pid(id).is_some_and(|p| p != pid)
        });
        let start = traffic.acked.load(Ordering::Relaxed);
        let t0 = Instant::now();
        while traffic.acked.load(Ordering::Relaxed) < start + ACKS_BETWEEN_KILLS {
            if t0.elapsed() > IO_TIMEOUT * 2 {
                eprintln!("STALL after killing {id}: {}", s.log_tail());
                let mut c = s.raw();
                eprintln!("{}", c.cmd_str(&["INFO", "stats"]));
                traffic.stop.store(true, Ordering::Relaxed);
                for w in writers {
                    let t = w.join().expect("a writer");
                    eprintln!("writer: {:?}", t.unexpected);
                }
                panic!("stall");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    traffic.stop.store(true, Ordering::Relaxed);
    let tallies: Vec<Tally> = writers
        .into_iter()
        .map(|h| h.join().expect("a writer"))
        .collect();
    for r in readers {
        let unexpected = r.join().expect("a reader");
        assert!(unexpected.is_empty(), "{unexpected:?}");
    }
    assert_eq!(
        traffic.wrong_totals.load(Ordering::Relaxed),
        0,
        "readers saw wrong totals ({} right ones)",
        traffic.good_reads.load(Ordering::Relaxed)
    );
    check(&s.url(), &tallies);
}

#[test]
fn a_proxy_killed_in_the_middle_of_transactions_leaves_each_whole_or_not_at_all() {
    let dir = TempDir::new();
    let shards = Shards::start(SHARDS, &dir.0);
    let mut s = Server::start(Opts::default().attach(&shards.sockets()));
    setup(&s.url());
    let traffic = Arc::new(Traffic::default());
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| writer(s.url(), w, traffic.clone(), true))
        .collect();
    let readers: Vec<_> = (0..READERS)
        .map(|_| reader(s.url(), traffic.clone(), true))
        .collect();
    wait_acks(&traffic, ACKS_BETWEEN_KILLS * 3);
    s.signal_proxy(libc::SIGKILL);
    assert!(s.wait_exit(IO_TIMEOUT).is_some(), "the proxy dies");
    let tallies: Vec<Tally> = writers
        .into_iter()
        .map(|h| h.join().expect("a writer"))
        .collect();
    for r in readers {
        let unexpected = r.join().expect("a reader");
        assert!(unexpected.is_empty(), "{unexpected:?}");
    }
    assert_eq!(traffic.wrong_totals.load(Ordering::Relaxed), 0);
    for pid in shards.pids() {
        assert!(pid_alive(pid), "shard {pid} outlives the proxy");
    }
    // A new proxy resolves what the old one left in doubt.
    let s = Server::start(Opts::default().attach(&shards.sockets()));
    check(&s.url(), &tallies);
}

/// A transaction over a shard that is down fails within
/// `shard-wait-timeout-ms`, applies nothing, and leaves no lock on the
/// shards that are up.
#[test]
fn a_transaction_over_a_shard_that_is_down_fails_in_time_and_leaves_no_lock() {
    let dir = TempDir::new();
    let shards = Shards::start(SHARDS, &dir.0);
    let s = Server::start(
        Opts::default()
            .attach(&shards.sockets())
            .flag("--shard-wait-timeout-ms", "300"),
    );
    let k: Vec<String> = (0..SHARDS)
        .map(|i| common::key_on_shard("down", i, SHARDS))
        .collect();
    let pid = shards.pids()[1];
    // SAFETY: killing a shard process this test started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until(IO_TIMEOUT, "the shard to die", || !pid_alive(pid));
    let mut c = s.raw();
    wait_until(IO_TIMEOUT, "the proxy to see it down", || {
        c.cmd_str(&["GET", &k[1]]).contains("is unavailable")
    });
    c.expect(&["MULTI"], common::OK);
    for key in &k {
        c.expect(&["SET", key, "1"], "+QUEUED\r\n");
    }
    let started = Instant::now();
    let reply = c.cmd_str(&["EXEC"]);
    assert!(
        reply.starts_with("-ERR transaction aborted") && reply.contains("unavailable"),
        "{reply}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "EXEC took {:?}",
        started.elapsed()
    );
    // Nothing applied, nothing locked: the keys of the live shards answer.
    let mut other = s.raw();
    for key in [&k[0], &k[2]] {
        other.expect(&["GET", key], common::NIL);
        other.expect(&["SET", key, "2"], common::OK);
    }
    // The same for a command whose keys must be together.
    let reply = other.cmd_str(&["RENAME", &k[0], &k[1]]);
    assert!(reply.starts_with("-ERR transaction aborted"), "{reply}");
    other.expect(&["GET", &k[0]], common::bulk("2"));
}
