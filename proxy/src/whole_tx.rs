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
//! path ([`crate::resp::canonical`]), checked, and either taken whole or
//! left alone untouched, in which case the general path runs it command by
//! command. The replies are the same: `+OK`, a `+QUEUED` per command, then
//! the shard's array. `INFO stats` counts the blocks taken so
//! (`shardis_tx_whole`).
//!
//! Taken only when nothing could make the general path answer otherwise:
//! the connection is in the plain state (authenticated, its user
//! unrestricted, replies on, no subscription, no WATCH), nobody MONITORs,
//! no shard runs a script past `busy-reply-threshold`, no slot moves (`Worker::try_enter`), and every
//! queued command is one the shards run, allowed in a transaction, not a
//! blocking one, not a script or a SORT with patterns, with all its keys
//! on the same shard as the others'. A command the table refuses (an
//! unknown name, a wrong arity: EXECABORT) leaves the block to the
//! general path too.

use std::{cell::RefCell, rc::Rc, sync::atomic::Ordering, time::Instant};

use common::{
    table::{
        self,
        flags::{F_NO_MULTI, F_WRITE},
        Cmd, CommandSpec, Exec, Route,
    },
    wire::{tx_cmd_header, TX_CMD_HEADER_BYTES},
};
use smallvec::SmallVec;

use crate::{
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
    crate::dispatch::plain_state(w, session)
        && session.watching.is_none()
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
/// including its EXEC; `None` if it is not wholly there or anything in it
/// needs the general path.
fn read_ahead(w: &Worker, rest: &[u8], limits: &Limits) -> Option<Block> {
    let mut block = Block {
        cmds: SmallVec::new(),
        args: SmallVec::new(),
        shard: usize::MAX,
        consumed: 0,
    };
    let mut pos = 0;
    loop {
        let (ranges, used) = resp::canonical(rest.get(pos..)?, limits)?;
        let argv: SmallVec<[&[u8]; 8]> = ranges
            .iter()
            .map(|&(s, l)| &rest[pos + s..pos + s + l])
            .collect();
        let spec = table::resolve(&argv).ok()?;
        if spec.id == Cmd::Exec {
            block.consumed = pos + used;
            return (!block.cmds.is_empty()).then_some(block);
        }
        if block.cmds.len() == MAX_COMMANDS {
            return None;
        }
        let shard = shard_of(w, spec, &argv)?;
        if block.shard != usize::MAX && block.shard != shard {
            return None;
        }
        block.shard = shard;
        block.cmds.push(Ahead {
            spec,
            at: block.args.len(),
            n: ranges.len(),
        });
        block.args.extend(ranges.iter().map(|&(s, l)| (pos + s, l)));
        pos += used;
    }
}

/// Takes the block after a MULTI the connection just read (`rest`: the
/// buffer past the MULTI) if it can be taken whole: answers MULTI and each
/// command queued, sends the transaction to its shard with EXEC's reply
/// slot, and returns the bytes of `rest` used (through EXEC). `None`:
/// nothing was done, and the MULTI goes the general way.
pub async fn take(
    w: &Rc<Worker>,
    session: &mut Session,
    out: &Rc<RefCell<Replies>>,
    rest: &[u8],
    limits: &Limits,
) -> Option<usize> {
    if !eligible(w, session) {
        return None;
    }
    let started = Instant::now();
    let block = read_ahead(w, rest, limits)?;
    let busy = w.try_enter()?;
    let n = block.cmds.len();
    w.shared
        .stats
        .commands
        .fetch_add(n as u64 + 2, Ordering::Relaxed);
    w.shared.stats.tx_whole.fetch_add(1, Ordering::Relaxed);
    session.handle.set_command(Cmd::Exec);
    let mut acks: SmallVec<[u8; 128]> = SmallVec::new();
    acks.extend_from_slice(b"+OK\r\n");
    (0..n).for_each(|_| acks.extend_from_slice(b"+QUEUED\r\n"));
    let heads: SmallVec<[[u8; TX_CMD_HEADER_BYTES]; 8]> = block
        .cmds
        .iter()
        .map(|c| tx_cmd_header(c.spec.id, c.n))
        .collect();
    let mut record: SmallVec<[&[u8]; 32]> = SmallVec::new();
    // No watcher: this connection watches nothing.
    record.extend_from_slice(&[b"SHARDD.TX", b"0"]);
    for (c, head) in block.cmds.iter().zip(&heads) {
        record.push(head);
        let args = &block.args[c.at..c.at + c.n];
        record.extend(args.iter().map(|&(s, l)| &rest[s..s + l]));
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
        o.push_ready(&acks, false);
        o.push_pending(false)
    };
    let target = Target::Slot {
        conn: out.clone(),
        seq,
        part: None,
    };
    let sent = match w.links.borrow_mut().get_mut(block.shard) {
        Some(l) => l.send(req, &record, target),
        None => Err((crate::link::SendError::Down, target)),
    };
    if let Err((_, target)) = sent {
        crate::send::send(w, req, block.shard, &record, target).await;
    }
    drop(busy);
    count(w, session, started.elapsed().as_nanos() as u64);
    Some(block.consumed)
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
    for (spec, name, ns) in [
        (Cmd::Multi.spec(), &b"MULTI"[..], 0),
        (Cmd::Exec.spec(), &b"EXEC"[..], ns),
    ] {
        w.shared
            .intro
            .after_command(&w.shared.settings, spec, &[name], ns, || {
                let name = lock(&session.handle.info).name.clone();
                (session.handle.id, session.handle.addr.to_string(), name)
            });
    }
}
