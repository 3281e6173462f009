//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS, with
//! Redis 7.0's fields in Redis 7.0's order.

use super::{entry_reply, groups::help, read_stream};
use crate::{
    commands::{eq_ic, Args, CmdError, CmdResult},
    keyspace::Keyspace,
    reply::Reply,
    types::stream::{group::INVALID_ENTRIES_READ, Group, StreamId, StreamObj},
};

const HELP: &[&str] = &[
    "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CONSUMERS <key> <groupname>",
    "    Show consumers of <groupname>.",
    "GROUPS <key>",
    "    Show the stream consumer groups.",
    "STREAM <key> [FULL [COUNT <count>]",
    "    Show information about the stream.",
    "HELP",
    "    Print this help.",
];

fn subcommand_error(args: Args) -> CmdError {
    let sub = args
        .get(1)
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .unwrap_or_default();
    CmdError::Other(format!(
        "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try XINFO HELP."
    ))
}

fn id_bulk(out: &mut Reply, id: StreamId) {
    out.bulk(id.to_string().as_bytes());
}

fn entries_read(out: &mut Reply, g: &Group) {
    if g.entries_read == INVALID_ENTRIES_READ {
        out.null();
    } else {
        out.int(g.entries_read);
    }
}

fn lag(out: &mut Reply, s: &StreamObj, g: &Group) {
    match s.lag(g) {
        Some(n) => out.int(n),
        None => out.null(),
    }
}

/// `XINFO ...`
pub fn xinfo(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let sub = args.get(1)?;
    if eq_ic(sub, "help") {
        if args.len() != 2 {
            return Err(subcommand_error(args));
        }
        help(out, HELP);
        return Ok(());
    }
    if args.len() < 3 {
        return Err(subcommand_error(args));
    }
    let key = args.get(2)?;
    let now = ks.now_ms();
    let Some(s) = read_stream(ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    if eq_ic(sub, "consumers") && args.len() == 4 {
        let gname = args.get(3)?;
        let Some(g) = s.groups.get(gname) else {
            return Err(CmdError::Other(format!(
                "NOGROUP No such consumer group '{}' for key name '{}'",
                String::from_utf8_lossy(gname),
                String::from_utf8_lossy(key)
            )));
        };
        out.array(g.consumers.len());
        for (name, c) in &g.consumers {
            out.map(3);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"pending");
            out.int(c.pel.len() as i64);
            out.bulk(b"idle");
            out.int((now as i64 - c.seen_time as i64).max(0));
        }
        return Ok(());
    }
    if eq_ic(sub, "groups") && args.len() == 3 {
        out.array(s.groups.len());
        for (name, g) in &s.groups {
            out.map(6);
            out.bulk(b"name");
            out.bulk(name);
            out.bulk(b"consumers");
            out.int(g.consumers.len() as i64);
            out.bulk(b"pending");
            out.int(g.pel.len() as i64);
            out.bulk(b"last-delivered-id");
            id_bulk(out, g.last_id);
            out.bulk(b"entries-read");
            entries_read(out, g);
            out.bulk(b"lag");
            lag(out, s, g);
        }
        return Ok(());
    }
    if eq_ic(sub, "stream") {
        return stream_info(s, args, out);
    }
    Err(subcommand_error(args))
}

fn stream_info(s: &StreamObj, args: Args, out: &mut Reply) -> CmdResult {
    let opts = args.rest(3);
    let mut count: i64 = 10;
    let full = match opts.len() {
        0 => false,
        1 | 3 if eq_ic(opts[0], "full") => {
            if opts.len() == 3 {
                if !eq_ic(opts[1], "count") {
                    return Err(subcommand_error(args));
                }
                count = super::super::parse_i64(opts[2]).ok_or(CmdError::NotInteger)?;
                if count < 0 {
                    count = 10;
                }
            }
            true
        }
        _ => return Err(subcommand_error(args)),
    };
    let count = usize::try_from(count).unwrap_or(0);
    out.map(if full { 9 } else { 10 });
    out.bulk(b"length");
    out.int(s.len() as i64);
    out.bulk(b"radix-tree-keys");
    out.int(s.node_count() as i64);
    out.bulk(b"radix-tree-nodes");
    // Redis counts the nodes of its radix tree; ours is a B-tree of the
    // same keys, so this is its estimate of a radix tree over them.
    out.int((s.node_count() as i64) * 2 + 1);
    out.bulk(b"last-generated-id");
    id_bulk(out, s.last_id);
    out.bulk(b"max-deleted-entry-id");
    id_bulk(out, s.max_deleted);
    out.bulk(b"entries-added");
    out.int(s.entries_added as i64);
    out.bulk(b"recorded-first-entry-id");
    id_bulk(out, s.first_id);
    if !full {
        out.bulk(b"groups");
        out.int(s.groups.len() as i64);
        for (name, last) in [(&b"first-entry"[..], false), (b"last-entry", true)] {
            out.bulk(name);
            let mut found = false;
            s.range(StreamId::MIN, StreamId::MAX, last, 1, |id, f| {
                entry_reply(out, id, f);
                found = true;
                false
            });
            if !found {
                out.null();
            }
        }
        return Ok(());
    }
    out.bulk(b"entries");
    super::range_reply(out, s, StreamId::MIN, StreamId::MAX, false, count);
    out.bulk(b"groups");
    out.array(s.groups.len());
    for (name, g) in &s.groups {
        out.map(7);
        out.bulk(b"name");
        out.bulk(name);
        out.bulk(b"last-delivered-id");
        id_bulk(out, g.last_id);
        out.bulk(b"entries-read");
        entries_read(out, g);
        out.bulk(b"lag");
        lag(out, s, g);
        out.bulk(b"pel-count");
        out.int(g.pel.len() as i64);
        out.bulk(b"pending");
        let pel: Vec<_> = if count == 0 {
            g.pel.iter().collect()
        } else {
            g.pel.iter().take(count).collect()
        };
        out.array(pel.len());
        for (id, n) in pel {
            out.array(4);
            id_bulk(out, *id);
            out.bulk(&n.consumer);
            out.int(n.delivery_time as i64);
            out.int(n.delivery_count as i64);
        }
        out.bulk(b"consumers");
        out.array(g.consumers.len());
        for (cname, c) in &g.consumers {
            out.map(4);
            out.bulk(b"name");
            out.bulk(cname);
            out.bulk(b"seen-time");
            out.int(c.seen_time as i64);
            out.bulk(b"pel-count");
            out.int(c.pel.len() as i64);
            out.bulk(b"pending");
            let ids: Vec<_> = if count == 0 {
                c.pel.iter().collect()
            } else {
                c.pel.iter().take(count).collect()
            };
            out.array(ids.len());
            for id in ids {
                out.array(3);
                id_bulk(out, *id);
                let n = g.pel.get(id);
                out.int(n.map_or(0, |n| n.delivery_time as i64));
                out.int(n.map_or(0, |n| n.delivery_count as i64));
            }
        }
    }
    Ok(())
}
