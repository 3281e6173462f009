//! A client's blocking command (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP,
//! BZPOPMIN, BZPOPMAX, BZMPOP) outside MULTI: the connection reads no
//! further command until it is answered, as in Redis, but keeps reading
//! its socket so a disconnect ends the wait at once (`crate::conn`).
//!
//! - **Keys on one shard** (the common case): the command goes to that
//!   shard with `REQ_FLAG_BLOCK`. The shard pops at once if it can, else
//!   keeps the request and answers it when a push feeds one of its keys
//!   (clients blocked on a key are served oldest first, whichever worker
//!   they came from: the shard holds every worker's waiters;
//!   `shardd/src/blocking.rs`).
//! - **Keys on several shards**: the command runs in its non-blocking
//!   form (exactly one element, from the first key in argument order that
//!   has one, or nothing), as cheaply as that allows (`try_pop`: a plain
//!   pop of the leading keys on the first key's shard, else a transaction
//!   over the keys up to the first one holding a value); if it found nothing,
//!   a `SHARDD.BWAIT` goes to each shard with its keys, answered when one
//!   of them holds a value (or at once if one does already, so a push
//!   between the attempt and the wait is never missed); then the attempt
//!   runs again. First come, first served holds across both kinds: the
//!   command's ticket (taken when it came, from the counter every worker
//!   shares) is its place among each key's waiters, and the shard whose
//!   push woke it keeps the key for it until its pop, or until told to
//!   let go (`SHARDD.UNBLOCK client RELEASE`, once the command is done;
//!   `shardd/src/blocking.rs`). It shows as blocked from its first wait
//!   (a first try that pops never blocked).
//! - **The end of a wait**: the timeout (a timer here, not in the shard),
//!   `CLIENT UNBLOCK` (`TIMEOUT` or `ERROR`) and a disconnect send
//!   `SHARDD.UNBLOCK client`; the shard answers the kept request with the
//!   timeout's null (or `-UNBLOCKED`), unless it was served just before
//!   (its reply then wins, as in Redis).
//! - **A shard that restarts** while a client waits on its keys: the
//!   client keeps waiting (the same request is sent again once the shard
//!   is back, within the timeout); if the shard stays away past
//!   `shard-wait-timeout-ms` the client gets `-ERR shard N is
//!   unavailable`. An element the shard popped before it died (its reply
//!   lost with it) is not lost: the request carries a token, the shard
//!   logs what each token's pop answered with the pop, and the request
//!   sent again gets that answer (a new generation of the log starts
//!   with the pops still remembered). Limit: the shard remembers the
//!   newest 65,536 pops.
//!   Over several shards the pop is a transaction: aborted by a restart,
//!   it is tried again; its decider dying while committing, the outcome
//!   is asked of the decider once it is back (`xtx::run_alone_settled`).

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    rc::Rc,
    sync::{atomic::Ordering, Arc},
};

use common::{
    blocking::{self, Family},
    reply::{Proto, Reply},
    table::{self, Cmd, CommandSpec},
    wire::{REQ_FLAG_BLOCK, REQ_FLAG_NOPARK},
};
use tokio::{sync::Notify, time::Instant};

use crate::{
    link::Req,
    replies::{Replies, Target},
    send::{first_shard, send, To},
    session::{Blocked, Session},
    state::{ClientHandle, UNBLOCK_ERROR},
    worker::Worker,
    xtx::{self, send_for_reply, wait_all},
};

/// Starts blocking command `spec` (outside MULTI): a slot in the reply
/// queue and the wait for [`wait`]. A bad timeout or bad keys go to the
/// shards as a plain command, which answers their error at once.
pub async fn start(
    w: &Rc<Worker>,
    session: &mut Session,
    to: To<'_>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) {
    let timeout = blocking::timeout_of(spec.id, argv);
    let waits = !blocking::wait_positions(spec.id, argv).is_empty();
    let Some(Ok(ms)) = timeout.filter(|_| waits) else {
        let req = Req::new(spec, session.proto, session.handle.id, session.db);
        return crate::route::shard_command(w, req, to, spec, argv).await;
    };
    let seq = to.out.borrow_mut().push_pending(to.discard);
    let deadline = (ms > 0).then(|| Instant::now() + std::time::Duration::from_millis(ms));
    session.blocked = Some(Blocked {
        spec,
        args: argv.iter().map(|a| a.to_vec()).collect(),
        seq,
        deadline,
        proto: session.proto,
        db: session.db,
    });
}

