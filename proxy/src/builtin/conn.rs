//! The connection's own commands: PING, QUIT, RESET, SELECT, AUTH, HELLO.

use common::{num::parse_i64, reply::Proto, table::REDIS_VERSION};

use super::{eq, Call};
use crate::session::Session;

/// `PING [message]`: Redis checks for more in the command itself.
pub fn ping(call: Call) {
    if call.session.subscribed() && call.session.proto == Proto::Resp2 {
        // In subscribed mode PING answers as a message would.
        let msg = call.argv.get(1).copied().unwrap_or_default();
        return call.reply(|r| match call.argv.len() {
            1 | 2 => {
                r.array(2);
                r.bulk(b"pong");
                r.bulk(msg);
            }
            _ => r.error("ERR wrong number of arguments for 'ping' command"),
        });
    }
    call.reply(|r| match call.argv {
        [_] => r.simple("PONG"),
        [_, m] => r.bulk(m),
        _ => r.error("ERR wrong number of arguments for 'ping' command"),
    });
}

/// `QUIT`: OK, then the connection closes once its replies are written.
pub fn quit(call: Call) {
    call.reply(|r| r.ok());
    call.session.close = true;
    // Gone for everyone else from now on, as from Redis (a client
    // redirecting its invalidations here finds its redirection broken).
    call.w.shared.clients().remove(&call.session.handle.id);
}

/// `RESET`: the connection's state back to a new connection's.
pub async fn reset(call: Call<'_, '_>) {
    super::multi::unwatch_all(call.w, call.session).await;
    super::pubsub::leave_all(call.w, call.session).await;
    *call.session = Session::new(call.session.handle.clone(), &call.w.shared.acl);
    call.session.handle.info().user = b"default".to_vec();
    call.session.handle.info().name.clear();
    call.session.handle.set_resp(2);
    call.session.handle.set_db(0);
    // The reply to RESET is always sent, in RESP2.
    let mut buf = Vec::new();
    common::reply::Reply::new(&mut buf, Proto::Resp2).simple("RESET");
    call.to.out.borrow_mut().push_ready(&buf, false);
}

/// `SELECT index`: the database every later command of the connection
/// runs in (each request carries it to the shards).
pub fn select(call: Call) {
    let n = match parse_i64(call.argv[1]).and_then(|n| i32::try_from(n).ok()) {
        None => return call.reply(|r| r.error("ERR value is not an integer or out of range")),
        Some(n) => n,
    };
    let databases = call.w.shared.settings.databases();
    match u32::try_from(n).ok().filter(|&n| (n as usize) < databases) {
        Some(db) => {
            call.session.db = db;
            call.session.handle.set_db(db);
            call.reply(|r| r.ok());
        }
        None => call.reply(|r| r.error("ERR DB index is out of range")),
    }
}

const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

/// Logs the connection in as `user` (the default user if none) with
/// `pass`; the error reply when it is refused (a refusal is in `ACL LOG`).
fn log_in(call: &mut Call, user: Option<&[u8]>, pass: &[u8]) -> Result<(), &'static str> {
    let acl = &call.w.shared.acl;
    let name = user.unwrap_or(b"default");
    // The epoch before the lookup: a change in between is seen by the
    // next command (which takes the user again).
    let epoch = acl.epoch();
    match acl.authenticate(name, pass) {
        Some(u) => {
            call.session.authed = true;
            call.session.user = u;
            call.session.acl_epoch = epoch;
            call.session.handle.info().user = name.to_vec();
            Ok(())
        }
        None => {
            let context = match call.session.multi.is_some() {
                true => crate::acl::Context::Multi,
                false => crate::acl::Context::Toplevel,
            };
            let info = super::client::own_line(call);
            let max = call.w.shared.settings.acllog_max_len();
            acl.log_event("auth", context, call.argv[0], name, info, max);
            Err(WRONGPASS)
        }
    }
}

/// `AUTH [user] password`.
pub fn auth(mut call: Call) {
    let (user, pass) = match call.argv {
        [_, pass] => (None, *pass),
        [_, user, pass] => (Some(*user), *pass),
        _ => return call.reply(|r| r.error("ERR syntax error")),
    };
    if user.is_none() && call.w.shared.acl.default_user().nopass() {
        return call.reply(|r| r.error("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"));
    }
    match log_in(&mut call, user, pass) {
        Ok(()) => call.reply(|r| r.ok()),
        Err(e) => call.reply(|r| r.error(e)),
    }
}

/// `HELLO [protover [AUTH user pass] [SETNAME name]]`.
pub fn hello(mut call: Call) {
    let argv = call.argv;
    let mut proto = call.session.proto;
    let mut i = 1;
    if let Some(v) = argv.get(1) {
        match parse_i64(v) {
            Some(2) => proto = Proto::Resp2,
            Some(3) => proto = Proto::Resp3,
            Some(_) => return call.reply(|r| r.error("NOPROTO unsupported protocol version")),
            None => {
                return call
                    .reply(|r| r.error("ERR Protocol version is not an integer or out of range"))
            }
        }
        i = 2;
    }
    // Every option is read (and the name checked) before logging in, as
    // Redis does: a bad option changes nothing.
    let (mut name, mut auth) = (None, None);
    while i < argv.len() {
        if eq(argv[i], "auth") && i + 2 < argv.len() {
            auth = Some((argv[i + 1], argv[i + 2]));
            i += 3;
        } else if eq(argv[i], "setname") && i + 1 < argv.len() {
            if let Err(e) = super::client::check_name(argv[i + 1]) {
                return call.reply(|r| r.error(e));
            }
            name = Some(argv[i + 1]);
            i += 2;
        } else {
            let opt = String::from_utf8_lossy(argv[i]).into_owned();
            return call.reply(|r| r.error(&format!("ERR Syntax error in HELLO option '{opt}'")));
        }
    }
    if let Some((user, pass)) = auth {
        if let Err(e) = log_in(&mut call, Some(user), pass) {
            return call.reply(|r| r.error(e));
        }
    }
    if !call.session.authed {
        return call.reply(|r| r.error("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"));
    }
    call.session.proto = proto;
    if let Some(subs) = &call.session.subs {
        subs.mailbox.set_proto(proto);
    }
    call.session.handle.set_resp(proto.version());
    if let Some(n) = name {
        call.session.handle.info().name = n.to_vec();
    }
    let id = call.session.handle.id;
    call.reply(|r| {
        r.map(7);
        r.bulk(b"server");
        r.bulk(b"redis");
        r.bulk(b"version");
        r.bulk(REDIS_VERSION.as_bytes());
        r.bulk(b"proto");
        r.int(proto.version() as i64);
        r.bulk(b"id");
        r.int(id as i64);
        r.bulk(b"mode");
        r.bulk(b"standalone");
        r.bulk(b"role");
        r.bulk(b"master");
        r.bulk(b"modules");
        r.array(0);
    });
}
