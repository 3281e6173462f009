//! The stream type: entries with increasing ids, each a list of field and
//! value pairs, and the consumer groups reading them.
//!
//! Entries live in nodes of up to `stream-node-max-entries` entries and
//! about `stream-node-max-bytes` bytes (the settings in force, counted as
//! Redis counts its listpacks so trimming with `~` removes the same whole
//! nodes), kept in a tree by their first id (see [`node`] for the packed
//! layout). Deleting marks a tombstone; a node whose entries are all
//! deleted goes away.

pub mod group;
pub mod id;
pub(crate) mod node;

use std::collections::BTreeMap;

pub use group::{Consumer, Group, Nack, INVALID_ENTRIES_READ};
pub use id::StreamId;
pub(crate) use node::backlen as listpack_backlen;
pub(crate) use node::Node;
use node::{push_bytes, push_varint, read_bytes, read_varint};

/// Largest total size of one entry's fields and values (Redis's
/// `STREAM_LISTPACK_MAX_SIZE`), and of a node.
pub const MAX_ENTRY_BYTES: usize = 1 << 30;

/// How XADD picks the new entry's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewId {
    /// `*`.
    Auto,
    /// `<ms>-*`.
    AutoSeq(u64),
    /// An explicit id.
    Exact(StreamId),
}

/// Why an append failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddError {
    /// The id is not greater than the last one.
    NotGreater,
    /// The fields are too large.
    TooLarge,
}

/// How to trim (XADD's and XTRIM's options).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    /// Keep at most this many entries.
    MaxLen(u64),
    /// Keep no entry below this id.
    MinId(StreamId),
}

/// A stream's counters before an append ([`StreamObj::marks`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamMarks {
    pub last_id: StreamId,
    pub first_id: StreamId,
    pub max_deleted: StreamId,
    pub entries_added: u64,
}

/// A stream.
#[derive(Clone, Debug, Default)]
pub struct StreamObj {
    nodes: BTreeMap<StreamId, Node>,
    len: u64,
    /// The last id added (or set by XSETID).
    pub last_id: StreamId,
    /// The first live entry's id (0-0 when empty).
    pub first_id: StreamId,
    /// The largest id ever deleted by XDEL.
    pub max_deleted: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// The consumer groups, by name.
    pub groups: BTreeMap<Vec<u8>, Group>,
}

impl StreamObj {
    /// Live entries.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether there are no live entries.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Nodes (`radix-tree-keys` in XINFO).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes in id order (DUMP's Redis form writes them as they are).
    pub(crate) fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// A stream of `nodes` (in id order, each past the one before) and
    /// the counters and groups of a Redis payload (RESTORE); `None` if
    /// they disagree: live entries other than `len`, an entry past
    /// `marks.last_id`. Nodes left with no live entry are dropped, as
    /// Redis drops them.
    pub(crate) fn from_parts(
        nodes: Vec<Node>,
        len: u64,
        marks: StreamMarks,
        groups: BTreeMap<Vec<u8>, Group>,
    ) -> Option<StreamObj> {
        let mut s = StreamObj {
            len,
            last_id: marks.last_id,
            first_id: marks.first_id,
            max_deleted: marks.max_deleted,
            entries_added: marks.entries_added,
            groups,
            ..StreamObj::default()
        };
        let mut live = 0u64;
        let mut prev: Option<StreamId> = None;
        for n in nodes {
            if prev.is_some_and(|p| p >= n.first) || n.last > s.last_id {
                return None;
            }
            prev = Some(n.last);
            if n.live > 0 {
                live += n.live as u64;
                s.nodes.insert(n.first, n);
            }
        }
        (live == len).then_some(s)
    }

