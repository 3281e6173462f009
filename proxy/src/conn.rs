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
    os::fd::AsRawFd,
    rc::Rc,
    sync::{atomic::Ordering, Arc},
};

use smallvec::SmallVec;
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    dispatch::Plain,
    replies::{Replies, WriteStep},
    resp::{Limits, Parsed, RequestParser},
    script::Took,
    session::Session,
    state::{ClientHandle, Shared},
    whole_tx::Taken,
    worker::Worker,
};

/// Initial size of a connection's read buffer.
pub const READ_BUFFER_BYTES: usize = 16 << 10;
/// A read buffer grown past this is shrunk back when it empties.
pub const READ_BUFFER_KEEP_BYTES: usize = 1 << 20;
/// The first read after an idle connection gave its buffers back
/// (`ClientHandle::shrink`): most such reads are one small command.
const IDLE_READ_BYTES: usize = 1 << 10;
/// Seconds without a command after which a connection's empty buffers
/// are given back (Redis frees an idle client's query buffer after 2).
pub const IDLE_SHRINK_SECS: u64 = 2;
/// Arguments of a command kept on the stack: an MSET of 11 pairs or an
/// MGET of 23 keys needs no heap list.
const ARGV_INLINE: usize = 24;

/// The socket's side of a connection: its addresses and descriptor,
/// with nodelay and `tcp-keepalive` set.
fn prepare(shared: &Shared, stream: &TcpStream, addr: SocketAddr) -> (SocketAddr, i32) {
    let _ = stream.set_nodelay(true);
    let laddr = stream.local_addr().unwrap_or(addr);
    let fd = stream.as_raw_fd();
    let keepalive = shared.settings.tcp_keepalive_secs();
    if keepalive > 0 {
        if let Err(e) = set_keepalive(fd, keepalive) {
            tracing::debug!("tcp-keepalive: {e}");
        }
    }
    (laddr, fd)
}

/// Whether protected mode refuses a client from `addr`: it is on, the
/// default user has no password, and the client is not on loopback (as
/// Redis decides).
pub fn protected_refuses(protected: bool, default_nopass: bool, addr: &SocketAddr) -> bool {
    // An IPv4 client of a dual-stack socket is `::ffff:a.b.c.d`.
    protected && default_nopass && !addr.ip().to_canonical().is_loopback()
}

/// Redis's reply to a client protected mode refuses.
const DENIED: &[u8] = b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";

/// Serves one plain TCP client until it leaves, errs or is killed.
pub async fn serve(worker: Rc<Worker>, stream: TcpStream, addr: SocketAddr) {
    let (laddr, fd) = prepare(&worker.shared, &stream, addr);
    let (rd, wr) = stream.into_split();
    serve_halves(worker, rd, wr, Peer { addr, laddr, fd }).await;
}

