//! Deterministic simulation of the proxy-to-shard path.
//!
//! The real proxy pieces run in one thread under a seeded scheduler: the
//! worker's [`Link`](proxy::link::Link)s over real rings
//! (`Channel::local_pair`), `dispatch::handle` (routing, splitting,
//! waiting for ring space or for a shard), [`ConnOut`] reply ordering and
//! the merges of MGET/MSET/DEL. Tokio's clock is paused, so the bounded
//! waits in `dispatch::send` time out only when the scheduler moves time.
//!
//! The shards are simulated: each executes requests from its ring with the
//! real `shardd::commands::execute` on a real `Keyspace` (with a
//! `ManualClock`), logs write requests as `appendfsync always` would, and
//! makes them durable at its commit point, just before it publishes the
//! replies. A crash keeps the committed log and any later prefix of it
//! (written but not yet published), loses everything else, and hangs up
//! its rings; the worker's monitor notices later and fails what was in
//! flight; the shard restarts from its log and the link re-attaches with
//! a fresh ring pair.
//!
//! At each step the scheduler picks one of: a client sends a command, the
//! flusher publishes, a shard executes some requests, a shard commits and
//! publishes its replies, the reply reader delivers, a shard crashes, the
//! monitor notices a hang-up, a shard restarts, a link re-attaches, a shard
//! turns slow, the clock moves. Rings are 4 KiB, so full rings (and
//! chunked records for the larger values) are common.
//!
//! Checked after every step and at the end: each connection's replies
//! arrive one per command, in order, and agree with a sequential model of
//! that connection's own keys in which an `-ERR shard N is unavailable`
//! reply means "applied or not"; an acknowledged write is never lost; a
//! counter shared by all connections is linearizable (distinct INCR
//! results, ordered by real time; GETs between them).
//!
//! `SIM_SEEDS=N` runs seeds `0..N` (default 500), `SIM_SEED=x` replays one
//! seed (`SIM_TRACE=1` prints its trace; a failing seed always prints
//! it), `SIM_STEPS=n` changes the steps per seed.

use std::{
    cell::RefCell,
    collections::{BTreeMap, VecDeque},
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    pin::Pin,
    rc::Rc,
    sync::{atomic::AtomicBool, Arc, Mutex},
    task::{Context, Poll, RawWaker, RawWakerVTable, Waker},
    time::{Duration, Instant},
};

