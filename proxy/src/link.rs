//! One worker's connection to one shard: the ring pair, the requests in
//! flight on it, and its up/down state.
//!
//! Requests are written straight into the request ring (one copy of each
//! argument from the client's read buffer) and stay unpublished until the
//! worker's flusher publishes every dirty link at the end of the round (one
//! release-store and at most one wake-up per link per round). The shard
//! answers a link's requests in order, except those that wait for a
//! transaction's locks (`shardd/src/xtx.rs`), which are answered later: a
//! reply is matched to the front entry (the common case, one compare) or
//! by its id's distance from the front (ids are consecutive), and answered
//! entries leave from the front.
//!
//! When the shard dies, every request in flight gets
//! `-ERR shard N is unavailable` (it may or may not have run, as with a
//! dropped Redis connection; never a silent drop or a second reply), and
//! new commands for the shard wait for it to come back, up to the
//! configured bound.

use std::{collections::VecDeque, path::PathBuf, rc::Rc, sync::atomic::Ordering};

use common::{
    reply::Proto,
    table::{flags::F_WRITE, Cmd, CommandSpec},
    wire::{REQ_FLAG_BLOCK, REQ_FLAG_PART, REQ_FLAG_TX, REQ_FLAG_WRITE},
};
use shared_ring::{msg, Channel, RingError};
use tokio::sync::Notify;

use crate::replies::Target;

/// What a request record says besides its arguments: the command's id (on
/// which the shard dispatches), the client's protocol, the flags and the
/// client's id (which the shard's slow log keeps).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Req {
    /// The command.
    pub cmd: Cmd,
    /// The protocol its reply is written in.
    pub proto: Proto,
    /// `common::wire` flags (the shard logs writes).
    pub flags: u8,
    /// The client's id (`CLIENT ID`); 0 for the proxy's own requests.
    pub origin: u64,
    /// The database it runs in (`SELECT`).
    pub db: u32,
}

impl Req {
    /// The request for client `origin`'s `spec` command in database `db`,
    /// replied in `proto`.
    pub fn new(spec: &CommandSpec, proto: Proto, origin: u64, db: u32) -> Req {
        let flags = if spec.has_flag(F_WRITE) {
            REQ_FLAG_WRITE
        } else {
            0
        };
        Req {
            cmd: spec.id,
            proto,
            flags,
            origin,
            db,
        }
    }

    /// The same request for database `db`.
    pub fn in_db(self, db: u32) -> Req {
        Req { db, ..self }
    }

    /// The same request marked as a later part of a command sent to
    /// several shards (`part` > 0), which the shard does not count as a
    /// call of its own.
    pub fn part(self, part: usize) -> Req {
        let flags = if part > 0 {
            self.flags | REQ_FLAG_PART
        } else {
            self.flags
        };
        Req { flags, ..self }
    }

    /// The same request as a command of transaction `t` over several
    /// shards: the shard runs it under `t`'s locks (`REQ_FLAG_TX`; the
    /// origin carries `t`).
    pub fn in_tx(self, t: u64) -> Req {
        Req {
            flags: self.flags | REQ_FLAG_TX,
            origin: t,
            ..self
        }
    }

    /// The same request marked as a step of the proxy's own machinery,
    /// which sends no keyspace events (`REQ_FLAG_QUIET`).
    pub fn quiet(self) -> Req {
        Req {
            flags: self.flags | common::wire::REQ_FLAG_QUIET,
            ..self
        }
    }

    /// An internal request the proxy sends on its own (`SHARDD.INFO`...),
    /// never logged; in the database of the command it serves
    /// ([`scoped_db`]).
    pub fn internal(cmd: Cmd, proto: Proto) -> Req {
        Req {
            cmd,
            proto,
            flags: 0,
            origin: 0,
            db: scoped_db(),
        }
    }
}

tokio::task_local! {
    /// The database of the client command being served, when it is not 0
    /// (`in_db_scope`): the requests the machinery under it makes on its
    /// own (transactions over several shards, their locks, undo, DUMP and
    /// RESTORE of a cross-shard move, blocked clients' probes) carry it
    /// without every function in between passing it on.
    static DB: u32;
}

