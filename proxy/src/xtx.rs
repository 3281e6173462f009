//! The steps of a transaction over several shards, as the coordinator
//! takes them (`shardd/TRANSACTIONS.md`): lock shard by shard in ascending
//! order, prepare and commit, abort; and the plan that runs a command
//! whose keys must be together (RENAME, SMOVE, SUNIONSTORE, ...) when they
//! are on different shards.
//!
//! EXEC (`builtin::xtx`) strings these steps around the queued commands;
//! [`route`](crate::route) runs a lone cross-shard command as a
//! transaction of its own ([`run_alone`]). Below both, above the links.

use std::{cell::RefCell, rc::Rc, sync::atomic::Ordering};

use common::{
    reply::Proto,
    table::{keyspec::keys_and_flags, Cmd, CommandSpec},
};
use smallvec::SmallVec;

use crate::{
    link::Req,
    replies::{Collector, Replies, Target},
    send::send,
    worker::Worker,
};

mod copies;
mod moves;
mod pop;
pub mod sort;
pub mod straying;
pub mod sweep;

use copies::log_failures;
pub use copies::{
    copy_reads, run_copies_at_once, run_keeping_home, run_on_read, run_with_copies, AtOnce,
};
pub use pop::{pop_keys, pop_prefix, PopKeys};

/// A new transaction id.
pub fn next_txid(w: &Worker) -> u64 {
    w.shared.next_txid.fetch_add(1, Ordering::Relaxed)
}

/// The decimal form the shards parse.
pub fn txid_arg(t: u64) -> Vec<u8> {
    t.to_string().into_bytes()
}

/// Sends each `(shard, args)` as a request `req` and waits for every reply
/// (returned in the order asked).
pub async fn ask_each(w: &Rc<Worker>, req: Req, asks: &[(usize, Vec<Vec<u8>>)]) -> Vec<Vec<u8>> {
    ask_batch(
        w,
        asks.iter()
            .map(|(shard, args)| (req, *shard, args.as_slice())),
    )
    .await
}

/// One request of [`ask_mixed`].
pub struct Ask {
    /// What it is.
    pub req: Req,
    /// Where it goes.
    pub shard: usize,
    /// Its arguments.
    pub args: Vec<Vec<u8>>,
}

/// Sends every request at once (in order on each shard's link) and waits
/// for every reply (returned in the order asked).
pub async fn ask_mixed(w: &Rc<Worker>, asks: &[Ask]) -> Vec<Vec<u8>> {
    ask_batch(w, asks.iter().map(|a| (a.req, a.shard, a.args.as_slice()))).await
}

/// Sends each `(req, shard, args)` at once, their replies filling one
/// [`Collector`]; waits for them all (in the order sent).
async fn ask_batch<'a>(
    w: &Rc<Worker>,
    asks: impl Iterator<Item = (Req, usize, &'a [Vec<u8>])>,
) -> Vec<Vec<u8>> {
    let batch = Collector::new();
    for (req, shard, args) in asks {
        send(w, req, shard, args, batch.target()).await;
    }
    w.flush_now();
    batch.wait().await
}

/// Queues `args` on `shard` as `req` without waiting (published at the
/// next flush); the private reply queue its reply will fill.
pub async fn send_for_reply(
    w: &Rc<Worker>,
    req: Req,
    shard: usize,
    args: &[Vec<u8>],
) -> Rc<RefCell<Replies>> {
    let (capture, target) = capture_slot();
    send(w, req, shard, args, target).await;
    capture
}

/// A private reply queue with one pending slot, and the target that
/// fills it ([`wait_all`] waits for it).
pub fn capture_slot() -> (Rc<RefCell<Replies>>, Target) {
    let capture = Rc::new(RefCell::new(Replies::capture()));
    let seq = capture.borrow_mut().push_pending(false);
    let target = Target::Slot {
        conn: capture.clone(),
        seq,
        part: None,
    };
    (capture, target)
}

