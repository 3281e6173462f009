//! A shard's data directory: the lock that keeps a second shard out, the
//! files that hold the data, loading them at start, and moving to a new
//! generation (SAVE, BGSAVE, BGREWRITEAOF).
//!
//! Files (see PERSISTENCE.md): `shard.lock` (held with `flock` for the life
//! of the process, with the pid inside), `snapshot.<gen>.snap` (the
//! keyspace when generation `<gen>` started) and `aof.<gen>.log` (every
//! write of generation `<gen>`). Loading reads the newest snapshot, then
//! replays the logs from its generation on. A save starts generation
//! `G+1`: the log `aof.<G+1>.log` from that moment, the snapshot
//! `snapshot.<G+1>.snap` of that moment, and once the snapshot is complete
//! the files of generations before `G+1` are deleted.

use std::{
    fs::{File, OpenOptions},
    io::Write,
    os::fd::AsRawFd,
    path::{Path, PathBuf},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use super::{
    aof::{read_log, sync_dir, AofWriter, Fsync, LogError},
    rewrite::{plan, LogForm},
    save::{fork_snapshot, load_snapshot, reap, reap_within, write_keyspace},
    snapshot::SnapshotError,
    WriteLog,
};
use crate::{commands::Changes, keyspace::Keyspace};

/// Why a data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DirError {
    /// Another shard holds the lock.
    #[error("data directory {0} is in use by another shardd ({1})")]
    Locked(PathBuf, String),
    /// The directory or a file in it cannot be used.
    #[error("data directory {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// A log is damaged before its end.
    #[error(transparent)]
    Log(#[from] LogError),
    /// The newest snapshot is damaged: the shard refuses to start rather
    /// than serve partial or older data.
    #[error("{0}; the shard will not start on a damaged snapshot (move the file away to fall back to older files, if any)")]
    Snapshot(#[from] SnapshotError),
}

/// What loading found.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadStats {
    /// Commands replayed from logs.
    pub commands: u64,
    /// Bytes of torn tail cut off.
    pub torn_bytes: u64,
    /// Keys after loading.
    pub keys: usize,
    /// Keys loaded from the snapshot.
    pub snapshot_keys: u64,
    /// Keys of the snapshot skipped as already expired.
    pub snapshot_expired: u64,
    /// The snapshot's generation (0: none).
    pub snapshot_gen: u64,
}

/// What a child process is writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    /// BGSAVE.
    BgSave,
    /// BGREWRITEAOF (the same work: a snapshot and a fresh log).
    Rewrite,
}

/// A running snapshot child.
#[derive(Debug)]
pub struct Child {
    /// Its pid.
    pub pid: libc::pid_t,
    /// The generation whose snapshot it writes.
    pub gen: u64,
    /// Why it runs.
    pub kind: ChildKind,
    /// When it was forked.
    pub started: Instant,
    /// Writes counted since the last save, at the fork.
    dirty_at_fork: u64,
}

/// Save counters for `INFO persistence` and `LASTSAVE`.
#[derive(Debug, Clone)]
pub struct SaveStats {
    /// Writes since the last successful save.
    pub dirty: u64,
    /// Unix seconds of the last successful save (the start time at first).
    pub last_save_unix_secs: u64,
    /// Successful saves (SAVE and BGSAVE).
    pub saves: u64,
    /// Whether the last BGSAVE succeeded.
    pub last_bgsave_ok: bool,
    /// Seconds the last BGSAVE took (-1: none yet).
    pub last_bgsave_secs: i64,
    /// Whether the last BGREWRITEAOF succeeded.
    pub last_rewrite_ok: bool,
    /// Seconds the last BGREWRITEAOF took (-1: none yet).
    pub last_rewrite_secs: i64,
    /// Successful BGREWRITEAOFs.
    pub rewrites: u64,
    /// BGREWRITEAOFs failed since the last one that did not
    /// (`aof_rewrites_consecutive_failures`).
    pub rewrite_failures_in_a_row: u64,
    /// Snapshot children forked (`INFO`'s `total_forks`).
    pub forks: u64,
    /// Microseconds the last `fork` took (`latest_fork_usec`).
    pub last_fork_us: u64,
    /// What loading found at start (`rdb_last_load_keys_*`).
    pub loaded: LoadStats,
}

