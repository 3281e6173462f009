//! What a transaction over several shards keeps to undo its writes: an
//! image of each key before its first write, or for the writes steps undo
//! (`txlog::Delta`) on a key that existed, the steps
//! (`shardd/TRANSACTIONS.md`, "Run").

use common::table::{keyspec::keys_and_flags, Cmd};

use super::{copy_target_db, db_number};
use crate::{
    persist::{
        txlog::{Delta, Step, Undoing},
        WriteLog,
    },
    server::Engine,
};

/// The steps that undo one write, at most one per key (a list move has
/// two keys): each with its key's argument position and expiry.
pub(crate) type KeySteps = [Option<(usize, Step, Option<u64>)>; 2];

impl<L: WriteLog> Engine<L> {
    /// Keeps the undo images of the keys command `id` may write.
    pub(crate) fn capture_undo(&mut self, t: u64, id: Cmd, args: &[&[u8]]) {
        let Some(x) = self.xtx.txns.get_mut(&t) else {
            return;
        };
        x.undo.db = x.db;
        // The command's database: the transaction's, or another after a
        // SELECT in the MULTI.
        let db = self.ks.selected();
        // A write to another database than the transaction's makes the
        // images name their database (`Undo::tagged`).
        let elsewhere = match id {
            Cmd::Move => args.get(2).and_then(|a| db_number(a)),
            Cmd::Copy => copy_target_db(args),
            _ => None,
        }
        .filter(|&d| d != db && d < self.ks.databases());
        if matches!(id, Cmd::Flushall | Cmd::Swapdb) || elsewhere.is_some() || db != x.db {
            x.undo.settle(&mut self.ks);
            x.undo.tag();
        }
        match id {
            Cmd::Flushall | Cmd::Swapdb => {
                // Every key of every database, once; undoing empties them
                // all and puts the images back.
                if !x.undo.all {
                    for d in self.ks.used_dbs() {
                        let mut keys = Vec::new();
                        self.ks
                            .in_db(d, |ks| ks.for_each_key(|k, _| keys.push(k.to_vec())));
                        for k in keys {
                            x.undo.keep_in(&mut self.ks, d, &k);
                        }
                    }
                    x.undo.all = true;
                }
                return;
            }
            Cmd::Flushdb => {
                if !x.undo.all {
                    let mut keys = Vec::new();
                    self.ks.for_each_key(|k, _| keys.push(k.to_vec()));
                    for k in keys {
                        x.undo.keep_in(&mut self.ks, db, &k);
                    }
                    // Untagged, undoing empties the database first; tagged,
                    // `all` would mean every database, and the images of
                    // every key there was are enough.
                    x.undo.all = !x.undo.tagged;
                }
                return;
            }
            _ => {}
        }
        if let (Some(to), Some(key)) = (elsewhere, args.get(if id == Cmd::Move { 1 } else { 2 })) {
            x.undo.keep_in(&mut self.ks, to, key);
        }
        let Ok(keys) = keys_and_flags(id.spec(), args) else {
            return;
        };
        for (pos, flags) in keys {
            if common::table::keyspec::may_change(id.spec(), flags) {
                x.undo.keep_in(&mut self.ks, db, args[pos]);
            }
        }
    }

    /// How transaction `t` undoes write `args` by steps instead of images
    /// (`txlog::Delta`): a list push or pop, a list move, a set SADD or
    /// SREM... on a key that existed when `t` first wrote it (or that has
    /// a delta already). `Ok(steps)`: each key's step, kept once the
    /// command succeeded, with the key's argument position and its expiry
    /// now (the delta's, when it is the first); none for a key an image
    /// covers or the write does not change. A key the write may change
    /// that steps cannot undo (absent, or a write of another kind to it)
    /// gets its image here. `Err`: images of every key, as any other
    /// write ([`Engine::capture_undo`]).
    pub(crate) fn undo_step(&mut self, t: u64, id: Cmd, args: &[&[u8]]) -> Result<KeySteps, ()> {
        // Only the writes steps undo: for any other, an image of every key
        // it may change.
        if !Step::takes(id) {
            return Err(());
        }
        let db = self.ks.selected();
        let Some(x) = self.xtx.txns.get_mut(&t) else {
            return Err(());
        };
        if x.undo.tagged || x.undo.all || db != x.db {
            return Err(());
        }
        x.undo.db = x.db;
        let positions: &[usize] = match id {
            Cmd::Rpoplpush | Cmd::Lmove => &[1, 2],
            _ => &[1],
        };
        let mut out: KeySteps = [None, None];
        for (i, &pos) in positions.iter().enumerate() {
            let Some(key) = args.get(pos) else {
                return Err(());
            };
            if x.undo.has(key) {
                continue;
            }
            let delta = x.undo.deltas.iter().any(|d| d.key == *key);
            if !delta && !self.ks.exists(key) {
                // Its image is "absent": as small as a step.
                x.undo.keep_in(&mut self.ks, db, key);
                continue;
            }
            let step = match Step::undoing_at(&mut self.ks, id, args, pos) {
                Undoing::Step(step) => step,
                Undoing::Nothing => continue,
                Undoing::Image => {
                    x.undo.keep_in(&mut self.ks, db, key);
                    continue;
                }
            };
            let expiry = match delta {
                true => None,
                false => self.ks.expire_at(key).flatten(),
            };
            out[i] = Some((pos, step, expiry));
        }
        Ok(out)
    }

    /// Keeps the steps [`Engine::undo_step`] gave for write `args`, once
    /// it succeeded.
    pub(crate) fn add_undo_steps(&mut self, t: u64, args: &[&[u8]], steps: KeySteps) {
        for (pos, step, expiry) in steps.into_iter().flatten() {
            if let Some(key) = args.get(pos) {
                self.add_undo_step(t, key, step, expiry);
            }
        }
    }

    /// Keeps `step` in `key`'s delta (a new one with `expiry`).
    fn add_undo_step(&mut self, t: u64, key: &[u8], step: Step, expiry: Option<u64>) {
        let Some(x) = self.xtx.txns.get_mut(&t) else {
            return;
        };
        x.undo.db = x.db;
        match x.undo.delta_mut(key) {
            Some(d) => d.steps.push(step),
            None => x.undo.deltas.push(Delta {
                key: key.to_vec(),
                expiry,
                steps: vec![step],
            }),
        }
    }
}
