//! Keyspace notifications (`notify-keyspace-events`): the flag classes as
//! Redis 7.0 spells them, and how a shard hands the events a request
//! caused to the proxy, which publishes them (`shardd/src/notify.rs`
//! makes them, `proxy/src/pubsub.rs` delivers them).
//!
//! Events travel on the reply of the request that caused them: the reply
//! record's flags carry [`REPLY_FLAG_EVENTS`] and its body ends with the
//! events, then their length (`u32`, little-endian). Each event is a
//! channel and a message, each a `u32` length and its bytes. The proxy
//! publishes them before it hands the reply to its client, so a client
//! that waits for its reply before its next command sees its events in
//! command order, across shards. Events no request caused (active
//! expiry) answer a standing `SHARDD.EVENTS` request.
//!
//! The same blobs carry the invalidations of client-side caching
//! (`CLIENT TRACKING`, [`push_invalidation`]): a key a tracking client
//! read changed, a key under a tracked prefix changed, or a flush.

/// `K`: `__keyspace@<db>__:<key>` channels.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: `__keyevent@<db>__:<event>` channels.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, ...).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: expired keys.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: evicted keys.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands.
pub const STREAM: u32 = 1 << 10;
/// `m`: key misses.
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module events.
pub const MODULE: u32 = 1 << 12;
/// `n`: new keys.
pub const NEW: u32 = 1 << 13;
/// `A`: `g$lshzxetd`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The reply flag saying the body ends with events.
pub const REPLY_FLAG_EVENTS: u32 = 1;

const CLASSES: [(u8, u32); 11] = [
    (b'g', GENERIC),
    (b'$', STRING),
    (b'l', LIST),
    (b's', SET),
    (b'h', HASH),
    (b'z', ZSET),
    (b'x', EXPIRED),
    (b'e', EVICTED),
    (b't', STREAM),
    (b'd', MODULE),
    (b'n', NEW),
];

/// Parses a `notify-keyspace-events` value as Redis does; `None` for a
/// character that names no class.
pub fn parse(v: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in v {
        flags |= match c {
            b'A' => ALL,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b'm' => KEY_MISS,
            _ => CLASSES.iter().find(|(ch, _)| *ch == c)?.1,
        };
    }
    Some(flags)
}

/// The value as `CONFIG GET` shows it (Redis's order: the classes or
/// `A`, then `K`, `E`, `m`).
pub fn to_text(flags: u32) -> String {
    let mut s = String::new();
    if flags & ALL == ALL {
        s.push('A');
        if flags & NEW != 0 {
            s.push('n');
        }
    } else {
        for (c, f) in CLASSES {
            if flags & f != 0 {
                s.push(c as char);
            }
        }
    }
    for (c, f) in [('K', KEYSPACE), ('E', KEYEVENT), ('m', KEY_MISS)] {
        if flags & f != 0 {
            s.push(c);
        }
    }
    s
}

/// Set in an event's channel length: the message goes to a shard
/// channel (a script's `SPUBLISH`), not to a channel.
const SHARD_CHANNEL: u32 = 1 << 31;

/// Set in an event's channel length: not a message but a command a
/// script ran, for MONITOR (the channel is its database in decimal, the
/// message its arguments, each a little-endian `u32` length and bytes).
const MONITOR_LINE: u32 = 1 << 30;

/// Set in an event's channel length: an invalidation for client-side
/// caching ([`push_invalidation`]).
const INVALIDATION: u32 = 1 << 29;

/// Where an event of a blob goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum To {
    /// Subscribers of the channel (and of the patterns it matches).
    Channel,
    /// Subscribers of the shard channel.
    ShardChannel,
    /// The monitors: a command a script ran ([`push_monitor`]).
    Monitor,
    /// Tracking clients: an invalidation ([`invalidation`] reads it).
    Invalidation,
}

/// Who an invalidation is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Invalidated {
    /// The key (the event's message) changed, and client `0` may cache it.
    Client(u64),
    /// The key changed and is under a prefix some client tracks (`BCAST`).
    Prefixes,
    /// Every key: a FLUSHALL or FLUSHDB ran.
    Flush,
}

