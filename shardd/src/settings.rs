//! The `CONFIG` parameters a shard applies, as one small struct the shard's
//! code reads: the encoding thresholds of the small packed forms (hashes,
//! sets, sorted sets, lists, HyperLogLogs), the largest string
//! (`proto-max-bulk-len`), the snapshot points (`save`) and automatic log
//! rewrites, and the slow log and latency monitor thresholds.
//!
//! Values arrive as text, as `CONFIG GET` shows them: from the command line
//! at start (`--config name=value`, which the proxy gives every shard it
//! starts with the values in force) and from the proxy's
//! `SHARDD.CONFIG epoch seq name value ...` when a client runs `CONFIG SET`
//! (see `persist::admin`). The proxy checked them with Redis's rules; a shard
//! still refuses what it cannot read, and a command's pairs apply all or
//! none. The names and defaults are `common::wire::SHARD_SETTINGS`;
//! `appendonly` and `appendfsync` belong to the data directory
//! (`persist::dir`), which applies them.
//!
//! The shard is one thread that owns its keyspace, so the settings in force
//! live beside it in a thread-local: the types read a threshold with
//! [`encoding`] (a copy of a few words) instead of having it passed down
//! every call. Tests running on other threads see the defaults.

use std::{cell::RefCell, collections::HashMap};

/// The thresholds of the packed (listpack, intset) encodings, and the
/// string size limit: what the data types check on every insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding {
    /// `hash-max-listpack-entries`.
    pub hash_max_listpack_entries: usize,
    /// `hash-max-listpack-value`.
    pub hash_max_listpack_value: usize,
    /// `set-max-intset-entries`.
    pub set_max_intset_entries: usize,
    /// `set-max-listpack-entries`.
    pub set_max_listpack_entries: usize,
    /// `set-max-listpack-value`.
    pub set_max_listpack_value: usize,
    /// `zset-max-listpack-entries`.
    pub zset_max_listpack_entries: usize,
    /// `zset-max-listpack-value`.
    pub zset_max_listpack_value: usize,
    /// `list-max-listpack-size`: a positive count of elements per node, or
    /// -1 to -5 for 4, 8, 16, 32 or 64 KiB per node.
    pub list_max_listpack_size: i64,
    /// `hll-sparse-max-bytes`.
    pub hll_sparse_max_bytes: usize,
    /// `stream-node-max-bytes` (0: no limit but Redis's 1 GiB).
    pub stream_node_max_bytes: usize,
    /// `stream-node-max-entries` (0: no limit).
    pub stream_node_max_entries: usize,
    /// `proto-max-bulk-len`: the longest string a command may build.
    pub proto_max_bulk_len: u64,
}

impl Default for Encoding {
    fn default() -> Self {
        Encoding {
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            set_max_intset_entries: 512,
            set_max_listpack_entries: 128,
            set_max_listpack_value: 64,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            list_max_listpack_size: -2,
            hll_sparse_max_bytes: 3000,
            stream_node_max_bytes: 4096,
            stream_node_max_entries: 100,
            proto_max_bulk_len: 512 << 20,
        }
    }
}

/// A snapshot point: save after `seconds` if at least `changes` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavePoint {
    /// Seconds since the last save.
    pub seconds: u64,
    /// Writes since the last save.
    pub changes: u64,
}

/// `maxmemory-policy`: which keys go when memory runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Refuse writes that would need memory (`-OOM`).
    #[default]
    NoEviction,
    /// Least recently used, among every key.
    AllKeysLru,
    /// Least frequently used, among every key.
    AllKeysLfu,
    /// Any key.
    AllKeysRandom,
    /// Least recently used, among keys with a TTL.
    VolatileLru,
    /// Least frequently used, among keys with a TTL.
    VolatileLfu,
    /// Any key with a TTL.
    VolatileRandom,
    /// The key with the nearest expiry.
    VolatileTtl,
}

