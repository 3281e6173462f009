//! A real `redis-server` beside shardis, for tests that compare replies.

use std::{
    net::TcpListener,
    os::unix::process::CommandExt,
    process::{Child, Command, Stdio},
};

use super::{wait_until, Raw, TempDir, START_TIMEOUT};

/// A `redis-server` on a free port, killed by pid when dropped.
pub struct RedisServer {
    child: Child,
    /// Its port.
    pub port: u16,
    _dir: TempDir,
}

impl RedisServer {
    /// Starts `redis-server` with no persistence, or `None` if it is not
    /// installed.
    pub fn start() -> Option<RedisServer> {
        let dir = TempDir::new();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("pick a free port");
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "warning"])
            .arg("--dir")
            .arg(&dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: prctl is async-signal-safe; redis dies with this thread.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(e) => panic!("spawn redis-server: {e}"),
        };
        let server = RedisServer {
            child,
            port,
            _dir: dir,
        };
        wait_until(START_TIMEOUT, "redis-server to answer PING", || {
            Raw::try_connect(port)
                .is_ok_and(|mut c| c.try_cmd(&["PING"]).is_ok_and(|r| r == b"+PONG\r\n"))
        });
        Some(server)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        // Child::kill signals this child's pid only.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `redis-server` and a shardis side by side, a raw connection to each.
pub struct SideBySide {
    /// The redis-server (kept alive).
    pub redis: RedisServer,
    /// The shardis.
    pub shardis: super::Server,
    /// A connection to shardis.
    pub ours: Raw,
    /// A connection to redis-server.
    pub theirs: Raw,
}

impl SideBySide {
    /// Both servers, shardis with `shards` shards; `None` (after saying
    /// so) where redis-server is not installed.
    pub fn start(shards: usize) -> Option<SideBySide> {
        let Some(redis) = RedisServer::start() else {
            eprintln!("redis-server is not installed: skipping the comparison");
            return None;
        };
        let shardis = super::Server::with_shards(shards);
        let ours = shardis.raw();
        let theirs = Raw::connect(redis.port);
        Some(SideBySide {
            redis,
            shardis,
            ours,
            theirs,
        })
    }

    /// Sends each command to both and asserts the replies are the same
    /// (the first 600 bytes of each are shown when they are not).
    pub fn same(&mut self, cmds: &[Vec<&str>]) {
        for cmd in cmds {
            let want = self.theirs.cmd(cmd);
            let got = self.ours.cmd(cmd);
            let short = |b: &[u8]| String::from_utf8_lossy(&b[..b.len().min(600)]).into_owned();
            assert_eq!(short(&got), short(&want), "reply to {cmd:?}");
        }
    }
}
