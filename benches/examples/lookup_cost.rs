//! Instructions per keyspace lookup at 1M keys (61 a slot), for callgrind:
//! loads 1M string keys of 32-byte values, then runs 200,000 GETs
//! (`measured_gets`) and 200,000 SETs (`measured_sets`) of random keys.
//! Count one phase with
//! `valgrind --tool=callgrind --toggle-collect='*measured_gets*'
//! target/release/examples/lookup_cost` (`cargo build --release -p
//! benches --example lookup_cost`); `callgrind_annotate --inclusive=yes`
//! then shows `commands::execute`'s share.

use common::reply::{Proto, Reply};
use shardd::{commands::execute, keyspace::Keyspace};
use std::hint::black_box;

fn key(i: u64) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

/// `n` GETs (or SETs) of keys drawn from `seed`: the reply bytes.
fn run(ks: &mut Keyspace, n: u64, mut x: u64, set: bool, out: &mut Vec<u8>) -> usize {
    let mut total = 0;
    for _ in 0..n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let k = key(x % 1_000_000);
        out.clear();
        let args: [&[u8]; 3] = [b"SET", &k, &[b'w'; 32]];
        let argv: &[&[u8]] = if set { &args } else { &[b"GET", &k] };
        execute(ks, argv, &mut Reply::new(out, Proto::Resp2));
        total += out.len();
    }
    total
}

#[inline(never)]
fn measured_gets(ks: &mut Keyspace, n: u64, out: &mut Vec<u8>) -> usize {
    run(ks, n, 0x9e37_79b9_7f4a_7c15, false, out)
}

#[inline(never)]
fn measured_sets(ks: &mut Keyspace, n: u64, out: &mut Vec<u8>) -> usize {
    run(ks, n, 0x1234_5678_9abc_def1, true, out)
}

fn main() {
    let mut ks = Keyspace::new();
    let mut out = Vec::new();
    for i in 0..1_000_000u64 {
        let k = key(i);
        out.clear();
        execute(
            &mut ks,
            &[b"SET", &k, &[b'v'; 32]],
            &mut Reply::new(&mut out, Proto::Resp2),
        );
    }
    black_box(measured_gets(&mut ks, 200_000, &mut out));
    black_box(measured_sets(&mut ks, 200_000, &mut out));
}
