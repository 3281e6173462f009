//! MULTI/EXEC/DISCARD/WATCH through the real binaries: queueing, EXECABORT,
//! runtime errors in place, WATCH made dirty by another client, by expiry
//! and by FLUSHALL, and transactions over keys on several shards.

mod common;

use common::{bulk, encode, err, int, key_on_shard, Raw, Server, NIL, OK};

const SHARDS: usize = 3;

#[test]
fn queued_commands_run_in_order_with_errors_in_place() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = key_on_shard("tx", 1, SHARDS);
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &k, "1"], "+QUEUED\r\n");
    c.expect(&["INCR", &k], "+QUEUED\r\n");
    c.expect(&["LPUSH", &k, "x"], "+QUEUED\r\n");
    c.expect(&["PING"], "+QUEUED\r\n");
    c.expect(&["GET", &k], "+QUEUED\r\n");
    c.expect(
        &["EXEC"],
        format!(
            "*5\r\n+OK\r\n:2\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n+PONG\r\n{}",
            bulk("2")
        ),
    );
    c.expect(&["EXEC"], err("ERR EXEC without MULTI"));
    c.expect(&["DISCARD"], err("ERR DISCARD without MULTI"));
}

#[test]
fn a_refused_command_aborts_exec_and_nothing_runs() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = key_on_shard("abort", 0, SHARDS);
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &k, "1"], "+QUEUED\r\n");
    c.expect(
        &["GET"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    let unknown = c.cmd_str(&["NOSUCHCOMMAND"]);
    assert!(unknown.starts_with("-ERR unknown command"), "{unknown}");
    c.expect(&["MULTI"], err("ERR MULTI calls can not be nested"));
    c.expect(&["WATCH", &k], err("ERR WATCH inside MULTI is not allowed"));
    c.expect(
        &["EXEC"],
        err("EXECABORT Transaction discarded because of previous errors."),
    );
    c.expect(&["EXISTS", &k], int(0));
}

#[test]
fn discard_drops_the_queue_and_the_watches() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut other = s.raw();
    let k = key_on_shard("discard", 2, SHARDS);
    c.expect(&["WATCH", &k], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &k, "1"], "+QUEUED\r\n");
    c.expect(&["DISCARD"], OK);
    c.expect(&["EXISTS", &k], int(0));
    // DISCARD unwatched: a later change does not fail the next EXEC.
    other.expect(&["SET", &k, "x"], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["GET", &k], "+QUEUED\r\n");
    c.expect(&["EXEC"], format!("*1\r\n{}", bulk("x")));
}

