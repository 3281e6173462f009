//! Tests of the string commands, replies checked byte for byte against
//! what redis-server 7.0 sends.

mod transcript;

use proptest::prelude::*;

use crate::{
    clock::ManualClock,
    commands::test_util::{run, run_args},
    keyspace::{Keyspace, StrMark, Value},
    reply::{Proto, Reply},
};

const NOW_MS: u64 = 1_700_000_000_000;

fn ks() -> (Keyspace, ManualClock) {
    let clock = ManualClock::new(NOW_MS);
    (Keyspace::with_clock(Box::new(clock.clone())), clock)
}

fn with_list(ks: &mut Keyspace) {
    ks.insert(b"l", Value::List(Box::default()));
}

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

#[test]
fn get_replies_null_bulk_or_wrongtype() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "get k"), "$-1\r\n");
    run(&mut ks, "set k v");
    assert_eq!(run(&mut ks, "get k"), "$1\r\nv\r\n");
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "get l"), WRONGTYPE);
    assert_eq!(
        run(&mut ks, "get"),
        "-ERR wrong number of arguments for 'get' command\r\n"
    );
}

#[test]
fn get_null_is_resp3_null() {
    let (mut ks, _) = ks();
    let mut buf = Vec::new();
    crate::commands::execute(
        &mut ks,
        &[b"GET", b"x"],
        &mut Reply::new(&mut buf, Proto::Resp3),
    );
    assert_eq!(buf, b"_\r\n");
}

#[test]
fn set_is_binary_safe_and_overwrites_other_types() {
    let (mut ks, _) = ks();
    assert_eq!(run_args(&mut ks, &[b"set", b"k", b"\0\r\n\xff"]), "+OK\r\n");
    assert_eq!(
        run_args(&mut ks, &[b"get", b"k"]).as_bytes(),
        "$4\r\n\0\r\n\u{fffd}\r\n".as_bytes()
    );
    assert_eq!(run_args(&mut ks, &[b"set", b"e", b""]), "+OK\r\n");
    assert_eq!(run(&mut ks, "strlen e"), ":0\r\n");
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "set l x"), "+OK\r\n");
    assert_eq!(run(&mut ks, "get l"), "$1\r\nx\r\n");
}

#[test]
fn set_expiry_options_set_absolute_times() {
    let (mut ks, _) = ks();
    run(&mut ks, "set a 1 ex 10");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 10_000)));
    run(&mut ks, "set a 1 PX 1500");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 1_500)));
    run(&mut ks, "set a 1 exat 1800000000");
    assert_eq!(ks.expire_at(b"a"), Some(Some(1_800_000_000_000)));
    run(&mut ks, "set a 1 pxat 1800000000001");
    assert_eq!(ks.expire_at(b"a"), Some(Some(1_800_000_000_001)));
    run(&mut ks, "set a 2 keepttl");
    assert_eq!(ks.expire_at(b"a"), Some(Some(1_800_000_000_001)));
    run(&mut ks, "set a 3");
    assert_eq!(ks.expire_at(b"a"), Some(None));
    // A repeated expiry option takes the last value.
    run(&mut ks, "set a 1 ex 10 ex 20");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 20_000)));
}

#[test]
fn set_with_a_past_absolute_time_leaves_no_key() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "set a 1 pxat 5"), "+OK\r\n");
    assert_eq!(run(&mut ks, "exists a"), ":0\r\n");
}

#[test]
fn set_refuses_conflicting_options() {
    let (mut ks, _) = ks();
    for c in [
        "set a 1 nx xx",
        "set a 1 xx nx",
        "set a 1 px 100 ex 5",
        "set a 1 exat 5 pxat 5",
        "set a 1 keepttl ex 5",
        "set a 1 ex 5 keepttl",
        "set a 1 persist",
        "set a 1 ex",
        "set a 1 bad",
    ] {
        assert_eq!(run(&mut ks, c), SYNTAX, "{c}");
    }
    assert_eq!(run(&mut ks, "set a 1 nx nx"), "+OK\r\n");
}

