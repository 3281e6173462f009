//! What the proxy measures about the commands it answers itself. The
//! thresholds it logs them by (`slowlog-log-slower-than`,
//! `slowlog-max-len`, `latency-monitor-threshold`) are parameters in force
//! ([`crate::params::Settings`]), which every shard applies too.
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
    sync::{atomic::AtomicU64, Arc, Mutex, MutexGuard},
};

use common::{
    cmdstats::CmdStats,
    latency::LatencyMonitor,
    slowlog::{Client, SlowLog},
    table::{
        flags::{F_FAST, F_SKIP_SLOWLOG},
        Cmd, CommandSpec,
    },
};

use crate::params::Settings;

/// Departed clients remembered so that slow log entries of the shards can
/// still name them.
pub const DEPARTED_CLIENTS_MAX: usize = 1024;

/// Locks `m`, using a poisoned lock as is (the data stays consistent: every
/// critical section here is a few field updates).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The proxy's measurements.
pub struct Introspection {
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
        Introspection {
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

    /// A command the proxy answered took `ns`: logs it in the slow log and
    /// the latency monitor if it was slow enough by the thresholds in
    /// `settings`. `who` gives the client's id, address and name, asked
    /// only when the slow log keeps the entry.
    pub fn after_command(
        &self,
        settings: &Settings,
        spec: &CommandSpec,
        argv: &[&[u8]],
        ns: u64,
        who: impl FnOnce() -> (u64, String, Vec<u8>),
    ) {
        let us = ns / 1000;
        let slower_than = settings.slowlog_log_slower_than_us();
        if slower_than >= 0 && us >= slower_than as u64 && !spec.has_flag(F_SKIP_SLOWLOG) {
            let args = redacted(spec.id, argv);
            let max_len = settings.slowlog_max_len();
            let (id, addr, name) = who();
            let client = Client {
                id,
                addr: addr.as_bytes(),
                name: &name,
            };
            lock(&self.slowlog).record(&args, us, client, slower_than, max_len);
        }
        let threshold = settings.latency_monitor_threshold_ms();
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
        // Its rules may hold passwords: every argument after the name.
        Cmd::AclSetuser => out
            .iter_mut()
            .skip(3)
            .for_each(|a| *a = Cow::Borrowed(REDACTED)),
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
    fn slow_commands_are_logged_by_the_thresholds_in_force() {
        let intro = Introspection::new();
        let settings = Settings::new(&[]);
        let spec = Cmd::Ping.spec();
        let client = || (1, "127.0.0.1:1".to_string(), b"n".to_vec());
        intro.after_command(&settings, spec, &[b"ping"], 5_000, client);
        assert_eq!(lock(&intro.slowlog).len(), 0, "under 10 ms");
        let index = |n| crate::params::index_of(n).expect("a parameter");
        settings.store(&[
            (index("slowlog-log-slower-than"), "0".into()),
            (index("latency-monitor-threshold"), "1".into()),
        ]);
        intro.after_command(&settings, spec, &[b"ping"], 5_000_000, client);
        assert_eq!(lock(&intro.slowlog).len(), 1);
        assert!(lock(&intro.latency).series("fast-command").is_some());
        settings.store(&[(index("slowlog-log-slower-than"), "-1".into())]);
        intro.after_command(&settings, spec, &[b"ping"], 5_000_000, client);
        assert_eq!(lock(&intro.slowlog).len(), 1, "the slow log is off");
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
