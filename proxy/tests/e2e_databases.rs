//! Numbered databases through the real binaries: SELECT, per-database
//! keys on every shard, MOVE, SWAPDB, COPY ... DB, FLUSHDB against
//! FLUSHALL, INFO keyspace and CLIENT LIST, `redis://host/N` URLs,
//! WATCH, blocked clients and keyspace events of another database, a
//! transaction over several shards in database 5, and everything kept
//! across a kill -9 of every shard (the log replays its SELECT records)
//! and across a snapshot (BGREWRITEAOF) and a restart of the proxy.

mod common;

use std::time::Duration;

use common::{key_on_shard, wait_until, Opts, Server, TempDir, IO_TIMEOUT};
use redis::Commands;

const SHARDS: usize = 2;

fn db_client(s: &Server, db: i64) -> redis::Connection {
    let mut c = s.client();
    redis::cmd("SELECT").arg(db).query::<()>(&mut c).unwrap();
    c
}

fn move_key(c: &mut redis::Connection, key: &str, db: i64) -> i64 {
    redis::cmd("MOVE").arg(key).arg(db).query(c).unwrap()
}

fn keyspace_lines(c: &mut redis::Connection) -> Vec<String> {
    let info: String = redis::cmd("INFO").arg("keyspace").query(c).unwrap();
    info.lines()
        .filter(|l| l.starts_with("db"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn databases_keep_their_own_keys_on_every_shard() {
    let s = Server::with_shards(SHARDS);
    let mut d0 = s.client();
    let mut d3 = db_client(&s, 3);
    // Keys on both shards in both databases.
    let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
    for k in &keys {
        let _: () = d0.set(k, "zero").unwrap();
    }
    for k in &keys[..10] {
        let _: () = d3.set(k, "three").unwrap();
    }
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut d0).unwrap(), 40);
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut d3).unwrap(), 10);
    assert_eq!(d3.get::<_, String>("k1").unwrap(), "three");
    assert_eq!(d0.get::<_, String>("k1").unwrap(), "zero");
    let mut listed: Vec<String> = d3.keys("*").unwrap();
    listed.sort();
    let mut want: Vec<String> = keys[..10].to_vec();
    want.sort();
    assert_eq!(listed, want);
    let mut scanned: Vec<String> = d3.scan().unwrap().collect();
    scanned.sort();
    assert_eq!(scanned, want);
    let r: String = redis::cmd("RANDOMKEY").query(&mut d3).unwrap();
    assert!(want.contains(&r));
    // MGET over both shards in database 3.
    let got: Vec<Option<String>> = d3.mget(&["k1", "k15", "k2"]).unwrap();
    assert_eq!(got, vec![Some("three".into()), None, Some("three".into())]);
    assert_eq!(
        keyspace_lines(&mut d0),
        vec![
            "db0:keys=40,expires=0,avg_ttl=0".to_string(),
            "db3:keys=10,expires=0,avg_ttl=0".to_string()
        ]
    );
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut d3).unwrap();
    assert!(list.contains(" db=3 "), "{list}");
    // A URL naming a database.
    let mut url = redis::Client::open(format!("{}/3", s.url()))
        .unwrap()
        .get_connection()
        .unwrap();
    assert_eq!(url.get::<_, String>("k2").unwrap(), "three");
    // FLUSHDB empties one database, FLUSHALL all.
    redis::cmd("FLUSHDB").query::<()>(&mut d3).unwrap();
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut d3).unwrap(), 0);
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut d0).unwrap(), 40);
    let _: () = d3.set("again", "1").unwrap();
    redis::cmd("FLUSHALL").query::<()>(&mut d0).unwrap();
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut d3).unwrap(), 0);
    assert!(keyspace_lines(&mut d0).is_empty());
}

