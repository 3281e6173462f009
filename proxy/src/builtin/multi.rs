//! MULTI, EXEC, DISCARD, WATCH and UNWATCH (Redis 7.0's `multi.c`), and
//! the queueing of commands between MULTI and EXEC ([`queue`], called by
//! `dispatch`).
//!
//! The queue lives in the connection's [`Session`]. At EXEC the proxy runs
//! the queued commands it answers itself (PING, ECHO, INFO, ...) and sends
//! the rest to the shards. When every key the transaction touches or
//! watches is on one shard, that shard gets the whole transaction as one
//! `SHARDD.TX` record and runs it with nothing in between (one round trip,
//! like a pipeline); its array and the proxy's replies make EXEC's reply
//! (`MergeKind::Exec`). WATCH registers the keys with their shards
//! (`SHARDD.WATCH`, answered once every shard has them), which mark the
//! client dirty when a watched key changes; a shard restarted since WATCH
//! lost them, and EXEC fails. A transaction holding a script (EVAL,
//! EVALSHA, FCALL) runs over several shards whatever its keys, each script
//! in its turn (`xtx::run`, `shardd/TRANSACTIONS.md`).

use std::{cell::RefCell, rc::Rc};

use common::{
    reply::Reply,
    table::{self, flags::F_NO_MULTI, Cmd, CommandSpec, Exec, Route},
    wire::{tx_cmd_header, TX_CMD_HEADER_BYTES},
};
use smallvec::SmallVec;

use super::{xtx, Call};
use crate::{
    link::Req,
    merge::{Merge, MergeKind},
    replies::{Replies, Target},
    send::{send, To},
    session::{Multi, Queued, Session, Watching},
    worker::Worker,
};

const EXECABORT: &str = "EXECABORT Transaction discarded because of previous errors.";

/// Queues `argv` (resolved as `spec`) in the connection's transaction, or
/// refuses it as Redis does (which makes EXEC fail).
pub fn queue(
    w: &Worker,
    session: &mut Session,
    to: To<'_>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) {
    let limit = w.shared.settings.client_query_buffer_limit();
    let Some(multi) = session.multi.as_mut() else {
        return;
    };
    let bytes: usize = argv.iter().map(|a| a.len()).sum();
    let refusal = if spec.has_flag(F_NO_MULTI) {
        Some("-ERR Command not allowed inside a transaction\r\n")
    } else if multi.bytes.saturating_add(bytes) as u64 > limit {
        Some("-ERR the transaction is over client-query-buffer-limit\r\n")
    } else {
        None
    };
    if let Some(err) = refusal {
        multi.failed = true;
        to.out.borrow_mut().push_ready(err.as_bytes(), to.discard);
        return;
    }
    multi.bytes += bytes;
    let mut args = SmallVec::new();
    for a in argv {
        args.push((multi.buf.len(), a.len()));
        multi.buf.extend_from_slice(a);
    }
    multi.queued.push(Queued { spec, args });
    to.out.borrow_mut().push_ready(b"+QUEUED\r\n", to.discard);
}

/// EXEC refused before it ran (`reason`: the refusal, e.g. BUSY): the
/// transaction is discarded and its watches dropped, as Redis does; the
/// reply.
pub async fn abort_exec(w: &Rc<Worker>, session: &mut Session, reason: &[u8]) -> Vec<u8> {
    session.multi = None;
    unwatch_all(w, session).await;
    let reason = reason.strip_prefix(b"-").unwrap_or(reason);
    let mut out = b"-EXECABORT Transaction discarded because of: ".to_vec();
    out.extend_from_slice(reason);
    out
}

/// Marks the transaction failed (a command was refused while queueing).
pub fn refused(session: &mut Session) {
    if let Some(m) = session.multi.as_mut() {
        m.failed = true;
    }
}

/// `MULTI`.
pub fn multi(call: Call) {
    if call.session.multi.is_some() {
        return call.reply(|r| r.error("ERR MULTI calls can not be nested"));
    }
    let multi = call
        .session
        .spare_multi
        .take()
        .unwrap_or_else(Multi::started);
    call.session.multi = Some(multi);
    call.reply(|r| r.ok());
}

/// `DISCARD`.
pub async fn discard(call: Call<'_, '_>) {
    if call.session.multi.take().is_none() {
        return call.reply(|r| r.error("ERR DISCARD without MULTI"));
    }
    unwatch_all(call.w, call.session).await;
    call.reply(|r| r.ok());
}

