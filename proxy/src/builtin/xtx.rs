//! The coordinator of a transaction over several shards (EXEC whose keys
//! or watched keys live on more than one shard), and the resolver of
//! transactions a crash left in doubt. `shardd/TRANSACTIONS.md` is the
//! protocol; the shard's side is `shardd/src/xtx.rs`.
//!
//! 1. **Lock**, shard by shard in ascending order: `SHARDD.TXLOCK T
//!    watcher all keys...` takes every key the transaction touches or
//!    watches on that shard (the whole keyspace for a command without
//!    keys); the shard checks the client's WATCH there.
//! 2. **Run**: every queued command goes where its route says, flagged as
//!    `T`'s (`Req::in_tx`), all at once; the shards keep undo images.
//! 3. **Prepare**: every participant but the decider (the lowest shard)
//!    logs `T`'s undo images and effects (`PREPARED`) or, having written
//!    nothing, lets go (`READONLY`).
//! 4. **Commit** at the decider: its log record is the decision. Then the
//!    prepared participants commit, and the decider forgets.
//!
//! Any failure before the decision aborts `T` everywhere (undo, unlock). A
//! decider that fails while committing leaves the outcome unknown to the
//! coordinator: the client gets an error saying so, and the prepared
//! participants stay locked until the decider is back and the resolver
//! ([`resolve_in_doubt`], run at every attach) asks it.

use std::{cell::RefCell, collections::HashSet, rc::Rc};

use common::table::{self, Cmd, CommandSpec, Exec, Route};
use smallvec::SmallVec;

use crate::{
    link::Req,
    replies::{Collector, Replies, Target},
    route,
    send::{send, To},
    session::Session,
    worker::Worker,
    xtx::{self as core, ask_all, txid_arg, Part},
};

