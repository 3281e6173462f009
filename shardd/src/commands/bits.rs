//! Bit commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! and BITFIELD (in [`bitfield`]).
//!
//! Bits are numbered as Redis numbers them: bit 0 is the most significant
//! bit of byte 0. Writes build the new bytes and store them back (strings
//! are read-only views in the keyspace); offsets are bounded so no command
//! builds a string past `proto-max-bulk-len`.

mod bitfield;

pub use bitfield::{bitfield, bitfield_ro};

use super::{eq_ic, parse_i64, strings, Args, Changes, CmdError, CmdResult, CountedResult};
use crate::{
    keyspace::{Keyspace, StrMark, Value},
    reply::Reply,
};

/// `ERR bit offset is not an integer or out of range`.
fn bad_offset() -> CmdError {
    CmdError::Other("ERR bit offset is not an integer or out of range".into())
}

/// Parses a bit offset as Redis's `getBitOffsetFromArgument`: a
/// non-negative integer whose byte lies below `proto-max-bulk-len`; with
/// `hash_bits`, a leading `#` multiplies the number by that field width.
pub(crate) fn parse_bit_offset(arg: &[u8], hash_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, mul) = match (arg.first(), hash_bits) {
        (Some(b'#'), Some(bits)) => (&arg[1..], bits as i64),
        _ => (arg, 1),
    };
    let v = parse_i64(digits)
        .and_then(|v| v.checked_mul(mul))
        .ok_or_else(bad_offset)?;
    if v < 0 || (v as u64 >> 3) >= strings::proto_max_bulk_len() {
        return Err(bad_offset());
    }
    Ok(v as u64)
}

/// The bytes of the string at `key` grown with zero bytes to hold bit
/// `max_bit`, as Redis's `lookupStringForBitCommand` makes room, and
/// whether that created or lengthened the string (a change in itself).
pub(crate) fn string_for_write(
    ks: &mut Keyspace,
    key: &[u8],
    max_bit: u64,
) -> Result<(Vec<u8>, bool), CmdError> {
    let need = (max_bit >> 3) as usize + 1; // max_bit is below 2^32 * 8
    let old = strings::read(ks, key)?;
    let grew = old.is_none_or(|o| o.len() < need);
    let old = old.unwrap_or_default();
    let mut v = Vec::with_capacity(old.len().max(need));
    v.extend_from_slice(old);
    if v.len() < need {
        v.resize(need, 0);
    }
    Ok((v, grew))
}

fn bit_at(s: &[u8], bit: u64) -> u8 {
    s.get((bit >> 3) as usize)
        .map_or(0, |b| (b >> (7 - (bit & 7))) & 1)
}

/// `SETBIT key offset value`: the bit's old value. Like Redis, it counts
/// as a change only when it creates or grows the string or flips the bit.
pub fn setbit(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let key = args.get(1)?;
    let off = parse_bit_offset(args.get(2)?, None)?;
    let on = match parse_i64(args.get(3)?) {
        Some(v @ (0 | 1)) => v as u8,
        _ => {
            return Err(CmdError::Other(
                "ERR bit is not an integer or out of range".into(),
            ))
        }
    };
    let (mut v, grew) = string_for_write(ks, key, off)?;
    let old = bit_at(&v, off);
    let changed = grew || old != on;
    if changed {
        let Some(byte) = v.get_mut((off >> 3) as usize) else {
            return Err(bad_offset()); // string_for_write made room for `off`
        };
        let mask = 1u8 << (7 - (off & 7));
        *byte = if on == 1 { *byte | mask } else { *byte & !mask };
        ks.insert_keep_ttl(key, Value::Str(v));
    }
    // Redis unshares the string even when the bit is already there.
    ks.mark_str(key, StrMark::Raw);
    out.int(old as i64);
    Ok(Changes(changed as u64))
}

/// `GETBIT key offset`
pub fn getbit(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let off = parse_bit_offset(args.get(2)?, None)?;
    let s = strings::read(ks, args.get(1)?)?.unwrap_or_default();
    out.int(bit_at(s, off) as i64);
    Ok(())
}

/// A resolved inclusive range in bits, or `None` when it is empty.
type BitRange = Option<(u64, u64)>;

/// Resolves `start end [BYTE|BIT]` over a string of `len` bytes the way
/// BITCOUNT and BITPOS do: negative indexes from the end, clamped, BYTE
/// ranges widened to whole bytes.
fn resolve_range(start: i64, end: i64, len: usize, bit_unit: bool) -> BitRange {
    let total = if bit_unit { len as i64 * 8 } else { len as i64 };
    let s = if start < 0 {
        (total + start).max(0)
    } else {
        start
    };
    let mut e = if end < 0 { (total + end).max(0) } else { end };
    if e >= total {
        e = total - 1;
    }
    if s > e {
        return None;
    }
    if bit_unit {
        Some((s as u64, e as u64))
    } else {
        Some((s as u64 * 8, e as u64 * 8 + 7))
    }
}

