//! The zset type (work in progress: filled in by the zset commands).

/// A zset value.
#[derive(Debug, Clone, Default)]
pub struct ZSetObj {}

impl ZSetObj {
    /// The name `OBJECT ENCODING` replies with (stub until the type lands).
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
