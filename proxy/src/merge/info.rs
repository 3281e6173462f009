//! INFO, MEMORY STATS, MEMORY DOCTOR and LATENCY HISTOGRAM over the whole
//! server: the proxy's own figures ([`ProxyInfo`], taken when the command
//! arrived) merged with every shard's `SHARDD.INFO` part.
//!
//! A field merges by what it means for the whole server: counts, memory
//! and CPU time add up, "in progress" and durations take the largest, a
//! status is `err` if any shard's is, and the last save time is the oldest
//! (the time by which every shard had saved). Command statistics add up
//! command by command, latency histograms bucket by bucket (percentiles
//! are computed from the sum). A shard that did not answer is left out
//! and shown as `unavailable` in `# Shards`, so INFO still answers while a
//! shard restarts.
//!
//! Memory is the whole server's: `used_memory` is the bytes jemalloc has
//! handed out in the proxy and every shard, `used_memory_rss` their summed
//! resident memory; `bytes_per_key_rss` and `bytes_per_key_used` divide
//! them by the keys held (the figures the memory benchmark compares with
//! Redis's). The overhead is the proxy's memory and the shards' key
//! tables and expiry indexes; the rest is the dataset.
//!
//! Each INFO section's writer is in `sections`; MEMORY STATS and MEMORY
//! DOCTOR in `memory`.

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use common::{alloc::AllocatorFigures, cmdstats::CmdStats, reply::Reply, table, usage::CpuTime};

/// What `INFO latencystats` shows: `latency-tracking` and
/// `latency-tracking-info-percentiles` in force.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyTracking {
    /// `latency-tracking`: off, the section has no lines (as in Redis).
    pub on: bool,
    /// The percentiles each command's line shows, in order.
    pub percentiles: Vec<f64>,
}

impl Default for LatencyTracking {
    /// Redis's defaults: on, p50, p99 and p99.9.
    fn default() -> Self {
        LatencyTracking {
            on: true,
            percentiles: vec![50.0, 99.0, 99.9],
        }
    }
}

