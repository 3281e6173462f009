//! The shard's event loop: serve request rings from attached proxy workers.
//!
//! One thread owns the keyspace (as Redis does). Each round it drains every
//! attached request ring, executes each command, writes each reply into the
//! worker's reply ring, and publishes each reply ring once. With nothing to
//! do it spins briefly, then parks on its doorbell together with the
//! control listener and every control socket, so a new attach, a dead
//! worker and a new batch all wake it. Active expiry runs between rounds
//! with a bounded budget.
//!
//! Cost per command on the hot path: no syscall, no allocation for up to
//! 16 arguments (the argument slices live on the stack), one copy of the
//! reply from the scratch buffer into the ring, and one clock read (vDSO,
//! no syscall) to time it for the statistics and the slow log
//! (`crate::stats`).

use std::{
    path::PathBuf,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use common::table::Cmd;
use shared_ring::{
    msg::{self, Request},
    Channel, ControlListener, Doorbell, Hello, Producer, RingError,
};
use smallvec::SmallVec;

use crate::{
    blocking::BlockCmd,
    commands::Changes,
    introspect::{self, Parts},
    keyspace::Keyspace,
    ops::{self, Op},
    persist::{
        admin,
        dir::{ChildKind, DataDir},
        WriteLog,
    },
    reply::{Proto, Reply},
    stats::Stats,
    tx::TxCmd,
    watch::Watches,
    xtx::XTx,
};

/// Polls of the rings before parking, when the shard has a core of its
/// own. Where it shares one with its proxy worker or the clients, a
/// spinning shard steals the core they need, and the proxy starts it with
/// `--spin-rounds 0` (`proxy/src/placement.rs`).
pub const SPIN_ROUNDS: u32 = 200;
/// How often active expiry runs when the shard is idle or busy.
pub const EXPIRE_INTERVAL_MS: u64 = 100;
/// How often a running snapshot child is checked for (`waitpid` with
/// `WNOHANG`; only while one runs).
pub const CHILD_POLL_INTERVAL_MS: u64 = 10;
/// Keys active expiry may remove per run (Redis's budget is similar in spirit).
pub const EXPIRE_BUDGET_KEYS: usize = 2_000;

mod notes;
mod slots;
mod sort;
mod tracking;
mod waits;

pub use common::wire::{REQ_FLAG_BLOCK, REQ_FLAG_TX, REQ_FLAG_WRITE};

/// How a shard process is set up.
#[derive(Debug, Clone)]
pub struct ShardConfig {
    /// The shard's id (as the proxy numbers it).
    pub id: u32,
    /// Where the control socket lives.
    pub control_socket: PathBuf,
    /// Largest request or reply record.
    pub max_record_bytes: usize,
    /// Idle polls of the rings before parking ([`SPIN_ROUNDS`]).
    pub spin_rounds: u32,
}

/// The keyspace and where its writes go: everything a request touches.
///
/// Generic over the [`WriteLog`] so the simulation runs this very code with
/// an in-memory log; the shard process uses `Option<DataDir>` (`None`:
/// persistence off).
pub struct Engine<L> {
    /// The data.
    pub ks: Keyspace,
    /// Where writes are logged and committed.
    pub log: L,
    /// What the shard measures about its commands (its thresholds are
    /// the settings in force, `crate::settings`).
    pub stats: Stats,
    /// Who watches which key (WATCH).
    pub watches: Watches,
    /// Transactions over several shards: locks and waiting requests.
    pub xtx: XTx,
    /// Clients blocked on keys (BLPOP...).
    pub blocking: crate::blocking::Blocking,
    /// Keyspace notifications of the running request.
    pub notes: crate::notify::Notes,
    /// The Lua state of EVAL and its compiled scripts (made at the first
    /// script; SCRIPT FLUSH drops it).
    pub scripts: Option<Box<crate::script::Scripts>>,
    /// The Lua state of the function libraries (made at the first
    /// FUNCTION or FCALL), apart as in Redis 7, so each has its own
    /// memory figure and SCRIPT FLUSH leaves the functions alone.
    pub fscripts: Option<Box<crate::script::Scripts>>,
    /// Set by a script run that reached a key a transaction holds: the
    /// key (the request then waits, see `park_script`).
    pub(crate) script_blocked: Option<Vec<u8>>,
    /// Set by a script run flagged `EVAL_FENCE` that strayed: its client
    /// is fenced (`crate::xtx::fence`).
    pub(crate) script_fence: bool,
    /// The running script's state as the proxy sees it, and its kill
    /// requests (`crate::script::Watch`).
    pub script_watch: std::rc::Rc<crate::script::Watch>,
    /// The slots this shard owns (`crate::slots`).
    pub owned: crate::slots::Owned,
    /// The proxy workers' subscriptions, for a script's PUBLISH (and the
    /// prefixes clients track in `BCAST` mode).
    pub subs: crate::subs::Mirror,
    /// Which clients may cache which keys (`CLIENT TRACKING`).
    pub tracking: crate::tracking::Tracking,
    /// Which keys a SORT's patterns may read (`server/sort.rs`).
    pub(crate) sort_scope: crate::commands::sort::SortScope,
    scratch: Vec<u8>,
}

impl<L: WriteLog> Engine<L> {
    /// An engine over `ks`, logging writes to `log`.
    pub fn new(ks: Keyspace, log: L) -> Engine<L> {
        let mut e = Engine {
            ks,
            log,
            stats: Stats::new(),
            watches: Watches::default(),
            xtx: XTx::default(),
            blocking: Default::default(),
            notes: Default::default(),
            scripts: None,
            fscripts: None,
            script_blocked: None,
            script_fence: false,
            script_watch: std::rc::Rc::default(),
            owned: Default::default(),
            subs: Default::default(),
            tracking: Default::default(),
            sort_scope: crate::commands::sort::SortScope::Own,
            scratch: Vec::with_capacity(64 << 10),
        };
        e.recover_txns();
        e
    }

    /// Executes one request record from the channel of proxy worker
    /// `owner` (its generation) and queues its reply on `tx`; false when
    /// the reply ring is full (the reply is kept by the producer).
    pub(crate) fn serve_request(
        &mut self,
        rec: &[u8],
        tx: &mut Producer,
        owner: u64,
    ) -> Result<bool, RingError> {
        let mut args: SmallVec<[&[u8]; 16]> = SmallVec::new();
        let req = Request::parse_with(rec, |a| args.push(a))?;
        let h = req.header;
        let db = h.db as usize;
        if db != self.ks.selected() {
            self.select_db(db);
        }
        let in_tx = h.flags & REQ_FLAG_TX != 0;
        // In a transaction over several shards the origin is the
        // transaction's: the proxy remembers such reads ahead.
        self.tracking.reader = match h.flags & common::wire::REQ_FLAG_TRACK {
            _ if in_tx => 0,
            0 => 0,
            _ => {
                self.note_expiry_for_tracking();
                h.origin
            }
        };
        self.tracking.by = if in_tx { 0 } else { h.origin };
        // Set by a script run of this request only (an early return of an
        // earlier run must not leave it set).
        self.tracking.script_read = None;
        if !in_tx
            && self.xtx.active()
            && (self.xtx.fences.hold(owner, h.origin, rec)
                || self.park_if_locked(h.kind, &args, h.origin, owner, rec))
        {
            // Answered when its client's fence is lifted, or when the
            // locks it waits for are released.
            return Ok(true);
        }
        self.stats.begin();
        let proto = Proto::from_version(h.proto);
        // The scratch buffer is lent out so `self` stays free for the run.
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        scratch.resize(msg::REPLY_HEADER_BYTES, 0);
        msg::write_reply_header(&mut scratch, h.id, 0);
        let mut reply = Reply::new(&mut scratch, proto);
        match ops::lookup(h.kind) {
            _ if db != self.ks.selected() => reply.error("ERR DB index is out of range"),
            Some(op) if in_tx => {
                let id = Cmd::ALL[h.kind as usize];
                self.serve_in_tx(h.origin, id, op, &args, &mut reply);
            }
            Some(Op::Script(cmd)) => {
                self.serve_script(cmd, &args, h.origin, None, &mut reply);
                if std::mem::take(&mut self.script_fence) {
                    // It strayed: its client's later requests wait for
                    // it to run again (`crate::xtx::fence`).
                    self.xtx.fences.raise(owner, h.origin);
                }
                if let Some(key) = self.script_blocked.take() {
                    // It waits for `key`; nothing of the run is answered.
                    self.park_script(&args, &key, h.origin, owner, rec);
                    scratch.clear();
                    self.scratch = scratch;
                    return Ok(true);
                }
            }
            Some(Op::Tx(TxCmd::Tx)) => self.serve_tx(&args, h.origin, &mut reply),
            Some(Op::Tx(TxCmd::Watch)) => self.serve_watch(&args, owner, &mut reply),
            Some(Op::Tx(TxCmd::Unwatch)) => self.serve_unwatch(&args, &mut reply),
            Some(Op::Tx(TxCmd::Sort)) => self.serve_sort(None, &args, &mut reply),
            Some(Op::Tx(TxCmd::Unfence)) => self.serve_unfence(&args, owner, &mut reply),
            Some(Op::Tx(step)) => self.serve_xtx(step, &args, owner, &mut reply),
            Some(Op::Block(BlockCmd::Wait)) => {
                let block = h.flags & REQ_FLAG_BLOCK != 0;
                if self.serve_bwait(&args, owner, h.id, block, &mut reply) {
                    // Answered when a key is ready or the wait ends.
                    scratch.clear();
                    self.scratch = scratch;
                    return Ok(true);
                }
            }
            Some(Op::Slots(cmd)) => self.serve_slots(cmd, &args, &mut reply),
            Some(Op::Subs) => match self.subs.apply(owner, args.get(1..).unwrap_or_default()) {
                Ok(()) => {
                    if self.subs.tracks_prefixes() {
                        self.note_expiry_for_tracking();
                    }
                    reply.ok()
                }
                Err(e) => reply.error(e),
            },
            Some(Op::Track) => self.serve_track(&args, &mut reply),
            Some(Op::Block(BlockCmd::Unblock)) => self.serve_unblock(&args, owner, &mut reply),
            Some(Op::Block(BlockCmd::Events)) => {
                if self.serve_events(owner, h.id, proto, &mut reply) {
                    // Answered when events no request caused come.
                    scratch.clear();
                    self.scratch = scratch;
                    return Ok(true);
                }
            }
            Some(_) if self.sent_again(&h) => {
                // A blocked request sent again after a restart: what it
                // popped then, not a second pop.
                if let Some(r) = self.ks.popped_reply(h.origin) {
                    reply.raw(r);
                }
            }
            Some(op) => {
                let id = Cmd::ALL[h.kind as usize];
                let block = h.flags & REQ_FLAG_BLOCK != 0;
                if block && !self.blocking.is_empty() && self.waits_for_reservation(&h, id, &args) {
                    self.ks.take_block_as();
                    self.park_blocked(rec, owner, &h, id, &args);
                    scratch.clear();
                    self.scratch = scratch;
                    return Ok(true);
                }
                if block {
                    self.ks.take_would_block();
                    self.ks.take_block_as();
                }
                self.ks.set_rerun(block && self.blocking.serving.is_some());
                let changes = self.execute(id, op, &args, &mut reply);
                self.ks.set_rerun(false);
                if block
                    && self.ks.take_would_block()
                    && h.flags & common::wire::REQ_FLAG_NOPARK == 0
                {
                    // Nothing to pop: the request waits (or, run again
                    // for a ready key, keeps its place).
                    if self.blocking.serving.is_none() {
                        self.park_blocked(rec, owner, &h, id, &args);
                    }
                    scratch.clear();
                    self.scratch = scratch;
                    return Ok(true);
                }
                if block {
                    self.blocking.served();
                }
                if h.flags & REQ_FLAG_WRITE != 0 && changes.any() {
                    let body = &scratch[msg::REPLY_HEADER_BYTES..];
                    self.written(id, &args, body, changes);
                    if block {
                        self.remember_pop(h.origin, body);
                    }
                }
            }
            None => {
                reply.error("ERR unknown command id (proxy and shard built from different tables?)")
            }
        }
        let body_end = scratch.len();
        if h.flags & common::wire::REQ_FLAG_QUIET != 0
            && (self.notes.flags != 0 || self.tracking.noting_expiry)
        {
            // A step of the proxy's machinery: no events of its own (the
            // invalidations of what it changed still go).
            self.notify_noted();
            self.notes.blob.clear();
        }
        if self.attach_events(&mut scratch) && scratch.len() > tx.max_record() {
            // Too many events to carry: the reply goes without them.
            tracing::warn!("dropped keyspace events too large for one record");
            scratch.truncate(body_end);
            msg::write_reply_header(&mut scratch, h.id, 0);
        }
        if scratch.len() > tx.max_record() {
            scratch.truncate(msg::REPLY_HEADER_BYTES);
            Reply::new(&mut scratch, proto).error("ERR reply exceeds the maximum record size");
        }
        let sent_now = tx.push_or_defer(&scratch)?;
        let body = &scratch[msg::REPLY_HEADER_BYTES..body_end.min(scratch.len())];
        self.stats
            .end(Cmd::from_u16(h.kind), h.flags, &args, h.origin, body);
        if scratch.capacity() > 1 << 20 {
            scratch = Vec::with_capacity(64 << 10);
        }
        self.scratch = scratch;
        Ok(sent_now)
    }

    /// Runs `op` (not a transaction command) with `args`. Returns what it
    /// changed.
    pub(crate) fn execute(
        &mut self,
        id: Cmd,
        op: Op,
        args: &[&[u8]],
        reply: &mut Reply,
    ) -> Changes {
        self.before_command(id, args);
        if self.notes.flags != 0 {
            self.notify_before(id, args);
        }
        // A log form a command set but did not get logged (it changed
        // nothing after all) must not stand for the next one.
        self.ks.take_log_as();
        self.ks.clear_unchanged();
        self.ks.take_written_elsewhere();
        self.ks.set_touching(touches_keys(id));
        if self.ks.over_limit() && !self.make_room(id, reply) {
            return Changes::NONE;
        }
        if matches!(id, Cmd::Sort | Cmd::SortRo) && !self.sort_may_run(args, reply) {
            return Changes::NONE;
        }
        if matches!(op, Op::Introspect(_)) {
            self.stats.xtx = self.xtx.gauges();
            self.stats.lua_bytes = self.scripts.as_ref().map_or(0, |s| s.used_memory());
            self.stats.functions = self.function_figures();
            self.stats.functions_vm_bytes = self.fscripts.as_ref().map_or(0, |s| s.used_memory());
            self.stats.tracking = (self.tracking.keys(), self.tracking.items());
        }
        let start = reply.buffer().len();
        // A STORE command whose result is empty changes its destination
        // only if there was one to delete (Redis signals nothing else).
        let store_dest = crate::commands::store_destination(id, args)
            .and_then(|i| args.get(i))
            .map(|k| self.ks.exists(k));
        let changes = run_op(
            op,
            &mut self.ks,
            self.log.data_dir(),
            &mut self.stats,
            args,
            reply,
        );
        if self.tracking.reader != 0 {
            self.remember_reads(id, args);
        }
        if matches!(op, Op::Admin(_)) {
            // SAVE, BGSAVE, BGREWRITEAOF... may have cut a generation.
            self.after_cut();
        }
        let out = &reply.buffer()[start..];
        if changes == Changes::ONE
            && (crate::commands::changed_nothing(id, out)
                || (store_dest == Some(false) && out == b":0\r\n"))
        {
            return Changes::NONE;
        }
        changes
    }

    /// Over `maxmemory`: evicts as the policy says (each key evicted is
    /// logged as a DEL, touches WATCH and the blocked clients, and makes
    /// an `evicted` event). False, with `-OOM` replied, when command `id`
    /// may use memory and nothing more could go.
    #[cold]
    fn make_room(&mut self, id: Cmd, reply: &mut Reply) -> bool {
        let full = self.evict_now();
        if full && id.spec().has_flag(common::table::flags::F_DENYOOM) {
            reply.error("OOM command not allowed when used memory > 'maxmemory'.");
            self.stats.reject_next = true;
            return false;
        }
        true
    }

    /// Reads the time, the settings and the memory in use for this round
    /// (`Keyspace::tick`), and evicts at once if over the limit (a lowered
    /// `maxmemory` takes effect without waiting for a command).
    pub fn tick(&mut self) {
        // Nothing from here on is a client's doing.
        self.tracking.reader = 0;
        self.tracking.by = 0;
        if self.tracking.max_keys > 0 && !self.tracking.is_empty() {
            let total = self.tracking.max_keys;
            let set = self.owned.get();
            // The set's address and size: a new set (a slot move) is seen.
            let at = set.map_or(0, |s| {
                (std::rc::Rc::as_ptr(s) as usize) ^ s.len().rotate_left(40)
            });
            let limit = match self.tracking.share_for {
                Some((t, a, limit)) if t == total && a == at => limit,
                _ => {
                    let limit = set.map_or(total, |s| crate::tracking::share(total, &s.ranges()));
                    self.tracking.share_for = Some((total, at, limit));
                    limit
                }
            };
            self.tracking.bound(limit);
        }
        self.ks
            .tick(|| common::alloc::jemalloc_stats().map(|(allocated, _)| allocated));
        if self.ks.over_limit() {
            self.evict_now();
        } else {
            self.stats.eviction_exceeded.ended();
        }
    }

    /// Whether the shard is past `maxmemory` with nothing more to evict.
    pub(crate) fn out_of_memory(&mut self) -> bool {
        self.ks.over_limit() && self.evict_now()
    }

    /// Evicts down to the limit; true if still over (nothing more could
    /// go).
    fn evict_now(&mut self) -> bool {
        let xtx = &self.xtx;
        // A key a transaction over several shards holds is not evicted
        // under it.
        let result = self.ks.evict(|k| !xtx.holds(k));
        let (gone, full) = match result {
            Ok(gone) => (gone, false),
            Err((gone, _)) => (gone, true),
        };
        if full {
            self.stats.eviction_exceeded.holds();
        } else {
            self.stats.eviction_exceeded.ended();
        }
        let now = self.ks.now_ms();
        let home = self.ks.selected();
        for (db, key) in &gone {
            self.ks.select(*db);
            let del: [&[u8]; 2] = [b"DEL", key];
            self.log.append(*db, &del, b":1\r\n", now, Changes::ONE);
            self.ks.note_event(common::notify::EVICTED, "evicted", key);
            self.touch_watched(Cmd::Del, &del);
        }
        self.ks.select(home);
        full
    }

    /// Makes database `db` the one requests see (the events' channels
    /// follow); out of range, nothing changes.
    #[cold]
    pub(crate) fn select_db(&mut self, db: usize) {
        self.ks.select(db);
        self.notes.db = self.ks.selected();
    }

    /// After write command `id` ran with `args`, replied `reply` and made
    /// `changes` (at least one): logs it and tells the watches.
    fn written(&mut self, id: Cmd, args: &[&[u8]], reply: &[u8], changes: Changes) {
        self.ks.note_growth(args);
        match self.ks.take_log_as() {
            Some(form) => {
                let form: Vec<&[u8]> = form.iter().map(Vec::as_slice).collect();
                self.log
                    .append(self.ks.selected(), &form, reply, self.ks.now_ms(), changes);
            }
            None => self
                .log
                .append(self.ks.selected(), args, reply, self.ks.now_ms(), changes),
        }
        self.notify_after(id, args);
        self.touch_watched(id, args);
    }

    /// Ends a round: makes its writes durable as the fsync policy asks,
    /// then publishes each of `channels`' reply rings once, so no reply
    /// leaves before its write is durable. On `Err` nothing is published.
    pub fn finish_round<'c>(
        &mut self,
        channels: impl IntoIterator<Item = &'c mut Channel>,
    ) -> std::io::Result<()> {
        self.log.commit()?;
        for ch in channels {
            ch.tx.publish();
        }
        Ok(())
    }

    /// Reaps a finished snapshot child (never blocks) and starts a save
    /// that was scheduled behind it.
    fn tend_child(&mut self) {
        let Some(d) = self.log.data_dir() else {
            return;
        };
        if d.poll_child() {
            if let Some(kind) = d.scheduled() {
                if let Err(e) = d.start_child(&self.ks, kind) {
                    tracing::error!("scheduled {kind:?} failed to start: {e}");
                }
            }
        }
    }

    /// Starts what the settings in force ask for on their own: a snapshot
    /// when a `save` point is due, else a rewrite of the log once it grew
    /// past `auto-aof-rewrite-min-size` and `auto-aof-rewrite-percentage`
    /// (see [`DataDir::wants_save`], [`DataDir::wants_auto_rewrite`]);
    /// true if one started.
    fn maybe_auto_save(&mut self) -> bool {
        let Some(d) = self.log.data_dir() else {
            return false;
        };
        let (save_due, rewrite_due) = crate::settings::with(|s| {
            (
                d.wants_save(&s.save),
                d.wants_auto_rewrite(s.auto_aof_rewrite_min_size, s.auto_aof_rewrite_percentage),
            )
        });
        let (kind, why) = match (save_due, rewrite_due && d.has_aof()) {
            (true, _) => (ChildKind::BgSave, "a save point is due: saving"),
            (false, true) => (
                ChildKind::Rewrite,
                "the log grew past its bound: rewriting it",
            ),
            (false, false) => return false,
        };
        let size = d.aof_size();
        match d.start_child(&self.ks, kind) {
            Ok(()) => {
                tracing::info!(log_bytes = size, "{why}");
                true
            }
            Err(e) => {
                tracing::error!("automatic {kind:?} failed to start: {e}");
                false
            }
        }
    }

    /// Whether a snapshot child runs.
    fn has_child(&mut self) -> bool {
        self.log.data_dir().is_some_and(|d| d.child().is_some())
    }
}

