//! Redis's own DUMP payloads: read by RESTORE, so that data moves in from
//! a Redis server (its DUMP, tools that copy keys with DUMP and RESTORE, a
//! `MIGRATE` aimed at shardis), and written by DUMP ([`encode`]), so that
//! it moves out to one as well.
//!
//! ```text
//! type:u8 | object (RDB serialization) | rdb version:u16 LE | crc64:u64 LE
//! ```
//!
//! The check is the CRC-64 (the same Jones polynomial as ours) of every
//! byte before it. Read: RDB versions up to 12 (Redis 7.4's), the value
//! types Redis 7.x and 6.x write for strings, lists, sets, sorted sets
//! and hashes, whatever their encoding: plain (types 0-5), intset (11),
//! ziplist (10, 12, 13), quicklist of ziplists (14), listpack (16, 17, 20)
//! and quicklist of listpacks (18), with LZF-compressed and
//! integer-encoded strings inside, and streams with their consumer groups
//! (15, 19, 21: `redis/stream.rs`). Modules and Redis 7.4's hashes with
//! field expiry are refused ("Bad data format"), as is any
//! object that does not parse to its end, repeats a member or holds a NaN
//! score. Nothing is allocated ahead of the bytes read (a count or a
//! length in the payload only bounds the reading).

use crate::{
    keyspace::{Value, ValueRef},
    types::{
        hash::HashObj,
        list::{End, ListObj},
        set::SetObj,
        zset::ZSetObj,
    },
};

use super::{crc64, DumpError};

mod stream;

/// The newest RDB version read (Redis 7.4).
const RDB_VERSION_MAX: u16 = 12;
/// Bytes after the object: the RDB version and the CRC.
const FOOTER_BYTES: usize = 10;

const TYPE_STRING: u8 = 0;
const TYPE_LIST: u8 = 1;
const TYPE_SET: u8 = 2;
const TYPE_ZSET: u8 = 3;
const TYPE_HASH: u8 = 4;
const TYPE_ZSET_2: u8 = 5;
const TYPE_LIST_ZIPLIST: u8 = 10;
const TYPE_SET_INTSET: u8 = 11;
const TYPE_ZSET_ZIPLIST: u8 = 12;
const TYPE_HASH_ZIPLIST: u8 = 13;
const TYPE_LIST_QUICKLIST: u8 = 14;
const TYPE_HASH_LISTPACK: u8 = 16;
const TYPE_ZSET_LISTPACK: u8 = 17;
const TYPE_LIST_QUICKLIST_2: u8 = 18;
const TYPE_SET_LISTPACK: u8 = 20;

/// A quicklist node holding one element as it is (`QUICKLIST_NODE_CONTAINER_PLAIN`).
const NODE_PLAIN: u64 = 1;
/// A quicklist node holding a listpack (`QUICKLIST_NODE_CONTAINER_PACKED`).
const NODE_PACKED: u64 = 2;

/// The RDB version DUMP writes: Redis 7.0's, the oldest that reads every
/// type written here, so 7.0 and later take the payloads.
const RDB_VERSION_WRITTEN: u16 = 10;

