//! The list type: a deque of packed chunks, like Redis's quicklist.
//!
//! Elements are stored back to back in chunks of at most 8 KiB (Redis's
//! `list-max-listpack-size -2`; the value in force, [`ChunkLimit`]), each chunk one
//! byte buffer plus an array of end offsets, so an element costs its bytes
//! plus four. Both arrays keep room at both ends, so pushes and pops at
//! either end are amortized O(1) and move no other element (a listpack
//! moves its whole buffer on a head insert). Positional access walks chunks
//! from the nearer end, then indexes the chunk directly.
//!
//! A list that fits in one chunk is that chunk, inline (the `listpack`
//! encoding: 48 bytes plus its two exact-size buffers; a slot arena holds
//! a small one written out as one block instead, read through a
//! [`ListRef`]); once it needs more
//! it becomes a deque of chunks (`quicklist`), and goes back when it shrinks
//! to one chunk of at most half the limit, as Redis 7.2 does.

use std::collections::VecDeque;

mod view;

pub use view::ListRef;

use super::hash::{get_bytes, get_varint, put_bytes, put_varint};

/// Most bytes (payload plus per-element overhead) one chunk holds by
/// default (`list-max-listpack-size -2`), and always when the limit is a
/// count (Redis's `SIZE_SAFETY_LIMIT`); a single larger element gets a
/// chunk of its own.
pub const CHUNK_MAX_BYTES: usize = 8192;
/// Bookkeeping bytes counted per element against the limit (about what a
/// listpack entry header costs).
const ENTRY_OVERHEAD_BYTES: usize = 2;

/// How much one chunk holds: `list-max-listpack-size` in force, as Redis's
/// quicklist reads it (-1 to -5: 4 to 64 KiB, lower reads as -5; a
/// positive count, within [`CHUNK_MAX_BYTES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkLimit {
    /// At most this many bytes.
    Bytes(usize),
    /// At most this many elements.
    Count(usize),
}

impl ChunkLimit {
    /// The limit in force.
    pub fn current() -> ChunkLimit {
        Self::from_setting(crate::settings::encoding().list_max_listpack_size)
    }

    /// The limit `list-max-listpack-size` `n` sets.
    pub fn from_setting(n: i64) -> ChunkLimit {
        if n >= 0 {
            ChunkLimit::Count(usize::try_from(n).unwrap_or(usize::MAX))
        } else {
            ChunkLimit::Bytes(4096 << (n.unsigned_abs().min(5) - 1))
        }
    }

    /// Whether a chunk of `weight` bytes and `count` elements is over it.
    fn exceeded(self, weight: usize, count: usize) -> bool {
        match self {
            ChunkLimit::Bytes(b) => weight > b,
            ChunkLimit::Count(n) => weight > CHUNK_MAX_BYTES || count > n,
        }
    }

    /// Whether a lone chunk is small enough for the listpack form again
    /// (at most half the limit, as Redis 7.2).
    fn light(self, weight: usize, count: usize) -> bool {
        match self {
            ChunkLimit::Bytes(b) => weight <= b / 2,
            ChunkLimit::Count(n) => weight <= CHUNK_MAX_BYTES / 2 && count <= n / 2,
        }
    }
}

/// One end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The head (`LEFT`, index 0).
    Front,
    /// The tail (`RIGHT`, index -1).
    Back,
}

/// Elements back to back in one buffer, with room kept at both ends so a
/// push or pop at either end moves no other element (a listpack moves the
/// whole buffer on a head insert). The room is reclaimed when it outgrows
/// the data, so a queue (push one end, pop the other) stays bounded.
#[derive(Debug, Clone, Default)]
struct Chunk {
    /// The element bytes are `buf[head..]`; `buf[..head]` is room.
    buf: Vec<u8>,
    head: u32,
    /// `ends[first + i]` is where element `i` ends in `buf`; `ends[..first]`
    /// is room.
    ends: Vec<u32>,
    first: u32,
}

impl Chunk {
    fn len(&self) -> usize {
        self.ends.len() - self.first as usize
    }

    fn bytes(&self) -> usize {
        self.buf.len() - self.head as usize
    }

    fn weight(&self) -> usize {
        self.bytes() + self.len() * ENTRY_OVERHEAD_BYTES
    }

