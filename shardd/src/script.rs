//! Lua scripts, run inside the shard next to the data (EVAL and its
//! family; the proxy decides where a script runs, see
//! `proxy/src/script.rs` and the README's "Scripts").
//!
//! `SHARDD.EVAL sha body flags shard nshards nlisted listed... numkeys
//! key... arg...`: runs `body` (compiled once per `sha` and kept) with
//! KEYS and ARGV. `shard`/`nshards` say which slots this shard owns;
//! `listed` are the keys the proxy made available here besides the owned
//! ones (copies under a transaction's locks). Each `redis.call` runs the
//! command right here, with nothing in between (one thread).
//!
//! A key that is neither owned nor listed is a **stray**: the script
//! cannot use it here. The run is then a lost one, and goes on only to
//! find the other keys it reaches (**probing**): its later calls run
//! here as if other shards' keys were absent (a read finds nothing, a
//! write makes a key that is put back), every stray is noted, and when
//! the script ends (or meets a key a transaction holds, or has noted
//! [`PROBE_KEYS_MAX`] keys) what it wrote is put back: outside a
//! transaction from the undo images the run keeps of each key before its
//! first write; inside one, the writes since the first stray from those
//! images too (before the script returns: nobody sees them) and the
//! earlier ones by the transaction's abort. The shard answers
//! `-SHARDIS.STRAY key...` (`common::wire::STRAY`) with every stray
//! noted, and the proxy runs it again as a transaction with those keys
//! too: a script that walks a list of job ids and touches each job's key
//! (as job queues do) finds them all in one round, not one per round. The
//! keys found are a guess (a branch the absent values skipped may reach
//! more), so the next round may find more; the proxy bounds the rounds.
//! A call sent pipelined with its client's next requests
//! ([`EVAL_FENCE`]) that strays fences the client: its later requests
//! wait, unrun, until the call ran again (`crate::xtx::fence`).
//! Every call of a script whose KEYS are on one shard tries that shard
//! first, even one that strayed before: a run here that probes costs less
//! than a transaction that aborts, and names every key the next one
//! needs. The undo images cost a copy of each key a script writes (its
//! DUMP form, or the steps that undo it), paid only with more than one
//! shard.
//!
//! KEYS, SCAN, DBSIZE, RANDOMKEY and FLUSHDB reach every shard's keys:
//! with several shards the run stops at the first, puts back what it
//! wrote and names the pattern in its `-SHARDIS.STRAY` answer; the proxy runs it again
//! holding every shard whole, with every shard's keys of the pattern
//! listed and copied here ([`EVAL_SWEPT`]), and those commands then run
//! here as over one keyspace (`proxy/src/xtx/sweep.rs`).
//!
//! A key a transaction over several shards holds is never touched: the
//! request waits for the keys it names (`xtx::claim_of`), and a key it
//! reaches at run time that a transaction holds makes the run stop, put
//! back what it wrote, and wait for that key too
//! (`Engine::park_script`); it runs again from the start.
//!
//! Writes reach the log as their effects (the commands the script ran, in
//! their log forms) in ONE group record, so replay gives the same data
//! whatever TIME or random values the script saw, and a crash keeps all
//! of a script or none of it.

mod acl;
mod busy;
mod call;
mod convert;
mod dispatch;
mod functions;
mod libs;
mod msgpack;
mod putback;
mod rules;
mod setup;
mod structlib;

use std::{
    collections::{HashMap, HashSet},
    rc::Rc,
};

use common::{reply::Reply, slot::shard_of_slot, table::Cmd};
use mlua::{Function, HookTriggers, Lua, LuaOptions, MultiValue, StdLib, Table, Value, VmState};

use crate::{
    commands::Changes,
    persist::{group, WriteLog},
    server::Engine,
};

pub use busy::{Watch, STOP, WORD_KILL, WORD_RUNNING, WORD_WROTE};
use call::{
    impl_f, redis_acl_check_c, redis_call_c, redis_pcall_c, redis_setresp_c, Bound, CALL_ACL_CHECK,
    CALL_PACKED, CALL_RAISE, CALL_SETRESP, PACKED_ARGS,
};
pub use convert::format_g;
use putback::Kept;

