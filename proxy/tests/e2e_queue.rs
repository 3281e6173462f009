//! A job queue through shard crashes, with the real binaries: producers
//! LPUSH numbered jobs over five lists on three shards while consumers
//! BRPOP them (1 s timeouts) and shard processes are killed with SIGKILL,
//! under `appendfsync always`. The run with consumers on all five lists
//! has the size: 8 producers, 100,000 jobs, 16 consumers (about
//! two minutes of a debug build on 2 cores).
//!
//! What the checks allow: an LPUSH that got a reply is acknowledged; one
//! that got `-ERR shard N is unavailable` may or may not have run. At the
//! end every acknowledged job was received exactly once or is still in a
//! list; no job is received twice or both received and left in a list; an
//! unacknowledged one is seen at most once. Run twice: consumers blocked
//! on the lists of one shard (a pop whose reply died with its shard is
//! answered again when the request is sent again), and consumers blocked
//! on all five lists, over every shard (each pop a transaction whose
//! outcome the proxy asks of its decider after a crash;
//! `proxy/src/block.rs`).

mod common;

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use common::{key_on_shard, pid_alive, wait_until, Opts, Server, IO_TIMEOUT};

const SHARDS: usize = 3;
/// The shards killed, in order.
const KILLS: [usize; 4] = [1, 0, 2, 1];

/// How much traffic a run makes.
#[derive(Clone, Copy)]
struct Size {
    producers: usize,
    jobs_per_producer: usize,
    consumers: usize,
    /// Longest the traffic may run.
    deadline: Duration,
}

/// Consumers on the lists of one shard: a smaller run.
const SMALL: Size = Size {
    producers: 4,
    jobs_per_producer: 1_500,
    consumers: 6,
    deadline: Duration::from_secs(60),
};

/// The size: 8 producers push 100,000 jobs, 16 consumers.
const FULL: Size = Size {
    producers: 8,
    jobs_per_producer: 12_500,
    consumers: 16,
    deadline: Duration::from_secs(600),
};
/// Longest a killed shard may take to serve again.
const RESTART_TIMEOUT: Duration = Duration::from_secs(15);

/// The five queues: on shards 0, 1, 2, 0, 1.
fn queues() -> Vec<String> {
    (0..5)
        .map(|i| key_on_shard(&format!("queue:{i}"), i % SHARDS, SHARDS))
        .collect()
}

#[derive(Default)]
struct Seen {
    /// Per job: pushes acknowledged, pushes with an unknown outcome.
    pushed: HashMap<String, (u32, u32)>,
    /// Per job: times received by a consumer.
    received: HashMap<String, u32>,
    /// Replies that are neither an answer nor "shard unavailable".
    unexpected: Vec<String>,
}

fn producer(url: String, size: Size, p: usize, seen: Arc<Mutex<Seen>>, acked: Arc<AtomicU64>) {
    let mut c = common::client_for(&url);
    let queues = queues();
    let start = Instant::now();
    for n in 0..size.jobs_per_producer {
        if start.elapsed() > size.deadline {
            break;
        }
        let job = format!("job:{p}:{n}");
        let q = &queues[n % queues.len()];
        let r: redis::RedisResult<i64> = redis::cmd("LPUSH").arg(q).arg(&job).query(&mut c);
        let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
        let e = s.pushed.entry(job).or_default();
        match r {
            Ok(_) => {
                e.0 += 1;
                acked.fetch_add(1, Ordering::Relaxed);
            }
            Err(err) if err.to_string().contains("is unavailable") => e.1 += 1,
            Err(err) => s.unexpected.push(format!("LPUSH: {err}")),
        }
    }
}

fn consumer(
    url: String,
    size: Size,
    i: usize,
    every: bool,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
) {
    let mut c = common::client_for(&url);
    let queues = queues();
    // Every list, or the lists of one shard.
    let mine: Vec<&String> = queues
        .iter()
        .enumerate()
        .filter(|(q, _)| every || q % SHARDS == i % SHARDS)
        .map(|(_, q)| q)
        .collect();
    let start = Instant::now();
    loop {
        if start.elapsed() > size.deadline + Duration::from_secs(10) {
            break;
        }
        let mut cmd = redis::cmd("BRPOP");
        for q in &mine {
            cmd.arg(q.as_str());
        }
        let r: redis::RedisResult<Option<(String, String)>> = cmd.arg(1).query(&mut c);
        match r {
            Ok(Some((_, job))) => {
                let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                *s.received.entry(job).or_default() += 1;
            }
            Ok(None) if stop.load(Ordering::Relaxed) => break,
            Ok(None) => {}
            Err(err) if err.to_string().contains("is unavailable") => {}
            Err(err) => {
                let mut s = seen.lock().unwrap_or_else(|e| e.into_inner());
                s.unexpected.push(format!("BRPOP: {err}"));
            }
        }
    }
}

