//! SORT and SORT_RO with `BY` or `GET` patterns, which read keys the
//! command does not name (`weight_*`, `obj_*->field`): on any shard, as one
//! Redis would (no "denied in Cluster mode").
//!
//! Outside MULTI ([`run`]): when the keys it names (the sorted key, the
//! STORE destination) are on one shard, the SORT goes there as it is, and
//! runs whole when the shard may read every key its patterns name (one
//! round trip: hash-tagged patterns, one shard). Otherwise the shard
//! answers `-SHARDIS.STRAY` with the keys it may not read (another
//! shard's, or held by a transaction), or, when the named keys are on
//! several shards, the proxy asks the sorted key's shard which keys the
//! patterns read (`SHARDD.SORT` outside a transaction). Then the SORT runs
//! as a transaction over all of them (`super::straying`): each key locked
//! on its shard, copies of the other shards' keys on the sorted key's
//! shard, `SHARDD.SORT listed... SORT ...` there reading only the listed
//! keys, the STORE destination taken home, two-phase commit. A key the
//! patterns name that the round did not lock (the sorted value changed in
//! between) makes it abort and run again with that key too.
//!
//! Inside MULTI ([`run_in_tx`]) the transaction takes the ordered path, as
//! with a script: the keys the patterns read are asked first ([`probe`])
//! and locked with the others; a key found later makes the transaction run
//! again (`crate::builtin::xtx`).

use std::rc::Rc;

use common::{
    reply::Proto,
    resp_value::{parse, Value},
    table::{Cmd, CommandSpec},
    wire::strays_of,
};

use super::{
    ask_all, ask_each, keys_of, run_with_copies,
    straying::{names, run_straying, unique_keys, Keys, Straying},
};
use crate::{link::Req, worker::Worker};

/// SORT's first `BY` with a pattern or `GET`, if any (`BY` or `GET`):
/// those read keys nobody names (an ACL needs every key readable).
pub fn pattern_option(spec: &CommandSpec, argv: &[&[u8]]) -> Option<&'static str> {
    if !matches!(spec.id, Cmd::Sort | Cmd::SortRo) {
        return None;
    }
    let mut i = 2;
    while i + 1 < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"by") && argv[i + 1].contains(&b'*') {
            return Some("BY");
        }
        if a.eq_ignore_ascii_case(b"get") {
            return Some("GET");
        }
        i += if a.eq_ignore_ascii_case(b"limit") {
            3
        } else if a.eq_ignore_ascii_case(b"by") || a.eq_ignore_ascii_case(b"store") {
            2
        } else {
            1
        };
    }
    None
}

/// Whether SORT `argv` may read keys through its patterns (a `BY` or
/// `GET` pattern with `*`): it then runs as [`run`] says.
pub fn reads_patterns(spec: &CommandSpec, argv: &[&[u8]]) -> bool {
    if !matches!(spec.id, Cmd::Sort | Cmd::SortRo) {
        return false;
    }
    argv.windows(2).skip(2).any(|p| {
        (p[0].eq_ignore_ascii_case(b"by") || p[0].eq_ignore_ascii_case(b"get"))
            && p[1].contains(&b'*')
    })
}

/// `SHARDD.SORT nlisted listed... argv...`.
fn record(listed: &[Vec<u8>], argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut args = Vec::with_capacity(2 + listed.len() + argv.len());
    args.push(b"SHARDD.SORT".to_vec());
    args.push(listed.len().to_string().into_bytes());
    args.extend(listed.iter().cloned());
    args.extend(argv.iter().map(|a| a.to_vec()));
    args
}

/// The keys SORT `argv` names with `extra` (read only), each once.
fn keys_with(
    w: &Worker,
    spec: &CommandSpec,
    argv: &[&[u8]],
    extra: &[Vec<u8>],
) -> Vec<(Vec<u8>, bool, usize)> {
    let named = keys_of(w, spec, argv);
    let more = extra
        .iter()
        .map(|k| (k.clone(), false, w.shared.shard_of(k)));
    unique_keys(named.into_iter().chain(more))
}

