//! The shard loop's side of keyspace notifications (`crate::notify`
//! names the events): what a write command caused, what the keyspace
//! noted (new, expired, missed keys), and the events riding on a reply.

use common::{
    notify::{self as wire, GENERIC},
    table::{keyspec::keys_and_flags, Cmd},
};

use shared_ring::{msg, Channel};

use super::Engine;
use crate::{
    notify::{deletes, events_of, noted_name, BACKGROUND_MAX_BYTES},
    persist::WriteLog,
    reply::{Proto, Reply},
    tx::WRITE_KEY_FLAGS,
};

/// Events Redis sends even when the command emptied the key away (a
/// `del` follows them); the others are not sent for a key that is gone.
const SENT_WHEN_GONE: &[&str] = &[
    "lpop",
    "rpop",
    "ltrim",
    "lrem",
    "spop",
    "srem",
    "zrem",
    "zremrangebyscore",
    "zremrangebyrank",
    "zremrangebylex",
    "zpopmin",
    "zpopmax",
    "hdel",
    "rename_from",
    "del",
];

impl<L: WriteLog> Engine<L> {
    /// `SHARDD.EVENTS`: answered now with the background events if any
    /// wait (false), else kept until some come (true).
    pub(crate) fn serve_events(
        &mut self,
        owner: u64,
        id: u64,
        proto: Proto,
        reply: &mut Reply,
    ) -> bool {
        if self.notes.background.is_empty() {
            if let Some((o, old, p)) = self.notes.waiter.replace((owner, id, proto)) {
                // A newer poll replaces an older one, answered empty.
                let mut rec = vec![0u8; msg::REPLY_HEADER_BYTES];
                msg::write_reply_header(&mut rec, old, 0);
                Reply::new(&mut rec, p).ok();
                self.blocking.outbox.push_back((o, rec));
                self.blocking.fresh = true;
            }
            return true;
        }
        reply.ok();
        self.notes.blob.append(&mut self.notes.background);
        false
    }

    /// After active expiry: its events (and invalidations no request
    /// carried) go to the long poll.
    pub fn background_events(&mut self, channels: &mut [Channel]) {
        self.tracking.by = 0;
        self.notify_noted();
        self.notes.blob.append(&mut self.tracking.blob);
        if self.notes.blob.is_empty() {
            return;
        }
        let mut blob = std::mem::take(&mut self.notes.blob);
        if self.notes.background.len() + blob.len() > BACKGROUND_MAX_BYTES {
            tracing::warn!("dropping keyspace events nobody polls for");
            self.notes.background.clear();
        }
        self.notes.background.append(&mut blob);
        let Some((owner, id, proto)) = self.notes.waiter.take() else {
            return;
        };
        let mut rec = vec![0u8; msg::REPLY_HEADER_BYTES];
        msg::write_reply_header(&mut rec, id, 0);
        Reply::new(&mut rec, proto).ok();
        std::mem::swap(&mut self.notes.blob, &mut self.notes.background);
        self.attach_events(&mut rec);
        self.blocking.answer(channels, owner, rec);
    }

    /// Takes `notify-keyspace-events` from the settings in force.
    pub(crate) fn refresh_notify(&mut self) {
        let (flags, paused_until, max_keys) = crate::settings::with(|s| {
            (
                s.notify_keyspace_events,
                s.paused_until_ms,
                s.tracking_table_max_keys,
            )
        });
        self.ks.pause_expiry(paused_until);
        self.tracking.max_keys = max_keys;
        if flags != self.notes.flags {
            self.notes.flags = flags;
            self.ks.track(self.noted_classes());
        }
    }

    /// Before command `id` runs: which of its write keys exist.
    pub(crate) fn notify_before(&mut self, id: Cmd, args: &[&[u8]]) {
        self.notes.before.clear();
        if self.notes.flags == 0 || events_of(id, args).is_empty() {
            return;
        }
        let Ok(keys) = keys_and_flags(id.spec(), args) else {
            return;
        };
        for (pos, flags) in keys {
            if flags & WRITE_KEY_FLAGS != 0 {
                let existed = self.ks.exists(args[pos]);
                self.notes.before.push((pos, existed));
            }
        }
    }

    /// After write command `id` with `argv` changed something: its events.
    pub(crate) fn notify_after(&mut self, id: Cmd, argv: &[&[u8]]) {
        if self.notes.flags == 0 {
            return;
        }
        self.notify_noted();
        let mut before = std::mem::take(&mut self.notes.before);
        for (class, name, pos) in events_of(id, argv) {
            let Some(key) = argv.get(pos) else { continue };
            let was = before
                .iter()
                .find(|(p, _)| *p == pos)
                .is_none_or(|(_, e)| *e);
            if name == "del" && !was {
                continue;
            }
            if self.ks.is_unchanged(key) {
                continue;
            }
            if self.ks.exists(key) || SENT_WHEN_GONE.contains(&name) {
                self.notes.emit(class, name, key);
            }
            self.note_emptied(id, argv, &mut before, pos);
        }
        // Keys it emptied without an event of their own.
        while let Some(&(pos, _)) = before.first() {
            self.note_emptied(id, argv, &mut before, pos);
        }
    }

    /// `del` for the key at `pos` if the command emptied it away (once).
    fn note_emptied(
        &mut self,
        id: Cmd,
        argv: &[&[u8]],
        before: &mut Vec<(usize, bool)>,
        pos: usize,
    ) {
        let Some(at) = before.iter().position(|(p, _)| *p == pos) else {
            return;
        };
        let (_, was) = before.remove(at);
        if let Some(key) = argv.get(pos) {
            if was && !deletes(id) && !self.ks.exists(key) {
                self.notes.emit(GENERIC, "del", key);
            }
        }
    }

    /// The keyspace's noted happenings become events.
    pub(crate) fn notify_noted(&mut self) {
        for (class, name, key, db) in self.ks.take_noted() {
            if class == common::notify::EXPIRED && self.tracking.noting_expiry {
                // An expiry is nobody's change (`NOLOOP` clients hear of it).
                let by = std::mem::take(&mut self.tracking.by);
                self.tracking_changed(&key);
                self.tracking.by = by;
            }
            let name = if name.is_empty() {
                noted_name(class)
            } else {
                name
            };
            self.notes.emit_in(db, class, name, &key);
        }
    }

    /// Appends the request's events (and its scripts' messages) to reply
    /// record `rec` (its header flagged); true if there were any.
    pub(crate) fn attach_events(&mut self, rec: &mut Vec<u8>) -> bool {
        if self.notes.flags != 0 || self.tracking.noting_expiry {
            self.notify_noted();
        }
        if !self.tracking.blob.is_empty() {
            self.notes.blob.append(&mut self.tracking.blob);
        }
        if self.notes.blob.is_empty() {
            return false;
        }
        let n = self.notes.blob.len() as u32;
        rec.append(&mut self.notes.blob);
        rec.extend_from_slice(&n.to_le_bytes());
        let id = u64::from_le_bytes(rec[..8].try_into().unwrap_or_default());
        shared_ring::msg::write_reply_header(rec, id, wire::REPLY_FLAG_EVENTS);
        true
    }
}
