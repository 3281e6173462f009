//! Where a Lua script runs (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO), and the
//! script cache (SCRIPT LOAD, EXISTS, FLUSH).
//!
//! Scripts run inside the shards (`shardd/src/script.rs`), next to the
//! data, with no round trip per `redis.call`:
//!
//! - **One shard.** Every key in KEYS on one shard (or no key: shard 0):
//!   one `SHARDD.EVAL` to that shard, which runs the script with nothing
//!   in between, as Redis does. Undeclared keys the script touches are
//!   fine when they live on that shard.
//! - **Several shards.** KEYS spread over shards, or a script that reached
//!   a key on another shard (the shard answers `-SHARDIS.STRAY key`
//!   before it changed anything): the script runs as a transaction over
//!   several shards (`shardd/TRANSACTIONS.md`): every key it needs is
//!   locked on its shard (ascending), copies of the keys of other shards
//!   are made on the executor (the first key's shard), the script runs
//!   there, and the keys it changed go home; commit is two-phase (the
//!   locks go out with the reads of the copies, the writes home with the
//!   prepares, when no key is taken). A
//!   script that reaches yet another key is aborted (undo images put
//!   everything back) and run again with the keys it reached locked too
//!   (the shard goes on probing after the first to name them all), up to
//!   [`ROUNDS_MAX`](xtx::straying::ROUNDS_MAX) times. A script whose
//!   KEYS are on one shard always tries that shard first, even one that
//!   strayed before: the attempt goes out pipelined with the client's
//!   other commands, its probe names every key the transaction needs, and
//!   when the keys it reaches happen to be there it is done. A script
//!   that calls KEYS, SCAN, DBSIZE, RANDOMKEY or FLUSHDB runs in a transaction
//!   holding every shard whole, with every shard's keys of the pattern
//!   listed for it (`xtx::sweep`).
//!
//! A call that strays keeps its client's order: its shard holds the
//! client's later requests until it ran again, and what goes elsewhere
//! waits as [`crate::behind`] says.
//!
//! The cache maps sha to body for EVALSHA; it lives in the proxy (shared
//! by its workers) and is lost when the proxy restarts, as Redis's is
//! (clients fall back to EVAL on NOSCRIPT). A shard restart loses nothing
//! here: the shards compile again from the body the proxy sends.

use smallvec::SmallVec;
use std::{cell::RefCell, rc::Rc};

use common::{
    reply::{format_i64, Proto},
    table::{Cmd, CommandSpec, Exec, Route},
    wire::{
        stray_parts, Strays, EVAL_ACL, EVAL_BY_SHA, EVAL_COMPILE_ONLY, EVAL_FENCE, EVAL_FUNCTION,
        EVAL_MONITOR, EVAL_NO_BODY, EVAL_NO_REPLICAS, EVAL_READ_ONLY, EVAL_SWEPT,
    },
};

pub use crate::script_cache::{Cache, Entry, KnownScripts};
use crate::{
    link::Req,
    replies::{Replies, Target},
    send::Deferred,
    worker::Worker,
    xtx,
};

/// One script call, as the proxy sends it.
pub struct Eval<'a> {
    /// The script (its sha, body, and whether it strays).
    pub script: Entry,
    /// EVAL_RO / EVALSHA_RO.
    pub read_only: bool,
    /// EVALSHA / EVALSHA_RO (for the statistics).
    pub by_sha: bool,
    /// KEYS.
    pub keys: &'a [&'a [u8]],
    /// ARGV.
    pub args: &'a [&'a [u8]],
    /// The caller's user and its rules as text, when restricted: the
    /// shard checks each `redis.call` against them.
    pub caller: Option<(Vec<u8>, String)>,
    /// Writes are refused for want of replicas (`min-replicas-to-write`).
    pub no_replicas: bool,
    /// A client monitors: the shard reports the commands the script runs
    /// (`crate::monitor`).
    pub monitor: bool,
}

