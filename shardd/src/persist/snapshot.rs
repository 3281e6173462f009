//! Snapshot files: the whole keyspace at one moment.
//!
//! Format: the magic `SHRDSNP1`, then one record per key
//! (`key_len u32 | key | expire_at_ms i64 (-1: none) | value_len u32 |
//! value`, the value in DUMP form; a record whose expiry is
//! [`META_EXPIRY`] is not a key but the shard's other state, named by its
//! key: `function`, a function library, its value the library's
//! code; `select`, the database of the keys that follow, in decimal), then a footer `count u64 | crc32 u32`
//! whose CRC covers every byte before it. The writer writes `*.tmp`,
//! syncs, renames into place and syncs the directory, so a snapshot file
//! is either complete or absent; the CRC catches damage at rest.

use std::{
    fs::File,
    io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write},
    os::unix::fs::FileExt,
    path::{Path, PathBuf},
};

/// The snapshot file's magic.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"SHRDSNP1";
const FOOTER_BYTES: usize = 12;
/// The expiry field of a record that is not a key (module docs).
pub const META_EXPIRY: i64 = i64::MIN;
/// The name of the meta records holding function libraries.
pub const META_FUNCTION: &[u8] = b"function";
/// The name of the meta record before the keys of a database other than
/// 0 (its value the database's number in decimal); keys before any such
/// record are database 0's.
pub const META_SELECT: &[u8] = b"select";

/// Writes a snapshot record by record.
pub struct SnapshotWriter {
    tmp: PathBuf,
    path: PathBuf,
    out: BufWriter<File>,
    crc: crc32fast::Hasher,
    count: u64,
}

impl SnapshotWriter {
    /// Starts writing the snapshot that will be `path` once finished.
    pub fn create(path: &Path) -> std::io::Result<SnapshotWriter> {
        let tmp = path.with_extension("tmp");
        let out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        let mut w = SnapshotWriter {
            tmp,
            path: path.to_owned(),
            out,
            crc: crc32fast::Hasher::new(),
            count: 0,
        };
        w.put(SNAPSHOT_MAGIC)?;
        Ok(w)
    }

    fn put(&mut self, b: &[u8]) -> std::io::Result<()> {
        self.crc.update(b);
        self.out.write_all(b)
    }

    /// Adds one key.
    pub fn add(
        &mut self,
        key: &[u8],
        expire_at_ms: Option<u64>,
        value: &[u8],
    ) -> std::io::Result<()> {
        self.put(&(key.len() as u32).to_le_bytes())?;
        self.put(key)?;
        let exp = expire_at_ms.map_or(-1i64, |t| t as i64);
        self.put(&exp.to_le_bytes())?;
        self.put(&(value.len() as u32).to_le_bytes())?;
        self.put(value)?;
        self.count += 1;
        Ok(())
    }

    /// Adds one record of the shard's other state (module docs).
    pub fn add_meta(&mut self, name: &[u8], value: &[u8]) -> std::io::Result<()> {
        self.put(&(name.len() as u32).to_le_bytes())?;
        self.put(name)?;
        self.put(&META_EXPIRY.to_le_bytes())?;
        self.put(&(value.len() as u32).to_le_bytes())?;
        self.put(value)?;
        self.count += 1;
        Ok(())
    }

    /// Writes the footer, syncs, and renames the file into place.
    pub fn finish(mut self) -> std::io::Result<u64> {
        let count = self.count;
        self.put(&count.to_le_bytes())?;
        let crc = self.crc.clone().finalize();
        self.out.write_all(&crc.to_le_bytes())?;
        let file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        std::fs::rename(&self.tmp, &self.path)?;
        super::aof::sync_dir(&self.path)?;
        Ok(count)
    }
}

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading failed.
    #[error("cannot read {0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The file is damaged.
    #[error("snapshot {0} is corrupt: {1}")]
    Corrupt(PathBuf, &'static str),
}

