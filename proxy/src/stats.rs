//! What the proxy measures about the commands it answers itself, and the
//! settings it shares with the shards (`slowlog-log-slower-than`,
//! `slowlog-max-len`, `latency-monitor-threshold`).
//!
//! Each worker counts its own commands in its own [`CmdStats`] (a mutex
//! nobody else takes except INFO, so uncontended: about 20 ns per command
//! the proxy answers; commands sent to shards are counted there). The slow
//! log and the latency monitor of the proxy's commands are process-wide and
//! locked only when a command was slow. Below everything that serves
//! requests, beside [`crate::state`].

use std::{
    borrow::Cow,
    collections::VecDeque,
    net::SocketAddr,
    sync::{
        atomic::{AtomicI64, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
};

use common::{
    cmdstats::CmdStats,
    latency::LatencyMonitor,
    slowlog::{Client, SlowLog},
    table::{
        flags::{F_FAST, F_SKIP_SLOWLOG},
        Cmd, CommandSpec,
    },
    wire::{shard_setting_default, SHARD_SETTINGS},
};

/// Departed clients remembered so that slow log entries of the shards can
/// still name them.
pub const DEPARTED_CLIENTS_MAX: usize = 1024;

/// Locks `m`, using a poisoned lock as is (the data stays consistent: every
/// critical section here is a few field updates).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The proxy's measurements and shared settings.
pub struct Introspection {
    slowlog_slower_than_us: AtomicI64,
    slowlog_max_len: AtomicU64,
    latency_threshold_ms: AtomicU64,
    /// The slow log of the commands the proxy answered.
    pub slowlog: Mutex<SlowLog>,
    /// The latency monitor of the commands the proxy answered.
    pub latency: Mutex<LatencyMonitor>,
    workers: Mutex<Vec<Arc<Mutex<CmdStats>>>>,
    departed: Mutex<VecDeque<(u64, String, Vec<u8>)>>,
    /// The highest memory INFO or MEMORY STATS has seen (proxy and shards).
    pub peak_memory: Arc<AtomicU64>,
    /// This process's `run_id` (40 random hex digits).
    pub run_id: String,
    /// `master_replid`: this process's replication id (40 random hex
    /// digits; nothing replicates yet).
    pub replid: String,
}

impl Default for Introspection {
    fn default() -> Self {
        Introspection::new()
    }
}

fn random_hex40() -> String {
    (0..40)
        .map(|_| char::from_digit(rand::random::<u32>() % 16, 16).unwrap_or('0'))
        .collect()
}

impl Introspection {
    /// Defaults, no measurement yet.
    pub fn new() -> Introspection {
        let d = |n| shard_setting_default(n).unwrap_or(0);
        Introspection {
            slowlog_slower_than_us: AtomicI64::new(d("slowlog-log-slower-than")),
            slowlog_max_len: AtomicU64::new(d("slowlog-max-len").max(0) as u64),
            latency_threshold_ms: AtomicU64::new(d("latency-monitor-threshold").max(0) as u64),
            slowlog: Mutex::new(SlowLog::new()),
            latency: Mutex::new(LatencyMonitor::new()),
            workers: Mutex::new(Vec::new()),
            departed: Mutex::new(VecDeque::new()),
            peak_memory: Arc::new(AtomicU64::new(0)),
            run_id: random_hex40(),
            replid: random_hex40(),
        }
    }

    /// A new worker's statistics, which INFO will find.
    pub fn register_worker(&self) -> Arc<Mutex<CmdStats>> {
        let s = Arc::new(Mutex::new(CmdStats::new()));
        lock(&self.workers).push(s.clone());
        s
    }

    /// Every worker's statistics added up.
    pub fn command_stats(&self) -> CmdStats {
        let mut sum = CmdStats::new();
        for w in lock(&self.workers).iter() {
            sum.merge(&lock(w));
        }
        sum
    }

    /// Forgets every worker's statistics (`CONFIG RESETSTAT`).
    pub fn reset_command_stats(&self) {
        for w in lock(&self.workers).iter() {
            lock(w).reset();
        }
    }

    /// The value of shard setting `name` in force.
    pub fn setting(&self, name: &str) -> Option<i64> {
        Some(match name {
            "slowlog-log-slower-than" => self.slowlog_slower_than_us.load(Ordering::Relaxed),
            "slowlog-max-len" => self.slowlog_max_len.load(Ordering::Relaxed) as i64,
            "latency-monitor-threshold" => self.latency_threshold_ms.load(Ordering::Relaxed) as i64,
            _ => return None,
        })
    }

    /// Sets shard setting `name` (checked by the caller) for the proxy.
    pub fn set_setting(&self, name: &str, v: i64) {
        match name {
            "slowlog-log-slower-than" => self.slowlog_slower_than_us.store(v, Ordering::Relaxed),
            "slowlog-max-len" => self
                .slowlog_max_len
                .store(v.max(0) as u64, Ordering::Relaxed),
            "latency-monitor-threshold" => self
                .latency_threshold_ms
                .store(v.max(0) as u64, Ordering::Relaxed),
            _ => {}
        }
    }

    /// `--set name=value` flags for a shard started now: the shard
    /// settings that differ from their defaults.
    pub fn shard_flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, _, default) in SHARD_SETTINGS {
            match self.setting(name) {
                Some(v) if v != default => {
                    out.push("--set".to_string());
                    out.push(format!("{name}={v}"));
                }
                _ => {}
            }
        }
        out
    }

    /// `slowlog-max-len` in force.
    pub fn slowlog_max_len(&self) -> u64 {
        self.slowlog_max_len.load(Ordering::Relaxed)
    }

    /// `slowlog-log-slower-than` in force.
    pub fn slowlog_slower_than_us(&self) -> i64 {
        self.slowlog_slower_than_us.load(Ordering::Relaxed)
    }

    /// `latency-monitor-threshold` in force.
    pub fn latency_threshold_ms(&self) -> u64 {
        self.latency_threshold_ms.load(Ordering::Relaxed)
    }

    /// A command the proxy answered took `ns`: logs it in the slow log and
    /// the latency monitor if it was slow enough. `who` gives the client's
    /// id, address and name, asked only when the slow log keeps the entry.
    pub fn after_command(
        &self,
        spec: &CommandSpec,
        argv: &[&[u8]],
        ns: u64,
        who: impl FnOnce() -> (u64, String, Vec<u8>),
    ) {
        let us = ns / 1000;
        let slower_than = self.slowlog_slower_than_us();
        if slower_than >= 0 && us >= slower_than as u64 && !spec.has_flag(F_SKIP_SLOWLOG) {
            let args = redacted(spec.id, argv);
            let max_len = self.slowlog_max_len();
            let (id, addr, name) = who();
            let client = Client {
                id,
                addr: addr.as_bytes(),
                name: &name,
            };
            lock(&self.slowlog).record(&args, us, client, slower_than, max_len);
        }
        let threshold = self.latency_threshold_ms();
        if threshold > 0 && us / 1000 >= threshold {
            let event = if spec.has_flag(F_FAST) {
                "fast-command"
            } else {
                "command"
            };
            lock(&self.latency).record(event, us / 1000, threshold);
        }
    }

    /// Remembers a client that disconnected (the newest
    /// [`DEPARTED_CLIENTS_MAX`]), for slow log entries the shards logged
    /// for it.
    pub fn client_departed(&self, id: u64, addr: SocketAddr, name: Vec<u8>) {
        let mut d = lock(&self.departed);
        d.push_back((id, addr.to_string(), name));
        if d.len() > DEPARTED_CLIENTS_MAX {
            d.pop_front();
        }
    }

    /// Address and name of departed client `id`, if remembered.
    pub fn departed_client(&self, id: u64) -> Option<(String, Vec<u8>)> {
        lock(&self.departed)
            .iter()
            .rev()
            .find(|(i, _, _)| *i == id)
            .map(|(_, a, n)| (a.clone(), n.clone()))
    }
}

