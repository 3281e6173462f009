//! The commands of each family, with their options in valid and invalid
//! combinations. Every family also gets a few `GET`/`TYPE`-style reads and
//! writes of other types so keys change type under it.

use proptest::prelude::*;

use super::gen::*;

mod bits;
mod blocking;
mod collections;
mod dbs;
mod eviction;
mod geo;
mod keys;
mod scripts;
mod streams;
mod strings;
mod tx;
mod zsets;

pub use bits::bits;
pub use blocking::blocking;
pub use collections::{hashes, lists, sets};
pub use dbs::databases;
pub use eviction::eviction;
pub use geo::geo;
pub use keys::keys;
pub use scripts::scripts;
pub use streams::streams_family as streams;
pub use strings::strings;
pub use tx::transactions;
pub use zsets::zsets;

/// Writes of every type, so a family's keys collide with other types.
pub fn other_types() -> BoxedStrategy<Op> {
    ops(vec![
        cmd("SET", vec![key(), val()]),
        cmd("RPUSH", vec![key(), member()]),
        cmd("SADD", vec![key(), member()]),
        cmd("HSET", vec![key(), member(), val()]),
        cmd("ZADD", vec![key(), one(&[b"1", b"2"]), member()]),
        cmd("DEL", vec![key()]),
        cmd("TYPE", vec![key()]),
    ])
}

/// Every data command's name, for arity errors.
const ALL_NAMES: &[&str] = &[
    "GET",
    "SET",
    "SETNX",
    "SETEX",
    "PSETEX",
    "GETEX",
    "GETDEL",
    "GETSET",
    "APPEND",
    "STRLEN",
    "INCR",
    "DECR",
    "INCRBY",
    "DECRBY",
    "INCRBYFLOAT",
    "GETRANGE",
    "SUBSTR",
    "SETRANGE",
    "LCS",
    "MGET",
    "MSET",
    "MSETNX",
    "SETBIT",
    "GETBIT",
    "BITCOUNT",
    "BITPOS",
    "BITOP",
    "BITFIELD",
    "BITFIELD_RO",
    "PFADD",
    "PFCOUNT",
    "PFMERGE",
    "HSET",
    "HSETNX",
    "HMSET",
    "HGET",
    "HMGET",
    "HDEL",
    "HLEN",
    "HSTRLEN",
    "HEXISTS",
    "HKEYS",
    "HVALS",
    "HGETALL",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HRANDFIELD",
    "HSCAN",
    "LPUSH",
    "RPUSH",
    "LPUSHX",
    "RPUSHX",
    "LPOP",
    "RPOP",
    "LLEN",
    "LRANGE",
    "LINDEX",
    "LSET",
    "LINSERT",
    "LREM",
    "LTRIM",
    "LPOS",
    "LMOVE",
    "RPOPLPUSH",
    "LMPOP",
    "DEL",
    "UNLINK",
    "EXISTS",
    "SADD",
    "SREM",
    "SCARD",
    "SISMEMBER",
    "SMISMEMBER",
    "SMEMBERS",
    "SPOP",
    "SRANDMEMBER",
    "SMOVE",
    "SINTER",
    "SINTERCARD",
    "SINTERSTORE",
    "SUNION",
    "SUNIONSTORE",
    "SDIFF",
    "SDIFFSTORE",
    "SSCAN",
    "ZADD",
    "ZINCRBY",
    "ZREM",
    "ZCARD",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZSCORE",
    "ZMSCORE",
    "ZRANK",
    "ZREVRANK",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREVRANGEBYLEX",
    "ZREVRANGE",
    "ZRANGESTORE",
    "GEOADD",
    "GEOPOS",
    "GEODIST",
    "GEOHASH",
    "GEORADIUS",
    "GEORADIUSBYMEMBER",
    "GEOSEARCH",
    "GEOSEARCHSTORE",
    "ZREMRANGEBYRANK",
    "ZREMRANGEBYSCORE",
    "ZREMRANGEBYLEX",
    "ZPOPMIN",
    "ZPOPMAX",
    "ZMPOP",
    "ZRANDMEMBER",
    "ZUNION",
    "ZINTER",
    "ZDIFF",
    "ZUNIONSTORE",
    "ZINTERSTORE",
    "ZDIFFSTORE",
    "ZINTERCARD",
    "ZSCAN",
    "TOUCH",
    "TYPE",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "TTL",
    "PTTL",
    "EXPIRETIME",
    "PEXPIRETIME",
    "PERSIST",
    "RENAME",
    "RENAMENX",
    "COPY",
    "OBJECT",
    "RANDOMKEY",
    "DBSIZE",
    "KEYS",
    "SCAN",
    "SORT",
    "SORT_RO",
    "ECHO",
    "PING",
];

/// Connection-level and generic odds and ends: unknown commands, names in
/// any case, arity errors of every command, flushing mid-sequence.
pub fn misc() -> BoxedStrategy<Op> {
    ops(vec![
        wrong_arity(ALL_NAMES),
        cmd("PING", vec![opt(val())]),
        cmd("ECHO", vec![val()]),
        cmd("NOSUCHCOMMAND", vec![opt(val())]),
        cmd("sEt", vec![key(), val()]),
        cmd("get", vec![key()]),
        cmd("OBJECT", vec![one(&[b"HELP", b"help"])]),
        cmd("OBJECT", vec![one(&[b"FREQ", b"NOSUCH"]), key()]),
        cmd("FLUSHDB", vec![opt(one(&[b"ASYNC", b"SYNC", b"BOGUS"]))]),
        cmd("FLUSHALL", vec![opt(one(&[b"ASYNC", b"SYNC"]))]),
        cmd("DBSIZE", vec![]),
        cmd(
            "HSCAN",
            vec![
                key(),
                lit("0"),
                many(
                    alt(vec![
                        cat(vec![lit("COUNT"), one(&[b"1", b"0", b"x", b"100"])]),
                        cat(vec![lit("MATCH"), one(&[b"*", b"f*"])]),
                        lit("NOVALUES"),
                    ]),
                    0,
                    2,
                ),
            ],
        ),
        cmd(
            "ZSCAN",
            vec![
                key(),
                lit("0"),
                many(
                    alt(vec![
                        cat(vec![lit("COUNT"), one(&[b"1", b"0", b"x"])]),
                        cat(vec![lit("MATCH"), one(&[b"*", b"a*"])]),
                    ]),
                    0,
                    2,
                ),
            ],
        ),
        cmd(
            "SSCAN",
            vec![
                key(),
                one(&[b"0", b"x", b" 0"]), // other cursors are the implementation's
                many(
                    alt(vec![
                        cat(vec![lit("COUNT"), one(&[b"1", b"0", b"x"])]),
                        cat(vec![lit("MATCH"), one(&[b"*", b"a*"])]),
                    ]),
                    0,
                    2,
                ),
            ],
        ),
        other_types(),
    ])
}

/// Every family on the same keys.
pub fn mixed() -> BoxedStrategy<Op> {
    prop_oneof![
        misc(),
        strings(),
        keys(),
        hashes(),
        lists(),
        sets(),
        zsets(),
        bits()
    ]
    .boxed()
}