/// The database of the command being served (0 outside any scope).
pub fn scoped_db() -> u32 {
    DB.try_with(|d| *d).unwrap_or(0)
}

/// Runs `fut` with [`scoped_db`] `db` (database 0 needs no scope: it
/// costs nothing to the users of database 0 alone). One future either
/// way (see `acl::in_caller_scope`).
pub fn in_db_scope<F: std::future::Future>(
    db: u32,
    fut: F,
) -> impl std::future::Future<Output = F::Output> {
    use tokio_util::either::Either;
    match db == 0 && scoped_db() == 0 {
        true => Either::Left(fut),
        false => Either::Right(DB.scope(db, fut)),
    }
}

struct Inflight {
    id: u64,
    /// `None` once answered out of order (it leaves with the front).
    target: Option<Target>,
}

/// Why a request could not be queued.
#[derive(Debug, PartialEq, Eq)]
pub enum SendError {
    /// The ring is full: publish, wait for space, retry.
    Full,
    /// The shard is down.
    Down,
    /// The request is larger than the largest record.
    TooLarge,
}

/// A worker's link to one shard.
pub struct Link {
    /// Shard index.
    pub shard: usize,
    /// The shard's control socket.
    pub sock: PathBuf,
    ch: Option<Channel>,
    inflight: VecDeque<Inflight>,
    /// Targets of requests that may wait long (`REQ_FLAG_BLOCK`: a
    /// blocked client, the events' long poll), by id: they leave the
    /// in-flight queue at once (a placeholder stands there), so a request
    /// waiting for hours never holds the answered ones behind it. Worker
    /// 0 always has some (the keyspace events' long polls), so every
    /// reply it reads looks here: ahash, not SipHash (the ids are ours,
    /// not a client's).
    parked: std::collections::HashMap<u64, Target, ahash::RandomState>,
    /// Keyspace events that rode on replies drained since the worker
    /// last took them (`common::notify`), to publish.
    pub events: Vec<Vec<u8>>,
    next_id: u64,
    dirty: bool,
    /// Requests queued since the last publish (`ring_requests`).
    queued: u64,
    /// Tasks waiting for room in the request ring.
    pub space: Rc<Notify>,
    /// Tasks waiting for the shard to come (back) up.
    pub up: Rc<Notify>,
    /// Whether a task waits for space (the producer flag is raised).
    pub wants_space: bool,
    /// Times this link was (re)attached.
    pub attaches: u64,
    /// Whether a monitor keeps it attached (`crate::worker`).
    pub monitored: bool,
    /// The scripts this shard compiled since it was attached
    /// ([`crate::script_cache::KnownScripts`]; shared with the calls in flight, which learn
    /// from their replies while the links are borrowed).
    pub scripts: Rc<std::cell::RefCell<crate::script_cache::KnownScripts>>,
}

impl Link {
    /// A link that is down until [`Link::set_up`].
    pub fn new(shard: usize, sock: PathBuf) -> Link {
        Link {
            shard,
            sock,
            ch: None,
            inflight: VecDeque::new(),
            parked: std::collections::HashMap::default(),
            events: Vec::new(),
            next_id: 0,
            dirty: false,
            queued: 0,
            space: Rc::new(Notify::new()),
            up: Rc::new(Notify::new()),
            wants_space: false,
            attaches: 0,
            monitored: false,
            scripts: Rc::default(),
        }
    }

    /// Whether the shard is attached.
    pub fn is_up(&self) -> bool {
        self.ch.is_some()
    }

    /// The attached channel, if up.
    pub fn channel(&self) -> Option<&Channel> {
        self.ch.as_ref()
    }

    /// The script the shard runs now, as it tells through the segments'
    /// user words (`shardd::script::Watch`).
    pub fn running_script(&self) -> Option<Running> {
        let seg = self.ch.as_ref()?.rx.segment();
        let stamp = seg.user_word(0).load(Ordering::Acquire);
        let word = seg.user_word(1).load(Ordering::Acquire);
        (stamp != 0).then_some(Running {
            stamp,
            wrote: word & 1 != 0,
            function: word & 2 != 0,
        })
    }

