//! What goes into the log for a write command: the command itself, except
//! where replaying it later would not give the same result.
//!
//! - Relative expiry times are made absolute (Unix milliseconds), so a key
//!   replayed later expires when it would have: `SET k v EX 10` is logged
//!   as `SET k v PXAT <t>`, `EXPIRE k 10` as `PEXPIREAT k <t>`, `SETEX`,
//!   `PSETEX`, `GETEX ... EX|PX` and `RESTORE` with a relative TTL alike.
//! - `SPOP` (random) is logged as the `SREM` of the members it returned.
//!
//! Every other write command is deterministic given the same keyspace, so
//! it is logged as it came. Commands that answered with an error changed
//! nothing and are not logged; nor are writes whose handler says they
//! changed nothing (the shard's loop does not hand them to the log).

use common::num::parse_i64;

use crate::keyspace::Keyspace;

/// What to log for one write command.
#[derive(Debug, PartialEq, Eq)]
pub enum LogForm {
    /// Nothing (it failed, or changed nothing).
    Skip,
    /// The command as it came (the common case: no allocation).
    AsIs,
    /// This command instead.
    Rewritten(Vec<Vec<u8>>),
}

/// Commands whose logged form may differ from what was sent.
const REWRITTEN: &[&[u8]] = &[
    b"set",
    b"getex",
    b"setex",
    b"psetex",
    b"expire",
    b"pexpire",
    b"expireat",
    b"restore",
    b"spop",
];

/// What to log for `args`, which ran on `ks` and replied `reply`: the form
/// the command itself asked for ([`Keyspace::log_as`]: the stream commands,
/// whose effect depends on the clock), else [`log_form`].
pub fn logged(ks: &mut Keyspace, args: &[&[u8]], reply: &[u8]) -> Option<Vec<Vec<u8>>> {
    match ks.take_log_as() {
        Some(form) => Some(form),
        None => log_form(args, reply, ks.now_ms()),
    }
}

/// `SHARDD.AT ms command...`: a log-only record, never sent by the proxy,
/// that replays `command` with the keyspace's clock at `ms` (the time it
/// first ran), so a command whose effect depends on the time (XADD with
/// `*`, XREADGROUP, XCLAIM, XAUTOCLAIM) replays to the same result.
pub const AT: &[u8] = b"SHARDD.AT";

/// `command` logged to replay at `now_ms` (see [`AT`]).
pub fn at(now_ms: u64, command: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out = Vec::with_capacity(command.len() + 2);
    out.push(AT.to_vec());
    out.push(now_ms.to_string().into_bytes());
    out.extend(command.iter().map(|a| a.to_vec()));
    out
}

/// What to log for `args`, which just ran on `ks` and replied `reply`:
/// the form the command asked for ([`Keyspace::log_as`]), else
/// [`plan`]'s.
pub fn effect(ks: &mut Keyspace, args: &[&[u8]], reply: &[u8]) -> LogForm {
    match ks.take_log_as() {
        Some(form) => LogForm::Rewritten(form),
        None => plan(args, reply, ks.now_ms()),
    }
}

/// What to log for `args`, which ran at `now_ms` and replied `reply`.
pub fn plan(args: &[&[u8]], reply: &[u8], now_ms: u64) -> LogForm {
    if reply.first() == Some(&b'-') {
        return LogForm::Skip;
    }
    let Some(name) = args.first() else {
        return LogForm::Skip;
    };
    if !REWRITTEN.iter().any(|r| name.eq_ignore_ascii_case(r)) {
        return LogForm::AsIs;
    }
    // SET and GETEX change form only for a relative expiry (EX, PX):
    // without one they log as they came, with no copy (most SETs).
    let set = name.eq_ignore_ascii_case(b"set");
    if set || name.eq_ignore_ascii_case(b"getex") {
        let first_opt = if set { 3 } else { 2 };
        let relative = args
            .iter()
            .take(args.len().saturating_sub(1))
            .skip(first_opt)
            .any(|a| a.eq_ignore_ascii_case(b"ex") || a.eq_ignore_ascii_case(b"px"));
        if !relative {
            return LogForm::AsIs;
        }
    }
    match log_form(args, reply, now_ms) {
        Some(cmd) => LogForm::Rewritten(cmd),
        None => LogForm::Skip,
    }
}

