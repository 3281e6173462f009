//! The SCAN cursor a client sees, over several shards.
//!
//! SCAN walks the shards one after another. The client's cursor is
//! `(shard_cursor << 8) | shard`: the low byte names the shard being walked
//! and the rest is that shard's own cursor, so the SCAN guarantee (every
//! key present for the whole scan is returned) holds shard by shard. A
//! shard's cursors therefore stay below [`SHARD_CURSOR_LIMIT`] (2^56), and
//! there are at most [`MAX_SHARDS`] shards (the proxy's configuration
//! refuses more).

/// Bits of a client's cursor that name the shard.
pub const SHARD_BITS: u32 = 8;
/// Most shards a cursor can name.
pub const MAX_SHARDS: usize = 1 << SHARD_BITS;
/// Every cursor a shard hands out is below this.
pub const SHARD_CURSOR_LIMIT: u64 = 1 << (64 - SHARD_BITS);

/// Reads a client's cursor: `(shard, that shard's cursor)`, or `None`
/// when it names no shard of `shards`.
pub fn split(cursor: u64, shards: usize) -> Option<(usize, u64)> {
    let shard = (cursor & (MAX_SHARDS as u64 - 1)) as usize;
    (shard < shards).then_some((shard, cursor >> SHARD_BITS))
}

/// The client's next cursor after `shard` (of `shards`) answered with its
/// own `next` cursor: the same shard again, the start of the next shard,
/// or 0 when the last shard is done.
pub fn next(shard: usize, shards: usize, next: u64) -> u64 {
    debug_assert!(next < SHARD_CURSOR_LIMIT, "shard cursor {next} too big");
    if next != 0 {
        (next << SHARD_BITS) | shard as u64
    } else if shard + 1 < shards {
        shard as u64 + 1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_walk_every_shard_in_turn() {
        assert_eq!(split(0, 3), Some((0, 0)));
        assert_eq!(next(0, 3, 77), 77 << 8);
        assert_eq!(split(77 << 8, 3), Some((0, 77)));
        assert_eq!(next(0, 3, 0), 1);
        assert_eq!(split(1, 3), Some((1, 0)));
        assert_eq!(next(2, 3, 0), 0);
        assert_eq!(split(5, 3), None);
    }
}
