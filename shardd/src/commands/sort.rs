//! SORT and SORT_RO, as Redis 7.0 runs them outside cluster mode: `BY` and
//! `GET` patterns read the keys they name (`weight_*`, `obj_*->field`,
//! `#`) wherever they live.
//!
//! The keys a pattern names may be on another shard, or held by a
//! transaction over several shards: before a SORT with patterns runs, the
//! shard lists them ([`pattern_keys`]) and answers `-SHARDIS.STRAY` with
//! the ones it may not read (`Engine::sort_strays`); the proxy then runs
//! the SORT as a transaction over those keys too, with copies of the other
//! shards' keys next to the sorted one (`proxy/src/xtx/sort.rs`,
//! `shardd/TRANSACTIONS.md`).
//!
//! The order of steps is Redis's: options are parsed first (a syntax error
//! wins over a wrong type), a missing key sorts as an empty list, a sorted
//! set is converted to a skiplist (Redis does that destructively), the
//! LIMIT window is clamped, then the elements are loaded, scored with
//! `strtod` (their own value or the `BY` pattern's), sorted and replied or
//! stored as a list, each through the `GET` patterns if there are some.

use std::cmp::Ordering;

use super::{eq_ic, Args, CmdError, CmdResult};
use crate::{
    keyspace::{Keyspace, Value, ValueMut, ValueRef},
    reply::Reply,
    types::list::{End, ListObj},
};

/// Which keys the patterns of the SORT about to run may read.
#[derive(Debug, Default)]
pub enum SortScope {
    /// This shard's, unless a transaction holds them (a plain request).
    #[default]
    Own,
    /// These (a `SHARDD.SORT` in a transaction).
    Listed(std::collections::HashSet<Vec<u8>>),
    /// Any: the caller checked them (a script, by its own rules).
    Checked,
}

/// Parsed options.
#[derive(Default)]
struct Opts<'a> {
    desc: bool,
    alpha: bool,
    /// `BY` a pattern without `*`: keep the value's own order.
    dontsort: bool,
    /// The last `BY` pattern.
    by: Option<&'a [u8]>,
    /// The `GET` patterns, in order.
    gets: Vec<&'a [u8]>,
    start: i64,
    count: i64,
    store: Option<&'a [u8]>,
}

impl Opts<'_> {
    /// The `BY` pattern the elements are scored with, if any.
    fn sort_by(&self) -> Option<&[u8]> {
        self.by.filter(|_| !self.dontsort)
    }
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
            let p = args.get(j + 1)?;
            // A constant (no `*`): nothing to sort by, for good (a later
            // BY with a pattern does not undo it, as in Redis).
            if !c_str(p).contains(&b'*') {
                o.dontsort = true;
            }
            o.by = Some(p);
            j += 1;
        } else if eq_ic(a, "get") && left >= 1 {
            o.gets.push(args.get(j + 1)?);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA] [STORE destination]`
pub fn sort(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    sort_generic(ks, args, out, false)
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC|DESC] [ALPHA]`
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

/// A SORT's options and the elements it loaded, before scoring.
struct Loaded<'a> {
    o: Opts<'a>,
    items: Vec<Vec<u8>>,
    /// The window of the sorted elements that is output.
    start: i64,
    end: i64,
}

