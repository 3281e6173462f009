//! ZUNION, ZINTER, ZDIFF, their STORE forms and ZINTERCARD.
//!
//! Inputs may be zsets or plain sets (every member scoring 1). As in Redis,
//! weighted scores and sums that come out NaN (`inf - inf`, `0 * inf`)
//! count as 0, and inputs are taken smallest first for union and
//! intersection (so float sums add up in the same order).

use hashbrown::HashMap;

use super::{parse::parse_score, reply_scored, store};
use crate::{
    commands::{eq_ic, parse_i64, Args, CmdError, CmdResult},
    keyspace::{Keyspace, ValueRef},
    reply::Reply,
    types::{
        set::SetRef,
        zset::{cmp_entry, ZSetObj, ZSetRef},
    },
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// One input: a zset or a set, borrowed.
enum Src<'a> {
    Z(ZSetRef<'a>),
    S(SetRef<'a>),
}

impl Src<'_> {
    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Src::Z(z) => z.iter().for_each(|(m, s)| f(m, s)),
            Src::S(s) => s.iter().for_each(|m| f(&m, 1.0)),
        }
    }
}

fn read_src<'a>(ks: &'a mut Keyspace, key: &[u8]) -> Result<Option<Src<'a>>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::ZSet(z)) => Ok(Some(Src::Z(z))),
        Some(ValueRef::Set(s)) => Ok(Some(Src::S(s))),
        Some(_) => Err(CmdError::WrongType),
    }
}

fn src_len(ks: &mut Keyspace, key: &[u8]) -> Result<usize, CmdError> {
    Ok(match read_src(ks, key)? {
        None => 0,
        Some(Src::Z(z)) => z.len(),
        Some(Src::S(s)) => s.len(),
    })
}

fn weigh(score: f64, weight: f64) -> f64 {
    let v = score * weight;
    if v.is_nan() {
        0.0
    } else {
        v
    }
}

fn aggregate(acc: f64, v: f64, how: Aggregate) -> f64 {
    match how {
        Aggregate::Sum => {
            let s = acc + v;
            if s.is_nan() {
                0.0
            } else {
                s
            }
        }
        Aggregate::Min => acc.min(v),
        Aggregate::Max => acc.max(v),
    }
}

/// A parsed ZUNION/ZINTER/ZDIFF/ZINTERCARD call.
struct Call<'a> {
    keys: &'a [&'a [u8]],
    weights: Vec<f64>,
    how: Aggregate,
    withscores: bool,
    limit: usize,
}