    fn fits(&self, elem: &[u8], limit: ChunkLimit) -> bool {
        self.len() == 0
            || !limit.exceeded(
                self.weight() + elem.len() + ENTRY_OVERHEAD_BYTES,
                self.len() + 1,
            )
    }

    fn over(&self, limit: ChunkLimit) -> bool {
        limit.exceeded(self.weight(), self.len())
    }

    fn start(&self, i: usize) -> usize {
        if i == 0 {
            self.head as usize
        } else {
            self.ends[self.first as usize + i - 1] as usize
        }
    }

    fn get(&self, i: usize) -> &[u8] {
        &self.buf[self.start(i)..self.ends[self.first as usize + i] as usize]
    }

    fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Moves the bytes so `front` bytes of room precede them and at least
    /// `back` follow.
    fn rebuild_bytes(&mut self, front: usize, back: usize) {
        let old = self.head as usize;
        let mut nb = Vec::with_capacity(front + self.bytes() + back);
        nb.resize(front, 0);
        nb.extend_from_slice(&self.buf[old..]);
        let first = self.first as usize;
        for e in &mut self.ends[first..] {
            *e = (*e as usize - old + front) as u32;
        }
        self.buf = nb;
        self.head = front as u32;
    }

    /// Moves the ends so `front` slots of room precede them and at least
    /// `back` follow.
    fn rebuild_ends(&mut self, front: usize, back: usize) {
        let mut ne = Vec::with_capacity(front + self.len() + back);
        ne.resize(front, 0);
        ne.extend_from_slice(&self.ends[self.first as usize..]);
        self.ends = ne;
        self.first = front as u32;
    }

    /// Makes room for an `n`-byte element at the front. Room grows by an
    /// eighth of the data, so pushes are amortized O(1) without doubling slack.
    fn room_front(&mut self, n: usize) {
        if (self.head as usize) < n {
            let (d, slack) = (self.bytes(), self.buf.capacity() - self.buf.len());
            self.rebuild_bytes(n.max(d / 8), slack.min(d / 8));
        }
        if self.first == 0 {
            let (l, slack) = (self.len(), self.ends.capacity() - self.ends.len());
            self.rebuild_ends((l / 8).max(1), slack.min(l / 8));
        }
    }

    /// Makes room for an `n`-byte element at the back (and in between).
    fn room_back(&mut self, n: usize) {
        if self.buf.capacity() - self.buf.len() < n {
            let d = self.bytes();
            self.rebuild_bytes((self.head as usize).min(d / 8), n.max(d / 8));
        }
        if self.ends.capacity() == self.ends.len() {
            let l = self.len();
            self.rebuild_ends((self.first as usize).min(l / 8), (l / 8).max(1));
        }
    }

    /// Gives room back once it is more than the data (plus a little).
    fn shrink_room(&mut self) {
        let d = self.bytes();
        if self.buf.capacity() > 2 * d + 64 {
            self.rebuild_bytes((self.head as usize).min(d / 8), d / 8);
        }
        let l = self.len();
        if self.ends.capacity() > 2 * l + 16 {
            self.rebuild_ends((self.first as usize).min(l / 8), l / 8);
        }
    }

    fn insert(&mut self, i: usize, elem: &[u8]) {
        let n = elem.len();
        if i == self.len() {
            self.room_back(n);
            self.buf.extend_from_slice(elem);
            self.ends.push(self.buf.len() as u32);
        } else if i == 0 {
            self.room_front(n);
            let end = self.head as usize;
            self.buf[end - n..end].copy_from_slice(elem);
            self.head = (end - n) as u32;
            self.first -= 1;
            self.ends[self.first as usize] = end as u32;
        } else {
            self.room_back(n);
            let at = self.start(i);
            self.buf.splice(at..at, elem.iter().copied());
            let k = self.first as usize + i;
            self.ends.insert(k, (at + n) as u32);
            self.ends[k + 1..].iter_mut().for_each(|e| *e += n as u32);
        }
    }

