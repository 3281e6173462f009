//! Busy scripts as the proxy sees them: the running script's stamp and
//! whether it wrote, published in user words of the ring segments, and
//! the kill requests the proxy writes there (SCRIPT KILL). The shard's Lua
//! hook asks [`Watch::kill_requested`] every few thousand instructions.

use std::{
    cell::{Cell, RefCell},
    sync::{atomic::Ordering, Arc},
};

use shared_ring::Segment;

/// User words of the ring segments (`shared_ring::Segment::user_word`)
/// that tell the proxy about the running script and carry its kill
/// requests. In each reply segment (shard to proxy worker):
/// [`WORD_RUNNING`] is the running script's stamp (0: none) and
/// [`WORD_WROTE`] is 1 once it wrote. In each request segment (proxy
/// worker to shard): [`WORD_KILL`] is the stamp of a script to kill.
pub const WORD_RUNNING: usize = 0;
/// See [`WORD_RUNNING`].
pub const WORD_WROTE: usize = 1;
/// See [`WORD_RUNNING`].
pub const WORD_KILL: usize = 0;

/// A script run's stamp: its start in Unix milliseconds times 1024, plus
/// a counter (never 0). The proxy reads the start back (`stamp >> 10`).
pub(super) fn stamp(runs: u32) -> u64 {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_millis() as u64);
    (ms << 10) | u64::from(runs & 1023) | 1
}

type Links = Vec<(Arc<Segment>, Arc<Segment>)>;

/// The running script as the proxy workers see it (busy scripts, SCRIPT
/// KILL); shared by the engine and its Lua hook.
#[derive(Default)]
pub struct Watch {
    /// (request segment, reply segment) of each attached worker.
    links: RefCell<Links>,
    stamp: Cell<u64>,
    wrote: Cell<bool>,
    killed: Cell<bool>,
}

impl Watch {
    /// The attached workers' segments.
    pub fn set_links(&self, links: impl Iterator<Item = (Arc<Segment>, Arc<Segment>)>) {
        *self.links.borrow_mut() = links.collect();
        let s = self.stamp.get();
        for (_, reply) in self.links.borrow().iter() {
            reply.user_word(WORD_RUNNING).store(s, Ordering::Release);
            reply
                .user_word(WORD_WROTE)
                .store(u64::from(self.wrote.get()), Ordering::Release);
        }
    }

    pub(super) fn begin(&self, stamp: u64) {
        self.stamp.set(stamp);
        self.wrote.set(false);
        self.killed.set(false);
        for (_, reply) in self.links.borrow().iter() {
            reply.user_word(WORD_WROTE).store(0, Ordering::Release);
            reply
                .user_word(WORD_RUNNING)
                .store(stamp, Ordering::Release);
        }
    }

    pub(super) fn wrote(&self) {
        if !self.wrote.replace(true) {
            for (_, reply) in self.links.borrow().iter() {
                reply.user_word(WORD_WROTE).store(1, Ordering::Release);
            }
        }
    }

    pub(super) fn end(&self) {
        self.stamp.set(0);
        for (_, reply) in self.links.borrow().iter() {
            reply.user_word(WORD_RUNNING).store(0, Ordering::Release);
        }
    }

    /// Whether a worker asked to kill the running script (one that wrote
    /// cannot be killed: the proxy answers UNKILLABLE and never asks).
    pub(super) fn kill_requested(&self) -> bool {
        if self.killed.get() {
            return true;
        }
        let s = self.stamp.get();
        if s == 0 || self.wrote.get() {
            return false;
        }
        let asked = self
            .links
            .borrow()
            .iter()
            .any(|(req, _)| req.user_word(WORD_KILL).load(Ordering::Acquire) == s);
        if asked {
            self.killed.set(true);
        }
        asked
    }
}
