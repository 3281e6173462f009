//! Where a command the shards run goes: whole to the shard of its key, to
//! shard 0 when it has none, split per shard, kept together, or fanned out
//! to every shard (`common::table::Route`). Used by [`crate::dispatch`] for
//! a client's command and by EXEC for each queued one. Keys that must be
//! together but live on several shards run as a transaction of their own
//! ([`crate::xtx::run_alone`]): a plain endpoint never answers CROSSSLOT.

use std::{cell::RefCell, rc::Rc};

use common::{
    table::{CommandSpec, Route},
    wire::REQ_FLAG_TX,
};

use crate::{
    fanout,
    gate::GateGuard,
    link::Req,
    replies::Replies,
    send::{answer_when_done, first_shard, split, to_shard, together, Placement, To},
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
        // SORT_RO names one key (`Single`), SORT one or two (`Together`).
        Route::Single | Route::Together
            if req.flags & REQ_FLAG_TX == 0 && xtx::sort::reads_patterns(spec, argv) =>
        {
            answer_when_done(w, to, xtx::sort::run(w, req, spec, argv)).await
        }
        Route::Single => to_shard(w, req, to, first_shard(w, spec, argv), argv).await,
        Route::Keyless | Route::Connection => to_shard(w, req, to, 0, argv).await,
        Route::Together if xtx::spans_shards(w, spec, argv) => {
            let run = async { (xtx::run_alone(w, req.proto, spec, argv).await, true) };
            answer_when_done(w, to, run).await
        }
        Route::Together => together(w, req, to, spec, argv).await,
        Route::MultiKeySplit => split_gated(w, req, to, spec, argv).await,
        Route::FanOut
            if req.flags & REQ_FLAG_TX == 0
                && fanout::reads_every_shard(spec.id)
                && w.shared.shard_count() > 1 =>
        {
            fanout_past_gate(w, req, to, spec, argv, std::time::Duration::ZERO).await
        }
        Route::FanOut
            if req.flags & REQ_FLAG_TX == 0
                && fanout::empties_every_shard(spec.id)
                && w.shared.shard_count() > 1 =>
        {
            fanout_past_gate(w, req, to, spec, argv, FLUSH_WAIT).await
        }
        Route::FanOut => fanout::run(w, req, to, spec, argv, None).await,
    }
}

/// MGET, MSET, DEL, EXISTS, UNLINK, TOUCH: split per shard. Over several
/// shards and outside a transaction it passes the gate
/// ([`crate::gate::Gate`]): while no transaction over several shards
/// runs, its parts go out as usual (counted in flight); while one runs, it
/// runs as a transaction of its own, so that it never sees part of one
/// (nor one sees part of it).
async fn split_gated(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) {
    let in_tx = req.flags & REQ_FLAG_TX != 0;
    let placed = Placement::of(w, spec, argv);
    let parts = match &placed {
        Some(p) if !in_tx => p.parts(),
        _ => 0,
    };
    if parts < 2 {
        split(w, req, to, spec, argv, None, placed.as_ref()).await;
        return;
    }
    let gate = &w.shared.gate;
    if gate.reserve(parts) {
        let sent = split(w, req, to, spec, argv, Some(gate), placed.as_ref()).await;
        gate.release(parts.saturating_sub(sent));
        return;
    }
    let run = async { unavailable_if_failed(split_as_transaction(w, req, spec, argv).await) };
    answer_when_done(w, to, run).await
}

/// A plain command run as a transaction answers as a plain command: a
/// shard that failed under it (`-ERR transaction ...`) as unavailable (the
/// command may or may not have run), counted by the proxy; its own errors
/// (WRONGTYPE...) as they are, counted by the shards.
fn unavailable_if_failed(reply: Vec<u8>) -> (Vec<u8>, bool) {
    if reply.starts_with(b"-ERR transaction") {
        (as_unavailable(&reply), true)
    } else {
        (reply, false)
    }
}

/// How long FLUSHALL or FLUSHDB waits for the transactions over several
/// shards that run to end before it runs as one itself.
const FLUSH_WAIT: std::time::Duration = std::time::Duration::from_millis(200);

