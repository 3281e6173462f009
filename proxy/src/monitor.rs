//! MONITOR: every command clients run, as a line to each monitoring
//! client, in Redis's form: `+<unix seconds>.<micros> [<db> <ip:port>]
//! "arg" "arg" ...` (each argument quoted as Redis's `sdscatrepr` does).
//!
//! Which commands, as in Redis 7.0: those that run (not those refused
//! before running: unknown, wrong arity, `NOAUTH`, ACL, busy), but no
//! administrative one (CONFIG, DEBUG, ACL, SAVE, MONITOR...) nor one
//! flagged `skip_monitor`, except the scripts (EVAL, EVALSHA, FCALL and
//! their `_RO` forms), which Redis shows as they start. Inside MULTI the
//! queued commands are shown at EXEC, each in its database, then `exec`;
//! an EXEC that does not run (aborted, a WATCH lost) shows `exec` alone.
//! AUTH's arguments and HELLO's `AUTH user pass` are `(redacted)`.
//!
//! Where: the proxy, which sees every client's command. A command a
//! shard runs is shown when its reply comes to the proxy (after it ran,
//! as in Redis, where the line and the reply leave together: a monitor
//! may act on the line as on the command's end); one the proxy answers,
//! a blocking command (shown as it starts waiting, as Redis shows it
//! when it blocks), a script and a transaction's commands are shown when
//! the proxy dispatches them. Each monitor's lines go through the
//! mailbox and pump its connection would use for pub/sub messages
//! (`crate::pubsub`), under `client-output-buffer-limit pubsub`: a
//! monitor that does not read is closed at that limit (Redis counts a
//! monitor as a normal client, unlimited by default; shardis bounds it).
//!
//! The commands a script runs inside its shard come as `[db lua]` lines
//! after the script's own: while a client monitors, `SHARDD.EVAL` carries
//! a flag, and the shard puts each command the script runs on its reply
//! (`common::notify::push_monitor`), which the proxy hands to the
//! monitors with the reply's events. A process with no monitor pays one
//! relaxed atomic load per command.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::SystemTime,
};

use bytes::Bytes;
use common::table::{
    flags::{F_ADMIN, F_SKIP_MONITOR},
    Cmd, CommandSpec,
};

use crate::pubsub::Mailbox;

/// The monitoring clients of the process (shared by its workers).
#[derive(Default)]
pub struct Monitors {
    /// How many (read on every command).
    count: AtomicUsize,
    list: Mutex<Vec<(u64, Arc<Mailbox>)>>,
}

