//! Functions (FUNCTION LOAD ..., FCALL) with the real binaries: replies as
//! redis-server's, FUNCTION DUMP payloads that either server restores (its
//! LZF-compressed ones too),
//! functions over keys of several shards (declared or not) atomic, a
//! runaway function BUSY on its shard with FUNCTION STATS naming it and
//! FUNCTION KILL stopping it, and libraries that survive a kill -9 of a
//! shard, a snapshot, and a restart of the whole server.

mod common;

use common::{key_on_shard, wait_until, Opts, Server, TempDir, IO_TIMEOUT};

const SHARDS: usize = 3;

fn lib(name: &str, body: &str) -> String {
    format!("#!lua name={name}\n{body}")
}

#[test]
fn functions_answer_as_on_redis_server() {
    let Some(mut both) = common::SideBySide::start(SHARDS) else {
        return;
    };
    let k: Vec<String> = (0..SHARDS).map(|i| key_on_shard("fk", i, SHARDS)).collect();
    let (a, b, c) = (k[0].as_str(), k[1].as_str(), k[2].as_str());
    let bank = lib(
        "bank",
        "local function move(keys, args)\n\
           local v = tonumber(args[1])\n\
           redis.call('decrby', keys[1], v)\n\
           return redis.call('incrby', keys[2], v)\n\
         end\n\
         redis.register_function('move', move)\n\
         redis.register_function{function_name='peek', callback=function(keys) return redis.call('mget', unpack(keys)) end, flags={'no-writes'}, description='reads balances'}\n\
         redis.register_function('Touch', function(keys, args) redis.call('set', args[1], 'x') return redis.call('get', args[1]) end)",
    );
    let other = lib(
        "other",
        "redis.register_function('f2', function() return {1, 'two', {3}} end)",
    );
    let clash = lib("clash", "redis.register_function('move', function() end)");
    let script: Vec<Vec<&str>> = vec![
        vec!["FUNCTION", "FLUSH"],
        vec!["FUNCTION", "LOAD", &bank],
        vec!["FUNCTION", "LOAD", &bank],
        vec!["FUNCTION", "LOAD", "REPLACE", &bank],
        vec!["FUNCTION", "LOAD", &other],
        vec!["FUNCTION", "LOAD", &clash],
        vec!["FUNCTION", "LOAD", "#!lua name=x\nreturn 1"],
        vec![
            "FUNCTION",
            "LOAD",
            "#!lua name=x\nredis.register_function('a', 'b')",
        ],
        vec!["FUNCTION", "LOAD", "#!lua name=x\nredis.call('ping')"],
        vec!["FUNCTION", "LOAD", "#!lua name=x\nfoo bar"],
        vec!["FUNCTION", "LOAD", "#!py name=x\nfoo"],
        vec!["FUNCTION", "LOAD", "no shebang"],
        // One function per library listed: Redis lists a library's
        // functions in its hash order.
        vec!["FUNCTION", "LIST", "LIBRARYNAME", "nomatch"],
        vec!["FUNCTION", "LIST", "LIBRARYNAME", "oth*", "WITHCODE"],
        vec!["FUNCTION", "LIST", "BOGUS"],
        vec!["FUNCTION", "STATS"],
        vec!["MSET", a, "100", b, "5", c, "7"],
        vec!["FCALL", "move", "2", a, b, "30"],
        vec!["FCALL", "MOVE", "2", c, a, "2"],
        vec!["FCALL_RO", "peek", "3", a, b, c],
        vec!["FCALL_RO", "move", "2", a, b, "1"],
        vec!["FCALL", "Touch", "0", c],
        vec!["FCALL", "f2", "0"],
        vec!["FCALL", "nosuch", "0"],
        vec!["FCALL", "move", "-1"],
        vec!["FCALL", "move", "5", a],
        vec!["FCALL", "move", "x"],
        vec!["MGET", a, b, c],
        vec!["FUNCTION", "DELETE", "other"],
        vec!["FUNCTION", "DELETE", "other"],
        vec!["FCALL", "f2", "0"],
        vec!["FUNCTION", "RESTORE", "garbage"],
        vec!["FUNCTION", "RESTORE", "garbage", "BOGUS"],
        vec!["FUNCTION", "KILL"],
        vec!["FUNCTION", "FLUSH", "BOGUS"],
        vec!["FUNCTION", "FLUSH", "ASYNC"],
        vec!["FUNCTION", "LIST"],
        vec!["FCALL", "move", "2", a, b, "1"],
    ];
    both.same(&script);
    // DUMP payloads: each server restores the other's.
    let mut o = both.shardis.client();
    let mut t = common::client_for(&format!("redis://127.0.0.1:{}", both.redis.port));
    for con in [&mut o, &mut t] {
        let name: String = redis::cmd("FUNCTION")
            .arg("LOAD")
            .arg(&bank)
            .query(con)
            .expect("FUNCTION LOAD");
        assert_eq!(name, "bank");
    }
    let dump = |con: &mut redis::Connection| -> Vec<u8> {
        redis::cmd("FUNCTION")
            .arg("DUMP")
            .query(con)
            .expect("FUNCTION DUMP")
    };
    // Redis compresses long codes with LZF, shardis does not: the bytes
    // differ, and each restores the other's.
    let (ours_dump, theirs_dump) = (dump(&mut o), dump(&mut t));
    for (con, payload) in [(&mut o, &theirs_dump), (&mut t, &ours_dump)] {
        let () = redis::cmd("FUNCTION")
            .arg("RESTORE")
            .arg(payload)
            .arg("FLUSH")
            .query(con)
            .expect("FUNCTION RESTORE");
        let moved: i64 = redis::cmd("FCALL")
            .arg("move")
            .arg(2)
            .arg(a)
            .arg(b)
            .arg(1)
            .query(con)
            .expect("FCALL after RESTORE");
        assert!(moved > 0);
    }
}

