//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, FCALL, FCALL_RO and SCRIPT
//! LOAD/EXISTS/FLUSH/KILL/HELP
//! (where scripts run: [`crate::script`]).

use common::table::Cmd;

use super::{eq, help, Call};
use crate::script;

/// `EVAL script numkeys key... arg...` and its forms (EVALSHA, the `_RO`
/// forms), `FCALL name numkeys key... arg...` and FCALL_RO.
pub async fn call_script(call: Call<'_, '_>) {
    let mut e = match script::parse_call(&call.w.shared.scripts, call.spec.id, call.argv) {
        Ok(e) => e,
        Err(reply) => return call.push(reply.as_bytes()),
    };
    e.no_replicas = call.w.shared.settings.writes_need_replicas();
    e.monitor = call.w.shared.monitors.any();
    let w = call.w;
    let (proto, origin) = (call.session.proto, call.session.handle.id);
    // FUNCTION STATS names the running function from these notes.
    let mut seen = e
        .script
        .function
        .then(|| script::FcallSeen::new(w, call.argv, e.keys));
    let (out, discard) = (call.to.out, call.to.discard);
    let track = crate::caching::wants(call.session);
    let from = script::Caller {
        proto,
        origin,
        db: crate::link::scoped_db(),
        track,
    };
    if script::send_one_shard(w, from, &e, out, discard, &mut seen).await {
        return;
    }
    if track {
        // Over several shards: its keys are remembered ahead of the run.
        crate::caching::remember_first(w, origin, e.keys.iter().copied()).await;
    }
    let reply = script::run(w, proto, origin, &e).await;
    drop(seen);
    call.push(&reply);
}

/// `SCRIPT LOAD|EXISTS|FLUSH|HELP`.
pub async fn script(call: Call<'_, '_>) {
    let cache = &call.w.shared.scripts;
    match call.spec.id {
        Cmd::ScriptLoad => {
            let script = cache.add(call.argv[2]);
            let sha = script.sha.clone();
            match script::compile_error(call.w, script).await {
                None => call.reply(|r| r.bulk(sha.as_bytes())),
                Some(err) => call.push(&err),
            }
        }
        Cmd::ScriptExists => {
            let shas = &call.argv[2..];
            call.reply(|r| {
                r.array(shas.len());
                for s in shas {
                    r.int(i64::from(cache.contains(s)));
                }
            })
        }
        Cmd::ScriptKill => {
            let reply = script::kill(call.w, false).await;
            call.push(&reply);
        }
        Cmd::ScriptFlush => match call.argv {
            [_, _] => flush(call).await,
            [_, _, m] if eq(m, "async") || eq(m, "sync") => flush(call).await,
            _ => call.reply(|r| r.error("ERR SCRIPT FLUSH only support SYNC|ASYNC option")),
        },
        _ => call.reply(|r| {
            help(
                r,
                &[
                    "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                    "EXISTS <sha1> [<sha1> ...]",
                    "    Return information about the existence of the scripts in the script cache.",
                    "FLUSH [ASYNC|SYNC]",
                    "    Flush the Lua scripts cache. Very dangerous on replicas.",
                    "    When called without the optional mode argument, the behavior is determined by the",
                    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
                    "    * ASYNC: Asynchronously flush the scripts cache.",
                    "    * SYNC: Synchronously flush the scripts cache.",
                    "KILL",
                    "    Kill the currently executing Lua script.",
                    "LOAD <script>",
                    "    Load a script into the scripts cache without executing it.",
                    "HELP",
                    "    Prints this help.",
                ],
            )
        }),
    }
}

async fn flush(call: Call<'_, '_>) {
    call.w.shared.scripts.flush();
    script::flush_shards(call.w).await;
    call.reply(|r| r.ok());
}
