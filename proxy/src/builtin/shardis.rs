//! `SHARDIS` (the administration of shardis itself: scaling, the slot
//! map) and the `CLUSTER` subcommands that describe this server to
//! cluster-aware clients: one node (this proxy) owning every slot, since
//! clients see one Redis whatever shards hold the keys.
//!
//! - `SHARDIS SCALE n [BATCH slots] [DELAY ms]`: starts (or resumes) a
//!   scale to `n` shard processes, answered at once; the mover
//!   (`crate::migrate`) works in the background. Refused to 0 or more
//!   than [`MAX_SHARDS`], during a scale to another count, and while a
//!   shard is down. A proxy started with `--attach` starts no process: a
//!   new shard `i` must be running at `DIR/shard-i/shard.sock` (ops/scale
//!   starts it), and an emptied one is left running for the operator to
//!   stop (ops/scale does, once the scale is over).
//! - `SHARDIS SCALE ABORT`: stops after the batch in progress (the map is
//!   whole and valid at every batch's end).
//! - `SHARDIS STATUS`: `name:value` lines, as INFO writes them.
//! - `SHARDIS SLOTS`: the slot map, as its file holds it.

use common::slot::key_slot;

use super::{eq, help, Call};
use crate::migrate::MAX_SHARDS;

const HELP: &[&str] = &[
    "SHARDIS <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "SCALE <count> [BATCH <slots>] [DELAY <ms>]",
    "    Grow or shrink to <count> shard processes, moving slots in the background",
    "    (<slots> per batch, default 64; <ms> between batches, default 0).",
    "SCALE ABORT",
    "    Stop the scale in progress after its current batch.",
    "STATUS",
    "    Shards, the scale in progress and its progress.",
    "SLOTS",
    "    The slot map: the slots of each shard and any move in progress.",
    "HELP",
    "    Print this help.",
];

/// `SHARDIS SCALE|STATUS|SLOTS|HELP` (the table checked the subcommand
/// and its arity).
pub fn shardis(call: Call<'_, '_>) {
    use common::table::Cmd;
    match call.spec.id {
        Cmd::ShardisScale => scale(call),
        Cmd::ShardisStatus => {
            let text = status(&call);
            call.reply(|r| r.verbatim(text.as_bytes()));
        }
        Cmd::ShardisSlots => {
            let text = call.w.shared.slots.snapshot().render();
            call.reply(|r| r.verbatim(text.as_bytes()));
        }
        _ => call.reply(|r| help(r, HELP)),
    }
}

fn scale(call: Call<'_, '_>) {
    let shared = &call.w.shared;
    let args = &call.argv[2..];
    if let [a] = args {
        if eq(a, "abort") {
            let was = shared.scale.abort();
            if let Err(e) = shared.slots.change(|d| d.target = None) {
                let msg = format!("ERR shardis: cannot write the slot map: {e}");
                return call.reply(|r| r.error(&msg));
            }
            return call.reply(|r| match was {
                true => r.ok(),
                false => r.error("ERR no scale is in progress"),
            });
        }
    }
    let Some(n) = args
        .first()
        .and_then(|a| std::str::from_utf8(a).ok()?.parse::<i64>().ok())
    else {
        return call.reply(|r| r.error("ERR SHARDIS SCALE <count> [BATCH <slots>] [DELAY <ms>]"));
    };
    let (mut batch, mut delay) = (None, None);
    let mut i = 1;
    while i < args.len() {
        let value = args
            .get(i + 1)
            .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok());
        match value {
            Some(v) if eq(args[i], "batch") && (1..=16384).contains(&v) => batch = Some(v as usize),
            Some(v) if eq(args[i], "delay") && v <= 60_000 => delay = Some(v),
            _ => return call.reply(|r| r.error("ERR syntax error")),
        }
        i += 2;
    }
    if n < 1 {
        return call.reply(|r| r.error("ERR shardis: the shard count must be at least 1"));
    }
    if n > 16384 {
        return call.reply(|r| r.error("ERR shardis: at most 16384 shards (one per slot)"));
    }
    let n = n as usize;
    if n > MAX_SHARDS {
        let msg = format!("ERR shardis: at most {MAX_SHARDS} shards per proxy");
        return call.reply(|r| r.error(&msg));
    }
    if let Some(down) = call
        .w
        .links
        .borrow()
        .iter()
        .take(shared.shard_count())
        .position(|l| !l.is_up())
    {
        let msg = format!("ERR shardis: shard {down} is down; scale again once it is back");
        return call.reply(|r| r.error(&msg));
    }
    match shared.scale.ask(n, batch, delay) {
        Ok(()) => match shared.slots.change(|d| d.target = Some(n)) {
            Ok(()) => call.reply(|r| r.ok()),
            Err(e) => {
                shared.scale.abort();
                let msg = format!("ERR shardis: cannot write the slot map: {e}");
                call.reply(|r| r.error(&msg))
            }
        },
        Err(e) => call.reply(|r| r.error(&format!("ERR shardis: {e}"))),
    }
}