impl Policy {
    /// The policy named `name` (Redis's names).
    pub fn from_name(name: &str) -> Option<Policy> {
        Some(match name {
            "noeviction" => Policy::NoEviction,
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => return None,
        })
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Policy::NoEviction => "noeviction",
            Policy::AllKeysLru => "allkeys-lru",
            Policy::AllKeysLfu => "allkeys-lfu",
            Policy::AllKeysRandom => "allkeys-random",
            Policy::VolatileLru => "volatile-lru",
            Policy::VolatileLfu => "volatile-lfu",
            Policy::VolatileRandom => "volatile-random",
            Policy::VolatileTtl => "volatile-ttl",
        }
    }

    /// Whether entries' clocks count accesses (LFU) rather than time (LRU).
    pub fn is_lfu(self) -> bool {
        matches!(self, Policy::AllKeysLfu | Policy::VolatileLfu)
    }

    /// Whether only keys with a TTL may go.
    pub fn is_volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }
}

/// The memory limit and how keys are chosen to meet it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eviction {
    /// This shard's share of `maxmemory` in bytes (0: no limit).
    pub maxmemory: u64,
    /// `maxmemory-policy`.
    pub policy: Policy,
    /// `maxmemory-samples`: keys looked at per choice.
    pub samples: usize,
    /// `lfu-log-factor`.
    pub lfu_log_factor: u64,
    /// `lfu-decay-time` (minutes).
    pub lfu_decay_time: u64,
}

impl Default for Eviction {
    fn default() -> Self {
        Eviction {
            maxmemory: 0,
            policy: Policy::NoEviction,
            samples: 5,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
        }
    }
}

/// Every setting a shard applies (but `appendonly` and `appendfsync`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The encoding thresholds.
    pub encoding: Encoding,
    /// `save`: the snapshot points (none: no automatic snapshots).
    pub save: Vec<SavePoint>,
    /// `auto-aof-rewrite-percentage`: the log is folded into a snapshot
    /// once it grew by this much of the snapshot (0: never on its own).
    pub auto_aof_rewrite_percentage: u64,
    /// `auto-aof-rewrite-min-size`: and only once it is this big.
    pub auto_aof_rewrite_min_size: u64,
    /// `slowlog-log-slower-than`: commands slower than this many
    /// microseconds go to the slow log (-1: none, 0: all).
    pub slowlog_log_slower_than_us: i64,
    /// `slowlog-max-len`: entries the slow log keeps.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`: events slower than this many
    /// milliseconds are recorded (0: the monitor is off).
    pub latency_monitor_threshold_ms: u64,
    /// `notify-keyspace-events`: `common::notify` flags (0: none).
    pub notify_keyspace_events: u32,
    /// `maxmemory` and its policy.
    pub eviction: Eviction,
    /// `databases` (read once, at start).
    pub databases: usize,
    /// `activedefrag` and its thresholds (`keyspace/defrag.rs`).
    pub defrag: Defrag,
    /// `shardis-paused-until`: the end of a `CLIENT PAUSE` in force, Unix
    /// milliseconds (0: none); until then no key expires or is evicted
    /// (the proxy's `client_pause` module). Not a `CONFIG` parameter.
    pub paused_until_ms: u64,
    /// `tracking-table-max-keys`: this shard's share of the keys the
    /// tracking table may hold (0: no bound; `crate::tracking`).
    pub tracking_table_max_keys: usize,
}

/// When the slot arenas are moved out of sparse allocator slabs
/// (`keyspace/defrag.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defrag {
    /// `activedefrag` (on by default in shardis, off in Redis).
    pub enabled: bool,
    /// `active-defrag-threshold-lower`: the free space inside the shard's
    /// active pages and the room its arenas could give back by packing
    /// (`keyspace/pack.rs`), in percent of what it allocated, from which
    /// a pass starts.
    pub threshold_lower_percent: u64,
    /// `active-defrag-ignore-bytes`: free space below which no pass starts
    /// (each shard's own; 1 MiB by default in shardis, 100 MiB in Redis).
    pub ignore_bytes: u64,
}

