//! Commands the proxy answers itself: CLIENT, SELECT, ECHO, PING, TIME,
//! COMMAND, CONFIG, QUIT.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{bulk, bulks, err, int, wait_until, Opts, Server, IO_TIMEOUT, NIL, OK};

fn parse_int(reply: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(reply);
    text.strip_prefix(':')
        .and_then(|t| t.trim_end().parse().ok())
        .unwrap_or_else(|| panic!("not an integer reply: {text:?}"))
}

#[test]
fn client_setname_getname_and_id_describe_the_connection() {
    let s = Server::with_shards(2);
    let mut a = s.raw();
    let mut b = s.raw();
    a.expect(&["CLIENT", "GETNAME"], NIL);
    a.expect(&["CLIENT", "SETNAME", "alpha"], OK);
    a.expect(&["CLIENT", "GETNAME"], bulk("alpha"));
    a.expect(
        &["CLIENT", "SETNAME", "has space"],
        err("ERR Client names cannot contain spaces, newlines or special characters."),
    );
    let id_a = parse_int(&a.cmd(&["CLIENT", "ID"]));
    let id_b = parse_int(&b.cmd(&["CLIENT", "ID"]));
    assert!(id_a > 0 && id_b > 0 && id_a != id_b, "{id_a} {id_b}");
    a.expect(
        &["CLIENT", "NOSUCH"],
        err("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."),
    );
}

#[test]
fn client_list_shows_every_connection_of_every_worker() {
    let s = Server::start(Opts::shards(2).workers(2));
    let mut conns: Vec<_> = (0..6).map(|_| s.raw()).collect();
    for (i, c) in conns.iter_mut().enumerate() {
        c.expect(&["CLIENT", "SETNAME", &format!("c{i}")], OK);
    }
    let list = conns[0].cmd_str(&["CLIENT", "LIST"]);
    for i in 0..6 {
        assert!(
            list.contains(&format!(" name=c{i} ")),
            "c{i} missing in {list}"
        );
    }
    let id = parse_int(&conns[3].cmd(&["CLIENT", "ID"]));
    assert!(list.contains(&format!("id={id} ")), "{list}");
}

#[test]
fn client_kill_by_id_closes_that_connection_only() {
    let s = Server::start(Opts::shards(2).workers(2));
    let mut killer = s.raw();
    let mut victim = s.raw();
    let mut bystander = s.raw();
    let id = parse_int(&victim.cmd(&["CLIENT", "ID"]));
    killer.expect(&["CLIENT", "KILL", "ID", &id.to_string()], int(1));
    assert!(
        victim.closed_within(IO_TIMEOUT),
        "the victim is disconnected"
    );
    killer.expect(&["CLIENT", "KILL", "ID", &id.to_string()], int(0));
    bystander.expect(&["PING"], "+PONG\r\n");
    killer.expect(&["PING"], "+PONG\r\n");
    // A killed client leaves CLIENT LIST.
    wait_until(IO_TIMEOUT, "the victim to leave CLIENT LIST", || {
        !killer
            .cmd_str(&["CLIENT", "LIST"])
            .contains(&format!("id={id} "))
    });
}

#[test]
fn select_takes_the_configured_databases() {
    let s = Server::start(Opts::shards(2).config_file("databases 4\n"));
    let mut c = s.raw();
    c.expect(&["SELECT", "0"], OK);
    c.expect(&["SELECT", "3"], OK);
    c.expect(&["SELECT", "4"], err("ERR DB index is out of range"));
    c.expect(&["SELECT", "-1"], err("ERR DB index is out of range"));
    c.expect(&["SET", "k", "v"], OK);
    c.expect(&["MOVE", "k", "4"], err("ERR DB index is out of range"));
    c.expect(&["SWAPDB", "0", "4"], err("ERR DB index is out of range"));
    c.expect(
        &["CONFIG", "GET", "databases"],
        "*2\r\n$9\r\ndatabases\r\n$1\r\n4\r\n",
    );
    c.expect(
        &["SELECT", "x"],
        err("ERR value is not an integer or out of range"),
    );
}

