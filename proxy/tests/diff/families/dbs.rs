//! Numbered databases: SELECT (valid, out of range, not a number), MOVE,
//! SWAPDB, COPY ... DB, FLUSHDB, DBSIZE and KEYS between writes of every
//! type, so keys move between databases and meet keys of other types
//! there. The final-state comparison reads the database the case ends in.

use proptest::prelude::*;

use super::{super::gen::*, other_types};

/// Database numbers: mostly valid ones, then the edges and bad values.
fn db() -> S {
    one(&[
        b"0", b"1", b"2", b"0", b"1", b"15", b"16", b"-1", b"x", b"1.5", b"",
    ])
}

/// A few valid databases, so cases come back to where keys are.
fn near_db() -> S {
    one(&[b"0", b"1", b"2"])
}

pub fn databases() -> BoxedStrategy<Op> {
    ops(vec![
        cmd("SELECT", vec![near_db()]),
        cmd("SELECT", vec![db()]),
        cmd("MOVE", vec![key(), near_db()]),
        cmd("MOVE", vec![key(), db()]),
        cmd("SWAPDB", vec![near_db(), near_db()]),
        cmd("SWAPDB", vec![db(), db()]),
        cmd(
            "COPY",
            vec![tkey(), tkey(), lit("DB"), db(), opt(lit("REPLACE"))],
        ),
        cmd("COPY", vec![key(), key(), lit("DB"), near_db()]),
        cmd("DBSIZE", vec![]),
        cmd("FLUSHDB", vec![]),
        cmd("KEYS", vec![lit("*")]),
        cmd("GET", vec![key()]),
        cmd("TTL", vec![key()]),
        cmd(
            "SET",
            vec![key(), val(), opt(cat(vec![lit("EX"), lit("100")]))],
        ),
        cmd("LPUSH", vec![key(), member()]),
        cmd("EXISTS", vec![key(), key()]),
        wrong_arity(&["SELECT", "MOVE", "SWAPDB"]),
        other_types(),
    ])
}
