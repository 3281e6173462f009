//! Command execution: one function per command, grouped by data type.
//!
//! [`execute`] takes a command's arguments as slices (read in place from the
//! request ring), runs it against the [`Keyspace`] and writes the reply
//! through [`Reply`]. Handlers never panic on client input: argument access
//! goes through [`Args`], whose accessors return [`CmdError`]s, and every
//! error text matches Redis's.
//!
//! Arity is checked once, from the command table (`common::table`), by
//! whoever resolves the name: the proxy for client commands, [`execute`]
//! for the log's replay and tests. Handlers check only what the table
//! cannot say (key/value pairs, an upper bound, options), with Redis's
//! errors. A handler reached with any other count (a broken peer) still
//! cannot index out of range: [`Args::get`] returns the arity error.

pub mod bits;
pub mod geo;
pub mod hashes;
pub mod hll;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod scan;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
pub mod zsets;

pub use common::num::{parse_f64, parse_i64};

use common::table::{self, Cmd};

use crate::{keyspace::Keyspace, reply::Reply};

/// Errors a command replies with. The text is exactly Redis's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CmdError {
    /// The key holds another type.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// Wrong number of arguments for the named command (lowercase).
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// Generic syntax error.
    #[error("ERR syntax error")]
    Syntax,
    /// An argument that must be an integer is not one.
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// An argument that must be a float is not one.
    #[error("ERR value is not a valid float")]
    NotFloat,
    /// Increment or decrement would overflow.
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    /// The key does not exist where it must.
    #[error("ERR no such key")]
    NoSuchKey,
    /// Unknown command (name as sent).
    #[error("ERR unknown command '{0}'")]
    UnknownCommand(String),
    /// Any other error, with its full text (including the `ERR` prefix).
    #[error("{0}")]
    Other(String),
}

/// Result of a command handler: the reply is already written on `Ok`.
pub type CmdResult = Result<(), CmdError>;

/// How many changes a write made, as Redis counts them in `server.dirty`
/// (`rdb_changes_since_last_save`). [`Changes::NONE`]: the write changed
/// nothing, so it is neither counted nor logged (Redis does not propagate
/// it either). Meaningful for write commands only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Changes(pub u64);

impl Changes {
    /// Nothing changed (and an error changes nothing).
    pub const NONE: Changes = Changes(0);
    /// What a write counts when its handler does not say.
    pub const ONE: Changes = Changes(1);

    /// Whether the write changed anything.
    pub fn any(self) -> bool {
        self.0 > 0
    }
}

/// Result of a handler that counts its changes (see [`Handler::Counted`]).
pub type CountedResult = Result<Changes, CmdError>;

/// A command's arguments, `args[0]` being the command name.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    argv: &'a [&'a [u8]],
}

impl<'a> Args<'a> {
    /// Wraps `argv` (name first).
    pub fn new(argv: &'a [&'a [u8]]) -> Self {
        Args { argv }
    }

    /// Number of arguments including the name.
    pub fn len(&self) -> usize {
        self.argv.len()
    }

    /// Whether there are no arguments at all (not even a name).
    pub fn is_empty(&self) -> bool {
        self.argv.is_empty()
    }

    /// All arguments, name first.
    pub fn all(&self) -> &'a [&'a [u8]] {
        self.argv
    }

    /// The command name, lowercased, for error texts.
    pub fn name_lower(&self) -> String {
        self.argv
            .first()
            .map(|n| String::from_utf8_lossy(n).to_lowercase())
            .unwrap_or_default()
    }

    /// Argument `i`, or the wrong-arity error.
    pub fn get(&self, i: usize) -> Result<&'a [u8], CmdError> {
        self.argv
            .get(i)
            .copied()
            .ok_or_else(|| CmdError::WrongArity(self.name_lower()))
    }

    /// Arguments from `i` on (empty if none).
    pub fn rest(&self, i: usize) -> &'a [&'a [u8]] {
        self.argv.get(i..).unwrap_or(&[])
    }

    /// Fails with the wrong-arity error unless `pred(len)` holds: for the
    /// rules the table's arity cannot express (pairs, at most N), never to
    /// repeat it.
    pub fn check(&self, pred: impl FnOnce(usize) -> bool) -> Result<(), CmdError> {
        if pred(self.argv.len()) {
            Ok(())
        } else {
            Err(CmdError::WrongArity(self.name_lower()))
        }
    }

    /// Argument `i` parsed as a Redis integer.
    pub fn i64(&self, i: usize) -> Result<i64, CmdError> {
        parse_i64(self.get(i)?).ok_or(CmdError::NotInteger)
    }

    /// Argument `i` parsed as a Redis float.
    pub fn f64(&self, i: usize) -> Result<f64, CmdError> {
        parse_f64(self.get(i)?).ok_or(CmdError::NotFloat)
    }
}

