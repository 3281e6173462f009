//! The shard's side of `SHARDD.SLOTS`, `SHARDD.SLOTDUMP` and
//! `SHARDD.SLOTLOAD` (`crate::slots` has the owned set, the blob format and
//! what loading replays).

use common::{slot::key_slot, slotset::SlotSet, table::Cmd};

use super::Engine;
use crate::{
    blocking::Ending,
    dump as payload,
    keyspace::split_db_key,
    persist::WriteLog,
    reply::Reply,
    slots::{drop_slots, load_blob, put_entry, SlotsCmd, SLOTDROP, SLOTLOAD},
};

impl<L: WriteLog> Engine<L> {
    /// Runs `SHARDD.SLOTS` or `SHARDD.SLOTDUMP`.
    pub(crate) fn serve_slots(&mut self, cmd: SlotsCmd, args: &[&[u8]], reply: &mut Reply) {
        match cmd {
            SlotsCmd::Dump => self.slot_dump(args, reply),
            SlotsCmd::Load => {
                let Some(blob) = args.get(1) else {
                    return reply.error("ERR SHARDD.SLOTLOAD blob");
                };
                match load_blob(&mut self.ks, blob) {
                    Ok(n) => {
                        if n > 0 {
                            let rec: [&[u8]; 2] = [SLOTLOAD, blob];
                            let now = self.ks.now_ms();
                            let db = self.ks.selected();
                            self.log.append(
                                db,
                                &rec,
                                b":1\r\n",
                                now,
                                crate::commands::Changes::ONE,
                            );
                        }
                        reply.int(n as i64)
                    }
                    Err(e) => reply.error(&format!("ERR {e}")),
                }
            }
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
        let mut blob = vec![0u8; 8];
        let mut count = 0u64;
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
                    put_entry(&mut blob, db, &k, &body, at);
                    count += 1;
                    // Its new shard remembers nobody: whoever may cache it
                    // is told now (and read it again there).
                    self.tracking_changed(&k);
                }
            }
        }
        self.ks.select(home);
        blob[..8].copy_from_slice(&count.to_le_bytes());
        reply.bulk(&blob);
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
        let mut foreign = SlotSet::range(0, common::slot::SLOT_COUNT as u16 - 1);
        foreign.subtract(&owned);
        let mut deleted: Vec<(usize, Vec<u8>)> = Vec::new();
        let watched =
            !self.watches.is_empty() || !self.tracking.is_empty() || self.subs.tracks_prefixes();
        let gone = drop_slots(&mut self.ks, &foreign, |db, k| {
            if watched {
                deleted.push((db, k.to_vec()));
            }
        });
        if gone > 0 {
            let ranges = foreign.to_ranges();
            let rec: [&[u8]; 2] = [SLOTDROP, ranges.as_bytes()];
            let now = self.ks.now_ms();
            let db = self.ks.selected();
            self.log
                .append(db, &rec, b":1\r\n", now, crate::commands::Changes::ONE);
        }
        let home = self.ks.selected();
        for (db, k) in deleted {
            self.ks.select(db);
            let del: [&[u8]; 2] = [b"DEL", &k];
            self.touch_watched(Cmd::Del, &del);
        }
        self.ks.select(home);
        self.sync_log()?;
        Ok(gone)
    }
}
