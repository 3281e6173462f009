//! The simulated shards: execute requests from the ring with the real
//! `execute`, log writes, commit (as `appendfsync always`) before the
//! replies are published, crash keeping a random suffix of the written
//! log, and restart by replaying it.

use rand::Rng;
use shardd::{
    commands::execute,
    keyspace::Keyspace,
    reply::{Proto, Reply},
    server::REQ_FLAG_WRITE,
};
use shared_ring::{
    msg::{self, Request},
    Channel,
};

use super::Sim;

impl Sim {
    pub(super) fn shard_execute(&mut self, s: usize, k: usize) -> Result<(), String> {
        let (trace, step) = (self.trace.clone(), self.step);
        let log_line = |m: String| trace.borrow_mut().push(format!("{step:5} {m}"));
        let sh = &mut self.shards[s];
        let (Some(ks), Some(ch)) = (sh.ks.as_mut(), sh.ch.as_mut()) else {
            return Ok(());
        };
        if sh.slow > 0 {
            sh.slow -= 1;
            log_line(format!("s{s} is slow, skips its turn"));
            return Ok(());
        }
        if !ch.tx.pump().map_err(|e| format!("s{s} reply ring: {e}"))? {
            log_line(format!("s{s} reply ring still full"));
            return Ok(());
        }
        let Channel { tx, rx, .. } = ch;
        let log = &mut sh.log;
        let mut n = 0;
        let mut err = None;
        let mut scratch = Vec::new();
        rx.poll(|rec| {
            let req = match Request::parse(rec) {
                Ok(r) => r,
                Err(e) => {
                    err = Some(format!("s{s} bad request: {e}"));
                    return false;
                }
            };
            let args: Vec<&[u8]> = req.args().collect();
            let proto = if req.header.proto == 3 {
                Proto::Resp3
            } else {
                Proto::Resp2
            };
            scratch.clear();
            scratch.resize(msg::REPLY_HEADER_BYTES, 0);
            msg::write_reply_header(&mut scratch, req.header.id, 0);
            execute(ks, &args, &mut Reply::new(&mut scratch, proto));
            if req.header.flags & REQ_FLAG_WRITE != 0 {
                log.push(args.iter().map(|a| a.to_vec()).collect());
            }
            n += 1;
            match tx.push_or_defer(&scratch) {
                Ok(now) => now && n < k,
                Err(e) => {
                    err = Some(format!("s{s} reply ring: {e}"));
                    false
                }
            }
        })
        .map_err(|e| format!("s{s} request ring: {e}"))?;
        if let Some(e) = err {
            return Err(e);
        }
        self.log(format!("s{s} executes {n} (of up to {k})"));
        Ok(())
    }

    pub(super) fn shard_commit(&mut self, s: usize) {
        let sh = &mut self.shards[s];
        let (Some(_), Some(ch)) = (sh.ks.as_ref(), sh.ch.as_mut()) else {
            return;
        };
        if sh.slow > 0 {
            sh.slow -= 1;
            self.log(format!("s{s} is slow, skips its commit"));
            return;
        }
        // appendfsync always: the log is durable before any reply leaves.
        sh.committed = sh.log.len();
        ch.tx.publish();
        let n = sh.committed;
        self.log(format!("s{s} commits {n} log records and publishes"));
    }

    pub(super) fn shard_crash(&mut self, s: usize) {
        self.totals.crashes += 1;
        let sh = &mut self.shards[s];
        // Written but unpublished records may or may not have reached the disk.
        let keep = self.rng.gen_range(sh.committed..=sh.log.len());
        let lost = sh.log.len() - keep;
        sh.log.truncate(keep);
        sh.committed = keep;
        sh.ks = None;
        sh.ch = None;
        sh.slow = 0;
        self.log(format!(
            "s{s} CRASHES: keeps {keep} log records, loses {lost}"
        ));
    }

    pub(super) fn shard_restart(&mut self, s: usize) {
        let sh = &mut self.shards[s];
        let mut ks = Keyspace::with_clock(Box::new(self.clock.clone()));
        let mut scratch = Vec::new();
        for rec in &sh.log {
            let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
            scratch.clear();
            execute(&mut ks, &args, &mut Reply::new(&mut scratch, Proto::Resp2));
        }
        let n = sh.log.len();
        sh.ks = Some(ks);
        self.log(format!("s{s} restarts, replays {n} log records"));
    }
}
