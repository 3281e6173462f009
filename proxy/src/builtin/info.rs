//! `INFO [section ...]` and `CONFIG RESETSTAT`: the proxy's figures, and
//! for the sections that need them the shards' (`SHARDD.INFO`), merged
//! ([`crate::merge::info`]). INFO of sections the proxy alone knows
//! (`server`, `clients`, `replication`, `cluster`) does not ask the
//! shards.

use std::sync::atomic::Ordering;

use common::{
    alloc,
    table::Cmd,
    usage::{cpu_time, total_system_memory},
};

use super::Call;
use crate::{
    link::Req,
    merge::{
        info::{info_text, InfoMerge, InfoWhat, LatencyTracking, ProxyInfo, Section, Sections},
        MergeKind,
    },
    rates::Metric,
    send::to_all,
    worker::Worker,
};

/// Runs `INFO`.
pub async fn run(call: Call<'_, '_>) {
    let sections = Sections::parse(&call.argv[1..]);
    if !sections.need_shards() {
        let text = info_text(sections, &proxy_info(call.w), &[]);
        return call.reply(|r| r.verbatim(text.as_bytes()));
    }
    let mut args: Vec<&[u8]> = Vec::new();
    if sections.has(Section::Commandstats) {
        args.push(b"commandstats");
    }
    if sections.has(Section::Latencystats) {
        args.push(b"latencystats");
    }
    ask_shards(call, InfoWhat::Info(sections), &args).await;
}

/// Sends `SHARDD.INFO args...` to every shard and answers `what` from
/// their parts and the proxy's figures.
pub async fn ask_shards(call: Call<'_, '_>, what: InfoWhat, args: &[&[u8]]) {
    let merge = InfoMerge {
        proxy: proxy_info(call.w),
        what,
    };
    let req = Req::internal(Cmd::SharddInfo, call.session.proto);
    let mut argv: Vec<&[u8]> = vec![b"SHARDD.INFO"];
    argv.extend_from_slice(args);
    let kind = MergeKind::Info(Box::new(merge));
    to_all(call.w, req, call.to, &argv, kind, None).await;
}

/// The proxy's own figures now.
fn proxy_info(w: &Worker) -> ProxyInfo {
    let s = &w.shared;
    let n = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    // Before the fields below: `clients` holds the clients' lock until the
    // whole expression ends.
    let clients_memory = super::client::clients_memory(s);
    ProxyInfo {
        scaling: crate::migrate::info_lines(s) + &s.colocate.info_lines(),
        port: n(&s.port),
        uptime_secs: s.started.elapsed().as_secs(),
        run_id: s.intro.run_id.clone(),
        replid: s.intro.replid.clone(),
        executable: std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        config_file: s
            .cfg
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        clients: s.clients().len(),
        blocked_clients: s.stats.blocked.load(std::sync::atomic::Ordering::Relaxed)
            + s.client_pause.waiting() as u64,
        pubsub: [
            s.pubsub.len(crate::pubsub::Kind::Channel),
            s.pubsub.len(crate::pubsub::Kind::Pattern),
            s.pubsub.len(crate::pubsub::Kind::Shard),
        ],
        tracking: (s.tracking.clients(), s.tracking.prefixes()),
        cached_scripts: s.scripts.len(),
        scripts_bytes: s.scripts.bytes(),
        maxclients: s.settings.maxclients(),
        maxmemory: {
            let get = |name| {
                crate::params::index_of(name)
                    .map(|i| s.settings.get(i))
                    .unwrap_or_default()
            };
            (
                get("maxmemory").parse().unwrap_or(0),
                get("maxmemory-policy"),
            )
        },
        alloc: alloc::allocator_figures().unwrap_or_default(),
        startup_allocated: n(&s.startup_allocated),
        clients_memory,
        rates: (
            s.rates.rate(Metric::Commands),
            s.rates.rate(Metric::NetInput),
            s.rates.rate(Metric::NetOutput),
        ),
        rss: alloc::rss_bytes(),
        total_system_memory: total_system_memory(),
        allocations: alloc::allocations(),
        connections: n(&s.stats.connections),
        commands: n(&s.stats.commands),
        rejected: n(&s.stats.rejected),
        net_input_bytes: n(&s.stats.net_input_bytes),
        net_output_bytes: n(&s.stats.net_output_bytes),
        reads: n(&s.stats.reads),
        writes: n(&s.stats.writes),
        ring_rounds: n(&s.stats.ring_rounds),
        ring_requests: n(&s.stats.ring_requests),
        tx_whole: n(&s.stats.tx_whole),
        stray_rounds: n(&s.stats.stray_rounds),
        placement: s.placement.describe(),
        cpu: cpu_time(),
        cmds: s.intro.command_stats(),
        latency_tracking: match s.settings.latency_percentiles() {
            Some(percentiles) => LatencyTracking {
                on: true,
                percentiles,
            },
            None => LatencyTracking {
                on: false,
                percentiles: Vec::new(),
            },
        },
        peak_memory: s.intro.peak_memory.clone(),
    }
}

/// `CONFIG RESETSTAT`: the proxy forgets its counters and command
/// statistics, and every shard its own (`SHARDD.RESETSTAT`); the slow log
/// and the latency monitor stay, as in Redis.
pub async fn resetstat(call: Call<'_, '_>) {
    let s = &call.w.shared;
    s.stats.reset();
    s.rates.reset();
    s.intro.reset_command_stats();
    let req = Req::internal(Cmd::SharddResetstat, call.session.proto);
    let argv: [&[u8]; 1] = [b"SHARDD.RESETSTAT"];
    to_all(call.w, req, call.to, &argv, MergeKind::AllOk, None).await;
}
