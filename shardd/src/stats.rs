//! What a shard measures about the commands it runs: calls, time, errors
//! and a latency histogram per command (`INFO commandstats`,
//! `latencystats`, `errorstats`, `LATENCY HISTOGRAM`), the slow log and the
//! latency monitor. The proxy asks for them with internal commands
//! (`crate::introspect`) and merges them with its own and the other
//! shards'. The slow log and the latency monitor follow the thresholds in
//! force (`crate::settings`, which `CONFIG SET` changes through
//! `SHARDD.CONFIG` and a restarted shard gets from `--config`); the shard's
//! loop passes them to [`Stats::end`].
//!
//! A command's time runs from the end of the previous command of the same
//! batch (or, for a batch's first command, from its start) to its reply
//! being queued: reading its record, executing it, logging it, copying the
//! reply. So timing costs one clock read per command (`clock_gettime`
//! through the vDSO, about 20 ns), one more per batch, no syscall and no
//! allocation: the counters are a fixed array indexed by the command's id,
//! a command's histogram is allocated at its first call. Only a command
//! slower than `slowlog-log-slower-than` (or the latency threshold)
//! allocates, for its slow log entry.

use common::{
    cmdstats::CmdStats,
    latency::LatencyMonitor,
    slowlog::{Client, SlowLog},
    table::{flags::F_FAST, Cmd},
    wire::REQ_FLAG_PART,
};

use crate::settings::Settings;

/// A shard's measurements.
#[derive(Debug, Default)]
pub struct Stats {
    /// Per-command counters, histograms and error codes.
    pub cmds: CmdStats,
    /// The slow log.
    pub slowlog: SlowLog,
    /// The latency monitor.
    pub latency: LatencyMonitor,
    /// Transactions over several shards as of the last measurement:
    /// `(holding locks here, keys locked, requests waiting)`.
    pub xtx: (usize, usize, usize),
    /// Bytes of EVAL's Lua state as of the last measurement.
    pub lua_bytes: u64,
    /// Bytes of the function libraries' Lua state, likewise.
    pub functions_vm_bytes: u64,
    /// The tracking table as of the last measurement: `(keys, items)`.
    pub tracking: (usize, usize),
    /// `redis.call`s of scripts refused by their caller's ACL rules, not
    /// yet handed to the proxy's `ACL LOG` (`SHARDD.ACLLOG`); at most
    /// [`ACL_REFUSALS_MAX`].
    pub acl_refusals: Vec<AclRefusal>,
    /// The next command ending was refused before it ran.
    pub reject_next: bool,
    /// Microseconds active expiry cycles took (`expire_cycle_cpu_milliseconds`).
    pub expire_cycle_us: u64,
    /// Time over `maxmemory` that eviction could not end
    /// (`total_eviction_exceeded_time`, `current_eviction_exceeded_time`).
    pub eviction_exceeded: Exceeded,
    /// Bytes the process had allocated once set up, before loading its
    /// data (`used_memory_startup`).
    pub startup_allocated: u64,
    /// Function libraries, their functions and their code's bytes, as of
    /// the last measurement (`number_of_libraries`, `number_of_functions`,
    /// `used_memory_functions`).
    pub functions: (usize, usize, usize),
    /// The next command ending fails with an error counted already (a
    /// script passing on its inner command's): a failed call, no second
    /// error count.
    pub quiet_error: bool,
    /// When the previous command of this batch finished.
    mark: Option<u64>,
    /// The slow log's and the latency monitor's thresholds, read from the
    /// settings once per batch (not once per command).
    limits: Limits,
}

/// Most script refusals a shard keeps for the proxy (Redis's default
/// `acllog-max-len`; the proxy folds and trims them into its log).
pub const ACL_REFUSALS_MAX: usize = 128;

/// A `redis.call` refused by the ACL rules of the script's caller.
#[derive(Debug, Clone)]
pub struct AclRefusal {
    /// `command`, `key` or `channel`.
    pub reason: &'static str,
    /// The command, key or channel refused.
    pub object: Vec<u8>,
    /// The caller's user.
    pub username: Vec<u8>,
    /// Unix milliseconds.
    pub at_ms: u64,
    /// The caller's client id.
    pub origin: u64,
}

