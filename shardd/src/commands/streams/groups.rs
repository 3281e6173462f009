//! Consumer group commands: XGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM.

use common::notify::STREAM;

use super::{end_bound, entry_reply, log_at_now, start_bound, strict_id, write_stream};
use crate::{
    commands::{eq_ic, parse_i64, Args, Changes, CmdError, CmdResult, CountedResult},
    keyspace::{Keyspace, Value},
    reply::Reply,
    types::stream::{
        group::{Group, INVALID_ENTRIES_READ},
        StreamId, StreamObj,
    },
};

fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

fn no_key_or_group(key: &[u8], group: &[u8]) -> CmdError {
    CmdError::Other(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        lossy(key),
        lossy(group)
    ))
}

const XGROUP_HELP: &[&str] = &[
    "XGROUP <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CREATE <key> <groupname> <id|$> [option]",
    "    Create a new consumer group. Options are:",
    "    * MKSTREAM",
    "      Create the empty stream if it does not exist.",
    "    * ENTRIESREAD entries_read",
    "      Set the group's entries_read counter (internal use).",
    "CREATECONSUMER <key> <groupname> <consumer>",
    "    Create a new consumer in the specified group.",
    "DELCONSUMER <key> <groupname> <consumer>",
    "    Remove the specified consumer.",
    "DESTROY <key> <groupname>",
    "    Remove the specified group.",
    "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
    "    Set the current group ID and entries_read counter.",
    "HELP",
    "    Print this help.",
];

/// Writes a HELP reply.
pub(crate) fn help(out: &mut Reply, lines: &[&str]) {
    out.array(lines.len());
    for l in lines {
        out.simple(l);
    }
}

fn subcommand_error(args: Args) -> CmdError {
    let sub = args.get(1).map(lossy).unwrap_or_default().into_owned();
    let name = args.get(0).map(lossy).unwrap_or_default().to_uppercase();
    CmdError::Other(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {name} HELP."
    ))
}

/// `XGROUP CREATE|SETID|DESTROY|CREATECONSUMER|DELCONSUMER|HELP ...`
pub fn xgroup(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let argc = args.len();
    let sub = args.get(1)?;
    if eq_ic(sub, "help") {
        if argc != 2 {
            return Err(subcommand_error(args));
        }
        help(out, XGROUP_HELP);
        return Ok(Changes::NONE);
    }
    if argc < 4 {
        return Err(subcommand_error(args));
    }
    let (key, gname) = (args.get(2)?, args.get(3)?);
    let create = eq_ic(sub, "create");
    let setid = eq_ic(sub, "setid");
    let mut mkstream = false;
    let mut entries_read = INVALID_ENTRIES_READ;
    let mut i = 5;
    while i < argc {
        let a = args.get(i)?;
        if create && eq_ic(a, "mkstream") {
            mkstream = true;
            i += 1;
        } else if (create || setid) && eq_ic(a, "entriesread") && i + 1 < argc {
            entries_read = args.i64(i + 1)?;
            if entries_read < 0 && entries_read != INVALID_ENTRIES_READ {
                return Err(CmdError::Other(
                    "ERR value for ENTRIESREAD must be positive or -1".into(),
                ));
            }
            i += 2;
        } else {
            return Err(subcommand_error(args));
        }
    }
    let exists = write_stream(ks, key)?.is_some();
    if !mkstream && !exists {
        return Err(CmdError::Other(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
                .into(),
        ));
    }
    let has_group = exists && write_stream(ks, key)?.is_some_and(|s| s.groups.contains_key(gname));
    let needs_group =
        eq_ic(sub, "setid") || eq_ic(sub, "createconsumer") || eq_ic(sub, "delconsumer");
    if exists && needs_group && !has_group {
        return Err(CmdError::Other(format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            lossy(gname),
            lossy(key)
        )));
    }
    if create && (5..=8).contains(&argc) {
        let idarg = args.get(4)?;
        let id = if idarg == b"$" {
            write_stream(ks, key)?.map_or(StreamId::MIN, |s| s.last_id)
        } else {
            strict_id(idarg)?
        };
        if !exists {
            ks.insert(key, Value::Stream(Box::default()));
        }
        let Some(s) = write_stream(ks, key)? else {
            return Err(CmdError::NoSuchKey);
        };
        if s.groups.contains_key(gname) {
            return Err(CmdError::Other(
                "BUSYGROUP Consumer Group name already exists".into(),
            ));
        }
        s.groups
            .insert(gname.to_vec(), Group::new(id, entries_read));
        out.ok();
        ks.note_event(STREAM, "xgroup-create", key);
        return Ok(Changes::ONE);
    }
    let Some(s) = write_stream(ks, key)? else {
        return Err(subcommand_error(args));
    };
    if setid && (argc == 5 || argc == 7) {
        let idarg = args.get(4)?;
        let id = if idarg == b"$" {
            s.last_id
        } else {
            super::id::parse_id(idarg, 0, false)
                .ok_or_else(|| CmdError::Other(super::INVALID_ID.into()))?
        };
        if let Some(g) = s.groups.get_mut(gname) {
            g.last_id = id;
            g.entries_read = entries_read;
        }
        out.ok();
        ks.note_event(STREAM, "xgroup-setid", key);
        return Ok(Changes::ONE);
    }
    if eq_ic(sub, "destroy") && argc == 4 {
        let gone = s.groups.remove(gname).is_some();
        out.int(i64::from(gone));
        if gone {
            ks.note_event(STREAM, "xgroup-destroy", key);
        }
        return Ok(Changes(u64::from(gone)));
    }
    let now = ks.now_ms();
    let Some(s) = write_stream(ks, key)? else {
        return Err(subcommand_error(args));
    };
    if eq_ic(sub, "createconsumer") && argc == 5 {
        let created = s
            .groups
            .get_mut(gname)
            .is_some_and(|g| g.consumer(args.get(4).unwrap_or_default(), now).1);
        out.int(i64::from(created));
        if created {
            ks.note_event(STREAM, "xgroup-createconsumer", key);
            log_at_now(ks, args);
        }
        return Ok(Changes(u64::from(created)));
    }
    if eq_ic(sub, "delconsumer") && argc == 5 {
        let pending = s
            .groups
            .get_mut(gname)
            .and_then(|g| g.delete_consumer(args.get(4).unwrap_or_default()));
        out.int(pending.unwrap_or(0) as i64);
        if pending.is_some() {
            ks.note_event(STREAM, "xgroup-delconsumer", key);
        }
        return Ok(Changes(u64::from(pending.is_some())));
    }
    Err(subcommand_error(args))
}

