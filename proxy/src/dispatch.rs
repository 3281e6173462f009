//! Deciding where each command goes, and sending it there.
//!
//! The command table ([`common::table`]) gives each command its arity, its
//! keys and its route: answered here (connection commands), sent whole to
//! the shard owning its key, split per shard and merged (MGET, DEL, ...),
//! run on one shard only if all its keys live there (RENAME, SMOVE, ...;
//! otherwise `CROSSSLOT`), or fanned out to every shard and merged.

use std::{cell::RefCell, rc::Rc, time::Duration};

use common::{
    reply::Proto,
    table::{self, CommandSpec, Route},
};
use smallvec::SmallVec;

use crate::{
    conn::{ConnOut, ConnState},
    link::{SendError, Target},
    merge::{Merge, MergeKind},
    worker::Worker,
};

/// `CROSSSLOT` error text, as Redis Cluster words it.
pub const CROSSSLOT: &[u8] = b"-CROSSSLOT Keys in request don't hash to the same slot\r\n";

/// Runs one parsed command.
pub async fn handle(
    w: &Rc<Worker>,
    st: &mut ConnState,
    out: &Rc<RefCell<ConnOut>>,
    argv: &[&[u8]],
) {
    w.shared
        .stats
        .commands
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let discard = match st.reply_mode {
        1 => true,
        2 => {
            st.reply_mode = 0;
            true
        }
        _ => false,
    };
    let spec = match table::resolve(argv) {
        Ok(spec) => spec,
        Err(e) => {
            let mut reply = Vec::new();
            e.write_reply(argv, &mut reply);
            out.borrow_mut().push_ready(&reply, discard);
            return;
        }
    };
    if !st.authed && !allowed_before_auth(spec) {
        out.borrow_mut()
            .push_ready(b"-NOAUTH Authentication required.\r\n", discard);
        return;
    }
    st.write = spec.has_flag(table::flags::F_WRITE);
    match spec.route {
        Route::Connection => crate::cmds::handle(w, st, out, spec, argv, discard).await,
        Route::Single => {
            let shard = first_key(spec, argv).map_or(0, |k| w.shared.shard_of(k));
            send_whole(w, st, out, shard, argv, discard).await;
        }
        // DEBUG SLEEP is the proxy's; other keyless commands go to shard 0.
        Route::Keyless if spec.name.starts_with("debug") => {
            crate::cmds::handle(w, st, out, spec, argv, discard).await
        }
        Route::Keyless => send_whole(w, st, out, 0, argv, discard).await,
        Route::Together => together(w, st, out, spec, argv, discard).await,
        Route::MultiKeySplit => split(w, st, out, spec, argv, discard).await,
        Route::FanOut => crate::fanout::handle(w, st, out, spec, argv, discard).await,
    }
}

fn allowed_before_auth(spec: &CommandSpec) -> bool {
    matches!(spec.name, "auth" | "hello" | "quit" | "reset")
}

fn first_key<'a>(spec: &CommandSpec, argv: &[&'a [u8]]) -> Option<&'a [u8]> {
    let pos = table::key_positions(spec, argv).ok()?;
    pos.first().and_then(|&i| argv.get(i).copied())
}

/// Sends `argv` whole to `shard`; its reply takes the next slot.
pub async fn send_whole(
    w: &Rc<Worker>,
    st: &ConnState,
    out: &Rc<RefCell<ConnOut>>,
    shard: usize,
    argv: &[&[u8]],
    discard: bool,
) {
    let seq = out.borrow_mut().push_pending(discard);
    let target = Target {
        conn: out.clone(),
        seq,
        part: None,
    };
    send(w, st.req(), shard, argv, target).await;
}

/// Queues `args` on `shard`'s link, waiting for room or for the shard to
/// come back as needed; on failure the target gets the error.
pub async fn send<A: AsRef<[u8]>>(
    w: &Rc<Worker>,
    (proto, flags): (u8, u8),
    shard: usize,
    args: &[A],
    mut target: Target,
) {
    let wait = Duration::from_millis(w.shared.cfg.shard_wait_timeout_ms);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let result = w.links.borrow_mut()[shard].send(proto, flags, args, target);
        let (err, t) = match result {
            Ok(()) => return,
            Err(x) => x,
        };
        target = t;
        match err {
            SendError::Full => {
                w.flush_now();
                let space = {
                    let mut links = w.links.borrow_mut();
                    links[shard].wants_space = true;
                    links[shard].space.clone()
                };
                // Bounded so a missed wake-up can only cost a little time.
                let _ = tokio::time::timeout(Duration::from_millis(10), space.notified()).await;
            }
            SendError::Down => {
                let up = w.links.borrow()[shard].up.clone();
                let notified = up.notified();
                if w.links.borrow()[shard].is_up() {
                    continue;
                }
                let now = tokio::time::Instant::now();
                if now >= deadline || tokio::time::timeout_at(deadline, notified).await.is_err() {
                    let msg = format!("-ERR shard {shard} is unavailable\r\n");
                    crate::conn::deliver(&target, msg.as_bytes());
                    return;
                }
            }
            SendError::TooLarge => {
                crate::conn::deliver(&target, b"-ERR request exceeds the maximum record size\r\n");
                return;
            }
        }
    }
}

