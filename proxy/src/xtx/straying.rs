//! Commands that may read keys they do not name: Lua scripts (any key, at
//! run time) and SORT with `BY`/`GET` patterns. A shard that meets such a
//! key it may not read (another shard's, or one a transaction holds)
//! answers `-SHARDIS.STRAY` with it (`common::wire::STRAY`); the command
//! then runs as a transaction over its keys and those, with copies of the
//! other shards' keys on the shard of its first key, round after round
//! while it finds more ([`ROUNDS_MAX`] rounds at most).
//!
//! In the first [`ROUNDS_ALONE`] rounds, a round that strays is put back
//! with its locks kept (`SHARDD.TXABORT T KEEP`) and the keys it found
//! are added to them without waiting (`SHARDD.TXLOCK` with `LOCK_MORE`):
//! what its keys follow (the list a worker pops its next job from) stays
//! as it was for the next round. If a key found is taken, the round's
//! transaction ends and the next locks anew, in order; between two such
//! transactions other clients run, so
//! a script whose keys follow a value others change (a job queue's
//! `INCR` of its next id, then that job's hash) can find another new key
//! every round while its neighbours do the same: pipelined, such calls
//! kept each other from settling. Later rounds therefore run in one
//! transaction that holds every shard whole (as FLUSHALL does): nothing
//! else runs until it ends, so each round finds the keys of a keyspace
//! that no longer moves, and the call settles. A round there that
//! strays is put back on every shard with the locks kept
//! (`SHARDD.TXABORT T KEEP`) before the next.
//!
//! A script that asks for the keys of every shard (KEYS, SCAN, DBSIZE,
//! RANDOMKEY, FLUSHDB: a pattern, all keys for the last four) goes straight to
//! that transaction: with nothing else running, every shard's keys of the
//! pattern are listed for it and copied to its shard ([`super::sweep`]),
//! which then answers those commands as over one keyspace.

use std::{
    collections::{HashMap, HashSet},
    rc::Rc,
};

use common::wire::{stray_parts, Strays};

use super::sweep::Swept;

use super::{
    abort, abort_asks, ask_mixed, copy_reads, every_shard_whole, finish_with, lock, more_lock_args,
    next_txid, parts_of_keys, put_back, run_copies_at_once, run_keeping_home, run_on_read, Ask,
    AtOnce, LockError, Part,
};
use crate::{link::Req, worker::Worker};
use common::{reply::Proto, table::Cmd};

/// Rounds a command may take to find every key it reaches. A probing run
/// (`shardd/src/script.rs`) names every key it reaches at once, but a
/// script that looks for the first free key of a chain (a job
/// scheduler's next free time slot) learns one more each round, its
/// probe finding the next key absent: 64 covers such chains, each round a
/// transaction over the keys found so far.
pub const ROUNDS_MAX: usize = 64;

/// Rounds run as transactions of their own before the rest run in one
/// transaction holding every shard whole (module docs).
pub const ROUNDS_ALONE: usize = 3;

/// Keys as a transaction plan takes them: (key, may write, shard).
pub type Keys = Vec<(Vec<u8>, bool, usize)>;

/// The keys of a command that may stray, given the `extra` keys it is
/// known to reach.
pub type KeysWith<'a> = &'a dyn Fn(&[Vec<u8>]) -> Keys;

/// A command's request inside transaction `t` on shard `exec`, which
/// holds `keys` (the command lists their names: it may read them) and,
/// among them, every shard's keys of the patterns swept (and the count
/// of the others, [`Swept`]).
pub type RequestIn<'a> = &'a dyn Fn(u64, usize, &Keys, Swept<'_>) -> (Req, Vec<Vec<u8>>);

/// The names of `keys`, in order: what a request lists.
pub fn names(keys: &Keys) -> Vec<Vec<u8>> {
    keys.iter().map(|(k, _, _)| k.clone()).collect()
}

/// A command that may stray, as [`run_straying`] runs it.
pub struct Straying<'a> {
    /// What it is, for the errors (`script`, `SORT`).
    pub what: &'static str,
    /// Its keys (key, may write, shard) with the `extra` keys it is known
    /// to reach; the first key's shard runs it.
    pub keys: KeysWith<'a>,
    /// Its request inside transaction `t` on shard `exec`, over its keys.
    pub request: RequestIn<'a>,
}

