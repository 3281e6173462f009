//! Users and ACLs through the real binaries and the `redis` crate: a user
//! limited to key patterns and categories (allowed and refused commands,
//! keys on both shards, MULTI and EVAL as that user, rules changed before
//! EXEC), pub/sub channels and a subscriber closed when it loses its
//! channel, ACL LOG, a deleted user's connection closed, ACL SAVE / LOAD
//! round trips with a bad line refused whole, an aclfile loaded at start
//! (and a bad one refusing the start), and 10,000 failed AUTHs folded into
//! one log entry while another client works on.

mod common;

use std::{collections::HashMap, time::Duration};

use common::{client_for, key_on_shard, wait_until, Opts, Server, TempDir, IO_TIMEOUT};
use redis::{Commands, Value};

fn url_as(s: &Server, user: &str, pass: &str) -> String {
    format!("redis://{user}:{pass}@127.0.0.1:{}/", s.port)
}

fn err_of<T: std::fmt::Debug>(r: redis::RedisResult<T>) -> String {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => format!("{e}"),
    }
}

fn setuser(c: &mut redis::Connection, rules: &[&str]) {
    redis::cmd("ACL")
        .arg("SETUSER")
        .arg(rules)
        .query::<()>(c)
        .expect("ACL SETUSER");
}

/// The newest ACL LOG entry as a map of its text fields.
fn newest_log(c: &mut redis::Connection) -> HashMap<String, String> {
    let entries: Vec<Value> = redis::cmd("ACL").arg("LOG").query(c).expect("ACL LOG");
    let Some(Value::Array(fields)) = entries.into_iter().next() else {
        panic!("no ACL LOG entry");
    };
    let mut m = HashMap::new();
    for pair in fields.chunks(2) {
        let k: String = redis::from_redis_value(&pair[0]).expect("a name");
        let v = match &pair[1] {
            Value::Int(n) => n.to_string(),
            other => redis::from_redis_value::<String>(other).unwrap_or_default(),
        };
        m.insert(k, v);
    }
    m
}

