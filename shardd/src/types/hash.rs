//! The hash type: field/value pairs under one key.
//!
//! Small hashes (at most `hash-max-listpack-entries` pairs, every field and
//! value at most `hash-max-listpack-value` bytes, read from
//! [`crate::settings`]; the packed form holds values of at most
//! [`MAX_PACKED_VALUE_BYTES`] whatever the setting) live in one packed allocation of
//! pairs searched linearly, as Redis's listpack does: one or two header
//! bytes per pair instead of a table entry and two heap blocks, and the
//! `Box<HashObj>` itself is 16 bytes (a slot arena holds a small packed
//! hash's pairs in the key's entry instead, read through a [`HashRef`]:
//! `keyspace::store`). Past either threshold the hash converts, once and for good, to a
//! table: a dense vector of pairs (each pair one allocation) indexed by a
//! `hashbrown` table of positions. The dense vector makes random selection
//! O(1) and gives `HSCAN` a position cursor (see [`HashRef::scan`]).
//!
//! Cost: `HGET` on a packed hash is one pass over at most ~67 KB of cache-
//! friendly bytes (as Redis's listpack); on a table it is one hash and one
//! probe.

use hashbrown::HashTable;
use rand::Rng;

use super::InlineHead;

/// Longest field or value the packed form can hold (its pair header):
/// `hash-max-listpack-value` (64 by default) applies up to this length, and
/// a larger setting keeps the packed form for values up to it only.
pub const MAX_PACKED_VALUE_BYTES: usize = 64;

/// The packed form's limits in force: (most pairs, longest field or value).
fn packed_limits() -> (usize, usize) {
    let e = crate::settings::encoding();
    (
        e.hash_max_listpack_entries,
        e.hash_max_listpack_value.min(MAX_PACKED_VALUE_BYTES),
    )
}

/// A hash value.
#[derive(Debug, Clone, Default)]
pub struct HashObj {
    repr: Repr,
}

/// Sixteen bytes, so a `Box<HashObj>` is the allocator's 16-byte class.
#[derive(Debug, Clone)]
enum Repr {
    /// `[header][field][value]` per pair (see [`pair_header`]), sized
    /// exactly; empty (no allocation) when there are no pairs.
    Packed(Box<[u8]>),
    Table(Box<Table>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Packed(Box::default())
    }
}

/// The large encoding: dense pairs plus an index from field to position.
#[derive(Clone)]
struct Table {
    /// Each pair as one block: `[varint flen][field][value]`.
    pairs: Vec<Box<[u8]>>,
    index: HashTable<u32>,
    hasher: ahash::RandomState,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("len", &self.pairs.len())
            .finish()
    }
}

/// Appends `v` as an unsigned LEB128 varint.
pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint at `*pos`, advancing it; `None` on truncated or overlong input.
pub(crate) fn get_varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v: u64 = 0;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos)?;
        *pos += 1;
        v |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Reads a length-prefixed byte string at `*pos`, advancing it.
pub(crate) fn get_bytes<'a>(buf: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let n = usize::try_from(get_varint(buf, pos)?).ok()?;
    let end = pos.checked_add(n)?;
    let s = buf.get(*pos..end)?;
    *pos = end;
    Some(s)
}

/// Appends `s` length-prefixed.
pub(crate) fn put_bytes(out: &mut Vec<u8>, s: &[u8]) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Longest field and value that share a one-byte pair header.
const SHORT_LEN_MAX: usize = 10;

/// The header of a packed pair: one byte `flen * 11 + vlen` (below 0x80)
/// when both lengths are at most [`SHORT_LEN_MAX`] (typical short fields and
/// values), else two bytes holding `flen * 65 + vlen` under a 0x80 flag.
fn pair_header(flen: usize, vlen: usize) -> ([u8; 2], usize) {
    debug_assert!(flen <= MAX_PACKED_VALUE_BYTES && vlen <= MAX_PACKED_VALUE_BYTES);
    if flen <= SHORT_LEN_MAX && vlen <= SHORT_LEN_MAX {
        ([(flen * (SHORT_LEN_MAX + 1) + vlen) as u8, 0], 1)
    } else {
        let x = flen * (MAX_PACKED_VALUE_BYTES + 1) + vlen;
        ([0x80 | (x >> 8) as u8, x as u8], 2)
    }
}