/// `UNWATCH`.
pub async fn unwatch(call: Call<'_, '_>) {
    unwatch_all(call.w, call.session).await;
    call.reply(|r| r.ok());
}

/// Forgets the connection's watches on every shard holding one (nobody
/// waits for the shards' answers: this connection's later requests to a
/// shard come after it on the same ring).
pub async fn unwatch_all(w: &Rc<Worker>, session: &mut Session) {
    let Some(watching) = session.watching.take() else {
        return;
    };
    let wid = session.watcher().to_string();
    let args: [&[u8]; 2] = [b"SHARDD.UNWATCH", wid.as_bytes()];
    let req = Req::internal(Cmd::SharddUnwatch, session.proto);
    for &(shard, _) in &watching.shards {
        send(w, req, shard, &args, Target::Ignore).await;
    }
}

/// `WATCH key [key ...]`: answered once every shard holding one of the
/// keys has registered them.
pub async fn watch(call: Call<'_, '_>) {
    if call.session.multi.is_some() {
        return call.reply(|r| r.error("ERR WATCH inside MULTI is not allowed"));
    }
    let w = call.w;
    let keys = &call.argv[1..];
    let mut shards: SmallVec<[usize; 4]> = keys.iter().map(|k| w.shared.shard_of(k)).collect();
    shards.sort_unstable();
    shards.dedup();
    let wid = call.session.watcher().to_string();
    let req = Req::internal(Cmd::SharddWatch, call.session.proto);
    let seq = call.to.out.borrow_mut().push_merge(
        Merge::new(MergeKind::AllOk, shards.len(), call.session.proto),
        call.to.discard,
    );
    let map_version = w.shared.slots.version();
    let watching = call.session.watching.get_or_insert_with(|| Watching {
        map_version,
        ..Watching::default()
    });
    for (part, &shard) in shards.iter().enumerate() {
        if !watching.shards.iter().any(|&(s, _)| s == shard) {
            let attaches = w.links.borrow().get(shard).map_or(0, |l| l.attaches);
            watching.shards.push((shard, attaches));
        }
        for k in keys.iter().filter(|k| w.shared.shard_of(k) == shard) {
            if !watching.keys.iter().any(|(s, x)| *s == shard && x == k) {
                watching.keys.push((shard, k.to_vec()));
            }
        }
        let mut args: Vec<&[u8]> = vec![b"SHARDD.WATCH", wid.as_bytes()];
        args.extend(
            keys.iter()
                .copied()
                .filter(|k| w.shared.shard_of(k) == shard),
        );
        let target = Target::Slot {
            conn: call.to.out.clone(),
            seq,
            part: Some(part as u16),
        };
        send(w, req, shard, &args, target).await;
    }
}

/// The shards a queued command's keys live on (every shard for a command
/// that runs on all of them).
fn shards_of(w: &Worker, spec: &CommandSpec, args: &[&[u8]], out: &mut SmallVec<[usize; 4]>) {
    let mut add = |s: usize| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    match spec.route {
        Route::FanOut => (0..w.shared.shard_count()).for_each(add),
        Route::Keyless | Route::Connection => add(0),
        Route::Single | Route::Together | Route::MultiKeySplit => {
            match table::key_positions(spec, args) {
                Ok(pos) => pos.iter().for_each(|&i| add(w.shared.shard_of(args[i]))),
                // The command's own error comes from any shard.
                Err(_) => add(0),
            }
        }
    }
}

/// Whether the watches `wg` may have missed a change: a shard restarted
/// since WATCH lost them, or a watched key's slot moved to another shard.
/// EXEC then answers a null array.
pub fn watch_lost(w: &Worker, wg: &Watching) -> bool {
    let links = w.links.borrow();
    wg.shards
        .iter()
        .any(|&(s, n)| links.get(s).map_or(0, |l| l.attaches) != n)
        || (wg.map_version != w.shared.slots.version()
            && wg.keys.iter().any(|(s, k)| w.shared.shard_of(k) != *s))
}