/// Waits for blocked command `b` of the client `handle` and fills its
/// slot in `out`. The wait runs as a task of its own, never dropped
/// halfway (a transaction over several shards must finish or its locks
/// would stay held): dropping this future (the client left) tells the
/// task to end its waits on the shards and stop.
pub async fn wait(w: Rc<Worker>, handle: Arc<ClientHandle>, b: Blocked, out: Rc<RefCell<Replies>>) {
    let gone = Rc::new(Gone::default());
    let db = b.db;
    // On one shard the request goes out now, from the client's own task:
    // a command another client sends after it reaches the shard after it
    // (arrival order, as one Redis), not before the task below first runs.
    let argv: Vec<&[u8]> = b.args.iter().map(|a| a.as_slice()).collect();
    let first = {
        let _busy = w.enter().await;
        match xtx::spans_shards(&w, b.spec, &argv) {
            // Its place among the waiters of its keys, taken now.
            true => Start::Spread {
                ticket: xtx::next_txid(&w),
            },
            false => Start::One(first_send(&w, &b).await),
        }
    };
    let task = tokio::task::spawn_local(crate::link::in_db_scope(
        db,
        run(w, handle, b, out, gone.clone(), first),
    ));
    let _left = LeaveOnDrop(gone);
    let _ = task.await;
}

/// How a blocked command starts.
enum Start {
    /// Sent to the one shard of its keys.
    One(Sent),
    /// Over several shards: its ticket, the place its waits take among
    /// the waiters of each key (`SHARDD.BWAIT`), taken when it came.
    Spread { ticket: u64 },
}

/// Whether the client left mid-wait.
#[derive(Default)]
struct Gone {
    left: Cell<bool>,
    bell: Notify,
}

struct LeaveOnDrop(Rc<Gone>);

impl Drop for LeaveOnDrop {
    fn drop(&mut self) {
        self.0.left.set(true);
        self.0.bell.notify_one();
    }
}

async fn run(
    w: Rc<Worker>,
    handle: Arc<ClientHandle>,
    b: Blocked,
    out: Rc<RefCell<Replies>>,
    gone: Rc<Gone>,
    first: Start,
) {
    handle.unblock_mode.store(0, Ordering::Relaxed);
    let mark = BlockedMark {
        handle: &handle,
        gauge: &w.shared.stats.blocked,
        on: Cell::new(false),
    };
    let argv: Vec<&[u8]> = b.args.iter().map(|a| a.as_slice()).collect();
    let reply = match first {
        Start::Spread { ticket } => {
            let spread = Spread {
                handle: &handle,
                gone: &gone,
                ticket,
                mark: &mark,
            };
            over_shards(&w, &spread, &b, &argv).await
        }
        Start::One(sent) => {
            mark.set();
            on_one_shard(&w, &handle, &gone, &b, sent).await
        }
    };
    drop(mark);
    if shard_lost(&reply) {
        // The link made this one; the shards count their own errors.
        w.error_reply(&reply);
    }
    Target::Slot {
        conn: out,
        seq: b.seq,
        part: None,
    }
    .deliver(&reply);
}

/// Whether the client shows as blocked (`CLIENT LIST`'s `b`, INFO's
/// `blocked_clients`): from its wait on its one shard, or from its first
/// wait over several shards (a first try that pops never blocks, as in
/// Redis), until dropped.
struct BlockedMark<'a> {
    handle: &'a ClientHandle,
    gauge: &'a std::sync::atomic::AtomicU64,
    on: Cell<bool>,
}

