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

use common::num::parse_i64;

use super::Image;
use crate::{
    keyspace::{Keyspace, Saved, Value, ValueMut},
    types::{
        list::{End, ListObj},
        stream::{id::parse_id, StreamMarks},
    },
};

mod undoing;

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
