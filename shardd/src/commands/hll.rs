//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE over string values in
//! Redis's HLL encoding ([`crate::types::hll`]).
//!
//! A sketch is copied out of the keyspace, changed and written back
//! (strings are read-only views there), keeping the key's TTL. PFCOUNT of
//! one key writes back the refreshed cached cardinality as Redis does.

use super::{Args, CmdError, CmdResult};
use crate::{
    keyspace::{Keyspace, StrMark, Value, ValueRef},
    reply::Reply,
    types::hll::{count_registers, Corrupt, Hll, REGISTERS},
};

fn not_hll() -> CmdError {
    CmdError::Other("WRONGTYPE Key is not a valid HyperLogLog string value.".into())
}

fn corrupt(_: Corrupt) -> CmdError {
    CmdError::Other("INVALIDOBJ Corrupted HLL object detected".into())
}

/// The sketch at `key`: `None` if missing; WRONGTYPE errors for another
/// type or a string that is not a valid HLL.
fn load(ks: &mut Keyspace, key: &[u8]) -> Result<Option<Hll>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::Str(s)) => Hll::from_bytes(s).map(Some).ok_or_else(not_hll),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// `PFADD key [element ...]`: 1 if the sketch changed (or was created).
pub fn pfadd(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    let (mut hll, mut updated) = match load(ks, key)? {
        Some(h) => (h, false),
        None => (Hll::new(), true),
    };
    for e in args.rest(2) {
        match hll.add(e) {
            Ok(changed) => updated |= changed,
            Err(c) => {
                // Redis changes the sketch in place element by element and
                // stops at the corruption: what was added stays, and each
                // change to a sparse sketch has invalidated the cached count.
                if updated {
                    hll.invalidate_cache();
                    ks.insert_keep_ttl(key, Value::Str(hll.into_bytes()));
                    ks.mark_str(key, StrMark::Raw);
                }
                return Err(corrupt(c));
            }
        }
    }
    if updated {
        hll.invalidate_cache();
        ks.insert_keep_ttl(key, Value::Str(hll.into_bytes()));
    }
    // Redis writes to its own copy of the sketch, which is then raw.
    ks.mark_str(key, StrMark::Raw);
    out.int(updated as i64);
    Ok(())
}

/// `PFCOUNT key [key ...]`: the estimate for one sketch, or for the union.
pub fn pfcount(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    if args.len() > 2 {
        let mut max = Box::new([0u8; REGISTERS]);
        for k in args.rest(1) {
            if let Some(h) = load(ks, k)? {
                h.merge_into(&mut max).map_err(corrupt)?;
            }
        }
        out.int(count_registers(&max) as i64);
        return Ok(());
    }
    let key = args.get(1)?;
    let Some(mut hll) = load(ks, key)? else {
        out.int(0);
        return Ok(());
    };
    let n = match hll.cached_count() {
        Some(n) => n,
        None => {
            let n = hll.count().map_err(corrupt)?;
            hll.set_cached_count(n);
            // Redis caches the count in place: the encoding stays.
            let mark = ks.str_mark(key);
            ks.insert_keep_ttl(key, Value::Str(hll.into_bytes()));
            ks.mark_str(key, mark);
            n
        }
    };
    out.int(n as i64);
    Ok(())
}

/// `PFMERGE destkey [sourcekey ...]`: the destination (also a source)
/// becomes the union; dense if any source was dense.
pub fn pfmerge(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let mut max = Box::new([0u8; REGISTERS]);
    let mut dense = false;
    for k in args.rest(1) {
        if let Some(h) = load(ks, k)? {
            dense |= h.is_dense();
            h.merge_into(&mut max).map_err(corrupt)?;
        }
    }
    let dest = args.get(1)?;
    let mut hll = load(ks, dest)?.unwrap_or_default();
    if dense {
        hll.to_dense().map_err(corrupt)?;
    }
    for (i, &v) in max.iter().enumerate() {
        if v != 0 {
            hll.set_register(i, v).map_err(corrupt)?;
        }
    }
    hll.invalidate_cache();
    ks.insert_keep_ttl(dest, Value::Str(hll.into_bytes()));
    ks.mark_str(dest, StrMark::Raw);
    out.ok();
    Ok(())
}

#[cfg(test)]
mod tests;