#[test]
fn functions_over_several_shards_are_atomic_and_may_reach_undeclared_keys() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.client();
    let k: Vec<String> = (0..SHARDS).map(|i| key_on_shard("fx", i, SHARDS)).collect();
    // A job-queue style function: it declares one key and reaches the
    // others by name.
    let code = lib(
        "queue",
        &format!(
            "redis.register_function('push3', function(keys, args)\n\
               redis.call('rpush', keys[1], args[1])\n\
               redis.call('rpush', '{}', args[1])\n\
               redis.call('rpush', '{}', args[1])\n\
               return redis.call('llen', keys[1])\n\
             end)\n\
             redis.register_function('boom', function(keys, args)\n\
               redis.call('rpush', keys[1], 'partial')\n\
               redis.call('rpush', '{}', 'partial')\n\
               error('boom')\n\
             end)",
            k[1], k[2], k[2]
        ),
    );
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(&code)
        .query(&mut c)
        .expect("FUNCTION LOAD");
    for i in 1..=20 {
        let n: i64 = redis::cmd("FCALL")
            .arg("push3")
            .arg(1)
            .arg(&k[0])
            .arg(i)
            .query(&mut c)
            .expect("FCALL push3");
        assert_eq!(n, i);
    }
    for key in &k {
        let len: i64 = redis::cmd("LLEN").arg(key).query(&mut c).expect("LLEN");
        assert_eq!(len, 20, "{key}");
    }
    // An error after writes on two shards: Redis keeps what ran before the
    // error, and so does shardis, on both shards.
    let e = redis::cmd("FCALL")
        .arg("boom")
        .arg(1)
        .arg(&k[0])
        .query::<()>(&mut c)
        .expect_err("boom fails");
    assert!(format!("{e}").contains("boom"), "{e}");
    let last: Vec<String> = redis::cmd("LRANGE")
        .arg(&k[2])
        .arg(-1)
        .arg(-1)
        .query(&mut c)
        .expect("LRANGE");
    assert_eq!(last, vec!["partial".to_string()]);
}

#[test]
fn a_runaway_function_is_named_by_function_stats_and_stopped_by_function_kill() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "busy-reply-threshold", "50"], "+OK\r\n");
    let code = lib(
        "spin",
        "redis.register_function{function_name='spin', callback=function() local a = 0 while true do a = a + 1 end end, flags={'no-writes'}}",
    );
    assert_eq!(c.cmd_str(&["FUNCTION", "LOAD", &code]), "$4\r\nspin\r\n");
    let port = s.port;
    let runner = std::thread::spawn(move || {
        let mut r = common::Raw::connect(port);
        r.cmd_str(&["FCALL", "spin", "0"])
    });
    wait_until(IO_TIMEOUT, "the function to be busy", || {
        c.cmd_str(&["PING"]).starts_with("-BUSY")
    });
    let busy = c.cmd_str(&["PING"]);
    assert!(busy.contains("FUNCTION KILL"), "{busy}");
    let stats = c.cmd_str(&["FUNCTION", "STATS"]);
    assert!(
        stats.contains("$4\r\nname\r\n$4\r\nspin\r\n")
            && stats.contains("*3\r\n$5\r\nFCALL\r\n$4\r\nspin\r\n$1\r\n0\r\n")
            && stats.contains("duration_ms"),
        "{stats}"
    );
    // SCRIPT KILL does not stop a function (Redis's BUSY reply names
    // FUNCTION KILL).
    let k = c.cmd_str(&["SCRIPT", "KILL"]);
    assert!(k.starts_with("-BUSY") && k.contains("FUNCTION KILL"), "{k}");
    c.expect(&["FUNCTION", "KILL"], "+OK\r\n");
    let reply = runner.join().expect("the function's client");
    assert!(reply.contains("killed by user"), "{reply}");
    c.expect(&["PING"], "+PONG\r\n");
    let stats = c.cmd_str(&["FUNCTION", "STATS"]);
    assert!(stats.contains("running_script\r\n$-1\r\n"), "{stats}");
}

fn fcall_get(c: &mut common::Raw, key: &str) -> String {
    c.cmd_str(&["FCALL", "getter", "1", key])
}