#[test]
fn set_refuses_bad_expire_times() {
    let (mut ks, _) = ks();
    let bad = "-ERR invalid expire time in 'set' command\r\n";
    for c in [
        "set a 1 ex 0",
        "set a 1 ex -1",
        "set a 1 px 0",
        "set a 1 ex 9223372036854776",
        "set a 1 ex 9223372036854775",
        "set a 1 px 9223372036854775807",
        "set a 1 pxat 0",
    ] {
        assert_eq!(run(&mut ks, c), bad, "{c}");
    }
    assert_eq!(run(&mut ks, "set a 1 ex abc"), NOT_INT);
    assert_eq!(run(&mut ks, "set a 1 exat 9223372036854775"), "+OK\r\n");
    assert_eq!(run(&mut ks, "set a 1 pxat 9223372036854775807"), "+OK\r\n");
}

#[test]
fn set_nx_xx_and_get() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "set a 1 xx"), "$-1\r\n");
    assert_eq!(run(&mut ks, "set a 1 nx"), "+OK\r\n");
    assert_eq!(run(&mut ks, "set a 2 nx"), "$-1\r\n");
    assert_eq!(run(&mut ks, "set a 3 xx get"), "$1\r\n1\r\n");
    assert_eq!(run(&mut ks, "set a 4 nx get"), "$1\r\n3\r\n");
    assert_eq!(run(&mut ks, "get a"), "$1\r\n3\r\n");
    assert_eq!(run(&mut ks, "set b 1 get"), "$-1\r\n");
    assert_eq!(run(&mut ks, "get b"), "$1\r\n1\r\n");
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "set l 1 get"), WRONGTYPE);
    assert_eq!(run(&mut ks, "set l 1 nx"), "$-1\r\n");
    // The expiry is checked before the type.
    assert_eq!(
        run(&mut ks, "set l 1 get ex 0"),
        "-ERR invalid expire time in 'set' command\r\n"
    );
}

#[test]
fn setnx_setex_psetex() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "setnx a 1"), ":1\r\n");
    assert_eq!(run(&mut ks, "setnx a 2"), ":0\r\n");
    assert_eq!(run(&mut ks, "setex a 10 x"), "+OK\r\n");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 10_000)));
    assert_eq!(run(&mut ks, "psetex a 10 x"), "+OK\r\n");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 10)));
    assert_eq!(
        run(&mut ks, "setex a 0 x"),
        "-ERR invalid expire time in 'setex' command\r\n"
    );
    assert_eq!(
        run(&mut ks, "psetex a -1 x"),
        "-ERR invalid expire time in 'psetex' command\r\n"
    );
    assert_eq!(run(&mut ks, "setex a x x"), NOT_INT);
    assert_eq!(
        run(&mut ks, "setex a 10"),
        "-ERR wrong number of arguments for 'setex' command\r\n"
    );
}

#[test]
fn getex_changes_or_removes_the_ttl() {
    let (mut ks, _) = ks();
    run(&mut ks, "set a v");
    assert_eq!(run(&mut ks, "getex a ex 5"), "$1\r\nv\r\n");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 5_000)));
    assert_eq!(run(&mut ks, "getex a"), "$1\r\nv\r\n");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 5_000)));
    assert_eq!(run(&mut ks, "getex a persist"), "$1\r\nv\r\n");
    assert_eq!(ks.expire_at(b"a"), Some(None));
    assert_eq!(run(&mut ks, "getex a pxat 1"), "$1\r\nv\r\n");
    assert_eq!(run(&mut ks, "exists a"), ":0\r\n");
}

#[test]
fn getex_errors() {
    let (mut ks, _) = ks();
    run(&mut ks, "set a v");
    for c in [
        "getex a persist ex 1",
        "getex a nx",
        "getex a keepttl",
        "getex a get",
    ] {
        assert_eq!(run(&mut ks, c), SYNTAX, "{c}");
    }
    assert_eq!(
        run(&mut ks, "getex a ex -1"),
        "-ERR invalid expire time in 'getex' command\r\n"
    );
    // A missing key is looked up before the time is validated.
    assert_eq!(run(&mut ks, "getex missing ex -1"), "$-1\r\n");
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "getex l"), WRONGTYPE);
}

