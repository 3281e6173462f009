//! A connection's state: what its commands change and later commands see.
//!
//! One typed value per connection, owned by its task ([`crate::conn`]) and
//! lent to each command it dispatches. Process-wide facts about the client
//! (name, library, address, what it is doing) live in its
//! [`ClientHandle`], where `CLIENT LIST` and `CLIENT KILL` on any worker
//! see them.

use std::sync::Arc;

use common::reply::Proto;

use crate::state::ClientHandle;

/// `CLIENT REPLY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// Every reply is sent.
    On,
    /// No reply is sent.
    Off,
    /// The next command's reply is dropped, then back to `On`.
    Skip,
}

/// One connection's state.
pub struct Session {
    /// Protocol of its replies (`HELLO`).
    pub proto: Proto,
    /// Whether it may run commands (AUTH succeeded, or no password).
    pub authed: bool,
    /// `CLIENT REPLY`.
    pub reply: ReplyMode,
    /// Its entry in the client registry.
    pub handle: Arc<ClientHandle>,
    /// Close once this command's reply is written (QUIT, SHUTDOWN).
    pub close: bool,
    /// Bytes in the read buffer from this command on (`CLIENT INFO`'s
    /// `qbuf`), set before each command runs.
    pub qbuf: usize,
    /// Free room in the read buffer (`qbuf-free`), likewise.
    pub qbuf_free: usize,
}

impl Session {
    /// A new connection's state: RESP2, replies on, authenticated if no
    /// password is set.
    pub fn new(handle: Arc<ClientHandle>, authed: bool) -> Session {
        Session {
            proto: Proto::Resp2,
            authed,
            reply: ReplyMode::On,
            handle,
            close: false,
            qbuf: 0,
            qbuf_free: 0,
        }
    }

    /// Whether the reply of the command being dispatched is dropped; a
    /// `SKIP` is used up by it.
    pub fn take_discard(&mut self) -> bool {
        match self.reply {
            ReplyMode::On => false,
            ReplyMode::Off => true,
            ReplyMode::Skip => {
                self.reply = ReplyMode::On;
                true
            }
        }
    }
}
