//! Persistence of one shard's keyspace in its data directory: the
//! append-only log ([`aof`]), snapshots ([`snapshot`], [`save`]) and the
//! generations that tie them together ([`dir`]). See `PERSISTENCE.md` beside
//! this crate for the files, the order of operations and the promises.

pub mod admin;
pub mod aof;
pub mod dir;
pub mod rewrite;
pub mod save;
pub mod snapshot;
