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
//! Commands the proxy turns into requests of its own (a transaction
//! over several shards, a MULTI's EXEC, anything the general path runs:
//! the dispatcher, `crate::dispatch::handle`) carry no client, so no
//! fence holds them: they wait until every call in flight is answered
//! ([`Behind::idle`]), script calls for one shard excepted. (The parts of
//! a command over several shards, which do carry the client, must not
//! be held either: a call running again waits at the worker's gate for
//! such parts in flight, `crate::gate`, and would wait forever.)
//!
//! A single-key command for another shard, sent by a shortcut
//! (`crate::dispatch::plain`, a whole MULTI block, a script call), is not
//! held by the call's shard either: it could run before the call runs
//! again, and the call may read or write that command's key. Holding it
//! until the call is answered costs a round trip at every change of shard
//! in a pipeline, which halved the throughput of pipelined EVALSHAs whose
//! keys are anywhere (each call on one shard, the scripts never straying:
//! 423k -> 210k calls/s at pipeline 16, `benches/ab_order.sh`). So such a
//! command waits only behind calls of a script **known to stray** (one
//! that strayed since the proxy started, or since SCRIPT FLUSH:
//! [`crate::script_cache::Entry::strays`]) on other shards
//! ([`Behind::passes_to`]); a call that strays becomes such a call until
//! it ran again.
//!
//! What this leaves: the **first** stray of a script can run again after
//! a single-key command for another shard that its client pipelined
//! behind it; only a command on a key that run reaches sees the
//! difference. From then on that script's calls keep their order.
//!
//! Cost: a counter per call, a check per command.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use smallvec::SmallVec;
use tokio::sync::Notify;

/// A connection's script calls in flight: how many, and those of scripts
/// known to stray by shard.
#[derive(Default)]
pub struct Behind {
    /// Every call in flight.
    all: Cell<u32>,
    /// Calls of scripts known to stray: (shard, calls), no zero counts.
    strict: RefCell<SmallVec<[(usize, u32); 2]>>,
    strict_total: Cell<u32>,
    /// The reader waits in [`Behind::settled`].
    waiting: Cell<bool>,
    settled: Notify,
}

impl Behind {
    /// Counts a call sent to `shard` until the returned guard drops
    /// (when its reply is in its slot and, if it strayed, it ran again
    /// and its fence was lifted); `strict`: its script is known to stray
    /// (or it strayed), so commands for other shards wait for it.
    pub fn sent(self: &Rc<Self>, shard: usize, strict: bool) -> InFlight {
        self.all.set(self.all.get() + 1);
        if strict {
            let mut calls = self.strict.borrow_mut();
            match calls.iter_mut().find(|(s, _)| *s == shard) {
                Some((_, n)) => *n += 1,
                None => calls.push((shard, 1)),
            }
            self.strict_total.set(self.strict_total.get() + 1);
        }
        InFlight {
            behind: self.clone(),
            strict: strict.then_some(shard),
        }
    }

    /// Whether a command for `shard` alone, sent by a shortcut, may go
    /// now: every call of a script known to stray is on that shard,
    /// whose fence keeps the order.
    #[inline]
    pub fn passes_to(&self, shard: usize) -> bool {
        self.strict_total.get() == 0 || self.strict.borrow().iter().all(|&(s, _)| s == shard)
    }

    /// Whether no call is in flight (what the general path needs before
    /// it runs a command: its transactions' requests are the proxy's own,
    /// which no fence holds).
    #[inline]
    pub fn idle(&self) -> bool {
        self.all.get() == 0
    }

    /// Waits until no call is in flight.
    pub async fn settled(&self) {
        while !self.idle() {
            self.waiting.set(true);
            self.settled.notified().await;
        }
        self.waiting.set(false);
    }

    fn done(&self, strict: Option<usize>) {
        self.all.set(self.all.get().saturating_sub(1));
        if let Some(shard) = strict {
            let mut calls = self.strict.borrow_mut();
            if let Some(at) = calls.iter().position(|(s, _)| *s == shard) {
                calls[at].1 -= 1;
                if calls[at].1 == 0 {
                    calls.swap_remove(at);
                }
                self.strict_total
                    .set(self.strict_total.get().saturating_sub(1));
            }
        }
        if self.idle() && self.waiting.get() {
            // One waiter at most (the connection's reader).
            self.settled.notify_one();
        }
    }
}

/// A script call in flight, counted in its connection's [`Behind`] until
/// dropped.
pub struct InFlight {
    behind: Rc<Behind>,
    /// Its shard, if counted as a call of a script known to stray.
    strict: Option<usize>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.behind.done(self.strict);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_shard_until_their_guards_drop() {
        let b = Rc::new(Behind::default());
        assert!(b.idle());
        assert!(b.passes_to(0));
        let loose = b.sent(0, false);
        assert!(!b.idle());
        assert!(
            b.passes_to(1),
            "a script not known to stray holds nothing back"
        );
        let one = b.sent(1, true);
        let two = b.sent(1, true);
        assert!(b.passes_to(1));
        assert!(!b.passes_to(0));
        let other = b.sent(0, true);
        assert!(!b.passes_to(1));
        drop(other);
        drop(one);
        assert!(b.passes_to(1));
        assert!(!b.passes_to(0));
        drop(two);
        assert!(b.passes_to(0));
        assert!(!b.idle());
        drop(loose);
        assert!(b.idle());
    }

    #[tokio::test]
    async fn settled_returns_once_the_last_call_is_done() {
        let b = Rc::new(Behind::default());
        b.settled().await;
        let call = b.sent(0, false);
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
