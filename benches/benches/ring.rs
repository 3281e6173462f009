//! Ring throughput and round-trip benchmarks.
//!
//! In-process: one thread pushes a batch, publishes and drains it (the cost
//! of framing and the two stores). Cross-process: the records go to a
//! `ring-bench-peer` process on the other core, which acks a fence record
//! at the end of each measured run. Round trip: one record out and back
//! with both sides spinning, then with both sides parking.
//!
//! Run: `cargo bench -p benches --bench ring`.

use std::{
    path::PathBuf,
    process::{Child, Command},
    time::{Duration, Instant},
};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use shared_ring::{
    control::{attach, Hello, RingConfig},
    ring::local_pair,
    wait::{send_blocking, wait_readable},
    Channel, Doorbell,
};

const FENCE: u8 = 0xFF;
const SIZES: [usize; 2] = [32, 1024];
const BATCHES: [usize; 3] = [1, 16, 256];

fn in_process(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring_in_process");
    for size in SIZES {
        for batch in BATCHES {
            let (mut p, mut cons) = local_pair(1 << 20, 1 << 20).expect("ring");
            let rec = vec![7u8; size];
            g.throughput(Throughput::Elements(batch as u64));
            g.bench_with_input(
                BenchmarkId::new(format!("{size}B"), batch),
                &batch,
                |b, &batch| {
                    b.iter(|| {
                        for _ in 0..batch {
                            p.push(&rec).expect("room");
                        }
                        p.publish();
                        let mut n = 0;
                        cons.poll(|r| {
                            n += r.len();
                            true
                        })
                        .expect("poll");
                        n
                    })
                },
            );
        }
    }
    g.finish();
}

struct Peer {
    child: Child,
    ch: Channel,
    bell: Doorbell,
    _dir: PathBuf,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

fn start_peer(mode: &str, wait: &str) -> Peer {
    let dir = std::env::temp_dir().join(format!("ring-bench-{}-{mode}-{wait}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let sock = dir.join("ctl.sock");
    let child = Command::new(env!("CARGO_BIN_EXE_ring-bench-peer"))
        .args([mode, sock.to_str().expect("utf8 path"), wait])
        .spawn()
        .expect("spawn peer");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !sock.exists() {
        assert!(Instant::now() < deadline, "peer did not start");
        std::thread::sleep(Duration::from_millis(2));
    }
    let bell = Doorbell::new().expect("bell");
    let me = Hello {
        generation: 2,
        id: 1,
        max_record: 1 << 20,
        info: Vec::new(),
    };
    let cfg = RingConfig {
        capacity_bytes: 1 << 20,
        max_record_bytes: 1 << 20,
    };
    let ch = attach(&sock, &me, &bell, cfg).expect("attach");
    Peer {
        child,
        ch,
        bell,
        _dir: dir,
    }
}

fn recv_one(peer: &mut Peer, spin: bool) {
    let mut got = false;
    while !got {
        if !spin {
            wait_readable(&peer.ch, &peer.bell, Duration::from_secs(10)).expect("peer alive");
        }
        peer.ch
            .rx
            .poll(|_| {
                got = true;
                false
            })
            .expect("poll");
    }
}

fn cross_process(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring_cross_process");
    let timeout = Duration::from_secs(10);
    // The reader parking when idle (what shards do) and spinning (the ceiling).
    for wait in ["park", "spin"] {
        let mut peer = start_peer("sink", wait);
        for size in SIZES {
            let rec = vec![7u8; size];
            for batch in BATCHES {
                g.throughput(Throughput::Elements(batch as u64));
                let id = BenchmarkId::new(format!("{size}B-{wait}"), batch);
                g.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        let t = Instant::now();
                        for _ in 0..iters {
                            for _ in 0..batch {
                                send_blocking(&mut peer.ch, &peer.bell, &rec, timeout)
                                    .expect("send");
                            }
                            peer.ch.tx.publish();
                        }
                        send_blocking(&mut peer.ch, &peer.bell, &[FENCE], timeout).expect("fence");
                        peer.ch.tx.publish();
                        recv_one(&mut peer, false);
                        t.elapsed()
                    })
                });
            }
        }
    }
    g.finish();
}

fn round_trip(c: &mut Criterion) {
    let mut g = c.benchmark_group("ring_round_trip");
    for wait in ["spin", "park"] {
        let mut peer = start_peer("echo", wait);
        let spin = wait == "spin";
        g.bench_function(wait, |b| {
            b.iter(|| {
                send_blocking(&mut peer.ch, &peer.bell, b"ping", Duration::from_secs(10))
                    .expect("send");
                peer.ch.tx.publish();
                recv_one(&mut peer, spin);
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    targets = in_process, cross_process, round_trip
}
criterion_main!(benches);