/// Bytes read at a time.
const READ_CHUNK_BYTES: usize = 1 << 20;

/// Reads every record of the snapshot at `path`, checking it whole first:
/// one pass checks the CRC, a second hands over the records. Both read
/// through a buffer, so memory holds one record at a time, not the file.
/// `meta` gets the records that are not keys (module docs). Returns the
/// keys read.
pub fn read_snapshot(
    path: &Path,
    mut f: impl FnMut(&[u8], Option<u64>, &[u8]) -> Result<(), &'static str>,
    mut meta: impl FnMut(&[u8], &[u8]),
) -> Result<u64, SnapshotError> {
    let corrupt = |what| SnapshotError::Corrupt(path.to_owned(), what);
    let io = |e| SnapshotError::Io(path.to_owned(), e);
    let file = File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    if len < (SNAPSHOT_MAGIC.len() + FOOTER_BYTES) as u64 {
        return Err(corrupt("not a shardis snapshot"));
    }
    let mut magic = [0u8; 8];
    file.read_exact_at(&mut magic, 0).map_err(io)?;
    if &magic != SNAPSHOT_MAGIC {
        return Err(corrupt("not a shardis snapshot"));
    }
    let mut footer = [0u8; FOOTER_BYTES];
    let body_end = len - FOOTER_BYTES as u64;
    file.read_exact_at(&mut footer, body_end).map_err(io)?;
    let (count, crc) = footer.split_at(8);
    let count = u64::from_le_bytes(count.try_into().map_err(|_| corrupt("footer"))?);
    let crc = u32::from_le_bytes(crc.try_into().map_err(|_| corrupt("footer"))?);
    // Pass 1: the CRC covers everything before its own 4 bytes.
    let mut hasher = crc32fast::Hasher::new();
    let mut chunk = vec![0u8; READ_CHUNK_BYTES];
    let mut at = 0u64;
    let crc_at = len - 4;
    while at < crc_at {
        let n = chunk.len().min((crc_at - at) as usize);
        file.read_exact_at(&mut chunk[..n], at).map_err(io)?;
        hasher.update(&chunk[..n]);
        at += n as u64;
    }
    drop(chunk);
    if hasher.finalize() != crc {
        return Err(corrupt("checksum mismatch"));
    }
    // Pass 2: the records, between the magic and the footer.
    let mut r = BufReader::with_capacity(READ_CHUNK_BYTES, &file);
    r.seek(SeekFrom::Start(SNAPSHOT_MAGIC.len() as u64))
        .map_err(io)?;
    let mut left = body_end - SNAPSHOT_MAGIC.len() as u64;
    let (mut key, mut value) = (Vec::new(), Vec::new());
    let (mut seen, mut metas) = (0u64, 0u64);
    while left > 0 {
        let truncated = || corrupt("truncated record");
        let klen = read_u32(&mut r, &mut left).ok_or_else(truncated)?;
        read_into(&mut r, &mut left, klen, &mut key).ok_or_else(truncated)?;
        let mut exp = [0u8; 8];
        take(&mut r, &mut left, &mut exp).ok_or_else(truncated)?;
        let exp = i64::from_le_bytes(exp);
        let vlen = read_u32(&mut r, &mut left).ok_or_else(truncated)?;
        read_into(&mut r, &mut left, vlen, &mut value).ok_or_else(truncated)?;
        seen += 1;
        if exp == META_EXPIRY {
            meta(&key, &value);
            metas += 1;
            continue;
        }
        f(&key, (exp >= 0).then_some(exp as u64), &value).map_err(corrupt)?;
    }
    if seen != count {
        return Err(corrupt("record count mismatch"));
    }
    Ok(count - metas)
}

/// Reads exactly `buf.len()` of the `left` bytes still in the body.
fn take(r: &mut impl Read, left: &mut u64, buf: &mut [u8]) -> Option<()> {
    *left = left.checked_sub(buf.len() as u64)?;
    r.read_exact(buf).ok()
}