/// Each key once, in order, written if any of its mentions writes it (a
/// SORT's patterns may name 100,000 keys: one hash lookup each).
pub fn unique_keys(keys: impl IntoIterator<Item = (Vec<u8>, bool, usize)>) -> Keys {
    let mut out: Keys = Vec::new();
    let mut at: HashMap<Vec<u8>, usize> = HashMap::new();
    for (k, write, shard) in keys {
        match at.get(&k) {
            Some(&i) => out[i].1 |= write,
            None => {
                at.insert(k.clone(), out.len());
                out.push((k, write, shard));
            }
        }
    }
    out
}

/// Runs `s` as a transaction over the shards of its keys and `asks`'s,
/// every shard's keys of its patterns and their count if it asks (module
/// docs); its reply, or the transaction's error.
pub async fn run_straying(w: &Rc<Worker>, s: &Straying<'_>, asks: Strays) -> Vec<u8> {
    let what = s.what;
    let _gate = w.enter_gate().await;
    let Strays {
        keys: mut extra,
        sweeps,
        count,
    } = asks;
    if !sweeps.is_empty() || count {
        let asks = Strays {
            keys: Vec::new(),
            sweeps,
            count,
        };
        return run_holding_every_shard(w, s, extra, asks).await;
    }
    // A transaction whose round strayed, put back, its locks kept and
    // widened to the keys found: the next round runs in it.
    // With it, the copies of the next round's keys, read as it was kept.
    let mut held: Option<(u64, Vec<usize>, Vec<Vec<u8>>)> = None;
    for _ in 0..ROUNDS_ALONE {
        count_round(w);
        let keys = (s.keys)(&extra);
        let exec = keys.first().map_or(0, |(_, _, s)| *s);
        // `home`: the writes that take the changed copies home, sent with
        // the prepares if the round does not stray.
        let (t, locked, reply, home) = match held.take() {
            Some((t, locked, got)) => {
                let (req, args) = (s.request)(t, exec, &keys, Swept::default());
                let (reply, home) = run_on_read(w, t, req, args, &keys, exec, &got).await;
                (t, locked, reply, home)
            }
            None => {
                let mut parts = parts_of_keys(keys.iter().map(|(k, _, s)| (k.clone(), *s)));
                if parts.is_empty() {
                    parts.push((exec, Part::default()));
                }
                // The fewest round trips first (locks with the reads of
                // the copies, writes home with the prepares); in order if
                // a key was taken.
                let at_once = run_copies_at_once(
                    w,
                    &parts,
                    |t| (s.request)(t, exec, &keys, Swept::default()),
                    &keys,
                    exec,
                    |r| stray_parts(r).is_some(),
                )
                .await;
                match at_once {
                    // Committed (its reply did not stray), or failed.
                    Some(AtOnce::Ended(reply)) => return reply,
                    Some(AtOnce::Live { reply, t, locked }) => (t, locked, reply, Vec::new()),
                    None => {
                        let t = next_txid(w);
                        let locked = match lock(w, t, 0, &parts).await {
                            Ok(l) => l,
                            Err(LockError::WatchFailed) => {
                                return b"-ERR transaction aborted: a lock was refused\r\n".to_vec()
                            }
                            Err(LockError::Failed(e)) => return format!("{e}\r\n").into_bytes(),
                        };
                        let (req, args) = (s.request)(t, exec, &keys, Swept::default());
                        let (reply, home) = run_keeping_home(w, t, req, args, &keys, exec).await;
                        (t, locked, reply, home)
                    }
                }
            }
        };
        match more_keys(what, &reply, &keys, &[], false) {
            More::Done => {
                return match finish_with(w, t, &locked, home).await {
                    Ok(()) => reply,
                    Err(e) => format!("{e}\r\n").into_bytes(),
                }
            }
            More::Unsettled(e) => {
                abort(w, t, &locked).await;
                return e;
            }
            More::Keys(found) if found.sweeping() => {
                // Every shard's keys of a pattern (or their count): only
                // a transaction holding every shard whole can list them.
                abort(w, t, &locked).await;
                extra.extend(found.keys.iter().cloned());
                return run_holding_every_shard(w, s, extra, found).await;
            }
            More::Keys(Strays { keys: found, .. }) => {
                // Keep what it holds (others could move what its keys
                // follow, as a queue's next job) and take the keys found
                // without waiting, reading the next round's copies in the
                // same trip; else let go and lock anew next round.
                extra.extend(found.iter().cloned());
                let next = (s.keys)(&extra);
                let next_exec = next.first().map_or(0, |(_, _, s)| *s);
                let mut locked = locked;
                match keep_and_lock(w, t, &mut locked, &found, &next, next_exec).await {
                    Some(got) => held = Some((t, locked, got)),
                    None => abort(w, t, &locked).await,
                }
            }
        }
    }
    if let Some((t, locked, _)) = held.take() {
        abort(w, t, &locked).await;
    }
    run_holding_every_shard(w, s, extra, Strays::default()).await
}

