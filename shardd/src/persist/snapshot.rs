//! Snapshot files: the whole keyspace at one moment.
//!
//! Format: the magic `SHRDSNP1`, then one record per key
//! (`key_len u32 | key | expire_at_ms i64 (-1: none) | value_len u32 |
//! value`, the value in DUMP form), then a footer `count u64 | crc32 u32`
//! whose CRC covers every byte before it. The writer writes `*.tmp`,
//! syncs, renames into place and syncs the directory, so a snapshot file
//! is either complete or absent; the CRC catches damage at rest.

use std::{
    fs::File,
    io::{BufWriter, Read, Write},
    path::{Path, PathBuf},
};

/// The snapshot file's magic.
pub const SNAPSHOT_MAGIC: &[u8; 8] = b"SHRDSNP1";
const FOOTER_BYTES: usize = 12;

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

/// Reads every record of the snapshot at `path`, checking it whole first.
pub fn read_snapshot(
    path: &Path,
    mut f: impl FnMut(&[u8], Option<u64>, &[u8]) -> Result<(), &'static str>,
) -> Result<u64, SnapshotError> {
    let corrupt = |what| SnapshotError::Corrupt(path.to_owned(), what);
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut fh| fh.read_to_end(&mut data))
        .map_err(|e| SnapshotError::Io(path.to_owned(), e))?;
    if data.len() < SNAPSHOT_MAGIC.len() + FOOTER_BYTES || &data[..8] != SNAPSHOT_MAGIC {
        return Err(corrupt("not a shardis snapshot"));
    }
    let body_end = data.len() - 4;
    let crc = u32::from_le_bytes(data[body_end..].try_into().map_err(|_| corrupt("footer"))?);
    if crc32fast::hash(&data[..body_end]) != crc {
        return Err(corrupt("checksum mismatch"));
    }
    let count_at = data.len() - FOOTER_BYTES;
    let count = u64::from_le_bytes(
        data[count_at..body_end]
            .try_into()
            .map_err(|_| corrupt("footer"))?,
    );
    let mut rest = &data[8..count_at];
    let mut seen = 0u64;
    while !rest.is_empty() {
        let (key, exp, value, after) = record(rest).ok_or_else(|| corrupt("truncated record"))?;
        f(key, exp, value).map_err(corrupt)?;
        rest = after;
        seen += 1;
    }
    if seen != count {
        return Err(corrupt("record count mismatch"));
    }
    Ok(count)
}

type Record<'a> = (&'a [u8], Option<u64>, &'a [u8], &'a [u8]);

fn record(b: &[u8]) -> Option<Record<'_>> {
    let klen = u32::from_le_bytes(b.get(..4)?.try_into().ok()?) as usize;
    let key = b.get(4..4 + klen)?;
    let at = 4 + klen;
    let exp = i64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?);
    let vlen = u32::from_le_bytes(b.get(at + 8..at + 12)?.try_into().ok()?) as usize;
    let value = b.get(at + 12..at + 12 + vlen)?;
    let exp = (exp >= 0).then_some(exp as u64);
    Some((key, exp, value, &b[at + 12 + vlen..]))
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
        w.add(b"", Some(123), b"").unwrap();
        assert_eq!(w.finish().unwrap(), 2);
        assert!(!p.with_extension("tmp").exists());
        let mut got = Vec::new();
        let n = read_snapshot(&p, |k, e, v| {
            got.push((k.to_vec(), e, v.to_vec()));
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 2);
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
            read_snapshot(&p, |_, _, _| Ok(())),
            Err(SnapshotError::Corrupt(..))
        ));
        std::fs::write(&p, b"short").unwrap();
        assert!(read_snapshot(&p, |_, _, _| Ok(())).is_err());
    }
}