/// `EXEC`.
pub async fn exec(call: Call<'_, '_>) {
    let Some(multi) = call.session.multi.take() else {
        return call.reply(|r| r.error("ERR EXEC without MULTI"));
    };
    let w = call.w;
    if multi.failed {
        feed_exec(&call, None);
        unwatch_all(w, call.session).await;
        call.failed.set(true);
        return call.reply(|r| r.error(EXECABORT));
    }
    let lost = call
        .session
        .watching
        .as_ref()
        .is_some_and(|wg| watch_lost(w, wg));
    if lost {
        feed_exec(&call, None);
        unwatch_all(w, call.session).await;
        return call.reply(|r| r.null_array());
    }
    let mut multi = multi;
    let denied = recheck(&call, &mut multi);
    let dbs = queued_dbs(w, call.session.db, &multi);
    feed_exec(&call, Some((&multi, &dbs, &denied)));
    // The transaction's own requests (locks, WATCH checks) go in the
    // database of its first command for the shards.
    let first = multi
        .queued
        .iter()
        .zip(&dbs)
        .find(|(q, _)| q.spec.exec == Exec::Shard || crate::script::is_call(q.spec.id))
        .map_or(call.session.db, |(_, &d)| d);
    if first == 0 && crate::link::scoped_db() == 0 {
        // No scope to enter: awaited in place, not moved into one (the
        // future is large, and moving it cost a tenth of an EXEC).
        run_exec(call, multi, dbs, denied).await
    } else {
        crate::link::in_db_scope(first, run_exec(call, multi, dbs, denied)).await
    }
}

/// A transaction that runs: its commands, their databases, and those
/// refused at EXEC (by position, with their replies).
type Ran<'a> = (&'a Multi, &'a [u32], &'a [(usize, Vec<u8>)]);

/// EXEC's MONITOR lines (`crate::monitor`): the queued commands that run
/// (`ran`: the transaction, their databases, those refused at EXEC),
/// each in its database, then `exec` itself.
fn feed_exec(call: &Call, ran: Option<Ran<'_>>) {
    let w = call.w;
    if !w.shared.monitors.any() {
        return;
    }
    // EXEC's line is in the database its commands leave it in.
    let mut end = call.session.db;
    if let Some((multi, dbs, denied)) = ran {
        let databases = w.shared.settings.databases();
        for (i, q) in multi.queued.iter().enumerate() {
            if crate::monitor::shown(q.spec) && !denied.iter().any(|(at, _)| *at == i) {
                let db = dbs.get(i).copied().unwrap_or(call.session.db);
                super::feed_monitors(w, call.session, db, &multi.args_of(q));
            }
            end = selected(databases, multi, q).unwrap_or(end);
        }
    }
    super::feed_monitors(w, call.session, end, call.argv);
}

/// Checks the queued commands again against the user's rules, which may
/// have changed since they were queued (as Redis does at EXEC): each one
/// now refused answers Redis's `NOPERM` in place and is not run (its
/// entry becomes an inert PING the proxy never runs).
fn recheck(call: &Call, multi: &mut Multi) -> Vec<(usize, Vec<u8>)> {
    if call.session.user.unrestricted {
        return Vec::new();
    }
    let user = call.session.user.clone();
    let mut denied = Vec::new();
    for i in 0..multi.queued.len() {
        let spec = multi.queued[i].spec;
        let args = multi.args_of(&multi.queued[i]);
        let Err(d) = user.check(spec, &args) else {
            continue;
        };
        let info = super::client::own_line(call);
        let max = call.w.shared.settings.acllog_max_len();
        let ctx = crate::acl::Context::Multi;
        let object = crate::acl::object_of(d, &args, spec.name);
        call.w
            .shared
            .acl
            .log_event(d.reason(), ctx, object, &user.name, info, max);
        let why = match d {
            common::acl::Denied::Command => "no permission to execute the command or subcommand",
            common::acl::Denied::Key(_) => "no permission to touch the specified keys",
            common::acl::Denied::Channel(_) => {
                "no permission to access one of the channels used as arguments"
            }
        };
        denied.push((i, format!("-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: {why}\r\n").into_bytes()));
    }
    for (i, _) in &denied {
        multi.queued[*i].spec = Cmd::Ping.spec();
    }
    denied
}

/// Each queued command's database, by position.
type Dbs = SmallVec<[u32; 8]>;

/// The database each queued command of `multi` runs in, starting from the
/// connection's `db`: a queued SELECT of a database that exists changes it
/// for the commands after it (the SELECT itself ran already, before the
/// commands for the shards, with the proxy's other commands).
fn queued_dbs(w: &Worker, db: u32, multi: &Multi) -> Dbs {
    if !multi.queued.iter().any(|q| q.spec.id == Cmd::Select) {
        return smallvec::smallvec![db; multi.queued.len()];
    }
    let databases = w.shared.settings.databases();
    let mut now = db;
    multi
        .queued
        .iter()
        .map(|q| {
            let at = now;
            now = selected(databases, multi, q).unwrap_or(now);
            at
        })
        .collect()
}

