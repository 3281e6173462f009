//! Streams in Redis's DUMP form: written as Redis 7.0 writes them
//! (`RDB_TYPE_STREAM_LISTPACKS_2`), read in the forms of Redis 5-6
//! (`_LISTPACKS`), 7.0-7.0 (`_2`) and 7.2+ (`_3`, which adds a consumer's
//! active time, dropped here: Redis 7.0 has none).
//!
//! ```text
//! nodes:len { master id:string(16 bytes, ms and seq big-endian)
//!             listpack:string }
//! length:len last_id:(len,len)
//! [_2, _3: first_id:(len,len) max_deleted:(len,len) entries_added:len]
//! groups:len { name:string last_id:(len,len) [_2, _3: entries_read:len]
//!              pel:len { id:16 bytes delivery_time:u64 LE ms count:len }
//!              consumers:len { name:string seen_time:u64 LE ms
//!                              [_3: active_time:u64 LE ms]
//!                              pel:len { id:16 bytes } } }
//! ```
//!
//! A node's listpack: the master entry `count deleted fields f1..fN 0`,
//! then each entry `flags ms-diff seq-diff [n f1 v1 .. fn vn | v1 .. vN]
//! lp-count` (flags: 1 deleted, 2 same fields as the master; the diffs
//! against the master id, the sequence's wrapping). Each node of ours is
//! one listpack, tombstones included, so the layout (what `XTRIM ~`
//! removes) survives a round trip either way. Read payloads are checked
//! whole: ids in order and past their node's master, counts that agree,
//! every pending entry owned by exactly one consumer.

use std::collections::{BTreeMap, BTreeSet};

use super::{listpack, put_length, put_string, ListpackWriter, Reader};
use crate::types::stream::{node::Node, Consumer, Group, Nack, StreamId, StreamMarks, StreamObj};

/// Redis 5 and 6's stream (no first id, tombstone mark or counters).
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
/// Redis 7.0's.
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;
/// Redis 7.2's (a consumer's active time too).
pub const TYPE_STREAM_LISTPACKS_3: u8 = 21;

const FLAG_DELETED: i64 = 1;
const FLAG_SAME_FIELDS: i64 = 2;

/// Writes `x` after its type byte ([`TYPE_STREAM_LISTPACKS_2`]).
pub fn encode(x: &StreamObj, out: &mut Vec<u8>) {
    out.push(TYPE_STREAM_LISTPACKS_2);
    put_length(out, x.node_count());
    let mut fields = Vec::new();
    for n in x.nodes() {
        put_string(out, &raw_id(n.first));
        let mut lp = ListpackWriter::default();
        let names: Vec<&[u8]> = n.master_fields().collect();
        lp.push_int(n.live as i64);
        lp.push_int(n.dead as i64);
        lp.push_int(names.len() as i64);
        names.iter().for_each(|f| lp.push(f));
        lp.push_int(0);
        for e in n.entries() {
            n.fields_into(&e, &mut fields);
            let same = n.same_fields(&e);
            let mut flags = if same { FLAG_SAME_FIELDS } else { 0 };
            if e.deleted {
                flags |= FLAG_DELETED;
            }
            lp.push_int(flags);
            lp.push_int(e.id.ms.wrapping_sub(n.first.ms) as i64);
            lp.push_int(e.id.seq.wrapping_sub(n.first.seq) as i64);
            let pairs = fields.len() / 2;
            if same {
                fields.iter().skip(1).step_by(2).for_each(|v| lp.push(v));
            } else {
                lp.push_int(pairs as i64);
                fields.iter().for_each(|f| lp.push(f));
            }
            let lp_count = 3 + pairs + if same { 0 } else { pairs + 1 };
            lp.push_int(lp_count as i64);
        }
        put_string(out, &lp.take().unwrap_or_default());
    }
    put_length(out, x.len() as usize);
    for id in [x.last_id, x.first_id, x.max_deleted] {
        put_id(out, id);
    }
    put_length(out, x.entries_added as usize);
    put_length(out, x.groups.len());
    for (name, g) in &x.groups {
        put_string(out, name);
        put_id(out, g.last_id);
        // -1 (unknown) as Redis writes it: the 64-bit length of its bits.
        put_length(out, g.entries_read as u64 as usize);
        put_length(out, g.pel.len());
        for (id, nack) in &g.pel {
            out.extend_from_slice(&raw_id(*id));
            out.extend_from_slice(&nack.delivery_time.to_le_bytes());
            put_length(out, nack.delivery_count as usize);
        }
        put_length(out, g.consumers.len());
        for (cname, c) in &g.consumers {
            put_string(out, cname);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            put_length(out, c.pel.len());
            for id in &c.pel {
                out.extend_from_slice(&raw_id(*id));
            }
        }
    }
}

