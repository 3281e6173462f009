//! WATCH on a shard: who watches which key, and whether a watcher's
//! transaction must fail.
//!
//! Redis 7.0's rules (`multi.c`): a watcher is dirty once a key it watches
//! is modified (any write that changed it, a FLUSHALL/FLUSHDB while it
//! exists, its expiry's deletion); a key that was already logically expired
//! when watched is not a change when it is finally deleted; at EXEC a
//! watcher is dirty also if a key it watched live has since expired.
//!
//! A watcher is named by the proxy (the client's id, unique in the proxy
//! process) and belongs to the ring channel it came through (`owner`, the
//! proxy worker's generation): when that channel goes away, so do its
//! watchers. A dirty watcher drops its keys at once (nothing more can make
//! it dirtier); its dirty mark stays until EXEC, DISCARD or UNWATCH.
//!
//! Cost when nobody watches: one `is_empty` check per write.

use ahash::AHashMap as HashMap;

use crate::keyspace::{db_key, db_key_into, split_db_key, Keyspace, Presence};

/// Whether `k` (a [`db_key`]) is there in its database.
fn presence_of(ks: &mut Keyspace, k: &[u8]) -> Presence {
    let (db, key) = split_db_key(k);
    ks.in_db(db, |ks| ks.presence(key))
}

/// Most keys one watcher may watch on one shard (a bound on the table a
/// client can grow; Redis has none, but its memory counts against the
/// client).
pub const WATCH_KEYS_MAX: usize = 1 << 20;

#[derive(Debug)]
struct Watcher {
    owner: u64,
    /// Its keys, each a [`db_key`].
    keys: Vec<Vec<u8>>,
    dirty: bool,
}

#[derive(Debug, Clone, Copy)]
struct Watching {
    watcher: u64,
    /// The key was already logically expired when watched.
    expired: bool,
    /// The key was live when watched: if it is not at EXEC, it expired
    /// (and may have been removed since, which touches nothing here).
    live: bool,
}

/// The shard's watches.
#[derive(Debug, Default)]
pub struct Watches {
    /// Watchers by watched key (a [`db_key`]).
    by_key: HashMap<Vec<u8>, Vec<Watching>>,
    watchers: HashMap<u64, Watcher>,
    /// A buffer for the [`db_key`] of a touched key.
    name: Vec<u8>,
}