/// A percentile as Redis names it: `%f` without its trailing zeros
/// (`50`, `99.9`).
fn percentile_name(p: f64) -> String {
    let s = format!("{p:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// How one field combines over the shards.
#[derive(Clone, Copy)]
enum Rule {
    Sum,
    Max,
    Min,
    WorstStatus,
}

/// Fields of Redis's `# Persistence` section the shards report, in
/// Redis's order.
const PERSISTENCE_FIELDS: &[(&str, Rule)] = &[
    ("loading", Rule::Max),
    ("async_loading", Rule::Max),
    ("rdb_changes_since_last_save", Rule::Sum),
    ("rdb_bgsave_in_progress", Rule::Max),
    ("rdb_last_save_time", Rule::Min),
    ("rdb_last_bgsave_status", Rule::WorstStatus),
    ("rdb_last_bgsave_time_sec", Rule::Max),
    ("rdb_current_bgsave_time_sec", Rule::Max),
    ("rdb_saves", Rule::Sum),
    ("rdb_last_load_keys_expired", Rule::Sum),
    ("rdb_last_load_keys_loaded", Rule::Sum),
    ("aof_enabled", Rule::Max),
    ("aof_rewrite_in_progress", Rule::Max),
    ("aof_rewrite_scheduled", Rule::Max),
    ("aof_last_rewrite_time_sec", Rule::Max),
    ("aof_current_rewrite_time_sec", Rule::Max),
    ("aof_last_bgrewrite_status", Rule::WorstStatus),
    ("aof_rewrites", Rule::Sum),
    ("aof_rewrites_consecutive_failures", Rule::Max),
    ("aof_last_write_status", Rule::WorstStatus),
    ("aof_current_size", Rule::Sum),
];

/// An INFO section, in Redis's order (`Shards` is shardis's own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// `# Server`.
    Server,
    /// `# Clients`.
    Clients,
    /// `# Memory`.
    Memory,
    /// `# Persistence`.
    Persistence,
    /// `# Stats`.
    Stats,
    /// `# Replication`.
    Replication,
    /// `# CPU`.
    Cpu,
    /// `# Modules`.
    Modules,
    /// `# Commandstats`.
    Commandstats,
    /// `# Errorstats`.
    Errorstats,
    /// `# Latencystats`.
    Latencystats,
    /// `# Cluster`.
    Cluster,
    /// `# Keyspace`.
    Keyspace,
    /// `# Shards`: each shard's process, keys, memory and policy.
    Shards,
}

const ORDER: [Section; 14] = [
    Section::Server,
    Section::Clients,
    Section::Memory,
    Section::Persistence,
    Section::Stats,
    Section::Replication,
    Section::Cpu,
    Section::Modules,
    Section::Commandstats,
    Section::Errorstats,
    Section::Latencystats,
    Section::Cluster,
    Section::Keyspace,
    Section::Shards,
];

/// What plain `INFO` and `INFO default` show (Redis's defaults, and
/// `# Shards`).
const DEFAULT: [Section; 12] = [
    Section::Server,
    Section::Clients,
    Section::Memory,
    Section::Persistence,
    Section::Stats,
    Section::Replication,
    Section::Cpu,
    Section::Modules,
    Section::Errorstats,
    Section::Cluster,
    Section::Keyspace,
    Section::Shards,
];

impl Section {
    fn bit(self) -> u16 {
        1 << self as u16
    }

    /// The section a name asks for (`INFO <name>`, any case).
    fn named(name: &[u8]) -> Option<Section> {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        Some(match name.as_str() {
            "server" => Section::Server,
            "clients" => Section::Clients,
            "memory" => Section::Memory,
            "persistence" => Section::Persistence,
            "stats" => Section::Stats,
            "replication" => Section::Replication,
            "cpu" => Section::Cpu,
            "modules" | "module_list" => Section::Modules,
            "commandstats" => Section::Commandstats,
            "errorstats" => Section::Errorstats,
            "latencystats" => Section::Latencystats,
            "cluster" => Section::Cluster,
            "keyspace" => Section::Keyspace,
            "shards" => Section::Shards,
            _ => return None,
        })
    }

    /// Whether the section needs the shards' figures.
    fn needs_shards(self) -> bool {
        !matches!(
            self,
            Section::Server
                | Section::Clients
                | Section::Replication
                | Section::Modules
                | Section::Cluster
        )
    }
}

/// The sections an INFO asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sections(u16);

impl Sections {
    /// The sections `INFO args...` shows, as Redis reads them: none given
    /// or `default`: the default sections; `all` and `everything`: every
    /// section; otherwise the sections named (unknown names show nothing).
    pub fn parse(args: &[&[u8]]) -> Sections {
        let default = DEFAULT.iter().fold(0, |m, s| m | s.bit());
        if args.is_empty() {
            return Sections(default);
        }
        let mut bits = 0;
        for a in args {
            if a.eq_ignore_ascii_case(b"default") {
                bits |= default;
            } else if a.eq_ignore_ascii_case(b"all") || a.eq_ignore_ascii_case(b"everything") {
                bits |= ORDER.iter().fold(0, |m, s| m | s.bit());
            } else if let Some(s) = Section::named(a) {
                bits |= s.bit();
            }
        }
        Sections(bits)
    }

    /// Whether section `s` is asked for.
    pub fn has(self, s: Section) -> bool {
        self.0 & s.bit() != 0
    }

    /// Whether any section asked for needs the shards' figures.
    pub fn need_shards(self) -> bool {
        ORDER.iter().any(|&s| self.has(s) && s.needs_shards())
    }
}

/// The proxy's own figures, taken when the command arrived.
#[derive(Clone, Debug, Default)]
pub struct ProxyInfo {
    /// Port clients connect to.
    pub port: u64,
    /// Seconds since the proxy started.
    pub uptime_secs: u64,
    /// `run_id`.
    pub run_id: String,
    /// `master_replid`.
    pub replid: String,
    /// The proxy's executable.
    pub executable: String,
    /// The config file it started with (absolute), or empty.
    pub config_file: String,
    /// Connected clients.
    pub clients: usize,
    /// Clients in a blocking command's wait.
    pub blocked_clients: u64,
    /// Channels, patterns and shard channels with subscribers.
    pub pubsub: [usize; 3],
    /// Clients tracking keys, and distinct `BCAST` prefixes.
    pub tracking: (usize, usize),
    /// Scripts in the proxy's cache.
    pub cached_scripts: usize,
    /// Bytes of their bodies.
    pub scripts_bytes: u64,
    /// `maxclients`.
    pub maxclients: u64,
    /// `maxmemory` (the whole server's) and `maxmemory-policy`.
    pub maxmemory: (u64, String),
    /// jemalloc's figures for the proxy.
    pub alloc: AllocatorFigures,
    /// What the proxy had allocated once ready.
    pub startup_allocated: u64,
    /// The clients' memory, their largest input and output buffers
    /// (`crate::builtin::client::clients_memory`).
    pub clients_memory: (u64, u64, u64),
    /// Commands, bytes in and bytes out per second (`crate::rates`).
    pub rates: (u64, u64, u64),
    /// The proxy's resident memory.
    pub rss: u64,
    /// The machine's memory.
    pub total_system_memory: u64,
    /// Allocations made so far.
    pub allocations: u64,
    /// Connections accepted.
    pub connections: u64,
    /// Commands processed.
    pub commands: u64,
    /// Connections refused (maxclients).
    pub rejected: u64,
    /// Bytes read from clients.
    pub net_input_bytes: u64,
    /// Bytes written to clients.
    pub net_output_bytes: u64,
    /// Reads from client sockets.
    pub reads: u64,
    /// Writes to client sockets.
    pub writes: u64,
    /// Request-ring publishes that carried requests, and those requests.
    pub ring_rounds: u64,
    /// See `ring_rounds`.
    pub ring_requests: u64,
    /// Transactions taken whole from one read.
    pub tx_whole: u64,
    /// Rounds of commands that reached other shards' keys.
    pub stray_rounds: u64,
    /// `Placement::describe`.
    pub placement: String,
    /// The proxy's CPU time.
    pub cpu: CpuTime,
    /// The commands the proxy answered and refused, and its errors.
    pub cmds: CmdStats,
    /// What `# Latencystats` shows.
    pub latency_tracking: LatencyTracking,
    /// Highest memory seen so far (updated by this merge).
    pub peak_memory: Arc<AtomicU64>,
    /// The shard count and the scale in progress: `name:value` lines of
    /// `# Cluster` after `cluster_enabled` (`crate::migrate`).
    pub scaling: String,
}

/// What the merge builds.
#[derive(Clone, Debug)]
pub enum InfoWhat {
    /// `INFO` with these sections.
    Info(Sections),
    /// `MEMORY STATS`.
    MemoryStats,
    /// `MEMORY DOCTOR`.
    MemoryDoctor,
    /// `LATENCY HISTOGRAM [command ...]` (empty: every command).
    LatencyHistogram(Vec<Vec<u8>>),
}

/// A merge of `SHARDD.INFO` parts with the proxy's figures.
#[derive(Clone, Debug)]
pub struct InfoMerge {
    /// The proxy's figures.
    pub proxy: ProxyInfo,
    /// What to build.
    pub what: InfoWhat,
}

/// One shard's fields.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// Parses a shard's `name:value` lines.
pub fn parse_fields(text: &str) -> Fields<'_> {
    text.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .collect()
}