#[test]
fn getdel_and_getset() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "getdel a"), "$-1\r\n");
    run(&mut ks, "set a v ex 100");
    assert_eq!(run(&mut ks, "getset a w"), "$1\r\nv\r\n");
    assert_eq!(ks.expire_at(b"a"), Some(None));
    assert_eq!(run(&mut ks, "getdel a"), "$1\r\nw\r\n");
    assert_eq!(run(&mut ks, "exists a"), ":0\r\n");
    assert_eq!(run(&mut ks, "getset a x"), "$-1\r\n");
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "getdel l"), WRONGTYPE);
    assert_eq!(run(&mut ks, "getset l x"), WRONGTYPE);
}

#[test]
fn append_and_strlen_keep_the_ttl() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "append a hello"), ":5\r\n");
    ks.set_expire_at(b"a", NOW_MS + 100);
    assert_eq!(run(&mut ks, "append a _world"), ":11\r\n");
    assert_eq!(run(&mut ks, "get a"), "$11\r\nhello_world\r\n");
    assert_eq!(ks.expire_at(b"a"), Some(Some(NOW_MS + 100)));
    assert_eq!(run(&mut ks, "strlen a"), ":11\r\n");
    assert_eq!(run(&mut ks, "strlen missing"), ":0\r\n");
    assert_eq!(run_args(&mut ks, &[b"append", b"e", b""]), ":0\r\n");
    assert_eq!(run(&mut ks, "exists e"), ":1\r\n");
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "append l x"), WRONGTYPE);
    assert_eq!(run(&mut ks, "strlen l"), WRONGTYPE);
}

#[test]
fn getrange_clamps_like_redis_7_0() {
    let (mut ks, _) = ks();
    run(&mut ks, "set s hello");
    for (c, r) in [
        ("getrange s -3 -1", "$3\r\nllo\r\n"),
        ("getrange s 5 1", "$0\r\n\r\n"),
        ("getrange s -100 100", "$5\r\nhello\r\n"),
        ("getrange s 0 -100", "$1\r\nh\r\n"),
        ("getrange s -1 -6", "$0\r\n\r\n"),
        ("getrange s 10 20", "$0\r\n\r\n"),
        ("getrange missing 0 -1", "$0\r\n\r\n"),
        ("substr s 1 2", "$2\r\nel\r\n"),
        (
            "getrange s -9223372036854775808 9223372036854775807",
            "$5\r\nhello\r\n",
        ),
        ("getrange s x 1", NOT_INT),
    ] {
        assert_eq!(run(&mut ks, c), r, "{c}");
    }
    run_args(&mut ks, &[b"set", b"e", b""]);
    assert_eq!(run(&mut ks, "getrange e 0 -1"), "$0\r\n\r\n");
}

#[test]
fn setrange_pads_with_zero_bytes_and_checks_limits() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "setrange k 3 ab"), ":5\r\n");
    assert_eq!(run_args(&mut ks, &[b"get", b"k"]), "$5\r\n\0\0\0ab\r\n");
    assert_eq!(run(&mut ks, "setrange k 1 X"), ":5\r\n");
    assert_eq!(run_args(&mut ks, &[b"get", b"k"]), "$5\r\n\0X\0ab\r\n");
    assert_eq!(
        run(&mut ks, "setrange k -1 x"),
        "-ERR offset is out of range\r\n"
    );
    let big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    assert_eq!(run(&mut ks, "setrange k 536870912 x"), big);
    assert_eq!(run(&mut ks, "setrange k 9223372036854775807 x"), big);
    // Setting nothing never creates a key nor checks the size.
    assert_eq!(
        run_args(&mut ks, &[b"setrange", b"e", b"10", b""]),
        ":0\r\n"
    );
    assert_eq!(run(&mut ks, "exists e"), ":0\r\n");
    assert_eq!(
        run_args(&mut ks, &[b"setrange", b"k", b"536870912", b""]),
        ":5\r\n"
    );
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "setrange l 0 x"), WRONGTYPE);
}

