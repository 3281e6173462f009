//! The keyspace: every key of this shard, its value and its expiry time.
//!
//! Commands see the keyspace only through this API, so the table behind it
//! can change (compact entries, per-slot tables) without touching them.
//! Expired keys are removed lazily when a command looks them up and actively
//! by [`Keyspace::active_expire_cycle`], which the shard's loop calls with a
//! bounded budget.
//!
//! Storage (first cut): one `hashbrown` map from key to entry. The compact
//! representation described in DESIGN.md replaces it behind this API.

use hashbrown::HashMap;

use crate::{
    clock::{Clock, SystemClock},
    types::{hash::HashObj, list::ListObj, set::SetObj, zset::ZSetObj},
};

/// A value of one of Redis's types.
#[derive(Debug, Clone)]
pub enum Value {
    /// A string (binary safe).
    Str(Vec<u8>),
    /// A hash.
    Hash(Box<HashObj>),
    /// A list.
    List(Box<ListObj>),
    /// A set.
    Set(Box<SetObj>),
    /// A sorted set.
    ZSet(Box<ZSetObj>),
}

impl Value {
    /// A borrowed view of this value.
    pub fn as_ref(&self) -> ValueRef<'_> {
        match self {
            Value::Str(s) => ValueRef::Str(s),
            Value::Hash(h) => ValueRef::Hash(h),
            Value::List(l) => ValueRef::List(l),
            Value::Set(s) => ValueRef::Set(s),
            Value::ZSet(z) => ValueRef::ZSet(z),
        }
    }

    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        self.as_ref().type_name()
    }
}

