//! Key command tests; expected replies were checked against redis-server 7.0.

use crate::{
    clock::ManualClock,
    commands::test_util::{run, run_args},
    keyspace::{Keyspace, Value},
    reply::{Proto, Reply},
};

const NOW_MS: u64 = 1_700_000_000_000;

fn ks() -> (Keyspace, ManualClock) {
    let clock = ManualClock::new(NOW_MS);
    (Keyspace::with_clock(Box::new(clock.clone())), clock)
}

fn with_keys(keys: &[&str]) -> (Keyspace, ManualClock) {
    let (mut ks, clock) = ks();
    for k in keys {
        ks.insert_str(k.as_bytes(), b"v");
    }
    (ks, clock)
}

#[test]
fn exists_and_touch_count_hits_and_misses_as_reads() {
    let (mut k, _) = with_keys(&["a"]);
    let (hits, misses) = k.lookups();
    assert_eq!(run(&mut k, "EXISTS a b a"), ":2\r\n");
    assert_eq!(run(&mut k, "TOUCH b"), ":0\r\n");
    assert_eq!(k.lookups(), (hits + 2, misses + 2));
}

#[test]
fn del_unlink_exists_touch_count_keys() {
    let (mut k, _) = with_keys(&["a", "b", "c"]);
    assert_eq!(run(&mut k, "EXISTS a a nope"), ":2\r\n");
    assert_eq!(run(&mut k, "TOUCH a nope b"), ":2\r\n");
    assert_eq!(run(&mut k, "DEL a nope"), ":1\r\n");
    assert_eq!(run(&mut k, "UNLINK b c"), ":2\r\n");
    assert_eq!(run(&mut k, "DBSIZE"), ":0\r\n");
    assert_eq!(
        run(&mut k, "DEL"),
        "-ERR wrong number of arguments for 'del' command\r\n"
    );
    assert_eq!(
        run(&mut k, "touch"),
        "-ERR wrong number of arguments for 'touch' command\r\n"
    );
}

#[test]
fn type_names_each_kind() {
    let (mut k, _) = with_keys(&["s"]);
    k.insert(b"h", Value::Hash(Box::default()));
    k.insert(b"l", Value::List(Box::default()));
    assert_eq!(run(&mut k, "TYPE s"), "+string\r\n");
    assert_eq!(run(&mut k, "TYPE h"), "+hash\r\n");
    assert_eq!(run(&mut k, "TYPE l"), "+list\r\n");
    assert_eq!(run(&mut k, "TYPE nope"), "+none\r\n");
}

#[test]
fn expire_sets_reads_and_expires() {
    let (mut k, clock) = with_keys(&["k"]);
    assert_eq!(run(&mut k, "EXPIRE k 10"), ":1\r\n");
    assert_eq!(run(&mut k, "TTL k"), ":10\r\n");
    assert_eq!(run(&mut k, "PTTL k"), ":10000\r\n");
    assert_eq!(
        run(&mut k, "EXPIRETIME k"),
        format!(":{}\r\n", NOW_MS / 1000 + 10)
    );
    assert_eq!(
        run(&mut k, "PEXPIRETIME k"),
        format!(":{}\r\n", NOW_MS + 10_000)
    );
    clock.advance(9_400);
    assert_eq!(run(&mut k, "TTL k"), ":1\r\n");
    clock.advance(600);
    assert_eq!(run(&mut k, "TTL k"), ":-2\r\n");
    assert_eq!(run(&mut k, "EXPIRE nope 10"), ":0\r\n");
}

#[test]
fn ttl_of_missing_and_persistent_keys() {
    let (mut k, _) = with_keys(&["k"]);
    assert_eq!(run(&mut k, "TTL nope"), ":-2\r\n");
    assert_eq!(run(&mut k, "PTTL k"), ":-1\r\n");
    assert_eq!(run(&mut k, "EXPIRETIME k"), ":-1\r\n");
    assert_eq!(run(&mut k, "PEXPIRETIME nope"), ":-2\r\n");
}

