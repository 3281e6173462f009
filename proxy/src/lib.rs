//! # proxy: the Redis endpoint of shardis
//!
//! The proxy owns client sockets and everything Redis-shaped about a
//! request before it reaches a shard: RESP parsing, the command table
//! (arity, flags, key positions), slot routing, per-shard batching, reply
//! ordering and merging, and the connection-level commands. It never holds
//! user data; shards (`shardd`) do, behind shared-memory rings.
//!
//! A request's way through the library parts, all pure and tested alone:
//!
//! - [`resp`]: bytes read from a client become commands, as argument
//!   ranges into the read buffer ([`resp::RequestParser`]; a fast path for
//!   `GET`/`SET`; inline requests; Redis's protocol errors and limits).
//! - [`table`]: a command's name resolves to its [`table::CommandSpec`]
//!   ([`table::resolve`], with Redis's unknown-command and arity errors);
//!   its [`table::Route`] and [`table::key_positions`] tell the server loop
//!   where to send it; the key's slot is `shardd::slot::key_slot`.
//!   `COMMAND` is answered here ([`table::command::reply`]).
//!
//! The server loop (tokio workers, batching into the rings, merging split
//! replies) builds on these; it lives in the binary's modules.

pub mod resp;
pub mod table;
