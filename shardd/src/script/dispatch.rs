//! One `redis.call` or `redis.pcall` of a running script: resolving the
//! command, the script's rules (flags, ACL, read-only, no-replicas), the
//! keys it may touch here (a stray starts the probe, `super` module docs),
//! running it with what puts it back, and its reply as a Lua value.

use common::{
    reply::{Proto, Reply},
    slot::key_slot,
    table::{
        self,
        flags::{F_NOSCRIPT, F_WRITE},
        keyspec::keys_and_flags,
        Cmd, Exec, ResolveError, Route,
    },
};
use mlua::{Lua, Value};

use super::{
    acl, call, convert, putback,
    rules::{denied_in_scripts, proxy_command, sort_ordered},
    Run, Touched, NOREPLICAS, PROBE_KEYS_MAX,
};
use crate::{
    keyspace::ValueMut,
    ops::{self, Op},
    persist::{rewrite, WriteLog},
    server::Engine,
};

/// What a command over every shard needs of the other shards inside a
/// script.
enum Sweep<'a> {
    /// Their keys of this pattern, listed and copied here.
    Pattern(&'a [u8]),
    /// The number of their keys (DBSIZE).
    Count,
}

/// What command `id` needs of every shard: the keys of a pattern it reads
/// or writes (KEYS, a SCAN's MATCH, all keys for a SCAN without one,
/// RANDOMKEY and FLUSHDB: with every key here, a FLUSHDB empties the
/// shard's own and the copies, which go home deleted), their number
/// (DBSIZE), or `None` for the other commands every shard runs (FLUSHALL,
/// over every database: refused in scripts with several shards).
fn sweep_of<'a>(id: Cmd, argv: &[&'a [u8]]) -> Option<Sweep<'a>> {
    let pattern = match id {
        Cmd::Dbsize => return Some(Sweep::Count),
        Cmd::Keys => argv.get(1).copied(),
        Cmd::Scan => {
            // The last MATCH counts, as SCAN reads its options.
            let mut pattern: &[u8] = b"*";
            let mut j = 2;
            while j + 1 < argv.len() {
                if argv[j].eq_ignore_ascii_case(b"match") {
                    pattern = argv[j + 1];
                }
                j += 2;
            }
            Some(pattern)
        }
        Cmd::Randomkey | Cmd::Flushdb => Some(&b"*"[..]),
        _ => None,
    };
    pattern.map(Sweep::Pattern)
}

