//! A slot's hash table of arena offsets, 2 bytes a bucket while the arena
//! is under 64 KiB and 4 bytes after.
//!
//! A bucket is the offset plus hashbrown's control byte, so `u16` offsets
//! make a bucket 3 bytes instead of 5: about 5 bytes a key at typical load.
//! A slot of ordinary keys stays small (1M keys of 48 bytes over 16384
//! slots is about 3 KiB a slot); the table is rebuilt with `u32` offsets
//! the first time an offset does not fit, and never goes back.

use hashbrown::HashTable;

/// Offsets into one slot's arena.
pub enum OffsetTable {
    /// Every offset fits in 16 bits.
    Small(HashTable<u16>),
    /// Offsets up to 4 GiB.
    Large(HashTable<u32>),
}

impl Default for OffsetTable {
    fn default() -> Self {
        OffsetTable::Small(HashTable::new())
    }
}

impl OffsetTable {
    /// Number of offsets.
    pub fn len(&self) -> usize {
        match self {
            OffsetTable::Small(t) => t.len(),
            OffsetTable::Large(t) => t.len(),
        }
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of the table's allocation.
    pub fn allocation_size(&self) -> usize {
        match self {
            OffsetTable::Small(t) => t.allocation_size(),
            OffsetTable::Large(t) => t.allocation_size(),
        }
    }

    /// The first offset with `hash` that `eq` accepts.
    pub fn find(&self, hash: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        match self {
            OffsetTable::Small(t) => t.find(hash, |&o| eq(o as u32)).map(|&o| o as u32),
            OffsetTable::Large(t) => t.find(hash, |&o| eq(o)).copied(),
        }
    }

    /// Adds `off` under `hash`; `hasher` rehashes offsets on growth.
    pub fn insert(&mut self, hash: u64, off: u32, hasher: impl Fn(u32) -> u64) {
        self.fit(off, &hasher);
        match self {
            OffsetTable::Small(t) => {
                t.insert_unique(hash, off as u16, |&o| hasher(o as u32));
            }
            OffsetTable::Large(t) => {
                t.insert_unique(hash, off, |&o| hasher(o));
            }
        }
    }

    /// Replaces offset `old` (under `hash`) with `new`.
    pub fn replace(&mut self, hash: u64, old: u32, new: u32, hasher: impl Fn(u32) -> u64) {
        self.fit(new, &hasher);
        match self {
            OffsetTable::Small(t) => {
                if let Some(o) = t.find_mut(hash, |&o| o as u32 == old) {
                    *o = new as u16;
                }
            }
            OffsetTable::Large(t) => {
                if let Some(o) = t.find_mut(hash, |&o| o == old) {
                    *o = new;
                }
            }
        }
    }

    /// Removes offset `off` (under `hash`).
    pub fn remove(&mut self, hash: u64, off: u32) {
        match self {
            OffsetTable::Small(t) => {
                if let Ok(e) = t.find_entry(hash, |&o| o as u32 == off) {
                    e.remove();
                }
            }
            OffsetTable::Large(t) => {
                if let Ok(e) = t.find_entry(hash, |&o| o == off) {
                    e.remove();
                }
            }
        }
    }

    /// An empty table for `n` offsets, all below `max_off`.
    pub fn with_capacity(n: usize, max_off: usize) -> Self {
        if max_off <= u16::MAX as usize {
            OffsetTable::Small(HashTable::with_capacity(n))
        } else {
            OffsetTable::Large(HashTable::with_capacity(n))
        }
    }

    /// Switches to 32-bit offsets if `off` does not fit in 16 bits.
    fn fit(&mut self, off: u32, hasher: &impl Fn(u32) -> u64) {
        let OffsetTable::Small(small) = self else {
            return;
        };
        if off <= u16::MAX as u32 {
            return;
        }
        let mut large = HashTable::with_capacity(small.len() + 1);
        for &o in small.iter() {
            large.insert_unique(hasher(o as u32), o as u32, |&x| hasher(x));
        }
        *self = OffsetTable::Large(large);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(o: u32) -> u64 {
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
}
