//! The internal commands through which the proxy reads and resets what
//! this shard measures. Clients cannot name them (the table marks them
//! internal); the proxy sends them to every shard and merges the answers
//! with its own figures. The settings the measurements follow (the slow
//! log's and the latency monitor's thresholds) are changed by
//! `SHARDD.CONFIG` (`crate::persist::admin`) and read from
//! `crate::settings`.
//!
//! - `SHARDD.INFO [commandstats] [latencystats]`: `name:value` lines: keys,
//!   memory, CPU, lookups, persistence (`persist::admin::info`), error
//!   codes, and per-command counters (and histograms) when asked.
//! - `SHARDD.SLOWLOG GET count|LEN|RESET`: the slow log (`GET -1`: all),
//!   entries as `common::slowlog::write_wire` writes them.
//! - `SHARDD.LATENCY EVENTS|RESET [event ...]`: the latency monitor
//!   (`common::latency::write_wire`); `RESET` answers the names it reset.
//! - `SHARDD.RESETSTAT`: forgets counters (`CONFIG RESETSTAT`).

use std::fmt::Write as _;

use common::{latency, slowlog, table::Cmd, usage::cpu_time};

use crate::{
    keyspace::Keyspace,
    persist::{admin, dir::DataDir},
    reply::Reply,
    stats::Stats,
};

/// An internal command of this module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Introspect {
    /// `SHARDD.INFO`.
    Info,
    /// `SHARDD.SLOWLOG`.
    Slowlog,
    /// `SHARDD.LATENCY`.
    Latency,
    /// `SHARDD.RESETSTAT`.
    ResetStat,
    /// `SHARDD.ACLLOG`.
    AclLog,
}

/// The introspection command `id`, if it is one.
pub const fn command(id: Cmd) -> Option<Introspect> {
    Some(match id {
        Cmd::SharddInfo => Introspect::Info,
        Cmd::SharddSlowlog => Introspect::Slowlog,
        Cmd::SharddLatency => Introspect::Latency,
        Cmd::SharddResetstat => Introspect::ResetStat,
        Cmd::SharddAcllog => Introspect::AclLog,
        _ => return None,
    })
}

/// What the introspection commands read and change.
pub struct Parts<'a> {
    /// The keyspace (keys, memory, lookups).
    pub ks: &'a mut Keyspace,
    /// The data directory, if the shard keeps one.
    pub dir: Option<&'a DataDir>,
    /// The measurements.
    pub stats: &'a mut Stats,
}

/// Runs command `kind` (the request's id) if it is an introspection
/// command; false if it is not (the caller runs it).
pub fn try_run(p: Parts<'_>, kind: u16, args: &[&[u8]], out: &mut Reply) -> bool {
    match Cmd::from_u16(kind).and_then(command) {
        Some(cmd) => {
            run(cmd, p, args, out);
            true
        }
        None => false,
    }
}

/// Runs `cmd` with `args` (name first).
pub fn run(cmd: Introspect, p: Parts<'_>, args: &[&[u8]], out: &mut Reply) {
    match cmd {
        Introspect::Info => {
            let wants = |w: &str| {
                args.iter()
                    .skip(1)
                    .any(|a| a.eq_ignore_ascii_case(w.as_bytes()))
            };
            let text = info(&p, wants("commandstats"), wants("latencystats"));
            out.bulk(text.as_bytes());
        }
        Introspect::Slowlog => slowlog_cmd(p.stats, args, out),
        Introspect::Latency => latency_cmd(p.stats, args, out),
        Introspect::ResetStat => {
            p.stats.reset();
            p.ks.reset_stats();
            out.ok();
        }
        Introspect::AclLog => {
            // Oldest first: `reason object username at_ms origin` each.
            let refusals = std::mem::take(&mut p.stats.acl_refusals);
            out.array(refusals.len() * 5);
            for r in &refusals {
                out.bulk(r.reason.as_bytes());
                out.bulk(&r.object);
                out.bulk(&r.username);
                out.int(r.at_ms as i64);
                out.int(r.origin as i64);
            }
        }
    }
}