impl BlockedMark<'_> {
    fn set(&self) {
        if !self.on.replace(true) {
            self.handle.blocked.store(true, Ordering::Relaxed);
            self.gauge.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for BlockedMark<'_> {
    fn drop(&mut self) {
        if self.on.get() {
            self.handle.blocked.store(false, Ordering::Relaxed);
            self.gauge.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// A client blocked over several shards, as its wait sees it.
struct Spread<'a> {
    handle: &'a ClientHandle,
    gone: &'a Gone,
    /// Its place among each key's waiters (`Start::Spread`).
    ticket: u64,
    mark: &'a BlockedMark<'a>,
}

/// A client's waits (or reservations) on shards, ended with
/// `SHARDD.UNBLOCK client on_drop` if dropped while armed: `TIMEOUT` for
/// waits (the client left, or was killed, mid-wait), `RELEASE` for the
/// keys shards reserved for a woken client (its command is done).
struct Waits {
    w: Rc<Worker>,
    client: u64,
    shards: Vec<usize>,
    on_drop: &'static [u8],
}

impl Waits {
    /// Ends every wait now with `mode` (`TIMEOUT` or `ERROR`), disarmed.
    async fn end(&mut self, mode: &'static [u8]) {
        let shards = std::mem::take(&mut self.shards);
        unblock(&self.w, self.client, &shards, mode).await;
    }
}

impl Drop for Waits {
    fn drop(&mut self) {
        if self.shards.is_empty() {
            return;
        }
        let (w, client, shards, mode) = (
            self.w.clone(),
            self.client,
            std::mem::take(&mut self.shards),
            self.on_drop,
        );
        tokio::task::spawn_local(async move { unblock(&w, client, &shards, mode).await });
    }
}

/// Sends `SHARDD.UNBLOCK client mode` to each of `shards` (their replies
/// are not needed: the kept requests' own replies say how they ended).
async fn unblock(w: &Rc<Worker>, client: u64, shards: &[usize], mode: &'static [u8]) {
    let req = Req::internal(Cmd::SharddUnblock, Proto::Resp2);
    let id = client.to_string();
    for &s in shards {
        let args: [&[u8]; 3] = [b"SHARDD.UNBLOCK", id.as_bytes(), mode];
        send(w, req, s, &args, Target::Ignore).await;
    }
    w.flush_now();
}

/// Resolves when the wait should end before any reply: at `deadline`, at
/// a `CLIENT UNBLOCK` (true: with an error), or when the client left.
async fn ended(handle: &ClientHandle, gone: &Gone, deadline: Option<Instant>) -> bool {
    let unblocked = async {
        loop {
            let n = handle.unblock.notified();
            tokio::pin!(n);
            n.as_mut().enable();
            match handle.unblock_mode.load(Ordering::Relaxed) {
                0 => n.await,
                m => return m == UNBLOCK_ERROR,
            }
        }
    };
    let left = async {
        while !gone.left.get() {
            gone.bell.notified().await;
        }
    };
    let timer = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        e = unblocked => e,
        _ = left => false,
        _ = timer => false,
    }
}

fn mode_arg(error: bool) -> &'static [u8] {
    if error {
        b"ERROR"
    } else {
        b"TIMEOUT"
    }
}

/// Whether a shard's reply says it restarted under the request.
fn shard_lost(reply: &[u8]) -> bool {
    reply.starts_with(b"-ERR shard ") && reply.ends_with(b" is unavailable\r\n")
}

fn past(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}

/// The timeout's reply of a blocked command in `proto`: a null array for
/// every one, BLMOVE and BRPOPLPUSH included (`*-1` in RESP2, as
/// redis-server 7.0 answers them, though their other nulls are bulk).
fn timeout_reply(proto: Proto) -> Vec<u8> {
    let mut buf = Vec::new();
    Reply::new(&mut buf, proto).null_array();
    buf
}

fn unblocked_reply(proto: Proto) -> Vec<u8> {
    let mut buf = Vec::new();
    Reply::new(&mut buf, proto).error("UNBLOCKED client unblocked via CLIENT UNBLOCK");
    buf
}

fn is_null(reply: &[u8]) -> bool {
    matches!(reply, b"*-1\r\n" | b"$-1\r\n" | b"_\r\n")
}

/// A blocking command sent to the one shard of its keys.
struct Sent {
    shard: usize,
    req: Req,
    /// Its token (`Req::origin`).
    token: u64,
    capture: Rc<RefCell<Replies>>,
}

/// Sends blocking command `b` to the one shard of its keys.
async fn first_send(w: &Rc<Worker>, b: &Blocked) -> Sent {
    let argv: Vec<&[u8]> = b.args.iter().map(|a| a.as_slice()).collect();
    let shard = first_shard(w, b.spec, &argv);
    // The wait's token (unique across proxy restarts): the shard knows the
    // wait by it, and remembers what it popped for it, so the request sent
    // again after a restart of the shard gets that, not a second pop.
    let token = xtx::next_txid(w);
    let mut req = Req::new(b.spec, b.proto, token, b.db);
    req.flags |= REQ_FLAG_BLOCK;
    let capture = send_for_reply(w, req, shard, &b.args).await;
    w.flush_now();
    Sent {
        shard,
        req,
        token,
        capture,
    }
}

/// The whole command to the one shard of its keys (`sent` there once
/// already), kept there until it pops or its wait ends.
async fn on_one_shard(
    w: &Rc<Worker>,
    handle: &ClientHandle,
    gone: &Gone,
    b: &Blocked,
    sent: Sent,
) -> Vec<u8> {
    let Sent {
        mut shard,
        req,
        token,
        capture,
    } = sent;
    let mut capture = Some(capture);
    let mut lost = 0u32;
    loop {
        let capture = match capture.take() {
            Some(c) => c,
            None => {
                let _busy = w.enter().await;
                let argv: Vec<&[u8]> = b.args.iter().map(|a| a.as_slice()).collect();
                shard = first_shard(w, b.spec, &argv);
                let c = send_for_reply(w, req, shard, &b.args).await;
                w.flush_now();
                c
            }
        };
        let mut waits = Waits {
            w: w.clone(),
            client: token,
            shards: vec![shard],
            on_drop: b"TIMEOUT",
        };
        let reply = if lost > 0 && past(b.deadline) {
            // Sent again only to learn whether it popped before the
            // restart: answered with that, or ended at once.
            waits.end(b"TIMEOUT").await;
            wait_all(&capture).await
        } else {
            tokio::select! {
                r = wait_all(&capture) => r,
                error = ended(handle, gone, b.deadline) => {
                    waits.end(mode_arg(error)).await;
                    wait_all(&capture).await
                }
            }
        };
        waits.shards.clear();
        // Its key's slot moved while it waited: the same request goes to
        // the new owner (it popped nothing here).
        if reply == common::wire::SLOT_MOVED && !gone.left.get() {
            continue;
        }
        // Its shard restarted: the same request goes again once it is
        // back (a few times at most once the timeout passed).
        if shard_lost(&reply) && !gone.left.get() && (lost < 3 || !past(b.deadline)) {
            lost += 1;
            continue;
        }
        return reply;
    }
}

/// Keys on several shards: the non-blocking form as a transaction, then
/// a wait on every shard for one of the keys to hold a value, again.
async fn over_shards(w: &Rc<Worker>, sp: &Spread<'_>, b: &Blocked, argv: &[&[u8]]) -> Vec<u8> {
    let (handle, gone) = (sp.handle, sp.gone);
    let Some(family) = blocking::family(b.spec.id) else {
        return xtx::run_alone(w, b.proto, b.spec, argv).await;
    };
    // A stream read waits from the ids its `$`s stand for now.
    let resolved;
    let argv = if family == Family::Stream {
        match stream_ids_now(w, b.spec, argv).await {
            Ok(a) => {
                resolved = a;
                &resolved.iter().map(Vec::as_slice).collect::<Vec<_>>()[..]
            }
            Err(e) => return e,
        }
    } else {
        argv
    };
    let client = handle.id.to_string().into_bytes();
    // The shards whose push woke this client reserve the key for it
    // until its pop (`shardd/src/blocking.rs`): let go when it is done.
    let mut woke = Waits {
        w: w.clone(),
        client: handle.id,
        shards: Vec::new(),
        on_drop: b"RELEASE",
    };
    let keys = xtx::pop_keys(b.spec.id, argv);
    // The last try, at the timeout, holds every key: a null then is a
    // moment when they were all empty.
    let mut last = false;
    let mut waited = false;
    loop {
        let reply = {
            let _busy = w.enter().await;
            match keys {
                Some(keys) if !last => try_pop(w, b, argv, keys).await,
                _ => xtx::run_alone_settled(w, b.proto, b.spec, argv).await,
            }
        };
        if waited && b.spec.id == Cmd::Xreadgroup && reply.starts_with(b"-NOGROUP No such key") {
            // Its group or stream went away while it waited: Redis's
            // errors for a blocked reader.
            return stream_gone_reply(w, b, argv).await;
        }
        if reply.starts_with(b"-ERR transaction aborted") && !past(b.deadline) && !gone.left.get() {
            // Nothing was applied (a shard restarted under it): try again
            // a little later, within the timeout.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        }
        if !is_null(&reply) {
            return reply;
        }
        if gone.left.get() || (past(b.deadline) && (last || keys.is_none())) {
            return timeout_reply(b.proto);
        }
        if past(b.deadline) {
            last = true;
            continue;
        }
        let mut req = Req::internal(Cmd::SharddBwait, b.proto);
        req.flags |= REQ_FLAG_BLOCK;
        let busy = w.enter().await;
        let by_shard = waits_by_shard(w, b, family, argv);
        let mut captures = Vec::with_capacity(by_shard.len());
        for (&shard, keys) in &by_shard {
            let mut args = vec![
                b"SHARDD.BWAIT".to_vec(),
                client.clone(),
                family.name().to_vec(),
                sp.ticket.to_string().into_bytes(),
            ];
            args.extend(keys.iter().cloned());
            captures.push(send_for_reply(w, req, shard, &args).await);
        }
        w.flush_now();
        drop(busy);
        sp.mark.set();
        // A new wait on a shard ends its reservation there (the client
        // keeps its place in the queue).
        woke.shards.retain(|s| !by_shard.contains_key(s));
        let mut waits = Waits {
            w: w.clone(),
            client: handle.id,
            shards: by_shard.keys().copied().collect(),
            on_drop: b"TIMEOUT",
        };
        let woken = tokio::select! {
            _ = any_reply(&captures) => None,
            error = ended(handle, gone, b.deadline) => Some(error),
        };
        // Every other wait ends; each kept request is answered either way.
        waits.end(b"TIMEOUT").await;
        for (c, &shard) in captures.iter().zip(by_shard.keys()) {
            if wait_all(c).await.starts_with(b":1") {
                woke.shards.push(shard);
            }
        }
        waited = true;
        match woken {
            None => continue,
            Some(true) => {
                // Made here, so counted here (the shards count theirs).
                let r = unblocked_reply(b.proto);
                w.error_reply(&r);
                return r;
            }
            Some(false) => return timeout_reply(b.proto),
        }
    }
}

/// The keys of a wait over several shards grouped by the shard that owns
/// each now (`SHARDD.BWAIT`'s arguments after the family), asked again
/// before every wait: a slot move may have changed an owner.
fn waits_by_shard(
    w: &Worker,
    b: &Blocked,
    family: Family,
    argv: &[&[u8]],
) -> BTreeMap<usize, Vec<Vec<u8>>> {
    let mut by_shard: BTreeMap<usize, Vec<Vec<u8>>> = BTreeMap::new();
    let positions = blocking::wait_positions(b.spec.id, argv);
    let nkeys = positions.len();
    if family == Family::Stream {
        // `SHARDD.BWAIT client stream group key id ...`: each key with the
        // id it waits past (the group's for XREADGROUP).
        for p in &positions {
            let (Some(k), Some(id)) = (argv.get(*p), argv.get(p + nkeys)) else {
                continue;
            };
            let e = by_shard.entry(w.shared.shard_of(k)).or_default();
            if e.is_empty() {
                e.push(stream_group(argv).to_vec());
            }
            e.push(k.to_vec());
            e.push(id.to_vec());
        }
    } else {
        for p in positions {
            if let Some(k) = argv.get(p) {
                by_shard
                    .entry(w.shared.shard_of(k))
                    .or_default()
                    .push(k.to_vec());
            }
        }
    }
    by_shard
}

/// What a blocked XREADGROUP over several shards answers when its group
/// or one of its streams went away: `UNBLOCKED` if a key holds no stream
/// now, else `NOGROUP` (its group was destroyed).
async fn stream_gone_reply(w: &Rc<Worker>, b: &Blocked, argv: &[&[u8]]) -> Vec<u8> {
    let probe = Req::internal(Cmd::Type, Proto::Resp2);
    let asks: Vec<(usize, Vec<Vec<u8>>)> = blocking::wait_positions(b.spec.id, argv)
        .iter()
        .filter_map(|&p| argv.get(p))
        .map(|k| (w.shared.shard_of(k), vec![b"TYPE".to_vec(), k.to_vec()]))
        .collect();
    let types = xtx::ask_each(w, probe, &asks).await;
    let mut buf = Vec::new();
    let mut r = Reply::new(&mut buf, b.proto);
    if types.iter().any(|t| t.as_slice() != b"+stream\r\n") {
        r.error("UNBLOCKED the stream key no longer exists");
    } else {
        r.error("NOGROUP the consumer group this client was blocked on no longer exists");
    }
    w.error_reply(&buf);
    buf
}

/// XREADGROUP's group name (empty for XREAD).
fn stream_group<'a>(argv: &[&'a [u8]]) -> &'a [u8] {
    argv.iter()
        .position(|a| a.eq_ignore_ascii_case(b"group"))
        .and_then(|i| argv.get(i + 1).copied())
        .unwrap_or(b"")
}

