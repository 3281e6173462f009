//! # shardd: the shard process of shardis
//!
//! A shard owns the keyspace of its slots: the data of every Redis type,
//! TTLs and active expiry, persistence (log and snapshots, `persist/`) and
//! (later) replication. It never parses RESP from clients and never holds
//! a client socket.
//!
//! Data enters as request records read in place from shared-memory rings
//! (one ring pair per attached proxy worker): a request id, the client's
//! protocol and the command's arguments as byte slices. [`commands::execute`]
//! runs each against the [`keyspace::Keyspace`] and writes the reply as
//! finished RESP bytes ([`reply::Reply`]) into the matching response ring.
//!
//! Beside the data, a shard measures the commands it runs ([`stats`]:
//! counters, latency histograms, the slow log, the latency monitor) and
//! answers the proxy's internal commands about them ([`introspect`]).
//! The `CONFIG` parameters a shard applies (encoding thresholds, `save`,
//! automatic log rewrites, slow log and latency thresholds) are in
//! [`settings`], set from the command line (`--config name=value`) and by
//! the proxy's `SHARDD.CONFIG` (`persist::admin`); the slow log and the
//! latency monitor read their thresholds there.
//!
//! The keyspace and the commands know nothing of rings or sockets, so they
//! are tested directly.

pub mod args;
pub mod blocking;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod dump;
pub mod introspect;
pub mod keyspace;
pub mod notify;
pub mod ops;
pub mod persist;
pub mod script;
pub mod server;
pub mod settings;
pub mod slots;
pub mod stats;
pub mod subs;
pub mod tracking;
pub mod tx;
pub mod types;
pub mod watch;
pub mod xtx;

pub use common::{alloc, glob, reply, slot};
