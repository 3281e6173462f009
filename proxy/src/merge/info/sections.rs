//! INFO's sections, each written for the whole server from the proxy's
//! figures and the shards' merged parts ([`super::Whole`]), in Redis's
//! field order.

use std::fmt::Write as _;

use common::{
    table::{self, REDIS_VERSION},
    usage::seconds_text,
};

use super::{
    field, human, merge_field, percentile_name, ratio, Fields, ProxyInfo, Whole, PERSISTENCE_FIELDS,
};

/// Appends `name:value\r\n`.
pub(super) fn kv(t: &mut String, name: &str, v: impl std::fmt::Display) {
    let _ = write!(t, "{name}:{v}\r\n");
}

pub(super) fn server(t: &mut String, p: &ProxyInfo) {
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

pub(super) fn clients(t: &mut String, p: &ProxyInfo) {
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

pub(super) fn memory(t: &mut String, w: &Whole<'_>) {
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

pub(super) fn persistence(t: &mut String, w: &Whole<'_>) {
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

pub(super) fn stats(t: &mut String, w: &Whole<'_>) {
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

pub(super) fn replication(t: &mut String, p: &ProxyInfo) {
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

pub(super) fn cpu(t: &mut String, w: &Whole<'_>) {
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

pub(super) fn commandstats(t: &mut String, w: &Whole<'_>) {
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

pub(super) fn errorstats(t: &mut String, w: &Whole<'_>) {
    t.push_str("# Errorstats\r\n");
    for (code, n) in w.cmds.errors() {
        kv(t, &format!("errorstat_{code}"), format!("count={n}"));
    }
}

pub(super) fn latencystats(t: &mut String, w: &Whole<'_>) {
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

pub(super) fn keyspace(t: &mut String, w: &Whole<'_>) {
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

pub(super) fn shards(t: &mut String, w: &Whole<'_>) {
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
