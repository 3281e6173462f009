//! Each key's clock, and eviction: `maxmemory` with Redis's policies.
//!
//! **The clock.** Every entry keeps Redis's 24 bits (`store.rs`): under an
//! LRU (or no) policy the LRU clock of its last access, in seconds modulo
//! 2^24 (`OBJECT IDLETIME`); under an LFU policy the minute of its last
//! decrement (16 bits) and a logarithmic access counter (8 bits, starting
//! at 5, incremented with probability `1 / ((counter - 5) *
//! lfu-log-factor + 1)`, decremented by one per `lfu-decay-time` minutes
//! idle), as Redis keeps them (`OBJECT FREQ`).
//! Reads and writes touch the clock, but not TYPE, TTL, OBJECT and the
//! like (Redis's `LOOKUP_NOTOUCH`). The keyspace reads the time once per
//! round of the shard ([`Keyspace::tick`]), not per access.
//!
//! **Eviction.** With `maxmemory` set (each shard gets its share of the
//! server's), before a command runs the shard compares what its process
//! has allocated (jemalloc's `stats.allocated`, read at most once a
//! millisecond, the written arguments added in between) with its share;
//! past it, keys go until the estimate (allocated minus what the evicted
//! keys held) is back under, chosen as Redis does: for the LRU, LFU and TTL policies `maxmemory-samples` keys are sampled (among
//! all keys, or among keys with a TTL for `volatile-*`) into a pool of the
//! 16 best candidates kept across choices, and the best goes; the random
//! policies take any key (with a TTL). A removed key's arena bytes are
//! given back when its slot compacts (a quarter of the slot dead), so the
//! allocator's figure trails the estimate by at most that slack. If
//! nothing can go (`noeviction`, or no key with a TTL) the command is
//! refused with `-OOM` when it may use memory (Redis's `denyoom`).

use super::{slot_of_hash, Keyspace, SLOT_COUNT};
use crate::settings::{Eviction, Policy};

/// The counter a new key starts with under LFU (Redis's `LFU_INIT_VAL`).
pub const LFU_INIT_VAL: u32 = 5;
/// Candidates kept between choices (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;
/// Keys evicted at most before one command runs (the rest waits for the
/// next command, as Redis's time-bounded eviction lets a command through
/// once it made progress).
const MAX_EVICTIONS_PER_CALL: usize = 4096;

/// The clock state of the keyspace: refreshed each round.
#[derive(Debug, Default)]
pub(super) struct Clocks {
    /// The eviction settings in force.
    pub ev: Eviction,
    /// Seconds modulo 2^24.
    pub lru: u32,
    /// Minutes modulo 2^16.
    pub minutes: u32,
    /// Bytes the process had allocated when last measured, plus what
    /// the writes since were estimated to add, less what was evicted
    /// (0: unknown).
    pub used: u64,
    /// When `used` was last measured (ms).
    measured_at: u64,
    /// Whether this command's lookups touch the clock.
    pub touching: bool,
    /// Keys evicted so far.
    pub evicted_total: u64,
    /// The candidates: (score, database, key), best (highest score) last.
    pool: Vec<(u64, usize, Vec<u8>)>,
    rng: u64,
}

/// Keys evicted, each with its database.
pub type Evicted = Vec<(usize, Vec<u8>)>;

/// Why a command cannot have memory.
#[derive(Debug, PartialEq, Eq)]
pub struct OutOfMemory;

impl Clocks {
    /// The clock a new entry starts with.
    pub fn fresh(&self) -> u32 {
        if self.ev.policy.is_lfu() {
            (self.minutes << 8) | LFU_INIT_VAL
        } else {
            self.lru
        }
    }