/// Redis's DUMP payload of `value`, in the plain forms every Redis reads
/// (a string's bytes as they are, a list, set, hash, or sorted set with
/// binary scores, element by element; Redis packs small ones again when
/// it loads them, as shardis does), and a stream node for node.
pub fn encode(value: ValueRef<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(32);
    match value {
        ValueRef::Str(s) => {
            out.push(TYPE_STRING);
            put_string(&mut out, s);
        }
        ValueRef::List(l) => {
            // As Redis 7 writes one: listpacks of up to 8 KiB (a larger
            // element alone in its own).
            out.push(TYPE_LIST_QUICKLIST_2);
            let mut nodes: Vec<Vec<u8>> = Vec::new();
            let mut packed = ListpackWriter::default();
            for e in l.iter() {
                if packed.bytes() + e.len() > LISTPACK_NODE_BYTES {
                    nodes.extend(packed.take());
                }
                packed.push(e);
            }
            nodes.extend(packed.take());
            put_length(&mut out, nodes.len());
            for node in &nodes {
                put_length(&mut out, NODE_PACKED as usize);
                put_string(&mut out, node);
            }
        }
        ValueRef::Set(s) => {
            out.push(TYPE_SET);
            put_length(&mut out, s.len());
            for m in s.iter() {
                put_string(&mut out, &m);
            }
        }
        ValueRef::Hash(h) => {
            out.push(TYPE_HASH);
            put_length(&mut out, h.len());
            for (f, v) in h.iter() {
                put_string(&mut out, f);
                put_string(&mut out, v);
            }
        }
        ValueRef::ZSet(z) => {
            out.push(TYPE_ZSET_2);
            put_length(&mut out, z.len());
            for (m, score) in z.iter() {
                put_string(&mut out, m);
                out.extend_from_slice(&score.to_le_bytes());
            }
        }
        ValueRef::Stream(x) => stream::encode(x, &mut out),
    }
    out.extend_from_slice(&RDB_VERSION_WRITTEN.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Bytes of a list's listpack node (Redis's `list-max-listpack-size -2`);
/// a larger element goes alone in its own.
const LISTPACK_NODE_BYTES: usize = 8 << 10;

/// A listpack being written: its entries so far (strings only).
#[derive(Default)]
struct ListpackWriter {
    entries: Vec<u8>,
    count: usize,
}

impl ListpackWriter {
    fn bytes(&self) -> usize {
        self.entries.len()
    }

    /// Appends `s` as a string entry and its back length.
    fn push(&mut self, s: &[u8]) {
        let start = self.entries.len();
        let n = s.len();
        if n < 64 {
            self.entries.push(0x80 | n as u8);
        } else if n < 4096 {
            self.entries
                .extend_from_slice(&[0xe0 | (n >> 8) as u8, n as u8]);
        } else {
            self.entries.push(0xf0);
            self.entries.extend_from_slice(&(n as u32).to_le_bytes());
        }
        self.entries.extend_from_slice(s);
        self.back_length(start);
    }

    /// Appends `v` in the narrowest integer entry that holds it, and its
    /// back length.
    fn push_int(&mut self, v: i64) {
        let start = self.entries.len();
        let e = &mut self.entries;
        if (0..128).contains(&v) {
            e.push(v as u8);
        } else if (-4096..4096).contains(&v) {
            let u = (v as u16) & 0x1fff;
            e.extend_from_slice(&[0xc0 | (u >> 8) as u8, u as u8]);
        } else if let Ok(x) = i16::try_from(v) {
            e.push(0xf1);
            e.extend_from_slice(&x.to_le_bytes());
        } else if (-(1 << 23)..(1 << 23)).contains(&v) {
            e.push(0xf2);
            e.extend_from_slice(&(v as i32).to_le_bytes()[..3]);
        } else if let Ok(x) = i32::try_from(v) {
            e.push(0xf3);
            e.extend_from_slice(&x.to_le_bytes());
        } else {
            e.push(0xf4);
            e.extend_from_slice(&v.to_le_bytes());
        }
        self.back_length(start);
    }

    /// The entry from `start`'s length in 7-bit groups, the highest
    /// first, every group after the first flagged (read from the end
    /// backwards), and one more entry counted.
    fn back_length(&mut self, start: usize) {
        let len = self.entries.len() - start;
        let n = crate::types::stream::listpack_backlen(len);
        for i in (0..n).rev() {
            let group = ((len >> (7 * i)) & 0x7f) as u8;
            let flag = if i + 1 < n { 0x80 } else { 0 };
            self.entries.push(group | flag);
        }
        self.count += 1;
    }

    /// The finished listpack, if it has any entry; the writer is empty
    /// again.
    fn take(&mut self) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let total = 4 + 2 + self.entries.len() + 1;
        let mut lp = Vec::with_capacity(total);
        lp.extend_from_slice(&(total as u32).to_le_bytes());
        lp.extend_from_slice(&(self.count.min(u16::MAX as usize) as u16).to_le_bytes());
        lp.append(&mut self.entries);
        lp.push(0xff);
        self.count = 0;
        Some(lp)
    }
}

