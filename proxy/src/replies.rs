//! A connection's reply queue: replies leave in request order, whatever
//! order they arrive in.
//!
//! Each command takes the next slot of the queue ([`Replies`]); a shard's
//! reply (or one part of a merged reply, see [`crate::merge`]) fills its
//! slot through the [`Target`] the command was sent with, and ready
//! replies leave only from the front, into the write buffer the
//! connection's writer task drains with one write per round. Replies that
//! arrive ahead of an earlier one wait in one per-connection buffer, not
//! one allocation each.
//!
//! The proxy's own replies wait for a shard's reply behind them from the
//! same read, as Redis writes a client's replies once per event-loop
//! turn: while the reader holds the queue ([`Replies::begin_round`]), a
//! `MULTI`'s `+OK` and `+QUEUED`s leave with their `EXEC`'s reply in one
//! write, not two. Shards' replies are never held: written as they come,
//! the client reads them while a slower shard still works (holding them
//! for a whole pipeline over two shards cost 15% of INCR's throughput at
//! P16 on 2 cores). The hold ends when that reply comes, when the next
//! read begins, when the ready bytes pass [`HOLD_MAX_BYTES`], or when the
//! reader lets go ([`Replies::release`]: a blocking command waits, the
//! reader waits for room, the connection ends), so a command that may wait
//! for long never keeps the replies before it.
//!
//! This module never calls up: links deliver into it, connections drain
//! it.

use std::{cell::RefCell, collections::VecDeque, rc::Rc, sync::Arc};

use tokio::sync::Notify;

use crate::{gate::Gate, merge::Merge};

/// Replies a connection may have outstanding (sent to shards, or ready but
/// behind an earlier one) before its reader waits for one to leave. With
/// the output backlog limit this bounds a connection's memory even when a
/// single read holds hundreds of commands with big replies; 128 in flight
/// per connection is far more than a pipeline needs to keep shards busy.
pub const MAX_OUTSTANDING_REPLIES: usize = 128;

enum SlotState {
    Pending,
    /// Ready, behind an earlier reply: `len` bytes at `at` in
    /// [`Replies::held`].
    Held {
        at: usize,
        len: usize,
    },
    Merging(Box<Merge>),
}

/// A held-reply buffer grown past this is given back once empty.
const HELD_KEEP_BYTES: usize = 1 << 20;
/// Below this the held-reply buffer is never compacted.
const HELD_COMPACT_MIN_BYTES: usize = 64 << 10;

/// Ready bytes never held back for a later reply of the same read past
/// this: a big pipeline's first replies leave while the rest are made.
pub const HOLD_MAX_BYTES: usize = 64 << 10;

struct Slot {
    state: SlotState,
    /// The read ([`Replies::begin_round`]) that queued it.
    round: u32,
    /// `CLIENT REPLY OFF|SKIP`: the reply is dropped instead of written.
    discard: bool,
}

/// Feeds one command's MONITOR line to the monitors.
pub type MonitorFeed = Box<dyn FnOnce()>;

/// A connection's reply queue and write buffer.
pub struct Replies {
    base: u64,
    slots: VecDeque<Slot>,
    wbuf: Vec<u8>,
    /// Replies that arrived before an earlier one, back to back (one
    /// buffer per connection, not one allocation per reply); slots point
    /// into it. Emptied when no slot is held, compacted when mostly dead.
    held: Vec<u8>,
    /// Live bytes in `held` (in `Held` slots).
    held_bytes: usize,
    /// Slots in the `Held` state.
    held_slots: usize,
    /// Bytes the writer has taken from `wbuf` and is writing now.
    writing_bytes: usize,
    writer: Rc<Notify>,
    drained: Rc<Notify>,
    /// Signalled when replies leave the queue's front.
    progress: Rc<Notify>,
    /// Someone took the progress bell since it last rang: only then is it
    /// rung (tokio's `notify_waiters` takes a lock even with no waiter,
    /// and replies leave the front once per reply).
    progress_watched: std::cell::Cell<bool>,
    /// The client is gone: drop every reply.
    dead: bool,
    /// Close once every queued reply is written (QUIT, protocol error).
    closing: bool,
    /// The reader's current read, numbered.
    round: u32,
    /// The reader holds ready replies behind pending ones of `round`.
    holding: bool,
    /// `wbuf` has a shard's reply (never held).
    shard_ready: bool,
    /// A command the proxy answers at its end is running: the mailbox's
    /// messages (pub/sub, invalidations) wait for its reply
    /// (`crate::builtin::pubsub`).
    pub pushes_held: bool,
    /// What feeds a command's MONITOR line, waiting for the command's
    /// reply, by slot (`crate::monitor`: a command is shown once it ran).
    monitor_after: Vec<(u64, MonitorFeed)>,
    /// Set by [`Replies::shrink_idle`] for the writer.
    spare_unwanted: bool,
    /// The connection's script calls in flight, which some of its next
    /// commands wait behind (`crate::behind`).
    pub behind: Rc<crate::behind::Behind>,
}