/// Now in Unix seconds.
pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An open, locked data directory: the current generation and its log.
pub struct DataDir {
    path: PathBuf,
    _lock: File,
    gen: u64,
    /// The log (`None`: `appendonly no`, snapshots only).
    aof: Option<AofWriter>,
    policy: Fsync,
    child: Option<Child>,
    /// A BGSAVE or BGREWRITEAOF to start once the running child is done.
    scheduled: Option<ChildKind>,
    /// What loading found about transactions over several shards, until
    /// the engine takes it.
    recovered: Option<super::txlog::Recovered>,
    stats: SaveStats,
}

fn log_path(dir: &Path, gen: u64) -> PathBuf {
    dir.join(format!("aof.{gen}.log"))
}

fn snapshot_path(dir: &Path, gen: u64) -> PathBuf {
    dir.join(format!("snapshot.{gen}.snap"))
}

/// Generations of the files named `prefix<gen>suffix` in `dir`, ascending.
fn generations(dir: &Path, prefix: &str, suffix: &str) -> std::io::Result<Vec<u64>> {
    let mut gens = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(g) = name
            .strip_prefix(prefix)
            .and_then(|r| r.strip_suffix(suffix))
        {
            if let Ok(g) = g.parse() {
                gens.push(g);
            }
        }
    }
    gens.sort_unstable();
    Ok(gens)
}

/// Locks `dir` for this process (created if missing), or says who holds it.
pub fn lock(dir: &Path) -> Result<File, DirError> {
    std::fs::create_dir_all(dir).map_err(|e| DirError::Io(dir.to_owned(), e))?;
    let io = |e| DirError::Io(dir.to_owned(), e);
    let path = dir.join("shard.lock");
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    // SAFETY: flock on an open fd.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let holder = std::fs::read_to_string(&path).unwrap_or_default();
        let who = if holder.trim().is_empty() {
            "unknown pid".to_string()
        } else {
            format!("pid {}", holder.trim())
        };
        return Err(DirError::Locked(dir.to_owned(), who));
    }
    f.set_len(0).map_err(io)?;
    writeln!(f, "{}", std::process::id()).map_err(io)?;
    Ok(f)
}

impl DataDir {
    /// Loads the data of `dir` (locked by the caller with [`lock`]) into
    /// `ks`: the newest snapshot, then (with a log, `aof` given) every log
    /// from the snapshot's generation on. Opens the log of the newest
    /// generation for appending with the policy `aof`.
    pub fn open(
        dir: &Path,
        lock: File,
        aof: Option<Fsync>,
        ks: &mut Keyspace,
    ) -> Result<(DataDir, LoadStats), DirError> {
        let io = |e| DirError::Io(dir.to_owned(), e);
        // A snapshot a crashed save left half-written is never read.
        for g in generations(dir, "snapshot.", ".tmp").map_err(io)? {
            let _ = std::fs::remove_file(dir.join(format!("snapshot.{g}.tmp")));
        }
        let snaps = generations(dir, "snapshot.", ".snap").map_err(io)?;
        let logs = generations(dir, "aof.", ".log").map_err(io)?;
        let mut stats = LoadStats::default();
        if let Some(&g) = snaps.last() {
            (stats.snapshot_keys, stats.snapshot_expired) =
                load_snapshot(&snapshot_path(dir, g), ks)?;
            stats.snapshot_gen = g;
        }
        let mut replay = super::txlog::Replay::default();
        // The database the newest log leaves a replay in, once replayed.
        let mut newest_log_db = None;
        if aof.is_some() {
            for &gen in logs.iter().filter(|&&g| g >= stats.snapshot_gen) {
                // Each log starts in database 0 (its writer says so).
                ks.select(0);
                let s = read_log(&log_path(dir, gen), |args| {
                    if !replay.apply(ks, args) {
                        tracing::error!("a damaged transaction record in the log was skipped");
                    }
                })?;
                stats.commands += s.commands;
                stats.torn_bytes += s.torn_bytes;
                newest_log_db = (Some(&gen) == logs.last()).then(|| ks.selected());
            }
        }
        let recovered = replay.finish(ks);
        ks.select(0);
        let newest = snaps.last().into_iter().chain(logs.last()).max();
        let gen = newest.copied().unwrap_or(1).max(1);
        let policy = aof.unwrap_or(Fsync::EverySec);
        let aof = match aof {
            Some(p) => {
                let mut w = AofWriter::open(&log_path(dir, gen), p).map_err(io)?;
                if let Some(db) = newest_log_db.filter(|_| logs.last() == Some(&gen)) {
                    w.set_db(db);
                }
                Some(w)
            }
            None => None,
        };
        stats.keys = ks.total_len();
        let dd = DataDir {
            path: dir.to_owned(),
            _lock: lock,
            gen,
            aof,
            policy,
            child: None,
            scheduled: None,
            recovered: Some(recovered),
            stats: SaveStats {
                dirty: 0,
                last_save_unix_secs: unix_secs(),
                saves: 0,
                last_bgsave_ok: true,
                last_bgsave_secs: -1,
                last_rewrite_ok: true,
                last_rewrite_secs: -1,
                rewrites: 0,
                rewrite_failures_in_a_row: 0,
                forks: 0,
                last_fork_us: 0,
                loaded: stats,
            },
        };
        Ok((dd, stats))
    }