impl<L: WriteLog> Engine<L> {
    /// One `redis.call` (`raise`) or `redis.pcall`: the reply as a Lua
    /// value, and whether it is an error `call` must raise.
    pub(super) fn script_call(
        &mut self,
        lua: &Lua,
        run: &mut Run,
        raise: bool,
        args: &call::Packed,
    ) -> mlua::Result<(Value, bool)> {
        let fail = |msg: &[u8]| -> mlua::Result<(Value, bool)> {
            Ok((Value::Table(convert::error_table(lua, msg, false)?), raise))
        };
        if (run.stray.is_some() && !run.probing) || run.blocked.is_some() {
            return fail(b"shardis: the script reached a key on another shard");
        }
        if self.script_watch.kill_requested() {
            return fail(b"Script killed by user with SCRIPT KILL...");
        }
        if args.is_empty() {
            return fail(b"Please specify at least one argument for this redis lib call");
        }
        if args.bad {
            return fail(b"Lua redis lib command arguments must be strings or integers");
        }
        let argv: smallvec::SmallVec<[&[u8]; 16]> = args.args().collect();
        let spec = match table::resolve(&argv) {
            Ok(s) => s,
            Err(ResolveError::WrongArity(_)) => {
                return fail(b"Wrong number of args calling Redis command from script")
            }
            Err(_) if denied_in_scripts(&argv) => {
                return fail(b"This Redis command is not allowed from script")
            }
            Err(_) => return fail(b"Unknown Redis command called from script"),
        };
        // A call the script may not make counts as a rejected call of
        // that command, as Redis counts it (the script's error is counted
        // once, as the script's).
        if spec.has_flag(F_NOSCRIPT) {
            let msg = b"This Redis command is not allowed from script";
            return acl::rejected_call(&mut self.stats, lua, spec.id, msg, raise);
        }
        if let Some(user) = run.user.clone() {
            if let Err(d) = user.check(spec, &argv) {
                acl::note_acl_refusal(&mut self.stats, run, &user, d, spec.name, &argv);
                let why = match d {
                    common::acl::Denied::Command => "can't run this command or subcommand",
                    common::acl::Denied::Key(_) => {
                        "can't access at least one of the keys mentioned in the command arguments"
                    }
                    common::acl::Denied::Channel(_) => {
                        "can't publish to the channel mentioned in the command"
                    }
                };
                let msg = format!("The user executing the script {why}");
                return acl::rejected_call(&mut self.stats, lua, spec.id, msg.as_bytes(), raise);
            }
        }
        if matches!(spec.id, Cmd::Xread | Cmd::Xreadgroup)
            && common::blocking::timeout_of(spec.id, &argv).is_some()
        {
            let msg = format!(
                "{} command is not allowed with BLOCK option from scripts",
                String::from_utf8_lossy(argv[0])
            );
            return fail(msg.as_bytes());
        }
        let write = spec.has_flag(F_WRITE);
        if write && run.read_only {
            let msg = b"Write commands are not allowed from read-only scripts.";
            return acl::rejected_call(&mut self.stats, lua, spec.id, msg, raise);
        }
        if write && run.no_replicas {
            return acl::rejected_with(&mut self.stats, lua, spec.id, NOREPLICAS.as_bytes(), raise);
        }
        run.buf.clear();
        let proto = if run.resp3 {
            Proto::Resp3
        } else {
            Proto::Resp2
        };
        // KEYS of a pattern whose hash tag pins one slot this shard owns
        // (`KEYS {queue}:*`) sees every key it can match here.
        let pinned_here = spec.id == Cmd::Keys
            && argv
                .get(1)
                .and_then(|p| common::slot::pattern_slot(p))
                .is_some_and(|slot| run.owns_slot(slot));
        match (spec.exec, spec.route) {
            (Exec::Shard, Route::FanOut) if run.nshards > 1 && !pinned_here => {
                match sweep_of(spec.id, &argv) {
                    // Every shard's keys of it are here (copies): as over
                    // one keyspace.
                    Some(Sweep::Pattern(p)) if run.swept(p) => {}
                    Some(Sweep::Count) if run.swept(b"*") => {}
                    // This shard's keys (its own and the copies) and the
                    // other shards' others, counted by the proxy.
                    Some(Sweep::Count) if run.tx.is_some() && run.elsewhere.is_some() => {
                        let n = self.ks.len() as i64 + run.elsewhere.unwrap_or(0);
                        Reply::new(&mut run.buf, proto).int(n);
                        self.stats
                            .end(Some(spec.id), 0, &argv, run.origin, &run.buf);
                        return self.script_reply(lua, run, raise);
                    }
                    Some(need) => {
                        // The proxy runs it again holding every shard
                        // whole, with that pattern's keys of every shard
                        // listed (or the others counted); nothing of this
                        // run stays.
                        match need {
                            Sweep::Pattern(p) if !run.sweeps.iter().any(|s| s == p) => {
                                run.sweeps.push(p.to_vec())
                            }
                            Sweep::Pattern(_) => {}
                            Sweep::Count => run.count_needed = true,
                        }
                        run.stray.get_or_insert_with(Vec::new);
                        self.stop_run(run);
                        run.probing = false;
                        return fail(b"shardis: the script reached keys on other shards");
                    }
                    None => {
                        let msg = format!(
                            "shardis: {} inside a script would see one shard's keys only (this server has {} shards)",
                            spec.name.to_uppercase(),
                            run.nshards
                        );
                        return fail(msg.as_bytes());
                    }
                }
            }
            (Exec::Shard, _) => {}
            (Exec::Proxy, _) if spec.id == Cmd::Select => {
                self.script_select(run, &argv, proto);
                return self.script_reply(lua, run, raise);
            }
            (Exec::Proxy, _) if matches!(spec.id, Cmd::Publish | Cmd::Spublish) => {
                if run.read_only {
                    // PUBLISH may replicate: Redis counts it as a write.
                    let msg = b"Write commands are not allowed from read-only scripts.";
                    return acl::rejected_call(&mut self.stats, lua, spec.id, msg, raise);
                }
                let shard = spec.id == Cmd::Spublish;
                let (channel, message) = (argv[1], argv[2]);
                // The proxy publishes it when the reply comes back, with
                // the run's keyspace events, in order (`crate::subs`).
                common::notify::push_message(&mut self.notes.blob, channel, message, shard);
                let n = self.subs.receivers(channel, shard);
                Reply::new(&mut run.buf, proto).int(n as i64);
                self.stats
                    .end(Some(spec.id), 0, &argv, run.origin, &run.buf);
                return self.script_reply(lua, run, raise);
            }
            (Exec::Proxy, _) => {
                let mut r = Reply::new(&mut run.buf, proto);
                if !proxy_command(spec.id, &argv, &mut r) {
                    let msg = format!(
                        "shardis: {} cannot run inside a script",
                        spec.name.to_uppercase()
                    );
                    return fail(msg.as_bytes());
                }
                return self.script_reply(lua, run, raise);
            }
            _ => return fail(b"Unknown Redis command called from script"),
        }
        // Found once: for the checks here and the undo images below.
        let keys = keys_and_flags(spec, &argv).ok();
        // The keys it reaches: those it names, and those a SORT's BY and
        // GET patterns read (all of them reported at once).
        let patterns = match spec.id {
            Cmd::Sort | Cmd::SortRo => crate::commands::sort::pattern_keys(&mut self.ks, &argv),
            _ => Vec::new(),
        };
        let reached = || {
            keys.iter()
                .flatten()
                .map(|&(pos, _)| argv[pos])
                .chain(patterns.iter().map(Vec::as_slice))
        };
        if run.tx.is_none() {
            if let Some(held) = reached().find(|k| self.xtx.holds(k)) {
                // A transaction holds it: put back what the script wrote;
                // it waits and runs again (`park_script`).
                let held = held.to_vec();
                self.stop_run(run);
                run.blocked = Some(held);
                return fail(b"shardis: the script reached a key a transaction holds");
            }
        }
        // Each key it reaches, looked at once: declared (KEYS, or listed
        // by the proxy), this shard's but undeclared (noted, outside a
        // transaction with several shards: `Run::undeclared`), or a stray.
        let note_undeclared = run.tx.is_none() && run.undoable;
        let mut strays: smallvec::SmallVec<[&[u8]; 4]> = smallvec::SmallVec::new();
        for k in reached() {
            if run.declared(k) {
                continue;
            }
            if let Some(t) = run.tx {
                // Inside a transaction a key of this shard is the run's
                // once the transaction holds it: taken now if free,
                // without waiting, a round sooner than the proxy's
                // `LOCK_MORE` would (`Engine::lock_now`).
                if !(run.slot_here(key_slot(k)) && self.lock_now(t, k)) {
                    strays.push(k);
                }
            } else if !run.owns_slot(key_slot(k)) {
                strays.push(k);
            } else if note_undeclared && run.undeclared.len() < PROBE_KEYS_MAX {
                run.undeclared.push(k);
            }
        }
        if !strays.is_empty() {
            // It probes on (module docs) unless it meets a key a
            // transaction holds or has noted enough: then it stops here,
            // what it wrote is put back (its undo images; inside a
            // transaction, the proxy aborts it for the rest).
            let held = strays.iter().any(|k| self.xtx.holds(k));
            let found = run.stray.get_or_insert_with(Vec::new);
            for k in strays {
                if run.stray_seen.insert(k.to_vec()) {
                    found.push(k.to_vec());
                }
            }
            if held || found.len() >= PROBE_KEYS_MAX {
                self.stop_run(run);
                run.probing = false;
                return fail(b"shardis: the script reached a key on another shard");
            }
            run.probing = true;
        }
        let Some(op) = ops::lookup(spec.id as u16) else {
            return fail(b"Unknown Redis command called from script");
        };
        // Redis sorts a set that SORT would leave unordered (BY a
        // constant) when a script asks, so the script's result is the
        // same everywhere: as if ALPHA were given.
        let argv = match spec.id {
            Cmd::Sort | Cmd::SortRo
                if matches!(
                    argv.get(1).and_then(|k| self.ks.get_mut(k)),
                    Some(ValueMut::Set(_))
                ) =>
            {
                sort_ordered(&argv).unwrap_or(argv)
            }
            _ => argv,
        };
        // SORT's options moved: its STORE key's position with them.
        let keys = match spec.id {
            Cmd::Sort | Cmd::SortRo => keys_and_flags(spec, &argv).ok(),
            _ => keys,
        };
        if !matches!(op, Op::Data(_)) {
            let msg = format!(
                "shardis: {} cannot run inside a script",
                spec.name.to_uppercase()
            );
            return fail(msg.as_bytes());
        }
        let mut buf = std::mem::take(&mut run.buf);
        let mut r = Reply::new(&mut buf, proto);
        // The steps that undo this write (one per key), kept once it
        // succeeded.
        let mut step = [None, None];
        // The same, for the transaction the run is in.
        let mut tx_steps = None;
        // A probing run's writes are all put back when it ends (module
        // docs): kept as outside a transaction, never the transaction's.
        let tx = run.tx.filter(|_| !run.probing);
        match (write, tx) {
            // As any command of the transaction: a step where one undoes
            // the write (a push on a long list, an XADD on a big stream),
            // else an image of each key.
            (true, Some(t)) => match self.undo_step(t, spec.id, &argv) {
                Ok(s) => tx_steps = Some(s),
                Err(()) => self.capture_undo(t, spec.id, &argv),
            },
            // With one shard nothing can stray, and with no lock held
            // nothing can block: no undo needed then.
            (true, None) if run.undoable || run.probing => {
                if let Some(keys) = &keys {
                    step = self.keep_for_run(run, spec, &argv, keys);
                }
            }
            _ => {}
        }
        // A SORT's pattern keys were checked above, by the script's rules.
        let sort = matches!(spec.id, Cmd::Sort | Cmd::SortRo);
        if sort {
            self.sort_scope = crate::commands::sort::SortScope::Checked;
        }
        if run.monitor {
            common::notify::push_monitor(&mut self.notes.blob, self.ks.selected(), &argv);
        }
        let start = r.buffer().len();
        let changes = self.execute(spec.id, op, &argv, &mut r);
        if sort {
            self.sort_scope = crate::commands::sort::SortScope::Own;
        }
        let failed = matches!(buf.get(start), Some(b'-' | b'!'));
        putback::keep_step(run, step, failed);
        if let (Some(t), Some(steps), false) = (tx, tx_steps, failed) {
            self.add_undo_steps(t, &argv, steps);
        }
        if write && changes.any() {
            run.wrote = true;
            self.script_watch.wrote();
            match tx {
                Some(t) => {
                    let form = rewrite::logged(&mut self.ks, &argv, &buf);
                    self.add_tx_effects(t, form, changes)
                }
                // A log that keeps no records (`appendonly no`) only
                // counts the run's changes: no record is built.
                None if !self.log.keeps_log() => run.changes += changes.0,
                None => {
                    let db = self.ks.selected();
                    // Straight into the run's record, as it came or
                    // rewritten (`rewrite::effect`).
                    match rewrite::effect(&mut self.ks, &argv, &buf) {
                        rewrite::LogForm::Skip => {}
                        rewrite::LogForm::AsIs => run.log_effect(db, &argv, changes.0),
                        rewrite::LogForm::Rewritten(form) => run.log_effect(db, &form, changes.0),
                    }
                }
            }
            self.notify_after(spec.id, &argv);
            if tx.is_some() || !(run.undoable || run.probing) {
                self.touch_watched(spec.id, &argv);
            } else if self.anyone_told_of_writes() {
                // Touched when the run ends whole: a run put back (it
                // strayed, or met a held key) changed nothing anyone
                // watches or waits for.
                run.touched.push(Touched {
                    db: self.ks.selected(),
                    id: spec.id,
                    argv: argv.iter().map(|a| a.to_vec()).collect(),
                    unchanged: argv
                        .iter()
                        .filter(|a| self.ks.is_unchanged(a))
                        .map(|a| a.to_vec())
                        .collect(),
                });
            }
        }
        // A probing run's calls are not the script's: the run that stays
        // counts them.
        match run.probing {
            false => self.stats.end(Some(spec.id), 0, &argv, run.origin, &buf),
            true => self.stats.end_uncounted(),
        }
        run.buf = buf;
        self.script_reply(lua, run, raise)
    }

