//! Clients blocked on keys: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
//! BZPOPMIN, BZPOPMAX, BZMPOP, XREAD and XREADGROUP with BLOCK, and
//! `SHARDD.BWAIT` (the proxy's wait for a client blocked on keys of
//! several shards).
//!
//! A client's own blocking command arrives with `REQ_FLAG_BLOCK`. Its
//! handler is the non-blocking form (`crate::commands::lists::blpop`...):
//! when it finds nothing it marks the keyspace, and the shard keeps the
//! request record (a *waiter*) in the queue of every key it waits on,
//! unanswered. The proxy's link answers requests out of order, so the
//! worker's other clients go on.
//!
//! - **Ready keys.** Every write that changed a key someone waits on
//!   (through `Engine::touch_watched`, the one hook every command, MULTI,
//!   script and transaction over several shards passes) marks the key
//!   ready. The channel being served stops after that request, and the
//!   round serves the ready keys before any other command runs, as Redis
//!   serves blocked clients right after the command that fed them: the
//!   key's waiters, oldest first, run their request again; the first that
//!   finds nothing (the key is empty again) stops the key. A waiter of
//!   another family than the key's type is skipped and keeps waiting
//!   (Redis 7.0). What a waiter pops is logged as its own command.
//!   Stream readers take nothing from each other: every stream waiter of
//!   a ready key runs once, in order (`next_stream_waiter`).
//! - **Several shards.** `SHARDD.BWAIT client family ticket key...` answers `:1`
//!   at once when one of its keys holds a value of the family, else waits
//!   as a *notify* waiter, answered `:1` when a key becomes ready (every
//!   notify waiter of the key is woken, since none consumes anything); the
//!   proxy then tries the pop as a transaction over the shards.
//! - **First come, first served across shards.** A notify waiter woken by
//!   a key *reserves* the key: its element is the woken client's, so the
//!   waiters behind it (and a blocking command arriving now that would pop
//!   it at once, and another notify waiter's `SHARDD.BWAIT`) wait until
//!   the reservation ends, as Redis serves the oldest blocked client first
//!   whatever its other keys. Waiters are queued by the ticket the proxy
//!   gave the client's command when it came (a counter its workers
//!   share), not by when their wait reached the shard: a client blocked
//!   over several shards waits only after a first try. It
//!   ends at the next write to the key (the woken client's pop, or
//!   anyone's), when the woken client waits again (it keeps its place in
//!   the queues: it found nothing), at `SHARDD.UNBLOCK client RELEASE`
//!   (it popped elsewhere), when its channel goes away, or after
//!   [`RESERVE_MS`] (a proxy that never came back); then every key with
//!   waiters is looked at again. Not held back: plain pops (LPOP...) and
//!   the first, non-blocking try of a command over several shards
//!   (`REQ_FLAG_NOPARK`), which carry no client identity; in the moment
//!   between the wake-up and the woken client's pop they may take the
//!   element (in Redis nothing runs in between).
//! - **Ending a wait.** `SHARDD.UNBLOCK client TIMEOUT|ERROR` (the proxy's
//!   timer, `CLIENT UNBLOCK`, a disconnect) removes the client's waiter;
//!   the round then answers its request with the timeout reply (a null),
//!   `-UNBLOCKED ...`, or `:0` for a notify waiter. `UNBLOCK` itself
//!   answers `:1` if the client was waiting, `:0` if it was served already
//!   (its reply is then ahead in the ring).
//! - A waiter whose channel goes away is dropped; nothing of it ran.
//!
//! Bounds: a client has at most one waiter per shard; its keys are its
//! request's. Cost when nobody waits: one `is_empty` check per write.

use std::collections::{HashMap, VecDeque};

use common::{blocking::Family, table::Cmd};
use shared_ring::Channel;

use crate::{
    keyspace::{db_key_into, split_db_key, Keyspace, ValueRef},
    reply::{Proto, Reply},
};

/// The blocking commands a shard runs itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockCmd {
    /// `SHARDD.BWAIT client family ticket key...`
    Wait,
    /// `SHARDD.UNBLOCK client TIMEOUT|ERROR`
    Unblock,
    /// `SHARDD.EVENTS`: the long poll for keyspace events no request
    /// caused (`crate::notify`).
    Events,
}

/// The blocking command `id`, if it is one.
pub const fn command(id: Cmd) -> Option<BlockCmd> {
    match id {
        Cmd::SharddBwait => Some(BlockCmd::Wait),
        Cmd::SharddUnblock => Some(BlockCmd::Unblock),
        Cmd::SharddEvents => Some(BlockCmd::Events),
        _ => None,
    }
}

