//! Streams end to end, with the real binaries, as a Redis user uses them:
//! XADD/XRANGE/XREAD/XDEL/XTRIM on keys of every shard, XREAD and
//! XREADGROUP with BLOCK (on one shard and over several, woken by an XADD,
//! ended by a timeout, `CLIENT UNBLOCK`, a destroyed group or a deleted
//! key), consumer groups (XREADGROUP, XPENDING, XACK, XCLAIM, XAUTOCLAIM,
//! XINFO), streams and their groups through SIGKILLed shards (`appendfsync
//! always`), DUMP/RESTORE and COPY, and bad input. Expected replies are
//! Redis 7.0's (checked against `redis-server` 7.0.15), byte for byte
//! except where a field is a time (`idle`) or an implementation detail
//! (`radix-tree-*`).
//!
//! A client waiting in a blocking command is waited for by polling
//! `CLIENT LIST ID n` for `flags=b` (with the harness's one proxy worker,
//! the command, or the XINFO that fixes what its `$` stands for, is on its
//! shard's link by then, so an XADD sent after it is seen after it).

mod common;

use std::time::{Duration, Instant};

use common::{
    arr, bulk, bulks, encode, err, frame_len, int, key_on_shard, wait_until, Opts, Raw, Server,
    IO_TIMEOUT, NIL, OK,
};

const SHARDS: usize = 3;
/// RESP2's null array (XREAD's timeout, a read with nothing new).
const NULL_ARRAY: &str = "*-1\r\n";

/// One key `prefix:N` on each shard, in shard order.
fn keys_per_shard(prefix: &str) -> Vec<String> {
    (0..SHARDS)
        .map(|s| key_on_shard(prefix, s, SHARDS))
        .collect()
}

/// A command line split at its spaces (no argument here has one).
fn line(text: &str) -> Vec<&str> {
    text.split(' ').collect()
}

/// A stream entry as XRANGE and XREAD send it.
fn entry(id: &str, fields: &[&str]) -> String {
    arr(&[bulk(id), bulks(fields)])
}

/// One stream of an XREAD/XREADGROUP reply: its key and its entries.
fn stream<S: AsRef<str>>(key: &str, entries: &[S]) -> String {
    arr(&[bulk(key), arr(entries)])
}

/// The text of a bulk-string reply.
fn bulk_text(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply);
    let (head, rest) = text
        .split_once("\r\n")
        .unwrap_or_else(|| panic!("not a bulk string: {text:?}"));
    assert!(head.starts_with('$'), "not a bulk string: {text:?}");
    rest.trim_end_matches("\r\n").to_string()
}

/// Sends XADD and returns the id it answered.
fn xadd(c: &mut Raw, args: &[&str]) -> String {
    let mut cmd = vec!["XADD"];
    cmd.extend_from_slice(args);
    bulk_text(&c.cmd(&cmd))
}

/// A stream id's two parts.
fn id_parts(id: &str) -> (u64, u64) {
    let (ms, seq) = id
        .split_once('-')
        .unwrap_or_else(|| panic!("not a stream id: {id}"));
    (
        ms.parse().expect("the id's milliseconds"),
        seq.parse().expect("the id's sequence"),
    )
}

/// The raw element frames of an array reply.
fn elements(reply: &[u8]) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(reply);
    assert!(reply.starts_with(b"*"), "not an array: {text:?}");
    let nl = reply
        .windows(2)
        .position(|w| w == b"\r\n")
        .expect("an array header");
    let n: usize = text[1..nl].parse().expect("an array length");
    let mut at = nl + 2;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let len = frame_len(&reply[at..]).unwrap_or_else(|| panic!("a whole array: {text:?}"));
        out.push(reply[at..at + len].to_vec());
        at += len;
    }
    out
}

/// The (name, raw value) pairs of a flat field/value array (XINFO's
/// replies), without the fields named in `skip`.
fn fields(reply: &[u8], skip: &[&str]) -> Vec<(String, String)> {
    elements(reply)
        .chunks(2)
        .map(|p| {
            (
                bulk_text(&p[0]),
                String::from_utf8_lossy(&p[1]).into_owned(),
            )
        })
        .filter(|(name, _)| !skip.contains(&name.as_str()))
        .collect()
}

/// XINFO STREAM's fields but the radix tree's (how the entries are kept,
/// not what they are).
fn xinfo_stream(c: &mut Raw, key: &str) -> Vec<(String, String)> {
    fields(
        &c.cmd(&["XINFO", "STREAM", key]),
        &["radix-tree-keys", "radix-tree-nodes"],
    )
}

/// XINFO CONSUMERS without the idle times: (name, pending) per consumer.
fn consumers(c: &mut Raw, key: &str, group: &str) -> Vec<Vec<(String, String)>> {
    elements(&c.cmd(&["XINFO", "CONSUMERS", key, group]))
        .iter()
        .map(|e| fields(e, &["idle"]))
        .collect()
}

/// XINFO CONSUMERS's expected fields for `(name, pending)`s.
fn want_consumers(list: &[(&str, i64)]) -> Vec<Vec<(String, String)>> {
    list.iter()
        .map(|(name, pending)| {
            vec![
                ("name".to_string(), bulk(name)),
                ("pending".to_string(), int(*pending)),
            ]
        })
        .collect()
}

