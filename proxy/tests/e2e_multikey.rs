//! Commands over many keys: split per shard and merged in key order, run
//! on one shard when hash tags put the keys together, run as a transaction
//! over several shards otherwise (never `CROSSSLOT`), and fanned out to
//! every shard.
//!
//! Keys are picked with `shardd::slot::key_slot` and the proxy's even split
//! of the 16384 slots, so each test knows which shard owns which key.

mod common;

use std::collections::BTreeSet;

use common::{bulk, err, int, key_on_shard, keys_on_shard, Server, NIL, OK};
use redis::Commands;

const SHARDS: usize = 4;

/// Keys taking turns over the shards in reverse order (3, 2, 1, 0, 3, ...),
/// `per_shard` on each.
fn interleaved_keys(prefix: &str, per_shard: usize) -> Vec<String> {
    let per: Vec<Vec<String>> = (0..SHARDS)
        .map(|s| keys_on_shard(prefix, s, SHARDS, per_shard))
        .collect();
    (0..per_shard)
        .flat_map(|i| (0..SHARDS).rev().map(move |s| (s, i)))
        .map(|(s, i)| per[s][i].clone())
        .collect()
}

#[test]
fn mset_then_mget_over_every_shard_returns_values_in_key_order() {
    let s = Server::with_shards(SHARDS);
    let keys = interleaved_keys("mk", 5);
    let shards: BTreeSet<usize> = keys.iter().map(|k| s.shard_of(k)).collect();
    assert_eq!(shards.len(), SHARDS, "the keys cover every shard");
    let mut con = s.client();
    let pairs: Vec<(String, String)> = keys.iter().map(|k| (k.clone(), format!("v-{k}"))).collect();
    let () = con.mset(&pairs).expect("MSET");
    // Ask with missing keys and repeats between them.
    let mut ask = Vec::new();
    let mut want = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        ask.push(k.clone());
        want.push(Some(format!("v-{k}")));
        if i % 3 == 0 {
            ask.push(format!("missing:{i}"));
            want.push(None);
        }
        if i % 4 == 0 {
            ask.push(keys[0].clone());
            want.push(Some(format!("v-{}", keys[0])));
        }
    }
    let got: Vec<Option<String>> = con.mget(&ask).expect("MGET");
    assert_eq!(got, want);
}

#[test]
fn del_and_exists_over_every_shard_sum_the_counts() {
    let s = Server::with_shards(SHARDS);
    let keys = interleaved_keys("dk", 3);
    let mut c = s.raw();
    let mut mset = vec!["MSET"];
    for k in &keys {
        mset.push(k);
        mset.push("x");
    }
    c.expect(&mset, OK);
    let mut exists = vec!["EXISTS"];
    exists.extend(keys.iter().map(String::as_str));
    exists.push("missing:1");
    exists.push(&keys[1]); // counted twice, as Redis does
    c.expect(&exists, int(keys.len() as i64 + 1));
    let mut del = vec!["DEL", "missing:2"];
    del.extend(keys.iter().take(7).map(String::as_str));
    c.expect(&del, int(7));
    c.expect(&exists, int(keys.len() as i64 - 7));
    let mut unlink = vec!["UNLINK"];
    unlink.extend(keys.iter().map(String::as_str));
    c.expect(&unlink, int(keys.len() as i64 - 7));
    c.expect(&exists, int(0));
    c.expect(&["GET", &keys[0]], NIL);
}

