//! The keyspace: every key of this shard, its value and its expiry time.
//!
//! Commands see the keyspace only through this API, so the table behind it
//! can change without touching them.
//!
//! Layout (see DESIGN.md, "Memory per key"):
//! - One `hashbrown::HashTable` per Redis Cluster slot, allocated on first
//!   insert. A slot moves, counts and scans on its own, and the load factor
//!   averages out over 16384 small tables instead of jumping at one big
//!   resize.
//! - Each key is one [`entry::Entry`]: an 8-byte pointer in the table to one
//!   allocation holding flags, the optional expiry, key and string value (or
//!   the collection's box). No separate key, value or TTL allocations.
//! - The table hash is `ahash(key)` with the key's slot written into bits
//!   43..57 (bits hashbrown never uses for small tables: it probes with the
//!   low bits and tags with the top 7), so an expiry-index item
//!   `(time, hash)` finds its slot and key without storing the key.
//!
//! Expiry: lazily on every lookup (the expiry sits in the entry, so a GET
//! costs the same with or without TTLs: no second table), and actively by
//! [`Keyspace::active_expire_cycle`] through the [`expiry::ExpiryIndex`]
//! min-heap, with bounded work per call.
//!
//! Cost of a GET: CRC16 and ahash over the key, one probe of a small table
//! (control bytes, usually in cache for hot slots), one cache miss for the
//! entry. No allocation.

pub mod entry;
pub mod expiry;
mod scan;
#[cfg(test)]
mod tests;
mod value;

use hashbrown::{hash_table, HashTable};

use self::{entry::Entry, expiry::ExpiryIndex};
pub use self::{
    scan::{MemoryStats, ScanFilter},
    value::{string_encoding, Value, ValueMut, ValueRef},
};
use crate::{
    clock::{Clock, SystemClock},
    slot::{key_slot, SLOT_COUNT},
};

/// Lowest bit of the slot number inside a table hash.
const SLOT_SHIFT: u32 = 43;
const SLOT_MASK: u64 = (SLOT_COUNT as u64 - 1) << SLOT_SHIFT;

/// How a write treats the key's TTL.
#[derive(Clone, Copy)]
enum Ttl {
    /// Set this expiry (or none).
    Set(Option<u64>),
    /// Keep the expiry of a live previous value.
    Keep,
}

/// All keys of one shard.
pub struct Keyspace {
    slots: Vec<HashTable<Entry>>,
    hasher: ahash::RandomState,
    expiry: ExpiryIndex,
    len: usize,
    ttl_keys: usize,
    entry_bytes: usize,
    expired_total: u64,
    clock: Box<dyn Clock>,
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

/// The table hash of `key` in `slot` (see the module docs).
fn table_hash(hasher: &ahash::RandomState, key: &[u8], slot: usize) -> u64 {
    (hasher.hash_one(key) & !SLOT_MASK) | ((slot as u64) << SLOT_SHIFT)
}

/// The slot a table hash belongs to.
fn slot_of_hash(hash: u64) -> usize {
    ((hash & SLOT_MASK) >> SLOT_SHIFT) as usize
}

impl Keyspace {
    /// An empty keyspace on the wall clock.
    pub fn new() -> Self {
        Self::with_clock(Box::new(SystemClock))
    }

    /// An empty keyspace on `clock` (tests inject a [`crate::clock::ManualClock`]).
    pub fn with_clock(clock: Box<dyn Clock>) -> Self {
        Keyspace {
            slots: (0..SLOT_COUNT).map(|_| HashTable::new()).collect(),
            hasher: ahash::RandomState::new(),
            expiry: ExpiryIndex::default(),
            len: 0,
            ttl_keys: 0,
            entry_bytes: 0,
            expired_total: 0,
            clock,
        }
    }

    /// Now, in Unix milliseconds, by this keyspace's clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Number of keys, counting ones that expired but were not yet removed
    /// (as Redis's DBSIZE does).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keys removed by expiry since start.
    pub fn expired_total(&self) -> u64 {
        self.expired_total
    }

    /// Number of keys that have a TTL.
    pub fn ttl_keys(&self) -> usize {
        self.ttl_keys
    }

    fn locate(&self, key: &[u8]) -> (usize, u64) {
        let slot = key_slot(key) as usize;
        (slot, table_hash(&self.hasher, key, slot))
    }

    /// Bookkeeping for an entry leaving the table.
    fn forget(&mut self, e: &Entry) {
        self.len -= 1;
        self.entry_bytes -= e.alloc_bytes();
        if e.expire_at().is_some() {
            self.ttl_keys -= 1;
        }
    }

