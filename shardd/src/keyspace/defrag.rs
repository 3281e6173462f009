//! Active defragmentation of the slot arenas (`activedefrag`).
//!
//! A load grows every slot's arena through the allocator's size classes
//! at about the same pace, which leaves the slabs of each class it passed
//! through partly used: free memory the process holds and cannot give
//! back (1M strings over two shards: 14 of 81 resident bytes per key).
//! Redis moves allocations out of such slabs (`activedefrag`, off by
//! default there). A shard moves its arenas, the bulk of its memory for
//! small values, further: every arena in a block from the allocator is
//! packed at its exact size into the shard's pack heap
//! (`keyspace/pack.rs`), which gives back the class's rounding (half a
//! class step per arena on average) and empties the slabs; so is a packed
//! one with [`PACK_MIN_ROOM`] bytes of room (its entries cut short) or
//! whose pack chunk became sparse. An arena too large to pack (over
//! `pack::MAX_BLOCK`) that sits in a slab used less than its bin's
//! average moves to the slab jemalloc fills next (`common::alloc::defrag`).
//!
//! When: once a second the shard looks at jemalloc's figures and its
//! arenas' room; when the free space inside its active pages and the
//! bytes packing would give back (arenas' room, sparse chunks' free
//! bytes) pass `active-defrag-threshold-lower`
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