/// A stream read over several shards with each `$` id replaced by the
/// stream's last id now (`XINFO STREAM`'s `last-generated-id`, 0-0 for a
/// missing key), so the waits and every later try read from that moment,
/// as Redis's blocked XREAD does. An error (a key of another type) is
/// the reply.
async fn stream_ids_now(
    w: &Rc<Worker>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> Result<Vec<Vec<u8>>, Vec<u8>> {
    let mut out: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    let positions = blocking::wait_positions(spec.id, argv);
    let n = positions.len();
    let asks: Vec<(usize, usize, Vec<Vec<u8>>)> = positions
        .iter()
        .filter(|&&p| argv.get(p + n) == Some(&&b"$"[..]))
        .map(|&p| {
            let key = argv[p].to_vec();
            (
                p + n,
                w.shared.shard_of(&key),
                vec![b"XINFO".to_vec(), b"STREAM".to_vec(), key],
            )
        })
        .collect();
    if asks.is_empty() {
        return Ok(out);
    }
    let probe = Req::internal(Cmd::XinfoStream, Proto::Resp2);
    let plain: Vec<(usize, Vec<Vec<u8>>)> = asks.iter().map(|(_, s, a)| (*s, a.clone())).collect();
    let replies = xtx::ask_each(w, probe, &plain).await;
    for ((at, _, _), reply) in asks.iter().zip(replies) {
        out[*at] = if reply.starts_with(b"-ERR no such key") {
            b"0-0".to_vec()
        } else if reply.starts_with(b"-") {
            return Err(reply);
        } else {
            last_generated_id(&reply)
                .ok_or_else(|| b"-ERR could not read a stream's last id\r\n".to_vec())?
        };
    }
    Ok(out)
}

/// `last-generated-id`'s value in a RESP2 XINFO STREAM reply.
fn last_generated_id(reply: &[u8]) -> Option<Vec<u8>> {
    const FIELD: &[u8] = b"$17\r\nlast-generated-id\r\n$";
    let at = reply.windows(FIELD.len()).position(|w| w == FIELD)? + FIELD.len();
    let rest = &reply[at..];
    let nl = rest.iter().position(|&c| c == b'\r')?;
    let len: usize = std::str::from_utf8(&rest[..nl]).ok()?.parse().ok()?;
    rest.get(nl + 2..nl + 2 + len).map(<[u8]>::to_vec)
}

/// One try of a pop over several shards, in the cheapest way that is
/// still the answer of one moment:
/// 1. the leading keys that share the first key's shard (a plain pop
///    there, remembered by a token as a blocked pop is, so a reply lost
///    with its shard is asked again, not popped twice);
/// 2. if they were empty, every later key's TYPE, looked at without
///    locks: none exists, the null (the caller waits, and its last try
///    holds every key);
/// 3. else a transaction over the keys up to the first one that held a
///    value ([`xtx::pop_prefix`]): a pop from key i needs only keys
///    0..i empty at its moment, so the keys after it stay unlocked.
async fn try_pop(w: &Rc<Worker>, b: &Blocked, argv: &[&[u8]], keys: xtx::PopKeys) -> Vec<u8> {
    let names = keys.names(argv);
    let Some(first) = names.first().map(|k| w.shared.shard_of(k)) else {
        return timeout_reply(b.proto);
    };
    let lead = names
        .iter()
        .take_while(|k| w.shared.shard_of(k) == first)
        .count();
    let reply = pop_remembered(w, b, first, keys.narrow(argv, &names[..lead])).await;
    if !is_null(&reply) || lead == names.len() {
        return reply;
    }
    let probe = Req::internal(Cmd::Type, Proto::Resp2);
    let asks: Vec<(usize, Vec<Vec<u8>>)> = names[lead..]
        .iter()
        .map(|k| (w.shared.shard_of(k), vec![b"TYPE".to_vec(), k.to_vec()]))
        .collect();
    let types = xtx::ask_each(w, probe, &asks).await;
    match types.iter().position(|t| t.as_slice() != b"+none\r\n") {
        Some(at) => xtx::pop_prefix(w, b.proto, b.spec, argv, keys, lead + at + 1).await,
        None => reply,
    }
}

/// Pops with `args` on `shard` without waiting; the pop is remembered by
/// a token, so a request whose shard restarted before answering is sent
/// again and gets what it popped (a few times, then the error).
async fn pop_remembered(w: &Rc<Worker>, b: &Blocked, shard: usize, args: Vec<Vec<u8>>) -> Vec<u8> {
    let mut req = Req::new(b.spec, b.proto, xtx::next_txid(w), b.db);
    req.flags |= REQ_FLAG_BLOCK | REQ_FLAG_NOPARK;
    let mut lost = 0;
    loop {
        let capture = send_for_reply(w, req, shard, &args).await;
        w.flush_now();
        let reply = wait_all(&capture).await;
        if shard_lost(&reply) && (lost < 3 || !past(b.deadline)) {
            lost += 1;
            continue;
        }
        return reply;
    }
}

/// Resolves once any of `captures` has its reply.
async fn any_reply(captures: &[Rc<RefCell<Replies>>]) {
    loop {
        // Taken anew for every wait: taking a bell is what makes it ring.
        let bells: Vec<_> = captures
            .iter()
            .map(|c| c.borrow().progress_bell_for_one_wait())
            .collect();
        let waits: Vec<_> = bells.iter().map(|b| b.notified()).collect();
        let mut waits: Vec<_> = waits.into_iter().map(Box::pin).collect();
        for n in waits.iter_mut() {
            n.as_mut().enable();
        }
        if captures.iter().any(|c| c.borrow().outstanding() == 0) {
            return;
        }
        futures_select_all(waits).await;
    }
}

/// Resolves when the first of `futs` does.
async fn futures_select_all<F: std::future::Future + Unpin>(mut futs: Vec<F>) {
    std::future::poll_fn(|cx| {
        for f in futs.iter_mut() {
            if std::pin::Pin::new(&mut *f).poll(cx).is_ready() {
                return std::task::Poll::Ready(());
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`'s work: ends client `id`'s wait;
/// false if it is not blocked.
pub fn unblock_client(w: &Worker, id: u64, mode: u8) -> bool {
    let Some(c) = w.shared.clients().get(&id).cloned() else {
        return false;
    };
    if !c.blocked.load(Ordering::Relaxed) {
        return false;
    }
    c.unblock_mode.store(mode, Ordering::Relaxed);
    c.unblock.notify_waiters();
    true
}

/// Whether `spec` blocks when run by a client outside MULTI.
pub fn blocks(spec: &CommandSpec) -> bool {
    spec.has_flag(table::flags::F_BLOCKING) && blocking::family(spec.id).is_some()
}