fn kill_and_wait(s: &Server, id: usize, probe: &str) {
    let pid = s.shard_pid(id).expect("the shard is running");
    // SAFETY: killing a shard process this test's proxy started, by pid.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    wait_until(IO_TIMEOUT, "the shard to die", || !pid_alive(pid));
    let mut c = s.raw();
    wait_until(RESTART_TIMEOUT, "the shard to serve again", || {
        s.shard_pid(id).is_some_and(|p| p != pid)
            && c.try_cmd(&["GET", probe])
                .is_ok_and(|r| r.starts_with(b"$"))
    });
}

#[test]
fn a_job_queue_loses_and_repeats_nothing_through_shard_kills() {
    job_queue_through_kills(SMALL, false);
}

#[test]
fn consumers_blocked_on_every_shard_lose_and_repeat_nothing_through_shard_kills() {
    job_queue_through_kills(FULL, true);
}

/// The queue test; `every`: each consumer blocks on all five lists (keys
/// on every shard: each pop a transaction over the shards).
fn job_queue_through_kills(size: Size, every: bool) {
    let s = Server::start(
        Opts::shards(SHARDS)
            .workers(2)
            .flag("--appendfsync", "always"),
    );
    let seen = Arc::new(Mutex::new(Seen::default()));
    let acked = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let consumers: Vec<_> = (0..size.consumers)
        .map(|i| {
            let (url, seen, stop) = (s.url(), seen.clone(), stop.clone());
            std::thread::spawn(move || consumer(url, size, i, every, seen, stop))
        })
        .collect();
    let producers: Vec<_> = (0..size.producers)
        .map(|p| {
            let (url, seen, acked) = (s.url(), seen.clone(), acked.clone());
            std::thread::spawn(move || producer(url, size, p, seen, acked))
        })
        .collect();
    let total = (size.producers * size.jobs_per_producer) as u64;
    let started = Instant::now();
    for (k, &id) in KILLS.iter().enumerate() {
        // Spread the kills over the traffic.
        let at = total * (k as u64 + 1) / (KILLS.len() as u64 + 2);
        wait_until(size.deadline, "acknowledged pushes", || {
            acked.load(Ordering::Relaxed) >= at
        });
        let probe = key_on_shard("queue:probe", id, SHARDS);
        kill_and_wait(&s, id, &probe);
    }
    for p in producers {
        p.join().expect("a producer");
    }
    // The consumers drain what is left, then stop at their next timeout.
    let mut c = s.raw();
    let queues = queues();
    wait_until(size.deadline, "the queues to drain", || {
        queues.iter().all(|q| {
            c.try_cmd(&["LLEN", q.as_str()])
                .is_ok_and(|r| r.as_slice() == b":0\r\n")
        })
    });
    stop.store(true, Ordering::Relaxed);
    for h in consumers {
        h.join().expect("a consumer");
    }
    let mut left: HashMap<String, u32> = HashMap::new();
    let mut con = common::client_for(&s.url());
    for q in &queues {
        let items: Vec<String> = redis::cmd("LRANGE")
            .arg(q)
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .expect("LRANGE");
        for j in items {
            *left.entry(j).or_default() += 1;
        }
    }
    let seen = seen.lock().unwrap_or_else(|e| e.into_inner());
    assert!(seen.unexpected.is_empty(), "{:?}", seen.unexpected);
    let mut problems = Vec::new();
    for (job, &(acks, unknown)) in &seen.pushed {
        let got =
            seen.received.get(job).copied().unwrap_or(0) + left.get(job).copied().unwrap_or(0);
        let most = acks + unknown;
        if got > most.max(1) || got > 1 {
            problems.push(format!("{job}: seen {got} times"));
        }
        if acks > 0 && got == 0 {
            problems.push(format!("{job}: acknowledged and lost"));
        }
    }
    for job in seen.received.keys() {
        if !seen.pushed.contains_key(job) {
            problems.push(format!("{job}: received but never pushed"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems: {:?}",
        problems.len(),
        &problems[..problems.len().min(20)]
    );
    let received: u32 = seen.received.values().sum();
    eprintln!(
        "queue: {total} jobs, {} acknowledged, {received} received, {} left, {} consumers, {:.1} s",
        acked.load(Ordering::Relaxed),
        left.values().sum::<u32>(),
        size.consumers,
        started.elapsed().as_secs_f64()
    );
    assert!(
        acked.load(Ordering::Relaxed) > total / 2,
        "too few pushes were acknowledged"
    );
}
