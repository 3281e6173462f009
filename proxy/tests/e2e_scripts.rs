//! Lua scripts with the real binaries: EVAL and its family answer as
//! redis-server does (conversions, errors, sandbox, libraries, the script
//! cache), scripts over keys of several shards (declared in KEYS or not)
//! are atomic, a runaway script makes its shard BUSY while the others
//! serve and SCRIPT KILL stops it, and a script's writes survive a kill -9
//! of its shard as the effects it had.

mod common;

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Arc,
};

use common::{key_on_shard, wait_until, Lcg, Opts, Server, IO_TIMEOUT};

const SHARDS: usize = 3;

#[test]
fn scripts_answer_as_on_redis_server() {
    let Some(mut both) = common::SideBySide::start(SHARDS) else {
        return;
    };
    let k: Vec<String> = (0..SHARDS).map(|i| key_on_shard("sk", i, SHARDS)).collect();
    let (a, b, c) = (k[0].as_str(), k[1].as_str(), k[2].as_str());
    let transfer = "local v = tonumber(ARGV[1]) \
        redis.call('decrby', KEYS[1], v) \
        return redis.call('incrby', KEYS[2], v)";
    let undeclared = format!(
        "redis.call('set', '{a}', 'one') redis.call('set', '{b}', 'two') \
         return redis.call('mget', '{a}', '{b}', '{c}')"
    );
    // Writes that the shard undoes by steps (`txlog::Delta`) before the
    // script reaches `b`, on another shard, undeclared: put back, then
    // run again over both shards; the result and the values must be
    // redis-server's.
    let (tl, ts, th, tz) = (
        format!("{{{a}}}l"),
        format!("{{{a}}}s"),
        format!("{{{a}}}h"),
        format!("{{{a}}}z"),
    );
    let by_steps = format!(
        "redis.call('rpush', KEYS[1], 'n1') redis.call('lpop', KEYS[1], 2) \
         redis.call('sadd', KEYS[2], 'x', 'm1') redis.call('srem', KEYS[2], 'm2') \
         redis.call('hset', KEYS[3], 'f', 'new', 'g', 'h') redis.call('hdel', KEYS[3], 'e') \
         redis.call('zadd', KEYS[4], 9, 'z1') redis.call('zincrby', KEYS[4], 1, 'zz') \
         redis.call('zrem', KEYS[4], 'z2') redis.call('incr', '{b}') \
         return {{redis.call('lrange', KEYS[1], 0, -1), redis.call('scard', KEYS[2]), \
         redis.call('hget', KEYS[3], 'f'), redis.call('zscore', KEYS[4], 'zz')}}"
    );
    let script: Vec<Vec<&str>> = vec![
        vec!["EVAL", "return 1", "0"],
        vec!["EVAL", "return 3.99", "0"],
        vec!["EVAL", "return -7.5", "0"],
        vec!["EVAL", "return 'str'", "0"],
        vec!["EVAL", "return true", "0"],
        vec!["EVAL", "return false", "0"],
        vec!["EVAL", "return nil", "0"],
        vec!["EVAL", "return {1, 2, {3, 'x'}, 'a', nil, 5}", "0"],
        vec!["EVAL", "return {err='My Error'}", "0"],
        vec!["EVAL", "return {ok='Fine'}", "0"],
        vec!["EVAL", "return redis.error_reply('CODE message')", "0"],
        vec!["EVAL", "return redis.status_reply('PONGISH')", "0"],
        // redis.call inside a coroutine (not on the main thread: the
        // shard takes its general path there) and the replies that are
        // not plain values, raised and caught.
        vec![
            "EVAL",
            "local co = coroutine.create(function() \
               redis.call('set', KEYS[1], 'co') return redis.call('get', KEYS[1]) end) \
             local ok, v = coroutine.resume(co) return {tostring(ok), v}",
            "1",
            a,
        ],
        vec![
            "EVAL",
            "redis.call('del', KEYS[1]) redis.call('rpush', KEYS[1], 'x', 'y') \
             local e = redis.pcall('incr', KEYS[1]) \
             return {redis.call('lrange', KEYS[1], 0, -1), e['err'], redis.call('type', KEYS[1])['ok']}",
            "1",
            a,
        ],
        vec!["EVAL", "return redis.call('incr', KEYS[1])", "1", a],
        vec!["EVAL", "return redis.call('nosuchcommand')", "0"],
        vec!["EVAL", "redis.call('del', KEYS[1])", "1", a],
        vec![
            "EVAL",
            "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}",
            "2",
            a,
            b,
            "x",
            "y",
        ],
        vec![
            "EVAL",
            "return redis.call('set', KEYS[1], ARGV[1])",
            "1",
            a,
            "10",
        ],
        vec!["EVAL", "return redis.call('get', KEYS[1])", "1", a],
        vec!["EVAL", "return redis.call('incr', KEYS[1])", "1", a],
        vec!["EVAL", "return redis.call('get', 'nokey')", "0"],
        vec!["EVAL", "return redis.call('hgetall', 'nokey')", "0"],
        vec!["EVAL", "return redis.pcall('lpush', KEYS[1], 'x')", "1", a],
        vec![
            "EVAL",
            "local r = redis.pcall('lpush', KEYS[1], 'x') return r['err']",
            "1",
            a,
        ],
        vec!["EVAL", "redis.call('lpush', KEYS[1], 'x')", "1", a],
        vec!["EVAL", "return redis.call('nosuchcommand')", "0"],
        vec!["EVAL", "return redis.call('get')", "0"],
        vec!["EVAL", "return redis.call()", "0"],
        vec!["EVAL", "return redis.call('get', {})", "0"],
        vec![
            "EVAL",
            "local a = {} for i = 1, 7999 do a[i] = i end return redis.call('rpush', KEYS[1], unpack(a))",
            "1",
            "biglist",
        ],
        vec!["EVAL", "return #redis.call('lrange', KEYS[1], 0, -1)", "1", "biglist"],
        vec![
            "EVAL",
            "local a = {} for i = 1, 40 do a[i] = i end a[20] = {} return redis.pcall('rpush', KEYS[1], unpack(a))",
            "1",
            "biglist",
        ],
        vec!["EVAL", "return redis.call('blpop', 'l', 0)", "0"],
        vec!["EVAL", "return redis.call('multi')", "0"],
        vec!["EVAL", "return undefined_global", "0"],
        vec!["EVAL", "newglobal = 1", "0"],
        vec!["EVAL", "redis.call = nil", "0"],
        vec!["EVAL", "return loadfile", "0"],
        vec!["EVAL", "os.exit()", "0"],
        vec!["EVAL", "return +", "0"],
        vec!["EVAL", "error('boom')", "0"],
        vec!["EVAL", "error({err='CUSTOM raised'})", "0"],
        vec!["EVAL", "return redis.sha1hex('')", "0"],
        vec!["EVAL", "return cjson.encode({1, 2, 'three'})", "0"],
        vec!["EVAL", "return cjson.decode('[1,2,{\"a\":3}]')[3].a", "0"],
        vec![
            "EVAL",
            "return {bit.band(7, 3), bit.bor(1, 2), bit.bxor(5, 1), bit.tohex(255)}",
            "0",
        ],
        vec![
            "EVAL",
            "math.randomseed(7) return math.random(1000000)",
            "0",
        ],
        vec!["EVAL", "return tostring(1/3)", "0"],
        vec!["EVAL", "return redis.call('echo', 123456789012)", "0"],
        vec!["EVAL", "return redis.call('echo', 0.1)", "0"],
        vec![
            "EVAL",
            "redis.setresp(3) return redis.call('hgetall', 'nokey')",
            "0",
        ],
        vec!["EVAL", "return redis.setresp(4)", "0"],
        vec!["EVAL", "return {double=1.5}", "0"],
        vec!["EVAL", "return 1", "-1"],
        vec!["EVAL", "return 1", "3", "k"],
        vec!["EVAL", "return 1", "x"],
        vec!["EVAL_RO", "return redis.call('get', KEYS[1])", "1", a],
        vec!["EVAL_RO", "return redis.call('set', KEYS[1], 1)", "1", a],
        vec![
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('set', KEYS[1], 1)",
            "1",
            a,
        ],
        vec![
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
            "1",
            a,
        ],
        vec!["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
        // Strings' metatable is read-only, and the string library behind
        // it unchanged for the next script.
        vec!["EVAL", "getmetatable('').x = 1 return 1", "0"],
        vec!["EVAL", "rawset(getmetatable(''), 'y', 2) return 1", "0"],
        vec!["EVAL", "getmetatable('').__index.upper = 1 return 1", "0"],
        vec!["EVAL", "string.upper = 1 return 1", "0"],
        vec!["EVAL", "setmetatable(getmetatable(''), {}) return 1", "0"],
        vec!["EVAL", "setmetatable(_G, {}) return 1", "0"],
        vec!["EVAL", "rawset(_G, 'x', 1) return 1", "0"],
        vec!["EVAL", "rawset(string, 'x', 1) return 1", "0"],
        vec!["EVAL", "local s = 'a' s.x = 1 return 1", "0"],
        vec![
            "EVAL",
            "return {type(string.upper), ('abc'):upper(), tostring(getmetatable('').__index == string)}",
            "0",
        ],
        // What a script does to its KEYS and ARGV never reaches the next
        // script (the shard refills the tables a run left plain).
        vec!["EVAL", "KEYS[3] = 'extra' KEYS.x = 1 return #KEYS", "2", a, &tl],
        vec![
            "EVAL",
            "return {#KEYS, tostring(KEYS.x), tostring(KEYS[3]), KEYS[1]}",
            "1",
            a,
        ],
        vec![
            "EVAL",
            "setmetatable(ARGV, {__index = function() return 'meta' end}) return ARGV[5]",
            "1",
            a,
            "x",
        ],
        vec![
            "EVAL",
            "return {#ARGV, tostring(ARGV[5]), tostring(getmetatable(ARGV))}",
            "1",
            a,
        ],
        vec!["EVAL", "KEYS[1] = nil KEYS[2] = nil return 1", "2", a, &tl],
        vec!["EVAL", "return {#KEYS, KEYS[1], KEYS[2]}", "2", a, &tl],
        vec!["EVAL", "KEYS[7] = 'far' ARGV[2] = 'more' return 1", "1", a, "x"],
        vec![
            "EVAL",
            "return {#KEYS, tostring(KEYS[7]), #ARGV, tostring(ARGV[2])}",
            "1",
            a,
            "y",
        ],
        vec!["EVAL", "return {#KEYS, #ARGV}", "0"],
        vec!["EVAL", "#!python\nreturn 1", "0"],
        vec!["SCRIPT", "LOAD", "return 'loaded'"],
        vec!["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
        vec!["EVALSHA", "B534286061D4B9E4026607613B95C06C06015AE8", "0"],
        vec![
            "SCRIPT",
            "EXISTS",
            "b534286061d4b9e4026607613b95c06c06015ae8",
            "ffff",
        ],
        vec!["SCRIPT", "LOAD", "return +"],
        vec!["SCRIPT", "FLUSH"],
        vec![
            "SCRIPT",
            "EXISTS",
            "b534286061d4b9e4026607613b95c06c06015ae8",
        ],
        vec!["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
        vec!["SCRIPT", "FLUSH", "BOGUS"],
        vec!["SCRIPT", "KILL"],
        // Over several shards: declared keys, then keys nobody declared.
        vec!["MSET", a, "100", b, "5", c, "7"],
        vec!["EVAL", transfer, "2", a, b, "30"],
        vec!["MGET", a, b, c],
        vec!["EVAL", transfer, "2", c, a, "2"],
        vec!["EVAL", &undeclared, "0"],
        vec!["MGET", a, b, c],
        vec!["RPUSH", &tl, "a", "b", "c"],
        vec!["SADD", &ts, "m1", "m2", "m3"],
        vec!["HSET", &th, "e", "1", "f", "old"],
        vec!["ZADD", &tz, "1", "z1", "2", "z2", "3", "zz"],
        vec!["PEXPIREAT", &tl, "4102444800000"],
        vec!["SET", b, "5"],
        vec!["EVAL", &by_steps, "4", &tl, &ts, &th, &tz],
        vec!["EVAL", &by_steps, "4", &tl, &ts, &th, &tz],
        vec!["LRANGE", &tl, "0", "-1"],
        vec!["PEXPIRETIME", &tl],
        vec!["SORT", &ts, "ALPHA"],
        vec!["HGETALL", &th],
        vec!["ZRANGE", &tz, "0", "-1", "WITHSCORES"],
        vec!["GET", b],
        vec![
            "EVAL",
            "return redis.call('incrby', KEYS[1], 1) + redis.call('incrby', 'x' .. KEYS[1], 1)",
            "1",
            b,
        ],
    ];
    both.same(&script);
}

/// Every account's balance, read by one script with every key declared.
fn total(con: &mut redis::Connection, accounts: &[String]) -> i64 {
    let mut cmd = redis::cmd("EVAL");
    cmd.arg("local s = 0 for _, k in ipairs(KEYS) do s = s + tonumber(redis.call('get', k) or '0') end return s")
        .arg(accounts.len());
    for a in accounts {
        cmd.arg(a);
    }
    cmd.query(con).expect("the total")
}

#[test]
fn transfers_by_script_over_every_shard_keep_the_total() {
    let s = Server::with_shards(SHARDS);
    let accounts: Vec<String> = (0..12).map(|i| format!("acct:{i}")).collect();
    let shards: std::collections::BTreeSet<usize> =
        accounts.iter().map(|a| s.shard_of(a)).collect();
    assert_eq!(shards.len(), SHARDS, "accounts on every shard");
    let mut con = s.client();
    for a in &accounts {
        let () = redis::cmd("SET")
            .arg(a)
            .arg(100)
            .query(&mut con)
            .expect("SET");
    }
    let start = total(&mut con, &accounts);
    assert_eq!(start, 1200);
    // Declared: KEYS are both accounts. Undeclared: the script names the
    // second account itself (job-queue libraries do this).
    let declared = "local v = tonumber(ARGV[1]) \
        if tonumber(redis.call('get', KEYS[1])) < v then return 0 end \
        redis.call('decrby', KEYS[1], v) redis.call('incrby', KEYS[2], v) return 1";
    let undeclared = "local v = tonumber(ARGV[1]) local to = ARGV[2] \
        if tonumber(redis.call('get', KEYS[1])) < v then return 0 end \
        redis.call('decrby', KEYS[1], v) redis.call('incrby', to, v) return 1";
    let stop = Arc::new(AtomicBool::new(false));
    let mut movers = Vec::new();
    for m in 0..4u64 {
        let url = s.url();
        let accounts = accounts.clone();
        movers.push(std::thread::spawn(move || {
            let mut con = common::client_for(&url);
            let mut rng = Lcg(m * 7919 + 1);
            let mut done = 0;
            for i in 0..150 {
                let from = &accounts[rng.next(accounts.len())];
                let to = &accounts[rng.next(accounts.len())];
                let amount = 1 + rng.next(20);
                let moved: i64 = if i % 2 == 0 {
                    redis::cmd("EVAL")
                        .arg(declared)
                        .arg(2)
                        .arg(from)
                        .arg(to)
                        .arg(amount)
                        .query(&mut con)
                } else {
                    redis::cmd("EVAL")
                        .arg(undeclared)
                        .arg(1)
                        .arg(from)
                        .arg(amount)
                        .arg(to)
                        .query(&mut con)
                }
                .expect("a transfer");
                done += moved;
            }
            done
        }));
    }
    let mut readers = Vec::new();
    for _ in 0..2 {
        let url = s.url();
        let accounts = accounts.clone();
        let stop = stop.clone();
        readers.push(std::thread::spawn(move || {
            let mut con = common::client_for(&url);
            let mut seen = 0;
            for _ in 0..2_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                assert_eq!(
                    total(&mut con, &accounts),
                    1200,
                    "a reader saw part of a transfer"
                );
                seen += 1;
            }
            seen
        }));
    }
    let moved: i64 = movers.into_iter().map(|t| t.join().expect("a mover")).sum();
    stop.store(true, Ordering::Relaxed);
    let reads: usize = readers
        .into_iter()
        .map(|t| t.join().expect("a reader"))
        .sum();
    assert!(moved > 0 && reads > 0);
    assert_eq!(total(&mut con, &accounts), 1200);
    // Plain reads agree with the script's.
    let balances: Vec<i64> = redis::cmd("MGET")
        .arg(&accounts)
        .query(&mut con)
        .expect("MGET");
    assert_eq!(balances.iter().sum::<i64>(), 1200);
}

#[test]
fn a_runaway_script_is_busy_on_its_shard_only_and_script_kill_stops_it() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "lua-time-limit", "50"], "+OK\r\n");
    c.expect(
        &["SCRIPT", "KILL"],
        "-NOTBUSY No scripts in execution right now.\r\n",
    );
    let mine = key_on_shard("busy", 0, SHARDS);
    let other = key_on_shard("free", 1, SHARDS);
    c.expect(&["SET", &other, "served"], "+OK\r\n");
    let url_port = s.port;
    let mine2 = mine.clone();
    let runner = std::thread::spawn(move || {
        let mut r = common::Raw::connect(url_port);
        r.cmd_str(&["EVAL", "while true do end", "1", &mine2])
    });
    // PING is answered by the proxy: it never waits behind the script (a
    // command sent to its shard before the threshold would).
    wait_until(IO_TIMEOUT, "the server to be BUSY", || {
        c.cmd_str(&["PING"]).starts_with("-BUSY")
    });
    assert!(c.cmd_str(&["GET", &mine]).starts_with("-BUSY"));
    // The other shards serve on.
    c.expect(&["GET", &other], "$6\r\nserved\r\n");
    c.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    let killed = runner.join().expect("the script's client");
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{killed}"
    );
    c.expect(&["PING"], "+PONG\r\n");
    c.expect(&["SET", &mine, "after"], "+OK\r\n");
}