/// Case-insensitive comparison of an argument with an ASCII keyword.
pub fn eq_ic(arg: &[u8], keyword: &str) -> bool {
    arg.eq_ignore_ascii_case(keyword.as_bytes())
}

/// A command run against the keyspace: arguments in, reply out.
#[derive(Clone, Copy)]
pub enum Handler {
    /// A handler that does not count its changes: a write that succeeds
    /// counts as [`Changes::ONE`] (the common case).
    Run(fn(&mut Keyspace, Args, &mut Reply) -> CmdResult),
    /// A write that says how many changes it made, as Redis does where a
    /// write may change nothing at all (SETBIT of the bit already there).
    Counted(fn(&mut Keyspace, Args, &mut Reply) -> CountedResult),
}

/// The keyspace handler for `id`; `None` for what the proxy answers, the
/// data directory commands (`persist::admin`) and what nobody runs. Arity
/// was checked once, from the table, by whoever resolved the name (the
/// proxy, or [`execute`]).
pub const fn handler(id: Cmd) -> Option<Handler> {
    let counted: fn(&mut Keyspace, Args, &mut Reply) -> CountedResult = match id {
        Cmd::Set => strings::set,
        Cmd::Ltrim => lists::ltrim,
        Cmd::Smove => sets::smove,
        Cmd::Geoadd => geo::geoadd,
        Cmd::Getex => strings::getex,
        Cmd::Setrange => strings::setrange,
        Cmd::Zadd => zsets::zadd,
        Cmd::Zincrby => zsets::zincrby,
        Cmd::Rename => keys::rename,
        Cmd::Renamenx => keys::renamenx,
        Cmd::Setbit => bits::setbit,
        Cmd::Bitfield => bits::bitfield,
        Cmd::Del | Cmd::Unlink => keys::del,
        Cmd::Georadius => geo::georadius,
        Cmd::Georadiusbymember => geo::georadiusbymember,
        Cmd::Geosearchstore => geo::geosearchstore,
        Cmd::Xadd => streams::xadd,
        Cmd::Xtrim => streams::xtrim,
        Cmd::Xdel => streams::xdel,
        Cmd::Xread => streams::read::xread,
        Cmd::Xreadgroup => streams::read::xreadgroup,
        Cmd::Xgroup
        | Cmd::XgroupCreate
        | Cmd::XgroupCreateconsumer
        | Cmd::XgroupDelconsumer
        | Cmd::XgroupDestroy
        | Cmd::XgroupHelp
        | Cmd::XgroupSetid => streams::groups::xgroup,
        Cmd::Xack => streams::groups::xack,
        Cmd::Xclaim => streams::groups::xclaim,
        Cmd::Xautoclaim => streams::groups::xautoclaim,
        _ => {
            return match run_handler(id) {
                Some(run) => Some(Handler::Run(run)),
                None => None,
            }
        }
    };
    Some(Handler::Counted(counted))
}

impl Handler {
    /// Runs the handler on `argv` (name first): writes its reply, or its
    /// error, to `out` and returns what it changed.
    #[inline]
    pub fn run(self, ks: &mut Keyspace, argv: &[&[u8]], out: &mut Reply) -> Changes {
        let args = Args::new(argv);
        let result = match self {
            Handler::Run(run) => run(ks, args, out).map(|()| Changes::ONE),
            Handler::Counted(run) => run(ks, args, out),
        };
        result.unwrap_or_else(|e| {
            out.error(&e.to_string());
            Changes::NONE
        })
    }
}

