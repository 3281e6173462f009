//! Crashes under write traffic, with the real binaries: shard processes
//! killed with SIGKILL again and again while four clients write, and a
//! proxy killed with SIGKILL in front of shards it did not start.
//!
//! What a client may see, and what the checks allow: a reply is an
//! acknowledgement; `-ERR shard N is unavailable` means the command may or
//! may not have run (it was in flight when its shard died), so an INCR
//! that got it is counted as unknown and a counter must end between its
//! acknowledged INCRs and those plus its unknown ones. Every acknowledged
//! SET must be there. The clients' connections must never close: each
//! keeps its server-side `CLIENT ID` from the first command to the last.

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    thread::JoinHandle,
    time::{Duration, Instant},
};

use common::{
    key_on_shard, keys_on_shard, pid_alive, wait_until, Opts, Server, Shards, TempDir, IO_TIMEOUT,
};

const SHARDS: usize = 3;
const CLIENTS: usize = 4;
/// Counters each client increments on each shard.
const COUNTERS_PER_SHARD: usize = 3;
/// Most commands one client sends (the traffic normally stops earlier,
/// when the kills are done; at the latest at [`TRAFFIC_DEADLINE`]).
const MAX_OPS_PER_CLIENT: u64 = 30_000;
/// The shards killed, in order: each shard more than once.
const KILLS: [usize; 5] = [1, 0, 2, 1, 0];
/// Acknowledged commands (all clients) between a shard's return and the
/// next kill, so every kill lands in traffic.
const ACKS_BETWEEN_KILLS: u64 = 300;
/// Longest the write traffic runs.
const TRAFFIC_DEADLINE: Duration = Duration::from_secs(40);
/// Longest a killed shard may take to serve again.
const RESTART_TIMEOUT: Duration = Duration::from_secs(15);

/// What one client did.
#[derive(Default)]
struct Tally {
    /// Per counter: (key, acknowledged INCRs, INCRs with an unknown outcome).
    counters: Vec<(String, u64, u64)>,
    /// Per SET: (key, value, acknowledged).
    sets: Vec<(String, String, bool)>,
    /// Replies that were neither an acknowledgement nor "shard unavailable"
    /// (IO errors included), with the command.
    unexpected: Vec<String>,
    /// The connection's `CLIENT ID` before and after the traffic.
    ids: (i64, i64),
}

/// Shared between the clients and the test.
#[derive(Default)]
struct Traffic {
    acked: AtomicU64,
    stop: AtomicBool,
}

fn is_unavailable(e: &redis::RedisError) -> bool {
    e.kind() == redis::ErrorKind::ResponseError
        && e.detail()
            .is_some_and(|d| d.starts_with("shard ") && d.ends_with(" is unavailable"))
}

/// Starts client `c`: INCRs of its counters on every shard, alternating
/// with SETs of fresh keys to known values. `expect_io_errors`: stop at the
/// first IO error and count its command as unknown (the proxy was killed).
fn client(
    url: String,
    c: usize,
    traffic: Arc<Traffic>,
    expect_io_errors: bool,
) -> JoinHandle<Tally> {
    // Connected here, so the thread uses this one connection throughout.
    let mut con = common::client_for(&url);
    std::thread::spawn(move || {
        let mut t = Tally {
            counters: (0..SHARDS)
                .flat_map(|sh| {
                    keys_on_shard(&format!("crash:{c}:n"), sh, SHARDS, COUNTERS_PER_SHARD)
                })
                .map(|k| (k, 0, 0))
                .collect(),
            ..Tally::default()
        };
        t.ids.0 = redis::cmd("CLIENT").arg("ID").query(&mut con).unwrap_or(-1);
        let deadline = Instant::now() + TRAFFIC_DEADLINE;
        for i in 0..MAX_OPS_PER_CLIENT {
            if traffic.stop.load(Ordering::Relaxed) || Instant::now() >= deadline {
                break;
            }
            let (outcome, what) = if i % 2 == 0 {
                let n = (i / 2) as usize % t.counters.len();
                let key = t.counters[n].0.clone();
                let r: redis::RedisResult<u64> = redis::cmd("INCR").arg(&key).query(&mut con);
                match &r {
                    Ok(v) => {
                        let (_, acked, unknown) = &mut t.counters[n];
                        *acked += 1;
                        // The reply itself is within the bound at every step.
                        if *v < *acked || *v > *acked + *unknown {
                            t.unexpected.push(format!(
                                "INCR {key} -> {v} after {acked} acknowledged, {unknown} unknown"
                            ));
                        }
                    }
                    Err(_) => t.counters[n].2 += 1,
                }
                (r.map(|_| ()), format!("INCR {key}"))
            } else {
                let key = format!("crash:{c}:s:{i}");
                let value = format!("v{c}-{i}");
                let r: redis::RedisResult<()> =
                    redis::cmd("SET").arg(&key).arg(&value).query(&mut con);
                t.sets.push((key.clone(), value, r.is_ok()));
                (r, format!("SET {key}"))
            };
            match outcome {
                Ok(()) => {
                    traffic.acked.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) if is_unavailable(&e) => {}
                Err(e) if expect_io_errors && e.is_io_error() => return t,
                Err(e) => {
                    t.unexpected.push(format!("{what}: {e}"));
                    return t;
                }
            }
        }
        t.ids.1 = match redis::cmd("CLIENT").arg("ID").query(&mut con) {
            Ok(id) => id,
            Err(e) => {
                t.unexpected
                    .push(format!("CLIENT ID after the traffic: {e}"));
                -1
            }
        };
        t
    })
}

