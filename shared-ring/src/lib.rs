//! # shared-ring: byte rings in shared memory between processes
//!
//! What it owns: shared-memory segments ([`segment`]), single-producer /
//! single-consumer byte rings over them ([`ring`]), wake-ups ([`doorbell`]),
//! the attach handshake and peer liveness over a unix control socket
//! ([`control`]), and the request/reply record format both sides use
//! ([`msg`]). What it never does: know anything about Redis.
//!
//! How data moves: a producer writes records in place into the ring's data
//! area and publishes a whole batch with one release-store; the consumer
//! reads the published records in place and releases them with one store.
//! A party with nothing to do parks on its eventfd doorbell after raising a
//! flag in the ring header; the other side rings it only when it sees that
//! flag. The protocol, memory orderings and restart rules are written down
//! in `PROTOCOL.md` next to this crate; the code names its steps.

pub mod control;
pub mod doorbell;
pub mod msg;
pub mod ring;
pub mod segment;
pub mod testgen;
pub mod wait;

pub use control::{attach, Channel, ControlListener, Hello, RingConfig};
#[cfg(feature = "tokio")]
pub use doorbell::AsyncDoorbell;
pub use doorbell::Doorbell;
pub use ring::{Consumer, Producer};
pub use segment::Segment;

/// Everything that can go wrong with a ring or an attachment.
#[derive(Debug, thiserror::Error)]
pub enum RingError {
    /// An operating-system call failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// A segment from a peer is malformed (wrong magic, version or size).
    #[error("bad segment: {0}")]
    BadSegment(&'static str),
    /// The ring's positions or records make no sense: the peer is broken.
    #[error("corrupt ring: {0}")]
    Corrupt(&'static str),
    /// The attach handshake failed.
    #[error("bad handshake: {0}")]
    BadHandshake(&'static str),
    /// A record exceeds the configured maximum.
    #[error("record of {0} bytes exceeds the maximum record size")]
    TooLarge(usize),
    /// No room in the ring now: backpressure, retry after the consumer reads.
    #[error("ring full")]
    Full,
    /// The peer closed its end.
    #[error("peer is gone")]
    PeerGone,
}
