//! Tests of the bit commands; expected replies come from redis-server 7.0.

use crate::{
    commands::test_util::{run, run_args},
    keyspace::{Keyspace, Value},
    reply::{Proto, Reply},
};

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const BAD_OFFSET: &str = "-ERR bit offset is not an integer or out of range\r\n";

/// The raw RESP2 reply to `argv`.
fn raw(ks: &mut Keyspace, argv: &[&[u8]]) -> Vec<u8> {
    let mut buf = Vec::new();
    crate::commands::execute(ks, argv, &mut Reply::new(&mut buf, Proto::Resp2));
    buf
}

fn ks() -> Keyspace {
    let mut ks = Keyspace::new();
    ks.insert(b"l", Value::List(Box::default()));
    run(&mut ks, "set k foobar");
    run_args(&mut ks, &[b"set", b"e", b""]);
    ks
}

#[test]
fn setbit_and_getbit() {
    let mut ks = ks();
    assert_eq!(run(&mut ks, "setbit n 7 1"), ":0\r\n");
    assert_eq!(run(&mut ks, "get n"), "$1\r\n\x01\r\n");
    assert_eq!(run(&mut ks, "setbit n 7 0"), ":1\r\n");
    assert_eq!(run(&mut ks, "setbit n 0 1"), ":0\r\n");
    assert_eq!(run(&mut ks, "getbit n 0"), ":1\r\n");
    assert_eq!(run(&mut ks, "getbit n 100"), ":0\r\n");
    assert_eq!(run(&mut ks, "setbit z 0 0"), ":0\r\n");
    assert_eq!(run_args(&mut ks, &[b"get", b"z"]), "$1\r\n\0\r\n");
    assert_eq!(run(&mut ks, "setbit n 17 1"), ":0\r\n");
    assert_eq!(run(&mut ks, "strlen n"), ":3\r\n");
}

#[test]
fn setbit_and_getbit_errors() {
    let mut ks = ks();
    for c in [
        "setbit k -1 1",
        "setbit k 4294967296 1",
        "setbit k x 1",
        "setbit k #1 1",
        "getbit k 4294967296",
    ] {
        assert_eq!(run(&mut ks, c), BAD_OFFSET, "{c}");
    }
    let bad_bit = "-ERR bit is not an integer or out of range\r\n";
    assert_eq!(run(&mut ks, "setbit k 0 2"), bad_bit);
    assert_eq!(run(&mut ks, "setbit k 0 x"), bad_bit);
    assert_eq!(run(&mut ks, "getbit k 4294967295"), ":0\r\n");
    assert_eq!(run(&mut ks, "setbit l 0 1"), WRONGTYPE);
    assert_eq!(run(&mut ks, "getbit l 0"), WRONGTYPE);
    // The offset is checked before the type.
    assert_eq!(run(&mut ks, "setbit l -1 1"), BAD_OFFSET);
}

#[test]
fn bitcount_bytes_and_bits() {
    let mut ks = ks();
    for (c, r) in [
        ("bitcount k", ":26\r\n"),
        ("bitcount k 0 -1 bit", ":26\r\n"),
        ("bitcount k 5 30 BIT", ":17\r\n"),
        ("bitcount k 1 1", ":6\r\n"),
        ("bitcount k 1 1 byte", ":6\r\n"),
        ("bitcount k -1 -2 foo", ":0\r\n"),
        ("bitcount k 3 2", ":0\r\n"),
        ("bitcount k 0 1000", ":26\r\n"),
        ("bitcount k 7 7 bit", ":0\r\n"),
        ("bitcount k 1 1 bit", ":1\r\n"),
        ("bitcount missing a b", ":0\r\n"),
        ("bitcount e", ":0\r\n"),
        ("bitcount k 0 -1 foo", SYNTAX),
        ("bitcount k 1", SYNTAX),
        ("bitcount k 0 -1 bit extra", SYNTAX),
        ("bitcount e a b", NOT_INT),
        ("bitcount l", WRONGTYPE),
    ] {
        assert_eq!(run(&mut ks, c), r, "{c}");
    }
}

#[test]
fn bitcount_bit_ranges_match_a_bit_by_bit_count() {
    let mut ks = ks();
    let s = b"foobar";
    for a in 0..48i64 {
        for b in a..48 {
            let want: u32 = (a..=b)
                .map(|i| (s[(i / 8) as usize] >> (7 - i % 8)) as u32 & 1)
                .sum();
            assert_eq!(
                run(&mut ks, &format!("bitcount k {a} {b} bit")),
                format!(":{want}\r\n")
            );
        }
    }
}

