//! Every shard's keys of a pattern, for a script over several shards that
//! asks for them: KEYS, SCAN (its MATCH, else every key), DBSIZE,
//! RANDOMKEY and FLUSHDB (every key). The shard that runs the script cannot see the
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
//! back if written, and every other client waits while it holds every
//! shard. At most [`SWEEP_KEYS_MAX`] keys are listed: past that the
//! script gets an error rather than a copy of the whole keyspace.

use std::{collections::HashSet, rc::Rc};

use common::{reply::Proto, resp_value, table::Cmd};

use crate::{link::Req, worker::Worker};

/// The most keys a script's sweeps (and the other keys it lists) may
/// bring to its shard.
pub const SWEEP_KEYS_MAX: usize = 100_000;

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
    let (value, _) = resp_value::parse(reply)?;
    value.as_array()?.iter().map(|v| v.as_bytes()).collect()
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
