//! Redis's collection types, each with a compact encoding for small values
//! that converts to a full structure past a size threshold.

pub mod hash;
pub mod hll;
pub mod list;
pub mod set;
pub mod stream;
pub mod zset;

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
