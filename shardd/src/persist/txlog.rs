//! The log records of transactions over several shards, and how loading
//! replays them (`shardd/TRANSACTIONS.md` has the protocol).
//!
//! A transaction's effects are applied in memory when its commands run,
//! with an undo [`Image`] of every key before its first write. What reaches
//! the log:
//!
//! - `SHARDD.TXPREP T decider all n images... forms...`: a participant
//!   prepared: the undo images and the effects not logged yet (group
//!   framing, as [`super::group`]). Replay applies the effects and keeps
//!   the images until the outcome.
//! - `SHARDD.TXUNDO T all n images...`: written at the head of a new
//!   generation's log for a transaction that was running when the
//!   generation was cut (its effects so far are in the snapshot).
//! - `SHARDD.TXPREPARED T decider`: the same for a prepared one.
//! - `SHARDD.TXCOMMIT T remember forms...`: the outcome on this shard; on
//!   the decider it carries its own effects and (`remember` = 1) makes it
//!   keep the decision for participants that may still ask.
//! - `SHARDD.TXABORT T`: undo (the images are applied).
//! - `SHARDD.TXFORGET T`: every participant applied the decision.
//! - `SHARDD.TXDECIDED T...`: the decisions kept, at a generation's head.
//!
//! At the end of the log a transaction that never prepared is undone (it
//! was never decided commit: the decider commits only after every
//! participant prepared); a prepared one is in doubt: its effects stay,
//! its keys stay locked, and the proxy asks its decider.

use ahash::{AHashMap as HashMap, AHashSet as HashSet};

use common::{num::parse_i64, slotset::SlotSet};

mod delta;

pub use delta::{Delta, Step, Undoing};

use super::group::{self, GROUP};
use crate::{
    dump,
    keyspace::{db_key, split_db_key, Keyspace},
};

/// Record names.
pub const TXPREP: &[u8] = b"SHARDD.TXPREP";
/// See the module docs.
pub const TXUNDO: &[u8] = b"SHARDD.TXUNDO";
/// See the module docs.
pub const TXPREPARED: &[u8] = b"SHARDD.TXPREPARED";
/// See the module docs.
pub const TXCOMMIT: &[u8] = b"SHARDD.TXCOMMIT";
/// See the module docs.
pub const TXABORT: &[u8] = b"SHARDD.TXABORT";
/// See the module docs.
pub const TXFORGET: &[u8] = b"SHARDD.TXFORGET";
/// See the module docs.
pub const TXDECIDED: &[u8] = b"SHARDD.TXDECIDED";
/// `SHARDD.FUNCTIONS code...`: the whole set of function libraries after
/// a FUNCTION LOAD, DELETE, FLUSH or RESTORE (`crate::script`).
pub const FUNCTIONS: &[u8] = b"SHARDD.FUNCTIONS";
/// `SHARDD.POPPED token reply`: a blocked client's pop answered `reply`
/// (`Keyspace::remember_popped`), logged right after the pop, and again
/// at the head of each new generation for every pop still remembered.
pub const POPPED: &[u8] = b"SHARDD.POPPED";

/// A key as it was before a transaction first wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The key.
    pub key: Vec<u8>,
    /// Its value in DUMP form and its absolute expiry; `None`: absent.
    pub value: Option<(Vec<u8>, Option<u64>)>,
}

impl Image {
    /// `key` as it is in `ks` now.
    pub fn capture(ks: &mut Keyspace, key: &[u8]) -> Image {
        // As written (a string's OBJECT ENCODING, a skiplist sorted set):
        // putting it back changes nothing a client can see. One lookup,
        // which counts no keyspace hit or miss.
        let value = ks.with_live(key, |v, expiry, mark| {
            (dump::encode_marked(v, mark), expiry)
        });
        Image {
            key: key.to_vec(),
            value,
        }
    }

    /// Key `key` of database `db` as it is in `ks` now, named by its
    /// `keyspace::db_key` (a tagged undo's image).
    pub fn capture_in(ks: &mut Keyspace, db: usize, key: &[u8]) -> Image {
        let mut i = ks.in_db(db, |ks| Image::capture(ks, key));
        i.key = db_key(db, key);
        i
    }

    /// Puts the key back as it was.
    pub fn restore(&self, ks: &mut Keyspace) {
        Self::restore_as(&self.key, &self.value, ks);
    }