    /// Asks the shard to kill the script with `stamp` (it stops at its
    /// next look, if it wrote nothing).
    pub fn kill_script(&self, stamp: u64) {
        if let Some(ch) = self.ch.as_ref() {
            ch.tx.segment().user_word(0).store(stamp, Ordering::Release);
        }
    }

    /// Installs a freshly attached channel and wakes waiting commands.
    pub fn set_up(&mut self, ch: Channel) {
        debug_assert!(self.inflight.is_empty());
        self.ch = Some(ch);
        self.attaches += 1;
        // A shard attached anew (restarted) has compiled nothing yet;
        // replies from its former life teach the set they came with.
        self.scripts = Rc::default();
        self.up.notify_waiters();
        self.space.notify_waiters();
    }

    /// Marks the shard down and fails every request in flight.
    pub fn set_down(&mut self) {
        self.ch = None;
        self.dirty = false;
        let err = format!("-ERR shard {} is unavailable\r\n", self.shard);
        // A merge this fails may hold its other parts' events: they
        // still go out.
        for f in self.inflight.drain(..) {
            if let Some(t) = f.target {
                let ready = t.deliver_with_events(err.as_bytes(), &[]);
                if !ready.is_empty() {
                    self.events.push(ready);
                }
            }
        }
        for (_, t) in self.parked.drain() {
            t.deliver(err.as_bytes());
        }
        self.space.notify_waiters();
    }

    /// Queues a request with `args` whose reply goes to `target`.
    pub fn send<A: AsRef<[u8]>>(
        &mut self,
        req: Req,
        args: &[A],
        target: Target,
    ) -> Result<(), (SendError, Target)> {
        let Some(ch) = self.ch.as_mut() else {
            return Err((SendError::Down, target));
        };
        let id = self.next_id;
        let len = msg::request_len(args);
        let h = msg::RequestHeader {
            id,
            proto: req.proto.version(),
            flags: req.flags,
            kind: req.cmd as u16,
            origin: req.origin,
            db: req.db,
        };
        match ch.tx.try_write(len, |buf| msg::write_request(buf, h, args)) {
            Ok(()) => {}
            Err(RingError::Full) => return Err((SendError::Full, target)),
            Err(RingError::TooLarge(_)) => return Err((SendError::TooLarge, target)),
            Err(_) => return Err((SendError::Down, target)),
        }
        self.next_id += 1;
        self.dirty = true;
        self.queued += 1;
        let target = if req.flags & REQ_FLAG_BLOCK != 0 {
            self.parked.insert(id, target);
            None
        } else {
            Some(target)
        };
        self.inflight.push_back(Inflight { id, target });
        Ok(())
    }

