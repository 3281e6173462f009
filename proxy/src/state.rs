//! Process-wide state every worker shares: the configuration, the slot
//! table, the registry of connected clients and the counters.
//!
//! Below everything that serves requests: it knows nothing of
//! connections' tasks, links or commands.

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64},
        Arc, Mutex,
    },
    time::Instant,
};

use common::slot::{key_slot, SLOT_COUNT};
use tokio::sync::Notify;

use crate::{config::Config, stats::Introspection};

/// A connected client as `CLIENT LIST` and `CLIENT KILL` see it.
#[derive(Debug)]
pub struct ClientHandle {
    /// `CLIENT ID`.
    pub id: u64,
    /// Peer address.
    pub addr: SocketAddr,
    /// Local address.
    pub laddr: SocketAddr,
    /// When it connected.
    pub created: Instant,
    /// Mutable details (name, library, last command, ...).
    pub info: Mutex<ClientInfo>,
    /// Set by `CLIENT KILL`; the connection closes when it sees it.
    pub killed: AtomicBool,
    /// Wakes the connection to notice `killed`.
    pub kill: Notify,
}

impl ClientHandle {
    /// A new connection's entry (RESP2, no name).
    pub fn new(id: u64, addr: SocketAddr, laddr: SocketAddr) -> ClientHandle {
        ClientHandle {
            id,
            addr,
            laddr,
            created: Instant::now(),
            info: Mutex::new(ClientInfo {
                resp: 2,
                ..ClientInfo::default()
            }),
            killed: AtomicBool::new(false),
            kill: Notify::new(),
        }
    }
}

/// The parts of a client's description that change.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    /// `CLIENT SETNAME`.
    pub name: Vec<u8>,
    /// `CLIENT SETINFO LIB-NAME`.
    pub lib_name: Vec<u8>,
    /// `CLIENT SETINFO LIB-VER`.
    pub lib_ver: Vec<u8>,
    /// Last command name.
    pub last_cmd: String,
    /// When it last sent a command.
    pub last_active: Option<Instant>,
    /// RESP version.
    pub resp: u8,
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
    /// Bytes read from clients.
    pub net_input_bytes: AtomicU64,
    /// Bytes written to clients.
    pub net_output_bytes: AtomicU64,
    /// Reads from client sockets.
    pub reads: AtomicU64,
    /// Writes to client sockets.
    pub writes: AtomicU64,
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
        ] {
            c.store(0, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// State shared by every worker thread.
pub struct Shared {
    /// Settings.
    pub cfg: Config,
    /// Control socket of each shard, in shard order.
    pub sockets: Vec<PathBuf>,
    /// Shard of each slot.
    pub slot_shard: Vec<u16>,
    /// Connected clients.
    pub clients: Mutex<HashMap<u64, Arc<ClientHandle>>>,
    /// Next `CLIENT ID`.
    pub next_client_id: AtomicU64,
    /// Counters.
    pub stats: Stats,
    /// Command statistics, slow log, latency monitor and their settings.
    pub intro: Introspection,
    /// Settings Redis has that `CONFIG SET` stored without needing them.
    pub extra_config: Mutex<BTreeMap<String, String>>,
    /// Process start.
    pub started: Instant,
    /// Notified by `SHUTDOWN`.
    pub shutdown: Notify,
    /// The port actually bound (after port 0).
    pub port: AtomicU64,
    /// Links (worker to shard) attached now.
    pub attached_links: AtomicU64,
    /// The password AUTH checks now (`CONFIG SET requirepass` changes it).
    requirepass: Mutex<Option<String>>,
}

impl Shared {
    /// The flags for a shard started now: the configuration's persistence
    /// flags, with the `appendfsync` policy a `CONFIG SET` chose since, if
    /// any, and the run-time settings `CONFIG SET` changed (`--set`).
    pub fn shard_args(&self) -> Vec<String> {
        let mut args = self.cfg.shard_args();
        let set = self
            .extra_config
            .lock()
            .ok()
            .and_then(|m| m.get("appendfsync").cloned());
        if let (Some(policy), Some(i)) = (set, args.iter().position(|a| a == "--appendfsync")) {
            if let Some(v) = args.get_mut(i + 1) {
                *v = policy;
            }
        }
        args.extend(self.intro.shard_flags());
        args
    }

    /// The password new connections must AUTH with, if any.
    pub fn requirepass(&self) -> Option<String> {
        self.requirepass
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets the password (`CONFIG SET requirepass`; empty: none).
    /// Connections already authenticated stay so, as in Redis.
    pub fn set_requirepass(&self, pass: Option<String>) {
        *self.requirepass.lock().unwrap_or_else(|p| p.into_inner()) =
            pass.filter(|p| !p.is_empty());
    }

    /// Shared state for `cfg` with shards reached through `sockets`;
    /// slots are split into equal contiguous ranges, one per shard.
    pub fn new(cfg: Config, sockets: Vec<PathBuf>) -> Shared {
        let n = sockets.len().max(1);
        let slot_shard = (0..SLOT_COUNT)
            .map(|s| (s * n / SLOT_COUNT) as u16)
            .collect();
        Shared {
            requirepass: Mutex::new(cfg.requirepass.clone()),
            cfg,
            sockets,
            slot_shard,
            clients: Mutex::new(HashMap::new()),
            next_client_id: AtomicU64::new(1),
            stats: Stats::default(),
            intro: Introspection::new(),
            extra_config: Mutex::new(BTreeMap::new()),
            started: Instant::now(),
            shutdown: Notify::new(),
            port: AtomicU64::new(0),
            attached_links: AtomicU64::new(0),
        }
    }

    /// The shard that owns `key`.
    pub fn shard_of(&self, key: &[u8]) -> usize {
        self.slot_shard[key_slot(key) as usize] as usize
    }

    /// Number of shards.
    pub fn shard_count(&self) -> usize {
        self.sockets.len()
    }

    /// Locks the client registry (a poisoned lock is still usable).
    pub fn clients(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<ClientHandle>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_started_later_get_the_policy_config_set_chose() {
        let shared = Shared::new(Config::default(), vec![PathBuf::from("/nonexistent")]);
        let policy = |args: &[String]| {
            let i = args.iter().position(|a| a == "--appendfsync");
            i.and_then(|i| args.get(i + 1)).cloned()
        };
        assert_eq!(policy(&shared.shard_args()).as_deref(), Some("everysec"));
        shared
            .extra_config
            .lock()
            .expect("config lock")
            .insert("appendfsync".into(), "always".into());
        let args = shared.shard_args();
        assert_eq!(policy(&args).as_deref(), Some("always"));
        assert!(args.contains(&"--appendonly".to_string()));
    }
}
