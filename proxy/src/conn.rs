//! One client connection: read, parse, dispatch, and write replies in
//! request order.
//!
//! The reader task reads into a per-connection buffer, parses every
//! complete command in it (pipelines of any depth), and for each one either
//! answers at once (connection commands, errors) or queues it on a shard
//! link. Each command takes the next slot of the connection's reply queue
//! ([`ConnOut`]); replies fill their slots in any order and leave the queue
//! only from its front, so the client sees them in request order. The
//! writer task writes everything that is ready with one write per round.
//!
//! Flow control: when the replies waiting for the client pass the output
//! backlog limit, the reader stops reading until the client reads (memory
//! stays bounded for a client that never reads); a command for a full ring
//! waits for room; a command for a shard that is down waits a bounded time.
//! A protocol error is answered and then closes only this connection.

use std::{
    cell::RefCell, collections::VecDeque, net::SocketAddr, rc::Rc, sync::Arc, time::Duration,
};

use smallvec::SmallVec;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{tcp::OwnedWriteHalf, TcpStream},
    sync::Notify,
};

use crate::{
    link::Target,
    merge::Merge,
    resp::{Limits, Parsed, RequestParser},
    server::{ClientHandle, ClientInfo},
    worker::Worker,
};

/// Initial size of a connection's read buffer.
pub const READ_BUFFER_BYTES: usize = 16 << 10;
/// A read buffer grown past this is shrunk back when it empties.
pub const READ_BUFFER_KEEP_BYTES: usize = 1 << 20;
/// Replies a connection may have outstanding (sent to shards, or ready but
/// behind an earlier one) before its reader waits for one to leave. With
/// the output backlog limit this bounds a connection's memory even when a
/// single read holds hundreds of commands with big replies; 128 in flight
/// per connection is far more than a pipeline needs to keep shards busy.
pub const MAX_OUTSTANDING_REPLIES: usize = 128;

enum SlotState {
    Pending,
    /// Ready, behind an earlier reply: `len` bytes at `at` in
    /// [`ConnOut::held`].
    Held {
        at: usize,
        len: usize,
    },
    Merging(Box<Merge>),
}

/// Arguments of a command kept on the stack: an MSET of 11 pairs or an
/// MGET of 23 keys needs no heap list.
const ARGV_INLINE: usize = 24;
/// A held-reply buffer grown past this is given back once empty.
const HELD_KEEP_BYTES: usize = 1 << 20;
/// Below this the held-reply buffer is never compacted.
const HELD_COMPACT_MIN_BYTES: usize = 64 << 10;

struct Slot {
    state: SlotState,
    /// `CLIENT REPLY OFF|SKIP`: the reply is dropped instead of written.
    discard: bool,
}

/// A connection's reply queue and write buffer.
pub struct ConnOut {
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
    /// The client is gone: drop every reply.
    dead: bool,
    /// Close once every queued reply is written (QUIT, protocol error).
    closing: bool,
}

impl Default for ConnOut {
    fn default() -> Self {
        ConnOut::new()
    }
}

impl ConnOut {
    /// An empty reply queue (a connection's, or a simulated client's).
    pub fn new() -> ConnOut {
        ConnOut {
            base: 0,
            slots: VecDeque::new(),
            wbuf: Vec::with_capacity(16 << 10),
            held: Vec::new(),
            held_bytes: 0,
            held_slots: 0,
            writing_bytes: 0,
            writer: Rc::new(Notify::new()),
            drained: Rc::new(Notify::new()),
            progress: Rc::new(Notify::new()),
            dead: false,
            closing: false,
        }
    }

    /// Takes the next reply slot; its reply comes later.
    pub fn push_pending(&mut self, discard: bool) -> u64 {
        self.slots.push_back(Slot {
            state: SlotState::Pending,
            discard,
        });
        self.base + self.slots.len() as u64 - 1
    }

