//! The list type (work in progress: filled in by the list commands).

/// A list value.
#[derive(Debug, Clone, Default)]
pub struct ListObj {}