#[test]
fn watch_fails_exec_when_another_client_writes_the_key() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut other = s.raw();
    let k = key_on_shard("watched", 1, SHARDS);
    c.expect(&["SET", &k, "1"], OK);
    c.expect(&["WATCH", &k], OK);
    other.expect(&["INCR", &k], int(2));
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &k, "100"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*-1\r\n");
    c.expect(&["GET", &k], bulk("2"));
    // EXEC unwatched: the next transaction runs.
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &k, "100"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*1\r\n+OK\r\n");
    // A write that changes nothing (DEL of a missing key) does not touch.
    let missing = key_on_shard("missing", 1, SHARDS);
    c.expect(&["WATCH", &missing], OK);
    other.expect(&["DEL", &missing], int(0));
    c.expect(&["MULTI"], OK);
    c.expect(&["PING"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*1\r\n+PONG\r\n");
    // Nor does a SET that NX or XX kept from setting (with GET too).
    for (key, extra) in [
        (&k, &["NX"][..]),
        (&missing, &["XX"][..]),
        (&k, &["NX", "GET"][..]),
    ] {
        c.expect(&["WATCH", key], OK);
        let mut set = vec!["SET", key.as_str(), "other"];
        set.extend_from_slice(extra);
        let want = match extra.contains(&"GET") {
            true => bulk("100"),
            false => NIL.to_string(),
        };
        other.expect(&set, want);
        c.expect(&["MULTI"], OK);
        c.expect(&["PING"], "+QUEUED\r\n");
        c.expect(&["EXEC"], "*1\r\n+PONG\r\n");
    }
    c.expect(&["GET", &k], bulk("100"));
    // A queued SELECT does not take effect when the watch fails EXEC.
    c.expect(&["WATCH", &k], OK);
    other.expect(&["SET", &k, "101"], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["SELECT", "1"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*-1\r\n");
    assert!(c.cmd_str(&["CLIENT", "INFO"]).contains(" db=0 "));
    c.expect(&["GET", &k], bulk("101"));
}

#[test]
fn a_failed_watched_exec_runs_none_of_the_proxys_own_commands() {
    // PUBLISH, CLIENT SETNAME, CONFIG SET and SELECT are the proxy's own:
    // with a watched key changed, EXEC answers a null array and none of
    // them happened (as redis-server, which runs nothing); with the
    // watches holding they run in order with the shards' commands.
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut other = s.raw();
    let mut sub = s.raw();
    let k = key_on_shard("watched", 2, SHARDS);
    let x = key_on_shard("written", 0, SHARDS);
    sub.expect(
        &["SUBSCRIBE", "news"],
        "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
    );
    let queue = |c: &mut Raw, tag: &str| {
        c.expect(&["MULTI"], OK);
        for cmd in [
            &["PUBLISH", "news", tag][..],
            &["CLIENT", "SETNAME", tag],
            &[
                "CONFIG",
                "SET",
                "slowlog-max-len",
                if tag == "failed" { "111" } else { "222" },
            ],
            &["SET", &x, tag],
            &["SELECT", "3"],
        ] {
            c.expect(cmd, "+QUEUED\r\n");
        }
    };
    c.expect(&["WATCH", &k], OK);
    other.expect(&["SET", &k, "changed"], OK);
    queue(&mut c, "failed");
    c.expect(&["EXEC"], "*-1\r\n");
    c.expect(&["CLIENT", "GETNAME"], NIL);
    let info = c.cmd_str(&["CLIENT", "INFO"]);
    assert!(info.contains(" db=0 "), "{info}");
    assert!(!c
        .cmd_str(&["CONFIG", "GET", "slowlog-max-len"])
        .contains("111"));
    c.expect(&["GET", &x], NIL);
    // The watches hold: everything runs, the subscriber hears only this.
    c.expect(&["WATCH", &k], OK);
    queue(&mut c, "done");
    let reply = c.cmd_str(&["EXEC"]);
    assert_eq!(reply, "*5\r\n:1\r\n+OK\r\n+OK\r\n+OK\r\n+OK\r\n", "{reply}");
    c.expect(&["CLIENT", "GETNAME"], bulk("done"));
    assert!(c.cmd_str(&["CLIENT", "INFO"]).contains(" db=3 "));
    assert!(c
        .cmd_str(&["CONFIG", "GET", "slowlog-max-len"])
        .contains("222"));
    c.expect(&["SELECT", "0"], OK);
    c.expect(&["GET", &x], bulk("done"));
    let heard = String::from_utf8_lossy(&sub.read_reply()).into_owned();
    assert_eq!(heard, "*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$4\r\ndone\r\n");
}

#[test]
fn watch_fails_on_flushall_and_on_expiry() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut other = s.raw();
    let k = key_on_shard("fl", 0, SHARDS);
    c.expect(&["SET", &k, "1"], OK);
    c.expect(&["WATCH", &k], OK);
    other.expect(&["FLUSHALL"], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["PING"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*-1\r\n");
    c.expect(&["SET", &k, "1", "PX", "20"], OK);
    c.expect(&["WATCH", &k], OK);
    common::wait_until(std::time::Duration::from_secs(5), "the key expires", || {
        other.cmd_str(&["EXISTS", &k]) == ":0\r\n"
    });
    c.expect(&["MULTI"], OK);
    c.expect(&["PING"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*-1\r\n");
}

#[test]
fn reset_and_disconnect_leave_no_transaction_behind() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = key_on_shard("reset", 0, SHARDS);
    c.expect(&["WATCH", &k], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &k, "1"], "+QUEUED\r\n");
    c.expect(&["RESET"], "+RESET\r\n");
    c.expect(&["EXEC"], err("ERR EXEC without MULTI"));
    c.expect(&["GET", &k], NIL);
    drop(c);
    let mut d = s.raw();
    d.expect(&["MULTI"], OK);
    d.expect(&["SET", &k, "2"], "+QUEUED\r\n");
    d.expect(&["EXEC"], "*1\r\n+OK\r\n");
}

#[test]
fn a_transaction_over_every_shard_runs_whole_with_errors_in_place() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let keys: Vec<String> = (0..SHARDS).map(|i| key_on_shard("x", i, SHARDS)).collect();
    c.expect(&["SET", &keys[1], "text"], OK);
    c.expect(&["MULTI"], OK);
    for k in &keys {
        c.expect(&["INCR", k], "+QUEUED\r\n");
    }
    c.expect(&["MGET", &keys[0], &keys[2]], "+QUEUED\r\n");
    c.expect(&["ECHO", "hi"], "+QUEUED\r\n");
    c.expect(&["DBSIZE"], "+QUEUED\r\n");
    c.expect(
        &["EXEC"],
        format!(
            "*6\r\n:1\r\n-ERR value is not an integer or out of range\r\n:1\r\n*2\r\n{}{}{}:3\r\n",
            bulk("1"),
            bulk("1"),
            bulk("hi")
        ),
    );
    // Nothing stays locked: plain commands on every key run.
    for k in &keys {
        c.expect(&["EXISTS", k], int(1));
    }
}

#[test]
fn watch_over_several_shards_fails_when_any_watched_key_changes() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut other = s.raw();
    let a = key_on_shard("wa", 0, SHARDS);
    let b = key_on_shard("wb", 2, SHARDS);
    c.expect(&["WATCH", &a, &b], OK);
    other.expect(&["SET", &b, "1"], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &a, "1"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*-1\r\n");
    c.expect(&["EXISTS", &a], int(0));
    // Watched on one shard, written on another: runs when nothing changed.
    let d = key_on_shard("wd", 1, SHARDS);
    c.expect(&["WATCH", &b], OK);
    c.expect(&["MULTI"], OK);
    c.expect(&["SET", &a, "2"], "+QUEUED\r\n");
    c.expect(&["SET", &d, "2"], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*2\r\n+OK\r\n+OK\r\n");
    other.expect(
        &["MGET", &a, &d],
        format!("*2\r\n{}{}", bulk("2"), bulk("2")),
    );
}

#[test]
fn commands_whose_keys_must_be_together_run_inside_a_transaction_over_shards() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let a = key_on_shard("ta", 0, SHARDS);
    let b = key_on_shard("tb", 1, SHARDS);
    let d = key_on_shard("td", 2, SHARDS);
    c.expect(&["SADD", &a, "x", "y"], int(2));
    c.expect(&["MULTI"], OK);
    c.expect(&["SMOVE", &a, &b, "x"], "+QUEUED\r\n");
    c.expect(&["SCARD", &a], "+QUEUED\r\n");
    c.expect(&["RENAME", &b, &d], "+QUEUED\r\n");
    c.expect(&["SISMEMBER", &d, "x"], "+QUEUED\r\n");
    c.expect(&["EXISTS", &b], "+QUEUED\r\n");
    c.expect(&["SUNIONSTORE", &b, &a, &d], "+QUEUED\r\n");
    c.expect(&["EXEC"], "*6\r\n:1\r\n:1\r\n+OK\r\n:1\r\n:0\r\n:2\r\n");
    c.expect(
        &["SORT", &b, "ALPHA"],
        format!("*2\r\n{}{}", bulk("x"), bulk("y")),
    );
    c.expect(&["EXISTS", &a, &b, &d], int(3));
}

#[test]
fn flushall_never_empties_part_of_a_transaction_over_several_shards() {
    // A writer sets two keys on different shards to the same number in one
    // transaction; a flusher runs FLUSHALL meanwhile; a reader reads both
    // in one transaction. The keys are both there with one number, or both
    // gone: never one of them only.
    const ROUNDS: i64 = 400;
    // Two workers: the three clients' connections land on both.
    let s = Server::start(common::Opts::shards(2).workers(2));
    let a = key_on_shard("flush-a", 0, 2);
    let b = key_on_shard("flush-b", 1, 2);
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (url, a, b, done) = (s.url(), a.clone(), b.clone(), done.clone());
        std::thread::spawn(move || {
            let mut c = common::client_for(&url);
            for i in 0..ROUNDS {
                let () = redis::pipe()
                    .atomic()
                    .set(&a, i)
                    .ignore()
                    .set(&b, i)
                    .ignore()
                    .query(&mut c)
                    .expect("the transfer");
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    let flusher = {
        let (url, done) = (s.url(), done.clone());
        std::thread::spawn(move || {
            let mut c = common::client_for(&url);
            let mut n = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) && n < 10 * ROUNDS {
                let () = redis::cmd("FLUSHALL").query(&mut c).expect("FLUSHALL");
                n += 1;
            }
            n
        })
    };
    let mut c = common::client_for(&s.url());
    let mut seen = Vec::new();
    for _ in 0..ROUNDS {
        let (x, y): (Option<i64>, Option<i64>) = redis::pipe()
            .atomic()
            .get(&a)
            .get(&b)
            .query(&mut c)
            .expect("the reading");
        if x != y {
            seen.push((x, y));
        }
    }
    writer.join().expect("the writer");
    let flushes = flusher.join().expect("the flusher");
    assert!(flushes > 0);
    assert!(seen.is_empty(), "half a transaction seen: {seen:?}");
}

#[test]
fn proxy_commands_that_ask_every_shard_answer_inside_exec_with_no_other_traffic() {
    // SLOWLOG, INFO, LATENCY and CONFIG SET ask every shard; queued, the
    // proxy runs them inside EXEC while the connection's read loop waits
    // for it. Their requests were published only when some other
    // connection's traffic flushed the rings: alone, EXEC never answered.
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    for cmd in [
        &["SLOWLOG", "RESET"][..],
        &["SLOWLOG", "LEN"],
        &["INFO", "keyspace"],
        &["LATENCY", "LATEST"],
        &["CONFIG", "SET", "slowlog-max-len", "100"],
    ] {
        c.expect(&["MULTI"], OK);
        c.expect(cmd, "+QUEUED\r\n");
        let reply = c.cmd_str(&["EXEC"]);
        assert!(reply.starts_with("*1\r\n"), "{cmd:?}: {reply:?}");
    }
}

/// `INFO stats`' count of transactions taken whole from one read.
fn tx_whole(c: &mut Raw) -> u64 {
    let info = c.cmd_str(&["INFO", "stats"]);
    info.lines()
        .find_map(|l| l.strip_prefix("shardis_tx_whole:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no shardis_tx_whole in {info}"))
}

/// Sends `cmds` in one write and returns their `replies` replies as text.
fn pipelined(c: &mut Raw, cmds: &[&[&str]], replies: usize) -> Vec<String> {
    let bytes: Vec<u8> = cmds.iter().flat_map(|a| encode(a)).collect();
    c.send(&bytes);
    (0..replies)
        .map(|_| String::from_utf8_lossy(&c.read_reply()).into_owned())
        .collect()
}

#[test]
fn a_pipelined_transaction_on_one_shard_is_taken_whole_with_redis_replies() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let q = "+QUEUED\r\n";
    let before = tx_whole(&mut c);
    let got = pipelined(
        &mut c,
        &[
            &["MULTI"],
            &["SET", "{w}a", "1"],
            &["INCR", "{w}a"],
            &["LPUSH", "{w}a", "x"],
            &["MSET", "{w}b", "2", "{w}c", "3"],
            &["MGET", "{w}a", "{w}b", "{w}c"],
            &["EXEC"],
            &["GET", "{w}a"],
        ],
        8,
    );
    let wrongtype = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    let want = [
        OK.to_string(),
        q.into(),
        q.into(),
        q.into(),
        q.into(),
        q.into(),
        format!(
            "*5\r\n+OK\r\n:2\r\n{wrongtype}+OK\r\n*3\r\n{}{}{}",
            bulk("2"),
            bulk("2"),
            bulk("3")
        ),
        bulk("2"),
    ];
    assert_eq!(got, want);
    assert_eq!(
        tx_whole(&mut c),
        before + 1,
        "the block went the general way"
    );
    // Two blocks in one write, each taken whole.
    let got = pipelined(
        &mut c,
        &[
            &["MULTI"],
            &["INCR", "{w}n"],
            &["EXEC"],
            &["MULTI"],
            &["INCRBY", "{w}n", "10"],
            &["GET", "{w}n"],
            &["EXEC"],
        ],
        7,
    );
    assert_eq!(got[2], "*1\r\n:1\r\n");
    assert_eq!(got[6], format!("*2\r\n:11\r\n{}", bulk("11")));
    assert_eq!(tx_whole(&mut c), before + 3);
    let stats = c.cmd_str(&["INFO", "commandstats"]);
    for name in ["multi", "exec"] {
        let line = stats
            .lines()
            .find(|l| l.starts_with(&format!("cmdstat_{name}:")))
            .unwrap_or_else(|| panic!("no {name} in {stats}"));
        assert!(line.contains("calls=3,"), "{line}");
    }
}

#[test]
fn a_block_of_up_to_64_commands_is_taken_whole_and_a_longer_one_is_not() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    for (n, taken) in [(64usize, 1u64), (65, 0)] {
        let before = tx_whole(&mut c);
        let key = format!("{{long{n}}}k");
        let mut cmds: Vec<Vec<&str>> = vec![vec!["MULTI"]];
        cmds.extend((0..n).map(|_| vec!["INCR", key.as_str()]));
        cmds.push(vec!["EXEC"]);
        let cmds: Vec<&[&str]> = cmds.iter().map(Vec::as_slice).collect();
        let got = pipelined(&mut c, &cmds, n + 2);
        assert!(got[1..=n].iter().all(|q| q == "+QUEUED\r\n"));
        let want: String = (1..=n).map(|i| int(i as i64)).collect();
        assert_eq!(got[n + 1], format!("*{n}\r\n{want}"));
        assert_eq!(tx_whole(&mut c), before + taken, "{n} commands");
    }
}

#[test]
fn a_transaction_the_fast_way_cannot_take_goes_the_general_way_with_the_same_replies() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut other = s.raw();
    let q = "+QUEUED\r\n";
    let (k0, k1) = (key_on_shard("gw", 0, SHARDS), key_on_shard("gw", 1, SHARDS));
    let before = tx_whole(&mut c);
    // Keys on two shards.
    let got = pipelined(
        &mut c,
        &[
            &["MULTI"],
            &["SET", &k0, "a"],
            &["SET", &k1, "b"],
            &["EXEC"],
        ],
        4,
    );
    assert_eq!(got, [OK, q, q, "*2\r\n+OK\r\n+OK\r\n"]);
    // A command the proxy answers (PING) queued.
    let got = pipelined(
        &mut c,
        &[&["MULTI"], &["GET", &k0], &["PING"], &["EXEC"]],
        4,
    );
    assert_eq!(got[3], format!("*2\r\n{}+PONG\r\n", bulk("a")));
    // A command refused while queueing: EXECABORT, nothing ran.
    let got = pipelined(
        &mut c,
        &[
            &["MULTI"],
            &["SET", &k0, "z"],
            &["GET"],
            &["EXEC"],
            &["GET", &k0],
        ],
        5,
    );
    assert_eq!(
        got[2],
        err("ERR wrong number of arguments for 'get' command")
    );
    assert_eq!(
        got[3],
        err("EXECABORT Transaction discarded because of previous errors.")
    );
    assert_eq!(got[4], bulk("a"));
    // A nested MULTI is refused in place.
    let got = pipelined(
        &mut c,
        &[&["MULTI"], &["MULTI"], &["GET", &k0], &["EXEC"]],
        4,
    );
    assert_eq!(got[1], err("ERR MULTI calls can not be nested"));
    assert_eq!(got[3], format!("*1\r\n{}", bulk("a")));
    // EXEC in a later write than its MULTI.
    let got = pipelined(&mut c, &[&["MULTI"], &["SET", &k0, "b"]], 2);
    assert_eq!(got, [OK, q]);
    c.expect(&["EXEC"], "*1\r\n+OK\r\n");
    // A watch on another shard than the block's: the watch is honoured.
    c.expect(&["WATCH", &k1], OK);
    other.expect(&["SET", &k1, "changed"], OK);
    let got = pipelined(&mut c, &[&["MULTI"], &["SET", &k0, "mine"], &["EXEC"]], 3);
    assert_eq!(got[2], "*-1\r\n");
    c.expect(&["GET", &k0], bulk("b"));
    assert_eq!(
        tx_whole(&mut c),
        before,
        "a block that needs the general path was taken"
    );
}

#[test]
fn a_watched_transaction_on_the_watches_shard_is_taken_whole_and_honours_them() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut other = s.raw();
    let before = tx_whole(&mut c);
    c.expect(&["SET", "{wa}n", "1"], OK);
    // Nobody changes the watched key: the block runs.
    c.expect(&["WATCH", "{wa}n"], OK);
    c.expect(&["GET", "{wa}n"], bulk("1"));
    let block: [&[&str]; 4] = [
        &["MULTI"],
        &["SET", "{wa}n", "2"],
        &["INCR", "{wa}m"],
        &["EXEC"],
    ];
    let got = pipelined(&mut c, &block, 4);
    assert_eq!(got[3], "*2\r\n+OK\r\n:1\r\n");
    // Another client changes it: a null array, nothing written.
    c.expect(&["WATCH", "{wa}n"], OK);
    other.expect(&["SET", "{wa}n", "theirs"], OK);
    let got = pipelined(&mut c, &block, 4);
    assert_eq!(got[3], "*-1\r\n");
    c.expect(&["GET", "{wa}n"], bulk("theirs"));
    c.expect(&["GET", "{wa}m"], bulk("1"));
    assert_eq!(
        tx_whole(&mut c),
        before + 2,
        "a watched block for one shard went the general way"
    );
    // EXEC forgot the watches: a later change fails nothing.
    other.expect(&["SET", "{wa}n", "again"], OK);
    let got = pipelined(&mut c, &block, 4);
    assert_eq!(got[3], "*2\r\n+OK\r\n:2\r\n");
    // And a shard restarted since WATCH: the general path's null array.
    c.expect(&["WATCH", "{wa}n"], OK);
    s.kill_every_shard(SHARDS);
    let got = pipelined(&mut c, &block, 4);
    assert_eq!(got[3], "*-1\r\n");
}

#[test]
fn a_transaction_taken_whole_runs_in_the_selected_database_and_protocol() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let before = tx_whole(&mut c);
    c.expect(&["SELECT", "5"], OK);
    let got = pipelined(
        &mut c,
        &[
            &["MULTI"],
            &["HSET", "{d}h", "f", "v"],
            &["HGETALL", "{d}h"],
            &["EXEC"],
        ],
        4,
    );
    assert_eq!(
        got[3],
        format!("*2\r\n:1\r\n*2\r\n{}{}", bulk("f"), bulk("v"))
    );
    c.expect(&["EXISTS", "{d}h"], int(1));
    c.expect(&["SELECT", "0"], OK);
    c.expect(&["EXISTS", "{d}h"], int(0));
    // RESP3: the shard writes the map.
    let hello = c.cmd_str(&["HELLO", "3"]);
    assert!(hello.starts_with('%'), "{hello}");
    c.expect(&["SELECT", "5"], OK);
    let got = pipelined(&mut c, &[&["MULTI"], &["HGETALL", "{d}h"], &["EXEC"]], 3);
    assert_eq!(got[2], format!("*1\r\n%1\r\n{}{}", bulk("f"), bulk("v")));
    assert_eq!(tx_whole(&mut c), before + 2);
}