impl Default for Defrag {
    fn default() -> Self {
        Defrag {
            enabled: true,
            threshold_lower_percent: 10,
            ignore_bytes: 1 << 20,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            encoding: Encoding::default(),
            save: Vec::new(),
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 << 20,
            slowlog_log_slower_than_us: 10_000,
            slowlog_max_len: 128,
            latency_monitor_threshold_ms: 0,
            notify_keyspace_events: 0,
            eviction: Eviction::default(),
            databases: DEFAULT_DATABASES,
            defrag: Defrag::default(),
            paused_until_ms: 0,
            tracking_table_max_keys: 1_000_000,
        }
    }
}

/// Databases a keyspace has unless told otherwise (Redis's `databases`).
pub const DEFAULT_DATABASES: usize = 16;

/// The most databases a shard accepts (`databases` beyond it is refused at
/// start: each database used costs its slot table, 16384 stores).
pub const MAX_DATABASES: usize = 1 << 16;

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// Not a setting a shard applies.
    #[error("unknown setting '{0}'")]
    Unknown(String),
    /// A value the setting cannot take.
    #[error("bad value for '{0}': '{1}'")]
    BadValue(String, String),
}

fn num<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, SettingError> {
    value
        .parse()
        .map_err(|_| SettingError::BadValue(name.into(), value.into()))
}

fn save_points(value: &str) -> Option<Vec<SavePoint>> {
    let nums: Vec<u64> = value
        .split_whitespace()
        .map(|w| w.parse().ok())
        .collect::<Option<_>>()?;
    if !nums.len().is_multiple_of(2) {
        return None;
    }
    Some(
        nums.chunks(2)
            .map(|p| SavePoint {
                seconds: p[0],
                changes: p[1],
            })
            .collect(),
    )
}

