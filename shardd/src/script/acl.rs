//! A restricted caller's rules inside a script: the rules a shard keeps
//! parsed per caller, the check of each `redis.call` (`EVAL_ACL`),
//! `redis.acl_check_cmd`, and how a call the script may not make is
//! counted and noted for the proxy's `ACL LOG`.

use std::rc::Rc;

use common::table::{self, Cmd};
use mlua::{Lua, Value};

use super::{call, convert, Run, Scripts, ACL_USERS_MAX};
use crate::stats::{AclRefusal, Stats, ACL_REFUSALS_MAX};

impl Scripts {
    /// The caller `name`'s rules, parsed once and kept (a few callers'
    /// at most: the oldest are dropped past [`ACL_USERS_MAX`]).
    pub(super) fn user(
        &mut self,
        name: &[u8],
        rules: &[u8],
    ) -> Result<Rc<common::acl::User>, String> {
        let key = [name, b" ", rules].concat();
        if let Some(u) = self.users.get(&key) {
            return Ok(u.clone());
        }
        let u = Rc::new(common::acl::User::from_rules(name, rules)?);
        if self.users.len() >= ACL_USERS_MAX {
            self.users.clear();
        }
        self.users.insert(key, u.clone());
        Ok(u)
    }
}

/// A call the script may not make (`msg`, Redis's text): counted as
/// a rejected call of command `id` and as an `ERR` error reply, as
/// Redis counts it, once (the script's error passing it on is not
/// counted again).
pub(super) fn rejected_call(
    stats: &mut Stats,
    lua: &Lua,
    id: Cmd,
    msg: &[u8],
    raise: bool,
) -> mlua::Result<(Value, bool)> {
    rejected_with(stats, lua, id, &[b"ERR ".as_slice(), msg].concat(), raise)
}

/// [`rejected_call`] for a message that starts with its own error code
/// (`NOREPLICAS ...`).
pub(super) fn rejected_with(
    stats: &mut Stats,
    lua: &Lua,
    id: Cmd,
    msg: &[u8],
    raise: bool,
) -> mlua::Result<(Value, bool)> {
    stats.cmds.rejected(id);
    stats.cmds.error_reply(&[b"-".as_slice(), msg].concat());
    let t = convert::error_table(lua, msg, true)?;
    t.raw_set("ignore_error_stats_update", true)?;
    Ok((Value::Table(t), raise))
}

/// Keeps a refused call for the proxy's `ACL LOG` (`SHARDD.ACLLOG`).
pub(super) fn note_acl_refusal(
    stats: &mut Stats,
    run: &Run,
    user: &common::acl::User,
    d: common::acl::Denied,
    name: &str,
    argv: &[&[u8]],
) {
    let object = match d.position() {
        Some(p) => argv.get(p).copied().unwrap_or_default().to_vec(),
        None => name.as_bytes().to_vec(),
    };
    let refusals = &mut stats.acl_refusals;
    if refusals.len() >= ACL_REFUSALS_MAX {
        refusals.remove(0);
    }
    refusals.push(AclRefusal {
        reason: d.reason(),
        object,
        username: user.name.clone(),
        at_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |t| t.as_millis() as u64),
        origin: run.origin,
    });
}

/// `redis.acl_check_cmd(command, args...)`: whether the script's caller
/// may run that command with those arguments (true for a caller no rule
/// restricts), as Redis answers it; an unknown command is an error.
pub(super) fn acl_check(lua: &Lua, run: &Run, args: &call::Packed) -> mlua::Result<(Value, bool)> {
    let fail = |msg: &[u8]| -> mlua::Result<(Value, bool)> {
        Ok((Value::Table(convert::error_table(lua, msg, false)?), true))
    };
    if args.is_empty() {
        return fail(b"Please specify at least one argument for this redis lib call");
    }
    if args.bad {
        return fail(b"Lua redis lib command arguments must be strings or integers");
    }
    let argv: smallvec::SmallVec<[&[u8]; 16]> = args.args().collect();
    // Redis looks the command up without checking its arity.
    let spec = table::entry(argv[0]).filter(|c| !c.id.is_internal());
    let spec = spec.and_then(|c| match (c.subcommands.is_empty(), argv.get(1)) {
        (true, _) => Some(c),
        (false, Some(sub)) => table::entry(&[argv[0], b"|", sub].concat()),
        (false, None) => None,
    });
    let Some(spec) = spec else {
        return fail(b"Invalid command passed to redis.acl_check_cmd()");
    };
    let allowed = run
        .user
        .as_ref()
        .is_none_or(|u| u.check(spec, &argv).is_ok());
    Ok((Value::Boolean(allowed), false))
}