/// How a cancelled wait is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The command's timeout reply.
    Timeout,
    /// `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.
    Error,
    /// The slot of a key it waits on left this shard
    /// (`crate::slots`): [`common::wire::SLOT_MOVED`] for a client's own
    /// command (the proxy sends it to the new owner), `:1` (woken) for a
    /// notify waiter (the proxy tries its pop again).
    Moved,
}

#[derive(Debug)]
pub(crate) struct Waiter {
    /// The channel it came through.
    pub(crate) owner: u64,
    /// The client (or token) the proxy knows it by.
    pub(crate) client: u64,
    /// The request id its reply carries.
    pub(crate) id: u64,
    /// Its place among the waiters of a key: when the proxy took the
    /// client's blocking command (its token, from a counter every worker
    /// shares), so a client blocked over several shards, whose wait
    /// comes after a first try, keeps its place before the clients that
    /// came after it; and a woken client that waits again keeps it too.
    pub(crate) ticket: u64,
    pub(crate) proto: Proto,
    pub(crate) cmd: Cmd,
    pub(crate) family: Family,
    /// Its keys, each a `keyspace::db_key`.
    pub(crate) keys: Vec<Vec<u8>>,
    /// The request to run again; `None` for a notify waiter (BWAIT).
    pub(crate) rec: Option<Vec<u8>>,
}

impl Waiter {
    /// This waiter's request answered with `body`.
    fn answer(&self, body: Vec<u8>) -> Due {
        Due::Answer {
            owner: self.owner,
            id: self.id,
            cmd: self.cmd,
            body,
        }
    }
}

/// What the round must answer.
pub(crate) enum Due {
    /// Run the waiter's request again.
    Run { owner: u64, rec: Vec<u8> },
    /// Answer request `id` (of command `cmd`) on `owner`'s channel with
    /// `body`.
    Answer {
        owner: u64,
        id: u64,
        cmd: Cmd,
        body: Vec<u8>,
    },
}

/// How long a key stays reserved for the client a push woke when nothing
/// ends the reservation sooner (module docs).
pub const RESERVE_MS: u64 = 1000;

/// A key reserved for the notify waiter it woke (module docs).
#[derive(Debug)]
struct Reserved {
    owner: u64,
    client: u64,
    /// When the reservation ends on its own (read from the clock itself:
    /// the keyspace's is read once a round, and a round after a park
    /// starts with it late).
    until: std::time::Instant,
}

/// The shard's blocked clients.
#[derive(Debug, Default)]
pub struct Blocking {
    by_key: HashMap<Vec<u8>, VecDeque<u64>>,
    /// Keys (each a `keyspace::db_key`) reserved for a woken client.
    reserved: HashMap<Vec<u8>, Reserved>,
    pub(crate) waiters: HashMap<u64, Waiter>,
    by_client: HashMap<(u64, u64), u64>,
    pub(crate) ready: VecDeque<Vec<u8>>,
    /// Waiters cancelled by `SHARDD.UNBLOCK`, to answer.
    ended: VecDeque<(Waiter, Ending)>,
    /// Replies of ended or woken waiters whose ring was full: (channel,
    /// reply record).
    pub(crate) outbox: VecDeque<(u64, Vec<u8>)>,
    /// The waiter whose request runs again now.
    pub(crate) serving: Option<u64>,
    /// The stream waiters of the ready key at the front still to run this
    /// time (every one runs: a read consumes nothing the others need).
    stream_turn: Option<(Vec<u8>, VecDeque<u64>)>,
    /// Set when a key became ready or a wait ended: the channel being
    /// served stops so the round serves the waiters first.
    pub(crate) fresh: bool,
    next: u64,
    /// A buffer for the [`crate::keyspace::db_key`] of a signalled key.
    name: Vec<u8>,
}

