//! Commands that may read keys they do not name: Lua scripts (any key, at
//! run time) and SORT with `BY`/`GET` patterns. A shard that meets such a
//! key it may not read (another shard's, or one a transaction holds)
//! answers `-SHARDIS.STRAY` with it (`common::wire::STRAY`); the command
//! then runs as a transaction over its keys and those, with copies of the
//! other shards' keys on the shard of its first key, round after round
//! while it finds more ([`ROUNDS_MAX`] rounds at most).

use std::{
    collections::{HashMap, HashSet},
    rc::Rc,
};

use common::wire::strays_of;

use super::{
    abort, finish, lock, next_txid, parts_of_keys, run_copies_at_once, run_with_copies, LockError,
    Part,
};
use crate::{link::Req, worker::Worker};

/// Rounds a command may take to find every key it reaches. A probing run
/// (`shardd/src/script.rs`) names every key it reaches at once, but a
/// script that looks for the first free key of a chain (a job
/// scheduler's next free time slot) learns one more each round, its
/// probe finding the next key absent: 64 covers such chains, each round a
/// transaction over the keys found so far.
pub const ROUNDS_MAX: usize = 64;

/// Keys as a transaction plan takes them: (key, may write, shard).
pub type Keys = Vec<(Vec<u8>, bool, usize)>;

/// The keys of a command that may stray, given the `extra` keys it is
/// known to reach.
pub type KeysWith<'a> = &'a dyn Fn(&[Vec<u8>]) -> Keys;

/// A command's request inside transaction `t` on shard `exec`, which
/// holds `keys` (the command lists their names: it may read them).
pub type RequestIn<'a> = &'a dyn Fn(u64, usize, &Keys) -> (Req, Vec<Vec<u8>>);

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

/// Runs `s` as a transaction over the shards of its keys and `extra`
/// (module docs); its reply, or the transaction's error.
pub async fn run_straying(w: &Rc<Worker>, s: &Straying<'_>, mut extra: Vec<Vec<u8>>) -> Vec<u8> {
    let what = s.what;
    let _gate = w.enter_gate().await;
    for _ in 0..ROUNDS_MAX {
        let keys = (s.keys)(&extra);
        let exec = keys.first().map_or(0, |(_, _, s)| *s);
        let mut parts = parts_of_keys(keys.iter().map(|(k, _, s)| (k.clone(), *s)));
        if parts.is_empty() {
            parts.push((exec, Part::default()));
        }
        // The fewest round trips first (locks with the reads of the
        // copies, writes home with the prepares); in order if a key was
        // taken.
        let at_once = run_copies_at_once(
            w,
            &parts,
            |t| (s.request)(t, exec, &keys),
            &keys,
            exec,
            |r| strays_of(r).is_some(),
        )
        .await;
        let reply = match at_once {
            Some((reply, _)) => reply,
            None => {
                let t = next_txid(w);
                let locked = match lock(w, t, 0, &parts).await {
                    Ok(l) => l,
                    Err(LockError::WatchFailed) => {
                        return b"-ERR transaction aborted: a lock was refused\r\n".to_vec()
                    }
                    Err(LockError::Failed(e)) => return format!("{e}\r\n").into_bytes(),
                };
                let (req, args) = (s.request)(t, exec, &keys);
                let reply = run_with_copies(w, t, req, args, &keys, exec).await;
                if strays_of(&reply).is_some() {
                    abort(w, t, &locked).await;
                    reply
                } else {
                    match finish(w, t, &locked).await {
                        Ok(()) => reply,
                        Err(e) => format!("{e}\r\n").into_bytes(),
                    }
                }
            }
        };
        let Some(found) = strays_of(&reply) else {
            return reply;
        };
        let known: HashSet<&[u8]> = keys.iter().map(|(k, _, _)| k.as_slice()).collect();
        if found.is_empty() || found.iter().any(|f| known.contains(f.as_slice())) {
            return format!("-ERR shardis: the {what}'s keys could not be settled\r\n")
                .into_bytes();
        }
        extra.extend(found);
    }
    format!("-ERR shardis: the {what} kept reaching keys on other shards ({ROUNDS_MAX} rounds)\r\n")
        .into_bytes()
}