#[test]
fn select_move_swapdb_and_copy_answer_as_redis() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.client();
    let err = |c: &mut redis::Connection, args: &[&str]| -> String {
        let mut cmd = redis::cmd(args[0]);
        for a in &args[1..] {
            cmd.arg(*a);
        }
        match cmd.query::<redis::Value>(c) {
            Err(e) => e.to_string(),
            Ok(v) => format!("no error: {v:?}"),
        }
    };
    assert!(err(&mut c, &["SELECT", "16"]).contains("DB index is out of range"));
    assert!(err(&mut c, &["SELECT", "-1"]).contains("DB index is out of range"));
    assert!(err(&mut c, &["SELECT", "x"]).contains("not an integer"));
    assert!(err(&mut c, &["MOVE", "k", "16"]).contains("DB index is out of range"));
    assert!(
        err(&mut c, &["MOVE", "k", "0"]).contains("source and destination objects are the same")
    );
    assert!(err(&mut c, &["SWAPDB", "x", "1"]).contains("invalid first DB index"));
    assert!(err(&mut c, &["SWAPDB", "1", "x"]).contains("invalid second DB index"));
    assert!(err(&mut c, &["SWAPDB", "1", "99"]).contains("DB index is out of range"));
    let _: () = c.set("k", "v0").unwrap();
    let _: () = c.set("gone", "v").unwrap();
    let mut d1 = db_client(&s, 1);
    let _: () = d1.set("gone", "there").unwrap();
    // MOVE: 1 when moved, 0 when missing here or present there.
    assert_eq!(move_key(&mut c, "k", 1), 1);
    assert_eq!(move_key(&mut c, "k", 1), 0);
    assert_eq!(move_key(&mut c, "gone", 1), 0);
    assert_eq!(d1.get::<_, String>("k").unwrap(), "v0");
    // A TTL moves with its key.
    let _: () = c.set_ex("t", "v", 100).unwrap();
    assert_eq!(move_key(&mut c, "t", 1), 1);
    let ttl: i64 = d1.ttl("t").unwrap();
    assert!((1..=100).contains(&ttl), "{ttl}");
    // COPY into another database.
    assert_eq!(
        redis::cmd("COPY")
            .arg("gone")
            .arg("copied")
            .arg("DB")
            .arg(2)
            .query::<i64>(&mut c)
            .unwrap(),
        1
    );
    let mut d2 = db_client(&s, 2);
    assert_eq!(d2.get::<_, String>("copied").unwrap(), "v");
    // SWAPDB: on every shard at once.
    let keys: Vec<String> = (0..20).map(|i| format!("s{i}")).collect();
    for k in &keys {
        let _: () = d2.set(k, "two").unwrap();
    }
    redis::cmd("SWAPDB")
        .arg(0)
        .arg(2)
        .query::<()>(&mut c)
        .unwrap();
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut c).unwrap(), 21);
    assert_eq!(c.get::<_, String>("s7").unwrap(), "two");
    assert_eq!(d2.get::<_, String>("gone").unwrap(), "v");
}

#[test]
fn watch_blocking_and_events_follow_the_database() {
    let s = Server::with_shards(SHARDS);
    redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("KEA")
        .query::<()>(&mut s.client())
        .unwrap();
    // WATCH in database 4: a write to the same name in database 0 leaves
    // it alone; one in database 4 fails the EXEC.
    let mut w = db_client(&s, 4);
    let mut other0 = s.client();
    let mut other4 = db_client(&s, 4);
    redis::cmd("WATCH").arg("w").query::<()>(&mut w).unwrap();
    let _: () = other0.set("w", "0").unwrap();
    let ok: Option<Vec<String>> = redis::pipe().atomic().set("x", "1").query(&mut w).unwrap();
    assert!(
        ok.is_some(),
        "a write in database 0 must not touch a watch in 4"
    );
    redis::cmd("WATCH").arg("w").query::<()>(&mut w).unwrap();
    let _: () = other4.set("w", "4").unwrap();
    let failed: Option<Vec<String>> = redis::pipe().atomic().set("x", "2").query(&mut w).unwrap();
    assert!(failed.is_none(), "a write in database 4 fails the watch");
    // A client blocked in database 6 is served by a push there, not by
    // one in database 0.
    let url = format!("{}/6", s.url());
    let waiter = std::thread::spawn(move || {
        let mut c = redis::Client::open(url).unwrap().get_connection().unwrap();
        redis::cmd("BLPOP")
            .arg("q")
            .arg(10)
            .query::<Option<(String, String)>>(&mut c)
    });
    let mut probe = s.client();
    wait_until(IO_TIMEOUT, "the client to block", || {
        let info: String = redis::cmd("INFO").arg("clients").query(&mut probe).unwrap();
        info.contains("blocked_clients:1")
    });
    let _: () = other0.rpush("q", "db0").unwrap();
    let mut d6 = db_client(&s, 6);
    let _: () = d6.rpush("q", "db6").unwrap();
    let got = waiter.join().unwrap().unwrap();
    assert_eq!(got, Some(("q".to_string(), "db6".to_string())));
    assert_eq!(other0.llen::<_, i64>("q").unwrap(), 1);
    // Events name the database.
    let mut sub = s.client();
    let mut ps = sub.as_pubsub();
    ps.psubscribe("__keyspace@*__:ev").unwrap();
    ps.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut d9 = db_client(&s, 9);
    let _: () = d9.set("ev", "1").unwrap();
    let msg = ps.get_message().unwrap();
    assert_eq!(msg.get_channel_name(), "__keyspace@9__:ev");
}

