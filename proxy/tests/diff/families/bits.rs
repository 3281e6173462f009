//! Bitmaps and HyperLogLogs.

use proptest::prelude::*;

use super::{super::gen::*, other_types};

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