/// An RDB length.
fn put_length(out: &mut Vec<u8>, n: usize) {
    if n < 1 << 6 {
        out.push(n as u8);
    } else if n < 1 << 14 {
        out.extend_from_slice(&[0x40 | (n >> 8) as u8, n as u8]);
    } else if let Ok(n) = u32::try_from(n) {
        out.push(0x80);
        out.extend_from_slice(&n.to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&(n as u64).to_be_bytes());
    }
}

/// An RDB string, its bytes as they are.
fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_length(out, s.len());
    out.extend_from_slice(s);
}

/// Whether `payload` has a Redis DUMP footer whose version is one we read
/// and whose CRC agrees.
pub fn is_redis_payload(payload: &[u8]) -> bool {
    if payload.len() < 1 + FOOTER_BYTES {
        return false;
    }
    let n = payload.len();
    let version = u16::from_le_bytes([payload[n - 10], payload[n - 9]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&payload[n - 8..]);
    version <= RDB_VERSION_MAX && crc64(&payload[..n - 8]) == u64::from_le_bytes(crc)
}

/// Reads a Redis DUMP payload ([`is_redis_payload`] first).
pub fn decode(payload: &[u8]) -> Result<Value, DumpError> {
    if !is_redis_payload(payload) {
        return Err(DumpError::VersionOrChecksum);
    }
    let object = &payload[1..payload.len() - FOOTER_BYTES];
    let mut r = Reader { b: object };
    let value = read_object(payload[0], &mut r).ok_or(DumpError::BadFormat)?;
    if !r.b.is_empty() {
        return Err(DumpError::BadFormat);
    }
    Ok(value)
}

/// Bytes left to read.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.b.len() {
            return None;
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    /// An RDB length, or the special encoding of a string (`Err`).
    fn length(&mut self) -> Option<Result<u64, u8>> {
        let first = self.byte()?;
        Some(match first >> 6 {
            0 => Ok(u64::from(first & 0x3f)),
            1 => Ok((u64::from(first & 0x3f) << 8) | u64::from(self.byte()?)),
            2 if first == 0x80 => Ok(u64::from(u32::from_be_bytes(
                self.take(4)?.try_into().ok()?,
            ))),
            2 if first == 0x81 => Ok(u64::from_be_bytes(self.take(8)?.try_into().ok()?)),
            2 => return None,
            _ => Err(first & 0x3f),
        })
    }

    fn count(&mut self) -> Option<u64> {
        self.length()?.ok()
    }

    /// An RDB string: raw, integer-encoded or LZF-compressed.
    fn string(&mut self) -> Option<Vec<u8>> {
        match self.length()? {
            Ok(len) => Some(self.take(usize::try_from(len).ok()?)?.to_vec()),
            Err(0) => Some((self.take(1)?[0] as i8).to_string().into_bytes()),
            Err(1) => Some(
                i16::from_le_bytes(self.take(2)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Err(2) => Some(
                i32::from_le_bytes(self.take(4)?.try_into().ok()?)
                    .to_string()
                    .into_bytes(),
            ),
            Err(3) => {
                let clen = usize::try_from(self.count()?).ok()?;
                let ulen = usize::try_from(self.count()?).ok()?;
                lzf_decompress(self.take(clen)?, ulen)
            }
            Err(_) => None,
        }
    }

    /// A score of the old sorted set form: its length in a byte (253 NaN,
    /// 254 +inf, 255 -inf), then its text.
    fn text_double(&mut self) -> Option<f64> {
        match self.byte()? {
            253 => Some(f64::NAN),
            254 => Some(f64::INFINITY),
            255 => Some(f64::NEG_INFINITY),
            n => std::str::from_utf8(self.take(usize::from(n))?)
                .ok()?
                .parse()
                .ok(),
        }
    }
}

/// LZF-decompresses `input` into exactly `ulen` bytes.
fn lzf_decompress(input: &[u8], ulen: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(ulen.min(input.len().saturating_mul(4)));
    let mut i = 0;
    while i < input.len() {
        let ctrl = usize::from(input[i]);
        i += 1;
        if ctrl < 32 {
            let lit = input.get(i..i + ctrl + 1)?;
            out.extend_from_slice(lit);
            i += ctrl + 1;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += usize::from(*input.get(i)?);
                i += 1;
            }
            let back = ((ctrl & 0x1f) << 8) + usize::from(*input.get(i)?) + 1;
            i += 1;
            let start = out.len().checked_sub(back)?;
            for j in 0..len + 2 {
                let b = out[start + j];
                out.push(b);
            }
        }
        if out.len() > ulen {
            return None;
        }
    }
    (out.len() == ulen).then_some(out)
}

/// Hands each entry of a ziplist to `each` (integers in decimal); `None`
/// if it does not parse or `each` refuses an entry.
fn ziplist(zl: &[u8], each: &mut dyn FnMut(&[u8]) -> bool) -> Option<()> {
    let mut r = Reader { b: zl };
    let total = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
    if total != zl.len() {
        return None;
    }
    r.take(6)?; // tail offset, count
    loop {
        let first = r.byte()?;
        if first == 0xff {
            break;
        }
        // The previous entry's length.
        if first == 0xfe {
            r.take(4)?;
        }
        let enc = r.byte()?;
        let n: i64 = match enc >> 6 {
            0 => entry(each, r.take(usize::from(enc & 0x3f))?)?,
            1 => {
                let low = usize::from(r.byte()?);
                entry(each, r.take((usize::from(enc & 0x3f) << 8) | low)?)?
            }
            2 => {
                let n = u32::from_be_bytes(r.take(4)?.try_into().ok()?) as usize;
                entry(each, r.take(n)?)?
            }
            _ => match enc {
                0xc0 => i64::from(i16::from_le_bytes(r.take(2)?.try_into().ok()?)),
                0xd0 => i64::from(i32::from_le_bytes(r.take(4)?.try_into().ok()?)),
                0xe0 => i64::from_le_bytes(r.take(8)?.try_into().ok()?),
                0xf0 => {
                    let b = r.take(3)?;
                    i64::from(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8)
                }
                0xfe => i64::from(r.byte()? as i8),
                0xf1..=0xfd => i64::from(enc & 0x0f) - 1,
                _ => return None,
            },
        };
        if enc >> 6 == 3 {
            int_entry(each, n)?;
        }
    }
    r.b.is_empty().then_some(())
}

/// Hands string entry `e` to `each`; `Some(0)` if taken.
fn entry(each: &mut dyn FnMut(&[u8]) -> bool, e: &[u8]) -> Option<i64> {
    each(e).then_some(0)
}

/// Hands integer entry `n` to `each`, in decimal.
fn int_entry(each: &mut dyn FnMut(&[u8]) -> bool, n: i64) -> Option<()> {
    let mut tmp = [0u8; 20];
    each(common::reply::format_i64(n, &mut tmp)).then_some(())
}

/// Hands each entry of a listpack to `each` (integers in decimal);
/// `None` if it does not parse or `each` refuses an entry.
fn listpack(lp: &[u8], each: &mut dyn FnMut(&[u8]) -> bool) -> Option<()> {
    let mut r = Reader { b: lp };
    let total = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
    if total != lp.len() {
        return None;
    }
    r.take(2)?; // count
    loop {
        let before = r.b.len();
        let enc = r.byte()?;
        if enc == 0xff {
            break;
        }
        if enc & 0x80 == 0 {
            int_entry(each, i64::from(enc & 0x7f))?;
        } else if enc & 0xc0 == 0x80 {
            entry(each, r.take(usize::from(enc & 0x3f))?)?;
        } else if enc & 0xe0 == 0xc0 {
            let v = (i64::from(enc & 0x1f) << 8) | i64::from(r.byte()?);
            int_entry(each, if v >= 1 << 12 { v - (1 << 13) } else { v })?;
        } else if enc & 0xf0 == 0xe0 {
            let n = (usize::from(enc & 0x0f) << 8) | usize::from(r.byte()?);
            entry(each, r.take(n)?)?;
        } else {
            match enc {
                0xf0 => {
                    let n = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
                    entry(each, r.take(n)?)?;
                }
                0xf1 => int_entry(
                    each,
                    i64::from(i16::from_le_bytes(r.take(2)?.try_into().ok()?)),
                )?,
                0xf2 => {
                    let b = r.take(3)?;
                    int_entry(
                        each,
                        i64::from(i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8),
                    )?
                }
                0xf3 => int_entry(
                    each,
                    i64::from(i32::from_le_bytes(r.take(4)?.try_into().ok()?)),
                )?,
                0xf4 => int_entry(each, i64::from_le_bytes(r.take(8)?.try_into().ok()?))?,
                _ => return None,
            }
        }
        // The entry's length again, backwards, in 7-bit groups.
        let len = before - r.b.len();
        r.take(crate::types::stream::listpack_backlen(len))?;
    }
    r.b.is_empty().then_some(())
}

/// Hands each member of an intset to `each`, in decimal.
fn intset(is: &[u8], each: &mut dyn FnMut(&[u8]) -> bool) -> Option<()> {
    let mut r = Reader { b: is };
    let width = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
    let n = u32::from_le_bytes(r.take(4)?.try_into().ok()?) as usize;
    if !matches!(width, 2 | 4 | 8) || r.b.len() != n.checked_mul(width)? {
        return None;
    }
    for c in r.b.chunks_exact(width) {
        let v = match width {
            2 => i64::from(i16::from_le_bytes([c[0], c[1]])),
            4 => i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            _ => i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]),
        };
        int_entry(each, v)?;
    }
    Some(())
}