/// Sends each `(shard, args)` as an internal `cmd` request and waits for
/// every reply (in the order asked).
pub async fn ask_all(w: &Rc<Worker>, cmd: Cmd, asks: &[(usize, Vec<Vec<u8>>)]) -> Vec<Vec<u8>> {
    ask_each(w, Req::internal(cmd, Proto::Resp2), asks).await
}

/// Runs `argv` (command `cmd`) on `shard` as a command of transaction `t`;
/// its reply in `proto`.
pub async fn ask_in_tx(
    w: &Rc<Worker>,
    t: u64,
    proto: Proto,
    cmd: Cmd,
    shard: usize,
    argv: Vec<Vec<u8>>,
) -> Vec<u8> {
    let req = Req::internal(cmd, proto).in_tx(t);
    ask_each(w, req, &[(shard, argv)])
        .await
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// Waits until every reply of `capture` is in; its output.
pub async fn wait_all(capture: &Rc<RefCell<Replies>>) -> Vec<u8> {
    loop {
        // Taken anew for every wait: taking the bell is what makes it ring.
        let progress = capture.borrow().progress_bell_for_one_wait();
        let next = progress.notified();
        if capture.borrow().outstanding() == 0 {
            break;
        }
        next.await;
    }
    let out = capture.borrow_mut().take_output();
    out
}

/// One participant: its keys, and whether it is locked whole.
#[derive(Default, Debug)]
pub struct Part {
    /// Keys the transaction touches or watches there.
    pub keys: Vec<Vec<u8>>,
    /// A command over the whole keyspace runs there.
    pub all: bool,
}

/// The flags argument of `SHARDD.TXLOCK` (`shardd::xtx::LOCK_*`).
pub fn lock_flags(all: bool, nowait: bool) -> &'static [u8] {
    flags_arg(all, nowait, false)
}

/// `LOCK_ALL` (1), `LOCK_NOWAIT` (2), `LOCK_MORE` (4) as the argument.
fn flags_arg(all: bool, nowait: bool, more: bool) -> &'static [u8] {
    const DIGITS: [&[u8]; 8] = [b"0", b"1", b"2", b"3", b"4", b"5", b"6", b"7"];
    DIGITS[usize::from(all) | (usize::from(nowait) << 1) | (usize::from(more) << 2)]
}

/// `SHARDD.TXLOCK T 0 flags keys...` for `keys` more, without waiting:
/// with `LOCK_MORE` where `t` holds locks already (`held`), a plain lock
/// that does not wait where it holds none.
pub fn more_lock_args(t: u64, held: bool, keys: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut args = vec![
        b"SHARDD.TXLOCK".to_vec(),
        txid_arg(t),
        b"0".to_vec(),
        flags_arg(false, true, held).to_vec(),
    ];
    args.extend(keys);
    args
}

/// `parts` widened to every shard, each held whole (`LOCK_ALL`).
pub fn every_shard_whole(w: &Worker, mut parts: Vec<(usize, Part)>) -> Vec<(usize, Part)> {
    for shard in 0..w.shared.shard_count() {
        match parts.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, p)) => p.all = true,
            None => parts.push((
                shard,
                Part {
                    keys: Vec::new(),
                    all: true,
                },
            )),
        }
    }
    parts.sort_by_key(|(s, _)| *s);
    parts
}

/// `SHARDD.TXLOCK T watcher flags keys...` for `part`.
pub fn lock_args(t: u64, watcher: u64, part: &Part, nowait: bool) -> Vec<Vec<u8>> {
    let mut args = vec![
        b"SHARDD.TXLOCK".to_vec(),
        txid_arg(t),
        watcher.to_string().into_bytes(),
        lock_flags(part.all, nowait).to_vec(),
    ];
    args.extend(part.keys.iter().cloned());
    args
}

