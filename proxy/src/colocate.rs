//! Co-location: slots whose keys keep having to be together while they
//! live on different shards are moved to one shard, so that what needed a
//! transaction over several shards with copies of the values runs on one
//! shard, next to the data.
//!
//! The case it is for: a job queue's scripts without a hash tag (BullMQ's
//! default prefix, dramatiq's namespace). Every call reaches the queue's
//! wait list, its events stream, its id counter... spread over the shards
//! by their slots, so every call became a transaction that copied those
//! values to one shard and back, at a cost that grows with the queue.
//! Redis Cluster leaves this to the user (hash tags, or CROSSSLOT); a
//! shardis endpoint is one Redis, so it finds the groups itself.
//!
//! - **What is counted.** Each command that ran over copies
//!   (`crate::xtx::run_with_copies` and its one-trip form: scripts over
//!   several shards, and commands whose keys must be together, such as
//!   RENAME or SUNIONSTORE) notes the slots of its keys, at most
//!   [`NOTE_SLOTS_MAX`] distinct ones (a wider command is no group), with
//!   the bytes it copied. Every pair of those slots gains one use and a
//!   weight of `1 + bytes / 16 KiB` (a copy of 16 KiB costs about what
//!   the transaction's extra round trips do). The table keeps at most
//!   [`PAIRS_MAX`] pairs; each second every figure loses a quarter, and a
//!   full table halves them, so only what keeps coming back stays.
//! - **Which pairs are a group's.** A pair counts once it has at least
//!   [`USES_MIN`] uses, in at least [`TICKS_MIN`] different seconds, and
//!   a weight of at least `colocate-after`, and is
//!   not far weaker than the strongest pair of either of its slots
//!   (`weight * 16 >= strongest`): a queue's wait list and events stream
//!   meet on every call, while each job's own key meets them once, so a
//!   job's slot never drags itself next to the queue's. A slot in more
//!   than [`DEGREE_MAX`] counted pairs (a key every command touches,
//!   beside keys spread everywhere) attracts nothing: moving its partners
//!   would pile the keyspace onto one shard.
//! - **The groups.** The counted pairs join slots into groups, strongest
//!   first, up to [`GROUP_MAX`] slots each. A group on several shards goes
//!   to the shard that owns most of its slots (a tie: the one owning
//!   fewer slots overall), unless one of its slots was moved here less
//!   than [`PIN_SECS`] ago: then to that slot's shard (two such shards:
//!   left alone), so groups never chase each other.
//! - **The move.** The mover (`crate::migrate::run`, on worker 0) asks
//!   for a plan once a second when no scale runs, and moves one batch at
//!   a time with the scaling protocol (`MIGRATION.md`: crash-safe, clients
//!   paused for the batch, nothing lost). A batch that fails pins its
//!   slots for [`PIN_SECS`] too, so a move that cannot happen is not
//!   tried over and over.
//!
//! `colocate-after 0` (a start-up setting) turns it off. A later `SHARDIS
//! SCALE` spreads slots evenly again, moving any of them, and clears the
//! pins; the groups come back together as they are used. What it costs: nothing for a
//! command on one shard; for a command over copies, a lock and up to 120
//! counter updates.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use ahash::AHashMap as HashMap;

use common::{slot::key_slot, slotset::SlotSet};

/// Distinct slots a noted command may have (wider: not noted).
pub const NOTE_SLOTS_MAX: usize = 16;
/// Pairs the table keeps.
pub const PAIRS_MAX: usize = 8192;
/// Uses a pair needs to count.
pub const USES_MIN: u32 = 8;
/// Seconds (planner ticks) a pair must have been used in to count: a
/// burst (pipelined calls racing for the same counter, each naming the
/// others' keys) is no habit.
pub const TICKS_MIN: u16 = 3;
/// Counted pairs a slot may be in and still attract its partners.
pub const DEGREE_MAX: usize = 32;
/// Slots a group may have.
pub const GROUP_MAX: usize = 64;
/// How long a slot moved (or that failed to move) stays where it is.
pub const PIN_SECS: u64 = 600;
/// Bytes copied that weigh as much as one use.
const WEIGHT_BYTES: usize = 16 << 10;

