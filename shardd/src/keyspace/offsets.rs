//! A slot's hash table of arena offsets: 2 bytes a bucket while the arena
//! is under 64 KiB, 4 bytes up to 4 GiB, 8 bytes beyond.
//!
//! A slot with few keys (at most [`TINY_MAX`], 16-bit offsets) keeps no
//! hash table at all: a [`Tiny`] list holds a tag byte per key (8 bits of
//! its hash) and its 2-byte offset in one block sized to an allocator
//! class, 3 bytes a key, and a lookup scans the tags (`memchr`, 16 or 32
//! at a time) and compares the keys whose tag matches. 1M keys over
//! 16,384 slots are about 61 a slot: hashbrown's table for them has 128
//! buckets of 3 bytes plus 16 control bytes (a 448-byte block, 7.3 bytes
//! a key), the list 64 places (192 bytes, 3.1 a key).
//!
//! Past that a bucket is the offset plus hashbrown's control byte, so
//! `u16` offsets make a bucket 3 bytes instead of 5. The table is rebuilt
//! with wider offsets the first time an offset does not fit (a rebuild
//! after compaction may narrow it again, or make it a list).

use hashbrown::HashTable;

use common::alloc::size_class;

/// An offset type a table can hold.
trait Off: Copy + Eq {
    /// Whether `off` fits.
    fn fits(off: usize) -> bool;
    /// `off` narrowed (callers check [`Off::fits`] first).
    fn new(off: usize) -> Self;
    /// The offset as `usize`.
    fn get(self) -> usize;
}

macro_rules! impl_off {
    ($t:ty) => {
        impl Off for $t {
            fn fits(off: usize) -> bool {
                <$t>::try_from(off).is_ok()
            }
            fn new(off: usize) -> Self {
                debug_assert!(Self::fits(off));
                off as $t
            }
            fn get(self) -> usize {
                self as usize
            }
        }
    };
}
impl_off!(u16);
impl_off!(u32);
impl_off!(u64);

/// Most keys a [`Tiny`] list holds before the slot gets a hash table.
/// Each lookup compares, besides its own key, the keys whose tag is the
/// same by chance: a quarter of one at 61 keys, half of one at 128.
pub const TINY_MAX: usize = 128;

/// A few 16-bit offsets with a tag byte each (module docs): `cap` tags,
/// then `cap` offsets of 2 bytes (little-endian), in one block.
#[derive(Default)]
pub struct Tiny {
    buf: Box<[u8]>,
    len: usize,
}

impl Tiny {
    /// A list with room for `n` (an allocator class's worth).
    fn with_capacity(n: usize) -> Tiny {
        // At least 8 places, so that a 16-byte load from any place below
        // `cap` stays inside the block (`scan_tags`).
        let cap = match n {
            0 => 0,
            n => size_class(3 * n.max(8)) / 3,
        };
        Tiny {
            buf: vec![0; 3 * cap].into_boxed_slice(),
            len: 0,
        }
    }

    /// Places: the offsets start there.
    fn cap(&self) -> usize {
        self.buf.len() / 3
    }

    /// Eight bits of the hash that differ within a slot: the keyspace
    /// puts the slot in bits 43 to 56 (`keyspace::table_hash`), hashbrown
    /// reads the top seven.
    fn tag(hash: u64) -> u8 {
        hash as u8
    }

    fn off(&self, i: usize) -> usize {
        let at = self.cap() + 2 * i;
        usize::from(u16::from_le_bytes([self.buf[at], self.buf[at + 1]]))
    }

    fn set_off(&mut self, i: usize, off: u16) {
        let at = self.cap() + 2 * i;
        self.buf[at..at + 2].copy_from_slice(&off.to_le_bytes());
    }

    fn offsets(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len).map(|i| self.off(i))
    }

    /// The place of the first offset with `hash`'s tag that `eq` accepts.
    fn position(&self, hash: u64, mut eq: impl FnMut(usize) -> bool) -> Option<usize> {
        scan_tags(&self.buf, self.len, Self::tag(hash), |i| eq(self.off(i)))
    }

    fn push(&mut self, hash: u64, off: u16) {
        if self.len == self.cap() {
            let mut wider = Tiny::with_capacity(self.cap() + 1);
            let (n, old, new) = (self.len, self.cap(), wider.cap());
            wider.buf[..n].copy_from_slice(&self.buf[..n]);
            wider.buf[new..new + 2 * n].copy_from_slice(&self.buf[old..old + 2 * n]);
            wider.len = self.len;
            *self = wider;
        }
        self.buf[self.len] = Self::tag(hash);
        self.set_off(self.len, off);
        self.len += 1;
    }

    /// Removes place `i`, the last moving into it.
    fn remove_at(&mut self, i: usize) {
        let last = self.len - 1;
        self.buf[i] = self.buf[last];
        let moved = self.off(last) as u16;
        self.set_off(i, moved);
        self.len = last;
    }
}