#[test]
fn incr_family() {
    let (mut ks, _) = ks();
    assert_eq!(run(&mut ks, "incr n"), ":1\r\n");
    assert_eq!(run(&mut ks, "incrby n 41"), ":42\r\n");
    assert_eq!(run(&mut ks, "decr n"), ":41\r\n");
    assert_eq!(run(&mut ks, "decrby n 50"), ":-9\r\n");
    assert_eq!(run(&mut ks, "get n"), "$2\r\n-9\r\n");
    run(&mut ks, "set n 9223372036854775807");
    assert_eq!(
        run(&mut ks, "incr n"),
        "-ERR increment or decrement would overflow\r\n"
    );
    assert_eq!(
        run(&mut ks, "decrby n -9223372036854775808"),
        "-ERR decrement would overflow\r\n"
    );
    for v in [" 1", "01", "1.0", "", "-0", "99999999999999999999"] {
        run_args(&mut ks, &[b"set", b"n", v.as_bytes()]);
        assert_eq!(run(&mut ks, "incr n"), NOT_INT, "{v:?}");
    }
    assert_eq!(run(&mut ks, "incrby n x"), NOT_INT);
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "incr l"), WRONGTYPE);
}

#[test]
fn incr_keeps_the_ttl() {
    let (mut ks, _) = ks();
    run(&mut ks, "set n 5 px 500");
    assert_eq!(run(&mut ks, "incr n"), ":6\r\n");
    assert_eq!(ks.expire_at(b"n"), Some(Some(NOW_MS + 500)));
}

#[test]
fn incr_writes_in_place_or_anew_keeping_the_ttl_and_renewing_the_encoding() {
    let (mut ks, clock) = ks();
    run(&mut ks, "set n 8 px 500");
    assert_eq!(run(&mut ks, "append n 1"), ":2\r\n");
    assert_eq!(ks.str_mark(b"n"), StrMark::Raw);
    // As long as before: written over the old bytes, a new value.
    assert_eq!(run(&mut ks, "incr n"), ":82\r\n");
    assert_eq!(ks.str_mark(b"n"), StrMark::Encoded);
    assert_eq!(ks.expire_at(b"n"), Some(Some(NOW_MS + 500)));
    // Longer, then shorter: stored anew, the TTL kept.
    assert_eq!(run(&mut ks, "incrby n 18"), ":100\r\n");
    assert_eq!(run(&mut ks, "decrby n 200"), ":-100\r\n");
    assert_eq!(run(&mut ks, "incrby n 105"), ":5\r\n");
    assert_eq!(run(&mut ks, "get n"), "$1\r\n5\r\n");
    assert_eq!(ks.expire_at(b"n"), Some(Some(NOW_MS + 500)));
    assert_eq!(ks.len(), 1);
    // Once expired, the counter starts again, with no TTL.
    clock.advance(500);
    assert_eq!(run(&mut ks, "incr n"), ":1\r\n");
    assert_eq!(ks.expire_at(b"n"), Some(None));
    assert_eq!(ks.len(), 1);
}

#[test]
fn incrbyfloat_errors() {
    let (mut ks, _) = ks();
    run(&mut ks, "set f abc");
    assert_eq!(
        run(&mut ks, "incrbyfloat f 1"),
        "-ERR value is not a valid float\r\n"
    );
    run(&mut ks, "set f 1");
    assert_eq!(
        run(&mut ks, "incrbyfloat f x"),
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(
        run(&mut ks, "incrbyfloat f nan"),
        "-ERR value is not a valid float\r\n"
    );
    assert_eq!(
        run(&mut ks, "incrbyfloat f inf"),
        "-ERR increment would produce NaN or Infinity\r\n"
    );
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "incrbyfloat l 1"), WRONGTYPE);
}