fn field<'a>(f: &Fields<'a>, name: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

fn merge_field(shards: &[Fields<'_>], name: &str, rule: Rule) -> Option<String> {
    let values: Vec<&str> = shards.iter().filter_map(|f| field(f, name)).collect();
    if values.is_empty() {
        return None;
    }
    let ints = || values.iter().filter_map(|v| v.parse::<i64>().ok());
    Some(match rule {
        Rule::Sum => ints().sum::<i64>().to_string(),
        Rule::Max => ints().max().unwrap_or(0).to_string(),
        Rule::Min => ints().min().unwrap_or(0).to_string(),
        Rule::WorstStatus => {
            let ok = values.iter().all(|v| *v == "ok");
            (if ok { "ok" } else { "err" }).to_string()
        }
    })
}

/// `n` bytes as Redis's `*_human` fields write them.
fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["K", "M", "G", "T", "P"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.2}{}", UNITS[u])
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// The server as a whole: the proxy's figures and the shards' parts.
struct Whole<'a> {
    proxy: &'a ProxyInfo,
    /// Each shard's fields (`None`: it did not answer).
    shards: Vec<Option<Fields<'a>>>,
    /// Command statistics of the proxy and every shard.
    cmds: CmdStats,
}

impl<'a> Whole<'a> {
    fn new(proxy: &'a ProxyInfo, parts: &[Option<&'a str>]) -> Whole<'a> {
        let mut cmds = proxy.cmds.clone();
        for p in parts.iter().flatten() {
            cmds.merge(&CmdStats::parse_lines(p));
        }
        Whole {
            proxy,
            shards: parts.iter().map(|p| p.map(parse_fields)).collect(),
            cmds,
        }
    }

    fn answered(&self) -> impl Iterator<Item = &Fields<'a>> {
        self.shards.iter().flatten()
    }

    /// Sum of a numeric field over the shards that answered.
    fn sum(&self, name: &str) -> u64 {
        self.answered()
            .filter_map(|f| field(f, name)?.parse::<u64>().ok())
            .sum()
    }

    /// The largest value of a numeric field over the shards that answered.
    fn max(&self, name: &str) -> u64 {
        self.answered()
            .filter_map(|f| field(f, name)?.parse::<u64>().ok())
            .max()
            .unwrap_or(0)
    }

    fn used(&self) -> u64 {
        self.proxy.alloc.allocated + self.sum("used_memory")
    }

    fn active(&self) -> u64 {
        self.proxy.alloc.active + self.sum("allocator_active")
    }

    fn resident(&self) -> u64 {
        self.proxy.alloc.resident + self.sum("allocator_resident")
    }

    fn rss(&self) -> u64 {
        self.proxy.rss + self.sum("used_memory_rss")
    }

    fn overhead(&self) -> u64 {
        self.proxy.alloc.allocated
            + self.sum("keyspace_table_bytes")
            + self.sum("keyspace_expiry_bytes")
    }

    fn dataset(&self) -> u64 {
        self.used().saturating_sub(self.overhead())
    }

    /// The highest memory seen, this reading included.
    fn peak(&self) -> u64 {
        let used = self.used();
        self.proxy
            .peak_memory
            .fetch_max(used, Ordering::Relaxed)
            .max(used)
    }

    fn cpu(&self) -> CpuTime {
        let mut cpu = self.proxy.cpu;
        cpu.add(&CpuTime {
            sys_us: self.sum("used_cpu_sys_us"),
            user_us: self.sum("used_cpu_user_us"),
            children_sys_us: self.sum("used_cpu_sys_children_us"),
            children_user_us: self.sum("used_cpu_user_children_us"),
        });
        cpu
    }

    fn per_key(&self, bytes: u64) -> String {
        match self.sum("keys") {
            0 => "0".to_string(),
            keys => format!("{:.1}", bytes as f64 / keys as f64),
        }
    }
}

