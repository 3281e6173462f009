//! `CLIENT ...`: this connection's name, library and reply mode, and every
//! connection of every worker through the process-wide registry (`LIST`,
//! `INFO`, `KILL`).
//!
//! A client's line is Redis 7.0's (with Redis 7.2's `lib-name` and
//! `lib-ver` at the end), from what its connection publishes
//! ([`ClientHandle`]: the last command's id per command, its buffers per
//! read round or write); the connection running `CLIENT LIST` or `CLIENT
//! INFO` reports its own buffers as they are now.

use std::{cell::RefCell, fmt::Write as _, sync::atomic::Ordering};

use common::{num::parse_i64, table};

use super::{eq, help, Call, ClientCmd};
use crate::{
    replies::Replies,
    session::{ReplyMode, Session},
    state::{ClientHandle, UNBLOCK_ERROR, UNBLOCK_TIMEOUT},
};

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
    "    * ID <client-id>",
    "      Kill connections by client id.",
    "    * MAXAGE <maxage>",
    "      Kill connections older than the specified age.",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "    * ID <client-id> [<client-id> ...]",
    "      Return clients with the given IDs.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <LIB-NAME|LIB-VER> <value>",
    "    Set the library name or version of the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
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
            call.session.handle.info().name = name.to_vec();
            call.reply(|r| r.ok());
        }
        ClientCmd::Getname => {
            let name = call.session.handle.info().name.clone();
            call.reply(|r| match name.is_empty() {
                true => r.null(),
                false => r.bulk(&name),
            });
        }
        ClientCmd::Setinfo => setinfo(call),
        ClientCmd::Info => {
            let line = own_line(&call);
            call.reply(|r| r.verbatim(line.as_bytes()));
        }
        ClientCmd::List => list(call),
        ClientCmd::Kill => kill(call),
        ClientCmd::NoEvict => call.reply(|r| match argv[2] {
            v if eq(v, "on") || eq(v, "off") => r.ok(),
            _ => r.error("ERR syntax error"),
        }),
        ClientCmd::Reply => reply_mode(call),
        ClientCmd::Unblock => unblock(call),
        ClientCmd::Help => call.reply(|r| help(r, HELP)),
        ClientCmd::Caching => caching(call),
        ClientCmd::Getredir => {
            let redirect = call
                .session
                .tracking
                .as_ref()
                .map_or(-1, |t| t.opts.redirect as i64);
            call.reply(|r| r.int(redirect));
        }
        ClientCmd::Trackinginfo => trackinginfo(call),
    }
}

/// `CLIENT TRACKING on|off [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN]
/// [OPTOUT] [NOLOOP]` (`crate::tracking`): the mode in force from the
/// next command on; a `BCAST` client's prefixes are known to every
/// attached shard when this answers.
pub async fn tracking(call: Call<'_, '_>) {
    use crate::{
        subsync::Subject,
        tracking::{parse, Tracker},
    };
    let (w, session) = (call.w, &mut *call.session);
    let current = session.tracking.clone();
    let exists = |id: u64| w.shared.clients().contains_key(&id);
    let opts = match parse(call.argv, current.as_deref(), exists) {
        Err(e) => return call.reply(|r| r.error(&e)),
        Ok(None) => {
            tracking_off(w, session).await;
            return call.reply(|r| r.ok());
        }
        Ok(Some(o)) => o,
    };
    let id = session.handle.id;
    let mut opts = opts;
    let given = match (opts.bcast, opts.prefixes.is_empty()) {
        (false, _) => Vec::new(),
        (true, true) => vec![Vec::new()],
        (true, false) => std::mem::take(&mut opts.prefixes),
    };
    // Its prefixes so far, then the new ones (Redis adds them).
    opts.prefixes = current
        .as_ref()
        .map(|c| c.opts.prefixes.clone())
        .unwrap_or_default();
    for p in given {
        if !opts.prefixes.contains(&p) {
            w.subsync.change_of(true, Subject::Prefix, id, &p);
            opts.prefixes.push(p);
        }
    }
    let bcast = opts.bcast;
    let t = std::sync::Arc::new(Tracker {
        handle: session.handle.clone(),
        opts,
    });
    if session.subs.is_none() {
        // Its invalidations (RESP3) come through a mailbox, which its
        // connection takes up into its own reply queue when woken (this
        // may run inside EXEC, whose replies go to a capture).
        session.handle.mailbox_or_new(session.proto);
        session.handle.kill.notify_one();
    }
    w.shared.tracking.put(t.clone());
    session.tracking = Some(t);
    if bcast {
        w.subsync.settled().await;
    }
    call.reply(|r| r.ok());
}

