//! Tests of the shard's event loop: attachments, rounds, replies and
//! what a round logs.

use shared_ring::{Hello, RingConfig};

use super::*;
use crate::persist::MemLog;

/// `(proxy end, shard end)` of one attachment.
fn pair() -> (Channel, Channel) {
    let cfg = RingConfig {
        capacity_bytes: 1 << 14,
        max_record_bytes: 1 << 12,
    };
    Channel::local_pair(cfg, Hello::default(), Hello::default()).expect("a ring pair")
}

/// Sends `cmd` (space separated) as the proxy would, flagged as a
/// write when the table says it is one.
fn send(ch: &mut Channel, id: u64, cmd: &str) {
    send_as(ch, id, cmd, 0, 0);
}

/// [`send`] with extra request flags and an origin.
fn send_as(ch: &mut Channel, id: u64, cmd: &str, extra: u8, origin: u64) {
    let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let spec = common::table::resolve(&args).expect("a known command");
    let write = if spec.has_flag(common::table::flags::F_WRITE) {
        REQ_FLAG_WRITE
    } else {
        0
    };
    let h = msg::RequestHeader {
        id,
        proto: 2,
        flags: write | extra,
        kind: spec.id as u16,
        origin,
        db: 0,
    };
    let mut rec = vec![0u8; msg::request_len(&args)];
    msg::write_request(&mut rec, h, &args);
    ch.tx.push(&rec).expect("room for the request");
    ch.tx.publish();
}