#[test]
fn bitpos_finds_bits_in_ranges() {
    let mut ks = ks();
    run_args(&mut ks, &[b"set", b"f", b"\xff\xf0\x00"]);
    for (c, r) in [
        ("bitpos f 0", ":12\r\n"),
        ("bitpos f 1 2", ":-1\r\n"),
        ("bitpos f 1 1 -1 byte", ":8\r\n"),
        ("bitpos f 0 0 0", ":-1\r\n"),
        ("bitpos f 0 0 0 bit", ":-1\r\n"),
        ("bitpos f 0 3 11 bit", ":-1\r\n"),
        ("bitpos f 0 3 12 bit", ":12\r\n"),
        ("bitpos f 1 12 -1 bit", ":-1\r\n"),
        ("bitpos k 1 7 15 bit", ":9\r\n"),
        ("bitpos k 0 0 -1 bit", ":0\r\n"),
        ("bitpos missing 1", ":-1\r\n"),
        ("bitpos missing 0", ":0\r\n"),
        ("bitpos e 0", ":-1\r\n"),
        ("bitpos e 1", ":-1\r\n"),
        ("bitpos k 2", "-ERR The bit argument must be 1 or 0.\r\n"),
        (
            "bitpos missing 2",
            "-ERR The bit argument must be 1 or 0.\r\n",
        ),
        ("bitpos k x", NOT_INT),
        ("bitpos k 0 a", NOT_INT),
        ("bitpos k 0 0 a", NOT_INT),
        ("bitpos k 0 0 0 foo", SYNTAX),
        ("bitpos l 1", WRONGTYPE),
    ] {
        assert_eq!(run(&mut ks, c), r, "{c}");
    }
    // With no end given, the zero bits go on past the string.
    run_args(&mut ks, &[b"set", b"g", b"\xff\xff"]);
    assert_eq!(run(&mut ks, "bitpos g 0"), ":16\r\n");
    assert_eq!(run(&mut ks, "bitpos g 0 1"), ":16\r\n");
    assert_eq!(run(&mut ks, "bitpos g 0 0 -1"), ":-1\r\n");
}

#[test]
fn bitop_combines_and_pads_with_zeros() {
    let mut ks = ks();
    run_args(&mut ks, &[b"set", b"a", b"\x0f\xff"]);
    run_args(&mut ks, &[b"set", b"b", b"\xf0"]);
    assert_eq!(run(&mut ks, "bitop and d a b"), ":2\r\n");
    assert_eq!(run_args(&mut ks, &[b"get", b"d"]), "$2\r\n\0\0\r\n");
    assert_eq!(run(&mut ks, "bitop or d a b missing"), ":2\r\n");
    assert_eq!(raw(&mut ks, &[b"get", b"d"]), b"$2\r\n\xff\xff\r\n");
    assert_eq!(run(&mut ks, "bitop xor d a b"), ":2\r\n");
    assert_eq!(raw(&mut ks, &[b"get", b"d"]), b"$2\r\n\xff\xff\r\n");
    assert_eq!(run(&mut ks, "bitop NOT d b"), ":1\r\n");
    assert_eq!(run_args(&mut ks, &[b"get", b"d"]), "$1\r\n\x0f\r\n");
    assert_eq!(run(&mut ks, "bitop or d k missing"), ":6\r\n");
    assert_eq!(run(&mut ks, "get d"), "$6\r\nfoobar\r\n");
    // An empty result deletes the destination.
    assert_eq!(run(&mut ks, "bitop and d missing e"), ":0\r\n");
    assert_eq!(run(&mut ks, "exists d"), ":0\r\n");
}

#[test]
fn bitop_errors() {
    let mut ks = ks();
    assert_eq!(run(&mut ks, "bitop foo d k"), SYNTAX);
    assert_eq!(
        run(&mut ks, "bitop not d k k"),
        "-ERR BITOP NOT must be called with a single source key.\r\n"
    );
    assert_eq!(run(&mut ks, "bitop and d l"), WRONGTYPE);
    assert_eq!(
        run(&mut ks, "bitop and"),
        "-ERR wrong number of arguments for 'bitop' command\r\n"
    );
}