/// The INFO text for `sections`: each section asked for, in Redis's order,
/// separated by a blank line (empty if none is known).
pub fn info_text(sections: Sections, proxy: &ProxyInfo, parts: &[Option<&str>]) -> String {
    let w = Whole::new(proxy, parts);
    let mut t = String::with_capacity(4096);
    for s in ORDER.into_iter().filter(|&s| sections.has(s)) {
        if !t.is_empty() {
            t.push_str("\r\n");
        }
        match s {
            Section::Server => server(&mut t, proxy),
            Section::Clients => clients(&mut t, proxy),
            Section::Memory => memory(&mut t, &w),
            Section::Persistence => persistence(&mut t, &w),
            Section::Stats => stats(&mut t, &w),
            Section::Replication => replication(&mut t, proxy),
            Section::Cpu => cpu(&mut t, &w),
            Section::Modules => t.push_str("# Modules\r\n"),
            Section::Commandstats => commandstats(&mut t, &w),
            Section::Errorstats => errorstats(&mut t, &w),
            Section::Latencystats => latencystats(&mut t, &w),
            Section::Cluster => {
                t.push_str("# Cluster\r\ncluster_enabled:0\r\n");
                t.push_str(&proxy.scaling);
            }
            Section::Keyspace => keyspace(&mut t, &w),
            Section::Shards => shards(&mut t, &w),
        }
    }
    t
}

mod memory;
mod sections;

use memory::{memory_doctor, memory_stats};
use sections::{
    clients, commandstats, cpu, errorstats, keyspace, latencystats, memory, persistence,
    replication, server, shards, stats,
};

impl InfoMerge {
    /// Writes the reply from the shards' parts (`None`: no answer).
    pub fn finish(&self, parts: &[Option<&str>], r: &mut Reply) {
        match &self.what {
            InfoWhat::Info(sections) => {
                r.verbatim(info_text(*sections, &self.proxy, parts).as_bytes())
            }
            InfoWhat::MemoryStats => memory_stats(&Whole::new(&self.proxy, parts), r),
            InfoWhat::MemoryDoctor => {
                r.verbatim(memory_doctor(&Whole::new(&self.proxy, parts)).as_bytes())
            }
            InfoWhat::LatencyHistogram(names) => {
                latency_histogram(&Whole::new(&self.proxy, parts).cmds, names, r)
            }
        }
    }
}

/// `LATENCY HISTOGRAM [command ...]`: per command, its calls and the
/// cumulative distribution of its latencies in power-of-two microsecond
/// buckets (as Redis prints it); every command with a histogram when no
/// name is given; a container's name stands for its subcommands; unknown
/// names are skipped.
fn latency_histogram(cmds: &CmdStats, names: &[Vec<u8>], r: &mut Reply) {
    let mut chosen = Vec::new();
    if names.is_empty() {
        chosen.extend(table::every_entry().map(|c| c.id));
    } else {
        for n in names {
            if let Some(c) = table::lookup_full_name(n) {
                chosen.push(c.id);
                chosen.extend(c.subcommands.iter().map(|s| s.id));
            }
        }
    }
    let with_data: Vec<_> = chosen
        .into_iter()
        .filter_map(|id| Some((id, cmds.histogram(id)?)))
        .collect();
    r.map(with_data.len());
    for (id, h) in with_data {
        r.bulk(id.spec().name.as_bytes());
        r.map(2);
        r.bulk(b"calls");
        r.int(h.total() as i64);
        r.bulk(b"histogram_usec");
        let cdf = h.cumulative_usec();
        r.map(cdf.len());
        for (bound, count) in cdf {
            r.int(bound as i64);
            r.int(count as i64);
        }
    }
}

#[cfg(test)]
mod tests;
