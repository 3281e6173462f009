//! A whole transaction in one read: `MULTI`, commands for one shard,
//! `EXEC`, all in the read buffer (what redis-py's `pipeline()`, Django's
//! `set_many` and most pipelined clients send) go to that shard as one
//! `SHARDD.TX` record straight from the buffer.
//!
//! The general path ([`crate::builtin::multi`]) answers MULTI, copies each
//! queued command into the connection's queue, then at EXEC works out the
//! shards, the databases and the watches, and builds the record from the
//! copies: three trips through the dispatcher's futures and a copy of
//! every argument. Here the block is read ahead with the parser's fast
//! path ([`crate::resp::canonical_into`]), checked, and either taken whole or
//! left alone untouched, in which case the general path runs it command by
//! command. The replies are the same: `+OK`, a `+QUEUED` per command, then
//! the shard's array. `INFO stats` counts the blocks taken so
//! (`shardis_tx_whole`).
//!
//! Taken only when nothing could make the general path answer otherwise:
//! the connection is in the plain state (authenticated, its user
//! unrestricted, replies on, no subscription; its watches, if any, all on
//! the block's shard and none lost to a restart or a slot move), nobody
//! MONITORs,
//! no shard runs a script past `busy-reply-threshold`, no slot moves
//! (`Worker::try_enter`), and every
//! queued command is one the shards run, allowed in a transaction, not a
//! blocking one, not a script or a SORT with patterns, with all its keys
//! on the same shard as the others'. A command the table refuses (an
//! unknown name, a wrong arity: EXECABORT) leaves the block to the
//! general path too.

use std::{cell::RefCell, rc::Rc, sync::atomic::Ordering, time::Instant};

use common::{
    reply::format_i64,
    table::{
        self,
        flags::{F_NO_MULTI, F_WRITE},
        Cmd, CommandSpec, Exec, Route,
    },
    wire::{tx_cmd_header, TX_CMD_HEADER_BYTES},
};
use smallvec::SmallVec;

use crate::{
    builtin::multi::watch_lost,
    link::Req,
    replies::{Replies, Target},
    resp::{self, Limits},
    session::Session,
    stats::lock,
    worker::Worker,
};

/// Most commands a block may queue to be taken here; a longer one goes the
/// general way (its per-command cost is amortized there anyway).
pub const MAX_COMMANDS: usize = 64;

/// One queued command found ahead: its table entry and its arguments'
/// ranges in the block (`args[at..at + n]`).
struct Ahead {
    spec: &'static CommandSpec,
    at: usize,
    n: usize,
}

/// A block read ahead and accepted: its commands, their argument ranges
/// (into `rest`), the shard, and the bytes of `rest` through EXEC.
struct Block {
    cmds: SmallVec<[Ahead; 8]>,
    args: SmallVec<[(usize, usize); 32]>,
    shard: usize,
    consumed: usize,
}

/// Whether `session` on worker `w` is in a state where a whole block may
/// be taken at once.
fn eligible(w: &Worker, session: &Session) -> bool {
    session.is_plain()
        && !w.shared.monitors.any()
        && crate::script::busy_for(w, Cmd::Exec.spec(), &[b"EXEC"], true).is_none()
}

/// The shard every key of `argv` (command `spec`) is on, if the command
/// may be queued in a block taken whole.
fn shard_of(w: &Worker, spec: &'static CommandSpec, argv: &[&[u8]]) -> Option<usize> {
    if spec.exec != Exec::Shard
        || spec.has_flag(F_NO_MULTI)
        || crate::block::blocks(spec)
        || crate::builtin::xtx::straying(spec, argv)
        || (spec.has_flag(F_WRITE) && w.shared.settings.writes_need_replicas())
    {
        return None;
    }
    match spec.route {
        Route::Single => {
            let key = argv.get(table::first_key_position(spec, argv)?)?;
            Some(w.shared.shard_of(key))
        }
        Route::Together | Route::MultiKeySplit => {
            let pos = table::key_positions(spec, argv).ok()?;
            let mut shards = pos
                .iter()
                .map(|&i| argv.get(i).map(|k| w.shared.shard_of(k)));
            let first = shards.next()??;
            shards.all(|s| s == Some(first)).then_some(first)
        }
        Route::Keyless | Route::Connection | Route::FanOut => None,
    }
}

/// Reads the block after a MULTI (`rest`: the buffer past it) up to and
/// including its EXEC into `block` (empty); false if it is not wholly
/// there or anything in it needs the general path.
fn read_ahead(w: &Worker, rest: &[u8], limits: &Limits, block: &mut Block) -> bool {
    let mut pos = 0;
    loop {
        let at = block.args.len();
        let Some(tail) = rest.get(pos..) else {
            return false;
        };
        let Some((n, used)) = resp::canonical_into(tail, limits, pos, &mut block.args) else {
            return false;
        };
        let argv: SmallVec<[&[u8]; 8]> = block.args[at..]
            .iter()
            .map(|&(s, l)| &rest[s..s + l])
            .collect();
        // EXEC ends the block (its name checked before any lookup).
        if n == 1 && argv[0].eq_ignore_ascii_case(b"exec") {
            block.args.truncate(at);
            block.consumed = pos + used;
            return !block.cmds.is_empty();
        }
        let Ok(spec) = table::resolve(&argv) else {
            return false;
        };
        if spec.id == Cmd::Exec || block.cmds.len() == MAX_COMMANDS {
            return false;
        }
        let Some(shard) = shard_of(w, spec, &argv) else {
            return false;
        };
        if block.shard != usize::MAX && block.shard != shard {
            return false;
        }
        block.shard = shard;
        block.cmds.push(Ahead { spec, at, n });
        pos += used;
    }
}

