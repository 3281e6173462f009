//! Writing and reading a whole keyspace as a snapshot, in this process
//! (SAVE, loading) or in a forked child (BGSAVE, BGREWRITEAOF).
//!
//! The child ([`fork_snapshot`]) owns a copy-on-write copy of the keyspace
//! as it was at the fork. It closes every inherited descriptor but stderr
//! first (the rings, the control socket, the logs, the lock), so it can
//! never touch them, asks to be killed if its parent dies, writes the
//! snapshot and leaves with `_exit`: no destructor runs, so nothing of the
//! parent's state (the `everysec` syncer thread, which does not exist in
//! the child, the log writers, the channels) is used. The parent reaps it
//! without blocking ([`reap`]).

use std::{
    io::Write,
    path::Path,
    time::{Duration, Instant},
};

use super::snapshot::{read_snapshot, SnapshotError, SnapshotWriter, META_FUNCTION, META_SELECT};
use crate::{dump, keyspace::Keyspace};

/// Exit status of a child that wrote its snapshot.
const CHILD_OK: i32 = 0;
/// Exit status of a child that failed (the reason is on stderr).
const CHILD_FAILED: i32 = 1;

/// Writes every live key of `ks` to the snapshot `path` (complete or absent).
pub fn write_keyspace(ks: &Keyspace, path: &Path) -> std::io::Result<u64> {
    let mut w = SnapshotWriter::create(path)?;
    for code in ks.functions() {
        w.add_meta(META_FUNCTION, code)?;
    }
    let mut value = Vec::with_capacity(4096);
    for db in ks.used_dbs() {
        if db > 0 {
            // The keys that follow are database `db`'s.
            w.add_meta(META_SELECT, db.to_string().as_bytes())?;
        }
        ks.try_for_each_entry_of(db, |key, expire_at, v| {
            value.clear();
            dump::encode_into(v, &mut value);
            w.add(key, expire_at, &value)
        })?;
    }
    w.finish()
}

/// Loads the snapshot at `path` into `ks`; keys already expired by `ks`'s
/// clock are skipped (as Redis does when a master loads). The function
/// libraries it holds replace `ks`'s. Returns the keys loaded and those
/// skipped as expired (`INFO`'s `rdb_last_load_keys_loaded` and
/// `rdb_last_load_keys_expired`).
pub fn load_snapshot(path: &Path, ks: &mut Keyspace) -> Result<(u64, u64), SnapshotError> {
    let now = ks.now_ms();
    // Keys whose time had come when the snapshot was read: not loaded.
    let expired = std::cell::Cell::new(0u64);
    let home = ks.selected();
    let mut functions = Vec::new();
    // Keys go to database 0 until a `select` record names another (the
    // records are handed over in file order).
    let db = std::cell::Cell::new(0usize);
    let n = read_snapshot(
        path,
        |key, expire_at, payload| {
            let value = dump::decode(payload).map_err(|_| "a value does not decode")?;
            ks.make_room_for_db(db.get());
            if db.get() >= ks.databases() {
                return Err("a key of a database beyond the most a shard holds");
            }
            ks.select(db.get());
            if expire_at.is_none_or(|t| t > now) {
                ks.insert_with_expiry(key, value, expire_at);
            } else {
                expired.set(expired.get() + 1);
            }
            Ok(())
        },
        |name, value| {
            if name == META_FUNCTION {
                functions.push(value.to_vec());
            } else if name == META_SELECT {
                db.set(
                    common::num::parse_i64(value)
                        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX)),
                );
            }
        },
    )?;
    ks.select(home);
    ks.set_functions(functions);
    let expired = expired.get();
    Ok((n.saturating_sub(expired), expired))
}

/// Forks a child that writes the snapshot of `ks` to `path` and exits;
/// returns its pid.
pub fn fork_snapshot(ks: &Keyspace, path: &Path) -> std::io::Result<libc::pid_t> {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the child runs only `child_main`, which ends in `_exit`.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => Err(std::io::Error::last_os_error()),
        0 => child_main(ks, path, parent),
        pid => Ok(pid),
    }
}

fn child_main(ks: &Keyspace, path: &Path, parent: libc::pid_t) -> ! {
    // SAFETY: plain syscalls on this (single-threaded) child; close_range
    // closes every inherited descriptor above stderr, which the child
    // owns no Rust value for that it will ever drop (it leaves by _exit).
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != parent {
            libc::_exit(CHILD_FAILED);
        }
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
            for fd in 3..1024 {
                libc::close(fd);
            }
        }
    }
    let code = match write_keyspace(ks, path) {
        Ok(_) => CHILD_OK,
        Err(e) => {
            let msg = format!("shardd snapshot child: writing {}: {e}\n", path.display());
            let _ = std::io::stderr().write_all(msg.as_bytes());
            CHILD_FAILED
        }
    };
    // SAFETY: leaves without running destructors of the parent's state.
    unsafe { libc::_exit(code) }
}

/// Whether the child `pid` is done: `None` while it runs, `Some(true)` if
/// it wrote its snapshot, `Some(false)` if it failed or cannot be waited for.
pub fn reap(pid: libc::pid_t) -> Option<bool> {
    let mut status = 0;
    // SAFETY: waitpid on our own child, without blocking.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    match r {
        0 => None,
        r if r == pid => Some(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == CHILD_OK),
        _ => Some(false),
    }
}

/// Waits up to `timeout` for the child `pid` (tests and shutdown).
pub fn reap_within(pid: libc::pid_t, timeout: Duration) -> Option<bool> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(ok) = reap(pid) {
            return Some(ok);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
