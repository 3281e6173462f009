//! The migration protocol's steps (`MIGRATION.md`): a batch of slots
//! moved from one shard to another, undone, or settled after a crash.
//! Written against [`Cluster`] (what the protocol needs of the world), so
//! the deterministic simulation (`proxy/tests/sim/migration.rs`) runs this
//! very code over in-process shards it crashes at every step.

use common::{reply::Proto, slotset::SlotSet, table::Cmd};

use crate::{
    link::Req,
    slotmap::{MapData, Move, Phase, SlotMap},
    xtx::Ask,
};

/// What the protocol needs of the world around it.
#[allow(async_fn_in_trait)]
pub trait Cluster {
    /// A pause of client commands in force (dropping it ends it).
    type Held<'a>
    where
        Self: 'a;

    /// The slot map.
    fn slots(&self) -> &SlotMap;

    /// Changes the slot map, file first.
    fn change(&self, f: impl FnOnce(&mut MapData)) -> Result<(), String> {
        self.slots()
            .change(f)
            .map_err(|e| format!("cannot write the slot map: {e}"))
    }

    /// Holds client commands until nothing of one is in progress; `None`
    /// if that does not happen soon.
    async fn hold(&self) -> Option<Self::Held<'_>>;

    /// Sends every request and returns their replies in order.
    async fn ask(&self, asks: &[Ask]) -> Vec<Vec<u8>>;
}

/// Moves `slots` from `from` to `to` (`MIGRATION.md`, "A batch");
/// returns the keys moved.
pub async fn move_batch<C: Cluster>(
    c: &C,
    from: usize,
    to: usize,
    slots: &SlotSet,
) -> Result<u64, String> {
    let map = c.slots().snapshot();
    let mut from_after = map.slots_of(from);
    from_after.subtract(slots);
    let mut to_after = map.slots_of(to);
    to_after.union_with(slots);
    // 1. The record: whatever happens next, recovery knows the move.
    let record = Move {
        from,
        to,
        slots: slots.clone(),
        phase: Phase::Copy,
    };
    c.change(|d| d.moving = Some(record.clone()))?;
    // 2. Nothing of a client command in progress or in flight.
    let Some(held) = c.hold().await else {
        clear_record(c)?;
        return Err("the workers did not settle within the pause; trying again".into());
    };
    // 3. Copy.
    let copied = copy(c, from, to, slots).await;
    let keys = match copied {
        Ok(k) => k,
        Err(e) => {
            let undone = roll_back(c, &record).await;
            drop(held);
            return Err(match undone {
                Ok(()) => format!("{e}; rolled back"),
                Err(u) => format!("{e}; roll-back pending: {u}"),
            });
        }
    };
    // 4. The target keeps the slots (and its copy is durable).
    let set = ask(c, to, slots_set(&to_after)).await;
    if !set.starts_with(b"+OK") {
        let undone = roll_back(c, &record).await;
        drop(held);
        return Err(format!(
            "shard {to} did not keep the slots: {}{}",
            text(&set),
            undone
                .err()
                .map_or(String::new(), |u| format!("; roll-back pending: {u}"))
        ));
    }
    // 5. Commit: the map says the target owns them.
    c.change(|d| {
        for s in slots.iter() {
            d.owners[s as usize] = to as u16;
        }
        d.moving = Some(Move {
            phase: Phase::Drop,
            ..record.clone()
        });
    })?;
    // 6. The source lets them go.
    let dropped = drop_at(c, from, &from_after).await;
    drop(held);
    dropped?;
    clear_record(c)?;
    Ok(keys)
}

fn clear_record<C: Cluster>(c: &C) -> Result<(), String> {
    c.change(|d| d.moving = None)
}

/// `SHARDD.SLOTS SET ranges`.
fn slots_set(set: &SlotSet) -> Vec<Vec<u8>> {
    vec![
        b"SHARDD.SLOTS".to_vec(),
        b"SET".to_vec(),
        set.to_ranges().into_bytes(),
    ]
}

/// Tells `shard` it owns `owned` (kept in its directory).
pub(super) async fn tell_slots<C: Cluster>(
    c: &C,
    shard: usize,
    owned: &SlotSet,
) -> Result<(), String> {
    let set = ask(c, shard, slots_set(owned)).await;
    match set.starts_with(b"+OK") {
        true => Ok(()),
        false => Err(format!("shard {shard} refused its slots: {}", text(&set))),
    }
}

