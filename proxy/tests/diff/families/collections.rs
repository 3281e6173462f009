//! Hashes, lists and sets.

use proptest::prelude::*;

use super::{super::gen::*, other_types};

/// Hashes.
pub fn hashes() -> BoxedStrategy<Op> {
    let fv = || cat(vec![member(), val()]);
    ops(vec![
        cmd("HSET", vec![key(), fv(), many(fv(), 0, 3)]),
        cmd("HMSET", vec![key(), fv(), many(fv(), 0, 2)]),
        cmd("HSET", vec![key(), member(), val(), member()]),
        cmd("HSETNX", vec![key(), member(), val()]),
        cmd("HGET", vec![key(), member()]),
        cmd("HMGET", vec![key(), member(), many(member(), 0, 3)]),
        cmd("HDEL", vec![key(), member(), many(member(), 0, 2)]),
        cmd("HLEN", vec![key()]),
        cmd("HSTRLEN", vec![key(), member()]),
        cmd("HEXISTS", vec![key(), member()]),
        cmd("HKEYS", vec![key()]),
        cmd("HVALS", vec![key()]),
        cmd("HGETALL", vec![key()]),
        cmd("HINCRBY", vec![key(), member(), int()]),
        cmd("HINCRBYFLOAT", vec![key(), member(), float()]),
        cmd(
            "HRANDFIELD",
            vec![
                key(),
                opt(cat(vec![count(), opt(one(&[b"WITHVALUES", b"BOGUS"]))])),
            ],
        ),
        cmd(
            "HSCAN",
            vec![
                key(),
                lit("0"),
                opt(cat(vec![lit("MATCH"), one(&[b"*", b"a*", b"?"])])),
            ],
        ),
        cmd("OBJECT", vec![lit("ENCODING"), key()]),
        cmd(
            "HSET",
            vec![
                key(),
                many(
                    cat(vec![
                        one(&[b"f1", b"f2", b"f3", b"f4", b"f5", b"f6"]),
                        val(),
                    ]),
                    1,
                    40,
                ),
            ],
        ),
        wrong_arity(&[
            "HSET",
            "HGET",
            "HMGET",
            "HINCRBY",
            "HGETALL",
            "HRANDFIELD",
            "HSETNX",
        ]),
        cmd(
            "HSET",
            vec![
                key(),
                distinct(505, 520, |i| {
                    vec![format!("f{i}").into_bytes(), b"v".to_vec()]
                }),
            ],
        ),
        other_types(),
    ])
}

/// Lists.
pub fn lists() -> BoxedStrategy<Op> {
    let end = || one(&[b"LEFT", b"RIGHT", b"left", b"UP"]);
    ops(vec![
        cmd("LPUSH", vec![key(), member(), many(member(), 0, 3)]),
        cmd("RPUSH", vec![key(), member(), many(member(), 0, 3)]),
        cmd("LPUSHX", vec![key(), member()]),
        cmd("RPUSHX", vec![key(), member(), many(member(), 0, 1)]),
        cmd("LPOP", vec![key(), opt(count())]),
        cmd("RPOP", vec![key(), opt(count())]),
        cmd("LLEN", vec![key()]),
        cmd("LRANGE", vec![key(), idx(), idx()]),
        cmd("LINDEX", vec![key(), idx()]),
        cmd("LSET", vec![key(), idx(), member()]),
        cmd(
            "LINSERT",
            vec![
                key(),
                one(&[b"BEFORE", b"AFTER", b"after", b"MIDDLE"]),
                member(),
                member(),
            ],
        ),
        cmd(
            "LREM",
            vec![
                key(),
                one(&[b"0", b"1", b"-1", b"2", b"-2", b"x"]),
                member(),
            ],
        ),
        cmd("LTRIM", vec![key(), idx(), idx()]),
        cmd(
            "LPOS",
            vec![
                key(),
                member(),
                many(
                    alt(vec![
                        cat(vec![
                            lit("RANK"),
                            one(&[b"1", b"-1", b"2", b"-2", b"0", b"-9223372036854775808"]),
                        ]),
                        cat(vec![lit("COUNT"), one(&[b"0", b"1", b"2", b"-1"])]),
                        cat(vec![lit("MAXLEN"), one(&[b"0", b"1", b"2", b"-1"])]),
                        lit("BOGUS"),
                    ]),
                    0,
                    3,
                ),
            ],
        ),
        cmd("LMOVE", vec![tkey(), tkey(), end(), end()]),
        cmd("RPOPLPUSH", vec![tkey(), tkey()]),
        cmd(
            "LMPOP",
            vec![numkeyed(1, 3), end(), opt(cat(vec![lit("COUNT"), count()]))],
        ),
        cmd("OBJECT", vec![lit("ENCODING"), key()]),
        cmd("RPUSH", vec![key(), many(member(), 1, 150)]),
        wrong_arity(&[
            "LPUSH", "LRANGE", "LINSERT", "LSET", "LMOVE", "LPOS", "LMPOP",
        ]),
        cmd(
            "RPUSH",
            vec![
                key(),
                distinct(120, 135, |i| vec![format!("e{}", i % 9).into_bytes()]),
            ],
        ),
        other_types(),
    ])
}

