//! Set commands (SADD ... SSCAN), on [`SetObj`].
//!
//! Multi-key commands borrow one set at a time from the keyspace (its
//! lookups take `&mut self` to expire lazily), so intersections start from
//! the smallest set's members and filter them through each other set.

use std::borrow::Cow;

use rand::Rng;

use super::{
    eq_ic, parse_i64,
    scan::{parse_cursor, scan_header, ScanOpts},
    Args, Changes, CmdError, CmdResult, CountedResult,
};
use crate::{
    keyspace::{Keyspace, Value, ValueMut, ValueRef},
    reply::Reply,
    types::set::{SetObj, SetRef},
};

/// Largest count SRANDMEMBER/SPOP/ZRANDMEMBER reply with when repeats are
/// allowed: the reply is built in memory, so a client number must not size it.
pub(crate) const RANDOM_REPLY_MAX_COUNT: u64 = 1 << 24;

/// The set at `key`, `None` if missing, WRONGTYPE for another type.
pub(crate) fn read_set<'a>(
    ks: &'a mut Keyspace,
    key: &[u8],
) -> Result<Option<SetRef<'a>>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

fn write_set<'a>(ks: &'a mut Keyspace, key: &[u8]) -> Result<Option<&'a mut SetObj>, CmdError> {
    match ks.get_mut(key) {
        None => Ok(None),
        Some(ValueMut::Set(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The set at `key` for writing, created empty when missing.
fn create_set<'a>(ks: &'a mut Keyspace, key: &[u8]) -> Result<&'a mut SetObj, CmdError> {
    if read_set(ks, key)?.is_none() {
        ks.insert(key, Value::Set(Box::default()));
    }
    write_set(ks, key)?.ok_or(CmdError::NoSuchKey)
}

/// Removes `key` if its set became empty.
fn drop_if_empty(ks: &mut Keyspace, key: &[u8]) {
    if matches!(ks.get(key), Some(ValueRef::Set(s)) if s.is_empty()) {
        ks.remove(key);
    }
}

/// Writes `members` as a RESP3 set (RESP2 array).
fn reply_set<'m>(out: &mut Reply, n: usize, members: impl Iterator<Item = Cow<'m, [u8]>>) {
    out.set(n);
    for m in members {
        out.bulk(&m);
    }
}

/// `SADD key member [member ...]`
pub fn sadd(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let (key, members) = (args.get(1)?, args.rest(2));
    // One lookup on the hot path: add in place, or build and insert
    // where the lookup looked.
    let at = ks.locate_key(key);
    let added = match ks.get_mut_at(at, key) {
        Some(ValueMut::Set(set)) => members.iter().filter(|m| set.add(m)).count(),
        Some(_) => return Err(CmdError::WrongType),
        None => {
            let mut set = SetObj::new();
            let n = members.iter().filter(|m| set.add(m)).count();
            ks.insert_at(at, key, Value::Set(Box::new(set)));
            n
        }
    };
    out.int(added as i64);
    Ok(())
}

/// `SREM key member [member ...]`
pub fn srem(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    let (removed, emptied) = match write_set(ks, key)? {
        None => (0, false),
        Some(set) => {
            let n = args.rest(2).iter().filter(|m| set.remove(m)).count();
            (n, set.is_empty())
        }
    };
    if emptied {
        ks.remove(key);
    }
    out.int(removed as i64);
    Ok(())
}

/// `SCARD key`
pub fn scard(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let n = read_set(ks, args.get(1)?)?.map_or(0, |s| s.len());
    out.int(n as i64);
    Ok(())
}

/// `SISMEMBER key member`
pub fn sismember(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let member = args.get(2)?;
    let yes = read_set(ks, args.get(1)?)?.is_some_and(|s| s.contains(member));
    out.int(yes as i64);
    Ok(())
}

