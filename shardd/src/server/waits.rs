//! The shard loop's side of blocked clients (`crate::blocking` keeps
//! them): keeping a request that found nothing, `SHARDD.BWAIT`,
//! `SHARDD.UNBLOCK`, and serving the ready keys' waiters each round.

use common::{blocking as rules, blocking::Family, table::Cmd};
use shared_ring::{
    msg::{self, RequestHeader},
    Channel,
};

use super::Engine;
use common::wire::REQ_FLAG_BLOCK;

use crate::{
    blocking::{parse_u64, Due, Ending, Waiter},
    keyspace::{db_key, ValueRef},
    persist::txlog::POPPED,
    persist::WriteLog,
    reply::{Proto, Reply},
};

impl<L: WriteLog> Engine<L> {
    /// Whether request `h` is a blocked client's pop that already popped
    /// (the proxy sent it again after this shard restarted).
    pub(crate) fn sent_again(&self, h: &RequestHeader) -> bool {
        h.flags & REQ_FLAG_BLOCK != 0
            && self.blocking.serving.is_none()
            && self.ks.popped_reply(h.origin).is_some()
    }

    /// The blocked request of `token` popped and answered `reply`: logged
    /// with the pop (same commit) and remembered, so that sent again it
    /// gets the same answer.
    pub(crate) fn remember_pop(&mut self, token: u64, reply: &[u8]) {
        if reply.first() == Some(&b'-') {
            return;
        }
        let t = token.to_string();
        let record: [&[u8]; 3] = [POPPED, t.as_bytes(), reply];
        self.log.append(
            self.ks.selected(),
            &record,
            b"+OK\r\n",
            self.ks.now_ms(),
            crate::commands::Changes::NONE,
        );
        self.ks.remember_popped(token, reply);
    }

    /// Keeps request `rec` (header `h`, its origin the client; blocking
    /// command `cmd` with `args`, from channel `owner`), which found
    /// nothing to pop, until a key it waits on is ready or its wait ends.
    pub(crate) fn park_blocked(
        &mut self,
        rec: &[u8],
        owner: u64,
        h: &RequestHeader,
        cmd: Cmd,
        args: &[&[u8]],
    ) {
        let Some(family) = rules::family(cmd) else {
            return;
        };
        let db = self.ks.selected();
        let keys = rules::wait_positions(cmd, args)
            .into_iter()
            .filter_map(|p| args.get(p).map(|k| db_key(db, k)))
            .collect();
        // A command that waits with other arguments than it came with
        // (XREAD's `$` made an id) keeps a record of those.
        let rec = match self.ks.take_block_as() {
            Some(new) => {
                let mut buf = vec![0u8; msg::request_len(&new)];
                msg::write_request(&mut buf, *h, &new);
                buf
            }
            None => rec.to_vec(),
        };
        self.blocking.add(Waiter {
            owner,
            client: h.origin,
            id: h.id,
            ticket: h.origin,
            proto: Proto::from_version(h.proto),
            cmd,
            family,
            keys,
            rec: Some(rec),
        });
    }

    /// `SHARDD.BWAIT client family ticket key...`: `:1` if a key holds a
    /// value of the family; otherwise, when `block`, the request waits in
    /// `ticket`'s place (answered later, true returned), else `:0`.
    pub(crate) fn serve_bwait(
        &mut self,
        args: &[&[u8]],
        owner: u64,
        id: u64,
        block: bool,
        reply: &mut Reply,
    ) -> bool {
        let (Some(client), Some(family), Some(ticket)) = (
            parse_u64(args.get(1)),
            args.get(2).and_then(|f| Family::from_name(f)),
            parse_u64(args.get(3)),
        ) else {
            reply.error("ERR malformed SHARDD.BWAIT");
            return false;
        };
        let rest = args.get(4..).unwrap_or(&[]);
        let (ready, keys): (bool, Vec<Vec<u8>>) = if family == Family::Stream {
            let Some(ready) = self.stream_ready(rest) else {
                reply.error("ERR malformed SHARDD.BWAIT");
                return false;
            };
            let keys = rest.get(1..).unwrap_or(&[]).iter().step_by(2);
            let db = self.ks.selected();
            (ready, keys.map(|k| db_key(db, k)).collect())
        } else {
            let db = self.ks.selected();
            // A key reserved for another woken client holds nothing for
            // this one (`crate::blocking`).
            let ready = rest.iter().any(|k| {
                matches!(
                    (self.ks.get(k), family),
                    (Some(ValueRef::List(_)), Family::List)
                        | (Some(ValueRef::ZSet(_)), Family::Zset)
                ) && !self
                    .blocking
                    .reserved_for_other(db, k, Some((owner, client)))
            });
            (ready, rest.iter().map(|k| db_key(db, k)).collect())
        };
        if ready || !block {
            reply.int(i64::from(ready));
            return false;
        }
        self.blocking.add(Waiter {
            owner,
            client,
            id,
            ticket,
            proto: reply.proto(),
            cmd: Cmd::SharddBwait,
            family,
            keys,
            rec: None,
        });
        true
    }