use proxy::{
    config::Config,
    conn::{ConnOut, ConnState},
    server::{ClientHandle, ClientInfo, Shared},
    worker::Worker,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use shardd::{
    clock::ManualClock,
    commands::execute,
    keyspace::Keyspace,
    reply::{Proto, Reply},
    server::REQ_FLAG_WRITE,
};
use shared_ring::{
    msg::{self, Request},
    Channel, Hello, RingConfig,
};

/// Shards in the simulated deployment.
const SHARDS: usize = 3;
/// Client connections.
const CONNS: usize = 4;
/// Steps per seed (before the final drain).
const STEPS_DEFAULT: usize = 1_000;
/// Seeds run by default (the CI bound).
const SEEDS_DEFAULT: u64 = 500;
/// Data bytes of each ring: small, so rings fill up.
const RING_CAPACITY_BYTES: usize = 4096;
/// Commands a client keeps outstanding at most (a pipeline).
const PIPELINE_MAX: usize = 16;
/// How long a command waits for a shard that is down.
const SHARD_WAIT_TIMEOUT_MS: u64 = 1_000;
/// Rounds of the final drain before an unanswered request is a failure.
const DRAIN_ROUNDS_MAX: usize = 2_000;
/// The key every connection increments.
const SHARED_COUNTER: &[u8] = b"shared:ctr";

#[derive(Debug, Clone, PartialEq)]
enum V {
    Simple(String),
    Err(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Arr(Vec<V>),
}

/// Parses one RESP2/RESP3 value; `Ok(None)` if incomplete.
fn parse_value(b: &[u8]) -> Result<Option<(V, usize)>, String> {
    let Some(end) = b.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let Some(&tag) = b.first() else {
        return Ok(None);
    };
    let line = String::from_utf8_lossy(&b[1..end]).into_owned();
    let after = end + 2;
    let int = |s: &str| s.parse::<i64>().map_err(|_| format!("bad number {s:?}"));
    match tag {
        b'+' => Ok(Some((V::Simple(line), after))),
        b'-' => Ok(Some((V::Err(line), after))),
        b':' => Ok(Some((V::Int(int(&line)?), after))),
        b'_' => Ok(Some((V::Bulk(None), after))),
        b'$' => {
            let n = int(&line)?;
            if n < 0 {
                return Ok(Some((V::Bulk(None), after)));
            }
            let n = n as usize;
            if b.len() < after + n + 2 {
                return Ok(None);
            }
            Ok(Some((
                V::Bulk(Some(b[after..after + n].to_vec())),
                after + n + 2,
            )))
        }
        b'*' => {
            let n = int(&line)?;
            if n < 0 {
                return Ok(Some((V::Bulk(None), after)));
            }
            let mut at = after;
            let mut items = Vec::new();
            for _ in 0..n {
                match parse_value(&b[at..])? {
                    Some((v, used)) => {
                        items.push(v);
                        at += used;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((V::Arr(items), at)))
        }
        t => Err(format!("unexpected reply type byte {:?}", t as char)),
    }
}

fn unavailable(v: &V) -> bool {
    matches!(v, V::Err(s) if s.starts_with("ERR shard ") && s.ends_with(" is unavailable"))
}

#[derive(Debug, Clone)]
enum Cmd {
    Get(Vec<u8>),
    Set(Vec<u8>, Vec<u8>),
    Incr(Vec<u8>),
    Del(Vec<Vec<u8>>),
    Mget(Vec<Vec<u8>>),
    Mset(Vec<(Vec<u8>, Vec<u8>)>),
}

impl Cmd {
    fn argv(&self) -> Vec<Vec<u8>> {
        let mut a: Vec<Vec<u8>> = Vec::new();
        match self {
            Cmd::Get(k) => a.extend([b"GET".to_vec(), k.clone()]),
            Cmd::Set(k, v) => a.extend([b"SET".to_vec(), k.clone(), v.clone()]),
            Cmd::Incr(k) => a.extend([b"INCR".to_vec(), k.clone()]),
            Cmd::Del(ks) => {
                a.push(b"DEL".to_vec());
                a.extend(ks.iter().cloned());
            }
            Cmd::Mget(ks) => {
                a.push(b"MGET".to_vec());
                a.extend(ks.iter().cloned());
            }
            Cmd::Mset(kv) => {
                a.push(b"MSET".to_vec());
                for (k, v) in kv {
                    a.push(k.clone());
                    a.push(v.clone());
                }
            }
        }
        a
    }

    fn show(&self) -> String {
        self.argv()
            .iter()
            .map(|a| {
                if a.len() > 24 {
                    format!("{}..({}B)", String::from_utf8_lossy(&a[..12]), a.len())
                } else {
                    String::from_utf8_lossy(a).into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

struct Sent {
    cmd: Cmd,
    inv: u64,
}

/// An operation on the shared counter, for the linearizability check.
#[derive(Debug, Clone)]
struct CounterOp {
    incr: bool,
    inv: u64,
    resp: u64,
    /// The value returned; `None` if the outcome is unknown.
    val: Option<i64>,
}

type Fut = Pin<Box<dyn Future<Output = ConnState>>>;

struct SimConn {
    out: Rc<RefCell<ConnOut>>,
    st: Option<ConnState>,
    blocked: Option<Fut>,
    sent: VecDeque<Sent>,
    input: Vec<u8>,
    counters: Vec<Vec<u8>>,
    registers: Vec<Vec<u8>>,
    /// Possible values of each of this connection's keys.
    model: BTreeMap<Vec<u8>, Vec<Option<Vec<u8>>>>,
    seq: u64,
}

struct SimShard {
    /// The keyspace; `None` while the process is down.
    ks: Option<Keyspace>,
    /// The serving end of the current attachment.
    ch: Option<Channel>,
    /// Write requests in execution order (the append-only log).
    log: Vec<Vec<Vec<u8>>>,
    /// Log records made durable and acknowledged so far.
    committed: usize,
    slow: u32,
    generation: u64,
}

/// Totals over a run, for the report.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    commands: u64,
    unavailable: u64,
    crashes: u64,
    full_waits: u64,
}

struct Sim {
    rng: StdRng,
    w: Rc<Worker>,
    conns: Vec<SimConn>,
    shards: Vec<SimShard>,
    clock: ManualClock,
    step: u64,
    trace: Rc<RefCell<Vec<String>>>,
    counter_ops: Vec<CounterOp>,
    totals: Totals,
    /// Chance of a crash per step (this seed's choice, up to 15 in 1000).
    crash_per_mille: u32,
}

fn noop_waker() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: every function of the vtable ignores the (null) data pointer.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

fn conn_state(id: u64, proto: u8) -> ConnState {
    let addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 1));
    ConnState {
        proto,
        authed: true,
        reply_mode: 0,
        handle: Arc::new(ClientHandle {
            id,
            addr,
            laddr: addr,
            created: Instant::now(),
            info: Mutex::new(ClientInfo::default()),
            killed: AtomicBool::new(false),
            kill: tokio::sync::Notify::new(),
        }),
        close: false,
        write: false,
    }
}

fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn incr_of(v: &Option<Vec<u8>>) -> Option<i64> {
    match v {
        None => Some(1),
        Some(b) => parse_i64(b).map(|n| n + 1),
    }
}

fn show_vals(s: &[Option<Vec<u8>>]) -> String {
    let v: Vec<String> = s
        .iter()
        .map(|x| match x {
            None => "nil".into(),
            Some(b) if b.len() > 24 => {
                format!("{}..({}B)", String::from_utf8_lossy(&b[..12]), b.len())
            }
            Some(b) => String::from_utf8_lossy(b).into_owned(),
        })
        .collect();
    format!("{{{}}}", v.join(", "))
}

impl Sim {
    fn new(seed: u64, trace: Rc<RefCell<Vec<String>>>) -> Sim {
        let cfg = Config {
            shard_wait_timeout_ms: SHARD_WAIT_TIMEOUT_MS,
            ring_capacity_bytes: RING_CAPACITY_BYTES,
            ..Config::default()
        };
        let sockets = (0..SHARDS)
            .map(|i| PathBuf::from(format!("/nonexistent/sim-shard-{i}.sock")))
            .collect();
        let shared = Arc::new(Shared::new(cfg, sockets));
        let w = Worker::new(0, shared).expect("worker");
        let clock = ManualClock::new(1_700_000_000_000);
        let shards = (0..SHARDS)
            .map(|_| SimShard {
                ks: Some(Keyspace::with_clock(Box::new(clock.clone()))),
                ch: None,
                log: Vec::new(),
                committed: 0,
                slow: 0,
                generation: 0,
            })
            .collect();
        let mut rng = StdRng::seed_from_u64(seed);
        let crash_per_mille = [0, 2, 5, 15][rng.gen_range(0..4)];
        let mut sim = Sim {
            crash_per_mille,
            rng,
            w,
            conns: Vec::new(),
            shards,
            clock,
            step: 0,
            trace,
            counter_ops: Vec::new(),
            totals: Totals::default(),
        };
        for c in 0..CONNS {
            let conn = sim.new_conn(c);
            sim.conns.push(conn);
        }
        for s in 0..SHARDS {
            sim.attach(s);
        }
        sim
    }

    /// A connection with one counter and one register key on every shard.
    fn new_conn(&self, c: usize) -> SimConn {
        let mut counters = vec![None; SHARDS];
        let mut registers = vec![None; SHARDS];
        for i in 0.. {
            if counters.iter().chain(registers.iter()).all(Option::is_some) {
                break;
            }
            let key = format!("c{c}:k{i}").into_bytes();
            let s = self.w.shared.shard_of(&key);
            if counters[s].is_none() {
                counters[s] = Some(key);
            } else if registers[s].is_none() {
                registers[s] = Some(key);
            }
        }
        let counters: Vec<Vec<u8>> = counters.into_iter().flatten().collect();
        let registers: Vec<Vec<u8>> = registers.into_iter().flatten().collect();
        let model = counters
            .iter()
            .chain(registers.iter())
            .map(|k| (k.clone(), vec![None]))
            .collect();
        SimConn {
            out: Rc::new(RefCell::new(ConnOut::new())),
            st: Some(conn_state(
                c as u64 + 1,
                if c.is_multiple_of(2) { 2 } else { 3 },
            )),
            blocked: None,
            sent: VecDeque::new(),
            input: Vec::new(),
            counters,
            registers,
            model,
            seq: 0,
        }
    }

    fn log(&self, s: String) {
        self.trace.borrow_mut().push(format!("{:5} {s}", self.step));
    }

    // ---- the proxy side -------------------------------------------------

    fn gen_cmd(&mut self, c: usize) -> Cmd {
        let conn = &mut self.conns[c];
        conn.seq += 1;
        let seq = conn.seq;
        let rng = &mut self.rng;
        let value = |rng: &mut StdRng, i: usize| {
            let mut v = format!("c{c}.{seq}.{i}").into_bytes();
            // Some values pass a quarter of the ring (chunked records), a
            // few the whole ring.
            let extra = match rng.gen_range(0..40) {
                0 => rng.gen_range(3_000..9_000),
                1..=5 => rng.gen_range(600..1_600),
                _ => 0,
            };
            v.extend(std::iter::repeat_n(b'x', extra));
            v
        };
        let any_key = |rng: &mut StdRng, conn: &SimConn| -> Vec<u8> {
            match rng.gen_range(0..5) {
                0 => SHARED_COUNTER.to_vec(),
                1 | 2 => conn.counters[rng.gen_range(0..conn.counters.len())].clone(),
                _ => conn.registers[rng.gen_range(0..conn.registers.len())].clone(),
            }
        };
        let distinct = |rng: &mut StdRng, pool: &[Vec<u8>], n: usize| -> Vec<Vec<u8>> {
            let mut keys: Vec<Vec<u8>> = pool.to_vec();
            let mut out = Vec::new();
            for _ in 0..n.min(keys.len()) {
                out.push(keys.swap_remove(rng.gen_range(0..keys.len())));
            }
            out
        };
        match rng.gen_range(0..100) {
            0..=19 => Cmd::Get(any_key(rng, conn)),
            20..=37 => {
                let k = conn.registers[rng.gen_range(0..conn.registers.len())].clone();
                Cmd::Set(k, value(rng, 0))
            }
            38..=57 => {
                if rng.gen_ratio(1, 3) {
                    Cmd::Incr(SHARED_COUNTER.to_vec())
                } else {
                    Cmd::Incr(conn.counters[rng.gen_range(0..conn.counters.len())].clone())
                }
            }
            58..=65 => {
                let pool: Vec<Vec<u8>> = conn
                    .counters
                    .iter()
                    .chain(&conn.registers)
                    .cloned()
                    .collect();
                let n = rng.gen_range(1..=3);
                Cmd::Del(distinct(rng, &pool, n))
            }
            66..=82 => {
                let mut pool: Vec<Vec<u8>> = conn
                    .counters
                    .iter()
                    .chain(&conn.registers)
                    .cloned()
                    .collect();
                pool.push(SHARED_COUNTER.to_vec());
                let n = rng.gen_range(1..=5);
                Cmd::Mget(distinct(rng, &pool, n))
            }
            _ => {
                let n = rng.gen_range(1..=3);
                let keys = distinct(rng, &conn.registers, n);
                Cmd::Mset(
                    keys.into_iter()
                        .enumerate()
                        .map(|(i, k)| (k, value(rng, i)))
                        .collect(),
                )
            }
        }
    }

    fn client_send(&mut self) {
        let ready: Vec<usize> = (0..CONNS)
            .filter(|&c| self.conns[c].st.is_some() && self.conns[c].sent.len() < PIPELINE_MAX)
            .collect();
        if ready.is_empty() {
            self.log("send: no client can send".into());
            return;
        }
        let c = ready[self.rng.gen_range(0..ready.len())];
        let cmd = self.gen_cmd(c);
        self.send_cmd(c, cmd);
    }

    fn send_cmd(&mut self, c: usize, cmd: Cmd) {
        self.log(format!("c{c} send {}", cmd.show()));
        self.totals.commands += 1;
        let argv = cmd.argv();
        let conn = &mut self.conns[c];
        conn.sent.push_back(Sent {
            cmd,
            inv: self.step,
        });
        let Some(mut st) = conn.st.take() else {
            panic!("c{c} sends while blocked");
        };
        let w = self.w.clone();
        let out = conn.out.clone();
        let fut: Fut = Box::pin(tokio::task::unconstrained(async move {
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            proxy::dispatch::handle(&w, &mut st, &out, &refs).await;
            st
        }));
        conn.blocked = Some(fut);
        self.poll_conn(c);
    }

    /// Polls a command blocked in dispatch (waiting for ring space or for
    /// its shard), as the runtime would after a wake-up.
    fn poll_conn(&mut self, c: usize) {
        let conn = &mut self.conns[c];
        let Some(fut) = conn.blocked.as_mut() else {
            return;
        };
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(st) => {
                conn.blocked = None;
                conn.st = Some(st);
            }
            Poll::Pending => {
                if self.w.links.borrow().iter().any(|l| l.wants_space) {
                    self.totals.full_waits += 1;
                }
            }
        }
    }

    fn poll_blocked(&mut self) {
        for c in 0..CONNS {
            self.poll_conn(c);
        }
    }

    fn flush(&mut self) {
        self.log("flusher publishes".into());
        self.w.flush_now();
    }

    fn read_replies(&mut self) {
        let n = self.w.read_replies();
        self.log(format!("reply reader delivers {n}"));
    }

    fn notice_hang_up(&mut self, s: usize) {
        let n = self.w.links.borrow()[s].inflight();
        self.log(format!("monitor: s{s} hung up, {n} in flight fail"));
        self.w.links.borrow_mut()[s].set_down();
    }

    fn attach(&mut self, s: usize) {
        let sh = &mut self.shards[s];
        sh.generation += 1;
        let cfg = RingConfig {
            capacity_bytes: RING_CAPACITY_BYTES,
            max_record_bytes: 1 << 20,
        };
        let worker = Hello {
            generation: sh.generation,
            ..Hello::default()
        };
        let (proxy_end, shard_end) =
            Channel::local_pair(cfg, worker, Hello::default()).expect("local ring pair");
        sh.ch = Some(shard_end);
        let g = sh.generation;
        self.log(format!("monitor: s{s} attached (generation {g})"));
        self.w.links.borrow_mut()[s].set_up(proxy_end);
    }

    // ---- the shard side -------------------------------------------------

    fn shard_execute(&mut self, s: usize, k: usize) -> Result<(), String> {
        let (trace, step) = (self.trace.clone(), self.step);
        let log_line = |m: String| trace.borrow_mut().push(format!("{step:5} {m}"));
        let sh = &mut self.shards[s];
        let (Some(ks), Some(ch)) = (sh.ks.as_mut(), sh.ch.as_mut()) else {
            return Ok(());
        };
        if sh.slow > 0 {
            sh.slow -= 1;
            log_line(format!("s{s} is slow, skips its turn"));
            return Ok(());
        }
        if !ch.tx.pump().map_err(|e| format!("s{s} reply ring: {e}"))? {
            log_line(format!("s{s} reply ring still full"));
            return Ok(());
        }
        let Channel { tx, rx, .. } = ch;
        let log = &mut sh.log;
        let mut n = 0;
        let mut err = None;
        let mut scratch = Vec::new();
        rx.poll(|rec| {
            let req = match Request::parse(rec) {
                Ok(r) => r,
                Err(e) => {
                    err = Some(format!("s{s} bad request: {e}"));
                    return false;
                }
            };
            let args: Vec<&[u8]> = req.args().collect();
            let proto = if req.header.proto == 3 {
                Proto::Resp3
            } else {
                Proto::Resp2
            };
            scratch.clear();
            scratch.resize(msg::REPLY_HEADER_BYTES, 0);
            msg::write_reply_header(&mut scratch, req.header.id, 0);
            execute(ks, &args, &mut Reply::new(&mut scratch, proto));
            if req.header.flags & REQ_FLAG_WRITE != 0 {
                log.push(args.iter().map(|a| a.to_vec()).collect());
            }
            n += 1;
            match tx.push_or_defer(&scratch) {
                Ok(now) => now && n < k,
                Err(e) => {
                    err = Some(format!("s{s} reply ring: {e}"));
                    false
                }
            }
        })
        .map_err(|e| format!("s{s} request ring: {e}"))?;
        if let Some(e) = err {
            return Err(e);
        }
        self.log(format!("s{s} executes {n} (of up to {k})"));
        Ok(())
    }

    fn shard_commit(&mut self, s: usize) {
        let sh = &mut self.shards[s];
        let (Some(_), Some(ch)) = (sh.ks.as_ref(), sh.ch.as_mut()) else {
            return;
        };
        if sh.slow > 0 {
            sh.slow -= 1;
            self.log(format!("s{s} is slow, skips its commit"));
            return;
        }
        // appendfsync always: the log is durable before any reply leaves.
        sh.committed = sh.log.len();
        ch.tx.publish();
        let n = sh.committed;
        self.log(format!("s{s} commits {n} log records and publishes"));
    }

    fn shard_crash(&mut self, s: usize) {
        self.totals.crashes += 1;
        let sh = &mut self.shards[s];
        // Written but unpublished records may or may not have reached the disk.
        let keep = self.rng.gen_range(sh.committed..=sh.log.len());
        let lost = sh.log.len() - keep;
        sh.log.truncate(keep);
        sh.committed = keep;
        sh.ks = None;
        sh.ch = None;
        sh.slow = 0;
        self.log(format!(
            "s{s} CRASHES: keeps {keep} log records, loses {lost}"
        ));
    }

    fn shard_restart(&mut self, s: usize) {
        let sh = &mut self.shards[s];
        let mut ks = Keyspace::with_clock(Box::new(self.clock.clone()));
        let mut scratch = Vec::new();
        for rec in &sh.log {
            let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
            scratch.clear();
            execute(&mut ks, &args, &mut Reply::new(&mut scratch, Proto::Resp2));
        }
        let n = sh.log.len();
        sh.ks = Some(ks);
        self.log(format!("s{s} restarts, replays {n} log records"));
    }

    // ---- checking -------------------------------------------------------

    /// Reads every connection's output and checks each reply.
    fn collect(&mut self) -> Result<(), String> {
        for c in 0..CONNS {
            let bytes = self.conns[c].out.borrow_mut().take_output();
            self.conns[c].input.extend_from_slice(&bytes);
            loop {
                let parsed = parse_value(&self.conns[c].input)
                    .map_err(|e| format!("c{c}: malformed reply stream: {e}"))?;
                let Some((v, used)) = parsed else {
                    break;
                };
                self.conns[c].input.drain(..used);
                let Some(sent) = self.conns[c].sent.pop_front() else {
                    return Err(format!("c{c}: a reply with no request: {v:?}"));
                };
                self.log(format!(
                    "c{c} reply to {}: {}",
                    sent.cmd.show(),
                    show_reply(&v)
                ));
                self.check(c, sent, v)?;
            }
        }
        Ok(())
    }

    fn check(&mut self, c: usize, sent: Sent, v: V) -> Result<(), String> {
        let what = sent.cmd.show();
        let bad = |why: String| Err(format!("c{c}: {what} -> {v:?}: {why}"));
        if unavailable(&v) {
            self.totals.unavailable += 1;
            self.unknown_outcome(c, &sent);
            return Ok(());
        }
        match &sent.cmd {
            Cmd::Get(k) => match &v {
                V::Bulk(x) => self.observe(c, k, x, sent.inv).or_else(bad),
                _ => bad("not a bulk reply".into()),
            },
            Cmd::Set(k, val) => match &v {
                V::Simple(s) if s == "OK" => {
                    self.set_model(c, k, Some(val.clone()));
                    Ok(())
                }
                _ => bad("SET not OK".into()),
            },
            Cmd::Incr(k) => match v {
                V::Int(n) => self.incr_acked(c, k, n, sent.inv).or_else(bad),
                _ => bad("not an integer".into()),
            },
            Cmd::Del(keys) => match v {
                V::Int(n) => {
                    let model = &mut self.conns[c].model;
                    let (mut lo, mut hi) = (0, 0);
                    for k in keys {
                        let s = &model[k];
                        lo += i64::from(!s.contains(&None));
                        hi += i64::from(s.iter().any(Option::is_some));
                    }
                    if n < lo || n > hi {
                        return bad(format!("model allows {lo}..={hi} deleted"));
                    }
                    for k in keys {
                        self.set_model(c, k, None);
                    }
                    Ok(())
                }
                _ => bad("not an integer".into()),
            },
            Cmd::Mget(keys) => match &v {
                V::Arr(items) if items.len() == keys.len() => {
                    for (k, item) in keys.iter().zip(items) {
                        let V::Bulk(x) = item else {
                            return bad("element not a bulk".into());
                        };
                        self.observe(c, k, x, sent.inv).or_else(bad)?;
                    }
                    Ok(())
                }
                _ => bad("not an array of the keys' length".into()),
            },
            Cmd::Mset(kv) => match &v {
                V::Simple(s) if s == "OK" => {
                    for (k, val) in kv {
                        self.set_model(c, k, Some(val.clone()));
                    }
                    Ok(())
                }
                _ => bad("MSET not OK".into()),
            },
        }
    }

    fn set_model(&mut self, c: usize, k: &[u8], v: Option<Vec<u8>>) {
        if let Some(s) = self.conns[c].model.get_mut(k) {
            *s = vec![v];
        }
    }

    fn observe(&mut self, c: usize, k: &[u8], x: &Option<Vec<u8>>, inv: u64) -> Result<(), String> {
        if k == SHARED_COUNTER {
            let val = match x {
                None => 0,
                Some(b) => parse_i64(b).ok_or("shared counter not an integer")?,
            };
            self.counter_ops.push(CounterOp {
                incr: false,
                inv,
                resp: self.step,
                val: Some(val),
            });
            return Ok(());
        }
        let s = &mut self.conns[c].model.get_mut(k).ok_or("unknown key")?;
        if !s.contains(x) {
            return Err(format!(
                "{} read {}, model allows {}",
                String::from_utf8_lossy(k),
                show_vals(std::slice::from_ref(x)),
                show_vals(s)
            ));
        }
        **s = vec![x.clone()];
        Ok(())
    }

    fn incr_acked(&mut self, c: usize, k: &[u8], n: i64, inv: u64) -> Result<(), String> {
        if k == SHARED_COUNTER {
            self.counter_ops.push(CounterOp {
                incr: true,
                inv,
                resp: self.step,
                val: Some(n),
            });
            return Ok(());
        }
        let s = self.conns[c].model.get_mut(k).ok_or("unknown key")?;
        if !s.iter().any(|p| incr_of(p) == Some(n)) {
            return Err(format!("INCR gave {n}, model allows from {}", show_vals(s)));
        }
        *s = vec![Some(n.to_string().into_bytes())];
        Ok(())
    }

    /// The command may or may not have run: widen the model.
    fn unknown_outcome(&mut self, c: usize, sent: &Sent) {
        let add = |s: &mut Vec<Option<Vec<u8>>>, v: Option<Vec<u8>>| {
            if !s.contains(&v) {
                s.push(v);
            }
        };
        let model = &mut self.conns[c].model;
        match &sent.cmd {
            Cmd::Get(_) | Cmd::Mget(_) => {}
            Cmd::Set(k, v) => add(model.get_mut(k).expect("own key"), Some(v.clone())),
            Cmd::Mset(kv) => {
                for (k, v) in kv {
                    add(model.get_mut(k).expect("own key"), Some(v.clone()));
                }
            }
            Cmd::Del(keys) => {
                for k in keys {
                    add(model.get_mut(k).expect("own key"), None);
                }
            }
            Cmd::Incr(k) if k == SHARED_COUNTER => self.counter_ops.push(CounterOp {
                incr: true,
                inv: sent.inv,
                resp: self.step,
                val: None,
            }),
            Cmd::Incr(k) => {
                let s = model.get_mut(k).expect("own key");
                let next: Vec<Option<Vec<u8>>> = s
                    .iter()
                    .filter_map(incr_of)
                    .map(|n| Some(n.to_string().into_bytes()))
                    .collect();
                for v in next {
                    add(s, v);
                }
            }
        }
    }

    /// The shared counter is linearizable: acknowledged INCRs return
    /// distinct values ordered by real time, and every read lies between
    /// what finished before it and what had started by its end.
    fn check_counter(&self) -> Result<(), String> {
        let ops = &self.counter_ops;
        let incrs: Vec<&CounterOp> = ops.iter().filter(|o| o.incr).collect();
        let mut seen = BTreeMap::new();
        for a in incrs.iter().filter(|o| o.val.is_some()) {
            if let Some(b) = seen.insert(a.val, a) {
                return Err(format!(
                    "shared counter: INCR {:?} acknowledged twice: {b:?} and {a:?}",
                    a.val
                ));
            }
        }
        for a in ops {
            let Some(av) = a.val else { continue };
            let started = incrs.iter().filter(|i| i.inv <= a.resp).count() as i64;
            if av > started {
                return Err(format!(
                    "shared counter: {a:?} saw {av} with only {started} INCRs started"
                ));
            }
            for b in ops {
                let Some(bv) = b.val else { continue };
                if a.resp < b.inv && (bv < av || (b.incr && bv == av)) {
                    return Err(format!(
                        "shared counter goes back in time: {a:?} then {b:?}"
                    ));
                }
            }
        }
        Ok(())
    }

    // ---- the scheduler --------------------------------------------------

    async fn step_once(&mut self) -> Result<(), String> {
        self.step += 1;
        let s = self.rng.gen_range(0..SHARDS);
        let roll = self.rng.gen_range(0..1000);
        // Recovery steps pick among the shards they apply to.
        let hung_up = self.pick(|sim, s| sim.shards[s].ch.is_none() && sim.link_up(s));
        let down = self.pick(|sim, s| sim.shards[s].ks.is_none());
        let detached = self.pick(|sim, s| sim.shards[s].ks.is_some() && !sim.link_up(s));
        let shard_up = self.shards[s].ks.is_some();
        match (roll, hung_up, down, detached) {
            (0..=299, ..) => self.client_send(),
            (300..=399, ..) => self.flush(),
            (400..=559, ..) => {
                let k = self.rng.gen_range(1..=8);
                self.shard_execute(s, k)?;
            }
            (560..=679, ..) => self.shard_commit(s),
            (680..=809, ..) => self.read_replies(),
            (810..=824, ..) if shard_up && roll - 810 < self.crash_per_mille => self.shard_crash(s),
            (825..=879, Some(h), ..) => self.notice_hang_up(h),
            (880..=919, _, Some(d), _) => self.shard_restart(d),
            (920..=959, .., Some(d)) => self.attach(d),
            (960..=969, ..) if shard_up => {
                let turns = self.rng.gen_range(1..=20);
                self.shards[s].slow = turns;
                self.log(format!("s{s} turns slow for {turns} turns"));
            }
            (970..=999, ..) => {
                let ms = [1, 5, 10, 50, 200, 600][self.rng.gen_range(0..6)];
                self.advance(ms).await;
            }
            _ => self.log("idle".into()),
        }
        self.poll_blocked();
        self.collect()
    }

    fn link_up(&self, s: usize) -> bool {
        self.w.links.borrow()[s].is_up()
    }

    /// A random shard among those `ok` holds for.
    fn pick(&mut self, ok: impl Fn(&Sim, usize) -> bool) -> Option<usize> {
        let all: Vec<usize> = (0..SHARDS).filter(|&s| ok(self, s)).collect();
        if all.is_empty() {
            return None;
        }
        Some(all[self.rng.gen_range(0..all.len())])
    }

    async fn advance(&mut self, ms: u64) {
        self.log(format!("clock +{ms} ms"));
        self.clock.advance(ms);
        tokio::time::advance(Duration::from_millis(ms)).await;
    }

    /// Heals every shard and runs the path until each request is answered.
    async fn drain(&mut self) -> Result<(), String> {
        self.log("---- drain: heal every shard, answer everything".into());
        for round in 0..DRAIN_ROUNDS_MAX {
            self.step += 1;
            for s in 0..SHARDS {
                self.shards[s].slow = 0;
                if self.shards[s].ch.is_none() && self.w.links.borrow()[s].is_up() {
                    self.notice_hang_up(s);
                }
                if self.shards[s].ks.is_none() {
                    self.shard_restart(s);
                }
                if !self.w.links.borrow()[s].is_up() {
                    self.attach(s);
                }
            }
            self.flush();
            for s in 0..SHARDS {
                self.shard_execute(s, usize::MAX)?;
                self.shard_commit(s);
            }
            self.read_replies();
            self.poll_blocked();
            self.collect()?;
            let idle = self
                .conns
                .iter()
                .all(|c| c.blocked.is_none() && c.sent.is_empty());
            if idle {
                self.log(format!("drain done after {round} rounds"));
                return Ok(());
            }
            if round % 8 == 7 {
                self.advance(10).await;
            }
        }
        let left: Vec<String> = self
            .conns
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.sent.is_empty())
            .map(|(i, c)| {
                format!(
                    "c{i}: {} unanswered, first {}",
                    c.sent.len(),
                    c.sent[0].cmd.show()
                )
            })
            .collect();
        Err(format!("requests never answered: {}", left.join("; ")))
    }

    /// After the drain: nothing in flight, then read back every key.
    async fn verify(&mut self) -> Result<(), String> {
        for (s, l) in self.w.links.borrow().iter().enumerate() {
            if l.inflight() != 0 {
                return Err(format!(
                    "s{s}: {} requests in flight after the drain",
                    l.inflight()
                ));
            }
        }
        for c in 0..CONNS {
            let keys: Vec<Vec<u8>> = self.conns[c].model.keys().cloned().collect();
            for k in keys {
                self.send_cmd(c, Cmd::Get(k));
                self.drain().await?;
            }
            self.send_cmd(c, Cmd::Get(SHARED_COUNTER.to_vec()));
            self.drain().await?;
        }
        self.check_counter()
    }

    async fn run(&mut self, steps: usize) -> Result<(), String> {
        for _ in 0..steps {
            self.step_once().await?;
        }
        self.drain().await?;
        self.verify().await
    }
}

fn show_reply(v: &V) -> String {
    match v {
        V::Bulk(Some(b)) if b.len() > 24 => {
            format!("${}..({}B)", String::from_utf8_lossy(&b[..12]), b.len())
        }
        V::Bulk(Some(b)) => format!("${}", String::from_utf8_lossy(b)),
        V::Bulk(None) => "nil".into(),
        V::Simple(s) => format!("+{s}"),
        V::Err(s) => format!("-{s}"),
        V::Int(n) => format!(":{n}"),
        V::Arr(items) => format!(
            "[{}]",
            items.iter().map(show_reply).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Runs one seed; on failure returns the reason and the step trace.
fn run_seed(seed: u64, steps: usize) -> Result<Totals, (String, Vec<String>)> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let t = trace.clone();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("runtime");
        let local = tokio::task::LocalSet::new();
        local.block_on(&rt, async move {
            let mut sim = Sim::new(seed, t);
            sim.run(steps).await.map(|()| sim.totals)
        })
    }));
    let trace = trace.take();
    match result {
        Ok(Ok(totals)) => Ok(totals),
        Ok(Err(why)) => Err((why, trace)),
        Err(p) => {
            let why = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err((format!("panic: {why}"), trace))
        }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn proxy_to_shard_path_keeps_order_durability_and_linearizability_under_crashes() {
    let steps = env_u64("SIM_STEPS").map_or(STEPS_DEFAULT, |n| n as usize);
    let seeds: Vec<u64> = match env_u64("SIM_SEED") {
        Some(s) => vec![s],
        None => (0..env_u64("SIM_SEEDS").unwrap_or(SEEDS_DEFAULT)).collect(),
    };
    let replay = seeds.len() == 1;
    let mut sum = Totals::default();
    for &seed in &seeds {
        match run_seed(seed, steps) {
            Ok(t) => {
                sum.commands += t.commands;
                sum.unavailable += t.unavailable;
                sum.crashes += t.crashes;
                sum.full_waits += t.full_waits;
                if replay && std::env::var_os("SIM_TRACE").is_some() {
                    for line in run_trace(seed, steps) {
                        eprintln!("{line}");
                    }
                }
            }
            Err((why, trace)) => {
                for line in &trace {
                    eprintln!("{line}");
                }
                panic!(
                    "simulation seed {seed} failed: {why}\n(replay: SIM_SEED={seed} cargo test -p proxy --test simulation)"
                );
            }
        }
    }
    eprintln!(
        "simulation: {} seeds x {steps} steps: {} commands, {} crashes, {} 'unavailable' replies, {} waits on a full ring",
        seeds.len(),
        sum.commands,
        sum.crashes,
        sum.unavailable,
        sum.full_waits
    );
}

/// The trace of a passing seed (`SIM_SEED=x SIM_TRACE=1`).
fn run_trace(seed: u64, steps: usize) -> Vec<String> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let t = trace.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    let _ = local.block_on(&rt, async move { Sim::new(seed, t).run(steps).await });
    trace.take()
}

#[test]
fn a_seed_with_crashes_replays_exactly() {
    let (seed, a) = (0..20)
        .map(|seed| (seed, run_trace(seed, 300)))
        .find(|(_, t)| t.iter().any(|l| l.contains("CRASHES")))
        .expect("a seed with a crash among the first 20");
    assert_eq!(a, run_trace(seed, 300), "seed {seed} replays step for step");
}
