//! The shard's append-only log reader fed arbitrary file contents, and every
//! command it reads back replayed through command execution on a keyspace
//! (what loading does): it must load, cut a torn tail, or refuse with an
//! error, and no replayed command may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shardd::{
    clock::ManualClock,
    commands::execute,
    keyspace::Keyspace,
    persist::aof::{read_log, AOF_MAGIC},
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
    let path = std::env::temp_dir().join(format!("shardis-fuzz-aof-{}.log", std::process::id()));
    // Most inputs get the magic, so the fuzzer spends its time on records.
    let mut bytes = Vec::with_capacity(input.len() + 8);
    if input.first().is_some_and(|b| b & 1 == 0) {
        bytes.extend_from_slice(AOF_MAGIC);
        bytes.extend_from_slice(&input[1..]);
    } else {
        bytes.extend_from_slice(input);
    }
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    KS.with(|ks| {
        let ks = &mut ks.borrow_mut();
        let mut out = Vec::new();
        let _ = read_log(&path, |args| {
            out.clear();
            execute(ks, args, &mut Reply::new(&mut out, Proto::Resp2));
        });
        flush(ks);
    });
});
