use super::*;

fn owned(args: &[&str]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

fn apply(r: &mut Replay, ks: &mut Keyspace, rec: &[Vec<u8>]) {
    let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
    assert!(r.apply(ks, &args), "record {rec:?} applies");
}

fn get(ks: &mut Keyspace, key: &str) -> Option<Vec<u8>> {
    ks.get(key.as_bytes()).map(|v| match v {
        crate::keyspace::ValueRef::Str(s) => s.to_vec(),
        _ => b"?".to_vec(),
    })
}

/// `a` = "old" before the transaction, which sets it to "new".
fn prepared(ks: &mut Keyspace) -> Vec<Vec<u8>> {
    ks.insert_str(b"a", b"old");
    let undo = Undo {
        db: 0,
        tagged: false,
        images: vec![Image::capture(ks, b"a"), Image::capture(ks, b"b")],
        all: false,
        index: Default::default(),
    };
    ks.clear();
    ks.insert_str(b"a", b"old");
    prep_record(
        7,
        0,
        &undo,
        &[owned(&["SET", "a", "new"]), owned(&["SET", "b", "x"])],
    )
}

#[test]
fn a_prepared_transaction_is_applied_at_its_commit() {
    let mut ks = Keyspace::new();
    let prep = prepared(&mut ks);
    let mut r = Replay::default();
    apply(&mut r, &mut ks, &prep);
    apply(&mut r, &mut ks, &commit_record(7, false, &[]));
    let rec = r.finish(&mut ks);
    assert!(rec.in_doubt.is_empty());
    assert_eq!(get(&mut ks, "a").as_deref(), Some(&b"new"[..]));
    assert_eq!(get(&mut ks, "b").as_deref(), Some(&b"x"[..]));
}

#[test]
fn an_abort_puts_every_key_back() {
    let mut ks = Keyspace::new();
    let prep = prepared(&mut ks);
    let mut r = Replay::default();
    apply(&mut r, &mut ks, &prep);
    apply(&mut r, &mut ks, &marker(TXABORT, 7));
    let rec = r.finish(&mut ks);
    assert!(rec.in_doubt.is_empty());
    assert_eq!(get(&mut ks, "a").as_deref(), Some(&b"old"[..]));
    assert_eq!(get(&mut ks, "b"), None);
}

#[test]
fn a_prepared_transaction_without_outcome_is_in_doubt_with_its_effects() {
    let mut ks = Keyspace::new();
    let prep = prepared(&mut ks);
    let mut r = Replay::default();
    apply(&mut r, &mut ks, &prep);
    let rec = r.finish(&mut ks);
    assert_eq!(rec.in_doubt.len(), 1);
    assert_eq!(rec.in_doubt[0].t, 7);
    assert_eq!(get(&mut ks, "a").as_deref(), Some(&b"new"[..]));
    // Undoing it later restores the keys.
    rec.in_doubt[0].undo.apply(&mut ks);
    assert_eq!(get(&mut ks, "a").as_deref(), Some(&b"old"[..]));
    assert_eq!(get(&mut ks, "b"), None);
}

#[test]
fn a_transaction_cut_by_a_snapshot_and_never_prepared_is_undone() {
    let mut ks = Keyspace::new();
    ks.insert_str(b"a", b"old");
    let undo = Undo {
        db: 0,
        tagged: false,
        images: vec![Image::capture(&mut ks, b"a")],
        all: false,
        index: Default::default(),
    };
    // The snapshot holds its effect.
    ks.insert_str(b"a", b"new");
    let mut r = Replay::default();
    apply(&mut r, &mut ks, &undo_record(9, &undo));
    r.finish(&mut ks);
    assert_eq!(get(&mut ks, "a").as_deref(), Some(&b"old"[..]));
}

#[test]
fn decisions_are_kept_until_forgotten() {
    let mut ks = Keyspace::new();
    let mut r = Replay::default();
    apply(
        &mut r,
        &mut ks,
        &commit_record(3, true, &[owned(&["SET", "k", "v"])]),
    );
    apply(&mut r, &mut ks, &commit_record(4, true, &[]));
    apply(&mut r, &mut ks, &marker(TXFORGET, 3));
    let rec = r.finish(&mut ks);
    assert_eq!(rec.decided, HashSet::from([4]));
    assert_eq!(get(&mut ks, "k").as_deref(), Some(&b"v"[..]));
}

#[test]
fn damaged_records_apply_nothing() {
    let mut ks = Keyspace::new();
    let mut r = Replay::default();
    for bad in [
        vec![TXPREP.to_vec(), b"x".to_vec()],
        vec![
            TXPREP.to_vec(),
            b"1".to_vec(),
            b"0".to_vec(),
            b"0".to_vec(),
            b"5".to_vec(),
        ],
        vec![
            TXCOMMIT.to_vec(),
            b"1".to_vec(),
            b"0".to_vec(),
            b"9".to_vec(),
            b"SET".to_vec(),
        ],
        vec![TXUNDO.to_vec()],
    ] {
        let args: Vec<&[u8]> = bad.iter().map(Vec::as_slice).collect();
        assert!(!r.apply(&mut ks, &args), "{bad:?}");
    }
    assert!(ks.is_empty());
}

#[test]
fn a_tagged_undo_puts_every_database_back_after_a_replay() {
    let mut ks = Keyspace::new();
    ks.insert_str(b"a", b"0");
    ks.in_db(2, |ks| ks.insert_str(b"b", b"2"));
    // The transaction (in database 3) first wrote `a`... of database 3.
    let mut undo = Undo {
        db: 3,
        ..Undo::default()
    };
    undo.keep(&mut ks, b"a");
    ks.in_db(3, |ks| ks.insert_str(b"a", b"three"));
    // ...then a FLUSHALL: every key of every database, tagged.
    undo.tag();
    for d in ks.used_dbs() {
        let mut keys = Vec::new();
        ks.in_db(d, |ks| ks.for_each_key(|k, _| keys.push(k.to_vec())));
        for k in keys {
            undo.keep_in(&mut ks, d, &k);
        }
    }
    undo.all = true;
    assert!(undo.has(b"a") && undo.has_in(0, b"a") && undo.has_in(2, b"b"));
    ks.clear_all();
    ks.in_db(5, |ks| ks.insert_str(b"new", b"x"));
    // Through the prepare record and an abort, as loading applies them.
    let mut r = Replay::default();
    ks.select(3);
    apply(&mut r, &mut ks, &prep_record(9, 0, &undo, &[]));
    apply(&mut r, &mut ks, &marker(TXABORT, 9));
    ks.select(0);
    assert_eq!(get(&mut ks, "a").as_deref(), Some(&b"0"[..]));
    assert_eq!(
        ks.db_sizes(),
        vec![(0, 1, 0), (2, 1, 0)],
        "db 3's a was absent"
    );
    ks.select(2);
    assert_eq!(get(&mut ks, "b").as_deref(), Some(&b"2"[..]));
}

#[test]
fn many_images_are_found_by_their_index_before_and_after_tagging() {
    let mut ks = Keyspace::new();
    let mut undo = Undo::default();
    let keys: Vec<Vec<u8>> = (0..40).map(|i| format!("k{i}").into_bytes()).collect();
    for round in 0..2 {
        for k in &keys {
            undo.keep(&mut ks, k);
        }
        assert_eq!(
            undo.images.len(),
            keys.len(),
            "one image per key (round {round})"
        );
    }
    assert!(keys.iter().all(|k| undo.has(k)));
    assert!(!undo.has(b"other"));
    undo.tag();
    assert!(keys.iter().all(|k| undo.has_in(0, k)));
    assert!(!undo.has_in(1, b"k1"));
    undo.keep_in(&mut ks, 1, b"k1");
    undo.keep_in(&mut ks, 1, b"k1");
    assert_eq!(undo.images.len(), keys.len() + 1);
}
