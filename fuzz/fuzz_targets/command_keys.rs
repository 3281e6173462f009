//! The command table on arbitrary argument vectors: resolution (unknown
//! commands, subcommands, arity) and key extraction must answer without
//! panicking, every key position must lie inside the arguments, and a
//! resolved command then runs on a shard's keyspace without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::table::{key_positions, resolve};
use shardd::{
    clock::ManualClock,
    commands::execute,
    keyspace::Keyspace,
    reply::{Proto, Reply},
};

thread_local! {
    // One keyspace for every input (building 16384 slot tables per input
    // would make the fuzzer crawl), emptied after each.
    static KS: std::cell::RefCell<Keyspace> = std::cell::RefCell::new(
        Keyspace::with_clock(Box::new(ManualClock::new(1_700_000_000_000))),
    );
}

fn flush(ks: &mut Keyspace) {
    let mut out = Vec::new();
    execute(ks, &[b"FLUSHALL"], &mut Reply::new(&mut out, Proto::Resp2));
}

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
    KS.with(|ks| {
        let ks = &mut ks.borrow_mut();
        let mut out = Vec::new();
        for proto in [Proto::Resp2, Proto::Resp3] {
            out.clear();
            execute(ks, &argv, &mut Reply::new(&mut out, proto));
        }
        flush(ks);
    });
});
