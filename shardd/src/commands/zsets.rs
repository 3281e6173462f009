//! Sorted-set commands, on [`ZSetObj`].
//!
//! This file holds the single-key commands (ZADD, ZSCORE, pops, ...);
//! range queries live in [`range`] and the multi-key algebra (ZUNION,
//! ZINTER, ZDIFF and their STORE forms) in [`setops`]. Scores reply as
//! RESP3 doubles (RESP2 bulk strings) formatted as Redis 7.0 does, and
//! `WITHSCORES` pairs are flat in RESP2 and `[member, score]` arrays in RESP3.

mod parse;
pub(crate) use parse::parse_hex;
mod range;
mod setops;

use rand::Rng;
pub use range::{
    remrange_victims, zcount, zlexcount, zrange, zrangebylex, zrangebyscore, zrangestore,
    zremrangebylex, zremrangebyrank, zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};
pub use setops::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore};

use self::parse::score_arg;
use super::{
    eq_ic, parse_i64,
    scan::{parse_cursor, scan_header, ScanOpts},
    sets::{distinct_indexes, positive_count, random_count},
    Args, Changes, CmdError, CmdResult, CountedResult,
};
use crate::{
    keyspace::{Keyspace, Value, ValueMut, ValueRef},
    reply::{format_double, Proto, Reply},
    types::zset::{ZSetObj, ZSetRef},
};

/// The zset at `key`, `None` if missing, WRONGTYPE for another type.
pub(crate) fn read_zset<'a>(
    ks: &'a mut Keyspace,
    key: &[u8],
) -> Result<Option<ZSetRef<'a>>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

fn write_zset<'a>(ks: &'a mut Keyspace, key: &[u8]) -> Result<Option<&'a mut ZSetObj>, CmdError> {
    match ks.get_mut(key) {
        None => Ok(None),
        Some(ValueMut::ZSet(z)) => Ok(Some(z)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Removes `key` if its zset became empty.
pub(crate) fn drop_if_empty(ks: &mut Keyspace, key: &[u8]) {
    if matches!(ks.get(key), Some(ValueRef::ZSet(z)) if z.is_empty()) {
        ks.remove(key);
    }
}

/// Stores `z` at `dst` (deleting `dst` if empty) and replies its size.
pub(crate) fn store(ks: &mut Keyspace, dst: &[u8], z: ZSetObj, out: &mut Reply) {
    let n = z.len();
    if n == 0 {
        ks.remove(dst);
    } else {
        ks.insert(dst, Value::ZSet(Box::new(z)));
    }
    out.int(n as i64);
}

/// Writes `items` as members, or with scores: flat pairs in RESP2,
/// `[member, score]` arrays in RESP3.
pub(crate) fn reply_scored<'m>(
    out: &mut Reply,
    items: impl ExactSizeIterator<Item = (&'m [u8], f64)>,
    withscores: bool,
) {
    let pairs = withscores && out.proto() == Proto::Resp3;
    out.array(if withscores && !pairs {
        items.len() * 2
    } else {
        items.len()
    });
    for (m, s) in items {
        if pairs {
            out.array(2);
        }
        out.bulk(m);
        if withscores {
            out.double(s);
        }
    }
}

/// ZADD's flags.
#[derive(Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What one ZADD element did.
enum AddOutcome {
    Added(f64),
    Updated(f64),
    Unchanged(f64),
    Skipped,
}

fn nan_error() -> CmdError {
    CmdError::Other("ERR resulting score is not a number (NaN)".into())
}

/// Redis's `zsetAdd`: applies one score (or increment) to `member`.
fn zset_add(
    z: &mut ZSetObj,
    f: &AddFlags,
    score: f64,
    member: &[u8],
) -> Result<AddOutcome, CmdError> {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Ok(AddOutcome::Skipped);
            }
            let new = if f.incr { score + cur } else { score };
            if new.is_nan() {
                return Err(nan_error());
            }
            if (f.lt && new >= cur) || (f.gt && new <= cur) {
                return Ok(AddOutcome::Skipped);
            }
            if new == cur {
                return Ok(AddOutcome::Unchanged(new));
            }
            z.insert(member, new);
            Ok(AddOutcome::Updated(new))
        }
        None if f.xx => Ok(AddOutcome::Skipped),
        None => {
            z.insert(member, score);
            Ok(AddOutcome::Added(score))
        }
    }
}