impl Blocking {
    /// Whether nobody waits and no key is reserved (the write path's fast
    /// check).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty() && self.reserved.is_empty()
    }

    /// Whether `key` of database `db` is reserved for another client than
    /// `client` of channel `owner` (`None`: for anyone, the request
    /// carries no client the proxy woke).
    pub(crate) fn reserved_for_other(
        &mut self,
        db: usize,
        key: &[u8],
        me: Option<(u64, u64)>,
    ) -> bool {
        if self.reserved.is_empty() {
            return false;
        }
        db_key_into(&mut self.name, db, key);
        self.reserved
            .get(self.name.as_slice())
            .is_some_and(|r| Some((r.owner, r.client)) != me)
    }
    /// Ends the reservations `keep` refuses; if any ended, every key with
    /// waiters is looked at again (true).
    fn release_where(&mut self, keep: impl Fn(&Reserved) -> bool) -> bool {
        let before = self.reserved.len();
        self.reserved.retain(|_, r| keep(r));
        let released = self.reserved.len() != before;
        if released {
            self.signal_all();
        }
        released
    }

    /// `SHARDD.UNBLOCK client RELEASE`: the woken client is done (it
    /// popped elsewhere, or gave up); true if it held a reservation.
    pub(crate) fn release(&mut self, owner: u64, client: u64) -> bool {
        self.release_where(|r| (r.owner, r.client) != (owner, client))
    }

    /// Ends the reservations whose time is up.
    pub fn expire_reservations(&mut self) {
        if !self.reserved.is_empty() {
            let now = std::time::Instant::now();
            self.release_where(|r| r.until > now);
        }
    }

    /// Clients waiting (INFO's `blocked_clients` part).
    pub fn waiting(&self) -> usize {
        self.waiters.len()
    }

    /// Keys with waiters (INFO's `total_blocking_keys` part).
    pub fn keys(&self) -> usize {
        self.by_key.len()
    }

    /// Whether the round has waiters to serve or answer.
    pub fn has_work(&self) -> bool {
        !self.ready.is_empty() || !self.ended.is_empty() || !self.outbox.is_empty()
    }

    /// Whether a key became ready or a wait ended since the last call.
    pub fn take_fresh(&mut self) -> bool {
        std::mem::take(&mut self.fresh)
    }

    /// Whether a key became ready or a wait ended since the last
    /// [`Blocking::take_fresh`].
    pub fn is_fresh(&self) -> bool {
        self.fresh
    }

    /// `key` of database `db` was written: its waiters may run.
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        // On every write while anyone waits: looked up without allocating.
        db_key_into(&mut self.name, db, key);
        if !self.reserved.is_empty() && self.reserved.remove(self.name.as_slice()).is_some() {
            // Written (popped, most likely): the reservation is over.
            self.signal_all();
            return;
        }
        if self.by_key.contains_key(self.name.as_slice()) && !self.ready.contains(&self.name) {
            self.ready.push_back(self.name.clone());
            self.fresh = true;
        }
    }

    /// Every key that has waiters is ready (after a transaction released
    /// keys it did not write, or a reply ring that was full).
    pub fn signal_all(&mut self) {
        let keys: Vec<Vec<u8>> = self.by_key.keys().cloned().collect();
        for k in keys {
            if !self.ready.contains(&k) {
                self.ready.push_back(k);
            }
        }
        self.fresh = true;
    }

    /// Adds waiter `w` in the queue of each of its keys.
    pub(crate) fn add(&mut self, w: Waiter) {
        if let Some(old) = self.by_client.get(&(w.owner, w.client)).copied() {
            // A client waits once per shard; a second wait (a proxy that
            // lost track of the first) replaces it, answered as a timeout.
            if let Some(old) = self.remove(old) {
                self.ended.push_back((old, Ending::Timeout));
                self.fresh = true;
            }
        }
        let seq = self.next;
        self.next += 1;
        if !self.reserved.is_empty() {
            // The client a push woke waits again (it found nothing): its
            // reservations end (its ticket keeps its place).
            let me = (w.owner, w.client);
            self.release_where(|r| (r.owner, r.client) != me);
        }
        // In ticket order (most often at the back).
        for k in &w.keys {
            let at = self.by_key.get(k).map_or(0, |q| {
                q.partition_point(|s| self.waiters.get(s).is_some_and(|o| o.ticket <= w.ticket))
            });
            self.by_key.entry(k.clone()).or_default().insert(at, seq);
        }
        self.by_client.insert((w.owner, w.client), seq);
        self.waiters.insert(seq, w);
    }

    fn remove(&mut self, seq: u64) -> Option<Waiter> {
        let w = self.waiters.remove(&seq)?;
        self.by_client.remove(&(w.owner, w.client));
        for k in &w.keys {
            if let Some(q) = self.by_key.get_mut(k) {
                q.retain(|&s| s != seq);
                if q.is_empty() {
                    self.by_key.remove(k);
                }
            }
        }
        Some(w)
    }

    /// The waiter now running again was served: it waits no more.
    pub(crate) fn served(&mut self) {
        if let Some(seq) = self.serving.take() {
            self.remove(seq);
        }
    }

    /// Cancels `client`'s wait on `owner`'s channel; false if it was not
    /// waiting.
    pub(crate) fn end(&mut self, owner: u64, client: u64, how: Ending) -> bool {
        let Some(seq) = self.by_client.get(&(owner, client)).copied() else {
            return false;
        };
        match self.remove(seq) {
            Some(w) => {
                self.ended.push_back((w, how));
                self.fresh = true;
                true
            }
            None => false,
        }
    }

    /// Ends every wait on a key (its `keyspace::db_key`) for which
    /// `moving` holds, answered as `how` says.
    pub(crate) fn end_where(&mut self, moving: impl Fn(&[u8]) -> bool, how: Ending) {
        let hit: Vec<u64> = self
            .waiters
            .iter()
            .filter(|(_, w)| w.keys.iter().any(|k| moving(k)))
            .map(|(&s, _)| s)
            .collect();
        for seq in hit {
            if self.serving == Some(seq) {
                continue;
            }
            if let Some(w) = self.remove(seq) {
                self.ended.push_back((w, how));
                self.fresh = true;
            }
        }
    }

    /// The channel `owner` went away: its waiters are dropped.
    pub fn owner_gone(&mut self, owner: u64) {
        let gone: Vec<u64> = self
            .waiters
            .iter()
            .filter(|(_, w)| w.owner == owner)
            .map(|(&s, _)| s)
            .collect();
        for seq in gone {
            self.remove(seq);
        }
        if !self.reserved.is_empty() {
            self.release_where(|r| r.owner != owner);
        }
        self.ended.retain(|(w, _)| w.owner != owner);
        self.outbox.retain(|(o, _)| *o != owner);
    }

    /// The next thing the round must do for the ready keys and ended
    /// waiters, given `ks`; `None` when nothing is left. A waiter to run
    /// again becomes [`Blocking::serving`].
    pub(crate) fn next_due(&mut self, ks: &mut Keyspace) -> Option<Due> {
        if let Some((w, how)) = self.ended.pop_front() {
            let body = ending_reply(&w, how);
            return Some(w.answer(body));
        }
        while let Some(key) = self.ready.front().cloned() {
            if self.reserved.contains_key(&key) {
                // Spoken for: its waiters wait for the reservation's end.
                self.ready.pop_front();
                self.stream_turn = None;
                continue;
            }
            let (db, k) = split_db_key(&key);
            let family = ks.in_db(db, |ks| match ks.get(k) {
                Some(ValueRef::List(_)) => Some(Family::List),
                Some(ValueRef::ZSet(_)) => Some(Family::Zset),
                Some(ValueRef::Stream(_)) => Some(Family::Stream),
                _ => None,
            });
            if let Some(due) = self.next_stream_waiter(&key, family == Some(Family::Stream)) {
                return Some(due);
            }
            if family == Some(Family::Stream) {
                self.ready.pop_front();
                self.stream_turn = None;
                continue;
            }
            let queue = self.by_key.get(&key);
            let next = family.and_then(|f| {
                queue?
                    .iter()
                    .copied()
                    .find(|s| self.waiters.get(s).is_some_and(|w| w.family == f))
            });
            let Some(seq) = next else {
                self.ready.pop_front();
                self.stream_turn = None;
                continue;
            };
            if self.holds_reserved(seq) {
                // The oldest waiter also waits on a key reserved for
                // another: this key waits for that reservation's end too.
                self.ready.pop_front();
                self.stream_turn = None;
                continue;
            }
            let notify = self.waiters.get(&seq).is_some_and(|w| w.rec.is_none());
            if notify {
                let w = self.remove(seq)?;
                // The element is its own until its pop (module docs):
                // the waiters behind it, and those that come now, wait.
                let until =
                    std::time::Instant::now() + std::time::Duration::from_millis(RESERVE_MS);
                let r = Reserved {
                    owner: w.owner,
                    client: w.client,
                    until,
                };
                self.reserved.insert(key, r);
                self.ready.pop_front();
                self.stream_turn = None;
                return Some(w.answer(int_reply(w.proto, 1)));
            }
            let w = self.waiters.get(&seq)?;
            self.serving = Some(seq);
            return Some(Due::Run {
                owner: w.owner,
                rec: w.rec.clone().unwrap_or_default(),
            });
        }
        None
    }

    /// Whether waiter `seq` waits on a key reserved for another client.
    fn holds_reserved(&self, seq: u64) -> bool {
        if self.reserved.is_empty() {
            return false;
        }
        self.waiters.get(&seq).is_some_and(|w| {
            w.keys.iter().any(|k| {
                self.reserved
                    .get(k)
                    .is_some_and(|r| (r.owner, r.client) != (w.owner, w.client))
            })
        })
    }

    /// The next stream waiter of ready `key` to run or answer this time,
    /// if any is left. Each runs once per readiness, in the order they
    /// came, while `key` holds a stream; when it holds none (deleted, or
    /// another type now), XREADGROUP waiters are answered Redis's
    /// `UNBLOCKED` error and XREAD waiters keep waiting.
    fn next_stream_waiter(&mut self, key: &[u8], is_stream: bool) -> Option<Due> {
        if self.stream_turn.as_ref().is_none_or(|(k, _)| k != key) {
            let queue: VecDeque<u64> = self
                .by_key
                .get(key)
                .map(|q| {
                    q.iter()
                        .copied()
                        .filter(|s| {
                            self.waiters
                                .get(s)
                                .is_some_and(|w| w.family == Family::Stream)
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.stream_turn = Some((key.to_vec(), queue));
        }
        loop {
            let seq = self.stream_turn.as_mut()?.1.pop_front()?;
            let Some(w) = self.waiters.get(&seq) else {
                continue;
            };
            if w.rec.is_none() {
                let w = self.remove(seq)?;
                return Some(w.answer(int_reply(w.proto, 1)));
            }
            if !is_stream {
                if w.cmd != Cmd::Xreadgroup {
                    continue;
                }
                let w = self.remove(seq)?;
                let mut body = Vec::new();
                Reply::new(&mut body, w.proto).error("UNBLOCKED the stream key no longer exists");
                return Some(w.answer(body));
            }
            self.serving = Some(seq);
            return Some(Due::Run {
                owner: w.owner,
                rec: w.rec.clone().unwrap_or_default(),
            });
        }
    }

    /// Whether the waiter running again is a stream reader (its key stays
    /// ready for the stream waiters after it).
    fn serving_stream(&self) -> bool {
        self.serving
            .and_then(|s| self.waiters.get(&s))
            .is_some_and(|w| w.family == Family::Stream)
    }

    /// The waiter that ran again found nothing: its key is empty again,
    /// so the key is done for now (a stream reader: the next one runs).
    pub(crate) fn still_waiting(&mut self) {
        if self.serving_stream() {
            self.serving = None;
            return;
        }
        if self.serving.take().is_some() {
            self.ready.pop_front();
            self.stream_turn = None;
        }
    }

    /// The waiter that ran again cannot run now (its reply ring is full,
    /// or a transaction holds its keys): the key waits for the next round.
    pub(crate) fn put_off(&mut self) {
        self.serving = None;
        self.stream_turn = None;
        if let Some(k) = self.ready.pop_front() {
            self.ready.push_back(k);
        }
    }
}

fn int_reply(proto: Proto, n: i64) -> Vec<u8> {
    let mut buf = Vec::new();
    Reply::new(&mut buf, proto).int(n);
    buf
}

fn ending_reply(w: &Waiter, how: Ending) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut r = Reply::new(&mut buf, w.proto);
    match (how, w.rec.is_some(), w.cmd) {
        (Ending::Moved, false, _) => r.int(1),
        (Ending::Moved, true, _) => r.raw(common::wire::SLOT_MOVED),
        (_, false, _) => r.int(0),
        (Ending::Error, true, _) => r.error("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
        // A null array for every timeout, BLMOVE and BRPOPLPUSH included
        // (`*-1` in RESP2), as redis-server 7.0 answers.
        (Ending::Timeout, true, _) => r.null_array(),
    }
    buf
}

pub(crate) fn parse_u64(b: Option<&&[u8]>) -> Option<u64> {
    b.and_then(|b| common::num::parse_i64(b))
        .and_then(|n| u64::try_from(n).ok())
}

impl Blocking {
    /// Queues reply record `rec` on `owner`'s channel, or keeps it for the
    /// next round if the ring is full (dropped if the channel is gone).
    pub(crate) fn answer(&mut self, channels: &mut [Channel], owner: u64, rec: Vec<u8>) {
        let Some(ch) = channels.iter_mut().find(|c| c.peer.generation == owner) else {
            return;
        };
        if ch.tx.has_pending() {
            self.outbox.push_back((owner, rec));
            return;
        }
        if let Err(e) = ch.tx.push_or_defer(&rec) {
            tracing::warn!("a blocked client's reply could not be queued: {e}");
        }
    }
}

#[cfg(test)]
mod tests;