/// `XACK key group id [id ...]`
pub fn xack(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (key, gname) = (args.get(1)?, args.get(2)?);
    let Some(g) = write_stream(ks, key)?.and_then(|s| s.groups.get_mut(gname)) else {
        out.int(0);
        return Ok(Changes::NONE);
    };
    let ids = args
        .rest(3)
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let acked = ids.into_iter().filter(|&id| g.ack(id)).count() as u64;
    out.int(acked as i64);
    Ok(Changes(acked))
}

/// `XPENDING key group [[IDLE min-idle-time] start end count [consumer]]`
pub fn xpending(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let argc = args.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    let mut consumer = None;
    let mut min_idle = 0i64;
    if argc >= 6 {
        let mut at = 3;
        if eq_ic(args.get(3)?, "idle") {
            min_idle = args.i64(4)?;
            if argc < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = args.i64(at + 2)?.max(0);
        let start = start_bound(args.get(at)?)?;
        let end = end_bound(args.get(at + 1)?)?;
        if at + 3 < argc {
            consumer = Some(args.get(at + 3)?);
        }
        range = Some((start, end, count as usize));
    }
    let (key, gname) = (args.get(1)?, args.get(2)?);
    let now = ks.now_ms();
    let Some(g) = super::read_stream(ks, key)?.and_then(|s| s.groups.get(gname)) else {
        return Err(no_key_or_group(key, gname));
    };
    let Some((start, end, mut count)) = range else {
        out.array(4);
        out.int(g.pel.len() as i64);
        let (Some(first), Some(last)) = (g.pel.keys().next(), g.pel.keys().next_back()) else {
            out.null();
            out.null();
            out.null_array();
            return Ok(());
        };
        out.bulk(first.to_string().as_bytes());
        out.bulk(last.to_string().as_bytes());
        let owners: Vec<_> = g
            .consumers
            .iter()
            .filter(|(_, c)| !c.pel.is_empty())
            .collect();
        out.array(owners.len());
        for (name, c) in owners {
            out.array(2);
            out.bulk(name);
            out.bulk_int(c.pel.len() as i64);
        }
        return Ok(());
    };
    let ids: Vec<StreamId> = match consumer {
        Some(name) => match g.consumers.get(name) {
            Some(c) if start <= end => c.pel.range(start..=end).copied().collect(),
            Some(_) => Vec::new(),
            None => {
                out.array(0);
                return Ok(());
            }
        },
        None if start <= end => g.pel.range(start..=end).map(|(id, _)| *id).collect(),
        None => Vec::new(),
    };
    let mut body = Vec::new();
    let mut r = Reply::new(&mut body, out.proto());
    let mut n = 0;
    for id in ids {
        if count == 0 {
            break;
        }
        let Some(nack) = g.pel.get(&id) else { continue };
        let idle = (now as i64).saturating_sub(nack.delivery_time as i64);
        if min_idle > 0 && idle < min_idle {
            continue;
        }
        count -= 1;
        n += 1;
        r.array(4);
        r.bulk(id.to_string().as_bytes());
        r.bulk(&nack.consumer);
        r.int(idle.max(0));
        r.int(nack.delivery_count as i64);
    }
    out.array(n);
    out.raw(&body);
    Ok(())
}

/// Claims pending entry `id` of `group` for `consumer` (created if
/// needed) as XCLAIM and XAUTOCLAIM do; writes it (or its id) to `out`.
#[allow(clippy::too_many_arguments)]
fn claim_one(
    s: &mut StreamObj,
    gname: &[u8],
    consumer: &[u8],
    id: StreamId,
    time: u64,
    retry: Option<u64>,
    justid: bool,
    now: u64,
    out: &mut Reply,
) -> bool {
    let Some(g) = s.groups.get_mut(gname) else {
        return false;
    };
    let (c, created) = g.consumer(consumer, now);
    c.seen_time = now;
    let count = g.pel.get(&id).map_or(0, |n| n.delivery_count);
    let count = match retry {
        Some(r) => r,
        None if justid => count,
        None => count + 1,
    };
    g.assign(id, consumer, time, count);
    if justid {
        out.bulk(id.to_string().as_bytes());
    } else {
        s.range(id, id, false, 1, |id, f| {
            entry_reply(out, id, f);
            true
        });
    }
    created
}

/// `XCLAIM key group consumer min-idle-time id [id ...] [IDLE ms] [TIME ms] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID id]`
pub fn xclaim(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (key, gname, consumer) = (args.get(1)?, args.get(2)?, args.get(3)?);
    let exists = super::read_stream(ks, key)?.is_some_and(|s| s.groups.contains_key(gname));
    if !exists {
        return Err(no_key_or_group(key, gname));
    }
    let min_idle = parse_i64(args.get(4)?)
        .ok_or_else(|| CmdError::Other("ERR Invalid min-idle-time argument for XCLAIM".into()))?
        .max(0);
    let rest = args.rest(5);
    let ids: Vec<StreamId> = rest
        .iter()
        .map_while(|a| super::id::parse_id(a, 0, true))
        .collect();
    let now = ks.now_ms() as i64;
    let (mut force, mut justid) = (false, false);
    let mut delivery: Option<i64> = None;
    let mut retry: Option<i64> = None;
    let mut last_id = StreamId::MIN;
    let mut j = ids.len();
    while j < rest.len() {
        let more = rest.len() - 1 - j;
        let opt = rest[j];
        let bad =
            |what: &str| CmdError::Other(format!("ERR Invalid {what} option argument for XCLAIM"));
        if eq_ic(opt, "force") {
            force = true;
        } else if eq_ic(opt, "justid") {
            justid = true;
        } else if eq_ic(opt, "idle") && more > 0 {
            j += 1;
            delivery = Some(now - parse_i64(rest[j]).ok_or_else(|| bad("IDLE"))?);
        } else if eq_ic(opt, "time") && more > 0 {
            j += 1;
            delivery = Some(parse_i64(rest[j]).ok_or_else(|| bad("TIME"))?);
        } else if eq_ic(opt, "retrycount") && more > 0 {
            j += 1;
            retry = Some(parse_i64(rest[j]).ok_or_else(|| bad("RETRYCOUNT"))?);
        } else if eq_ic(opt, "lastid") && more > 0 {
            j += 1;
            last_id = strict_id(rest[j])?;
        } else {
            return Err(CmdError::Other(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                lossy(opt)
            )));
        }
        j += 1;
    }
    let time = match delivery {
        Some(t) if t >= 0 && t <= now => t as u64,
        _ => now as u64,
    };
    let Some(s) = write_stream(ks, key)? else {
        return Err(no_key_or_group(key, gname));
    };
    let mut changes = 0u64;
    if let Some(g) = s.groups.get_mut(gname) {
        if last_id > g.last_id {
            g.last_id = last_id;
            changes += 1;
        }
    }
    let mut body = Vec::new();
    let mut r = Reply::new(&mut body, out.proto());
    let mut n = 0;
    let mut created = false;
    for id in ids {
        let exists = s.contains(id);
        let Some(g) = s.groups.get_mut(gname) else {
            break;
        };
        if !exists {
            if g.ack(id) {
                changes += 1;
            }
            continue;
        }
        match g.pel.get(&id) {
            None if !force => continue,
            None => {}
            Some(nack) => {
                let idle = now - nack.delivery_time as i64;
                if min_idle > 0 && idle < min_idle {
                    continue;
                }
            }
        }
        let retry = retry.filter(|&r| r >= 0).map(|r| r as u64);
        created |= claim_one(
            s, gname, consumer, id, time, retry, justid, now as u64, &mut r,
        );
        n += 1;
        changes += 1;
    }
    out.array(n);
    out.raw(&body);
    if created {
        ks.note_event(STREAM, "xgroup-createconsumer", key);
    }
    if changes > 0 {
        log_at_now(ks, args);
    }
    Ok(Changes(changes))
}