impl Eval<'_> {
    /// The `SHARDD.EVAL` flags (`common::wire::EVAL_*`).
    fn flags(&self) -> u8 {
        let flag = |on: bool, f: u8| if on { f } else { 0 };
        flag(self.read_only, EVAL_READ_ONLY)
            | flag(self.by_sha, EVAL_BY_SHA)
            | flag(self.script.function, EVAL_FUNCTION)
            | flag(self.caller.is_some(), EVAL_ACL)
            | flag(self.no_replicas, EVAL_NO_REPLICAS)
            | flag(self.monitor, EVAL_MONITOR)
    }

    /// `SHARDD.EVAL sha body flags shard nshards nlisted listed...
    /// [nswept swept... elsewhere] numkeys key... arg...` for `shard`
    /// (`swept`: the patterns whose keys of every shard `listed` has, and
    /// the other shards' keys not listed, inside a transaction holding
    /// every shard whole; `common::wire::EVAL_SWEPT`).
    fn record(
        &self,
        shard: usize,
        nshards: usize,
        listed: &[Vec<u8>],
        swept: xtx::sweep::Swept<'_>,
    ) -> Vec<Vec<u8>> {
        let n = 10 + listed.len() + swept.patterns.len() + self.keys.len() + self.args.len();
        let mut a = Vec::with_capacity(n);
        a.push(b"SHARDD.EVAL".to_vec());
        a.push(self.script.sha.as_bytes().to_vec());
        a.push(self.script.body.to_vec());
        let sweeping = match swept.is_empty() {
            true => 0,
            false => EVAL_SWEPT,
        };
        a.push(
            (u16::from(self.flags()) | sweeping)
                .to_string()
                .into_bytes(),
        );
        if let Some((name, rules)) = &self.caller {
            a.push(name.clone());
            a.push(rules.clone().into_bytes());
        }
        a.push(shard.to_string().into_bytes());
        a.push(nshards.to_string().into_bytes());
        a.push(listed.len().to_string().into_bytes());
        a.extend(listed.iter().cloned());
        if !swept.is_empty() {
            a.push(swept.patterns.len().to_string().into_bytes());
            a.extend(swept.patterns.iter().cloned());
            a.push(match swept.elsewhere {
                Some(n) => n.to_string().into_bytes(),
                None => b"-".to_vec(),
            });
        }
        a.push(self.keys.len().to_string().into_bytes());
        a.extend(self.keys.iter().map(|k| k.to_vec()));
        a.extend(self.args.iter().map(|k| k.to_vec()));
        a
    }
}

/// Whether `id` is a script call (EVAL and FCALL with their forms).
pub fn is_call(id: Cmd) -> bool {
    matches!(
        id,
        Cmd::Eval | Cmd::Evalsha | Cmd::EvalRo | Cmd::EvalshaRo | Cmd::Fcall | Cmd::FcallRo
    )
}

/// The script call `argv` (command `id`, one of [`is_call`]'s) as it will
/// run, or Redis's error for it (numkeys, an unknown sha).
pub fn parse_call<'a>(
    cache: &Cache,
    id: Cmd,
    argv: &'a [&'a [u8]],
) -> Result<Eval<'a>, &'static str> {
    let function = matches!(id, Cmd::Fcall | Cmd::FcallRo);
    let given = argv.len().saturating_sub(3) as i64;
    // As Redis reads it (`string2ll`: no `+`, no leading zeros).
    let numkeys = argv.get(2).and_then(|n| common::num::parse_i64(n));
    let numkeys = match (numkeys, function) {
        (None, false) => return Err("-ERR value is not an integer or out of range\r\n"),
        (None, true) => return Err("-ERR Bad number of keys provided\r\n"),
        (Some(n), false) if n < 0 => return Err("-ERR Number of keys can't be negative\r\n"),
        (Some(n), _) if n > given => {
            return Err("-ERR Number of keys can't be greater than number of args\r\n")
        }
        (Some(n), _) if n < 0 => return Err("-ERR Number of keys can't be negative\r\n"),
        (Some(n), _) => n as usize,
    };
    let by_sha = matches!(id, Cmd::Evalsha | Cmd::EvalshaRo);
    let script = if function {
        cache.function(argv[1])
    } else if by_sha {
        cache
            .get(argv[1])
            .ok_or("-NOSCRIPT No matching script. Please use EVAL.\r\n")?
    } else {
        cache.add(argv[1])
    };
    Ok(Eval {
        script,
        read_only: matches!(id, Cmd::EvalRo | Cmd::EvalshaRo | Cmd::FcallRo),
        by_sha,
        keys: &argv[3..3 + numkeys],
        args: &argv[3 + numkeys..],
        caller: crate::acl::scoped_caller().map(|u| (u.name.clone(), u.permissions().to_string())),
        no_replicas: false,
        monitor: false,
    })
}

