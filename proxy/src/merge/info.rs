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

use std::{
    fmt::Write as _,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
};

use common::{
    alloc::AllocatorFigures,
    cmdstats::CmdStats,
    reply::Reply,
    table::{self, REDIS_VERSION},
    usage::{seconds_text, CpuTime},
};

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

/// Appends `name:value\r\n`.
fn kv(t: &mut String, name: &str, v: impl std::fmt::Display) {
    let _ = write!(t, "{name}:{v}\r\n");
}

fn server(t: &mut String, p: &ProxyInfo) {
    t.push_str("# Server\r\n");
    kv(t, "redis_version", REDIS_VERSION);
    kv(t, "redis_mode", "standalone");
    kv(t, "shardis_version", env!("CARGO_PKG_VERSION"));
    kv(t, "os", common::usage::os_name());
    kv(t, "arch_bits", usize::BITS);
    kv(t, "monotonic_clock", "POSIX clock_gettime");
    kv(t, "multiplexing_api", "epoll");
    kv(t, "process_id", std::process::id());
    kv(t, "process_supervised", "no");
    kv(t, "run_id", &p.run_id);
    kv(t, "tcp_port", p.port);
    kv(t, "server_time_usec", common::slowlog::now_us());
    kv(t, "uptime_in_seconds", p.uptime_secs);
    kv(t, "uptime_in_days", p.uptime_secs / 86_400);
    // The shards' active expiry runs every 100 ms.
    kv(t, "hz", 10);
    kv(t, "configured_hz", 10);
    // Redis's LRU clock: Unix seconds modulo 2^24 (what the shards keep
    // per key, `OBJECT IDLETIME`'s clock).
    let unix = common::slowlog::now_us() / 1_000_000;
    kv(t, "lru_clock", unix & ((1 << 24) - 1));
    kv(t, "executable", &p.executable);
    kv(t, "config_file", &p.config_file);
    // shardis: where its workers and shards run (`proxy/src/placement.rs`).
    kv(t, "shardis_placement", &p.placement);
}

fn clients(t: &mut String, p: &ProxyInfo) {
    t.push_str("# Clients\r\n");
    kv(t, "connected_clients", p.clients);
    kv(t, "cluster_connections", 0);
    kv(t, "maxclients", p.maxclients);
    kv(t, "client_recent_max_input_buffer", p.clients_memory.1);
    kv(t, "client_recent_max_output_buffer", p.clients_memory.2);
    kv(t, "blocked_clients", p.blocked_clients);
    kv(t, "tracking_clients", p.tracking.0);
    kv(t, "clients_in_timeout_table", 0);
}

