//! Encoding-level tests of the HLL sketch.

use super::{super::*, *};

#[test]
fn murmurhash64a_matches_reference_values() {
    // The second value comes from an independent Python transcription of the
    // algorithm, run on a value redis-server produced.
    assert_eq!(murmurhash64a(b"", 0), 0);
    assert_eq!(
        murmurhash64a(
            b"HYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00`\xf3\x80P\xb1\x84K\xfb\x80BZ",
            0
        ),
        0xdc5c3a02707ea786
    );
}

#[test]
fn alpha_constant_is_one_over_two_ln_two() {
    let redis: f64 = "0.721347520444481703680".parse().unwrap();
    assert_eq!(ALPHA_INF.to_bits(), redis.to_bits());
}

#[test]
fn new_sketch_is_one_xzero_run_with_a_valid_zero_cache() {
    let h = Hll::new();
    assert_eq!(h.as_bytes(), b"HYLL\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff");
    assert_eq!(h.cached_count(), Some(0));
    assert_eq!(h.count(), Ok(0));
}

#[test]
fn dense_registers_round_trip_at_every_bit_alignment() {
    let mut regs = vec![0u8; DENSE_BYTES - HEADER_BYTES];
    for i in 0..REGISTERS {
        dense_set(&mut regs, i, (i % 64) as u8);
    }
    for i in 0..REGISTERS {
        assert_eq!(dense_get(&regs, i), (i % 64) as u8, "register {i}");
    }
    dense_set(&mut regs, REGISTERS - 1, 63);
    assert_eq!(
        dense_get(&regs, REGISTERS - 2),
        ((REGISTERS - 2) % 64) as u8
    );
}

#[test]
fn sparse_and_dense_give_the_same_registers_and_count() {
    let mut sparse = Hll::new();
    for i in 0..300 {
        sparse.add(format!("x{i}").as_bytes()).unwrap();
    }
    assert!(!sparse.is_dense());
    let mut dense = sparse.clone();
    dense.to_dense().unwrap();
    assert!(dense.is_dense());
    let (mut a, mut b) = ([0u8; REGISTERS], [0u8; REGISTERS]);
    sparse.merge_into(&mut a).unwrap();
    dense.merge_into(&mut b).unwrap();
    assert_eq!(a, b);
    assert_eq!(sparse.count(), dense.count());
    assert_eq!(count_registers(&a), sparse.count().unwrap());
}

#[test]
fn a_rank_above_32_turns_the_sketch_dense() {
    let mut h = Hll::new();
    assert_eq!(h.set_register(5, 32), Ok(true));
    assert!(!h.is_dense());
    assert_eq!(h.set_register(5, 32), Ok(false));
    assert_eq!(h.set_register(6, 33), Ok(true));
    assert!(h.is_dense());
    assert_eq!(h.as_bytes().len(), DENSE_BYTES);
    let mut regs = [0u8; REGISTERS];
    h.merge_into(&mut regs).unwrap();
    assert_eq!((regs[5], regs[6], regs[7]), (32, 33, 0));
}

#[test]
fn sparse_runs_must_cover_all_registers() {
    let mut b = Hll::new().into_bytes();
    b[17] = 0xfe; // XZERO of 16383
    let h = Hll::from_bytes(&b).unwrap();
    assert_eq!(h.count(), Err(Corrupt));
    let mut h2 = h.clone();
    assert_eq!(h2.to_dense(), Err(Corrupt));
    b.truncate(17); // a cut XZERO opcode
    assert_eq!(Hll::from_bytes(&b).unwrap().count(), Err(Corrupt));
}

#[test]
fn validity_checks_magic_encoding_and_dense_length() {
    assert!(is_valid(Hll::new().as_bytes()));
    assert!(!is_valid(b"HYLL"));
    assert!(!is_valid(b"HYLX\x01\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"));
    assert!(!is_valid(b"HYLL\x02\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"));
    assert!(!is_valid(b"HYLL\x00\0\0\0\0\0\0\0\0\0\0\0\x7f\xff"));
}

#[test]
fn a_sparse_value_past_the_size_limit_turns_dense() {
    let mut h = Hll::new();
    let mut model = [0u8; REGISTERS];
    let mut turned_at = None;
    for i in 0..3000 {
        h.set_register(i * 5, 1).unwrap();
        model[i * 5] = 1;
        if h.is_dense() && turned_at.is_none() {
            turned_at = Some(i);
        }
        assert!(h.is_dense() || h.as_bytes().len() <= SPARSE_MAX_BYTES);
    }
    assert!(turned_at.is_some_and(|i| i > 500), "{turned_at:?}");
    assert_eq!(h.count().unwrap(), count_registers(&model));
}

mod props {
    use proptest::prelude::*;

    use super::super::{super::*, *};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever order and mix of register updates, the sparse encoding
        /// holds the same registers as a plain array, and converting to
        /// dense changes neither the registers nor the estimate.
        #[test]
        fn sparse_updates_match_a_register_array(
            ups in proptest::collection::vec((0usize..REGISTERS, 1u8..40), 0..400)
        ) {
            let mut h = Hll::new();
            let mut model = [0u8; REGISTERS];
            for &(i, v) in &ups {
                let changed = h.set_register(i, v).unwrap();
                prop_assert_eq!(changed, v > model[i]);
                model[i] = model[i].max(v);
            }
            let mut regs = [0u8; REGISTERS];
            h.merge_into(&mut regs).unwrap();
            prop_assert_eq!(&regs[..], &model[..]);
            let n = h.count().unwrap();
            prop_assert_eq!(n, count_registers(&model));
            prop_assert!(h.is_dense() || h.as_bytes().len() <= SPARSE_MAX_BYTES);
            if model.iter().any(|&v| v > 32) {
                prop_assert!(h.is_dense());
            }
            h.to_dense().unwrap();
            prop_assert_eq!(h.count().unwrap(), n);
        }
    }
}
