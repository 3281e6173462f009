//! Comparing one command's replies. Byte-identical replies always agree.
//! Otherwise only these are normalised, because Redis leaves them open:
//!
//! - unordered replies (SMEMBERS, HKEYS, HVALS, HGETALL pairs, SUNION,
//!   SINTER, SDIFF, KEYS) are sorted;
//! - TTL, PTTL, EXPIRETIME and PEXPIRETIME compare as -2, -1 or "set";
//! - random replies (SPOP, SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY)
//!   must have the same shape and count, hold only members of the value
//!   as the reference saw it just before, and no repeats where Redis
//!   promises distinct elements; after SPOP, our set is repaired to the
//!   reference's so the sequence goes on from one state;
//! - lex ranges over a sorted set of different scores are unspecified in
//!   Redis (a skiplist's answer depends on its random levels): only errors
//!   are compared, and ZREMRANGEBYLEX's removals are copied with ZREM;
//! - SCAN, SSCAN, HSCAN and ZSCAN (cursors are the implementation's) are
//!   iterated to the end on both and the sets of elements compared;
//! - DBSIZE: every key is read first on both, so keys past their time are
//!   gone (Redis counts them until its background cycle reclaims them);
//! - SORT BY a constant on a set keeps the set's own order: count and
//!   membership; SORT ALPHA without STORE compares with `strcoll`, which
//!   stops at a NUL: the order within runs of elements equal up to their
//!   first NUL is open.
//!
//! Errors are never normalised.

use redis::Value;

use super::{keys, send, Pair, SCAN_ROUNDS};

