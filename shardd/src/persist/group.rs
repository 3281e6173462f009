//! Group records: the writes of one transaction as ONE log record, so that
//! a crash keeps all of them or none (a torn record at the tail is dropped
//! whole, see [`super::aof`]).
//!
//! Form: `SHARDD.TX`, then for each command its argument count in decimal
//! and its arguments (names, not ids: the log outlives a build's table).
//! [`replay`] is how every log record is applied, grouped or not.

use common::reply::{Proto, Reply};

use crate::{commands::execute, keyspace::Keyspace};

/// The name that starts a group record.
pub const GROUP: &[u8] = b"SHARDD.TX";

/// Appends one command (its arguments, name first) in the framing of a
/// group record, and of the effects in `super::txlog`'s records: its
/// argument count in decimal, then its arguments.
pub fn push_command(out: &mut Vec<Vec<u8>>, command: Vec<Vec<u8>>) {
    out.push(command.len().to_string().into_bytes());
    out.extend(command);
}

/// The first room a [`Flat`] takes: a few commands' worth.
const FLAT_FIRST_BYTES: usize = 256;
const FLAT_FIRST_ARGS: usize = 16;

/// A group record built in place, its arguments back to back in one
/// buffer: a script's effects, one `redis.call` at a time, with two
/// allocations per run rather than one per argument.
#[derive(Debug, Default)]
pub struct Flat {
    args: crate::args::ArgBlob,
}

impl Flat {
    /// Whether no command was pushed.
    pub fn is_empty(&self) -> bool {
        self.args.is_empty()
    }

    /// Forgets every command.
    pub fn clear(&mut self) {
        self.args.clear();
    }

    /// Appends one command (its arguments, name first), as
    /// [`push_command`] frames it; the first starts the record.
    pub fn push_command<A: AsRef<[u8]>>(&mut self, command: &[A]) {
        // Room for the whole command at once (growing a few bytes at a
        // time through the allocator's small classes cost more than the
        // copy).
        let bytes: usize = command.iter().map(|a| a.as_ref().len()).sum::<usize>() + 32;
        let args = command.len() + 2;
        match self.args.unallocated() {
            true => self
                .args
                .reserve(bytes.max(FLAT_FIRST_BYTES), args.max(FLAT_FIRST_ARGS)),
            false => self.args.reserve(bytes, args),
        }
        if self.is_empty() {
            self.args.push(GROUP);
        }
        let mut tmp = [0u8; 20];
        let n = i64::try_from(command.len()).unwrap_or(i64::MAX);
        self.args.push(common::reply::format_i64(n, &mut tmp));
        for a in command {
            self.args.push(a.as_ref());
        }
    }

    /// The record's arguments (a short record's with no allocation).
    pub fn args(&self) -> smallvec::SmallVec<[&[u8]; 16]> {
        self.args.iter().collect()
    }
}

/// A [`Flat`] record of effects run in several databases (a script's, a
/// transaction's): an effect of another database than the one the record
/// so far leaves a replay in goes after a `SELECT` of it.
#[derive(Debug)]
pub struct InDbs {
    flat: Flat,
    /// The database a replay of the record so far is in.
    logged_db: usize,
}

impl InDbs {
    /// An empty record whose replay starts in database `db`.
    pub fn new(db: usize) -> InDbs {
        InDbs {
            flat: Flat::default(),
            logged_db: db,
        }
    }

    /// Appends `form`, which ran in database `db`.
    pub fn push<A: AsRef<[u8]>>(&mut self, db: usize, form: &[A]) {
        if db != self.logged_db {
            self.flat.push_command(&select(db));
            self.logged_db = db;
        }
        self.flat.push_command(form);
    }

    /// Ends the record in database `db` (where the log's writer is).
    pub fn end_in(&mut self, db: usize) {
        if db != self.logged_db && !self.flat.is_empty() {
            self.flat.push_command(&select(db));
            self.logged_db = db;
        }
    }

    /// Forgets every effect; a replay starts in `db` again.
    pub fn clear(&mut self, db: usize) {
        self.flat.clear();
        self.logged_db = db;
    }

    /// Whether no effect was pushed.
    pub fn is_empty(&self) -> bool {
        self.flat.is_empty()
    }

    /// The record's arguments.
    pub fn args(&self) -> smallvec::SmallVec<[&[u8]; 16]> {
        self.flat.args()
    }
}

/// `SELECT db`, as a record logs it.
fn select(db: usize) -> [Vec<u8>; 2] {
    [b"SELECT".to_vec(), db.to_string().into_bytes()]
}

/// The group record of `commands` (each a command's arguments, name first).
#[cfg(test)]
fn record(commands: &[Vec<Vec<u8>>]) -> Vec<Vec<u8>> {
    let mut out = vec![GROUP.to_vec()];
    for c in commands {
        push_command(&mut out, c.clone());
    }
    out
}

/// The commands of a group record's arguments (after its name), or `None`
/// if the framing is broken.
pub fn commands<'a, 'b>(args: &'a [&'b [u8]]) -> Option<Vec<&'a [&'b [u8]]>> {
    let mut out = Vec::new();
    let mut rest = args;
    while let Some((n, tail)) = rest.split_first() {
        let n: usize = std::str::from_utf8(n).ok()?.parse().ok()?;
        if n == 0 || n > tail.len() {
            return None;
        }
        out.push(&tail[..n]);
        rest = &tail[n..];
    }
    Some(out)
}