#[derive(Clone, Copy, Debug, Default)]
struct Pair {
    uses: u32,
    weight: u64,
    /// Ticks it was used in, and the last of them.
    ticks: u16,
    last_tick: u32,
}

#[derive(Default)]
struct Table {
    pairs: HashMap<(u16, u16), Pair>,
    /// Planner ticks so far (one a second).
    tick: u32,
    /// Slots moved (or that failed to) and until when they stay.
    pinned: HashMap<u16, Instant>,
}

impl Table {
    fn scale(&mut self, num: u64, den: u64) {
        self.pairs.retain(|_, p| {
            p.uses = (u64::from(p.uses) * num / den) as u32;
            p.weight = p.weight * num / den;
            p.uses > 0
        });
    }
}

/// The co-location's counters and its figures (module docs).
pub struct Colocate {
    /// `colocate-after`: the weight a pair needs; 0: off.
    after: u64,
    table: Mutex<Table>,
    /// Batches moved, slots and keys they moved, batches that failed.
    pub moves: AtomicU64,
    pub slots_moved: AtomicU64,
    pub keys_moved: AtomicU64,
    pub failed: AtomicU64,
}

/// One batch of a plan: `slots` from shard `from` to shard `to`.
#[derive(Debug, PartialEq, Eq)]
pub struct Batch {
    pub from: usize,
    pub to: usize,
    pub slots: Vec<u16>,
}

impl Colocate {
    pub fn new(after: u64) -> Colocate {
        Colocate {
            after,
            table: Mutex::new(Table::default()),
            moves: AtomicU64::new(0),
            slots_moved: AtomicU64::new(0),
            keys_moved: AtomicU64::new(0),
            failed: AtomicU64::new(0),
        }
    }

    /// Whether it runs (`colocate-after` above 0).
    pub fn enabled(&self) -> bool {
        self.after > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a command that ran over copies: its keys, and the bytes of
    /// the copies it took.
    pub fn note<'a>(&self, keys: impl IntoIterator<Item = &'a [u8]>, copied: usize) {
        if !self.enabled() {
            return;
        }
        let mut slots: Vec<u16> = Vec::with_capacity(8);
        for k in keys {
            let s = key_slot(k);
            if !slots.contains(&s) {
                if slots.len() == NOTE_SLOTS_MAX {
                    return;
                }
                slots.push(s);
            }
        }
        if slots.len() < 2 {
            return;
        }
        slots.sort_unstable();
        let weight = 1 + (copied / WEIGHT_BYTES) as u64;
        let mut t = self.lock();
        let tick = t.tick;
        // Room for the note's new pairs: a full table halves once (a
        // table of pairs that all stay after halving drops the new ones).
        if t.pairs.len() + slots.len() * (slots.len() - 1) / 2 > PAIRS_MAX {
            t.scale(1, 2);
        }
        for (i, &a) in slots.iter().enumerate() {
            for &b in &slots[i + 1..] {
                if t.pairs.len() >= PAIRS_MAX && !t.pairs.contains_key(&(a, b)) {
                    continue;
                }
                let p = t.pairs.entry((a, b)).or_default();
                p.uses = p.uses.saturating_add(1);
                p.weight = p.weight.saturating_add(weight);
                if p.ticks == 0 || p.last_tick != tick {
                    p.ticks = p.ticks.saturating_add(1);
                    p.last_tick = tick;
                }
            }
        }
    }

    /// Once a second: every figure loses a quarter, and pins run out.
    pub fn decay(&self, now: Instant) {
        let mut t = self.lock();
        t.tick = t.tick.wrapping_add(1);
        t.scale(3, 4);
        t.pinned.retain(|_, until| *until > now);
    }

