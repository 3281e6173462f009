//! A load generator for many connections, used by `ops/bench` next to
//! `redis-benchmark` (which runs one command type at a time and no
//! transactions).
//!
//! ```text
//! loadgen --port 6379 [--conns 400] [--requests 1000000] [--pipeline 1]
//!         [--read-ratio 0.8] [--keys 100000] [--size 32] [--seconds 120]
//!         [--workload getset|tx|rename|smove|evalsha] [--tx-sets 2] [--spread 1]
//! ```
//!
//! Each connection sends `pipeline` operations, waits for all their
//! replies, and records the batch's latency for each operation. An
//! operation is, by `--workload`:
//!
//! - `getset` (default): GET with probability `read-ratio`, else SET of a
//!   `size`-byte value, on `key:N` for a random `N < keys`;
//! - `tx`: `MULTI`, `tx-sets` SETs, `EXEC`; with `--spread 0` the keys of
//!   one transaction share a hash tag (one shard), with `--spread 1` they
//!   do not (several shards);
//! - `rename`: `RENAME` of the connection's key to its other name and
//!   back, the two names on different shards with `--spread 1` (of
//!   shardis with `--shards N`, default 2);
//! - `smove`: `SMOVE` of a member between the connection's two sets;
//! - `evalsha`: `EVALSHA` of a script making `tx-sets` `redis.call('SET')`s
//!   on its KEYS (loaded with `SCRIPT LOAD` first), the keys on one shard
//!   with `--spread 0` (a hash tag), anywhere with `--spread 1`.
//!
//! The run stops after `requests` operations in all or `seconds`,
//! whichever comes first, and prints one JSON line:
//! `{"rps":..,"p50":..,"p95":..,"p99":..,"p99.9":..}` (operations per
//! second; milliseconds). Only 127.0.0.1 is ever a target.

use std::{
    cell::RefCell,
    rc::Rc,
    time::{Duration, Instant},
};

use benches::{encode_command, flag_pairs, options_or_usage, parse_flag, Rng};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

