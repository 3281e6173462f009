//! The append-only log: every write command a shard executed, in order.
//!
//! File: the magic `SHRDAOF1`, then records `len u32 | crc32 u32 | payload`
//! (little-endian), where the payload is `argc u32` then `argc` times
//! `len u32 | bytes`, and the CRC covers the payload. Writes are buffered
//! for a whole batch and written with one `write`; with
//! `appendfsync always` the batch is made durable with one `fdatasync`
//! before any of its replies is released (group commit); with `everysec` a
//! background thread syncs once a second; with `no` the kernel decides.
//!
//! Reading back ([`read_log`]): a record cut short or failing its CRC at the
//! very end of the file is a torn tail from a crash, and the file is
//! truncated there (logged); the same damage followed by more data is
//! corruption elsewhere, and loading stops with an error rather than
//! serving partial data.

use std::{
    fs::{File, OpenOptions},
    io::{Read, Write},
    os::fd::AsRawFd,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

/// The log file's magic.
pub const AOF_MAGIC: &[u8; 8] = b"SHRDAOF1";
/// Bytes before a record's payload.
const RECORD_HEADER_BYTES: usize = 8;
/// Largest record accepted when reading (a sanity bound on `len`).
pub const MAX_RECORD_BYTES: usize = 1 << 30;
/// How often `everysec` syncs.
pub const EVERYSEC_INTERVAL_MS: u64 = 1_000;

/// When the log is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before replying to a batch that wrote (group commit).
    Always,
    /// Once a second in the background.
    EverySec,
    /// When the kernel writes back.
    No,
}

impl Fsync {
    /// Parses `always|everysec|no` (any case).
    pub fn parse(s: &str) -> Option<Fsync> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }

    /// The name `CONFIG GET appendfsync` shows.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// Appends write commands to a log file.
pub struct AofWriter {
    path: PathBuf,
    file: Arc<File>,
    buf: Vec<u8>,
    policy: Fsync,
    /// Bytes in the file (after the last flush).
    size: u64,
    syncer: Option<Syncer>,
}

/// The `everysec` background thread.
struct Syncer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Syncer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

fn start_syncer(file: Arc<File>) -> Syncer {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("aof-everysec".into())
        .spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::park_timeout(Duration::from_millis(EVERYSEC_INTERVAL_MS));
                if let Err(e) = file.sync_data() {
                    tracing::error!("appendfsync everysec: {e}");
                }
            }
        })
        .ok();
    Syncer { stop, thread }
}

impl AofWriter {
    /// Opens (or creates) the log at `path` for appending.
    pub fn open(path: &Path, policy: Fsync) -> std::io::Result<AofWriter> {
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        let mut size = file.metadata()?.len();
        if size == 0 {
            file.write_all(AOF_MAGIC)?;
            file.sync_all()?;
            sync_dir(path)?;
            size = AOF_MAGIC.len() as u64;
        }
        let file = Arc::new(file);
        let mut w = AofWriter {
            path: path.to_owned(),
            file,
            buf: Vec::with_capacity(64 << 10),
            policy: Fsync::No,
            size,
            syncer: None,
        };
        w.set_policy(policy);
        Ok(w)
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes in the file, counting what is buffered.
    pub fn size(&self) -> u64 {
        self.size + self.buf.len() as u64
    }

    /// The fsync policy.
    pub fn policy(&self) -> Fsync {
        self.policy
    }

    /// Changes the fsync policy (`CONFIG SET appendfsync`).
    pub fn set_policy(&mut self, policy: Fsync) {
        self.policy = policy;
        self.syncer = (policy == Fsync::EverySec).then(|| start_syncer(self.file.clone()));
    }

    /// Buffers one command.
    pub fn append<A: AsRef<[u8]>>(&mut self, args: &[A]) {
        let start = self.buf.len();
        self.buf.extend_from_slice(&[0; RECORD_HEADER_BYTES]);
        self.buf
            .extend_from_slice(&(args.len() as u32).to_le_bytes());
        for a in args {
            let a = a.as_ref();
            self.buf.extend_from_slice(&(a.len() as u32).to_le_bytes());
            self.buf.extend_from_slice(a);
        }
        let payload = &self.buf[start + RECORD_HEADER_BYTES..];
        let len = payload.len() as u32;
        let crc = crc32fast::hash(payload);
        self.buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
        self.buf[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    }

    /// Whether commands are buffered but not yet written.
    pub fn has_buffered(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Writes the buffered batch with one `write`; with `always`, makes it
    /// durable before returning. Call before releasing the batch's replies.
    pub fn flush_batch(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        (&*self.file).write_all(&self.buf)?;
        self.size += self.buf.len() as u64;
        self.buf.clear();
        if self.buf.capacity() > 1 << 20 {
            self.buf = Vec::with_capacity(64 << 10);
        }
        if self.policy == Fsync::Always {
            // SAFETY: fdatasync on an open fd.
            if unsafe { libc::fdatasync(self.file.as_raw_fd()) } != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }

    /// Writes and syncs everything now (shutdown, before a rewrite).
    pub fn sync_now(&mut self) -> std::io::Result<()> {
        self.flush_batch()?;
        self.file.sync_data()
    }
}

/// Makes a file's directory entry durable.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })?
        .sync_all()?;
    }
    Ok(())
}

/// Why a log could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading failed.
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The file is damaged before its end.
    #[error("{path} is corrupt at byte {offset}: {what}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Where the damage starts.
        offset: u64,
        /// What is wrong.
        what: &'static str,
    },
}

