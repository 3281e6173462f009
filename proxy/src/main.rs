//! `proxy`: the shardis server. With no arguments it listens on
//! 127.0.0.1:6379 and starts its own shard processes under ./shardis-data.
//! `proxy shard ...` runs one shard process instead (see `shardd --help`).

use std::{process::ExitCode, sync::Arc};

use clap::Parser;
use proxy::{
    config::{Config, Flags},
    placement::Placement,
    server::start_workers,
    slotmap::SlotMap,
    state::Shared,
    supervisor::{shard_socket, Supervisor},
};

#[global_allocator]
static GLOBAL: common::alloc::CountingJemalloc = common::alloc::CountingJemalloc;

fn main() -> ExitCode {
    common::logging::init_logging();
    #[cfg(feature = "embedded-shard")]
    if std::env::args_os().nth(1).is_some_and(|a| a == "shard") {
        let mut args = std::env::args_os();
        let argv0 = args.next();
        let rest = args.skip(1);
        let shard_args = shardd::cli::ShardArgs::parse_from(argv0.into_iter().chain(rest));
        return match shardd::cli::run(shard_args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!("shard: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    match run(Flags::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("proxy: {e:#}");
            eprintln!("proxy: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Waits (bounded by the shard wait timeout) until every worker is attached
/// to every shard, so that "ready" means commands are served at once, not
/// held while freshly started shards come up. A shard still loading a big
/// data set past the timeout does not hold the proxy back: commands for it
/// wait their bounded time as after any shard restart.
fn wait_for_links(shared: &Shared) {
    let want = (shared.cfg.workers * shared.shard_count()) as u64;
    let deadline = std::time::Instant::now()
        + std::time::Duration::from_millis(shared.cfg.shard_wait_timeout_ms);
    while shared
        .attached_links
        .load(std::sync::atomic::Ordering::Relaxed)
        < want
    {
        if std::time::Instant::now() >= deadline {
            tracing::warn!("not every shard is attached yet; serving anyway");
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn run(flags: Flags) -> anyhow::Result<()> {
    let cfg = Config::load(&flags)?;
    // SAFETY: ignoring SIGPIPE so a closed client socket is an error, not death.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let embedded = cfg.attach.is_empty();
    std::fs::create_dir_all(&cfg.dir)?;
    // The slot map of an earlier run wins over --shards (a scale changed
    // it); with --attach it must name as many shards as sockets.
    let wanted = match embedded {
        true => cfg.shards,
        false => cfg.attach.len(),
    };
    let slots = SlotMap::open(Some(cfg.dir.join("slots.map")), wanted)
        .map_err(|e| anyhow::anyhow!("slot map: {e}"))?;
    let n = slots.shard_count();
    if embedded && n != cfg.shards {
        tracing::warn!(
            shards = n,
            asked = cfg.shards,
            "the slot map says {n} shards (a scale changed it); starting {n}"
        );
    }
    if !embedded && n != cfg.attach.len() {
        anyhow::bail!(
            "the slot map ({}) names {n} shards but --attach gave {} sockets",
            cfg.dir.join("slots.map").display(),
            cfg.attach.len()
        );
    }
    let sockets = if embedded {
        (0..n).map(|i| shard_socket(&cfg.dir, i)).collect()
    } else {
        cfg.attach.clone()
    };
    let allowed = common::cpus::allowed()?;
    let placement = Placement::plan(
        cfg.cpu_affinity,
        cfg.worker_cpus.as_deref(),
        cfg.shard_cpus.as_deref(),
        &allowed,
        cfg.workers,
        n,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    tracing::info!(
        cpus = %common::cpus::format_list(&allowed),
        placement = %placement.describe(),
        "placement"
    );
    let mut shared = Shared::new(cfg, sockets, slots);
    shared.placement = placement;
    let shared = Arc::new(shared);
    proxy::acl::load_at_start(&shared.acl, &shared.settings, &shared.cfg.users)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if shared.settings.tls_port() != 0 {
        let get = |n: &str| shared.settings.by_name(n).unwrap_or_default();
        let tls = proxy::tls::build(get).map_err(|e| anyhow::anyhow!("TLS: {e}"))?;
        shared.tls.set(tls);
    }
    if embedded {
        let cfg = &shared.cfg;
        let map = shared.slots.snapshot();
        let slots: Vec<String> = (0..map.shards)
            .map(|i| map.slots_of(i).to_ranges())
            .collect();
        let s = shared.clone();
        let sup = Supervisor::start(
            &cfg.dir,
            &slots,
            cfg.shardd_bin.as_deref(),
            Arc::new(move |id| {
                let mut args = s.settings.shard_args(s.shard_count());
                args.extend(s.placement.shard_flags(id));
                args
            }),
        )?;
        *lock(&shared.supervisor) = Some(sup);
    }
    let port = start_workers(shared.clone())?;
    wait_for_links(&shared);
    if let Some(f) = common::alloc::allocator_figures() {
        shared
            .startup_allocated
            .store(f.allocated, std::sync::atomic::Ordering::Relaxed);
    }
    tracing::info!(
        port,
        shards = shared.shard_count(),
        "ready to accept connections"
    );
    match shared.cfg.tls_only {
        true => println!("shardis ready on TLS port {}", shared.settings.tls_port()),
        false => println!("shardis ready on port {port}"),
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        // A signal asks worker 0 to stop the server as Redis does on one
        // (snapshots first per `shutdown-on-sigterm`/`-sigint` and the save
        // points); a second signal while that runs stops at once. If
        // the snapshots fail, the server goes on, as Redis's does.
        loop {
            let param = tokio::select! {
                _ = tokio::signal::ctrl_c() => "shutdown-on-sigint",
                _ = term.recv() => "shutdown-on-sigterm",
                _ = shared.shutdown.notified() => break,
            };
            let mut under_way = lock(&shared.signal_stop);
            if under_way.is_some() {
                tracing::warn!("a second signal during the shutdown: stopping now");
                break;
            }
            *under_way = Some(shared.settings.by_name(param).unwrap_or_default());
            drop(under_way);
            shared.signal_bell.notify_one();
        }
        anyhow::Ok(())
    })?;
    tracing::info!("shutting down");
    if let Some(mut s) = lock(&shared.supervisor).take() {
        s.shutdown();
    }
    std::process::exit(0);
}
