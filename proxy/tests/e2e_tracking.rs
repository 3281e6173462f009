//! Client-side caching (`CLIENT TRACKING`) through the real binaries:
//! invalidations for keys read on every shard, through reads over several
//! shards, transactions and scripts, `OPTIN`/`OPTOUT`, `NOLOOP`,
//! redirection, `BCAST` prefixes, expiry, flushes and a shard killed with
//! SIGKILL; and a client cache kept by invalidations that never holds a
//! stale value while another client writes, with two workers.

mod common;

use std::time::Duration;

use common::{
    bulk, encode, key_on_shard, pid_alive, wait_until, Opts, Raw, Server, IO_TIMEOUT, OK,
};

const SHARDS: usize = 3;

/// A RESP3 push `invalidate` of `keys`.
fn invalidate(keys: &[&str]) -> String {
    let mut s = format!(">2\r\n$10\r\ninvalidate\r\n*{}\r\n", keys.len());
    for k in keys {
        s.push_str(&format!("${}\r\n{k}\r\n", k.len()));
    }
    s
}

/// The RESP3 push saying every key changed.
const INVALIDATE_ALL: &str = ">2\r\n$10\r\ninvalidate\r\n_\r\n";

/// A connection speaking RESP3 that tracks keys with `options`.
fn tracking(s: &Server, options: &[&str]) -> Raw {
    let mut c = s.raw();
    let hello = String::from_utf8_lossy(&c.cmd(&["HELLO", "3"])).into_owned();
    assert!(hello.starts_with('%'), "{hello}");
    let mut cmd = vec!["CLIENT", "TRACKING", "on"];
    cmd.extend_from_slice(options);
    c.expect(&cmd, OK);
    c
}

/// The pushes that reached `c` before the answer to a PING sent now.
fn pushes(c: &mut Raw) -> Vec<String> {
    c.send(&encode(&["PING"]));
    let mut got = Vec::new();
    for _ in 0..1000 {
        let f = String::from_utf8_lossy(&c.read_reply()).into_owned();
        if f == "+PONG\r\n" {
            return got;
        }
        assert!(f.starts_with('>'), "not a push: {f:?}");
        got.push(f);
    }
    panic!("no PONG after 1000 pushes: {got:?}");
}

/// Sends `args` and reads up to its reply: the pushes before it, and it.
fn cmd_with_pushes(c: &mut Raw, args: &[&str]) -> (Vec<String>, String) {
    c.send(&encode(args));
    let mut before = Vec::new();
    loop {
        let f = String::from_utf8_lossy(&c.read_reply()).into_owned();
        if !f.starts_with('>') {
            return (before, f);
        }
        before.push(f);
    }
}

#[test]
fn a_read_is_invalidated_once_by_a_change_on_every_shard() {
    let s = Server::with_shards(SHARDS);
    let mut c = tracking(&s, &[]);
    let mut other = s.raw();
    let keys: Vec<String> = (0..SHARDS).map(|i| key_on_shard("k", i, SHARDS)).collect();
    for k in &keys {
        other.expect(&["SET", k, "1"], OK);
        c.expect(&["GET", k], bulk("1"));
    }
    // A key read but not changed, and a key changed but not read: nothing.
    let quiet = key_on_shard("quiet", 1, SHARDS);
    other.expect(&["SET", &quiet, "x"], OK);
    assert!(pushes(&mut c).is_empty());
    for k in &keys {
        other.expect(&["INCR", k], ":2\r\n");
    }
    let got = pushes(&mut c);
    let want: Vec<String> = keys.iter().map(|k| invalidate(&[k])).collect();
    assert_eq!(got, want);
    // Told once: the key is forgotten until read again.
    for k in &keys {
        other.expect(&["INCR", k], ":3\r\n");
    }
    assert!(pushes(&mut c).is_empty());
    // A write that changes nothing tells nobody; a deletion does.
    c.expect(&["GET", &keys[0]], bulk("3"));
    other.expect(&["SET", &keys[0], "3", "NX"], "$-1\r\n");
    assert!(pushes(&mut c).is_empty());
    other.expect(&["DEL", &keys[0]], ":1\r\n");
    assert_eq!(pushes(&mut c), vec![invalidate(&[&keys[0]])]);
}

