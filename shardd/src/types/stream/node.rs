//! One node of a stream: up to `stream-node-max-entries` entries packed in
//! one buffer, their ids delta-encoded against the node's first id (its
//! *master* id, the key the stream's tree holds it under), and their field
//! names left out when they are the master entry's (the first entry's)
//! fields, as Redis's listpack nodes do.
//!
//! Entry layout: `flags:u8 | ms_delta:varint | seq:varint | body`, where
//! `seq` is relative to the master's when `ms_delta` is 0 and absolute
//! otherwise; the body is the values alone (`SAME_FIELDS`: each
//! `len:varint bytes`, as many as the master has fields) or
//! `count:varint` then `count` field/value pairs. `DELETED` marks a
//! tombstone (XDEL, exact trimming), skipped by every read and removed
//! with the whole node when nothing else is left in it.

use super::StreamId;

const DELETED: u8 = 1;
const SAME_FIELDS: u8 = 2;

/// Appends `v` as a little-endian base-128 varint.
pub(super) fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `*pos`; `None` past the end or when too long (a
/// node is only ever built here, so this is a corrupt dump).
pub(super) fn read_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Reads bytes written by [`push_bytes`].
pub(super) fn read_bytes<'a>(b: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let len = usize::try_from(read_varint(b, pos)?).ok()?;
    let end = pos.checked_add(len)?;
    let s = b.get(*pos..end)?;
    *pos = end;
    Some(s)
}

