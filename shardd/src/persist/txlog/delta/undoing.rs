//! What undoes a write ([`Step::undoing_at`]): worked out before the
//! write runs, from the key as it is, the way the command will change it
//! (a push's pop, a pop's push of what it takes, a list move's step on
//! each list, the fields and scores a hash or sorted-set write names, a
//! trim that surely removes nothing's nothing); anything else is an
//! image.

use common::{num::parse_i64, table::Cmd};

use super::{Step, Undoing};
use crate::{
    commands::zsets::remrange_victims,
    keyspace::{Keyspace, ValueRef},
    types::list::End,
};

impl Step {
    /// Whether write `id` is one steps undo ([`Step::undoing_at`]): each
    /// has one key, its first argument, but the list moves (RPOPLPUSH,
    /// LMOVE: a step on each of their two keys). Any other keeps images
    /// of every key it may change.
    pub fn takes(id: Cmd) -> bool {
        matches!(
            id,
            Cmd::Lpush
                | Cmd::Rpush
                | Cmd::Lpushx
                | Cmd::Rpushx
                | Cmd::Lpop
                | Cmd::Rpop
                | Cmd::Sadd
                | Cmd::Srem
                | Cmd::Hset
                | Cmd::Hmset
                | Cmd::Hsetnx
                | Cmd::Hdel
                | Cmd::Hincrby
                | Cmd::Hincrbyfloat
                | Cmd::Zadd
                | Cmd::Zincrby
                | Cmd::Zrem
                | Cmd::Zpopmin
                | Cmd::Zpopmax
                | Cmd::Zremrangebyrank
                | Cmd::Zremrangebyscore
                | Cmd::Zremrangebylex
                | Cmd::Expire
                | Cmd::Pexpire
                | Cmd::Expireat
                | Cmd::Pexpireat
                | Cmd::Persist
                | Cmd::Lset
                | Cmd::Linsert
                | Cmd::Lrem
                | Cmd::Ltrim
                | Cmd::Xadd
                | Cmd::Xtrim
                | Cmd::Rpoplpush
                | Cmd::Lmove
        )
    }

    /// What undoes write `id` on the key at `args[pos]`: the one key of
    /// most writes steps undo ([`Step::undoing`]), or either key of a
    /// list move (RPOPLPUSH, LMOVE: the source gets its element back, the
    /// destination gives it up). A job queue moves each job from a wait
    /// list of any length to its active list.
    pub fn undoing_at(ks: &mut Keyspace, id: Cmd, args: &[&[u8]], pos: usize) -> Undoing {
        match id {
            Cmd::Rpoplpush | Cmd::Lmove => move_undoing(ks, id, args, pos),
            _ if pos == 1 => Self::undoing(ks, id, args),
            _ => Undoing::Image,
        }
    }

