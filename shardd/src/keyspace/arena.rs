//! A slot's arena: one block of bytes holding the slot's entries from its
//! start (`store.rs` packs them) and, at its very end, the slot's list of
//! tags and offsets while it has few keys (`offsets.rs`, `Tiny`).
//!
//! Why one block: the block is sized to an allocator class, so past the
//! entries there is room the class's rounding leaves (about a tenth of the
//! block on average). A list of its own cost 3 bytes a key in a second
//! block, rounded again; at the end of the arena it usually fits in that
//! room for nothing, and when it does not, the arena grows one class as
//! it would for an entry.
//!
//! Layout of a block of `capacity()` bytes:
//!
//! ```text
//! entries [0, len) | room | tail [capacity - tail_len, capacity)
//! ```
//!
//! Every byte of the block is initialised (a new block is zero-filled past
//! what is copied in), so the room and the tail are plain slices. Entries
//! only ever grow into the room: a write that does not fit moves the
//! entries and the tail into a block one size class up.
//!
//! The block is either the allocator's (sized to a class, as above) or,
//! once active defragmentation packed the arena, a packed block of its
//! exact size (to 16 bytes) in a chunk of the pack heap (`pack.rs`): no
//! room to speak of, so the next write that needs room moves it into an
//! allocator class again.

use std::ops::{Deref, DerefMut, Range};

use common::alloc::size_class;

use super::pack::{self, Block};

/// Room a packed arena must have (its entries cut short) for packing to
/// move it again (`pack.rs`): a copy buys these bytes at least.
pub const PACK_MIN_ROOM: usize = 64;

/// A slot's entries and, at the end of the same block, its tail (see the
/// module docs).
#[derive(Default)]
pub struct Arena {
    buf: Block,
    /// Bytes of entries, from the start.
    len: usize,
    /// Bytes at the end of the block that the tail holds.
    tail: usize,
}

impl Arena {
    /// An empty arena in a block of exactly `cap` bytes (callers pass an
    /// allocator class) with a zeroed tail of `tail` bytes.
    pub fn with_capacity(cap: usize, tail: usize) -> Arena {
        debug_assert!(tail <= cap);
        Arena {
            buf: Block::boxed(vec![0; cap].into_boxed_slice()),
            len: 0,
            tail,
        }
    }

    /// Bytes of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Bytes of the block.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes of the tail.
    pub fn tail_len(&self) -> usize {
        self.tail
    }

    /// Free bytes between the entries and the tail.
    pub fn room(&self) -> usize {
        self.buf.len() - self.len - self.tail
    }

    /// The tail.
    pub fn tail(&self) -> &[u8] {
        &self.buf[self.buf.len() - self.tail..]
    }

    /// The tail, for change.
    pub fn tail_mut(&mut self) -> &mut [u8] {
        let start = self.buf.len() - self.tail;
        &mut self.buf[start..]
    }

    /// Makes room for at least `need` more bytes of entries, growing the
    /// block by at least one allocator class (jemalloc's classes are a
    /// quarter of a power of two apart) to exactly a class, so the block
    /// holds no hidden rounding and the slack stays small.
    pub fn reserve(&mut self, need: usize) {
        if self.room() >= need {
            return;
        }
        let cap = size_class((self.len + self.tail + need).max(self.buf.len() + 1));
        self.regrow(cap, self.tail);
    }

    /// Moves the entries into a block of `cap` bytes with a tail of `tail`
    /// bytes, the old tail's bytes at the tail's start (zeros after them).
    fn regrow(&mut self, cap: usize, tail: usize) {
        debug_assert!(self.len + tail <= cap);
        let mut fresh = Vec::with_capacity(cap);
        fresh.extend_from_slice(&self.buf[..self.len]);
        fresh.resize(cap - tail, 0);
        fresh.extend_from_slice(&self.tail()[..self.tail.min(tail)]);
        fresh.resize(cap, 0);
        // `with_capacity` of bytes allocates exactly `cap`, and the length
        // is `cap`: the conversion does not reallocate.
        self.buf = Block::boxed(fresh.into_boxed_slice());
        self.tail = tail;
    }

