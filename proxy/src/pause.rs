//! What the scaling machinery shares with every worker
//! (`crate::migrate` runs it; `MIGRATION.md`):
//!
//! - [`Pause`]: holds new client commands for the few milliseconds a
//!   batch of slots moves, and waits until every worker has nothing of a
//!   client command in progress or in flight (blocked clients aside, whose
//!   shard answers them [`common::wire::SLOT_MOVED`] when their slot
//!   leaves).
//! - [`Scale`]: the scale asked for (`SHARDIS SCALE`), its figures, and
//!   how many links each worker keeps.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use tokio::sync::{watch, Notify};

/// Slots moved per batch unless `SHARDIS SCALE ... BATCH n` says.
pub const DEFAULT_BATCH_SLOTS: usize = 64;
/// How long a pause waits for the workers to settle before it gives up
/// the batch (clients wait that long at most; a long script or `DEBUG
/// SLEEP` in progress makes the mover back off and try again).
pub const PAUSE_SETTLE_MS: u64 = 500;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Holds client commands while slots move (see the module docs).
pub struct Pause {
    /// The pause in force (0: none): new client commands wait while it is
    /// not 0.
    current: AtomicU64,
    next: AtomicU64,
    epoch: watch::Sender<u64>,
    /// `(epoch, workers settled in it)`.
    settled: Mutex<(u64, usize)>,
    resumed: Notify,
}

impl Default for Pause {
    fn default() -> Self {
        Pause {
            current: AtomicU64::new(0),
            next: AtomicU64::new(1),
            epoch: watch::channel(0).0,
            settled: Mutex::new((0, 0)),
            resumed: Notify::new(),
        }
    }
}

impl Pause {
    /// Whether new client commands wait.
    #[inline]
    pub fn is_paused(&self) -> bool {
        self.current.load(Ordering::SeqCst) != 0
    }

    /// Resolves once the pause in force now has ended. A command that
    /// waited goes on even if the next batch's pause already began (that
    /// pause then waits for it): no command waits for more than one batch,
    /// however close the batches follow each other.
    pub async fn resumed(&self) {
        let held = self.current.load(Ordering::SeqCst);
        loop {
            let n = self.resumed.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            let now = self.current.load(Ordering::SeqCst);
            if now == 0 || now != held {
                return;
            }
            // Bounded: a missed wake-up costs a few milliseconds at most.
            let _ = tokio::time::timeout(Duration::from_millis(5), n).await;
        }
    }

    /// The pause now (0: none), as workers follow it.
    pub fn watch(&self) -> watch::Receiver<u64> {
        self.epoch.subscribe()
    }

    /// The pause now (0: none).
    pub fn epoch(&self) -> u64 {
        *self.epoch.borrow()
    }

    /// A worker has nothing in progress in pause `epoch`.
    pub fn drained(&self, epoch: u64) {
        let mut s = lock(&self.settled);
        if s.0 == epoch {
            s.1 += 1;
        }
    }

    /// Holds new client commands and waits until `workers` workers have
    /// nothing in progress; `None` (and no pause) if they do not within
    /// [`PAUSE_SETTLE_MS`].
    pub async fn hold(&self, workers: usize) -> Option<Held<'_>> {
        let epoch = self.next.fetch_add(1, Ordering::Relaxed);
        *lock(&self.settled) = (epoch, 0);
        self.current.store(epoch, Ordering::SeqCst);
        self.epoch.send_replace(epoch);
        let held = Held(self);
        let deadline = Instant::now() + Duration::from_millis(PAUSE_SETTLE_MS);
        loop {
            if lock(&self.settled).1 >= workers {
                return Some(held);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    fn release(&self) {
        self.epoch.send_replace(0);
        self.current.store(0, Ordering::SeqCst);
        self.resumed.notify_waiters();
    }
}

/// A pause in force; dropping it lets the commands go.
pub struct Held<'a>(&'a Pause);

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// The scale asked for and how far it got.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    /// The shard count asked for, while a scale runs.
    pub target: Option<usize>,
    /// Slots per batch.
    pub batch_slots: usize,
    /// Pause between batches, in ms.
    pub delay_ms: u64,
    /// Slots that had to move when the scale (or its last resume) began.
    pub slots_total: usize,
    /// Slots moved since.
    pub slots_moved: usize,
    /// Keys moved since.
    pub keys_moved: u64,
    /// When it began.
    pub started: Option<Instant>,
    /// What it does now.
    pub doing: String,
    /// The last error (the mover tries again).
    pub last_error: Option<String>,
    /// How the last scale ended.
    pub last_outcome: Option<String>,
    /// Moves committed and batches given up, over the proxy's life.
    pub moves_done: u64,
    /// Batches given up (the workers did not settle, a shard failed).
    pub moves_failed: u64,
}

