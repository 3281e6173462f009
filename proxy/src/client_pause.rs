//! `CLIENT PAUSE timeout [WRITE|ALL]` and `CLIENT UNPAUSE`, as Redis 7.0
//! has them: for `timeout` milliseconds every client's commands (`ALL`),
//! or those that may write or replicate (`WRITE`), wait before they run,
//! counted in `blocked_clients`, and go on in their order when the pause
//! ends (its time passes or `CLIENT UNPAUSE`). A second pause while one is
//! in force keeps the later end and the stricter mode. A command waits
//! after the checks that refuse it at once (an unknown command, its
//! arity, authentication, ACL), before MULTI queues it; EXEC waits when a
//! command it queued may write; a pause run inside a transaction starts
//! once the transaction ends (the transaction's own commands are not
//! held). What "may write" is, per Redis: the command's `write` flag, or
//! PUBLISH, SPUBLISH, PFCOUNT, EVAL, EVALSHA and FCALL; a script or
//! function that declares its flags is held unless it says `no-writes`
//! (the `_RO` forms never are).
//!
//! The shards hear of the pause (`SHARDD.CONFIG ... shardis-paused-until
//! MS`, the end as Unix milliseconds, 0 when it ends early): while it
//! lasts they neither expire keys (an expired key reads as missing but
//! stays, and `expired_keys` does not move) nor evict, as Redis keeps the
//! dataset still. A shard that restarts during a pause has forgotten it
//! (its keys expire again; writes stay held by the proxy).
//!
//! Shared by every worker: the mode and the end are atomics read on every
//! command's shortcut (`Worker::try_enter` sends everything the general
//! way while a pause is on), and a [`Notify`] wakes the waiting commands
//! when the pause changes.

use std::{
    sync::{
        atomic::{AtomicU64, AtomicU8, AtomicUsize, Ordering},
        Mutex,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use common::table::{flags::F_WRITE, Cmd, CommandSpec};
use tokio::sync::Notify;

/// What a pause holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    /// Commands that may write or replicate.
    Write = 1,
    /// Every command.
    All = 2,
}

/// The name under which the shards hear of a pause's end.
pub const SHARD_SETTING: &str = "shardis-paused-until";

/// The process's `CLIENT PAUSE` (see the module docs).
#[derive(Default)]
pub struct ClientPause {
    /// 0: none, else a [`Mode`] (possibly past its end).
    mode: AtomicU8,
    /// The end, Unix milliseconds.
    until_ms: AtomicU64,
    /// Serializes changes (two pauses from two workers combine).
    change: Mutex<()>,
    changed: Notify,
    /// Commands waiting now.
    waiting: AtomicUsize,
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl ClientPause {
    /// Whether a pause may be in force (one atomic load; its end may have
    /// passed): the shortcuts leave every command to the general path.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.mode.load(Ordering::Relaxed) != 0
    }

    /// The pause in force now, if any (one whose end passed is cleared).
    pub fn now(&self) -> Option<Mode> {
        let mode = match self.mode.load(Ordering::SeqCst) {
            0 => return None,
            1 => Mode::Write,
            _ => Mode::All,
        };
        let until = self.until_ms.load(Ordering::SeqCst);
        if now_ms() < until {
            return Some(mode);
        }
        let _g = self.change.lock().unwrap_or_else(|p| p.into_inner());
        if self.until_ms.load(Ordering::SeqCst) == until {
            self.mode.store(0, Ordering::SeqCst);
        }
        None
    }

    /// Pauses until `until_ms` (Unix ms) in `mode`, combined with a pause
    /// in force (the later end, the stricter mode); the end in force.
    pub fn pause(&self, mode: Mode, until_ms: u64) -> u64 {
        let _g = self.change.lock().unwrap_or_else(|p| p.into_inner());
        let (mut mode, mut until) = (mode, until_ms);
        let current = self.mode.load(Ordering::SeqCst);
        let current_until = self.until_ms.load(Ordering::SeqCst);
        if current != 0 && now_ms() < current_until {
            if current == Mode::All as u8 {
                mode = Mode::All;
            }
            until = until.max(current_until);
        }
        self.until_ms.store(until, Ordering::SeqCst);
        self.mode.store(mode as u8, Ordering::SeqCst);
        self.changed.notify_waiters();
        until
    }

    /// Ends the pause in force, if any.
    pub fn unpause(&self) {
        let _g = self.change.lock().unwrap_or_else(|p| p.into_inner());
        self.mode.store(0, Ordering::SeqCst);
        self.until_ms.store(0, Ordering::SeqCst);
        self.changed.notify_waiters();
    }

    /// Commands waiting for a pause to end (part of `blocked_clients`).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Waits while a pause holds what `held` says it holds.
    pub async fn wait(&self, held: impl Fn(Mode) -> bool) {
        let mut counted = None;
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            match self.now() {
                Some(mode) if held(mode) => {}
                _ => return,
            }
            counted.get_or_insert_with(|| Waiting::new(&self.waiting));
            let left = self
                .until_ms
                .load(Ordering::SeqCst)
                .saturating_sub(now_ms());
            // Bounded by the pause's end; a change wakes it at once.
            let _ = tokio::time::timeout(Duration::from_millis(left.max(1)), changed).await;
        }
    }
}

