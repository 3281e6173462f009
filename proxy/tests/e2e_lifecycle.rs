//! Shard processes dying and the server stopping: a dead shard fails
//! only its own commands and comes back; SHUTDOWN and SIGTERM stop the
//! proxy and every shard it started. Placement: the CPUs the workers and
//! shards are told to run on are the ones they run on.

mod common;

use std::time::{Duration, Instant};

use common::{
    bulk, key_on_shard, pid_alive, proxy_bin, wait_until, Opts, Server, TempDir, IO_TIMEOUT, OK,
};

const SHARDS: usize = 3;

fn kill_shard(s: &Server, id: usize) -> u32 {
    let pid = s.shard_pid(id).expect("the shard is running");
    // SAFETY: killing a shard process this test started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until(IO_TIMEOUT, "the shard to die", || !pid_alive(pid));
    pid
}

#[test]
fn a_killed_shard_fails_only_its_own_commands_and_comes_back() {
    let s = Server::start(Opts::shards(SHARDS).flag("--shard-wait-timeout-ms", "2000"));
    let a = key_on_shard("life", 0, SHARDS);
    let b = key_on_shard("life", 1, SHARDS);
    let mut c = s.raw();
    c.expect(&["SET", &a, "1"], OK);
    c.expect(&["SET", &b, "1"], OK);
    let old = kill_shard(&s, 1);
    // The other shards answer at once.
    let t = Instant::now();
    c.expect(&["GET", &a], bulk("1"));
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "took {:?}",
        t.elapsed()
    );
    // The supervisor restarts shard 1 and its commands work again.
    wait_until(IO_TIMEOUT, "shard 1 to serve again", || {
        c.cmd(&["SET", &b, "2"]) == OK.as_bytes()
    });
    c.expect(&["GET", &b], bulk("2"));
    let new = s.shard_pid(1).expect("shard 1 restarted");
    assert_ne!(new, old);
    assert!(pid_alive(s.pid()), "the proxy survives");
}