    /// The live entry of `key`; removes it first if its time has come.
    fn live_mut(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let (slot, hash) = self.locate(key);
        let occ = self.slots[slot].find_entry(hash, |e| e.key() == key).ok()?;
        if let Some(t) = occ.get().expire_at() {
            if t <= self.clock.now_ms() {
                let (e, _) = occ.remove();
                self.len -= 1;
                self.entry_bytes -= e.alloc_bytes();
                self.ttl_keys -= 1;
                self.expired_total += 1;
                return None;
            }
        }
        Some(occ.into_mut())
    }

    /// Removes and returns the live entry of `key` (expired ones count as expired).
    fn take_entry(&mut self, key: &[u8]) -> Option<Entry> {
        let (slot, hash) = self.locate(key);
        let occ = self.slots[slot].find_entry(hash, |e| e.key() == key).ok()?;
        let (e, _) = occ.remove();
        self.forget(&e);
        if e.expire_at().is_some_and(|t| t <= self.clock.now_ms()) {
            self.expired_total += 1;
            return None;
        }
        Some(e)
    }

    /// The value of `key`, or `None` if it is missing or expired.
    #[inline]
    pub fn get(&mut self, key: &[u8]) -> Option<ValueRef<'_>> {
        self.live_mut(key).map(|e| e.value())
    }