    /// Takes the next slot for a reply assembled from `merge`'s parts.
    pub fn push_merge(&mut self, merge: Merge, discard: bool) -> u64 {
        self.slots.push_back(Slot {
            state: SlotState::Merging(Box::new(merge)),
            discard,
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
    fn complete(&mut self, seq: u64, part: Option<u16>, body: &[u8]) {
        if self.dead || seq < self.base {
            return;
        }
        let idx = (seq - self.base) as usize;
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
                }
                self.advance();
                self.progress.notify_waiters();
            }
            (SlotState::Pending, None) => {
                let state = self.hold(body);
                if let Some(slot) = self.slots.get_mut(idx) {
                    slot.state = state;
                }
            }
            (SlotState::Merging(m), Some(p)) => {
                if !m.add(p as usize, body) {
                    return;
                }
                if idx == 0 {
                    // At the front: straight into the write buffer.
                    if !slot.discard {
                        m.finish(&mut self.wbuf);
                    }
                    self.slots.pop_front();
                    self.base += 1;
                    self.advance();
                    self.progress.notify_waiters();
                } else {
                    let at = self.held.len();
                    m.finish(&mut self.held);
                    let len = self.held.len() - at;
                    self.held_bytes += len;
                    self.held_slots += 1;
                    slot.state = SlotState::Held { at, len };
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

    /// Whether the reader may dispatch another command now.
    fn has_room(&self, backlog_limit: usize) -> bool {
        self.dead || (self.slots.len() < MAX_OUTSTANDING_REPLIES && self.backlog() <= backlog_limit)
    }
}

/// Delivers a shard's reply to its connection.
pub fn deliver(t: &Target, body: &[u8]) {
    t.conn.borrow_mut().complete(t.seq, t.part, body);
}

/// Per-connection settings the commands change.
pub struct ConnState {
    /// RESP version (2 or 3).
    pub proto: u8,
    /// Whether AUTH succeeded (or no password is set).
    pub authed: bool,
    /// `CLIENT REPLY`: 0 on, 1 off, 2 skip the next one.
    pub reply_mode: u8,
    /// The registry entry.
    pub handle: Arc<ClientHandle>,
    /// Close after this command's reply.
    pub close: bool,
    /// Whether the command being dispatched writes (the shard logs it).
    pub write: bool,
}

impl ConnState {
    /// Header fields for this command's requests: protocol and flags.
    pub fn req(&self) -> (u8, u8) {
        let flags = if self.write {
            common::wire::REQ_FLAG_WRITE
        } else {
            0
        };
        (self.proto, flags)
    }
}

/// Serves one client until it leaves, errs or is killed.
pub async fn serve(worker: Rc<Worker>, stream: TcpStream, addr: SocketAddr) {
    let shared = worker.shared.clone();
    let _ = stream.set_nodelay(true);
    let laddr = stream.local_addr().unwrap_or(addr);
    let (mut rd, wr) = stream.into_split();
    let out = Rc::new(RefCell::new(ConnOut::new()));
    let writer = tokio::task::spawn_local(write_loop(wr, out.clone()));
    let full = shared.clients().len() >= shared.cfg.maxclients;
    if full {
        shared
            .stats
            .rejected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        {
            let mut o = out.borrow_mut();
            o.push_ready(b"-ERR max number of clients reached\r\n", false);
            o.closing = true;
            o.writer.notify_one();
        }
        let _ = writer.await;
        return;
    }
    let handle = Arc::new(ClientHandle {
        id: shared
            .next_client_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        addr,
        laddr,
        created: std::time::Instant::now(),
        info: std::sync::Mutex::new(ClientInfo {
            resp: 2,
            ..ClientInfo::default()
        }),
        killed: std::sync::atomic::AtomicBool::new(false),
        kill: Notify::new(),
    });
    shared.clients().insert(handle.id, handle.clone());
    shared
        .stats
        .connections
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut st = ConnState {
        proto: 2,
        authed: shared.cfg.requirepass.is_none(),
        reply_mode: 0,
        handle: handle.clone(),
        close: false,
        write: false,
    };
    let clean = read_loop(&worker, &mut rd, &out, &mut st).await;
    shared.clients().remove(&handle.id);
    {
        let mut o = out.borrow_mut();
        if clean {
            o.closing = true;
        } else {
            o.dead = true;
        }
        let n = o.writer.clone();
        drop(o);
        n.notify_one();
    }
    if !clean {
        // Gone or killed: its replies are dropped, so a writer stuck on a
        // client that never reads must not keep the socket and the queue.
        writer.abort();
        out.borrow_mut().wbuf = Vec::new();
    }
    let _ = writer.await;
}

/// Reads and dispatches until the connection ends; true if replies still
/// queued should be written (QUIT, protocol error), false if the client is
/// gone.
async fn read_loop(
    worker: &Rc<Worker>,
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    out: &Rc<RefCell<ConnOut>>,
    st: &mut ConnState,
) -> bool {
    let cfg = &worker.shared.cfg;
    let limits = Limits {
        max_bulk_len_bytes: cfg.proto_max_bulk_len_bytes,
        ..Limits::default()
    };
    let idle = (cfg.timeout_secs > 0).then(|| Duration::from_secs(cfg.timeout_secs));
    let mut parser = RequestParser::new();
    let mut buf: Vec<u8> = Vec::with_capacity(READ_BUFFER_BYTES);
    let mut start = 0usize;
    loop {
        // A client stopped for its backlog can still be killed.
        tokio::select! {
            _ = wait_for_backlog(out, cfg.client_output_backlog_bytes) => {}
            _ = st.handle.kill.notified() => return false,
        }
        if buf.len() == buf.capacity() {
            buf.reserve(buf.capacity().max(READ_BUFFER_BYTES));
        }
        let n = tokio::select! {
            r = read_some(rd, &mut buf, idle) => match r {
                Some(n) if n > 0 => n,
                _ => return false,
            },
            _ = st.handle.kill.notified() => return false,
        };
        let _ = n;
        loop {
            // Before AUTH, Redis's small request limits apply.
            parser.set_auth_pending(!st.authed);
            let parsed = parser.parse(&mut buf[start..], &limits);
            match parsed {
                Ok(Parsed::Command { args, consumed }) => {
                    if !out.borrow().has_room(cfg.client_output_backlog_bytes) {
                        // Send what is queued, then wait for replies to leave.
                        worker.request_flush();
                        tokio::select! {
                            _ = wait_for_room(out, cfg.client_output_backlog_bytes) => {}
                            _ = st.handle.kill.notified() => return false,
                        }
                    }
                    let base = start;
                    let argv: SmallVec<[&[u8]; ARGV_INLINE]> = args
                        .iter()
                        .map(|&(s, l)| &buf[base + s..base + s + l])
                        .collect();
                    crate::dispatch::handle(worker, st, out, &argv).await;
                    start += consumed;
                    if st.close || st.handle.killed.load(std::sync::atomic::Ordering::Relaxed) {
                        worker.request_flush();
                        return st.close;
                    }
                }
                Ok(Parsed::Skip { consumed }) => start += consumed,
                Ok(Parsed::Incomplete { .. }) => break,
                Err(e) => {
                    let mut reply = Vec::new();
                    e.write_reply(&mut reply);
                    out.borrow_mut().push_ready(&reply, false);
                    worker.request_flush();
                    return true;
                }
            }
        }
        worker.request_flush();
        // Keep only the unparsed tail.
        if start == buf.len() {
            buf.clear();
            if buf.capacity() > READ_BUFFER_KEEP_BYTES {
                buf = Vec::with_capacity(READ_BUFFER_BYTES);
            }
        } else if start > 0 {
            buf.drain(..start);
        }
        start = 0;
        if buf.len() > cfg.client_query_buffer_limit_bytes {
            tracing::warn!("closing a client over the query buffer limit");
            return false;
        }
    }
}

async fn read_some(
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    buf: &mut Vec<u8>,
    idle: Option<Duration>,
) -> Option<usize> {
    match idle {
        None => rd.read_buf(buf).await.ok(),
        Some(d) => tokio::time::timeout(d, rd.read_buf(buf)).await.ok()?.ok(),
    }
}

async fn wait_for_backlog(out: &Rc<RefCell<ConnOut>>, limit: usize) {
    loop {
        let drained = {
            let o = out.borrow();
            if o.backlog() <= limit || o.dead {
                return;
            }
            o.drained.clone()
        };
        drained.notified().await;
    }
}

async fn wait_for_room(out: &Rc<RefCell<ConnOut>>, limit: usize) {
    loop {
        let (progress, drained) = {
            let o = out.borrow();
            if o.has_room(limit) {
                return;
            }
            (o.progress.clone(), o.drained.clone())
        };
        // Created before awaiting: `notify_waiters` reaches both at once.
        let p = progress.notified();
        let d = drained.notified();
        tokio::select! {
            _ = p => {}
            _ = d => {}
        }
    }
}

async fn write_loop(mut wr: OwnedWriteHalf, out: Rc<RefCell<ConnOut>>) {
    let (notify, drained) = {
        let o = out.borrow();
        (o.writer.clone(), o.drained.clone())
    };
    let mut spare = Vec::with_capacity(16 << 10);
    loop {
        notify.notified().await;
        loop {
            let next = {
                let mut o = out.borrow_mut();
                if o.dead {
                    return;
                }
                if !o.wbuf.is_empty() {
                    o.writing_bytes = o.wbuf.len();
                    Some(std::mem::replace(&mut o.wbuf, std::mem::take(&mut spare)))
                } else if o.closing && o.slots.is_empty() {
                    None
                } else {
                    break;
                }
            };
            let Some(buf) = next else {
                let _ = wr.shutdown().await;
                return;
            };
            if wr.write_all(&buf).await.is_err() {
                out.borrow_mut().dead = true;
                drained.notify_waiters();
                return;
            }
            out.borrow_mut().writing_bytes = 0;
            spare = buf;
            spare.clear();
            if spare.capacity() > READ_BUFFER_KEEP_BYTES {
                spare = Vec::with_capacity(16 << 10);
            }
            drained.notify_waiters();
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
    fn replies_leave_in_request_order_through_held_and_compacted_buffers() {
        let mut o = ConnOut::new();
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
        let mut o = ConnOut::new();
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