#[test]
fn a_transaction_over_several_shards_runs_in_its_database() {
    let s = Server::with_shards(SHARDS);
    let (a, b) = (key_on_shard("a", 0, SHARDS), key_on_shard("b", 1, SHARDS));
    let mut d5 = db_client(&s, 5);
    let (x, y): (String, String) = redis::pipe()
        .atomic()
        .set(&a, "1")
        .ignore()
        .set(&b, "2")
        .ignore()
        .get(&a)
        .get(&b)
        .query(&mut d5)
        .unwrap();
    assert_eq!((x.as_str(), y.as_str()), ("1", "2"));
    // RENAME across shards in database 5.
    redis::cmd("RENAME")
        .arg(&a)
        .arg(&b)
        .query::<()>(&mut d5)
        .unwrap();
    assert_eq!(d5.get::<_, String>(&b).unwrap(), "1");
    // Scripts reaching keys they did not declare, on either shard (run
    // again over several shards when the first one is not theirs).
    let _: () = d5.set(&a, "5a").unwrap();
    for key in [&a, &b] {
        let got: String = redis::cmd("EVAL")
            .arg(format!("return redis.call('GET', '{key}')"))
            .arg(0)
            .query(&mut d5)
            .unwrap();
        assert_eq!(got, if key == &a { "5a" } else { "1" });
    }
    redis::cmd("DEL").arg(&a).query::<()>(&mut d5).unwrap();
    // SELECT inside a script: its own calls only, logged with the
    // database, and the caller stays where it was.
    let a2 = key_on_shard("a2", 0, SHARDS);
    let got: String = redis::cmd("EVAL")
        .arg("redis.call('SET', KEYS[1], 'in5'); redis.call('SELECT', 6); redis.call('SET', KEYS[1], 'in6'); return redis.call('GET', KEYS[1])")
        .arg(1)
        .arg(&a2)
        .query(&mut d5)
        .unwrap();
    assert_eq!(got, "in6");
    assert_eq!(d5.get::<_, String>(&a2).unwrap(), "in5");
    assert_eq!(db_client(&s, 6).get::<_, String>(&a2).unwrap(), "in6");
    let err = redis::cmd("EVAL")
        .arg("return redis.call('SELECT', 99)")
        .arg(0)
        .query::<String>(&mut d5)
        .unwrap_err();
    assert!(
        err.to_string().contains("DB index is out of range"),
        "{err}"
    );
    let mut d0 = s.client();
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut d0).unwrap(), 0);
    // SELECT inside MULTI: the commands after it run in its database.
    let mut c = s.client();
    let replies: Vec<redis::Value> = redis::pipe()
        .atomic()
        .cmd("SELECT")
        .arg(5)
        .get(&b)
        .query(&mut c)
        .unwrap();
    assert_eq!(replies.len(), 2);
    assert_eq!(redis::from_redis_value::<String>(&replies[1]).unwrap(), "1");
    // Commands on both sides of a SELECT, on one shard and on two: each
    // runs in its database, and the connection stays in the last one.
    for (x, y) in [
        (a.clone(), key_on_shard("a2", 0, SHARDS)),
        (a.clone(), b.clone()),
    ] {
        let mut c = s.client();
        let got: Vec<redis::Value> = redis::pipe()
            .atomic()
            .set(&x, "in0")
            .cmd("SELECT")
            .arg(2)
            .set(&y, "in2")
            .get(&y)
            .get(&x)
            .cmd("SELECT")
            .arg(0)
            .set(&x, "in0 again")
            .query(&mut c)
            .unwrap();
        let text: Vec<Option<String>> = got
            .iter()
            .map(|v| redis::from_redis_value(v).unwrap())
            .collect();
        let ok = || Some("OK".to_string());
        assert_eq!(
            text,
            vec![ok(), ok(), ok(), Some("in2".into()), None, ok(), ok()]
        );
        let mut d0 = s.client();
        assert_eq!(d0.get::<_, String>(&x).unwrap(), "in0 again");
        assert!(!d0.exists::<_, bool>(&y).unwrap());
        let mut d2 = db_client(&s, 2);
        assert_eq!(d2.get::<_, String>(&y).unwrap(), "in2");
        assert!(!d2.exists::<_, bool>(&x).unwrap());
        redis::cmd("FLUSHALL").query::<()>(&mut d0).unwrap();
    }
}

