//! Pops over several shards (BLPOP, BRPOP, BZPOPMIN, BZPOPMAX, BLMPOP,
//! BZMPOP, LMPOP, ZMPOP): from the first of the keys that holds a value,
//! without copying lists between shards (`shardd/TRANSACTIONS.md`, "Pops
//! over several shards").

use std::rc::Rc;

use common::{
    reply::Proto,
    table::{Cmd, CommandSpec},
};

use super::{ask_in_tx, ask_mixed, lock_any, parts_of_keys, settle, Ask};
use crate::{link::Req, worker::Worker};

/// For a command that pops from the first of its keys holding a value
/// (BLPOP, BRPOP, BZPOPMIN, BZPOPMAX, BLMPOP, BZMPOP, LMPOP, ZMPOP): the
/// positions of its keys (contiguous, in order) and of its `numkeys`.
pub fn pop_keys(id: Cmd, argv: &[&[u8]]) -> Option<PopKeys> {
    let numkeys = |at: usize| {
        let n = argv.get(at).and_then(|n| common::num::parse_i64(n))?;
        let n = usize::try_from(n).ok().filter(|&n| n > 0)?;
        (at + 1 + n <= argv.len()).then_some(PopKeys {
            first: at + 1,
            end: at + 1 + n,
            numkeys: Some(at),
        })
    };
    match id {
        Cmd::Blpop | Cmd::Brpop | Cmd::Bzpopmin | Cmd::Bzpopmax if argv.len() > 2 => {
            Some(PopKeys {
                first: 1,
                end: argv.len() - 1,
                numkeys: None,
            })
        }
        Cmd::Blmpop | Cmd::Bzmpop => numkeys(2),
        Cmd::Lmpop | Cmd::Zmpop => numkeys(1),
        _ => None,
    }
}

/// Where a pop command's keys are in its arguments: `first..end`, and its
/// `numkeys` argument if it has one.
#[derive(Clone, Copy)]
pub struct PopKeys {
    pub first: usize,
    pub end: usize,
    pub numkeys: Option<usize>,
}

impl PopKeys {
    /// The key names.
    pub fn names<'a>(&self, argv: &[&'a [u8]]) -> Vec<&'a [u8]> {
        argv[self.first..self.end].to_vec()
    }

    /// The command with its keys replaced by `keys`.
    pub fn narrow(&self, argv: &[&[u8]], keys: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::with_capacity(argv.len());
        out.extend(argv[..self.first].iter().map(|a| a.to_vec()));
        if let Some(n) = self.numkeys {
            out[n] = keys.len().to_string().into_bytes();
        }
        out.extend(keys.iter().map(|k| k.to_vec()));
        out.extend(argv[self.end..].iter().map(|a| a.to_vec()));
        out
    }
}

/// Runs a pop over keys on several shards inside `t`, which holds
/// `names` (the command's keys or the first of them): asks each one's
/// TYPE (all at once), then runs the command narrowed to the first that
/// exists (or to the first key, for the null reply or its error) on that
/// key's shard, which it moves to the front of `locked` (the list of
/// `t`'s shards; the first decides). Its reply. The shards whose keys
/// were only looked at wrote nothing: at the prepare they let go at once,
/// and only the popped key's shard logs. One round trip more than on one
/// shard, whatever the lists hold (the general plan,
/// [`together`](super::together), would copy every list to one shard and
/// back).
#[allow(clippy::too_many_arguments)]
pub(super) async fn pop_first(
    w: &Rc<Worker>,
    t: u64,
    locked: &mut [usize],
    proto: Proto,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
    keys: PopKeys,
    names: &[&[u8]],
) -> Vec<u8> {
    let probe = Req::internal(Cmd::Type, Proto::Resp2).in_tx(t);
    let asks: Vec<Ask> = names
        .iter()
        .map(|k| Ask {
            req: probe,
            shard: w.shared.shard_of(k),
            args: vec![b"TYPE".to_vec(), k.to_vec()],
        })
        .collect();
    let types = ask_mixed(w, &asks).await;
    if let Some(e) = types.iter().find(|r| r.starts_with(b"-")) {
        return e.clone();
    }
    let at = types
        .iter()
        .position(|r| r.as_slice() != b"+none\r\n")
        .unwrap_or(0);
    let Some(&key) = names.get(at) else {
        return b"-ERR a pop with no keys\r\n".to_vec();
    };
    let shard = w.shared.shard_of(key);
    if let Some(i) = locked.iter().position(|&s| s == shard) {
        // The shard that pops decides: the others only read.
        locked[..=i].rotate_right(1);
    }
    let narrowed = keys.narrow(argv, &[key]);
    ask_in_tx(w, t, proto, spec.id, shard, narrowed).await
}

/// A pop over several shards as a transaction of its own that holds only
/// its first `upto` keys (those a pop from key `upto - 1` must see empty):
/// its reply, null when they are all empty. The shard that popped decides
/// (the others only read, so the commit is one record there). For
/// [`run_alone_settled`](super::run_alone_settled)'s callers: the outcome is settled the same way.
pub async fn pop_prefix(
    w: &Rc<Worker>,
    proto: Proto,
    spec: &'static CommandSpec,
    argv: &[&[u8]],
    keys: PopKeys,
    upto: usize,
) -> Vec<u8> {
    let names = keys.names(argv);
    let names = &names[..upto.min(names.len())];
    let parts = parts_of_keys(names.iter().map(|k| (k.to_vec(), w.shared.shard_of(k))));
    let _gate = w.enter_gate().await;
    let (t, mut locked) = match lock_any(w, &parts).await {
        Ok(l) => l,
        Err(e) => return e,
    };
    let reply = pop_first(w, t, &mut locked, proto, spec, argv, keys, names).await;
    settle(w, t, &locked, reply, true).await
}

#[cfg(test)]
mod tests {
    use super::pop_keys;
    use common::table::Cmd;

    #[test]
    fn pop_keys_find_the_keys_and_numkeys() {
        let argv: Vec<&[u8]> = vec![b"BLPOP", b"a", b"b", b"0"];
        let k = pop_keys(Cmd::Blpop, &argv).expect("keys");
        assert_eq!((k.first, k.end, k.numkeys), (1, 3, None));
        let argv: Vec<&[u8]> = vec![b"BLMPOP", b"0", b"2", b"a", b"b", b"LEFT"];
        let k = pop_keys(Cmd::Blmpop, &argv).expect("keys");
        assert_eq!((k.first, k.end, k.numkeys), (3, 5, Some(2)));
        let argv: Vec<&[u8]> = vec![b"ZMPOP", b"2", b"a", b"b", b"MIN", b"COUNT", b"3"];
        let k = pop_keys(Cmd::Zmpop, &argv).expect("keys");
        assert_eq!((k.first, k.end, k.numkeys), (2, 4, Some(1)));
        let argv: Vec<&[u8]> = vec![b"LMPOP", b"3", b"a", b"b"];
        assert!(pop_keys(Cmd::Lmpop, &argv).is_none());
        let argv: Vec<&[u8]> = vec![b"LMPOP", b"0", b"a", b"LEFT"];
        assert!(pop_keys(Cmd::Lmpop, &argv).is_none());
        let argv: Vec<&[u8]> = vec![b"RENAME", b"a", b"b"];
        assert!(pop_keys(Cmd::Rename, &argv).is_none());
    }
}
