//! Blocking list and sorted-set commands: short timeouts (a wait of a few
//! milliseconds that ends in the timeout's null on both servers when the
//! keys are empty), bad timeouts, the same commands inside MULTI (where
//! they never wait), and zero timeouts inside scripts (BLMPOP and BZMPOP,
//! the ones Redis 7.0 lets a script run). Never a zero timeout outside
//! MULTI: on empty keys it would wait forever on both servers.

use proptest::prelude::*;

use super::super::gen::*;

fn timeout() -> S {
    one(&[
        b"0.01", b"0.005", b"0.001", b"-1", b"abc", b"1e-3", b"-0.5", b"nan",
    ])
}

fn keys() -> S {
    cat(vec![tkey(), many(tkey(), 0, 2)])
}

/// The blocking family.
pub fn blocking() -> BoxedStrategy<Op> {
    let end = || one(&[b"LEFT", b"RIGHT", b"left", b"UP"]);
    let minmax = || one(&[b"MIN", b"MAX", b"max", b"MID"]);
    let count = || {
        opt(cat(vec![
            lit("COUNT"),
            one(&[b"1", b"2", b"5", b"0", b"-1", b"x"]),
        ]))
    };
    ops(vec![
        cmd("RPUSH", vec![tkey(), member(), many(member(), 0, 3)]),
        cmd("LPUSH", vec![tkey(), member()]),
        cmd("ZADD", vec![tkey(), one(&[b"1", b"2", b"3"]), member()]),
        cmd("SET", vec![tkey(), val()]),
        cmd("DEL", vec![tkey()]),
        cmd("LRANGE", vec![tkey(), lit("0"), lit("-1")]),
        cmd(
            "ZRANGE",
            vec![tkey(), lit("0"), lit("-1"), lit("WITHSCORES")],
        ),
        cmd("BLPOP", vec![keys(), timeout()]),
        cmd("BRPOP", vec![keys(), timeout()]),
        cmd("BRPOPLPUSH", vec![tkey(), tkey(), timeout()]),
        cmd("BLMOVE", vec![tkey(), tkey(), end(), end(), timeout()]),
        cmd("BLMPOP", vec![timeout(), numkeyed(1, 3), end(), count()]),
        cmd("BZPOPMIN", vec![keys(), timeout()]),
        cmd("BZPOPMAX", vec![keys(), timeout()]),
        cmd("BZMPOP", vec![timeout(), numkeyed(1, 3), minmax(), count()]),
        cmd("MULTI", vec![]),
        cmd("EXEC", vec![]),
        cmd(
            "EVAL",
            vec![
                lit("return redis.call('BLMPOP', '0', '1', KEYS[1], 'LEFT')"),
                lit("1"),
                tkey(),
            ],
        ),
        cmd(
            "EVAL",
            vec![
                lit("return redis.call('BZMPOP', '0', '1', KEYS[1], 'MAX', 'COUNT', '2')"),
                lit("1"),
                tkey(),
            ],
        ),
    ])
}
