//! Wake-ups between processes: an `eventfd` per sleeping party.
//!
//! Each process owns one doorbell and hands a duplicate of it to every peer
//! at attach time. A peer rings it only after seeing the owner's waiting
//! flag in a ring header (see PROTOCOL.md, "Parking"), so a busy process is
//! never sent a syscall. The owner waits on its doorbell together with any
//! other fds it cares about (its control sockets), so a peer's death wakes
//! it as surely as a record does.

use std::{
    os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd},
    sync::Arc,
    time::Duration,
};

use crate::RingError;

/// An `eventfd` used as a wake-up signal. Clones share the same fd.
#[derive(Clone, Debug)]
pub struct Doorbell {
    fd: Arc<OwnedFd>,
}

impl Doorbell {
    /// A new, unrung doorbell (non-blocking, close-on-exec).
    pub fn new() -> Result<Doorbell, RingError> {
        // SAFETY: plain syscall; the result is checked.
        let raw = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if raw < 0 {
            return Err(RingError::Io(std::io::Error::last_os_error()));
        }
        // SAFETY: a fresh fd we own.
        Ok(Doorbell {
            fd: Arc::new(unsafe { OwnedFd::from_raw_fd(raw) }),
        })
    }

    /// Wraps an eventfd received from a peer. The fd is checked to be an
    /// eventfd by ringing-free means: an 8-byte non-blocking read must fail
    /// with `EAGAIN` or succeed (a socket or file would not behave so).
    pub fn from_fd(fd: OwnedFd) -> Result<Doorbell, RingError> {
        let bell = Doorbell { fd: Arc::new(fd) };
        // SAFETY: F_GETFL on a valid fd.
        let flags = unsafe { libc::fcntl(bell.fd.as_raw_fd(), libc::F_GETFL) };
        if flags < 0 {
            return Err(RingError::BadHandshake("doorbell fd is not valid"));
        }
        // SAFETY: F_SETFL on a valid fd.
        unsafe { libc::fcntl(bell.fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) };
        Ok(bell)
    }

    /// Rings: wakes the owner if it waits, or makes its next wait return.
    pub fn ring(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a valid u64. A full counter (EAGAIN)
        // already means "rung", so the result needs no handling.
        unsafe {
            libc::write(
                self.fd.as_raw_fd(),
                &one as *const u64 as *const libc::c_void,
                8,
            );
        }
    }

    /// Clears any pending rings; true if there was one.
    pub fn drain(&self) -> bool {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a valid u64 from a non-blocking eventfd.
        let n = unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                &mut v as *mut u64 as *mut libc::c_void,
                8,
            )
        };
        n == 8
    }

    /// Waits until the doorbell rings, one of `extra` becomes readable (or
    /// hangs up), or `timeout` passes (`None`: no limit). Clears the ring.
    /// Returns which of `extra` are ready (by index).
    pub fn wait(
        &self,
        extra: &[BorrowedFd<'_>],
        timeout: Option<Duration>,
    ) -> Result<Vec<usize>, RingError> {
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(1 + extra.len());
        fds.push(pollfd(self.fd.as_fd()));
        fds.extend(extra.iter().map(|fd| pollfd(*fd)));
        let ms = timeout.map_or(-1, |d| d.as_millis().min(i32::MAX as u128) as i32);
        loop {
            // SAFETY: `fds` is a valid array of pollfd of the given length.
            let n = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
            if n < 0 {
                let err = std::io::Error::last_os_error();
                if err.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(RingError::Io(err));
            }
            break;
        }
        self.drain();
        Ok(fds[1..]
            .iter()
            .enumerate()
            .filter(|(_, p)| p.revents != 0)
            .map(|(i, _)| i)
            .collect())
    }

    /// The eventfd (to pass to a peer, or to await from tokio).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

fn pollfd(fd: BorrowedFd<'_>) -> libc::pollfd {
    libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    }
}

/// A doorbell awaited from a tokio runtime (`AsyncFd` on the eventfd).
#[cfg(feature = "tokio")]
pub struct AsyncDoorbell {
    inner: tokio::io::unix::AsyncFd<Doorbell>,
}

#[cfg(feature = "tokio")]
impl AsRawFd for Doorbell {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(feature = "tokio")]
impl AsyncDoorbell {
    /// Registers `bell` with the current tokio reactor.
    pub fn new(bell: Doorbell) -> std::io::Result<AsyncDoorbell> {
        // SAFETY: the doorbell owns its eventfd (behind an Arc) for as long
        // as the AsyncFd holds it, and always reports that same fd.
        let inner = unsafe {
            tokio::io::unix::AsyncFd::register_with_interest(bell, tokio::io::Interest::READABLE)
        }
        .map_err(|e| e.into_parts().1)?;
        Ok(AsyncDoorbell { inner })
    }

    /// The doorbell itself (to ring it or hand it out).
    pub fn bell(&self) -> &Doorbell {
        self.inner.get_ref()
    }

    /// Waits until the doorbell has been rung, then clears it.
    pub async fn rung(&self) -> std::io::Result<()> {
        loop {
            let mut guard = self.inner.readable().await?;
            if guard.get_inner().drain() {
                return Ok(());
            }
            guard.clear_ready();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_before_the_wait_is_not_lost() {
        let bell = Doorbell::new().unwrap();
        bell.ring();
        bell.ring();
        let ready = bell.wait(&[], Some(Duration::from_secs(5))).unwrap();
        assert!(ready.is_empty());
        assert!(!bell.drain(), "wait clears the counter");
    }

    #[test]
    fn wait_times_out_when_nobody_rings() {
        let bell = Doorbell::new().unwrap();
        let t = std::time::Instant::now();
        bell.wait(&[], Some(Duration::from_millis(10))).unwrap();
        assert!(t.elapsed() >= Duration::from_millis(9));
    }

    #[test]
    fn a_clone_rings_the_same_bell() {
        let bell = Doorbell::new().unwrap();
        bell.clone().ring();
        assert!(bell.drain());
    }
}
