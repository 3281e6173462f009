//! Keyspace notifications: the events each write command causes, with
//! Redis 7.0's names and classes, and the events of one request as they
//! are gathered (`common::notify` says how they travel to the proxy).
//!
//! After a write that changed something (the same hook as WATCH and the
//! blocked clients, so MULTI, scripts and transactions over several
//! shards included), the command's events come from [`events_of`]: one
//! per key it writes, named as Redis names them (`set`, `lpush`,
//! `rename_from`, `zincr`...). A key the command emptied away gets `del`
//! right after its own event, as Redis's containers do. New keys (`n`), expired keys
//! (`x`) and read misses (`m`) are noted by the keyspace where they
//! happen and come first, in order. With `notify-keyspace-events` empty
//! (the default) none of this runs. Not made: `evicted` (no eviction
//! yet), stream and module events (no streams, no modules).

use common::{
    notify::{GENERIC, HASH, KEYEVENT, KEYSPACE, LIST, SET, STRING, ZSET},
    table::Cmd,
};
use smallvec::{smallvec, SmallVec};

/// One event of a command: class, name, and the argument holding its key.
pub type Event = (u32, &'static str, usize);

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

fn has_option(argv: &[&[u8]], from: usize, opts: &[&str]) -> bool {
    argv.iter()
        .skip(from)
        .any(|a| opts.iter().any(|o| eq(a, o)))
}

fn end_of(arg: Option<&&[u8]>, left: &'static str, right: &'static str) -> &'static str {
    match arg {
        Some(a) if eq(a, "right") || eq(a, "max") => right,
        _ => left,
    }
}