/// The command to log for `args`, which ran at `now_ms` and replied
/// `reply`; `None` when nothing needs logging.
pub fn log_form(args: &[&[u8]], reply: &[u8], now_ms: u64) -> Option<Vec<Vec<u8>>> {
    if reply.first() == Some(&b'-') {
        return None;
    }
    let name = args.first()?.to_ascii_lowercase();
    let abs = |rel: &[u8], unit_ms: i64| -> Option<Vec<u8>> {
        let n = parse_i64(rel)?;
        let at = (now_ms as i64).checked_add(n.checked_mul(unit_ms)?)?;
        Some(at.to_string().into_bytes())
    };
    let owned = |a: &[&[u8]]| a.iter().map(|x| x.to_vec()).collect::<Vec<_>>();
    match name.as_slice() {
        b"set" | b"getex" => {
            let mut out = owned(args);
            // SET's options start after the value; GETEX's after the key.
            let first_opt = if name == b"set" { 3 } else { 2 };
            for i in first_opt..out.len().saturating_sub(1) {
                let opt = out[i].to_ascii_lowercase();
                let unit = match opt.as_slice() {
                    b"ex" => 1000,
                    b"px" => 1,
                    _ => continue,
                };
                out[i] = b"PXAT".to_vec();
                out[i + 1] = abs(args[i + 1], unit)?;
            }
            Some(out)
        }
        b"setex" | b"psetex" if args.len() == 4 => {
            let unit = if name == b"setex" { 1000 } else { 1 };
            Some(vec![
                b"SET".to_vec(),
                args[1].to_vec(),
                args[3].to_vec(),
                b"PXAT".to_vec(),
                abs(args[2], unit)?,
            ])
        }
        b"expire" | b"pexpire" if args.len() >= 3 => {
            let unit = if name == b"expire" { 1000 } else { 1 };
            let mut out = vec![b"PEXPIREAT".to_vec(), args[1].to_vec(), abs(args[2], unit)?];
            out.extend(args[3..].iter().map(|a| a.to_vec()));
            Some(out)
        }
        b"expireat" if args.len() >= 3 => {
            let mut out = vec![b"PEXPIREAT".to_vec(), args[1].to_vec()];
            out.push(
                parse_i64(args[2])?
                    .checked_mul(1000)?
                    .to_string()
                    .into_bytes(),
            );
            out.extend(args[3..].iter().map(|a| a.to_vec()));
            Some(out)
        }
        b"restore" if args.len() >= 4 => {
            let mut out = owned(args);
            let absttl = args[4..].iter().any(|a| a.eq_ignore_ascii_case(b"absttl"));
            if !absttl && parse_i64(args[2]).is_some_and(|t| t > 0) {
                out[2] = abs(args[2], 1)?;
                out.push(b"ABSTTL".to_vec());
            }
            Some(out)
        }
        b"spop" => spop_as_srem(args, reply),
        _ => Some(owned(args)),
    }
}

/// `SREM key <members SPOP returned>`, read from its reply.
fn spop_as_srem(args: &[&[u8]], reply: &[u8]) -> Option<Vec<Vec<u8>>> {
    let key = args.get(1)?;
    let mut members = Vec::new();
    let mut rest = reply;
    let mut count = 1usize;
    if matches!(rest.first(), Some(b'*') | Some(b'~')) {
        let (n, after) = line_number(&rest[1..])?;
        count = usize::try_from(n).ok()?;
        rest = after;
    }
    for _ in 0..count {
        if rest.first() != Some(&b'$') {
            break;
        }
        let (len, after) = line_number(&rest[1..])?;
        let Ok(len) = usize::try_from(len) else {
            break;
        };
        members.push(after.get(..len)?.to_vec());
        rest = after.get(len + 2..)?;
    }
    if members.is_empty() {
        return None;
    }
    let mut out = vec![b"SREM".to_vec(), key.to_vec()];
    out.extend(members);
    Some(out)
}