fn parse(b: &[u8]) -> Value {
    redis::parse_redis_value(b)
        .unwrap_or_else(|e| panic!("unparsable reply {:?}: {e}", String::from_utf8_lossy(b)))
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn differ(r: &[u8], s: &[u8]) -> String {
    format!(
        "redis-server replied {:?}\n     shardis replied {:?}",
        lossy(r),
        lossy(s)
    )
}

fn sort_key(v: &Value) -> String {
    format!("{v:?}")
}

fn elems(v: &Value) -> Option<&[Value]> {
    match v {
        Value::Array(a) | Value::Set(a) => Some(a),
        _ => None,
    }
}

/// Sorts the elements of an array or set.
fn sorted(v: Value) -> Value {
    match v {
        Value::Array(mut a) => {
            a.sort_by_key(sort_key);
            Value::Array(a)
        }
        Value::Set(mut a) => {
            a.sort_by_key(sort_key);
            Value::Set(a)
        }
        other => other,
    }
}

/// Field/value pairs of a flat array, a map, or an array of pairs.
fn pairs(v: &Value) -> Vec<Value> {
    match v {
        Value::Map(m) => m
            .iter()
            .map(|(k, v)| Value::Array(vec![k.clone(), v.clone()]))
            .collect(),
        Value::Array(a)
            if a.iter()
                .all(|e| matches!(e, Value::Array(p) if p.len() == 2)) =>
        {
            a.clone()
        }
        Value::Array(a) | Value::Set(a) => a.chunks(2).map(|c| Value::Array(c.to_vec())).collect(),
        _ => Vec::new(),
    }
}

/// Sorts the pairs of a flat array or a map.
fn sorted_pairs(v: Value) -> Value {
    match v {
        Value::Map(mut m) => {
            m.sort_by_key(|(k, v)| (sort_key(k), sort_key(v)));
            Value::Map(m)
        }
        Value::Array(_) => {
            let mut p = pairs(&v);
            p.sort_by_key(sort_key);
            Value::Array(p)
        }
        other => other,
    }
}

/// A TTL-like reply as -2, -1 or 0 ("has one").
fn bucket(v: Value) -> Value {
    match v {
        Value::Int(n) if n >= 0 => Value::Int(0),
        other => other,
    }
}

/// Normalises a reply of `name` as far as Redis leaves it open.
fn normal(name: &str, v: Value) -> Value {
    match name {
        "smembers" | "hkeys" | "hvals" | "sunion" | "sinter" | "sdiff" | "keys" => sorted(v),
        "hgetall" => sorted_pairs(v),
        "ttl" | "pttl" | "expiretime" | "pexpiretime" => bucket(v),
        _ => v,
    }
}

/// Compares the replies `r` (reference) and `s` (ours) of `name`.
pub fn compare(name: &str, r: &[u8], s: &[u8]) -> Result<(), String> {
    if r == s {
        return Ok(());
    }
    let (rv, sv) = (parse(r), parse(s));
    if matches!(rv, Value::ServerError(_)) || matches!(sv, Value::ServerError(_)) {
        return Err(differ(r, s));
    }
    if normal(name, rv) == normal(name, sv) {
        Ok(())
    } else {
        Err(differ(r, s))
    }
}

/// Runs one command on both servers and checks the replies.
pub fn step(pair: &mut Pair, resp3: bool, argv: &[Vec<u8>]) -> Result<(), String> {
    let name = String::from_utf8_lossy(&argv[0]).to_lowercase();
    if name == "dbsize" {
        // DBSIZE counts keys whose time has passed until something reclaims
        // them (a background cycle in Redis): touch them first on both.
        for side in [&mut pair.redis, &mut pair.ours] {
            for k in keys() {
                send(&mut side.r2, &[b"EXISTS".to_vec(), k.clone()]);
            }
        }
    }
    match name.as_str() {
        "spop" | "srandmember" | "hrandfield" | "zrandmember" | "randomkey" => {
            random(pair, resp3, &name, argv)
        }
        "scan" | "sscan" | "hscan" | "zscan" => scan(pair, resp3, &name, argv),
        "sort" | "sort_ro"
            if argv.iter().any(|a| ieq(a, "BY"))
                && !argv.iter().any(|a| ieq(a, "STORE"))
                && is_set(pair, &argv[1]) =>
        {
            unsorted_set(pair, resp3, &name, argv)
        }
        "zrangebylex" | "zrevrangebylex" | "zlexcount" | "zremrangebylex"
            if argv.get(1).is_some_and(|k| scores_differ(pair, k)) =>
        {
            unspecified_lex(pair, resp3, &name, argv)
        }
        "zrange"
            if argv.iter().any(|a| ieq(a, "BYLEX"))
                && argv.get(1).is_some_and(|k| scores_differ(pair, k)) =>
        {
            unspecified_lex(pair, resp3, &name, argv)
        }
        "sort" | "sort_ro"
            if argv.iter().any(|a| ieq(a, "ALPHA")) && !argv.iter().any(|a| ieq(a, "STORE")) =>
        {
            let r = send(pair.redis.conn(resp3), argv);
            let s = send(pair.ours.conn(resp3), argv);
            if r == s || parse(&r) == collate_ties(parse(&s), &parse(&r)) {
                Ok(())
            } else {
                compare(&name, &r, &s)
            }
        }
        _ => {
            let r = send(pair.redis.conn(resp3), argv);
            let s = send(pair.ours.conn(resp3), argv);
            compare(&name, &r, &s)
        }
    }
}

/// The reference's `ZRANGE key 0 -1 [WITHSCORES]` as bulk strings (none
/// if `key` holds no sorted set).
fn zset_items(pair: &mut Pair, key: &[u8], withscores: bool) -> Vec<Vec<u8>> {
    let mut argv = vec![
        b"ZRANGE".to_vec(),
        key.to_vec(),
        b"0".to_vec(),
        b"-1".to_vec(),
    ];
    if withscores {
        argv.push(b"WITHSCORES".to_vec());
    }
    match parse(&send(&mut pair.redis.r2, &argv)) {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::BulkString(b) => Some(b),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the sorted set at `key` holds different scores: Redis leaves
/// lex ranges unspecified then (a skiplist's answer even depends on its
/// random node levels).
fn scores_differ(pair: &mut Pair, key: &[u8]) -> bool {
    let items = zset_items(pair, key, true);
    let mut scores = items.iter().skip(1).step_by(2);
    let first = scores.next();
    scores.any(|s| Some(s) != first)
}

/// A lex-range command on a sorted set of mixed scores: only errors must
/// agree; what ZREMRANGEBYLEX removed from the reference is removed from
/// ours with ZREM, so both go on from one state.
fn unspecified_lex(
    pair: &mut Pair,
    resp3: bool,
    name: &str,
    argv: &[Vec<u8>],
) -> Result<(), String> {
    if name != "zremrangebylex" {
        let r = send(pair.redis.conn(resp3), argv);
        let s = send(pair.ours.conn(resp3), argv);
        let is_err = |b: &[u8]| b.first() == Some(&b'-');
        return if is_err(&r) || is_err(&s) {
            compare(name, &r, &s)
        } else {
            Ok(())
        };
    }
    let key = &argv[1];
    let before = zset_items(pair, key, false);
    let r = send(pair.redis.conn(resp3), argv);
    if r.first() == Some(&b'-') {
        let s = send(pair.ours.conn(resp3), argv);
        return compare(name, &r, &s);
    }
    let after = zset_items(pair, key, false);
    let removed: Vec<Vec<u8>> = before.into_iter().filter(|m| !after.contains(m)).collect();
    if !removed.is_empty() {
        let mut zrem = vec![b"ZREM".to_vec(), key.clone()];
        zrem.extend(removed);
        let reply = send(&mut pair.ours.r2, &zrem);
        assert!(
            reply.starts_with(b":"),
            "repairing ZREMRANGEBYLEX: {}",
            lossy(&reply)
        );
    }
    Ok(())
}

/// SORT ALPHA compares with `strcoll`, which stops at a NUL: elements
/// equal up to their first NUL tie, and Redis's `qsort` leaves their order
/// open. Reorders each run of tied elements of `ours` as in `reference`
/// when both hold the same elements per run.
fn collate_ties(ours: Value, reference: &Value) -> Value {
    let (Value::Array(ours), Some(want)) = (ours, elems(reference)) else {
        return Value::Nil;
    };
    let c_str = |v: &Value| match v {
        Value::BulkString(b) => b.split(|&c| c == 0).next().unwrap_or_default().to_vec(),
        _ => Vec::new(),
    };
    if ours.len() != want.len() {
        return Value::Array(ours);
    }
    let mut out = Vec::with_capacity(ours.len());
    let mut i = 0;
    while i < ours.len() {
        let key = c_str(&ours[i]);
        let end = (i..ours.len())
            .find(|&j| c_str(&ours[j]) != key)
            .unwrap_or(ours.len());
        let mut run: Vec<Value> = ours[i..end].to_vec();
        let mut theirs: Vec<Value> = want[i..end].to_vec();
        run.sort_by_key(sort_key);
        theirs.sort_by_key(sort_key);
        if run == theirs {
            out.extend(want[i..end].iter().cloned());
        } else {
            out.extend(ours[i..end].iter().cloned());
        }
        i = end;
    }
    Value::Array(out)
}

fn is_set(pair: &mut Pair, key: &[u8]) -> bool {
    send(&mut pair.redis.r2, &[b"TYPE".to_vec(), key.to_vec()]) == b"+set\r\n"
}

/// SORT BY a constant on a set keeps the set's own order, which Redis
/// leaves open: same count, members of the set.
fn unsorted_set(pair: &mut Pair, resp3: bool, name: &str, argv: &[Vec<u8>]) -> Result<(), String> {
    let all = match parse(&send(
        &mut pair.redis.r2,
        &[b"SMEMBERS".to_vec(), argv[1].clone()],
    )) {
        Value::Array(a) => a,
        _ => Vec::new(),
    };
    let r = send(pair.redis.conn(resp3), argv);
    let s = send(pair.ours.conn(resp3), argv);
    if r == s {
        return Ok(());
    }
    match (parse(&r), parse(&s)) {
        (Value::Array(ri), Value::Array(si))
            if ri.len() == si.len() && si.iter().all(|m| all.contains(m)) =>
        {
            Ok(())
        }
        _ => compare(name, &r, &s),
    }
}

fn ieq(a: &[u8], word: &str) -> bool {
    a.eq_ignore_ascii_case(word.as_bytes())
}

/// What a random command may return: the members (or member/value pairs)
/// of its value, read from the reference just before the command.
fn universe(pair: &mut Pair, resp3: bool, name: &str, argv: &[Vec<u8>], with: bool) -> Vec<Value> {
    let key = match argv.get(1) {
        Some(k) => k.clone(),
        None if name == "randomkey" => Vec::new(),
        None => return Vec::new(),
    };
    let c = pair.redis.conn(resp3);
    let read = |c: &mut _, args: &[&[u8]]| {
        let argv: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        parse(&send(c, &argv))
    };
    let v = match name {
        "randomkey" => read(c, &[b"KEYS", b"*"]),
        "spop" | "srandmember" => read(c, &[b"SMEMBERS", &key]),
        "hrandfield" => read(c, &[b"HGETALL", &key]),
        _ => read(c, &[b"ZRANGE", &key, b"0", b"-1", b"WITHSCORES"]),
    };
    match name {
        "hrandfield" | "zrandmember" if with => pairs(&v),
        "hrandfield" | "zrandmember" => pairs(&v)
            .into_iter()
            .filter_map(|p| elems(&p).and_then(|e| e.first().cloned()))
            .collect(),
        _ => elems(&v).map(<[Value]>::to_vec).unwrap_or_default(),
    }
}

/// The elements of a random reply (pairs when `with`).
fn items(v: &Value, with: bool) -> Vec<Value> {
    match v {
        Value::BulkString(_) => vec![v.clone()],
        _ if with => pairs(v),
        _ => elems(v).map(<[Value]>::to_vec).unwrap_or_default(),
    }
}

fn member_of(item: &Value) -> Value {
    match item {
        Value::Array(p) if p.len() == 2 => p[0].clone(),
        other => other.clone(),
    }
}

fn random(pair: &mut Pair, resp3: bool, name: &str, argv: &[Vec<u8>]) -> Result<(), String> {
    let with = argv.len() == 4 && (ieq(&argv[3], "WITHVALUES") || ieq(&argv[3], "WITHSCORES"));
    let all = universe(pair, resp3, name, argv, with);
    let r = send(pair.redis.conn(resp3), argv);
    let s = send(pair.ours.conn(resp3), argv);
    if r == s {
        return Ok(());
    }
    let (rv, sv) = (parse(&r), parse(&s));
    let simple = |v: &Value| !matches!(v, Value::BulkString(_) | Value::Array(_) | Value::Set(_));
    if simple(&rv) || simple(&sv) || std::mem::discriminant(&rv) != std::mem::discriminant(&sv) {
        return Err(differ(&r, &s));
    }
    let (ri, si) = (items(&rv, with), items(&sv, with));
    let count = argv
        .get(2)
        .and_then(|c| std::str::from_utf8(c).ok()?.parse::<i64>().ok());
    let distinct = count.is_none_or(|c| c >= 0);
    let mut members: Vec<String> = si.iter().map(|i| sort_key(&member_of(i))).collect();
    members.sort();
    members.dedup();
    if ri.len() != si.len()
        || si.iter().any(|i| !all.contains(i))
        || (distinct && members.len() != si.len())
    {
        return Err(format!(
            "random reply out of bounds (members {all:?})\n{}",
            differ(&r, &s)
        ));
    }
    if name == "spop" {
        repair_spop(pair, &argv[1], &ri, &si);
    }
    Ok(())
}

/// Makes our set what the reference's is after each popped different members.
fn repair_spop(pair: &mut Pair, key: &[u8], popped_r: &[Value], popped_s: &[Value]) {
    let bytes = |v: &[Value]| -> Vec<Vec<u8>> {
        v.iter()
            .filter_map(|m| match m {
                Value::BulkString(b) => Some(b.clone()),
                _ => None,
            })
            .collect()
    };
    for (cmd, members) in [(b"SADD", bytes(popped_s)), (b"SREM", bytes(popped_r))] {
        if members.is_empty() {
            continue;
        }
        let mut argv = vec![cmd.to_vec(), key.to_vec()];
        argv.extend(members);
        let reply = send(&mut pair.ours.r2, &argv);
        assert!(reply.starts_with(b":"), "repairing SPOP: {}", lossy(&reply));
    }
}

/// Iterates a SCAN-family command from cursor 0 to the end; the sorted,
/// deduplicated elements (pairs for HSCAN and ZSCAN), or the first reply
/// if it is not a cursor reply.
fn scan_all(
    c: &mut crate::common::Raw,
    name: &str,
    argv: &[Vec<u8>],
) -> Result<Vec<Value>, Vec<u8>> {
    let at = if name == "scan" { 1 } else { 2 };
    let mut argv = argv.to_vec();
    let mut out = Vec::new();
    for _ in 0..SCAN_ROUNDS {
        let raw = send(c, &argv);
        let v = parse(&raw);
        let Some([Value::BulkString(cursor), Value::Array(got)]) = elems(&v) else {
            return Err(raw);
        };
        let got = Value::Array(got.clone());
        match name {
            "hscan" | "zscan" => out.extend(pairs(&got)),
            _ => out.extend(elems(&got).map(<[Value]>::to_vec).unwrap_or_default()),
        }
        if cursor == b"0" {
            out.sort_by_key(sort_key);
            out.dedup();
            return Ok(out);
        }
        if let Some(slot) = argv.get_mut(at) {
            *slot = cursor.clone();
        }
    }
    panic!("{name} did not finish in {SCAN_ROUNDS} rounds");
}

fn scan(pair: &mut Pair, resp3: bool, name: &str, argv: &[Vec<u8>]) -> Result<(), String> {
    let r = scan_all(pair.redis.conn(resp3), name, argv);
    let s = scan_all(pair.ours.conn(resp3), name, argv);
    match (r, s) {
        (Ok(r), Ok(s)) if r == s => Ok(()),
        (Ok(r), Ok(s)) => Err(format!(
            "full iterations differ\nredis-server: {r:?}\n     shardis: {s:?}"
        )),
        (Err(r), Err(s)) => compare(name, &r, &s),
        (Err(r), Ok(s)) => Err(format!(
            "redis-server: {:?}\nshardis iterated: {s:?}",
            lossy(&r)
        )),
        (Ok(r), Err(s)) => Err(format!(
            "redis-server iterated: {r:?}\nshardis: {:?}",
            lossy(&s)
        )),
    }
}

/// Compares every key's type, value, TTL bucket and encoding at the end.
pub fn final_state(pair: &mut Pair) -> Result<(), String> {
    for key in keys() {
        let k = key.as_slice();
        let ty = send(&mut pair.redis.r2, &[b"TYPE".to_vec(), k.to_vec()]);
        let mut reads: Vec<Vec<&[u8]>> = vec![vec![b"TYPE", k], vec![b"TTL", k]];
        match ty.as_slice() {
            b"+string\r\n" => reads.push(vec![b"GET", k]),
            b"+list\r\n" => reads.push(vec![b"LRANGE", k, b"0", b"-1"]),
            b"+set\r\n" => reads.push(vec![b"SMEMBERS", k]),
            b"+hash\r\n" => reads.push(vec![b"HGETALL", k]),
            b"+zset\r\n" => reads.push(vec![b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"]),
            _ => {}
        }
        reads.push(vec![b"OBJECT", b"ENCODING", k]);
        for read in reads {
            let argv: Vec<Vec<u8>> = read.iter().map(|a| a.to_vec()).collect();
            let name = String::from_utf8_lossy(read[0]).to_lowercase();
            let r = send(&mut pair.redis.r2, &argv);
            let s = send(&mut pair.ours.r2, &argv);
            compare(&name, &r, &s)
                .map_err(|e| format!("{} {}: {e}", lossy(read[0]), super::gen::cli_quote(k)))?;
        }
    }
    Ok(())
}
