//! The hash type (work in progress: filled in by the hash commands).

/// A hash value.
#[derive(Debug, Clone, Default)]
pub struct HashObj {}

impl HashObj {
    /// The name `OBJECT ENCODING` replies with (stub until the type lands).
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }
}