/// `SHARDIS STATUS`'s lines.
fn status(call: &Call<'_, '_>) -> String {
    let shared = &call.w.shared;
    let map = shared.slots.snapshot();
    let p = shared.scale.progress();
    let mut t = String::new();
    let mut kv = |k: &str, v: String| t.push_str(&format!("{k}:{v}\r\n"));
    kv("shards", map.shards.to_string());
    for i in 0..map.shards {
        let up = call.w.links.borrow().get(i).is_some_and(|l| l.is_up());
        let slots = map.slots_of(i);
        kv(
            &format!("shard{i}"),
            format!(
                "slots={},count={},up={}",
                slots.to_ranges(),
                slots.len(),
                u8::from(up)
            ),
        );
    }
    kv(
        "scale_target",
        p.target.map_or("-".into(), |n| n.to_string()),
    );
    kv("scale_doing", text_or_dash(&p.doing));
    kv("scale_slots_total", p.slots_total.to_string());
    kv("scale_slots_moved", p.slots_moved.to_string());
    kv("scale_keys_moved", p.keys_moved.to_string());
    let secs = p.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
    kv("scale_elapsed_ms", format!("{:.0}", secs * 1000.0));
    kv("scale_batch_slots", p.batch_slots.to_string());
    kv("scale_delay_ms", p.delay_ms.to_string());
    kv(
        "move_in_progress",
        map.moving.as_ref().map_or("-".into(), |m| {
            format!("{}->{}:{}", m.from, m.to, m.slots.to_ranges())
        }),
    );
    kv(
        "last_error",
        p.last_error.as_deref().map_or("-".into(), text_or_dash),
    );
    kv(
        "last_outcome",
        p.last_outcome.as_deref().map_or("-".into(), text_or_dash),
    );
    kv("moves_done", p.moves_done.to_string());
    kv("moves_failed", p.moves_failed.to_string());
    t
}

fn text_or_dash(s: &str) -> String {
    match s.is_empty() {
        true => "-".into(),
        false => s.replace(['\r', '\n'], " "),
    }
}

/// `CLUSTER HELP`: the subcommands shardis answers (the others are
/// unknown, as a Redis without cluster support has none of them).
const CLUSTER_HELP: &[&str] = &[
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "INFO",
    "    Return information about the cluster: one node, every slot served.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node: this one node.",
    "SHARDS",
    "    Return information about slot range mappings and the nodes serving them.",
    "SLOTS",
    "    Return information about slots range mappings: 0-16383 on this node.",
    "HELP",
    "    Prints this help.",
];

/// `CLUSTER SLOTS|SHARDS|NODES|KEYSLOT|INFO|MYID|HELP`: this proxy as one
/// node owning every slot.
pub fn cluster(call: Call<'_, '_>) {
    use common::table::Cmd;
    let shared = &call.w.shared;
    let port = shared.port.load(std::sync::atomic::Ordering::Relaxed) as i64;
    let ip = shared.cfg.bind.clone();
    let id = node_id(shared.epoch);
    match call.spec.id {
        Cmd::ClusterKeyslot => match call.argv {
            [_, _, key] => {
                let slot = key_slot(key) as i64;
                call.reply(|r| r.int(slot))
            }
            _ => call
                .reply(|r| r.error("ERR wrong number of arguments for 'cluster|keyslot' command")),
        },
        Cmd::ClusterMyid => call.reply(|r| r.bulk(id.as_bytes())),
        Cmd::ClusterHelp => call.reply(|r| super::help(r, CLUSTER_HELP)),
        Cmd::ClusterNodes => {
            // No cluster bus: its port is 0.
            let text = format!("{id} {ip}:{port}@0 myself,master - 0 0 0 connected 0-16383\n");
            call.reply(|r| r.verbatim(text.as_bytes()))
        }
        Cmd::ClusterInfo => {
            let text = "cluster_enabled:0\r\ncluster_state:ok\r\ncluster_slots_assigned:16384\r\ncluster_slots_ok:16384\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:0\r\ncluster_known_nodes:1\r\ncluster_size:1\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n";
            call.reply(|r| r.verbatim(text.as_bytes()))
        }
        Cmd::ClusterSlots => call.reply(|r| {
            r.array(1);
            r.array(3);
            r.int(0);
            r.int(16383);
            r.array(4);
            r.bulk(ip.as_bytes());
            r.int(port);
            r.bulk(id.as_bytes());
            r.map(0);
        }),
        _ => call.reply(|r| {
            // CLUSTER SHARDS.
            r.array(1);
            r.map(2);
            r.bulk(b"slots");
            r.array(2);
            r.int(0);
            r.int(16383);
            r.bulk(b"nodes");
            r.array(1);
            r.map(7);
            for (k, v) in [
                ("id", id.as_str()),
                ("endpoint", ip.as_str()),
                ("ip", ip.as_str()),
            ] {
                r.bulk(k.as_bytes());
                r.bulk(v.as_bytes());
            }
            r.bulk(b"port");
            r.int(port);
            r.bulk(b"role");
            r.bulk(b"master");
            r.bulk(b"replication-offset");
            r.int(0);
            r.bulk(b"health");
            r.bulk(b"online");
        }),
    }
}

/// A 40-hex-digit node id, stable for the life of this proxy.
fn node_id(epoch: u64) -> String {
    let mut x = epoch | 1;
    (0..5)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!("{:08x}", x as u32)
        })
        .collect()
}