/// Reads a pair header at `*pos`, advancing it: `(field len, value len)`.
fn read_header(buf: &[u8], pos: &mut usize) -> Option<(usize, usize)> {
    let b0 = usize::from(*buf.get(*pos)?);
    if b0 < 0x80 {
        *pos += 1;
        return Some((b0 / (SHORT_LEN_MAX + 1), b0 % (SHORT_LEN_MAX + 1)));
    }
    let b1 = usize::from(*buf.get(*pos + 1)?);
    *pos += 2;
    let x = ((b0 & 0x7f) << 8) | b1;
    Some((
        x / (MAX_PACKED_VALUE_BYTES + 1),
        x % (MAX_PACKED_VALUE_BYTES + 1),
    ))
}

/// Location of one pair inside a packed buffer.
struct Slot {
    start: usize,
    value_at: usize,
    end: usize,
}

/// Iterates the pairs of a packed buffer with their byte positions.
fn packed_slots(buf: &[u8]) -> impl Iterator<Item = (Slot, &[u8], &[u8])> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let start = pos;
        let (flen, vlen) = read_header(buf, &mut pos)?;
        let field = buf.get(pos..pos + flen)?;
        let value_at = pos + flen;
        let value = buf.get(value_at..value_at + vlen)?;
        pos = value_at + vlen;
        let slot = Slot {
            start,
            value_at,
            end: pos,
        };
        Some((slot, field, value))
    })
}

fn pair_block(field: &[u8], value: &[u8]) -> Box<[u8]> {
    let mut b = Vec::with_capacity(field.len() + value.len() + 5);
    put_bytes(&mut b, field);
    b.extend_from_slice(value);
    b.into_boxed_slice()
}

fn split_block(block: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    match get_bytes(block, &mut pos) {
        Some(f) => (f, block.get(pos..).unwrap_or(&[])),
        None => (&[], &[]),
    }
}

impl Table {
    fn with_capacity(n: usize) -> Self {
        Table {
            pairs: Vec::with_capacity(n),
            index: HashTable::with_capacity(n),
            hasher: ahash::RandomState::new(),
        }
    }

    fn position(&self, field: &[u8]) -> Option<usize> {
        self.position_hashed(self.hasher.hash_one(field), field)
    }

    fn position_hashed(&self, hash: u64, field: &[u8]) -> Option<usize> {
        let pairs = &self.pairs;
        self.index
            .find(hash, |&i| split_block(&pairs[i as usize]).0 == field)
            .map(|&i| i as usize)
    }

    fn push_new(&mut self, hash: u64, field: &[u8], value: &[u8]) {
        let at = self.pairs.len() as u32;
        self.pairs.push(pair_block(field, value));
        let (pairs, hasher) = (&self.pairs, &self.hasher);
        self.index.insert_unique(hash, at, |&i| {
            hasher.hash_one(split_block(&pairs[i as usize]).0)
        });
    }

    fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        let hash = self.hasher.hash_one(field);
        match self.position_hashed(hash, field) {
            Some(i) => {
                let block = &mut self.pairs[i];
                let value_at = block.len() - split_block(block).1.len();
                if block.len() - value_at == value.len() {
                    // Same length (the common HINCRBY case): overwrite in place.
                    block[value_at..].copy_from_slice(value);
                } else {
                    *block = pair_block(field, value);
                }
                false
            }
            None => {
                self.push_new(hash, field, value);
                true
            }
        }
    }

    /// Removes `field`; the last pair moves into its place.
    fn remove(&mut self, field: &[u8]) -> bool {
        let hash = self.hasher.hash_one(field);
        let pairs = &self.pairs;
        let Ok(entry) = self
            .index
            .find_entry(hash, |&i| split_block(&pairs[i as usize]).0 == field)
        else {
            return false;
        };
        let (at, _) = entry.remove();
        let at = at as usize;
        let last = self.pairs.len() - 1;
        self.pairs.swap_remove(at);
        if at != last {
            let moved_hash = self.hasher.hash_one(split_block(&self.pairs[at]).0);
            if let Some(slot) = self.index.find_mut(moved_hash, |&i| i as usize == last) {
                *slot = at as u32;
            }
        }
        true
    }
}

