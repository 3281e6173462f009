//! `COMMAND` and its subcommands, answered from the table by the proxy:
//! `COUNT`, `INFO`, `DOCS`, `LIST`, `GETKEYS`, `GETKEYSANDFLAGS`, `HELP`.
//!
//! Replies follow Redis 7.0's shapes in RESP2 and RESP3: `COMMAND INFO`
//! of every command in the table, in both protocols, was compared with
//! redis-server 7.0.15's and is identical up to the order of subcommands.
//! Known gaps:
//! `COMMAND DOCS` leaves out argument lists and history, and lists come in
//! table order (Redis's is its hash order).

use crate::{
    glob::matches_nocase as glob_match,
    reply::{Proto, Reply},
};

use super::{all, flags, keyspec, lookup_full_name, resolve, CommandSpec, KeysError, ResolveError};

const HELP: &[&str] = &[
    "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    "HELP",
    "    Prints this help.",
];

/// Answers a `COMMAND ...` request (already checked by
/// [`super::resolve`]), appending the reply to `out` in `proto`.
pub fn reply(argv: &[&[u8]], proto: Proto, out: &mut Vec<u8>) {
    let mut r = Reply::new(out, proto);
    let Some(sub) = argv.get(1) else {
        r.array(all().count());
        all().for_each(|c| write_info(c, &mut r));
        return;
    };
    let names = argv.get(2..).unwrap_or(&[]);
    let sub = sub.to_ascii_lowercase();
    match sub.as_slice() {
        b"count" => r.int(all().count() as i64),
        b"info" => info(names, &mut r),
        b"docs" => docs(names, &mut r),
        b"list" => list(names, &mut r),
        b"getkeys" => getkeys(names, false, &mut r),
        b"getkeysandflags" => getkeys(names, true, &mut r),
        b"help" => {
            r.array(HELP.len());
            HELP.iter().for_each(|line| r.simple(line));
        }
        // resolve() only lets the subcommands above through.
        _ => r.error("ERR syntax error"),
    }
}

fn info(names: &[&[u8]], r: &mut Reply) {
    if names.is_empty() {
        r.array(all().count());
        all().for_each(|c| write_info(c, r));
        return;
    }
    r.array(names.len());
    for name in names {
        match lookup_full_name(name) {
            Some(c) => write_info(c, r),
            None => r.null(),
        }
    }
}

/// One `COMMAND INFO` entry: name, arity, flags, first, last, step, ACL
/// categories, tips, key specs, subcommands.
fn write_info(c: &CommandSpec, r: &mut Reply) {
    r.array(10);
    r.bulk(c.name.as_bytes());
    r.int(c.arity as i64);
    let names = flag_names(c.flags);
    r.set(names.clone().count());
    names.for_each(|f| r.simple(f));
    r.int(c.first_key as i64);
    r.int(c.last_key as i64);
    r.int(c.key_step as i64);
    r.set(c.acl_categories.len());
    c.acl_categories.iter().for_each(|a| r.simple(a));
    r.set(c.tips.len());
    c.tips.iter().for_each(|t| r.bulk(t.as_bytes()));
    keyspec::write_key_specs(c.key_specs, r);
    if c.subcommands.is_empty() {
        r.set(0);
    } else {
        r.array(subcommands(c).count());
        subcommands(c).for_each(|s| write_info(s, r));
    }
}

/// The subcommands of `c` clients can run.
fn subcommands(c: &CommandSpec) -> impl Iterator<Item = &'static CommandSpec> + Clone {
    c.subcommands.iter().filter(|s| s.exists())
}

fn flag_names(bits: u32) -> impl Iterator<Item = &'static str> + Clone {
    flags::NAMES
        .iter()
        .enumerate()
        .filter(move |(i, _)| bits & (1 << i) != 0)
        .map(|(_, n)| *n)
}

fn docs(names: &[&[u8]], r: &mut Reply) {
    if names.is_empty() {
        r.map(all().count());
        all().for_each(|c| write_docs(c, r));
        return;
    }
    let found = || names.iter().filter_map(|n| lookup_full_name(n));
    r.map(found().count());
    found().for_each(|c| write_docs(c, r));
}

/// One `COMMAND DOCS` entry: the name, then a map of its documentation.
fn write_docs(c: &CommandSpec, r: &mut Reply) {
    r.bulk(c.name.as_bytes());
    let has_subs = !c.subcommands.is_empty();
    r.map(4 + has_subs as usize);
    for (key, value) in [
        ("summary", c.docs.summary),
        ("since", c.docs.since),
        ("group", c.docs.group),
        ("complexity", c.docs.complexity),
    ] {
        r.bulk(key.as_bytes());
        r.bulk(value.as_bytes());
    }
    if has_subs {
        r.bulk(b"subcommands");
        r.map(subcommands(c).count());
        subcommands(c).for_each(|s| write_docs(s, r));
    }
}

/// Every command and subcommand, depth first.
fn every_command() -> impl Iterator<Item = &'static CommandSpec> {
    all().flat_map(|c| std::iter::once(c).chain(subcommands(c)))
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN glob]`.
fn list(args: &[&[u8]], r: &mut Reply) {
    let filter: Box<dyn Fn(&CommandSpec) -> bool> = match args {
        [] => Box::new(|_| true),
        [by, kind, arg] if by.eq_ignore_ascii_case(b"filterby") => {
            let arg = arg.to_vec();
            match kind.to_ascii_lowercase().as_slice() {
                b"module" => Box::new(|_| false),
                b"aclcat" => Box::new(move |c| {
                    c.acl_categories.iter().any(|cat| {
                        cat.strip_prefix('@')
                            .unwrap_or(cat)
                            .as_bytes()
                            .eq_ignore_ascii_case(&arg)
                    })
                }),
                b"pattern" => Box::new(move |c| glob_match(&arg, c.name.as_bytes())),
                _ => return r.error("ERR syntax error"),
            }
        }
        _ => return r.error("ERR syntax error"),
    };
    r.array(every_command().filter(|c| filter(c)).count());
    every_command()
        .filter(|c| filter(c))
        .for_each(|c| r.bulk(c.name.as_bytes()));
}

/// `COMMAND GETKEYS cmd args...` and `COMMAND GETKEYSANDFLAGS cmd args...`.
fn getkeys(argv: &[&[u8]], with_flags: bool, r: &mut Reply) {
    let spec = match resolve(argv) {
        Ok(spec) => spec,
        Err(ResolveError::WrongArity(_)) => {
            return r.error("ERR Invalid number of arguments specified for command")
        }
        Err(_) => return r.error("ERR Invalid command specified"),
    };
    match keyspec::keys_and_flags(spec, argv) {
        Ok(keys) => {
            r.array(keys.len());
            for (i, flags) in keys {
                if with_flags {
                    r.array(2);
                    r.bulk(argv[i]);
                    let names = || keyspec::flag_names(flags);
                    r.set(names().count());
                    names().for_each(|n| r.simple(n));
                } else {
                    r.bulk(argv[i]);
                }
            }
        }
        Err(KeysError::NoKeyArguments) => r.error("ERR The command has no key arguments"),
        Err(KeysError::InvalidArguments) if spec.has_flag(flags::F_NO_MANDATORY_KEYS) => r.array(0),
        Err(KeysError::InvalidArguments) => r.error("ERR Invalid arguments specified for command"),
    }
}