/// The database queued command `q` of `multi` selects, if it is a SELECT
/// that succeeds (of `databases`).
fn selected(databases: usize, multi: &Multi, q: &crate::session::Queued) -> Option<u32> {
    if q.spec.id != Cmd::Select {
        return None;
    }
    let n = multi
        .args_of(q)
        .get(1)
        .and_then(|a| common::num::parse_i64(a))?;
    u32::try_from(n).ok().filter(|&n| (n as usize) < databases)
}

/// EXEC once checked: runs the queued commands, each in its database
/// (`dbs`, by position).
async fn run_exec(call: Call<'_, '_>, multi: Multi, dbs: Dbs, denied: Vec<(usize, Vec<u8>)>) {
    let w = call.w;
    // Whether its reads are remembered for a tracking client: CLIENT
    // CACHING as EXEC found it (a queued one may run first, or after the
    // locks), `crate::caching::wants_in_tx`.
    let caching_yes = multi.queued.iter().any(|q| {
        q.spec.id == Cmd::ClientCaching
            && multi
                .args_of(q)
                .get(2)
                .is_some_and(|a| a.eq_ignore_ascii_case(b"yes"))
    });
    let track = crate::caching::wants_in_tx(call.session, call.session.caching, caching_yes);
    let mut shards: SmallVec<[usize; 4]> = SmallVec::new();
    let mut scripts = false;
    // Whether the proxy answers a queued command itself (one of its own,
    // one refused at EXEC): only then are their replies collected.
    let mut proxy_answers = !denied.is_empty();
    for q in &multi.queued {
        let args = multi.args_of(q);
        if q.spec.exec == Exec::Shard {
            shards_of(w, q.spec, &args, &mut shards);
        } else if !crate::script::is_call(q.spec.id) {
            proxy_answers = true;
        }
        scripts |= xtx::straying(q.spec, &args);
    }
    let watched: SmallVec<[usize; 4]> = call
        .session
        .watching
        .as_ref()
        .map(|wg| wg.shards.iter().map(|&(s, _)| s).collect())
        .unwrap_or_default();
    for &s in &watched {
        if !shards.contains(&s) {
            shards.push(s);
        }
    }
    // The proxy's own commands run first, in order, their replies kept;
    // scripts run in their turn with the shards' commands (`xtx::run`).
    // With watched keys they run only once the watches hold (Redis runs
    // nothing when they fail): such a transaction takes the path below
    // that locks the keys and checks the watches first, and a queued
    // SELECT is undone when they fail. The commands that ask the shards
    // for keyspace-wide work (FUNCTION, SCRIPT, DEBUG, SHUTDOWN, SHARDIS,
    // WAIT) would wait there for the transaction's own locks: with one of
    // those queued, everything the proxy answers runs first as without a
    // watch, and stays done if the watches then fail (README).
    let db_before = call.session.db;
    let runs_here = |q: &crate::session::Queued| {
        q.spec.exec != Exec::Shard && !crate::script::is_call(q.spec.id)
    };
    let after_watch = !watched.is_empty()
        && proxy_answers
        && multi
            .queued
            .iter()
            .filter(|q| runs_here(q))
            .all(|q| runs_under_locks(q.spec.id));
    let undo_select = !watched.is_empty() && multi.queued.iter().any(|q| q.spec.id == Cmd::Select);
    let mut proxy = Vec::new();
    let mut deferred: SmallVec<[usize; 4]> = SmallVec::new();
    for (i, q) in multi.queued.iter().enumerate().filter(|_| proxy_answers) {
        if let Some((_, reply)) = denied.iter().find(|(at, _)| *at == i) {
            proxy.push((i, reply.clone()));
        } else if q.spec.id == Cmd::Monitor {
            // Its client expects a reply per command (Redis's words).
            let e = b"-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n";
            proxy.push((i, e.to_vec()));
        } else if runs_here(q) && after_watch {
            deferred.push(i);
        } else if runs_here(q) {
            let reply = run_captured(w, call.session, q.spec, &multi.args_of(q)).await;
            proxy.push((i, reply));
        }
    }
    let len = multi.queued.len();
    // Scripts run as a transaction over the shards their keys need (as a
    // script outside MULTI does when it reaches other shards), even when
    // everything is on one shard.
    if shards.len() > 1 || scripts || undo_select || !deferred.is_empty() {
        let specs: Vec<(&'static CommandSpec, SmallVec<[&[u8]; 8]>)> = multi
            .queued
            .iter()
            .map(|q| (q.spec, multi.args_of(q)))
            .collect();
        let parts = xtx::participants(w, call.session, &specs);
        if track {
            // Its reads run as the transaction's, not the client's: their
            // keys (a script's declared ones) are remembered ahead.
            let client = call.session.handle.id;
            let reads = specs.iter().filter(|(spec, _)| {
                spec.has_flag(common::table::flags::F_READONLY) || crate::script::is_call(spec.id)
            });
            let keys: Vec<&[u8]> = reads
                .flat_map(|(spec, args)| {
                    let pos = table::key_positions(spec, args).unwrap_or_default();
                    pos.iter()
                        .filter_map(|&i| args.get(i).copied())
                        .collect::<Vec<_>>()
                })
                .collect();
            crate::caching::remember_first(w, client, keys.into_iter()).await;
        }
        let watcher = if call.session.watching.is_some() {
            call.session.watcher()
        } else {
            0
        };
        // Every watching shard is a participant: its lock request checks
        // and forgets the watch. A shard the locking did not reach (an
        // earlier one refused) forgets it here, before EXEC answers.
        let (proto, origin) = (call.session.proto, call.session.handle.id);
        let batch = xtx::Batch {
            cmds: &specs,
            dbs: &dbs,
            proxy: &proxy,
        };
        let later: Option<xtx::Later> = if deferred.is_empty() {
            None
        } else {
            let (session, multi) = (&mut *call.session, &multi);
            Some(Box::pin(async move {
                let mut replies = Vec::with_capacity(deferred.len());
                for i in deferred {
                    let q = &multi.queued[i];
                    let reply = run_captured(w, session, q.spec, &multi.args_of(q)).await;
                    replies.push((i, reply));
                }
                replies
            }))
        };
        let outcome = xtx::run(w, proto, origin, watcher, batch, parts, later).await;
        unwatch_all(w, call.session).await;
        return match outcome {
            xtx::Outcome::Committed(replies) => call.reply(|r| {
                r.array(len);
                r.raw(&replies);
            }),
            xtx::Outcome::WatchFailed => {
                if call.session.db != db_before {
                    call.session.db = db_before;
                    call.session.handle.set_db(db_before);
                }
                call.reply(|r| r.null_array())
            }
            xtx::Outcome::Failed(err) => {
                call.failed.set(true);
                w.error_reply(err.as_bytes());
                call.reply(|r| r.raw(format!("{err}\r\n").as_bytes()))
            }
        };
    }
    let Some(&shard) = shards.first() else {
        // Nothing for a shard, nothing watched.
        return call.reply(|r| {
            r.array(len);
            proxy.iter().for_each(|(_, reply)| r.raw(reply));
        });
    };
    // The watch is checked and forgotten by the transaction on its shard.
    call.session.watching = None;
    let mut wid = [0u8; 20];
    let wid = if watched.contains(&shard) {
        let id = call.session.watcher();
        common::reply::format_i64(i64::try_from(id).unwrap_or(i64::MAX), &mut wid)
    } else {
        b"0"
    };
    let req = Req {
        origin: call.session.handle.id,
        // Its reads are remembered for a tracking client, by the shard.
        flags: if track {
            common::wire::REQ_FLAG_TRACK
        } else {
            0
        },
        ..Req::internal(Cmd::SharddTx, call.session.proto)
    };
    let kind = MergeKind::Exec { len, proxy };
    let frames = TxFrames::new(&multi, &dbs);
    to_all_one(w, req, call.to, shard, &frames.record(wid), kind).await;
    drop(frames);
    call.session.spare_multi = multi.recycled();
}

/// Whether proxy command `id`, queued in a watched transaction, may run
/// while the transaction holds its keys: it asks the shards nothing that
/// waits for keys (`shardd/src/xtx.rs`, `claim_of`).
fn runs_under_locks(id: Cmd) -> bool {
    use super::Builtin as B;
    !matches!(
        super::handler(id),
        None | Some(
            B::Function
                | B::Script
                | B::Debug
                | B::Shutdown
                | B::Shardis
                | B::Wait
                | B::Migrate
                | B::Quit
                | B::Reset
                | B::Eval
        )
    )
}

/// The one-shard `SHARDD.TX` record of a transaction's commands for the
/// shard: each framed (`tx_cmd_header`), and a SELECT frame before one of
/// another database than the command before it (the request's database
/// first): the shard runs the rest there and answers nothing for the
/// frame. Built in place from the queue's buffer (no copy of an argument,
/// no allocation for a few small commands in one database).
struct TxFrames<'a> {
    multi: &'a Multi,
    dbs: &'a [u32],
    heads: SmallVec<[[u8; TX_CMD_HEADER_BYTES]; 8]>,
    select_head: [u8; TX_CMD_HEADER_BYTES],
    /// Each command's database in decimal, only when some command runs
    /// in another database than the request's.
    db_names: Vec<Vec<u8>>,
}

