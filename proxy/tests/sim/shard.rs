//! The simulated shards run the real shard loop: `shardd::server`'s
//! [`Engine`] and [`serve_channel`] execute requests from the ring, with a
//! [`MemLog`] as their [`WriteLog`]: writes are logged in memory (in the
//! form the data directory's log would hold), committed (as `appendfsync
//! always`) before the replies are published, and a crash keeps the
//! committed log plus a random part of what was written after it. A
//! restart replays the log with `persist::txlog::Replay`, as loading does
//! (transactions over several shards left prepared stay in doubt, locked,
//! until the resolver asks their decider).

use std::{cell::RefCell, rc::Rc};

use rand::Rng;
use shardd::{
    commands::Changes,
    keyspace::Keyspace,
    persist::{
        rewrite::{plan, LogForm},
        txlog::Replay,
        WriteLog,
    },
    server::{serve_channel, Engine},
};

use super::Sim;

/// A shard's log on its (simulated) disk: it outlives the process.
#[derive(Debug, Default)]
pub(super) struct Disk {
    /// Logged write commands in execution order.
    records: Vec<Vec<Vec<u8>>>,
    /// Records made durable so far: a crash never loses them.
    committed: usize,
    /// The next commit fails (as a failed `fsync` does).
    fail_next_commit: bool,
    /// The database the records so far leave a replay in.
    db: Option<usize>,
}

impl Disk {
    /// A crash after its last commit: what was written since is gone.
    pub(super) fn lose_uncommitted(&mut self) {
        self.records.truncate(self.committed);
    }
}

/// The shard process's handle on its [`Disk`].
pub(super) struct MemLog(pub(super) Rc<RefCell<Disk>>);

impl WriteLog for MemLog {
    fn append(&mut self, db: usize, args: &[&[u8]], reply: &[u8], now_ms: u64, _changes: Changes) {
        if reply.first() == Some(&b'-') {
            return;
        }
        let record = match plan(args, reply, now_ms) {
            LogForm::Skip => return,
            LogForm::AsIs => args.iter().map(|a| a.to_vec()).collect(),
            LogForm::Rewritten(cmd) => cmd,
        };
        let mut disk = self.0.borrow_mut();
        if disk.db != Some(db) {
            // As the data directory's log does (`AofWriter::append_in`).
            disk.records
                .push(vec![b"SELECT".to_vec(), db.to_string().into_bytes()]);
            disk.db = Some(db);
        }
        disk.records.push(record);
    }

    fn commit(&mut self) -> std::io::Result<()> {
        let mut disk = self.0.borrow_mut();
        if std::mem::take(&mut disk.fail_next_commit) {
            return Err(std::io::Error::other("simulated disk failure"));
        }
        disk.committed = disk.records.len();
        Ok(())
    }
}

/// A shard process over `disk`, its keyspace rebuilt from the log.
pub(super) fn start_engine(disk: &Rc<RefCell<Disk>>, ks: Keyspace) -> (Engine<MemLog>, usize) {
    let mut ks = ks;
    let mut replay = Replay::default();
    let d = disk.borrow();
    for rec in &d.records {
        let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
        assert!(replay.apply(&mut ks, &args), "a broken log record");
    }
    let recovered = replay.finish(&mut ks);
    ks.select(0);
    let n = d.records.len();
    drop(d);
    // A crash may have cut the records after the last `SELECT`.
    disk.borrow_mut().db = None;
    let mut engine = Engine::new(ks, MemLog(disk.clone()));
    engine.xtx.recover(recovered, 0);
    (engine, n)
}

impl Sim {
    /// Shard `s` takes a turn: up to `k` requests through the real loop.
    pub(super) fn shard_execute(&mut self, s: usize, k: usize) -> Result<(), String> {
        let sh = &mut self.shards[s];
        let (Some(engine), Some(ch)) = (sh.engine.as_mut(), sh.ch.as_mut()) else {
            return Ok(());
        };
        if sh.slow > 0 {
            sh.slow -= 1;
            self.log(format!("s{s} is slow, skips its turn"));
            return Ok(());
        }
        let n = serve_channel(ch, engine, k).map_err(|e| format!("s{s} rings: {e}"))?;
        if engine.xtx.wants_retry() {
            engine.retry_parked(std::slice::from_mut(ch));
        }
        if n == 0 && ch.tx.has_pending() {
            self.log(format!("s{s} reply ring still full"));
        } else {
            self.log(format!("s{s} executes {n} (of up to {k})"));
        }
        Ok(())
    }

    /// Shard `s` ends its round as the real one does: commit, then
    /// publish. With `faults`, the commit may fail (this seed's crash
    /// chance, times four): the shard stops as the real one does, and none
    /// of the round's replies may have left.
    pub(super) fn shard_commit(&mut self, s: usize, faults: bool) {
        let fail = faults && self.rng.gen_range(0..1000) < self.crash_per_mille * 4;
        let sh = &mut self.shards[s];
        let (Some(engine), Some(ch)) = (sh.engine.as_mut(), sh.ch.as_mut()) else {
            return;
        };
        if sh.slow > 0 {
            sh.slow -= 1;
            self.log(format!("s{s} is slow, skips its commit"));
            return;
        }
        sh.disk.borrow_mut().fail_next_commit = fail;
        match engine.finish_round([ch]) {
            Ok(()) => {
                let n = sh.disk.borrow().committed;
                self.log(format!("s{s} commits {n} log records and publishes"));
            }
            Err(e) => {
                self.log(format!("s{s} commit fails ({e}): the shard stops"));
                self.shard_crash(s);
            }
        }
    }

    pub(super) fn shard_crash(&mut self, s: usize) {
        self.totals.crashes += 1;
        let sh = &mut self.shards[s];
        let (keep, lost) = {
            let mut disk = sh.disk.borrow_mut();
            // Written but uncommitted records may or may not have reached
            // the disk.
            let keep = self.rng.gen_range(disk.committed..=disk.records.len());
            let lost = disk.records.len() - keep;
            disk.records.truncate(keep);
            disk.committed = keep;
            (keep, lost)
        };
        sh.engine = None;
        sh.ch = None;
        sh.slow = 0;
        self.log(format!(
            "s{s} CRASHES: keeps {keep} log records, loses {lost}"
        ));
    }

    pub(super) fn shard_restart(&mut self, s: usize) {
        let ks = Keyspace::with_clock(Box::new(self.clock.clone()));
        let sh = &mut self.shards[s];
        let (engine, n) = start_engine(&sh.disk, ks);
        sh.engine = Some(engine);
        self.log(format!("s{s} restarts, replays {n} log records"));
    }
}
