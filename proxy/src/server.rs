//! Start-up: the worker threads, their listeners and their accept loops.
//! The top of the proxy: it starts workers ([`crate::worker`]) and hands
//! each accepted socket to a connection task ([`crate::conn`]).

use std::{
    net::SocketAddr,
    sync::{atomic::Ordering, Arc},
};

use tokio::net::TcpListener;

use crate::{
    listen,
    state::{Shared, CLOCK_TICK_MS},
    worker::Worker,
};

/// Starts `cfg.workers` worker threads; returns the port they listen on.
pub fn start_workers(shared: Arc<Shared>) -> std::io::Result<u16> {
    let ip: std::net::IpAddr =
        shared.cfg.bind.parse().map_err(|_| {
            std::io::Error::other(format!("bad bind address '{}'", shared.cfg.bind))
        })?;
    let mut port = shared.cfg.port;
    for id in 0..shared.cfg.workers {
        let (tx, rx) = std::sync::mpsc::channel();
        let shared = shared.clone();
        let addr = SocketAddr::new(ip, port);
        std::thread::Builder::new()
            .name(format!("worker-{id}"))
            .spawn(move || run_worker(id, shared, addr, tx))?;
        port = rx
            .recv()
            .map_err(|_| std::io::Error::other("worker thread died"))??;
    }
    shared.set_port(port);
    let s = shared.clone();
    std::thread::Builder::new()
        .name("idle-sweeper".into())
        .spawn(move || idle_sweeper(&s))?;
    Ok(port)
}

/// Clock ticks between two looks for idle clients (a second: `timeout`
/// is in seconds).
pub const IDLE_SWEEP_TICKS: u64 = 10;
/// Clock ticks between two looks for buffers to give back (half a second).
const SHRINK_SWEEP_TICKS: u64 = 5;

/// Asks the connections waiting for a request with an empty read buffer
/// to give buffers back (`conn::shrink_buffers`): every buffer once idle
/// for `IDLE_SHRINK_SECS` (an idle connection then holds no buffer; Redis
/// frees an idle client's query buffer so too), else a read buffer a big
/// request grew past `READ_BUFFER_BYTES`. An idle client costs about 26
/// KB of resident memory with its buffers and a few KB without.
fn ask_to_shrink(shared: &Shared) {
    let now = shared.now_ms();
    for c in shared.clients().values() {
        let f = &c.figures;
        let room = f.qbuf_free.load(Ordering::Relaxed) as usize;
        let holds = room > 0 || f.rbs.load(Ordering::Relaxed) > 0;
        let wanted = f.reading.load(Ordering::Relaxed)
            && f.qbuf.load(Ordering::Relaxed) == 0
            && ((holds && c.idle_secs(now) >= crate::conn::IDLE_SHRINK_SECS)
                || room > crate::conn::READ_BUFFER_BYTES);
        if wanted && !c.shrink.swap(true, Ordering::Relaxed) {
            c.kill.notify_one();
        }
    }
}

/// Moves the coarse clock ([`Shared::tick`]) every [`CLOCK_TICK_MS`], and
/// once a second closes clients idle longer than `timeout` seconds (read
/// each time, so `CONFIG SET timeout` applies to every connection at
/// once). Only a client the proxy waits on counts as idle: one whose
/// command is still running (`DEBUG SLEEP`) or whose replies are queued is
/// not.
fn idle_sweeper(shared: &Shared) {
    for tick in 1u64.. {
        std::thread::sleep(std::time::Duration::from_millis(CLOCK_TICK_MS));
        shared.tick();
        if tick % SHRINK_SWEEP_TICKS == 0 {
            ask_to_shrink(shared);
        }
        let timeout = shared.settings.timeout_secs();
        if timeout == 0 || tick % IDLE_SWEEP_TICKS != 0 {
            continue;
        }
        let now = shared.now_ms();
        for c in shared.clients().values() {
            let f = &c.figures;
            let waiting = f.reading.load(Ordering::Relaxed)
                && f.oll.load(Ordering::Relaxed) == 0
                && f.omem.load(Ordering::Relaxed) == 0;
            if waiting && c.idle_secs(now) > timeout {
                c.killed.store(true, Ordering::Relaxed);
                c.kill.notify_one();
            }
        }
    }
}