/// A collection rebuilt from a payload one entry at a time (no list of
/// the entries is made first: a payload of empty elements costs what the
/// value costs, not a vector per element).
enum Builder {
    List(ListObj),
    Set(SetObj),
    /// The hash, and a field waiting for its value.
    Hash(HashObj, Option<Vec<u8>>),
    /// The sorted set, and a member waiting for its score.
    ZSet(ZSetObj, Option<Vec<u8>>),
}

impl Builder {
    /// Takes the next entry (a hash's fields and values, a sorted set's
    /// members and scores in text, in turn); false for a repeated
    /// member or a score that is not one.
    fn add(&mut self, e: &[u8]) -> bool {
        match self {
            Builder::List(l) => {
                l.push(End::Back, e);
                true
            }
            Builder::Set(s) => s.add(e),
            Builder::Hash(h, field) => match field.take() {
                None => {
                    *field = Some(e.to_vec());
                    true
                }
                Some(f) => h.set(&f, e),
            },
            Builder::ZSet(z, member) => match member.take() {
                None => {
                    *member = Some(e.to_vec());
                    true
                }
                Some(m) => score(e).is_some_and(|s| !s.is_nan() && z.insert(&m, s)),
            },
        }
    }

    /// Takes a member and its score (the sorted set's own forms).
    fn add_scored(&mut self, m: &[u8], s: f64) -> bool {
        match self {
            Builder::ZSet(z, None) => !s.is_nan() && z.insert(m, s),
            _ => false,
        }
    }

