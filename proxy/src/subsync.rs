//! Each shard's copy of this worker's subscriptions (`SHARDD.SUBS`,
//! `shardd/src/subs.rs`), so that `PUBLISH` inside a script, which runs
//! on a shard, answers the number of receivers as Redis does.
//!
//! **Order.** Every change a worker's connections make goes through one
//! queue ([`SubsSync`]) and one task sends it
//! (`builtin::pubsub::subs_sender`), so changes reach each shard in the
//! order they were made. A link that (re)attaches first gets the
//! worker's whole set ([`whole_set`]), sent by the link's monitor right
//! after the attach, ahead of anything else on the fresh ring (what does
//! not fit the ring then is sent by the sender before any change). The
//! shard keeps client ids per name, so a change that arrives after a
//! whole set already holding it changes nothing: the last change of each
//! (client, name) wins. A shard that is down is skipped; it gets the
//! whole set when it is back, and a worker's set dies with its channel.
//!
//! **Confirmations.** (P|S)(UN)SUBSCRIBE confirm once every attached
//! shard has applied the change ([`SubsSync::settled`]): a script that
//! starts after a client saw its confirmation counts it. The cost is one
//! round trip to the shards per (un)subscribe command, not per message.
//!
//! **Tracking prefixes.** The prefixes of this worker's clients tracking
//! keys in `BCAST` mode (`crate::tracking`) travel the same way, as
//! subscriptions of their own kind ([`Subject::Prefix`]): a shard tells
//! the proxy of every change to a key under one of them.

use std::cell::{Cell, RefCell};

use tokio::sync::Notify;

use crate::pubsub::{Kind, PubSub};

/// Bytes of names per `SHARDD.SUBS` record (more go in further records).
pub const RECORD_BYTES: usize = 64 << 10;

/// One `SHARDD.SUBS` request's arguments, name first.
pub type Record = Vec<Vec<u8>>;

/// Whole-set records waiting for one shard.
pub type Resync = (usize, Vec<Record>);

/// What a change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    /// A subscription of a kind.
    Sub(Kind),
    /// A prefix a client tracks in `BCAST` mode.
    Prefix,
}

/// One change: a client took (`add`) or left a subscription.
pub struct Change {
    add: bool,
    what: Subject,
    client: u64,
    name: Vec<u8>,
}

/// A worker's changes waiting to be sent, and whole sets waiting for
/// room on a fresh ring.
#[derive(Default)]
pub struct SubsSync {
    pending: RefCell<Vec<Change>>,
    /// Records of whole sets that did not fit a fresh ring, by shard.
    resync: RefCell<Vec<Resync>>,
    /// Rung when there is something to send.
    pub bell: Notify,
    queued: Cell<u64>,
    applied: Cell<u64>,
    done: Notify,
}

impl SubsSync {
    /// Queues a change (`add` or leave) of `client`'s subscription.
    pub fn change(&self, add: bool, kind: Kind, client: u64, name: &[u8]) {
        self.change_of(add, Subject::Sub(kind), client, name);
    }

    /// Queues a change (`add` or leave) of what `client` subscribes to
    /// or tracks.
    pub fn change_of(&self, add: bool, what: Subject, client: u64, name: &[u8]) {
        self.pending.borrow_mut().push(Change {
            add,
            what,
            client,
            name: name.to_vec(),
        });
        self.queued.set(self.queued.get() + 1);
        self.bell.notify_one();
    }

    /// Whole-set records for `shard` that the sender must send first.
    pub fn resync_later(&self, shard: usize, records: Vec<Record>) {
        if !records.is_empty() {
            self.resync.borrow_mut().push((shard, records));
            self.bell.notify_one();
        }
    }

    /// What the sender sends next: whole sets first, then the changes
    /// as records, and the count of changes they settle.
    pub fn take(&self) -> (Vec<Resync>, Vec<Record>, u64) {
        let resync = std::mem::take(&mut *self.resync.borrow_mut());
        let changes = std::mem::take(&mut *self.pending.borrow_mut());
        let recs = records(
            changes
                .iter()
                .map(|c| (c.add, c.what, c.client, c.name.as_slice())),
        );
        (resync, recs, self.queued.get())
    }

    /// Whether nothing waits to be sent.
    pub fn is_idle(&self) -> bool {
        self.pending.borrow().is_empty() && self.resync.borrow().is_empty()
    }

    /// The changes up to `upto` are applied by every attached shard.
    pub fn applied(&self, upto: u64) {
        self.applied.set(upto);
        self.done.notify_waiters();
    }

    /// Waits until every change queued so far is applied.
    pub async fn settled(&self) {
        let want = self.queued.get();
        loop {
            let next = self.done.notified();
            if self.applied.get() >= want {
                return;
            }
            next.await;
        }
    }
}

fn letter(what: Subject) -> u8 {
    match what {
        Subject::Sub(Kind::Channel) => b'c',
        Subject::Sub(Kind::Pattern) => b'p',
        Subject::Sub(Kind::Shard) => b's',
        Subject::Prefix => b't',
    }
}

/// `SHARDD.SUBS` records for `changes`, each under [`RECORD_BYTES`] of
/// names (a longer name goes alone).
pub fn records<'a>(changes: impl Iterator<Item = (bool, Subject, u64, &'a [u8])>) -> Vec<Record> {
    let mut out: Vec<Record> = Vec::new();
    let mut bytes = 0;
    for (add, kind, client, name) in changes {
        if out.is_empty() || bytes + name.len() > RECORD_BYTES {
            out.push(vec![b"SHARDD.SUBS".to_vec()]);
            bytes = 0;
        }
        if let Some(rec) = out.last_mut() {
            rec.push(vec![if add { b'+' } else { b'-' }, letter(kind)]);
            rec.push(client.to_string().into_bytes());
            rec.push(name.to_vec());
            bytes += name.len() + 24;
        }
    }
    out
}

/// The records of every subscription and tracked prefix of worker
/// `worker`'s connections.
pub fn whole_set(
    pubsub: &PubSub,
    tracking: &crate::tracking::Registry,
    worker: usize,
) -> Vec<Record> {
    let subs = pubsub.of_worker(worker);
    let prefixes = tracking.prefixes_of_worker(worker);
    records(
        subs.iter()
            .map(|(kind, client, name)| (true, Subject::Sub(*kind), *client, name.as_slice()))
            .chain(
                prefixes
                    .iter()
                    .map(|(client, p)| (true, Subject::Prefix, *client, p.as_slice())),
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_become_records_under_the_size_bound() {
        let big = vec![b'x'; RECORD_BYTES - 10];
        let recs = records(
            [
                (true, Subject::Sub(Kind::Channel), 1, &b"news"[..]),
                (false, Subject::Sub(Kind::Pattern), 2, &b"n*"[..]),
                (true, Subject::Prefix, 3, &b"user:"[..]),
                (true, Subject::Sub(Kind::Shard), 3, &big[..]),
            ]
            .into_iter(),
        );
        assert_eq!(recs.len(), 2);
        assert_eq!(
            recs[0],
            vec![
                b"SHARDD.SUBS".to_vec(),
                b"+c".to_vec(),
                b"1".to_vec(),
                b"news".to_vec(),
                b"-p".to_vec(),
                b"2".to_vec(),
                b"n*".to_vec(),
                b"+t".to_vec(),
                b"3".to_vec(),
                b"user:".to_vec()
            ]
        );
        assert_eq!(recs[1][1], b"+s".to_vec());
    }
}
