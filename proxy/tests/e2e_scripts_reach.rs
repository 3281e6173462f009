//! Scripts that reach keys they do not declare, as job queues' scripts do
//! (a list of job ids, then each job's hash): the run that meets another
//! shard's key goes on probing for the rest (`shardd/src/script.rs`), so
//! the transaction that follows locks them all, not one more per round.

mod common;

use std::collections::BTreeSet;

use common::{Opts, Server};
use redis::Commands;

const SHARDS: usize = 3;

/// Walks the ids in list KEYS[1]; for each job hash `ARGV[1]..id` still
/// `waiting`, marks it done and sets `ARGV[1]..id..':done'` (keys reached
/// only past a branch on the job's value). Counts its runs in KEYS[2]
/// before it starts (put back by every run that strays, so it counts the
/// run that stays).
const WALK: &str = r"
redis.call('INCR', KEYS[2])
local ids = redis.call('LRANGE', KEYS[1], 0, -1)
local n = 0
for _, id in ipairs(ids) do
  local k = ARGV[1] .. id
  if redis.call('HGET', k, 'state') == 'waiting' then
    redis.call('HSET', k, 'state', 'done')
    redis.call('SET', k .. ':done', '1')
    n = n + 1
  end
end
redis.call('DEL', KEYS[1])
return n
";

/// A job queue's enqueue without a hash tag: the job's key follows the
/// counter KEYS[1] every call increments (ARGV[1] is the queue's prefix).
const ENQUEUE: &str = r"
local id = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[1] .. id, 'state', 'waiting')
redis.call('LPUSH', ARGV[1] .. 'wait', id)
return id
";

fn load_jobs(con: &mut redis::Connection, list: &str, prefix: &str, ids: std::ops::Range<u32>) {
    for id in ids {
        let () = con
            .hset(format!("{prefix}{id}"), "state", "waiting")
            .expect("HSET");
        let () = con.rpush(list, id).expect("RPUSH");
    }
}

#[test]
fn a_script_walking_job_ids_reaches_every_jobs_keys_in_a_few_rounds() {
    let s = Server::with_shards(SHARDS);
    let mut con = s.client();
    let prefix = "q:job:";
    // 120 jobs over every shard: one key per round would take 160-odd
    // rounds (and fail at 64). The first run probes the job keys; the
    // transaction after it finds the jobs waiting and probes on for the
    // `:done` keys (inside a transaction); the third has them all.
    load_jobs(&mut con, "q:wait", prefix, 0..120);
    let n: i64 = redis::cmd("EVAL")
        .arg(WALK)
        .arg(2)
        .arg("q:wait")
        .arg("{q:wait}:runs")
        .arg(prefix)
        .query(&mut con)
        .expect("the first walk");
    assert_eq!(n, 120);
    // Again, by its sha.
    load_jobs(&mut con, "q:wait", prefix, 120..240);
    let sha: String = redis::cmd("SCRIPT")
        .arg("LOAD")
        .arg(WALK)
        .query(&mut con)
        .expect("SCRIPT LOAD");
    let n: i64 = redis::cmd("EVALSHA")
        .arg(sha)
        .arg(2)
        .arg("q:wait")
        .arg("{q:wait}:runs")
        .arg(prefix)
        .query(&mut con)
        .expect("the second walk");
    assert_eq!(n, 120);
    // Each walk counted once: the runs that strayed were put back.
    let runs: i64 = con.get("{q:wait}:runs").expect("GET");
    assert_eq!(runs, 2);
    for id in 0..240 {
        let state: String = con.hget(format!("{prefix}{id}"), "state").expect("HGET");
        assert_eq!(state, "done", "job {id}");
        let done: Option<String> = con.get(format!("{prefix}{id}:done")).expect("GET");
        assert_eq!(done.as_deref(), Some("1"), "job {id}");
    }
    // Nothing a probe wrote stayed: no key twice (on a shard that does
    // not own it) and nothing more than the jobs, their marks and the
    // count.
    let keys: Vec<String> = con.keys("*").expect("KEYS");
    let unique: BTreeSet<&String> = keys.iter().collect();
    assert_eq!(unique.len(), keys.len(), "a key on two shards: {keys:?}");
    assert_eq!(keys.len(), 240 * 2 + 1, "{keys:?}");
    let n: usize = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(n, 240 * 2 + 1);
}

