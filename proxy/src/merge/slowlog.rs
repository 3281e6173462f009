//! `SLOWLOG GET` and `SLOWLOG LEN` over the whole server: every shard's
//! slow log (`SHARDD.SLOWLOG`) and the proxy's own, as one log.
//!
//! The merged log is the newest entries of all, newest first, at most
//! `slowlog-max-len` (each process keeps its newest `slowlog-max-len`, so
//! the newest of all are always there). Ids are made unique: process `i`
//! of `n` (the shards in order, then the proxy) shows its entry `id` as
//! `id × n + i`. A shard's entry names its client by id; the address and
//! name are the client's now (or when it left, for the last
//! [`crate::stats::DEPARTED_CLIENTS_MAX`] to leave), where Redis keeps
//! those of when the command ran.

use std::sync::Arc;

use common::{
    reply::Reply,
    resp_value,
    slowlog::{self, SlowEntry},
};

use crate::{state::Shared, stats::lock};

/// What the merge builds.
pub enum SlowlogMerge {
    /// `SLOWLOG GET count`: the proxy's newest `count` entries, and where
    /// to find the shards' clients.
    Get {
        /// Entries to show at most.
        count: usize,
        /// The proxy's own entries, newest first.
        proxy: Vec<SlowEntry>,
        /// The client registry, for the shards' entries.
        shared: Arc<Shared>,
    },
    /// `SLOWLOG LEN`.
    Len {
        /// Entries the proxy holds.
        proxy: usize,
        /// `slowlog-max-len`.
        max_len: u64,
    },
}

impl std::fmt::Debug for SlowlogMerge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SlowlogMerge::Get { count, proxy, .. } => f
                .debug_struct("Get")
                .field("count", count)
                .field("proxy", &proxy.len())
                .finish(),
            SlowlogMerge::Len { proxy, max_len } => f
                .debug_struct("Len")
                .field("proxy", proxy)
                .field("max_len", max_len)
                .finish(),
        }
    }
}

/// Address and name of client `id`: connected now, or recently departed.
fn client_of(shared: &Shared, id: u64) -> Option<(String, Vec<u8>)> {
    if let Some(c) = shared.clients().get(&id) {
        return Some((c.addr.to_string(), lock(&c.info).name.clone()));
    }
    shared.intro.departed_client(id)
}

impl SlowlogMerge {
    /// Writes the merged reply from the shards' parts (all of them
    /// answered: an error part was already given as the reply).
    pub fn finish(&self, parts: &[&[u8]], r: &mut Reply) {
        match self {
            SlowlogMerge::Len { proxy, max_len } => {
                let shards: i64 = parts.iter().filter_map(|p| super::parse_int_reply(p)).sum();
                let max = i64::try_from(*max_len).unwrap_or(i64::MAX);
                r.int((shards + *proxy as i64).min(max));
            }
            SlowlogMerge::Get {
                count,
                proxy,
                shared,
            } => {
                let mut sources = Vec::with_capacity(parts.len() + 1);
                for p in parts {
                    let entries = resp_value::parse(p).and_then(|(v, _)| slowlog::parse_wire(&v));
                    match entries {
                        Some(e) => sources.push(e),
                        None => return r.error("ERR bad SLOWLOG reply from a shard"),
                    }
                }
                sources.push(proxy.clone());
                let merged = slowlog::merge_newest(sources, *count);
                r.array(merged.len());
                for (id, mut e) in merged {
                    if e.addr.is_empty() && e.client != 0 {
                        if let Some((addr, name)) = client_of(shared, e.client) {
                            e.addr = addr.into_bytes();
                            e.name = name;
                        }
                    }
                    slowlog::write_entry(r, id, &e);
                }
            }
        }
    }
}
