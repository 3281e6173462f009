//! Every shard's keys of a pattern, for a script over several shards that
//! asks for them: KEYS, SCAN (its MATCH, else every key), RANDOMKEY and
//! FLUSHDB (every key); for DBSIZE, their number ([`elsewhere`]). The shard that runs the script cannot see the
//! other shards' keys, so it answers `-SHARDIS.STRAY` with the pattern
//! (`common::wire::stray_reply_with`). The proxy then runs the script in
//! a transaction that holds every shard whole, asks each shard for its
//! keys of the pattern inside it ([`gather`]), lists them for the script
//! (copies of the other shards' keys are made on the script's shard, as
//! for any key it reaches), and tells the shard the pattern is swept
//! (`common::wire::EVAL_SWEPT`). The shard then runs those commands over
//! its own keys and the copies: every key of the pattern is there, and
//! nothing else changes the keyspace until the transaction ends, so the
//! script sees one keyspace, as on one Redis. Its writes to the copies go
//! home at commit, as any script's over several shards do.
//!
//! Cost: every matching key's value is copied to the script's shard and
//! back if written (DBSIZE copies none: the other shards count theirs), and every other client waits while it holds every
//! shard. At most [`SWEEP_KEYS_MAX`] keys are listed: past that the
//! script gets an error rather than a copy of the whole keyspace.

use std::{collections::HashSet, rc::Rc};

use common::{reply::Proto, table::Cmd};

use crate::{
    link::Req,
    merge::{array_elements, bulk_bytes, parse_int_reply},
    worker::Worker,
};

/// The most keys a script's sweeps (and the other keys it lists) may
/// bring to its shard.
pub const SWEEP_KEYS_MAX: usize = 100_000;

/// What a script's shard is told of every shard inside a transaction
/// holding them all (`common::wire::EVAL_SWEPT`).
#[derive(Clone, Copy, Default)]
pub struct Swept<'a> {
    /// The patterns whose keys of every shard are listed.
    pub patterns: &'a [Vec<u8>],
    /// The keys on the other shards that are not listed ([`elsewhere`]),
    /// when a DBSIZE asked.
    pub elsewhere: Option<i64>,
}

impl Swept<'_> {
    /// Whether there is nothing to tell.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty() && self.elsewhere.is_none()
    }
}

/// The keys in the scope's database on every shard but `exec`, less
/// those of `keys` (key, written, shard), which are copied to `exec`: what
/// a script's DBSIZE there adds to that shard's count, inside transaction
/// `t` (which holds every shard whole). The error reply if a shard's
/// answer is not a number.
pub async fn elsewhere(
    w: &Rc<Worker>,
    t: u64,
    keys: &[(Vec<u8>, bool, usize)],
    exec: usize,
) -> Result<i64, Vec<u8>> {
    let mut asks: Vec<super::Ask> = Vec::new();
    for s in (0..w.shared.shard_count()).filter(|&s| s != exec) {
        asks.push(super::Ask {
            req: Req::internal(Cmd::Dbsize, Proto::Resp2).in_tx(t),
            shard: s,
            args: vec![b"DBSIZE".to_vec()],
        });
        let mut ex = vec![b"EXISTS".to_vec()];
        ex.extend(keys.iter().filter(|k| k.2 == s).map(|k| k.0.clone()));
        if ex.len() > 1 {
            asks.push(super::Ask {
                req: Req::internal(Cmd::Exists, Proto::Resp2).in_tx(t),
                shard: s,
                args: ex,
            });
        }
    }
    let replies = super::ask_mixed(w, &asks).await;
    let mut n = 0i64;
    for (ask, r) in asks.iter().zip(&replies) {
        match ask.req.cmd {
            Cmd::Dbsize => n += integer(r)?,
            _ => n -= integer(r)?,
        }
    }
    Ok(n)
}

/// The integer reply `r`, or the error reply.
fn integer(r: &[u8]) -> Result<i64, Vec<u8>> {
    match parse_int_reply(r) {
        Some(n) => Ok(n),
        None if r.first() == Some(&b'-') => Err(r.to_vec()),
        None => Err(b"-ERR shardis: a shard's count could not be read\r\n".to_vec()),
    }
}

/// Every shard's live keys of `patterns` in transaction `t` (which holds
/// every shard whole), in the scope's database, each once; `listed` keys
/// are listed already. The error reply if there are more than
/// [`SWEEP_KEYS_MAX`] in all, or a shard's answer is not a list.
pub async fn gather(
    w: &Rc<Worker>,
    t: u64,
    patterns: &[Vec<u8>],
    listed: usize,
) -> Result<Vec<Vec<u8>>, Vec<u8>> {
    let req = Req::internal(Cmd::Keys, Proto::Resp2).in_tx(t);
    let asks: Vec<(usize, Vec<Vec<u8>>)> = patterns
        .iter()
        .flat_map(|p| {
            (0..w.shared.shard_count()).map(move |s| (s, vec![b"KEYS".to_vec(), p.clone()]))
        })
        .collect();
    let replies = super::ask_each(w, req, &asks).await;
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    let mut out = Vec::new();
    for reply in &replies {
        let names = parse_names(reply).ok_or_else(|| match reply.first() {
            Some(b'-') => reply.clone(),
            _ => b"-ERR shardis: a shard's KEYS answer could not be read\r\n".to_vec(),
        })?;
        for name in names {
            if seen.insert(name.to_vec()) {
                out.push(name.to_vec());
            }
        }
        if out.len() + listed > SWEEP_KEYS_MAX {
            return Err(format!(
                "-ERR shardis: a script over several shards may list at most {SWEEP_KEYS_MAX} keys; its KEYS, SCAN, DBSIZE, RANDOMKEY or FLUSHDB matches more\r\n"
            )
            .into_bytes());
        }
    }
    Ok(out)
}

/// The names in a KEYS reply (an array of bulk strings).
fn parse_names(reply: &[u8]) -> Option<Vec<&[u8]>> {
    array_elements(reply)?.into_iter().map(bulk_bytes).collect()
}

#[cfg(test)]
mod tests {
    use super::parse_names;

    #[test]
    fn names_come_from_arrays_of_strings_only() {
        let got = parse_names(b"*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
        assert_eq!(got, Some(vec![&b"a"[..], &b"bc"[..]]));
        assert_eq!(parse_names(b"*0\r\n"), Some(Vec::new()));
        assert_eq!(parse_names(b"-ERR no\r\n"), None);
        assert_eq!(parse_names(b"*1\r\n:1\r\n"), None);
        assert_eq!(parse_names(b"*2\r\n$1\r\na\r\n"), None);
    }
}
