//! Online scaling with the real binaries (`proxy/MIGRATION.md`): `SHARDIS
//! SCALE` under client traffic, through crashes of the source, the target
//! and the proxy, and its refusals.
//!
//! What the checks hold: every acknowledged write is there once (DBSIZE
//! equals the model's count, so no key lives on two shards), counters end
//! between their acknowledged INCRs and those plus the ones whose outcome
//! is unknown, every element pushed on the queues is popped once or still
//! queued, and no client sees an error but `-ERR shard N is unavailable`
//! (a shard killed under it; the outcome is unknown).

mod common;

use std::{
    collections::{BTreeMap, HashSet},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use common::{pid_alive, wait_until, Opts, Server, Shards, TempDir, IO_TIMEOUT};

/// Most commands one client sends (the traffic normally stops earlier).
const MAX_OPS: u64 = 200_000;
/// Longest the traffic runs.
const TRAFFIC_DEADLINE: Duration = Duration::from_secs(60);
/// Longest one scale may take.
const SCALE_TIMEOUT: Duration = Duration::from_secs(60);
/// Keys written before the traffic starts.
const PRELOAD: usize = 4_000;

/// What one writer did.
#[derive(Default)]
struct Tally {
    /// key -> last acknowledged value (`None`: its last SET's outcome is
    /// unknown, any of its values may be there).
    sets: BTreeMap<String, Option<String>>,
    /// key -> (acknowledged INCRs, unknown INCRs).
    counters: BTreeMap<String, (u64, u64)>,
    unexpected: Vec<String>,
}

#[derive(Default)]
struct Traffic {
    acked: AtomicU64,
    stop: AtomicBool,
}

/// A shard died under the command: it may or may not have run (an EXEC
/// over several shards says it was aborted, nothing applied, or that its
/// outcome is unknown until the shard is back).
fn is_unavailable(e: &redis::RedisError) -> bool {
    e.kind() == redis::ErrorKind::ResponseError
        && e.detail().is_some_and(|d| {
            (d.starts_with("shard ") && d.ends_with(" is unavailable"))
                || d.starts_with("transaction aborted: shard ")
                || d.starts_with("transaction outcome unknown: shard ")
        })
}

/// Writer `c`: SETs of fresh keys, INCRs, MSET/MGET pipelines of its own
/// keys (what it reads must be what it wrote last) and MULTI/EXEC pairs of
/// INCRs.
fn writer(url: String, c: usize, traffic: Arc<Traffic>) -> JoinHandle<Tally> {
    let mut con = common::client_for(&url);
    std::thread::spawn(move || {
        let mut t = Tally::default();
        let deadline = Instant::now() + TRAFFIC_DEADLINE;
        for i in 0..MAX_OPS {
            if traffic.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                break;
            }
            let r: redis::RedisResult<()> = match i % 4 {
                0 => {
                    let (k, v) = (format!("w{c}:s{i}"), format!("v{i}"));
                    let r = redis::cmd("SET").arg(&k).arg(&v).query(&mut con);
                    t.sets.insert(k, r.as_ref().ok().map(|()| v));
                    r
                }
                1 => {
                    let k = format!("w{c}:n{}", i % 37);
                    let r: redis::RedisResult<i64> = redis::cmd("INCR").arg(&k).query(&mut con);
                    let e = t.counters.entry(k).or_default();
                    match r.is_ok() {
                        true => e.0 += 1,
                        false => e.1 += 1,
                    }
                    r.map(|_| ())
                }
                2 => {
                    let keys: Vec<String> =
                        (0..5).map(|j| format!("w{c}:m{}", (i + j) % 50)).collect();
                    let mut p = redis::pipe();
                    let mut mset = redis::cmd("MSET");
                    for k in &keys {
                        mset.arg(k).arg(format!("{i}"));
                    }
                    p.add_command(mset).ignore();
                    let mut mget = redis::cmd("MGET");
                    for k in &keys {
                        mget.arg(k);
                    }
                    p.add_command(mget);
                    let r: redis::RedisResult<(Vec<Option<String>>,)> = p.query(&mut con);
                    match r {
                        Ok((got,)) => {
                            for k in &keys {
                                t.sets.insert(k.clone(), Some(format!("{i}")));
                            }
                            if got.iter().any(|g| g.as_deref() != Some(&format!("{i}"))) {
                                t.unexpected.push(format!("MGET after MSET {i}: {got:?}"));
                            }
                            Ok(())
                        }
                        Err(e) => {
                            for k in &keys {
                                t.sets.insert(k.clone(), None);
                            }
                            Err(e)
                        }
                    }
                }
                _ => {
                    let (a, b) = (format!("w{c}:x{}", i % 11), format!("w{c}:y{}", i % 13));
                    // MULTI INCR a INCR b EXEC: a command whose shard died
                    // under it answers the error in place (unknown).
                    let r = multi_incr(&mut con, &a, &b);
                    let each = match &r {
                        Ok(each) => each.clone(),
                        Err(_) => vec![false, false],
                    };
                    for (k, ok) in [a, b].into_iter().zip(each) {
                        let e = t.counters.entry(k).or_default();
                        match ok {
                            true => e.0 += 1,
                            false => e.1 += 1,
                        }
                    }
                    r.map(|_| ())
                }
            };
            match r {
                Ok(()) => {
                    traffic.acked.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if is_unavailable(&e) => {}
                Err(e) => {
                    eprintln!("writer {c}, op {i}: {e}");
                    t.unexpected.push(format!("op {i}: {e}"));
                    return t;
                }
            }
        }
        t
    })
}

/// `MULTI`, `INCR a`, `INCR b`, `EXEC`: whether each INCR was applied
/// (an error in place, a shard unavailable, is an unknown outcome).
fn multi_incr(con: &mut redis::Connection, a: &str, b: &str) -> redis::RedisResult<Vec<bool>> {
    redis::cmd("MULTI").query::<()>(con)?;
    redis::cmd("INCR").arg(a).query::<()>(con)?;
    redis::cmd("INCR").arg(b).query::<()>(con)?;
    match redis::cmd("EXEC").query::<redis::Value>(con)? {
        redis::Value::Array(items) if items.len() == 2 => {
            let mut out = Vec::new();
            for v in items {
                match v {
                    redis::Value::Int(_) => out.push(true),
                    redis::Value::ServerError(e)
                        if e.details().is_some_and(|d| d.ends_with("is unavailable")) =>
                    {
                        out.push(false)
                    }
                    other => {
                        return Err(redis::RedisError::from((
                            redis::ErrorKind::TypeError,
                            "unexpected in EXEC",
                            format!("{other:?}"),
                        )))
                    }
                }
            }
            Ok(out)
        }
        other => Err(redis::RedisError::from((
            redis::ErrorKind::TypeError,
            "unexpected EXEC reply",
            format!("{other:?}"),
        ))),
    }
}

/// The queue: a producer RPUSHes numbered jobs over 3 lists, a consumer
/// BLPOPs all 3 (1 s timeouts). (pushed acknowledged, pushed unknown,
/// popped, unexpected).
#[allow(clippy::type_complexity)]
fn queue(
    url: String,
    traffic: Arc<Traffic>,
) -> JoinHandle<(Vec<u64>, Vec<u64>, Vec<u64>, Vec<String>)> {
    let mut producer = common::client_for(&url);
    let mut consumer = common::client_for(&url);
    let stop = Arc::new(AtomicBool::new(false));
    let consumer_stop = stop.clone();
    let popper = std::thread::spawn(move || {
        let (mut popped, mut bad) = (Vec::new(), Vec::new());
        let deadline = Instant::now() + TRAFFIC_DEADLINE + Duration::from_secs(10);
        while Instant::now() < deadline {
            let r: redis::RedisResult<Option<(String, String)>> = redis::cmd("BLPOP")
                .arg("q:a")
                .arg("q:b")
                .arg("q:c")
                .arg(1)
                .query(&mut consumer);
            match r {
                Ok(Some((_, v))) => popped.push(v.parse().unwrap_or(u64::MAX)),
                Ok(None) if consumer_stop.load(Ordering::Relaxed) => break,
                Ok(None) => {}
                Err(e) if is_unavailable(&e) => {}
                Err(e) => {
                    bad.push(format!("BLPOP: {e}"));
                    break;
                }
            }
        }
        (popped, bad)
    });
    std::thread::spawn(move || {
        let (mut acked, mut unknown, mut bad) = (Vec::new(), Vec::new(), Vec::new());
        let deadline = Instant::now() + TRAFFIC_DEADLINE;
        for n in 0..MAX_OPS {
            if traffic.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                break;
            }
            let list = ["q:a", "q:b", "q:c"][n as usize % 3];
            let r: redis::RedisResult<i64> =
                redis::cmd("RPUSH").arg(list).arg(n).query(&mut producer);
            match r {
                Ok(_) => acked.push(n),
                Err(e) if is_unavailable(&e) => unknown.push(n),
                Err(e) => {
                    bad.push(format!("RPUSH: {e}"));
                    break;
                }
            }
            if n % 4 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        stop.store(true, Ordering::Relaxed);
        let (popped, more) = popper.join().unwrap_or_default();
        bad.extend(more);
        (acked, unknown, popped, bad)
    })
}

fn status(con: &mut redis::Connection) -> BTreeMap<String, String> {
    let text: String = redis::cmd("SHARDIS")
        .arg("STATUS")
        .query(con)
        .unwrap_or_default();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect()
}

/// Asks for `n` shards and waits until the scale is over.
fn scale(url: &str, n: usize) {
    let mut con = common::client_for(url);
    let ok: String = redis::cmd("SHARDIS")
        .arg("SCALE")
        .arg(n)
        .arg("BATCH")
        .arg(256)
        .query(&mut con)
        .expect("SHARDIS SCALE");
    assert_eq!(ok, "OK");
    wait_until(SCALE_TIMEOUT, &format!("the scale to {n} shards"), || {
        let s = status(&mut con);
        s.get("scale_target").map(String::as_str) == Some("-")
            && s.get("shards") == Some(&n.to_string())
    });
}

/// Writes `PRELOAD` keys of several types (some with TTLs) in pipelines.
fn preload(con: &mut redis::Connection) {
    for chunk in (0..PRELOAD).collect::<Vec<_>>().chunks(500) {
        let mut p = redis::pipe();
        for &i in chunk {
            match i % 4 {
                0 => p.cmd("SET").arg(format!("pre:s{i}")).arg(i).ignore(),
                1 => p
                    .cmd("RPUSH")
                    .arg(format!("pre:l{i}"))
                    .arg(i)
                    .arg(i + 1)
                    .ignore(),
                2 => p
                    .cmd("HSET")
                    .arg(format!("pre:h{i}"))
                    .arg("f")
                    .arg(i)
                    .ignore(),
                _ => p
                    .cmd("SET")
                    .arg(format!("pre:t{i}"))
                    .arg(i)
                    .arg("EX")
                    .arg(100_000)
                    .ignore(),
            };
        }
        let () = p.query(con).expect("preload");
    }
}

/// Everything the model says is there, and nothing more.
fn check(url: &str, tallies: &[Tally], queue_left: Option<(&[u64], &[u64], &[u64])>) {
    let mut con = common::client_for(url);
    let mut problems: Vec<String> = Vec::new();
    let mut keys = PRELOAD;
    for i in (0..PRELOAD).step_by(97) {
        let (k, t) = match i % 4 {
            0 => (format!("pre:s{i}"), "string"),
            1 => (format!("pre:l{i}"), "list"),
            2 => (format!("pre:h{i}"), "hash"),
            _ => (format!("pre:t{i}"), "string"),
        };
        let got: String = redis::cmd("TYPE")
            .arg(&k)
            .query(&mut con)
            .unwrap_or_default();
        if got != t {
            problems.push(format!("{k} is a {got}, not a {t}"));
        }
    }
    let ttl: i64 = redis::cmd("TTL")
        .arg("pre:t3")
        .query(&mut con)
        .unwrap_or(-3);
    if !(90_000..=100_000).contains(&ttl) {
        problems.push(format!("pre:t3's TTL is {ttl}"));
    }
    for t in tallies {
        problems.extend(t.unexpected.iter().cloned());
        keys += t.sets.len() + t.counters.len();
        for (k, want) in &t.sets {
            let got: Option<String> = redis::cmd("GET").arg(k).query(&mut con).unwrap_or(None);
            if let Some(v) = want {
                if got.as_ref() != Some(v) {
                    problems.push(format!("{k} = {got:?}, not {v}"));
                }
            } else if got.is_none() {
                // An unknown SET may or may not have happened.
                keys -= 1;
            }
        }
        for (k, (acked, unknown)) in &t.counters {
            let got: Option<u64> = redis::cmd("GET").arg(k).query(&mut con).unwrap_or(None);
            let v = got.unwrap_or(0);
            if got.is_none() {
                keys -= 1;
            }
            if v < *acked || v > acked + unknown {
                problems.push(format!(
                    "{k} = {v} with {acked} acknowledged, {unknown} unknown"
                ));
            }
        }
    }
    if let Some((acked, unknown, popped)) = queue_left {
        let mut left: Vec<u64> = Vec::new();
        for q in ["q:a", "q:b", "q:c"] {
            let items: Vec<u64> = redis::cmd("LRANGE")
                .arg(q)
                .arg(0)
                .arg(-1)
                .query(&mut con)
                .unwrap_or_default();
            left.extend(items);
            let exists: i64 = redis::cmd("EXISTS").arg(q).query(&mut con).unwrap_or(0);
            keys += exists as usize;
        }
        let mut seen = HashSet::new();
        for v in popped.iter().chain(&left) {
            if !seen.insert(*v) {
                problems.push(format!("job {v} was popped or queued twice"));
            }
        }
        let known: HashSet<u64> = acked.iter().chain(unknown).copied().collect();
        for v in acked {
            if !seen.contains(v) {
                problems.push(format!("job {v} was acknowledged and is lost"));
            }
        }
        for v in &seen {
            if !known.contains(v) {
                problems.push(format!("job {v} was never pushed"));
            }
        }
    }
    let dbsize: usize = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    if dbsize != keys {
        problems.push(format!("DBSIZE {dbsize}, the model has {keys} keys"));
    }
    assert!(
        problems.is_empty(),
        "{} problems: {:#?}",
        problems.len(),
        &problems[..problems.len().min(20)]
    );
}

#[test]
fn scaling_2_4_3_1_2_under_traffic_keeps_every_write_once() {
    let dir = TempDir::new();
    let data = dir.0.join("data");
    let s = Server::start(Opts::shards(2).workers(2).data_dir(&data));
    let url = s.url();
    preload(&mut s.client());
    let traffic = Arc::new(Traffic::default());
    let writers: Vec<_> = (0..3)
        .map(|c| writer(url.clone(), c, traffic.clone()))
        .collect();
    let q = queue(url.clone(), traffic.clone());
    for n in [4, 3, 1, 2] {
        let before = traffic.acked.load(Ordering::Relaxed);
        scale(&url, n);
        wait_until(IO_TIMEOUT, "traffic after the scale", || {
            traffic.acked.load(Ordering::Relaxed) > before + 100
        });
    }
    traffic.stop.store(true, Ordering::Relaxed);
    let tallies: Vec<Tally> = writers
        .into_iter()
        .map(|w| w.join().expect("writer"))
        .collect();
    let (acked, unknown, popped, bad) = q.join().expect("queue");
    assert!(bad.is_empty(), "{bad:?}");
    assert!(!popped.is_empty() && !acked.is_empty());
    assert!(unknown.is_empty(), "no shard died: {unknown:?}");
    check(&url, &tallies, Some((&acked, &unknown, &popped)));
    let mut con = s.client();
    let map: String = redis::cmd("SHARDIS")
        .arg("SLOTS")
        .query(&mut con)
        .expect("SHARDIS SLOTS");
    assert!(
        map.contains("shards 2\n") && !map.contains("move "),
        "{map}"
    );
    // The moves are durable: a restarted proxy (and its shards) has it all.
    drop(con);
    drop(s);
    let s = Server::start(Opts::shards(3).workers(1).data_dir(&data));
    let mut con = s.client();
    assert_eq!(
        status(&mut con).get("shards").map(String::as_str),
        Some("2")
    );
    check(&s.url(), &tallies, Some((&acked, &unknown, &popped)));
}

/// SIGKILLs `pid` and waits until it is gone.
fn kill9(pid: u32) {
    // SAFETY: killing a process this test started (or its proxy did), by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until(IO_TIMEOUT, "the process to die", || !pid_alive(pid));
}

#[test]
fn kill_9_of_source_target_and_proxy_during_moves_loses_nothing() {
    let dir = TempDir::new();
    let data = dir.0.join("data");
    let opts = || {
        Opts::shards(2)
            .workers(2)
            .data_dir(&data)
            .flag("--appendfsync", "always")
    };
    let s = Server::start(opts());
    let url = s.url();
    preload(&mut s.client());
    let traffic = Arc::new(Traffic::default());
    let writers: Vec<_> = (0..2)
        .map(|c| writer(url.clone(), c, traffic.clone()))
        .collect();
    let mut con = s.client();
    let ok: String = redis::cmd("SHARDIS")
        .arg("SCALE")
        .arg(4)
        .arg("BATCH")
        .arg(16)
        .arg("DELAY")
        .arg(5)
        .query(&mut con)
        .expect("SHARDIS SCALE");
    assert_eq!(ok, "OK");
    // Kill the source (0), a target (2 once it exists), the source again,
    // each in the middle of the moves.
    for victim in [0usize, 2, 1] {
        wait_until(SCALE_TIMEOUT, "a move in progress with the victim", || {
            let st = status(&mut con);
            let moved: usize = st
                .get("scale_slots_moved")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            moved > 0 && s.shard_pid(victim).is_some()
        });
        let pid = s.shard_pid(victim).expect("the victim runs");
        kill9(pid);
        // Killed while the scale still ran (its batches fail and roll back
        // until the shard is back).
        let st = status(&mut con);
        eprintln!("killed shard {victim}: {st:?}");
        assert_eq!(
            st.get("scale_target").map(String::as_str),
            Some("4"),
            "{st:?}"
        );
        wait_until(IO_TIMEOUT, "the supervisor to restart it", || {
            s.shard_pid(victim).is_some_and(|p| p != pid)
        });
    }
    let before = traffic.acked.load(Ordering::Relaxed);
    wait_until(IO_TIMEOUT, "traffic after the kills", || {
        traffic.acked.load(Ordering::Relaxed) > before + 50
    });
    // The proxy dies in the middle of a move: its shards stop with it
    // (they are its children); the restarted proxy settles the move.
    wait_until(SCALE_TIMEOUT, "more moves", || {
        status(&mut con)
            .get("move_in_progress")
            .is_some_and(|m| m != "-")
            || status(&mut con).get("scale_target").map(String::as_str) == Some("-")
    });
    let shard_pids = s.shard_pids();
    kill9(s.pid());
    traffic.stop.store(true, Ordering::Relaxed);
    let tallies: Vec<Tally> = writers
        .into_iter()
        .map(|w| {
            let mut t = w.join().expect("writer");
            // The proxy's death cut their last command (the model counts
            // its outcome as unknown, as after any dropped connection).
            let last = t.unexpected.pop();
            assert!(t.unexpected.is_empty(), "{:?} then {last:?}", t.unexpected);
            assert!(
                last.as_ref()
                    .is_some_and(|e| e.contains("end of file") || e.contains("reset by peer")),
                "{last:?}"
            );
            t
        })
        .collect();
    for p in shard_pids {
        wait_until(IO_TIMEOUT, "the old shards to stop", || !pid_alive(p));
    }
    drop(con);
    drop(s);
    let t = Instant::now();
    let s = Server::start(opts());
    eprintln!("restarted in {:?}", t.elapsed());
    let mut con = s.client();
    wait_until(SCALE_TIMEOUT, "the interrupted move to be settled", || {
        status(&mut con).get("move_in_progress").map(String::as_str) == Some("-")
    });
    eprintln!("settled after {:?}", t.elapsed());
    // The scale goes on by itself (the map file keeps its target), and ends.
    wait_until(SCALE_TIMEOUT, "the scale to go on and end", || {
        let st = status(&mut con);
        st.get("scale_target").map(String::as_str) == Some("-")
            && st.get("shards").map(String::as_str) == Some("4")
    });
    let map: String = redis::cmd("SHARDIS")
        .arg("SLOTS")
        .query(&mut con)
        .expect("SHARDIS SLOTS");
    assert!(!map.contains("target ") && !map.contains("move "), "{map}");
    eprintln!("scaled after {:?}", t.elapsed());
    check(&s.url(), &tallies, None);
}

#[test]
fn bad_scale_requests_are_refused_with_a_reason() {
    let s = Server::start(Opts::shards(2));
    let mut c = s.raw();
    for (args, want) in [
        (
            vec!["SHARDIS", "SCALE", "0"],
            "-ERR shardis: the shard count must be at least 1",
        ),
        (
            vec!["SHARDIS", "SCALE", "16385"],
            "-ERR shardis: at most 16384 shards (one per slot)",
        ),
        (
            vec!["SHARDIS", "SCALE", "257"],
            "-ERR shardis: at most 256 shards per proxy",
        ),
        (
            vec!["SHARDIS", "SCALE", "x"],
            "-ERR SHARDIS SCALE <count> [BATCH <slots>] [DELAY <ms>]",
        ),
        (
            vec!["SHARDIS", "SCALE", "2", "BATCH", "0"],
            "-ERR syntax error",
        ),
        (
            vec!["SHARDIS", "SCALE", "ABORT"],
            "-ERR no scale is in progress",
        ),
        (
            vec!["SHARDIS", "NOPE"],
            "-ERR unknown subcommand 'NOPE'. Try SHARDIS HELP.",
        ),
        (
            vec!["SHARDIS", "SCALE"],
            "-ERR wrong number of arguments for 'shardis|scale' command",
        ),
    ] {
        let got = c.cmd_str(&args);
        assert_eq!(got.trim_end(), want, "{args:?}");
    }
    // A scale to another count while one runs; the same count resumes it.
    assert_eq!(
        c.cmd_str(&["SHARDIS", "SCALE", "3", "BATCH", "1", "DELAY", "50"]),
        "+OK\r\n"
    );
    assert!(c
        .cmd_str(&["SHARDIS", "SCALE", "4"])
        .starts_with("-ERR shardis: a scale to 3 shards is in progress"));
    assert_eq!(c.cmd_str(&["SHARDIS", "SCALE", "3"]), "+OK\r\n");
    let mut con = s.client();
    let st = status(&mut con);
    assert_eq!(
        (
            st["scale_batch_slots"].as_str(),
            st["scale_delay_ms"].as_str()
        ),
        ("1", "50"),
        "a resume keeps the batch and the delay"
    );
    assert_eq!(c.cmd_str(&["SHARDIS", "SCALE", "ABORT"]), "+OK\r\n");
    wait_until(IO_TIMEOUT, "the abort", || {
        let st = status(&mut con);
        st.get("scale_target").map(String::as_str) == Some("-")
            && st.get("move_in_progress").map(String::as_str) == Some("-")
    });
    // The map is whole after an abort: every slot has one owner.
    let st = status(&mut con);
    let n: usize = st["shards"].parse().expect("a count");
    let total: usize = (0..n)
        .map(|i| {
            st[&format!("shard{i}")]
                .split(',')
                .find_map(|p| p.strip_prefix("count="))
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert_eq!(total, 16384, "{st:?}");
    let info = c.cmd_str(&["INFO", "cluster"]);
    assert!(info.contains("cluster_enabled:0\r\nshards:"), "{info}");
    assert!(info.contains("slot_moves_done:"), "{info}");
    // CLUSTER describes one node owning every slot.
    assert_eq!(c.cmd_str(&["CLUSTER", "KEYSLOT", "foo"]), ":12182\r\n");
    let slots = c.cmd_str(&["CLUSTER", "SLOTS"]);
    assert!(
        slots.starts_with("*1\r\n*3\r\n:0\r\n:16383\r\n*4\r\n$9\r\n127.0.0.1\r\n"),
        "{slots}"
    );
}

#[test]
fn a_shard_telling_other_slots_is_refused_naming_both() {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.0.join("shard-1")).expect("a shard dir");
    std::fs::write(dir.0.join("shard-1").join("slots"), "0-100").expect("its slots");
    let shards = Shards::start(2, &dir.0);
    let s = Server::start(
        Opts::default()
            .attach(&shards.sockets())
            .flag("--shard-wait-timeout-ms", "200")
            .unready(),
    );
    wait_until(IO_TIMEOUT, "the refusal in the proxy's log", || {
        s.log_tail()
            .contains("it says it owns slots 0-100 but the slot map")
    });
    assert!(
        s.log_tail().contains("gives shard 1 slots 8192-16383"),
        "{}",
        s.log_tail()
    );
    // Shard 0 (no slots file) was given its slots and keeps them.
    let mut c = s.raw();
    wait_until(IO_TIMEOUT, "shard 0's slots file", || {
        std::fs::read_to_string(dir.0.join("shard-0").join("slots")).is_ok_and(|t| t == "0-8191")
    });
    let k = common::key_on_shard("k", 1, 2);
    let reply = c.cmd_str(&["SET", &k, "v"]);
    assert!(reply.starts_with("-ERR shard 1 is unavailable"), "{reply}");
    // A scale while a shard is down (here: refused) is refused.
    let got = c.cmd_str(&["SHARDIS", "SCALE", "3"]);
    assert_eq!(
        got,
        "-ERR shardis: shard 1 is down; scale again once it is back\r\n"
    );
}

#[test]
fn commands_get_through_between_batches_that_follow_each_other() {
    let s = Server::start(Opts::shards(2));
    let mut con = s.client();
    preload(&mut con);
    let mut c = s.raw();
    // One slot per batch, no delay: a batch's pause starts as soon as the
    // last one ended. A command that waited goes on before the next.
    assert_eq!(
        c.cmd_str(&["SHARDIS", "SCALE", "3", "BATCH", "1"]),
        "+OK\r\n"
    );
    wait_until(SCALE_TIMEOUT, "the first batch", || {
        status(&mut con)
            .get("scale_slots_moved")
            .is_some_and(|m| m != "0")
    });
    let mut done = 0;
    wait_until(IO_TIMEOUT, "100 GETs while the batches run", || {
        let v: Option<String> = redis::cmd("GET")
            .arg("pre:s0")
            .query(&mut con)
            .unwrap_or(None);
        assert_eq!(v.as_deref(), Some("0"));
        done += 1;
        done >= 100
    });
    let st = status(&mut con);
    assert_eq!(
        st.get("scale_target").map(String::as_str),
        Some("3"),
        "{st:?}"
    );
    assert_eq!(c.cmd_str(&["SHARDIS", "SCALE", "ABORT"]), "+OK\r\n");
}

/// A shard a scale-out adds learns every subscription (each worker's
/// link to it opens with the worker's whole set, `proxy/src/subsync.rs`):
/// a script's PUBLISH counts every subscriber on every shard after the
/// scale, whichever shard now owns the script's key.
#[test]
fn a_shard_added_by_a_scale_out_counts_every_subscriber() {
    const SUBSCRIBERS: usize = 4;
    let dir = TempDir::new();
    let s = Server::start(Opts::shards(2).workers(2).data_dir(&dir.0.join("data")));
    let _subs: Vec<common::Raw> = (0..SUBSCRIBERS)
        .map(|_| {
            let mut r = s.raw();
            r.expect(
                &["SUBSCRIBE", "news"],
                "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
            );
            r
        })
        .collect();
    scale(&s.url(), 3);
    let mut c = s.raw();
    let publish = "return redis.call('publish', 'news', KEYS[1])";
    // Sixty keys: each of the three shards owns some of them.
    for i in 0..60 {
        let key = format!("pubkey:{i}");
        assert_eq!(
            c.cmd_str(&["EVAL", publish, "1", &key]),
            format!(":{SUBSCRIBERS}\r\n"),
            "{key}"
        );
    }
}
