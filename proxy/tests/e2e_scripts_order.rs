//! A client's pipelined commands take effect in its order when a script
//! call among them strays (reaches a key of another shard and runs again
//! later as a transaction): its shard holds the client's later requests
//! until then (`shardd/src/xtx/fence.rs`), and commands for other shards
//! wait for the reply of a call whose script is known to stray
//! (`proxy/src/behind.rs`).

mod common;

use common::Server;
use redis::Commands;

/// Increments KEYS[1] and reads ARGV[1] (undeclared: another shard's key
/// makes the call stray); returns the new count.
const STRAYING_INCR: &str = r"
redis.call('GET', ARGV[1])
return redis.call('INCR', KEYS[1])
";

/// Increments KEYS[1] (stays on its shard).
const INCR: &str = "return redis.call('INCR', KEYS[1])";

/// A pipeline of `n` increments of `counter`: the first a call that
/// strays (it reads `elsewhere`), the rest calls that stay.
fn straying_first(counter: &str, elsewhere: &str, n: usize) -> redis::Pipeline {
    let mut p = redis::pipe();
    p.cmd("EVAL")
        .arg(STRAYING_INCR)
        .arg(1)
        .arg(counter)
        .arg(elsewhere);
    for _ in 1..n {
        p.cmd("EVAL").arg(INCR).arg(1).arg(counter);
    }
    p
}

#[test]
fn a_pipelines_calls_come_out_in_its_order_when_the_first_strays() {
    let s = Server::with_shards(2);
    let mut con = s.client();
    let elsewhere = common::key_on_shard("o:else", 1, 2);
    for round in 0..20 {
        let counter = common::key_on_shard(&format!("o:n{round}:"), 0, 2);
        let got: Vec<i64> = straying_first(&counter, &elsewhere, 10)
            .query(&mut con)
            .expect("EVALs");
        assert_eq!(got, (1..=10).collect::<Vec<i64>>(), "round {round}");
    }
    // Nothing stays held.
    let info: redis::InfoDict = redis::cmd("INFO")
        .arg("stats")
        .query(&mut con)
        .expect("INFO");
    let waiting: u64 = info.get("shardis_tx_waiting").expect("shardis_tx_waiting");
    assert_eq!(waiting, 0);
}

#[test]
fn the_same_shards_commands_behind_a_call_that_strays_see_what_it_did() {
    let s = Server::with_shards(2);
    let mut con = s.client();
    let here = common::key_on_shard("o:here", 0, 2);
    let elsewhere = common::key_on_shard("o:else", 1, 2);
    let script = r"
redis.call('GET', ARGV[1])
redis.call('SET', KEYS[1], ARGV[2])
return 1
";
    for round in 0..20 {
        let v = format!("v{round}");
        let (n, got, len): (i64, String, i64) = redis::pipe()
            .cmd("EVAL")
            .arg(script)
            .arg(1)
            .arg(&here)
            .arg(&elsewhere)
            .arg(&v)
            .cmd("GET")
            .arg(&here)
            .cmd("STRLEN")
            .arg(&here)
            .query(&mut con)
            .expect("pipeline");
        assert_eq!((n, got.as_str(), len), (1, v.as_str(), v.len() as i64));
    }
}

#[test]
fn another_shards_command_behind_a_call_known_to_stray_waits_for_it() {
    // The call reads `x` on the other shard; the SET of `x` after it in
    // the pipeline must not be what it reads. The script strayed once
    // before (`proxy/src/behind.rs`: only then does the proxy hold
    // another shard's commands behind its calls).
    let s = Server::with_shards(2);
    let mut con = s.client();
    let here = common::key_on_shard("o:here", 0, 2);
    let x = common::key_on_shard("o:x", 1, 2);
    let script = "return redis.call('GET', ARGV[1])";
    let first: Option<String> = redis::cmd("EVAL")
        .arg(script)
        .arg(1)
        .arg(&here)
        .arg(&x)
        .query(&mut con)
        .expect("EVAL");
    assert_eq!(first, None);
    for round in 0..20 {
        let (old, new) = (format!("old{round}"), format!("new{round}"));
        let _: () = con.set(&x, &old).expect("SET");
        let (read, _, after): (String, (), String) = redis::pipe()
            .cmd("EVAL")
            .arg(script)
            .arg(1)
            .arg(&here)
            .arg(&x)
            .cmd("SET")
            .arg(&x)
            .arg(&new)
            .cmd("GET")
            .arg(&x)
            .query(&mut con)
            .expect("pipeline");
        assert_eq!((read, after), (old, new), "round {round}");
    }
}

#[test]
fn pipelined_functions_that_stray_keep_their_order_too() {
    let s = Server::with_shards(2);
    let mut con = s.client();
    let lib = r"#!lua name=order
redis.register_function('bump', function(keys, args)
  if args[1] then redis.call('GET', args[1]) end
  return redis.call('INCR', keys[1])
end)";
    let _: String = redis::cmd("FUNCTION")
        .arg("LOAD")
        .arg(lib)
        .query(&mut con)
        .expect("FUNCTION LOAD");
    let elsewhere = common::key_on_shard("o:else", 1, 2);
    for round in 0..10 {
        let counter = common::key_on_shard(&format!("o:f{round}:"), 0, 2);
        let mut p = redis::pipe();
        for i in 0..10 {
            p.cmd("FCALL").arg("bump").arg(1).arg(&counter);
            // Every third strays.
            if i % 3 == 0 {
                p.arg(&elsewhere);
            }
        }
        let got: Vec<i64> = p.query(&mut con).expect("FCALLs");
        assert_eq!(got, (1..=10).collect::<Vec<i64>>(), "round {round}");
    }
}