    fn remove_range(&mut self, from: usize, to: usize) {
        if from >= to {
            return;
        }
        let (len, first) = (self.len(), self.first as usize);
        if from == 0 && to == len {
            *self = Chunk::default();
            return;
        }
        if from == 0 {
            self.head = self.ends[first + to - 1];
            self.first += to as u32;
        } else if to == len {
            self.buf.truncate(self.start(from));
            self.ends.truncate(first + from);
        } else {
            let (a, b) = (self.start(from), self.ends[first + to - 1] as usize);
            self.buf.drain(a..b);
            self.ends.drain(first + from..first + to);
            let n = (b - a) as u32;
            self.ends[first + from..].iter_mut().for_each(|e| *e -= n);
        }
        self.shrink_room();
    }

    fn set(&mut self, i: usize, elem: &[u8]) {
        self.remove_range(i, i + 1);
        self.insert(i, elem);
    }

    fn split_off(&mut self, at: usize) -> Chunk {
        let mut tail = Chunk::default();
        for e in self.iter().skip(at) {
            tail.insert(tail.len(), e);
        }
        self.remove_range(at, self.len());
        tail
    }

    /// Keeps the elements for which `keep(index)` holds.
    fn retain(&mut self, mut keep: impl FnMut(usize) -> bool) {
        let mut out = Chunk::default();
        for (i, e) in self.iter().enumerate() {
            if keep(i) {
                out.insert(out.len(), e);
            }
        }
        *self = out;
    }
}

/// The two encodings. A small list is its one chunk, inline (no deque);
/// the `Box<ListObj>` is then 48 bytes plus the chunk's two buffers.
#[derive(Debug, Clone)]
enum Repr {
    /// One chunk within the limit: Redis's `listpack`.
    Small(Chunk),
    /// Chunks in order, none empty: Redis's `quicklist`.
    Quick(Box<Quick>),
}

#[derive(Debug, Clone, Default)]
struct Quick {
    chunks: VecDeque<Chunk>,
    len: usize,
}

impl Default for Repr {
    fn default() -> Self {
        Repr::Small(Chunk::default())
    }
}

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct ListObj {
    repr: Repr,
}