#[test]
fn scripts_of_one_multi_reaching_the_same_undeclared_key_run() {
    let s = Server::with_shards(SHARDS);
    let mut con = s.client();
    let key = common::key_on_shard("shared", 2, SHARDS);
    let incr = "return redis.call('INCR', ARGV[1])";
    let (a, b): (i64, i64) = redis::pipe()
        .atomic()
        .cmd("EVAL")
        .arg(incr)
        .arg(0)
        .arg(&key)
        .cmd("EVAL")
        .arg(incr)
        .arg(0)
        .arg(&key)
        .query(&mut con)
        .expect("EXEC");
    assert_eq!((a, b), (1, 2));
    let v: i64 = con.get(&key).expect("GET");
    assert_eq!(v, 2);
}

#[test]
fn scripts_of_one_multi_copy_only_the_keys_each_reached() {
    // A MULTI of scripts, each writing its own undeclared key on another
    // shard (a bulk add of jobs): in the round after they strayed each
    // script gets a copy of its own key, not of every key the others
    // reached (60 scripts copied 60 keys each, about 15,000 ring requests;
    // now about 10 a script).
    const N: usize = 60;
    let s = Server::with_shards(SHARDS);
    let mut con = s.client();
    let mut raw = s.raw();
    let counter = common::key_on_shard("bulk:id", 0, SHARDS);
    let jobs: Vec<String> = (0..N)
        .map(|i| common::key_on_shard(&format!("bulk:job{i}:"), 1 + i % 2, SHARDS))
        .collect();
    let add = "redis.call('INCR', KEYS[1]) return redis.call('HSET', ARGV[1], 'n', ARGV[2])";
    let before = raw.info_number("stats", "shardis_ring_requests");
    let mut p = redis::pipe();
    p.atomic();
    for (i, job) in jobs.iter().enumerate() {
        p.cmd("EVAL").arg(add).arg(1).arg(&counter).arg(job).arg(i);
    }
    let added: Vec<i64> = p.query(&mut con).expect("EXEC");
    let requests = raw.info_number("stats", "shardis_ring_requests") - before;
    assert_eq!(added, vec![1; N]);
    for (i, job) in jobs.iter().enumerate().step_by(7) {
        let n: usize = con.hget(job, "n").expect("HGET");
        assert_eq!(n, i);
    }
    let id: usize = con.get(&counter).expect("GET");
    assert_eq!(id, N);
    assert!(requests < (N * 20) as i64, "{requests} ring requests");
}

#[test]
fn a_transactions_script_takes_its_executors_undeclared_keys_at_once() {
    // A script over two shards (its KEYS) that also writes an undeclared
    // key of the shard it runs on (a job's hash in a slot of the queue's
    // shard): the shard locks that key for the transaction as the script
    // reaches it, so each call is one round, not a round that strays and
    // a second. The locks go with the commit: plain writes to those keys
    // still run.
    const CALLS: usize = 20;
    let s = Server::with_shards(SHARDS);
    let mut con = s.client();
    let mut raw = s.raw();
    let a = common::key_on_shard("own:a", 0, SHARDS);
    let b = common::key_on_shard("own:b", 1, SHARDS);
    let jobs: Vec<String> = (0..CALLS)
        .map(|i| common::key_on_shard(&format!("own:job{i}:"), 0, SHARDS))
        .collect();
    let script = "redis.call('INCR', KEYS[1]) redis.call('INCR', KEYS[2]) \
                  return redis.call('SET', ARGV[1], ARGV[2])";
    let mut rounds = || raw.info_number("stats", "shardis_stray_rounds");
    let before = rounds();
    for (i, job) in jobs.iter().enumerate() {
        let r: String = redis::cmd("EVAL")
            .arg(script)
            .arg(2)
            .arg(&a)
            .arg(&b)
            .arg(job)
            .arg(i)
            .query(&mut con)
            .expect("EVAL");
        assert_eq!(r, "OK");
    }
    assert_eq!(rounds() - before, CALLS as i64, "one round a call");
    let (na, nb): (usize, usize) = (con.get(&a).expect("GET"), con.get(&b).expect("GET"));
    assert_eq!((na, nb), (CALLS, CALLS));
    for (i, job) in jobs.iter().enumerate() {
        let v: usize = con.get(job).expect("GET");
        assert_eq!(v, i);
        let () = con.set(job, "after").expect("SET after the commit");
    }
}

