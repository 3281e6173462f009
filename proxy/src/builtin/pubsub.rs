//! SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE,
//! SUNSUBSCRIBE, PUBLISH, SPUBLISH and PUBSUB, as Redis 7.0 answers them;
//! the registry and a message's path are `crate::pubsub`'s.
//!
//! (Un)subscribe confirmations and messages are push frames (RESP3 `>`,
//! RESP2 arrays) and are sent even under `CLIENT REPLY OFF`, as Redis
//! does. Shard channels are channels of their own namespace: with one
//! endpoint for every slot, SSUBSCRIBE takes channels of any slots
//! together (no CROSSSLOT).

use std::{cell::RefCell, rc::Rc, sync::atomic::Ordering, sync::Arc};

use common::reply::{Proto, Reply};

use super::{eq, help, Call};
use crate::{
    pubsub::{Kind, Mailbox},
    replies::Replies,
    session::{Session, Subs},
    state::ClientHandle,
    worker::Worker,
};

/// Bytes of replies a subscriber's queue may hold before its pump leaves
/// further messages in the mailbox (where the output limits count them).
pub const PUMP_BACKLOG_BYTES: usize = 64 << 10;

fn index(kind: Kind) -> usize {
    match kind {
        Kind::Channel => 0,
        Kind::Pattern => 1,
        Kind::Shard => 2,
    }
}

fn names(kind: Kind) -> (&'static [u8], &'static [u8]) {
    match kind {
        Kind::Channel => (b"subscribe", b"unsubscribe"),
        Kind::Pattern => (b"psubscribe", b"punsubscribe"),
        Kind::Shard => (b"ssubscribe", b"sunsubscribe"),
    }
}

/// A confirmation frame: `[what, name, count]` (a null name if none).
fn frame(proto: Proto, what: &[u8], name: Option<&[u8]>, count: usize) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut r = Reply::new(&mut buf, proto);
    r.push_header(3);
    r.bulk(what);
    match name {
        Some(n) => r.bulk(n),
        None => r.null(),
    }
    r.int(count as i64);
    buf
}

/// The count a confirmation of `kind` carries.
fn count_of(subs: &Subs, kind: Kind) -> usize {
    match kind {
        Kind::Shard => subs.names[2].len(),
        _ => subs.count(),
    }
}

fn publish_counts(handle: &ClientHandle, subs: &Subs) {
    for (slot, names) in handle.subs.iter().zip(&subs.names) {
        slot.store(names.len() as u64, Ordering::Relaxed);
    }
}

/// `SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE name...`: confirmed once the
/// shards know (`crate::subsync`).
pub async fn subscribe(call: Call<'_, '_>, kind: Kind) {
    let (w, session) = (call.w, &mut *call.session);
    let subs = session
        .subs
        .get_or_insert_with(|| start(&session.handle, call.to.out, session.proto));
    let id = session.handle.id;
    let mut out = Vec::new();
    for name in &call.argv[1..] {
        let seq = subs.next;
        let list = &mut subs.names[index(kind)];
        if !list.contains_key(*name) {
            list.insert(name.to_vec(), seq);
            subs.next += 1;
            w.shared.pubsub.subscribe(kind, name, id, &subs.mailbox);
            w.subsync.change(true, kind, id, name);
        }
        out.extend(frame(
            session.proto,
            names(kind).0,
            Some(name),
            count_of(subs, kind),
        ));
    }
    publish_counts(&session.handle, subs);
    w.subsync.settled().await;
    call.to.out.borrow_mut().push_ready(&out, false);
}

/// `UNSUBSCRIBE`, `PUNSUBSCRIBE`, `SUNSUBSCRIBE [name...]`: every one of
/// the kind when none is named; confirmed once the shards know.
pub async fn unsubscribe(call: Call<'_, '_>, kind: Kind) {
    let out = leave(call.w, call.session, kind, &call.argv[1..]);
    call.w.subsync.settled().await;
    call.to.out.borrow_mut().push_ready(&out, false);
}

