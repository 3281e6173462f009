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
    // The first cycle left keys due: it reached its cap; the others not.
    assert_eq!(ks.expire_cap_reached(), 1);
    assert_eq!(ks.active_expire_cycle(1_000), 40);
    assert_eq!(ks.active_expire_cycle(1_000), 0);
    assert_eq!(ks.expire_cap_reached(), 1);
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

/// What [`inline_hashes_agree_with_a_model`] does to one key.
#[derive(Debug, Clone)]
enum HashOp {
    /// A new hash of this many pairs (set whole: inline when small).
    Insert(u8, u8),
    /// HSET of one field through `get_mut` (moves an inline hash into a box).
    Set(u8, u8, u8),
    /// Removes one field; an emptied hash goes, as the commands do.
    Unset(u8, u8),
    Delete(u8),
    /// Adds or clears an expiry far ahead (moves the entry).
    Expire(u8, bool),
    /// Takes the value out and puts it back (RENAME's way).
    TakeBack(u8),
}

fn hash_op() -> impl Strategy<Value = HashOp> {
    let key = 0u8..12;
    prop_oneof![
        (key.clone(), 0u8..40).prop_map(|(k, n)| HashOp::Insert(k, n)),
        (key.clone(), 0u8..12, any::<u8>()).prop_map(|(k, f, v)| HashOp::Set(k, f, v)),
        (key.clone(), 0u8..12).prop_map(|(k, f)| HashOp::Unset(k, f)),
        key.clone().prop_map(HashOp::Delete),
        (key.clone(), any::<bool>()).prop_map(|(k, e)| HashOp::Expire(k, e)),
        key.prop_map(HashOp::TakeBack),
    ]
}

/// A hash's pairs, or a sorted set's members with their scores (as
/// text), by field or member.
type Pairs = std::collections::BTreeMap<Vec<u8>, Vec<u8>>;

/// The value types a slot arena may hold inline (sets twice: packed
/// members, and integers in an intset).
#[derive(Clone, Copy, Debug)]
enum Packable {
    Hash,
    ZSet,
    Set,
    IntSet,
    /// Elements by position (`Set` pushes one at the tail, `Unset` pops
    /// the head).
    List,
}

/// A list's elements as [`Pairs`]: by zero-padded position.
fn list_pairs(elems: impl Iterator<Item = Vec<u8>>) -> Pairs {
    elems
        .enumerate()
        .map(|(i, e)| (format!("{i:04}").into_bytes(), e))
        .collect()
}

impl Packable {
    /// A new value of `n` fields or members for key number `k`, and its pairs.
    fn build(self, k: u8, n: u8) -> (Value, Pairs) {
        let mut h = crate::types::hash::HashObj::new();
        let mut z = crate::types::zset::ZSetObj::new();
        let mut s = crate::types::set::SetObj::new();
        let mut l = crate::types::list::ListObj::new();
        let mut want = Pairs::new();
        for f in 0..n {
            let name = self.field(f);
            let score = i64::from(f) * 7 % 13 - 6 + i64::from(k);
            let v = match self {
                Packable::Set | Packable::IntSet => Vec::new(),
                _ => score.to_string().into_bytes(),
            };
            h.set(&name, &v);
            z.insert(&name, score as f64);
            s.add(&name);
            l.push(crate::types::list::End::Back, &name);
            want.insert(name, v);
        }
        if let Packable::List = self {
            want = list_pairs(l.iter().map(<[u8]>::to_vec));
        }
        let value = match self {
            Packable::Hash => Value::Hash(Box::new(h)),
            Packable::ZSet => Value::ZSet(Box::new(z)),
            Packable::Set | Packable::IntSet => Value::Set(Box::new(s)),
            Packable::List => Value::List(Box::new(l)),
        };
        (value, want)
    }

    /// Field (member) number `f`: an integer in an intset.
    fn field(self, f: u8) -> Vec<u8> {
        match self {
            Packable::IntSet => (i64::from(f) * 100_000 - 3000).to_string().into_bytes(),
            _ => format!("field:{f:02}").into_bytes(),
        }
    }

    /// What the model keeps for a field set to `v`.
    fn model_value(self, v: u8) -> Vec<u8> {
        match self {
            Packable::Set | Packable::IntSet => Vec::new(),
            _ => v.to_string().into_bytes(),
        }
    }