/// XINFO GROUPS's reply for one group.
fn group_info(
    name: &str,
    consumers: i64,
    pending: i64,
    last_delivered: &str,
    entries_read: Option<i64>,
    lag: Option<i64>,
) -> String {
    arr(&[
        bulk("name"),
        bulk(name),
        bulk("consumers"),
        int(consumers),
        bulk("pending"),
        int(pending),
        bulk("last-delivered-id"),
        bulk(last_delivered),
        bulk("entries-read"),
        entries_read.map_or(NIL.to_string(), int),
        bulk("lag"),
        lag.map_or(NIL.to_string(), int),
    ])
}

/// XPENDING's extended form without the idle times: (id, owner,
/// deliveries) per pending entry.
fn pending(c: &mut Raw, key: &str, group: &str) -> Vec<(String, String, i64)> {
    pending_with_idle(c, key, group)
        .into_iter()
        .map(|(id, owner, _, n)| (id, owner, n))
        .collect()
}

/// XPENDING's extended form: (id, owner, idle ms, deliveries).
fn pending_with_idle(c: &mut Raw, key: &str, group: &str) -> Vec<(String, String, i64, i64)> {
    pending_rows(c, &["XPENDING", key, group, "-", "+", "100"])
}

/// The rows of an extended XPENDING `args`: (id, owner, idle ms,
/// deliveries).
fn pending_rows(c: &mut Raw, args: &[&str]) -> Vec<(String, String, i64, i64)> {
    let reply = c.cmd(args);
    elements(&reply)
        .iter()
        .map(|e| {
            let parts = elements(e);
            assert_eq!(parts.len(), 4, "{:?}", String::from_utf8_lossy(e));
            let num = |p: &[u8]| -> i64 {
                String::from_utf8_lossy(p)
                    .trim_start_matches(':')
                    .trim_end()
                    .parse()
                    .expect("an integer")
            };
            (
                bulk_text(&parts[0]),
                bulk_text(&parts[1]),
                num(&parts[2]),
                num(&parts[3]),
            )
        })
        .collect()
}

/// Expected [`pending`] rows.
fn want_pending(rows: &[(&str, &str, i64)]) -> Vec<(String, String, i64)> {
    rows.iter()
        .map(|(id, owner, n)| (id.to_string(), owner.to_string(), *n))
        .collect()
}

/// The connection's `CLIENT ID`.
fn client_id(c: &mut Raw) -> String {
    let reply = c.cmd_str(&["CLIENT", "ID"]);
    reply
        .strip_prefix(':')
        .map(|r| r.trim_end().to_string())
        .unwrap_or_else(|| panic!("CLIENT ID: {reply:?}"))
}

/// Waits until client `id` is in a blocking command's wait.
fn wait_blocked(c: &mut Raw, id: &str) {
    wait_until(IO_TIMEOUT, &format!("client {id} to block"), || {
        c.cmd_str(&["CLIENT", "LIST", "ID", id])
            .contains(" flags=b ")
    });
}

/// A connection that sends `args` (a blocking command) and waits until
/// the server has it waiting; `watch` polls.
fn send_blocked(s: &Server, watch: &mut Raw, args: &[&str]) -> Raw {
    let mut blocked = s.raw();
    let id = client_id(&mut blocked);
    blocked.send(&encode(args));
    wait_blocked(watch, &id);
    blocked
}

/// Asserts the next reply on `c` is `want`.
#[track_caller]
fn expect_reply(c: &mut Raw, want: impl AsRef<str>, what: &str) {
    let got = c.read_reply();
    assert_eq!(String::from_utf8_lossy(&got), want.as_ref(), "{what}");
}

