//! Sending a command to the shards: whole to one shard, split per shard
//! and merged, or to every shard and merged.
//!
//! A request is written into its shard's ring at once (one copy of each
//! argument) and published by the worker's flusher at the end of the round.
//! Its reply fills the connection's reply slot through a [`Target`]. A full
//! ring waits for room; a shard that is down is waited for up to
//! `shard-wait-timeout-ms`, then the slot gets `-ERR shard N is
//! unavailable`.
//!
//! Above the links and the reply queues; below the commands that decide
//! where things go ([`crate::dispatch`], [`crate::fanout`],
//! [`crate::builtin`]). It never calls up.

use std::{cell::RefCell, rc::Rc, sync::Arc, time::Duration};

use common::table::{self, Cmd, CommandSpec};
use smallvec::SmallVec;

use crate::{
    gate::Gate,
    link::{Req, SendError},
    merge::{Merge, MergeKind},
    replies::{Replies, Target},
    worker::Worker,
};

/// Arguments of one part of a split command kept on the stack.
const PART_ARGS_INLINE: usize = 24;

/// A connection's side of a send: its reply queue, and whether the reply
/// is dropped (`CLIENT REPLY OFF|SKIP`).
#[derive(Clone, Copy)]
pub struct To<'a> {
    /// The reply queue.
    pub out: &'a Rc<RefCell<Replies>>,
    /// Drop the reply instead of sending it.
    pub discard: bool,
}

/// Sends `argv` whole to `shard`; its reply takes the next slot.
pub async fn to_shard(w: &Rc<Worker>, req: Req, to: To<'_>, shard: usize, argv: &[&[u8]]) {
    let seq = to.out.borrow_mut().push_pending(to.discard);
    let target = Target::Slot {
        conn: to.out.clone(),
        seq,
        part: None,
    };
    send(w, req, shard, argv, target).await;
}

/// Publishes what is queued and waits (a little at most) for room in
/// `shard`'s request ring.
pub async fn wait_for_space(w: &Rc<Worker>, shard: usize) {
    w.flush_now();
    let space = {
        let mut links = w.links.borrow_mut();
        let Some(l) = links.get_mut(shard) else {
            return;
        };
        l.wants_space = true;
        l.space.clone()
    };
    // Bounded so a missed wake-up can only cost a little time.
    let _ = tokio::time::timeout(Duration::from_millis(10), space.notified()).await;
}

/// Queues `args` on `shard`'s link, waiting for room or for the shard to
/// come back as needed; on failure the target gets the error.
pub async fn send<A: AsRef<[u8]>>(
    w: &Rc<Worker>,
    req: Req,
    shard: usize,
    args: &[A],
    mut target: Target,
) {
    // The wait for a shard that is down starts when it is first found
    // down (no clock read on the way of every request).
    let mut deadline = None;
    loop {
        let result = match w.links.borrow_mut().get_mut(shard) {
            Some(l) => l.send(req, args, target),
            None => Err((SendError::Down, target)),
        };
        let (err, t) = match result {
            Ok(()) => return,
            Err(x) => x,
        };
        target = t;
        match err {
            SendError::Full => wait_for_space(w, shard).await,
            SendError::Down => {
                if shard >= w.links.borrow().len() {
                    // A shard a scale-out added before this worker heard.
                    w.grow_links(shard + 1);
                }
                let up = w.links.borrow()[shard].up.clone();
                let notified = up.notified();
                if w.links.borrow()[shard].is_up() {
                    continue;
                }
                let now = tokio::time::Instant::now();
                let wait = Duration::from_millis(w.shared.cfg.shard_wait_timeout_ms);
                let deadline = *deadline.get_or_insert(now + wait);
                if now >= deadline || tokio::time::timeout_at(deadline, notified).await.is_err() {
                    let msg = format!("-ERR shard {shard} is unavailable\r\n");
                    w.error_reply(msg.as_bytes());
                    // A merge this completes may hold its other parts' events.
                    w.publish_events(&target.deliver_with_events(msg.as_bytes(), &[]));
                    return;
                }
            }
            SendError::TooLarge => {
                const TOO_LARGE: &[u8] = b"-ERR request exceeds the maximum record size\r\n";
                w.error_reply(TOO_LARGE);
                w.publish_events(&target.deliver_with_events(TOO_LARGE, &[]));
                return;
            }
        }
    }
}

