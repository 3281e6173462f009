//! A slot's hash table of arena offsets: 2 bytes a bucket while the arena
//! is under 64 KiB, 4 bytes up to 4 GiB, 8 bytes beyond.
//!
//! A slot with few keys (at most [`TINY_MAX`], 16-bit offsets) keeps no
//! hash table at all: a [`Tiny`] list holds a tag byte per key (8 bits of
//! its hash) and its 2-byte offset at the end of the arena's own block
//! (its tail, `arena.rs`), 3 bytes a key, and a lookup scans the tags
//! (SSE2, 16 at a time) and compares the keys whose tag matches. 1M keys
//! over 16,384 slots are about 61 a slot: hashbrown's table for them has
//! 128 buckets of 3 bytes plus 16 control bytes (a 448-byte block, 7.3
//! bytes a key), the list 64 places (192 bytes, 3.1 a key) and no
//! allocation of its own.
//!
//! Past that a bucket is the offset plus hashbrown's control byte, so
//! `u16` offsets make a bucket 3 bytes instead of 5. The table is rebuilt
//! with wider offsets the first time an offset does not fit (a rebuild
//! after compaction may narrow it again, or make it a list).

use hashbrown::HashTable;

use super::arena::Arena;

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

/// Places a [`Tiny`] list gains when it is full (and has at first), so
/// that a 16-byte load of tags from any place below its length stays
/// inside the tail (`scan_tags`).
const TINY_STEP: usize = 8;

/// A few 16-bit offsets with a tag byte each (module docs), in the
/// arena's tail (`arena.rs`): `cap` tags, then `cap` offsets of 2 bytes
/// (little-endian), `cap` being a third of the tail.
#[derive(Default)]
pub struct Tiny {
    len: usize,
}

impl Tiny {
    /// Places in `tail`: the offsets start there.
    fn cap(tail: &[u8]) -> usize {
        tail.len() / 3
    }

    /// The tail a list of `n` places takes.
    fn tail_for(n: usize) -> usize {
        3 * n.max(1).next_multiple_of(TINY_STEP)
    }

    /// Eight bits of the hash that differ within a slot: the keyspace
    /// puts the slot in bits 43 to 56 (`keyspace::table_hash`), hashbrown
    /// reads the top seven.
    fn tag(hash: u64) -> u8 {
        hash as u8
    }

    fn off(tail: &[u8], i: usize) -> usize {
        let at = Self::cap(tail) + 2 * i;
        usize::from(u16::from_le_bytes([tail[at], tail[at + 1]]))
    }

    fn set_off(tail: &mut [u8], i: usize, off: u16) {
        let at = Self::cap(tail) + 2 * i;
        tail[at..at + 2].copy_from_slice(&off.to_le_bytes());
    }

