//! The command table on arbitrary argument vectors: resolution (unknown
//! commands, subcommands, arity) and key extraction must answer without
//! panicking, every key position must lie inside the arguments, and a
//! resolved command then runs on a shard's keyspace without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::table::{key_positions, resolve};
use shardd::reply::Proto;
use shardis_fuzz::{run, with_keyspace};

fuzz_target!(|input: &[u8]| {
    // Arguments are separated by 0xff; at most 16 of them.
    let argv: Vec<&[u8]> = input.split(|&b| b == 0xff).take(16).collect();
    if argv.is_empty() {
        return;
    }
    let Ok(spec) = resolve(&argv) else {
        return;
    };
    if let Ok(keys) = key_positions(spec, &argv) {
        for &k in keys.iter() {
            assert!((k as usize) < argv.len(), "key position {k} of {}", argv.len());
        }
    }
    with_keyspace(|ks| {
        let mut out = Vec::new();
        for proto in [Proto::Resp2, Proto::Resp3] {
            run(ks, &argv, proto, &mut out);
        }
    });
});