impl<'a> TxFrames<'a> {
    fn new(multi: &'a Multi, dbs: &'a [u32]) -> TxFrames<'a> {
        let scoped = crate::link::scoped_db();
        let db_names = match dbs.iter().all(|&d| d == scoped) {
            true => Vec::new(),
            false => dbs.iter().map(|d| d.to_string().into_bytes()).collect(),
        };
        let heads = multi
            .queued
            .iter()
            .filter(|q| q.spec.exec == Exec::Shard)
            .map(|q| tx_cmd_header(q.spec.id, q.args.len()))
            .collect();
        TxFrames {
            multi,
            dbs,
            heads,
            select_head: tx_cmd_header(Cmd::Select, 2),
            db_names,
        }
    }

    /// The record's arguments, for watcher `wid` (`0`: none).
    fn record<'b>(&'b self, wid: &'b [u8]) -> SmallVec<[&'b [u8]; 32]> {
        let mut record: SmallVec<[&[u8]; 32]> = SmallVec::new();
        record.extend_from_slice(&[b"SHARDD.TX", wid]);
        let mut framed_db = crate::link::scoped_db();
        let mut heads = self.heads.iter();
        let queued = self.multi.queued.iter().zip(self.dbs).enumerate();
        for (i, (q, &db)) in queued.filter(|(_, (q, _))| q.spec.exec == Exec::Shard) {
            if db != framed_db {
                let name = self.db_names.get(i).map_or(&b"0"[..], Vec::as_slice);
                record.extend_from_slice(&[&self.select_head, b"SELECT", name]);
                framed_db = db;
            }
            if let Some(head) = heads.next() {
                record.push(head);
            }
            let buf = &self.multi.buf;
            record.extend(q.args.iter().map(|&(at, len)| &buf[at..at + len]));
        }
        record
    }
}