pub use common::wire::{
    EVAL_ACL, EVAL_BY_SHA, EVAL_COMPILE_ONLY, EVAL_FENCE, EVAL_FUNCTION, EVAL_MONITOR,
    EVAL_NO_BODY, EVAL_NO_REPLICAS, EVAL_READ_ONLY, EVAL_SWEPT,
};
/// Redis's refusal of a write without enough good replicas.
const NOREPLICAS: &str = "NOREPLICAS Not enough good replicas to write.";
/// Most callers' rules a shard keeps parsed.
const ACL_USERS_MAX: usize = 64;

/// The script commands a shard runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptCmd {
    /// `SHARDD.EVAL`.
    Eval,
    /// `SHARDD.SCRIPTFLUSH`: forget the compiled scripts.
    Flush,
    /// `SHARDD.FUNCTION sub args...`: the function libraries.
    Function,
}

/// The script command `id`, if it is one.
pub const fn command(id: Cmd) -> Option<ScriptCmd> {
    match id {
        Cmd::SharddEval => Some(ScriptCmd::Eval),
        Cmd::SharddScriptflush => Some(ScriptCmd::Flush),
        Cmd::SharddFunction => Some(ScriptCmd::Function),
        _ => None,
    }
}

/// Instructions between two looks at kill requests.
const HOOK_INSTRUCTIONS: u32 = 10_000;
/// Most strays a probing run notes (module docs) before it stops: the
/// next round's transaction locks and copies each of them.
const PROBE_KEYS_MAX: usize = 16_384;

/// The shard's Lua state and its compiled scripts.
pub struct Scripts {
    lua: Lua,
    run: Function,
    env: Table,
    /// The prelude's `load_library`, the functions' globals, and its
    /// `call` (a function's run).
    load_fn: Function,
    fenv: Table,
    call_fn: Function,
    libraries: functions::Libraries,
    watch: Rc<Watch>,
    compiled: HashMap<Vec<u8>, Compiled, ahash::RandomState>,
    runs: u32,
    /// The buffer a run's `redis.call` replies are written into, kept
    /// between runs (one allocation per state, not per run); so are its
    /// record of effects and its list of undo images (emptied).
    run_buf: Vec<u8>,
    run_record: group::InDbs,
    run_undo: Vec<(usize, Vec<u8>, Kept)>,
    run_undeclared: KeyList,
    /// Restricted callers' rules, parsed, by `name rules`.
    users: HashMap<Vec<u8>, Rc<common::acl::User>, ahash::RandomState>,
}

#[derive(Clone)]
struct Compiled {
    f: Function,
    read_only: bool,
    /// Refused with `-OOM` past `maxmemory` before it runs: a script with
    /// a shebang or a function, unless flagged `no-writes` or `allow-oom`
    /// (a script without flags is checked at its first write instead).
    denyoom: bool,
    /// Declares that it may write (a script with a shebang or a function,
    /// not flagged `no-writes`): refused before it runs when writes need
    /// replicas (a script without flags is checked at its first write).
    declares_writes: bool,
    /// A function's name (`None`: an EVAL script).
    name: Option<String>,
}

impl Compiled {
    /// How errors name it: `f_<sha>` or the function's name.
    fn label(&self, sha: &[u8]) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("f_{}", String::from_utf8_lossy(sha)),
        }
    }
}

impl Scripts {
    /// Bytes the Lua state holds (INFO's `used_memory_lua`).
    pub fn used_memory(&self) -> u64 {
        self.lua.used_memory() as u64
    }

    /// The compiled script `sha` (compiling `body` the first time).
    fn compile(&mut self, sha: &[u8], body: &[u8]) -> Result<Compiled, String> {
        if let Some(c) = self.compiled.get(sha) {
            return Ok(c.clone());
        }
        let (flags, skip) = shebang(body)?;
        // The shebang line is blanked, not removed, so line numbers hold.
        let code = &body[skip..];
        let f = self
            .lua
            .load(code)
            .set_name("@user_script")
            .set_environment(self.env.clone())
            .into_function()
            .map_err(|e| {
                format!(
                    "ERR Error compiling script (new function): {}",
                    lua_message(&e)
                )
            })?;
        let c = Compiled {
            f,
            read_only: flags & EVAL_READ_ONLY != 0,
            denyoom: skip > 0 && flags & (EVAL_READ_ONLY | SHEBANG_ALLOW_OOM) == 0,
            declares_writes: skip > 0 && flags & EVAL_READ_ONLY == 0,
            name: None,
        };
        self.compiled.insert(sha.to_vec(), c.clone());
        Ok(c)
    }
}

