//! A proxy worker: one thread, one current-thread tokio runtime, its own
//! `SO_REUSEPORT` listener, its client connections, and one [`Link`] to
//! every shard.
//!
//! Tasks of a worker (all on one thread, sharing state through `Rc`):
//! - the acceptor, which starts a connection task per client;
//! - the flusher, woken by the first request of a round, which yields once
//!   so every ready connection can add its commands, then publishes every
//!   dirty link: one release-store and at most one wake-up per shard per
//!   round, never one per command;
//! - the reply reader, which drains every link's reply ring, hands each
//!   reply to its connection, and parks on the worker's doorbell (through
//!   tokio's reactor) when all rings are empty;
//! - one monitor per link, which attaches to the shard (off the worker
//!   thread), watches the control socket, and on a hang-up fails the
//!   requests in flight and attaches again when the shard is back.

use std::{
    cell::{Cell, RefCell},
    os::fd::{AsRawFd, OwnedFd},
    rc::Rc,
    sync::{atomic::Ordering, Arc, Mutex},
    time::Duration,
};

use common::cmdstats::CmdStats;
use shared_ring::{attach, AsyncDoorbell, Doorbell, Hello, RingConfig};
use tokio::{io::unix::AsyncFd, sync::Notify};

use crate::{link::Link, state::Shared};

/// Times the reply reader yields with nothing to read before it parks.
pub const REPLY_SPIN_YIELDS: u32 = 1;
/// Quiet parks of the reply reader (each [`PARK_RECHECK_MS`]) after which
/// the worker's idle request rings give their pages back: about a second
/// with no reply and no doorbell.
pub const RELEASE_AFTER_QUIET_PARKS: u64 = 10;
/// First delay between attach attempts to a shard that is down.
pub const REATTACH_BACKOFF_MIN_MS: u64 = 10;
/// Longest delay between attach attempts.
pub const REATTACH_BACKOFF_MAX_MS: u64 = 50;
/// The reply reader re-checks its rings at least this often even when
/// no doorbell rings (a safety net; the protocol needs none).
pub const PARK_RECHECK_MS: u64 = 100;

/// State of one worker, shared by its tasks.
pub struct Worker {
    /// Worker index.
    pub id: usize,
    /// Process-wide state.
    pub shared: Arc<Shared>,
    /// One link per shard.
    pub links: RefCell<Vec<Link>>,
    /// Statistics of the commands this worker answers itself and of the
    /// errors it gives (INFO adds up every worker's).
    pub stats: Arc<Mutex<CmdStats>>,
    flush_wanted: Cell<bool>,
    flush_notify: Notify,
    bell: AsyncDoorbell,
    /// Notified (one stored permit) when a link attaches: transactions a
    /// crash left in doubt may be resolvable now (`builtin::xtx`).
    pub attached: Notify,
    /// Subscription changes on their way to the shards (`crate::subsync`).
    pub subsync: crate::subsync::SubsSync,
    /// Client commands between [`Worker::enter`] and the end of their
    /// dispatch (a slot move waits for none, `crate::migrate`).
    busy: Cell<usize>,
    /// The buffer builtins write their small replies into (taken while
    /// one is written: a reply written inside another gets its own).
    reply_scratch: Cell<Vec<u8>>,
}

/// A scratch reply buffer grown past this is not kept.
const REPLY_SCRATCH_KEEP_BYTES: usize = 64 << 10;

/// A client command in progress ([`Worker::enter`]).
pub struct Busy<'a>(&'a Cell<usize>);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

impl Worker {
    /// A worker with every link down; call [`Worker::spawn_tasks`] inside
    /// a `LocalSet`.
    pub fn new(id: usize, shared: Arc<Shared>) -> std::io::Result<Rc<Worker>> {
        let bell = Doorbell::new().map_err(std::io::Error::other)?;
        let links = (0..shared.shard_count())
            .map(|i| Link::new(i, shared.socket(i)))
            .collect();
        let stats = shared.intro.register_worker();
        Ok(Rc::new(Worker {
            id,
            shared,
            links: RefCell::new(links),
            stats,
            flush_wanted: Cell::new(false),
            flush_notify: Notify::new(),
            bell: AsyncDoorbell::new(bell)?,
            attached: Notify::new(),
            subsync: Default::default(),
            busy: Cell::new(0),
            reply_scratch: Cell::new(Vec::new()),
        }))
    }

