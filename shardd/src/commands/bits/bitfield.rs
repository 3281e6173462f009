//! BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 bits
//! (unsigned up to 63) at any bit offset of a string, with Redis's
//! overflow modes.
//!
//! All subcommands are parsed first (so any error leaves the key alone),
//! then a write makes room up to the farthest bit written, runs the
//! operations in order on one buffer and stores it back once.

use super::{
    super::{eq_ic, parse_i64, strings, Args, Changes, CmdError, CmdResult, CountedResult},
    parse_bit_offset, string_for_write,
};
use crate::{
    keyspace::{Keyspace, StrMark, Value},
    reply::Reply,
};

/// What to do when SET or INCRBY leaves the field's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    Fail,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OpKind {
    Get,
    Set,
    IncrBy,
}

/// One parsed subcommand.
#[derive(Clone, Copy, Debug)]
struct Op {
    kind: OpKind,
    signed: bool,
    bits: u32,
    offset: u64,
    value: i64,
    overflow: Overflow,
}

fn bad_type() -> CmdError {
    CmdError::Other(
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
            .into(),
    )
}

/// Parses a type like `i16` or `u8` into (signed, bits).
fn parse_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let signed = match arg.first() {
        Some(b'i') => true,
        Some(b'u') => false,
        _ => return Err(bad_type()),
    };
    match parse_i64(&arg[1..]) {
        Some(n) if n >= 1 && n <= if signed { 64 } else { 63 } => Ok((signed, n as u32)),
        _ => Err(bad_type()),
    }
}

/// Parses every subcommand after the key.
fn parse_ops(args: Args) -> Result<Vec<Op>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 2;
    while i < args.len() {
        let sub = args.get(i)?;
        let remaining = args.len() - i - 1;
        let kind = if eq_ic(sub, "get") && remaining >= 2 {
            OpKind::Get
        } else if eq_ic(sub, "set") && remaining >= 3 {
            OpKind::Set
        } else if eq_ic(sub, "incrby") && remaining >= 3 {
            OpKind::IncrBy
        } else if eq_ic(sub, "overflow") && remaining >= 1 {
            let t = args.get(i + 1)?;
            overflow = [
                ("wrap", Overflow::Wrap),
                ("sat", Overflow::Sat),
                ("fail", Overflow::Fail),
            ]
            .into_iter()
            .find(|(n, _)| eq_ic(t, n))
            .map(|(_, o)| o)
            .ok_or_else(|| CmdError::Other("ERR Invalid OVERFLOW type specified".into()))?;
            i += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = parse_type(args.get(i + 1)?)?;
        let offset = parse_bit_offset(args.get(i + 2)?, Some(bits))?;
        let value = if kind == OpKind::Get {
            0
        } else {
            args.i64(i + 3)?
        };
        ops.push(Op {
            kind,
            signed,
            bits,
            offset,
            value,
            overflow,
        });
        i += if kind == OpKind::Get { 3 } else { 4 };
    }
    Ok(ops)
}

/// Reads `bits` bits at bit `offset` (most significant first); bits past
/// the end of `s` read as zero.
fn read_bits(s: &[u8], offset: u64, bits: u32) -> u64 {
    (0..bits as u64).fold(0u64, |acc, k| {
        (acc << 1) | super::bit_at(s, offset + k) as u64
    })
}

/// Writes the low `bits` bits of `v` at bit `offset`; `s` must be long enough.
fn write_bits(s: &mut [u8], offset: u64, bits: u32, v: u64) {
    for k in 0..bits as u64 {
        let bit = (v >> (bits as u64 - 1 - k)) & 1;
        let pos = offset + k;
        let mask = 1u8 << (7 - (pos & 7));
        let byte = &mut s[(pos >> 3) as usize];
        *byte = if bit == 1 {
            *byte | mask
        } else {
            *byte & !mask
        };
    }
}

/// The field at `op` as a number (sign-extended for signed fields).
fn field_value(s: &[u8], op: &Op) -> i128 {
    let raw = read_bits(s, op.offset, op.bits);
    if op.signed && op.bits < 64 && raw >> (op.bits - 1) & 1 == 1 {
        raw as i128 - (1i128 << op.bits)
    } else if op.signed {
        raw as i64 as i128
    } else {
        raw as i128
    }
}

