//! Transactions over several shards, on one shard's side: key locks, the
//! requests that wait for them, undo images, and the two-phase commit's
//! steps (`shardd/TRANSACTIONS.md` is the protocol and its invariants).
//!
//! - `SHARDD.TXLOCK T watcher flags key...` takes the keys (all of them at
//!   once, or the whole keyspace with [`LOCK_ALL`]) for transaction `T`,
//!   after checking the client's WATCH; it waits, like any request, while
//!   another holds one, or with [`LOCK_NOWAIT`] answers `TXBUSY` at once.
//! - Requests flagged `REQ_FLAG_TX` (their origin is `T`) are `T`'s
//!   commands: they run under its locks, an undo image of each key is kept
//!   before its first write, and their effects are logged only when `T`
//!   prepares or commits (`persist::txlog`).
//! - `SHARDD.TXPREPARE T decider`, `SHARDD.TXCOMMIT T remember`,
//!   `SHARDD.TXABORT T` (with `KEEP`: put back, keep the locks),
//!   `SHARDD.TXDECIDE T`, `SHARDD.TXRESOLVE T
//!   commit|abort`, `SHARDD.TXFORGET T` and `SHARDD.TXINDOUBT` are the
//!   protocol's steps.
//!
//! Any other request whose keys are locked (or, for a command over the
//! whole keyspace, while any key is locked) waits in arrival order, copied
//! aside, and the shard goes on with the requests behind it; a waiting
//! request holds back the later requests of the same client and those over
//! the same keys, so a client's commands keep their order and a lock
//! request is never overtaken forever. Replies of waiting requests leave
//! out of order; the proxy matches them by id. When nothing is locked the
//! cost per request is one check of three lengths.

use std::collections::VecDeque;

use ahash::{AHashMap as HashMap, AHashSet as HashSet};

use common::{
    num::parse_i64,
    reply::Reply,
    table::{flags::F_WRITE, keyspec::keys_and_flags, Cmd},
    wire::tx_commands,
};
use shared_ring::{msg::Request, Channel};
use smallvec::SmallVec;

use crate::{
    commands::Changes,
    ops::{self, Op},
    persist::{
        rewrite,
        txlog::{self, Recovered, Undo},
        WriteLog,
    },
    server::Engine,
    tx::TxCmd,
};

/// What a request needs free before it may run.
#[derive(Debug, Default)]
pub struct Claim {
    keys: Vec<Vec<u8>>,
    /// The whole keyspace (FLUSHALL, KEYS, DBSIZE, ... or a transaction
    /// holding one of them).
    all: bool,
}

impl Claim {
    fn add_command(&mut self, id: Cmd, argv: &[&[u8]]) {
        match keys_and_flags(id.spec(), argv) {
            Ok(keys) => self
                .keys
                .extend(keys.iter().map(|&(p, _)| argv[p].to_vec())),
            // No keys: a command over the whole keyspace.
            Err(_) if id.spec().key_specs.is_empty() => self.all = true,
            // Bad key arguments: the command fails before touching anything.
            Err(_) => {}
        }
    }
}

/// What request `kind` with `args` claims, if it is one that waits for
/// locks (keyspace commands, transactions on this shard, lock requests).
fn claim_of(kind: u16, args: &[&[u8]]) -> Option<Claim> {
    let op = ops::lookup(kind)?;
    let id = Cmd::from_u16(kind)?;
    let mut c = Claim::default();
    match op {
        Op::Data(_) => c.add_command(id, args),
        Op::Tx(TxCmd::Tx) => {
            for cmd in tx_commands(args.get(2..).unwrap_or(&[])) {
                let (id, argv) = cmd?;
                c.add_command(id, argv);
            }
        }
        // A script waits for the keys it names (KEYS, and those the proxy
        // listed); one it reaches that a transaction holds makes it stop,
        // put back what it wrote and wait again, claiming that key too
        // (`Engine::park_script`).
        Op::Script(crate::script::ScriptCmd::Eval) => {
            c.keys = crate::script::named_keys(args)?;
        }
        Op::Script(_) => c.all = true,
        Op::Tx(TxCmd::Lock) => {
            let flags = lock_flags(args);
            if flags & LOCK_NOWAIT != 0 {
                // Refused at once if it would wait (see `serve_xtx`).
                return None;
            }
            c.all = flags & LOCK_ALL != 0;
            c.keys = args
                .get(4..)
                .unwrap_or(&[])
                .iter()
                .map(|k| k.to_vec())
                .collect();
        }
        _ => return None,
    }
    Some(c)
}

