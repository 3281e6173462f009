//! Where a command the shards run goes: whole to the shard of its key, to
//! shard 0 when it has none, split per shard, kept together, or fanned out
//! to every shard (`common::table::Route`). Used by [`crate::dispatch`] for
//! a client's command and by EXEC for each queued one.

use std::rc::Rc;

use common::table::{CommandSpec, Route};

use crate::{
    fanout,
    link::Req,
    send::{first_shard, split, to_shard, together, To},
    worker::Worker,
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
        Route::Together => together(w, req, to, spec, argv).await,
        Route::MultiKeySplit => split(w, req, to, spec, argv).await,
        Route::FanOut => fanout::run(w, req, to, spec, argv).await,
    }
}
