//! Client-side caching (`CLIENT TRACKING`, `CLIENT CACHING`, `CLIENT
//! GETREDIR`, `CLIENT TRACKINGINFO`): the proxy's half.
//!
//! **Where the table is.** Each shard remembers which clients may cache
//! which of its keys (`shardd/src/tracking.rs`), next to the data, so a
//! write, an expiry or an eviction finds the clients to tell without a
//! trip. The proxy decides what a shard remembers: a read-only command of
//! a tracking client goes with `REQ_FLAG_TRACK` when the client's mode
//! says to remember it (not `BCAST`; `OPTIN` only after `CLIENT CACHING
//! yes`, `OPTOUT` unless `CLIENT CACHING no`, which last for the next
//! command or the next transaction, as in Redis). A read the proxy runs
//! another way than one request per shard (a transaction over several
//! shards, a command whose keys must be brought together, a script over
//! several shards) asks the keys' shards to remember them first
//! (`SHARDD.TRACK`), which may tell the client of a change it never saw
//! but never misses one. A script on one shard remembers its declared
//! keys if it called a read-only command, as Redis's do.
//!
//! **`BCAST`.** A client's prefixes go to every shard as subscriptions
//! of their own kind (`crate::subsync`), so they survive shard restarts;
//! a shard tells the proxy of every change to a key under one of them,
//! and the proxy sends each matching client one message per prefix with
//! the keys of that prefix the reply carried.
//!
//! **How invalidations reach a client.** They ride on the reply of the
//! request that caused them (or on the events' long poll: expiry, the
//! table's bound) and the reply reader hands them to [`Registry::deliver`]
//! before the reply goes out. A message goes to the client's mailbox (the
//! one its pub/sub messages use, `crate::pubsub`), or to the mailbox of
//! the client it redirects to: a RESP3 push `invalidate`, or, for a RESP2
//! client that subscribes to something, a message on
//! `__redis__:invalidate`; a RESP2 client without redirection gets none,
//! as from Redis. A redirect target that is gone marks the client broken
//! (`CLIENT TRACKINGINFO`, flag `R`) and a RESP3 client is told
//! `tracking-redir-broken`. A mailbox's frames join its connection's
//! replies after every reply already owed: an invalidation never
//! overtakes the reply of a read the shard ran before the change (whose
//! place was taken when the read was sent), so a client never caches a
//! value older than the invalidation it got. Mailboxes count against
//! `client-output-buffer-limit pubsub`, as messages do.
//!
//! **Shard restarts.** A shard back from a restart remembers nobody's
//! keys: every tracking client is told that every key changed (the null
//! of a flush) when the proxy reattaches it, and remembered again from
//! its next reads.
//!
//! **Differences from Redis** (README): the invalidation a client gets
//! for its own write comes after that write's reply, as in Redis 7.0,
//! but so does the one for a key evicted to make room for its command
//! (Redis sends that one first); `tracking-table-max-keys` is split over
//! the shards as `maxmemory` is (each bounds its share); FLUSHALL and
//! FLUSHDB tell every tracking client once per reply that carries them.

use std::{
    collections::{HashMap, HashSet},
    sync::{atomic::Ordering, Arc, Mutex, MutexGuard},
};

use bytes::Bytes;
use common::notify::{events, invalidation, Invalidated, To};

use crate::{handle::ClientHandle, pubsub::Mailbox};

/// `ClientHandle::tracking` bit: tracking is on.
pub const ON: u8 = 1;
/// `ClientHandle::tracking` bit: `BCAST` mode.
pub const BCAST: u8 = 2;
/// `ClientHandle::tracking` bit: its redirection's client is gone.
pub const BROKEN: u8 = 4;

/// A client's tracking mode, as `CLIENT TRACKING on` set it.
#[derive(Debug)]
pub struct Tracker {
    /// The client.
    pub handle: Arc<ClientHandle>,
    /// Its options; `prefixes` are all it tracks in `BCAST` mode, in the
    /// order given (an empty one: every key).
    pub opts: Options,
}

impl Tracker {
    /// Whether a read-only command now (`caching`: `CLIENT CACHING` was
    /// given for it) has its keys remembered.
    pub fn wants_reads(&self, caching: bool) -> bool {
        // OPTIN: only with CACHING yes; OPTOUT: not with CACHING no.
        !self.opts.bcast && (!self.opts.optin || caching) && (!self.opts.optout || !caching)
    }
}

/// Every tracking client, by id (shared by the workers).
#[derive(Default)]
pub struct Registry {
    clients: Mutex<HashMap<u64, Arc<Tracker>>>,
}

