//! Pub/sub and blocking-pop figures against any Redis-compatible server
//! on 127.0.0.1 (shardis, redis-server, valkey), for `benches/RESULTS.md`:
//!
//!     pubsub_bench --port P --mode publish [--subscribers 100]
//!         [--publishers 4] [--messages 200000] [--pipeline 16] [--size 32]
//!     pubsub_bench --port P --mode pingpong [--rounds 20000] [--other KEY]
//!
//! `publish`: the subscribers subscribe to one channel, the publishers
//! pipeline PUBLISH until `--messages` are published, and the figure is
//! messages delivered per second (published times subscribers, over the
//! time from the first PUBLISH until the last subscriber has them all).
//! `pingpong`: one client blocks in `BLPOP`, another pushes; the latency
//! from the push to the popped element's arrival, p50 and p99 over
//! `--rounds`; with `--other KEY` the BLPOP waits on KEY first (on
//! another shard, a wait over two shards). Every loop is bounded by its count and a deadline.

use std::{
    process::ExitCode,
    time::{Duration, Instant},
};

use benches::{encode_command, flag_pairs, options_or_usage, parse_flag};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Longest a run may take before it gives up.
const DEADLINE: Duration = Duration::from_secs(120);

struct Opts {
    port: u16,
    mode: String,
    subscribers: usize,
    publishers: usize,
    messages: usize,
    pipeline: usize,
    size: usize,
    rounds: usize,
    /// `pingpong`: a key the BLPOP waits on before `bench:q` (on another
    /// shard of shardis, the wait spans two shards).
    other: Option<String>,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Opts, String> {
    let mut o = Opts {
        port: 0,
        mode: "publish".into(),
        subscribers: 1,
        publishers: 4,
        messages: 200_000,
        pipeline: 16,
        size: 32,
        rounds: 20_000,
        other: None,
    };
    for (f, v) in flag_pairs(args)? {
        match f.as_str() {
            "--port" => o.port = parse_flag(&f, &v)?,
            "--mode" => o.mode = v,
            "--subscribers" => o.subscribers = parse_flag(&f, &v)?,
            "--publishers" => o.publishers = parse_flag(&f, &v)?,
            "--messages" => o.messages = parse_flag(&f, &v)?,
            "--pipeline" => o.pipeline = parse_flag(&f, &v)?,
            "--size" => o.size = parse_flag(&f, &v)?,
            "--rounds" => o.rounds = parse_flag(&f, &v)?,
            "--other" => o.other = Some(v),
            _ => return Err(format!("unknown flag {f}")),
        }
    }
    if o.port == 0 {
        return Err("--port is required".into());
    }
    Ok(o)
}

async fn connect(port: u16) -> Result<TcpStream, String> {
    let s = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(s)
}

/// Reads until `want` bytes in all have arrived (or the deadline).
async fn read_bytes(s: &mut TcpStream, want: usize, until: Instant) -> Result<(), String> {
    let mut buf = vec![0u8; 64 << 10];
    let mut got = 0;
    while got < want {
        let left = until.saturating_duration_since(Instant::now());
        let n = tokio::time::timeout(left, s.read(&mut buf))
            .await
            .map_err(|_| format!("timed out with {got} of {want} bytes"))?
            .map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("closed after {got} of {want} bytes"));
        }
        got += n;
    }
    Ok(())
}

/// Bytes of one reply frame `*3 $7 message $len(ch) ch $len(msg) msg`.
fn message_len(channel: &[u8], size: usize) -> usize {
    let mut out = Vec::new();
    encode_command(
        &mut out,
        &[b"message".as_slice(), channel, &vec![b'x'; size]],
    );
    out.len()
}

