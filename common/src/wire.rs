//! What the proxy tells a shard besides a command's arguments: the request
//! header's flags and command id (the `kind` field of `shared_ring::msg`),
//! the command table both must share (checked at attach), and the settings
//! it passes to the shards it starts.

use crate::table::TABLE_FINGERPRINT;

/// The word a shard puts in its attach hello's `info` to say which command
/// table its ids come from.
pub fn table_tag() -> String {
    format!("table={TABLE_FINGERPRINT:016x}")
}

/// Whether a shard's hello `info` names the same command table as ours (a
/// proxy must not send ids to a shard that reads them differently).
pub fn same_table(info: &[u8]) -> bool {
    let tag = table_tag();
    info.split(|&b| b == b' ').any(|w| w == tag.as_bytes())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shard_hello_names_its_table() {
        let info = format!("shardd id=3 {}", table_tag());
        assert!(same_table(info.as_bytes()));
        assert!(!same_table(b"shardd id=3 table=0000000000000000"));
        assert!(!same_table(b"shardd id=3"));
    }
}