fn memory(t: &mut String, w: &Whole<'_>) {
    let p = w.proxy;
    let (used, rss, peak) = (w.used(), w.rss(), w.peak());
    let (active, resident) = (w.active(), w.resident());
    t.push_str("# Memory\r\n");
    kv(t, "used_memory", used);
    kv(t, "used_memory_human", human(used));
    kv(t, "used_memory_rss", rss);
    kv(t, "used_memory_rss_human", human(rss));
    kv(t, "used_memory_peak", peak);
    kv(t, "used_memory_peak_human", human(peak));
    kv(
        t,
        "used_memory_peak_perc",
        format!("{:.2}%", 100.0 * ratio(used, peak)),
    );
    kv(t, "used_memory_overhead", w.overhead());
    // What the proxy and each shard held once set up, before any data.
    kv(
        t,
        "used_memory_startup",
        p.startup_allocated + w.sum("used_memory_startup"),
    );
    kv(t, "used_memory_dataset", w.dataset());
    kv(
        t,
        "used_memory_dataset_perc",
        format!("{:.2}%", 100.0 * ratio(w.dataset(), used)),
    );
    kv(t, "allocator_allocated", used);
    kv(t, "allocator_active", active);
    kv(t, "allocator_resident", resident);
    kv(t, "total_system_memory", p.total_system_memory);
    kv(t, "total_system_memory_human", human(p.total_system_memory));
    // The shards run the scripts, EVAL's and the functions' in two Lua
    // states each (as Redis 7 has two); the proxy caches them (EVALSHA).
    // Every shard holds every function library: the figures of one.
    let (eval_vm, functions_vm) = (w.sum("lua_memory"), w.sum("functions_vm_memory"));
    let functions_bytes = w.max("used_memory_functions");
    kv(t, "used_memory_lua", eval_vm);
    kv(t, "used_memory_vm_eval", eval_vm);
    kv(t, "used_memory_lua_human", human(eval_vm));
    kv(t, "used_memory_scripts_eval", p.scripts_bytes);
    kv(t, "number_of_cached_scripts", p.cached_scripts);
    kv(t, "number_of_functions", w.max("number_of_functions"));
    kv(t, "number_of_libraries", w.max("number_of_libraries"));
    kv(t, "used_memory_vm_functions", functions_vm);
    kv(t, "used_memory_vm_total", eval_vm + functions_vm);
    kv(
        t,
        "used_memory_vm_total_human",
        human(eval_vm + functions_vm),
    );
    kv(t, "used_memory_functions", functions_bytes);
    kv(t, "used_memory_scripts", p.scripts_bytes + functions_bytes);
    kv(
        t,
        "used_memory_scripts_human",
        human(p.scripts_bytes + functions_bytes),
    );
    kv(t, "maxmemory", p.maxmemory.0);
    kv(t, "maxmemory_human", human(p.maxmemory.0));
    kv(t, "maxmemory_policy", &p.maxmemory.1);
    kv(
        t,
        "allocator_frag_ratio",
        format!("{:.2}", ratio(active, used)),
    );
    kv(t, "allocator_frag_bytes", active.saturating_sub(used));
    kv(
        t,
        "allocator_rss_ratio",
        format!("{:.2}", ratio(resident, active)),
    );
    kv(t, "allocator_rss_bytes", resident.saturating_sub(active));
    kv(
        t,
        "rss_overhead_ratio",
        format!("{:.2}", ratio(rss, resident)),
    );
    kv(t, "rss_overhead_bytes", rss as i64 - resident as i64);
    kv(
        t,
        "mem_fragmentation_ratio",
        format!("{:.2}", ratio(rss, used)),
    );
    kv(t, "mem_fragmentation_bytes", rss as i64 - used as i64);
    // Each shard evicts within its share by what it has allocated: the
    // proxy's memory is never counted (README, "maxmemory").
    kv(t, "mem_not_counted_for_evict", p.alloc.allocated);
    // No replication: no backlog, no replica buffers; no cluster bus.
    kv(t, "mem_replication_backlog", 0);
    kv(t, "mem_total_replication_buffers", 0);
    kv(t, "mem_clients_slaves", 0);
    kv(t, "mem_clients_normal", p.clients_memory.0);
    kv(t, "mem_cluster_links", 0);
    kv(t, "mem_aof_buffer", w.sum("mem_aof_buffer"));
    kv(t, "mem_allocator", "jemalloc-5.3.0");
    // Redis shows the CPU share its defrag cycle takes while it runs;
    // shardis the number of shards with a pass under way (0: none).
    kv(t, "active_defrag_running", w.sum("active_defrag_running"));
    // UNLINK, FLUSHALL ASYNC and the like free in the shard at once (no
    // background thread): nothing is ever pending, nothing was freed
    // lazily.
    kv(t, "lazyfree_pending_objects", 0);
    kv(t, "lazyfreed_objects", 0);
    kv(t, "used_memory_proxy", p.alloc.allocated);
    kv(t, "used_memory_rss_proxy", p.rss);
    kv(t, "used_memory_shards", w.sum("used_memory"));
    // shardis: the shards' keyspaces by use (slot arenas: live entries,
    // dead ones awaiting compaction, reserved room; slot tables).
    kv(
        t,
        "keyspace_entries_bytes",
        w.sum("keyspace_entry_live_bytes"),
    );
    kv(t, "keyspace_dead_bytes", w.sum("keyspace_entry_dead_bytes"));
    kv(
        t,
        "keyspace_slack_bytes",
        w.sum("keyspace_entry_slack_bytes"),
    );
    kv(t, "keyspace_index_bytes", w.sum("keyspace_table_bytes"));
    kv(t, "used_memory_rss_shards", w.sum("used_memory_rss"));
    kv(t, "bytes_per_key_used", w.per_key(used));
    kv(t, "bytes_per_key_rss", w.per_key(rss));
}

fn persistence(t: &mut String, w: &Whole<'_>) {
    t.push_str("# Persistence\r\n");
    let shards: Vec<Fields<'_>> = w.answered().cloned().collect();
    for &(name, rule) in PERSISTENCE_FIELDS {
        if let Some(v) = merge_field(&shards, name, rule) {
            kv(t, name, v);
        }
    }
    // No modules: none forks.
    kv(t, "module_fork_in_progress", 0);
    kv(t, "module_fork_last_cow_size", 0);
}

