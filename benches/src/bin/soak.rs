//! Soak client: a mixed workload from many connections against a running
//! shardis while shard processes are killed with SIGKILL, then checks that
//! no acknowledged write was lost and that memory did not keep growing.
//! `ops/soak` starts the proxy (`--appendfsync always`) and runs this.
//!
//!     soak --port P --proxy-pid PID [--seconds S] [--max-ops N] [--conns N]
//!          [--kill-ms MIN-MAX] [--seed N]
//!
//! Each connection owns its keys: a counter (INCR), string keys (SET/GET of
//! values naming the connection and the operation), a hash (HSET/HGET) and
//! a list (LPUSH, deleted when it reaches a bound so the data stays
//! bounded). A reply `-ERR shard N is unavailable` means the command may or
//! may not have run; the model keeps both outcomes (a counter lies between
//! its acknowledged and acknowledged + unknown increments). A killer task
//! sends SIGKILL to a random shard (a child process of the proxy) at
//! random intervals; the proxy restarts it from its log. RSS of the proxy
//! and of the shards (summed) is sampled every second.

use std::{
    cell::{Cell, RefCell},
    process::ExitCode,
    rc::Rc,
    time::{Duration, Instant},
};

use benches::{encode_command, flag_pairs, options_or_usage, parse_flag, Rng};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

/// String keys per connection.
const KV_KEYS: usize = 64;
/// Hash fields per connection.
const HASH_FIELDS: usize = 32;
/// A list reaching this length is deleted.
const LIST_MAX: i64 = 1_000;
/// Longest wait for one reply (a command for a down shard waits up to the
/// proxy's shard wait timeout, 5 s by default).
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest wait for every shard to answer again after the run.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(60);
/// RSS growth allowed from the first third of the run to the last.
const RSS_GROWTH_FACTOR: u64 = 2;
const RSS_GROWTH_SLACK_KIB: u64 = 64 << 10;

struct Opts {
    port: u16,
    proxy_pid: i32,
    seconds: u64,
    max_ops: u64,
    conns: usize,
    kill_min_ms: u64,
    kill_max_ms: u64,
    seed: u64,
}