    /// Puts the key back in its database (the image of a tagged undo).
    fn restore_tagged(&self, ks: &mut Keyspace) {
        let (db, key) = split_db_key(&self.key);
        ks.in_db(db, |ks| Self::restore_as(key, &self.value, ks));
    }

    fn restore_as(key: &[u8], value: &Option<(Vec<u8>, Option<u64>)>, ks: &mut Keyspace) {
        ks.remove(key);
        if let Some((payload, expiry)) = value {
            match dump::decode_marked(payload) {
                Ok((v, mark)) => {
                    ks.insert_with_expiry(key, v, *expiry);
                    ks.mark_str(key, mark);
                }
                // Images are made by this build from live values.
                Err(e) => tracing::error!("an undo image could not be read: {e}"),
            }
        }
    }

    fn push_args(&self, out: &mut Vec<Vec<u8>>) {
        out.push(self.key.clone());
        match &self.value {
            None => {
                out.push(b"0".to_vec());
                out.push(Vec::new());
                out.push(b"-1".to_vec());
            }
            Some((payload, expiry)) => {
                out.push(b"1".to_vec());
                out.push(payload.clone());
                out.push(expiry.map_or(-1, |e| e as i64).to_string().into_bytes());
            }
        }
    }

    fn parse(args: &[&[u8]]) -> Option<Image> {
        let [key, present, payload, expiry] = args else {
            return None;
        };
        let value = match *present {
            b"0" => None,
            b"1" => {
                let e = parse_i64(expiry)?;
                Some((payload.to_vec(), u64::try_from(e).ok()))
            }
            _ => return None,
        };
        Some(Image {
            key: key.to_vec(),
            value,
        })
    }
}

/// Undo images of one transaction on one shard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Undo {
    /// The first image of every key it wrote, but those in `deltas`.
    pub images: Vec<Image>,
    /// Keys that existed when it first wrote them and that it changed by
    /// list pushes and pops and set SADDs and SREMs only: undone by steps
    /// ([`Delta`]), never tagged (a tagged undo images them first).
    pub deltas: Vec<Delta>,
    /// It emptied the keyspace (FLUSHALL/FLUSHDB): undoing first clears
    /// it, and `images` then holds every key there was.
    pub all: bool,
    /// The database its keys are in (not in the record: the `SELECT`
    /// before the record in the log says it, so loading sets it).
    pub db: usize,
    /// Its images name their database (each key a `keyspace::db_key`):
    /// the transaction wrote another database than its own (FLUSHALL,
    /// SWAPDB, MOVE, COPY ... DB), and `all` then means every database
    /// was emptied. In the record, `all` is written 2 + `all`.
    pub tagged: bool,
    /// `images`' keys, for lookups in a transaction that wrote many (a
    /// SORT's copies of 100,000 keys); not part of the record.
    pub index: KeyIndex,
}

/// The keys of [`Undo::images`], looked up instead of scanning them once
/// there are more than [`KeyIndex::SCAN_MAX`]; rebuilt whenever it lags
/// behind them (after a parse, a [`Undo::tag`], a struct literal).
/// Never part of an `Undo`'s equality.
#[derive(Debug, Clone, Default)]
pub struct KeyIndex(std::cell::RefCell<HashSet<Vec<u8>>>);

impl KeyIndex {
    /// Below this many images a scan is cheaper than hashing.
    const SCAN_MAX: usize = 16;

    /// Whether one of `images` is `key`'s.
    fn has(&self, images: &[Image], key: &[u8]) -> bool {
        if images.len() <= Self::SCAN_MAX {
            return images.iter().any(|i| i.key == key);
        }
        let mut seen = self.0.borrow_mut();
        if seen.len() != images.len() {
            seen.clear();
            seen.extend(images.iter().map(|i| i.key.clone()));
        }
        seen.contains(key)
    }

    /// `key`'s image was just added as the last of `images`.
    fn added(&self, images: &[Image], key: &[u8]) {
        let mut seen = self.0.borrow_mut();
        if seen.len() + 1 == images.len() {
            seen.insert(key.to_vec());
        }
    }
}

impl PartialEq for KeyIndex {
    fn eq(&self, _: &KeyIndex) -> bool {
        true
    }
}

