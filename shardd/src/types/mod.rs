//! Redis's collection types, each with a compact encoding for small values
//! that converts to a full structure past a size threshold.

pub mod hash;
pub mod hll;
pub mod list;
pub mod set;
pub mod stream;
pub mod zset;

/// Shortest inline form a slot arena keeps (`keyspace::store`'s inline
/// hashes, sorted sets and sets): the room a pointer needs, since a change
/// puts the pointer to the value's new box in its place.
pub const INLINE_MIN_BYTES: usize = 8;
/// Longest packed form a slot arena holds in place of a box.
pub const INLINE_MAX_BYTES: usize = 1024;

/// What an inline value's field holds before its packed bytes (a count,
/// an encoding tag): at most a tag and a varint.
#[derive(Clone, Copy, Default)]
pub struct InlineHead {
    bytes: [u8; 11],
    len: usize,
}

impl InlineHead {
    /// The head's bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn push(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }

    /// Appends `v` as a LEB128 varint (at most 10 bytes; a head holds one
    /// after at most one tag byte).
    fn push_varint(&mut self, mut v: usize) {
        while v >= 0x80 {
            self.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.push(v as u8);
    }

    /// The inline parts of a packed form `body` with this head, if a
    /// slot arena takes them (between the two limits).
    fn fits(self, body: &[u8]) -> Option<(InlineHead, &[u8])> {
        let n = self.len + body.len();
        (INLINE_MIN_BYTES..=INLINE_MAX_BYTES)
            .contains(&n)
            .then_some((self, body))
    }
}

/// Reads the varint at the front of an inline field (written by
/// [`InlineHead`]); the value and the rest. A field the store wrote always
/// has one; anything else reads as 0 and the whole field.
fn split_varint(field: &[u8]) -> (usize, &[u8]) {
    let mut v = 0usize;
    for (i, &b) in field.iter().enumerate().take(10) {
        v |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return (v, &field[i + 1..]);
        }
    }
    (0, field)
}

/// The bytes jemalloc hands out for a request of `size` bytes (0 for 0).
pub fn alloc_size(size: usize) -> usize {
    match size {
        0 => 0,
        n => common::alloc::size_class(n),
    }
}

/// The sum of `sizes` (one per element, `len` of them) estimated from the
/// first `samples` (all when 0), as `MEMORY USAGE ... SAMPLES` asks.
pub fn sampled_sum(len: usize, samples: usize, sizes: impl Iterator<Item = usize>) -> usize {
    let take = if samples == 0 { len } else { samples.min(len) };
    if take == 0 {
        return 0;
    }
    let (n, sum) = sizes
        .take(take)
        .fold((0usize, 0usize), |(n, s), x| (n + 1, s + x));
    if n == 0 {
        return 0;
    }
    sum / n * len + sum % n * len / n
}

#[cfg(test)]
mod tests {
    #[test]
    fn sampling_scales_the_sample_to_the_whole() {
        assert_eq!(super::sampled_sum(10, 2, [4, 8].into_iter()), 60);
        assert_eq!(super::sampled_sum(3, 0, [1, 2, 3].into_iter()), 6);
        assert_eq!(super::sampled_sum(0, 5, std::iter::empty()), 0);
        assert_eq!(super::alloc_size(0), 0);
        assert_eq!(super::alloc_size(33_000), 40_960);
    }
}
