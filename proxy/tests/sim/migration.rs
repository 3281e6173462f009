//! Deterministic simulation of the migration protocol (`proxy/MIGRATION.md`)
//! with a crash at every step.
//!
//! The real protocol code (`proxy::migrate::{move_batch, settle}`) runs
//! against two in-process shards running the real shard loop
//! (`shardd::server::Engine`, `serve_channel`, the real `SHARDD.SLOTDUMP`,
//! `SHARDD.SLOTS`, `RESTORE`, their logging and replay through the
//! in-memory [`Disk`]; the owned slots in a real `slots` file) and a real
//! slot map file. Every action the protocol takes is a step: a write of
//! the map, the pause, each request. For every step `k` and every victim
//! (the source, the target, the proxy) a fresh world runs a batch move and
//! the victim crashes at step `k`: a shard keeps its committed log and its
//! slots file and loses the rest (it answers `-ERR shard N is
//! unavailable` until it restarts); the proxy stops where it is and keeps
//! only its map file. Recovery restarts everything, reopens the map and
//! settles the recorded move (itself crashed, again, at every step of
//! its own, then settled once more).
//!
//! Checked after recovery: the map records no move; every key of the data
//! set is on exactly one shard, the one the map gives its slot, with its
//! value and expiry; no shard holds a key of a slot it does not own; each
//! shard's owned slots are the map's; and the same batch moved again then
//! ends with every moved key on the target.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
    future::Future,
    path::PathBuf,
    pin::pin,
    rc::Rc,
    task::{Context, Poll, Waker},
};

use common::{reply::Proto, slot::key_slot, slotset::SlotSet, table, wire::REQ_FLAG_WRITE};
use proxy::{
    link::Req,
    migrate::{move_batch, settle, Cluster},
    slotmap::SlotMap,
    xtx::Ask,
};
use shardd::{
    clock::ManualClock,
    keyspace::Keyspace,
    server::{serve_channel, Engine},
    slots::Owned,
};
use shared_ring::{msg, Channel, Hello, RingConfig};

use super::shard::{start_engine, Disk, MemLog};

/// The shards: 0 is the source, 1 the target.
const SHARDS: usize = 2;

/// Who crashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Victim {
    Source,
    Target,
    Proxy,
}

const VICTIMS: [Victim; 3] = [Victim::Source, Victim::Target, Victim::Proxy];

struct SimShard {
    engine: Option<Engine<MemLog>>,
    /// (proxy end, shard end).
    ch: Option<(Channel, Channel)>,
    disk: Rc<RefCell<Disk>>,
    dir: PathBuf,
}

/// One world: two shards, a map file, a crash plan.
struct World {
    shards: RefCell<Vec<SimShard>>,
    map: SlotMap,
    root: PathBuf,
    clock: ManualClock,
    /// Steps taken so far.
    steps: Cell<usize>,
    /// Crash `victim` when step `at` comes.
    crash: Cell<Option<(usize, Victim)>>,
    proxy_dead: Cell<bool>,
    next_id: Cell<u64>,
    trace: RefCell<Vec<String>>,
}

/// The data set: key -> (database, value form, expiry).
type Model = BTreeMap<(usize, Vec<u8>), (Vec<u8>, Option<u64>)>;

