//! Walking the keyspace: SCAN cursors, KEYS, RANDOMKEY, per-slot access and
//! memory figures.
//!
//! SCAN's cursor is the next slot to visit (0 = start, and 0 again = done),
//! and one SCAN step returns whole slot tables. Because a slot is never
//! split across steps, a table's resizes between steps cannot hide a key:
//! every key present for the whole scan is returned exactly once (keys
//! added or removed meanwhile may or may not appear). The price: a step
//! returns at least one whole slot, so a slot with very many keys (one hot
//! hash tag) makes one long step. A position inside a slot would need
//! Redis's reverse-binary cursor over the bucket array, which hashbrown's
//! safe API does not expose; the per-slot split keeps steps small for
//! ordinary keyspaces (1M keys: about 61 per slot).

use rand::Rng;

use super::{Keyspace, SlotStore, ValueRef};
use crate::{glob, slot::SLOT_COUNT};

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
    /// One SCAN step from `cursor`: visits whole slots until at least
    /// `count` keys were looked at (or the end), returns the next cursor (0
    /// when done) and the live keys that pass `filter`.
    pub fn scan(&self, cursor: u64, count: usize, filter: ScanFilter<'_>) -> (u64, Vec<&[u8]>) {
        let now = self.clock.now_ms();
        let mut slot = usize::try_from(cursor).unwrap_or(SLOT_COUNT);
        let mut visited = 0usize;
        let mut keys = Vec::new();
        while slot < SLOT_COUNT && visited < count.max(1) {
            for e in self.slots[slot].iter() {
                visited += 1;
                if e.expire_at().is_none_or(|t| t > now) && filter.accepts(e.key(), e.value()) {
                    keys.push(e.key());
                }
            }
            slot += 1;
        }
        let next = if slot >= SLOT_COUNT { 0 } else { slot as u64 };
        (next, keys)
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
        self.slots.get(slot as usize).map_or(0, SlotStore::len)
    }

    /// Up to `max` live keys of `slot` (CLUSTER GETKEYSINSLOT, slot moves).
    pub fn keys_in_slot(&self, slot: u16, max: usize) -> Vec<&[u8]> {
        let now = self.clock.now_ms();
        let Some(store) = self.slots.get(slot as usize) else {
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
        if let Some(s) = self.slots.get_mut(slot as usize) {
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
            if self.len == 0 {
                return None;
            }
            let slot = self.random_nonempty_slot(&mut rng);
            let store = &self.slots[slot];
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
    fn random_nonempty_slot(&self, rng: &mut impl Rng) -> usize {
        /// Random probes before walking.
        const PROBES: usize = 32;
        for _ in 0..PROBES {
            let s = rng.gen_range(0..SLOT_COUNT);
            if !self.slots[s].is_empty() {
                return s;
            }
        }
        let start = rng.gen_range(0..SLOT_COUNT);
        (0..SLOT_COUNT)
            .map(|i| (start + i) % SLOT_COUNT)
            .find(|&s| !self.slots[s].is_empty())
            .unwrap_or(0)
    }

    /// Memory figures (computed by walking the slot stores' headers).
    pub fn memory_stats(&self) -> MemoryStats {
        let (mut arena, mut table, mut in_use) = (0, 0, 0);
        for st in self.stores() {
            let (a, t) = st.heap_bytes();
            arena += a;
            table += t;
            in_use += !st.is_empty() as usize;
        }
        let slot_vec = self.slots.capacity() * std::mem::size_of::<SlotStore>();
        MemoryStats {
            keys: self.len,
            keys_with_ttl: self.ttl_keys,
            expired_total: self.expired_total,
            entry_bytes: arena,
            table_bytes: table + slot_vec,
            expiry_index_bytes: self.expiry.heap_bytes(),
            slots_in_use: in_use,
        }
    }
}