#[test]
fn add_range_read_delete_and_trim_on_keys_of_every_shard() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = keys_per_shard("events");
    let (a, b, d) = (k[0].as_str(), k[1].as_str(), k[2].as_str());
    let shards: Vec<usize> = k.iter().map(|k| s.shard_of(k)).collect();
    assert_eq!(shards, [0, 1, 2]);

    // `*` ids: time-based, increasing.
    let a1 = xadd(&mut c, &[a, "*", "f", "1"]);
    let a2 = xadd(&mut c, &[a, "*", "f", "2"]);
    assert!(id_parts(&a2) > id_parts(&a1), "{a1} then {a2}");
    // Explicit ids, a bare milliseconds part and `ms-*`.
    c.expect(&["XADD", b, "1-1", "f", "1"], bulk("1-1"));
    c.expect(&["XADD", b, "1-2", "f", "2"], bulk("1-2"));
    c.expect(&["XADD", b, "5", "f", "3"], bulk("5-0"));
    c.expect(&["XADD", d, "1000-0", "x", "y"], bulk("1000-0"));
    c.expect(&["XADD", d, "1000-*", "z", "w"], bulk("1000-1"));
    c.expect(
        &["XADD", b, "5-0", "f", "4"],
        err("ERR The ID specified in XADD is equal or smaller than the target stream top item"),
    );
    c.expect(&["XLEN", a], int(2));
    c.expect(&["XLEN", b], int(3));
    c.expect(&["XLEN", d], int(2));
    c.expect(&["XLEN", "events:none"], int(0));

    let (b1, b2, b5) = (
        entry("1-1", &["f", "1"]),
        entry("1-2", &["f", "2"]),
        entry("5-0", &["f", "3"]),
    );
    let (d1, d2) = (entry("1000-0", &["x", "y"]), entry("1000-1", &["z", "w"]));
    let (ea1, ea2) = (entry(&a1, &["f", "1"]), entry(&a2, &["f", "2"]));
    c.expect(&["XRANGE", b, "-", "+"], arr(&[&b1, &b2, &b5]));
    c.expect(&["XRANGE", b, "-", "+", "COUNT", "2"], arr(&[&b1, &b2]));
    c.expect(&["XRANGE", b, "(1-1", "+"], arr(&[&b2, &b5]));
    c.expect(&["XRANGE", b, "1-2", "4"], arr(&[&b2]));
    c.expect(&["XREVRANGE", b, "+", "-", "COUNT", "2"], arr(&[&b5, &b2]));
    c.expect(&["XREVRANGE", a, "+", "-"], arr(&[&ea2, &ea1]));
    c.expect(&["XRANGE", "events:none", "-", "+"], "*0\r\n");

    // XREAD over keys of three shards: each key's entries, in argument order.
    c.expect(
        &["XREAD", "COUNT", "1", "STREAMS", b, d, a, "0", "0", "0"],
        arr(&[stream(b, &[&b1]), stream(d, &[&d1]), stream(a, &[&ea1])]),
    );
    c.expect(
        &[
            "XREAD", "COUNT", "5", "STREAMS", d, a, b, "1000-0", "0", "1-1",
        ],
        arr(&[
            stream(d, &[&d2]),
            stream(a, &[&ea1, &ea2]),
            stream(b, &[&b2, &b5]),
        ]),
    );
    // Keys with nothing after the id given are left out; none: null.
    c.expect(
        &line(&format!(
            "XREAD STREAMS {a} {b} {d} events:none {a2} 5-0 0 0"
        )),
        arr(&[stream(d, &[&d1, &d2])]),
    );
    c.expect(&["XREAD", "STREAMS", a, b, d, "$", "$", "$"], NULL_ARRAY);

    // XDEL: only existing ids count.
    c.expect(&["XDEL", b, "1-2", "9-9"], int(1));
    c.expect(&["XRANGE", b, "-", "+"], arr(&[&b1, &b5]));
    // XTRIM MAXLEN and MINID.
    c.expect(&["XTRIM", b, "MAXLEN", "1"], int(1));
    c.expect(&["XRANGE", b, "-", "+"], arr(&[&b5]));
    c.expect(&["XADD", d, "2000-0", "f", "v"], bulk("2000-0"));
    c.expect(&["XADD", d, "3000-0", "f", "w"], bulk("3000-0"));
    c.expect(&["XTRIM", d, "MINID", "2000-0"], int(2));
    c.expect(
        &["XRANGE", d, "-", "+"],
        arr(&[entry("2000-0", &["f", "v"]), entry("3000-0", &["f", "w"])]),
    );
    c.expect(&["XTRIM", d, "MAXLEN", "=", "5"], int(0));
    // XADD with a trim.
    let a3 = xadd(&mut c, &[a, "MAXLEN", "1", "*", "f", "3"]);
    c.expect(&["XRANGE", a, "-", "+"], arr(&[entry(&a3, &["f", "3"])]));
    c.expect(&["XADD", "events:none", "NOMKSTREAM", "*", "f", "v"], NIL);
    c.expect(&["EXISTS", "events:none"], int(0));

    // What XDEL and XTRIM left, as XINFO STREAM tells it.
    let info = xinfo_stream(&mut c, b);
    let want: Vec<(String, String)> = [
        ("length", int(1)),
        ("last-generated-id", bulk("5-0")),
        ("max-deleted-entry-id", bulk("1-2")),
        ("entries-added", int(3)),
        ("recorded-first-entry-id", bulk("5-0")),
        ("groups", int(0)),
        ("first-entry", b5.clone()),
        ("last-entry", b5.clone()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    assert_eq!(info, want);
    c.expect(&["TYPE", b], "+stream\r\n");
    c.expect(&["DEL", a, b, d], int(3));
}

#[test]
fn a_blocked_xread_on_one_key_gets_the_entry_added_by_another_client() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = key_on_shard("feed", 1, SHARDS);
    c.expect(&["XADD", &k, "1-0", "old", "x"], bulk("1-0"));
    let mut blocked = send_blocked(&s, &mut c, &["XREAD", "BLOCK", "0", "STREAMS", &k, "$"]);
    let id = xadd(&mut c, &[&k, "*", "new", "y"]);
    expect_reply(
        &mut blocked,
        arr(&[stream(&k, &[entry(&id, &["new", "y"])])]),
        "the woken XREAD",
    );
    // Served once: the connection is free again.
    blocked.expect(&["XLEN", &k], int(2));

    // A missing key, with COUNT: the first entry added wakes it.
    let fresh = key_on_shard("feed:fresh", 2, SHARDS);
    let mut blocked = send_blocked(
        &s,
        &mut c,
        &["XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", &fresh, "$"],
    );
    c.expect(&["XADD", &fresh, "7-1", "a", "1", "b", "2"], bulk("7-1"));
    expect_reply(
        &mut blocked,
        arr(&[stream(&fresh, &[entry("7-1", &["a", "1", "b", "2"])])]),
        "the XREAD woken by the key's first entry",
    );
}

#[test]
fn a_blocked_xread_with_a_timeout_returns_nil() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = keys_per_shard("quiet");
    c.expect(&["XADD", &k[0], "1-0", "f", "v"], bulk("1-0"));
    for args in [
        vec!["XREAD", "BLOCK", "200", "STREAMS", &k[0], "$"],
        // Over two shards.
        vec!["XREAD", "BLOCK", "200", "STREAMS", &k[0], &k[1], "$", "$"],
        vec![
            "XREAD", "COUNT", "3", "BLOCK", "200", "STREAMS", &k[0], &k[1], &k[2], "1-0", "$", "0",
        ],
    ] {
        let start = Instant::now();
        c.expect(&args, NULL_ARRAY);
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(5),
            "{args:?} took {took:?}"
        );
    }
    // Something there already: no wait.
    c.expect(
        &["XREAD", "BLOCK", "0", "STREAMS", &k[1], &k[0], "$", "0"],
        arr(&[stream(&k[0], &[entry("1-0", &["f", "v"])])]),
    );
}