#[test]
fn script_effects_survive_a_kill_of_their_shard_as_they_were() {
    let s = Server::start(Opts::shards(2).flag("--appendfsync", "always"));
    let key = key_on_shard("eff", 1, 2);
    let mut c = s.raw();
    // TIME and random numbers differ on every run: the log keeps what the
    // script did, not the script.
    let write = "local t = redis.call('time') \
        redis.call('set', KEYS[1], t[1] .. '.' .. t[2] .. ':' .. math.random()) \
        redis.call('rpush', KEYS[1] .. ':l', math.random(1000000)) \
        return redis.call('get', KEYS[1])";
    let before = c.cmd_str(&["EVAL", write, "1", &key]);
    let list_before = c.cmd_str(&["LRANGE", &format!("{key}:l"), "0", "-1"]);
    assert!(before.starts_with('$'), "{before}");
    let pid = s.shard_pid(1).expect("shard 1");
    // SAFETY: killing a shard process this test's proxy started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until(IO_TIMEOUT, "the shard to come back", || {
        s.shard_pid(1).is_some_and(|p| p != pid) && c.cmd_str(&["GET", &key]) == before
    });
    assert_eq!(
        c.cmd_str(&["LRANGE", &format!("{key}:l"), "0", "-1"]),
        list_before
    );
    // The script cache lives in the proxy: EVALSHA still works.
    let sha = c.cmd_str(&["SCRIPT", "LOAD", "return redis.call('get', KEYS[1])"]);
    let sha = sha
        .trim_end()
        .rsplit('\n')
        .next()
        .unwrap_or_default()
        .to_string();
    assert_eq!(c.cmd_str(&["EVALSHA", &sha, "1", &key]), before);
}

