//! Process-wide state every worker shares: the configuration, the
//! parameters in force, the slot table, the registry of connected
//! clients, the counters and the proxy's own command measurements.
//!
//! Below everything that serves requests: it knows nothing of
//! connections' tasks, links or commands.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicU8, Ordering},
        Arc, Mutex,
    },
    time::Instant,
};

use common::{slot::key_slot, table::Cmd};
use tokio::sync::Notify;

use crate::{
    config::Config,
    listen::Handover,
    params::{self, Settings},
    stats::Introspection,
};

/// A connected client as `CLIENT LIST` and `CLIENT KILL` see it, from any
/// worker. What changes per command or per read is kept in atomics the
/// connection's task stores into (the command id once per command, the
/// buffer figures once per read round or write), so `CLIENT LIST` costs
/// the hot path no lock and no allocation.
#[derive(Debug)]
pub struct ClientHandle {
    /// `CLIENT ID`.
    pub id: u64,
    /// Peer address.
    pub addr: SocketAddr,
    /// Local address.
    pub laddr: SocketAddr,
    /// The socket's file descriptor.
    pub fd: i32,
    /// When it connected.
    pub created: Instant,
    /// Name and library (`CLIENT SETNAME`, `CLIENT SETINFO`).
    pub info: Mutex<ClientInfo>,
    /// The id of its last command (`NO_COMMAND`: none yet).
    last_cmd: AtomicU16,
    /// Its protocol version (`HELLO`).
    resp: AtomicU8,
    /// Its selected database (`CLIENT LIST`'s `db`).
    db: std::sync::atomic::AtomicU32,
    /// Its buffers, as of its last read round or write.
    pub figures: ConnFigures,
    /// Set by `CLIENT KILL`; the connection closes when it sees it.
    pub killed: AtomicBool,
    /// Wakes the connection to notice `killed`.
    pub kill: Notify,
    /// In a blocking command's wait (`CLIENT LIST` flag `b`, `CLIENT
    /// UNBLOCK`, `blocked_clients`).
    pub blocked: AtomicBool,
    /// How `CLIENT UNBLOCK` ends the wait: 0 not asked, else
    /// [`UNBLOCK_TIMEOUT`] or [`UNBLOCK_ERROR`].
    pub unblock_mode: AtomicU8,
    /// Wakes the wait to notice `unblock_mode`.
    pub unblock: Notify,
    /// Its channels, patterns and shard channels (`CLIENT LIST`'s `sub`,
    /// `psub`, `ssub`).
    pub subs: [AtomicU64; 3],
    /// The worker its connection lives on.
    pub worker: usize,
    /// Where its pub/sub messages, monitor lines and invalidations wait
    /// for its connection (`crate::pubsub`); made by another connection
    /// (an invalidation for a client that redirects here), it is taken
    /// up when the connection is woken through `kill` unkilled.
    pub mailbox: Mutex<Option<Arc<crate::pubsub::Mailbox>>>,
    /// `crate::tracking::{ON, BCAST, BROKEN}` bits (`CLIENT LIST`'s `t`,
    /// `B`, `R`).
    pub tracking: AtomicU8,
    /// Where its invalidations go (`CLIENT LIST`'s `redir`; 0: itself).
    pub redirect: AtomicU64,
}

/// [`ClientHandle::unblock_mode`]: end the wait as its timeout would.
pub const UNBLOCK_TIMEOUT: u8 = 1;
/// [`ClientHandle::unblock_mode`]: end the wait with `-UNBLOCKED`.
pub const UNBLOCK_ERROR: u8 = 2;

/// How often the coarse clock ([`Shared::now_ms`]) moves: Redis's default
/// `hz` 10 updates its cached time as often.
pub const CLOCK_TICK_MS: u64 = 100;

/// [`ClientHandle`]'s last command before any.
const NO_COMMAND: u16 = u16::MAX;

impl ClientHandle {
    /// A new connection's entry (RESP2, no name, no command yet) at
    /// [`Shared::now_ms`] `now_ms`.
    pub fn new(
        id: u64,
        addr: SocketAddr,
        laddr: SocketAddr,
        fd: i32,
        now_ms: u64,
        worker: usize,
    ) -> ClientHandle {
        let figures = ConnFigures::default();
        figures.last_interaction_ms.store(now_ms, Ordering::Relaxed);
        ClientHandle {
            id,
            addr,
            laddr,
            fd,
            created: Instant::now(),
            info: Mutex::new(ClientInfo::default()),
            last_cmd: AtomicU16::new(NO_COMMAND),
            resp: AtomicU8::new(2),
            db: std::sync::atomic::AtomicU32::new(0),
            figures,
            killed: AtomicBool::new(false),
            kill: Notify::new(),
            blocked: AtomicBool::new(false),
            unblock_mode: AtomicU8::new(0),
            unblock: Notify::new(),
            subs: Default::default(),
            worker,
            mailbox: Mutex::new(None),
            tracking: AtomicU8::new(0),
            redirect: AtomicU64::new(0),
        }
    }

