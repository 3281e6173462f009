//! The values in force: one `CONFIG GET` text per parameter, and the few
//! the proxy reads on its paths kept as atomics, so a connection reads its
//! limits (and a command the proxy answers its slow log thresholds) with a
//! load, never a lock.

use std::sync::{
    atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
    Mutex, MutexGuard,
};

use super::{index_of, Applies, PARAMS};

/// The parameter values in force.
#[derive(Debug)]
pub struct Settings {
    /// The `CONFIG GET` text of each parameter, by index in [`PARAMS`].
    values: Mutex<Vec<String>>,
    timeout_secs: AtomicU64,
    maxclients: AtomicU64,
    busy_reply_threshold_ms: AtomicU64,
    min_replicas_to_write: AtomicU64,
    min_replicas_max_lag: AtomicU64,
    keyspace_events: AtomicBool,
    proto_max_bulk_len: AtomicU64,
    client_query_buffer_limit: AtomicU64,
    tcp_keepalive_secs: AtomicU64,
    slowlog_log_slower_than_us: AtomicI64,
    slowlog_max_len: AtomicU64,
    acllog_max_len: AtomicU64,
    latency_monitor_threshold_ms: AtomicU64,
    latency_tracking: AtomicBool,
    /// `client-output-buffer-limit`'s pubsub class: hard bytes, soft
    /// bytes, soft seconds.
    pubsub_limits: [AtomicU64; 3],
    /// The password AUTH checks (`None`: no password).
    requirepass: Mutex<Option<String>>,
    /// The number of the last change (see [`Settings::store`]).
    changes: AtomicU64,
}

impl Settings {
    /// Every parameter at its default, then `initial` (checked values, by
    /// index: the config file, the flags, what shardis set at start).
    pub fn new(initial: &[(usize, String)]) -> Settings {
        let s = Settings {
            values: Mutex::new(PARAMS.iter().map(|p| p.default.to_string()).collect()),
            timeout_secs: AtomicU64::new(0),
            maxclients: AtomicU64::new(0),
            busy_reply_threshold_ms: AtomicU64::new(0),
            min_replicas_to_write: AtomicU64::new(0),
            min_replicas_max_lag: AtomicU64::new(0),
            keyspace_events: AtomicBool::new(false),
            proto_max_bulk_len: AtomicU64::new(0),
            client_query_buffer_limit: AtomicU64::new(0),
            tcp_keepalive_secs: AtomicU64::new(0),
            slowlog_log_slower_than_us: AtomicI64::new(0),
            slowlog_max_len: AtomicU64::new(0),
            acllog_max_len: AtomicU64::new(0),
            latency_monitor_threshold_ms: AtomicU64::new(0),
            latency_tracking: AtomicBool::new(true),
            pubsub_limits: Default::default(),
            requirepass: Mutex::new(None),
            changes: AtomicU64::new(0),
        };
        let all: Vec<(usize, String)> = (0..PARAMS.len())
            .map(|i| (i, PARAMS[i].default.to_string()))
            .chain(initial.iter().cloned())
            .collect();
        s.store(&all);
        s
    }

    fn lock(&self) -> MutexGuard<'_, Vec<String>> {
        self.values.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of parameter `index`.
    pub fn get(&self, index: usize) -> String {
        self.lock().get(index).cloned().unwrap_or_default()
    }

    /// The value of the parameter named `name` (its primary name).
    pub fn by_name(&self, name: &str) -> Option<String> {
        index_of(name).map(|i| self.get(i))
    }

    /// Every value, by index.
    pub fn all(&self) -> Vec<String> {
        self.lock().clone()
    }

    /// Stores checked values and applies the proxy's part of them at once;
    /// the change's number, in the order changes are stored. The shards'
    /// part is the caller's to send, with the number: a shard skips a
    /// change older than the one it applied last, so two `CONFIG SET`s
    /// racing through different workers leave it with the later one.
    pub fn store(&self, changes: &[(usize, String)]) -> u64 {
        let mut values = self.lock();
        let number = self.changes.fetch_add(1, Ordering::Relaxed) + 1;
        for (i, v) in changes {
            if let Some(slot) = values.get_mut(*i) {
                *slot = v.clone();
            }
            let Some(p) = PARAMS.get(*i) else { continue };
            if matches!(p.applies, Applies::Proxy | Applies::ProxyAndShards) {
                self.apply(p.name, v);
            }
            if p.name == "notify-keyspace-events" {
                // The shards make the events; the proxy orders those of
                // a command over several shards (`Merge::take_events`).
                self.keyspace_events.store(!v.is_empty(), Ordering::Relaxed);
            }
        }
        number
    }

