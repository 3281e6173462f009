//! A slot's hash table of arena offsets: 2 bytes a bucket while the arena
//! is under 64 KiB, 4 bytes up to 4 GiB, 8 bytes beyond.
//!
//! A bucket is the offset plus hashbrown's control byte, so `u16` offsets
//! make a bucket 3 bytes instead of 5: about 5 bytes a key at typical load.
//! A slot of ordinary keys stays small (1M keys of 48 bytes over 16384
//! slots is about 3 KiB a slot); the table is rebuilt with wider offsets
//! the first time an offset does not fit (a rebuild after compaction may
//! narrow it again).

use hashbrown::HashTable;

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

/// Offsets into one slot's arena.
pub enum OffsetTable {
    /// Every offset fits in 16 bits.
    Small(HashTable<u16>),
    /// Offsets up to 4 GiB.
    Large(HashTable<u32>),
    /// Any offset.
    Huge(HashTable<u64>),
}

/// Runs `$body` with `$t` bound to the table, whatever its offset width.
macro_rules! each {
    ($table:expr, $t:ident => $body:expr) => {
        match $table {
            OffsetTable::Small($t) => $body,
            OffsetTable::Large($t) => $body,
            OffsetTable::Huge($t) => $body,
        }
    };
}

impl Default for OffsetTable {
    fn default() -> Self {
        OffsetTable::Small(HashTable::new())
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
    let mut wide = HashTable::with_capacity(t.len() + 1);
    for &o in t.iter() {
        wide.insert_unique(hasher(o.get()), W::new(o.get()), |&x| hasher(x.get()));
    }
    wide
}

impl OffsetTable {
    /// Number of offsets.
    pub fn len(&self) -> usize {
        each!(self, t => t.len())
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the table's allocation.
    pub fn allocation_size(&self) -> usize {
        each!(self, t => t.allocation_size())
    }

    /// The first offset with `hash` that `eq` accepts.
    pub fn find(&self, hash: u64, eq: impl FnMut(usize) -> bool) -> Option<usize> {
        each!(self, t => find(t, hash, eq))
    }

    /// Adds `off` under `hash`; `hasher` rehashes offsets on growth.
    pub fn insert(&mut self, hash: u64, off: usize, hasher: impl Fn(usize) -> u64) {
        self.fit(off, &hasher);
        each!(self, t => insert(t, hash, off, &hasher))
    }

    /// Replaces offset `old` (under `hash`) with `new`.
    pub fn replace(&mut self, hash: u64, old: usize, new: usize, hasher: impl Fn(usize) -> u64) {
        self.fit(new, &hasher);
        each!(self, t => replace(t, hash, old, new))
    }

    /// Removes offset `off` (under `hash`).
    pub fn remove(&mut self, hash: u64, off: usize) {
        each!(self, t => remove(t, hash, off))
    }

    /// An empty table for `n` offsets, all below `max_off`.
    pub fn with_capacity(n: usize, max_off: usize) -> Self {
        if u16::fits(max_off) {
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
            OffsetTable::Small(_)
        ));
        assert!(matches!(
            OffsetTable::with_capacity(3, 65_536),
            OffsetTable::Large(_)
        ));
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