impl Eq for KeyIndex {}

impl Undo {
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty() && self.deltas.is_empty() && !self.all
    }

    /// The delta of `key` (of the transaction's database), if it has one.
    pub fn delta_mut(&mut self, key: &[u8]) -> Option<&mut Delta> {
        self.deltas.iter_mut().find(|d| d.key == key)
    }

    /// Turns every delta into an image (see [`Delta::image_before`]),
    /// before the undo is tagged.
    pub fn settle(&mut self, ks: &mut Keyspace) {
        for d in std::mem::take(&mut self.deltas) {
            let image = ks.in_db(self.db, |ks| d.image_before(ks));
            self.images.push(image);
            self.index.added(&self.images, &d.key);
        }
    }

    /// Whether `key` (of the transaction's database) has its image
    /// already.
    pub fn has(&self, key: &[u8]) -> bool {
        if self.tagged {
            return self.has_in(self.db, key);
        }
        self.index.has(&self.images, key)
    }

    /// Whether `key` of database `db` has its image already (tagged).
    pub fn has_in(&self, db: usize, key: &[u8]) -> bool {
        self.index.has(&self.images, &db_key(db, key))
    }

    /// Makes the images name their database (see [`Undo::tagged`]). An
    /// untagged `all` (a FLUSHDB: the images hold every key the database
    /// had) is dropped: tagged, it would empty every database.
    pub fn tag(&mut self) {
        debug_assert!(self.deltas.is_empty(), "settle the deltas first");
        if !self.tagged {
            for i in &mut self.images {
                i.key = db_key(self.db, &i.key);
            }
            // Its keys changed: rebuilt at the next lookup.
            self.index = KeyIndex::default();
            self.tagged = true;
            self.all = false;
        }
    }

    /// Keeps the image of `key` of the transaction's database, unless it
    /// has one.
    pub fn keep(&mut self, ks: &mut Keyspace, key: &[u8]) {
        self.keep_in(ks, self.db, key);
    }

    /// Keeps the image of `key` of database `db` (which must be the
    /// transaction's unless tagged), unless it has one.
    pub fn keep_in(&mut self, ks: &mut Keyspace, db: usize, key: &[u8]) {
        if self.tagged {
            if !self.has_in(db, key) {
                self.images.push(Image::capture_in(ks, db, key));
                self.index.added(&self.images, &db_key(db, key));
            }
        } else if !self.has(key) {
            let i = match self.deltas.iter().position(|d| d.key == key) {
                // A write its steps cannot undo: the image before them.
                Some(at) => {
                    let d = self.deltas.swap_remove(at);
                    ks.in_db(db, |ks| d.image_before(ks))
                }
                None => ks.in_db(db, |ks| Image::capture(ks, key)),
            };
            self.images.push(i);
            self.index.added(&self.images, key);
        }
    }

    /// Puts every key back as it was, in its database.
    pub fn apply(&self, ks: &mut Keyspace) {
        if self.tagged {
            if self.all {
                ks.clear_all();
            }
            for i in &self.images {
                i.restore_tagged(ks);
            }
            return;
        }
        ks.in_db(self.db, |ks| {
            if self.all {
                ks.clear();
            }
            for i in &self.images {
                i.restore(ks);
            }
            for d in &self.deltas {
                d.apply(ks);
            }
        });
    }

    /// `flag n images... [m deltas...]`: `flag` is `all` + 2 `tagged` +
    /// 4 when deltas follow the images (records written before deltas
    /// existed have none).
    fn push_args(&self, out: &mut Vec<Vec<u8>>) {
        let flag =
            u8::from(self.all) + 2 * u8::from(self.tagged) + 4 * u8::from(!self.deltas.is_empty());
        out.push(flag.to_string().into_bytes());
        out.push(self.images.len().to_string().into_bytes());
        for i in &self.images {
            i.push_args(out);
        }
        if !self.deltas.is_empty() {
            out.push(self.deltas.len().to_string().into_bytes());
            self.deltas.iter().for_each(|d| d.push_args(out));
        }
    }

    /// Parses `all n images...`; returns the undo and the rest.
    fn parse<'a, 'b>(args: &'a [&'b [u8]]) -> Option<(Undo, &'a [&'b [u8]])> {
        let (all, rest) = args.split_first()?;
        let (n, rest) = rest.split_first()?;
        let n = usize::try_from(parse_i64(n)?).ok()?;
        let end = n.checked_mul(4)?;
        if end > rest.len() {
            return None;
        }
        let images = rest[..end]
            .chunks(4)
            .map(Image::parse)
            .collect::<Option<Vec<_>>>()?;
        let flag = match *all {
            [d @ b'0'..=b'7'] => d - b'0',
            _ => return None,
        };
        let mut rest = &rest[end..];
        let mut deltas = Vec::new();
        if flag & 4 != 0 {
            let (m, after) = rest.split_first()?;
            rest = after;
            for _ in 0..usize::try_from(parse_i64(m)?).ok()? {
                let (d, after) = Delta::parse(rest)?;
                deltas.push(d);
                rest = after;
            }
        }
        let undo = Undo {
            images,
            deltas,
            all: flag & 1 != 0,
            db: 0,
            tagged: flag & 2 != 0,
            index: KeyIndex::default(),
        };
        Some((undo, rest))
    }

    /// The keys it covers.
    pub fn keys(&self) -> impl Iterator<Item = &[u8]> {
        let deltas = self.deltas.iter().map(|d| d.key.as_slice());
        self.images.iter().map(|i| i.key.as_slice()).chain(deltas)
    }
}

