//! Process-wide state every worker shares: the configuration, the
//! parameters in force, the slot table, the registry of connected
//! clients, the counters and the proxy's own command measurements.
//!
//! Below everything that serves requests: it knows nothing of
//! connections' tasks, links or commands.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Instant,
};

use common::slot::key_slot;
use tokio::sync::Notify;

pub use crate::handle::{ClientHandle, ClientInfo, ConnFigures, UNBLOCK_ERROR, UNBLOCK_TIMEOUT};
use crate::{
    config::Config,
    listen::Handover,
    params::{self, Settings},
    stats::Introspection,
};

/// How often the coarse clock ([`Shared::now_ms`]) moves: Redis's default
/// `hz` 10 updates its cached time as often.
pub const CLOCK_TICK_MS: u64 = 100;

/// Counters for `INFO stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Commands processed.
    pub commands: AtomicU64,
    /// Connections refused (maxclients).
    pub rejected: AtomicU64,
    /// Clients in a blocking command's wait (`blocked_clients`).
    pub blocked: AtomicU64,
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Reads from client sockets.
    pub reads: AtomicU64,
    /// Writes to client sockets.
    pub writes: AtomicU64,
    /// Publishes of a request ring that carried requests (one per shard
    /// per worker round at most).
    pub ring_rounds: AtomicU64,
    /// Requests those publishes carried: `ring_requests / ring_rounds` is
    /// the batch a shard gets per round.
    pub ring_requests: AtomicU64,
    /// Transactions taken whole from one read (`crate::whole_tx`).
    pub tx_whole: AtomicU64,
    /// Rounds of commands that reached keys they do not name on other
    /// shards, each a transaction over their shards
    /// (`crate::xtx::straying`).
    pub stray_rounds: AtomicU64,
}

