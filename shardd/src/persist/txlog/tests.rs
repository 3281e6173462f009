use super::*;
use crate::types::stream::StreamId;

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
        deltas: Vec::new(),
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
        deltas: Vec::new(),
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

fn list(ks: &mut Keyspace, key: &str) -> Vec<Vec<u8>> {
    match ks.get(key.as_bytes()) {
        Some(crate::keyspace::ValueRef::List(l)) => l.iter().map(<[u8]>::to_vec).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn a_prepared_transaction_undone_by_steps_is_put_back_at_its_abort_after_a_replay() {
    let mut ks = Keyspace::new();
    ks.insert(b"q", crate::keyspace::Value::List(Box::default()));
    if let Some(crate::keyspace::ValueMut::List(l)) = ks.get_mut(b"q") {
        for e in ["a", "b", "c"] {
            l.push(crate::types::list::End::Back, e.as_bytes());
        }
    }
    ks.set_expire_at(b"q", 4_102_444_800_000);
    // The transaction popped "a" and "b" from the head and pushed "n" at
    // the tail of q, and created s (an image of its absence).
    let undo = Undo {
        images: vec![Image::capture(&mut ks, b"s")],
        deltas: vec![Delta {
            key: b"q".to_vec(),
            expiry: Some(4_102_444_800_000),
            steps: vec![
                Step::PushFront(vec![b"b".to_vec(), b"a".to_vec()]),
                Step::PopBack(1),
            ],
        }],
        ..Undo::default()
    };
    let prep = prep_record(
        7,
        0,
        &undo,
        &[
            owned(&["LPOP", "q", "2"]),
            owned(&["RPUSH", "q", "n"]),
            owned(&["SADD", "s", "m"]),
        ],
    );
    // The record reads back as written.
    let args: Vec<&[u8]> = prep.iter().map(Vec::as_slice).collect();
    let (back, _) = Undo::parse(&args[3..]).expect("an undo");
    assert_eq!(back.deltas, undo.deltas);
    assert_eq!(back.images, undo.images);
    let mut r = Replay::default();
    apply(&mut r, &mut ks, &prep);
    assert_eq!(list(&mut ks, "q"), vec![b"c".to_vec(), b"n".to_vec()]);
    apply(&mut r, &mut ks, &marker(TXABORT, 7));
    assert!(r.finish(&mut ks).in_doubt.is_empty());
    assert_eq!(
        list(&mut ks, "q"),
        vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]
    );
    assert_eq!(ks.expire_at(b"q"), Some(Some(4_102_444_800_000)));
    assert!(ks.get(b"s").is_none());
}

#[test]
fn undo_records_without_deltas_read_as_before() {
    // `flag n images...` as written before deltas: flag 0..3 only.
    let old: Vec<&[u8]> = vec![b"1", b"1", b"k", b"0", b"", b"-1", b"rest"];
    let (u, rest) = Undo::parse(&old).expect("an old undo");
    assert!(u.all && u.deltas.is_empty() && u.images.len() == 1);
    assert_eq!(rest, &[&b"rest"[..]]);
    // Damaged step lists are refused, never a panic.
    for bad in [
        vec![&b"4"[..], b"0", b"1", b"k", b"-1", b"2", b"PF", b"1"],
        vec![&b"4"[..], b"0", b"1", b"k", b"-1", b"1", b"UF", b"9", b"x"],
        vec![&b"4"[..], b"0", b"1", b"k", b"-1", b"1", b"ZZ", b"1"],
        vec![&b"8"[..], b"0"],
    ] {
        assert!(Undo::parse(&bad).is_none(), "{bad:?}");
    }
}

#[test]
fn field_and_score_steps_read_back_exactly() {
    let undo = Undo {
        deltas: vec![
            Delta {
                key: b"h".to_vec(),
                expiry: None,
                steps: vec![Step::Fields(vec![
                    (b"f".to_vec(), Some(b"v\r\n".to_vec())),
                    (b"g".to_vec(), None),
                    (b"".to_vec(), Some(Vec::new())),
                ])],
            },
            Delta {
                key: b"z".to_vec(),
                expiry: Some(5),
                steps: vec![Step::Scores(vec![
                    (b"a".to_vec(), Some((-0.0f64).to_bits())),
                    (b"b".to_vec(), Some(f64::INFINITY.to_bits())),
                    (b"c".to_vec(), Some(0.1f64.to_bits())),
                    (b"d".to_vec(), None),
                ])],
            },
        ],
        ..Undo::default()
    };
    let rec = undo_record(3, &undo);
    let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
    let (back, rest) = Undo::parse(&args[2..]).expect("an undo");
    assert!(rest.is_empty());
    assert_eq!(back.deltas, undo.deltas);
    // A score that is not a number is refused.
    let bad: Vec<&[u8]> = vec![
        b"4", b"0", b"1", b"z", b"-1", b"1", b"ZS", b"1", b"m", b"1", b"nan",
    ];
    assert!(Undo::parse(&bad).is_none());
}

#[test]
fn list_and_expiry_steps_read_back_exactly() {
    let elems = |xs: &[&str]| xs.iter().map(|x| x.as_bytes().to_vec()).collect::<Vec<_>>();
    let undo = Undo {
        deltas: vec![Delta {
            key: b"l".to_vec(),
            expiry: Some(9),
            steps: vec![
                Step::Expiry,
                Step::SetAt(3, b"old\r\n".to_vec()),
                Step::RemoveAt(0),
                Step::Reinsert {
                    elem: b"x".to_vec(),
                    at: vec![0, 2, 7],
                },
                Step::Untrim {
                    head: elems(&["a", ""]),
                    tail: Vec::new(),
                },
                Step::Untrim {
                    head: Vec::new(),
                    tail: elems(&["y", "z"]),
                },
                Step::PopBack(2),
                Step::Unappend(crate::types::stream::StreamMarks {
                    last_id: StreamId::new(5, 1),
                    first_id: StreamId::new(1, 0),
                    max_deleted: StreamId::MIN,
                    entries_added: 7,
                }),
            ],
        }],
        ..Undo::default()
    };
    let rec = undo_record(3, &undo);
    let args: Vec<&[u8]> = rec.iter().map(Vec::as_slice).collect();
    let (back, rest) = Undo::parse(&args[2..]).expect("an undo");
    assert!(rest.is_empty());
    assert_eq!(back.deltas, undo.deltas);
    // Cut or damaged list steps are refused, never a panic: a delta of
    // key k with one step, each of these.
    for step in [
        "LS 1",
        "LR 2 x 1",
        "LR 1 x -1",
        "LT 1 a",
        "LT 0 2 a",
        "EX 1",
        "LD -3",
        "XU 7 5-1 1-0",
        "XU 7 5-1 1-0 x",
    ] {
        let mut bad: Vec<&[u8]> = vec![b"4", b"0", b"1", b"k", b"-1", b"1"];
        bad.extend(step.split(' ').map(str::as_bytes));
        assert!(Undo::parse(&bad).is_none(), "{step}");
    }
}

#[test]
fn an_image_is_the_key_as_it_was_and_counts_no_lookup() {
    let mut ks = Keyspace::new();
    ks.insert_str(b"a", b"old");
    assert!(ks.set_expire_at(b"a", u64::MAX / 2));
    let before = ks.lookups();
    let a = Image::capture(&mut ks, b"a");
    let missing = Image::capture(&mut ks, b"b");
    // The command the image is taken for counts its own hit or miss.
    assert_eq!(ks.lookups(), before);
    assert!(missing.value.is_none());
    ks.clear();
    a.restore(&mut ks);
    assert_eq!(get(&mut ks, "a"), Some(b"old".to_vec()));
    assert_eq!(ks.expire_at(b"a"), Some(Some(u64::MAX / 2)));
}
