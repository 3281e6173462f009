//! The shard's append-only log reader fed arbitrary file contents, and every
//! command it reads back replayed through command execution on a keyspace
//! (what loading does): it must load, cut a torn tail, or refuse with an
//! error, and no replayed command may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shardd::{
    persist::aof::{read_log, AOF_MAGIC},
    reply::Proto,
};
use shardis_fuzz::{run, with_keyspace};

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
    with_keyspace(|ks| {
        let mut out = Vec::new();
        let _ = read_log(&path, |args| run(ks, args, Proto::Resp2, &mut out));
    });
});