/// A round of live transaction `t` that strayed, kept for the next, in
/// one round trip: put back where `t` holds locks (`SHARDD.TXABORT T
/// KEEP`), the keys `found` added to its locks without waiting
/// (`SHARDD.TXLOCK` with `LOCK_MORE` where it holds locks, a lock that
/// does not wait elsewhere), and the copies of the next round's keys
/// `next` (run on `exec`) read at home. A link keeps its order, so each
/// new lock precedes its key's read; a read of a key whose lock failed
/// is dropped with the round. The copies, one per key of `next` not on
/// `exec` (for [`run_on_read`]), or `None` if the put back or a lock
/// failed: `locked` (kept ascending) then names every shard to abort.
async fn keep_and_lock(
    w: &Rc<Worker>,
    t: u64,
    locked: &mut Vec<usize>,
    found: &[Vec<u8>],
    next: &Keys,
    exec: usize,
) -> Option<Vec<Vec<u8>>> {
    let mut per_shard: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
    for k in found {
        let shard = w.shared.shard_of(k);
        match per_shard.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, ks)) => ks.push(k.clone()),
            None => per_shard.push((shard, vec![k.clone()])),
        }
    }
    let backs = abort_asks(t, locked, true);
    let locks: Vec<(usize, Vec<Vec<u8>>)> = per_shard
        .into_iter()
        .map(|(shard, ks)| (shard, more_lock_args(t, locked.contains(&shard), ks)))
        .collect();
    let ask = |cmd: Cmd, (shard, args): &(usize, Vec<Vec<u8>>)| Ask {
        req: Req::internal(cmd, Proto::Resp2),
        shard: *shard,
        args: args.clone(),
    };
    let mut asks: Vec<Ask> = backs.iter().map(|b| ask(Cmd::SharddTxabort, b)).collect();
    asks.extend(locks.iter().map(|l| ask(Cmd::SharddTxlock, l)));
    asks.extend(copy_reads(t, next, exec));
    let replies = ask_mixed(w, &asks).await;
    let (put, rest) = replies.split_at(backs.len().min(replies.len()));
    let (granted, got) = rest.split_at(locks.len().min(rest.len()));
    let mut ok = put.iter().all(|r| r.starts_with(b"+OK"));
    for ((shard, _), r) in locks.iter().zip(granted) {
        let yes = r.starts_with(b"+OK");
        ok &= yes;
        // A new participant that granted holds locks: it is aborted with
        // the others if need be.
        if yes && !locked.contains(shard) {
            locked.push(*shard);
        }
    }
    locked.sort_unstable();
    ok.then(|| got.to_vec())
}