/// `+OK` then a `+QUEUED` per command, for blocks of up to
/// [`MAX_COMMANDS`]: a block's acknowledgements are a prefix.
const ACKS: &[u8] = concat!(
    "+OK\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
    "+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n",
)
.as_bytes();

/// What [`take`] did with the block after a MULTI.
pub enum Taken<'w> {
    /// Nothing: the MULTI goes the general way.
    No,
    /// Answered and sent; the bytes of the block used (through EXEC).
    Sent(usize),
    /// Answered, its reply slot taken, but its shard's ring is full or
    /// the shard down: [`Waits::send`] finishes it.
    Waits(Box<Waits<'w>>),
}

/// A block taken whole that waits to be sent (rare: kept apart, and
/// owned, so that the common path holds nothing across an `await`).
pub struct Waits<'w> {
    busy: crate::worker::Busy<'w>,
    deferred: Box<crate::send::Deferred>,
    consumed: usize,
}

impl Waits<'_> {
    /// Sends the block when its shard can take it; the bytes it used.
    pub async fn send(self, w: &Rc<Worker>) -> usize {
        self.deferred.send(w).await;
        drop(self.busy);
        self.consumed
    }
}

/// Takes the block after a MULTI the connection just read (`rest`: the
/// buffer past the MULTI) if it can be taken whole: answers MULTI and
/// each command queued and sends the transaction to its shard with EXEC's
/// reply slot. [`Taken::No`]: nothing was done.
pub fn take<'w>(
    w: &'w Rc<Worker>,
    session: &mut Session,
    out: &Rc<RefCell<Replies>>,
    rest: &[u8],
    limits: &Limits,
) -> Taken<'w> {
    if !eligible(w, session) {
        return Taken::No;
    }
    let started = Instant::now();
    let mut block = Block {
        cmds: SmallVec::new(),
        args: SmallVec::new(),
        shard: usize::MAX,
        consumed: 0,
    };
    if !read_ahead(w, rest, limits, &mut block) || !out.borrow().behind.passes_to(block.shard) {
        return Taken::No;
    }
    // Watches go with it when they are all on its shard and none may have
    // missed a change (else EXEC's null array, or a transaction over
    // several shards, comes from the general path); its shard checks and
    // forgets them, as for the general path's one-shard EXEC.
    let watched = match &session.watching {
        None => false,
        Some(wg) if wg.shards.iter().all(|&(s, _)| s == block.shard) && !watch_lost(w, wg) => {
            wg.shards.iter().any(|&(s, _)| s == block.shard)
        }
        Some(_) => return Taken::No,
    };
    let Some(busy) = w.try_enter() else {
        return Taken::No;
    };
    let n = block.cmds.len();
    w.shared
        .stats
        .commands
        .fetch_add(n as u64 + 2, Ordering::Relaxed);
    w.shared.stats.tx_whole.fetch_add(1, Ordering::Relaxed);
    session.handle.set_command(Cmd::Exec);
    let heads: SmallVec<[[u8; TX_CMD_HEADER_BYTES]; 8]> = block
        .cmds
        .iter()
        .map(|c| tx_cmd_header(c.spec.id, c.n))
        .collect();
    let mut wid = [0u8; 20];
    let wid = match watched {
        true => format_i64(
            i64::try_from(session.watcher()).unwrap_or(i64::MAX),
            &mut wid,
        ),
        false => b"0",
    };
    let mut record: SmallVec<[&[u8]; 32]> = SmallVec::new();
    record.push(b"SHARDD.TX");
    record.push(wid);
    for (c, head) in block.cmds.iter().zip(&heads) {
        record.push(head);
        for &(s, l) in &block.args[c.at..c.at + c.n] {
            record.push(&rest[s..s + l]);
        }
    }
    let proto = session.proto;
    let req = Req {
        origin: session.handle.id,
        db: session.db,
        ..Req::internal(Cmd::SharddTx, proto)
    };
    // The shard's array (or its null array, or an error) is EXEC's reply
    // as it comes: nothing of the proxy's goes in (`MergeKind::Exec`
    // would pass it through unchanged).
    let seq = {
        let mut o = out.borrow_mut();
        o.push_ready(&ACKS[..5 + 9 * n], false);
        o.push_pending(false)
    };
    let target = Target::Slot {
        conn: out.clone(),
        seq,
        part: None,
    };
    let deferred = crate::send::put(w, req, block.shard, &record, target);
    session.watching = None;
    count(w, session, started.elapsed().as_nanos() as u64);
    match deferred {
        None => Taken::Sent(block.consumed),
        Some(deferred) => Taken::Waits(Box::new(Waits {
            busy,
            deferred,
            consumed: block.consumed,
        })),
    }
}

/// MULTI's and EXEC's calls in the worker's statistics, the slow log and
/// the latency monitor, as the general path counts them (the queued
/// commands are counted by the shard that runs them); the block's time is
/// EXEC's.
fn count(w: &Worker, session: &Session, ns: u64) {
    {
        let mut st = lock(&w.stats);
        st.call(Cmd::Multi, 0);
        st.call(Cmd::Exec, ns);
    }
    w.after_command(&session.handle, Cmd::Multi.spec(), &[b"MULTI"], 0);
    w.after_command(&session.handle, Cmd::Exec.spec(), &[b"EXEC"], ns);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_acknowledgements_cover_the_longest_block() {
        let (ok, queued) = ACKS.split_at(5);
        assert_eq!(ok, b"+OK\r\n");
        assert_eq!(queued.len(), 9 * MAX_COMMANDS);
        assert!(queued.chunks(9).all(|q| q == b"+QUEUED\r\n"));
    }
}
