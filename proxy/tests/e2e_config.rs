//! CONFIG GET/SET against the real binaries: Redis's answers and errors
//! (compared with a real `redis-server` where one is installed), and each
//! setting taking effect where it applies: in the proxy, in every shard,
//! and in a shard the proxy restarts later.

mod common;

use std::time::Duration;

use common::{
    bulk, bulks, err, int, key_on_shard, wait_until, Raw, RedisServer, Server, IO_TIMEOUT, OK,
};

const SHARDS: usize = 3;

/// The `name value` pairs of a CONFIG GET reply, sorted (Redis's order is
/// its dictionary's).
fn pairs(c: &mut Raw, args: &[&str]) -> Vec<(String, String)> {
    let reply = c.cmd_str(args);
    let lines: Vec<&str> = reply.split("\r\n").collect();
    let mut out = Vec::new();
    let mut i = 1;
    while i + 3 < lines.len() {
        out.push((lines[i + 1].to_string(), lines[i + 3].to_string()));
        i += 4;
    }
    out.sort();
    out
}

/// Sends `args` to both servers and asserts the same reply.
#[track_caller]
fn same(redis: &mut Raw, ours: &mut Raw, args: &[&str]) -> String {
    let want = redis.cmd_str(args);
    assert_eq!(ours.cmd_str(args), want, "reply to {args:?}");
    want
}

#[test]
fn config_set_errors_and_answers_match_redis() {
    let Some(r) = RedisServer::start() else {
        eprintln!("redis-server is not installed: skipping the comparison");
        return;
    };
    let s = Server::with_shards(2);
    let (mut redis, mut ours) = (Raw::connect(r.port), s.raw());
    let cases: &[&[&str]] = &[
        &["CONFIG", "SET", "maxclients", "abc"],
        &["CONFIG", "SET", "maxclients", "0"],
        &["CONFIG", "SET", "maxclients", "-5"],
        &["CONFIG", "SET", "timeout", "-1"],
        &["CONFIG", "SET", "timeout", "+5"],
        &["CONFIG", "SET", "maxmemory", "1x"],
        &["CONFIG", "SET", "maxmemory", "1.5"],
        &["CONFIG", "SET", "maxmemory-clients", "200%"],
        &["CONFIG", "SET", "maxmemory-clients", "-1%"],
        &["CONFIG", "SET", "appendfsync", "sometimes"],
        &["CONFIG", "SET", "activerehashing", "maybe"],
        &["CONFIG", "SET", "save", "1 2 3"],
        &["CONFIG", "SET", "save", "0 1"],
        &["CONFIG", "SET", "hash-max-ziplist-entries", "-1"],
        &["CONFIG", "SET", "Hash-Max-Ziplist-Entries", "x"],
        &["CONFIG", "SET", "slowlog-log-slower-than", "-2"],
        &["CONFIG", "SET", "client-query-buffer-limit", "1000"],
        &[
            "CONFIG",
            "SET",
            "client-output-buffer-limit",
            "master 1 2 3",
        ],
        &["CONFIG", "SET", "nosuch", "1"],
        &["CONFIG", "SET", "timeout", "x", "nosuch", "1"],
        &["CONFIG", "SET", "timeout", "1", "maxclients"],
        &["CONFIG", "SET", "timeout", "1", "timeout", "2"],
        &["CONFIG", "SET", "daemonize", "yes"],
        &["CONFIG", "SET", "DAEMONIZE", "yes"],
        &["CONFIG", "SET", "dir", "/tmp"],
        &["CONFIG", "SET", "timeout"],
        &["CONFIG", "GET"],
        &["CONFIG", "SET", "maxmemory", "1kb"],
        &["CONFIG", "GET", "maxmemory"],
        &["CONFIG", "SET", "maxmemory-clients", "10%"],
        &["CONFIG", "GET", "maxmemory-clients"],
        &["CONFIG", "SET", "save", "3600 1 300 100"],
        &["CONFIG", "GET", "save"],
        &["CONFIG", "SET", "appendfsync", "ALWAYS"],
        &["CONFIG", "GET", "appendfsync"],
        &["CONFIG", "GET", "HASH-MAX-ZIPLIST-ENTRIES"],
        &["CONFIG", "GET", "key-load-delay"],
        &["CONFIG", "GET", "no-such-thing", "key-load*"],
    ];
    for args in cases {
        same(&mut redis, &mut ours, args);
    }
    // The same parameters under a pattern, whatever the order.
    for pat in ["hash-max-*", "*ziplist*", "slowlog*", "maxmemory*"] {
        let args = ["CONFIG", "GET", pat];
        assert_eq!(pairs(&mut ours, &args), pairs(&mut redis, &args), "{pat}");
    }
}

