//! Undo by steps: how a transaction puts back a list it pushed to or
//! popped from, or a set it added members to or removed members from,
//! without an image of the whole value.
//!
//! An [`Image`](super::Image) is the key's DUMP form: as big as the value.
//! A job queue's transaction pushes one job onto a list that may hold
//! 100,000, and a move adds one member to a set of any size; imaging
//! those made every such transaction cost (and log, in `SHARDD.TXPREP`)
//! in proportion to the value. A [`Delta`] keeps instead, for a key that
//! existed when the transaction first wrote it, the steps that undo each
//! write in turn (a pop for a push, a push of what a pop took, SREM for
//! SADD's new members, SADD for SREM's removed ones) and the key's expiry
//! then; a hash or sorted-set write keeps the fields' values or members'
//! scores it names as they were (absent included). Undoing runs them
//! backwards and sets the expiry back. A write
//! of any other kind to such a key turns its delta into an image first
//! ([`Delta::image_before`], as costly as an image, and rare).

use common::{num::parse_i64, table::Cmd};

use super::Image;
use crate::{
    commands::zsets::remrange_victims,
    keyspace::{Keyspace, Saved, Value, ValueMut, ValueRef},
    types::{
        list::{End, ListObj},
        stream::{id::parse_id, StreamMarks},
    },
};

/// One step that undoes one write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Pops `n` elements from the head (a push's undo).
    PopFront(u64),
    /// Pops `n` elements from the tail.
    PopBack(u64),
    /// Pushes these at the head, each in turn (a pop's undo).
    PushFront(Vec<Vec<u8>>),
    /// Pushes these at the tail, each in turn.
    PushBack(Vec<Vec<u8>>),
    /// Removes these members (SADD's undo: the members it added).
    Remove(Vec<Vec<u8>>),
    /// Adds these members (SREM's undo: the members it removed).
    Add(Vec<Vec<u8>>),
    /// Sets each hash field back to its value before the write (`None`:
    /// absent): the undo of HSET, HMSET, HSETNX, HDEL, HINCRBY,
    /// HINCRBYFLOAT.
    Fields(Vec<(Vec<u8>, Option<Vec<u8>>)>),
    /// Sets each sorted-set member back to its score before the write
    /// (its `f64` bits; `None`: absent): the undo of ZADD, ZINCRBY, ZREM,
    /// ZPOPMIN, ZPOPMAX and ZREMRANGEBY*.
    Scores(Vec<(Vec<u8>, Option<u64>)>),
    /// Nothing to run: the delta's expiry puts the key's back (the undo
    /// of EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT to a time still ahead, and
    /// PERSIST).
    Expiry,
    /// Sets the list element at this position back (LSET's undo).
    SetAt(u64, Vec<u8>),
    /// Removes the list element at this position (LINSERT's undo).
    RemoveAt(u64),
    /// Inserts `elem` at each position, in ascending order (LREM's undo:
    /// where it removed `elem` from).
    Reinsert { elem: Vec<u8>, at: Vec<u64> },
    /// Pushes `head` back before the list and `tail` after it (LTRIM's
    /// undo: what it cut from each end, in list order).
    Untrim {
        head: Vec<Vec<u8>>,
        tail: Vec<Vec<u8>>,
    },
    /// Takes the stream's newest entry back out and sets its counters
    /// back (the undo of an XADD that trimmed nothing).
    Unappend(StreamMarks),
}

/// What undoes a write ([`Step::undoing`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undoing {
    /// This step.
    Step(Step),
    /// Nothing: the write changes nothing (the wrong type, a bad count, a
    /// pop or SREM of nothing, an X push onto nothing).
    Nothing,
    /// Not a step's kind of write: an image of the key.
    Image,
}

