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
    os::{fd::AsRawFd, unix::fs::FileExt},
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

pub use common::wire::Fsync;
use smallvec::SmallVec;

/// The log file's magic.
pub const AOF_MAGIC: &[u8; 8] = b"SHRDAOF1";
/// Bytes before a record's payload.
const RECORD_HEADER_BYTES: usize = 8;
/// Largest record accepted when reading (a sanity bound on `len`).
pub const MAX_RECORD_BYTES: usize = 1 << 30;
/// How often `everysec` syncs.
pub const EVERYSEC_INTERVAL_MS: u64 = 1_000;

/// Appends write commands to a log file.
pub struct AofWriter {
    path: PathBuf,
    file: Arc<File>,
    buf: Vec<u8>,
    policy: Fsync,
    /// Bytes in the file (after the last flush).
    size: u64,
    syncer: Option<Syncer>,
    /// The database the records appended so far leave a replay in
    /// (`None` right after opening: unknown, so the first record is
    /// preceded by a `SELECT`).
    db: Option<usize>,
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
            // A new log replays from database 0 (loading selects it at
            // the start of each log); an old one's end is not known here.
            db: (size == AOF_MAGIC.len() as u64).then_some(0),
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

    /// Bytes the write buffer holds allocated (`INFO`'s `mem_aof_buffer`).
    pub fn buffer_bytes(&self) -> usize {
        self.buf.capacity()
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

    /// Says which database the records in the log so far leave a replay
    /// in (loading replayed them).
    pub fn set_db(&mut self, db: usize) {
        self.db = Some(db);
    }

    /// Buffers one command of database `db`, preceded by a `SELECT` when
    /// the records before it leave a replay in another database.
    pub fn append_in<A: AsRef<[u8]>>(&mut self, db: usize, args: &[A]) {
        if self.db != Some(db) {
            let n = db.to_string();
            self.append(&[&b"SELECT"[..], n.as_bytes()]);
            self.db = Some(db);
        }
        self.append(args);
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
        // A record the reader would refuse as damaged must never be
        // written (the proxy's limits keep a command far below this).
        debug_assert!(payload.len() <= MAX_RECORD_BYTES);
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

/// Bytes the log reader reads at a time.
const READ_CHUNK_BYTES: usize = 1 << 20;

/// The log read forward through a window: loading holds one chunk (or one
/// record, if larger) in memory, not the whole file.
struct Window {
    file: File,
    buf: Vec<u8>,
    /// First unconsumed byte of `buf`.
    at: usize,
    /// File offset of `buf[0]`.
    base: u64,
    /// The file's length when opened.
    len: u64,
    eof: bool,
}

impl Window {
    /// Makes `n` bytes from `at` available unless the file ends first;
    /// returns how many are.
    fn fill(&mut self, n: usize) -> std::io::Result<usize> {
        while self.buf.len() - self.at < n && !self.eof {
            // Drop what was consumed before reading more.
            self.buf.drain(..self.at);
            self.base += self.at as u64;
            self.at = 0;
            // Never more than the file holds: a damaged header announcing
            // a huge record costs no memory.
            let left = self.len.saturating_sub(self.base + self.buf.len() as u64);
            let want = ((n - self.buf.len()).max(READ_CHUNK_BYTES) as u64).min(left) as usize;
            if want == 0 {
                self.eof = true;
                break;
            }
            let old = self.buf.len();
            self.buf.resize(old + want, 0);
            let mut got = 0;
            while got < want {
                match self.file.read(&mut self.buf[old + got..]) {
                    Ok(0) => break,
                    Ok(k) => got += k,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            self.buf.truncate(old + got);
            self.eof = got < want;
        }
        debug_assert!(self.at <= self.buf.len());
        // Never more than the file held when opened.
        debug_assert!(self.base + self.buf.len() as u64 <= self.len);
        Ok(self.buf.len() - self.at)
    }

    /// File offset of the first unconsumed byte.
    fn offset(&self) -> u64 {
        self.base + self.at as u64
    }
}

/// Reads every command of the log at `path`, calling `f` with each; cuts
/// off a torn tail (truncating the file), refuses damage elsewhere. The
/// file is read in chunks, so memory does not grow with its size.
pub fn read_log(path: &Path, mut f: impl FnMut(&[&[u8]])) -> Result<LogStats, LogError> {
    let io = |e| LogError::Io(path.to_owned(), e);
    let file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let corrupt = |offset: u64, what| LogError::Corrupt {
        path: path.to_owned(),
        offset,
        what,
    };
    let mut w = Window {
        file,
        buf: Vec::new(),
        at: 0,
        base: 0,
        len: file_len,
        eof: false,
    };
    let head = w.fill(AOF_MAGIC.len()).map_err(io)?;
    if head < AOF_MAGIC.len() {
        // A crash while creating the file: nothing was ever logged in it.
        truncate_to(path, 0).map_err(io)?;
        return Ok(LogStats {
            commands: 0,
            torn_bytes: head as u64,
        });
    }
    if &w.buf[..AOF_MAGIC.len()] != AOF_MAGIC {
        return Err(corrupt(0, "not a shardis append-only log"));
    }
    w.at = AOF_MAGIC.len();
    let mut stats = LogStats::default();
    let mut offs = Vec::new();
    loop {
        let avail = w.fill(RECORD_HEADER_BYTES).map_err(io)?;
        if avail == 0 {
            break;
        }
        let mut size = None;
        if avail >= RECORD_HEADER_BYTES {
            let h = &w.buf[w.at..w.at + 4];
            let len = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
            if (4..=MAX_RECORD_BYTES).contains(&len) {
                let need = RECORD_HEADER_BYTES + len;
                if w.fill(need).map_err(io)? >= need
                    && parse_record(&w.buf[w.at..w.at + need], &mut offs)
                {
                    size = Some(need);
                }
            }
        }
        if let Some(size) = size {
            let rec = &w.buf[w.at..w.at + size];
            // `parse_record` placed every argument inside the record.
            debug_assert!(offs.iter().all(|&(s, n)| s + n <= rec.len()));
            let args: SmallVec<[&[u8]; 8]> = offs.iter().map(|&(s, n)| &rec[s..s + n]).collect();
            f(&args);
            stats.commands += 1;
            w.at += size;
            continue;
        }
        let at = w.offset();
        if !is_torn_tail(&w.file, at, file_len).map_err(io)? {
            return Err(corrupt(at, "damaged record before the end of the file"));
        }
        stats.torn_bytes = file_len.saturating_sub(at);
        tracing::warn!(
            path = %path.display(),
            offset = at,
            bytes = stats.torn_bytes,
            "cutting off a torn record at the end of the append-only log"
        );
        truncate_to(path, at).map_err(io)?;
        break;
    }
    Ok(stats)
}

/// Parses one whole record `b` (header and payload): true if its CRC
/// matches and its arguments fill the payload exactly; `offs` gets each
/// argument's (start, length) within `b`.
fn parse_record(b: &[u8], offs: &mut Vec<(usize, usize)>) -> bool {
    let field = |at: usize| -> Option<usize> {
        Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let (Some(crc), Some(payload)) = (field(4), b.get(RECORD_HEADER_BYTES..)) else {
        return false;
    };
    if crc32fast::hash(payload) != crc as u32 {
        return false;
    }
    offs.clear();
    let Some(argc) = field(RECORD_HEADER_BYTES) else {
        return false;
    };
    let mut at = RECORD_HEADER_BYTES + 4;
    for _ in 0..argc {
        let Some(n) = field(at) else {
            return false;
        };
        if n > b.len() - at - 4 {
            return false;
        }
        offs.push((at + 4, n));
        at += 4 + n;
    }
    at == b.len()
}

/// A bad record at `at` is a torn tail if the file ends within the extent
/// its header announces (a write cut short), if everything left is zeros
/// (space the file system allocated but the crash left unwritten), or if
/// everything after the extent it announces is zeros (a batch whose first
/// pages reached the disk and whose later pages did not). None of these
/// records was acknowledged under `always`: its batch's sync never
/// returned. Like Redis's `aof-load-truncated`, damage to the very last
/// record followed only by zeros is cut off rather than refused.
fn is_torn_tail(file: &File, at: u64, file_len: u64) -> std::io::Result<bool> {
    // The reader stops at the length it found at open.
    debug_assert!(at <= file_len);
    if zeros_between(file, at, file_len)? {
        return Ok(true);
    }
    let mut h = [0u8; 4];
    if file_len - at < h.len() as u64 {
        return Ok(true);
    }
    file.read_exact_at(&mut h, at)?;
    let extent = RECORD_HEADER_BYTES as u64 + u64::from(u32::from_le_bytes(h));
    Ok(extent >= file_len - at || zeros_between(file, at + extent, file_len)?)
}

/// Whether the file's bytes from `from` to `to` are all zeros.
fn zeros_between(file: &File, mut from: u64, to: u64) -> std::io::Result<bool> {
    let mut chunk = vec![0u8; READ_CHUNK_BYTES.min(to.saturating_sub(from) as usize)];
    while from < to {
        let n = chunk.len().min((to - from) as usize);
        file.read_exact_at(&mut chunk[..n], from)?;
        if chunk[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        from += n as u64;
    }
    Ok(true)
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
    fn a_log_larger_than_the_read_window_reads_back_across_chunks() {
        let path = temp("chunks");
        // Records of many sizes straddle the 1 MiB chunks; two are larger
        // than a chunk.
        let mut cmds = Vec::new();
        for i in 0..3_000usize {
            let size = match i {
                700 => 3 * READ_CHUNK_BYTES / 2,
                2_100 => 2 * READ_CHUNK_BYTES + 5,
                _ => (i * 7919) % 4_001,
            };
            cmds.push(vec![
                b"SET".to_vec(),
                format!("k{i}").into_bytes(),
                vec![i as u8; size],
            ]);
        }
        write_all(&path, &cmds, Fsync::No);
        let full = std::fs::read(&path).unwrap();
        assert!(full.len() > 5 * READ_CHUNK_BYTES);
        let (got, stats) = read_back(&path).unwrap();
        assert_eq!(got.len(), cmds.len());
        assert!(got == cmds, "commands differ");
        assert_eq!(stats.torn_bytes, 0);
        // Cut inside the large last-but-one region: everything before the
        // cut record loads, the tail is cut off.
        let cut = full.len() - 10;
        std::fs::write(&path, &full[..cut]).unwrap();
        let (got, stats) = read_back(&path).unwrap();
        assert_eq!(got.len(), cmds.len() - 1);
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            cut as u64 - stats.torn_bytes
        );
        // Damage far from the end (inside the first big record) is refused.
        let mut bad = full.clone();
        bad[READ_CHUNK_BYTES] ^= 0xff;
        std::fs::write(&path, &bad).unwrap();
        assert!(matches!(read_back(&path), Err(LogError::Corrupt { .. })));
    }

    #[test]
    fn a_header_announcing_a_huge_record_at_the_end_is_a_torn_tail() {
        let path = temp("huge");
        let cmds = commands(10);
        write_all(&path, &cmds, Fsync::No);
        let mut data = std::fs::read(&path).unwrap();
        let clean = data.len();
        data.extend_from_slice(&(MAX_RECORD_BYTES as u32).to_le_bytes());
        data.extend_from_slice(&[7; 20]);
        std::fs::write(&path, &data).unwrap();
        let (got, stats) = read_back(&path).unwrap();
        assert_eq!(got, cmds);
        assert_eq!(stats.torn_bytes, 24);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), clean as u64);
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