#[test]
fn a_bad_value_anywhere_changes_nothing() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "maxmemory", "10000002"], OK);
    c.expect(
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            "10000001",
            "hash-max-listpack-entries",
            "1",
            "maxmemory-clients",
            "200%",
            "client-query-buffer-limit",
            "invalid",
        ],
        err("ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - percentage argument must be less or equal to 100"),
    );
    c.expect(
        &["CONFIG", "GET", "maxmemory"],
        bulks(&["maxmemory", "10000002"]),
    );
    c.expect(
        &["CONFIG", "GET", "hash-max-listpack-entries"],
        bulks(&["hash-max-listpack-entries", "512"]),
    );
    // Nor did any shard hear of it: a small hash is still packed.
    for shard in 0..SHARDS {
        let key = key_on_shard("h", shard, SHARDS);
        c.expect(&["HSET", &key, "a", "1", "b", "2"], int(2));
        c.expect(&["OBJECT", "ENCODING", &key], bulk("listpack"));
    }
}

#[test]
fn config_get_takes_several_patterns_names_and_aliases() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let got = pairs(
        &mut c,
        &["CONFIG", "GET", "maxmemory", "maxmemory*", "bind", "*of"],
    );
    let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "maxmemory",
        "maxmemory-samples",
        "maxmemory-clients",
        "bind",
        "replicaof",
        "slaveof",
    ] {
        assert!(names.contains(&want), "{want} missing in {names:?}");
    }
    let mut unique = names.clone();
    unique.dedup();
    assert_eq!(unique, names, "a name twice");
    // Hidden parameters answer only to their exact name.
    let all = pairs(&mut c, &["CONFIG", "GET", "*"]);
    assert!(all.iter().all(|(n, _)| n != "key-load-delay"));
    assert!(all.len() > 150, "{} parameters", all.len());
    c.expect(
        &["CONFIG", "GET", "key-load-delay"],
        bulks(&["key-load-delay", "0"]),
    );
    // TLS is off unless a tls-port is given.
    c.expect(&["CONFIG", "GET", "tls-port"], bulks(&["tls-port", "0"]));
    c.expect(&["CONFIG", "GET", "tls-replication"], "*0\r\n");
}

#[test]
fn config_set_requirepass_applies_at_once() {
    let s = Server::with_shards(2);
    let mut admin = s.raw();
    admin.expect(&["CONFIG", "SET", "requirepass", "s3cret"], OK);
    // Connections already in keep working, as in Redis.
    admin.expect(&["PING"], "+PONG\r\n");
    let mut c = s.raw();
    c.expect(&["PING"], err("NOAUTH Authentication required."));
    c.expect(
        &["AUTH", "wrong"],
        err("WRONGPASS invalid username-password pair or user is disabled."),
    );
    c.expect(&["AUTH", "s3cret"], OK);
    c.expect(
        &["CONFIG", "GET", "requirepass"],
        bulks(&["requirepass", "s3cret"]),
    );
    c.expect(&["CONFIG", "SET", "requirepass", ""], OK);
    let mut d = s.raw();
    d.expect(&["PING"], "+PONG\r\n");
    d.expect(
        &["AUTH", "x"],
        err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"),
    );
}