impl ListObj {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Small(c) => c.len(),
            Repr::Quick(q) => q.len,
        }
    }

    /// Whether the list has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The encoding name `OBJECT ENCODING` replies with.
    pub fn encoding(&self) -> &'static str {
        match self.repr {
            Repr::Small(_) => "listpack",
            Repr::Quick(_) => "quicklist",
        }
    }

    fn chunk_count(&self) -> usize {
        match &self.repr {
            Repr::Small(_) => 1,
            Repr::Quick(q) => q.chunks.len(),
        }
    }

    fn chunks(&self) -> impl DoubleEndedIterator<Item = &Chunk> {
        let (one, many) = match &self.repr {
            Repr::Small(c) => (Some(c), None),
            Repr::Quick(q) => (None, Some(&q.chunks)),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    fn chunk_mut(&mut self, ci: usize) -> &mut Chunk {
        match &mut self.repr {
            Repr::Small(c) => c,
            Repr::Quick(q) => &mut q.chunks[ci],
        }
    }

    /// Adds `delta` to the element count kept by the quicklist encoding
    /// (a small list counts its one chunk).
    fn grow_len(&mut self, delta: isize) {
        if let Repr::Quick(q) = &mut self.repr {
            q.len = q.len.wrapping_add_signed(delta);
        }
    }

    /// The quicklist form, converting a small list into one chunk of it.
    fn quick(&mut self) -> &mut Quick {
        if let Repr::Small(c) = &mut self.repr {
            let c = std::mem::take(c);
            let mut chunks = VecDeque::with_capacity(2);
            let len = c.len();
            chunks.push_back(c);
            self.repr = Repr::Quick(Box::new(Quick { chunks, len }));
        }
        match &mut self.repr {
            Repr::Quick(q) => q,
            Repr::Small(_) => unreachable!("converted above"),
        }
    }

    /// Moves between the encodings as Redis 7.2 does: to quicklist when the
    /// one chunk passes the limit, back when one chunk of at most half the
    /// limit remains.
    fn settle(&mut self) {
        let limit = ChunkLimit::current();
        match &mut self.repr {
            Repr::Small(c) if c.over(limit) => {
                self.quick();
                self.split_if_heavy(0);
            }
            Repr::Small(_) => {}
            Repr::Quick(q) => {
                let light = q
                    .chunks
                    .front()
                    .is_none_or(|c| limit.light(c.weight(), c.len()));
                if q.chunks.len() <= 1 && light {
                    let c = q.chunks.pop_front().unwrap_or_default();
                    self.repr = Repr::Small(c);
                }
            }
        }
    }

    /// Adds `elem` at `end`.
    pub fn push(&mut self, end: End, elem: &[u8]) {
        let limit = ChunkLimit::current();
        match &mut self.repr {
            Repr::Small(c) if c.fits(elem, limit) => match end {
                End::Front => c.insert(0, elem),
                End::Back => c.insert(c.len(), elem),
            },
            _ => {
                let q = self.quick();
                let fits = match end {
                    End::Front => q.chunks.front().is_some_and(|c| c.fits(elem, limit)),
                    End::Back => q.chunks.back().is_some_and(|c| c.fits(elem, limit)),
                };
                if !fits {
                    match end {
                        End::Front => q.chunks.push_front(Chunk::default()),
                        End::Back => q.chunks.push_back(Chunk::default()),
                    }
                }
                match end {
                    End::Front => q.chunks.front_mut().map(|c| c.insert(0, elem)),
                    End::Back => q.chunks.back_mut().map(|c| c.insert(c.len(), elem)),
                };
                q.len += 1;
            }
        }
        self.settle();
    }

    /// The element at `end`, if any.
    pub fn peek(&self, end: End) -> Option<&[u8]> {
        let c = match end {
            End::Front => self.chunks().next()?,
            End::Back => self.chunks().next_back()?,
        };
        match end {
            End::Front => c.iter().next(),
            End::Back => c.iter().next_back(),
        }
    }

    /// Removes and returns the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let v = self.peek(end)?.to_vec();
        self.discard(end, 1);
        Some(v)
    }

    /// Removes up to `n` elements at `end`; returns how many it removed.
    pub fn discard(&mut self, end: End, n: usize) -> usize {
        let removed = n.min(self.len());
        match &mut self.repr {
            Repr::Small(c) => match end {
                End::Front => c.remove_range(0, removed),
                End::Back => c.remove_range(c.len() - removed, c.len()),
            },
            Repr::Quick(q) => {
                discard_chunks(&mut q.chunks, end, removed);
                q.len -= removed;
            }
        }
        self.settle();
        removed
    }

    /// Which chunk holds element `i` (< len), and where in it.
    fn locate(&self, i: usize) -> (usize, usize) {
        debug_assert!(i < self.len());
        if i < self.len() / 2 {
            let mut i = i;
            for (ci, c) in self.chunks().enumerate() {
                if i < c.len() {
                    return (ci, i);
                }
                i -= c.len();
            }
        } else {
            let mut from_end = self.len() - i;
            let n = self.chunk_count();
            for (k, c) in self.chunks().rev().enumerate() {
                if from_end <= c.len() {
                    return (n - 1 - k, c.len() - from_end);
                }
                from_end -= c.len();
            }
        }
        (0, 0)
    }

    /// The element at position `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len() {
            return None;
        }
        let (ci, off) = self.locate(i);
        self.chunks().nth(ci).map(|c| c.get(off))
    }

    /// Replaces the element at `i`; false if `i` is out of range.
    pub fn set(&mut self, i: usize, elem: &[u8]) -> bool {
        if i >= self.len() {
            return false;
        }
        let (ci, off) = self.locate(i);
        self.chunk_mut(ci).set(off, elem);
        self.split_if_heavy(ci);
        self.settle();
        true
    }

    /// Inserts `elem` so it ends up at position `i` (`i <= len`).
    pub fn insert(&mut self, i: usize, elem: &[u8]) {
        if i >= self.len() {
            return self.push(End::Back, elem);
        }
        if i == 0 {
            return self.push(End::Front, elem);
        }
        let (ci, off) = self.locate(i);
        self.chunk_mut(ci).insert(off, elem);
        self.grow_len(1);
        self.split_if_heavy(ci);
        self.settle();
    }

    /// Splits a quicklist chunk that grew past the limit (a small list's
    /// chunk is handled by [`ListObj::settle`]).
    fn split_if_heavy(&mut self, ci: usize) {
        if let Repr::Quick(q) = &mut self.repr {
            let c = &mut q.chunks[ci];
            if c.over(ChunkLimit::current()) && c.len() > 1 {
                let tail = c.split_off(c.len() / 2);
                q.chunks.insert(ci + 1, tail);
            }
        }
    }

    /// Removes the element at `i`; false if out of range.
    pub fn remove(&mut self, i: usize) -> bool {
        if i >= self.len() {
            return false;
        }
        let (ci, off) = self.locate(i);
        self.chunk_mut(ci).remove_range(off, off + 1);
        if let Repr::Quick(q) = &mut self.repr {
            q.len -= 1;
            if q.chunks[ci].len() == 0 {
                q.chunks.remove(ci);
            }
        }
        self.settle();
        true
    }

    /// Keeps only positions `start..=end` (already clamped by the caller);
    /// an empty range (`start > end`) empties the list.
    pub fn trim(&mut self, start: usize, end: usize) {
        let len = self.len();
        if start > end || start >= len {
            self.discard(End::Front, len);
            return;
        }
        let back = len - 1 - end.min(len - 1);
        self.discard(End::Back, back);
        self.discard(End::Front, start);
    }

    /// Removes up to `limit` elements equal to `elem` (0 = all), scanning
    /// from `from`; returns how many it removed.
    pub fn remove_eq(&mut self, elem: &[u8], from: End, limit: usize) -> usize {
        let mut left = if limit == 0 { usize::MAX } else { limit };
        let mut removed = 0;
        let n = self.chunk_count();
        for k in 0..n {
            if left == 0 {
                break;
            }
            let ci = if from == End::Front { k } else { n - 1 - k };
            let c = self.chunk_mut(ci);
            let mut hits: Vec<usize> = (0..c.len()).filter(|&i| c.get(i) == elem).collect();
            if from == End::Back {
                hits.reverse();
            }
            hits.truncate(left);
            if !hits.is_empty() {
                left -= hits.len();
                removed += hits.len();
                c.retain(|i| !hits.contains(&i));
            }
        }
        if let Repr::Quick(q) = &mut self.repr {
            q.chunks.retain(|c| c.len() > 0);
            q.len -= removed;
        }
        self.settle();
        removed
    }

    /// Every element, head to tail (reversible).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &[u8]> {
        self.chunks().flat_map(Chunk::iter)
    }

    /// Elements from position `i` on, head to tail, without walking the
    /// chunks before `i` element by element.
    pub fn iter_from(&self, i: usize) -> impl Iterator<Item = &[u8]> {
        let (ci, off) = if i < self.len() {
            self.locate(i)
        } else {
            (self.chunk_count(), 0)
        };
        self.chunks()
            .skip(ci)
            .enumerate()
            .flat_map(move |(k, c)| c.iter().skip(if k == 0 { off } else { 0 }))
    }

    /// Elements at positions `start..=end` (clamped to the list), head to tail.
    pub fn range(&self, start: usize, end: usize) -> impl Iterator<Item = &[u8]> {
        let n = end.saturating_add(1).min(self.len()).saturating_sub(start);
        self.iter_from(start).take(n)
    }

    /// Serializes as `[varint n]` then `n` length-prefixed elements.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_varint(out, self.len() as u64);
        for e in self.iter() {
            put_bytes(out, e);
        }
    }

    /// Parses [`ListObj::encode`]'s output; `None` on any malformed input
    /// (truncated, trailing bytes, empty list).
    pub fn decode(buf: &[u8]) -> Option<Self> {
        let mut pos = 0;
        let n = get_varint(buf, &mut pos)?;
        let mut l = ListObj::new();
        for _ in 0..n {
            l.push(End::Back, get_bytes(buf, &mut pos)?);
        }
        (pos == buf.len() && !l.is_empty()).then_some(l)
    }
}