/// [`lock_args`] of a lock that does not wait and watches nothing,
/// borrowing `tid` ([`txid_arg`]) and the part's keys: nothing allocated
/// for the common transaction's locks ([`crate::builtin::xtx`]'s at once).
pub fn nowait_lock_args<'a>(tid: &'a [u8], part: &'a Part) -> SmallVec<[&'a [u8]; 8]> {
    let mut args: SmallVec<[&[u8]; 8]> = SmallVec::new();
    args.extend_from_slice(&[b"SHARDD.TXLOCK", tid, b"0", lock_flags(part.all, true)]);
    args.extend(part.keys.iter().map(Vec::as_slice));
    args
}

/// Why locking failed; the shards already locked were released.
pub enum LockError {
    /// A watched key changed.
    WatchFailed,
    /// A shard refused or was unreachable: the error reply.
    Failed(String),
}

/// Locks `parts` (ascending shards) for `t`, one shard after the other;
/// the shards locked, or why not (then nothing stays locked).
pub async fn lock(
    w: &Rc<Worker>,
    t: u64,
    watcher: u64,
    parts: &[(usize, Part)],
) -> Result<Vec<usize>, LockError> {
    let mut locked: Vec<usize> = Vec::new();
    for (shard, part) in parts {
        let args = lock_args(t, watcher, part, false);
        let reply = ask_all(w, Cmd::SharddTxlock, &[(*shard, args)]).await;
        let reply = reply.into_iter().next().unwrap_or_default();
        if reply.starts_with(b"+OK") {
            locked.push(*shard);
            continue;
        }
        abort(w, t, &locked).await;
        if reply.starts_with(b"*-1") || reply.starts_with(b"_") {
            return Err(LockError::WatchFailed);
        }
        return Err(LockError::Failed(format!(
            "-ERR transaction aborted: shard {shard} answered {}",
            String::from_utf8_lossy(reply.trim_ascii_end())
        )));
    }
    Ok(locked)
}

/// `SHARDD.TXPREPARE T decider` for each of `shards`.
pub fn prepare_asks(t: u64, decider: usize, shards: &[usize]) -> Vec<(usize, Vec<Vec<u8>>)> {
    shards
        .iter()
        .map(|&s| {
            let args = vec![
                b"SHARDD.TXPREPARE".to_vec(),
                txid_arg(t),
                decider.to_string().into_bytes(),
            ];
            (s, args)
        })
        .collect()
}

/// The shards that answered `PREPARED` among `asked` (the others let go,
/// read only); `Err` (after aborting `t` on `locked`) if one could not
/// prepare.
pub async fn prepared_of(
    w: &Rc<Worker>,
    t: u64,
    locked: &[usize],
    asked: &[(usize, Vec<Vec<u8>>)],
    answers: &[Vec<u8>],
) -> Result<Vec<usize>, String> {
    let mut prepared = Vec::new();
    for ((shard, _), a) in asked.iter().zip(answers) {
        if a.starts_with(b"+PREPARED") {
            prepared.push(*shard);
        } else if !a.starts_with(b"+READONLY") {
            abort(w, t, locked).await;
            return Err(format!(
                "-ERR transaction aborted: shard {shard} could not prepare it ({})",
                String::from_utf8_lossy(a.trim_ascii_end())
            ));
        }
    }
    Ok(prepared)
}

/// Locks `parts` for a new transaction (no watches): all at once, or in
/// order if a key was taken. Its id and the shards locked, or the error
/// reply (nothing stays locked).
pub async fn lock_any(
    w: &Rc<Worker>,
    parts: &[(usize, Part)],
) -> Result<(u64, Vec<usize>), Vec<u8>> {
    let t = next_txid(w);
    match lock_at_once(w, t, parts).await {
        Some(Ok(l)) => return Ok((t, l)),
        Some(Err(e)) => return Err(format!("{e}\r\n").into_bytes()),
        None => {}
    }
    // A key was taken: wait for it, in order, as a new transaction.
    let t = next_txid(w);
    match lock(w, t, 0, parts).await {
        Ok(l) => Ok((t, l)),
        Err(LockError::WatchFailed) => {
            Err(b"-ERR transaction aborted: a lock was refused\r\n".to_vec())
        }
        Err(LockError::Failed(e)) => Err(format!("{e}\r\n").into_bytes()),
    }
}

