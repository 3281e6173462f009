//! Deciding where each command goes, and sending it there.
//!
//! The command table ([`common::table`]) resolves each command (name and
//! subcommand lookup, arity, with Redis's exact errors) and says who runs
//! it: the proxy ([`crate::builtin`]) or the shards. A shard command goes
//! by its route: whole to the shard owning its key, split per shard and
//! merged (MGET, DEL, ...), to the one shard of its keys or, when they
//! must be together (RENAME, SMOVE, ...) and are not, as a transaction
//! over their shards ([`crate::route`]), or to every shard and merged
//! ([`crate::fanout`]).
//!
//! The commands the proxy answers are timed here and counted in the
//! worker's statistics (calls, time, errors, the slow log and the latency
//! monitor: `crate::stats`); so are the calls refused here (wrong arity,
//! `NOAUTH`) and the errors given. Commands sent to shards are counted by
//! the shard that runs them.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
    sync::atomic::Ordering,
    time::Instant,
};

use common::table::{
    self,
    flags::{F_ALLOW_BUSY, F_NO_AUTH, F_WRITE},
    Cmd, CommandSpec, Exec, ResolveError, Route,
};

use crate::{
    builtin::{self, Builtin, Call},
    link::Req,
    replies::{Replies, Target},
    route,
    send::To,
    session::Session,
    stats::lock,
    worker::{Busy, Worker},
};

/// What [`plain`] did with a command.
pub enum Plain<'w> {
    /// Queued on its shard's link.
    Sent,
    /// Its reply slot is taken but the ring is full or the shard down:
    /// the caller finishes it with [`crate::send::send`], holding `busy`
    /// until then (as [`handle`] would).
    Waits {
        /// The command counted as in progress.
        busy: Busy<'w>,
        /// The request.
        req: Req,
        /// Its shard.
        shard: usize,
        /// Its reply slot.
        target: Target,
    },
    /// Not a plain command: nothing was done but the lookup, which the
    /// caller hands to [`handle_resolved`].
    No(Resolved),
}

/// A command's lookup in the table (`table::resolve`).
pub type Resolved = Result<&'static CommandSpec, ResolveError>;

/// The shortcut past [`handle`] for the commands most requests are: a
/// command the shards run on its one key's shard (GET, SET, INCR, LPUSH,
/// HSET...), from a connection in the plain state (authenticated, its
/// user unrestricted, replies on, no MULTI, no subscription; any
/// database, which its request carries),
/// while nobody MONITORs, no script runs long and no slot moves. It makes
/// the same checks as [`handle`] for the cases it takes and sends the
/// command as [`route::shard_command`] would, without their futures; it
/// returns [`Plain::No`] with the command's lookup, having done nothing
/// else, for anything else.
pub fn plain<'w>(
    w: &'w Rc<Worker>,
    session: &Session,
    out: &Rc<RefCell<Replies>>,
    argv: &[&[u8]],
) -> Plain<'w> {
    let resolved = table::resolve(argv);
    let Ok(spec) = resolved else {
        return Plain::No(resolved);
    };
    if !plain_state(w, session) {
        return Plain::No(resolved);
    }
    if spec.exec != Exec::Shard
        || spec.route != Route::Single
        || crate::block::blocks(spec)
        || crate::xtx::sort::reads_patterns(spec, argv)
        || (spec.has_flag(F_WRITE) && w.shared.settings.writes_need_replicas())
        || (!spec.has_flag(F_ALLOW_BUSY) && crate::script::busy_for(w, spec, argv, false).is_some())
    {
        return Plain::No(resolved);
    }
    let shard = crate::send::first_shard(w, spec, argv);
    if !out.borrow().behind.passes_to(shard) {
        // It waits behind script calls on other shards (`crate::behind`).
        return Plain::No(resolved);
    }
    let Some(busy) = w.try_enter() else {
        return Plain::No(resolved);
    };
    w.shared.stats.commands.fetch_add(1, Ordering::Relaxed);
    session.handle.set_command(spec.id);
    let req = Req::new(spec, session.proto, session.handle.id, session.db);
    let seq = out.borrow_mut().push_pending(false);
    let target = Target::Slot {
        conn: out.clone(),
        seq,
        part: None,
    };
    let sent = match w.links.borrow_mut().get_mut(shard) {
        Some(l) => l.send(req, argv, target),
        None => Err((crate::link::SendError::Down, target)),
    };
    match sent {
        Ok(()) => Plain::Sent,
        Err((_, target)) => Plain::Waits {
            busy,
            req,
            shard,
            target,
        },
    }
}

