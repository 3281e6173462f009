//! Sorted sets.

use proptest::prelude::*;

use super::{super::gen::*, other_types};

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