/// The first place `i < len` of `buf` holding `tag` that `accept`s,
/// sixteen tags a compare (SSE2, part of every x86-64): at 61 keys four
/// compares, where a general vector search (`memchr`) costs a hundred
/// instructions more in its set-up. `buf` may hold more bytes past `len`
/// (a list's offsets): they are read and masked off.
#[cfg(target_arch = "x86_64")]
fn scan_tags(
    buf: &[u8],
    len: usize,
    tag: u8,
    mut accept: impl FnMut(usize) -> bool,
) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut i = 0;
    while i < len {
        if i + 16 > buf.len() {
            return (i..len).find(|&j| buf[j] == tag && accept(j));
        }
        // SAFETY: `buf[i..i + 16]` is in bounds (checked above), and an
        // unaligned load may read any 16 bytes; SSE2 is in every x86-64.
        let mut hits = unsafe {
            let v = _mm_loadu_si128(buf.as_ptr().add(i).cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(tag as i8))) as u32
        };
        if len - i < 16 {
            hits &= (1u32 << (len - i)) - 1;
        }
        while hits != 0 {
            let j = i + hits.trailing_zeros() as usize;
            if accept(j) {
                return Some(j);
            }
            hits &= hits - 1;
        }
        i += 16;
    }
    None
}

/// [`scan_tags`] elsewhere: one tag at a time.
#[cfg(not(target_arch = "x86_64"))]
fn scan_tags(
    buf: &[u8],
    len: usize,
    tag: u8,
    mut accept: impl FnMut(usize) -> bool,
) -> Option<usize> {
    (0..len).find(|&j| buf[j] == tag && accept(j))
}

/// Offsets into one slot's arena.
pub enum OffsetTable {
    /// Few keys, every offset in 16 bits: no hash table.
    Tiny(Tiny),
    /// Every offset fits in 16 bits.
    Small(HashTable<u16>),
    /// Offsets up to 4 GiB.
    Large(HashTable<u32>),
    /// Any offset.
    Huge(HashTable<u64>),
}

/// Runs `$tiny` with `$l` bound to a [`Tiny`] list, or `$body` with `$t`
/// bound to the hash table, whatever its offset width.
macro_rules! each {
    ($table:expr, $l:ident => $tiny:expr, $t:ident => $body:expr) => {
        match $table {
            OffsetTable::Tiny($l) => $tiny,
            OffsetTable::Small($t) => $body,
            OffsetTable::Large($t) => $body,
            OffsetTable::Huge($t) => $body,
        }
    };
}

impl Default for OffsetTable {
    fn default() -> Self {
        OffsetTable::Tiny(Tiny::default())
    }
}

fn find<O: Off>(t: &HashTable<O>, hash: u64, mut eq: impl FnMut(usize) -> bool) -> Option<usize> {
    t.find(hash, |&o| eq(o.get())).map(|&o| o.get())
}

fn insert<O: Off>(t: &mut HashTable<O>, hash: u64, off: usize, hasher: impl Fn(usize) -> u64) {
    t.insert_unique(hash, O::new(off), |&o| hasher(o.get()));
}

fn replace<O: Off>(t: &mut HashTable<O>, hash: u64, old: usize, new: usize) {
    let found = t.find_mut(hash, |&o| o.get() == old);
    // The store only moves entries the table holds.
    debug_assert!(
        found.is_some(),
        "replacing an offset the table does not hold"
    );
    if let Some(o) = found {
        *o = O::new(new);
    }
}

fn remove<O: Off>(t: &mut HashTable<O>, hash: u64, off: usize) {
    let found = t.find_entry(hash, |&o| o.get() == off);
    // The store only removes entries the table holds.
    debug_assert!(found.is_ok(), "removing an offset the table does not hold");
    if let Ok(e) = found {
        e.remove();
    }
}

fn widen<O: Off, W: Off>(t: &HashTable<O>, hasher: &impl Fn(usize) -> u64) -> HashTable<W> {
    rehashed(t.iter().map(|o| o.get()), t.len(), hasher)
}

/// A hash table of `offsets` (`n` of them).
fn rehashed<W: Off>(
    offsets: impl Iterator<Item = usize>,
    n: usize,
    hasher: &impl Fn(usize) -> u64,
) -> HashTable<W> {
    let mut wide = HashTable::with_capacity(n + 1);
    for o in offsets {
        wide.insert_unique(hasher(o), W::new(o), |&x| hasher(x.get()));
    }
    wide
}