    fn apply(&self, name: &str, v: &str) {
        let n = || v.parse::<u64>().unwrap_or(0);
        match name {
            "timeout" => self.timeout_secs.store(n(), Ordering::Relaxed),
            "maxclients" => self.maxclients.store(n(), Ordering::Relaxed),
            "busy-reply-threshold" => self.busy_reply_threshold_ms.store(n(), Ordering::Relaxed),
            "min-replicas-to-write" => self.min_replicas_to_write.store(n(), Ordering::Relaxed),
            "min-replicas-max-lag" => self.min_replicas_max_lag.store(n(), Ordering::Relaxed),
            "proto-max-bulk-len" => self.proto_max_bulk_len.store(n(), Ordering::Relaxed),
            "client-query-buffer-limit" => {
                self.client_query_buffer_limit.store(n(), Ordering::Relaxed)
            }
            "requirepass" => {
                *self.requirepass.lock().unwrap_or_else(|p| p.into_inner()) =
                    (!v.is_empty()).then(|| v.to_string());
            }
            "tcp-keepalive" => self.tcp_keepalive_secs.store(n(), Ordering::Relaxed),
            "slowlog-log-slower-than" => self
                .slowlog_log_slower_than_us
                .store(v.parse().unwrap_or(0), Ordering::Relaxed),
            "slowlog-max-len" => self.slowlog_max_len.store(n(), Ordering::Relaxed),
            "acllog-max-len" => self.acllog_max_len.store(n(), Ordering::Relaxed),
            // Read as text when used (`crate::acl`).
            "acl-pubsub-default" | "aclfile" | "protected-mode" => {}
            // The TLS configuration is built from the text (`crate::tls`).
            n if n.starts_with("tls-") => {}
            "latency-monitor-threshold" => self
                .latency_monitor_threshold_ms
                .store(n(), Ordering::Relaxed),
            "latency-tracking" => self.latency_tracking.store(v == "yes", Ordering::Relaxed),
            // INFO reads the text (`Settings::latency_percentiles`).
            "latency-tracking-info-percentiles" => {}
            // Read as text when a signal comes (`builtin::server::on_signals`).
            "shutdown-on-sigterm" | "shutdown-on-sigint" => {}
            "client-output-buffer-limit" => {
                // `class hard soft seconds` groups, as CONFIG GET shows them.
                let words: Vec<&str> = v.split_whitespace().collect();
                for g in words.chunks(4) {
                    if let [class, rest @ ..] = g {
                        if *class == "pubsub" {
                            for (slot, w) in self.pubsub_limits.iter().zip(rest) {
                                slot.store(w.parse().unwrap_or(0), Ordering::Relaxed);
                            }
                        }
                    }
                }
            }
            // The listeners moved before the new port was stored.
            "port" => {}
            _ => debug_assert!(false, "no proxy code applies {name}"),
        }
    }

    /// Whether `notify-keyspace-events` asks for any event.
    #[inline]
    pub fn keyspace_events(&self) -> bool {
        self.keyspace_events.load(Ordering::Relaxed)
    }

    /// Whether writes are refused for want of good replicas: Redis's
    /// `min-replicas-to-write` with a positive `min-replicas-max-lag`,
    /// against the replicas shardis has, none.
    #[inline]
    pub fn writes_need_replicas(&self) -> bool {
        self.min_replicas_to_write.load(Ordering::Relaxed) > 0
            && self.min_replicas_max_lag.load(Ordering::Relaxed) > 0
    }

    /// A subscriber's output limits (`client-output-buffer-limit pubsub`):
    /// hard bytes, soft bytes, seconds over the soft limit (0: none).
    pub fn pubsub_limits(&self) -> (u64, u64, u64) {
        let [h, s, t] = &self.pubsub_limits;
        (
            h.load(Ordering::Relaxed),
            s.load(Ordering::Relaxed),
            t.load(Ordering::Relaxed),
        )
    }

    /// `protected-mode`.
    pub fn protected_mode(&self) -> bool {
        self.by_name("protected-mode").as_deref() != Some("no")
    }

