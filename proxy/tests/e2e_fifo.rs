//! Clients blocked on the same key are served first come, first served,
//! whether they wait on that key alone (on its shard) or on keys of
//! several shards (through the proxy): the oldest gets the element, as in
//! Redis (the replies below are redis-server 7.0.15's for the same
//! sequence).

mod common;

use std::time::{Duration, Instant};

use common::{encode, key_on_shard, Opts, Raw, Server};

const SHARDS: usize = 2;
const WAIT: Duration = Duration::from_secs(10);

/// Waits until `n` clients are blocked (bounded polling).
fn wait_blocked(watch: &mut Raw, n: usize) {
    let want = format!("blocked_clients:{n}\r\n");
    let start = Instant::now();
    while !watch.cmd_str(&["INFO", "clients"]).contains(&want) {
        assert!(start.elapsed() < WAIT, "{n} clients did not block");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A connection that sends blocking command `args` and is waiting when
/// this returns (with `blocked` clients waiting in all).
fn blocked(s: &Server, watch: &mut Raw, args: &[&str], blocked: usize) -> Raw {
    let mut c = s.raw();
    c.send(&encode(args));
    wait_blocked(watch, blocked);
    c
}

fn popped(key: &str, value: &str) -> String {
    format!(
        "*2\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
        key.len(),
        value.len()
    )
}

#[track_caller]
fn expect(c: &mut Raw, want: &str, who: &str) {
    let got = c
        .try_read_reply(WAIT)
        .unwrap_or_else(|_| panic!("{who} got no reply"));
    assert_eq!(String::from_utf8_lossy(&got), want, "{who}'s reply");
}

#[test]
fn the_oldest_waiter_gets_the_element_whatever_its_other_keys() {
    // Two workers: the waiters and the pusher come through either.
    let s = Server::start(Opts::shards(SHARDS).workers(2));
    let qa = key_on_shard("qa", 0, SHARDS);
    let qb = key_on_shard("qb", 1, SHARDS);
    let mut watch = s.raw();
    for round in 0..10 {
        // A waits over both shards, B on qb alone, D over both again.
        let mut a = blocked(&s, &mut watch, &["BLPOP", &qa, &qb, "0"], 1);
        let mut b = blocked(&s, &mut watch, &["BLPOP", &qb, "0"], 2);
        let mut d = blocked(&s, &mut watch, &["BLPOP", &qb, &qa, "0"], 3);
        let (x, y, z) = (
            format!("x{round}"),
            format!("y{round}"),
            format!("z{round}"),
        );
        watch.expect(&["RPUSH", &qb, &x, &y, &z], ":3\r\n");
        expect(&mut a, &popped(&qb, &x), "the first waiter");
        expect(&mut b, &popped(&qb, &y), "the second waiter");
        expect(&mut d, &popped(&qb, &z), "the third waiter");
        // One element: only the oldest gets it; the other keeps waiting.
        let mut a = blocked(&s, &mut watch, &["BLPOP", &qa, &qb, "0"], 1);
        let mut b = blocked(&s, &mut watch, &["BLPOP", &qb, "0"], 2);
        watch.expect(&["LPUSH", &qb, "one"], ":1\r\n");
        expect(
            &mut a,
            &popped(&qb, "one"),
            &format!("the older waiter (round {round})"),
        );
        wait_blocked(&mut watch, 1);
        watch.expect(&["LPUSH", &qb, "two"], ":1\r\n");
        expect(&mut b, &popped(&qb, "two"), "the younger waiter");
        wait_blocked(&mut watch, 0);
    }
}

#[test]
fn a_scripts_writes_wake_the_clients_blocked_on_them() {
    // With several shards a script's writes are told to watchers and
    // waiters when it ends whole; the waiters were once forgotten then
    // (they woke at their timeout). BullMQ's workers wait on a marker
    // sorted set its scripts add to, twice in a run at times.
    let s = Server::with_shards(SHARDS);
    let list = key_on_shard("jobs", 1, SHARDS);
    let marker = key_on_shard("marker", 0, SHARDS);
    let mut watch = s.raw();
    let mut a = blocked(&s, &mut watch, &["BLPOP", &list, "0"], 1);
    let push = "redis.call('RPUSH', KEYS[1], ARGV[1]) return 1";
    watch.expect(&["EVAL", push, "1", &list, "job1"], ":1\r\n");
    expect(&mut a, &popped(&list, "job1"), "the list's waiter");
    // The second ZADD changes nothing: the first's change still wakes.
    let mut b = blocked(&s, &mut watch, &["BZPOPMIN", &marker, "0"], 1);
    let mark = "redis.call('ZADD', KEYS[1], 0, 'm') redis.call('ZADD', KEYS[1], 0, 'm') return 1";
    watch.expect(&["EVAL", mark, "1", &marker], ":1\r\n");
    let want = format!(
        "*3\r\n${}\r\n{marker}\r\n$1\r\nm\r\n$1\r\n0\r\n",
        marker.len()
    );
    expect(&mut b, &want, "the marker's waiter");
}
