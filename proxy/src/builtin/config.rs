//! `CONFIG GET|SET|RESETSTAT|HELP`.
//!
//! `CONFIG SET` stores any setting Redis knows and `CONFIG GET` returns
//! it; the ones shardis reads at start (port, bind, dir, shards, ...)
//! report the running value and are changed by restarting with a new flag
//! or file (documented in the README). `requirepass` applies at once to
//! new connections and AUTH. `appendfsync` is also sent to every shard
//! (`SHARDD.APPENDFSYNC`), which switches its policy at once; so are the
//! slow log and latency monitor settings (`SHARDD.CONFIG`), which the
//! proxy applies too. `RESETSTAT` resets the proxy's and every shard's
//! statistics (`super::info::resetstat`).

use std::sync::atomic::Ordering;

use common::{
    glob::matches_nocase,
    table::Cmd,
    wire::{parse_shard_setting, SHARD_SETTINGS},
};

use super::{eq, help, Call, ConfigCmd};
use crate::{
    link::Req,
    merge::MergeKind,
    send::{to_all, To},
};

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
        ConfigCmd::Resetstat => super::info::resetstat(call).await,
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
        _ => return shared.intro.setting(name).map(|v| v.to_string()),
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
    "slowlog-log-slower-than",
    "slowlog-max-len",
    "latency-monitor-threshold",
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

/// For `CONFIG SET`: the settings the shards apply too
/// (`common::wire::SHARD_SETTINGS`), checked, or the first one's error.
fn shard_settings_to_set(argv: &[&[u8]]) -> Result<Vec<(&'static str, i64)>, String> {
    let mut out = Vec::new();
    for pair in argv[2..].chunks(2) {
        let name = String::from_utf8_lossy(pair[0]).to_ascii_lowercase();
        let Some(&(known, _, _)) = SHARD_SETTINGS.iter().find(|(n, _, _)| *n == name) else {
            continue;
        };
        match parse_shard_setting(known, pair[1]) {
            Ok(v) => out.push((known, v)),
            Err(e) => return Err(e.unwrap_or_default()),
        }
    }
    Ok(out)
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
    let shard_settings = match shard_settings_to_set(argv) {
        Ok(s) => s,
        Err(e) => return call.reply(|r| r.error(&e)),
    };
    if let Ok(mut m) = call.w.shared.extra_config.lock() {
        for pair in argv[2..].chunks(2) {
            let name = String::from_utf8_lossy(pair[0]).to_ascii_lowercase();
            if shard_settings.iter().any(|(n, _)| *n == name) {
                continue;
            }
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
    if !shard_settings.is_empty() {
        set_in_shards(&call, &shard_settings, policy.is_none()).await;
    }
    match policy {
        // Sent to every shard, whose merged answer is the reply.
        Some(policy) => {
            let req = Req::internal(Cmd::SharddAppendfsync, call.session.proto);
            let args: [&[u8]; 2] = [b"SHARDD.APPENDFSYNC", policy.as_bytes()];
            to_all(call.w, req, call.to, &args, MergeKind::AllOk).await;
        }
        None if shard_settings.is_empty() => call.reply(|r| r.ok()),
        None => {}
    }
}

/// Applies `settings` in the proxy and sends them to every shard
/// (`SHARDD.CONFIG`); the shards' merged answer is the reply if
/// `answers`, else it is dropped (another part of the command answers).
async fn set_in_shards(call: &Call<'_, '_>, settings: &[(&'static str, i64)], answers: bool) {
    let values: Vec<String> = settings.iter().map(|(_, v)| v.to_string()).collect();
    let mut argv: Vec<&[u8]> = vec![b"SHARDD.CONFIG"];
    for ((name, v), text) in settings.iter().zip(&values) {
        call.w.shared.intro.set_setting(name, *v);
        argv.push(name.as_bytes());
        argv.push(text.as_bytes());
    }
    let req = Req::internal(Cmd::SharddConfig, call.session.proto);
    let to = To {
        discard: call.to.discard || !answers,
        ..call.to
    };
    to_all(call.w, req, to, &argv, MergeKind::AllOk).await;
}