/// Removes `n` (at most all) elements at `end` of a chunk deque, dropping
/// chunks that empty.
fn discard_chunks(chunks: &mut VecDeque<Chunk>, end: End, mut n: usize) {
    while n > 0 {
        let c = match end {
            End::Front => chunks.front_mut(),
            End::Back => chunks.back_mut(),
        };
        let Some(c) = c else { break };
        let k = n.min(c.len());
        match end {
            End::Front => c.remove_range(0, k),
            End::Back => c.remove_range(c.len() - k, c.len()),
        }
        if c.len() == 0 {
            match end {
                End::Front => chunks.pop_front(),
                End::Back => chunks.pop_back(),
            };
        }
        n -= k;
    }
}

impl Chunk {
    /// Bytes the chunk's two buffers allocate.
    fn heap_bytes(&self) -> usize {
        super::alloc_size(self.buf.capacity())
            + super::alloc_size(self.ends.capacity() * std::mem::size_of::<u32>())
    }
}

impl ListObj {
    /// Bytes this list allocates beyond its `Box<ListObj>` (`MEMORY
    /// USAGE`): exact for one chunk; for many, the first `samples` chunks
    /// (all when 0) scaled to the whole.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        use super::{alloc_size, sampled_sum};
        match &self.repr {
            Repr::Small(c) => c.heap_bytes(),
            Repr::Quick(q) => {
                alloc_size(std::mem::size_of::<Quick>())
                    + alloc_size(q.chunks.capacity() * std::mem::size_of::<Chunk>())
                    + sampled_sum(
                        q.chunks.len(),
                        samples,
                        q.chunks.iter().map(Chunk::heap_bytes),
                    )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn small_list_is_listpack_and_converts_both_ways() {
        let mut l = ListObj::new();
        for _ in 0..10 {
            l.push(End::Back, b"abc");
        }
        assert_eq!(l.encoding(), "listpack");
        let big = vec![b'x'; 500];
        for _ in 0..20 {
            l.push(End::Front, &big);
        }
        assert_eq!(l.encoding(), "quicklist");
        l.discard(End::Front, 20);
        assert_eq!(l.encoding(), "listpack");
        assert_eq!(l.len(), 10);
    }

    #[test]
    fn queues_and_stacks_keep_their_chunk_small() {
        for (push, pop) in [(End::Back, End::Front), (End::Front, End::Back)] {
            let mut l = ListObj::new();
            for _ in 0..10 {
                l.push(push, b"0123456789");
            }
            for _ in 0..100_000 {
                l.push(push, b"0123456789");
                assert!(l.pop(pop).is_some());
            }
            assert_eq!(l.len(), 10);
            let Repr::Small(c) = &l.repr else {
                panic!("ten small elements stay one chunk");
            };
            assert!(c.buf.capacity() < 512, "{}", c.buf.capacity());
            assert!(c.ends.capacity() < 64, "{}", c.ends.capacity());
        }
    }

    #[test]
    fn list_max_listpack_size_in_force_decides_the_chunks() {
        assert_eq!(ChunkLimit::from_setting(-2), ChunkLimit::Bytes(8192));
        assert_eq!(ChunkLimit::from_setting(-1), ChunkLimit::Bytes(4096));
        assert_eq!(ChunkLimit::from_setting(-9), ChunkLimit::Bytes(65536));
        assert_eq!(ChunkLimit::from_setting(5), ChunkLimit::Count(5));
        let mut s = crate::settings::Settings::default();
        s.set("list-max-listpack-size", "4").expect("valid");
        crate::settings::install(s);
        let mut l = ListObj::new();
        for i in 0..4 {
            l.push(End::Back, format!("{i}").as_bytes());
        }
        assert_eq!(l.encoding(), "listpack");
        for i in 4..10 {
            l.push(End::Back, format!("{i}").as_bytes());
        }
        assert_eq!(l.encoding(), "quicklist");
        assert_eq!(l.chunk_count(), 3);
        assert!(l.chunks().all(|c| c.len() <= 4));
        let all: Vec<Vec<u8>> = (0..10).filter_map(|_| l.pop(End::Front)).collect();
        assert_eq!(all.len(), 10);
        assert_eq!(all[9], b"9");
        crate::settings::install(crate::settings::Settings::default());
    }

    #[test]
    fn one_huge_element_is_a_quicklist() {
        let mut l = ListObj::new();
        l.push(End::Back, &vec![0; CHUNK_MAX_BYTES + 1]);
        assert_eq!(l.encoding(), "quicklist");
    }

    #[test]
    fn decode_refuses_garbage() {
        assert!(ListObj::decode(b"").is_none());
        assert!(ListObj::decode(&[3, 1, b'a']).is_none());
        assert!(ListObj::decode(&[1, 1, b'a', 0]).is_none());
        assert!(ListObj::decode(&[0xff; 11]).is_none());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(bool, Vec<u8>),
        Pop(bool),
        Set(usize, Vec<u8>),
        Insert(usize, Vec<u8>),
        Remove(usize),
        Trim(usize, usize),
        RemoveEq(u8, bool, usize),
    }

    fn elem() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            8 => prop::collection::vec(0u8..3, 0..4),
            1 => prop::collection::vec(0u8..3, 900..1200),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (any::<bool>(), elem()).prop_map(|(f, e)| Op::Push(f, e)),
            2 => any::<bool>().prop_map(Op::Pop),
            1 => (0usize..300, elem()).prop_map(|(i, e)| Op::Set(i, e)),
            2 => (0usize..300, elem()).prop_map(|(i, e)| Op::Insert(i, e)),
            1 => (0usize..300).prop_map(Op::Remove),
            1 => (0usize..50, 0usize..300).prop_map(|(a, b)| Op::Trim(a, b)),
            1 => (0u8..3, any::<bool>(), 0usize..4).prop_map(|(v, f, n)| Op::RemoveEq(v, f, n)),
        ]
    }