    /// The value, unless it is empty (Redis writes no empty collection)
    /// or a field or member lacks its value or score.
    fn finish(self) -> Option<Value> {
        match self {
            Builder::List(l) if !l.is_empty() => Some(Value::List(Box::new(l))),
            Builder::Set(s) if !s.is_empty() => Some(Value::Set(Box::new(s))),
            Builder::Hash(h, None) if !h.is_empty() => Some(Value::Hash(Box::new(h))),
            Builder::ZSet(z, None) if !z.is_empty() => Some(Value::ZSet(Box::new(z))),
            _ => None,
        }
    }
}

fn score(text: &[u8]) -> Option<f64> {
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn read_object(kind: u8, r: &mut Reader<'_>) -> Option<Value> {
    let mut b = match kind {
        TYPE_STRING => return Some(Value::Str(r.string()?)),
        TYPE_LIST | TYPE_LIST_ZIPLIST | TYPE_LIST_QUICKLIST | TYPE_LIST_QUICKLIST_2 => {
            Builder::List(ListObj::new())
        }
        TYPE_SET | TYPE_SET_INTSET | TYPE_SET_LISTPACK => Builder::Set(SetObj::new()),
        TYPE_HASH | TYPE_HASH_ZIPLIST | TYPE_HASH_LISTPACK => Builder::Hash(HashObj::new(), None),
        TYPE_ZSET | TYPE_ZSET_2 | TYPE_ZSET_ZIPLIST | TYPE_ZSET_LISTPACK => {
            Builder::ZSet(ZSetObj::new(), None)
        }
        stream::TYPE_STREAM_LISTPACKS
        | stream::TYPE_STREAM_LISTPACKS_2
        | stream::TYPE_STREAM_LISTPACKS_3 => {
            return stream::read(kind, r).map(|x| Value::Stream(Box::new(x)))
        }
        _ => return None,
    };
    let mut add = |e: &[u8]| b.add(e);
    match kind {
        TYPE_LIST | TYPE_SET => {
            for _ in 0..r.count()? {
                if !add(&r.string()?) {
                    return None;
                }
            }
        }
        TYPE_HASH => {
            for _ in 0..r.count()? {
                if !add(&r.string()?) || !add(&r.string()?) {
                    return None;
                }
            }
        }
        TYPE_ZSET | TYPE_ZSET_2 => {
            for _ in 0..r.count()? {
                let m = r.string()?;
                let s = match kind {
                    TYPE_ZSET => r.text_double()?,
                    _ => f64::from_le_bytes(r.take(8)?.try_into().ok()?),
                };
                if !b.add_scored(&m, s) {
                    return None;
                }
            }
        }
        TYPE_LIST_ZIPLIST | TYPE_ZSET_ZIPLIST | TYPE_HASH_ZIPLIST => {
            ziplist(&r.string()?, &mut add)?
        }
        TYPE_SET_INTSET => intset(&r.string()?, &mut add)?,
        TYPE_SET_LISTPACK | TYPE_ZSET_LISTPACK | TYPE_HASH_LISTPACK => {
            listpack(&r.string()?, &mut add)?
        }
        TYPE_LIST_QUICKLIST => {
            for _ in 0..r.count()? {
                ziplist(&r.string()?, &mut add)?;
            }
        }
        _ => {
            for _ in 0..r.count()? {
                match r.count()? {
                    NODE_PLAIN if add(&r.string()?) => {}
                    NODE_PACKED => listpack(&r.string()?, &mut add)?,
                    _ => return None,
                }
            }
        }
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload around `object` of type `kind`, as Redis 7.0 closes one.
    fn payload(kind: u8, object: &[u8]) -> Vec<u8> {
        let mut p = vec![kind];
        p.extend_from_slice(object);
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }

    #[test]
    fn payloads_redis_server_made_are_read() {
        // `SET k hello` then `DUMP k` on redis-server 7.0.15.
        let p = hex("000568656c6c6f0a006372df766534200a");
        assert!(matches!(decode(&p), Ok(Value::Str(s)) if s == b"hello"));
        // `SET k 12345`: an integer-encoded string.
        let p = payload(TYPE_STRING, &[0xc1, 0x39, 0x30]);
        assert!(matches!(decode(&p), Ok(Value::Str(s)) if s == b"12345"));
        // A damaged one is Redis's version-or-checksum error.
        let mut bad = p.clone();
        bad[1] ^= 1;
        assert_eq!(decode(&bad).err(), Some(DumpError::VersionOrChecksum));
    }

    #[test]
    fn lzf_strings_and_listpacks_are_read() {
        // "aaaaaaaaaa": a literal 'a' then a back reference of 9 bytes.
        let lzf = [0x00, b'a', 0xe0, 0x00, 0x00];
        assert_eq!(lzf_decompress(&lzf, 10), Some(vec![b'a'; 10]));
        assert_eq!(lzf_decompress(&lzf, 11), None);
        assert_eq!(lzf_decompress(&[0x20, 0x05], 3), None);
        // A listpack of "a", 7, -2 (13-bit), 300 (13-bit).
        let mut lp = vec![0, 0, 0, 0, 4, 0];
        lp.extend_from_slice(&[0x81, b'a', 2]);
        lp.extend_from_slice(&[0x07, 1]);
        lp.extend_from_slice(&[0xdf, 0xfe, 2]);
        lp.extend_from_slice(&[0xc1, 0x2c, 2]);
        lp.push(0xff);
        let n = lp.len() as u32;
        lp[..4].copy_from_slice(&n.to_le_bytes());
        let mut got: Vec<Vec<u8>> = Vec::new();
        let parsed = listpack(&lp, &mut |e| {
            got.push(e.to_vec());
            true
        });
        assert_eq!(parsed, Some(()));
        let want: Vec<Vec<u8>> = vec![
            b"a".to_vec(),
            b"7".to_vec(),
            b"-2".to_vec(),
            b"300".to_vec(),
        ];
        assert_eq!(got, want);
        // An entry refused (a repeat, say) stops the reading.
        assert_eq!(listpack(&lp, &mut |_| false), None);
    }

    #[test]
    fn what_dump_writes_reads_back() {
        let mut h = HashObj::new();
        for i in 0..100 {
            h.set(format!("f{i}").as_bytes(), &vec![b'v'; i * 5]);
        }
        let mut z = ZSetObj::new();
        z.insert(b"a", 1.5);
        z.insert(b"b", f64::NEG_INFINITY);
        let mut l = ListObj::new();
        for e in [&b"x"[..], b"12", &[0u8; 20_000]] {
            l.push(End::Back, e);
        }
        let values = [
            Value::Str(b"hello".to_vec()),
            Value::Str(vec![7; 70_000]),
            Value::Hash(Box::new(h)),
            Value::ZSet(Box::new(z)),
            Value::List(Box::new(l)),
        ];
        for v in &values {
            let p = encode(v.as_ref());
            assert_eq!(&p[p.len() - 10..p.len() - 8], &[10, 0]);
            let back = decode(&p).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                crate::dump::encode(back.as_ref()),
                crate::dump::encode(v.as_ref())
            );
        }
        // The Redis form of `SET k hello` is byte for byte redis-server's.
        let p = encode(ValueRef::Str(b"hello"));
        assert_eq!(p, hex("000568656c6c6f0a006372df766534200a"));
    }

    #[test]
    fn garbage_and_repeats_are_bad_data_never_a_panic() {
        for kind in 0u8..=21 {
            for object in [
                &[][..],
                &[0x05, b'a'],
                &[0x81, 0xff, 0xff],
                &[0xc3, 0x05, 0x40, 0x00],
            ] {
                let _ = decode(&payload(kind, object));
            }
        }
        // A set repeating a member.
        let object = [0x02, 0x01, b'a', 0x01, b'a'];
        assert_eq!(
            decode(&payload(TYPE_SET, &object)).err(),
            Some(DumpError::BadFormat)
        );
        // Bytes left after the object.
        let object = [0x01, b'a', 0x00];
        assert_eq!(
            decode(&payload(TYPE_STRING, &object)).err(),
            Some(DumpError::BadFormat)
        );
    }
}
