//! Busy scripts as the proxy sees them: the running script's stamp and
//! whether it wrote, published in user words of the ring segments, and
//! the kill requests the proxy writes there (SCRIPT KILL). The shard's Lua
//! hook asks [`Watch::kill_requested`] every few thousand instructions.

use std::{
    cell::{Cell, RefCell},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

/// Set when the shard must stop (SIGINT, SIGTERM: the proxy that started
/// it died): a running script stops at its next look, whatever it wrote
/// (nothing of it was logged or acknowledged).
pub static STOP: AtomicBool = AtomicBool::new(false);

use shared_ring::Segment;

/// User words of the ring segments (`shared_ring::Segment::user_word`)
/// that tell the proxy about the running script and carry its kill
/// requests. In each reply segment (shard to proxy worker):
/// [`WORD_RUNNING`] is the running script's stamp (0: none) and
/// [`WORD_WROTE`] has bit [`WROTE`] once it wrote and bit [`FUNCTION`]
/// if it is a function (FCALL). In each request segment (proxy
/// worker to shard): [`WORD_KILL`] is the stamp of a script to kill.
pub const WORD_RUNNING: usize = 0;
/// See [`WORD_RUNNING`].
pub const WORD_WROTE: usize = 1;
/// See [`WORD_RUNNING`].
pub const WORD_KILL: usize = 0;
/// [`WORD_WROTE`]'s bit: the script wrote.
pub const WROTE: u64 = 1;
/// [`WORD_WROTE`]'s bit: the running script is a function.
pub const FUNCTION: u64 = 2;

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
    function: Cell<bool>,
    killed: Cell<bool>,
    /// While FUNCTION LOAD runs a library's code: when it must stop.
    load_deadline: Cell<Option<std::time::Instant>>,
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
                .store(self.word(), Ordering::Release);
        }
    }

    fn word(&self) -> u64 {
        (if self.wrote.get() { WROTE } else { 0 })
            | (if self.function.get() { FUNCTION } else { 0 })
    }

    pub(super) fn begin(&self, stamp: u64, function: bool) {
        self.stamp.set(stamp);
        self.wrote.set(false);
        self.function.set(function);
        self.killed.set(false);
        let word = self.word();
        for (_, reply) in self.links.borrow().iter() {
            reply.user_word(WORD_WROTE).store(word, Ordering::Release);
            reply
                .user_word(WORD_RUNNING)
                .store(stamp, Ordering::Release);
        }
    }

    pub(super) fn wrote(&self) {
        if !self.wrote.replace(true) {
            let word = self.word();
            for (_, reply) in self.links.borrow().iter() {
                reply.user_word(WORD_WROTE).store(word, Ordering::Release);
            }
        }
    }

    pub(super) fn set_load_deadline(&self, at: Option<std::time::Instant>) {
        self.load_deadline.set(at);
    }

    /// Whether a library's load ran past its deadline.
    pub(super) fn load_timed_out(&self) -> bool {
        self.load_deadline
            .get()
            .is_some_and(|d| std::time::Instant::now() > d)
    }

    pub(super) fn end(&self) {
        self.stamp.set(0);
        self.killed.set(false);
        for (_, reply) in self.links.borrow().iter() {
            reply.user_word(WORD_RUNNING).store(0, Ordering::Release);
        }
    }

    /// Whether a worker asked to kill the running script (one that wrote
    /// cannot be killed: the proxy answers UNKILLABLE and never asks).
    pub(super) fn kill_requested(&self) -> bool {
        if STOP.load(Ordering::Relaxed) {
            return true;
        }
        let s = self.stamp.get();
        // Nothing runs (a library loading is not a script run): a kill
        // asked for an earlier run is no longer anyone's.
        if s == 0 {
            return false;
        }
        if self.killed.get() {
            return true;
        }
        if self.wrote.get() {
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
