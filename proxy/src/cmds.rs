//! Commands the proxy answers itself: the connection's state (HELLO, AUTH,
//! SELECT, CLIENT, RESET, QUIT), the server's (CONFIG, COMMAND, TIME,
//! INFO, SHUTDOWN) and the few that need no data (PING, ECHO, WAIT).
//!
//! Decisions: there is one database, so `SELECT 0` succeeds and any other
//! index gets "ERR DB index is out of range"; WAIT answers 0 (no
//! replicas); FUNCTION FLUSH and SCRIPT FLUSH succeed (nothing is stored
//! until scripting exists); MULTI/EXEC and the blocking and pub/sub
//! commands are refused with a clear error until they are implemented.

use std::{cell::RefCell, rc::Rc, sync::atomic::Ordering, time::Duration};

use common::{
    reply::{Proto, Reply},
    table::{self, CommandSpec},
};

use crate::{
    conn::{ConnOut, ConnState},
    dispatch::send,
    link::Target,
    merge::info::ProxyFigures,
    merge::{Merge, MergeKind},
    worker::Worker,
};

/// The Redis version shardis reports (the command set it follows).
pub const REDIS_VERSION: &str = "7.2.0";

fn eq(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

fn proto_of(st: &ConnState) -> Proto {
    if st.proto == 3 {
        Proto::Resp3
    } else {
        Proto::Resp2
    }
}

/// Runs a connection command.
pub async fn handle(
    w: &Rc<Worker>,
    st: &mut ConnState,
    out: &Rc<RefCell<ConnOut>>,
    spec: &CommandSpec,
    argv: &[&[u8]],
    discard: bool,
) {
    let mut buf = Vec::new();
    let mut r = Reply::new(&mut buf, proto_of(st));
    let base = spec.name.split('|').next().unwrap_or(spec.name);
    match base {
        "ping" => match argv.get(1) {
            None => r.simple("PONG"),
            Some(m) => r.bulk(m),
        },
        "echo" => r.bulk(argv.get(1).copied().unwrap_or(b"")),
        // OBJECT HELP has no key; the shards have OBJECT's text.
        "object" => return crate::dispatch::send_whole(w, st, out, 0, argv, discard).await,
        "quit" => {
            r.ok();
            st.close = true;
        }
        "reset" => {
            st.proto = 2;
            st.reply_mode = 0;
            st.authed = w.shared.cfg.requirepass.is_none();
            if let Ok(mut i) = st.handle.info.lock() {
                i.name.clear();
                i.resp = 2;
            }
            let mut r = Reply::new(&mut buf, Proto::Resp2);
            r.simple("RESET");
        }
        "select" => select(argv, &mut r),
        "auth" => auth(w, st, argv, &mut r),
        "hello" => hello(w, st, argv, &mut buf),
        "client" => crate::client_cmd::client(w, st, argv, &mut r),
        "config" => match crate::client_cmd::appendfsync_to_set(argv) {
            Some(Ok(policy)) => {
                // Stored for CONFIG GET, then sent to every shard, whose
                // merged answer is the reply.
                crate::client_cmd::config(w, argv, &mut Reply::new(&mut Vec::new(), Proto::Resp2));
                if let Ok(mut m) = w.shared.extra_config.lock() {
                    m.insert("appendfsync".into(), policy.into());
                }
                let args: [&[u8]; 2] = [b"SHARDD.APPENDFSYNC", policy.as_bytes()];
                crate::dispatch::to_all(w, st, out, &args, MergeKind::AllOk, discard).await;
                return;
            }
            Some(Err(e)) => r.error(&e),
            None => crate::client_cmd::config(w, argv, &mut r),
        },
        "command" => table::command::reply(argv, proto_of(st), &mut buf),
        "time" => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            r.array(2);
            r.bulk(now.as_secs().to_string().as_bytes());
            r.bulk(now.subsec_micros().to_string().as_bytes());
        }
        "wait" => r.int(0),
        "function" | "script" => flush_or_refuse(argv, &mut r),
        "debug" => {
            if argv.get(1).is_some_and(|a| eq(a, "sleep")) {
                let secs = argv
                    .get(2)
                    .and_then(|s| std::str::from_utf8(s).ok())
                    .and_then(|s| s.parse::<f64>().ok())
                    .filter(|s| s.is_finite() && *s >= 0.0);
                match secs {
                    Some(s) => {
                        tokio::time::sleep(Duration::from_secs_f64(s.min(3600.0))).await;
                        r.ok();
                    }
                    None => r.error("ERR value is not a valid float"),
                }
            } else {
                r.error("ERR DEBUG subcommand not supported by shardis");
            }
        }
        "shutdown" => {
            w.shared.shutdown.notify_one();
            r.ok();
            st.close = true;
        }
        _ => {
            let name = String::from_utf8_lossy(argv.first().copied().unwrap_or(b"")).to_uppercase();
            r.error(&format!("ERR {name} is not supported by shardis yet"));
        }
    }
    // `CLIENT REPLY ON` answers even when replies were off, as in Redis.
    let reply_on = base == "client"
        && argv.get(1).is_some_and(|a| eq(a, "reply"))
        && argv.get(2).is_some_and(|a| eq(a, "on"));
    out.borrow_mut().push_ready(&buf, discard && !reply_on);
}

fn select(argv: &[&[u8]], r: &mut Reply) {
    match argv.get(1).and_then(|a| common::num::parse_i64(a)) {
        Some(0) => r.ok(),
        Some(_) => r.error("ERR DB index is out of range"),
        None => r.error("ERR value is not an integer or out of range"),
    }
}

