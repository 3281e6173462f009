//! The slots this shard owns, and its side of moving slots to another
//! shard (`proxy/MIGRATION.md`).
//!
//! - **Owned set.** Kept in `DIR/slots` (text ranges, written to a
//!   temporary file, synced and renamed), read at start (or taken from
//!   `--slots` when the file is missing), told in the hello
//!   (`slots=0-8191`), and used by scripts to tell their own keys from
//!   other shards' (`crate::script`). Unknown (`None`) for a shard started
//!   with neither: scripts then fall back on the proxy's count of shards.
//! - `SHARDD.SLOTS GET`: the owned set, as text.
//! - `SHARDD.SLOTS SET ranges`: the new owned set, persisted, and the log
//!   synced whatever `appendfsync` says (what was copied here before is
//!   durable once it is answered).
//! - `SHARDD.SLOTS DROP`: deletes every key of every slot this shard does
//!   not own, in every database (logged as one `SHARDD.SLOTDROP ranges`
//!   record, which loading replays the same way; quietly: no keyspace
//!   events, as Redis Cluster's moves send none), and syncs the log.
//!   Answers the number of keys deleted.
//! - `SHARDD.SLOTDUMP slot...`: every live key of those slots, in every
//!   database, as one blob (a bulk string the proxy passes on unread:
//!   `u64` count, then per key `u32` database, `u32` length and key, `u32`
//!   length and payload in `SHARDD.DUMP`'s form, `i64` absolute expiry in
//!   ms or -1; little-endian). The slots
//!   stop being owned in memory (not in the file: a restart before the
//!   move commits owns them again), so a script reaching one of their
//!   keys as a stray key treats it as another shard's. Clients blocked
//!   here on their keys are answered [`common::wire::SLOT_MOVED`], and
//!   `SHARDD.BWAIT` waiters on them are woken: the proxy sends both again
//!   to the new owner. Refused with `-TRYAGAIN` while a transaction over
//!   several shards is live here (its locks or undo images could cover
//!   keys of the slots).
//! - `SHARDD.SLOTLOAD blob`: puts every key of a `SLOTDUMP` blob in place
//!   (replacing one of the same name; one already expired is skipped),
//!   logged as the command itself (loading replays it). Answers the keys
//!   put. A blob that does not parse changes nothing.

use std::{
    path::{Path, PathBuf},
    rc::Rc,
};

use common::{slotset::SlotSet, table::Cmd};

use crate::dump as payload;

/// The slot commands a shard runs itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotsCmd {
    /// `SHARDD.SLOTS GET|SET ranges|DROP`
    Slots,
    /// `SHARDD.SLOTDUMP slot...`
    Dump,
    /// `SHARDD.SLOTLOAD blob`
    Load,
}

/// The slot command `id`, if it is one.
pub const fn command(id: Cmd) -> Option<SlotsCmd> {
    match id {
        Cmd::SharddSlots => Some(SlotsCmd::Slots),
        Cmd::SharddSlotdump => Some(SlotsCmd::Dump),
        Cmd::SharddSlotload => Some(SlotsCmd::Load),
        _ => None,
    }
}

/// The log record of a `SHARDD.SLOTLOAD` (the command itself).
pub const SLOTLOAD: &[u8] = b"SHARDD.SLOTLOAD";
/// The log record of a `SHARDD.SLOTS DROP`: `SHARDD.SLOTDROP ranges`.
pub const SLOTDROP: &[u8] = b"SHARDD.SLOTDROP";

/// Appends one key to a `SLOTDUMP` blob.
pub(crate) fn put_entry(out: &mut Vec<u8>, db: usize, key: &[u8], payload: &[u8], at: i64) {
    out.extend_from_slice(&(db as u32).to_le_bytes());
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&at.to_le_bytes());
}

/// The keys of a `SLOTDUMP` blob: `(db, key, payload, expiry)`; `None` if
/// it does not parse whole.
#[allow(clippy::type_complexity)]
pub fn parse_blob(blob: &[u8]) -> Option<Vec<(usize, &[u8], &[u8], i64)>> {
    fn take<'a>(b: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if b.len() < n {
            return None;
        }
        let (head, rest) = b.split_at(n);
        *b = rest;
        Some(head)
    }
    fn u32_of(b: &mut &[u8]) -> Option<usize> {
        Some(u32::from_le_bytes(take(b, 4)?.try_into().ok()?) as usize)
    }
    let mut b = blob;
    let count = u64::from_le_bytes(take(&mut b, 8)?.try_into().ok()?);
    // Each key takes at least 20 bytes: a count past that is a lie.
    if count > (b.len() / 20) as u64 {
        return None;
    }
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let db = u32_of(&mut b)?;
        let klen = u32_of(&mut b)?;
        let key = take(&mut b, klen)?;
        let plen = u32_of(&mut b)?;
        let payload = take(&mut b, plen)?;
        let at = i64::from_le_bytes(take(&mut b, 8)?.try_into().ok()?);
        out.push((db, key, payload, at));
    }
    b.is_empty().then_some(out)
}