/// `SMISMEMBER key member [member ...]`
pub fn smismember(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let set = read_set(ks, args.get(1)?)?;
    let members = args.rest(2);
    out.array(members.len());
    for m in members {
        out.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

/// `SMEMBERS key`
pub fn smembers(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    match read_set(ks, args.get(1)?)? {
        None => out.set(0),
        Some(s) => reply_set(out, s.len(), s.iter()),
    }
    Ok(())
}

/// Parses SPOP's count: Redis says "must be positive" for non-numbers too.
pub(crate) fn positive_count(arg: &[u8]) -> Result<usize, CmdError> {
    match parse_i64(arg) {
        Some(c) if c >= 0 => Ok(usize::try_from(c).unwrap_or(usize::MAX)),
        _ => Err(CmdError::Other(
            "ERR value is out of range, must be positive".into(),
        )),
    }
}

/// `SPOP key [count]`
pub fn spop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let key = args.get(1)?;
    let count = match args.len() {
        3 => Some(positive_count(args.get(2)?)?),
        _ => None,
    };
    let Some(set) = write_set(ks, key)? else {
        match count {
            None => out.null(),
            Some(_) => out.set(0),
        }
        return Ok(());
    };
    let rng = &mut rand::thread_rng();
    match count {
        None => match set.pop(rng) {
            Some(m) => out.bulk(&m),
            None => out.null(),
        },
        Some(c) if c >= set.len() => {
            reply_set(out, set.len(), set.iter());
            ks.remove(key);
            return Ok(());
        }
        Some(c) => {
            out.set(c);
            for _ in 0..c {
                if let Some(m) = set.pop(rng) {
                    out.bulk(&m);
                }
            }
        }
    }
    drop_if_empty(ks, key);
    Ok(())
}

/// Parses a random-reply count: negative means "with repeats", and i64::MIN
/// is refused as Redis does.
pub(crate) fn random_count(arg: &[u8]) -> Result<(u64, bool), CmdError> {
    let c = parse_i64(arg).ok_or(CmdError::NotInteger)?;
    if c == i64::MIN {
        return Err(CmdError::Other(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
                .into(),
        ));
    }
    if c < 0 && c.unsigned_abs() > RANDOM_REPLY_MAX_COUNT {
        return Err(CmdError::Other("ERR value is out of range".into()));
    }
    Ok((c.unsigned_abs(), c >= 0))
}

/// `count` distinct random indexes below `len` (`count < len`).
pub(crate) fn distinct_indexes(len: usize, count: usize, rng: &mut impl Rng) -> Vec<usize> {
    if count.saturating_mul(3) > len {
        // Partial Fisher-Yates: the set is small next to the count.
        let mut idx: Vec<usize> = (0..len).collect();
        for i in 0..count {
            let j = rng.gen_range(i..len);
            idx.swap(i, j);
        }
        idx.truncate(count);
        idx
    } else {
        let mut seen = hashbrown::HashSet::with_capacity(count);
        let mut idx = Vec::with_capacity(count);
        while idx.len() < count {
            let i = rng.gen_range(0..len);
            if seen.insert(i) {
                idx.push(i);
            }
        }
        idx
    }
}

/// `SRANDMEMBER key [count]`
pub fn srandmember(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match args.len() {
        3 => Some(random_count(args.get(2)?)?),
        _ => None,
    };
    // Sets are never stored empty; the filter keeps random picks in range regardless.
    let set = read_set(ks, args.get(1)?)?.filter(|s| !s.is_empty());
    let rng = &mut rand::thread_rng();
    let (set, (count, distinct)) = match (set, count) {
        (None, None) => {
            out.null();
            return Ok(());
        }
        (None, Some(_)) => {
            out.array(0);
            return Ok(());
        }
        (Some(s), None) => {
            match s.random_member(rng) {
                Some(m) => out.bulk(&m),
                None => out.null(),
            }
            return Ok(());
        }
        (Some(s), Some(c)) => (s, c),
    };
    if !distinct {
        // A listpack finds by index in O(n): unpack it once (<= 128 members).
        let compact: Vec<Cow<[u8]>> = match set.encoding() {
            "listpack" => set.iter().collect(),
            _ => Vec::new(),
        };
        out.array(count as usize);
        for _ in 0..count {
            let i = rng.gen_range(0..set.len());
            match compact.get(i) {
                Some(m) => out.bulk(m),
                None => out.bulk(&set.nth(i).unwrap_or_default()),
            }
        }
    } else if count as usize >= set.len() {
        out.array(set.len());
        set.iter().for_each(|m| out.bulk(&m));
    } else {
        let idx = distinct_indexes(set.len(), count as usize, rng);
        out.array(idx.len());
        for i in idx {
            if let Some(m) = set.nth(i) {
                out.bulk(&m);
            }
        }
    }
    Ok(())
}

/// `SMOVE source destination member`
/// A move from a set to itself changes nothing, even when it answers 1
/// (as in Redis).
pub fn smove(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (src, dst, member) = (args.get(1)?, args.get(2)?, args.get(3)?);
    let Some(src_set) = read_set(ks, src)? else {
        out.int(0);
        return Ok(Changes::NONE);
    };
    let in_src = src_set.contains(member);
    read_set(ks, dst)?;
    if src == dst || !in_src {
        out.int(in_src as i64);
        return Ok(Changes::NONE);
    }
    if let Some(s) = write_set(ks, src)? {
        s.remove(member);
    }
    drop_if_empty(ks, src);
    if !create_set(ks, dst)?.add(member) {
        ks.mark_unchanged(dst);
    }
    out.int(1);
    Ok(Changes::ONE)
}

/// Type-checks every key and returns each one's cardinality (0 if missing).
pub(crate) fn set_sizes(ks: &mut Keyspace, keys: &[&[u8]]) -> Result<Vec<usize>, CmdError> {
    keys.iter()
        .map(|k| Ok(read_set(ks, k)?.map_or(0, |s| s.len())))
        .collect()
}

/// Members of the intersection of the sets at `keys`, stopping at `limit`
/// members (0: no limit).
fn intersect(ks: &mut Keyspace, keys: &[&[u8]], limit: usize) -> Result<Vec<Vec<u8>>, CmdError> {
    let sizes = set_sizes(ks, keys)?;
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| sizes[i]);
    let Some((&first, others)) = order.split_first() else {
        return Ok(Vec::new());
    };
    if sizes[first] == 0 {
        return Ok(Vec::new());
    }
    let mut acc: Vec<Vec<u8>> = match read_set(ks, keys[first])? {
        Some(s) => s.iter().map(Cow::into_owned).collect(),
        None => Vec::new(),
    };
    for &i in others {
        let set = read_set(ks, keys[i])?;
        acc.retain(|m| set.is_some_and(|s| s.contains(m)));
    }
    if limit > 0 {
        acc.truncate(limit);
    }
    Ok(acc)
}