/// Waits until the clients have had `n` more commands acknowledged.
fn wait_acks(traffic: &Traffic, n: u64) {
    let start = traffic.acked.load(Ordering::Relaxed);
    wait_until(IO_TIMEOUT, "more acknowledged commands", || {
        traffic.acked.load(Ordering::Relaxed) >= start + n
    });
}

/// Kills shard `id` with SIGKILL and waits (bounded) until the supervisor
/// has restarted it and it serves a GET again; returns how long that took.
fn kill_and_wait(s: &Server, id: usize, probe: &str) -> Duration {
    let pid = s.shard_pid(id).expect("the shard is running");
    // SAFETY: killing a shard process this test's proxy started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    let t = Instant::now();
    wait_until(IO_TIMEOUT, "the shard to die", || !pid_alive(pid));
    let mut c = s.raw();
    wait_until(RESTART_TIMEOUT, "the shard to serve again", || {
        s.shard_pid(id).is_some_and(|p| p != pid)
            && c.try_cmd(&["GET", probe])
                .is_ok_and(|r| r.starts_with(b"$"))
    });
    t.elapsed()
}

/// The values of `keys`, read with pipelined GETs.
fn get_all(con: &mut redis::Connection, keys: &[&str]) -> Vec<Option<String>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let mut p = redis::pipe();
        for k in chunk {
            p.cmd("GET").arg(*k);
        }
        let got: Vec<Option<String>> = p.query(con).expect("pipelined GETs");
        out.extend(got);
    }
    out
}