impl Default for Replies {
    fn default() -> Self {
        Replies::new()
    }
}

impl Replies {
    /// An empty reply queue (a connection's, or a simulated client's).
    pub fn new() -> Replies {
        Replies {
            wbuf: Vec::with_capacity(16 << 10),
            ..Replies::capture()
        }
    }

    /// A queue the proxy fills with a shard's replies to its own requests
    /// (a transaction's steps, a SHARDD.* question): its write buffer
    /// grows with what comes, not a connection's 16 KiB up front (that
    /// allocation was an eighth of a RENAME across shards).
    pub fn capture() -> Replies {
        Replies {
            base: 0,
            slots: VecDeque::new(),
            wbuf: Vec::new(),
            held: Vec::new(),
            held_bytes: 0,
            held_slots: 0,
            writing_bytes: 0,
            writer: Rc::new(Notify::new()),
            drained: Rc::new(Notify::new()),
            progress: Rc::new(Notify::new()),
            progress_watched: std::cell::Cell::new(false),
            dead: false,
            closing: false,
            round: 0,
            holding: false,
            shard_ready: false,
            pushes_held: false,
            monitor_after: Vec::new(),
            spare_unwanted: false,
            behind: Rc::default(),
        }
    }

    /// Takes the next reply slot; its reply comes later.
    pub fn push_pending(&mut self, discard: bool) -> u64 {
        self.slots.push_back(Slot {
            state: SlotState::Pending,
            discard,
            round: self.round,
        });
        self.base + self.slots.len() as u64 - 1
    }

    /// Takes the next slot for a reply assembled from `merge`'s parts.
    pub fn push_merge(&mut self, merge: Merge, discard: bool) -> u64 {
        self.slots.push_back(Slot {
            state: SlotState::Merging(Box::new(merge)),
            discard,
            round: self.round,
        });
        self.base + self.slots.len() as u64 - 1
    }

    /// Queues a reply that is ready now.
    pub fn push_ready(&mut self, reply: &[u8], discard: bool) {
        if discard || self.dead {
            return;
        }
        if self.slots.is_empty() {
            self.wbuf.extend_from_slice(reply);
            self.writer.notify_one();
        } else {
            let state = self.hold(reply);
            self.slots.push_back(Slot {
                state,
                discard: false,
                round: self.round,
            });
        }
    }

    /// Copies `reply` into the held buffer; the state that points at it.
    fn hold(&mut self, reply: &[u8]) -> SlotState {
        let at = self.held.len();
        self.held.extend_from_slice(reply);
        self.held_bytes += reply.len();
        self.held_slots += 1;
        SlotState::Held {
            at,
            len: reply.len(),
        }
    }

    /// Fills slot `seq` (or part `part` of it) with `body`.
    pub(crate) fn complete(&mut self, seq: u64, part: Option<u16>, body: &[u8]) {
        let _ = self.complete_with_events(seq, part, body, &[]);
    }

    /// [`Replies::complete`] for a body that carried keyspace `events`;
    /// the events to publish now. A part of a merge keeps its events
    /// until the last part comes, then all of them come out in the order
    /// of the command's keys ([`Merge::take_events`]); any other reply's
    /// come out at once.
    pub(crate) fn complete_with_events(
        &mut self,
        seq: u64,
        part: Option<u16>,
        body: &[u8],
        events: &[u8],
    ) -> Vec<u8> {
        let ready = self.complete_inner(seq, part, body, events);
        if !self.monitor_after.is_empty() {
            self.feed_monitor_lines();
        }
        ready
    }

    /// The slot that the next `push_pending` or `push_merge` takes.
    pub fn next_seq(&self) -> u64 {
        self.base + self.slots.len() as u64
    }

