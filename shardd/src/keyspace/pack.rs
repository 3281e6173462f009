//! A slot arena's block (`arena.rs`), and the chunks idle arenas are packed
//! into at their exact size.
//!
//! Why: a block from the allocator is rounded up to a size class, and
//! jemalloc's classes are a quarter of a power of two apart (512 bytes
//! between 2 and 4 KiB), so an arena keeps half a class step of room past
//! its bytes on average: 5.7 of the 65 resident bytes of a 16-byte key
//! with a 32-byte value at 1M keys. The room pays for itself while a slot
//! grows (one copy per class, not per key); once a slot is idle it is
//! waste. Active defragmentation (`defrag.rs`) therefore moves an arena
//! with room into a packed block: `len + tail` bytes rounded to
//! [`ALIGN`], taken by bumping a pointer in a [`CHUNK_BYTES`] chunk of the
//! process's pack heap. A write that needs room moves the arena out
//! again, into an allocator class as before (`Arena::reserve`), and its
//! packed block becomes a hole.
//!
//! A chunk is never reused piecemeal: its holes come back when the chunk
//! has no block left and is unmapped whole. A chunk whose
//! live bytes fall under [`SPARSE_PERCENT`] of what was cut from it is
//! sparse, and the defragmentation pass packs its arenas again, into the
//! current chunk, until it empties. The only allocations here are whole
//! chunks, each a mapping of its own; a block's header is nothing (its chunk's number is in the
//! `Block`, its size is the arena's capacity).
//!
//! One heap per process, behind a mutex: a shard's keyspace is used by one
//! thread, so the lock is never contended there (unit tests run many
//! keyspaces on many threads, and may drop them anywhere). It is taken
//! only when a block is packed or freed, never on a lookup.

use std::{
    ops::{Deref, DerefMut},
    ptr::NonNull,
    sync::{Mutex, MutexGuard},
};

/// Bytes of a chunk: a mapping of its own (`mmap`), page-granular, so
/// nothing rounds it and its pages not yet cut cost no memory. (From
/// jemalloc, a 256 KiB allocation takes a page more: its large
/// allocations are padded for cache colouring.) The process's allocator
/// figures count chunks as allocated (`common::alloc::mapped_beside`).
pub const CHUNK_BYTES: usize = 256 << 10;
/// A packed block's size is a multiple of this (and so is its address).
pub const ALIGN: usize = 16;
/// The largest block packed; a larger arena stays in an allocator class
/// (its relative rounding is the same, but a chunk would hold few).
pub const MAX_BLOCK: usize = CHUNK_BYTES / 8;
/// A chunk (not the current one) with fewer live bytes than this percent
/// of the bytes cut from it is sparse: its arenas are packed again.
pub const SPARSE_PERCENT: usize = 75;

/// The `chunk` of a block from the allocator.
const BOXED: u32 = u32::MAX;

/// A block of initialised bytes: a boxed slice from the global allocator,
/// or a packed block in a chunk of the pack heap.
pub struct Block {
    ptr: NonNull<u8>,
    len: usize,
    chunk: u32,
}

// SAFETY: a `Block` owns its bytes as a `Box<[u8]>` does; the pack heap it
// may return them to is behind a mutex.
unsafe impl Send for Block {}
// SAFETY: shared access only reads the bytes.
unsafe impl Sync for Block {}

impl std::fmt::Debug for Block {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Block")
            .field("len", &self.len)
            .field("packed", &self.is_packed())
            .finish()
    }
}

impl Default for Block {
    fn default() -> Block {
        Block {
            ptr: NonNull::dangling(),
            len: 0,
            chunk: BOXED,
        }
    }
}

impl Block {
    /// A block from the allocator.
    pub fn boxed(b: Box<[u8]>) -> Block {
        let len = b.len();
        // SAFETY: `Box::into_raw` never gives a null pointer.
        let ptr = unsafe { NonNull::new_unchecked(Box::into_raw(b).cast::<u8>()) };
        Block {
            ptr,
            len,
            chunk: BOXED,
        }
    }

    /// A packed block of at least `len` bytes (rounded up to [`ALIGN`]),
    /// all zero; `None` if `len` is 0 or over [`MAX_BLOCK`], or if no
    /// chunk could be allocated.
    pub fn packed(len: usize) -> Option<Block> {
        let (ptr, len, chunk) = heap().alloc(len)?;
        // SAFETY: `len` bytes of a chunk, cut for this block alone.
        unsafe { ptr.as_ptr().write_bytes(0, len) };
        Some(Block { ptr, len, chunk })
    }

    /// Whether the block is packed, and in a sparse chunk.
    pub fn packed_in_sparse_chunk(&self) -> bool {
        self.chunk != BOXED && heap().sparse(self.chunk)
    }

    /// Whether the block is packed.
    pub fn is_packed(&self) -> bool {
        self.chunk != BOXED
    }

