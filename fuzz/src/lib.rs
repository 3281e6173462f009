//! What the fuzz targets share: the keyspace that commands run on.

use std::cell::RefCell;

use shardd::{
    clock::ManualClock,
    commands::execute,
    keyspace::Keyspace,
    reply::{Proto, Reply},
};

thread_local! {
    // One keyspace for every input (building 16384 slot tables per input
    // would make the fuzzer crawl), emptied after each.
    static KS: RefCell<Keyspace> = RefCell::new(
        Keyspace::with_clock(Box::new(ManualClock::new(1_700_000_000_000))),
    );
}

/// Runs `f` on the shared keyspace, then empties it for the next input.
pub fn with_keyspace(f: impl FnOnce(&mut Keyspace)) {
    KS.with(|ks| {
        let ks = &mut ks.borrow_mut();
        f(ks);
        run(ks, &[b"FLUSHALL"], Proto::Resp2, &mut Vec::new());
    });
}

/// Executes one command as a shard would, its reply written to `out`
/// (cleared first).
pub fn run(ks: &mut Keyspace, argv: &[&[u8]], proto: Proto, out: &mut Vec<u8>) {
    out.clear();
    execute(ks, argv, &mut Reply::new(out, proto));
}
