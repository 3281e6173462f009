//! Snapshots through the proxy: SAVE and BGSAVE on every shard, what
//! survives `kill -9` of every shard after them, LASTSAVE, `INFO
//! persistence`, and `CONFIG SET appendfsync` reaching the shards.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{bulk, int, key_on_shard, wait_until, Raw, Server, IO_TIMEOUT, OK};

const SHARDS: usize = 3;

/// Keys of every type (and TTLs) on every shard.
fn write_all_types(c: &mut Raw) {
    for sh in 0..SHARDS {
        let k = |p: &str| key_on_shard(p, sh, SHARDS);
        c.expect(&["SET", &k("str"), "hello", "EX", "1000"], OK);
        c.expect(&["HSET", &k("hash"), "a", "1", "b", "2"], int(2));
        c.expect(&["RPUSH", &k("list"), "x", "y", "z"], int(3));
        c.expect(&["SADD", &k("set"), "m1", "m2"], int(2));
        c.expect(&["ZADD", &k("zset"), "1.5", "a", "2", "b"], int(2));
        c.expect(&["PFADD", &k("hll"), "a", "b", "c"], int(1));
        c.expect(&["PEXPIRE", &k("hash"), "900000"], int(1));
    }
}

fn check_all_types(c: &mut Raw) {
    for sh in 0..SHARDS {
        let k = |p: &str| key_on_shard(p, sh, SHARDS);
        c.expect(&["GET", &k("str")], bulk("hello"));
        c.expect(&["HGET", &k("hash"), "b"], bulk("2"));
        c.expect(&["LINDEX", &k("list"), "2"], bulk("z"));
        c.expect(&["SCARD", &k("set")], int(2));
        c.expect(&["ZSCORE", &k("zset"), "a"], bulk("1.5"));
        c.expect(&["PFCOUNT", &k("hll")], int(3));
        let ttl = c.cmd_str(&["TTL", &k("str")]);
        let ttl: i64 = ttl.trim()[1..].parse().unwrap_or(-2);
        assert!((990..=1000).contains(&ttl), "TTL {ttl}");
        let pttl = c.cmd_str(&["PTTL", &k("hash")]);
        let pttl: i64 = pttl.trim()[1..].parse().unwrap_or(-2);
        assert!((890_000..=900_000).contains(&pttl), "PTTL {pttl}");
    }
}

/// The files of shard `i`'s data directory, sorted (without the lock and
/// the control socket).
fn shard_files(s: &Server, i: usize) -> Vec<String> {
    let dir = s.data_dir.join(format!("shard-{i}"));
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("aof.") || n.starts_with("snapshot."))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// One field of `INFO persistence`.
fn info_field(c: &mut Raw, name: &str) -> String {
    let info = c.cmd_str(&["INFO", "persistence"]);
    let prefix = format!("{name}:");
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{name} missing in {info}"))
        .to_string()
}

fn wait_bgsave_done(c: &mut Raw) {
    wait_until(IO_TIMEOUT, "the background save to finish", || {
        info_field(c, "rdb_bgsave_in_progress") == "0"
            && info_field(c, "aof_rewrite_in_progress") == "0"
    });
}

#[test]
fn save_then_kill_9_of_every_shard_loads_the_snapshot() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    write_all_types(&mut c);
    c.expect(&["SAVE"], OK);
    for i in 0..SHARDS {
        assert_eq!(
            shard_files(&s, i),
            ["aof.2.log", "snapshot.2.snap"],
            "shard {i}"
        );
    }
    c.expect(&["SET", "after-save", "1"], OK);
    s.kill_every_shard(SHARDS);
    let mut c = s.raw();
    check_all_types(&mut c);
    c.expect(&["GET", "after-save"], bulk("1"));
    assert_eq!(info_field(&mut c, "rdb_changes_since_last_save"), "0");
}