#[cfg(doc)]
use super::arena::PACK_MIN_ROOM;
use super::{pack, Keyspace, SLOT_COUNT};
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
    /// When the pass under way started (the keyspace's clock, ms).
    pass_started_ms: u64,
    /// Milliseconds passes ran, those ended (`total_active_defrag_time`
    /// adds the one under way).
    ended_ms: u64,
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

    /// Milliseconds passes have run in all, and the one under way so far
    /// (0: none), at `now_ms` (`INFO`'s `total_active_defrag_time` and
    /// `current_active_defrag_time`).
    pub fn time_ms(&self, now_ms: u64) -> (u64, u64) {
        let current = match self.at {
            Some(_) => now_ms.saturating_sub(self.pass_started_ms),
            None => 0,
        };
        (self.ended_ms + current, current)
    }

    /// Forgets the counts and times (`CONFIG RESETSTAT`); a pass under way
    /// counts from `now_ms`.
    pub fn reset_stats(&mut self, now_ms: u64) {
        (self.hits, self.misses, self.key_hits, self.key_misses) = (0, 0, 0, 0);
        self.ended_ms = 0;
        self.pass_started_ms = now_ms;
    }

    /// The pass under way (if any) ends at `now_ms`.
    fn end_pass(&mut self, now_ms: u64) {
        if self.at.take().is_some() {
            self.ended_ms += now_ms.saturating_sub(self.pass_started_ms);
        }
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
        let now = self.clock.now_ms();
        if !cfg.enabled {
            self.defrag.end_pass(now);
            return;
        }
        if self.defrag.at.is_none() {
            if now < self.defrag.next_look_ms {
                return;
            }
            self.defrag.next_look_ms = now + LOOK_MS;
            let Some(f) = figures() else { return };
            let free = f.active.saturating_sub(f.allocated) + self.packable_bytes() as u64;
            if free < cfg.ignore_bytes
                || free.saturating_mul(100)
                    < f.allocated.saturating_mul(cfg.threshold_lower_percent)
            {
                return;
            }
            self.defrag.at = Some(0);
            self.defrag.pass_hits = 0;
            self.defrag.pass_started_ms = now;
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
        if bytes > 0 {
            // The arenas just freed must not wait in the thread cache,
            // holding their slabs (`flush_thread_cache`).
            common::alloc::flush_thread_cache();
        }
        if at < end {
            self.defrag.at = Some(at);
            return;
        }
        self.defrag.end_pass(now);
        if self.defrag.pass_hits == 0 {
            self.defrag.next_look_ms = now + IDLE_LOOK_MS;
        }
    }

    /// Bytes a pass could give back by packing arenas (`pack.rs`): the
    /// room of every arena from the allocator and of every packed one
    /// with at least [`PACK_MIN_ROOM`] of it, and the free bytes of sparse
    /// pack chunks.
    fn packable_bytes(&self) -> usize {
        let rooms: usize = (0..self.databases())
            .filter_map(|i| self.db_ref(i))
            .flat_map(|d| d.slots.iter())
            .map(|s| s.packable_room())
            .sum();
        rooms + pack::figures().sparse_free
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
        assert_eq!(ks.defrag.time_ms(ks.now_ms()), (0, 0));
        let mut steps: u64 = 1;
        while ks.defrag.running() {
            // Steps come 100 ms apart: the pass's time counts them.
            clock.advance(100);
            assert_eq!(ks.defrag.time_ms(ks.now_ms()), (100 * steps, 100 * steps));
            ks.defrag_step(ON, || unreachable!("no look during a pass"));
            steps += 1;
            assert!(steps < 100, "a pass ends");
        }
        let pass_ms = 100 * (steps - 1);
        assert_eq!(ks.defrag.time_ms(ks.now_ms()), (pass_ms, 0));
        // Every store holding keys looked at and packed (its block came
        // from the allocator), a step's visits or bytes at a time.
        let holding = ks.stores().filter(|s| !s.is_pristine()).count() as u64;
        assert_eq!((ks.defrag.hits, ks.defrag.misses), (holding, 0));
        assert!(steps >= holding.div_ceil(VISITS_PER_STEP as u64));
        // Turned off, a pass stops at once.
        clock.advance(LOOK_MS);
        ks.defrag_step(ON, || figures(100 << 20, 150 << 20));
        assert!(ks.defrag.running());
        clock.advance(30);
        ks.defrag_step(OFF, || unreachable!());
        assert!(!ks.defrag.running());
        // The stopped pass's time counts too.
        assert_eq!(ks.defrag.time_ms(ks.now_ms()), (pass_ms + 30, 0));
        // A pass that moved nothing (no keys: nothing to move) makes the
        // next look wait longer.
        // (Such a pass starts and ends in one step.)
        let mut empty = Keyspace::with_clock(Box::new(clock.clone()));
        clock.advance(LOOK_MS);
        let mut looked = false;
        empty.defrag_step(ON, || {
            looked = true;
            figures(100 << 20, 150 << 20)
        });
        assert!(looked && !empty.defrag.running());
        assert_eq!((empty.defrag.hits, empty.defrag.misses), (0, 0));
        clock.advance(LOOK_MS);
        empty.defrag_step(ON, || unreachable!("not looked at within the longer wait"));
        clock.advance(IDLE_LOOK_MS - LOOK_MS);
        let mut looked = false;
        empty.defrag_step(ON, || {
            looked = true;
            None
        });
        assert!(looked);
    }

    fn run_pass(ks: &mut Keyspace, clock: &ManualClock) {
        // jemalloc shows no free space; a small allocated figure and no
        // floor in bytes, so that the arenas' room alone starts a pass.
        let cfg = Settings {
            ignore_bytes: 0,
            ..ON
        };
        clock.advance(IDLE_LOOK_MS);
        ks.defrag_step(cfg, || figures(1_000, 1_000));
        let mut steps = 0;
        while ks.defrag.running() {
            ks.defrag_step(cfg, || unreachable!("no look during a pass"));
            steps += 1;
            assert!(steps < 100, "a pass ends");
        }
    }

    fn check(ks: &mut Keyspace, want: &std::collections::HashMap<Vec<u8>, Vec<u8>>) {
        assert_eq!(ks.len(), want.len());
        for (k, v) in want {
            match ks.get(k) {
                Some(super::super::ValueRef::Str(got)) => assert_eq!(got, &v[..]),
                _ => panic!("{k:?} lost"),
            }
        }
    }

    #[test]
    fn a_pass_packs_arenas_with_room_and_their_keys_read_back() {
        let clock = ManualClock::new(1_000_000);
        let mut ks = Keyspace::with_clock(Box::new(clock.clone()));
        let mut want = std::collections::HashMap::new();
        type Want = std::collections::HashMap<Vec<u8>, Vec<u8>>;
        // Keys `{tag}k<i>` for `i` in `range`, each with `value(i)`.
        let put = |(ks, want): (&mut Keyspace, &mut Want),
                   tag: &str,
                   range: std::ops::Range<usize>,
                   value: &dyn Fn(usize) -> Vec<u8>| {
            for i in range {
                let k = format!("{{{tag}}}k{i}").into_bytes();
                ks.insert_str(&k, &value(i));
                want.insert(k, value(i));
            }
        };
        // A slot of many keys (a hash table), one of few (a list in its
        // arena's tail), a value long enough to be boxed.
        put((&mut ks, &mut want), "big", 0..400, &|i| {
            format!("value {i}").into_bytes()
        });
        put((&mut ks, &mut want), "few", 0..20, &|i| {
            format!("v{i}").into_bytes()
        });
        put((&mut ks, &mut want), "big", 1_000..1_001, &|_| {
            vec![b'x'; 5000]
        });
        // Only the arenas' room says there is something to give back: a
        // pass packs them.
        let rooms = |ks: &Keyspace| ks.stores().map(|s| s.arena_use().2).max();
        assert!(rooms(&ks) >= Some(crate::keyspace::arena::PACK_MIN_ROOM));
        run_pass(&mut ks, &clock);
        assert!(ks.defrag.hits >= 1);
        assert!(rooms(&ks) < Some(pack::ALIGN), "every arena packed");
        check(&mut ks, &want);
        // Writes move arenas out of their packed blocks, and deletes and
        // overwrites leave dead bytes; the next pass packs them again.
        put((&mut ks, &mut want), "big", 400..500, &|i| {
            format!("value {i}").into_bytes()
        });
        put((&mut ks, &mut want), "big", 0..20, &|i| {
            format!("a longer value {i}").into_bytes()
        });
        for i in (0..20).step_by(2) {
            let k = format!("{{few}}k{i}").into_bytes();
            assert!(ks.delete(&k));
            want.remove(&k);
        }
        check(&mut ks, &want);
        let hits = ks.defrag.hits;
        run_pass(&mut ks, &clock);
        assert!(ks.defrag.hits > hits);
        check(&mut ks, &want);
        // Dropped with packed arenas holding a boxed value: freed once
        // (a double free aborts the test).
        drop(ks);
    }
}
