//! Command generators for the differential test: small pools of keys and
//! arguments, chosen so that keys collide and change type, numbers sit on
//! the edges (zero, negative, `i64` limits, overflow, not a number), and
//! every family's options show up in valid and invalid combinations.
//!
//! A command is a list of [`Arg`]s rendered only when it runs: expire times
//! depend on the command's position (so two relative TTLs never tie and
//! `GT`/`LT` comparisons do not depend on the clock), and keys are indexes
//! into [`KEYS`], resolved by the harness.

use std::fmt;

use proptest::{prelude::*, strategy::Union};

/// Keys by index: 0-2 share the `{t}` hash tag; 3 is untagged on the same
/// shard as `{t}` (same shard, different slot); 4 and 5 are on the two
/// other shards (the harness picks them, see `keys()`).
pub const KEY_COUNT: usize = 6;
/// Keys that may be used together (RENAME, SMOVE, ZUNIONSTORE, ...): all
/// of them, since keys on different shards run as a transaction over
/// them (once only 0-3, which share a shard).
pub const TOGETHER: [u8; 6] = [0, 1, 2, 3, 4, 5];

/// One argument, rendered when the command runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    /// Bytes as they are.
    B(Vec<u8>),
    /// Key number `n`.
    Key(u8),
    /// A relative time in seconds: `base + 10 * position`.
    RelSec(u64),
    /// A relative time in milliseconds: `(base + 10 * position) * 1000 + 7`.
    RelMs(u64),
    /// An absolute Unix time in seconds: `now + base + 10 * position + 5`.
    AbsSec(u64),
    /// An absolute Unix time in milliseconds, as `AbsSec` times 1000 + 3.
    AbsMs(u64),
}

/// One command.
#[derive(Clone, PartialEq, Eq)]
pub struct Op(pub Vec<Arg>);

/// A test case: the protocol and the commands.
#[derive(Clone)]
pub struct Case {
    /// Whether the connection speaks RESP3 (`HELLO 3`).
    pub resp3: bool,
    /// The commands, in order.
    pub ops: Vec<Op>,
}

impl Arg {
    /// The argument's bytes for the command at `pos`, at Unix time `now_s`.
    pub fn render(&self, keys: &[Vec<u8>], pos: usize, now_s: u64) -> Vec<u8> {
        let spread = 10 * pos as u64;
        match self {
            Arg::B(b) => b.clone(),
            Arg::Key(k) => keys[*k as usize].clone(),
            Arg::RelSec(b) => (b + spread).to_string().into_bytes(),
            Arg::RelMs(b) => ((b + spread) * 1000 + 7).to_string().into_bytes(),
            Arg::AbsSec(b) => (now_s + b + spread + 5).to_string().into_bytes(),
            Arg::AbsMs(b) => ((now_s + b + spread + 5) * 1000 + 3)
                .to_string()
                .into_bytes(),
        }
    }
}

/// Writes `b` as one redis-cli argument (quoted with escapes when needed).
pub fn cli_quote(b: &[u8]) -> String {
    let plain = !b.is_empty()
        && b.iter()
            .all(|&c| c.is_ascii_graphic() && c != b'"' && c != b'\'' && c != b'\\');
    if plain {
        return String::from_utf8_lossy(b).into_owned();
    }
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b' ' => s.push(' '),
            c if c.is_ascii_graphic() => s.push(c as char),
            c => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s.push('"');
    s
}

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys = crate::diff::keys();
        let words: Vec<String> = self
            .0
            .iter()
            .map(|a| match a {
                Arg::RelSec(b) => format!("<{b}s+10*pos>"),
                Arg::RelMs(b) => format!("<({b}s+10*pos)ms>"),
                Arg::AbsSec(b) => format!("<now+{b}s+10*pos>"),
                Arg::AbsMs(b) => format!("<(now+{b}s+10*pos)ms>"),
                other => cli_quote(&other.render(keys, 0, 0)),
            })
            .collect();
        f.write_str(&words.join(" "))
    }
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "# {} commands, RESP{}",
            self.ops.len(),
            if self.resp3 { 3 } else { 2 }
        )?;
        for op in &self.ops {
            writeln!(f, "{op:?}")?;
        }
        Ok(())
    }
}

