//! `MEMORY STATS|DOCTOR|MALLOC-STATS|HELP`, for the whole server (the
//! proxy and every shard); `MEMORY USAGE key` is the key's shard's, and
//! `MEMORY PURGE` every shard's (`crate::fanout`).

use common::alloc;

use super::{help, info::ask_shards, Call, MemoryCmd};
use crate::merge::info::InfoWhat;

const HELP: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

/// Runs `MEMORY sub`.
pub async fn run(sub: MemoryCmd, call: Call<'_, '_>) {
    match sub {
        MemoryCmd::Stats => ask_shards(call, InfoWhat::MemoryStats, &[]).await,
        MemoryCmd::Doctor => ask_shards(call, InfoWhat::MemoryDoctor, &[]).await,
        MemoryCmd::MallocStats => {
            // jemalloc's report is per process: this is the proxy's.
            let text = format!(
                "shardis proxy (pid {}); each shard process has its own allocator, \
                 summed in MEMORY STATS and INFO memory.\n{}",
                std::process::id(),
                alloc::malloc_stats_text()
            );
            call.reply(|r| r.verbatim(text.as_bytes()));
        }
        MemoryCmd::Help => call.reply(|r| help(r, HELP)),
    }
}