    fn offsets<'a>(&self, tail: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
        (0..self.len).map(move |i| Self::off(tail, i))
    }

    /// The place of the first offset with `hash`'s tag that `eq` accepts.
    fn position(&self, tail: &[u8], hash: u64, mut eq: impl FnMut(usize) -> bool) -> Option<usize> {
        scan_tags(tail, self.len, Self::tag(hash), |i| eq(Self::off(tail, i)))
    }

    fn push(&mut self, arena: &mut Arena, hash: u64, off: u16) {
        let cap = Self::cap(arena.tail());
        if self.len == cap {
            // The tail grows (its bytes stay at its start); the offsets
            // move up past the new tags.
            arena.set_tail(Self::tail_for(cap + 1));
            let wider = Self::cap(arena.tail());
            arena.tail_mut().copy_within(cap..cap + 2 * self.len, wider);
        }
        let tail = arena.tail_mut();
        tail[self.len] = Self::tag(hash);
        Self::set_off(tail, self.len, off);
        self.len += 1;
    }

    /// Removes place `i`, the last moving into it.
    fn remove_at(&mut self, tail: &mut [u8], i: usize) {
        let last = self.len - 1;
        tail[i] = tail[last];
        let moved = Self::off(tail, last) as u16;
        Self::set_off(tail, i, moved);
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
            return scan_tags_one_by_one(buf, i..len, tag, accept);
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
fn scan_tags(buf: &[u8], len: usize, tag: u8, accept: impl FnMut(usize) -> bool) -> Option<usize> {
    scan_tags_one_by_one(buf, 0..len, tag, accept)
}

/// The first place in `places` of `buf` holding `tag` that `accept`s, one
/// tag at a time (the tail of a scan too short for a 16-byte load).
fn scan_tags_one_by_one(
    buf: &[u8],
    places: std::ops::Range<usize>,
    tag: u8,
    mut accept: impl FnMut(usize) -> bool,
) -> Option<usize> {
    places.into_iter().find(|&j| buf[j] == tag && accept(j))
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

    /// Bytes of the table's own allocation (a list has none: it lives in
    /// the arena's tail).
    pub fn allocation_size(&self) -> usize {
        each!(self, _l => 0, t => t.allocation_size())
    }

    /// The first offset with `hash` that `eq` accepts.
    pub fn find(
        &self,
        arena: &Arena,
        hash: u64,
        mut eq: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        each!(self, l => {
            let tail = arena.tail();
            l.position(tail, hash, &mut eq).map(|i| Tiny::off(tail, i))
        }, t => find(t, hash, eq))
    }

    /// Adds `off` under `hash`; `hasher` hashes the entry at an offset of
    /// the arena's entries (to grow or build a table).
    pub fn insert(
        &mut self,
        arena: &mut Arena,
        hash: u64,
        off: usize,
        hasher: impl Fn(&[u8], usize) -> u64,
    ) {
        self.fit(off, arena, &hasher);
        if let OffsetTable::Tiny(l) = self {
            if l.len < TINY_MAX {
                return l.push(arena, hash, off as u16);
            }
            *self = OffsetTable::Small(Self::from_list(l, arena, &hasher));
        }
        let entries: &[u8] = arena;
        let hasher = |o| hasher(entries, o);
        match self {
            OffsetTable::Small(t) => insert(t, hash, off, hasher),
            OffsetTable::Large(t) => insert(t, hash, off, hasher),
            OffsetTable::Huge(t) => insert(t, hash, off, hasher),
            // A list below TINY_MAX took the offset above; a full one
            // became a table.
            OffsetTable::Tiny(_) => debug_assert!(false, "a list past its check"),
        }
    }

    /// Replaces offset `old` (under `hash`) with `new`.
    pub fn replace(
        &mut self,
        arena: &mut Arena,
        hash: u64,
        (old, new): (usize, usize),
        hasher: impl Fn(&[u8], usize) -> u64,
    ) {
        self.fit(new, arena, &hasher);
        each!(self, l => {
            let found = l.position(arena.tail(), hash, |o| o == old);
            // The store only moves entries the table holds.
            debug_assert!(found.is_some(), "replacing an offset the list does not hold");
            if let Some(i) = found {
                Tiny::set_off(arena.tail_mut(), i, new as u16);
            }
        }, t => replace(t, hash, old, new))
    }

    /// Removes offset `off` (under `hash`).
    pub fn remove(&mut self, arena: &mut Arena, hash: u64, off: usize) {
        each!(self, l => {
            let found = l.position(arena.tail(), hash, |o| o == off);
            // The store only removes entries the table holds.
            debug_assert!(found.is_some(), "removing an offset the list does not hold");
            if let Some(i) = found {
                l.remove_at(arena.tail_mut(), i);
            }
        }, t => remove(t, hash, off))
    }

    /// An empty table for `n` offsets into `arena` as it is (its entries
    /// all written): a list gets its tail there, a table its allocation.
    pub fn for_arena(n: usize, arena: &mut Arena) -> Self {
        let max_off = arena.len();
        if u16::fits(max_off) && n <= TINY_MAX {
            arena.set_tail(Tiny::tail_for(n));
            OffsetTable::Tiny(Tiny::default())
        } else if u16::fits(max_off) {
            arena.set_tail(0);
            OffsetTable::Small(HashTable::with_capacity(n))
        } else if u32::fits(max_off) {
            arena.set_tail(0);
            OffsetTable::Large(HashTable::with_capacity(n))
        } else {
            arena.set_tail(0);
            OffsetTable::Huge(HashTable::with_capacity(n))
        }
    }

    /// The tail a list of `n` offsets takes in an arena: room to keep
    /// when sizing a new block for `n` entries.
    pub fn list_tail_for(n: usize) -> usize {
        match n <= TINY_MAX {
            true => Tiny::tail_for(n),
            false => 0,
        }
    }

    /// A hash table of the list's offsets; the arena's tail is given back.
    fn from_list<W: Off>(
        l: &Tiny,
        arena: &mut Arena,
        hasher: &impl Fn(&[u8], usize) -> u64,
    ) -> HashTable<W> {
        let offsets: Vec<usize> = l.offsets(arena.tail()).collect();
        let entries: &[u8] = arena;
        let table = rehashed(offsets.into_iter(), l.len, &|o| hasher(entries, o));
        arena.set_tail(0);
        table
    }

    /// Widens the offsets if `off` does not fit.
    fn fit(&mut self, off: usize, arena: &mut Arena, hasher: &impl Fn(&[u8], usize) -> u64) {
        if let OffsetTable::Tiny(l) = self {
            *self = match (u16::fits(off), u32::fits(off)) {
                (true, _) => return,
                (false, true) => OffsetTable::Large(Self::from_list(l, arena, hasher)),
                (false, false) => OffsetTable::Huge(Self::from_list(l, arena, hasher)),
            };
            return;
        }
        let entries: &[u8] = arena;
        let hasher = &|o| hasher(entries, o);
        let wider = match self {
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

    /// `h` as the table's hasher (no entries behind the offsets here).
    fn hh(_: &[u8], o: usize) -> u64 {
        h(o)
    }

    #[test]
    fn grows_to_32_bit_offsets_and_keeps_every_offset() {
        let (mut t, mut a) = (OffsetTable::default(), Arena::default());
        for o in (0..60_000).step_by(100) {
            t.insert(&mut a, h(o), o, hh);
        }
        assert!(matches!(t, OffsetTable::Small(_)));
        t.insert(&mut a, h(70_000), 70_000, hh);
        assert!(matches!(t, OffsetTable::Large(_)));
        for o in (0..60_000).step_by(100).chain([70_000]) {
            assert_eq!(t.find(&a, h(o), |x| x == o), Some(o));
        }
        t.replace(&mut a, h(100), (100, 100_000), hh);
        assert_eq!(t.find(&a, h(100), |_| true), Some(100_000));
        t.remove(&mut a, h(100), 100_000);
        assert_eq!(t.find(&a, h(100), |_| true), None);
        assert_eq!(t.len(), 600);
        // A table for an arena as it is: a list (its tail set) for a few
        // offsets under 64 KiB, else a table as wide as the arena needs.
        let mut small = Arena::default();
        small.extend_zeroed(65_535);
        assert!(matches!(
            OffsetTable::for_arena(3, &mut small),
            OffsetTable::Tiny(_)
        ));
        assert_eq!(small.tail_len(), 3 * TINY_STEP);
        assert!(matches!(
            OffsetTable::for_arena(TINY_MAX + 1, &mut small),
            OffsetTable::Small(_)
        ));
        assert_eq!(small.tail_len(), 0);
        small.push(0);
        assert!(matches!(
            OffsetTable::for_arena(3, &mut small),
            OffsetTable::Large(_)
        ));
    }

    #[test]
    fn a_tiny_list_agrees_with_a_map_through_colliding_tags_and_becomes_a_table() {
        // Hashes with few distinct tags (low bytes), so most lookups meet
        // other offsets with their tag first; an offset moved by 400s
        // keeps its key's hash, as a moved entry does.
        let hash = |o: usize| ((o % 400) as u64) << 8 | (o % 400 % 3) as u64;
        let (mut t, mut a) = (OffsetTable::default(), Arena::default());
        let mut model = std::collections::BTreeSet::new();
        let mut x: u64 = 7;
        for step in 0..4_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let o = (x >> 33) as usize % 400;
            if model.contains(&o) {
                if step % 2 == 0 {
                    t.remove(&mut a, hash(o), o);
                    model.remove(&o);
                } else {
                    // Moves to another free offset of the same hash.
                    let new = o + 400 * (1 + (x as usize % 5));
                    if !model.contains(&new) {
                        t.replace(&mut a, hash(o), (o, new), |_, o| hash(o));
                        model.remove(&o);
                        model.insert(new);
                    }
                }
            } else {
                t.insert(&mut a, hash(o), o, |_, o| hash(o));
                model.insert(o);
            }
            assert_eq!(t.len(), model.len());
            if model.len() <= TINY_MAX && step < 200 {
                assert!(matches!(t, OffsetTable::Tiny(_)), "{} keys", model.len());
            }
        }
        for o in 0..2_800 {
            let want = model.contains(&o).then_some(o);
            assert_eq!(t.find(&a, hash(o), |x| x == o), want, "offset {o}");
        }
        // Past TINY_MAX keys it is a hash table.
        let (mut big, mut a) = (OffsetTable::default(), Arena::default());
        for o in 0..=TINY_MAX {
            big.insert(&mut a, hash(o), o, |_, o| hash(o));
        }
        assert!(matches!(big, OffsetTable::Small(_)));
        for o in 0..=TINY_MAX {
            assert_eq!(big.find(&a, hash(o), |x| x == o), Some(o));
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
    fn a_tiny_list_lives_in_the_arena_tail_and_widens_for_an_offset_past_16_bits() {
        let (mut t, mut a) = (OffsetTable::default(), Arena::default());
        assert_eq!((t.allocation_size(), a.tail_len()), (0, 0));
        for o in 0..61 {
            t.insert(&mut a, h(o), o, hh);
        }
        // 61 keys: 64 places of 3 bytes in the arena's tail, no block of
        // the list's own.
        assert_eq!((t.allocation_size(), a.tail_len()), (0, 192));
        t.replace(&mut a, h(3), (3, 1 << 20), hh);
        assert!(matches!(t, OffsetTable::Large(_)));
        assert_eq!(a.tail_len(), 0, "a table gives the tail back");
        assert_eq!(t.find(&a, h(3), |o| o == 1 << 20), Some(1 << 20));
        assert_eq!(t.find(&a, h(60), |o| o == 60), Some(60));
        let (mut t, mut a) = (OffsetTable::default(), Arena::default());
        t.insert(&mut a, h(1), 1, hh);
        t.insert(&mut a, h(1 << 33), 1 << 33, hh);
        assert!(matches!(t, OffsetTable::Huge(_)));
        assert_eq!(t.find(&a, h(1), |o| o == 1), Some(1));
    }

    #[test]
    fn replace_into_a_large_offset_promotes() {
        let (mut t, mut a) = (OffsetTable::default(), Arena::default());
        t.insert(&mut a, h(5), 5, hh);
        t.replace(&mut a, h(5), (5, 1 << 20), hh);
        assert!(matches!(t, OffsetTable::Large(_)));
        assert_eq!(t.find(&a, h(5), |_| true), Some(1 << 20));
    }

    #[test]
    fn offsets_past_4_gib_get_a_64_bit_table() {
        let (mut t, mut a) = (OffsetTable::default(), Arena::default());
        t.insert(&mut a, h(7), 7, hh);
        t.insert(&mut a, h(1 << 33), 1 << 33, hh);
        assert!(matches!(t, OffsetTable::Huge(_)));
        assert_eq!(t.find(&a, h(7), |o| o == 7), Some(7));
        assert_eq!(t.find(&a, h(1 << 33), |_| true), Some(1 << 33));
    }
}
