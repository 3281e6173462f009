//! Tests of the slot store's unsafe core: ownership of boxes across
//! overwrite, TTL moves, take, compaction and drop (run under miri when
//! available: `cargo +nightly miri test -p shardd --lib keyspace::store`).

use super::*;

fn h(key: &[u8]) -> u64 {
    // A deliberately weak hash so collisions are exercised too.
    key.iter().map(|&b| b as u64).sum::<u64>() % 7
}

fn put(st: &mut SlotStore, key: &[u8], v: &[u8], ttl: Option<u64>) -> Upserted {
    st.upsert(h(key), key, Payload::Bytes(v), |_| ttl, (7, false), &h)
}

fn get_str(st: &SlotStore, key: &[u8]) -> Option<Vec<u8>> {
    match st.get(h(key), key)?.value() {
        ValueRef::Str(s) => Some(s.to_vec()),
        _ => None,
    }
}

#[test]
fn sixteen_byte_key_and_32_byte_value_pack_into_54_bytes() {
    // Flags, the 3-byte clock, two length bytes, key and value.
    let mut st = SlotStore::default();
    put(&mut st, &[b'k'; 16], &[b'v'; 32], None);
    assert_eq!(st.arena.len(), 54);
}

#[test]
fn strings_round_trip_inline_and_boxed() {
    let mut st = SlotStore::default();
    let big = vec![7u8; INLINE_VALUE_MAX_BYTES + 1];
    assert_eq!(put(&mut st, b"a", b"1", None).old, None);
    put(&mut st, b"big", &big, Some(9));
    st.upsert(
        h(b"vec"),
        b"vec",
        Payload::Value(Value::Str(big.clone())),
        |_| None,
        (7, false),
        &h,
    );
    assert_eq!(get_str(&st, b"a").as_deref(), Some(&b"1"[..]));
    assert_eq!(get_str(&st, b"big"), Some(big.clone()));
    assert_eq!(get_str(&st, b"vec"), Some(big.clone()));
    assert_eq!(
        st.get(h(b"big"), b"big").and_then(|e| e.expire_at()),
        Some(9)
    );
    let (v, t) = st.take(h(b"big"), b"big", &h).unwrap();
    assert!(matches!(v, Value::Str(ref s) if *s == big));
    assert_eq!(t, Some(9));
    assert_eq!(st.len(), 2);
}

#[test]
fn same_length_overwrite_stays_in_place() {
    let mut st = SlotStore::default();
    put(&mut st, b"k", b"aaaa", Some(5));
    let len = st.arena.len();
    let up = put(&mut st, b"k", b"bbbb", Some(6));
    assert_eq!(
        up,
        Upserted {
            old: Some(Some(5)),
            new: Some(6)
        }
    );
    assert_eq!(st.arena.len(), len);
    assert_eq!(get_str(&st, b"k").as_deref(), Some(&b"bbbb"[..]));
    put(&mut st, b"k", b"longer value", None);
    assert_eq!(get_str(&st, b"k").as_deref(), Some(&b"longer value"[..]));
    assert_eq!(st.get(h(b"k"), b"k").and_then(|e| e.expire_at()), None);
}

#[test]
fn ttl_changes_move_objects_without_losing_them() {
    let mut st = SlotStore::default();
    for (i, v) in [
        Value::Hash(Box::default()),
        Value::List(Box::default()),
        Value::Set(Box::default()),
        Value::ZSet(Box::default()),
        Value::Str(vec![1; 500]),
    ]
    .into_iter()
    .enumerate()
    {
        let key = [b'o', i as u8];
        let name = v.type_name();
        st.upsert(h(&key), &key, Payload::Value(v), |_| None, (7, false), &h);
        put(&mut st, b"filler", b"x", None);
        assert_eq!(st.set_expire(h(&key), &key, Some(77), &h), Some(None));
        assert_eq!(st.set_expire(h(&key), &key, Some(78), &h), Some(Some(77)));
        assert_eq!(
            st.get(h(&key), &key).map(|e| e.value().type_name()),
            Some(name)
        );
        assert!(st.get_mut(h(&key), &key).is_some());
        assert_eq!(st.set_expire(h(&key), &key, None, &h), Some(Some(78)));
        assert_eq!(st.get(h(&key), &key).map(|e| e.key()), Some(&key[..]));
    }
    assert_eq!(st.set_expire(h(b"nope"), b"nope", Some(1), &h), None);
    // Dropping the store drops every live object exactly once (miri checks).
}

