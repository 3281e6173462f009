//! What HSCAN, SSCAN and ZSCAN share: the cursor (as Redis reads it,
//! `common::scan::parse_cursor`), the `MATCH`/`COUNT` options, the window a
//! cursor visits in a hash table, and the reply's frame. SCAN over keys is
//! the keyspace's (`keyspace/scan.rs`); the glob is `common::glob`'s.
//!
//! Cursors over hash-table encoded collections are entry indexes walked from
//! the top down: removals only move entries down (see
//! [`crate::types::set::MemberTable`]), so every member present for the
//! whole scan is returned at least once, as SCAN promises. Compact
//! encodings are returned whole with cursor 0, as Redis does.

use super::{eq_ic, parse_i64, CmdError};
use crate::{glob, reply::Reply};

/// Parses a SCAN-family cursor, or Redis's "invalid cursor" error.
pub fn parse_cursor(b: &[u8]) -> Result<u64, CmdError> {
    common::scan::parse_cursor(b).ok_or_else(|| CmdError::Other("ERR invalid cursor".into()))
}

/// SCAN options: `MATCH pattern` and `COUNT n`.
pub struct ScanOpts<'a> {
    /// The MATCH pattern, `None` when absent or `*`.
    pub pattern: Option<&'a [u8]>,
    /// The COUNT hint (at least 1).
    pub count: usize,
}

impl<'a> ScanOpts<'a> {
    /// Parses the options after the cursor.
    pub fn parse(opts: &'a [&'a [u8]]) -> Result<Self, CmdError> {
        let mut o = ScanOpts {
            pattern: None,
            count: 10,
        };
        let mut i = 0;
        while i < opts.len() {
            let has_value = i + 1 < opts.len();
            if eq_ic(opts[i], "count") && has_value {
                let c = parse_i64(opts[i + 1]).ok_or(CmdError::NotInteger)?;
                if c < 1 {
                    return Err(CmdError::Syntax);
                }
                o.count = usize::try_from(c).unwrap_or(usize::MAX);
            } else if eq_ic(opts[i], "match") && has_value {
                o.pattern = Some(opts[i + 1]).filter(|p| *p != b"*");
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
        Ok(o)
    }

    /// Whether `member` passes the MATCH filter.
    pub fn matches(&self, member: &[u8]) -> bool {
        self.pattern.is_none_or(|p| glob::matches(p, member))
    }

    /// The index range to visit in a hash table of `len` entries from
    /// `cursor`, and the cursor to return after it.
    pub fn window(&self, len: usize, cursor: u64) -> (std::ops::Range<usize>, u64) {
        let hi = match usize::try_from(cursor) {
            Ok(c) if c != 0 && c <= len => c,
            _ => len,
        };
        let lo = hi.saturating_sub(self.count);
        (lo..hi, lo as u64)
    }
}

/// Writes the `[cursor, [items...]]` frame header of a SCAN reply.
pub fn scan_header(out: &mut Reply, cursor: u64, items: usize) {
    out.array(2);
    out.bulk(cursor.to_string().as_bytes());
    out.array(items);
}
