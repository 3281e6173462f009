//! # proxy: the Redis endpoint of shardis
//!
//! The proxy owns client sockets and everything Redis-shaped about a
//! request before it reaches a shard: RESP parsing, the command table
//! (arity, flags, key positions), slot routing, per-shard batching, reply
//! ordering and merging, the connection-level commands, and supervising
//! the local shard processes. It never holds user data; shards (`shardd`)
//! do, behind shared-memory rings.
//!
//! A request's way through:
//!
//! - [`server`] starts one worker thread per configured worker, each with a
//!   current-thread tokio runtime and an `SO_REUSEPORT` listener;
//!   [`supervisor`] starts and restarts the shard processes.
//! - [`conn`]: a connection's bytes are read into its buffer and parsed by
//!   [`resp`] (a fast path for `GET`/`SET`; inline requests; Redis's
//!   protocol errors and limits) into argument slices, no copy.
//! - [`dispatch`]: [`table`] resolves each command (arity and unknown
//!   command errors, keys, route); the key's slot
//!   (`common::slot::key_slot`) picks the shard; [`cmds`] answers
//!   connection commands; [`fanout`] and [`merge`] split and merge
//!   multi-shard commands.
//! - [`link`]: each command is written once into the shard's request ring;
//!   the [`worker`]'s flusher publishes each ring once per round, and its
//!   reply reader hands each reply back to its connection's slot, where
//!   [`conn`] writes replies in request order, one write per round.

pub mod client_cmd;
pub mod cmds;
pub mod config;
pub mod conn;
pub mod dispatch;
pub mod fanout;
pub mod link;
pub mod merge;
pub mod resp;
pub mod server;
pub mod supervisor;
pub mod worker;
