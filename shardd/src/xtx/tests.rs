use shared_ring::{msg, Hello, RingConfig};

use super::*;
use crate::{
    keyspace::Keyspace,
    persist::MemLog,
    server::{serve_channel, REQ_FLAG_TX, REQ_FLAG_WRITE},
};

struct Rig {
    proxy: Channel,
    shard: Vec<Channel>,
    engine: Engine<MemLog>,
}

impl Rig {
    fn new() -> Rig {
        let cfg = RingConfig {
            capacity_bytes: 1 << 14,
            max_record_bytes: 1 << 12,
        };
        let hello = Hello {
            generation: 5,
            ..Hello::default()
        };
        let (proxy, shard) = Channel::local_pair(cfg, hello.clone(), hello).expect("a ring pair");
        Rig {
            proxy,
            shard: vec![shard],
            engine: Engine::new(Keyspace::new(), MemLog::default()),
        }
    }

    /// Sends `cmd` from client `origin` (or, with `tx`, as a command of
    /// transaction `origin`).
    fn send(&mut self, id: u64, origin: u64, tx: bool, cmd: &str) {
        let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        let spec = Cmd::ALL
            .iter()
            .map(|c| c.spec())
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(args[0]))
            .expect("a known command");
        let mut flags = if spec.has_flag(F_WRITE) {
            REQ_FLAG_WRITE
        } else {
            0
        };
        if tx {
            flags |= REQ_FLAG_TX;
        }
        let h = msg::RequestHeader {
            id,
            proto: 2,
            flags,
            kind: spec.id as u16,
            origin,
            db: 0,
        };
        let mut rec = vec![0u8; msg::request_len(&args)];
        msg::write_request(&mut rec, h, &args);
        self.proxy.tx.push(&rec).expect("room for the request");
        self.proxy.tx.publish();
    }

    /// One shard round; the replies it published.
    fn round(&mut self) -> Vec<(u64, String)> {
        for ch in &mut self.shard {
            serve_channel(ch, &mut self.engine, usize::MAX).expect("rings");
        }
        if self.engine.xtx.wants_retry() {
            self.engine.retry_parked(&mut self.shard);
        }
        self.engine
            .finish_round(self.shard.iter_mut())
            .expect("commit");
        let mut out = Vec::new();
        self.proxy
            .rx
            .poll(|r| {
                let (id, _, body) = msg::parse_reply(r).expect("a reply record");
                out.push((id, String::from_utf8_lossy(body).into_owned()));
                true
            })
            .expect("a readable reply ring");
        out
    }
}

fn r(id: u64, s: &str) -> (u64, String) {
    (id, s.to_string())
}

#[test]
fn a_locked_key_holds_requests_back_and_others_go_past() {
    let mut rig = Rig::new();
    rig.send(1, 0, false, "SET a 1");
    rig.send(2, 9, false, "SHARDD.TXLOCK 100 0 0 a");
    assert_eq!(rig.round(), [r(1, "+OK\r\n"), r(2, "+OK\r\n")]);
    // Client 7 reads a (waits), then b (waits behind its own request);
    // client 8 reads c (goes past).
    rig.send(3, 7, false, "GET a");
    rig.send(4, 7, false, "GET b");
    rig.send(5, 8, false, "GET c");
    rig.send(6, 100, true, "INCR a");
    assert_eq!(rig.round(), [r(5, "$-1\r\n"), r(6, ":2\r\n")]);
    assert_eq!(rig.engine.xtx.parked(), 2);
    // A command over the whole keyspace waits too.
    rig.send(7, 8, false, "DBSIZE");
    assert_eq!(rig.round(), []);
    rig.send(8, 9, false, "SHARDD.TXCOMMIT 100 0");
    assert_eq!(
        rig.round(),
        [
            r(8, "+OK\r\n"),
            r(3, "$1\r\n2\r\n"),
            r(4, "$-1\r\n"),
            r(7, ":1\r\n")
        ]
    );
    assert!(!rig.engine.xtx.active());
    // The decider without participants logs its effects with the commit.
    let last = rig.engine.log.appended.last().cloned().unwrap_or_default();
    assert_eq!(last[0], txlog::TXCOMMIT);
    assert!(last.iter().any(|a| a == b"INCR" || a == b"SET"));
}

