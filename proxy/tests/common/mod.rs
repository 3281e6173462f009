//! Harness for the end-to-end tests: starts the real `proxy` binary (which
//! starts its own shard processes), and talks to it through the `redis`
//! crate or raw bytes over TCP.
//!
//! Why it looks the way it does:
//!
//! - The binary is hard-linked to a private directory first. The target
//!   directory is shared by several worktrees, so `target/debug/proxy` can
//!   be replaced under a running test (the link is checked with
//!   `--version`, which carries the worktree's own version string), and
//!   `target/debug/shardd` (which the proxy would start as its shards) may
//!   come from another branch. A private link with no `shardd` beside it
//!   makes the proxy re-execute itself as its shards: the pair under test
//!   always comes from one build.
//! - Nothing waits without a bound: the port is read by a thread and
//!   received with a timeout, every socket has read and write timeouts, and
//!   conditions are polled with [`wait_until`] up to a deadline.
//! - [`Server`]'s `Drop` kills the proxy by pid (its shards die with it
//!   through `PR_SET_PDEATHSIG`; any that linger are killed by pid too) and
//!   removes the data directory.

// Each test file uses a different part of the harness.
#![allow(dead_code)]

use std::{
    fs,
    io::{BufRead, BufReader},
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        mpsc, OnceLock,
    },
    time::{Duration, Instant},
};

use shardd::slot::{key_slot, SLOT_COUNT};

mod raw;
mod redis_server;
pub use raw::*;
#[allow(unused_imports)]
pub use redis_server::{RedisServer, SideBySide};

/// Longest wait for the proxy to print its port and for its shards to answer.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest wait for any one reply.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the processes to die after the kill.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Pause between two polls of a condition.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// The line the proxy prints once it listens.
const READY_PREFIX: &str = "shardis ready on port ";

/// How to start a server.
#[derive(Clone, Debug)]
pub struct Opts {
    /// `--shards`.
    pub shards: usize,
    /// `--workers`.
    pub workers: usize,
    /// Extra command-line arguments.
    pub args: Vec<String>,
    /// `--requirepass`, also used by the readiness probe and [`Server::client`].
    pub password: Option<String>,
    /// Contents of a redis.conf-style file passed as the positional argument.
    pub config_file: Option<String>,
    /// Data directory to use instead of a fresh one (to restart on it).
    pub data_dir: Option<PathBuf>,
    /// Control sockets of shards started elsewhere (`--attach`).
    pub attach: Vec<PathBuf>,
    /// Return once the proxy listens, without waiting for every shard.
    pub unready: bool,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            shards: 3,
            workers: 1,
            // Tests name the shard of a key by the first start's even
            // split: slots stay there unless a test turns co-location on
            // (`Opts::colocate_after`).
            args: vec!["--colocate-after".into(), "0".into()],
            password: None,
            config_file: None,
            data_dir: None,
            attach: Vec::new(),
            unready: false,
        }
    }
}

impl Opts {
    /// Defaults with `n` shards.
    pub fn shards(n: usize) -> Opts {
        Opts {
            shards: n,
            ..Opts::default()
        }
    }

    /// Sets the worker thread count.
    pub fn workers(mut self, n: usize) -> Opts {
        self.workers = n;
        self
    }

    /// Turns co-location on at `after` (`proxy/src/colocate.rs`).
    pub fn colocate_after(mut self, after: u64) -> Opts {
        if let Some(i) = self.args.iter().position(|a| a == "--colocate-after") {
            self.args[i + 1] = after.to_string();
        }
        self
    }

    /// Adds `--name value`.
    pub fn flag(mut self, name: &str, value: &str) -> Opts {
        self.args.push(name.to_string());
        self.args.push(value.to_string());
        self
    }

    /// Requires clients to AUTH with `pass`.
    pub fn requirepass(mut self, pass: &str) -> Opts {
        self.password = Some(pass.to_string());
        self.flag("--requirepass", pass)
    }

    /// Keeps the shards' data in `dir` (which outlives the server).
    pub fn data_dir(mut self, dir: &Path) -> Opts {
        self.data_dir = Some(dir.to_path_buf());
        self
    }

    /// Returns from [`Server::start`] once the proxy listens, without
    /// waiting for every shard to serve.
    #[allow(dead_code)] // not every test binary starts a proxy unready
    pub fn unready(mut self) -> Opts {
        self.unready = true;
        self
    }

    /// Attaches to running shards instead of starting them.
    pub fn attach(mut self, sockets: &[PathBuf]) -> Opts {
        self.shards = sockets.len();
        self.attach = sockets.to_vec();
        self
    }

    /// Passes a config file with these contents.
    pub fn config_file(mut self, text: &str) -> Opts {
        self.config_file = Some(text.to_string());
        self
    }
}