    /// Sets field (member) `f` to `v` in place; false if the key holds none.
    fn set(self, ks: &mut Keyspace, key: &[u8], f: &[u8], v: u8) -> bool {
        match ks.get_mut(key) {
            Some(ValueMut::Hash(h)) => {
                h.set(f, v.to_string().as_bytes());
            }
            Some(ValueMut::ZSet(z)) => {
                z.insert(f, f64::from(v));
            }
            Some(ValueMut::Set(s)) => {
                s.add(f);
            }
            Some(ValueMut::List(l)) => {
                l.push(crate::types::list::End::Back, &[f, &[v]].concat());
            }
            _ => return false,
        }
        true
    }

    /// Removes field (member) `f` in place, and the key if that empties it.
    fn unset(self, ks: &mut Keyspace, key: &[u8], f: &[u8]) {
        let empty = match ks.get_mut(key) {
            Some(ValueMut::Hash(h)) => h.remove(f) && h.is_empty(),
            Some(ValueMut::ZSet(z)) => z.remove(f).is_some() && z.is_empty(),
            Some(ValueMut::Set(s)) => s.remove(f) && s.is_empty(),
            Some(ValueMut::List(l)) => {
                l.discard(crate::types::list::End::Front, 1);
                l.is_empty()
            }
            _ => false,
        };
        if empty {
            ks.remove(key);
        }
    }

    fn contents(self, ks: &mut Keyspace, key: &[u8]) -> Option<Pairs> {
        Some(match (self, ks.get(key)?) {
            (Packable::Hash, ValueRef::Hash(h)) => {
                h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())).collect()
            }
            (Packable::ZSet, ValueRef::ZSet(z)) => {
                let all: Vec<(&[u8], f64)> = z.iter().collect();
                // The order is by score, then member.
                assert!(all.windows(2).all(|w| (w[0].1, w[0].0) < (w[1].1, w[1].0)));
                all.iter()
                    .map(|(m, s)| (m.to_vec(), (*s as i64).to_string().into_bytes()))
                    .collect()
            }
            (Packable::Set | Packable::IntSet, ValueRef::Set(s)) => {
                s.iter().map(|m| (m.into_owned(), Vec::new())).collect()
            }
            (Packable::List, ValueRef::List(l)) => {
                // Every read path agrees: forwards, backwards, by position.
                let fwd: Vec<Vec<u8>> = l.iter().map(<[u8]>::to_vec).collect();
                let mut back: Vec<Vec<u8>> = l.iter().rev().map(<[u8]>::to_vec).collect();
                back.reverse();
                assert_eq!(fwd, back);
                let by_pos: Vec<Vec<u8>> = (0..l.len())
                    .filter_map(|i| l.get(i))
                    .map(<[u8]>::to_vec)
                    .collect();
                assert_eq!(fwd, by_pos);
                assert_eq!(l.iter_from(1).count(), l.len().saturating_sub(1));
                list_pairs(fwd.into_iter())
            }
            (_, other) => panic!("not a {self:?}: {other:?}"),
        })
    }
}