/// This shard's `SHARDD.INFO` text.
fn info(p: &Parts<'_>, commands: bool, histograms: bool) -> String {
    let mut s = String::with_capacity(2048);
    let mut line = |name: &str, v: &dyn std::fmt::Display| {
        let _ = write!(s, "{name}:{v}\r\n");
    };
    let ks = &*p.ks;
    line("process_id", &std::process::id());
    let sizes = ks.db_sizes();
    line("keys", &sizes.iter().map(|d| d.1).sum::<usize>());
    line("expires", &sizes.iter().map(|d| d.2).sum::<usize>());
    // Each database with keys: `db<n>:keys=..,expires=..` once merged.
    for (db, keys, expires) in &sizes {
        line(&format!("db{db}_keys"), keys);
        line(&format!("db{db}_expires"), expires);
    }
    let mem = ks.memory_stats();
    // The pack heap's chunks (`keyspace/pack.rs`) hold the packed arenas
    // (counted in `entry_bytes`) and free bytes: the arenas' slack too.
    let packed = crate::keyspace::pack::figures();
    let pack_free = packed.held - packed.live;
    let alloc = crate::alloc::allocator_figures().unwrap_or_default();
    line("used_memory", &alloc.allocated);
    line("allocator_active", &alloc.active);
    line("allocator_resident", &alloc.resident);
    line("used_memory_rss", &crate::alloc::rss_bytes());
    line(
        "keyspace_bytes",
        &(mem.entry_bytes + pack_free + mem.table_bytes + mem.expiry_index_bytes),
    );
    line("keyspace_table_bytes", &mem.table_bytes);
    // Where the arenas' bytes go (`ops/bench --memory`'s accounting).
    line("keyspace_entry_live_bytes", &mem.entry_live_bytes);
    line("keyspace_entry_dead_bytes", &mem.entry_dead_bytes);
    line(
        "keyspace_entry_slack_bytes",
        &(mem.entry_bytes + pack_free - mem.entry_live_bytes - mem.entry_dead_bytes),
    );
    line("keyspace_expiry_bytes", &mem.expiry_index_bytes);
    line("active_defrag_running", &u8::from(ks.defrag.running()));
    line("active_defrag_hits", &ks.defrag.hits);
    line("active_defrag_misses", &ks.defrag.misses);
    line("active_defrag_key_hits", &ks.defrag.key_hits);
    line("active_defrag_key_misses", &ks.defrag.key_misses);
    let (defrag_ms, defrag_now_ms) = ks.defrag.time_ms(ks.now_ms());
    line("total_active_defrag_time", &defrag_ms);
    line("current_active_defrag_time", &defrag_now_ms);
    line("expired_keys", &ks.expired_total());
    line("expired_time_cap_reached_count", &ks.expire_cap_reached());
    line(
        "expire_cycle_cpu_milliseconds",
        &(p.stats.expire_cycle_us / 1000),
    );
    line("evicted_keys", &ks.evicted_total());
    let (ev, used) = ks.eviction();
    line("maxmemory_share", &ev.maxmemory);
    line("maxmemory_used", &used);
    let (exceeded_ms, exceeded_now_ms) = p.stats.eviction_exceeded.millis();
    line("total_eviction_exceeded_time", &exceeded_ms);
    line("current_eviction_exceeded_time", &exceeded_now_ms);
    line("used_memory_startup", &p.stats.startup_allocated);
    let (hits, misses) = ks.lookups();
    line("keyspace_hits", &hits);
    line("keyspace_misses", &misses);
    line("total_allocations", &crate::alloc::allocations());
    line("lua_memory", &p.stats.lua_bytes);
    line("functions_vm_memory", &p.stats.functions_vm_bytes);
    let (libraries, functions, code) = p.stats.functions;
    line("number_of_libraries", &libraries);
    line("number_of_functions", &functions);
    line("used_memory_functions", &code);
    let cpu = cpu_time();
    line("used_cpu_sys_us", &cpu.sys_us);
    line("used_cpu_user_us", &cpu.user_us);
    line("used_cpu_sys_children_us", &cpu.children_sys_us);
    line("used_cpu_user_children_us", &cpu.children_user_us);
    line("slowlog_len", &p.stats.slowlog.len());
    let (live, locked, waiting) = p.stats.xtx;
    line("tx_live", &live);
    line("tx_locked_keys", &locked);
    line("tx_waiting", &waiting);
    line("tracking_total_keys", &p.stats.tracking.0);
    line("tracking_total_items", &p.stats.tracking.1);
    if let Some(dir) = p.dir {
        s.push_str(&admin::info(dir));
    }
    p.stats
        .cmds
        .write_lines(&mut s, commands || histograms, histograms);
    s
}