#[test]
fn scripts_show_in_info_as_on_redis() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["CONFIG", "RESETSTAT"], "+OK\r\n");
    let sha = c.cmd_str(&["SCRIPT", "LOAD", "return 1"]);
    assert!(
        sha.contains("e0e1f9fabfc9d4800c877a703b823ac0578ff8db"),
        "{sha}"
    );
    c.expect(
        &["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"],
        ":1\r\n",
    );
    c.expect(
        &["EVAL", "return redis.error_reply('MY_CODE custom')", "0"],
        "-MY_CODE custom\r\n",
    );
    // An error a command answered inside the script counts once.
    c.expect(
        &[
            "EVAL",
            "return redis.pcall('lpush', KEYS[1], 'x')",
            "1",
            "ek",
        ],
        ":1\r\n",
    );
    c.cmd(&["EVAL", "return redis.pcall('incr', KEYS[1])", "1", "ek"]);
    let memory = c.cmd_str(&["INFO", "memory"]);
    assert!(
        memory.contains("number_of_cached_scripts:4\r\n"),
        "{memory}"
    );
    let stats = c.cmd_str(&["INFO", "commandstats"]);
    assert!(stats.contains("cmdstat_evalsha:calls=1,"), "{stats}");
    assert!(stats.contains("cmdstat_eval:calls=3,"), "{stats}");
    let errors = c.cmd_str(&["INFO", "errorstats"]);
    assert!(errors.contains("errorstat_MY_CODE:count=1\r\n"), "{errors}");
    assert!(
        errors.contains("errorstat_WRONGTYPE:count=1\r\n"),
        "{errors}"
    );
    c.expect(&["SCRIPT", "FLUSH", "ASYNC"], "+OK\r\n");
    let memory = c.cmd_str(&["INFO", "memory"]);
    assert!(
        memory.contains("number_of_cached_scripts:0\r\n"),
        "{memory}"
    );
}