/// A hash, borrowed: its packed pairs (in a box of their own, or in a slot
/// arena's entry) or its table. Every read goes through it.
#[derive(Clone, Copy)]
pub struct HashRef<'a> {
    view: View<'a>,
    /// Whether a `Box<HashObj>` holds it (not a slot arena).
    boxed: bool,
}

impl std::fmt::Debug for HashRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashRef")
            .field("len", &self.len())
            .field("boxed", &self.boxed)
            .finish()
    }
}

#[derive(Clone, Copy)]
enum View<'a> {
    Packed(&'a [u8]),
    Table(&'a Table),
}

impl<'a> HashRef<'a> {
    /// The hash inline in a slot arena's `field` (as
    /// [`HashObj::inline_parts`] gave it: the packed pairs alone).
    pub fn inline(buf: &'a [u8]) -> Self {
        HashRef {
            view: View::Packed(buf),
            boxed: false,
        }
    }

    /// Number of fields.
    pub fn len(self) -> usize {
        match self.view {
            View::Packed(buf) => packed_slots(buf).count(),
            View::Table(t) => t.pairs.len(),
        }
    }

    /// Whether there are no fields.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding(self) -> &'static str {
        match self.view {
            View::Packed(_) => "listpack",
            View::Table(_) => "hashtable",
        }
    }

    /// The value of `field`.
    pub fn get(self, field: &[u8]) -> Option<&'a [u8]> {
        match self.view {
            View::Packed(buf) => packed_slots(buf)
                .find(|(_, f, _)| *f == field)
                .map(|(_, _, v)| v),
            View::Table(t) => t.position(field).map(|i| split_block(&t.pairs[i]).1),
        }
    }

    /// Every pair, in a stable order (insertion order until fields are removed).
    pub fn iter(self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
        let (packed, table): (&[u8], &[Box<[u8]>]) = match self.view {
            View::Packed(buf) => (buf, &[]),
            View::Table(t) => (&[], &t.pairs),
        };
        packed_slots(packed)
            .map(|(_, f, v)| (f, v))
            .chain(table.iter().map(|b| split_block(b)))
    }

    /// The pair at position `i` of [`HashRef::iter`]'s order (O(1) on tables).
    pub fn nth(self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        match self.view {
            View::Packed(buf) => packed_slots(buf).nth(i).map(|(_, f, v)| (f, v)),
            View::Table(t) => t.pairs.get(i).map(|b| split_block(b)),
        }
    }

    /// A uniformly random pair, or `None` if empty.
    pub fn random_pair(self, rng: &mut impl Rng) -> Option<(&'a [u8], &'a [u8])> {
        if self.is_empty() {
            return None;
        }
        self.nth(rng.gen_range(0..self.len()))
    }

    /// All pairs as a vector (for repeated positional access on small hashes).
    pub fn pairs(self) -> Vec<(&'a [u8], &'a [u8])> {
        self.iter().collect()
    }

    /// One `HSCAN` step: calls `f` for some pairs and returns the next cursor
    /// (0 when done). Packed hashes return everything at once, as Redis does.
    /// Tables are walked from the last position down; because removal moves
    /// the last pair into the hole, a pair present for the whole scan is
    /// always seen (maybe twice), as Redis promises.
    pub fn scan(self, cursor: u64, count: usize, mut f: impl FnMut(&'a [u8], &'a [u8])) -> u64 {
        match self.view {
            View::Packed(_) => {
                self.iter().for_each(|(k, v)| f(k, v));
                0
            }
            View::Table(t) => {
                let len = t.pairs.len() as u64;
                let mut pos = if cursor == 0 { len } else { cursor.min(len) };
                let mut visited = 0;
                while pos > 0 && visited < count.max(1) {
                    pos -= 1;
                    let (k, v) = split_block(&t.pairs[pos as usize]);
                    f(k, v);
                    visited += 1;
                }
                pos
            }
        }
    }

    /// Serializes as `[varint n]` then `n` length-prefixed field/value pairs.
    pub fn encode(self, out: &mut Vec<u8>) {
        put_varint(out, self.len() as u64);
        for (f, v) in self.iter() {
            put_bytes(out, f);
            put_bytes(out, v);
        }
    }

    /// An owned copy.
    pub fn to_owned(self) -> HashObj {
        HashObj {
            repr: match self.view {
                View::Packed(buf) => Repr::Packed(buf.into()),
                View::Table(t) => Repr::Table(Box::new(t.clone())),
            },
        }
    }

    /// Bytes this hash allocates (`MEMORY USAGE`), its `Box<HashObj>`
    /// included: none for one inline in a slot arena (its entry counts
    /// them); exact for a boxed packed hash; for a table, the pair blocks
    /// of the first `samples` pairs (all when 0) scaled to the whole.
    pub fn heap_bytes(self, samples: usize) -> usize {
        use super::{alloc_size, sampled_sum};
        if !self.boxed {
            return 0;
        }
        alloc_size(std::mem::size_of::<HashObj>())
            + match self.view {
                View::Packed(buf) => alloc_size(buf.len()),
                View::Table(t) => {
                    alloc_size(std::mem::size_of::<Table>())
                        + alloc_size(t.pairs.capacity() * std::mem::size_of::<Box<[u8]>>())
                        + t.index.allocation_size()
                        + sampled_sum(
                            t.pairs.len(),
                            samples,
                            t.pairs.iter().map(|p| alloc_size(p.len())),
                        )
                }
            }
    }
}

