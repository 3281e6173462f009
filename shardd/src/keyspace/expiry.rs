//! The expiry index: which keys are due first, without scanning all keys.
//!
//! A min-heap of `(expire_at_ms, table hash)` with lazy deletion. The entry
//! itself is the truth about its TTL; a heap item only says "look at the
//! keys with this hash at this time". Changing or removing a TTL leaves the
//! old item in place, and [`ExpiryIndex::pop_due`] callers skip items whose
//! key no longer matches. The table hash carries the key's slot in bits
//! 43..57 (see [`super::Keyspace`]), so an item is 16 bytes and finds its
//! slot table without the key.
//!
//! Stale items are bounded: when the heap holds more than twice the live
//! TTL keys (plus a floor), the keyspace rebuilds it from the entries, an
//! O(n) pass paid for by the n pushes that made it stale.

use std::{cmp::Reverse, collections::BinaryHeap};

/// Items below which the heap is never rebuilt.
pub const REBUILD_FLOOR_ITEMS: usize = 1024;

/// Min-heap of expiry times with lazy deletion.
#[derive(Debug, Default)]
pub struct ExpiryIndex {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
}

impl ExpiryIndex {
    /// Records that the key with table hash `hash` expires at `at_ms`.
    pub fn push(&mut self, at_ms: u64, hash: u64) {
        self.heap.push(Reverse((at_ms, hash)));
    }

    /// A random item (stale ones included): (expire_at_ms, table hash).
    pub fn sample(&self, rng: &mut impl rand::Rng) -> Option<(u64, u64)> {
        let items = self.heap.as_slice();
        if items.is_empty() {
            return None;
        }
        items.get(rng.gen_range(0..items.len())).map(|r| r.0)
    }

    /// Removes and returns the earliest item if it is due at `now_ms`.
    pub fn pop_due(&mut self, now_ms: u64) -> Option<(u64, u64)> {
        match self.heap.peek() {
            Some(Reverse((at, _))) if *at <= now_ms => self.heap.pop().map(|Reverse(x)| x),
            _ => None,
        }
    }

    /// Whether the earliest item is due at `now_ms`.
    pub fn has_due(&self, now_ms: u64) -> bool {
        self.heap
            .peek()
            .is_some_and(|Reverse((at, _))| *at <= now_ms)
    }

    /// Number of items, stale ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether there are no items.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Whether stale items outnumber live TTL keys enough to rebuild.
    pub fn needs_rebuild(&self, live_ttl_keys: usize) -> bool {
        self.heap.len() > REBUILD_FLOOR_ITEMS.max(live_ttl_keys.saturating_mul(2))
    }

    /// Replaces all items with `items` (heapified in O(n)).
    pub fn rebuild(&mut self, items: Vec<(u64, u64)>) {
        self.heap = items.into_iter().map(Reverse).collect();
    }

    /// Removes every item.
    pub fn clear(&mut self) {
        self.heap = BinaryHeap::new();
    }

    /// Bytes the heap's buffer takes.
    pub fn heap_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<(u64, u64)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_only_due_items_in_time_order() {
        let mut ix = ExpiryIndex::default();
        ix.push(30, 3);
        ix.push(10, 1);
        ix.push(20, 2);
        assert_eq!(ix.pop_due(5), None);
        assert_eq!(ix.pop_due(25), Some((10, 1)));
        assert_eq!(ix.pop_due(25), Some((20, 2)));
        assert_eq!(ix.pop_due(25), None);
        assert_eq!(ix.len(), 1);
    }

    #[test]
    fn rebuild_is_asked_for_only_past_twice_the_live_keys() {
        let mut ix = ExpiryIndex::default();
        for i in 0..(REBUILD_FLOOR_ITEMS as u64 + 1) {
            ix.push(i, i);
        }
        assert!(ix.needs_rebuild(10));
        assert!(!ix.needs_rebuild(REBUILD_FLOOR_ITEMS));
        ix.rebuild(vec![(5, 1)]);
        assert_eq!(ix.pop_due(5), Some((5, 1)));
        assert!(ix.is_empty());
    }
}