    /// Whether slot `seq` has its reply (or never was a slot).
    fn has_reply(&self, seq: u64) -> bool {
        match seq.checked_sub(self.base) {
            None => true,
            Some(i) => !matches!(
                self.slots.get(i as usize).map(|s| &s.state),
                Some(SlotState::Pending | SlotState::Merging(_))
            ),
        }
    }

    /// Runs `feed` (a MONITOR line's) once slot `seq` has its reply: now
    /// if it has (or the client is gone).
    pub fn feed_after(&mut self, seq: u64, feed: MonitorFeed) {
        if self.dead || self.has_reply(seq) {
            feed();
        } else {
            self.monitor_after.push((seq, feed));
        }
    }

    /// Feeds the lines whose commands have their replies, in slot order.
    fn feed_monitor_lines(&mut self) {
        let mut i = 0;
        while i < self.monitor_after.len() {
            let seq = self.monitor_after[i].0;
            if self.dead || self.has_reply(seq) {
                (self.monitor_after.remove(i).1)();
            } else {
                i += 1;
            }
        }
    }

    fn complete_inner(
        &mut self,
        seq: u64,
        part: Option<u16>,
        body: &[u8],
        events: &[u8],
    ) -> Vec<u8> {
        if seq < self.base {
            return events.to_vec();
        }
        let idx = (seq - self.base) as usize;
        let Some(slot) = self.slots.get_mut(idx) else {
            return events.to_vec();
        };
        if let (SlotState::Merging(m), Some(p)) = (&mut slot.state, part) {
            // Even for a connection that died meanwhile: the command ran,
            // its events go out.
            if !events.is_empty() {
                m.add_events(p as usize, events);
            }
            if !m.add(p as usize, body) {
                return Vec::new();
            }
            let ready = m.take_events();
            if !self.dead {
                self.finish_merge(idx, body);
            }
            return ready;
        }
        if !self.dead {
            self.fill(idx, part, body);
        }
        events.to_vec()
    }

    /// Slot `idx`, whose merge has every part (`last` completed it): its
    /// reply is built.
    fn finish_merge(&mut self, idx: usize, last: &[u8]) {
        let Some(slot) = self.slots.get_mut(idx) else {
            return;
        };
        let SlotState::Merging(m) = &mut slot.state else {
            return;
        };
        if idx == 0 {
            // At the front: straight into the write buffer.
            if !slot.discard {
                m.finish(last, &mut self.wbuf);
                self.shard_ready = true;
            }
            self.slots.pop_front();
            self.base += 1;
            self.advance();
            self.ring_progress();
        } else {
            let at = self.held.len();
            m.finish(last, &mut self.held);
            let len = self.held.len() - at;
            self.held_bytes += len;
            self.held_slots += 1;
            slot.state = SlotState::Held { at, len };
        }
    }

    /// Fills slot `idx` with a whole reply.
    fn fill(&mut self, idx: usize, part: Option<u16>, body: &[u8]) {
        let Some(slot) = self.slots.get_mut(idx) else {
            return;
        };
        match (&mut slot.state, part) {
            (SlotState::Pending, None) if idx == 0 => {
                let discard = slot.discard;
                self.slots.pop_front();
                self.base += 1;
                if !discard {
                    self.wbuf.extend_from_slice(body);
                    self.shard_ready = true;
                }
                self.advance();
                self.ring_progress();
            }
            (SlotState::Pending, None) => {
                let state = self.hold(body);
                if let Some(slot) = self.slots.get_mut(idx) {
                    slot.state = state;
                }
            }
            _ => {}
        }
    }

    /// Moves ready replies at the front into the write buffer.
    fn advance(&mut self) {
        while let Some(front) = self.slots.front() {
            let SlotState::Held { at, len } = front.state else {
                break;
            };
            if !front.discard {
                self.wbuf.extend_from_slice(&self.held[at..at + len]);
            }
            self.slots.pop_front();
            self.base += 1;
            self.held_bytes -= len;
            self.held_slots -= 1;
        }
        if self.held_slots == 0 {
            self.held.clear();
            if self.held.capacity() > HELD_KEEP_BYTES {
                self.held = Vec::new();
            }
        } else if self.held.len() > HELD_COMPACT_MIN_BYTES && self.held.len() > 4 * self.held_bytes
        {
            self.compact_held();
        }
        if !self.wbuf.is_empty() || (self.closing && self.slots.is_empty()) {
            self.writer.notify_one();
        }
    }

