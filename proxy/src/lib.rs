//! # proxy: the Redis endpoint of shardis
//!
//! The proxy owns client sockets and everything Redis-shaped about a
//! request before it reaches a shard: RESP parsing, routing by the command
//! table (`common::table`), per-shard batching, reply ordering and merging,
//! the commands it answers itself, and supervising the local shard
//! processes. It never holds user data; shards (`shardd`) do, behind
//! shared-memory rings. See `ARCHITECTURE.md` for the layers and a
//! request's path.
//!
//! The modules, from the top down; each uses only those below it:
//!
//! - [`server`]: worker threads, listeners, accept loops.
//! - [`conn`]: a connection's reader and writer tasks.
//! - [`dispatch`]: resolves each command in the table and sends it to the
//!   proxy's own code ([`builtin`]) or to the shards by its route
//!   ([`fanout`] for commands every shard runs); [`whole_tx`]: a
//!   pipelined MULTI ... EXEC for one shard, taken whole from the buffer.
//! - [`send`]: a command to one shard, split over several, or to all,
//!   waiting for ring space or a restarting shard.
//! - [`worker`]: a worker's links, its flusher and its reply reader.
//! - [`link`]: one worker's ring pair to one shard and its requests in
//!   flight.
//! - [`replies`]: a connection's reply queue, in request order;
//!   [`merge`]: one reply from several shards' parts.
//! - [`listen`]: the listening sockets and their hand-over on a port
//!   change.
//! - [`session`]: a connection's state; [`state`]: the process's (slot
//!   table, client registry, counters, the parameters in force);
//!   [`params`]: the `CONFIG` parameters (Redis's rules, where each
//!   applies, the values in force, the slow log's and latency monitor's
//!   thresholds among them); [`stats`]: what the proxy measures of the
//!   commands it answers (commandstats, slow log, latency monitor);
//!   [`config`]: the start-up settings; [`resp`]: the request parser;
//!   [`supervisor`]: the shard processes; [`placement`]: the CPUs the
//!   workers and shards run on.

pub mod acl;
pub mod behind;
pub mod block;
pub mod builtin;
pub mod caching;
pub mod client_pause;
pub mod colocate;
pub mod config;
pub mod conn;
pub mod dispatch;
pub mod fanout;
pub mod gate;
pub mod handle;
pub mod link;
pub mod listen;
pub mod merge;
pub mod migrate;
pub mod monitor;
pub mod params;
pub mod pause;
pub mod placement;
pub mod pubsub;
pub mod rates;
pub mod replies;
pub mod resp;
pub mod route;
pub mod script;
pub mod script_cache;
pub mod send;
pub mod server;
pub mod session;
pub mod slotmap;
pub mod state;
pub mod stats;
pub mod subsync;
pub mod supervisor;
pub mod tls;
pub mod tracking;
pub mod whole_tx;
pub mod worker;
pub mod xtx;