/// Settings whose values must not show in the slow log (`CONFIG SET
/// requirepass ...`), as Redis's sensitive configs.
const SENSITIVE_SETTINGS: [&str; 3] = ["requirepass", "masterauth", "masteruser"];

/// `argv` as the slow log may show it: passwords replaced by
/// `(redacted)`, as Redis does for AUTH, HELLO ... AUTH and CONFIG SET of
/// a sensitive setting.
pub fn redacted<'a>(id: Cmd, argv: &[&'a [u8]]) -> Vec<Cow<'a, [u8]>> {
    const REDACTED: &[u8] = b"(redacted)";
    let mut out: Vec<Cow<'a, [u8]>> = argv.iter().map(|a| Cow::Borrowed(*a)).collect();
    match id {
        Cmd::Auth => out
            .iter_mut()
            .skip(1)
            .for_each(|a| *a = Cow::Borrowed(REDACTED)),
        Cmd::Hello => {
            if let Some(i) = argv.iter().position(|a| a.eq_ignore_ascii_case(b"auth")) {
                out.iter_mut()
                    .skip(i + 1)
                    .take(2)
                    .for_each(|a| *a = Cow::Borrowed(REDACTED));
            }
        }
        Cmd::ConfigSet => {
            for i in (2..argv.len()).step_by(2) {
                let sensitive = SENSITIVE_SETTINGS
                    .iter()
                    .any(|s| argv[i].eq_ignore_ascii_case(s.as_bytes()));
                if let (true, Some(v)) = (sensitive, out.get_mut(i + 1)) {
                    *v = Cow::Borrowed(REDACTED);
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(id: Cmd, args: &[&str]) -> Vec<String> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        redacted(id, &argv)
            .iter()
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect()
    }

    #[test]
    fn passwords_never_reach_the_slow_log() {
        assert_eq!(
            shown(Cmd::Auth, &["auth", "u", "p"]),
            ["auth", "(redacted)", "(redacted)"]
        );
        assert_eq!(
            shown(
                Cmd::Hello,
                &["hello", "3", "AUTH", "u", "p", "SETNAME", "n"]
            ),
            [
                "hello",
                "3",
                "AUTH",
                "(redacted)",
                "(redacted)",
                "SETNAME",
                "n"
            ]
        );
        assert_eq!(
            shown(
                Cmd::ConfigSet,
                &["config", "set", "masterauth", "x", "maxmemory", "1"]
            ),
            [
                "config",
                "set",
                "masterauth",
                "(redacted)",
                "maxmemory",
                "1"
            ]
        );
        assert_eq!(shown(Cmd::Ping, &["ping", "x"]), ["ping", "x"]);
    }

    #[test]
    fn slow_commands_are_logged_and_settings_travel_as_flags() {
        let intro = Introspection::new();
        let spec = Cmd::Ping.spec();
        let client = || (1, "127.0.0.1:1".to_string(), b"n".to_vec());
        intro.after_command(spec, &[b"ping"], 5_000, client);
        assert_eq!(lock(&intro.slowlog).len(), 0, "under 10 ms");
        intro.set_setting("slowlog-log-slower-than", 0);
        intro.set_setting("latency-monitor-threshold", 1);
        intro.after_command(spec, &[b"ping"], 5_000_000, client);
        assert_eq!(lock(&intro.slowlog).len(), 1);
        assert!(lock(&intro.latency).series("fast-command").is_some());
        assert_eq!(
            intro.shard_flags(),
            [
                "--set",
                "slowlog-log-slower-than=0",
                "--set",
                "latency-monitor-threshold=1"
            ]
        );
        assert_eq!(intro.run_id.len(), 40);
        let w = intro.register_worker();
        lock(&w).call(Cmd::Ping, 10);
        assert_eq!(intro.command_stats().counters(Cmd::Ping).calls, 1);
        intro.reset_command_stats();
        assert_eq!(intro.command_stats().counters(Cmd::Ping).calls, 0);
        intro.client_departed(9, "127.0.0.1:7".parse().expect("addr"), b"gone".to_vec());
        assert_eq!(
            intro.departed_client(9),
            Some(("127.0.0.1:7".to_string(), b"gone".to_vec()))
        );
    }
}
