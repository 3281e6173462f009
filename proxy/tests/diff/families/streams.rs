//! Stream commands with explicit ids (so both servers make the same
//! ones): adds with trimming, ranges, reads over several keys, deletes,
//! and consumer groups (created, read, acknowledged, claimed), with
//! options in valid and invalid combinations. Nothing that answers with
//! a time (idle times, XINFO CONSUMERS, XPENDING's extended form) or a
//! layout detail (XINFO STREAM's radix-tree counts) is compared.

use proptest::prelude::*;

use super::{super::gen::*, other_types};

/// Ids: full, partial, the edges and bad ones.
fn id() -> S {
    one(&[
        b"1-1",
        b"1-2",
        b"2",
        b"2-0",
        b"3-5",
        b"5",
        b"7-1",
        b"10-0",
        b"0-1",
        b"0-0",
        b"-",
        b"+",
        b"(1-1",
        b"(3",
        b"x",
        b"1-x",
        b"18446744073709551615-18446744073709551615",
        b"18446744073709551616-0",
    ])
}

/// The id XADD is given: explicit, partial, `<ms>-*`, or bad.
fn add_id() -> S {
    one(&[
        b"1-1", b"1-2", b"2-0", b"3-5", b"5", b"7-*", b"7-1", b"10-0", b"0-1", b"0-0", b"x",
        b"12-*",
    ])
}

fn field() -> S {
    one(&[b"f", b"g", b"name", b"1", b""])
}

fn fields() -> S {
    many(cat(vec![field(), val()]), 1, 3)
}

fn trim() -> S {
    let strategy = alt(vec![
        cat(vec![lit("MAXLEN"), opt(one(&[b"=", b"~"])), count()]),
        cat(vec![lit("MINID"), opt(one(&[b"=", b"~"])), id()]),
    ]);
    cat(vec![strategy, opt(cat(vec![lit("LIMIT"), count()]))])
}

fn group() -> S {
    one(&[b"g1", b"g2"])
}

fn consumer() -> S {
    one(&[b"alice", b"bob"])
}

/// XREAD's and XREADGROUP's keys and ids.
fn streams(ids: S) -> S {
    alt(vec![
        cat(vec![lit("STREAMS"), key(), ids.clone()]),
        cat(vec![lit("STREAMS"), key(), key(), ids.clone(), ids]),
        cat(vec![lit("STREAMS"), key(), key()]),
    ])
}

/// Stream commands.
pub fn streams_family() -> BoxedStrategy<Op> {
    ops(vec![
        cmd("XADD", vec![key(), add_id(), fields()]),
        cmd("XADD", vec![key(), add_id(), fields()]),
        cmd(
            "XADD",
            vec![
                key(),
                opt(lit("NOMKSTREAM")),
                opt(trim()),
                add_id(),
                fields(),
            ],
        ),
        cmd("XADD", vec![key(), add_id(), field()]),
        cmd("XLEN", vec![key()]),
        cmd(
            "XRANGE",
            vec![key(), id(), id(), opt(cat(vec![lit("COUNT"), count()]))],
        ),
        cmd(
            "XREVRANGE",
            vec![key(), id(), id(), opt(cat(vec![lit("COUNT"), count()]))],
        ),
        cmd("XDEL", vec![key(), many(id(), 1, 3)]),
        cmd("XTRIM", vec![key(), trim()]),
        cmd("XTRIM", vec![key(), lit("MAXLEN"), lit("~"), count()]),
        cmd(
            "XREAD",
            vec![opt(cat(vec![lit("COUNT"), count()])), streams(id())],
        ),
        cmd(
            "XGROUP",
            vec![
                lit("CREATE"),
                key(),
                group(),
                one(&[b"0", b"$", b"1-1", b"x"]),
                opt(lit("MKSTREAM")),
                opt(cat(vec![
                    lit("ENTRIESREAD"),
                    one(&[b"0", b"2", b"-1", b"-2"]),
                ])),
            ],
        ),
        cmd(
            "XGROUP",
            vec![lit("SETID"), key(), group(), one(&[b"0", b"$", b"2-0"])],
        ),
        cmd("XGROUP", vec![lit("DESTROY"), key(), group()]),
        cmd(
            "XGROUP",
            vec![lit("CREATECONSUMER"), key(), group(), consumer()],
        ),
        cmd(
            "XGROUP",
            vec![lit("DELCONSUMER"), key(), group(), consumer()],
        ),
        cmd(
            "XREADGROUP",
            vec![
                lit("GROUP"),
                group(),
                consumer(),
                opt(cat(vec![lit("COUNT"), count()])),
                opt(lit("NOACK")),
                streams(one(&[b">", b">", b"0", b"1-1", b"$"])),
            ],
        ),
        cmd("XACK", vec![key(), group(), many(id(), 1, 3)]),
        cmd("XPENDING", vec![key(), group()]),
        cmd(
            "XCLAIM",
            vec![
                key(),
                group(),
                consumer(),
                lit("0"),
                many(id(), 1, 2),
                lit("JUSTID"),
                opt(lit("FORCE")),
            ],
        ),
        cmd(
            "XAUTOCLAIM",
            vec![
                key(),
                group(),
                consumer(),
                lit("0"),
                id(),
                opt(cat(vec![lit("COUNT"), one(&[b"1", b"2", b"0", b"x"])])),
                lit("JUSTID"),
            ],
        ),
        cmd("XINFO", vec![lit("GROUPS"), key()]),
        cmd(
            "XSETID",
            vec![
                key(),
                id(),
                opt(cat(vec![lit("ENTRIESADDED"), one(&[b"1", b"100", b"-1"])])),
            ],
        ),
        cmd("XRANGE", vec![key(), lit("-"), lit("+")]),
        other_types(),
    ])
}