/// The thresholds [`Stats::end`] compares a command's time with.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// `slowlog-log-slower-than` in ns (`u64::MAX`: off).
    slow_ns: u64,
    /// `latency-monitor-threshold` in ns (`u64::MAX`: off).
    latency_ns: u64,
    /// `slowlog-log-slower-than` as set (µs; negative: off).
    slow_us: i64,
    /// `slowlog-max-len`.
    slow_max_len: u64,
    /// `latency-monitor-threshold` in ms.
    latency_ms: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::from(&Settings::default())
    }
}

impl From<&Settings> for Limits {
    fn from(s: &Settings) -> Limits {
        let slow_us = s.slowlog_log_slower_than_us;
        let latency_ms = s.latency_monitor_threshold_ms;
        Limits {
            slow_ns: u64::try_from(slow_us).map_or(u64::MAX, |us| us.saturating_mul(1000)),
            latency_ns: match latency_ms {
                0 => u64::MAX,
                ms => ms.saturating_mul(1_000_000),
            },
            slow_us,
            slow_max_len: s.slowlog_max_len,
            latency_ms,
        }
    }
}

impl Stats {
    /// Empty measurements.
    pub fn new() -> Stats {
        common::ticks::init();
        Stats::default()
    }

    /// A new batch of requests begins: the next command's time starts when
    /// it does, not when the last command of the previous batch ended.
    #[inline]
    pub fn new_batch(&mut self) {
        self.mark = None;
        self.limits = crate::settings::with(|s| Limits::from(s));
    }

    /// Compares the next commands' times with `settings`' thresholds (the
    /// shard's loop takes them from the settings in force at each batch).
    pub fn set_limits(&mut self, settings: &Settings) {
        self.limits = Limits::from(settings);
    }

    /// A command begins (reads the clock only for a batch's first one).
    #[inline]
    pub fn begin(&mut self) {
        if self.mark.is_none() {
            self.mark = Some(common::ticks::now());
        }
    }

    /// Command `id` (sent with request `flags`, by client `origin`, with
    /// arguments `argv`) has queued `reply`: counts it, and logs it if it
    /// was slow. The proxy's internal commands are not counted.
    #[inline]
    pub fn end(&mut self, id: Option<Cmd>, flags: u8, argv: &[&[u8]], origin: u64, reply: &[u8]) {
        let now = common::ticks::now();
        let ns = common::ticks::ns_between(self.mark.unwrap_or(now), now);
        self.mark = Some(now);
        let Some(id) = id.filter(|id| !id.is_internal()) else {
            return;
        };
        if std::mem::take(&mut self.reject_next) {
            // Refused before it ran (`-OOM`): a rejected call, as Redis
            // counts one.
            self.cmds.rejected(id);
            self.cmds.error_reply(reply);
            return;
        }
        if flags & REQ_FLAG_PART != 0 {
            self.cmds.time_only(id, ns);
        } else {
            self.cmds.call(id, ns);
        }
        let quiet = std::mem::take(&mut self.quiet_error);
        if matches!(reply.first(), Some(b'-' | b'!')) {
            self.cmds.failed(id);
            if !quiet {
                self.cmds.error_reply(reply);
            }
        }
        if ns >= self.limits.slow_ns.min(self.limits.latency_ns) {
            self.slow(id, argv, ns, origin);
        }
    }

    /// Ends a command that counts for nothing (a call of a script's run
    /// that is put back): the next command's time starts here.
    pub fn end_uncounted(&mut self) {
        self.mark = Some(common::ticks::now());
        self.reject_next = false;
        self.quiet_error = false;
    }

