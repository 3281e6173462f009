//! TIME, SHUTDOWN, DEBUG SLEEP, and FUNCTION/SCRIPT FLUSH.

use std::{cell::RefCell, rc::Rc, time::Duration};

use common::{reply::Proto, table::Cmd};

use super::{eq, Call};
use crate::{
    link::Req,
    merge::MergeKind,
    replies::Replies,
    send::{to_all, To},
    stats::lock,
    worker::Worker,
};

/// `TIME`: seconds and microseconds since the epoch.
pub fn time(call: Call) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    call.reply(|r| {
        r.array(2);
        r.bulk(now.as_secs().to_string().as_bytes());
        r.bulk(now.subsec_micros().to_string().as_bytes());
    });
}

/// What a shutdown does before the shards stop: Redis 7.0's `SHUTDOWN`
/// flags, or a `shutdown-on-sigterm`/`-sigint` value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StopFlags {
    /// `SAVE`: a snapshot on every shard, save points or not.
    save: bool,
    /// `NOSAVE`: no snapshot, save points or not.
    nosave: bool,
    /// `FORCE`: stop even if a snapshot fails.
    force: bool,
}

/// Parses `SHUTDOWN`'s flags as Redis 7.0 does (`NOW` is accepted and
/// changes nothing: shardis has no replicas to wait for). `Ok(None)`:
/// `ABORT`.
fn parse_shutdown(args: &[&[u8]]) -> Result<Option<StopFlags>, ()> {
    let mut f = StopFlags::default();
    let mut any = false;
    let mut abort = false;
    for a in args {
        match a.to_ascii_lowercase().as_slice() {
            b"nosave" => f.nosave = true,
            b"save" => f.save = true,
            b"now" => {}
            b"force" => f.force = true,
            b"abort" => abort = true,
            _ => return Err(()),
        }
        any |= !eq(a, "abort");
    }
    if (abort && any) || (f.save && f.nosave) {
        return Err(());
    }
    Ok((!abort).then_some(f))
}