#[test]
fn echo_ping_time_and_command_count_answer_like_redis() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.expect(&["PING"], "+PONG\r\n");
    c.expect(&["PING", "hi"], bulk("hi"));
    c.expect(&["ECHO", "hello world"], bulk("hello world"));
    c.expect(&["ECHO", ""], bulk(""));
    let time = c.cmd_str(&["TIME"]);
    let parts: Vec<&str> = time.split("\r\n").collect();
    assert_eq!(parts[0], "*2", "{time:?}");
    let secs: u64 = parts[2].parse().expect("seconds");
    let micros: u64 = parts[4].parse().expect("microseconds");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    assert!(secs.abs_diff(now.as_secs()) <= 5, "TIME {secs} vs {now:?}");
    assert!(micros < 1_000_000);
    let count = parse_int(&c.cmd(&["COMMAND", "COUNT"]));
    assert!(count > 100, "COMMAND COUNT {count}");
    let info = c.cmd_str(&["COMMAND", "INFO", "get"]);
    assert!(
        info.starts_with("*1\r\n*10\r\n$3\r\nget\r\n:2\r\n"),
        "{info:?}"
    );
}

#[test]
fn config_get_reports_the_running_port_and_settings() {
    let s = Server::start(Opts::shards(2).flag("--maxclients", "77"));
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "GET", "port"],
        bulks(&["port", &s.port.to_string()]),
    );
    c.expect(
        &["CONFIG", "GET", "maxclients"],
        bulks(&["maxclients", "77"]),
    );
    c.expect(&["CONFIG", "GET", "no-such-setting"], "*0\r\n");
}

#[test]
fn a_config_file_is_read_and_flags_override_it() {
    let s = Server::start(
        Opts::shards(2)
            .config_file("# test\nmaxclients 55\ntimeout 0\nrequirepass \"\"\n")
            .flag("--timeout", "100"),
    );
    let mut c = s.raw();
    c.expect(
        &["CONFIG", "GET", "maxclients"],
        bulks(&["maxclients", "55"]),
    );
    c.expect(&["CONFIG", "GET", "timeout"], bulks(&["timeout", "100"]));
}

#[test]
fn quit_answers_ok_and_then_closes() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.send(&common::encode(&["QUIT"]));
    assert!(c.closed_within(IO_TIMEOUT), "QUIT closes the connection");
    assert_eq!(c.take_buffered(), b"+OK\r\n");
    // Replies queued before QUIT are still sent first.
    let mut d = s.raw();
    let mut bytes = common::encode(&["SET", "q", "1"]);
    bytes.extend(common::encode(&["GET", "q"]));
    bytes.extend(common::encode(&["QUIT"]));
    bytes.extend(common::encode(&["GET", "q"]));
    d.send(&bytes);
    assert!(d.closed_within(IO_TIMEOUT));
    assert_eq!(
        String::from_utf8_lossy(&d.take_buffered()),
        format!("{OK}{}{OK}", bulk("1"))
    );
    s.raw().expect(&["PING"], "+PONG\r\n");
}

#[test]
fn an_idle_client_is_closed_after_the_timeout() {
    let s = Server::start(Opts::shards(2).flag("--timeout", "1"));
    let mut idle = s.raw();
    idle.expect(&["PING"], "+PONG\r\n");
    assert!(
        idle.closed_within(Duration::from_secs(5)),
        "an idle client is closed"
    );
}