    /// Makes the tail `tail` bytes long: its first bytes (as many as both
    /// lengths hold) stay its first bytes, and bytes it gains are zero. It
    /// grows into the room, or moves everything one class up when the
    /// room is short; a tail given back becomes room.
    pub fn set_tail(&mut self, tail: usize) {
        let cap = self.buf.len();
        let (old_start, new_start) = (cap - self.tail, cap.saturating_sub(tail));
        if tail <= self.tail {
            self.buf.copy_within(old_start..old_start + tail, new_start);
            self.tail = tail;
            if self.len == 0 && tail == 0 {
                self.buf = Block::default();
            }
        } else if self.len + tail <= cap {
            self.buf.copy_within(old_start..cap, new_start);
            self.buf[new_start + self.tail..].fill(0);
            self.tail = tail;
        } else {
            self.regrow(size_class((self.len + tail).max(cap + 1)), tail);
        }
    }

    /// Appends a byte.
    pub fn push(&mut self, b: u8) {
        self.reserve(1);
        self.buf[self.len] = b;
        self.len += 1;
    }

    /// Appends `bytes`.
    pub fn extend_from_slice(&mut self, bytes: &[u8]) {
        self.reserve(bytes.len());
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// Appends a copy of the entries' bytes in `range`.
    pub fn extend_from_within(&mut self, range: Range<usize>) {
        assert!(range.start <= range.end && range.end <= self.len);
        let n = range.end - range.start;
        self.reserve(n);
        self.buf.copy_within(range, self.len);
        self.len += n;
    }

    /// Appends `n` zero bytes and returns them, to be written in place.
    pub fn extend_zeroed(&mut self, n: usize) -> &mut [u8] {
        self.reserve(n);
        let at = self.len;
        self.len += n;
        let field = &mut self.buf[at..at + n];
        field.fill(0);
        field
    }

    /// Cuts the entries to `len` bytes (no effect if they are shorter).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Moves the entries and the tail into a packed block of their size
    /// (`pack.rs`) when that gives bytes back: a block from the allocator
    /// always (its class's rounding, and its region in the allocator's
    /// slab, which empties the slabs an arena outgrew), a packed one with
    /// at least [`PACK_MIN_ROOM`] of room or in a sparse chunk. True if it
    /// moved.
    pub fn pack(&mut self) -> bool {
        let need = self.len + self.tail;
        if !self.packing_gives_room() && !self.buf.packed_in_sparse_chunk() {
            return false;
        }
        let Some(mut fresh) = Block::packed(need) else {
            return false;
        };
        let cap = fresh.len();
        fresh[..self.len].copy_from_slice(&self.buf[..self.len]);
        fresh[cap - self.tail..].copy_from_slice(self.tail());
        self.buf = fresh;
        true
    }

    /// The room `pack` would give back: a block from the allocator's
    /// whole room, a packed block's if at least [`PACK_MIN_ROOM`] (a
    /// sparse chunk's free bytes are counted by the pack heap).
    pub fn packable_room(&self) -> usize {
        if self.packing_gives_room() {
            self.room()
        } else {
            0
        }
    }

    /// Whether packing moves the arena for its room (see `pack`): it has
    /// bytes, fits a packed block, and its block is the allocator's or a
    /// packed one with at least [`PACK_MIN_ROOM`] of room.
    fn packing_gives_room(&self) -> bool {
        let need = self.len + self.tail;
        need > 0
            && need <= pack::MAX_BLOCK
            && (!self.buf.is_packed() || self.room() >= PACK_MIN_ROOM)
    }

    /// Moves the block out of a sparsely used allocator slab
    /// (`common::alloc::defrag`), tail and all; true if it moved. A packed
    /// block stays (`pack` moves those).
    pub fn defrag(&mut self) -> bool {
        if self.buf.is_packed() {
            return false;
        }
        // While the block is out, the arena is empty: the unchecked view
        // of the entries never outruns the block, even on a panic.
        let (len, tail) = (
            std::mem::take(&mut self.len),
            std::mem::take(&mut self.tail),
        );
        let moved = match std::mem::take(&mut self.buf).into_box() {
            Ok(b) => {
                let mut v = b.into_vec();
                let moved = common::alloc::defrag::move_if_sparse(&mut v);
                // The vector's length is its capacity (a whole block,
                // moved or not): the conversion does not reallocate.
                self.buf = Block::boxed(v.into_boxed_slice());
                moved
            }
            Err(packed) => {
                self.buf = packed;
                false
            }
        };
        (self.len, self.tail) = (len, tail);
        moved
    }
}

impl Deref for Arena {
    type Target = [u8];