#[test]
fn a_user_reaches_only_its_keys_and_commands() {
    let s = Server::with_shards(2);
    let mut admin = s.client();
    setuser(
        &mut admin,
        &["app", "on", ">secret", "~app:*", "+@all", "-@dangerous"],
    );
    let mut app = client_for(&url_as(&s, "app", "secret"));
    let whoami: String = redis::cmd("ACL").arg("WHOAMI").query(&mut app).unwrap();
    assert_eq!(whoami, "app");
    // Its keys on both shards work, one command at a time and split.
    let k0 = key_on_shard("app:", 0, 2);
    let k1 = key_on_shard("app:", 1, 2);
    let _: () = app.set(&k0, "a").unwrap();
    let _: () = app.set(&k1, "b").unwrap();
    let got: Vec<String> = app.mget(&[&k0, &k1]).unwrap();
    assert_eq!(got, ["a", "b"]);
    // Another key, alone or among its own: refused, nothing written.
    let e = err_of(app.set::<_, _, ()>("other", "x"));
    assert!(e.contains("NOPERM") && e.contains("keys"), "{e}");
    let e = err_of(app.mset::<_, _, ()>(&[(k0.as_str(), "z"), ("other", "z")]));
    assert!(e.contains("NOPERM"), "{e}");
    assert_eq!(app.get::<_, String>(&k0).unwrap(), "a");
    assert!(!admin.exists::<_, bool>("other").unwrap());
    let log = newest_log(&mut admin);
    assert_eq!(log["reason"], "key");
    assert_eq!(log["object"], "other");
    assert_eq!(log["username"], "app");
    assert_eq!(log["context"], "toplevel");
    // A dangerous command is refused by name.
    let e = err_of(redis::cmd("FLUSHALL").query::<()>(&mut app));
    assert!(e.contains("NOPERM") && e.contains("flushall"), "{e}");
    assert_eq!(newest_log(&mut admin)["object"], "flushall");
    let dry: String = redis::cmd("ACL")
        .arg(&["DRYRUN", "app", "GET", "other"])
        .query(&mut admin)
        .unwrap();
    assert_eq!(
        dry,
        "This user has no permissions to access the 'other' key"
    );

    // MULTI: a refused command aborts the transaction at EXEC.
    redis::cmd("MULTI").query::<()>(&mut app).unwrap();
    let e = err_of(redis::cmd("SET").arg("other").arg(1).query::<()>(&mut app));
    assert!(e.contains("NOPERM"), "{e}");
    let e = err_of(redis::cmd("EXEC").query::<Value>(&mut app));
    assert!(e.contains("discarded because of previous errors"), "{e}");
    assert_eq!(newest_log(&mut admin)["context"], "multi");
    // Rules changed between queueing and EXEC: refused in place, the
    // rest runs (a transaction over both shards).
    redis::cmd("MULTI").query::<()>(&mut app).unwrap();
    redis::cmd("INCR")
        .arg(&k0)
        .query::<()>(&mut app)
        .unwrap_or(());
    redis::cmd("SET")
        .arg(&k1)
        .arg("c")
        .query::<()>(&mut app)
        .unwrap_or(());
    setuser(&mut admin, &["app", "-incr"]);
    // (The crate turns the error in EXEC's array into the call's error.)
    let e = err_of(redis::cmd("EXEC").query::<Vec<Value>>(&mut app));
    assert!(e.contains("ACLs rules changed"), "{e}");
    assert_eq!(app.get::<_, String>(&k1).unwrap(), "c");
    assert_eq!(app.get::<_, String>(&k0).unwrap(), "a");

    // A script's calls are checked as its caller, on whichever shard runs it.
    let e = err_of(
        redis::cmd("EVAL")
            .arg("return redis.call('set', KEYS[1], 'x')")
            .arg(1)
            .arg("other")
            .query::<()>(&mut app),
    );
    assert!(e.contains("NOPERM"), "EVAL naming a refused key: {e}");
    let e = err_of(
        redis::cmd("EVAL")
            .arg("return redis.call('get', 'other')")
            .arg(0)
            .query::<()>(&mut app),
    );
    assert!(
        e.contains("The user executing the script can't access"),
        "{e}"
    );
    let ok: String = redis::cmd("EVAL")
        .arg("return redis.call('get', KEYS[1])")
        .arg(1)
        .arg(&k1)
        .query(&mut app)
        .unwrap();
    assert_eq!(ok, "c");
    // redis.acl_check_cmd answers for the caller.
    let check = |c: &mut redis::Connection, key: &str| -> Value {
        redis::cmd("EVAL")
            .arg("return redis.acl_check_cmd('set', ARGV[1], 'v')")
            .arg(0)
            .arg(key)
            .query(c)
            .unwrap()
    };
    assert_eq!(check(&mut app, &k0), Value::Int(1));
    assert_eq!(check(&mut app, "other"), Value::Nil);
    assert_eq!(check(&mut admin, "other"), Value::Int(1));
    let log = newest_log(&mut admin);
    assert_eq!(log["context"], "lua");
    assert_eq!(log["object"], "other");
    // The default user is untouched by all this.
    let _: () = admin.set("other", "fine").unwrap();
}