/// Applies Redis's overflow rule to `base + incr` for the field type of
/// `op`: the value to store, or `None` when FAIL refuses it.
fn fit(op: &Op, base: i128, incr: i128) -> Option<i128> {
    let (min, max) = if op.signed {
        (-(1i128 << (op.bits - 1)), (1i128 << (op.bits - 1)) - 1)
    } else {
        (0, (1i128 << op.bits) - 1)
    };
    let total = base + incr;
    // Redis computes `max - value` in 64 bits: for a signed field narrower
    // than 64 bits, a value at or below i64::MIN + max wraps it negative,
    // and Redis calls that an overflow upwards (SAT stores max). Only SET
    // passes such a value; 7.0.15 does this, so shardis does too.
    let wraps_high = op.signed && op.bits < 64 && base <= i64::MIN as i128 + max;
    let high = wraps_high || base > max || total > max;
    let low = !high && (base < min || total < min);
    if !high && !low {
        return Some(total);
    }
    match op.overflow {
        Overflow::Fail => None,
        Overflow::Sat => Some(if high { max } else { min }),
        Overflow::Wrap => {
            let m = 1i128 << op.bits;
            let w = total.rem_euclid(m);
            Some(if op.signed && w > max { w - m } else { w })
        }
    }
}

/// Runs one SET or INCRBY on `s` and writes its reply. Returns whether it
/// wrote (OVERFLOW FAIL refuses) and whether the value it wrote differs
/// from the one that was there.
fn apply_write(s: &mut [u8], op: &Op, out: &mut Reply) -> (bool, bool) {
    let old = field_value(s, op);
    let (new, reply) = match op.kind {
        OpKind::IncrBy => {
            let n = fit(op, old, op.value as i128);
            (n, n)
        }
        // SET reads its argument as the field's (two's complement) type.
        _ => {
            let v = if op.signed {
                op.value as i128
            } else {
                op.value as u64 as i128
            };
            (fit(op, v, 0), Some(old))
        }
    };
    match (new, reply) {
        (Some(n), Some(r)) => {
            write_bits(s, op.offset, op.bits, n as u64);
            out.int(r as i64);
            (true, n != old)
        }
        _ => {
            out.null();
            (false, false)
        }
    }
}

/// Runs BITFIELD (or BITFIELD_RO); returns the changes as Redis counts
/// them: one per SET or INCRBY that wrote a new value, or that wrote at
/// all when the string was created or grown.
fn run(ks: &mut Keyspace, args: Args, out: &mut Reply, read_only_cmd: bool) -> CountedResult {
    let key = args.get(1)?;
    let ops = parse_ops(args)?;
    let max_write = ops
        .iter()
        .filter(|o| o.kind != OpKind::Get)
        .map(|o| o.offset + o.bits as u64 - 1)
        .max();
    let Some(max_bit) = max_write else {
        let s = strings::read(ks, key)?.unwrap_or_default();
        out.array(ops.len());
        for op in &ops {
            // Reply::int takes i64; unsigned fields are at most 63 bits.
            out.int(field_value(s, op) as i64);
        }
        return Ok(Changes::NONE);
    };
    if read_only_cmd {
        return Err(CmdError::Other(
            "ERR BITFIELD_RO only supports the GET subcommand".into(),
        ));
    }
    let (mut s, grew) = string_for_write(ks, key, max_bit)?;
    out.array(ops.len());
    let mut changes = 0u64;
    for op in &ops {
        if op.kind == OpKind::Get {
            out.int(field_value(&s, op) as i64);
        } else {
            let (wrote, differs) = apply_write(&mut s, op, out);
            changes += (wrote && (grew || differs)) as u64;
        }
    }
    if grew || changes > 0 {
        ks.insert_keep_ttl(key, Value::Str(s));
    }
    // Redis unshares the string even when no value changes.
    ks.mark_str(key, StrMark::Raw);
    // Redis counts no change when every write failed on a string it
    // created or grew, and so does not propagate it; the string is there
    // all the same, so shardis counts (and logs) one, lest a restart lose
    // a key that clients saw.
    Ok(Changes(changes.max(grew as u64)))
}

/// `BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset increment] [OVERFLOW WRAP|SAT|FAIL] ...`
pub fn bitfield(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    run(ks, args, out, false)
}

/// `BITFIELD_RO key [GET type offset] ...`
pub fn bitfield_ro(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    run(ks, args, out, true).map(|_| ())
}