#[test]
fn an_abort_puts_the_keys_back_and_logs_nothing() {
    let mut rig = Rig::new();
    rig.send(1, 0, false, "SET a old");
    rig.send(2, 9, false, "SHARDD.TXLOCK 100 0 0 a b");
    rig.send(3, 100, true, "SET a new");
    rig.send(4, 100, true, "RPUSH b x");
    rig.send(5, 100, true, "GET a");
    assert_eq!(
        rig.round(),
        [
            r(1, "+OK\r\n"),
            r(2, "+OK\r\n"),
            r(3, "+OK\r\n"),
            r(4, ":1\r\n"),
            r(5, "$3\r\nnew\r\n")
        ]
    );
    let logged = rig.engine.log.appended.len();
    rig.send(6, 9, false, "SHARDD.TXABORT 100");
    rig.send(7, 1, false, "GET a");
    rig.send(8, 1, false, "EXISTS b");
    assert_eq!(
        rig.round(),
        [r(6, "+OK\r\n"), r(7, "$3\r\nold\r\n"), r(8, ":0\r\n")]
    );
    assert_eq!(rig.engine.log.appended.len(), logged);
    // The aborted transaction's commands are refused from now on.
    rig.send(9, 100, true, "SET a again");
    assert_eq!(rig.round(), [r(9, &format!("-{ABORTED}\r\n"))]);
}

#[test]
fn an_abort_that_keeps_the_locks_puts_back_and_lets_the_transaction_go_on() {
    let mut rig = Rig::new();
    rig.send(1, 0, false, "SET a old");
    rig.send(2, 9, false, "SHARDD.TXLOCK 100 0 0 a b");
    rig.send(3, 100, true, "SET a new");
    rig.send(4, 100, true, "RPUSH b x");
    assert_eq!(
        rig.round(),
        [
            r(1, "+OK\r\n"),
            r(2, "+OK\r\n"),
            r(3, "+OK\r\n"),
            r(4, ":1\r\n")
        ]
    );
    let logged = rig.engine.log.appended.len();
    rig.send(5, 9, false, "SHARDD.TXABORT 100 KEEP");
    // Put back, and still locked: another client's read waits.
    rig.send(6, 100, true, "GET a");
    rig.send(7, 100, true, "EXISTS b");
    rig.send(8, 1, false, "GET a");
    assert_eq!(
        rig.round(),
        [r(5, "+OK\r\n"), r(6, "$3\r\nold\r\n"), r(7, ":0\r\n")]
    );
    assert_eq!(rig.engine.xtx.parked(), 1);
    assert_eq!(rig.engine.log.appended.len(), logged);
    // The next try's effects are the only ones committed.
    rig.send(9, 100, true, "APPEND a -2");
    rig.send(10, 9, false, "SHARDD.TXCOMMIT 100 0");
    assert_eq!(
        rig.round(),
        [r(9, ":5\r\n"), r(10, "+OK\r\n"), r(8, "$5\r\nold-2\r\n")]
    );
    let last = rig.engine.log.appended.last().cloned().unwrap_or_default();
    assert_eq!(last[0], txlog::TXCOMMIT);
    assert!(
        !last.iter().any(|a| a == b"RPUSH" || a == b"new"),
        "{last:?}"
    );
    // Once prepared, only a whole abort undoes it.
    rig.send(11, 9, false, "SHARDD.TXLOCK 101 0 0 a");
    rig.send(12, 101, true, "SET a x");
    rig.send(13, 9, false, "SHARDD.TXPREPARE 101 3");
    rig.send(14, 9, false, "SHARDD.TXABORT 101 KEEP");
    let replies = rig.round();
    assert!(
        replies[3]
            .1
            .starts_with("-ERR the transaction's effects are logged"),
        "{replies:?}"
    );
    rig.send(15, 9, false, "SHARDD.TXABORT 102 KEEP");
    assert_eq!(rig.round(), [r(15, &format!("-{ABORTED}\r\n"))]);
}

