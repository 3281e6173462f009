//! Measures the keyspace's memory per key under jemalloc (the allocator the
//! `shardd` binary uses): 1M keys of 16 bytes with 32-byte values, the
//! reference load of `benches/RESULTS.md`'s memory table. Also reports GET ns/op without and with TTLs.
//!
//! `cargo run -p shardd --example keyspace_mem [keys]`
//! (set `_RJEM_MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0` so freed pages
//! leave RSS at once instead of after jemalloc's 10 s decay).
//!
//! Measured 2026-11-25 on the 2-core dev box, 1M keys, dev profile:
//! 72.7 RSS bytes/key after jemalloc returned freed pages (80.0 right
//! after loading with the default 10 s decay; estimate from the stores:
//! 62.6, of which 6.8 table; Redis 7: ~136). With a TTL on every key set
//! at insert: 95.0 (8 more bytes per entry and the 16.8-byte expiry-heap
//! item). GET timings from a dev build on a box whose 2 cores are busy with
//! other builds only mean something as ratios (see keyspace/KEYSPACE.md).

use std::time::Instant;

use shardd::keyspace::Keyspace;
use tikv_jemalloc_ctl::{epoch, raw};

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// Bytes jemalloc reports allocated (0 when built without stats).
fn allocated() -> usize {
    let _ = epoch::advance();
    // SAFETY: `stats.allocated` is a size_t statistic.
    unsafe { raw::read::<usize>(b"stats.allocated\0") }.unwrap_or(0)
}

fn key(i: usize, buf: &mut [u8; 16]) {
    // "key:" + 12 decimal digits: 16 bytes, no allocation.
    buf[..4].copy_from_slice(b"key:");
    let mut v = i;
    for b in buf[4..].iter_mut().rev() {
        *b = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

fn time_gets(ks: &mut Keyspace, n: usize) -> f64 {
    let mut buf = [0u8; 16];
    let mut hits = 0usize;
    let t = Instant::now();
    // A stride walk so lookups are not in insertion order.
    for j in 0..n {
        key((j * 7919) % n, &mut buf);
        hits += ks.get(&buf).is_some() as usize;
    }
    let ns = t.elapsed().as_nanos() as f64 / n as f64;
    assert_eq!(hits, n);
    ns
}

/// Loads `n` keys (with a TTL each if `ttl_at` is set); prints bytes/key.
fn load(n: usize, ttl_at: Option<u64>) -> Keyspace {
    let (rss0, alloc0) = (rss_bytes(), allocated());
    let mut ks = Keyspace::new();
    let value = [b'x'; 32];
    let mut buf = [0u8; 16];
    for i in 0..n {
        key(i, &mut buf);
        ks.insert_str_with_expiry(&buf, &value, ttl_at.map(|t| t + i as u64));
    }
    let (rss1, alloc1) = (rss_bytes(), allocated());
    let st = ks.memory_stats();
    let label = if ttl_at.is_some() {
        "with ttl"
    } else {
        "no ttl"
    };
    println!("[{label}] keys                {}", st.keys);
    println!(
        "[{label}] rss bytes/key       {:.1}",
        (rss1 - rss0) as f64 / n as f64
    );
    if alloc1 > 0 {
        println!(
            "[{label}] jemalloc bytes/key  {:.1}",
            (alloc1 - alloc0) as f64 / n as f64
        );
    }
    println!(
        "[{label}] estimate bytes/key  {:.1}",
        st.used_bytes() as f64 / n as f64
    );
    println!(
        "[{label}] table bytes/key     {:.1}",
        st.table_bytes as f64 / n as f64
    );
    println!(
        "[{label}] expiry bytes/key    {:.1}",
        st.expiry_index_bytes as f64 / n as f64
    );
    ks
}

/// The same lookups on a plain `HashMap<Box<[u8]>, Box<[u8]>>`: a baseline
/// that tells the keyspace's cost apart from this machine's.
fn baseline_gets(n: usize) -> f64 {
    let mut map = std::collections::HashMap::with_capacity(n);
    let mut buf = [0u8; 16];
    for i in 0..n {
        key(i, &mut buf);
        map.insert(
            Box::<[u8]>::from(&buf[..]),
            Box::<[u8]>::from(&[b'x'; 32][..]),
        );
    }
    let t = Instant::now();
    let mut hits = 0usize;
    for j in 0..n {
        key((j * 7919) % n, &mut buf);
        hits += map.contains_key(&buf[..]) as usize;
    }
    assert_eq!(hits, n);
    t.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut plain = load(n, None);
    let far = plain.now_ms() + 3_600_000;
    let mut ttl = load(n, Some(far));
    // Alternate rounds so load from other processes hits both alike.
    let (mut best_plain, mut best_ttl, mut best_base) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..3 {
        best_plain = best_plain.min(time_gets(&mut plain, n));
        best_ttl = best_ttl.min(time_gets(&mut ttl, n));
        best_base = best_base.min(baseline_gets(n));
    }
    println!(
        "get ns/op, best of 3: no ttl {best_plain:.0}, every key with ttl {best_ttl:.0}, \
         std HashMap baseline {best_base:.0}"
    );
}