/// Appends `s`, its length first.
pub(super) fn push_bytes(out: &mut Vec<u8>, s: &[u8]) {
    push_varint(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// The bytes Redis's listpack spends on element `s` (its encoding header,
/// the data and the back length), so nodes fill up by bytes as Redis's do
/// (`stream-node-max-bytes`).
pub fn lp_elem_bytes(s: &[u8]) -> usize {
    if let Some(v) = (s.len() <= 20).then(|| common::num::parse_i64(s)).flatten() {
        return lp_int_bytes(v);
    }
    let head = match s.len() {
        0..=63 => 1,
        64..=4095 => 2,
        _ => 5,
    };
    let body = head + s.len();
    body + backlen(body)
}

/// [`lp_elem_bytes`] of an integer.
pub fn lp_int_bytes(v: i64) -> usize {
    let body = match v {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32768..=32767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    body + backlen(body)
}

/// Bytes of a listpack entry's back length for an entry of `body` bytes
/// (Redis's `lpEncodeBacklen` thresholds).
pub(crate) fn backlen(body: usize) -> usize {
    match body {
        0..=127 => 1,
        128..=16382 => 2,
        16383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// What Redis's listpack spends on an entry with `fields` (field, value,
/// ...) whose id is `ms_delta` and `seq` from its node's master, its field
/// names left out when `same`.
fn entry_lp_bytes(ms_delta: u64, seq: u64, same: bool, fields: &[&[u8]]) -> usize {
    let count = fields.len() / 2;
    let mut lp = 2 + lp_int_bytes(ms_delta as i64) + lp_int_bytes(seq as i64);
    if same {
        lp += fields
            .iter()
            .skip(1)
            .step_by(2)
            .map(|v| lp_elem_bytes(v))
            .sum::<usize>();
    } else {
        lp += lp_int_bytes(count as i64);
        lp += fields.iter().map(|f| lp_elem_bytes(f)).sum::<usize>();
    }
    let lp_count = 3 + count + if same { 0 } else { count + 1 };
    lp + lp_int_bytes(lp_count as i64)
}

/// One entry read from a node.
#[derive(Debug)]
pub struct RawEntry {
    /// Its id.
    pub id: StreamId,
    /// Offset of its flags byte in the node's buffer.
    pub at: usize,
    /// Whether it is a tombstone.
    pub deleted: bool,
    /// Offset of its body.
    body: usize,
    same: bool,
}

/// A node: its entries and what the stream needs to know without reading
/// them.
#[derive(Clone, Debug)]
pub struct Node {
    /// The master entry's fields, packed (`count:varint`, then each).
    master: Vec<u8>,
    master_count: usize,
    /// The packed entries.
    buf: Vec<u8>,
    /// The master id (the node's key in the stream).
    pub first: StreamId,
    /// The id of the last entry (live or not).
    pub last: StreamId,
    /// Live entries.
    pub live: usize,
    /// Tombstones.
    pub dead: usize,
    /// What Redis's listpack for the same entries would weigh.
    pub lp_bytes: usize,
}

impl Node {
    /// A node whose master entry is `id` with `fields` (field, value,
    /// field, value...).
    pub fn new(id: StreamId, fields: &[&[u8]]) -> Node {
        let names: Vec<&[u8]> = fields.iter().step_by(2).copied().collect();
        Node::with_master_names(id, &names)
    }

    /// A node whose master entry is `id` with field names `names` (a
    /// Redis listpack's master entry, RESTORE).
    pub fn with_master_names(id: StreamId, names: &[&[u8]]) -> Node {
        let mut master = Vec::new();
        let count = names.len();
        push_varint(&mut master, count as u64);
        // Header, count, deleted, num-fields, the fields and the
        // terminating 0, then the end byte.
        let mut lp_bytes = 6 + 1 + 2 + 2 + lp_int_bytes(count as i64) + 2;
        for f in names {
            push_bytes(&mut master, f);
            lp_bytes += lp_elem_bytes(f);
        }
        Node {
            master,
            master_count: count,
            buf: Vec::new(),
            first: id,
            last: id,
            live: 0,
            dead: 0,
            lp_bytes,
        }
    }

    /// Entries in the node, live or not.
    pub fn total(&self) -> usize {
        self.live + self.dead
    }

    /// The master entry's field names.
    pub fn master_fields(&self) -> impl Iterator<Item = &[u8]> {
        let mut pos = 0;
        let _ = read_varint(&self.master, &mut pos);
        std::iter::from_fn(move || read_bytes(&self.master, &mut pos))
    }

    /// Appends entry `id` (greater than every id in the node) with
    /// `fields` (field, value, ...).
    pub fn push(&mut self, id: StreamId, fields: &[&[u8]]) {
        let count = fields.len() / 2;
        let same = count == self.master_count
            && self
                .master_fields()
                .zip(fields.iter().step_by(2))
                .all(|(m, f)| m == *f);
        let ms_delta = id.ms - self.first.ms;
        let seq = if ms_delta == 0 {
            id.seq - self.first.seq
        } else {
            id.seq
        };
        self.buf.push(if same { SAME_FIELDS } else { 0 });
        push_varint(&mut self.buf, ms_delta);
        push_varint(&mut self.buf, seq);
        if same {
            for v in fields.iter().skip(1).step_by(2) {
                push_bytes(&mut self.buf, v);
            }
        } else {
            push_varint(&mut self.buf, count as u64);
            for f in fields {
                push_bytes(&mut self.buf, f);
            }
        }
        self.lp_bytes += entry_lp_bytes(ms_delta, seq, same, fields);
        self.last = id;
        self.live += 1;
    }

    /// [`Node::push`], the entry a tombstone if `deleted` (a Redis
    /// listpack's, RESTORE; the caller checks `id` is past the node's
    /// last).
    pub fn push_flagged(&mut self, id: StreamId, fields: &[&[u8]], deleted: bool) {
        let at = self.buf.len();
        self.push(id, fields);
        if deleted {
            self.buf[at] |= DELETED;
            self.live -= 1;
            self.dead += 1;
        }
    }

    /// Takes the last entry (just pushed) back out, as if it had never
    /// been pushed: whether it was live, `None` if the node has no entry.
    /// A transaction undoes its XADD so (`persist::txlog::Delta`).
    pub fn pop_last(&mut self) -> Option<bool> {
        let (last, prev) = self.entries().fold((None, None), |(l, _), e| (Some(e), l));
        let last = last?;
        let mut fields = Vec::new();
        self.fields_into(&last, &mut fields);
        let ms_delta = last.id.ms - self.first.ms;
        let seq = match ms_delta {
            0 => last.id.seq - self.first.seq,
            _ => last.id.seq,
        };
        let lp = entry_lp_bytes(ms_delta, seq, last.same, &fields);
        self.lp_bytes = self.lp_bytes.saturating_sub(lp);
        self.buf.truncate(last.at);
        match last.deleted {
            true => self.dead -= 1,
            false => self.live -= 1,
        }
        self.last = prev.map_or(self.first, |p: RawEntry| p.id);
        Some(!last.deleted)
    }

    /// Reads the entry at `at`: the entry and the offset after it.
    fn entry_at(&self, at: usize) -> Option<(RawEntry, usize)> {
        let b = &self.buf;
        let flags = *b.get(at)?;
        let mut pos = at + 1;
        let ms_delta = read_varint(b, &mut pos)?;
        let seq = read_varint(b, &mut pos)?;
        let id = if ms_delta == 0 {
            StreamId::new(self.first.ms, self.first.seq.checked_add(seq)?)
        } else {
            StreamId::new(self.first.ms.checked_add(ms_delta)?, seq)
        };
        let body = pos;
        let same = flags & SAME_FIELDS != 0;
        let values = if same {
            self.master_count
        } else {
            usize::try_from(read_varint(b, &mut pos)?)
                .ok()?
                .checked_mul(2)?
        };
        for _ in 0..values {
            read_bytes(b, &mut pos)?;
        }
        Some((
            RawEntry {
                id,
                at,
                deleted: flags & DELETED != 0,
                body,
                same,
            },
            pos,
        ))
    }

    /// Every entry in order, tombstones included.
    pub fn entries(&self) -> impl Iterator<Item = RawEntry> + '_ {
        let mut at = 0;
        std::iter::from_fn(move || {
            let (e, next) = self.entry_at(at)?;
            at = next;
            Some(e)
        })
    }

    /// Whether entry `e` leaves out its field names (they are the
    /// master entry's).
    pub fn same_fields(&self, e: &RawEntry) -> bool {
        e.same
    }

    /// Puts entry `e`'s fields and values (field, value, ...) in `out`.
    pub fn fields_into<'a>(&'a self, e: &RawEntry, out: &mut Vec<&'a [u8]>) {
        out.clear();
        let b = &self.buf;
        let mut pos = e.body;
        if e.same {
            for f in self.master_fields() {
                let Some(v) = read_bytes(b, &mut pos) else {
                    return;
                };
                out.push(f);
                out.push(v);
            }
        } else {
            let n = read_varint(b, &mut pos).unwrap_or(0);
            for _ in 0..n.saturating_mul(2) {
                let Some(x) = read_bytes(b, &mut pos) else {
                    return;
                };
                out.push(x);
            }
        }
    }

    /// Marks entry `e` (read from this node, live) deleted.
    pub fn delete(&mut self, e: &RawEntry) {
        if let Some(f) = self.buf.get_mut(e.at) {
            if *f & DELETED == 0 {
                *f |= DELETED;
                self.live -= 1;
                self.dead += 1;
            }
        }
    }

    /// Heap bytes the node holds.
    pub fn heap_bytes(&self) -> usize {
        crate::types::alloc_size(self.buf.capacity())
            + crate::types::alloc_size(self.master.capacity())
    }

    /// Shrinks the buffer to its length (a node that filled up).
    pub fn shrink(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// The node as bytes (DUMP, snapshots): ids, counts and both buffers.
    pub fn encode(&self, out: &mut Vec<u8>) {
        for v in [self.first.ms, self.first.seq, self.last.ms, self.last.seq] {
            push_varint(out, v);
        }
        for v in [self.live, self.dead, self.lp_bytes, self.master_count] {
            push_varint(out, v as u64);
        }
        push_bytes(out, &self.master);
        push_bytes(out, &self.buf);
    }

    /// A node written by [`Node::encode`], checked entry by entry.
    pub fn decode(b: &[u8], pos: &mut usize) -> Option<Node> {
        let mut n = [0u64; 8];
        for v in &mut n {
            *v = read_varint(b, pos)?;
        }
        let us = |v: u64| usize::try_from(v).ok();
        let node = Node {
            first: StreamId::new(n[0], n[1]),
            last: StreamId::new(n[2], n[3]),
            live: us(n[4])?,
            dead: us(n[5])?,
            lp_bytes: us(n[6])?,
            master_count: us(n[7])?,
            master: read_bytes(b, pos)?.to_vec(),
            buf: read_bytes(b, pos)?.to_vec(),
        };
        // Every entry must read, in order, with the counts and edges said.
        let mut prev: Option<StreamId> = None;
        let (mut live, mut dead, mut at) = (0, 0, 0);
        while at < node.buf.len() {
            let (e, next) = node.entry_at(at)?;
            if prev.is_some_and(|p| p >= e.id) || e.id < node.first {
                return None;
            }
            prev = Some(e.id);
            if e.deleted {
                dead += 1;
            } else {
                live += 1;
            }
            at = next;
        }
        if node.master_fields().count() != node.master_count
            || live != node.live
            || dead != node.dead
            || prev != Some(node.last)
        {
            return None;
        }
        Some(node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_with_their_fields_and_tombstones() {
        let mut n = Node::new(StreamId::new(5, 1), &[b"a", b"1", b"b", b"2"]);
        n.push(StreamId::new(5, 1), &[b"a", b"1", b"b", b"2"]);
        n.push(StreamId::new(5, 9), &[b"a", b"x", b"b", b"y"]);
        n.push(StreamId::new(7, 0), &[b"other", b"v"]);
        let ids: Vec<_> = n.entries().map(|e| e.id).collect();
        assert_eq!(
            ids,
            vec![
                StreamId::new(5, 1),
                StreamId::new(5, 9),
                StreamId::new(7, 0)
            ]
        );
        let e: Vec<_> = n.entries().collect();
        let mut out = Vec::new();
        n.fields_into(&e[1], &mut out);
        assert_eq!(out, vec![&b"a"[..], b"x", b"b", b"y"]);
        n.fields_into(&e[2], &mut out);
        assert_eq!(out, vec![&b"other"[..], b"v"]);
        n.delete(&e[1]);
        assert_eq!((n.live, n.dead), (2, 1));
        assert!(n.entries().nth(1).is_some_and(|e| e.deleted));
        let mut bytes = Vec::new();
        n.encode(&mut bytes);
        let mut pos = 0;
        let back = Node::decode(&bytes, &mut pos);
        assert!(back.is_some_and(|b| b.entries().count() == 3 && b.live == 2));
        assert!(Node::decode(&bytes[..bytes.len() - 1], &mut 0).is_none());
    }

    #[test]
    fn listpack_sizes_follow_redis_encodings() {
        assert_eq!(lp_elem_bytes(b"12"), 2);
        assert_eq!(lp_elem_bytes(b"1000"), 3);
        assert_eq!(lp_elem_bytes(b"abc"), 5);
        assert_eq!(lp_elem_bytes(&[b'x'; 100]), 103);
    }
}