#[test]
fn a_script_looking_for_the_first_free_key_of_a_chain_finds_it() {
    // As a job scheduler looks for its next free time slot: each round's
    // probe finds the next key absent, so the chain costs a round per key
    // of another shard (about 27 of these 40).
    let s = Server::with_shards(SHARDS);
    let mut con = s.client();
    for i in 0..40 {
        let () = con.set(format!("slot:{i}"), "taken").expect("SET");
    }
    let first_free = r"
local i = 0
while redis.call('EXISTS', ARGV[1] .. i) == 1 do i = i + 1 end
redis.call('SET', ARGV[1] .. i, 'mine')
return i
";
    let i: i64 = redis::cmd("EVAL")
        .arg(first_free)
        .arg(0)
        .arg("slot:")
        .query(&mut con)
        .expect("EVAL");
    assert_eq!(i, 40);
    let v: String = con.get("slot:40").expect("GET");
    assert_eq!(v, "mine");
    let n: usize = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(n, 41);
}

#[test]
fn script_kill_stops_a_run_that_strayed_and_probes_on() {
    let s = Server::with_shards(SHARDS);
    let mut c = s.raw();
    c.expect(&["CONFIG", "SET", "busy-reply-threshold", "50"], "+OK\r\n");
    let mine = common::key_on_shard("probe", 0, SHARDS);
    let other = common::key_on_shard("elsewhere", 1, SHARDS);
    // It reaches another shard's key, then loops: the probe runs on until
    // SCRIPT KILL, which must end it, not send it round again.
    let mut r = s.raw();
    r.send(&common::encode(&[
        "EVAL",
        "redis.call('GET', ARGV[1]) while true do end",
        "1",
        &mine,
        &other,
    ]));
    common::wait_until(common::IO_TIMEOUT, "the server to be BUSY", || {
        c.cmd_str(&["PING"]).starts_with("-BUSY")
    });
    c.expect(&["SCRIPT", "KILL"], "+OK\r\n");
    let killed = r
        .try_read_reply(common::IO_TIMEOUT)
        .expect("the killed script's reply");
    let killed = String::from_utf8_lossy(&killed);
    assert!(
        killed.starts_with("-ERR Script killed by user with SCRIPT KILL..."),
        "{killed}"
    );
    c.expect(&["PING"], "+PONG\r\n");
}

#[test]
fn keys_inside_a_script_is_served_for_a_pattern_pinned_to_its_shard() {
    // dramatiq's maintenance lists a dead worker's keys with KEYS inside
    // its script: with a hash-tagged namespace every key it can match is
    // on the script's shard.
    let s = Server::with_shards(3);
    let mut con = s.client();
    for k in ["{q}:acks.w1.a", "{q}:acks.w1.b", "{q}:acks.w2.a", "other"] {
        let _: () = con.set(k, 1).expect("SET");
    }
    let lua = "local k = redis.call('keys', ARGV[1]); table.sort(k); return k";
    let got: Vec<String> = redis::cmd("EVAL")
        .arg(lua)
        .arg(1)
        .arg("{q}:acks")
        .arg("{q}:acks.w1.*")
        .query(&mut con)
        .expect("KEYS of a pinned pattern");
    assert_eq!(got, ["{q}:acks.w1.a", "{q}:acks.w1.b"]);
    assert_eq!(s.raw().info_number("stats", "shardis_stray_rounds"), 0);
    // Any other pattern sees every shard's keys (`proxy/src/xtx/sweep.rs`).
    let got: Vec<String> = redis::cmd("EVAL")
        .arg(lua)
        .arg(1)
        .arg("{q}:acks")
        .arg("*")
        .query(&mut con)
        .expect("KEYS * inside a script");
    assert_eq!(
        got,
        ["other", "{q}:acks.w1.a", "{q}:acks.w1.b", "{q}:acks.w2.a"]
    );
    assert!(s.raw().info_number("stats", "shardis_stray_rounds") > 0);
    // FLUSHALL (every database) would empty one shard only: refused.
    let e = redis::cmd("EVAL")
        .arg("return redis.call('flushall')")
        .arg(0)
        .query::<String>(&mut con)
        .expect_err("FLUSHALL inside a script");
    assert!(e.to_string().contains("one shard's keys only"), "{e}");
    assert_eq!(redis::cmd("DBSIZE").query::<i64>(&mut con).ok(), Some(4));
    // Inside a MULTI under WATCH a second round is impossible: EXEC is
    // refused whole, nothing applied.
    let _: () = redis::cmd("WATCH")
        .arg("other")
        .query(&mut con)
        .expect("WATCH");
    let _: () = redis::cmd("MULTI").query(&mut con).expect("MULTI");
    let _: () = redis::cmd("SET")
        .arg("made")
        .arg(1)
        .query(&mut con)
        .expect("queued");
    let _: () = redis::cmd("EVAL")
        .arg("return #redis.call('keys', '*')")
        .arg(0)
        .query(&mut con)
        .expect("queued");
    let e = redis::cmd("EXEC")
        .query::<redis::Value>(&mut con)
        .expect_err("EXEC of a sweeping script under WATCH");
    assert!(e.to_string().contains("WATCHed"), "{e}");
    assert_eq!(
        redis::cmd("EXISTS").arg("made").query::<i64>(&mut con).ok(),
        Some(0)
    );
}