/// A borrowed value. Strings are read-only views: the table may store them
/// inline with the key, so a changed string is written back with
/// [`Keyspace::insert_keep_ttl`].
#[derive(Debug, Clone, Copy)]
pub enum ValueRef<'a> {
    /// A string.
    Str(&'a [u8]),
    /// A hash.
    Hash(&'a HashObj),
    /// A list.
    List(&'a ListObj),
    /// A set.
    Set(&'a SetObj),
    /// A sorted set.
    ZSet(&'a ZSetObj),
}

impl ValueRef<'_> {
    /// The name `TYPE` replies with.
    pub fn type_name(&self) -> &'static str {
        match self {
            ValueRef::Str(_) => "string",
            ValueRef::Hash(_) => "hash",
            ValueRef::List(_) => "list",
            ValueRef::Set(_) => "set",
            ValueRef::ZSet(_) => "zset",
        }
    }
}

/// A value borrowed for in-place change. Strings stay read-only (see
/// [`ValueRef`]); collections are changed in place.
#[derive(Debug)]
pub enum ValueMut<'a> {
    /// A string (read-only; write back with [`Keyspace::insert_keep_ttl`]).
    Str(&'a [u8]),
    /// A hash.
    Hash(&'a mut HashObj),
    /// A list.
    List(&'a mut ListObj),
    /// A set.
    Set(&'a mut SetObj),
    /// A sorted set.
    ZSet(&'a mut ZSetObj),
}

struct Entry {
    value: Value,
    /// Absolute expiry time in Unix milliseconds, if the key has a TTL.
    expire_at_ms: Option<u64>,
}

/// All keys of one shard.
pub struct Keyspace {
    map: HashMap<Box<[u8]>, Entry, ahash::RandomState>,
    clock: Box<dyn Clock>,
    expired_total: u64,
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Keyspace {
    /// An empty keyspace on the wall clock.
    pub fn new() -> Self {
        Self::with_clock(Box::new(SystemClock))
    }

    /// An empty keyspace on `clock` (tests inject a [`crate::clock::ManualClock`]).
    pub fn with_clock(clock: Box<dyn Clock>) -> Self {
        Keyspace {
            map: HashMap::with_hasher(ahash::RandomState::new()),
            clock,
            expired_total: 0,
        }
    }

    /// Now, in Unix milliseconds, by this keyspace's clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Number of keys, counting ones that expired but were not yet removed.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Keys removed by expiry since start.
    pub fn expired_total(&self) -> u64 {
        self.expired_total
    }

    /// Removes `key` if its time has come; true if it is (still) present after.
    fn expire_if_due(&mut self, key: &[u8]) -> bool {
        let now = self.clock.now_ms();
        match self.map.get(key) {
            None => false,
            Some(e) if e.expire_at_ms.is_some_and(|t| t <= now) => {
                self.map.remove(key);
                self.expired_total += 1;
                false
            }
            Some(_) => true,
        }
    }

    /// The value of `key`, or `None` if it is missing or expired.
    pub fn get(&mut self, key: &[u8]) -> Option<ValueRef<'_>> {
        if !self.expire_if_due(key) {
            return None;
        }
        self.map.get(key).map(|e| e.value.as_ref())
    }

    /// The value of `key` for in-place changes, or `None` if missing or expired.
    /// A caller that empties a collection must [`Keyspace::remove`] the key.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<ValueMut<'_>> {
        if !self.expire_if_due(key) {
            return None;
        }
        self.map.get_mut(key).map(|e| match &mut e.value {
            Value::Str(s) => ValueMut::Str(s),
            Value::Hash(h) => ValueMut::Hash(h),
            Value::List(l) => ValueMut::List(l),
            Value::Set(s) => ValueMut::Set(s),
            Value::ZSet(z) => ValueMut::ZSet(z),
        })
    }

    /// Whether `key` exists (and has not expired).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.expire_if_due(key)
    }

    /// Sets `key` to `value` and clears any TTL it had.
    pub fn insert(&mut self, key: &[u8], value: Value) {
        self.insert_with_expiry(key, value, None);
    }

    /// Sets `key` to `value` with an absolute expiry (or none).
    pub fn insert_with_expiry(&mut self, key: &[u8], value: Value, expire_at_ms: Option<u64>) {
        let entry = Entry {
            value,
            expire_at_ms,
        };
        match self.map.get_mut(key) {
            Some(e) => *e = entry,
            None => {
                self.map.insert(key.into(), entry);
            }
        }
    }

    /// Sets `key` to `value`, keeping the TTL of a live previous value.
    pub fn insert_keep_ttl(&mut self, key: &[u8], value: Value) {
        let ttl = if self.expire_if_due(key) {
            self.map.get(key).and_then(|e| e.expire_at_ms)
        } else {
            None
        };
        self.insert_with_expiry(key, value, ttl);
    }

    /// Removes `key`; returns its value if it was live.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        if !self.expire_if_due(key) {
            return None;
        }
        self.map.remove(key).map(|e| e.value)
    }

    /// `None` if `key` is missing; `Some(None)` if it has no TTL; else its
    /// absolute expiry in Unix milliseconds.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<Option<u64>> {
        if !self.expire_if_due(key) {
            return None;
        }
        self.map.get(key).map(|e| e.expire_at_ms)
    }

    /// Sets the absolute expiry of a live `key`; false if it is missing.
    /// A time in the past deletes the key (as Redis does).
    pub fn set_expire_at(&mut self, key: &[u8], at_ms: u64) -> bool {
        if !self.expire_if_due(key) {
            return false;
        }
        if at_ms <= self.clock.now_ms() {
            self.map.remove(key);
            return true;
        }
        if let Some(e) = self.map.get_mut(key) {
            e.expire_at_ms = Some(at_ms);
        }
        true
    }

    /// Removes the TTL of `key`; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if !self.expire_if_due(key) {
            return false;
        }
        match self.map.get_mut(key) {
            Some(e) => e.expire_at_ms.take().is_some(),
            None => false,
        }
    }

    /// Removes every key.
    pub fn clear(&mut self) {
        self.map.clear();
    }

    /// Removes up to `budget` expired keys; returns how many it removed.
    pub fn active_expire_cycle(&mut self, budget: usize) -> usize {
        let now = self.clock.now_ms();
        let due: Vec<Box<[u8]>> = self
            .map
            .iter()
            .filter(|(_, e)| e.expire_at_ms.is_some_and(|t| t <= now))
            .take(budget)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &due {
            self.map.remove(k);
        }
        self.expired_total += due.len() as u64;
        due.len()
    }

    /// Calls `f` with every live key (order unspecified).
    pub fn for_each_key(&self, mut f: impl FnMut(&[u8], ValueRef<'_>)) {
        let now = self.clock.now_ms();
        for (k, e) in &self.map {
            if e.expire_at_ms.is_none_or(|t| t > now) {
                f(k, e.value.as_ref());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn key_expires_lazily_by_the_injected_clock() {
        let clock = ManualClock::new(1_000);
        let mut ks = Keyspace::with_clock(Box::new(clock.clone()));
        ks.insert_with_expiry(b"k", Value::Str(b"v".to_vec()), Some(1_500));
        assert!(ks.exists(b"k"));
        clock.advance(500);
        assert!(!ks.exists(b"k"));
        assert_eq!(ks.len(), 0);
    }

    #[test]
    fn insert_keep_ttl_keeps_a_live_ttl() {
        let clock = ManualClock::new(0);
        let mut ks = Keyspace::with_clock(Box::new(clock.clone()));
        ks.insert_with_expiry(b"k", Value::Str(b"a".to_vec()), Some(100));
        ks.insert_keep_ttl(b"k", Value::Str(b"b".to_vec()));
        assert_eq!(ks.expire_at(b"k"), Some(Some(100)));
        ks.insert(b"k", Value::Str(b"c".to_vec()));
        assert_eq!(ks.expire_at(b"k"), Some(None));
    }
}