/// Whether a write that replied `reply` changed nothing, for the commands
/// whose handler does not count its changes: Redis neither signals the key
/// (WATCH) nor propagates the write (the log) when, for example, SADD adds
/// no member, SMOVE or RENAMENX moves nothing, or LPOP finds no list.
pub fn changed_nothing(id: Cmd, reply: &[u8]) -> bool {
    let is_null = matches!(reply, b"$-1\r\n" | b"*-1\r\n" | b"_\r\n");
    match reply {
        b":0\r\n" => matches!(
            id,
            Cmd::Sadd
                | Cmd::Srem
                | Cmd::Smove
                | Cmd::Hdel
                | Cmd::Hsetnx
                | Cmd::Setnx
                | Cmd::Msetnx
                | Cmd::Renamenx
                | Cmd::Copy
                | Cmd::Move
                | Cmd::Lrem
                | Cmd::Lpushx
                | Cmd::Rpushx
                | Cmd::Linsert
                | Cmd::Zrem
                | Cmd::Zremrangebyscore
                | Cmd::Zremrangebyrank
                | Cmd::Zremrangebylex
                | Cmd::Expire
                | Cmd::Pexpire
                | Cmd::Expireat
                | Cmd::Pexpireat
                | Cmd::Persist
                | Cmd::Pfadd
        ),
        b":-1\r\n" => id == Cmd::Linsert,
        // An empty array, or an empty set under RESP3 (SPOP's count form).
        b"*0\r\n" | b"~0\r\n" => matches!(
            id,
            Cmd::Zpopmin | Cmd::Zpopmax | Cmd::Spop | Cmd::Lpop | Cmd::Rpop
        ),
        _ if is_null => matches!(
            id,
            Cmd::Lmove
                | Cmd::Rpoplpush
                | Cmd::Lpop
                | Cmd::Rpop
                | Cmd::Spop
                | Cmd::Lmpop
                | Cmd::Zmpop
                | Cmd::Getdel
                | Cmd::Blpop
                | Cmd::Brpop
                | Cmd::Blmove
                | Cmd::Brpoplpush
                | Cmd::Blmpop
                | Cmd::Bzpopmin
                | Cmd::Bzpopmax
                | Cmd::Bzmpop
        ),
        _ => false,
    }
}

/// The argument index of the destination of a STORE command (whose empty
/// result deletes the destination), if `id` with `args` is one (SORT's
/// follows its `STORE`).
pub fn store_destination(id: Cmd, args: &[&[u8]]) -> Option<usize> {
    match id {
        Cmd::Sort => args
            .iter()
            .skip(2)
            .position(|a| a.eq_ignore_ascii_case(b"store"))
            .map(|i| i + 3),
        Cmd::Sinterstore
        | Cmd::Sunionstore
        | Cmd::Sdiffstore
        | Cmd::Zunionstore
        | Cmd::Zinterstore
        | Cmd::Zdiffstore
        | Cmd::Zrangestore => Some(1),
        Cmd::Bitop => Some(2),
        _ => None,
    }
}