#[test]
fn requests_in_flight_on_a_dying_shard_get_a_reply_each() {
    const N: usize = 5_000;
    let s = Server::start(Opts::shards(SHARDS).flag("--shard-wait-timeout-ms", "2000"));
    let b = key_on_shard("inflight", 1, SHARDS);
    let mut c = s.raw();
    let mut bytes = Vec::new();
    for i in 0..N {
        bytes.extend(common::encode(&["SET", &b, &i.to_string()]));
    }
    c.send(&bytes);
    kill_shard(&s, 1);
    let unavailable = "-ERR shard 1 is unavailable\r\n";
    let (mut ok, mut failed) = (0, 0);
    for i in 0..N {
        let r = c.read_reply();
        match String::from_utf8_lossy(&r).as_ref() {
            OK => ok += 1,
            t if t == unavailable => failed += 1,
            other => panic!("reply {i}: {other:?}"),
        }
    }
    eprintln!("{ok} acknowledged, {failed} failed while the shard died");
    // The connection is still in step: the next reply is the next command's.
    c.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn shutdown_stops_the_proxy_and_its_shards() {
    let mut s = Server::with_shards(SHARDS);
    let shards: Vec<u32> = (0..SHARDS).filter_map(|i| s.shard_pid(i)).collect();
    assert_eq!(shards.len(), SHARDS);
    let mut c = s.raw();
    c.send(&common::encode(&["SHUTDOWN"]));
    let status = s
        .wait_exit(Duration::from_secs(10))
        .expect("the proxy exits");
    assert!(status.success(), "{status}");
    wait_until(IO_TIMEOUT, "the shards to stop", || {
        shards.iter().all(|&p| !pid_alive(p))
    });
}

#[test]
fn shutdown_checks_its_flags_and_closes_without_a_reply() {
    let mut s = Server::with_shards(2);
    let mut c = s.raw();
    let syntax = "-ERR syntax error\r\n";
    c.expect(&["SHUTDOWN", "later"], syntax);
    c.expect(&["SHUTDOWN", "SAVE", "NOSAVE"], syntax);
    c.expect(&["SHUTDOWN", "NOW", "ABORT"], syntax);
    c.expect(&["SHUTDOWN", "ABORT"], "-ERR No shutdown in progress.\r\n");
    c.expect(&["MULTI"], OK);
    c.expect(
        &["SHUTDOWN"],
        "-ERR Command not allowed inside a transaction\r\n",
    );
    c.expect(&["DISCARD"], OK);
    // Redis sends nothing for a shutdown that goes ahead: redis-py's
    // `shutdown()` counts a reply as a failure.
    c.send(&common::encode(&["SHUTDOWN", "NOSAVE", "NOW"]));
    assert!(c.closed_within(IO_TIMEOUT), "the connection closes");
    assert_eq!(c.take_buffered(), b"", "no reply");
    let status = s.wait_exit(IO_TIMEOUT).expect("the proxy exits");
    assert!(status.success(), "{status}");
}

/// Writes one key per shard named from `prefix`, with `appendonly no`
/// and a save point that is not due: only a snapshot at the shutdown
/// keeps them.
fn write_unlogged(s: &Server, prefix: &str) -> Vec<String> {
    let keys: Vec<String> = (0..SHARDS)
        .map(|i| key_on_shard(prefix, i, SHARDS))
        .collect();
    let mut c = s.raw();
    for k in &keys {
        c.expect(&["SET", k, k], OK);
    }
    keys
}

fn found(s: &Server, keys: &[String]) -> usize {
    let mut c = s.raw();
    keys.iter()
        .filter(|k| c.cmd_str(&["GET", k]) == bulk(k))
        .count()
}

fn stopped(mut s: Server) {
    let status = s.wait_exit(IO_TIMEOUT).expect("the proxy exits");
    assert!(status.success(), "{status}");
}

#[test]
fn a_shutdown_snapshots_first_when_save_points_are_set_unless_nosave() {
    let data = TempDir::new();
    let opts = || {
        Opts::shards(SHARDS)
            .data_dir(&data.0)
            .flag("--appendonly", "no")
            .config_file("save 3600 1\n")
    };
    // SHUTDOWN with save points set: saved first.
    let s = Server::start(opts());
    let first = write_unlogged(&s, "first");
    s.raw().send(&common::encode(&["SHUTDOWN"]));
    stopped(s);
    let s = Server::start(opts());
    assert_eq!(found(&s, &first), SHARDS, "kept by SHUTDOWN");
    // SIGTERM (`shutdown-on-sigterm default`): the same.
    let second = write_unlogged(&s, "second");
    s.signal_proxy(libc::SIGTERM);
    stopped(s);
    let s = Server::start(opts());
    assert_eq!(found(&s, &second), SHARDS, "kept by SIGTERM");
    // SHUTDOWN NOSAVE: what was written since the last snapshot is gone.
    let third = write_unlogged(&s, "third");
    s.raw().send(&common::encode(&["SHUTDOWN", "NOSAVE"]));
    stopped(s);
    let s = Server::start(opts());
    assert_eq!(found(&s, &third), 0, "NOSAVE kept nothing new");
    assert_eq!(found(&s, &first) + found(&s, &second), 2 * SHARDS);
    // `shutdown-on-sigterm nosave`: SIGTERM saves nothing either.
    s.raw()
        .expect(&["CONFIG", "SET", "shutdown-on-sigterm", "nosave"], OK);
    let fourth = write_unlogged(&s, "fourth");
    s.signal_proxy(libc::SIGTERM);
    stopped(s);
    let s = Server::start(opts());
    assert_eq!(found(&s, &fourth), 0, "shutdown-on-sigterm nosave");
}

#[test]
fn sigterm_stops_the_proxy_and_its_shards() {
    let mut s = Server::with_shards(SHARDS);
    let shards: Vec<u32> = (0..SHARDS).filter_map(|i| s.shard_pid(i)).collect();
    assert_eq!(shards.len(), SHARDS);
    s.signal_proxy(libc::SIGTERM);
    let status = s
        .wait_exit(Duration::from_secs(10))
        .expect("the proxy exits");
    assert!(status.success(), "{status}");
    wait_until(IO_TIMEOUT, "the shards to stop", || {
        shards.iter().all(|&p| !pid_alive(p))
    });
}

#[test]
fn merged_replies_stay_in_step_when_one_of_their_shards_dies() {
    const N: usize = 2_000;
    let s = Server::start(Opts::shards(SHARDS).flag("--shard-wait-timeout-ms", "2000"));
    let a = key_on_shard("merge", 0, SHARDS);
    let b = key_on_shard("merge", 1, SHARDS);
    let mut c = s.raw();
    c.expect(&["SET", &a, "A"], OK);
    let mut bytes = Vec::new();
    for _ in 0..N {
        bytes.extend(common::encode(&["MGET", &a, &b]));
        bytes.extend(common::encode(&["EXISTS", &b, &a]));
    }
    c.send(&bytes);
    kill_shard(&s, 1);
    let unavailable = "-ERR shard 1 is unavailable\r\n";
    let mget_ok = format!("*2\r\n{}$-1\r\n", bulk("A"));
    for i in 0..N {
        let r = String::from_utf8_lossy(&c.read_reply()).into_owned();
        assert!(r == mget_ok || r == unavailable, "MGET {i}: {r:?}");
        let r = String::from_utf8_lossy(&c.read_reply()).into_owned();
        assert!(r == ":1\r\n" || r == unavailable, "EXISTS {i}: {r:?}");
    }
    c.expect(&["PING"], "+PONG\r\n");
    wait_until(IO_TIMEOUT, "shard 1 to serve again", || {
        c.cmd(&["MGET", &a, &b]) == mget_ok.as_bytes()
    });
}

/// `Cpus_allowed_list` of a task (`/proc/PID/task/TID/status`).
fn cpus_of(task: &str) -> String {
    let status = std::fs::read_to_string(format!("{task}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .map(|v| v.trim().to_string())
        .unwrap_or_default()
}

#[test]
fn workers_and_shards_run_on_the_cpus_they_are_given() {
    let allowed = ::common::cpus::allowed().expect("the test's CPUs");
    let cpu = allowed[allowed.len() - 1].to_string();
    let s = Server::start(
        Opts::shards(2)
            .flag("--worker-cpus", &cpu)
            .flag("--shard-cpus", &cpu),
    );
    let mut c = s.client();
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut c)
        .expect("INFO");
    assert!(
        info.contains(&format!(
            "shardis_placement:workers={cpu} shards={cpu} spin=no\r\n"
        )),
        "{info}"
    );
    // Both shards, and the proxy's worker thread (not its other threads).
    for id in 0..2 {
        let pid = s.shard_pid(id).expect("a shard pid");
        assert_eq!(cpus_of(&format!("/proc/{pid}")), cpu, "shard {id}");
    }
    let tasks = std::fs::read_dir(format!("/proc/{}/task", s.pid())).expect("the proxy's threads");
    let worker = tasks
        .flatten()
        .map(|t| t.path().display().to_string())
        .find(|t| {
            std::fs::read_to_string(format!("{t}/comm")).is_ok_and(|n| n.trim() == "worker-0")
        })
        .expect("a thread named worker-0");
    assert_eq!(cpus_of(&worker), cpu);
    for key in ["a", "b", "c", "d"] {
        let _: () = redis::cmd("SET")
            .arg(key)
            .arg(key)
            .query(&mut c)
            .expect("SET");
        let v: String = redis::cmd("GET").arg(key).query(&mut c).expect("GET");
        assert_eq!(v, key);
    }
}

/// Runs a proxy with `args` that must stop on its own (within
/// [`IO_TIMEOUT`], else it is killed by pid and the test fails); its exit
/// status and what it wrote to stderr.
fn run_to_exit(args: &[&std::ffi::OsStr]) -> (std::process::ExitStatus, String) {
    let mut child = std::process::Command::new(proxy_bin())
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the proxy");
    let deadline = Instant::now() + IO_TIMEOUT;
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the proxy started with {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("stderr"), &mut err)
        .expect("read stderr");
    (status, err)
}

#[test]
fn a_cpu_the_proxy_may_not_use_stops_it_at_start() {
    let dir = TempDir::new();
    let data = dir.0.join("data");
    for (flag, value, want) in [
        ("--shard-cpus", "1023", "shard-cpus: CPU 1023"),
        ("--worker-cpus", "0-x", "bad CPU list"),
        ("--cpu-affinity", "always", "auto or none"),
    ] {
        let args = ["--port", "0", "--shards", "1", "--dir"].map(std::ffi::OsStr::new);
        let (status, err) = run_to_exit(
            &[
                &args[..],
                &[data.as_os_str()],
                &[flag.as_ref(), value.as_ref()],
            ]
            .concat(),
        );
        assert!(!status.success(), "{flag} {value}");
        assert!(err.contains(want), "{flag} {value}: {err}");
    }
}

#[test]
fn a_second_proxy_on_a_data_directory_in_use_stops_with_an_error() {
    let dir = TempDir::new();
    let data = dir.0.join("data");
    let first = Server::start(Opts::shards(2).data_dir(&data));
    // Its shards find their directories locked by the first one's: it
    // stops at start rather than restart them again and again.
    let args = ["--port", "0", "--shards", "2", "--dir"].map(std::ffi::OsStr::new);
    let (status, err) = run_to_exit(&[&args[..], &[data.as_os_str()]].concat());
    assert!(!status.success());
    assert!(err.contains("is in use by another process"), "{err}");
    // The first one serves on, its data untouched.
    let mut c = first.client();
    let _: () = redis::cmd("SET")
        .arg("k")
        .arg("v")
        .query(&mut c)
        .expect("SET");
    let v: String = redis::cmd("GET").arg("k").query(&mut c).expect("GET");
    assert_eq!(v, "v");
}
