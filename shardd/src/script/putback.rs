//! Putting back what a script wrote outside a transaction, when it stops
//! (it strays to another shard's key, or meets a key a transaction holds):
//! a copy of each key before its first write, or for the writes steps
//! undo (`txlog::Delta`) on a key that exists, the steps.

use super::Run;
use crate::{
    keyspace::Saved,
    persist::{
        txlog::{Delta, Step, Undoing},
        WriteLog,
    },
    server::Engine,
};

/// How one key a script wrote (outside a transaction) is put back if the
/// run stops.
pub(super) enum Kept {
    /// Its value, expiry and string mark as they were (`None`: absent).
    Saved(Option<Saved>),
    /// The steps that undo its writes (`txlog::Delta`): a list, set, hash
    /// or sorted set it changed by pushes, pops, SADD, SREM, HSET, ZADD...
    /// only, kept whatever its size, where a copy would be as big as it.
    Steps(Delta),
}

impl<L: WriteLog> Engine<L> {
    /// Keeps what puts back the keys write `argv` (command `spec`, keys
    /// `keys`) may change, before it runs, for a run outside a transaction
    /// that may stop: a copy of each key the first time, or, for a key
    /// that exists and a write steps undo (`Step::undoing_at`), the step
    /// (returned with the place of the key's entry, to keep once the
    /// write succeeded; a list move has one for each of its two keys). A write steps cannot undo on a key kept by steps
    /// turns them into the copy of the key before them.
    pub(super) fn keep_for_run(
        &mut self,
        run: &mut Run,
        spec: &common::table::CommandSpec,
        argv: &[&[u8]],
        keys: &[(usize, u16)],
    ) -> [Option<(usize, Step)>; 2] {
        let db = self.ks.selected();
        let mut out = [None, None];
        for (n, &(pos, flags)) in keys.iter().enumerate() {
            let key = argv[pos];
            if !common::table::keyspec::may_change(spec, flags) {
                continue;
            }
            let at = run.undo.iter().position(|(d, k, _)| *d == db && k == key);
            let undoing = match Step::takes(spec.id) {
                true => Step::undoing_at(&mut self.ks, spec.id, argv, pos),
                false => Undoing::Image,
            };
            match (at, undoing) {
                (None, Undoing::Step(step)) if self.ks.exists(key) => {
                    let expiry = self.ks.expire_at(key).flatten();
                    let delta = Delta {
                        key: key.to_vec(),
                        expiry,
                        steps: Vec::new(),
                    };
                    run.undo.push((db, key.to_vec(), Kept::Steps(delta)));
                    if let Some(o) = out.get_mut(n) {
                        *o = Some((run.undo.len() - 1, step));
                    }
                }
                (None, Undoing::Nothing) => {}
                (None, _) => run
                    .undo
                    .push((db, key.to_vec(), Kept::Saved(self.ks.saved(key)))),
                (Some(i), undoing) => {
                    let Some((_, _, Kept::Steps(d))) = run.undo.get(i) else {
                        continue;
                    };
                    match undoing {
                        Undoing::Step(step) => {
                            if let Some(o) = out.get_mut(n) {
                                *o = Some((i, step));
                            }
                        }
                        Undoing::Nothing => {}
                        Undoing::Image => {
                            run.undo[i].2 = Kept::Saved(d.saved_before(&mut self.ks));
                        }
                    }
                }
            }
        }
        out
    }

    /// Stops the run where it is (it strays, or waits for a key a
    /// transaction holds): what it wrote is put back, each key in its
    /// database, and nothing of it is logged.
    pub(super) fn stop_run(&mut self, run: &mut Run) {
        let db = self.ks.selected();
        for (d, key, kept) in run.undo.drain(..).rev() {
            self.ks.select(d);
            match kept {
                Kept::Saved(saved) => self.ks.put_back(&key, saved),
                Kept::Steps(delta) => delta.apply(&mut self.ks),
            }
        }
        self.ks.select(db);
        run.record.clear(run.home_db);
        run.changes = 0;
    }
}

/// Keeps `step` (returned by `keep_for_run` for the write that just ran)
/// in `run`'s steps of its key unless the write `failed`.
pub(super) fn keep_step(run: &mut Run, kept: [Option<(usize, Step)>; 2], failed: bool) {
    if failed {
        return;
    }
    for (at, step) in kept.into_iter().flatten() {
        if let Some((_, _, Kept::Steps(d))) = run.undo.get_mut(at) {
            d.steps.push(step);
        }
    }
}