    /// The value of `key` for in-place changes, or `None` if missing or expired.
    /// A caller that empties a collection must [`Keyspace::remove`] the key.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<ValueMut<'_>> {
        self.live_mut(key).map(|e| e.value_mut())
    }

    /// Whether `key` exists (and has not expired).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.live_mut(key).is_some()
    }

    /// Sets `key` to `value` and clears any TTL it had.
    pub fn insert(&mut self, key: &[u8], value: Value) {
        self.store(key, |k, t| Entry::new(k, value, t), Ttl::Set(None));
    }

    /// Sets `key` to `value` with an absolute expiry (or none).
    pub fn insert_with_expiry(&mut self, key: &[u8], value: Value, expire_at_ms: Option<u64>) {
        self.store(key, |k, t| Entry::new(k, value, t), Ttl::Set(expire_at_ms));
    }

    /// Sets `key` to `value`, keeping the TTL of a live previous value.
    pub fn insert_keep_ttl(&mut self, key: &[u8], value: Value) {
        self.store(key, |k, t| Entry::new(k, value, t), Ttl::Keep);
    }

    /// Sets `key` to the string `value` (copied once, straight into the
    /// entry) and clears any TTL it had.
    pub fn insert_str(&mut self, key: &[u8], value: &[u8]) {
        self.store(key, |k, t| Entry::new_str(k, value, t), Ttl::Set(None));
    }

    /// Sets `key` to the string `value` with an absolute expiry (or none).
    pub fn insert_str_with_expiry(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        self.store(
            key,
            |k, t| Entry::new_str(k, value, t),
            Ttl::Set(expire_at_ms),
        );
    }

    /// Sets `key` to the string `value`, keeping the TTL of a live previous value.
    pub fn insert_str_keep_ttl(&mut self, key: &[u8], value: &[u8]) {
        self.store(key, |k, t| Entry::new_str(k, value, t), Ttl::Keep);
    }

    /// The one write path: builds the entry with the resolved expiry and
    /// puts it in place of any previous one.
    fn store(&mut self, key: &[u8], build: impl FnOnce(&[u8], Option<u64>) -> Entry, ttl: Ttl) {
        let (slot, hash) = self.locate(key);
        let hasher = &self.hasher;
        let now = || self.clock.now_ms();
        let slot_entry = self.slots[slot].entry(
            hash,
            |e| e.key() == key,
            |e| table_hash(hasher, e.key(), slot),
        );
        let (old_expiry, expired, new_expiry, occupied) = match slot_entry {
            hash_table::Entry::Occupied(mut occ) => {
                let old_expiry = occ.get().expire_at();
                let expired = old_expiry.is_some_and(|t| t <= now());
                let new_expiry = match ttl {
                    Ttl::Set(t) => t,
                    Ttl::Keep if expired => None,
                    Ttl::Keep => old_expiry,
                };
                let fresh = build(key, new_expiry);
                let new_bytes = fresh.alloc_bytes();
                let old = std::mem::replace(occ.get_mut(), fresh);
                self.entry_bytes = self.entry_bytes + new_bytes - old.alloc_bytes();
                (old_expiry, expired, new_expiry, true)
            }
            hash_table::Entry::Vacant(vac) => {
                let new_expiry = match ttl {
                    Ttl::Set(t) => t,
                    Ttl::Keep => None,
                };
                let fresh = build(key, new_expiry);
                self.entry_bytes += fresh.alloc_bytes();
                vac.insert(fresh);
                (None, false, new_expiry, false)
            }
        };
        if !occupied {
            self.len += 1;
        }
        self.expired_total += expired as u64;
        self.ttl_keys -= old_expiry.is_some() as usize;
        if let Some(t) = new_expiry {
            self.ttl_keys += 1;
            // Keeping the same time needs no new index item: the old one stands.
            if old_expiry != Some(t) || expired {
                self.expiry.push(t, hash);
                self.maybe_rebuild_expiry();
            }
        }
    }

    /// Removes `key`; returns its value if it was live.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.take_entry(key).map(Entry::into_value)
    }

    /// Removes `key` and returns its value (for GETDEL, RENAME, MOVE); the
    /// same as [`Keyspace::remove`].
    pub fn take(&mut self, key: &[u8]) -> Option<Value> {
        self.remove(key)
    }

    /// Removes `key`; true if it was live. Never copies the value.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.take_entry(key).is_some()
    }

    /// Removes `key` and returns its value and expiry (for RENAME).
    pub fn take_with_expiry(&mut self, key: &[u8]) -> Option<(Value, Option<u64>)> {
        self.take_entry(key).map(|e| {
            let t = e.expire_at();
            (e.into_value(), t)
        })
    }

    /// `None` if `key` is missing; `Some(None)` if it has no TTL; else its
    /// absolute expiry in Unix milliseconds.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<Option<u64>> {
        self.live_mut(key).map(|e| e.expire_at())
    }

    /// Sets the absolute expiry of a live `key`; false if it is missing.
    /// A time not after now deletes the key (as Redis does).
    pub fn set_expire_at(&mut self, key: &[u8], at_ms: u64) -> bool {
        if at_ms <= self.clock.now_ms() {
            return self.delete(key);
        }
        let (slot, hash) = self.locate(key);
        let Some(e) = self.live_mut(key) else {
            return false;
        };
        let before = e.alloc_bytes();
        let had = e.expire_at().is_some();
        e.set_expire_at(Some(at_ms));
        let after = e.alloc_bytes();
        self.entry_bytes = self.entry_bytes + after - before;
        debug_assert_eq!(slot_of_hash(hash), slot);
        self.ttl_keys += !had as usize;
        self.expiry.push(at_ms, hash);
        self.maybe_rebuild_expiry();
        true
    }

    /// Removes the TTL of `key`; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        let Some(e) = self.live_mut(key) else {
            return false;
        };
        if e.expire_at().is_none() {
            return false;
        }
        let before = e.alloc_bytes();
        e.set_expire_at(None);
        let after = e.alloc_bytes();
        self.entry_bytes = self.entry_bytes + after - before;
        self.ttl_keys -= 1;
        true
    }

    /// Removes every key and frees every table.
    pub fn clear(&mut self) {
        for t in &mut self.slots {
            *t = HashTable::new();
        }
        self.expiry.clear();
        self.len = 0;
        self.ttl_keys = 0;
        self.entry_bytes = 0;
    }

    /// Removes up to `budget` due keys, looking at no more than `budget`
    /// index items; returns how many keys it removed.
    pub fn active_expire_cycle(&mut self, budget: usize) -> usize {
        let now = self.clock.now_ms();
        let mut removed = 0;
        for _ in 0..budget {
            let Some((_, hash)) = self.expiry.pop_due(now) else {
                break;
            };
            let slot = slot_of_hash(hash);
            // Several keys may share a hash; remove every due one.
            loop {
                let hasher = &self.hasher;
                let Ok(occ) = self.slots[slot].find_entry(hash, |e| {
                    e.expire_at().is_some_and(|t| t <= now)
                        && table_hash(hasher, e.key(), slot) == hash
                }) else {
                    break;
                };
                let (e, _) = occ.remove();
                self.forget(&e);
                self.expired_total += 1;
                removed += 1;
            }
        }
        removed
    }

    fn maybe_rebuild_expiry(&mut self) {
        if !self.expiry.needs_rebuild(self.ttl_keys) {
            return;
        }
        let mut items = Vec::with_capacity(self.ttl_keys);
        for (slot, table) in self.slots.iter().enumerate() {
            for e in table {
                if let Some(t) = e.expire_at() {
                    items.push((t, table_hash(&self.hasher, e.key(), slot)));
                }
            }
        }
        self.expiry.rebuild(items);
    }

    /// Calls `f` with every live key (order unspecified).
    pub fn for_each_key(&self, mut f: impl FnMut(&[u8], ValueRef<'_>)) {
        let now = self.clock.now_ms();
        for e in self.slots.iter().flatten() {
            if e.expire_at().is_none_or(|t| t > now) {
                f(e.key(), e.value());
            }
        }
    }
}