impl HashObj {
    /// An empty hash (packed).
    pub fn new() -> Self {
        Self::default()
    }

    /// The hash, borrowed for reading.
    pub fn hash_ref(&self) -> HashRef<'_> {
        HashRef {
            view: match &self.repr {
                Repr::Packed(buf) => View::Packed(buf),
                Repr::Table(t) => View::Table(t),
            },
            boxed: true,
        }
    }

    /// The hash inline in a slot arena's `field`, in a box of its own.
    pub fn from_inline(field: &[u8]) -> Self {
        HashObj {
            repr: Repr::Packed(field.into()),
        }
    }

    /// What a slot arena holds in place of the box, if it may (packed,
    /// and within `types::INLINE_MIN_BYTES..=INLINE_MAX_BYTES`): no head,
    /// the packed pairs.
    pub fn inline_parts(&self) -> Option<(InlineHead, &[u8])> {
        match &self.repr {
            Repr::Packed(buf) => InlineHead::default().fits(buf),
            Repr::Table(_) => None,
        }
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.hash_ref().len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding(&self) -> &'static str {
        self.hash_ref().encoding()
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<&[u8]> {
        self.hash_ref().get(field)
    }

    /// Sets `field` to `value`; true if the field is new.
    pub fn set(&mut self, field: &[u8], value: &[u8]) -> bool {
        if let Repr::Packed(buf) = &mut self.repr {
            let (max_entries, max_value) = packed_limits();
            let fits = field.len() <= max_value && value.len() <= max_value;
            if fits {
                let mut v = std::mem::take(buf).into_vec();
                let done = packed_set(&mut v, field, value, max_entries);
                *buf = v.into_boxed_slice();
                if let Some(added) = done {
                    return added;
                }
            }
            self.convert_to_table();
        }
        match &mut self.repr {
            Repr::Table(t) => t.set(field, value),
            Repr::Packed(_) => unreachable!("converted above"),
        }
    }

    /// Removes `field`; true if it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match &mut self.repr {
            Repr::Packed(buf) => {
                let Some(slot) = packed_slots(buf)
                    .find(|(_, f, _)| *f == field)
                    .map(|(s, _, _)| s)
                else {
                    return false;
                };
                let mut v = std::mem::take(buf).into_vec();
                v.drain(slot.start..slot.end);
                *buf = v.into_boxed_slice();
                true
            }
            Repr::Table(t) => t.remove(field),
        }
    }

    /// Every pair, in a stable order (insertion order until fields are removed).
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.hash_ref().iter()
    }

    /// The pair at position `i` of [`HashObj::iter`]'s order (O(1) on tables).
    pub fn nth(&self, i: usize) -> Option<(&[u8], &[u8])> {
        self.hash_ref().nth(i)
    }

    /// All pairs as a vector (for repeated positional access on small hashes).
    pub fn pairs(&self) -> Vec<(&[u8], &[u8])> {
        self.iter().collect()
    }

    fn convert_to_table(&mut self) {
        if let Repr::Packed(buf) = &self.repr {
            let mut t = Table::with_capacity(packed_slots(buf).count() + 1);
            for (_, f, v) in packed_slots(buf) {
                t.push_new(t.hasher.hash_one(f), f, v);
            }
            self.repr = Repr::Table(Box::new(t));
        }
    }

    /// Serializes as [`HashRef::encode`] does.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.hash_ref().encode(out)
    }

    /// Parses [`HashObj::encode`]'s output; `None` on any malformed input
    /// (truncated, trailing bytes, duplicate fields, empty hash).
    pub fn decode(buf: &[u8]) -> Option<Self> {
        let mut pos = 0;
        let n = get_varint(buf, &mut pos)?;
        let mut h = HashObj::new();
        for _ in 0..n {
            let f = get_bytes(buf, &mut pos)?;
            let v = get_bytes(buf, &mut pos)?;
            h.set(f, v);
        }
        (pos == buf.len() && n > 0 && h.len() as u64 == n).then_some(h)
    }
}

