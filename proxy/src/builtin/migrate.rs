//! `MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
//! [AUTH password] [AUTH2 username password] [KEYS key ...]`: moves keys
//! to another server (Redis, valkey, another shardis) as Redis 7.0 does:
//! the keys' DUMP payloads (Redis's own form, every type) go over as
//! `RESTORE key ttl payload [REPLACE]`, after `AUTH` and `SELECT db`, in
//! one write; a key the target took is deleted here unless `COPY`.
//!
//! Atomic as in Redis, where the whole server waits for a MIGRATE: the
//! keys are locked as a transaction's (every shard holding one, through
//! `crate::xtx`) from before they are read until they are deleted, so no
//! write to them can land in between and be lost; commands on other keys
//! go on meanwhile. The locks are held at most `timeout` for each network
//! step (connect, write, each reply), as Redis blocks at most that.
//!
//! Replies: OK; `NOKEY` when none of the keys exists; `IOERR error or
//! timeout connecting to the client` (Redis's words), `... writing to
//! target instance`, `... reading to target instance`; `ERR Target
//! instance replied with error: ...` (the first error; keys the target
//! did take are still deleted, as in Redis). Differences, written down:
//! no connection is kept between calls (Redis caches one for 10 s), so
//! nothing is retried on a stale one; expired keys are never sent.

use std::time::Duration;

use common::{num::parse_i64, reply::Proto, table::Cmd};
use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

use super::{eq, Call};
use crate::{
    link::Req,
    merge::{bulk_bytes, parse_int_reply},
    xtx::{self, Ask},
};

/// What MIGRATE was asked.
#[derive(Debug, PartialEq, Eq)]
struct Plan<'a> {
    host: &'a [u8],
    port: u16,
    db: i64,
    timeout_ms: u64,
    copy: bool,
    replace: bool,
    auth: Option<(Option<&'a [u8]>, &'a [u8])>,
    keys: Vec<&'a [u8]>,
}

const SYNTAX: &str = "ERR syntax error";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";

/// Parses MIGRATE's arguments as Redis 7.0 does (its checks, in its order).
fn parse<'a>(argv: &[&'a [u8]]) -> Result<Plan<'a>, &'static str> {
    let mut plan = Plan {
        host: argv[1],
        port: 0,
        db: 0,
        timeout_ms: 0,
        copy: false,
        replace: false,
        auth: None,
        keys: vec![argv[3]],
    };
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let a = argv[j];
        if eq(a, "copy") {
            plan.copy = true;
        } else if eq(a, "replace") {
            plan.replace = true;
        } else if eq(a, "auth") {
            if more < 1 {
                return Err(SYNTAX);
            }
            plan.auth = Some((None, argv[j + 1]));
            j += 1;
        } else if eq(a, "auth2") {
            if more < 2 {
                return Err(SYNTAX);
            }
            plan.auth = Some((Some(argv[j + 1]), argv[j + 2]));
            j += 2;
        } else if eq(a, "keys") {
            if !argv[3].is_empty() {
                return Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string");
            }
            plan.keys = argv[j + 1..].to_vec();
            break;
        } else {
            return Err(SYNTAX);
        }
        j += 1;
    }
    let timeout = parse_i64(argv[5]).ok_or(NOT_INTEGER)?;
    plan.db = parse_i64(argv[4]).ok_or(NOT_INTEGER)?;
    plan.timeout_ms = if timeout <= 0 { 1000 } else { timeout as u64 };
    // Redis reads the port with atoi when it connects.
    plan.port = std::str::from_utf8(argv[2])
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    Ok(plan)
}

/// `MIGRATE ...` (module docs).
pub async fn migrate(call: Call<'_, '_>) {
    let plan = match parse(call.argv) {
        Ok(p) => p,
        Err(e) => return call.reply(|r| r.error(e)),
    };
    let reply = crate::link::in_db_scope(call.session.db, run(&call, &plan)).await;
    call.push(&reply);
}

/// A key read under the locks: its payload and its time to live in ms (0:
/// none).
struct Found<'a> {
    key: &'a [u8],
    payload: Vec<u8>,
    ttl_ms: i64,
}