#[test]
fn scripts_inside_multi_run_in_their_turn_over_any_keys() {
    let Some(mut both) = common::SideBySide::start(SHARDS) else {
        return;
    };
    let k: Vec<String> = (0..SHARDS).map(|i| key_on_shard("mk", i, SHARDS)).collect();
    let (a, b, c) = (k[0].as_str(), k[1].as_str(), k[2].as_str());
    // Reaches `c` without declaring it: the transaction runs again with
    // `c` locked too.
    let undeclared = format!(
        "redis.call('incr', KEYS[1]) redis.call('set', '{c}', 'v') \
         return redis.call('mget', KEYS[1], KEYS[2], '{c}')"
    );
    let lib = "#!lua name=mlib\nredis.register_function('add', function(k, a) return redis.call('incrby', k[1], a[1]) end)";
    let script: Vec<Vec<&str>> = vec![
        vec!["FUNCTION", "LOAD", "REPLACE", lib],
        vec!["MULTI"],
        vec!["SET", a, "1"],
        vec!["EVAL", &undeclared, "2", a, b],
        vec!["EVALSHA", "0000000000000000000000000000000000000000", "0"],
        vec!["EVAL", "return 1", "x"],
        vec!["FCALL", "add", "1", b, "5"],
        vec!["FCALL", "nosuch", "0"],
        vec!["GET", c],
        vec![
            "EVAL",
            "return redis.call('incr', KEYS[1]) + redis.call('nosuch')",
            "1",
            a,
        ],
        vec!["EVAL_RO", "return redis.call('set', KEYS[1], 'x')", "1", a],
        vec!["EXEC"],
        vec!["MGET", a, b, c],
        // With a WATCH on keys the scripts declare.
        vec!["WATCH", a, b],
        vec!["MULTI"],
        vec!["EVAL", "return redis.call('incrby', KEYS[1], 10)", "1", b],
        vec!["FCALL", "add", "1", a, "100"],
        vec!["EXEC"],
        vec!["MGET", a, b, c],
        // A script refused when queued aborts the transaction.
        vec!["MULTI"],
        vec!["EVAL"],
        vec!["EXEC"],
    ];
    both.same(&script);
    let ours = &mut both.ours;
    // A WATCHed transaction whose script reaches an undeclared key on
    // another shard is refused whole (documented), nothing applied.
    let was = ours.cmd_str(&["GET", a]);
    ours.expect(&["WATCH", a], "+OK\r\n");
    ours.expect(&["MULTI"], "+OK\r\n");
    ours.expect(&["SET", a, "7"], "+QUEUED\r\n");
    ours.expect(&["EVAL", &undeclared, "2", a, b], "+QUEUED\r\n");
    let reply = ours.cmd_str(&["EXEC"]);
    assert!(reply.contains("WATCHed"), "{reply}");
    assert_eq!(ours.cmd_str(&["GET", a]), was);
}

