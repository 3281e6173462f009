//! `common::alloc::defrag` in a process whose global allocator is
//! jemalloc (unit tests run on the system allocator, where nothing moves).
//! One test only: jemalloc's bins are the process's, and another test's
//! allocations beside it would blur the figures.

use common::alloc::{allocator_figures, defrag};

#[global_allocator]
static ALLOC: common::alloc::CountingJemalloc = common::alloc::CountingJemalloc;

/// Returns this thread's cached free regions to their slabs, so that the
/// figures and the slabs' use are jemalloc's settled view.
fn flush_thread_cache() {
    assert!(common::alloc::flush_thread_cache());
}

fn active_bytes() -> u64 {
    flush_thread_cache();
    allocator_figures().expect("jemalloc statistics").active
}

#[test]
fn buffers_left_in_sparse_slabs_move_together_and_the_slabs_empty() {
    assert!(defrag::jemalloc_is_global());
    // 3,000-byte buffers take 3,072-byte regions, four to a 12 KiB slab.
    const N: usize = 4_000;
    let mut bufs: Vec<Vec<u8>> = (0..N)
        .map(|i| {
            let mut v = Vec::with_capacity(3_000);
            v.extend((0..2_999).map(|j| (i + j) as u8));
            v
        })
        .collect();
    let full = active_bytes();
    // Keep one buffer in four: every slab is left a quarter used.
    let mut kept: Vec<(usize, Vec<u8>)> = bufs
        .drain(..)
        .enumerate()
        .filter(|(i, _)| i % 4 == 0)
        .collect();
    let sparse = active_bytes();
    assert!(
        sparse + (N as u64 * 3_072) / 2 > full,
        "freeing 3 of 4 regions in place gave back at most what emptied \
         slabs held: {full} -> {sparse}"
    );

    let mut moved = 0;
    for (_, v) in &mut kept {
        moved += usize::from(defrag::move_if_sparse(v));
    }
    let packed = active_bytes();
    assert!(moved >= kept.len() / 2, "moved {moved} of {}", kept.len());
    // 1,000 regions fit in 250 slabs (3 MiB); at the start they took ~1,000.
    assert!(
        packed + (kept.len() as u64 * 3_072) <= sparse,
        "slabs emptied: {sparse} -> {packed} active bytes"
    );
    // Every buffer kept its bytes, length and capacity.
    for (i, v) in &kept {
        assert_eq!(v.len(), 2_999);
        assert_eq!(v.capacity(), 3_000);
        assert!(v.iter().enumerate().all(|(j, &b)| b == (i + j) as u8));
    }
    // Once packed, nothing is worth moving again.
    let again: usize = kept
        .iter_mut()
        .map(|(_, v)| usize::from(defrag::move_if_sparse(v)))
        .sum();
    assert!(again <= kept.len() / 8, "moved again: {again}");
}