#[test]
fn config_set_timeout_reaches_connections_already_open() {
    let s = Server::with_shards(2);
    let mut idle = s.raw();
    idle.expect(&["PING"], "+PONG\r\n");
    let mut admin = s.raw();
    admin.expect(&["CONFIG", "SET", "timeout", "1"], OK);
    assert!(
        idle.closed_within(Duration::from_secs(5)),
        "an idle client opened before the change is closed"
    );
    // The admin connection idled too: a new one turns the timeout off.
    s.raw().expect(&["CONFIG", "SET", "timeout", "0"], OK);
    let mut late = s.raw();
    std::thread::sleep(Duration::from_millis(2500));
    late.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn config_set_maxclients_refuses_connections_past_it() {
    let s = Server::with_shards(2);
    let mut a = s.raw();
    let _b = s.raw();
    a.expect(&["CONFIG", "SET", "maxclients", "2"], OK);
    let mut c = s.raw();
    assert_eq!(
        String::from_utf8_lossy(&c.read_reply()),
        "-ERR max number of clients reached\r\n"
    );
    a.expect(&["CONFIG", "SET", "maxclients", "10"], OK);
    s.raw().expect(&["PING"], "+PONG\r\n");
}

#[test]
fn proto_max_bulk_len_applies_in_the_proxy_and_in_every_shard() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "proto-max-bulk-len", "1mb"], OK);
    // Every shard refuses to build a string past it.
    for shard in 0..SHARDS {
        let key = key_on_shard("s", shard, SHARDS);
        c.expect(
            &["SETRANGE", &key, "1048576", "x"],
            err("ERR string exceeds maximum allowed size (proto-max-bulk-len)"),
        );
        c.expect(&["SETRANGE", &key, "1048575", "x"], int(1_048_576));
    }
    // The proxy refuses a longer argument at its length, before its bytes
    // (it answers and closes: a client still writing them would see a
    // broken pipe, so only the length is sent).
    let mut big = s.raw();
    big.send(format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n", (1 << 20) + 1).as_bytes());
    assert_eq!(
        String::from_utf8_lossy(&big.read_reply()),
        "-ERR Protocol error: invalid bulk length\r\n"
    );
    // A shard restarted later keeps the limit in force.
    let victim = s.shard_pid(0).expect("shard 0 runs");
    // SAFETY: kill(2) on a shard process this test started.
    unsafe { libc::kill(victim as i32, libc::SIGKILL) };
    let key = key_on_shard("t", 0, SHARDS);
    wait_until(IO_TIMEOUT, "shard 0 to come back", || {
        s.shard_pid(0).is_some_and(|p| p != victim)
            && c.cmd_str(&["SETRANGE", &key, "1048576", "x"])
                == err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    });
}

/// `OBJECT ENCODING` of a fresh key on `shard` after `fill` runs on it.
fn encoding_on(c: &mut Raw, shard: usize, fill: &[&str]) -> String {
    let key = key_on_shard(&format!("enc{}", fill.len()), shard, SHARDS);
    c.cmd_str(&["DEL", &key]);
    let mut args = vec![fill[0], key.as_str()];
    args.extend_from_slice(&fill[1..]);
    let r = c.cmd_str(&args);
    assert!(!r.starts_with('-'), "{args:?}: {r}");
    c.cmd_str(&["OBJECT", "ENCODING", &key])
}

/// (A list's chunks do not show: Redis 7.0 names every list `quicklist`;
/// `list-max-listpack-size` is tested beside the list type.)
#[test]
fn encoding_thresholds_reach_every_shard_and_shards_restarted_later() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let hash = ["HSET", "a", "1", "b", "2", "c", "3"];
    let zset = ["ZADD", "1", "a"];
    let set = ["SADD", "1", "2", "3"];
    for shard in 0..SHARDS {
        assert_eq!(encoding_on(&mut c, shard, &hash), bulk("listpack"));
        assert_eq!(encoding_on(&mut c, shard, &zset), bulk("listpack"));
        assert_eq!(encoding_on(&mut c, shard, &set), bulk("intset"));
    }
    c.expect(
        &[
            "CONFIG",
            "SET",
            "hash-max-ziplist-entries",
            "2",
            "zset-max-listpack-entries",
            "0",
            "set-max-intset-entries",
            "2",
        ],
        OK,
    );
    let check = |c: &mut Raw, shard: usize| {
        assert_eq!(
            encoding_on(c, shard, &hash),
            bulk("hashtable"),
            "shard {shard}"
        );
        assert_eq!(
            encoding_on(c, shard, &zset),
            bulk("skiplist"),
            "shard {shard}"
        );
        assert_eq!(
            encoding_on(c, shard, &set),
            bulk("hashtable"),
            "shard {shard}"
        );
    };
    for shard in 0..SHARDS {
        check(&mut c, shard);
    }
    c.expect(
        &["CONFIG", "GET", "hash-max-listpack-entries"],
        bulks(&["hash-max-listpack-entries", "2"]),
    );
    let victim = s.shard_pid(1).expect("shard 1 runs");
    // SAFETY: kill(2) on a shard process this test started.
    unsafe { libc::kill(victim as i32, libc::SIGKILL) };
    wait_until(IO_TIMEOUT, "shard 1 to come back", || {
        s.shard_pid(1).is_some_and(|p| p != victim)
            && c.cmd_str(&["PING"]) == "+PONG\r\n"
            && !encoding_on(&mut c, 1, &hash).starts_with('-')
    });
    check(&mut c, 1);
}

