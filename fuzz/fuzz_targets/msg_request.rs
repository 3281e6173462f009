//! Request records from a hostile peer: parse or refuse, never panic, and
//! a parsed request's arguments stay inside the record.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|rec: &[u8]| {
    if let Ok(req) = shared_ring::msg::Request::parse(rec) {
        let total: usize = req.args().map(|a| a.len()).sum();
        assert!(total <= rec.len());
        assert_eq!(req.args().count(), req.argc());
    }
    let _ = shared_ring::msg::parse_reply(rec);
});
