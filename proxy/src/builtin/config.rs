//! `CONFIG GET|SET|RESETSTAT|HELP` over the parameter table
//! ([`crate::params`]).
//!
//! `CONFIG SET a 1 b 2` is all or nothing, as in Redis 7: every name is
//! looked up first (an unknown, immutable, protected or repeated one fails
//! the command), then every value is checked with Redis's rules, and only
//! when all pass is anything stored. The proxy applies its part at once
//! (`requirepass`, `timeout`, `maxclients`, the request limits, the slow
//! log's and latency monitor's thresholds, what INFO latencystats shows);
//! the shards' part goes to every shard in one `SHARDD.CONFIG epoch seq
//! name value ...`, whose merged answer is the reply. A shard that is down
//! then gets the new values when the proxy restarts it; the reply says it
//! was down. `port` moves every worker's listener (bound before anything is
//! stored, so a port in use changes nothing; open connections stay).
//! `RESETSTAT` resets the proxy's and every shard's statistics
//! (`super::info::resetstat`). `REWRITE` rewrites the config file the
//! proxy started with (`crate::params::rewrite`), through a temporary file
//! renamed over it.

use std::sync::atomic::Ordering;

use common::{glob::matches_nocase, table::Cmd};

use super::{help, Call, ConfigCmd};
use crate::{
    link::Req,
    merge::MergeKind,
    params::{self, Applies, Named, HIDDEN, PARAMS},
    send::to_all,
    state::Shared,
};

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
];

/// Runs `CONFIG sub`.
pub async fn run(sub: ConfigCmd, call: Call<'_, '_>) {
    match sub {
        ConfigCmd::Get => get(call),
        ConfigCmd::Set => set(call).await,
        ConfigCmd::Resetstat => super::info::resetstat(call).await,
        ConfigCmd::Rewrite => rewrite(call),
        ConfigCmd::Help => call.reply(|r| help(r, HELP)),
    }
}

/// Every name `CONFIG GET` matches against a pattern: each parameter's
/// name, then its alias, hidden ones left out.
fn names() -> impl Iterator<Item = Named> {
    PARAMS.iter().enumerate().flat_map(|(index, p)| {
        let visible = p.flags & HIDDEN == 0;
        [Some(p.name), p.alias]
            .into_iter()
            .flatten()
            .filter(move |_| visible)
            .map(move |name| Named { index, name })
    })
}

/// `CONFIG GET pattern ...`: a name without glob characters is looked up
/// (hidden ones too) and answered under the name as given; a pattern
/// matches every visible name and alias. Each name appears once.
fn get(call: Call) {
    let values = call.w.shared.settings.all();
    let mut found: Vec<(String, usize)> = Vec::new();
    let mut add = |name: &str, index: usize| {
        if !found.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            found.push((name.to_string(), index));
        }
    };
    for pat in &call.argv[2..] {
        if !pat.iter().any(|b| matches!(b, b'*' | b'?' | b'[')) {
            if let Some(named) = params::lookup(pat) {
                add(&String::from_utf8_lossy(pat), named.index);
            }
            continue;
        }
        for named in names().filter(|n| matches_nocase(pat, n.name.as_bytes())) {
            add(named.name, named.index);
        }
    }
    call.reply(|r| {
        r.map(found.len());
        for (name, index) in &found {
            r.bulk(name.as_bytes());
            r.bulk(values[*index].as_bytes());
        }
    });
}

/// Redis's error for a value (or name) of `name` refused by `CONFIG SET`.
fn failed(name: &str, why: &str) -> String {
    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {why}")
}

/// Checks `CONFIG SET`'s pairs as Redis does: the values to store, or the
/// error reply. Nothing is stored here.
fn check(argv: &[&[u8]], current: &[String]) -> Result<Vec<(usize, String)>, String> {
    if !argv.len().is_multiple_of(2) {
        return Err("ERR syntax error".into());
    }
    let pairs: Vec<(&[u8], &[u8])> = argv[2..].chunks(2).map(|p| (p[0], p[1])).collect();
    // First every name: the first problem wins.
    let mut named: Vec<Named> = Vec::with_capacity(pairs.len());
    for (name, _) in &pairs {
        let given = String::from_utf8_lossy(name);
        let Some(n) = params::lookup(name) else {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{given}'"
            ));
        };
        if let Some(why) = n.param().refusal() {
            return Err(failed(&given, why));
        }
        // Redis 7.0 keeps a name and its alias as two entries.
        if named.iter().any(|m| m.index == n.index && m.name == n.name) {
            return Err(failed(&given, "duplicate parameter"));
        }
        named.push(n);
    }
    // Then every value, in order.
    let mut changes: Vec<(usize, String)> = Vec::with_capacity(pairs.len());
    for (n, (_, raw)) in named.iter().zip(&pairs) {
        let p = n.param();
        let now = changes
            .iter()
            .rev()
            .find(|(i, _)| *i == n.index)
            .map_or(current[n.index].as_str(), |(_, v)| v.as_str());
        let v = p.parse(raw, now).map_err(|e| failed(n.name, &e))?;
        if p.applies == Applies::Fixed && v != current[n.index] {
            return Err(failed(
                n.name,
                "shardis does not support changing it at run time",
            ));
        }
        changes.push((n.index, v));
    }
    Ok(changes)
}

