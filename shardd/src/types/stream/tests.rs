use super::*;

fn ids(s: &StreamObj, rev: bool) -> Vec<StreamId> {
    let mut out = Vec::new();
    s.range(StreamId::MIN, StreamId::MAX, rev, 0, |id, _| {
        out.push(id);
        true
    });
    out
}

fn filled(n: u64) -> StreamObj {
    let mut s = StreamObj::default();
    for i in 1..=n {
        let v = i.to_string();
        assert!(s
            .append(NewId::Exact(StreamId::new(i, 0)), &[b"f", v.as_bytes()], 0)
            .is_ok());
    }
    s
}

#[test]
fn ids_are_generated_as_redis_does() {
    let mut s = StreamObj::default();
    assert_eq!(
        s.append(NewId::Auto, &[b"a", b"1"], 100),
        Ok(StreamId::new(100, 0))
    );
    assert_eq!(
        s.append(NewId::Auto, &[b"a", b"1"], 90),
        Ok(StreamId::new(100, 1))
    );
    assert_eq!(
        s.append(NewId::AutoSeq(100), &[b"a", b"1"], 0),
        Ok(StreamId::new(100, 2))
    );
    assert_eq!(
        s.append(NewId::AutoSeq(200), &[b"a", b"1"], 0),
        Ok(StreamId::new(200, 0))
    );
    assert_eq!(
        s.append(NewId::Exact(StreamId::new(200, 0)), &[b"a", b"1"], 0),
        Err(AddError::NotGreater)
    );
    assert_eq!(s.len(), 4);
    assert_eq!(s.entries_added, 4);
    assert_eq!(s.first_id, StreamId::new(100, 0));
}

#[test]
fn ranges_run_both_ways_across_nodes_and_skip_tombstones() {
    let mut s = filled(250);
    assert_eq!(s.node_count(), 3);
    assert_eq!(ids(&s, false).len(), 250);
    assert!(s.delete(StreamId::new(1, 0)));
    assert!(!s.delete(StreamId::new(1, 0)));
    assert_eq!(s.first_id, StreamId::new(2, 0));
    assert_eq!(s.max_deleted, StreamId::new(1, 0));
    let fwd = ids(&s, false);
    let mut back = ids(&s, true);
    back.reverse();
    assert_eq!(fwd, back);
    assert_eq!(fwd.len(), 249);
    let mut got = Vec::new();
    s.range(
        StreamId::new(99, 0),
        StreamId::new(102, 0),
        false,
        3,
        |id, f| {
            got.push((id.ms, f[1].to_vec()));
            true
        },
    );
    assert_eq!(
        got,
        vec![
            (99, b"99".to_vec()),
            (100, b"100".to_vec()),
            (101, b"101".to_vec())
        ]
    );
}

#[test]
fn trimming_removes_whole_nodes_when_approximate() {
    let mut s = filled(250);
    assert_eq!(s.trim(Trim::MaxLen(120), true, 0), 100);
    assert_eq!(s.len(), 150);
    assert_eq!(s.trim(Trim::MaxLen(120), false, 0), 30);
    assert_eq!(s.len(), 120);
    assert_eq!(s.first_id, StreamId::new(131, 0));
    assert_eq!(s.trim(Trim::MinId(StreamId::new(200, 0)), false, 0), 69);
    assert_eq!(ids(&s, false).first(), Some(&StreamId::new(200, 0)));
    // The node left with one entry goes; the next (50) is past the limit.
    assert_eq!(s.trim(Trim::MaxLen(0), true, 10), 1);
    assert_eq!(s.len(), 50);
}