impl World {
    fn new(root: PathBuf) -> World {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).expect("a sim dir");
        let map = SlotMap::open(Some(root.join("slots.map")), SHARDS).expect("a map");
        let clock = ManualClock::new(1_700_000_000_000);
        let shards = (0..SHARDS)
            .map(|i| SimShard {
                engine: None,
                ch: None,
                disk: Rc::default(),
                dir: root.join(format!("shard-{i}")),
            })
            .collect();
        let w = World {
            shards: RefCell::new(shards),
            map,
            root,
            clock,
            steps: Cell::new(0),
            crash: Cell::new(None),
            proxy_dead: Cell::new(false),
            next_id: Cell::new(0),
            trace: RefCell::new(Vec::new()),
        };
        for i in 0..SHARDS {
            w.start_shard(i);
        }
        w
    }

    fn log(&self, line: String) {
        self.trace.borrow_mut().push(line);
    }

    /// (Re)starts shard `i` from its disk and its slots file.
    fn start_shard(&self, i: usize) {
        let mut shards = self.shards.borrow_mut();
        let sh = &mut shards[i];
        let ks = Keyspace::with_clock(Box::new(self.clock.clone()));
        let (mut engine, _) = start_engine(&sh.disk, ks);
        std::fs::create_dir_all(&sh.dir).expect("a shard dir");
        let initial = self.map.snapshot().slots_of(i);
        engine.owned = Owned::load(Some(&sh.dir), Some(initial)).expect("its slots");
        let cfg = RingConfig {
            capacity_bytes: 1 << 16,
            max_record_bytes: 1 << 22,
        };
        let pair = Channel::local_pair(cfg, Hello::default(), Hello::default()).expect("rings");
        sh.engine = Some(engine);
        sh.ch = Some(pair);
    }

    fn crash_shard(&self, i: usize) {
        let mut shards = self.shards.borrow_mut();
        let sh = &mut shards[i];
        sh.engine = None;
        sh.ch = None;
        // Every round committed before its replies left: nothing written
        // after the last commit survives.
        sh.disk.borrow_mut().lose_uncommitted();
    }

    /// One step of the protocol; false if the proxy died at it.
    fn step(&self, what: &str) -> bool {
        if self.proxy_dead.get() {
            return false;
        }
        let n = self.steps.get() + 1;
        self.steps.set(n);
        if let Some((at, victim)) = self.crash.get() {
            if at == n {
                self.log(format!("step {n} ({what}): {victim:?} CRASHES"));
                match victim {
                    Victim::Source => self.crash_shard(0),
                    Victim::Target => self.crash_shard(1),
                    Victim::Proxy => {
                        self.proxy_dead.set(true);
                        return false;
                    }
                }
                return true;
            }
        }
        self.log(format!("step {n}: {what}"));
        true
    }

    /// Runs one request on shard `s` through its rings and the real loop.
    fn exec(&self, s: usize, req: Req, args: &[Vec<u8>]) -> Vec<u8> {
        let mut shards = self.shards.borrow_mut();
        let sh = &mut shards[s];
        let (Some(engine), Some((proxy_end, shard_end))) = (sh.engine.as_mut(), sh.ch.as_mut())
        else {
            return format!("-ERR shard {s} is unavailable\r\n").into_bytes();
        };
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let h = msg::RequestHeader {
            id,
            proto: req.proto.version(),
            flags: req.flags,
            kind: req.cmd as u16,
            origin: req.origin,
            db: req.db,
        };
        let len = msg::request_len(args);
        proxy_end
            .tx
            .try_write(len, |buf| msg::write_request(buf, h, args))
            .expect("room for the request");
        let mut reply = None;
        for _ in 0..10_000 {
            let _ = proxy_end.tx.pump();
            proxy_end.tx.publish();
            serve_channel(shard_end, engine, 64).expect("the shard's rings");
            engine
                .finish_round(std::iter::once(&mut *shard_end))
                .expect("a commit");
            let _ = shard_end.tx.pump();
            shard_end.tx.publish();
            proxy_end
                .rx
                .poll(|rec| {
                    if let Ok((rid, _, body)) = msg::parse_reply(rec) {
                        if rid == id {
                            reply = Some(body.to_vec());
                        }
                    }
                    true
                })
                .expect("the reply ring");
            if reply.is_some() {
                break;
            }
        }
        reply.expect("a reply within the bound")
    }

    /// Writes the data set: keys of several types in the moving slots and
    /// beside them, in databases 0 and 2, some with an expiry.
    fn load(&self, moving: &SlotSet) -> Model {
        let mut made = Vec::new();
        let (mut inside, mut outside) = (0, 0);
        let mut i = 0u32;
        while inside < 6 || outside < 4 {
            let key = format!("k{i}");
            i += 1;
            let slot = key_slot(key.as_bytes());
            let here = moving.contains(slot);
            if (here && inside >= 6) || (!here && (outside >= 4 || slot >= 8192)) {
                continue;
            }
            match here {
                true => inside += 1,
                false => outside += 1,
            }
            made.push(key);
        }
        for (n, key) in made.iter().enumerate() {
            let db = if n % 3 == 2 { 2 } else { 0 };
            let args: Vec<&str> = match n % 4 {
                0 => vec!["SET", key, "v"],
                1 => vec!["RPUSH", key, "a", "b"],
                2 => vec!["HSET", key, "f", "x"],
                _ => vec!["SET", key, "t", "PX", "100000000"],
            };
            let spec = table::resolve(&args.iter().map(|a| a.as_bytes()).collect::<Vec<_>>())
                .expect("a known command");
            let mut req = Req::new(spec, Proto::Resp2, 0, db);
            req.flags |= REQ_FLAG_WRITE;
            let owned: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
            let shard = self.map.owner(key_slot(key.as_bytes()));
            let r = self.exec(shard, req, &owned);
            assert!(
                !r.starts_with(b"-"),
                "{args:?}: {}",
                String::from_utf8_lossy(&r)
            );
        }
        self.contents().into_values().flatten().collect()
    }

    /// Every key of every shard: shard -> model.
    fn contents(&self) -> BTreeMap<usize, Model> {
        let mut out = BTreeMap::new();
        let mut shards = self.shards.borrow_mut();
        for (s, sh) in shards.iter_mut().enumerate() {
            let Some(engine) = sh.engine.as_mut() else {
                continue;
            };
            let mut m = Model::new();
            for db in engine.ks.used_dbs() {
                engine.ks.in_db(db, |ks| {
                    let _ = ks.try_for_each_entry(|k, at, v| {
                        m.insert((db, k.to_vec()), (shardd::dump::encode(v), at));
                        Ok::<(), ()>(())
                    });
                });
            }
            out.insert(s, m);
        }
        out
    }

    /// The checks after recovery (module docs).
    fn check(&self, model: &Model) -> Result<(), String> {
        let map = self.map.snapshot();
        if let Some(m) = &map.moving {
            return Err(format!("the map still records a move: {m:?}"));
        }
        let mut seen = Model::new();
        for (s, keys) in self.contents() {
            for ((db, k), v) in keys {
                let owner = map.owners[key_slot(&k) as usize] as usize;
                if owner != s {
                    return Err(format!(
                        "shard {s} holds {} (db {db}) of shard {owner}'s slot",
                        String::from_utf8_lossy(&k)
                    ));
                }
                if seen.insert((db, k.clone()), v).is_some() {
                    return Err(format!("{} twice", String::from_utf8_lossy(&k)));
                }
            }
            let shards = self.shards.borrow();
            let owned = shards[s]
                .engine
                .as_ref()
                .and_then(|e| e.owned.get().cloned());
            if owned.as_deref() != Some(&map.slots_of(s)) {
                return Err(format!(
                    "shard {s} owns {owned:?}, the map says {:?}",
                    map.slots_of(s)
                ));
            }
        }
        if &seen != model {
            let lost: Vec<String> = model
                .keys()
                .filter(|k| !seen.contains_key(*k))
                .map(|(_, k)| String::from_utf8_lossy(k).into_owned())
                .collect();
            return Err(format!("the data differ from the model; lost: {lost:?}"));
        }
        Ok(())
    }

    /// After a crash: every shard back, the proxy back with its map file,
    /// the recorded move settled (crashing again as `again` says).
    fn recover(&mut self, again: Option<(usize, Victim)>) -> Result<(), String> {
        for i in 0..SHARDS {
            if self.shards.borrow()[i].engine.is_none() {
                self.start_shard(i);
            }
        }
        self.map = SlotMap::open(Some(self.root.join("slots.map")), SHARDS)?;
        self.proxy_dead.set(false);
        self.steps.set(0);
        self.crash.set(again);
        if let Some(m) = self.map.snapshot().moving {
            let r = run_now(settle(&*self, &m));
            self.log(format!("settle: {r:?}"));
        }
        Ok(())
    }
}

