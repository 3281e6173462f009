//! The real `shardd` binary serving requests over real rings.

use std::{
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

use shared_ring::{
    attach,
    msg::{self, RequestHeader},
    wait::{send_blocking, wait_readable},
    Channel, Doorbell, Hello, RingConfig,
};

struct Proc(Child, PathBuf);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

fn start_shard(name: &str) -> (Proc, PathBuf) {
    let dir = std::env::temp_dir().join(format!("shardd-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let child = Command::new(env!("CARGO_BIN_EXE_shardd"))
        .args(["--id", "3", "--dir", dir.to_str().expect("utf8")])
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("spawn shardd");
    let sock = dir.join("shard.sock");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "shardd did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    (Proc(child, dir), sock)
}

fn connect(sock: &std::path::Path) -> (Channel, Doorbell) {
    let bell = Doorbell::new().unwrap();
    let me = Hello {
        generation: 1,
        id: 7,
        max_record: 1 << 24,
        info: Vec::new(),
    };
    let cfg = RingConfig {
        capacity_bytes: 1 << 16,
        max_record_bytes: 1 << 24,
    };
    // The socket file appears at bind, before the shard listens, and a
    // shard starved of CPU may miss the handshake's time limit: attempts
    // until a deadline, a little apart.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match attach(sock, &me, &bell, cfg) {
            Ok(ch) => return (ch, bell),
            Err(e) if Instant::now() >= deadline => {
                panic!("attach failed until the deadline: {e:?}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// The command id the proxy would put in the record.
fn kind_of(args: &[&[u8]]) -> u16 {
    common::table::resolve(args).expect("a known command").id as u16
}

fn call(ch: &mut Channel, bell: &Doorbell, id: u64, args: &[&[u8]]) -> Vec<u8> {
    let mut rec = vec![0u8; msg::request_len(args)];
    let h = RequestHeader {
        id,
        proto: 2,
        flags: 0,
        kind: kind_of(args),
        origin: 0,
        db: 0,
    };
    msg::write_request(&mut rec, h, args);
    send_blocking(ch, bell, &rec, Duration::from_secs(10)).unwrap();
    ch.tx.publish();
    let mut reply = None;
    while reply.is_none() {
        assert!(wait_readable(ch, bell, Duration::from_secs(10)).unwrap());
        ch.rx
            .poll(|r| {
                let (rid, _, body) = msg::parse_reply(r).unwrap();
                assert_eq!(rid, id);
                reply = Some(body.to_vec());
                false
            })
            .unwrap();
    }
    reply.unwrap_or_default()
}

#[test]
fn shardd_executes_commands_from_a_ring_and_replies_in_order() {
    let (_shard, sock) = start_shard("basic");
    let (mut ch, bell) = connect(&sock);
    assert_eq!(ch.peer.id, 3);
    assert_eq!(call(&mut ch, &bell, 1, &[b"SET", b"k", b"v"]), b"+OK\r\n");
    assert_eq!(call(&mut ch, &bell, 2, &[b"GET", b"k"]), b"$1\r\nv\r\n");
    assert_eq!(call(&mut ch, &bell, 3, &[b"GET", b"nope"]), b"$-1\r\n");
    // A value four times the ring's size goes through both ways.
    let big = vec![b'x'; 1 << 18];
    assert_eq!(call(&mut ch, &bell, 4, &[b"SET", b"big", &big]), b"+OK\r\n");
    let reply = call(&mut ch, &bell, 5, &[b"GET", b"big"]);
    let mut want = format!("${}\r\n", big.len()).into_bytes();
    want.extend_from_slice(&big);
    want.extend_from_slice(b"\r\n");
    assert!(reply == want, "big value came back damaged");
}

#[test]
fn a_pipeline_larger_than_the_ring_is_answered_completely_in_order() {
    let (_shard, sock) = start_shard("pipe");
    let (mut ch, bell) = connect(&sock);
    let n = 20_000u64;
    let mut next_reply = 0u64;
    let check = |ch: &mut Channel, next_reply: &mut u64| {
        ch.rx
            .poll(|r| {
                let (rid, _, body) = msg::parse_reply(r).unwrap();
                assert_eq!(rid, *next_reply);
                assert_eq!(body, b"+OK\r\n");
                *next_reply += 1;
                true
            })
            .unwrap();
    };
    for id in 0..n {
        let key = format!("key:{id}");
        let args: [&[u8]; 3] = [b"SET", key.as_bytes(), b"value"];
        let mut rec = vec![0u8; msg::request_len(&args)];
        msg::write_request(
            &mut rec,
            RequestHeader {
                id,
                proto: 2,
                flags: 0,
                kind: kind_of(&args),
                origin: 0,
                db: 0,
            },
            &args,
        );
        // Keep draining replies so neither ring stays full.
        while ch.tx.push(&rec).is_err() {
            ch.tx.publish();
            check(&mut ch, &mut next_reply);
            wait_readable(&ch, &bell, Duration::from_millis(50)).unwrap();
        }
    }
    ch.tx.publish();
    let deadline = Instant::now() + Duration::from_secs(30);
    while next_reply < n {
        assert!(Instant::now() < deadline, "replies stopped at {next_reply}");
        wait_readable(&ch, &bell, Duration::from_secs(1)).unwrap();
        check(&mut ch, &mut next_reply);
    }
}

#[test]
fn a_worker_that_dies_does_not_disturb_the_next_one() {
    let (_shard, sock) = start_shard("reattach");
    {
        let (mut ch, bell) = connect(&sock);
        assert_eq!(call(&mut ch, &bell, 1, &[b"SET", b"a", b"1"]), b"+OK\r\n");
    }
    let (mut ch, bell) = connect(&sock);
    assert_eq!(call(&mut ch, &bell, 9, &[b"GET", b"a"]), b"$1\r\n1\r\n");
}