/// The handlers that do not count their changes.
const fn run_handler(id: Cmd) -> Option<fn(&mut Keyspace, Args, &mut Reply) -> CmdResult> {
    Some(match id {
        // strings
        Cmd::Get => strings::get,
        Cmd::Setnx => strings::setnx,
        Cmd::Setex => strings::setex,
        Cmd::Psetex => strings::psetex,
        Cmd::Getdel => strings::getdel,
        Cmd::Getset => strings::getset,
        Cmd::Append => strings::append,
        Cmd::Strlen => strings::strlen,
        Cmd::Incr => strings::incr,
        Cmd::Decr => strings::decr,
        Cmd::Incrby => strings::incrby,
        Cmd::Decrby => strings::decrby,
        Cmd::Incrbyfloat => strings::incrbyfloat,
        Cmd::Getrange | Cmd::Substr => strings::getrange,
        Cmd::Lcs => strings::lcs,
        Cmd::Mget => strings::mget,
        Cmd::Mset => strings::mset,
        Cmd::Msetnx => strings::msetnx,
        // bits (SETBIT and BITFIELD count their changes: see `handler`)
        Cmd::Getbit => bits::getbit,
        Cmd::Bitcount => bits::bitcount,
        Cmd::Bitpos => bits::bitpos,
        Cmd::Bitop => bits::bitop,
        Cmd::BitfieldRo => bits::bitfield_ro,
        // hyperloglog
        Cmd::Pfadd => hll::pfadd,
        Cmd::Pfcount => hll::pfcount,
        Cmd::Pfmerge => hll::pfmerge,
        // hashes
        Cmd::Hset => hashes::hset,
        Cmd::Hsetnx => hashes::hsetnx,
        Cmd::Hmset => hashes::hmset,
        Cmd::Hget => hashes::hget,
        Cmd::Hmget => hashes::hmget,
        Cmd::Hdel => hashes::hdel,
        Cmd::Hlen => hashes::hlen,
        Cmd::Hstrlen => hashes::hstrlen,
        Cmd::Hexists => hashes::hexists,
        Cmd::Hkeys => hashes::hkeys,
        Cmd::Hvals => hashes::hvals,
        Cmd::Hgetall => hashes::hgetall,
        Cmd::Hincrby => hashes::hincrby,
        Cmd::Hincrbyfloat => hashes::hincrbyfloat,
        Cmd::Hrandfield => hashes::hrandfield,
        Cmd::Hscan => hashes::hscan,
        // lists
        Cmd::Lpush => lists::lpush,
        Cmd::Rpush => lists::rpush,
        Cmd::Lpushx => lists::lpushx,
        Cmd::Rpushx => lists::rpushx,
        Cmd::Lpop => lists::lpop,
        Cmd::Rpop => lists::rpop,
        Cmd::Llen => lists::llen,
        Cmd::Lrange => lists::lrange,
        Cmd::Lindex => lists::lindex,
        Cmd::Lset => lists::lset,
        Cmd::Linsert => lists::linsert,
        Cmd::Lrem => lists::lrem,
        Cmd::Lpos => lists::lpos,
        Cmd::Lmove => lists::lmove,
        Cmd::Rpoplpush => lists::rpoplpush,
        Cmd::Lmpop => lists::lmpop,
        Cmd::Blpop => lists::blpop,
        Cmd::Brpop => lists::brpop,
        Cmd::Blmove => lists::blmove,
        Cmd::Brpoplpush => lists::brpoplpush,
        Cmd::Blmpop => lists::blmpop,
        // keys
        Cmd::Exists => keys::exists,
        // sets
        Cmd::Sadd => sets::sadd,
        Cmd::Srem => sets::srem,
        Cmd::Scard => sets::scard,
        Cmd::Sismember => sets::sismember,
        Cmd::Smismember => sets::smismember,
        Cmd::Smembers => sets::smembers,
        Cmd::Spop => sets::spop,
        Cmd::Srandmember => sets::srandmember,
        Cmd::Sinter => sets::sinter,
        Cmd::Sintercard => sets::sintercard,
        Cmd::Sinterstore => sets::sinterstore,
        Cmd::Sunion => sets::sunion,
        Cmd::Sunionstore => sets::sunionstore,
        Cmd::Sdiff => sets::sdiff,
        Cmd::Sdiffstore => sets::sdiffstore,
        Cmd::Sscan => sets::sscan,
        // sorted sets
        Cmd::Zrem => zsets::zrem,
        Cmd::Zcard => zsets::zcard,
        Cmd::Zcount => zsets::zcount,
        Cmd::Zlexcount => zsets::zlexcount,
        Cmd::Zscore => zsets::zscore,
        // geo
        Cmd::Geopos => geo::geopos,
        Cmd::Geohash => geo::geohash,
        Cmd::Geodist => geo::geodist,
        Cmd::GeoradiusRo => geo::georadius_ro,
        Cmd::GeoradiusbymemberRo => geo::georadiusbymember_ro,
        Cmd::Geosearch => geo::geosearch,
        Cmd::Zmscore => zsets::zmscore,
        Cmd::Zrank => zsets::zrank,
        Cmd::Zrevrank => zsets::zrevrank,
        Cmd::Zrange => zsets::zrange,
        Cmd::Zrangebyscore => zsets::zrangebyscore,
        Cmd::Zrevrangebyscore => zsets::zrevrangebyscore,
        Cmd::Zrangebylex => zsets::zrangebylex,
        Cmd::Zrevrangebylex => zsets::zrevrangebylex,
        Cmd::Zrevrange => zsets::zrevrange,
        Cmd::Zrangestore => zsets::zrangestore,
        Cmd::Zremrangebyrank => zsets::zremrangebyrank,
        Cmd::Zremrangebyscore => zsets::zremrangebyscore,
        Cmd::Zremrangebylex => zsets::zremrangebylex,
        Cmd::Zpopmin => zsets::zpopmin,
        Cmd::Zpopmax => zsets::zpopmax,
        Cmd::Zmpop => zsets::zmpop,
        Cmd::Bzpopmin => zsets::bzpopmin,
        Cmd::Bzpopmax => zsets::bzpopmax,
        Cmd::Bzmpop => zsets::bzmpop,
        Cmd::Zrandmember => zsets::zrandmember,
        Cmd::Zunion => zsets::zunion,
        Cmd::Zinter => zsets::zinter,
        Cmd::Zdiff => zsets::zdiff,
        Cmd::Zunionstore => zsets::zunionstore,
        Cmd::Zinterstore => zsets::zinterstore,
        Cmd::Zdiffstore => zsets::zdiffstore,
        Cmd::Zintercard => zsets::zintercard,
        Cmd::Zscan => zsets::zscan,
        Cmd::Touch => keys::touch,
        Cmd::Type => keys::type_,
        Cmd::Expire => keys::expire,
        Cmd::Pexpire => keys::pexpire,
        Cmd::Expireat => keys::expireat,
        Cmd::Pexpireat => keys::pexpireat,
        Cmd::Ttl => keys::ttl,
        Cmd::Pttl => keys::pttl,
        Cmd::Expiretime => keys::expiretime,
        Cmd::Pexpiretime => keys::pexpiretime,
        Cmd::Persist => keys::persist,
        Cmd::Copy => keys::copy,
        Cmd::ObjectEncoding
        | Cmd::ObjectFreq
        | Cmd::ObjectHelp
        | Cmd::ObjectIdletime
        | Cmd::ObjectRefcount => keys::object,
        Cmd::Xlen => streams::xlen,
        Cmd::Xrange => streams::xrange,
        Cmd::Xrevrange => streams::xrevrange,
        Cmd::Xsetid => streams::xsetid,
        Cmd::Xpending => streams::groups::xpending,
        Cmd::Xinfo | Cmd::XinfoConsumers | Cmd::XinfoGroups | Cmd::XinfoHelp | Cmd::XinfoStream => {
            streams::info::xinfo
        }
        Cmd::Randomkey => keys::randomkey,
        Cmd::Dbsize => keys::dbsize,
        Cmd::Keys => keys::keys,
        Cmd::Scan => keys::scan,
        Cmd::Flushall => keys::flushall,
        Cmd::Flushdb => keys::flushdb,
        Cmd::Move => keys::move_,
        Cmd::Swapdb => keys::swapdb,
        Cmd::Dump => keys::dump,
        Cmd::Sort => sort::sort,
        Cmd::SortRo => sort::sort_ro,
        Cmd::Restore => keys::restore,
        Cmd::SharddDump => keys::shardd_dump,
        Cmd::MemoryUsage => memory::usage,
        Cmd::MemoryPurge => memory::purge,
        _ => return None,
    })
}