/// The keys SORT `argv`'s patterns read now, as its sorted key's shard
/// sees them (a first guess: the transaction checks).
pub async fn probe(w: &Rc<Worker>, argv: &[&[u8]]) -> Vec<Vec<u8>> {
    let shard = argv.get(1).map_or(0, |k| w.shared.shard_of(k));
    let reply = ask_all(w, Cmd::SharddSort, &[(shard, record(&[], argv))]).await;
    let Some((Value::Array(keys), _)) = reply.first().and_then(|r| parse(r)) else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|k| k.as_bytes().map(<[u8]>::to_vec))
        .collect()
}

/// Runs SORT `argv` (with patterns, outside MULTI) for request `req`;
/// its reply (module docs), and whether it ran as a transaction (the
/// proxy then counts its error, if it is one; the shard counted it
/// otherwise).
pub async fn run(
    w: &Rc<Worker>,
    req: Req,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
) -> (Vec<u8>, bool) {
    let proto = req.proto;
    let named = keys_of(w, spec, argv);
    let home = named.first().map_or(0, |(_, _, s)| *s);
    let extra = if named.iter().all(|(_, _, s)| *s == home) {
        let args = argv.iter().map(|a| a.to_vec()).collect();
        let reply = ask_each(w, req, &[(home, args)])
            .await
            .pop()
            .unwrap_or_default();
        match strays_of(&reply) {
            None => return (reply, false),
            Some(keys) => keys,
        }
    } else {
        probe(w, argv).await
    };
    let keys = |extra: &[Vec<u8>]| keys_with(w, spec, argv, extra);
    let request = |t: u64, _exec: usize, keys: &Keys, _swept: super::sweep::Swept<'_>| {
        (
            Req::internal(Cmd::SharddSort, proto).in_tx(t),
            record(&names(keys), argv),
        )
    };
    let s = Straying {
        what: "SORT",
        keys: &keys,
        request: &request,
    };
    let asks = common::wire::Strays {
        keys: extra,
        ..Default::default()
    };
    (run_straying(w, &s, asks).await, true)
}

/// SORT `argv` (with patterns) as a command of transaction `t`, which
/// holds its keys and `extra`: run on the sorted key's shard with copies
/// of the others; its reply, `-SHARDIS.STRAY` if its patterns read a key
/// `t` did not lock.
pub async fn run_in_tx(
    w: &Rc<Worker>,
    t: u64,
    proto: Proto,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
    extra: &[Vec<u8>],
) -> Vec<u8> {
    let keys = keys_with(w, spec, argv, extra);
    let exec = keys.first().map_or(0, |(_, _, s)| *s);
    let req = Req::internal(Cmd::SharddSort, proto).in_tx(t);
    run_with_copies(w, t, req, record(&names(&keys), argv), &keys, exec).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> &'static CommandSpec {
        Cmd::Sort.spec()
    }

    #[test]
    fn only_patterns_with_a_star_read_keys() {
        let argv =
            |s: &'static str| -> Vec<&'static [u8]> { s.split(' ').map(str::as_bytes).collect() };
        assert!(reads_patterns(spec(), &argv("SORT l BY w_*")));
        assert!(reads_patterns(spec(), &argv("SORT l get o_*->f")));
        assert!(!reads_patterns(spec(), &argv("SORT l BY nosort GET #")));
        assert!(!reads_patterns(spec(), &argv("SORT l STORE x*")));
        assert!(!reads_patterns(Cmd::Get.spec(), &argv("GET BY w_*")));
        assert_eq!(pattern_option(spec(), &argv("SORT l GET #")), Some("GET"));
        assert_eq!(pattern_option(spec(), &argv("SORT l BY nosort")), None);
        assert_eq!(
            pattern_option(spec(), &argv("SORT l LIMIT 0 1 BY w_*")),
            Some("BY")
        );
    }
}