fn stats(t: &mut String, w: &Whole<'_>) {
    let p = w.proxy;
    t.push_str("# Stats\r\n");
    kv(t, "total_connections_received", p.connections);
    kv(t, "total_commands_processed", p.commands);
    kv(t, "instantaneous_ops_per_sec", p.rates.0);
    kv(t, "total_net_input_bytes", p.net_input_bytes);
    kv(t, "total_net_output_bytes", p.net_output_bytes);
    // No replication: no replication traffic.
    kv(t, "total_net_repl_input_bytes", 0);
    kv(t, "total_net_repl_output_bytes", 0);
    let kbps = |bytes: u64| format!("{:.2}", bytes as f64 / 1024.0);
    kv(t, "instantaneous_input_kbps", kbps(p.rates.1));
    kv(t, "instantaneous_output_kbps", kbps(p.rates.2));
    kv(t, "instantaneous_input_repl_kbps", "0.00");
    kv(t, "instantaneous_output_repl_kbps", "0.00");
    kv(t, "rejected_connections", p.rejected);
    kv(t, "sync_full", 0);
    kv(t, "sync_partial_ok", 0);
    kv(t, "sync_partial_err", 0);
    kv(t, "expired_keys", w.sum("expired_keys"));
    // The shards' active expiry (every 100 ms, 2,000 keys a run at most):
    // runs that left keys due, and the time runs took.
    for f in [
        "expired_time_cap_reached_count",
        "expire_cycle_cpu_milliseconds",
    ] {
        kv(t, f, w.sum(f));
    }
    kv(t, "evicted_keys", w.sum("evicted_keys"));
    kv(t, "evicted_clients", 0);
    // Time a shard stayed over its share of `maxmemory` with nothing it
    // could evict (the longest of the shards').
    for f in [
        "total_eviction_exceeded_time",
        "current_eviction_exceeded_time",
    ] {
        kv(t, f, w.max(f));
    }
    kv(t, "keyspace_hits", w.sum("keyspace_hits"));
    kv(t, "keyspace_misses", w.sum("keyspace_misses"));
    kv(t, "pubsub_channels", w.proxy.pubsub[0]);
    kv(t, "pubsub_patterns", w.proxy.pubsub[1]);
    kv(t, "pubsubshard_channels", w.proxy.pubsub[2]);
    // The shards fork to snapshot (BGSAVE, BGREWRITEAOF).
    kv(t, "latest_fork_usec", w.max("latest_fork_usec"));
    kv(t, "total_forks", w.sum("total_forks"));
    kv(t, "migrate_cached_sockets", 0);
    kv(t, "slave_expires_tracked_keys", 0);
    // The shards' moves of slot arenas out of sparse allocator slabs
    // (shardd's keyspace/defrag.rs): an arena (a slot's keys) counts as
    // one hit or miss, its keys as key hits or misses; the time is the
    // longest of the shards' (their passes run side by side).
    for f in [
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
    ] {
        kv(t, f, w.sum(f));
    }
    for f in ["total_active_defrag_time", "current_active_defrag_time"] {
        kv(t, f, w.max(f));
    }
    kv(t, "tracking_total_keys", w.sum("tracking_total_keys"));
    kv(t, "tracking_total_items", w.sum("tracking_total_items"));
    kv(t, "tracking_total_prefixes", w.proxy.tracking.1);
    kv(t, "unexpected_error_replies", 0);
    kv(t, "total_error_replies", w.cmds.total_errors());
    kv(t, "total_reads_processed", p.reads);
    kv(t, "total_writes_processed", p.writes);
    let shards = w.sum("total_allocations");
    kv(t, "total_allocations", p.allocations + shards);
    kv(t, "total_allocations_proxy", p.allocations);
    kv(t, "total_allocations_shards", shards);
    // shardis: request-ring publishes that carried requests and how many
    // (their ratio is the batch a shard gets per round).
    kv(t, "shardis_ring_rounds", p.ring_rounds);
    kv(t, "shardis_ring_requests", p.ring_requests);
    kv(t, "shardis_tx_whole", p.tx_whole);
    // shardis: transactions run because a script (or a SORT's patterns)
    // reached keys it does not name on other shards, one per round.
    kv(t, "shardis_stray_rounds", p.stray_rounds);
    // shardis: transactions over several shards holding locks, the keys
    // they lock and the requests waiting for them (or held behind their
    // client's script call that strayed), summed over shards.
    kv(t, "shardis_tx_live", w.sum("tx_live"));
    kv(t, "shardis_tx_locked_keys", w.sum("tx_locked_keys"));
    kv(t, "shardis_tx_waiting", w.sum("tx_waiting"));
}