proptest! {
    /// Small hashes and sorted sets live inline in their slot's arena,
    /// move into a box when changed, and go back inline when the slot is
    /// compacted: every path (reads, writes, moves of the entry, takes,
    /// deletes) keeps the contents and the dead-byte count right (a
    /// miscount fails compaction's own check).
    #[test]
    fn inline_values_agree_with_a_model(ops in proptest::collection::vec(hash_op(), 1..300)) {
        for kind in [
            Packable::Hash,
            Packable::ZSet,
            Packable::Set,
            Packable::IntSet,
            Packable::List,
        ] {
            let (mut ks, _) = ks_at(1_000);
            let mut m: HashMap<u8, Pairs> = HashMap::new();
            // One slot, so deletes and moves reach compaction.
            let kb = |k: u8| format!("{{t}}value:{k}").into_bytes();
            let field = |f: u8| kind.field(f);
            for op in &ops {
                match *op {
                    HashOp::Insert(k, 0) => {
                        ks.delete(&kb(k));
                        m.remove(&k);
                    }
                    HashOp::Insert(k, n) => {
                        let (value, want) = kind.build(k, n);
                        ks.insert(&kb(k), value);
                        m.insert(k, want);
                    }
                    HashOp::Set(k, f, v) => {
                        if kind.set(&mut ks, &kb(k), &field(f), v) {
                            if let Some(w) = m.get_mut(&k) {
                                match kind {
                                    Packable::List => {
                                        let at = format!("{:04}", w.len()).into_bytes();
                                        w.insert(at, [field(f), vec![v]].concat());
                                    }
                                    _ => {
                                        w.insert(field(f), kind.model_value(v));
                                    }
                                }
                            }
                        }
                    }
                    HashOp::Unset(k, f) => {
                        kind.unset(&mut ks, &kb(k), &field(f));
                        if let Some(w) = m.get_mut(&k) {
                            match kind {
                                Packable::List => {
                                    let rest = w.values().skip(1).cloned().collect::<Vec<_>>();
                                    *w = list_pairs(rest.into_iter());
                                }
                                _ => {
                                    w.remove(&field(f));
                                }
                            }
                            if w.is_empty() {
                                m.remove(&k);
                            }
                        }
                    }
                    HashOp::Delete(k) => {
                        prop_assert_eq!(ks.delete(&kb(k)), m.remove(&k).is_some());
                    }
                    HashOp::Expire(k, true) => {
                        ks.set_expire_at(&kb(k), 4_102_444_800_000);
                    }
                    HashOp::Expire(k, false) => {
                        ks.persist(&kb(k));
                    }
                    HashOp::TakeBack(k) => {
                        if let Some(v) = ks.take(&kb(k)) {
                            ks.insert(&kb(k), v);
                        }
                    }
                }
                for k in 0..12u8 {
                    let got = kind.contents(&mut ks, &kb(k));
                    prop_assert_eq!(got, m.get(&k).cloned(), "{:?} key {}", kind, k);
                }
                let st = ks.memory_stats();
                prop_assert!(st.entry_dead_bytes <= st.entry_bytes, "{:?}", st);
            }
        }
    }
}

#[test]
fn a_small_hash_sits_inline_moves_out_when_changed_and_back_when_compacted() {
    let (mut ks, _) = ks_at(0);
    let hash = |n: usize| {
        let mut h = crate::types::hash::HashObj::new();
        for f in 0..n {
            h.set(format!("f{f}").as_bytes(), b"0123456789abcdef");
        }
        Value::Hash(Box::new(h))
    };
    for i in 0..40 {
        ks.insert(format!("{{t}}h{i}").as_bytes(), hash(10));
    }
    // Inline: no box, the pairs in the entry.
    let inline = ks.memory_stats();
    assert_eq!(
        ks.memory_usage(b"{t}h0", 0).map(|u| u > 10 * 19),
        Some(true)
    );
    assert_eq!(inline.entry_dead_bytes, 0);
    // A change moves it into a box: the pairs left behind count dead.
    if let Some(ValueMut::Hash(h)) = ks.get_mut(b"{t}h0") {
        h.set(b"f0", b"changed");
    }
    let moved = ks.memory_stats();
    assert!(moved.entry_dead_bytes > 10 * 19, "{moved:?}");
    let boxed_usage = ks.memory_usage(b"{t}h0", 0).unwrap_or(0);
    assert!(
        matches!(ks.get(b"{t}h0"), Some(ValueRef::Hash(h)) if h.get(b"f0") == Some(&b"changed"[..]))
    );
    // Deleting most of the slot compacts it (at a quarter dead): the
    // changed hash is back inline, its box and padding gone.
    for i in 1..30 {
        assert!(ks.delete(format!("{{t}}h{i}").as_bytes()));
    }
    let compacted = ks.memory_stats();
    assert!(compacted.entry_dead_bytes < 512, "{compacted:?}");
    let inline_usage = ks.memory_usage(b"{t}h0", 0).unwrap_or(0);
    assert!(
        inline_usage + 10 * 19 < boxed_usage,
        "{inline_usage} {boxed_usage}"
    );
    assert!(
        matches!(ks.get(b"{t}h0"), Some(ValueRef::Hash(h)) if h.len() == 10 && h.get(b"f0") == Some(&b"changed"[..]))
    );
}