#[test]
fn keys_with_one_hash_tag_land_together_and_together_commands_run() {
    let s = Server::with_shards(SHARDS);
    assert_eq!(s.shard_of("{user1}.a"), s.shard_of("{user1}.b"));
    let mut c = s.raw();
    c.expect(&["MSETNX", "{user1}.a", "1", "{user1}.b", "2"], int(1));
    c.expect(
        &["MGET", "{user1}.a", "{user1}.b"],
        common::bulks(&["1", "2"]),
    );
    c.expect(&["LCS", "{user1}.a", "{user1}.b"], bulk(""));
    c.expect(
        &["BITOP", "OR", "{user1}.c", "{user1}.a", "{user1}.b"],
        int(1),
    );
    c.expect(&["GET", "{user1}.c"], bulk("3"));
    c.expect(&["PFADD", "{user1}.h1", "x"], int(1));
    c.expect(&["PFADD", "{user1}.h2", "y"], int(1));
    c.expect(&["PFCOUNT", "{user1}.h1", "{user1}.h2"], int(2));
    c.expect(&["PFMERGE", "{user1}.h3", "{user1}.h1", "{user1}.h2"], OK);
    c.expect(&["PFCOUNT", "{user1}.h3"], int(2));
}

// needs: keys
#[test]
fn rename_runs_on_keys_sharing_a_hash_tag() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["SET", "{user1}.a", "v"], OK);
    c.expect(&["RENAME", "{user1}.a", "{user1}.b"], OK);
    c.expect(&["GET", "{user1}.b"], bulk("v"));
    c.expect(&["EXISTS", "{user1}.a"], int(0));
}

#[test]
fn smove_and_lmove_run_on_keys_sharing_a_hash_tag() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["SADD", "{user1}.s1", "m"], int(1));
    c.expect(&["SMOVE", "{user1}.s1", "{user1}.s2", "m"], int(1));
    c.expect(&["SISMEMBER", "{user1}.s2", "m"], int(1));
    c.expect(&["RPUSH", "{user1}.l1", "x"], int(1));
    c.expect(
        &["LMOVE", "{user1}.l1", "{user1}.l2", "LEFT", "LEFT"],
        bulk("x"),
    );
    c.expect(&["SADD", "{user1}.s3", "m", "n"], int(2));
    c.expect(
        &["SINTERSTORE", "{user1}.s4", "{user1}.s2", "{user1}.s3"],
        int(1),
    );
}

