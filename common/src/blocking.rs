//! What proxy and shard agree on about the blocking commands (BLPOP,
//! BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP, and
//! XREAD/XREADGROUP with BLOCK): where their timeout is, how it parses
//! (Redis's `getTimeoutFromObjectOrReply`: seconds as a float, or the
//! streams' integer milliseconds), which keys they wait on, and of which
//! type.
//!
//! The shard answers a blocking command that finds nothing with its
//! timeout reply unless the request carries [`crate::wire::REQ_FLAG_BLOCK`]
//! (only a client's own command outside MULTI does): inside MULTI and
//! scripts they act as their non-blocking forms, as in Redis.

use crate::{num::parse_f64, table::Cmd};

/// The type of value a blocked client waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// A list (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
    List,
    /// A sorted set (BZPOPMIN, BZPOPMAX, BZMPOP).
    Zset,
    /// A stream (XREAD, XREADGROUP with BLOCK).
    Stream,
}

impl Family {
    /// The family's name on the wire (`SHARDD.BWAIT`).
    pub fn name(self) -> &'static [u8] {
        match self {
            Family::List => b"list",
            Family::Zset => b"zset",
            Family::Stream => b"stream",
        }
    }

    /// The family named `b` ([`Family::name`]).
    pub fn from_name(b: &[u8]) -> Option<Family> {
        match b {
            b"list" => Some(Family::List),
            b"zset" => Some(Family::Zset),
            b"stream" => Some(Family::Stream),
            _ => None,
        }
    }
}

/// The family of blocking command `id`, or `None` if it does not block.
pub fn family(id: Cmd) -> Option<Family> {
    match id {
        Cmd::Blpop | Cmd::Brpop | Cmd::Blmove | Cmd::Brpoplpush | Cmd::Blmpop => Some(Family::List),
        Cmd::Bzpopmin | Cmd::Bzpopmax | Cmd::Bzmpop => Some(Family::Zset),
        Cmd::Xread | Cmd::Xreadgroup => Some(Family::Stream),
        _ => None,
    }
}

/// Blocking command `id`'s timeout in `argv` (name first), parsed: `None`
/// when it has none (an XREAD without BLOCK does not block), else the
/// milliseconds (0: forever) or Redis's error.
pub fn timeout_of(id: Cmd, argv: &[&[u8]]) -> Option<Result<u64, &'static str>> {
    if family(id) == Some(Family::Stream) {
        let at = stream_option(argv, b"block")?;
        return Some(parse_timeout_ms(argv.get(at + 1)?));
    }
    let at = timeout_index(id, argv.len())?;
    Some(parse_timeout(argv.get(at)?))
}

/// The index of XREAD's option `name` (before STREAMS), if given.
fn stream_option(argv: &[&[u8]], name: &[u8]) -> Option<usize> {
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(name) {
            return Some(i);
        }
        if a.eq_ignore_ascii_case(b"streams") {
            return None;
        }
        i += if a.eq_ignore_ascii_case(b"group") {
            3
        } else if a.eq_ignore_ascii_case(b"noack") {
            1
        } else {
            2
        };
    }
    None
}

/// A timeout in milliseconds as XREAD reads it: an integer, not negative.
pub fn parse_timeout_ms(arg: &[u8]) -> Result<u64, &'static str> {
    match crate::num::parse_i64(arg) {
        None => Err("ERR timeout is not an integer or out of range"),
        Some(n) if n < 0 => Err("ERR timeout is negative"),
        Some(n) => Ok(n as u64),
    }
}

/// Where blocking command `id`'s timeout is in `argv` (name first).
pub fn timeout_index(id: Cmd, argc: usize) -> Option<usize> {
    match id {
        Cmd::Blmpop | Cmd::Bzmpop => Some(1),
        _ if family(id).is_some() => argc.checked_sub(1),
        _ => None,
    }
}

/// The positions in `argv` of the keys blocking command `id` waits on (a
/// BLMOVE waits on its source only); empty when its arguments are bad
/// (the command's own error then comes from running it).
pub fn wait_positions(id: Cmd, argv: &[&[u8]]) -> Vec<usize> {
    match id {
        Cmd::Blmove | Cmd::Brpoplpush if argv.len() > 2 => vec![1],
        Cmd::Blmpop | Cmd::Bzmpop => {
            let n = argv
                .get(2)
                .and_then(|n| crate::num::parse_i64(n))
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n > 0 && n.checked_add(3).is_some_and(|end| end <= argv.len()));
            n.map_or_else(Vec::new, |n| (3..3 + n).collect())
        }
        Cmd::Blpop | Cmd::Brpop | Cmd::Bzpopmin | Cmd::Bzpopmax if argv.len() > 2 => {
            (1..argv.len() - 1).collect()
        }
        Cmd::Xread | Cmd::Xreadgroup => {
            crate::table::key_positions(id.spec(), argv).map_or_else(|_| Vec::new(), |k| k.to_vec())
        }
        _ => Vec::new(),
    }
}

/// Parses a timeout in seconds as Redis does: a float, rounded up to
/// milliseconds; 0 means forever. The error is Redis's text.
pub fn parse_timeout(arg: &[u8]) -> Result<u64, &'static str> {
    const NOT_FLOAT: &str = "ERR timeout is not a float or out of range";
    let secs = parse_f64(arg).ok_or(NOT_FLOAT)?;
    let ms = (secs * 1000.0).ceil();
    if ms < 0.0 {
        return Err("ERR timeout is negative");
    }
    if !ms.is_finite() || ms >= i64::MAX as f64 {
        return Err(NOT_FLOAT);
    }
    Ok(ms as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_as_redis_reads_them() {
        assert_eq!(parse_timeout(b"0"), Ok(0));
        assert_eq!(parse_timeout(b"0.001"), Ok(1));
        assert_eq!(parse_timeout(b"0.0001"), Ok(1));
        assert_eq!(parse_timeout(b"1.5"), Ok(1500));
        assert_eq!(parse_timeout(b"-1"), Err("ERR timeout is negative"));
        assert!(parse_timeout(b"abc").is_err());
        assert!(parse_timeout(b"inf").is_err());
        assert!(parse_timeout(b" 1").is_err());
    }

    #[test]
    fn the_keys_waited_on_are_found_for_every_blocking_command() {
        let argv: Vec<&[u8]> = vec![b"BLPOP", b"a", b"b", b"0"];
        assert_eq!(wait_positions(Cmd::Blpop, &argv), vec![1, 2]);
        let argv: Vec<&[u8]> = vec![b"BLMOVE", b"s", b"d", b"LEFT", b"RIGHT", b"0"];
        assert_eq!(wait_positions(Cmd::Blmove, &argv), vec![1]);
        let argv: Vec<&[u8]> = vec![b"BLMPOP", b"0", b"2", b"a", b"b", b"LEFT"];
        assert_eq!(wait_positions(Cmd::Blmpop, &argv), vec![3, 4]);
        let argv: Vec<&[u8]> = vec![b"BLMPOP", b"0", b"3", b"a", b"b"];
        assert!(wait_positions(Cmd::Blmpop, &argv).is_empty());
        assert_eq!(timeout_index(Cmd::Bzmpop, 6), Some(1));
        assert_eq!(timeout_index(Cmd::Bzpopmin, 3), Some(2));
        assert_eq!(timeout_index(Cmd::Get, 2), None);
    }
}