#[test]
fn info_reports_the_server_clients_and_keys_of_every_shard() {
    let s = Server::with_shards(3);
    let mut c = s.raw();
    let mut mset = vec!["MSET".to_string()];
    for i in 0..10 {
        mset.push(format!("info:{i}"));
        mset.push("v".into());
    }
    let args: Vec<&str> = mset.iter().map(String::as_str).collect();
    c.expect(&args, OK);
    let info = c.cmd_str(&["INFO"]);
    assert!(info.starts_with('$'), "{info:?}");
    for field in [
        "redis_version:",
        &format!("tcp_port:{}", s.port),
        "connected_clients:",
        "db0:keys=10,",
    ] {
        assert!(info.contains(field), "{field} missing in {info}");
    }
    let keyspace = c.cmd_str(&["INFO", "keyspace"]);
    assert!(keyspace.contains("db0:keys=10,"), "{keyspace}");
    // Memory is the whole server's: the proxy plus every shard.
    let memory = c.cmd_str(&["INFO", "memory"]);
    let figure = |text: &str, name: &str| -> f64 {
        text.split("\r\n")
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {text}"))
    };
    let rss = figure(&memory, "used_memory_rss");
    let proxy_rss = figure(&memory, "used_memory_rss_proxy");
    assert!(rss > proxy_rss && proxy_rss > 0.0, "{memory}");
    assert!(figure(&memory, "used_memory") > 0.0, "{memory}");
    assert!(figure(&memory, "bytes_per_key_rss") > 0.0, "{memory}");
    assert!(!memory.contains("# Server"), "{memory}");
    let stats = c.cmd_str(&["INFO", "stats"]);
    assert!(figure(&stats, "total_allocations_shards") > 0.0, "{stats}");
    let shards = c.cmd_str(&["INFO", "shards"]);
    assert_eq!(figure(&shards, "shards"), 3.0, "{shards}");
    for i in 0..3 {
        assert!(shards.contains(&format!("shard{i}:pid=")), "{shards}");
    }
}

