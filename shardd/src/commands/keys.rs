//! Generic key commands.

use super::{Args, CmdResult};
use crate::{keyspace::Keyspace, reply::Reply};

/// `DEL key [key ...]` and `UNLINK`.
pub fn del(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    args.check(|n| n >= 2)?;
    let n = args
        .rest(1)
        .iter()
        .filter(|k| ks.remove(k).is_some())
        .count();
    out.int(n as i64);
    Ok(())
}

/// `EXISTS key [key ...]` (a key named twice counts twice).
pub fn exists(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    args.check(|n| n >= 2)?;
    let n = args.rest(1).iter().filter(|k| ks.exists(k)).count();
    out.int(n as i64);
    Ok(())
}