#[test]
fn expire_at_variants_use_absolute_times() {
    let (mut k, _) = with_keys(&["a", "b"]);
    let at = NOW_MS / 1000 + 100;
    assert_eq!(run(&mut k, &format!("EXPIREAT a {at}")), ":1\r\n");
    assert_eq!(run(&mut k, "TTL a"), ":100\r\n");
    assert_eq!(
        run(&mut k, &format!("PEXPIREAT b {}", NOW_MS + 5)),
        ":1\r\n"
    );
    assert_eq!(run(&mut k, "PTTL b"), ":5\r\n");
    assert_eq!(run(&mut k, "PEXPIRE b 2500"), ":1\r\n");
    assert_eq!(run(&mut k, "TTL b"), ":3\r\n");
}

#[test]
fn expire_in_the_past_deletes_the_key() {
    let (mut k, _) = with_keys(&["a", "b", "c"]);
    assert_eq!(run(&mut k, "EXPIRE a -1"), ":1\r\n");
    assert_eq!(run(&mut k, "PEXPIREAT b -5"), ":1\r\n");
    assert_eq!(run(&mut k, "EXPIRE c 0"), ":1\r\n");
    assert_eq!(run(&mut k, "DBSIZE"), ":0\r\n");
}

#[test]
fn expire_conditions_follow_redis() {
    let (mut k, _) = with_keys(&["k"]);
    assert_eq!(run(&mut k, "EXPIRE k 100 XX"), ":0\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 100 GT"), ":0\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 100 LT"), ":1\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 50 NX"), ":0\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 50 GT"), ":0\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 200 gt"), ":1\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 300 LT"), ":0\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 150 XX LT"), ":1\r\n");
    assert_eq!(run(&mut k, "TTL k"), ":150\r\n");
    assert_eq!(run(&mut k, "PERSIST k"), ":1\r\n");
    assert_eq!(run(&mut k, "EXPIRE k 10 NX"), ":1\r\n");
}

#[test]
fn expire_errors_match_redis() {
    let (mut k, _) = with_keys(&["k"]);
    assert_eq!(
        run(&mut k, "EXPIRE k 10 NX XX"),
        "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        run(&mut k, "EXPIRE k 10 GT LT"),
        "-ERR GT and LT options at the same time are not compatible\r\n"
    );
    assert_eq!(
        run(&mut k, "EXPIRE k 10 foo"),
        "-ERR Unsupported option foo\r\n"
    );
    assert_eq!(
        run(&mut k, "EXPIRE k abc"),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        run(&mut k, "EXPIRE k 9223372036854775807"),
        "-ERR invalid expire time in 'expire' command\r\n"
    );
    assert_eq!(
        run(&mut k, "PEXPIRE k 9223372036854775807"),
        "-ERR invalid expire time in 'pexpire' command\r\n"
    );
    assert_eq!(
        run(&mut k, "EXPIREAT k 9223372036854775807"),
        "-ERR invalid expire time in 'expireat' command\r\n"
    );
    assert_eq!(
        run(&mut k, "EXPIRE k"),
        "-ERR wrong number of arguments for 'expire' command\r\n"
    );
    assert_eq!(
        run(&mut k, "TTL k x"),
        "-ERR wrong number of arguments for 'ttl' command\r\n"
    );
    assert_eq!(run(&mut k, "TTL k"), ":-1\r\n");
}

#[test]
fn persist_reports_whether_a_ttl_was_removed() {
    let (mut k, _) = with_keys(&["k"]);
    assert_eq!(run(&mut k, "PERSIST k"), ":0\r\n");
    assert_eq!(run(&mut k, "PERSIST nope"), ":0\r\n");
    run(&mut k, "EXPIRE k 10");
    assert_eq!(run(&mut k, "PERSIST k"), ":1\r\n");
    assert_eq!(run(&mut k, "TTL k"), ":-1\r\n");
}

