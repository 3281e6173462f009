//! A latency histogram with log buckets: what `INFO latencystats` and
//! `LATENCY HISTOGRAM` are computed from.
//!
//! Values are nanoseconds, clamped to `1..=`[`MAX_NS`] (about 1.07 s; Redis
//! clamps at 1 s). Below 16 ns every value has its own bucket; above, each
//! power of two is split into [`SUB_BUCKETS`] equal buckets, so a bucket is
//! at most 12.5% wide (Redis's HdrHistogram keeps 2 significant digits; the
//! coarser buckets keep a histogram at 1.8 KB). Percentiles report a
//! bucket's highest value, as HdrHistogram's "highest equivalent value"
//! does.
//!
//! Recording is an index computation (a leading-zeros count and two
//! shifts) and one add: no allocation. Histograms of several processes add
//! bucket by bucket ([`Histogram::merge`]); the shards send theirs as
//! sparse `index=count` lists ([`Histogram::write_sparse`]).

use std::fmt::Write as _;

/// Buckets per power of two, as a bit count.
const SUB_BITS: u32 = 3;
/// Buckets per power of two (above 16 ns).
pub const SUB_BUCKETS: usize = 1 << SUB_BITS;
/// Largest value kept; larger ones count as this.
pub const MAX_NS: u64 = (1 << 30) - 1;
/// Number of buckets.
pub const BUCKETS: usize = bucket_of(MAX_NS) + 1;

/// The bucket holding `ns` (clamped to `1..=MAX_NS`).
pub const fn bucket_of(ns: u64) -> usize {
    let v = if ns == 0 {
        1
    } else if ns > MAX_NS {
        MAX_NS
    } else {
        ns
    };
    if v < 2 * SUB_BUCKETS as u64 {
        return v as usize;
    }
    let e = 63 - v.leading_zeros();
    let sub = (v >> (e - SUB_BITS)) as usize & (SUB_BUCKETS - 1);
    (e - SUB_BITS + 1) as usize * SUB_BUCKETS + sub
}

/// The highest value bucket `i` holds.
pub const fn bucket_high(i: usize) -> u64 {
    if i < 2 * SUB_BUCKETS {
        return i as u64;
    }
    let e = (i / SUB_BUCKETS) as u32 + SUB_BITS - 1;
    let sub = (i % SUB_BUCKETS) as u64;
    let low = (SUB_BUCKETS as u64 + sub) << (e - SUB_BITS);
    low + (1 << (e - SUB_BITS)) - 1
}

/// Counts of values per log bucket.
#[derive(Clone, PartialEq, Eq)]
pub struct Histogram {
    counts: [u64; BUCKETS],
    total: u64,
}

impl std::fmt::Debug for Histogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut s = String::new();
        self.write_sparse(&mut s);
        write!(f, "Histogram {{ total: {}, {s} }}", self.total)
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: [0; BUCKETS],
            total: 0,
        }
    }
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram::default()
    }

    /// Counts one value of `ns` nanoseconds.
    #[inline]
    pub fn record(&mut self, ns: u64) {
        self.counts[bucket_of(ns)] += 1;
        self.total += 1;
    }

    /// Number of values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += b;
        }
        self.total += other.total;
    }

    /// The value (ns) below or at which `p` percent of the values lie: the
    /// highest value of the first bucket whose running count reaches
    /// `p`% of the total (rounded, at least one value); 0 when empty.
    pub fn value_at_percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let p = p.clamp(0.0, 100.0);
        let want = ((p / 100.0) * self.total as f64 + 0.5) as u64;
        let want = want.clamp(1, self.total);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return bucket_high(i);
            }
        }
        MAX_NS
    }

    /// The cumulative distribution `LATENCY HISTOGRAM` replies with: for
    /// bounds of 1024 ns doubling up to about 1 s, `(bound in µs, values
    /// below the bound)`, only where the count grew (as Redis prints it).
    pub fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut seen = 0u64;
        let mut i = 0;
        let mut bound = 1024u64;
        let mut last = 0u64;
        while seen < self.total {
            while i < BUCKETS && bucket_high(i) < bound {
                seen += self.counts[i];
                i += 1;
            }
            if i >= BUCKETS {
                seen = self.total;
            }
            if seen > last {
                out.push((bound / 1000, seen));
                last = seen;
            }
            bound *= 2;
        }
        out
    }

    /// Appends the non-empty buckets as `index=count` pairs joined by `,`.
    pub fn write_sparse(&self, out: &mut String) {
        let mut first = true;
        for (i, &c) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            if !first {
                out.push(',');
            }
            first = false;
            let _ = write!(out, "{i}={c}");
        }
    }

    /// Reads what [`Histogram::write_sparse`] wrote; `None` if malformed.
    pub fn parse_sparse(text: &str) -> Option<Histogram> {
        let mut h = Histogram::new();
        for pair in text.split(',').filter(|p| !p.is_empty()) {
            let (i, c) = pair.split_once('=')?;
            let i: usize = i.parse().ok()?;
            let c: u64 = c.parse().ok()?;
            *h.counts.get_mut(i)? += c;
            h.total += c;
        }
        Some(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_at_most_an_eighth_wide() {
        assert_eq!(bucket_of(0), 1);
        for i in 1..BUCKETS {
            let low = bucket_high(i - 1) + 1;
            let high = bucket_high(i);
            assert!(low <= high, "bucket {i}");
            assert_eq!(bucket_of(low), i);
            assert_eq!(bucket_of(high), i);
            assert!((high - low) as f64 <= low as f64 / 8.0 + 1.0, "bucket {i}");
        }
        assert_eq!(bucket_high(BUCKETS - 1), MAX_NS);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn percentiles_land_in_the_right_bucket() {
        let mut h = Histogram::new();
        for ns in 1..=1000u64 {
            h.record(ns * 1000);
        }
        let p50 = h.value_at_percentile(50.0);
        assert!((500_000..=562_500).contains(&p50), "{p50}");
        let p99 = h.value_at_percentile(99.0);
        assert!((990_000..=1_114_000).contains(&p99), "{p99}");
        assert_eq!(Histogram::new().value_at_percentile(50.0), 0);
    }

    #[test]
    fn histograms_merge_and_survive_the_wire() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        a.record(5);
        a.record(3_000);
        b.record(3_000);
        b.record(2_000_000_000);
        a.merge(&b);
        assert_eq!(a.total(), 4);
        let mut s = String::new();
        a.write_sparse(&mut s);
        assert_eq!(Histogram::parse_sparse(&s), Some(a.clone()));
        assert_eq!(Histogram::parse_sparse("9999=1"), None);
        assert_eq!(Histogram::parse_sparse("x"), None);
        // 5 ns and 3 µs twice fall under 1 µs and 4 µs; the clamped value
        // under the last bound.
        let cdf = a.cumulative_usec();
        assert_eq!(cdf[0], (1, 1));
        assert_eq!(cdf[1], (4, 3));
        assert_eq!(cdf.last().map(|c| c.1), Some(4));
    }
}
