//! Scaling: adding and removing shard processes while clients keep
//! working, and moving slots between them (`MIGRATION.md` is the protocol
//! and its invariants).
//!
//! - [`Pause`]: holds new client commands for the few milliseconds a
//!   batch of slots moves, and waits until every worker has nothing of a
//!   client command in progress or in flight (blocked clients aside, whose
//!   shard answers them [`common::wire::SLOT_MOVED`] when their slot
//!   leaves).
//! - [`Scale`]: the scale asked for (`SHARDIS SCALE`) and its figures.
//! - [`run`]: the mover, one task on worker 0. It settles a move a crash
//!   interrupted, then walks the shard count to the target: a new shard
//!   first (started, attached by every worker, given the function
//!   libraries), then batches of slots from the fullest shards to the
//!   emptiest, then the emptied shards are stopped, highest id first.

use std::{
    rc::Rc,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use common::{slot::SLOT_COUNT, slotset::SlotSet};
use tokio::sync::{watch, Notify};

use crate::{worker::Worker, xtx};

mod protocol;

pub use protocol::{move_batch, settle, Cluster};

/// The most shards one proxy runs (each is a process with a ring pair per
/// worker).
pub const MAX_SHARDS: usize = 256;
/// Slots moved per batch unless `SHARDIS SCALE ... BATCH n` says.
pub const DEFAULT_BATCH_SLOTS: usize = 64;
/// How long a pause waits for the workers to settle before it gives up
/// the batch (clients wait that long at most; a long script or `DEBUG
/// SLEEP` in progress makes the mover back off and try again).
pub const PAUSE_SETTLE_MS: u64 = 500;
/// First wait before trying a failed step again; doubles up to
/// [`RETRY_MAX_MS`] while steps keep failing.
pub const RETRY_MIN_MS: u64 = 200;
/// Longest wait between two tries of a failing step.
pub const RETRY_MAX_MS: u64 = 5_000;
/// How long a new shard may take to be attached by every worker.
pub const ATTACH_WAIT_MS: u64 = 20_000;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Holds client commands while slots move (see the module docs).
pub struct Pause {
    paused: AtomicBool,
    /// The pause in force (0: none); set before `paused`.
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
            paused: AtomicBool::new(false),
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
        self.paused.load(Ordering::SeqCst)
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
            if !self.is_paused() || self.current.load(Ordering::SeqCst) != held {
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
        self.paused.store(true, Ordering::SeqCst);
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
        self.paused.store(false, Ordering::SeqCst);
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

    fn update(&self, f: impl FnOnce(&mut Progress)) {
        f(&mut lock(&self.progress));
    }
}

/// INFO's lines about scaling (in `# Cluster`): the shards, the scale in
/// progress and what it moved.
pub fn info_lines(shared: &crate::state::Shared) -> String {
    let p = shared.scale.progress();
    let moving = shared.slots.snapshot().moving.is_some();
    format!(
        "shards:{}\r\nscale_in_progress:{}\r\nscale_target:{}\r\nscale_slots_moved:{}\r\nscale_keys_moved:{}\r\nslot_move_in_progress:{}\r\nslot_moves_done:{}\r\nslot_moves_failed:{}\r\n",
        shared.shard_count(),
        u8::from(p.target.is_some()),
        p.target.map_or(0, |t| t),
        p.slots_moved,
        p.keys_moved,
        u8::from(moving),
        p.moves_done,
        p.moves_failed,
    )
}

/// The moves that bring `owners` to `target` shards with the fewest
/// slots moved: shard `i < target` ends with `16384 / target` slots (the
/// first `16384 % target` one more), shards from `target` up with none.
/// Each shard over its share gives its highest slots, in ascending slot
/// order, to the shards under theirs, lowest first. `(slot, from, to)`.
pub fn plan(owners: &[u16], shards: usize, target: usize) -> Vec<(u16, usize, usize)> {
    let target = target.max(1);
    let n = shards.max(target);
    let share = |i: usize| match i < target {
        true => SLOT_COUNT / target + usize::from(i < SLOT_COUNT % target),
        false => 0,
    };
    let mut count = vec![0usize; n];
    for &o in owners {
        if let Some(c) = count.get_mut(o as usize) {
            *c += 1;
        }
    }
    // Slots given away, highest first per shard, then sorted.
    let mut leaving: Vec<(u16, usize)> = Vec::new();
    for (i, &c) in count.iter().enumerate() {
        let extra = c.saturating_sub(share(i));
        if extra == 0 {
            continue;
        }
        let mut mine: Vec<u16> = (0..owners.len() as u16)
            .filter(|&s| owners[s as usize] as usize == i)
            .collect();
        mine.reverse();
        leaving.extend(mine.into_iter().take(extra).map(|s| (s, i)));
    }
    leaving.sort_unstable();
    let mut want: Vec<(usize, usize)> = (0..n)
        .filter(|&i| count[i] < share(i))
        .map(|i| (i, share(i) - count[i]))
        .collect();
    let mut out = Vec::with_capacity(leaving.len());
    let mut w = 0;
    for (slot, from) in leaving {
        while w < want.len() && want[w].1 == 0 {
            w += 1;
        }
        let Some(entry) = want.get_mut(w) else {
            break;
        };
        entry.1 -= 1;
        out.push((slot, from, entry.0));
    }
    out
}

/// The next batch of a plan: up to `batch` slots of its first pair.
fn next_batch(plan: &[(u16, usize, usize)], batch: usize) -> Option<(usize, usize, SlotSet)> {
    let &(_, from, to) = plan.first()?;
    let mut slots = SlotSet::default();
    for &(s, f, t) in plan
        .iter()
        .filter(|p| p.1 == from && p.2 == to)
        .take(batch.max(1))
    {
        debug_assert!(f == from && t == to);
        slots.insert(s);
    }
    Some((from, to, slots))
}

/// The mover: settles an interrupted move, then follows the scale asked
/// for (module docs). Runs on worker 0 for the life of the proxy.
pub async fn run(w: Rc<Worker>) {
    let shared = w.shared.clone();
    shared.scale.links.send_replace(shared.shard_count());
    // Every worker up and attached first (bounded): a pause needs them all.
    let want = (shared.cfg.workers * shared.shard_count()) as u64;
    let deadline = Instant::now() + Duration::from_millis(shared.cfg.shard_wait_timeout_ms);
    while shared.attached_links.load(Ordering::Relaxed) < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A scale the last proxy did not finish goes on.
    if let Some(t) = shared.slots.snapshot().target {
        let _ = shared.scale.ask(t, None, None);
    }
    let mut retry = RETRY_MIN_MS;
    loop {
        if let Some(m) = shared.slots.snapshot().moving {
            shared
                .scale
                .update(|p| p.doing = "recovering an interrupted move".into());
            if let Err(e) = settle(&w, &m).await {
                note_error(&w, format!("settling the interrupted move: {e}"));
                tokio::time::sleep(Duration::from_millis(retry)).await;
                retry = (retry * 2).min(RETRY_MAX_MS);
                continue;
            }
        }
        let Some(target) = shared.scale.progress().target else {
            shared.scale.update(|p| p.doing.clear());
            let _ =
                tokio::time::timeout(Duration::from_secs(1), shared.scale.wake.notified()).await;
            continue;
        };
        match step(&w, target).await {
            Ok(true) => shared.scale.update(|p| {
                if let Err(e) = shared.slots.change(|d| d.target = None) {
                    tracing::warn!("cannot write the slot map: {e}");
                }
                if p.target == Some(target) {
                    p.target = None;
                    p.doing.clear();
                    p.last_error = None;
                    p.last_outcome = Some(format!(
                        "scaled to {target} shards: {} slots and {} keys moved in {} ms",
                        p.slots_moved,
                        p.keys_moved,
                        p.started.map_or(0, |s| s.elapsed().as_millis())
                    ));
                }
            }),
            Ok(false) => retry = RETRY_MIN_MS,
            Err(e) => {
                note_error(&w, e);
                tokio::time::sleep(Duration::from_millis(retry)).await;
                retry = (retry * 2).min(RETRY_MAX_MS);
            }
        }
    }
}

fn note_error(w: &Worker, e: String) {
    tracing::warn!("scale: {e}");
    w.shared.scale.update(|p| {
        p.last_error = Some(e);
        p.moves_failed += 1;
    });
}

/// One step toward `target` shards; true when there.
async fn step(w: &Rc<Worker>, target: usize) -> Result<bool, String> {
    let shared = &w.shared;
    let n = shared.shard_count();
    if n < target {
        add_shard(w, n).await?;
        return Ok(false);
    }
    let map = shared.slots.snapshot();
    let plan = plan(&map.owners, n, target);
    let batch = shared.scale.progress().batch_slots.max(1);
    let Some((from, to, slots)) = next_batch(&plan, batch) else {
        if n > target {
            remove_shard(w, n - 1).await?;
            return Ok(false);
        }
        return Ok(true);
    };
    shared.scale.update(|p| {
        p.slots_total = p.slots_total.max(p.slots_moved + plan.len());
        p.doing = format!(
            "moving {} slots from shard {from} to shard {to}",
            slots.len()
        );
    });
    let keys = move_batch(w, from, to, &slots).await?;
    let delay = shared.scale.update_and_get_delay(slots.len(), keys);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    Ok(false)
}

impl Scale {
    fn update_and_get_delay(&self, slots: usize, keys: u64) -> u64 {
        let mut p = lock(&self.progress);
        p.slots_moved += slots;
        p.keys_moved += keys;
        p.moves_done += 1;
        p.delay_ms
    }
}

/// Starts shard `id`, waits until every worker attached it, gives it the
/// function libraries, and counts it.
async fn add_shard(w: &Rc<Worker>, id: usize) -> Result<(), String> {
    let shared = &w.shared;
    if id >= MAX_SHARDS {
        return Err(format!("at most {MAX_SHARDS} shards"));
    }
    shared
        .scale
        .update(|p| p.doing = format!("starting shard {id}"));
    // With --attach the operator (ops/scale) starts it at its place in
    // the data directory; the proxy only attaches.
    if let Some(sup) = lock(&shared.supervisor).as_ref() {
        sup.add(id, "-")
            .map_err(|e| format!("cannot start shard {id}: {e}"))?;
    }
    shared.scale.links.send_replace(id + 1);
    w.grow_links(id + 1);
    let want = (shared.cfg.workers * (id + 1)) as u64;
    let deadline = Instant::now() + Duration::from_millis(ATTACH_WAIT_MS);
    while shared.attached_links.load(Ordering::Relaxed) < want {
        if Instant::now() >= deadline {
            return Err(format!(
                "shard {id} did not attach to every worker (is it running at {}?)",
                shared.socket(id).display()
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // It owns nothing yet: nothing routes to it until its first batch.
    protocol::tell_slots(w, id, &SlotSet::default()).await?;
    if !crate::builtin::function::copy_libraries(w, &[id]).await {
        return Err(format!("could not give shard {id} the function libraries"));
    }
    shared
        .slots
        .change(|d| d.shards = id + 1)
        .map_err(|e| format!("cannot write the slot map: {e}"))?;
    tokio::task::spawn_local(crate::builtin::pubsub::events_poll(w.clone(), id));
    reshare_maxmemory(w).await;
    tracing::info!(shard = id, "shard added");
    Ok(())
}

/// `maxmemory` is the whole server's and each shard gets an equal share
/// of it: a new shard count changes every share.
async fn reshare_maxmemory(w: &Rc<Worker>) {
    let shared = &w.shared;
    let (Some(i), Some(v)) = (
        crate::params::index_of("maxmemory"),
        shared.settings.by_name("maxmemory"),
    ) else {
        return;
    };
    if v == "0" {
        return;
    }
    let n = shared.shard_count();
    let number = shared.settings.store(&[(i, v.clone())]).to_string();
    let share = crate::params::shard_value("maxmemory", &v, n);
    let epoch = shared.epoch.to_string();
    let asks: Vec<(usize, Vec<Vec<u8>>)> = (0..n)
        .map(|s| {
            let args = [
                &b"SHARDD.CONFIG"[..],
                epoch.as_bytes(),
                number.as_bytes(),
                b"maxmemory",
                share.as_bytes(),
            ];
            (s, args.iter().map(|a| a.to_vec()).collect())
        })
        .collect();
    for r in xtx::ask_all(w, common::table::Cmd::SharddConfig, &asks).await {
        if !r.starts_with(b"+OK") {
            tracing::warn!(
                "a shard did not take its maxmemory share: {}",
                String::from_utf8_lossy(&r)
            );
        }
    }
}

/// Stops shard `id` (the last, owning nothing) and stops counting it.
async fn remove_shard(w: &Rc<Worker>, id: usize) -> Result<(), String> {
    let shared = &w.shared;
    if !shared.slots.snapshot().slots_of(id).is_empty() {
        return Err(format!("shard {id} still owns slots"));
    }
    shared
        .scale
        .update(|p| p.doing = format!("stopping shard {id}"));
    {
        // Nothing over every shard may be in flight when it goes.
        let _held = shared
            .pause
            .hold(shared.cfg.workers)
            .await
            .ok_or("the workers did not settle")?;
        shared
            .slots
            .change(|d| d.shards = id)
            .map_err(|e| format!("cannot write the slot map: {e}"))?;
    }
    shared.scale.links.send_replace(id);
    if let Some(sup) = lock(&shared.supervisor).as_ref() {
        sup.remove(id);
    }
    reshare_maxmemory(w).await;
    tracing::info!(shard = id, "shard removed");
    Ok(())
}

/// The world of the real proxy: worker 0's links, the shared map, the
/// pause over every worker.
impl Cluster for Rc<Worker> {
    type Held<'a> = Held<'a>;

    fn slots(&self) -> &crate::slotmap::SlotMap {
        &self.shared.slots
    }

    async fn hold(&self) -> Option<Held<'_>> {
        self.shared.pause.hold(self.shared.cfg.workers).await
    }

    async fn ask(&self, asks: &[xtx::Ask]) -> Vec<Vec<u8>> {
        xtx::ask_mixed(self, asks).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owners(shards: usize) -> Vec<u16> {
        crate::slotmap::MapData::fresh(shards).owners
    }

    fn apply(owners: &mut [u16], plan: &[(u16, usize, usize)]) {
        for &(s, f, t) in plan {
            assert_eq!(owners[s as usize] as usize, f);
            owners[s as usize] = t as u16;
        }
    }

    fn counts(owners: &[u16], n: usize) -> Vec<usize> {
        let mut c = vec![0; n];
        for &o in owners {
            c[o as usize] += 1;
        }
        c
    }

    #[test]
    fn scaling_out_moves_only_what_the_new_shards_need() {
        let mut o = owners(2);
        let p = plan(&o, 4, 4);
        assert_eq!(p.len(), 8192, "half the slots move to the two new shards");
        apply(&mut o, &p);
        assert_eq!(counts(&o, 4), vec![4096; 4]);
        assert!(plan(&o, 4, 4).is_empty());
    }

    #[test]
    fn scaling_in_empties_the_highest_shards() {
        let mut o = owners(4);
        let p = plan(&o, 4, 3);
        apply(&mut o, &p);
        let c = counts(&o, 4);
        assert_eq!(c[3], 0);
        assert_eq!(c.iter().sum::<usize>(), SLOT_COUNT);
        assert!(c[..3].iter().all(|&x| x == 5461 || x == 5462), "{c:?}");
        let p = plan(&o, 4, 1);
        apply(&mut o, &p);
        assert_eq!(counts(&o, 4)[0], SLOT_COUNT);
    }

    #[test]
    fn batches_take_one_pair_at_a_time() {
        let o = owners(1);
        let p = plan(&o, 2, 2);
        let (from, to, slots) = next_batch(&p, 64).expect("a batch");
        assert_eq!((from, to, slots.len()), (0, 1, 64));
    }
}
