//! A connection's state: what its commands change and later commands see.
//!
//! One typed value per connection, owned by its task ([`crate::conn`]) and
//! lent to each command it dispatches. Process-wide facts about the client
//! (name, library, address, what it is doing) live in its
//! [`ClientHandle`], where `CLIENT LIST` and `CLIENT KILL` on any worker
//! see them.

use std::sync::Arc;

use common::{reply::Proto, table::CommandSpec};
use smallvec::SmallVec;

use crate::state::ClientHandle;

/// A command queued between MULTI and EXEC: its table entry and its
/// arguments, copied out of the read buffer (name first).
pub struct Queued {
    /// The command.
    pub spec: &'static CommandSpec,
    /// Its arguments, name first, as `(start, len)` in [`Multi::buf`].
    pub args: SmallVec<[(usize, usize); 6]>,
}

/// The MULTI state of a connection.
#[derive(Default)]
pub struct Multi {
    /// The commands queued so far, in order.
    pub queued: Vec<Queued>,
    /// Every queued argument back to back (one buffer, not one allocation
    /// per argument).
    pub buf: Vec<u8>,
    /// Bytes of arguments queued (bounded by `client-query-buffer-limit`).
    pub bytes: usize,
    /// A command was refused while queueing: EXEC answers EXECABORT.
    pub failed: bool,
}

/// The shards holding keys this connection watches, each with the number
/// of times the worker's link to it was attached when the watch was set: a
/// shard restarted since (a new attach) lost the watch, and EXEC fails.
#[derive(Default)]
pub struct Watching {
    /// `(shard, attaches)`.
    pub shards: SmallVec<[(usize, u64); 4]>,
    /// `(shard, key)`: a transaction over several shards locks the keys
    /// it watches too, so nobody changes them between its watch check and
    /// its commit.
    pub keys: Vec<(usize, Vec<u8>)>,
    /// The slot map's version at the first WATCH: a key whose slot moved
    /// since lost its watch with its old shard (EXEC fails, as after a
    /// restart of that shard).
    pub map_version: u64,
}

/// `CLIENT REPLY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// Every reply is sent.
    On,
    /// No reply is sent.
    Off,
    /// The next command's reply is dropped, then back to `On`.
    Skip,
}

/// A client's blocking command, sent to wait (`crate::block`): the
/// connection reads no further command until it is answered.
pub struct Blocked {
    /// The command.
    pub spec: &'static CommandSpec,
    /// Its arguments, name first.
    pub args: Vec<Vec<u8>>,
    /// Its slot in the connection's reply queue.
    pub seq: u64,
    /// When its timeout ends it (`None`: never).
    pub deadline: Option<tokio::time::Instant>,
    /// The protocol its reply is written in.
    pub proto: Proto,
    /// The database it runs in.
    pub db: u32,
}

/// A connection's subscriptions (`crate::pubsub`): the names by kind
/// (channels, patterns, shard channels, in the order subscribed), its
/// mailbox and the task pumping the mailbox into its replies.
pub struct Subs {
    /// Names subscribed, by [`crate::pubsub::Kind`] index, each with the
    /// number of its subscription (UNSUBSCRIBE with no name answers in
    /// that order); a map, so a client with a million subscriptions
    /// costs each (un)subscribe one lookup.
    pub names: [std::collections::HashMap<Vec<u8>, u64>; 3],
    /// The next subscription's number.
    pub next: u64,
    /// Where publishers put its messages.
    pub mailbox: Arc<crate::pubsub::Mailbox>,
    /// Moves its messages into the reply queue.
    pub pump: tokio::task::JoinHandle<()>,
}

impl Drop for Subs {
    fn drop(&mut self) {
        self.pump.abort();
    }
}

impl Subs {
    /// Channels and patterns (what (P)SUBSCRIBE replies count).
    pub fn count(&self) -> usize {
        self.names[0].len() + self.names[1].len()
    }

    /// Every subscription: the connection is in subscribed mode.
    pub fn total(&self) -> usize {
        self.names.iter().map(std::collections::HashMap::len).sum()
    }
}

