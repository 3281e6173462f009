//! A client's requests held behind its script call that strayed.
//!
//! The proxy sends a client's script calls for one shard pipelined with
//! what the client sends after them, flagged [`EVAL_FENCE`]. A call that
//! strays (it reached a key of another shard, and put back what it wrote)
//! runs again later as a transaction over several shards
//! (`proxy/src/xtx/straying.rs`); the client's requests behind it must
//! not run before that, or its pipeline's commands would take effect out
//! of order (its next call's `INCR` of a job id before this one's). So
//! the shard that answers such a call's stray **fences** its client: each
//! later request of that client on that channel is held here, unrun, in
//! the order it came, until `SHARDD.UNFENCE client`, which the proxy
//! sends once the call ran again and its reply is in place. The fence is
//! then **lifted**: the next round serves what it held, in order, before
//! anything the client sends later (which, meanwhile, is held behind).
//! A held call that strays in turn fences again, and those behind it stay
//! held.
//!
//! Invariants:
//! - At most one fence per (channel, client); only `SHARDD.UNFENCE`
//!   lifts it, and a channel that goes away takes its fences and what
//!   they hold (the proxy fails its requests in flight then).
//! - A fenced client's requests run after its `SHARDD.UNFENCE`, in the
//!   order they came; nobody else's wait for them.
//! - Held requests claim nothing: a transaction locking the keys they
//!   name (the straying call's own, running again) is not kept waiting
//!   for requests that may only run after it.
//! - A request of a transaction (`REQ_FLAG_TX`), and any request of
//!   origin 0 (the proxy's own), is never held.
//!
//! Fences live in memory only: a shard that restarts has none, and what
//! they held is gone with them, as every request in flight to it is (the
//! proxy fails those with `-ERR shard N is unavailable`, and the call
//! running again fails or runs on the restarted shard).
//!
//! [`EVAL_FENCE`]: common::wire::EVAL_FENCE

use std::collections::VecDeque;

use common::reply::Reply;
use shared_ring::Channel;

use super::id_of;
use crate::{persist::WriteLog, server::Engine};

/// One fenced client.
struct Fence {
    /// The channel (its peer's generation).
    owner: u64,
    /// The client.
    origin: u64,
    /// Its requests since, in order.
    held: VecDeque<Vec<u8>>,
    /// `SHARDD.UNFENCE` came: serve `held`.
    lifted: bool,
}

/// The fenced clients of a shard (few at once: one per client whose call
/// strayed and has not run again yet).
#[derive(Default)]
pub struct Fences {
    list: Vec<Fence>,
}

impl Fences {
    /// Whether no client is fenced.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether some fence was lifted and holds requests to serve.
    pub fn any_lifted(&self) -> bool {
        self.list.iter().any(|f| f.lifted)
    }

    /// Requests held in all.
    pub fn held(&self) -> usize {
        self.list.iter().map(|f| f.held.len()).sum()
    }

    fn find(&mut self, owner: u64, origin: u64) -> Option<&mut Fence> {
        self.list
            .iter_mut()
            .find(|f| f.owner == owner && f.origin == origin)
    }

    /// Fences client `origin` of channel `owner` (its call strayed).
    pub fn raise(&mut self, owner: u64, origin: u64) {
        if origin == 0 || self.find(owner, origin).is_some() {
            return;
        }
        self.list.push(Fence {
            owner,
            origin,
            held: VecDeque::new(),
            lifted: false,
        });
    }

    /// Holds request `rec` if its client is fenced; true then.
    #[inline]
    pub fn hold(&mut self, owner: u64, origin: u64, rec: &[u8]) -> bool {
        if origin == 0 {
            return false;
        }
        match self.find(owner, origin) {
            Some(f) => {
                f.held.push_back(rec.to_vec());
                true
            }
            None => false,
        }
    }

    /// `SHARDD.UNFENCE origin` from `owner`: the fence is lifted (its
    /// requests are served by [`Fences::take_lifted`]'s caller); false if
    /// there was none (a restarted shard's, or one gone with its channel).
    pub fn lift(&mut self, owner: u64, origin: u64) -> bool {
        match self.find(owner, origin) {
            Some(f) => {
                f.lifted = true;
                true
            }
            None => false,
        }
    }

    /// A lifted fence, taken out: `(owner, origin, held)`, to serve in
    /// order (one of them may fence its client again: the rest are then
    /// held behind it by [`Fences::hold`]).
    pub fn take_lifted(&mut self) -> Option<(u64, u64, VecDeque<Vec<u8>>)> {
        let at = self.list.iter().position(|f| f.lifted)?;
        let f = self.list.swap_remove(at);
        Some((f.owner, f.origin, f.held))
    }