#[test]
fn a_blocked_xread_over_two_shards_is_woken_by_an_xadd_to_the_second_key() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = keys_per_shard("pair");
    let (first, second) = (k[0].as_str(), k[2].as_str());
    assert_ne!(s.shard_of(first), s.shard_of(second));
    c.expect(&["XADD", first, "5-0", "f", "old"], bulk("5-0"));
    let mut blocked = send_blocked(
        &s,
        &mut c,
        &["XREAD", "BLOCK", "0", "STREAMS", first, second, "$", "$"],
    );
    let id = xadd(&mut c, &[second, "*", "f", "new"]);
    expect_reply(
        &mut blocked,
        arr(&[stream(second, &[entry(&id, &["f", "new"])])]),
        "the XREAD over two shards",
    );
    // An entry added to the first key wakes it as well; the second's
    // entries before the ids given are not read again.
    let mut blocked = send_blocked(
        &s,
        &mut c,
        &["XREAD", "BLOCK", "0", "STREAMS", second, first, &id, "$"],
    );
    c.expect(&["XADD", first, "6-0", "f", "newer"], bulk("6-0"));
    expect_reply(
        &mut blocked,
        arr(&[stream(first, &[entry("6-0", &["f", "newer"])])]),
        "the XREAD woken by the first key",
    );
    // Over all three shards with a timeout, woken before it.
    let mut blocked = send_blocked(
        &s,
        &mut c,
        &[
            "XREAD", "BLOCK", "5000", "STREAMS", &k[0], &k[1], &k[2], "$", "$", "$",
        ],
    );
    c.expect(&["XADD", &k[1], "1-1", "m", "1"], bulk("1-1"));
    expect_reply(
        &mut blocked,
        arr(&[stream(&k[1], &[entry("1-1", &["m", "1"])])]),
        "the XREAD over three shards",
    );
}

#[test]
fn a_blocked_xreadgroup_is_woken_by_an_xadd() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = keys_per_shard("jobs");
    for key in &k {
        c.expect(&["XGROUP", "CREATE", key, "workers", "$", "MKSTREAM"], OK);
    }
    // One key.
    let mut blocked = send_blocked(
        &s,
        &mut c,
        &line(&format!(
            "XREADGROUP GROUP workers w1 BLOCK 0 STREAMS {} >",
            k[0]
        )),
    );
    let id = xadd(&mut c, &[&k[0], "*", "job", "1"]);
    expect_reply(
        &mut blocked,
        arr(&[stream(&k[0], &[entry(&id, &["job", "1"])])]),
        "the woken XREADGROUP",
    );
    assert_eq!(
        pending(&mut c, &k[0], "workers"),
        want_pending(&[(&id, "w1", 1)])
    );
    c.expect(
        &["XINFO", "GROUPS", &k[0]],
        arr(&[group_info("workers", 1, 1, &id, Some(1), Some(0))]),
    );
    // A second consumer, with COUNT.
    let mut blocked = send_blocked(
        &s,
        &mut c,
        &line(&format!(
            "XREADGROUP GROUP workers w2 COUNT 1 BLOCK 0 STREAMS {} >",
            k[0]
        )),
    );
    let id2 = xadd(&mut c, &[&k[0], "*", "job", "2"]);
    expect_reply(
        &mut blocked,
        arr(&[stream(&k[0], &[entry(&id2, &["job", "2"])])]),
        "the woken XREADGROUP with COUNT",
    );
    // Over keys of two shards: woken by the second key's entry (that the
    // delivery is recorded: a test of its own below).
    let mut blocked = send_blocked(
        &s,
        &mut c,
        &line(&format!(
            "XREADGROUP GROUP workers w3 BLOCK 0 STREAMS {} {} > >",
            k[1], k[2]
        )),
    );
    c.expect(&["XADD", &k[2], "3-0", "job", "3"], bulk("3-0"));
    expect_reply(
        &mut blocked,
        arr(&[stream(&k[2], &[entry("3-0", &["job", "3"])])]),
        "the XREADGROUP over two shards",
    );
}

