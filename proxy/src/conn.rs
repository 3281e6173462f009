//! One client connection: read, parse, dispatch, and write replies in
//! request order.
//!
//! The reader task reads into a per-connection buffer, parses every
//! complete command in it (pipelines of any depth) and hands each to
//! [`crate::dispatch`], which answers it or queues it on a shard link; each
//! takes the next slot of the connection's [`Replies`]. The writer task
//! writes everything that is ready with one write per round.
//!
//! Flow control: when the replies waiting for the client pass the output
//! backlog limit, the reader stops reading until the client reads (memory
//! stays bounded for a client that never reads); a command for a full ring
//! waits for room; a command for a shard that is down waits a bounded time.
//! A protocol error is answered and then closes only this connection.

use std::{
    cell::RefCell,
    net::SocketAddr,
    rc::Rc,
    sync::{atomic::Ordering, Arc},
    time::Duration,
};

use smallvec::SmallVec;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{tcp::OwnedWriteHalf, TcpStream},
};

use crate::{
    replies::{Replies, WriteStep},
    resp::{Limits, Parsed, RequestParser},
    session::Session,
    state::{ClientHandle, Shared},
    worker::Worker,
};

/// Initial size of a connection's read buffer.
pub const READ_BUFFER_BYTES: usize = 16 << 10;
/// A read buffer grown past this is shrunk back when it empties.
pub const READ_BUFFER_KEEP_BYTES: usize = 1 << 20;
/// Arguments of a command kept on the stack: an MSET of 11 pairs or an
/// MGET of 23 keys needs no heap list.
const ARGV_INLINE: usize = 24;

/// Serves one client until it leaves, errs or is killed.
pub async fn serve(worker: Rc<Worker>, stream: TcpStream, addr: SocketAddr) {
    let shared = worker.shared.clone();
    let _ = stream.set_nodelay(true);
    let laddr = stream.local_addr().unwrap_or(addr);
    let (mut rd, wr) = stream.into_split();
    let out = Rc::new(RefCell::new(Replies::new()));
    let writer = tokio::task::spawn_local(write_loop(wr, out.clone(), shared.clone()));
    let full = shared.clients().len() >= shared.cfg.maxclients;
    if full {
        shared
            .stats
            .rejected
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        {
            let mut o = out.borrow_mut();
            o.push_ready(b"-ERR max number of clients reached\r\n", false);
            o.close_when_written();
        }
        let _ = writer.await;
        return;
    }
    let id = shared
        .next_client_id
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let handle = Arc::new(ClientHandle::new(id, addr, laddr));
    shared.clients().insert(handle.id, handle.clone());
    shared
        .stats
        .connections
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut session = Session::new(handle.clone(), shared.requirepass().is_none());
    let clean = read_loop(&worker, &mut rd, &out, &mut session).await;
    shared.clients().remove(&handle.id);
    let name = crate::stats::lock(&handle.info).name.clone();
    shared.intro.client_departed(handle.id, handle.addr, name);
    if clean {
        out.borrow_mut().close_when_written();
    } else {
        // Gone or killed: its replies are dropped, so a writer stuck on a
        // client that never reads must not keep the socket and the queue.
        out.borrow_mut().kill();
        writer.abort();
    }
    let _ = writer.await;
}

/// Reads and dispatches until the connection ends; true if replies still
/// queued should be written (QUIT, protocol error), false if the client is
/// gone.
async fn read_loop(
    worker: &Rc<Worker>,
    rd: &mut tokio::net::tcp::OwnedReadHalf,
    out: &Rc<RefCell<Replies>>,
    st: &mut Session,
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
        let stats = &worker.shared.stats;
        stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
        stats.reads.fetch_add(1, Ordering::Relaxed);
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

async fn wait_for_backlog(out: &Rc<RefCell<Replies>>, limit: usize) {
    loop {
        let drained = {
            let o = out.borrow();
            if o.backlog() <= limit || o.is_dead() {
                return;
            }
            o.drained_bell()
        };
        drained.notified().await;
    }
}

async fn wait_for_room(out: &Rc<RefCell<Replies>>, limit: usize) {
    loop {
        let (progress, drained) = {
            let o = out.borrow();
            if o.has_room(limit) {
                return;
            }
            (o.progress_bell(), o.drained_bell())
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

async fn write_loop(mut wr: OwnedWriteHalf, out: Rc<RefCell<Replies>>, shared: Arc<Shared>) {
    let bell = out.borrow().writer_bell();
    let mut spare = Vec::with_capacity(16 << 10);
    loop {
        bell.notified().await;
        loop {
            let step = out.borrow_mut().next_write(&mut spare);
            let buf = match step {
                WriteStep::Write(buf) => buf,
                WriteStep::Wait => break,
                WriteStep::Stop => return,
                WriteStep::Close => {
                    let _ = wr.shutdown().await;
                    return;
                }
            };
            if wr.write_all(&buf).await.is_err() {
                out.borrow_mut().kill();
                return;
            }
            let stats = &shared.stats;
            stats
                .net_output_bytes
                .fetch_add(buf.len() as u64, Ordering::Relaxed);
            stats.writes.fetch_add(1, Ordering::Relaxed);
            out.borrow_mut().written();
            spare = buf;
            spare.clear();
            if spare.capacity() > READ_BUFFER_KEEP_BYTES {
                spare = Vec::with_capacity(16 << 10);
            }
        }
    }
}