/// Runs `argv` (name first) by name, as the log's replay and tests do:
/// the name is resolved in the table (with Redis's errors for unknown
/// commands and wrong arity), then run as [`execute_id`] runs it.
pub fn execute(ks: &mut Keyspace, argv: &[&[u8]], out: &mut Reply) -> Changes {
    match table::resolve(argv) {
        Ok(spec) => execute_id(ks, spec.id, argv, out),
        Err(e) => {
            let mut text = Vec::new();
            e.write_reply(argv, &mut text);
            out.raw(&text);
            Changes::NONE
        }
    }
}

/// Runs the command `id` with `argv` (name first) and writes its reply (or
/// its error) to `out`. Returns the changes it made: none on an error.
pub fn execute_id(ks: &mut Keyspace, id: Cmd, argv: &[&[u8]], out: &mut Reply) -> Changes {
    match handler(id) {
        Some(h) => h.run(ks, argv, out),
        None => {
            let name = String::from_utf8_lossy(argv.first().copied().unwrap_or(b""));
            out.error(&CmdError::UnknownCommand(name.into_owned()).to_string());
            Changes::NONE
        }
    }
}

#[cfg(test)]
pub(crate) mod test_util {
    //! Helpers for handler tests: run a command, get the raw RESP reply.
    use super::*;
    use crate::reply::Proto;