impl Settings {
    /// Sets `name` (a primary name of `common::wire::SHARD_SETTINGS`, not
    /// `appendonly` or `appendfsync`) from its `CONFIG GET` text.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SettingError> {
        let e = &mut self.encoding;
        match name {
            "hash-max-listpack-entries" => e.hash_max_listpack_entries = num(name, value)?,
            "hash-max-listpack-value" => e.hash_max_listpack_value = num(name, value)?,
            "set-max-intset-entries" => e.set_max_intset_entries = num(name, value)?,
            "set-max-listpack-entries" => e.set_max_listpack_entries = num(name, value)?,
            "set-max-listpack-value" => e.set_max_listpack_value = num(name, value)?,
            "zset-max-listpack-entries" => e.zset_max_listpack_entries = num(name, value)?,
            "zset-max-listpack-value" => e.zset_max_listpack_value = num(name, value)?,
            "list-max-listpack-size" => e.list_max_listpack_size = num(name, value)?,
            "hll-sparse-max-bytes" => e.hll_sparse_max_bytes = num(name, value)?,
            "stream-node-max-bytes" => e.stream_node_max_bytes = num(name, value)?,
            "stream-node-max-entries" => e.stream_node_max_entries = num(name, value)?,
            "proto-max-bulk-len" => e.proto_max_bulk_len = num(name, value)?,
            "save" => {
                self.save = save_points(value)
                    .ok_or_else(|| SettingError::BadValue(name.into(), value.into()))?
            }
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage = num(name, value)?,
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size = num(name, value)?,
            "slowlog-log-slower-than" => self.slowlog_log_slower_than_us = num(name, value)?,
            "slowlog-max-len" => self.slowlog_max_len = num(name, value)?,
            "latency-monitor-threshold" => self.latency_monitor_threshold_ms = num(name, value)?,
            "notify-keyspace-events" => {
                self.notify_keyspace_events = common::notify::parse(value.as_bytes())
                    .ok_or_else(|| SettingError::BadValue(name.into(), value.into()))?
            }
            "maxmemory" => self.eviction.maxmemory = num(name, value)?,
            "maxmemory-policy" => {
                self.eviction.policy = Policy::from_name(value)
                    .ok_or_else(|| SettingError::BadValue(name.into(), value.into()))?
            }
            "maxmemory-samples" => self.eviction.samples = num::<usize>(name, value)?.max(1),
            "lfu-log-factor" => self.eviction.lfu_log_factor = num(name, value)?,
            "lfu-decay-time" => self.eviction.lfu_decay_time = num(name, value)?,
            "databases" => {
                self.databases = num::<usize>(name, value)
                    .ok()
                    .filter(|n| (1..=MAX_DATABASES).contains(n))
                    .ok_or_else(|| SettingError::BadValue(name.into(), value.into()))?
            }
            "active-defrag-threshold-lower" => {
                self.defrag.threshold_lower_percent = num(name, value)?
            }
            "active-defrag-ignore-bytes" => self.defrag.ignore_bytes = num(name, value)?,
            "activedefrag" => {
                self.defrag.enabled = match value {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(SettingError::BadValue(name.into(), value.into())),
                }
            }
            "shardis-paused-until" => self.paused_until_ms = num(name, value)?,
            "tracking-table-max-keys" => self.tracking_table_max_keys = num(name, value)?,
            _ => return Err(SettingError::Unknown(name.into())),
        }
        Ok(())
    }

    /// The `CONFIG GET` text of `name`, if it is one of these settings.
    pub fn get(&self, name: &str) -> Option<String> {
        let e = &self.encoding;
        Some(match name {
            "hash-max-listpack-entries" => e.hash_max_listpack_entries.to_string(),
            "hash-max-listpack-value" => e.hash_max_listpack_value.to_string(),
            "set-max-intset-entries" => e.set_max_intset_entries.to_string(),
            "set-max-listpack-entries" => e.set_max_listpack_entries.to_string(),
            "set-max-listpack-value" => e.set_max_listpack_value.to_string(),
            "zset-max-listpack-entries" => e.zset_max_listpack_entries.to_string(),
            "zset-max-listpack-value" => e.zset_max_listpack_value.to_string(),
            "list-max-listpack-size" => e.list_max_listpack_size.to_string(),
            "hll-sparse-max-bytes" => e.hll_sparse_max_bytes.to_string(),
            "stream-node-max-bytes" => e.stream_node_max_bytes.to_string(),
            "stream-node-max-entries" => e.stream_node_max_entries.to_string(),
            "proto-max-bulk-len" => e.proto_max_bulk_len.to_string(),
            "save" => self
                .save
                .iter()
                .map(|p| format!("{} {}", p.seconds, p.changes))
                .collect::<Vec<_>>()
                .join(" "),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "slowlog-log-slower-than" => self.slowlog_log_slower_than_us.to_string(),
            "slowlog-max-len" => self.slowlog_max_len.to_string(),
            "latency-monitor-threshold" => self.latency_monitor_threshold_ms.to_string(),
            "notify-keyspace-events" => common::notify::to_text(self.notify_keyspace_events),
            "maxmemory" => self.eviction.maxmemory.to_string(),
            "maxmemory-policy" => self.eviction.policy.name().to_string(),
            "maxmemory-samples" => self.eviction.samples.to_string(),
            "lfu-log-factor" => self.eviction.lfu_log_factor.to_string(),
            "lfu-decay-time" => self.eviction.lfu_decay_time.to_string(),
            "databases" => self.databases.to_string(),
            "tracking-table-max-keys" => self.tracking_table_max_keys.to_string(),
            "activedefrag" => if self.defrag.enabled { "yes" } else { "no" }.to_string(),
            "active-defrag-threshold-lower" => self.defrag.threshold_lower_percent.to_string(),
            "active-defrag-ignore-bytes" => self.defrag.ignore_bytes.to_string(),
            _ => return None,
        })
    }

    /// A copy with every `(name, value)` pair set, or the first refusal.
    pub fn with<'a>(
        &self,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Settings, SettingError> {
        let mut next = self.clone();
        for (name, value) in pairs {
            next.set(name, value)?;
        }
        Ok(next)
    }
}

/// Which `CONFIG SET` last set each setting: the proxy process it came
/// from (its epoch) and the change's number in that process. Two `CONFIG
/// SET`s racing through different workers' rings may reach a shard in
/// either order; applying a change only when it is newer than the one in
/// force leaves every shard with the value the proxy stored last.
#[derive(Debug, Default)]
struct Stamps {
    epoch: u64,
    last: HashMap<String, u64>,
}

thread_local! {
    static CURRENT: RefCell<Settings> = RefCell::new(Settings::default());
    static STAMPS: RefCell<Stamps> = RefCell::new(Stamps::default());
}