    /// What undoes write `id` with `args` on its key as it is now in
    /// `ks`: a step if [`Step::takes`] it.
    pub fn undoing(ks: &mut Keyspace, id: Cmd, args: &[&[u8]]) -> Undoing {
        let Some(key) = args.get(1) else {
            return Undoing::Image;
        };
        let rest = &args[2..];
        match id {
            Cmd::Lpush | Cmd::Rpush | Cmd::Lpushx | Cmd::Rpushx => {
                let front = matches!(id, Cmd::Lpush | Cmd::Lpushx);
                let n = rest.len() as u64;
                let exists = match ks.get(key) {
                    Some(ValueRef::List(_)) => true,
                    None => false,
                    Some(_) => return Undoing::Nothing,
                };
                if n == 0 || (!exists && matches!(id, Cmd::Lpushx | Cmd::Rpushx)) {
                    return Undoing::Nothing;
                }
                Undoing::Step(if front {
                    Step::PopFront(n)
                } else {
                    Step::PopBack(n)
                })
            }
            Cmd::Lpop | Cmd::Rpop => {
                let front = id == Cmd::Lpop;
                let Some(count) = pop_count(rest) else {
                    return Undoing::Nothing;
                };
                let Some(ValueRef::List(l)) = ks.get(key) else {
                    return Undoing::Nothing;
                };
                // What the pop takes, head or tail first; pushed back in
                // the other order it stands as it was.
                let mut taken: Vec<Vec<u8>> = match front {
                    true => l.iter().take(count).map(<[u8]>::to_vec).collect(),
                    false => l.iter().rev().take(count).map(<[u8]>::to_vec).collect(),
                };
                if taken.is_empty() {
                    return Undoing::Nothing;
                }
                taken.reverse();
                Undoing::Step(if front {
                    Step::PushFront(taken)
                } else {
                    Step::PushBack(taken)
                })
            }
            Cmd::Sadd | Cmd::Srem => {
                let add = id == Cmd::Sadd;
                let set = match ks.get(key) {
                    Some(ValueRef::Set(s)) => Some(s),
                    None => None,
                    Some(_) => return Undoing::Nothing,
                };
                let mut members: Vec<Vec<u8>> = Vec::new();
                for &m in rest {
                    // SADD adds what is not there; SREM removes what is.
                    let there = set.is_some_and(|s| s.contains(m));
                    if there != add && !members.iter().any(|x| x.as_slice() == m) {
                        members.push(m.to_vec());
                    }
                }
                if members.is_empty() {
                    return Undoing::Nothing;
                }
                Undoing::Step(if add {
                    Step::Remove(members)
                } else {
                    Step::Add(members)
                })
            }
            Cmd::Hset | Cmd::Hmset | Cmd::Hsetnx | Cmd::Hdel | Cmd::Hincrby | Cmd::Hincrbyfloat => {
                let names: Vec<&[u8]> = match id {
                    Cmd::Hdel => rest.to_vec(),
                    Cmd::Hset | Cmd::Hmset if rest.len().is_multiple_of(2) => {
                        rest.iter().step_by(2).copied().collect()
                    }
                    Cmd::Hsetnx | Cmd::Hincrby | Cmd::Hincrbyfloat if rest.len() == 2 => {
                        vec![rest[0]]
                    }
                    _ => return Undoing::Nothing,
                };
                let hash = match ks.get(key) {
                    Some(ValueRef::Hash(h)) => Some(h),
                    None => None,
                    Some(_) => return Undoing::Nothing,
                };
                let mut fields: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::new();
                for f in names {
                    if !fields.iter().any(|(x, _)| x.as_slice() == f) {
                        let old = hash.and_then(|h| h.get(f)).map(<[u8]>::to_vec);
                        fields.push((f.to_vec(), old));
                    }
                }
                match fields.is_empty() {
                    true => Undoing::Nothing,
                    false => Undoing::Step(Step::Fields(fields)),
                }
            }
            Cmd::Zadd | Cmd::Zincrby | Cmd::Zrem => {
                let names: Vec<&[u8]> = match id {
                    Cmd::Zrem => rest.to_vec(),
                    Cmd::Zincrby if rest.len() == 2 => vec![rest[1]],
                    Cmd::Zadd => {
                        let opts = rest
                            .iter()
                            .take_while(|a| {
                                [&b"NX"[..], b"XX", b"GT", b"LT", b"CH", b"INCR"]
                                    .iter()
                                    .any(|o| a.eq_ignore_ascii_case(o))
                            })
                            .count();
                        let pairs = &rest[opts..];
                        if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
                            return Undoing::Nothing;
                        }
                        pairs.iter().skip(1).step_by(2).copied().collect()
                    }
                    _ => return Undoing::Nothing,
                };
                let zset = match ks.get(key) {
                    Some(ValueRef::ZSet(z)) => Some(z),
                    None => None,
                    Some(_) => return Undoing::Nothing,
                };
                let mut scores: Vec<(Vec<u8>, Option<u64>)> = Vec::new();
                for m in names {
                    if !scores.iter().any(|(x, _)| x.as_slice() == m) {
                        let old = zset.and_then(|z| z.score(m)).map(f64::to_bits);
                        scores.push((m.to_vec(), old));
                    }
                }
                match scores.is_empty() {
                    true => Undoing::Nothing,
                    false => Undoing::Step(Step::Scores(scores)),
                }
            }
            Cmd::Zpopmin | Cmd::Zpopmax => {
                let Some(count) = pop_count(rest) else {
                    return Undoing::Nothing;
                };
                let Some(ValueRef::ZSet(z)) = ks.get(key) else {
                    return Undoing::Nothing;
                };
                let n = count.min(z.len());
                let (lo, hi) = match id {
                    Cmd::Zpopmin => (0, n),
                    _ => (z.len() - n, z.len()),
                };
                scores_of(z.range(lo, hi).map(|(m, s)| (m.to_vec(), s)).collect())
            }
            Cmd::Zremrangebyrank | Cmd::Zremrangebyscore | Cmd::Zremrangebylex => {
                let ([min, max], Some(ValueRef::ZSet(z))) = (rest, ks.get(key)) else {
                    return Undoing::Nothing;
                };
                let (score, lex) = (id == Cmd::Zremrangebyscore, id == Cmd::Zremrangebylex);
                match remrange_victims(z, score, lex, min, max) {
                    Some(victims) => scores_of(victims),
                    None => Undoing::Nothing,
                }
            }
            Cmd::Expire | Cmd::Pexpire | Cmd::Expireat | Cmd::Pexpireat => {
                // A time already past deletes the key: only an image
                // brings it back. Anything else leaves the key and at
                // most changes its expiry (or fails).
                let Some(t) = rest.first().and_then(|t| parse_i64(t)) else {
                    return Undoing::Step(Step::Expiry);
                };
                let ms = match id {
                    Cmd::Expire | Cmd::Expireat => t.checked_mul(1000),
                    _ => Some(t),
                };
                let now = i64::try_from(ks.now_ms()).unwrap_or(i64::MAX);
                let when = match id {
                    Cmd::Expire | Cmd::Pexpire => ms.and_then(|ms| ms.checked_add(now)),
                    _ => ms,
                };
                match when {
                    Some(when) if when <= now => Undoing::Image,
                    _ => Undoing::Step(Step::Expiry),
                }
            }
            Cmd::Persist => Undoing::Step(Step::Expiry),
            Cmd::Xadd => {
                // An XADD that trims removes entries too: an image, unless
                // its trim surely removes nothing this time (a capped
                // stream's `MAXLEN ~` removes a node once per node's worth
                // of adds). Options it cannot read: an image.
                let trim = xadd_trim(rest);
                match ks.get(key) {
                    Some(ValueRef::Stream(s))
                        if trim.is_some_and(|t| {
                            t.is_none_or(|(how, approx)| !s.add_may_trim(how, approx))
                        }) =>
                    {
                        Undoing::Step(Step::Unappend(s.marks()))
                    }
                    Some(ValueRef::Stream(_)) | None => Undoing::Image,
                    Some(_) => Undoing::Nothing,
                }
            }
            Cmd::Xtrim => {
                // An XTRIM that surely removes nothing (BullMQ trims its
                // events stream `MAXLEN ~` after every job) changes
                // nothing; one that may remove keeps an image. `XTRIM key
                // MAXLEN|MINID [=|~] threshold [LIMIT n]` reads as XADD's
                // trim (a LIMIT only removes less).
                match (xadd_trim(rest), ks.get(key)) {
                    (Some(Some((how, approx))), Some(ValueRef::Stream(s)))
                        if !s.trim_may_remove(how, approx) =>
                    {
                        Undoing::Nothing
                    }
                    (_, Some(ValueRef::Stream(_))) => Undoing::Image,
                    // Absent or another type: it fails or does nothing.
                    (_, _) => Undoing::Nothing,
                }
            }
            Cmd::Rpoplpush | Cmd::Lmove => move_undoing(ks, id, args, 1),
            Cmd::Lset | Cmd::Linsert | Cmd::Lrem | Cmd::Ltrim => list_undoing(ks, id, key, rest),
            _ => Undoing::Image,
        }
    }
}

