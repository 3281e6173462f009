//! The bank test: accounts spread over every shard, clients moving money
//! between random accounts in transactions (half with WATCH/GET/MULTI/EXEC,
//! half with MULTI/DECRBY/INCRBY/EXEC) and readers summing every account
//! inside one MULTI or with one plain MGET. No reader may ever see a total other than the
//! start's, and the final total is exact.
//!
//! Everything is bounded: a fixed number of transfers per writer, readers
//! stop when the writers are done (or after a fixed number of reads).

mod common;

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    thread,
};

use common::{Lcg, Opts, Server};

const ACCOUNTS: usize = 1_000;
const START: i64 = 100;
const WRITERS: usize = 16;
const READERS: usize = 8;
const TRANSFERS: usize = 60;
const MAX_READS: usize = 200;
const MAX_WATCH_RETRIES: usize = 1_000;

fn account(i: usize) -> String {
    format!("acct:{i}")
}

fn two_accounts(rng: &mut Lcg) -> (String, String) {
    let a = rng.next(ACCOUNTS);
    let mut b = rng.next(ACCOUNTS);
    if b == a {
        b = (a + 1) % ACCOUNTS;
    }
    (account(a), account(b))
}

/// The total as one plain MGET over every shard (no MULTI): it must never
/// see part of a transfer either.
fn total_in_one_mget(con: &mut redis::Connection) -> i64 {
    let keys: Vec<String> = (0..ACCOUNTS).map(account).collect();
    let values: Vec<i64> = redis::cmd("MGET").arg(&keys).query(con).expect("MGET");
    values.iter().sum()
}

fn total_in_one_transaction(con: &mut redis::Connection, with_mget: bool) -> i64 {
    let keys: Vec<String> = (0..ACCOUNTS).map(account).collect();
    let values: Vec<i64> = if with_mget {
        let (v,): (Vec<i64>,) = redis::pipe()
            .atomic()
            .cmd("MGET")
            .arg(&keys)
            .query(con)
            .expect("MULTI MGET EXEC");
        v
    } else {
        let mut p = redis::pipe();
        p.atomic();
        for k in &keys {
            p.cmd("GET").arg(k);
        }
        p.query(con).expect("MULTI GET... EXEC")
    };
    assert_eq!(values.len(), ACCOUNTS);
    values.iter().sum()
}

#[test]
fn transfers_across_shards_never_show_a_wrong_total() {
    let s = Server::start(Opts::shards(3).workers(2));
    let mut con = s.client();
    let mut init = redis::pipe();
    for i in 0..ACCOUNTS {
        init.cmd("SET").arg(account(i)).arg(START).ignore();
    }
    let () = init.query(&mut con).expect("the accounts");
    let want = START * ACCOUNTS as i64;
    assert_eq!(total_in_one_transaction(&mut con, true), want);

    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let url = s.url();
    let mut writers = Vec::new();
    for id in 0..WRITERS {
        let url = url.clone();
        writers.push(thread::spawn(move || {
            let mut con = common::client_for(&url);
            let mut rng = Lcg(id as u64 + 1);
            for _ in 0..TRANSFERS {
                let (from, to) = two_accounts(&mut rng);
                let amount = rng.next(10) as i64 + 1;
                if id % 2 == 0 {
                    let () = redis::pipe()
                        .atomic()
                        .cmd("DECRBY")
                        .arg(&from)
                        .arg(amount)
                        .ignore()
                        .cmd("INCRBY")
                        .arg(&to)
                        .arg(amount)
                        .ignore()
                        .query(&mut con)
                        .expect("MULTI DECRBY INCRBY EXEC");
                    continue;
                }
                let mut tries = 0;
                loop {
                    tries += 1;
                    assert!(tries < MAX_WATCH_RETRIES, "WATCH never succeeded");
                    let () = redis::cmd("WATCH")
                        .arg(&from)
                        .arg(&to)
                        .query(&mut con)
                        .expect("WATCH");
                    let a: i64 = redis::cmd("GET").arg(&from).query(&mut con).expect("GET");
                    let b: i64 = redis::cmd("GET").arg(&to).query(&mut con).expect("GET");
                    let r: Option<()> = redis::pipe()
                        .atomic()
                        .cmd("SET")
                        .arg(&from)
                        .arg(a - amount)
                        .ignore()
                        .cmd("SET")
                        .arg(&to)
                        .arg(b + amount)
                        .ignore()
                        .query(&mut con)
                        .expect("WATCH ... EXEC");
                    if r.is_some() {
                        break;
                    }
                }
            }
        }));
    }
    let mut readers = Vec::new();
    for id in 0..READERS {
        let url = url.clone();
        let done = done.clone();
        let reads = reads.clone();
        readers.push(thread::spawn(move || {
            let mut con = common::client_for(&url);
            for _ in 0..MAX_READS {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                let total = match id % 3 {
                    0 => total_in_one_mget(&mut con),
                    1 => total_in_one_transaction(&mut con, true),
                    _ => total_in_one_transaction(&mut con, false),
                };
                assert_eq!(total, want, "a reader saw a wrong total");
                reads.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for w in writers {
        w.join().expect("a writer");
    }
    done.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().expect("a reader");
    }
    assert!(reads.load(Ordering::Relaxed) > 0, "the readers read");
    assert_eq!(total_in_one_transaction(&mut con, false), want);
    // Every lock was released: plain commands over every account run.
    let keys: Vec<String> = (0..ACCOUNTS).map(account).collect();
    let values: Vec<i64> = redis::cmd("MGET").arg(&keys).query(&mut con).expect("MGET");
    assert_eq!(values.iter().sum::<i64>(), want);
}

/// A key moved back and forth between shards by RENAME (a transaction
/// over two shards each time) is seen exactly once by DBSIZE, KEYS and
/// EXISTS over every shard, never twice or not at all.
#[test]
fn commands_over_every_shard_never_see_a_move_half_done() {
    let s = Server::start(Opts::shards(3).workers(2));
    let a = common::key_on_shard("mv", 0, 3);
    let b = common::key_on_shard("mv", 2, 3);
    let mut con = s.client();
    let () = redis::cmd("SET")
        .arg(&a)
        .arg("v")
        .query(&mut con)
        .expect("SET");
    let done = Arc::new(AtomicBool::new(false));
    let mover = {
        let (url, a, b, done) = (s.url(), a.clone(), b.clone(), done.clone());
        thread::spawn(move || {
            let mut con = common::client_for(&url);
            for i in 0..400 {
                let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
                let () = redis::cmd("RENAME")
                    .arg(from)
                    .arg(to)
                    .query(&mut con)
                    .expect("RENAME");
            }
            done.store(true, Ordering::Relaxed);
        })
    };
    let mut reads = 0;
    while !done.load(Ordering::Relaxed) && reads < 20_000 {
        let n: i64 = redis::cmd("DBSIZE").query(&mut con).expect("DBSIZE");
        assert_eq!(n, 1, "DBSIZE saw a move half done");
        let keys: Vec<String> = redis::cmd("KEYS").arg("mv*").query(&mut con).expect("KEYS");
        assert_eq!(keys.len(), 1, "KEYS saw a move half done: {keys:?}");
        let e: i64 = redis::cmd("EXISTS")
            .arg(&a)
            .arg(&b)
            .query(&mut con)
            .expect("EXISTS");
        assert_eq!(e, 1, "EXISTS saw a move half done");
        reads += 1;
    }
    mover.join().expect("the mover");
    assert!(reads > 0);
}
