//! Command execution: one function per command, grouped by data type.
//!
//! [`execute`] takes a command's arguments as slices (read in place from the
//! request ring), runs it against the [`Keyspace`] and writes the reply
//! through [`Reply`]. Handlers never panic on client input: argument access
//! goes through [`Args`], whose accessors return [`CmdError`]s, and every
//! error text matches Redis's.
//!
//! Arity is checked first by the proxy from its command table; the checks
//! here are a second line of defence so a shard never indexes out of range.

pub mod bits;
pub mod hashes;
pub mod hll;
pub mod keys;
pub mod lists;
pub mod sets;
pub mod sort;
pub mod strings;
pub mod zsets;

pub use common::num::{parse_f64, parse_i64};

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

    /// Fails with the wrong-arity error unless `pred(len)` holds.
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

/// Runs one command and writes its reply (or its error) to `out`.
pub fn execute(ks: &mut Keyspace, argv: &[&[u8]], out: &mut Reply) {
    let args = Args::new(argv);
    if let Err(e) = dispatch(ks, args, out) {
        out.error(&e.to_string());
    }
}

fn dispatch(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let name = args.get(0)?;
    let mut lower = [0u8; 24];
    if name.len() > lower.len() {
        return Err(unknown(name));
    }
    let lower = &mut lower[..name.len()];
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    match &*lower {
        // strings
        b"get" => strings::get(ks, args, out),
        b"set" => strings::set(ks, args, out),
        b"setnx" => strings::setnx(ks, args, out),
        b"setex" => strings::setex(ks, args, out),
        b"psetex" => strings::psetex(ks, args, out),
        b"getex" => strings::getex(ks, args, out),
        b"getdel" => strings::getdel(ks, args, out),
        b"getset" => strings::getset(ks, args, out),
        b"append" => strings::append(ks, args, out),
        b"strlen" => strings::strlen(ks, args, out),
        b"incr" => strings::incr(ks, args, out),
        b"decr" => strings::decr(ks, args, out),
        b"incrby" => strings::incrby(ks, args, out),
        b"decrby" => strings::decrby(ks, args, out),
        b"incrbyfloat" => strings::incrbyfloat(ks, args, out),
        b"getrange" | b"substr" => strings::getrange(ks, args, out),
        b"setrange" => strings::setrange(ks, args, out),
        b"lcs" => strings::lcs(ks, args, out),
        b"mget" => strings::mget(ks, args, out),
        b"mset" => strings::mset(ks, args, out),
        b"msetnx" => strings::msetnx(ks, args, out),
        // bits
        b"setbit" => bits::setbit(ks, args, out),
        b"getbit" => bits::getbit(ks, args, out),
        b"bitcount" => bits::bitcount(ks, args, out),
        b"bitpos" => bits::bitpos(ks, args, out),
        b"bitop" => bits::bitop(ks, args, out),
        b"bitfield" => bits::bitfield(ks, args, out),
        b"bitfield_ro" => bits::bitfield_ro(ks, args, out),
        // hyperloglog
        b"pfadd" => hll::pfadd(ks, args, out),
        b"pfcount" => hll::pfcount(ks, args, out),
        b"pfmerge" => hll::pfmerge(ks, args, out),
        // hashes
        b"hset" => hashes::hset(ks, args, out),
        b"hsetnx" => hashes::hsetnx(ks, args, out),
        b"hmset" => hashes::hmset(ks, args, out),
        b"hget" => hashes::hget(ks, args, out),
        b"hmget" => hashes::hmget(ks, args, out),
        b"hdel" => hashes::hdel(ks, args, out),
        b"hlen" => hashes::hlen(ks, args, out),
        b"hstrlen" => hashes::hstrlen(ks, args, out),
        b"hexists" => hashes::hexists(ks, args, out),
        b"hkeys" => hashes::hkeys(ks, args, out),
        b"hvals" => hashes::hvals(ks, args, out),
        b"hgetall" => hashes::hgetall(ks, args, out),
        b"hincrby" => hashes::hincrby(ks, args, out),
        b"hincrbyfloat" => hashes::hincrbyfloat(ks, args, out),
        b"hrandfield" => hashes::hrandfield(ks, args, out),
        b"hscan" => hashes::hscan(ks, args, out),
        // lists
        b"lpush" => lists::lpush(ks, args, out),
        b"rpush" => lists::rpush(ks, args, out),
        b"lpushx" => lists::lpushx(ks, args, out),
        b"rpushx" => lists::rpushx(ks, args, out),
        b"lpop" => lists::lpop(ks, args, out),
        b"rpop" => lists::rpop(ks, args, out),
        b"llen" => lists::llen(ks, args, out),
        b"lrange" => lists::lrange(ks, args, out),
        b"lindex" => lists::lindex(ks, args, out),
        b"lset" => lists::lset(ks, args, out),
        b"linsert" => lists::linsert(ks, args, out),
        b"lrem" => lists::lrem(ks, args, out),
        b"ltrim" => lists::ltrim(ks, args, out),
        b"lpos" => lists::lpos(ks, args, out),
        b"lmove" => lists::lmove(ks, args, out),
        b"rpoplpush" => lists::rpoplpush(ks, args, out),
        b"lmpop" => lists::lmpop(ks, args, out),
        // keys
        b"del" | b"unlink" => keys::del(ks, args, out),
        b"exists" => keys::exists(ks, args, out),
        // sets
        b"sadd" => sets::sadd(ks, args, out),
        b"srem" => sets::srem(ks, args, out),
        b"scard" => sets::scard(ks, args, out),
        b"sismember" => sets::sismember(ks, args, out),
        b"smismember" => sets::smismember(ks, args, out),
        b"smembers" => sets::smembers(ks, args, out),
        b"spop" => sets::spop(ks, args, out),
        b"srandmember" => sets::srandmember(ks, args, out),
        b"smove" => sets::smove(ks, args, out),
        b"sinter" => sets::sinter(ks, args, out),
        b"sintercard" => sets::sintercard(ks, args, out),
        b"sinterstore" => sets::sinterstore(ks, args, out),
        b"sunion" => sets::sunion(ks, args, out),
        b"sunionstore" => sets::sunionstore(ks, args, out),
        b"sdiff" => sets::sdiff(ks, args, out),
        b"sdiffstore" => sets::sdiffstore(ks, args, out),
        b"sscan" => sets::sscan(ks, args, out),
        // sorted sets
        b"zadd" => zsets::zadd(ks, args, out),
        b"zincrby" => zsets::zincrby(ks, args, out),
        b"zrem" => zsets::zrem(ks, args, out),
        b"zcard" => zsets::zcard(ks, args, out),
        b"zcount" => zsets::zcount(ks, args, out),
        b"zlexcount" => zsets::zlexcount(ks, args, out),
        b"zscore" => zsets::zscore(ks, args, out),
        b"zmscore" => zsets::zmscore(ks, args, out),
        b"zrank" => zsets::zrank(ks, args, out),
        b"zrevrank" => zsets::zrevrank(ks, args, out),
        b"zrange" => zsets::zrange(ks, args, out),
        b"zrangebyscore" => zsets::zrangebyscore(ks, args, out),
        b"zrevrangebyscore" => zsets::zrevrangebyscore(ks, args, out),
        b"zrangebylex" => zsets::zrangebylex(ks, args, out),
        b"zrevrangebylex" => zsets::zrevrangebylex(ks, args, out),
        b"zrevrange" => zsets::zrevrange(ks, args, out),
        b"zrangestore" => zsets::zrangestore(ks, args, out),
        b"zremrangebyrank" => zsets::zremrangebyrank(ks, args, out),
        b"zremrangebyscore" => zsets::zremrangebyscore(ks, args, out),
        b"zremrangebylex" => zsets::zremrangebylex(ks, args, out),
        b"zpopmin" => zsets::zpopmin(ks, args, out),
        b"zpopmax" => zsets::zpopmax(ks, args, out),
        b"zmpop" => zsets::zmpop(ks, args, out),
        b"zrandmember" => zsets::zrandmember(ks, args, out),
        b"zunion" => zsets::zunion(ks, args, out),
        b"zinter" => zsets::zinter(ks, args, out),
        b"zdiff" => zsets::zdiff(ks, args, out),
        b"zunionstore" => zsets::zunionstore(ks, args, out),
        b"zinterstore" => zsets::zinterstore(ks, args, out),
        b"zdiffstore" => zsets::zdiffstore(ks, args, out),
        b"zintercard" => zsets::zintercard(ks, args, out),
        b"zscan" => zsets::zscan(ks, args, out),
        b"touch" => keys::touch(ks, args, out),
        b"type" => keys::type_(ks, args, out),
        b"expire" => keys::expire(ks, args, out),
        b"pexpire" => keys::pexpire(ks, args, out),
        b"expireat" => keys::expireat(ks, args, out),
        b"pexpireat" => keys::pexpireat(ks, args, out),
        b"ttl" => keys::ttl(ks, args, out),
        b"pttl" => keys::pttl(ks, args, out),
        b"expiretime" => keys::expiretime(ks, args, out),
        b"pexpiretime" => keys::pexpiretime(ks, args, out),
        b"persist" => keys::persist(ks, args, out),
        b"rename" => keys::rename(ks, args, out),
        b"renamenx" => keys::renamenx(ks, args, out),
        b"copy" => keys::copy(ks, args, out),
        b"object" => keys::object(ks, args, out),
        b"randomkey" => keys::randomkey(ks, args, out),
        b"dbsize" => keys::dbsize(ks, args, out),
        b"keys" => keys::keys(ks, args, out),
        b"scan" => keys::scan(ks, args, out),
        b"flushall" | b"flushdb" => keys::flushall(ks, args, out),
        b"dump" => keys::dump(ks, args, out),
        b"sort" => sort::sort(ks, args, out),
        b"sort_ro" => sort::sort_ro(ks, args, out),
        b"restore" => keys::restore(ks, args, out),
        _ => Err(unknown(name)),
    }
}

fn unknown(name: &[u8]) -> CmdError {
    CmdError::UnknownCommand(String::from_utf8_lossy(name).into_owned())
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
    use super::*;

    #[test]
    fn unknown_command_is_refused() {
        let mut ks = Keyspace::new();
        assert_eq!(
            test_util::run(&mut ks, "nope x"),
            "-ERR unknown command 'nope'\r\n"
        );
    }
}