    /// Copies the live held replies into a fresh buffer (in queue order),
    /// dropping the bytes of replies already written.
    fn compact_held(&mut self) {
        let mut fresh = Vec::with_capacity(self.held_bytes);
        for slot in self.slots.iter_mut() {
            if let SlotState::Held { at, len } = &mut slot.state {
                let start = fresh.len();
                fresh.extend_from_slice(&self.held[*at..*at + *len]);
                *at = start;
            }
        }
        self.held = fresh;
    }

    /// Takes the bytes ready for the client, as the writer task does
    /// before a write (for simulations driving a queue without a socket).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.wbuf)
    }

    /// Reply bytes waiting for the client.
    pub fn backlog(&self) -> usize {
        self.wbuf.len() + self.held.len() + self.writing_bytes
    }

    /// Reply bytes ready to write or being written.
    pub fn ready_bytes(&self) -> usize {
        self.wbuf.len() + self.writing_bytes
    }

    /// Capacity of the write buffer.
    pub fn buffer_capacity(&self) -> usize {
        self.wbuf.capacity()
    }

    /// Whether the reader may dispatch another command now.
    pub fn has_room(&self, backlog_limit: usize) -> bool {
        self.dead || (self.slots.len() < MAX_OUTSTANDING_REPLIES && self.backlog() <= backlog_limit)
    }

    /// Replies (or parts) still expected from shards or held.
    pub fn outstanding(&self) -> usize {
        self.slots.len()
    }

    /// Whether the client is gone (every reply is dropped).
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// The client is gone: drop every reply from now on, and the bytes
    /// not yet written.
    pub fn kill(&mut self) {
        self.dead = true;
        self.wbuf = Vec::new();
        self.writer.notify_one();
        self.drained.notify_waiters();
    }

    /// Close the connection once every queued reply is written (QUIT, a
    /// protocol error, a refused connection).
    pub fn close_when_written(&mut self) {
        self.closing = true;
        self.holding = false;
        self.writer.notify_one();
    }

    /// Wakes the writer when there is something to write (or to close).
    pub fn writer_bell(&self) -> Rc<Notify> {
        self.writer.clone()
    }

    /// Signalled when the writer wrote (or the client vanished).
    pub fn drained_bell(&self) -> Rc<Notify> {
        self.drained.clone()
    }

    /// Signalled when replies leave the queue's front.
    /// Taking it is what makes the queue ring it: every wait takes it
    /// anew before it creates its `notified()`.
    pub fn progress_bell_for_one_wait(&self) -> Rc<Notify> {
        self.progress_watched.set(true);
        self.progress.clone()
    }

    /// Rings the progress bell if anyone took it since it last rang.
    fn ring_progress(&self) {
        if self.progress_watched.replace(false) {
            self.progress.notify_waiters();
        }
    }

    /// The reader starts on a new read: until [`Replies::release`], ready
    /// replies wait for the pending replies of this read behind them.
    pub fn begin_round(&mut self) {
        self.round = self.round.wrapping_add(1);
        self.holding = true;
        if !self.wbuf.is_empty() {
            // What an earlier read held may leave now.
            self.writer.notify_one();
        }
    }

    /// The reader stops holding replies (it waits for something else than
    /// the client: a blocking command, room in the queue, the end).
    pub fn release(&mut self) {
        self.holding = false;
        if !self.wbuf.is_empty() {
            self.writer.notify_one();
        }
    }

    /// Whether the proxy's ready replies wait for the pending reply at the
    /// front (queued by the read the reader is still holding).
    fn held_back(&self) -> bool {
        self.holding
            && !self.shard_ready
            && self.wbuf.len() < HOLD_MAX_BYTES
            && self.slots.front().is_some_and(|s| s.round == self.round)
    }

    /// What the writer does next; `spare` is an empty buffer to swap in.
    pub fn next_write(&mut self, spare: &mut Vec<u8>) -> WriteStep {
        if self.dead {
            return WriteStep::Stop;
        }
        if !self.wbuf.is_empty() && !self.held_back() {
            self.writing_bytes = self.wbuf.len();
            self.shard_ready = false;
            return WriteStep::Write(std::mem::replace(&mut self.wbuf, std::mem::take(spare)));
        }
        if self.closing && self.slots.is_empty() {
            return WriteStep::Close;
        }
        WriteStep::Wait
    }

    /// An idle connection gives back its empty reply buffers (the
    /// writer's spare one too, at its next wake-up: [`Replies::take_spare_unwanted`]).
    pub fn shrink_idle(&mut self) {
        if self.wbuf.is_empty() && self.writing_bytes == 0 {
            self.wbuf = Vec::new();
            self.spare_unwanted = true;
            self.writer.notify_one();
        }
        if self.held_slots == 0 {
            self.held = Vec::new();
        }
    }

    /// Whether the writer should drop its spare buffer (once).
    pub fn take_spare_unwanted(&mut self) -> bool {
        std::mem::take(&mut self.spare_unwanted)
    }

    /// The writer finished writing what [`Replies::next_write`] gave it.
    pub fn written(&mut self) {
        self.writing_bytes = 0;
        self.drained.notify_waiters();
    }
}

