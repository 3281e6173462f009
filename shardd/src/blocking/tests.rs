//! First come, first served across shards: reservations and tickets.

use super::*;
use crate::{commands::test_util::run_args, keyspace::db_key};

fn waiter(client: u64, ticket: u64, notify: bool) -> Waiter {
    Waiter {
        owner: 1,
        client,
        id: client,
        ticket,
        proto: Proto::Resp2,
        cmd: if notify { Cmd::SharddBwait } else { Cmd::Blpop },
        family: Family::List,
        keys: vec![db_key(0, b"q")],
        rec: (!notify).then(|| b"rec".to_vec()),
    }
}

/// Who the round serves next: `(client answered, None)` or `(None, run)`.
fn next(b: &mut Blocking, ks: &mut Keyspace) -> Option<(u64, bool)> {
    match b.next_due(ks)? {
        Due::Answer { id, .. } => Some((id, false)),
        Due::Run { .. } => {
            let seq = b.serving?;
            Some((b.waiters.get(&seq)?.client, true))
        }
    }
}

/// Waiters `(client, ticket, notify)` added in this order, then an
/// element pushed to `q`: the keyspace and the waiters.
fn pushed_to(waiters: &[(u64, u64, bool)]) -> (Keyspace, Blocking) {
    let mut ks = Keyspace::new();
    let mut b = Blocking::default();
    for &(client, ticket, notify) in waiters {
        b.add(waiter(client, ticket, notify));
    }
    run_args(&mut ks, &[b"RPUSH", b"q", b"x"]);
    b.signal(0, b"q");
    (ks, b)
}

/// A client blocked over several shards (10, notify), then one on `q`
/// alone (20), and a push: 10 is woken.
fn first_woken() -> (Keyspace, Blocking) {
    let (mut ks, mut b) = pushed_to(&[(10, 100, true), (20, 101, false)]);
    assert_eq!(
        next(&mut b, &mut ks),
        Some((10, false)),
        "the oldest is woken"
    );
    (ks, b)
}

#[test]
fn a_woken_client_keeps_the_element_from_the_waiters_behind_it() {
    let (mut ks, mut b) = first_woken();
    assert!(b.reserved_for_other(0, b"q", Some((1, 20))));
    assert!(!b.reserved_for_other(0, b"q", Some((1, 10))));
    assert_eq!(next(&mut b, &mut ks), None, "the one behind waits");
    // A write to the key (the woken client's pop) ends it.
    run_args(&mut ks, &[b"LPOP", b"q"]);
    b.signal(0, b"q");
    assert!(!b.reserved_for_other(0, b"q", Some((1, 20))));
    run_args(&mut ks, &[b"RPUSH", b"q", b"y"]);
    b.signal(0, b"q");
    assert_eq!(next(&mut b, &mut ks), Some((20, true)), "then the next one");
}

#[test]
fn release_and_waiting_again_end_a_reservation() {
    let (mut ks, mut b) = first_woken();
    assert!(!b.release(1, 20), "not its reservation");
    assert!(b.release(1, 10));
    assert!(b.is_fresh(), "every key is looked at again");
    assert_eq!(next(&mut b, &mut ks), Some((20, true)));
    b.served();
    run_args(&mut ks, &[b"LPOP", b"q"]);
    // A younger client waits, then the first one again (its ticket).
    b.add(waiter(30, 102, false));
    b.add(waiter(10, 100, true));
    run_args(&mut ks, &[b"RPUSH", b"q", b"y"]);
    b.signal(0, b"q");
    assert_eq!(next(&mut b, &mut ks), Some((10, false)));
    // Its try found nothing (say a plain LPOP took it): waiting again
    // ends its reservation and keeps its place.
    b.add(waiter(10, 100, true));
    assert!(!b.reserved_for_other(0, b"q", Some((1, 30))));
    b.signal(0, b"q");
    assert_eq!(next(&mut b, &mut ks), Some((10, false)), "first again");
}

#[test]
fn waiters_queue_by_ticket_not_by_arrival() {
    // 10 came first to the proxy and reached the shard second.
    let (mut ks, mut b) = pushed_to(&[(20, 101, false), (10, 100, true)]);
    assert_eq!(next(&mut b, &mut ks), Some((10, false)));
}

#[test]
fn a_reservation_ends_with_its_channel() {
    let (mut ks, mut b) = pushed_to(&[(10, 100, true)]);
    assert_eq!(next(&mut b, &mut ks), Some((10, false)));
    assert!(!b.is_empty(), "a reservation keeps the write hook on");
    b.owner_gone(1);
    assert!(b.is_empty());
}