#[test]
fn a_blocked_xreadgroup_ends_when_its_group_or_key_goes() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = key_on_shard("gone", 0, SHARDS);
    let read = format!("XREADGROUP GROUP g c BLOCK 0 STREAMS {k} >");
    let read = line(&read);

    c.expect(&["XGROUP", "CREATE", &k, "g", "$", "MKSTREAM"], OK);
    let mut blocked = send_blocked(&s, &mut c, &read);
    c.expect(&["XGROUP", "DESTROY", &k, "g"], int(1));
    expect_reply(
        &mut blocked,
        err("NOGROUP the consumer group this client was blocked on no longer exists"),
        "XREADGROUP when its group was destroyed",
    );

    c.expect(&["XGROUP", "CREATE", &k, "g", "$"], OK);
    let mut blocked = send_blocked(&s, &mut c, &read);
    c.expect(&["DEL", &k], int(1));
    expect_reply(
        &mut blocked,
        err("UNBLOCKED the stream key no longer exists"),
        "XREADGROUP when its key was deleted",
    );

    // The key replaced by a value of another type.
    c.expect(&["XGROUP", "CREATE", &k, "g", "$", "MKSTREAM"], OK);
    let mut blocked = send_blocked(&s, &mut c, &read);
    c.expect(&["SET", &k, "v"], OK);
    expect_reply(
        &mut blocked,
        err("UNBLOCKED the stream key no longer exists"),
        "XREADGROUP when its key was overwritten",
    );

    // FLUSHALL.
    c.expect(&["DEL", &k], int(1));
    c.expect(&["XGROUP", "CREATE", &k, "g", "$", "MKSTREAM"], OK);
    let mut blocked = send_blocked(&s, &mut c, &read);
    c.expect(&["FLUSHALL"], OK);
    expect_reply(
        &mut blocked,
        err("UNBLOCKED the stream key no longer exists"),
        "XREADGROUP after FLUSHALL",
    );
    blocked.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn client_unblock_ends_a_blocked_xread() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = keys_per_shard("held");
    c.expect(&["XADD", &k[0], "1-0", "f", "v"], bulk("1-0"));
    let one: &[&str] = &["XREAD", "BLOCK", "0", "STREAMS", &k[0], "$"];
    let two: &[&str] = &["XREAD", "BLOCK", "0", "STREAMS", &k[0], &k[1], "$", "$"];
    for args in [one, two] {
        let mut blocked = s.raw();
        let id = client_id(&mut blocked);
        // TIMEOUT (the default): the timeout's null.
        blocked.send(&encode(args));
        wait_blocked(&mut c, &id);
        c.expect(&["CLIENT", "UNBLOCK", &id], int(1));
        expect_reply(&mut blocked, NULL_ARRAY, "XREAD after CLIENT UNBLOCK");
        // ERROR: Redis's error.
        blocked.send(&encode(args));
        wait_blocked(&mut c, &id);
        c.expect(&["CLIENT", "UNBLOCK", &id, "ERROR"], int(1));
        expect_reply(
            &mut blocked,
            err("UNBLOCKED client unblocked via CLIENT UNBLOCK"),
            "XREAD after CLIENT UNBLOCK ERROR",
        );
        // No longer blocked.
        c.expect(&["CLIENT", "UNBLOCK", &id], int(0));
        blocked.expect(&["XLEN", &k[0]], int(1));
    }
}