    /// Logs a slow command in the slow log and the latency monitor, as
    /// their thresholds ask (off the hot path).
    #[cold]
    fn slow(&mut self, id: Cmd, argv: &[&[u8]], ns: u64, origin: u64) {
        use common::table::flags::F_SKIP_SLOWLOG;
        let (l, us) = (self.limits, ns / 1000);
        if ns >= l.slow_ns && !id.spec().has_flag(F_SKIP_SLOWLOG) {
            let client = Client {
                id: origin,
                ..Client::default()
            };
            self.slowlog
                .record(argv, us, client, l.slow_us, l.slow_max_len);
        }
        if ns >= l.latency_ns {
            let event = if id.spec().has_flag(F_FAST) {
                "fast-command"
            } else {
                "command"
            };
            self.latency.record(event, us / 1000, l.latency_ms);
        }
    }

    /// Forgets the counters, histograms and error codes (`CONFIG
    /// RESETSTAT`; the slow log and the latency monitor stay, as in Redis).
    pub fn reset(&mut self) {
        self.cmds.reset();
        self.expire_cycle_us = 0;
        self.eviction_exceeded.reset();
    }
}

/// A stretch of time a condition held, and what earlier ones added up to
/// (Redis's `stat_last_eviction_exceeded_time` and its total).
#[derive(Debug, Default)]
pub struct Exceeded {
    since: Option<std::time::Instant>,
    ended: std::time::Duration,
}

impl Exceeded {
    /// The condition holds (now): a stretch starts unless one runs.
    pub fn holds(&mut self) {
        self.since.get_or_insert_with(std::time::Instant::now);
    }

    /// The condition no longer holds: the stretch under way (if any) ends.
    pub fn ended(&mut self) {
        if let Some(t) = self.since.take() {
            self.ended += t.elapsed();
        }
    }

    /// Milliseconds in all, and of the stretch under way (0: none).
    pub fn millis(&self) -> (u64, u64) {
        let current = self.since.map_or(0, |t| t.elapsed().as_millis() as u64);
        (self.ended.as_millis() as u64 + current, current)
    }

    /// Forgets the stretches (`CONFIG RESETSTAT`); one under way counts
    /// from now.
    fn reset(&mut self) {
        self.ended = std::time::Duration::ZERO;
        if self.since.is_some() {
            self.since = Some(std::time::Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_counted_timed_and_logged_when_slow() {
        let mut st = Stats::new();
        let mut settings = Settings {
            slowlog_log_slower_than_us: 0,
            ..Settings::default()
        };
        st.new_batch();
        st.set_limits(&settings);
        st.begin();
        st.end(Some(Cmd::Get), 0, &[b"GET", b"k"], 9, b"$-1\r\n");
        st.begin();
        st.end(
            Some(Cmd::Get),
            REQ_FLAG_PART,
            &[b"GET", b"k"],
            9,
            b"$-1\r\n",
        );
        st.begin();
        st.end(
            Some(Cmd::Incr),
            0,
            &[b"INCR", b"k"],
            9,
            b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
        );
        st.end(
            Some(Cmd::SharddInfo),
            0,
            &[b"SHARDD.INFO"],
            0,
            b"$0\r\n\r\n",
        );
        st.end(None, 0, &[b"?"], 0, b"-ERR\r\n");
        assert_eq!(st.cmds.counters(Cmd::Get).calls, 1);
        assert_eq!(st.cmds.histogram(Cmd::Get).map(|h| h.total()), Some(1));
        assert_eq!(st.cmds.counters(Cmd::Incr).failed, 1);
        assert_eq!(st.cmds.errors(), [("WRONGTYPE".to_string(), 1)]);
        assert_eq!(st.cmds.counters(Cmd::SharddInfo).calls, 0);
        assert_eq!(st.slowlog.len(), 3);
        let newest = st.slowlog.newest(1).next().expect("an entry");
        assert_eq!(
            (newest.args[0].as_slice(), newest.client),
            (&b"INCR"[..], 9)
        );
        settings.slowlog_log_slower_than_us = -1;
        st.set_limits(&settings);
        st.end(Some(Cmd::Get), 0, &[b"GET", b"k"], 9, b"$-1\r\n");
        assert_eq!(st.slowlog.len(), 3, "the slow log is off");
        st.reset();
        assert_eq!(st.cmds.counters(Cmd::Get).calls, 0);
        assert_eq!(st.slowlog.len(), 3, "RESETSTAT keeps the slow log");
    }
}