#[test]
fn a_requirepass_from_the_config_file_is_enforced() {
    let mut opts = Opts::shards(2).config_file("requirepass s3cret\n");
    opts.password = Some("s3cret".into());
    let s = Server::start(opts);
    let mut c = s.raw();
    c.expect(&["PING"], err("NOAUTH Authentication required."));
    c.expect(&["AUTH", "s3cret"], OK);
    c.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn a_bad_config_file_stops_the_proxy_with_a_clear_error() {
    let dir = common::TempDir::new();
    let conf = dir.0.join("bad.conf");
    std::fs::write(&conf, "port 0\nno-such-setting 1\n").expect("write the file");
    let mut child = std::process::Command::new(common::proxy_bin())
        .arg(&conf)
        .arg("--dir")
        .arg(dir.0.join("data"))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the proxy");
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the proxy kept running with a bad config file");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    assert!(!status.success());
    assert!(
        stderr.contains("line 2: unknown setting 'no-such-setting'"),
        "{stderr}"
    );
}

/// The `name=value` fields of a `CLIENT LIST` or `CLIENT INFO` line.
fn fields(line: &str) -> Vec<(String, String)> {
    line.trim()
        .split(' ')
        .filter_map(|f| f.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field(line: &str, name: &str) -> String {
    fields(line)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

/// The lines of a `CLIENT LIST` reply.
fn lines(reply: &str) -> Vec<String> {
    let body = reply.split_once("\r\n").map_or("", |(_, b)| b);
    body.trim_end_matches("\r\n")
        .split('\n')
        .filter(|l| l.starts_with("id="))
        .map(str::to_string)
        .collect()
}

#[test]
fn client_info_has_redis_fields_in_redis_order_with_true_values() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let ours = c.cmd_str(&["CLIENT", "INFO"]);
    let line = lines(&ours).pop().unwrap_or_else(|| panic!("{ours}"));
    if let Some(r) = common::RedisServer::start() {
        let theirs = common::Raw::connect(r.port).cmd_str(&["CLIENT", "INFO"]);
        let names = |l: &str| fields(l).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        let mut want = names(&lines(&theirs)[0]);
        // Redis 7.2's library fields follow 7.0's.
        want.extend(["lib-name".to_string(), "lib-ver".to_string()]);
        assert_eq!(names(&line), want);
    }
    // The command itself is in the read buffer, as Redis counts it.
    assert_eq!(field(&line, "qbuf"), "26", "{line}");
    assert_eq!(field(&line, "argv-mem"), "10", "{line}");
    assert_eq!(field(&line, "cmd"), "client|info");
    assert_eq!(field(&line, "multi"), "-1");
    assert_eq!(field(&line, "omem"), "0");
    assert_eq!(field(&line, "resp"), "2");
    assert_eq!(field(&line, "user"), "default");
    assert!(
        field(&line, "fd").parse::<i32>().is_ok_and(|fd| fd > 2),
        "{line}"
    );
    let id = parse_int(&c.cmd(&["CLIENT", "ID"]));
    assert_eq!(field(&line, "id"), id.to_string());
    let hello = c.cmd_str(&["HELLO", "3"]);
    assert!(hello.starts_with("%7\r\n"), "{hello}");
    c.expect(&["CLIENT", "SETINFO", "LIB-NAME", "redis-rs"], OK);
    c.expect(&["CLIENT", "SETNAME", "me"], OK);
    let info = c.cmd_str(&["CLIENT", "INFO"]);
    assert!(info.starts_with("=") || info.starts_with('$'), "{info}");
    let line = info.lines().find(|l| l.contains("id=")).unwrap_or_default();
    let line = &line[line.find("id=").unwrap_or(0)..];
    assert_eq!(field(line, "resp"), "3");
    assert_eq!(field(line, "name"), "me");
    assert_eq!(field(line, "lib-name"), "redis-rs");
}

#[test]
fn client_list_shows_each_clients_last_command_idle_time_and_buffers() {
    let s = Server::start(Opts::shards(2).workers(2));
    let mut a = s.raw();
    let mut b = s.raw();
    a.expect(&["SET", "k", "v"], OK);
    let id_a = parse_int(&a.cmd(&["CLIENT", "ID"]));
    a.expect(&["GET", "k"], bulk("v"));
    std::thread::sleep(Duration::from_millis(2300));
    let list = b.cmd_str(&["CLIENT", "LIST", "ID", &id_a.to_string()]);
    let line = lines(&list).pop().unwrap_or_else(|| panic!("{list}"));
    assert_eq!(field(&line, "cmd"), "get");
    assert!(
        field(&line, "idle").parse::<u64>().is_ok_and(|i| i >= 2),
        "{line}"
    );
    assert!(
        field(&line, "age").parse::<u64>().is_ok_and(|a| a >= 2),
        "{line}"
    );
    assert_eq!(field(&line, "qbuf"), "0");
    assert_eq!(field(&line, "omem"), "0");
    assert!(field(&line, "tot-mem").parse::<u64>().is_ok_and(|m| m > 0));
    // Its own line says what it runs now.
    let mine = b.cmd_str(&["CLIENT", "LIST"]);
    let id_b = parse_int(&b.cmd(&["CLIENT", "ID"]));
    let own = lines(&mine)
        .into_iter()
        .find(|l| field(l, "id") == id_b.to_string())
        .unwrap_or_else(|| panic!("{mine}"));
    assert_eq!(field(&own, "cmd"), "client|list");
    assert_eq!(field(&own, "idle"), "0");
}

#[test]
fn client_list_filters_by_type_and_ids_as_redis() {
    let s = Server::with_shards(2);
    let mut a = s.raw();
    let mut b = s.raw();
    let id_a = parse_int(&a.cmd(&["CLIENT", "ID"]));
    let id_b = parse_int(&b.cmd(&["CLIENT", "ID"]));
    let ids =
        |reply: String| -> Vec<String> { lines(&reply).iter().map(|l| field(l, "id")).collect() };
    let (ida, idb) = (id_a.to_string(), id_b.to_string());
    assert_eq!(
        ids(a.cmd_str(&["CLIENT", "LIST", "ID", &idb, "999999", &ida, &idb])),
        [idb.clone(), ida.clone(), idb.clone()]
    );
    assert_eq!(
        ids(a.cmd_str(&["CLIENT", "LIST", "TYPE", "normal"])).len(),
        2
    );
    for t in ["master", "replica", "slave", "pubsub"] {
        a.expect(&["CLIENT", "LIST", "TYPE", t], bulk(""));
    }
    let Some(r) = common::RedisServer::start() else {
        return;
    };
    let mut redis = common::Raw::connect(r.port);
    for args in [
        &["CLIENT", "LIST", "TYPE", "foo"][..],
        &["CLIENT", "LIST", "ID", "abc"],
        &["CLIENT", "LIST", "ID", "1", "TYPE", "normal"],
        &["CLIENT", "LIST", "ID"],
        &["CLIENT", "LIST", "TYPE"],
        &["CLIENT", "LIST", "TYPE", "normal", "ID", "1"],
        &["CLIENT", "LIST", "foo"],
        &["CLIENT", "LIST", "ID", "0"],
        &["CLIENT", "LIST", "TYPE", "MASTER"],
    ] {
        assert_eq!(a.cmd_str(args), redis.cmd_str(args), "{args:?}");
    }
}

#[test]
fn client_kill_errors_match_redis() {
    let Some(r) = common::RedisServer::start() else {
        eprintln!("redis-server is not installed: skipping the comparison");
        return;
    };
    let s = Server::with_shards(2);
    let mut ours = s.raw();
    let mut redis = common::Raw::connect(r.port);
    for args in [
        &["CLIENT", "KILL"][..],
        &["CLIENT", "KILL", "ID", "10", "wrong_arg"],
        &["CLIENT", "KILL", "ID", "str"],
        &["CLIENT", "KILL", "ID", "-1"],
        &["CLIENT", "KILL", "ID", "0"],
        &["CLIENT", "KILL", "TYPE", "wrong_type"],
        &["CLIENT", "KILL", "USER", "wrong_user"],
        &["CLIENT", "KILL", "SKIPME", "yes_or_no"],
        &["CLIENT", "KILL", "foo", "bar"],
        &["CLIENT", "KILL", "1.2.3.4:5"],
        &["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
        &["CLIENT", "KILL", "TYPE", "master"],
        &["CLIENT", "KILL", "ID", "99999"],
    ] {
        assert_eq!(ours.cmd_str(args), redis.cmd_str(args), "{args:?}");
    }
}

#[test]
fn client_kill_filters_pick_their_clients() {
    let s = Server::start(Opts::shards(2).workers(2));
    let mut me = s.raw();
    // The start-up probe's connection may still be closing: the filters
    // below must see only this test's clients.
    common::wait_until(IO_TIMEOUT, "only this client connected", || {
        me.client_count() == 1
    });
    let mut a = s.raw();
    let mut b = s.raw();
    let info = |c: &mut common::Raw| lines(&c.cmd_str(&["CLIENT", "INFO"])).remove(0);
    let line_a = info(&mut a);
    let line_b = info(&mut b);
    // By address, old form and new.
    me.expect(&["CLIENT", "KILL", &field(&line_a, "addr")], OK);
    assert!(a.closed_within(IO_TIMEOUT));
    me.expect(&["CLIENT", "KILL", "ADDR", &field(&line_b, "addr")], int(1));
    assert!(b.closed_within(IO_TIMEOUT));
    // Killed clients leave the registry at once (other connections, like
    // the start-up probe's, may still be on their way out).
    let list = me.cmd_str(&["CLIENT", "LIST"]);
    for line in [&line_a, &line_b] {
        let id = format!("id={} ", field(line, "id"));
        assert!(!list.contains(&id), "{id} still listed:\n{list}");
    }
    // LADDR, USER and TYPE match every client; SKIPME spares the caller.
    let mut c = s.raw();
    let mut d = s.raw();
    // Both registered before the kill (a connect returns before the accept).
    d.expect(&["PING"], "+PONG\r\n");
    let laddr = field(&info(&mut c), "laddr");
    me.expect(&["CLIENT", "KILL", "LADDR", &laddr], int(2));
    assert!(c.closed_within(IO_TIMEOUT) && d.closed_within(IO_TIMEOUT));
    let mut e = s.raw();
    e.expect(&["PING"], "+PONG\r\n");
    me.expect(
        &["CLIENT", "KILL", "TYPE", "normal", "USER", "default"],
        int(1),
    );
    assert!(e.closed_within(IO_TIMEOUT));
    // MAXAGE: only clients older than it.
    let mut old = s.raw();
    old.expect(&["PING"], "+PONG\r\n");
    std::thread::sleep(Duration::from_millis(2100));
    let mut young = s.raw();
    young.expect(&["PING"], "+PONG\r\n");
    me.expect(&["CLIENT", "KILL", "MAXAGE", "1"], int(1));
    assert!(old.closed_within(IO_TIMEOUT));
    young.expect(&["PING"], "+PONG\r\n");
    // SKIPME NO kills the caller too, after its reply.
    me.send(&common::encode(&["CLIENT", "KILL", "SKIPME", "no"]));
    assert!(me.closed_within(IO_TIMEOUT));
    assert_eq!(String::from_utf8_lossy(&me.take_buffered()), int(2));
    assert!(young.closed_within(IO_TIMEOUT));
    s.raw().expect(&["PING"], "+PONG\r\n");
}

#[test]
fn client_pause_holds_writes_or_everything_until_it_ends() {
    let s = Server::with_shards(2);
    let mut admin = s.raw();
    let mut other = s.raw();
    admin.expect(&["SET", "k", "v"], OK);
    admin.expect(
        &["CLIENT", "PAUSE", "100", "BOGUS"],
        err("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    );
    admin.expect(
        &["CLIENT", "PAUSE", "soon"],
        err("ERR timeout is not an integer or out of range"),
    );
    admin.expect(&["CLIENT", "PAUSE", "-1"], err("ERR timeout is negative"));

    // WRITE: reads and read-only scripts go on; a write, a script that
    // may write and a transaction with a write (queued before the pause:
    // a write is held before MULTI queues it, as on Redis) wait, counted
    // as blocked, and run in their order once the pause ends.
    let lib = "#!lua name=pauselib\n\
        redis.register_function{function_name='reads', callback=function() return 'read' end, flags={'no-writes'}}\n\
        redis.register_function('writes', function() return redis.call('set', 'f', '1') end)";
    admin.expect(&["FUNCTION", "LOAD", lib], bulk("pauselib"));
    let mut tx = s.raw();
    tx.expect(&["MULTI"], OK);
    tx.expect(&["INCR", "m"], "+QUEUED\r\n");
    admin.expect(&["CLIENT", "PAUSE", "600000", "WRITE"], OK);
    other.expect(&["FCALL", "reads", "0"], bulk("read"));
    let mut fw = s.raw();
    fw.send(&common::encode(&["FCALL", "writes", "0"]));
    other.expect(&["GET", "k"], bulk("v"));
    other.expect(
        &[
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
            "1",
            "k",
        ],
        bulk("v"),
    );
    other.expect(&["EVAL_RO", "return 1", "0"], int(1));
    other.send(&common::encode(&["SET", "k", "v2"]));
    other.send(&common::encode(&[
        "EVAL",
        "return redis.call('incr', KEYS[1])",
        "1",
        "n",
    ]));
    tx.send(&common::encode(&["EXEC"]));
    wait_until(IO_TIMEOUT, "three clients held", || {
        admin.info_number("clients", "blocked_clients") == 3
    });
    admin.expect(&["GET", "k"], bulk("v"));
    admin.expect(&["CLIENT", "UNPAUSE"], OK);
    assert_eq!(other.read_reply(), OK.as_bytes());
    assert_eq!(other.read_reply(), int(1).as_bytes());
    assert_eq!(tx.read_reply(), b"*1\r\n:1\r\n");
    assert_eq!(fw.read_reply(), OK.as_bytes());
    admin.expect(&["GET", "k"], bulk("v2"));
    assert_eq!(admin.info_number("clients", "blocked_clients"), 0);

    // ALL holds reads too (no reply while it lasts), until the pause's
    // own end.
    admin.expect(&["CLIENT", "PAUSE", "1000", "ALL"], OK);
    other.send(&common::encode(&["GET", "k"]));
    assert!(other.try_read_reply(Duration::from_millis(200)).is_err());
    assert_eq!(other.read_reply(), bulk("v2").as_bytes());
    admin.expect(&["GET", "k"], bulk("v2"));
}

#[test]
fn keys_do_not_expire_while_clients_are_paused() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let before = c.info_number("stats", "expired_keys");
    c.expect(&["MULTI"], OK);
    // Long enough that the pause reaches the shards (EXEC's last command)
    // before the keys are due, however slow the machine.
    c.expect(&["SET", "e1", "x", "PX", "400"], "+QUEUED\r\n");
    c.expect(&["SET", "e2", "y", "PX", "400"], "+QUEUED\r\n");
    c.expect(&["CLIENT", "PAUSE", "600000", "WRITE"], "+QUEUED\r\n");
    assert_eq!(c.cmd(&["EXEC"]), b"*3\r\n+OK\r\n+OK\r\n+OK\r\n");
    wait_until(IO_TIMEOUT, "both keys read as expired", || {
        c.cmd(&["GET", "e1"]) == NIL.as_bytes() && c.cmd(&["GET", "e2"]) == NIL.as_bytes()
    });
    // Read as missing, but not removed.
    assert_eq!(c.info_number("stats", "expired_keys"), before);
    c.expect(&["CLIENT", "UNPAUSE"], OK);
    c.expect(&["GET", "e1"], NIL);
    c.expect(&["GET", "e2"], NIL);
    assert_eq!(c.info_number("stats", "expired_keys"), before + 2);
}

#[test]
fn buffers_are_given_back_by_idle_connections_and_after_a_big_request() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.expect(&["CLIENT", "SETNAME", "shrinking"], OK);
    let mut admin = s.raw();
    let mine = |admin: &mut common::Raw| {
        let list = admin.cmd_str(&["CLIENT", "LIST"]);
        list.lines()
            .find(|l| l.contains("name=shrinking"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    let line = mine(&mut admin);
    assert_eq!(field(&line, "qbuf-free"), "16384", "{line}");
    // Idle past two seconds: no read buffer, no reply buffer (Redis frees
    // an idle client's query buffer so too).
    wait_until(
        Duration::from_secs(10),
        "an idle client's buffers to go",
        || {
            let line = mine(&mut admin);
            field(&line, "qbuf-free") == "0" && field(&line, "rbs") == "0"
        },
    );
    // It works as before, small requests and big.
    c.expect(&["PING"], "+PONG\r\n");
    let big = "x".repeat(400_000);
    c.expect(&["SET", "big", &big], OK);
    c.expect(&["STRLEN", "big"], int(400_000));
    // The room a big request made goes back while the client stays busy.
    wait_until(
        Duration::from_secs(10),
        "a big request's room to go",
        || {
            c.expect(&["PING"], "+PONG\r\n");
            let free: usize = field(&mine(&mut admin), "qbuf-free")
                .parse()
                .unwrap_or(usize::MAX);
            free <= 16384
        },
    );
}