/// A running proxy and its shards; killed by pid when dropped.
pub struct Server {
    child: Child,
    /// The port the proxy listens on.
    pub port: u16,
    /// Number of shards.
    pub shards: usize,
    /// Private directory (data under `data/` unless given, the proxy's log
    /// in `proxy.log`).
    pub dir: PathBuf,
    /// The shards' data directory.
    pub data_dir: PathBuf,
    password: Option<String>,
}

static NEXT_DIR: AtomicUsize = AtomicUsize::new(0);

/// Whether process `pid` is alive (a zombie counts as dead).
pub fn pid_alive(pid: u32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

/// Removes `dir/PREFIX-PID*` entries left by test processes that are gone.
fn remove_stale(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(prefix) else {
            continue;
        };
        let pid = rest.split('-').next().and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !pid_alive(p)) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// This test process's private link to the proxy binary of this build.
pub fn proxy_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_stale(tmp, "e2e-bin-");
        let dir = tmp.join(format!("e2e-bin-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("create the binary directory");
        let dst = dir.join("proxy");
        // SAFETY: registering a plain extern "C" function with no state.
        unsafe { libc::atexit(remove_bin_dir) };
        for src in proxy_candidates() {
            let _ = fs::remove_file(&dst);
            if fs::hard_link(&src, &dst).is_err() && fs::copy(&src, &dst).is_err() {
                continue;
            }
            // Checked after linking: the link pins the file we checked.
            if is_this_build(&dst) {
                return dst;
            }
        }
        panic!(
            "no proxy binary reports version {} (cargo builds it before the tests)",
            env!("CARGO_PKG_VERSION")
        );
    })
}

/// `target/debug/proxy` first, then the builds in `deps/`, newest first.
/// The first may have been replaced by another worktree's build since
/// cargo built this one; each worktree has its own version string.
fn proxy_candidates() -> Vec<PathBuf> {
    let main = PathBuf::from(env!("CARGO_BIN_EXE_proxy"));
    let mut deps: Vec<(std::time::SystemTime, PathBuf)> = main
        .parent()
        .and_then(|d| fs::read_dir(d.join("deps")).ok())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("proxy-")
                .is_some_and(|h| h.chars().all(|c| c.is_ascii_hexdigit()))
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    deps.sort_by_key(|d| std::cmp::Reverse(d.0));
    std::iter::once(main)
        .chain(deps.into_iter().map(|(_, p)| p))
        .collect()
}

