//! Introspection over the whole server, proxy and shards together: INFO
//! sections and command statistics, CONFIG RESETSTAT, MEMORY, SLOWLOG and
//! LATENCY, checked through a real proxy and its real shards.

mod common;

use common::{err, int, key_on_shard, keys_on_shard, wait_until, Server, IO_TIMEOUT, NIL, OK};
use redis::Value;

const SHARDS: usize = 2;

/// The value of `name:` in an INFO text.
fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
}

/// The section headers of an INFO text, in order.
fn headers(info: &str) -> Vec<String> {
    info.split("\r\n")
        .filter_map(|l| l.strip_prefix("# "))
        .map(str::to_string)
        .collect()
}

fn query(c: &mut redis::Connection, args: &[&str]) -> Value {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(c)
        .unwrap_or_else(|e| panic!("{args:?} failed: {e}"))
}

fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(items) => items,
        other => panic!("not an array: {other:?}"),
    }
}

fn integer(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("not an integer: {other:?}"),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

/// The arguments of a `SLOWLOG GET` entry, joined by spaces.
fn entry_args(e: &Value) -> String {
    items(&items(e)[3])
        .iter()
        .map(text)
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn info_sections_are_chosen_and_printed_as_redis_does() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let two = c.cmd_str(&["INFO", "server", "clients"]);
    assert_eq!(headers(&two), ["Server", "Clients"], "{two}");
    assert_eq!(field(&two, "redis_version"), Some("7.0.15"));
    assert_eq!(field(&two, "tcp_port"), Some(s.port.to_string().as_str()));
    assert_eq!(headers(&c.cmd_str(&["INFO", "cpu", "sentinel"])), ["CPU"]);
    assert_eq!(c.cmd_str(&["INFO", "sentinel"]), "$0\r\n\r\n");
    let default = c.cmd_str(&["INFO"]);
    assert_eq!(
        headers(&default),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace",
            "Shards"
        ]
    );
    assert!(!default.contains("rejected_calls"), "{default}");
    for f in [
        "used_cpu_user",
        "used_memory",
        "role",
        "connected_slaves",
        "master_repl_offset",
    ] {
        assert!(field(&default, f).is_some(), "{f} missing in {default}");
    }
    assert_eq!(field(&default, "cluster_enabled"), Some("0"));
    assert_eq!(field(&default, "migrate_cached_sockets"), Some("0"));
    let all = c.cmd_str(&["INFO", "cpu", "all"]);
    assert_eq!(headers(&all).len(), 14, "{all}");
    assert!(all.contains("rejected_calls") && all.contains("latency_percentiles_usec_info:"));
    assert_eq!(all.matches("used_cpu_user_children").count(), 1);
    let everything = c.cmd_str(&["INFO", "everything"]);
    assert_eq!(headers(&everything), headers(&all));
}

#[test]
fn command_statistics_count_the_proxy_and_every_shard() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let keys: Vec<String> = (0..SHARDS).map(|i| key_on_shard("cs", i, SHARDS)).collect();
    for k in &keys {
        c.expect(&["SET", k, "1"], OK);
    }
    c.expect(&["SET", &keys[0], "2"], OK);
    c.expect(&["PING"], "+PONG\r\n");
    c.expect(
        &["GET"],
        err("ERR wrong number of arguments for 'get' command"),
    );
    c.expect(&["SET", "str", "x"], OK);
    c.expect(
        &["INCR", "str"],
        err("ERR value is not an integer or out of range"),
    );
    // An MGET over both shards is one call, not one per shard.
    let mget = c.cmd_str(&["MGET", &keys[0], &keys[1]]);
    assert!(mget.starts_with("*2\r\n"), "{mget}");
    let unknown = c.cmd_str(&["NOSUCHCOMMAND"]);
    assert!(unknown.starts_with("-ERR unknown command"), "{unknown}");
    let stats = c.cmd_str(&["INFO", "commandstats"]);
    let stat = |name: &str| {
        field(&stats, &format!("cmdstat_{name}"))
            .unwrap_or_else(|| panic!("{name} in {stats}"))
            .to_string()
    };
    assert!(stat("set").starts_with("calls=4,usec="), "{stats}");
    assert!(stat("ping").starts_with("calls=1,"), "{stats}");
    assert!(
        stat("get").ends_with(",rejected_calls=1,failed_calls=0"),
        "{stats}"
    );
    assert!(stat("incr").starts_with("calls=1,") && stat("incr").ends_with("failed_calls=1"));
    assert!(stat("mget").starts_with("calls=1,"), "{stats}");
    let errors = c.cmd_str(&["INFO", "errorstats"]);
    assert_eq!(field(&errors, "errorstat_ERR"), Some("count=3"), "{errors}");
    let latency = c.cmd_str(&["INFO", "latencystats"]);
    let set = field(&latency, "latency_percentiles_usec_set").unwrap_or_default();
    assert!(
        set.starts_with("p50=") && set.contains(",p99=") && set.contains(",p99.9="),
        "{latency}"
    );
    let total = field(&c.cmd_str(&["INFO", "stats"]), "total_error_replies").map(str::to_string);
    assert_eq!(total.as_deref(), Some("3"));

    let before = c.cmd_str(&["INFO", "stats"]);
    assert_ne!(field(&before, "keyspace_hits"), Some("0"), "{before}");
    c.expect(&["CONFIG", "RESETSTAT"], OK);
    // The shards' counters too.
    let after = c.cmd_str(&["INFO", "stats"]);
    assert_eq!(field(&after, "keyspace_hits"), Some("0"), "{after}");
    assert_eq!(field(&after, "expired_keys"), Some("0"), "{after}");
    let stats = c.cmd_str(&["INFO", "commandstats"]);
    assert!(field(&stats, "cmdstat_set").is_none(), "{stats}");
    assert!(field(&stats, "cmdstat_config|resetstat").is_some_and(|v| v.starts_with("calls=1,")));
    assert_eq!(
        c.cmd_str(&["INFO", "errorstats"]),
        "$14\r\n# Errorstats\r\n\r\n"
    );
    c.expect(&["SET", &keys[1], "3"], OK);
    c.expect(&["GET", &keys[0]], "$1\r\n2\r\n");
    let mut rc = s.client();
    let h = query(&mut rc, &["LATENCY", "HISTOGRAM", "set", "get", "nosuch"]);
    let h = items(&h);
    assert_eq!(h.len(), 4, "{h:?}");
    assert_eq!(text(&h[0]), "set");
    assert_eq!(text(&items(&h[1])[0]), "calls");
    assert_eq!(integer(&items(&h[1])[1]), 1);
    assert_eq!(text(&items(&h[1])[2]), "histogram_usec");
}