/// `XAUTOCLAIM key group consumer min-idle-time start [COUNT count] [JUSTID]`
pub fn xautoclaim(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (key, gname, consumer) = (args.get(1)?, args.get(2)?, args.get(3)?);
    let min_idle = parse_i64(args.get(4)?)
        .ok_or_else(|| CmdError::Other("ERR Invalid min-idle-time argument for XAUTOCLAIM".into()))?
        .max(0);
    let start = start_bound(args.get(5)?)?;
    let mut count: i64 = 100;
    let mut justid = false;
    let rest = args.rest(6);
    let mut j = 0;
    while j < rest.len() {
        let more = rest.len() - 1 - j;
        if eq_ic(rest[j], "count") && more > 0 {
            let max = i64::MAX / 10;
            count = parse_i64(rest[j + 1])
                .filter(|c| (1..=max).contains(c))
                .ok_or_else(|| CmdError::Other("ERR COUNT must be > 0".into()))?;
            j += 1;
        } else if eq_ic(rest[j], "justid") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let now = ks.now_ms();
    let Some(s) = write_stream(ks, key)? else {
        return Err(no_key_or_group(key, gname));
    };
    let Some(g) = s.groups.get(gname) else {
        return Err(no_key_or_group(key, gname));
    };
    let mut attempts = count.saturating_mul(10);
    let candidates: Vec<(StreamId, u64)> = g
        .pel
        .range(start..)
        .map(|(id, n)| (*id, n.delivery_time))
        .collect();
    let mut body = Vec::new();
    let mut r = Reply::new(&mut body, out.proto());
    let (mut n, mut changes) = (0usize, 0u64);
    let mut deleted = Vec::new();
    let mut next = StreamId::MIN;
    let mut created = false;
    let mut it = candidates.into_iter();
    loop {
        if attempts == 0 || count == 0 {
            next = it.next().map_or(StreamId::MIN, |(id, _)| id);
            break;
        }
        let Some((id, delivered)) = it.next() else {
            break;
        };
        attempts -= 1;
        if !s.contains(id) {
            if let Some(g) = s.groups.get_mut(gname) {
                g.ack(id);
            }
            deleted.push(id);
            changes += 1;
            count -= 1;
            continue;
        }
        if min_idle > 0 && (now as i64 - delivered as i64) < min_idle {
            continue;
        }
        created |= claim_one(s, gname, consumer, id, now, None, justid, now, &mut r);
        n += 1;
        count -= 1;
        changes += 1;
    }
    out.array(3);
    out.bulk(next.to_string().as_bytes());
    out.array(n);
    out.raw(&body);
    out.array(deleted.len());
    for id in deleted {
        out.bulk(id.to_string().as_bytes());
    }
    if created {
        ks.note_event(STREAM, "xgroup-createconsumer", key);
    }
    if changes > 0 {
        log_at_now(ks, args);
    }
    Ok(Changes(changes))
}