#[test]
fn other_clients_are_not_held_behind_a_call_that_strays() {
    // While one client's pipelines of straying calls run, another's
    // commands on the same shard are answered as usual, and each client's
    // counter counts every call of its own in order.
    let s = Server::with_shards(2);
    let elsewhere = common::key_on_shard("o:else", 1, 2);
    let workers: Vec<_> = (0..2)
        .map(|c| {
            let mut con = s.client();
            let counter = common::key_on_shard(&format!("o:c{c}:"), 0, 2);
            let elsewhere = elsewhere.clone();
            std::thread::spawn(move || {
                let mut next = 1i64;
                for _ in 0..30 {
                    let mut p = redis::pipe();
                    for i in 0..8 {
                        match (c + i) % 2 {
                            0 => p
                                .cmd("EVAL")
                                .arg(STRAYING_INCR)
                                .arg(1)
                                .arg(&counter)
                                .arg(&elsewhere),
                            _ => p.cmd("INCR").arg(&counter),
                        };
                    }
                    let got: Vec<i64> = p.query(&mut con).expect("pipeline");
                    assert_eq!(got, (next..next + 8).collect::<Vec<i64>>());
                    next += 8;
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("client thread");
    }
}

#[test]
fn a_command_over_several_shards_waits_behind_any_call() {
    // The proxy's own requests (an MSET over both shards, a MULTI over
    // both) are held by no fence: they wait for every call in flight,
    // even one whose script never strayed before.
    let s = Server::with_shards(2);
    let mut con = s.client();
    let here = common::key_on_shard("o:here", 0, 2);
    let x = common::key_on_shard("o:x", 1, 2);
    for round in 0..10 {
        // A new script each round: its stray is its first.
        let script = format!("-- {round}\nreturn redis.call('GET', ARGV[1])");
        let (old, new) = (format!("old{round}"), format!("new{round}"));
        let _: () = con.set(&x, &old).expect("SET");
        let (read, _, tx, after): (String, (), (String, String), String) = redis::pipe()
            .cmd("EVAL")
            .arg(&script)
            .arg(1)
            .arg(&here)
            .arg(&x)
            .cmd("MSET")
            .arg(&x)
            .arg(&new)
            .arg(&here)
            .arg(&new)
            .cmd("MULTI")
            .ignore()
            .cmd("GET")
            .arg(&x)
            .ignore()
            .cmd("SET")
            .arg(&here)
            .arg("t")
            .ignore()
            .cmd("EXEC")
            .cmd("GET")
            .arg(&x)
            .query(&mut con)
            .expect("pipeline");
        assert_eq!(
            (read, tx.0, after),
            (old, new.clone(), new),
            "round {round}"
        );
    }
}

#[test]
fn calls_held_behind_a_stray_through_shard_kills_neither_hang_nor_lose_their_order() {
    // One client pipelines a straying call and seven calls behind it on
    // a fresh counter, again and again, while the shard holding them and
    // the shard the call reaches are SIGKILLed in turn. A pipeline may
    // fail (its shard went away: its fence and what it held with it), but
    // none hangs, and every one that succeeds came out in order.
    use std::sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    };
    let s = Server::with_shards(2);
    let url = s.url();
    let elsewhere = common::key_on_shard("o:else", 1, 2);
    let stop = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let client = {
        let (stop, ok, failed) = (stop.clone(), ok.clone(), failed.clone());
        std::thread::spawn(move || {
            let mut con = common::client_for(&url);
            // Bounded: the kills end well before this many pipelines.
            for round in 0..20_000 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let counter = common::key_on_shard(&format!("o:k{round}:"), 0, 2);
                match straying_first(&counter, &elsewhere, 8).query::<Vec<i64>>(&mut con) {
                    Ok(got) => {
                        assert_eq!(got, (1..=8).collect::<Vec<i64>>(), "round {round}");
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        assert!(!e.is_timeout(), "round {round} hung: {e}");
                        failed.fetch_add(1, Ordering::Relaxed);
                        // The rest of the pipeline's replies may still be
                        // on their way: start over on a new connection.
                        con = common::client_for(&url);
                    }
                }
            }
        })
    };
    for kill in 0..4 {
        let shard = kill % 2;
        let before = ok.load(Ordering::Relaxed);
        common::wait_until(common::IO_TIMEOUT, "pipelines between kills", || {
            ok.load(Ordering::Relaxed) >= before + 3 || client.is_finished()
        });
        let pid = s.shard_pid(shard).expect("shard pid");
        // SAFETY: killing a shard process this test's proxy started, by pid.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        common::wait_until(common::IO_TIMEOUT, "the shard to come back", || {
            s.shard_pid(shard).is_some_and(|p| p != pid)
        });
    }
    let before = ok.load(Ordering::Relaxed);
    common::wait_until(common::IO_TIMEOUT, "pipelines after the kills", || {
        ok.load(Ordering::Relaxed) >= before + 3 || client.is_finished()
    });
    stop.store(true, Ordering::Relaxed);
    client.join().expect("the client kept its order");
    assert!(
        ok.load(Ordering::Relaxed) >= 15,
        "{ok:?} ok, {failed:?} failed"
    );
    // Nothing stays held.
    let mut con = s.client();
    common::wait_until(common::IO_TIMEOUT, "no request held", || {
        let info: redis::InfoDict = redis::cmd("INFO")
            .arg("stats")
            .query(&mut con)
            .expect("INFO");
        info.get::<u64>("shardis_tx_waiting") == Some(0)
    });
}