/// One connection's state.
pub struct Session {
    /// Protocol of its replies (`HELLO`).
    pub proto: Proto,
    /// Whether it may run commands (AUTH succeeded, or no password).
    pub authed: bool,
    /// `CLIENT REPLY`.
    pub reply: ReplyMode,
    /// Its entry in the client registry.
    pub handle: Arc<ClientHandle>,
    /// Close once this command's reply is written (QUIT, SHUTDOWN).
    pub close: bool,
    /// Bytes in the read buffer from this command on (`CLIENT INFO`'s
    /// `qbuf`), set before each command runs.
    pub qbuf: usize,
    /// Free room in the read buffer (`qbuf-free`), likewise.
    pub qbuf_free: usize,
    /// Between MULTI and EXEC (or DISCARD).
    pub multi: Option<Multi>,
    /// The buffers of its last transaction, emptied, for its next MULTI.
    pub spare_multi: Option<Multi>,
    /// The keys it WATCHes, by shard (`None`: none).
    pub watching: Option<Watching>,
    /// A blocking command to wait for before the next command is read
    /// (`crate::block`).
    pub blocked: Option<Blocked>,
    /// Its subscriptions, once it subscribed to anything (or tracks
    /// keys, or monitors, or gets another client's invalidations: its
    /// mailbox and the task pumping it).
    pub subs: Option<Box<Subs>>,
    /// Its tracking mode (`CLIENT TRACKING on`, `crate::tracking`).
    pub tracking: Option<Arc<crate::tracking::Tracker>>,
    /// `CLIENT CACHING yes|no` was given for the next command (or the
    /// next transaction).
    pub caching: bool,
    /// `caching` ends before the next command (`crate::caching::step`).
    pub caching_ends: bool,
    /// The selected database (`SELECT`; every request carries it).
    pub db: u32,
    /// Its user (the default user until AUTH), as of `acl_epoch`.
    pub user: Arc<common::acl::User>,
    /// The [`crate::acl::Acl::epoch`] its user was taken at: when the
    /// users change, it takes its user again before its next command.
    pub acl_epoch: u64,
}

/// Bytes of arguments and commands a transaction's buffers start with:
/// a few small commands queue with no reallocation.
const MULTI_BUF_BYTES: usize = 256;
const MULTI_QUEUED: usize = 4;
/// A finished transaction's buffers are kept for the next one up to these.
const MULTI_KEEP_BYTES: usize = 4 << 10;
const MULTI_KEEP_QUEUED: usize = 32;

impl Multi {
    /// An empty transaction, its buffers sized for a few commands.
    pub fn started() -> Multi {
        Multi {
            queued: Vec::with_capacity(MULTI_QUEUED),
            buf: Vec::with_capacity(MULTI_BUF_BYTES),
            ..Multi::default()
        }
    }

    /// This transaction's buffers, emptied, unless they grew past a few
    /// commands' worth (a big transaction's are given back).
    pub fn recycled(mut self) -> Option<Multi> {
        if self.buf.capacity() > MULTI_KEEP_BYTES || self.queued.capacity() > MULTI_KEEP_QUEUED {
            return None;
        }
        self.queued.clear();
        self.buf.clear();
        self.bytes = 0;
        self.failed = false;
        Some(self)
    }

    /// The arguments of queued command `q`.
    pub fn args_of(&self, q: &Queued) -> SmallVec<[&[u8]; 8]> {
        q.args
            .iter()
            .map(|&(at, len)| &self.buf[at..at + len])
            .collect()
    }
}

impl Session {
    /// A new connection's state: RESP2, replies on, the default user,
    /// authenticated if that needs no password.
    pub fn new(handle: Arc<ClientHandle>, acl: &crate::acl::Acl) -> Session {
        let acl_epoch = acl.epoch();
        let user = acl.default_user();
        Session {
            proto: Proto::Resp2,
            authed: user.nopass() && user.enabled(),
            user,
            acl_epoch,
            reply: ReplyMode::On,
            handle,
            close: false,
            qbuf: 0,
            qbuf_free: 0,
            multi: None,
            spare_multi: None,
            watching: None,
            blocked: None,
            subs: None,
            db: 0,
            tracking: None,
            caching: false,
            caching_ends: false,
        }
    }

    /// Whether it is in the plain state the shortcuts past the dispatcher
    /// take (while nobody MONITORs): authenticated, its user unrestricted,
    /// replies on, no MULTI, no subscription, not tracking keys (whose
    /// reads go flagged, `crate::caching`).
    pub fn is_plain(&self) -> bool {
        self.authed
            && self.user.unrestricted
            && self.reply == ReplyMode::On
            && self.multi.is_none()
            && self.subs.is_none()
            && self.tracking.is_none()
    }

    /// Whether it is subscribed to anything (RESP2's subscribed mode).
    pub fn subscribed(&self) -> bool {
        self.subs.as_ref().is_some_and(|s| s.total() > 0)
    }

    /// The name the shards know this connection's WATCH by (its client id,
    /// unique in the proxy process).
    pub fn watcher(&self) -> u64 {
        self.handle.id
    }

    /// Whether the reply of the command being dispatched is dropped; a
    /// `SKIP` is used up by it.
    pub fn take_discard(&mut self) -> bool {
        match self.reply {
            ReplyMode::On => false,
            ReplyMode::Off => true,
            ReplyMode::Skip => {
                self.reply = ReplyMode::On;
                true
            }
        }
    }
}