#[test]
fn an_add_or_a_trim_said_not_to_trim_removes_nothing() {
    // Every size around the node boundaries, every cap near them, exact
    // and approximate, MAXLEN and MINID, an XADD's append and trim or an
    // XTRIM alone: when `add_may_trim` (or `trim_may_remove`) says no,
    // nothing is removed.
    let mut said_no = 0;
    for n in [0u64, 1, 2, 99, 100, 101, 150, 199, 200, 201, 250] {
        for max in [0u64, 1, 50, 99, 100, 101, 150, 200, 249, 250, 251, 300] {
            for approx in [false, true] {
                for how in [Trim::MaxLen(max), Trim::MinId(StreamId::new(max, 0))] {
                    for add in [true, false] {
                        let mut s = filled(n);
                        let may = match add {
                            true => s.add_may_trim(how, approx),
                            false => s.trim_may_remove(how, approx),
                        };
                        let at = StreamId::new(n + 1, 0);
                        assert!(!add || s.append(NewId::Exact(at), &[b"f", b"v"], 0).is_ok());
                        let removed = s.trim(how, approx, 0);
                        if !may {
                            said_no += 1;
                            assert_eq!(removed, 0, "n {n} {how:?} approx {approx} add {add}");
                        }
                    }
                }
            }
        }
    }
    assert!(said_no > 200, "{said_no}");
}

#[test]
fn a_stream_survives_encoding_with_its_groups() {
    let mut s = filled(150);
    s.delete(StreamId::new(7, 0));
    let mut g = Group::new(StreamId::new(3, 0), 3);
    g.consumer(b"alice", 5);
    g.pel.insert(
        StreamId::new(2, 0),
        Nack {
            delivery_time: 9,
            delivery_count: 2,
            consumer: (*b"alice").into(),
        },
    );
    if let Some(c) = g.consumers.get_mut(&b"alice"[..]) {
        c.pel.insert(StreamId::new(2, 0));
    }
    s.groups.insert(b"g".to_vec(), g);
    let mut bytes = Vec::new();
    s.encode(&mut bytes);
    let back = StreamObj::decode(&bytes);
    assert!(back
        .as_ref()
        .is_some_and(|b| ids(b, false) == ids(&s, false)
            && b.groups == s.groups
            && b.max_deleted == s.max_deleted));
    for cut in [1, bytes.len() / 2, bytes.len() - 1] {
        assert!(StreamObj::decode(&bytes[..cut]).is_none());
    }
}

#[test]
fn lag_and_read_counters_follow_redis() {
    let mut s = filled(5);
    s.groups.insert(b"g".to_vec(), Group::new(StreamId::MIN, 0));
    assert_eq!(s.lag(&s.groups[&b"g"[..]]), Some(5));
    s.advance_group(b"g", StreamId::new(1, 0));
    s.advance_group(b"g", StreamId::new(2, 0));
    assert_eq!(s.groups[&b"g"[..]].entries_read, 2);
    assert_eq!(s.lag(&s.groups[&b"g"[..]]), Some(3));
    s.delete(StreamId::new(4, 0));
    assert_eq!(s.lag(&s.groups[&b"g"[..]]), None);
}

#[test]
fn unappend_gives_back_the_stream_before_the_append() {
    let state = |s: &StreamObj| {
        let mut enc = Vec::new();
        s.encode(&mut enc);
        let nodes: Vec<(StreamId, StreamId, usize, usize, usize)> = s
            .nodes
            .values()
            .map(|n| (n.first, n.last, n.live, n.dead, n.lp_bytes))
            .collect();
        (enc, nodes, s.len, s.marks())
    };
    // Across node boundaries (100 entries a node by default), after
    // tombstones, with the master's fields and with others.
    for n in [0u64, 1, 2, 99, 100, 101, 250] {
        for fields in [&[&b"f"[..], b"x"][..], &[b"g", b"y", b"h", b"z"]] {
            let mut s = filled(n);
            if n > 2 {
                assert!(s.delete(StreamId::new(2, 0)));
                assert!(s.delete(StreamId::new(n, 0)));
            }
            let before = state(&s);
            let marks = s.marks();
            assert!(s.append(NewId::Auto, fields, 1_000_000).is_ok());
            assert_ne!(state(&s), before);
            s.unappend(&marks);
            assert_eq!(state(&s), before, "{n} entries");
        }
    }
}