/// Scripts that ask for every shard's keys, each returning something
/// that does not depend on the order keys are stored in.
const SWEEPING: &[&str] = &[
    "local k = redis.call('keys', ARGV[1]) table.sort(k) return k",
    "return #redis.call('keys', '*')",
    "return redis.call('dbsize')",
    // A SCAN loop, as scripts delete or count by pattern.
    "local c, out = '0', {} \
     repeat local r = redis.call('scan', c, 'MATCH', ARGV[1], 'COUNT', 5) c = r[1] \
       for _, k in ipairs(r[2]) do out[#out + 1] = k end until c == '0' \
     table.sort(out) return out",
    "local c, n = '0', 0 \
     repeat local r = redis.call('scan', c, 'TYPE', 'hash') c = r[1] n = n + #r[2] until c == '0' \
     return n",
    "local k = redis.call('randomkey') return redis.call('exists', k)",
    // Delete by pattern, the commonest of them.
    "local k = redis.call('keys', ARGV[1]) \
     for i = 1, #k do redis.call('del', k[i]) end return #k",
    // Keys it makes on other shards are among those it lists afterwards.
    "for i = 1, 12 do redis.call('set', 'fresh:' .. i, i) end \
     local k = redis.call('keys', ARGV[1]) table.sort(k) return k",
];

#[test]
fn keys_scan_dbsize_and_randomkey_inside_scripts_see_every_shard_as_on_redis() {
    let Some(mut both) = common::SideBySide::start(SHARDS) else {
        return;
    };
    let mut load: Vec<Vec<String>> = Vec::new();
    for i in 0..40 {
        load.push(vec!["SET".into(), format!("job:{i}"), i.to_string()]);
    }
    for i in 0..6 {
        load.push(vec![
            "HSET".into(),
            format!("h:{i}"),
            "f".into(),
            "v".into(),
        ]);
        load.push(vec!["RPUSH".into(), format!("l:{i}"), "a".into()]);
    }
    let load: Vec<Vec<&str>> = load
        .iter()
        .map(|c| c.iter().map(String::as_str).collect())
        .collect();
    both.same(&load);
    let sorted = SWEEPING[0];
    let mut cmds: Vec<Vec<&str>> = Vec::new();
    for (lua, pattern) in [
        (SWEEPING[0], "job:1*"),
        (SWEEPING[0], "*"),
        (SWEEPING[1], "-"),
        (SWEEPING[2], "-"),
        (SWEEPING[3], "job:2*"),
        (SWEEPING[4], "-"),
        (SWEEPING[5], "-"),
        (SWEEPING[6], "job:1*"),
        (SWEEPING[0], "job:*"),
        (SWEEPING[7], "fresh:*"),
        (SWEEPING[2], "-"),
    ] {
        cmds.push(vec!["EVAL", lua, "0", pattern]);
    }
    // The read-only forms, and a script that names a key besides.
    cmds.push(vec!["EVAL_RO", sorted, "0", "l:*"]);
    cmds.push(vec![
        "EVAL",
        "redis.call('set', KEYS[1], 'x') local k = redis.call('keys', ARGV[1]) table.sort(k) return k",
        "1",
        "job:new",
        "job:*",
    ]);
    // Inside a MULTI, after a write the script must see.
    cmds.extend([
        vec!["MULTI"],
        vec!["SET", "job:in-multi", "1"],
        vec!["EVAL", sorted, "0", "job:*"],
        vec!["EVAL", SWEEPING[2], "0"],
        vec!["DEL", "h:1"],
        vec!["EVAL", SWEEPING[4], "0"],
        vec!["EXEC"],
    ]);
    // A function does the same.
    let lib = "#!lua name=sweeps\n\
        redis.register_function('keys_of', function(keys, args) \
          local k = redis.call('keys', args[1]) table.sort(k) return k end)";
    cmds.extend([
        vec!["FUNCTION", "LOAD", lib],
        vec!["FCALL", "keys_of", "0", "h:*"],
        vec!["EVAL", sorted, "0", "*"],
        vec!["DBSIZE"],
        // FLUSHDB empties every shard's keys of the database, and a key
        // made after it stays.
        vec![
            "EVAL",
            "redis.call('set', 'before', 1) redis.call('flushdb') \
             redis.call('set', 'after:' .. ARGV[1], 1) return redis.call('dbsize')",
            "0",
            "x",
        ],
        vec!["EVAL", sorted, "0", "*"],
        vec!["DBSIZE"],
    ]);
    both.same(&cmds);
}

