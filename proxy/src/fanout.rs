//! Shard commands every shard runs, merged into one reply: DBSIZE, KEYS,
//! RANDOMKEY, FLUSHALL, FLUSHDB, SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE; and
//! SCAN, which walks the shards one after another (`common::scan` has the
//! cursor's format).

use std::{rc::Rc, sync::Arc};

use common::table::{Cmd, CommandSpec};

use crate::{
    gate::Gate,
    link::Req,
    merge::{Merge, MergeKind},
    replies::Target,
    send::{send, to_all, To},
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
    let shard_cursor = shard_cursor.to_string();
    let mut args: Vec<&[u8]> = argv.to_vec();
    args[1] = shard_cursor.as_bytes();
    let kind = MergeKind::ScanCursor {
        shard: shard as u16,
        shards: shards as u16,
    };
    let seq = to
        .out
        .borrow_mut()
        .push_merge(Merge::new(kind, 1, req.proto), to.discard);
    let target = Target::Slot {
        conn: to.out.clone(),
        seq,
        part: Some(0),
    };
    send(w, req, shard, &args, target).await;
}