#[test]
fn more_locks_for_a_live_transaction_are_taken_without_waiting() {
    let mut rig = Rig::new();
    rig.send(1, 9, false, "SHARDD.TXLOCK 100 0 0 a");
    rig.send(2, 9, false, "SHARDD.TXLOCK 200 0 0 d");
    assert_eq!(rig.round(), [r(1, "+OK\r\n"), r(2, "+OK\r\n")]);
    // More for 100: free keys, and one it holds already.
    rig.send(3, 9, false, "SHARDD.TXLOCK 100 0 6 b a c");
    // Held by 200: refused, nothing added.
    rig.send(4, 9, false, "SHARDD.TXLOCK 100 0 6 e d");
    // Only without waiting; only for a live transaction.
    rig.send(5, 9, false, "SHARDD.TXLOCK 100 0 4 f");
    rig.send(6, 9, false, "SHARDD.TXLOCK 300 0 6 g");
    let got = rig.round();
    assert_eq!(got[0], r(3, "+OK\r\n"));
    assert!(got[1].1.starts_with("-TXBUSY"), "{got:?}");
    assert!(got[2].1.starts_with("-ERR more locks"), "{got:?}");
    assert_eq!(got[3], r(6, &format!("-{ABORTED}\r\n")));
    let x = rig.engine.xtx.txns.get(&100).expect("live");
    assert_eq!(x.keys, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    // Others wait for the new keys; e was not taken.
    rig.send(7, 1, false, "GET c");
    rig.send(8, 2, false, "GET e");
    assert_eq!(rig.round(), [r(8, "$-1\r\n")]);
    // The abort lets them go.
    rig.send(10, 9, false, "SHARDD.TXABORT 100");
    assert_eq!(rig.round(), [r(10, "+OK\r\n"), r(7, "$-1\r\n")]);
    assert!(!rig.engine.xtx.locks.contains_key(&b"c"[..]));
}

#[test]
fn a_prepared_participant_logs_its_undo_and_effects_and_survives_its_coordinator() {
    let mut rig = Rig::new();
    rig.send(1, 9, false, "SHARDD.TXLOCK 100 0 0 a");
    rig.send(2, 100, true, "SET a 1");
    rig.send(3, 9, false, "SHARDD.TXPREPARE 100 0");
    assert_eq!(
        rig.round(),
        [r(1, "+OK\r\n"), r(2, "+OK\r\n"), r(3, "+PREPARED\r\n")]
    );
    let prep = rig.engine.log.appended.last().cloned().unwrap_or_default();
    assert_eq!(prep[0], txlog::TXPREP);
    // The coordinator's channel goes away: in doubt, still locked.
    rig.engine.owner_gone(5);
    rig.send(4, 0, false, "SHARDD.TXINDOUBT");
    assert_eq!(rig.round(), [r(4, "*1\r\n*2\r\n:100\r\n:0\r\n")]);
    rig.send(5, 1, false, "GET a");
    assert_eq!(rig.round(), []);
    rig.send(6, 0, false, "SHARDD.TXRESOLVE 100 abort");
    assert_eq!(rig.round(), [r(6, "+OK\r\n"), r(5, "$-1\r\n")]);
}

#[test]
fn the_decider_aborts_what_it_has_not_decided_and_keeps_what_it_has() {
    let mut rig = Rig::new();
    // Running (its coordinator's link is up): not decided by the question.
    rig.send(1, 9, false, "SHARDD.TXLOCK 100 0 0 a");
    rig.send(2, 100, true, "SET a 1");
    rig.send(3, 0, false, "SHARDD.TXDECIDE 100");
    rig.send(4, 9, false, "SHARDD.TXCOMMIT 100 0");
    // Unknown here (never seen, or gone with a restart): aborted for good.
    rig.send(5, 0, false, "SHARDD.TXDECIDE 300");
    rig.send(6, 9, false, "SHARDD.TXCOMMIT 300 1");
    assert_eq!(
        rig.round(),
        [
            r(1, "+OK\r\n"),
            r(2, "+OK\r\n"),
            r(3, "+PENDING\r\n"),
            r(4, "+OK\r\n"),
            r(5, "+ABORT\r\n"),
            r(6, &format!("-{ABORTED}\r\n"))
        ]
    );
    rig.send(5, 9, false, "SHARDD.TXLOCK 200 0 0 a");
    rig.send(6, 200, true, "SET a 2");
    rig.send(7, 9, false, "SHARDD.TXCOMMIT 200 1");
    rig.send(8, 0, false, "SHARDD.TXDECIDE 200");
    rig.send(9, 0, false, "SHARDD.TXFORGET 200");
    rig.send(10, 0, false, "SHARDD.TXDECIDE 200");
    rig.send(11, 1, false, "GET a");
    assert_eq!(
        rig.round(),
        [
            r(5, "+OK\r\n"),
            r(6, "+OK\r\n"),
            r(7, "+OK\r\n"),
            r(8, "+COMMIT\r\n"),
            r(9, "+OK\r\n"),
            r(10, "+ABORT\r\n"),
            r(11, "$1\r\n2\r\n")
        ]
    );
}

#[test]
fn a_dirty_watch_refuses_the_lock() {
    let mut rig = Rig::new();
    rig.send(1, 0, false, "SHARDD.WATCH 33 a");
    rig.send(2, 0, false, "SET a 1");
    rig.send(3, 9, false, "SHARDD.TXLOCK 100 33 0 a");
    rig.send(4, 1, false, "GET a");
    assert_eq!(
        rig.round(),
        [
            r(1, "+OK\r\n"),
            r(2, "+OK\r\n"),
            r(3, "*-1\r\n"),
            r(4, "$1\r\n1\r\n")
        ]
    );
    assert!(!rig.engine.xtx.active());
}

#[test]
fn a_lock_that_may_not_wait_is_refused_and_leaves_nothing() {
    let mut rig = Rig::new();
    rig.send(1, 9, false, "SHARDD.TXLOCK 100 0 0 a");
    rig.send(2, 9, false, "SHARDD.TXLOCK 200 0 2 b a");
    // Its commands find no transaction: they run nothing.
    rig.send(3, 200, true, "SET b 1");
    rig.send(4, 1, false, "EXISTS b");
    rig.send(5, 9, false, "SHARDD.TXLOCK 300 0 2 b");
    assert_eq!(
        rig.round(),
        [
            r(1, "+OK\r\n"),
            r(2, "-TXBUSY a key is locked by another transaction\r\n"),
            r(3, &format!("-{ABORTED}\r\n")),
            r(4, ":0\r\n"),
            r(5, "+OK\r\n")
        ]
    );
    // The whole keyspace (flag 1) may not be taken while a key is.
    rig.send(6, 9, false, "SHARDD.TXLOCK 400 0 3");
    assert_eq!(
        rig.round(),
        [r(6, "-TXBUSY a key is locked by another transaction\r\n")]
    );
}

#[test]
fn a_read_only_participant_told_to_hold_keeps_its_locks_until_let_go() {
    let mut rig = Rig::new();
    // Without HOLD a participant that only read lets go at the prepare.
    rig.send(1, 9, false, "SHARDD.TXLOCK 100 0 0 a");
    rig.send(2, 100, true, "GET a");
    rig.send(3, 9, false, "SHARDD.TXPREPARE 100 0");
    rig.send(4, 9, false, "SHARDD.TXLOCK 200 0 2 a");
    assert_eq!(
        rig.round(),
        [
            r(1, "+OK\r\n"),
            r(2, "$-1\r\n"),
            r(3, "+READONLY\r\n"),
            r(4, "+OK\r\n")
        ]
    );
    rig.send(5, 9, false, "SHARDD.TXABORT 200");
    // With HOLD it keeps them (a lock that may not wait is refused, a
    // write waits) until TXABORT lets it go.
    rig.send(6, 9, false, "SHARDD.TXLOCK 300 0 0 a");
    rig.send(7, 300, true, "GET a");
    rig.send(8, 9, false, "SHARDD.TXPREPARE 300 0 HOLD");
    rig.send(9, 9, false, "SHARDD.TXLOCK 400 0 2 a");
    rig.send(10, 1, false, "SET a 1");
    assert_eq!(
        rig.round(),
        [
            r(5, "+OK\r\n"),
            r(6, "+OK\r\n"),
            r(7, "$-1\r\n"),
            r(8, "+READONLY\r\n"),
            r(9, "-TXBUSY a key is locked by another transaction\r\n")
        ]
    );
    rig.send(11, 9, false, "SHARDD.TXABORT 300");
    rig.send(12, 1, false, "GET a");
    assert_eq!(
        rig.round(),
        [r(11, "+OK\r\n"), r(10, "+OK\r\n"), r(12, "$1\r\n1\r\n")]
    );
    assert!(!rig.engine.xtx.active());
}

#[test]
fn lock_keys_are_kept_once_in_order_few_or_many() {
    let few: Vec<&[u8]> = vec![b"b", b"a", b"b", b"c", b"a"];
    assert_eq!(
        unique_keys(&few),
        vec![b"b".to_vec(), b"a".to_vec(), b"c".to_vec()]
    );
    let names: Vec<Vec<u8>> = (0..40)
        .map(|i| format!("k{}", i % 25).into_bytes())
        .collect();
    let many: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
    let want: Vec<Vec<u8>> = (0..25).map(|i| format!("k{i}").into_bytes()).collect();
    assert_eq!(unique_keys(&many), want);
}

#[test]
fn without_a_log_no_record_is_built_and_the_changes_still_count() {
    let mut rig = Rig::new();
    rig.engine.log.drops = true;
    // A participant that wrote: prepared (not read only), committed.
    rig.send(1, 0, false, "SET a old");
    rig.send(2, 9, false, "SHARDD.TXLOCK 100 0 0 a b");
    rig.send(3, 100, true, "SET a new");
    rig.send(4, 100, true, "RPUSH b x y");
    rig.send(5, 9, false, "SHARDD.TXPREPARE 100 7");
    assert_eq!(
        rig.round(),
        [
            r(1, "+OK\r\n"),
            r(2, "+OK\r\n"),
            r(3, "+OK\r\n"),
            r(4, ":2\r\n"),
            r(5, "+PREPARED\r\n")
        ]
    );
    rig.send(6, 9, false, "SHARDD.TXCOMMIT 100 0");
    rig.send(7, 1, false, "LRANGE b 0 -1");
    assert_eq!(
        rig.round(),
        [r(6, "+OK\r\n"), r(7, "*2\r\n$1\r\nx\r\n$1\r\ny\r\n")]
    );
    assert!(rig.engine.log.appended.is_empty());
    // SET a old: 1; the transaction's SET and RPUSH at the prepare (one
    // each, as the log's records would have counted them); its commit: 1.
    assert_eq!(rig.engine.log.unlogged, 4);
    // A decider alone counts its transaction's changes at the commit; an
    // abort still puts the keys back.
    rig.send(8, 9, false, "SHARDD.TXLOCK 200 0 0 a");
    rig.send(9, 200, true, "INCR c");
    rig.send(10, 200, true, "SET a newer");
    rig.send(11, 9, false, "SHARDD.TXCOMMIT 200 0");
    rig.send(12, 9, false, "SHARDD.TXLOCK 300 0 0 a");
    rig.send(13, 300, true, "DEL a");
    rig.send(14, 9, false, "SHARDD.TXABORT 300");
    rig.send(15, 1, false, "GET a");
    assert_eq!(
        rig.round(),
        [
            r(8, "+OK\r\n"),
            r(9, ":1\r\n"),
            r(10, "+OK\r\n"),
            r(11, "+OK\r\n"),
            r(12, "+OK\r\n"),
            r(13, ":1\r\n"),
            r(14, "+OK\r\n"),
            r(15, "$5\r\nnewer\r\n")
        ]
    );
    assert!(rig.engine.log.appended.is_empty());
    // The decider's INCR and SET; nothing for the aborted one.
    assert_eq!(rig.engine.log.unlogged, 6);
}

/// The values of `keys` as a client reads them (type, content, TTL).
fn snapshot(rig: &mut Rig, id: &mut u64, keys: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for k in keys {
        for cmd in [
            format!("TYPE {k}"),
            format!("LRANGE {k} 0 -1"),
            format!("SMEMBERS {k}"),
            format!("HGETALL {k}"),
            format!("ZRANGE {k} 0 -1 WITHSCORES"),
            format!("PEXPIRETIME {k}"),
            format!("XRANGE {k} - +"),
            format!("XINFO STREAM {k}"),
        ] {
            *id += 1;
            rig.send(*id, 1, false, &cmd);
            let got = rig.round();
            // SMEMBERS's order is the set's: sorted, it compares.
            let mut parts: Vec<String> = got.iter().map(|(_, r)| r.clone()).collect();
            if cmd.starts_with("SMEMBERS") || cmd.starts_with("HGETALL") {
                let mut lines: Vec<&str> = parts.iter().flat_map(|p| p.split("\r\n")).collect();
                lines.sort_unstable();
                parts = vec![lines.join("|")];
            }
            out.push(format!("{cmd} -> {}", parts.join("")));
        }
    }
    out
}

#[test]
fn pushes_pops_and_set_changes_are_undone_by_steps_without_an_image() {
    let mut rig = Rig::new();
    let mut id = 0u64;
    let mut next = || {
        id += 1;
        id
    };
    let (i1, i2, i3, i4) = (next(), next(), next(), next());
    rig.send(i1, 0, false, "RPUSH q a b c d e f");
    rig.send(i2, 0, false, "SADD s 1 2 3 x y");
    rig.send(i3, 0, false, "PEXPIREAT q 4102444800000");
    rig.send(i4, 0, false, "RPUSH r only");
    rig.round();
    let mut sid = 100;
    let before = snapshot(&mut rig, &mut sid, &["q", "s", "r"]);
    rig.send(200, 9, false, "SHARDD.TXLOCK 100 0 0 q s r");
    let steps = [
        "LPUSH q n1 n2",
        "RPOP q 3",
        "LPOP q",
        "RPUSHX q n3",
        "LPUSHX nothing z",
        "SADD s 2 z z w",
        "SREM s x 1 nope",
        "SADD s x",
        "RPOP r",
        "LPUSH r back",
        "LPOP q 100",
        "RPUSH q last",
    ];
    for (i, cmd) in steps.iter().enumerate() {
        rig.send(201 + i as u64, 100, true, cmd);
    }
    rig.round();
    // Every key that existed changed by steps: a delta each, and only
    // the absent key has an image (of its absence).
    let x = rig.engine.xtx.txns.get(&100).expect("live");
    assert!(
        x.undo.images.iter().all(|i| i.value.is_none()),
        "{:?}",
        x.undo.images
    );
    assert_eq!(x.undo.deltas.len(), 3);
    // The prepare's record holds the steps, not the values.
    rig.send(300, 9, false, "SHARDD.TXPREPARE 100 7");
    assert_eq!(rig.round(), [r(300, "+PREPARED\r\n")]);
    let rec = rig.engine.log.appended.last().cloned().unwrap_or_default();
    assert_eq!(rec[0], txlog::TXPREP);
    let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
    let mut replay = txlog::Replay::default();
    // The record parses back (a replay keeps it pending until its outcome).
    let mut other = Keyspace::new();
    assert!(replay.apply(&mut other, &args));
    rig.send(301, 9, false, "SHARDD.TXABORT 100");
    assert_eq!(rig.round(), [r(301, "+OK\r\n")]);
    assert_eq!(snapshot(&mut rig, &mut sid, &["q", "s", "r"]), before);
}

#[test]
fn a_write_steps_cannot_undo_turns_the_delta_into_the_image_before() {
    let mut rig = Rig::new();
    rig.send(1, 0, false, "RPUSH q a b c");
    rig.send(2, 0, false, "SADD s m");
    rig.round();
    let mut sid = 100;
    let before = snapshot(&mut rig, &mut sid, &["q", "s"]);
    rig.send(10, 9, false, "SHARDD.TXLOCK 100 0 0 q s");
    rig.send(11, 100, true, "LPUSH q x");
    rig.send(12, 100, true, "LMPOP 1 q RIGHT");
    rig.send(13, 100, true, "LPOP q");
    rig.send(14, 100, true, "SREM s m");
    rig.send(15, 100, true, "SADD s n");
    rig.send(16, 100, true, "SINTERSTORE s s");
    rig.round();
    let x = rig.engine.xtx.txns.get(&100).expect("live");
    assert_eq!(x.undo.images.len(), 2);
    assert!(x.undo.deltas.is_empty());
    // The live values are what the commands made.
    rig.send(20, 1, false, "SHARDD.TXABORT 100");
    rig.round();
    assert_eq!(snapshot(&mut rig, &mut sid, &["q", "s"]), before);
}

#[test]
fn random_pushes_pops_and_set_changes_are_undone_exactly() {
    let mut seed: u64 = 0x5eed;
    let mut rand = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let cmds = [
        "LPUSH",
        "RPUSH",
        "LPUSHX",
        "RPUSHX",
        "LPOP",
        "RPOP",
        "SADD",
        "SREM",
        "LINSERT",
        "EXPIRE",
        "HSET",
        "HDEL",
        "HSETNX",
        "HINCRBY",
        "ZADD",
        "ZREM",
        "ZINCRBY",
        "HINCRBYFLOAT",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZREMRANGEBYRANK",
        "ZREMRANGEBYSCORE",
        "ZREMRANGEBYLEX",
        "PEXPIRE",
        "EXPIREAT",
        "PERSIST",
        "LSET",
        "LREM",
        "LTRIM",
        "XADD",
        "XTRIM",
        "RPOPLPUSH",
        "LMOVE",
    ];
    for round in 0..1000u64 {
        let mut rig = Rig::new();
        let mut id = 0;
        for (k, n) in [
            ("l", rand(6)),
            ("s", rand(6)),
            ("h", rand(6)),
            ("z", rand(6)),
            ("x", rand(4)),
        ] {
            for i in 0..n {
                id += 1;
                let cmd = match k {
                    // Repeats, so LREM removes several.
                    "l" => format!("RPUSH l e{}", i % 3),
                    "s" => format!("SADD s e{i}"),
                    "h" => format!("HSET h e{i} {i}"),
                    "x" => format!("XADD x {}-{i} f e{i}", i / 2 + 1),
                    _ => format!("ZADD z {i}.5 e{i}"),
                };
                rig.send(id, 0, false, &cmd);
            }
        }
        if rand(2) == 0 {
            id += 1;
            rig.send(id, 0, false, "PEXPIREAT l 4102444800000");
        }
        if rand(2) == 0 {
            id += 1;
            rig.send(id, 0, false, "XDEL x 1-0");
        }
        rig.round();
        let mut sid = 1000;
        if rand(2) == 0 {
            id += 1;
            rig.send(id, 0, false, "RPUSH m m0 m1");
        }
        rig.round();
        let keys = ["l", "s", "h", "z", "x", "m"];
        let before = snapshot(&mut rig, &mut sid, &keys);
        let t = 5000 + round;
        rig.send(
            2000,
            9,
            false,
            &format!("SHARDD.TXLOCK {t} 0 0 l s h z x m"),
        );
        for i in 0..rand(12) {
            let name = cmds[rand(cmds.len() as u64) as usize];
            // Mostly the command's own type; now and then another (a
            // WRONGTYPE, or a key of another type turned into this one).
            let own = match name.as_bytes()[0] {
                _ if matches!(name, "PEXPIRE" | "EXPIREAT" | "PERSIST") => keys[rand(6) as usize],
                b'S' => "s",
                b'H' => "h",
                b'Z' => "z",
                b'X' => "x",
                _ => "l",
            };
            let key = if rand(6) == 0 {
                keys[rand(6) as usize]
            } else {
                own
            };
            let (a, b) = (rand(8), rand(8));
            let cmd = match name {
                "LPOP" | "RPOP" => match rand(3) {
                    0 => format!("{name} {key}"),
                    _ => format!("{name} {key} {}", rand(4)),
                },
                "LINSERT" => match rand(2) {
                    0 => format!("LINSERT {key} AFTER e{} x", rand(4)),
                    _ => format!("LINSERT {key} BEFORE e{a} e{b}"),
                },
                // Now and then a time already past: the key goes.
                "EXPIRE" => format!("EXPIRE {key} {}", [50, 0, -1][rand(3) as usize]),
                "PEXPIRE" => format!("PEXPIRE {key} {}", [50_000, 0, 7][rand(3) as usize]),
                "EXPIREAT" => format!("EXPIREAT {key} {}", [4_102_444_000u64, 1][rand(2) as usize]),
                "PERSIST" => format!("PERSIST {key}"),
                "LSET" => format!("LSET {key} {} s{a}", a as i64 - 4),
                "LREM" => format!("LREM {key} {} e{}", b as i64 - 4, rand(3)),
                "LTRIM" => format!("LTRIM {key} {} {}", a as i64 - 3, b as i64 - 5),
                "ZPOPMIN" | "ZPOPMAX" => match rand(3) {
                    0 => format!("{name} {key}"),
                    _ => format!("{name} {key} {}", rand(4)),
                },
                "ZREMRANGEBYRANK" => format!("ZREMRANGEBYRANK {key} {} {}", a as i64 - 4, b),
                "ZREMRANGEBYSCORE" => format!("ZREMRANGEBYSCORE {key} ({a} {b}.5"),
                "ZREMRANGEBYLEX" => format!("ZREMRANGEBYLEX {key} [e{a} (e{b}"),
                "XADD" => match rand(8) {
                    0 => format!("XADD {key} MAXLEN {a} * f v{b}"),
                    4 => format!("XADD {key} MAXLEN ~ {a} * f v{b}"),
                    5 => format!("XADD {key} NOMKSTREAM MINID {} * f v", a / 2),
                    6 => format!("XADD {key} MINID = 0 * f v{b}"),
                    7 => format!("XADD {key} MAXLEN = 100 * f v{b}"),
                    1 => format!("XADD {key} {}-{b} f v", a / 2),
                    2 => format!("XADD {key} * g v{a} h w"),
                    _ => format!("XADD {key} * f v{a}"),
                },
                "XTRIM" => match rand(4) {
                    0 => format!("XTRIM {key} MAXLEN {a}"),
                    1 => format!("XTRIM {key} MAXLEN ~ {a}"),
                    2 => format!("XTRIM {key} MINID {}-{b}", a / 2),
                    _ => format!("XTRIM {key} MAXLEN = {} LIMIT 1", a / 2),
                },
                // To the other list, the same one, or (now and then) a key
                // of another type.
                "RPOPLPUSH" | "LMOVE" => {
                    let to = match rand(5) {
                        0 => keys[rand(6) as usize],
                        1 => "l",
                        _ => "m",
                    };
                    let end = |n| ["LEFT", "RIGHT"][n as usize];
                    match name {
                        "LMOVE" => format!("LMOVE {key} {to} {} {}", end(rand(2)), end(rand(2))),
                        _ => format!("RPOPLPUSH {key} {to}"),
                    }
                }
                "HSET" => format!("HSET {key} e{a} v{a} e{b} w"),
                "HSETNX" => format!("HSETNX {key} e{a} n"),
                "HINCRBY" => format!("HINCRBY {key} e{a} 3"),
                "HINCRBYFLOAT" => format!("HINCRBYFLOAT {key} e{a} 0.25"),
                "ZADD" => match rand(3) {
                    0 => format!("ZADD {key} NX CH {a} e{a} -{b}.5 e{b}"),
                    1 => format!("ZADD {key} INCR 2 e{a}"),
                    _ => format!("ZADD {key} {a} e{a} {b} e{b}"),
                },
                "ZINCRBY" => format!("ZINCRBY {key} -1.5 e{a}"),
                _ => format!("{name} {key} e{a} e{b}"),
            };
            rig.send(2001 + i, t, true, &cmd);
        }
        rig.round();
        rig.send(3000, 9, false, &format!("SHARDD.TXABORT {t}"));
        rig.round();
        assert_eq!(snapshot(&mut rig, &mut sid, &keys), before, "round {round}");
    }
}

#[test]
fn a_write_of_several_keys_images_them_all_even_when_its_first_has_one() {
    let mut rig = Rig::new();
    rig.send(1, 0, false, "MSET a 0 b old");
    rig.send(2, 0, false, "RPUSH l x");
    rig.send(3, 9, false, "SHARDD.TXLOCK 100 0 0 a b l");
    rig.send(4, 100, true, "SET a 1");
    rig.send(5, 100, true, "MSET a 2 b new");
    rig.send(6, 100, true, "RPUSH l y");
    rig.send(7, 100, true, "RENAME l b");
    rig.round();
    rig.send(8, 9, false, "SHARDD.TXABORT 100");
    rig.send(9, 1, false, "MGET a b");
    rig.send(10, 1, false, "LRANGE l 0 -1");
    assert_eq!(
        rig.round(),
        [
            r(8, "+OK\r\n"),
            r(9, "*2\r\n$1\r\n0\r\n$3\r\nold\r\n"),
            r(10, "*1\r\n$1\r\nx\r\n")
        ]
    );
}