/// The lock requests of `t` over `parts` that do not wait (`TXBUSY` if a
/// key is taken).
fn nowait_locks(t: u64, parts: &[(usize, Part)]) -> Vec<Ask> {
    parts
        .iter()
        .map(|(shard, part)| Ask {
            req: Req::internal(Cmd::SharddTxlock, Proto::Resp2),
            shard: *shard,
            args: lock_args(t, 0, part, true),
        })
        .collect()
}

/// Locks `parts` for `t` on every shard at once with locks that do not
/// wait: the shards locked; `None` if one was busy (then nothing stays
/// locked and the caller locks in order); `Err` if one failed.
pub async fn lock_at_once(
    w: &Rc<Worker>,
    t: u64,
    parts: &[(usize, Part)],
) -> Option<Result<Vec<usize>, String>> {
    let replies = ask_mixed(w, &nowait_locks(t, parts)).await;
    let all: Vec<usize> = parts.iter().map(|(s, _)| *s).collect();
    match replies
        .iter()
        .enumerate()
        .find(|(_, r)| !r.starts_with(b"+OK"))
    {
        None => Some(Ok(all)),
        Some((i, r)) => {
            abort(w, t, &all).await;
            if r.starts_with(b"-TXBUSY") {
                None
            } else {
                Some(Err(format!(
                    "-ERR transaction aborted: shard {} answered {}",
                    all[i],
                    String::from_utf8_lossy(r.trim_ascii_end())
                )))
            }
        }
    }
}

/// Prepares and commits `t` on `locked` (ascending; the first decides).
/// `Err` holds the error reply: aborted everywhere, or the outcome unknown
/// (the decider failed while committing).
pub async fn finish(w: &Rc<Worker>, t: u64, locked: &[usize]) -> Result<(), String> {
    finish_as(w, t, locked, false).await
}

/// [`finish`]; `remember`: the decider keeps the commit until told to
/// forget it even when no other shard prepared, so that a caller who
/// got "outcome unknown" can ask it ([`outcome`]).
async fn finish_as(w: &Rc<Worker>, t: u64, locked: &[usize], remember: bool) -> Result<(), String> {
    let Some((&decider, others)) = locked.split_first() else {
        return Ok(());
    };
    let asks = prepare_asks(t, decider, others);
    let answers = ask_all(w, Cmd::SharddTxprepare, &asks).await;
    let prepared = prepared_of(w, t, locked, &asks, &answers).await?;
    decide_as(w, t, locked, &prepared, remember).await
}

/// Whether transaction `t`, whose decider `decider` failed while
/// committing it, committed: asked of the decider once it is back (an
/// undecided one is aborted there for good); `None` if it stays away.
pub async fn outcome(w: &Rc<Worker>, t: u64, decider: usize) -> Option<bool> {
    let args = vec![b"SHARDD.TXDECIDE".to_vec(), txid_arg(t)];
    let answer = ask_all(w, Cmd::SharddTxdecide, &[(decider, args)]).await;
    match answer.first().map(Vec::as_slice) {
        Some(b"+COMMIT\r\n") => Some(true),
        Some(b"+ABORT\r\n") => Some(false),
        _ => None,
    }
}

/// The decision: commits `t` at the decider (`locked[0]`), then on the
/// `prepared` participants, then lets the decider forget. `Err` as for
/// [`finish`].
pub async fn decide(
    w: &Rc<Worker>,
    t: u64,
    locked: &[usize],
    prepared: &[usize],
) -> Result<(), String> {
    decide_as(w, t, locked, prepared, false).await
}

