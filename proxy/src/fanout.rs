//! Shard commands every shard runs, merged into one reply: DBSIZE, KEYS,
//! RANDOMKEY, FLUSHALL, FLUSHDB, SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE,
//! MEMORY PURGE (the proxy purges its own pages as it sends it); and
//! SCAN, which walks the shards one after another (`common::scan` has the
//! cursor's format).

use std::{rc::Rc, sync::Arc};

use common::table::{Cmd, CommandSpec};

use crate::{
    gate::Gate,
    link::Req,
    merge::MergeKind,
    send::{to_all, To},
    worker::Worker,
};

/// How the parts of fanned-out command `id` merge; `None` for SCAN, which
/// goes to one shard at a time.
fn merge_kind(id: Cmd) -> Option<MergeKind> {
    Some(match id {
        Cmd::Dbsize => MergeKind::SumInts,
        Cmd::Keys => MergeKind::ConcatArrays,
        Cmd::Randomkey => MergeKind::AnyNonNull {
            pick: rand::random(),
        },
        Cmd::Save | Cmd::Bgsave | Cmd::Bgrewriteaof => MergeKind::SameReply,
        Cmd::Lastsave => MergeKind::MinInt,
        Cmd::Scan => return None,
        _ => MergeKind::AllOk,
    })
}

/// Whether fanned-out command `id` reads the keyspace of every shard at
/// once, so that it must not see part of a transaction over several
/// shards (it passes the gate, see [`crate::gate`]).
pub fn reads_every_shard(id: Cmd) -> bool {
    matches!(id, Cmd::Dbsize | Cmd::Keys | Cmd::Randomkey)
}

/// Whether `id` empties every shard (FLUSHALL, FLUSHDB): kept apart from
/// transactions over several shards (`route::fanout_past_gate`).
pub fn empties_every_shard(id: Cmd) -> bool {
    matches!(id, Cmd::Flushall | Cmd::Flushdb)
}

/// Runs a fanned-out shard command; with `gate`, its parts count as in
/// flight until they are answered.
pub async fn run(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    spec: &CommandSpec,
    argv: &[&[u8]],
    gate: Option<&Arc<Gate>>,
) {
    if spec.id == Cmd::MemoryPurge {
        // The proxy's own pages too; the shards answer for theirs.
        common::alloc::purge();
    }
    match merge_kind(spec.id) {
        Some(kind) => to_all(w, req, to, argv, kind, gate).await,
        None => scan(w, req, to, argv).await,
    }
}

async fn scan(w: &Rc<Worker>, req: Req, to: To<'_>, argv: &[&[u8]]) {
    let shards = w.shared.shard_count();
    let cursor = argv
        .get(1)
        .and_then(|c| common::scan::parse_cursor(c))
        .and_then(|c| common::scan::split(c, shards));
    let Some((shard, shard_cursor)) = cursor else {
        w.error_reply(b"-ERR invalid cursor\r\n");
        to.out
            .borrow_mut()
            .push_ready(b"-ERR invalid cursor\r\n", to.discard);
        return;
    };
    crate::send::answer_when_done(w, to, async {
        (
            scan_steps(w, req, argv, shard, shard_cursor, shards).await,
            false,
        )
    })
    .await;
}

/// Where SCAN's COUNT sits in `argv` (the index of its value), and the
/// count: Redis's default of 10 when there is none, `None` when it does
/// not parse (the shard answers the error).
fn scan_count(argv: &[&[u8]]) -> (Option<usize>, Option<usize>) {
    let mut at = 2;
    let mut found = (None, Some(10));
    while at + 1 < argv.len() {
        if argv[at].eq_ignore_ascii_case(b"COUNT") {
            let n = std::str::from_utf8(argv[at + 1])
                .ok()
                .and_then(|t| t.parse::<usize>().ok());
            found = (Some(at + 1), n);
        }
        at += 2;
    }
    found
}

/// SCAN from `shard`'s cursor `cursor`: a shard that finishes its walk
/// having returned fewer keys than COUNT hands over to the next shard in
/// the same call (asked for what is left of COUNT), as one Redis walks on
/// through its small or empty buckets. So a small keyspace comes back
/// whole with cursor 0, as from one redis-server, and a call costs at most
/// one shard's COUNT of work per shard it visits.
async fn scan_steps(
    w: &Rc<Worker>,
    req: Req,
    argv: &[&[u8]],
    mut shard: usize,
    mut cursor: u64,
    shards: usize,
) -> Vec<u8> {
    let (mut count_at, count) = scan_count(argv);
    let mut args: Vec<Vec<u8>> = argv.iter().map(|a| a.to_vec()).collect();
    let mut keys: Vec<u8> = Vec::new();
    let mut got = 0usize;
    loop {
        args[1] = cursor.to_string().into_bytes();
        let reply = crate::xtx::ask_each(w, req, &[(shard, args.clone())])
            .await
            .into_iter()
            .next()
            .unwrap_or_default();
        let Some((next, elems)) = crate::merge::scan_parts(&reply) else {
            // An error (a bad option, a shard unavailable): as the shard
            // or the link said; the client's cursor still holds.
            if reply.first() == Some(&b'-') {
                return reply;
            }
            return b"-ERR bad SCAN reply from a shard\r\n".to_vec();
        };
        got += elems.len();
        for e in &elems {
            keys.extend_from_slice(e);
        }
        let left = count.map_or(0, |c| c.saturating_sub(got));
        if next != 0 || shard + 1 >= shards || left == 0 {
            let next = common::scan::next(shard, shards, next).to_string();
            let mut out = Vec::with_capacity(keys.len() + 32);
            out.extend_from_slice(
                format!("*2\r\n${}\r\n{next}\r\n*{got}\r\n", next.len()).as_bytes(),
            );
            out.extend_from_slice(&keys);
            return out;
        }
        shard += 1;
        cursor = 0;
        let left = left.to_string().into_bytes();
        match count_at {
            Some(at) => args[at] = left,
            None => {
                args.extend([b"COUNT".to_vec(), left]);
                count_at = Some(args.len() - 1);
            }
        }
    }
}
