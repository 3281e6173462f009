//! How long a shard killed with SIGKILL takes to serve again, with its
//! data: start a proxy with one shard in a temporary directory, load keys
//! with pipelined SETs (16-byte keys, 32-byte values), kill the shard with
//! SIGKILL and time until a GET of a loaded key answers with its value
//! through the proxy (supervisor backoff + process start + log replay +
//! re-attach). Prints the figures; run it on a release build:
//!
//!     cargo build --release -p proxy -p benches
//!     target/release/shard_restart [--keys N] [--appendfsync always|everysec|no] [--proxy PATH]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use benches::{encode_command, flag_pairs, options_or_usage, parse_flag};

/// Commands per pipelined write while loading.
const PIPELINE_DEPTH: usize = 1_000;
/// Longest wait for the proxy to start, for a reply, or for the shard.
const TIMEOUT: Duration = Duration::from_secs(120);
const KEY_BYTES: usize = 16;
const VALUE_BYTES: usize = 32;

struct Opts {
    keys: usize,
    appendfsync: String,
    proxy: PathBuf,
}

fn parse_args() -> Result<Opts, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut o = Opts {
        keys: 1_000_000,
        appendfsync: "everysec".into(),
        proxy: exe.with_file_name("proxy"),
    };
    for (flag, v) in flag_pairs(std::env::args().skip(1))? {
        match flag.as_str() {
            "--keys" => o.keys = parse_flag(&flag, &v)?,
            "--appendfsync" => o.appendfsync = v,
            "--proxy" => o.proxy = PathBuf::from(v),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(o)
}

/// The proxy, killed (with its shard, by PR_SET_PDEATHSIG) and its data
/// directory removed when dropped.
struct Proxy {
    child: Child,
    dir: PathBuf,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let shards = children(self.child.id());
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The shard gets SIGTERM when the proxy dies; SIGKILL if it lingers.
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && shards.iter().any(|&p| alive(p)) {
            std::thread::sleep(Duration::from_millis(20));
        }
        for &p in shards.iter().filter(|&&p| alive(p)) {
            // SAFETY: killing the shard this program's proxy started, by pid.
            unsafe { libc::kill(p as libc::pid_t, libc::SIGKILL) };
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start_proxy(o: &Opts, dir: &Path) -> Result<(Proxy, u16), String> {
    let mut child = Command::new(&o.proxy)
        .args(["--port", "0", "--shards", "1", "--workers", "1"])
        .args(["--shard-wait-timeout-ms", "600000"])
        .arg("--appendfsync")
        .arg(&o.appendfsync)
        .arg("--dir")
        .arg(dir)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(
            std::fs::File::create(dir.with_extension("log"))
                .map_err(|e| format!("create the log: {e}"))?,
        )
        .spawn()
        .map_err(|e| format!("start {}: {e}", o.proxy.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let proxy = Proxy {
        child,
        dir: dir.to_owned(),
    };
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(p) = line.strip_prefix("shardis ready on port ") {
                let _ = tx.send(p.trim().parse::<u16>().ok());
            }
        }
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(Some(port)) => Ok((proxy, port)),
        _ => Err("the proxy did not print its port".into()),
    }
}

fn key(i: usize) -> String {
    format!("key:{i:012}")
}

fn value(i: usize) -> String {
    format!("value:{i:026}")
}

fn connect(port: u16) -> Result<TcpStream, String> {
    let s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(s)
}

/// Reads until `n` complete `+OK` replies arrived.
fn read_oks(s: &mut TcpStream, n: usize) -> Result<(), String> {
    let want = n * 5;
    let mut got = 0;
    let mut buf = vec![0u8; 64 << 10];
    while got < want {
        let r = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
        if r == 0 {
            return Err("the proxy closed the connection".into());
        }
        if buf[..r].contains(&b'-') {
            return Err(format!(
                "error reply: {}",
                String::from_utf8_lossy(&buf[..r])
            ));
        }
        got += r;
    }
    Ok(())
}

fn load(port: u16, keys: usize) -> Result<(), String> {
    let mut s = connect(port)?;
    let mut batch = Vec::with_capacity(PIPELINE_DEPTH * 80);
    let mut i = 0;
    while i < keys {
        batch.clear();
        let end = (i + PIPELINE_DEPTH).min(keys);
        for j in i..end {
            let (k, v) = (key(j), value(j));
            debug_assert_eq!((k.len(), v.len()), (KEY_BYTES, VALUE_BYTES));
            encode_command(&mut batch, &["SET", &k, &v]);
        }
        s.write_all(&batch).map_err(|e| format!("write: {e}"))?;
        read_oks(&mut s, end - i)?;
        i = end;
    }
    Ok(())
}

/// One command's reply, as text (one read is enough for these small ones).
fn command(s: &mut TcpStream, args: &[&str]) -> Result<String, String> {
    let mut out = Vec::new();
    encode_command(&mut out, args);
    s.write_all(&out).map_err(|e| format!("write: {e}"))?;
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// The direct children of `pid` (the proxy's shard processes).
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// A `/proc/PID/status` figure in KiB (`field` with its colon).
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit_once(')')
            .and_then(|(_, r)| r.split_whitespace().next())
            .is_some_and(|st| st != "Z" && st != "X")
    })
}

/// The `ms=` of the last "loaded data" line in the proxy's log (the
/// shard's own replay time).
fn replay_ms(log: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(log).ok()?;
    let line = text.lines().rev().find(|l| l.contains("loaded data"))?;
    // Without the colour codes tracing may put around field names.
    let mut plain = String::with_capacity(line.len());
    let mut in_escape = false;
    for ch in line.chars() {
        match ch {
            '\x1b' => in_escape = true,
            'm' if in_escape => in_escape = false,
            _ if in_escape => {}
            _ => plain.push(ch),
        }
    }
    plain
        .split_whitespace()
        .find_map(|w| w.strip_prefix("ms="))?
        .parse()
        .ok()
}

fn run(o: &Opts) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("shard-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
    let log = dir.with_extension("log");
    let (proxy, port) = start_proxy(o, &dir)?;
    let t = Instant::now();
    load(port, o.keys)?;
    let load_s = t.elapsed().as_secs_f64();
    let aof_bytes: u64 = std::fs::read_dir(dir.join("shard-0"))
        .map_err(|e| e.to_string())?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("aof."))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    let pid = *children(proxy.child.id())
        .first()
        .ok_or("no shard process")?;
    let mut c = connect(port)?;
    let probe = key(o.keys - 1);
    let want = format!("${}\r\n{}\r\n", VALUE_BYTES, value(o.keys - 1));
    // SAFETY: killing the shard this program's proxy started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    let killed = Instant::now();
    while alive(pid) {
        if killed.elapsed() > TIMEOUT {
            return Err("the shard did not die".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    // The GET waits in the proxy for the restarting shard; an error (it
    // landed while the shard died) is retried.
    loop {
        let r = command(&mut c, &["GET", &probe])?;
        if r == want {
            break;
        }
        if killed.elapsed() > TIMEOUT {
            return Err(format!("the shard did not come back (last reply {r:?})"));
        }
    }
    let back = killed.elapsed();
    let dbsize = command(&mut c, &["DBSIZE"])?;
    // The restarted shard's peak memory (loading included) and its memory
    // now: loading should not need much beyond the keyspace it builds.
    let mem = children(proxy.child.id())
        .first()
        .map(|&p| (status_kib(p, "VmHWM:"), status_kib(p, "VmRSS:")));
    println!(
        "shard_restart: {} keys ({KEY_BYTES} B keys, {VALUE_BYTES} B values), appendfsync {}, \
         log {:.1} MB, loaded in {load_s:.2} s ({:.0} SET/s)",
        o.keys,
        o.appendfsync,
        aof_bytes as f64 / 1e6,
        o.keys as f64 / load_s,
    );
    println!(
        "shard_restart: SIGKILL to first GET answered: {:.0} ms (the shard's own log replay: {} ms); DBSIZE after: {}",
        back.as_secs_f64() * 1e3,
        replay_ms(&log).map_or("?".into(), |m| m.to_string()),
        dbsize.trim()
    );
    if let Some((Some(peak), Some(rss))) = mem {
        println!(
            "shard_restart: restarted shard's peak RSS {:.1} MB, RSS after loading {:.1} MB",
            peak as f64 * 1024.0 / 1e6,
            rss as f64 * 1024.0 / 1e6
        );
    }
    drop(proxy);
    let _ = std::fs::remove_file(&log);
    Ok(())
}

fn main() -> ExitCode {
    let usage = "[--keys N] [--appendfsync always|everysec|no] [--proxy PATH]";
    let o = match options_or_usage("shard_restart", usage, parse_args()) {
        Ok(o) => o,
        Err(code) => return code,
    };
    match run(&o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shard_restart: {e}");
            ExitCode::FAILURE
        }
    }
}
