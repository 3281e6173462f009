//! Redis's collection types, each with a compact encoding for small values
//! that converts to a full structure past a size threshold.

pub mod hash;
pub mod hll;
pub mod list;
pub mod set;
pub mod zset;