/// The writer's next step.
pub enum WriteStep {
    /// Write these bytes (then call [`Replies::written`]).
    Write(Vec<u8>),
    /// Everything queued is written and the connection closes.
    Close,
    /// Nothing to write yet.
    Wait,
    /// The client is gone.
    Stop,
}

/// Where a shard's reply goes: a connection's reply slot, whole or as one
/// part of a merged reply.
pub enum Target {
    /// A slot of a connection's reply queue.
    Slot {
        /// The connection's reply queue.
        conn: Rc<RefCell<Replies>>,
        /// The command's sequence number on that connection.
        seq: u64,
        /// Part index for merged replies; `None` for a whole reply.
        part: Option<u16>,
    },
    /// Nobody waits for it (a client's `SHARDD.UNWATCH` after DISCARD).
    Ignore,
    /// One reply of a batch of internal requests (a transaction's steps),
    /// kept at `index` of the batch's [`Collector`].
    Collect {
        /// The batch.
        to: Rc<Collector>,
        /// The request's place in it.
        index: usize,
    },
    /// A script run on one shard: the slot's reply, unless the script
    /// reached a key of another shard (`-SHARDIS.STRAY`); then it runs
    /// again over several shards and fills the slot later
    /// ([`Rerun`], implemented by `crate::script`).
    Script {
        /// The connection's reply queue.
        conn: Rc<RefCell<Replies>>,
        /// The command's sequence number on that connection.
        seq: u64,
        /// What it takes to run the script again.
        rerun: Rc<dyn Rerun>,
    },
    /// A part of a command over several shards outside any transaction:
    /// the slot's reply, then one part less in flight at the gate.
    Gated {
        /// The connection's reply queue.
        conn: Rc<RefCell<Replies>>,
        /// The command's sequence number on that connection.
        seq: u64,
        /// Part index.
        part: u16,
        /// The gate counting the parts in flight.
        gate: Arc<Gate>,
    },
}

/// The replies of a batch of internal requests, each kept whole at its
/// place ([`Target::Collect`]): what a transaction's steps wait for. One
/// allocation per batch and one per reply, where a reply queue per
/// request ([`Replies::capture`]) costs a handful.
#[derive(Default)]
pub struct Collector {
    replies: RefCell<Vec<Vec<u8>>>,
    outstanding: std::cell::Cell<usize>,
    done: Notify,
}

impl Collector {
    /// An empty batch.
    pub fn new() -> Rc<Collector> {
        Rc::new(Collector::default())
    }

    /// The target of the batch's next request (its reply's place is the
    /// number of targets taken before).
    pub fn target(self: &Rc<Self>) -> Target {
        let mut replies = self.replies.borrow_mut();
        replies.push(Vec::new());
        self.outstanding.set(self.outstanding.get() + 1);
        Target::Collect {
            to: self.clone(),
            index: replies.len() - 1,
        }
    }

    fn fill(&self, index: usize, body: &[u8]) {
        if let Some(r) = self.replies.borrow_mut().get_mut(index) {
            r.extend_from_slice(body);
        }
        let left = self.outstanding.get().saturating_sub(1);
        self.outstanding.set(left);
        if left == 0 {
            // A permit if nobody waits yet: `wait` checks the count anyway.
            self.done.notify_one();
        }
    }

    /// Waits until every reply is in; the replies, in the order their
    /// targets were taken.
    pub async fn wait(&self) -> Vec<Vec<u8>> {
        while self.outstanding.get() > 0 {
            self.done.notified().await;
        }
        std::mem::take(&mut *self.replies.borrow_mut())
    }
}

