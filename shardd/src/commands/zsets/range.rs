//! Range queries over a zset: ZRANGE with BYSCORE/BYLEX/REV/LIMIT, its
//! legacy forms, ZRANGESTORE, ZCOUNT/ZLEXCOUNT and ZREMRANGEBY*.
//!
//! Every range becomes an ascending rank window `lo..hi` found by binary
//! search ([`ZSetRef::count_while`]), then is walked forwards or backwards
//! with LIMIT applied. Arguments are fully parsed before the key is looked
//! up, so syntax errors win over WRONGTYPE, as in Redis.

use super::{
    parse::{LexRange, ScoreRange},
    read_zset, reply_scored, store, write_zset,
};
use crate::{
    commands::{eq_ic, parse_i64, Args, CmdError, CmdResult},
    keyspace::Keyspace,
    reply::Reply,
    types::zset::{ZSetObj, ZSetRef},
};

/// How a range's bounds are read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Rank,
    Score,
    Lex,
}

/// A parsed range: bounds plus options.
enum Bounds<'a> {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange<'a>),
}

struct Spec<'a> {
    bounds: Bounds<'a>,
    rev: bool,
    withscores: bool,
    offset: i64,
    /// -1: no limit.
    limit: i64,
}

/// Ascending rank window `lo..hi` for ranks `start..=end` (negative from the end).
fn rank_window(len: usize, start: i64, end: i64) -> (usize, usize) {
    let llen = len as i64;
    let s = if start < 0 {
        llen.saturating_add(start)
    } else {
        start
    }
    .max(0);
    let e = if end < 0 {
        llen.saturating_add(end)
    } else {
        end
    };
    if s > e || s >= llen {
        return (0, 0);
    }
    (s as usize, e.min(llen - 1) as usize + 1)
}

fn parse_bounds<'a>(kind: Kind, a: &'a [u8], b: &'a [u8]) -> Result<Bounds<'a>, CmdError> {
    Ok(match kind {
        Kind::Rank => Bounds::Rank(
            parse_i64(a).ok_or(CmdError::NotInteger)?,
            parse_i64(b).ok_or(CmdError::NotInteger)?,
        ),
        Kind::Score => Bounds::Score(ScoreRange::parse(a, b)?),
        Kind::Lex => Bounds::Lex(LexRange::parse(a, b)?),
    })
}

/// Parses `<a> <b> [options]` starting at `args[at]`, as Redis's
/// `zrangeGenericCommand` does; `kind`/`rev` are preset by legacy commands.
fn parse_spec<'a>(
    args: Args<'a>,
    at: usize,
    mut kind: Option<Kind>,
    mut rev: Option<bool>,
    store: bool,
) -> Result<Spec<'a>, CmdError> {
    let (a, b) = (args.get(at)?, args.get(at + 1)?);
    let (mut withscores, mut offset, mut limit) = (false, 0, -1);
    let opts = args.rest(at + 2);
    let mut i = 0;
    while i < opts.len() {
        let o = opts[i];
        if eq_ic(o, "withscores") && !store {
            withscores = true;
        } else if eq_ic(o, "limit") && i + 2 < opts.len() {
            offset = parse_i64(opts[i + 1]).ok_or(CmdError::NotInteger)?;
            limit = parse_i64(opts[i + 2]).ok_or(CmdError::NotInteger)?;
            i += 2;
        } else if rev.is_none() && eq_ic(o, "rev") {
            rev = Some(true);
        } else if kind.is_none() && eq_ic(o, "bylex") {
            kind = Some(Kind::Lex);
        } else if kind.is_none() && eq_ic(o, "byscore") {
            kind = Some(Kind::Score);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let kind = kind.unwrap_or(Kind::Rank);
    let rev = rev.unwrap_or(false);
    if limit != -1 && kind == Kind::Rank {
        return Err(CmdError::Other(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
                .into(),
        ));
    }
    if kind == Kind::Rank {
        // Redis 7.0 accepts `LIMIT offset -1` on a rank range and ignores it.
        offset = 0;
    }
    if withscores && kind == Kind::Lex {
        return Err(CmdError::Other(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX".into(),
        ));
    }
    // Reverse score and lex ranges are given max first.
    let (a, b) = if rev && kind != Kind::Rank {
        (b, a)
    } else {
        (a, b)
    };
    Ok(Spec {
        bounds: parse_bounds(kind, a, b)?,
        rev,
        withscores,
        offset,
        limit,
    })
}

/// The ascending rank window a range selects.
fn window(z: ZSetRef<'_>, bounds: &Bounds, walk: LexWalk) -> (usize, usize) {
    let (lo, hi) = match bounds {
        Bounds::Rank(s, e) => rank_window(z.len(), *s, *e),
        Bounds::Score(r) => (
            z.count_while(|s, _| !r.above_min(s)),
            z.count_while(|s, _| r.below_max(s)),
        ),
        Bounds::Lex(r) => return lex_window(z, r, walk),
    };
    (lo, hi.max(lo))
}

/// How a lex range is walked (see [`lex_window`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum LexWalk {
    Forward,
    Reverse,
    /// ZLEXCOUNT: a skiplist finds both ends by search.
    Count,
}