    /// The entries.
    #[inline]
    fn deref(&self) -> &[u8] {
        debug_assert!(self.len <= self.buf.len());
        // SAFETY: every method keeps `len + tail <= buf.len()`; this is on
        // every lookup's path, where a bounds check costs a few percent.
        unsafe { self.buf.get_unchecked(..self.len) }
    }
}

impl DerefMut for Arena {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        debug_assert!(self.len <= self.buf.len());
        // SAFETY: as in `deref`.
        unsafe { self.buf.get_unchecked_mut(..self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_grow_past_the_tail_and_the_tail_moves_with_the_block() {
        let mut a = Arena::default();
        assert_eq!((a.len(), a.capacity(), a.tail_len()), (0, 0, 0));
        a.set_tail(6);
        a.tail_mut().copy_from_slice(b"abcdef");
        let mut want = Vec::new();
        for i in 0..500u32 {
            let b = i.to_le_bytes();
            a.extend_from_slice(&b[..3]);
            want.extend_from_slice(&b[..3]);
            assert_eq!(&a[..], &want[..]);
            assert_eq!(a.tail(), b"abcdef");
            assert_eq!(a.capacity(), size_class(a.capacity()), "a block is a class");
            assert!(a.len() + a.tail_len() <= a.capacity());
        }
        // The tail grows into the room or moves the block up a class; its
        // first bytes stay first, the new ones are zero.
        let before = a.capacity();
        a.set_tail(6 + a.room());
        assert_eq!(a.capacity(), before);
        assert_eq!(&a.tail()[..6], b"abcdef");
        assert!(a.tail()[6..].iter().all(|&b| b == 0));
        assert_eq!(a.room(), 0);
        a.set_tail(a.tail_len() + 1);
        assert!(a.capacity() > before);
        assert_eq!(&a.tail()[..6], b"abcdef");
        assert_eq!(&a[..], &want[..]);
        // Shrinking keeps its first bytes.
        a.set_tail(4);
        assert_eq!(a.tail(), b"abcd");
        a.extend_from_within(3..9);
        want.extend_from_within(3..9);
        a.push(7);
        want.push(7);
        a.extend_zeroed(8).copy_from_slice(b"12345678");
        want.extend_from_slice(b"12345678");
        assert_eq!(&a[..], &want[..]);
        assert_eq!(a.tail(), b"abcd");
        a.truncate(10);
        assert_eq!(&a[..], &want[..10]);
        a.truncate(0);
        a.set_tail(0);
        assert_eq!(a.capacity(), 0, "an empty arena gives its block back");
    }

    #[test]
    fn a_packed_arena_keeps_its_bytes_and_grows_out_of_its_block() {
        use proptest::{collection::vec, prelude::*, test_runner::TestRunner};
        // Operations: append n bytes, set the tail, truncate, pack.
        let op = (0u8..4, 0usize..700);
        TestRunner::default()
            .run(&vec(op, 1..120), |ops| {
                let (mut a, mut want, mut tail) = (Arena::default(), Vec::new(), Vec::new());
                for (i, (kind, n)) in ops.into_iter().enumerate() {
                    match kind {
                        0 => {
                            let bytes: Vec<u8> = (0..n).map(|j| (i + j) as u8).collect();
                            a.extend_from_slice(&bytes);
                            want.extend_from_slice(&bytes);
                        }
                        1 => {
                            let n = n % 40;
                            a.set_tail(n);
                            tail.resize(n, 0);
                            a.tail_mut()[..1.min(n)].fill(i as u8);
                            tail[..1.min(n)].fill(i as u8);
                        }
                        2 => {
                            a.truncate(n);
                            want.truncate(n);
                        }
                        _ => {
                            let (room, need) = (a.room(), a.len() + a.tail_len());
                            let was_packed = a.buf.is_packed();
                            let moved = a.pack();
                            let fits = need > 0 && need <= pack::MAX_BLOCK;
                            if !was_packed || room >= PACK_MIN_ROOM {
                                prop_assert_eq!(moved, fits);
                            }
                            // (A packed arena with little room moves only
                            // if its chunk is sparse, which other tests'
                            // blocks decide.)
                            if moved {
                                prop_assert!(a.buf.is_packed());
                                prop_assert!(a.room() < pack::ALIGN);
                                prop_assert_eq!(a.capacity() % pack::ALIGN, 0);
                            }
                        }
                    }
                    prop_assert_eq!(&a[..], &want[..]);
                    prop_assert_eq!(a.tail(), &tail[..]);
                    prop_assert!(a.len() + a.tail_len() <= a.capacity());
                    if !a.buf.is_packed() && a.capacity() > 0 {
                        prop_assert_eq!(a.capacity(), size_class(a.capacity()));
                    }
                }
                Ok(())
            })
            .expect("the arena matches its model");
    }
}