/// How many a pop (LPOP, RPOP, ZPOPMIN, ZPOPMAX) with arguments `rest`
/// after its key takes; `None` when it fails.
fn pop_count(rest: &[&[u8]]) -> Option<usize> {
    match rest {
        [] => Some(1),
        [c] => parse_i64(c).and_then(|c| usize::try_from(c).ok()),
        _ => None,
    }
}

/// The undo of removing or rescoring `members` (their scores before).
fn scores_of(members: Vec<(Vec<u8>, f64)>) -> Undoing {
    match members.is_empty() {
        true => Undoing::Nothing,
        false => Undoing::Step(Step::Scores(
            members
                .into_iter()
                .map(|(m, s)| (m, Some(s.to_bits())))
                .collect(),
        )),
    }
}

/// What undoes LSET, LINSERT, LREM or LTRIM of `key` with arguments
/// `rest`, worked out as the command will (`commands::lists`): anything
/// that fails or changes nothing is [`Undoing::Nothing`].
fn list_undoing(ks: &mut Keyspace, id: Cmd, key: &[u8], rest: &[&[u8]]) -> Undoing {
    let Some(ValueRef::List(l)) = ks.get(key) else {
        return Undoing::Nothing;
    };
    let len = l.len() as i64;
    let int = |a: &[u8]| parse_i64(a);
    let step = match (id, rest) {
        (Cmd::Lset, [i, _]) => int(i).and_then(|i| {
            let i = if i < 0 { len + i } else { i };
            let at = usize::try_from(i).ok()?;
            Some(Step::SetAt(at as u64, l.get(at)?.to_vec()))
        }),
        (Cmd::Linsert, [place, pivot, _]) => {
            let after = match place {
                p if p.eq_ignore_ascii_case(b"AFTER") => 1,
                p if p.eq_ignore_ascii_case(b"BEFORE") => 0,
                _ => return Undoing::Nothing,
            };
            let p = l.iter().position(|e| e == *pivot);
            p.map(|p| Step::RemoveAt((p + after) as u64))
        }
        (Cmd::Lrem, [count, elem]) => int(count).and_then(|count| {
            let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
            let limit = if count == 0 { usize::MAX } else { limit };
            let hit = |(i, e): (usize, &[u8])| (e == *elem).then_some(i as u64);
            let mut at: Vec<u64> = match count < 0 {
                false => l.iter().enumerate().filter_map(hit).take(limit).collect(),
                true => {
                    let from_back = l.iter().rev().enumerate();
                    let back = from_back.map(|(i, e)| (l.len() - 1 - i, e));
                    back.filter_map(hit).take(limit).collect()
                }
            };
            at.sort_unstable();
            let elem = elem.to_vec();
            (!at.is_empty()).then_some(Step::Reinsert { elem, at })
        }),
        (Cmd::Ltrim, [start, stop]) => int(start).zip(int(stop)).and_then(|(start, stop)| {
            let start = if start < 0 { len + start } else { start }.max(0);
            let stop = if stop < 0 { len + stop } else { stop };
            let (cut_head, keep_to) = match start > stop || start >= len {
                true => (len, len),
                false => (start, stop.min(len - 1) + 1),
            };
            let (cut_head, keep_to) = (cut_head as usize, keep_to as usize);
            let head: Vec<Vec<u8>> = l.iter().take(cut_head).map(<[u8]>::to_vec).collect();
            let tail: Vec<Vec<u8>> = l.iter_from(keep_to).map(<[u8]>::to_vec).collect();
            (!head.is_empty() || !tail.is_empty()).then_some(Step::Untrim { head, tail })
        }),
        _ => None,
    };
    step.map_or(Undoing::Nothing, Undoing::Step)
}