/// One command counted as waiting while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(n: &'a AtomicUsize) -> Self {
        n.fetch_add(1, Ordering::Relaxed);
        Waiting(n)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What a script's or function's declared flags say, as far as a pause
/// cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declared {
    /// No flags declared (no shebang, an unknown function): the command's
    /// own flags count (EVAL, EVALSHA and FCALL may replicate).
    Nothing,
    /// Declared, with `no-writes`.
    NoWrites,
    /// Declared, without `no-writes`: a write.
    Writes,
}

/// The flags an EVAL body declares in its `#!` line, as Redis reads them
/// for a pause (a shebang it cannot read counts as none).
pub fn body_flags(body: &[u8]) -> Declared {
    let Some(rest) = body.strip_prefix(b"#!") else {
        return Declared::Nothing;
    };
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut words = line
        .split(|&b| b == b' ' || b == b'\t' || b == b'\r')
        .filter(|w| !w.is_empty());
    if words.next() != Some(&b"lua"[..]) {
        return Declared::Nothing;
    }
    let mut no_writes = false;
    for w in words {
        let Some(list) = w.strip_prefix(b"flags=") else {
            return Declared::Nothing;
        };
        for f in list.split(|&b| b == b',').filter(|f| !f.is_empty()) {
            match f {
                b"no-writes" => no_writes = true,
                b"allow-oom" | b"allow-stale" | b"no-cluster" | b"allow-cross-slot-keys" => {}
                _ => return Declared::Nothing,
            }
        }
    }
    match no_writes {
        true => Declared::NoWrites,
        false => Declared::Writes,
    }
}

/// Whether `spec` with the script flags `declared` (for EVAL, EVALSHA,
/// FCALL and their `_RO` forms) may write or replicate, as Redis decides
/// what a `WRITE` pause holds.
pub fn may_write(spec: &CommandSpec, declared: Declared) -> bool {
    match spec.id {
        Cmd::Eval | Cmd::Evalsha | Cmd::Fcall => declared != Declared::NoWrites,
        Cmd::EvalRo | Cmd::EvalshaRo | Cmd::FcallRo => false,
        Cmd::Publish | Cmd::Spublish | Cmd::Pfcount => true,
        _ => spec.has_flag(F_WRITE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_flags_read_as_redis_reads_them() {
        assert_eq!(body_flags(b"return 1"), Declared::Nothing);
        assert_eq!(body_flags(b"#!lua\nreturn 1"), Declared::Writes);
        assert_eq!(
            body_flags(b"#!lua flags=no-writes\nreturn 1"),
            Declared::NoWrites
        );
        assert_eq!(
            body_flags(b"#!lua flags=allow-oom,no-writes\r\nreturn 1"),
            Declared::NoWrites
        );
        assert_eq!(
            body_flags(b"#!lua flags=allow-stale\nreturn 1"),
            Declared::Writes
        );
        assert_eq!(
            body_flags(b"#!lua flags=bogus\nreturn 1"),
            Declared::Nothing
        );
        assert_eq!(body_flags(b"#!python\nreturn 1"), Declared::Nothing);
        assert_eq!(body_flags(b"#!lua name=x\nreturn 1"), Declared::Nothing);
    }

    #[test]
    fn writes_and_what_may_replicate_are_held() {
        let spec = |argv: &[&[u8]]| match common::table::resolve(argv) {
            Ok(s) => s,
            Err(_) => panic!("{argv:?}"),
        };
        assert!(may_write(spec(&[b"set", b"k", b"v"]), Declared::Nothing));
        assert!(!may_write(spec(&[b"get", b"k"]), Declared::Nothing));
        assert!(may_write(
            spec(&[b"publish", b"c", b"m"]),
            Declared::Nothing
        ));
        assert!(may_write(spec(&[b"pfcount", b"k"]), Declared::Nothing));
        assert!(may_write(spec(&[b"eval", b"s", b"0"]), Declared::Nothing));
        assert!(may_write(spec(&[b"eval", b"s", b"0"]), Declared::Writes));
        assert!(!may_write(spec(&[b"eval", b"s", b"0"]), Declared::NoWrites));
        assert!(!may_write(
            spec(&[b"eval_ro", b"s", b"0"]),
            Declared::Nothing
        ));
        assert!(may_write(spec(&[b"fcall", b"f", b"0"]), Declared::Nothing));
        assert!(!may_write(
            spec(&[b"fcall", b"f", b"0"]),
            Declared::NoWrites
        ));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_pause_combines_and_its_waiters_go_when_it_ends() {
        let p = ClientPause::default();
        assert_eq!(p.now(), None);
        let end = now_ms() + 60_000;
        p.pause(Mode::All, end);
        assert_eq!(p.pause(Mode::Write, end - 30_000), end);
        assert_eq!(p.now(), Some(Mode::All));
        p.unpause();
        assert_eq!(p.now(), None);
        assert!(!p.is_on());
        // One that ends on its own: the waiter goes, and the mode clears.
        p.pause(Mode::Write, now_ms() + 30);
        p.wait(|m| m == Mode::Write).await;
        assert_eq!(p.now(), None);
        assert!(!p.is_on());
        assert_eq!(p.waiting(), 0);
        // A command a WRITE pause does not hold does not wait.
        p.pause(Mode::Write, now_ms() + 60_000);
        p.wait(|m| m == Mode::All).await;
        p.unpause();
    }
}