/// Serves one client of the TLS port: the handshake first (bounded by
/// [`crate::tls::HANDSHAKE_TIMEOUT`]; a client that fails it or stalls is
/// dropped and logged), then as any client.
pub async fn serve_tls(
    worker: Rc<Worker>,
    stream: TcpStream,
    addr: SocketAddr,
    acceptor: tokio_rustls::TlsAcceptor,
) {
    let (laddr, fd) = prepare(&worker.shared, &stream, addr);
    let shared = worker.shared.clone();
    // Handshakes under way and clients together stay within maxclients.
    let room = shared
        .settings
        .maxclients()
        .saturating_sub(shared.clients().len() as u64);
    let Some(handshake) = shared.tls.begin(room) else {
        shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let shake = tokio::time::timeout(crate::tls::HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    let shaken = shake.await;
    drop(handshake);
    let tls = match shaken {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::info!("TLS handshake with {addr} failed: {e}");
            return;
        }
        Err(_) => {
            tracing::info!("TLS handshake with {addr} timed out");
            return;
        }
    };
    let (rd, wr) = tokio::io::split(tls);
    serve_halves(worker, rd, wr, Peer { addr, laddr, fd }).await;
}

/// Where a client is.
struct Peer {
    addr: SocketAddr,
    laddr: SocketAddr,
    fd: i32,
}

/// Serves a client over its read and write halves (a TCP socket's, or a
/// TLS stream's: this is built once for each).
async fn serve_halves<R, W>(worker: Rc<Worker>, mut rd: R, wr: W, peer: Peer)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin + 'static,
{
    let Peer { addr, laddr, fd } = peer;
    let shared = worker.shared.clone();
    let out = Rc::new(RefCell::new(Replies::new()));
    let id = shared.next_client_id.fetch_add(1, Ordering::Relaxed);
    let handle = Arc::new(ClientHandle::new(
        id,
        addr,
        laddr,
        fd,
        shared.now_ms(),
        worker.id,
    ));
    let writer =
        tokio::task::spawn_local(write_loop(wr, out.clone(), handle.clone(), shared.clone()));
    let default_nopass = shared.acl.default_user().nopass();
    if protected_refuses(shared.settings.protected_mode(), default_nopass, &addr) {
        shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
        {
            let mut o = out.borrow_mut();
            o.push_ready(DENIED, false);
            o.close_when_written();
        }
        let _ = writer.await;
        return;
    }
    let full = shared.clients().len() as u64 >= shared.settings.maxclients();
    if full {
        shared.stats.rejected.fetch_add(1, Ordering::Relaxed);
        {
            let mut o = out.borrow_mut();
            o.push_ready(b"-ERR max number of clients reached\r\n", false);
            o.close_when_written();
        }
        let _ = writer.await;
        return;
    }
    shared.clients().insert(handle.id, handle.clone());
    shared.stats.connections.fetch_add(1, Ordering::Relaxed);
    let mut session = Session::new(handle.clone(), &shared.acl);
    let clean = read_loop(&worker, &mut rd, &out, &mut session).await;
    // Its watches and subscriptions die with it.
    crate::builtin::pubsub::leave_all(&worker, &mut session).await;
    crate::builtin::multi::unwatch_all(&worker, &mut session).await;
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

/// Turns on TCP keep-alive probes as Redis's `tcp-keepalive` does: the
/// first after `secs` idle, then every `secs / 3`, three before giving up.
fn set_keepalive(fd: std::os::fd::RawFd, secs: u64) -> std::io::Result<()> {
    let idle = secs.min(i32::MAX as u64) as libc::c_int;
    for (level, name, value) in [
        (libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1),
        (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, idle),
        (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, (idle / 3).max(1)),
        (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3),
    ] {
        // SAFETY: `fd` is the open socket this connection owns, and the
        // option value is a live c_int of the size passed.
        let rc = unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&value as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Reads and dispatches until the connection ends; true if replies still
/// queued should be written (QUIT, protocol error), false if the client is
/// gone.
async fn read_loop<R: AsyncRead + Unpin>(
    worker: &Rc<Worker>,
    rd: &mut R,
    out: &Rc<RefCell<Replies>>,
    st: &mut Session,
) -> bool {
    let cfg = &worker.shared.cfg;
    let settings = &worker.shared.settings;
    let mut parser = RequestParser::new();
    let mut buf: Vec<u8> = Vec::with_capacity(READ_BUFFER_BYTES);
    let mut start = 0usize;
    loop {
        // A client stopped for its backlog can still be killed (the
        // futures are built only when it is stopped: not per read).
        let stopped = {
            let o = out.borrow();
            o.backlog() > cfg.client_output_backlog_bytes && !o.is_dead()
        };
        if stopped {
            out.borrow_mut().release();
            loop {
                tokio::select! {
                    _ = wait_for_backlog(out, cfg.client_output_backlog_bytes) => break,
                    _ = st.handle.kill.notified() => if killed_or_take_up(st, out) {
                        return false;
                    },
                }
            }
        }
        if buf.len() == buf.capacity() {
            buf.reserve(match buf.capacity() {
                0 => IDLE_READ_BYTES,
                c => c.max(READ_BUFFER_BYTES),
            });
        }
        st.handle.figures.reading.store(true, Ordering::Relaxed);
        let read = tokio::select! {
            r = rd.read_buf(&mut buf) => r,
            _ = st.handle.kill.notified() => {
                st.handle.figures.reading.store(false, Ordering::Relaxed);
                if killed_or_take_up(st, out) {
                    return false;
                }
                if st.handle.shrink.swap(false, Ordering::Relaxed) && buf.is_empty() {
                    shrink_buffers(worker, st, &mut buf, out);
                }
                continue;
            }
        };
        st.handle.figures.reading.store(false, Ordering::Relaxed);
        let n = match read {
            Ok(n) if n > 0 => n,
            _ => return false,
        };
        let stats = &worker.shared.stats;
        stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
        stats.reads.fetch_add(1, Ordering::Relaxed);
        st.handle.touch(worker.shared.now_ms());
        // This read's replies leave together (`Replies::begin_round`).
        out.borrow_mut().begin_round();
        // Limits are read once per round: `CONFIG SET` applies from the next read.
        let limits = Limits {
            max_bulk_len_bytes: settings.proto_max_bulk_len() as usize,
            ..Limits::default()
        };
        loop {
            // Before AUTH, Redis's small request limits apply.
            parser.set_auth_pending(!st.authed);
            let parsed = parser.parse(&mut buf[start..], &limits);
            match parsed {
                Ok(Parsed::Command { args, consumed }) => {
                    if !out.borrow().has_room(cfg.client_output_backlog_bytes) {
                        // Send what is queued, then wait for replies to leave.
                        out.borrow_mut().release();
                        worker.request_flush();
                        loop {
                            tokio::select! {
                                _ = wait_for_room(out, cfg.client_output_backlog_bytes) => break,
                                _ = st.handle.kill.notified() => if killed_or_take_up(st, out) {
                                    return false;
                                },
                            }
                        }
                    }
                    let base = start;
                    st.qbuf = buf.len() - base;
                    st.qbuf_free = buf.capacity() - buf.len();
                    // Filled in place: `collect` built it aside and moved
                    // its 400 bytes in.
                    let mut argv: SmallVec<[&[u8]; ARGV_INLINE]> = SmallVec::new();
                    argv.extend(args.iter().map(|&(s, l)| &buf[base + s..base + s + l]));
                    // The users changed: this connection's is taken again
                    // (unless it was closed meanwhile: a deleted user's).
                    if st.acl_epoch != worker.shared.acl.epoch() {
                        if st.handle.killed.load(Ordering::Relaxed) {
                            return false;
                        }
                        crate::dispatch::refresh_user(&worker.shared, st);
                    }
                    let db = st.db;
                    let mut consumed = consumed;
                    if st.user.unrestricted {
                        // A plain command carries its database in its
                        // request: no scope to enter.
                        match crate::dispatch::plain(worker, st, out, &argv) {
                            Plain::Sent => {}
                            Plain::Waits {
                                busy,
                                req,
                                shard,
                                target,
                            } => {
                                crate::send::send(worker, req, shard, &argv, target).await;
                                drop(busy);
                            }
                            Plain::No(resolved) => {
                                // A pipelined MULTI ... EXEC for one shard
                                // goes whole, straight from the buffer; a
                                // script call for one shard goes straight
                                // to it.
                                let whole = match resolved {
                                    Ok(spec) if spec.id == common::table::Cmd::Multi => {
                                        let rest = &buf[base + consumed..];
                                        match crate::whole_tx::take(worker, st, out, rest, &limits)
                                        {
                                            Taken::No => None,
                                            Taken::Sent(used) => Some(used),
                                            Taken::Waits(w) => Some(w.send(worker).await),
                                        }
                                    }
                                    Ok(spec) if crate::script::is_call(spec.id) => {
                                        match crate::script::take_plain(
                                            worker, st, out, spec, &argv,
                                        ) {
                                            Took::No => None,
                                            Took::Sent => Some(0),
                                            Took::Waits(pending, busy) => {
                                                pending.send(worker).await;
                                                drop(busy);
                                                Some(0)
                                            }
                                        }
                                    }
                                    _ => None,
                                };
                                if whole.is_none()
                                    && waits_behind_calls(
                                        worker,
                                        out,
                                        &argv,
                                        resolved.as_ref().ok().copied(),
                                    )
                                    && !wait_behind_calls(worker, st, out).await
                                {
                                    return false;
                                }
                                match whole {
                                    Some(used) => consumed += used,
                                    None if db == 0 => {
                                        let argv = &argv[..];
                                        crate::dispatch::handle_resolved(
                                            worker, st, out, argv, resolved,
                                        )
                                        .await
                                    }
                                    None => {
                                        let argv = &argv[..];
                                        let served = crate::dispatch::handle_resolved(
                                            worker, st, out, argv, resolved,
                                        );
                                        crate::link::in_db_scope(db, served).await;
                                    }
                                }
                            }
                        }
                    } else {
                        if !out.borrow().behind.idle() {
                            let spec = common::table::resolve(&argv).ok();
                            if waits_behind_calls(worker, out, &argv, spec)
                                && !wait_behind_calls(worker, st, out).await
                            {
                                return false;
                            }
                        }
                        let user = st.user.clone();
                        let served = crate::dispatch::handle(worker, st, out, &argv);
                        let served = crate::acl::in_caller_scope(user, served);
                        crate::link::in_db_scope(db, served).await;
                    }
                    drop(argv);
                    start += consumed;
                    if let Some(b) = st.blocked.take() {
                        // Nothing more is read as a command until it ends;
                        // the replies before it leave now.
                        out.borrow_mut().release();
                        worker.request_flush();
                        if !wait_blocked(worker, rd, &mut buf, out, st, b).await {
                            return false;
                        }
                    }
                    if st.close || st.handle.killed.load(Ordering::Relaxed) {
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
        publish(&st.handle, &buf[start..], buf.capacity(), &out.borrow());
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
        if buf.len() as u64 > settings.client_query_buffer_limit() {
            tracing::warn!("closing a client over the query buffer limit");
            return false;
        }
    }
}

/// Waits for blocked command `b` to be answered, reading (not parsing)
/// what the client sends meanwhile, so that a client that leaves ends its
/// wait at once; false if it left, was killed or sent more than the query
/// buffer limit.
async fn wait_blocked<R: AsyncRead + Unpin>(
    worker: &Rc<Worker>,
    rd: &mut R,
    buf: &mut Vec<u8>,
    out: &Rc<RefCell<Replies>>,
    st: &mut Session,
    b: crate::session::Blocked,
) -> bool {
    let limit = worker.shared.settings.client_query_buffer_limit();
    let wait = crate::block::wait(worker.clone(), st.handle.clone(), b, out.clone());
    tokio::pin!(wait);
    loop {
        if buf.len() == buf.capacity() {
            if buf.len() as u64 > limit {
                return false;
            }
            buf.reserve(buf.capacity().max(READ_BUFFER_BYTES));
        }
        tokio::select! {
            _ = &mut wait => return true,
            r = rd.read_buf(buf) => match r {
                Ok(n) if n > 0 => {
                    let stats = &worker.shared.stats;
                    stats.net_input_bytes.fetch_add(n as u64, Ordering::Relaxed);
                    stats.reads.fetch_add(1, Ordering::Relaxed);
                }
                _ => return false,
            },
            _ = st.handle.kill.notified() => if killed_or_take_up(st, out) {
                return false;
            },
        }
    }
}

/// The connection was woken through its `kill` bell: true if it was
/// killed; else another connection made it a mailbox (an invalidation
/// redirected here, `crate::tracking`), which it takes up now.
/// Gives back an empty read buffer as the idle sweeper asked: all of it
/// and the reply buffers too when the client has been idle
/// [`IDLE_SHRINK_SECS`], else its room past [`READ_BUFFER_BYTES`] (a big
/// request's).
fn shrink_buffers(worker: &Worker, st: &Session, buf: &mut Vec<u8>, out: &Rc<RefCell<Replies>>) {
    let idle = st.handle.idle_secs(worker.shared.now_ms()) >= IDLE_SHRINK_SECS;
    if idle {
        *buf = Vec::new();
        out.borrow_mut().shrink_idle();
    } else if buf.capacity() > READ_BUFFER_BYTES {
        *buf = Vec::with_capacity(READ_BUFFER_BYTES);
    }
    publish(&st.handle, &[], buf.capacity(), &out.borrow());
}

/// Whether command `argv` (`spec`, if known), which the general path
/// runs, must first wait for the connection's script calls in flight
/// (`crate::behind`): anything but a script call for one shard that
/// [`crate::behind::Behind::passes_to`].
fn waits_behind_calls(
    w: &Worker,
    out: &Rc<RefCell<Replies>>,
    argv: &[&[u8]],
    spec: Option<&'static common::table::CommandSpec>,
) -> bool {
    let out = out.borrow();
    if out.behind.idle() {
        return false;
    }
    match spec {
        Some(spec) if crate::script::is_call(spec.id) => {
            !script_shard(w, argv).is_some_and(|s| out.behind.passes_to(s))
        }
        _ => true,
    }
}

/// The one shard of script call `argv`'s KEYS (shard 0 for none), if
/// they are on one.
fn script_shard(w: &Worker, argv: &[&[u8]]) -> Option<usize> {
    let n = usize::try_from(common::num::parse_i64(argv.get(2)?)?).ok()?;
    let keys = argv.get(3..3usize.checked_add(n)?)?;
    let mut shards = keys.iter().map(|k| w.shared.shard_of(k));
    let one = shards.next().unwrap_or(0);
    shards.all(|s| s == one).then_some(one)
}

/// Waits until the connection's script calls in flight are answered
/// (`crate::behind`), the replies before them leaving meanwhile; false if
/// the client was killed.
async fn wait_behind_calls(
    worker: &Rc<Worker>,
    st: &mut Session,
    out: &Rc<RefCell<Replies>>,
) -> bool {
    out.borrow_mut().release();
    worker.request_flush();
    let behind = out.borrow().behind.clone();
    loop {
        tokio::select! {
            _ = behind.settled() => return true,
            _ = st.handle.kill.notified() => if killed_or_take_up(st, out) {
                return false;
            },
        }
    }
}

fn killed_or_take_up(st: &mut Session, out: &Rc<RefCell<Replies>>) -> bool {
    if st.handle.killed.load(Ordering::Relaxed) {
        return true;
    }
    crate::builtin::pubsub::take_up_mailbox(st, out);
    false
}

/// Publishes a connection's buffers for `CLIENT LIST` on other workers:
/// relaxed stores, once per read round or write.
fn publish(h: &ClientHandle, unread: &[u8], read_capacity: usize, out: &Replies) {
    let f = &h.figures;
    f.qbuf.store(unread.len() as u64, Ordering::Relaxed);
    f.qbuf_free.store(
        read_capacity.saturating_sub(unread.len()) as u64,
        Ordering::Relaxed,
    );
    publish_output(h, out);
}

fn publish_output(h: &ClientHandle, out: &Replies) {
    let f = &h.figures;
    let omem = out.backlog() as u64;
    f.obl.store(out.ready_bytes() as u64, Ordering::Relaxed);
    f.oll.store(out.outstanding() as u64, Ordering::Relaxed);
    f.omem.store(omem, Ordering::Relaxed);
    f.rbs.store(out.buffer_capacity() as u64, Ordering::Relaxed);
    f.rbp.fetch_max(omem, Ordering::Relaxed);
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
            (o.progress_bell_for_one_wait(), o.drained_bell())
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

async fn write_loop<W: AsyncWrite + Unpin>(
    mut wr: W,
    out: Rc<RefCell<Replies>>,
    handle: Arc<ClientHandle>,
    shared: Arc<Shared>,
) {
    let bell = out.borrow().writer_bell();
    let mut spare = Vec::with_capacity(16 << 10);
    loop {
        bell.notified().await;
        loop {
            let step = out.borrow_mut().next_write(&mut spare);
            let buf = match step {
                WriteStep::Write(buf) => buf,
                WriteStep::Wait => {
                    // An idle connection's spare buffer goes too.
                    if out.borrow_mut().take_spare_unwanted() {
                        spare = Vec::new();
                    }
                    break;
                }
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
            handle.touch(shared.now_ms());
            publish_output(&handle, &out.borrow());
            spare = buf;
            spare.clear();
            if spare.capacity() > READ_BUFFER_KEEP_BYTES {
                spare = Vec::with_capacity(16 << 10);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::protected_refuses;

    #[test]
    fn protected_mode_refuses_only_strangers_while_there_is_no_password() {
        let lo: std::net::SocketAddr = "127.0.0.1:5000".parse().expect("an address");
        let lo6: std::net::SocketAddr = "[::1]:5000".parse().expect("an address");
        let far: std::net::SocketAddr = "10.1.2.3:5000".parse().expect("an address");
        assert!(protected_refuses(true, true, &far));
        assert!(!protected_refuses(true, true, &lo));
        assert!(!protected_refuses(true, true, &lo6));
        let mapped: std::net::SocketAddr = "[::ffff:127.0.0.1]:5000".parse().expect("an address");
        assert!(!protected_refuses(true, true, &mapped));
        assert!(
            !protected_refuses(true, false, &far),
            "a password lets it in"
        );
        assert!(!protected_refuses(false, true, &far), "protected-mode no");
    }
}
