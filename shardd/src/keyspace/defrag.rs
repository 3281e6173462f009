//! Active defragmentation of the slot arenas (`activedefrag`).
//!
//! A load grows every slot's arena through the allocator's size classes
//! at about the same pace, which leaves the slabs of each class it passed
//! through partly used: free memory the process holds and cannot give
//! back (1M strings over two shards: 14 of 81 resident bytes per key).
//! Redis moves allocations out of such slabs (`activedefrag`, off by
//! default there). A shard does the same for its arenas, the bulk of its
//! memory for small values, with `common::alloc::defrag`: an arena in a
//! slab used less than its bin's average moves to the slab jemalloc fills
//! next, and the sparse slabs empty.
//!
//! When: once a second the shard looks at jemalloc's figures; when the
//! free space inside its active pages passes `active-defrag-threshold-lower`
//! percent of what is allocated (10, Redis's default) and
//! `active-defrag-ignore-bytes` (1 MiB in shardis, 100 MiB in Redis: a
//! shard's own free space, where Redis counts the whole server's), a pass
//! starts. A pass visits every
//! slot store of every database, [`VISITS_PER_STEP`] stores or
//! [`BYTES_PER_STEP`] bytes moved per step, one step each 100 ms (the
//! shard's expiry cycle): a step costs a few hundred microseconds of
//! copying at most, so requests never wait behind a long pause. A pass
//! that moved nothing waits [`IDLE_LOOK_MS`] before the next look (the
//! free space left is not in the arenas: boxed values, tables).
//!
//! Unlike Redis, shardis has `activedefrag` on by default: what it moves
//! is bounded per step as above, and a load of small keys gives back a
//! sixth of its memory. `CONFIG SET activedefrag no` stops it at once.
//! Redis's other `active-defrag-*` knobs (CPU percentages, the upper
//! threshold, fields per scan) are accepted and not used: the bounds per
//! step stand in for them.
//!
//! What is not moved: the slot tables (hashbrown allocates them through
//! the thread cache; at 1M strings their bin wasted about 1 of the 14
//! bytes per key) and boxed values (long strings, collections).

use super::{Keyspace, SLOT_COUNT};
use crate::settings::Defrag as Settings;
use common::alloc::AllocatorFigures;

/// Slot stores a step visits at most.
pub const VISITS_PER_STEP: usize = 1024;
/// Arena bytes a step moves at most.
pub const BYTES_PER_STEP: usize = 256 << 10;
/// Milliseconds between looks at the figures.
pub const LOOK_MS: u64 = 1_000;
/// Milliseconds before the next look after a pass that moved nothing.
pub const IDLE_LOOK_MS: u64 = 10_000;

/// The pass under way and what passes did.
#[derive(Debug, Default)]
pub struct Defrag {
    /// The next store a pass visits, as `database * SLOT_COUNT + slot`;
    /// `None` while no pass runs.
    at: Option<usize>,
    /// Arenas the pass under way moved.
    pass_hits: u64,
    /// When the figures are next looked at (the keyspace's clock, ms).
    next_look_ms: u64,
    /// Arenas moved since start (`INFO`'s `active_defrag_hits`).
    pub hits: u64,
    /// Arenas looked at and left where they were (`active_defrag_misses`).
    pub misses: u64,
    /// Keys in the arenas moved (`active_defrag_key_hits`).
    pub key_hits: u64,
    /// Keys in the arenas left (`active_defrag_key_misses`).
    pub key_misses: u64,
}

impl Defrag {
    /// Whether a pass is under way (`INFO`'s `active_defrag_running`).
    pub fn running(&self) -> bool {
        self.at.is_some()
    }
}