    /// The first batch that brings a group together, given the slots'
    /// `owners` (module docs).
    pub fn plan(&self, owners: &[u16], now: Instant) -> Option<Batch> {
        if !self.enabled() {
            return None;
        }
        let t = self.lock();
        let pairs: Vec<((u16, u16), Pair)> = t.pairs.iter().map(|(k, v)| (*k, *v)).collect();
        let pinned = |s: u16| t.pinned.get(&s).is_some_and(|u| *u > now);
        plan(&pairs, owners, self.after, &pinned).into_iter().next()
    }

    /// A batch moved (`keys` keys): its slots stay put for a while.
    pub fn moved(&self, b: &Batch, keys: u64, now: Instant) {
        self.pin(&b.slots, now);
        self.moves.fetch_add(1, Ordering::Relaxed);
        self.slots_moved
            .fetch_add(b.slots.len() as u64, Ordering::Relaxed);
        self.keys_moved.fetch_add(keys, Ordering::Relaxed);
    }

    /// A batch failed: not tried again for a while.
    pub fn not_moved(&self, b: &Batch, now: Instant) {
        self.pin(&b.slots, now);
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// Forgets every pin (a scale moved slots anyway).
    pub fn unpin_all(&self) {
        self.lock().pinned.clear();
    }

    fn pin(&self, slots: &[u16], now: Instant) {
        let until = now + Duration::from_secs(PIN_SECS);
        let mut t = self.lock();
        for &s in slots {
            t.pinned.insert(s, until);
        }
    }

    /// INFO's lines (in `# Cluster`).
    pub fn info_lines(&self) -> String {
        format!(
            "colocate_after:{}\r\ncolocate_moves:{}\r\ncolocate_slots_moved:{}\r\ncolocate_keys_moved:{}\r\ncolocate_moves_failed:{}\r\n",
            self.after,
            self.moves.load(Ordering::Relaxed),
            self.slots_moved.load(Ordering::Relaxed),
            self.keys_moved.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

/// The batches that bring the groups of `pairs` together (module docs),
/// given each slot's owner; `pinned` slots stay where they are.
fn plan(
    pairs: &[((u16, u16), Pair)],
    owners: &[u16],
    after: u64,
    pinned: &dyn Fn(u16) -> bool,
) -> Vec<Batch> {
    let owner = |s: u16| owners.get(s as usize).map(|&o| o as usize);
    // The strongest pair of each slot.
    let mut strongest: HashMap<u16, u64> = HashMap::new();
    for &((a, b), p) in pairs {
        for s in [a, b] {
            let e = strongest.entry(s).or_default();
            *e = (*e).max(p.weight);
        }
    }
    let mut counted: Vec<(u16, u16, u64)> = pairs
        .iter()
        .filter(|(_, p)| p.uses >= USES_MIN && p.ticks >= TICKS_MIN && p.weight >= after)
        .filter(|((a, b), p)| {
            [a, b]
                .iter()
                .all(|s| p.weight.saturating_mul(16) >= strongest.get(s).copied().unwrap_or(0))
        })
        .map(|&((a, b), p)| (a, b, p.weight))
        .collect();
    let mut degree: HashMap<u16, usize> = HashMap::new();
    for &(a, b, _) in &counted {
        *degree.entry(a).or_default() += 1;
        *degree.entry(b).or_default() += 1;
    }
    counted.retain(|(a, b, _)| {
        [a, b]
            .iter()
            .all(|s| degree.get(*s).copied().unwrap_or(0) <= DEGREE_MAX)
    });
    // Strongest first; ties in slot order, so a plan is the same every time.
    counted.sort_unstable_by(|x, y| y.2.cmp(&x.2).then((x.0, x.1).cmp(&(y.0, y.1))));
    let mut groups = Groups::default();
    for &(a, b, _) in &counted {
        groups.join(a, b);
    }
    // Slots owned per shard, for the ties.
    let mut owned: HashMap<usize, usize> = HashMap::new();
    for &o in owners {
        *owned.entry(o as usize).or_default() += 1;
    }
    let mut out = Vec::new();
    for members in groups.all() {
        let mut per_shard: HashMap<usize, usize> = HashMap::new();
        let mut pinned_at: Vec<usize> = Vec::new();
        for &s in &members {
            let Some(o) = owner(s) else { continue };
            *per_shard.entry(o).or_default() += 1;
            if pinned(s) && !pinned_at.contains(&o) {
                pinned_at.push(o);
            }
        }
        if per_shard.len() < 2 || pinned_at.len() > 1 {
            continue;
        }
        let to = match pinned_at.first() {
            Some(&o) => o,
            None => {
                let mut shards: Vec<(usize, usize)> =
                    per_shard.iter().map(|(&s, &n)| (s, n)).collect();
                shards.sort_unstable_by(|x, y| {
                    y.1.cmp(&x.1)
                        .then(owned.get(&x.0).cmp(&owned.get(&y.0)))
                        .then(x.0.cmp(&y.0))
                });
                shards[0].0
            }
        };
        let mut from: Vec<usize> = per_shard.keys().copied().filter(|&s| s != to).collect();
        from.sort_unstable();
        for f in from {
            let slots: Vec<u16> = members
                .iter()
                .copied()
                .filter(|&s| owner(s) == Some(f))
                .collect();
            out.push(Batch { from: f, to, slots });
        }
    }
    out
}

/// Slots joined into groups of at most [`GROUP_MAX`] (union-find).
#[derive(Default)]
struct Groups {
    parent: HashMap<u16, u16>,
    size: HashMap<u16, usize>,
}

impl Groups {
    fn root(&mut self, s: u16) -> u16 {
        let mut r = s;
        while let Some(&p) = self.parent.get(&r) {
            if p == r {
                break;
            }
            r = p;
        }
        // Shorten the path walked.
        let mut x = s;
        while x != r {
            let next = self.parent.get(&x).copied().unwrap_or(r);
            self.parent.insert(x, r);
            x = next;
        }
        r
    }

    fn add(&mut self, s: u16) {
        if let std::collections::hash_map::Entry::Vacant(e) = self.parent.entry(s) {
            e.insert(s);
            self.size.insert(s, 1);
        }
    }

    /// Joins the groups of `a` and `b` unless that makes one too big.
    fn join(&mut self, a: u16, b: u16) {
        self.add(a);
        self.add(b);
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return;
        }
        let size = |r: &u16| self.size.get(r).copied().unwrap_or(1);
        let (na, nb) = (size(&ra), size(&rb));
        if na + nb > GROUP_MAX {
            return;
        }
        let (big, small) = if na >= nb { (ra, rb) } else { (rb, ra) };
        self.parent.insert(small, big);
        self.size.insert(big, na + nb);
    }

    /// Every group of two slots or more, each sorted, in order of their
    /// first slot.
    fn all(&mut self) -> Vec<Vec<u16>> {
        let slots: Vec<u16> = self.parent.keys().copied().collect();
        let mut by_root: HashMap<u16, Vec<u16>> = HashMap::new();
        for s in slots {
            let r = self.root(s);
            by_root.entry(r).or_default().push(s);
        }
        let mut out: Vec<Vec<u16>> = by_root.into_values().filter(|g| g.len() > 1).collect();
        for g in &mut out {
            g.sort_unstable();
        }
        out.sort_unstable();
        out
    }
}

/// The slots of a batch as a set.
pub fn slot_set(b: &Batch) -> SlotSet {
    let mut set = SlotSet::default();
    for &s in &b.slots {
        set.insert(s);
    }
    set
}

#[cfg(test)]
mod tests;
