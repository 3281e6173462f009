//! Pub/sub: who listens to which channel, and the path of a message.
//!
//! **Where subscriptions live.** In the proxy process, shared by its
//! workers ([`PubSub`] in `state::Shared`): a subscription is connection
//! state, like Redis's, and dies with the connection. Nothing about it
//! is in the shards, so a proxy restart loses them all and clients
//! subscribe again, as they do when a Redis restarts; shard restarts do
//! not touch them.
//!
//! **A message's path.** `PUBLISH ch msg` on any worker takes the
//! registry's lock, finds the channel's subscribers and the matching
//! patterns' (and `SPUBLISH` the shard channel's), and appends the frame,
//! encoded once per protocol, to each subscriber's [`Mailbox`]: a queue
//! guarded by its own lock, with a bell. The subscriber's connection (on
//! whatever worker it lives) runs a pump task that moves frames from its
//! mailbox to its reply queue while that queue is short, and its writer
//! sends them. So a message reaches every subscriber once per matching
//! subscription, in publish order per publisher (one connection publishes
//! in order, and each append happens under the registry lock), and
//! PUBLISH answers the number of frames it appended.
//!
//! **Slow subscribers.** A publisher never waits: an append is a push on
//! a queue. A subscriber whose mailbox holds more than the hard limit of
//! `client-output-buffer-limit pubsub` (32 MiB by default), or more than
//! the soft limit (8 MiB) for longer than its seconds (60), is closed as
//! Redis closes it, and its mailbox takes nothing more; memory stays
//! bounded by the limits times the subscribers.
//!
//! **From scripts.** A script runs on a shard: its `PUBLISH` counts the
//! receivers from the shard's copy of the subscriptions
//! (`crate::subsync`) and the message rides on the script's reply, which
//! the reply reader publishes here as it publishes keyspace events.
//!
//! Bounds on bad input: a client's subscriptions cost one registry entry
//! each, counted against the client's query (each SUBSCRIBE argument
//! was read within `client-query-buffer-limit`); nothing is preallocated
//! per channel.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::Instant,
};

use bytes::Bytes;
use common::reply::{Proto, Reply};
use tokio::sync::Notify;

/// The three kinds of subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// SUBSCRIBE: a channel.
    Channel,
    /// PSUBSCRIBE: a glob pattern over channels.
    Pattern,
    /// SSUBSCRIBE: a shard channel.
    Shard,
}

/// Frames waiting for one subscriber.
#[derive(Default)]
struct Queue {
    /// Frames shared with every other subscriber of the same message.
    frames: VecDeque<Bytes>,
    bytes: u64,
    /// Since when it holds more than the soft limit.
    over_soft_since: Option<Instant>,
    /// Closed for going over a limit (or the client left).
    closed: bool,
}

/// One subscriber's mailbox.
pub struct Mailbox {
    q: Mutex<Queue>,
    /// Rung when frames arrive.
    pub bell: Notify,
    /// The subscriber's protocol is RESP3 (push frames).
    resp3: AtomicBool,
    client: u64,
    /// The worker its connection lives on.
    worker: usize,
    /// Bytes of frames in the mailbox (`CLIENT LIST`'s `omem` adds them).
    pub queued_bytes: AtomicU64,
}