#[test]
fn a_remembered_pop_outlives_a_snapshot_and_a_restart() {
    use crate::persist::{aof::Fsync, dir::lock};
    let dir = std::env::temp_dir().join(format!("shardd-server-popped-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut ks = Keyspace::new();
    let (dd, _) = DataDir::open(&dir, lock(&dir).unwrap(), Some(Fsync::No), &mut ks).unwrap();
    let mut engine = Engine::new(ks, Some(dd));
    let (mut proxy, mut shard) = pair();
    let mut step = |send: &dyn Fn(&mut Channel)| {
        send(&mut proxy);
        serve_channel(&mut shard, &mut engine, usize::MAX).unwrap();
        engine.finish_round([&mut shard]).unwrap();
        replies(&mut proxy).pop().expect("a reply").1
    };
    step(&|ch| send(ch, 1, "RPUSH q a b"));
    let popped = step(&|ch| send_as(ch, 2, "BLPOP q 0", REQ_FLAG_BLOCK, 77));
    assert_eq!(popped, "*2\r\n$1\r\nq\r\n$1\r\na\r\n");
    // A snapshot starts a new generation of the log.
    assert_eq!(step(&|ch| send(ch, 3, "SAVE")), "+OK\r\n");
    drop(engine);
    let mut ks = Keyspace::new();
    let _dd = DataDir::open(&dir, lock(&dir).unwrap(), Some(Fsync::No), &mut ks).unwrap();
    assert_eq!(ks.popped_reply(77), Some(popped.as_bytes()));
    assert_eq!(
        crate::commands::test_util::run(&mut ks, "LRANGE q 0 -1"),
        "*1\r\n$1\r\nb\r\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The replies published to the proxy end, as `(id, text)`.
fn replies(ch: &mut Channel) -> Vec<(u64, String)> {
    let mut out = Vec::new();
    ch.rx
        .poll(|r| {
            let (id, _, body) = msg::parse_reply(r).expect("a reply record");
            out.push((id, String::from_utf8_lossy(body).into_owned()));
            true
        })
        .expect("a readable reply ring");
    out
}

#[test]
fn serve_channel_runs_at_most_the_requests_it_is_given() {
    let (mut proxy, mut shard) = pair();
    let mut engine = Engine::new(Keyspace::new(), MemLog::default());
    for (id, cmd) in [(1, "SET a 1"), (2, "INCR a"), (3, "GET a")] {
        send(&mut proxy, id, cmd);
    }
    assert_eq!(serve_channel(&mut shard, &mut engine, 2).unwrap(), 2);
    assert_eq!(serve_channel(&mut shard, &mut engine, 2).unwrap(), 1);
    assert_eq!(serve_channel(&mut shard, &mut engine, 2).unwrap(), 0);
    engine.finish_round([&mut shard]).unwrap();
    assert_eq!(
        replies(&mut proxy),
        [
            (1, "+OK\r\n".to_string()),
            (2, ":2\r\n".to_string()),
            (3, "$1\r\n2\r\n".to_string())
        ]
    );
    // Writes are logged as they ran; the read is not.
    let logged: Vec<Vec<Vec<u8>>> = vec![
        vec![b"SET".to_vec(), b"a".to_vec(), b"1".to_vec()],
        vec![b"INCR".to_vec(), b"a".to_vec()],
    ];
    assert_eq!(engine.log.appended, logged);
    assert_eq!(engine.log.committed, 2);
}

#[test]
fn a_failed_commit_publishes_no_reply() {
    let (mut proxy, mut shard) = pair();
    let mut engine = Engine::new(Keyspace::new(), MemLog::default());
    send(&mut proxy, 7, "SET k v");
    assert_eq!(
        serve_channel(&mut shard, &mut engine, usize::MAX).unwrap(),
        1
    );
    engine.log.fail_commit = true;
    assert!(engine.finish_round([&mut shard]).is_err());
    assert_eq!(replies(&mut proxy), []);
    engine.log.fail_commit = false;
    engine.finish_round([&mut shard]).unwrap();
    assert_eq!(replies(&mut proxy), [(7, "+OK\r\n".to_string())]);
}

#[test]
fn a_write_that_changes_nothing_is_neither_counted_nor_logged() {
    use crate::persist::{aof::Fsync, dir::lock};
    let dir = std::env::temp_dir().join(format!("shardd-server-dirty-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut ks = Keyspace::new();
    let (dd, _) = DataDir::open(&dir, lock(&dir).unwrap(), Some(Fsync::No), &mut ks).unwrap();
    let mut engine = Engine::new(ks, Some(dd));
    let (mut proxy, mut shard) = pair();
    // Runs `cmd` through the loop; (reply, changes counted, log bytes).
    let mut step = |id: u64, cmd: &str| {
        send(&mut proxy, id, cmd);
        serve_channel(&mut shard, &mut engine, usize::MAX).unwrap();
        engine.finish_round([&mut shard]).unwrap();
        let reply = replies(&mut proxy).pop().expect("a reply").1;
        let d = engine.log.data_dir().expect("a data directory");
        (reply, d.stats().dirty, d.aof_size())
    };
    let (_, dirty, size) = step(1, "SETBIT b 7 1");
    assert_eq!(dirty, 1);
    assert!(size > 0);
    // The same bit again, the same field again, a read.
    for (id, cmd) in [
        (2, "SETBIT b 7 1"),
        (3, "BITFIELD b SET u1 7 1"),
        (4, "GETBIT b 7"),
    ] {
        let (reply, d, sz) = step(id, cmd);
        assert_eq!(reply, if id == 3 { "*1\r\n:1\r\n" } else { ":1\r\n" });
        assert_eq!((d, sz), (dirty, size), "{cmd}");
    }
    let (reply, dirty, bigger) = step(5, "BITFIELD b SET u1 7 0 SET u1 6 1");
    assert_eq!(reply, "*2\r\n:1\r\n:0\r\n");
    assert_eq!(dirty, 3);
    assert!(bigger > size);
    // What the log holds gives back what clients saw.
    drop(engine);
    let mut ks = Keyspace::new();
    let (_dd, stats) = DataDir::open(&dir, lock(&dir).unwrap(), Some(Fsync::No), &mut ks).unwrap();
    assert_eq!(stats.commands, 2);
    let get = crate::commands::test_util::run(&mut ks, "GET b");
    assert_eq!(get, "$1\r\n\x02\r\n");
    let _ = std::fs::remove_dir_all(&dir);
}