#[test]
fn memory_commands_speak_for_keys_and_for_the_whole_server() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["MEMORY", "USAGE", "nokey"], NIL);
    let big = "A".repeat(33_000);
    c.expect(&["SET", "big", &big], OK);
    let usage = |c: &mut common::Raw, args: &[&str]| -> i64 {
        let r = c.cmd_str(args);
        r.strip_prefix(':')
            .and_then(|n| n.trim_end().parse().ok())
            .unwrap_or_else(|| panic!("{args:?}: {r}"))
    };
    let n = usage(&mut c, &["MEMORY", "USAGE", "big"]);
    assert!((33_000..42_000).contains(&n), "{n}");
    c.expect(&["HSET", "h", "f", "v"], int(1));
    c.expect(&["RPUSH", "l", "a", "b"], int(2));
    c.expect(&["SADD", "st", "a", "b"], int(2));
    c.expect(&["ZADD", "z", "1", "a"], int(1));
    for key in ["h", "l", "st", "z"] {
        assert!(
            usage(&mut c, &["MEMORY", "USAGE", key, "SAMPLES", "0"]) > 0,
            "{key}"
        );
    }
    c.expect(
        &["MEMORY", "USAGE", "h", "SAMPLES", "-1"],
        err("ERR syntax error"),
    );
    c.expect(
        &["MEMORY", "USAGE", "h", "SAMPLES", "x"],
        err("ERR value is not an integer or out of range"),
    );
    c.expect(&["MEMORY", "PURGE"], OK);
    c.expect(
        &["MEMORY", "PURGE", "x"],
        err("ERR wrong number of arguments for 'memory|purge' command"),
    );
    let mut rc = s.client();
    let stats = query(&mut rc, &["MEMORY", "STATS"]);
    let stats = items(&stats);
    let get = |name: &str| {
        stats
            .chunks(2)
            .find(|kv| text(&kv[0]) == name)
            .map(|kv| kv[1].clone())
            .unwrap_or_else(|| panic!("{name} missing in MEMORY STATS"))
    };
    assert_eq!(integer(&get("keys.count")), 5);
    assert_eq!(integer(&get("shards.count")), SHARDS as i64);
    assert!(integer(&get("total.allocated")) > integer(&get("proxy.allocated")));
    assert!(!items(&get("db.0")).is_empty());
    assert!(text(&query(&mut rc, &["MEMORY", "DOCTOR"])).len() > 10);
    let malloc = text(&query(&mut rc, &["MEMORY", "MALLOC-STATS"]));
    assert!(malloc.contains("jemalloc statistics"), "{malloc}");
    let help = items(&query(&mut rc, &["MEMORY", "HELP"])).len();
    assert!(help > 5);
}