#[test]
fn channels_are_checked_and_a_subscriber_losing_its_channel_is_closed() {
    let s = Server::with_shards(2);
    let mut admin = s.client();
    setuser(
        &mut admin,
        &["ps", "on", "nopass", "+@all", "resetchannels", "&news:*"],
    );
    let mut ps = client_for(&url_as(&s, "ps", "x"));
    let n: i64 = ps.publish("news:1", "m").unwrap();
    assert_eq!(n, 0);
    let e = err_of(ps.publish::<_, _, i64>("sports", "m"));
    assert!(e.contains("NOPERM") && e.contains("channels"), "{e}");
    assert_eq!(newest_log(&mut admin)["reason"], "channel");
    // A subscriber keeps its connection while its channel stays allowed.
    let sub = client_for(&url_as(&s, "ps", "x"));
    let mut sub = sub;
    redis::cmd("CLIENT")
        .arg(&["SETNAME", "listener"])
        .query::<()>(&mut sub)
        .unwrap();
    let mut pubsub = sub.as_pubsub();
    pubsub.subscribe("news:1").unwrap();
    let e = err_of(pubsub.subscribe("sports"));
    assert!(e.contains("NOPERM"), "{e}");
    let listed = |c: &mut redis::Connection| -> bool {
        let list: String = redis::cmd("CLIENT").arg("LIST").query(c).unwrap();
        list.contains("name=listener")
    };
    setuser(&mut admin, &["ps", "&news:1", "&more"]);
    assert!(listed(&mut admin), "rules that keep its channel keep it");
    setuser(&mut admin, &["ps", "resetchannels", "&other"]);
    wait_until(IO_TIMEOUT, "the subscriber to be closed", || {
        !listed(&mut admin)
    });
}

#[test]
fn deleting_a_user_closes_its_connections() {
    let s = Server::with_shards(2);
    let mut admin = s.client();
    setuser(&mut admin, &["gone", "on", ">pw", "+@all", "~*"]);
    let mut c = client_for(&url_as(&s, "gone", "pw"));
    let _: () = c.set("k", "v").unwrap();
    let n: i64 = redis::cmd("ACL")
        .arg(&["DELUSER", "gone"])
        .query(&mut admin)
        .unwrap();
    assert_eq!(n, 1);
    wait_until(IO_TIMEOUT, "the connection to close", || {
        redis::cmd("PING").query::<String>(&mut c).is_err()
    });
    // CLIENT KILL USER closes the connections of that user only.
    setuser(&mut admin, &["k", "on", "nopass", "+@all"]);
    let mut k = client_for(&url_as(&s, "k", "x"));
    let n: i64 = redis::cmd("CLIENT")
        .arg(&["KILL", "USER", "k"])
        .query(&mut admin)
        .unwrap();
    assert_eq!(n, 1);
    wait_until(IO_TIMEOUT, "k's connection to close", || {
        redis::cmd("PING").query::<String>(&mut k).is_err()
    });
    let e = err_of(
        redis::cmd("CLIENT")
            .arg(&["KILL", "USER", "nosuch"])
            .query::<i64>(&mut admin),
    );
    assert!(e.contains("No such user 'nosuch'"), "{e}");
    let e = err_of(
        redis::cmd("ACL")
            .arg(&["DELUSER", "default"])
            .query::<i64>(&mut admin),
    );
    assert!(e.contains("cannot be removed"), "{e}");
    // Failed logins: folded into one entry, the server unharmed.
    let mut pipe = redis::pipe();
    for _ in 0..10_000 {
        pipe.cmd("AUTH").arg("nobody").arg("wrong").ignore();
    }
    let mut bad = s.client();
    let _ = pipe.query::<()>(&mut bad);
    let log = newest_log(&mut admin);
    assert_eq!(log["reason"], "auth");
    assert_eq!(log["username"], "nobody");
    assert_eq!(log["count"], "10000");
    assert_eq!(admin.get::<_, String>("k").unwrap(), "v");
}