/// Sets.
pub fn sets() -> BoxedStrategy<Op> {
    let ints = || {
        one(&[
            b"1",
            b"2",
            b"3",
            b"-5",
            b"10",
            b"100",
            b"007",
            b"9223372036854775807",
        ])
    };
    ops(vec![
        cmd("SADD", vec![key(), member(), many(member(), 0, 3)]),
        cmd("SADD", vec![key(), ints(), many(ints(), 0, 3)]),
        cmd("SREM", vec![key(), member(), many(member(), 0, 2)]),
        cmd("SCARD", vec![key()]),
        cmd("SISMEMBER", vec![key(), member()]),
        cmd("SMISMEMBER", vec![key(), member(), many(member(), 0, 2)]),
        cmd("SMEMBERS", vec![key()]),
        cmd("SPOP", vec![key(), opt(count())]),
        cmd("SRANDMEMBER", vec![key(), opt(count())]),
        cmd("SMOVE", vec![tkey(), tkey(), member()]),
        cmd("SINTER", vec![tkey(), many(tkey(), 0, 2)]),
        cmd(
            "SINTERCARD",
            vec![
                numkeyed(1, 3),
                opt(cat(vec![lit("LIMIT"), one(&[b"0", b"1", b"2", b"-1"])])),
            ],
        ),
        cmd("SINTERSTORE", vec![tkey(), tkey(), many(tkey(), 0, 2)]),
        cmd("SUNION", vec![tkey(), many(tkey(), 0, 2)]),
        cmd("SUNIONSTORE", vec![tkey(), tkey(), many(tkey(), 0, 2)]),
        cmd("SDIFF", vec![tkey(), many(tkey(), 0, 2)]),
        cmd("SDIFFSTORE", vec![tkey(), tkey(), many(tkey(), 0, 2)]),
        cmd(
            "SSCAN",
            vec![
                key(),
                lit("0"),
                opt(cat(vec![lit("MATCH"), one(&[b"*", b"a*", b"1*"])])),
            ],
        ),
        cmd("OBJECT", vec![lit("ENCODING"), key()]),
        wrong_arity(&["SADD", "SREM", "SMOVE", "SINTERCARD", "SISMEMBER", "SPOP"]),
        cmd(
            "SADD",
            vec![
                key(),
                distinct(505, 520, |i| vec![i.to_string().into_bytes()]),
            ],
        ),
        cmd(
            "SADD",
            vec![
                key(),
                distinct(120, 135, |i| vec![format!("m{i}").into_bytes()]),
            ],
        ),
        other_types(),
    ])
}
