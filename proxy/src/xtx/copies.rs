//! Commands run over copies: a command whose keys are on several shards
//! (a script, or RENAME and its kind) runs on one shard, the executor,
//! inside a transaction that holds every key: the other shards' keys are
//! read at home (`SHARDD.DUMP`), put there as copies, the command runs,
//! the copies it changed are read back and go home, and the copies are
//! dropped (`shardd/TRANSACTIONS.md`, "Commands whose keys must be
//! together"). Each run notes its keys for the co-location.

use std::rc::Rc;

use common::{reply::Proto, table::Cmd};

use super::{abort, ask_mixed, finish_with, next_txid, nowait_locks, Ask, Part};
use crate::{link::Req, worker::Worker};

/// A key's value in DUMP form and its absolute expiry (0: none), from a
/// `SHARDD.DUMP` reply (`*2 $payload :expiry`, or null); `None` if absent.
fn parse_dump(reply: &[u8]) -> Option<(Vec<u8>, i64)> {
    let rest = reply.strip_prefix(b"*2\r\n$")?;
    let nl = rest.iter().position(|&b| b == b'\r')?;
    let len: usize = std::str::from_utf8(&rest[..nl]).ok()?.parse().ok()?;
    let payload = rest.get(nl + 2..nl + 2 + len)?.to_vec();
    let tail = rest.get(nl + 2 + len + 2..)?;
    let at = std::str::from_utf8(tail.strip_prefix(b":")?)
        .ok()?
        .trim_end()
        .parse::<i64>()
        .ok()?;
    Some((payload, at.max(0)))
}

/// The request that reads `key` on `shard` inside `t` (see
/// [`parse_dump`]).
fn read_ask(t: u64, shard: usize, key: &[u8]) -> Ask {
    Ask {
        req: Req::internal(Cmd::SharddDump, Proto::Resp2)
            .in_tx(t)
            .quiet(),
        shard,
        args: vec![b"SHARDD.DUMP".to_vec(), key.to_vec()],
    }
}

/// The request that writes `value` (or the key's absence) into `key` on
/// `shard` inside `t`.
fn put_ask(t: u64, shard: usize, key: &[u8], value: &Option<(Vec<u8>, i64)>) -> Ask {
    match value {
        None => Ask {
            req: Req::internal(Cmd::Del, Proto::Resp2).in_tx(t).quiet(),
            shard,
            args: vec![b"DEL".to_vec(), key.to_vec()],
        },
        Some((payload, at)) => Ask {
            req: Req::internal(Cmd::Restore, Proto::Resp2).in_tx(t).quiet(),
            shard,
            args: vec![
                b"RESTORE".to_vec(),
                key.to_vec(),
                at.to_string().into_bytes(),
                payload.clone(),
                b"REPLACE".to_vec(),
                b"ABSTTL".to_vec(),
            ],
        },
    }
}

pub(super) fn log_failures(replies: &[Vec<u8>], what: &str) {
    for r in replies.iter().filter(|r| r.starts_with(b"-")) {
        // The transaction fails at its prepare or commit (the shard that
        // refused lost it); this says why.
        tracing::warn!(
            "{what} inside a transaction failed: {}",
            String::from_utf8_lossy(r.trim_ascii_end())
        );
    }
}

/// Runs request `req` with `args` on shard `exec` inside transaction `t`,
/// which holds every one of `keys` (key, written, home shard), with
/// copies of the keys of other shards there: the other keys are read at
/// home; the executor gets copies of them, runs the command, reads back
/// the written ones and drops the copies, all back to back; the written
/// keys the command changed go home. Returns the command's reply.
pub async fn run_with_copies(
    w: &Rc<Worker>,
    t: u64,
    req: Req,
    args: Vec<Vec<u8>>,
    keys: &[(Vec<u8>, bool, usize)],
    exec: usize,
) -> Vec<u8> {
    let (reply, home) = run_keeping_home(w, t, req, args, keys, exec).await;
    if !home.is_empty() {
        let r = ask_mixed(w, &home).await;
        log_failures(&r, "writing a key back");
    }
    reply
}