    fn end(front: bool) -> End {
        if front {
            End::Front
        } else {
            End::Back
        }
    }

    fn apply(l: &mut ListObj, m: &mut VecDeque<Vec<u8>>, op: Op) {
        match op {
            Op::Push(f, e) => {
                l.push(end(f), &e);
                if f {
                    m.push_front(e)
                } else {
                    m.push_back(e)
                }
            }
            Op::Pop(f) => {
                let want = if f { m.pop_front() } else { m.pop_back() };
                assert_eq!(l.pop(end(f)), want);
            }
            Op::Set(i, e) => {
                assert_eq!(l.set(i, &e), i < m.len());
                if let Some(x) = m.get_mut(i) {
                    *x = e;
                }
            }
            Op::Insert(i, e) => {
                let i = i.min(m.len());
                l.insert(i, &e);
                m.insert(i, e);
            }
            Op::Remove(i) => assert_eq!(l.remove(i), m.remove(i).is_some()),
            Op::Trim(a, b) => {
                l.trim(a, b);
                if a > b || a >= m.len() {
                    m.clear();
                } else {
                    m.truncate(b + 1);
                    m.drain(..a);
                }
            }
            Op::RemoveEq(v, f, n) => {
                let target = vec![v];
                let idx: Vec<usize> = (0..m.len()).filter(|&i| m[i] == target).collect();
                let mut pick: Vec<usize> = if f {
                    idx
                } else {
                    idx.into_iter().rev().collect()
                };
                if n > 0 {
                    pick.truncate(n);
                }
                pick.sort_unstable();
                for &i in pick.iter().rev() {
                    m.remove(i);
                }
                assert_eq!(l.remove_eq(&target, end(f), n), pick.len());
            }
        }
    }