/// The connection tracks nothing any more (`CLIENT TRACKING off`, RESET,
/// its end); its prefixes leave the shards.
pub async fn tracking_off(w: &crate::worker::Worker, session: &mut Session) {
    let Some(t) = session.tracking.take() else {
        return;
    };
    session.caching = false;
    w.shared.tracking.remove(&session.handle);
    for p in &t.opts.prefixes {
        w.subsync
            .change_of(false, crate::subsync::Subject::Prefix, t.handle.id, p);
    }
    if !t.opts.prefixes.is_empty() {
        w.subsync.settled().await;
    }
}

/// `CLIENT CACHING yes|no`: whether the next command's (or transaction's)
/// reads are remembered, in `OPTIN` and `OPTOUT` modes.
fn caching(call: Call) {
    let Some(t) = call.session.tracking.as_ref() else {
        return call.reply(|r| {
            r.error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
        });
    };
    let arg = call.argv[2];
    let refusal = if eq(arg, "yes") {
        (!t.opts.optin).then_some(
            "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
        )
    } else if eq(arg, "no") {
        (!t.opts.optout).then_some(
            "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
        )
    } else {
        Some("ERR syntax error")
    };
    match refusal {
        Some(e) => call.reply(|r| r.error(e)),
        None => {
            call.session.caching = true;
            call.reply(|r| r.ok())
        }
    }
}

/// `CLIENT TRACKINGINFO`: flags, redirect, prefixes, as Redis 7.0 shows
/// them.
fn trackinginfo(call: Call) {
    let t = call.session.tracking.clone();
    let caching = call.session.caching;
    let broken =
        call.session.handle.tracking.load(Ordering::Relaxed) & crate::tracking::BROKEN != 0;
    let mut flags: Vec<&str> = vec![if t.is_some() { "on" } else { "off" }];
    if let Some(t) = &t {
        if t.opts.bcast {
            flags.push("bcast");
        }
        if t.opts.optin {
            flags.push("optin");
            if caching {
                flags.push("caching-yes");
            }
        }
        if t.opts.optout {
            flags.push("optout");
            if caching {
                flags.push("caching-no");
            }
        }
        if t.opts.noloop {
            flags.push("noloop");
        }
        if broken {
            flags.push("broken_redirect");
        }
    }
    call.reply(|r| {
        r.map(3);
        r.bulk(b"flags");
        r.set(flags.len());
        for f in &flags {
            r.bulk(f.as_bytes());
        }
        r.bulk(b"redirect");
        r.int(t.as_ref().map_or(-1, |t| t.opts.redirect as i64));
        r.bulk(b"prefixes");
        let prefixes: &[Vec<u8>] = t.as_ref().map_or(&[], |t| &t.opts.prefixes);
        r.array(prefixes.len());
        for p in prefixes {
            r.bulk(p);
        }
    });
}