/// Whether `session` is in the plain state the shortcuts past [`handle`]
/// take ([`plain`], [`crate::whole_tx`], [`crate::script::take_plain`]):
/// [`Session::is_plain`], while nobody MONITORs.
pub fn plain_state(w: &Worker, session: &Session) -> bool {
    session.is_plain() && !w.shared.monitors.any()
}

/// Runs one parsed command.
pub fn handle<'a>(
    w: &'a Rc<Worker>,
    session: &'a mut Session,
    out: &'a Rc<RefCell<Replies>>,
    argv: &'a [&'a [u8]],
) -> impl std::future::Future<Output = ()> + 'a {
    handle_resolved(w, session, out, argv, table::resolve(argv))
}

/// [`handle`] for a command already looked up (`resolved`).
pub async fn handle_resolved(
    w: &Rc<Worker>,
    session: &mut Session,
    out: &Rc<RefCell<Replies>>,
    argv: &[&[u8]],
    resolved: Resolved,
) {
    w.shared.stats.commands.fetch_add(1, Ordering::Relaxed);
    if session.subs.is_some() {
        builtin::pubsub::catch_up(session, out);
    }
    let to = To {
        out,
        discard: session.take_discard(),
    };
    let spec = match resolved {
        Ok(spec) => spec,
        Err(e) => {
            builtin::multi::refused(session);
            let mut reply = Vec::new();
            e.write_reply(argv, &mut reply);
            let mut st = lock(&w.stats);
            if let ResolveError::WrongArity(spec) = e {
                st.rejected(spec.id);
            }
            st.error_reply(&reply);
            drop(st);
            return out.borrow_mut().push_ready(&reply, to.discard);
        }
    };
    session.handle.set_command(spec.id);
    if session.tracking.is_some() {
        crate::caching::step(session, spec.id);
    }
    if !session.authed && !spec.has_flag(F_NO_AUTH) {
        const NOAUTH: &[u8] = b"-NOAUTH Authentication required.\r\n";
        return refuse(w, session, to, spec, NOAUTH);
    }
    if !session.user.unrestricted {
        if let Err(reply) = admit(w, session, out, spec, argv) {
            return refuse(w, session, to, spec, &reply);
        }
    }
    if session.proto == common::reply::Proto::Resp2
        && !builtin::pubsub::allowed_when_subscribed(spec.id)
        && session.subscribed()
    {
        let reply = format!(
            "-ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
            spec.name
        );
        return refuse(w, session, to, spec, reply.as_bytes());
    }
    let busy = match spec.has_flag(F_ALLOW_BUSY) {
        true => None,
        false => crate::script::busy_for(w, spec, argv, session.multi.is_some()),
    };
    if let Some(busy) = busy {
        if spec.id == Cmd::Exec && session.multi.is_some() {
            let reply = builtin::multi::abort_exec(w, session, busy).await;
            lock(&w.stats).error_reply(&reply);
            return out.borrow_mut().push_ready(&reply, to.discard);
        }
        return refuse(w, session, to, spec, busy);
    }
    if spec.has_flag(F_WRITE) && w.shared.settings.writes_need_replicas() {
        // No replicas, so never enough good ones (Redis's check comes
        // before MULTI queues the command: EXEC then aborts).
        const NOREPLICAS: &[u8] = b"-NOREPLICAS Not enough good replicas to write.\r\n";
        return refuse(w, session, to, spec, NOREPLICAS);
    }
    // A client pause holds the command here, as Redis does after its
    // checks and before MULTI queues it (`crate::client_pause`).
    if w.shared.client_pause.is_on() {
        builtin::client::wait_if_paused(w, session, spec, argv).await;
    }
    // Between MULTI and EXEC every command but these is queued.
    let runs_in_multi = matches!(
        spec.id,
        Cmd::Exec | Cmd::Discard | Cmd::Multi | Cmd::Watch | Cmd::Quit | Cmd::Reset
    );
    if session.multi.is_some() && !runs_in_multi {
        return builtin::multi::queue(w, session, to, spec, argv);
    }
    // EXEC's own line follows its commands' (`builtin::multi::exec`). A
    // command a shard runs is shown once it ran (`crate::monitor`).
    let mut shown_after = None;
    if w.shared.monitors.any()
        && crate::monitor::shown(spec)
        && !(spec.id == Cmd::Exec && session.multi.is_some())
    {
        if spec.exec == Exec::Shard && !crate::block::blocks(spec) {
            let from = session.handle.addr.to_string();
            let now = std::time::SystemTime::now();
            let line = bytes::Bytes::from(crate::monitor::line(now, session.db, &from, argv));
            let shared = w.shared.clone();
            let feed: crate::replies::MonitorFeed = Box::new(move || {
                let limits = shared.settings.pubsub_limits();
                shared.monitors.feed_line(line, limits);
            });
            shown_after = Some((out.borrow().next_seq(), feed));
        } else {
            builtin::feed_monitors(w, session, session.db, argv);
        }
    }
    // Routed with the slot map as it is now; a slot move waits for it
    // (SHARDIS, which watches the moves, does not).
    let _busy = match spec.id {
        Cmd::ShardisScale | Cmd::ShardisStatus | Cmd::ShardisSlots | Cmd::ShardisHelp => None,
        _ => match w.try_enter() {
            Some(b) => Some(b),
            None => Some(w.enter().await),
        },
    };
    match spec.exec {
        Exec::Proxy => match builtin::handler(spec.id) {
            Some(b) => run_builtin(w, session, to, spec, argv, b).await,
            None => out.borrow_mut().push_ready(
                b"-ERR the proxy has no code for this command\r\n",
                to.discard,
            ),
        },
        Exec::Shard if crate::block::blocks(spec) => {
            if session.tracking.is_some() {
                // XREAD BLOCK and the like: remembered ahead.
                crate::caching::read_flags(w, session, spec, argv).await;
            }
            crate::block::start(w, session, to, spec, argv).await
        }
        Exec::Shard => {
            let mut req = Req::new(spec, session.proto, session.handle.id, session.db);
            if session.tracking.is_some() {
                req.flags |= crate::caching::read_flags(w, session, spec, argv).await;
            }
            route::shard_command(w, req, to, spec, argv).await;
            if let Some((seq, line)) = shown_after {
                out.borrow_mut().feed_after(seq, line);
            }
        }
        // `resolve` only finds what clients can run.
        Exec::Missing | Exec::Internal => {
            let mut reply = Vec::new();
            table::ResolveError::UnknownCommand.write_reply(argv, &mut reply);
            out.borrow_mut().push_ready(&reply, to.discard);
        }
    }
}