    proptest! {
        #[test]
        fn list_matches_a_vecdeque(ops in prop::collection::vec(op(), 0..200)) {
            let mut l = ListObj::new();
            let mut m = VecDeque::new();
            for op in ops {
                apply(&mut l, &mut m, op);
                prop_assert_eq!(l.len(), m.len());
                if let Repr::Quick(q) = &l.repr {
                    prop_assert!(q.chunks.iter().all(|c| c.len() > 0));
                    prop_assert_eq!(q.chunks.iter().map(Chunk::len).sum::<usize>(), q.len);
                }
            }
            let got: Vec<&[u8]> = l.iter().collect();
            let want: Vec<&[u8]> = m.iter().map(Vec::as_slice).collect();
            prop_assert_eq!(&got, &want);
            let back: Vec<&[u8]> = l.iter().rev().collect();
            prop_assert_eq!(back, want.iter().rev().copied().collect::<Vec<_>>());
            for (i, e) in m.iter().enumerate() {
                prop_assert_eq!(l.get(i), Some(&e[..]));
                prop_assert_eq!(l.iter_from(i).next(), Some(&e[..]));
                prop_assert_eq!(l.range(i, i + 1).count(), (m.len() - i).min(2));
            }
            let mut enc = Vec::new();
            l.encode(&mut enc);
            // An empty list never exists as a value, so it does not decode.
            let Some(d) = ListObj::decode(&enc) else {
                prop_assert!(m.is_empty());
                return Ok(());
            };
            prop_assert_eq!(d.iter().collect::<Vec<_>>(), want);
        }

        #[test]
        fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = ListObj::decode(&bytes);
        }
    }
}
