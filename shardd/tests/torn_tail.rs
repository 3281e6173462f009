//! A log torn by a crash, loaded the way a restarting shard loads it.
//!
//! Random write commands (strings, counters, lists, hashes, a relative
//! expiry that the log rewrites) run against a keyspace and are logged
//! through the real `DataDir` and `AofWriter` in batches, each batch
//! synced. The finished log is then cut at every record boundary and at
//! many random offsets (seeded), with and without the zeros a file system
//! may leave after a crash, and each cut is loaded with `DataDir::open`
//! into a fresh keyspace. The keyspace must equal an independent model
//! after the last command whose record ends before the cut; the torn bytes
//! must be cut off the file; and a shard must be able to log on after the
//! tear and load everything again.
//!
//! `src/persist/aof.rs` tests the record reader alone (every cut of a
//! small log); this test goes through directory loading and command replay.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    path::{Path, PathBuf},
    time::{SystemTime, UNIX_EPOCH},
};

use rand::{rngs::StdRng, Rng, SeedableRng};
use shardd::{
    commands::{execute, Changes},
    keyspace::Keyspace,
    persist::{
        aof::Fsync,
        dir::{lock, DataDir},
        WriteLog,
    },
    reply::{Proto, Reply},
};

const SEED: u64 = 0x5eed_7041;
/// Commands in the log.
const COMMANDS: usize = 400;
/// Random cuts, besides one at every record boundary.
const RANDOM_CUTS: usize = 300;
/// A file system's block: a crash can leave zeros up to its end.
const BLOCK_BYTES: usize = 4096;

const STRINGS: usize = 6;
const COUNTERS: usize = 4;
const LISTS: usize = 4;
const HASHES: usize = 4;
const FIELDS: usize = 5;

/// A value in the model.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Str(Vec<u8>),
    List(VecDeque<Vec<u8>>),
    Hash(BTreeMap<Vec<u8>, Vec<u8>>),
}

type Model = HashMap<String, Value>;

/// A directory removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let p = std::env::temp_dir().join(format!("shardd-torn-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create the directory");
        Dir(p)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn run(ks: &mut Keyspace, args: &[Vec<u8>]) -> Vec<u8> {
    let argv: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
    let mut out = Vec::new();
    execute(ks, &argv, &mut Reply::new(&mut out, Proto::Resp2));
    out
}

fn args(parts: &[&str]) -> Vec<Vec<u8>> {
    parts.iter().map(|p| p.as_bytes().to_vec()).collect()
}

/// A random write command, applied to the model as Redis would apply it.
fn random_command(rng: &mut StdRng, m: &mut Model, i: usize) -> Vec<Vec<u8>> {
    let v = format!("v{i}");
    match rng.gen_range(0..9) {
        0 | 1 => {
            let k = format!("s{}", rng.gen_range(0..STRINGS));
            m.insert(k.clone(), Value::Str(v.clone().into_bytes()));
            if rng.gen_bool(0.3) {
                // Logged as SET k v PXAT <absolute>: the rewrite replays.
                args(&["SET", &k, &v, "PX", "3600000"])
            } else {
                args(&["SET", &k, &v])
            }
        }
        2 => {
            let k = format!("s{}", rng.gen_range(0..STRINGS));
            let e = m.entry(k.clone()).or_insert(Value::Str(Vec::new()));
            if let Value::Str(s) = e {
                s.extend_from_slice(v.as_bytes());
            }
            args(&["APPEND", &k, &v])
        }
        3 => {
            let k = format!("n{}", rng.gen_range(0..COUNTERS));
            let by: i64 = rng.gen_range(-5..50);
            let old = match m.get(&k) {
                Some(Value::Str(s)) => std::str::from_utf8(s).ok().and_then(|s| s.parse().ok()),
                _ => None,
            }
            .unwrap_or(0i64);
            m.insert(k.clone(), Value::Str((old + by).to_string().into_bytes()));
            args(&["INCRBY", &k, &by.to_string()])
        }
        4 => {
            let k = format!("l{}", rng.gen_range(0..LISTS));
            let e = m.entry(k.clone()).or_insert(Value::List(VecDeque::new()));
            if let Value::List(l) = e {
                l.push_back(v.clone().into_bytes());
            }
            args(&["RPUSH", &k, &v])
        }
        5 => {
            let k = format!("l{}", rng.gen_range(0..LISTS));
            if let Some(Value::List(l)) = m.get_mut(&k) {
                l.pop_front();
                if l.is_empty() {
                    m.remove(&k);
                }
            }
            args(&["LPOP", &k])
        }
        6 => {
            let k = format!("h{}", rng.gen_range(0..HASHES));
            let f = format!("f{}", rng.gen_range(0..FIELDS));
            let e = m.entry(k.clone()).or_insert(Value::Hash(BTreeMap::new()));
            if let Value::Hash(h) = e {
                h.insert(f.clone().into_bytes(), v.clone().into_bytes());
            }
            args(&["HSET", &k, &f, &v])
        }
        7 => {
            let k = format!("h{}", rng.gen_range(0..HASHES));
            let f = format!("f{}", rng.gen_range(0..FIELDS));
            if let Some(Value::Hash(h)) = m.get_mut(&k) {
                h.remove(f.as_bytes());
                if h.is_empty() {
                    m.remove(&k);
                }
            }
            args(&["HDEL", &k, &f])
        }
        _ => {
            let k = universe()[rng.gen_range(0..universe().len())].clone();
            m.remove(&k);
            args(&["DEL", &k])
        }
    }
}