#[test]
fn keys_that_must_be_together_run_across_shards_as_on_redis_server() {
    let Some(r) = common::RedisServer::start() else {
        eprintln!("redis-server is not installed: skipping the comparison");
        return;
    };
    let s = Server::with_shards(SHARDS);
    let mut ours = s.raw();
    let mut theirs = common::Raw::connect(r.port);
    let k: Vec<String> = (0..SHARDS).map(|i| key_on_shard("tg", i, SHARDS)).collect();
    let z: Vec<String> = (0..SHARDS).map(|i| key_on_shard("tz", i, SHARDS)).collect();
    let (a, b, c, d) = (&k[0], &k[1], &k[2], &k[3]);
    let script: Vec<Vec<&str>> = vec![
        vec!["SET", a, "1"],
        vec!["SET", b, "2"],
        vec!["RENAME", a, b],
        vec!["MGET", a, b],
        vec!["RENAMENX", b, c],
        vec!["RENAMENX", c, c],
        vec!["RENAME", a, d],
        vec!["SET", a, "x", "PXAT", "4102444800000"],
        vec!["RENAME", a, d],
        vec!["PEXPIRETIME", d],
        vec!["COPY", d, a],
        vec!["COPY", d, c],
        vec!["COPY", d, c, "REPLACE"],
        vec!["PEXPIRETIME", c],
        vec!["SADD", a, "x", "y", "z"],
        vec!["DEL", b, c, d],
        vec!["SMOVE", a, b, "x"],
        vec!["SMOVE", a, b, "nope"],
        vec!["SMOVE", a, c, "y"],
        vec!["SORT", a, "ALPHA"],
        vec!["SORT", b, "ALPHA"],
        vec!["SADD", d, "y", "x", "w"],
        vec!["SINTERSTORE", c, b, d],
        vec!["SUNIONSTORE", c, a, b, d],
        vec!["SDIFFSTORE", c, d, b],
        vec!["SORT", c, "ALPHA"],
        vec!["SINTER", b, d],
        vec!["SUNION", a, b],
        vec!["SDIFF", d, a],
        vec!["SINTERCARD", "2", b, d],
        vec!["SET", a, "str"],
        vec!["SMOVE", a, b, "x"],
        vec!["DEL", a, b, c, d],
        vec!["RPUSH", a, "1", "2", "3"],
        vec!["LMOVE", a, b, "LEFT", "RIGHT"],
        vec!["RPOPLPUSH", a, c],
        vec!["LMOVE", a, a, "LEFT", "RIGHT"],
        vec!["LRANGE", a, "0", "-1"],
        vec!["LRANGE", b, "0", "-1"],
        vec!["LRANGE", c, "0", "-1"],
        vec!["LMPOP", "3", d, c, a, "RIGHT", "COUNT", "5"],
        vec!["EXISTS", c],
        vec!["ZADD", &z[0], "1", "m", "2", "n"],
        vec!["ZADD", &z[1], "3", "m", "4", "o"],
        vec!["ZUNIONSTORE", &z[2], "2", &z[0], &z[1], "WEIGHTS", "1", "2"],
        vec!["ZRANGE", &z[2], "0", "-1", "WITHSCORES"],
        vec!["ZINTERSTORE", &z[3], "2", &z[0], &z[1], "AGGREGATE", "MAX"],
        vec!["ZDIFFSTORE", &z[3], "2", &z[0], &z[1]],
        vec!["ZRANGE", &z[3], "0", "-1", "WITHSCORES"],
        vec!["ZRANGESTORE", &z[3], &z[2], "0", "1"],
        vec!["ZRANGE", &z[3], "0", "-1", "WITHSCORES"],
        vec!["ZINTERCARD", "2", &z[0], &z[1]],
        vec!["ZUNION", "2", &z[0], &z[1], "WITHSCORES"],
        vec!["ZMPOP", "2", &z[3], &z[0], "MIN"],
        vec!["SET", a, "foo"],
        vec!["SET", b, "fao"],
        vec!["LCS", a, b],
        vec!["BITOP", "AND", c, a, b],
        vec!["GET", c],
        vec!["BITOP", "NOT", d, a],
        vec!["GET", d],
        vec!["DEL", a, b, c, d],
        vec!["PFADD", a, "1", "2", "3"],
        vec!["PFADD", b, "3", "4"],
        vec!["PFMERGE", c, a, b],
        vec!["PFCOUNT", c],
        vec!["PFCOUNT", a, b],
        vec!["MSETNX", a, "1", d, "2"],
        vec!["MSETNX", d, "1", &z[1], "2"],
        vec!["MSETNX", &k[2], "1", "fresh", "2"],
        vec!["DEL", a, b, c, d],
        vec!["RPUSH", a, "3", "1", "2"],
        vec!["SORT", a, "STORE", b],
        vec!["LRANGE", b, "0", "-1"],
        vec!["RENAME", "missing-key", b],
        vec!["SMOVE", "missing-key", b, "x"],
        vec!["LMOVE", "missing-key", b, "LEFT", "LEFT"],
        // Moves between shards (`xtx::moves`): the types checked first,
        // a missing source before the destination's type.
        vec!["DEL", a, b, c, d],
        vec!["RPUSH", a, "x", "y\r\n", ""],
        vec!["SET", b, "str"],
        vec!["LMOVE", a, b, "LEFT", "LEFT"],
        vec!["RPOPLPUSH", a, b],
        vec!["SADD", c, "m", "n"],
        vec!["SMOVE", c, b, "m"],
        vec!["SMOVE", d, b, "m"],
        vec!["LMOVE", d, b, "LEFT", "LEFT"],
        vec!["RPOPLPUSH", d, b],
        vec!["LMOVE", a, c, "LEFT", "LEFT"],
        vec!["LMOVE", c, a, "LEFT", "LEFT"],
        vec!["LMOVE", a, d, "RIGHT", "LEFT"],
        vec!["BLMOVE", a, d, "RIGHT", "RIGHT", "0.01"],
        vec!["BRPOPLPUSH", a, d, "0.01"],
        vec!["BRPOPLPUSH", a, d, "0.01"],
        vec!["BLMOVE", a, d, "LEFT", "LEFT", "0.01"],
        // On one shard: the shard's own timeout, the same null array.
        vec!["BRPOPLPUSH", "{one}a", "{one}b", "0.01"],
        vec!["BLMOVE", "{one}a", "{one}b", "LEFT", "RIGHT", "0.01"],
        vec!["LRANGE", d, "0", "-1"],
        vec!["EXISTS", a],
        vec!["SMOVE", c, d, "m"],
        vec!["SADD", a, "o"],
        vec!["SMOVE", c, a, "m"],
        vec!["SMOVE", c, a, "m"],
        vec!["SMOVE", c, a, "n"],
        vec!["SMOVE", c, a, "n"],
        vec!["EXISTS", c],
        vec!["SMOVE", a, "never", "m", "extra"],
        vec!["LMOVE", a, d, "UP", "LEFT"],
    ];
    for cmd in &script {
        assert_eq!(
            ours.cmd_str(cmd),
            theirs.cmd_str(cmd),
            "{cmd:?} differs from redis-server"
        );
    }
    // Every key ends as on redis-server, and no transaction is left.
    let mut all: Vec<&str> = k.iter().chain(&z).map(String::as_str).collect();
    all.push("fresh");
    for key in all {
        let kind = theirs.cmd_str(&["TYPE", key]);
        let content = match kind.as_str() {
            "+string\r\n" => vec!["GET", key],
            "+set\r\n" => vec!["SORT", key, "ALPHA"],
            "+list\r\n" => vec!["LRANGE", key, "0", "-1"],
            "+zset\r\n" => vec!["ZRANGE", key, "0", "-1", "WITHSCORES"],
            _ => vec!["EXISTS", key],
        };
        for probe in [vec!["TYPE", key], content, vec!["PEXPIRETIME", key]] {
            assert_eq!(ours.cmd_str(&probe), theirs.cmd_str(&probe), "{probe:?}");
        }
    }
    let info = ours.cmd_str(&["INFO", "stats"]);
    assert!(info.contains("shardis_tx_live:0\r\n"), "{info}");
    assert!(info.contains("shardis_tx_locked_keys:0\r\n"), "{info}");
}

