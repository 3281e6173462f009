//! Key commands: existence, types, TTLs, renames, copies, encodings, SORT.

use proptest::prelude::*;

use super::{
    super::gen::*,
    other_types,
    strings::{getex_opt, set_opt},
};

fn expire_flag() -> S {
    opt(one(&[b"NX", b"XX", b"GT", b"LT", b"gt", b"BOGUS"]))
}

/// SORT's options, except those Redis Cluster refuses and shardis too
/// (`GET`, and `BY` with a `*`, whose keys may be on any shard).
fn sort_opts() -> S {
    many(
        alt(vec![
            one(&[b"ASC", b"DESC", b"ALPHA", b"alpha", b"BOGUS"]),
            cat(vec![
                lit("LIMIT"),
                one(&[b"0", b"1", b"2", b"-1", b"x"]),
                one(&[b"1", b"2", b"-1", b"0", b"10"]),
            ]),
            cat(vec![lit("BY"), one(&[b"nosort", b"x"])]),
        ]),
        0,
        3,
    )
}

/// Key commands: existence, types, TTLs, renames, copies, encodings.
pub fn keys() -> BoxedStrategy<Op> {
    ops(vec![
        cmd("DEL", vec![key(), many(key(), 0, 3)]),
        cmd("UNLINK", vec![key(), many(key(), 0, 2)]),
        cmd("EXISTS", vec![key(), many(key(), 0, 3)]),
        cmd("TOUCH", vec![key(), many(key(), 0, 2)]),
        cmd("TYPE", vec![key()]),
        cmd(
            "EXPIRE",
            vec![key(), ttl_s(), expire_flag(), opt(expire_flag())],
        ),
        cmd("PEXPIRE", vec![key(), ttl_ms(), expire_flag()]),
        cmd("EXPIREAT", vec![key(), at_s(), expire_flag()]),
        cmd("PEXPIREAT", vec![key(), at_ms(), expire_flag()]),
        cmd("TTL", vec![key()]),
        cmd("PTTL", vec![key()]),
        cmd("EXPIRETIME", vec![key()]),
        cmd("PEXPIRETIME", vec![key()]),
        cmd("PERSIST", vec![key()]),
        cmd("RENAME", vec![tkey(), tkey()]),
        cmd("RENAMENX", vec![tkey(), tkey()]),
        cmd(
            "COPY",
            vec![
                tkey(),
                tkey(),
                many(
                    alt(vec![
                        one(&[b"REPLACE", b"replace", b"BOGUS"]),
                        cat(vec![lit("DB"), one(&[b"0", b"1", b"15", b"16", b"x"])]),
                    ]),
                    0,
                    2,
                ),
            ],
        ),
        cmd("OBJECT", vec![one(&[b"ENCODING", b"encoding"]), key()]),
        cmd("OBJECT", vec![one(&[b"REFCOUNT", b"NOSUCH"]), key()]),
        cmd(
            "KEYS",
            vec![one(&[b"*", b"{t}*", b"*a", b"?t?a", b"[x-z]*", b"nomatch"])],
        ),
        cmd("RANDOMKEY", vec![]),
        cmd(
            "SORT",
            vec![tkey(), sort_opts(), opt(cat(vec![lit("STORE"), tkey()]))],
        ),
        cmd("SORT_RO", vec![key(), sort_opts()]),
        cmd("RPUSH", vec![key(), many(val(), 1, 4)]),
        cmd("SADD", vec![key(), many(val(), 1, 4)]),
        cmd(
            "ZADD",
            vec![key(), many(cat(vec![one(&[b"1", b"2"]), val()]), 1, 3)],
        ),
        cmd(
            "SCAN",
            vec![
                lit("0"),
                opt(cat(vec![lit("MATCH"), one(&[b"*", b"{t}*", b"k*"])])),
                opt(cat(vec![
                    lit("COUNT"),
                    one(&[b"1", b"2", b"100", b"0", b"x"]),
                ])),
                opt(cat(vec![
                    lit("TYPE"),
                    one(&[b"string", b"list", b"hash", b"zset", b"set", b"nope"]),
                ])),
            ],
        ),
        cmd("DBSIZE", vec![]),
        cmd("SET", vec![key(), val(), opt(set_opt())]),
        cmd("SETEX", vec![key(), ttl_s(), val()]),
        cmd("GETEX", vec![key(), opt(getex_opt())]),
        wrong_arity(&[
            "DEL", "EXPIRE", "TTL", "RENAME", "COPY", "OBJECT", "TYPE", "PERSIST",
        ]),
        other_types(),
        cmd("INCR", vec![key()]),
        cmd("APPEND", vec![key(), val()]),
        cmd("LPUSH", vec![key(), member(), many(member(), 0, 200)]),
    ])
}