/// What a ZADD did overall.
#[derive(Default)]
struct AddCounts {
    added: i64,
    updated: i64,
    /// The score of the last element processed (for INCR's reply).
    last: Option<f64>,
}

/// Applies ZADD's elements in order; stops at the first NaN (as Redis
/// does, keeping the elements before it).
fn add_all<'m>(
    z: &mut ZSetObj,
    f: &AddFlags,
    elements: impl Iterator<Item = (f64, &'m &'m [u8])>,
) -> Result<AddCounts, CmdError> {
    let mut c = AddCounts::default();
    for (score, member) in elements {
        match zset_add(z, f, score, member)? {
            AddOutcome::Added(s) => (c.added, c.last) = (c.added + 1, Some(s)),
            AddOutcome::Updated(s) => (c.updated, c.last) = (c.updated + 1, Some(s)),
            AddOutcome::Unchanged(s) => c.last = Some(s),
            AddOutcome::Skipped => {}
        }
    }
    Ok(c)
}

fn parse_add_flags(args: Args) -> Result<(AddFlags, usize), CmdError> {
    let mut f = AddFlags::default();
    let mut i = 2;
    while let Ok(a) = args.get(i) {
        let flag = match () {
            _ if eq_ic(a, "nx") => &mut f.nx,
            _ if eq_ic(a, "xx") => &mut f.xx,
            _ if eq_ic(a, "gt") => &mut f.gt,
            _ if eq_ic(a, "lt") => &mut f.lt,
            _ if eq_ic(a, "ch") => &mut f.ch,
            _ if eq_ic(a, "incr") => &mut f.incr,
            _ => break,
        };
        *flag = true;
        i += 1;
    }
    let pairs = args.rest(i).len();
    if pairs == 0 || pairs & 1 == 1 {
        return Err(CmdError::Syntax);
    }
    if f.nx && f.xx {
        return Err(CmdError::Other(
            "ERR XX and NX options at the same time are not compatible".into(),
        ));
    }
    if [f.gt, f.lt, f.nx].iter().filter(|&&on| on).count() > 1 {
        return Err(CmdError::Other(
            "ERR GT, LT, and/or NX options at the same time are not compatible".into(),
        ));
    }
    if f.incr && pairs > 2 {
        return Err(CmdError::Other(
            "ERR INCR option supports a single increment-element pair".into(),
        ));
    }
    Ok((f, i))
}

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
/// Counts the members added or whose score changed (Redis's `dirty`): a
/// ZADD that changed no score (NX on members that are there, the same
/// scores, GT/LT that did not apply) changes nothing.
pub fn zadd(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (f, first) = parse_add_flags(args)?;
    let pairs = args.rest(first);
    let scores = pairs
        .iter()
        .step_by(2)
        .map(|s| score_arg(s))
        .collect::<Result<Vec<f64>, _>>()?;
    let key = args.get(1)?;
    let elements = scores.iter().copied().zip(pairs.iter().skip(1).step_by(2));
    // One lookup on the hot path: change in place, or build and insert
    // where the lookup looked.
    let at = ks.locate_key(key);
    let result = match ks.get_mut_at(at, key) {
        Some(ValueMut::ZSet(z)) => add_all(z, &f, elements),
        Some(_) => return Err(CmdError::WrongType),
        None if f.xx => Ok(AddCounts::default()),
        None => {
            let mut z = ZSetObj::new();
            let r = add_all(&mut z, &f, elements);
            if !z.is_empty() {
                ks.insert_at(at, key, Value::ZSet(Box::new(z)));
            }
            r
        }
    };
    let AddCounts {
        added,
        updated,
        last,
    } = result?;
    if f.incr {
        match last {
            Some(s) => out.double(s),
            None => out.null(),
        }
    } else {
        out.int(if f.ch { added + updated } else { added });
    }
    Ok(Changes((added + updated) as u64))
}

