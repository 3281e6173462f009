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
    Ready(Vec<u8>),
    Merging(Box<Merge>),
}

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
    /// Bytes held in ready slots not yet moved to `wbuf`.
    held_bytes: usize,
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
            held_bytes: 0,
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
            self.held_bytes += reply.len();
            self.slots.push_back(Slot {
                state: SlotState::Ready(reply.to_vec()),
                discard: false,
            });
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
                self.held_bytes += body.len();
                slot.state = SlotState::Ready(body.to_vec());
            }
            (SlotState::Merging(m), Some(p)) => {
                if !m.add(p as usize, body) {
                    return;
                }
                let mut out = Vec::new();
                m.finish(&mut out);
                self.held_bytes += out.len();
                slot.state = SlotState::Ready(out);
                if idx == 0 {
                    self.advance();
                    self.progress.notify_waiters();
                }
            }
            _ => {}
        }
    }

    /// Moves ready replies at the front into the write buffer.
    fn advance(&mut self) {
        while let Some(front) = self.slots.front() {
            if !matches!(front.state, SlotState::Ready(_)) {
                break;
            }
            let Some(slot) = self.slots.pop_front() else {
                break;
            };
            self.base += 1;
            if let SlotState::Ready(bytes) = slot.state {
                self.held_bytes -= bytes.len();
                if !slot.discard {
                    self.wbuf.extend_from_slice(&bytes);
                }
            }
        }
        if !self.wbuf.is_empty() || (self.closing && self.slots.is_empty()) {
            self.writer.notify_one();
        }
    }

    /// Takes the bytes ready for the client, as the writer task does
    /// before a write (for simulations driving a queue without a socket).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.wbuf)
    }

    /// Reply bytes waiting for the client.
    pub fn backlog(&self) -> usize {
        self.wbuf.len() + self.held_bytes + self.writing_bytes
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
            shardd::server::REQ_FLAG_WRITE
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
                    let argv: SmallVec<[&[u8]; 8]> = args
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