#[test]
fn own_writes_are_told_after_their_reply_and_noloop_silences_them() {
    let s = Server::with_shards(SHARDS);
    let k = key_on_shard("own", 2, SHARDS);
    let mut c = tracking(&s, &[]);
    c.expect(&["HSET", &k, "f", "1"], ":1\r\n");
    c.expect(&["HGET", &k, "f"], bulk("1"));
    let (before, reply) = cmd_with_pushes(&mut c, &["HDEL", &k, "f"]);
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(reply, ":1\r\n");
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
    c.expect(&["CLIENT", "TRACKING", "on", "NOLOOP"], OK);
    c.expect(&["SET", &k, "v"], OK);
    c.expect(&["GET", &k], bulk("v"));
    c.expect(&["SET", &k, "w"], OK);
    assert!(pushes(&mut c).is_empty());
    // Another client's write still tells it.
    c.expect(&["GET", &k], bulk("w"));
    s.raw().expect(&["SET", &k, "z"], OK);
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
}

#[test]
fn reads_over_several_shards_transactions_and_scripts_are_remembered() {
    let s = Server::with_shards(SHARDS);
    let a = key_on_shard("a", 0, SHARDS);
    let b = key_on_shard("b", 1, SHARDS);
    let d = key_on_shard("d", 2, SHARDS);
    let mut w = s.raw();
    w.expect(&["MSET", &a, "1", &b, "2", &d, "3"], OK);
    let mut c = tracking(&s, &[]);
    let mut changed = |c: &mut Raw, keys: &[&String]| {
        for k in keys {
            w.expect(&["APPEND", k, "x"], &*format!(":{}\r\n", 2));
            w.expect(&["SET", k, "1"], OK);
        }
        let mut got = pushes(c);
        got.sort();
        let mut want: Vec<String> = keys.iter().map(|k| invalidate(&[k])).collect();
        want.sort();
        assert_eq!(got, want);
    };
    // MGET over three shards.
    let reply = String::from_utf8_lossy(&c.cmd(&["MGET", &a, &b, &d])).into_owned();
    assert!(reply.starts_with("*3\r\n"), "{reply}");
    changed(&mut c, &[&a, &b, &d]);
    // A transaction over two shards, and one on one shard.
    c.expect(&["MULTI"], OK);
    c.expect(&["GET", &a], "+QUEUED\r\n");
    c.expect(&["GET", &b], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*2\r\n$1\r\n1\r\n$1\r\n1\r\n");
    c.expect(&["MULTI"], OK);
    c.expect(&["STRLEN", &d], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*1\r\n:1\r\n");
    changed(&mut c, &[&a, &b, &d]);
    // A script that reads: its declared keys, on one shard and on two.
    let read = "return redis.call('GET', KEYS[1])";
    c.expect(&["EVAL", read, "1", &a], bulk("1"));
    c.expect(&["EVAL", read, "2", &b, &d], bulk("1"));
    changed(&mut c, &[&a, &b, &d]);
    // A script that only writes remembers nothing.
    let write = "redis.call('SET', KEYS[1], '1') return 1";
    c.expect(&["EVAL", write, "1", &a], ":1\r\n");
    w.expect(&["SET", &a, "1"], OK);
    assert!(pushes(&mut c).is_empty());
    // Keys brought together from several shards (SINTER).
    w.expect(&["DEL", &a, &b], ":2\r\n");
    w.expect(&["SADD", &a, "m"], ":1\r\n");
    w.expect(&["SADD", &b, "m"], ":1\r\n");
    c.expect(&["SINTER", &a, &b], "~1\r\n$1\r\nm\r\n");
    w.expect(&["SADD", &a, "n"], ":1\r\n");
    w.expect(&["SADD", &b, "n"], ":1\r\n");
    let mut got = pushes(&mut c);
    got.sort();
    let mut want = vec![invalidate(&[&a]), invalidate(&[&b])];
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn optin_and_optout_follow_client_caching_for_the_next_command() {
    let s = Server::with_shards(SHARDS);
    let k = key_on_shard("opt", 1, SHARDS);
    let mut w = s.raw();
    w.expect(&["SET", &k, "1"], OK);
    let mut c = tracking(&s, &["OPTIN"]);
    c.expect(&["GET", &k], bulk("1"));
    w.expect(&["SET", &k, "2"], OK);
    assert!(pushes(&mut c).is_empty());
    c.expect(&["CLIENT", "CACHING", "yes"], OK);
    c.expect(&["GET", &k], bulk("2"));
    w.expect(&["SET", &k, "3"], OK);
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
    // Only for the next command: this read is not remembered.
    c.expect(&["GET", &k], bulk("3"));
    w.expect(&["SET", &k, "4"], OK);
    assert!(pushes(&mut c).is_empty());
    // Nor do the CLIENT subcommands end it (Redis's rule).
    c.expect(&["CLIENT", "CACHING", "yes"], OK);
    let info = String::from_utf8_lossy(&c.cmd(&["CLIENT", "TRACKINGINFO"])).into_owned();
    assert!(info.contains("caching-yes"), "{info}");
    c.expect(&["GET", &k], bulk("4"));
    w.expect(&["SET", &k, "4"], OK);
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
    // Queued in a transaction that watches a key, CLIENT CACHING yes
    // covers the transaction's reads, and ends with its EXEC.
    let other = key_on_shard("opt-other", 0, SHARDS);
    c.expect(&["WATCH", &other], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["CLIENT", "CACHING", "yes"], "+QUEUED\r\n");
    c.expect(&["GET", &k], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*2\r\n+OK\r\n$1\r\n4\r\n");
    w.expect(&["SET", &k, "5"], OK);
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
    c.expect(&["GET", &k], bulk("5"));
    w.expect(&["SET", &k, "6"], OK);
    assert!(pushes(&mut c).is_empty());
    c.expect(
        &["CLIENT", "CACHING", "no"],
        "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n",
    );
    c.expect(&["CLIENT", "TRACKING", "off"], OK);
    c.expect(&["CLIENT", "TRACKING", "on", "OPTOUT"], OK);
    w.expect(&["SET", &k, "4"], OK);
    c.expect(&["CLIENT", "CACHING", "no"], OK);
    c.expect(&["GET", &k], bulk("4"));
    w.expect(&["SET", &k, "5"], OK);
    assert!(pushes(&mut c).is_empty());
    c.expect(&["GET", &k], bulk("5"));
    w.expect(&["SET", &k, "6"], OK);
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
    // A read queued before CLIENT CACHING no is remembered (Redis applies
    // it to the reads after it; shardis to none of the transaction's).
    c.expect(&["MULTI"], OK);
    c.expect(&["GET", &k], "+QUEUED\r\n");
    c.expect(&["CLIENT", "CACHING", "no"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*2\r\n$1\r\n6\r\n+OK\r\n");
    w.expect(&["SET", &k, "7"], OK);
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
}

#[test]
fn redirection_to_a_subscriber_and_broadcast_prefixes() {
    let s = Server::with_shards(SHARDS);
    let mut r = s.raw();
    let id = String::from_utf8_lossy(&r.cmd(&["CLIENT", "ID"]))
        .trim_start_matches(':')
        .trim_end()
        .to_string();
    r.expect(
        &["SUBSCRIBE", "__redis__:invalidate"],
        "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n",
    );
    let message = |keys: &[&str]| {
        let mut m = "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n".to_string();
        m.push_str(&format!("*{}\r\n", keys.len()));
        for k in keys {
            m.push_str(&format!("${}\r\n{k}\r\n", k.len()));
        }
        m
    };
    // A RESP2 client whose invalidations go to the subscriber.
    let mut c = s.raw();
    c.expect(&["CLIENT", "TRACKING", "on", "REDIRECT", &id], OK);
    c.expect(&["CLIENT", "GETREDIR"], &*format!(":{id}\r\n"));
    let k = key_on_shard("redir", 2, SHARDS);
    c.expect(&["GET", &k], "$-1\r\n");
    s.raw().expect(&["SET", &k, "1"], OK);
    assert_eq!(String::from_utf8_lossy(&r.read_reply()), message(&[&k]));
    // BCAST with prefixes: one message per prefix, keys of every shard.
    c.expect(&["CLIENT", "TRACKING", "off"], OK);
    c.expect(
        &[
            "CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", &id, "PREFIX", "user:", "PREFIX",
            "job:",
        ],
        OK,
    );
    let user: Vec<String> = (0..SHARDS)
        .map(|i| key_on_shard("user:", i, SHARDS))
        .collect();
    let mut w = s.raw();
    for u in &user {
        w.expect(&["SET", u, "1"], OK);
        assert_eq!(String::from_utf8_lossy(&r.read_reply()), message(&[u]));
    }
    w.expect(&["SET", "other:1", "1"], OK);
    w.expect(&["SET", "job:1", "1"], OK);
    assert_eq!(
        String::from_utf8_lossy(&r.read_reply()),
        message(&["job:1"])
    );
    let info = String::from_utf8_lossy(&c.cmd(&["CLIENT", "TRACKINGINFO"])).into_owned();
    assert!(
        info.contains("bcast") && info.contains("user:") && info.contains("job:"),
        "{info}"
    );
    let list = String::from_utf8_lossy(&c.cmd(&["CLIENT", "INFO"])).into_owned();
    assert!(
        list.contains(" flags=tB ") && list.contains(&format!(" redir={id} ")),
        "{list}"
    );
    assert_eq!(w.info_number("clients", "tracking_clients"), 1);
    assert_eq!(w.info_number("stats", "tracking_total_prefixes"), 2);
    // The subscriber leaves: the redirection is broken.
    drop(r);
    wait_until(IO_TIMEOUT, "the subscriber to leave", || {
        !String::from_utf8_lossy(&w.cmd(&["CLIENT", "LIST"])).contains(&format!("id={id} "))
    });
    w.expect(&["SET", "user:x", "2"], OK);
    wait_until(IO_TIMEOUT, "the redirection to be found broken", || {
        String::from_utf8_lossy(&c.cmd(&["CLIENT", "INFO"])).contains(" flags=tRB ")
    });
}

#[test]
fn expiry_flushes_and_a_killed_shard_invalidate() {
    let s = Server::with_shards(SHARDS);
    let mut w = s.raw();
    let k = key_on_shard("ttl", 1, SHARDS);
    let mut c = tracking(&s, &[]);
    w.expect(&["SET", &k, "v", "PX", "30"], OK);
    c.send(&encode(&["GET", &k]));
    let got = String::from_utf8_lossy(&c.read_reply()).into_owned();
    assert!(got == bulk("v") || got == "_\r\n", "{got}");
    // Expired by the shard's active expiry: the client hears of it.
    let mut seen = Vec::new();
    wait_until(IO_TIMEOUT, "the expiry's invalidation", || {
        seen.extend(pushes(&mut c));
        seen.contains(&invalidate(&[&k]))
    });
    assert_eq!(w.info_number("stats", "tracking_total_keys"), 0);
    // A flush: every tracking client is told once, with a null.
    let keys: Vec<String> = (0..SHARDS).map(|i| key_on_shard("f", i, SHARDS)).collect();
    for key in &keys {
        c.expect(&["GET", key], "_\r\n");
    }
    assert_eq!(w.info_number("stats", "tracking_total_keys"), SHARDS as i64);
    w.expect(&["FLUSHALL"], OK);
    assert_eq!(pushes(&mut c), vec![INVALIDATE_ALL.to_string()]);
    assert_eq!(w.info_number("stats", "tracking_total_keys"), 0);
    // A shard killed with SIGKILL forgets whom it told what: every
    // tracking client drops everything when it is back.
    c.expect(&["GET", &keys[2]], "_\r\n");
    let pid = s.shard_pid(2).expect("the shard runs");
    // SAFETY: killing a shard process this test's proxy started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until(IO_TIMEOUT, "the shard to die", || !pid_alive(pid));
    let mut seen = Vec::new();
    wait_until(
        Duration::from_secs(30),
        "the restarted shard's null",
        || {
            seen.extend(pushes(&mut c));
            seen.contains(&INVALIDATE_ALL.to_string())
        },
    );
    // Read again, remembered again by the new shard process.
    wait_until(Duration::from_secs(30), "the shard to serve", || {
        w.try_cmd(&["SET", &keys[2], "1"])
            .is_ok_and(|r| r == OK.as_bytes())
    });
    c.expect(&["GET", &keys[2]], bulk("1"));
    w.expect(&["SET", &keys[2], "2"], OK);
    let got = pushes(&mut c);
    assert!(got.contains(&invalidate(&[&keys[2]])), "{got:?}");
}

#[test]
fn tracking_table_max_keys_bounds_the_keys_over_every_shard() {
    let s = Server::with_shards(SHARDS);
    let mut c = tracking(&s, &[]);
    let mut w = s.raw();
    let keys: Vec<String> = (0..30).map(|i| format!("bound:{i}")).collect();
    for k in &keys {
        c.expect(&["GET", k], "_\r\n");
    }
    assert_eq!(w.info_number("stats", "tracking_total_keys"), 30);
    w.expect(&["CONFIG", "SET", "tracking-table-max-keys", "10"], OK);
    let mut told = Vec::new();
    wait_until(IO_TIMEOUT, "20 keys forgotten with an invalidation", || {
        told.extend(pushes(&mut c));
        told.len() >= 20
    });
    assert_eq!(told.len(), 20, "{told:?}");
    assert_eq!(w.info_number("stats", "tracking_total_keys"), 10);
}

/// A client cache (value by key) kept the way client libraries keep one:
/// filled by GET replies, emptied by invalidations.
struct Cache {
    values: std::collections::HashMap<String, String>,
}

impl Cache {
    fn apply(&mut self, frame: &str) {
        if frame == INVALIDATE_ALL {
            self.values.clear();
            return;
        }
        // `>2 $10 invalidate *n $len key...`: every key after the count.
        let lines: Vec<&str> = frame.split("\r\n").collect();
        for pair in lines.get(4..).unwrap_or_default().chunks(2) {
            if let [len, key] = pair {
                if len.starts_with('$') {
                    self.values.remove(*key);
                }
            }
        }
    }
}

#[test]
fn a_cache_kept_by_invalidations_never_holds_a_stale_value() {
    // Two workers: the reader and the writer may be on different ones,
    // the invalidations crossing from one to the other.
    let s = Server::start(Opts::shards(SHARDS).workers(2));
    let keys: Vec<String> = (0..12).map(|i| format!("cache:{i}")).collect();
    let mut w = s.raw();
    let mut truth = s.raw();
    for k in &keys {
        w.expect(&["SET", k, "0"], OK);
    }
    let mut c = tracking(&s, &[]);
    let mut cache = Cache {
        values: Default::default(),
    };
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % n as u64) as usize
    };
    for round in 0..600 {
        let k = &keys[next(keys.len())];
        // The read is in flight while the write happens: its reply and
        // the invalidation may reach the reader in either order, but a
        // stale value must never stay cached.
        if !cache.values.contains_key(k) {
            c.send(&encode(&["GET", k]));
        }
        let wk = &keys[next(keys.len())];
        let got = String::from_utf8_lossy(&w.cmd(&["INCR", wk])).into_owned();
        assert!(got.starts_with(':'), "{got}");
        if !cache.values.contains_key(k) {
            loop {
                let f = String::from_utf8_lossy(&c.read_reply()).into_owned();
                if f.starts_with('>') {
                    cache.apply(&f);
                    continue;
                }
                let v = f.split("\r\n").nth(1).unwrap_or_default().to_string();
                cache.values.insert(k.clone(), v);
                break;
            }
        }
        for f in pushes(&mut c) {
            cache.apply(&f);
        }
        // Every write so far has been answered: what is cached is true.
        for (key, v) in &cache.values {
            let now = String::from_utf8_lossy(&truth.cmd(&["GET", key])).into_owned();
            assert_eq!(now, bulk(v), "round {round}: {key} cached as {v}");
        }
    }
}

#[test]
fn review_cases_tracking_survives_failed_scripts_multi_large_replies_and_slot_moves() {
    let s = Server::with_shards(2);
    let mut w = s.raw();
    let k = key_on_shard("rk", 1, 2);
    w.expect(&["SET", &k, "1"], OK);
    // A tracking client's script that fails to compile on the shard must
    // not leave that shard unable to remember later reads.
    let mut c = tracking(&s, &[]);
    let bad =
        String::from_utf8_lossy(&c.cmd(&["EVAL", "return redis.call('get',KEYS[1]", "1", &k]))
            .into_owned();
    assert!(bad.starts_with('-'), "{bad}");
    c.expect(&["GET", &k], bulk("1"));
    w.expect(&["SET", &k, "2"], OK);
    assert_eq!(pushes(&mut c), vec![invalidate(&[&k])]);
    // CLIENT TRACKING inside MULTI: its invalidations still reach the
    // connection (not EXEC's capture).
    let mut m = s.raw();
    assert!(m.cmd(&["HELLO", "3"]).starts_with(b"%"));
    m.expect(&["MULTI"], OK);
    m.expect(&["CLIENT", "TRACKING", "on"], "+QUEUED\r\n");
    m.expect(&["EXEC"], "*1\r\n+OK\r\n");
    m.expect(&["GET", &k], bulk("2"));
    w.expect(&["SET", &k, "3"], OK);
    assert_eq!(pushes(&mut m), vec![invalidate(&[&k])]);
    // An invalidation made during an EXEC with a large reply reaches the
    // client without another command of its own.
    let big = key_on_shard("big", 0, 2);
    let elems: Vec<String> = (0..2000)
        .map(|i| format!("element-{i:08}-{}", "x".repeat(40)))
        .collect();
    let mut rpush = vec!["RPUSH", big.as_str()];
    rpush.extend(elems.iter().map(String::as_str));
    w.cmd(&rpush);
    c.expect(&["GET", &k], bulk("3"));
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &k, "4"], "+QUEUED\r\n");
    c.expect(&["LRANGE", &big, "0", "-1"], "+QUEUED\r\n");
    let exec = String::from_utf8_lossy(&c.cmd(&["EXEC"])).into_owned();
    assert!(
        exec.starts_with("*2\r\n+OK\r\n*2000\r\n"),
        "{}",
        &exec[..40.min(exec.len())]
    );
    let push = String::from_utf8_lossy(&c.read_reply()).into_owned();
    assert_eq!(push, invalidate(&[&k]));
    // A slot moved to another shard: whoever may cache its keys is told
    // (the new shard remembers nobody).
    let keys: Vec<String> = (0..40).map(|i| format!("moving:{i}")).collect();
    for key in &keys {
        w.expect(&["SET", key, "v"], OK);
        c.expect(&["GET", key], bulk("v"));
    }
    let mut con = s.client();
    let ok: String = redis::cmd("SHARDIS")
        .arg("SCALE")
        .arg(3)
        .query(&mut con)
        .expect("SHARDIS SCALE");
    assert_eq!(ok, "OK");
    let mut told = Vec::new();
    wait_until(Duration::from_secs(60), "the scale to end", || {
        told.extend(pushes(&mut c));
        let status: String = redis::cmd("SHARDIS")
            .arg("STATUS")
            .query(&mut con)
            .unwrap_or_default();
        status.contains("shards:3") && status.contains("scale_target:-")
    });
    told.extend(pushes(&mut c));
    // Some keys moved and were told; every other one is still remembered
    // where it is: a write to it tells the client. None stays cached
    // untold.
    assert!(!told.is_empty() && told.len() < keys.len(), "{told:?}");
    for key in &keys {
        if told.contains(&invalidate(&[key])) {
            continue;
        }
        w.expect(&["SET", key, "w"], OK);
        assert_eq!(pushes(&mut c), vec![invalidate(&[key])], "{key}");
    }
}

#[test]
fn a_resp3_connection_that_subscribes_to_nothing_gets_the_invalidations_redirected_to_it() {
    // Two workers: the tracking clients and their redirection may live
    // on different ones; the redirection has no mailbox until the first
    // invalidation makes it one, which its connection takes up.
    let s = Server::start(Opts::shards(2).workers(2));
    let mut r = s.raw();
    assert!(r.cmd(&["HELLO", "3"]).starts_with(b"%"));
    let id = String::from_utf8_lossy(&r.cmd(&["CLIENT", "ID"]))
        .trim_start_matches(':')
        .trim_end()
        .to_string();
    let mut w = s.raw();
    let mut trackers: Vec<Raw> = (0..4).map(|_| s.raw()).collect();
    for (i, t) in trackers.iter_mut().enumerate() {
        t.expect(&["CLIENT", "TRACKING", "on", "REDIRECT", &id], OK);
        let k = format!("redirected:{i}");
        t.expect(&["GET", &k], "$-1\r\n");
    }
    for i in 0..4 {
        let k = format!("redirected:{i}");
        w.expect(&["SET", &k, "1"], OK);
        let got = String::from_utf8_lossy(&r.read_reply()).into_owned();
        assert_eq!(got, invalidate(&[&k]));
    }
    // Its own commands still answer, after what reached it.
    r.expect(&["PING"], "+PONG\r\n");
}
