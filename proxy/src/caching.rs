//! What a tracking client's reads ask the shards to remember
//! (`crate::tracking` says why and how invalidations come back).

use std::rc::Rc;

use common::{
    table::{self, flags::F_READONLY, Cmd, CommandSpec},
    wire::REQ_FLAG_TRACK,
};

use crate::{link::Req, replies::Target, session::Session, worker::Worker};

/// Whether `session` has the keys of a read-only command remembered now
/// (its mode, and `CLIENT CACHING` in force).
pub fn wants(session: &Session) -> bool {
    session
        .tracking
        .as_ref()
        .is_some_and(|t| t.wants_reads(session.caching))
}

/// Before command `id` of a tracking client runs: `CLIENT CACHING` lasts
/// for the next command, or until the transaction it precedes ends, and
/// the `CLIENT` subcommands leave it alone (Redis 7.0's `resetClient`).
pub fn step(session: &mut Session, id: Cmd) {
    if session.caching_ends {
        session.caching = false;
        session.caching_ends = false;
    }
    let client = table::spec(id).name.starts_with("client|");
    let in_multi_after = match id {
        Cmd::Multi => true,
        Cmd::Exec | Cmd::Discard | Cmd::Reset => false,
        _ => session.multi.is_some(),
    };
    // Set inside a transaction too (a queued CLIENT CACHING): it ends
    // with the EXEC.
    if !client && !in_multi_after {
        session.caching_ends = true;
    }
}

/// [`wants`] for the reads of a transaction, `caching` being `CLIENT
/// CACHING` as its EXEC found it and `caching_yes_queued` whether it
/// queued a `CLIENT CACHING yes` (queued ones run before or after the
/// shards' commands, not in their place): an `OPTIN` client's queued
/// `yes` counts for every read, an `OPTOUT` client's queued `no` for
/// none (Redis applies them to the reads after them; this remembers more
/// reads, never fewer, so it can only tell the client of more changes).
pub fn wants_in_tx(session: &Session, caching: bool, caching_yes_queued: bool) -> bool {
    session
        .tracking
        .as_ref()
        .is_some_and(|t| t.wants_reads(caching) || (t.opts.optin && caching_yes_queued))
}

/// The request flags for read `spec` (`argv`) of `session`:
/// [`REQ_FLAG_TRACK`] when its keys are to be remembered and it goes as
/// one request to one shard. A read over several shards (which may run
/// as a transaction, or bring its keys together), with SORT's patterns or
/// a blocking one has its keys remembered first by their shards
/// ([`remember_first`]), and gets none.
pub async fn read_flags(
    w: &Rc<Worker>,
    session: &Session,
    spec: &CommandSpec,
    argv: &[&[u8]],
) -> u8 {
    if !spec.has_flag(F_READONLY) || !wants(session) {
        return 0;
    }
    let Ok(pos) = table::key_positions(spec, argv) else {
        return 0;
    };
    let keys: Vec<&[u8]> = pos.iter().filter_map(|&i| argv.get(i).copied()).collect();
    let Some(first) = keys.first() else {
        return 0;
    };
    // Over several shards a command may run as a transaction (its
    // requests then carry the transaction's id, not the client's).
    let one = w.shared.shard_of(first);
    let single = keys.iter().all(|k| w.shared.shard_of(k) == one);
    if single && !crate::xtx::sort::reads_patterns(spec, argv) && !crate::block::blocks(spec) {
        return REQ_FLAG_TRACK;
    }
    remember_first(w, session.handle.id, keys.iter().copied()).await;
    0
}

/// Asks the shard of each of `keys` to remember that `client` may cache
/// it (`SHARDD.TRACK`), ahead of a read the proxy runs on the same links
/// after this returns: a change between the two tells the client of a
/// value it may not have read, but none is missed.
pub async fn remember_first<'a>(w: &Rc<Worker>, client: u64, keys: impl Iterator<Item = &'a [u8]>) {
    let mut by_shard: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
    for k in keys {
        let s = w.shared.shard_of(k);
        let i = match by_shard.iter().position(|(x, _)| *x == s) {
            Some(i) => i,
            None => {
                let head = vec![b"SHARDD.TRACK".to_vec(), client.to_string().into_bytes()];
                by_shard.push((s, head));
                by_shard.len() - 1
            }
        };
        by_shard[i].1.push(k.to_vec());
    }
    for (shard, args) in by_shard {
        let req = Req::internal(Cmd::SharddTrack, common::reply::Proto::Resp2);
        crate::send::send(w, req, shard, &args, Target::Ignore).await;
    }
}