/// The events write command `id` with `argv` causes when it changed
/// something, before the `del`s of keys it emptied.
pub fn events_of(id: Cmd, argv: &[&[u8]]) -> SmallVec<[Event; 4]> {
    let n = argv.len();
    let every = |class: u32, name: &'static str, from: usize, step: usize| {
        (from..n).step_by(step).map(|i| (class, name, i)).collect()
    };
    match id {
        Cmd::Set => {
            let mut ev: SmallVec<[Event; 4]> = smallvec![(STRING, "set", 1)];
            if has_option(argv, 3, &["ex", "px", "exat", "pxat"]) {
                ev.push((GENERIC, "expire", 1));
            }
            ev
        }
        Cmd::Setnx | Cmd::Getset => smallvec![(STRING, "set", 1)],
        Cmd::Setex | Cmd::Psetex => smallvec![(STRING, "set", 1), (GENERIC, "expire", 1)],
        Cmd::Mset | Cmd::Msetnx => every(STRING, "set", 1, 2),
        Cmd::Append => smallvec![(STRING, "append", 1)],
        Cmd::Setrange => smallvec![(STRING, "setrange", 1)],
        // Redis 7.0 names all four `incrby`.
        Cmd::Incr | Cmd::Incrby | Cmd::Decr | Cmd::Decrby => smallvec![(STRING, "incrby", 1)],
        Cmd::Incrbyfloat => smallvec![(STRING, "incrbyfloat", 1)],
        Cmd::Getex if has_option(argv, 2, &["persist"]) => smallvec![(GENERIC, "persist", 1)],
        Cmd::Getex => smallvec![(GENERIC, "expire", 1)],
        Cmd::Getdel => smallvec![(GENERIC, "del", 1)],
        Cmd::Setbit | Cmd::Bitfield => smallvec![(STRING, "setbit", 1)],
        Cmd::Bitop => smallvec![(STRING, "set", 2)],
        Cmd::Pfadd | Cmd::Pfmerge => smallvec![(STRING, "pfadd", 1)],
        Cmd::Del | Cmd::Unlink => every(GENERIC, "del", 1, 1),
        Cmd::Expire | Cmd::Pexpire | Cmd::Expireat | Cmd::Pexpireat => {
            smallvec![(GENERIC, "expire", 1)]
        }
        Cmd::Persist => smallvec![(GENERIC, "persist", 1)],
        Cmd::Rename | Cmd::Renamenx => {
            smallvec![(GENERIC, "rename_from", 1), (GENERIC, "rename_to", 2)]
        }
        Cmd::Copy => smallvec![(GENERIC, "copy_to", 2)],
        Cmd::Restore => smallvec![(GENERIC, "restore", 1)],
        Cmd::Sort => {
            let at = argv.iter().position(|a| eq(a, "store")).map(|i| i + 1);
            at.filter(|&i| i < n)
                .map_or_else(SmallVec::new, |i| smallvec![(LIST, "sortstore", i)])
        }
        Cmd::Lpush | Cmd::Lpushx => smallvec![(LIST, "lpush", 1)],
        Cmd::Rpush | Cmd::Rpushx => smallvec![(LIST, "rpush", 1)],
        Cmd::Linsert => smallvec![(LIST, "linsert", 1)],
        Cmd::Lset => smallvec![(LIST, "lset", 1)],
        Cmd::Ltrim => smallvec![(LIST, "ltrim", 1)],
        Cmd::Lrem => smallvec![(LIST, "lrem", 1)],
        Cmd::Lpop | Cmd::Blpop => smallvec![(LIST, "lpop", 1)],
        Cmd::Rpop | Cmd::Brpop => smallvec![(LIST, "rpop", 1)],
        // The push on the destination comes first, as in Redis.
        Cmd::Rpoplpush | Cmd::Brpoplpush => smallvec![(LIST, "lpush", 2), (LIST, "rpop", 1)],
        Cmd::Lmove | Cmd::Blmove => smallvec![
            (LIST, end_of(argv.get(4), "lpush", "rpush"), 2),
            (LIST, end_of(argv.get(3), "lpop", "rpop"), 1)
        ],
        Cmd::Lmpop | Cmd::Blmpop => {
            let base = if id == Cmd::Blmpop { 2 } else { 1 };
            let keys = argv
                .get(base)
                .and_then(|k| common::num::parse_i64(k))
                .and_then(|k| usize::try_from(k).ok())
                .unwrap_or(0);
            let name = end_of(argv.get(base + 1 + keys), "lpop", "rpop");
            every(LIST, name, base + 1, 1)
                .into_iter()
                .take(keys)
                .collect()
        }
        Cmd::Sadd => smallvec![(SET, "sadd", 1)],
        Cmd::Srem => smallvec![(SET, "srem", 1)],
        Cmd::Spop => smallvec![(SET, "spop", 1)],
        Cmd::Smove => smallvec![(SET, "srem", 1), (SET, "sadd", 2)],
        Cmd::Sinterstore => smallvec![(SET, "sinterstore", 1)],
        Cmd::Sunionstore => smallvec![(SET, "sunionstore", 1)],
        Cmd::Sdiffstore => smallvec![(SET, "sdiffstore", 1)],
        Cmd::Hset | Cmd::Hmset | Cmd::Hsetnx => smallvec![(HASH, "hset", 1)],
        Cmd::Hdel => smallvec![(HASH, "hdel", 1)],
        Cmd::Hincrby => smallvec![(HASH, "hincrby", 1)],
        Cmd::Hincrbyfloat => smallvec![(HASH, "hincrbyfloat", 1)],
        Cmd::Zadd if has_option(argv, 2, &["incr"]) => smallvec![(ZSET, "zincr", 1)],
        Cmd::Zadd => smallvec![(ZSET, "zadd", 1)],
        Cmd::Zincrby => smallvec![(ZSET, "zincr", 1)],
        Cmd::Zrem => smallvec![(ZSET, "zrem", 1)],
        Cmd::Zremrangebyscore => smallvec![(ZSET, "zremrangebyscore", 1)],
        Cmd::Zremrangebyrank => smallvec![(ZSET, "zremrangebyrank", 1)],
        Cmd::Zremrangebylex => smallvec![(ZSET, "zremrangebylex", 1)],
        Cmd::Zpopmin | Cmd::Bzpopmin => smallvec![(ZSET, "zpopmin", 1)],
        Cmd::Zpopmax | Cmd::Bzpopmax => smallvec![(ZSET, "zpopmax", 1)],
        Cmd::Zmpop | Cmd::Bzmpop => {
            let base = if id == Cmd::Bzmpop { 2 } else { 1 };
            let keys = argv
                .get(base)
                .and_then(|k| common::num::parse_i64(k))
                .and_then(|k| usize::try_from(k).ok())
                .unwrap_or(0);
            let name = end_of(argv.get(base + 1 + keys), "zpopmin", "zpopmax");
            every(ZSET, name, base + 1, 1)
                .into_iter()
                .take(keys)
                .collect()
        }
        Cmd::Zunionstore => smallvec![(ZSET, "zunionstore", 1)],
        Cmd::Zinterstore => smallvec![(ZSET, "zinterstore", 1)],
        Cmd::Zdiffstore => smallvec![(ZSET, "zdiffstore", 1)],
        Cmd::Zrangestore => smallvec![(ZSET, "zrangestore", 1)],
        Cmd::Geoadd => smallvec![(ZSET, "zadd", 1)],
        Cmd::Georadius | Cmd::Georadiusbymember => {
            let at = (5..n.saturating_sub(1))
                .rev()
                .find(|&i| eq(argv[i], "store") || eq(argv[i], "storedist"));
            at.map_or_else(SmallVec::new, |i| {
                smallvec![(ZSET, "georadiusstore", i + 1)]
            })
        }
        Cmd::Geosearchstore => smallvec![(ZSET, "geosearchstore", 1)],
        _ => SmallVec::new(),
    }
}