impl std::fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailbox")
            .field("client", &self.client)
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl Mailbox {
    /// An empty mailbox of client `client` (on worker `worker`).
    pub fn new(client: u64, worker: usize, proto: Proto) -> Arc<Mailbox> {
        Arc::new(Mailbox {
            q: Mutex::new(Queue::default()),
            bell: Notify::new(),
            resp3: AtomicBool::new(proto == Proto::Resp3),
            client,
            worker,
            queued_bytes: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.q.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The subscriber switched protocol (HELLO).
    pub fn set_proto(&self, proto: Proto) {
        self.resp3.store(proto == Proto::Resp3, Ordering::Relaxed);
    }

    fn proto(&self) -> Proto {
        if self.resp3.load(Ordering::Relaxed) {
            Proto::Resp3
        } else {
            Proto::Resp2
        }
    }

    /// Appends `frame`; closes the subscriber if its mailbox passes the
    /// limits `(hard, soft, seconds)` (0: no such limit). False if the
    /// mailbox was closed.
    fn push(&self, frame: Bytes, limits: (u64, u64, u64)) -> bool {
        let mut q = self.lock();
        if q.closed {
            return false;
        }
        q.bytes += frame.len() as u64;
        q.frames.push_back(frame);
        self.queued_bytes.store(q.bytes, Ordering::Relaxed);
        let (hard, soft, secs) = limits;
        let over_hard = hard > 0 && q.bytes > hard;
        let over_soft = soft > 0 && q.bytes > soft;
        let since = match (over_soft, q.over_soft_since) {
            (false, _) => None,
            (true, None) => Some(Instant::now()),
            (true, Some(t)) => Some(t),
        };
        q.over_soft_since = since;
        let soft_expired = since.is_some_and(|t| t.elapsed().as_secs() >= secs);
        if over_hard || soft_expired {
            q.closed = true;
            q.frames.clear();
            q.bytes = 0;
            self.queued_bytes.store(0, Ordering::Relaxed);
            drop(q);
            tracing::warn!(
                client = self.client,
                "closing a subscriber over client-output-buffer-limit pubsub"
            );
            // Its pump sees it closed and closes the connection.
            self.bell.notify_one();
            return true;
        }
        drop(q);
        self.bell.notify_one();
        true
    }

    /// Appends `frame` as it is (a MONITOR line, the same in both
    /// protocols), within `limits` as [`PubSub::publish`]'s frames.
    pub(crate) fn push_raw(&self, frame: Bytes, limits: (u64, u64, u64)) -> bool {
        self.push(frame, limits)
    }

    /// Whether it was closed for going over a limit.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Takes frames while `room` allows (at least one if any is there).
    pub fn take(&self, mut room: usize) -> Vec<Bytes> {
        let mut q = self.lock();
        let mut out = Vec::new();
        while let Some(f) = q.frames.front() {
            if !out.is_empty() && f.len() > room {
                break;
            }
            room = room.saturating_sub(f.len());
            if let Some(f) = q.frames.pop_front() {
                q.bytes -= f.len() as u64;
                out.push(f);
            }
        }
        if q.bytes == 0 {
            q.over_soft_since = None;
        }
        self.queued_bytes.store(q.bytes, Ordering::Relaxed);
        out
    }
}

/// Subscribers by name, of one kind.
type Subscribers = HashMap<Vec<u8>, HashMap<u64, Arc<Mailbox>>>;

#[derive(Default)]
struct Registry {
    channels: Subscribers,
    patterns: Subscribers,
    shard_channels: Subscribers,
}

impl Registry {
    fn of(&mut self, kind: Kind) -> &mut Subscribers {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard_channels,
        }
    }
}

/// The process's subscriptions.
#[derive(Default)]
pub struct PubSub {
    reg: Mutex<Registry>,
}

/// A message frame in both protocols, made when first needed and shared
/// by every subscriber's mailbox (one allocation per message and
/// protocol, not per subscriber).
struct Frames<'a> {
    parts: [&'a [u8]; 4],
    n: usize,
    resp2: Option<Bytes>,
    resp3: Option<Bytes>,
}

impl Frames<'_> {
    fn get(&mut self, proto: Proto) -> Bytes {
        let slot = match proto {
            Proto::Resp3 => &mut self.resp3,
            _ => &mut self.resp2,
        };
        slot.get_or_insert_with(|| {
            let mut buf = Vec::new();
            let mut r = Reply::new(&mut buf, proto);
            r.push_header(self.n);
            for p in &self.parts[..self.n] {
                r.bulk(p);
            }
            Bytes::from(buf)
        })
        .clone()
    }
}

impl PubSub {
    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.reg.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Adds `client`'s subscription to `name`; false if it had it.
    pub fn subscribe(&self, kind: Kind, name: &[u8], client: u64, mb: &Arc<Mailbox>) -> bool {
        let mut reg = self.lock();
        let subs = reg.of(kind).entry(name.to_vec()).or_default();
        subs.insert(client, mb.clone()).is_none()
    }

    /// Removes `client`'s subscription to `name`; false if it had none.
    pub fn unsubscribe(&self, kind: Kind, name: &[u8], client: u64) -> bool {
        let mut reg = self.lock();
        let map = reg.of(kind);
        let Some(subs) = map.get_mut(name) else {
            return false;
        };
        let had = subs.remove(&client).is_some();
        if subs.is_empty() {
            map.remove(name);
        }
        had
    }

    /// Publishes `msg` on `channel` (a shard channel if `shard`) to every
    /// subscriber; the number of frames delivered.
    pub fn publish(&self, channel: &[u8], msg: &[u8], shard: bool, limits: (u64, u64, u64)) -> u64 {
        let reg = self.lock();
        let mut n = 0;
        let (kind, subs) = if shard {
            (&b"smessage"[..], &reg.shard_channels)
        } else {
            (&b"message"[..], &reg.channels)
        };
        if let Some(subs) = subs.get(channel) {
            let mut frames = Frames {
                parts: [kind, channel, msg, b""],
                n: 3,
                resp2: None,
                resp3: None,
            };
            for mb in subs.values() {
                n += u64::from(mb.push(frames.get(mb.proto()), limits));
            }
        }
        if shard {
            return n;
        }
        for (pattern, subs) in &reg.patterns {
            if !common::glob::matches(pattern, channel) {
                continue;
            }
            let mut frames = Frames {
                parts: [b"pmessage", pattern, channel, msg],
                n: 4,
                resp2: None,
                resp3: None,
            };
            for mb in subs.values() {
                n += u64::from(mb.push(frames.get(mb.proto()), limits));
            }
        }
        n
    }

    /// Active names of `kind` matching `pattern` (all if `None`).
    pub fn names(&self, kind: Kind, pattern: Option<&[u8]>) -> Vec<Vec<u8>> {
        let mut reg = self.lock();
        reg.of(kind)
            .keys()
            .filter(|c| pattern.is_none_or(|p| common::glob::matches(p, c)))
            .cloned()
            .collect()
    }

    /// Every subscription of `client`, by kind and name (a scan of the
    /// registry: for ACL changes, never on a message's path).
    pub fn subscriptions_of(&self, client: u64) -> Vec<(Kind, Vec<u8>)> {
        let mut reg = self.lock();
        let mut out = Vec::new();
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for (name, subs) in reg.of(kind).iter() {
                if subs.contains_key(&client) {
                    out.push((kind, name.clone()));
                }
            }
        }
        out
    }

    /// Every subscription of the connections of worker `worker`, as
    /// (kind, client, name): what a shard that (re)attaches to it learns
    /// (`crate::subsync`; a scan, never on a message's path).
    pub fn of_worker(&self, worker: usize) -> Vec<(Kind, u64, Vec<u8>)> {
        let mut reg = self.lock();
        let mut out = Vec::new();
        for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
            for (name, subs) in reg.of(kind).iter() {
                for mb in subs.values().filter(|mb| mb.worker == worker) {
                    out.push((kind, mb.client, name.clone()));
                }
            }
        }
        out
    }

    /// Subscribers of `name` (of `kind`).
    pub fn count(&self, kind: Kind, name: &[u8]) -> usize {
        self.lock().of(kind).get(name).map_or(0, HashMap::len)
    }

    /// Distinct names of `kind` with subscribers.
    pub fn len(&self, kind: Kind) -> usize {
        self.lock().of(kind).len()
    }

    /// Whether nobody subscribes to anything.
    pub fn is_empty(&self) -> bool {
        let reg = self.lock();
        reg.channels.is_empty() && reg.patterns.is_empty() && reg.shard_channels.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_reaches_each_matching_subscription_once() {
        let ps = PubSub::default();
        let a = Mailbox::new(1, 0, Proto::Resp2);
        let b = Mailbox::new(2, 1, Proto::Resp3);
        assert!(ps.subscribe(Kind::Channel, b"news", 1, &a));
        assert!(!ps.subscribe(Kind::Channel, b"news", 1, &a));
        assert!(ps.subscribe(Kind::Pattern, b"n*", 1, &a));
        assert!(ps.subscribe(Kind::Channel, b"news", 2, &b));
        assert_eq!(ps.publish(b"news", b"hi", false, (0, 0, 0)), 3);
        assert_eq!(ps.publish(b"news", b"hi", true, (0, 0, 0)), 0);
        let got = a.take(1 << 20);
        assert_eq!(
            &got[0][..],
            b"*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            &got[1][..],
            b"*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            &b.take(1 << 20)[0][..],
            b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n"
        );
        let mut of_0 = ps.of_worker(0);
        of_0.sort_by_key(|(k, _, _)| *k == Kind::Pattern);
        assert_eq!(
            of_0,
            vec![
                (Kind::Channel, 1, b"news".to_vec()),
                (Kind::Pattern, 1, b"n*".to_vec())
            ]
        );
        assert_eq!(ps.of_worker(1), vec![(Kind::Channel, 2, b"news".to_vec())]);
        assert!(ps.unsubscribe(Kind::Channel, b"news", 1));
        assert_eq!(ps.count(Kind::Channel, b"news"), 1);
        assert_eq!(ps.names(Kind::Pattern, None), vec![b"n*".to_vec()]);
    }

    #[test]
    fn a_subscriber_over_the_hard_limit_is_closed_and_takes_nothing_more() {
        let ps = PubSub::default();
        let a = Mailbox::new(7, 0, Proto::Resp2);
        ps.subscribe(Kind::Channel, b"c", 7, &a);
        let limits = (100, 0, 0);
        assert_eq!(ps.publish(b"c", &[b'x'; 40], false, limits), 1);
        assert_eq!(ps.publish(b"c", &[b'x'; 40], false, limits), 1);
        assert!(a.is_closed());
        assert_eq!(ps.publish(b"c", b"y", false, limits), 0);
        assert!(a.take(1 << 20).is_empty());
    }
}
