//! String commands.

use super::{Args, CmdError, CmdResult};
use crate::{
    keyspace::{Keyspace, Value, ValueRef},
    reply::Reply,
};

/// `GET key`
pub fn get(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    args.check(|n| n == 2)?;
    match ks.get(args.get(1)?) {
        None => out.null(),
        Some(ValueRef::Str(s)) => out.bulk(s),
        Some(_) => return Err(CmdError::WrongType),
    }
    Ok(())
}

/// `SET key value` (options to come with the strings work).
pub fn set(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    args.check(|n| n == 3)?;
    ks.insert(args.get(1)?, Value::Str(args.get(2)?.to_vec()));
    out.ok();
    Ok(())
}