impl OffsetTable {
    /// Number of offsets.
    pub fn len(&self) -> usize {
        each!(self, l => l.len, t => t.len())
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the table's allocation.
    pub fn allocation_size(&self) -> usize {
        each!(self, l => l.buf.len(), t => t.allocation_size())
    }

    /// The first offset with `hash` that `eq` accepts.
    pub fn find(&self, hash: u64, mut eq: impl FnMut(usize) -> bool) -> Option<usize> {
        each!(self, l => l.position(hash, &mut eq).map(|i| l.off(i)), t => find(t, hash, eq))
    }

    /// Adds `off` under `hash`; `hasher` rehashes offsets on growth.
    pub fn insert(&mut self, hash: u64, off: usize, hasher: impl Fn(usize) -> u64) {
        self.fit(off, &hasher);
        if let OffsetTable::Tiny(l) = self {
            if l.len < TINY_MAX {
                return l.push(hash, off as u16);
            }
            *self = OffsetTable::Small(rehashed(l.offsets(), l.len, &hasher));
        }
        // (A list here has just become a table.)
        each!(self, l => l.push(hash, off as u16), t => insert(t, hash, off, &hasher))
    }

    /// Replaces offset `old` (under `hash`) with `new`.
    pub fn replace(&mut self, hash: u64, old: usize, new: usize, hasher: impl Fn(usize) -> u64) {
        self.fit(new, &hasher);
        each!(self, l => {
            let found = l.position(hash, |o| o == old);
            // The store only moves entries the table holds.
            debug_assert!(found.is_some(), "replacing an offset the list does not hold");
            if let Some(i) = found {
                l.set_off(i, new as u16);
            }
        }, t => replace(t, hash, old, new))
    }

    /// Removes offset `off` (under `hash`).
    pub fn remove(&mut self, hash: u64, off: usize) {
        each!(self, l => {
            let found = l.position(hash, |o| o == off);
            // The store only removes entries the table holds.
            debug_assert!(found.is_some(), "removing an offset the list does not hold");
            if let Some(i) = found {
                l.remove_at(i);
            }
        }, t => remove(t, hash, off))
    }

    /// An empty table for `n` offsets, all below `max_off`.
    pub fn with_capacity(n: usize, max_off: usize) -> Self {
        if u16::fits(max_off) && n <= TINY_MAX {
            OffsetTable::Tiny(Tiny::with_capacity(n))
        } else if u16::fits(max_off) {
            OffsetTable::Small(HashTable::with_capacity(n))
        } else if u32::fits(max_off) {
            OffsetTable::Large(HashTable::with_capacity(n))
        } else {
            OffsetTable::Huge(HashTable::with_capacity(n))
        }
    }

    /// Widens the offsets if `off` does not fit.
    fn fit(&mut self, off: usize, hasher: &impl Fn(usize) -> u64) {
        let wider = match self {
            OffsetTable::Tiny(l) if !u16::fits(off) && u32::fits(off) => {
                OffsetTable::Large(rehashed(l.offsets(), l.len, hasher))
            }
            OffsetTable::Tiny(l) if !u16::fits(off) => {
                OffsetTable::Huge(rehashed(l.offsets(), l.len, hasher))
            }
            OffsetTable::Small(t) if !u16::fits(off) && u32::fits(off) => {
                OffsetTable::Large(widen(t, hasher))
            }
            OffsetTable::Small(t) if !u16::fits(off) => OffsetTable::Huge(widen(t, hasher)),
            OffsetTable::Large(t) if !u32::fits(off) => OffsetTable::Huge(widen(t, hasher)),
            _ => return,
        };
        *self = wider;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(o: usize) -> u64 {
        (o as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }

    #[test]
    fn grows_to_32_bit_offsets_and_keeps_every_offset() {
        let mut t = OffsetTable::default();
        for o in (0..60_000).step_by(100) {
            t.insert(h(o), o, h);
        }
        assert!(matches!(t, OffsetTable::Small(_)));
        t.insert(h(70_000), 70_000, h);
        assert!(matches!(t, OffsetTable::Large(_)));
        for o in (0..60_000).step_by(100).chain([70_000]) {
            assert_eq!(t.find(h(o), |x| x == o), Some(o));
        }
        t.replace(h(100), 100, 100_000, h);
        assert_eq!(t.find(h(100), |_| true), Some(100_000));
        t.remove(h(100), 100_000);
        assert_eq!(t.find(h(100), |_| true), None);
        assert_eq!(t.len(), 600);
        assert!(matches!(
            OffsetTable::with_capacity(3, 65_535),
            OffsetTable::Tiny(_)
        ));
        assert!(matches!(
            OffsetTable::with_capacity(TINY_MAX + 1, 65_535),
            OffsetTable::Small(_)
        ));
        assert!(matches!(
            OffsetTable::with_capacity(3, 65_536),
            OffsetTable::Large(_)
        ));
    }

    #[test]
    fn a_tiny_list_agrees_with_a_map_through_colliding_tags_and_becomes_a_table() {
        // Hashes with few distinct tags (low bytes), so most lookups meet
        // other offsets with their tag first; an offset moved by 400s
        // keeps its key's hash, as a moved entry does.
        let hash = |o: usize| ((o % 400) as u64) << 8 | (o % 400 % 3) as u64;
        let mut t = OffsetTable::default();
        let mut model = std::collections::BTreeSet::new();
        let mut x: u64 = 7;
        for step in 0..4_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let o = (x >> 33) as usize % 400;
            if model.contains(&o) {
                if step % 2 == 0 {
                    t.remove(hash(o), o);
                    model.remove(&o);
                } else {
                    // Moves to another free offset of the same hash.
                    let new = o + 400 * (1 + (x as usize % 5));
                    if !model.contains(&new) {
                        t.replace(hash(o), o, new, hash);
                        model.remove(&o);
                        model.insert(new);
                    }
                }
            } else {
                t.insert(hash(o), o, hash);
                model.insert(o);
            }
            assert_eq!(t.len(), model.len());
            if model.len() <= TINY_MAX && step < 200 {
                assert!(matches!(t, OffsetTable::Tiny(_)), "{} keys", model.len());
            }
        }
        for o in 0..2_800 {
            let want = model.contains(&o).then_some(o);
            assert_eq!(t.find(hash(o), |x| x == o), want, "offset {o}");
        }
        // Past TINY_MAX keys it is a hash table.
        let mut big = OffsetTable::default();
        for o in 0..=TINY_MAX {
            big.insert(hash(o), o, hash);
        }
        assert!(matches!(big, OffsetTable::Small(_)));
        for o in 0..=TINY_MAX {
            assert_eq!(big.find(hash(o), |x| x == o), Some(o));
        }
    }

    #[test]
    fn scan_tags_finds_each_place_below_len_only() {
        let mut x: u64 = 11;
        for len in 0..80 {
            // Tags past `len` (and past the tags, the list's offsets) must
            // never be reported.
            let buf: Vec<u8> = (0..len + 40)
                .map(|_| {
                    x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (x >> 60) as u8
                })
                .collect();
            for tag in 0..16u8 {
                let mut seen = Vec::new();
                let none = scan_tags(&buf, len, tag, |j| {
                    seen.push(j);
                    false
                });
                assert_eq!(none, None);
                let want: Vec<usize> = (0..len).filter(|&j| buf[j] == tag).collect();
                assert_eq!(seen, want, "len {len} tag {tag}");
                let first = scan_tags(&buf, len, tag, |_| true);
                assert_eq!(first, want.first().copied());
            }
        }
        // A buffer too short for a 16-byte load is read one tag at a time.
        assert_eq!(scan_tags(&[1, 2, 3], 3, 3, |_| true), Some(2));
    }

    #[test]
    fn a_tiny_list_widens_for_an_offset_past_16_bits_and_sizes_to_a_class() {
        let mut t = OffsetTable::default();
        assert_eq!(t.allocation_size(), 0);
        for o in 0..61 {
            t.insert(h(o), o, h);
        }
        // 61 keys: 64 places of 3 bytes, one 192-byte class.
        assert_eq!(t.allocation_size(), 192);
        t.replace(h(3), 3, 1 << 20, h);
        assert!(matches!(t, OffsetTable::Large(_)));
        assert_eq!(t.find(h(3), |o| o == 1 << 20), Some(1 << 20));
        assert_eq!(t.find(h(60), |o| o == 60), Some(60));
        let mut t = OffsetTable::default();
        t.insert(h(1), 1, h);
        t.insert(h(1 << 33), 1 << 33, h);
        assert!(matches!(t, OffsetTable::Huge(_)));
        assert_eq!(t.find(h(1), |o| o == 1), Some(1));
    }

    #[test]
    fn replace_into_a_large_offset_promotes() {
        let mut t = OffsetTable::default();
        t.insert(h(5), 5, h);
        t.replace(h(5), 5, 1 << 20, h);
        assert!(matches!(t, OffsetTable::Large(_)));
        assert_eq!(t.find(h(5), |_| true), Some(1 << 20));
    }

    #[test]
    fn offsets_past_4_gib_get_a_64_bit_table() {
        let mut t = OffsetTable::default();
        t.insert(h(7), 7, h);
        t.insert(h(1 << 33), 1 << 33, h);
        assert!(matches!(t, OffsetTable::Huge(_)));
        assert_eq!(t.find(h(7), |o| o == 7), Some(7));
        assert_eq!(t.find(h(1 << 33), |_| true), Some(1 << 33));
        assert!(matches!(
            OffsetTable::with_capacity(1, 1 << 33),
            OffsetTable::Huge(_)
        ));
    }
}
