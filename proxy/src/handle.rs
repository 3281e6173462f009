//! A connected client as every worker sees it (`CLIENT LIST`, `CLIENT
//! KILL`, invalidations for it): the registry in `crate::state::Shared`
//! holds these.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicU8, Ordering},
        Arc, Mutex,
    },
    time::Instant,
};

use common::table::Cmd;
use tokio::sync::Notify;

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
    /// Set by the idle sweeper (`crate::server`): the connection gives
    /// back its empty buffers (all of them when idle, else the read
    /// buffer's room past [`crate::conn::READ_BUFFER_BYTES`]) when `kill`
    /// wakes it.
    pub shrink: AtomicBool,
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

/// [`ClientHandle`]'s last command before any.
const NO_COMMAND: u16 = u16::MAX;

impl ClientHandle {
    /// Its mailbox, made now (speaking `proto`) if it has none; true if
    /// made now.
    pub fn mailbox_or_new(
        &self,
        proto: common::reply::Proto,
    ) -> (Arc<crate::pubsub::Mailbox>, bool) {
        let mut slot = self.mailbox.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mb) = slot.as_ref() {
            return (mb.clone(), false);
        }
        let mb = crate::pubsub::Mailbox::new(self.id, self.worker, proto);
        *slot = Some(mb.clone());
        (mb, true)
    }

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
            shrink: AtomicBool::new(false),
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
