//! Persistence of one shard's keyspace in its data directory: the
//! append-only log ([`aof`]), snapshots ([`snapshot`], [`save`]) and the
//! generations that tie them together ([`dir`]). See `PERSISTENCE.md` beside
//! this crate for the files, the order of operations and the promises.
//!
//! [`WriteLog`] is the seam between the shard's loop and its disk: the loop
//! (`server`) appends each write to it and commits once per round before it
//! publishes the round's replies. [`dir::DataDir`] implements it with its
//! log files; the simulation (`proxy/tests/sim`) with an in-memory log it
//! crashes at will, so it runs the real loop.

pub mod admin;
pub mod aof;
pub mod dir;
pub mod group;
pub mod rewrite;
pub mod save;
pub mod snapshot;
pub mod txlog;

use self::dir::DataDir;
use crate::commands::Changes;

/// Where a shard's writes are logged and made durable. The loop is generic
/// over it (static dispatch: no cost on the hot path).
pub trait WriteLog {
    /// Records the write command `args` of database `db`, which ran at
    /// `now_ms`, made
    /// `changes` (at least one: a write that changed nothing is not
    /// logged) and replied `reply`.
    fn append(&mut self, db: usize, args: &[&[u8]], reply: &[u8], now_ms: u64, changes: Changes);

    /// Makes what was appended since the last commit durable as the fsync
    /// policy asks. The loop publishes a round's replies only after this
    /// returns `Ok`; on `Err` the shard stops rather than acknowledge
    /// writes that are not durable.
    fn commit(&mut self) -> std::io::Result<()>;

    /// The data directory behind the log, for SAVE, BGSAVE, BGREWRITEAOF,
    /// LASTSAVE, `SHARDD.*` and the loop's background duties; `None` (the
    /// default) when there is none, and those commands say so.
    fn data_dir(&mut self) -> Option<&mut DataDir> {
        None
    }

    /// Whether appended records are kept (false: only their changes are
    /// counted, so a caller may skip building a record: see
    /// [`WriteLog::count_unlogged`]).
    fn keeps_log(&self) -> bool {
        true
    }

    /// Counts `changes` of a write whose record was not built because the
    /// log keeps none ([`WriteLog::keeps_log`]), as [`WriteLog::append`]
    /// would have counted them.
    fn count_unlogged(&mut self, _changes: Changes) {}
}

/// `None`: persistence is off; nothing is logged.
impl<L: WriteLog> WriteLog for Option<L> {
    fn append(&mut self, db: usize, args: &[&[u8]], reply: &[u8], now_ms: u64, changes: Changes) {
        if let Some(l) = self {
            l.append(db, args, reply, now_ms, changes);
        }
    }

    fn commit(&mut self) -> std::io::Result<()> {
        match self {
            Some(l) => l.commit(),
            None => Ok(()),
        }
    }

    fn data_dir(&mut self) -> Option<&mut DataDir> {
        self.as_mut().and_then(L::data_dir)
    }

    fn keeps_log(&self) -> bool {
        self.as_ref().is_some_and(L::keeps_log)
    }

    fn count_unlogged(&mut self, changes: Changes) {
        if let Some(l) = self {
            l.count_unlogged(changes);
        }
    }
}

/// A log in memory for tests: what was appended, how much of it was
/// committed, and a commit that can be made to fail.
#[cfg(test)]
#[derive(Default)]
pub(crate) struct MemLog {
    pub appended: Vec<Vec<Vec<u8>>>,
    pub committed: usize,
    pub fail_commit: bool,
    /// Keeps no records (as a data directory with `appendonly no`): only
    /// their changes are counted, in `unlogged`.
    pub drops: bool,
    pub unlogged: u64,
}

#[cfg(test)]
impl WriteLog for MemLog {
    fn append(
        &mut self,
        _db: usize,
        args: &[&[u8]],
        _reply: &[u8],
        _now_ms: u64,
        changes: Changes,
    ) {
        if self.drops {
            // A caller that asked `keeps_log` built no record.
            self.unlogged += changes.0;
            return;
        }
        self.appended
            .push(args.iter().map(|a| a.to_vec()).collect());
    }

    fn keeps_log(&self) -> bool {
        !self.drops
    }

    fn count_unlogged(&mut self, changes: Changes) {
        self.unlogged += changes.0;
    }

    fn commit(&mut self) -> std::io::Result<()> {
        if self.fail_commit {
            return Err(std::io::Error::other("disk full"));
        }
        self.committed = self.appended.len();
        Ok(())
    }
}