/// `INFO`'s `shardis_stray_rounds`.
fn count_round(w: &Worker) {
    w.shared
        .stats
        .stray_rounds
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// What a round's reply says about the keys.
enum More {
    /// It ran: the reply is the command's.
    Done,
    /// It reached these keys, not among the round's, or asked for every
    /// shard's keys of these patterns, not swept yet.
    Keys(Strays),
    /// It reached none that is new: the error reply.
    Unsettled(Vec<u8>),
}

/// Reads a round's `reply` over `keys`, with the patterns `swept` (and
/// the other shards' keys `counted`).
fn more_keys(what: &str, reply: &[u8], keys: &Keys, swept: &[Vec<u8>], counted: bool) -> More {
    let Some(found) = stray_parts(reply) else {
        return More::Done;
    };
    let known: HashSet<&[u8]> = keys.iter().map(|(k, _, _)| k.as_slice()).collect();
    let nothing_new = found.keys.is_empty() && !found.sweeping();
    if nothing_new
        || found.keys.iter().any(|f| known.contains(f.as_slice()))
        || found.sweeps.iter().any(|p| swept.contains(p))
        || (found.count && counted)
    {
        return More::Unsettled(
            format!("-ERR shardis: the {what}'s keys could not be settled\r\n").into_bytes(),
        );
    }
    More::Keys(found)
}

/// The rounds after [`ROUNDS_ALONE`], or those of a command that asked
/// for every shard's keys of the patterns of `asks` or their count (its
/// keys are in `extra`): one transaction locks every shard whole (in
/// order, waiting), then runs round after round inside it, a round that
/// strays having put back its writes, until one settles; it commits that
/// round's effects only. A pattern asked for is swept once: nothing else
/// changes the keyspace while it holds.
async fn run_holding_every_shard(
    w: &Rc<Worker>,
    s: &Straying<'_>,
    mut extra: Vec<Vec<u8>>,
    asks: Strays,
) -> Vec<u8> {
    let mut sweeps = asks.sweeps;
    let mut counted = asks.count;
    let what = s.what;
    let t = next_txid(w);
    let parts = every_shard_whole(w, Vec::new());
    let locked = match lock(w, t, 0, &parts).await {
        Ok(l) => l,
        Err(LockError::WatchFailed) => {
            return b"-ERR transaction aborted: a lock was refused\r\n".to_vec()
        }
        Err(LockError::Failed(e)) => return format!("{e}\r\n").into_bytes(),
    };
    let mut swept: Vec<Vec<u8>> = Vec::new();
    for _ in ROUNDS_ALONE..ROUNDS_MAX {
        count_round(w);
        if !sweeps.is_empty() {
            match super::sweep::gather(w, t, &sweeps, extra.len()).await {
                Ok(found) => extra.extend(found),
                Err(e) => {
                    abort(w, t, &locked).await;
                    return e;
                }
            }
            swept.append(&mut sweeps);
        }
        let keys = (s.keys)(&extra);
        let exec = keys.first().map_or(0, |(_, _, s)| *s);
        // A DBSIZE's count of the other shards' keys, less the copies.
        let elsewhere = match counted {
            true => match super::sweep::elsewhere(w, t, &keys, exec).await {
                Ok(n) => Some(n),
                Err(e) => {
                    abort(w, t, &locked).await;
                    return e;
                }
            },
            false => None,
        };
        let told = Swept {
            patterns: &swept,
            elsewhere,
        };
        let (req, args) = (s.request)(t, exec, &keys, told);
        let (reply, home) = run_keeping_home(w, t, req, args, &keys, exec).await;
        match more_keys(what, &reply, &keys, &swept, counted) {
            More::Done => {
                return match finish_with(w, t, &locked, home).await {
                    Ok(()) => reply,
                    Err(e) => format!("{e}\r\n").into_bytes(),
                }
            }
            More::Keys(found) => {
                extra.extend(found.keys);
                sweeps = found.sweeps;
                counted |= found.count;
            }
            More::Unsettled(e) => {
                abort(w, t, &locked).await;
                return e;
            }
        }
        // What the round did (its copies, the writes before it strayed)
        // is put back; the locks stay. Its writes home were not sent.
        if let Err(e) = put_back(w, t, &locked).await {
            abort(w, t, &locked).await;
            return e;
        }
    }
    abort(w, t, &locked).await;
    format!("-ERR shardis: the {what} kept reaching keys on other shards ({ROUNDS_MAX} rounds)\r\n")
        .into_bytes()
}