impl Keyspace {
    /// One step of active defragmentation (see the module's note), run
    /// every 100 ms: starts a pass when `figures` show enough free space
    /// inside active pages, or moves the pass under way on. With
    /// `activedefrag` off, a pass under way stops.
    pub fn defrag_step(
        &mut self,
        cfg: Settings,
        figures: impl FnOnce() -> Option<AllocatorFigures>,
    ) {
        if !cfg.enabled {
            self.defrag.at = None;
            return;
        }
        let now = self.clock.now_ms();
        if self.defrag.at.is_none() {
            if now < self.defrag.next_look_ms {
                return;
            }
            self.defrag.next_look_ms = now + LOOK_MS;
            let Some(f) = figures() else { return };
            let free = f.active.saturating_sub(f.allocated);
            if free < cfg.ignore_bytes
                || free.saturating_mul(100)
                    < f.allocated.saturating_mul(cfg.threshold_lower_percent)
            {
                return;
            }
            self.defrag.at = Some(0);
            self.defrag.pass_hits = 0;
        }
        let Some(mut at) = self.defrag.at else { return };
        let end = self.databases() * SLOT_COUNT;
        let (mut visits, mut bytes) = (0, 0);
        while at < end && visits < VISITS_PER_STEP && bytes < BYTES_PER_STEP {
            let (db, slot) = (at / SLOT_COUNT, at % SLOT_COUNT);
            let Some(d) = self.db_mut(db) else {
                // A database never used: nothing to visit in it.
                at = (db + 1) * SLOT_COUNT;
                continue;
            };
            let store = &mut d.slots[slot];
            at += 1;
            if store.is_pristine() {
                continue;
            }
            visits += 1;
            let keys = store.len() as u64;
            let moved = store.defrag();
            if moved > 0 {
                bytes += moved;
                self.defrag.hits += 1;
                self.defrag.key_hits += keys;
                self.defrag.pass_hits += 1;
            } else {
                self.defrag.misses += 1;
                self.defrag.key_misses += keys;
            }
        }
        if at < end {
            self.defrag.at = Some(at);
            return;
        }
        self.defrag.at = None;
        if self.defrag.pass_hits == 0 {
            self.defrag.next_look_ms = now + IDLE_LOOK_MS;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    const ON: Settings = Settings {
        enabled: true,
        threshold_lower_percent: 10,
        ignore_bytes: 1 << 20,
    };
    const OFF: Settings = Settings {
        enabled: false,
        ..ON
    };
    use common::alloc::AllocatorFigures;

    fn figures(allocated: u64, active: u64) -> Option<AllocatorFigures> {
        Some(AllocatorFigures {
            allocated,
            active,
            resident: active,
        })
    }

    #[test]
    fn a_pass_starts_past_the_threshold_visits_every_store_and_stops() {
        let clock = ManualClock::new(1_000_000);
        let mut ks = Keyspace::with_clock(Box::new(clock.clone()));
        for i in 0..5_000 {
            ks.insert_str(
                format!("key:{i}").as_bytes(),
                b"some value of 32 bytes, exactly.",
            );
        }
        // Little free space: no pass.
        ks.defrag_step(ON, || figures(100 << 20, 105 << 20));
        assert!(!ks.defrag.running());
        // Free space under either threshold: no pass.
        let strict = Settings {
            threshold_lower_percent: 60,
            ..ON
        };
        clock.advance(LOOK_MS);
        ks.defrag_step(strict, || figures(100 << 20, 150 << 20));
        assert!(!ks.defrag.running());
        let big = Settings {
            ignore_bytes: 64 << 20,
            ..ON
        };
        clock.advance(LOOK_MS);
        ks.defrag_step(big, || figures(100 << 20, 150 << 20));
        assert!(!ks.defrag.running());
        // Much free space, but not looked at again within a second.
        ks.defrag_step(ON, || figures(100 << 20, 150 << 20));
        assert!(!ks.defrag.running());
        clock.advance(LOOK_MS);
        ks.defrag_step(ON, || figures(100 << 20, 150 << 20));
        assert!(ks.defrag.running());
        let mut steps = 1;
        while ks.defrag.running() {
            ks.defrag_step(ON, || unreachable!("no look during a pass"));
            steps += 1;
            assert!(steps < 100, "a pass ends");
        }
        // Unit tests run on the system allocator: every store looked at,
        // none moved. Stores visited: those holding keys, in every step.
        let holding = ks.stores().filter(|s| !s.is_pristine()).count() as u64;
        assert_eq!((ks.defrag.hits, ks.defrag.misses), (0, holding));
        assert_eq!(steps, holding.div_ceil(VISITS_PER_STEP as u64) as usize);
        // A pass that moved nothing: the next look waits longer.
        clock.advance(LOOK_MS);
        ks.defrag_step(ON, || figures(100 << 20, 150 << 20));
        assert!(!ks.defrag.running());
        clock.advance(IDLE_LOOK_MS);
        ks.defrag_step(ON, || figures(100 << 20, 150 << 20));
        assert!(ks.defrag.running());
        // Turned off, the pass stops at once.
        ks.defrag_step(OFF, || unreachable!());
        assert!(!ks.defrag.running());
    }
}