/// What reading a log found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Commands read.
    pub commands: u64,
    /// Bytes of torn tail cut off (0 if the file ended cleanly).
    pub torn_bytes: u64,
}

/// Reads every command of the log at `path`, calling `f` with each; cuts
/// off a torn tail (truncating the file), refuses damage elsewhere.
pub fn read_log(path: &Path, mut f: impl FnMut(&[&[u8]])) -> Result<LogStats, LogError> {
    let io = |e| LogError::Io(path.to_owned(), e);
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut fh| fh.read_to_end(&mut data))
        .map_err(io)?;
    let corrupt = |offset: usize, what| LogError::Corrupt {
        path: path.to_owned(),
        offset: offset as u64,
        what,
    };
    if data.len() < AOF_MAGIC.len() {
        // A crash while creating the file: nothing was ever logged in it.
        truncate_to(path, 0).map_err(io)?;
        return Ok(LogStats {
            commands: 0,
            torn_bytes: data.len() as u64,
        });
    }
    if &data[..8] != AOF_MAGIC {
        return Err(corrupt(0, "not a shardis append-only log"));
    }
    let mut at = AOF_MAGIC.len();
    let mut stats = LogStats::default();
    let mut args: Vec<&[u8]> = Vec::new();
    while at < data.len() {
        match parse_record(&data[at..], &mut args) {
            Some(size) => {
                f(&args);
                stats.commands += 1;
                at += size;
            }
            None if is_torn_tail(&data[at..]) => {
                stats.torn_bytes = (data.len() - at) as u64;
                tracing::warn!(
                    path = %path.display(),
                    offset = at,
                    bytes = stats.torn_bytes,
                    "cutting off a torn record at the end of the append-only log"
                );
                truncate_to(path, at as u64).map_err(io)?;
                break;
            }
            None => return Err(corrupt(at, "damaged record before the end of the file")),
        }
    }
    Ok(stats)
}

/// Parses one record; `Some(bytes used)` if whole and its CRC matches.
fn parse_record<'a>(b: &'a [u8], args: &mut Vec<&'a [u8]>) -> Option<usize> {
    let len = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(b.get(4..8)?.try_into().ok()?);
    if !(4..=MAX_RECORD_BYTES).contains(&len) {
        return None;
    }
    let payload = b.get(RECORD_HEADER_BYTES..RECORD_HEADER_BYTES + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    args.clear();
    let argc = u32::from_le_bytes(payload[..4].try_into().ok()?) as usize;
    let mut rest = &payload[4..];
    for _ in 0..argc {
        let n = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
        args.push(rest.get(4..4 + n)?);
        rest = &rest[4 + n..];
    }
    rest.is_empty().then_some(RECORD_HEADER_BYTES + len)
}

/// A bad record is a torn tail if the file ends within the extent its
/// header announces (a write cut short), if everything left is zeros
/// (space the file system allocated but the crash left unwritten), or if
/// everything after the extent it announces is zeros (a batch whose first
/// pages reached the disk and whose later pages did not). None of these
/// records was acknowledged under `always`: its batch's sync never
/// returned. Like Redis's `aof-load-truncated`, damage to the very last
/// record followed only by zeros is cut off rather than refused.
fn is_torn_tail(rest: &[u8]) -> bool {
    if rest.iter().all(|&b| b == 0) {
        return true;
    }
    match rest.get(..4) {
        None => true,
        Some(h) => {
            let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let extent = RECORD_HEADER_BYTES.saturating_add(len);
            extent >= rest.len() || rest[extent..].iter().all(|&b| b == 0)
        }
    }
}