/// A helper's failure: Redis's error table `{err="ERR msg"}`, which the
/// prelude's wrapper raises.
fn failed(lua: &Lua, msg: &[u8]) -> mlua::Result<(Value, bool)> {
    Ok((Value::Table(convert::error_table(lua, msg, false)?), true))
}

/// The first line of an mlua error (its message without the traceback).
fn lua_message(e: &mlua::Error) -> String {
    let s = e.to_string();
    let s = s.strip_prefix("syntax error: ").unwrap_or(&s);
    let s = s.strip_prefix("runtime error: ").unwrap_or(s);
    s.lines().next().unwrap_or("").to_string()
}

/// The flags of a `#!lua` shebang and how many bytes to skip (the line
/// without its newline); `(0, 0)` without one.
fn shebang(body: &[u8]) -> Result<(u8, usize), String> {
    if !body.starts_with(b"#!") {
        return Ok((0, 0));
    }
    let Some(end) = memchr::memchr(b'\n', body) else {
        return Err("ERR Invalid script shebang".into());
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split_whitespace();
    let engine = parts.next().unwrap_or("");
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut flags = 0u8;
    for p in parts {
        let Some(list) = p.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {p}"));
        };
        for f in list.split(',').filter(|f| !f.is_empty()) {
            match f {
                "no-writes" => flags |= EVAL_READ_ONLY,
                "allow-oom" => flags |= SHEBANG_ALLOW_OOM,
                "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                _ => return Err(format!("ERR Unexpected flag in script shebang: {f}")),
            }
        }
    }
    Ok((flags, end))
}

/// The shebang's `allow-oom` flag (beside [`EVAL_READ_ONLY`] for
/// `no-writes`).
const SHEBANG_ALLOW_OOM: u8 = 0x80;

/// The KEYS and the listed keys of a `SHARDD.EVAL` (what it claims while
/// transactions hold locks).
pub(crate) fn named_keys(args: &[&[u8]]) -> Option<Vec<Vec<u8>>> {
    let a = parse_eval(args)?;
    Some(a.keys.iter().chain(a.listed).map(|k| k.to_vec()).collect())
}

/// A parsed `SHARDD.EVAL`.
struct EvalArgs<'a> {
    sha: &'a [u8],
    body: &'a [u8],
    flags: u8,
    /// [`EVAL_FENCE`]: if it strays, its client is fenced.
    fence: bool,
    /// The caller's user and rules, with [`EVAL_ACL`].
    acl: Option<(&'a [u8], &'a [u8])>,
    shard: usize,
    nshards: usize,
    listed: &'a [&'a [u8]],
    /// The patterns whose keys of every shard are listed
    /// ([`common::wire::EVAL_SWEPT`]).
    swept: &'a [&'a [u8]],
    /// The keys on the other shards that are not listed, when counted.
    elsewhere: Option<i64>,
    keys: &'a [&'a [u8]],
    argv: &'a [&'a [u8]],
}