/// What an invalidation message says.
enum Payload<'a> {
    /// These keys changed.
    Keys(&'a [&'a [u8]]),
    /// Every key (a flush).
    All,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Tracker>>> {
        self.clients.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Client `t.handle.id` tracks as `t` says from now on.
    pub fn put(&self, t: Arc<Tracker>) {
        let mut flags = ON;
        if t.opts.bcast {
            flags |= BCAST;
        }
        t.handle.tracking.store(flags, Ordering::Relaxed);
        t.handle.redirect.store(t.opts.redirect, Ordering::Relaxed);
        self.lock().insert(t.handle.id, t);
    }

    /// Client `id` tracks nothing any more.
    pub fn remove(&self, handle: &ClientHandle) {
        handle.tracking.store(0, Ordering::Relaxed);
        handle.redirect.store(0, Ordering::Relaxed);
        self.lock().remove(&handle.id);
    }

    /// Clients tracking (`tracking_clients`).
    pub fn clients(&self) -> usize {
        self.lock().len()
    }

    /// Distinct prefixes tracked in `BCAST` mode
    /// (`tracking_total_prefixes`).
    pub fn prefixes(&self) -> usize {
        let all = self.lock();
        let set: HashSet<&[u8]> = all
            .values()
            .flat_map(|t| t.opts.prefixes.iter().map(Vec::as_slice))
            .collect();
        set.len()
    }

    /// The prefixes tracked by the clients of worker `worker`: (client,
    /// prefix), for a shard's whole copy (`crate::subsync::whole_set`).
    pub fn prefixes_of_worker(&self, worker: usize) -> Vec<(u64, Vec<u8>)> {
        self.lock()
            .values()
            .filter(|t| t.handle.worker == worker)
            .flat_map(|t| t.opts.prefixes.iter().map(|p| (t.handle.id, p.clone())))
            .collect()
    }

    /// Sends the invalidations of an events blob (`common::notify`) to
    /// the clients they are for; `clients` is every connection by id,
    /// `limits` the pub/sub output limits.
    pub fn deliver(
        &self,
        blob: &[u8],
        clients: &Mutex<HashMap<u64, Arc<ClientHandle>>>,
        limits: (u64, u64, u64),
    ) {
        let mut flushed = false;
        let mut prefixed: Vec<(&[u8], u64)> = Vec::new();
        for (channel, key, to) in events(blob) {
            if to != To::Invalidation {
                continue;
            }
            let Some((who, by)) = invalidation(channel) else {
                continue;
            };
            match who {
                Invalidated::Client(id) => {
                    let t = self.lock().get(&id).cloned();
                    // Gone, or switched to BCAST since it read the key.
                    let Some(t) = t.filter(|t| !t.opts.bcast) else {
                        continue;
                    };
                    if t.opts.noloop && by == id {
                        continue;
                    }
                    send(&t, &Payload::Keys(&[key]), clients, limits);
                }
                Invalidated::Prefixes => prefixed.push((key, by)),
                Invalidated::Flush if !flushed => {
                    flushed = true;
                    self.invalidate_all(clients, limits);
                }
                Invalidated::Flush => {}
            }
        }
        if prefixed.is_empty() {
            return;
        }
        let bcast: Vec<Arc<Tracker>> = self
            .lock()
            .values()
            .filter(|t| t.opts.bcast)
            .cloned()
            .collect();
        for t in bcast {
            for p in &t.opts.prefixes {
                let keys: Vec<&[u8]> = prefixed
                    .iter()
                    .filter(|(k, by)| k.starts_with(p) && !(t.opts.noloop && *by == t.handle.id))
                    .map(|(k, _)| *k)
                    .collect();
                if !keys.is_empty() {
                    send(&t, &Payload::Keys(&keys), clients, limits);
                }
            }
        }
    }
}

impl Registry {
    /// Tells every tracking client that every key changed (a flush, or a
    /// shard back from a restart, which remembers nobody's keys).
    pub fn invalidate_all(
        &self,
        clients: &Mutex<HashMap<u64, Arc<ClientHandle>>>,
        limits: (u64, u64, u64),
    ) {
        let all: Vec<Arc<Tracker>> = self.lock().values().cloned().collect();
        for t in all {
            send(&t, &Payload::All, clients, limits);
        }
    }
}

/// The mailbox of client `h`: its own, or one made now, which its
/// connection takes up when woken (`crate::conn`).
fn mailbox_of(h: &ClientHandle) -> Arc<Mailbox> {
    let proto = match h.resp() {
        3 => common::reply::Proto::Resp3,
        _ => common::reply::Proto::Resp2,
    };
    let (mb, made) = h.mailbox_or_new(proto);
    if made {
        // Not killed: the connection sees a mailbox to take up.
        h.kill.notify_one();
    }
    mb
}