/// Answers `reply` to a command refused before it runs: a rejected call
/// of it (as Redis counts one), and EXECABORT at EXEC if it was to be
/// queued.
fn refuse(w: &Worker, session: &mut Session, to: To<'_>, spec: &'static CommandSpec, reply: &[u8]) {
    builtin::multi::refused(session);
    let mut st = lock(&w.stats);
    st.rejected(spec.id);
    st.error_reply(reply);
    drop(st);
    to.out.borrow_mut().push_ready(reply, to.discard);
}

/// Runs builtin `b`, timing it: its call, time and failure go to the
/// worker's statistics, and a slow call to the slow log and the latency
/// monitor.
async fn run_builtin(
    w: &Rc<Worker>,
    session: &mut Session,
    to: To<'_>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
    b: Builtin,
) {
    let failed = Cell::new(false);
    let handle = session.handle.clone();
    let started = Instant::now();
    // Its reply is queued when it ends: a message or an invalidation
    // that comes meanwhile waits for it (an invalidation must not reach
    // a client ahead of a reply holding the value it invalidates).
    let held = session.subs.is_some();
    if held {
        to.out.borrow_mut().pushes_held = true;
    }
    let out = to.out;
    let call = Call {
        w,
        session,
        to,
        spec,
        argv,
        failed: &failed,
    };
    builtin::run(b, call).await;
    if held {
        out.borrow_mut().pushes_held = false;
        builtin::pubsub::catch_up(session, out);
        // What did not fit behind its reply: the pump takes it from here
        // (it may have parked on the mailbox's bell alone meanwhile).
        if let Some(subs) = &session.subs {
            subs.mailbox.bell.notify_one();
        }
    }
    let ns = started.elapsed().as_nanos() as u64;
    // A script the shards ran is counted by the shard that ran it; the
    // proxy counts the EVALs it answered itself (NOSCRIPT, bad numkeys...).
    let shard_counts = matches!(b, Builtin::Eval) && !failed.get();
    if !shard_counts {
        let mut st = lock(&w.stats);
        st.call(spec.id, ns);
        if failed.get() {
            st.failed(spec.id);
        }
    }
    w.after_command(&handle, spec, argv, ns);
}

