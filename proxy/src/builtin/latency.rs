//! `LATENCY LATEST|HISTORY|RESET|DOCTOR|GRAPH|HISTOGRAM|HELP` over the
//! whole server: the proxy's latency monitor and every shard's
//! (`SHARDD.LATENCY`), merged ([`crate::merge::latency`]); `HISTOGRAM`
//! from the command statistics (`SHARDD.INFO latencystats`).

use common::table::Cmd;

use super::{help, info::ask_shards, Call, LatencyCmd};
use crate::{
    link::Req,
    merge::{
        info::InfoWhat,
        latency::{LatencyMerge, LatencyWhat},
        MergeKind,
    },
    send::to_all,
    stats::lock,
};

const HELP: &[&str] = &[
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
];

/// Runs `LATENCY sub`.
pub async fn run(sub: LatencyCmd, call: Call<'_, '_>) {
    let argv = call.argv;
    let what = match sub {
        LatencyCmd::Help => return call.reply(|r| help(r, HELP)),
        LatencyCmd::Histogram => {
            let names = argv[2..].iter().map(|n| n.to_vec()).collect();
            let what = InfoWhat::LatencyHistogram(names);
            return ask_shards(call, what, &[b"latencystats"]).await;
        }
        LatencyCmd::Latest => LatencyWhat::Latest,
        LatencyCmd::History => LatencyWhat::History(argv[2].to_vec()),
        LatencyCmd::Doctor => LatencyWhat::Doctor,
        LatencyCmd::Graph => LatencyWhat::Graph(argv[2].to_vec()),
        LatencyCmd::Reset => {
            let gone = lock(&call.w.shared.intro.latency).reset(&argv[2..]);
            LatencyWhat::Reset(gone)
        }
    };
    let intro = &call.w.shared.intro;
    let merge = LatencyMerge {
        proxy: lock(&intro.latency).clone(),
        threshold_ms: call.w.shared.settings.latency_monitor_threshold_ms(),
        slower_than_us: call.w.shared.settings.slowlog_log_slower_than_us(),
        what,
    };
    let mut shard_argv: Vec<&[u8]> = vec![b"SHARDD.LATENCY"];
    if sub == LatencyCmd::Reset {
        shard_argv.push(b"RESET");
        shard_argv.extend_from_slice(&argv[2..]);
    } else {
        shard_argv.push(b"EVENTS");
    }
    let req = Req::internal(Cmd::SharddLatency, call.session.proto);
    let kind = MergeKind::Latency(Box::new(merge));
    to_all(call.w, req, call.to, &shard_argv, kind, None).await;
}