impl Cluster for World {
    type Held<'a> = ();

    fn slots(&self) -> &SlotMap {
        &self.map
    }

    fn change(&self, f: impl FnOnce(&mut proxy::slotmap::MapData)) -> Result<(), String> {
        if !self.step("write the map") {
            return Err("the proxy died".into());
        }
        self.map.change(f).map_err(|e| e.to_string())
    }

    async fn hold(&self) -> Option<()> {
        if !self.step("pause") {
            std::future::pending::<()>().await;
        }
        Some(())
    }

    async fn ask(&self, asks: &[Ask]) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(asks.len());
        for a in asks {
            let what = String::from_utf8_lossy(a.args.first().map_or(&b""[..], |v| v)).into_owned();
            if !self.step(&format!("{what} to shard {}", a.shard)) {
                std::future::pending::<()>().await;
            }
            out.push(self.exec(a.shard, a.req, &a.args));
        }
        out
    }
}

/// Polls `fut` until it is ready or stuck (the proxy died in it: dropped).
fn run_now<F: Future>(fut: F) -> Option<F::Output> {
    let mut fut = pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        Poll::Ready(v) => Some(v),
        Poll::Pending => None,
    }
}

/// Totals of a full run.
#[derive(Debug, Default)]
pub struct MigrationTotals {
    /// Worlds run.
    pub worlds: usize,
    /// Steps a clean move takes.
    pub steps: usize,
}

