//! SORT with `BY` and `GET` patterns over keys on every shard: the same
//! replies as redis-server (plain, inside MULTI, inside a script, with
//! STORE on another shard), and isolation: a SORT never sees half of a
//! transaction that changes the keys its patterns read.

mod common;

use std::{
    collections::BTreeSet,
    sync::atomic::{AtomicBool, Ordering},
};

use common::{Opts, Server, SideBySide};

const SHARDS: usize = 4;

fn cmd(s: &str) -> Vec<&str> {
    s.split(' ').collect()
}

#[test]
fn sort_patterns_over_every_shard_answer_as_redis_server() {
    let Some(mut sb) = SideBySide::start(SHARDS) else {
        return;
    };
    let weight_shards: BTreeSet<usize> = (1..=12)
        .map(|i| sb.shardis.shard_of(&format!("w_{i}")))
        .collect();
    assert_eq!(weight_shards.len(), SHARDS, "the weights cover every shard");
    let mut setup: Vec<String> = vec!["RPUSH l 3 1 12 7 5 9 2 11 4 10 8 6".into()];
    setup.push("SADD s 3 1 12 7 5 9 2 11 4 10 8 6".into());
    setup.push("ZADD z 3 a 1 b 2 c".into());
    for i in 1..=12 {
        setup.push(format!("SET w_{i} {}", (i * 7) % 13));
        if i % 3 != 0 {
            setup.push(format!("HSET o_{i} name n{i} rank {}", 20 - i));
            setup.push(format!("SET t_{i} text{}", 13 - i));
        }
    }
    setup.push("SET w_a 1".into());
    setup.push("SET w_b 2".into());
    setup.push("SET bad_5 notanumber".into());
    let setup: Vec<Vec<&str>> = setup.iter().map(|c| cmd(c)).collect();
    sb.same(&setup);
    let script = [
        "SORT l BY w_*",
        "SORT l BY w_* DESC",
        "SORT l BY w_* GET # GET o_*->name GET t_*",
        "SORT l BY o_*->rank GET o_*->rank",
        "SORT l BY t_* ALPHA GET t_*",
        "SORT l BY t_* ALPHA DESC LIMIT 2 5 GET #",
        "SORT l BY nokey_* GET w_*",
        "SORT l BY w_* LIMIT 3 4 GET o_*->name",
        "SORT s BY w_* GET #",
        "SORT s BY nosort GET w_*",
        "SORT z BY w_* GET #",
        "SORT_RO l BY w_* GET o_*->name",
        "SORT l BY bad_*",
        "SORT l GET o_*->",
        "SORT l BY w_* GET o_*->name STORE dst",
        "LRANGE dst 0 -1",
        "SORT s BY nosort GET t_* STORE dst",
        "LRANGE dst 0 -1",
        "SORT nolist BY w_* GET # STORE dst",
        "EXISTS dst",
        "SORT w_1 BY w_*",
        "SORT l BY w_* LIMIT 0",
        "MULTI",
        "SET w_3 100",
        "SORT l BY w_* GET w_*",
        "SORT l BY w_* GET o_*->name STORE dst",
        "SORT l BY w_* GET w_*",
        "EXEC",
        "LRANGE dst 0 -1",
        "WATCH l",
        "MULTI",
        "SORT l BY w_* GET t_*",
        "EXEC",
    ];
    let script: Vec<Vec<&str>> = script.iter().map(|c| cmd(c)).collect();
    sb.same(&script);
    // Inside a script: a set sorted BY a constant is ordered, as in Redis.
    let lua = "return redis.call('sort', KEYS[1], 'by', ARGV[1], 'get', '#', 'get', 'w_*')";
    sb.same(&[
        vec!["EVAL", lua, "1", "s", "nosort"],
        vec!["EVAL", lua, "1", "l", "o_*->rank"],
        vec!["EVAL", lua, "1", "l", "w_*"],
    ]);
}

/// Weights `{prefix}0..N` hold a permutation of 0..N; a writer swaps two
/// at a time in one MULTI, with a RENAME of `moved` (two keys on two
/// shards) between the two SETs: the transaction spans shards, and the
/// RENAME runs in its turn, so a shard holds the first SET for a while
/// before the second comes. Readers SORT `list` BY the weights and GET
/// them: every SORT must read 0..N in order.
fn weights_stay_a_permutation(s: &Server, list: &str, prefix: &str, moved: (&str, &str)) {
    const N: usize = 24;
    let mut c = s.client();
    let elems: Vec<String> = (0..N).map(|i| i.to_string()).collect();
    let _: () = redis::cmd("RPUSH")
        .arg(list)
        .arg(&elems)
        .query(&mut c)
        .expect("RPUSH");
    for i in 0..N {
        let _: () = redis::cmd("SET")
            .arg(format!("{prefix}{i}"))
            .arg(i)
            .query(&mut c)
            .expect("SET");
    }
    let pattern = format!("{prefix}*");
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut c = s.client();
            let mut seed = 7u64;
            for _ in 0..300 {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let a = (seed >> 33) as usize % N;
                let b = (a + 1 + (seed >> 17) as usize % (N - 1)) % N;
                let (ka, kb) = (format!("{prefix}{a}"), format!("{prefix}{b}"));
                let (va, vb): (String, String) = redis::cmd("MGET")
                    .arg(&ka)
                    .arg(&kb)
                    .query(&mut c)
                    .expect("MGET");
                let _: () = redis::pipe()
                    .atomic()
                    .set(&ka, &vb)
                    .set(moved.0, "x")
                    .rename(moved.0, moved.1)
                    .set(&kb, &va)
                    .ignore()
                    .ignore()
                    .ignore()
                    .ignore()
                    .query(&mut c)
                    .expect("EXEC");
            }
            stop.store(true, Ordering::Relaxed);
        });
        let readers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    let mut c = s.client();
                    let mut runs = 0;
                    while runs < 400 && (runs < 20 || !stop.load(Ordering::Relaxed)) {
                        let got: Vec<String> = redis::cmd("SORT")
                            .arg(list)
                            .arg("BY")
                            .arg(&pattern)
                            .arg("GET")
                            .arg(&pattern)
                            .query(&mut c)
                            .expect("SORT");
                        assert_eq!(
                            got, elems,
                            "one SORT read the weights of {pattern} at one moment"
                        );
                        runs += 1;
                    }
                    runs
                })
            })
            .collect();
        writer.join().expect("the writer");
        for r in readers {
            assert!(r.join().expect("a reader") >= 20);
        }
    });
}

#[test]
fn a_sort_never_sees_half_of_a_transaction_over_its_weights() {
    let s = Server::start(Opts::shards(SHARDS).workers(2));
    let src = common::key_on_shard("src", 1, SHARDS);
    let dst = common::key_on_shard("dst", 2, SHARDS);
    // Weights on every shard: the SORT runs as a transaction.
    weights_stay_a_permutation(&s, "l", "w_", (&src, &dst));
    // Weights on the list's shard: the SORT runs there, and must not read
    // the keys a transaction over several shards holds.
    weights_stay_a_permutation(&s, "{g}l", "{g}w_", (&src, &dst));
}