/// Keys that must live together: one shard runs the command if it owns
/// them all, else `CROSSSLOT`.
async fn together(
    w: &Rc<Worker>,
    st: &ConnState,
    out: &Rc<RefCell<ConnOut>>,
    spec: &CommandSpec,
    argv: &[&[u8]],
    discard: bool,
) {
    let positions = match table::key_positions(spec, argv) {
        Ok(p) => p,
        // Bad numkeys and the like: any shard gives the command's own error.
        Err(_) => return send_whole(w, st, out, 0, argv, discard).await,
    };
    let mut shards = positions.iter().map(|&i| w.shared.shard_of(argv[i]));
    let first = shards.next().unwrap_or(0);
    if shards.all(|s| s == first) {
        send_whole(w, st, out, first, argv, discard).await;
    } else {
        out.borrow_mut().push_ready(CROSSSLOT, discard);
    }
}

/// Independent keys (MGET, MSET, DEL, EXISTS, UNLINK, TOUCH): one
/// sub-command per shard holding some of them, merged in key order.
async fn split(
    w: &Rc<Worker>,
    st: &ConnState,
    out: &Rc<RefCell<ConnOut>>,
    spec: &CommandSpec,
    argv: &[&[u8]],
    discard: bool,
) {
    let Ok(positions) = table::key_positions(spec, argv) else {
        return send_whole(w, st, out, 0, argv, discard).await;
    };
    let step = spec.key_step.max(1) as usize;
    if !groups_complete(spec, argv) {
        // One shard gives Redis's arity error; no shard runs a part of it.
        let first = first_key(spec, argv).map_or(0, |k| w.shared.shard_of(k));
        return send_whole(w, st, out, first, argv, discard).await;
    }
    let shard_of: SmallVec<[usize; 16]> = positions
        .iter()
        .map(|&i| w.shared.shard_of(argv[i]))
        .collect();
    let first = shard_of.first().copied().unwrap_or(0);
    if shard_of.iter().all(|&s| s == first) {
        return send_whole(w, st, out, first, argv, discard).await;
    }
    // The shards in order of their first key; `order[k]` is (part, element)
    // of key k. Inline sizes cover the common cases without allocating.
    let mget = spec.name == "mget";
    let mut shards: SmallVec<[usize; 8]> = SmallVec::new();
    let mut counts: SmallVec<[u32; 8]> = SmallVec::new();
    let mut order: SmallVec<[(u16, u32); 16]> = SmallVec::new();
    if mget {
        order.reserve_exact(positions.len());
    }
    for &shard in &shard_of {
        let part = match shards.iter().position(|&s| s == shard) {
            Some(p) => p,
            None => {
                shards.push(shard);
                counts.push(0);
                shards.len() - 1
            }
        };
        if mget {
            order.push((part as u16, counts[part]));
        }
        counts[part] += 1;
    }
    let kind = match spec.name {
        "mget" => MergeKind::KeyOrder(order),
        "mset" => MergeKind::AllOk,
        _ => MergeKind::SumInts,
    };
    let proto = if st.proto == 3 {
        Proto::Resp3
    } else {
        Proto::Resp2
    };
    let seq = out
        .borrow_mut()
        .push_merge(Merge::new(kind, shards.len(), proto), discard);
    // Each part: the command name, then its keys (with their step
    // arguments) in key order.
    let mut args: SmallVec<[&[u8]; 24]> = SmallVec::new();
    for (i, &shard) in shards.iter().enumerate() {
        args.clear();
        args.push(argv[0]);
        for (k, &pos) in positions.iter().enumerate() {
            if shard_of[k] == shard {
                args.extend_from_slice(&argv[pos..(pos + step).min(argv.len())]);
            }
        }
        let target = Target {
            conn: out.clone(),
            seq,
            part: Some(i as u16),
        };
        send(w, st.req(), shard, &args, target).await;
    }
}

/// Whether the arguments after the first key split into whole key groups
/// (MSET's `key value` pairs). `MSET a 1 b` must fail as a whole, as in
/// Redis, not set `a` on one shard while `b`'s shard refuses.
fn groups_complete(spec: &CommandSpec, argv: &[&[u8]]) -> bool {
    let step = spec.key_step.max(1) as usize;
    let first = spec.first_key.max(1) as usize;
    spec.last_key != -1 || argv.len() < first || (argv.len() - first).is_multiple_of(step)
}

/// Sends `argv` to every shard and merges the parts with `kind`.
pub async fn to_all(
    w: &Rc<Worker>,
    st: &ConnState,
    out: &Rc<RefCell<ConnOut>>,
    argv: &[&[u8]],
    kind: MergeKind,
    discard: bool,
) {
    let n = w.shared.shard_count();
    let proto = if st.proto == 3 {
        Proto::Resp3
    } else {
        Proto::Resp2
    };
    let seq = out
        .borrow_mut()
        .push_merge(Merge::new(kind, n, proto), discard);
    for shard in 0..n {
        let target = Target {
            conn: out.clone(),
            seq,
            part: Some(shard as u16),
        };
        send(w, st.req(), shard, argv, target).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(args: &[&str]) -> bool {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let spec = table::resolve(&argv).expect("known command");
        groups_complete(spec, &argv)
    }

    #[test]
    fn mset_with_a_missing_value_is_not_split() {
        assert!(complete(&["MSET", "a", "1", "b", "2"]));
        assert!(!complete(&["MSET", "a", "1", "b"]));
        assert!(complete(&["DEL", "a", "b", "c"]));
        assert!(complete(&["MGET", "a"]));
    }
}
