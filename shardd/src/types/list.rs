//! The list type (work in progress: filled in by the list commands).

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct ListObj {}

impl ListObj {
    /// The name `OBJECT ENCODING` replies with (stub until the type lands).
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }
}