/// [`run_with_copies`] without its writes home: they are returned for
/// the caller to send with `t`'s prepares ([`finish_with`]), or to drop
/// when the reply strays and the round is put back.
pub async fn run_keeping_home(
    w: &Rc<Worker>,
    t: u64,
    req: Req,
    args: Vec<Vec<u8>>,
    keys: &[(Vec<u8>, bool, usize)],
    exec: usize,
) -> (Vec<u8>, Vec<Ask>) {
    let got = ask_mixed(w, &copy_reads(t, keys, exec)).await;
    run_on_read(w, t, req, args, keys, exec, &got).await
}

/// The reads at home of the keys of `keys` not on `exec`, in order: the
/// copies a command run there inside `t` needs.
pub fn copy_reads(t: u64, keys: &[(Vec<u8>, bool, usize)], exec: usize) -> Vec<Ask> {
    foreign_of(keys, exec)
        .iter()
        .map(|(k, home, _)| read_ask(t, *home, k))
        .collect()
}

/// [`run_keeping_home`] with the copies read already (`got`, in the
/// order of [`copy_reads`]).
pub async fn run_on_read(
    w: &Rc<Worker>,
    t: u64,
    req: Req,
    args: Vec<Vec<u8>>,
    keys: &[(Vec<u8>, bool, usize)],
    exec: usize,
    got: &[Vec<u8>],
) -> (Vec<u8>, Vec<Ask>) {
    let foreign = foreign_of(keys, exec);
    note_copies(w, keys, got);
    run_on_copies(w, t, req, args, &foreign, got, exec).await
}

/// Tells the co-location (`crate::colocate`) that `keys` had to be
/// together, at the cost of the copies `got`.
fn note_copies(w: &Worker, keys: &[(Vec<u8>, bool, usize)], got: &[Vec<u8>]) {
    let copied = got.iter().map(Vec::len).sum();
    w.shared
        .colocate
        .note(keys.iter().map(|(k, _, _)| k.as_slice()), copied);
}

/// The keys of `keys` (key, may write, shard) that are not on `exec`:
/// (key, home, written).
fn foreign_of(keys: &[(Vec<u8>, bool, usize)], exec: usize) -> Vec<(Vec<u8>, usize, bool)> {
    keys.iter()
        .filter(|(_, _, s)| *s != exec)
        .map(|(k, write, s)| (k.clone(), *s, *write))
        .collect()
}

/// Runs `req` on `exec` on the copies read (`got`, one per `foreign`
/// key): its reply, and the writes that take the changed keys home (for
/// the caller to send, before `t`'s prepare on the same links).
async fn run_on_copies(
    w: &Rc<Worker>,
    t: u64,
    req: Req,
    args: Vec<Vec<u8>>,
    foreign: &[(Vec<u8>, usize, bool)],
    got: &[Vec<u8>],
    exec: usize,
) -> (Vec<u8>, Vec<Ask>) {
    let before: Vec<Option<(Vec<u8>, i64)>> = got.iter().map(|r| parse_dump(r)).collect();
    let mut asks: Vec<Ask> = Vec::new();
    for ((k, _, _), v) in foreign.iter().zip(&before) {
        if v.is_some() {
            asks.push(put_ask(t, exec, k, v));
        }
    }
    let at_command = asks.len();
    asks.push(Ask {
        req,
        shard: exec,
        args,
    });
    let written: Vec<usize> = (0..foreign.len()).filter(|&i| foreign[i].2).collect();
    for &i in &written {
        asks.push(read_ask(t, exec, &foreign[i].0));
    }
    if !foreign.is_empty() {
        let mut del = vec![b"DEL".to_vec()];
        del.extend(foreign.iter().map(|(k, _, _)| k.clone()));
        asks.push(Ask {
            req: Req::internal(Cmd::Del, Proto::Resp2).in_tx(t).quiet(),
            shard: exec,
            args: del,
        });
    }
    let mut replies = ask_mixed(w, &asks).await;
    log_failures(&replies[..at_command], "copying a key");
    let reply = std::mem::take(&mut replies[at_command]);
    let after = &replies[at_command + 1..at_command + 1 + written.len()];
    let mut home: Vec<Ask> = Vec::new();
    for (j, &i) in written.iter().enumerate() {
        let now = parse_dump(&after[j]);
        if now != before[i] {
            home.push(put_ask(t, foreign[i].1, &foreign[i].0, &now));
        }
    }
    (reply, home)
}

