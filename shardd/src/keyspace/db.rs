//! Numbered databases (`SELECT`, `MOVE`, `SWAPDB`).
//!
//! Each database is a [`Db`]: its slot stores, expiry index and counts.
//! The selected one sits inline in the [`Keyspace`] (`ks.db`), so a
//! command reaches its keys exactly as it did before databases existed;
//! the others wait boxed in `ks.dbs`, allocated on first use (a database
//! nobody selects costs one `None`). [`Keyspace::select`] swaps the two:
//! a few words moved, only when a request names another database than the
//! one selected, so a user of database 0 alone pays one comparison per
//! request.
//!
//! Everything else of the keyspace (clocks, statistics, functions, noted
//! happenings) is the shard's, shared by all databases, as in Redis.

use super::{expiry::ExpiryIndex, store::SlotStore, Keyspace, SLOT_COUNT};

pub use crate::settings::{DEFAULT_DATABASES, MAX_DATABASES};

/// One database's keys.
pub(super) struct Db {
    /// One store per slot; a store allocates on its first insert.
    pub slots: Vec<SlotStore>,
    pub expiry: ExpiryIndex,
    pub len: usize,
    pub ttl_keys: usize,
}

impl Default for Db {
    fn default() -> Self {
        Db {
            slots: (0..SLOT_COUNT).map(|_| SlotStore::default()).collect(),
            expiry: ExpiryIndex::default(),
            len: 0,
            ttl_keys: 0,
        }
    }
}

/// The name of `key` of database `db` in the shard's tables of keys
/// across databases (watches, blocked clients): the key, then the
/// database as 4 bytes (little-endian), so no two (database, key) pairs
/// share a name.
pub fn db_key(db: usize, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 4);
    db_key_into(&mut k, db, key);
    k
}

/// [`db_key`] written over `buf` (a buffer kept for lookups: no
/// allocation once it is big enough).
pub fn db_key_into(buf: &mut Vec<u8>, db: usize, key: &[u8]) {
    buf.clear();
    buf.extend_from_slice(key);
    buf.extend_from_slice(&(db as u32).to_le_bytes());
}

/// The database and key a [`db_key`] names.
pub fn split_db_key(k: &[u8]) -> (usize, &[u8]) {
    let at = k.len().saturating_sub(4);
    let (key, db) = k.split_at(at);
    let db = db
        .try_into()
        .map_or(0, |b: [u8; 4]| u32::from_le_bytes(b) as usize);
    (db, key)
}

/// Why `MOVE` did not move.
#[derive(Debug, PartialEq, Eq)]
pub enum MoveError {
    /// Source and destination are the same database.
    SameDb,
    /// The destination is not a database.
    OutOfRange,
}

impl Keyspace {
    /// How many databases there are (`databases`).
    pub fn databases(&self) -> usize {
        self.dbs.len()
    }

    /// Sets how many databases there are (at start, before any key is
    /// loaded; `n` is clamped to 1..=[`MAX_DATABASES`]).
    pub fn set_databases(&mut self, n: usize) {
        let n = n.clamp(1, MAX_DATABASES);
        self.select(0);
        self.dbs.resize_with(n, || None);
    }

    /// Makes room for database `n` when loaded data names it (a
    /// `databases` lowered since it was written): the data is kept, not
    /// dropped, and a warning says so.
    pub fn make_room_for_db(&mut self, n: usize) {
        if n >= self.dbs.len() && n < MAX_DATABASES {
            tracing::warn!(
                db = n,
                databases = self.dbs.len(),
                "the data holds a database beyond `databases`; kept"
            );
            self.dbs.resize_with(n + 1, || None);
        }
    }

    /// The selected database's number.
    pub fn selected(&self) -> usize {
        self.current
    }

    /// Makes database `n` the one commands see (no-op if it already is;
    /// a number out of range is ignored: the proxy checks it).
    #[inline]
    pub fn select(&mut self, n: usize) {
        if n != self.current {
            self.select_other(n);
        }
    }