/// Sets a pair in a packed buffer without a temporary allocation.
/// One pass finds the field and counts the pairs before it; `None` (and
/// nothing changed) when the field is new but the buffer holds
/// `max_entries` pairs already.
fn packed_set(buf: &mut Vec<u8>, field: &[u8], value: &[u8], max_entries: usize) -> Option<bool> {
    let mut count = 0;
    let mut found = None;
    for (slot, f, _) in packed_slots(buf) {
        if f == field {
            found = Some(slot);
            break;
        }
        count += 1;
    }
    if found.is_none() && count >= max_entries {
        return None;
    }
    let (hdr, hn) = pair_header(field.len(), value.len());
    Some(match found {
        Some(slot) if slot.end - slot.value_at == value.len() => {
            // Same length (the common HINCRBY case): overwrite in place.
            buf[slot.value_at..slot.end].copy_from_slice(value);
            false
        }
        Some(slot) => {
            let pair = hdr[..hn].iter().chain(field).chain(value).copied();
            buf.splice(slot.start..slot.end, pair);
            false
        }
        None => {
            buf.reserve_exact(hn + field.len() + value.len());
            buf.extend_from_slice(&hdr[..hn]);
            buf.extend_from_slice(field);
            buf.extend_from_slice(value);
            true
        }
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    const MAX_PACKED_ENTRIES: usize = 512;

    #[test]
    fn small_hash_is_packed_and_converts_past_entry_limit() {
        let mut h = HashObj::new();
        for i in 0..MAX_PACKED_ENTRIES {
            assert!(h.set(format!("f{i}").as_bytes(), b"v"));
        }
        assert_eq!(h.encoding(), "listpack");
        assert!(!h.set(b"f0", b"w"));
        assert_eq!(h.encoding(), "listpack");
        assert!(h.set(b"new", b"v"));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), MAX_PACKED_ENTRIES + 1);
        assert_eq!(h.get(b"f0"), Some(&b"w"[..]));
    }

    #[test]
    fn entry_limit_is_redis_7_0_default() {
        // redis-server 7.0.15: `CONFIG GET hash-max-listpack-entries` is 512,
        // and a hash of 129 fields is still a listpack.
        assert_eq!(
            packed_limits(),
            (MAX_PACKED_ENTRIES, MAX_PACKED_VALUE_BYTES)
        );
    }

    #[test]
    fn the_thresholds_in_force_decide_the_encoding() {
        let mut s = crate::settings::Settings::default();
        s.set("hash-max-listpack-entries", "2").expect("valid");
        s.set("hash-max-listpack-value", "1000").expect("valid");
        crate::settings::install(s.clone());
        let mut h = HashObj::new();
        h.set(b"a", &[b'x'; MAX_PACKED_VALUE_BYTES]);
        h.set(b"b", b"1");
        assert_eq!(h.encoding(), "listpack");
        h.set(b"c", b"1");
        assert_eq!(h.encoding(), "hashtable");
        // Past what the packed form holds, the setting cannot keep it packed.
        let mut big = HashObj::new();
        big.set(b"a", &[b'x'; MAX_PACKED_VALUE_BYTES + 1]);
        assert_eq!(big.encoding(), "hashtable");
        s.set("hash-max-listpack-value", "3").expect("valid");
        crate::settings::install(s);
        let mut small = HashObj::new();
        small.set(b"a", b"four");
        assert_eq!(small.encoding(), "hashtable");
        crate::settings::install(crate::settings::Settings::default());
    }

    #[test]
    fn long_value_converts_to_table() {
        let mut h = HashObj::new();
        h.set(b"a", &[b'x'; MAX_PACKED_VALUE_BYTES]);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"b", &[b'x'; MAX_PACKED_VALUE_BYTES + 1]);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 2);
    }

    #[test]
    fn a_boxed_hash_is_one_small_allocation() {
        assert_eq!(std::mem::size_of::<HashObj>(), 16);
        let mut h = HashObj::new();
        for i in 0..10 {
            h.set(format!("field{i}").as_bytes(), b"value123");
        }
        match &h.repr {
            // A one-byte header plus 6 + 8 bytes a pair.
            Repr::Packed(buf) => assert_eq!(buf.len(), 150),
            Repr::Table(_) => panic!("small hash must stay packed"),
        }
    }

    #[test]
    fn pair_headers_round_trip_for_every_packed_length() {
        for flen in 0..=MAX_PACKED_VALUE_BYTES {
            for vlen in 0..=MAX_PACKED_VALUE_BYTES {
                let (hdr, n) = pair_header(flen, vlen);
                let short = flen <= SHORT_LEN_MAX && vlen <= SHORT_LEN_MAX;
                assert_eq!(n, if short { 1 } else { 2 });
                let mut pos = 0;
                assert_eq!(read_header(&hdr[..n], &mut pos), Some((flen, vlen)));
                assert_eq!(pos, n);
            }
        }
    }

    #[test]
    fn decode_refuses_garbage_without_panicking() {
        assert!(HashObj::decode(b"").is_none());
        assert!(HashObj::decode(&[0xff; 12]).is_none());
        assert!(HashObj::decode(&[5, 1, b'a']).is_none());
        // Duplicate fields are malformed too.
        assert!(HashObj::decode(&[2, 1, b'a', 0, 1, b'a', 0]).is_none());
        assert!(HashObj::decode(&[1, 1, b'a', 0, 9]).is_none());
    }

    #[test]
    fn table_scan_sees_every_pair_despite_removals() {
        let mut h = HashObj::new();
        for i in 0..300 {
            h.set(format!("f{i}").as_bytes(), b"v");
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = h.hash_ref().scan(cursor, 10, |f, _| {
                seen.insert(f.to_vec());
            });
            // Remove a field that was already returned or not: both are fine.
            h.remove(format!("f{}", step * 7).as_bytes());
            step += 1;
            if cursor == 0 {
                break;
            }
        }
        for i in 0..300 {
            let f = format!("f{i}");
            if h.get(f.as_bytes()).is_some() {
                assert!(seen.contains(f.as_bytes()), "{f} missed");
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Set(u8, Vec<u8>),
        Remove(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (any::<u8>(), prop::collection::vec(any::<u8>(), 0..80))
                .prop_map(|(f, v)| Op::Set(f, v)),
            1 => any::<u8>().prop_map(Op::Remove),
        ]
    }

    fn field(f: u8) -> Vec<u8> {
        // Some long fields so the length threshold is crossed too.
        if f > 250 {
            vec![f; 70]
        } else {
            vec![b'f', f]
        }
    }

    proptest! {
        #[test]
        fn hash_matches_a_hashmap(ops in prop::collection::vec(op(), 0..400)) {
            let mut h = HashObj::new();
            let mut m: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for op in ops {
                match op {
                    Op::Set(f, v) => {
                        let f = field(f);
                        prop_assert_eq!(h.set(&f, &v), m.insert(f, v).is_none());
                    }
                    Op::Remove(f) => {
                        let f = field(f);
                        prop_assert_eq!(h.remove(&f), m.remove(&f).is_some());
                    }
                }
                prop_assert_eq!(h.len(), m.len());
            }
            for (f, v) in &m {
                prop_assert_eq!(h.get(f), Some(&v[..]));
            }
            let got: HashMap<Vec<u8>, Vec<u8>> =
                h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            prop_assert_eq!(&got, &m);
            let mut enc = Vec::new();
            h.encode(&mut enc);
            // An empty hash never exists as a value, so it does not decode.
            let Some(back) = HashObj::decode(&enc) else {
                prop_assert!(m.is_empty());
                return Ok(());
            };
            let got: HashMap<Vec<u8>, Vec<u8>> =
                back.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect();
            prop_assert_eq!(&got, &m);
        }

        #[test]
        fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = HashObj::decode(&bytes);
        }
    }
}
