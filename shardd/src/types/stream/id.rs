//! Stream entry ids: `<ms>-<seq>`, two unsigned 64-bit numbers, ordered by
//! `ms` then `seq`, parsed and printed as Redis does.

use std::fmt;

/// An entry id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

/// The longest printed id: two 20-digit numbers and a dash.
pub const ID_TEXT_MAX: usize = 41;

/// Redis's text for an id argument that does not parse.
pub const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

impl StreamId {
    /// `0-0`.
    pub const MIN: StreamId = StreamId { ms: 0, seq: 0 };
    /// The largest id.
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    /// An id.
    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// Whether this is `0-0`.
    pub fn is_zero(self) -> bool {
        self == StreamId::MIN
    }

    /// The next id, `None` after the largest.
    pub fn next(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous id, `None` before `0-0`.
    pub fn prev(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    /// The id as Redis prints it.
    pub fn to_bytes(self) -> Vec<u8> {
        self.format(&mut [0; ID_TEXT_MAX]).to_vec()
    }

    /// The id as Redis prints it, written into `buf` with no allocation.
    pub fn format(self, buf: &mut [u8; ID_TEXT_MAX]) -> &[u8] {
        let mut at = ID_TEXT_MAX;
        for (i, mut v) in [self.seq, self.ms].into_iter().enumerate() {
            if i == 1 {
                at -= 1;
                buf[at] = b'-';
            }
            loop {
                at -= 1;
                buf[at] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
        }
        &buf[at..]
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// How an id argument was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A full or partial id (`ms` alone takes the missing sequence).
    Id(StreamId),
    /// `<ms>-*`: the sequence is to be generated (XADD only).
    AutoSeq(u64),
}

/// Redis's `string2ull`: digits only (no sign, no blanks), no overflow;
/// leading zeros allowed.
fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 20 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Parses an id as Redis's `streamGenericParseIDOrReply`: `-` and `+`
/// (unless `strict`), `<ms>`, `<ms>-<seq>` and, when `auto_seq`, `<ms>-*`.
/// A missing sequence is `missing_seq`.
pub fn parse(b: &[u8], missing_seq: u64, strict: bool, auto_seq: bool) -> Option<Parsed> {
    if b.len() > 127 {
        return None;
    }
    match b {
        b"-" if !strict => return Some(Parsed::Id(StreamId::MIN)),
        b"+" if !strict => return Some(Parsed::Id(StreamId::MAX)),
        b"-" | b"+" => return None,
        _ => {}
    }
    match b.iter().position(|&c| c == b'-') {
        None => Some(Parsed::Id(StreamId::new(parse_u64(b)?, missing_seq))),
        Some(dash) => {
            let ms = parse_u64(&b[..dash])?;
            let seq = &b[dash + 1..];
            if auto_seq && seq == b"*" {
                return Some(Parsed::AutoSeq(ms));
            }
            Some(Parsed::Id(StreamId::new(ms, parse_u64(seq)?)))
        }
    }
}

/// A full id (`-` and `+` allowed unless `strict`), or `None`.
pub fn parse_id(b: &[u8], missing_seq: u64, strict: bool) -> Option<StreamId> {
    match parse(b, missing_seq, strict, false)? {
        Parsed::Id(id) => Some(id),
        Parsed::AutoSeq(_) => None,
    }
}

/// A range bound as XRANGE, XPENDING and XAUTOCLAIM take it: `(` makes it
/// exclusive (then `-` and `+` are refused). Returns (id, exclusive).
pub fn parse_bound(b: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if b.len() > 1 && b[0] == b'(' {
        return Some((parse_id(&b[1..], missing_seq, true)?, true));
    }
    Some((parse_id(b, missing_seq, false)?, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_redis_reads_them() {
        assert_eq!(parse_id(b"5", 0, true), Some(StreamId::new(5, 0)));
        assert_eq!(
            parse_id(b"5", u64::MAX, true),
            Some(StreamId::new(5, u64::MAX))
        );
        assert_eq!(parse_id(b"5-3", 0, true), Some(StreamId::new(5, 3)));
        assert_eq!(parse_id(b"-", 0, false), Some(StreamId::MIN));
        assert_eq!(parse_id(b"+", 0, false), Some(StreamId::MAX));
        assert_eq!(parse_id(b"-", 0, true), None);
        assert_eq!(parse_id(b"5-", 0, true), None);
        assert_eq!(parse_id(b"-5", 0, true), None);
        assert_eq!(parse_id(b"18446744073709551616", 0, true), None);
        assert_eq!(parse(b"7-*", 0, true, true), Some(Parsed::AutoSeq(7)));
        assert_eq!(parse(b"7-*", 0, true, false), None);
        assert_eq!(parse_bound(b"(5-1", 0), Some((StreamId::new(5, 1), true)));
        assert_eq!(parse_bound(b"(-", 0), None);
        assert_eq!(parse_bound(b"(", 0), None);
    }

    #[test]
    fn neighbours_wrap_only_where_redis_fails() {
        assert_eq!(StreamId::new(1, u64::MAX).next(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.next(), None);
        assert_eq!(StreamId::new(2, 0).prev(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::MIN.prev(), None);
        assert_eq!(StreamId::new(3, 4).to_string(), "3-4");
        assert_eq!(StreamId::new(3, 4).to_bytes(), b"3-4");
        assert_eq!(
            StreamId::MAX.to_bytes(),
            StreamId::MAX.to_string().into_bytes()
        );
        assert_eq!(StreamId::MIN.to_bytes(), b"0-0");
    }
}