/// A script sent to one shard, kept so that it can run again over several
/// shards if the shard answers that it reached a key elsewhere.
pub struct Rerun {
    w: Rc<Worker>,
    proto: Proto,
    script: Entry,
    read_only: bool,
    by_sha: bool,
    no_replicas: bool,
    /// KEYS then ARGV, back to back, and where each ends (a short call's
    /// inside the `Rerun`'s own allocation).
    blob: SmallVec<[u8; 96]>,
    ends: SmallVec<[u32; 8]>,
    nkeys: usize,
    /// The database it runs in (the task that runs it again is not in
    /// the client's scope).
    db: u32,
    /// Its caller's rules, if restricted (likewise).
    caller: Option<(Vec<u8>, String)>,
    /// An FCALL's note for FUNCTION STATS, dropped with the reply.
    _seen: Option<FcallSeen>,
    /// What its shard's link knows of the scripts the shard compiled
    /// ([`KnownScripts`]), and whether it went without its
    /// body.
    known: Option<Rc<RefCell<KnownScripts>>>,
    elided: bool,
    /// Its client and shard: if it strays, the shard holds the client's
    /// later requests until the proxy's `SHARDD.UNFENCE` (`crate::behind`).
    origin: u64,
    shard: usize,
    /// Counted in its connection's calls in flight until dropped (after
    /// its reply, or its run again and the fence's lifting;
    /// `crate::behind`).
    _in_flight: crate::behind::InFlight,
}

/// The shard's answer to an EVALSHA sent without its body for a script
/// it has not got (flushed since, or a restart): the client's NOSCRIPT.
const NOSCRIPT: &[u8] = b"-NOSCRIPT No matching script. Please use EVAL.\r\n";

/// A shard's reply to a script it could not compile.
const COMPILE_ERROR: &[u8] = b"-ERR Error compiling script";

/// An FCALL on its way (FUNCTION STATS names the running function): noted
/// in the script cache until this is dropped.
pub struct FcallSeen {
    w: Rc<Worker>,
    id: u64,
}

impl FcallSeen {
    /// Notes the FCALL `argv` (keys `keys`).
    pub fn new(w: &Rc<Worker>, argv: &[&[u8]], keys: &[&[u8]]) -> FcallSeen {
        let shard = keys.first().map_or(0, |k| w.shared.shard_of(k));
        FcallSeen {
            w: w.clone(),
            id: w.shared.scripts.fcall_sent(shard, argv),
        }
    }
}

impl Drop for FcallSeen {
    fn drop(&mut self) {
        self.w.shared.scripts.fcall_done(self.id);
    }
}