    /// `SELECT db` inside a script: the database of the script's later
    /// calls (its caller's comes back when it ends). A script over several
    /// shards runs on copies of the keys of its client's database: it
    /// cannot go to another.
    pub(super) fn script_select(&mut self, run: &mut Run, argv: &[&[u8]], proto: Proto) {
        let mut buf = std::mem::take(&mut run.buf);
        let mut r = Reply::new(&mut buf, proto);
        let n = argv
            .get(1)
            .and_then(|a| common::num::parse_i64(a))
            .and_then(|n| i32::try_from(n).ok());
        match n.map(|n| usize::try_from(n).ok().filter(|&n| n < self.ks.databases())) {
            None => r.error("ERR value is not an integer or out of range"),
            Some(None) => r.error("ERR DB index is out of range"),
            Some(Some(db)) if db != self.ks.selected() && run.tx.is_some() => {
                r.error("ERR shardis: a script over several shards cannot SELECT another database")
            }
            Some(Some(db)) => {
                self.select_db(db);
                r.ok();
            }
        }
        // Counted as the script's other calls are (calls, failures,
        // error statistics).
        self.stats.end(Some(Cmd::Select), 0, argv, run.origin, &buf);
        run.buf = buf;
    }

    /// The reply in `run.buf` as `redis.call` returns it.
    pub(super) fn script_reply(
        &mut self,
        lua: &Lua,
        run: &mut Run,
        raise: bool,
    ) -> mlua::Result<(Value, bool)> {
        if call::hand_over(&mut run.buf) {
            return Ok((Value::Nil, false));
        }
        let v = convert::reply_to_lua(lua, &run.buf)?.unwrap_or(Value::Nil);
        let is_error = run.buf.first() == Some(&b'-');
        Ok((v, raise && is_error))
    }
}