fn raw_id(id: StreamId) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&id.ms.to_be_bytes());
    b[8..].copy_from_slice(&id.seq.to_be_bytes());
    b
}

fn put_id(out: &mut Vec<u8>, id: StreamId) {
    put_length(out, id.ms as usize);
    put_length(out, id.seq as usize);
}

impl Reader<'_> {
    fn id(&mut self) -> Option<StreamId> {
        Some(StreamId::new(self.count()?, self.count()?))
    }

    fn raw_id(&mut self) -> Option<StreamId> {
        let b = self.take(16)?;
        let ms = u64::from_be_bytes(b[..8].try_into().ok()?);
        let seq = u64::from_be_bytes(b[8..].try_into().ok()?);
        Some(StreamId::new(ms, seq))
    }

    fn millis(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
}

/// Reads a stream of type `kind` (one of the three above).
pub fn read(kind: u8, r: &mut Reader<'_>) -> Option<StreamObj> {
    let mut nodes = Vec::new();
    for _ in 0..r.count()? {
        let key = r.string()?;
        let master = Reader { b: &key }.raw_id().filter(|_| key.len() == 16)?;
        nodes.push(read_node(master, &r.string()?)?);
    }
    let len = r.count()?;
    let last_id = r.id()?;
    let marks = match kind {
        TYPE_STREAM_LISTPACKS => StreamMarks {
            last_id,
            // The first live entry's, once the nodes are in.
            first_id: StreamId::MIN,
            max_deleted: StreamId::MIN,
            entries_added: len,
        },
        _ => StreamMarks {
            last_id,
            first_id: r.id()?,
            max_deleted: r.id()?,
            entries_added: r.count()?,
        },
    };
    let mut groups = BTreeMap::new();
    for _ in 0..r.count()? {
        let name = r.string()?;
        let last = r.id()?;
        // A Redis 6 group's is estimated once the stream is whole.
        let entries_read = match kind {
            TYPE_STREAM_LISTPACKS => crate::types::stream::INVALID_ENTRIES_READ,
            _ => r.count()? as i64,
        };
        let g = read_group(kind, r, Group::new(last, entries_read))?;
        if groups.insert(name, g).is_some() {
            return None;
        }
    }
    let mut s = StreamObj::from_parts(nodes, len, marks, groups)?;
    if kind == TYPE_STREAM_LISTPACKS {
        // What Redis 7 fills in for a Redis 6 stream.
        s.first_id = s.edge_id(false).unwrap_or(StreamId::MIN);
        let read: Vec<Option<u64>> = s
            .groups
            .values()
            .map(|g| s.estimate_distance(g.last_id))
            .collect();
        for (g, n) in s.groups.values_mut().zip(read) {
            g.entries_read = n.map_or(crate::types::stream::INVALID_ENTRIES_READ, |n| n as i64);
        }
    }
    Some(s)
}

/// A group's pending entries and consumers, into `g`.
fn read_group(kind: u8, r: &mut Reader<'_>, mut g: Group) -> Option<Group> {
    for _ in 0..r.count()? {
        let id = r.raw_id()?;
        let nack = Nack {
            delivery_time: r.millis()?,
            delivery_count: r.count()?,
            consumer: Box::default(),
        };
        if g.pel.insert(id, nack).is_some() {
            return None;
        }
    }
    let mut owned = BTreeSet::new();
    for _ in 0..r.count()? {
        let cname = r.string()?;
        let seen_time = r.millis()?;
        if kind == TYPE_STREAM_LISTPACKS_3 {
            r.millis()?; // active time: Redis 7.2's, not kept
        }
        let mut c = Consumer {
            seen_time,
            pel: BTreeSet::new(),
        };
        for _ in 0..r.count()? {
            let id = r.raw_id()?;
            let nack = g.pel.get_mut(&id)?;
            if !owned.insert(id) || !c.pel.insert(id) {
                return None;
            }
            nack.consumer = cname.as_slice().into();
        }
        if g.consumers.insert(cname, c).is_some() {
            return None;
        }
    }
    // Every pending entry has its owner.
    (owned.len() == g.pel.len()).then_some(g)
}