#[test]
fn the_slow_log_merges_the_shards_and_the_proxy_newest_first() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut rc = s.client();
    c.expect(&["CONFIG", "SET", "slowlog-log-slower-than", "0"], OK);
    c.expect(
        &["CONFIG", "GET", "slowlog-log-slower-than"],
        "*2\r\n$23\r\nslowlog-log-slower-than\r\n$1\r\n0\r\n",
    );
    c.expect(&["SLOWLOG", "RESET"], OK);
    query(&mut rc, &["CLIENT", "SETNAME", "slowpoke"]);
    let keys: Vec<String> = (0..SHARDS)
        .map(|i| key_on_shard("slow", i, SHARDS))
        .collect();
    for k in &keys {
        query(&mut rc, &["SET", k, "v"]);
    }
    let many: Vec<String> = (3..=33).map(|i| i.to_string()).collect();
    let mut sadd = vec!["SADD", "set"];
    sadd.extend(many.iter().map(String::as_str));
    query(&mut rc, &sadd);
    let log = query(&mut rc, &["SLOWLOG", "GET", "-1"]);
    let log = items(&log);
    // Newest first: sadd, then the two SETs, then CLIENT SETNAME and
    // SLOWLOG RESET (the proxy's).
    let args: Vec<String> = log.iter().map(entry_args).collect();
    assert_eq!(args.len(), 5, "{args:?}");
    assert!(
        args[0].starts_with("SADD set 3 4") && args[0].ends_with(" 31 ... (2 more arguments)"),
        "{args:?}"
    );
    assert_eq!(args[1], format!("SET {} v", keys[1]));
    assert_eq!(args[2], format!("SET {} v", keys[0]));
    assert_eq!(args[3], "CLIENT SETNAME slowpoke");
    assert_eq!(args[4], "SLOWLOG RESET");
    let mut ids: Vec<i64> = log.iter().map(|e| integer(&items(e)[0])).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5, "ids are unique");
    for e in &log[..3] {
        let e = items(e);
        assert_eq!(e.len(), 6);
        assert!(text(&e[4]).starts_with("127.0.0.1:"), "{e:?}");
        assert_eq!(text(&e[5]), "slowpoke", "{e:?}");
    }
    assert_eq!(items(&query(&mut rc, &["SLOWLOG", "GET", "2"])).len(), 2);
    // The two GETs just above were logged too.
    assert_eq!(items(&query(&mut rc, &["SLOWLOG", "GET"])).len(), 7);
    c.expect(
        &["SLOWLOG", "GET", "-2"],
        err("ERR count should be greater than or equal to -1"),
    );
    c.expect(&["CONFIG", "SET", "slowlog-max-len", "3"], OK);
    c.expect(&["SLOWLOG", "LEN"], int(3));
    assert_eq!(items(&query(&mut rc, &["SLOWLOG", "GET", "-1"])).len(), 3);
    c.expect(
        &["CONFIG", "SET", "slowlog-max-len", "-1"],
        err("ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument must be between 0 and 9223372036854775807 inclusive"),
    );
    c.expect(&["CONFIG", "SET", "slowlog-log-slower-than", "-1"], OK);
    c.expect(&["SLOWLOG", "RESET"], OK);
    for k in &keys {
        c.expect(&["SET", k, "w"], OK);
    }
    c.expect(&["DEBUG", "SLEEP", "0"], OK);
    c.expect(&["SLOWLOG", "LEN"], int(0));
    // A slow command of the proxy's, with its client's name.
    c.expect(&["CONFIG", "SET", "slowlog-log-slower-than", "100000"], OK);
    query(&mut rc, &["DEBUG", "SLEEP", "0.2"]);
    let log = query(&mut rc, &["SLOWLOG", "GET"]);
    let e = items(&items(&log)[0]);
    assert!(integer(&e[2]) > 100_000, "{e:?}");
    assert_eq!(entry_args(&items(&log)[0]), "DEBUG SLEEP 0.2");
    assert_eq!(text(&e[5]), "slowpoke");
}

/// Fills `key` (on `shard`) with a long list of numbers, so that `SORT key
/// LIMIT 0 1` keeps its shard busy for many milliseconds.
fn long_list(rc: &mut redis::Connection, key: &str) {
    for chunk in 0..40 {
        let values: Vec<String> = (0..5000)
            .map(|i| (chunk * 5000 + i * 7919 % 200_000).to_string())
            .collect();
        let mut args = vec!["RPUSH", key];
        args.extend(values.iter().map(String::as_str));
        query(rc, &args);
    }
}

/// The worst `command` spike `LATENCY LATEST` shows, in milliseconds (0:
/// none).
fn worst_command_spike_ms(rc: &mut redis::Connection) -> i64 {
    let latest = query(rc, &["LATENCY", "LATEST"]);
    items(&latest)
        .iter()
        .map(items)
        .find(|e| text(&e[0]) == "command")
        .map_or(0, |e| integer(&e[3]))
}

