//! Persistence of one shard's keyspace in its data directory: the
//! append-only log ([`aof`]) and snapshots. See `PERSISTENCE.md` beside
//! this crate for the files, the order of operations and the promises.

pub mod aof;
pub mod dir;
pub mod rewrite;
pub mod snapshot;