async fn run(call: &Call<'_, '_>, plan: &Plan<'_>) -> Vec<u8> {
    let w = call.w;
    let mut keys: Vec<&[u8]> = Vec::new();
    for k in &plan.keys {
        if !keys.contains(k) {
            keys.push(k);
        }
    }
    if keys.is_empty() {
        return b"+NOKEY\r\n".to_vec();
    }
    let parts = xtx::parts_of_keys(keys.iter().map(|k| (k.to_vec(), w.shared.shard_of(k))));
    // Several shards: kept apart from plain commands over several shards,
    // as any transaction over several (`crate::gate`).
    let _gate = match parts.len() > 1 {
        true => Some(w.enter_gate().await),
        false => None,
    };
    let (t, locked) = match xtx::lock_any(w, &parts).await {
        Ok(l) => l,
        Err(e) => return e,
    };
    let found = read(call, t, &keys).await;
    if found.is_empty() {
        xtx::abort(w, t, &locked).await;
        return b"+NOKEY\r\n".to_vec();
    }
    let outcome = send_to_target(plan, &found).await;
    let taken: Vec<&Found<'_>> = match &outcome {
        Ok(o) => found
            .iter()
            .zip(&o.taken)
            .filter(|(_, t)| **t)
            .map(|(f, _)| f)
            .collect(),
        Err(_) => Vec::new(),
    };
    if plan.copy || taken.is_empty() {
        xtx::abort(w, t, &locked).await;
    } else {
        let dels: Vec<Ask> = taken
            .iter()
            .map(|f| Ask {
                req: Req::internal(Cmd::Del, Proto::Resp2).in_tx(t),
                shard: w.shared.shard_of(f.key),
                args: vec![b"DEL".to_vec(), f.key.to_vec()],
            })
            .collect();
        xtx::ask_mixed(w, &dels).await;
        if let Err(e) = xtx::finish(w, t, &locked).await {
            return format!("{e}\r\n").into_bytes();
        }
    }
    match outcome {
        Err(e) => e.into_bytes(),
        Ok(o) => match o.error {
            Some(e) => e.into_bytes(),
            None => b"+OK\r\n".to_vec(),
        },
    }
}

/// The keys that exist (and have not expired), read inside `t`.
async fn read<'a>(call: &Call<'_, '_>, t: u64, keys: &[&'a [u8]]) -> Vec<Found<'a>> {
    let w = call.w;
    let asks: Vec<Ask> = keys
        .iter()
        .flat_map(|k| {
            let shard = w.shared.shard_of(k);
            [(Cmd::Dump, "DUMP"), (Cmd::Pexpiretime, "PEXPIRETIME")].map(|(cmd, name)| Ask {
                req: Req::internal(cmd, Proto::Resp2).in_tx(t).quiet(),
                shard,
                args: vec![name.as_bytes().to_vec(), k.to_vec()],
            })
        })
        .collect();
    let replies = xtx::ask_mixed(w, &asks).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut found = Vec::new();
    for (k, pair) in keys.iter().zip(replies.chunks(2)) {
        let payload = bulk_bytes(&pair[0]).map(<[u8]>::to_vec);
        let at = pair.get(1).and_then(|r| parse_int_reply(r));
        let (Some(payload), Some(at)) = (payload, at) else {
            continue;
        };
        let ttl_ms = match at {
            -1 => 0,
            at if at < now => continue,
            at => (at - now).max(1),
        };
        found.push(Found {
            key: k,
            payload,
            ttl_ms,
        });
    }
    found
}

/// What the target answered.
struct Outcome {
    /// Per key found: whether the target took it.
    taken: Vec<bool>,
    /// The first error the target gave, as MIGRATE's reply.
    error: Option<String>,
}

