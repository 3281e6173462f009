//! Commands every shard runs, merged into one reply: DBSIZE, KEYS, SCAN,
//! RANDOMKEY, FLUSHALL, FLUSHDB, SAVE, BGSAVE, BGREWRITEAOF, LASTSAVE, and
//! the shards' part of INFO.
//!
//! SCAN walks the shards one after another (`common::scan` has the
//! cursor's format).

use std::{cell::RefCell, rc::Rc};

use common::{reply::Proto, table::CommandSpec};

use crate::{
    conn::{ConnOut, ConnState},
    dispatch::{send, to_all},
    link::Target,
    merge::{Merge, MergeKind},
    worker::Worker,
};

/// Runs a fanned-out command.
pub async fn handle(
    w: &Rc<Worker>,
    st: &mut ConnState,
    out: &Rc<RefCell<ConnOut>>,
    spec: &CommandSpec,
    argv: &[&[u8]],
    discard: bool,
) {
    match spec.name {
        "dbsize" => to_all(w, st, out, argv, MergeKind::SumInts, discard).await,
        "keys" => to_all(w, st, out, argv, MergeKind::ConcatArrays, discard).await,
        "randomkey" => to_all(w, st, out, argv, MergeKind::FirstNonNull, discard).await,
        "flushall" | "flushdb" => to_all(w, st, out, argv, MergeKind::AllOk, discard).await,
        "scan" => scan(w, st, out, argv, discard).await,
        "info" => crate::cmds::info(w, st, out, argv, discard).await,
        "save" | "bgsave" | "bgrewriteaof" => {
            to_all(w, st, out, argv, MergeKind::SameReply, discard).await
        }
        "lastsave" => to_all(w, st, out, argv, MergeKind::MinInt, discard).await,
        _ => to_all(w, st, out, argv, MergeKind::AllOk, discard).await,
    }
}

async fn scan(
    w: &Rc<Worker>,
    st: &ConnState,
    out: &Rc<RefCell<ConnOut>>,
    argv: &[&[u8]],
    discard: bool,
) {
    let shards = w.shared.shard_count() as u64;
    let cursor = argv
        .get(1)
        .and_then(|c| std::str::from_utf8(c).ok())
        .and_then(|c| c.parse::<u64>().ok())
        .and_then(|c| common::scan::split(c, shards as usize));
    let Some((shard, shard_cursor)) = cursor else {
        out.borrow_mut()
            .push_ready(b"-ERR invalid cursor\r\n", discard);
        return;
    };
    let shard_cursor = shard_cursor.to_string();
    let mut args: Vec<&[u8]> = argv.to_vec();
    args[1] = shard_cursor.as_bytes();
    let proto = if st.proto == 3 {
        Proto::Resp3
    } else {
        Proto::Resp2
    };
    let kind = MergeKind::ScanCursor {
        shard: shard as u16,
        shards: shards as u16,
    };
    let seq = out
        .borrow_mut()
        .push_merge(Merge::new(kind, 1, proto), discard);
    let target = Target {
        conn: out.clone(),
        seq,
        part: Some(0),
    };
    send(w, st.req(), shard, &args, target).await;
}