#[test]
fn consumer_groups_deliver_track_claim_and_report() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = key_on_shard("orders", 2, SHARDS);
    let k = k.as_str();
    c.expect(&["XGROUP", "CREATE", k, "g", "$", "MKSTREAM"], OK);
    c.expect(
        &["XGROUP", "CREATE", k, "g", "$"],
        err("BUSYGROUP Consumer Group name already exists"),
    );
    c.expect(
        &["XGROUP", "CREATE", "orders:none", "g", "$"],
        err(
            "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may \
             want to use the MKSTREAM option to create an empty stream automatically.",
        ),
    );
    c.expect(
        &["XINFO", "GROUPS", k],
        arr(&[group_info("g", 0, 0, "0-0", None, Some(0))]),
    );
    let e: Vec<String> = (1..=4)
        .map(|i| entry(&format!("{i}-0"), &["n", &i.to_string()]))
        .collect();
    for i in 1..=4 {
        let id = format!("{i}-0");
        c.expect(&["XADD", k, &id, "n", &i.to_string()], bulk(&id));
    }

    // Two consumers share the new entries.
    c.expect(
        &line(&format!("XREADGROUP GROUP g alice COUNT 2 STREAMS {k} >")),
        arr(&[stream(k, &e[0..2])]),
    );
    c.expect(
        &line(&format!("XREADGROUP GROUP g bob COUNT 1 STREAMS {k} >")),
        arr(&[stream(k, &e[2..3])]),
    );
    c.expect(
        &["XPENDING", k, "g"],
        arr(&[
            int(3),
            bulk("1-0"),
            bulk("3-0"),
            arr(&[bulks(&["alice", "2"]), bulks(&["bob", "1"])]),
        ]),
    );
    c.expect(
        &["XINFO", "GROUPS", k],
        arr(&[group_info("g", 2, 3, "3-0", Some(3), Some(1))]),
    );
    // A consumer's history (delivered again: counted).
    c.expect(
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", k, "0"],
        arr(&[stream(k, &e[0..2])]),
    );
    c.expect(&["XACK", k, "g", "1-0", "9-0"], int(1));
    c.expect(&["XACK", k, "g", "1-0"], int(0));
    assert_eq!(
        pending(&mut c, k, "g"),
        want_pending(&[("2-0", "alice", 2), ("3-0", "bob", 1)])
    );
    let bobs: Vec<(String, String, i64)> =
        pending_rows(&mut c, &["XPENDING", k, "g", "-", "+", "10", "bob"])
            .into_iter()
            .map(|(id, owner, _, n)| (id, owner, n))
            .collect();
    assert_eq!(bobs, want_pending(&[("3-0", "bob", 1)]));

    // XCLAIM: JUSTID keeps the delivery count, the full form adds one.
    c.expect(
        &["XCLAIM", k, "g", "carol", "0", "2-0", "JUSTID"],
        bulks(&["2-0"]),
    );
    c.expect(&["XCLAIM", k, "g", "carol", "0", "3-0"], arr(&e[2..3]));
    assert_eq!(
        pending(&mut c, k, "g"),
        want_pending(&[("2-0", "carol", 2), ("3-0", "carol", 2)])
    );
    // Not idle long enough, or not pending: nothing.
    c.expect(&["XCLAIM", k, "g", "dave", "3600000", "2-0"], "*0\r\n");
    c.expect(&["XCLAIM", k, "g", "dave", "0", "4-0"], "*0\r\n");
    c.expect(
        &["XPENDING", k, "g"],
        arr(&[
            int(2),
            bulk("2-0"),
            bulk("3-0"),
            arr(&[bulks(&["carol", "2"])]),
        ]),
    );

    // XAUTOCLAIM: a page, then the rest; JUSTID.
    c.expect(
        &["XAUTOCLAIM", k, "g", "dave", "0", "0", "COUNT", "1"],
        arr(&[bulk("3-0"), arr(&e[1..2]), "*0\r\n".to_string()]),
    );
    c.expect(
        &["XAUTOCLAIM", k, "g", "dave", "0", "3-0", "JUSTID"],
        arr(&[bulk("0-0"), bulks(&["3-0"]), "*0\r\n".to_string()]),
    );
    assert_eq!(
        pending(&mut c, k, "g"),
        want_pending(&[("2-0", "dave", 3), ("3-0", "dave", 2)])
    );
    // An entry deleted while pending: reported and dropped from the PEL.
    c.expect(&["XDEL", k, "3-0"], int(1));
    c.expect(
        &["XAUTOCLAIM", k, "g", "erin", "0", "0"],
        arr(&[bulk("0-0"), arr(&e[1..2]), bulks(&["3-0"])]),
    );
    assert_eq!(pending(&mut c, k, "g"), want_pending(&[("2-0", "erin", 4)]));

    // What XINFO tells of it all.
    assert_eq!(
        consumers(&mut c, k, "g"),
        want_consumers(&[
            ("alice", 0),
            ("bob", 0),
            ("carol", 0),
            ("dave", 0),
            ("erin", 1)
        ])
    );
    c.expect(
        &["XINFO", "GROUPS", k],
        arr(&[group_info("g", 5, 1, "3-0", Some(3), None)]),
    );
    let want: Vec<(String, String)> = [
        ("length", int(3)),
        ("last-generated-id", bulk("4-0")),
        ("max-deleted-entry-id", bulk("3-0")),
        ("entries-added", int(4)),
        ("recorded-first-entry-id", bulk("1-0")),
        ("groups", int(1)),
        ("first-entry", e[0].clone()),
        ("last-entry", e[3].clone()),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v))
    .collect();
    assert_eq!(xinfo_stream(&mut c, k), want);

    // The rest of the stream, a second group, consumers managed by hand.
    c.expect(
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", k, ">"],
        arr(&[stream(k, &e[3..4])]),
    );
    c.expect(
        &["XREADGROUP", "GROUP", "g", "alice", "STREAMS", k, ">"],
        NULL_ARRAY,
    );
    c.expect(&["XGROUP", "CREATE", k, "audit", "0"], OK);
    c.expect(&["XGROUP", "CREATECONSUMER", k, "audit", "zed"], int(1));
    c.expect(&["XGROUP", "CREATECONSUMER", k, "audit", "zed"], int(0));
    c.expect(
        &["XINFO", "GROUPS", k],
        arr(&[
            group_info("audit", 1, 0, "0-0", None, None),
            group_info("g", 5, 2, "4-0", Some(4), Some(0)),
        ]),
    );
    c.expect(&["XGROUP", "DELCONSUMER", k, "g", "erin"], int(1));
    c.expect(&["XGROUP", "SETID", k, "g", "0", "ENTRIESREAD", "0"], OK);
    c.expect(
        &["XINFO", "GROUPS", k],
        arr(&[
            group_info("audit", 1, 0, "0-0", None, None),
            group_info("g", 4, 1, "0-0", Some(0), None),
        ]),
    );
    c.expect(&["XGROUP", "DESTROY", k, "audit"], int(1));
    c.expect(&["XGROUP", "DESTROY", k, "audit"], int(0));
    c.expect(
        &["XREADGROUP", "GROUP", "audit", "zed", "STREAMS", k, ">"],
        err(&format!(
            "NOGROUP No such key '{k}' or consumer group 'audit' in XREADGROUP with GROUP option"
        )),
    );
}

/// What a stream and its group look like, to compare before and after.
#[derive(Debug, PartialEq)]
struct Snapshot {
    range: String,
    info: Vec<(String, String)>,
    groups: String,
    summary: String,
    pending: Vec<(String, String, i64)>,
    consumers: Vec<Vec<(String, String)>>,
}

fn snapshot(c: &mut Raw, key: &str) -> Snapshot {
    Snapshot {
        range: c.cmd_str(&["XRANGE", key, "-", "+"]),
        info: xinfo_stream(c, key),
        groups: c.cmd_str(&["XINFO", "GROUPS", key]),
        summary: c.cmd_str(&["XPENDING", key, "g"]),
        pending: pending(c, key, "g"),
        consumers: consumers(c, key, "g"),
    }
}