async fn publish(o: &Opts) -> Result<String, String> {
    const CH: &[u8] = b"bench:ch";
    let until = Instant::now() + DEADLINE;
    let mut subs = Vec::with_capacity(o.subscribers);
    for _ in 0..o.subscribers {
        let mut s = connect(o.port).await?;
        let mut cmd = Vec::new();
        encode_command(&mut cmd, &[b"SUBSCRIBE".as_slice(), CH]);
        s.write_all(&cmd).await.map_err(|e| e.to_string())?;
        // `*3 $9 subscribe $8 bench:ch :1`
        let confirm = b"*3\r\n$9\r\nsubscribe\r\n$8\r\nbench:ch\r\n:1\r\n".len();
        read_bytes(&mut s, confirm, until).await?;
        subs.push(s);
    }
    let per_sub = message_len(CH, o.size) * o.messages;
    let start = Instant::now();
    let readers: Vec<_> = subs
        .into_iter()
        .map(|mut s| tokio::task::spawn(async move { read_bytes(&mut s, per_sub, until).await }))
        .collect();
    let per_pub = o.messages / o.publishers.max(1);
    let mut pubs = Vec::new();
    for p in 0..o.publishers.max(1) {
        let count = if p == 0 {
            o.messages - per_pub * (o.publishers.max(1) - 1)
        } else {
            per_pub
        };
        let (port, pipeline, size) = (o.port, o.pipeline.max(1), o.size);
        pubs.push(tokio::task::spawn(async move {
            let mut s = connect(port).await?;
            let mut batch = Vec::new();
            let value = vec![b'x'; size];
            let mut sent = 0;
            while sent < count {
                let n = pipeline.min(count - sent);
                batch.clear();
                for _ in 0..n {
                    encode_command(&mut batch, &[b"PUBLISH".as_slice(), CH, &value]);
                }
                s.write_all(&batch).await.map_err(|e| e.to_string())?;
                // Each reply is an integer line `:N\r\n`.
                let mut lines = 0;
                let mut buf = [0u8; 4096];
                while lines < n {
                    let k = s.read(&mut buf).await.map_err(|e| e.to_string())?;
                    if k == 0 {
                        return Err("publisher connection closed".to_string());
                    }
                    lines += buf[..k].iter().filter(|&&b| b == b'\n').count();
                }
                sent += n;
            }
            Ok::<(), String>(())
        }));
    }
    for p in pubs {
        p.await.map_err(|e| e.to_string())??;
    }
    for r in readers {
        r.await.map_err(|e| e.to_string())??;
    }
    let secs = start.elapsed().as_secs_f64();
    let delivered = (o.messages * o.subscribers) as f64;
    Ok(format!(
        "publish subscribers={} publishers={} messages={} pipeline={} size={}: {:.0} delivered/s ({:.0} published/s, {:.2} s)",
        o.subscribers,
        o.publishers,
        o.messages,
        o.pipeline,
        o.size,
        delivered / secs,
        o.messages as f64 / secs,
        secs
    ))
}

async fn pingpong(o: &Opts) -> Result<String, String> {
    let until = Instant::now() + DEADLINE;
    let mut popper = connect(o.port).await?;
    let mut pusher = connect(o.port).await?;
    let mut del = Vec::new();
    encode_command(&mut del, &[b"DEL".as_slice(), b"bench:q"]);
    pusher.write_all(&del).await.map_err(|e| e.to_string())?;
    read_bytes(&mut pusher, 4, until).await?;
    let mut blpop = Vec::new();
    match &o.other {
        Some(k) => encode_command(
            &mut blpop,
            &[b"BLPOP".as_slice(), k.as_bytes(), b"bench:q", b"0"],
        ),
        None => encode_command(&mut blpop, &[b"BLPOP".as_slice(), b"bench:q", b"0"]),
    }
    let mut push = Vec::new();
    encode_command(&mut push, &[b"LPUSH".as_slice(), b"bench:q", b"x"]);
    // `*2 $7 bench:q $1 x`
    let popped = b"*2\r\n$7\r\nbench:q\r\n$1\r\nx\r\n".len();
    let mut lat = Vec::with_capacity(o.rounds);
    for _ in 0..o.rounds {
        if Instant::now() >= until {
            break;
        }
        popper.write_all(&blpop).await.map_err(|e| e.to_string())?;
        // Give the BLPOP a head start so it is blocked, not served at once:
        // a PING on the same connection cannot help (it waits behind it),
        // so the pusher goes after a short bounded pause.
        tokio::time::sleep(Duration::from_micros(200)).await;
        let t = Instant::now();
        pusher.write_all(&push).await.map_err(|e| e.to_string())?;
        read_bytes(&mut popper, popped, until).await?;
        lat.push(t.elapsed());
        read_bytes(&mut pusher, 4, until).await?;
    }
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e6)
    };
    Ok(format!(
        "pingpong rounds={}: p50 {:.0} us, p99 {:.0} us",
        lat.len(),
        pct(0.50),
        pct(0.99)
    ))
}

fn main() -> ExitCode {
    let usage = "--port P [--mode publish|pingpong] [--subscribers N] [--publishers N] [--messages N] [--pipeline N] [--size N] [--rounds N] [--other KEY]";
    let o = match options_or_usage("pubsub_bench", usage, parse(std::env::args().skip(1))) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pubsub_bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async {
        match o.mode.as_str() {
            "publish" => publish(&o).await,
            "pingpong" => pingpong(&o).await,
            m => Err(format!("unknown mode {m}")),
        }
    });
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pubsub_bench: {e}");
            ExitCode::FAILURE
        }
    }
}
