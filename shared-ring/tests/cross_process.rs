//! Two real processes over real shared memory: the test process serves the
//! control socket and a `ring-peer` process attaches (or the other way
//! round), as a shard and a proxy worker do.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command},
    time::{Duration, Instant},
};

use shared_ring::{
    control::{attach, ControlListener, Hello, RingConfig},
    testgen::Gen,
    wait::{send_blocking, wait_readable},
    Channel, Doorbell, RingError,
};

/// Kills and reaps its child when dropped, so no test leaves a process behind.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_peer(args: &[&str]) -> Peer {
    Peer(
        Command::new(env!("CARGO_BIN_EXE_ring-peer"))
            .args(args)
            .spawn()
            .expect("spawn ring-peer"),
    )
}

fn temp_sock(name: &str) -> (tempdir::Dir, PathBuf) {
    let dir = tempdir::Dir::new(name);
    let sock = dir.path().join("ctl.sock");
    (dir, sock)
}

mod tempdir {
    use std::path::{Path, PathBuf};

    /// A directory removed when dropped.
    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new(name: &str) -> Dir {
            let p = std::env::temp_dir().join(format!(
                "shared-ring-{name}-{}-{:?}",
                std::process::id(),
                std::time::SystemTime::now()
            ));
            std::fs::create_dir_all(&p).expect("temp dir");
            Dir(p)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn me() -> Hello {
    Hello {
        generation: 99,
        id: 0,
        max_record: 1 << 24,
        info: b"test".to_vec(),
    }
}

/// Accepts one attach within a bounded time.
fn accept_one(listener: &ControlListener, bell: &Doorbell) -> Channel {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < deadline, "no peer attached in time");
        bell.wait(&[listener.fd()], Some(Duration::from_millis(200)))
            .expect("wait");
        if let Some(ch) = listener.accept(&me(), bell).expect("accept") {
            return ch;
        }
    }
}

/// Receives `count` records from `ch` and checks each against `seed`.
fn receive_and_check(ch: &mut Channel, bell: &Doorbell, count: u64, seed: u64) {
    let mut gen = Gen::new(seed);
    let mut next = 0u64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while next < count {
        assert!(Instant::now() < deadline, "records stopped at {next}");
        // A timeout here with records waiting would be a lost wake-up.
        let ready = wait_readable(ch, bell, Duration::from_secs(10)).expect("peer alive");
        assert!(ready || ch.rx.is_empty(), "lost wake-up at record {next}");
        ch.rx
            .poll(|rec| {
                assert!(gen.check(next, rec), "record {next} is damaged");
                next += 1;
                true
            })
            .expect("ring intact");
    }
}

#[test]
fn ten_million_records_arrive_complete_and_in_order() {
    let (_dir, sock) = temp_sock("bulk");
    let bell = Doorbell::new().unwrap();
    let listener = ControlListener::bind(&sock).unwrap();
    let count = 10_000_000u64;
    let mut peer = spawn_peer(&["produce", sock.to_str().unwrap(), &count.to_string(), "7"]);
    let mut ch = accept_one(&listener, &bell);
    assert_eq!(ch.peer.id, 1);
    receive_and_check(&mut ch, &bell, count, 7);
    assert!(peer.0.wait().unwrap().success());
}

#[test]
fn no_wake_up_is_lost_when_the_producer_pauses_at_random() {
    let (_dir, sock) = temp_sock("park");
    let bell = Doorbell::new().unwrap();
    let listener = ControlListener::bind(&sock).unwrap();
    // Random pauses of up to 300 us between random batches make the consumer
    // park and wake thousands of times.
    let mut peer = spawn_peer(&["produce", sock.to_str().unwrap(), "200000", "11", "300"]);
    let mut ch = accept_one(&listener, &bell);
    receive_and_check(&mut ch, &bell, 200_000, 11);
    assert!(peer.0.wait().unwrap().success());
}

fn wait_for_hang_up(ch: &Channel, bell: &Doorbell) -> Duration {
    let t = Instant::now();
    loop {
        let ready = bell
            .wait(&[ch.control_fd()], Some(Duration::from_secs(10)))
            .unwrap();
        if !ready.is_empty() && !ch.peer_alive() {
            return t.elapsed();
        }
        assert!(t.elapsed() < Duration::from_secs(10), "death not seen");
    }
}

#[test]
fn a_killed_producer_is_seen_at_once_and_a_new_one_attaches_to_clean_rings() {
    let (_dir, sock) = temp_sock("kill");
    let bell = Doorbell::new().unwrap();
    let listener = ControlListener::bind(&sock).unwrap();
    let mut peer = spawn_peer(&["hold", sock.to_str().unwrap()]);
    let ch = accept_one(&listener, &bell);
    assert!(ch.peer_alive());
    let killed = Instant::now();
    peer.0.kill().unwrap();
    let seen = wait_for_hang_up(&ch, &bell);
    eprintln!(
        "producer death seen {:?} after kill -9",
        killed.elapsed().min(seen)
    );
    drop(ch);

    let _peer2 = spawn_peer(&["produce", sock.to_str().unwrap(), "1000", "5"]);
    let mut ch2 = accept_one(&listener, &bell);
    receive_and_check(&mut ch2, &bell, 1000, 5);
}

fn wait_for_file(p: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !p.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", p.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_killed_server_is_seen_by_the_attached_side() {
    let (_dir, sock) = temp_sock("srv");
    let mut server = spawn_peer(&["serve-echo", sock.to_str().unwrap()]);
    wait_for_file(&sock);
    let bell = Doorbell::new().unwrap();
    let cfg = RingConfig {
        capacity_bytes: 1 << 16,
        max_record_bytes: 1 << 24,
    };
    let mut ch = attach(&sock, &me(), &bell, cfg).unwrap();
    // A round trip, including a record four times the ring's size.
    let big = vec![9u8; 1 << 18];
    for rec in [&b"ping"[..], &big[..]] {
        send_blocking(&mut ch, &bell, rec, Duration::from_secs(10)).unwrap();
        ch.tx.publish();
        let mut got = None;
        while got.is_none() {
            assert!(wait_readable(&ch, &bell, Duration::from_secs(10)).unwrap());
            ch.rx
                .poll(|r| {
                    got = Some(r.to_vec());
                    true
                })
                .unwrap();
        }
        assert_eq!(got.as_deref(), Some(rec));
    }
    server.0.kill().unwrap();
    let seen = wait_for_hang_up(&ch, &bell);
    eprintln!("server death seen within {seen:?}");
    assert!(matches!(
        wait_readable(&ch, &bell, Duration::from_secs(5)),
        Err(RingError::PeerGone)
    ));
}
