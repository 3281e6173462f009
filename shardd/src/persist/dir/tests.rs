//! Generations on disk: saves, loading, and what survives what.

use std::time::Duration;

use super::*;
use crate::{
    commands::execute,
    reply::{Proto, Reply},
};

const CHILD_TIMEOUT: Duration = Duration::from_secs(20);

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("shardd-dir-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn open(dir: &Path) -> (DataDir, Keyspace, LoadStats) {
    let mut ks = Keyspace::new();
    let (d, stats) = DataDir::open(dir, lock(dir).unwrap(), Some(Fsync::No), &mut ks).unwrap();
    (d, ks, stats)
}

/// Runs a write as the shard does: execute, then log.
fn write(d: &mut DataDir, ks: &mut Keyspace, cmd: &str) -> String {
    let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let mut out = Vec::new();
    let changes = execute(ks, &args, &mut Reply::new(&mut out, Proto::Resp2));
    if changes.any() {
        d.append(ks.selected(), &args, &out, ks.now_ms(), changes);
    }
    d.commit().unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn read(ks: &mut Keyspace, cmd: &str) -> String {
    let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
    let mut out = Vec::new();
    execute(ks, &args, &mut Reply::new(&mut out, Proto::Resp2));
    String::from_utf8_lossy(&out).into_owned()
}

/// Keys of every type, some with TTLs.
fn fill(d: &mut DataDir, ks: &mut Keyspace) {
    for cmd in [
        "SET s hello EX 1000",
        "SET n 10",
        "INCR n",
        "HSET h a 1 b 2",
        "RPUSH l x y z",
        "SADD set m1 m2",
        "SADD ints 1 2 3",
        "ZADD z 1.5 a 2 b",
        "PFADD hll a b c",
        "PEXPIRE h 900000",
    ] {
        assert!(!write(d, ks, cmd).starts_with('-'), "{cmd}");
    }
}

/// What `fill` wrote, as replies.
fn snapshot_of(ks: &mut Keyspace) -> Vec<String> {
    [
        "GET s",
        "GET n",
        "HGETALL h",
        "LRANGE l 0 -1",
        "SMEMBERS ints",
        "SCARD set",
        "ZRANGE z 0 -1 WITHSCORES",
        "PFCOUNT hll",
        "DBSIZE",
    ]
    .iter()
    .map(|c| read(ks, c))
    .collect()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "shard.lock")
        .collect();
    v.sort();
    v
}

fn assert_ttl_kept(ks: &mut Keyspace) {
    let ttl: i64 = read(ks, "TTL s")[1..].trim().parse().unwrap();
    assert!((990..=1000).contains(&ttl), "TTL s = {ttl}");
    let pttl: i64 = read(ks, "PTTL h")[1..].trim().parse().unwrap();
    assert!((890_000..=900_000).contains(&pttl), "PTTL h = {pttl}");
}

#[test]
fn save_survives_a_restart_and_deletes_older_generations() {
    let dir = temp("save");
    let want = {
        let (mut d, mut ks, _) = open(&dir);
        fill(&mut d, &mut ks);
        assert_eq!(d.save(&ks).unwrap(), 8);
        assert_eq!(d.stats().dirty, 0);
        write(&mut d, &mut ks, "INCR n");
        snapshot_of(&mut ks)
    };
    assert_eq!(files(&dir), ["aof.2.log", "snapshot.2.snap"]);
    let (d, mut ks, stats) = open(&dir);
    assert_eq!(
        (stats.snapshot_gen, stats.snapshot_keys, stats.commands),
        (2, 8, 1)
    );
    assert_eq!(d.generation(), 2);
    assert_eq!(snapshot_of(&mut ks), want);
    assert_eq!(read(&mut ks, "GET n"), "$2\r\n12\r\n");
    assert_ttl_kept(&mut ks);
}

#[test]
fn bgsave_takes_the_fork_moment_and_later_writes_go_to_the_new_log() {
    let dir = temp("bgsave");
    let want = {
        let (mut d, mut ks, _) = open(&dir);
        fill(&mut d, &mut ks);
        d.start_child(&ks, ChildKind::BgSave).unwrap();
        assert_eq!(d.generation(), 2);
        // Writes while the child runs: in the new log only.
        for i in 0..100 {
            write(&mut d, &mut ks, &format!("RPUSH during {i}"));
        }
        write(&mut d, &mut ks, "INCR n");
        assert!(d.wait_child(CHILD_TIMEOUT));
        assert!(d.stats().last_bgsave_ok);
        assert_eq!(d.stats().dirty, 101);
        snapshot_of(&mut ks)
    };
    assert_eq!(files(&dir), ["aof.2.log", "snapshot.2.snap"]);
    let (_d, mut ks, stats) = open(&dir);
    assert_eq!((stats.snapshot_keys, stats.commands), (8, 101));
    assert_eq!(snapshot_of(&mut ks), want);
    assert_eq!(read(&mut ks, "LLEN during"), ":100\r\n");
    assert_eq!(read(&mut ks, "GET n"), "$2\r\n12\r\n");
    assert_ttl_kept(&mut ks);
}

