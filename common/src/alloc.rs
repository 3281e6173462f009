//! The global allocator both binaries use: jemalloc, with a count of
//! allocations so that allocations per request show in `INFO` as a number
//! (`total_allocations`), not a feeling.
//!
//! The count is one relaxed atomic add per allocation or reallocation
//! (frees are not counted). A shard is single-threaded and a proxy worker
//! owns its connections, so the counter's cache line is rarely contended.

use std::{
    alloc::{GlobalAlloc, Layout},
    sync::atomic::{AtomicU64, Ordering},
};

use tikv_jemallocator::Jemalloc;

pub mod defrag;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

/// jemalloc's options, read before `main` (jemalloc looks this symbol up;
/// its own definition is weak). Without a background thread jemalloc
/// returns freed pages to the system only while the process keeps
/// allocating, so an idle process keeps them; the thread purges them
/// within about a second (`dirty_decay_ms`), off the request path. (After
/// loading 1M keys a shard's RSS went from 98 to 93 MB with it; most of
/// the rest of the gap to the 65 MB allocated is slab fragmentation left
/// by the per-slot arenas growing through size classes.)
#[export_name = "_rjem_malloc_conf"]
pub static MALLOC_CONF: &[u8; 43] = b"background_thread:true,dirty_decay_ms:1000\0";

/// jemalloc, counting allocations.
pub struct CountingJemalloc;

// SAFETY: every call is forwarded unchanged to jemalloc, which upholds the
// GlobalAlloc contract; the counter has no effect on memory.
unsafe impl GlobalAlloc for CountingJemalloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { Jemalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { Jemalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { Jemalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { Jemalloc.realloc(ptr, layout, new_size) }
    }
}

/// Allocations and reallocations made by this process so far (0 in a
/// process whose global allocator is not [`CountingJemalloc`]).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// Bytes the process mapped for heaps of its own beside jemalloc (a
/// shard's pack chunks, `shardd/src/keyspace/pack.rs`). The figures below
/// count them as allocated, active and resident alike, so that
/// `used_memory`, `maxmemory` and defragmentation's thresholds see all
/// the memory the data takes (a chunk's pages not yet touched are counted
/// resident too: at most one chunk a process).
static MAPPED_BESIDE: AtomicU64 = AtomicU64::new(0);

/// Counts `bytes` more mapped beside jemalloc, which [`allocator_figures`]
/// and [`jemalloc_stats`] then include.
pub fn mapped_beside(bytes: usize) {
    MAPPED_BESIDE.fetch_add(bytes as u64, Ordering::Relaxed);
}

/// Counts `bytes` mapped beside jemalloc given back.
pub fn unmapped_beside(bytes: usize) {
    MAPPED_BESIDE.fetch_sub(bytes as u64, Ordering::Relaxed);
}

/// Bytes the process has allocated and not freed, and bytes of physical
/// memory jemalloc holds for it (`stats.allocated`, `stats.resident`), the
/// memory mapped beside jemalloc included; None when jemalloc's
/// statistics are unavailable.
pub fn jemalloc_stats() -> Option<(u64, u64)> {
    tikv_jemalloc_ctl::epoch::advance().ok()?;
    let beside = MAPPED_BESIDE.load(Ordering::Relaxed);
    let allocated = tikv_jemalloc_ctl::stats::allocated::read().ok()? as u64;
    let resident = tikv_jemalloc_ctl::stats::resident::read().ok()? as u64;
    Some((allocated + beside, resident + beside))
}

/// The smallest jemalloc size class (4 KiB pages, 16-byte quantum) that
/// holds `size` bytes: multiples of 16 up to 128, then four classes per
/// doubling. What an allocation of `size` bytes really takes.
pub fn size_class(size: usize) -> usize {
    if size <= 128 {
        return size.max(1).div_ceil(16) * 16;
    }
    let step = 1usize << (usize::BITS - (size - 1).leading_zeros() - 3);
    size.div_ceil(step) * step
}

/// What jemalloc holds for this process, as `MEMORY STATS` and `INFO
/// memory` report it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocatorFigures {
    /// Bytes handed out and not freed (`stats.allocated`).
    pub allocated: u64,
    /// Bytes in active pages (`stats.active`): allocated plus the free
    /// space inside pages in use.
    pub active: u64,
    /// Bytes of physical memory jemalloc holds (`stats.resident`).
    pub resident: u64,
}

/// jemalloc's figures now, the memory mapped beside it included (see
/// [`mapped_beside`]); `None` when its statistics are unavailable.
pub fn allocator_figures() -> Option<AllocatorFigures> {
    tikv_jemalloc_ctl::epoch::advance().ok()?;
    let beside = MAPPED_BESIDE.load(Ordering::Relaxed);
    Some(AllocatorFigures {
        allocated: tikv_jemalloc_ctl::stats::allocated::read().ok()? as u64 + beside,
        active: tikv_jemalloc_ctl::stats::active::read().ok()? as u64 + beside,
        resident: tikv_jemalloc_ctl::stats::resident::read().ok()? as u64 + beside,
    })
}

/// jemalloc's own statistics report for this process (`malloc_stats_print`,
/// as `MEMORY MALLOC-STATS` shows it), or why there is none.
pub fn malloc_stats_text() -> String {
    let mut out = Vec::new();
    match tikv_jemalloc_ctl::stats_print::stats_print(&mut out, Default::default()) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => format!("jemalloc statistics unavailable: {e}\n"),
    }
}

/// Returns every arena's unused dirty pages to the system now (jemalloc's
/// `arena.<all>.purge`, what Redis's `MEMORY PURGE` asks for); false if
/// jemalloc refused.
pub fn purge() -> bool {
    // MALLCTL_ARENAS_ALL: the pseudo-index naming every arena.
    void_ctl(c"arena.4096.purge")
}

/// Runs the jemalloc control `name`, one that takes and gives no value;
/// false if jemalloc refused.
fn void_ctl(name: &std::ffi::CStr) -> bool {
    // SAFETY: a NUL-terminated name of a void mallctl: no old or new value.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        )
    };
    rc == 0
}

/// Returns the regions this thread's jemalloc cache holds to their slabs
/// (`thread.tcache.flush`); false if jemalloc refused. Freed regions wait
/// in the cache (up to 200 of each size class) until allocations cycle
/// them; after a defragmentation step freed many arenas, the cached ones
/// are scattered over slabs they would keep from emptying while the
/// thread allocates nothing (1M strings over two shards: about 5 bytes a
/// key of slabs held for a few hundred cached regions).
pub fn flush_thread_cache() -> bool {
    void_ctl(c"thread.tcache.flush")
}

/// Resident memory of this process, from `/proc/self/statm` (0 if unknown).
pub fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_is_taken() {
        let v = vec![1u8; 4 << 20];
        drop(v);
        assert!(super::purge());
    }

    #[test]
    fn the_thread_cache_flush_is_taken() {
        drop(vec![1u8; 300]);
        assert!(super::flush_thread_cache());
    }

    #[test]
    fn rss_is_read() {
        assert!(super::rss_bytes() > 0);
    }

    #[test]
    fn malloc_stats_never_fail_to_answer() {
        assert!(!super::malloc_stats_text().is_empty());
    }
}