impl Stats {
    /// Forgets the counters (`CONFIG RESETSTAT`).
    pub fn reset(&self) {
        for c in [
            &self.connections,
            &self.commands,
            &self.rejected,
            &self.net_input_bytes,
            &self.net_output_bytes,
            &self.reads,
            &self.writes,
            &self.ring_rounds,
            &self.ring_requests,
            &self.tx_whole,
            &self.stray_rounds,
        ] {
            c.store(0, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// State shared by every worker thread.
pub struct Shared {
    /// Start-up settings.
    pub cfg: Config,
    /// The `CONFIG` parameters in force.
    pub settings: Settings,
    /// Control socket of each shard, in shard order (grows with a
    /// scale-out; embedded shards only).
    sockets: Mutex<Vec<PathBuf>>,
    /// Which shard owns each slot, durable (`crate::slotmap`).
    pub slots: crate::slotmap::SlotMap,
    /// Holds new commands while slots move (`crate::migrate`).
    pub pause: crate::pause::Pause,
    /// `CLIENT PAUSE` (`crate::client_pause`).
    pub client_pause: crate::client_pause::ClientPause,
    /// The scale in progress and its figures (`crate::migrate`).
    pub scale: crate::pause::Scale,
    /// Slots that keep needing each other, brought to one shard
    /// (`crate::colocate`).
    pub colocate: crate::colocate::Colocate,
    /// The embedded shard processes (none with `--attach`).
    pub supervisor: Mutex<Option<crate::supervisor::Supervisor>>,
    /// Connected clients.
    pub clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    /// Next `CLIENT ID`.
    pub next_client_id: AtomicU64,
    /// Counters.
    pub stats: Stats,
    /// Their instantaneous rates, sampled by the clock thread.
    pub rates: crate::rates::Rates,
    /// Bytes the proxy had allocated once ready (`used_memory_startup`).
    pub startup_allocated: AtomicU64,
    /// Command statistics, slow log and latency monitor of the commands
    /// the proxy answers (their thresholds are in `settings`).
    pub intro: Introspection,
    /// Process start.
    pub started: Instant,
    /// Milliseconds since `started`, as of the last clock tick.
    clock_ms: AtomicU64,
    /// Notified once the server is to stop now (`SHUTDOWN`, or a signal
    /// after its snapshots: `builtin::server::stop_server`).
    pub shutdown: Notify,
    /// A signal's stop request for worker 0 (`builtin::server::on_signals`):
    /// the `shutdown-on-sigterm`/`-sigint` flags in force when it came.
    pub signal_stop: Mutex<Option<String>>,
    /// Rung when `signal_stop` is set.
    pub signal_bell: Notify,
    /// The port actually bound (after port 0).
    pub port: AtomicU64,
    /// Links (worker to shard) attached now.
    pub attached_links: AtomicU64,
    /// New listeners for the workers (`CONFIG SET port`).
    pub listeners: Handover,
    /// This process among proxies (its start in Unix nanoseconds): the
    /// shards tell a restarted proxy's `CONFIG SET`s from this one's.
    pub epoch: u64,
    /// Next id of a transaction over several shards: the start in Unix
    /// milliseconds times 2^20, counting up, so ids never repeat across
    /// restarts (a proxy would need a million transactions per
    /// millisecond of uptime to run into its successor's).
    pub next_txid: AtomicU64,
    /// Keeps plain commands over several shards and transactions over
    /// several shards from overlapping.
    pub gate: Arc<crate::gate::Gate>,
    /// The script cache (EVAL, SCRIPT LOAD; lost on restart, as Redis's).
    pub scripts: crate::script_cache::Cache,
    /// Every connection's subscriptions (`crate::pubsub`).
    pub pubsub: crate::pubsub::PubSub,
    /// The clients tracking keys (`CLIENT TRACKING`).
    pub tracking: crate::tracking::Registry,
    /// The monitoring clients (MONITOR).
    pub monitors: crate::monitor::Monitors,
    /// The users and the ACL log (`crate::acl`).
    pub acl: crate::acl::Acl,
    /// The TLS configuration new TLS clients get (`crate::tls`).
    pub tls: crate::tls::Tls,
    /// Where the workers and the shards run (set at start).
    pub placement: crate::placement::Placement,
}

impl Shared {
    /// The password new connections must AUTH with, if any.
    pub fn requirepass(&self) -> Option<String> {
        self.settings.requirepass()
    }

    /// Shared state for `cfg` with shards reached through `sockets`
    /// and slots as `slots` says. The parameters start at their defaults,
    /// then what `cfg` gives them.
    pub fn new(cfg: Config, sockets: Vec<PathBuf>, slots: crate::slotmap::SlotMap) -> Shared {
        let dir = std::path::absolute(&cfg.dir).unwrap_or_else(|_| cfg.dir.clone());
        let workers = cfg.workers;
        let colocate_after = cfg.colocate_after;
        let mut initial = cfg.params.clone();
        for (name, value) in [
            ("port", cfg.port.to_string()),
            ("bind", cfg.bind.clone()),
            ("dir", dir.display().to_string()),
            ("io-threads", cfg.workers.to_string()),
        ] {
            if let Some(i) = params::index_of(name) {
                initial.push((i, value));
            }
        }
        Shared {
            settings: Settings::new(&initial),
            cfg,
            sockets: Mutex::new(sockets),
            slots,
            pause: Default::default(),
            client_pause: Default::default(),
            scale: Default::default(),
            colocate: crate::colocate::Colocate::new(colocate_after),
            supervisor: Mutex::new(None),
            clients: Mutex::new(HashMap::new()),
            next_client_id: AtomicU64::new(1),
            stats: Stats::default(),
            rates: Default::default(),
            startup_allocated: AtomicU64::new(0),
            intro: Introspection::new(),
            started: Instant::now(),
            clock_ms: AtomicU64::new(0),
            shutdown: Notify::new(),
            signal_stop: Mutex::new(None),
            signal_bell: Notify::new(),
            port: AtomicU64::new(0),
            attached_links: AtomicU64::new(0),
            placement: Default::default(),
            listeners: Handover::new(workers),
            epoch: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64),
            next_txid: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_millis() as u64)
                    << 20,
            ),
            gate: Arc::default(),
            pubsub: Default::default(),
            tracking: Default::default(),
            monitors: Default::default(),
            scripts: crate::script_cache::Cache::default(),
            acl: crate::acl::Acl::default(),
            tls: crate::tls::Tls::default(),
        }
    }

    /// A coarse clock: milliseconds since start as of the last
    /// [`Shared::tick`] (every [`CLOCK_TICK_MS`]), read with a load where a
    /// connection notes its reads and writes, as Redis reads its cached
    /// `unixtime` rather than the system clock.
    pub fn now_ms(&self) -> u64 {
        self.clock_ms.load(Ordering::Relaxed)
    }

    /// Moves the coarse clock to now, and samples the counters' rates
    /// ([`crate::rates`]).
    pub fn tick(&self) {
        let now = self.started.elapsed().as_millis() as u64;
        self.clock_ms.store(now, Ordering::Relaxed);
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        self.rates.sample(
            now,
            [
                n(&self.stats.commands),
                n(&self.stats.net_input_bytes),
                n(&self.stats.net_output_bytes),
            ],
        );
    }

    /// Records the port the listeners bound (`--port 0` picks one).
    pub fn set_port(&self, port: u16) {
        self.port.store(port as u64, Ordering::Relaxed);
        if let Some(i) = params::index_of("port") {
            self.settings.store(&[(i, port.to_string())]);
        }
    }

    /// The shard that owns `key`.
    #[inline]
    pub fn shard_of(&self, key: &[u8]) -> usize {
        self.slots.owner(key_slot(key))
    }

    /// Number of shards.
    #[inline]
    pub fn shard_count(&self) -> usize {
        self.slots.shard_count()
    }

    /// The control socket of shard `i`: the one given for it, else (a
    /// shard a scale-out adds) its place in the data directory.
    pub fn socket(&self, i: usize) -> PathBuf {
        let sockets = self.sockets.lock().unwrap_or_else(|p| p.into_inner());
        match sockets.get(i) {
            Some(s) => s.clone(),
            None => crate::supervisor::shard_socket(&self.cfg.dir, i),
        }
    }

    /// Locks the client registry (a poisoned lock is still usable).
    pub fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ClientHandle>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(args: &[String], name: &str) -> Option<String> {
        let i = args.iter().position(|a| a == name)?;
        args.get(i + 1).cloned()
    }

    #[test]
    fn shards_started_later_get_the_settings_in_force() {
        let mut cfg = Config::default();
        cfg.apply_file("appendonly no\nhash-max-ziplist-entries 7\n")
            .expect("a valid file");
        let shared = Shared::new(
            cfg,
            vec![PathBuf::from("/nonexistent")],
            crate::slotmap::SlotMap::open(None, 1).expect("a fresh map"),
        );
        let args = shared.settings.shard_args(1);
        assert_eq!(flag(&args, "--appendfsync").as_deref(), Some("everysec"));
        assert_eq!(flag(&args, "--appendonly").as_deref(), Some("no"));
        assert!(
            args.contains(&"hash-max-listpack-entries=7".to_string()),
            "{args:?}"
        );
        // Only what differs from the default rides along.
        assert!(!args.iter().any(|a| a.starts_with("zset-max")), "{args:?}");
        let fsync = params::index_of("appendfsync").expect("appendfsync");
        shared.settings.store(&[(fsync, "always".into())]);
        let args = shared.settings.shard_args(1);
        assert_eq!(flag(&args, "--appendfsync").as_deref(), Some("always"));
    }

    #[test]
    fn the_start_up_values_are_what_config_get_shows() {
        let mut cfg = Config {
            workers: 3,
            ..Config::default()
        };
        cfg.apply_file("requirepass pw\n").expect("a valid file");
        let shared = Shared::new(
            cfg,
            vec![PathBuf::from("/nonexistent")],
            crate::slotmap::SlotMap::open(None, 1).expect("a fresh map"),
        );
        assert_eq!(shared.requirepass().as_deref(), Some("pw"));
        assert_eq!(shared.settings.by_name("io-threads").as_deref(), Some("3"));
        shared.set_port(4321);
        assert_eq!(shared.settings.by_name("port").as_deref(), Some("4321"));
        assert_eq!(shared.settings.maxclients(), 10_000);
        assert_eq!(shared.settings.proto_max_bulk_len(), 512 << 20);
    }
}