/// Takes the connection's user again after a change to the users: a
/// user deleted meanwhile leaves it logged out with no permission (its
/// connection is being closed).
pub fn refresh_user(shared: &crate::state::Shared, session: &mut Session) {
    session.acl_epoch = shared.acl.epoch();
    match shared.acl.user(&session.user.name) {
        Some(u) => {
            // The default user lost its password: a connection that never
            // logged in may run commands now (Redis asks at each command).
            if !session.authed && u.name == b"default" && u.nopass() && u.enabled() {
                session.authed = true;
            }
            session.user = u;
        }
        None => {
            session.user = std::sync::Arc::new(common::acl::User::new(&session.user.name, false));
            session.authed = false;
        }
    }
}

/// Redis's `NOPERM` reply for a refusal at the top level.
fn noperm(d: common::acl::Denied, command: &str) -> Vec<u8> {
    match d {
        common::acl::Denied::Command => {
            format!("-NOPERM this user has no permissions to run the '{command}' command\r\n")
                .into_bytes()
        }
        common::acl::Denied::Key(_) => b"-NOPERM this user has no permissions to access one of the keys used as arguments\r\n".to_vec(),
        common::acl::Denied::Channel(_) => b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n".to_vec(),
    }
}

/// Checks a command of a restricted user before it runs or is queued:
/// its command, keys and channels, and SORT's BY and GET patterns (which
/// read keys nobody names, so they need every key readable); the error
/// reply if refused (the refusal is in `ACL LOG`).
fn admit(
    w: &crate::worker::Worker,
    session: &Session,
    out: &RefCell<Replies>,
    spec: &'static common::table::CommandSpec,
    argv: &[&[u8]],
) -> Result<(), Vec<u8>> {
    let user = &session.user;
    if let Err(d) = user.check(spec, argv) {
        let context = match session.multi.is_some() {
            true => crate::acl::Context::Multi,
            false => crate::acl::Context::Toplevel,
        };
        let info = crate::builtin::client_line(&w.shared, session, out, argv);
        let max = w.shared.settings.acllog_max_len();
        let object = crate::acl::object_of(d, argv, spec.name);
        w.shared
            .acl
            .log_event(d.reason(), context, object, &user.name, info, max);
        return Err(noperm(d, spec.name));
    }
    if let Some(option) = crate::xtx::sort::pattern_option(spec, argv) {
        if !user.reads_every_key(spec, argv) {
            return Err(format!(
                "-ERR {option} option of SORT denied due to insufficient ACL permissions.\r\n"
            )
            .into_bytes());
        }
    }
    Ok(())
}
