//! `ACL ...`: users (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI),
//! categories (CAT), passwords (GENPASS), the log (LOG), the file (LOAD,
//! SAVE) and DRYRUN, with Redis 7.0's replies; and what a change does to
//! open connections (`crate::acl`).

use std::sync::{atomic::Ordering, Arc};

use common::{
    acl::{self, User},
    num::parse_i64,
    reply::Reply,
    table::{self, Cmd},
};

use super::{eq, Call};
use crate::{acl::pubsub_default_all, pubsub::Kind};

const HELP: &[&str] = &[
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
];

/// Runs `ACL <sub> ...` (resolved by the table: the subcommand and its
/// arity are known).
pub async fn run(call: Call<'_, '_>) {
    let at_most_one = matches!(call.spec.id, Cmd::AclCat | Cmd::AclGenpass | Cmd::AclLog);
    if at_most_one && call.argv.len() > 3 {
        let sub = String::from_utf8_lossy(call.argv[1]).into_owned();
        let msg = format!(
            "ERR unknown subcommand or wrong number of arguments for '{sub}'. Try ACL HELP."
        );
        return call.reply(|r| r.error(&msg));
    }
    match call.spec.id {
        Cmd::AclSetuser => setuser(call),
        Cmd::AclGetuser => getuser(call),
        Cmd::AclDeluser => deluser(call),
        Cmd::AclList | Cmd::AclUsers => list(call),
        Cmd::AclWhoami => {
            let name = call.session.user.name.clone();
            call.reply(|r| r.bulk(&name));
        }
        Cmd::AclCat => cat(call),
        Cmd::AclGenpass => genpass(call),
        Cmd::AclLog => {
            collect_script_refusals(call.w).await;
            log(call)
        }
        Cmd::AclDryrun => dryrun(call),
        Cmd::AclLoad => load(call),
        Cmd::AclSave => save(call),
        _ => call.reply(|r| {
            r.array(HELP.len());
            HELP.iter().for_each(|l| r.simple(l));
        }),
    }
}

fn setuser(call: Call) {
    let name = call.argv[2];
    if acl::has_spaces(name) {
        return call.reply(|r| r.error("ERR Usernames can't contain spaces or null characters"));
    }
    let shared = &call.w.shared;
    let all = pubsub_default_all(&shared.settings);
    match shared.acl.set_user(name, &call.argv[3..], all) {
        Err(e) => call.reply(|r| r.error(&format!("ERR {e}"))),
        Ok((old, new)) => {
            if let Some(old) = old {
                if !new.keeps_channels_of(&old) {
                    drop_lost_subscribers(call.w, &new);
                }
            }
            call.reply(|r| r.ok());
        }
    }
}

/// Closes the subscribers of `user` that listen to a channel or pattern
/// its new rules no longer allow (as Redis does).
fn drop_lost_subscribers(w: &crate::worker::Worker, user: &User) {
    let shared = &w.shared;
    let clients: Vec<_> = shared.clients().values().cloned().collect();
    for c in clients {
        if c.subs.iter().all(|n| n.load(Ordering::Relaxed) == 0) || !c.logged_in_as(&user.name) {
            continue;
        }
        let subs = shared.pubsub.subscriptions_of(c.id);
        let lost = subs
            .iter()
            .any(|(kind, name)| !user.channel_ok(name, *kind == Kind::Pattern));
        if lost {
            super::client::kill_client(shared, &c);
        }
    }
}

/// The three parts of a selector, as a map's fields.
fn write_selector(r: &mut Reply, s: &acl::Selector) {
    r.bulk(b"commands");
    r.bulk(acl::describe_commands(s).as_bytes());
    r.bulk(b"keys");
    r.bulk(acl::describe_keys(s).as_bytes());
    r.bulk(b"channels");
    r.bulk(acl::describe_channels(s).as_bytes());
}

fn getuser(call: Call) {
    let Some(u) = call.w.shared.acl.user(call.argv[2]) else {
        return call.reply(|r| r.null());
    };
    call.reply(|r| {
        r.map(6);
        r.bulk(b"flags");
        let flags: Vec<&str> = u.flag_names().collect();
        r.set(flags.len());
        flags.iter().for_each(|f| r.bulk(f.as_bytes()));
        r.bulk(b"passwords");
        r.array(u.passwords.len());
        u.passwords.iter().for_each(|p| r.bulk(p.as_bytes()));
        write_selector(r, &u.selectors[0]);
        r.bulk(b"selectors");
        r.array(u.selectors.len() - 1);
        for s in &u.selectors[1..] {
            r.map(3);
            write_selector(r, s);
        }
    });
}