/// A strategy for a run of arguments.
pub type S = BoxedStrategy<Vec<Arg>>;

fn b(s: &[u8]) -> Arg {
    Arg::B(s.to_vec())
}

/// A fixed word.
pub fn lit(word: &str) -> S {
    Just(vec![b(word.as_bytes())]).boxed()
}

/// One of `words`.
pub fn one(words: &[&[u8]]) -> S {
    let words: Vec<Vec<u8>> = words.iter().map(|w| w.to_vec()).collect();
    proptest::sample::select(words)
        .prop_map(|w| vec![Arg::B(w)])
        .boxed()
}

/// One of the alternatives.
pub fn alt(choices: Vec<S>) -> S {
    Union::new(choices).boxed()
}

/// The parts one after another.
pub fn cat(parts: Vec<S>) -> S {
    parts.into_iter().fold(Just(Vec::new()).boxed(), |acc, p| {
        (acc, p)
            .prop_map(|(mut a, b)| {
                a.extend(b);
                a
            })
            .boxed()
    })
}

/// `part` or nothing.
pub fn opt(part: S) -> S {
    proptest::option::of(part)
        .prop_map(Option::unwrap_or_default)
        .boxed()
}

/// `part` repeated `min..=max` times.
pub fn many(part: S, min: usize, max: usize) -> S {
    proptest::collection::vec(part, min..=max)
        .prop_map(|v| v.into_iter().flatten().collect())
        .boxed()
}

/// Any of the six keys.
pub fn key() -> S {
    (0..KEY_COUNT as u8).prop_map(|k| vec![Arg::Key(k)]).boxed()
}

/// A key that may be used together with other `tkey()`s.
pub fn tkey() -> S {
    proptest::sample::select(TOGETHER.to_vec())
        .prop_map(|k| vec![Arg::Key(k)])
        .boxed()
}

/// String values: empty, binary, numeric-looking, long (past embstr).
pub fn val() -> S {
    one(&[
        b"",
        b"a",
        b"b",
        b"abc",
        b"hello world",
        b"0",
        b"1",
        b"-1",
        b"12",
        b"3.5",
        b"-0",
        b"007",
        b"9223372036854775807",
        b"-9223372036854775808",
        b"18446744073709551616",
        b"1e5",
        b"inf",
        b"\x00\x01\xff",
        b"\xe2\x82\xac",
        b" 1",
        b"01234567890123456789012345678901234567890123456789",
    ])
}

/// Members and fields: a few short ones, integers, one long (past listpack values).
pub fn member() -> S {
    one(&[
        b"a",
        b"b",
        b"c",
        b"d",
        b"1",
        b"2",
        b"-3",
        b"",
        b"\x00\xff",
        b"mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm",
    ])
}

/// Integer arguments on the edges.
pub fn int() -> S {
    one(&[
        b"0",
        b"1",
        b"-1",
        b"2",
        b"3",
        b"5",
        b"-3",
        b"10",
        b"-10",
        b"100",
        b"9223372036854775807",
        b"-9223372036854775808",
        b"9223372036854775808",
        b"4294967296",
        b"abc",
        b"",
        b"1.5",
        b"+1",
        b"01",
        b" 1",
    ])
}

/// Small counts (mostly valid).
pub fn count() -> S {
    alt(vec![
        one(&[b"0", b"1", b"2", b"3", b"5", b"10"]),
        one(&[
            b"-1",
            b"-2",
            b"-5",
            b"abc",
            b"9223372036854775807",
            b"-9223372036854775808",
        ]),
    ])
}

/// Indexes into lists and strings, in and out of range.
pub fn idx() -> S {
    alt(vec![
        one(&[b"-3", b"-2", b"-1", b"0", b"1", b"2", b"3"]),
        one(&[
            b"-100",
            b"100",
            b"9223372036854775807",
            b"-9223372036854775808",
            b"x",
            b"",
        ]),
    ])
}

/// Float arguments on the edges.
pub fn float() -> S {
    one(&[
        b"0",
        b"1",
        b"-1",
        b"1.5",
        b"-2.5",
        b"0.1",
        b"1e3",
        b"10",
        b"inf",
        b"-inf",
        b"+inf",
        b"nan",
        b"abc",
        b"",
        b"1e308",
        b"-1e308",
        b"1.7976931348623157e309",
        b" 1",
        b"0x10",
        b"5.0e-1",
    ])
}