/// Puts every key of a `SLOTDUMP` blob in `ks` (its selected database is
/// kept); the keys put, or why the blob was refused (then nothing
/// changed).
pub fn load_blob(ks: &mut crate::keyspace::Keyspace, blob: &[u8]) -> Result<usize, String> {
    let entries = parse_blob(blob).ok_or("a broken slot blob")?;
    let mut decoded = Vec::with_capacity(entries.len());
    for (db, key, payload, at) in entries {
        if db >= ks.databases() {
            return Err(format!("database {db} is out of range"));
        }
        let (value, mark) = payload::decode_marked(payload).map_err(|e| e.to_string())?;
        decoded.push((db, key, value, mark, at));
    }
    let home = ks.selected();
    let now = ks.now_ms();
    let mut put = 0;
    for (db, key, value, mark, at) in decoded {
        ks.select(db);
        ks.delete(key);
        let expiry = u64::try_from(at).ok();
        if expiry.is_some_and(|t| t <= now) {
            continue;
        }
        ks.insert_with_expiry(key, value, expiry);
        ks.mark_str(key, mark);
        put += 1;
    }
    ks.select(home);
    Ok(put)
}

/// Deletes every key of `slots` in every database of `ks`, telling `gone`
/// each; how many.
pub fn drop_slots(
    ks: &mut crate::keyspace::Keyspace,
    slots: &SlotSet,
    mut gone: impl FnMut(usize, &[u8]),
) -> usize {
    let home = ks.selected();
    let mut n = 0;
    for db in ks.used_dbs() {
        ks.select(db);
        let mut keys = Vec::new();
        for slot in slots.iter() {
            ks.for_each_in_slot(slot, |k| keys.push(k.to_vec()));
        }
        for k in keys {
            if ks.delete(&k) {
                gone(db, &k);
                n += 1;
            }
        }
    }
    ks.select(home);
    n
}

/// The file in a data directory that holds the owned set.
pub fn slots_file(dir: &Path) -> PathBuf {
    dir.join("slots")
}

/// The slots a shard owns (see the module docs).
#[derive(Default)]
pub struct Owned {
    set: Option<Rc<SlotSet>>,
    file: Option<PathBuf>,
}

impl Owned {
    /// The set in `dir`'s file, else `initial` (then written there).
    pub fn load(dir: Option<&Path>, initial: Option<SlotSet>) -> std::io::Result<Owned> {
        let file = dir.map(slots_file);
        let mut owned = Owned {
            set: None,
            file: file.clone(),
        };
        if let Some(f) = &file {
            match std::fs::read(f) {
                Ok(text) => {
                    let set = SlotSet::parse(&text).ok_or_else(|| {
                        std::io::Error::other(format!("{}: not a slot list", f.display()))
                    })?;
                    owned.set = Some(Rc::new(set));
                    return Ok(owned);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        if let Some(set) = initial {
            owned.store(set)?;
        }
        Ok(owned)
    }

    /// The owned set, if known.
    pub fn get(&self) -> Option<&Rc<SlotSet>> {
        self.set.as_ref()
    }

    /// The hello's word: `slots=RANGES` (`slots=?` when unknown).
    pub fn hello_word(&self) -> String {
        match &self.set {
            Some(s) => format!("slots={}", s.to_ranges()),
            None => "slots=?".to_string(),
        }
    }

    /// Makes `set` the owned set, in the file first.
    pub(crate) fn store(&mut self, set: SlotSet) -> std::io::Result<()> {
        if let Some(f) = &self.file {
            common::durable::write_synced(f, set.to_ranges().as_bytes())?;
        }
        self.set = Some(Rc::new(set));
        Ok(())
    }

    /// Stops owning `slots` in memory only.
    pub(crate) fn forget(&mut self, slots: &SlotSet) {
        if let Some(s) = &self.set {
            let mut left = (**s).clone();
            left.subtract(slots);
            self.set = Some(Rc::new(left));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_parse_whole_or_not_at_all() {
        let mut blob = 2u64.to_le_bytes().to_vec();
        put_entry(&mut blob, 0, b"k", b"payload", -1);
        put_entry(&mut blob, 3, b"key2", b"", 1_700_000_000_000);
        let e = parse_blob(&blob).expect("a whole blob");
        assert_eq!(e[0], (0, &b"k"[..], &b"payload"[..], -1));
        assert_eq!(e[1], (3, &b"key2"[..], &b""[..], 1_700_000_000_000));
        for cut in 0..blob.len() {
            assert!(parse_blob(&blob[..cut]).is_none(), "cut at {cut}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert!(parse_blob(&longer).is_none());
        let mut lying = blob.clone();
        lying[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse_blob(&lying).is_none());
    }
}