/// Sends `what` to tracking client `t` (or where it redirects).
fn send(
    t: &Tracker,
    what: &Payload<'_>,
    clients: &Mutex<HashMap<u64, Arc<ClientHandle>>>,
    limits: (u64, u64, u64),
) {
    let target = match t.opts.redirect {
        0 => t.handle.clone(),
        id => {
            let found = clients
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&id)
                .cloned();
            match found {
                Some(h) => h,
                None => {
                    t.handle.tracking.fetch_or(BROKEN, Ordering::Relaxed);
                    if t.handle.resp() >= 3 {
                        let frame = format!(">2\r\n$21\r\ntracking-redir-broken\r\n:{id}\r\n");
                        mailbox_of(&t.handle).push_raw(Bytes::from(frame), limits);
                    }
                    return;
                }
            }
        }
    };
    let resp3 = target.resp() >= 3;
    let subscribed = target.subs.iter().any(|n| n.load(Ordering::Relaxed) > 0);
    if !resp3 && (t.opts.redirect == 0 || !subscribed) {
        // RESP2 has no pushes: only a subscribed redirection gets it.
        return;
    }
    let mut frame = Vec::with_capacity(64);
    match resp3 {
        true => frame.extend_from_slice(b">2\r\n$10\r\ninvalidate\r\n"),
        false => frame.extend_from_slice(b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n"),
    }
    match what {
        Payload::Keys(keys) => {
            frame.extend_from_slice(format!("*{}\r\n", keys.len()).as_bytes());
            for k in keys.iter() {
                frame.extend_from_slice(format!("${}\r\n", k.len()).as_bytes());
                frame.extend_from_slice(k);
                frame.extend_from_slice(b"\r\n");
            }
        }
        Payload::All if resp3 => frame.extend_from_slice(b"_\r\n"),
        Payload::All => frame.extend_from_slice(b"$-1\r\n"),
    }
    mailbox_of(&target).push_raw(Bytes::from(frame), limits);
}

/// Parses `CLIENT TRACKING on|off [REDIRECT id] [PREFIX p]... [BCAST]
/// [OPTIN] [OPTOUT] [NOLOOP]` as Redis 7.0 does; `Ok(None)` for off.
/// `exists` says whether a client id is connected; `current` is the
/// client's mode in force.
pub fn parse(
    argv: &[&[u8]],
    current: Option<&Tracker>,
    exists: impl Fn(u64) -> bool,
) -> Result<Option<Options>, String> {
    let eq = |a: &[u8], b: &str| a.eq_ignore_ascii_case(b.as_bytes());
    let mut o = Options::default();
    let mut j = 3;
    while j < argv.len() {
        let more = j + 1 < argv.len();
        let a = argv[j];
        if eq(a, "redirect") && more {
            j += 1;
            if o.redirect != 0 {
                return Err("ERR A client can only redirect to a single other client".into());
            }
            let id = common::num::parse_i64(argv[j])
                .ok_or("ERR value is not an integer or out of range")?;
            if id <= 0 || !exists(id as u64) {
                return Err("ERR The client ID you want redirect to does not exist".into());
            }
            o.redirect = id as u64;
        } else if eq(a, "bcast") {
            o.bcast = true;
        } else if eq(a, "optin") {
            o.optin = true;
        } else if eq(a, "optout") {
            o.optout = true;
        } else if eq(a, "noloop") {
            o.noloop = true;
        } else if eq(a, "prefix") && more {
            j += 1;
            o.prefixes.push(argv[j].to_vec());
        } else {
            return Err("ERR syntax error".into());
        }
        j += 1;
    }
    let on = argv.get(2).copied().unwrap_or_default();
    if eq(on, "off") {
        return Ok(None);
    }
    if !eq(on, "on") {
        return Err("ERR syntax error".into());
    }
    if !o.bcast && !o.prefixes.is_empty() {
        return Err("ERR PREFIX option requires BCAST mode to be enabled".into());
    }
    if current.is_some_and(|c| c.opts.bcast != o.bcast) {
        return Err("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.".into());
    }
    if o.bcast && (o.optin || o.optout) {
        return Err("ERR OPTIN and OPTOUT are not compatible with BCAST".into());
    }
    if o.optin && o.optout {
        return Err("ERR You can't specify both OPTIN mode and OPTOUT mode".into());
    }
    if current.is_some_and(|c| (o.optin && c.opts.optout) || (o.optout && c.opts.optin)) {
        return Err("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.".into());
    }
    if o.bcast {
        let old: &[Vec<u8>] = current.map_or(&[], |c| &c.opts.prefixes);
        for (i, p) in o.prefixes.iter().enumerate() {
            let overlaps = |a: &[u8], b: &[u8]| {
                let n = a.len().min(b.len());
                a[..n] == b[..n]
            };
            if let Some(e) = old.iter().find(|e| overlaps(p, e)) {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(e)
                ));
            }
            if let Some(q) = o.prefixes[i + 1..].iter().find(|q| overlaps(p, q)) {
                return Err(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    String::from_utf8_lossy(p),
                    String::from_utf8_lossy(q)
                ));
            }
        }
    }
    Ok(Some(o))
}