fn command(out: &mut Vec<u8>, args: &[&[u8]]) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Connects, sends everything in one write and reads every reply, each
/// step within the timeout; `Err` is MIGRATE's IOERR reply.
async fn send_to_target(plan: &Plan<'_>, found: &[Found<'_>]) -> Result<Outcome, String> {
    let limit = Duration::from_millis(plan.timeout_ms);
    let ioerr = |what: &str| format!("-IOERR error or timeout {what}\r\n");
    let host = String::from_utf8_lossy(plan.host).into_owned();
    let stream =
        match tokio::time::timeout(limit, TcpStream::connect((host.as_str(), plan.port))).await {
            Ok(Ok(s)) => s,
            _ => return Err(ioerr("connecting to the client")),
        };
    let _ = stream.set_nodelay(true);
    let mut out = Vec::new();
    match plan.auth {
        Some((Some(user), pass)) => command(&mut out, &[b"AUTH", user, pass]),
        Some((None, pass)) => command(&mut out, &[b"AUTH", pass]),
        None => {}
    }
    let db = plan.db.to_string();
    command(&mut out, &[b"SELECT", db.as_bytes()]);
    for f in found {
        let ttl = f.ttl_ms.to_string();
        let mut args: Vec<&[u8]> = vec![b"RESTORE", f.key, ttl.as_bytes(), &f.payload];
        if plan.replace {
            args.push(b"REPLACE");
        }
        command(&mut out, &args);
    }
    let (rd, mut wr) = stream.into_split();
    match tokio::time::timeout(limit, wr.write_all(&out)).await {
        Ok(Ok(())) => {}
        _ => return Err(ioerr("writing to target instance")),
    }
    let mut rd = BufReader::new(rd);
    let mut error: Option<String> = None;
    // AUTH's and SELECT's replies: an error there and no key was taken.
    let mut refused = false;
    for _ in 0..usize::from(plan.auth.is_some()) + 1 {
        refused |= next_reply(&mut rd, limit, &mut error).await?;
    }
    let mut taken = Vec::with_capacity(found.len());
    for _ in found {
        let failed = next_reply(&mut rd, limit, &mut error).await?;
        taken.push(!refused && !failed);
    }
    Ok(Outcome { taken, error })
}

/// Reads the next reply within `limit`: whether it is an error (the first
/// one becomes `error`, MIGRATE's reply); `Err` is the IOERR reply.
async fn next_reply(
    rd: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    limit: Duration,
    error: &mut Option<String>,
) -> Result<bool, String> {
    let line = match tokio::time::timeout(limit, read_reply(rd)).await {
        Ok(Ok(line)) => line,
        _ => return Err("-IOERR error or timeout reading to target instance\r\n".into()),
    };
    let Some(msg) = line.strip_prefix(b"-") else {
        return Ok(false);
    };
    if error.is_none() {
        *error = Some(format!(
            "-ERR Target instance replied with error: {}\r\n",
            String::from_utf8_lossy(msg)
        ));
    }
    Ok(true)
}

/// Longest reply line read from a target (its errors and statuses).
const LINE_MAX: u64 = 64 << 10;

/// One reply's first line, without its CRLF (RESTORE, AUTH and SELECT
/// answer one line).
async fn read_reply(
    rd: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    (&mut *rd)
        .take(LINE_MAX)
        .read_until(b'\n', &mut line)
        .await?;
    if !line.ends_with(b"\r\n") {
        return Err(std::io::ErrorKind::InvalidData.into());
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Plan<'static>, &'static str> {
        let v: Vec<&'static [u8]> = args
            .iter()
            .map(|a| &*Box::leak(a.as_bytes().to_vec().into_boxed_slice()))
            .collect();
        parse(Box::leak(v.into_boxed_slice()))
    }

    #[test]
    fn arguments_parse_as_redis_7_0_parses_them() {
        let plan = p(&[
            "MIGRATE", "h", "7000", "", "3", "0", "COPY", "AUTH2", "u", "pw", "KEYS", "a", "b",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(plan.port, 7000);
        assert_eq!(plan.db, 3);
        assert_eq!(plan.timeout_ms, 1000);
        assert!(plan.copy && !plan.replace);
        assert_eq!(plan.auth, Some((Some(&b"u"[..]), &b"pw"[..])));
        assert_eq!(plan.keys, vec![&b"a"[..], b"b"]);
        let one = p(&["MIGRATE", "h", "1", "k", "0", "50", "REPLACE", "AUTH", "x"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(one.keys, vec![&b"k"[..]]);
        assert_eq!((one.timeout_ms, one.replace), (50, true));
        assert_eq!(
            p(&["MIGRATE", "h", "1", "k", "0", "50", "AUTH"]),
            Err(SYNTAX)
        );
        assert_eq!(
            p(&["MIGRATE", "h", "1", "k", "0", "50", "BOGUS"]),
            Err(SYNTAX)
        );
        assert_eq!(
            p(&["MIGRATE", "h", "1", "k", "0", "50", "KEYS", "a"]).map(|_| ()),
            Err("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
        );
        assert_eq!(p(&["MIGRATE", "h", "1", "k", "x", "50"]), Err(NOT_INTEGER));
        assert_eq!(p(&["MIGRATE", "h", "1", "k", "0", "5.5"]), Err(NOT_INTEGER));
    }
}