/// A shard's spike: the latency monitor is reset, then a long SORT runs on
/// the shard that holds `key`, taking at least `floor_ms` as the client
/// sees it (retried until it does). Nothing the proxy answers meanwhile
/// (LATENCY RESET) comes near that, so a `command` spike of `floor_ms / 2`
/// or more is the shard's.
fn shard_spike_ms(rc: &mut redis::Connection, key: &str, floor_ms: u128) -> i64 {
    let mut tries = 0;
    loop {
        query(rc, &["LATENCY", "RESET"]);
        let started = std::time::Instant::now();
        query(rc, &["SORT", key, "LIMIT", "0", "1"]);
        if started.elapsed().as_millis() >= floor_ms || tries == 20 {
            return worst_command_spike_ms(rc);
        }
        tries += 1;
    }
}

#[test]
fn restarted_shards_log_by_the_thresholds_config_set_chose() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut rc = s.client();
    let list = keys_on_shard("lat", 1, SHARDS, 1).remove(0);
    long_list(&mut rc, &list);
    // Before: the defaults (10 ms, no latency monitor) log none of these.
    c.expect(&["SLOWLOG", "RESET"], OK);
    let key = key_on_shard("before", 1, SHARDS);
    c.expect(&["SET", &key, "v"], OK);
    assert!(!c.cmd_str(&["SLOWLOG", "GET"]).contains(&key));
    assert_eq!(shard_spike_ms(&mut rc, &list, 20), 0, "the monitor is off");
    c.expect(
        &[
            "CONFIG",
            "SET",
            "slowlog-log-slower-than",
            "0",
            "latency-monitor-threshold",
            "1",
        ],
        OK,
    );
    s.kill_every_shard(SHARDS);
    // The restarted shards were started with the values in force.
    c.expect(&["SLOWLOG", "RESET"], OK);
    let key = key_on_shard("after", 1, SHARDS);
    c.expect(&["SET", &key, "v"], OK);
    let log = c.cmd_str(&["SLOWLOG", "GET", "1"]);
    assert!(log.contains(&key), "{log}");
    let spike = shard_spike_ms(&mut rc, &list, 20);
    assert!(spike >= 10, "a restarted shard records spikes: {spike} ms");
    // And a change after the restart reaches them as it reaches any shard.
    c.expect(
        &[
            "CONFIG",
            "SET",
            "slowlog-log-slower-than",
            "-1",
            "latency-monitor-threshold",
            "0",
        ],
        OK,
    );
    c.expect(&["SLOWLOG", "RESET"], OK);
    c.expect(&["SET", &key, "w"], OK);
    c.expect(&["SLOWLOG", "LEN"], int(0));
    assert_eq!(shard_spike_ms(&mut rc, &list, 20), 0, "the monitor is off");
}

#[test]
fn latencystats_follow_latency_tracking_and_its_percentiles() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let key = key_on_shard("lt", 1, SHARDS);
    c.expect(&["SET", &key, "v"], OK);
    let line = |c: &mut common::Raw| {
        let t = c.cmd_str(&["INFO", "latencystats"]);
        field(&t, "latency_percentiles_usec_set").map(str::to_string)
    };
    let set = line(&mut c).expect("a line for SET");
    assert!(set.starts_with("p50=") && set.contains(",p99=") && set.contains(",p99.9="));
    c.expect(
        &[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "0.0 50.0 100.0",
        ],
        OK,
    );
    c.expect(
        &["CONFIG", "GET", "latency-tracking-info-percentiles"],
        common::bulks(&["latency-tracking-info-percentiles", "0 50 100"]),
    );
    let set = line(&mut c).expect("a line for SET");
    assert!(
        set.starts_with("p0=") && set.contains(",p50=") && set.contains(",p100="),
        "{set}"
    );
    c.expect(
        &[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "10.0 50.0 a",
        ],
        err("ERR CONFIG SET failed (possibly related to argument 'latency-tracking-info-percentiles') - Invalid latency-tracking-info-percentiles parameters"),
    );
    c.expect(&["CONFIG", "SET", "latency-tracking", "no"], OK);
    assert_eq!(
        c.cmd_str(&["INFO", "latencystats"]),
        "$16\r\n# Latencystats\r\n\r\n"
    );
    c.expect(&["CONFIG", "SET", "latency-tracking", "yes"], OK);
    assert!(line(&mut c).is_some());
}