    #[cold]
    fn select_other(&mut self, n: usize) {
        if n >= self.dbs.len() {
            return;
        }
        let mut next = match self.dbs[n].take() {
            Some(d) => d,
            None => self.spare.take().unwrap_or_default(),
        };
        std::mem::swap(&mut self.db, &mut next);
        if next.len == 0 && self.current != 0 {
            // An empty database keeps no tables: at most one spare is
            // kept for the next database selected (so a client that reads
            // every database, or alternates with an empty one, holds one
            // slot table, not one per database, and allocates none).
            next.expiry.clear();
            if self.spare.is_none() {
                self.spare = Some(next);
            }
        } else {
            self.dbs[self.current] = Some(next);
        }
        self.current = n;
    }

    /// Runs `f` with database `n` selected, then selects back.
    pub fn in_db<T>(&mut self, n: usize, f: impl FnOnce(&mut Keyspace) -> T) -> T {
        let home = self.current;
        self.select(n);
        let out = f(self);
        self.select(home);
        out
    }

    /// The numbers of the databases that hold keys (the selected one
    /// included), in order.
    pub fn used_dbs(&self) -> Vec<usize> {
        (0..self.dbs.len())
            .filter(|&i| self.db_ref(i).is_some_and(|d| d.len > 0))
            .collect()
    }

    /// Database `n`, if it was ever used.
    pub(super) fn db_ref(&self, n: usize) -> Option<&Db> {
        if n == self.current {
            Some(&self.db)
        } else {
            self.dbs.get(n).and_then(|d| d.as_deref())
        }
    }

    /// Database `n`, mutably, if it was ever used.
    pub(super) fn db_mut(&mut self, n: usize) -> Option<&mut Db> {
        if n == self.current {
            Some(&mut self.db)
        } else {
            self.dbs.get_mut(n).and_then(|d| d.as_deref_mut())
        }
    }

    /// Keys and keys with a TTL of every database that holds keys:
    /// `(db, keys, expires)` (`INFO keyspace`).
    pub fn db_sizes(&self) -> Vec<(usize, usize, usize)> {
        self.used_dbs()
            .into_iter()
            .filter_map(|i| self.db_ref(i).map(|d| (i, d.len, d.ttl_keys)))
            .collect()
    }

    /// Keys in all databases.
    pub fn total_len(&self) -> usize {
        (0..self.dbs.len())
            .filter_map(|i| self.db_ref(i))
            .map(|d| d.len)
            .sum()
    }

    /// Exchanges databases `a` and `b` (`SWAPDB`; the caller checked both
    /// are in range).
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        if a == b || a >= self.dbs.len() || b >= self.dbs.len() {
            return;
        }
        let home = self.current;
        if home == a || home == b {
            // The selected one is inline: trade its content with the box.
            let other = if home == a { b } else { a };
            let mut boxed = self.dbs[other].take().unwrap_or_default();
            std::mem::swap(&mut self.db, &mut boxed);
            self.dbs[other] = Some(boxed);
        } else {
            self.dbs.swap(a, b);
        }
    }

    /// Empties every database (`FLUSHALL`); database `selected` stays
    /// selected.
    pub fn clear_all(&mut self) {
        self.clear();
        for d in self.dbs.iter_mut() {
            *d = None;
        }
    }

    /// Moves `key` from the selected database to database `to` (`MOVE`):
    /// true if it moved, false if it is missing here or exists there.
    pub fn move_to(&mut self, key: &[u8], to: usize) -> Result<bool, MoveError> {
        if to >= self.dbs.len() {
            return Err(MoveError::OutOfRange);
        }
        if to == self.current {
            return Err(MoveError::SameDb);
        }
        if !self.exists(key) || self.in_db(to, |ks| ks.exists(key)) {
            return Ok(false);
        }
        let Some((value, expire_at)) = self.take_with_expiry(key) else {
            return Ok(false);
        };
        self.note_event(common::notify::GENERIC, "move_from", key);
        self.in_db(to, |ks| {
            ks.insert_with_expiry(key, value, expire_at);
            ks.note_event(common::notify::GENERIC, "move_to", key);
        });
        self.elsewhere = Some((to, key.to_vec()));
        Ok(true)
    }

    /// The command that ran wrote `key` of database `db`, not the
    /// selected one: its events and signals go there
    /// ([`Keyspace::take_written_elsewhere`]).
    pub fn wrote_elsewhere(&mut self, db: usize, key: &[u8]) {
        self.elsewhere = Some((db, key.to_vec()));
    }

    /// What [`Keyspace::wrote_elsewhere`] said, once.
    pub fn take_written_elsewhere(&mut self) -> Option<(usize, Vec<u8>)> {
        self.elsewhere.take()
    }

    /// Runs the active expiry cycle in every database with keys that
    /// have a TTL, `budget` each; returns the keys removed. The noted
    /// happenings carry their database.
    pub fn active_expire_all(&mut self, budget: usize) -> usize {
        if self.expiry_paused() {
            return 0;
        }
        let home = self.current;
        let mut removed = 0;
        for i in 0..self.dbs.len() {
            if self.db_ref(i).is_some_and(|d| d.ttl_keys > 0) {
                self.select(i);
                removed += self.active_expire_cycle(budget);
            }
        }
        self.select(home);
        removed
    }
}