/// A fanned-out command past the gate ([`split_gated`]): out with its
/// parts in flight as soon as no transaction over several shards runs
/// (polling every millisecond for up to `wait`), else as a transaction of
/// its own holding every shard whole.
///
/// - DBSIZE, KEYS, RANDOMKEY do not wait: while a transaction runs they
///   lock every shard (they only read) and run inside a transaction.
/// - FLUSHALL and FLUSHDB wait up to [`FLUSH_WAIT`]: a transaction over
///   several shards must see the keyspace emptied on all its shards or on
///   none, and as a transaction a flush keeps undo images of every key
///   until its commit (memory in proportion to the data), so that is only
///   the fallback when transactions keep coming.
async fn fanout_past_gate(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
    wait: std::time::Duration,
) {
    let gate = &w.shared.gate;
    let parts = w.shared.shard_count() as u64;
    let until = tokio::time::Instant::now() + wait;
    loop {
        if gate.reserve(parts) {
            fanout::run(w, req, to, spec, argv, Some(gate)).await;
            return;
        }
        if tokio::time::Instant::now() >= until {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    fanout_locked(w, req, to, spec, argv).await;
}

/// A fanned-out command as a transaction of its own holding every shard
/// whole.
async fn fanout_locked(
    w: &Rc<Worker>,
    req: Req,
    to: To<'_>,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) {
    let all: Vec<(usize, xtx::Part)> = (0..w.shared.shard_count())
        .map(|s| {
            (
                s,
                xtx::Part {
                    keys: Vec::new(),
                    all: true,
                },
            )
        })
        .collect();
    let run = async {
        let reply = match begin(w, &all).await {
            Err(e) => e,
            Ok(run) => {
                let to = To {
                    out: &run.capture,
                    discard: false,
                };
                fanout::run(w, req.in_tx(run.t), to, spec, argv, None).await;
                end(w, run).await
            }
        };
        unavailable_if_failed(reply)
    };
    answer_when_done(w, to, run).await
}

/// A transaction of one command over several shards, locked.
struct Running {
    _gate: GateGuard,
    t: u64,
    locked: Vec<usize>,
    capture: Rc<RefCell<Replies>>,
}

/// Passes the gate and locks `parts` (at once, else in order); `Err` holds
/// the error reply.
async fn begin(w: &Rc<Worker>, parts: &[(usize, xtx::Part)]) -> Result<Running, Vec<u8>> {
    let gate = w.enter_gate().await;
    let (t, locked) = xtx::lock_any(w, parts).await?;
    Ok(Running {
        _gate: gate,
        t,
        locked,
        capture: Rc::new(RefCell::new(Replies::capture())),
    })
}

/// Waits for the command's replies and commits; the replies (or the
/// transaction's error).
async fn end(w: &Rc<Worker>, run: Running) -> Vec<u8> {
    w.flush_now();
    let reply = xtx::wait_all(&run.capture).await;
    match xtx::finish(w, run.t, &run.locked).await {
        Ok(()) => reply,
        Err(e) => format!("{e}\r\n").into_bytes(),
    }
}

/// Runs a split command as a transaction over its shards; its reply (or
/// the transaction's error).
async fn split_as_transaction(
    w: &Rc<Worker>,
    req: Req,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> Vec<u8> {
    let parts = xtx::parts_of(w, spec, argv);
    match begin(w, &parts).await {
        Err(e) => e,
        Ok(run) => {
            let to = To {
                out: &run.capture,
                discard: false,
            };
            split(w, req.in_tx(run.t), to, spec, argv, None, None).await;
            end(w, run).await
        }
    }
}

/// `-ERR shard N is unavailable` for the first shard a transaction's error
/// names.
fn as_unavailable(err: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(err);
    let shard = text
        .split("shard ")
        .skip(1)
        .find_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<usize>().ok()
        })
        .unwrap_or(0);
    format!("-ERR shard {shard} is unavailable\r\n").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::as_unavailable;

    #[test]
    fn a_failed_split_transaction_says_which_shard_is_unavailable() {
        assert_eq!(
            as_unavailable(
                b"-ERR transaction aborted: shard 2 answered -ERR shard 2 is unavailable\r\n"
            ),
            b"-ERR shard 2 is unavailable\r\n"
        );
        assert_eq!(
            as_unavailable(b"-ERR transaction outcome unknown: shard 1 failed\r\n"),
            b"-ERR shard 1 is unavailable\r\n"
        );
    }
}