fn parse_eval<'a>(args: &'a [&'a [u8]]) -> Option<EvalArgs<'a>> {
    let num = |i: usize| -> Option<usize> { std::str::from_utf8(args.get(i)?).ok()?.parse().ok() };
    let wide = num(3)?;
    let flags = wide as u8;
    let (acl, o) = match flags & EVAL_ACL != 0 {
        true => (Some((*args.get(4)?, *args.get(5)?)), 2),
        false => (None, 0),
    };
    let nlisted = num(o + 6)?;
    let listed = args.get(o + 7..o + 7 + nlisted)?;
    let mut at = o + 7 + nlisted;
    let (swept, elsewhere) = match wide & usize::from(EVAL_SWEPT) != 0 {
        true => {
            let n = num(at)?;
            let s = args.get(at + 1..at + 1 + n)?;
            let elsewhere = std::str::from_utf8(args.get(at + 1 + n)?).ok()?;
            at += 2 + n;
            (s, elsewhere.parse().ok())
        }
        false => (&[][..], None),
    };
    let nkeys = num(at)?;
    let first = at + 1;
    Some(EvalArgs {
        sha: args.get(1)?,
        body: args.get(2)?,
        flags,
        fence: wide & usize::from(EVAL_FENCE) != 0,
        acl,
        shard: num(o + 4)?,
        nshards: num(o + 5)?.max(1),
        listed,
        swept,
        elsewhere,
        keys: args.get(first..first + nkeys)?,
        argv: args.get(first + nkeys..)?,
    })
}

/// Listed keys looked up one by one; more go in a set.
const LISTED_SCAN_MAX: usize = 16;

/// Keys kept between runs without an allocation per key once warm: the
/// first `len` of `keys`, each buffer reused.
#[derive(Default)]
pub(crate) struct KeyList {
    keys: Vec<Vec<u8>>,
    len: usize,
}

impl KeyList {
    pub(crate) fn push(&mut self, key: &[u8]) {
        match self.keys.get_mut(self.len) {
            Some(k) => {
                k.clear();
                k.extend_from_slice(key);
            }
            None => self.keys.push(key.to_vec()),
        }
        self.len += 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.keys[..self.len].iter().map(Vec::as_slice)
    }

    pub(crate) fn clear(&mut self) {
        self.len = 0;
    }
}

/// What one script run has done so far.
struct Run<'a> {
    /// Inside transaction `t` (its locks hold every listed key).
    tx: Option<u64>,
    shard: usize,
    nshards: usize,
    /// The slots this shard owns, when it knows (`crate::slots`); else
    /// `shard` of `nshards` equal ranges.
    owned: Option<std::rc::Rc<common::slotset::SlotSet>>,
    listed: &'a [&'a [u8]],
    /// `listed` as a set, when it is long (a swept pattern may list
    /// thousands of keys, each call looks its keys up).
    listed_set: Option<HashSet<&'a [u8], ahash::RandomState>>,
    /// The patterns whose keys of every shard are listed
    /// ([`EVAL_SWEPT`]): KEYS, SCAN, DBSIZE, RANDOMKEY and FLUSHDB of them
    /// run here.
    swept: &'a [&'a [u8]],
    /// The patterns whose keys of every shard it asked for, not swept:
    /// named with its strays (`common::wire::stray_reply_with`).
    sweeps: Vec<Vec<u8>>,
    /// The keys on the other shards that are not listed here, when the
    /// proxy counted them ([`EVAL_SWEPT`]): DBSIZE adds them to this
    /// shard's.
    elsewhere: Option<i64>,
    /// It asked for that count, not given (DBSIZE): named with its
    /// strays.
    count_needed: bool,
    keys: &'a [&'a [u8]],
    read_only: bool,
    /// Writes are refused (`EVAL_NO_REPLICAS`).
    no_replicas: bool,
    /// Its commands are reported for MONITOR (`EVAL_MONITOR`).
    monitor: bool,
    origin: u64,
    resp3: bool,
    wrote: bool,
    /// The keys it reached that it may not touch here (each once).
    stray: Option<Vec<Vec<u8>>>,
    /// The keys in `stray`, to note each once.
    stray_seen: HashSet<Vec<u8>, ahash::RandomState>,
    /// It strayed and goes on to find the other keys it reaches (module
    /// docs): its writes keep undo images and are put back when it ends.
    probing: bool,
    /// Outside a transaction: whether what it writes is kept to be put
    /// back (it may stray or meet a key a transaction holds).
    undoable: bool,
    /// Outside a transaction, with undo images: the writes whose watchers
    /// (WATCH, blocked clients, tracking) are told when the run ends whole,
    /// each with its database and the keys it left unchanged.
    touched: Vec<Touched>,
    /// Outside a transaction: a key a transaction holds, which the script
    /// reached (it stopped, put back what it wrote, and waits).
    blocked: Option<Vec<u8>>,
    /// Outside a transaction, with several shards: the keys of this
    /// shard it reached without declaring them, named with its strays if
    /// it strays, so that the transaction that runs it next locks them
    /// at once (else that run would stray to each of them, a round more).
    undeclared: KeyList,
    /// Outside a transaction: each written key (its database, the key)
    /// as it was before the script first wrote it, to put back if the
    /// script strays.
    undo: Vec<(usize, Vec<u8>, Kept)>,
    record: group::InDbs,
    /// The caller's rules, when restricted ([`EVAL_ACL`]).
    user: Option<Rc<common::acl::User>>,
    /// The database the script was called in (SELECT inside a script
    /// changes its own, never its caller's).
    home_db: usize,
    changes: u64,
    buf: Vec<u8>,
}