fn deluser(call: Call) {
    let names = &call.argv[2..];
    if names.iter().any(|n| *n == b"default") {
        return call.reply(|r| r.error("ERR The 'default' user cannot be removed"));
    }
    let shared = &call.w.shared;
    let n = shared.acl.del_users(names);
    // Their connections close: this one after its reply.
    let clients: Vec<_> = shared.clients().values().cloned().collect();
    for c in clients {
        if names.iter().any(|n| c.logged_in_as(n)) {
            if c.id == call.session.handle.id {
                call.session.close = true;
            } else {
                super::client::kill_client(shared, &c);
            }
        }
    }
    call.reply(|r| r.int(n as i64));
}

fn list(call: Call) {
    let users = call.w.shared.acl.users();
    let names_only = call.spec.id == Cmd::AclUsers;
    call.reply(|r| {
        r.array(users.len());
        for u in &users {
            if names_only {
                r.bulk(&u.name);
            } else {
                let line = format!("user {} {}", String::from_utf8_lossy(&u.name), u.describe());
                r.bulk(line.as_bytes());
            }
        }
    });
}

fn cat(call: Call) {
    match call.argv.get(2) {
        None => call.reply(|r| {
            r.array(acl::CATEGORIES.len());
            acl::CATEGORIES.iter().for_each(|c| r.bulk(c.as_bytes()));
        }),
        Some(name) => match acl::category_bit(name) {
            None => {
                let name = String::from_utf8_lossy(&name[..name.len().min(128)]).into_owned();
                call.reply(|r| r.error(&format!("ERR Unknown category '{name}'")))
            }
            Some(bit) => {
                let names: Vec<&str> = acl::commands_in(bit).map(|c| c.name).collect();
                call.reply(|r| {
                    r.array(names.len());
                    names.iter().for_each(|n| r.bulk(n.as_bytes()));
                });
            }
        },
    }
}

/// Most bits `ACL GENPASS` makes.
const GENPASS_MAX_BITS: i64 = 4096;

fn genpass(call: Call) {
    let bits = match call.argv.get(2) {
        None => 256,
        Some(v) => match parse_i64(v) {
            Some(n) => n,
            None => return call.reply(|r| r.error("ERR value is not an integer or out of range")),
        },
    };
    if bits <= 0 || bits > GENPASS_MAX_BITS {
        return call.reply(|r| {
            r.error(&format!(
                "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to {GENPASS_MAX_BITS}"
            ))
        });
    }
    let chars = (bits as usize).div_ceil(4);
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    if let Err(e) = getrandom(&mut bytes) {
        return call.reply(|r| r.error(&format!("ERR cannot read random bytes: {e}")));
    }
    let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    call.reply(|r| r.bulk(hex.as_bytes()));
}