fn flush_or_refuse(argv: &[&[u8]], r: &mut Reply) {
    if argv.get(1).is_some_and(|a| eq(a, "flush")) {
        r.ok();
    } else {
        let name = String::from_utf8_lossy(argv.first().copied().unwrap_or(b"")).to_uppercase();
        r.error(&format!("ERR {name} is not supported by shardis yet"));
    }
}

/// Checks a password; true if accepted.
fn check_password(w: &Worker, user: Option<&[u8]>, pass: &[u8], r: &mut Reply) -> bool {
    let Some(want) = &w.shared.cfg.requirepass else {
        r.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?");
        return false;
    };
    let user_ok = user.is_none_or(|u| u == b"default");
    if user_ok && pass == want.as_bytes() {
        true
    } else {
        r.error("WRONGPASS invalid username-password pair or user is disabled.");
        false
    }
}

fn auth(w: &Worker, st: &mut ConnState, argv: &[&[u8]], r: &mut Reply) {
    let (user, pass) = match argv.len() {
        2 => (None, argv[1]),
        3 => (Some(argv[1]), argv[2]),
        _ => {
            r.error("ERR syntax error");
            return;
        }
    };
    if check_password(w, user, pass, r) {
        st.authed = true;
        r.ok();
    }
}

fn hello(w: &Worker, st: &mut ConnState, argv: &[&[u8]], buf: &mut Vec<u8>) {
    let mut proto = st.proto;
    let mut i = 1;
    if let Some(v) = argv.get(1) {
        match common::num::parse_i64(v) {
            Some(p @ 2..=3) => proto = p as u8,
            Some(_) => {
                Reply::new(buf, proto_of(st)).error("NOPROTO unsupported protocol version");
                return;
            }
            None => {
                Reply::new(buf, proto_of(st))
                    .error("ERR Protocol version is not an integer or out of range");
                return;
            }
        }
        i = 2;
    }
    let mut name = None;
    while i < argv.len() {
        if eq(argv[i], "auth") && i + 2 < argv.len() {
            let mut r = Reply::new(buf, proto_of(st));
            if !check_password(w, Some(argv[i + 1]), argv[i + 2], &mut r) {
                return;
            }
            st.authed = true;
            i += 3;
        } else if eq(argv[i], "setname") && i + 1 < argv.len() {
            name = Some(argv[i + 1]);
            i += 2;
        } else {
            let opt = String::from_utf8_lossy(argv[i]);
            Reply::new(buf, proto_of(st))
                .error(&format!("ERR Syntax error in HELLO option '{opt}'"));
            return;
        }
    }
    if !st.authed {
        Reply::new(buf, proto_of(st)).error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time");
        return;
    }
    st.proto = proto;
    if let Ok(mut info) = st.handle.info.lock() {
        info.resp = proto;
        if let Some(n) = name {
            info.name = n.to_vec();
        }
    }
    let mut r = Reply::new(buf, proto_of(st));
    r.map(7);
    r.bulk(b"server");
    r.bulk(b"redis");
    r.bulk(b"version");
    r.bulk(REDIS_VERSION.as_bytes());
    r.bulk(b"proto");
    r.int(proto as i64);
    r.bulk(b"id");
    r.int(st.handle.id as i64);
    r.bulk(b"mode");
    r.bulk(b"standalone");
    r.bulk(b"role");
    r.bulk(b"master");
    r.bulk(b"modules");
    r.array(0);
}

/// `INFO [section ...]`: the proxy's sections, then the shards' (from
/// `SHARDD.INFO`: persistence, keyspace, keys per shard), merged.
pub async fn info(
    w: &Rc<Worker>,
    st: &mut ConnState,
    out: &Rc<RefCell<ConnOut>>,
    argv: &[&[u8]],
    discard: bool,
) {
    let (head, proxy) = info_head(w);
    let sections = argv[1..]
        .iter()
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .collect();
    let n = w.shared.shard_count();
    let kind = MergeKind::Info {
        head,
        proxy,
        sections,
    };
    let seq = out
        .borrow_mut()
        .push_merge(Merge::new(kind, n, proto_of(st)), discard);
    for shard in 0..n {
        let target = Target {
            conn: out.clone(),
            seq,
            part: Some(shard as u16),
        };
        send(w, (st.proto, 0), shard, &[&b"SHARDD.INFO"[..]], target).await;
    }
}

fn info_head(w: &Worker) -> (String, ProxyFigures) {
    let s = &w.shared;
    let uptime = s.started.elapsed().as_secs();
    let clients = s.clients().len();
    let (allocated, _) = common::alloc::jemalloc_stats().unwrap_or((0, 0));
    let head = format!(
        "# Server\r\nredis_version:{REDIS_VERSION}\r\nredis_mode:standalone\r\nshardis_version:{}\r\nos:{}\r\narch_bits:64\r\nprocess_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{uptime}\r\nuptime_in_days:{}\r\n\r\n\
         # Clients\r\nconnected_clients:{clients}\r\nmaxclients:{}\r\n\r\n",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::process::id(),
        s.port.load(Ordering::Relaxed),
        uptime / 86_400,
        s.cfg.maxclients,
    );
    let figures = ProxyFigures {
        used_memory: allocated,
        rss: rss_bytes(),
        allocations: common::alloc::allocations(),
        connections: s.stats.connections.load(Ordering::Relaxed),
        commands: s.stats.commands.load(Ordering::Relaxed),
        rejected: s.stats.rejected.load(Ordering::Relaxed),
    };
    (head, figures)
}

/// Resident memory of this process, from /proc (0 if unknown).
pub fn rss_bytes() -> u64 {
    common::alloc::rss_bytes()
}
