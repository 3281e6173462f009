//! ZSetObj tests: encodings, and a property test against a BTreeMap model.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn sorted(model: &BTreeMap<Vec<u8>, f64>) -> Vec<(Vec<u8>, f64)> {
    let mut v: Vec<(Vec<u8>, f64)> = model.iter().map(|(m, s)| (m.clone(), *s)).collect();
    v.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
    v
}

fn owned<'a>(it: impl Iterator<Item = (&'a [u8], f64)>) -> Vec<(Vec<u8>, f64)> {
    it.map(|(m, s)| (m.to_vec(), s)).collect()
}

#[test]
fn small_zsets_are_listpacks_until_128_members() {
    let mut z = ZSetObj::new();
    for i in 0..128 {
        z.insert(format!("m{i}").as_bytes(), i as f64);
    }
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"m0", 5.0);
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"new", 1.0);
    assert_eq!((z.encoding(), z.len()), ("skiplist", 129));
    assert_eq!(z.rank(b"new"), Some(1));
}

#[test]
fn a_long_member_converts_to_skiplist() {
    let mut z = ZSetObj::new();
    z.insert(b"a", 1.0);
    z.insert(&[b'x'; 65], 0.0);
    assert_eq!(z.encoding(), "skiplist");
    assert_eq!(z.get(0), Some((&[b'x'; 65][..], 0.0)));
}

#[test]
fn equal_scores_order_by_member_bytes() {
    let mut z = ZSetObj::new();
    for m in ["b", "a", "c"] {
        z.insert(m.as_bytes(), 1.0);
    }
    z.insert(b"z", 0.5);
    let got: Vec<&[u8]> = z.iter().map(|(m, _)| m).collect();
    assert_eq!(got, [&b"z"[..], b"a", b"b", b"c"]);
}

#[test]
fn a_listpack_keeps_negative_zero_as_zero() {
    let mut z = ZSetObj::new();
    z.insert(b"a", -0.0);
    assert!(z.score(b"a").is_some_and(|s| s.is_sign_positive()));
}

#[test]
fn large_zsets_rank_and_range_across_chunks() {
    let mut z = ZSetObj::new();
    for i in (0..5000).rev() {
        z.insert(format!("{i:05}").as_bytes(), (i / 3) as f64);
    }
    assert_eq!(z.rank(b"04000"), Some(4000));
    assert_eq!(
        z.get(2500).map(|(m, _)| m.to_vec()),
        Some(b"02500".to_vec())
    );
    let mid: Vec<Vec<u8>> = z.range(998, 1002).rev().map(|(m, _)| m.to_vec()).collect();
    assert_eq!(mid[0], b"01001");
    assert_eq!(mid.len(), 4);
    assert_eq!(z.count_while(|s, _| s < 10.0), 30);
    for i in 0..4990 {
        z.remove(format!("{i:05}").as_bytes());
    }
    assert_eq!(z.len(), 10);
    assert_eq!(z.get(0).map(|(m, _)| m.to_vec()), Some(b"04990".to_vec()));
}

#[test]
fn decode_refuses_garbage() {
    assert!(ZSetObj::decode(b"").is_none());
    assert!(ZSetObj::decode(&[0, 0, 0, 0]).is_none());
    let mut nan = vec![1, 0, 0, 0];
    nan.extend_from_slice(&f64::NAN.to_le_bytes());
    nan.extend_from_slice(&[1, 0, 0, 0, b'a']);
    assert!(ZSetObj::decode(&nan).is_none());
    assert!(ZSetObj::decode(&[1, 0, 0, 0, 0, 0]).is_none());
}

#[derive(Debug, Clone)]
enum Op {
    Insert(Vec<u8>, f64),
    Remove(Vec<u8>),
}

fn member() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => (0u16..400).prop_map(|i| i.to_string().into_bytes()),
        1 => proptest::collection::vec(b'a'..b'c', 60..70),
    ]
}

fn score() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-5i32..5).prop_map(f64::from),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        (-1e6f64..1e6),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (member(), score()).prop_map(|(m, s)| Op::Insert(m, s)),
        1 => member().prop_map(Op::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn zset_matches_a_btreemap(
        ops in proptest::collection::vec(op(), 0..1200),
        lo in -6f64..6.0,
        a in 0usize..600,
        b in 0usize..600,
    ) {
        let mut z = ZSetObj::new();
        let mut model = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(m, s) => prop_assert_eq!(z.insert(&m, s), model.insert(m, s).is_none()),
                Op::Remove(m) => prop_assert_eq!(z.remove(&m), model.remove(&m)),
            }
            prop_assert_eq!(z.len(), model.len());
        }
        let want = sorted(&model);
        prop_assert_eq!(owned(z.iter()), want.clone());
        let mut rev = want.clone();
        rev.reverse();
        prop_assert_eq!(owned(z.iter().rev()), rev);
        for (i, (m, s)) in want.iter().enumerate() {
            prop_assert_eq!(z.rank(m), Some(i));
            prop_assert_eq!(z.score(m), Some(*s));
            prop_assert_eq!(z.get(i).map(|(m, s)| (m.to_vec(), s)), Some((m.clone(), *s)));
        }
        let (a, b) = (a.min(b), a.max(b));
        let slice = want.get(a.min(want.len())..b.min(want.len())).unwrap_or(&[]).to_vec();
        prop_assert_eq!(owned(z.range(a, b)), slice.clone());
        let mut rs = slice;
        rs.reverse();
        prop_assert_eq!(owned(z.range(a, b).rev()), rs);
        // Steps from both ends, alternating, meet without a gap or a
        // repeat (the packed form's backward steps pop the starts its
        // first one found).
        let (mut it, mut lo_i, mut hi_i) = (z.iter(), 0, want.len());
        for step in 0..=want.len() {
            let got = if step % 3 == 1 { it.next() } else { it.next_back() };
            let expect = if lo_i == hi_i {
                None
            } else if step % 3 == 1 {
                lo_i += 1;
                Some(&want[lo_i - 1])
            } else {
                hi_i -= 1;
                Some(&want[hi_i])
            };
            prop_assert_eq!(got.map(|(m, s)| (m.to_vec(), s)), expect.cloned());
        }
        let below = want.iter().filter(|(_, s)| *s < lo).count();
        prop_assert_eq!(z.count_while(|s, _| s < lo), below);
        if !model.is_empty() {
            let back = ZSetObj::decode(&z.encode()).map(|d| owned(d.iter()));
            prop_assert_eq!(back, Some(want));
        }
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = ZSetObj::decode(&bytes);
    }
}

#[test]
fn packed_scores_keep_their_values_at_every_width() {
    let scores = [
        0.0,
        -0.0,
        -1.0,
        127.0,
        128.0,
        -128.0,
        -129.0,
        32767.0,
        32768.0,
        -32769.0,
        i32::MAX as f64,
        i32::MIN as f64,
        i32::MAX as f64 + 1.0,
        i32::MIN as f64 - 1.0,
        1.5,
        -2.25,
        1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut z = ZSetObj::new();
    let mut model = BTreeMap::new();
    for (i, &s) in scores.iter().enumerate() {
        let m = format!("member-{i}").into_bytes();
        assert!(z.insert(&m, s));
        model.insert(m, if s == 0.0 { 0.0 } else { s });
    }
    assert_eq!(z.encoding(), "listpack");
    let want = sorted(&model);
    assert_eq!(owned(z.iter()), want);
    let mut back = owned(z.iter().rev());
    back.reverse();
    assert_eq!(back, want);
    for (m, s) in &want {
        assert_eq!(z.score(m), Some(*s));
    }
}