/// Appends an invalidation of `key` (empty for a flush) for `who`; the
/// change was made by client `by` (0: by no client, an expiry or an
/// eviction), which `NOLOOP` clients are not told of.
pub fn push_invalidation(blob: &mut Vec<u8>, who: Invalidated, by: u64, key: &[u8]) {
    let target = match who {
        Invalidated::Client(id) => id,
        Invalidated::Prefixes => 0,
        Invalidated::Flush => u64::MAX,
    };
    let mut head = [0u8; 16];
    head[..8].copy_from_slice(&target.to_le_bytes());
    head[8..].copy_from_slice(&by.to_le_bytes());
    push_to(blob, &head, key, To::Invalidation);
}

/// The (who, by) of an invalidation event's channel; `None` if malformed.
pub fn invalidation(channel: &[u8]) -> Option<(Invalidated, u64)> {
    let target = u64::from_le_bytes(channel.get(..8)?.try_into().ok()?);
    let by = u64::from_le_bytes(channel.get(8..16)?.try_into().ok()?);
    let who = match target {
        0 => Invalidated::Prefixes,
        u64::MAX => Invalidated::Flush,
        id => Invalidated::Client(id),
    };
    Some((who, by))
}

/// Appends event (`channel`, `message`) to an events blob.
pub fn push_event(blob: &mut Vec<u8>, channel: &[u8], message: &[u8]) {
    push_message(blob, channel, message, false);
}

/// Appends a message a script published on `channel` (a shard channel if
/// `shard`) to an events blob: keyspace events and script messages are
/// published alike, in the order they were made.
pub fn push_message(blob: &mut Vec<u8>, channel: &[u8], message: &[u8], shard: bool) {
    let to = if shard { To::ShardChannel } else { To::Channel };
    push_to(blob, channel, message, to);
}

/// Appends an event going `to` (the form [`events`] reads back).
pub fn push_to(blob: &mut Vec<u8>, channel: &[u8], message: &[u8], to: To) {
    // Arguments are far below 1 GiB (`proto-max-bulk-len`), so the top
    // bits of a length are free for the flags.
    let flag = match to {
        To::Channel => 0,
        To::ShardChannel => SHARD_CHANNEL,
        To::Monitor => MONITOR_LINE,
        To::Invalidation => INVALIDATION,
    };
    for (part, flag) in [(channel, flag), (message, 0)] {
        blob.extend_from_slice(&(part.len() as u32 | flag).to_le_bytes());
        blob.extend_from_slice(part);
    }
}

/// Appends command `argv`, which a script ran in database `db`, for the
/// monitors.
pub fn push_monitor(blob: &mut Vec<u8>, db: usize, argv: &[&[u8]]) {
    let mut packed = Vec::with_capacity(argv.iter().map(|a| a.len() + 4).sum());
    for a in argv {
        packed.extend_from_slice(&(a.len() as u32).to_le_bytes());
        packed.extend_from_slice(a);
    }
    push_to(blob, db.to_string().as_bytes(), &packed, To::Monitor);
}

/// The arguments [`push_monitor`] packed; stops at a malformed one.
pub fn monitor_args(mut packed: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some(n) = packed.get(..4).and_then(|b| b.try_into().ok()) {
        let n = u32::from_le_bytes(n) as usize;
        let Some(a) = packed.get(4..4 + n) else {
            break;
        };
        out.push(a);
        packed = &packed[4 + n..];
    }
    out
}

/// Splits a reply body flagged [`REPLY_FLAG_EVENTS`] into the reply and
/// its events blob; `None` if malformed.
pub fn split_reply(body: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = body.len().checked_sub(4)?;
    let n = u32::from_le_bytes(body[at..].try_into().ok()?) as usize;
    let start = at.checked_sub(n)?;
    Some((&body[..start], &body[start..at]))
}

