//! SORT and SORT_RO, as Redis 7.0 runs them in cluster mode: the keys a
//! `BY` or `GET` pattern names may live on any shard, so `GET` and a `BY`
//! with a `*` are refused with Redis Cluster's errors; `BY` without a `*`
//! (no sorting) works.
//!
//! The order of steps is Redis's: options are parsed first (a syntax error
//! wins over a wrong type), a missing key sorts as an empty list, a sorted
//! set is converted to a skiplist (Redis does that destructively), the
//! LIMIT window is clamped, then the elements are loaded, scored with
//! `strtod`, sorted and replied or stored as a list.

use std::cmp::Ordering;

use super::{eq_ic, Args, CmdError, CmdResult};
use crate::{
    keyspace::{Keyspace, Value, ValueMut, ValueRef},
    reply::Reply,
    types::list::{End, ListObj},
};

/// Parsed options.
#[derive(Default)]
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    /// `BY` a pattern without `*`: keep the value's own order.
    dontsort: bool,
    start: i64,
    count: i64,
    store: Option<&'a [u8]>,
}

fn parse_opts<'a>(args: Args<'a>, readonly: bool) -> Result<Opts<'a>, CmdError> {
    let mut o = Opts {
        count: -1,
        ..Opts::default()
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let a = args.get(j)?;
        if eq_ic(a, "asc") {
            o.desc = false;
        } else if eq_ic(a, "desc") {
            o.desc = true;
        } else if eq_ic(a, "alpha") {
            o.alpha = true;
        } else if eq_ic(a, "limit") && left >= 2 {
            o.start = args.i64(j + 1)?;
            o.count = args.i64(j + 2)?;
            j += 2;
        } else if eq_ic(a, "store") && left >= 1 && !readonly {
            o.store = Some(args.get(j + 1)?);
            j += 1;
        } else if eq_ic(a, "by") && left >= 1 {
            if args.get(j + 1)?.contains(&b'*') {
                return Err(CmdError::Other(
                    "ERR BY option of SORT denied in Cluster mode.".into(),
                ));
            }
            o.dontsort = true;
            j += 1;
        } else if eq_ic(a, "get") && left >= 1 {
            return Err(CmdError::Other(
                "ERR GET option of SORT denied in Cluster mode.".into(),
            ));
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// `SORT key [BY pattern] [LIMIT offset count] [ASC|DESC] [ALPHA] [STORE destination]`
pub fn sort(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    sort_generic(ks, args, out, false)
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [ASC|DESC] [ALPHA]`
pub fn sort_ro(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    sort_generic(ks, args, out, true)
}

/// What is sorted, as Redis sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    List,
    Set,
    ZSet,
}

fn sort_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, readonly: bool) -> CmdResult {
    let mut o = parse_opts(args, readonly)?;
    let key = args.get(1)?;
    let kind = match ks.get_mut(key) {
        None => Kind::List,
        Some(ValueMut::List(_)) => Kind::List,
        Some(ValueMut::Set(_)) => Kind::Set,
        Some(ValueMut::ZSet(z)) => {
            // Redis converts a packed sorted set for SORT, for good.
            z.convert_to_skiplist();
            Kind::ZSet
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    if o.dontsort && kind == Kind::Set && o.store.is_some() {
        // A set has no order of its own: a stored result is sorted.
        o.dontsort = false;
        o.alpha = true;
    }
    let len = ks.get(key).map_or(0, |v| value_len(v)) as i64;
    let mut start = o.start.max(0);
    let mut end = if o.count < 0 {
        len - 1
    } else {
        start.saturating_add(o.count - 1)
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    end = end.min(len - 1);
    let mut items = load(ks.get(key), kind, &o, &mut start, &mut end);
    if !o.dontsort {
        let Some(sorted) = sort_items(items, &o) else {
            return Err(CmdError::Other(
                "ERR One or more scores can't be converted into double".into(),
            ));
        };
        items = sorted;
    }
    let picked: &[Vec<u8>] = if end >= start {
        items.get(start as usize..=end as usize).unwrap_or(&[])
    } else {
        &[]
    };
    match o.store {
        None => {
            out.array(picked.len());
            picked.iter().for_each(|e| out.bulk(e));
        }
        Some(dst) => {
            if picked.is_empty() {
                ks.delete(dst);
            } else {
                let mut list = ListObj::new();
                picked.iter().for_each(|e| list.push(End::Back, e));
                ks.insert(dst, Value::List(Box::new(list)));
            }
            out.int(picked.len() as i64);
        }
    }
    Ok(())
}

fn value_len(v: ValueRef<'_>) -> usize {
    match v {
        ValueRef::List(l) => l.len(),
        ValueRef::Set(s) => s.len(),
        ValueRef::ZSet(z) => z.len(),
        _ => 0,
    }
}

/// The elements to sort. Lists and sorted sets that are not sorted load
/// only the LIMIT window, in the requested direction, and the window is
/// moved to start at 0 (as Redis does).
fn load(
    v: Option<ValueRef<'_>>,
    kind: Kind,
    o: &Opts,
    start: &mut i64,
    end: &mut i64,
) -> Vec<Vec<u8>> {
    let Some(v) = v else {
        return Vec::new();
    };
    let window = o.dontsort && kind != Kind::Set;
    if !window {
        return match v {
            ValueRef::List(l) => l.iter().map(<[u8]>::to_vec).collect(),
            ValueRef::Set(s) => s.iter().map(|m| m.to_vec()).collect(),
            ValueRef::ZSet(z) => z.iter().map(|(m, _)| m.to_vec()).collect(),
            _ => Vec::new(),
        };
    }
    if *end < *start {
        return Vec::new();
    }
    let (skip, take) = (*start as usize, (*end - *start + 1) as usize);
    *end -= *start;
    *start = 0;
    match (v, o.desc) {
        (ValueRef::List(l), false) => l.iter().skip(skip).take(take).map(<[u8]>::to_vec).collect(),
        (ValueRef::List(l), true) => l
            .iter()
            .rev()
            .skip(skip)
            .take(take)
            .map(<[u8]>::to_vec)
            .collect(),
        (ValueRef::ZSet(z), false) => z
            .iter()
            .skip(skip)
            .take(take)
            .map(|(m, _)| m.to_vec())
            .collect(),
        (ValueRef::ZSet(z), true) => z
            .iter()
            .rev()
            .skip(skip)
            .take(take)
            .map(|(m, _)| m.to_vec())
            .collect(),
        _ => Vec::new(),
    }
}

/// Sorts `items` by number (ties by bytes) or, with ALPHA, by bytes (by C
/// string, as `strcoll` in the C locale, unless storing); `None` if a number
/// does not parse.
fn sort_items(mut items: Vec<Vec<u8>>, o: &Opts) -> Option<Vec<Vec<u8>>> {
    let sign = |ord: Ordering| if o.desc { ord.reverse() } else { ord };
    if o.alpha {
        if o.store.is_some() {
            items.sort_by(|a, b| sign(a.cmp(b)));
        } else {
            items.sort_by(|a, b| sign(c_str(a).cmp(c_str(b))));
        }
        return Some(items);
    }
    let mut scored: Vec<(f64, Vec<u8>)> = Vec::with_capacity(items.len());
    for e in items {
        scored.push((strtod(&e)?, e));
    }
    scored.sort_by(|(sa, a), (sb, b)| {
        let ord = sa
            .partial_cmp(sb)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.cmp(b));
        sign(ord)
    });
    Some(scored.into_iter().map(|(_, e)| e).collect())
}

/// The bytes a C function sees: up to the first NUL.
fn c_str(b: &[u8]) -> &[u8] {
    b.split(|&c| c == 0).next().unwrap_or_default()
}

/// The number C's `strtod` reads from all of `b` (as a C string); `None`
/// where Redis reports a conversion error: text after the number, no
/// number at all (except an empty string, which reads as 0), NaN, or a
/// result out of range.
pub(crate) fn strtod(b: &[u8]) -> Option<f64> {
    let s = c_str(b);
    if s.is_empty() {
        return Some(0.0);
    }
    let s = std::str::from_utf8(s).ok()?;
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let lower = body.to_ascii_lowercase();
    let v = if lower == "inf" || lower == "infinity" {
        f64::INFINITY
    } else if let Some(hex) = lower.strip_prefix("0x") {
        super::zsets::parse_hex(hex).filter(|v| v.is_finite())?
    } else {
        let valid = body
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
        if !valid {
            return None;
        }
        let v: f64 = body.parse().ok()?;
        let tiny = v == 0.0
            && body
                .bytes()
                .take_while(|&c| c != b'e' && c != b'E')
                .any(|c| (b'1'..=b'9').contains(&c));
        if v.is_infinite() || tiny || (v != 0.0 && v.abs() < f64::MIN_POSITIVE) {
            return None;
        }
        v
    };
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests;