#[test]
fn acl_files_save_load_and_start() {
    let tmp = TempDir::new();
    let file = tmp.0.join("users.acl");
    std::fs::write(&file, "user alice on >alicepw ~a:* +@read +@write\n").unwrap();
    let conf = format!("aclfile {}\n", file.display());
    let s = Server::start(Opts::shards(2).config_file(&conf));
    let mut admin = s.client();
    let mut alice = client_for(&url_as(&s, "alice", "alicepw"));
    let _: () = alice.set("a:1", "x").unwrap();
    assert!(err_of(alice.set::<_, _, ()>("b:1", "x")).contains("NOPERM"));
    // SAVE writes what LIST shows; LOAD reads it back.
    setuser(
        &mut admin,
        &["bob", "on", "nopass", "-@all", "+get", "~b:*"],
    );
    redis::cmd("ACL")
        .arg("SAVE")
        .query::<()>(&mut admin)
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let list: Vec<String> = redis::cmd("ACL").arg("LIST").query(&mut admin).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), list);
    assert!(
        text.contains("user bob on nopass ~b:* resetchannels -@all +get"),
        "{text}"
    );
    // A bad line: refused whole, naming it; nothing changes.
    std::fs::write(&file, format!("{text}user carol on +nosuchcommand\n")).unwrap();
    let e = err_of(redis::cmd("ACL").arg("LOAD").query::<()>(&mut admin));
    assert!(
        e.contains(":4: Error in ACL SETUSER modifier '+nosuchcommand'"),
        "{e}"
    );
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query(&mut admin).unwrap();
    assert_eq!(users, ["alice", "bob", "default"]);
    // A good file replaces the users: alice is gone, and so is her connection.
    std::fs::write(&file, "user dave on >d +@all ~*\n").unwrap();
    redis::cmd("ACL")
        .arg("LOAD")
        .query::<()>(&mut admin)
        .unwrap();
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query(&mut admin).unwrap();
    assert_eq!(users, ["dave", "default"]);
    wait_until(IO_TIMEOUT, "alice's connection to close", || {
        redis::cmd("PING").query::<String>(&mut alice).is_err()
    });
    drop(s);
    // The file is read at start; a bad one refuses the start, naming the line.
    let s = Server::start(Opts::shards(1).config_file(&conf));
    let mut dave = client_for(&url_as(&s, "dave", "d"));
    let _: () = dave.set("k", "v").unwrap();
    drop(s);
    std::fs::write(&file, "user erin on\nuser frank +bogus\n").unwrap();
    let bad_conf = tmp.0.join("bad.conf");
    std::fs::write(
        &bad_conf,
        format!("port 0\ndir {}\n{conf}", tmp.0.join("d").display()),
    )
    .unwrap();
    let mut child = std::process::Command::new(common::proxy_bin())
        .arg(&bad_conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("a bad aclfile did not stop the start");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(!status.success());
    let mut err = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("users.acl:2: Error in ACL SETUSER modifier '+bogus'"),
        "{err}"
    );
}

#[test]
fn passwords_stay_out_of_the_slow_log_and_hello_checks_before_logging_in() {
    let s = Server::start(Opts::shards(1).requirepass("pw"));
    let mut admin = s.client();
    redis::cmd("CONFIG")
        .arg(&["SET", "slowlog-log-slower-than", "0"])
        .query::<()>(&mut admin)
        .unwrap();
    setuser(&mut admin, &["h", "on", ">hiddenpw", "+@all", "~*"]);
    let log: Vec<Value> = redis::cmd("SLOWLOG")
        .arg(&["GET", "100"])
        .query(&mut admin)
        .unwrap();
    assert!(!format!("{log:?}").contains("hiddenpw"), "{log:?}");
    // HELLO with a bad option after AUTH: refused, not logged in.
    let mut raw = redis::Client::open(format!("redis://127.0.0.1:{}/", s.port))
        .unwrap()
        .get_connection_with_timeout(IO_TIMEOUT)
        .unwrap();
    let e = err_of(
        redis::cmd("HELLO")
            .arg(&["2", "AUTH", "h", "hiddenpw", "BADOPT"])
            .query::<Value>(&mut raw),
    );
    assert!(e.contains("Syntax error in HELLO option"), "{e}");
    let e = err_of(redis::cmd("ACL").arg("WHOAMI").query::<String>(&mut raw));
    assert!(e.contains("NOAUTH"), "{e}");
    // The default user's password removed: the waiting connection may run.
    redis::cmd("CONFIG")
        .arg(&["SET", "requirepass", ""])
        .query::<()>(&mut admin)
        .unwrap();
    let me: String = redis::cmd("ACL").arg("WHOAMI").query(&mut raw).unwrap();
    assert_eq!(me, "default");
}