/// Builds, on `key`, a stream of five `*` entries with one deleted, a
/// group that delivered three (one acknowledged, one claimed by another
/// consumer, one claimed with an idle time of 100 s); returns the ids.
fn build_stream_with_a_group(c: &mut Raw, key: &str) -> Vec<String> {
    let ids: Vec<String> = (0..5)
        .map(|i| xadd(c, &[key, "*", "n", &i.to_string(), "payload", "x"]))
        .collect();
    c.expect(&["XGROUP", "CREATE", key, "g", "0"], OK);
    let got = c.cmd(&line(&format!(
        "XREADGROUP GROUP g alice COUNT 3 STREAMS {key} >"
    )));
    assert_eq!(elements(&elements(&elements(&got)[0])[1]).len(), 3);
    c.expect(
        &["XCLAIM", key, "g", "bob", "0", &ids[1], "JUSTID"],
        bulks(&[&ids[1]]),
    );
    let claimed = c.cmd(&["XCLAIM", key, "g", "bob", "0", &ids[2], "IDLE", "100000"]);
    assert_eq!(elements(&claimed).len(), 1);
    c.expect(&["XACK", key, "g", &ids[0]], int(1));
    c.expect(&["XDEL", key, &ids[4]], int(1));
    ids
}

#[test]
fn streams_and_their_groups_survive_shards_killed_with_sigkill() {
    let s = Server::start(Opts::shards(SHARDS).flag("--appendfsync", "always"));
    let mut c = s.raw();
    let keys = keys_per_shard("durable");
    let ids: Vec<Vec<String>> = keys
        .iter()
        .map(|k| build_stream_with_a_group(&mut c, k))
        .collect();
    let before: Vec<Snapshot> = keys.iter().map(|k| snapshot(&mut c, k)).collect();
    assert_eq!(
        before[0].pending,
        want_pending(&[(&ids[0][1], "bob", 1), (&ids[0][2], "bob", 2)])
    );

    s.kill_every_shard(SHARDS);

    let mut c = s.raw();
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(snapshot(&mut c, k), before[i], "{k} after the restart");
        // The claim's delivery time came back as it was, not as the time
        // of the replay.
        let idle = pending_with_idle(&mut c, k, "g")
            .into_iter()
            .find(|r| r.0 == ids[i][2])
            .map(|r| r.2);
        assert!(idle.is_some_and(|ms| ms >= 100_000), "{k}: idle {idle:?}");
        // The group goes on where it stopped; new ids stay above the last.
        c.expect(
            &["XREADGROUP", "GROUP", "g", "carol", "STREAMS", k, ">"],
            arr(&[stream(k, &[entry(&ids[i][3], &["n", "3", "payload", "x"])])]),
        );
        let next = xadd(&mut c, &[k, "*", "n", "5"]);
        assert!(
            id_parts(&next) > id_parts(&ids[i][4]),
            "{next} after {:?}",
            ids[i]
        );
    }
}

#[test]
fn dump_restore_and_copy_give_an_equal_stream_and_groups() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let src = key_on_shard("src", 0, SHARDS);
    build_stream_with_a_group(&mut c, &src);
    let want = snapshot(&mut c, &src);

    let mut con = s.client();
    let payload: Vec<u8> = redis::cmd("DUMP").arg(&src).query(&mut con).expect("DUMP");
    // To a key of another shard, and of the same one.
    for dst in [
        key_on_shard("restored", 1, SHARDS),
        format!("{{{src}}}:restored"),
    ] {
        let ok: String = redis::cmd("RESTORE")
            .arg(&dst)
            .arg(0)
            .arg(&payload)
            .query(&mut con)
            .expect("RESTORE");
        assert_eq!(ok, "OK");
        assert_eq!(snapshot(&mut c, &dst), want, "RESTOREd to {dst}");
    }
    for dst in [
        key_on_shard("copied", 2, SHARDS),
        format!("{{{src}}}:copied"),
    ] {
        c.expect(&["COPY", &src, &dst], int(1));
        assert_eq!(snapshot(&mut c, &dst), want, "COPY to {dst}");
    }
    // Each copy has its own group: reading one leaves the others.
    let copy = key_on_shard("copied", 2, SHARDS);
    c.expect(&["XGROUP", "DESTROY", &copy, "g"], int(1));
    assert_eq!(snapshot(&mut c, &src), want);
}

#[test]
fn bad_input_is_refused_like_redis_and_changes_nothing() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = key_on_shard("strict", 1, SHARDS);
    c.expect(&["XADD", &k, "1-1", "f", "v"], bulk("1-1"));
    let before = xinfo_stream(&mut c, &k);
    let invalid = err("ERR Invalid stream ID specified as stream command argument");
    c.expect(&["XADD", &k, "18446744073709551616-0", "f", "v"], &invalid);
    c.expect(&["XADD", &k, "1-18446744073709551616", "f", "v"], &invalid);
    c.expect(&["XADD", &k, "abc", "f", "v"], &invalid);
    c.expect(
        &["XADD", &k, "0-0", "f", "v"],
        err("ERR The ID specified in XADD must be greater than 0-0"),
    );
    let not_int = err("ERR value is not an integer or out of range");
    c.expect(&["XREAD", "COUNT", "abc", "STREAMS", &k, "0"], &not_int);
    c.expect(
        &["XREAD", "BLOCK", "abc", "STREAMS", &k, "0"],
        err("ERR timeout is not an integer or out of range"),
    );
    c.expect(&["XRANGE", &k, "-", "+", "COUNT", "abc"], not_int);
    c.expect(&["XRANGE", &k, "x", "+"], invalid);
    c.expect(&["XLEN", &k], int(1));
    assert_eq!(xinfo_stream(&mut c, &k), before);
    c.expect(
        &["XADD", "strict:none", "18446744073709551616-0", "f", "v"],
        err("ERR Invalid stream ID specified as stream command argument"),
    );
    c.expect(&["EXISTS", "strict:none"], int(0));

    // Another type under the key.
    let wrongtype = err("WRONGTYPE Operation against a key holding the wrong kind of value");
    let text = key_on_shard("strict:text", 2, SHARDS);
    c.expect(&["SET", &text, "hello"], OK);
    c.expect(&["XADD", &text, "*", "f", "v"], &wrongtype);
    c.expect(&["XLEN", &text], &wrongtype);
    c.expect(&["XRANGE", &text, "-", "+"], &wrongtype);
    c.expect(&["XREAD", "STREAMS", &k, &text, "0", "0"], &wrongtype);
    c.expect(
        &["XREAD", "BLOCK", "100", "STREAMS", &k, &text, "$", "$"],
        &wrongtype,
    );
    c.expect(&["XGROUP", "CREATE", &text, "g", "$"], wrongtype);
    c.expect(&["GET", &text], bulk("hello"));
    c.expect(&["TYPE", &text], "+string\r\n");
}