fn read_u32(r: &mut impl Read, left: &mut u64) -> Option<usize> {
    let mut b = [0u8; 4];
    take(r, left, &mut b)?;
    Some(u32::from_le_bytes(b) as usize)
}

/// Reads `n` bytes into `buf` (reused from record to record); a length
/// past the body's end fails before anything is allocated.
fn read_into(r: &mut impl Read, left: &mut u64, n: usize, buf: &mut Vec<u8>) -> Option<()> {
    if n as u64 > *left {
        return None;
    }
    buf.clear();
    buf.resize(n, 0);
    take(r, left, buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("shardd-snap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("snapshot.1.snap")
    }

    #[test]
    fn records_read_back_and_damage_is_refused() {
        let p = path("rt");
        let mut w = SnapshotWriter::create(&p).unwrap();
        w.add(b"a", None, b"v1").unwrap();
        w.add_meta(META_FUNCTION, b"#!lua name=l").unwrap();
        w.add(b"", Some(123), b"").unwrap();
        assert_eq!(w.finish().unwrap(), 3);
        assert!(!p.with_extension("tmp").exists());
        let mut got = Vec::new();
        let mut metas = Vec::new();
        let n = read_snapshot(
            &p,
            |k, e, v| {
                got.push((k.to_vec(), e, v.to_vec()));
                Ok(())
            },
            |k, v| metas.push((k.to_vec(), v.to_vec())),
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            metas,
            vec![(b"function".to_vec(), b"#!lua name=l".to_vec())]
        );
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), None, b"v1".to_vec()),
                (vec![], Some(123), vec![])
            ]
        );
        let mut data = std::fs::read(&p).unwrap();
        data[10] ^= 1;
        std::fs::write(&p, &data).unwrap();
        assert!(matches!(
            read_snapshot(&p, |_, _, _| Ok(()), |_, _| {}),
            Err(SnapshotError::Corrupt(..))
        ));
        std::fs::write(&p, b"short").unwrap();
        assert!(read_snapshot(&p, |_, _, _| Ok(()), |_, _| {}).is_err());
    }

    #[test]
    fn a_snapshot_larger_than_the_read_buffer_reads_back() {
        let p = path("big");
        let mut w = SnapshotWriter::create(&p).unwrap();
        let value = |i: usize| {
            vec![
                i as u8;
                if i == 3 {
                    3 * READ_CHUNK_BYTES
                } else {
                    i * 997 % 70_000
                }
            ]
        };
        for i in 0..200 {
            w.add(
                format!("k{i}").as_bytes(),
                (i % 2 == 0).then_some(i as u64),
                &value(i),
            )
            .unwrap();
        }
        assert_eq!(w.finish().unwrap(), 200);
        assert!(std::fs::metadata(&p).unwrap().len() > 4 * READ_CHUNK_BYTES as u64);
        let mut i = 0;
        let n = read_snapshot(
            &p,
            |k, e, v| {
                assert_eq!(k, format!("k{i}").as_bytes());
                assert_eq!(e, (i % 2 == 0).then_some(i as u64));
                assert!(v == value(i), "value {i}");
                i += 1;
                Ok(())
            },
            |_, _| panic!("no meta record was written"),
        )
        .unwrap();
        assert_eq!((n, i), (200, 200));
        // A record whose length runs past the body, with a CRC that
        // matches (a file written wrong, not damaged at rest): refused.
        let mut data = std::fs::read(&p).unwrap();
        data[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        let body_end = data.len() - 4;
        let crc = crc32fast::hash(&data[..body_end]);
        data[body_end..].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(&p, &data).unwrap();
        assert!(matches!(
            read_snapshot(&p, |_, _, _| Ok(()), |_, _| {}),
            Err(SnapshotError::Corrupt(_, "truncated record"))
        ));
    }
}