#[test]
fn databases_survive_kill_9_snapshots_and_restarts() {
    let dir = TempDir::new();
    let opts = || Opts::shards(SHARDS).data_dir(&dir.0);
    {
        let s = Server::start(opts());
        let mut c = s.client();
        for db in [0, 2, 7] {
            redis::cmd("SELECT").arg(db).query::<()>(&mut c).unwrap();
            for i in 0..20 {
                let _: () = c.set(format!("k{i}"), format!("{db}")).unwrap();
            }
        }
        let _: () = c.expire("k1", 1000).unwrap();
        // Transactions with a SELECT inside, on one shard and on two: their
        // records carry the databases.
        let my = key_on_shard("my", 1, SHARDS);
        for keys in [["mx", "mx"], ["mx", my.as_str()]] {
            let mut m = s.client();
            let _: Vec<redis::Value> = redis::pipe()
                .atomic()
                .set(keys[0], "0")
                .cmd("SELECT")
                .arg(4)
                .set(keys[1], "4")
                .query(&mut m)
                .unwrap();
        }
        // A script that selects database 4: its group record carries it.
        redis::cmd("EVAL")
            .arg("redis.call('SELECT', 4); redis.call('SET', KEYS[1], 'lua4')")
            .arg(1)
            .arg("mz")
            .query::<()>(&mut c)
            .unwrap();
        s.kill_every_shard(SHARDS);
        let mut d7 = db_client(&s, 7);
        assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut d7).unwrap(), 20);
        assert_eq!(d7.get::<_, String>("k3").unwrap(), "7");
        assert!(d7.ttl::<_, i64>("k1").unwrap() > 0);
        // A snapshot keeps them too (the log restarts after it).
        redis::cmd("BGREWRITEAOF").query::<()>(&mut d7).unwrap();
        let mut probe = s.client();
        wait_until(IO_TIMEOUT, "the rewrite to finish", || {
            let info: String = redis::cmd("INFO")
                .arg("persistence")
                .query(&mut probe)
                .unwrap();
            info.contains("aof_rewrite_in_progress:0")
        });
        let _: () = d7.set("after", "snap").unwrap();
    }
    // The whole server again on the same data.
    let s = Server::start(opts());
    let mut c = s.client();
    assert_eq!(
        keyspace_lines(&mut c),
        vec![
            "db0:keys=21,expires=0,avg_ttl=0".to_string(),
            "db2:keys=20,expires=0,avg_ttl=0".to_string(),
            "db4:keys=3,expires=0,avg_ttl=0".to_string(),
            "db7:keys=21,expires=1,avg_ttl=0".to_string()
        ]
    );
    let mut d2 = db_client(&s, 2);
    assert_eq!(d2.get::<_, String>("k9").unwrap(), "2");
    assert_eq!(c.get::<_, String>("mx").unwrap(), "0");
    let mut d4 = db_client(&s, 4);
    assert_eq!(d4.get::<_, String>("mx").unwrap(), "4");
    assert_eq!(d4.get::<_, String>("mz").unwrap(), "lua4");
    assert_eq!(
        d4.get::<_, String>(key_on_shard("my", 1, SHARDS)).unwrap(),
        "4"
    );
    let mut d7 = db_client(&s, 7);
    assert_eq!(d7.get::<_, String>("after").unwrap(), "snap");
}
