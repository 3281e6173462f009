//! A proxy attached to shard processes it did not start (`--attach`, as
//! `ops/start` runs them): it serves them, and a restarted proxy finds the
//! shards, and their data in memory, untouched.

mod common;

use common::{bulk, keys_on_shard, pid_alive, Opts, Server, Shards, TempDir, OK};

const SHARDS: usize = 3;

#[test]
fn a_restarted_proxy_attaches_to_the_same_running_shards() {
    let dir = TempDir::new();
    let shards = Shards::start(SHARDS, &dir.0);
    let keys: Vec<String> = (0..SHARDS)
        .flat_map(|s| keys_on_shard("att", s, SHARDS, 10))
        .collect();
    {
        let s = Server::start(Opts::default().attach(&shards.sockets()));
        let mut c = s.raw();
        for k in &keys {
            c.expect(&["SET", k, k], OK);
        }
        // Dropped: the proxy is killed; the shards are not its children.
    }
    for pid in shards.pids() {
        assert!(pid_alive(pid), "shard {pid} outlives the proxy");
    }
    let s = Server::start(Opts::default().attach(&shards.sockets()));
    let mut c = s.raw();
    for k in &keys {
        c.expect(&["GET", k], bulk(k));
    }
    let mut mget = vec!["MGET"];
    mget.extend(keys.iter().map(String::as_str));
    c.expect(
        &mget,
        common::bulks(&keys.iter().map(String::as_str).collect::<Vec<_>>()),
    );
}