#[test]
fn deletes_compact_the_arena_and_keep_every_live_key() {
    let mut st = SlotStore::default();
    for i in 0..200u32 {
        put(
            &mut st,
            format!("key{i}").as_bytes(),
            &i.to_le_bytes(),
            None,
        );
    }
    st.upsert(
        h(b"obj"),
        b"obj",
        Payload::Value(Value::Hash(Box::default())),
        |_| None,
        (7, false),
        &h,
    );
    for i in (0..200u32).filter(|i| i % 3 != 0) {
        let k = format!("key{i}");
        assert_eq!(st.delete(h(k.as_bytes()), k.as_bytes(), &h), Some(None));
    }
    assert!(st.dead_bytes * 4 < st.arena.len().max(COMPACT_MIN_DEAD_BYTES * 4));
    for i in 0..200u32 {
        let k = format!("key{i}");
        let want = (i % 3 == 0).then(|| i.to_le_bytes().to_vec());
        assert_eq!(get_str(&st, k.as_bytes()), want);
    }
    assert_eq!(st.iter().count(), st.len());
    assert_eq!(
        st.get(h(b"obj"), b"obj").map(|e| e.value().type_name()),
        Some("hash")
    );
}

#[test]
fn deleting_everything_frees_the_arena() {
    let mut st = SlotStore::default();
    put(&mut st, b"a", b"1", None);
    put(&mut st, b"b", b"2", None);
    st.delete(h(b"a"), b"a", &h);
    st.delete(h(b"b"), b"b", &h);
    assert!(st.is_empty());
    assert_eq!(st.iter().count(), 0);
    assert_eq!(st.arena.len(), 0);
}

#[test]
fn lookup_expires_due_entries() {
    let mut st = SlotStore::default();
    put(&mut st, b"k", b"v", Some(10));
    assert!(matches!(
        st.lookup(h(b"k"), b"k", || 9, &h),
        Lookup::Live(_)
    ));
    assert!(matches!(
        st.lookup(h(b"k"), b"k", || 10, &h),
        Lookup::Expired
    ));
    assert!(matches!(
        st.lookup(h(b"k"), b"k", || 10, &h),
        Lookup::Missing
    ));
}

#[test]
fn remove_where_removes_only_accepted_entries() {
    let mut st = SlotStore::default();
    // "ab" and "ba" share the weak hash.
    put(&mut st, b"ab", b"1", Some(5));
    put(&mut st, b"ba", b"2", Some(50));
    let n = st.remove_where(h(b"ab"), |e| e.expire_at().is_some_and(|t| t <= 10), &h);
    assert_eq!(n, 1);
    assert_eq!(get_str(&st, b"ba").as_deref(), Some(&b"2"[..]));
    assert_eq!(get_str(&st, b"ab"), None);
}

#[test]
fn long_keys_use_multi_byte_varints() {
    let mut st = SlotStore::default();
    let key = vec![3u8; 300];
    put(&mut st, &key, b"v", None);
    assert_eq!(st.get(h(&key), &key).map(|e| e.key().len()), Some(300));
    assert_eq!(st.arena.len(), 1 + CLOCK_BYTES + 2 + 1 + 300 + 1);
}

#[test]
fn size_classes_follow_jemalloc() {
    let classes: Vec<usize> = [1, 16, 17, 51, 128, 129, 160, 161, 257, 3000, 4096, 4097]
        .iter()
        .map(|&s| size_class(s))
        .collect();
    assert_eq!(
        classes,
        [16, 16, 32, 64, 128, 160, 160, 192, 320, 3072, 4096, 5120]
    );
}