/// Sends `args` to `shard` as the one part of a merge of `kind`.
async fn to_all_one(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    shard: usize,
    args: &[&[u8]],
    kind: MergeKind,
) {
    let seq = to
        .out
        .borrow_mut()
        .push_merge(Merge::new(kind, 1, req.proto), to.discard);
    let target = Target::Slot {
        conn: to.out.clone(),
        seq,
        part: Some(0),
    };
    send(w, req, shard, args, target).await;
}

/// Runs the proxy's own command `spec` (queued in a transaction) and
/// returns its reply, waiting for any shard it asks (INFO).
async fn run_captured(
    w: &Rc<Worker>,
    session: &mut Session,
    spec: &'static CommandSpec,
    args: &[&[u8]],
) -> Vec<u8> {
    if spec.id == Cmd::Unwatch {
        // Queued, it runs after the watch check (Redis checks at EXEC, then
        // runs the queue), and EXEC forgets the watches anyway.
        return b"+OK\r\n".to_vec();
    }
    let Some(b) = super::handler(spec.id) else {
        let mut out = Vec::new();
        Reply::new(&mut out, session.proto).error("ERR the proxy has no code for this command");
        return out;
    };
    let capture = Rc::new(RefCell::new(Replies::capture()));
    let failed = std::cell::Cell::new(false);
    let call = Call {
        w,
        session,
        to: To {
            out: &capture,
            discard: false,
        },
        spec,
        argv: args,
        failed: &failed,
    };
    Box::pin(super::run(b, call)).await;
    // What it asked the shards is published now: the connection's read
    // loop, which publishes at the end of a read, waits for this EXEC
    // (without this, SLOWLOG, INFO, LATENCY or CONFIG SET in a MULTI
    // waited for another connection's traffic to publish the rings).
    w.flush_now();
    crate::xtx::wait_all(&capture).await
}
