//! EVAL with generated scripts: random sequences of `redis.call` and
//! `redis.pcall` over keys of every shard, declared in KEYS or named by
//! ARGV (undeclared, as job queues do), errors caught by pcall and raised
//! by call (the error names the script's line), `redis.setresp(3)`, and
//! every conversion of a Lua value to a reply (numbers truncated, tables
//! stopping at a nil, `{ok=}`, `{err=}`, booleans, nested tables).
//!
//! A script is one `Arg::B` body built from statements, one per line, so
//! error positions agree. Keys are `KEYS[1]`, `KEYS[2]` (declared) and
//! `ARGV[1]`, `ARGV[2]` (undeclared key names); the harness renders the
//! keys passed.

use proptest::prelude::*;

use super::super::gen::*;
use super::other_types;

/// A key expression inside a script.
fn k() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec!["KEYS[1]", "KEYS[2]", "ARGV[1]", "ARGV[2]"])
}

/// A value expression inside a script.
fn v() -> impl Strategy<Value = &'static str> {
    proptest::sample::select(vec!["'1'", "'abc'", "'-2'", "'3.5'", "''", "'10'"])
}

/// One statement that appends something to `out`.
fn statement() -> BoxedStrategy<String> {
    let call = proptest::sample::select(vec!["redis.call", "redis.pcall"]);
    prop_oneof![
        (call.clone(), k(), v()).prop_map(|(c, k, v)| format!("out[#out+1] = {c}('set', {k}, {v})")),
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('incr', {k})")),
        (k(), v()).prop_map(|(k, v)| format!("out[#out+1] = redis.pcall('incrbyfloat', {k}, {v})")),
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('get', {k})")),
        (k(), v()).prop_map(|(k, v)| format!("out[#out+1] = redis.pcall('rpush', {k}, {v})")),
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('lrange', {k}, 0, -1)")),
        (k(), v()).prop_map(|(k, v)| format!("out[#out+1] = redis.pcall('hset', {k}, 'f', {v})")),
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('hget', {k}, 'f')")),
        // HGETALL's order is the hash table's (unspecified) past the packed
        // encoding: HLEN instead.
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('hlen', {k})")),
        (k(), v()).prop_map(|(k, v)| format!("out[#out+1] = redis.pcall('zadd', {k}, '1.5', {v})")),
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('zrange', {k}, 0, -1, 'withscores')")),
        (k(), v()).prop_map(|(k, v)| format!("out[#out+1] = redis.pcall('zscore', {k}, {v})")),
        (k(), v()).prop_map(|(k, v)| format!("out[#out+1] = redis.pcall('sadd', {k}, {v})")),
        // A set's order is unspecified: sorted (under RESP3 SMEMBERS is a
        // `{set = {member = true}}` table, its order Lua's: made a list).
        (k()).prop_map(|k| format!(
            "local m = redis.pcall('smembers', {k}) \
             if type(m) == 'table' and m.set then local a = {{}} for s in pairs(m.set) do a[#a+1] = s end m = a end \
             if type(m) == 'table' and not m.err then table.sort(m) end out[#out+1] = m"
        )),
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('type', {k})")),
        (k()).prop_map(|k| format!("out[#out+1] = redis.pcall('del', {k})")),
        (k(), k()).prop_map(|(a, b)| format!("out[#out+1] = redis.pcall('exists', {a}, {b})")),
        (k(), k()).prop_map(|(a, b)| format!("out[#out+1] = redis.pcall('mget', {a}, {b})")),
        (k()).prop_map(|k| format!(
            "local r = redis.pcall('incr', {k}) out[#out+1] = type(r) == 'table' and r.err or r"
        )),
        Just("out[#out+1] = redis.pcall('nosuchcommand')".to_string()),
        Just("out[#out+1] = redis.pcall('get')".to_string()),
        Just("out[#out+1] = 3.99".to_string()),
        Just("out[#out+1] = -2.5".to_string()),
        Just("out[#out+1] = true".to_string()),
        Just("out[#out+1] = false".to_string()),
        Just("out[#out+1] = {1, 2, nil, 4}".to_string()),
        Just("out[#out+1] = {ok='fine'}".to_string()),
        Just("out[#out+1] = redis.status_reply('S')".to_string()),
        Just("out[#out+1] = redis.error_reply('MYERR e')".to_string()),
        Just("out[#out+1] = {err='E'}".to_string()),
        Just("out[#out+1] = {{1, 'x'}, {'y', {2.9}}}".to_string()),
        // Raised: the script stops, naming this line.
        (k()).prop_map(|k| format!("redis.call('lpush', {k}, 'z') redis.call('incr', {k})")),
    ]
    .boxed()
}

/// How the script ends.
fn ending() -> BoxedStrategy<String> {
    prop_oneof![
        4 => Just("return out".to_string()),
        1 => Just("return out[#out]".to_string()),
        1 => Just("return #out".to_string()),
        1 => Just("return {out, #out, 'end'}".to_string()),
        1 => (k()).prop_map(|k| format!("return redis.call('get', {k})")),
    ]
    .boxed()
}

/// A whole script: maybe `redis.setresp(3)`, statements, an ending.
fn script() -> S {
    (
        proptest::bool::weighted(0.2),
        proptest::collection::vec(statement(), 1..6),
        ending(),
    )
        .prop_map(|(resp3, body, end)| {
            let mut lines = vec!["local out = {}".to_string()];
            if resp3 {
                lines.push("redis.setresp(3)".to_string());
            }
            lines.extend(body);
            lines.push(end);
            vec![Arg::B(lines.join("\n").into_bytes())]
        })
        .boxed()
}

/// The scripts family.
pub fn scripts() -> BoxedStrategy<Op> {
    let eval = cmd("EVAL", vec![script(), lit("2"), key(), key(), key(), key()]);
    let reads = ops(vec![
        cmd("GET", vec![key()]),
        cmd("TYPE", vec![key()]),
        cmd("LRANGE", vec![key(), lit("0"), lit("-1")]),
    ]);
    // numkeys spelled as Redis refuses it (`string2ll`) or takes it.
    let numkeys = cmd(
        "EVAL",
        vec![
            lit("return KEYS[1]"),
            one(&[b"+1", b"01", b"1 ", b"1.0", b"-0", b"1"]),
            key(),
        ],
    );
    prop_oneof![6 => eval, 2 => other_types(), 1 => reads, 1 => numkeys].boxed()
}