/// Applies one log record to `ks` (`scratch` takes the replies, which
/// nobody reads); a group record applies each of its commands. Returns
/// false for a group record whose framing is broken (nothing applied).
pub fn replay(ks: &mut Keyspace, args: &[&[u8]], scratch: &mut Vec<u8>) -> bool {
    if args.first() != Some(&GROUP) {
        replay_one(ks, args, scratch);
        return true;
    }
    let Some(cmds) = commands(&args[1..]) else {
        return false;
    };
    for c in cmds {
        replay_one(ks, c, scratch);
    }
    true
}

/// Applies one command, at the time it ran if it is a `SHARDD.AT` record
/// ([`super::rewrite::AT`]).
pub(crate) fn replay_one(ks: &mut Keyspace, args: &[&[u8]], scratch: &mut Vec<u8>) {
    scratch.clear();
    if let [name, db] = args {
        if name.eq_ignore_ascii_case(b"SELECT") {
            // The database of the records that follow (`AofWriter::append_in`).
            if let Some(n) = common::num::parse_i64(db).and_then(|n| usize::try_from(n).ok()) {
                ks.make_room_for_db(n);
                ks.select(n);
            }
            return;
        }
    }
    if args.first() == Some(&super::rewrite::AT) {
        let at = args.get(1).and_then(|t| common::num::parse_i64(t));
        let (Some(at), Some(cmd)) = (at, args.get(2..).filter(|c| !c.is_empty())) else {
            return;
        };
        ks.pin_now(Some(at as u64));
        execute(ks, cmd, &mut Reply::new(scratch, Proto::Resp2));
        ks.pin_now(None);
        // The command's own log form is not wanted here.
        ks.take_log_as();
        return;
    }
    execute(ks, args, &mut Reply::new(scratch, Proto::Resp2));
    ks.take_log_as();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_record_frames_as_a_group_record() {
        let cmds: Vec<Vec<Vec<u8>>> = vec![
            vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()],
            vec![b"SELECT".to_vec(), b"3".to_vec()],
            vec![b"DEL".to_vec(), Vec::new()],
        ];
        let mut flat = super::Flat::default();
        assert!(flat.is_empty());
        for c in &cmds {
            flat.push_command(c);
        }
        let want = super::record(&cmds);
        let want: Vec<&[u8]> = want.iter().map(Vec::as_slice).collect();
        assert_eq!(flat.args().as_slice(), want.as_slice());
        flat.clear();
        assert!(flat.is_empty() && flat.args().is_empty());
    }

    #[test]
    fn effects_in_several_databases_select_between_them_and_end_at_home() {
        let set = |k: &str| vec![b"SET".to_vec(), k.as_bytes().to_vec(), b"v".to_vec()];
        let select = |d: &str| vec![b"SELECT".to_vec(), d.as_bytes().to_vec()];
        let mut r = super::InDbs::new(0);
        r.end_in(0);
        r.end_in(5);
        assert!(r.is_empty(), "nothing to end");
        r.push(0, &set("a"));
        r.push(2, &set("b"));
        r.push(2, &set("c"));
        r.end_in(0);
        let want = super::record(&[set("a"), select("2"), set("b"), set("c"), select("0")]);
        let want: Vec<&[u8]> = want.iter().map(Vec::as_slice).collect();
        assert_eq!(r.args().as_slice(), want.as_slice());
        // Cleared, it starts over in the database given.
        r.clear(2);
        r.push(2, &set("d"));
        let want = super::record(&[set("d")]);
        let want: Vec<&[u8]> = want.iter().map(Vec::as_slice).collect();
        assert_eq!(r.args().as_slice(), want.as_slice());
    }

    fn owned(args: &[&str]) -> Vec<Vec<u8>> {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn a_group_replays_every_command_in_order() {
        let rec = record(&[owned(&["SET", "a", "1"]), owned(&["INCRBY", "a", "41"])]);
        let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
        let mut ks = Keyspace::new();
        let mut scratch = Vec::new();
        assert!(replay(&mut ks, &args, &mut scratch));
        let mut out = Vec::new();
        execute(
            &mut ks,
            &[b"GET", b"a"],
            &mut Reply::new(&mut out, Proto::Resp2),
        );
        assert_eq!(out, b"$2\r\n42\r\n");
    }

    #[test]
    fn select_records_move_the_replay_between_databases() {
        let mut ks = Keyspace::new();
        let mut scratch = Vec::new();
        for rec in [
            &[&b"SET"[..], b"a", b"0"][..],
            &[b"SELECT", b"2"],
            &[b"SET", b"a", b"2"],
            &[b"SELECT", b"0"],
        ] {
            assert!(replay(&mut ks, rec, &mut scratch));
        }
        assert_eq!(ks.db_sizes(), vec![(0, 1, 0), (2, 1, 0)]);
        assert_eq!(ks.selected(), 0);
    }

    #[test]
    fn a_broken_group_applies_nothing() {
        let mut ks = Keyspace::new();
        let mut scratch = Vec::new();
        let bad: [&[u8]; 4] = [GROUP, b"3", b"SET", b"a"];
        assert!(!replay(&mut ks, &bad, &mut scratch));
        assert!(ks.is_empty());
        assert_eq!(commands(&[b"x"]), None);
        assert_eq!(commands(&[b"0"]), None);
    }
}
