//! Moving a buffer out of a sparsely used jemalloc slab: the step of
//! active defragmentation, as Redis takes it with its patched jemalloc.
//! Upstream jemalloc 5.3 answers Redis's question ("is this allocation
//! worth moving?") through `experimental.utilization.query`; this module
//! asks it and does the move.
//!
//! Why a shard needs it: its slot arenas (`shardd::keyspace::store`) grow
//! through jemalloc's size classes all at about the same pace, so a load
//! leaves the slabs of every class they passed through partly used (1M
//! strings over two shards: 14 of 81 resident bytes per key were free
//! regions inside slabs still holding a few arenas). Moving an arena
//! that sits in a slab less used than its bin's average, to a region
//! taken past the thread cache (so it comes from the slab jemalloc fills
//! next, the oldest not full), drains the sparse slabs until they are
//! empty and their pages go back to the system.
//!
//! Only a process whose global allocator is [`super::CountingJemalloc`]
//! moves anything: the buffers must have come from jemalloc, and a pointer
//! jemalloc does not know must never be queried.

use std::{ffi::c_void, mem::ManuallyDrop, ptr, sync::OnceLock};

use tikv_jemalloc_sys as je;

/// What jemalloc says about the slab an allocation sits in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SlabUse {
    /// Free regions in the allocation's slab.
    pub nfree: usize,
    /// Regions a slab of its size class has (1: a large allocation, not in
    /// a slab).
    pub nregs: usize,
    /// Free regions in all the slabs of its bin.
    pub bin_nfree: usize,
    /// Regions in all the slabs of its bin.
    pub bin_nregs: usize,
    /// Whether the allocation's slab is the one jemalloc allocates from
    /// next (moving out of it would land in it again).
    pub current: bool,
}

impl SlabUse {
    /// Whether moving the allocation helps its slab empty: the slab has
    /// room to lose (not full, and not a one-region slab), is not the one
    /// the move would land in, and is used no more than its bin's slabs
    /// on average. (At the average too: slabs all used alike, say 3
    /// regions of 4, still pack into fewer; moves stop once the slabs left
    /// not full are the one allocated from and those above the average.)
    pub fn worth_moving(&self) -> bool {
        if self.nregs <= 1 || self.nfree == 0 || self.current || self.bin_nregs == 0 {
            return false;
        }
        let used = (self.nregs - self.nfree) as u128;
        let bin_used = self.bin_nregs.saturating_sub(self.bin_nfree) as u128;
        used * (self.bin_nregs as u128) <= bin_used * (self.nregs as u128)
    }
}

/// `experimental.utilization.query`'s answer, in jemalloc's layout.
#[repr(C)]
struct Verbose {
    slabcur: *mut c_void,
    nfree: usize,
    nregs: usize,
    size: usize,
    bin_nfree: usize,
    bin_nregs: usize,
}

/// The query's name resolved once (a lookup by name parses the string).
fn query_mib() -> Option<&'static [usize]> {
    static MIB: OnceLock<Option<([usize; 4], usize)>> = OnceLock::new();
    MIB.get_or_init(|| {
        let mut mib = [0usize; 4];
        let mut len = mib.len();
        // SAFETY: a NUL-terminated name, and a buffer of `len` words.
        let rc = unsafe {
            je::mallctlnametomib(
                c"experimental.utilization.query".as_ptr(),
                mib.as_mut_ptr(),
                &mut len,
            )
        };
        (rc == 0).then_some((mib, len))
    })
    .as_ref()
    .map(|(mib, len)| &mib[..*len])
}

/// Whether this process allocates through jemalloc, so that its buffers
/// can be queried and moved: its global allocator is
/// [`super::CountingJemalloc`], which has counted allocations by the time
/// anything asks (nothing else calls it).
pub fn jemalloc_is_global() -> bool {
    !cfg!(miri) && super::allocations() > 0
}