/// Leaves `names` of `kind` (all if empty); the confirmation frames.
fn leave(w: &Worker, session: &mut Session, kind: Kind, names_given: &[&[u8]]) -> Vec<u8> {
    let id = session.handle.id;
    let proto = session.proto;
    let what = names(kind).1;
    let Some(subs) = session.subs.as_mut() else {
        return if names_given.is_empty() {
            frame(proto, what, None, 0)
        } else {
            names_given
                .iter()
                .flat_map(|n| frame(proto, what, Some(n), 0))
                .collect()
        };
    };
    let targets: Vec<Vec<u8>> = if names_given.is_empty() {
        let mut all: Vec<(&Vec<u8>, &u64)> = subs.names[index(kind)].iter().collect();
        all.sort_unstable_by_key(|(_, &seq)| seq);
        all.into_iter().map(|(n, _)| n.clone()).collect()
    } else {
        names_given.iter().map(|n| n.to_vec()).collect()
    };
    let mut out = Vec::new();
    if targets.is_empty() {
        out.extend(frame(proto, what, None, count_of(subs, kind)));
    }
    for name in &targets {
        if subs.names[index(kind)].remove(name).is_some() {
            w.shared.pubsub.unsubscribe(kind, name, id);
            w.subsync.change(false, kind, id, name);
        }
        out.extend(frame(proto, what, Some(name), count_of(subs, kind)));
    }
    publish_counts(&session.handle, subs);
    out
}

/// `MONITOR`: from now on the connection gets a line for every command
/// clients run (`crate::monitor`), through the mailbox its pub/sub
/// messages would use. A second MONITOR is ignored without a reply, as
/// Redis ignores it.
pub fn monitor(call: Call<'_, '_>) {
    let (w, session) = (call.w, &mut *call.session);
    let subs = session
        .subs
        .get_or_insert_with(|| start(&session.handle, call.to.out, session.proto));
    if w.shared
        .monitors
        .add(session.handle.id, subs.mailbox.clone())
    {
        call.reply(|r| r.ok());
    }
}

/// Every subscription of the connection ends (it closes, or RESET);
/// done when the shards know. A monitor monitors no more.
pub async fn leave_all(w: &Worker, session: &mut Session) {
    w.shared.monitors.remove(session.handle.id);
    crate::builtin::client::tracking_off(w, session).await;
    // Invalidations for it (another client redirecting here) find no
    // mailbox and make one again, which it takes up.
    *session
        .handle
        .mailbox
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = None;
    let Some(subs) = session.subs.take() else {
        return;
    };
    let id = session.handle.id;
    for kind in [Kind::Channel, Kind::Pattern, Kind::Shard] {
        for name in subs.names[index(kind)].keys() {
            w.shared.pubsub.unsubscribe(kind, name, id);
            w.subsync.change(false, kind, id, name);
        }
    }
    for slot in &session.handle.subs {
        slot.store(0, Ordering::Relaxed);
    }
    w.subsync.settled().await;
}

/// A connection's first subscription: its mailbox (made now, or the one
/// another connection made for it) and pump.
pub fn start(handle: &Arc<ClientHandle>, out: &Rc<RefCell<Replies>>, proto: Proto) -> Box<Subs> {
    let mailbox = handle.mailbox_or_new(proto).0;
    mailbox.set_proto(proto);
    let pump = tokio::task::spawn_local(pump(mailbox.clone(), out.clone(), handle.clone()));
    Box::new(Subs {
        names: Default::default(),
        next: 0,
        mailbox,
        pump,
    })
}

/// Takes up the mailbox another connection made for this one (an
/// invalidation redirected to it, `crate::tracking`): its messages flow
/// into the replies from now on.
pub fn take_up_mailbox(session: &mut Session, out: &Rc<RefCell<Replies>>) {
    let made = session
        .handle
        .mailbox
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some();
    if made && session.subs.is_none() {
        session.subs = Some(start(&session.handle, out, session.proto));
    }
}