// needs: keys (DBSIZE, KEYS, SCAN)
#[test]
fn dbsize_keys_and_scan_see_the_keys_of_every_shard() {
    let s = Server::with_shards(SHARDS);
    let keys = interleaved_keys("fk", 25);
    let mut con = s.client();
    let pairs: Vec<(String, i64)> = keys.iter().map(|k| (k.clone(), 1)).collect();
    let () = con.mset(&pairs).expect("MSET");
    let () = con.set("other", 1).expect("SET");
    let n: usize = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(n, keys.len() + 1);
    let want: BTreeSet<String> = keys.iter().cloned().collect();
    let got: Vec<String> = con.keys("fk:*").expect("KEYS");
    assert_eq!(got.iter().cloned().collect::<BTreeSet<_>>(), want);
    assert_eq!(got.len(), want.len(), "KEYS returns each key once");
    // SCAN by hand with a small COUNT, so the cursor crosses every shard.
    let mut seen = BTreeSet::new();
    let mut cursor = 0u64;
    for _ in 0..10_000 {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("fk:*")
            .arg("COUNT")
            .arg(7)
            .query(&mut con)
            .expect("SCAN");
        seen.extend(batch);
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(cursor, 0, "SCAN ends");
    assert_eq!(seen, want);
    let () = redis::cmd("FLUSHALL").query(&mut con).expect("FLUSHALL");
    let n: usize = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(n, 0);
}

// needs: keys (SCAN)
#[test]
fn a_small_keyspace_scans_whole_in_one_call_as_from_one_redis() {
    let s = Server::with_shards(SHARDS);
    let mut con = s.client();
    // One key on each of three shards: SCAN 0 walks on through the shards
    // until COUNT is used up, so it answers every key and cursor 0 (as
    // redis-server does for a keyspace this small; clients' tests rely on it).
    for (i, shard) in [0, 2, 3].into_iter().enumerate() {
        let k = key_on_shard(&format!("small{i}"), shard, SHARDS);
        let () = con.sadd(&k, 1).expect("SADD");
    }
    let () = con.set(key_on_shard("str", 1, SHARDS), 1).expect("SET");
    let (cursor, keys): (u64, Vec<String>) =
        redis::cmd("SCAN").arg(0).query(&mut con).expect("SCAN");
    assert_eq!(cursor, 0);
    assert_eq!(keys.len(), 4, "{keys:?}");
    // A TYPE filter that leaves the first shards' keys out still reaches
    // the later shards in the same call.
    let (cursor, keys): (u64, Vec<String>) = redis::cmd("SCAN")
        .arg(0)
        .arg("TYPE")
        .arg("string")
        .query(&mut con)
        .expect("SCAN TYPE");
    assert_eq!((cursor, keys.len()), (0, 1), "{keys:?}");
    // COUNT bounds the walk: with COUNT 2 it stops once two keys came back
    // and hands out a cursor that resumes where it stopped.
    let mut seen = BTreeSet::new();
    let mut cursor = 0u64;
    let mut calls = 0;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("COUNT")
            .arg(2)
            .query(&mut con)
            .expect("SCAN COUNT 2");
        assert!(batch.len() <= 2, "{batch:?}");
        seen.extend(batch);
        calls += 1;
        cursor = next;
        if cursor == 0 || calls > 10 {
            break;
        }
    }
    assert_eq!((cursor, seen.len()), (0, 4), "{seen:?}");
    assert!(
        calls >= 2,
        "COUNT 2 over four keys takes more than one call"
    );
    // A bad option is still the shard's error.
    let mut c = s.raw();
    c.expect(&["SCAN", "0", "COUNT", "0"], err("ERR syntax error"));
}