/// jemalloc's view of the slab under `p`, a live allocation of this
/// process; `None` if the process does not allocate through jemalloc or
/// the query is unavailable.
pub fn slab_use(p: *const u8) -> Option<SlabUse> {
    if !jemalloc_is_global() || p.is_null() {
        return None;
    }
    let mib = query_mib()?;
    let mut out = Verbose {
        slabcur: ptr::null_mut(),
        nfree: 0,
        nregs: 0,
        size: 0,
        bin_nfree: 0,
        bin_nregs: 0,
    };
    let mut out_len = std::mem::size_of::<Verbose>();
    let mut input = p.cast::<c_void>().cast_mut();
    // SAFETY: the output is the struct of the documented size, the input
    // one pointer; `p` is a live jemalloc allocation (the global allocator
    // is jemalloc's), so jemalloc's lookup finds its extent.
    let rc = unsafe {
        je::mallctlbymib(
            mib.as_ptr(),
            mib.len(),
            (&mut out as *mut Verbose).cast(),
            &mut out_len,
            (&mut input as *mut *mut c_void).cast(),
            std::mem::size_of::<*mut c_void>(),
        )
    };
    if rc != 0 {
        return None;
    }
    let start = out.slabcur as usize;
    let at = p as usize;
    Some(SlabUse {
        nfree: out.nfree,
        nregs: out.nregs,
        bin_nfree: out.bin_nfree,
        bin_nregs: out.bin_nregs,
        current: start != 0 && at >= start && at < start.saturating_add(out.size),
    })
}

/// Moves `v`'s buffer (length and capacity kept) to a fresh region if its
/// slab is [worth leaving](SlabUse::worth_moving); returns whether it moved.
/// Both the new allocation and the release of the old one go past the
/// thread cache, so the new region comes from the slab jemalloc fills next
/// and the old one counts as free in its slab at once.
///
/// The bytes move as they are (`memcpy`), pointers stored in them
/// included: whatever they own is still owned once, by the new buffer.
pub fn move_if_sparse(v: &mut Vec<u8>) -> bool {
    let cap = v.capacity();
    if cap == 0 || !slab_use(v.as_ptr()).is_some_and(|u| u.worth_moving()) {
        return false;
    }
    // SAFETY: a plain allocation of `cap` bytes (alignment 1).
    let fresh = unsafe { je::mallocx(cap, je::MALLOCX_TCACHE_NONE) }.cast::<u8>();
    if fresh.is_null() {
        return false;
    }
    let len = v.len();
    // SAFETY: `fresh` has room for `cap >= len` bytes and does not overlap
    // `v`'s buffer.
    unsafe { ptr::copy_nonoverlapping(v.as_ptr(), fresh, len) };
    // SAFETY: `fresh` came from jemalloc, the global allocator (checked by
    // `slab_use`), with size `cap` and alignment 1: what a `Vec<u8>` of
    // capacity `cap` frees through it; `len` bytes are initialised.
    let old = std::mem::replace(v, unsafe { Vec::from_raw_parts(fresh, len, cap) });
    let mut old = ManuallyDrop::new(old);
    // SAFETY: the old buffer was allocated by the global allocator
    // (jemalloc) with size `cap`; its bytes now live in `v`, so it is
    // freed once and never dropped as a `Vec` (`ManuallyDrop`).
    unsafe { je::sdallocx(old.as_mut_ptr().cast(), cap, je::MALLOCX_TCACHE_NONE) };
    true
}

#[cfg(test)]
mod tests {
    use super::SlabUse;

    fn slab(nfree: usize, nregs: usize, bin_nfree: usize, bin_nregs: usize) -> SlabUse {
        SlabUse {
            nfree,
            nregs,
            bin_nfree,
            bin_nregs,
            current: false,
        }
    }

    #[test]
    fn only_slabs_below_their_bins_use_are_left() {
        // A bin of 4-region slabs, 10 slabs, 25 regions used (2.5 a slab).
        assert!(slab(3, 4, 15, 40).worth_moving(), "1 used < 2.5");
        assert!(slab(2, 4, 15, 40).worth_moving(), "2 used < 2.5");
        assert!(!slab(1, 4, 15, 40).worth_moving(), "3 used > 2.5");
        assert!(!slab(0, 4, 15, 40).worth_moving(), "full: nothing to gain");
        // Every slab used alike, half: they pack into half as many.
        assert!(slab(2, 4, 20, 40).worth_moving());
        // A large allocation, a one-region slab, the slab allocated from.
        assert!(!slab(0, 1, 0, 0).worth_moving());
        assert!(!SlabUse {
            current: true,
            ..slab(3, 4, 15, 40)
        }
        .worth_moving());
    }

    #[test]
    fn without_jemalloc_as_global_allocator_nothing_is_queried_or_moved() {
        // Unit tests run on the system allocator.
        let mut v = vec![7u8; 3000];
        assert_eq!(super::slab_use(v.as_ptr()), None);
        assert!(!super::move_if_sparse(&mut v));
        assert_eq!(v, vec![7u8; 3000]);
    }
}
