//! The set type (work in progress: filled in by the set commands).

/// A set value.
#[derive(Debug, Clone, Default)]
pub struct SetObj {}
