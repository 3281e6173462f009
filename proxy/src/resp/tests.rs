//! Tests of the request parser: framing, every protocol error, inline
//! splitting, the fast path, and that the result never depends on how the
//! bytes were split into reads.

use proptest::prelude::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

use super::*;

type Commands = Vec<Vec<Vec<u8>>>;

/// Feeds `chunks` one after the other as a server loop would, collecting
/// every command's arguments; stops at the first protocol error.
fn feed<'a>(
    chunks: impl IntoIterator<Item = &'a [u8]>,
    limits: &Limits,
) -> Result<Commands, ProtocolError> {
    let mut parser = RequestParser::new();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match parser.parse(&mut buf, limits)? {
                Parsed::Command { args, consumed } => {
                    out.push(args_of(&buf, &args).map(<[u8]>::to_vec).collect());
                    buf.drain(..consumed);
                }
                Parsed::Skip { consumed } => {
                    buf.drain(..consumed);
                }
                Parsed::Incomplete { .. } => break,
            }
        }
    }
    Ok(out)
}

fn parse_all(input: &[u8]) -> Result<Commands, ProtocolError> {
    feed([input], &Limits::default())
}

fn cmd(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn encode(args: &[Vec<u8>]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn error_reply(e: ProtocolError) -> String {
    let mut out = Vec::new();
    e.write_reply(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

const PIPELINE: &[u8] = b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n\
*3\r\n$3\r\nset\r\n$1\r\nk\r\n$5\r\nhello\r\n\
PING\r\n\
\r\n\
*0\r\n\
*4\r\n$4\r\nMSET\r\n$0\r\n\r\n$2\r\na\r\r\n$3\r\n\x00\xff\n\r\n\
set a \"b \\x41\\n\" 'it\\'s'\n\
*-1\r\n\
*3\r\n$3\r\nSET\r\n$2\r\nxx\r\n$1\r\ny\r\n";

fn pipeline_commands() -> Commands {
    vec![
        cmd(&["GET", "foo"]),
        cmd(&["set", "k", "hello"]),
        cmd(&["PING"]),
        vec![
            b"MSET".to_vec(),
            b"".to_vec(),
            b"a\r".to_vec(),
            b"\x00\xff\n".to_vec(),
        ],
        cmd(&["set", "a", "b A\n", "it's"]),
        cmd(&["SET", "xx", "y"]),
    ]
}

#[test]
fn pipeline_parses_in_one_read() {
    assert_eq!(parse_all(PIPELINE).unwrap(), pipeline_commands());
}

#[test]
fn pipeline_parses_the_same_split_at_every_offset() {
    for cut in 0..=PIPELINE.len() {
        let (a, b) = PIPELINE.split_at(cut);
        assert_eq!(
            feed([a, b], &Limits::default()).unwrap(),
            pipeline_commands(),
            "cut at {cut}"
        );
    }
}

#[test]
fn pipeline_parses_the_same_byte_by_byte() {
    let chunks = PIPELINE.chunks(1);
    assert_eq!(
        feed(chunks, &Limits::default()).unwrap(),
        pipeline_commands()
    );
}

#[test]
fn pipeline_parses_the_same_in_random_chunks() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let mut chunks = Vec::new();
        let mut rest = PIPELINE;
        while !rest.is_empty() {
            let n = rng.gen_range(1..=rest.len().min(20));
            let (a, b) = rest.split_at(n);
            chunks.push(a);
            rest = b;
        }
        assert_eq!(
            feed(chunks, &Limits::default()).unwrap(),
            pipeline_commands()
        );
    }
}

#[test]
fn fast_path_slices_get_and_set_in_any_case() {
    let limits = Limits::default();
    let mut buf = b"*3\r\n$3\r\nSeT\r\n$3\r\nkey\r\n$5\r\nvalue\r\nextra".to_vec();
    let parsed = fast_path(&buf, limits.max_bulk_len_bytes, limits.max_multibulk_args).unwrap();
    assert_eq!(
        parsed,
        RequestParser::new().parse(&mut buf, &limits).unwrap()
    );
    let Parsed::Command { args, consumed } = parsed else {
        panic!()
    };
    assert_eq!(args.as_slice(), &[(8, 3), (17, 3), (26, 5)]);
    assert_eq!(consumed, 33);
    let buf = b"*2\r\n$3\r\ngEt\r\n$1\r\nk\r\n";
    assert!(matches!(
        fast_path(buf, limits.max_bulk_len_bytes, limits.max_multibulk_args),
        Some(Parsed::Command { consumed: 20, .. })
    ));
}

#[test]
fn fast_path_takes_any_short_canonical_command() {
    let limits = Limits::default();
    let mut buf = b"*4\r\n$7\r\nEVALSHA\r\n$2\r\nab\r\n$1\r\n1\r\n$0\r\n\r\n*1".to_vec();
    let fast = fast_path(&buf, limits.max_bulk_len_bytes, limits.max_multibulk_args).unwrap();
    assert_eq!(fast, RequestParser::new().parse(&mut buf, &limits).unwrap());
    let Parsed::Command { args, consumed } = fast else {
        panic!()
    };
    assert_eq!(args.as_slice(), &[(8, 7), (21, 2), (29, 1), (36, 0)]);
    assert_eq!(consumed, 38);
    // A count above the configured limit goes to the general parser's error.
    let few = Limits {
        max_multibulk_args: 1,
        ..Limits::default()
    };
    let mut incr = b"*2\r\n$4\r\nINCR\r\n$1\r\nk\r\n".to_vec();
    assert_eq!(
        fast_path(&incr, few.max_bulk_len_bytes, few.max_multibulk_args),
        None
    );
    assert_eq!(
        RequestParser::new().parse(&mut incr, &few),
        Err(ProtocolError::InvalidMultibulkLength)
    );
}

#[test]
fn canonical_into_appends_offset_ranges_or_leaves_them_as_they_were() {
    let limits = Limits::default();
    let buf = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$3\r\nGET\r\n$1\r\n";
    let mut out: SmallVec<[(usize, usize); 4]> = SmallVec::new();
    out.push((0, 0));
    assert_eq!(canonical_into(buf, &limits, 100, &mut out), Some((2, 20)));
    assert_eq!(out.as_slice(), &[(0, 0), (108, 3), (117, 1)]);
    // The second command is cut short: nothing of it stays behind.
    assert_eq!(canonical_into(&buf[20..], &limits, 20, &mut out), None);
    assert_eq!(out.len(), 3);
    // Nor of one past the limits.
    let few = Limits {
        max_bulk_len_bytes: 2,
        ..Limits::default()
    };
    assert_eq!(canonical_into(buf, &few, 0, &mut out), None);
    assert_eq!(out.len(), 3);
}

#[test]
fn fast_path_takes_up_to_99_arguments_as_the_general_parser_does() {
    let limits = Limits::default();
    for argc in [9usize, 11, 21, 99] {
        let mut buf = format!("*{argc}\r\n").into_bytes();
        for i in 0..argc {
            let a = format!("arg{i}");
            buf.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        buf.extend_from_slice(b"*1\r\n");
        let fast = fast_path(&buf, limits.max_bulk_len_bytes, limits.max_multibulk_args);
        let fast = fast.unwrap_or_else(|| panic!("{argc} arguments"));
        assert_eq!(fast, RequestParser::new().parse(&mut buf, &limits).unwrap());
        let Parsed::Command { args, consumed } = fast else {
            panic!()
        };
        assert_eq!(args.len(), argc);
        assert_eq!(consumed, buf.len() - 4);
        // Cut short anywhere: the fast path declines.
        assert_eq!(
            fast_path(&buf[..consumed - 1], limits.max_bulk_len_bytes, 99),
            None
        );
    }
    // Before AUTH, more than 10 arguments get Redis's error, not a command.
    let mut p = RequestParser::new();
    p.auth_pending = true;
    let mut buf = b"*11\r\n".to_vec();
    for _ in 0..11 {
        buf.extend_from_slice(b"$1\r\na\r\n");
    }
    assert_eq!(
        p.parse(&mut buf, &limits),
        Err(ProtocolError::UnauthenticatedMultibulkLength)
    );
}

#[test]
fn fast_path_declines_what_it_does_not_recognise() {
    let limits = Limits::default();
    for input in [
        &b"*2\r\n$3\r\nGET\r\n$3\r\nfo"[..],
        b"*2\r\n$3\r\nGET\r\n$03\r\nfoo\r\n",
        b"*2\r\n$3\r\nGET\r\n$-1\r\n",
        b"*2\r\n$3\r\nGETX\r\n",
        b"*3\r\n$3\r\nGET\r\n$1\r\nk\r\n$1\r\n",
        b"*03\r\n$3\r\nGET\r\n$1\r\nk\r\n$1\r\nv\r\n",
        b"*0\r\n",
        b"*010\r\n$1\r\na\r\n",
        b"*100\r\n$1\r\na\r\n",
        b"*1x\r\n$1\r\na\r\n",
        b"*12\n$1\r\na\r\n",
        b"*2\n$3\r\nGET\r\n$1\r\nk\r\n",
        b"*2\r\n$3\r\nGET\r\n$1234567890\r\n",
    ] {
        assert_eq!(
            fast_path(input, limits.max_bulk_len_bytes, limits.max_multibulk_args),
            None,
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    let small = Limits {
        max_bulk_len_bytes: 2,
        ..Limits::default()
    };
    assert_eq!(
        fast_path(
            b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n",
            small.max_bulk_len_bytes,
            small.max_multibulk_args
        ),
        None
    );
    assert_eq!(
        feed([&b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"[..]], &small),
        Err(ProtocolError::InvalidBulkLength)
    );
}

#[test]
fn bytes_after_a_bulk_are_skipped_unchecked_like_redis() {
    assert_eq!(
        parse_all(b"*1\r\n$4\r\nPINGXY*1\r\n$3\r\nfoo\rX").unwrap(),
        vec![cmd(&["PING"]), cmd(&["foo"])]
    );
}

#[test]
fn empty_requests_are_skipped() {
    let mut parser = RequestParser::new();
    let limits = Limits::default();
    for (input, consumed) in [
        (&b"\r\n"[..], 2),
        (b"\n", 1),
        (b"   \t\r\n", 6),
        (b"*0\r\n", 4),
        (b"*-5\r\n", 5),
    ] {
        let mut buf = input.to_vec();
        assert_eq!(
            parser.parse(&mut buf, &limits),
            Ok(Parsed::Skip { consumed })
        );
        assert!(parser.is_idle());
    }
}

#[test]
fn incomplete_bulk_reports_the_missing_bytes() {
    let mut parser = RequestParser::new();
    let mut buf = b"*2\r\n$3\r\nGET\r\n$10\r\nabc".to_vec();
    assert_eq!(
        parser.parse(&mut buf, &Limits::default()),
        Ok(Parsed::Incomplete {
            more_bytes: Some(9)
        })
    );
    assert!(!parser.is_idle());
    let mut buf = Vec::new();
    assert_eq!(
        parser_fresh_parse(&mut buf),
        Ok(Parsed::Incomplete { more_bytes: None })
    );
}

fn parser_fresh_parse(buf: &mut [u8]) -> Result<Parsed, ProtocolError> {
    RequestParser::new().parse(buf, &Limits::default())
}

#[test]
fn huge_multibulk_count_reserves_nothing_up_front() {
    let mut parser = RequestParser::new();
    let mut buf = b"*1000000\r\n$1\r\na\r\n".to_vec();
    assert!(matches!(
        parser.parse(&mut buf, &Limits::default()),
        Ok(Parsed::Incomplete { .. })
    ));
    assert!(parser.args.capacity() <= RESERVE_ARGS_MAX);
}

#[test]
fn huge_bulk_length_is_only_a_hint() {
    let mut parser = RequestParser::new();
    let mut buf = b"*1\r\n$536870912\r\n".to_vec();
    assert_eq!(
        parser.parse(&mut buf, &Limits::default()),
        Ok(Parsed::Incomplete {
            more_bytes: Some(536870914)
        })
    );
}

#[test]
fn multibulk_length_errors() {
    for input in [
        &b"*abc\r\n"[..],
        b"*\r\n",
        b"*01\r\n",
        b"*1 \r\n",
        b"*+1\r\n",
        b"*1048577\r\n",
        b"*99999999999999999999\r\n",
    ] {
        assert_eq!(
            parse_all(input),
            Err(ProtocolError::InvalidMultibulkLength),
            "{input:?}"
        );
    }
    assert_eq!(parse_all(b"*1048576\r\n").unwrap(), Commands::new());
    let limits = Limits {
        max_multibulk_args: 2,
        ..Limits::default()
    };
    assert_eq!(
        feed([&b"*3\r\n"[..]], &limits),
        Err(ProtocolError::InvalidMultibulkLength)
    );
}

#[test]
fn bulk_length_errors() {
    for input in [
        &b"*1\r\n$-1\r\n"[..],
        b"*1\r\n$x\r\n",
        b"*1\r\n$\r\n",
        b"*1\r\n$+3\r\n",
        b"*1\r\n$536870913\r\n",
        b"*1\r\n$01\r\n",
    ] {
        assert_eq!(
            parse_all(input),
            Err(ProtocolError::InvalidBulkLength),
            "{input:?}"
        );
    }
    let limits = Limits {
        max_bulk_len_bytes: 3,
        ..Limits::default()
    };
    assert_eq!(
        feed([&b"*1\r\n$4\r\n"[..]], &limits),
        Err(ProtocolError::InvalidBulkLength)
    );
    assert!(feed([&b"*1\r\n$3\r\nabc\r\n"[..]], &limits).is_ok());
}

#[test]
fn expected_dollar_error_names_the_byte() {
    assert_eq!(
        parse_all(b"*1\r\nxfoo\r\n"),
        Err(ProtocolError::ExpectedDollar(b'x'))
    );
    assert_eq!(
        error_reply(ProtocolError::ExpectedDollar(b'x')),
        "-ERR Protocol error: expected '$', got 'x'\r\n"
    );
    assert_eq!(
        parse_all(b"*1\r\n\r\n"),
        Err(ProtocolError::ExpectedDollar(b'\r'))
    );
    assert_eq!(
        error_reply(ProtocolError::ExpectedDollar(b'\r')),
        "-ERR Protocol error: expected '$', got ' '\r\n"
    );
    let mut raw = Vec::new();
    ProtocolError::ExpectedDollar(0x80).write_reply(&mut raw);
    assert_eq!(raw, b"-ERR Protocol error: expected '$', got '\x80'\r\n");
    // The line must be complete before its first byte is judged.
    assert_eq!(parse_all(b"*1\r\nxfoo").unwrap(), Commands::new());
}

#[test]
fn too_long_lines_are_refused() {
    let long = |prefix: &[u8]| {
        let mut v = prefix.to_vec();
        v.resize(prefix.len() + 70_000, b'1');
        v
    };
    assert_eq!(parse_all(&long(b"*")), Err(ProtocolError::TooBigMbulkCount));
    assert_eq!(
        parse_all(&long(b"*1\r\n$")),
        Err(ProtocolError::TooBigBulkCount)
    );
    assert_eq!(
        parse_all(&long(b"PING")),
        Err(ProtocolError::TooBigInlineRequest)
    );
    let exact = vec![b'a'; Limits::DEFAULT_MAX_INLINE_LEN_BYTES];
    assert_eq!(parse_all(&exact).unwrap(), Commands::new());
    let mut line = vec![b'a'; 100_000];
    line.push(b'\n');
    assert_eq!(
        parse_all(&line).unwrap().len(),
        1,
        "a complete long line is served, as Redis does"
    );
}

#[test]
fn error_texts_match_redis() {
    let cases = [
        (
            ProtocolError::InvalidMultibulkLength,
            "-ERR Protocol error: invalid multibulk length\r\n",
        ),
        (
            ProtocolError::InvalidBulkLength,
            "-ERR Protocol error: invalid bulk length\r\n",
        ),
        (
            ProtocolError::TooBigInlineRequest,
            "-ERR Protocol error: too big inline request\r\n",
        ),
        (
            ProtocolError::TooBigMbulkCount,
            "-ERR Protocol error: too big mbulk count string\r\n",
        ),
        (
            ProtocolError::TooBigBulkCount,
            "-ERR Protocol error: too big bulk count string\r\n",
        ),
        (
            ProtocolError::UnbalancedQuotes,
            "-ERR Protocol error: unbalanced quotes in request\r\n",
        ),
    ];
    for (e, text) in cases {
        assert_eq!(error_reply(e), text);
    }
}

#[test]
fn inline_splits_like_sdssplitargs() {
    let cases: &[(&[u8], &[&[u8]])] = &[
        (b"SET a b\n", &[b"SET", b"a", b"b"]),
        (b"  PING  \r\n", &[b"PING"]),
        (
            b"echo \"a\\x41\\x4g\\n\\r\\t\\b\\a\\\\\\\"\"\n",
            &[b"echo", b"aAx4g\n\r\t\x08\x07\\\""],
        ),
        (b"echo 'it\\'s \\n'\n", &[b"echo", b"it's \\n"]),
        (b"echo a\x0bb\n", &[b"echo", b"a\x0bb"]),
        (b"echo a\x00b c\n", &[b"echo", b"a"]),
        (b"echo \"\" ''\n", &[b"echo", b"", b""]),
        (b"echo a\"b c\" d\n", &[b"echo", b"ab c", b"d"]),
    ];
    for (input, want) in cases {
        let want: Vec<Vec<u8>> = want.iter().map(|a| a.to_vec()).collect();
        assert_eq!(
            parse_all(input).unwrap(),
            vec![want],
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn inline_unbalanced_quotes_are_refused() {
    for input in [
        &b"ECHO \"abc\"d\r\n"[..],
        b"ECHO \"abc\r\n",
        b"ECHO a\"b c\"d\r\n",
        b"ECHO 'a\r\n",
        b"ECHO 'a'b\n",
        b"ECHO \"a\\\"\n",
    ] {
        assert_eq!(
            parse_all(input),
            Err(ProtocolError::UnbalancedQuotes),
            "{input:?}"
        );
    }
}

#[test]
fn parser_resets_after_an_error() {
    let mut parser = RequestParser::new();
    let limits = Limits::default();
    let mut bad = b"*1\r\n$x\r\n".to_vec();
    assert!(parser.parse(&mut bad, &limits).is_err());
    assert!(parser.is_idle());
    let mut good = b"PING\r\n".to_vec();
    assert!(matches!(
        parser.parse(&mut good, &limits),
        Ok(Parsed::Command { consumed: 6, .. })
    ));
}

fn arb_args() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..8)
}

proptest! {
    #[test]
    fn encoded_commands_parse_back(cmds in prop::collection::vec(arb_args(), 1..6), seed in any::<u64>()) {
        let mut wire = Vec::new();
        for c in &cmds {
            wire.extend_from_slice(&encode(c));
        }
        prop_assert_eq!(&parse_all(&wire).unwrap(), &cmds);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut chunks = Vec::new();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            let n = rng.gen_range(1..=rest.len());
            let (a, b) = rest.split_at(n);
            chunks.push(a);
            rest = b;
        }
        prop_assert_eq!(&feed(chunks, &Limits::default()).unwrap(), &cmds);
    }

    #[test]
    fn commands_parse_the_same_with_and_without_fast_path(
        args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 1..12),
        cut in 0usize..300,
    ) {
        let wire = encode(&args);
        let limits = Limits::default();
        let mut general = RequestParser::new();
        let buf = &wire[..cut.min(wire.len())];
        let fast = fast_path(buf, limits.max_bulk_len_bytes, limits.max_multibulk_args);
        let slow = general.multibulk_header(buf, &limits).unwrap();
        if let Some(fast) = fast {
            prop_assert_eq!(fast, slow);
        } else {
            let complete = matches!(slow, Parsed::Command { .. });
            prop_assert!(!complete || args.len() > INLINE_ARGS);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(chunks in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..64), 0..8)) {
        let small = Limits { max_multibulk_args: 16, max_bulk_len_bytes: 64, max_inline_len_bytes: 32 };
        let _ = feed(chunks.iter().map(Vec::as_slice), &small);
        let _ = feed(chunks.iter().map(Vec::as_slice), &Limits::default());
    }

    #[test]
    fn protocol_like_bytes_never_panic(parts in prop::collection::vec(
        prop::sample::select(vec![&b"*"[..], b"$", b"\r\n", b"\r", b"\n", b"1", b"3", b"-1", b"0", b"\"", b"'", b"\\", b"x", b" ", b"GET", b"*2\r\n$3\r\nGET\r\n"]), 0..40)) {
        let wire: Vec<u8> = parts.concat();
        let _ = feed(wire.chunks(3), &Limits::default());
        let _ = parse_all(&wire);
    }
}

#[test]
fn inline_line_splits_as_redis_did() {
    // Sent to redis-server 7.0.15 as `RPUSH L ...`, then read back with LRANGE.
    let line = b"rpush L \"a\\x41\\x4g\\n\\r\\t\\b\\a\\\\\\\"\" 'it\\'s \\n' a\x0bb \"\" '' a\"b c\" x'y z'\r\n";
    let want: Vec<Vec<u8>> = [
        &b"rpush"[..],
        b"L",
        b"aAx4g\n\r\t\x08\x07\\\"",
        b"it's \\n",
        b"a\x0bb",
        b"",
        b"",
        b"ab c",
        b"xy z",
    ]
    .iter()
    .map(|a| a.to_vec())
    .collect();
    assert_eq!(parse_all(line).unwrap(), vec![want]);
    assert_eq!(
        parse_all(b"rpush L \"\\x4\"\r\n").unwrap(),
        vec![cmd(&["rpush", "L", "x4"])]
    );
    assert_eq!(
        parse_all(b"rpush L \"\\\"\r\n"),
        Err(ProtocolError::UnbalancedQuotes)
    );
    assert_eq!(
        parse_all(b"rpush L 'a\\'\r\n"),
        Err(ProtocolError::UnbalancedQuotes)
    );
}

#[test]
fn unauthenticated_clients_get_small_limits() {
    let limits = Limits::default();
    let parse = |input: &[u8], pending: bool| {
        let mut parser = RequestParser::new();
        parser.set_auth_pending(pending);
        parser.parse(&mut input.to_vec(), &limits)
    };
    assert_eq!(
        parse(b"*11\r\n", true),
        Err(ProtocolError::UnauthenticatedMultibulkLength)
    );
    assert!(parse(b"*10\r\n", true).is_ok());
    assert!(parse(b"*11\r\n", false).is_ok());
    assert_eq!(
        parse(b"*1\r\n$16385\r\n", true),
        Err(ProtocolError::UnauthenticatedBulkLength)
    );
    assert!(parse(b"*1\r\n$16384\r\n", true).is_ok());
    let mut big_get = b"*2\r\n$3\r\nGET\r\n$16385\r\n".to_vec();
    big_get.resize(big_get.len() + 16385, b'k');
    big_get.extend_from_slice(b"\r\n");
    assert_eq!(
        parse(&big_get, true),
        Err(ProtocolError::UnauthenticatedBulkLength)
    );
    assert!(matches!(parse(&big_get, false), Ok(Parsed::Command { .. })));
}

#[test]
fn bulk_headers_of_one_or_two_digits_read_as_the_digit_loop_does() {
    // (header bytes, expected): canonical lengths only, and a byte after
    // the `\r` (the one the caller skips unchecked).
    type Case = (&'static [u8], Option<(usize, usize)>);
    let cases: &[Case] = &[
        (b"$0\r\n", Some((0, 4))),
        (b"$7\r\n", Some((7, 4))),
        (b"$10\r\n", Some((10, 5))),
        (b"$99\rx", Some((99, 5))),
        (b"$100\r\n", Some((100, 6))),
        (b"$05\r\n", None),
        (b"$00\r\n", None),
        (b"$7\r", None),
        (b"$7x\r\n", None),
        (b"$\r\n", None),
        (b"$-1\r\n", None),
        (b"*1\r\n", None),
        (b"$123456789\r\n", Some((123_456_789, 12))),
        (b"$1234567890\r\n", None),
    ];
    for &(bytes, want) in cases {
        assert_eq!(
            fast_bulk_header(bytes),
            want,
            "{}",
            String::from_utf8_lossy(bytes)
        );
    }
}
