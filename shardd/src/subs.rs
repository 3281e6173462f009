//! The shard's copy of who subscribes to what, so that `PUBLISH` and
//! `SPUBLISH` inside a script (which runs here, next to the data) answer
//! the number of receivers as Redis does.
//!
//! Subscriptions live in the proxy (`proxy/src/pubsub.rs`). Each proxy
//! worker tells every shard about its own connections' subscriptions
//! with `SHARDD.SUBS`, in order on its ring: the whole set when its link
//! attaches, then each change (`proxy/src/subsync.rs`). The shard keeps
//! them per worker channel (its owner generation) as sets of client ids
//! per name, so a change applied twice changes nothing and the last
//! change of a (client, name) wins whatever came before it; a worker's
//! set goes when its channel goes.
//!
//! The count is the proxy's as of the changes the shard has seen: a
//! SUBSCRIBE is confirmed to its client only after every attached shard
//! has applied it, so a script started after the confirmation counts
//! the subscriber. The message itself is published by the proxy when the
//! script's reply comes back (it rides on the reply like keyspace
//! events), to whoever subscribes then.
//!
//! The same records carry the prefixes of the clients tracking keys in
//! `BCAST` mode (`CLIENT TRACKING on BCAST PREFIX p`, kind `t`): a write
//! to a key under one of them makes an invalidation for the proxy
//! (`crate::tracking`), which finds the clients whose prefixes match.

use std::collections::{HashMap, HashSet};

use common::table::Cmd;

/// `SHARDD.SUBS` is the only command of this module.
pub const fn command(id: Cmd) -> bool {
    matches!(id, Cmd::SharddSubs)
}

/// One worker channel's subscriptions: client ids by name, for
/// channels, patterns, shard channels and tracking prefixes.
#[derive(Default)]
struct Owned {
    names: [HashMap<Vec<u8>, HashSet<u64>>; 4],
}

/// Every attached worker's subscriptions.
#[derive(Default)]
pub struct Mirror {
    owners: HashMap<u64, Owned>,
    /// Some worker has a client tracking a prefix (`BCAST`).
    prefixes: bool,
}

/// The index of the tracking prefixes among an owner's names.
const PREFIXES: usize = 3;

fn kind_index(k: u8) -> Option<usize> {
    match k {
        b'c' => Some(0),
        b'p' => Some(1),
        b's' => Some(2),
        b't' => Some(PREFIXES),
        _ => None,
    }
}