/// `SHARDD.TXLOCK` flag: lock the whole keyspace.
pub const LOCK_ALL: u8 = 1;
/// `SHARDD.TXLOCK` flag: refuse with `TXBUSY` instead of waiting.
pub const LOCK_NOWAIT: u8 = 2;
/// `SHARDD.TXLOCK` flag: more keys for a transaction that holds locks
/// here already (only with [`LOCK_NOWAIT`]: taken after others, they
/// must never wait, or two transactions could wait for each other).
pub const LOCK_MORE: u8 = 4;

/// The flags argument of a `SHARDD.TXLOCK T watcher flags key...`.
fn lock_flags(args: &[&[u8]]) -> u8 {
    args.get(3)
        .and_then(|f| std::str::from_utf8(f).ok())
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

struct Parked {
    /// The channel it came from (its peer's generation).
    owner: u64,
    origin: u64,
    claim: Claim,
    rec: Vec<u8>,
}

/// One transaction's state on this shard.
#[derive(Debug)]
struct Txn {
    /// The channel of its coordinator; 0 once that is gone (or after a
    /// restart).
    owner: u64,
    keys: Vec<Vec<u8>>,
    all: bool,
    undo: Undo,
    /// Effects not logged yet.
    forms: Vec<Vec<Vec<u8>>>,
    /// Some effects are in the log or in a snapshot already.
    forms_logged: bool,
    /// Set once prepared: the shard that decides.
    decider: Option<u64>,
    changes: u64,
    /// The database of its lock request (its first command's): its log
    /// records go there, whoever asks.
    db: usize,
    /// The database its effects so far leave a replay in.
    forms_db: usize,
}

impl Txn {
    /// Ends the effects back in the transaction's database (their record
    /// is appended there, and the log's writer stays there).
    fn seal_forms(&mut self) {
        if self.forms_db != self.db {
            self.forms.push(crate::tx::select_form(self.db));
            self.forms_db = self.db;
        }
    }
}

/// The shard's transactions over several shards.
#[derive(Default)]
pub struct XTx {
    locks: HashMap<Vec<u8>, u64>,
    all: Option<u64>,
    txns: HashMap<u64, Txn>,
    parked: VecDeque<Parked>,
    /// Commit decisions kept for participants that may still ask.
    decided: HashSet<u64>,
    /// Locks were released (or a reply ring was full): try the waiting
    /// requests again.
    retry: bool,
    /// The data directory's generation the live state was logged for.
    gen: u64,
    /// Clients whose requests wait behind their script call that strayed
    /// ([`fence`]).
    pub(crate) fences: fence::Fences,
}

impl XTx {
    /// Whether requests must be checked against locks (the hot path's
    /// only cost).
    #[inline]
    pub fn active(&self) -> bool {
        !self.locks.is_empty()
            || self.all.is_some()
            || !self.parked.is_empty()
            || !self.fences.is_empty()
    }

    /// Whether waiting requests should be tried again.
    pub fn wants_retry(&self) -> bool {
        self.retry
    }

    /// Requests waiting for locks.
    pub fn parked(&self) -> usize {
        self.parked.len()
    }

    /// `(transactions holding locks here, keys locked, requests
    /// waiting)` for INFO (those held behind a fence among them).
    pub fn gauges(&self) -> (usize, usize, usize) {
        (
            self.txns.len(),
            self.locks.len(),
            self.parked.len() + self.fences.held(),
        )
    }

    /// Whether a transaction holds `key` (or the whole keyspace).
    pub(crate) fn holds(&self, key: &[u8]) -> bool {
        self.all.is_some() || self.locks.contains_key(key)
    }

    fn blocks(&self, c: &Claim, origin: u64) -> bool {
        if self.all.is_some() || (c.all && !self.locks.is_empty()) {
            return true;
        }
        if c.keys.iter().any(|k| self.locks.contains_key(k)) {
            return true;
        }
        self.parked.iter().any(|p| {
            (origin != 0 && p.origin == origin)
                || p.claim.all
                || c.all
                || p.claim.keys.iter().any(|k| c.keys.contains(k))
        })
    }

    fn lock(&mut self, t: u64, txn: Txn) {
        for k in &txn.keys {
            self.locks.insert(k.clone(), t);
        }
        if txn.all {
            self.all = Some(t);
        }
        self.txns.insert(t, txn);
    }

    fn release(&mut self, t: u64, txn: &Txn) {
        for k in &txn.keys {
            if self.locks.get(k) == Some(&t) {
                self.locks.remove(k);
            }
        }
        if self.all == Some(t) {
            self.all = None;
        }
        if !self.parked.is_empty() {
            self.retry = true;
        }
    }

    /// Loading's findings: in-doubt transactions keep their keys locked.
    pub fn recover(&mut self, r: Recovered, gen: u64) {
        self.gen = gen;
        self.decided = r.decided;
        for d in r.in_doubt {
            let txn = Txn {
                owner: 0,
                keys: d.undo.keys().map(<[u8]>::to_vec).collect(),
                // A tagged undo's keys name their databases: the
                // transaction holds the whole shard until it is resolved.
                all: d.undo.all || d.undo.tagged,
                db: d.undo.db,
                forms_db: d.undo.db,
                undo: d.undo,
                forms: Vec::new(),
                forms_logged: true,
                decider: Some(d.decider),
                changes: 0,
            };
            self.lock(d.t, txn);
        }
    }
}

/// A database number argument (MOVE, COPY ... DB).
fn db_number(a: &[u8]) -> Option<usize> {
    parse_i64(a).and_then(|n| usize::try_from(n).ok())
}

/// The database `COPY src dst ... DB n ...` writes to, if it names one.
fn copy_target_db(args: &[&[u8]]) -> Option<usize> {
    let at = args
        .iter()
        .skip(3)
        .position(|a| a.eq_ignore_ascii_case(b"db"))?;
    args.get(at + 4).and_then(|a| db_number(a))
}

fn id_of(a: Option<&&[u8]>) -> Option<u64> {
    a.and_then(|a| parse_i64(a))
        .and_then(|t| u64::try_from(t).ok())
}

const ABORTED: &str = "ERR the transaction was aborted on this shard";

impl<L: WriteLog> Engine<L> {
    /// Whether request record `rec` would wait for a transaction's locks
    /// (a blocked client's request, run again, must not).
    pub(crate) fn held_by_tx(&self, rec: &[u8]) -> bool {
        if !self.xtx.active() {
            return false;
        }
        let mut args: SmallVec<[&[u8]; 16]> = SmallVec::new();
        let Ok(req) = Request::parse_with(rec, |a| args.push(a)) else {
            return false;
        };
        claim_of(req.header.kind, &args).is_some_and(|c| self.xtx.blocks(&c, req.header.origin))
    }

    /// Parks request `rec` (of kind `kind`, args `args`) if what it needs
    /// is locked; true if it was parked.
    pub(crate) fn park_if_locked(
        &mut self,
        kind: u16,
        args: &[&[u8]],
        origin: u64,
        owner: u64,
        rec: &[u8],
    ) -> bool {
        let Some(claim) = claim_of(kind, args) else {
            return false;
        };
        if !self.xtx.blocks(&claim, origin) {
            return false;
        }
        self.xtx.parked.push_back(Parked {
            owner,
            origin,
            claim,
            rec: rec.to_vec(),
        });
        true
    }

    /// Parks request `rec` (a script that reached `key`, held by a
    /// transaction, and put back what it wrote): it runs again once its
    /// keys and `key` are free.
    pub(crate) fn park_script(
        &mut self,
        args: &[&[u8]],
        key: &[u8],
        origin: u64,
        owner: u64,
        rec: &[u8],
    ) {
        let mut keys = crate::script::named_keys(args).unwrap_or_default();
        keys.push(key.to_vec());
        let claim = Claim { keys, all: false };
        self.xtx.parked.push_back(Parked {
            owner,
            origin,
            claim,
            rec: rec.to_vec(),
        });
    }

    /// Serves the waiting requests that may run now, in order, each on
    /// the channel it came from (a request whose channel went away is
    /// dropped; one whose reply ring is full waits for the next round).
    pub fn retry_parked(&mut self, channels: &mut [Channel]) {
        self.xtx.retry = false;
        self.serve_lifted(channels);
        let queue = std::mem::take(&mut self.xtx.parked);
        for p in queue {
            let Some(ch) = channels.iter_mut().find(|c| c.peer.generation == p.owner) else {
                continue;
            };
            if ch.tx.has_pending() {
                self.xtx.parked.push_back(p);
                self.xtx.retry = true;
                continue;
            }
            if let Err(e) = self.serve_request(&p.rec, &mut ch.tx, p.owner) {
                // The channel is broken: the round drops it.
                tracing::warn!("a waiting request could not be answered: {e}");
            }
        }
    }

    /// The channel `owner` went away: its waiting requests are dropped,
    /// its transactions that did not prepare are aborted, and the prepared
    /// ones stay in doubt until a proxy resolves them.
    pub fn owner_gone(&mut self, owner: u64) {
        self.blocking.owner_gone(owner);
        self.subs.owner_gone(owner);
        if self.notes.waiter.is_some_and(|(o, _, _)| o == owner) {
            self.notes.waiter = None;
        }
        self.xtx.parked.retain(|p| p.owner != owner);
        self.xtx.fences.owner_gone(owner);
        // What waited behind the dropped requests may run now.
        self.xtx.retry |= !self.xtx.parked.is_empty();
        let mine: Vec<u64> = self
            .xtx
            .txns
            .iter()
            .filter(|(_, x)| x.owner == owner)
            .map(|(&t, _)| t)
            .collect();
        for t in mine {
            let prepared = self.xtx.txns.get(&t).is_some_and(|x| x.decider.is_some());
            if prepared {
                if let Some(x) = self.xtx.txns.get_mut(&t) {
                    x.owner = 0;
                }
            } else {
                self.abort_txn(t);
            }
        }
    }

    /// Takes what loading found out about transactions.
    pub(crate) fn recover_txns(&mut self) {
        let gen = self.log.data_dir().map_or(0, |d| d.generation());
        let r = self.log.data_dir().and_then(|d| d.take_recovered());
        if let Some(r) = r {
            for d in &r.in_doubt {
                tracing::warn!(
                    t = d.t,
                    decider = d.decider,
                    "a prepared transaction is in doubt; its keys stay locked until a proxy resolves it"
                );
            }
            self.xtx.recover(r, gen);
        } else {
            self.xtx.gen = gen;
        }
    }

    /// After anything that may have started a new generation (a snapshot
    /// cut): the new log starts with what recovery needs of the live
    /// transactions, whose effects so far are in the snapshot, and with
    /// the blocked clients' pops still remembered (`SHARDD.POPPED`).
    pub(crate) fn after_cut(&mut self) {
        let Some(gen) = self.log.data_dir().map(|d| d.generation()) else {
            return;
        };
        if gen == self.xtx.gen {
            return;
        }
        self.xtx.gen = gen;
        let now = self.ks.now_ms();
        let mut records = Vec::new();
        let mut ids: Vec<u64> = self.xtx.txns.keys().copied().collect();
        ids.sort_unstable();
        for t in ids {
            let Some(x) = self.xtx.txns.get_mut(&t) else {
                continue;
            };
            if x.undo.is_empty() && !x.forms_logged && x.decider.is_none() {
                continue;
            }
            x.forms.clear();
            x.forms_db = x.db;
            x.forms_logged = true;
            // In its database: loading takes its undo's from there.
            records.push((x.db, txlog::undo_record(t, &x.undo)));
            if let Some(d) = x.decider {
                records.push((x.db, txlog::prepared_record(t, d)));
            }
        }
        let home = self.ks.selected();
        if !self.xtx.decided.is_empty() {
            records.push((home, txlog::decided_record(&self.xtx.decided)));
        }
        // The pops remembered for requests the proxy may send again: the
        // new generation's log carries them on (the snapshot does not).
        for (token, reply) in self.ks.popped_entries() {
            records.push((
                home,
                vec![
                    txlog::POPPED.to_vec(),
                    token.to_string().into_bytes(),
                    reply.to_vec(),
                ],
            ));
        }
        for (db, r) in records {
            let args: Vec<&[u8]> = r.iter().map(Vec::as_slice).collect();
            self.log.append(db, &args, b"+OK\r\n", now, Changes::ONE);
        }
    }

    /// Logs the record `build` makes, of `changes` changes; when the log
    /// keeps nothing ([`WriteLog::keeps_log`]) the record is not built and
    /// its changes are counted only.
    fn log_record(&mut self, changes: u64, build: impl FnOnce() -> Vec<Vec<u8>>) {
        if !self.log.keeps_log() {
            self.log.count_unlogged(Changes(changes.max(1)));
            return;
        }
        let rec = build();
        let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
        let now = self.ks.now_ms();
        self.log.append(
            self.ks.selected(),
            &args,
            b"+OK\r\n",
            now,
            Changes(changes.max(1)),
        );
    }

    fn abort_txn(&mut self, t: u64) {
        let Some(x) = self.xtx.txns.remove(&t) else {
            return;
        };
        let home = self.ks.selected();
        self.ks.select(x.db);
        x.undo.apply(&mut self.ks);
        if x.forms_logged || x.decider.is_some() {
            self.log_record(1, || txlog::marker(txlog::TXABORT, t));
        }
        self.ks.select(home);
        self.xtx.release(t, &x);
    }

    /// Takes `key`'s lock for transaction `t` now, without waiting, as
    /// `SHARDD.TXLOCK` with [`LOCK_MORE`] would: for a script running in
    /// `t` that reaches an undeclared key of this shard (a job's hash in a
    /// slot of the queue's shard). True if `t` holds it (already, or
    /// now); false if another transaction holds it or the whole keyspace,
    /// or `t` is unknown here or prepared. A lock taken after others
    /// never waits, so no two transactions wait for each other.
    pub(crate) fn lock_now(&mut self, t: u64, key: &[u8]) -> bool {
        let Some(x) = self.xtx.txns.get_mut(&t) else {
            return false;
        };
        if x.decider.is_some() {
            return false;
        }
        if let Some(h) = self.xtx.all {
            return h == t;
        }
        match self.xtx.locks.get(key) {
            Some(&h) => h == t,
            None => {
                self.xtx.locks.insert(key.to_vec(), t);
                x.keys.push(key.to_vec());
                true
            }
        }
    }

    /// `SHARDD.TXLOCK T 0 flags key...` with [`LOCK_MORE`]: adds `keys` to
    /// the locks `t` holds here, or `TXBUSY` (nothing added) if another
    /// transaction holds one of them or the whole keyspace.
    fn lock_more(&mut self, t: u64, flags: u8, keys: &[&[u8]], reply: &mut Reply) {
        if flags & LOCK_NOWAIT == 0 || flags & LOCK_ALL != 0 {
            return reply.error("ERR more locks are taken without waiting, key by key");
        }
        match self.xtx.txns.get(&t) {
            None => return reply.error(ABORTED),
            Some(x) if x.decider.is_some() => {
                return reply.error("ERR the transaction is already prepared on this shard")
            }
            Some(_) => {}
        }
        let other = |held: Option<&u64>| held.is_some_and(|&h| h != t);
        if other(self.xtx.all.as_ref()) || keys.iter().any(|k| other(self.xtx.locks.get(*k))) {
            return reply.error("TXBUSY a key is locked by another transaction");
        }
        let Some(x) = self.xtx.txns.get_mut(&t) else {
            return reply.error(ABORTED);
        };
        for k in unique_keys(keys) {
            if self.xtx.locks.insert(k.clone(), t).is_none() {
                x.keys.push(k);
            }
        }
        reply.ok();
    }

    /// `SHARDD.TXABORT T KEEP`: puts back what `t` did here and keeps its
    /// locks, for the coordinator to run the transaction's command again
    /// under them (a script that strayed, `proxy/src/xtx/straying.rs`).
    /// Refused once `t` prepared or a snapshot took its effects (then
    /// only a whole abort undoes them).
    fn undo_txn(&mut self, t: u64, reply: &mut Reply) {
        let Some(x) = self.xtx.txns.get_mut(&t) else {
            return reply.error(ABORTED);
        };
        if x.decider.is_some() || x.forms_logged {
            return reply.error("ERR the transaction's effects are logged: abort it whole");
        }
        let undo = std::mem::take(&mut x.undo);
        x.forms.clear();
        x.changes = 0;
        x.forms_db = x.db;
        let (home, db) = (self.ks.selected(), x.db);
        self.ks.select(db);
        undo.apply(&mut self.ks);
        self.ks.select(home);
        reply.ok();
    }

    fn commit_txn(&mut self, t: u64, remember: bool) {
        let home = self.ks.selected();
        if let Some(x) = self.xtx.txns.get(&t) {
            self.ks.select(x.db);
        }
        self.commit_txn_here(t, remember);
        self.ks.select(home);
    }

    /// [`Engine::commit_txn`] in the transaction's database.
    fn commit_txn_here(&mut self, t: u64, remember: bool) {
        let Some(mut x) = self.xtx.txns.remove(&t) else {
            return;
        };
        x.seal_forms();
        if x.decider.is_some() {
            self.log_record(1, || txlog::commit_record(t, false, &[]));
        } else {
            // Without a log no forms were kept: its changes still count.
            let unlogged = x.changes > 0 && !self.log.keeps_log();
            if remember || !x.forms.is_empty() || x.forms_logged || unlogged {
                self.log_record(x.changes, || txlog::commit_record(t, remember, &x.forms));
            }
            if remember {
                self.xtx.decided.insert(t);
            }
        }
        self.xtx.release(t, &x);
    }

    /// Runs command `id` of transaction `t` under its locks.
    pub(crate) fn serve_in_tx(
        &mut self,
        t: u64,
        id: Cmd,
        op: Op,
        args: &[&[u8]],
        reply: &mut Reply,
    ) {
        match self.xtx.txns.get(&t) {
            None => return reply.error(ABORTED),
            Some(x) if x.decider.is_some() => {
                return reply.error("ERR the transaction is already prepared on this shard")
            }
            Some(_) => {}
        }
        if let Op::Script(cmd) = op {
            return self.serve_script(cmd, args, t, Some(t), reply);
        }
        if let Op::Tx(TxCmd::Sort) = op {
            return self.serve_sort(Some(t), args, reply);
        }
        if matches!(op, Op::Tx(_) | Op::Block(_)) {
            return reply.error("ERR command not allowed in a transaction");
        }
        let write = id.spec().has_flag(F_WRITE);
        let mut steps = None;
        if write {
            match self.undo_step(t, id, args) {
                Ok(s) => steps = Some(s),
                Err(()) => self.capture_undo(t, id, args),
            }
        }
        let start = reply.buffer().len();
        let changes = self.execute(id, op, args, reply);
        if let Some(steps) = steps {
            if !matches!(reply.buffer().get(start), Some(b'-' | b'!')) {
                self.add_undo_steps(t, args, steps);
            }
        }
        if write && changes.any() {
            // Kept for the log's records only: none without a log.
            let form = match self.log.keeps_log() {
                true => rewrite::logged(&mut self.ks, args, &reply.buffer()[start..]),
                false => self.ks.take_log_as().and(None),
            };
            self.add_tx_effects(t, form, changes);
            self.notify_after(id, args);
            self.touch_watched(id, args);
        }
    }

    /// Transaction `t` made `changes` with a command whose log form is
    /// `form`: kept to be logged at prepare or commit.
    pub(crate) fn add_tx_effects(&mut self, t: u64, form: Option<Vec<Vec<u8>>>, changes: Changes) {
        let db = self.ks.selected();
        if let Some(x) = self.xtx.txns.get_mut(&t) {
            if let Some(form) = form {
                // A command of another database (a SELECT in the MULTI):
                // its form goes after a SELECT (`Txn::seal_forms` comes
                // back).
                if db != x.forms_db {
                    x.forms.push(crate::tx::select_form(db));
                    x.forms_db = db;
                }
                x.forms.push(form);
            }
            x.changes += changes.0;
        }
    }

    /// The protocol's steps (every `SHARDD.TX*` but `SHARDD.TX` itself).
    pub(crate) fn serve_xtx(&mut self, cmd: TxCmd, args: &[&[u8]], owner: u64, reply: &mut Reply) {
        if cmd == TxCmd::InDoubt {
            let mut list: Vec<(u64, u64)> = self
                .xtx
                .txns
                .iter()
                .filter_map(|(&t, x)| x.decider.map(|d| (t, d)))
                .collect();
            list.sort_unstable();
            reply.array(list.len());
            for (t, d) in list {
                reply.array(2);
                reply.int(t as i64);
                reply.int(d as i64);
            }
            return;
        }
        let Some(t) = id_of(args.get(1)) else {
            return reply.error("ERR malformed transaction record");
        };
        match cmd {
            TxCmd::Lock => {
                let Some(watcher) = id_of(args.get(2)) else {
                    return reply.error("ERR malformed transaction record");
                };
                let flags = lock_flags(args);
                if flags & LOCK_MORE != 0 {
                    return self.lock_more(t, flags, args.get(4..).unwrap_or(&[]), reply);
                }
                if self.xtx.txns.contains_key(&t) {
                    return reply.error("ERR the transaction holds locks here already");
                }
                let keys_arg = args.get(4..).unwrap_or(&[]);
                if flags & LOCK_NOWAIT != 0 {
                    let claim = Claim {
                        keys: keys_arg.iter().map(|k| k.to_vec()).collect(),
                        all: flags & LOCK_ALL != 0,
                    };
                    if self.xtx.blocks(&claim, 0) {
                        // The coordinator falls back to waiting, in order.
                        return reply.error("TXBUSY a key is locked by another transaction");
                    }
                }
                if watcher != 0 {
                    let failed = self.watches.failed(watcher, &mut self.ks);
                    self.watches.unwatch(watcher);
                    if failed {
                        return reply.null_array();
                    }
                }
                let keys = unique_keys(keys_arg);
                let txn = Txn {
                    owner,
                    keys,
                    all: flags & LOCK_ALL != 0,
                    undo: Undo::default(),
                    forms: Vec::new(),
                    forms_logged: false,
                    decider: None,
                    changes: 0,
                    db: self.ks.selected(),
                    forms_db: self.ks.selected(),
                };
                self.xtx.lock(t, txn);
                reply.ok();
            }
            TxCmd::Prepare => {
                let Some(decider) = id_of(args.get(2)) else {
                    return reply.error("ERR malformed transaction record");
                };
                let keeps = self.log.keeps_log();
                let Some(x) = self.xtx.txns.get_mut(&t) else {
                    return reply.error(ABORTED);
                };
                if x.decider.is_some() {
                    return reply.simple("PREPARED");
                }
                // `changes`: without a log no forms are kept.
                if x.undo.is_empty() && x.forms.is_empty() && !x.forms_logged && x.changes == 0 {
                    // Read only here: nothing to decide. With `HOLD` the
                    // locks stay until TXABORT: the coordinator sent this
                    // before it knew its locks on the other shards were
                    // granted, and letting go now could let a transaction
                    // commit between this shard's reads and theirs.
                    let hold = args.get(3).is_some_and(|a| a.eq_ignore_ascii_case(b"hold"));
                    if !hold {
                        if let Some(x) = self.xtx.txns.remove(&t) {
                            self.xtx.release(t, &x);
                        }
                    }
                    return reply.simple("READONLY");
                }
                x.seal_forms();
                // Built before the forms go (only if the log keeps it).
                let rec = keeps.then(|| txlog::prep_record(t, decider, &x.undo, &x.forms));
                let changes = x.changes;
                x.forms.clear();
                x.forms_logged = true;
                x.decider = Some(decider);
                let (home, db) = (self.ks.selected(), x.db);
                self.ks.select(db);
                self.log_record(changes, || rec.unwrap_or_default());
                self.ks.select(home);
                reply.simple("PREPARED");
            }
            TxCmd::Commit => {
                let remember = args.get(2) == Some(&&b"1"[..]);
                if self.xtx.txns.contains_key(&t) {
                    self.commit_txn(t, remember);
                    reply.ok();
                } else if self.xtx.decided.contains(&t) {
                    reply.ok();
                } else {
                    reply.error(ABORTED);
                }
            }
            TxCmd::Abort if args.get(2).is_some_and(|a| a.eq_ignore_ascii_case(b"keep")) => {
                self.undo_txn(t, reply)
            }
            TxCmd::Abort => {
                self.abort_txn(t);
                reply.ok();
            }
            TxCmd::Decide => {
                if self.xtx.decided.contains(&t) {
                    return reply.simple("COMMIT");
                }
                if self.xtx.txns.get(&t).is_some_and(|x| x.decider.is_some()) {
                    return reply.error(
                        "ERR this shard is a participant of the transaction, not its decider",
                    );
                }
                if self.xtx.txns.contains_key(&t) {
                    // Live here, so its coordinator's link is up (a link
                    // that goes away aborts what it had not prepared): the
                    // coordinator decides; asked again later.
                    return reply.simple("PENDING");
                }
                // Undecided (or unknown): decided abort, for good.
                self.abort_txn(t);
                reply.simple("ABORT");
            }
            TxCmd::Resolve => {
                let commit = match args.get(2).copied() {
                    Some(b"commit") => true,
                    Some(b"abort") => false,
                    _ => return reply.error("ERR malformed transaction record"),
                };
                if self.xtx.txns.get(&t).is_some_and(|x| x.decider.is_some()) {
                    if commit {
                        self.commit_txn(t, false);
                    } else {
                        self.abort_txn(t);
                    }
                }
                reply.ok();
            }
            TxCmd::Forget => {
                if self.xtx.decided.remove(&t) {
                    self.log_record(1, || txlog::marker(txlog::TXFORGET, t));
                }
                reply.ok();
            }
            TxCmd::Tx
            | TxCmd::Watch
            | TxCmd::Unwatch
            | TxCmd::InDoubt
            | TxCmd::Sort
            | TxCmd::Unfence => {
                reply.error("ERR not a transaction step");
            }
        }
    }
}

/// Each of `keys` once, in order: a scan for a few (a transaction's
/// usual lock), a set for many (a SORT's patterns may name 100,000).
fn unique_keys(keys: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(keys.len());
    if keys.len() <= 16 {
        for k in keys {
            if !out.iter().any(|x| x == k) {
                out.push(k.to_vec());
            }
        }
        return out;
    }
    let mut seen: HashSet<&[u8]> = HashSet::with_capacity(keys.len());
    out.extend(keys.iter().filter(|k| seen.insert(k)).map(|k| k.to_vec()));
    out
}

pub(crate) mod fence;
mod undo;

#[cfg(test)]
mod tests;