#[test]
fn a_crash_during_bgsave_loads_the_older_generations() {
    let dir = temp("bgcrash");
    {
        let (mut d, mut ks, _) = open(&dir);
        fill(&mut d, &mut ks);
        d.save(&ks).unwrap();
        write(&mut d, &mut ks, "INCR n");
        // The child never finishes: its snapshot is only a partial tmp.
        d.next_generation().unwrap();
        write(&mut d, &mut ks, "INCR n");
        std::fs::write(dir.join("snapshot.3.tmp"), b"SHRDSNP1partial").unwrap();
    }
    let (d, mut ks, stats) = open(&dir);
    assert_eq!((stats.snapshot_gen, stats.commands), (2, 2));
    assert_eq!(d.generation(), 3);
    assert_eq!(read(&mut ks, "GET n"), "$2\r\n13\r\n");
    assert!(!dir.join("snapshot.3.tmp").exists());
}

#[test]
fn a_failed_bgsave_keeps_the_older_files_and_says_so() {
    let dir = temp("bgfail");
    let (mut d, mut ks, _) = open(&dir);
    fill(&mut d, &mut ks);
    // A directory where the child's temporary file must go: it fails.
    std::fs::create_dir_all(dir.join("snapshot.2.tmp")).unwrap();
    d.start_child(&ks, ChildKind::BgSave).unwrap();
    write(&mut d, &mut ks, "INCR n");
    assert!(d.wait_child(CHILD_TIMEOUT));
    assert!(!d.stats().last_bgsave_ok);
    assert_eq!(files(&dir), ["aof.1.log", "aof.2.log", "snapshot.2.tmp"]);
    std::fs::remove_dir(dir.join("snapshot.2.tmp")).unwrap();
    drop(d);
    let (_d, mut ks, stats) = open(&dir);
    assert_eq!(stats.snapshot_gen, 0);
    assert_eq!(read(&mut ks, "GET n"), "$2\r\n12\r\n");
}

#[test]
fn a_torn_log_tail_after_a_snapshot_is_cut_off() {
    let dir = temp("torn");
    {
        let (mut d, mut ks, _) = open(&dir);
        fill(&mut d, &mut ks);
        d.save(&ks).unwrap();
        write(&mut d, &mut ks, "SET after 1");
        write(&mut d, &mut ks, "SET torn 1");
    }
    let log = dir.join("aof.2.log");
    let len = std::fs::metadata(&log).unwrap().len();
    let f = OpenOptions::new().write(true).open(&log).unwrap();
    f.set_len(len - 3).unwrap();
    drop(f);
    let (_d, mut ks, stats) = open(&dir);
    assert_eq!(stats.commands, 1);
    assert!(stats.torn_bytes > 0);
    assert_eq!(read(&mut ks, "GET after"), "$1\r\n1\r\n");
    assert_eq!(read(&mut ks, "EXISTS torn"), ":0\r\n");
    assert_eq!(read(&mut ks, "HGET h b"), "$1\r\n2\r\n");
}

#[test]
fn a_damaged_snapshot_stops_loading_with_the_file_named() {
    let dir = temp("damaged");
    {
        let (mut d, mut ks, _) = open(&dir);
        fill(&mut d, &mut ks);
        d.save(&ks).unwrap();
    }
    let snap = dir.join("snapshot.2.snap");
    let mut data = std::fs::read(&snap).unwrap();
    data[20] ^= 0x40;
    std::fs::write(&snap, &data).unwrap();
    let mut ks = Keyspace::new();
    let err = DataDir::open(&dir, lock(&dir).unwrap(), Some(Fsync::No), &mut ks)
        .err()
        .expect("refused");
    let text = err.to_string();
    assert!(matches!(err, DirError::Snapshot(_)), "{text}");
    assert!(
        text.contains("snapshot.2.snap") && text.contains("corrupt"),
        "{text}"
    );
}

#[test]
fn without_a_log_snapshots_alone_persist() {
    let dir = temp("noaof");
    let mut ks = Keyspace::new();
    let (mut d, _) = DataDir::open(&dir, lock(&dir).unwrap(), None, &mut ks).unwrap();
    fill(&mut d, &mut ks);
    d.save(&ks).unwrap();
    write(&mut d, &mut ks, "SET lost 1");
    drop(d);
    assert_eq!(files(&dir), ["snapshot.2.snap"]);
    let mut ks = Keyspace::new();
    let (_d, stats) = DataDir::open(&dir, lock(&dir).unwrap(), None, &mut ks).unwrap();
    assert_eq!(stats.snapshot_keys, 8);
    assert_eq!(read(&mut ks, "EXISTS lost"), ":0\r\n");
}