/// How to put back one key a transaction changed by steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delta {
    /// The key (of the transaction's database).
    pub key: Vec<u8>,
    /// Its absolute expiry when the transaction first wrote it.
    pub expiry: Option<u64>,
    /// The undoing steps, in the order of the writes they undo.
    pub steps: Vec<Step>,
}

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

    /// Runs the step on `key` in `ks`: a key emptied is removed, a
    /// missing one is created.
    fn run(&self, ks: &mut Keyspace, key: &[u8]) {
        match self {
            Step::Expiry => {}
            Step::SetAt(i, old) => {
                if let Some(ValueMut::List(l)) = ks.get_mut(key) {
                    l.set(index(*i), old);
                }
            }
            Step::RemoveAt(i) => {
                let empty = match ks.get_mut(key) {
                    Some(ValueMut::List(l)) => {
                        l.remove(index(*i));
                        l.is_empty()
                    }
                    _ => false,
                };
                if empty {
                    ks.remove(key);
                }
            }
            Step::Reinsert { elem, at } => {
                if let Some(l) = list_to_fill(ks, key) {
                    at.iter().for_each(|&i| l.insert(index(i), elem));
                }
            }
            Step::Untrim { head, tail } => {
                if let Some(l) = list_to_fill(ks, key) {
                    head.iter().rev().for_each(|e| l.push(End::Front, e));
                    tail.iter().for_each(|e| l.push(End::Back, e));
                }
            }
            Step::Unappend(marks) => {
                if let Some(ValueMut::Stream(s)) = ks.get_mut(key) {
                    s.unappend(marks);
                }
            }
            _ => self.run_first(ks, key),
        }
    }

    /// [`Step::run`] for the first steps: pushes, pops, members, fields
    /// and scores.
    fn run_first(&self, ks: &mut Keyspace, key: &[u8]) {
        match self {
            Step::PopFront(n) | Step::PopBack(n) => {
                let end = match self {
                    Step::PopFront(_) => End::Front,
                    _ => End::Back,
                };
                let empty = match ks.get_mut(key) {
                    Some(ValueMut::List(l)) => {
                        l.discard(end, usize::try_from(*n).unwrap_or(usize::MAX));
                        l.is_empty()
                    }
                    _ => false,
                };
                if empty {
                    ks.remove(key);
                }
            }
            Step::PushFront(elems) | Step::PushBack(elems) => {
                let end = match self {
                    Step::PushFront(_) => End::Front,
                    _ => End::Back,
                };
                if ks.get(key).is_none() {
                    ks.insert(key, Value::List(Box::default()));
                }
                if let Some(ValueMut::List(l)) = ks.get_mut(key) {
                    elems.iter().for_each(|e| l.push(end, e));
                }
            }
            Step::Remove(members) => {
                let empty = match ks.get_mut(key) {
                    Some(ValueMut::Set(s)) => {
                        members.iter().for_each(|m| {
                            s.remove(m);
                        });
                        s.is_empty()
                    }
                    _ => false,
                };
                if empty {
                    ks.remove(key);
                }
            }
            Step::Add(members) => {
                if ks.get(key).is_none() {
                    ks.insert(key, Value::Set(Box::default()));
                }
                if let Some(ValueMut::Set(s)) = ks.get_mut(key) {
                    members.iter().for_each(|m| {
                        s.add(m);
                    });
                }
            }
            Step::Fields(fields) => {
                if ks.get(key).is_none() && fields.iter().any(|(_, v)| v.is_some()) {
                    ks.insert(key, Value::Hash(Box::default()));
                }
                let empty = match ks.get_mut(key) {
                    Some(ValueMut::Hash(h)) => {
                        for (f, v) in fields {
                            match v {
                                Some(v) => h.set(f, v),
                                None => h.remove(f),
                            };
                        }
                        h.is_empty()
                    }
                    _ => false,
                };
                if empty {
                    ks.remove(key);
                }
            }
            Step::Scores(scores) => {
                if ks.get(key).is_none() && scores.iter().any(|(_, s)| s.is_some()) {
                    ks.insert(key, Value::ZSet(Box::default()));
                }
                let empty = match ks.get_mut(key) {
                    Some(ValueMut::ZSet(z)) => {
                        for (m, s) in scores {
                            match s {
                                Some(s) => {
                                    z.insert(m, f64::from_bits(*s));
                                }
                                None => {
                                    z.remove(m);
                                }
                            }
                        }
                        z.is_empty()
                    }
                    _ => false,
                };
                if empty {
                    ks.remove(key);
                }
            }
            // [`Step::run`] runs these itself.
            Step::Expiry
            | Step::SetAt(..)
            | Step::RemoveAt(_)
            | Step::Reinsert { .. }
            | Step::Untrim { .. }
            | Step::Unappend(_) => {}
        }
    }

    fn push_args(&self, out: &mut Vec<Vec<u8>>) {
        let (tag, items): (&[u8], &[Vec<u8>]) = match self {
            Step::PopFront(n) | Step::PopBack(n) => {
                out.push(match self {
                    Step::PopFront(_) => b"PF".to_vec(),
                    _ => b"PB".to_vec(),
                });
                out.push(n.to_string().into_bytes());
                return;
            }
            Step::PushFront(e) => (b"UF", e),
            Step::PushBack(e) => (b"UB", e),
            Step::Remove(m) => (b"SR", m),
            Step::Add(m) => (b"SA", m),
            Step::Expiry => {
                out.push(b"EX".to_vec());
                out.push(b"0".to_vec());
                return;
            }
            Step::SetAt(i, old) => {
                // `LS index old`.
                out.push(b"LS".to_vec());
                out.push(i.to_string().into_bytes());
                out.push(old.clone());
                return;
            }
            Step::RemoveAt(i) => {
                out.push(b"LD".to_vec());
                out.push(i.to_string().into_bytes());
                return;
            }
            Step::Reinsert { elem, at } => {
                // `LR n elem index...`.
                out.push(b"LR".to_vec());
                out.push(at.len().to_string().into_bytes());
                out.push(elem.clone());
                out.extend(at.iter().map(|i| i.to_string().into_bytes()));
                return;
            }
            Step::Unappend(m) => {
                // `XU entries_added last_id first_id max_deleted`.
                out.push(b"XU".to_vec());
                out.push(m.entries_added.to_string().into_bytes());
                for id in [m.last_id, m.first_id, m.max_deleted] {
                    out.push(id.to_string().into_bytes());
                }
                return;
            }
            Step::Untrim { head, tail } => {
                // `LT n head... m tail...`.
                out.push(b"LT".to_vec());
                out.push(head.len().to_string().into_bytes());
                out.extend(head.iter().cloned());
                out.push(tail.len().to_string().into_bytes());
                out.extend(tail.iter().cloned());
                return;
            }
            Step::Fields(f) => {
                // `HF n (field present value)...`.
                out.push(b"HF".to_vec());
                out.push(f.len().to_string().into_bytes());
                for (name, v) in f {
                    out.push(name.clone());
                    out.push(vec![if v.is_some() { b'1' } else { b'0' }]);
                    out.push(v.clone().unwrap_or_default());
                }
                return;
            }
            Step::Scores(z) => {
                // `ZS n (member present score)...`: the score in Rust's
                // shortest form that reads back exactly.
                out.push(b"ZS".to_vec());
                out.push(z.len().to_string().into_bytes());
                for (m, s) in z {
                    out.push(m.clone());
                    out.push(vec![if s.is_some() { b'1' } else { b'0' }]);
                    let score = s.map(|s| f64::from_bits(s).to_string().into_bytes());
                    out.push(score.unwrap_or_default());
                }
                return;
            }
        };
        out.push(tag.to_vec());
        out.push(items.len().to_string().into_bytes());
        out.extend(items.iter().cloned());
    }

    /// Parses one step; the step and the rest.
    fn parse<'a, 'b>(args: &'a [&'b [u8]]) -> Option<(Step, &'a [&'b [u8]])> {
        let [tag, n, rest @ ..] = args else {
            return None;
        };
        let n = u64::try_from(parse_i64(n)?).ok()?;
        let pops = match *tag {
            b"PF" => Some(Step::PopFront(n)),
            b"PB" => Some(Step::PopBack(n)),
            _ => None,
        };
        if let Some(step) = pops {
            return Some((step, rest));
        }
        match *tag {
            b"EX" if n == 0 => return Some((Step::Expiry, rest)),
            b"LS" => {
                let (old, rest) = rest.split_first()?;
                return Some((Step::SetAt(n, old.to_vec()), rest));
            }
            b"LD" => return Some((Step::RemoveAt(n), rest)),
            b"XU" => {
                let [last, first, max_deleted, rest @ ..] = rest else {
                    return None;
                };
                let id = |b: &[u8]| parse_id(b, 0, true);
                let marks = StreamMarks {
                    last_id: id(last)?,
                    first_id: id(first)?,
                    max_deleted: id(max_deleted)?,
                    entries_added: n,
                };
                return Some((Step::Unappend(marks), rest));
            }
            b"LR" => {
                let n = usize::try_from(n).ok()?;
                let (elem, rest) = rest.split_first()?;
                let (at, rest) = (rest.get(..n)?, &rest[n..]);
                let at = at
                    .iter()
                    .map(|i| u64::try_from(parse_i64(i)?).ok())
                    .collect::<Option<Vec<u64>>>()?;
                let elem = elem.to_vec();
                return Some((Step::Reinsert { elem, at }, rest));
            }
            b"LT" => {
                let n = usize::try_from(n).ok()?;
                let (head, rest) = (rest.get(..n)?, &rest[n..]);
                let (m, rest) = rest.split_first()?;
                let m = usize::try_from(parse_i64(m)?).ok()?;
                let (tail, rest) = (rest.get(..m)?, &rest[m..]);
                let own = |a: &[&[u8]]| a.iter().map(|x| x.to_vec()).collect();
                let (head, tail) = (own(head), own(tail));
                return Some((Step::Untrim { head, tail }, rest));
            }
            _ => {}
        }
        if matches!(*tag, b"HF" | b"ZS") {
            let n = usize::try_from(n).ok()?;
            let end = n.checked_mul(3).filter(|&e| e <= rest.len())?;
            let triples = rest[..end].chunks(3);
            let step = match *tag {
                b"HF" => Step::Fields(
                    triples
                        .map(|t| match t[1] {
                            b"1" => Some((t[0].to_vec(), Some(t[2].to_vec()))),
                            b"0" => Some((t[0].to_vec(), None)),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()?,
                ),
                _ => Step::Scores(
                    triples
                        .map(|t| match t[1] {
                            b"1" => {
                                let s: f64 = std::str::from_utf8(t[2]).ok()?.parse().ok()?;
                                (!s.is_nan()).then(|| (t[0].to_vec(), Some(s.to_bits())))
                            }
                            b"0" => Some((t[0].to_vec(), None)),
                            _ => None,
                        })
                        .collect::<Option<Vec<_>>>()?,
                ),
            };
            return Some((step, &rest[end..]));
        }
        let n = usize::try_from(n).ok().filter(|&n| n <= rest.len())?;
        let items: Vec<Vec<u8>> = rest[..n].iter().map(|a| a.to_vec()).collect();
        let step = match *tag {
            b"UF" => Step::PushFront(items),
            b"UB" => Step::PushBack(items),
            b"SR" => Step::Remove(items),
            b"SA" => Step::Add(items),
            _ => return None,
        };
        Some((step, &rest[n..]))
    }
}

/// A position kept in a step, as an index (a list longer than the
/// address space cannot have been there).
fn index(i: u64) -> usize {
    usize::try_from(i).unwrap_or(usize::MAX)
}

/// The list at `key` to put elements back into, created if the write
/// removed it.
fn list_to_fill<'k>(ks: &'k mut Keyspace, key: &[u8]) -> Option<&'k mut ListObj> {
    if ks.get(key).is_none() {
        ks.insert(key, Value::List(Box::default()));
    }
    match ks.get_mut(key) {
        Some(ValueMut::List(l)) => Some(l),
        _ => None,
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

impl Delta {
    /// Puts the key back as it was: the steps backwards, then its
    /// expiry.
    pub fn apply(&self, ks: &mut Keyspace) {
        for step in self.steps.iter().rev() {
            step.run(ks, &self.key);
        }
        if ks.get(&self.key).is_some() {
            match self.expiry {
                Some(at) => {
                    ks.set_expire_at(&self.key, at);
                }
                None => {
                    ks.persist(&self.key);
                }
            }
        }
    }

    /// The key as it was before the steps, as `capture` takes it: the
    /// steps undone on the live key, captured, and the live value put back
    /// (`put_back` its capture): for a write the steps cannot undo.
    fn before<T>(
        &self,
        ks: &mut Keyspace,
        capture: impl Fn(&mut Keyspace, &[u8]) -> T,
        put_back: impl FnOnce(&mut Keyspace, &[u8], T),
    ) -> T {
        let now = capture(ks, &self.key);
        self.apply(ks);
        let before = capture(ks, &self.key);
        put_back(ks, &self.key, now);
        before
    }

    /// [`Delta::before`] as an undo [`Image`] (a transaction's).
    pub fn image_before(&self, ks: &mut Keyspace) -> Image {
        self.before(ks, Image::capture, |ks, _, i| i.restore(ks))
    }

    /// [`Delta::before`] as the keyspace's copy (a script's put-back).
    pub fn saved_before(&self, ks: &mut Keyspace) -> Option<Saved> {
        self.before(ks, |ks, k| ks.saved(k), |ks, k, s| ks.put_back(k, s))
    }

    pub(super) fn push_args(&self, out: &mut Vec<Vec<u8>>) {
        out.push(self.key.clone());
        out.push(
            self.expiry
                .map_or(-1, |e| e as i64)
                .to_string()
                .into_bytes(),
        );
        out.push(self.steps.len().to_string().into_bytes());
        self.steps.iter().for_each(|s| s.push_args(out));
    }

    /// Parses `key expiry n steps...`; the delta and the rest.
    pub(super) fn parse<'a, 'b>(args: &'a [&'b [u8]]) -> Option<(Delta, &'a [&'b [u8]])> {
        let [key, expiry, n, rest @ ..] = args else {
            return None;
        };
        let expiry = u64::try_from(parse_i64(expiry)?).ok();
        let n = usize::try_from(parse_i64(n)?).ok()?;
        let mut rest = rest;
        let mut steps = Vec::new();
        for _ in 0..n {
            let (s, r) = Step::parse(rest)?;
            steps.push(s);
            rest = r;
        }
        Some((
            Delta {
                key: key.to_vec(),
                expiry,
                steps,
            },
            rest,
        ))
    }
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