/// Union or difference of the sets at `keys` as a new set.
fn union_or_diff(ks: &mut Keyspace, keys: &[&[u8]], diff: bool) -> Result<SetObj, CmdError> {
    let sizes = set_sizes(ks, keys)?;
    let mut acc = SetObj::new();
    if let (true, Some((&first, others))) = (diff, keys.split_first()) {
        // Redis 7.0 picks one of two algorithms by their work; the second
        // adds every member of the first set to a fresh set and then
        // removes, so the result keeps the encoding those additions made
        // (a non-integer member removed later leaves a hashtable).
        let first_size = sizes.first().copied().unwrap_or(0);
        let sameset = others.contains(&first);
        let nonnull = sizes.iter().filter(|&&n| n > 0).count();
        let algo_one = first_size * nonnull / 2;
        let algo_two: usize = sizes.iter().sum();
        if first_size > 0 && !sameset && algo_one > algo_two {
            if let Some(f) = read_set(ks, first)? {
                f.iter().for_each(|m| {
                    acc.add(&m);
                });
            }
            for k in others {
                if acc.is_empty() {
                    break;
                }
                if let Some(s) = read_set(ks, k)? {
                    s.iter().for_each(|m| {
                        acc.remove(&m);
                    });
                }
            }
            return Ok(acc);
        }
        if let Some(first) = read_set(ks, first)? {
            acc = first.to_owned();
        }
        for k in others {
            if acc.is_empty() {
                break;
            }
            if let Some(s) = read_set(ks, k)? {
                s.iter().for_each(|m| {
                    acc.remove(&m);
                });
            }
        }
        if acc.encoding() != "intset" {
            // Redis builds the result from an empty set, so it is an
            // intset when what is left is all integers.
            let mut fresh = SetObj::new();
            acc.iter().for_each(|m| {
                fresh.add(&m);
            });
            acc = fresh;
        }
    } else {
        for k in keys {
            if let Some(s) = read_set(ks, k)? {
                s.iter().for_each(|m| {
                    acc.add(&m);
                });
            }
        }
    }
    Ok(acc)
}

/// Stores `set` at `dst` (deleting `dst` if empty) and replies its size.
fn store(ks: &mut Keyspace, dst: &[u8], set: SetObj, out: &mut Reply) {
    let n = set.len();
    if n == 0 {
        ks.remove(dst);
    } else {
        ks.insert(dst, Value::Set(Box::new(set)));
    }
    out.int(n as i64);
}

