//! XREAD and XREADGROUP.
//!
//! Both answer at once with what they can serve; a client's own command
//! with BLOCK that found nothing waits instead (`crate::blocking`): it
//! waits with its `$` ids made the ids they stand for now, and with a
//! COUNT of 1,000 when it gave none, as Redis's blocked readers do. A
//! waiter runs again when one of its streams changes; run again, an
//! XREADGROUP whose group is gone answers Redis's `NOGROUP ... no longer
//! exists`.

use common::notify::STREAM;

use super::{entry_reply, log_at_now, read_stream, strict_id, write_stream};
use crate::{
    commands::{eq_ic, parse_i64, Args, Changes, CmdError, CountedResult},
    keyspace::Keyspace,
    reply::{Proto, Reply},
    types::stream::{StreamId, StreamObj},
};

/// COUNT of a blocked read that gave none (Redis's
/// `XREAD_BLOCKED_DEFAULT_COUNT`).
const BLOCKED_DEFAULT_COUNT: i64 = 1000;

/// A parsed XREAD or XREADGROUP.
struct ReadArgs<'a> {
    block: Option<i64>,
    count: i64,
    group: Option<(&'a [u8], &'a [u8])>,
    noack: bool,
    keys: &'a [&'a [u8]],
    ids: &'a [&'a [u8]],
}

fn parse_args<'a>(args: Args<'a>, xreadgroup: bool) -> Result<ReadArgs<'a>, CmdError> {
    let argv = args.all();
    let mut r = ReadArgs {
        block: None,
        count: 0,
        group: None,
        noack: false,
        keys: &[],
        ids: &[],
    };
    let mut streams = None;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let o = argv[i];
        if eq_ic(o, "block") && more > 0 {
            i += 1;
            let ms = parse_i64(argv[i]).ok_or_else(|| {
                CmdError::Other("ERR timeout is not an integer or out of range".into())
            })?;
            if ms < 0 {
                return Err(CmdError::Other("ERR timeout is negative".into()));
            }
            r.block = Some(ms);
        } else if eq_ic(o, "count") && more > 0 {
            i += 1;
            r.count = parse_i64(argv[i]).ok_or(CmdError::NotInteger)?.max(0);
        } else if eq_ic(o, "streams") && more > 0 {
            let n = argv.len() - i - 1;
            if !n.is_multiple_of(2) {
                return Err(CmdError::Other(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
                        .into(),
                ));
            }
            streams = Some(i + 1);
            break;
        } else if eq_ic(o, "group") && more >= 2 {
            if !xreadgroup {
                return Err(CmdError::Other(
                    "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
                        .into(),
                ));
            }
            r.group = Some((argv[i + 1], argv[i + 2]));
            i += 2;
        } else if eq_ic(o, "noack") {
            if !xreadgroup {
                return Err(CmdError::Other(
                    "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
                        .into(),
                ));
            }
            r.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    let Some(at) = streams else {
        return Err(CmdError::Syntax);
    };
    if xreadgroup && r.group.is_none() {
        return Err(CmdError::Other(
            "ERR Missing GROUP option for XREADGROUP".into(),
        ));
    }
    let n = (argv.len() - at) / 2;
    r.keys = &argv[at..at + n];
    r.ids = &argv[at + n..];
    Ok(r)
}

/// What a key is read from.
#[derive(Clone, Copy)]
enum From {
    /// Entries after this id.
    After(StreamId),
    /// The group's new entries (`>`).
    New,
}

/// `XREAD [COUNT count] [BLOCK ms] STREAMS key [key ...] id [id ...]`
pub fn xread(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    read_generic(ks, args, out, false)
}

/// `XREADGROUP GROUP group consumer [COUNT count] [BLOCK ms] [NOACK] STREAMS key [key ...] id [id ...]`
pub fn xreadgroup(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    read_generic(ks, args, out, true)
}

fn nogroup(ks: &Keyspace, key: &[u8], group: &[u8]) -> CmdError {
    if ks.is_rerun() {
        return CmdError::Other(
            "NOGROUP the consumer group this client was blocked on no longer exists".into(),
        );
    }
    CmdError::Other(format!(
        "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
        String::from_utf8_lossy(key),
        String::from_utf8_lossy(group)
    ))
}