    /// Runs `cmd` (space separated) on `ks` and returns the RESP2 reply as text.
    pub fn run(ks: &mut Keyspace, cmd: &str) -> String {
        let parts: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        run_args(ks, &parts)
    }

    /// Runs `argv` on `ks` and returns the RESP2 reply as (lossy) text.
    pub fn run_args(ks: &mut Keyspace, argv: &[&[u8]]) -> String {
        let mut buf = Vec::new();
        execute(ks, argv, &mut Reply::new(&mut buf, Proto::Resp2));
        String::from_utf8_lossy(&buf).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use common::table::every_entry;

    use super::*;

    #[test]
    fn unknown_command_is_refused() {
        let mut ks = Keyspace::new();
        assert_eq!(
            test_util::run(&mut ks, "nope x"),
            "-ERR unknown command 'nope', with args beginning with: 'x' \r\n"
        );
        assert_eq!(
            test_util::run(&mut ks, "GET"),
            "-ERR wrong number of arguments for 'get' command\r\n"
        );
    }

    /// A keyspace with a key of every type under each name a filler
    /// argument may take.
    fn every_type(ks: &mut Keyspace) {
        for cmd in [
            "SET k 1",
            "RPUSH 1 a b",
            "SADD 0 a b",
            "ZADD x 1 a",
            "HSET a f v",
            "SADD s 1 2",
        ] {
            test_util::run(ks, cmd);
        }
    }

    #[test]
    fn handlers_refuse_any_argument_count_without_panicking() {
        // The table's arity is checked once, before a handler runs; a
        // handler reached with any other count (a broken peer) must still
        // answer with an error, never index out of range.
        let fillers: [&[u8]; 9] = [b"k", b"1", b"2", b"0", b"x", b"s", b"and", b"min", b"-1"];
        let mut failed = Vec::new();
        for c in every_entry().filter(|c| handler(c.id).is_some()) {
            let most = c.arity.unsigned_abs() as usize + 3;
            for argc in 0..=most {
                for fill in fillers {
                    let mut argv: Vec<&[u8]> = vec![c.name.as_bytes(); argc.min(1)];
                    argv.resize(argc, fill);
                    let run = std::panic::catch_unwind(|| {
                        let mut ks = Keyspace::new();
                        every_type(&mut ks);
                        let mut out = Vec::new();
                        let mut reply = Reply::new(&mut out, crate::reply::Proto::Resp2);
                        execute_id(&mut ks, c.id, &argv, &mut reply);
                    });
                    if run.is_err() {
                        let fill = String::from_utf8_lossy(fill);
                        failed.push(format!("{} with {argc} arguments '{fill}'", c.name));
                    }
                }
            }
        }
        assert!(failed.is_empty(), "handlers panicked: {failed:#?}");
    }
}