#[test]
fn the_latency_monitor_merges_the_shards_and_the_proxy() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut rc = s.client();
    c.expect(&["LATENCY", "LATEST"], "*0\r\n");
    let off = text(&query(&mut rc, &["LATENCY", "DOCTOR"]));
    assert!(off.contains("latency-monitor-threshold"), "{off}");
    c.expect(&["CONFIG", "SET", "latency-monitor-threshold", "1"], OK);
    // A slow command on a shard: sorting a long list.
    let key = keys_on_shard("lat", 1, SHARDS, 1).remove(0);
    for chunk in 0..20 {
        let values: Vec<String> = (0..5000)
            .map(|i| (chunk * 5000 + i * 7919 % 100_000).to_string())
            .collect();
        let mut args = vec!["RPUSH", key.as_str()];
        args.extend(values.iter().map(String::as_str));
        query(&mut rc, &args);
    }
    wait_until(IO_TIMEOUT, "a shard to record a latency spike", || {
        query(&mut rc, &["SORT", &key, "LIMIT", "0", "1"]);
        !items(&query(&mut rc, &["LATENCY", "LATEST"])).is_empty()
    });
    // And one of the proxy's: DEBUG SLEEP.
    query(&mut rc, &["DEBUG", "SLEEP", "0.05"]);
    let latest = query(&mut rc, &["LATENCY", "LATEST"]);
    let events: Vec<String> = items(&latest).iter().map(|e| text(&items(e)[0])).collect();
    assert!(events.contains(&"command".to_string()), "{events:?}");
    let command = items(&latest)
        .iter()
        .find(|e| text(&items(e)[0]) == "command")
        .map(|e| items(e).to_vec())
        .unwrap_or_default();
    assert!(
        integer(&command[3]) >= 50,
        "the worst spike is the sleep: {command:?}"
    );
    let history = query(&mut rc, &["LATENCY", "HISTORY", "command"]);
    assert!(!items(&history).is_empty());
    assert!(text(&query(&mut rc, &["LATENCY", "DOCTOR"])).contains("command"));
    assert!(text(&query(&mut rc, &["LATENCY", "GRAPH", "command"])).starts_with("command - high "));
    c.expect(
        &["LATENCY", "GRAPH", "nosuch"],
        err("ERR No samples available for event 'nosuch'"),
    );
    c.expect(&["LATENCY", "HISTORY", "nosuch"], "*0\r\n");
    c.expect(&["LATENCY", "RESET", "nosuch"], int(0));
    let reset = integer(&query(&mut rc, &["LATENCY", "RESET"]));
    assert!(reset >= 1, "{reset}");
    c.expect(&["LATENCY", "LATEST"], "*0\r\n");
    c.expect(
        &["LATENCY", "HELP", "xxx"],
        err("ERR wrong number of arguments for 'latency|help' command"),
    );
}

/// The next MONITOR line on `m`, without its timestamp: `[db from] args`.
fn monitor_line(m: &mut common::Raw) -> String {
    let line = String::from_utf8_lossy(&m.read_reply()).into_owned();
    let body = line
        .strip_prefix('+')
        .unwrap_or_else(|| panic!("a status line: {line:?}"));
    match body.split_once(' ') {
        Some((stamp, rest)) if stamp.contains('.') => rest.trim_end().to_string(),
        _ => panic!("a timestamp first: {line:?}"),
    }
}

#[test]
fn monitor_shows_a_shards_command_once_it_has_run() {
    let s = Server::with_shards(2);
    let mut m = s.raw();
    m.expect(&["MONITOR"], OK);
    let a = key_on_shard("ran", 0, 2);
    // A script that runs until it is killed, then a GET behind it on the
    // same shard: the GET runs only after the kill.
    let mut c = s.raw();
    let lua = "while true do end";
    let mut pipeline = common::encode(&["EVAL", lua, "1", &a]);
    pipeline.extend(common::encode(&["GET", &a]));
    c.send(&pipeline);
    assert!(monitor_line(&mut m).contains("\"EVAL\""));
    // Redis shows a command after it ran (ioredis's tests act on the
    // line as on the command's end): nothing while the GET waits.
    assert!(!m.closed_within(std::time::Duration::from_millis(300)));
    assert_eq!(m.take_buffered(), b"", "no line before the GET ran");
    let mut k = s.raw();
    wait_until(IO_TIMEOUT, "SCRIPT KILL to stop the script", || {
        k.cmd_str(&["SCRIPT", "KILL"]) == OK
    });
    // SCRIPT KILL is shown too (one line per try).
    let mut line = monitor_line(&mut m);
    while line.contains("\"SCRIPT\" \"KILL\"") {
        line = monitor_line(&mut m);
    }
    assert!(line.ends_with(&format!("\"GET\" \"{a}\"")), "{line}");
    assert!(String::from_utf8_lossy(&c.read_reply()).contains("killed"));
    c.expect(&["GET", &a], NIL);
}

