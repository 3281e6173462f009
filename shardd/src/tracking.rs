//! Client-side caching on a shard (`CLIENT TRACKING`): which clients may
//! hold which of this shard's keys, and the invalidations the proxy
//! delivers when those keys change.
//!
//! Redis 7.0's rules (`tracking.c`), kept here for the keys of one shard:
//!
//! - A read-only command of a tracking client (the proxy sets
//!   `REQ_FLAG_TRACK` when the client's mode says to remember it: not
//!   `BCAST`, `OPTIN` only after `CLIENT CACHING yes`, `OPTOUT` unless
//!   `CLIENT CACHING no`) remembers its keys for the client, after it ran.
//!   A script remembers its declared keys if it called a read-only
//!   command. `SHARDD.TRACK client key...` remembers keys ahead of a read
//!   the proxy runs another way (a transaction over several shards).
//! - A key that changes (every write that changed it, its expiry, its
//!   eviction, a slot moving away) is forgotten, and each client that had
//!   it gets an invalidation naming the client whose command changed it
//!   (for `NOLOOP`), 0 for none. A key under a prefix some `BCAST` client
//!   tracks (`crate::subs`) gets one invalidation for the proxy to match.
//! - FLUSHALL and FLUSHDB forget every key and send one flush
//!   invalidation (every tracking client gets a null).
//! - Keys are names, whatever their database, as in Redis.
//! - `tracking-table-max-keys` bounds the keys remembered over every
//!   shard: each keeps its share by the slots it owns ([`share`], the
//!   shares add up to the bound exactly); past it, keys are forgotten
//!   with an invalidation, at most [`EVICT_BUDGET`] per step.
//!
//! Invalidations travel as events (`common::notify::push_invalidation`)
//! on the reply of the request that caused them, or through the events'
//! long poll when no request did (expiry, the table's bound). Who gets
//! what, in which protocol and through which redirection is the proxy's
//! business (`proxy/src/tracking.rs`); a client id the proxy no longer
//! knows is dropped there, lazily, as Redis drops them.

use std::collections::HashMap;

use common::{
    notify::{push_invalidation, Invalidated},
    table::{flags::F_READONLY, keyspec::keys_and_flags, Cmd},
};
use smallvec::SmallVec;

/// Keys forgotten for the table's bound in one step (each an
/// invalidation riding on one reply).
pub const EVICT_BUDGET: usize = 1000;

/// The shard's tracking table and the invalidations of the running
/// request.
#[derive(Debug, Default)]
pub struct Tracking {
    /// Clients that may cache each key.
    table: HashMap<Vec<u8>, SmallVec<[u64; 2]>>,
    /// Client ids over every key (`tracking_total_items`).
    items: usize,
    /// `tracking-table-max-keys`, over every shard (0: no bound).
    pub max_keys: usize,
    /// The client whose reads the running request remembers (0: none).
    pub reader: u64,
    /// The client the running request's changes are by (0: none).
    pub by: u64,
    /// Inside a script of a tracking client: whether it called a
    /// read-only command yet.
    pub script_read: Option<bool>,
    /// Invalidations not yet handed to the proxy (`common::notify`).
    pub blob: Vec<u8>,
    /// Some key was ever remembered: expired keys are noted from then on.
    pub noting_expiry: bool,
    /// This shard's share of `max_keys` as last computed, with the bound
    /// and the owned slots (by address) it was computed for.
    pub share_for: Option<(usize, usize, usize)>,
}

impl Tracking {
    /// Keys remembered (`tracking_total_keys`).
    pub fn keys(&self) -> usize {
        self.table.len()
    }

    /// Client ids remembered over every key (`tracking_total_items`).
    pub fn items(&self) -> usize {
        self.items
    }

    /// Whether any key is remembered.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Remembers that `client` may cache `key`.
    pub fn remember(&mut self, client: u64, key: &[u8]) {
        if client == 0 {
            return;
        }
        let ids = match self.table.get_mut(key) {
            Some(ids) => ids,
            None => self.table.entry(key.to_vec()).or_default(),
        };
        if !ids.contains(&client) {
            ids.push(client);
            self.items += 1;
        }
    }

    /// After command `id` ran with `argv`: remembers its keys for the
    /// reader if it is a read-only command (in a script: notes the read).
    pub fn after_command(&mut self, id: Cmd, argv: &[&[u8]]) {
        if self.reader == 0 || !id.spec().has_flag(F_READONLY) {
            return;
        }
        if let Some(read) = self.script_read.as_mut() {
            *read = true;
            return;
        }
        let Ok(keys) = keys_and_flags(id.spec(), argv) else {
            return;
        };
        let reader = self.reader;
        for (pos, _) in keys {
            if let Some(key) = argv.get(pos) {
                self.remember(reader, key);
            }
        }
    }

    /// `key` changed: the clients that may cache it are told (and it is
    /// forgotten); `prefixed`: it is under a prefix some client tracks.
    pub fn changed(&mut self, key: &[u8], prefixed: bool) {
        if let Some(ids) = self.table.remove(key) {
            self.items -= ids.len();
            for id in ids {
                push_invalidation(&mut self.blob, Invalidated::Client(id), self.by, key);
            }
        }
        if prefixed {
            push_invalidation(&mut self.blob, Invalidated::Prefixes, self.by, key);
        }
    }