impl crate::replies::Rerun for Rerun {
    /// If `reply` says the script strayed: runs it over several shards in
    /// a task of its own, which fills slot `seq` of `conn`; true then.
    fn take_over(self: Rc<Self>, conn: &Rc<RefCell<Replies>>, seq: u64, reply: &[u8]) -> bool {
        if let Some(known) = &self.known {
            // What the shard now has compiled, or not.
            let mut known = known.borrow_mut();
            if self.elided && reply == NOSCRIPT {
                known.forget(&self.script.sha);
            } else if !self.elided && !reply.starts_with(COMPILE_ERROR) {
                known.learn(&self.script.sha);
            }
        }
        let Some(extra) = stray_parts(reply) else {
            return false;
        };
        let me = self;
        // What its client sends from now on waits for its run again
        // unless it goes to its shard (`crate::behind`).
        me.w.shared.scripts.strayed(&me.script);
        let in_flight = conn.borrow().behind.sent(me.shard, true);
        let conn = conn.clone();
        tokio::task::spawn_local(async move {
            let mut parts: Vec<&[u8]> = Vec::with_capacity(me.ends.len());
            let mut start = 0usize;
            for &end in &me.ends {
                parts.push(&me.blob[start..end as usize]);
                start = end as usize;
            }
            let (keys, args) = parts.split_at(me.nkeys.min(parts.len()));
            let e = Eval {
                script: me.script.clone(),
                read_only: me.read_only,
                by_sha: me.by_sha,
                keys,
                args,
                caller: me.caller.clone(),
                no_replicas: me.no_replicas,
                monitor: me.w.shared.monitors.any(),
            };
            let out = crate::link::in_db_scope(me.db, run_spread(&me.w, me.proto, &e, extra)).await;
            conn.borrow_mut().complete(seq, None, &out);
            // The client's requests its shard held behind it run now, in
            // order (queued behind this in the ring: sent, not waited for).
            let origin = me.origin.to_string();
            let args: [&[u8]; 2] = [b"SHARDD.UNFENCE", origin.as_bytes()];
            let req = Req::internal(Cmd::SharddUnfence, me.proto);
            crate::send::send(&me.w, req, me.shard, &args, Target::Ignore).await;
            me.w.request_flush();
            drop(in_flight);
        });
        true
    }
}

/// Who a script call comes from: its reply's protocol, the client's id
/// and the database it runs in.
#[derive(Clone, Copy)]
pub struct Caller {
    /// The protocol of its reply.
    pub proto: Proto,
    /// The client's id (`CLIENT ID`).
    pub origin: u64,
    /// Its database.
    pub db: u32,
    /// Its declared keys are remembered for client-side caching if the
    /// script reads (`crate::caching`).
    pub track: bool,
}

/// The one shard script call `e` can be sent to whole (every KEY there,
/// or no key: shard 0), unless its keys are spread or its script is known
/// to reach keys elsewhere.
fn one_shard(w: &Worker, e: &Eval<'_>) -> Option<usize> {
    let mut shards = e.keys.iter().map(|k| w.shared.shard_of(k));
    let one = shards.next().unwrap_or(0);
    (!shards.any(|s| s != one)).then_some(one)
}

/// Sends script call `e` from `from` to its one shard without waiting,
/// its reply filling the next slot of `out` (a pipeline of scripts goes
/// out at once); `false` if it must run over several shards (then nothing
/// was sent).
pub async fn send_one_shard(
    w: &Rc<Worker>,
    from: Caller,
    e: &Eval<'_>,
    out: &Rc<RefCell<Replies>>,
    discard: bool,
    seen: &mut Option<FcallSeen>,
) -> bool {
    let Some(one) = one_shard(w, e) else {
        return false;
    };
    if let Some(p) = send_to(w, from, e, one, (out, discard), seen) {
        p.send(w).await;
    }
    true
}

/// The shortcut past the dispatcher for EVAL, EVALSHA and their `_RO`
/// forms from a connection in the plain state
/// ([`crate::session::Session::is_plain`], while nobody MONITORs) with
/// every KEY on one shard, while no shard runs a script past
/// `busy-reply-threshold` and no slot moves:
/// sent as [`send_one_shard`] sends it, with no trip through the
/// builtins' futures, and timed for the slow log as `dispatch` times a
/// builtin (the shard counts the call). FCALL goes the general way
/// (FUNCTION STATS notes it), and so does any call the proxy answers
/// itself (NOSCRIPT, a bad numkeys). [`Took::No`]: nothing was done.
pub fn take_plain<'w>(
    w: &'w Rc<Worker>,
    session: &crate::session::Session,
    out: &Rc<RefCell<Replies>>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> Took<'w> {
    if !matches!(
        spec.id,
        Cmd::Eval | Cmd::Evalsha | Cmd::EvalRo | Cmd::EvalshaRo
    ) || !session.is_plain()
        || w.shared.monitors.any()
        || busy_for(w, spec, argv, false).is_some()
    {
        return Took::No;
    }
    let Ok(mut e) = parse_call(&w.shared.scripts, spec.id, argv) else {
        return Took::No;
    };
    let Some(one) = one_shard(w, &e) else {
        return Took::No;
    };
    if !out.borrow().behind.passes_to(one) {
        // It waits behind calls on other shards (`crate::behind`).
        return Took::No;
    }
    let Some(busy) = w.try_enter() else {
        return Took::No;
    };
    let started = std::time::Instant::now();
    e.no_replicas = w.shared.settings.writes_need_replicas();
    w.shared
        .stats
        .commands
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    session.handle.set_command(spec.id);
    let from = Caller {
        proto: session.proto,
        origin: session.handle.id,
        db: session.db,
        track: false,
    };
    let pending = send_to(w, from, &e, one, (out, false), &mut None);
    let ns = started.elapsed().as_nanos() as u64;
    w.after_command(&session.handle, spec, argv, ns);
    match pending {
        None => Took::Sent,
        Some(p) => Took::Waits(p, busy),
    }
}

