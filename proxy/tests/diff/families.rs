//! The commands of each family, with their options in valid and invalid
//! combinations. Every family also gets a few `GET`/`TYPE`-style reads and
//! writes of other types so keys change type under it.

use proptest::prelude::*;

use super::gen::*;

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

fn set_opt() -> S {
    alt(vec![
        one(&[b"NX", b"XX", b"GET", b"KEEPTTL", b"nx", b"BOGUS"]),
        cat(vec![one(&[b"EX", b"ex"]), ttl_s()]),
        cat(vec![lit("PX"), ttl_ms()]),
        cat(vec![lit("EXAT"), at_s()]),
        cat(vec![lit("PXAT"), at_ms()]),
        lit("EX"),
    ])
}

fn getex_opt() -> S {
    alt(vec![
        cat(vec![lit("EX"), ttl_s()]),
        cat(vec![lit("PX"), ttl_ms()]),
        cat(vec![lit("EXAT"), at_s()]),
        cat(vec![lit("PXAT"), at_ms()]),
        one(&[b"PERSIST", b"persist", b"KEEPTTL", b"EX"]),
    ])
}

/// Strings and counters.
pub fn strings() -> BoxedStrategy<Op> {
    ops(vec![
        cmd("SET", vec![key(), val(), many(set_opt(), 0, 3)]),
        cmd("GET", vec![key()]),
        cmd("SETNX", vec![key(), val()]),
        cmd("SETEX", vec![key(), ttl_s(), val()]),
        cmd("PSETEX", vec![key(), ttl_ms(), val()]),
        cmd("GETEX", vec![key(), many(getex_opt(), 0, 2)]),
        cmd("GETDEL", vec![key()]),
        cmd("GETSET", vec![key(), val()]),
        cmd("APPEND", vec![key(), val()]),
        cmd("STRLEN", vec![key()]),
        cmd("INCR", vec![key()]),
        cmd("DECR", vec![key()]),
        cmd("INCRBY", vec![key(), int()]),
        cmd("DECRBY", vec![key(), int()]),
        cmd("INCRBYFLOAT", vec![key(), float()]),
        cmd("GETRANGE", vec![key(), idx(), idx()]),
        cmd("SUBSTR", vec![key(), idx(), idx()]),
        cmd(
            "SETRANGE",
            vec![key(), one(&[b"0", b"1", b"3", b"10", b"-1", b"x"]), val()],
        ),
        cmd(
            "LCS",
            vec![
                tkey(),
                tkey(),
                many(
                    alt(vec![
                        one(&[b"LEN", b"IDX", b"WITHMATCHLEN", b"BOGUS"]),
                        cat(vec![lit("MINMATCHLEN"), int()]),
                    ]),
                    0,
                    3,
                ),
            ],
        ),
        cmd("MGET", vec![key(), many(key(), 0, 4)]),
        cmd(
            "MSET",
            vec![key(), val(), many(cat(vec![key(), val()]), 0, 3)],
        ),
        cmd(
            "MSETNX",
            vec![tkey(), val(), many(cat(vec![tkey(), val()]), 0, 2)],
        ),
        cmd("MSET", vec![key(), val(), key()]),
        wrong_arity(&[
            "GET", "SET", "APPEND", "INCRBY", "GETRANGE", "SETRANGE", "MSET", "LCS",
        ]),
        other_types(),
    ])
}

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
                        cat(vec![lit("DB"), one(&[b"0", b"x"])]),
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

fn score() -> S {
    one(&[
        b"0", b"-0", b"1", b"2", b"-1", b"1.5", b"-2.5", b"inf", b"-inf", b"+inf", b"nan", b"abc",
        b"1e-3", b"10", b"",
    ])
}

fn score_bound() -> S {
    one(&[
        b"-inf", b"+inf", b"inf", b"0", b"1", b"(1", b"2", b"(2", b"-1", b"1.5", b"abc", b"(abc",
        b"((1", b"(inf",
    ])
}

fn lex_bound() -> S {
    one(&[
        b"-", b"+", b"[a", b"(a", b"[b", b"(c", b"[", b"(", b"a", b"[\x00", b"[1",
    ])
}

fn limit() -> S {
    cat(vec![
        lit("LIMIT"),
        one(&[b"0", b"1", b"-1", b"x"]),
        one(&[b"1", b"2", b"-1", b"0", b"x"]),
    ])
}

fn zset_src() -> S {
    cat(vec![many(
        alt(vec![
            cat(vec![
                lit("WEIGHTS"),
                many(one(&[b"1", b"2", b"-1", b"0.5", b"x", b"inf"]), 1, 3),
            ]),
            cat(vec![
                lit("AGGREGATE"),
                one(&[b"SUM", b"MIN", b"MAX", b"max", b"AVG"]),
            ]),
            lit("WITHSCORES"),
            lit("BOGUS"),
        ]),
        0,
        2,
    )])
}