#[test]
fn libraries_survive_a_kill_of_a_shard_a_snapshot_and_a_restart() {
    let dir = TempDir::new();
    let key = key_on_shard("dur", 1, 2);
    let code = lib(
        "durable",
        "redis.register_function('getter', function(keys) return redis.call('get', keys[1]) end)\n\
         redis.register_function('setter', function(keys, args) return redis.call('set', keys[1], args[1]) end)",
    );
    {
        let s = Server::start(
            Opts::shards(2)
                .data_dir(&dir.0)
                .flag("--appendfsync", "always"),
        );
        let mut c = s.raw();
        assert_eq!(c.cmd_str(&["FUNCTION", "LOAD", &code]), "$7\r\ndurable\r\n");
        assert_eq!(c.cmd_str(&["FCALL", "setter", "1", &key, "v1"]), "+OK\r\n");
        // Shard 1 killed: it loads its libraries again from its log.
        let pid = s.shard_pid(1).expect("shard 1");
        // SAFETY: killing a shard process this test's proxy started, by pid.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        wait_until(IO_TIMEOUT, "shard 1 to come back with the library", || {
            s.shard_pid(1).is_some_and(|p| p != pid) && fcall_get(&mut c, &key) == "$2\r\nv1\r\n"
        });
        // A snapshot then a kill: the snapshot carries them.
        assert_eq!(c.cmd_str(&["SAVE"]), "+OK\r\n");
        let pid = s.shard_pid(1).expect("shard 1");
        // SAFETY: as above.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        wait_until(IO_TIMEOUT, "shard 1 to come back from its snapshot", || {
            s.shard_pid(1).is_some_and(|p| p != pid) && fcall_get(&mut c, &key) == "$2\r\nv1\r\n"
        });
        // A library deleted after the snapshot stays deleted.
        let extra = lib(
            "extra",
            "redis.register_function('gone', function() return 1 end)",
        );
        assert_eq!(c.cmd_str(&["FUNCTION", "LOAD", &extra]), "$5\r\nextra\r\n");
        assert_eq!(c.cmd_str(&["FUNCTION", "DELETE", "extra"]), "+OK\r\n");
    }
    // The whole server again on the same data: proxy and shards.
    let s = Server::start(Opts::shards(2).data_dir(&dir.0));
    let mut c = s.raw();
    assert_eq!(fcall_get(&mut c, &key), "$2\r\nv1\r\n");
    let list = c.cmd_str(&["FUNCTION", "LIST"]);
    assert!(
        list.contains("durable") && !list.contains("extra"),
        "{list}"
    );
    assert_eq!(
        c.cmd_str(&["FCALL", "gone", "0"]),
        "-ERR Function not found\r\n"
    );
    // The EVALSHA cache is not durable, as Redis's.
    assert!(c
        .cmd_str(&["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"])
        .starts_with("-NOSCRIPT"));
}

/// One `INFO memory` figure.
fn memory_field(c: &mut common::Raw, name: &str) -> u64 {
    let info = c.cmd_str(&["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {info}"))
}

/// EVAL and the functions have a Lua state each, as in Redis 7:
/// `used_memory_lua` is EVAL's, SCRIPT FLUSH drops it and leaves the
/// functions running, and `used_memory_vm_functions` is theirs.
#[test]
fn eval_and_functions_keep_apart_lua_states() {
    let s = Server::with_shards(2);
    let mut c = s.raw();
    let key = key_on_shard("vm", 1, 2);
    assert_eq!(memory_field(&mut c, "used_memory_lua"), 0);
    assert_eq!(memory_field(&mut c, "used_memory_vm_functions"), 0);
    let code = lib(
        "vm",
        "redis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)",
    );
    assert_eq!(c.cmd_str(&["FUNCTION", "LOAD", &code]), "$2\r\nvm\r\n");
    assert_eq!(c.cmd_str(&["FCALL", "bump", "1", &key]), ":1\r\n");
    let functions = memory_field(&mut c, "used_memory_vm_functions");
    assert!(functions > 0);
    assert_eq!(memory_field(&mut c, "used_memory_lua"), 0);
    let script = "return redis.call('incr', KEYS[1])";
    assert_eq!(c.cmd_str(&["EVAL", script, "1", &key]), ":2\r\n");
    let eval = memory_field(&mut c, "used_memory_lua");
    assert!(eval > 0);
    assert_eq!(memory_field(&mut c, "used_memory_vm_eval"), eval);
    assert_eq!(
        memory_field(&mut c, "used_memory_vm_total"),
        eval + memory_field(&mut c, "used_memory_vm_functions")
    );
    assert_eq!(c.cmd_str(&["SCRIPT", "FLUSH"]), "+OK\r\n");
    assert_eq!(memory_field(&mut c, "used_memory_lua"), 0);
    assert_eq!(c.cmd_str(&["FCALL", "bump", "1", &key]), ":3\r\n");
    assert!(memory_field(&mut c, "used_memory_vm_functions") > 0);
}