    /// The boxed slice of a block from the allocator; a packed block back.
    pub fn into_box(self) -> Result<Box<[u8]>, Block> {
        if self.chunk != BOXED {
            return Err(self);
        }
        let this = std::mem::ManuallyDrop::new(self);
        let raw = std::ptr::slice_from_raw_parts_mut(this.ptr.as_ptr(), this.len);
        // SAFETY: a boxed block's pointer and length are those of the box
        // it was made from (a dangling pointer of length 0 is a valid empty
        // box), and `this` is not dropped.
        Ok(unsafe { Box::from_raw(raw) })
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        if self.chunk == BOXED {
            let raw = std::ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
            // SAFETY: as in `into_box`; the block is going away.
            drop(unsafe { Box::from_raw(raw) });
        } else {
            heap().free(self.chunk, self.len);
        }
    }
}

impl Deref for Block {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        // SAFETY: `len` initialised bytes the block owns (see `Block`).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl DerefMut for Block {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        // SAFETY: as in `deref`, and `&mut self` is the only access.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

/// The pack heap's figures (`INFO`'s `keyspace_entry_slack_bytes` counts
/// their free bytes as the arenas' slack).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Bytes of chunks held.
    pub held: usize,
    /// Bytes of live packed blocks.
    pub live: usize,
    /// Free bytes in sparse chunks: what a pass can give back.
    pub sparse_free: usize,
}

/// The process's pack heap's figures.
pub fn figures() -> Figures {
    heap().figures()
}

fn heap() -> MutexGuard<'static, Heap> {
    static HEAP: Mutex<Heap> = Mutex::new(Heap::new());
    // A panic while the heap was locked left its counts as they were at
    // some step of `alloc` or `free`, each of which only updates counts
    // after its allocation succeeded: usable as they are.
    HEAP.lock().unwrap_or_else(|e| e.into_inner())
}

struct Chunk {
    base: NonNull<u8>,
    /// Bytes cut from the chunk (the next block starts here).
    top: usize,
    /// Bytes of its live blocks.
    live: usize,
    /// Its live blocks.
    blocks: usize,
}

impl Chunk {
    fn sparse(&self) -> bool {
        self.live * 100 < self.top * SPARSE_PERCENT
    }
}

/// Chunks by number (a freed chunk's number is reused), and the current
/// one, which blocks are cut from.
struct Heap {
    chunks: Vec<Option<Chunk>>,
    current: Option<u32>,
    vacant: Vec<u32>,
}

// SAFETY: the chunks' memory is owned by the heap and only reached
// through it (or through the blocks cut from it, which own their bytes).
unsafe impl Send for Heap {}

impl Heap {
    const fn new() -> Heap {
        Heap {
            chunks: Vec::new(),
            current: None,
            vacant: Vec::new(),
        }
    }

    /// A fresh chunk's mapping (zero pages), or `None` if the system
    /// refused it (the arena then stays where it is).
    fn map() -> Option<NonNull<u8>> {
        // SAFETY: a new private anonymous mapping; no memory of ours is
        // touched.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                CHUNK_BYTES,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return None;
        }
        common::alloc::mapped_beside(CHUNK_BYTES);
        NonNull::new(p.cast::<u8>())
    }

    /// Gives a chunk's mapping back.
    ///
    /// # Safety
    ///
    /// `base` came from [`Heap::map`], and no block of it is used again.
    unsafe fn unmap(base: NonNull<u8>) {
        // SAFETY: the caller's promise; a failure (only for a bad range)
        // would leave the mapping, never touch other memory.
        unsafe { libc::munmap(base.as_ptr().cast(), CHUNK_BYTES) };
        common::alloc::unmapped_beside(CHUNK_BYTES);
    }

    fn alloc(&mut self, len: usize) -> Option<(NonNull<u8>, usize, u32)> {
        if len == 0 || len > MAX_BLOCK {
            return None;
        }
        let len = len.next_multiple_of(ALIGN);
        let fits = |h: &Heap, id: u32| {
            h.chunks[id as usize]
                .as_ref()
                .is_some_and(|c| c.top + len <= CHUNK_BYTES)
        };
        let id = match self.current {
            Some(id) if fits(self, id) => id,
            current => {
                let base = Self::map()?;
                let chunk = Chunk {
                    base,
                    top: 0,
                    live: 0,
                    blocks: 0,
                };
                let id = match self.vacant.pop() {
                    Some(id) => {
                        self.chunks[id as usize] = Some(chunk);
                        id
                    }
                    None => {
                        self.chunks.push(Some(chunk));
                        (self.chunks.len() - 1) as u32
                    }
                };
                self.current = Some(id);
                if let Some(old) = current {
                    self.release_if_empty(old);
                }
                id
            }
        };
        let c = self.chunks[id as usize].as_mut()?;
        // SAFETY: `top + len <= CHUNK_BYTES`: inside the chunk.
        let ptr = unsafe { NonNull::new_unchecked(c.base.as_ptr().add(c.top)) };
        c.top += len;
        c.live += len;
        c.blocks += 1;
        Some((ptr, len, id))
    }

    fn free(&mut self, id: u32, len: usize) {
        let Some(c) = self.chunks.get_mut(id as usize).and_then(Option::as_mut) else {
            debug_assert!(false, "a block of a chunk the heap does not hold");
            return;
        };
        c.live -= len;
        c.blocks -= 1;
        if self.current != Some(id) {
            self.release_if_empty(id);
        } else if c.blocks == 0 {
            // The current chunk, empty: cut from its start again.
            c.top = 0;
        }
    }

    /// Unmaps chunk `id` if no block is left in it.
    fn release_if_empty(&mut self, id: u32) {
        let slot = &mut self.chunks[id as usize];
        if slot.as_ref().is_some_and(|c| c.blocks == 0) {
            if let Some(c) = slot.take() {
                // SAFETY: mapped in `alloc`, and no block of it is left.
                unsafe { Self::unmap(c.base) };
                self.vacant.push(id);
            }
        }
    }

    fn sparse(&self, id: u32) -> bool {
        self.current != Some(id) && self.chunks[id as usize].as_ref().is_some_and(Chunk::sparse)
    }

    fn figures(&self) -> Figures {
        let mut f = Figures::default();
        for (id, c) in self.chunks.iter().enumerate() {
            let Some(c) = c else { continue };
            f.held += CHUNK_BYTES;
            f.live += c.live;
            if self.sparse(id as u32) {
                f.sparse_free += CHUNK_BYTES - c.live;
            }
        }
        f
    }
}

