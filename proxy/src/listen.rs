//! Listening sockets: each worker's own listener on the shared port
//! (`SO_REUSEPORT`, so the kernel spreads connections over the workers),
//! and the hand-over of new ones when `CONFIG SET port` moves the server
//! to another port.
//!
//! A port change binds every worker's new listener first (all or none, so
//! a port in use changes nothing), then puts one in each worker's slot and
//! rings its bell; each worker's accept loop swaps it in and drops the
//! old one. Connections already open are not touched.
//!
//! Below everything that serves requests: it knows sockets, not workers.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Mutex,
};

use tokio::{net::TcpListener, sync::Notify};

/// Pending connections a listener queues (`tcp-backlog`, as `CONFIG GET`
/// shows it).
pub const LISTEN_BACKLOG: u32 = 1024;

/// Binds a listener with `SO_REUSEPORT` on `addr` (in a tokio runtime).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let sock = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    sock.set_reuseaddr(true)?;
    sock.set_reuseport(true)?;
    sock.set_nodelay(true)?;
    sock.bind(addr)?;
    sock.listen(LISTEN_BACKLOG)
}

/// New listeners waiting for their workers.
#[derive(Debug)]
pub struct Handover {
    slots: Vec<Mutex<Option<std::net::TcpListener>>>,
    bells: Vec<Notify>,
}

impl Handover {
    /// Slots for `workers` workers.
    pub fn new(workers: usize) -> Handover {
        Handover {
            slots: (0..workers).map(|_| Mutex::new(None)).collect(),
            bells: (0..workers).map(|_| Notify::new()).collect(),
        }
    }

    /// Binds one listener per worker on `ip:port` (port 0: the first picks
    /// a free port and the others join it), all or none; the port bound.
    /// Must run in a tokio runtime.
    pub fn bind_all(
        &self,
        ip: IpAddr,
        port: u16,
    ) -> std::io::Result<(u16, Vec<std::net::TcpListener>)> {
        let mut port = port;
        let mut bound = Vec::with_capacity(self.slots.len());
        for _ in 0..self.slots.len() {
            let l = bind(SocketAddr::new(ip, port))?;
            port = l.local_addr()?.port();
            bound.push(l.into_std()?);
        }
        Ok((port, bound))
    }

    /// Gives each worker its new listener (from [`Handover::bind_all`]).
    pub fn hand_over(&self, listeners: Vec<std::net::TcpListener>) {
        for ((slot, bell), l) in self.slots.iter().zip(&self.bells).zip(listeners) {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(l);
            bell.notify_one();
        }
    }

    /// Waits for worker `worker`'s next listener.
    pub async fn next(&self, worker: usize) -> std::net::TcpListener {
        loop {
            if let Some(bell) = self.bells.get(worker) {
                bell.notified().await;
            } else {
                std::future::pending::<()>().await;
            }
            let taken = self
                .slots
                .get(worker)
                .and_then(|s| s.lock().unwrap_or_else(|p| p.into_inner()).take());
            if let Some(l) = taken {
                return l;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_port_in_use_binds_nothing_and_a_free_one_binds_every_worker() {
        let h = Handover::new(3);
        let ip: IpAddr = "127.0.0.1".parse().expect("an address");
        // A plain listener (no SO_REUSEPORT) holds its port against us.
        let busy = std::net::TcpListener::bind((ip, 0)).expect("bind");
        let port = busy.local_addr().expect("addr").port();
        assert!(h.bind_all(ip, port).is_err());
        let (port, listeners) = h.bind_all(ip, 0).expect("a free port");
        assert_ne!(port, 0);
        assert_eq!(listeners.len(), 3);
        for l in &listeners {
            assert_eq!(l.local_addr().expect("addr").port(), port);
        }
        h.hand_over(listeners);
        for w in 0..3 {
            let l = h.next(w).await;
            assert_eq!(l.local_addr().expect("addr").port(), port);
        }
    }
}
