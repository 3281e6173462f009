//! What the proxy tells a shard besides a command's arguments: the request
//! header's flags and command id (the `kind` field of `shared_ring::msg`),
//! and the settings it passes to the shards it starts.

/// Request flag set by the proxy on commands the table marks as writes:
/// the shard appends them to its log.
pub const REQ_FLAG_WRITE: u8 = 1;

/// When the log is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before replying to a batch that wrote (group commit).
    Always,
    /// Once a second in the background.
    EverySec,
    /// When the kernel writes back.
    No,
}

impl Fsync {
    /// Parses `always|everysec|no` (any case).
    pub fn parse(s: &str) -> Option<Fsync> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }

    /// The name `CONFIG GET appendfsync` shows.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}