/// Moves what fits of `mb`'s messages into the reply queue `out` (while
/// it holds less than [`PUMP_BACKLOG_BYTES`]); whether any moved.
fn move_frames(mb: &Mailbox, out: &RefCell<Replies>) -> bool {
    if out.borrow().pushes_held {
        return false;
    }
    let room = PUMP_BACKLOG_BYTES.saturating_sub(out.borrow().backlog());
    if room == 0 {
        return false;
    }
    let frames = mb.take(room);
    let mut o = out.borrow_mut();
    for f in &frames {
        o.push_ready(f, false);
    }
    !frames.is_empty()
}

/// Before a subscriber's command is answered, the messages that reached
/// its mailbox go first (as from Redis, where they are already in its
/// output buffer), unless its replies are backed up.
pub fn catch_up(session: &Session, out: &RefCell<Replies>) {
    if let Some(subs) = &session.subs {
        move_frames(&subs.mailbox, out);
    }
}

/// Moves messages from `mb` into the reply queue `out` while it holds
/// less than [`PUMP_BACKLOG_BYTES`]; closes the connection if the mailbox
/// was closed for its output limits.
async fn pump(
    mb: Arc<crate::pubsub::Mailbox>,
    out: Rc<RefCell<Replies>>,
    handle: Arc<ClientHandle>,
) {
    loop {
        let drained = out.borrow().drained_bell();
        let progress = out.borrow().progress_bell_for_one_wait();
        let d = drained.notified();
        let p = progress.notified();
        tokio::pin!(d);
        tokio::pin!(p);
        d.as_mut().enable();
        p.as_mut().enable();
        if mb.is_closed() || out.borrow().is_dead() {
            handle.killed.store(true, Ordering::Relaxed);
            handle.kill.notify_one();
            return;
        }
        if move_frames(&mb, &out) {
            continue;
        }
        if out.borrow().backlog() < PUMP_BACKLOG_BYTES {
            mb.bell.notified().await;
        } else {
            tokio::select! {
                _ = d => {}
                _ = p => {}
                _ = mb.bell.notified() => {}
            }
        }
    }
}