fn universe() -> Vec<String> {
    let mut keys = Vec::new();
    keys.extend((0..STRINGS).map(|i| format!("s{i}")));
    keys.extend((0..COUNTERS).map(|i| format!("n{i}")));
    keys.extend((0..LISTS).map(|i| format!("l{i}")));
    keys.extend((0..HASHES).map(|i| format!("h{i}")));
    keys
}

fn bulk(b: &[u8]) -> Vec<u8> {
    let mut out = format!("${}\r\n", b.len()).into_bytes();
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
    out
}

/// Differences between the keyspace and the model, read back through
/// commands (GET, LRANGE, HGET, HLEN, DBSIZE).
fn differences(ks: &mut Keyspace, m: &Model) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |cmd: Vec<Vec<u8>>, want: Vec<u8>, ks: &mut Keyspace| {
        let got = run(ks, &cmd);
        if got != want {
            diffs.push(format!(
                "{:?}: got {:?}, want {:?}",
                String::from_utf8_lossy(&cmd.concat()),
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want)
            ));
        }
    };
    check(
        args(&["DBSIZE"]),
        format!(":{}\r\n", m.len()).into_bytes(),
        ks,
    );
    for k in universe() {
        match (k.as_bytes()[0], m.get(&k)) {
            (b's' | b'n', v) => {
                let want = match v {
                    Some(Value::Str(s)) => bulk(s),
                    _ => b"$-1\r\n".to_vec(),
                };
                check(args(&["GET", &k]), want, ks);
            }
            (b'l', v) => {
                let items: Vec<&Vec<u8>> = match v {
                    Some(Value::List(l)) => l.iter().collect(),
                    _ => Vec::new(),
                };
                let mut want = format!("*{}\r\n", items.len()).into_bytes();
                for i in items {
                    want.extend(bulk(i));
                }
                check(args(&["LRANGE", &k, "0", "-1"]), want, ks);
            }
            (_, v) => {
                let h = match v {
                    Some(Value::Hash(h)) => h.clone(),
                    _ => BTreeMap::new(),
                };
                check(
                    args(&["HLEN", &k]),
                    format!(":{}\r\n", h.len()).into_bytes(),
                    ks,
                );
                for f in 0..FIELDS {
                    let f = format!("f{f}");
                    let want = h.get(f.as_bytes()).map_or(b"$-1\r\n".to_vec(), |v| bulk(v));
                    check(args(&["HGET", &k, &f]), want, ks);
                }
            }
        }
    }
    diffs
}

/// Writes the log: returns its bytes, the models after each command
/// (`models[k]`: after the first k) and where each command's record ends
/// (`ends[k]`: the log's length once the first k are logged).
fn write_log(dir: &Path) -> (Vec<u8>, Vec<Model>, Vec<u64>) {
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut ks = Keyspace::new();
    let lk = lock(dir).expect("lock");
    let (mut dd, _) = DataDir::open(dir, lk, Some(Fsync::Always), &mut ks).expect("open");
    let mut model = Model::new();
    let mut models = vec![model.clone()];
    let mut ends = vec![dd.aof().expect("a log").size()];
    let mut batch_left = rng.gen_range(1..12);
    for i in 0..COMMANDS {
        let cmd = random_command(&mut rng, &mut model, i);
        let reply = run(&mut ks, &cmd);
        let argv: Vec<&[u8]> = cmd.iter().map(Vec::as_slice).collect();
        dd.append(0, &argv, &reply, now_ms(), Changes::ONE);
        models.push(model.clone());
        ends.push(dd.aof().expect("a log").size());
        batch_left -= 1;
        if batch_left == 0 {
            dd.aof()
                .expect("a log")
                .flush_batch()
                .expect("flush a batch");
            batch_left = rng.gen_range(1..12);
        }
    }
    dd.aof().expect("a log").sync_now().expect("sync");
    let diffs = differences(&mut ks, &model);
    assert!(
        diffs.is_empty(),
        "the live keyspace differs from the model: {diffs:#?}"
    );
    let path = log_file(dir);
    let bytes = std::fs::read(&path).expect("read the log");
    assert_eq!(bytes.len() as u64, *ends.last().expect("ends"));
    (bytes, models, ends)
}

fn log_file(dir: &Path) -> PathBuf {
    dir.join("aof.1.log")
}

/// Loads `dir` as a restarting shard does.
fn load(dir: &Path) -> (DataDir, Keyspace, shardd::persist::dir::LoadStats) {
    let mut ks = Keyspace::new();
    let lk = lock(dir).expect("lock");
    let (dd, stats) = DataDir::open(dir, lk, Some(Fsync::No), &mut ks).expect("load the torn log");
    (dd, ks, stats)
}

