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
//! replies) builds on these; it lives in the binary's modules. Per
//! connection it runs:
//!
//! ```
//! use proxy::{resp::{args_of, Limits, Parsed, RequestParser}, table::{self, Route}};
//! use shardd::reply::Proto;
//!
//! let limits = Limits::default();
//! let mut parser = RequestParser::new();
//! let mut buf = b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\nPING\r\nNOPE x\r\n*1\r\n$3\r\nGE".to_vec();
//! let mut out = Vec::new();
//! loop {
//!     match parser.parse(&mut buf, &limits) {
//!         Ok(Parsed::Command { args, consumed }) => {
//!             {
//!                 let argv: smallvec::SmallVec<[&[u8]; 8]> = args_of(&buf, &args).collect();
//!                 match table::resolve(&argv) {
//!                     Err(e) => e.write_reply(&argv, &mut out),
//!                     Ok(spec) if spec.name == "command" => {
//!                         table::command::reply(&argv, Proto::Resp2, &mut out)
//!                     }
//!                     Ok(spec) => match spec.route {
//!                         Route::Single => {
//!                             let keys = table::key_positions(spec, &argv).unwrap_or_default();
//!                             let slot = keys.first().map(|&k| shardd::slot::key_slot(argv[k]));
//!                             assert_eq!(slot, Some(12182)); // send to the slot's shard
//!                         }
//!                         Route::Connection => out.extend_from_slice(b"+PONG\r\n"),
//!                         _ => {}
//!                     },
//!                 }
//!             }
//!             buf.drain(..consumed);
//!         }
//!         Ok(Parsed::Skip { consumed }) => {
//!             buf.drain(..consumed);
//!         }
//!         Ok(Parsed::Incomplete { .. }) => break, // read more, append, parse again
//!         Err(e) => {
//!             e.write_reply(&mut out); // then close the connection
//!             break;
//!         }
//!     }
//! }
//! assert_eq!(
//!     out,
//!     b"+PONG\r\n-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n"
//! );
//! assert_eq!(buf, b"*1\r\n$3\r\nGE");
//! ```

pub mod resp;
pub mod table;