/// A relative expire time in seconds: far future, zero or past, or invalid.
pub fn ttl_s() -> S {
    alt(vec![
        proptest::sample::select(vec![1_000u64, 100_000, 10_000_000])
            .prop_map(|b| vec![Arg::RelSec(b)])
            .boxed(),
        one(&[
            b"0",
            b"-1",
            b"-100",
            b"abc",
            b"9223372036854775807",
            b"-9223372036854775808",
        ]),
    ])
}

/// A relative expire time in milliseconds.
pub fn ttl_ms() -> S {
    alt(vec![
        proptest::sample::select(vec![1_000u64, 100_000, 10_000_000])
            .prop_map(|b| vec![Arg::RelMs(b)])
            .boxed(),
        one(&[b"0", b"-1", b"abc", b"9223372036854775807"]),
    ])
}

/// An absolute Unix time in seconds: future, past, or invalid.
pub fn at_s() -> S {
    alt(vec![
        proptest::sample::select(vec![1_000u64, 100_000])
            .prop_map(|b| vec![Arg::AbsSec(b)])
            .boxed(),
        one(&[b"1", b"0", b"-1", b"9223372036854775807", b"x"]),
    ])
}

/// An absolute Unix time in milliseconds.
pub fn at_ms() -> S {
    alt(vec![
        proptest::sample::select(vec![1_000u64, 100_000])
            .prop_map(|b| vec![Arg::AbsMs(b)])
            .boxed(),
        one(&[b"1", b"0", b"-1", b"9223372036854775807"]),
    ])
}

/// `numkeys` and that many `tkey()`s (`min..=max` of them), numkeys
/// sometimes short by one (the last key then reads as an option) or
/// invalid. Never more than the keys given: Redis would read options as
/// keys, which shardis may route to another shard (`CROSSSLOT`, documented).
pub fn numkeyed(min: usize, max: usize) -> S {
    (
        proptest::collection::vec(proptest::sample::select(TOGETHER.to_vec()), min..=max),
        0u8..8,
    )
        .prop_map(|(keys, how)| {
            let n = keys.len();
            let numkeys = match how {
                0 if n > 1 => (n - 1).to_string(),
                1 => "0".into(),
                2 => "-1".into(),
                3 => "x".into(),
                _ => n.to_string(),
            };
            let mut v = vec![Arg::B(numkeys.into_bytes())];
            v.extend(keys.into_iter().map(Arg::Key));
            v
        })
        .boxed()
}

/// `n` distinct items (`min..=max` of them) made by `item(i)`, to push a
/// value past Redis's packed-encoding limits (128 entries, 512 integers).
pub fn distinct(min: usize, max: usize, item: fn(usize) -> Vec<Vec<u8>>) -> S {
    (min..=max)
        .prop_map(move |n| (0..n).flat_map(item).map(Arg::B).collect())
        .boxed()
}

/// Builds a command from its name and argument parts.
pub fn cmd(name: &str, parts: Vec<S>) -> BoxedStrategy<Op> {
    let mut all = vec![lit(name)];
    all.extend(parts);
    cat(all).prop_map(Op).boxed()
}

/// A command with a wrong number of arguments (or none at all).
pub fn wrong_arity(names: &'static [&'static str]) -> BoxedStrategy<Op> {
    (proptest::sample::select(names.to_vec()), 0usize..2)
        .prop_map(|(n, extra)| {
            let mut v = vec![b(n.as_bytes())];
            if extra == 1 {
                v.push(Arg::Key(0));
            }
            Op(v)
        })
        .boxed()
}

/// One of the commands.
pub fn ops(list: Vec<BoxedStrategy<Op>>) -> BoxedStrategy<Op> {
    Union::new(list).boxed()
}

/// A case of `min..=max` commands drawn from `op`, RESP3 one time in four.
pub fn case(op: BoxedStrategy<Op>, min: usize, max: usize) -> impl Strategy<Value = Case> {
    (
        proptest::bool::weighted(0.25),
        proptest::collection::vec(op, min..=max),
    )
        .prop_map(|(resp3, ops)| Case { resp3, ops })
}