/// The flags of a `shutdown-on-sigterm`/`-sigint` value (`default`, or
/// words of `save nosave now force`; checked when it was set).
fn signal_flags(value: &str) -> StopFlags {
    let words: Vec<&[u8]> = value
        .split_whitespace()
        .filter(|w| *w != "default")
        .map(str::as_bytes)
        .collect();
    parse_shutdown(&words).ok().flatten().unwrap_or_default()
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`: [`stop_server`]. As
/// from redis-server, a shutdown that goes ahead sends no reply: this
/// connection stays open, reading nothing more, until the proxy exits
/// (its shards stopped, each having synced its log), then closes. `ABORT`
/// answers Redis's "no shutdown in progress": a shutdown here never
/// waits for anything an abort could call back.
pub async fn shutdown(call: Call<'_, '_>) {
    let flags = match parse_shutdown(&call.argv[1..]) {
        Ok(Some(f)) => f,
        Ok(None) => return call.reply(|r| r.error("ERR No shutdown in progress.")),
        Err(()) => return call.reply(|r| r.error("ERR syntax error")),
    };
    if stop_server(call.w, flags).await {
        std::future::pending::<()>().await;
    }
    call.reply(|r| r.error("ERR Errors trying to SHUTDOWN. Check logs."));
}

/// Stops the server as Redis's `SHUTDOWN` does: first a snapshot on every
/// shard (`SAVE`) when `flags` ask for one or when save points are set and
/// `NOSAVE` is not given, then the proxy stops its shards and exits. False
/// (nothing stopped) if a snapshot failed, unless `FORCE`.
pub async fn stop_server(w: &Rc<Worker>, flags: StopFlags) -> bool {
    let save_points = w.shared.settings.by_name("save").unwrap_or_default();
    if flags.save || (!flags.nosave && !save_points.trim().is_empty()) {
        let capture = Rc::new(RefCell::new(Replies::capture()));
        let to = To {
            out: &capture,
            discard: false,
        };
        let req = Req::internal(Cmd::Save, Proto::Resp2);
        to_all(w, req, to, &["SAVE"], MergeKind::SameReply, None).await;
        w.flush_now();
        let reply = crate::xtx::wait_all(&capture).await;
        if reply != b"+OK\r\n" {
            let reply = String::from_utf8_lossy(&reply);
            tracing::warn!(%reply, force = flags.force, "snapshot before the shutdown failed");
            if !flags.force {
                return false;
            }
        }
    }
    tracing::info!(?flags, "shutting down");
    w.shared.shutdown.notify_one();
    true
}

/// Worker 0's task: a signal's stop request (`main`), carried out with the
/// `shutdown-on-sigterm` or `-sigint` flags it came with. One that fails
/// (a snapshot refused) leaves the server running, as Redis's does, and
/// the next signal tries again.
pub async fn on_signals(w: Rc<Worker>) {
    loop {
        w.shared.signal_bell.notified().await;
        let Some(value) = lock(&w.shared.signal_stop).clone() else {
            continue;
        };
        if stop_server(&w, signal_flags(&value)).await {
            return;
        }
        tracing::warn!("a signal asked for a shutdown, but a snapshot failed: still running");
        *lock(&w.shared.signal_stop) = None;
    }
}

/// Longest `DEBUG SLEEP`.
const DEBUG_SLEEP_MAX_SECS: f64 = 3600.0;

/// `DEBUG SLEEP seconds`: this connection's reply waits (other clients do
/// not, unlike Redis, where the whole server sleeps). `DEBUG ERROR msg`:
/// `msg` as an error reply (client libraries test their error mapping
/// with it). Other DEBUG subcommands are refused.
pub async fn debug(call: Call<'_, '_>) {
    if let [_, sub, msg] = call.argv {
        if eq(sub, "error") {
            let mut reply = Vec::with_capacity(msg.len() + 3);
            reply.push(b'-');
            reply.extend(
                msg.iter()
                    .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
            );
            reply.extend_from_slice(b"\r\n");
            return call.push(&reply);
        }
    }
    if !eq(call.argv[1], "sleep") {
        return call.reply(|r| r.error("ERR DEBUG subcommand not supported by shardis"));
    }
    let secs = call
        .argv
        .get(2)
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0);
    match secs {
        Some(s) => {
            tokio::time::sleep(Duration::from_secs_f64(s.min(DEBUG_SLEEP_MAX_SECS))).await;
            call.reply(|r| r.ok());
        }
        None => call.reply(|r| r.error("ERR value is not a valid float")),
    }
}

/// `ROLE`: shardis is always a master with no replicas of its own (its
/// shards' replication is internal), as `INFO replication` says.
pub fn role(call: Call) {
    call.reply(|r| {
        r.array(3);
        r.bulk(b"master");
        r.int(0);
        r.array(0);
    });
}

/// `REPLICAOF NO ONE` (and `SLAVEOF`): already a master, so OK as from
/// redis-server. `REPLICAOF host port` is refused: shardis cannot follow
/// another server (README).
pub fn replicaof(call: Call) {
    let [_, host, port] = call.argv else {
        return call.reply(|r| r.error("ERR syntax error"));
    };
    if super::eq(host, "no") && super::eq(port, "one") {
        return call.reply(|r| r.ok());
    }
    let port_ok = std::str::from_utf8(port)
        .ok()
        .and_then(|p| p.parse::<i64>().ok())
        .is_some_and(|p| (0..=65535).contains(&p));
    if !port_ok {
        return call.reply(|r| r.error("ERR Invalid master port"));
    }
    call.reply(|r| {
        r.error("ERR shardis does not replicate from another server: only REPLICAOF NO ONE is supported")
    })
}

/// `MODULE LIST` (shardis loads no modules: an empty list) and `MODULE
/// HELP`; LOAD, LOADEX and UNLOAD are not in the command table.
pub fn module(call: Call) {
    const HELP: &[&str] = &[
        "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LIST",
        "    Return a list of loaded modules (shardis loads none).",
        "HELP",
        "    Prints this help.",
    ];
    match call.spec.id {
        common::table::Cmd::ModuleList => call.reply(|r| r.array(0)),
        _ => call.reply(|r| super::help(r, HELP)),
    }
}

/// Columns of `LOLWUT`'s slot map.
const LOLWUT_WIDTH: usize = 64;

/// `LOLWUT [VERSION v] [...]`: shardis's own picture, whatever the
/// version (Redis draws version 5's and 6's art): which shard owns each
/// stretch of the 16384 slots, then the version line Redis ends with.
pub fn lolwut(call: Call) {
    if call.argv.len() >= 3 && super::eq(call.argv[1], "version") {
        let ok = std::str::from_utf8(call.argv[2])
            .ok()
            .is_some_and(|v| v.parse::<i64>().is_ok());
        if !ok {
            return call.reply(|r| r.error("ERR value is not an integer or out of range"));
        }
    }
    let map = &call.w.shared.slots;
    let text = lolwut_text(map.shard_count(), |slot| map.owner(slot));
    call.reply(|r| r.verbatim(text.as_bytes()));
}

/// The picture of [`lolwut`] for `shards` shards, `owner` giving each
/// slot's: one row per shard, a `#` where it owns most of a column's
/// slots.
fn lolwut_text(shards: usize, owner: impl Fn(u16) -> usize) -> String {
    use std::fmt::Write;
    const SLOTS: usize = 16384;
    let per = SLOTS / LOLWUT_WIDTH;
    let mut columns = Vec::with_capacity(LOLWUT_WIDTH);
    for c in 0..LOLWUT_WIDTH {
        let mut counts = vec![0usize; shards];
        for slot in c * per..(c + 1) * per {
            if let Some(n) = counts.get_mut(owner(slot as u16)) {
                *n += 1;
            }
        }
        let top = (0..shards).max_by_key(|&s| (counts[s], std::cmp::Reverse(s)));
        columns.push(top);
    }
    let mut out = String::new();
    for s in 0..shards {
        let row: String = columns
            .iter()
            .map(|&c| if c == Some(s) { '#' } else { '.' })
            .collect();
        let _ = writeln!(out, "shard {s:>3} |{row}|");
    }
    let _ = writeln!(
        out,
        "          0{:>width$}",
        SLOTS - 1,
        width = LOLWUT_WIDTH + 1
    );
    let _ = writeln!(
        out,
        "\nshardis: one Redis over {shards} shard process{}.",
        if shards == 1 { "" } else { "es" }
    );
    let _ = writeln!(out, "Redis ver. {}", common::table::REDIS_VERSION);
    out
}

#[cfg(test)]
mod lolwut_tests {
    use super::lolwut_text;

    #[test]
    fn each_shard_row_marks_the_slots_it_owns() {
        let text = lolwut_text(2, |slot| usize::from(slot >= 8192));
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(
            rows[0],
            format!("shard   0 |{}{}|", "#".repeat(32), ".".repeat(32))
        );
        assert_eq!(
            rows[1],
            format!("shard   1 |{}{}|", ".".repeat(32), "#".repeat(32))
        );
        assert!(text.ends_with("Redis ver. 7.0.15\n"), "{text}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(save: bool, nosave: bool, force: bool) -> StopFlags {
        StopFlags {
            save,
            nosave,
            force,
        }
    }

    #[test]
    fn shutdown_flags_parse_as_redis_7_0_parses_them() {
        let p = |a: &[&str]| parse_shutdown(&a.iter().map(|s| s.as_bytes()).collect::<Vec<_>>());
        assert_eq!(p(&[]), Ok(Some(StopFlags::default())));
        assert_eq!(
            p(&["SAVE", "now", "Force"]),
            Ok(Some(flags(true, false, true)))
        );
        assert_eq!(p(&["nosave"]), Ok(Some(flags(false, true, false))));
        assert_eq!(p(&["abort"]), Ok(None));
        for bad in [&["save", "nosave"][..], &["abort", "now"], &["later"]] {
            assert_eq!(p(bad), Err(()), "{bad:?}");
        }
        assert_eq!(signal_flags("default"), StopFlags::default());
        assert_eq!(signal_flags("nosave now"), flags(false, true, false));
        assert_eq!(signal_flags("save force"), flags(true, false, true));
    }
}