    fn next_f64(&mut self) -> f64 {
        // xorshift64*: cheap, and good enough to decide counter increments.
        let mut x = self.rng | 1;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The clock after an access to an entry whose clock was `c`.
    pub fn touched(&mut self, c: u32) -> u32 {
        if !self.ev.policy.is_lfu() {
            return self.lru;
        }
        let mut counter = self.lfu_decayed(c);
        if counter < 255 {
            let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
            let p = 1.0 / (base * self.ev.lfu_log_factor as f64 + 1.0);
            if self.next_f64() < p {
                counter += 1;
            }
        }
        (self.minutes << 8) | counter
    }

    /// The LFU counter of clock `c` after its decay (`OBJECT FREQ`).
    pub fn lfu_decayed(&self, c: u32) -> u32 {
        let ldt = c >> 8;
        let counter = c & 0xff;
        let elapsed = if self.minutes >= ldt {
            self.minutes - ldt
        } else {
            0xffff - ldt + self.minutes
        };
        let periods = match self.ev.lfu_decay_time {
            0 => 0,
            d => u64::from(elapsed) / d,
        };
        counter.saturating_sub(periods.min(255) as u32)
    }

    /// Milliseconds since the access that set LRU clock `c`.
    pub fn idle_ms(&self, c: u32) -> u64 {
        let c = c & super::store::CLOCK_MAX;
        let secs = if self.lru >= c {
            self.lru - c
        } else {
            super::store::CLOCK_MAX - c + self.lru
        };
        u64::from(secs) * 1000
    }

    /// How good a candidate an entry with clock `clock` and expiry
    /// `expire_at` is: the higher, the sooner it goes.
    fn score(&self, clock: u32, expire_at: Option<u64>) -> u64 {
        match self.ev.policy {
            Policy::VolatileTtl => u64::MAX - expire_at.unwrap_or(u64::MAX),
            p if p.is_lfu() => 255 - u64::from(self.lfu_decayed(clock)),
            _ => self.idle_ms(clock),
        }
    }

    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        if self.pool.len() == POOL_SIZE && self.pool.first().is_some_and(|(s, _, _)| *s >= score) {
            return;
        }
        if self.pool.iter().any(|(_, d, k)| *d == db && k == key) {
            return;
        }
        let at = self.pool.partition_point(|(s, _, _)| *s < score);
        self.pool.insert(at, (score, db, key.to_vec()));
        if self.pool.len() > POOL_SIZE {
            self.pool.remove(0);
        }
    }
}

impl Keyspace {
    /// Reads the time and the eviction settings for this round; `used`
    /// is what the process has allocated now, when a limit is set.
    pub fn tick(&mut self, used: impl FnOnce() -> Option<u64>) {
        let now = self.now_ms();
        let c = &mut self.clocks;
        c.ev = crate::settings::eviction();
        c.lru = ((now / 1000) & u64::from(super::store::CLOCK_MAX)) as u32;
        c.minutes = ((now / 60_000) & 0xffff) as u32;
        if c.rng == 0 {
            c.rng = now | 1;
        }
        // Measured at most once a millisecond (reading jemalloc's figures
        // costs a few microseconds); in between, writes add estimates.
        if c.ev.maxmemory == 0 {
            // No figure kept: a limit set again is measured at once (not
            // taken as 0 until the clock moves on).
            c.used = 0;
            c.measured_at = 0;
        } else if now != c.measured_at {
            // A figure counts as a measure only if there was one.
            match used() {
                Some(bytes) => {
                    c.used = bytes;
                    c.measured_at = now;
                }
                None => c.used = 0,
            }
        }
        if c.ev.maxmemory == 0 || c.ev.policy == Policy::NoEviction {
            c.pool.clear();
        }
    }

    /// A write with arguments `args` ran: until the next measure, the
    /// memory in use is taken to have grown by their size (nothing is
    /// summed without a limit: this is on every write's path).
    pub fn note_growth(&mut self, args: &[&[u8]]) {
        if self.clocks.ev.maxmemory > 0 {
            let bytes: usize = args.iter().map(|a| a.len()).sum();
            self.clocks.used += bytes as u64 + 16;
        }
    }

    /// Whether lookups of the command about to run touch keys' clocks
    /// (not for TYPE, TTL, OBJECT...: Redis's `LOOKUP_NOTOUCH`).
    pub fn set_touching(&mut self, touching: bool) {
        self.clocks.touching = touching;
    }

    /// Keys evicted so far (INFO's `evicted_keys`).
    pub fn evicted_total(&self) -> u64 {
        self.clocks.evicted_total
    }

    /// The memory limit, the policy and what was allocated at the last
    /// tick (INFO).
    pub fn eviction(&self) -> (Eviction, u64) {
        (self.clocks.ev, self.clocks.used)
    }

    /// Whether the shard is over its share of `maxmemory` (as of the last
    /// tick, less what was evicted since).
    pub fn over_limit(&self) -> bool {
        let c = &self.clocks;
        c.ev.maxmemory > 0 && c.used > c.ev.maxmemory
    }

    /// `OBJECT IDLETIME`'s seconds for `key` (`None`: missing).
    pub fn idle_seconds(&mut self, key: &[u8]) -> Option<u64> {
        let clock = self.entry_clock(key)?;
        Some(self.clocks.idle_ms(clock) / 1000)
    }

    /// `OBJECT FREQ`'s counter for `key` (`None`: missing).
    pub fn frequency(&mut self, key: &[u8]) -> Option<u32> {
        let clock = self.entry_clock(key)?;
        Some(self.clocks.lfu_decayed(clock))
    }