/// What a [`Target::Script`] does with its reply first: true if it took
/// it over (the script runs again elsewhere and fills the slot later).
pub trait Rerun {
    /// Takes over `reply` for slot `seq` of `conn`, or declines.
    fn take_over(self: Rc<Self>, conn: &Rc<RefCell<Replies>>, seq: u64, reply: &[u8]) -> bool;
}

impl Target {
    /// Fills the target's slot (or part) with `body`.
    pub fn deliver(&self, body: &[u8]) {
        let _ = self.deliver_with_events(body, &[]);
    }

    /// [`Target::deliver`] for a body that carried keyspace `events`; the
    /// events to publish now ([`Replies::complete_with_events`]).
    pub fn deliver_with_events(&self, body: &[u8], events: &[u8]) -> Vec<u8> {
        match self {
            Target::Slot { conn, seq, part } => conn
                .borrow_mut()
                .complete_with_events(*seq, *part, body, events),
            Target::Ignore => events.to_vec(),
            Target::Collect { to, index } => {
                to.fill(*index, body);
                events.to_vec()
            }
            Target::Script { conn, seq, rerun } => {
                if !rerun.clone().take_over(conn, *seq, body) {
                    conn.borrow_mut().complete(*seq, None, body);
                }
                events.to_vec()
            }
            Target::Gated {
                conn,
                seq,
                part,
                gate,
            } => {
                let ready = conn
                    .borrow_mut()
                    .complete_with_events(*seq, Some(*part), body, events);
                gate.release(1);
                ready
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(i: usize, size: usize) -> Vec<u8> {
        let mut r = format!("${size}\r\n").into_bytes();
        r.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, size));
        r.extend_from_slice(b"\r\n");
        r
    }

    #[test]
    fn a_merge_hands_out_its_parts_events_at_its_last_part_even_for_a_dead_client() {
        use crate::merge::MergeKind;
        let mut blob = [Vec::new(), Vec::new()];
        common::notify::push_event(&mut blob[0], b"__keyevent@0__:del", b"b");
        common::notify::push_event(&mut blob[1], b"__keyevent@0__:del", b"a");
        let keys = vec![b"a".to_vec(), b"b".to_vec()];
        for dies in [false, true] {
            let mut o = Replies::new();
            let merge = Merge::new(MergeKind::SumInts, 2, common::reply::Proto::Resp2);
            let seq = o.push_merge(merge.with_keys(keys.clone()), false);
            assert!(o
                .complete_with_events(seq, Some(0), b":1\r\n", &blob[0])
                .is_empty());
            if dies {
                o.kill();
            }
            let ready = o.complete_with_events(seq, Some(1), b":1\r\n", &blob[1]);
            let got: Vec<&[u8]> = common::notify::events(&ready).map(|(_, m, _)| m).collect();
            assert_eq!(got, vec![&b"a"[..], &b"b"[..]], "dies: {dies}");
        }
    }

    fn written(o: &mut Replies) -> Option<Vec<u8>> {
        match o.next_write(&mut Vec::new()) {
            WriteStep::Write(b) => {
                o.written();
                Some(b)
            }
            _ => None,
        }
    }

    #[test]
    fn a_reads_ready_replies_wait_for_its_pending_ones_until_they_come_or_the_hold_ends() {
        // MULTI's +OK and a +QUEUED, then EXEC's pending reply, one read.
        let mut o = Replies::new();
        o.begin_round();
        o.push_ready(b"+OK\r\n", false);
        o.push_ready(b"+QUEUED\r\n", false);
        let exec = o.push_pending(false);
        assert_eq!(written(&mut o), None, "held for EXEC");
        o.complete(exec, None, b"*0\r\n");
        assert_eq!(
            written(&mut o).as_deref(),
            Some(&b"+OK\r\n+QUEUED\r\n*0\r\n"[..])
        );

        // A pending reply of an earlier read holds nothing.
        o.push_ready(b"+PONG\r\n", false);
        let get = o.push_pending(false);
        o.begin_round();
        assert_eq!(written(&mut o).as_deref(), Some(&b"+PONG\r\n"[..]));
        o.complete(get, None, b"$-1\r\n");

        // Released (a blocking command waits): what is ready leaves.
        o.begin_round();
        assert_eq!(written(&mut o).as_deref(), Some(&b"$-1\r\n"[..]));
        o.push_ready(b"+PONG\r\n", false);
        let blpop = o.push_pending(false);
        assert_eq!(written(&mut o), None);
        o.release();
        assert_eq!(written(&mut o).as_deref(), Some(&b"+PONG\r\n"[..]));
        o.complete(blpop, None, b"*-1\r\n");
        assert_eq!(written(&mut o).as_deref(), Some(&b"*-1\r\n"[..]));

        // A shard's reply is never held.
        o.begin_round();
        let first = o.push_pending(false);
        let second = o.push_pending(false);
        o.complete(first, None, b":1\r\n");
        assert_eq!(written(&mut o).as_deref(), Some(&b":1\r\n"[..]));
        o.push_ready(b"+PONG\r\n", false);
        o.complete(second, None, b":2\r\n");
        assert_eq!(written(&mut o).as_deref(), Some(&b":2\r\n+PONG\r\n"[..]));

        // Past HOLD_MAX_BYTES the ready bytes leave.
        o.begin_round();
        let big = reply(0, HOLD_MAX_BYTES);
        o.push_ready(&big, false);
        let _pending = o.push_pending(false);
        assert_eq!(written(&mut o).map(|b| b.len()), Some(big.len()));

        // A queue nobody reads for holds nothing (a capture).
        let mut c = Replies::capture();
        c.push_ready(b"+OK\r\n", false);
        let _ = c.push_pending(false);
        assert_eq!(written(&mut c).as_deref(), Some(&b"+OK\r\n"[..]));
    }

    #[test]
    fn the_progress_bell_for_one_wait_rings_for_whoever_took_it_before_the_front_reply_left() {
        use std::{future::Future, task::Context};
        let mut o = Replies::new();
        let first = o.push_pending(false);
        let second = o.push_pending(false);
        let bell = o.progress_bell_for_one_wait();
        let waiting = bell.notified();
        tokio::pin!(waiting);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        o.complete(first, None, b":1\r\n");
        assert!(
            waiting.as_mut().poll(&mut cx).is_ready(),
            "rung for its taker"
        );
        // Nobody took it since: the next reply leaves without a ring, and a
        // wait that takes it now hears the reply after.
        let bell = o.progress_bell_for_one_wait();
        let waiting = bell.notified();
        tokio::pin!(waiting);
        assert!(waiting.as_mut().poll(&mut cx).is_pending());
        o.complete(second, None, b":2\r\n");
        assert!(waiting.as_mut().poll(&mut cx).is_ready());
    }

    #[test]
    fn replies_leave_in_request_order_through_held_and_compacted_buffers() {
        let mut o = Replies::new();
        let n = 40;
        let seqs: Vec<u64> = (0..n).map(|_| o.push_pending(false)).collect();
        // Everything but slots 0 and 35 arrives first, big enough that the
        // held buffer is mostly dead (and compacted) once 1..35 leave.
        for (i, &seq) in seqs.iter().enumerate() {
            if i != 0 && i != 35 {
                o.complete(seq, None, &reply(i, 8 << 10));
            }
        }
        assert!(o.take_output().is_empty(), "nothing before slot 0");
        o.complete(seqs[0], None, &reply(0, 8 << 10));
        let first = o.take_output();
        assert_eq!(
            first,
            (0..35).flat_map(|i| reply(i, 8 << 10)).collect::<Vec<u8>>()
        );
        // Slots 36.. are still held: the buffer was compacted to them.
        assert_eq!(o.held_slots, 4);
        assert_eq!(o.held.len(), o.held_bytes, "compacted to the live bytes");
        o.complete(seqs[35], None, &reply(35, 8 << 10));
        let rest = o.take_output();
        assert_eq!(
            rest,
            (35..n).flat_map(|i| reply(i, 8 << 10)).collect::<Vec<u8>>()
        );
        assert!(o.held.is_empty() && o.held_slots == 0 && o.held_bytes == 0);
    }

    #[test]
    fn discarded_and_ready_replies_keep_their_places() {
        let mut o = Replies::new();
        let a = o.push_pending(false);
        let b = o.push_pending(true); // CLIENT REPLY SKIP
        o.push_ready(b"+now\r\n", false);
        o.complete(b, None, b"+skipped\r\n");
        assert!(o.take_output().is_empty());
        o.complete(a, None, b"+first\r\n");
        assert_eq!(o.take_output(), b"+first\r\n+now\r\n");
        assert_eq!(o.backlog(), 0);
    }
}