#[test]
fn incrbyfloat_prints_like_redis() {
    let (mut ks, _) = ks();
    run(&mut ks, "set f 10.5");
    assert_eq!(run(&mut ks, "incrbyfloat f 0.1"), "$4\r\n10.6\r\n");
    assert_eq!(run(&mut ks, "incrbyfloat f -10.6"), "$1\r\n0\r\n");
    run(&mut ks, "set f 3.0e3");
    assert_eq!(run(&mut ks, "incrbyfloat f 0"), "$4\r\n3000\r\n");
    assert_eq!(run(&mut ks, "incrbyfloat missing 1.5"), "$3\r\n1.5\r\n");
}

#[test]
fn mget_mset_msetnx() {
    let (mut ks, _) = ks();
    with_list(&mut ks);
    assert_eq!(run(&mut ks, "mset a 1 b 2"), "+OK\r\n");
    assert_eq!(
        run(&mut ks, "mget a l nope b"),
        "*4\r\n$1\r\n1\r\n$-1\r\n$-1\r\n$1\r\n2\r\n"
    );
    assert_eq!(run(&mut ks, "msetnx c 3 a 9"), ":0\r\n");
    assert_eq!(run(&mut ks, "exists c"), ":0\r\n");
    assert_eq!(run(&mut ks, "msetnx c 3 d 4"), ":1\r\n");
    assert_eq!(run(&mut ks, "mget c d"), "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
    for (c, name) in [
        ("mset a", "mset"),
        ("mset a 1 b", "mset"),
        ("msetnx a 1 b", "msetnx"),
        ("mget", "mget"),
    ] {
        assert_eq!(
            run(&mut ks, c),
            format!("-ERR wrong number of arguments for '{name}' command\r\n")
        );
    }
}

#[test]
fn lcs_string_len_and_idx() {
    let (mut ks, _) = ks();
    run(&mut ks, "mset a ohmytext b mynewtext");
    assert_eq!(run(&mut ks, "lcs a b"), "$6\r\nmytext\r\n");
    assert_eq!(run(&mut ks, "lcs a b len"), ":6\r\n");
    assert_eq!(
        run(&mut ks, "lcs a b idx"),
        "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
         *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"
    );
    assert_eq!(
        run(&mut ks, "lcs a b idx minmatchlen 4 withmatchlen"),
        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
         $3\r\nlen\r\n:6\r\n"
    );
    assert_eq!(run(&mut ks, "lcs x y"), "$0\r\n\r\n");
    assert_eq!(
        run(&mut ks, "lcs x y idx"),
        "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
    );
    assert_eq!(run(&mut ks, "lcs a b minmatchlen -5 len"), ":6\r\n");
}

#[test]
fn lcs_errors() {
    let (mut ks, _) = ks();
    with_list(&mut ks);
    assert_eq!(
        run(&mut ks, "lcs a b len idx"),
        "-ERR If you want both the length and indexes, please just use IDX.\r\n"
    );
    assert_eq!(
        run(&mut ks, "lcs l a"),
        "-ERR The specified keys must contain string values\r\n"
    );
    assert_eq!(run(&mut ks, "lcs a b minmatchlen"), SYNTAX);
    assert_eq!(run(&mut ks, "lcs a b foo"), SYNTAX);
    assert_eq!(run(&mut ks, "lcs a b minmatchlen x"), NOT_INT);
    run(&mut ks, "setrange x 11999 a");
    run(&mut ks, "setrange y 11999 b");
    assert_eq!(
        run(&mut ks, "lcs x y len"),
        "-ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len\r\n"
    );
    assert_eq!(
        run(&mut ks, "lcs a"),
        "-ERR wrong number of arguments for 'lcs' command\r\n"
    );
}

#[test]
fn lcs_idx_is_a_map_in_resp3() {
    let (mut ks, _) = ks();
    let mut buf = Vec::new();
    crate::commands::execute(
        &mut ks,
        &[b"lcs", b"x", b"y", b"idx"],
        &mut Reply::new(&mut buf, Proto::Resp3),
    );
    assert_eq!(buf, b"%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n");
}

/// One step of the model test.
#[derive(Debug, Clone)]
enum Op {
    Append(Vec<u8>),
    SetRange(u16, Vec<u8>),
    GetRange(i64, i64),
    IncrBy(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Op::Append),
        (0u16..40, proptest::collection::vec(any::<u8>(), 0..8))
            .prop_map(|(o, v)| Op::SetRange(o, v)),
        (-50i64..50, -50i64..50).prop_map(|(a, b)| Op::GetRange(a, b)),
        prop_oneof![-1000i64..1000, any::<i64>()].prop_map(Op::IncrBy),
    ]
}