    /// `tls-port` (0: no TLS).
    pub fn tls_port(&self) -> u16 {
        self.by_name("tls-port")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// `databases`: SELECT takes 0 to this, less one.
    pub fn databases(&self) -> usize {
        self.by_name("databases")
            .and_then(|v| v.parse().ok())
            .unwrap_or(16)
    }

    /// Idle clients are closed after this many seconds (0: never).
    pub fn timeout_secs(&self) -> u64 {
        self.timeout_secs.load(Ordering::Relaxed)
    }

    /// Most clients at once.
    pub fn maxclients(&self) -> u64 {
        self.maxclients.load(Ordering::Relaxed)
    }

    /// How long a script runs before commands for its shard are answered
    /// BUSY and SCRIPT KILL may stop it (0: never BUSY).
    pub fn busy_reply_threshold_ms(&self) -> u64 {
        self.busy_reply_threshold_ms.load(Ordering::Relaxed)
    }

    /// Largest bulk argument of a request.
    pub fn proto_max_bulk_len(&self) -> u64 {
        self.proto_max_bulk_len.load(Ordering::Relaxed)
    }

    /// Largest unparsed input a client may have buffered.
    pub fn client_query_buffer_limit(&self) -> u64 {
        self.client_query_buffer_limit.load(Ordering::Relaxed)
    }

    /// Seconds of idle before a new connection's first keep-alive probe
    /// (0: none).
    pub fn tcp_keepalive_secs(&self) -> u64 {
        self.tcp_keepalive_secs.load(Ordering::Relaxed)
    }

    /// `slowlog-log-slower-than`: commands that take at least this many
    /// microseconds go to the slow log (-1: none, 0: every one).
    pub fn slowlog_log_slower_than_us(&self) -> i64 {
        self.slowlog_log_slower_than_us.load(Ordering::Relaxed)
    }

    /// `slowlog-max-len`: the entries a slow log keeps.
    pub fn slowlog_max_len(&self) -> u64 {
        self.slowlog_max_len.load(Ordering::Relaxed)
    }

    /// `acllog-max-len`.
    pub fn acllog_max_len(&self) -> usize {
        self.acllog_max_len.load(Ordering::Relaxed) as usize
    }

    /// `latency-monitor-threshold`: latency spikes of at least this many
    /// milliseconds are recorded (0: the monitor is off).
    pub fn latency_monitor_threshold_ms(&self) -> u64 {
        self.latency_monitor_threshold_ms.load(Ordering::Relaxed)
    }

    /// The percentiles `INFO latencystats` shows
    /// (`latency-tracking-info-percentiles`), or `None` when
    /// `latency-tracking` is off (the section is then empty, as in Redis).
    pub fn latency_percentiles(&self) -> Option<Vec<f64>> {
        if !self.latency_tracking.load(Ordering::Relaxed) {
            return None;
        }
        let text = self.by_name("latency-tracking-info-percentiles")?;
        Some(
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect(),
        )
    }

    /// The password new connections must AUTH with, if any.
    pub fn requirepass(&self) -> Option<String> {
        self.requirepass
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The command line a shard started now (one of `nshards`) gets for
    /// the settings shards apply: `--appendonly` and `--appendfsync`, then
    /// `--config name=value` for every other one that differs from its
    /// default (`maxmemory` as the shard's share, [`shard_value`]).
    pub fn shard_args(&self, nshards: usize) -> Vec<String> {
        let values = self.lock();
        let mut args = Vec::new();
        for (p, v) in PARAMS.iter().zip(values.iter()) {
            if !matches!(p.applies, Applies::Shards | Applies::ProxyAndShards) {
                continue;
            }
            match p.name {
                "appendonly" | "appendfsync" => {
                    args.push(format!("--{}", p.name));
                    args.push(v.clone());
                }
                _ if v == p.default => {}
                _ => {
                    args.push("--config".into());
                    args.push(format!("{}={}", p.name, shard_value(p.name, v, nshards)));
                }
            }
        }
        args
    }
}

/// What a shard (one of `nshards`) is told for parameter `name` set to
/// `value`: `maxmemory` is the whole server's, so each shard gets an equal
/// share (keys spread evenly over the shards' slots) and evicts within
/// it; every other value as it is (a shard takes its share of
/// `tracking-table-max-keys` by its slots itself).
pub fn shard_value(name: &str, value: &str, nshards: usize) -> String {
    match (name, value.parse::<u64>()) {
        ("maxmemory", Ok(total)) if total > 0 => (total / nshards.max(1) as u64).max(1).to_string(),
        _ => value.to_string(),
    }
}
