//! Deterministic record generator shared by the cross-process tests, the
//! `ring-peer` helper and the benchmarks: both sides derive record `i` from
//! the same seed, so the receiver checks every byte without a side channel.

/// A seeded xorshift generator of record sizes and contents.
#[derive(Debug, Clone)]
pub struct Gen {
    state: u64,
}

impl Gen {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Gen {
        Gen {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    /// The next pseudo-random number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        x
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Size of the next record: mostly small, some medium, rarely larger
    /// than a 64 KiB ring.
    pub fn size(&mut self) -> usize {
        match self.below(100_000) {
            0 => 70_000 + self.below(200_000) as usize,
            1..=2_000 => 100 + self.below(4_000) as usize,
            _ => self.below(64) as usize,
        }
    }

    /// Writes record number `i` into `buf` (cleared first).
    pub fn record(&mut self, i: u64, buf: &mut Vec<u8>) {
        let len = self.size();
        buf.clear();
        buf.extend((0..len).map(|j| fill_byte(i, j)));
        let tag = i.to_le_bytes();
        let n = len.min(8);
        buf[..n].copy_from_slice(&tag[..n]);
    }

    /// Checks that `rec` is record number `i`.
    pub fn check(&mut self, i: u64, rec: &[u8]) -> bool {
        let len = self.size();
        if rec.len() != len {
            return false;
        }
        let tag = i.to_le_bytes();
        let n = len.min(8);
        rec[..n] == tag[..n]
            && rec[n..]
                .iter()
                .enumerate()
                .all(|(j, &b)| b == fill_byte(i, j + n))
    }
}

fn fill_byte(i: u64, j: usize) -> u8 {
    (i as u8).wrapping_add((j as u8).wrapping_mul(7))
}