fn read_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, xreadgroup: bool) -> CountedResult {
    let r = parse_args(args, xreadgroup)?;
    // Resolve every key's start first: type and group errors come before
    // anything is served, as in Redis.
    let mut from = Vec::with_capacity(r.keys.len());
    for (key, idarg) in r.keys.iter().zip(r.ids) {
        let s = read_stream(ks, key)?;
        if let Some((g, _)) = r.group {
            if !s.is_some_and(|s| s.groups.contains_key(g)) {
                return Err(nogroup(ks, key, g));
            }
        }
        let f = match *idarg {
            b"$" if xreadgroup => {
                return Err(CmdError::Other(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
                        .into(),
                ))
            }
            b"$" => From::After(s.map_or(StreamId::MIN, |s| s.last_id)),
            b">" if !xreadgroup => {
                return Err(CmdError::Other(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
                        .into(),
                ))
            }
            b">" => From::New,
            other => From::After(strict_id(other)?),
        };
        from.push(f);
    }
    let count = usize::try_from(r.count).unwrap_or(usize::MAX);
    let now = ks.now_ms();
    let mut body = Vec::new();
    let proto = out.proto();
    let mut served = 0usize;
    let mut changes = 0u64;
    for (key, f) in r.keys.iter().zip(&from) {
        let mut part = Reply::new(&mut body, proto);
        let done = match r.group {
            None => serve_plain(ks, key, *f, count, &mut part)?,
            Some((g, c)) => {
                let (done, n) = serve_group(ks, key, g, c, *f, count, r.noack, now, &mut part)?;
                changes += n;
                done
            }
        };
        served += usize::from(done);
    }
    if served > 0 {
        match proto {
            Proto::Resp2 => out.array(served),
            Proto::Resp3 => out.map(served),
        }
        out.raw(&body);
    } else {
        out.null_array();
        if r.block.is_some() {
            ks.set_would_block_as(wait_args(&r, &from));
        }
    }
    if changes > 0 {
        log_at_now(ks, args);
    }
    Ok(Changes(changes))
}

/// The arguments a reader that found nothing waits with: the same read
/// with each `$` made its id and a COUNT.
fn wait_args(r: &ReadArgs, from: &[From]) -> Vec<Vec<u8>> {
    let mut a: Vec<Vec<u8>> = Vec::new();
    match r.group {
        Some((g, c)) => {
            a.push(b"XREADGROUP".to_vec());
            a.extend([b"GROUP".to_vec(), g.to_vec(), c.to_vec()]);
            if r.noack {
                a.push(b"NOACK".to_vec());
            }
        }
        None => a.push(b"XREAD".to_vec()),
    }
    let count = if r.count == 0 {
        BLOCKED_DEFAULT_COUNT
    } else {
        r.count
    };
    a.extend([b"COUNT".to_vec(), count.to_string().into_bytes()]);
    a.extend([
        b"BLOCK".to_vec(),
        r.block.unwrap_or(0).to_string().into_bytes(),
        b"STREAMS".to_vec(),
    ]);
    a.extend(r.keys.iter().map(|k| k.to_vec()));
    for f in from {
        a.push(match f {
            From::After(id) => id.to_bytes(),
            From::New => b">".to_vec(),
        });
    }
    a
}

/// Writes `[key, entries]` (or the key and entries of a RESP3 map).
fn key_header(out: &mut Reply, key: &[u8]) {
    if out.proto() == Proto::Resp2 {
        out.array(2);
    }
    out.bulk(key);
}

/// XREAD of one key: true if it served something.
fn serve_plain(
    ks: &mut Keyspace,
    key: &[u8],
    f: From,
    count: usize,
    out: &mut Reply,
) -> Result<bool, CmdError> {
    let (Some(s), From::After(gt)) = (read_stream(ks, key)?, f) else {
        return Ok(false);
    };
    let Some(start) = gt.next() else {
        return Ok(false);
    };
    if s.is_empty() || s.edge_id(true).is_none_or(|max| max <= gt) {
        return Ok(false);
    }
    key_header(out, key);
    super::range_reply(out, s, start, StreamId::MAX, false, count);
    Ok(true)
}