#[test]
fn rename_moves_value_and_ttl() {
    let (mut k, _) = with_keys(&["a", "b"]);
    run(&mut k, "EXPIRE a 100");
    assert_eq!(run(&mut k, "RENAME a b"), "+OK\r\n");
    assert_eq!(run(&mut k, "EXISTS a"), ":0\r\n");
    assert_eq!(run(&mut k, "TTL b"), ":100\r\n");
    assert_eq!(run(&mut k, "RENAME b b"), "+OK\r\n");
    assert_eq!(run(&mut k, "RENAME nope x"), "-ERR no such key\r\n");
    assert_eq!(run(&mut k, "RENAME nope nope"), "-ERR no such key\r\n");
    assert_eq!(
        run(&mut k, "RENAME a"),
        "-ERR wrong number of arguments for 'rename' command\r\n"
    );
}

#[test]
fn renamenx_refuses_an_existing_target() {
    let (mut k, _) = with_keys(&["a", "b"]);
    assert_eq!(run(&mut k, "RENAMENX a b"), ":0\r\n");
    assert_eq!(run(&mut k, "RENAMENX a a"), ":0\r\n");
    assert_eq!(run(&mut k, "RENAMENX a c"), ":1\r\n");
    assert_eq!(run(&mut k, "EXISTS a c"), ":1\r\n");
    assert_eq!(run(&mut k, "RENAMENX nope x"), "-ERR no such key\r\n");
}

#[test]
fn copy_duplicates_value_and_ttl() {
    let (mut k, _) = with_keys(&["a", "b"]);
    run(&mut k, "EXPIRE a 100");
    assert_eq!(run(&mut k, "COPY a c"), ":1\r\n");
    assert_eq!(run(&mut k, "TTL c"), ":100\r\n");
    assert_eq!(run(&mut k, "COPY a b"), ":0\r\n");
    assert_eq!(run(&mut k, "COPY a b DB 0 REPLACE"), ":1\r\n");
    assert_eq!(run(&mut k, "TTL b"), ":100\r\n");
    assert_eq!(run(&mut k, "COPY nope x"), ":0\r\n");
    k.insert(b"h", Value::Hash(Box::default()));
    assert_eq!(run(&mut k, "COPY h h2"), ":1\r\n");
    assert_eq!(run(&mut k, "TYPE h2"), "+hash\r\n");
}

