//! The proxy's RESP request parser (fast path and general, multibulk and
//! inline) fed arbitrary client bytes in arbitrary chunks: it must return
//! commands, ask for more, or refuse with a protocol error; every argument
//! range it returns lies inside the buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy::resp::{Limits, Parsed, RequestParser};

fuzz_target!(|input: &[u8]| {
    let Some((&chunk, data)) = input.split_first() else {
        return;
    };
    let chunk = (chunk as usize % 64) + 1;
    let limits = Limits {
        max_multibulk_args: 1024,
        max_bulk_len_bytes: 1 << 16,
        max_inline_len_bytes: 4096,
    };
    let mut parser = RequestParser::new();
    let mut buf: Vec<u8> = Vec::new();
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        loop {
            match parser.parse(&mut buf, &limits) {
                Ok(Parsed::Command { args, consumed }) => {
                    assert!(consumed <= buf.len());
                    for (start, len) in args {
                        assert!(start + len <= buf.len());
                    }
                    buf.drain(..consumed);
                }
                Ok(Parsed::Skip { consumed }) => {
                    assert!(consumed <= buf.len() && consumed > 0);
                    buf.drain(..consumed);
                }
                Ok(Parsed::Incomplete { .. }) => break,
                Err(_) => return,
            }
        }
    }
});