impl Mirror {
    /// Applies `SHARDD.SUBS` changes from worker channel `owner`:
    /// triples of `+c|-c|+p|-p|+s|-s`, client id, name.
    pub fn apply(&mut self, owner: u64, changes: &[&[u8]]) -> Result<(), &'static str> {
        if !changes.len().is_multiple_of(3) {
            return Err("ERR SHARDD.SUBS takes triples: change client name");
        }
        // Checked whole first: a malformed record changes nothing.
        let mut parsed = Vec::with_capacity(changes.len() / 3);
        for c in changes.chunks_exact(3) {
            let (add, kind) = match c[0] {
                [b'+', k] => (true, kind_index(*k)),
                [b'-', k] => (false, kind_index(*k)),
                _ => (false, None),
            };
            let kind = kind.ok_or("ERR bad SHARDD.SUBS change")?;
            let client = std::str::from_utf8(c[1])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or("ERR bad SHARDD.SUBS client id")?;
            parsed.push((add, kind, client, c[2]));
        }
        let owned = self.owners.entry(owner).or_default();
        for (add, kind, client, name) in parsed {
            let map = &mut owned.names[kind];
            if add {
                map.entry(name.to_vec()).or_default().insert(client);
            } else if let Some(set) = map.get_mut(name) {
                set.remove(&client);
                if set.is_empty() {
                    map.remove(name);
                }
            }
        }
        if owned.names.iter().all(HashMap::is_empty) {
            self.owners.remove(&owner);
        }
        self.count_prefixes();
        Ok(())
    }

    fn count_prefixes(&mut self) {
        self.prefixes = self.owners.values().any(|o| !o.names[PREFIXES].is_empty());
    }

    /// Whether some client tracks a prefix (`BCAST`): one check per write.
    pub fn tracks_prefixes(&self) -> bool {
        self.prefixes
    }

    /// Whether `key` is under a prefix some client tracks.
    pub fn under_tracked_prefix(&self, key: &[u8]) -> bool {
        self.prefixes
            && self
                .owners
                .values()
                .any(|o| o.names[PREFIXES].keys().any(|p| key.starts_with(p)))
    }

    /// How many subscriptions a message on `channel` reaches: its
    /// subscribers and those of every matching pattern, or for a shard
    /// channel (`shard`) its subscribers.
    pub fn receivers(&self, channel: &[u8], shard: bool) -> u64 {
        let mut n = 0;
        for owned in self.owners.values() {
            if shard {
                n += owned.names[2].get(channel).map_or(0, HashSet::len);
                continue;
            }
            n += owned.names[0].get(channel).map_or(0, HashSet::len);
            for (pattern, clients) in &owned.names[1] {
                if common::glob::matches(pattern, channel) {
                    n += clients.len();
                }
            }
        }
        n as u64
    }

    /// Worker channel `owner` went away: its subscriptions go too.
    pub fn owner_gone(&mut self, owner: u64) {
        self.owners.remove(&owner);
        self.count_prefixes();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_last_change_of_each_subscription() {
        let mut m = Mirror::default();
        assert_eq!(
            m.apply(1, &[b"+c", b"7", b"news", b"+p", b"7", b"n*"]),
            Ok(())
        );
        // The same change twice (a whole set sent after a change): once.
        assert_eq!(m.apply(1, &[b"+c", b"7", b"news"]), Ok(()));
        assert_eq!(
            m.apply(2, &[b"+c", b"9", b"news", b"+s", b"9", b"news"]),
            Ok(())
        );
        assert_eq!(m.receivers(b"news", false), 3);
        assert_eq!(m.receivers(b"nope", false), 1);
        assert_eq!(m.receivers(b"news", true), 1);
        assert_eq!(
            m.apply(1, &[b"-p", b"7", b"n*", b"-c", b"8", b"news"]),
            Ok(())
        );
        assert_eq!(m.receivers(b"news", false), 2);
        m.owner_gone(2);
        assert_eq!(m.receivers(b"news", false), 1);
        assert_eq!(m.receivers(b"news", true), 0);
        assert_eq!(m.apply(1, &[b"-c", b"7", b"news"]), Ok(()));
        assert!(m.owners.is_empty());
    }

    #[test]
    fn a_malformed_record_changes_nothing() {
        let mut m = Mirror::default();
        for bad in [
            &[&b"+c"[..], b"1"][..],
            &[b"+c", b"1", b"a", b"*x", b"1", b"b"],
            &[b"+c", b"x", b"a"],
            &[b"+q", b"1", b"a"],
        ] {
            assert!(m.apply(1, bad).is_err());
        }
        assert_eq!(m.receivers(b"a", false), 0);
    }

    #[test]
    fn tracked_prefixes_match_keys_until_their_owner_goes() {
        let mut m = Mirror::default();
        assert!(!m.under_tracked_prefix(b"user:1"));
        assert_eq!(
            m.apply(1, &[b"+t", b"7", b"user:", b"+c", b"7", b"user:"]),
            Ok(())
        );
        assert!(m.tracks_prefixes());
        assert!(m.under_tracked_prefix(b"user:1"));
        assert!(!m.under_tracked_prefix(b"use"));
        // Tracking prefixes are not channels.
        assert_eq!(m.receivers(b"user:", false), 1);
        assert_eq!(m.apply(2, &[b"+t", b"9", b""]), Ok(()));
        assert!(m.under_tracked_prefix(b"anything"));
        m.owner_gone(2);
        assert!(!m.under_tracked_prefix(b"anything"));
        assert_eq!(m.apply(1, &[b"-t", b"7", b"user:"]), Ok(()));
        assert!(!m.tracks_prefixes());
    }
}