/// Runs `op` with `args` (name first): a keyspace command, one of the
/// data directory's, or a measurement (which change no data). Returns the
/// changes it made.
pub fn run_op(
    op: Op,
    ks: &mut Keyspace,
    dir: Option<&mut DataDir>,
    stats: &mut Stats,
    args: &[&[u8]],
    reply: &mut Reply,
) -> Changes {
    match op {
        Op::Data(h) => h.run(ks, args, reply),
        Op::Admin(cmd) => {
            admin::run(cmd, ks, dir, args, reply);
            Changes::NONE
        }
        Op::Introspect(cmd) => {
            let parts = Parts {
                ks,
                dir: dir.map(|d| &*d),
                stats,
            };
            introspect::run(cmd, parts, args, reply);
            Changes::NONE
        }
        // The loop runs transactions, scripts and waits itself.
        Op::Tx(_) | Op::Script(_) | Op::Block(_) | Op::Slots(_) | Op::Subs | Op::Track => {
            reply.error("ERR a transaction command cannot run here");
            Changes::NONE
        }
    }
}

/// Why the shard stopped.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// The rings or the control socket failed.
    #[error(transparent)]
    Ring(#[from] RingError),
    /// Writing the log failed: the shard stops rather than acknowledge
    /// writes that are not durable (the supervisor restarts it from disk).
    #[error("append-only log: {0}")]
    Log(#[from] std::io::Error),
}

/// The shard: its keyspace and its attached workers.
pub struct Shard<L = Option<DataDir>> {
    cfg: ShardConfig,
    engine: Engine<L>,
    bell: Doorbell,
    listener: ControlListener,
    channels: Vec<Channel>,
    hello: Hello,
}

impl<L: WriteLog> Shard<L> {
    /// Binds the control socket and serves `engine`.
    pub fn new(cfg: ShardConfig, engine: Engine<L>) -> Result<Shard<L>, RingError> {
        let listener = ControlListener::bind(&cfg.control_socket)?;
        let hello = Hello {
            generation: std::process::id() as u64 ^ engine.ks.now_ms().rotate_left(20),
            id: cfg.id,
            max_record: cfg.max_record_bytes as u64,
            info: hello_info(cfg.id, &engine.owned),
        };
        Ok(Shard {
            cfg,
            engine,
            bell: Doorbell::new()?,
            listener,
            channels: Vec::new(),
            hello,
        })
    }

    /// The keyspace (for tests and stats).
    pub fn keyspace(&mut self) -> &mut Keyspace {
        &mut self.engine.ks
    }

    /// Number of attached proxy workers.
    pub fn attached(&self) -> usize {
        self.channels.len()
    }

    /// Runs until `stop` is set; on the way out the log is synced.
    pub fn run(&mut self, stop: &AtomicBool) -> Result<(), ShardError> {
        let mut idle_rounds = 0u32;
        let mut next_expire = Instant::now();
        let mut next_child_poll = Instant::now();
        let mut next_auto_rewrite = Instant::now();
        // Whether a round moved records since the last once-a-second look.
        let mut busy_this_second = false;
        while !stop.load(Ordering::Relaxed) {
            let worked = self.round()?;
            busy_this_second |= worked;
            // The clock is read after work and every 32nd idle round: a
            // spinning shard need not ask the time 200 times per park.
            if worked || idle_rounds.is_multiple_of(32) {
                self.engine.tick();
                let now = Instant::now();
                if now >= next_expire {
                    self.engine.ks.active_expire_all(EXPIRE_BUDGET_KEYS);
                    self.engine.stats.expire_cycle_us += now.elapsed().as_micros() as u64;
                    self.engine
                        .ks
                        .defrag_step(crate::settings::defrag(), common::alloc::allocator_figures);
                    if self.engine.notes.flags != 0 || self.engine.tracking.noting_expiry {
                        self.engine.background_events(&mut self.channels);
                    }
                    next_expire = now + Duration::from_millis(EXPIRE_INTERVAL_MS);
                    // Save points and the log's growth are checked once a second.
                    if now >= next_auto_rewrite {
                        next_auto_rewrite = now + Duration::from_secs(1);
                        // A second with no request: reply rings a burst
                        // filled give their pages back.
                        if !std::mem::take(&mut busy_this_second) {
                            for ch in &mut self.channels {
                                ch.tx.release_idle();
                            }
                        }
                        if self.engine.maybe_auto_save() {
                            next_child_poll = now;
                        }
                        self.engine.after_cut();
                    }
                }
                if self.engine.has_child() && now >= next_child_poll {
                    self.engine.tend_child();
                    self.engine.after_cut();
                    next_child_poll = now + Duration::from_millis(CHILD_POLL_INTERVAL_MS);
                }
            }
            if worked {
                idle_rounds = 0;
                continue;
            }
            idle_rounds += 1;
            if idle_rounds < self.cfg.spin_rounds {
                std::hint::spin_loop();
                continue;
            }
            idle_rounds = 0;
            let mut wake = next_expire;
            if self.engine.has_child() {
                wake = wake.min(next_child_poll);
            }
            self.park(wake.saturating_duration_since(Instant::now()))?;
        }
        if let Some(d) = self.engine.log.data_dir() {
            d.sync_now()?;
        }
        Ok(())
    }

    /// One pass over every channel: execute what waits, make the writes
    /// durable (per the fsync policy), then publish every reply ring once.
    /// True if any record moved.
    pub fn round(&mut self) -> Result<bool, ShardError> {
        let mut worked = false;
        self.engine.refresh_notify();
        let mut dead = Vec::new();
        for i in 0..self.channels.len() {
            loop {
                match serve_channel(&mut self.channels[i], &mut self.engine, usize::MAX) {
                    Ok(n) => worked |= n > 0,
                    Err(e) => {
                        tracing::warn!(shard = self.cfg.id, "dropping a worker's rings: {e}");
                        dead.push(i);
                        break;
                    }
                }
                // A key became ready: its waiters go before the channel's
                // next command, as Redis serves them after the command.
                if !self.engine.blocking.take_fresh() {
                    break;
                }
                self.engine.serve_blocked(&mut self.channels);
            }
        }
        if self.engine.xtx.wants_retry() {
            self.engine.retry_parked(&mut self.channels);
            worked = true;
        }
        self.engine.blocking.expire_reservations();
        if self.engine.blocking.has_work() {
            self.engine.serve_blocked(&mut self.channels);
        }
        self.engine.finish_round(&mut self.channels)?;
        let changed = !dead.is_empty();
        for i in dead.into_iter().rev() {
            let ch = self.channels.swap_remove(i);
            self.engine.watches.drop_owner(ch.peer.generation);
            self.engine.owner_gone(ch.peer.generation);
        }
        if changed {
            self.links_changed();
        }
        Ok(worked)
    }
    /// Parks until a record, an attach, a hang-up or `timeout`.
    fn park(&mut self, timeout: Duration) -> Result<(), RingError> {
        let mut sleep = true;
        for ch in &mut self.channels {
            if ch.tx.has_pending() {
                sleep &= ch.tx.prepare_wait(ch.tx.pending_need() * 2)?;
            } else {
                sleep &= ch.rx.prepare_park();
            }
        }
        if sleep {
            let mut fds = Vec::with_capacity(1 + self.channels.len());
            fds.push(self.listener.fd());
            fds.extend(self.channels.iter().map(|c| c.control_fd()));
            let ready = self.bell.wait(&fds, Some(timeout))?;
            drop(fds);
            if ready.contains(&0) {
                self.accept_all();
            }
            if ready.iter().any(|&i| i > 0) {
                self.drop_dead();
            }
        }
        for ch in &self.channels {
            ch.rx.finish_park();
            ch.tx.finish_wait();
        }
        Ok(())
    }

    /// Accepts every waiting attach; a bad one is logged and dropped.
    pub fn accept_all(&mut self) {
        // The slots it tells may have changed since the last attach.
        self.hello.info = hello_info(self.cfg.id, &self.engine.owned);
        loop {
            match self.listener.accept(&self.hello, &self.bell) {
                Ok(Some(ch)) => {
                    tracing::info!(shard = self.cfg.id, worker = ch.peer.id, "worker attached");
                    self.channels.push(ch);
                    self.links_changed();
                }
                Ok(None) => return,
                Err(e) => tracing::warn!(shard = self.cfg.id, "refused an attach: {e}"),
            }
        }
    }

    /// The attached workers changed: the script watch reads and writes
    /// their segments' user words.
    fn links_changed(&mut self) {
        self.engine.script_watch.set_links(
            self.channels
                .iter()
                .map(|c| (c.rx.segment().clone(), c.tx.segment().clone())),
        );
    }

    fn drop_dead(&mut self) {
        let mut gone = Vec::new();
        self.channels.retain(|ch| {
            let alive = ch.peer_alive();
            if !alive {
                tracing::info!(worker = ch.peer.id, "worker detached");
                gone.push(ch.peer.generation);
            }
            alive
        });
        let changed = !gone.is_empty();
        for owner in gone {
            // Its clients' watches, waiting requests and unprepared
            // transactions die with it.
            self.engine.watches.drop_owner(owner);
            self.engine.owner_gone(owner);
        }
        if changed {
            self.links_changed();
        }
    }
}

/// Serves one channel: pushes a deferred reply first, then executes
/// waiting requests until the reply ring is full or `max_requests` ran.
/// Returns requests served. The caller commits the engine and then
/// publishes the reply ring (see [`Shard::round`]); the simulation calls
/// it with a small bound to interleave shards and proxy.
pub fn serve_channel<L: WriteLog>(
    ch: &mut Channel,
    engine: &mut Engine<L>,
    max_requests: usize,
) -> Result<usize, RingError> {
    if !ch.tx.pump()? {
        return Ok(0);
    }
    let owner = ch.peer.generation;
    let Channel { tx, rx, .. } = ch;
    let mut err = None;
    let mut served = 0usize;
    engine.stats.new_batch();
    rx.poll(|rec| {
        served += 1;
        match engine.serve_request(rec, tx, owner) {
            Ok(more) => more && served < max_requests && !engine.blocking.is_fresh(),
            Err(e) => {
                err = Some(e);
                false
            }
        }
    })?;
    match err {
        Some(e) => Err(e),
        None => Ok(served),
    }
}

/// A shard's hello `info`: its id, its command table and its slots.
fn hello_info(id: u32, owned: &crate::slots::Owned) -> Vec<u8> {
    format!(
        "shardd id={id} {} {}",
        common::wire::table_tag(),
        owned.hello_word()
    )
    .into_bytes()
}

/// Whether command `id`'s lookups count as accesses of the keys (their
/// clocks move): not for EXISTS, TYPE, the TTL family, OBJECT and MEMORY
/// USAGE, nor the proxy's own reads of keys it moves (Redis's
/// `LOOKUP_NOTOUCH`). TOUCH, which counts keys as EXISTS does, touches.
fn touches_keys(id: Cmd) -> bool {
    !matches!(
        id,
        Cmd::Exists
            | Cmd::Type
            | Cmd::Ttl
            | Cmd::Pttl
            | Cmd::Expiretime
            | Cmd::Pexpiretime
            | Cmd::ObjectEncoding
            | Cmd::ObjectFreq
            | Cmd::ObjectIdletime
            | Cmd::ObjectRefcount
            | Cmd::MemoryUsage
            | Cmd::SharddDump
    )
}

#[cfg(test)]
mod tests;