    /// Publishes queued requests (one store, at most one wake-up), and
    /// counts the round in `stats` (`ring_rounds`, `ring_requests`).
    pub fn flush(&mut self, stats: &crate::state::Stats) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        if self.queued > 0 {
            stats.ring_rounds.fetch_add(1, Ordering::Relaxed);
            stats
                .ring_requests
                .fetch_add(std::mem::take(&mut self.queued), Ordering::Relaxed);
        }
        if let Some(ch) = self.ch.as_mut() {
            // A large request may still be going through in chunks.
            if let Err(e) = ch.tx.pump() {
                tracing::error!(shard = self.shard, "request ring broken: {e}");
                self.set_down();
                return;
            }
            ch.tx.publish();
            if ch.tx.has_pending() {
                self.dirty = true;
            }
        }
    }

    /// Gives the request ring's pages back if the shard has read all of
    /// it (an idle link; see `Producer::release_idle`).
    pub fn release_idle(&mut self) -> bool {
        !self.dirty && self.ch.as_mut().is_some_and(|ch| ch.tx.release_idle())
    }

    /// Whether requests are queued but unpublished.
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Whether a large request is still going into the ring in chunks.
    pub fn has_pending_chunks(&self) -> bool {
        self.ch.as_ref().is_some_and(|ch| ch.tx.has_pending())
    }

    /// Whether every request sent was answered, but the long waits
    /// (`REQ_FLAG_BLOCK`), and nothing is left to publish.
    pub fn settled(&self) -> bool {
        !self.dirty && self.inflight.iter().all(|f| f.target.is_none())
    }

    /// Requests sent and not yet answered.
    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    /// Delivers every published reply; returns how many. A broken ring or
    /// a reply that matches no request takes the link down.
    pub fn drain_replies(&mut self) -> usize {
        let Some(ch) = self.ch.as_mut() else {
            return 0;
        };
        let inflight = &mut self.inflight;
        let parked = &mut self.parked;
        let events = &mut self.events;
        let mut bad = false;
        let result = ch.rx.poll(|rec| {
            let Ok((id, flags, mut body)) = msg::parse_reply(rec) else {
                bad = true;
                return false;
            };
            let mut blob: &[u8] = &[];
            if flags & common::notify::REPLY_FLAG_EVENTS != 0 {
                let Some((reply, evs)) = common::notify::split_reply(body) else {
                    bad = true;
                    return false;
                };
                blob = evs;
                body = reply;
            }
            // Events to publish now: all of a whole reply's; a part's wait
            // for the command's other parts (`Replies::complete_with_events`).
            let mut deliver = |t: &Target| {
                // Empty (no allocation) unless events are to go out.
                let ready = t.deliver_with_events(body, blob);
                if !ready.is_empty() {
                    events.push(ready);
                }
            };
            // Most links hold no long wait: no lookup per reply then.
            if let Some(t) = (!parked.is_empty()).then(|| parked.remove(&id)).flatten() {
                deliver(&t);
                return true;
            }
            let Some(front) = inflight.front().map(|f| f.id) else {
                bad = true;
                return false;
            };
            let at = id.wrapping_sub(front);
            let Some(target) = usize::try_from(at)
                .ok()
                .and_then(|at| inflight.get_mut(at))
                .and_then(|f| f.target.take())
            else {
                // No such request, or answered twice.
                bad = true;
                return false;
            };
            deliver(&target);
            while inflight.front().is_some_and(|f| f.target.is_none()) {
                inflight.pop_front();
            }
            true
        });
        match result {
            Ok(n) if !bad => n,
            Ok(n) => {
                tracing::error!(
                    shard = self.shard,
                    "a reply matches no request; dropping the link"
                );
                self.set_down();
                n
            }
            Err(e) => {
                tracing::error!(shard = self.shard, "reply ring broken: {e}");
                self.set_down();
                0
            }
        }
    }

    /// Raises the consumer's parked flag; false if replies are waiting.
    pub fn prepare_park(&mut self) -> bool {
        let Some(ch) = self.ch.as_mut() else {
            return true;
        };
        let mut sleep = ch.rx.prepare_park();
        // A large request still going through in chunks needs the shard to
        // free space too, or its last chunks wait for unrelated traffic.
        let pending = ch.tx.has_pending();
        if self.wants_space || pending {
            let need = if self.wants_space {
                ch.tx.segment().capacity() / 2
            } else {
                0
            };
            let need = need.max(ch.tx.pending_need());
            sleep &= ch.tx.prepare_wait(need).unwrap_or(false);
        }
        sleep
    }

    /// Lowers the parked flags after a wake-up.
    pub fn finish_park(&mut self) {
        if let Some(ch) = self.ch.as_ref() {
            ch.rx.finish_park();
            ch.tx.finish_wait();
        }
    }
}

/// A script a shard runs now ([`Link::running_script`]).
#[derive(Clone, Copy, Debug)]
pub struct Running {
    /// Its stamp: its start in Unix milliseconds times 1024, plus a
    /// counter.
    pub stamp: u64,
    /// It wrote (it cannot be killed).
    pub wrote: bool,
    /// It is a function (FCALL), not an EVAL script.
    pub function: bool,
}
