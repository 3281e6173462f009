//! Micro-benchmarks of the request path's pieces: the RESP parser (GET/SET
//! fast path, general multibulk, inline), slot hashing, request record
//! framing (what batching writes into a ring), and keyspace operations
//! through command execution (GET, SET, HINCRBY; GET with a million keys
//! carrying TTLs next to a million keys without).
//!
//! Run: `cargo bench -p benches --bench core` (a filter narrows it, e.g.
//! `cargo bench -p benches --bench core -- keyspace`).

use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use proxy::resp::{Limits, Parsed, RequestParser};
use shardd::{
    commands::execute,
    keyspace::Keyspace,
    reply::{Proto, Reply},
    slot::key_slot,
};
use shared_ring::msg::{request_len, write_request, Request, RequestHeader};

const PIPELINE: usize = 100;

fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    benches::encode_command(&mut out, args);
    out
}

/// Parses every command in `buf`, returning how many there were.
fn parse_all(parser: &mut RequestParser, buf: &mut [u8], limits: &Limits) -> usize {
    let (mut at, mut n) = (0, 0);
    loop {
        match parser.parse(&mut buf[at..], limits) {
            Ok(Parsed::Command { args, consumed }) => {
                black_box(&args);
                at += consumed;
                n += 1;
            }
            Ok(Parsed::Skip { consumed }) => at += consumed,
            _ => return n,
        }
    }
}

fn parser(c: &mut Criterion) {
    let mut g = c.benchmark_group("parser");
    let value = [b'v'; 32];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("get_fast_path", resp(&[b"GET", b"key:000000000001"])),
        (
            "set_fast_path",
            resp(&[b"SET", b"key:000000000001", &value]),
        ),
        (
            "hset_general",
            resp(&[b"HSET", b"hash:00000000001", b"field", &value]),
        ),
        ("inline_get", b"GET key:000000000001\r\n".to_vec()),
    ];
    let limits = Limits::default();
    for (name, one) in cases {
        let template: Vec<u8> = one.repeat(PIPELINE);
        g.throughput(Throughput::Elements(PIPELINE as u64));
        g.bench_function(name, |b| {
            let mut parser = RequestParser::new();
            let mut buf = template.clone();
            b.iter(|| {
                // Inline parsing unescapes in place: start from clean bytes.
                buf.copy_from_slice(&template);
                assert_eq!(parse_all(&mut parser, &mut buf, &limits), PIPELINE);
            })
        });
    }
    g.finish();
}

fn slots(c: &mut Criterion) {
    let mut g = c.benchmark_group("slot_hash");
    g.bench_function("16B_key", |b| {
        b.iter(|| key_slot(black_box(b"key:000000000001")))
    });
    g.bench_function("hash_tag", |b| {
        b.iter(|| key_slot(black_box(b"{user:1000}:profile:name")))
    });
    g.finish();
}

fn framing(c: &mut Criterion) {
    let mut g = c.benchmark_group("request_record");
    let args: [&[u8]; 3] = [b"SET", b"key:000000000001", &[b'v'; 32]];
    let len = request_len(&args);
    let mut buf = vec![0u8; len * 16];
    g.throughput(Throughput::Elements(16));
    g.bench_function("write_and_parse_batch_of_16_SET", |b| {
        b.iter(|| {
            for i in 0..16 {
                let rec = &mut buf[i * len..(i + 1) * len];
                let h = RequestHeader {
                    id: i as u64,
                    proto: 2,
                    flags: 0,
                    kind: 0,
                    origin: 0,
                    db: 0,
                };
                write_request(rec, h, &args);
            }
            for i in 0..16 {
                let req = Request::parse(&buf[i * len..(i + 1) * len]).expect("record");
                black_box(req.args().count());
            }
        })
    });
    g.finish();
}

fn key(i: u64) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

/// A keyspace with `n` string keys of 32-byte values, each with a TTL an
/// hour ahead if `ttl`.
fn loaded(n: u64, ttl: bool) -> Keyspace {
    let mut ks = Keyspace::new();
    let mut out = Vec::new();
    for i in 0..n {
        let k = key(i);
        let args: Vec<&[u8]> = if ttl {
            vec![b"SET", &k, &[b'v'; 32], b"EX", b"3600"]
        } else {
            vec![b"SET", &k, &[b'v'; 32]]
        };
        out.clear();
        execute(&mut ks, &args, &mut Reply::new(&mut out, Proto::Resp2));
    }
    ks
}

fn keyspace(c: &mut Criterion) {
    let mut g = c.benchmark_group("keyspace");
    g.sample_size(30);
    const N: u64 = 1_000_000;
    // xorshift so every iteration hits a different, cache-cold key.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % N
    };
    let mut out = Vec::with_capacity(256);
    for ttl in [false, true] {
        let mut ks = loaded(N, ttl);
        let label = if ttl {
            "1M_keys_all_with_ttl"
        } else {
            "1M_keys_no_ttl"
        };
        g.bench_with_input(BenchmarkId::new("GET", label), &ttl, |b, _| {
            b.iter(|| {
                let k = key(next());
                out.clear();
                execute(
                    &mut ks,
                    &[b"GET", &k],
                    &mut Reply::new(&mut out, Proto::Resp2),
                );
                black_box(out.len())
            })
        });
        if !ttl {
            g.bench_with_input(BenchmarkId::new("SET", label), &ttl, |b, _| {
                b.iter(|| {
                    let k = key(next());
                    out.clear();
                    execute(
                        &mut ks,
                        &[b"SET", &k, &[b'w'; 32]],
                        &mut Reply::new(&mut out, Proto::Resp2),
                    );
                    black_box(out.len())
                })
            });
        }
    }
    let mut ks = Keyspace::new();
    for i in 0..100_000u64 {
        let h = format!("hash:{i:011}").into_bytes();
        out.clear();
        execute(
            &mut ks,
            &[b"HSET", &h, b"f1", b"1", b"f2", b"2"],
            &mut Reply::new(&mut out, Proto::Resp2),
        );
    }
    let mut i = 0u64;
    g.bench_function("HINCRBY/100k_small_hashes", |b| {
        b.iter(|| {
            i = (i + 7919) % 100_000;
            let h = format!("hash:{i:011}").into_bytes();
            out.clear();
            execute(
                &mut ks,
                &[b"HINCRBY", &h, b"f2", b"3"],
                &mut Reply::new(&mut out, Proto::Resp2),
            );
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = parser, slots, framing, keyspace
}
criterion_main!(benches);