/// Writes `bytes` as the only log of a fresh `dir`.
fn put_log(dir: &Path, bytes: &[u8]) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).expect("create");
    std::fs::write(log_file(dir), bytes).expect("write the torn log");
}

/// `bytes` followed by zeros up to the end of its last block.
fn zero_filled(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.resize(bytes.len().div_ceil(BLOCK_BYTES) * BLOCK_BYTES, 0);
    out
}

/// How many commands' records lie wholly within the first `cut` bytes.
fn whole_before(ends: &[u64], cut: usize) -> usize {
    ends.iter().rposition(|&e| e as usize <= cut).unwrap_or(0)
}

/// Loads `dir`, whose log holds `len` bytes of which the first `kept` are
/// whole records (the first `k` commands); checks the keyspace and the cut;
/// then logs one more command and checks that everything loads again.
fn check_load(dir: &Path, len: usize, kept: u64, model: &Model, what: &str) {
    let (mut dd, mut ks, stats) = load(dir);
    let diffs = differences(&mut ks, model);
    assert!(diffs.is_empty(), "{what}: {diffs:#?}");
    assert_eq!(stats.torn_bytes, len as u64 - kept, "{what}: torn bytes");
    assert_eq!(
        std::fs::metadata(log_file(dir))
            .map(|m| m.len())
            .unwrap_or(0),
        kept.max(8),
        "{what}: the file is cut after the last whole record"
    );
    // The shard logs on after the tear, and all of it loads again.
    let extra = args(&["SET", "s0", "after-the-tear"]);
    let reply = run(&mut ks, &extra);
    let argv: Vec<&[u8]> = extra.iter().map(Vec::as_slice).collect();
    dd.append(0, &argv, &reply, now_ms(), Changes::ONE);
    dd.aof().expect("a log").sync_now().expect("sync");
    drop(dd);
    let mut want = model.clone();
    want.insert("s0".into(), Value::Str(b"after-the-tear".to_vec()));
    let (_dd, mut ks, stats) = load(dir);
    let diffs = differences(&mut ks, &want);
    assert!(diffs.is_empty(), "{what}, after logging on: {diffs:#?}");
    assert_eq!(stats.torn_bytes, 0, "{what}: nothing torn the second time");
}

#[test]
fn a_log_torn_anywhere_loads_the_commands_before_the_tear() {
    let src = Dir::new("src");
    let (full, models, ends) = write_log(&src.0);
    let mut rng = StdRng::seed_from_u64(SEED ^ 1);
    let mut cuts: Vec<usize> = ends.iter().map(|&e| e as usize).collect();
    cuts.extend((0..RANDOM_CUTS).map(|_| rng.gen_range(0..=full.len())));
    let work = Dir::new("work");
    for &cut in &cuts {
        let k = whole_before(&ends, cut);
        // Inside the magic: the file was being created; nothing was logged.
        let kept = if cut < ends[0] as usize { 0 } else { ends[k] };
        put_log(&work.0, &full[..cut]);
        check_load(&work.0, cut, kept, &models[k], &format!("cut at {cut}"));
    }
}

/// A crash can also leave the end of the last block as zeros (allocated,
/// never written). After whole records that is a torn tail like any other.
#[test]
fn zeros_after_the_last_whole_record_are_cut_off() {
    let src = Dir::new("zsrc");
    let (full, models, ends) = write_log(&src.0);
    let work = Dir::new("zwork");
    for (k, &end) in ends.iter().enumerate().step_by(3) {
        let bytes = zero_filled(&full[..end as usize]);
        put_log(&work.0, &bytes);
        check_load(
            &work.0,
            bytes.len(),
            end,
            &models[k],
            &format!("zeros after record {k}"),
        );
    }
}

/// A record cut short *and* followed by zeros (a batch whose file size
/// reached the disk but whose last pages did not) is a torn tail: it loads
/// exactly the commands before the tear.
#[test]
fn a_record_cut_short_then_zeros_loads_everything_before_the_tear() {
    let src = Dir::new("msrc");
    let (full, models, ends) = write_log(&src.0);
    let mut rng = StdRng::seed_from_u64(SEED ^ 2);
    let work = Dir::new("mwork");
    let mut loaded = 0;
    for _ in 0..RANDOM_CUTS / 3 {
        let cut = rng.gen_range(ends[0] as usize..full.len());
        let k = whole_before(&ends, cut);
        let bytes = zero_filled(&full[..cut]);
        put_log(&work.0, &bytes);
        let lk = lock(&work.0).expect("lock");
        let mut ks = Keyspace::new();
        match DataDir::open(&work.0, lk, Some(Fsync::No), &mut ks) {
            Ok(_) => {
                loaded += 1;
                let diffs = differences(&mut ks, &models[k]);
                assert!(diffs.is_empty(), "cut at {cut} then zeros: {diffs:#?}");
            }
            Err(e) => panic!("cut at {cut} then zeros refused: {e}"),
        }
    }
    eprintln!("record cut short then zeros: {loaded} loaded correctly");
}