/// A write of a run outside a transaction, told to its key's watchers,
/// waiters and trackers when the run ends whole.
struct Touched {
    db: usize,
    id: Cmd,
    argv: Vec<Vec<u8>>,
    /// Its keys it left unchanged (a ZADD of a member already there).
    unchanged: Vec<Vec<u8>>,
}

impl Run<'_> {
    /// Adds one command's effect (in database `db`, `changes` keys) to
    /// the run's record, after a SELECT when the database changed.
    fn log_effect<A: AsRef<[u8]>>(&mut self, db: usize, form: &[A], changes: u64) {
        self.record.push(db, form);
        self.changes += changes;
    }

    /// Whether the run names `key`: in KEYS, or listed by the proxy.
    fn declared(&self, key: &[u8]) -> bool {
        let listed = match &self.listed_set {
            Some(set) => set.contains(key),
            None => self.listed.contains(&key),
        };
        listed || self.keys.contains(&key)
    }

    /// Whether every shard's keys of `pattern` are listed here: a
    /// transaction holds every shard whole and listed those of a swept
    /// pattern, or of `*`.
    fn swept(&self, pattern: &[u8]) -> bool {
        self.tx.is_some() && self.swept.iter().any(|&p| p == pattern || p == b"*")
    }

    /// Whether every key of `slot` is this run's: in a transaction only
    /// the keys it locked are; outside, a slot this shard owns.
    pub(crate) fn owns_slot(&self, slot: u16) -> bool {
        self.tx.is_none() && self.slot_here(slot)
    }

    /// Whether this shard owns `slot` (in a transaction or not).
    fn slot_here(&self, slot: u16) -> bool {
        match &self.owned {
            Some(set) => set.contains(slot),
            None => shard_of_slot(slot, self.nshards) == self.shard,
        }
    }
}

impl<L: WriteLog> Engine<L> {
    /// `SHARDD.SCRIPTFLUSH`.
    pub(crate) fn serve_script(
        &mut self,
        cmd: ScriptCmd,
        args: &[&[u8]],
        origin: u64,
        tx: Option<u64>,
        reply: &mut Reply,
    ) {
        match cmd {
            ScriptCmd::Eval => self.serve_eval(args, origin, tx, reply),
            ScriptCmd::Flush => {
                // EVAL's state only: the functions keep theirs.
                self.scripts = None;
                reply.ok();
            }
            ScriptCmd::Function => self.serve_function(args, reply),
        }
    }

    /// The shard's Lua state for EVAL, or for the function libraries if
    /// `functions` (made now if there is none yet), lent out for a run
    /// and given back with [`Engine::put_scripts`]; `None` after writing
    /// the error if it cannot be made.
    fn take_scripts(&mut self, functions: bool, reply: &mut Reply) -> Option<Box<Scripts>> {
        let lent = if functions {
            self.fscripts.take()
        } else {
            self.scripts.take()
        };
        match lent {
            Some(s) => Some(s),
            None => match Scripts::new(self.script_watch.clone()) {
                Ok(s) => Some(Box::new(s)),
                Err(e) => {
                    reply.error(&format!("ERR the script engine failed to start: {e}"));
                    None
                }
            },
        }
    }

    /// Gives back the state [`Engine::take_scripts`] lent.
    fn put_scripts(&mut self, functions: bool, scripts: Box<Scripts>) {
        if functions {
            self.fscripts = Some(scripts);
        } else {
            self.scripts = Some(scripts);
        }
    }