#[test]
fn a_scripts_keys_sees_every_shard_at_one_moment() {
    // Writers make and remove pairs of keys (pa:i, pb:i) with one MSET
    // or DEL each, which shardis runs atomically over the shards; a
    // script counts both kinds with KEYS: on one Redis the counts are
    // always equal, and so must they be here.
    const WRITES: usize = 300;
    const READS: usize = 60;
    let s = Server::with_shards(SHARDS);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let url = s.url();
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut con = common::client_for(&url);
            for i in 0..WRITES {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let (a, b) = (format!("pa:{i}"), format!("pb:{i}"));
                let _: () = redis::cmd("MSET")
                    .arg(&a)
                    .arg(1)
                    .arg(&b)
                    .arg(1)
                    .query(&mut con)
                    .expect("MSET");
                if i % 3 == 0 {
                    let old = i / 2;
                    let _: i64 = redis::cmd("DEL")
                        .arg(format!("pa:{old}"))
                        .arg(format!("pb:{old}"))
                        .query(&mut con)
                        .expect("DEL");
                }
            }
        })
    };
    let mut con = s.client();
    let lua = "return {#redis.call('keys', 'pa:*'), #redis.call('keys', 'pb:*')}";
    for _ in 0..READS {
        let (a, b): (i64, i64) = redis::cmd("EVAL")
            .arg(lua)
            .arg(0)
            .query(&mut con)
            .expect("the counting script");
        assert_eq!(
            a, b,
            "the script saw one shard before a write and another after it"
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("the writer");
}

#[test]
fn a_script_whose_keys_match_too_many_keys_gets_an_error() {
    // Past `SWEEP_KEYS_MAX` (100,000) keys the script is refused rather
    // than given a copy of the whole keyspace; the server goes on.
    const KEYS: usize = 100_001;
    let s = Server::with_shards(2);
    let mut con = s.client();
    let mut pipe = redis::pipe();
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(1000) {
        let mut mset = redis::cmd("MSET");
        for i in chunk {
            mset.arg(format!("k:{i}")).arg(1);
        }
        pipe.add_command(mset).ignore();
    }
    let _: () = pipe.query(&mut con).expect("the load");
    let e = redis::cmd("EVAL")
        .arg("return #redis.call('keys', 'k:*')")
        .arg(0)
        .query::<i64>(&mut con)
        .expect_err("KEYS over too many keys");
    assert!(e.to_string().contains("at most 100000 keys"), "{e}");
    // A narrower pattern is served, and nothing was changed.
    let n: i64 = redis::cmd("EVAL")
        .arg("return #redis.call('keys', 'k:1000*')")
        .arg(0)
        .query(&mut con)
        .expect("KEYS over fewer keys");
    assert_eq!(n, 12);
    // DBSIZE counts the other shards' keys, copying none: no cap.
    let n: usize = redis::cmd("EVAL")
        .arg("redis.call('set', 'one-more', 1) return redis.call('dbsize')")
        .arg(0)
        .query(&mut con)
        .expect("DBSIZE over every key");
    assert_eq!(n, KEYS + 1);
    let dbsize = redis::cmd("DBSIZE").query::<usize>(&mut con).ok();
    assert_eq!(dbsize, Some(KEYS + 1));
}

#[test]
fn pipelined_enqueues_naming_their_job_after_a_shared_counter_all_settle() {
    // A job queue's enqueue without a hash tag: the job's key follows the
    // counter every call increments, so a call that strays finds, each
    // round, that its neighbours moved the counter. Pipelined from two
    // clients at once, every call must still settle (they used to fail
    // after 64 rounds), each id once.
    const CALLS: usize = 300;
    let s = Server::with_shards(SHARDS);
    let run = |s: &Server| {
        let mut con = s.client();
        let mut p = redis::pipe();
        for _ in 0..CALLS {
            p.cmd("EVAL").arg(ENQUEUE).arg(1).arg("q:id").arg("q:");
        }
        let ids: Vec<i64> = p.query(&mut con).expect("pipelined EVALs");
        ids
    };
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| run(&s));
        let b = scope.spawn(|| run(&s));
        (a.join().expect("client a"), b.join().expect("client b"))
    });
    let ids: BTreeSet<i64> = a.iter().chain(&b).copied().collect();
    assert_eq!(ids.len(), 2 * CALLS, "every id once");
    assert_eq!(ids.first().copied(), Some(1));
    assert_eq!(ids.last().copied(), Some(2 * CALLS as i64));
    let mut con = s.client();
    let waiting: Vec<i64> = con.lrange("q:wait", 0, -1).expect("LRANGE");
    assert_eq!(waiting.iter().copied().collect::<BTreeSet<_>>(), ids);
    for id in [1, CALLS as i64, 2 * CALLS as i64] {
        let state: String = con.hget(format!("q:{id}"), "state").expect("HGET");
        assert_eq!(state, "waiting");
    }
    let n: usize = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
    assert_eq!(n, 2 * CALLS + 2);
}