    /// Frees memory down to the limit by evicting keys `may_go` accepts,
    /// from any database, as the policy says; returns the keys evicted
    /// with their databases (for the log, WATCH and events), with
    /// [`OutOfMemory`] when still over and nothing (more) can go. The
    /// selected database stays selected.
    pub fn evict(
        &mut self,
        may_go: impl Fn(&[u8]) -> bool,
    ) -> Result<Evicted, (Evicted, OutOfMemory)> {
        // A client pause keeps the dataset still (as Redis 7.0 does, the
        // write goes on without eviction).
        if self.expiry_paused() {
            return Ok(Evicted::new());
        }
        let home = self.current;
        let out = self.evict_from_any(may_go);
        self.select(home);
        out
    }

    fn evict_from_any(
        &mut self,
        may_go: impl Fn(&[u8]) -> bool,
    ) -> Result<Evicted, (Evicted, OutOfMemory)> {
        let mut gone = Vec::new();
        let mut refused = 0;
        while self.over_limit() {
            if gone.len() >= MAX_EVICTIONS_PER_CALL {
                return Ok(gone);
            }
            let Some((db, key)) = self.victim() else {
                return if gone.is_empty() {
                    Err((gone, OutOfMemory))
                } else {
                    Ok(gone)
                };
            };
            if !may_go(&key) {
                refused += 1;
                if refused > 64 {
                    return Err((gone, OutOfMemory));
                }
                continue;
            }
            self.select(db);
            if let Some(value) = self.remove(&key) {
                // What the key held: its entry (key, header, the clock) and
                // the value's own allocations.
                let inline = match &value {
                    super::Value::Str(v) if v.len() <= super::store::INLINE_VALUE_MAX_BYTES => {
                        v.len()
                    }
                    _ => 8,
                };
                let heap = super::value_heap_bytes(value.as_ref(), 1);
                let freed = (key.len() + inline + 16 + heap) as u64;
                self.clocks.used = self.clocks.used.saturating_sub(freed);
                self.clocks.evicted_total += 1;
                gone.push((db, key));
            }
        }
        Ok(gone)
    }

    /// The next key to evict and its database, if any can go. Each
    /// database with keys (with a TTL, for `volatile-*`) is sampled in
    /// turn into the one pool, as Redis samples every database.
    fn victim(&mut self) -> Option<(usize, Vec<u8>)> {
        let policy = self.clocks.ev.policy;
        // Once per key evicted: no allocation for a few databases.
        let dbs: smallvec::SmallVec<[usize; 4]> = (0..self.databases())
            .filter(|&d| {
                self.db_ref(d)
                    .is_some_and(|d| d.len > 0 && (!policy.is_volatile() || d.ttl_keys > 0))
            })
            .collect();
        match policy {
            Policy::NoEviction => None,
            Policy::AllKeysRandom | Policy::VolatileRandom => {
                let db = *dbs.get(rand::random::<usize>() % dbs.len().max(1))?;
                self.select(db);
                let key = if policy == Policy::AllKeysRandom {
                    self.random_key()
                } else {
                    self.sample_volatile().map(|(k, _, _)| k)
                };
                key.map(|k| (db, k))
            }
            _ => {
                let samples = self.clocks.ev.samples.max(1);
                for db in dbs {
                    self.select(db);
                    if policy.is_volatile() {
                        for _ in 0..samples {
                            if let Some((key, clock, expire_at)) = self.sample_volatile() {
                                let score = self.clocks.score(clock, expire_at);
                                self.clocks.offer(score, db, &key);
                            }
                        }
                    } else {
                        self.sample_any_into_pool(samples);
                    }
                }
                // The best candidate that is still there (and still has a
                // TTL, for the volatile policies).
                while let Some((_, db, key)) = self.clocks.pool.pop() {
                    self.select(db);
                    let ok = match self.expire_at(&key) {
                        Some(ttl) => !policy.is_volatile() || ttl.is_some(),
                        None => false,
                    };
                    if ok {
                        return Some((db, key));
                    }
                }
                None
            }
        }
    }

    /// Offers `n` keys to the pool: every key of random slots (a slot
    /// holds a few keys, so one visit makes several samples, as Redis's
    /// `dictGetSomeKeys` takes neighbouring buckets), a key copied only
    /// when it enters the pool.
    fn sample_any_into_pool(&mut self, n: usize) {
        if self.db.len == 0 {
            return;
        }
        let mut rng = rand::thread_rng();
        let mut seen = 0;
        let mut visits = 0;
        while seen < n && visits < n {
            visits += 1;
            let slot = self.random_nonempty_slot(&mut rng);
            let (slots, clocks) = (&self.db.slots, &mut self.clocks);
            for e in slots[slot].iter() {
                let score = clocks.score(e.clock(), e.expire_at());
                clocks.offer(score, self.current, e.key());
                seen += 1;
            }
        }
    }