/// The shard owning the first key of `argv`, or shard 0 for none.
pub fn first_shard(w: &Worker, spec: &CommandSpec, argv: &[&[u8]]) -> usize {
    let key = table::first_key_position(spec, argv).and_then(|i| argv.get(i).copied());
    key.map_or(0, |k| w.shared.shard_of(k))
}

/// A request whose shard's ring was full (or the shard down) when it was
/// to go ([`put`]): owned, sent by [`Deferred::send`] when the shard can
/// take it.
pub struct Deferred {
    req: Req,
    shard: usize,
    record: Vec<Vec<u8>>,
    target: Target,
}

impl Deferred {
    /// Sends it, waiting for ring space or the shard.
    pub async fn send(self, w: &Rc<Worker>) {
        send(w, self.req, self.shard, &self.record, self.target).await;
    }
}

/// Puts `args` in `shard`'s ring now, its reply to `target`; when the ring
/// is full or the shard down, the request owned for later (the caller's
/// common path then holds nothing across an `await`).
pub fn put(
    w: &Worker,
    req: Req,
    shard: usize,
    args: &[&[u8]],
    target: Target,
) -> Option<Box<Deferred>> {
    let sent = match w.links.borrow_mut().get_mut(shard) {
        Some(l) => l.send(req, args, target),
        None => Err((SendError::Down, target)),
    };
    sent.err().map(|(_, target)| {
        Box::new(Deferred {
            req,
            shard,
            record: args.iter().map(|a| a.to_vec()).collect(),
            target,
        })
    })
}

/// Keys that must live together, all on one shard (the caller,
/// [`crate::route`], runs them as a transaction when they are not): that
/// shard runs the command. Bad key arguments (numkeys and the like): shard
/// 0 gives the command's own error.
pub async fn together(w: &Rc<Worker>, req: Req, to: To<'_>, spec: &CommandSpec, argv: &[&[u8]]) {
    let shard = first_shard(w, spec, argv);
    to_shard(w, req, to, shard, argv).await;
}

/// Independent keys (MGET, MSET, DEL, EXISTS, UNLINK, TOUCH): one
/// sub-command per shard holding some of them, merged in key order. With
/// `gate`, each part sent to one of several shards counts as in flight
/// there until its reply (see [`Gate`]); returns how many did.
pub async fn split(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    spec: &CommandSpec,
    argv: &[&[u8]],
    gate: Option<&Arc<Gate>>,
    placed: Option<&Placement>,
) -> u64 {
    let own;
    let placed = match placed {
        Some(p) => p,
        None => match Placement::of(w, spec, argv) {
            Some(p) => {
                own = p;
                &own
            }
            None => {
                to_shard(w, req, to, 0, argv).await;
                return 0;
            }
        },
    };
    let step = spec.key_step.max(1) as usize;
    if !groups_complete(spec, argv) {
        // One shard gives Redis's arity error; no shard runs a part of it.
        let first = first_shard(w, spec, argv);
        to_shard(w, req, to, first, argv).await;
        return 0;
    }
    let Placement {
        positions,
        part_of,
        shards,
    } = placed;
    if shards.len() < 2 {
        to_shard(w, req, to, shards.first().copied().unwrap_or(0), argv).await;
        return 0;
    }
    let kind = match spec.id {
        // `part_of[k]` is the part of key k: MGET's reply order.
        Cmd::Mget => MergeKind::KeyOrder(SmallVec::from_slice(part_of)),
        Cmd::Mset => MergeKind::AllOk,
        _ => MergeKind::SumInts,
    };
    let mut merge = Merge::new(kind, shards.len(), req.proto);
    if w.shared.settings.keyspace_events() {
        merge = merge.with_keys(positions.iter().map(|&i| argv[i].to_vec()).collect());
    }
    let seq = to.out.borrow_mut().push_merge(merge, to.discard);
    // Each part: the command name, then its keys (with their step
    // arguments) in key order, pushed one by one (a copy of a slice of
    // one or two would call `memcpy`).
    let mut args: SmallVec<[&[u8]; PART_ARGS_INLINE]> = SmallVec::new();
    for (i, &shard) in shards.iter().enumerate() {
        args.clear();
        args.push(argv[0]);
        for (&pos, &part) in positions.iter().zip(part_of.iter()) {
            if usize::from(part) == i {
                for &a in argv.iter().skip(pos).take(step) {
                    args.push(a);
                }
            }
        }
        let target = match gate {
            None => Target::Slot {
                conn: to.out.clone(),
                seq,
                part: Some(i as u16),
            },
            Some(g) => Target::Gated {
                conn: to.out.clone(),
                seq,
                part: i as u16,
                gate: g.clone(),
            },
        };
        send(w, req.part(i), shard, &args, target).await;
    }
    if gate.is_some() {
        shards.len() as u64
    } else {
        0
    }
}