/// Parses `args` and loads the elements to sort. `convert`: a packed
/// sorted set becomes a skiplist for good, as Redis does when SORT runs.
fn load_for_sort<'a>(
    ks: &mut Keyspace,
    args: Args<'a>,
    readonly: bool,
    convert: bool,
) -> Result<Loaded<'a>, CmdError> {
    let mut o = parse_opts(args, readonly)?;
    let key = args.get(1)?;
    let kind = match ks.get_mut(key) {
        None => Kind::List,
        Some(ValueMut::List(_)) => Kind::List,
        Some(ValueMut::Set(_)) => Kind::Set,
        Some(ValueMut::ZSet(z)) => {
            if convert {
                z.convert_to_skiplist();
            }
            Kind::ZSet
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    if o.dontsort && kind == Kind::Set && o.store.is_some() {
        // A set has no order of its own: a stored result is sorted.
        o.dontsort = false;
        o.alpha = true;
        o.by = None;
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
    let items = load(ks.get(key), kind, &o, &mut start, &mut end);
    Ok(Loaded {
        o,
        items,
        start,
        end,
    })
}

/// The keys SORT `args` would read through its `BY` and `GET` patterns
/// (each once, in the order met); empty when it has none, or when it
/// fails before reading any (a syntax error, a wrong type). Every element
/// counts for `GET`, not only the LIMIT window's: a superset.
pub fn pattern_keys(ks: &mut Keyspace, argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let readonly = argv.first().is_some_and(|n| eq_ic(n, "sort_ro"));
    let args = Args::new(argv);
    let Ok(opts) = parse_opts(args, readonly) else {
        return Vec::new();
    };
    let reads = |p: &[u8]| c_str(p) != b"#" && c_str(p).contains(&b'*');
    if !opts.by.is_some_and(reads) && !opts.gets.iter().any(|p| reads(p)) {
        return Vec::new();
    }
    let Ok(l) = load_for_sort(ks, args, readonly, false) else {
        return Vec::new();
    };
    let patterns: Vec<&[u8]> =
        l.o.sort_by()
            .into_iter()
            .chain(l.o.gets.iter().copied())
            .collect();
    let mut seen = std::collections::HashSet::new();
    let mut keys = Vec::new();
    for e in &l.items {
        for p in &patterns {
            if let Some((key, _)) = pattern_target(p, e) {
                if seen.insert(key.clone()) {
                    keys.push(key);
                }
            }
        }
    }
    keys
}

/// Where `pattern` points for element `subst`: its first `*` replaced by
/// `subst`, and the hash field after a `->` that follows the `*` (when
/// something follows the arrow). `None` for a pattern without `*`.
fn pattern_target<'p>(pattern: &'p [u8], subst: &[u8]) -> Option<(Vec<u8>, Option<&'p [u8]>)> {
    // Redis reads the pattern as a C string for its `*` and `->`.
    let c = c_str(pattern);
    let star = c.iter().position(|&b| b == b'*')?;
    let arrow = c[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i);
    let (end, field) = match arrow {
        Some(f) if f + 2 < c.len() => (f, Some(&pattern[f + 2..])),
        _ => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(end - 1 + subst.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(subst);
    key.extend_from_slice(&pattern[star + 1..end]);
    Some((key, field))
}

/// The value `pattern` names for element `subst` (Redis's
/// `lookupKeyByPattern`): `#` is the element itself; a string key's value,
/// or a hash field's; `None` for anything else (no `*`, no such key or
/// field, another type).
fn lookup(ks: &mut Keyspace, pattern: &[u8], subst: &[u8]) -> Option<Vec<u8>> {
    if c_str(pattern) == b"#" {
        return Some(subst.to_vec());
    }
    let (key, field) = pattern_target(pattern, subst)?;
    match (ks.get(&key)?, field) {
        (ValueRef::Str(s), None) => Some(s.to_vec()),
        (ValueRef::Hash(h), Some(f)) => h.get(f).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// One element to sort, with what it sorts by.
struct Item {
    obj: Vec<u8>,
    score: f64,
    /// The `BY` pattern's value, with ALPHA.
    by: Option<Vec<u8>>,
}

fn sort_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, readonly: bool) -> CmdResult {
    let Loaded {
        o,
        items,
        start,
        end,
    } = load_for_sort(ks, args, readonly, true)?;
    let mut items: Vec<Item> = items
        .into_iter()
        .map(|obj| Item {
            obj,
            score: 0.0,
            by: None,
        })
        .collect();
    if !o.dontsort {
        if !score_items(ks, &mut items, &o) {
            return Err(CmdError::Other(
                "ERR One or more scores can't be converted into double".into(),
            ));
        }
        sort_items(&mut items, &o);
    }
    let picked: &[Item] = if end >= start {
        items.get(start as usize..=end as usize).unwrap_or(&[])
    } else {
        &[]
    };
    match o.store {
        None => {
            out.array(picked.len() * o.gets.len().max(1));
            for it in picked {
                if o.gets.is_empty() {
                    out.bulk(&it.obj);
                }
                for p in &o.gets {
                    match lookup(ks, p, &it.obj) {
                        Some(v) => out.bulk(&v),
                        None => out.null(),
                    }
                }
            }
        }
        Some(dst) => {
            let mut list = ListObj::new();
            for it in picked {
                if o.gets.is_empty() {
                    list.push(End::Back, &it.obj);
                }
                for p in &o.gets {
                    list.push(End::Back, &lookup(ks, p, &it.obj).unwrap_or_default());
                }
            }
            let n = list.len();
            if n == 0 {
                ks.delete(dst);
            } else {
                ks.insert(dst, Value::List(Box::new(list)));
            }
            out.int(n as i64);
        }
    }
    Ok(())
}

/// Scores `items` (their own value, or the `BY` pattern's: a missing one
/// scores 0 and, with ALPHA, sorts first); false if a number does not
/// parse (Redis scores them all, then answers the error).
fn score_items(ks: &mut Keyspace, items: &mut [Item], o: &Opts) -> bool {
    let mut ok = true;
    for it in items.iter_mut() {
        let by = match o.sort_by() {
            Some(p) => match lookup(ks, p, &it.obj) {
                Some(v) => Some(v),
                None => continue,
            },
            None => None,
        };
        if o.alpha {
            it.by = by;
            continue;
        }
        match strtod(by.as_deref().unwrap_or(&it.obj)) {
            Some(s) => it.score = s,
            None => ok = false,
        }
    }
    ok
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

/// Sorts `items` by score (ties by bytes) or, with ALPHA, by their `BY`
/// value or themselves, as C strings compared by `strcoll` in the C
/// locale (as bytes when storing).
fn sort_items(items: &mut [Item], o: &Opts) {
    let sign = |ord: Ordering| if o.desc { ord.reverse() } else { ord };
    let store = o.store.is_some();
    let text = |a: &[u8], b: &[u8]| {
        if store {
            a.cmp(b)
        } else {
            c_str(a).cmp(c_str(b))
        }
    };
    if !o.alpha {
        items.sort_by(|a, b| {
            let ord = a
                .score
                .partial_cmp(&b.score)
                .unwrap_or(Ordering::Equal)
                .then_with(|| a.obj.cmp(&b.obj));
            sign(ord)
        });
    } else if o.sort_by().is_some() {
        // A missing `BY` value sorts before any other.
        items.sort_by(|a, b| {
            sign(match (&a.by, &b.by) {
                (Some(x), Some(y)) => text(x, y),
                (x, y) => x.is_some().cmp(&y.is_some()),
            })
        });
    } else {
        items.sort_by(|a, b| sign(text(&a.obj, &b.obj)));
    }
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