struct Opts {
    port: u16,
    conns: usize,
    requests: u64,
    pipeline: usize,
    read_ratio: f64,
    keys: u64,
    size: usize,
    seconds: u64,
    workload: Workload,
    tx_sets: usize,
    spread: bool,
    shards: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Workload {
    GetSet,
    Tx,
    Rename,
    Smove,
    EvalSha,
}

/// The script of the `evalsha` workload: one SET per key.
const SET_SCRIPT: &str = "for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[1]) end return #KEYS";

fn parse_opts() -> Result<Opts, String> {
    let mut o = Opts {
        port: 6379,
        conns: 400,
        requests: 1_000_000,
        pipeline: 1,
        read_ratio: 0.8,
        keys: 100_000,
        size: 32,
        seconds: 120,
        workload: Workload::GetSet,
        tx_sets: 2,
        spread: true,
        shards: 2,
    };
    for (flag, v) in flag_pairs(std::env::args().skip(1))? {
        match flag.as_str() {
            "--port" => o.port = parse_flag(&flag, &v)?,
            "--conns" => o.conns = parse_flag(&flag, &v)?,
            "--requests" => o.requests = parse_flag(&flag, &v)?,
            "--pipeline" => o.pipeline = parse_flag(&flag, &v)?,
            "--read-ratio" => o.read_ratio = parse_flag(&flag, &v)?,
            "--keys" => o.keys = parse_flag(&flag, &v)?,
            "--size" => o.size = parse_flag(&flag, &v)?,
            "--seconds" => o.seconds = parse_flag(&flag, &v)?,
            "--workload" => {
                o.workload = match v.as_str() {
                    "getset" => Workload::GetSet,
                    "tx" => Workload::Tx,
                    "rename" => Workload::Rename,
                    "smove" => Workload::Smove,
                    "evalsha" => Workload::EvalSha,
                    _ => return Err(format!("unknown workload {v}")),
                }
            }
            "--tx-sets" => o.tx_sets = parse_flag(&flag, &v)?,
            "--spread" => o.spread = parse_flag::<u8>(&flag, &v)? != 0,
            "--shards" => o.shards = parse_flag(&flag, &v)?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if o.conns == 0 || o.pipeline == 0 || o.keys == 0 {
        return Err("--conns, --pipeline and --keys must be positive".into());
    }
    Ok(o)
}

/// Length of the first complete reply in `buf` (simple types, bulk
/// strings and arrays of them), or None if incomplete.
fn reply_len(buf: &[u8]) -> Result<Option<usize>, String> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        return Ok(None);
    };
    match buf.first() {
        Some(b'+' | b'-' | b':' | b'_') => Ok(Some(nl + 1)),
        Some(b'*') => {
            let n: i64 = std::str::from_utf8(&buf[1..nl.saturating_sub(1)])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or("bad array header")?;
            let mut at = nl + 1;
            for _ in 0..n.max(0) {
                match reply_len(&buf[at..])? {
                    Some(len) => at += len,
                    None => return Ok(None),
                }
            }
            Ok(Some(at))
        }
        Some(b'$') => {
            let n: i64 = std::str::from_utf8(&buf[1..nl.saturating_sub(1)])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or("bad bulk header")?;
            if n < 0 {
                return Ok(Some(nl + 1));
            }
            let total = nl + 1 + n as usize + 2;
            Ok((buf.len() >= total).then_some(total))
        }
        _ => Err(format!(
            "unexpected reply: {:?}",
            String::from_utf8_lossy(&buf[..nl])
        )),
    }
}

struct Shared {
    issued: u64,
    latencies_us: Vec<u32>,
    errors: u64,
}

async fn connection(
    o: Rc<Opts>,
    shared: Rc<RefCell<Shared>>,
    seed: u64,
    deadline: Instant,
) -> Result<(), String> {
    let mut s = TcpStream::connect(("127.0.0.1", o.port))
        .await
        .map_err(|e| e.to_string())?;
    let _ = s.set_nodelay(true);
    let value = vec![b'x'; o.size];
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(4096);
    let mut inb: Vec<u8> = Vec::with_capacity(16 << 10);
    // The connection's two names for `rename`/`smove` (a hash tag puts
    // them on one shard unless spread), and which holds the value now.
    let (name_a, name_b) = if o.spread {
        // Two names on different shards of shardis's even split of the
        // slots over `--shards` (all the same to a single server).
        let shard = |k: &str| shardd::slot::key_slot(k.as_bytes()) as usize * o.shards / 16384;
        let a = format!("mv:a:{seed}");
        let b = (0..)
            .map(|i| format!("mv:b:{seed}:{i}"))
            .find(|b| o.shards < 2 || shard(b) != shard(&a))
            .unwrap_or_default();
        (a, b)
    } else {
        (format!("mv:{{{seed}}}:a"), format!("mv:{{{seed}}}:b"))
    };
    let mut at_a = true;
    match o.workload {
        Workload::Rename => {
            encode_command(&mut out, &[b"SET".as_slice(), name_a.as_bytes(), &value]);
            encode_command(&mut out, &[b"DEL".as_slice(), name_b.as_bytes()]);
        }
        Workload::Smove => {
            encode_command(
                &mut out,
                &[b"DEL".as_slice(), name_a.as_bytes(), name_b.as_bytes()],
            );
            encode_command(&mut out, &[b"SADD".as_slice(), name_a.as_bytes(), b"m"]);
        }
        Workload::EvalSha => {
            encode_command(
                &mut out,
                &[b"SCRIPT".as_slice(), b"LOAD", SET_SCRIPT.as_bytes()],
            );
            encode_command(&mut out, &[b"PING".as_slice()]);
        }
        _ => {}
    }
    let sha = common::script::sha1_hex(SET_SCRIPT.as_bytes());
    if !out.is_empty() {
        s.write_all(&out).await.map_err(|e| e.to_string())?;
        let mut got = 0;
        while got < 2 {
            let n = s.read_buf(&mut inb).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("server closed the connection".into());
            }
            let mut at = 0;
            while let Some(n) = reply_len(&inb[at..])? {
                at += n;
                got += 1;
            }
            inb.drain(..at);
        }
    }
    // Replies per operation.
    let per_op = match o.workload {
        Workload::Tx => o.tx_sets + 2,
        _ => 1,
    };
    loop {
        {
            let mut sh = shared.borrow_mut();
            if sh.issued >= o.requests || Instant::now() >= deadline {
                return Ok(());
            }
            sh.issued += o.pipeline as u64;
        }
        out.clear();
        for _ in 0..o.pipeline {
            match o.workload {
                Workload::GetSet => {
                    let key = format!("key:{:012}", rng.below(o.keys));
                    let read = rng.below(1_000_000) as f64 / 1e6 < o.read_ratio;
                    if read {
                        encode_command(&mut out, &[b"GET".as_slice(), key.as_bytes()]);
                    } else {
                        encode_command(&mut out, &[b"SET".as_slice(), key.as_bytes(), &value]);
                    }
                }
                Workload::Tx => {
                    encode_command(&mut out, &[b"MULTI".as_slice()]);
                    let tag = rng.below(o.keys);
                    for _ in 0..o.tx_sets {
                        let key = if o.spread {
                            format!("key:{:012}", rng.below(o.keys))
                        } else {
                            format!("key:{{{tag}}}:{}", rng.below(o.keys))
                        };
                        encode_command(&mut out, &[b"SET".as_slice(), key.as_bytes(), &value]);
                    }
                    encode_command(&mut out, &[b"EXEC".as_slice()]);
                }
                Workload::EvalSha => {
                    let tag = rng.below(o.keys);
                    let mut args: Vec<Vec<u8>> = vec![
                        b"EVALSHA".to_vec(),
                        sha.as_bytes().to_vec(),
                        o.tx_sets.to_string().into_bytes(),
                    ];
                    for _ in 0..o.tx_sets {
                        let key = if o.spread {
                            format!("key:{:012}", rng.below(o.keys))
                        } else {
                            format!("key:{{{tag}}}:{}", rng.below(o.keys))
                        };
                        args.push(key.into_bytes());
                    }
                    args.push(value.clone());
                    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
                    encode_command(&mut out, &refs);
                }
                Workload::Rename | Workload::Smove => {
                    let (from, to) = if at_a {
                        (&name_a, &name_b)
                    } else {
                        (&name_b, &name_a)
                    };
                    at_a = !at_a;
                    if o.workload == Workload::Rename {
                        encode_command(
                            &mut out,
                            &[b"RENAME".as_slice(), from.as_bytes(), to.as_bytes()],
                        );
                    } else {
                        encode_command(
                            &mut out,
                            &[b"SMOVE".as_slice(), from.as_bytes(), to.as_bytes(), b"m"],
                        );
                    }
                }
            }
        }
        let t0 = Instant::now();
        s.write_all(&out).await.map_err(|e| e.to_string())?;
        let mut got = 0;
        let want = o.pipeline * per_op;
        while got < want {
            let mut at = 0;
            while let Some(n) = reply_len(&inb[at..])? {
                if inb[at] == b'-' {
                    shared.borrow_mut().errors += 1;
                }
                at += n;
                got += 1;
            }
            inb.drain(..at);
            if got < want {
                let n = s.read_buf(&mut inb).await.map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("server closed the connection".into());
                }
            }
        }
        let us = t0.elapsed().as_micros().min(u32::MAX as u128) as u32;
        let mut sh = shared.borrow_mut();
        for _ in 0..o.pipeline {
            sh.latencies_us.push(us);
        }
    }
}

