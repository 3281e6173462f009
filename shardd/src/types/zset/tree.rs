//! The large sorted-set encoding: members ordered by (score, member) in a
//! vector of sorted chunks, with a Fenwick tree over the chunk lengths for
//! O(log n) rank, plus a member -> score table.
//!
//! Cost: finding a (score, member) is a binary search over chunks then
//! inside one; rank adds a Fenwick prefix sum (O(log chunks)); an insert or
//! removal moves at most [`CHUNK_MAX`] entries. Splitting or dropping a
//! chunk rebuilds the Fenwick tree in O(chunks), once per ~CHUNK_MAX/2
//! inserts or removals in that chunk.

use std::cmp::Ordering;

use super::cmp_entry;
use crate::types::set::MemberTable;

/// Most entries in a chunk before it splits in two.
pub(super) const CHUNK_MAX: usize = 256;
/// A chunk this small merges with its neighbour when they fit together.
const CHUNK_MERGE_BELOW: usize = CHUNK_MAX / 8;

pub(super) type Chunk = Vec<(f64, Box<[u8]>)>;

/// Prefix sums over chunk lengths.
#[derive(Clone, Debug, Default)]
struct Fenwick {
    /// 1-based; `tree[0]` is unused.
    tree: Vec<usize>,
}

impl Fenwick {
    fn build(lens: impl Iterator<Item = usize>) -> Self {
        let mut tree = vec![0];
        tree.extend(lens);
        let n = tree.len() - 1;
        for i in 1..=n {
            let j = i + (i & i.wrapping_neg());
            if j <= n {
                tree[j] += tree[i];
            }
        }
        Fenwick { tree }
    }

    fn add(&mut self, i: usize, delta: isize) {
        let mut i = i + 1;
        while i < self.tree.len() {
            self.tree[i] = self.tree[i].wrapping_add_signed(delta);
            i += i & i.wrapping_neg();
        }
    }

    /// Sum of the first `i` lengths.
    fn prefix(&self, mut i: usize) -> usize {
        let mut s = 0;
        while i > 0 {
            s += self.tree[i];
            i -= i & i.wrapping_neg();
        }
        s
    }

    /// The chunk holding `rank` and the offset in it; `(chunks, 0)` past the end.
    fn find(&self, mut rank: usize) -> (usize, usize) {
        let n = self.tree.len() - 1;
        let mut pos = 0;
        let mut step = if n == 0 { 0 } else { 1 << n.ilog2() };
        while step > 0 {
            if pos + step <= n && self.tree[pos + step] <= rank {
                pos += step;
                rank -= self.tree[pos];
            }
            step >>= 1;
        }
        (pos, rank)
    }
}

/// Score-ordered entries with rank queries, and a member -> score table.
#[derive(Clone, Debug, Default)]
pub(super) struct Tree {
    pub(super) map: MemberTable<f64>,
    pub(super) chunks: Vec<Chunk>,
    fen: Fenwick,
}

impl Tree {
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    fn rebuild(&mut self) {
        self.fen = Fenwick::build(self.chunks.iter().map(Vec::len));
    }

    /// Chunk index and position of (score, member), or where it would go.
    fn locate(&self, score: f64, member: &[u8]) -> (usize, Result<usize, usize>) {
        let ci = self.chunks.partition_point(|c| {
            c.last()
                .is_some_and(|(s, m)| cmp_entry(*s, m, score, member) == Ordering::Less)
        });
        let ci = ci.min(self.chunks.len().saturating_sub(1));
        let pos = match self.chunks.get(ci) {
            Some(c) => c.binary_search_by(|(s, m)| cmp_entry(*s, m, score, member)),
            None => Err(0),
        };
        (ci, pos)
    }

    /// Adds a member known to be absent from the order.
    fn insert_ordered(&mut self, score: f64, member: &[u8]) {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::new());
            self.rebuild();
        }
        let (ci, pos) = self.locate(score, member);
        let pos = pos.unwrap_or_else(|p| p);
        self.chunks[ci].insert(pos, (score, member.into()));
        self.fen.add(ci, 1);
        if self.chunks[ci].len() > CHUNK_MAX {
            let tail = self.chunks[ci].split_off(CHUNK_MAX / 2);
            self.chunks.insert(ci + 1, tail);
            self.rebuild();
        }
    }

    fn remove_ordered(&mut self, score: f64, member: &[u8]) {
        let (ci, pos) = self.locate(score, member);
        let Ok(pos) = pos else {
            debug_assert!(false, "zset order lost a member");
            return;
        };
        self.chunks[ci].remove(pos);
        self.fen.add(ci, -1);
        let len = self.chunks[ci].len();
        if len == 0 {
            self.chunks.remove(ci);
            self.rebuild();
        } else if len < CHUNK_MERGE_BELOW
            && ci + 1 < self.chunks.len()
            && len + self.chunks[ci + 1].len() <= CHUNK_MAX
        {
            let next = self.chunks.remove(ci + 1);
            self.chunks[ci].extend(next);
            self.rebuild();
        }
    }

    /// Sets `member`'s score; true if it is new.
    pub(super) fn insert(&mut self, member: &[u8], score: f64) -> bool {
        match self.map.get_mut(member) {
            Some(old) => {
                let old_score = *old;
                *old = score;
                if old_score.to_bits() != score.to_bits() {
                    self.remove_ordered(old_score, member);
                    self.insert_ordered(score, member);
                }
                false
            }
            None => {
                self.map.insert(member, score);
                self.insert_ordered(score, member);
                true
            }
        }
    }

    pub(super) fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let score = self.map.remove(member)?;
        self.remove_ordered(score, member);
        Some(score)
    }

    pub(super) fn score(&self, member: &[u8]) -> Option<f64> {
        self.map.get(member).copied()
    }

    pub(super) fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let (ci, pos) = self.locate(score, member);
        Some(self.fen.prefix(ci) + pos.ok()?)
    }

    /// The chunk and offset of `rank` (`(chunks, 0)` at the end).
    pub(super) fn position(&self, rank: usize) -> (usize, usize) {
        self.fen.find(rank)
    }

    pub(super) fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        let (ci, off) = self.position(rank);
        self.chunks.get(ci)?.get(off).map(|(s, m)| (&**m, *s))
    }

    /// How many leading entries satisfy `pred` (true, then false, in order).
    pub(super) fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        let ci = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|(s, m)| pred(*s, m)));
        match self.chunks.get(ci) {
            None => self.len(),
            Some(c) => self.fen.prefix(ci) + c.partition_point(|(s, m)| pred(*s, m)),
        }
    }

    /// Bytes the tree allocates: its member table (sampled), its chunks
    /// and their member blocks (the first `samples` chunks, all when 0,
    /// scaled to the whole) and its prefix sums.
    pub(super) fn heap_bytes(&self, samples: usize) -> usize {
        use crate::types::{alloc_size, sampled_sum};
        let chunk = |c: &Chunk| {
            alloc_size(c.capacity() * std::mem::size_of::<(f64, Box<[u8]>)>())
                + c.iter().map(|(_, m)| alloc_size(m.len())).sum::<usize>()
        };
        self.map.heap_bytes(samples)
            + alloc_size(self.chunks.capacity() * std::mem::size_of::<Chunk>())
            + sampled_sum(self.chunks.len(), samples, self.chunks.iter().map(chunk))
            + alloc_size(self.fen.tree.capacity() * std::mem::size_of::<usize>())
    }
}
