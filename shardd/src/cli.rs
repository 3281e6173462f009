//! The shard process's command line and start-up, shared by the `shardd`
//! binary and by `proxy shard ...` (the proxy re-executes itself as a shard
//! when no `shardd` binary sits next to it, so `cargo run -p proxy` alone
//! gives a working server).

use std::{path::PathBuf, sync::atomic::Ordering};

use clap::Parser;

use crate::{
    keyspace::Keyspace,
    persist::{aof::Fsync, dir},
    script::STOP,
    server::{Engine, Shard, ShardConfig},
    settings,
};

// STOP (`crate::script::STOP`) is set by SIGINT/SIGTERM; the loop
// notices within one expiry interval, a running script at its next look.

/// A shardis shard process.
#[derive(Parser, Debug, Clone)]
#[command(name = "shardd", version, about)]
pub struct ShardArgs {
    /// This shard's id.
    #[arg(long, default_value_t = 0)]
    pub id: u32,
    /// Data directory (created if missing).
    #[arg(long, default_value = "shardis-data/shard-0")]
    pub dir: PathBuf,
    /// Control socket path; defaults to DIR/shard.sock.
    #[arg(long)]
    pub control_socket: Option<PathBuf>,
    /// Largest request or reply record in bytes (Redis's proto-max-bulk-len).
    #[arg(long, default_value_t = 512 << 20)]
    pub max_record_bytes: usize,
    /// Keep an append-only log of every write (yes|no).
    #[arg(long, default_value = "yes")]
    pub appendonly: String,
    /// When the log is made durable: always (before each reply), everysec, no.
    #[arg(long, default_value = "everysec")]
    pub appendfsync: String,
    /// A `CONFIG` parameter the shard applies, as NAME=VALUE with the value
    /// as `CONFIG GET` shows it (`save`, `hash-max-listpack-entries`, ...;
    /// see `shardd::settings`); repeatable.
    #[arg(long = "config", value_name = "NAME=VALUE")]
    pub config: Vec<String>,
    /// The slots this shard owns, as `0-8191,9000` (`-` for none), when
    /// its data directory does not say yet (`DIR/slots`, which wins).
    #[arg(long)]
    pub slots: Option<String>,
    /// The CPUs this shard runs on, as `0-3,6` (default: wherever the
    /// kernel puts it; the proxy passes its placement).
    #[arg(long)]
    pub cpus: Option<String>,
    /// Idle polls of the rings before the shard parks (0 when it shares
    /// a core with its proxy worker or the clients).
    #[arg(long, default_value_t = crate::server::SPIN_ROUNDS)]
    pub spin_rounds: u32,
}

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

pub use common::logging::init_logging;

/// Runs a shard until SIGINT or SIGTERM.
pub fn run(args: ShardArgs) -> anyhow::Result<()> {
    let appendonly = match args.appendonly.to_ascii_lowercase().as_str() {
        "yes" => true,
        "no" => false,
        other => anyhow::bail!("--appendonly must be yes or no, not '{other}'"),
    };
    let Some(policy) = Fsync::parse(&args.appendfsync) else {
        anyhow::bail!("--appendfsync must be always, everysec or no");
    };
    let pairs = args
        .config
        .iter()
        .map(|c| {
            c.split_once('=')
                .ok_or_else(|| anyhow::anyhow!("--config {c}: NAME=VALUE expected"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    // In force before the data loads: what it builds follows them.
    settings::install(
        settings::Settings::default()
            .with(pairs)
            .map_err(|e| anyhow::anyhow!("--config: {e}"))?,
    );
    // Placed before any thread starts: they inherit it.
    if let Some(list) = &args.cpus {
        let cpus = common::cpus::parse_list(list).map_err(|e| anyhow::anyhow!("--cpus: {e}"))?;
        common::cpus::pin_current_thread(&cpus)
            .map_err(|e| anyhow::anyhow!("--cpus {list}: cannot run there: {e}"))?;
    }
    // Lock first: a second shard on the same directory must not touch it.
    let lock = dir::lock(&args.dir)?;
    let control_socket = args
        .control_socket
        .unwrap_or_else(|| args.dir.join("shard.sock"));
    // SAFETY: installs an async-signal-safe handler that only stores an atomic.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let cfg = ShardConfig {
        id: args.id,
        control_socket,
        max_record_bytes: args.max_record_bytes,
        spin_rounds: args.spin_rounds,
    };
    let mut ks = Keyspace::new();
    ks.set_databases(settings::with(|s| s.databases));
    let started = std::time::Instant::now();
    // What the process holds once set up, before its data.
    let startup_allocated = crate::alloc::allocator_figures().map_or(0, |f| f.allocated);
    let aof = appendonly.then_some(policy);
    let (data_dir, stats) = dir::DataDir::open(&args.dir, lock, aof, &mut ks)?;
    tracing::info!(
        id = cfg.id,
        snapshot_gen = stats.snapshot_gen,
        snapshot_keys = stats.snapshot_keys,
        commands = stats.commands,
        keys = stats.keys,
        torn_bytes = stats.torn_bytes,
        ms = started.elapsed().as_millis() as u64,
        "loaded data"
    );
    let initial = match &args.slots {
        Some(s) => Some(
            common::slotset::SlotSet::parse(s.as_bytes())
                .ok_or_else(|| anyhow::anyhow!("--slots {s}: ranges like 0-8191,9000 expected"))?,
        ),
        None => None,
    };
    let mut engine = Engine::new(ks, Some(data_dir));
    engine.stats.startup_allocated = startup_allocated;
    engine.owned = crate::slots::Owned::load(Some(&args.dir), initial)?;
    let mut shard = Shard::new(cfg.clone(), engine)?;
    tracing::info!(id = cfg.id, socket = %cfg.control_socket.display(), "shard ready");
    shard.run(&STOP)?;
    tracing::info!(id = cfg.id, "shard stopped");
    Ok(())
}