/// Redis's GETRANGE on a byte model.
fn model_range(v: &[u8], s: i64, e: i64) -> Vec<u8> {
    let n = v.len() as i64;
    if s < 0 && e < 0 && s > e {
        return Vec::new();
    }
    let s = if s < 0 { (n + s).max(0) } else { s };
    let e = if e < 0 { (n + e).max(0) } else { e }.min(n - 1);
    if n == 0 || s > e {
        Vec::new()
    } else {
        v[s as usize..=e as usize].to_vec()
    }
}

fn bulk(v: &[u8]) -> String {
    let mut b = format!("${}\r\n", v.len()).into_bytes();
    b.extend_from_slice(v);
    b.extend_from_slice(b"\r\n");
    String::from_utf8_lossy(&b).into_owned()
}

fn apply(ks: &mut Keyspace, model: &mut Option<Vec<u8>>, op: &Op) {
    match op {
        Op::Append(t) => {
            let m = model.get_or_insert_with(Vec::new);
            m.extend_from_slice(t);
            let r = run_args(ks, &[b"append", b"k", t]);
            assert_eq!(r, format!(":{}\r\n", m.len()));
        }
        Op::SetRange(o, t) => {
            let off = o.to_string();
            let r = run_args(ks, &[b"setrange", b"k", off.as_bytes(), t]);
            if !t.is_empty() {
                let m = model.get_or_insert_with(Vec::new);
                let end = *o as usize + t.len();
                if m.len() < end {
                    m.resize(end, 0);
                }
                m[*o as usize..end].copy_from_slice(t);
            }
            assert_eq!(r, format!(":{}\r\n", model.as_ref().map_or(0, Vec::len)));
        }
        Op::GetRange(s, e) => {
            let want = model_range(model.as_deref().unwrap_or_default(), *s, *e);
            assert_eq!(run(ks, &format!("getrange k {s} {e}")), bulk(&want));
        }
        Op::IncrBy(by) => {
            let r = run(ks, &format!("incrby k {by}"));
            let cur = match model.as_deref() {
                None => Some(0),
                Some(b) => crate::commands::parse_i64(b),
            };
            match cur.map(|c| c.checked_add(*by)) {
                None => assert_eq!(r, NOT_INT),
                Some(None) => assert_eq!(r, "-ERR increment or decrement would overflow\r\n"),
                Some(Some(n)) => {
                    assert_eq!(r, format!(":{n}\r\n"));
                    *model = Some(n.to_string().into_bytes());
                }
            }
        }
    }
}

proptest! {
    #[test]
    fn append_setrange_getrange_incrby_match_a_model(ops in proptest::collection::vec(op(), 1..40)) {
        let (mut ks, _) = ks();
        let mut model: Option<Vec<u8>> = None;
        for op in &ops {
            apply(&mut ks, &mut model, op);
        }
        let got = run(&mut ks, "get k");
        match &model {
            None => prop_assert_eq!(got, "$-1\r\n"),
            Some(m) => prop_assert_eq!(got, bulk(m)),
        }
    }
}

#[test]
fn resp3_nulls_and_bulks() {
    let (mut ks, _) = ks();
    run(&mut ks, "set a 1");
    let mut buf = Vec::new();
    let mut out = Reply::new(&mut buf, Proto::Resp3);
    for cmd in [
        "mget a nope",
        "getex nope",
        "set a 2 nx",
        "incrbyfloat a 0.5",
        "getdel nope",
    ] {
        let argv: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        crate::commands::execute(&mut ks, &argv, &mut out);
    }
    assert_eq!(buf, b"*2\r\n$1\r\n1\r\n_\r\n_\r\n_\r\n$3\r\n1.5\r\n_\r\n");
}
