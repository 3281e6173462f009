//! `shardd`: one shard process of shardis. Usually started by the proxy;
//! ops scripts may start it by hand and point a proxy at it with `--attach`.

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static GLOBAL: common::alloc::CountingJemalloc = common::alloc::CountingJemalloc;

fn main() -> ExitCode {
    shardd::cli::init_logging();
    match shardd::cli::run(shardd::cli::ShardArgs::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("shardd: {e:#}");
            ExitCode::FAILURE
        }
    }
}