#[test]
fn a_scan_cursor_naming_no_shard_is_invalid() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["SCAN", "17"], err("ERR invalid cursor"));
    c.expect(&["SCAN", "abc"], err("ERR invalid cursor"));
}

#[test]
fn numkeys_commands_run_over_any_shards_or_get_their_own_errors() {
    let s = Server::with_shards(SHARDS);
    let a = key_on_shard("nk", 0, SHARDS);
    let b = key_on_shard("nk", 3, SHARDS);
    let mut c = s.raw();
    c.expect(&["SADD", "{t}a", "x", "y"], int(2));
    c.expect(&["SADD", "{t}b", "y", "z"], int(2));
    c.expect(&["SINTERCARD", "2", "{t}a", "{t}b"], int(1));
    c.expect(&["ZADD", "{t}z1", "1", "m"], int(1));
    c.expect(&["ZADD", "{t}z2", "2", "m"], int(1));
    c.expect(&["ZUNIONSTORE", "{t}d", "2", "{t}z1", "{t}z2"], int(1));
    c.expect(&["ZSCORE", "{t}d", "m"], bulk("3"));
    c.expect(&["LMPOP", "2", "{t}l1", "{t}l2", "LEFT"], "*-1\r\n");
    c.expect(&["SINTERCARD", "2", &a, &b], int(0));
    c.expect(&["LMPOP", "2", &a, &b, "LEFT"], "*-1\r\n");
    c.expect(&["SUNIONSTORE", &a, &b], int(0));
    // A count that names no keys gets the command's own error.
    c.expect(
        &["SINTERCARD", "0", &a],
        err("ERR numkeys should be greater than 0"),
    );
    c.expect(
        &["SINTERCARD", "x", &a],
        err("ERR numkeys should be greater than 0"),
    );
    c.expect(
        &["SINTERCARD", "3", &a, &b],
        err("ERR Number of keys can't be greater than number of args"),
    );
    c.expect(
        &["LMPOP", "0", &a, "LEFT"],
        err("ERR numkeys should be greater than 0"),
    );
    c.expect(
        &["ZUNIONSTORE", "{t}d", "0", &a],
        err("ERR at least 1 input key is needed for 'zunionstore' command"),
    );
}