fn replication(t: &mut String, p: &ProxyInfo) {
    t.push_str("# Replication\r\n");
    kv(t, "role", "master");
    kv(t, "connected_slaves", 0);
    kv(t, "master_failover_state", "no-failover");
    kv(t, "master_replid", &p.replid);
    kv(t, "master_replid2", "0".repeat(40));
    kv(t, "master_repl_offset", 0);
    kv(t, "second_repl_offset", -1);
    kv(t, "repl_backlog_active", 0);
    kv(t, "repl_backlog_first_byte_offset", 0);
    kv(t, "repl_backlog_histlen", 0);
}

fn cpu(t: &mut String, w: &Whole<'_>) {
    let c = w.cpu();
    t.push_str("# CPU\r\n");
    kv(t, "used_cpu_sys", seconds_text(c.sys_us));
    kv(t, "used_cpu_user", seconds_text(c.user_us));
    kv(t, "used_cpu_sys_children", seconds_text(c.children_sys_us));
    kv(
        t,
        "used_cpu_user_children",
        seconds_text(c.children_user_us),
    );
    kv(t, "used_cpu_sys_proxy", seconds_text(w.proxy.cpu.sys_us));
    kv(t, "used_cpu_user_proxy", seconds_text(w.proxy.cpu.user_us));
}

fn commandstats(t: &mut String, w: &Whole<'_>) {
    t.push_str("# Commandstats\r\n");
    for (id, c) in w.cmds.active() {
        let usec = c.ns / 1000;
        let per_call = if c.calls == 0 {
            0.0
        } else {
            usec as f64 / c.calls as f64
        };
        let _ = write!(
            t,
            "cmdstat_{}:calls={},usec={usec},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            id.spec().name,
            c.calls,
            c.rejected,
            c.failed
        );
    }
}

fn errorstats(t: &mut String, w: &Whole<'_>) {
    t.push_str("# Errorstats\r\n");
    for (code, n) in w.cmds.errors() {
        kv(t, &format!("errorstat_{code}"), format!("count={n}"));
    }
}

fn latencystats(t: &mut String, w: &Whole<'_>) {
    t.push_str("# Latencystats\r\n");
    let tracking = &w.proxy.latency_tracking;
    if !tracking.on {
        return;
    }
    for c in table::every_entry() {
        let Some(h) = w.cmds.histogram(c.id) else {
            continue;
        };
        let values: Vec<String> = tracking
            .percentiles
            .iter()
            .map(|&p| {
                let usec = h.value_at_percentile(p) as f64 / 1000.0;
                format!("p{}={usec:.3}", percentile_name(p))
            })
            .collect();
        kv(
            t,
            &format!("latency_percentiles_usec_{}", c.name),
            values.join(","),
        );
    }
}

fn keyspace(t: &mut String, w: &Whole<'_>) {
    t.push_str("# Keyspace\r\n");
    // The databases any shard reports keys for, in order.
    let mut dbs: Vec<u64> = w
        .answered()
        .flat_map(|f| {
            f.iter()
                .filter_map(|(n, _)| n.strip_prefix("db")?.strip_suffix("_keys")?.parse().ok())
        })
        .collect();
    dbs.sort_unstable();
    dbs.dedup();
    for db in dbs {
        let keys = w.sum(&format!("db{db}_keys"));
        if keys > 0 {
            let expires = w.sum(&format!("db{db}_expires"));
            kv(
                t,
                &format!("db{db}"),
                format!("keys={keys},expires={expires},avg_ttl=0"),
            );
        }
    }
}

fn shards(t: &mut String, w: &Whole<'_>) {
    t.push_str("# Shards\r\n");
    kv(t, "shards", w.shards.len());
    for (i, f) in w.shards.iter().enumerate() {
        let Some(f) = f else {
            kv(t, &format!("shard{i}"), "status=unavailable");
            continue;
        };
        let num = |n: &str| field(f, n).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        kv(
            t,
            &format!("shard{i}"),
            format_args!(
                "pid={},keys={},expires={},used_memory={},used_memory_rss={},generation={},appendfsync={}",
                field(f, "process_id").unwrap_or("?"),
                num("keys"),
                num("expires"),
                num("used_memory"),
                num("used_memory_rss"),
                field(f, "shardd_generation").unwrap_or("?"),
                field(f, "shardd_appendfsync").unwrap_or("?"),
            ),
        );
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

use memory::{memory_doctor, memory_stats};

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
