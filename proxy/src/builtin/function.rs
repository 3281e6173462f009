//! FUNCTION LOAD/DELETE/FLUSH/RESTORE/LIST/DUMP/STATS/KILL/HELP (FCALL
//! runs as EVAL does: `super::script::call_script`).
//!
//! Every shard holds every library (`shardd/src/script/functions.rs`):
//! the changes go to shard 0 first, which answers for all (a library that
//! does not load fails there and nowhere else), then to the other shards.
//! A shard that answers otherwise than shard 0 (one restarted in between)
//! gets shard 0's whole set (`RESTORE ... FLUSH`). LIST and DUMP ask one
//! shard; FCALL runs where its keys are, as EVAL does
//! ([`crate::script`]).

use common::table::Cmd;

use super::{eq, help, Call};
use crate::{link::Req, script, xtx};

/// `FUNCTION <subcommand> ...`.
pub async fn function(call: Call<'_, '_>) {
    match call.spec.id {
        Cmd::FunctionKill => {
            let reply = script::kill(call.w, true).await;
            call.push(&reply);
        }
        Cmd::FunctionStats => stats(call).await,
        Cmd::FunctionFlush => match call.argv {
            [_, _] => change(call).await,
            [_, _, m] if eq(m, "async") || eq(m, "sync") => change(call).await,
            [_, _, _] => call.reply(|r| r.error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")),
            _ => call.reply(|r| {
                r.error("ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION HELP.")
            }),
        },
        Cmd::FunctionLoad | Cmd::FunctionDelete | Cmd::FunctionRestore => change(call).await,
        Cmd::FunctionList | Cmd::FunctionDump => {
            let reply = ask(&call, 0, shard_args(call.argv)).await;
            call.push(&reply);
        }
        _ => call.reply(|r| help(r, HELP)),
    }
}

/// `SHARDD.FUNCTION sub args...` for the client's `FUNCTION sub args...`.
fn shard_args(argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut a = Vec::with_capacity(argv.len());
    a.push(b"SHARDD.FUNCTION".to_vec());
    a.extend(argv[1..].iter().map(|x| x.to_vec()));
    a
}

async fn ask(call: &Call<'_, '_>, shard: usize, args: Vec<Vec<u8>>) -> Vec<u8> {
    let req = Req::internal(Cmd::SharddFunction, call.session.proto);
    xtx::ask_each(call.w, req, &[(shard, args)])
        .await
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// LOAD, DELETE, FLUSH, RESTORE: shard 0, then the others (module docs).
async fn change(call: Call<'_, '_>) {
    let w = call.w;
    let args = shard_args(call.argv);
    let first = ask(&call, 0, args.clone()).await;
    let n = w.shared.shard_count();
    if first.starts_with(b"-") || n == 1 {
        return call.push(&first);
    }
    let asks: Vec<(usize, Vec<Vec<u8>>)> = (1..n).map(|s| (s, args.clone())).collect();
    let req = Req::internal(Cmd::SharddFunction, call.session.proto);
    let replies = xtx::ask_each(w, req, &asks).await;
    let differ: Vec<usize> = replies
        .iter()
        .zip(1..n)
        .filter(|(r, _)| **r != first)
        .map(|(_, s)| s)
        .collect();
    if differ.is_empty() {
        return call.push(&first);
    }
    // Those shards missed a change (or had one too many): they get shard
    // 0's set whole.
    tracing::warn!(
        ?differ,
        "shards disagree on the function libraries; copying shard 0's"
    );
    if script::copy_libraries(w, &differ).await {
        call.push(&first);
    } else {
        call.push(b"-ERR shardis: the shards' function libraries differ and could not be repaired; run FUNCTION RESTORE <dump> FLUSH\r\n");
    }
}

/// `FUNCTION STATS`: the running function (from the shards' busy words
/// and the FCALLs this proxy sent) and the libraries, counted by a shard
/// that is not running a script. A running EVAL script answers BUSY, as
/// Redis does.
async fn stats(call: Call<'_, '_>) {
    let w = call.w;
    let running: Vec<(usize, crate::link::Running)> = w
        .links
        .borrow()
        .iter()
        .filter_map(|l| l.running_script().map(|r| (l.shard, r)))
        .collect();
    if running.iter().any(|(_, r)| !r.function) {
        return call.push(script::BUSY);
    }
    let busy_shards: Vec<usize> = running.iter().map(|(s, _)| *s).collect();
    let idle = (0..w.shared.shard_count())
        .find(|s| !busy_shards.contains(s))
        .unwrap_or(0);
    let counts = ask(
        &call,
        idle,
        vec![b"SHARDD.FUNCTION".to_vec(), b"STATS".to_vec()],
    )
    .await;
    let nums: Vec<i64> = counts
        .split(|&b| b == b'\n')
        .filter_map(|l| l.strip_prefix(b":"))
        .filter_map(|l| std::str::from_utf8(l.trim_ascii_end()).ok()?.parse().ok())
        .collect();
    let [libs, fns] = nums[..] else {
        return call.push(&counts);
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let current = running.first().map(|(shard, r)| {
        let argv = w.shared.scripts.oldest_fcall(*shard);
        (argv, now.saturating_sub(r.stamp >> 10))
    });
    call.reply(|r| {
        r.map(2);
        r.bulk(b"running_script");
        match &current {
            None => r.null(),
            Some((argv, ms)) => {
                r.map(3);
                r.bulk(b"name");
                let argv = argv.as_deref().unwrap_or(&[]);
                r.bulk(argv.get(1).map_or(&b""[..], |a| a.as_slice()));
                r.bulk(b"command");
                r.array(argv.len());
                for a in argv {
                    r.bulk(a);
                }
                r.bulk(b"duration_ms");
                r.int(*ms as i64);
            }
        }
        r.bulk(b"engines");
        r.map(1);
        r.bulk(b"LUA");
        r.map(2);
        r.bulk(b"libraries_count");
        r.int(libs);
        r.bulk(b"functions_count");
        r.int(fns);
    });
}

const HELP: &[&str] = &[
    "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
    "HELP",
    "    Prints this help.",
];
