//! The wire: RESP3 after `HELLO 3`, AUTH with `--requirepass`, inline
//! commands, and deep pipelines answered in order.

mod common;

use common::{bulk, err, int, key_on_shard, Opts, Server, NIL, OK};
use redis::{Commands, Value};

#[test]
fn hello_3_switches_the_connection_to_resp3_maps_and_nulls() {
    let s = Server::with_shards(3);
    let mut c = s.raw();
    c.expect(&["GET", "missing"], NIL);
    let hello = c.cmd_str(&["HELLO", "3"]);
    assert!(
        hello.starts_with("%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n"),
        "{hello:?}"
    );
    assert!(hello.contains("$5\r\nproto\r\n:3\r\n"), "{hello:?}");
    c.expect(&["GET", "missing"], "_\r\n");
    let port = s.port.to_string();
    c.expect(
        &["CONFIG", "GET", "port"],
        format!("%1\r\n$4\r\nport\r\n{}", bulk(&port)),
    );
    // A merged reply (keys on different shards) is RESP3 too.
    let a = key_on_shard("r3", 0, 3);
    let b = key_on_shard("r3", 2, 3);
    c.expect(&["SET", &a, "v"], OK);
    c.expect(
        &["MGET", &b, &a, "missing"],
        format!("*3\r\n_\r\n{}_\r\n", bulk("v")),
    );
    let hello = c.cmd_str(&["HELLO", "2"]);
    assert!(hello.starts_with("*14\r\n"), "{hello:?}");
    c.expect(&["GET", "missing"], NIL);
}

#[test]
fn hello_with_a_bad_protocol_version_is_refused() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.expect(&["HELLO", "4"], err("NOPROTO unsupported protocol version"));
    c.expect(
        &["HELLO", "x"],
        err("ERR Protocol version is not an integer or out of range"),
    );
}

#[test]
fn the_redis_crate_speaks_resp3_through_the_proxy() {
    let s = Server::with_shards(3);
    let mut con = s.client_resp3();
    let v: Value = redis::cmd("GET")
        .arg("missing")
        .query(&mut con)
        .expect("GET");
    assert_eq!(v, Value::Nil);
    let v: Value = redis::cmd("CONFIG")
        .arg("GET")
        .arg("port")
        .query(&mut con)
        .expect("CONFIG GET");
    assert_eq!(
        v,
        Value::Map(vec![(
            Value::BulkString(b"port".to_vec()),
            Value::BulkString(s.port.to_string().into_bytes())
        )])
    );
    let () = con.set("k", "v").expect("SET");
    let got: Option<String> = con.get("k").expect("GET");
    assert_eq!(got.as_deref(), Some("v"));
    let v: Value = redis::cmd("CLIENT")
        .arg("INFO")
        .query(&mut con)
        .expect("CLIENT INFO");
    assert!(matches!(v, Value::VerbatimString { .. }), "{v:?}");
}