impl Watches {
    /// Whether nobody watches any key (the write path's fast check).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// `watcher` (from channel `owner`) watches `keys` of the selected
    /// database of `ks`.
    pub fn watch<'k>(
        &mut self,
        watcher: u64,
        owner: u64,
        keys: impl IntoIterator<Item = &'k [u8]>,
        ks: &Keyspace,
    ) -> Result<(), &'static str> {
        let db = ks.selected();
        let w = self.watchers.entry(watcher).or_insert(Watcher {
            owner,
            keys: Vec::new(),
            dirty: false,
        });
        if w.dirty {
            // No point in watching more: EXEC fails anyway (Redis).
            return Ok(());
        }
        for key in keys {
            let named = db_key(db, key);
            if w.keys.contains(&named) {
                continue;
            }
            if w.keys.len() >= WATCH_KEYS_MAX {
                return Err("ERR too many watched keys");
            }
            w.keys.push(named.clone());
            let presence = ks.presence(key);
            self.by_key.entry(named).or_default().push(Watching {
                watcher,
                expired: presence == Presence::Expired,
                live: presence == Presence::Live,
            });
        }
        Ok(())
    }

    /// Forgets `watcher` and its dirty mark (EXEC, DISCARD, UNWATCH).
    pub fn unwatch(&mut self, watcher: u64) {
        if let Some(w) = self.watchers.remove(&watcher) {
            self.drop_keys(watcher, &w.keys);
        }
    }

    /// Forgets every watcher of the channel `owner` (it went away).
    pub fn drop_owner(&mut self, owner: u64) {
        let gone: Vec<u64> = self
            .watchers
            .iter()
            .filter(|(_, w)| w.owner == owner)
            .map(|(&id, _)| id)
            .collect();
        for id in gone {
            self.unwatch(id);
        }
    }

    fn drop_keys(&mut self, watcher: u64, keys: &[Vec<u8>]) {
        for k in keys {
            if let Some(list) = self.by_key.get_mut(k) {
                list.retain(|x| x.watcher != watcher);
                if list.is_empty() {
                    self.by_key.remove(k);
                }
            }
        }
    }

    /// `key` of database `db` was modified (`ks` as after the change):
    /// its watchers are dirty, but for those that watched it already
    /// expired and see it deleted now, which is no logical change
    /// (`touchWatchedKey`). A key watched expired that is there after the
    /// change was deleted (its expiry, on the write's lookup) and written
    /// again: Redis signals both, the second dirtying the watcher.
    pub fn touch(&mut self, db: usize, key: &[u8], ks: &mut Keyspace) {
        // On every write while anyone watches: looked up without allocating.
        db_key_into(&mut self.name, db, key);
        let Some(list) = self.by_key.get_mut(self.name.as_slice()) else {
            return;
        };
        let gone = presence_of(ks, &self.name) == Presence::Missing;
        let mut dirtied = Vec::new();
        for x in list.iter_mut() {
            if x.expired && gone {
                x.expired = false;
                continue;
            }
            dirtied.push(x.watcher);
        }
        for id in dirtied {
            self.make_dirty(id);
        }
    }

    /// A FLUSHALL (`db` `None`) or a FLUSHDB of database `db` is about
    /// to empty `ks`: dirties the watchers of every watched key it holds
    /// (`touchAllWatchedKeysInDb`). Call before the flush.
    pub fn touch_before_flush(&mut self, db: Option<usize>, ks: &mut Keyspace) {
        let mut dirtied = Vec::new();
        for (key, list) in self.by_key.iter_mut() {
            if db.is_some_and(|n| n != split_db_key(key).0)
                || presence_of(ks, key) == Presence::Missing
            {
                continue;
            }
            for x in list.iter_mut() {
                if x.expired {
                    // An expired key now deleted: no logical change.
                    x.expired = false;
                } else {
                    dirtied.push(x.watcher);
                }
            }
        }
        for id in dirtied {
            self.make_dirty(id);
        }
    }

    /// SWAPDB `a` `b` is about to run: dirties the watchers of the
    /// watched keys of either database that exist in either (Redis 7.0's
    /// `touchAllWatchedKeysInDb` on both). Call before the swap.
    pub fn touch_before_swap(&mut self, a: usize, b: usize, ks: &mut Keyspace) {
        let mut dirtied = Vec::new();
        for (k, list) in self.by_key.iter() {
            let (db, key) = split_db_key(k);
            if db != a && db != b {
                continue;
            }
            let either = [a, b]
                .iter()
                .any(|&d| ks.in_db(d, |ks| ks.presence(key)) != Presence::Missing);
            if either {
                dirtied.extend(list.iter().map(|x| x.watcher));
            }
        }
        for id in dirtied {
            self.make_dirty(id);
        }
    }

    fn make_dirty(&mut self, id: u64) {
        let Some(w) = self.watchers.get_mut(&id) else {
            return;
        };
        if w.dirty {
            return;
        }
        w.dirty = true;
        let keys = std::mem::take(&mut w.keys);
        self.drop_keys(id, &keys);
    }

    /// Whether `watcher`'s transaction must fail: it is dirty, or a key it
    /// watched live has expired since (`isWatchedKeyExpired`; removed by
    /// the expiry cycle or a read since, it is gone: the same change).
    pub fn failed(&self, watcher: u64, ks: &mut Keyspace) -> bool {
        let Some(w) = self.watchers.get(&watcher) else {
            return false;
        };
        if w.dirty {
            return true;
        }
        w.keys.iter().any(|k| {
            presence_of(ks, k) != Presence::Live
                && self
                    .by_key
                    .get(k)
                    .is_some_and(|l| l.iter().any(|x| x.watcher == watcher && x.live))
        })
    }

    /// Watchers known (for INFO and tests).
    pub fn watchers(&self) -> usize {
        self.watchers.len()
    }

    /// Keys watched.
    pub fn keys(&self) -> usize {
        self.by_key.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn ks() -> (Keyspace, ManualClock) {
        let clock = ManualClock::new(1_000);
        (Keyspace::with_clock(Box::new(clock.clone())), clock)
    }

    #[test]
    fn a_write_to_a_watched_key_fails_its_watchers_only() {
        let (mut ks, _) = ks();
        let mut w = Watches::default();
        w.watch(1, 9, [&b"a"[..]], &ks).unwrap();
        w.watch(2, 9, [&b"b"[..]], &ks).unwrap();
        ks.insert_str(b"a", b"1");
        w.touch(0, b"a", &mut ks);
        assert!(w.failed(1, &mut ks));
        assert!(!w.failed(2, &mut ks));
        assert_eq!(w.keys(), 1, "the dirty watcher dropped its keys");
        w.unwatch(1);
        assert!(!w.failed(1, &mut ks));
        assert!(!w.is_empty());
        w.drop_owner(9);
        assert!(w.is_empty() && w.watchers() == 0);
    }

    #[test]
    fn expired_keys_follow_redis_rules() {
        let (mut ks, clock) = ks();
        ks.insert_str_with_expiry(b"stale", b"v", Some(1_500));
        ks.insert_str_with_expiry(b"soon", b"v", Some(2_500));
        clock.set(2_000);
        let mut w = Watches::default();
        // Watched already expired: its deletion is no change.
        w.watch(1, 0, [&b"stale"[..]], &ks).unwrap();
        ks.remove(b"stale");
        assert_eq!(ks.presence(b"stale"), Presence::Missing);
        w.touch(0, b"stale", &mut ks);
        assert!(!w.failed(1, &mut ks));
        // Watched live, expired before EXEC: the transaction fails, also
        // once the expiry cycle removed it.
        w.watch(2, 0, [&b"soon"[..]], &ks).unwrap();
        assert!(!w.failed(2, &mut ks));
        clock.set(3_000);
        assert!(w.failed(2, &mut ks));
        assert_eq!(ks.active_expire_cycle(10), 1);
        assert!(w.failed(2, &mut ks));
        // Watched missing and still missing: nothing happened.
        w.watch(3, 0, [&b"never"[..]], &ks).unwrap();
        assert!(!w.failed(3, &mut ks));
        // Watched already expired, then written again (the write's lookup
        // removed the expired entry): a change.
        ks.insert_str_with_expiry(b"again", b"v", Some(2_500));
        w.watch(4, 0, [&b"again"[..]], &ks).unwrap();
        ks.remove(b"again");
        ks.insert_str(b"again", b"new");
        w.touch(0, b"again", &mut ks);
        assert!(w.failed(4, &mut ks));
    }

    #[test]
    fn a_flush_fails_watchers_of_keys_that_exist() {
        let (mut ks, _) = ks();
        ks.insert_str(b"here", b"v");
        let mut w = Watches::default();
        w.watch(1, 0, [&b"here"[..]], &ks).unwrap();
        w.watch(2, 0, [&b"absent"[..]], &ks).unwrap();
        w.touch_before_flush(None, &mut ks);
        ks.clear();
        assert!(w.failed(1, &mut ks));
        assert!(!w.failed(2, &mut ks));
    }
}
