//! Transactions and WATCH on one shard.
//!
//! - `SHARDD.TX watcher framed-commands...`: a transaction whose keys are
//!   all on this shard (the proxy's MULTI queue, framed with
//!   `common::wire::tx_commands`). The shard checks the watcher (see
//!   [`crate::watch`]), forgets it (EXEC unwatches), then runs the
//!   commands one after the other, with nothing in between since the shard
//!   has one thread, and answers one array (or a null array when a watched
//!   key changed). The writes go to the log as ONE group record
//!   (`persist::group`), so a crash never leaves half of it.
//! - `SHARDD.WATCH watcher key...` and `SHARDD.UNWATCH watcher`.
//!
//! Every write the shard runs tells the watches which keys it wrote
//! ([`Engine::touch_watched`]), from the table's key specs; a FLUSHALL or
//! FLUSHDB tells them before it empties the keyspace.

use common::{
    num::parse_i64,
    reply::Reply,
    table::{flags::F_WRITE, keyspec::keys_and_flags, Cmd},
    wire::tx_commands,
};
use smallvec::SmallVec;

use crate::{
    commands::Changes,
    ops::{self, Op},
    persist::{group, rewrite, WriteLog},
    server::Engine,
};

pub(crate) use common::table::keyspec::WRITE_KEY_FLAGS;

/// The transaction commands a shard runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxCmd {
    /// `SHARDD.TX`.
    Tx,
    /// `SHARDD.WATCH`.
    Watch,
    /// `SHARDD.UNWATCH`.
    Unwatch,
    /// `SHARDD.TXLOCK` (the steps of a transaction over several shards,
    /// `crate::xtx`).
    Lock,
    /// `SHARDD.TXPREPARE`.
    Prepare,
    /// `SHARDD.TXCOMMIT`.
    Commit,
    /// `SHARDD.TXABORT`.
    Abort,
    /// `SHARDD.TXDECIDE`.
    Decide,
    /// `SHARDD.TXRESOLVE`.
    Resolve,
    /// `SHARDD.TXFORGET`.
    Forget,
    /// `SHARDD.TXINDOUBT`.
    InDoubt,
    /// `SHARDD.SORT`: a SORT with patterns inside a transaction over
    /// several shards (`crate::commands::sort`).
    Sort,
    /// `SHARDD.UNFENCE`: a client's requests held behind its script call
    /// that strayed run now (`crate::xtx::fence`).
    Unfence,
}

/// The transaction command `id`, if it is one.
pub const fn command(id: Cmd) -> Option<TxCmd> {
    Some(match id {
        Cmd::SharddTx => TxCmd::Tx,
        Cmd::SharddWatch => TxCmd::Watch,
        Cmd::SharddUnwatch => TxCmd::Unwatch,
        Cmd::SharddTxlock => TxCmd::Lock,
        Cmd::SharddTxprepare => TxCmd::Prepare,
        Cmd::SharddTxcommit => TxCmd::Commit,
        Cmd::SharddTxabort => TxCmd::Abort,
        Cmd::SharddTxdecide => TxCmd::Decide,
        Cmd::SharddTxresolve => TxCmd::Resolve,
        Cmd::SharddTxforget => TxCmd::Forget,
        Cmd::SharddTxindoubt => TxCmd::InDoubt,
        Cmd::SharddSort => TxCmd::Sort,
        Cmd::SharddUnfence => TxCmd::Unfence,
        _ => return None,
    })
}

/// A transaction record's commands, read in place.
type TxCmds<'a, 'b> = SmallVec<[(Cmd, &'a [&'b [u8]]); 8]>;

/// The watcher id of a request (0: none).
fn watcher_of(args: &[&[u8]]) -> Option<u64> {
    args.get(1)
        .and_then(|w| parse_i64(w))
        .and_then(|w| u64::try_from(w).ok())
}

