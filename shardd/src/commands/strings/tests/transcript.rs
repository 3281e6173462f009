//! Replays a transcript recorded from redis-server 7.0.15 (see
//! `testdata/gen_transcript.py`): random string, bit and HLL commands over
//! three keys, with binary values, edge numbers, bad options and
//! wrong-type keys, and checks every reply byte for byte.

use crate::{
    commands::execute,
    keyspace::{Keyspace, Value},
    reply::{Proto, Reply},
};

const TRANSCRIPT: &str = include_str!("../testdata/redis-7.0-transcript.txt");

fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            out.push(b[i]);
            i += 1;
            continue;
        }
        match b[i + 1] {
            b's' => out.push(b' '),
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b'\\' => out.push(b'\\'),
            b'e' => {}
            b'x' => {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).unwrap();
                out.push(u8::from_str_radix(hex, 16).unwrap());
                i += 2;
            }
            other => panic!("bad escape {}", other as char),
        }
        i += 2;
    }
    out
}

#[test]
fn replies_match_a_recorded_redis_transcript() {
    let mut ks = Keyspace::new();
    let mut checked = 0;
    for (n, line) in TRANSCRIPT.lines().enumerate() {
        let (cmd, want) = line.split_once(" => ").expect("transcript line");
        let args: Vec<Vec<u8>> = cmd.split(' ').map(unescape).collect();
        let argv: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        if argv[0] == b"lpush" {
            // Lists live elsewhere; all the transcript needs is a non-string key.
            if ks.get(argv[1]).is_none() {
                ks.insert(argv[1], Value::List(Box::default()));
            }
            continue;
        }
        let mut got = Vec::new();
        execute(&mut ks, &argv, &mut Reply::new(&mut got, Proto::Resp2));
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&unescape(want)),
            "line {}: {cmd}",
            n + 1
        );
        checked += 1;
    }
    assert!(checked > 1000);
}
