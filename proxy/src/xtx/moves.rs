//! LMOVE, RPOPLPUSH, their blocking forms and SMOVE between keys of two
//! shards, inside a transaction that holds both keys, in steps that cost
//! the same whatever the values' sizes:
//!
//! 1. both keys' types are asked, both shards at once (and the element a
//!    list move would take: LINDEX);
//! 2. Redis's answers for a missing source (null, or 0 for SMOVE) and for
//!    a source or a destination of the wrong type come from them, nothing
//!    changed;
//! 3. for a list, the element enters the destination (LPUSH/RPUSH), then
//!    leaves the source (LPOP/RPOP), Redis's order of their events; for a
//!    set, the member leaves the source (SREM, which says whether it was
//!    there), then enters the destination (SADD), Redis's order too.
//!
//! The general plan ([`super::together`]) copies the destination whole to
//! the source's shard and back, which made each move cost in proportion to
//! the destination (`benches/tx_big_values.py`, RESULTS.md: 61 ms for an
//! SMOVE into a set of 100,000 members). The keyspace events are the
//! steps' own (`lpop`/`rpop`, `srem`, `del` when the source empties,
//! `lpush`/`rpush`, `sadd`), the ones Redis sends for these commands, in
//! its order (`proxy/tests/python/test_notify.py`); `INFO commandstats`
//! counts the pop (or SREM) as the call, the other steps as time only
//! (README); the LINDEX counts a keyspace hit Redis's LMOVE does not.

use std::rc::Rc;

use common::{
    reply::{Proto, Reply},
    resp_value::bulk_body,
    table::{Cmd, CommandSpec},
};

use super::{ask_mixed, log_failures, Ask};
use crate::{link::Req, worker::Worker};

const WRONGTYPE: &[u8] = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

/// A move this plan takes: from `src` to `dst`.
struct Move<'a> {
    src: &'a [u8],
    dst: &'a [u8],
    what: What<'a>,
}

/// What moves.
enum What<'a> {
    /// A list's element, from its head (`true`) or its tail, to the
    /// destination's head (`true`) or tail.
    Element { from_left: bool, to_left: bool },
    /// A set's member.
    Member(&'a [u8]),
}

/// `LEFT` (true) or `RIGHT` (false); `None` for anything else.
fn side(arg: &[u8]) -> Option<bool> {
    match arg {
        a if a.eq_ignore_ascii_case(b"left") => Some(true),
        a if a.eq_ignore_ascii_case(b"right") => Some(false),
        _ => None,
    }
}

/// Whether `t` is a timeout this plan may take as Redis does: plain
/// digits with at most one `.`, short enough to be in range. Anything
/// else goes to the general plan, whose real command gives Redis's error
/// (negative, not a float, out of range) or its reading of the odd form.
fn plain_timeout(t: &[u8]) -> bool {
    let dots = t.iter().filter(|&&b| b == b'.').count();
    (1..=12).contains(&t.len())
        && dots <= 1
        && t.iter().any(u8::is_ascii_digit)
        && t.iter().all(|&b| b.is_ascii_digit() || b == b'.')
}

/// The move `argv` asks for; `None` if this plan does not take it (another
/// command, a wrong arity, side or timeout: the general plan gives
/// Redis's error).
fn parse<'a>(id: Cmd, argv: &[&'a [u8]]) -> Option<Move<'a>> {
    let (src, dst) = (*argv.get(1)?, *argv.get(2)?);
    let timeout = match id {
        Cmd::Blmove => argv.get(5),
        Cmd::Brpoplpush => argv.get(3),
        _ => None,
    };
    if timeout.is_some_and(|t| !plain_timeout(t)) {
        return None;
    }
    let what = match (id, argv.len()) {
        (Cmd::Lmove, 5) | (Cmd::Blmove, 6) => What::Element {
            from_left: side(argv[3])?,
            to_left: side(argv[4])?,
        },
        (Cmd::Rpoplpush, 3) | (Cmd::Brpoplpush, 4) => What::Element {
            from_left: false,
            to_left: true,
        },
        (Cmd::Smove, 4) => What::Member(argv[3]),
        _ => return None,
    };
    (src != dst).then_some(Move { src, dst, what })
}

/// A step of transaction `t` on `shard`: `args`, run as command `cmd`;
/// `counted`: the shard counts it as a call in `INFO commandstats`
/// (otherwise its time only).
fn step(t: u64, shard: usize, cmd: Cmd, args: Vec<Vec<u8>>, counted: bool) -> Ask {
    let req = Req::internal(cmd, Proto::Resp2).in_tx(t);
    Ask {
        req: if counted { req } else { req.part(1) },
        shard,
        args,
    }
}

