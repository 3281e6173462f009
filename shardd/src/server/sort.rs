//! The shard loop's side of SORT with `BY`/`GET` patterns, which read keys
//! the command does not name (`crate::commands::sort`).
//!
//! - A plain SORT (no transaction) may read a pattern's key when this
//!   shard owns its slot and no transaction over several shards holds it;
//!   otherwise it answers `-SHARDIS.STRAY` with every such key
//!   (`common::wire::stray_reply`) and changes nothing. A shard that does
//!   not know its slots (started without `--slots` or a slots file, which
//!   the proxy never does) takes every key as its own.
//! - `SHARDD.SORT nlisted listed... SORT|SORT_RO args...` inside
//!   transaction `T` runs the SORT reading only the listed keys (which `T`
//!   holds, or copied here from their shards); any other key its patterns
//!   name makes it answer `-SHARDIS.STRAY` with them.
//! - `SHARDD.SORT` outside a transaction runs nothing and answers the keys
//!   the SORT's patterns would read now (the proxy's first guess of the
//!   keys to lock).

use common::{slot::key_slot, table::Cmd, wire::stray_reply};

use super::Engine;
use crate::{
    commands::{
        eq_ic,
        sort::{pattern_keys, SortScope},
    },
    ops,
    persist::WriteLog,
    reply::Reply,
};

/// A `SHARDD.SORT` record's listed keys, and the SORT it carries (its
/// id and arguments).
type Record<'r, 'a> = (&'r [&'a [u8]], Cmd, &'r [&'a [u8]]);

fn split_record<'r, 'a>(args: &'r [&'a [u8]]) -> Option<Record<'r, 'a>> {
    let n: usize = std::str::from_utf8(args.get(1)?).ok()?.parse().ok()?;
    let listed = args.get(2..2usize.checked_add(n)?)?;
    let inner = args.get(2 + n..)?;
    let id = match inner.first() {
        Some(name) if eq_ic(name, "sort") => Cmd::Sort,
        Some(name) if eq_ic(name, "sort_ro") => Cmd::SortRo,
        _ => return None,
    };
    Some((listed, id, inner))
}

impl<L: WriteLog> Engine<L> {
    /// Before SORT `args` runs: true if it may read every key its patterns
    /// name (module docs); else false, with `-SHARDIS.STRAY` replied.
    pub(crate) fn sort_may_run(&mut self, args: &[&[u8]], reply: &mut Reply) -> bool {
        if matches!(self.sort_scope, SortScope::Checked) {
            return true;
        }
        let keys = pattern_keys(&mut self.ks, args);
        if keys.is_empty() {
            return true;
        }
        let owned = self.owned.get().cloned();
        let strays: Vec<&[u8]> = keys
            .iter()
            .map(Vec::as_slice)
            .filter(|k| match &self.sort_scope {
                SortScope::Listed(listed) => !listed.contains(*k),
                SortScope::Own => {
                    self.xtx.holds(k) || owned.as_ref().is_some_and(|s| !s.contains(key_slot(k)))
                }
                SortScope::Checked => false,
            })
            .collect();
        if strays.is_empty() {
            return true;
        }
        reply.raw(&stray_reply(strays));
        false
    }

    /// `SHARDD.SORT` (module docs); `tx`: the transaction it runs in.
    pub(crate) fn serve_sort(&mut self, tx: Option<u64>, args: &[&[u8]], reply: &mut Reply) {
        let Some((listed, id, inner)) = split_record(args) else {
            return reply.error("ERR malformed SORT record");
        };
        let Some(t) = tx else {
            let keys = pattern_keys(&mut self.ks, inner);
            reply.array(keys.len());
            keys.iter().for_each(|k| reply.bulk(k));
            return;
        };
        let Some(op) = ops::lookup(id as u16) else {
            return reply.error("ERR unknown command");
        };
        let listed = listed.iter().map(|k| k.to_vec()).collect();
        self.sort_scope = SortScope::Listed(listed);
        self.serve_in_tx(t, id, op, inner, reply);
        self.sort_scope = SortScope::Own;
    }
}