/// What [`run_copies_at_once`] made of its transaction.
pub enum AtOnce {
    /// Over: the command's reply, or the transaction's error.
    Ended(Vec<u8>),
    /// The reply strays: transaction `t` is live on `locked`.
    Live {
        reply: Vec<u8>,
        t: u64,
        locked: Vec<usize>,
    },
}

/// A command over copies (a script over several shards) as a whole new
/// transaction in the fewest round trips: the locks (that do not wait)
/// and the reads of the copies go out together, and the writes home go
/// out with the prepares. `None` if a lock was busy (nothing stays
/// locked: the caller locks in order and uses [`run_with_copies`]);
/// otherwise what became of it ([`AtOnce`]). `stray` says, from the
/// command's reply, that it must not be committed: the transaction is
/// then left live, its locks held, for the caller to put back or abort.
pub async fn run_copies_at_once(
    w: &Rc<Worker>,
    parts: &[(usize, Part)],
    req_of: impl FnOnce(u64) -> (Req, Vec<Vec<u8>>),
    keys: &[(Vec<u8>, bool, usize)],
    exec: usize,
    stray: impl FnOnce(&[u8]) -> bool,
) -> Option<AtOnce> {
    let t = next_txid(w);
    let all: Vec<usize> = parts.iter().map(|(s, _)| *s).collect();
    let foreign = foreign_of(keys, exec);
    let mut asks = nowait_locks(t, parts);
    asks.extend(foreign.iter().map(|(k, home, _)| read_ask(t, *home, k)));
    let replies = ask_mixed(w, &asks).await;
    let (locks, got) = replies.split_at(parts.len());
    if let Some((i, r)) = locks
        .iter()
        .enumerate()
        .find(|(_, r)| !r.starts_with(b"+OK"))
    {
        abort(w, t, &all).await;
        if r.starts_with(b"-TXBUSY") {
            return None;
        }
        let e = format!(
            "-ERR transaction aborted: shard {} answered {}\r\n",
            all[i],
            String::from_utf8_lossy(r.trim_ascii_end())
        );
        return Some(AtOnce::Ended(e.into_bytes()));
    }
    note_copies(w, keys, got);
    let (req, args) = req_of(t);
    let (reply, home) = run_on_copies(w, t, req, args, &foreign, got, exec).await;
    if stray(&reply) {
        // Its writes home were not sent: only the copies and the
        // executor's writes are `t`'s.
        return Some(AtOnce::Live {
            reply,
            t,
            locked: all,
        });
    }
    Some(AtOnce::Ended(match finish_with(w, t, &all, home).await {
        Ok(()) => reply,
        Err(e) => format!("{e}\r\n").into_bytes(),
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_dump;

    #[test]
    fn dump_replies_parse_with_their_expiry() {
        assert_eq!(
            parse_dump(b"*2\r\n$3\r\nabc\r\n:-1\r\n"),
            Some((b"abc".to_vec(), 0))
        );
        assert_eq!(
            parse_dump(b"*2\r\n$2\r\n\r\n\r\n:1700000000000\r\n"),
            Some((b"\r\n".to_vec(), 1_700_000_000_000))
        );
        assert_eq!(parse_dump(b"$-1\r\n"), None);
        assert_eq!(parse_dump(b"-ERR x\r\n"), None);
    }
}