/// Where a command's keys go, worked out once (each key's slot is a CRC16
/// of it): the key arguments' positions, each one's part, and the
/// shards of the parts (in the order of their first key).
pub struct Placement {
    positions: table::KeyPositions,
    part_of: SmallVec<[u16; 16]>,
    shards: SmallVec<[usize; 8]>,
}

impl Placement {
    /// The placement of `argv`'s keys; `None` if its key arguments are bad.
    pub fn of(w: &Worker, spec: &CommandSpec, argv: &[&[u8]]) -> Option<Placement> {
        let positions = table::key_positions(spec, argv).ok()?;
        let mut part_of = SmallVec::with_capacity(positions.len());
        let mut shards: SmallVec<[usize; 8]> = SmallVec::new();
        for &i in positions.iter() {
            let s = w.shared.shard_of(argv[i]);
            let part = match shards.iter().position(|&x| x == s) {
                Some(p) => p,
                None => {
                    shards.push(s);
                    shards.len() - 1
                }
            };
            // Parts are at most the shards, far fewer than 65,536.
            part_of.push(part as u16);
        }
        Some(Placement {
            positions,
            part_of,
            shards,
        })
    }

    /// The number of shards the keys live on.
    pub fn parts(&self) -> u64 {
        self.shards.len() as u64
    }
}

/// Whether the arguments after the first key split into whole key groups
/// (MSET's `key value` pairs). `MSET a 1 b` must fail as a whole, as in
/// Redis, not set `a` on one shard while `b`'s shard refuses.
fn groups_complete(spec: &CommandSpec, argv: &[&[u8]]) -> bool {
    let step = spec.key_step.max(1) as usize;
    let first = spec.first_key.max(1) as usize;
    spec.last_key != -1 || argv.len() < first || (argv.len() - first).is_multiple_of(step)
}

/// Sends `args` to every shard and merges the parts with `kind`.
pub async fn to_all<A: AsRef<[u8]>>(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    args: &[A],
    kind: MergeKind,
    gate: Option<&Arc<Gate>>,
) {
    let n = w.shared.shard_count();
    let seq = to
        .out
        .borrow_mut()
        .push_merge(Merge::new(kind, n, req.proto), to.discard);
    for shard in 0..n {
        let target = match gate {
            None => Target::Slot {
                conn: to.out.clone(),
                seq,
                part: Some(shard as u16),
            },
            Some(g) => Target::Gated {
                conn: to.out.clone(),
                seq,
                part: shard as u16,
                gate: g.clone(),
            },
        };
        send(w, req.part(shard), shard, args, target).await;
    }
}

/// Fills the next slot of `to` with what `run` answers once it is done:
/// the reply, and whether the proxy made it (then an error is counted
/// here; a shard counted its own).
pub async fn answer_when_done(
    w: &Worker,
    to: To<'_>,
    run: impl std::future::Future<Output = (Vec<u8>, bool)>,
) {
    let seq = to.out.borrow_mut().push_pending(to.discard);
    let (reply, ours) = run.await;
    if ours && reply.starts_with(b"-") {
        w.error_reply(&reply);
    }
    Target::Slot {
        conn: to.out.clone(),
        seq,
        part: None,
    }
    .deliver(&reply);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(args: &[&str]) -> bool {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let spec = table::resolve(&argv).expect("known command");
        groups_complete(spec, &argv)
    }

    #[test]
    fn mset_with_a_missing_value_is_not_split() {
        assert!(complete(&["MSET", "a", "1", "b", "2"]));
        assert!(!complete(&["MSET", "a", "1", "b"]));
        assert!(complete(&["DEL", "a", "b", "c"]));
        assert!(complete(&["MGET", "a"]));
    }
}
