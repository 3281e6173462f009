//! Keyspace tests: behaviour by example, a model-based property test with
//! an injected clock, and an ignored memory measurement.

use std::collections::{HashMap, HashSet};

use proptest::prelude::*;

use super::*;
use crate::clock::ManualClock;

fn ks_at(ms: u64) -> (Keyspace, ManualClock) {
    let clock = ManualClock::new(ms);
    (Keyspace::with_clock(Box::new(clock.clone())), clock)
}

fn s(v: &[u8]) -> Value {
    Value::Str(v.to_vec())
}

#[test]
fn key_expires_lazily_by_the_injected_clock() {
    let (mut ks, clock) = ks_at(1_000);
    ks.insert_with_expiry(b"k", s(b"v"), Some(1_500));
    assert!(ks.exists(b"k"));
    clock.advance(500);
    assert!(!ks.exists(b"k"));
    assert_eq!(ks.len(), 0);
    assert_eq!(ks.expired_total(), 1);
}

#[test]
fn insert_keep_ttl_keeps_a_live_ttl() {
    let (mut ks, _) = ks_at(0);
    ks.insert_with_expiry(b"k", s(b"a"), Some(100));
    ks.insert_keep_ttl(b"k", s(b"b"));
    assert_eq!(ks.expire_at(b"k"), Some(Some(100)));
    ks.insert(b"k", s(b"c"));
    assert_eq!(ks.expire_at(b"k"), Some(None));
    assert_eq!(ks.ttl_keys(), 0);
}

#[test]
fn strings_and_collections_read_back() {
    let (mut ks, _) = ks_at(0);
    ks.insert_str(b"s", b"hello");
    ks.insert(b"h", Value::Hash(Box::default()));
    assert!(matches!(ks.get(b"s"), Some(ValueRef::Str(b"hello"))));
    assert_eq!(ks.get(b"h").map(|v| v.type_name()), Some("hash"));
    assert!(matches!(ks.get_mut(b"h"), Some(ValueMut::Hash(_))));
    assert!(matches!(ks.take(b"s"), Some(Value::Str(v)) if v == b"hello"));
    assert!(ks.delete(b"h"));
    assert!(ks.is_empty());
    assert_eq!(ks.memory_stats().keys, 0);
}

#[test]
fn past_expiry_deletes_and_persist_clears() {
    let (mut ks, _) = ks_at(50);
    ks.insert_str(b"a", b"1");
    assert!(ks.set_expire_at(b"a", 100));
    assert_eq!(ks.ttl_keys(), 1);
    assert!(ks.persist(b"a"));
    assert!(!ks.persist(b"a"));
    assert_eq!(ks.ttl_keys(), 0);
    assert!(ks.set_expire_at(b"a", 50));
    assert!(!ks.exists(b"a"));
    assert!(!ks.set_expire_at(b"missing", 500));
}

#[test]
fn active_expiry_removes_due_keys_within_budget() {
    let (mut ks, clock) = ks_at(0);
    for i in 0..100u32 {
        ks.insert_str_with_expiry(&i.to_be_bytes(), b"v", Some(10 + (i % 2) as u64 * 1_000));
    }
    ks.insert_str(b"forever", b"v");
    clock.set(20);
    assert_eq!(ks.active_expire_cycle(10), 10);
    assert_eq!(ks.active_expire_cycle(1_000), 40);
    assert_eq!(ks.active_expire_cycle(1_000), 0);
    assert_eq!(ks.len(), 51);
    clock.set(2_000);
    assert_eq!(ks.active_expire_cycle(1_000), 50);
    assert_eq!(ks.len(), 1);
    assert_eq!(ks.expired_total(), 100);
}

#[test]
fn active_expiry_skips_keys_whose_ttl_moved_later() {
    let (mut ks, clock) = ks_at(0);
    ks.insert_str_with_expiry(b"k", b"v", Some(10));
    assert!(ks.set_expire_at(b"k", 100));
    clock.set(50);
    assert_eq!(ks.active_expire_cycle(10), 0);
    assert!(ks.exists(b"k"));
    clock.set(100);
    assert_eq!(ks.active_expire_cycle(10), 1);
}