#[test]
fn config_set_save_makes_every_shard_snapshot_on_its_own() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let saves = |c: &mut Raw| -> u64 {
        let info = c.cmd_str(&["INFO", "persistence"]);
        info.split("\r\n")
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no rdb_changes_since_last_save in {info}"))
    };
    for i in 0..10 {
        c.expect(&["SET", &format!("k{i}"), "v"], OK);
    }
    assert!(saves(&mut c) >= 10);
    c.expect(&["CONFIG", "SET", "save", "1 1"], OK);
    wait_until(Duration::from_secs(10), "the shards to save", || {
        saves(&mut c) == 0
    });
}

#[test]
fn config_set_port_moves_the_listener_and_keeps_connections() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let free = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let new_port = free.local_addr().expect("addr").port();
    // A port in use changes nothing, whatever else the command sets.
    c.expect(
        &[
            "CONFIG",
            "SET",
            "maxmemory",
            "10000001",
            "port",
            &new_port.to_string(),
        ],
        err("ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."),
    );
    c.expect(&["CONFIG", "GET", "maxmemory"], bulks(&["maxmemory", "0"]));
    c.expect(
        &["CONFIG", "GET", "port"],
        bulks(&["port", &s.port.to_string()]),
    );
    drop(free);
    c.expect(&["CONFIG", "SET", "port", &new_port.to_string()], OK);
    c.expect(
        &["CONFIG", "GET", "port"],
        bulks(&["port", &new_port.to_string()]),
    );
    c.expect(&["PING"], "+PONG\r\n");
    Raw::connect(new_port).expect(&["PING"], "+PONG\r\n");
    assert!(
        Raw::try_connect(s.port).is_err(),
        "the old port no longer listens"
    );
}

#[test]
fn config_rewrite_writes_the_values_in_force_into_the_start_file() {
    let s = Server::start(common::Opts::shards(2).config_file(
        "# mine\nmaxmemory 100mb\nshard-wait-timeout-ms 3000\nsave 900 1\nsave 300 10\n",
    ));
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "maxmemory", "200mb"], OK);
    c.expect(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"], OK);
    c.expect(
        &["ACL", "SETUSER", "worker", "on", ">pw", "~jobs:*", "+get"],
        OK,
    );
    c.expect(&["CONFIG", "REWRITE"], OK);
    let text = std::fs::read_to_string(s.dir.join("shardis.conf")).expect("the file");
    let lines: Vec<&str> = text.lines().collect();
    // In place, in order; shardis's own line kept; the rest after the
    // signature.
    assert_eq!(
        &lines[..5],
        &[
            "# mine",
            "maxmemory 209715200",
            "shard-wait-timeout-ms 3000",
            "save 900 1 300 10",
            "# Generated by CONFIG REWRITE",
        ],
        "{text}"
    );
    assert!(lines.contains(&"maxmemory-policy allkeys-lru"), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with("user worker on #")),
        "{text}"
    );
    // What it wrote starts a server with those values and that user.
    let again = Server::start(common::Opts::shards(2).config_file(&text));
    let mut c = again.raw();
    c.expect(
        &["CONFIG", "GET", "maxmemory-policy"],
        bulks(&["maxmemory-policy", "allkeys-lru"]),
    );
    c.expect(
        &["CONFIG", "GET", "maxmemory"],
        bulks(&["maxmemory", "209715200"]),
    );
    c.expect(&["CONFIG", "GET", "save"], bulks(&["save", "900 1 300 10"]));
    c.expect(&["AUTH", "worker", "pw"], OK);
    // Without a config file: Redis's error.
    let plain = Server::with_shards(2);
    plain.raw().expect(
        &["CONFIG", "REWRITE"],
        err("ERR The server is running without a config file"),
    );
    plain.raw().expect(&["MEMORY", "PURGE"], OK);
}