fn main() -> std::process::ExitCode {
    let usage = "--port P [--conns N] [--requests N] [--pipeline N] [--read-ratio F] [--keys N] [--size N] [--seconds N] [--workload getset|tx|rename|smove|evalsha] [--tx-sets N] [--spread 0|1] [--shards N]";
    let o = match options_or_usage("loadgen", usage, parse_opts()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            std::process::exit(1);
        }
    };
    let o = Rc::new(o);
    let shared = Rc::new(RefCell::new(Shared {
        issued: 0,
        latencies_us: Vec::with_capacity(o.requests.min(50_000_000) as usize),
        errors: 0,
    }));
    let local = tokio::task::LocalSet::new();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(o.seconds);
    let result = local.block_on(&rt, async {
        let tasks: Vec<_> = (0..o.conns)
            .map(|i| {
                tokio::task::spawn_local(connection(
                    o.clone(),
                    shared.clone(),
                    0x9e37_79b9 * (i as u64 + 1),
                    deadline,
                ))
            })
            .collect();
        for t in tasks {
            match t.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(e) => return Err(e.to_string()),
            }
        }
        Ok(())
    });
    let elapsed = started.elapsed().as_secs_f64();
    if let Err(e) = result {
        eprintln!("loadgen: {e}");
        std::process::exit(1);
    }
    let mut sh = shared.borrow_mut();
    let n = sh.latencies_us.len();
    if n == 0 {
        eprintln!("loadgen: no request completed");
        std::process::exit(1);
    }
    sh.latencies_us.sort_unstable();
    let pct =
        |p: f64| sh.latencies_us[((n as f64 * p / 100.0) as usize).min(n - 1)] as f64 / 1000.0;
    println!(
        "{{\"rps\":{:.0},\"p50\":{:.3},\"p95\":{:.3},\"p99\":{:.3},\"p99.9\":{:.3},\"errors\":{}}}",
        n as f64 / elapsed,
        pct(50.0),
        pct(95.0),
        pct(99.0),
        pct(99.9),
        sh.errors
    );
    std::process::ExitCode::SUCCESS
}