/// Tells `shard` it owns `owned` and has it delete the rest.
async fn drop_at<C: Cluster>(c: &C, shard: usize, owned: &SlotSet) -> Result<(), String> {
    let set = ask(c, shard, slots_set(owned)).await;
    if !set.starts_with(b"+OK") {
        return Err(format!("shard {shard}: {}", text(&set)));
    }
    let drop_args = vec![b"SHARDD.SLOTS".to_vec(), b"DROP".to_vec()];
    let dropped = ask(c, shard, drop_args).await;
    if !dropped.starts_with(b":") {
        return Err(format!("shard {shard}: {}", text(&dropped)));
    }
    Ok(())
}

/// Undoes a move that did not commit: the source owns its slots again,
/// the target drops what it got of them.
async fn roll_back<C: Cluster>(c: &C, m: &Move) -> Result<(), String> {
    let map = c.slots().snapshot();
    let from_set = ask(c, m.from, slots_set(&map.slots_of(m.from))).await;
    if !from_set.starts_with(b"+OK") {
        return Err(format!("shard {}: {}", m.from, text(&from_set)));
    }
    drop_at(c, m.to, &map.slots_of(m.to)).await?;
    clear_record(c)
}

/// Settles the move the map records (a crash interrupted it): rolled
/// back before its commit, its source's drop finished after.
pub async fn settle<C: Cluster>(c: &C, m: &Move) -> Result<(), String> {
    let held = c.hold().await.ok_or("the workers did not settle")?;
    let done = match m.phase {
        Phase::Copy => roll_back(c, m).await,
        Phase::Drop => {
            let map = c.slots().snapshot();
            let to = ask(c, m.to, slots_set(&map.slots_of(m.to))).await;
            if !to.starts_with(b"+OK") {
                Err(format!("shard {}: {}", m.to, text(&to)))
            } else {
                match drop_at(c, m.from, &map.slots_of(m.from)).await {
                    Ok(()) => clear_record(c),
                    Err(e) => Err(e),
                }
            }
        }
    };
    drop(held);
    if done.is_ok() {
        tracing::info!(from = m.from, to = m.to, slots = %m.slots.to_ranges(), "interrupted move settled");
    }
    done
}

/// Copies every key of `slots` from `from` to `to` (the source's blob
/// passed on unread); the keys copied.
async fn copy<C: Cluster>(c: &C, from: usize, to: usize, slots: &SlotSet) -> Result<u64, String> {
    let mut dump: Vec<Vec<u8>> = vec![b"SHARDD.SLOTDUMP".to_vec()];
    dump.extend(slots.iter().map(|s| s.to_string().into_bytes()));
    let reply = ask(c, from, dump).await;
    let blob = common::resp_value::bulk_body(&reply)
        .ok_or_else(|| format!("shard {from} did not give the slots: {}", text(&reply)))?;
    let keys = blob
        .get(..8)
        .and_then(|h| h.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| format!("shard {from} gave a broken blob"))?;
    if keys == 0 {
        return Ok(0);
    }
    // A write: the target logs it (and syncs it with `SHARDD.SLOTS SET`).
    let mut req = Req::internal(Cmd::SharddSlotload, Proto::Resp2).quiet();
    req.flags |= common::wire::REQ_FLAG_WRITE;
    let load = Ask {
        req,
        shard: to,
        args: vec![b"SHARDD.SLOTLOAD".to_vec(), blob.to_vec()],
    };
    let put = c.ask(std::slice::from_ref(&load)).await;
    match put.first().map(Vec::as_slice) {
        Some(r) if r.starts_with(b":") => Ok(keys),
        other => Err(format!(
            "shard {to} refused the keys: {}",
            text(other.unwrap_or_default())
        )),
    }
}

/// `args` (a `SHARDD.*` command, named by its first word) to `shard`,
/// as an internal, quiet request; its reply.
async fn ask<C: Cluster>(c: &C, shard: usize, args: Vec<Vec<u8>>) -> Vec<u8> {
    let cmd = match args.first().map(Vec::as_slice) {
        Some(b"SHARDD.SLOTDUMP") => Cmd::SharddSlotdump,
        _ => Cmd::SharddSlots,
    };
    let req = Req::internal(cmd, Proto::Resp2).quiet();
    let ask = Ask { req, shard, args };
    c.ask(std::slice::from_ref(&ask))
        .await
        .into_iter()
        .next()
        .unwrap_or_default()
}

fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply.trim_ascii_end()).into_owned()
}