/// `ZINCRBY key increment member`
/// An increment that leaves the score as it was changes nothing.
pub fn zincrby(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    // Redis runs ZINCRBY through ZADD's parser, which would take a flag word
    // here and then find an odd number of score/member arguments.
    let incr_arg = args.get(2)?;
    if ["nx", "xx", "gt", "lt", "ch", "incr"]
        .iter()
        .any(|f| eq_ic(incr_arg, f))
    {
        return Err(CmdError::Syntax);
    }
    let incr = score_arg(args.get(2)?)?;
    let (key, member) = (args.get(1)?, args.get(3)?);
    if read_zset(ks, key)?.is_none() {
        ks.insert(key, Value::ZSet(Box::default()));
    }
    let f = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    let result = match write_zset(ks, key)? {
        Some(z) => zset_add(z, &f, incr, member),
        None => Err(CmdError::NoSuchKey),
    };
    drop_if_empty(ks, key);
    Ok(match result? {
        AddOutcome::Added(s) | AddOutcome::Updated(s) => {
            out.double(s);
            Changes::ONE
        }
        AddOutcome::Unchanged(s) => {
            out.double(s);
            Changes::NONE
        }
        AddOutcome::Skipped => {
            out.null();
            Changes::NONE
        }
    })
}

/// `ZREM key member [member ...]`
pub fn zrem(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    let (n, emptied) = match write_zset(ks, key)? {
        Some(z) => {
            let n = args
                .rest(2)
                .iter()
                .filter(|m| z.remove(m).is_some())
                .count();
            (n, z.is_empty())
        }
        None => (0, false),
    };
    if emptied {
        ks.remove(key);
    }
    out.int(n as i64);
    Ok(())
}

/// `ZCARD key`
pub fn zcard(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let n = read_zset(ks, args.get(1)?)?.map_or(0, ZSetRef::len);
    out.int(n as i64);
    Ok(())
}

/// `ZSCORE key member`
pub fn zscore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let member = args.get(2)?;
    match read_zset(ks, args.get(1)?)?.and_then(|z| z.score(member)) {
        Some(s) => out.double(s),
        None => out.null(),
    }
    Ok(())
}

/// `ZMSCORE key member [member ...]`
pub fn zmscore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let z = read_zset(ks, args.get(1)?)?;
    let members = args.rest(2);
    out.array(members.len());
    for m in members {
        match z.and_then(|z| z.score(m)) {
            Some(s) => out.double(s),
            None => out.null(),
        }
    }
    Ok(())
}

/// `ZRANK key member [WITHSCORE]` (WITHSCORE as in Redis 7.2).
pub fn zrank(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    rank_generic(ks, args, out, false)
}

/// `ZREVRANK key member [WITHSCORE]`
pub fn zrevrank(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    rank_generic(ks, args, out, true)
}

fn rank_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, rev: bool) -> CmdResult {
    // At most WITHSCORE: the table says only "at least 3".
    args.check(|n| n <= 4)?;
    let withscore = match args.get(3) {
        Ok(a) if eq_ic(a, "withscore") => true,
        Ok(_) => return Err(CmdError::Syntax),
        Err(_) => false,
    };
    let member = args.get(2)?;
    let found = read_zset(ks, args.get(1)?)?.and_then(|z| {
        let r = z.rank(member)?;
        let r = if rev { z.len() - 1 - r } else { r };
        Some((r, z.score(member)?))
    });
    match (found, withscore) {
        (None, false) => out.null(),
        (None, true) => out.null_array(),
        (Some((r, _)), false) => out.int(r as i64),
        (Some((r, s)), true) => {
            out.array(2);
            out.int(r as i64);
            out.double(s);
        }
    }
    Ok(())
}

