//! The zset type (work in progress: filled in by the zset commands).

/// A zset value.
#[derive(Debug, Clone, Default)]
pub struct ZSetObj {}