/// What [`take_plain`] did with a script call.
pub enum Took<'w> {
    /// Nothing: the general path runs it.
    No,
    /// Sent to its shard.
    Sent,
    /// Its reply slot taken, but its shard's ring is full or the shard
    /// down: sent by [`Deferred::send`], the command counted as in
    /// progress (`busy`) until then.
    Waits(Box<Deferred>, crate::worker::Busy<'w>),
}

/// Puts script call `e` from `from` in shard `one`'s ring, its reply
/// filling the next slot of `out` (dropped with `discard`); what must wait
/// for ring space or the shard, if anything.
fn send_to(
    w: &Rc<Worker>,
    from: Caller,
    e: &Eval<'_>,
    one: usize,
    (out, discard): (&Rc<RefCell<Replies>>, bool),
    seen: &mut Option<FcallSeen>,
) -> Option<Box<Deferred>> {
    let n = w.shared.shard_count();
    let mut blob = SmallVec::with_capacity(e.keys.iter().chain(e.args).map(|a| a.len()).sum());
    let mut ends = SmallVec::new();
    for a in e.keys.iter().chain(e.args) {
        blob.extend_from_slice(a);
        ends.push(blob.len() as u32);
    }
    // An EVALSHA of a script the shard has compiled goes without its body.
    let known = match e.by_sha && !e.script.function {
        true => w.links.borrow().get(one).map(|l| l.scripts.clone()),
        false => None,
    };
    let elided = known
        .as_ref()
        .is_some_and(|k| k.borrow().knows(&e.script.sha));
    let rerun = Rc::new(Rerun {
        w: w.clone(),
        proto: from.proto,
        script: e.script.clone(),
        read_only: e.read_only,
        by_sha: e.by_sha,
        no_replicas: e.no_replicas,
        blob,
        ends,
        nkeys: e.keys.len(),
        db: from.db,
        caller: e.caller.clone(),
        _seen: seen.take(),
        known,
        elided,
        origin: from.origin,
        shard: one,
        _in_flight: out.borrow().behind.sent(one, e.script.strays()),
    });
    let seq = out.borrow_mut().push_pending(discard);
    let req = Req {
        origin: from.origin,
        db: from.db,
        flags: if from.track {
            common::wire::REQ_FLAG_TRACK
        } else {
            0
        },
        ..Req::internal(Cmd::SharddEval, from.proto)
    };
    let target = Target::Script {
        conn: out.clone(),
        seq,
        rerun,
    };
    // The record, borrowing the call's arguments (its numbers formatted
    // on the stack).
    let mut tmp = [[0u8; 20]; 4];
    let [t_shard, t_n, t_nkeys, t_flags] = &mut tmp;
    let (shard_s, n_s, nkeys_s) = (dec(one, t_shard), dec(n, t_n), dec(e.keys.len(), t_nkeys));
    let flags = e.flags() | if elided { EVAL_NO_BODY } else { 0 };
    // Pipelined with the client's next commands: if it strays, they wait.
    let flags = dec(usize::from(u16::from(flags) | EVAL_FENCE), t_flags);
    // Pushed one by one: SmallVec's extend_from_slice costs a reserve and
    // a move per call.
    let mut args: SmallVec<[&[u8]; 16]> = SmallVec::new();
    args.push(b"SHARDD.EVAL");
    args.push(e.script.sha.as_bytes());
    args.push(if elided { &[] } else { &e.script.body });
    args.push(flags);
    if let Some((name, rules)) = &e.caller {
        args.push(name);
        args.push(rules.as_bytes());
    }
    for a in [shard_s, n_s, b"0", nkeys_s] {
        args.push(a);
    }
    for a in e.keys.iter().chain(e.args) {
        args.push(a);
    }
    crate::send::put(w, req, one, &args, target)
}

