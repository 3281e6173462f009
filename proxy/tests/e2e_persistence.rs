//! Data outlives processes: a shard killed with SIGKILL comes back with
//! every acknowledged write (the log is written before replies are
//! published), and a new proxy on the same data directory finds the data.

mod common;

use common::{bulk, bulks, int, keys_on_shard, Opts, Server, TempDir, OK};

const SHARDS: usize = 3;

/// Writes strings on every shard plus a hash and a list; returns the keys.
fn write_data(s: &Server) -> Vec<String> {
    let mut c = s.raw();
    let keys: Vec<String> = (0..SHARDS)
        .flat_map(|sh| keys_on_shard("dur", sh, SHARDS, 50))
        .collect();
    for k in &keys {
        c.expect(&["SET", k, &format!("v-{k}")], OK);
    }
    c.expect(&["INCRBY", "dur:counter", "41"], int(41));
    c.expect(&["INCR", "dur:counter"], int(42));
    c.expect(&["HSET", "dur:hash", "f", "v", "g", "w"], int(2));
    c.expect(&["RPUSH", "dur:list", "a", "b", "c"], int(3));
    c.expect(&["DEL", &keys[0]], int(1));
    keys
}

/// Checks what [`write_data`] wrote.
fn check_data(s: &Server, keys: &[String]) {
    let mut c = s.raw();
    c.expect(&["GET", &keys[0]], common::NIL);
    for k in &keys[1..] {
        c.expect(&["GET", k], bulk(&format!("v-{k}")));
    }
    c.expect(&["GET", "dur:counter"], bulk("42"));
    c.expect(&["HGET", "dur:hash", "g"], bulk("w"));
    c.expect(&["LRANGE", "dur:list", "0", "-1"], bulks(&["a", "b", "c"]));
}

#[test]
fn acknowledged_writes_survive_shards_killed_with_sigkill() {
    let s = Server::with_shards(SHARDS);
    let keys = write_data(&s);
    s.kill_every_shard(SHARDS);
    check_data(&s, &keys);
}

#[test]
fn a_new_proxy_on_the_same_data_directory_finds_the_data() {
    let data = TempDir::new();
    let keys = {
        let s = Server::start(Opts::shards(SHARDS).data_dir(&data.0));
        write_data(&s)
        // Dropped: the proxy is killed, its shards stop.
    };
    let s = Server::start(Opts::shards(SHARDS).data_dir(&data.0));
    check_data(&s, &keys);
}

/// The `appendfsync=` of each `shardN:` line of `INFO shards`.
fn shard_policies(s: &Server) -> Vec<String> {
    let info = s.raw().cmd_str(&["INFO", "shards"]);
    info.lines()
        .filter(|l| l.starts_with("shard"))
        .filter_map(|l| l.split("appendfsync=").nth(1))
        .map(|p| p.trim().to_string())
        .collect()
}

#[test]
fn a_restarted_shard_keeps_the_policy_config_set_chose() {
    let s = Server::with_shards(2);
    assert_eq!(shard_policies(&s), ["everysec", "everysec"]);
    s.raw()
        .expect(&["CONFIG", "SET", "appendfsync", "always"], OK);
    assert_eq!(shard_policies(&s), ["always", "always"]);
    s.kill_every_shard(2);
    // The supervisor started new processes, with the policy set last, not
    // the flag's.
    assert_eq!(shard_policies(&s), ["always", "always"]);
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "GET", "appendfsync"],
        bulks(&["appendfsync", "always"]),
    );
}