/// The events of a blob, as (channel, message, where it goes); stops at
/// a malformed one.
pub fn events(mut blob: &[u8]) -> impl Iterator<Item = (&[u8], &[u8], To)> {
    std::iter::from_fn(move || {
        let mut take = || {
            let n = u32::from_le_bytes(blob.get(..4)?.try_into().ok()?);
            let len = (n & !(SHARD_CHANNEL | MONITOR_LINE | INVALIDATION)) as usize;
            let part = blob.get(4..4 + len)?;
            blob = &blob[4 + len..];
            let to = if n & INVALIDATION != 0 {
                To::Invalidation
            } else if n & MONITOR_LINE != 0 {
                To::Monitor
            } else if n & SHARD_CHANNEL != 0 {
                To::ShardChannel
            } else {
                To::Channel
            };
            Some((part, to))
        };
        let (channel, to) = take()?;
        Some((channel, take()?.0, to))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_and_print_as_redis_does() {
        for (given, shown) in [
            ("gKE", "gKE"),
            ("$lshzxeKE", "$lshzxeKE"),
            ("KA", "AK"),
            ("EA", "AE"),
            ("", ""),
            ("En", "nE"),
            ("Km", "Km"),
        ] {
            let f = parse(given.as_bytes()).unwrap_or(u32::MAX);
            assert_eq!(to_text(f), shown, "{given}");
        }
        assert_eq!(parse(b"KEq"), None);
    }

    #[test]
    fn events_ride_at_the_end_of_a_reply() {
        let mut body = b"+OK\r\n".to_vec();
        let mut blob = Vec::new();
        push_event(&mut blob, b"__keyspace@0__:foo", b"set");
        push_event(&mut blob, b"__keyevent@0__:set", b"foo");
        body.extend_from_slice(&blob);
        body.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        let (reply, events_blob) = split_reply(&body).unwrap_or_default();
        assert_eq!(reply, b"+OK\r\n");
        let got: Vec<_> = events(events_blob).collect();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1],
            (&b"__keyevent@0__:set"[..], &b"foo"[..], To::Channel)
        );
    }

    #[test]
    fn a_message_to_a_shard_channel_keeps_its_flag() {
        let mut blob = Vec::new();
        push_message(&mut blob, b"orders", b"42", true);
        push_message(&mut blob, b"news", b"hi", false);
        let got: Vec<_> = events(&blob).collect();
        assert_eq!(
            got,
            vec![
                (&b"orders"[..], &b"42"[..], To::ShardChannel),
                (&b"news"[..], &b"hi"[..], To::Channel)
            ]
        );
    }

    #[test]
    fn invalidations_ride_with_whom_they_are_for() {
        let mut blob = Vec::new();
        push_invalidation(&mut blob, Invalidated::Client(42), 7, b"user:1");
        push_event(&mut blob, b"__keyevent@0__:set", b"user:1");
        push_invalidation(&mut blob, Invalidated::Prefixes, 0, b"user:2");
        push_invalidation(&mut blob, Invalidated::Flush, 9, b"");
        let got: Vec<_> = events(&blob).collect();
        assert_eq!(got.len(), 4);
        assert_eq!((got[0].1, got[0].2), (&b"user:1"[..], To::Invalidation));
        assert_eq!(invalidation(got[0].0), Some((Invalidated::Client(42), 7)));
        assert_eq!(got[1].2, To::Channel);
        assert_eq!(invalidation(got[2].0), Some((Invalidated::Prefixes, 0)));
        assert_eq!(invalidation(got[3].0), Some((Invalidated::Flush, 9)));
        assert_eq!(invalidation(b"short"), None);
    }

    #[test]
    fn a_scripts_command_rides_for_the_monitors() {
        let mut blob = Vec::new();
        push_monitor(&mut blob, 9, &[b"set", b"k", b"", b"v v"]);
        push_message(&mut blob, b"news", b"hi", false);
        let got: Vec<_> = events(&blob).collect();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0, got[0].2), (&b"9"[..], To::Monitor));
        let args: Vec<&[u8]> = vec![b"set", b"k", b"", b"v v"];
        assert_eq!(monitor_args(got[0].1), args);
        assert_eq!(got[1].2, To::Channel);
    }
}