/// A script on one shard that reaches a key a transaction over several
/// shards holds waits for it and runs after (nothing lost, no error),
/// while transactions keep coming from other connections and workers.
#[test]
fn a_script_meeting_a_key_a_transaction_holds_waits_and_runs() {
    const ROUNDS: usize = 300;
    let s = Server::start(Opts::shards(2).workers(2));
    let x = key_on_shard("held", 0, 2);
    let y = key_on_shard("held", 1, 2);
    let url = s.url();
    let (tx_url, xk, yk) = (url.clone(), x.clone(), y.clone());
    let movers = std::thread::spawn(move || {
        let mut con = common::client_for(&tx_url);
        for _ in 0..ROUNDS {
            let () = redis::pipe()
                .atomic()
                .cmd("INCR")
                .arg(&xk)
                .ignore()
                .cmd("INCR")
                .arg(&yk)
                .ignore()
                .query(&mut con)
                .expect("MULTI INCR INCR EXEC");
        }
    });
    let mut con = common::client_for(&url);
    let mut last = 0i64;
    for _ in 0..ROUNDS {
        // No KEYS: it runs on shard 0 and reaches `x` undeclared.
        let v: i64 = redis::cmd("EVAL")
            .arg("return redis.call('incr', ARGV[1])")
            .arg(0)
            .arg(&x)
            .query(&mut con)
            .expect("EVAL");
        assert!(v > last, "the counter went back: {v} after {last}");
        last = v;
    }
    movers.join().expect("the transactions");
    let got: Vec<i64> = redis::cmd("MGET")
        .arg(&x)
        .arg(&y)
        .query(&mut con)
        .expect("MGET");
    assert_eq!(got, vec![2 * ROUNDS as i64, ROUNDS as i64]);
}