/// Whether change `seq` of proxy `epoch` to `name` is newer than the one
/// in force (a new proxy's changes always are).
pub fn is_newer(epoch: u64, seq: u64, name: &str) -> bool {
    STAMPS.with(|s| {
        let s = s.borrow();
        s.epoch != epoch || s.last.get(name).is_none_or(|&last| seq > last)
    })
}

/// Records that change `seq` of proxy `epoch` set `names`.
pub fn stamp<'a>(epoch: u64, seq: u64, names: impl IntoIterator<Item = &'a str>) {
    STAMPS.with(|s| {
        let mut s = s.borrow_mut();
        if s.epoch != epoch {
            s.epoch = epoch;
            s.last.clear();
        }
        for n in names {
            s.last.insert(n.to_string(), seq);
        }
    })
}

/// The settings in force on this thread.
pub fn current() -> Settings {
    CURRENT.with(|c| c.borrow().clone())
}

/// Puts `s` in force on this thread.
pub fn install(s: Settings) {
    CURRENT.with(|c| *c.borrow_mut() = s);
}

/// `activedefrag` and its thresholds in force.
pub fn defrag() -> Defrag {
    CURRENT.with(|c| c.borrow().defrag)
}

/// The eviction settings in force.
pub fn eviction() -> Eviction {
    CURRENT.with(|c| c.borrow().eviction)
}

/// The encoding thresholds in force (what the types read per insert).
pub fn encoding() -> Encoding {
    CURRENT.with(|c| c.borrow().encoding)
}

/// Reads `f` of the settings in force without copying them all.
pub fn with<T>(f: impl FnOnce(&Settings) -> T) -> T {
    CURRENT.with(|c| f(&c.borrow()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_ones_the_proxy_shows() {
        let s = Settings::default();
        for (name, default) in common::wire::SHARD_SETTINGS {
            if matches!(*name, "appendonly" | "appendfsync") {
                continue;
            }
            assert_eq!(s.get(name).as_deref(), Some(*default), "{name}");
        }
    }

    #[test]
    fn every_shard_setting_round_trips_and_bad_values_change_nothing() {
        for (name, default) in common::wire::SHARD_SETTINGS {
            if matches!(*name, "appendonly" | "appendfsync") {
                continue;
            }
            let mut s = Settings::default();
            s.set(name, default).expect("its default");
            assert_eq!(s, Settings::default(), "{name}");
            assert!(s.set(name, "not a number").is_err(), "{name}");
        }
        let s = Settings::default();
        let next = s
            .with([("save", "900 1 300 10"), ("hash-max-listpack-entries", "3")])
            .expect("valid pairs");
        assert_eq!(next.get("save").as_deref(), Some("900 1 300 10"));
        assert_eq!(next.encoding.hash_max_listpack_entries, 3);
        assert!(s.with([("slowlog-max-len", "5"), ("save", "1")]).is_err());
        assert_eq!(
            s.with([("nope", "1")]),
            Err(SettingError::Unknown("nope".into()))
        );
    }

    #[test]
    fn an_older_change_of_the_same_proxy_is_not_newer() {
        assert!(is_newer(7, 1, "save"));
        stamp(7, 5, ["save"]);
        assert!(!is_newer(7, 4, "save"));
        assert!(!is_newer(7, 5, "save"));
        assert!(is_newer(7, 6, "save"));
        assert!(is_newer(7, 1, "slowlog-max-len"), "another setting");
        assert!(is_newer(8, 1, "save"), "a restarted proxy");
        stamp(8, 1, ["save"]);
        assert!(!is_newer(8, 1, "save"));
    }

    #[test]
    fn installed_settings_are_this_threads_only() {
        let mut s = Settings::default();
        s.set("zset-max-listpack-entries", "0").expect("valid");
        install(s);
        assert_eq!(encoding().zset_max_listpack_entries, 0);
        let other = std::thread::spawn(|| encoding().zset_max_listpack_entries)
            .join()
            .expect("thread");
        assert_eq!(other, 128);
        install(Settings::default());
    }
}