/// Runs `argv` (command `spec`, keys on two shards) inside transaction
/// `t`, which holds both keys; its reply in `proto`. `None` if this plan
/// does not take it (see [`parse`]).
pub async fn run(
    w: &Rc<Worker>,
    t: u64,
    proto: Proto,
    spec: &CommandSpec,
    argv: &[&[u8]],
) -> Option<Vec<u8>> {
    let m = parse(spec.id, argv)?;
    let (a, b) = (w.shared.shard_of(m.src), w.shared.shard_of(m.dst));
    if a == b {
        return None;
    }
    let want: &[u8] = match m.what {
        What::Element { .. } => b"+list\r\n",
        What::Member(_) => b"+set\r\n",
    };
    let ty = |shard, key: &[u8]| {
        step(
            t,
            shard,
            Cmd::Type,
            vec![b"TYPE".to_vec(), key.to_vec()],
            false,
        )
    };
    let mut asks = vec![ty(a, m.src), ty(b, m.dst)];
    if let What::Element { from_left, .. } = m.what {
        // The element that would leave, read first: Redis signals the
        // push before the pop, so the push goes first.
        let at: &[u8] = if from_left { b"0" } else { b"-1" };
        let args = vec![b"LINDEX".to_vec(), m.src.to_vec(), at.to_vec()];
        asks.push(step(t, a, Cmd::Lindex, args, false));
    }
    let types = ask_mixed(w, &asks).await;
    let (src_type, dst_type) = (types.first()?, types.get(1)?);
    if let Some(e) = [src_type, dst_type]
        .into_iter()
        .find(|r| r.starts_with(b"-"))
    {
        // A shard that failed (down, the transaction lost): its error.
        return Some(e.clone());
    }
    let mut out = Vec::new();
    if src_type.as_slice() == b"+none\r\n" {
        let mut r = Reply::new(&mut out, proto);
        match m.what {
            What::Element { .. } => r.null(),
            What::Member(_) => r.int(0),
        }
        return Some(out);
    }
    if src_type.as_slice() != want
        || (dst_type.as_slice() != b"+none\r\n" && dst_type.as_slice() != want)
    {
        return Some(WRONGTYPE.to_vec());
    }
    match m.what {
        What::Element { from_left, to_left } => {
            let peeked = types.get(2)?;
            let Some(element) = bulk_body(peeked) else {
                return Some(peeked.clone());
            };
            let (push, push_name): (Cmd, &[u8]) = match to_left {
                true => (Cmd::Lpush, b"LPUSH"),
                false => (Cmd::Rpush, b"RPUSH"),
            };
            let args = vec![push_name.to_vec(), m.dst.to_vec(), element.to_vec()];
            let pushed = ask_mixed(w, &[step(t, b, push, args, false)]).await;
            log_failures(&pushed, "pushing a moved element");
            let (pop, pop_name): (Cmd, &[u8]) = match from_left {
                true => (Cmd::Lpop, b"LPOP"),
                false => (Cmd::Rpop, b"RPOP"),
            };
            let args = vec![pop_name.to_vec(), m.src.to_vec()];
            let popped = ask_mixed(w, &[step(t, a, pop, args, true)]).await.pop()?;
            if bulk_body(&popped) != Some(element) {
                // The shard failed under it (the transaction fails at its
                // prepare and puts both keys back): its answer, as it came.
                return Some(popped);
            }
            Reply::new(&mut out, proto).bulk(element);
        }
        What::Member(member) => {
            let args = vec![b"SREM".to_vec(), m.src.to_vec(), member.to_vec()];
            let removed = ask_mixed(w, &[step(t, a, Cmd::Srem, args, true)])
                .await
                .pop()?;
            if removed.as_slice() != b":1\r\n" {
                // Not a member (`:0`), or the shard's error.
                return Some(removed);
            }
            let args = vec![b"SADD".to_vec(), m.dst.to_vec(), member.to_vec()];
            let added = ask_mixed(w, &[step(t, b, Cmd::Sadd, args, false)]).await;
            log_failures(&added, "adding a moved member");
            Reply::new(&mut out, proto).int(1);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_parse_with_their_sides_and_others_are_left_alone() {
        let m = parse(Cmd::Lmove, &[b"LMOVE", b"a", b"b", b"left", b"RIGHT"]).expect("a move");
        assert!(matches!(
            m.what,
            What::Element {
                from_left: true,
                to_left: false
            }
        ));
        let m = parse(Cmd::Brpoplpush, &[b"BRPOPLPUSH", b"a", b"b", b"0"]).expect("a move");
        assert!(matches!(
            m.what,
            What::Element {
                from_left: false,
                to_left: true
            }
        ));
        let m = parse(Cmd::Smove, &[b"SMOVE", b"a", b"b", b"m"]).expect("a move");
        assert!(matches!(m.what, What::Member(b"m")));
        // A bad side, a wrong arity, the same key, another command: the
        // general plan answers them.
        assert!(parse(Cmd::Lmove, &[b"LMOVE", b"a", b"b", b"up", b"left"]).is_none());
        assert!(parse(Cmd::Smove, &[b"SMOVE", b"a", b"b"]).is_none());
        assert!(parse(Cmd::Smove, &[b"SMOVE", b"a", b"a", b"m"]).is_none());
        assert!(parse(Cmd::Rename, &[b"RENAME", b"a", b"b"]).is_none());
        // Timeouts Redis would refuse (or read its own way) are its.
        for t in [
            &b"-1"[..],
            b"1e3",
            b"nan",
            b"",
            b".",
            b"1.2.3",
            b"9999999999999",
            b"+1",
        ] {
            assert!(
                parse(Cmd::Brpoplpush, &[b"BRPOPLPUSH", b"a", b"b", t]).is_none(),
                "{t:?}"
            );
        }
        for t in [&b"0"[..], b"0.01", b"5", b"1."] {
            assert!(parse(Cmd::Blmove, &[b"BLMOVE", b"a", b"b", b"LEFT", b"LEFT", t]).is_some());
        }
    }
}
