//! Starts the embedded shard processes, restarts any that die (with
//! backoff), and stops them on shutdown.
//!
//! Each shard N runs as its own process with data directory `DIR/shard-N`
//! and control socket `DIR/shard-N/shard.sock`. The binary is
//! `--shardd-bin` if given, else the proxy binary itself with the `shard`
//! subcommand (or, built without the `embedded-shard` feature, the
//! `shardd` beside it): the shards then always run the proxy's own build, and
//! `cargo run -p proxy` is enough. Every start and restart of a shard gets
//! the settings shards apply as they are in force at that moment
//! ([`ShardArgs`]: `--appendonly`, `--appendfsync` and `--config
//! name=value` for `save`, the encoding thresholds, ...), whether they
//! came from the proxy's flags or a later `CONFIG SET`, so a restarted
//! shard keeps what the operator last asked for.
//! Children get `PR_SET_PDEATHSIG`, so a proxy killed with SIGKILL does not
//! leave orphans behind; shards started by ops scripts and attached with
//! `--attach` are not supervised and outlive the proxy.

use std::{
    os::fd::AsRawFd,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

/// The settings flags to give shard `id` started now (its placement
/// among them, `crate::placement`).
pub type ShardArgs = Arc<dyn Fn(usize) -> Vec<String> + Send + Sync>;

/// The binary, its fixed arguments, and the current settings flags.
struct Program {
    bin: PathBuf,
    fixed: Vec<String>,
    args: ShardArgs,
}

/// First delay before restarting a shard that died.
pub const RESTART_BACKOFF_MIN_MS: u64 = 50;
/// Longest delay between restarts of a shard that keeps dying.
pub const RESTART_BACKOFF_MAX_MS: u64 = 2_000;
/// A shard up this long is considered healthy again (backoff resets).
pub const HEALTHY_AFTER_MS: u64 = 10_000;
/// How often the supervisor checks its children.
pub const CHECK_INTERVAL_MS: u64 = 20;
/// How long shutdown waits for a shard to exit after SIGTERM.
pub const STOP_TIMEOUT_MS: u64 = 5_000;

struct ShardProc {
    id: usize,
    dir: PathBuf,
    /// `--slots` for a shard whose directory does not know its slots yet.
    slots: Option<String>,
    child: Option<Child>,
    started: Instant,
    backoff_ms: u64,
    restart_at: Option<Instant>,
    restarts: u64,
}

/// The embedded shard processes.
pub struct Supervisor {
    procs: Arc<Mutex<Vec<ShardProc>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    program: Arc<Program>,
    dir: PathBuf,
}

/// Where shard `id` of data directory `dir` keeps its control socket.
pub fn shard_socket(dir: &Path, id: usize) -> PathBuf {
    shard_dir(dir, id).join("shard.sock")
}

fn shard_dir(dir: &Path, id: usize) -> PathBuf {
    dir.join(format!("shard-{id}"))
}

fn shard_program(explicit: Option<&Path>, args: ShardArgs) -> std::io::Result<Program> {
    if let Some(p) = explicit {
        return Ok(Program {
            bin: p.to_owned(),
            fixed: Vec::new(),
            args,
        });
    }
    let me = std::env::current_exe()?;
    if cfg!(feature = "embedded-shard") {
        // The proxy's own binary in shard mode: the shards always run the
        // same build as the proxy that starts them.
        return Ok(Program {
            bin: me,
            fixed: vec!["shard".to_string()],
            args,
        });
    }
    // Built without the shard inside: `shardd` from the same directory.
    Ok(Program {
        bin: me.with_file_name("shardd"),
        fixed: Vec::new(),
        args,
    })
}

impl Supervisor {
    /// Starts one shard under `dir` per entry of `slots` (its `--slots`),
    /// each given what `shard_args` returns (the settings shards apply) on
    /// its command line; each restart asks it again.
    pub fn start(
        dir: &Path,
        slots: &[String],
        shardd_bin: Option<&Path>,
        shard_args: ShardArgs,
    ) -> std::io::Result<Supervisor> {
        let program = Arc::new(shard_program(shardd_bin, shard_args)?);
        for id in 0..slots.len() {
            refuse_if_in_use(&shard_dir(dir, id))?;
        }
        let mut procs = Vec::with_capacity(slots.len());
        for (id, s) in slots.iter().enumerate() {
            let mut p = ShardProc {
                id,
                dir: shard_dir(dir, id),
                slots: Some(s.clone()),
                child: None,
                started: Instant::now(),
                backoff_ms: RESTART_BACKOFF_MIN_MS,
                restart_at: None,
                restarts: 0,
            };
            spawn(&program, &mut p)?;
            procs.push(p);
        }
        let mut sup = Supervisor {
            procs: Arc::new(Mutex::new(procs)),
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
            program: program.clone(),
            dir: dir.to_owned(),
        };
        let (procs, stop) = (sup.procs.clone(), sup.stop.clone());
        sup.thread = Some(std::thread::spawn(move || watch(&procs, &stop, &program)));
        Ok(sup)
    }

    /// Starts shard `id` (one more, for a scale-out) owning `slots` if
    /// its directory does not say otherwise; it is restarted like the
    /// others from then on. A shard `id` already running is left alone.
    pub fn add(&self, id: usize, slots: &str) -> std::io::Result<()> {
        let mut procs = lock(&self.procs);
        if procs.iter().any(|p| p.id == id) {
            return Ok(());
        }
        let mut p = ShardProc {
            id,
            dir: shard_dir(&self.dir, id),
            slots: Some(slots.to_string()),
            child: None,
            started: Instant::now(),
            backoff_ms: RESTART_BACKOFF_MIN_MS,
            restart_at: None,
            restarts: 0,
        };
        spawn(&self.program, &mut p)?;
        procs.push(p);
        Ok(())
    }

    /// Stops shard `id` for good (a scale-in, once it owns nothing):
    /// SIGTERM, a bounded wait, then SIGKILL. Its directory stays.
    pub fn remove(&self, id: usize) {
        let taken = {
            let mut procs = lock(&self.procs);
            procs
                .iter()
                .position(|p| p.id == id)
                .map(|i| procs.remove(i))
        };
        if let Some(mut p) = taken {
            stop_all(std::slice::from_mut(&mut p));
        }
    }

    /// The pids of the running shards (None for one being restarted).
    pub fn pids(&self) -> Vec<Option<u32>> {
        lock(&self.procs)
            .iter()
            .map(|p| p.child.as_ref().map(Child::id))
            .collect()
    }

    /// Restarts performed per shard.
    pub fn restarts(&self) -> Vec<u64> {
        lock(&self.procs).iter().map(|p| p.restarts).collect()
    }

    /// Stops every shard: SIGTERM, a bounded wait, then SIGKILL.
    pub fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        stop_all(&mut lock(&self.procs));
    }
}

