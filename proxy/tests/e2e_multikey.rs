//! Commands over many keys: split per shard and merged in key order, run
//! together when hash tags put the keys on one shard, refused with
//! `CROSSSLOT` otherwise, and fanned out to every shard.
//!
//! Keys are picked with `shardd::slot::key_slot` and the proxy's even split
//! of the 16384 slots, so each test knows which shard owns which key.

mod common;

use std::collections::BTreeSet;

use common::{bulk, err, int, key_on_shard, keys_on_shard, Server, NIL, OK};
use redis::Commands;

const SHARDS: usize = 4;
const CROSSSLOT: &str = "CROSSSLOT Keys in request don't hash to the same slot";

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
fn together_commands_over_keys_on_different_shards_get_crossslot() {
    let s = Server::with_shards(SHARDS);
    let a = key_on_shard("xa", 0, SHARDS);
    let b = key_on_shard("xb", 1, SHARDS);
    let d = key_on_shard("xd", 2, SHARDS);
    let mut c = s.raw();
    c.expect(&["SET", &a, "1"], OK);
    c.expect(&["SET", &b, "2"], OK);
    for cmd in [
        vec!["RENAME", &a, &b],
        vec!["SMOVE", &a, &b, "m"],
        vec!["MSETNX", &a, "1", &b, "2"],
        vec!["LCS", &a, &b],
        vec!["BITOP", "AND", &d, &a, &b],
        vec!["PFCOUNT", &a, &b],
        vec!["PFMERGE", &d, &a],
        vec!["LMOVE", &a, &b, "LEFT", "RIGHT"],
        vec!["SINTERSTORE", &d, &a, &b],
    ] {
        c.expect(&cmd, err(CROSSSLOT));
    }
    // Nothing ran: the values are untouched.
    c.expect(&["GET", &a], bulk("1"));
    c.expect(&["GET", &b], bulk("2"));
    c.expect(&["EXISTS", &d], int(0));
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

#[test]
fn a_scan_cursor_naming_no_shard_is_invalid() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["SCAN", "17"], err("ERR invalid cursor"));
    c.expect(&["SCAN", "abc"], err("ERR invalid cursor"));
}

#[test]
fn numkeys_commands_run_together_or_get_crossslot_or_their_own_errors() {
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
    c.expect(&["SINTERCARD", "2", &a, &b], err(CROSSSLOT));
    c.expect(&["ZUNIONSTORE", "{t}d", "2", &a, &b], err(CROSSSLOT));
    c.expect(&["LMPOP", "2", &a, &b, "LEFT"], err(CROSSSLOT));
    c.expect(&["SUNIONSTORE", &a, &b], err(CROSSSLOT));
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