/// The keyspace events of a command over keys on several shards come in
/// the order of its keys, as redis-server makes them one key after the
/// other (MSET, DEL, UNLINK, MGET's key misses, EXISTS), whichever shard
/// answers first.
#[test]
fn events_of_a_command_over_several_shards_follow_its_keys() {
    let Some(mut both) = common::SideBySide::start(SHARDS) else {
        return;
    };
    let keys = interleaved_keys("ev", 2);
    let k: Vec<&str> = keys.iter().map(String::as_str).collect();
    both.same(&[vec!["CONFIG", "SET", "notify-keyspace-events", "KEAm"]]);
    let mut subs: Vec<common::Raw> = [both.redis.port, both.shardis.port]
        .iter()
        .map(|&port| {
            let mut s = common::Raw::connect(port);
            s.expect(
                &["PSUBSCRIBE", "__key*__:*"],
                "*3\r\n$10\r\npsubscribe\r\n$10\r\n__key*__:*\r\n:1\r\n",
            );
            s
        })
        .collect();
    let mut mset = vec!["MSET"];
    for key in &k {
        mset.extend([*key, "v"]);
    }
    let mut del = vec!["DEL"];
    del.extend(k.iter().rev().copied());
    let mut mget = vec!["MGET"];
    mget.extend(k.iter().copied());
    both.same(&[
        mset,
        vec!["DEL", k[1], k[5], k[0]],
        vec!["MSET", k[2], "x", k[0], "y", k[3], "z"],
        del,
        mget,
        vec!["MSET", k[4], "1", k[6], "2"],
        {
            let mut u = vec!["UNLINK"];
            u.extend(k.iter().copied());
            u
        },
        vec!["CONFIG", "SET", "notify-keyspace-events", ""],
    ]);
    let theirs = subs[0].frames_until_pong();
    let ours = subs[1].frames_until_pong();
    assert!(theirs.len() > 40, "{theirs:?}");
    assert_eq!(ours, theirs);
}

#[test]
fn a_transaction_over_shards_pipelined_after_a_split_command_does_not_wait_for_it_forever() {
    // EXISTS over two shards reserves its parts at the gate and queues
    // them in the worker's rings, published at the end of the read; the
    // MSETNX after it in the same read runs over both shards and waits at
    // the gate for those parts. Nothing published them (the read was
    // waiting for the MSETNX) unless other traffic did: the connection
    // hung, about one time in two after a SWAPDB.
    let s = Server::with_shards(SHARDS);
    let (a, b) = (
        key_on_shard("gate", 0, SHARDS),
        key_on_shard("gate", 1, SHARDS),
    );
    for round in 0..10 {
        let mut c = s.raw();
        let cmds: [&[&str]; 3] = [
            &["SWAPDB", "0", "1"],
            &["EXISTS", &a, &b],
            &["MSETNX", &a, "x", &b, "y"],
        ];
        let bytes: Vec<u8> = cmds.iter().flat_map(|a| common::encode(a)).collect();
        c.send(&bytes);
        for cmd in cmds {
            let reply = c.try_read_reply(common::IO_TIMEOUT);
            assert!(reply.is_ok(), "round {round}: no reply to {cmd:?}");
        }
    }
}
