//! Walking the keyspace: SCAN cursors, KEYS, RANDOMKEY, per-slot access and
//! memory figures.
//!
//! SCAN's cursor is `slot | from << 14`: the slot to visit next and, inside
//! it, the lowest *scan order* still to return (0 = the whole slot; a
//! cursor of 0 starts the scan, and 0 comes back when it is done).
//!
//! An ordinary slot (at most [`CHUNKED_SLOT_MIN_KEYS`] keys, or fewer than
//! the step still may look at) is returned whole in one step. Because a
//! slot is never split, its table's resizes and its arena's compactions
//! between steps cannot hide a key.
//!
//! A big slot (one hot hash tag) is returned in chunks by scan order, a
//! 42-bit value derived from the key's hash and nothing else: each step
//! returns the keys whose order lies in `[from, bound]` and hands back
//! `bound + 1`. Since a key's order never changes, the chunks cover every
//! order exactly once whatever happens to the table or the arena, so every
//! key present for the whole scan is returned once (keys added or removed
//! meanwhile may or may not appear). A chunk is at least 1/64 of the slot,
//! so a slot costs at most 64 steps of O(slot size) each.

use rand::Rng;

use super::{Keyspace, SlotStore, ValueRef};
use crate::{glob, slot::SLOT_COUNT};

/// Slots with more keys than this may be returned in several SCAN steps.
pub const CHUNKED_SLOT_MIN_KEYS: usize = 1024;
/// A big slot is covered in at most this many SCAN steps.
const SLOT_CHUNKS: usize = 64;
const CURSOR_FROM_SHIFT: u32 = 14;
const CURSOR_SLOT_MASK: u64 = (1 << CURSOR_FROM_SHIFT) - 1;
/// Bits of a scan order. A cursor is therefore below 2^56, which leaves
/// the top byte to the proxy to name the shard (`common::scan`).
const SCAN_ORDER_BITS: u32 = 42;
/// Highest scan order.
const SCAN_ORDER_MAX: u64 = (1 << SCAN_ORDER_BITS) - 1;
/// Every cursor this shard hands out is below this.
pub const SCAN_CURSOR_LIMIT: u64 = 1 << (CURSOR_FROM_SHIFT + SCAN_ORDER_BITS);
const _: () = assert!(SCAN_CURSOR_LIMIT <= common::scan::SHARD_CURSOR_LIMIT);

/// The highest order `bound` such that the keys with order in
/// `[from, bound]` are about `chunk` (all of them, if fewer), and how many
/// that is. Keeps a max-heap of the `chunk` lowest orders: O(n log chunk)
/// time, O(chunk) memory.
fn chunk_bound(
    store: &SlotStore,
    from: u64,
    chunk: usize,
    order: &impl Fn(&[u8]) -> u64,
) -> (u64, usize) {
    let mut lowest = std::collections::BinaryHeap::with_capacity(chunk.min(store.len()) + 1);
    let mut seen = 0usize;
    for e in store.iter() {
        let o = order(e.key());
        if o < from {
            continue;
        }
        seen += 1;
        lowest.push(o);
        if lowest.len() > chunk {
            lowest.pop();
        }
    }
    if seen <= chunk {
        return (SCAN_ORDER_MAX, seen);
    }
    (lowest.peek().copied().unwrap_or(SCAN_ORDER_MAX), chunk)
}

/// Memory figures for INFO and tuning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryStats {
    /// Keys (including expired ones not yet removed).
    pub keys: usize,
    /// Keys with a TTL.
    pub keys_with_ttl: usize,
    /// Keys removed by expiry since start.
    pub expired_total: u64,
    /// Bytes of all slot arenas (their capacity: entries, dead bytes, slack).
    pub entry_bytes: usize,
    /// Of `entry_bytes`: live entries (headers, keys, inline strings,
    /// pointers to boxed values).
    pub entry_live_bytes: usize,
    /// Of `entry_bytes`: dead entries awaiting compaction.
    pub entry_dead_bytes: usize,
    /// Bytes of all slot tables (buckets and control bytes) and slot headers.
    pub table_bytes: usize,
    /// Bytes of the expiry index.
    pub expiry_index_bytes: usize,
    /// Slot tables that hold at least one key.
    pub slots_in_use: usize,
}

impl MemoryStats {
    /// Estimated bytes in use by the keyspace (without collection objects'
    /// own allocations).
    pub fn used_bytes(&self) -> usize {
        self.entry_bytes + self.table_bytes + self.expiry_index_bytes
    }
}

/// Filters a SCAN applies to each key.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScanFilter<'a> {
    /// Glob the key must match (`None`: all keys).
    pub pattern: Option<&'a [u8]>,
    /// Type name (as TYPE replies) the value must have.
    pub type_name: Option<&'a [u8]>,
}

impl ScanFilter<'_> {
    fn accepts(&self, key: &[u8], value: ValueRef<'_>) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, key))
            && self
                .type_name
                .is_none_or(|t| t.eq_ignore_ascii_case(value.type_name().as_bytes()))
    }
}