fn slowlog_cmd(stats: &mut Stats, args: &[&[u8]], out: &mut Reply) {
    let sub = args.get(1).copied().unwrap_or(b"");
    if sub.eq_ignore_ascii_case(b"get") {
        let count = match args.get(2).map(|c| common::num::parse_i64(c)) {
            None => usize::MAX,
            Some(Some(n)) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            Some(Some(-1)) => usize::MAX,
            Some(_) => return out.error("ERR count should be greater than or equal to -1"),
        };
        let entries: Vec<_> = stats.slowlog.newest(count).collect();
        slowlog::write_wire(out, &entries);
    } else if sub.eq_ignore_ascii_case(b"len") {
        out.int(stats.slowlog.len() as i64);
    } else if sub.eq_ignore_ascii_case(b"reset") {
        stats.slowlog.reset();
        out.ok();
    } else {
        out.error("ERR unknown SHARDD.SLOWLOG subcommand");
    }
}

fn latency_cmd(stats: &mut Stats, args: &[&[u8]], out: &mut Reply) {
    let sub = args.get(1).copied().unwrap_or(b"");
    if sub.eq_ignore_ascii_case(b"events") {
        latency::write_wire(out, &stats.latency);
    } else if sub.eq_ignore_ascii_case(b"reset") {
        let gone = stats.latency.reset(args.get(2..).unwrap_or(&[]));
        out.array(gone.len());
        for n in gone {
            out.bulk(n.as_bytes());
        }
    } else {
        out.error("ERR unknown SHARDD.LATENCY subcommand");
    }
}

#[cfg(test)]
mod tests {
    use common::{reply::Proto, resp_value};

    use super::*;

    struct Shard {
        ks: Keyspace,
        stats: Stats,
    }

    impl Shard {
        fn call(&mut self, cmd: &str) -> Vec<u8> {
            let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
            let id = match args[0] {
                b"SHARDD.INFO" => Cmd::SharddInfo,
                b"SHARDD.SLOWLOG" => Cmd::SharddSlowlog,
                b"SHARDD.LATENCY" => Cmd::SharddLatency,
                _ => Cmd::SharddResetstat,
            };
            let mut out = Vec::new();
            let parts = Parts {
                ks: &mut self.ks,
                dir: None,
                stats: &mut self.stats,
            };
            run(
                command(id).expect("introspection"),
                parts,
                &args,
                &mut Reply::new(&mut out, Proto::Resp2),
            );
            out
        }
    }

    #[test]
    fn the_proxy_reads_and_resets_counts_and_logs_through_internal_commands() {
        let mut sh = Shard {
            ks: Keyspace::new(),
            stats: Stats::new(),
        };
        let settings = crate::settings::Settings {
            slowlog_log_slower_than_us: 0,
            latency_monitor_threshold_ms: 1,
            ..Default::default()
        };
        sh.stats.set_limits(&settings);
        sh.stats.begin();
        sh.stats
            .end(Some(Cmd::Set), 0, &[b"SET", b"k", b"v"], 4, b"+OK\r\n");
        sh.stats.latency.add("command", 100, 250);
        let info = String::from_utf8(sh.call("SHARDD.INFO latencystats")).expect("text");
        for want in [
            "keys:0\r\n",
            "used_cpu_user_us:",
            "cmdstat_set:calls=1,",
            "cmdhist_set:",
        ] {
            assert!(info.contains(want), "{want} in {info}");
        }
        let plain = String::from_utf8(sh.call("SHARDD.INFO")).expect("text");
        assert!(!plain.contains("cmdstat_"), "{plain}");
        let log = sh.call("SHARDD.SLOWLOG GET 10");
        let (v, _) = resp_value::parse(&log).expect("a reply");
        let entries = slowlog::parse_wire(&v).expect("entries");
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].client, 4);
        assert_eq!(
            sh.call("SHARDD.SLOWLOG GET -2"),
            b"-ERR count should be greater than or equal to -1\r\n"
        );
        assert_eq!(sh.call("SHARDD.SLOWLOG LEN"), b":1\r\n");
        assert_eq!(sh.call("SHARDD.SLOWLOG RESET"), b"+OK\r\n");
        assert_eq!(sh.call("SHARDD.SLOWLOG LEN"), b":0\r\n");
        let ev = sh.call("SHARDD.LATENCY EVENTS");
        let (v, _) = resp_value::parse(&ev).expect("a reply");
        assert_eq!(latency::parse_wire(&v), Some(sh.stats.latency.clone()));
        assert_eq!(sh.call("SHARDD.LATENCY RESET nope"), b"*0\r\n");
        assert_eq!(sh.call("SHARDD.LATENCY RESET"), b"*1\r\n$7\r\ncommand\r\n");
        assert_eq!(sh.call("SHARDD.RESETSTAT"), b"+OK\r\n");
        let info = String::from_utf8(sh.call("SHARDD.INFO commandstats")).expect("text");
        assert!(!info.contains("cmdstat_set"), "{info}");
    }
}