#[test]
fn bitfield_set_get_incrby_with_overflow_modes() {
    let mut ks = ks();
    assert_eq!(
        run(
            &mut ks,
            "bitfield k set i8 0 200 get u8 0 set u8 0 -1 overflow sat set i8 0 200 \
             set i8 0 -200 set u8 0 -1 incrby i64 0 9223372036854775807 overflow fail \
             incrby u8 8 1000 overflow wrap incrby i5 100 -20"
        ),
        "*9\r\n:102\r\n:200\r\n:200\r\n:-1\r\n:127\r\n:128\r\n:9182680633564069887\r\n\
         $-1\r\n:12\r\n"
    );
    assert_eq!(
        raw(&mut ks, &[b"get", b"k"]),
        b"$14\r\n\x7foobaq\xff\xff\0\0\0\0\x06\0\r\n"
    );
    assert_eq!(
        run(
            &mut ks,
            "bitfield k set i64 0 -9223372036854775808 incrby i64 0 -1 overflow sat \
             incrby i64 0 -1 incrby u63 0 -5 get u63 0"
        ),
        "*5\r\n:9182680633564069887\r\n:9223372036854775807\r\n:9223372036854775806\r\n\
         :4611686018427387898\r\n:4611686018427387898\r\n"
    );
}

#[test]
fn bitfield_sat_set_of_a_huge_negative_value_saturates_up_as_redis_does() {
    // Redis 7.0.15's 64-bit `max - value` wraps for values at or below
    // i64::MIN + max, which it treats as an overflow upwards.
    let mut ks = ks();
    let get_i8 = |ks: &mut Keyspace| run(ks, "bitfield k get i8 0");
    for (v, want) in [
        ("-9223372036854775808", ":127"),
        ("-9223372036854775681", ":127"),
        ("-9223372036854775680", ":-128"),
        ("-129", ":-128"),
    ] {
        run(&mut ks, &format!("bitfield k overflow sat set i8 0 {v}"));
        assert_eq!(get_i8(&mut ks), format!("*1\r\n{want}\r\n"), "SET i8 {v}");
    }
    run(&mut ks, "del k");
    run(
        &mut ks,
        "bitfield k overflow sat set i1 0 -9223372036854775808",
    );
    assert_eq!(raw(&mut ks, &[b"get", b"k"]), b"$1\r\n\0\r\n");
    // i64 fields have no such wrap.
    assert_eq!(
        run(
            &mut ks,
            "bitfield k overflow sat set i64 0 -9223372036854775808 get i64 0"
        ),
        "*2\r\n:0\r\n:-9223372036854775808\r\n"
    );
}

#[test]
fn bitfield_hash_offsets_and_reads_past_the_end() {
    let mut ks = ks();
    assert_eq!(
        run(
            &mut ks,
            "bitfield n set u4 #1 15 get u8 0 get i4 #1 get u8 4294967288"
        ),
        "*4\r\n:0\r\n:15\r\n:-1\r\n:0\r\n"
    );
    assert_eq!(
        run(&mut ks, "bitfield missing get u8 0 get i4 #3"),
        "*2\r\n:0\r\n:0\r\n"
    );
    assert_eq!(run(&mut ks, "exists missing"), ":0\r\n");
    assert_eq!(run(&mut ks, "bitfield k"), "*0\r\n");
    // A write op makes room even when FAIL refuses the write.
    assert_eq!(
        run(&mut ks, "bitfield f overflow fail incrby u2 0 10"),
        "*1\r\n$-1\r\n"
    );
    assert_eq!(run_args(&mut ks, &[b"get", b"f"]), "$1\r\n\0\r\n");
}