/// A script's writes make other clients' WATCHes fail (told when the run
/// ends whole), and a run that is put back and runs again tells them once.
#[test]
fn a_script_writing_a_watched_key_fails_the_watchers_exec() {
    let s = Server::with_shards(SHARDS);
    let mut watcher = s.raw();
    let mut writer = s.raw();
    let k = key_on_shard("wk", 0, SHARDS);
    let other = key_on_shard("wo", 1, SHARDS);
    for (script, keys) in [
        ("return redis.call('set', KEYS[1], 'w')", vec![k.as_str()]),
        // Writes `k`, then reaches a key of another shard: put back, then
        // run again over both shards.
        (
            "redis.call('set', KEYS[1], 'w') return redis.call('get', ARGV[1])",
            vec![k.as_str()],
        ),
    ] {
        watcher.expect(&["WATCH", &k], "+OK\r\n");
        let mut cmd = vec!["EVAL", script, "1"];
        cmd.extend(keys);
        cmd.push(&other);
        assert!(!writer.cmd_str(&cmd).starts_with('-'));
        watcher.expect(&["MULTI"], "+OK\r\n");
        watcher.expect(&["SET", &k, "mine"], "+QUEUED\r\n");
        watcher.expect(&["EXEC"], "*-1\r\n");
        assert_eq!(watcher.cmd_str(&["GET", &k]), "$1\r\nw\r\n");
    }
}

/// PUBLISH and SPUBLISH inside scripts and functions: redis-server's
/// receiver counts (channel and pattern subscribers), its messages in
/// order, and its refusal in read-only scripts, from keys on every shard.
#[test]
fn scripts_publish_to_subscribers_as_on_redis_server() {
    let Some(mut both) = common::SideBySide::start(SHARDS) else {
        return;
    };
    let mut per_server = Vec::new();
    for port in [both.redis.port, both.shardis.port] {
        let mut chan_and_pattern = common::Raw::connect(port);
        chan_and_pattern.expect(
            &["SUBSCRIBE", "news"],
            "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
        );
        chan_and_pattern.expect(
            &["PSUBSCRIBE", "n*"],
            "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:2\r\n",
        );
        let mut chan = common::Raw::connect(port);
        chan.expect(
            &["SUBSCRIBE", "news"],
            "*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n",
        );
        let mut shard_chan = common::Raw::connect(port);
        shard_chan.expect(
            &["SSUBSCRIBE", "orders"],
            "*3\r\n$10\r\nssubscribe\r\n$6\r\norders\r\n:1\r\n",
        );
        per_server.push([chan_and_pattern, chan, shard_chan]);
    }
    let publish = "return redis.call('publish', 'news', ARGV[1])";
    let keys: Vec<String> = (0..SHARDS)
        .map(|i| key_on_shard("pub", i, SHARDS))
        .collect();
    let lib = "#!lua name=publib\n\
        redis.register_function('announce', function(keys, args) \
        redis.call('set', keys[1], args[1]) \
        return redis.call('publish', 'news', args[1]) end)";
    let mut cmds: Vec<Vec<&str>> = keys
        .iter()
        .map(|k| vec!["EVAL", publish, "1", k.as_str(), k.as_str()])
        .collect();
    cmds.extend([
        vec!["EVAL", "return redis.call('publish', 'other', 'x')", "0"],
        vec!["EVAL", "return redis.call('publish', 'nope', 'p')", "0"],
        vec!["EVAL", "return redis.call('spublish', 'orders', 'o1')", "0"],
        vec!["EVAL", "return redis.call('spublish', 'news', 'o2')", "0"],
        vec!["EVAL_RO", "return redis.call('publish', 'news', 'ro')", "0"],
        vec![
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('publish', 'news', 'nw')",
            "0",
        ],
        vec!["EVAL", "return redis.pcall('publish', 'news')", "0"],
        vec!["FUNCTION", "LOAD", lib],
        vec!["FCALL", "announce", "1", keys[1].as_str(), "fn"],
        vec!["FUNCTION", "DELETE", "publib"],
    ]);
    both.same(&cmds);
    let got: Vec<Vec<Vec<String>>> = per_server
        .iter_mut()
        .map(|subs| {
            subs.iter_mut()
                .map(common::Raw::frames_until_pong)
                .collect()
        })
        .collect();
    let (theirs, ours) = (&got[0], &got[1]);
    assert_eq!(ours, theirs);
    // Three scripts and the function, twice each (channel and pattern);
    // `nope` matches the pattern only.
    assert_eq!(ours[0].len(), 9, "{:?}", ours[0]);
    assert_eq!(ours[1].len(), 4, "{:?}", ours[1]);
    assert_eq!(ours[2].len(), 1, "{:?}", ours[2]);
}