/// SIGTERM to each, a bounded wait, then SIGKILL.
fn stop_all(procs: &mut [ShardProc]) {
    for p in procs.iter_mut() {
        if let Some(c) = &p.child {
            // SAFETY: signalling our own child by its pid.
            unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
        }
    }
    let deadline = Instant::now() + Duration::from_millis(STOP_TIMEOUT_MS);
    for p in procs.iter_mut() {
        let Some(c) = p.child.as_mut() else { continue };
        loop {
            match c.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = c.kill();
                    let _ = c.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        p.child = None;
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How long a start waits for a shard directory's lock to be let go (a
/// shard of a proxy that was just killed finishing its shutdown).
pub const IN_USE_WAIT_MS: u64 = 5_000;

/// An error if another process holds the lock a shard takes on `dir`
/// (`shard.lock`, see shardd's `persist::dir::lock`) for longer than
/// [`IN_USE_WAIT_MS`]: another shardis started on the same `--dir`. Its
/// shards would be locked out, and its workers would attach to the
/// other's shards through their sockets. Takes the lock and lets it go at
/// once when it is free; creates and writes nothing.
fn refuse_if_in_use(dir: &Path) -> std::io::Result<()> {
    let Ok(f) = std::fs::File::open(dir.join("shard.lock")) else {
        return Ok(());
    };
    let deadline = Instant::now() + Duration::from_millis(IN_USE_WAIT_MS);
    loop {
        // SAFETY: flock on an open descriptor this function owns.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            // SAFETY: the same descriptor (closing it would release it too).
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
            return Ok(());
        }
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let holder = std::fs::read_to_string(dir.join("shard.lock")).unwrap_or_default();
    Err(std::io::Error::other(format!(
        "data directory {} is in use by another process (pid {}): another shardis on the same --dir?",
        dir.display(),
        holder.trim()
    )))
}

fn spawn(program: &Program, p: &mut ShardProc) -> std::io::Result<()> {
    std::fs::create_dir_all(&p.dir)?;
    let mut cmd = Command::new(&program.bin);
    cmd.args(&program.fixed).args((program.args)(p.id));
    if let Some(s) = &p.slots {
        cmd.arg("--slots").arg(s);
    }
    cmd.arg("--id")
        .arg(p.id.to_string())
        .arg("--dir")
        .arg(&p.dir);
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal
    // the child when its parent dies.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    let child = cmd.spawn()?;
    tracing::info!(shard = p.id, pid = child.id(), "shard started");
    p.child = Some(child);
    p.started = Instant::now();
    Ok(())
}

fn watch(procs: &Mutex<Vec<ShardProc>>, stop: &AtomicBool, program: &Arc<Program>) {
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(CHECK_INTERVAL_MS));
        let mut procs = lock(procs);
        for p in procs.iter_mut() {
            check_one(program, p);
        }
    }
}

fn check_one(program: &Program, p: &mut ShardProc) {
    if let Some(c) = p.child.as_mut() {
        match c.try_wait() {
            Ok(None) => {
                if p.started.elapsed() > Duration::from_millis(HEALTHY_AFTER_MS) {
                    p.backoff_ms = RESTART_BACKOFF_MIN_MS;
                }
                return;
            }
            Ok(Some(status)) => {
                tracing::warn!(shard = p.id, %status, "shard exited; restarting");
            }
            Err(e) => tracing::warn!(shard = p.id, "cannot wait for shard: {e}"),
        }
        p.child = None;
        p.restart_at = Some(Instant::now() + Duration::from_millis(p.backoff_ms));
        p.backoff_ms = (p.backoff_ms * 2).min(RESTART_BACKOFF_MAX_MS);
    }
    if p.restart_at.is_some_and(|t| Instant::now() >= t) {
        p.restart_at = None;
        p.restarts += 1;
        if let Err(e) = spawn(program, p) {
            tracing::error!(shard = p.id, "cannot restart shard: {e}");
            p.restart_at = Some(Instant::now() + Duration::from_millis(p.backoff_ms));
        }
    }
}