/// `SINTER key [key ...]`
pub fn sinter(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let members = intersect(ks, args.rest(1), 0)?;
    reply_set(
        out,
        members.len(),
        members.iter().map(|m| Cow::Borrowed(&m[..])),
    );
    Ok(())
}

/// `SINTERSTORE destination key [key ...]`
pub fn sinterstore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let members = intersect(ks, args.rest(2), 0)?;
    let mut set = SetObj::new();
    members.iter().for_each(|m| {
        set.add(m);
    });
    store(ks, args.get(1)?, set, out);
    Ok(())
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`
pub fn sintercard(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let numkeys = parse_i64(args.get(1)?)
        .filter(|&n| n > 0)
        .ok_or_else(|| CmdError::Other("ERR numkeys should be greater than 0".into()))?;
    let (keys, limit) = numkeys_and_limit(args, numkeys)?;
    let n = intersect(ks, keys, limit)?.len();
    out.int(n as i64);
    Ok(())
}

/// Splits `args[2..]` into `numkeys` keys and an optional `LIMIT n`.
pub(crate) fn numkeys_and_limit<'a>(
    args: Args<'a>,
    numkeys: i64,
) -> Result<(&'a [&'a [u8]], usize), CmdError> {
    let rest = args.rest(2);
    if numkeys as u64 > rest.len() as u64 {
        return Err(CmdError::Other(
            "ERR Number of keys can't be greater than number of args".into(),
        ));
    }
    let (keys, opts) = rest.split_at(numkeys as usize);
    let mut limit = 0;
    let mut i = 0;
    while i < opts.len() {
        if eq_ic(opts[i], "limit") && i + 1 < opts.len() {
            limit = parse_i64(opts[i + 1])
                .filter(|&l| l >= 0)
                .ok_or_else(|| CmdError::Other("ERR LIMIT can't be negative".into()))?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((keys, usize::try_from(limit).unwrap_or(usize::MAX)))
}

/// `SUNION key [key ...]`
pub fn sunion(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let set = union_or_diff(ks, args.rest(1), false)?;
    reply_set(out, set.len(), set.iter());
    Ok(())
}

/// `SUNIONSTORE destination key [key ...]`
pub fn sunionstore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let set = union_or_diff(ks, args.rest(2), false)?;
    store(ks, args.get(1)?, set, out);
    Ok(())
}

/// `SDIFF key [key ...]`
pub fn sdiff(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let set = union_or_diff(ks, args.rest(1), true)?;
    reply_set(out, set.len(), set.iter());
    Ok(())
}

/// `SDIFFSTORE destination key [key ...]`
pub fn sdiffstore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let set = union_or_diff(ks, args.rest(2), true)?;
    store(ks, args.get(1)?, set, out);
    Ok(())
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`
pub fn sscan(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let cursor = parse_cursor(args.get(2)?)?;
    let Some(set) = read_set(ks, args.get(1)?)? else {
        scan_header(out, 0, 0);
        return Ok(());
    };
    let opts = ScanOpts::parse(args.rest(3))?;
    // Redis 7.0.15, the version shardis reports, returns an intset whole
    // and pages every other set by COUNT (it has no packed sets; `OBJECT
    // ENCODING` names ours `hashtable` too). Clients that check the
    // version expect that paging (BullMQ's tests do), so a packed set
    // pages as a table does: a window of COUNT positions from the top
    // down. Removing a member shifts only those above it, already
    // reported, and a packed set keeps its order when it becomes a table,
    // so every member present throughout is reported.
    let (found, next): (Vec<_>, u64) = match set.encoding() {
        "intset" => (set.iter().filter(|m| opts.matches(m)).collect(), 0),
        "hashtable" => {
            let (range, next) = opts.window(set.len(), cursor);
            let found = range.filter_map(|i| set.nth(i)).filter(|m| opts.matches(m));
            (found.collect(), next)
        }
        _ => {
            let (range, next) = opts.window(set.len(), cursor);
            let found = set.iter().skip(range.start).take(range.len());
            (found.filter(|m| opts.matches(m)).collect(), next)
        }
    };
    scan_header(out, next, found.len());
    found.iter().for_each(|m| out.bulk(m));
    Ok(())
}

#[cfg(test)]
mod tests;