/// Keeps a `SHARDD.EVENTS` request waiting on `shard` for the life of
/// the worker: the shard answers it with the keyspace events no request
/// caused (expired keys), which the reply reader publishes as it reads
/// the reply (`common::notify`). One worker polls every shard.
pub async fn events_poll(w: Rc<Worker>, shard: usize) {
    let mut req = crate::link::Req::internal(common::table::Cmd::SharddEvents, Proto::Resp2);
    req.flags |= common::wire::REQ_FLAG_BLOCK;
    let args = vec![b"SHARDD.EVENTS".to_vec()];
    // Until a scale-in removes the shard.
    while w.wanted(shard) {
        let capture = crate::xtx::send_for_reply(&w, req, shard, &args).await;
        w.flush_now();
        let reply = crate::xtx::wait_all(&capture).await;
        if reply.starts_with(b"-") {
            // The shard restarted or refused: ask again a little later.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

/// Sends this worker's subscription changes to every attached shard, in
/// the order they were made, for the life of the worker
/// (`crate::subsync`).
pub async fn subs_sender(w: Rc<Worker>) {
    let req = crate::link::Req::internal(common::table::Cmd::SharddSubs, Proto::Resp2);
    loop {
        let bell = w.subsync.bell.notified();
        if w.subsync.is_idle() {
            bell.await;
            continue;
        }
        let (resync, recs, upto) = w.subsync.take();
        for (shard, whole) in resync {
            for rec in &whole {
                let target = crate::replies::Target::Ignore;
                send_if_up(&w, req, shard, rec, target).await;
            }
        }
        let mut captures = Vec::new();
        let shards = w.links.borrow().len();
        for shard in 0..shards {
            for rec in &recs {
                let (capture, target) = crate::xtx::capture_slot();
                if send_if_up(&w, req, shard, rec, target).await {
                    captures.push(capture);
                }
            }
        }
        w.flush_now();
        for c in captures {
            // A shard that went down meanwhile fails it; it gets the
            // whole set when it is back.
            crate::xtx::wait_all(&c).await;
        }
        w.subsync.applied(upto);
    }
}

/// Sends `args` on `shard`'s link, waiting for room; false (and nothing
/// sent) if the shard is down, which learns everything when it is back.
async fn send_if_up(
    w: &Rc<Worker>,
    req: crate::link::Req,
    shard: usize,
    args: &[Vec<u8>],
    mut target: crate::replies::Target,
) -> bool {
    use crate::link::SendError;
    loop {
        let sent = match w.links.borrow_mut().get_mut(shard) {
            Some(l) => l.send(req, args, target),
            None => return false,
        };
        match sent {
            Ok(()) => return true,
            Err((SendError::Full, t)) => {
                target = t;
                crate::send::wait_for_space(w, shard).await;
            }
            Err((SendError::Down, _)) => return false,
            Err((SendError::TooLarge, _)) => {
                tracing::warn!(shard, "a subscription name is too long to tell the shard");
                return false;
            }
        }
    }
}

/// `PUBLISH channel message` and `SPUBLISH shardchannel message`.
pub fn publish(call: Call, shard: bool) {
    let limits = call.w.shared.settings.pubsub_limits();
    let n = call
        .w
        .shared
        .pubsub
        .publish(call.argv[1], call.argv[2], shard, limits);
    if let Some(subs) = &call.session.subs {
        // A (RESP3) subscriber publishing to itself gets the message
        // before the reply, as from Redis: its mailbox goes first.
        let frames = subs.mailbox.take(usize::MAX);
        let mut o = call.to.out.borrow_mut();
        for f in &frames {
            o.push_ready(f, false);
        }
    }
    call.reply(|r| r.int(n as i64));
}

const HELP: &[&str] = &[
    "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
    "HELP",
    "    Prints this help.",
];

/// `PUBSUB CHANNELS|NUMSUB|NUMPAT|SHARDCHANNELS|SHARDNUMSUB|HELP`.
pub fn pubsub(call: Call) {
    let ps = &call.w.shared.pubsub;
    let argv = call.argv;
    let sub = argv[1];
    let list = |kind: Kind| {
        let names = ps.names(kind, argv.get(2).copied());
        move |r: &mut Reply| {
            r.array(names.len());
            names.iter().for_each(|n| r.bulk(n));
        }
    };
    let numsub = |kind: Kind| {
        let counts: Vec<(&[u8], usize)> =
            argv[2..].iter().map(|c| (*c, ps.count(kind, c))).collect();
        // A flat array in both protocols, as Redis answers it.
        move |r: &mut Reply| {
            r.array(counts.len() * 2);
            for (c, n) in &counts {
                r.bulk(c);
                r.int(*n as i64);
            }
        }
    };
    if eq(sub, "channels") && argv.len() <= 3 {
        let f = list(Kind::Channel);
        call.reply(f);
    } else if eq(sub, "shardchannels") && argv.len() <= 3 {
        let f = list(Kind::Shard);
        call.reply(f);
    } else if eq(sub, "numsub") {
        let f = numsub(Kind::Channel);
        call.reply(f);
    } else if eq(sub, "shardnumsub") {
        let f = numsub(Kind::Shard);
        call.reply(f);
    } else if eq(sub, "numpat") && argv.len() == 2 {
        let n = ps.len(Kind::Pattern);
        call.reply(|r| r.int(n as i64));
    } else if eq(sub, "help") && argv.len() == 2 {
        call.reply(|r| help(r, HELP));
    } else {
        let name = String::from_utf8_lossy(sub).into_owned();
        call.reply(|r| {
            r.error(&format!(
                "ERR unknown subcommand or wrong number of arguments for '{name}'. Try PUBSUB HELP."
            ))
        });
    }
}

/// Whether command `id` may run in RESP2's subscribed mode.
pub fn allowed_when_subscribed(id: common::table::Cmd) -> bool {
    use common::table::Cmd;
    matches!(
        id,
        Cmd::Subscribe
            | Cmd::Ssubscribe
            | Cmd::Sunsubscribe
            | Cmd::Psubscribe
            | Cmd::Unsubscribe
            | Cmd::Punsubscribe
            | Cmd::Ping
            | Cmd::Quit
            | Cmd::Reset
    )
}