/// A list move's undo on the key at `pos` (1: the source, 2: the
/// destination): the element it takes pushed back at the source's end,
/// or one pop from the destination's end it went to. A move that fails
/// (a source or a destination of another type, an unknown end) or finds
/// nothing to move changes nothing on either key.
fn move_undoing(ks: &mut Keyspace, id: Cmd, args: &[&[u8]], pos: usize) -> Undoing {
    let end = |a: Option<&&[u8]>| match a {
        Some(a) if a.eq_ignore_ascii_case(b"LEFT") => Some(End::Front),
        Some(a) if a.eq_ignore_ascii_case(b"RIGHT") => Some(End::Back),
        _ => None,
    };
    let ends = match id {
        Cmd::Rpoplpush => Some((End::Back, End::Front)),
        _ => end(args.get(3)).zip(end(args.get(4))),
    };
    let (Some((from, to)), Some(src), Some(dst)) = (ends, args.get(1), args.get(2)) else {
        return Undoing::Nothing;
    };
    let elem = match ks.get(src) {
        Some(ValueRef::List(l)) => match from {
            End::Front => l.iter().next().map(<[u8]>::to_vec),
            End::Back => l.iter().next_back().map(<[u8]>::to_vec),
        },
        _ => None,
    };
    let Some(elem) = elem else {
        return Undoing::Nothing;
    };
    if !matches!(ks.get(dst), None | Some(ValueRef::List(_))) {
        return Undoing::Nothing;
    }
    Undoing::Step(match (pos, from, to) {
        (1, End::Front, _) => Step::PushFront(vec![elem]),
        (1, End::Back, _) => Step::PushBack(vec![elem]),
        (2, _, End::Front) => Step::PopFront(1),
        (2, _, End::Back) => Step::PopBack(1),
        _ => return Undoing::Image,
    })
}

/// The trim of XADD options `rest` (after the key): `Some(None)` for
/// none, `Some(Some((how, approx)))`, `None` if they cannot be read here.
fn xadd_trim(rest: &[&[u8]]) -> Option<Option<(crate::types::stream::Trim, bool)>> {
    use crate::types::stream::{id::parse_id, Trim};
    let mut i = 0;
    if rest
        .first()
        .is_some_and(|a| a.eq_ignore_ascii_case(b"NOMKSTREAM"))
    {
        i += 1;
    }
    let word = rest.get(i)?;
    let maxlen = word.eq_ignore_ascii_case(b"MAXLEN");
    if !maxlen && !word.eq_ignore_ascii_case(b"MINID") {
        return Some(None);
    }
    i += 1;
    let mut approx = false;
    match rest.get(i).copied() {
        Some(b"~") => {
            approx = true;
            i += 1;
        }
        Some(b"=") => i += 1,
        _ => {}
    }
    let v = rest.get(i)?;
    let how = match maxlen {
        true => Trim::MaxLen(u64::try_from(parse_i64(v)?).ok()?),
        false => Trim::MinId(parse_id(v, 0, true)?),
    };
    Some(Some((how, approx)))
}