/// A script's receiver count covers the subscribers of every worker, and
/// is right again after the script's shard is killed -9 and comes back
/// (the proxy tells a shard every subscription when it attaches).
#[test]
fn script_publish_counts_every_workers_subscribers_across_a_shard_restart() {
    const N: usize = 8;
    let s = Server::start(Opts::shards(2).workers(2));
    // Eight connections: the kernel spreads them over both workers
    // (SO_REUSEPORT); the counts hold wherever they land.
    let mut subs: Vec<common::Raw> = (0..N)
        .map(|_| {
            let mut r = s.raw();
            r.expect(
                &["SUBSCRIBE", "jobs"],
                "*3\r\n$9\r\nsubscribe\r\n$4\r\njobs\r\n:1\r\n",
            );
            r
        })
        .collect();
    let mut c = s.raw();
    let publish = "return redis.call('publish', 'jobs', ARGV[1])";
    let keys: Vec<String> = (0..2).map(|i| key_on_shard("job", i, 2)).collect();
    let mut sent = 0;
    let mut count = |c: &mut common::Raw, shard: usize| {
        let r = c.cmd_str(&["EVAL", publish, "1", &keys[shard], "m"]);
        if r.starts_with(':') {
            sent += 1;
        }
        r
    };
    for shard in 0..2 {
        assert_eq!(count(&mut c, shard), format!(":{N}\r\n"));
    }
    let pid = s.shard_pid(0).expect("shard 0");
    // SAFETY: killing a shard process this test's proxy started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until(
        IO_TIMEOUT,
        "shard 0 to come back knowing the subscribers",
        || s.shard_pid(0).is_some_and(|p| p != pid) && count(&mut c, 0) == format!(":{N}\r\n"),
    );
    // Two leave, one comes: the counts follow at once on both shards.
    for sub in subs.drain(..2) {
        drop(sub);
    }
    let mut late = s.raw();
    late.expect(
        &["SUBSCRIBE", "jobs"],
        "*3\r\n$9\r\nsubscribe\r\n$4\r\njobs\r\n:1\r\n",
    );
    // The subscribers left, the late one and this client.
    wait_until(IO_TIMEOUT, "the two closed subscribers to be gone", || {
        c.client_count() == (N - 2) + 1 + 1
    });
    for shard in 0..2 {
        assert_eq!(count(&mut c, shard), format!(":{}\r\n", N - 1));
    }
    // Every remaining subscriber got every message its count promised.
    let sent_all = sent;
    for sub in &mut subs {
        let frames = sub.frames_until_pong();
        assert_eq!(frames.len(), sent_all, "{frames:?}");
        assert!(frames.iter().all(|f| f.contains("jobs")), "{frames:?}");
    }
    assert_eq!(late.frames_until_pong().len(), 2);
}