#[test]
#[cfg_attr(miri, ignore = "thousands of colliding keys: too slow under miri")]
fn a_slot_past_64_kib_switches_to_wide_offsets_and_back() {
    let mut st = SlotStore::default();
    let value = [b'v'; 40];
    let key = |i: u32| format!("some-longer-key:{i:08}");
    for i in 0..3_000u32 {
        put(&mut st, key(i).as_bytes(), &value, None);
    }
    assert!(st.arena.len() > u16::MAX as usize);
    assert!(matches!(st.table, OffsetTable::Large(_)));
    for i in 0..3_000u32 {
        assert_eq!(get_str(&st, key(i).as_bytes()).as_deref(), Some(&value[..]));
    }
    for i in 0..2_500u32 {
        st.delete(h(key(i).as_bytes()), key(i).as_bytes(), &h);
    }
    assert!(matches!(st.table, OffsetTable::Small(_)));
    for i in 2_500..3_000u32 {
        assert_eq!(get_str(&st, key(i).as_bytes()).as_deref(), Some(&value[..]));
    }
    assert_eq!(st.len(), 500);
}

#[test]
#[cfg(debug_assertions)]
#[should_panic(expected = "the table reaches a dead entry")]
fn a_dead_entry_the_table_still_reaches_is_caught() {
    let mut st = SlotStore::default();
    put(&mut st, b"k", b"v", None);
    put(&mut st, b"other", b"w", None);
    // Break the module invariant as a bug in `kill` would.
    st.arena[0] |= DEAD;
    get_str(&st, b"k");
}

#[test]
#[should_panic(expected = "live entries and table disagree")]
fn compaction_refuses_a_table_that_lost_a_live_entry() {
    let mut st = SlotStore::default();
    let filler = [b'x'; 100];
    for i in 0..20u8 {
        put(&mut st, &[b'k', i], &filler, None);
    }
    // Forget one live entry in the table, as a bug in `remove` would.
    let key = [b'k', 0];
    let off = st.find_off(h(&key), &key).unwrap();
    st.table.remove(&mut st.arena, h(&key), off);
    // Deleting most of the rest passes the compaction threshold.
    for i in 1..15u8 {
        st.delete(h(&[b'k', i]), &[b'k', i], &h);
    }
}

#[test]
fn the_clock_survives_moves_and_is_kept_or_replaced_on_overwrite() {
    let mut st = SlotStore::default();
    st.upsert(
        h(b"k"),
        b"k",
        Payload::Bytes(b"v"),
        |_| None,
        (0x123456, false),
        &h,
    );
    assert_eq!(st.get(h(b"k"), b"k").map(|e| e.clock()), Some(0x123456));
    // Gaining a TTL moves the entry; the clock moves with it.
    st.set_expire(h(b"k"), b"k", Some(99), &h);
    assert_eq!(st.get(h(b"k"), b"k").map(|e| e.clock()), Some(0x123456));
    if let Some(mut e) = st.get_mut(h(b"k"), b"k") {
        e.set_clock(0xffff_ffff);
    }
    assert_eq!(st.get(h(b"k"), b"k").map(|e| e.clock()), Some(CLOCK_MAX));
    // Overwritten: kept when asked (LFU), else the new one.
    st.upsert(h(b"k"), b"k", Payload::Bytes(b"w"), |_| None, (5, true), &h);
    assert_eq!(st.get(h(b"k"), b"k").map(|e| e.clock()), Some(CLOCK_MAX));
    st.upsert(
        h(b"k"),
        b"k",
        Payload::Bytes(b"x"),
        |_| None,
        (5, false),
        &h,
    );
    assert_eq!(st.get(h(b"k"), b"k").map(|e| e.clock()), Some(5));
}