/// Moves every worker to a new port, or Redis's error. Port 0 picks a
/// free port, as `--port 0` does (Redis's 0 stops listening on TCP).
fn move_port(shared: &Shared, port: u16) -> Result<u16, String> {
    let bound = shared
        .cfg
        .bind
        .parse()
        .map_err(std::io::Error::other)
        .and_then(|ip| shared.listeners.bind_all(ip, port));
    match bound {
        Ok((port, listeners)) => {
            shared.listeners.hand_over(listeners);
            Ok(port)
        }
        Err(e) => {
            tracing::warn!(port, "CONFIG SET port: {e}");
            Err(failed(
                "port",
                "Unable to listen on this port. Check server logs.",
            ))
        }
    }
}

/// `CONFIG SET name value [name value ...]`.
async fn set(call: Call<'_, '_>) {
    let shared = &call.w.shared;
    let settings = &shared.settings;
    let current = settings.all();
    let mut changes = match check(call.argv, &current) {
        Ok(c) => c,
        Err(e) => return call.reply(|r| r.error(&e)),
    };
    // A new TLS configuration is built before anything is stored: a bad
    // file changes nothing.
    let tls_changed = changes
        .iter()
        .find(|(i, _)| crate::tls::PARAMS.contains(&PARAMS[*i].name));
    let mut new_tls = None;
    if let Some((i, _)) = tls_changed {
        if settings.tls_port() != 0 {
            let get = |name: &str| {
                let at = params::index_of(name);
                match changes.iter().rfind(|(j, _)| Some(*j) == at) {
                    Some((_, v)) => v.clone(),
                    None => settings.by_name(name).unwrap_or_default(),
                }
            };
            match crate::tls::build(get) {
                Ok(c) => new_tls = Some(c),
                Err(e) => {
                    let name = PARAMS[*i].name;
                    tracing::warn!("CONFIG SET {name}: {e}");
                    let msg = format!("ERR CONFIG SET failed (possibly related to argument '{name}') - Unable to update TLS configuration: {e}");
                    return call.reply(|r| r.error(&msg));
                }
            }
        }
    }
    // A new port is the one change that can still fail: bound first, so a
    // port in use changes nothing.
    let port = params::index_of("port");
    let new_port = changes
        .iter_mut()
        .rfind(|(i, v)| Some(*i) == port && *v != current[*i]);
    if let Some((_, v)) = new_port {
        match move_port(shared, v.parse().unwrap_or(0)) {
            Ok(bound) => {
                *v = bound.to_string();
                shared.port.store(u64::from(bound), Ordering::Relaxed);
            }
            Err(e) => return call.reply(|r| r.error(&e)),
        }
    }
    let number = settings.store(&changes).to_string();
    if let Some(c) = new_tls {
        shared.tls.set(c);
    }
    // `requirepass` is the default user's password (`crate::acl`).
    let requirepass = params::index_of("requirepass");
    if let Some((_, v)) = changes.iter().rfind(|(i, _)| Some(*i) == requirepass) {
        shared.acl.set_requirepass(v);
    }
    // The shards hear of what changed for them, under primary names.
    let epoch = shared.epoch.to_string();
    let nshards = shared.shard_count();
    let mut owned: Vec<(&str, String)> = Vec::new();
    for (i, v) in &changes {
        let p = &PARAMS[*i];
        let for_shards = matches!(p.applies, Applies::Shards | Applies::ProxyAndShards);
        if for_shards && *v != current[*i] {
            owned.push((p.name, params::shard_value(p.name, v, nshards)));
        }
    }
    let mut args: Vec<&[u8]> = vec![b"SHARDD.CONFIG", epoch.as_bytes(), number.as_bytes()];
    for (name, v) in &owned {
        args.push(name.as_bytes());
        args.push(v.as_bytes());
    }
    if args.len() == 3 {
        return call.reply(|r| r.ok());
    }
    let req = Req::internal(Cmd::SharddConfig, call.session.proto);
    to_all(call.w, req, call.to, &args, MergeKind::AllOk, None).await;
}

