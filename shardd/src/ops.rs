//! The shard's one map from a command id to the code that runs it, built
//! at compile time from the handlers' own maps ([`commands::handler`],
//! [`admin::command`], [`introspect::command`], [`tx::command`]): a request
//! costs one array
//! read to dispatch, whatever kind of command it is.

use common::table::Cmd;

use crate::{
    blocking::{self, BlockCmd},
    commands::{self, Handler},
    introspect::{self, Introspect},
    persist::admin::{self, Admin},
    script::{self, ScriptCmd},
    slots::{self, SlotsCmd},
    subs,
    tx::{self, TxCmd},
};

/// What runs a command on a shard.
#[derive(Clone, Copy)]
pub enum Op {
    /// A keyspace command.
    Data(Handler),
    /// A data directory command (SAVE, `SHARDD.CONFIG`, ...).
    Admin(Admin),
    /// A measurement the proxy asks for (`SHARDD.INFO`, ...).
    Introspect(Introspect),
    /// A transaction or WATCH (`crate::tx`), which the loop runs itself.
    Tx(TxCmd),
    /// A Lua script (`crate::script`), which the loop runs itself.
    Script(ScriptCmd),
    /// A wait of a client blocked over several shards, or the end of a
    /// wait (`crate::blocking`), which the loop runs itself.
    Block(BlockCmd),
    /// The owned slots and slot moves (`crate::slots`).
    Slots(SlotsCmd),
    /// The shard's copy of a proxy worker's subscriptions
    /// (`SHARDD.SUBS`, `crate::subs`).
    Subs,
    /// Keys a tracking client may cache (`SHARDD.TRACK`,
    /// `crate::tracking`).
    Track,
}

const fn op(id: Cmd) -> Option<Op> {
    if let Some(h) = commands::handler(id) {
        return Some(Op::Data(h));
    }
    if let Some(a) = admin::command(id) {
        return Some(Op::Admin(a));
    }
    if let Some(i) = introspect::command(id) {
        return Some(Op::Introspect(i));
    }
    if let Some(t) = tx::command(id) {
        return Some(Op::Tx(t));
    }
    if let Some(s) = script::command(id) {
        return Some(Op::Script(s));
    }
    if let Some(b) = blocking::command(id) {
        return Some(Op::Block(b));
    }
    if let Some(s) = slots::command(id) {
        return Some(Op::Slots(s));
    }
    if subs::command(id) {
        return Some(Op::Subs);
    }
    if matches!(id, Cmd::SharddTrack) {
        return Some(Op::Track);
    }
    None
}

static OPS: [Option<Op>; Cmd::ALL.len()] = {
    let mut ops = [None; Cmd::ALL.len()];
    let mut i = 0;
    while i < ops.len() {
        ops[i] = op(Cmd::ALL[i]);
        i += 1;
    }
    ops
};

/// What runs the command numbered `kind` (as a request carries it).
#[inline]
pub fn lookup(kind: u16) -> Option<Op> {
    OPS.get(kind as usize).copied().flatten()
}

#[cfg(test)]
mod tests {
    use common::table::{every_entry, Exec};

    use super::*;

    #[test]
    fn a_shard_has_one_handler_for_exactly_the_commands_the_table_gives_shards() {
        for c in every_entry().filter(|c| c.is_runnable()) {
            let handlers = commands::handler(c.id).is_some() as u8
                + admin::command(c.id).is_some() as u8
                + introspect::command(c.id).is_some() as u8
                + tx::command(c.id).is_some() as u8
                + script::command(c.id).is_some() as u8
                + blocking::command(c.id).is_some() as u8
                + slots::command(c.id).is_some() as u8
                + subs::command(c.id) as u8;
            assert!(handlers <= 1, "{}: two handlers", c.name);
            assert_eq!(
                lookup(c.id as u16).is_some(),
                matches!(c.exec, Exec::Shard | Exec::Internal),
                "{}: the table says {:?}",
                c.name,
                c.exec
            );
        }
    }
}