    /// A random key with a TTL (from the expiry index), with its clock
    /// and expiry.
    fn sample_volatile(&mut self) -> Option<(Vec<u8>, u32, Option<u64>)> {
        let mut rng = rand::thread_rng();
        for _ in 0..8 {
            let (_, hash) = self.db.expiry.sample(&mut rng)?;
            let slot = slot_of_hash(hash);
            if slot >= SLOT_COUNT {
                continue;
            }
            if let Some(e) = self.db.slots[slot].find_hashed(hash, |e| e.expire_at().is_some()) {
                return Some((e.key().to_vec(), e.clock(), e.expire_at()));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clocks(policy: Policy) -> Clocks {
        Clocks {
            ev: Eviction {
                policy,
                ..Eviction::default()
            },
            lru: 1000,
            minutes: 100,
            rng: 7,
            ..Clocks::default()
        }
    }

    #[test]
    fn lru_idle_time_wraps_as_redis_does() {
        let c = clocks(Policy::AllKeysLru);
        assert_eq!(c.idle_ms(990), 10_000);
        assert_eq!(c.idle_ms(1000), 0);
        let wrapped = c.idle_ms(super::super::store::CLOCK_MAX - 5);
        assert_eq!(wrapped, (5 + 1000) * 1000);
    }

    #[test]
    fn lfu_counters_grow_logarithmically_and_decay_by_the_minute() {
        let mut c = clocks(Policy::AllKeysLfu);
        let mut clock = c.fresh();
        assert_eq!(c.lfu_decayed(clock), LFU_INIT_VAL);
        for _ in 0..1000 {
            clock = c.touched(clock);
        }
        let hot = c.lfu_decayed(clock);
        assert!(hot > 10 && hot < 40, "{hot}");
        c.minutes += 3;
        assert_eq!(c.lfu_decayed(clock), hot - 3);
    }

    fn keyspace_over_limit(policy: &str) -> Keyspace {
        let mut settings = crate::settings::Settings::default();
        settings.set("maxmemory", "20000").expect("a valid limit");
        settings
            .set("maxmemory-policy", policy)
            .expect("a valid policy");
        crate::settings::install(settings);
        let mut ks = Keyspace::new();
        let far = ks.now_ms() + 3_600_000;
        for i in 0..2000u64 {
            let key = format!("k{i}");
            if i % 2 == 0 {
                ks.insert_str_with_expiry(key.as_bytes(), b"value", Some(far + i));
            } else {
                ks.insert_str(key.as_bytes(), b"value");
            }
        }
        // Pretend the process holds 30 KB: 10 KB over (a third of what
        // the keys with a TTL hold).
        ks.tick(|| Some(30_000));
        ks
    }

    #[test]
    fn volatile_policies_evict_only_keys_with_a_ttl_nearest_first() {
        let mut ks = keyspace_over_limit("volatile-ttl");
        let gone = ks.evict(|_| true).unwrap_or_else(|(g, _)| g);
        assert!(!gone.is_empty());
        assert!(!ks.over_limit());
        let ids: Vec<u64> = gone
            .iter()
            .filter_map(|(_, k)| std::str::from_utf8(&k[1..]).ok()?.parse().ok())
            .collect();
        assert!(ids.iter().all(|i| i % 2 == 0), "a key without a TTL went");
        // The pool of 16 over 5 samples a choice favours the nearest
        // expiries: the keys that went are mostly from the early half.
        let early = ids.iter().filter(|&&i| i < 1000).count();
        assert!(early * 10 >= ids.len() * 6, "{early} of {}", ids.len());
        assert_eq!(ks.evicted_total(), gone.len() as u64);
        crate::settings::install(crate::settings::Settings::default());
    }

    #[test]
    fn noeviction_and_no_candidates_mean_out_of_memory() {
        let mut ks = keyspace_over_limit("noeviction");
        assert!(matches!(ks.evict(|_| true), Err((g, OutOfMemory)) if g.is_empty()));
        let mut ks = keyspace_over_limit("allkeys-lru");
        // Nothing may go (a transaction holds every key).
        assert!(ks.evict(|_| false).is_err());
        let gone = ks.evict(|_| true).unwrap_or_else(|(g, _)| g);
        assert!(!gone.is_empty() && !ks.over_limit());
        crate::settings::install(crate::settings::Settings::default());
    }

    #[test]
    fn the_pool_keeps_the_best_candidates() {
        let mut c = clocks(Policy::AllKeysLru);
        for i in 0..40u64 {
            c.offer(i, 0, format!("k{i}").as_bytes());
        }
        assert_eq!(c.pool.len(), POOL_SIZE);
        assert_eq!(c.pool.last().map(|(s, _, _)| *s), Some(39));
        c.offer(39, 0, b"k39");
        assert_eq!(c.pool.len(), POOL_SIZE);
    }
}