    /// Puts back what a lifted fence's serving left (the reply ring was
    /// full): ahead of anything held for the client since, still lifted
    /// unless the client was fenced again meanwhile.
    pub fn put_back(&mut self, owner: u64, origin: u64, mut rest: VecDeque<Vec<u8>>) {
        if rest.is_empty() {
            return;
        }
        match self.find(owner, origin) {
            Some(f) => {
                rest.append(&mut f.held);
                f.held = rest;
            }
            None => self.list.push(Fence {
                owner,
                origin,
                held: rest,
                lifted: true,
            }),
        }
    }

    /// The channel `owner` went away: its fences and what they hold go.
    pub fn owner_gone(&mut self, owner: u64) {
        self.list.retain(|f| f.owner != owner);
    }
}

impl<L: WriteLog> Engine<L> {
    /// Serves the requests of lifted fences ([`self`]), each client's in
    /// order, on the channel they came from; what a full reply ring stops
    /// waits for the next round.
    pub(super) fn serve_lifted(&mut self, channels: &mut [Channel]) {
        if !self.xtx.fences.any_lifted() {
            return;
        }
        let mut stopped = Vec::new();
        while let Some((owner, origin, mut held)) = self.xtx.fences.take_lifted() {
            let Some(ch) = channels.iter_mut().find(|c| c.peer.generation == owner) else {
                continue;
            };
            while !ch.tx.has_pending() {
                let Some(rec) = held.pop_front() else {
                    break;
                };
                // Held again behind it if it fences its client anew.
                if let Err(e) = self.serve_request(&rec, &mut ch.tx, owner) {
                    tracing::warn!("a held request could not be answered: {e}");
                    held.clear();
                }
            }
            if !held.is_empty() {
                stopped.push((owner, origin, held));
            }
        }
        for (owner, origin, rest) in stopped {
            self.xtx.fences.put_back(owner, origin, rest);
            self.xtx.retry = true;
        }
    }

    /// `SHARDD.UNFENCE client` from channel `owner`: the client's call
    /// that strayed ran again; what its fence holds runs next round.
    pub(crate) fn serve_unfence(&mut self, args: &[&[u8]], owner: u64, reply: &mut Reply) {
        let Some(origin) = id_of(args.get(1)) else {
            return reply.error("ERR malformed unfence record");
        };
        if self.xtx.fences.lift(owner, origin) {
            self.xtx.retry = true;
        }
        reply.ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(d: &VecDeque<Vec<u8>>) -> Vec<&[u8]> {
        d.iter().map(Vec::as_slice).collect()
    }

    #[test]
    fn a_fenced_clients_requests_wait_in_order_and_nobody_elses() {
        let mut f = Fences::default();
        assert!(!f.hold(1, 7, b"a"));
        f.raise(1, 7);
        f.raise(1, 7);
        assert!(f.hold(1, 7, b"a"));
        assert!(f.hold(1, 7, b"b"));
        // Another client, the same client on another channel, the proxy.
        assert!(!f.hold(1, 8, b"x"));
        assert!(!f.hold(2, 7, b"x"));
        f.raise(1, 0);
        assert!(!f.hold(1, 0, b"x"));
        assert_eq!(f.held(), 2);
        assert!(f.take_lifted().is_none());
        assert!(f.lift(1, 7));
        assert!(!f.lift(1, 9));
        assert!(f.any_lifted());
        // Still held behind, until served.
        assert!(f.hold(1, 7, b"c"));
        let (owner, origin, held) = f.take_lifted().expect("lifted");
        assert_eq!((owner, origin), (1, 7));
        assert_eq!(recs(&held), [b"a", b"b", b"c"]);
        assert!(f.is_empty());
    }

    #[test]
    fn what_serving_left_goes_before_what_came_since() {
        let mut f = Fences::default();
        f.raise(1, 7);
        f.hold(1, 7, b"a");
        f.hold(1, 7, b"b");
        f.lift(1, 7);
        let (_, _, mut held) = f.take_lifted().expect("lifted");
        assert_eq!(held.pop_front().as_deref(), Some(&b"a"[..]));
        // "a" strayed again: fenced anew; a request came meanwhile.
        f.raise(1, 7);
        f.hold(1, 7, b"c");
        f.put_back(1, 7, held);
        assert!(!f.any_lifted(), "the new fence waits for its own UNFENCE");
        f.lift(1, 7);
        let (_, _, held) = f.take_lifted().expect("lifted");
        assert_eq!(recs(&held), [b"b", b"c"]);
        // Put back with no fence since: lifted, served next.
        f.put_back(1, 7, VecDeque::from([b"d".to_vec()]));
        assert!(f.any_lifted());
        f.owner_gone(1);
        assert!(f.is_empty());
    }
}
