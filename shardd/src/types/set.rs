//! The set type (work in progress: filled in by the set commands).

/// A set value.
#[derive(Debug, Clone, Default)]
pub struct SetObj {}

impl SetObj {
    /// The name `OBJECT ENCODING` replies with (stub until the type lands).
    pub fn encoding(&self) -> &'static str {
        "hashtable"
    }
}