#[test]
fn inline_values_box_in_place_move_take_and_come_back_inline() {
    use crate::types::{hash::HashObj, list::End, list::ListObj, set::SetObj, zset::ZSetObj};
    let mut st = SlotStore::default();
    let mut hash = HashObj::new();
    let mut z = ZSetObj::new();
    let mut s = SetObj::new();
    let mut l = ListObj::new();
    for i in 0..6u8 {
        hash.set(&[b'f', i], b"value");
        z.insert(&[b'm', i], f64::from(i));
        s.add(&[b's', i]);
        l.push(End::Back, &[b'e', i]);
    }
    let values = [
        (&b"h"[..], Value::Hash(Box::new(hash))),
        (b"z", Value::ZSet(Box::new(z))),
        (b"s", Value::Set(Box::new(s))),
        (b"l", Value::List(Box::new(l))),
    ];
    for (k, v) in values {
        st.upsert(h(k), k, Payload::Value(v), |_| None, (7, false), &h);
    }
    // All four inline: no pointer in any entry.
    assert!(st.iter().all(|e| e.h.inline_packed()));
    let len = |st: &SlotStore, k: &[u8]| match st.get(h(k), k).map(|e| e.value()) {
        Some(ValueRef::Hash(x)) => x.len(),
        Some(ValueRef::ZSet(x)) => x.len(),
        Some(ValueRef::Set(x)) => x.len(),
        Some(ValueRef::List(x)) => x.len(),
        _ => 0,
    };
    // A change boxes each in place (padding counted dead)...
    for k in [&b"h"[..], b"z", b"s", b"l"] {
        match st.get_mut(h(k), k).map(EntryMut::into_value_mut) {
            Some(ValueMut::Hash(x)) => {
                x.set(b"new", b"1");
            }
            Some(ValueMut::ZSet(x)) => {
                x.insert(b"new", 1.5);
            }
            Some(ValueMut::Set(x)) => {
                x.add(b"new");
            }
            Some(ValueMut::List(x)) => x.push(End::Front, b"new"),
            _ => panic!("missing"),
        }
        assert_eq!(len(&st, k), 7);
    }
    assert!(st.iter().all(|e| e.h.owns_box() && e.h.padding() > 0));
    let dead = st.dead_bytes;
    assert!(dead > 0);
    // ...a TTL moves the padded entry (its box goes along, its padding
    // stays dead)...
    st.set_expire(h(b"h"), b"h", Some(99), &h);
    assert_eq!(len(&st, b"h"), 7);
    // ...a take hands the box over...
    let (taken, _) = st.take(h(b"z"), b"z", &h).expect("z");
    assert!(matches!(&taken, Value::ZSet(x) if x.len() == 7));
    // ...and an inline one is taken as a copy.
    let mut small = HashObj::new();
    small.set(b"field-one", b"value-one");
    st.upsert(
        h(b"i"),
        b"i",
        Payload::Value(Value::Hash(Box::new(small))),
        |_| None,
        (7, false),
        &h,
    );
    let (copy, _) = st.take(h(b"i"), b"i", &h).expect("i");
    assert!(matches!(&copy, Value::Hash(x) if x.get(b"field-one") == Some(&b"value-one"[..])));
    // Compaction puts the boxed ones back inline.
    let rehash = |k: &[u8]| h(k);
    for i in 0..40u8 {
        put(&mut st, &[b'x', i], &[0; 40], None);
    }
    for i in 0..40u8 {
        st.delete(h(&[b'x', i]), &[b'x', i], &rehash);
    }
    assert!(st.iter().all(|e| e.h.inline_packed()), "back inline");
    for k in [&b"h"[..], b"s", b"l"] {
        assert_eq!(len(&st, k), 7, "{k:?}");
    }
    assert_eq!(st.get(h(b"h"), b"h").and_then(|e| e.expire_at()), Some(99));
    drop(taken);
}

#[test]
fn a_slot_of_few_keys_keeps_its_list_in_the_arena_block() {
    // 61 keys of 16 bytes with 32-byte values: 3,294 bytes of entries and
    // 192 of list, in one 3,584-byte block (a block of its own for the
    // list was 192 more).
    let mut st = SlotStore::default();
    for i in 0..61u32 {
        put(
            &mut st,
            format!("key:{i:012}").as_bytes(),
            &[b'v'; 32],
            None,
        );
    }
    assert!(matches!(st.table, OffsetTable::Tiny(_)));
    assert_eq!(st.arena.len(), 61 * 54);
    assert_eq!(st.arena.capacity(), 3_584);
    assert_eq!(st.table.allocation_size(), 0);
    assert_eq!(st.heap_bytes(), (3_584 - 192, 192));
    assert_eq!(st.table_bytes_per_key(), 3);
    assert_eq!(st.arena_use(), (61 * 54, 0, 3_584 - 192 - 61 * 54));
    for i in 0..61u32 {
        let k = format!("key:{i:012}");
        assert_eq!(get_str(&st, k.as_bytes()).as_deref(), Some(&[b'v'; 32][..]));
    }
}

