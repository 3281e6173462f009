//! Small files that must survive a crash whole: the proxy's slot map and
//! a shard's owned slots.

use std::{io::Write, path::Path};

/// Writes `data` to `path` through a synced temporary file (`path` with
/// the extension `tmp`) and a rename, then syncs the directory: after a
/// crash the file holds the old data or the new, never part of either.
pub fn write_synced(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_data_replaces_the_old_whole() {
        let dir = std::env::temp_dir().join(format!("durable-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let f = dir.join("x.map");
        write_synced(&f, b"old").expect("written");
        write_synced(&f, b"new data").expect("written");
        assert_eq!(std::fs::read(&f).expect("read"), b"new data");
        assert!(!dir.join("x.tmp").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