/// The participants of a transaction of `queued` commands (and the
/// session's watched keys), by shard, ascending.
pub fn participants(
    w: &Worker,
    session: &Session,
    queued: &[(&'static CommandSpec, SmallVec<[&[u8]; 8]>)],
) -> Vec<(usize, Part)> {
    let mut parts: Vec<(usize, Part)> = Vec::new();
    fn part(parts: &mut Vec<(usize, Part)>, shard: usize) -> &mut Part {
        let i = match parts.iter().position(|(s, _)| *s == shard) {
            Some(i) => i,
            None => {
                parts.push((shard, Part::default()));
                parts.len() - 1
            }
        };
        &mut parts[i].1
    }
    for (spec, args) in queued {
        if crate::script::is_call(spec.id) {
            // A script's KEYS; without any it runs on shard 0 (keys it
            // reaches are locked on the next round, see `run`).
            match table::key_positions(spec, args) {
                Ok(pos) if !pos.is_empty() => {
                    for &i in pos.iter() {
                        let p = part(&mut parts, w.shared.shard_of(args[i]));
                        if !p.keys.iter().any(|k| k.as_slice() == args[i]) {
                            p.keys.push(args[i].to_vec());
                        }
                    }
                }
                _ => {
                    part(&mut parts, 0);
                }
            }
            continue;
        }
        if spec.exec != Exec::Shard {
            continue;
        }
        match (spec.route, table::key_positions(spec, args)) {
            (Route::FanOut, _) => {
                for s in 0..w.shared.shard_count() {
                    part(&mut parts, s).all = true;
                }
            }
            (_, Ok(pos)) => {
                for &i in pos.iter() {
                    let p = part(&mut parts, w.shared.shard_of(args[i]));
                    if !p.keys.iter().any(|k| k.as_slice() == args[i]) {
                        p.keys.push(args[i].to_vec());
                    }
                }
            }
            // No keys (or bad key arguments): shard 0 runs it.
            (_, Err(_)) => part(&mut parts, 0).all = true,
        }
    }
    if let Some(wg) = &session.watching {
        for (s, k) in &wg.keys {
            let p = part(&mut parts, *s);
            if !p.keys.contains(k) {
                p.keys.push(k.clone());
            }
        }
    }
    parts.sort_unstable_by_key(|(s, _)| *s);
    parts
}

/// How a transaction over several shards ended.
pub enum Outcome {
    /// Committed: the queued commands' replies, back to back.
    Committed(Vec<u8>),
    /// A watched key changed: nothing ran.
    WatchFailed,
    /// Aborted everywhere, or (a decider failure) not known: the error
    /// reply.
    Failed(String),
}

/// Runs transaction `queued` over `parts` (ascending shards). `watcher`
/// is the client's watch name (0: none); `proxy` holds the replies of the
/// queued commands the proxy answers itself, by position (they ran
/// already, as in a transaction on one shard), or `later` runs them once
/// the locks have checked the watches (a watched transaction that fails
/// then runs none of them, as on Redis) and gives their replies.
pub async fn run(
    w: &Rc<Worker>,
    proto: common::reply::Proto,
    origin: u64,
    watcher: u64,
    batch: Batch<'_, '_>,
    parts: Vec<(usize, Part)>,
    later: Option<Later<'_>>,
) -> Outcome {
    let Batch {
        cmds: queued,
        dbs,
        proxy,
    } = batch;
    let mut later = later;
    let mut ran_later: Vec<(usize, Vec<u8>)> = Vec::new();
    // From here to the end, plain commands over several shards wait or
    // run as transactions (see `crate::gate`).
    let _gate = w.enter_gate().await;
    let scripts = queued.iter().any(|(spec, args)| straying(spec, args));
    let plans = scripts
        || queued
            .iter()
            .any(|(spec, args)| spec.route == Route::Together && core::spans_shards(w, spec, args));
    if watcher == 0 && !plans && later.is_none() {
        let t = core::next_txid(w);
        if let Some(outcome) = run_at_once(w, t, proto, origin, batch, &parts).await {
            return outcome;
        }
        // A key was locked by another transaction: wait for it, in order.
    }
    // Keys scripts reached besides their KEYS, and SORT's patterns read:
    // locked too, and listed on the next round (`core::straying::ROUNDS_MAX`)
    // for the command that reached them (a MULTI of 100 scripts, each
    // reaching its own job's keys, copies each job's keys for its own
    // script only). The SORTs' are asked first.
    let mut extra = Extra {
        listed: vec![Vec::new(); queued.len()],
        sweeps: vec![Vec::new(); queued.len()],
        counts: vec![false; queued.len()],
        seen: HashSet::new(),
    };
    let mut parts = parts;
    let mut locked_keys: HashSet<Vec<u8>> = parts
        .iter()
        .flat_map(|(_, p)| p.keys.iter().cloned())
        .collect();
    for (i, (spec, args)) in queued.iter().enumerate() {
        if core::sort::reads_patterns(spec, args) {
            let db = dbs.get(i).copied().unwrap_or_else(crate::link::scoped_db);
            let found = crate::link::in_db_scope(db, core::sort::probe(w, args)).await;
            for key in found {
                extra.add(i, &key);
                lock_key(w, &mut parts, &mut locked_keys, key);
            }
        }
    }
    // From round `ROUNDS_ALONE` on, one transaction holds every shard
    // whole and its rounds are put back with the locks kept, so that no
    // other client moves the keys the scripts follow between two rounds
    // (`core::straying`, module docs): `held` is that transaction.
    let mut held: Option<(u64, Vec<usize>)> = None;
    for round in 0..core::straying::ROUNDS_MAX {
        let (t, locked) = match held.take() {
            Some(h) => h,
            None => {
                if round >= core::straying::ROUNDS_ALONE {
                    parts = core::every_shard_whole(w, parts);
                }
                let t = core::next_txid(w);
                // 1. Lock, ascending.
                match core::lock(w, t, watcher, &parts).await {
                    Ok(l) => (t, l),
                    Err(core::LockError::WatchFailed) => return Outcome::WatchFailed,
                    Err(core::LockError::Failed(e)) => return Outcome::Failed(e),
                }
            }
        };
        // The watches hold (and stay held with the keys): the proxy's own
        // commands run now, in order, before the shards' ones.
        if let Some(f) = later.take() {
            ran_later = proxy.iter().cloned().chain(f.await).collect();
            ran_later.sort_unstable_by_key(|(at, _)| *at);
        }
        let proxy: &[(usize, Vec<u8>)] = if ran_later.is_empty() {
            proxy
        } else {
            &ran_later
        };
        // 2. Run every command, at once but for those whose keys must be
        //    together on several shards and scripts, which run in their
        //    turn.
        let capture = Rc::new(RefCell::new(Replies::capture()));
        let strays = RefCell::new(Vec::new());
        let asked = RefCell::new(Vec::new());
        let asked_count = RefCell::new(Vec::new());
        let run = Queue {
            t,
            proto,
            origin,
            queued,
            dbs,
            proxy,
            extra: &extra.listed,
            sweeps: &extra.sweeps,
            strays: &strays,
            asked: &asked,
            counts: &extra.counts,
            asked_count: &asked_count,
        };
        send_queued(w, &run, &capture).await;
        w.flush_now();
        let replies = core::wait_all(&capture).await;
        let strays = strays.into_inner();
        let asked = asked.into_inner();
        let asked_count = asked_count.into_inner();
        if strays.is_empty() && asked.is_empty() && asked_count.is_empty() {
            // 3 and 4. Prepare, decide, finish.
            return match core::finish(w, t, &locked).await {
                Ok(()) => Outcome::Committed(replies),
                Err(e) => Outcome::Failed(e),
            };
        }
        // A script or a SORT reached a key `t` did not lock: everything is
        // put back and the transaction runs again with that key locked too
        // (holding every shard whole from `ROUNDS_ALONE` on, its locks
        // kept).
        if watcher == 0
            && round + 1 >= core::straying::ROUNDS_ALONE
            && parts.iter().all(|(_, p)| p.all)
        {
            if let Err(e) = core::put_back(w, t, &locked).await {
                core::abort(w, t, &locked).await;
                return Outcome::Failed(String::from_utf8_lossy(e.trim_ascii_end()).into_owned());
            }
            held = Some((t, locked));
        } else {
            core::abort(w, t, &locked).await;
        }
        if watcher != 0 && !(asked.is_empty() && asked_count.is_empty()) {
            return Outcome::Failed(
                "-ERR shardis: a script inside this MULTI asked for every shard's keys (KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHDB) while keys are WATCHed; run it outside the MULTI or without WATCH".into(),
            );
        }
        if watcher != 0 {
            // The shards checked and forgot the watch with this round's
            // locks: a second round could not check it again.
            return Outcome::Failed(
                "-ERR shardis: a script or SORT inside this MULTI reached a key outside its KEYS while keys are WATCHed; declare the key in KEYS".into(),
            );
        }
        // A script asked for every shard's keys of a pattern: from the
        // next round on the transaction holds every shard whole, and the
        // script lists that pattern's keys at its turn (`core::sweep`).
        for (i, pattern) in asked {
            let Some(mine) = extra.sweeps.get_mut(i) else {
                continue;
            };
            if mine.contains(&pattern) {
                return Outcome::Failed(
                    "-ERR shardis: the keys of the scripts inside this MULTI could not be settled"
                        .into(),
                );
            }
            mine.push(pattern);
            if held.is_none() {
                parts = core::every_shard_whole(w, parts);
            }
        }
        for i in asked_count {
            let Some(counted) = extra.counts.get_mut(i) else {
                continue;
            };
            if *counted {
                return Outcome::Failed(
                    "-ERR shardis: the keys of the scripts inside this MULTI could not be settled"
                        .into(),
                );
            }
            *counted = true;
            if held.is_none() {
                parts = core::every_shard_whole(w, parts);
            }
        }
        // A script may report the same key twice: once each.
        let mut strays = strays;
        strays.sort_unstable();
        strays.dedup();
        for (i, key) in strays {
            // A key listed for the command that strayed to it, strayed to
            // again: nothing more to add.
            if key.is_empty() || !extra.add(i, &key) {
                return Outcome::Failed(
                    "-ERR shardis: the keys of the scripts inside this MULTI could not be settled"
                        .into(),
                );
            }
            lock_key(w, &mut parts, &mut locked_keys, key);
        }
    }
    Outcome::Failed(format!(
        "-ERR shardis: the scripts inside this MULTI kept reaching keys on other shards ({} rounds)",
        core::straying::ROUNDS_MAX
    ))
}

/// Whether queued command `spec` may reach keys it does not name (a
/// script, a SORT with patterns): the transaction then takes the ordered
/// path, in rounds.
pub fn straying(spec: &CommandSpec, args: &[&[u8]]) -> bool {
    crate::script::is_call(spec.id) || core::sort::reads_patterns(spec, args)
}

/// Adds `key` to the locks of `parts`, once (`locked` has them all, so
/// that a SORT naming 100,000 keys costs hash lookups).
fn lock_key(
    w: &Worker,
    parts: &mut Vec<(usize, Part)>,
    locked: &mut HashSet<Vec<u8>>,
    key: Vec<u8>,
) {
    if !locked.insert(key.clone()) {
        return;
    }
    let shard = w.shared.shard_of(&key);
    match parts.iter_mut().find(|(s, _)| *s == shard) {
        Some((_, p)) => p.keys.push(key),
        None => {
            parts.push((
                shard,
                Part {
                    keys: vec![key],
                    all: false,
                },
            ));
            parts.sort_by_key(|(s, _)| *s);
        }
    }
}

/// The keys each queued script or SORT lists besides its own (those it
/// reached in earlier rounds), by position.
struct Extra {
    listed: Vec<Vec<Vec<u8>>>,
    /// The patterns each lists every shard's keys of (scripts only).
    sweeps: Vec<Vec<Vec<u8>>>,
    /// Whether each counts the other shards' keys for its DBSIZE.
    counts: Vec<bool>,
    /// (position, key) of every listed key, to add each once.
    seen: HashSet<(usize, Vec<u8>)>,
}

impl Extra {
    /// Lists `key` for the command at `at`; false if it was already.
    fn add(&mut self, at: usize, key: &[u8]) -> bool {
        if !self.seen.insert((at, key.to_vec())) {
            return false;
        }
        if let Some(l) = self.listed.get_mut(at) {
            l.push(key.to_vec());
        }
        true
    }
}

/// The proxy's own queued commands of a watched transaction, not yet run:
/// their replies by position.
pub type Later<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Vec<(usize, Vec<u8>)>> + 'a>>;

/// A MULTI's queued commands as EXEC hands them over.
#[derive(Clone, Copy)]
pub struct Batch<'a, 'b> {
    /// Each command and its arguments, in order.
    pub cmds: &'a [(&'static CommandSpec, SmallVec<[&'b [u8]; 8]>)],
    /// The database of each (a queued SELECT changes it), by position.
    pub dbs: &'a [u32],
    /// The replies of the commands the proxy answered, by position.
    pub proxy: &'a [(usize, Vec<u8>)],
}

/// A transaction's queued commands as one round runs them.
struct Queue<'a, 'b> {
    t: u64,
    proto: common::reply::Proto,
    origin: u64,
    queued: &'a [(&'static CommandSpec, SmallVec<[&'b [u8]; 8]>)],
    /// The database of each queued command, by position.
    dbs: &'a [u32],
    /// The replies of the commands the proxy answered, by position.
    proxy: &'a [(usize, Vec<u8>)],
    /// Keys each script or SORT reaches besides its KEYS, by position.
    extra: &'a [Vec<Vec<u8>>],
    /// The patterns each script lists every shard's keys of, by position.
    sweeps: &'a [Vec<Vec<u8>>],
    /// Keys scripts reached that they did not list, with their position.
    strays: &'a RefCell<Vec<(usize, Vec<u8>)>>,
    /// Patterns scripts asked every shard's keys of, with their position.
    asked: &'a RefCell<Vec<(usize, Vec<u8>)>>,
    /// Whether each script's DBSIZE counts the other shards' keys, by
    /// position.
    counts: &'a [bool],
    /// The scripts that asked for that count, by position.
    asked_count: &'a RefCell<Vec<usize>>,
}

/// Sends the queued commands of transaction `t` (those the proxy answers
/// take their replies from `proxy`, by position), their replies filling
/// `capture` in order. A command whose keys must be together on several
/// shards runs as a plan in its turn: it needs `t`'s locks, which is why
/// the path that locks and runs at once is not taken with one.
async fn send_queued(w: &Rc<Worker>, q: &Queue<'_, '_>, capture: &Rc<RefCell<Replies>>) {
    for i in 0..q.queued.len() {
        let db = q.dbs.get(i).copied().unwrap_or_else(crate::link::scoped_db);
        // Awaited in place where no scope is needed: `send_one`'s future
        // is large, and a wrapper would copy it once per command.
        if db == crate::link::scoped_db() {
            send_one(w, q, capture, i).await;
        } else {
            crate::link::in_db_scope(db, send_one(w, q, capture, i)).await;
        }
    }
}

/// [`send_queued`]'s queued command `i`, in its database (the scope's).
async fn send_one(w: &Rc<Worker>, q: &Queue<'_, '_>, capture: &Rc<RefCell<Replies>>, i: usize) {
    let (t, proto, origin, proxy) = (q.t, q.proto, q.origin, q.proxy);
    let Some((spec, args)) = q.queued.get(i) else {
        return;
    };
    let listed = q.extra.get(i).map_or(&[][..], Vec::as_slice);
    if crate::script::is_call(spec.id) {
        // A script, in its turn (it needs the locks and sees what the
        // commands before it did); one refused before it runs (its
        // numkeys, an unknown sha) answers in place.
        let seq = capture.borrow_mut().push_pending(false);
        let reply = match crate::script::parse_call(&w.shared.scripts, spec.id, args) {
            Ok(mut e) => {
                e.no_replicas = w.shared.settings.writes_need_replicas();
                e.monitor = w.shared.monitors.any();
                let sweeps = q.sweeps.get(i).map_or(&[][..], Vec::as_slice);
                let count = q.counts.get(i).copied().unwrap_or(false);
                // Boxed, as the other rare kinds below: their futures are
                // large, and this one is moved into a scope per command.
                let reply = Box::pin(crate::script::run_in_tx(
                    w,
                    t,
                    proto,
                    &e,
                    listed,
                    (sweeps, count),
                ))
                .await;
                if let Some(found) = common::wire::stray_parts(&reply) {
                    if found.count {
                        q.asked_count.borrow_mut().push(i);
                    }
                    q.strays
                        .borrow_mut()
                        .extend(found.keys.into_iter().map(|k| (i, k)));
                    q.asked
                        .borrow_mut()
                        .extend(found.sweeps.into_iter().map(|p| (i, p)));
                }
                reply
            }
            Err(e) => e.as_bytes().to_vec(),
        };
        fill(capture, seq, &reply);
        return;
    }
    if core::sort::reads_patterns(spec, args) {
        // In its turn, on copies of the keys its patterns read.
        let seq = capture.borrow_mut().push_pending(false);
        let reply = Box::pin(core::sort::run_in_tx(w, t, proto, spec, args, listed)).await;
        if let Some(keys) = common::wire::strays_of(&reply) {
            q.strays
                .borrow_mut()
                .extend(keys.into_iter().map(|k| (i, k)));
        }
        fill(capture, seq, &reply);
        return;
    }
    if spec.exec != Exec::Shard {
        if let Some((_, reply)) = proxy.iter().find(|(at, _)| *at == i) {
            capture.borrow_mut().push_ready(reply, false);
        }
        return;
    }
    if spec.route == Route::Together && core::spans_shards(w, spec, args) {
        let seq = capture.borrow_mut().push_pending(false);
        let reply = Box::pin(core::together(w, t, proto, spec, args)).await;
        fill(capture, seq, &reply);
        return;
    }
    let req = Req::new(spec, proto, origin, crate::link::scoped_db()).in_tx(t);
    let to = To {
        out: capture,
        discard: false,
    };
    route::shard_command(w, req, to, spec, args).await;
}

/// Fills slot `seq` of `capture` with `reply`.
fn fill(capture: &Rc<RefCell<Replies>>, seq: u64, reply: &[u8]) {
    Target::Slot {
        conn: capture.clone(),
        seq,
        part: None,
    }
    .deliver(reply);
}

/// The common case in one round trip plus the decision: every
/// participant gets, back to back on its link, a lock request that does
/// not wait (`TXBUSY` if a key is taken), its commands and (but the
/// decider) its prepare; then the decider commits. `None` if a lock was
/// busy: everything was aborted, and the caller takes the ordered path.
/// Not for a client that WATCHes (a second attempt would no longer see
/// its watches) nor for commands that run as plans (they need the locks
/// first).
async fn run_at_once(
    w: &Rc<Worker>,
    t: u64,
    proto: common::reply::Proto,
    origin: u64,
    batch: Batch<'_, '_>,
    parts: &[(usize, Part)],
) -> Option<Outcome> {
    let Batch {
        cmds: queued,
        dbs,
        proxy,
    } = batch;
    let all: Vec<usize> = parts.iter().map(|(s, _)| *s).collect();
    let decider = *all.first()?;
    // The lock replies first, then the prepares' (one batch).
    let steps = Collector::new();
    let tid = core::txid_arg(t);
    for (shard, part) in parts {
        let args = core::nowait_lock_args(&tid, part);
        let req = Req::internal(Cmd::SharddTxlock, proto);
        send(w, req, *shard, &args, steps.target()).await;
    }
    let capture = Rc::new(RefCell::new(Replies::capture()));
    let strays = RefCell::new(Vec::new());
    let asked = RefCell::new(Vec::new());
    let run = Queue {
        t,
        proto,
        origin,
        queued,
        dbs,
        proxy,
        extra: &[],
        sweeps: &[],
        strays: &strays,
        asked: &asked,
        counts: &[],
        asked_count: &RefCell::new(Vec::new()),
    };
    send_queued(w, &run, &capture).await;
    // The prepares go out before the lock replies are in: a participant
    // that only read holds its locks (`HOLD`) until it is let go after the
    // decision, so that every lock is held at one moment (two-phase
    // locking); without it, a reader's transaction could read one shard,
    // let go, and read the other after a writer committed on both.
    let mut asks = core::prepare_asks(t, decider, &all[1..]);
    for (_, args) in &mut asks {
        args.push(b"HOLD".to_vec());
    }
    for (shard, args) in &asks {
        let req = Req::internal(Cmd::SharddTxprepare, proto);
        send(w, req, *shard, args, steps.target()).await;
    }
    w.flush_now();
    let mut lock_replies = steps.wait().await;
    let answers = lock_replies.split_off(parts.len());
    let replies = core::wait_all(&capture).await;
    if let Some((i, bad)) = lock_replies
        .iter()
        .enumerate()
        .find(|(_, r)| !r.starts_with(b"+OK"))
    {
        core::abort(w, t, &all).await;
        if bad.starts_with(b"-TXBUSY") {
            return None;
        }
        return Some(Outcome::Failed(format!(
            "-ERR transaction aborted: shard {} answered {}",
            all[i],
            String::from_utf8_lossy(bad.trim_ascii_end())
        )));
    }
    let prepared = match core::prepared_of(w, t, &all, &asks, &answers).await {
        Ok(p) => p,
        Err(e) => return Some(Outcome::Failed(e)),
    };
    let outcome = match core::decide(w, t, &all, &prepared).await {
        Ok(()) => Outcome::Committed(replies),
        // Aborted everywhere (or unknown; the decider's fate settles the
        // prepared ones): the read-only ones are let go below either way.
        Err(e) => Outcome::Failed(e),
    };
    let read_only: Vec<usize> = all[1..]
        .iter()
        .copied()
        .filter(|s| !prepared.contains(s))
        .collect();
    core::release_read_only(w, t, &read_only).await;
    Some(outcome)
}

/// Resolves the transactions every attached shard holds prepared: asks
/// each one's decider for the outcome (a decider that has not decided
/// decides abort) and tells the participant. Run after every attach.
pub async fn resolve_in_doubt(w: &Rc<Worker>) {
    let up: Vec<usize> = {
        let links = w.links.borrow();
        (0..links.len()).filter(|&s| links[s].is_up()).collect()
    };
    let asks: Vec<(usize, Vec<Vec<u8>>)> = up
        .iter()
        .map(|&s| (s, vec![b"SHARDD.TXINDOUBT".to_vec()]))
        .collect();
    let lists = ask_all(w, Cmd::SharddTxindoubt, &asks).await;
    let mut doubts: Vec<(usize, u64, usize)> = Vec::new();
    for (&shard, list) in up.iter().zip(&lists) {
        for (t, decider) in parse_pairs(list) {
            if let Ok(decider) = usize::try_from(decider) {
                doubts.push((shard, t, decider));
            }
        }
    }
    // A transaction still running (its coordinator, in this worker or
    // another, has not decided yet: the decider answers PENDING) is asked
    // about again, every 20 ms, until its coordinator is surely done.
    let until = tokio::time::Instant::now()
        + std::time::Duration::from_millis(w.shared.cfg.shard_wait_timeout_ms.saturating_mul(2));
    loop {
        let mut pending = Vec::new();
        for (shard, t, decider) in doubts {
            if !resolve_one(w, shard, t, decider).await {
                pending.push((shard, t, decider));
            }
        }
        if pending.is_empty() || tokio::time::Instant::now() >= until {
            return;
        }
        doubts = pending;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Settles transaction `t`, prepared on `shard`, with its decider's
/// outcome; false if the decider says it is still running.
async fn resolve_one(w: &Rc<Worker>, shard: usize, t: u64, decider: usize) -> bool {
    if !w.links.borrow().get(decider).is_some_and(|l| l.is_up()) {
        // Resolved when the decider attaches.
        return true;
    }
    let tid = txid_arg(t);
    let answer = ask_all(
        w,
        Cmd::SharddTxdecide,
        &[(decider, vec![b"SHARDD.TXDECIDE".to_vec(), tid.clone()])],
    )
    .await;
    let outcome: &[u8] = match answer.first().map(Vec::as_slice) {
        Some(a) if a.starts_with(b"+COMMIT") => b"commit",
        Some(a) if a.starts_with(b"+ABORT") => b"abort",
        Some(a) if a.starts_with(b"+PENDING") => return false,
        _ => return true,
    };
    tracing::info!(
        t,
        shard,
        decider,
        outcome = %String::from_utf8_lossy(outcome),
        "resolved a transaction in doubt"
    );
    ask_all(
        w,
        Cmd::SharddTxresolve,
        &[(
            shard,
            vec![b"SHARDD.TXRESOLVE".to_vec(), tid, outcome.to_vec()],
        )],
    )
    .await;
    true
}

/// `*N *2 :t :d ...` into pairs.
fn parse_pairs(reply: &[u8]) -> Vec<(u64, u64)> {
    let text = String::from_utf8_lossy(reply);
    let ints: Vec<u64> = text
        .split("\r\n")
        .filter_map(|l| l.strip_prefix(':'))
        .filter_map(|n| n.parse().ok())
        .collect();
    ints.chunks_exact(2).map(|c| (c[0], c[1])).collect()
}

#[cfg(test)]
mod tests {
    use super::parse_pairs;

    #[test]
    fn in_doubt_lists_parse_into_pairs() {
        assert_eq!(parse_pairs(b"*0\r\n"), []);
        assert_eq!(
            parse_pairs(b"*2\r\n*2\r\n:7\r\n:0\r\n*2\r\n:9\r\n:1\r\n"),
            [(7, 0), (9, 1)]
        );
    }
}