/// Parses from the numkeys argument at `args[at]` on. Keys are type-checked
/// before the options are parsed, as Redis does.
fn parse_call<'a>(
    ks: &mut Keyspace,
    args: Args<'a>,
    at: usize,
    op: Op,
    store: bool,
    card: bool,
) -> Result<Call<'a>, CmdError> {
    let numkeys = parse_i64(args.get(at)?).ok_or(CmdError::NotInteger)?;
    if numkeys < 1 {
        return Err(CmdError::Other(format!(
            "ERR at least 1 input key is needed for '{}' command",
            args.name_lower()
        )));
    }
    let rest = args.rest(at + 1);
    if numkeys as u64 > rest.len() as u64 {
        return Err(CmdError::Syntax);
    }
    let (keys, mut opts) = rest.split_at(numkeys as usize);
    for k in keys {
        read_src(ks, k)?;
    }
    let mut call = Call {
        keys,
        weights: vec![1.0; keys.len()],
        how: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let algebra = op != Op::Diff && !card;
    while let Some((&o, tail)) = opts.split_first() {
        if algebra && eq_ic(o, "weights") && tail.len() >= keys.len() {
            for (w, arg) in call.weights.iter_mut().zip(tail) {
                *w = parse_score(arg)
                    .ok_or_else(|| CmdError::Other("ERR weight value is not a float".into()))?;
            }
            opts = &tail[keys.len()..];
        } else if algebra && eq_ic(o, "aggregate") && !tail.is_empty() {
            call.how = match tail[0] {
                a if eq_ic(a, "sum") => Aggregate::Sum,
                a if eq_ic(a, "min") => Aggregate::Min,
                a if eq_ic(a, "max") => Aggregate::Max,
                _ => return Err(CmdError::Syntax),
            };
            opts = &tail[1..];
        } else if !store && !card && eq_ic(o, "withscores") {
            call.withscores = true;
            opts = tail;
        } else if card && eq_ic(o, "limit") && !tail.is_empty() {
            let l = parse_i64(tail[0])
                .filter(|&l| l >= 0)
                .ok_or_else(|| CmdError::Other("ERR LIMIT can't be negative".into()))?;
            call.limit = usize::try_from(l).unwrap_or(usize::MAX);
            opts = &tail[1..];
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(call)
}

/// Computes the result of `op` over `call`'s inputs, unordered.
fn compute(ks: &mut Keyspace, call: &Call, op: Op) -> Result<Vec<(Vec<u8>, f64)>, CmdError> {
    let sizes = call
        .keys
        .iter()
        .map(|k| src_len(ks, k))
        .collect::<Result<Vec<_>, _>>()?;
    let mut order: Vec<usize> = (0..call.keys.len()).collect();
    if op != Op::Diff {
        order.sort_by_key(|&i| sizes[i]);
    }
    let mut acc: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        Op::Union => {
            let mut map: HashMap<Vec<u8>, f64, ahash::RandomState> = HashMap::default();
            for &i in &order {
                if let Some(src) = read_src(ks, call.keys[i])? {
                    src.for_each(|m, s| {
                        let v = weigh(s, call.weights[i]);
                        map.entry_ref(m)
                            .and_modify(|a| *a = aggregate(*a, v, call.how))
                            .or_insert(v);
                    });
                }
            }
            acc.extend(map);
        }
        Op::Inter | Op::Diff => {
            let first = order[0];
            if let Some(src) = read_src(ks, call.keys[first])? {
                let w = if op == Op::Inter {
                    call.weights[first]
                } else {
                    1.0
                };
                src.for_each(|m, s| acc.push((m.to_vec(), weigh(s, w))));
            }
            for &i in &order[1..] {
                if acc.is_empty() {
                    break;
                }
                let src = read_src(ks, call.keys[i])?;
                acc.retain_mut(|(m, a)| match (op, src.as_ref().and_then(|s| s.score(m))) {
                    (Op::Inter, Some(s)) => {
                        *a = aggregate(*a, weigh(s, call.weights[i]), call.how);
                        true
                    }
                    (Op::Inter, None) => false,
                    (_, found) => found.is_none(),
                });
            }
        }
    }
    Ok(acc)
}

fn reply_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, op: Op) -> CmdResult {
    let call = parse_call(ks, args, 1, op, false, false)?;
    let mut items = compute(ks, &call, op)?;
    // Sorted here rather than built into a zset: a listpack would turn -0
    // into 0, which Redis's replies (built in a skiplist) keep.
    items.sort_unstable_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
    reply_scored(
        out,
        items.iter().map(|(m, s)| (&m[..], *s)),
        call.withscores,
    );
    Ok(())
}

fn store_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, op: Op) -> CmdResult {
    let call = parse_call(ks, args, 2, op, true, false)?;
    // Redis builds the result as a skiplist, then packs it if it fits:
    // a big result keeps -0 scores, a small one has 0.
    let mut z = ZSetObj::with_size_hint(usize::MAX);
    for (m, s) in compute(ks, &call, op)? {
        z.insert(&m, s);
    }
    z.pack_if_fits();
    store(ks, args.get(1)?, z, out);
    Ok(())
}

/// `ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zunion(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    reply_generic(ks, args, out, Op::Union)
}

/// `ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zinter(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    reply_generic(ks, args, out, Op::Inter)
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
pub fn zdiff(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    reply_generic(ks, args, out, Op::Diff)
}

/// `ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]`
pub fn zunionstore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    store_generic(ks, args, out, Op::Union)
}

/// `ZINTERSTORE destination numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...]`
pub fn zinterstore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    store_generic(ks, args, out, Op::Inter)
}

/// `ZDIFFSTORE destination numkeys key [key ...]`
pub fn zdiffstore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    store_generic(ks, args, out, Op::Diff)
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
pub fn zintercard(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let call = parse_call(ks, args, 1, Op::Inter, false, true)?;
    let mut n = compute(ks, &call, Op::Inter)?.len();
    if call.limit > 0 {
        n = n.min(call.limit);
    }
    out.int(n as i64);
    Ok(())
}