#[test]
fn bgsave_under_writes_keeps_every_write() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    write_all_types(&mut c);
    c.expect(&["BGSAVE"], "+Background saving started\r\n");
    // Writes while the children run, pipelined.
    let n = 2000;
    let mut batch = Vec::new();
    for i in 0..n {
        batch.extend(common::encode(&["INCR", "during"]));
        batch.extend(common::encode(&["SET", &format!("k:{i}"), "v"]));
    }
    c.send(&batch);
    for _ in 0..2 * n {
        c.read_reply();
    }
    wait_bgsave_done(&mut c);
    assert_eq!(info_field(&mut c, "rdb_last_bgsave_status"), "ok");
    for i in 0..SHARDS {
        assert_eq!(
            shard_files(&s, i),
            ["aof.2.log", "snapshot.2.snap"],
            "shard {i}"
        );
    }
    c.expect(
        &["BGREWRITEAOF"],
        "+Background append only file rewriting started\r\n",
    );
    wait_bgsave_done(&mut c);
    assert_eq!(info_field(&mut c, "aof_last_bgrewrite_status"), "ok");
    s.kill_every_shard(SHARDS);
    let mut c = s.raw();
    check_all_types(&mut c);
    c.expect(&["GET", "during"], bulk(&n.to_string()));
    c.expect(&["DBSIZE"], int(n as i64 + 1 + 6 * SHARDS as i64));
    for i in 0..SHARDS {
        assert_eq!(
            shard_files(&s, i),
            ["aof.3.log", "snapshot.3.snap"],
            "shard {i}"
        );
    }
}

#[test]
fn lastsave_moves_when_every_shard_has_saved() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let first = c.cmd_str(&["LASTSAVE"]);
    let first: u64 = first.trim()[1..].parse().expect("an integer");
    let now = || {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    };
    assert!(first <= now() && first + 60 > now(), "{first}");
    wait_until(Duration::from_secs(3), "the clock to pass LASTSAVE", || {
        now() > first
    });
    c.expect(&["SAVE"], OK);
    let second = c.cmd_str(&["LASTSAVE"]);
    let second: u64 = second.trim()[1..].parse().expect("an integer");
    assert!(second > first, "{second} after {first}");
    assert_eq!(info_field(&mut c, "rdb_last_save_time"), second.to_string());
}

#[test]
fn info_persistence_has_redis_fields_merged_over_the_shards() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    for sh in 0..SHARDS {
        c.expect(&["SET", &key_on_shard("dirty", sh, SHARDS), "1"], OK);
    }
    let info = c.cmd_str(&["INFO", "persistence"]);
    assert!(info.contains("# Persistence\r\n"), "{info}");
    assert!(!info.contains("# Server"), "{info}");
    for field in [
        "loading:0\r\n",
        "rdb_changes_since_last_save:3\r\n",
        "rdb_bgsave_in_progress:0\r\n",
        "rdb_last_save_time:",
        "rdb_last_bgsave_status:ok\r\n",
        "rdb_last_bgsave_time_sec:-1\r\n",
        "aof_enabled:1\r\n",
        "aof_rewrite_in_progress:0\r\n",
        "aof_last_bgrewrite_status:ok\r\n",
        "aof_last_write_status:ok\r\n",
    ] {
        assert!(info.contains(field), "{field} missing in {info}");
    }
    // The shards' own commands are not for clients.
    for internal in [
        &["SHARDD.INFO"][..],
        &["SHARDD.CONFIG", "1", "1", "appendfsync", "no"],
    ] {
        let reply = c.cmd_str(internal);
        assert!(reply.starts_with("-ERR unknown command"), "{reply}");
    }
    let all = c.cmd_str(&["INFO"]);
    assert!(
        all.contains("# Server") && all.contains("# Persistence"),
        "{all}"
    );
}

#[test]
fn config_set_appendfsync_reaches_every_shard() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "appendfsync", "always"], OK);
    c.expect(
        &["CONFIG", "GET", "appendfsync"],
        "*2\r\n$11\r\nappendfsync\r\n$6\r\nalways\r\n",
    );
    let info = c.cmd_str(&["INFO", "shards"]);
    assert_eq!(info.matches("appendfsync=always").count(), SHARDS, "{info}");
    c.expect(&["SET", "k", "v"], OK);
    c.expect(&["CONFIG", "SET", "appendfsync", "NO"], OK);
    let info = c.cmd_str(&["INFO", "shards"]);
    assert_eq!(info.matches("appendfsync=no").count(), SHARDS, "{info}");
    let bad = c.cmd_str(&["CONFIG", "SET", "appendfsync", "sometimes"]);
    assert!(bad.starts_with("-ERR CONFIG SET failed"), "{bad}");
    c.expect(
        &["CONFIG", "GET", "appendfsync"],
        "*2\r\n$11\r\nappendfsync\r\n$2\r\nno\r\n",
    );
}