/// `n` in decimal, written into `t` (a single digit needs no writing).
fn dec(n: usize, t: &mut [u8; 20]) -> &[u8] {
    const DIGITS: &[u8; 10] = b"0123456789";
    if n < 10 {
        return &DIGITS[n..n + 1];
    }
    if n < 1000 {
        // The flags (EVAL_FENCE and the rest): three digits, no loop.
        t[0] = b'0' + (n / 100) as u8;
        t[1] = b'0' + (n / 10 % 10) as u8;
        t[2] = b'0' + (n % 10) as u8;
        return &t[usize::from(n < 100)..3];
    }
    format_i64(i64::try_from(n).unwrap_or(i64::MAX), t)
}

/// Runs script call `e` for a client speaking `proto` (`origin`: its
/// id); the reply.
pub async fn run(w: &Rc<Worker>, proto: Proto, origin: u64, e: &Eval<'_>) -> Vec<u8> {
    let n = w.shared.shard_count();
    let shards: Vec<usize> = e.keys.iter().map(|k| w.shared.shard_of(k)).collect();
    let one = shards.first().copied().unwrap_or(0);
    let spread = shards.iter().any(|&s| s != one);
    let mut extra = Strays::default();
    if !spread {
        let mut req = Req::internal(Cmd::SharddEval, proto);
        req.origin = origin;
        let reply = xtx::ask_each(w, req, &[(one, e.record(one, n, &[], Default::default()))])
            .await
            .into_iter()
            .next()
            .unwrap_or_default();
        let Some(found) = stray_parts(&reply) else {
            return reply;
        };
        extra = found;
    }
    run_spread(w, proto, e, extra).await
}

/// Script call `e` (with the keys `extra` it is known to reach besides
/// its KEYS) as part of transaction `t` of a MULTI, its keys locked by
/// `t`: run on the first key's shard with copies of the others (as
/// [`run_spread`] does); the reply, `-SHARDIS.STRAY key` if it reached a
/// key `t` did not lock. With `sweeps` (`t` holds every shard whole),
/// every shard's keys of those patterns are listed too, as they are at
/// the script's turn, and with `count` the other shards' keys are
/// counted for its DBSIZE (`xtx::sweep`).
pub async fn run_in_tx(
    w: &Rc<Worker>,
    t: u64,
    proto: Proto,
    e: &Eval<'_>,
    extra: &[Vec<u8>],
    (sweeps, count): (&[Vec<u8>], bool),
) -> Vec<u8> {
    let n = w.shared.shard_count();
    let mut extra = std::borrow::Cow::Borrowed(extra);
    if !sweeps.is_empty() {
        match xtx::sweep::gather(w, t, sweeps, extra.len()).await {
            Ok(found) => extra.to_mut().extend(found),
            Err(e) => return e,
        }
    }
    let (listed, keys) = plan(w, e, &extra);
    let exec = keys.first().map_or(0, |(_, _, s)| *s);
    let elsewhere = match count {
        true => match xtx::sweep::elsewhere(w, t, &keys, exec).await {
            Ok(n) => Some(n),
            Err(e) => return e,
        },
        false => None,
    };
    let swept = xtx::sweep::Swept {
        patterns: sweeps,
        elsewhere,
    };
    // In a transaction the request's origin carries `t` (`Req::in_tx`).
    let req = Req::internal(Cmd::SharddEval, proto).in_tx(t);
    let record = e.record(exec, n, &listed, swept);
    xtx::run_with_copies(w, t, req, record, &keys, exec).await
}

