//! `CLIENT ...` and `CONFIG ...`.
//!
//! `CLIENT LIST` and `CLIENT KILL` see every connection of every worker
//! through the process-wide registry. `CONFIG SET` stores any setting
//! Redis knows and `CONFIG GET` returns it; the ones shardis reads at start
//! (port, bind, dir, shards, ...) report the running value and are changed
//! by restarting with a new flag or file (documented in the README).
//! `CONFIG SET appendfsync` is the exception: it is also sent to every
//! shard (`SHARDD.APPENDFSYNC`), which switches its policy at once.

use std::sync::atomic::Ordering;

use common::reply::Reply;

use common::glob::matches_nocase as glob_match;

use crate::{conn::ConnState, server::ClientHandle, worker::Worker};

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

/// `CLIENT subcommand ...`.
pub fn client(w: &Worker, st: &mut ConnState, argv: &[&[u8]], r: &mut Reply) {
    let sub = argv.get(1).copied().unwrap_or(b"");
    let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
    match lower.as_str() {
        "id" => r.int(st.handle.id as i64),
        "setname" => {
            let name = argv.get(2).copied().unwrap_or(b"");
            if name.iter().any(|&b| b <= b' ' || b > b'~') {
                r.error("ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
            if let Ok(mut i) = st.handle.info.lock() {
                i.name = name.to_vec();
            }
            r.ok();
        }
        "getname" => {
            let name = st
                .handle
                .info
                .lock()
                .map(|i| i.name.clone())
                .unwrap_or_default();
            if name.is_empty() {
                r.null();
            } else {
                r.bulk(&name);
            }
        }
        "setinfo" => setinfo(st, argv, r),
        "info" => r.verbatim(client_line(w, &st.handle).as_bytes()),
        "list" => {
            let mut all: Vec<_> = w.shared.clients().values().cloned().collect();
            all.sort_by_key(|c| c.id);
            let text: String = all.iter().map(|c| client_line(w, c)).collect();
            r.verbatim(text.as_bytes());
        }
        "kill" => kill(w, st, argv, r),
        "no-evict" | "no-touch" => match argv.get(2) {
            Some(v) if eq(v, "on") || eq(v, "off") => r.ok(),
            _ => r.error("ERR syntax error"),
        },
        "reply" => match argv.get(2) {
            Some(v) if eq(v, "on") => {
                st.reply_mode = 0;
                r.ok();
            }
            Some(v) if eq(v, "off") => st.reply_mode = 1,
            Some(v) if eq(v, "skip") => st.reply_mode = 2,
            _ => r.error("ERR syntax error"),
        },
        _ => {
            let s = String::from_utf8_lossy(sub);
            r.error(&format!("ERR unknown subcommand '{s}'. Try CLIENT HELP."));
        }
    }
}

fn setinfo(st: &ConnState, argv: &[&[u8]], r: &mut Reply) {
    let (Some(attr), Some(val)) = (argv.get(2), argv.get(3)) else {
        r.error("ERR wrong number of arguments for 'client|setinfo' command");
        return;
    };
    if val.iter().any(|b| !(b'!'..=b'~').contains(b)) {
        r.error("ERR lib-name cannot contain spaces, newlines or special characters.");
        return;
    }
    let Ok(mut info) = st.handle.info.lock() else {
        r.ok();
        return;
    };
    if eq(attr, "lib-name") {
        info.lib_name = val.to_vec();
    } else if eq(attr, "lib-ver") {
        info.lib_ver = val.to_vec();
    } else {
        let a = String::from_utf8_lossy(attr);
        r.error(&format!("ERR Unrecognized option '{a}'"));
        return;
    }
    r.ok();
}

fn client_line(_w: &Worker, c: &ClientHandle) -> String {
    let info = c.info.lock().map(|i| i.clone()).unwrap_or_default();
    let idle = info.last_active.map_or(0, |t| t.elapsed().as_secs());
    format!(
        "id={} addr={} laddr={} fd=0 name={} age={} idle={idle} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}\n",
        c.id,
        c.addr,
        c.laddr,
        String::from_utf8_lossy(&info.name),
        c.created.elapsed().as_secs(),
        if info.last_cmd.is_empty() { "NULL" } else { &info.last_cmd },
        info.resp,
        String::from_utf8_lossy(&info.lib_name),
        String::from_utf8_lossy(&info.lib_ver),
    )
}

fn kill(w: &Worker, st: &ConnState, argv: &[&[u8]], r: &mut Reply) {
    if argv.len() == 3 {
        // Old form: CLIENT KILL addr:port.
        let addr = String::from_utf8_lossy(argv[2]);
        let found = w
            .shared
            .clients()
            .values()
            .find(|c| c.addr.to_string() == addr)
            .cloned();
        match found {
            Some(c) => {
                kill_one(&c);
                r.ok();
            }
            None => r.error("ERR No such client"),
        }
        return;
    }
    let mut filters: Vec<(String, String)> = Vec::new();
    let mut skipme = true;
    for pair in argv[2..].chunks(2) {
        let [k, v] = pair else {
            r.error("ERR syntax error");
            return;
        };
        let k = String::from_utf8_lossy(k).to_ascii_lowercase();
        let v = String::from_utf8_lossy(v).into_owned();
        match k.as_str() {
            "skipme" => skipme = v.eq_ignore_ascii_case("yes"),
            "id" | "addr" | "laddr" | "user" | "type" | "maxage" => filters.push((k, v)),
            _ => {
                r.error("ERR syntax error");
                return;
            }
        }
    }
    let victims: Vec<_> = w
        .shared
        .clients()
        .values()
        .filter(|c| !(skipme && c.id == st.handle.id))
        .filter(|c| filters.iter().all(|(k, v)| matches_filter(c, k, v)))
        .cloned()
        .collect();
    for c in &victims {
        kill_one(c);
    }
    r.int(victims.len() as i64);
}

fn matches_filter(c: &ClientHandle, k: &str, v: &str) -> bool {
    match k {
        "id" => v.parse::<u64>().is_ok_and(|id| id == c.id),
        "addr" => c.addr.to_string() == v,
        "laddr" => c.laddr.to_string() == v,
        "user" => v == "default",
        "type" => v.eq_ignore_ascii_case("normal"),
        "maxage" => v
            .parse::<u64>()
            .is_ok_and(|s| c.created.elapsed().as_secs() >= s),
        _ => false,
    }
}

fn kill_one(c: &ClientHandle) {
    c.killed.store(true, Ordering::Relaxed);
    c.kill.notify_one();
}

/// The running value of a setting shardis reads, if it is one.
fn builtin(w: &Worker, name: &str) -> Option<String> {
    let c = &w.shared.cfg;
    Some(match name {
        "port" => w.shared.port.load(Ordering::Relaxed).to_string(),
        "bind" => c.bind.clone(),
        "dir" => c.dir.display().to_string(),
        "requirepass" => c.requirepass.clone().unwrap_or_default(),
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

/// For `CONFIG SET ... appendfsync <policy> ...`: the policy to send to
/// every shard, or Redis's error for a value it does not know; `None` for
/// any other CONFIG command.
pub fn appendfsync_to_set(argv: &[&[u8]]) -> Option<Result<&'static str, String>> {
    if !argv.get(1).is_some_and(|s| eq(s, "set")) || argv.len() < 4 || !argv.len().is_multiple_of(2)
    {
        return None;
    }
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

/// `CONFIG GET|SET|RESETSTAT|REWRITE`.
pub fn config(w: &Worker, argv: &[&[u8]], r: &mut Reply) {
    let sub = String::from_utf8_lossy(argv.get(1).copied().unwrap_or(b"")).to_ascii_lowercase();
    match sub.as_str() {
        "get" => {
            let extra = w
                .shared
                .extra_config
                .lock()
                .map(|m| m.clone())
                .unwrap_or_default();
            let mut pairs: Vec<(String, String)> = Vec::new();
            for pat in &argv[2..] {
                let pat = pat.to_ascii_lowercase();
                for name in BUILTIN_NAMES {
                    if glob_match(&pat, name.as_bytes()) && !pairs.iter().any(|(n, _)| n == name) {
                        let v = extra.get(*name).cloned().or_else(|| builtin(w, name));
                        pairs.push((name.to_string(), v.unwrap_or_default()));
                    }
                }
                for (name, v) in &extra {
                    if glob_match(&pat, name.as_bytes()) && !pairs.iter().any(|(n, _)| n == name) {
                        pairs.push((name.clone(), v.clone()));
                    }
                }
            }
            r.map(pairs.len());
            for (n, v) in pairs {
                r.bulk(n.as_bytes());
                r.bulk(v.as_bytes());
            }
        }
        "set" => {
            if argv.len() < 4 || !argv.len().is_multiple_of(2) {
                r.error("ERR wrong number of arguments for 'config|set' command");
                return;
            }
            if let Ok(mut m) = w.shared.extra_config.lock() {
                for pair in argv[2..].chunks(2) {
                    let name = String::from_utf8_lossy(pair[0]).to_ascii_lowercase();
                    m.insert(name, String::from_utf8_lossy(pair[1]).into_owned());
                }
            }
            r.ok();
        }
        "resetstat" => {
            let s = &w.shared.stats;
            s.commands.store(0, Ordering::Relaxed);
            s.connections.store(0, Ordering::Relaxed);
            s.rejected.store(0, Ordering::Relaxed);
            r.ok();
        }
        "rewrite" => r.error("ERR The server is running without a config file"),
        _ => {
            let s = String::from_utf8_lossy(argv.get(1).copied().unwrap_or(b""));
            r.error(&format!("ERR unknown subcommand '{s}'. Try CONFIG HELP."));
        }
    }
}
