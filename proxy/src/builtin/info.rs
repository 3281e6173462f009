//! `INFO [section ...]`: the proxy's sections, then the shards' (from
//! `SHARDD.INFO`: persistence, keyspace, keys per shard), merged
//! ([`crate::merge::info`]).

use std::sync::atomic::Ordering;

use common::table::{Cmd, REDIS_VERSION};

use super::Call;
use crate::{
    link::Req,
    merge::{info::ProxyFigures, MergeKind},
    send::to_all,
    worker::Worker,
};

/// Runs `INFO`.
pub async fn run(call: Call<'_, '_>) {
    let (head, proxy) = info_head(call.w);
    let sections = call.argv[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let kind = MergeKind::Info {
        head,
        proxy,
        sections,
    };
    let req = Req::internal(Cmd::SharddInfo, call.session.proto);
    to_all(call.w, req, call.to, &[&b"SHARDD.INFO"[..]], kind).await;
}

fn info_head(w: &Worker) -> (String, ProxyFigures) {
    let s = &w.shared;
    let uptime = s.started.elapsed().as_secs();
    let clients = s.clients().len();
    let (allocated, _) = common::alloc::jemalloc_stats().unwrap_or((0, 0));
    let head = format!(
        "# Server\r\nredis_version:{REDIS_VERSION}\r\nredis_mode:standalone\r\nshardis_version:{}\r\nos:{}\r\narch_bits:64\r\nprocess_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{uptime}\r\nuptime_in_days:{}\r\n\r\n\
         # Clients\r\nconnected_clients:{clients}\r\nmaxclients:{}\r\n\r\n",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::process::id(),
        s.port.load(Ordering::Relaxed),
        uptime / 86_400,
        s.settings.maxclients(),
    );
    let figures = ProxyFigures {
        used_memory: allocated,
        rss: common::alloc::rss_bytes(),
        allocations: common::alloc::allocations(),
        connections: s.stats.connections.load(Ordering::Relaxed),
        commands: s.stats.commands.load(Ordering::Relaxed),
        rejected: s.stats.rejected.load(Ordering::Relaxed),
    };
    (head, figures)
}