/// [`decide`]; `keep`: the decider remembers the commit even when no
/// other shard prepared (see [`finish_as`]).
async fn decide_as(
    w: &Rc<Worker>,
    t: u64,
    locked: &[usize],
    prepared: &[usize],
    keep: bool,
) -> Result<(), String> {
    let Some(&decider) = locked.first() else {
        return Ok(());
    };
    let tid = txid_arg(t);
    let remember = keep || !prepared.is_empty();
    let args = vec![
        b"SHARDD.TXCOMMIT".to_vec(),
        tid.clone(),
        if remember {
            b"1".to_vec()
        } else {
            b"0".to_vec()
        },
    ];
    let answer = ask_all(w, Cmd::SharddTxcommit, &[(decider, args)]).await;
    let answer = answer.into_iter().next().unwrap_or_default();
    if !answer.starts_with(b"+OK") {
        let text = String::from_utf8_lossy(answer.trim_ascii_end()).into_owned();
        if text.contains("unavailable") {
            // The decider may or may not have logged the commit.
            return Err(format!(
                "-ERR transaction outcome unknown: shard {decider} failed while committing it; it is applied on every shard or on none once that shard is back"
            ));
        }
        abort(w, t, locked).await;
        return Err(format!(
            "-ERR transaction aborted: shard {decider} did not commit it ({text})"
        ));
    }
    if remember {
        // The commit is durable at the decider: `t` is committed whatever
        // happens next. The participants' commits go out now, ahead on
        // their links of anything the caller sends after this returns,
        // but their answers are not waited for: until a participant has
        // committed it keeps `t`'s locks, so whatever reaches `t`'s keys
        // there waits for the commit and sees it (one round trip less for
        // EXEC's reply; `shardd/TRANSACTIONS.md`, step 5).
        let batch = Collector::new();
        let req = Req::internal(Cmd::SharddTxcommit, Proto::Resp2);
        let args: [&[u8]; 3] = [b"SHARDD.TXCOMMIT", &tid, b"0"];
        for &s in prepared {
            send(w, req, s, &args, batch.target()).await;
        }
        w.flush_now();
        let w = w.clone();
        tokio::task::spawn_local(async move {
            let answers = batch.wait().await;
            // A participant that failed here is in doubt and resolved
            // (commit) when it is back; the decider keeps the decision
            // until then.
            if answers.iter().all(|a| a.starts_with(b"+OK")) {
                let forget: [&[u8]; 2] = [b"SHARDD.TXFORGET", &tid];
                let req = Req::internal(Cmd::SharddTxforget, Proto::Resp2);
                send(&w, req, decider, &forget, Target::Ignore).await;
                w.request_flush();
            }
        });
    }
    Ok(())
}

/// Lets go of `t` on `shards`, where it read only and holds its locks
/// (`SHARDD.TXPREPARE ... HOLD`), without waiting for the replies.
pub async fn release_read_only(w: &Rc<Worker>, t: u64, shards: &[usize]) {
    let tid = txid_arg(t);
    for &s in shards {
        let req = Req::internal(Cmd::SharddTxabort, Proto::Resp2);
        let args = vec![b"SHARDD.TXABORT".to_vec(), tid.clone()];
        send(w, req, s, &args, Target::Ignore).await;
    }
    w.request_flush();
}

/// `SHARDD.TXABORT T` for each of `shards`; with `KEEP` when `keep`.
fn abort_asks(t: u64, shards: &[usize], keep: bool) -> Vec<(usize, Vec<Vec<u8>>)> {
    let tid = txid_arg(t);
    shards
        .iter()
        .map(|&s| {
            let mut args = vec![b"SHARDD.TXABORT".to_vec(), tid.clone()];
            if keep {
                args.push(b"KEEP".to_vec());
            }
            (s, args)
        })
        .collect()
}