    /// What loading found about transactions over several shards (once).
    pub fn take_recovered(&mut self) -> Option<super::txlog::Recovered> {
        self.recovered.take()
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.gen
    }

    /// The log being appended to (`None`: `appendonly no`).
    pub fn aof(&mut self) -> Option<&mut AofWriter> {
        self.aof.as_mut()
    }

    /// Whether a log is kept (`appendonly yes`).
    pub fn has_aof(&self) -> bool {
        self.aof.is_some()
    }

    /// Bytes in the current log (0 without one).
    pub fn aof_size(&self) -> u64 {
        self.aof.as_ref().map_or(0, AofWriter::size)
    }

    /// Bytes the log's write buffer holds allocated.
    pub fn aof_buffer_bytes(&self) -> usize {
        self.aof.as_ref().map_or(0, AofWriter::buffer_bytes)
    }

    /// Whether the log has grown enough to be folded into a new snapshot
    /// on its own (an automatic BGREWRITEAOF), as Redis's
    /// `auto-aof-rewrite-min-size` and `auto-aof-rewrite-percentage` say:
    /// at least `min_bytes`, and grown by at least `percentage` percent of
    /// the snapshot it follows (100: the log doubled what loading has to
    /// read; 0: never). Not while a child runs or is scheduled.
    pub fn wants_auto_rewrite(&self, min_bytes: u64, percentage: u64) -> bool {
        if self.child.is_some() || self.scheduled.is_some() || percentage == 0 {
            return false;
        }
        let size = self.aof_size();
        if size < min_bytes.max(1) {
            return false;
        }
        let base = std::fs::metadata(snapshot_path(&self.path, self.gen)).map_or(0, |m| m.len());
        u128::from(size) * 100 >= u128::from(base) * u128::from(percentage)
    }

    /// Whether a save point of `save` is due: at least `seconds` since the
    /// last save and at least `changes` writes since (Redis's `save`). Not
    /// while a child runs or is scheduled.
    pub fn wants_save(&self, save: &[crate::settings::SavePoint]) -> bool {
        if self.child.is_some() || self.scheduled.is_some() {
            return false;
        }
        let since = unix_secs().saturating_sub(self.stats.last_save_unix_secs);
        save.iter()
            .any(|p| self.stats.dirty >= p.changes && since >= p.seconds)
    }

    /// Turns the log on or off (`CONFIG SET appendonly`). Off: what was
    /// logged is synced and logging stops (a restart then loads the last
    /// snapshot, as Redis loads its RDB). On: writes are logged from now on
    /// in a generation of their own, and a snapshot of this moment is
    /// started as its base, as Redis rewrites its AOF when it is turned on
    /// (scheduled behind a running child).
    pub fn set_appendonly(&mut self, on: bool, ks: &Keyspace) -> std::io::Result<()> {
        match (on, self.aof.is_some()) {
            (false, true) => {
                if let Some(a) = self.aof.as_mut() {
                    a.sync_now()?;
                }
                self.aof = None;
                Ok(())
            }
            (true, false) => {
                let next = self.gen + 1;
                self.aof = Some(AofWriter::open(&log_path(&self.path, next), self.policy)?);
                self.gen = next;
                if self.child.is_some() {
                    self.schedule(ChildKind::Rewrite);
                    Ok(())
                } else {
                    self.start_child(ks, ChildKind::Rewrite)
                }
            }
            _ => Ok(()),
        }
    }