fn run_worker(
    id: usize,
    shared: Arc<Shared>,
    addr: SocketAddr,
    ready: std::sync::mpsc::Sender<std::io::Result<u16>>,
) {
    if let Some(cpu) = shared.placement.worker(id) {
        if let Err(e) = common::cpus::pin_current_thread(&[cpu]) {
            let _ = ready.send(Err(std::io::Error::other(format!(
                "worker {id} cannot run on CPU {cpu}: {e}"
            ))));
            return;
        }
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        // `tls-only`: no plain listener until `CONFIG SET port` gives one.
        let listener = match shared.cfg.tls_only {
            true => None,
            false => match listen::bind(addr) {
                Ok(l) => Some(l),
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            },
        };
        // Every worker listens on the TLS port too (SO_REUSEPORT).
        let tls_port = shared.settings.tls_port();
        let tls_listener = match tls_port {
            0 => None,
            p => match listen::bind(SocketAddr::new(addr.ip(), p)) {
                Ok(l) => Some(l),
                Err(e) => {
                    let _ = ready.send(Err(e));
                    return;
                }
            },
        };
        let port = match &listener {
            Some(l) => l.local_addr().map(|a| a.port()).unwrap_or(addr.port()),
            None => 0,
        };
        let worker = match Worker::new(id, shared) {
            Ok(w) => w,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        worker.spawn_tasks();
        if id == 0 {
            tokio::task::spawn_local(crate::builtin::server::on_signals(worker.clone()));
            for shard in 0..worker.shared.shard_count() {
                let w = worker.clone();
                tokio::task::spawn_local(crate::builtin::pubsub::events_poll(w, shard));
            }
            // The mover: scales, and settles a move a crash interrupted.
            tokio::task::spawn_local(crate::migrate::run(worker.clone()));
            // Shards a scale-out adds get their events' poll too.
            let w = worker.clone();
            tokio::task::spawn_local(async move {
                let mut rx = w.shared.scale.links_wanted();
                let mut polled = w.shared.shard_count();
                while rx.changed().await.is_ok() {
                    let n = *rx.borrow_and_update();
                    while polled < n {
                        tokio::task::spawn_local(crate::builtin::pubsub::events_poll(
                            w.clone(),
                            polled,
                        ));
                        polled += 1;
                    }
                    // A removed shard's poll ends by itself.
                    polled = polled.min(n.max(w.shared.shard_count()));
                }
            });
        }
        tokio::task::spawn_local(crate::builtin::pubsub::subs_sender(worker.clone()));
        let w = worker.clone();
        tokio::task::spawn_local(async move {
            loop {
                w.attached.notified().await;
                crate::builtin::xtx::resolve_in_doubt(&w).await;
            }
        });
        let _ = ready.send(Ok(port));
        accept_loop(worker, listener, tls_listener).await;
    });
}

/// Accepts clients, and swaps in the new listener `CONFIG SET port`
/// hands over (the old one closes; open connections stay).
async fn accept_loop(
    worker: std::rc::Rc<Worker>,
    mut listener: Option<TcpListener>,
    tls: Option<TcpListener>,
) {
    let shared = worker.shared.clone();
    loop {
        let accepted = tokio::select! {
            a = accept_on(&listener) => a,
            a = accept_on(&tls) => {
                match a {
                    Ok((stream, addr)) => {
                        let w = worker.clone();
                        if let Some(acceptor) = shared.tls.acceptor() {
                            tokio::task::spawn_local(crate::conn::serve_tls(w, stream, addr, acceptor));
                        }
                    }
                    Err(e) => {
                        tracing::warn!("TLS accept failed: {e}");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    }
                }
                continue;
            }
            l = shared.listeners.next(worker.id) => {
                match TcpListener::from_std(l) {
                    Ok(l) => listener = Some(l),
                    Err(e) => tracing::error!("cannot use the new listener: {e}"),
                }
                continue;
            }
        };
        let (stream, addr) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        let w = worker.clone();
        tokio::task::spawn_local(async move { crate::conn::serve(w, stream, addr).await });
    }
}

/// The next client of `l`, if there is a listener (else never).
async fn accept_on(
    l: &Option<TcpListener>,
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}