/// Aborts `t` on `shards` and waits for them.
pub async fn abort(w: &Rc<Worker>, t: u64, shards: &[usize]) {
    ask_all(w, Cmd::SharddTxabort, &abort_asks(t, shards, false)).await;
}

/// `SHARDD.TXABORT T KEEP` on `shards`: what `t` did there is put back,
/// its locks stay (a round that strayed, `xtx::straying`). The error
/// reply if a shard could not (then `t` is to be aborted).
pub async fn put_back(w: &Rc<Worker>, t: u64, shards: &[usize]) -> Result<(), Vec<u8>> {
    let asks = abort_asks(t, shards, true);
    let replies = ask_all(w, Cmd::SharddTxabort, &asks).await;
    match asks
        .iter()
        .zip(&replies)
        .find(|(_, r)| !r.starts_with(b"+OK"))
    {
        None => Ok(()),
        Some(((shard, _), r)) => Err(format!(
            "-ERR transaction aborted: shard {shard} answered {}\r\n",
            String::from_utf8_lossy(r.trim_ascii_end())
        )
        .into_bytes()),
    }
}

/// The keys of `argv` (unique, in order) with whether the command may
/// write each (`keyspec::may_change`), and their shards.
pub fn keys_of(w: &Worker, spec: &CommandSpec, argv: &[&[u8]]) -> Vec<(Vec<u8>, bool, usize)> {
    let mut out: Vec<(Vec<u8>, bool, usize)> = Vec::new();
    if let Ok(keys) = keys_and_flags(spec, argv) {
        for (pos, flags) in keys {
            let k = argv[pos];
            let write = common::table::keyspec::may_change(spec, flags);
            match out.iter_mut().find(|(x, _, _)| x.as_slice() == k) {
                Some(e) => e.1 |= write,
                None => out.push((k.to_vec(), write, w.shared.shard_of(k))),
            }
        }
    }
    out
}

/// The participants of one command over keys on several shards.
pub fn parts_of(w: &Worker, spec: &CommandSpec, argv: &[&[u8]]) -> Vec<(usize, Part)> {
    parts_of_keys(keys_of(w, spec, argv).into_iter().map(|(k, _, s)| (k, s)))
}

/// `(key, shard)` pairs grouped into one part per shard, ascending.
pub fn parts_of_keys(keys: impl IntoIterator<Item = (Vec<u8>, usize)>) -> Vec<(usize, Part)> {
    let mut parts: Vec<(usize, Part)> = Vec::new();
    for (k, s) in keys {
        match parts.iter_mut().find(|(x, _)| *x == s) {
            Some((_, p)) => p.keys.push(k),
            None => parts.push((
                s,
                Part {
                    keys: vec![k],
                    all: false,
                },
            )),
        }
    }
    parts.sort_unstable_by_key(|(s, _)| *s);
    parts
}

/// Whether `argv`'s keys live on more than one shard.
pub fn spans_shards(w: &Worker, spec: &CommandSpec, argv: &[&[u8]]) -> bool {
    let Ok(pos) = common::table::key_positions(spec, argv) else {
        return false;
    };
    let mut shards = pos.iter().map(|&i| w.shared.shard_of(argv[i]));
    let first = shards.next();
    shards.any(|s| Some(s) != first)
}

/// Runs `argv` (keys that must be together, on several shards) inside
/// transaction `t`, which holds every one of its keys, in three round
/// trips ([`run_with_copies`], the executor being the first key's shard).
/// Returns the command's reply in `proto`.
pub async fn together(
    w: &Rc<Worker>,
    t: u64,
    proto: Proto,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> Vec<u8> {
    if let Some(reply) = moves::run(w, t, proto, spec, argv).await {
        return reply;
    }
    let keys = keys_of(w, spec, argv);
    // The first key's shard: the command's own effects on it (SORT turns
    // a packed sorted set into a skiplist for good, as Redis does) stay
    // where the key lives. COPY ... DB runs where its destination lives:
    // it writes the destination in another database, which a copy taken
    // home from the executor (in this database) would miss.
    let to_other_db =
        spec.id == Cmd::Copy && argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"db"));
    let at = usize::from(to_other_db);
    let exec = keys.get(at).or(keys.first()).map_or(0, |(_, _, s)| *s);
    let args = argv.iter().map(|a| a.to_vec()).collect();
    run_with_copies(
        w,
        t,
        Req::internal(spec.id, proto).in_tx(t),
        args,
        &keys,
        exec,
    )
    .await
}