/// Sorted sets.
pub fn zsets() -> BoxedStrategy<Op> {
    let sm = || cat(vec![score(), member()]);
    ops(vec![
        cmd(
            "ZADD",
            vec![
                key(),
                many(
                    one(&[b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR", b"ch"]),
                    0,
                    2,
                ),
                sm(),
                many(sm(), 0, 2),
            ],
        ),
        cmd(
            "ZADD",
            vec![
                key(),
                one(&[b"1", b"2", b"3", b"-1"]),
                member(),
                many(cat(vec![one(&[b"1", b"2", b"5"]), member()]), 0, 3),
            ],
        ),
        cmd("ZINCRBY", vec![key(), score(), member()]),
        cmd("ZREM", vec![key(), member(), many(member(), 0, 2)]),
        cmd("ZCARD", vec![key()]),
        cmd("ZCOUNT", vec![key(), score_bound(), score_bound()]),
        cmd("ZLEXCOUNT", vec![key(), lex_bound(), lex_bound()]),
        cmd("ZSCORE", vec![key(), member()]),
        cmd("ZMSCORE", vec![key(), member(), many(member(), 0, 2)]),
        cmd("ZRANK", vec![key(), member()]),
        cmd("ZREVRANK", vec![key(), member()]),
        cmd(
            "ZRANGE",
            vec![
                key(),
                idx(),
                idx(),
                opt(one(&[b"WITHSCORES", b"REV", b"withscores"])),
                opt(lit("REV")),
            ],
        ),
        cmd(
            "ZRANGE",
            vec![
                key(),
                score_bound(),
                score_bound(),
                lit("BYSCORE"),
                opt(lit("REV")),
                opt(limit()),
                opt(lit("WITHSCORES")),
            ],
        ),
        cmd(
            "ZRANGE",
            vec![
                key(),
                lex_bound(),
                lex_bound(),
                lit("BYLEX"),
                opt(lit("REV")),
                opt(limit()),
                opt(lit("WITHSCORES")),
            ],
        ),
        cmd("ZRANGE", vec![key(), idx(), idx(), opt(limit())]),
        cmd(
            "ZRANGEBYSCORE",
            vec![
                key(),
                score_bound(),
                score_bound(),
                opt(lit("WITHSCORES")),
                opt(limit()),
            ],
        ),
        cmd(
            "ZREVRANGEBYSCORE",
            vec![
                key(),
                score_bound(),
                score_bound(),
                opt(lit("WITHSCORES")),
                opt(limit()),
            ],
        ),
        cmd(
            "ZRANGEBYLEX",
            vec![key(), lex_bound(), lex_bound(), opt(limit())],
        ),
        cmd(
            "ZREVRANGEBYLEX",
            vec![key(), lex_bound(), lex_bound(), opt(limit())],
        ),
        cmd(
            "ZREVRANGE",
            vec![key(), idx(), idx(), opt(lit("WITHSCORES"))],
        ),
        cmd(
            "ZRANGESTORE",
            vec![
                tkey(),
                tkey(),
                idx(),
                idx(),
                opt(one(&[b"REV", b"WITHSCORES"])),
            ],
        ),
        cmd(
            "ZRANGESTORE",
            vec![
                tkey(),
                tkey(),
                score_bound(),
                score_bound(),
                lit("BYSCORE"),
                opt(limit()),
            ],
        ),
        cmd("ZREMRANGEBYRANK", vec![key(), idx(), idx()]),
        cmd(
            "ZREMRANGEBYSCORE",
            vec![key(), score_bound(), score_bound()],
        ),
        cmd("ZREMRANGEBYLEX", vec![key(), lex_bound(), lex_bound()]),
        cmd("ZPOPMIN", vec![key(), opt(count())]),
        cmd("ZPOPMAX", vec![key(), opt(count())]),
        cmd(
            "ZMPOP",
            vec![
                numkeyed(1, 3),
                one(&[b"MIN", b"MAX", b"min", b"MID"]),
                opt(cat(vec![lit("COUNT"), count()])),
            ],
        ),
        cmd(
            "ZRANDMEMBER",
            vec![
                key(),
                opt(cat(vec![count(), opt(one(&[b"WITHSCORES", b"BOGUS"]))])),
            ],
        ),
        cmd("ZUNION", vec![numkeyed(1, 3), zset_src()]),
        cmd("ZINTER", vec![numkeyed(1, 3), zset_src()]),
        cmd("ZDIFF", vec![numkeyed(1, 3), opt(lit("WITHSCORES"))]),
        cmd("ZUNIONSTORE", vec![tkey(), numkeyed(1, 3), zset_src()]),
        cmd("ZINTERSTORE", vec![tkey(), numkeyed(1, 3), zset_src()]),
        cmd("ZDIFFSTORE", vec![tkey(), numkeyed(1, 3)]),
        cmd(
            "ZINTERCARD",
            vec![
                numkeyed(1, 3),
                opt(cat(vec![lit("LIMIT"), one(&[b"0", b"1", b"-1"])])),
            ],
        ),
        cmd("ZSCAN", vec![key(), lit("0")]),
        cmd("OBJECT", vec![lit("ENCODING"), key()]),
        cmd("SADD", vec![tkey(), member(), many(member(), 0, 2)]),
        wrong_arity(&[
            "ZADD",
            "ZRANGE",
            "ZINCRBY",
            "ZUNIONSTORE",
            "ZMPOP",
            "ZRANGEBYSCORE",
            "ZCOUNT",
        ]),
        cmd(
            "ZADD",
            vec![
                key(),
                distinct(120, 135, |i| {
                    vec![
                        (i % 7).to_string().into_bytes(),
                        format!("m{i}").into_bytes(),
                    ]
                }),
            ],
        ),
        other_types(),
    ])
}

fn bit_range() -> S {
    opt(cat(vec![
        idx(),
        idx(),
        opt(one(&[b"BYTE", b"BIT", b"bit", b"WORD"])),
    ]))
}

fn bf_type() -> S {
    one(&[
        b"u1", b"i1", b"u8", b"i8", b"u16", b"i64", b"u63", b"u64", b"i65", b"x8", b"u0",
    ])
}

fn bf_off() -> S {
    one(&[b"0", b"1", b"7", b"8", b"#1", b"#0", b"-1", b"100", b"x"])
}

/// Bitmaps and HyperLogLogs.
pub fn bits() -> BoxedStrategy<Op> {
    let bit_off = || {
        one(&[
            b"0",
            b"1",
            b"7",
            b"8",
            b"15",
            b"100",
            b"-1",
            b"4294967296",
            b"x",
        ])
    };
    let bf_op = || {
        alt(vec![
            cat(vec![lit("GET"), bf_type(), bf_off()]),
            cat(vec![lit("SET"), bf_type(), bf_off(), int()]),
            cat(vec![lit("INCRBY"), bf_type(), bf_off(), int()]),
            cat(vec![
                lit("OVERFLOW"),
                one(&[b"WRAP", b"SAT", b"FAIL", b"fail", b"BOGUS"]),
            ]),
            lit("BOGUS"),
        ])
    };
    ops(vec![
        cmd(
            "SETBIT",
            vec![key(), bit_off(), one(&[b"0", b"1", b"2", b"x"])],
        ),
        cmd("GETBIT", vec![key(), bit_off()]),
        cmd("BITCOUNT", vec![key(), bit_range()]),
        cmd("BITPOS", vec![key(), one(&[b"0", b"1", b"2"]), bit_range()]),
        cmd(
            "BITOP",
            vec![
                one(&[b"AND", b"OR", b"XOR", b"NOT", b"and", b"NAND"]),
                tkey(),
                tkey(),
                many(tkey(), 0, 2),
            ],
        ),
        cmd("BITFIELD", vec![key(), many(bf_op(), 0, 3)]),
        cmd(
            "BITFIELD_RO",
            vec![
                key(),
                many(
                    alt(vec![
                        cat(vec![lit("GET"), bf_type(), bf_off()]),
                        cat(vec![lit("SET"), bf_type(), bf_off(), int()]),
                    ]),
                    0,
                    2,
                ),
            ],
        ),
        cmd("SET", vec![key(), val()]),
        cmd("APPEND", vec![key(), val()]),
        cmd("GET", vec![key()]),
        cmd("PFADD", vec![key(), many(member(), 0, 3)]),
        cmd(
            "PFADD",
            vec![
                key(),
                many(
                    one(&[b"x1", b"x2", b"x3", b"x4", b"x5", b"x6", b"x7", b"x8"]),
                    1,
                    8,
                ),
            ],
        ),
        cmd("PFCOUNT", vec![tkey(), many(tkey(), 0, 2)]),
        cmd("PFCOUNT", vec![key()]),
        cmd("PFMERGE", vec![tkey(), many(tkey(), 0, 2)]),
        wrong_arity(&[
            "SETBIT", "GETBIT", "BITOP", "BITPOS", "PFMERGE", "PFADD", "BITCOUNT",
        ]),
        // Past hll-sparse-max-bytes (3000): the dense representation.
        cmd(
            "PFADD",
            vec![
                key(),
                distinct(1000, 3000, |i| vec![format!("e{i}").into_bytes()]),
            ],
        ),
        other_types(),
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
