//! SCAN cursors: how Redis reads them, and the one a client sees over
//! several shards.
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

/// Parses a SCAN-family cursor as Redis does (`strtoul`): an optional sign,
/// then decimal digits within 64 bits; `-n` wraps, and the empty string is
/// 0. `None` for anything else (Redis's "invalid cursor").
pub fn parse_cursor(b: &[u8]) -> Option<u64> {
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        // strtoul consumes nothing: valid only for the empty string.
        return b.is_empty().then_some(0);
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((c - b'0') as u64)?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

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
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_cursor(b"abc"), None);
        assert_eq!(parse_cursor(b" 1"), None);
        assert_eq!(parse_cursor(b"-"), None);
    }

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