impl Drop for Heap {
    fn drop(&mut self) {
        for c in self.chunks.iter_mut().filter_map(Option::take) {
            // SAFETY: mapped in `alloc`; the heap (a test's own) goes
            // away with its chunks.
            unsafe { Self::unmap(c.base) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(h: &Heap) -> Vec<u32> {
        (0..h.chunks.len() as u32)
            .filter(|&i| h.chunks[i as usize].is_some())
            .collect()
    }

    #[test]
    fn blocks_are_cut_in_order_and_a_chunk_goes_back_when_its_last_block_does() {
        let mut h = Heap::new();
        assert!(h.alloc(0).is_none() && h.alloc(MAX_BLOCK + 1).is_none());
        let (p1, l1, c1) = h.alloc(20).expect("a block");
        let (p2, l2, c2) = h.alloc(16).expect("a block");
        assert_eq!((l1, l2, c1, c2), (32, 16, 0, 0));
        assert_eq!(p2.as_ptr() as usize - p1.as_ptr() as usize, 32);
        assert_eq!(p1.as_ptr() as usize % ALIGN, 0);
        // Fill the chunk: the next block opens a second one.
        let mut held = Vec::new();
        while h.chunks[0]
            .as_ref()
            .is_some_and(|c| c.top + MAX_BLOCK <= CHUNK_BYTES)
        {
            held.push(h.alloc(MAX_BLOCK).expect("a block"));
        }
        let (_, l3, c3) = h.alloc(MAX_BLOCK).expect("a block");
        assert_eq!((l3, c3, h.current), (MAX_BLOCK, 1, Some(1)));
        assert_eq!(ids(&h), vec![0, 1]);
        let f = h.figures();
        assert_eq!(f.held, 2 * CHUNK_BYTES);
        assert_eq!(f.live, 48 + MAX_BLOCK * (held.len() + 1));
        // Chunk 0 loses blocks: sparse past the threshold, then gone.
        h.free(c1, l1);
        h.free(c2, l2);
        assert!(!h.sparse(0), "still mostly live");
        let keep = held.pop().expect("blocks");
        for (_, l, c) in held {
            h.free(c, l);
        }
        assert!(h.sparse(0));
        assert_eq!(h.figures().sparse_free, CHUNK_BYTES - MAX_BLOCK);
        assert!(!h.sparse(1), "the current chunk is never sparse");
        h.free(keep.2, keep.1);
        assert_eq!(ids(&h), vec![1], "an empty chunk goes back");
        // Its number is reused; the current chunk stays while empty, cut
        // from its start again.
        h.free(c3, l3);
        assert_eq!(ids(&h), vec![1]);
        assert_eq!(h.chunks[1].as_ref().map(|c| c.top), Some(0));
        let mut n = 0;
        while h.current == Some(1) {
            h.alloc(MAX_BLOCK).expect("a block");
            n += 1;
        }
        assert_eq!(h.current, Some(0));
        assert_eq!(n, CHUNK_BYTES / MAX_BLOCK + 1);
        assert_eq!(h.figures().live, n * MAX_BLOCK);
    }

    #[test]
    fn a_block_is_zeroed_owns_its_bytes_and_gives_them_back() {
        let mut b = Block::packed(40).expect("a block");
        assert!(b.is_packed() && b.len() == 48);
        assert!(b.iter().all(|&x| x == 0));
        b[47] = 7;
        let boxed = Block::boxed(vec![1u8; 10].into_boxed_slice());
        assert_eq!(&boxed[..], &[1u8; 10]);
        let b = b.into_box().expect_err("packed");
        assert_eq!(b[47], 7);
        assert_eq!(&boxed.into_box().expect("boxed")[..], &[1u8; 10]);
        assert_eq!(Block::default().len(), 0);
        assert!(Block::default().into_box().is_ok());
    }
}
