//! A shard's data directory: the lock that keeps a second shard out, the
//! files that hold the data, and loading them at start.
//!
//! Files (see PERSISTENCE.md): `shard.lock` (held with `flock` for the life
//! of the process, with the pid inside), `aof.<gen>.log` (the log of every
//! write since snapshot `<gen>`), and later `snapshot.<gen>.snap`. Loading
//! replays the newest snapshot, then the logs from its generation on.

use std::{
    fs::{File, OpenOptions},
    io::Write,
    os::fd::AsRawFd,
    path::{Path, PathBuf},
};

use super::{
    aof::{read_log, AofWriter, Fsync, LogError},
    rewrite::{plan, LogForm},
};
use crate::{
    commands::execute,
    keyspace::Keyspace,
    reply::{Proto, Reply},
};

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
}

/// An open, locked data directory with its log.
pub struct DataDir {
    path: PathBuf,
    _lock: File,
    gen: u64,
    aof: AofWriter,
}

fn log_path(dir: &Path, gen: u64) -> PathBuf {
    dir.join(format!("aof.{gen}.log"))
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
    /// `ks` and opens the log for appending with `policy`.
    pub fn open(
        dir: &Path,
        lock: File,
        policy: Fsync,
        ks: &mut Keyspace,
    ) -> Result<(DataDir, LoadStats), DirError> {
        let io = |e| DirError::Io(dir.to_owned(), e);
        let logs = generations(dir, "aof.", ".log").map_err(io)?;
        let mut stats = LoadStats::default();
        let mut scratch = Vec::new();
        for &gen in &logs {
            let s = read_log(&log_path(dir, gen), |args| {
                scratch.clear();
                execute(ks, args, &mut Reply::new(&mut scratch, Proto::Resp2));
            })?;
            stats.commands += s.commands;
            stats.torn_bytes += s.torn_bytes;
        }
        let gen = logs.last().copied().unwrap_or(1);
        let aof = AofWriter::open(&log_path(dir, gen), policy).map_err(io)?;
        stats.keys = ks.len();
        Ok((
            DataDir {
                path: dir.to_owned(),
                _lock: lock,
                gen,
                aof,
            },
            stats,
        ))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.gen
    }

    /// The log being appended to.
    pub fn aof(&mut self) -> &mut AofWriter {
        &mut self.aof
    }

    /// Logs a write command that ran at `now_ms` and replied `reply`.
    pub fn log(&mut self, args: &[&[u8]], reply: &[u8], now_ms: u64) {
        match plan(args, reply, now_ms) {
            LogForm::Skip => {}
            LogForm::AsIs => self.aof.append(args),
            LogForm::Rewritten(cmd) => self.aof.append(&cmd),
        }
    }
}