/// The owner of each slot, from `SHARDIS SLOTS` (`shard I RANGES` lines).
fn slot_owners(con: &mut redis::Connection) -> Vec<usize> {
    let map: String = redis::cmd("SHARDIS")
        .arg("SLOTS")
        .query(con)
        .expect("SHARDIS SLOTS");
    let mut owners = vec![usize::MAX; 16384];
    for line in map.lines() {
        let mut words = line.split_whitespace();
        if words.next() != Some("shard") {
            continue;
        }
        let shard: usize = words
            .next()
            .and_then(|w| w.parse().ok())
            .expect("a shard id");
        for range in words
            .next()
            .unwrap_or("")
            .split(',')
            .filter(|r| !r.is_empty() && *r != "-")
        {
            let (lo, hi) = range.split_once('-').unwrap_or((range, range));
            let (lo, hi): (usize, usize) =
                (lo.parse().expect("a slot"), hi.parse().expect("a slot"));
            owners[lo..=hi].iter_mut().for_each(|o| *o = shard);
        }
    }
    owners
}

#[test]
fn an_untagged_queues_keys_come_to_one_shard_as_its_scripts_run() {
    // A job queue without a hash tag: its id counter, wait list and events
    // stream start on different shards, so each enqueue copies the list
    // and the stream between shards. The co-location notices and moves
    // their slots to one shard; nothing is lost on the way.
    let s = Server::start(Opts::shards(2).colocate_after(8));
    let mut con = s.client();
    let fixed = ["cq:id", "cq:wait", "cq:events"];
    let shards: BTreeSet<usize> = fixed.iter().map(|k| s.shard_of(k)).collect();
    assert_eq!(shards.len(), 2, "the test wants them spread at first");
    let slots: Vec<usize> = fixed
        .iter()
        .map(|k| {
            redis::cmd("CLUSTER")
                .arg("KEYSLOT")
                .arg(k)
                .query(&mut con)
                .expect("CLUSTER KEYSLOT")
        })
        .collect();
    let enqueue = r"
local id = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[1] .. id, 'state', 'waiting')
redis.call('LPUSH', ARGV[1] .. 'wait', id)
redis.call('XADD', ARGV[1] .. 'events', 'MAXLEN', '~', 1000, '*', 'added', id)
return id
";
    let together = |con: &mut redis::Connection| {
        let owners = slot_owners(con);
        slots
            .iter()
            .map(|&s| owners[s])
            .collect::<BTreeSet<_>>()
            .len()
            == 1
    };
    let mut calls = 0i64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !together(&mut con) {
        assert!(
            std::time::Instant::now() < deadline && calls < 200_000,
            "not co-located after {calls} calls\n{}",
            s.log_tail()
        );
        let mut p = redis::pipe();
        for _ in 0..20 {
            p.cmd("EVAL").arg(enqueue).arg(1).arg("cq:id").arg("cq:");
        }
        let ids: Vec<i64> = p.query(&mut con).expect("EVALs");
        let first = calls + 1;
        calls += ids.len() as i64;
        if ids.last().copied() != Some(calls) {
            // Which failure: the batch's ids out of the connection's order
            // (a permutation of its range), or an id lost or doubled.
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            let counter: Option<i64> = con.get("cq:id").ok();
            panic!(
                "batch ending at call {calls}: ids {ids:?} ({}), cq:id {counter:?}\n{}",
                match sorted == (first..=calls).collect::<Vec<_>>() {
                    true => "every id once, out of order",
                    false => "an id lost or doubled",
                },
                s.log_tail()
            );
        }
    }
    let info: redis::InfoDict = redis::cmd("INFO")
        .arg("cluster")
        .query(&mut con)
        .expect("INFO");
    let moved: u64 = info
        .get("colocate_slots_moved")
        .expect("colocate_slots_moved");
    assert!((1..=2).contains(&moved), "{moved} slots moved");
    // Nothing lost or doubled.
    let n: i64 = con.get("cq:id").expect("GET");
    assert_eq!(n, calls);
    let waiting: usize = con.llen("cq:wait").expect("LLEN");
    assert_eq!(waiting as i64, calls);
    let last: i64 = con.lindex("cq:wait", 0).expect("LINDEX");
    assert_eq!(last, calls);
    let state: String = con.hget(format!("cq:{calls}"), "state").expect("HGET");
    assert_eq!(state, "waiting");
    // The next enqueues still work where the keys now are.
    let id: i64 = redis::cmd("EVAL")
        .arg(enqueue)
        .arg(1)
        .arg("cq:id")
        .arg("cq:")
        .query(&mut con)
        .expect("EVAL");
    assert_eq!(id, calls + 1);
}

