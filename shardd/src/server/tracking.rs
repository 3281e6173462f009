//! The shard loop's side of client-side caching (`crate::tracking` keeps
//! the table): reads remembered, changed keys invalidated, expiry noted.

use common::table::Cmd;

use super::Engine;
use crate::{persist::WriteLog, reply::Reply};

impl<L: WriteLog> Engine<L> {
    /// The key happenings the keyspace notes: those the notifications in
    /// force ask for, and expired keys once a client tracks anything.
    pub(crate) fn noted_classes(&self) -> u32 {
        let expiry = match self.tracking.noting_expiry {
            true => common::notify::EXPIRED,
            false => 0,
        };
        self.notes.flags | expiry
    }

    /// A client tracks something here: expired keys are noted from now
    /// on, so that their invalidations go out.
    pub(crate) fn note_expiry_for_tracking(&mut self) {
        if !self.tracking.noting_expiry {
            self.tracking.noting_expiry = true;
            self.ks.track(self.noted_classes());
        }
    }

    /// Command `id` ran with `args` for a tracking client's request:
    /// its keys are remembered if it reads (a script's read noted).
    pub(crate) fn remember_reads(&mut self, id: Cmd, args: &[&[u8]]) {
        self.tracking.after_command(id, args);
    }

    /// `key` changed (written, expired, evicted, moved away): the clients
    /// that may cache it, and those tracking a prefix of it, are told.
    pub(crate) fn tracking_changed(&mut self, key: &[u8]) {
        let prefixed = self.subs.under_tracked_prefix(key);
        if prefixed || !self.tracking.is_empty() {
            self.tracking.changed(key, prefixed);
        }
    }

    /// `SHARDD.TRACK client key...`: `client` may cache the keys from now
    /// on (the proxy asks ahead of a read it runs another way).
    pub(crate) fn serve_track(&mut self, args: &[&[u8]], reply: &mut Reply) {
        let client = args
            .get(1)
            .and_then(|a| common::num::parse_i64(a))
            .and_then(|n| u64::try_from(n).ok())
            .filter(|&n| n != 0);
        let Some(client) = client else {
            return reply.error("ERR bad SHARDD.TRACK client id");
        };
        self.note_expiry_for_tracking();
        for key in args.get(2..).unwrap_or_default() {
            self.tracking.remember(client, key);
        }
        reply.ok();
    }
}