    /// Runs `write` with an empty buffer for a reply (the worker's
    /// scratch: a builtin's small reply allocates nothing).
    pub fn with_reply_buffer<T>(&self, write: impl FnOnce(&mut Vec<u8>) -> T) -> T {
        let mut buf = self.reply_scratch.take();
        buf.clear();
        let r = write(&mut buf);
        if buf.capacity() <= REPLY_SCRATCH_KEEP_BYTES {
            self.reply_scratch.set(buf);
        }
        r
    }

    /// Enters a client command: waits while slots move (their owners are
    /// about to change), then counts it as in progress until the guard
    /// drops. The check and the count happen with no await between them,
    /// so the worker's drain ([`Worker::drain_for_pauses`]) sees every
    /// command that passed.
    pub async fn enter(&self) -> Busy<'_> {
        if self.shared.pause.is_paused() {
            self.shared.pause.resumed().await;
        }
        self.busy.set(self.busy.get() + 1);
        Busy(&self.busy)
    }

    /// [`Worker::enter`] with no wait: `None` while a pause holds
    /// commands, or while a `CLIENT PAUSE` may be in force (the general
    /// path, [`crate::dispatch::handle`], decides what it holds). The
    /// dispatch takes this first, so the common case polls no future.
    #[inline]
    pub fn try_enter(&self) -> Option<Busy<'_>> {
        if self.shared.pause.is_paused() || self.shared.client_pause.is_on() {
            return None;
        }
        self.busy.set(self.busy.get() + 1);
        Some(Busy(&self.busy))
    }

    /// Whether nothing of a client command is in progress or in flight
    /// here (the long waits of blocked clients aside).
    fn settled(&self) -> bool {
        self.busy.get() == 0 && self.links.borrow().iter().all(Link::settled)
    }

    /// Answers every pause ([`crate::migrate::Pause`]) once this worker
    /// is settled.
    async fn drain_for_pauses(self: Rc<Self>) {
        let mut rx = self.shared.pause.watch();
        loop {
            if rx.changed().await.is_err() {
                return;
            }
            let epoch = *rx.borrow_and_update();
            if epoch == 0 {
                continue;
            }
            while !self.settled() && self.shared.pause.epoch() == epoch {
                self.flush_now();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            self.shared.pause.drained(epoch);
        }
    }

    /// Keeps a link (and its monitor) for every shard the map counts,
    /// as scale-outs add them.
    async fn follow_shard_count(self: Rc<Self>) {
        let mut rx = self.shared.scale.links_wanted();
        loop {
            let n = (*rx.borrow_and_update()).max(self.shared.shard_count());
            self.grow_links(n);
            if rx.changed().await.is_err() {
                return;
            }
        }
    }

    /// Links 0..n, each watched by a monitor.
    pub fn grow_links(self: &Rc<Self>, n: usize) {
        let mut start = Vec::new();
        {
            let mut links = self.links.borrow_mut();
            while links.len() < n {
                let i = links.len();
                links.push(Link::new(i, self.shared.socket(i)));
            }
            for (i, l) in links.iter_mut().enumerate().take(n) {
                if !l.monitored {
                    l.monitored = true;
                    start.push(i);
                }
            }
        }
        for shard in start {
            let w = self.clone();
            tokio::task::spawn_local(async move { w.monitor(shard).await });
        }
    }

    /// Whether link `shard` is still wanted (a scale-in drops the last).
    pub fn wanted(&self, shard: usize) -> bool {
        shard < (*self.shared.scale.links_wanted().borrow()).max(self.shared.shard_count())
    }

    /// Starts the flusher, the reply reader and the link monitors.
    pub fn spawn_tasks(self: &Rc<Self>) {
        let w = self.clone();
        tokio::task::spawn_local(async move { w.flusher().await });
        let w = self.clone();
        tokio::task::spawn_local(async move { w.reply_reader().await });
        self.grow_links(self.shared.shard_count());
        let w = self.clone();
        tokio::task::spawn_local(async move { w.drain_for_pauses().await });
        let w = self.clone();
        tokio::task::spawn_local(async move { w.follow_shard_count().await });
    }

    /// Counts an error reply the proxy gives itself (`errorstats`).
    pub fn error_reply(&self, reply: &[u8]) {
        crate::stats::lock(&self.stats).error_reply(reply);
    }

    /// Offers a command the proxy timed (`ns`) to the slow log and the
    /// latency monitor (`stats::Introspection::after_command`); who ran it
    /// (`handle`) is looked up only if the slow log keeps it.
    pub fn after_command(
        &self,
        handle: &crate::state::ClientHandle,
        spec: &common::table::CommandSpec,
        argv: &[&[u8]],
        ns: u64,
    ) {
        let settings = &self.shared.settings;
        self.shared
            .intro
            .after_command(settings, spec, argv, ns, || {
                let name = crate::stats::lock(&handle.info).name.clone();
                (handle.id, handle.addr.to_string(), name)
            });
    }

    /// Passes the gate for a transaction over several shards
    /// ([`crate::gate::Gate::enter`]), asking for this worker's queued
    /// requests to go out if it has to wait for parts in flight.
    pub async fn enter_gate(&self) -> crate::gate::GateGuard {
        self.shared.gate.enter(|| self.request_flush()).await
    }

    /// Asks for the dirty links to be published at the end of this round.
    pub fn request_flush(&self) {
        if !self.flush_wanted.replace(true) {
            self.flush_notify.notify_one();
        }
    }

    /// Publishes every dirty link now.
    pub fn flush_now(&self) {
        self.flush_wanted.set(false);
        for l in self.links.borrow_mut().iter_mut() {
            l.flush(&self.shared.stats);
        }
    }

    async fn flusher(self: Rc<Self>) {
        loop {
            self.flush_notify.notified().await;
            // Let every connection that is ready add its commands first.
            tokio::task::yield_now().await;
            self.flush_now();
        }
    }

    /// Publishes an events blob (`common::notify`): keyspace events and
    /// scripts' messages; its invalidations go to the tracking clients
    /// (`crate::tracking`).
    pub fn publish_events(&self, blob: &[u8]) {
        let limits = self.shared.settings.pubsub_limits();
        let mut invalidations = false;
        for (channel, message, to) in common::notify::events(blob) {
            match to {
                common::notify::To::Invalidation => invalidations = true,
                common::notify::To::Monitor => {
                    // A command a script ran, shown as Redis shows them.
                    let db = common::num::parse_i64(channel).unwrap_or(0) as u32;
                    let argv = common::notify::monitor_args(message);
                    self.shared.monitors.feed(db, "lua", &argv, limits);
                }
                to => {
                    let shard = to == common::notify::To::ShardChannel;
                    self.shared.pubsub.publish(channel, message, shard, limits);
                }
            }
        }
        if invalidations {
            self.shared
                .tracking
                .deliver(blob, &self.shared.clients, limits);
        }
    }

    /// One pass of the reply reader: hands every published reply to its
    /// connection, pushes on chunked requests, and wakes tasks waiting for
    /// ring space. Returns the replies delivered.
    pub fn read_replies(&self) -> usize {
        let mut n = 0;
        for l in self.links.borrow_mut().iter_mut() {
            n += l.drain_replies();
            if !l.events.is_empty() {
                // Published before the replies they rode on are written.
                for blob in l.events.drain(..) {
                    self.publish_events(&blob);
                }
            }
            if l.has_pending_chunks() {
                // The shard made room: send the next chunks of a large
                // request now (no client traffic may come to flush it).
                l.flush(&self.shared.stats);
            }
            if l.wants_space {
                l.wants_space = false;
                l.space.notify_waiters();
            }
        }
        n
    }

    async fn reply_reader(self: Rc<Self>) {
        let mut idle = 0u32;
        // Parks that ended by their time limit in a row: about a second
        // of them and the idle request rings give their pages back.
        let mut quiet_parks = 0u64;
        loop {
            let n = self.read_replies();
            if n > 0 {
                idle = 0;
                tokio::task::yield_now().await;
                continue;
            }
            idle += 1;
            if idle <= REPLY_SPIN_YIELDS {
                tokio::task::yield_now().await;
                continue;
            }
            idle = 0;
            let mut sleep = true;
            for l in self.links.borrow_mut().iter_mut() {
                sleep &= l.prepare_park();
            }
            if sleep {
                let rung =
                    tokio::time::timeout(Duration::from_millis(PARK_RECHECK_MS), self.bell.rung())
                        .await;
                quiet_parks = match rung {
                    Ok(_) => 0,
                    Err(_) => quiet_parks + 1,
                };
                if quiet_parks == RELEASE_AFTER_QUIET_PARKS {
                    for l in self.links.borrow_mut().iter_mut() {
                        l.release_idle();
                    }
                }
            }
            for l in self.links.borrow_mut().iter_mut() {
                l.finish_park();
            }
        }
    }

    fn hello(&self) -> Hello {
        Hello {
            generation: (std::process::id() as u64) << 16 | self.id as u64,
            id: self.id as u32,
            max_record: crate::params::table::PROTO_MAX_BULK_LEN_MAX_BYTES as u64 + (64 << 10),
            info: Vec::new(),
        }
    }

    /// Tells freshly attached `shard` every subscription of this
    /// worker's connections, first on its ring (`crate::subsync`); what
    /// does not fit now is sent before any later change.
    fn send_whole_set(&self, shard: usize) {
        let mut records =
            crate::subsync::whole_set(&self.shared.pubsub, &self.shared.tracking, self.id);
        if records.is_empty() {
            return;
        }
        let req =
            crate::link::Req::internal(common::table::Cmd::SharddSubs, common::reply::Proto::Resp2);
        let mut links = self.links.borrow_mut();
        let mut sent = 0;
        for rec in &records {
            if links[shard]
                .send(req, rec, crate::replies::Target::Ignore)
                .is_err()
            {
                break;
            }
            sent += 1;
        }
        links[shard].flush(&self.shared.stats);
        records.drain(..sent);
        self.subsync.resync_later(shard, records);
    }

    /// Keeps link `shard` attached for the life of the worker.
    async fn monitor(self: Rc<Self>, shard: usize) {
        let mut backoff = REATTACH_BACKOFF_MIN_MS;
        loop {
            if !self.wanted(shard) {
                // Scaled in: the shard is gone for good.
                let mut links = self.links.borrow_mut();
                links[shard].monitored = false;
                links[shard].set_down();
                return;
            }
            let sock = self.links.borrow()[shard].sock.clone();
            let (hello, bell) = (self.hello(), self.bell.bell().clone());
            let cfg = RingConfig {
                capacity_bytes: self.shared.cfg.ring_capacity_bytes,
                max_record_bytes: hello.max_record as usize,
            };
            let attached =
                tokio::task::spawn_blocking(move || attach(&sock, &hello, &bell, cfg)).await;
            let ch = match attached {
                Ok(Ok(ch)) => ch,
                Ok(Err(e)) => {
                    tracing::debug!(shard, "attach failed: {e}");
                    tokio::time::sleep(Duration::from_millis(backoff)).await;
                    backoff = (backoff * 2).min(REATTACH_BACKOFF_MAX_MS);
                    continue;
                }
                Err(_) => return,
            };
            if !common::wire::same_table(&ch.peer.info) {
                tracing::error!(
                    shard,
                    peer = %String::from_utf8_lossy(&ch.peer.info),
                    "the shard was built with another command table (want {}); not using it",
                    common::wire::table_tag()
                );
                tokio::time::sleep(Duration::from_millis(REATTACH_BACKOFF_MAX_MS)).await;
                continue;
            }
            let id = common::wire::shard_id(&ch.peer.info);
            if id != Some(shard) {
                // Its keys are another slot range's: serving them here
                // would route every key to the wrong shard.
                tracing::error!(
                    shard,
                    socket = %self.links.borrow()[shard].sock.display(),
                    peer = %String::from_utf8_lossy(&ch.peer.info),
                    "the shard at this position says it is shard {}, not {shard}; not using it \
                     (start it with --id {shard}, or give the sockets in the order of their ids)",
                    id.map_or_else(|| "?".to_string(), |i| i.to_string()),
                );
                tokio::time::sleep(Duration::from_millis(REATTACH_BACKOFF_MAX_MS)).await;
                continue;
            }
            let told = common::wire::shard_slots(&ch.peer.info);
            if let Some(Some(told)) = &told {
                if let Err(e) = self.shared.slots.check_told(shard, told) {
                    // Another slot range's keys: serving them here would
                    // answer for keys it does not hold.
                    tracing::error!(
                        shard,
                        socket = %self.links.borrow()[shard].sock.display(),
                        "the shard at this position does not match the slot map: {e}; not using it"
                    );
                    tokio::time::sleep(Duration::from_millis(REATTACH_BACKOFF_MAX_MS * 10)).await;
                    continue;
                }
            }
            backoff = REATTACH_BACKOFF_MIN_MS;
            let ctl = match ch
                .control_fd()
                .try_clone_to_owned()
                .and_then(ControlFd::watch)
            {
                Ok(fd) => fd,
                Err(e) => {
                    tracing::error!(shard, "cannot watch the control socket: {e}");
                    return;
                }
            };
            tracing::info!(worker = self.id, shard, "attached to shard");
            self.links.borrow_mut()[shard].set_up(ch);
            if told == Some(None) {
                // A shard started without its slots (by hand, `--attach`):
                // it learns them, and keeps them in its directory.
                let slots = self.shared.slots.snapshot().slots_of(shard);
                let args = vec![
                    b"SHARDD.SLOTS".to_vec(),
                    b"SET".to_vec(),
                    slots.to_ranges().into_bytes(),
                ];
                let req = crate::link::Req::internal(
                    common::table::Cmd::SharddSlots,
                    common::reply::Proto::Resp2,
                );
                // First on the fresh ring: nothing can be ahead of it.
                let mut links = self.links.borrow_mut();
                if links[shard]
                    .send(req, &args, crate::replies::Target::Ignore)
                    .is_err()
                {
                    tracing::warn!(shard, "could not tell the shard its slots");
                }
                links[shard].flush(&self.shared.stats);
            }
            self.send_whole_set(shard);
            if self.id == 0 && self.links.borrow()[shard].attaches > 1 {
                // A shard back from a restart remembers no client's keys:
                // every tracking client drops what it cached (the null
                // of a flush), and what it reads from now on is
                // remembered again.
                let limits = self.shared.settings.pubsub_limits();
                self.shared
                    .tracking
                    .invalidate_all(&self.shared.clients, limits);
            }
            self.shared.attached_links.fetch_add(1, Ordering::Relaxed);
            self.attached.notify_one();
            self.wait_for_hang_up(shard, &ctl).await;
            tracing::warn!(worker = self.id, shard, "shard went away");
            self.shared.attached_links.fetch_sub(1, Ordering::Relaxed);
            self.links.borrow_mut()[shard].set_down();
        }
    }

    async fn wait_for_hang_up(&self, shard: usize, ctl: &AsyncFd<ControlFd>) {
        loop {
            let Ok(mut guard) = ctl.readable().await else {
                return;
            };
            let alive = self.links.borrow()[shard]
                .channel()
                .is_some_and(|ch| ch.peer_alive());
            if !alive {
                return;
            }
            guard.clear_ready();
        }
    }
}

/// A duplicate of a control socket, registered with tokio's reactor.
struct ControlFd(OwnedFd);

impl AsRawFd for ControlFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

impl ControlFd {
    fn watch(fd: OwnedFd) -> std::io::Result<AsyncFd<ControlFd>> {
        // SAFETY: the AsyncFd owns the duplicated fd for its whole life and
        // always reports that same fd.
        unsafe { AsyncFd::register_with_interest(ControlFd(fd), tokio::io::Interest::READABLE) }
            .map_err(|e| e.into_parts().1)
    }
}