/// `min-replicas-to-write` with no replicas (shardis never has any, and
/// neither has this redis-server): every write is refused with
/// NOREPLICAS, in MULTI at queue time, by a script that declares writes
/// before it runs and by a legacy script at its first write; reads go
/// on, and a lag of 0 turns the check off, as in Redis.
#[test]
fn writes_without_enough_replicas_are_refused_as_on_redis_server() {
    let Some(mut both) = common::SideBySide::start(SHARDS) else {
        return;
    };
    let k: Vec<String> = (0..SHARDS).map(|i| key_on_shard("nr", i, SHARDS)).collect();
    let (a, b) = (k[0].as_str(), k[1].as_str());
    let lib = "#!lua name=nrlib\n\
        redis.register_function('put', function(keys, args) return redis.call('set', keys[1], args[1]) end)\n\
        redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}";
    both.same(&[
        vec!["SET", a, "before"],
        vec!["FUNCTION", "LOAD", lib],
        vec!["CONFIG", "SET", "min-replicas-to-write", "1"],
        vec!["CONFIG", "GET", "min-slaves-to-write"],
        vec!["SET", a, "x"],
        vec!["MSET", a, "1", b, "2"],
        vec!["GET", a],
        vec!["MULTI"],
        vec!["SET", b, "y"],
        vec!["GET", a],
        vec!["EXEC"],
        vec!["EVAL", "return redis.call('get', KEYS[1])", "1", a],
        vec!["EVAL", "return redis.call('set', KEYS[1], 'z')", "1", a],
        vec!["EVAL", "return redis.pcall('set', KEYS[1], 'z')", "1", a],
        vec!["EVAL", "#!lua\nreturn redis.call('get', KEYS[1])", "1", a],
        vec![
            "EVAL",
            "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])",
            "1",
            a,
        ],
        vec!["FCALL", "put", "1", b, "f"],
        vec!["FCALL", "peek", "1", a],
        vec!["CONFIG", "SET", "min-replicas-max-lag", "0"],
        vec!["SET", a, "after"],
        vec!["FCALL", "put", "1", b, "f"],
        vec!["CONFIG", "SET", "min-replicas-max-lag", "10"],
        vec!["SET", a, "again"],
        vec!["CONFIG", "SET", "min-replicas-to-write", "0"],
        vec!["SET", a, "free"],
        vec!["MGET", a, b],
        vec!["FUNCTION", "DELETE", "nrlib"],
    ]);
}

/// An EVALSHA of a script its shard has compiled goes without the body
/// (`proxy::link::KnownScripts`); it still runs after SCRIPT FLUSH and a
/// new SCRIPT LOAD of the same script, and after its shard is killed and
/// restarted: the body goes again, never NOSCRIPT while the proxy has it.
#[test]
fn evalsha_without_its_body_survives_flush_and_restart() {
    let s = Server::with_shards(2);
    // One connection throughout (one worker's links), keys on shard 1
    // (SCRIPT LOAD compiles on shard 0 only).
    let mut c = s.raw();
    let (counter, fresh) = (key_on_shard("counter", 1, 2), key_on_shard("fresh", 1, 2));
    let body = format!(
        "-- {}\nreturn redis.call('incr', KEYS[1])",
        "x".repeat(4000)
    );
    let sha = c.cmd_str(&["SCRIPT", "LOAD", &body]);
    let sha = sha
        .trim_start_matches('$')
        .split("\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert_eq!(sha.len(), 40, "{sha}");
    for i in 1..=3 {
        let reply = c.cmd_str(&["EVALSHA", &sha, "1", &counter]);
        assert_eq!(reply, format!(":{i}\r\n"));
    }
    assert_eq!(c.cmd_str(&["SCRIPT", "FLUSH"]), "+OK\r\n");
    assert!(c
        .cmd_str(&["EVALSHA", &sha, "1", &counter])
        .starts_with("-NOSCRIPT"));
    assert!(c.cmd_str(&["SCRIPT", "LOAD", &body]).contains(&sha));
    assert_eq!(c.cmd_str(&["EVALSHA", &sha, "1", &counter]), ":4\r\n");
    assert_eq!(c.cmd_str(&["EVALSHA", &sha, "1", &counter]), ":5\r\n");
    s.kill_every_shard(2);
    assert_eq!(c.cmd_str(&["SCRIPT", "EXISTS", &sha]), "*1\r\n:1\r\n");
    for i in 1..=2 {
        let reply = c.cmd_str(&["EVALSHA", &sha, "1", &fresh]);
        assert_eq!(reply, format!(":{i}\r\n"));
    }
}

#[test]
fn a_scripts_changes_count_as_redis_counts_them_with_or_without_the_log() {
    // With the log, the run's record counts them; without, the shard
    // counts them with no record built. A write that changed nothing (a
    // SET NX of a key that is there, an INCR that failed) counts nothing.
    for appendonly in ["yes", "no"] {
        let s = Server::start(Opts::shards(SHARDS).flag("--appendonly", appendonly));
        let mut c = s.raw();
        c.expect(&["SET", "{d}s", "text"], common::OK);
        let before = c.info_number("persistence", "rdb_changes_since_last_save");
        c.expect(
            &[
                "EVAL",
                "redis.call('set', KEYS[1], 'a') redis.call('set', KEYS[1], 'b', 'NX') \
                 redis.call('incr', KEYS[2]) redis.pcall('incr', KEYS[3]) return 1",
                "3",
                "{d}a",
                "{d}n",
                "{d}s",
            ],
            ":1\r\n",
        );
        assert_eq!(
            c.info_number("persistence", "rdb_changes_since_last_save") - before,
            2,
            "appendonly {appendonly}"
        );
        c.expect(&["GET", "{d}a"], common::bulk("a"));
    }
}