/// The window of a lex range. Members are only in lex order when all
/// scores are equal; for mixed scores Redis's answer depends on how it
/// walks, so we walk the same way: find the first member in range (the
/// last when reversed), then step while members stay in range. A listpack
/// is searched linearly; a skiplist by descent, which a binary search
/// stands in for (a skiplist's random levels make Redis itself vary there).
fn lex_window(z: ZSetRef<'_>, r: &LexRange, walk: LexWalk) -> (usize, usize) {
    let n = z.len();
    let (Some((first, _)), Some((last, _))) = (z.get(0), z.get(n.wrapping_sub(1))) else {
        return (0, 0);
    };
    if r.is_empty() || r.below_min(last) || !r.below_max(first) {
        return (0, 0);
    }
    let compact = z.encoding() == "listpack";
    let walk = if compact && walk == LexWalk::Count {
        LexWalk::Forward
    } else {
        walk
    };
    let members = |lo, hi| z.range(lo, hi).map(|(m, _)| m);
    match walk {
        LexWalk::Forward => {
            let lo = if compact {
                members(0, n).take_while(|m| r.below_min(m)).count()
            } else {
                z.count_while(|_, m| r.below_min(m))
            };
            (
                lo,
                lo + members(lo, n).take_while(|m| r.below_max(m)).count(),
            )
        }
        LexWalk::Reverse => {
            let hi = if compact {
                n - members(0, n).rev().take_while(|m| !r.below_max(m)).count()
            } else {
                z.count_while(|_, m| r.below_max(m))
            };
            (
                hi - members(0, hi).rev().take_while(|m| !r.below_min(m)).count(),
                hi,
            )
        }
        LexWalk::Count => {
            let lo = z.count_while(|_, m| r.below_min(m));
            (lo, z.count_while(|_, m| r.below_max(m)).max(lo))
        }
    }
}

/// The entries `spec` selects, in reply order.
fn select<'z>(z: ZSetRef<'z>, spec: &Spec) -> Vec<(&'z [u8], f64)> {
    let walk = if spec.rev {
        LexWalk::Reverse
    } else {
        LexWalk::Forward
    };
    let (mut lo, mut hi) = window(z, &spec.bounds, walk);
    if let Bounds::Rank(..) = spec.bounds {
        if spec.rev {
            (lo, hi) = (z.len() - hi, z.len() - lo);
        }
    }
    if spec.offset < 0 {
        return Vec::new();
    }
    let skip = usize::try_from(spec.offset).unwrap_or(usize::MAX);
    let take = usize::try_from(spec.limit).unwrap_or(usize::MAX);
    let it = z.range(lo, hi);
    if spec.rev {
        it.rev().skip(skip).take(take).collect()
    } else {
        it.skip(skip).take(take).collect()
    }
}

