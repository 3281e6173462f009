//! The simulated deployment: a real proxy worker, simulated shards, and
//! the seeded scheduler that interleaves them (see `simulation.rs` for
//! what is checked). `client` holds the proxy side, `shard` the shards,
//! `check` the invariants, `resp` the client's reply reader.

mod check;
mod client;
pub mod migration;
mod resp;
mod shard;

use std::{
    cell::RefCell,
    collections::{BTreeMap, VecDeque},
    future::Future,
    net::SocketAddr,
    path::PathBuf,
    pin::Pin,
    rc::Rc,
    sync::Arc,
    task::{RawWaker, RawWakerVTable, Waker},
    time::Duration,
};

use common::reply::Proto;
use proxy::{
    config::Config,
    replies::Replies,
    session::Session,
    state::{ClientHandle, Shared},
    worker::Worker,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use shardd::{clock::ManualClock, keyspace::Keyspace, server::Engine};
use shared_ring::Channel;

use self::shard::{start_engine, Disk, MemLog};

/// Shards in the simulated deployment.
const SHARDS: usize = 3;
/// Client connections.
const CONNS: usize = 4;
/// Steps per seed (before the final drain).
pub(crate) const STEPS_DEFAULT: usize = 1_000;
/// Seeds run by default (the CI bound).
pub(crate) const SEEDS_DEFAULT: u64 = 500;
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

#[derive(Debug, Clone)]
enum Cmd {
    Get(Vec<u8>),
    Set(Vec<u8>, Vec<u8>),
    Incr(Vec<u8>),
    Del(Vec<Vec<u8>>),
    Mget(Vec<Vec<u8>>),
    Mset(Vec<(Vec<u8>, Vec<u8>)>),
    /// `MULTI` of a bank transaction.
    Multi,
    /// A command queued in a bank transaction (its argv).
    Queued(Vec<Vec<u8>>),
    /// `EXEC` of transfer `i` (`Sim::transfers`).
    ExecTransfer(usize),
    /// `EXEC` of a `MULTI; MGET accounts...; EXEC` that sums them.
    ExecSum,
    /// A command of the setup, before the steps (any reply but an error).
    Setup(Vec<Vec<u8>>),
    /// `LMOVE` of a token between two queues on different shards (a
    /// command whose keys must be together, run as a transaction).
    MoveToken(Vec<u8>, Vec<u8>),
    /// `EXEC` of `MULTI; LRANGE` of every queue: every token exactly once.
    ExecTokens,
}

/// Tokens moved around the queues; each must always be in exactly one.
const TOKENS: usize = 6;

/// The set of applied transfers' numbers (each transfer SADDs its own).
const DONE: &[u8] = b"done";

/// A money transfer between two bank accounts, run as
/// `MULTI; DECRBY from n; INCRBY to n; SET marker 1; SADD done i; EXEC`.
#[derive(Debug, Clone)]
struct Transfer {
    from: Vec<u8>,
    to: Vec<u8>,
    amount: i64,
    /// Set by the transaction, so the end knows whether it was applied.
    marker: Vec<u8>,
    acked: bool,
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
            Cmd::Multi => a.push(b"MULTI".to_vec()),
            Cmd::Queued(argv) => a.extend(argv.iter().cloned()),
            Cmd::ExecTransfer(_) | Cmd::ExecSum | Cmd::ExecTokens => a.push(b"EXEC".to_vec()),
            Cmd::Setup(argv) => a.extend(argv.iter().cloned()),
            Cmd::MoveToken(from, to) => a.extend([
                b"LMOVE".to_vec(),
                from.clone(),
                to.clone(),
                b"LEFT".to_vec(),
                b"RIGHT".to_vec(),
            ]),
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

type Fut = Pin<Box<dyn Future<Output = Session>>>;

struct SimConn {
    out: Rc<RefCell<Replies>>,
    st: Option<Session>,
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
    /// The shard process (keyspace and log); `None` while it is down.
    engine: Option<Engine<MemLog>>,
    /// The serving end of the current attachment.
    ch: Option<Channel>,
    /// The shard's log on disk, which outlives the process.
    disk: Rc<RefCell<Disk>>,
    slow: u32,
    generation: u64,
}

/// Totals over a run, for the report.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Totals {
    pub(crate) commands: u64,
    pub(crate) unavailable: u64,
    pub(crate) crashes: u64,
    pub(crate) full_waits: u64,
    pub(crate) transfers: u64,
    pub(crate) transfers_acked: u64,
    pub(crate) transfers_applied: u64,
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
    /// Bank accounts, one per shard and one more: transfers between them
    /// are transactions over several shards; their total stays 0.
    accounts: Vec<Vec<u8>>,
    transfers: Vec<Transfer>,
    /// Token queues, one per shard.
    queues: Vec<Vec<u8>>,
    /// The worker's resolver of transactions in doubt, started at an
    /// attach (as `server.rs` does), polled like a connection.
    resolver: Option<Pin<Box<dyn Future<Output = ()>>>>,
    /// An attach came while the resolver ran: run it again.
    resolve_again: bool,
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

fn conn_state(id: u64, proto: u8) -> Session {
    let addr: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 1));
    let acl = proxy::acl::Acl::default();
    let mut s = Session::new(Arc::new(ClientHandle::new(id, addr, addr, -1, 0, 0)), &acl);
    s.proto = Proto::from_version(proto);
    s
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
        let slots = proxy::slotmap::SlotMap::open(None, SHARDS).expect("a fresh map");
        let shared = Arc::new(Shared::new(cfg, sockets, slots));
        let w = Worker::new(0, shared).expect("worker");
        let clock = ManualClock::new(1_700_000_000_000);
        let shards = (0..SHARDS)
            .map(|_| {
                let disk = Rc::new(RefCell::new(Disk::default()));
                let ks = Keyspace::with_clock(Box::new(clock.clone()));
                (start_engine(&disk, ks).0, disk)
            })
            .map(|(engine, disk)| SimShard {
                engine: Some(engine),
                ch: None,
                disk,
                slow: 0,
                generation: 0,
            })
            .collect();
        let mut rng = StdRng::seed_from_u64(seed);
        let crash_per_mille = [0, 2, 5, 15][rng.gen_range(0..4)];
        let mut accounts: Vec<Vec<u8>> = Vec::new();
        for s in 0..SHARDS {
            let key = (0..)
                .map(|i| format!("acct:{i}").into_bytes())
                .find(|k| w.shared.shard_of(k) == s && !accounts.contains(k))
                .expect("a key on every shard");
            accounts.push(key);
        }
        accounts.push(b"acct:extra".to_vec());
        let mut queues: Vec<Vec<u8>> = Vec::new();
        for s in 0..SHARDS {
            let key = (0..)
                .map(|i| format!("q:{i}").into_bytes())
                .find(|k| w.shared.shard_of(k) == s)
                .expect("a key on every shard");
            queues.push(key);
        }
        let mut sim = Sim {
            accounts,
            transfers: Vec::new(),
            queues,
            resolver: None,
            resolve_again: false,
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
            out: Rc::new(RefCell::new(Replies::new())),
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

    // ---- the scheduler --------------------------------------------------

    async fn step_once(&mut self) -> Result<(), String> {
        self.step += 1;
        let s = self.rng.gen_range(0..SHARDS);
        let roll = self.rng.gen_range(0..1000);
        // Recovery steps pick among the shards they apply to.
        let hung_up = self.pick(|sim, s| sim.shards[s].ch.is_none() && sim.link_up(s));
        let down = self.pick(|sim, s| sim.shards[s].engine.is_none());
        let detached = self.pick(|sim, s| sim.shards[s].engine.is_some() && !sim.link_up(s));
        let shard_up = self.shards[s].engine.is_some();
        match (roll, hung_up, down, detached) {
            (0..=299, ..) => self.client_send(),
            (300..=399, ..) => self.flush(),
            (400..=559, ..) => {
                let k = self.rng.gen_range(1..=8);
                self.shard_execute(s, k)?;
            }
            (560..=679, ..) => self.shard_commit(s, true),
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
                if self.shards[s].engine.is_none() {
                    self.shard_restart(s);
                }
                if !self.w.links.borrow()[s].is_up() {
                    self.attach(s);
                }
            }
            self.flush();
            for s in 0..SHARDS {
                self.shard_execute(s, usize::MAX)?;
                self.shard_commit(s, false);
            }
            self.read_replies();
            self.poll_blocked();
            self.collect()?;
            let idle = self
                .conns
                .iter()
                .all(|c| c.blocked.is_none() && c.sent.is_empty())
                && self.resolver.is_none()
                // Nothing in flight: a decider's TXFORGET leaves after EXEC's reply.
                && self.w.links.borrow().iter().all(|l| l.inflight() == 0)
                && self.shards.iter().all(|sh| {
                    sh.engine
                        .as_ref()
                        .is_none_or(|e| e.xtx.gauges() == (0, 0, 0))
                });
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
        let locks: Vec<String> = self
            .shards
            .iter()
            .enumerate()
            .filter_map(|(i, sh)| sh.engine.as_ref().map(|e| (i, e.xtx.gauges())))
            .filter(|(_, g)| *g != (0, 0, 0))
            .map(|(i, g)| format!("s{i}: (live, locked, waiting) {g:?}"))
            .collect();
        Err(format!(
            "requests never answered: {}; transactions left: {}",
            left.join("; "),
            locks.join("; ")
        ))
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
        self.check_counter()?;
        self.check_bank()
    }

    async fn run(&mut self, steps: usize) -> Result<(), String> {
        let mut push = vec![b"RPUSH".to_vec(), self.queues[0].clone()];
        push.extend((0..TOKENS).map(|i| format!("t{i}").into_bytes()));
        self.send_cmd(0, Cmd::Setup(push));
        self.drain().await?;
        for _ in 0..steps {
            self.step_once().await?;
        }
        self.drain().await?;
        self.verify().await
    }
}

/// Runs `seed` on a runtime whose clock only the scheduler moves; the
/// steps are logged to `trace`.
fn simulate(seed: u64, steps: usize, trace: Rc<RefCell<Vec<String>>>) -> Result<Totals, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let mut sim = Sim::new(seed, trace);
        sim.run(steps).await.map(|()| sim.totals)
    })
}

/// Runs one seed; on failure returns the reason and the step trace.
pub(crate) fn run_seed(seed: u64, steps: usize) -> Result<Totals, (String, Vec<String>)> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let t = trace.clone();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        simulate(seed, steps, t)
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

/// The trace of a passing seed (`SIM_SEED=x SIM_TRACE=1`).
pub(crate) fn run_trace(seed: u64, steps: usize) -> Vec<String> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let _ = simulate(seed, steps, trace.clone());
    trace.take()
}