/// Fills `buf` from the kernel's random source.
fn getrandom(buf: &mut [u8]) -> std::io::Result<()> {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

/// Moves the refusals of scripts' calls the shards noted into the log
/// (`SHARDD.ACLLOG`), in the order they happened.
async fn collect_script_refusals(w: &std::rc::Rc<crate::worker::Worker>) {
    let asks: Vec<(usize, Vec<Vec<u8>>)> = (0..w.shared.shard_count())
        .map(|s| (s, vec![b"SHARDD.ACLLOG".to_vec()]))
        .collect();
    let replies = crate::xtx::ask_all(w, Cmd::SharddAcllog, &asks).await;
    let mut events = Vec::new();
    for reply in &replies {
        let Some(items) = crate::merge::array_elements(reply) else {
            continue;
        };
        for e in items.chunks_exact(5) {
            let reason = match bulk_bytes(e[0]) {
                Some(b"command") => "command",
                Some(b"key") => "key",
                Some(b"channel") => "channel",
                _ => continue,
            };
            let (Some(object), Some(user)) = (bulk_bytes(e[1]), bulk_bytes(e[2])) else {
                continue;
            };
            let at = crate::merge::parse_int_reply(e[3]).unwrap_or(0) as u64;
            let origin = crate::merge::parse_int_reply(e[4]).unwrap_or(0) as u64;
            events.push((at, reason, object, user, origin));
        }
    }
    events.sort_by_key(|e| e.0);
    let max = w.shared.settings.acllog_max_len();
    for (at_ms, reason, object, username, origin) in events {
        let info = match w.shared.clients().get(&origin) {
            Some(c) => format!(
                "id={origin} addr={} laddr={} fd={} name={} user={}",
                c.addr,
                c.laddr,
                c.fd,
                String::from_utf8_lossy(&c.info().name),
                String::from_utf8_lossy(username)
            ),
            None => format!("id={origin} user={}", String::from_utf8_lossy(username)),
        };
        let event = crate::acl::Event {
            reason,
            context: crate::acl::Context::Lua,
            object,
            username,
            at_ms,
        };
        w.shared.acl.log_event_at(event, info, max);
    }
}

/// The bytes of a bulk string reply.
fn bulk_bytes(v: &[u8]) -> Option<&[u8]> {
    let rest = v.strip_prefix(b"$")?;
    let nl = rest.iter().position(|&b| b == b'\n')?;
    let n: usize = std::str::from_utf8(rest.get(..nl.checked_sub(1)?)?)
        .ok()?
        .parse()
        .ok()?;
    rest.get(nl + 1..nl + 1 + n)
}

fn log(call: Call) {
    let acl = &call.w.shared.acl;
    let mut count = 10usize;
    if let Some(arg) = call.argv.get(2) {
        if eq(arg, "reset") {
            acl.log_reset();
            return call.reply(|r| r.ok());
        }
        match parse_i64(arg) {
            Some(n) => count = n.max(0) as usize,
            None => return call.reply(|r| r.error("ERR value is not an integer or out of range")),
        }
    }
    let (entries, now) = acl.log_entries(count);
    call.reply(|r| {
        r.array(entries.len());
        for e in &entries {
            r.map(7);
            r.bulk(b"count");
            r.int(e.count as i64);
            r.bulk(b"reason");
            r.bulk(e.reason.as_bytes());
            r.bulk(b"context");
            r.bulk(e.context.as_bytes());
            r.bulk(b"object");
            r.bulk(&e.object);
            r.bulk(b"username");
            r.bulk(&e.username);
            r.bulk(b"age-seconds");
            r.double(now.saturating_sub(e.ctime_ms) as f64 / 1000.0);
            r.bulk(b"client-info");
            r.bulk(e.client_info.as_bytes());
        }
    });
}

fn dryrun(call: Call) {
    let Some(u) = call.w.shared.acl.user(call.argv[2]) else {
        let name = String::from_utf8_lossy(call.argv[2]).into_owned();
        return call.reply(|r| r.error(&format!("ERR User '{name}' not found")));
    };
    let argv = &call.argv[3..];
    // Any Redis command, even one shardis does not run (MIGRATE).
    let found = table::entry(argv[0]).filter(|c| !c.id.is_internal());
    let found = found.map(|c| match (c.subcommands.is_empty(), argv.get(1)) {
        (false, Some(sub)) => {
            let full = [argv[0], b"|", sub].concat();
            table::entry(&full)
        }
        (false, None) => None,
        (true, _) => Some(c),
    });
    let Some(Some(spec)) = found else {
        let name = String::from_utf8_lossy(argv[0]).into_owned();
        return call.reply(|r| r.error(&format!("ERR Command '{name}' not found")));
    };
    if !spec.arity_ok(argv.len()) {
        let msg = format!("ERR wrong number of arguments for '{}' command", spec.name);
        return call.reply(|r| r.error(&msg));
    }
    match u.check(spec, argv) {
        Ok(()) => call.reply(|r| r.ok()),
        Err(d) => {
            let text = match d {
                acl::Denied::Command => {
                    format!(
                        "This user has no permissions to run the '{}' command",
                        spec.name
                    )
                }
                acl::Denied::Key(p) => format!(
                    "This user has no permissions to access the '{}' key",
                    String::from_utf8_lossy(argv[p])
                ),
                acl::Denied::Channel(p) => format!(
                    "This user has no permissions to access the '{}' channel",
                    String::from_utf8_lossy(argv[p])
                ),
            };
            call.reply(|r| r.bulk(text.as_bytes()));
        }
    }
}

const NO_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn load(call: Call) {
    let shared = &call.w.shared;
    let Some(path) = crate::acl::aclfile(&shared.settings) else {
        return call.reply(|r| r.error(NO_FILE));
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            let msg = format!(
                "ERR Error loading ACLs, opening file '{}': {e}",
                path.display()
            );
            return call.reply(|r| r.error(&msg));
        }
    };
    let all = pubsub_default_all(&shared.settings);
    match crate::acl::parse_file(&text, &path.display().to_string(), all) {
        Err(e) => call.reply(|r| r.error(&format!("ERR {e}"))),
        Ok(users) => {
            // Every user but the default one is replaced, and its
            // connections close, as in Redis (they log in again).
            let gone: Vec<Arc<User>> = shared
                .acl
                .users()
                .into_iter()
                .filter(|old| old.name != b"default")
                .collect();
            shared.acl.replace_all(users);
            let clients: Vec<_> = shared.clients().values().cloned().collect();
            for c in clients {
                if gone.iter().any(|u| c.logged_in_as(&u.name)) {
                    if c.id == call.session.handle.id {
                        call.session.close = true;
                    } else {
                        super::client::kill_client(shared, &c);
                    }
                }
            }
            call.reply(|r| r.ok());
        }
    }
}

fn save(call: Call) {
    let shared = &call.w.shared;
    let Some(path) = crate::acl::aclfile(&shared.settings) else {
        return call.reply(|r| r.error(NO_FILE));
    };
    match crate::acl::save_file(&shared.acl, &path) {
        Ok(()) => call.reply(|r| r.ok()),
        Err(e) => {
            tracing::warn!("ACL SAVE to {}: {e}", path.display());
            call.reply(|r| {
                r.error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
            })
        }
    }
}