impl Keyspace {
    /// One SCAN step from `cursor` (see the module docs): looks at about
    /// `count` keys, returns the next cursor (0 when done) and the live
    /// keys that pass `filter`.
    pub fn scan(&self, cursor: u64, count: usize, filter: ScanFilter<'_>) -> (u64, Vec<&[u8]>) {
        let now = self.clock.now_ms();
        let budget = count.max(1);
        let mut slot = (cursor & CURSOR_SLOT_MASK) as usize;
        let mut from = cursor >> CURSOR_FROM_SHIFT;
        let mut visited = 0usize;
        let mut keys = Vec::new();
        let live = |e: &super::store::EntryRef<'_>| e.expire_at().is_none_or(|t| t > now);
        while slot < SLOT_COUNT && visited < budget {
            let store = &self.db.slots[slot];
            let left = budget - visited;
            if from == 0 && (store.len() <= CHUNKED_SLOT_MIN_KEYS || store.len() <= left) {
                for e in store.iter() {
                    if live(&e) && filter.accepts(e.key(), e.value()) {
                        keys.push(e.key());
                    }
                }
                visited += store.len();
                slot += 1;
                continue;
            }
            let chunk = left.max(store.len().div_ceil(SLOT_CHUNKS));
            let order = |k: &[u8]| self.scan_order(k);
            let (bound, seen) = chunk_bound(store, from, chunk, &order);
            for e in store.iter() {
                let o = order(e.key());
                if (from..=bound).contains(&o) && live(&e) && filter.accepts(e.key(), e.value()) {
                    keys.push(e.key());
                }
            }
            visited += seen;
            if bound >= SCAN_ORDER_MAX {
                from = 0;
                slot += 1;
            } else {
                from = bound + 1;
            }
        }
        let next = if slot >= SLOT_COUNT {
            0
        } else {
            slot as u64 | from << CURSOR_FROM_SHIFT
        };
        (next, keys)
    }

    /// The fixed order SCAN walks a big slot in: the top 42 bits of the
    /// key's hash.
    fn scan_order(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key) >> (64 - SCAN_ORDER_BITS)
    }

    /// Every live key matching `pattern` (KEYS).
    pub fn keys(&self, pattern: &[u8]) -> Vec<&[u8]> {
        let all = pattern == b"*";
        let now = self.clock.now_ms();
        self.stores()
            .flat_map(SlotStore::iter)
            .filter(|e| e.expire_at().is_none_or(|t| t > now))
            .map(|e| e.key())
            .filter(|k| all || glob::matches(pattern, k))
            .collect()
    }

    /// Number of keys in `slot` (expired ones not yet removed included).
    pub fn count_in_slot(&self, slot: u16) -> usize {
        self.db.slots.get(slot as usize).map_or(0, SlotStore::len)
    }

    /// Up to `max` live keys of `slot` (CLUSTER GETKEYSINSLOT, slot moves).
    pub fn keys_in_slot(&self, slot: u16, max: usize) -> Vec<&[u8]> {
        let now = self.clock.now_ms();
        let Some(store) = self.db.slots.get(slot as usize) else {
            return Vec::new();
        };
        store
            .iter()
            .filter(|e| e.expire_at().is_none_or(|t| t > now))
            .take(max)
            .map(|e| e.key())
            .collect()
    }

    /// Frees the store of `slot` if it is empty (after a slot moved away).
    pub fn release_slot_if_empty(&mut self, slot: u16) {
        if let Some(s) = self.db.slots.get_mut(slot as usize) {
            if s.is_empty() {
                *s = SlotStore::default();
            }
        }
    }

    /// A random live key (RANDOMKEY), removing expired keys it meets.
    pub fn random_key(&mut self) -> Option<Vec<u8>> {
        /// Expired keys met before giving up and returning one anyway.
        const MAX_EXPIRED_TRIES: usize = 100;
        let mut rng = rand::thread_rng();
        for _ in 0..MAX_EXPIRED_TRIES {
            if self.db.len == 0 {
                return None;
            }
            let slot = self.random_nonempty_slot(&mut rng);
            let store = &self.db.slots[slot];
            if store.is_empty() {
                return None;
            }
            let idx = rng.gen_range(0..store.len());
            let e = store.iter().nth(idx)?;
            let key = e.key().to_vec();
            if self.exists(&key) {
                return Some(key);
            }
        }
        None
    }

    /// A slot with keys, roughly uniform over keys: random probes first,
    /// then a walk forward from a random start.
    pub(super) fn random_nonempty_slot(&self, rng: &mut impl Rng) -> usize {
        /// Random probes before walking.
        const PROBES: usize = 32;
        for _ in 0..PROBES {
            let s = rng.gen_range(0..SLOT_COUNT);
            if !self.db.slots[s].is_empty() {
                return s;
            }
        }
        let start = rng.gen_range(0..SLOT_COUNT);
        (0..SLOT_COUNT)
            .map(|i| (start + i) % SLOT_COUNT)
            .find(|&s| !self.db.slots[s].is_empty())
            .unwrap_or(0)
    }

    /// Memory figures of every database (computed by walking the slot
    /// stores' headers).
    pub fn memory_stats(&self) -> MemoryStats {
        let mut m = MemoryStats {
            keys: 0,
            keys_with_ttl: 0,
            expired_total: self.expired_total,
            entry_bytes: 0,
            entry_live_bytes: 0,
            entry_dead_bytes: 0,
            table_bytes: 0,
            expiry_index_bytes: 0,
            slots_in_use: 0,
        };
        for db in (0..self.databases()).filter_map(|i| self.db_ref(i)) {
            for st in &db.slots {
                let (a, t) = st.heap_bytes();
                let (live, dead, _) = st.arena_use();
                m.entry_bytes += a;
                m.entry_live_bytes += live;
                m.entry_dead_bytes += dead;
                m.table_bytes += t;
                m.slots_in_use += !st.is_empty() as usize;
            }
            m.table_bytes += db.slots.capacity() * std::mem::size_of::<SlotStore>();
            m.keys += db.len;
            m.keys_with_ttl += db.ttl_keys;
            m.expiry_index_bytes += db.expiry.heap_bytes();
        }
        m
    }
}