/// One node's listpack, its master id `master`.
fn read_node(master: StreamId, lp: &[u8]) -> Option<Node> {
    let mut items: Vec<Vec<u8>> = Vec::new();
    listpack(lp, &mut |e| {
        items.push(e.to_vec());
        true
    })?;
    let mut it = items.iter();
    let int = |it: &mut std::slice::Iter<'_, Vec<u8>>| -> Option<i64> {
        std::str::from_utf8(it.next()?).ok()?.parse().ok()
    };
    let (live, dead) = (int(&mut it)?, int(&mut it)?);
    let names_count = usize::try_from(int(&mut it)?).ok()?;
    let names: Vec<&[u8]> = (0..names_count)
        .map(|_| it.next().map(Vec::as_slice))
        .collect::<Option<_>>()?;
    if int(&mut it)? != 0 {
        return None;
    }
    let mut node = Node::with_master_names(master, &names);
    let mut fields: Vec<&[u8]> = Vec::new();
    while it.len() > 0 {
        let flags = int(&mut it)?;
        let ms = master.ms.wrapping_add(int(&mut it)? as u64);
        let seq = master.seq.wrapping_add(int(&mut it)? as u64);
        let id = StreamId::new(ms, seq);
        fields.clear();
        let same = flags & FLAG_SAME_FIELDS != 0;
        if same {
            for name in &names {
                fields.push(name);
                fields.push(it.next()?);
            }
        } else {
            let pairs = usize::try_from(int(&mut it)?).ok()?;
            for _ in 0..pairs.checked_mul(2)? {
                fields.push(it.next()?);
            }
        }
        let pairs = fields.len() / 2;
        let lp_count = 3 + pairs + if same { 0 } else { pairs + 1 };
        let first = node.total() == 0;
        if int(&mut it)? != lp_count as i64
            || pairs == 0
            || id < master
            || (!first && id <= node.last)
        {
            return None;
        }
        node.push_flagged(id, &fields, flags & FLAG_DELETED != 0);
    }
    (node.live as i64 == live && node.dead as i64 == dead && node.total() > 0).then_some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::stream::NewId;

    fn sample() -> StreamObj {
        let mut x = StreamObj::default();
        for i in 0..250u64 {
            let v = i.to_string();
            let f: Vec<&[u8]> = match i % 7 {
                3 => vec![b"other", v.as_bytes(), b"x", b""],
                _ => vec![b"name", v.as_bytes(), b"n", b"-12"],
            };
            let id = StreamId::new(1_000 + i / 3, i % 3);
            x.append(NewId::Exact(id), &f, 0).unwrap_or_default();
        }
        x.delete(StreamId::new(1_000, 0));
        x.delete(StreamId::new(1_010, 1));
        let mut g = Group::new(StreamId::new(1_020, 0), 61);
        let (c, _) = g.consumer(b"alice", 77);
        c.pel.insert(StreamId::new(1_001, 0));
        g.pel.insert(
            StreamId::new(1_001, 0),
            Nack {
                delivery_time: 1_234,
                delivery_count: 3,
                consumer: b"alice"[..].into(),
            },
        );
        g.consumer(b"bob", 88);
        x.groups.insert(b"g1".to_vec(), g);
        x.groups
            .insert(b"g2".to_vec(), Group::new(StreamId::MIN, -1));
        x
    }

    fn payload(x: &StreamObj) -> Vec<u8> {
        let mut out = Vec::new();
        encode(x, &mut out);
        out
    }

    #[test]
    fn a_stream_reads_back_node_for_node() {
        let x = sample();
        let p = payload(&x);
        let back = read(p[0], &mut Reader { b: &p[1..] }).unwrap_or_default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        x.encode(&mut a);
        back.encode(&mut b);
        assert_eq!(a, b);
        assert_eq!(back.groups[&b"g2"[..]].entries_read, -1);
    }

    #[test]
    fn damaged_streams_are_refused_never_a_panic() {
        let p = payload(&sample());
        for cut in 1..p.len() {
            assert!(read(p[0], &mut Reader { b: &p[1..cut] }).is_none(), "{cut}");
        }
        for at in (1..p.len()).step_by(3) {
            let mut bad = p.clone();
            bad[at] ^= 0x55;
            let _ = read(bad[0], &mut Reader { b: &bad[1..] });
        }
    }
}
