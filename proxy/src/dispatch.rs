//! Deciding where each command goes, and sending it there.
//!
//! The command table ([`common::table`]) resolves each command (name and
//! subcommand lookup, arity, with Redis's exact errors) and says who runs
//! it: the proxy ([`crate::builtin`]) or the shards. A shard command goes
//! by its route: whole to the shard owning its key, split per shard and
//! merged (MGET, DEL, ...), to one shard only if all its keys live there
//! (RENAME, SMOVE, ...; otherwise `CROSSSLOT`), or to every shard and
//! merged ([`crate::fanout`]).

use std::{cell::RefCell, rc::Rc, sync::atomic::Ordering};

use common::table::{self, flags::F_NO_AUTH, Exec, Route};

use crate::{
    builtin::{self, Call},
    fanout,
    link::Req,
    replies::Replies,
    send::{first_shard, split, to_shard, together, To},
    session::Session,
    worker::Worker,
};

/// Runs one parsed command.
pub async fn handle(
    w: &Rc<Worker>,
    session: &mut Session,
    out: &Rc<RefCell<Replies>>,
    argv: &[&[u8]],
) {
    w.shared.stats.commands.fetch_add(1, Ordering::Relaxed);
    let to = To {
        out,
        discard: session.take_discard(),
    };
    let spec = match table::resolve(argv) {
        Ok(spec) => spec,
        Err(e) => {
            let mut reply = Vec::new();
            e.write_reply(argv, &mut reply);
            return out.borrow_mut().push_ready(&reply, to.discard);
        }
    };
    session.handle.set_command(spec.id);
    if !session.authed && !spec.has_flag(F_NO_AUTH) {
        return out
            .borrow_mut()
            .push_ready(b"-NOAUTH Authentication required.\r\n", to.discard);
    }
    match spec.exec {
        Exec::Proxy => match builtin::handler(spec.id) {
            Some(b) => {
                let call = Call {
                    w,
                    session,
                    to,
                    spec,
                    argv,
                };
                builtin::run(b, call).await;
            }
            None => out.borrow_mut().push_ready(
                b"-ERR the proxy has no code for this command\r\n",
                to.discard,
            ),
        },
        Exec::Shard => {
            let req = Req::new(spec, session.proto);
            match spec.route {
                Route::Single => to_shard(w, req, to, first_shard(w, spec, argv), argv).await,
                Route::Keyless | Route::Connection => to_shard(w, req, to, 0, argv).await,
                Route::Together => together(w, req, to, spec, argv).await,
                Route::MultiKeySplit => split(w, req, to, spec, argv).await,
                Route::FanOut => fanout::run(w, req, to, spec, argv).await,
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