impl<L: WriteLog> Engine<L> {
    /// `SHARDD.TX watcher framed-commands...`.
    pub(crate) fn serve_tx(&mut self, args: &[&[u8]], origin: u64, reply: &mut Reply) {
        let framed = args.get(2..).unwrap_or(&[]);
        let cmds: Option<TxCmds> = tx_commands(framed).collect();
        let (Some(watcher), Some(cmds)) = (watcher_of(args), cmds) else {
            // A record the proxy never builds: run nothing.
            reply.error("ERR malformed transaction record");
            return;
        };
        if watcher != 0 {
            let failed = self.watches.failed(watcher, &mut self.ks);
            self.watches.unwatch(watcher);
            if failed {
                reply.null_array();
                return;
            }
        }
        // SELECT frames (the proxy puts one before a command of another
        // database than the one before it) are answered by the proxy.
        reply.array(cmds.iter().filter(|(id, _)| *id != Cmd::Select).count());
        // The group record, built in place as the commands run: each as
        // it came or rewritten (`rewrite::plan`), its arguments back to
        // back (no allocation per argument).
        let home = self.ks.selected();
        let mut record = group::InDbs::new(home);
        // Without a log, no record: the changes are counted all the same.
        let keeps = self.log.keeps_log();
        let mut total = 0u64;
        for (id, argv) in cmds {
            if id == Cmd::Select {
                let db = argv.get(1).and_then(|d| db_arg(d)).unwrap_or(home);
                self.select_db(db);
                continue;
            }
            let start = reply.buffer().len();
            let changes = match ops::lookup(id as u16) {
                // A transaction inside a transaction: never built by the proxy.
                Some(Op::Tx(_)) | None => {
                    reply.error("ERR command not allowed in a transaction record");
                    Changes::NONE
                }
                Some(op) => self.execute(id, op, argv, reply),
            };
            let body = &reply.buffer()[start..];
            if id.spec().has_flag(F_WRITE) && changes.any() {
                let db = self.ks.selected();
                match keeps {
                    true => match rewrite::effect(&mut self.ks, argv, body) {
                        rewrite::LogForm::Skip => {}
                        rewrite::LogForm::AsIs => record.push(db, argv),
                        rewrite::LogForm::Rewritten(form) => record.push(db, &form),
                    },
                    false => drop(self.ks.take_log_as()),
                }
                total += changes.0;
                self.notify_after(id, argv);
                self.touch_watched(id, argv);
            }
            self.stats.end(Some(id), 0, argv, origin, body);
        }
        // The replay ends where the log's writer is.
        record.end_in(home);
        self.select_db(home);
        if !keeps && total > 0 {
            self.log.count_unlogged(Changes(total));
        } else if !record.is_empty() {
            let record = record.args();
            self.log.append(
                self.ks.selected(),
                &record,
                b"+OK\r\n",
                self.ks.now_ms(),
                Changes(total),
            );
        }
    }