fn range_reply(
    ks: &mut Keyspace,
    args: Args,
    out: &mut Reply,
    kind: Option<Kind>,
    rev: Option<bool>,
) -> CmdResult {
    let spec = parse_spec(args, 2, kind, rev, false)?;
    match read_zset(ks, args.get(1)?)? {
        None => out.array(0),
        Some(z) => {
            let items = select(z, &spec);
            reply_scored(out, items.into_iter(), spec.withscores);
        }
    }
    Ok(())
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
pub fn zrange(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    range_reply(ks, args, out, None, None)
}

/// `ZREVRANGE key start stop [WITHSCORES]`
pub fn zrevrange(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    range_reply(ks, args, out, Some(Kind::Rank), Some(true))
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
pub fn zrangebyscore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    range_reply(ks, args, out, Some(Kind::Score), Some(false))
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
pub fn zrevrangebyscore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    range_reply(ks, args, out, Some(Kind::Score), Some(true))
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
pub fn zrangebylex(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    range_reply(ks, args, out, Some(Kind::Lex), Some(false))
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
pub fn zrevrangebylex(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    range_reply(ks, args, out, Some(Kind::Lex), Some(true))
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub fn zrangestore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let spec = parse_spec(args, 3, None, None, true)?;
    let mut result = ZSetObj::new();
    if let Some(z) = read_zset(ks, args.get(2)?)? {
        let items = select(z, &spec);
        // Redis sizes the result by its length for a rank range only (score
        // and lex ranges start packed): that decides whether -0 stays.
        if let Bounds::Rank(..) = spec.bounds {
            result = ZSetObj::with_size_hint(items.len());
        }
        for (m, s) in items {
            result.insert(m, s);
        }
    }
    store(ks, args.get(1)?, result, out);
    Ok(())
}

fn count_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, kind: Kind) -> CmdResult {
    let bounds = parse_bounds(kind, args.get(2)?, args.get(3)?)?;
    let n = match read_zset(ks, args.get(1)?)? {
        None => 0,
        Some(z) => {
            let (lo, hi) = window(z, &bounds, LexWalk::Count);
            hi - lo
        }
    };
    out.int(n as i64);
    Ok(())
}

/// `ZCOUNT key min max`
pub fn zcount(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    count_generic(ks, args, out, Kind::Score)
}

/// `ZLEXCOUNT key min max`
pub fn zlexcount(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    count_generic(ks, args, out, Kind::Lex)
}

fn remrange_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, kind: Kind) -> CmdResult {
    let bounds = parse_bounds(kind, args.get(2)?, args.get(3)?)?;
    let key = args.get(1)?;
    let mut n = 0;
    if let Some(z) = write_zset(ks, key)? {
        let (lo, hi) = window(z.zset_ref(), &bounds, LexWalk::Forward);
        let doomed: Vec<Vec<u8>> = z.range(lo, hi).map(|(m, _)| m.to_vec()).collect();
        for m in &doomed {
            z.remove(m);
        }
        n = doomed.len();
    }
    super::drop_if_empty(ks, key);
    out.int(n as i64);
    Ok(())
}

/// The members (with their scores) `ZREMRANGEBYRANK`, `ZREMRANGEBYSCORE`
/// or `ZREMRANGEBYLEX` (`by_score`, `by_lex`) with bounds `min` and `max`
/// would remove from `z`; `None` when the bounds do not parse (the
/// command fails and removes nothing). A transaction's undo keeps them
/// (`persist::txlog::Delta`).
pub fn remrange_victims(
    z: ZSetRef<'_>,
    by_score: bool,
    by_lex: bool,
    min: &[u8],
    max: &[u8],
) -> Option<Vec<(Vec<u8>, f64)>> {
    let kind = match (by_score, by_lex) {
        (true, _) => Kind::Score,
        (_, true) => Kind::Lex,
        _ => Kind::Rank,
    };
    let bounds = parse_bounds(kind, min, max).ok()?;
    let (lo, hi) = window(z, &bounds, LexWalk::Forward);
    Some(z.range(lo, hi).map(|(m, s)| (m.to_vec(), s)).collect())
}

/// `ZREMRANGEBYRANK key start stop`
pub fn zremrangebyrank(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    remrange_generic(ks, args, out, Kind::Rank)
}

/// `ZREMRANGEBYSCORE key min max`
pub fn zremrangebyscore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    remrange_generic(ks, args, out, Kind::Score)
}

/// `ZREMRANGEBYLEX key min max`
pub fn zremrangebylex(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    remrange_generic(ks, args, out, Kind::Lex)
}