#[test]
fn a_call_that_strays_names_its_own_shards_undeclared_keys_too() {
    // The script reaches, besides KEYS[1], a key of its own shard and a
    // key of another shard, neither declared. The run on KEYS[1]'s shard
    // strays at the second; it names both, so the transaction after it
    // locks both at once and settles in one round (it used to stray
    // again at the first, unlocked in the transaction: two rounds).
    let s = Server::with_shards(2);
    let mut con = s.client();
    let home = "r:home";
    let here = common::key_on_shard("r:here", s.shard_of(home), 2);
    let there = common::key_on_shard("r:there", 1 - s.shard_of(home), 2);
    let script = r"
redis.call('INCR', KEYS[1])
redis.call('RPUSH', ARGV[1], 'a')
redis.call('SET', ARGV[2], 'b')
return redis.call('LLEN', ARGV[1])
";
    let rounds = |con: &mut redis::Connection| -> u64 {
        let info: redis::InfoDict = redis::cmd("INFO").arg("stats").query(con).expect("INFO");
        info.get("shardis_stray_rounds")
            .expect("shardis_stray_rounds")
    };
    let before = rounds(&mut con);
    let n: i64 = redis::cmd("EVAL")
        .arg(script)
        .arg(1)
        .arg(home)
        .arg(&here)
        .arg(&there)
        .query(&mut con)
        .expect("EVAL");
    assert_eq!(n, 1);
    assert_eq!(rounds(&mut con) - before, 1, "one transaction round");
    let v: String = con.get(&there).expect("GET");
    assert_eq!(v, "b");
    let home_v: i64 = con.get(home).expect("GET");
    assert_eq!(home_v, 1);
}

#[test]
fn concurrent_multis_of_enqueues_naming_their_job_after_a_shared_counter_all_settle() {
    // As the pipelined enqueues above, each inside a MULTI (BullMQ's
    // addBulk queues its addJob scripts so), from four clients at once.
    const CLIENTS: usize = 8;
    const MULTIS: usize = 40;
    const PER: usize = 6;
    let s = Server::with_shards(SHARDS);
    let run = |s: &Server| {
        let mut con = s.client();
        let mut p = redis::pipe();
        for _ in 0..MULTIS {
            p.cmd("MULTI");
            for _ in 0..PER {
                p.cmd("EVAL").arg(ENQUEUE).arg(1).arg("m:id").arg("m:");
            }
            p.cmd("EXEC");
        }
        let replies: Vec<redis::Value> = p.query(&mut con).expect("pipelined MULTIs");
        let mut ids = Vec::new();
        for r in replies {
            if let redis::Value::Array(items) = r {
                for item in items {
                    match item {
                        redis::Value::Int(id) => ids.push(id),
                        other => panic!("EXEC item {other:?}"),
                    }
                }
            }
        }
        ids
    };
    let all: Vec<i64> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS).map(|_| scope.spawn(|| run(&s))).collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect()
    });
    let total = CLIENTS * MULTIS * PER;
    let ids: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!((all.len(), ids.len()), (total, total), "every id once");
    assert_eq!(ids.last().copied(), Some(total as i64));
    let mut con = s.client();
    let waiting: usize = con.llen("m:wait").expect("LLEN");
    assert_eq!(waiting, total);
}

