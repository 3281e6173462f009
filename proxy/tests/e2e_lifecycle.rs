//! Shard processes dying and the server stopping: a dead shard fails
//! only its own commands and comes back; SHUTDOWN and SIGTERM stop the
//! proxy and every shard it started.

mod common;

use std::time::{Duration, Instant};

use common::{bulk, key_on_shard, pid_alive, wait_until, Opts, Server, IO_TIMEOUT, OK};

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