    /// `SHARDD.WATCH watcher key...`: the keys are watched for `watcher`,
    /// which belongs to the channel of proxy worker `owner`.
    pub(crate) fn serve_watch(&mut self, args: &[&[u8]], owner: u64, reply: &mut Reply) {
        let Some(watcher) = watcher_of(args).filter(|&w| w != 0) else {
            reply.error("ERR malformed watch record");
            return;
        };
        let keys = args.get(2..).unwrap_or(&[]).iter().copied();
        match self.watches.watch(watcher, owner, keys, &self.ks) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    /// `SHARDD.UNWATCH watcher`.
    pub(crate) fn serve_unwatch(&mut self, args: &[&[u8]], reply: &mut Reply) {
        match watcher_of(args) {
            Some(w) => {
                self.watches.unwatch(w);
                reply.ok();
            }
            None => reply.error("ERR malformed watch record"),
        }
    }

    /// Whether a write has anyone to tell ([`Engine::touch_watched`]): a
    /// WATCH, a blocked client, a tracking client or a BCAST prefix.
    pub(crate) fn anyone_told_of_writes(&self) -> bool {
        !self.watches.is_empty()
            || !self.blocking.is_empty()
            || !self.tracking.is_empty()
            || self.subs.tracks_prefixes()
    }

    /// Write command `id` ran with `argv` and changed something: its
    /// watchers of the keys it may have written are dirty.
    /// The same hook makes the keys ready for the clients blocked on
    /// them (`crate::blocking`).
    pub(crate) fn touch_watched(&mut self, id: Cmd, argv: &[&[u8]]) {
        if !self.anyone_told_of_writes() {
            return;
        }
        let tracks = !self.tracking.is_empty() || self.subs.tracks_prefixes();
        if matches!(id, Cmd::Flushall | Cmd::Flushdb | Cmd::Swapdb) {
            // Readers blocked in a group learn their stream is gone; a
            // swap may bring values to every waiter.
            self.blocking.signal_all();
        }
        if let Some((db, key)) = self.ks.take_written_elsewhere() {
            // MOVE's key arrived in its new database (COPY ... DB's).
            if !self.watches.is_empty() {
                self.watches.touch(db, &key, &mut self.ks);
            }
            self.blocking.signal(db, &key);
            if tracks {
                self.tracking_changed(&key);
            }
        }
        let Ok(keys) = keys_and_flags(id.spec(), argv) else {
            return;
        };
        for (pos, flags) in keys {
            if flags & WRITE_KEY_FLAGS != 0 && !self.ks.is_unchanged(argv[pos]) {
                let db = self.ks.selected();
                if !self.watches.is_empty() {
                    self.watches.touch(db, argv[pos], &mut self.ks);
                }
                self.blocking.signal(db, argv[pos]);
                if tracks {
                    self.tracking_changed(argv[pos]);
                }
            }
        }
    }

    /// Before command `id` runs with `argv`: a FLUSHALL, FLUSHDB or
    /// SWAPDB tells the watches which watched keys it is about to change.
    pub(crate) fn before_command(&mut self, id: Cmd, argv: &[&[u8]]) {
        let flush = matches!(id, Cmd::Flushall | Cmd::Flushdb);
        if self.watches.is_empty() && !flush {
            return;
        }
        // A flush refused for its argument empties nothing.
        let flush_ok = match argv.get(1..) {
            Some([]) | None => true,
            Some([m]) => m.eq_ignore_ascii_case(b"sync") || m.eq_ignore_ascii_case(b"async"),
            Some(_) => false,
        };
        if flush && flush_ok {
            // Every tracking client hears of it (a null), as from Redis.
            self.tracking.flushed();
        }
        if self.watches.is_empty() {
            return;
        }
        match id {
            Cmd::Flushall | Cmd::Flushdb if !flush_ok => {}
            Cmd::Flushall => self.watches.touch_before_flush(None, &mut self.ks),
            Cmd::Flushdb => {
                let db = self.ks.selected();
                self.watches.touch_before_flush(Some(db), &mut self.ks);
            }
            Cmd::Swapdb => {
                let n = self.ks.databases();
                let dbs = (argv.get(1), argv.get(2));
                if let (Some(a), Some(b)) = dbs {
                    if let (Some(a), Some(b)) = (db_arg(a), db_arg(b)) {
                        if a < n && b < n {
                            self.watches.touch_before_swap(a, b, &mut self.ks);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The log form of `SELECT db` (inside a group record).
pub(crate) fn select_form(db: usize) -> Vec<Vec<u8>> {
    vec![b"SELECT".to_vec(), db.to_string().into_bytes()]
}

/// A database number argument (MOVE, SWAPDB), if it is one.
fn db_arg(a: &[u8]) -> Option<usize> {
    common::num::parse_i64(a).and_then(|n| usize::try_from(n).ok())
}