    /// The fsync policy.
    pub fn policy(&self) -> Fsync {
        self.policy
    }

    /// Changes the fsync policy at once (`CONFIG SET appendfsync`).
    pub fn set_policy(&mut self, policy: Fsync) -> std::io::Result<()> {
        self.policy = policy;
        if let Some(a) = self.aof.as_mut() {
            // What was written under the old policy is made durable now.
            a.sync_now()?;
            a.set_policy(policy);
        }
        Ok(())
    }

    /// The save counters.
    pub fn stats(&self) -> &SaveStats {
        &self.stats
    }

    /// The running child, if any.
    pub fn child(&self) -> Option<&Child> {
        self.child.as_ref()
    }

    /// The save waiting for the running child, if any.
    pub fn scheduled(&self) -> Option<ChildKind> {
        self.scheduled
    }

    /// Writes and syncs the log now (shutdown).
    pub fn sync_now(&mut self) -> std::io::Result<()> {
        match self.aof.as_mut() {
            Some(a) => a.sync_now(),
            None => Ok(()),
        }
    }

    /// Starts generation `gen + 1`'s log and makes it current; what the
    /// old log holds is written and synced first, since the snapshot of
    /// the new generation covers it.
    fn next_generation(&mut self) -> std::io::Result<u64> {
        let next = self.gen + 1;
        if let Some(old) = self.aof.as_mut() {
            old.sync_now()?;
            self.aof = Some(AofWriter::open(&log_path(&self.path, next), self.policy)?);
        }
        self.gen = next;
        Ok(next)
    }

    /// SAVE: writes the snapshot of generation `G+1` here and now, starts
    /// its log, and deletes older generations. The caller refuses SAVE
    /// while a child runs.
    pub fn save(&mut self, ks: &Keyspace) -> std::io::Result<u64> {
        let next = self.gen + 1;
        let snap = snapshot_path(&self.path, next);
        let keys = write_keyspace(ks, &snap)?;
        if let Err(e) = self.next_generation() {
            // Without the new log, later writes would go to the old one,
            // which loading skips behind this snapshot: take it back.
            let _ = std::fs::remove_file(&snap);
            return Err(e);
        }
        self.delete_before(next);
        self.stats.dirty = 0;
        self.stats.saves += 1;
        self.stats.last_save_unix_secs = unix_secs();
        Ok(keys)
    }

    /// BGSAVE or BGREWRITEAOF: starts generation `G+1` (every write from
    /// here on goes to its log) and forks a child that writes the snapshot
    /// of this moment. The caller refuses it while a child runs.
    pub fn start_child(&mut self, ks: &Keyspace, kind: ChildKind) -> std::io::Result<()> {
        debug_assert!(self.child.is_none());
        self.scheduled = None;
        let gen = self.next_generation()?;
        let forking = Instant::now();
        let forked = fork_snapshot(ks, &snapshot_path(&self.path, gen));
        self.stats.last_fork_us = forking.elapsed().as_micros() as u64;
        match forked {
            Ok(pid) => {
                self.stats.forks += 1;
                tracing::info!(pid, gen, ?kind, "snapshot child started");
                self.child = Some(Child {
                    pid,
                    gen,
                    kind,
                    started: Instant::now(),
                    dirty_at_fork: self.stats.dirty,
                });
                Ok(())
            }
            Err(e) => {
                // The new log stays: loading replays the older generations
                // and then it, so nothing is lost.
                self.record(kind, false, Duration::ZERO);
                Err(e)
            }
        }
    }

    /// Schedules `kind` to start when the running child is done.
    pub fn schedule(&mut self, kind: ChildKind) {
        self.scheduled = Some(kind);
    }

