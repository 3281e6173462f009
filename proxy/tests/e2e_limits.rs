//! Bad input and limits: error texts for unknown commands and wrong
//! arity, protocol errors that close only the offending connection,
//! maxclients, clients that vanish mid-pipeline or never read, and many
//! clients at once.

mod common;

use std::{
    io::Write,
    time::{Duration, Instant},
};

use common::{bulk, err, wait_until, Opts, Raw, Server, IO_TIMEOUT, OK};
use redis::Commands;

#[test]
fn unknown_commands_and_wrong_arity_get_redis_error_texts() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.expect(
        &["FOO", "a", "b"],
        err("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "),
    );
    c.expect(
        &["nosuch"],
        err("ERR unknown command 'nosuch', with args beginning with: "),
    );
    c.expect(
        &["GET"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    c.expect(
        &["GET", "a", "b"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    c.expect(
        &["MSET", "a", "1", "b"],
        err("ERR wrong number of arguments for 'mset' command"),
    );
    c.expect(
        &["CONFIG", "GET"],
        err("ERR wrong number of arguments for 'config|get' command"),
    );
    c.expect(&["PING"], "+PONG\r\n");
}

/// Sends `bad` on a fresh connection and checks it gets `reply` and is
/// closed, while `other` keeps working.
fn assert_protocol_error_closes_only_that_connection(
    s: &Server,
    other: &mut Raw,
    bad: &[u8],
    reply: &str,
) {
    let mut c = s.raw();
    c.send(bad);
    assert!(c.closed_within(IO_TIMEOUT), "{bad:?} closes the connection");
    assert_eq!(
        String::from_utf8_lossy(&c.take_buffered()),
        reply,
        "reply to {bad:?}"
    );
    other.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn protocol_errors_close_only_the_offending_connection() {
    let s = Server::with_shards(2);
    let mut other = s.raw();
    other.expect(&["SET", "kept", "1"], OK);
    let cases: [(&[u8], &str); 6] = [
        (
            b"*1\r\n$600000000\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*abc\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*3000000\r\n",
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            b"*1\r\n$-5\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n$x\r\n",
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            b"*1\r\n+PING\r\n",
            "-ERR Protocol error: expected '$', got '+'\r\n",
        ),
    ];
    for (bad, reply) in cases {
        assert_protocol_error_closes_only_that_connection(&s, &mut other, bad, reply);
    }
    let long_inline = vec![b'a'; 70_000];
    assert_protocol_error_closes_only_that_connection(
        &s,
        &mut other,
        &long_inline,
        "-ERR Protocol error: too big inline request\r\n",
    );
    assert_protocol_error_closes_only_that_connection(
        &s,
        &mut other,
        b"SET \"unbalanced x\r\n",
        "-ERR Protocol error: unbalanced quotes in request\r\n",
    );
    // Commands before the error in the same write are answered first.
    let mut c = s.raw();
    c.send(b"*1\r\n$4\r\nPING\r\n*x\r\n");
    assert!(c.closed_within(IO_TIMEOUT));
    assert_eq!(
        String::from_utf8_lossy(&c.take_buffered()),
        "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"
    );
    other.expect(&["GET", "kept"], bulk("1"));
}

/// Opens a connection that the server accepted (PING answered), retrying
/// while connections that just closed still count against maxclients.
fn admitted(s: &Server) -> Raw {
    let deadline = Instant::now() + IO_TIMEOUT;
    loop {
        let mut c = s.raw();
        match c.try_cmd(&["PING"]) {
            Ok(r) if r == b"+PONG\r\n" => return c,
            other => assert!(
                Instant::now() < deadline,
                "no connection admitted: {other:?}"
            ),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn maxclients_refuses_the_connection_past_the_limit() {
    let s = Server::start(Opts::shards(2).flag("--maxclients", "5"));
    let mut held: Vec<Raw> = (0..5).map(|_| admitted(&s)).collect();
    let mut extra = s.raw();
    assert!(
        extra.closed_within(IO_TIMEOUT),
        "the sixth client is closed"
    );
    assert_eq!(
        String::from_utf8_lossy(&extra.take_buffered()),
        "-ERR max number of clients reached\r\n"
    );
    for c in &mut held {
        c.expect(&["PING"], "+PONG\r\n");
    }
    // A freed place can be taken again.
    held.pop();
    let mut again = admitted(&s);
    again.expect(&["SET", "a", "1"], OK);
}

#[test]
fn a_client_dropped_mid_pipeline_does_not_disturb_others() {
    let s = Server::start(Opts::shards(3).workers(2));
    let mut other = s.client();
    let mut pipeline = Vec::new();
    for i in 0..20_000 {
        pipeline.extend(common::encode(&[
            "SET",
            &format!("drop:{i}"),
            "xxxxxxxxxxxxxxxx",
        ]));
        pipeline.extend(common::encode(&["GET", &format!("drop:{i}")]));
    }
    for round in 0..5 {
        let mut c = s.raw();
        // Send as much as goes out quickly, then vanish without reading.
        let _ = c.stream.set_write_timeout(Some(Duration::from_millis(200)));
        let _ = c.stream.write_all(&pipeline);
        drop(c);
        let key = format!("other:{round}");
        let () = other.set(&key, round).expect("SET from another client");
        let got: i64 = other.get(&key).expect("GET from another client");
        assert_eq!(got, round);
    }
    let mut fresh = s.raw();
    fresh.expect(&["SET", "after", "1"], OK);
    fresh.expect(&["GET", "after"], bulk("1"));
    assert!(common::pid_alive(s.pid()), "the proxy is still running");
    // The dropped clients leave the registry: only `other` and `fresh` stay.
    wait_until(
        IO_TIMEOUT,
        "the dropped clients to leave CLIENT LIST",
        || fresh.client_count() == 2,
    );
}

#[test]
fn announced_huge_requests_allocate_nothing_up_front() {
    const CONNS: usize = 20;
    let s = Server::with_shards(2);
    let rss_before = s.rss_bytes();
    let mut conns = Vec::new();
    for i in 0..CONNS {
        let mut c = s.raw();
        // Half announce a 500 MB bulk, half a million arguments; none send them.
        if i % 2 == 0 {
            c.send(b"*2\r\n$3\r\nGET\r\n$500000000\r\npartial");
        } else {
            c.send(b"*1000000\r\n$3\r\nGET\r\n");
        }
        conns.push(c);
    }
    // Every one of them was read: the server is still answering others.
    let mut other = s.raw();
    other.expect(&["SET", "k", "v"], OK);
    wait_until(IO_TIMEOUT, "all the connections to be registered", || {
        other.client_count() == CONNS + 1
    });
    let growth = s.rss_bytes().saturating_sub(rss_before);
    assert!(
        growth < 64 << 20,
        "proxy RSS grew by {} MiB for {CONNS} announced requests",
        growth >> 20
    );
    for c in &mut conns {
        assert_eq!(
            c.try_read_reply(Duration::from_millis(1)),
            Err(common::NoReply::Timeout)
        );
    }
    other.expect(&["GET", "k"], bulk("v"));
}

#[test]
fn a_client_that_never_reads_keeps_the_proxy_memory_bounded() {
    const VALUE_BYTES: usize = 256 << 10;
    const MAX_GETS: usize = 1024; // 256 MiB of replies if all were queued
    let s = Server::with_shards(2);
    let mut setup = s.raw();
    setup.send(&common::encode(&[
        b"SET".to_vec(),
        b"big".to_vec(),
        vec![b'x'; VALUE_BYTES],
    ]));
    assert_eq!(setup.read_reply(), b"+OK\r\n");
    let rss_before = s.rss_bytes();
    let mut hog = s.raw();
    let _ = hog
        .stream
        .set_write_timeout(Some(Duration::from_millis(300)));
    let get = common::encode(&["GET", "big"]);
    let mut sent = 0;
    // Stop when the proxy stops reading (our write blocks) or at the cap.
    while sent < MAX_GETS {
        if hog.stream.write_all(&get).is_err() {
            break;
        }
        sent += 1;
    }
    // Others are served while the hog's replies pile up.
    let mut other = s.raw();
    other.expect(&["SET", "small", "1"], OK);
    other.expect(&["GET", "small"], bulk("1"));
    // Let the proxy settle, then measure.
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < deadline {
        peak = peak.max(s.rss_bytes());
        std::thread::sleep(Duration::from_millis(20));
    }
    let growth = peak.saturating_sub(rss_before);
    eprintln!(
        "slow reader: {sent} GETs sent, proxy RSS {} MiB -> peak {} MiB",
        rss_before >> 20,
        peak >> 20
    );
    // 32 MiB of backlog, 128 replies in flight (32 MiB) and allocator slack.
    assert!(
        growth < 128 << 20,
        "proxy RSS grew by {} MiB for a client that never reads",
        growth >> 20
    );
    other.expect(&["PING"], "+PONG\r\n");
    drop(hog);
    wait_until(IO_TIMEOUT, "the proxy to serve after the hog left", || {
        s.raw().try_cmd(&["PING"]).is_ok_and(|r| r == b"+PONG\r\n")
    });
}

#[test]
fn two_hundred_concurrent_clients_each_see_their_own_values() {
    const CLIENTS: usize = 200;
    const ROUNDS: usize = 25;
    let s = Server::start(Opts::shards(3).workers(2));
    let url = s.url();
    let started = Instant::now();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let url = url.clone();
                scope.spawn(move || {
                    let mut con = common::client_for(&url);
                    for r in 0..ROUNDS {
                        let key = format!("cc:{c}:{}", r % 5);
                        let value = format!("{c}-{r}");
                        let () = con.set(&key, &value).expect("SET");
                        let got: String = con.get(&key).expect("GET");
                        assert_eq!(got, value, "client {c} round {r}");
                    }
                    let n: i64 = con.incr("cc:total", 1).expect("INCR");
                    assert!(n >= 1);
                })
            })
            .collect();
        for h in handles {
            h.join().expect("a client thread");
        }
    });
    let mut c = s.raw();
    c.expect(&["GET", "cc:total"], bulk(&CLIENTS.to_string()));
    c.expect(&["GET", "cc:199:4"], bulk(&format!("199-{}", ROUNDS - 1)));
    eprintln!("200 clients took {:?}", started.elapsed());
}

#[test]
fn client_kill_closes_a_client_that_never_reads() {
    const VALUE_BYTES: usize = 1 << 20;
    let s = Server::with_shards(2);
    let mut killer = s.raw();
    killer.send(&common::encode(&[
        b"SET".to_vec(),
        b"big".to_vec(),
        vec![b'x'; VALUE_BYTES],
    ]));
    assert_eq!(killer.read_reply(), b"+OK\r\n");
    let fds_before = s.fd_count();
    let mut hog = s.raw();
    let id = String::from_utf8_lossy(&hog.cmd(&["CLIENT", "ID"]))
        .trim_start_matches(':')
        .trim_end()
        .to_string();
    let mut gets = Vec::new();
    for _ in 0..100 {
        gets.extend(common::encode(&["GET", "big"]));
    }
    hog.send(&gets);
    // The replies pile up past the backlog limit: the proxy stops reading.
    wait_until(IO_TIMEOUT, "the hog's replies to pile up", || {
        s.rss_bytes() > 64 << 20
    });
    killer.expect(&["CLIENT", "KILL", "ID", &id], common::int(1));
    wait_until(IO_TIMEOUT, "the proxy to close the hog's socket", || {
        s.fd_count() < fds_before + 1
    });
    killer.expect(&["PING"], "+PONG\r\n");
    drop(hog);
}

#[test]
fn concurrent_pipelines_of_split_commands_on_two_workers_stay_in_order() {
    const CLIENTS: usize = 16;
    const ROUNDS: usize = 400;
    let s = Server::start(Opts::shards(4).workers(2));
    let url = s.url();
    std::thread::scope(|scope| {
        for c in 0..CLIENTS {
            let url = url.clone();
            scope.spawn(move || {
                let mut con = common::client_for(&url);
                let mut pipe = redis::pipe();
                let mut want = Vec::new();
                for r in 0..ROUNDS {
                    let (k1, k2, k3) = (
                        format!("mix:{c}:{r}:a"),
                        format!("mix:{c}:{r}:b"),
                        format!("mix:{c}:{r}:c"),
                    );
                    pipe.cmd("MSET")
                        .arg(&k1)
                        .arg(r)
                        .arg(&k2)
                        .arg(c)
                        .arg(&k3)
                        .arg("z");
                    want.push(redis::Value::Okay);
                    pipe.cmd("MGET").arg(&k3).arg("mix:none").arg(&k1).arg(&k2);
                    want.push(redis::Value::Array(vec![
                        redis::Value::BulkString(b"z".to_vec()),
                        redis::Value::Nil,
                        redis::Value::BulkString(r.to_string().into_bytes()),
                        redis::Value::BulkString(c.to_string().into_bytes()),
                    ]));
                    pipe.cmd("INCR").arg("mix:shared");
                    want.push(redis::Value::Int(0)); // any value; checked below
                    pipe.cmd("DEL").arg(&k2).arg(&k1).arg("mix:none");
                    want.push(redis::Value::Int(2));
                    pipe.cmd("EXISTS").arg(&k1).arg(&k2).arg(&k3);
                    want.push(redis::Value::Int(1));
                }
                let got: Vec<redis::Value> = pipe.query(&mut con).expect("the pipeline");
                assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                    if i % 5 == 2 {
                        assert!(
                            matches!(g, redis::Value::Int(n) if *n > 0),
                            "INCR {i}: {g:?}"
                        );
                    } else {
                        assert_eq!(g, w, "client {c} reply {i}");
                    }
                }
            });
        }
    });
    let mut c = s.raw();
    c.expect(
        &["GET", "mix:shared"],
        bulk(&(CLIENTS * ROUNDS).to_string()),
    );
}