fn truncate_to(path: &Path, len: u64) -> std::io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.set_len(len)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("shardd-aof-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("log.aof")
    }

    type Commands = Vec<Vec<Vec<u8>>>;

    fn commands(n: usize) -> Commands {
        (0..n)
            .map(|i| {
                vec![
                    b"SET".to_vec(),
                    format!("key:{i}").into_bytes(),
                    vec![i as u8; i % 50],
                ]
            })
            .collect()
    }

    fn write_all(path: &Path, cmds: &[Vec<Vec<u8>>], policy: Fsync) {
        let mut w = AofWriter::open(path, policy).unwrap();
        for (i, c) in cmds.iter().enumerate() {
            w.append(c);
            if i % 7 == 0 {
                w.flush_batch().unwrap();
            }
        }
        w.sync_now().unwrap();
    }

    fn read_back(path: &Path) -> Result<(Commands, LogStats), LogError> {
        let mut got = Vec::new();
        let stats = read_log(path, |args| {
            got.push(args.iter().map(|a| a.to_vec()).collect())
        })?;
        Ok((got, stats))
    }

    #[test]
    fn commands_read_back_in_order() {
        let path = temp("order");
        let cmds = commands(100);
        write_all(&path, &cmds, Fsync::Always);
        let (got, stats) = read_back(&path).unwrap();
        assert_eq!(got, cmds);
        assert_eq!(stats.torn_bytes, 0);
    }

    #[test]
    fn a_log_torn_at_any_byte_loads_everything_before_the_tear() {
        let path = temp("torn");
        let cmds = commands(40);
        write_all(&path, &cmds, Fsync::No);
        let full = std::fs::read(&path).unwrap();
        // Record boundaries, to know how many whole commands precede a cut.
        let mut ends = vec![8usize];
        let mut at = 8;
        while at < full.len() {
            let len = u32::from_le_bytes(full[at..at + 4].try_into().unwrap()) as usize;
            at += 8 + len;
            ends.push(at);
        }
        for cut in 0..=full.len() {
            std::fs::write(&path, &full[..cut]).unwrap();
            let (got, _) = read_back(&path).unwrap();
            let whole = ends.iter().filter(|&&e| e <= cut).count().saturating_sub(1);
            assert_eq!(got.len(), whole, "cut at {cut}");
            assert_eq!(got[..], cmds[..whole]);
            // The tear was cut off: appending after it works.
            let mut w = AofWriter::open(&path, Fsync::No).unwrap();
            w.append(&[b"PING".as_slice()]);
            w.sync_now().unwrap();
            let (again, stats) = read_back(&path).unwrap();
            assert_eq!(again.len(), whole + 1);
            assert_eq!(stats.torn_bytes, 0);
        }
    }

    #[test]
    fn zeroes_after_the_last_record_are_a_torn_tail() {
        let path = temp("zeros");
        let cmds = commands(5);
        write_all(&path, &cmds, Fsync::No);
        let mut data = std::fs::read(&path).unwrap();
        data.extend_from_slice(&[0u8; 4096]);
        std::fs::write(&path, &data).unwrap();
        let (got, stats) = read_back(&path).unwrap();
        assert_eq!(got, cmds);
        assert_eq!(stats.torn_bytes, 4096);
    }

    #[test]
    fn a_record_cut_short_then_zeros_is_a_torn_tail() {
        let path = temp("short-zeros");
        let cmds = commands(6);
        write_all(&path, &cmds, Fsync::No);
        let full = std::fs::read(&path).unwrap();
        let path5 = temp("short-zeros-5");
        write_all(&path5, &cmds[..5], Fsync::No);
        let five = std::fs::read(&path5).unwrap().len();
        // The sixth record's first half landed, the rest of its page did not.
        let cut = five + (full.len() - five) / 2;
        let mut data = full[..cut].to_vec();
        data.resize(full.len() + 4096, 0);
        std::fs::write(&path, &data).unwrap();
        let (got, stats) = read_back(&path).unwrap();
        assert_eq!(got, cmds[..5]);
        assert_eq!(stats.torn_bytes, (data.len() - five) as u64);
    }

    #[test]
    fn damage_before_the_end_stops_loading() {
        let path = temp("corrupt");
        write_all(&path, &commands(20), Fsync::No);
        let mut data = std::fs::read(&path).unwrap();
        data[20] ^= 0xff;
        std::fs::write(&path, &data).unwrap();
        assert!(matches!(read_back(&path), Err(LogError::Corrupt { .. })));
        std::fs::write(&path, b"NOTALOG!xxxxxxxx").unwrap();
        assert!(matches!(
            read_back(&path),
            Err(LogError::Corrupt { offset: 0, .. })
        ));
    }
}