/// Parses the optional `BYTE|BIT` unit argument: true for BIT.
fn parse_unit(arg: Option<&[u8]>) -> Result<bool, CmdError> {
    match arg {
        None => Ok(false),
        Some(a) if eq_ic(a, "bit") => Ok(true),
        Some(a) if eq_ic(a, "byte") => Ok(false),
        Some(_) => Err(CmdError::Syntax),
    }
}

/// Number of set bits in the bit range `[a, b]` of `s`.
fn count_bits(s: &[u8], a: u64, b: u64) -> u64 {
    let (fa, fb) = ((a >> 3) as usize, (b >> 3) as usize);
    let n: u64 = s[fa..=fb].iter().map(|x| x.count_ones() as u64).sum();
    // Take off the bits of the edge bytes that lie outside the range.
    let before = 0xffu8.checked_shl(8 - (a & 7) as u32).unwrap_or(0);
    let after = 0xffu8.checked_shr(1 + (b & 7) as u32).unwrap_or(0);
    n - (s[fa] & before).count_ones() as u64 - (s[fb] & after).count_ones() as u64
}

/// `BITCOUNT key [start end [BYTE|BIT]]`
pub fn bitcount(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    // Like Redis: a missing key counts 0 before any argument is checked.
    let Some(s) = strings::read(ks, args.get(1)?)? else {
        out.int(0);
        return Ok(());
    };
    let range = match args.len() {
        2 => resolve_range(0, -1, s.len(), false),
        4 | 5 => {
            let (start, end) = (args.i64(2)?, args.i64(3)?);
            if start < 0 && end < 0 && start > end {
                out.int(0);
                return Ok(());
            }
            let bit_unit = parse_unit(args.all().get(4).copied())?;
            resolve_range(start, end, s.len(), bit_unit)
        }
        _ => return Err(CmdError::Syntax),
    };
    out.int(range.map_or(0, |(a, b)| count_bits(s, a, b)) as i64);
    Ok(())
}

/// The first bit equal to `bit` in the bit range `[a, b]` of `s`.
fn find_bit(s: &[u8], bit: u8, a: u64, b: u64) -> Option<u64> {
    let mut i = a;
    while i <= b {
        if i & 7 == 0 && i + 7 <= b {
            // A whole byte: look at it at once.
            let byte = s[(i >> 3) as usize];
            let probe = if bit == 1 { byte } else { !byte };
            if probe != 0 {
                return Some(i + probe.leading_zeros() as u64);
            }
            i += 8;
            continue;
        }
        if bit_at(s, i) == bit {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`
pub fn bitpos(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let bit = match args.i64(2)? {
        b @ (0 | 1) => b as u8,
        _ => {
            return Err(CmdError::Other(
                "ERR The bit argument must be 1 or 0.".into(),
            ))
        }
    };
    let Some(s) = strings::read(ks, args.get(1)?)? else {
        // A missing key is an endless run of zero bits.
        out.int(if bit == 1 { -1 } else { 0 });
        return Ok(());
    };
    let (range, end_given) = match args.len() {
        3 => (resolve_range(0, -1, s.len(), false), false),
        4..=6 => {
            let start = args.i64(3)?;
            let bit_unit = parse_unit(args.all().get(5).copied())?;
            let end = match args.all().get(4) {
                Some(_) => args.i64(4)?,
                None => -1,
            };
            (
                resolve_range(start, end, s.len(), bit_unit),
                args.len() >= 5,
            )
        }
        _ => return Err(CmdError::Syntax),
    };
    let pos = match range {
        None => -1,
        Some((a, b)) => match find_bit(s, bit, a, b) {
            Some(p) => p as i64,
            // Past the end of the string, zero bits go on, unless the
            // caller fixed the end of the range.
            None if bit == 0 && !end_given => b as i64 + 1,
            None => -1,
        },
    };
    out.int(pos);
    Ok(())
}

/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`: the length of the result.
pub fn bitop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let op = args.get(1)?;
    let op = ["and", "or", "xor", "not"]
        .into_iter()
        .position(|o| eq_ic(op, o))
        .ok_or(CmdError::Syntax)?;
    if op == 3 && args.len() != 4 {
        return Err(CmdError::Other(
            "ERR BITOP NOT must be called with a single source key.".into(),
        ));
    }
    let mut srcs: Vec<Vec<u8>> = Vec::with_capacity(args.rest(3).len());
    for k in args.rest(3) {
        srcs.push(strings::read(ks, k)?.unwrap_or_default().to_vec());
    }
    let max = srcs.iter().map(Vec::len).max().unwrap_or(0);
    let dest = args.get(2)?;
    if max == 0 {
        ks.remove(dest);
        out.int(0);
        return Ok(());
    }
    let mut res = srcs[0].clone();
    res.resize(max, 0);
    for src in &srcs[1..] {
        for (i, r) in res.iter_mut().enumerate() {
            let b = src.get(i).copied().unwrap_or(0);
            *r = match op {
                0 => *r & b,
                1 => *r | b,
                _ => *r ^ b,
            };
        }
    }
    if op == 3 {
        res.iter_mut().for_each(|r| *r = !*r);
    }
    ks.insert(dest, Value::Str(res));
    ks.mark_str(dest, StrMark::Raw);
    out.int(max as i64);
    Ok(())
}

#[cfg(test)]
mod tests;