/// The scale in progress (see the module docs).
pub struct Scale {
    progress: Mutex<Progress>,
    wake: Notify,
    links: watch::Sender<usize>,
}

impl Default for Scale {
    fn default() -> Self {
        Scale {
            progress: Mutex::new(Progress::default()),
            wake: Notify::new(),
            links: watch::channel(0).0,
        }
    }
}

impl Scale {
    /// How many links each worker keeps (a new shard gets its links
    /// before it counts).
    pub fn links_wanted(&self) -> watch::Receiver<usize> {
        self.links.subscribe()
    }

    /// Resolves when a scale is asked for (or at once if one was since the
    /// last call).
    pub async fn asked(&self) {
        self.wake.notified().await
    }

    /// Every worker keeps links 0..n.
    pub fn want_links(&self, n: usize) {
        self.links.send_replace(n);
    }

    /// A copy of the figures.
    pub fn progress(&self) -> Progress {
        lock(&self.progress).clone()
    }

    /// Asks for `target` shards, with `batch` slots per batch and
    /// `delay_ms` between batches (`None`: as the scale to the same count
    /// in progress has them, else the defaults); `Err` says why not.
    pub fn ask(
        &self,
        target: usize,
        batch: Option<usize>,
        delay_ms: Option<u64>,
    ) -> Result<(), String> {
        let mut p = lock(&self.progress);
        if let Some(t) = p.target.filter(|&t| t != target) {
            return Err(format!(
                "a scale to {t} shards is in progress (SHARDIS SCALE ABORT stops it)"
            ));
        }
        if p.target.is_none() {
            p.started = Some(Instant::now());
            p.slots_moved = 0;
            p.keys_moved = 0;
            p.slots_total = 0;
            p.last_error = None;
        }
        let same = p.target == Some(target);
        p.batch_slots = batch.unwrap_or(match same {
            true => p.batch_slots,
            false => DEFAULT_BATCH_SLOTS,
        });
        p.delay_ms = delay_ms.unwrap_or(if same { p.delay_ms } else { 0 });
        p.target = Some(target);
        drop(p);
        self.wake.notify_one();
        Ok(())
    }

    /// Stops the scale after the batch in progress.
    pub fn abort(&self) -> bool {
        let mut p = lock(&self.progress);
        let was = p.target.take();
        if let Some(t) = was {
            p.last_outcome = Some(format!("scale to {t} shards aborted"));
            p.doing.clear();
        }
        was.is_some()
    }

    /// Changes the figures.
    pub fn update(&self, f: impl FnOnce(&mut Progress)) {
        f(&mut lock(&self.progress));
    }
}

impl Scale {
    /// A batch of `slots` slots and `keys` keys moved; the delay before
    /// the next.
    pub fn batch_done(&self, slots: usize, keys: u64) -> u64 {
        let mut p = lock(&self.progress);
        p.slots_moved += slots;
        p.keys_moved += keys;
        p.moves_done += 1;
        p.delay_ms
    }
}
