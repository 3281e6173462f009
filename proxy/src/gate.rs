//! The gate between plain commands over several shards and transactions
//! over several shards (see [`Gate`]).

use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

use tokio::sync::Notify;

/// Keeps plain commands over several shards (MGET, MSET, DEL, ...) and
/// transactions over several shards from overlapping, so none ever sees
/// part of the other (`shardd/TRANSACTIONS.md`, "Commands over several
/// shards"). Shared by every worker of the proxy.
///
/// A plain command reserves its parts (`inflight`) and then looks at
/// `active`: if a transaction over several shards runs, it gives its
/// reservation back and runs as a transaction itself. A transaction raises
/// `active` and then waits until no reserved part is in flight. Both sides
/// write before they read (sequentially consistent), so at least one of
/// them sees the other.

#[derive(Default)]
pub struct Gate {
    active: AtomicU64,
    inflight: AtomicU64,
    drained: Notify,
}

impl Gate {
    /// Reserves `parts` parts; false (nothing reserved) if a transaction
    /// over several shards runs.
    pub fn reserve(&self, parts: u64) -> bool {
        self.inflight.fetch_add(parts, Ordering::SeqCst);
        if self.active.load(Ordering::SeqCst) == 0 {
            return true;
        }
        self.release(parts);
        false
    }

    /// `parts` reserved parts are done.
    pub fn release(&self, parts: u64) {
        if parts > 0 && self.inflight.fetch_sub(parts, Ordering::SeqCst) == parts {
            self.drained.notify_waiters();
        }
    }

    /// A transaction over several shards starts: from now on plain commands
    /// over several shards run as transactions, and those in flight finish
    /// first. The returned guard ends it.
    ///
    /// `publish` runs once if it must wait: the parts in flight may be
    /// this worker's, queued in its rings by the commands before this one
    /// in the same read and not yet published (that happens at the end of
    /// the read, which waits for this): it asks for them to go out.
    pub async fn enter(self: &Arc<Self>, publish: impl FnOnce()) -> GateGuard {
        self.active.fetch_add(1, Ordering::SeqCst);
        let guard = GateGuard(self.clone());
        let mut publish = Some(publish);
        loop {
            let drained = self.drained.notified();
            if self.inflight.load(Ordering::SeqCst) == 0 {
                return guard;
            }
            if let Some(p) = publish.take() {
                p();
            }
            // Bounded: a missed wake-up costs a millisecond at most.
            let _ = tokio::time::timeout(std::time::Duration::from_millis(1), drained).await;
        }
    }

    fn leave(&self) {
        if self.active.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.drained.notify_waiters();
        }
    }
}

/// A transaction over several shards in progress (see [`Gate::enter`]).
pub struct GateGuard(Arc<Gate>);

impl Drop for GateGuard {
    fn drop(&mut self) {
        self.0.leave();
    }
}