    /// Appends an entry with `fields` (field, value, ...; at least one
    /// pair) and an id as `how` says, `now` being the clock for `*`.
    pub fn append(&mut self, how: NewId, fields: &[&[u8]], now: u64) -> Result<StreamId, AddError> {
        let last = self.last_id;
        let id = match how {
            NewId::Auto if now > last.ms => StreamId::new(now, 0),
            NewId::Auto => last.next().ok_or(AddError::NotGreater)?,
            NewId::AutoSeq(ms) if ms == last.ms => {
                StreamId::new(ms, last.seq.checked_add(1).ok_or(AddError::NotGreater)?)
            }
            NewId::AutoSeq(ms) => StreamId::new(ms, 0),
            NewId::Exact(id) => id,
        };
        if id <= last {
            return Err(AddError::NotGreater);
        }
        let total: usize = fields.iter().map(|f| f.len()).sum();
        if total > MAX_ENTRY_BYTES {
            return Err(AddError::TooLarge);
        }
        let enc = crate::settings::encoding();
        let max_bytes = match enc.stream_node_max_bytes {
            0 => MAX_ENTRY_BYTES,
            n => n.min(MAX_ENTRY_BYTES),
        };
        let max_entries = enc.stream_node_max_entries;
        let fits = self.nodes.last_key_value().is_some_and(|(_, n)| {
            n.lp_bytes + total < max_bytes && (max_entries == 0 || n.total() < max_entries)
        });
        if !fits {
            if let Some((_, n)) = self.nodes.iter_mut().next_back() {
                n.shrink();
            }
            self.nodes.insert(id, Node::new(id, fields));
        }
        if let Some((_, n)) = self.nodes.iter_mut().next_back() {
            n.push(id, fields);
        }
        self.len += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.len == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Calls `f(id, fields)` for the live entries from `start` to `end`
    /// (inclusive; from `end` down when `rev`), at most `count` of them
    /// (all when 0), until `f` returns false. Returns how many it saw.
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
        rev: bool,
        count: usize,
        mut f: impl FnMut(StreamId, &[&[u8]]) -> bool,
    ) -> usize {
        if start > end {
            return 0;
        }
        let mut seen = 0;
        let mut fields = Vec::new();
        if !rev {
            let from = self
                .nodes
                .range(..=start)
                .next_back()
                .map_or(start, |(k, _)| *k);
            for node in self.nodes.range(from..).map(|(_, n)| n) {
                if node.first > end {
                    break;
                }
                if node.last < start {
                    continue;
                }
                for e in node.entries() {
                    if e.id > end {
                        return seen;
                    }
                    if e.deleted || e.id < start {
                        continue;
                    }
                    node.fields_into(&e, &mut fields);
                    seen += 1;
                    if !f(e.id, &fields) || seen == count {
                        return seen;
                    }
                }
            }
        } else {
            for node in self.nodes.range(..=end).rev().map(|(_, n)| n) {
                if node.last < start {
                    break;
                }
                let entries: Vec<_> = node.entries().collect();
                for e in entries.iter().rev() {
                    if e.id < start {
                        return seen;
                    }
                    if e.deleted || e.id > end {
                        continue;
                    }
                    node.fields_into(e, &mut fields);
                    seen += 1;
                    if !f(e.id, &fields) || seen == count {
                        return seen;
                    }
                }
            }
        }
        seen
    }

    /// Whether live entry `id` exists.
    pub fn contains(&self, id: StreamId) -> bool {
        self.range(id, id, false, 1, |_, _| true) == 1
    }

    /// The first (or last, when `last`) live entry's id.
    pub fn edge_id(&self, last: bool) -> Option<StreamId> {
        let mut found = None;
        self.range(StreamId::MIN, StreamId::MAX, last, 1, |id, _| {
            found = Some(id);
            false
        });
        found
    }

    /// The counters an append changes, to put back with
    /// [`StreamObj::unappend`].
    pub fn marks(&self) -> StreamMarks {
        StreamMarks {
            last_id: self.last_id,
            first_id: self.first_id,
            max_deleted: self.max_deleted,
            entries_added: self.entries_added,
        }
    }

    /// Takes the newest entry back out (the one an XADD just appended)
    /// and puts back the counters `marks` kept before it: a
    /// transaction's undo of an XADD that trimmed nothing.
    pub fn unappend(&mut self, marks: &StreamMarks) {
        if let Some(mut last) = self.nodes.last_entry() {
            if last.get_mut().pop_last() == Some(true) {
                self.len -= 1;
            }
            if last.get().total() == 0 {
                last.remove();
            }
        }
        self.last_id = marks.last_id;
        self.first_id = marks.first_id;
        self.max_deleted = marks.max_deleted;
        self.entries_added = marks.entries_added;
    }