#[test]
fn requirepass_refuses_commands_until_auth_succeeds() {
    let s = Server::start(Opts::shards(2).requirepass("s3cret"));
    let mut c = s.raw();
    c.expect(&["GET", "a"], err("NOAUTH Authentication required."));
    c.expect(
        &["AUTH", "wrong"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    c.expect(
        &["AUTH", "nobody", "s3cret"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    c.expect(&["GET", "a"], err("NOAUTH Authentication required."));
    c.expect(&["AUTH", "s3cret"], OK);
    c.expect(&["SET", "a", "1"], OK);
    c.expect(&["GET", "a"], bulk("1"));
    let mut d = s.raw();
    c.expect(&["AUTH", "default", "s3cret"], OK);
    d.expect(&["PING"], err("NOAUTH Authentication required."));
}

#[test]
fn hello_3_auth_authenticates_and_switches_protocol_at_once() {
    let s = Server::start(Opts::shards(2).requirepass("s3cret"));
    let mut c = s.raw();
    let refused = c.cmd_str(&["HELLO", "3"]);
    assert!(
        refused.starts_with("-NOAUTH HELLO must be called"),
        "{refused:?}"
    );
    let bad = c.cmd_str(&["HELLO", "3", "AUTH", "default", "nope"]);
    assert_eq!(
        bad,
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    let hello = c.cmd_str(&["HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "me"]);
    assert!(hello.starts_with("%7\r\n"), "{hello:?}");
    c.expect(&["GET", "missing"], "_\r\n");
    c.expect(&["CLIENT", "GETNAME"], bulk("me"));
    // The redis crate authenticates from the URL.
    let mut con = s.client();
    let () = con.set("x", 5).expect("SET after AUTH");
    let n: i64 = con.get("x").expect("GET");
    assert_eq!(n, 5);
}

#[test]
fn inline_commands_work_over_raw_tcp() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.send(b"PING\r\n");
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    c.send(b"SET a b\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    c.send(b"GET a\n");
    assert_eq!(c.read_reply(), b"$1\r\nb\r\n");
    c.send(b"SET \"with space\" 'x y'\r\nGET \"with space\"\r\n\r\nEXISTS a nope\r\n");
    assert_eq!(c.read_reply(), b"+OK\r\n");
    assert_eq!(c.read_reply(), b"$3\r\nx y\r\n");
    assert_eq!(c.read_reply(), b":1\r\n");
    c.expect(&["GET", "with space"], bulk("x y"));
}

#[test]
fn a_pipeline_of_ten_thousand_mixed_commands_is_answered_in_order() {
    let s = Server::with_shards(3);
    let mut con = s.client();
    let mut pipe = redis::pipe();
    let mut want = Vec::with_capacity(10_000);
    let mut counter = 0;
    for i in 0..10_000 {
        match i % 6 {
            0 => {
                pipe.cmd("SET").arg(format!("p:{i}")).arg(format!("v{i}"));
                want.push(Value::Okay);
            }
            1 => {
                pipe.cmd("GET").arg(format!("p:{}", i - 1));
                want.push(Value::BulkString(format!("v{}", i - 1).into_bytes()));
            }
            2 => {
                counter += 1;
                pipe.cmd("INCR").arg("p:counter");
                want.push(Value::Int(counter));
            }
            3 => {
                // Keys on different shards: split, then merged in key order.
                pipe.cmd("MGET")
                    .arg(format!("p:{}", i - 3))
                    .arg(format!("p:{}", i - 2))
                    .arg("p:counter");
                want.push(Value::Array(vec![
                    Value::BulkString(format!("v{}", i - 3).into_bytes()),
                    Value::Nil,
                    Value::BulkString(counter.to_string().into_bytes()),
                ]));
            }
            4 => {
                // Answered by the proxy itself, between shard replies.
                pipe.cmd("ECHO").arg(format!("e{i}"));
                want.push(Value::BulkString(format!("e{i}").into_bytes()));
            }
            _ => {
                pipe.cmd("EXISTS")
                    .arg(format!("p:{}", i - 5))
                    .arg(format!("p:{}", i - 4))
                    .arg(format!("p:{}", i - 3));
                want.push(Value::Int(1));
            }
        }
    }
    let got: Vec<Value> = pipe.query(&mut con).expect("the pipeline");
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "reply {i}");
    }
}

#[test]
fn a_raw_pipeline_of_large_values_is_answered_in_order() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let mut bytes = Vec::new();
    let value = |i: usize| vec![b'a' + (i % 26) as u8; 300_000 + i * 1000];
    for i in 0..20 {
        bytes.extend(common::encode(&[
            b"SET".to_vec(),
            format!("big:{i}").into_bytes(),
            value(i),
        ]));
        bytes.extend(common::encode(&["STRLEN", &format!("big:{i}")]));
    }
    c.send(&bytes);
    for i in 0..20 {
        assert_eq!(c.read_reply(), b"+OK\r\n", "SET {i}");
        assert_eq!(
            c.read_reply(),
            int(value(i).len() as i64).as_bytes(),
            "STRLEN {i}"
        );
    }
}

#[test]
fn a_client_that_has_not_authenticated_may_only_send_small_requests() {
    let s = Server::start(Opts::shards(2).requirepass("s3cret"));
    let mut c = s.raw();
    c.send(b"*11\r\n");
    assert!(c.closed_within(common::IO_TIMEOUT), "closed");
    assert_eq!(
        String::from_utf8_lossy(&c.take_buffered()),
        "-ERR Protocol error: unauthenticated multibulk length\r\n"
    );
    let mut c = s.raw();
    c.send(b"*2\r\n$4\r\nAUTH\r\n$20000\r\n");
    assert!(c.closed_within(common::IO_TIMEOUT), "closed");
    assert_eq!(
        String::from_utf8_lossy(&c.take_buffered()),
        "-ERR Protocol error: unauthenticated bulk length\r\n"
    );
    // Once authenticated, the ordinary limits apply.
    let mut c = s.raw();
    c.expect(&["AUTH", "s3cret"], OK);
    let mut mset = vec!["MSET".to_string()];
    for i in 0..10 {
        mset.push(format!("{{t}}k{i}"));
        mset.push("x".repeat(20_000));
    }
    let args: Vec<&str> = mset.iter().map(String::as_str).collect();
    c.expect(&args, OK);
    c.expect(&["STRLEN", "{t}k9"], int(20_000));
}

#[test]
fn client_reply_off_and_skip_drop_replies() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let mut bytes = common::encode(&["CLIENT", "REPLY", "SKIP"]);
    bytes.extend(common::encode(&["SET", "rk", "1"]));
    bytes.extend(common::encode(&["CLIENT", "REPLY", "OFF"]));
    bytes.extend(common::encode(&["INCR", "rk"]));
    bytes.extend(common::encode(&["GET", "rk"]));
    bytes.extend(common::encode(&["CLIENT", "REPLY", "ON"]));
    bytes.extend(common::encode(&["GET", "rk"]));
    c.send(&bytes);
    assert_eq!(c.read_reply(), b"+OK\r\n", "CLIENT REPLY ON answers");
    assert_eq!(c.read_reply(), bulk("2").as_bytes());
}

#[test]
fn binary_keys_and_values_round_trip() {
    let s = Server::with_shards(3);
    let mut con = s.client();
    let key: Vec<u8> = b"bin\r\n\0key\xff{x}".to_vec();
    let value: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    let () = con.set(&key, &value).expect("SET");
    let got: Vec<u8> = con.get(&key).expect("GET");
    assert_eq!(got, value);
    let n: i64 = con.exists(&key).expect("EXISTS");
    assert_eq!(n, 1);
}

#[test]
fn a_pipeline_larger_than_the_shard_rings_is_answered_in_order() {
    const N: usize = 40_000;
    let s = Server::start(Opts::shards(3).workers(2));
    let mut c = s.raw();
    let value = "v".repeat(200);
    let mut bytes = Vec::with_capacity(N * 300);
    for i in 0..N {
        bytes.extend(common::encode(&["SET", &format!("ring:{i}"), &value]));
        bytes.extend(common::encode(&["STRLEN", &format!("ring:{}", i / 2)]));
    }
    // Write on another thread while this one reads, as a real client does.
    let mut writer = c.stream.try_clone().expect("clone the socket");
    let sender = std::thread::spawn(move || std::io::Write::write_all(&mut writer, &bytes));
    for i in 0..N {
        assert_eq!(c.read_reply(), b"+OK\r\n", "SET {i}");
        assert_eq!(c.read_reply(), b":200\r\n", "STRLEN {i}");
    }
    sender.join().expect("the writer").expect("all written");
}

#[test]
fn wide_mgets_over_every_shard_merge_in_key_order() {
    const KEYS: usize = 1_000;
    let s = Server::with_shards(4);
    let mut con = s.client();
    let pairs: Vec<(String, String)> = (0..KEYS)
        .map(|i| (format!("wide:{i}"), format!("{i}")))
        .collect();
    let () = con.mset(&pairs).expect("MSET");
    let mut pipe = redis::pipe();
    for r in 0..50 {
        // Every other key is missing; the rotation changes the shard order.
        let keys: Vec<String> = (0..KEYS)
            .map(|i| format!("wide:{}", (i + r * 7) % (2 * KEYS)))
            .collect();
        pipe.cmd("MGET").arg(keys);
    }
    let got: Vec<Vec<Option<String>>> = pipe.query(&mut con).expect("the MGETs");
    for (r, reply) in got.iter().enumerate() {
        let want: Vec<Option<String>> = (0..KEYS)
            .map(|i| (i + r * 7) % (2 * KEYS))
            .map(|k| (k < KEYS).then(|| k.to_string()))
            .collect();
        assert_eq!(reply, &want, "MGET {r}");
    }
}

#[test]
fn reset_returns_the_connection_to_resp2_and_unauthenticated() {
    let s = Server::start(Opts::shards(2).requirepass("s3cret"));
    let mut c = s.raw();
    let hello = c.cmd_str(&["HELLO", "3", "AUTH", "default", "s3cret"]);
    assert!(hello.starts_with("%7\r\n"), "{hello:?}");
    c.expect(&["CLIENT", "SETNAME", "before"], OK);
    c.expect(&["RESET"], "+RESET\r\n");
    c.expect(&["GET", "a"], err("NOAUTH Authentication required."));
    c.expect(&["AUTH", "s3cret"], OK);
    c.expect(&["GET", "missing"], NIL);
    c.expect(&["CLIENT", "GETNAME"], NIL);
}

#[test]
fn one_reads_replies_leave_together_but_never_wait_behind_a_blocking_command() {
    let s = Server::with_shards(2);
    let (k0, k1) = (key_on_shard("hold", 0, 2), key_on_shard("hold", 1, 2));
    let mut a = s.raw();
    // One write: a reply the proxy makes, then a BLPOP that waits: the
    // PONG comes while it waits.
    let mut bytes = common::encode(&["PING"]);
    bytes.extend(common::encode(&["BLPOP", &k1, "0"]));
    a.send(&bytes);
    assert_eq!(a.read_reply(), b"+PONG\r\n");
    let mut c = s.client();
    let _: i64 = c.rpush(&k1, "x").expect("RPUSH");
    let popped = format!("*2\r\n${}\r\n{k1}\r\n$1\r\nx\r\n", k1.len());
    assert_eq!(String::from_utf8_lossy(&a.read_reply()), popped);
    // The same behind commands for each shard.
    let mut bytes = common::encode(&["SET", &k0, "v0"]);
    bytes.extend(common::encode(&["GET", &k1]));
    bytes.extend(common::encode(&["PING"]));
    bytes.extend(common::encode(&["BLPOP", &k1, "0"]));
    a.send(&bytes);
    assert_eq!(a.read_reply(), OK.as_bytes());
    assert_eq!(a.read_reply(), NIL.as_bytes());
    assert_eq!(a.read_reply(), b"+PONG\r\n");
    let _: i64 = c.rpush(&k1, "x").expect("RPUSH");
    assert_eq!(String::from_utf8_lossy(&a.read_reply()), popped);
    // A transaction sent in one write is answered in full.
    let mut bytes = common::encode(&["MULTI"]);
    bytes.extend(common::encode(&["SET", &k0, "v1"]));
    bytes.extend(common::encode(&["GET", &k0]));
    bytes.extend(common::encode(&["EXEC"]));
    a.send(&bytes);
    assert_eq!(a.read_reply(), OK.as_bytes());
    assert_eq!(a.read_reply(), b"+QUEUED\r\n");
    assert_eq!(a.read_reply(), b"+QUEUED\r\n");
    assert_eq!(a.read_reply(), b"*2\r\n+OK\r\n$2\r\nv1\r\n");
}