/// Checks every counter and SET of `tallies` through a fresh connection.
fn check_data(url: &str, tallies: &[Tally]) {
    let mut con = common::client_for(url);
    let mut problems = Vec::new();
    for t in tallies {
        problems.extend(t.unexpected.iter().cloned());
        let keys: Vec<&str> = t.counters.iter().map(|c| c.0.as_str()).collect();
        for ((key, acked, unknown), v) in t.counters.iter().zip(get_all(&mut con, &keys)) {
            let v: u64 = v.as_deref().unwrap_or("0").parse().expect("a counter");
            if v < *acked || v > acked + unknown {
                problems.push(format!(
                    "{key} = {v}, with {acked} acknowledged and {unknown} unknown INCRs"
                ));
            }
        }
        let keys: Vec<&str> = t.sets.iter().map(|s| s.0.as_str()).collect();
        for ((key, value, acked), v) in t.sets.iter().zip(get_all(&mut con, &keys)) {
            match v {
                Some(v) if &v == value => {}
                None if !acked => {}
                other => {
                    problems.push(format!("{key} = {other:?}, want {value:?} (acked {acked})"))
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems: {problems:#?}",
        problems.len()
    );
}

fn summary(tallies: &[Tally]) -> (u64, u64) {
    let incr: (u64, u64) = tallies
        .iter()
        .flat_map(|t| &t.counters)
        .fold((0, 0), |a, c| (a.0 + c.1, a.1 + c.2));
    let sets = tallies.iter().flat_map(|t| &t.sets);
    let set_acked = sets.clone().filter(|s| s.2).count() as u64;
    let set_unknown = sets.filter(|s| !s.2).count() as u64;
    (incr.0 + set_acked, incr.1 + set_unknown)
}

/// Four clients write while shards are killed [`KILLS`] times; then every
/// acknowledged write is checked, and every client still has its connection.
fn shards_killed_under_traffic(appendfsync: &str) {
    let s = Server::start(
        Opts::shards(SHARDS)
            .workers(2)
            .flag("--appendfsync", appendfsync),
    );
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "GET", "appendfsync"],
        common::arr(&[common::bulk("appendfsync"), common::bulk(appendfsync)]),
    );
    let traffic = Arc::new(Traffic::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| client(s.url(), i, traffic.clone(), false))
        .collect();
    wait_acks(&traffic, ACKS_BETWEEN_KILLS);
    let mut restarts = Vec::new();
    for &id in &KILLS {
        let probe = key_on_shard("crash:probe", id, SHARDS);
        restarts.push(kill_and_wait(&s, id, &probe));
        wait_acks(&traffic, ACKS_BETWEEN_KILLS);
    }
    traffic.stop.store(true, Ordering::Relaxed);
    let tallies: Vec<Tally> = clients
        .into_iter()
        .map(|h| h.join().expect("a client thread"))
        .collect();
    // The restarted shards run with the same policy.
    let want = format!("--appendfsync\0{appendfsync}\0");
    for id in 0..SHARDS {
        let pid = s.shard_pid(id).expect("shard running");
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        assert!(
            cmdline.windows(want.len()).any(|w| w == want.as_bytes()),
            "shard {id} runs without --appendfsync {appendfsync}"
        );
    }
    for (i, t) in tallies.iter().enumerate() {
        assert!(
            t.ids.0 > 0 && t.ids.0 == t.ids.1,
            "client {i} changed connection: CLIENT ID {:?} ({:?})",
            t.ids,
            t.unexpected
        );
    }
    let (acked, unknown) = summary(&tallies);
    eprintln!(
        "appendfsync {appendfsync}: {acked} acknowledged, {unknown} unknown; \
         kill-to-serving times {restarts:?}"
    );
    check_data(&s.url(), &tallies);
}

#[test]
fn shards_killed_under_traffic_lose_nothing_acknowledged_with_appendfsync_always() {
    shards_killed_under_traffic("always");
}

/// With everysec a killed shard *process* loses nothing either: its log
/// writes are in the kernel's page cache. (A crash of the machine could
/// lose up to about a second; that is not what this test does.)
#[test]
fn shards_killed_under_traffic_lose_nothing_acknowledged_with_appendfsync_everysec() {
    shards_killed_under_traffic("everysec");
}

/// A proxy killed with SIGKILL in front of shards started on their own
/// (`--attach`, as ops/start runs them): a new proxy finds every
/// acknowledged write, and so does one in front of the same shards after
/// they too were killed and started again from their data directories.
#[test]
fn a_proxy_killed_under_traffic_loses_nothing_acknowledged() {
    let dir = TempDir::new();
    let tallies = {
        let shards = Shards::start(SHARDS, &dir.0);
        let mut s = Server::start(Opts::default().attach(&shards.sockets()));
        let traffic = Arc::new(Traffic::default());
        let clients: Vec<_> = (0..2)
            .map(|i| client(s.url(), i, traffic.clone(), true))
            .collect();
        wait_acks(&traffic, 300);
        s.signal_proxy(libc::SIGKILL);
        assert!(
            s.wait_exit(IO_TIMEOUT).is_some(),
            "the proxy dies with SIGKILL"
        );
        let tallies: Vec<Tally> = clients
            .into_iter()
            .map(|h| h.join().expect("a client thread"))
            .collect();
        for pid in shards.pids() {
            assert!(pid_alive(pid), "shard {pid} outlives the proxy");
        }
        let s = Server::start(Opts::default().attach(&shards.sockets()));
        check_data(&s.url(), &tallies);
        let (acked, unknown) = summary(&tallies);
        eprintln!("proxy killed: {acked} acknowledged, {unknown} unknown");
        tallies
        // Dropped: the proxy, then the shards, are killed with SIGKILL.
    };
    // The killed shards left their sockets behind: wait for the new ones.
    for id in 0..SHARDS {
        let _ = std::fs::remove_file(dir.0.join(format!("shard-{id}")).join("shard.sock"));
    }
    let shards = Shards::start(SHARDS, &dir.0);
    let s = Server::start(Opts::default().attach(&shards.sockets()));
    check_data(&s.url(), &tallies);
}

/// `--appendonly no` reaches the shards: nothing is logged, and a killed
/// shard comes back empty (what Redis does with no persistence).
#[test]
fn with_appendonly_no_a_killed_shard_comes_back_empty() {
    let s = Server::start(Opts::shards(SHARDS).flag("--appendonly", "no"));
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "GET", "appendonly"],
        common::arr(&[common::bulk("appendonly"), common::bulk("no")]),
    );
    let k = key_on_shard("crash:volatile", 0, SHARDS);
    c.expect(&["SET", &k, "v"], common::OK);
    kill_and_wait(&s, 0, &k);
    c.expect(&["GET", &k], common::NIL);
    let logs = std::fs::read_dir(s.data_dir.join("shard-0"))
        .map(|d| {
            d.flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("aof."))
                .count()
        })
        .unwrap_or(0);
    assert_eq!(logs, 0, "no append-only log is written");
}