#[test]
fn workers_popping_one_list_and_touching_each_jobs_keys_take_each_job_once() {
    // A queue's workers (BullMQ's moveToActive without a hash tag): pop
    // the next id from the wait list, then mark that job's hash and take
    // its lock key, both in random slots. Which keys a call needs depends
    // on what the others popped; four clients pipelining at once must
    // still take every job exactly once.
    const JOBS: usize = 300;
    const CLIENTS: usize = 4;
    let take = r"
local id = redis.call('RPOPLPUSH', KEYS[1], KEYS[2])
if not id then return false end
redis.call('HSET', ARGV[1] .. id, 'state', 'active', 'by', ARGV[2])
redis.call('SET', ARGV[1] .. id .. ':lock', ARGV[2])
return tonumber(id)
";
    let s = Server::with_shards(SHARDS);
    let mut con = s.client();
    load_jobs(&mut con, "w:wait", "w:job:", 0..JOBS as u32);
    let run = |s: &Server, me: usize| {
        let mut con = s.client();
        let mut p = redis::pipe();
        for _ in 0..JOBS / CLIENTS + 10 {
            p.cmd("EVAL")
                .arg(take)
                .arg(2)
                .arg("w:wait")
                .arg("w:active")
                .arg("w:job:")
                .arg(me);
        }
        let got: Vec<Option<i64>> = p.query(&mut con).expect("pipelined takes");
        got.into_iter()
            .flatten()
            .map(|id| (id, me))
            .collect::<Vec<_>>()
    };
    let taken: Vec<(i64, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|me| {
                let s = &s;
                scope.spawn(move || run(s, me))
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("client"))
            .collect()
    });
    let ids: BTreeSet<i64> = taken.iter().map(|(id, _)| *id).collect();
    assert_eq!((taken.len(), ids.len()), (JOBS, JOBS), "every job once");
    for (id, me) in taken.iter().step_by(7) {
        let by: usize = con.hget(format!("w:job:{id}"), "by").expect("HGET");
        assert_eq!(by, *me, "job {id}");
        let lock: usize = con.get(format!("w:job:{id}:lock")).expect("GET");
        assert_eq!(lock, *me, "job {id}");
    }
    // Taken from the wait list's tail in turn, each pushed onto the active
    // list's head: a round put back returns its job to the tail it came
    // from and takes it off the active list's head.
    let active: Vec<i64> = con.lrange("w:active", 0, -1).expect("LRANGE");
    assert_eq!(active, (0..JOBS as i64).collect::<Vec<_>>());
    let waiting: usize = con.llen("w:wait").expect("LLEN");
    assert_eq!(waiting, 0);
}

#[test]
fn keys_that_meet_once_are_left_where_they_are() {
    // Scripts each reaching two keys of their own (a job's) beside one of
    // 50 queue keys: no two slots keep meeting, so the co-location moves
    // nothing however long it runs.
    let s = Server::start(Opts::shards(2).colocate_after(8));
    let mut con = s.client();
    let script =
        "redis.call('INCR', KEYS[1]) for i=1,#ARGV do redis.call('INCR', ARGV[i]) end return 1";
    let start = std::time::Instant::now();
    let mut i = 0u64;
    // Past the 3 seconds a pair needs, bounded in calls too.
    while start.elapsed() < std::time::Duration::from_millis(4500) && i < 400_000 {
        let mut p = redis::pipe();
        for _ in 0..20 {
            p.cmd("EVAL")
                .arg(script)
                .arg(1)
                .arg(format!("sq:{}", i % 50))
                .arg(format!("sj:{i}"))
                .arg(format!("sj:{i}:x"));
            i += 1;
        }
        let _: Vec<i64> = p.query(&mut con).expect("EVALs");
    }
    let info: redis::InfoDict = redis::cmd("INFO")
        .arg("cluster")
        .query(&mut con)
        .expect("INFO");
    let moves: u64 = info.get("colocate_moves").expect("colocate_moves");
    assert_eq!(moves, 0, "after {i} calls");
    let n: i64 = con.get("sj:7").expect("GET");
    assert_eq!(n, 1);
}