#[test]
fn monitor_shows_every_clients_commands_as_redis_does() {
    // Two workers: the monitor and the clients may live on either.
    let s = Server::start(common::Opts::shards(2).workers(2));
    let mut m = s.raw();
    m.expect(&["MONITOR"], OK);
    let mut c = s.raw();
    let from = {
        let info = c.cmd_str(&["CLIENT", "INFO"]);
        let addr = info
            .split(' ')
            .find_map(|f| f.strip_prefix("addr="))
            .unwrap_or_default()
            .to_string();
        addr
    };
    assert_eq!(
        monitor_line(&mut m),
        format!("[0 {from}] \"CLIENT\" \"INFO\"")
    );
    let (a, b) = (key_on_shard("mon", 0, 2), key_on_shard("mon", 1, 2));
    c.expect(&["SET", &a, "x y\n\"z\""], OK);
    assert_eq!(
        monitor_line(&mut m),
        format!("[0 {from}] \"SET\" \"{a}\" \"x y\\n\\\"z\\\"\"")
    );
    // Administrative commands are not shown; AUTH's arguments are hidden.
    c.cmd(&["CONFIG", "GET", "maxmemory"]);
    c.cmd(&["AUTH", "nobody", "secret"]);
    assert_eq!(
        monitor_line(&mut m),
        format!("[0 {from}] \"AUTH\" \"(redacted)\" \"(redacted)\"")
    );
    // MULTI: the queued commands at EXEC, in their databases, then EXEC.
    c.expect(&["MULTI"], OK);
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["GET", &b]);
    c.cmd(&["EXEC"]);
    for want in [
        format!("[0 {from}] \"MULTI\""),
        format!("[0 {from}] \"SELECT\" \"3\""),
        format!("[3 {from}] \"GET\" \"{b}\""),
        format!("[3 {from}] \"EXEC\""),
    ] {
        assert_eq!(monitor_line(&mut m), want);
    }
    // A script's commands, as the shard runs them, over both shards.
    c.expect(&["SELECT", "0"], OK);
    assert_eq!(monitor_line(&mut m), format!("[3 {from}] \"SELECT\" \"0\""));
    let lua = "redis.call('set', KEYS[1], '1'); return redis.call('get', KEYS[2])";
    c.cmd(&["EVAL", lua, "2", &a, &b]);
    assert_eq!(
        monitor_line(&mut m),
        format!("[0 {from}] \"EVAL\" \"{lua}\" \"2\" \"{a}\" \"{b}\"")
    );
    assert_eq!(
        monitor_line(&mut m),
        format!("[0 lua] \"set\" \"{a}\" \"1\"")
    );
    assert_eq!(monitor_line(&mut m), format!("[0 lua] \"get\" \"{b}\""));
    // RESET ends it: nothing more comes, and the connection answers again.
    m.send(&common::encode(&["RESET"]));
    assert_eq!(m.read_reply(), b"+RESET\r\n");
    c.expect(&["PING"], "+PONG\r\n");
    m.expect(&["ECHO", "after"], "$5\r\nafter\r\n");
}

#[test]
fn role_replicaof_module_lolwut_cluster_nodes_and_debug_error_answer_as_one_master() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["ROLE"], "*3\r\n$6\r\nmaster\r\n:0\r\n*0\r\n");
    // Already a master: NO ONE is done; following another server is not.
    c.expect(&["REPLICAOF", "NO", "ONE"], "+OK\r\n");
    c.expect(&["SLAVEOF", "no", "one"], "+OK\r\n");
    c.expect(
        &["REPLICAOF", "NO ONE"],
        err("ERR wrong number of arguments for 'replicaof' command"),
    );
    c.expect(
        &["REPLICAOF", "127.0.0.1", "x"],
        err("ERR Invalid master port"),
    );
    let refused = c.cmd_str(&["REPLICAOF", "127.0.0.1", "6379"]);
    assert!(
        refused.starts_with("-ERR shardis does not replicate"),
        "{refused}"
    );
    let info = c.cmd_str(&["INFO", "replication"]);
    assert!(info.contains("role:master\r\n"), "{info}");
    // No modules, and no way to load one.
    c.expect(&["MODULE", "LIST"], "*0\r\n");
    c.expect(
        &["MODULE", "LOAD", "/x.so"],
        err("ERR unknown subcommand 'LOAD'. Try MODULE HELP."),
    );
    // LOLWUT draws each shard's slots and ends with the version line.
    let art = c.cmd_str(&["LOLWUT"]);
    assert!(art.contains("shard   1 |"), "{art}");
    assert!(art.ends_with("Redis ver. 7.0.15\n\r\n"), "{art}");
    assert!(c
        .cmd_str(&["LOLWUT", "VERSION", "5", "1"])
        .contains("Redis ver. 7.0.15"));
    c.expect(
        &["LOLWUT", "VERSION", "x"],
        err("ERR value is not an integer or out of range"),
    );
    // CLUSTER NODES: one node, master of every slot, as CLUSTER SLOTS says.
    let nodes = c.cmd_str(&["CLUSTER", "NODES"]);
    let id = c.cmd_str(&["CLUSTER", "MYID"]);
    let id = id.lines().nth(1).unwrap_or_default().to_string();
    assert!(
        nodes.contains(&format!(
            "{id} 127.0.0.1:{}@0 myself,master - 0 0 0 connected 0-16383\n",
            s.port
        )),
        "{nodes}"
    );
    // DEBUG ERROR answers its message as the error, newlines blanked.
    c.expect(
        &["DEBUG", "ERROR", "LOADING fake\nmessage"],
        "-LOADING fake message\r\n",
    );
    c.expect(&["DEBUG", "ERROR", "READONLY blah"], "-READONLY blah\r\n");
    c.expect(&["PING"], "+PONG\r\n");
}