/// XREADGROUP of one key: (served something, changes made).
#[allow(clippy::too_many_arguments)]
fn serve_group(
    ks: &mut Keyspace,
    key: &[u8],
    group: &[u8],
    consumer: &[u8],
    f: From,
    count: usize,
    noack: bool,
    now: u64,
    out: &mut Reply,
) -> Result<(bool, u64), CmdError> {
    let Some(s) = write_stream(ks, key)? else {
        return Ok((false, 0));
    };
    let Some(g) = s.groups.get(group) else {
        return Ok((false, 0));
    };
    let start = match f {
        From::After(id) => Some(id),
        From::New => {
            let last = g.last_id;
            let newer = !s.is_empty() && s.edge_id(true).is_some_and(|max| max > last);
            newer.then_some(last)
        }
    };
    let Some(start) = start else {
        return Ok((false, 0));
    };
    let mut changes = 0u64;
    let created = match s.groups.get_mut(group) {
        Some(g) => {
            let (c, created) = g.consumer(consumer, now);
            c.seen_time = now;
            created
        }
        None => false,
    };
    if created {
        changes += 1;
    }
    key_header(out, key);
    match f {
        From::After(_) => changes += serve_history(s, group, consumer, start, count, now, out),
        From::New => changes += serve_new(s, group, consumer, start, count, noack, now, out),
    }
    if created {
        ks.note_event(STREAM, "xgroup-createconsumer", key);
    }
    Ok((true, changes))
}

/// New entries after `last` for the group: delivered, the group moved on,
/// each made pending for `consumer` (unless NOACK).
#[allow(clippy::too_many_arguments)]
fn serve_new(
    s: &mut StreamObj,
    group: &[u8],
    consumer: &[u8],
    last: StreamId,
    count: usize,
    noack: bool,
    now: u64,
    out: &mut Reply,
) -> u64 {
    let Some(start) = last.next() else {
        out.array(0);
        return 0;
    };
    let mut ids = Vec::new();
    let mark = out.begin_array();
    s.range(start, StreamId::MAX, false, count, |id, f| {
        entry_reply(out, id, f);
        ids.push(id);
        true
    });
    out.end_array(mark, ids.len());
    for &id in &ids {
        s.advance_group(group, id);
        if !noack {
            if let Some(g) = s.groups.get_mut(group) {
                g.assign(id, consumer, now, 1);
            }
        }
    }
    ids.len() as u64
}

/// The consumer's own pending entries after `after`: each delivered again
/// (an acknowledged-meanwhile deleted entry as `[id, nil]`).
fn serve_history(
    s: &mut StreamObj,
    group: &[u8],
    consumer: &[u8],
    after: StreamId,
    count: usize,
    now: u64,
    out: &mut Reply,
) -> u64 {
    let Some(start) = after.next() else {
        out.array(0);
        return 0;
    };
    let ids: Vec<StreamId> = s
        .groups
        .get(group)
        .and_then(|g| g.consumers.get(consumer))
        .map(|c| {
            let it = c.pel.range(start..).copied();
            if count == 0 {
                it.collect()
            } else {
                it.take(count).collect()
            }
        })
        .unwrap_or_default();
    out.array(ids.len());
    let mut delivered = Vec::new();
    for &id in &ids {
        let found = s.range(id, id, false, 1, |id, f| {
            entry_reply(out, id, f);
            true
        });
        if found == 0 {
            out.array(2);
            out.bulk(id.to_string().as_bytes());
            out.null_array();
        } else {
            delivered.push(id);
        }
    }
    if let Some(g) = s.groups.get_mut(group) {
        for id in &delivered {
            if let Some(n) = g.pel.get_mut(id) {
                n.delivery_time = now;
                n.delivery_count += 1;
            }
        }
    }
    delivered.len() as u64
}