fn id_arg(t: u64) -> Vec<u8> {
    t.to_string().into_bytes()
}

fn push_forms(out: &mut Vec<Vec<u8>>, forms: &[Vec<Vec<u8>>]) {
    for f in forms {
        group::push_command(out, f.clone());
    }
}

/// `SHARDD.TXPREP T decider undo forms`.
pub fn prep_record(t: u64, decider: u64, undo: &Undo, forms: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let mut out = vec![TXPREP.to_vec(), id_arg(t), id_arg(decider)];
    undo.push_args(&mut out);
    push_forms(&mut out, forms);
    out
}

/// `SHARDD.TXUNDO T undo`.
pub fn undo_record(t: u64, undo: &Undo) -> Vec<Vec<u8>> {
    let mut out = vec![TXUNDO.to_vec(), id_arg(t)];
    undo.push_args(&mut out);
    out
}

/// `SHARDD.TXPREPARED T decider`.
pub fn prepared_record(t: u64, decider: u64) -> Vec<Vec<u8>> {
    vec![TXPREPARED.to_vec(), id_arg(t), id_arg(decider)]
}

/// `SHARDD.TXCOMMIT T remember forms`.
pub fn commit_record(t: u64, remember: bool, forms: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let flag = if remember {
        b"1".to_vec()
    } else {
        b"0".to_vec()
    };
    let mut out = vec![TXCOMMIT.to_vec(), id_arg(t), flag];
    push_forms(&mut out, forms);
    out
}

/// A record naming one transaction: `name T`.
pub fn marker(name: &[u8], t: u64) -> Vec<Vec<u8>> {
    vec![name.to_vec(), id_arg(t)]
}

/// `SHARDD.TXDECIDED T...`.
pub fn decided_record(decided: &HashSet<u64>) -> Vec<Vec<u8>> {
    let mut out = vec![TXDECIDED.to_vec()];
    let mut ids: Vec<u64> = decided.iter().copied().collect();
    ids.sort_unstable();
    out.extend(ids.into_iter().map(id_arg));
    out
}

fn parse_id(a: Option<&&[u8]>) -> Option<u64> {
    a.and_then(|a| parse_i64(a))
        .and_then(|t| u64::try_from(t).ok())
}

/// A transaction prepared here whose outcome the log does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InDoubt {
    /// Its id.
    pub t: u64,
    /// The shard that decides it.
    pub decider: u64,
    /// How to undo it if it aborted.
    pub undo: Undo,
}

/// What loading found about transactions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Prepared and undecided: their keys stay locked until resolved.
    pub in_doubt: Vec<InDoubt>,
    /// Commit decisions this shard keeps for participants (as decider).
    pub decided: HashSet<u64>,
}

struct Pending {
    undo: Undo,
    decider: Option<u64>,
}

/// Replays log records in order, keeping the transactions whose outcome
/// is not known yet.
#[derive(Default)]
pub struct Replay {
    pending: HashMap<u64, Pending>,
    decided: HashSet<u64>,
    scratch: Vec<u8>,
}