/// Whether command `id`'s own events already say a key went away.
pub fn deletes(id: Cmd) -> bool {
    matches!(
        id,
        Cmd::Del | Cmd::Unlink | Cmd::Getdel | Cmd::Rename | Cmd::Renamenx
    )
}

/// The events gathered for one request, encoded for the proxy.
#[derive(Debug, Default)]
pub struct Notes {
    /// `notify-keyspace-events` in force.
    pub flags: u32,
    /// The events so far, as `common::notify::push_event` writes them.
    pub blob: Vec<u8>,
    /// The write keys of the running command and whether each existed
    /// before it ran (argument index, existed).
    pub before: Vec<(usize, bool)>,
    /// Events no request caused (active expiry), waiting for the long
    /// poll; bounded by [`BACKGROUND_MAX_BYTES`].
    pub background: Vec<u8>,
    /// The long poll waiting on this shard: (channel, request id, protocol).
    pub waiter: Option<(u64, u64, common::reply::Proto)>,
    /// The database of the request running (its events' channels).
    pub db: usize,
}

/// Background events kept while no long poll waits (older ones dropped).
pub const BACKGROUND_MAX_BYTES: usize = 8 << 20;

impl Notes {
    /// Adds event `event` of `class` on `key` of the request's database,
    /// if the flags ask for it.
    pub fn emit(&mut self, class: u32, event: &str, key: &[u8]) {
        self.emit_in(self.db, class, event, key);
    }

    /// [`Notes::emit`] for a key of database `db`.
    pub fn emit_in(&mut self, db: usize, class: u32, event: &str, key: &[u8]) {
        let f = self.flags;
        if f & class == 0 {
            return;
        }
        if f & KEYSPACE != 0 {
            let mut ch = format!("__keyspace@{db}__:").into_bytes();
            ch.extend_from_slice(key);
            common::notify::push_event(&mut self.blob, &ch, event.as_bytes());
        }
        if f & KEYEVENT != 0 {
            let mut ch = format!("__keyevent@{db}__:").into_bytes();
            ch.extend_from_slice(event.as_bytes());
            common::notify::push_event(&mut self.blob, &ch, key);
        }
    }
}

/// The name of a noted keyspace happening of `class`.
pub fn noted_name(class: u32) -> &'static str {
    match class {
        common::notify::EXPIRED => "expired",
        common::notify::KEY_MISS => "keymiss",
        _ => "new",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(id: Cmd, cmd: &str) -> Vec<(&'static str, usize)> {
        let argv: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        events_of(id, &argv)
            .iter()
            .map(|&(_, n, i)| (n, i))
            .collect()
    }

    #[test]
    fn commands_name_their_events_as_redis_does() {
        assert_eq!(
            names(Cmd::Set, "SET k v EX 10"),
            vec![("set", 1), ("expire", 1)]
        );
        assert_eq!(
            names(Cmd::Mset, "MSET a 1 b 2"),
            vec![("set", 1), ("set", 3)]
        );
        assert_eq!(
            names(Cmd::Lmove, "LMOVE s d RIGHT LEFT"),
            vec![("lpush", 2), ("rpop", 1)]
        );
        assert_eq!(names(Cmd::Decrby, "DECRBY k 2"), vec![("incrby", 1)]);
        assert_eq!(
            names(Cmd::Blmpop, "BLMPOP 0 2 a b RIGHT"),
            vec![("rpop", 3), ("rpop", 4)]
        );
        assert_eq!(names(Cmd::Zadd, "ZADD z INCR 1 m"), vec![("zincr", 1)]);
        assert_eq!(names(Cmd::Sort, "SORT l STORE d"), vec![("sortstore", 3)]);
        assert!(names(Cmd::Get, "GET k").is_empty());
    }

    #[test]
    fn events_go_to_the_channels_the_flags_ask_for() {
        let mut n = Notes {
            flags: common::notify::parse(b"KEl").unwrap_or(0),
            ..Notes::default()
        };
        n.emit(STRING, "set", b"foo");
        assert!(n.blob.is_empty());
        n.emit(LIST, "lpush", b"l");
        n.emit_in(3, LIST, "lpush", b"m");
        let got: Vec<(&[u8], &[u8])> = common::notify::events(&n.blob)
            .map(|(ch, msg, to)| {
                assert_eq!(to, common::notify::To::Channel);
                (ch, msg)
            })
            .collect();
        let want: [(&[u8], &[u8]); 4] = [
            (b"__keyspace@0__:l", b"lpush"),
            (b"__keyevent@0__:lpush", b"l"),
            (b"__keyspace@3__:m", b"lpush"),
            (b"__keyevent@3__:lpush", b"m"),
        ];
        assert_eq!(got, want);
    }
}
