//! SORT tests; every expected reply was taken from redis-server 7.0.15.

use super::strtod;
use crate::{commands::test_util::run_args, keyspace::Keyspace};

fn run(ks: &mut Keyspace, args: &[&str]) -> String {
    let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
    run_args(ks, &argv)
}

fn bulks(items: &[&str]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        s.push_str(&format!("${}\r\n{i}\r\n", i.len()));
    }
    s
}

#[test]
fn numbers_sort_as_strtod_reads_them() {
    let mut ks = Keyspace::new();
    run(
        &mut ks,
        &["RPUSH", "n", "10", "2", "", "1e2", " 3", "0x1p2", "-inf"],
    );
    assert_eq!(
        run(&mut ks, &["SORT", "n"]),
        bulks(&["-inf", "", "2", " 3", "0x1p2", "10", "1e2"])
    );
    assert_eq!(
        run(&mut ks, &["SORT", "n", "DESC", "LIMIT", "1", "3"]),
        bulks(&["10", "0x1p2", " 3"])
    );
    run(&mut ks, &["RPUSH", "bad", "1", "1e400"]);
    let conversion = "-ERR One or more scores can't be converted into double\r\n";
    assert_eq!(run(&mut ks, &["SORT", "bad"]), conversion);
    run(&mut ks, &["RPUSH", "bad2", "1 "]);
    assert_eq!(run(&mut ks, &["SORT", "bad2"]), conversion);
    assert_eq!(strtod(b"nan"), None);
    assert_eq!(strtod(b"\t-1.5"), Some(-1.5));
    assert_eq!(strtod(b"0x"), None);
}

#[test]
fn alpha_limit_store_and_no_sort_follow_redis() {
    let mut ks = Keyspace::new();
    run(&mut ks, &["RPUSH", "a", "b", "a", "C", ""]);
    assert_eq!(
        run(&mut ks, &["SORT", "a", "ALPHA"]),
        bulks(&["", "C", "a", "b"])
    );
    assert_eq!(
        run(&mut ks, &["SORT", "a", "ALPHA", "DESC", "STORE", "x"]),
        ":4\r\n"
    );
    assert_eq!(
        run(&mut ks, &["LRANGE", "x", "0", "-1"]),
        bulks(&["b", "a", "C", ""])
    );
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "a", "BY", "nosort", "DESC", "LIMIT", "1", "2"]
        ),
        bulks(&["C", "a"])
    );
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "a", "LIMIT", "2", "9223372036854775807", "ALPHA"]
        ),
        bulks(&["a", "b"])
    );
    run(&mut ks, &["SADD", "s", "3", "1", "2"]);
    assert_eq!(
        run(&mut ks, &["SORT", "s", "BY", "nosort", "STORE", "d"]),
        ":3\r\n"
    );
    assert_eq!(
        run(&mut ks, &["LRANGE", "d", "0", "-1"]),
        bulks(&["1", "2", "3"])
    );
    run(&mut ks, &["ZADD", "z", "3", "c", "1", "a", "2", "b"]);
    assert_eq!(
        run(&mut ks, &["OBJECT", "ENCODING", "z"]),
        "$8\r\nlistpack\r\n"
    );
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "0", "2"]
        ),
        bulks(&["c", "b"])
    );
    assert_eq!(
        run(&mut ks, &["OBJECT", "ENCODING", "z"]),
        "$8\r\nskiplist\r\n"
    );
    assert_eq!(
        run(&mut ks, &["SORT", "z", "ALPHA", "LIMIT", "1", "-1"]),
        bulks(&["b", "c"])
    );
    assert_eq!(run(&mut ks, &["SORT", "nokey", "STORE", "x"]), ":0\r\n");
    assert_eq!(run(&mut ks, &["EXISTS", "x"]), ":0\r\n");
}

#[test]
fn errors_come_in_redis_order() {
    let mut ks = Keyspace::new();
    run(&mut ks, &["SET", "k", "v"]);
    assert_eq!(
        run(&mut ks, &["SORT", "k", "LIMIT", "0", "1", "bogus"]),
        "-ERR syntax error\r\n"
    );
    assert!(run(&mut ks, &["SORT", "k"]).starts_with("-WRONGTYPE"));
    assert_eq!(
        run(&mut ks, &["SORT", "nokey", "LIMIT", "0"]),
        "-ERR syntax error\r\n"
    );
    assert_eq!(
        run(&mut ks, &["SORT", "nokey", "LIMIT", "0", "x"]),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        run(&mut ks, &["SORT_RO", "nokey", "STORE", "d"]),
        "-ERR syntax error\r\n"
    );
    // Patterns name keys on any shard: refused as in Redis Cluster.
    assert_eq!(
        run(&mut ks, &["SORT", "nokey", "BY", "w_*"]),
        "-ERR BY option of SORT denied in Cluster mode.\r\n"
    );
    assert_eq!(
        run(&mut ks, &["SORT", "nokey", "GET", "#"]),
        "-ERR GET option of SORT denied in Cluster mode.\r\n"
    );
}
