//! `SLOWLOG GET [count]|LEN|RESET|HELP` over the whole server: the
//! proxy's slow log (the commands it answered) and every shard's
//! (`SHARDD.SLOWLOG`), merged ([`crate::merge::slowlog`]).

use common::{num::parse_i64, table::Cmd};

use super::{help, Call, SlowlogCmd};
use crate::{
    link::Req,
    merge::{slowlog::SlowlogMerge, MergeKind},
    send::to_all,
    stats::lock,
};

const HELP: &[&str] = &[
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
];

/// Entries `SLOWLOG GET` shows without a count.
const DEFAULT_COUNT: usize = 10;

/// Runs `SLOWLOG sub`.
pub async fn run(sub: SlowlogCmd, call: Call<'_, '_>) {
    let req = Req::internal(Cmd::SharddSlowlog, call.session.proto);
    let intro = &call.w.shared.intro;
    match sub {
        SlowlogCmd::Get => {
            let count = match call.argv {
                [_, _] => DEFAULT_COUNT,
                [_, _, n] => match parse_i64(n) {
                    Some(-1) => usize::MAX,
                    Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                    _ => {
                        return call.reply(|r| {
                            r.error("ERR count should be greater than or equal to -1")
                        })
                    }
                },
                _ => {
                    return call.reply(|r| {
                        r.error("ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.")
                    })
                }
            };
            // The merged log holds at most slowlog-max-len entries, as
            // Redis's (a shard trims its own only when it logs again).
            let max_len =
                usize::try_from(call.w.shared.settings.slowlog_max_len()).unwrap_or(usize::MAX);
            let count = count.min(max_len);
            let proxy = lock(&intro.slowlog).newest(count).cloned().collect();
            let shard_count = if count == usize::MAX {
                "-1".to_string()
            } else {
                count.to_string()
            };
            let argv: [&[u8]; 3] = [b"SHARDD.SLOWLOG", b"GET", shard_count.as_bytes()];
            let merge = SlowlogMerge::Get {
                count,
                proxy,
                shared: call.w.shared.clone(),
            };
            let kind = MergeKind::Slowlog(Box::new(merge));
            to_all(call.w, req, call.to, &argv, kind, None).await;
        }
        SlowlogCmd::Len => {
            let merge = SlowlogMerge::Len {
                proxy: lock(&intro.slowlog).len(),
                max_len: call.w.shared.settings.slowlog_max_len(),
            };
            let argv: [&[u8]; 2] = [b"SHARDD.SLOWLOG", b"LEN"];
            let kind = MergeKind::Slowlog(Box::new(merge));
            to_all(call.w, req, call.to, &argv, kind, None).await;
        }
        SlowlogCmd::Reset => {
            lock(&intro.slowlog).reset();
            let argv: [&[u8]; 2] = [b"SHARDD.SLOWLOG", b"RESET"];
            to_all(call.w, req, call.to, &argv, MergeKind::AllOk, None).await;
        }
        SlowlogCmd::Help => call.reply(|r| help(r, HELP)),
    }
}
