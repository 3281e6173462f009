//! Scaling: adding and removing shard processes while clients keep
//! working, and moving slots between them (`MIGRATION.md` is the protocol
//! and its invariants).
//!
//! - The pause and the scale's figures are in [`crate::pause`] (every
//!   worker follows them).
//! - [`run`]: the mover, one task on worker 0. It settles a move a crash
//!   interrupted, then walks the shard count to the target: a new shard
//!   first (started, attached by every worker, given the function
//!   libraries), then batches of slots from the fullest shards to the
//!   emptiest, then the emptied shards are stopped, highest id first.

use std::{
    rc::Rc,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use common::{slot::SLOT_COUNT, slotset::SlotSet};

use crate::{pause::Held, worker::Worker, xtx};

mod protocol;

pub use protocol::{move_batch, settle, Cluster};

/// The most shards one proxy runs (each is a process with a ring pair per
/// worker).
pub const MAX_SHARDS: usize = 256;
/// First wait before trying a failed step again; doubles up to
/// [`RETRY_MAX_MS`] while steps keep failing.
pub const RETRY_MIN_MS: u64 = 200;
/// Longest wait between two tries of a failing step.
pub const RETRY_MAX_MS: u64 = 5_000;
/// How long a new shard may take to be attached by every worker.
pub const ATTACH_WAIT_MS: u64 = 20_000;

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
    shared.scale.want_links(shared.shard_count());
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
            let _ = tokio::time::timeout(Duration::from_secs(1), shared.scale.asked()).await;
            if shared.scale.progress().target.is_none() {
                colocate(&w).await;
            }
            continue;
        };
        match step(&w, target).await {
            Ok(true) => shared.scale.update(|p| {
                // The scale spread the slots anew: groups form again from
                // there, none held where it was.
                shared.colocate.unpin_all();
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

/// Once a second with no scale running: decays the co-location's figures
/// and moves the first batch of its plan, if any (`crate::colocate`).
async fn colocate(w: &Rc<Worker>) {
    let shared = &w.shared;
    if !shared.colocate.enabled() {
        return;
    }
    let now = Instant::now();
    shared.colocate.decay(now);
    let map = shared.slots.snapshot();
    if map.moving.is_some() {
        return;
    }
    let Some(batch) = shared.colocate.plan(&map.owners, now) else {
        return;
    };
    let slots = crate::colocate::slot_set(&batch);
    match move_batch(w, batch.from, batch.to, &slots).await {
        Ok(keys) => {
            tracing::info!(
                from = batch.from,
                to = batch.to,
                slots = %slots.to_ranges(),
                keys,
                "co-located slots that kept needing each other"
            );
            shared.colocate.moved(&batch, keys, Instant::now());
        }
        Err(e) => {
            tracing::warn!("co-location of slots {}: {e}", slots.to_ranges());
            shared.colocate.not_moved(&batch, Instant::now());
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
    let delay = shared.scale.batch_done(slots.len(), keys);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    Ok(false)
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
    if let Some(sup) = shared
        .supervisor
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
        sup.add(id, "-")
            .map_err(|e| format!("cannot start shard {id}: {e}"))?;
    }
    shared.scale.want_links(id + 1);
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
    if !crate::script::copy_libraries(w, &[id]).await {
        return Err(format!("could not give shard {id} the function libraries"));
    }
    shared
        .slots
        .change(|d| d.shards = id + 1)
        .map_err(|e| format!("cannot write the slot map: {e}"))?;
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
    shared.scale.want_links(id);
    if let Some(sup) = shared
        .supervisor
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
    {
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