#[test]
fn copy_errors_match_redis() {
    let (mut k, _) = with_keys(&["a"]);
    assert_eq!(
        run(&mut k, "COPY a a"),
        "-ERR source and destination objects are the same\r\n"
    );
    assert_eq!(
        run(&mut k, "COPY a b DB x"),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(
        run(&mut k, "COPY a b DB 16"),
        "-ERR DB index is out of range\r\n"
    );
    assert_eq!(run(&mut k, "COPY a b DB"), "-ERR syntax error\r\n");
    assert_eq!(run(&mut k, "COPY a b foo"), "-ERR syntax error\r\n");
    assert_eq!(
        run(&mut k, "COPY a"),
        "-ERR wrong number of arguments for 'copy' command\r\n"
    );
}

#[test]
fn object_reports_encoding_and_refcount() {
    let (mut k, _) = ks();
    k.insert_str(b"int", b"123");
    k.insert_str(b"big", b"123456");
    k.insert_str(b"emb", b"hello");
    k.insert_str(b"raw", &[b'x'; 45]);
    k.insert(b"h", Value::Hash(Box::default()));
    assert_eq!(run(&mut k, "OBJECT ENCODING int"), "$3\r\nint\r\n");
    assert_eq!(run(&mut k, "object encoding emb"), "$6\r\nembstr\r\n");
    assert_eq!(run(&mut k, "OBJECT ENCODING raw"), "$3\r\nraw\r\n");
    assert_eq!(run(&mut k, "OBJECT ENCODING h"), "$8\r\nlistpack\r\n");
    assert_eq!(run(&mut k, "OBJECT ENCODING nope"), "$-1\r\n");
    assert_eq!(run(&mut k, "OBJECT REFCOUNT int"), ":2147483647\r\n");
    assert_eq!(run(&mut k, "OBJECT REFCOUNT big"), ":1\r\n");
    assert_eq!(run(&mut k, "OBJECT IDLETIME emb"), ":0\r\n");
    assert!(
        run(&mut k, "OBJECT FREQ emb").starts_with("-ERR An LFU maxmemory policy is not selected")
    );
    assert_eq!(run(&mut k, "OBJECT FREQ nope"), "$-1\r\n");
}

#[test]
fn object_encoding_names_lists_and_sets_as_redis_7_0_does() {
    let (mut k, _) = ks();
    run(&mut k, "RPUSH l a");
    run(&mut k, "SADD ints 1 2");
    run(&mut k, "SADD s a 1");
    assert_eq!(run(&mut k, "OBJECT ENCODING l"), "$9\r\nquicklist\r\n");
    assert_eq!(run(&mut k, "OBJECT ENCODING ints"), "$6\r\nintset\r\n");
    assert_eq!(run(&mut k, "OBJECT ENCODING s"), "$9\r\nhashtable\r\n");
}

#[test]
fn object_encoding_of_a_string_follows_the_command_that_wrote_it() {
    // Each line's reply was taken from redis-server 7.0.15.
    let (mut k, _) = ks();
    for (cmd, want) in [
        ("SET a 1", "+OK"),
        ("APPEND a 2", ":2"),
        ("OBJECT ENCODING a", "$3\r\nraw"),
        ("OBJECT REFCOUNT a", ":1"),
        ("SET b x", "+OK"),
        ("SETRANGE b 0 y", ":1"),
        ("OBJECT ENCODING b", "$3\r\nraw"),
        ("INCRBYFLOAT c 3", "$1\r\n3"),
        ("OBJECT ENCODING c", "$6\r\nembstr"),
        ("SETBIT d 1 1", ":0"),
        ("OBJECT ENCODING d", "$3\r\nraw"),
        ("PFADD e x", ":1"),
        ("OBJECT ENCODING e", "$3\r\nraw"),
        ("COPY d g", ":1"),
        ("OBJECT ENCODING g", "$3\r\nraw"),
        ("RENAME g h", "+OK"),
        ("OBJECT ENCODING h", "$3\r\nraw"),
        ("EXPIRE h 100", ":1"),
        ("OBJECT ENCODING h", "$3\r\nraw"),
        ("SET h 123", "+OK"),
        ("OBJECT ENCODING h", "$3\r\nint"),
        ("APPEND new 12", ":2"),
        ("OBJECT ENCODING new", "$3\r\nint"),
        ("BITOP OR k d", ":1"),
        ("OBJECT ENCODING k", "$3\r\nraw"),
        ("INCR a", ":13"),
        ("OBJECT ENCODING a", "$3\r\nint"),
        ("SET one 1", "+OK"),
        ("COPY one two", ":1"),
        ("OBJECT REFCOUNT one", ":2147483647"),
        ("OBJECT REFCOUNT two", ":1"),
        ("OBJECT ENCODING two", "$3\r\nint"),
        ("SET s xy", "+OK"),
        ("SETRANGE s 0 z", ":2"),
        ("SET s ab", "+OK"),
        ("OBJECT ENCODING s", "$6\r\nembstr"),
    ] {
        assert_eq!(run(&mut k, cmd), format!("{want}\r\n"), "{cmd}");
    }
}

#[test]
fn object_errors_and_help_match_redis() {
    let (mut k, _) = with_keys(&["k"]);
    assert_eq!(
        run(&mut k, "OBJECT"),
        "-ERR wrong number of arguments for 'object' command\r\n"
    );
    assert_eq!(
        run(&mut k, "OBJECT foo k"),
        "-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
    );
    assert_eq!(
        run(&mut k, "OBJECT ENCODING k extra"),
        "-ERR wrong number of arguments for 'object|encoding' command\r\n"
    );
    assert_eq!(
        run(&mut k, "OBJECT HELP extra"),
        "-ERR wrong number of arguments for 'object|help' command\r\n"
    );
    let help = run(&mut k, "OBJECT HELP");
    assert!(help.starts_with(
        "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    ));
    assert!(help.ends_with("+    Prints this help.\r\n"));
}

#[test]
fn randomkey_dbsize_and_keys() {
    let (mut k, _) = ks();
    assert_eq!(run(&mut k, "RANDOMKEY"), "$-1\r\n");
    k.insert_str(b"user:1", b"v");
    k.insert_str(b"user:2", b"v");
    k.insert_str(b"other", b"v");
    assert!(run(&mut k, "RANDOMKEY").starts_with('$'));
    assert_eq!(run(&mut k, "DBSIZE"), ":3\r\n");
    let reply = run(&mut k, "KEYS user:?");
    assert!(reply.starts_with("*2\r\n"));
    assert!(reply.contains("user:1") && reply.contains("user:2"));
    assert!(run(&mut k, "KEYS *").starts_with("*3\r\n"));
    assert_eq!(
        run(&mut k, "KEYS"),
        "-ERR wrong number of arguments for 'keys' command\r\n"
    );
    assert_eq!(
        run(&mut k, "DBSIZE x"),
        "-ERR wrong number of arguments for 'dbsize' command\r\n"
    );
}

fn scan_all(k: &mut Keyspace, opts: &str) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut keys = Vec::new();
    loop {
        let reply = run(k, &format!("SCAN {cursor}{opts}"));
        let lines: Vec<&str> = reply.split("\r\n").collect();
        // *2, $len, cursor, *n, then $len/key pairs.
        cursor = lines[2].to_string();
        keys.extend(lines[4..].iter().skip(1).step_by(2).map(|s| s.to_string()));
        if cursor == "0" {
            return keys;
        }
    }
}

#[test]
fn scan_returns_every_key_with_filters() {
    let (mut k, _) = ks();
    for i in 0..300 {
        k.insert_str(format!("key:{i}").as_bytes(), b"v");
    }
    k.insert(b"hash:1", Value::Hash(Box::default()));
    let mut all = scan_all(&mut k, "");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 301);
    assert_eq!(scan_all(&mut k, " MATCH hash:* COUNT 1000"), vec!["hash:1"]);
    assert_eq!(scan_all(&mut k, " TYPE hash"), vec!["hash:1"]);
    assert_eq!(scan_all(&mut k, " TYPE nosuchtype").len(), 0);
    assert_eq!(scan_all(&mut k, " MATCH key:1?? COUNT 50").len(), 100);
}

#[test]
fn scan_errors_match_redis() {
    let (mut k, _) = ks();
    assert_eq!(run(&mut k, "SCAN abc"), "-ERR invalid cursor\r\n");
    assert_eq!(run(&mut k, "SCAN +"), "-ERR invalid cursor\r\n");
    assert_eq!(
        run(&mut k, "SCAN 18446744073709551616"),
        "-ERR invalid cursor\r\n"
    );
    assert_eq!(
        run_args(&mut k, &[b"SCAN", b" 1"]),
        "-ERR invalid cursor\r\n"
    );
    for ok in ["SCAN -1", "SCAN +0", "SCAN 18446744073709551615"] {
        assert_eq!(run(&mut k, ok), "*2\r\n$1\r\n0\r\n*0\r\n");
    }
    assert_eq!(run_args(&mut k, &[b"SCAN", b""]), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(run(&mut k, "SCAN 0 COUNT 0"), "-ERR syntax error\r\n");
    assert_eq!(run(&mut k, "SCAN 0 COUNT -1"), "-ERR syntax error\r\n");
    assert_eq!(
        run(&mut k, "SCAN 0 COUNT x"),
        "-ERR value is not an integer or out of range\r\n"
    );
    assert_eq!(run(&mut k, "SCAN 0 MATCH"), "-ERR syntax error\r\n");
    assert_eq!(run(&mut k, "SCAN 0 foo bar"), "-ERR syntax error\r\n");
    assert_eq!(run(&mut k, "SCAN 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
    assert_eq!(run(&mut k, "SCAN 99999999"), "*2\r\n$1\r\n0\r\n*0\r\n");
}

#[test]
fn flushall_and_flushdb_empty_the_keyspace() {
    let (mut k, _) = with_keys(&["a", "b"]);
    assert_eq!(run(&mut k, "FLUSHALL"), "+OK\r\n");
    assert_eq!(run(&mut k, "DBSIZE"), ":0\r\n");
    k.insert_str(b"a", b"v");
    assert_eq!(run(&mut k, "FLUSHDB async"), "+OK\r\n");
    assert_eq!(run(&mut k, "FLUSHALL SYNC"), "+OK\r\n");
    assert_eq!(run(&mut k, "FLUSHALL foo"), "-ERR syntax error\r\n");
    assert_eq!(run(&mut k, "FLUSHALL sync async"), "-ERR syntax error\r\n");
}

fn dump_of(k: &mut Keyspace, key: &str) -> Vec<u8> {
    let mut reply = Vec::new();
    let argv: [&[u8]; 2] = [b"DUMP", key.as_bytes()];
    crate::commands::execute(k, &argv, &mut Reply::new(&mut reply, Proto::Resp2));
    let start = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
    reply[start..reply.len() - 2].to_vec()
}

#[test]
fn dump_and_restore_round_trip_strings() {
    let (mut k, _) = ks();
    k.insert_str(b"a", b"hello");
    let payload = dump_of(&mut k, "a");
    assert_eq!(run(&mut k, "DUMP nope"), "$-1\r\n");
    assert_eq!(
        run_args(&mut k, &[b"RESTORE", b"b", b"0", &payload]),
        "+OK\r\n"
    );
    assert_eq!(run(&mut k, "TTL b"), ":-1\r\n");
    assert_eq!(
        run_args(&mut k, &[b"RESTORE", b"b", b"0", &payload]),
        "-BUSYKEY Target key name already exists.\r\n"
    );
    assert_eq!(
        run_args(&mut k, &[b"RESTORE", b"b", b"5000", &payload, b"REPLACE"]),
        "+OK\r\n"
    );
    assert_eq!(run(&mut k, "PTTL b"), ":5000\r\n");
    let abs = (NOW_MS + 7000).to_string();
    let argv: [&[u8]; 6] = [
        b"RESTORE",
        b"c",
        abs.as_bytes(),
        &payload,
        b"ABSTTL",
        b"IDLETIME",
    ];
    assert_eq!(run_args(&mut k, &argv), "-ERR syntax error\r\n");
    let argv: [&[u8]; 7] = [
        b"restore",
        b"c",
        abs.as_bytes(),
        &payload,
        b"absttl",
        b"freq",
        b"5",
    ];
    assert_eq!(run_args(&mut k, &argv), "+OK\r\n");
    assert_eq!(run(&mut k, "PTTL c"), ":7000\r\n");
    assert_eq!(run(&mut k, "GET c"), "$5\r\nhello\r\n");
}

#[test]
fn restore_with_a_past_absolute_ttl_stores_nothing() {
    let (mut k, _) = with_keys(&["a"]);
    let payload = dump_of(&mut k, "a");
    let argv: [&[u8]; 6] = [b"RESTORE", b"a", b"1", &payload, b"ABSTTL", b"REPLACE"];
    assert_eq!(run_args(&mut k, &argv), "+OK\r\n");
    assert_eq!(run(&mut k, "EXISTS a"), ":0\r\n");
}

#[test]
fn restore_errors_match_redis() {
    let (mut k, _) = with_keys(&["a"]);
    let payload = dump_of(&mut k, "a");
    assert_eq!(
        run(&mut k, "RESTORE x 0 bad"),
        "-ERR DUMP payload version or checksum are wrong\r\n"
    );
    assert_eq!(
        run_args(&mut k, &[b"RESTORE", b"x", b"-1", &payload]),
        "-ERR Invalid TTL value, must be >= 0\r\n"
    );
    assert_eq!(
        run_args(&mut k, &[b"RESTORE", b"x", b"y", &payload]),
        "-ERR value is not an integer or out of range\r\n"
    );
    let argv: [&[u8]; 6] = [b"RESTORE", b"x", b"0", &payload, b"IDLETIME", b"-1"];
    assert_eq!(
        run_args(&mut k, &argv),
        "-ERR Invalid IDLETIME value, must be >= 0\r\n"
    );
    let argv: [&[u8]; 6] = [b"RESTORE", b"x", b"0", &payload, b"FREQ", b"256"];
    assert_eq!(
        run_args(&mut k, &argv),
        "-ERR Invalid FREQ value, must be >= 0 and <= 255\r\n"
    );
    let argv: [&[u8]; 8] = [
        b"RESTORE",
        b"x",
        b"0",
        &payload,
        b"FREQ",
        b"1",
        b"IDLETIME",
        b"1",
    ];
    assert_eq!(run_args(&mut k, &argv), "-ERR syntax error\r\n");
    assert_eq!(
        run(&mut k, "RESTORE x 0"),
        "-ERR wrong number of arguments for 'restore' command\r\n"
    );
}

#[test]
fn dump_and_restore_round_trip_every_type_with_ttls() {
    let (mut k, _) = ks();
    for cmd in [
        "HSET h f1 v1 f2 v2",
        "RPUSH l a b c",
        "SADD s x y 1",
        "SADD i 1 2 3",
        "ZADD z 1 a 2.5 b",
        "PFADD p a b c",
        "PEXPIRE h 9000",
    ] {
        assert!(!run(&mut k, cmd).starts_with('-'), "{cmd}");
    }
    for key in ["h", "l", "s", "i", "z", "p"] {
        let payload = dump_of(&mut k, key);
        let before = [
            format!("TYPE {key}"),
            format!("OBJECT ENCODING {key}"),
            format!("DUMP {key}"),
        ]
        .map(|c| run(&mut k, &c));
        let argv: [&[u8]; 5] = [b"RESTORE", key.as_bytes(), b"4000", &payload, b"REPLACE"];
        assert_eq!(run_args(&mut k, &argv), "+OK\r\n", "{key}");
        assert_eq!(run(&mut k, &format!("PTTL {key}")), ":4000\r\n");
        let after = [
            format!("TYPE {key}"),
            format!("OBJECT ENCODING {key}"),
            format!("DUMP {key}"),
        ]
        .map(|c| run(&mut k, &c));
        if key == "p" {
            // A restored string is encoded afresh, as Redis's RESTORE does
            // (tryObjectEncoding): a 37-byte sketch PFADD left `raw` comes
            // back `embstr`.
            assert_eq!((&before[0], &before[2]), (&after[0], &after[2]), "{key}");
            assert_eq!(after[1], "$6\r\nembstr\r\n");
        } else {
            assert_eq!(before, after, "{key}");
        }
    }
    assert_eq!(run(&mut k, "HGET h f2"), "$2\r\nv2\r\n");
    assert_eq!(run(&mut k, "ZSCORE z b"), "$3\r\n2.5\r\n");
    assert_eq!(run(&mut k, "PFCOUNT p"), ":3\r\n");
}

#[test]
fn restore_refuses_a_bad_body_with_redis_error() {
    let (mut k, _) = ks();
    // Version 1, tag "set", a count of zero: checksum fine, data not.
    let mut p = vec![1u8, 3, 0, 0, 0, 0];
    let crc = crate::dump::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    assert_eq!(
        run_args(&mut k, &[b"RESTORE", b"x", b"0", &p]),
        "-ERR Bad data format\r\n"
    );
    assert_eq!(run(&mut k, "EXISTS x"), ":0\r\n");
}

#[test]
fn resp3_replies_use_resp3_nulls() {
    let (mut k, _) = ks();
    let mut buf = Vec::new();
    for argv in [
        &[&b"OBJECT"[..], b"ENCODING", b"nope"][..],
        &[b"DUMP", b"nope"],
        &[b"RANDOMKEY"],
    ] {
        crate::commands::execute(&mut k, argv, &mut Reply::new(&mut buf, Proto::Resp3));
    }
    assert_eq!(buf, b"_\r\n_\r\n_\r\n");
}