#[test]
fn the_log_asks_for_a_rewrite_once_it_outgrows_its_bound_and_its_snapshot() {
    let dir = temp("auto-rewrite");
    let (mut d, mut ks, _) = open(&dir);
    assert!(!d.wants_auto_rewrite(4096, 100), "an empty log");
    let mut i = 0;
    while d.aof_size() < 4096 {
        write(&mut d, &mut ks, &format!("SET key:{i} value-{i}"));
        i += 1;
    }
    assert!(
        d.wants_auto_rewrite(4096, 100),
        "past the bound, no snapshot"
    );
    // Fold it into a snapshot: the new log starts empty and must outgrow
    // the snapshot before the next rewrite.
    d.save(&ks).unwrap();
    assert!(!d.wants_auto_rewrite(4096, 100));
    let snap = std::fs::metadata(dir.join(format!("snapshot.{}.snap", d.generation())))
        .unwrap()
        .len();
    while d.aof_size() < 4096 {
        write(&mut d, &mut ks, &format!("SET key:{i} value-{i}"));
        i += 1;
    }
    assert_eq!(d.wants_auto_rewrite(4096, 100), d.aof_size() >= snap);
    while d.aof_size() < snap {
        write(&mut d, &mut ks, &format!("SET key:{i} value-{i}"));
        i += 1;
    }
    assert!(
        d.wants_auto_rewrite(4096, 100),
        "the log outgrew its snapshot"
    );
    d.start_child(&ks, ChildKind::Rewrite).unwrap();
    assert!(!d.wants_auto_rewrite(4096, 100), "not while a rewrite runs");
    assert!(d.wait_child(CHILD_TIMEOUT));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn auto_aof_rewrite_percentage_sets_how_much_the_log_must_grow() {
    let dir = temp("auto-rewrite-percent");
    let (mut d, mut ks, _) = open(&dir);
    let mut i = 0;
    while d.aof_size() < 4096 {
        write(&mut d, &mut ks, &format!("SET key:{i} value-{i}"));
        i += 1;
    }
    d.save(&ks).unwrap();
    let snap = std::fs::metadata(dir.join(format!("snapshot.{}.snap", d.generation())))
        .unwrap()
        .len();
    while d.aof_size() * 2 < snap {
        write(&mut d, &mut ks, &format!("SET key:{i} value-{i}"));
        i += 1;
    }
    // Half the snapshot: enough at 50%, not at 100%, never at 0%.
    assert!(d.wants_auto_rewrite(1, 50));
    assert_eq!(d.wants_auto_rewrite(1, 100), d.aof_size() >= snap);
    assert!(!d.wants_auto_rewrite(1, 0));
    assert!(
        !d.wants_auto_rewrite(u64::MAX, 50),
        "below the minimum size"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_save_point_is_due_after_its_seconds_and_changes() {
    use crate::settings::SavePoint;
    let dir = temp("save-points");
    let (mut d, mut ks, _) = open(&dir);
    let now = [SavePoint {
        seconds: 0,
        changes: 2,
    }];
    assert!(!d.wants_save(&now), "no writes yet");
    write(&mut d, &mut ks, "SET a 1");
    assert!(!d.wants_save(&now), "one write of two");
    write(&mut d, &mut ks, "SET b 1");
    assert!(d.wants_save(&now));
    assert!(!d.wants_save(&[]), "no save points");
    let later = [SavePoint {
        seconds: 3600,
        changes: 1,
    }];
    assert!(!d.wants_save(&later), "an hour has not passed");
    d.save(&ks).unwrap();
    assert!(!d.wants_save(&now), "saved: no changes since");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn appendonly_turns_the_log_off_and_on_at_run_time() {
    let dir = temp("appendonly-switch");
    let (mut d, mut ks, _) = open(&dir);
    write(&mut d, &mut ks, "SET before 1");
    d.set_appendonly(false, &ks).unwrap();
    assert!(!d.has_aof());
    write(&mut d, &mut ks, "SET unlogged 1");
    d.set_appendonly(true, &ks).unwrap();
    assert!(d.has_aof());
    // Turning it on starts a snapshot of this moment as the log's base.
    assert!(d.child().is_some());
    write(&mut d, &mut ks, "SET after 1");
    assert!(d.wait_child(CHILD_TIMEOUT));
    drop(d);
    let (_d, mut ks, _) = open(&dir);
    for key in ["before", "unlogged", "after"] {
        assert_eq!(read(&mut ks, &format!("GET {key}")), "$1\r\n1\r\n", "{key}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
