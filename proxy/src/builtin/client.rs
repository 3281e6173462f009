//! `CLIENT ...`: this connection's name, library and reply mode, and every
//! connection of every worker through the process-wide registry (`LIST`,
//! `KILL`).

use std::sync::atomic::Ordering;

use super::{eq, help, Call, ClientCmd};
use crate::{session::ReplyMode, state::ClientHandle};

const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Set the library name or version of the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
];

/// Redis's rule for client names (and library names and versions): no
/// spaces, newlines or other special characters.
pub fn check_name(name: &[u8]) -> Result<(), &'static str> {
    if name.iter().any(|&b| !(b'!'..=b'~').contains(&b)) {
        Err("ERR Client names cannot contain spaces, newlines or special characters.")
    } else {
        Ok(())
    }
}

/// Runs `CLIENT sub`.
pub fn run(sub: ClientCmd, call: Call) {
    let argv = call.argv;
    match sub {
        ClientCmd::Id => {
            let id = call.session.handle.id;
            call.reply(|r| r.int(id as i64));
        }
        ClientCmd::Setname => {
            let name = argv[2];
            if let Err(e) = check_name(name) {
                return call.reply(|r| r.error(e));
            }
            if let Ok(mut i) = call.session.handle.info.lock() {
                i.name = name.to_vec();
            }
            call.reply(|r| r.ok());
        }
        ClientCmd::Getname => {
            let name = call
                .session
                .handle
                .info
                .lock()
                .map(|i| i.name.clone())
                .unwrap_or_default();
            call.reply(|r| match name.is_empty() {
                true => r.null(),
                false => r.bulk(&name),
            });
        }
        ClientCmd::Setinfo => setinfo(call),
        ClientCmd::Info => {
            let line = client_line(&call.session.handle);
            call.reply(|r| r.verbatim(line.as_bytes()));
        }
        ClientCmd::List => {
            let mut all: Vec<_> = call.w.shared.clients().values().cloned().collect();
            all.sort_by_key(|c| c.id);
            let text: String = all.iter().map(|c| client_line(c)).collect();
            call.reply(|r| r.verbatim(text.as_bytes()));
        }
        ClientCmd::Kill => kill(call),
        ClientCmd::NoEvict => call.reply(|r| match argv[2] {
            v if eq(v, "on") || eq(v, "off") => r.ok(),
            _ => r.error("ERR syntax error"),
        }),
        ClientCmd::Reply => reply_mode(call),
        ClientCmd::Help => call.reply(|r| help(r, HELP)),
    }
}

/// `CLIENT REPLY ON|OFF|SKIP`: `ON` answers even when replies were off,
/// as in Redis; `OFF` and `SKIP` do not answer.
fn reply_mode(call: Call) {
    let v = call.argv[2];
    if eq(v, "on") {
        call.session.reply = ReplyMode::On;
        call.to.out.borrow_mut().push_ready(b"+OK\r\n", false);
    } else if eq(v, "off") {
        call.session.reply = ReplyMode::Off;
    } else if eq(v, "skip") {
        call.session.reply = ReplyMode::Skip;
    } else {
        call.reply(|r| r.error("ERR syntax error"));
    }
}

fn setinfo(call: Call) {
    let (attr, val) = (call.argv[2], call.argv[3]);
    if val.iter().any(|b| !(b'!'..=b'~').contains(b)) {
        let a = String::from_utf8_lossy(attr).into_owned();
        return call.reply(|r| {
            r.error(&format!(
                "ERR {a} cannot contain spaces, newlines or special characters."
            ))
        });
    }
    let Ok(mut info) = call.session.handle.info.lock() else {
        return call.reply(|r| r.ok());
    };
    if eq(attr, "lib-name") {
        info.lib_name = val.to_vec();
    } else if eq(attr, "lib-ver") {
        info.lib_ver = val.to_vec();
    } else {
        drop(info);
        let a = String::from_utf8_lossy(attr).into_owned();
        return call.reply(|r| r.error(&format!("ERR Unrecognized option '{a}'")));
    }
    drop(info);
    call.reply(|r| r.ok());
}

fn client_line(c: &ClientHandle) -> String {
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

fn kill(call: Call) {
    let (argv, shared) = (call.argv, &call.w.shared);
    if argv.len() == 3 {
        // Old form: CLIENT KILL addr:port.
        let addr = String::from_utf8_lossy(argv[2]);
        let found = shared
            .clients()
            .values()
            .find(|c| c.addr.to_string() == addr)
            .cloned();
        return match found {
            Some(c) => {
                kill_one(&c);
                call.reply(|r| r.ok());
            }
            None => call.reply(|r| r.error("ERR No such client")),
        };
    }
    let mut filters: Vec<(String, String)> = Vec::new();
    let mut skipme = true;
    for pair in argv[2..].chunks(2) {
        let [k, v] = pair else {
            return call.reply(|r| r.error("ERR syntax error"));
        };
        let k = String::from_utf8_lossy(k).to_ascii_lowercase();
        let v = String::from_utf8_lossy(v).into_owned();
        match k.as_str() {
            "skipme" => skipme = v.eq_ignore_ascii_case("yes"),
            "id" | "addr" | "laddr" | "user" | "type" | "maxage" => filters.push((k, v)),
            _ => return call.reply(|r| r.error("ERR syntax error")),
        }
    }
    let me = call.session.handle.id;
    let victims: Vec<_> = shared
        .clients()
        .values()
        .filter(|c| !(skipme && c.id == me))
        .filter(|c| filters.iter().all(|(k, v)| matches_filter(c, k, v)))
        .cloned()
        .collect();
    for c in &victims {
        kill_one(c);
    }
    call.reply(|r| r.int(victims.len() as i64));
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
