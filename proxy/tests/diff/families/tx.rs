//! MULTI/EXEC/DISCARD/WATCH/UNWATCH between commands of every type, on
//! keys of every shard: transactions on one shard and over several,
//! commands refused while queueing (EXECABORT), errors at run time in
//! place, WATCH made dirty by the connection's own writes, and commands
//! whose keys must be together inside and outside transactions. Only
//! commands with deterministic replies (an EXEC's replies are compared
//! as they are).

use proptest::prelude::*;

use super::super::gen::*;

/// The transaction family.
pub fn transactions() -> BoxedStrategy<Op> {
    let control = ops(vec![
        cmd("MULTI", vec![]),
        cmd("MULTI", vec![]),
        cmd("EXEC", vec![]),
        cmd("EXEC", vec![]),
        cmd("DISCARD", vec![]),
        cmd("WATCH", vec![key(), many(key(), 0, 2)]),
        cmd("UNWATCH", vec![]),
        // Refused while queueing: wrong arity, unknown.
        cmd("GET", vec![]),
        cmd("NOSUCHCOMMAND", vec![key()]),
    ]);
    let data = ops(vec![
        cmd("SET", vec![key(), val()]),
        cmd("GET", vec![key()]),
        cmd("INCR", vec![key()]),
        cmd("DECRBY", vec![key(), int()]),
        cmd("DEL", vec![key(), many(key(), 0, 2)]),
        cmd("EXISTS", vec![key(), many(key(), 0, 2)]),
        cmd("TYPE", vec![key()]),
        cmd("RPUSH", vec![key(), member()]),
        cmd("LRANGE", vec![key(), lit("0"), lit("-1")]),
        cmd("SADD", vec![key(), member()]),
        cmd("SCARD", vec![key()]),
        cmd("SISMEMBER", vec![key(), member()]),
        cmd("ZADD", vec![key(), one(&[b"1", b"2"]), member()]),
        cmd(
            "ZRANGE",
            vec![key(), lit("0"), lit("-1"), lit("WITHSCORES")],
        ),
        cmd("HSET", vec![key(), member(), val()]),
        cmd("HGET", vec![key(), member()]),
        cmd("MSET", vec![key(), val(), key(), val()]),
        cmd("MGET", vec![key(), many(key(), 0, 2)]),
        cmd("MSETNX", vec![tkey(), val(), tkey(), val()]),
        cmd("RENAME", vec![tkey(), tkey()]),
        cmd("RENAMENX", vec![tkey(), tkey()]),
        cmd("COPY", vec![tkey(), tkey(), opt(lit("REPLACE"))]),
        cmd("SMOVE", vec![tkey(), tkey(), member()]),
        // Databases inside and between transactions.
        cmd("SELECT", vec![one(&[b"0", b"1", b"1", b"16"])]),
        cmd("MOVE", vec![key(), one(&[b"0", b"1"])]),
        cmd("SWAPDB", vec![lit("0"), lit("1")]),
        // Scripts in their turn (declared keys: a WATCHed transaction
        // whose script reaches an undeclared key is refused, documented).
        cmd(
            "EVAL",
            vec![
                lit("return redis.call('incr', KEYS[1])"),
                lit("1"),
                key(),
            ],
        ),
        cmd(
            "EVAL",
            vec![
                lit("redis.call('rpush', KEYS[2], redis.call('get', KEYS[1]) or 'none') return redis.call('lrange', KEYS[2], 0, -1)"),
                lit("2"),
                key(),
                key(),
            ],
        ),
        cmd(
            "EVAL",
            vec![lit("return redis.pcall('set', KEYS[1])"), lit("1"), key()],
        ),
        cmd(
            "LMOVE",
            vec![
                tkey(),
                tkey(),
                one(&[b"LEFT", b"RIGHT"]),
                one(&[b"LEFT", b"RIGHT"]),
            ],
        ),
        cmd("SUNIONSTORE", vec![tkey(), tkey(), many(tkey(), 0, 2)]),
        cmd("SINTERCARD", vec![lit("2"), tkey(), tkey()]),
        cmd("ZUNIONSTORE", vec![tkey(), lit("2"), tkey(), tkey()]),
    ]);
    prop_oneof![1 => control, 3 => data].boxed()
}