#[test]
fn expiry_index_stays_bounded_under_repeated_expire() {
    let (mut ks, _) = ks_at(0);
    ks.insert_str(b"k", b"v");
    for t in 1..100_000 {
        ks.set_expire_at(b"k", 1_000_000 + t);
    }
    assert!(ks.db.expiry.len() <= expiry::REBUILD_FLOOR_ITEMS + 1);
}

#[test]
fn scan_visits_every_key_once_across_resizes() {
    let (mut ks, _) = ks_at(0);
    for i in 0..2_000u32 {
        ks.insert_str(format!("key:{i}").as_bytes(), b"v");
    }
    let mut seen = HashSet::new();
    let mut cursor = 0;
    let mut step = 0u32;
    loop {
        let (next, keys) = ks.scan(cursor, 10, ScanFilter::default());
        let keys: Vec<Vec<u8>> = keys.into_iter().map(<[u8]>::to_vec).collect();
        for k in keys {
            assert!(seen.insert(k), "key returned twice");
        }
        // Grow the tables mid-scan with keys that may or may not be seen.
        for j in 0..50 {
            ks.insert_str(format!("new:{step}:{j}").as_bytes(), b"v");
        }
        step += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    for i in 0..2_000u32 {
        assert!(seen.contains(format!("key:{i}").as_bytes()));
    }
}

#[test]
fn scan_filters_by_pattern_and_type() {
    let (mut ks, _) = ks_at(0);
    ks.insert_str(b"user:1", b"a");
    ks.insert_str(b"other", b"a");
    ks.insert(b"user:h", Value::Hash(Box::default()));
    let filter = ScanFilter {
        pattern: Some(b"user:*"),
        type_name: Some(b"STRING"),
    };
    let (next, keys) = ks.scan(0, 100_000, filter);
    assert_eq!(next, 0);
    assert_eq!(keys, vec![&b"user:1"[..]]);
    let mut all = ks.keys(b"*");
    all.sort();
    assert_eq!(all, vec![&b"other"[..], b"user:1", b"user:h"]);
}

#[test]
fn slots_count_and_list_their_keys() {
    let (mut ks, _) = ks_at(0);
    ks.insert_str(b"{t}a", b"1");
    ks.insert_str(b"{t}b", b"1");
    let slot = crate::slot::key_slot(b"t");
    assert_eq!(ks.count_in_slot(slot), 2);
    assert_eq!(ks.keys_in_slot(slot, 1).len(), 1);
    assert_eq!(ks.keys_in_slot(slot, 10).len(), 2);
    assert_eq!(ks.memory_stats().slots_in_use, 1);
}

#[test]
fn random_key_skips_and_removes_expired_keys() {
    let (mut ks, clock) = ks_at(0);
    assert_eq!(ks.random_key(), None);
    ks.insert_str_with_expiry(b"gone", b"v", Some(5));
    ks.insert_str(b"live", b"v");
    clock.set(10);
    for _ in 0..20 {
        assert_eq!(ks.random_key().as_deref(), Some(&b"live"[..]));
    }
    assert_eq!(ks.len(), 1);
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, Option<u64>),
    InsertKeepTtl(u8),
    Remove(u8),
    Delete(u8),
    Get(u8),
    Expire(u8, u64),
    Persist(u8),
    Advance(u64),
    ActiveExpire(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..24;
    prop_oneof![
        (key.clone(), proptest::option::of(0u64..200)).prop_map(|(k, t)| Op::Insert(k, t)),
        key.clone().prop_map(Op::InsertKeepTtl),
        key.clone().prop_map(Op::Remove),
        key.clone().prop_map(Op::Delete),
        key.clone().prop_map(Op::Get),
        (key.clone(), 0u64..200).prop_map(|(k, t)| Op::Expire(k, t)),
        key.prop_map(Op::Persist),
        (0u64..60).prop_map(Op::Advance),
        (0usize..8).prop_map(Op::ActiveExpire),
    ]
}

/// The model: key -> (value, absolute expiry).
type Model = HashMap<u8, (u32, Option<u64>)>;

fn model_live(m: &mut Model, k: u8, now: u64) -> Option<(u32, Option<u64>)> {
    if m.get(&k).is_some_and(|(_, t)| t.is_some_and(|t| t <= now)) {
        m.remove(&k);
    }
    m.get(&k).copied()
}

/// The value written at step `serial`: a short string, a boxed (long)
/// string or a hash, so every storage shape is exercised.
fn make_value(serial: u32) -> Value {
    match serial % 3 {
        0 => Value::Str(serial.to_le_bytes().to_vec()),
        1 => Value::Str(serial.to_le_bytes().repeat(50)),
        _ => Value::Hash(Box::default()),
    }
}

/// What reading back the value of step `serial` gives.
fn shape(serial: u32) -> u32 {
    if serial % 3 == 2 {
        u32::MAX
    } else {
        serial
    }
}

fn decode(v: ValueRef<'_>) -> u32 {
    match v {
        ValueRef::Str(b) => u32::from_le_bytes(b[..4].try_into().unwrap()),
        _ => u32::MAX,
    }
}

fn apply(ks: &mut Keyspace, m: &mut Model, clock: &ManualClock, op: &Op, serial: u32) {
    let now = clock.now_ms();
    let kb = |k: u8| vec![b'k', k];
    match *op {
        Op::Insert(k, t) => {
            let at = t.map(|t| now + t);
            match make_value(serial) {
                Value::Str(b) => ks.insert_str_with_expiry(&kb(k), &b, at),
                v => ks.insert_with_expiry(&kb(k), v, at),
            }
            m.insert(k, (serial, at));
        }
        Op::InsertKeepTtl(k) => {
            let ttl = model_live(m, k, now).and_then(|(_, t)| t);
            ks.insert_keep_ttl(&kb(k), make_value(serial));
            m.insert(k, (serial, ttl));
        }
        Op::Remove(k) => {
            let want = model_live(m, k, now).map(|(v, _)| shape(v));
            m.remove(&k);
            let got = ks.remove(&kb(k)).map(|v| decode(v.as_ref()));
            assert_eq!(got, want);
        }
        Op::Delete(k) => {
            let want = model_live(m, k, now).is_some();
            m.remove(&k);
            assert_eq!(ks.delete(&kb(k)), want);
        }
        Op::Get(k) => {
            let want = model_live(m, k, now);
            let got = ks.get(&kb(k)).map(decode);
            assert_eq!(got, want.map(|(v, _)| shape(v)));
            assert_eq!(ks.expire_at(&kb(k)), want.map(|(_, t)| t));
        }
        Op::Expire(k, t) => {
            let at = now + t;
            let live = model_live(m, k, now).is_some();
            assert_eq!(ks.set_expire_at(&kb(k), at), live);
            if live {
                if at <= now {
                    m.remove(&k);
                } else if let Some(e) = m.get_mut(&k) {
                    e.1 = Some(at);
                }
            }
        }
        Op::Persist(k) => {
            let had = model_live(m, k, now).and_then(|(_, t)| t).is_some();
            assert_eq!(ks.persist(&kb(k)), had);
            if let Some(e) = m.get_mut(&k) {
                e.1 = None;
            }
        }
        Op::Advance(ms) => clock.advance(ms),
        Op::ActiveExpire(budget) => {
            ks.active_expire_cycle(budget);
        }
    }
}

proptest! {
    #[test]
    fn keyspace_agrees_with_a_model(ops in proptest::collection::vec(op(), 1..200)) {
        let (mut ks, clock) = ks_at(1_000);
        let mut m = Model::new();
        for (i, op) in ops.iter().enumerate() {
            apply(&mut ks, &mut m, &clock, op, i as u32);
        }
        let now = clock.now_ms();
        m.retain(|_, (_, t)| t.is_none_or(|t| t > now));
        let mut live = Vec::new();
        ks.for_each_key(|k, _| live.push(k[1]));
        live.sort_unstable();
        let mut want: Vec<u8> = m.keys().copied().collect();
        want.sort_unstable();
        prop_assert_eq!(live, want);
        // Active expiry with a big budget leaves exactly the live keys.
        ks.active_expire_cycle(usize::MAX);
        prop_assert_eq!(ks.len(), m.len());
        prop_assert_eq!(ks.ttl_keys(), m.values().filter(|(_, t)| t.is_some()).count());
    }
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

/// `cargo test -p shardd --lib keyspace::tests::memory_per_key -- --ignored --nocapture`
#[test]
#[ignore = "measurement: loads 1M keys and prints bytes per key"]
fn memory_per_key() {
    const KEYS: usize = 1_000_000;
    let before = rss_bytes();
    let mut ks = Keyspace::new();
    let value = [b'x'; 32];
    for i in 0..KEYS {
        ks.insert_str(format!("key:{i:012}").as_bytes(), &value);
    }
    let after = rss_bytes();
    let st = ks.memory_stats();
    println!(
        "keys={} rss_delta_per_key={:.1} estimate_per_key={:.1} entry={} tables={} slots_in_use={}",
        st.keys,
        (after - before) as f64 / KEYS as f64,
        st.used_bytes() as f64 / KEYS as f64,
        st.entry_bytes,
        st.table_bytes,
        st.slots_in_use
    );
    let t = std::time::Instant::now();
    let mut hits = 0;
    for i in 0..KEYS {
        hits += ks.get(format!("key:{i:012}").as_bytes()).is_some() as usize;
    }
    println!(
        "get ns/op (incl. format!) = {:.0}",
        t.elapsed().as_nanos() as f64 / KEYS as f64
    );
    assert_eq!(hits, KEYS);
}

#[test]
fn scan_splits_a_big_slot_and_still_returns_every_key_once() {
    let (mut ks, _) = ks_at(0);
    let n = 5_000u32;
    for i in 0..n {
        ks.insert_str(format!("{{hot}}:{i}").as_bytes(), b"v");
    }
    let mut seen = HashSet::new();
    let (mut cursor, mut steps) = (0u64, 0u32);
    loop {
        let (next, keys) = ks.scan(cursor, 10, ScanFilter::default());
        assert!(
            keys.len() <= n as usize / 32,
            "step too big: {}",
            keys.len()
        );
        let keys: Vec<Vec<u8>> = keys.into_iter().map(<[u8]>::to_vec).collect();
        for k in keys {
            if k.starts_with(b"{hot}:") {
                assert!(seen.insert(k), "key returned twice");
            }
        }
        // Churn the slot between steps: deletes force compactions, inserts
        // grow the table; none of it may hide a key present throughout.
        for j in 0..40 {
            ks.delete(format!("{{hot}}:{}", (steps * 40 + j) % 1_000).as_bytes());
            ks.insert_str(format!("{{hot}}new:{steps}:{j}").as_bytes(), b"v");
        }
        steps += 1;
        assert!(next < super::SCAN_CURSOR_LIMIT, "cursor {next} too big");
        cursor = next;
        if cursor == 0 {
            break;
        }
    }
    assert!(steps <= 70, "took {steps} steps");
    for i in 1_000..n {
        assert!(
            seen.contains(format!("{{hot}}:{i}").as_bytes()),
            "missed {i}"
        );
    }
}

#[test]
fn scan_returns_a_big_slot_whole_when_count_allows() {
    let (mut ks, _) = ks_at(0);
    for i in 0..2_000u32 {
        ks.insert_str(format!("{{hot}}:{i}").as_bytes(), b"v");
    }
    let slot = crate::slot::key_slot(b"hot") as u64;
    let (next, keys) = ks.scan(slot, 2_000, ScanFilter::default());
    assert_eq!(keys.len(), 2_000);
    assert_eq!(next, slot + 1);
}

#[test]
fn arena_bytes_split_into_live_dead_and_reserved() {
    let mut ks = Keyspace::new();
    // One slot ({t} tags them together), entries of 2 + 4 + 16 bytes.
    for i in 0..20 {
        ks.insert_str(format!("{{t}}key:{i:04}").as_bytes(), &[b'v'; 16]);
    }
    let st = ks.memory_stats();
    assert_eq!(st.entry_dead_bytes, 0);
    assert!(st.entry_live_bytes >= 20 * (9 + 16), "{st:?}");
    assert!(st.entry_live_bytes <= st.entry_bytes, "{st:?}");
    // A key from the middle dies in place (the arena is not cut).
    assert!(ks.delete(b"{t}key:0005"));
    let after = ks.memory_stats();
    assert!(after.entry_dead_bytes > 0, "{after:?}");
    assert_eq!(
        after.entry_live_bytes + after.entry_dead_bytes,
        st.entry_live_bytes,
        "{after:?}"
    );
}