/// The keys a script run over several shards lists (KEYS, then `extra`,
/// once each) and, for each, whether it may write it and its shard.
type Plan = (Vec<Vec<u8>>, Vec<(Vec<u8>, bool, usize)>);

fn plan(w: &Worker, e: &Eval<'_>, extra: &[Vec<u8>]) -> Plan {
    let mut listed: Vec<Vec<u8>> = Vec::new();
    // A swept pattern may list thousands: each checked once by hash.
    let mut seen: std::collections::HashSet<&[u8]> = std::collections::HashSet::new();
    for k in e
        .keys
        .iter()
        .copied()
        .chain(extra.iter().map(Vec::as_slice))
    {
        if seen.insert(k) {
            listed.push(k.to_vec());
        }
    }
    let keys = listed
        .iter()
        .map(|k| (k.clone(), !e.read_only, w.shared.shard_of(k)))
        .collect();
    (listed, keys)
}

/// Runs `e` as a transaction over the shards of its keys and `extra`'s,
/// and every shard's keys of `extra`'s patterns (module docs).
async fn run_spread(w: &Rc<Worker>, proto: Proto, e: &Eval<'_>, extra: Strays) -> Vec<u8> {
    let n = w.shared.shard_count();
    let keys = |extra: &[Vec<u8>]| plan(w, e, extra).1;
    // The keys it lists are those it locked: KEYS, then the extra ones.
    let request =
        |t: u64, exec: usize, keys: &xtx::straying::Keys, swept: xtx::sweep::Swept<'_>| {
            (
                Req::internal(Cmd::SharddEval, proto).in_tx(t),
                e.record(exec, n, &xtx::straying::names(keys), swept),
            )
        };
    let s = xtx::straying::Straying {
        what: "script",
        keys: &keys,
        request: &request,
    };
    xtx::straying::run_straying(w, &s, extra).await
}

/// The reply to a command that would wait behind a busy script.
pub const BUSY: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n";
/// The reply to a command that would wait behind a busy function.
pub const BUSY_FUNCTION: &[u8] =
    b"-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n";

fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Whether command `spec` would wait behind a script that has run longer
/// than `busy-reply-threshold`: on its key's shard, or on any shard for a
/// command that is not about one key or is queued in a transaction (which
/// may run anywhere); a runaway script on one shard leaves the others'
/// keys served. The reply to give (it names FUNCTION KILL for a
/// function), or `None`.
pub fn busy_for(
    w: &Worker,
    spec: &CommandSpec,
    argv: &[&[u8]],
    in_multi: bool,
) -> Option<&'static [u8]> {
    let threshold = w.shared.settings.busy_reply_threshold_ms();
    if threshold == 0 {
        return None;
    }
    // Almost always no shard runs a script: two loads per link, and no
    // clock read or key routing for the command.
    if !w
        .links
        .borrow()
        .iter()
        .any(|l| l.running_script().is_some())
    {
        return None;
    }
    let shard = match (spec.exec, spec.route) {
        (Exec::Shard, Route::Single) if !in_multi => Some(crate::send::first_shard(w, spec, argv)),
        _ => None,
    };
    let now = now_unix_ms();
    let links = w.links.borrow();
    links
        .iter()
        .filter(|l| shard.is_none_or(|s| s == l.shard))
        .filter_map(|l| l.running_script())
        .find(|r| now.saturating_sub(r.stamp >> 10) >= threshold)
        .map(|r| if r.function { BUSY_FUNCTION } else { BUSY })
}