fn parse_args() -> Result<Opts, String> {
    let mut o = Opts {
        port: 0,
        proxy_pid: 0,
        seconds: 60,
        max_ops: u64::MAX,
        conns: 50,
        kill_min_ms: 1_000,
        kill_max_ms: 5_000,
        seed: 1,
    };
    for (flag, v) in flag_pairs(std::env::args().skip(1))? {
        match flag.as_str() {
            "--port" => o.port = parse_flag(&flag, &v)?,
            "--proxy-pid" => o.proxy_pid = parse_flag(&flag, &v)?,
            "--seconds" => o.seconds = parse_flag(&flag, &v)?,
            "--max-ops" => o.max_ops = parse_flag(&flag, &v)?,
            "--conns" => o.conns = parse_flag::<usize>(&flag, &v)?.max(1),
            "--seed" => o.seed = parse_flag(&flag, &v)?,
            "--kill-ms" => {
                let (lo, hi) = v.split_once('-').ok_or("--kill-ms MIN-MAX")?;
                o.kill_min_ms = parse_flag(&flag, lo)?;
                o.kill_max_ms = parse_flag(&flag, hi)?;
                if o.kill_max_ms < o.kill_min_ms {
                    return Err("--kill-ms: MIN above MAX".into());
                }
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if o.port == 0 || o.proxy_pid <= 0 {
        return Err("--port and --proxy-pid are required".into());
    }
    Ok(o)
}

#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Simple(String),
    Err(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Arr(Vec<Reply>),
}

impl Reply {
    fn unavailable(&self) -> bool {
        matches!(self, Reply::Err(e) if e.starts_with("ERR shard ") && e.ends_with(" is unavailable"))
    }
}

/// One RESP2 connection, one command at a time.
struct Client {
    rd: BufReader<tokio::net::tcp::OwnedReadHalf>,
    wr: tokio::net::tcp::OwnedWriteHalf,
    buf: Vec<u8>,
}

impl Client {
    async fn connect(port: u16) -> std::io::Result<Client> {
        let s = TcpStream::connect(("127.0.0.1", port)).await?;
        s.set_nodelay(true)?;
        let (r, w) = s.into_split();
        Ok(Client {
            rd: BufReader::new(r),
            wr: w,
            buf: Vec::with_capacity(256),
        })
    }

    async fn cmd(&mut self, args: &[&[u8]]) -> std::io::Result<Reply> {
        self.buf.clear();
        encode_command(&mut self.buf, args);
        self.wr.write_all(&self.buf).await?;
        match tokio::time::timeout(REPLY_TIMEOUT, read_reply(&mut self.rd)).await {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no reply within the timeout",
            )),
        }
    }
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}

async fn read_reply(rd: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> std::io::Result<Reply> {
    let mut line = Vec::new();
    rd.read_until(b'\n', &mut line).await?;
    if line.len() < 3 || !line.ends_with(b"\r\n") {
        return Err(bad("short reply line"));
    }
    let text = String::from_utf8_lossy(&line[1..line.len() - 2]).into_owned();
    let int = |s: &str| s.parse::<i64>().map_err(|_| bad("bad number"));
    match line[0] {
        b'+' => Ok(Reply::Simple(text)),
        b'-' => Ok(Reply::Err(text)),
        b':' => Ok(Reply::Int(int(&text)?)),
        b'$' => {
            let n = int(&text)?;
            if n < 0 {
                return Ok(Reply::Bulk(None));
            }
            let mut v = vec![0u8; n as usize + 2];
            rd.read_exact(&mut v).await?;
            v.truncate(n as usize);
            Ok(Reply::Bulk(Some(v)))
        }
        b'*' => {
            let n = int(&text)?;
            let mut items = Vec::new();
            for _ in 0..n.max(0) {
                items.push(Box::pin(read_reply(rd)).await?);
            }
            Ok(Reply::Arr(items))
        }
        _ => Err(bad("unknown reply type")),
    }
}

/// What a connection's keys may hold.
struct Model {
    id: usize,
    ctr: (i64, i64),
    kv: Vec<Vec<Option<Vec<u8>>>>,
    hash: Vec<Vec<Option<Vec<u8>>>>,
    list: (i64, i64),
    seq: u64,
}

fn add(s: &mut Vec<Option<Vec<u8>>>, v: Option<Vec<u8>>) {
    if !s.contains(&v) {
        s.push(v);
    }
}

impl Model {
    fn new(id: usize) -> Model {
        Model {
            id,
            ctr: (0, 0),
            kv: vec![vec![None]; KV_KEYS],
            hash: vec![vec![None]; HASH_FIELDS],
            list: (0, 0),
            seq: 0,
        }
    }
    fn ctr_key(&self) -> Vec<u8> {
        format!("soak:{}:ctr", self.id).into_bytes()
    }
    fn kv_key(&self, j: usize) -> Vec<u8> {
        format!("soak:{}:kv:{j}", self.id).into_bytes()
    }
    fn hash_key(&self) -> Vec<u8> {
        format!("soak:{}:h", self.id).into_bytes()
    }
    fn list_key(&self) -> Vec<u8> {
        format!("soak:{}:l", self.id).into_bytes()
    }
}

#[derive(Default)]
struct Stats {
    ops: Cell<u64>,
    acked: Cell<u64>,
    unavailable: Cell<u64>,
    dropped: Cell<u64>,
    kills: Cell<u64>,
    violations: RefCell<Vec<String>>,
}

impl Stats {
    fn violation(&self, v: String) {
        let mut vs = self.violations.borrow_mut();
        if vs.len() < 100 {
            eprintln!("soak: VIOLATION {v}");
            vs.push(v);
        }
    }
}

/// Reads a value of `s` (a possibility set); a value outside it is a lost
/// or invented write.
fn check_read(stats: &Stats, what: &str, s: &mut Vec<Option<Vec<u8>>>, got: Option<Vec<u8>>) {
    if s.contains(&got) {
        *s = vec![got];
    } else {
        let show = |v: &Option<Vec<u8>>| match v {
            Some(b) => String::from_utf8_lossy(b).into_owned(),
            None => "nil".into(),
        };
        let allowed: Vec<String> = s.iter().map(show).collect();
        stats.violation(format!(
            "{what} read {}, expected one of {allowed:?}",
            show(&got)
        ));
    }
}

/// Checks the reply `r` of a command that adds one to a count the model
/// knows as `(acknowledged, acknowledged + unknown)`: a number must lie
/// one past that range (and pins it); "unavailable" widens it.
fn check_count(stats: &Stats, what: &str, range: &mut (i64, i64), r: &Reply) {
    match r {
        Reply::Int(n) if (range.0 + 1..=range.1 + 1).contains(n) => *range = (*n, *n),
        Reply::Int(n) => stats.violation(format!(
            "{what} {n}, expected {}..={}",
            range.0 + 1,
            range.1 + 1
        )),
        r if r.unavailable() => range.1 += 1,
        _ => {}
    }
}

/// Runs one random operation on `m`'s keys.
async fn one_op(
    c: &mut Client,
    m: &mut Model,
    rng: &mut Rng,
    stats: &Stats,
) -> std::io::Result<()> {
    m.seq += 1;
    let value = format!("c{}:{}", m.id, m.seq).into_bytes();
    let roll = rng.below(100);
    let r;
    let id = m.id;
    if roll < 25 {
        r = c.cmd(&[b"INCR", &m.ctr_key()]).await?;
        check_count(stats, &format!("c{id}: INCR gave"), &mut m.ctr, &r);
    } else if roll < 45 {
        let j = rng.below(KV_KEYS as u64) as usize;
        r = c.cmd(&[b"SET", &m.kv_key(j), &value]).await?;
        match &r {
            Reply::Simple(s) if s == "OK" => m.kv[j] = vec![Some(value)],
            r if r.unavailable() => add(&mut m.kv[j], Some(value)),
            _ => {}
        }
    } else if roll < 65 {
        let j = rng.below(KV_KEYS as u64) as usize;
        r = c.cmd(&[b"GET", &m.kv_key(j)]).await?;
        if let Reply::Bulk(v) = &r {
            check_read(
                stats,
                &format!("c{id}: GET kv:{j}"),
                &mut m.kv[j],
                v.clone(),
            );
        }
    } else if roll < 80 {
        r = c.cmd(&[b"LPUSH", &m.list_key(), &value]).await?;
        check_count(stats, &format!("c{id}: LPUSH gave length"), &mut m.list, &r);
        if m.list.0 >= LIST_MAX {
            let d = c.cmd(&[b"DEL", &m.list_key()]).await?;
            stats.ops.set(stats.ops.get() + 1);
            match d {
                Reply::Int(_) => m.list = (0, 0),
                _ => m.list.0 = 0,
            }
        }
    } else if roll < 90 {
        let f = rng.below(HASH_FIELDS as u64) as usize;
        let field = format!("f{f}").into_bytes();
        r = c.cmd(&[b"HSET", &m.hash_key(), &field, &value]).await?;
        match &r {
            Reply::Int(n) => {
                let fresh = m.hash[f].contains(&None);
                let existed = m.hash[f].iter().any(Option::is_some);
                if (*n == 1 && !fresh) || (*n == 0 && !existed) {
                    stats.violation(format!("c{id}: HSET f{f} returned {n}"));
                }
                m.hash[f] = vec![Some(value)];
            }
            r if r.unavailable() => add(&mut m.hash[f], Some(value)),
            _ => {}
        }
    } else {
        let f = rng.below(HASH_FIELDS as u64) as usize;
        let field = format!("f{f}").into_bytes();
        r = c.cmd(&[b"HGET", &m.hash_key(), &field]).await?;
        if let Reply::Bulk(v) = &r {
            check_read(
                stats,
                &format!("c{id}: HGET f{f}"),
                &mut m.hash[f],
                v.clone(),
            );
        }
    }
    stats.ops.set(stats.ops.get() + 1);
    if r.unavailable() {
        stats.unavailable.set(stats.unavailable.get() + 1);
    } else if let Reply::Err(e) = &r {
        stats.violation(format!("c{id}: unexpected error {e}"));
    } else {
        stats.acked.set(stats.acked.get() + 1);
    }
    Ok(())
}

/// One connection's workload until `stop`.
async fn worker(o: Rc<Opts>, id: usize, stats: Rc<Stats>, stop: Rc<Cell<bool>>) -> Model {
    let mut m = Model::new(id);
    let mut rng = Rng::new(o.seed ^ (id as u64 + 1) << 20);
    let mut client = None;
    while !stop.get() {
        if stats.ops.get() >= o.max_ops {
            stop.set(true);
            break;
        }
        let c = match client.as_mut() {
            Some(c) => c,
            None => match Client::connect(o.port).await {
                Ok(c) => client.insert(c),
                Err(e) => {
                    stats.violation(format!("c{id}: cannot connect: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let before = (m.ctr, m.list, m.seq);
        if let Err(e) = one_op(c, &mut m, &mut rng, &stats).await {
            // The command's outcome is unknown: widen what it could have done.
            stats.dropped.set(stats.dropped.get() + 1);
            stats.violation(format!("c{id}: connection dropped: {e}"));
            m.ctr.1 = before.0 .1 + 1;
            m.list.1 = before.1 .1 + 1;
            let value = Some(format!("c{id}:{}", m.seq).into_bytes());
            for s in m.kv.iter_mut().chain(m.hash.iter_mut()) {
                add(s, value.clone());
            }
            client = None;
        }
    }
    m
}

/// Pids of the proxy's child processes (its shards).
fn shard_pids(proxy: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return out;
    };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name (which may hold spaces): state ppid ...
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let (state, ppid) = (f.next(), f.next().and_then(|p| p.parse::<i32>().ok()));
        if ppid == Some(proxy) && state != Some("Z") {
            out.push(pid);
        }
    }
    out.sort_unstable();
    out
}

/// Resident set size of `pid` in KiB (0 if it is gone).
fn rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

async fn killer(o: Rc<Opts>, stats: Rc<Stats>, stop: Rc<Cell<bool>>) {
    let mut rng = Rng::new(o.seed ^ 0xC0FFEE);
    while !stop.get() {
        let wait = o.kill_min_ms + rng.below(o.kill_max_ms - o.kill_min_ms + 1);
        let deadline = Instant::now() + Duration::from_millis(wait);
        while Instant::now() < deadline && !stop.get() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if stop.get() {
            break;
        }
        let pids = shard_pids(o.proxy_pid);
        if pids.is_empty() {
            continue;
        }
        let pid = pids[rng.below(pids.len() as u64) as usize];
        // Only a child of the proxy we were given, checked just now.
        if shard_pids(o.proxy_pid).contains(&pid) {
            let sig = nix::sys::signal::Signal::SIGKILL;
            if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), sig).is_ok() {
                stats.kills.set(stats.kills.get() + 1);
                eprintln!("soak: SIGKILL shard pid {pid}");
            }
        }
    }
}

struct Sample {
    proxy_kib: u64,
    shards_kib: u64,
}

async fn sampler(o: Rc<Opts>, samples: Rc<RefCell<Vec<Sample>>>, stop: Rc<Cell<bool>>) {
    while !stop.get() {
        let shards = shard_pids(o.proxy_pid).into_iter().map(rss_kib).sum();
        samples.borrow_mut().push(Sample {
            proxy_kib: rss_kib(o.proxy_pid),
            shards_kib: shards,
        });
        let next = Instant::now() + Duration::from_secs(1);
        while Instant::now() < next && !stop.get() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Runs `args`, retrying while its shard is unavailable, up to `deadline`.
async fn get(c: &mut Client, deadline: Instant, args: Vec<Vec<u8>>) -> std::io::Result<Reply> {
    let refs: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    loop {
        let r = c.cmd(&refs).await?;
        if !r.unavailable() || Instant::now() >= deadline {
            return Ok(r);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads every key of `m` back once every shard answers again.
async fn verify(port: u16, m: &mut Model, stats: &Stats) -> std::io::Result<()> {
    let mut c = Client::connect(port).await?;
    let id = m.id;
    let deadline = Instant::now() + RECOVERY_TIMEOUT;
    match get(&mut c, deadline, vec![b"GET".to_vec(), m.ctr_key()]).await? {
        Reply::Bulk(v) => {
            let n = v
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|s| s.parse::<i64>().ok())
                .unwrap_or(0);
            if !(m.ctr.0..=m.ctr.1).contains(&n) {
                stats.violation(format!(
                    "c{id}: counter is {n}, expected {}..={} (acknowledged..=acknowledged+unknown)",
                    m.ctr.0, m.ctr.1
                ));
            }
        }
        r => stats.violation(format!("c{id}: final GET counter: {r:?}")),
    }
    for j in 0..KV_KEYS {
        match get(&mut c, deadline, vec![b"GET".to_vec(), m.kv_key(j)]).await? {
            Reply::Bulk(v) => {
                check_read(stats, &format!("c{id}: final GET kv:{j}"), &mut m.kv[j], v)
            }
            r => stats.violation(format!("c{id}: final GET kv:{j}: {r:?}")),
        }
    }
    for f in 0..HASH_FIELDS {
        let field = format!("f{f}").into_bytes();
        match get(
            &mut c,
            deadline,
            vec![b"HGET".to_vec(), m.hash_key(), field],
        )
        .await?
        {
            Reply::Bulk(v) => {
                check_read(stats, &format!("c{id}: final HGET f{f}"), &mut m.hash[f], v)
            }
            r => stats.violation(format!("c{id}: final HGET f{f}: {r:?}")),
        }
    }
    match get(&mut c, deadline, vec![b"LLEN".to_vec(), m.list_key()]).await? {
        Reply::Int(n) if (m.list.0..=m.list.1).contains(&n) => {}
        r => stats.violation(format!(
            "c{id}: LLEN {r:?}, expected {}..={}",
            m.list.0, m.list.1
        )),
    }
    Ok(())
}

/// (first, last, max, max of the first third, max of the last third) in KiB.
fn rss_figures(v: &[u64]) -> (u64, u64, u64, u64, u64) {
    let third = (v.len() / 3).max(1);
    let max = |s: &[u64]| s.iter().copied().max().unwrap_or(0);
    (
        v.first().copied().unwrap_or(0),
        v.last().copied().unwrap_or(0),
        max(v),
        max(&v[..third.min(v.len())]),
        max(&v[v.len().saturating_sub(third)..]),
    )
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Prints the RSS line for `what`; false if it grew past the bound.
fn report_rss(what: &str, v: &[u64]) -> bool {
    let (first, last, max, first_max, last_max) = rss_figures(v);
    let bound = first_max * RSS_GROWTH_FACTOR + RSS_GROWTH_SLACK_KIB;
    let ok = v.len() < 3 || last_max <= bound;
    println!(
        "rss {what}: first {}, last {}, max {}; max of the first third {}, of the last third {} (bound {}): {}",
        mib(first),
        mib(last),
        mib(max),
        mib(first_max),
        mib(last_max),
        mib(bound),
        if ok { "ok" } else { "GREW" }
    );
    ok
}

async fn run(o: Opts) -> bool {
    let o = Rc::new(o);
    let stats = Rc::new(Stats::default());
    let stop = Rc::new(Cell::new(false));
    let samples = Rc::new(RefCell::new(Vec::new()));
    let started = Instant::now();
    let workers: Vec<_> = (0..o.conns)
        .map(|i| tokio::task::spawn_local(worker(o.clone(), i, stats.clone(), stop.clone())))
        .collect();
    let kill = tokio::task::spawn_local(killer(o.clone(), stats.clone(), stop.clone()));
    let sample = tokio::task::spawn_local(sampler(o.clone(), samples.clone(), stop.clone()));
    let end = started + Duration::from_secs(o.seconds);
    while Instant::now() < end && !stop.get() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.set(true);
    let mut models = Vec::new();
    for w in workers {
        if let Ok(m) = w.await {
            models.push(m);
        }
    }
    let elapsed = started.elapsed();
    let _ = kill.await;
    let _ = sample.await;
    for m in models.iter_mut() {
        if let Err(e) = verify(o.port, m, &stats).await {
            stats.violation(format!("c{}: final check failed: {e}", m.id));
        }
    }
    let ops = stats.ops.get();
    println!(
        "soak: {:.0} s, {} connections, {} ops ({:.0}/s): {} acknowledged, {} 'unavailable' (outcome unknown), {} connections dropped",
        elapsed.as_secs_f64(),
        o.conns,
        ops,
        ops as f64 / elapsed.as_secs_f64().max(0.001),
        stats.acked.get(),
        stats.unavailable.get(),
        stats.dropped.get()
    );
    let last_ctr: i64 = models.iter().map(|m| m.ctr.0).sum();
    println!(
        "kills: {} shards SIGKILLed; checked {} connections' keys ({} counters totalling at least {last_ctr}, {} strings, {} hash fields, {} lists)",
        stats.kills.get(),
        models.len(),
        models.len(),
        models.len() * KV_KEYS,
        models.len() * HASH_FIELDS,
        models.len()
    );
    let samples = samples.borrow();
    let proxy: Vec<u64> = samples.iter().map(|s| s.proxy_kib).collect();
    let shards: Vec<u64> = samples.iter().map(|s| s.shards_kib).collect();
    let rss_ok = report_rss("proxy", &proxy) & report_rss("shards (sum)", &shards);
    let violations = stats.violations.borrow();
    let ok = violations.is_empty() && rss_ok && models.len() == o.conns;
    println!(
        "result: {} ({} violations{})",
        if ok { "PASS" } else { "FAIL" },
        violations.len(),
        if rss_ok { "" } else { ", memory grew" }
    );
    for v in violations.iter().take(20) {
        println!("  {v}");
    }
    ok
}

fn main() -> ExitCode {
    let usage = "--port P --proxy-pid PID [--seconds S] [--max-ops N] [--conns N] [--kill-ms MIN-MAX] [--seed N]";
    let o = match options_or_usage("soak", usage, parse_args()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("soak: runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let local = tokio::task::LocalSet::new();
    if local.block_on(&rt, run(o)) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