    /// A FLUSHALL or FLUSHDB ran: every key is forgotten and every
    /// tracking client told.
    pub fn flushed(&mut self) {
        self.table = HashMap::new();
        self.items = 0;
        push_invalidation(&mut self.blob, Invalidated::Flush, self.by, b"");
    }

    /// Forgets keys past `limit`, this shard's share of `max_keys` (at
    /// most [`EVICT_BUDGET`]), telling their clients as if they had
    /// changed (by nobody); true if still over.
    pub fn bound(&mut self, limit: usize) -> bool {
        if self.max_keys == 0 || self.table.len() <= limit {
            return false;
        }
        let over = self.table.len() - limit;
        let gone: Vec<Vec<u8>> = self
            .table
            .keys()
            .take(over.min(EVICT_BUDGET))
            .cloned()
            .collect();
        let by = std::mem::take(&mut self.by);
        for key in gone {
            self.changed(&key, false);
        }
        self.by = by;
        self.table.len() > limit
    }
}

/// This shard's share of a bound `total` over the keys of every shard,
/// owning the slot ranges `owned` (inclusive): each range takes the whole
/// numbers of `total * slot / 16384` it spans, so the shares of shards
/// that split the slots add up to `total` exactly (a bound of 1 over two
/// shards: 0 and 1).
pub fn share(total: usize, owned: &[(u16, u16)]) -> usize {
    let at =
        |slot: usize| (total as u128 * slot as u128 / common::slot::SLOT_COUNT as u128) as usize;
    owned
        .iter()
        .map(|&(lo, hi)| at(usize::from(hi) + 1) - at(usize::from(lo)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use common::notify::{events, invalidation};

    fn told(t: &mut Tracking) -> Vec<(Invalidated, u64, Vec<u8>)> {
        let blob = std::mem::take(&mut t.blob);
        events(&blob)
            .filter_map(|(ch, key, _)| {
                let (who, by) = invalidation(ch)?;
                Some((who, by, key.to_vec()))
            })
            .collect()
    }

    #[test]
    fn a_read_remembers_its_keys_and_a_change_tells_each_reader_once() {
        let mut t = Tracking {
            reader: 7,
            ..Tracking::default()
        };
        t.after_command(Cmd::Mget, &[b"MGET", b"a", b"b"]);
        t.after_command(Cmd::Set, &[b"SET", b"c", b"1"]);
        t.reader = 8;
        t.after_command(Cmd::Get, &[b"GET", b"a"]);
        t.after_command(Cmd::Get, &[b"GET", b"a"]);
        assert_eq!((t.keys(), t.items()), (2, 3));
        t.reader = 0;
        t.by = 8;
        t.changed(b"a", false);
        t.changed(b"c", false);
        let got = told(&mut t);
        assert_eq!(
            got,
            vec![
                (Invalidated::Client(7), 8, b"a".to_vec()),
                (Invalidated::Client(8), 8, b"a".to_vec())
            ]
        );
        // Forgotten: a second change tells nobody.
        t.changed(b"a", false);
        assert!(told(&mut t).is_empty());
        assert_eq!((t.keys(), t.items()), (1, 1));
    }

    #[test]
    fn a_script_notes_its_reads_without_remembering_their_keys() {
        let mut t = Tracking {
            reader: 3,
            script_read: Some(false),
            ..Tracking::default()
        };
        t.after_command(Cmd::Set, &[b"SET", b"k", b"v"]);
        assert_eq!(t.script_read, Some(false));
        t.after_command(Cmd::Get, &[b"GET", b"k"]);
        assert_eq!(t.script_read, Some(true));
        assert!(t.is_empty());
    }

    #[test]
    fn prefixes_flushes_and_the_bound_make_invalidations() {
        let mut t = Tracking::default();
        t.changed(b"user:1", true);
        t.remember(5, b"x");
        t.remember(5, b"y");
        t.remember(6, b"z");
        t.max_keys = 1;
        assert!(!t.bound(1));
        assert_eq!(t.keys(), 1);
        let got = told(&mut t);
        assert_eq!(got[0], (Invalidated::Prefixes, 0, b"user:1".to_vec()));
        assert_eq!(got.len(), 3);
        t.by = 4;
        t.flushed();
        assert_eq!(told(&mut t), vec![(Invalidated::Flush, 4, Vec::new())]);
        assert_eq!((t.keys(), t.items()), (0, 0));
    }

    #[test]
    fn shares_of_a_bound_add_up_to_it() {
        for total in [1, 2, 7, 1000, 1_000_000, i64::MAX as usize] {
            for n in [1usize, 2, 3, 5] {
                let sum: usize = (0..n)
                    .map(|i| {
                        let lo = (i * common::slot::SLOT_COUNT / n) as u16;
                        let hi = ((i + 1) * common::slot::SLOT_COUNT / n - 1) as u16;
                        share(total, &[(lo, hi)])
                    })
                    .sum();
                assert_eq!(sum, total, "{total} over {n}");
            }
        }
        assert_eq!(share(1, &[(0, 8191)]), 0);
        assert_eq!(share(1, &[(8192, 16383)]), 1);
    }
}