fn line_number(b: &[u8]) -> Option<(i64, &[u8])> {
    let end = memchr::memchr(b'\r', b)?;
    let n = parse_i64(&b[..end]).or_else(|| (b[..end] == *b"-1").then_some(-1))?;
    Some((n, b.get(end + 2..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(args: &[&str], reply: &str) -> Option<Vec<String>> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        log_form(&a, reply.as_bytes(), 1_000_000).map(|v| {
            v.into_iter()
                .map(|x| String::from_utf8_lossy(&x).into_owned())
                .collect()
        })
    }

    #[test]
    fn relative_ttls_become_absolute() {
        assert_eq!(
            log(&["SET", "k", "v", "EX", "10"], "+OK\r\n").unwrap(),
            ["SET", "k", "v", "PXAT", "1010000"]
        );
        assert_eq!(
            log(&["set", "k", "v", "px", "5", "NX"], "+OK\r\n").unwrap(),
            ["set", "k", "v", "PXAT", "1000005", "NX"]
        );
        assert_eq!(
            log(&["SET", "k", "ex", "EX", "1"], "+OK\r\n").unwrap(),
            ["SET", "k", "ex", "PXAT", "1001000"]
        );
        assert_eq!(
            log(&["GETEX", "k", "PX", "1"], "$1\r\nv\r\n").unwrap(),
            ["GETEX", "k", "PXAT", "1000001"]
        );
        assert_eq!(
            log(&["SETEX", "k", "2", "v"], "+OK\r\n").unwrap(),
            ["SET", "k", "v", "PXAT", "1002000"]
        );
        assert_eq!(
            log(&["EXPIRE", "k", "3", "NX"], ":1\r\n").unwrap(),
            ["PEXPIREAT", "k", "1003000", "NX"]
        );
        assert_eq!(
            log(&["EXPIREAT", "k", "7"], ":1\r\n").unwrap(),
            ["PEXPIREAT", "k", "7000"]
        );
        assert_eq!(
            log(&["RESTORE", "k", "50", "x"], "+OK\r\n").unwrap(),
            ["RESTORE", "k", "1000050", "x", "ABSTTL"]
        );
    }

    #[test]
    fn spop_is_logged_as_the_members_it_removed() {
        assert_eq!(
            log(&["SPOP", "s"], "$1\r\na\r\n").unwrap(),
            ["SREM", "s", "a"]
        );
        assert_eq!(
            log(&["SPOP", "s", "2"], "*2\r\n$1\r\na\r\n$2\r\nbc\r\n").unwrap(),
            ["SREM", "s", "a", "bc"]
        );
        assert_eq!(log(&["SPOP", "s"], "$-1\r\n"), None);
    }

    #[test]
    fn errors_are_not_logged_and_others_are_kept_as_sent() {
        assert_eq!(
            log(
                &["INCR", "k"],
                "-ERR value is not an integer or out of range\r\n"
            ),
            None
        );
        assert_eq!(
            log(&["LPUSH", "l", "a"], ":1\r\n").unwrap(),
            ["LPUSH", "l", "a"]
        );
    }
}

#[cfg(test)]
mod plan_tests {
    use super::{log_form, plan, LogForm};

    /// `plan` says AsIs exactly when `log_form` would log the command
    /// unchanged, and Rewritten with `log_form`'s form otherwise.
    #[test]
    fn set_and_getex_copy_only_for_a_relative_expiry() {
        let cases: &[(&[&str], bool)] = &[
            (&["SET", "k", "v"], false),
            (&["set", "k", "ex"], false),
            (&["SET", "k", "v", "KEEPTTL", "GET"], false),
            (&["SET", "k", "v", "PXAT", "5"], false),
            (&["SET", "k", "v", "ex", "10"], true),
            (&["SET", "k", "v", "NX", "Px", "10"], true),
            (&["GETEX", "k"], false),
            (&["GETEX", "k", "PERSIST"], false),
            (&["getex", "k", "EX", "3"], true),
            (&["SETEX", "k", "3", "v"], true),
        ];
        for &(args, rewritten) in cases {
            let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            let form = log_form(&a, b"+OK\r\n", 1_000).unwrap();
            let same = form.iter().map(Vec::as_slice).eq(a.iter().copied());
            match plan(&a, b"+OK\r\n", 1_000) {
                LogForm::AsIs => assert!(!rewritten && same, "{args:?}"),
                LogForm::Rewritten(f) => assert!(rewritten && f == form && !same, "{args:?}"),
                LogForm::Skip => panic!("{args:?} skipped"),
            }
        }
    }
}