impl Monitors {
    fn lock(&self) -> MutexGuard<'_, Vec<(u64, Arc<Mailbox>)>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether any client monitors (the fast check before feeding).
    pub fn any(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// Client `client` monitors from now on, its lines going to `mb`;
    /// false if it did already.
    pub fn add(&self, client: u64, mb: Arc<Mailbox>) -> bool {
        let mut l = self.lock();
        if l.iter().any(|(c, _)| *c == client) {
            return false;
        }
        l.push((client, mb));
        self.count.store(l.len(), Ordering::Relaxed);
        true
    }

    /// Client `client` monitors no more (RESET, or it left).
    pub fn remove(&self, client: u64) {
        let mut l = self.lock();
        l.retain(|(c, _)| *c != client);
        self.count.store(l.len(), Ordering::Relaxed);
    }

    /// Sends the line of `argv` (run in database `db` by the client at
    /// `from`) to every monitor, each within `limits` (`(hard, soft,
    /// seconds)` of its output).
    pub fn feed(&self, db: u32, from: &str, argv: &[&[u8]], limits: (u64, u64, u64)) {
        self.feed_line(Bytes::from(line(SystemTime::now(), db, from, argv)), limits);
    }

    /// Sends a finished line (see [`line`]) to every monitor.
    pub fn feed_line(&self, line: Bytes, limits: (u64, u64, u64)) {
        for (_, mb) in self.lock().iter() {
            mb.push_raw(line.clone(), limits);
        }
    }
}

/// Whether a command of `spec` is shown when it runs (module docs).
pub fn shown(spec: &CommandSpec) -> bool {
    let script = matches!(
        spec.id,
        Cmd::Eval | Cmd::Evalsha | Cmd::EvalRo | Cmd::EvalshaRo | Cmd::Fcall | Cmd::FcallRo
    );
    script || !(spec.has_flag(F_ADMIN) || spec.has_flag(F_SKIP_MONITOR))
}

/// The monitor line of `argv`, run at `now` in database `db` by `from`.
pub fn line(now: SystemTime, db: u32, from: &str, argv: &[&[u8]]) -> Vec<u8> {
    let t = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    let mut out = format!("+{}.{:06} [{db} {from}]", t.as_secs(), t.subsec_micros()).into_bytes();
    let hidden = redacted(argv);
    for (i, a) in argv.iter().enumerate() {
        out.push(b' ');
        if hidden.contains(&i) {
            out.extend_from_slice(b"\"(redacted)\"");
        } else {
            quote(&mut out, a);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The positions of `argv` shown as `(redacted)`: AUTH's arguments, and
/// the user and password after HELLO's `AUTH`.
fn redacted(argv: &[&[u8]]) -> Vec<usize> {
    let Some(name) = argv.first() else {
        return Vec::new();
    };
    if name.eq_ignore_ascii_case(b"auth") {
        return (1..argv.len()).collect();
    }
    if name.eq_ignore_ascii_case(b"hello") {
        if let Some(at) = argv
            .iter()
            .skip(2)
            .position(|a| a.eq_ignore_ascii_case(b"auth"))
        {
            let at = at + 2;
            return (at + 1..(at + 3).min(argv.len())).collect();
        }
    }
    Vec::new()
}

/// `arg` quoted as Redis's `sdscatrepr`: in double quotes, `\\`, `\"`,
/// `\n`, `\r`, `\t`, `\a`, `\b` escaped, other bytes outside printable
/// ASCII as `\xhh`.
fn quote(out: &mut Vec<u8>, arg: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in arg {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => {
                out.extend_from_slice(b"\\x");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(argv: &[&str]) -> String {
        let now = SystemTime::UNIX_EPOCH + Duration::from_micros(1_700_000_000_000_042);
        let argv: Vec<&[u8]> = argv.iter().map(|a| a.as_bytes()).collect();
        String::from_utf8_lossy(&line(now, 3, "127.0.0.1:5000", &argv)).into_owned()
    }

    #[test]
    fn lines_quote_their_arguments_as_redis_does() {
        assert_eq!(
            at(&["set", "k", "a\"b\\c\r\n\t\x07\x08\x01\u{7f} é"]),
            "+1700000000.000042 [3 127.0.0.1:5000] \"set\" \"k\" \"a\\\"b\\\\c\\r\\n\\t\\a\\b\\x01\\x7f \\xc3\\xa9\"\r\n"
        );
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            at(&["auth", "user", "pass"]),
            "+1700000000.000042 [3 127.0.0.1:5000] \"auth\" \"(redacted)\" \"(redacted)\"\r\n"
        );
        assert_eq!(
            at(&["hello", "2", "AUTH", "u", "p", "SETNAME", "n"]),
            "+1700000000.000042 [3 127.0.0.1:5000] \"hello\" \"2\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n\"\r\n"
        );
        assert_eq!(
            at(&["hello", "3"]),
            "+1700000000.000042 [3 127.0.0.1:5000] \"hello\" \"3\"\r\n"
        );
    }

    #[test]
    fn admin_commands_are_not_shown_but_scripts_are() {
        assert!(shown(Cmd::Set.spec()));
        assert!(shown(Cmd::Eval.spec()));
        assert!(shown(Cmd::Fcall.spec()));
        assert!(!shown(Cmd::ConfigSet.spec()));
        assert!(!shown(Cmd::Monitor.spec()));
    }
}
