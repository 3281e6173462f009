//! A connection's script calls in flight, and the commands that wait
//! behind them so that the client's commands take effect in its order.
//!
//! A script call for one shard goes out pipelined with what its client
//! sends next ([`crate::script::take_plain`],
//! [`crate::script::send_one_shard`]), flagged `EVAL_FENCE`. If it
//! strays (reaches a key of another shard), it runs again later as a
//! transaction over several shards; meanwhile its shard holds the
//! client's later requests unrun, in order, until the proxy's
//! `SHARDD.UNFENCE` (`shardd/src/xtx/fence.rs`). On its own shard the
//! client's order is therefore kept whatever the script does, at no cost
//! while nothing strays.
//!
//! A command for another shard (or for several) is not held there: it
//! could run before the call runs again, and the call may read or write
//! that command's key. Holding it until the call is answered costs a
//! round trip at every change of shard in a pipeline, which halved the
//! throughput of pipelined EVALSHAs whose keys are anywhere (each call on
//! one shard, most scripts never straying: 423k -> 210k calls/s at
//! pipeline 16 in `benches/ab_order.sh`). So the proxy holds behind a call only
//! what follows a script **known to stray** (one that strayed before
//! since the proxy started, [`crate::script_cache::Entry::strays`]): while
//! such calls are in flight, the connection sends on only what goes whole
//! to their shard by the shortcuts (script calls and single-key
//! commands), and anything else waits until they are answered, run again
//! and their fences lifted. A call that strays becomes such a call until
//! it ran again.
//!
//! What this leaves: the **first** stray of a script (in the proxy's
//! life, or since SCRIPT FLUSH) can run again after a command for
//! another shard that its client pipelined behind it; only a command on
//! a key that run reaches sees the difference. From then on that script's
//! calls keep their order.
//!
//! Cost: a check of one counter per command.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use smallvec::SmallVec;
use tokio::sync::Notify;

/// A connection's calls in flight of scripts known to stray, by shard.
#[derive(Default)]
pub struct Behind {
    /// (shard, calls), no zero counts.
    calls: RefCell<SmallVec<[(usize, u32); 2]>>,
    total: Cell<u32>,
    settled: Notify,
}

impl Behind {
    /// Whether a call is in flight.
    #[inline]
    pub fn busy(&self) -> bool {
        self.total.get() != 0
    }

    /// Counts a call sent to `shard` until the returned guard drops
    /// (when its reply is in its slot and, if it strayed, it ran again
    /// and its fence was lifted).
    pub fn sent(self: &Rc<Self>, shard: usize) -> InFlight {
        let mut calls = self.calls.borrow_mut();
        match calls.iter_mut().find(|(s, _)| *s == shard) {
            Some((_, n)) => *n += 1,
            None => calls.push((shard, 1)),
        }
        self.total.set(self.total.get() + 1);
        InFlight {
            behind: self.clone(),
            shard,
        }
    }

    /// Whether a command for `shard` alone may go now: every call in
    /// flight is on that shard, whose fence keeps the order.
    pub fn passes_to(&self, shard: usize) -> bool {
        self.calls.borrow().iter().all(|&(s, _)| s == shard)
    }

    /// Waits until no call is in flight.
    pub async fn settled(&self) {
        while self.busy() {
            self.settled.notified().await;
        }
    }

    fn done(&self, shard: usize) {
        let mut calls = self.calls.borrow_mut();
        if let Some(at) = calls.iter().position(|(s, _)| *s == shard) {
            calls[at].1 -= 1;
            if calls[at].1 == 0 {
                calls.swap_remove(at);
            }
            self.total.set(self.total.get().saturating_sub(1));
        }
        if calls.is_empty() {
            // One waiter at most (the connection's reader): a permit kept
            // when it is not waiting yet is harmless, `settled` checks.
            self.settled.notify_one();
        }
    }
}

/// A script call in flight, counted in its connection's [`Behind`] until
/// dropped.
pub struct InFlight {
    behind: Rc<Behind>,
    shard: usize,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.behind.done(self.shard);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_shard_until_their_guards_drop() {
        let b = Rc::new(Behind::default());
        assert!(!b.busy());
        assert!(b.passes_to(0));
        let one = b.sent(1);
        let two = b.sent(1);
        assert!(b.busy());
        assert!(b.passes_to(1));
        assert!(!b.passes_to(0));
        let other = b.sent(0);
        assert!(!b.passes_to(1));
        drop(other);
        drop(one);
        assert!(b.busy());
        assert!(b.passes_to(1));
        drop(two);
        assert!(!b.busy());
        assert!(b.passes_to(0));
    }

    #[tokio::test]
    async fn settled_returns_once_the_last_call_is_done() {
        let b = Rc::new(Behind::default());
        b.settled().await;
        let call = b.sent(0);
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let waiter = {
                    let b = b.clone();
                    tokio::task::spawn_local(async move { b.settled().await })
                };
                tokio::task::yield_now().await;
                assert!(!waiter.is_finished());
                drop(call);
                waiter.await.expect("the waiter ends");
            })
            .await;
    }
}
