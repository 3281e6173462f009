//! Blocking helpers for one channel: spin briefly, then park on the
//! doorbell while watching the control socket, so a dead peer ends the wait
//! at once. The shard's event loop does the same over many channels.

use std::time::{Duration, Instant};

use crate::{control::Channel, doorbell::Doorbell, RingError};

/// Polls of the ring before parking. On a 2-core machine a spinning waiter
/// steals the core its peer needs, so this stays small.
pub const SPIN_POLLS: u32 = 64;

/// Waits until `ch.rx` has published records. `Err(PeerGone)` if the peer
/// dies, `Ok(false)` on timeout.
pub fn wait_readable(ch: &Channel, bell: &Doorbell, timeout: Duration) -> Result<bool, RingError> {
    for _ in 0..SPIN_POLLS {
        if !ch.rx.is_empty() {
            return Ok(true);
        }
        std::hint::spin_loop();
    }
    let deadline = Instant::now() + timeout;
    loop {
        if ch.rx.prepare_park() {
            let left = deadline.saturating_duration_since(Instant::now());
            let ready = bell.wait(&[ch.control_fd()], Some(left));
            ch.rx.finish_park();
            if !ready?.is_empty() && !ch.peer_alive() {
                return Err(RingError::PeerGone);
            }
        }
        if !ch.rx.is_empty() {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
    }
}

/// Sends `rec` on `ch.tx`, publishing and parking while the ring is full.
pub fn send_blocking(
    ch: &mut Channel,
    bell: &Doorbell,
    rec: &[u8],
    timeout: Duration,
) -> Result<(), RingError> {
    let deadline = Instant::now() + timeout;
    loop {
        match ch.tx.push(rec) {
            Ok(()) => break,
            Err(RingError::Full) => {
                wait_space(ch, bell, crate::ring::record_size(rec.len()), deadline)?
            }
            Err(e) => return Err(e),
        }
    }
    // A large record is accepted before it is all in the ring: push it through.
    while !ch.tx.pump()? {
        let need = ch.tx.pending_need();
        wait_space(ch, bell, need, deadline)?;
    }
    Ok(())
}

fn wait_space(
    ch: &mut Channel,
    bell: &Doorbell,
    need: usize,
    deadline: Instant,
) -> Result<(), RingError> {
    ch.tx.publish();
    // Twice the record: a record may need a padding record before it.
    let need = (need * 2).min(ch.tx.segment().capacity());
    if ch.tx.prepare_wait(need)? {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            ch.tx.finish_wait();
            return Err(RingError::Full);
        }
        let ready = bell.wait(&[ch.control_fd()], Some(left));
        ch.tx.finish_wait();
        if !ready?.is_empty() && !ch.peer_alive() {
            return Err(RingError::PeerGone);
        }
    }
    Ok(())
}