#[cfg(test)]
mod tests {
    use crate::keyspace::{Keyspace, Value};

    fn s(v: &str) -> Value {
        Value::Str(v.as_bytes().to_vec())
    }

    #[test]
    fn db_keys_name_each_pair_once() {
        use super::{db_key, split_db_key};
        assert_ne!(db_key(0, b"k\x01\0\0\0"), db_key(1, b"k"));
        assert_eq!(split_db_key(&db_key(7, b"key")), (7, &b"key"[..]));
        assert_eq!(split_db_key(&db_key(0, b"")), (0, &b""[..]));
    }

    #[test]
    fn databases_keep_their_own_keys() {
        let mut ks = Keyspace::new();
        ks.insert(b"k", s("zero"));
        ks.select(3);
        assert!(!ks.exists(b"k"));
        ks.insert(b"k", s("three"));
        ks.insert(b"j", s("three"));
        assert_eq!(ks.len(), 2);
        ks.select(0);
        assert_eq!(ks.len(), 1);
        assert_eq!(ks.db_sizes(), vec![(0, 1, 0), (3, 2, 0)]);
        assert_eq!(ks.total_len(), 3);
        assert_eq!(ks.memory_stats().keys, 3, "memory counts every database");
        ks.select(99);
        assert_eq!(ks.selected(), 0, "out of range is ignored");
        // Reading empty databases keeps at most one spare table.
        for n in 4..16 {
            ks.select(n);
            assert!(!ks.exists(b"k"));
        }
        ks.select(0);
        assert_eq!(
            ks.dbs.iter().filter(|d| d.is_some()).count(),
            1,
            "db 3 only"
        );
        assert!(ks.spare.is_some());
        ks.select(5);
        ks.insert(b"k", s("five"));
        ks.select(0);
        assert_eq!(ks.db_sizes(), vec![(0, 1, 0), (3, 2, 0), (5, 1, 0)]);
    }

    #[test]
    fn swap_and_move_follow_redis() {
        let mut ks = Keyspace::new();
        ks.insert(b"a", s("0"));
        ks.in_db(1, |ks| ks.insert(b"b", s("1")));
        ks.swap_dbs(0, 1);
        assert!(ks.exists(b"b") && !ks.exists(b"a"));
        ks.in_db(2, |ks| ks.insert(b"c", s("2")));
        ks.swap_dbs(1, 2);
        assert!(ks.in_db(1, |ks| ks.exists(b"c")));
        assert!(ks.in_db(2, |ks| ks.exists(b"a")));
        assert_eq!(ks.selected(), 0);
        assert_eq!(ks.move_to(b"b", 5), Ok(true));
        assert!(!ks.exists(b"b"));
        assert!(ks.in_db(5, |ks| ks.exists(b"b")));
        assert_eq!(ks.move_to(b"b", 5), Ok(false), "missing here");
        assert_eq!(ks.move_to(b"x", 0), Err(super::MoveError::SameDb));
        assert_eq!(ks.move_to(b"x", 16), Err(super::MoveError::OutOfRange));
        ks.insert(b"c", s("here"));
        assert_eq!(ks.move_to(b"c", 1), Ok(false), "exists there");
        ks.clear_all();
        assert_eq!(ks.total_len(), 0);
    }
}
