//! # common: what the proxy and the shards both speak
//!
//! The proxy (`proxy/`) and the shard process (`shardd/`) agree on more than
//! the ring format (`shared-ring`, which knows nothing of Redis): this crate
//! holds the rest, so neither side links the other.
//!
//! - [`table`]: the command table, the one source of truth for what a
//!   command is (name, arity, flags, keys, route, who runs it) and the
//!   [`table::Cmd`] id the proxy puts in each request record, on which the
//!   shard dispatches; `COMMAND` is answered from it.
//! - [`reply`]: the RESP2/RESP3 reply writer; shards write finished replies
//!   with it, the proxy its own answers and merges.
//! - [`slot`]: `CRC16(key) mod 16384` with hash tags, as Redis Cluster.
//! - [`num`]: integers and floats as Redis reads them from arguments.
//! - [`glob`]: Redis's glob matching (KEYS, SCAN MATCH, CONFIG GET, ...).
//! - [`scan`]: the SCAN cursor a client sees over several shards.
//! - [`wire`]: request flags, the table check at attach, and the names and
//!   defaults of the `CONFIG` parameters shards apply ([`wire::SHARD_SETTINGS`]).
//! - [`alloc`]: the counting jemalloc both binaries use; [`logging`] their
//!   log setup.
//! - Introspection both sides keep and the proxy merges: [`cmdstats`]
//!   (commandstats, errorstats, latency histograms, [`histogram`]),
//!   [`slowlog`], [`latency`] (the latency monitor), [`usage`] (CPU time,
//!   the machine); [`resp_value`] reads back the nested replies the shards
//!   send for them.
//!
//! - [`cpus`]: CPU lists and pinning a thread to them (placement).
//!
//! Nothing here does I/O except [`alloc`]'s and [`usage`]'s reading of
//! `/proc` and `getrusage`.

pub mod acl;
pub mod alloc;
pub mod blocking;
pub mod cmdstats;
pub mod cpus;
pub mod durable;
pub mod glob;
pub mod histogram;
pub mod latency;
pub mod logging;
pub mod notify;
pub mod num;
pub mod reply;
pub mod resp_value;
pub mod scan;
pub mod script;
pub mod slot;
pub mod slotset;
pub mod slowlog;
pub mod table;
pub mod ticks;
pub mod usage;
pub mod wire;