    /// Records the command the connection runs now.
    pub fn set_command(&self, id: Cmd) {
        self.last_cmd.store(id as u16, Ordering::Relaxed);
    }

    /// Its last command, if any.
    pub fn last_command(&self) -> Option<Cmd> {
        Cmd::from_u16(self.last_cmd.load(Ordering::Relaxed))
    }

    /// Records its protocol version.
    pub fn set_resp(&self, version: u8) {
        self.resp.store(version, Ordering::Relaxed);
    }

    /// Sets its selected database.
    pub fn set_db(&self, db: u32) {
        self.db.store(db, Ordering::Relaxed);
    }

    /// Its selected database.
    pub fn db(&self) -> u32 {
        self.db.load(Ordering::Relaxed)
    }

    /// Its protocol version.
    pub fn resp(&self) -> u8 {
        self.resp.load(Ordering::Relaxed)
    }

    /// Milliseconds since it connected.
    pub fn age_ms(&self) -> u64 {
        self.created.elapsed().as_millis() as u64
    }

    /// Seconds from its last read or write to `now_ms` ([`Shared::now_ms`]).
    pub fn idle_secs(&self, now_ms: u64) -> u64 {
        let last = self.figures.last_interaction_ms.load(Ordering::Relaxed);
        now_ms.saturating_sub(last) / 1000
    }

    /// Notes a read or a write at `now_ms` ([`Shared::now_ms`]; for `idle`
    /// and `timeout`).
    pub fn touch(&self, now_ms: u64) {
        self.figures
            .last_interaction_ms
            .store(now_ms, Ordering::Relaxed);
    }

    /// Whether it is logged in as user `name`.
    pub fn logged_in_as(&self, name: &[u8]) -> bool {
        let info = self.info();
        match info.user.is_empty() {
            true => name == b"default",
            false => info.user == name,
        }
    }

    /// Its library name and version and its name, locked.
    pub fn info(&self) -> std::sync::MutexGuard<'_, ClientInfo> {
        self.info.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The parts of a client's description that a command changes.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// `CLIENT SETNAME`.
    pub name: Vec<u8>,
    /// `CLIENT SETINFO LIB-NAME`.
    pub lib_name: Vec<u8>,
    /// `CLIENT SETINFO LIB-VER`.
    pub lib_ver: Vec<u8>,
    /// The user it is logged in as (empty: `default`).
    pub user: Vec<u8>,
}

/// A connection's buffers as `CLIENT LIST` shows them (Redis's names).
#[derive(Debug, Default)]
pub struct ConnFigures {
    /// Waiting for the client's next bytes (what `timeout` closes).
    pub reading: AtomicBool,
    /// When it last read or was written to ([`Shared::now_ms`]).
    pub last_interaction_ms: AtomicU64,
    /// Bytes read and not yet run (`qbuf`).
    pub qbuf: AtomicU64,
    /// Free room in the read buffer (`qbuf-free`).
    pub qbuf_free: AtomicU64,
    /// Reply bytes ready to write (`obl`).
    pub obl: AtomicU64,
    /// Replies awaited or held behind an earlier one (`oll`).
    pub oll: AtomicU64,
    /// Reply bytes queued in all (`omem`).
    pub omem: AtomicU64,
    /// Size of the write buffer (`rbs`).
    pub rbs: AtomicU64,
    /// Most reply bytes ever queued at once (`rbp`).
    pub rbp: AtomicU64,
}

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
    /// The embedded shard processes (none with `--attach`).
    pub supervisor: Mutex<Option<crate::supervisor::Supervisor>>,
    /// Connected clients.
    pub clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    /// Next `CLIENT ID`.
    pub next_client_id: AtomicU64,
    /// Counters.
    pub stats: Stats,
    /// Command statistics, slow log and latency monitor of the commands
    /// the proxy answers (their thresholds are in `settings`).
    pub intro: Introspection,
    /// Process start.
    pub started: Instant,
    /// Milliseconds since `started`, as of the last clock tick.
    clock_ms: AtomicU64,
    /// Notified by `SHUTDOWN`.
    pub shutdown: Notify,
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
            supervisor: Mutex::new(None),
            clients: Mutex::new(HashMap::new()),
            next_client_id: AtomicU64::new(1),
            stats: Stats::default(),
            intro: Introspection::new(),
            started: Instant::now(),
            clock_ms: AtomicU64::new(0),
            shutdown: Notify::new(),
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

    /// Moves the coarse clock to now.
    pub fn tick(&self) {
        self.clock_ms
            .store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
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