/// Fields of Redis 7.0's INFO (sections server to cpu) that shardis does
/// not show, each for the reason the README gives ("Introspection"):
/// details of redis-server's own build and I/O threads; a snapshot
/// child's copy-on-write sizes and progress (the child reports nothing
/// back); statistics of mechanisms shardis does not have
/// (sampled expiry, deep dump sanitizing, reply-buffer resizing); the
/// replication backlog's size; the main thread's CPU (there is none).
const NOT_SHOWN: &[&str] = &[
    "redis_git_sha1",
    "redis_git_dirty",
    "redis_build_id",
    "gcc_version",
    "atomicvar_api",
    "io_threads_active",
    "current_cow_peak",
    "current_cow_size",
    "current_cow_size_age",
    "current_fork_perc",
    "current_save_keys_processed",
    "current_save_keys_total",
    "rdb_last_cow_size",
    "aof_last_cow_size",
    "expired_stale_perc",
    "dump_payload_sanitizations",
    "io_threaded_reads_processed",
    "io_threaded_writes_processed",
    "reply_buffer_expands",
    "reply_buffer_shrinks",
    "repl_backlog_size",
    "used_cpu_sys_main_thread",
    "used_cpu_user_main_thread",
];

/// The field names of an INFO text.
fn names(info: &str) -> std::collections::BTreeSet<String> {
    info.split("\r\n")
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':').map(|(n, _)| n.to_string()))
        .collect()
}

#[test]
fn info_shows_every_field_redis_shows_but_those_named_apart() {
    let Some(r) = common::RedisServer::start() else {
        eprintln!("redis-server is not installed: skipping the comparison");
        return;
    };
    let s = Server::with_shards(SHARDS);
    let (mut redis, mut ours) = (common::Raw::connect(r.port), s.raw());
    let sections = [
        "server",
        "clients",
        "memory",
        "persistence",
        "stats",
        "replication",
        "cpu",
    ];
    for section in sections {
        let theirs = names(&redis.cmd_str(&["INFO", section]));
        let mine = names(&ours.cmd_str(&["INFO", section]));
        let missing: Vec<&String> = theirs
            .iter()
            .filter(|f| !mine.contains(*f) && !NOT_SHOWN.contains(&f.as_str()))
            .collect();
        assert!(missing.is_empty(), "INFO {section} lacks {missing:?}");
        for f in NOT_SHOWN {
            assert!(
                !mine.contains(*f),
                "{f} is shown now: take it off NOT_SHOWN"
            );
        }
    }
    // Every name on the list is one Redis shows (no typo hides a gap).
    let all = names(&redis.cmd_str(&["INFO", "everything"]));
    for f in NOT_SHOWN {
        assert!(all.contains(*f), "redis-server shows no {f}");
    }
}

/// An integer field of an INFO text.
fn number(info: &str, name: &str) -> u64 {
    field(info, name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} missing or not a number in {info}"))
}