/// `SCRIPT KILL` (`functions` false) or `FUNCTION KILL`: stops the
/// scripts or functions running now if none of them wrote (Redis's
/// replies: NOTBUSY, UNKILLABLE, BUSY for the other kind, OK once they
/// stopped).
pub async fn kill(w: &Rc<Worker>, functions: bool) -> Vec<u8> {
    let running: Vec<(usize, u64, bool, bool)> = w
        .links
        .borrow()
        .iter()
        .filter_map(|l| {
            l.running_script()
                .map(|r| (l.shard, r.stamp, r.wrote, r.function))
        })
        .collect();
    if running.is_empty() {
        return b"-NOTBUSY No scripts in execution right now.\r\n".to_vec();
    }
    if running.iter().any(|(_, _, _, f)| *f != functions) {
        // Redis refuses to kill the other kind, with its BUSY reply.
        return if functions { BUSY } else { BUSY_FUNCTION }.to_vec();
    }
    if running.iter().any(|(_, _, wrote, _)| *wrote) {
        return b"-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.\r\n".to_vec();
    }
    for (shard, stamp, _, _) in &running {
        w.links.borrow()[*shard].kill_script(*stamp);
    }
    // The shard looks every few thousand instructions: wait for it
    // (bounded), so OK means the script stopped.
    for _ in 0..KILL_WAIT_STEPS {
        let still = running.iter().any(|(shard, stamp, _, _)| {
            w.links.borrow()[*shard]
                .running_script()
                .is_some_and(|r| r.stamp == *stamp)
        });
        if !still {
            return b"+OK\r\n".to_vec();
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    b"-ERR the script did not stop yet (it is inside a command); try again\r\n".to_vec()
}

/// Steps of 1 ms SCRIPT KILL waits for the script to stop.
const KILL_WAIT_STEPS: usize = 5_000;

/// Asks every shard to forget its compiled scripts.
pub async fn flush_shards(w: &Rc<Worker>) {
    let asks: Vec<(usize, Vec<Vec<u8>>)> = (0..w.shared.shard_count())
        .map(|s| (s, vec![b"SHARDD.SCRIPTFLUSH".to_vec()]))
        .collect();
    xtx::ask_all(w, Cmd::SharddScriptflush, &asks).await;
}

/// Asks shard 0 to compile `body` (SCRIPT LOAD reports compile errors):
/// `None` if it compiles, else the error reply.
pub async fn compile_error(w: &Rc<Worker>, script: Entry) -> Option<Vec<u8>> {
    let check = Eval {
        script,
        read_only: true,
        by_sha: false,
        keys: &[],
        args: &[],
        caller: None,
        no_replicas: false,
        monitor: false,
    };
    let mut args = check.record(0, w.shared.shard_count(), &[], Default::default());
    args[3] = EVAL_COMPILE_ONLY.to_string().into_bytes();
    let reply = xtx::ask_all(w, Cmd::SharddEval, &[(0, args)])
        .await
        .into_iter()
        .next()
        .unwrap_or_default();
    (!reply.starts_with(b"+OK")).then_some(reply)
}

/// Gives each of `targets` shard 0's libraries whole (`RESTORE ...
/// FLUSH`): a shard that missed a change, or one a scale-out added.
pub async fn copy_libraries(w: &Rc<Worker>, targets: &[usize]) -> bool {
    let req = Req::internal(Cmd::SharddFunction, common::reply::Proto::Resp2);
    let dump_args = vec![b"SHARDD.FUNCTION".to_vec(), b"DUMP".to_vec()];
    let dump = xtx::ask_each(w, req, &[(0, dump_args)]).await;
    let Some(payload) = dump.first().and_then(|d| common::resp_value::bulk_body(d)) else {
        return false;
    };
    let restore: Vec<(usize, Vec<Vec<u8>>)> = targets
        .iter()
        .map(|&s| {
            (
                s,
                vec![
                    b"SHARDD.FUNCTION".to_vec(),
                    b"RESTORE".to_vec(),
                    payload.to_vec(),
                    b"FLUSH".to_vec(),
                ],
            )
        })
        .collect();
    let done = xtx::ask_all(w, Cmd::SharddFunction, &restore).await;
    done.iter().all(|r| r.starts_with(b"+OK"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_in_records_are_decimal_with_or_without_the_digit_table() {
        let mut t = [0u8; 20];
        for n in [
            0usize,
            1,
            9,
            10,
            11,
            99,
            100,
            512,
            640,
            999,
            1000,
            16383,
            usize::MAX,
        ] {
            let want = i64::try_from(n).unwrap_or(i64::MAX).to_string();
            assert_eq!(super::dec(n, &mut t), want.as_bytes(), "{n}");
        }
    }
}