/// Pops up to `count` lowest (or highest) entries of the zset at `key`.
fn pop_entries(
    ks: &mut Keyspace,
    key: &[u8],
    count: usize,
    max: bool,
) -> Result<Vec<(Vec<u8>, f64)>, CmdError> {
    let mut popped = Vec::new();
    if let Some(z) = write_zset(ks, key)? {
        let n = count.min(z.len());
        let range = if max {
            z.range(z.len() - n, z.len())
        } else {
            z.range(0, n)
        };
        popped = if max {
            range.rev().map(|(m, s)| (m.to_vec(), s)).collect()
        } else {
            range.map(|(m, s)| (m.to_vec(), s)).collect()
        };
        for (m, _) in &popped {
            z.remove(m);
        }
    }
    drop_if_empty(ks, key);
    Ok(popped)
}

/// `ZPOPMIN key [count]`
pub fn zpopmin(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    pop_generic(ks, args, out, false)
}

/// `ZPOPMAX key [count]`
pub fn zpopmax(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    pop_generic(ks, args, out, true)
}

fn pop_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = match args.get(2) {
        Ok(c) => Some(positive_count(c)?),
        Err(_) => None,
    };
    let popped = pop_entries(ks, args.get(1)?, count.unwrap_or(1), max)?;
    let items = popped.iter().map(|(m, s)| (&m[..], *s));
    if count.is_none() && out.proto() == Proto::Resp3 {
        // A single pop is a flat [member, score] even in RESP3.
        out.array(popped.len() * 2);
        for (m, s) in items {
            out.bulk(m);
            out.double(s);
        }
    } else {
        reply_scored(out, items, true);
    }
    Ok(())
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
pub fn zmpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    zmpop_checked(ks, args, out, || Ok(()))
}