/// Every crash point of a batch move and of the settling after it.
pub fn crash_at_every_step() -> Result<MigrationTotals, String> {
    let root = std::env::temp_dir().join(format!("shardis-migration-sim-{}", std::process::id()));
    let moving: SlotSet = {
        let mut s = SlotSet::default();
        for slot in [5, 6, 1000, 4242] {
            s.insert(slot);
        }
        s
    };
    // A clean run counts the steps.
    let clean = World::new(root.clone());
    let model = clean.load(&moving);
    let moved = run_now(move_batch(&clean, 0, 1, &moving)).ok_or("a clean move stuck")??;
    clean.check(&model)?;
    if moved == 0 {
        return Err("the clean move moved nothing".into());
    }
    let steps = clean.steps.get();
    drop(clean);
    let mut totals = MigrationTotals { worlds: 1, steps };
    for at in 1..=steps {
        for victim in VICTIMS {
            for again in std::iter::once(None)
                .chain((1..=6).flat_map(|k| VICTIMS.into_iter().map(move |v| Some((k, v)))))
            {
                totals.worlds += 1;
                let mut w = World::new(root.clone());
                let model = w.load(&moving);
                w.steps.set(0);
                w.crash.set(Some((at, victim)));
                let r = run_now(move_batch(&w, 0, 1, &moving));
                w.log(format!("the move: {r:?}"));
                let result = w
                    .recover(again)
                    .and_then(|()| w.recover(None))
                    .and_then(|()| w.check(&model))
                    .and_then(|()| {
                        // The move, asked again, goes through.
                        w.crash.set(None);
                        w.steps.set(0);
                        run_now(move_batch(&w, 0, 1, &moving)).ok_or("stuck")??;
                        w.check(&model)?;
                        let map = w.map.snapshot();
                        match moving.iter().all(|s| map.owners[s as usize] == 1) {
                            true => Ok(()),
                            false => Err("the slots did not reach the target".into()),
                        }
                    });
                if let Err(e) = result {
                    let trace = w.trace.borrow().join("\n");
                    let _ = std::fs::remove_dir_all(&root);
                    return Err(format!(
                        "crash of {victim:?} at step {at}, then {again:?}: {e}\n{trace}"
                    ));
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    Ok(totals)
}