#[test]
#[cfg_attr(miri, ignore = "thousands of steps: too slow under miri")]
fn a_slot_agrees_with_a_map_through_list_table_and_compaction_changes() {
    // Random writes of inline and boxed strings, TTL changes, deletes and
    // takes over up to 180 keys, so the index goes from a list in the
    // arena's tail to a table and back (through compaction), with the
    // arena growing under the list.
    use std::collections::BTreeMap;
    let mut st = SlotStore::default();
    let mut model: BTreeMap<Vec<u8>, (Vec<u8>, Option<u64>)> = BTreeMap::new();
    let mut x: u64 = 0x5eed;
    let mut next = |n: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % n
    };
    let (mut saw_table, mut back_to_list) = (false, false);
    for step in 0..20_000u32 {
        // Few keys in the first half, up to 180 (past the list's 128) in
        // the second, then few again.
        let span = match step {
            0..=6_999 => 90,
            7_000..=13_999 => 180,
            _ => 40,
        };
        let key = format!("k{}", next(span)).into_bytes();
        match next(10) {
            0..=4 => {
                let len = match next(8) {
                    0 => 200, // boxed
                    n => (n * 7) as usize,
                };
                let v = vec![b'a' + (step % 26) as u8; len];
                let ttl = (next(3) == 0).then_some(1_000 + u64::from(step));
                put(&mut st, &key, &v, ttl);
                model.insert(key, (v, ttl));
            }
            5 | 6 => {
                let got = st.delete(h(&key), &key, &h);
                assert_eq!(got, model.remove(&key).map(|(_, t)| t));
            }
            7 => {
                let ttl = (next(2) == 0).then_some(5_000 + u64::from(step));
                let got = st.set_expire(h(&key), &key, ttl, &h);
                let want = model
                    .get_mut(&key)
                    .map(|e| std::mem::replace(&mut e.1, ttl));
                assert_eq!(got, want);
            }
            8 => {
                let got = st.take(h(&key), &key, &h).map(|(v, t)| match v {
                    Value::Str(s) => (s, t),
                    _ => panic!("a string was stored"),
                });
                assert_eq!(got, model.remove(&key));
            }
            _ => {
                let got = get_str(&st, &key);
                assert_eq!(got.as_ref(), model.get(&key).map(|e| &e.0));
            }
        }
        assert_eq!(st.len(), model.len(), "step {step}");
        match st.table {
            OffsetTable::Tiny(_) => {
                back_to_list |= saw_table;
                assert!(st.arena.tail_len() >= 3 * st.len());
            }
            _ => {
                saw_table = true;
                assert_eq!(st.arena.tail_len(), 0, "a table leaves no tail");
            }
        }
        assert!(st.arena.len() + st.arena.tail_len() <= st.arena.capacity());
    }
    assert!(saw_table && back_to_list);
    for (k, (v, t)) in &model {
        let e = st.get(h(k), k).expect("every key of the model");
        assert_eq!(e.expire_at(), *t);
        assert_eq!(get_str(&st, k).as_ref(), Some(v));
    }
    assert_eq!(st.iter().count(), model.len());
}

#[test]
fn varint_len_is_what_push_varint_writes() {
    for v in [
        0,
        1,
        127,
        128,
        300,
        16_383,
        16_384,
        1 << 21,
        1 << 40,
        usize::MAX,
    ] {
        let mut a = Arena::default();
        push_varint(&mut a, v);
        assert_eq!(varint_len(v), a.len(), "{v}");
        let mut pos = 0;
        assert_eq!(read_varint(&a, &mut pos), v);
    }
}