/// ZMPOP, running `check` once its options parsed (BZMPOP's timeout).
fn zmpop_checked(
    ks: &mut Keyspace,
    args: Args,
    out: &mut Reply,
    check: impl FnOnce() -> CmdResult,
) -> CmdResult {
    let numkeys = parse_i64(args.get(1)?)
        .filter(|&n| n > 0)
        .ok_or_else(|| CmdError::Other("ERR numkeys should be greater than 0".into()))?;
    if numkeys as u64 > args.len().saturating_sub(3) as u64 {
        return Err(CmdError::WrongArity(args.name_lower()));
    }
    let keys = args
        .rest(2)
        .get(..numkeys as usize)
        .ok_or_else(|| CmdError::WrongArity(args.name_lower()))?;
    let where_at = 2 + numkeys as usize;
    let max = match args.get(where_at)? {
        w if eq_ic(w, "min") => false,
        w if eq_ic(w, "max") => true,
        _ => return Err(CmdError::Syntax),
    };
    let mut count = None;
    let opts = args.rest(where_at + 1);
    let mut i = 0;
    while i < opts.len() {
        if count.is_none() && eq_ic(opts[i], "count") && i + 1 < opts.len() {
            count = Some(
                parse_i64(opts[i + 1])
                    .filter(|&c| c > 0)
                    .ok_or_else(|| CmdError::Other("ERR count should be greater than 0".into()))?,
            );
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let count = usize::try_from(count.unwrap_or(1)).unwrap_or(usize::MAX);
    check()?;
    for key in keys {
        if read_zset(ks, key)?.is_some() {
            let popped = pop_entries(ks, key, count, max)?;
            out.array(2);
            out.bulk(key);
            out.array(popped.len());
            for (m, s) in &popped {
                out.array(2);
                out.bulk(m);
                out.double(*s);
            }
            return Ok(());
        }
    }
    out.null_array();
    Ok(())
}

/// Parses a blocking command's timeout (Redis's error if bad).
fn timeout(arg: &[u8]) -> CmdResult {
    common::blocking::parse_timeout(arg)
        .map(drop)
        .map_err(|e| CmdError::Other(e.into()))
}

fn blocking_pop(ks: &mut Keyspace, args: Args, out: &mut Reply, max: bool) -> CmdResult {
    let all = args.all();
    timeout(all.last().copied().unwrap_or_default())?;
    for key in all.get(1..all.len().saturating_sub(1)).unwrap_or(&[]) {
        if read_zset(ks, key)?.is_none() {
            continue;
        }
        let popped = pop_entries(ks, key, 1, max)?;
        out.array(1 + popped.len() * 2);
        out.bulk(key);
        for (m, s) in &popped {
            out.bulk(m);
            out.double(*s);
        }
        return Ok(());
    }
    out.null_array();
    ks.set_would_block();
    Ok(())
}

/// `BZPOPMIN key [key ...] timeout`
pub fn bzpopmin(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    blocking_pop(ks, args, out, false)
}

/// `BZPOPMAX key [key ...] timeout`
pub fn bzpopmax(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    blocking_pop(ks, args, out, true)
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`: ZMPOP's
/// parsing and reply, the timeout checked after the options as Redis does.
pub fn bzmpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let all = args.all();
    let mut argv: Vec<&[u8]> = Vec::with_capacity(all.len().saturating_sub(1));
    argv.push(b"ZMPOP");
    argv.extend_from_slice(all.get(2..).unwrap_or(&[]));
    let start = out.buffer().len();
    zmpop_checked(ks, Args::new(&argv), out, || timeout(args.get(1)?))?;
    if super::lists::is_null(&out.buffer()[start..]) {
        ks.set_would_block();
    }
    Ok(())
}

/// `ZRANDMEMBER key [count [WITHSCORES]]`
pub fn zrandmember(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let count = match args.get(2) {
        Ok(c) => Some(random_count(c)?),
        Err(_) => None,
    };
    let withscores = match args.rest(3) {
        [] => false,
        [a] if eq_ic(a, "withscores") => true,
        _ => return Err(CmdError::Syntax),
    };
    // Redis refuses counts whose doubled reply length would overflow.
    if withscores && count.is_some_and(|(c, _)| c > i64::MAX as u64 / 2) {
        return Err(CmdError::Other("ERR value is out of range".into()));
    }
    // Zsets are never stored empty; the filter keeps random picks in range regardless.
    let z = read_zset(ks, args.get(1)?)?.filter(|z| !z.is_empty());
    let rng = &mut rand::thread_rng();
    let Some((count, distinct)) = count else {
        match z.and_then(|z| z.get(rng.gen_range(0..z.len().max(1)))) {
            Some((m, _)) => out.bulk(m),
            None => out.null(),
        }
        return Ok(());
    };
    let Some(z) = z else {
        out.array(0);
        return Ok(());
    };
    if !distinct {
        // A listpack finds by rank in O(n): unpack it once (<= 128 entries).
        let compact: Vec<(&[u8], f64)> = match z.encoding() {
            "listpack" => z.iter().collect(),
            _ => Vec::new(),
        };
        let len = z.len();
        let pick = |i: usize| compact.get(i).copied().or_else(|| z.get(i));
        let picks = (0..count as usize).map(|_| pick(rng.gen_range(0..len)).unwrap_or((&[], 0.0)));
        reply_scored(out, picks, withscores);
    } else if count as usize >= z.len() {
        reply_scored(out, z.iter().rev(), withscores);
    } else {
        let idx = distinct_indexes(z.len(), count as usize, rng);
        let picks: Vec<_> = idx.into_iter().filter_map(|i| z.get(i)).collect();
        reply_scored(out, picks.into_iter(), withscores);
    }
    Ok(())
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: scores as bulk strings.
pub fn zscan(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let cursor = parse_cursor(args.get(2)?)?;
    let Some(z) = read_zset(ks, args.get(1)?)? else {
        scan_header(out, 0, 0);
        return Ok(());
    };
    let opts = ScanOpts::parse(args.rest(3))?;
    let (found, next): (Vec<(&[u8], f64)>, u64) = match z.table_entry(0) {
        None => (z.iter().filter(|(m, _)| opts.matches(m)).collect(), 0),
        Some(_) => {
            let (range, next) = opts.window(z.len(), cursor);
            let found = range
                .filter_map(|i| z.table_entry(i).flatten())
                .filter(|(m, _)| opts.matches(m));
            (found.collect(), next)
        }
    };
    scan_header(out, next, found.len() * 2);
    let mut text = String::new();
    for (m, s) in found {
        out.bulk(m);
        text.clear();
        format_double(s, &mut text);
        out.bulk(text.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
