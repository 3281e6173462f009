//! The hash type (work in progress: filled in by the hash commands).

/// A hash value.
#[derive(Debug, Clone, Default)]
pub struct HashObj {}
