//! Strings and counters.

use proptest::prelude::*;

use super::{super::gen::*, other_types};

pub(super) fn set_opt() -> S {
    alt(vec![
        one(&[b"NX", b"XX", b"GET", b"KEEPTTL", b"nx", b"BOGUS"]),
        cat(vec![one(&[b"EX", b"ex"]), ttl_s()]),
        cat(vec![lit("PX"), ttl_ms()]),
        cat(vec![lit("EXAT"), at_s()]),
        cat(vec![lit("PXAT"), at_ms()]),
        lit("EX"),
    ])
}

pub(super) fn getex_opt() -> S {
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