/// Whether `bin --version` names this package's version.
fn is_this_build(bin: &Path) -> bool {
    let want = format!("proxy {}", env!("CARGO_PKG_VERSION"));
    Command::new(bin)
        .arg("--version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == want)
}

/// Removes this process's link to the binary when the test process exits
/// (a process that is killed leaves it to the next run's `remove_stale`).
extern "C" fn remove_bin_dir() {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-bin-{}", std::process::id()));
    let _ = fs::remove_dir_all(dir);
}

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty directory.
    pub fn new() -> TempDir {
        TempDir(fresh_dir())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn fresh_dir() -> PathBuf {
    let base = std::env::temp_dir();
    remove_stale(&base, "shardis-e2e-");
    let n = NEXT_DIR.fetch_add(1, Ordering::Relaxed);
    let dir = base.join(format!("shardis-e2e-{}-{n}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create the test directory");
    dir
}

impl Server {
    /// Starts a proxy with `opts` and waits until every shard answers.
    pub fn start(opts: Opts) -> Server {
        let dir = fresh_dir();
        let log = fs::File::create(dir.join("proxy.log")).expect("create the log");
        let mut cmd = Command::new(proxy_bin());
        if let Some(text) = &opts.config_file {
            let path = dir.join("shardis.conf");
            fs::write(&path, text).expect("write the config file");
            cmd.arg(path);
        }
        cmd.arg("--port")
            .arg("0")
            .arg("--dir")
            .arg(opts.data_dir.clone().unwrap_or_else(|| dir.join("data")))
            .arg("--shards")
            .arg(opts.shards.to_string())
            .arg("--workers")
            .arg(opts.workers.to_string())
            .args(&opts.args)
            .args(attach_args(&opts.attach))
            .env(
                "RUST_LOG",
                std::env::var("SHARDIS_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        // SAFETY: prctl is async-signal-safe; the proxy dies with this
        // thread if the test process goes away without dropping the Server.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().expect("spawn the proxy");
        let port = read_port(&mut child);
        let mut server = Server {
            child,
            port: port.unwrap_or(0),
            shards: opts.shards,
            data_dir: opts.data_dir.clone().unwrap_or_else(|| dir.join("data")),
            dir,
            password: opts.password,
        };
        if port.is_none() {
            panic!("the proxy did not print its port\n{}", server.log_tail());
        }
        if !opts.unready {
            server.wait_ready();
        }
        server
    }

    /// Starts a proxy with default options and `n` shards.
    pub fn with_shards(n: usize) -> Server {
        Server::start(Opts::shards(n))
    }

    /// The proxy's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last part of the proxy's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.join("proxy.log")).unwrap_or_default();
        let start = text.len().saturating_sub(4000);
        let start = (start..text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        format!("--- proxy log (tail) ---\n{}", &text[start..])
    }

    /// Polls until a command touching every shard succeeds.
    fn wait_ready(&mut self) {
        let keys: Vec<String> = (0..self.shards)
            .map(|s| key_on_shard("ready", s, self.shards))
            .collect();
        let mut args = vec!["EXISTS"];
        args.extend(keys.iter().map(String::as_str));
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                last = format!("the proxy exited: {status}");
                break;
            }
            let Ok(mut c) = Raw::try_connect(self.port) else {
                std::thread::sleep(POLL_INTERVAL);
                continue;
            };
            if let Some(p) = self.password.clone() {
                let _ = c.try_cmd(&["AUTH", &p]);
            }
            match c.try_cmd(&args) {
                Ok(r) if r.starts_with(b":") => return,
                Ok(r) => last = String::from_utf8_lossy(&r).into_owned(),
                Err(e) => last = format!("{e:?}"),
            }
            std::thread::sleep(POLL_INTERVAL);
        }
        panic!(
            "the shards did not become ready (last: {last:?})\n{}",
            self.log_tail()
        );
    }

    /// The connection URL for the `redis` crate.
    pub fn url(&self) -> String {
        match &self.password {
            Some(p) => format!("redis://:{p}@127.0.0.1:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    /// A `redis` crate connection with bounded reads and writes.
    pub fn client(&self) -> redis::Connection {
        client_for(&self.url())
    }

    /// A `redis` crate connection speaking RESP3.
    pub fn client_resp3(&self) -> redis::Connection {
        client_for(&format!("{}?protocol=resp3", self.url()))
    }

    /// A raw TCP connection.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// The proxy's resident memory in bytes (VmRSS).
    pub fn rss_bytes(&self) -> u64 {
        rss_bytes(self.pid())
    }

    /// Number of file descriptors the proxy has open (a closed client
    /// socket shows here at once, whatever was still queued for it).
    pub fn fd_count(&self) -> usize {
        fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, |d| d.count())
    }

    /// The proxy's direct children (its shard processes).
    pub fn shard_pids(&self) -> Vec<u32> {
        children_of(self.pid())
    }

    /// The pid of shard `id` (a child of the proxy started with `--id id`).
    pub fn shard_pid(&self, id: usize) -> Option<u32> {
        let want = format!("\0--id\0{id}\0");
        self.shard_pids().into_iter().find(|&p| {
            let cmdline = fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
            pid_alive(p) && cmdline.windows(want.len()).any(|w| w == want.as_bytes())
        })
    }

    /// SIGKILLs every one of the `shards` shard processes and waits until
    /// the supervisor has them all serving again.
    #[allow(dead_code)] // not every test binary kills shards
    pub fn kill_every_shard(&self, shards: usize) {
        let old: Vec<u32> = (0..shards).filter_map(|i| self.shard_pid(i)).collect();
        assert_eq!(old.len(), shards);
        for &pid in &old {
            // SAFETY: killing shard processes this harness started, by pid.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
        wait_until(IO_TIMEOUT, "the shards to die", || {
            old.iter().all(|&p| !pid_alive(p))
        });
        let probe: Vec<String> = (0..shards)
            .map(|i| key_on_shard("probe", i, shards))
            .collect();
        let mut c = self.raw();
        wait_until(IO_TIMEOUT, "every shard to serve again", || {
            let mut args = vec!["EXISTS"];
            args.extend(probe.iter().map(String::as_str));
            c.cmd(&args) == b":0\r\n"
        });
    }

    /// Sends `signal` to the proxy.
    pub fn signal_proxy(&self, signal: libc::c_int) {
        // SAFETY: signalling the proxy this harness started, by pid.
        unsafe { libc::kill(self.pid() as libc::pid_t, signal) };
    }

    /// Waits up to `timeout` for the proxy to exit; its status if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// The shard that owns `key`.
    pub fn shard_of(&self, key: &str) -> usize {
        shard_of(key.as_bytes(), self.shards)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let pid = self.child.id();
        let shards = children_of(pid);
        let _ = self.child.kill();
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(POLL_INTERVAL);
        }
        let _ = self.child.try_wait();
        // The shards got SIGTERM from the kernel when the proxy died.
        let data = self.data_dir.clone();
        while Instant::now() < deadline && shards.iter().any(|&p| pid_alive(p)) {
            std::thread::sleep(POLL_INTERVAL);
        }
        for &p in &shards {
            if pid_alive(p) && cmdline_mentions(p, &data) {
                // SAFETY: signalling a shard this test started, by pid.
                unsafe { libc::kill(p as libc::pid_t, libc::SIGKILL) };
            }
        }
        if std::thread::panicking() {
            eprintln!("{}", self.log_tail());
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn attach_args(sockets: &[PathBuf]) -> Vec<std::ffi::OsString> {
    if sockets.is_empty() {
        return Vec::new();
    }
    let mut list = std::ffi::OsString::new();
    for (i, s) in sockets.iter().enumerate() {
        if i > 0 {
            list.push(",");
        }
        list.push(s);
    }
    vec!["--attach".into(), list]
}

/// Shard processes started by a test (the proxy binary in shard mode),
/// killed by pid when dropped.
pub struct Shards {
    children: Vec<Child>,
    /// Their data directory (`shard-N` inside).
    pub dir: PathBuf,
}

impl Shards {
    /// Starts `n` shards under `dir` and waits for their control sockets.
    pub fn start(n: usize, dir: &Path) -> Shards {
        let mut shards = Shards {
            children: Vec::new(),
            dir: dir.to_path_buf(),
        };
        for id in 0..n {
            let shard_dir = dir.join(format!("shard-{id}"));
            let log = fs::File::create(dir.join(format!("shard-{id}.log"))).expect("shard log");
            let mut cmd = Command::new(proxy_bin());
            cmd.arg("shard")
                .arg("--id")
                .arg(id.to_string())
                .arg("--dir")
                .arg(&shard_dir)
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log);
            // SAFETY: as for the proxy: die with the test thread.
            unsafe {
                cmd.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            shards.children.push(cmd.spawn().expect("spawn a shard"));
        }
        let sockets = shards.sockets();
        wait_until(START_TIMEOUT, "the shards' control sockets", || {
            sockets.iter().all(|s| s.exists())
        });
        shards
    }

    /// The control sockets, in shard order.
    pub fn sockets(&self) -> Vec<PathBuf> {
        (0..self.children.len())
            .map(|i| self.dir.join(format!("shard-{i}")).join("shard.sock"))
            .collect()
    }

    /// The shard processes' pids.
    pub fn pids(&self) -> Vec<u32> {
        self.children.iter().map(Child::id).collect()
    }
}

impl Drop for Shards {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn read_port(child: &mut Child) -> Option<u16> {
    let stdout = child.stdout.take()?;
    let (tx, rx) = mpsc::channel();
    // Keeps draining stdout after the port line so the proxy never blocks
    // on a full pipe; ends when the proxy closes it (exits).
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    if let Some(p) = line.trim().strip_prefix(READY_PREFIX) {
                        let _ = tx.send(p.parse::<u16>().ok());
                    }
                }
            }
        }
    });
    rx.recv_timeout(START_TIMEOUT).ok().flatten()
}

fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let text = fs::read_to_string(t.path().join("children")).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    out
}

fn cmdline_mentions(pid: u32, path: &Path) -> bool {
    let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let needle = path.as_os_str().as_encoded_bytes();
    cmdline.windows(needle.len()).any(|w| w == needle)
}

/// Resident memory of process `pid` in bytes (0 if unknown).
pub fn rss_bytes(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A `redis` crate connection to `url` with bounded reads and writes.
pub fn client_for(url: &str) -> redis::Connection {
    let client = redis::Client::open(url).expect("valid url");
    let con = client
        .get_connection_with_timeout(IO_TIMEOUT)
        .expect("connect with the redis crate");
    con.set_read_timeout(Some(IO_TIMEOUT))
        .expect("read timeout");
    con.set_write_timeout(Some(IO_TIMEOUT))
        .expect("write timeout");
    con
}

/// Polls `cond` until it holds or `timeout` passes; panics naming `what`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// The shard owning `key` when 16384 slots are split evenly over `shards`
/// contiguous ranges (the proxy's default table).
pub fn shard_of(key: &[u8], shards: usize) -> usize {
    key_slot(key) as usize * shards / SLOT_COUNT
}

/// `count` distinct keys `prefix:N` owned by `shard`.
pub fn keys_on_shard(prefix: &str, shard: usize, shards: usize, count: usize) -> Vec<String> {
    (0..1_000_000)
        .map(|i| format!("{prefix}:{i}"))
        .filter(|k| shard_of(k.as_bytes(), shards) == shard)
        .take(count)
        .collect()
}

/// The first key `prefix:N` owned by `shard`.
pub fn key_on_shard(prefix: &str, shard: usize, shards: usize) -> String {
    keys_on_shard(prefix, shard, shards, 1)
        .pop()
        .expect("some key lands on every shard")
}

/// A small deterministic generator (a test thread's own, seeded).
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n`.
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}
