//! INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT.
//!
//! The integer path is the hot one: the key is located once (slot and
//! hash), its entry looked up as a write, the stored bytes parsed with
//! `string2ll` rules, the sum added with an overflow check and formatted
//! on the stack; a sum as long as the old value is written over it in
//! the arena, any other is stored at the same place keeping the TTL.
//! INCRBYFLOAT computes in 80-bit extended precision, as Redis does with
//! `long double`, so its results print the same (see [`super::longdouble`]).

use super::{
    super::{parse_i64, Args, CmdError, CmdResult},
    longdouble::LongDouble,
    read,
};
use crate::{
    keyspace::{Keyspace, StrMark, Value},
    reply::{format_i64, Reply},
};

/// Adds `by` to the integer at `key` (0 if missing) and replies with the
/// sum. A sum as long as the old value is written over it in the one
/// lookup (the common case); otherwise it is stored keeping the TTL.
fn incr_by(ks: &mut Keyspace, key: &[u8], by: i64, out: &mut Reply) -> CmdResult {
    let mut tmp = [0u8; 20];
    let at = ks.locate_key(key);
    let new = match ks.entry_for_write(at, key) {
        None => by,
        Some(mut e) => {
            let cur = e.str_bytes().ok_or(CmdError::WrongType)?;
            let cur = parse_i64(cur).ok_or(CmdError::NotInteger)?;
            let new = cur.checked_add(by).ok_or(CmdError::Overflow)?;
            if e.overwrite_str(format_i64(new, &mut tmp)) {
                out.int(new);
                return Ok(());
            }
            new
        }
    };
    ks.insert_str_keep_ttl_at(at, key, format_i64(new, &mut tmp));
    out.int(new);
    Ok(())
}

/// `INCR key`
pub fn incr(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    incr_by(ks, args.get(1)?, 1, out)
}

/// `DECR key`
pub fn decr(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    incr_by(ks, args.get(1)?, -1, out)
}

/// `INCRBY key increment`
pub fn incrby(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let by = args.i64(2)?;
    incr_by(ks, args.get(1)?, by, out)
}

/// `DECRBY key decrement` (the most negative decrement cannot be negated).
pub fn decrby(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let by = args.i64(2)?;
    let neg = by
        .checked_neg()
        .ok_or_else(|| CmdError::Other("ERR decrement would overflow".into()))?;
    incr_by(ks, args.get(1)?, neg, out)
}

/// `INCRBYFLOAT key increment`: replies with and stores the sum as Redis
/// prints a `long double` (`%.17Lf`, trailing zeros removed).
pub fn incrbyfloat(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    let cur = match read(ks, key)? {
        None => LongDouble::ZERO,
        Some(s) => LongDouble::parse(s).ok_or(CmdError::NotFloat)?,
    };
    let by = LongDouble::parse(args.get(2)?).ok_or(CmdError::NotFloat)?;
    let sum = cur.add(by);
    if !sum.is_finite() {
        return Err(CmdError::Other(
            "ERR increment would produce NaN or Infinity".into(),
        ));
    }
    let text = sum.to_human_string();
    out.bulk(&text);
    ks.insert_keep_ttl(key, Value::Str(text));
    // Redis stores the sum's text as it is, never as an integer.
    ks.mark_str(key, StrMark::NotInt);
    Ok(())
}
