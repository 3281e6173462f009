//! The ring consumer over arbitrary segment contents and positions: it
//! must return records or an error, never panic or read out of bounds.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if input.len() < 9 {
        return;
    }
    let mut head = [0u8; 8];
    head.copy_from_slice(&input[..8]);
    // Keep the head mostly within a few laps so records get parsed.
    let head = u64::from_le_bytes(head) % (3 * 4096 + 1);
    let max_record = 1 + (input[8] as usize) * 1024;
    let _ = shared_ring::ring::fuzzing::consume_raw(head, &input[9..], max_record);
});