    /// Deletes live entry `id` (XDEL); true if it was there.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some((&key, node)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(e) = node.entries().find(|e| e.id == id && !e.deleted) else {
            return false;
        };
        node.delete(&e);
        if node.live == 0 {
            self.nodes.remove(&key);
        }
        self.len -= 1;
        if id > self.max_deleted {
            self.max_deleted = id;
        }
        if self.len == 0 {
            self.first_id = StreamId::MIN;
        } else if id == self.first_id {
            self.first_id = self.edge_id(false).unwrap_or_default();
        }
        true
    }

    /// Whether an XADD that appends one entry and then trims as `how`
    /// says (whole nodes only when `approx`) may remove an entry: false
    /// only when it surely removes none, so that undoing the append alone
    /// undoes it. Errs toward true (the caller then keeps an image).
    pub fn add_may_trim(&self, how: Trim, approx: bool) -> bool {
        self.may_trim(how, approx, true)
    }

    /// Whether an XTRIM as `how` says may remove an entry: false only when
    /// it surely removes none (a capped stream's `XTRIM MAXLEN ~` after
    /// each add removes a node once per node's worth of adds), so that
    /// there is nothing to undo. Errs toward true.
    pub fn trim_may_remove(&self, how: Trim, approx: bool) -> bool {
        self.may_trim(how, approx, false)
    }

    fn may_trim(&self, how: Trim, approx: bool, adding: bool) -> bool {
        let first = self.nodes.first_key_value().map(|(_, n)| n);
        match how {
            Trim::MaxLen(max) => {
                let after = self.len + u64::from(adding);
                if after <= max {
                    return false;
                }
                // Whole nodes: the first goes if what stays is enough.
                let first_live = first.map_or(0, |n| n.live as u64);
                !approx || after - first_live >= max
            }
            // The added entry's id may itself be below `min`.
            Trim::MinId(min) => match first {
                None => adding,
                Some(_) => self.first_raw_id() < min,
            },
        }
    }

    /// Trims as `how` says: whole nodes only when `approx`, at most
    /// `limit` entries when not 0 (Redis's `streamTrim`). Returns the
    /// number of entries removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some((&key, node)) = self.nodes.first_key_value() {
            if let Trim::MaxLen(max) = how {
                if self.len <= max {
                    break;
                }
            }
            let entries = node.live as u64;
            if limit > 0 && deleted + entries > limit {
                break;
            }
            let whole = match how {
                Trim::MaxLen(max) => self.len - entries >= max,
                Trim::MinId(min) => node.last < min,
            };
            if whole {
                self.nodes.remove(&key);
                self.len -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let Some(node) = self.nodes.get_mut(&key) else {
                break;
            };
            let entries: Vec<_> = node.entries().collect();
            for e in entries {
                let stop = match how {
                    Trim::MaxLen(max) => self.len <= max,
                    Trim::MinId(min) => e.id >= min,
                };
                if stop {
                    break;
                }
                if !e.deleted {
                    node.delete(&e);
                    self.len -= 1;
                    deleted += 1;
                }
            }
            break;
        }
        if self.len == 0 {
            self.first_id = StreamId::MIN;
        } else if deleted > 0 {
            self.first_id = self.edge_id(false).unwrap_or_default();
        }
        deleted
    }

    /// The id of the first entry, tombstones included (XADD's rewritten
    /// MINID), or the largest id when empty.
    pub fn first_raw_id(&self) -> StreamId {
        self.nodes
            .first_key_value()
            .and_then(|(_, n)| n.entries().next().map(|e| e.id))
            .unwrap_or(StreamId::MAX)
    }

    /// Whether a tombstone lies between `start` and `end` (Redis's
    /// `streamRangeHasTombstones`).
    pub fn range_has_tombstones(&self, start: StreamId, end: StreamId) -> bool {
        if self.len == 0 || self.max_deleted.is_zero() || self.first_id > self.max_deleted {
            return false;
        }
        start <= self.max_deleted && self.max_deleted <= end
    }

    /// The number of entries from the first ever added up to `id`, if it
    /// can be known (Redis's `streamEstimateDistanceFromFirstEverEntry`).
    pub fn estimate_distance(&self, id: StreamId) -> Option<u64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        if self.len == 0 && id <= self.last_id {
            return Some(self.entries_added);
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return Some(self.entries_added),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
        if self.max_deleted.is_zero() || self.max_deleted < self.first_id {
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return Some(self.entries_added - self.len),
                std::cmp::Ordering::Equal => return Some(self.entries_added - self.len + 1),
                std::cmp::Ordering::Greater => {}
            }
        }
        None
    }

    /// Group `g`'s lag, when it can be known (XINFO GROUPS); negative
    /// when ENTRIESREAD claimed more than was added, as Redis prints it.
    pub fn lag(&self, g: &Group) -> Option<i64> {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return Some(0);
        }
        if g.entries_read != INVALID_ENTRIES_READ
            && !self.range_has_tombstones(g.last_id, StreamId::MAX)
        {
            return Some(added.wrapping_sub(g.entries_read));
        }
        self.estimate_distance(g.last_id)
            .map(|read| added.wrapping_sub(read as i64))
    }

    /// Records that group `name` was served entry `id` (greater than its
    /// last delivered id): moves its last id and read counter as Redis's
    /// `streamReplyWithRange` does.
    pub fn advance_group(&mut self, name: &[u8], id: StreamId) {
        let tombstones = self.range_has_tombstones(id, StreamId::MAX);
        let estimate = self.estimate_distance(id);
        let added = self.entries_added;
        let Some(g) = self.groups.get_mut(name) else {
            return;
        };
        if id <= g.last_id {
            return;
        }
        if g.entries_read != INVALID_ENTRIES_READ && !tombstones {
            g.entries_read += 1;
        } else if added > 0 {
            g.entries_read = estimate.map_or(INVALID_ENTRIES_READ, |n| n as i64);
        }
        g.last_id = id;
    }

    /// Heap bytes, sampling `samples` nodes (all when 0).
    pub fn heap_bytes(&self, samples: usize) -> usize {
        let nodes = crate::types::sampled_sum(
            self.nodes.len(),
            samples,
            self.nodes.values().map(|n| n.heap_bytes() + 96),
        );
        let groups: usize = self
            .groups
            .iter()
            .map(|(k, g)| 96 + k.len() + g.heap_bytes())
            .sum();
        nodes + groups
    }

    /// The stream as bytes (DUMP, snapshots).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let v = |out: &mut Vec<u8>, x: u64| push_varint(out, x);
        let id = |out: &mut Vec<u8>, i: StreamId| {
            push_varint(out, i.ms);
            push_varint(out, i.seq);
        };
        v(out, self.len);
        id(out, self.last_id);
        id(out, self.first_id);
        id(out, self.max_deleted);
        v(out, self.entries_added);
        v(out, self.nodes.len() as u64);
        for n in self.nodes.values() {
            n.encode(out);
        }
        v(out, self.groups.len() as u64);
        for (name, g) in &self.groups {
            push_bytes(out, name);
            id(out, g.last_id);
            v(out, g.entries_read as u64);
            v(out, g.consumers.len() as u64);
            for (cname, c) in &g.consumers {
                push_bytes(out, cname);
                v(out, c.seen_time);
            }
            v(out, g.pel.len() as u64);
            for (pid, n) in &g.pel {
                id(out, *pid);
                v(out, n.delivery_time);
                v(out, n.delivery_count);
                push_bytes(out, &n.consumer);
            }
        }
    }

    /// A stream written by [`StreamObj::encode`], checked for consistency.
    pub fn decode(b: &[u8]) -> Option<StreamObj> {
        let mut pos = 0;
        let p = &mut pos;
        let len = read_varint(b, p)?;
        let mut s = StreamObj {
            len,
            last_id: read_id(b, p)?,
            first_id: read_id(b, p)?,
            max_deleted: read_id(b, p)?,
            entries_added: read_varint(b, p)?,
            ..StreamObj::default()
        };
        let nodes = read_varint(b, p)?;
        let mut live = 0u64;
        let mut prev: Option<StreamId> = None;
        for _ in 0..nodes {
            let n = Node::decode(b, p)?;
            if prev.is_some_and(|last| last >= n.first) || n.live == 0 {
                return None;
            }
            prev = Some(n.last);
            live += n.live as u64;
            s.nodes.insert(n.first, n);
        }
        if live != len || prev.is_some_and(|last| last > s.last_id) {
            return None;
        }
        let groups = read_varint(b, p)?;
        for _ in 0..groups {
            let name = read_bytes(b, p)?.to_vec();
            let mut g = Group::new(read_id(b, p)?, read_varint(b, p)? as i64);
            for _ in 0..read_varint(b, p)? {
                let cname = read_bytes(b, p)?.to_vec();
                let seen_time = read_varint(b, p)?;
                g.consumers.insert(
                    cname,
                    Consumer {
                        seen_time,
                        pel: Default::default(),
                    },
                );
            }
            for _ in 0..read_varint(b, p)? {
                let pid = read_id(b, p)?;
                let delivery_time = read_varint(b, p)?;
                let delivery_count = read_varint(b, p)?;
                let owner = read_bytes(b, p)?;
                g.consumers.get_mut(owner)?.pel.insert(pid);
                g.pel.insert(
                    pid,
                    Nack {
                        delivery_time,
                        delivery_count,
                        consumer: owner.into(),
                    },
                );
            }
            s.groups.insert(name, g);
        }
        (pos == b.len()).then_some(s)
    }
}

fn read_id(b: &[u8], pos: &mut usize) -> Option<StreamId> {
    Some(StreamId::new(read_varint(b, pos)?, read_varint(b, pos)?))
}

#[cfg(test)]
mod tests;
