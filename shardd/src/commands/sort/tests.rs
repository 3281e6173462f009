//! SORT tests; every expected reply was taken from redis-server 7.0.15.

use super::{pattern_keys, strtod};
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
}

/// A bulk per item, `None` a null.
fn items(items: &[Option<&str>]) -> String {
    let mut s = format!("*{}\r\n", items.len());
    for i in items {
        match i {
            Some(i) => s.push_str(&format!("${}\r\n{i}\r\n", i.len())),
            None => s.push_str("$-1\r\n"),
        }
    }
    s
}

fn patterns_fixture() -> Keyspace {
    let mut ks = Keyspace::new();
    run(&mut ks, &["RPUSH", "l", "1", "2", "3", "4"]);
    run(
        &mut ks,
        &[
            "MSET", "w_1", "30", "w_2", "10", "w_3", "20", "w_4", "-5", "o_1", "a", "o_3", "c",
            "o_2->", "arrow", "bad_3", "x",
        ],
    );
    run(&mut ks, &["HSET", "h_2", "f", "7"]);
    run(&mut ks, &["HSET", "h_4", "f", "5"]);
    ks
}

#[test]
fn by_and_get_patterns_read_keys_and_hash_fields() {
    let mut ks = patterns_fixture();
    assert_eq!(
        run(&mut ks, &["SORT", "l", "BY", "w_*"]),
        bulks(&["4", "2", "3", "1"])
    );
    assert_eq!(
        run(&mut ks, &["SORT", "l", "BY", "h_*->f"]),
        bulks(&["1", "3", "4", "2"])
    );
    let (a, c) = (Some("a"), Some("c"));
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "l", "BY", "w_*", "GET", "#", "GET", "o_*", "GET", "h_*->f"]
        ),
        items(&[
            Some("4"),
            None,
            Some("5"),
            Some("2"),
            None,
            Some("7"),
            Some("3"),
            c,
            None,
            Some("1"),
            a,
            None
        ])
    );
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "l", "BY", "w_*", "DESC", "LIMIT", "1", "2", "GET", "o_*"]
        ),
        items(&[c, None])
    );
    // Nothing after the arrow: a plain key whose name ends in `->`.
    assert_eq!(
        run(&mut ks, &["SORT", "l", "GET", "o_*->"]),
        items(&[None, Some("arrow"), None, None])
    );
    // `#x` and a pattern without `*` name nothing.
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "l", "BY", "h_*->f", "GET", "#", "GET", "nostar", "GET", "#x"]
        ),
        items(&[
            Some("1"),
            None,
            None,
            Some("3"),
            None,
            None,
            Some("4"),
            None,
            None,
            Some("2"),
            None,
            None
        ])
    );
    // A BY constant stops sorting for good, even before a pattern.
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "l", "BY", "nosort", "BY", "w_*", "GET", "o_*"]
        ),
        items(&[a, None, c, None])
    );
}

#[test]
fn missing_by_values_score_zero_and_alpha_puts_them_first() {
    let mut ks = patterns_fixture();
    assert_eq!(
        run(&mut ks, &["SORT", "l", "BY", "nokey_*", "DESC"]),
        bulks(&["4", "3", "2", "1"])
    );
    assert_eq!(
        run(&mut ks, &["SORT", "l", "BY", "o_*", "ALPHA", "GET", "o_*"]),
        items(&[None, None, Some("a"), Some("c")])
    );
    assert_eq!(
        run(&mut ks, &["SORT", "l", "BY", "bad_*"]),
        "-ERR One or more scores can't be converted into double\r\n"
    );
}

#[test]
fn a_stored_get_keeps_missing_values_as_empty_strings() {
    let mut ks = patterns_fixture();
    assert_eq!(
        run(
            &mut ks,
            &["SORT", "l", "BY", "w_*", "GET", "o_*", "STORE", "d"]
        ),
        ":4\r\n"
    );
    assert_eq!(
        run(&mut ks, &["LRANGE", "d", "0", "-1"]),
        bulks(&["", "", "c", "a"])
    );
}

#[test]
fn pattern_keys_lists_what_the_patterns_read() {
    let mut ks = patterns_fixture();
    let keys = |ks: &mut Keyspace, args: &[&str]| -> Vec<String> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        pattern_keys(ks, &argv)
            .into_iter()
            .map(|k| String::from_utf8_lossy(&k).into_owned())
            .collect()
    };
    assert_eq!(
        keys(
            &mut ks,
            &["SORT", "l", "BY", "w_*", "GET", "#", "GET", "h_*->f"]
        ),
        ["w_1", "h_1", "w_2", "h_2", "w_3", "h_3", "w_4", "h_4"]
    );
    // A constant BY reads nothing; nor do `#` and patterns without `*`.
    assert!(keys(
        &mut ks,
        &["SORT", "l", "BY", "nosort", "GET", "#", "GET", "x"]
    )
    .is_empty());
    assert_eq!(
        keys(
            &mut ks,
            &["SORT_RO", "l", "BY", "nosort", "LIMIT", "1", "1", "GET", "o_*"]
        ),
        ["o_2"]
    );
    assert!(keys(&mut ks, &["SORT", "l", "BY", "w_*", "bogus"]).is_empty());
    assert!(keys(&mut ks, &["SORT", "o_1", "BY", "w_*"]).is_empty());
}