#[test]
fn info_figures_follow_the_load_forks_functions_loads_and_memory_limits() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    let mut rc = s.client();
    let info = |c: &mut common::Raw, section: &str| c.cmd_str(&["INFO", section]);

    // Memory at start, and what eviction does not count: the proxy's.
    let mem = info(&mut c, "memory");
    let startup = number(&mem, "used_memory_startup");
    assert!(
        startup > 0 && startup <= number(&mem, "used_memory"),
        "{mem}"
    );
    assert_eq!(
        number(&mem, "mem_not_counted_for_evict"),
        number(&mem, "used_memory_proxy")
    );
    assert!(number(&mem, "mem_clients_normal") > 0, "{mem}");

    // Rates: pipelines of PINGs until the sampled rate shows them.
    wait_until(
        IO_TIMEOUT,
        "instantaneous_ops_per_sec to show the load",
        || {
            let mut p = redis::pipe();
            for _ in 0..2_000 {
                p.cmd("PING");
            }
            let _: Vec<String> = p.query(&mut rc).expect("pings");
            let stats = info(&mut c, "stats");
            number(&stats, "instantaneous_ops_per_sec") > 0
                && field(&stats, "instantaneous_input_kbps") != Some("0.00")
                && field(&stats, "instantaneous_output_kbps") != Some("0.00")
        },
    );

    // Functions: every shard holds the library; one shard's figures.
    let code = "#!lua name=figures\n\
                redis.register_function('one', function() return 1 end)\n\
                redis.register_function('two', function() return 2 end)";
    c.expect(&["FUNCTION", "LOAD", code], "$7\r\nfigures\r\n");
    let mem = info(&mut c, "memory");
    assert_eq!(number(&mem, "number_of_libraries"), 1, "{mem}");
    assert_eq!(number(&mem, "number_of_functions"), 2, "{mem}");
    assert_eq!(number(&mem, "used_memory_functions"), code.len() as u64);
    assert_eq!(
        number(&mem, "used_memory_scripts"),
        number(&mem, "used_memory_scripts_eval") + code.len() as u64
    );

    // Forks: a BGSAVE forks one child per shard.
    c.expect(&["BGSAVE"], "+Background saving started\r\n");
    wait_until(IO_TIMEOUT, "both shards to fork", || {
        number(&info(&mut c, "stats"), "total_forks") >= SHARDS as u64
    });
    assert!(number(&info(&mut c, "stats"), "latest_fork_usec") > 0);

    // Loading: 100 keys and 6 that expire between the save and the load.
    let soon = |c: &mut common::Raw| {
        (0..6)
            .map(|i| c.cmd_str(&["EXISTS", &format!("soon:{i}")]))
            .filter(|r| r == ":1\r\n")
            .count()
    };
    wait_until(IO_TIMEOUT, "the BGSAVE to end", || {
        number(&info(&mut c, "persistence"), "rdb_bgsave_in_progress") == 0
    });
    for i in 0..100 {
        c.expect(&["SET", &format!("load:{i}"), "v"], OK);
    }
    for i in 0..6 {
        // Long enough to be saved first on a busy machine.
        c.expect(&["SET", &format!("soon:{i}"), "v", "PX", "1500"], OK);
    }
    c.expect(&["SAVE"], OK);
    wait_until(IO_TIMEOUT, "the short keys to expire", || soon(&mut c) == 0);
    s.kill_every_shard(SHARDS);
    let persistence = info(&mut c, "persistence");
    assert_eq!(
        number(&persistence, "rdb_last_load_keys_loaded"),
        100,
        "{persistence}"
    );
    assert_eq!(number(&persistence, "rdb_last_load_keys_expired"), 6);
    // Restarted shards compile the library from their snapshot for INFO.
    assert_eq!(number(&info(&mut c, "memory"), "number_of_functions"), 2);

    // Over maxmemory with nothing to evict: the stretch is timed, and
    // ends once the limit is lifted.
    c.expect(&["CONFIG", "SET", "maxmemory-policy", "noeviction"], OK);
    c.expect(&["CONFIG", "SET", "maxmemory", "1mb"], OK);
    wait_until(IO_TIMEOUT, "a stretch over maxmemory to show", || {
        let _ = c.cmd_str(&["SET", "more", "v"]);
        number(&info(&mut c, "stats"), "current_eviction_exceeded_time") > 0
    });
    c.expect(&["CONFIG", "SET", "maxmemory", "0"], OK);
    wait_until(IO_TIMEOUT, "the stretch to end", || {
        number(&info(&mut c, "stats"), "current_eviction_exceeded_time") == 0
    });
    assert!(number(&info(&mut c, "stats"), "total_eviction_exceeded_time") > 0);

    // Active expiry: 6,000 keys due at the same instant; a run takes
    // 2,000 keys at most, so each shard's first run leaves keys due.
    let now_ms: u64 = {
        let t: Vec<String> = redis::cmd("TIME").query(&mut rc).expect("TIME");
        t[0].parse::<u64>().expect("seconds") * 1000 + t[1].parse::<u64>().expect("us") / 1000
    };
    // Far enough ahead that every key is set before any is due.
    let at = (now_ms + 2_000).to_string();
    let mut p = redis::pipe();
    for i in 0..6_000 {
        p.cmd("SET")
            .arg(format!("due:{i}"))
            .arg("v")
            .arg("PXAT")
            .arg(&at);
    }
    let _: Vec<String> = p.query(&mut rc).expect("sets");
    let expired = number(&info(&mut c, "stats"), "expired_keys");
    wait_until(IO_TIMEOUT, "active expiry to remove the keys", || {
        number(&info(&mut c, "stats"), "expired_keys") >= expired + 6_000
    });
    let stats = info(&mut c, "stats");
    assert!(
        number(&stats, "expired_time_cap_reached_count") >= SHARDS as u64,
        "{stats}"
    );
}