/// `CLIENT PAUSE timeout [WRITE|ALL]` (the mode first, then the timeout,
/// as Redis checks them; a timeout of 0 ends at once) and `CLIENT
/// UNPAUSE`: the pause is in force in every worker when this answers;
/// the shards are told its end (they stop expiring and evicting keys
/// until then) and waited for, a shard that cannot be reached logged.
pub async fn pause(call: Call<'_, '_>) {
    use crate::client_pause::{now_ms, Mode, SHARD_SETTING};
    let argv = call.argv;
    let shared = &call.w.shared;
    let until = if call.spec.id == table::Cmd::ClientUnpause {
        shared.client_pause.unpause();
        0
    } else {
        if argv.len() > 4 {
            return call.reply(|r| {
                r.error("ERR unknown subcommand or wrong number of arguments for 'pause'. Try CLIENT HELP.")
            });
        }
        let mode = match argv.get(3) {
            None => Mode::All,
            Some(m) if eq(m, "write") => Mode::Write,
            Some(m) if eq(m, "all") => Mode::All,
            Some(_) => {
                return call.reply(|r| r.error("ERR CLIENT PAUSE mode must be WRITE or ALL"))
            }
        };
        let ms = match parse_i64(argv[2]) {
            Some(ms) if ms < 0 => return call.reply(|r| r.error("ERR timeout is negative")),
            Some(ms) => ms.unsigned_abs(),
            None => {
                return call.reply(|r| r.error("ERR timeout is not an integer or out of range"))
            }
        };
        let end = match ms {
            0 => 0,
            ms => now_ms().saturating_add(ms),
        };
        shared.client_pause.pause(mode, end)
    };
    let epoch = shared.epoch.to_string();
    let number = shared.settings.store(&[]).to_string();
    let until = until.to_string();
    let args: Vec<Vec<u8>> = [
        &b"SHARDD.CONFIG"[..],
        epoch.as_bytes(),
        number.as_bytes(),
        SHARD_SETTING.as_bytes(),
        until.as_bytes(),
    ]
    .iter()
    .map(|a| a.to_vec())
    .collect();
    let asks: Vec<(usize, Vec<Vec<u8>>)> = (0..shared.shard_count())
        .map(|s| (s, args.clone()))
        .collect();
    for r in crate::xtx::ask_all(call.w, table::Cmd::SharddConfig, &asks).await {
        if !r.starts_with(b"+OK") {
            tracing::warn!(
                "a shard did not hear of the client pause: {}",
                String::from_utf8_lossy(&r)
            );
        }
    }
    call.reply(|r| r.ok());
}

/// Waits while a `CLIENT PAUSE` holds the command `spec` (`argv`) of
/// `session` (`crate::client_pause`): a WRITE pause holds what may write
/// or replicate, EXEC when a command it queued may; a script's or a
/// function's declared flags are read from its body (EVAL), the script
/// cache (EVALSHA) or shard 0 (FCALL).
pub async fn wait_if_paused(
    w: &std::rc::Rc<crate::worker::Worker>,
    session: &Session,
    spec: &'static table::CommandSpec,
    argv: &[&[u8]],
) {
    use crate::client_pause::Mode;
    let pause = &w.shared.client_pause;
    let writes = match pause.now() {
        None => return,
        Some(Mode::All) => true,
        Some(Mode::Write) => match (&session.multi, spec.id) {
            (Some(m), table::Cmd::Exec) => {
                let mut any = false;
                for q in &m.queued {
                    if may_write(w, session.proto, q.spec, &m.args_of(q)).await {
                        any = true;
                        break;
                    }
                }
                any
            }
            _ => may_write(w, session.proto, spec, argv).await,
        },
    };
    pause.wait(|mode| mode == Mode::All || writes).await;
}