/// Redis 7.0 records an XREADGROUP's deliveries on every key it reads.
/// Over keys on several shards only the first key's shard records them:
/// the entries of the keys on other shards are answered but get no
/// pending entry, no consumer, no new last-delivered-id or entries-read,
/// so the next `>` read delivers them again. The same with BLOCK, woken
/// by an XADD to a key of another shard. (XREADGROUP's key spec is `RO`
/// in Redis's command table, and the proxy, running a command over keys
/// of several shards on copies, takes home only the copies of keys
/// flagged as written: `proxy/src/xtx.rs`, `run_on_copies`.)
#[test]
fn xreadgroup_over_keys_on_several_shards_records_every_delivery() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = keys_per_shard("spread");
    for key in &k {
        c.expect(&["XADD", key, "1-0", "f", "v"], bulk("1-0"));
        c.expect(&["XGROUP", "CREATE", key, "g", "0"], OK);
    }
    let read = format!(
        "XREADGROUP GROUP g c STREAMS {} {} {} > > >",
        k[0], k[1], k[2]
    );
    let one = |key: &str| stream(key, &[entry("1-0", &["f", "v"])]);
    c.expect(&line(&read), arr(&[one(&k[0]), one(&k[1]), one(&k[2])]));
    let again = c.cmd_str(&line(&read));
    // Blocked over two shards, woken by the second key's entry.
    let kb = keys_per_shard("spread:blocked");
    for key in &kb[..2] {
        c.expect(&["XGROUP", "CREATE", key, "g", "$", "MKSTREAM"], OK);
    }
    let blocking = format!(
        "XREADGROUP GROUP g c BLOCK 0 STREAMS {} {} > >",
        kb[0], kb[1]
    );
    let mut blocked = send_blocked(&s, &mut c, &line(&blocking));
    c.expect(&["XADD", &kb[1], "2-0", "f", "w"], bulk("2-0"));
    expect_reply(
        &mut blocked,
        arr(&[stream(&kb[1], &[entry("2-0", &["f", "w"])])]),
        "the blocked XREADGROUP",
    );

    // Every key's pending entries and group, compared at once.
    type State = (String, Vec<(String, String, i64)>, String);
    let mut got: Vec<State> = Vec::new();
    let mut want: Vec<State> = Vec::new();
    for (key, id) in k.iter().map(|k| (k, "1-0")).chain([(&kb[1], "2-0")]) {
        let groups = c.cmd_str(&["XINFO", "GROUPS", key]);
        got.push((key.clone(), pending(&mut c, key, "g"), groups));
        want.push((
            key.clone(),
            want_pending(&[(id, "c", 1)]),
            arr(&[group_info("g", 1, 1, id, Some(1), Some(0))]),
        ));
    }
    assert_eq!(got, want);
    assert_eq!(again, NULL_ARRAY, "the same entries read again");
}

/// Redis 7.0 ends an XREADGROUP blocked over several keys with
/// `-NOGROUP the consumer group this client was blocked on no longer
/// exists` when one key's group is destroyed, and with `-UNBLOCKED the
/// stream key no longer exists` when one key is deleted (or FLUSHALL).
/// Over keys on several shards the proxy answers both with the error of
/// its next non-blocking try: `-NOGROUP No such key 'K' or consumer group
/// 'g' in XREADGROUP with GROUP option`. (On one shard the replies are
/// Redis's: `a_blocked_xreadgroup_ends_when_its_group_or_key_goes`.)
#[test]
fn a_blocked_xreadgroup_over_several_shards_ends_like_redis_when_a_group_or_key_goes() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let k = keys_per_shard("gone2");
    let read = format!("XREADGROUP GROUP g c BLOCK 0 STREAMS {} {} > >", k[0], k[1]);
    let read = line(&read);
    for key in &k[..2] {
        c.expect(&["XGROUP", "CREATE", key, "g", "$", "MKSTREAM"], OK);
    }
    let mut blocked = send_blocked(&s, &mut c, &read);
    c.expect(&["XGROUP", "DESTROY", &k[1], "g"], int(1));
    let destroyed = blocked.read_reply();
    c.expect(&["XGROUP", "CREATE", &k[1], "g", "$"], OK);
    let mut blocked = send_blocked(&s, &mut c, &read);
    c.expect(&["DEL", &k[0]], int(1));
    let deleted = blocked.read_reply();
    assert_eq!(
        (
            String::from_utf8_lossy(&destroyed).into_owned(),
            String::from_utf8_lossy(&deleted).into_owned()
        ),
        (
            err("NOGROUP the consumer group this client was blocked on no longer exists"),
            err("UNBLOCKED the stream key no longer exists")
        )
    );
}