    /// `SHARDD.EVAL ...` (module docs); `tx`: run as part of that
    /// transaction.
    fn serve_eval(&mut self, args: &[&[u8]], origin: u64, tx: Option<u64>, reply: &mut Reply) {
        let Some(a) = parse_eval(args) else {
            return reply.error("ERR malformed script record");
        };
        let function = a.flags & EVAL_FUNCTION != 0;
        let Some(mut scripts) = self.take_scripts(function, reply) else {
            return;
        };
        // A run that is put back made no events either.
        let events_mark = self.notes.blob.len();
        // A tracking client's script remembers its declared keys if it
        // reads (Redis's rule): its reads are noted, not remembered.
        if self.tracking.reader != 0 {
            self.tracking.script_read = Some(false);
        }
        let target = if function {
            scripts.sync_functions(&self.ks);
            match scripts.function(a.sha) {
                None => Err("ERR Function not found".to_string()),
                Some((_, flags, _))
                    if a.flags & EVAL_READ_ONLY != 0 && flags & functions::NO_WRITES == 0 =>
                {
                    Err("ERR Can not execute a script with write flag using *_ro command.".into())
                }
                Some((f, flags, name)) => Ok(Compiled {
                    f,
                    read_only: flags & functions::NO_WRITES != 0,
                    denyoom: flags & (functions::NO_WRITES | functions::ALLOW_OOM) == 0,
                    declares_writes: flags & functions::NO_WRITES == 0,
                    name: Some(name),
                }),
            }
        } else if a.flags & EVAL_NO_BODY != 0 && !scripts.compiled.contains_key(a.sha) {
            Err("NOSCRIPT No matching script. Please use EVAL.".to_string())
        } else {
            scripts.compile(a.sha, a.body)
        };
        let id = match (
            function,
            a.flags & EVAL_BY_SHA != 0,
            a.flags & EVAL_READ_ONLY != 0,
        ) {
            (true, _, false) => Cmd::Fcall,
            (true, _, true) => Cmd::FcallRo,
            (false, false, false) => Cmd::Eval,
            (false, true, false) => Cmd::Evalsha,
            (false, false, true) => Cmd::EvalRo,
            (false, true, true) => Cmd::EvalshaRo,
        };
        let compiled = match target {
            Ok(c) => c,
            Err(e) => {
                self.put_scripts(function, scripts);
                // Counted here (a failed call), as the run's end counts.
                let start = reply.buffer().len();
                reply.error(&e);
                let body = reply.buffer()[start..].to_vec();
                self.stats.end(Some(id), 0, args, origin, &body);
                return;
            }
        };
        if a.flags & EVAL_COMPILE_ONLY != 0 {
            self.put_scripts(function, scripts);
            return reply.ok();
        }
        let refusal = if compiled.denyoom && self.out_of_memory() {
            Some("OOM command not allowed when used memory > 'maxmemory'.")
        } else if compiled.declares_writes && a.flags & EVAL_NO_REPLICAS != 0 {
            Some(NOREPLICAS)
        } else {
            None
        };
        if let Some(msg) = refusal {
            self.put_scripts(function, scripts);
            let start = reply.buffer().len();
            reply.error(msg);
            let body = reply.buffer()[start..].to_vec();
            self.stats.end(Some(id), 0, args, origin, &body);
            return;
        }
        let user = match a.acl {
            None => None,
            Some((name, rules)) => match scripts.user(name, rules) {
                Ok(u) => Some(u),
                Err(e) => {
                    self.put_scripts(function, scripts);
                    return reply.error(&format!("ERR bad ACL rules for the script's caller: {e}"));
                }
            },
        };
        let mut run = Run {
            user,
            tx,
            shard: a.shard,
            nshards: a.nshards,
            owned: self.owned.get().cloned(),
            listed: a.listed,
            listed_set: (a.listed.len() > LISTED_SCAN_MAX)
                .then(|| a.listed.iter().copied().collect()),
            swept: a.swept,
            sweeps: Vec::new(),
            elsewhere: a.elsewhere,
            count_needed: false,
            keys: a.keys,
            read_only: compiled.read_only || a.flags & EVAL_READ_ONLY != 0,
            no_replicas: a.flags & EVAL_NO_REPLICAS != 0,
            monitor: a.flags & EVAL_MONITOR != 0,
            origin,
            resp3: false,
            wrote: false,
            stray: None,
            stray_seen: HashSet::default(),
            probing: false,
            undoable: a.nshards > 1 || self.xtx.active(),
            touched: Vec::new(),
            blocked: None,
            undo: std::mem::take(&mut scripts.run_undo),
            undeclared: std::mem::take(&mut scripts.run_undeclared),
            record: {
                let mut r = std::mem::replace(&mut scripts.run_record, group::InDbs::new(0));
                r.clear(self.ks.selected());
                r
            },
            home_db: self.ks.selected(),
            changes: 0,
            buf: std::mem::take(&mut scripts.run_buf),
        };
        let watch = self.script_watch.clone();
        watch.begin(busy::stamp(scripts.runs), function);
        let start = reply.buffer().len();
        let result = run_script(&scripts, &compiled, &a, self, &mut run, reply);
        watch.end();
        if run.probing {
            // Everything it wrote since it strayed (and outside a
            // transaction, before) is put back before anyone sees it.
            self.stop_run(&mut run);
            run.probing = false;
        }
        // Back in the caller's database, whatever the script selected.
        self.select_db(run.home_db);
        run.record.end_in(run.home_db);
        scripts.runs = scripts.runs.wrapping_add(1);
        scripts.run_buf = std::mem::take(&mut run.buf);
        scripts.run_buf.clear();
        self.put_scripts(function, scripts);
        if run.blocked.is_some() || run.stray.is_some() {
            self.notes.blob.truncate(events_mark);
        }
        self.script_fence = a.fence && tx.is_none() && run.stray.is_some();
        let read = self.tracking.script_read.take();
        if run.blocked.is_some() {
            // Nothing of this run stays (put back, not logged, no reply):
            // the request waits and runs again (`Engine::park_script`).
            self.script_blocked = run.blocked.take();
            return;
        }
        // A run that strays runs again over several shards: its keys are
        // remembered ahead of that run.
        if read == Some(true) || (read.is_some() && run.stray.is_some()) {
            let reader = self.tracking.reader;
            for key in a.keys {
                self.tracking.remember(reader, key);
            }
        }
        if run.stray.is_none() {
            for t in std::mem::take(&mut run.touched) {
                let argv: smallvec::SmallVec<[&[u8]; 8]> =
                    t.argv.iter().map(Vec::as_slice).collect();
                self.ks.select(t.db);
                // As the write left them, not as the run's last write did.
                self.ks.clear_unchanged();
                for k in &t.unchanged {
                    self.ks.mark_unchanged(k);
                }
                self.touch_watched(t.id, &argv);
            }
            self.ks.clear_unchanged();
            self.ks.select(run.home_db);
        }
        let count_error = match result {
            Ok(count) => count,
            Err(e) => {
                reply.error(&format!(
                    "ERR Error running script (call to {}): {}",
                    compiled.label(a.sha),
                    lua_message(&e)
                ));
                true
            }
        };
        // The client's command in the statistics (the inner commands are
        // counted as they ran); an error it returns counts unless a
        // command's reply it passes on was counted already.
        if run.stray.is_none() {
            let body = &reply.buffer()[start..];
            self.stats.quiet_error = !count_error;
            self.stats.end(Some(id), 0, args, origin, body);
        }
        if !run.record.is_empty() {
            let record = run.record.args();
            self.log.append(
                self.ks.selected(),
                &record,
                b"+OK\r\n",
                self.ks.now_ms(),
                Changes(run.changes),
            );
        } else if run.changes > 0 && !self.log.keeps_log() {
            self.log.count_unlogged(Changes(run.changes));
        }
        // The record's and the undo list's room serve the next run.
        let lent = if function {
            &mut self.fscripts
        } else {
            &mut self.scripts
        };
        if let Some(s) = lent.as_mut() {
            run.undo.clear();
            s.run_undo = std::mem::take(&mut run.undo);
            run.undeclared.clear();
            s.run_undeclared = std::mem::take(&mut run.undeclared);
            s.run_record = std::mem::replace(&mut run.record, group::InDbs::new(0));
        }
    }
}