/// Whether a watcher's EXEC runs after another client's `cmd` (the keys
/// set up first), on the server at `port`; `cmd`'s reply too.
fn watch_outcome(port: u16, key: &str, cmd: &[&str]) -> (String, bool) {
    let mut c = Raw::connect(port);
    let mut other = Raw::connect(port);
    c.cmd(&["FLUSHALL"]);
    for setup in [
        &["ZADD", "{w}z", "1", "m"][..],
        &["SET", "{w}s", "v"],
        &["GEOADD", "{w}g", "1", "1", "p"],
        &["SADD", "{w}e", "a"],
    ] {
        c.cmd(setup);
    }
    c.expect(&["WATCH", key], OK);
    let reply = other.cmd_str(cmd);
    c.expect(&["MULTI"], OK);
    c.expect(&["PING"], "+QUEUED\r\n");
    let ran = match c.cmd_str(&["EXEC"]).as_str() {
        "*1\r\n+PONG\r\n" => true,
        "*-1\r\n" => false,
        other => panic!("EXEC answered {other:?}"),
    };
    (reply, ran)
}

#[test]
fn writes_that_change_nothing_leave_watchers_alone_as_on_redis_server() {
    let Some(redis) = common::RedisServer::start() else {
        eprintln!("redis-server is not installed: skipping the comparison");
        return;
    };
    let s = Server::with_shards(SHARDS);
    // Each: the watched key and another client's write to it; some change
    // it (the watcher's EXEC fails), some do not (it runs).
    let cases: &[(&str, &[&str])] = &[
        ("{w}z", &["ZADD", "{w}z", "NX", "1", "m"]),
        ("{w}z", &["ZADD", "{w}z", "1", "m"]),
        ("{w}z", &["ZADD", "{w}z", "XX", "1", "nosuch"]),
        ("{w}z", &["ZADD", "{w}z", "GT", "0", "m"]),
        ("{w}z", &["ZADD", "{w}z", "INCR", "NX", "1", "m"]),
        ("{w}z", &["ZADD", "{w}z", "CH", "2", "m"]),
        ("{w}z", &["ZADD", "{w}z", "2", "n"]),
        ("{w}z", &["ZINCRBY", "{w}z", "0", "m"]),
        ("{w}z", &["ZINCRBY", "{w}z", "1", "m"]),
        ("{w}g", &["GEOADD", "{w}g", "NX", "1", "1", "p"]),
        ("{w}g", &["GEOADD", "{w}g", "2", "2", "p"]),
        ("{w}s", &["GETEX", "{w}s"]),
        ("{w}s", &["GETEX", "{w}s", "PERSIST"]),
        ("{w}s", &["GETEX", "{w}s", "EX", "100"]),
        ("{w}m", &["SETRANGE", "{w}m", "0", ""]),
        ("{w}s", &["SETRANGE", "{w}s", "0", ""]),
        ("{w}s", &["SETRANGE", "{w}s", "0", "x"]),
        ("{w}s", &["RENAME", "{w}s", "{w}s"]),
        ("{w}s", &["RENAMENX", "{w}s", "{w}z"]),
        ("{w}s", &["RENAME", "{w}s", "{w}t"]),
        ("{w}s", &["SET", "{w}s", "x", "NX"]),
        ("{w}e", &["SADD", "{w}e", "a"]),
        ("{w}e", &["SMOVE", "{w}e", "{w}e", "a"]),
        ("{w}s", &["SET", "{w}s", "v"]),
    ];
    for (key, cmd) in cases {
        let ours = watch_outcome(s.port, key, cmd);
        let theirs = watch_outcome(redis.port, key, cmd);
        assert_eq!(ours, theirs, "{cmd:?}");
    }
}
