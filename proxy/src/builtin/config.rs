//! `CONFIG GET|SET|RESETSTAT|HELP`.
//!
//! `CONFIG SET` stores any setting Redis knows and `CONFIG GET` returns
//! it; the ones shardis reads at start (port, bind, dir, shards, ...)
//! report the running value and are changed by restarting with a new flag
//! or file (documented in the README). `requirepass` applies at once to
//! new connections and AUTH. `appendfsync` is also sent to every shard
//! (`SHARDD.APPENDFSYNC`), which switches its policy at once.

use std::sync::atomic::Ordering;

use common::{glob::matches_nocase, table::Cmd};

use super::{eq, help, Call, ConfigCmd};
use crate::{link::Req, merge::MergeKind, send::to_all};

const HELP: &[&str] = &[
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "HELP",
    "    Prints this help.",
];

/// Runs `CONFIG sub`.
pub async fn run(sub: ConfigCmd, call: Call<'_, '_>) {
    match sub {
        ConfigCmd::Get => get(call),
        ConfigCmd::Set => set(call).await,
        ConfigCmd::Resetstat => {
            let s = &call.w.shared.stats;
            s.commands.store(0, Ordering::Relaxed);
            s.connections.store(0, Ordering::Relaxed);
            s.rejected.store(0, Ordering::Relaxed);
            call.reply(|r| r.ok());
        }
        ConfigCmd::Help => call.reply(|r| help(r, HELP)),
    }
}

/// The running value of a setting shardis reads, if it is one.
fn builtin(call: &Call, name: &str) -> Option<String> {
    let shared = &call.w.shared;
    let c = &shared.cfg;
    Some(match name {
        "port" => shared.port.load(Ordering::Relaxed).to_string(),
        "bind" => c.bind.clone(),
        "dir" => c.dir.display().to_string(),
        "requirepass" => shared.requirepass().unwrap_or_default(),
        "maxclients" => c.maxclients.to_string(),
        "timeout" => c.timeout_secs.to_string(),
        "databases" => "1".into(),
        "proto-max-bulk-len" => c.proto_max_bulk_len_bytes.to_string(),
        "client-query-buffer-limit" => c.client_query_buffer_limit_bytes.to_string(),
        "maxmemory" => "0".into(),
        "maxmemory-policy" => "noeviction".into(),
        "appendonly" => c.appendonly_name().into(),
        "appendfsync" => c.appendfsync.name().into(),
        "save" => String::new(),
        "shards" => c.shards.to_string(),
        "workers" => c.workers.to_string(),
        _ => return None,
    })
}

const BUILTIN_NAMES: &[&str] = &[
    "port",
    "bind",
    "dir",
    "requirepass",
    "maxclients",
    "timeout",
    "databases",
    "proto-max-bulk-len",
    "client-query-buffer-limit",
    "maxmemory",
    "maxmemory-policy",
    "appendonly",
    "appendfsync",
    "save",
    "shards",
    "workers",
];

fn get(call: Call) {
    let extra = call
        .w
        .shared
        .extra_config
        .lock()
        .map(|m| m.clone())
        .unwrap_or_default();
    let mut pairs: Vec<(String, String)> = Vec::new();
    for pat in &call.argv[2..] {
        for name in BUILTIN_NAMES {
            if matches_nocase(pat, name.as_bytes()) && !pairs.iter().any(|(n, _)| n == name) {
                let v = extra.get(*name).cloned().or_else(|| builtin(&call, name));
                pairs.push((name.to_string(), v.unwrap_or_default()));
            }
        }
        for (name, v) in &extra {
            if matches_nocase(pat, name.as_bytes()) && !pairs.iter().any(|(n, _)| n == name) {
                pairs.push((name.clone(), v.clone()));
            }
        }
    }
    call.reply(|r| {
        r.map(pairs.len());
        for (n, v) in pairs {
            r.bulk(n.as_bytes());
            r.bulk(v.as_bytes());
        }
    });
}

/// For `CONFIG SET ... appendfsync <policy> ...`: the policy to send to
/// every shard, or Redis's error for a value it does not know; `None` when
/// appendfsync is not among the settings.
fn appendfsync_to_set(argv: &[&[u8]]) -> Option<Result<&'static str, String>> {
    let value = argv[2..].chunks(2).find(|p| eq(p[0], "appendfsync"))?[1];
    Some(
        ["always", "everysec", "no"]
            .into_iter()
            .find(|p| eq(value, p))
            .ok_or_else(|| {
                "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: always, everysec, no".to_string()
            }),
    )
}

async fn set(call: Call<'_, '_>) {
    let argv = call.argv;
    if !argv.len().is_multiple_of(2) {
        return call.reply(|r| r.error("ERR wrong number of arguments for 'config|set' command"));
    }
    let policy = match appendfsync_to_set(argv) {
        Some(Err(e)) => return call.reply(|r| r.error(&e)),
        Some(Ok(p)) => Some(p),
        None => None,
    };
    if let Ok(mut m) = call.w.shared.extra_config.lock() {
        for pair in argv[2..].chunks(2) {
            let name = String::from_utf8_lossy(pair[0]).to_ascii_lowercase();
            let value = String::from_utf8_lossy(pair[1]).into_owned();
            if name == "requirepass" {
                call.w.shared.set_requirepass(Some(value.clone()));
            }
            let value = match (name.as_str(), policy) {
                ("appendfsync", Some(p)) => p.to_string(),
                _ => value,
            };
            m.insert(name, value);
        }
    }
    match policy {
        // Sent to every shard, whose merged answer is the reply.
        Some(policy) => {
            let req = Req::internal(Cmd::SharddAppendfsync, call.session.proto);
            let args: [&[u8]; 2] = [b"SHARDD.APPENDFSYNC", policy.as_bytes()];
            to_all(call.w, req, call.to, &args, MergeKind::AllOk).await;
        }
        None => call.reply(|r| r.ok()),
    }
}