/// `CLIENT TRACKING on`'s options.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `REDIRECT id` (0: none).
    pub redirect: u64,
    /// `BCAST`.
    pub bcast: bool,
    /// `PREFIX p`, in order.
    pub prefixes: Vec<Vec<u8>>,
    /// `OPTIN`.
    pub optin: bool,
    /// `OPTOUT`.
    pub optout: bool,
    /// `NOLOOP`.
    pub noloop: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<&[u8]> {
        s.split(' ').map(str::as_bytes).collect()
    }

    fn tracker(bcast: bool, prefixes: &[&str], optin: bool) -> Tracker {
        Tracker {
            handle: Arc::new(ClientHandle::new(
                9,
                "127.0.0.1:1".parse().unwrap_or_else(|_| unreachable!()),
                "127.0.0.1:2".parse().unwrap_or_else(|_| unreachable!()),
                -1,
                0,
                0,
            )),
            opts: Options {
                bcast,
                prefixes: prefixes.iter().map(|p| p.as_bytes().to_vec()).collect(),
                optin,
                ..Options::default()
            },
        }
    }

    #[test]
    fn options_parse_and_refuse_as_redis_does() {
        let yes = |_| true;
        let got = parse(
            &argv("CLIENT TRACKING on REDIRECT 5 NOLOOP OPTIN"),
            None,
            yes,
        );
        let want = Options {
            redirect: 5,
            optin: true,
            noloop: true,
            ..Options::default()
        };
        assert_eq!(got, Ok(Some(want)));
        assert_eq!(parse(&argv("CLIENT TRACKING off"), None, yes), Ok(None));
        let err = |s: &str, cur: Option<&Tracker>| match parse(&argv(s), cur, |id| id == 5) {
            Err(e) => e,
            Ok(o) => format!("accepted {o:?}"),
        };
        assert!(err("CLIENT TRACKING on REDIRECT 6", None).contains("does not exist"));
        assert!(err("CLIENT TRACKING on REDIRECT 5 REDIRECT 5", None).contains("single"));
        assert!(err("CLIENT TRACKING on PREFIX a", None).contains("requires BCAST"));
        assert!(err("CLIENT TRACKING on BCAST OPTIN", None).contains("not compatible"));
        assert!(err("CLIENT TRACKING on OPTIN OPTOUT", None).contains("both"));
        assert!(err("CLIENT TRACKING maybe", None).contains("syntax"));
        assert!(err("CLIENT TRACKING on BOGUS", None).contains("syntax"));
        assert_eq!(
            err("CLIENT TRACKING on BCAST PREFIX FOOBAR PREFIX FOO", None),
            "ERR Prefix 'FOOBAR' overlaps with another provided prefix 'FOO'. Prefixes for a single client must not overlap."
        );
        let cur = tracker(true, &["FOO", "BAR"], false);
        assert!(err("CLIENT TRACKING on BCAST PREFIX FO", Some(&cur))
            .starts_with("ERR Prefix 'FO' overlaps with an existing prefix 'FOO'"));
        assert!(err("CLIENT TRACKING on", Some(&cur)).contains("switch BCAST"));
        let optin = tracker(false, &[], true);
        assert!(err("CLIENT TRACKING on OPTOUT", Some(&optin)).contains("switch OPTIN/OPTOUT"));
    }

    #[test]
    fn reads_are_remembered_as_the_mode_says() {
        assert!(tracker(false, &[], false).wants_reads(false));
        assert!(!tracker(true, &[""], false).wants_reads(false));
        let optin = tracker(false, &[], true);
        assert!(!optin.wants_reads(false));
        assert!(optin.wants_reads(true));
        let mut optout = tracker(false, &[], false);
        optout.opts.optout = true;
        assert!(optout.wants_reads(false));
        assert!(!optout.wants_reads(true));
    }
}
