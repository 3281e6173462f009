//! `MEMORY STATS` and `MEMORY DOCTOR` over the whole server, from the
//! merged figures of INFO's parts.

use std::fmt::Write as _;

use common::reply::Reply;

use super::{human, ratio, Whole};

/// `MEMORY STATS`: Redis's fields where they mean something here, for the
/// whole server, then shardis's own (`proxy.*`, `shards.*`).
pub(super) fn memory_stats(w: &Whole<'_>, r: &mut Reply) {
    let (used, rss, peak) = (w.used(), w.rss(), w.peak());
    let (active, resident) = (w.active(), w.resident());
    let keys = w.sum("keys");
    let ints: [(&str, u64); 7] = [
        ("peak.allocated", peak),
        ("total.allocated", used),
        ("replication.backlog", 0),
        ("clients.slaves", 0),
        ("cluster.links", 0),
        ("lua.caches", 0),
        ("functions.caches", 0),
    ];
    // The integers above, db.0, and the 22 fields below.
    r.map(ints.len() + 1 + 22);
    for (k, v) in ints {
        r.bulk(k.as_bytes());
        r.int(v as i64);
    }
    r.bulk(b"db.0");
    r.map(2);
    r.bulk(b"overhead.hashtable.main");
    r.int(w.sum("keyspace_table_bytes") as i64);
    r.bulk(b"overhead.hashtable.expires");
    r.int(w.sum("keyspace_expiry_bytes") as i64);
    let int = |r: &mut Reply, k: &str, v: i64| {
        r.bulk(k.as_bytes());
        r.int(v);
    };
    let dbl = |r: &mut Reply, k: &str, v: f64| {
        r.bulk(k.as_bytes());
        r.double(v);
    };
    int(r, "overhead.total", w.overhead() as i64);
    int(r, "keys.count", keys as i64);
    let per_key = w.dataset().checked_div(keys).unwrap_or(0);
    int(r, "keys.bytes-per-key", per_key as i64);
    int(r, "dataset.bytes", w.dataset() as i64);
    dbl(r, "dataset.percentage", 100.0 * ratio(w.dataset(), used));
    dbl(r, "peak.percentage", 100.0 * ratio(used, peak));
    int(r, "allocator.allocated", used as i64);
    int(r, "allocator.active", active as i64);
    int(r, "allocator.resident", resident as i64);
    dbl(r, "allocator-fragmentation.ratio", ratio(active, used));
    int(
        r,
        "allocator-fragmentation.bytes",
        active as i64 - used as i64,
    );
    dbl(r, "allocator-rss.ratio", ratio(resident, active));
    int(r, "allocator-rss.bytes", resident as i64 - active as i64);
    dbl(r, "rss-overhead.ratio", ratio(rss, resident));
    int(r, "rss-overhead.bytes", rss as i64 - resident as i64);
    dbl(r, "fragmentation", ratio(rss, used));
    int(r, "fragmentation.bytes", rss as i64 - used as i64);
    int(r, "proxy.allocated", w.proxy.alloc.allocated as i64);
    int(r, "proxy.rss", w.proxy.rss as i64);
    int(r, "shards.allocated", w.sum("used_memory") as i64);
    int(r, "shards.rss", w.sum("used_memory_rss") as i64);
    int(r, "shards.count", w.shards.len() as i64);
}

/// Below this much data (memory beyond the proxy's and the key tables'),
/// `MEMORY DOCTOR` has nothing to judge: a fresh server's fixed costs
/// (slot tables, buffers, binaries) would dominate every ratio.
const DOCTOR_MIN_BYTES: u64 = 5 << 20;
/// Overheads `MEMORY DOCTOR` ignores below this many bytes.
const DOCTOR_SLACK_BYTES: u64 = 10 << 20;

/// `MEMORY DOCTOR`: memory problems of the whole server, in shardis's
/// words, on Redis's criteria.
pub(super) fn memory_doctor(w: &Whole<'_>) -> String {
    let (used, rss, peak) = (w.used(), w.rss(), w.peak());
    let (active, resident) = (w.active(), w.resident());
    if w.dataset() < DOCTOR_MIN_BYTES {
        return format!(
            "The server (proxy and {} shards) holds only {} of data: too little for a useful \
             diagnosis. Ask again once it holds some data.\n",
            w.shards.len(),
            human(w.dataset())
        );
    }
    let mut issues = Vec::new();
    if ratio(peak, used) > 1.5 {
        issues.push(format!(
            "Peak memory: the server once used {} ({}% of today's {}). Allocators keep some of a \
             peak's pages, so resident memory can stay high; it is reused as data grows.",
            human(peak),
            (100.0 * ratio(peak, used)) as u64,
            human(used)
        ));
    }
    if ratio(rss, used) > 1.4 && rss.saturating_sub(used) > DOCTOR_SLACK_BYTES {
        issues.push(format!(
            "High total RSS: the processes hold {} of memory for {} allocated (ratio {:.2}), \
             usually because of a past peak or a workload that fragments memory.",
            human(rss),
            human(used),
            ratio(rss, used)
        ));
    }
    if ratio(active, used) > 1.1 && active.saturating_sub(used) > DOCTOR_SLACK_BYTES {
        issues.push(format!(
            "Allocator fragmentation: {} of active pages hold {} of allocations (ratio {:.2}).",
            human(active),
            human(used),
            ratio(active, used)
        ));
    }
    if ratio(resident, active) > 1.1 && resident.saturating_sub(active) > DOCTOR_SLACK_BYTES {
        issues.push(format!(
            "Allocator RSS overhead: jemalloc holds {} resident for {} of active pages; freed pages \
             are returned to the system within about a second when idle.",
            human(resident),
            human(active)
        ));
    }
    if issues.is_empty() {
        return "No memory problem found in the proxy or the shards.\n".to_string();
    }
    let mut t = String::from("Memory problems found:\n\n");
    for i in issues {
        let _ = writeln!(t, " * {i}\n");
    }
    t
}