/// Runs `f` with the run's KEYS and ARGV and `redis.call` bound to
/// `engine`, and writes the client's reply; whether that reply is an
/// error the statistics have not counted yet.
fn run_script<L: WriteLog>(
    s: &Scripts,
    c: &Compiled,
    a: &EvalArgs,
    engine: &mut Engine<L>,
    run: &mut Run,
    reply: &mut Reply,
) -> mlua::Result<bool> {
    // The prelude's runner makes KEYS and ARGV (`impl.args`): a
    // function gets them as parameters, a script as globals.
    let _args = call::RunArgs::new(a.keys, a.argv);
    let mut call = |lua: &Lua, kind: u8, rest: MultiValue| -> mlua::Result<(Value, bool)> {
        match kind {
            CALL_SETRESP => set_resp(lua, run, &rest),
            k if k & !CALL_PACKED == CALL_ACL_CHECK => {
                let packed = PACKED_ARGS.with(|p| std::mem::take(&mut *p.borrow_mut()));
                let out = acl::acl_check(lua, run, &packed);
                PACKED_ARGS.with(|p| *p.borrow_mut() = packed);
                out
            }
            _ => {
                let raise = kind & !CALL_PACKED == CALL_RAISE;
                // The arguments the C function read (`call::Packed`),
                // handed back afterwards so their buffers serve again.
                let packed = PACKED_ARGS.with(|p| std::mem::take(&mut *p.borrow_mut()));
                let out = engine.script_call(lua, run, raise, &packed);
                PACKED_ARGS.with(|p| *p.borrow_mut() = packed);
                out
            }
        }
    };
    // Whatever a run that stopped early left noted goes.
    call::forget_returned();
    let (ok, value): (bool, Value) = {
        let _bound = Bound::new(&s.lua, &mut call);
        match c.name {
            Some(_) => s.call_fn.call::<(bool, Value)>(c.f.clone())?,
            None => s.run.call::<(bool, Value)>(c.f.clone())?,
        }
    };
    // A killed run answers its kill, not its strays (else the proxy would
    // run it again); what it wrote is put back either way.
    if let Some(keys) = run
        .stray
        .as_ref()
        .filter(|_| !engine.script_watch.kill_requested())
    {
        let mut named: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
        let mut mine: Vec<&[u8]> = run.undeclared.iter().collect();
        mine.sort_unstable();
        mine.dedup();
        named.extend(mine);
        let sweeps = run.sweeps.iter().map(Vec::as_slice);
        reply.raw(&common::wire::stray_reply_with(
            named,
            sweeps,
            run.count_needed,
        ));
        return Ok(false);
    }
    let counted = |t: &Table| {
        matches!(
            t.raw_get::<Value>("ignore_error_stats_update"),
            Ok(Value::Boolean(true))
        )
    };
    if ok && call::write_returned(run.resp3, reply) {
        return Ok(false);
    }
    if ok {
        convert::lua_to_reply(&value, run.resp3, reply);
        return Ok(match &value {
            Value::Table(t) => {
                matches!(t.raw_get::<Value>("err"), Ok(Value::String(_))) && !counted(t)
            }
            _ => false,
        });
    }
    // The error handler's table: {err=, source=, line=}.
    let Value::Table(t) = value else {
        reply.error(&format!(
            "ERR Error running script {}, execution failure",
            c.label(a.sha)
        ));
        return Ok(true);
    };
    let msg = t.raw_get::<Option<mlua::LuaString>>("err").ok().flatten();
    let msg = msg
        .map(|m| String::from_utf8_lossy(&m.as_bytes()).into_owned())
        .unwrap_or_default();
    let source = t
        .raw_get::<Option<mlua::LuaString>>("source")
        .ok()
        .flatten();
    let line = t.raw_get::<Option<Value>>("line").ok().flatten();
    let mut text = msg;
    if let (Some(source), Some(line)) = (source, line.as_ref().and_then(convert::as_text)) {
        let label = match &c.name {
            Some(n) => n.clone(),
            None => String::from_utf8_lossy(a.sha).into_owned(),
        };
        text.push_str(&format!(
            " script: {label}, on {}:{}.",
            String::from_utf8_lossy(&source.as_bytes()),
            String::from_utf8_lossy(&line)
        ));
    }
    reply.error(&text);
    Ok(!counted(&t))
}

/// `redis.setresp(2|3)`: the protocol of the replies `redis.call` sees
/// from now on in this run.
fn set_resp(lua: &Lua, run: &mut Run, args: &MultiValue) -> mlua::Result<(Value, bool)> {
    let fail = |msg: &[u8]| -> mlua::Result<(Value, bool)> {
        Ok((Value::Table(convert::error_table(lua, msg, false)?), true))
    };
    if args.len() != 1 {
        return fail(b"redis.setresp() requires one argument.");
    }
    let v = match args.front() {
        Some(Value::Integer(n)) => *n as f64,
        Some(Value::Number(n)) => *n,
        _ => f64::NAN,
    };
    if v == 2.0 || v == 3.0 {
        run.resp3 = v == 3.0;
        Ok((Value::Nil, false))
    } else {
        fail(b"RESP version must be 2 or 3.")
    }
}