/// Prepares and commits `t` on `all` (the first decides) as [`finish`]
/// does, with the writes `home` sent in the same round trip as the
/// prepares (each before its shard's prepare on the same link).
pub async fn finish_with(
    w: &Rc<Worker>,
    t: u64,
    all: &[usize],
    home: Vec<Ask>,
) -> Result<(), String> {
    let Some((&decider, others)) = all.split_first() else {
        return Ok(());
    };
    let prepares = prepare_asks(t, decider, others);
    let at_prepare = home.len();
    let mut batch = home;
    batch.extend(prepares.iter().map(|(shard, args)| Ask {
        req: Req::internal(Cmd::SharddTxprepare, Proto::Resp2),
        shard: *shard,
        args: args.clone(),
    }));
    let answers = ask_mixed(w, &batch).await;
    log_failures(&answers[..at_prepare], "writing a key back");
    let prepared = prepared_of(w, t, all, &prepares, &answers[at_prepare..]).await?;
    decide(w, t, all, &prepared).await
}

/// [`run_alone`] for a command whose reply must not be lost (a blocked
/// client's pop over several shards): when the decider fails while
/// committing, its outcome is asked of it once it is back: committed,
/// the reply; aborted, `-ERR transaction aborted` (nothing applied).
/// Only if the decider stays away past `shard-wait-timeout-ms` is the
/// outcome unknown.
pub async fn run_alone_settled(
    w: &Rc<Worker>,
    proto: Proto,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> Vec<u8> {
    run_alone_as(w, proto, spec, argv, true).await
}

/// Runs a lone command whose keys must be together and are on several
/// shards, as a transaction of its own; its reply (or the transaction's
/// error).
pub async fn run_alone(
    w: &Rc<Worker>,
    proto: Proto,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> Vec<u8> {
    run_alone_as(w, proto, spec, argv, false).await
}

/// [`run_alone`]; `settle`: as [`run_alone_settled`].
async fn run_alone_as(
    w: &Rc<Worker>,
    proto: Proto,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
    settle_it: bool,
) -> Vec<u8> {
    let _gate = w.enter_gate().await;
    let (t, mut locked) = match lock_any(w, &parts_of(w, spec, argv)).await {
        Ok(l) => l,
        Err(e) => return e,
    };
    let reply = match pop_keys(spec.id, argv) {
        Some(keys) => {
            let names = keys.names(argv);
            pop::pop_first(w, t, &mut locked, proto, spec, argv, keys, &names).await
        }
        None => together(w, t, proto, spec, argv).await,
    };
    settle(w, t, &locked, reply, settle_it).await
}

/// Commits `t` over `locked` (the first decides) and answers `reply`, or
/// the transaction's error; `settle`: as [`run_alone_settled`].
async fn settle(w: &Rc<Worker>, t: u64, locked: &[usize], reply: Vec<u8>, settle: bool) -> Vec<u8> {
    match finish_as(w, t, locked, settle).await {
        Ok(()) => reply,
        Err(e) if settle && e.starts_with("-ERR transaction outcome unknown") => {
            match outcome(w, t, locked[0]).await {
                Some(true) => reply,
                Some(false) => b"-ERR transaction aborted: its decider restarted\r\n".to_vec(),
                None => format!("{e}\r\n").into_bytes(),
            }
        }
        Err(e) => format!("{e}\r\n").into_bytes(),
    }
}