    /// Reaps the child if it is done (never blocks). True if one finished.
    pub fn poll_child(&mut self) -> bool {
        let Some(c) = &self.child else {
            return false;
        };
        match reap(c.pid) {
            None => false,
            Some(ok) => {
                self.child_done(ok);
                true
            }
        }
    }

    /// Waits up to `timeout` for the running child (tests, shutdown).
    pub fn wait_child(&mut self, timeout: Duration) -> bool {
        let Some(c) = &self.child else {
            return true;
        };
        match reap_within(c.pid, timeout) {
            None => false,
            Some(ok) => {
                self.child_done(ok);
                true
            }
        }
    }

    fn child_done(&mut self, ok: bool) {
        let Some(c) = self.child.take() else {
            return;
        };
        let took = c.started.elapsed();
        if ok {
            self.delete_before(c.gen);
            self.stats.dirty = self.stats.dirty.saturating_sub(c.dirty_at_fork);
            self.stats.last_save_unix_secs = unix_secs();
            tracing::info!(
                gen = c.gen,
                ms = took.as_millis() as u64,
                "snapshot child done"
            );
        } else {
            let _ = std::fs::remove_file(snapshot_path(&self.path, c.gen).with_extension("tmp"));
            tracing::error!(
                gen = c.gen,
                "snapshot child failed; the older snapshot and logs are kept"
            );
        }
        self.record(c.kind, ok, took);
    }

    fn record(&mut self, kind: ChildKind, ok: bool, took: Duration) {
        let secs = took.as_secs() as i64;
        match kind {
            ChildKind::BgSave => {
                self.stats.last_bgsave_ok = ok;
                self.stats.last_bgsave_secs = secs;
                self.stats.saves += ok as u64;
            }
            ChildKind::Rewrite => {
                self.stats.last_rewrite_ok = ok;
                self.stats.last_rewrite_secs = secs;
                self.stats.rewrites += ok as u64;
                self.stats.rewrite_failures_in_a_row = match ok {
                    true => 0,
                    false => self.stats.rewrite_failures_in_a_row + 1,
                };
            }
        }
    }

    /// Deletes the files of every generation before `gen` (its snapshot is
    /// complete, so they are no longer needed).
    fn delete_before(&self, gen: u64) {
        let kinds = [
            ("snapshot.", ".snap"),
            ("snapshot.", ".tmp"),
            ("aof.", ".log"),
        ];
        for (prefix, suffix) in kinds {
            let Ok(gens) = generations(&self.path, prefix, suffix) else {
                continue;
            };
            for g in gens.into_iter().filter(|&g| g < gen) {
                let p = self.path.join(format!("{prefix}{g}{suffix}"));
                if let Err(e) = std::fs::remove_file(&p) {
                    tracing::warn!(path = %p.display(), "cannot delete an old generation: {e}");
                }
            }
        }
        let _ = sync_dir(&snapshot_path(&self.path, gen));
    }
}

/// The log files of the current generation; SAVE, BGSAVE and the rest run
/// on the directory itself.
impl WriteLog for DataDir {
    /// Counts the write's changes (`rdb_changes_since_last_save`) and
    /// appends its logged form (see [`plan`]) to the log, if one is kept.
    fn append(&mut self, db: usize, args: &[&[u8]], reply: &[u8], now_ms: u64, changes: Changes) {
        if reply.first() == Some(&b'-') {
            return;
        }
        self.stats.dirty += changes.0;
        let Some(aof) = self.aof.as_mut() else {
            return;
        };
        match plan(args, reply, now_ms) {
            LogForm::Skip => {}
            LogForm::AsIs => aof.append_in(db, args),
            LogForm::Rewritten(cmd) => aof.append_in(db, &cmd),
        }
    }

    /// Writes this round's log records (and syncs them under `always`).
    fn commit(&mut self) -> std::io::Result<()> {
        match self.aof.as_mut() {
            Some(a) => a.flush_batch(),
            None => Ok(()),
        }
    }

    fn data_dir(&mut self) -> Option<&mut DataDir> {
        Some(self)
    }

    fn keeps_log(&self) -> bool {
        self.aof.is_some()
    }

    fn count_unlogged(&mut self, changes: Changes) {
        self.stats.dirty += changes.0;
    }
}

#[cfg(test)]
mod tests;