/// Whether `spec` with `argv` may write or replicate, its script's
/// declared flags read as [`wait_if_paused`] says.
async fn may_write(
    w: &std::rc::Rc<crate::worker::Worker>,
    proto: common::reply::Proto,
    spec: &'static table::CommandSpec,
    argv: &[&[u8]],
) -> bool {
    use crate::client_pause::{body_flags, Declared};
    use table::Cmd;
    let declared = match (spec.id, argv.get(1)) {
        (Cmd::Eval, Some(body)) => body_flags(body),
        (Cmd::Evalsha, Some(sha)) => match w.shared.scripts.get(sha) {
            Some(e) => body_flags(&e.body),
            None => Declared::Nothing,
        },
        (Cmd::Fcall, Some(name)) => {
            let args = vec![
                b"SHARDD.FUNCTION".to_vec(),
                b"FLAGS".to_vec(),
                name.to_vec(),
            ];
            let req = crate::link::Req::internal(Cmd::SharddFunction, proto);
            let reply = crate::xtx::ask_each(w, req, &[(0, args)]).await;
            let flags = reply
                .first()
                .and_then(|r| r.strip_prefix(b":"))
                .and_then(|r| r.strip_suffix(b"\r\n"))
                .and_then(parse_i64);
            match flags {
                Some(f) if f >= 0 && f & 1 != 0 => Declared::NoWrites,
                Some(f) if f >= 0 => Declared::Writes,
                _ => Declared::Nothing,
            }
        }
        _ => Declared::Nothing,
    };
    crate::client_pause::may_write(spec, declared)
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: 1 if client `id` was in a
/// blocking command's wait (ended now as its timeout would, or with
/// `-UNBLOCKED`), else 0.
fn unblock(call: Call) {
    let mode = match call.argv.get(3) {
        None => UNBLOCK_TIMEOUT,
        Some(m) if eq(m, "timeout") => UNBLOCK_TIMEOUT,
        Some(m) if eq(m, "error") => UNBLOCK_ERROR,
        Some(_) => {
            return call.reply(|r| r.error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"))
        }
    };
    if call.argv.len() > 4 {
        return call.reply(|r| r.error("ERR syntax error"));
    }
    let Some(id) = common::num::parse_i64(call.argv[2]).and_then(|i| u64::try_from(i).ok()) else {
        return call.reply(|r| r.error("ERR value is not an integer or out of range"));
    };
    let done = crate::block::unblock_client(call.w, id, mode);
    call.reply(|r| r.int(i64::from(done)));
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
    if eq(attr, "lib-name") {
        call.session.handle.info().lib_name = val.to_vec();
    } else if eq(attr, "lib-ver") {
        call.session.handle.info().lib_ver = val.to_vec();
    } else {
        let a = String::from_utf8_lossy(attr).into_owned();
        return call.reply(|r| r.error(&format!("ERR Unrecognized option '{a}'")));
    }
    call.reply(|r| r.ok());
}

/// A client's buffers as `CLIENT LIST` shows them.
#[derive(Debug, Default, Clone, Copy)]
struct Buffers {
    qbuf: u64,
    qbuf_free: u64,
    argv_mem: u64,
    obl: u64,
    oll: u64,
    omem: u64,
    rbs: u64,
    rbp: u64,
}

impl Buffers {
    /// `tot-mem`: as Redis's, never 0: the buffers plus the connection's
    /// own state (its handle and session; an idle connection has dropped
    /// its buffers).
    fn total(&self) -> u64 {
        let fixed = std::mem::size_of::<ClientHandle>() + std::mem::size_of::<Session>();
        self.qbuf + self.qbuf_free + self.argv_mem + self.rbs + self.omem + fixed as u64
    }
}

/// The clients' memory for `INFO`: all of it (`mem_clients_normal`: the
/// sum of `CLIENT LIST`'s `tot-mem`), and the largest input and output
/// buffers (`client_recent_max_input_buffer`: query buffer with its
/// room; `client_recent_max_output_buffer`: replies waiting), each as its
/// connection last published them (at its last read or write; Redis
/// keeps the largest of the last few seconds).
pub fn clients_memory(shared: &crate::state::Shared) -> (u64, u64, u64) {
    let (mut total, mut input, mut output) = (0, 0, 0);
    for c in shared.clients().values() {
        let b = published(c);
        total += b.total();
        input = input.max(b.qbuf + b.qbuf_free);
        output = output.max(b.omem);
    }
    (total, input, output)
}

/// Another connection's buffers, as it last published them.
fn published(c: &ClientHandle) -> Buffers {
    let f = &c.figures;
    let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
    Buffers {
        qbuf: load(&f.qbuf),
        qbuf_free: load(&f.qbuf_free),
        argv_mem: 0,
        obl: load(&f.obl),
        oll: load(&f.oll),
        omem: load(&f.omem),
        rbs: load(&f.rbs),
        rbp: load(&f.rbp),
    }
}

/// A connection's buffers now, as it runs `argv`.
fn own_buffers(session: &Session, out: &RefCell<Replies>, argv: &[&[u8]]) -> Buffers {
    let out = out.borrow();
    let omem = out.backlog() as u64;
    Buffers {
        qbuf: session.qbuf as u64,
        qbuf_free: session.qbuf_free as u64,
        argv_mem: argv.iter().map(|a| a.len() as u64).sum(),
        obl: out.ready_bytes() as u64,
        oll: out.outstanding() as u64,
        omem,
        rbs: out.buffer_capacity() as u64,
        rbp: session.handle.figures.rbp.load(Ordering::Relaxed).max(omem),
    }
}

/// Appends client `c`'s line (Redis 7.0's fields, then 7.2's `lib-name`
/// and `lib-ver`), ending in a newline.
fn write_line(out: &mut String, c: &ClientHandle, b: &Buffers, now_ms: u64) {
    let info = c.info().clone();
    let cmd = c.last_command().map_or("NULL", |id| table::spec(id).name);
    let user = match info.user.is_empty() {
        true => "default".into(),
        false => String::from_utf8_lossy(&info.user),
    };
    let tot_mem = b.total();
    let events = if b.obl > 0 { "rw" } else { "r" };
    let _ = writeln!(
        out,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={} psub={} ssub={} multi=-1 \
         qbuf={} qbuf-free={} argv-mem={} multi-mem=0 rbs={} rbp={} obl={} oll={} omem={} tot-mem={tot_mem} \
         events={events} cmd={cmd} user={user} redir={} resp={} lib-name={} lib-ver={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(&info.name),
        c.age_ms() / 1000,
        c.idle_secs(now_ms),
        client_flags(c),
        c.db(),
        c.subs[0].load(Ordering::Relaxed),
        c.subs[1].load(Ordering::Relaxed),
        c.subs[2].load(Ordering::Relaxed),
        b.qbuf,
        b.qbuf_free,
        b.argv_mem,
        b.rbs,
        b.rbp,
        b.obl,
        b.oll,
        b.omem,
        redirect_of(c),
        c.resp(),
        String::from_utf8_lossy(&info.lib_name),
        String::from_utf8_lossy(&info.lib_ver),
    );
}

/// `CLIENT LIST`'s flags of `c`, in Redis's order: `P` subscribed, `b`
/// blocked, `t` tracking, `R` its redirection broken, `B` broadcasting;
/// `N` for none.
fn client_flags(c: &ClientHandle) -> String {
    use crate::tracking::{BCAST, BROKEN, ON};
    let subscribed = c.subs.iter().any(|n| n.load(Ordering::Relaxed) > 0);
    let tracking = c.tracking.load(Ordering::Relaxed);
    let mut f = String::new();
    for (set, letter) in [
        (subscribed, 'P'),
        (c.blocked.load(Ordering::Relaxed), 'b'),
        (tracking & ON != 0, 't'),
        (tracking & BROKEN != 0, 'R'),
        (tracking & BCAST != 0, 'B'),
    ] {
        if set {
            f.push(letter);
        }
    }
    if f.is_empty() {
        f.push('N');
    }
    f
}

/// `CLIENT LIST`'s `redir` of `c`: where its invalidations go, -1 when
/// it does not track.
fn redirect_of(c: &ClientHandle) -> i64 {
    match c.tracking.load(Ordering::Relaxed) & crate::tracking::ON {
        0 => -1,
        _ => c.redirect.load(Ordering::Relaxed) as i64,
    }
}

/// Redis's client types; shardis has only normal clients.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Other,
}

/// Redis's `getClientTypeByName`, or its error.
fn client_type(name: &[u8]) -> Result<ClientType, String> {
    match name.to_ascii_lowercase().as_slice() {
        b"normal" => Ok(ClientType::Normal),
        b"slave" | b"replica" | b"pubsub" | b"master" => Ok(ClientType::Other),
        _ => Err(format!(
            "ERR Unknown client type '{}'",
            String::from_utf8_lossy(name)
        )),
    }
}

/// `CLIENT LIST [TYPE type | ID id [id ...]]`: every client in id order,
/// those of a type, or those with the ids given, in their order.
fn list(call: Call) {
    let argv = call.argv;
    let all: Vec<_> = {
        let mut v: Vec<_> = call.w.shared.clients().values().cloned().collect();
        v.sort_by_key(|c| c.id);
        v
    };
    let chosen: Vec<_> = match argv {
        [_, _] => all,
        [_, _, k, t] if eq(k, "type") => match client_type(t) {
            Ok(ClientType::Normal) => all,
            Ok(ClientType::Other) => Vec::new(),
            Err(e) => return call.reply(|r| r.error(&e)),
        },
        [_, _, k, ids @ ..] if eq(k, "id") && !ids.is_empty() => {
            let mut chosen = Vec::with_capacity(ids.len());
            for id in ids {
                let Some(id) = parse_i64(id) else {
                    return call.reply(|r| r.error("ERR Invalid client ID"));
                };
                chosen.extend(all.iter().filter(|c| c.id as i64 == id).cloned());
            }
            chosen
        }
        _ => return call.reply(|r| r.error("ERR syntax error")),
    };
    let me = call.session.handle.id;
    let own = own_buffers(call.session, call.to.out, call.argv);
    let now = call.w.shared.now_ms();
    let mut text = String::with_capacity(chosen.len() * 320);
    for c in &chosen {
        let b = if c.id == me { own } else { published(c) };
        write_line(&mut text, c, &b, now);
    }
    call.reply(|r| r.verbatim(text.as_bytes()));
}

/// What `CLIENT KILL`'s filters ask for.
#[derive(Default)]
struct Filter {
    id: Option<u64>,
    normal: Option<bool>,
    addr: Option<String>,
    laddr: Option<String>,
    skipme: bool,
    max_age_secs: Option<u64>,
    /// `USER name`: clients logged in as that user.
    user: Option<Vec<u8>>,
}

impl Filter {
    /// Reads `CLIENT KILL`'s `option value` pairs as Redis does: an option
    /// without its value, or an unknown one, is a syntax error. `MAXAGE`
    /// is Redis 7.4's.
    fn parse(args: &[&[u8]]) -> Result<Filter, String> {
        let mut f = Filter {
            skipme: true,
            ..Filter::default()
        };
        let syntax = || "ERR syntax error".to_string();
        let mut i = 0;
        while i < args.len() {
            let (k, v) = (args[i], args.get(i + 1).copied().ok_or_else(syntax)?);
            if eq(k, "id") {
                let id = parse_i64(v).filter(|&id| id > 0);
                let id = id.ok_or("ERR client-id should be greater than 0")?;
                f.id = Some(id as u64);
            } else if eq(k, "type") {
                f.normal = Some(client_type(v)? == ClientType::Normal);
            } else if eq(k, "addr") {
                f.addr = Some(String::from_utf8_lossy(v).into_owned());
            } else if eq(k, "laddr") {
                f.laddr = Some(String::from_utf8_lossy(v).into_owned());
            } else if eq(k, "user") {
                f.user = Some(v.to_vec());
            } else if eq(k, "skipme") {
                f.skipme = match v {
                    v if eq(v, "yes") => true,
                    v if eq(v, "no") => false,
                    _ => return Err(syntax()),
                };
            } else if eq(k, "maxage") {
                let age = parse_i64(v).ok_or("ERR maxage is not an integer or out of range")?;
                if age <= 0 {
                    return Err("ERR maxage should be greater than 0".into());
                }
                f.max_age_secs = Some(age as u64);
            } else {
                return Err(syntax());
            }
            i += 2;
        }
        Ok(f)
    }

    fn matches(&self, c: &ClientHandle, me: u64) -> bool {
        !(self.skipme && c.id == me)
            && self.id.is_none_or(|id| id == c.id)
            && self.normal.unwrap_or(true)
            && self.addr.as_ref().is_none_or(|a| *a == c.addr.to_string())
            && self
                .laddr
                .as_ref()
                .is_none_or(|a| *a == c.laddr.to_string())
            && self.max_age_secs.is_none_or(|m| c.age_ms() / 1000 > m)
            && self.user.as_ref().is_none_or(|u| c.logged_in_as(u))
    }
}

/// `CLIENT KILL addr` (answers OK or `No such client`) or `CLIENT KILL
/// option value ...` (answers how many it killed). The calling connection,
/// when it is one of them, closes once this reply is written.
fn kill(call: Call) {
    let argv = call.argv;
    let me = call.session.handle.id;
    let victims: Vec<_> = if argv.len() == 3 {
        let addr = String::from_utf8_lossy(argv[2]);
        let found = call
            .w
            .shared
            .clients()
            .values()
            .find(|c| c.addr.to_string() == addr)
            .cloned();
        match found {
            Some(c) => vec![c],
            None => return call.reply(|r| r.error("ERR No such client")),
        }
    } else {
        let filter = match Filter::parse(&argv[2..]) {
            Ok(f) => f,
            Err(e) => return call.reply(|r| r.error(&e)),
        };
        if let Some(u) = &filter.user {
            if call.w.shared.acl.user(u).is_none() {
                let u = String::from_utf8_lossy(u).into_owned();
                return call.reply(|r| r.error(&format!("ERR No such user '{u}'")));
            }
        }
        let clients = call.w.shared.clients();
        clients
            .values()
            .filter(|c| filter.matches(c, me))
            .cloned()
            .collect()
    };
    let mut clients = call.w.shared.clients();
    for c in &victims {
        if c.id == me {
            call.session.close = true;
            continue;
        }
        close(&mut clients, c);
    }
    drop(clients);
    let n = victims.len() as i64;
    call.reply(|r| match argv.len() {
        3 => r.ok(),
        _ => r.int(n),
    });
}

/// Takes client `c` out of the registry and tells its connection to
/// close: gone from the registry at once, as Redis frees it at once, so
/// the next `CLIENT LIST` and `INFO clients` no longer count it.
fn close(
    clients: &mut std::collections::HashMap<u64, std::sync::Arc<ClientHandle>>,
    c: &ClientHandle,
) {
    clients.remove(&c.id);
    c.killed.store(true, Ordering::Relaxed);
    c.kill.notify_one();
}

/// Closes client `c` (another connection than the caller's).
pub fn kill_client(shared: &crate::state::Shared, c: &ClientHandle) {
    close(&mut shared.clients(), c);
}

/// The calling connection's `CLIENT INFO` line.
pub fn own_line(call: &Call) -> String {
    session_line(&call.w.shared, call.session, call.to.out, call.argv)
}

/// The `CLIENT INFO` line of a connection running `argv` (for `ACL LOG`).
pub fn session_line(
    shared: &crate::state::Shared,
    session: &Session,
    out: &RefCell<Replies>,
    argv: &[&[u8]],
) -> String {
    let mut line = String::new();
    let b = own_buffers(session, out, argv);
    write_line(&mut line, &session.handle, &b, shared.now_ms());
    line
}
