//! `maxmemory`'s observable effects, next to redis-server: with a limit far
//! below what either server uses (10000 bytes), every `denyoom` write is
//! refused with `-OOM`, and before each command that runs the policy
//! evicts every key it may (every key under `allkeys-*`, those with a TTL
//! under `volatile-*`, none under `noeviction`). The limit and the policy
//! change mid-case; the next case starts with both back to their defaults
//! (`run_case`).

use proptest::prelude::*;

use super::{super::gen::*, other_types};

fn policy() -> S {
    one(&[
        b"noeviction",
        b"allkeys-lru",
        b"allkeys-lfu",
        b"allkeys-random",
        b"volatile-lru",
        b"volatile-lfu",
        b"volatile-random",
        b"volatile-ttl",
    ])
}

pub fn eviction() -> BoxedStrategy<Op> {
    ops(vec![
        cmd(
            "CONFIG",
            vec![lit("SET"), lit("maxmemory-policy"), policy()],
        ),
        cmd(
            "CONFIG",
            vec![
                lit("SET"),
                lit("maxmemory"),
                one(&[b"10000", b"10000", b"0"]),
            ],
        ),
        cmd(
            "SET",
            vec![key(), val(), opt(cat(vec![lit("EX"), lit("100")]))],
        ),
        cmd("EXPIRE", vec![key(), lit("100")]),
        cmd("GET", vec![key()]),
        cmd("EXISTS", vec![key(), key()]),
        cmd("DEL", vec![key()]),
        cmd("INCR", vec![key()]),
        cmd("APPEND", vec![key(), val()]),
        cmd("DBSIZE", vec![]),
        other_types(),
    ])
}
