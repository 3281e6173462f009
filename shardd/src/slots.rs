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
//!   not own, in every database (each logged as a DEL, quietly: no
//!   keyspace events, as Redis Cluster's moves send none), and syncs the
//!   log. Answers the number of keys deleted.
//! - `SHARDD.SLOTDUMP slot...`: every live key of those slots, in every
//!   database, as `db key payload expiry` quadruples (the payload in
//!   `SHARDD.DUMP`'s form, the expiry absolute in ms or -1). The slots
//!   stop being owned in memory (not in the file: a restart before the
//!   move commits owns them again), so a script reaching one of their
//!   keys as a stray key treats it as another shard's. Clients blocked
//!   here on their keys are answered [`common::wire::SLOT_MOVED`], and
//!   `SHARDD.BWAIT` waiters on them are woken: the proxy sends both again
//!   to the new owner. Refused with `-TRYAGAIN` while a transaction over
//!   several shards is live here (its locks or undo images could cover
//!   keys of the slots).

use std::{
    io::Write,
    path::{Path, PathBuf},
    rc::Rc,
};

use common::{slot::key_slot, slotset::SlotSet, table::Cmd};

use crate::{
    blocking::Ending, dump as payload, keyspace::split_db_key, persist::WriteLog, reply::Reply,
    server::Engine,
};

/// The slot commands a shard runs itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotsCmd {
    /// `SHARDD.SLOTS GET|SET ranges|DROP`
    Slots,
    /// `SHARDD.SLOTDUMP slot...`
    Dump,
}

/// The slot command `id`, if it is one.
pub const fn command(id: Cmd) -> Option<SlotsCmd> {
    match id {
        Cmd::SharddSlots => Some(SlotsCmd::Slots),
        Cmd::SharddSlotdump => Some(SlotsCmd::Dump),
        _ => None,
    }
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
    fn store(&mut self, set: SlotSet) -> std::io::Result<()> {
        if let Some(f) = &self.file {
            write_synced(f, set.to_ranges().as_bytes())?;
        }
        self.set = Some(Rc::new(set));
        Ok(())
    }

    /// Stops owning `slots` in memory only.
    fn forget(&mut self, slots: &SlotSet) {
        if let Some(s) = &self.set {
            let mut left = (**s).clone();
            left.subtract(slots);
            self.set = Some(Rc::new(left));
        }
    }
}

/// Writes `data` to `path` through a synced temporary file and a rename,
/// then syncs the directory.
fn write_synced(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(data)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        crate::persist::aof::sync_dir(dir)?;
    }
    Ok(())
}

impl<L: WriteLog> Engine<L> {
    /// Runs `SHARDD.SLOTS` or `SHARDD.SLOTDUMP`.
    pub(crate) fn serve_slots(&mut self, cmd: SlotsCmd, args: &[&[u8]], reply: &mut Reply) {
        match cmd {
            SlotsCmd::Dump => self.slot_dump(args, reply),
            SlotsCmd::Slots => match args.get(1).map(|a| a.to_ascii_uppercase()).as_deref() {
                Some(b"GET") => match self.owned.get() {
                    Some(s) => reply.bulk(s.to_ranges().as_bytes()),
                    None => reply.null(),
                },
                Some(b"SET") => {
                    let Some(set) = args.get(2).and_then(|a| SlotSet::parse(a)) else {
                        return reply.error("ERR bad slot list");
                    };
                    let stored = self.owned.store(set).and_then(|()| self.sync_log());
                    match stored {
                        Ok(()) => reply.ok(),
                        Err(e) => reply.error(&format!("ERR cannot keep the slots: {e}")),
                    }
                }
                Some(b"DROP") => match self.drop_foreign() {
                    Ok(n) => reply.int(n as i64),
                    Err(e) => reply.error(&format!("ERR {e}")),
                },
                _ => reply.error("ERR SHARDD.SLOTS GET|SET ranges|DROP"),
            },
        }
    }

    /// Writes and syncs what the log holds.
    fn sync_log(&mut self) -> std::io::Result<()> {
        match self.log.data_dir() {
            Some(d) => d.sync_now(),
            None => Ok(()),
        }
    }

    fn slot_dump(&mut self, args: &[&[u8]], reply: &mut Reply) {
        if self.xtx.active() {
            return reply.error("TRYAGAIN a transaction over several shards is live on this shard");
        }
        let mut slots = SlotSet::default();
        for a in &args[1..] {
            match std::str::from_utf8(a)
                .ok()
                .and_then(|s| s.parse::<u16>().ok())
            {
                Some(s) if (s as usize) < common::slot::SLOT_COUNT => slots.insert(s),
                _ => return reply.error("ERR bad slot"),
            }
        }
        let home = self.ks.selected();
        let mut entries: Vec<(usize, Vec<u8>, Vec<u8>, i64)> = Vec::new();
        for db in self.ks.used_dbs() {
            self.ks.select(db);
            let mut keys = Vec::new();
            for slot in slots.iter() {
                self.ks.for_each_in_slot(slot, |k| keys.push(k.to_vec()));
            }
            for k in keys {
                let mark = self.ks.str_mark(&k);
                let expiry = self.ks.expire_at(&k).flatten();
                if let Some(v) = self.ks.get(&k) {
                    let body = payload::encode_marked(v, mark);
                    let at = expiry.map_or(-1, |e| i64::try_from(e).unwrap_or(i64::MAX));
                    entries.push((db, k, body, at));
                }
            }
        }
        self.ks.select(home);
        reply.array(entries.len() * 4);
        for (db, k, body, at) in &entries {
            reply.int(*db as i64);
            reply.bulk(k);
            reply.bulk(body);
            reply.int(*at);
        }
        self.owned.forget(&slots);
        self.blocking.end_where(
            |db_key| slots.contains(key_slot(split_db_key(db_key).1)),
            Ending::Moved,
        );
    }

    /// `SHARDD.SLOTS DROP`: the keys of slots not owned go.
    fn drop_foreign(&mut self) -> std::io::Result<usize> {
        let Some(owned) = self.owned.get().cloned() else {
            return Err(std::io::Error::other("this shard does not know its slots"));
        };
        let home = self.ks.selected();
        let now = self.ks.now_ms();
        let mut gone = 0;
        for db in self.ks.used_dbs() {
            self.ks.select(db);
            let mut keys = Vec::new();
            for slot in 0..common::slot::SLOT_COUNT as u16 {
                if !owned.contains(slot) {
                    self.ks.for_each_in_slot(slot, |k| keys.push(k.to_vec()));
                }
            }
            for k in keys {
                if self.ks.delete(&k) {
                    let del: [&[u8]; 2] = [b"DEL", &k];
                    self.log
                        .append(db, &del, b":1\r\n", now, crate::commands::Changes::ONE);
                    self.touch_watched(Cmd::Del, &del);
                    gone += 1;
                }
            }
        }
        self.ks.select(home);
        self.sync_log()?;
        Ok(gone)
    }
}