#[test]
fn bitfield_errors() {
    let mut ks = ks();
    let bad_type = "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n";
    for c in [
        "bitfield k get u64 0",
        "bitfield k get i65 0",
        "bitfield k get U8 0",
        "bitfield k get u0 0",
    ] {
        assert_eq!(run(&mut ks, c), bad_type, "{c}");
    }
    for c in [
        "bitfield k get u8 4294967296",
        "bitfield k get u8 #536870912",
        "bitfield k get i8 #-1",
        "bitfield k get i64 #9223372036854775807",
        "bitfield k get u8 #",
        "bitfield k get i8 -1",
    ] {
        assert_eq!(run(&mut ks, c), BAD_OFFSET, "{c}");
    }
    assert_eq!(run(&mut ks, "bitfield k get u8 #536870911"), "*1\r\n:0\r\n");
    assert_eq!(run(&mut ks, "bitfield k get u8"), SYNTAX);
    assert_eq!(run(&mut ks, "bitfield k foo"), SYNTAX);
    assert_eq!(run(&mut ks, "bitfield k overflow"), SYNTAX);
    assert_eq!(
        run(&mut ks, "bitfield k overflow bad"),
        "-ERR Invalid OVERFLOW type specified\r\n"
    );
    assert_eq!(run(&mut ks, "bitfield k set u8 0 x"), NOT_INT);
    assert_eq!(
        run(&mut ks, "bitfield_ro k set u8 0 1"),
        "-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    );
    assert_eq!(run(&mut ks, "bitfield_ro l get u8 0"), WRONGTYPE);
    assert_eq!(run(&mut ks, "bitfield l get u8 0"), WRONGTYPE);
    assert_eq!(run(&mut ks, "bitfield_ro k get u8 8"), "*1\r\n:111\r\n");
}

#[test]
fn bitfield_fail_is_resp3_null() {
    let mut ks = ks();
    let mut buf = Vec::new();
    let argv: Vec<&[u8]> = "bitfield k overflow fail incrby u2 0 10"
        .split(' ')
        .map(str::as_bytes)
        .collect();
    crate::commands::execute(&mut ks, &argv, &mut Reply::new(&mut buf, Proto::Resp3));
    assert_eq!(buf, b"*1\r\n_\r\n");
}

/// The changes `cmd` (space separated) makes, as the shard counts them.
fn changes(ks: &mut Keyspace, cmd: &str) -> u64 {
    let argv: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let mut buf = Vec::new();
    crate::commands::execute(ks, &argv, &mut Reply::new(&mut buf, Proto::Resp2)).0
}

#[test]
fn setbit_and_bitfield_count_a_change_only_when_the_value_changes() {
    // Redis's "SETBIT/BITFIELD only increase dirty when the value changed".
    let mut ks = Keyspace::new();
    // Creating a key always counts.
    assert_eq!(changes(&mut ks, "setbit foo 0 0"), 1);
    assert_eq!(changes(&mut ks, "bitfield foo2 set i5 0 0"), 1);
    // Writing what is there does not.
    assert_eq!(changes(&mut ks, "setbit foo 0 0"), 0);
    assert_eq!(changes(&mut ks, "bitfield foo2 set i5 0 0"), 0);
    // A change, then the same again.
    for (cmd, want) in [
        ("setbit foo 0 1", 1),
        ("setbit foo 0 1", 0),
        ("setbit foo 0 0", 1),
        ("setbit foo 0 0", 0),
        ("bitfield foo2 set i5 0 1", 1),
        ("bitfield foo2 set i5 0 1", 0),
        ("bitfield foo2 set i5 0 0", 1),
        ("bitfield foo2 set i5 0 0", 0),
    ] {
        assert_eq!(changes(&mut ks, cmd), want, "{cmd}");
    }
    // Growing the string is a change even when the bit stays 0.
    assert_eq!(changes(&mut ks, "setbit foo 100 0"), 1);
    assert_eq!(run(&mut ks, "strlen foo"), ":13\r\n");
    // BITFIELD counts each write that changed a value, or every write
    // when it grew the string; GET and refused writes count nothing.
    assert_eq!(changes(&mut ks, "bitfield foo2 set u8 0 1 set u8 8 1"), 2);
    assert_eq!(changes(&mut ks, "bitfield foo2 set u8 0 1 set u8 8 2"), 1);
    assert_eq!(changes(&mut ks, "bitfield foo2 incrby u8 0 0 get u8 8"), 0);
    assert_eq!(changes(&mut ks, "bitfield foo2 get u8 0"), 0);
    assert_eq!(
        changes(&mut ks, "bitfield foo2 overflow fail incrby u8 0 300"),
        0
    );
    assert_eq!(
        run(&mut ks, "bitfield foo2 get u8 0 get u8 8"),
        "*2\r\n:1\r\n:2\r\n"
    );
    // A string created by writes that all failed is still there: it
    // counts (Redis counts nothing here; see `bitfield::run`).
    assert_eq!(changes(&mut ks, "bitfield new overflow fail set u2 0 9"), 1);
    assert_eq!(run(&mut ks, "get new"), "$1\r\n\x00\r\n");
    // Errors change nothing.
    run(&mut ks, "rpush l a");
    assert_eq!(changes(&mut ks, "setbit foo 0 2"), 0);
    assert_eq!(changes(&mut ks, "setbit l 0 1"), 0);
    assert_eq!(changes(&mut ks, "bitfield l set u8 0 1"), 0);
}

#[test]
fn setbit_that_changes_nothing_still_reads_as_raw() {
    // Redis unshares the string before it looks at the bit.
    let mut ks = Keyspace::new();
    run(&mut ks, "set n 1");
    assert_eq!(changes(&mut ks, "setbit n 2 1"), 0);
    assert_eq!(run(&mut ks, "object encoding n"), "$3\r\nraw\r\n");
    assert_eq!(run(&mut ks, "get n"), "$1\r\n1\r\n");
}
