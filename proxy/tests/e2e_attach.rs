//! A proxy attached to shard processes it did not start (`--attach`, as
//! `ops/start` runs them): it serves them, and a restarted proxy finds the
//! shards, and their data in memory, untouched.

mod common;

use common::{
    bulk, keys_on_shard, pid_alive, wait_until, Opts, Server, Shards, TempDir, IO_TIMEOUT, OK,
};

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

#[test]
fn shards_attached_out_of_order_are_refused_naming_both_ids() {
    let dir = TempDir::new();
    let shards = Shards::start(2, &dir.0);
    let mut swapped = shards.sockets();
    swapped.swap(0, 1);
    let s = Server::start(
        Opts::default()
            .attach(&swapped)
            .flag("--shard-wait-timeout-ms", "200")
            .unready(),
    );
    wait_until(IO_TIMEOUT, "the refusal in the proxy's log", || {
        s.log_tail().contains("says it is shard 1, not 0")
    });
    assert!(s.log_tail().contains("says it is shard 0, not 1"));
    // Nothing is routed to a shard in the wrong place.
    let mut c = s.raw();
    let reply = c.cmd_str(&["SET", "k", "v"]);
    assert!(reply.starts_with("-"), "{reply}");
}
