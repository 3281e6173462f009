//! Where a command the shards run goes: whole to the shard of its key, to
//! shard 0 when it has none, split per shard, kept together, or fanned out
//! to every shard (`common::table::Route`). Used by [`crate::dispatch`] for
//! a client's command and by EXEC for each queued one. Keys that must be
//! together but live on several shards run as a transaction of their own
//! ([`crate::xtx::run_alone`]): a plain endpoint never answers CROSSSLOT.

use std::rc::Rc;

use common::table::{CommandSpec, Route};

use crate::{
    fanout,
    link::Req,
    replies::Target,
    send::{first_shard, split, to_shard, together, To},
    worker::Worker,
    xtx,
};

/// Sends `argv` (a command the shards run) where its route says.
pub async fn shard_command(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) {
    match spec.route {
        Route::Single => to_shard(w, req, to, first_shard(w, spec, argv), argv).await,
        Route::Keyless | Route::Connection => to_shard(w, req, to, 0, argv).await,
        Route::Together if xtx::spans_shards(w, spec, argv) => {
            let seq = to.out.borrow_mut().push_pending(to.discard);
            let reply = xtx::run_alone(w, req.proto, spec, argv).await;
            if reply.starts_with(b"-") {
                w.error_reply(&reply);
            }
            Target::Slot {
                conn: to.out.clone(),
                seq,
                part: None,
            }
            .deliver(&reply);
        }
        Route::Together => together(w, req, to, spec, argv).await,
        Route::MultiKeySplit => split(w, req, to, spec, argv).await,
        Route::FanOut => fanout::run(w, req, to, spec, argv).await,
    }
}
