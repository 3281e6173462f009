//! Set command tests; expected replies were taken from redis-server 7.0.

use crate::{
    commands::{execute, test_util::run},
    keyspace::Keyspace,
    reply::{Proto, Reply},
};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// Runs `cmd` and returns the RESP3 reply as text.
pub(crate) fn run3(ks: &mut Keyspace, cmd: &str) -> String {
    let parts: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let mut buf = Vec::new();
    execute(ks, &parts, &mut Reply::new(&mut buf, Proto::Resp3));
    String::from_utf8_lossy(&buf).into_owned()
}

fn ks_with(cmds: &[&str]) -> Keyspace {
    let mut ks = Keyspace::new();
    for c in cmds {
        run(&mut ks, c);
    }
    ks
}

#[test]
fn sadd_counts_new_members_and_srem_deletes_the_emptied_key() {
    let mut ks = Keyspace::new();
    assert_eq!(run(&mut ks, "SADD s a b a 1"), ":3\r\n");
    assert_eq!(run(&mut ks, "SADD s b c"), ":1\r\n");
    assert_eq!(run(&mut ks, "SCARD s"), ":4\r\n");
    assert_eq!(run(&mut ks, "SREM s a zz"), ":1\r\n");
    assert_eq!(run(&mut ks, "SREM nokey a"), ":0\r\n");
    assert_eq!(run(&mut ks, "SREM s b c 1"), ":3\r\n");
    assert!(!ks.exists(b"s"));
}

#[test]
fn set_commands_refuse_other_types_and_bad_arity() {
    let mut ks = ks_with(&["SET str x", "SADD s a"]);
    for cmd in [
        "SADD str a",
        "SREM str a",
        "SCARD str",
        "SISMEMBER str a",
        "SMISMEMBER str a",
        "SMEMBERS str",
        "SPOP str",
        "SRANDMEMBER str",
        "SMOVE s str a",
        "SINTER nokey str",
        "SUNION s str",
        "SDIFF nokey str",
        "SINTERSTORE dst s str",
        "SINTERCARD 2 nokey str",
        "SSCAN str 0",
    ] {
        assert_eq!(run(&mut ks, cmd), WRONGTYPE, "{cmd}");
    }
    assert_eq!(
        run(&mut ks, "SADD s"),
        "-ERR wrong number of arguments for 'sadd' command\r\n"
    );
    assert_eq!(
        run(&mut ks, "SISMEMBER s"),
        "-ERR wrong number of arguments for 'sismember' command\r\n"
    );
    assert_eq!(run(&mut ks, "SPOP s 1 2"), "-ERR syntax error\r\n");
    assert_eq!(run(&mut ks, "SRANDMEMBER s 1 2"), "-ERR syntax error\r\n");
}

#[test]
fn membership_replies_are_integers_in_both_protocols() {
    let mut ks = ks_with(&["SADD s a b"]);
    assert_eq!(run(&mut ks, "SISMEMBER s a"), ":1\r\n");
    assert_eq!(run3(&mut ks, "SISMEMBER s z"), ":0\r\n");
    assert_eq!(run(&mut ks, "SMISMEMBER s a zz"), "*2\r\n:1\r\n:0\r\n");
    assert_eq!(run(&mut ks, "SMISMEMBER nokey a"), "*1\r\n:0\r\n");
}

#[test]
fn smembers_is_a_set_in_resp3_and_intsets_come_sorted() {
    let mut ks = ks_with(&["SADD s 3 1 2"]);
    assert_eq!(
        run(&mut ks, "SMEMBERS s"),
        "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    assert_eq!(
        run3(&mut ks, "SMEMBERS s"),
        "~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"
    );
    assert_eq!(run3(&mut ks, "SMEMBERS nokey"), "~0\r\n");
}