    /// Whether a stream read waiting with `group key id [key id ...]` (the
    /// group empty for XREAD) can run now: a key has an entry past its id
    /// (past the group's last delivered id), or, for a group, a key or its
    /// group is gone (the read then answers the error). `None`: malformed.
    fn stream_ready(&mut self, rest: &[&[u8]]) -> Option<bool> {
        let (group, pairs) = rest.split_first()?;
        if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
            return None;
        }
        for p in pairs.chunks(2) {
            let after = crate::types::stream::id::parse_id(p[1], 0, true);
            let s = match self.ks.get(p[0]) {
                Some(ValueRef::Stream(s)) => s,
                _ if !group.is_empty() => return Some(true),
                _ => continue,
            };
            let after = if group.is_empty() {
                after?
            } else {
                match s.groups.get(*group) {
                    Some(g) => g.last_id,
                    None => return Some(true),
                }
            };
            if !s.is_empty() && s.edge_id(true).is_some_and(|max| max > after) {
                return Some(true);
            }
        }
        Some(false)
    }

    /// `SHARDD.UNBLOCK client TIMEOUT|ERROR|RELEASE`.
    pub(crate) fn serve_unblock(&mut self, args: &[&[u8]], owner: u64, reply: &mut Reply) {
        let Some(client) = parse_u64(args.get(1)) else {
            return reply.error("ERR malformed SHARDD.UNBLOCK");
        };
        let how = match args.get(2) {
            Some(m) if m.eq_ignore_ascii_case(b"timeout") => Ending::Timeout,
            Some(m) if m.eq_ignore_ascii_case(b"error") => Ending::Error,
            Some(m) if m.eq_ignore_ascii_case(b"release") => {
                let held = self.blocking.release(owner, client);
                return reply.int(i64::from(held));
            }
            _ => return reply.error("ERR malformed SHARDD.UNBLOCK"),
        };
        let ended = self.blocking.end(owner, client, how);
        reply.int(i64::from(ended));
    }

    /// Whether blocked request `h` (command `cmd` with `args`, arriving
    /// now) names a key reserved for a woken client: it then waits behind
    /// without trying (it would take that client's element).
    pub(crate) fn waits_for_reservation(
        &mut self,
        h: &RequestHeader,
        cmd: Cmd,
        args: &[&[u8]],
    ) -> bool {
        if self.blocking.serving.is_some() || h.flags & common::wire::REQ_FLAG_NOPARK != 0 {
            return false;
        }
        let db = self.ks.selected();
        rules::wait_positions(cmd, args).into_iter().any(|p| {
            args.get(p)
                .is_some_and(|k| self.blocking.reserved_for_other(db, k, None))
        })
    }

    /// Serves the ready keys' waiters and answers the ended waiters, each
    /// on its channel; what cannot go now (a full reply ring, keys a
    /// transaction holds) waits for the next round.
    pub fn serve_blocked(&mut self, channels: &mut [Channel]) {
        self.blocking.fresh = false;
        let outbox = std::mem::take(&mut self.blocking.outbox);
        for (owner, rec) in outbox {
            self.blocking.answer(channels, owner, rec);
        }
        // Bounded: each step removes a waiter, empties a key or puts one off.
        let mut budget = 4 * (self.blocking.waiters.len() + self.blocking.ready.len()) + 16;
        while budget > 0 {
            budget -= 1;
            let Some(due) = self.blocking.next_due(&mut self.ks) else {
                return;
            };
            match due {
                Due::Answer {
                    owner,
                    id,
                    cmd,
                    body,
                } => {
                    if body.first() == Some(&b'-') {
                        // A blocked command ended with an error (CLIENT
                        // UNBLOCK ... ERROR, its stream gone): counted
                        // as Redis counts a failed call.
                        self.stats.end(Some(cmd), 0, &[], 0, &body);
                    }
                    let mut rec = vec![0u8; msg::REPLY_HEADER_BYTES];
                    msg::write_reply_header(&mut rec, id, 0);
                    rec.extend_from_slice(&body);
                    self.blocking.answer(channels, owner, rec);
                }
                Due::Run { owner, rec } => {
                    let Some(ch) = channels.iter_mut().find(|c| c.peer.generation == owner) else {
                        self.blocking.served();
                        continue;
                    };
                    if ch.tx.has_pending() || self.held_by_tx(&rec) {
                        self.blocking.put_off();
                        return;
                    }
                    if let Err(e) = self.serve_request(&rec, &mut ch.tx, owner) {
                        tracing::warn!("a blocked client could not be answered: {e}");
                        self.blocking.served();
                    }
                    // `serve_request` ended the wait if it popped.
                    self.blocking.still_waiting();
                }
            }
        }
    }
}