impl Replay {
    /// Applies one record; false if it is a damaged transaction or group
    /// record (nothing of it applied).
    pub fn apply(&mut self, ks: &mut Keyspace, args: &[&[u8]]) -> bool {
        let Some(&name) = args.first() else {
            return false;
        };
        match name {
            GROUP => group::replay(ks, args, &mut self.scratch),
            TXPREP => {
                let (Some(t), Some(decider)) = (parse_id(args.get(1)), parse_id(args.get(2)))
                else {
                    return false;
                };
                let Some((mut undo, rest)) = Undo::parse(&args[3..]) else {
                    return false;
                };
                undo.db = ks.selected();
                let Some(forms) = group::commands(rest) else {
                    return false;
                };
                self.run(ks, &forms);
                let p = self.pending.entry(t).or_insert(Pending {
                    undo: Undo::default(),
                    decider: None,
                });
                p.undo = undo;
                p.decider = Some(decider);
                true
            }
            TXUNDO => {
                let Some(t) = parse_id(args.get(1)) else {
                    return false;
                };
                let Some((mut undo, _)) = Undo::parse(&args[2..]) else {
                    return false;
                };
                undo.db = ks.selected();
                self.pending.insert(
                    t,
                    Pending {
                        undo,
                        decider: None,
                    },
                );
                true
            }
            TXPREPARED => {
                let (Some(t), Some(decider)) = (parse_id(args.get(1)), parse_id(args.get(2)))
                else {
                    return false;
                };
                if let Some(p) = self.pending.get_mut(&t) {
                    p.decider = Some(decider);
                }
                true
            }
            TXCOMMIT => {
                let Some(t) = parse_id(args.get(1)) else {
                    return false;
                };
                let Some(forms) = group::commands(args.get(3..).unwrap_or(&[])) else {
                    return false;
                };
                self.run(ks, &forms);
                self.pending.remove(&t);
                if args.get(2) == Some(&&b"1"[..]) {
                    self.decided.insert(t);
                }
                true
            }
            TXABORT => {
                let Some(t) = parse_id(args.get(1)) else {
                    return false;
                };
                if let Some(p) = self.pending.remove(&t) {
                    p.undo.apply(ks);
                }
                true
            }
            TXFORGET => {
                let Some(t) = parse_id(args.get(1)) else {
                    return false;
                };
                self.decided.remove(&t);
                true
            }
            TXDECIDED => {
                for a in &args[1..] {
                    if let Some(t) = parse_id(Some(a)) {
                        self.decided.insert(t);
                    }
                }
                true
            }
            FUNCTIONS => {
                ks.set_functions(args[1..].iter().map(|c| c.to_vec()).collect());
                true
            }
            crate::slots::SLOTLOAD => args
                .get(1)
                .is_some_and(|blob| crate::slots::load_blob(ks, blob).is_ok()),
            crate::slots::SLOTDROP => match args.get(1).and_then(|r| SlotSet::parse(r)) {
                Some(slots) => {
                    crate::slots::drop_slots(ks, &slots, |_, _| {});
                    true
                }
                None => false,
            },
            POPPED => match (parse_id(args.get(1)), args.get(2)) {
                (Some(token), Some(reply)) => {
                    ks.remember_popped(token, reply);
                    true
                }
                _ => false,
            },
            _ => group::replay(ks, args, &mut self.scratch),
        }
    }

    fn run(&mut self, ks: &mut Keyspace, forms: &[&[&[u8]]]) {
        for f in forms {
            group::replay_one(ks, f, &mut self.scratch);
        }
    }

    /// The end of the log: transactions that never prepared are undone;
    /// the prepared ones are in doubt.
    pub fn finish(self, ks: &mut Keyspace) -> Recovered {
        let mut in_doubt = Vec::new();
        let mut pending: Vec<(u64, Pending)> = self.pending.into_iter().collect();
        pending.sort_unstable_by_key(|(t, _)| *t);
        for (t, p) in pending {
            match p.decider {
                None => p.undo.apply(ks),
                Some(decider) => in_doubt.push(InDoubt {
                    t,
                    decider,
                    undo: p.undo,
                }),
            }
        }
        Recovered {
            in_doubt,
            decided: self.decided,
        }
    }
}

#[cfg(test)]
mod tests;