/// `CONFIG REWRITE`: the start-up config file with the values in force.
fn rewrite(call: Call) {
    let shared = &call.w.shared;
    let Some(path) = &shared.cfg.config_file else {
        return call.reply(|r| r.error("ERR The server is running without a config file"));
    };
    let users = match crate::acl::aclfile(&shared.settings) {
        Some(_) => None,
        None => Some(
            shared
                .acl
                .users()
                .iter()
                .map(|u| format!("{} {}", String::from_utf8_lossy(&u.name), u.describe()))
                .collect(),
        ),
    };
    let params = shared.settings.all();
    let values = params::rewrite::Values {
        params: &params,
        users,
    };
    let done = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|old| {
            params::rewrite::rewrite(&old, &values)
                .map_err(|name| format!("the value of '{name}' cannot be written to a file"))
        })
        .and_then(|text| replace_file(path, &text).map_err(|e| e.to_string()));
    match done {
        Ok(()) => {
            tracing::info!(file = %path.display(), "CONFIG REWRITE executed with success");
            call.reply(|r| r.ok())
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), "CONFIG REWRITE failed: {e}");
            call.reply(|r| r.error(&format!("ERR Rewriting config file: {e}")))
        }
    }
}

/// Writes `text` to a temporary file beside `path`, syncs it and renames
/// it over `path`, so a crash leaves the old file or the new one whole.
fn replace_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("rewrite-{}.tmp", std::process::id()));
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(text.as_bytes())?;
        f.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Vec<(String, String)>, String> {
        let argv: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        let current: Vec<String> = PARAMS.iter().map(|p| p.default.to_string()).collect();
        check(&argv, &current).map(|c| {
            c.into_iter()
                .map(|(i, v)| (PARAMS[i].name.to_string(), v))
                .collect()
        })
    }

    fn set(args: &[&str]) -> Result<Vec<(String, String)>, String> {
        let mut all = vec!["CONFIG", "SET"];
        all.extend_from_slice(args);
        run(&all)
    }

    #[test]
    fn every_value_is_checked_before_anything_is_stored() {
        assert_eq!(
            set(&["maxmemory", "10000001", "maxmemory-clients", "200%", "client-query-buffer-limit", "x"]),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100".into())
        );
        assert_eq!(
            set(&["timeout", "5", "MaxClients", "12"]),
            Ok(vec![
                ("timeout".into(), "5".into()),
                ("maxclients".into(), "12".into())
            ])
        );
    }

    #[test]
    fn names_are_checked_first_and_the_first_problem_wins() {
        assert_eq!(
            set(&["timeout", "x", "nosuch", "1"]),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'".into())
        );
        assert_eq!(
            set(&["DAEMONIZE", "yes", "nosuch", "1"]),
            Err("ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config".into())
        );
        assert_eq!(
            set(&["dir", "/tmp"]),
            Err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config".into())
        );
        assert_eq!(
            set(&["maxmemory", "1", "maxmemory", "2"]),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter".into())
        );
        assert_eq!(
            set(&["timeout", "1", "maxclients"]),
            Err("ERR syntax error".into())
        );
    }

    #[test]
    fn a_name_and_its_alias_are_two_entries_and_the_last_wins() {
        assert_eq!(
            set(&[
                "hash-max-ziplist-entries",
                "5",
                "hash-max-listpack-entries",
                "6"
            ]),
            Ok(vec![
                ("hash-max-listpack-entries".into(), "5".into()),
                ("hash-max-listpack-entries".into(), "6".into())
            ])
        );
        assert_eq!(
            set(&["Hash-Max-Ziplist-Entries", "x"]),
            Err("ERR CONFIG SET failed (possibly related to argument 'hash-max-ziplist-entries') - argument couldn't be parsed into an integer".into())
        );
    }

    #[test]
    fn what_shardis_fixes_accepts_only_its_value() {
        assert_eq!(
            set(&["stop-writes-on-bgsave-error", "no"]).map(|c| c.len()),
            Ok(1)
        );
        assert!(set(&["stop-writes-on-bgsave-error", "yes"]).is_err_and(
            |e| e.contains("'stop-writes-on-bgsave-error') - shardis does not support")
        ));
        assert_eq!(
            set(&["notify-keyspace-events", "KA"]),
            Ok(vec![("notify-keyspace-events".into(), "AK".into())])
        );
        assert!(set(&["notify-keyspace-events", "KEq"])
            .is_err_and(|e| e.ends_with("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")));
        assert!(set(&["databases", "1"]).is_err_and(|e| e.ends_with("can't set immutable config")));
    }

    #[test]
    fn get_patterns_match_names_and_aliases_but_not_hidden_ones() {
        let hidden: Vec<&str> = names()
            .map(|n| n.name)
            .filter(|n| *n == "key-load-delay")
            .collect();
        assert!(hidden.is_empty());
        let matched: Vec<&str> = names()
            .filter(|n| matches_nocase(b"hash-max-*", n.name.as_bytes()))
            .map(|n| n.name)
            .collect();
        assert_eq!(
            matched,
            [
                "hash-max-listpack-entries",
                "hash-max-ziplist-entries",
                "hash-max-listpack-value",
                "hash-max-ziplist-value"
            ]
        );
    }
}