#[test]
fn spop_count_validates_and_empties_the_key() {
    let mut ks = ks_with(&["SADD s a b c"]);
    assert_eq!(
        run(&mut ks, "SPOP s -1"),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(
        run(&mut ks, "SPOP nokey x"),
        "-ERR value is out of range, must be positive\r\n"
    );
    assert_eq!(run(&mut ks, "SPOP s 0"), "*0\r\n");
    assert_eq!(run3(&mut ks, "SPOP nokey 3"), "~0\r\n");
    assert_eq!(run(&mut ks, "SPOP nokey"), "$-1\r\n");
    assert!(run3(&mut ks, "SPOP s 1").starts_with("~1\r\n"));
    assert!(run(&mut ks, "SPOP s 5").starts_with("*2\r\n"));
    assert!(!ks.exists(b"s"));
}

#[test]
fn srandmember_counts_follow_redis() {
    let mut ks = ks_with(&["SADD s a b c"]);
    assert_eq!(run(&mut ks, "SRANDMEMBER nokey"), "$-1\r\n");
    assert_eq!(run(&mut ks, "SRANDMEMBER nokey 2"), "*0\r\n");
    assert_eq!(run(&mut ks, "SRANDMEMBER s 0"), "*0\r\n");
    assert!(run3(&mut ks, "SRANDMEMBER s 2").starts_with("*2\r\n"));
    assert!(run(&mut ks, "SRANDMEMBER s 10").starts_with("*3\r\n"));
    let dup = run(&mut ks, "SRANDMEMBER s -7");
    assert!(dup.starts_with("*7\r\n"), "{dup}");
    assert_eq!(
        run(&mut ks, "SRANDMEMBER s -9223372036854775808"),
        "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
    );
    assert_eq!(
        run(&mut ks, "SRANDMEMBER s -4611686018427387904"),
        "-ERR value is out of range\r\n"
    );
    let two = run(&mut ks, "SRANDMEMBER s 2");
    let lines: Vec<&str> = two.split("\r\n").collect();
    assert_ne!(lines[2], lines[4], "distinct members");
}

#[test]
fn smove_moves_and_checks_types() {
    let mut ks = ks_with(&["SADD s a b", "SET str x"]);
    assert_eq!(run(&mut ks, "SMOVE nokey str a"), ":0\r\n");
    assert_eq!(run(&mut ks, "SMOVE s s a"), ":1\r\n");
    assert_eq!(run(&mut ks, "SMOVE s s zz"), ":0\r\n");
    assert_eq!(run(&mut ks, "SMOVE s d a"), ":1\r\n");
    assert_eq!(run(&mut ks, "SMOVE s d b"), ":1\r\n");
    assert!(!ks.exists(b"s"));
    assert_eq!(run(&mut ks, "SCARD d"), ":2\r\n");
}

#[test]
fn intersections_unions_and_differences() {
    let mut ks = ks_with(&["SADD a 1 2 3 4", "SADD b 2 3 5", "SADD c 3 x"]);
    assert_eq!(run(&mut ks, "SINTER a b c"), "*1\r\n$1\r\n3\r\n");
    assert_eq!(run(&mut ks, "SINTER a nokey"), "*0\r\n");
    assert_eq!(
        run(&mut ks, "SUNION a b"),
        "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$1\r\n5\r\n"
    );
    assert_eq!(run3(&mut ks, "SDIFF a b"), "~2\r\n$1\r\n1\r\n$1\r\n4\r\n");
    assert_eq!(run(&mut ks, "SDIFF nokey a"), "*0\r\n");
    assert_eq!(run(&mut ks, "SINTERSTORE d a b"), ":2\r\n");
    assert_eq!(run(&mut ks, "SUNIONSTORE d a c"), ":5\r\n");
    assert_eq!(run(&mut ks, "SDIFFSTORE d a a"), ":0\r\n");
    assert!(!ks.exists(b"d"));
}

#[test]
fn store_overwrites_a_destination_of_another_type() {
    let mut ks = ks_with(&["SADD a 1", "SET d x"]);
    assert_eq!(run(&mut ks, "SUNIONSTORE d a"), ":1\r\n");
    assert_eq!(run(&mut ks, "SMEMBERS d"), "*1\r\n$1\r\n1\r\n");
}

#[test]
fn sdiffstore_of_integers_left_from_a_mixed_set_is_an_intset() {
    let mut ks = ks_with(&["SADD a d 1", "SADD b a d"]);
    assert_eq!(run(&mut ks, "SDIFFSTORE dst a b"), ":1\r\n");
    assert_eq!(run(&mut ks, "OBJECT ENCODING dst"), "$6\r\nintset\r\n");
    assert_eq!(run(&mut ks, "SDIFFSTORE dst b a"), ":1\r\n");
    assert_eq!(run(&mut ks, "OBJECT ENCODING dst"), "$9\r\nhashtable\r\n");
}

#[test]
fn sintercard_parses_numkeys_and_limit() {
    let mut ks = ks_with(&["SADD a 1 2 3", "SADD b 1 2 3"]);
    assert_eq!(run(&mut ks, "SINTERCARD 2 a b"), ":3\r\n");
    assert_eq!(run(&mut ks, "SINTERCARD 2 a b LIMIT 2"), ":2\r\n");
    assert_eq!(run(&mut ks, "SINTERCARD 2 a b limit 0"), ":3\r\n");
    let e = |m: &str| format!("-ERR {m}\r\n");
    assert_eq!(
        run(&mut ks, "SINTERCARD 0 a"),
        e("numkeys should be greater than 0")
    );
    assert_eq!(
        run(&mut ks, "SINTERCARD abc a"),
        e("numkeys should be greater than 0")
    );
    assert_eq!(
        run(&mut ks, "SINTERCARD 3 a b"),
        e("Number of keys can't be greater than number of args")
    );
    assert_eq!(
        run(&mut ks, "SINTERCARD 1 a LIMIT -1"),
        e("LIMIT can't be negative")
    );
    assert_eq!(run(&mut ks, "SINTERCARD 1 a FOO 1"), e("syntax error"));
    assert_eq!(run(&mut ks, "SINTERCARD 1 a LIMIT"), e("syntax error"));
}

#[test]
fn sscan_returns_small_sets_whole_and_validates_options() {
    let mut ks = ks_with(&["SADD s a b c 1"]);
    assert_eq!(
        run(&mut ks, "SSCAN s 0 MATCH a*"),
        "*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"
    );
    assert_eq!(run(&mut ks, "SSCAN nokey 0 FOO"), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(run(&mut ks, "SSCAN s abc"), "-ERR invalid cursor\r\n");
    for bad in ["SSCAN s 0 COUNT 0", "SSCAN s 0 FOO", "SSCAN s 0 MATCH"] {
        assert_eq!(run(&mut ks, bad), "-ERR syntax error\r\n", "{bad}");
    }
    assert_eq!(
        run(&mut ks, "SSCAN s 0 COUNT x"),
        "-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn sscan_pages_a_packed_set_as_redis_7_0_does_and_returns_an_intset_whole() {
    let mut ks = Keyspace::new();
    for i in 0..65 {
        run(&mut ks, &format!("SADD s m{i}"));
        run(&mut ks, &format!("SADD ints {i}"));
    }
    assert_eq!(ks.get(b"s").map(|v| v.encoding()), Some("hashtable"));
    let whole = run(&mut ks, "SSCAN ints 0 COUNT 5");
    assert!(whole.starts_with("*2\r\n$1\r\n0\r\n*65\r\n"), "{whole}");
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    loop {
        let r = run(&mut ks, &format!("SSCAN s {cursor} COUNT 10"));
        let lines: Vec<&str> = r.split("\r\n").collect();
        cursor = lines[2].to_string();
        let n: usize = lines[3][1..].parse().unwrap_or(usize::MAX);
        assert!(n <= 10, "{r}");
        seen.extend(
            lines[4..]
                .iter()
                .filter(|l| l.starts_with('m'))
                .map(|l| l.to_string()),
        );
        calls += 1;
        // A removal below the window shifts only what was reported.
        if calls == 2 {
            run(&mut ks, "SREM s m50");
        }
        if cursor == "0" || calls > 20 {
            break;
        }
    }
    assert_eq!(cursor, "0");
    assert_eq!(calls, 7);
    assert_eq!(seen.len(), 65);
}

#[test]
fn sscan_over_a_table_visits_every_member_despite_removals() {
    let mut ks = Keyspace::new();
    for i in 0..300 {
        run(&mut ks, &format!("SADD s m{i}"));
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = "0".to_string();
    let mut rounds = 0;
    loop {
        let r = run(&mut ks, &format!("SSCAN s {cursor} COUNT 7"));
        let lines: Vec<&str> = r.split("\r\n").collect();
        cursor = lines[2].to_string();
        for m in lines[4..].iter().filter(|l| l.starts_with('m')) {
            seen.insert(m.to_string());
        }
        // Remove members already reported, which moves others around.
        if rounds % 3 == 0 {
            if let Some(m) = seen.iter().next().cloned() {
                run(&mut ks, &format!("SREM s {m}"));
            }
        }
        rounds += 1;
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(seen.len(), 300);
}

#[test]
fn sdiffstore_keeps_the_encoding_of_redis_s_chosen_algorithm() {
    // Replies and encodings from redis-server 7.0.15. With a large first
    // set against two small ones Redis adds every member of the first set
    // to a fresh set, then removes: the non-integer it removes leaves a
    // hashtable. Against one small set it builds only what is left.
    let ints: Vec<String> = (0..300).map(|i| i.to_string()).collect();
    let mut ks = ks_with(&[
        &format!("SADD big x {}", ints.join(" ")),
        "SADD small x",
        "SADD s2 y",
    ]);
    assert_eq!(run(&mut ks, "SDIFFSTORE d big small"), ":300\r\n");
    assert_eq!(run(&mut ks, "OBJECT ENCODING d"), "$6\r\nintset\r\n");
    assert_eq!(run(&mut ks, "SDIFFSTORE d2 big small s2"), ":300\r\n");
    assert_eq!(run(&mut ks, "OBJECT ENCODING d2"), "$9\r\nhashtable\r\n");
    let mut ks = ks_with(&["SADD a 1 2 x", "SADD b x 7 8 9 10 11"]);
    assert_eq!(run(&mut ks, "SDIFFSTORE d3 a b"), ":2\r\n");
    assert_eq!(run(&mut ks, "OBJECT ENCODING d3"), "$6\r\nintset\r\n");
}
