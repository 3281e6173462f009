//! String commands: reading and writing whole string values, their TTL
//! options, and byte ranges of them.
//!
//! Strings are read-only views in the keyspace ([`ValueRef::Str`]), so every
//! change builds the new bytes and writes them back: [`Keyspace::insert`]
//! where Redis drops the TTL (SET, GETSET, MSET) and
//! [`Keyspace::insert_keep_ttl`] where Redis keeps it (APPEND, SETRANGE,
//! INCR...). Cost per command: one lookup, one allocation for a written
//! value, none for a read. APPEND and SETRANGE copy the whole value, so a
//! long chain of small appends is quadratic until the keyspace offers an
//! in-place string mutation.
//!
//! Counters live in [`counter`], LCS in [`lcs`].

mod counter;
mod lcs;
pub(crate) mod longdouble;

pub use counter::{decr, decrby, incr, incrby, incrbyfloat};
pub use lcs::lcs;

use super::{eq_ic, parse_i64, Args, Changes, CmdError, CmdResult, CountedResult};
use crate::{
    keyspace::{Keyspace, StrMark, Value, ValueRef},
    reply::Reply,
};

/// `proto-max-bulk-len` in force: the largest string a command may build.
pub fn proto_max_bulk_len() -> u64 {
    crate::settings::encoding().proto_max_bulk_len
}

/// The error for a string that would pass [`proto_max_bulk_len`].
pub(crate) fn too_big() -> CmdError {
    CmdError::Other("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into())
}

/// Fails like Redis's `checkStringLength` if `size + append` is too long.
pub(crate) fn check_len(size: u64, append: u64) -> Result<(), CmdError> {
    match size.checked_add(append) {
        Some(t) if t <= proto_max_bulk_len() => Ok(()),
        _ => Err(too_big()),
    }
}

/// The string at `key`: `None` if missing, WRONGTYPE if another type.
pub(crate) fn read<'k>(ks: &'k mut Keyspace, key: &[u8]) -> Result<Option<&'k [u8]>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::Str(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// `GET key`
pub fn get(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    match read(ks, args.get(1)?)? {
        None => out.null(),
        Some(s) => out.bulk(s),
    }
    Ok(())
}

/// How an expiry argument is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ExpireKind {
    /// `EX`: seconds from now.
    Ex,
    /// `PX`: milliseconds from now.
    Px,
    /// `EXAT`: Unix seconds.
    ExAt,
    /// `PXAT`: Unix milliseconds.
    PxAt,
}

/// Options of SET (and GETEX, which allows only the expiry ones and PERSIST).
#[derive(Default, Debug)]
struct SetOpts<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, &'a [u8])>,
}

impl<'a> SetOpts<'a> {
    /// Parses `opts` as Redis's `parseExtendedStringArgumentsOrReply` does:
    /// an option that conflicts with an earlier one, or a missing expiry
    /// value, is a syntax error; a repeated expiry option takes the last.
    fn parse(opts: &'a [&'a [u8]], for_getex: bool) -> Result<Self, CmdError> {
        let mut o = SetOpts::default();
        let mut i = 0;
        while let Some(&opt) = opts.get(i) {
            let next = opts.get(i + 1).copied();
            let kind = o.expire.map(|(k, _)| k);
            let expiry_ok =
                |k: ExpireKind| !o.keep_ttl && !o.persist && kind.is_none_or(|x| x == k);
            let as_expire = [
                ("ex", ExpireKind::Ex),
                ("px", ExpireKind::Px),
                ("exat", ExpireKind::ExAt),
                ("pxat", ExpireKind::PxAt),
            ]
            .into_iter()
            .find(|(name, _)| eq_ic(opt, name));
            if let Some((_, k)) = as_expire {
                match next {
                    Some(v) if expiry_ok(k) => {
                        o.expire = Some((k, v));
                        i += 1;
                    }
                    _ => return Err(CmdError::Syntax),
                }
            } else if !for_getex && eq_ic(opt, "nx") && !o.xx {
                o.nx = true;
            } else if !for_getex && eq_ic(opt, "xx") && !o.nx {
                o.xx = true;
            } else if !for_getex && eq_ic(opt, "get") {
                o.get = true;
            } else if !for_getex && eq_ic(opt, "keepttl") && kind.is_none() {
                o.keep_ttl = true;
            } else if for_getex && eq_ic(opt, "persist") && kind.is_none() {
                o.persist = true;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        Ok(o)
    }
}

/// `ERR invalid expire time in '<cmd>' command`.
fn bad_expire(cmd: &str) -> CmdError {
    CmdError::Other(format!("ERR invalid expire time in '{cmd}' command"))
}

/// The absolute expiry (Unix ms) for `arg` read as `kind`, with Redis's
/// checks: not positive, or overflowing once converted, is invalid.
fn expire_at_ms(arg: &[u8], kind: ExpireKind, now_ms: u64, cmd: &str) -> Result<u64, CmdError> {
    let v = parse_i64(arg).ok_or(CmdError::NotInteger)?;
    let seconds = matches!(kind, ExpireKind::Ex | ExpireKind::ExAt);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(bad_expire(cmd));
    }
    let ms = if seconds { v * 1000 } else { v };
    let abs = match kind {
        ExpireKind::Ex | ExpireKind::Px => ms.checked_add(now_ms as i64),
        ExpireKind::ExAt | ExpireKind::PxAt => Some(ms),
    };
    match abs {
        Some(t) if t > 0 => Ok(t as u64),
        _ => Err(bad_expire(cmd)),
    }
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]`
pub fn set(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (key, value) = (args.get(1)?, args.get(2)?);
    if args.len() == 3 {
        // Straight into the slot's arena: no intermediate Vec.
        ks.insert_str(key, value);
        out.ok();
        return Ok(Changes::ONE);
    }
    let o = SetOpts::parse(args.rest(3), false)?;
    let at = match o.expire {
        Some((k, v)) => Some(expire_at_ms(v, k, ks.now_ms(), "set")?),
        None => None,
    };
    let found = if o.get {
        let old = read(ks, key)?;
        match old {
            None => out.null(),
            Some(s) => out.bulk(s),
        }
        old.is_some()
    } else {
        ks.exists(key)
    };
    // Not set (NX on a key that is there, XX on one that is not): nothing
    // changed, so no watcher's EXEC fails and nothing is logged, as in
    // Redis.
    if (o.nx && found) || (o.xx && !found) {
        if !o.get {
            out.null();
        }
        return Ok(Changes::NONE);
    }
    if o.keep_ttl {
        ks.insert_str_keep_ttl(key, value);
    } else {
        ks.insert_str_with_expiry(key, value, at);
    }
    if !o.get {
        out.ok();
    }
    Ok(Changes::ONE)
}

/// `SETNX key value`: 1 if it set the key, 0 if the key existed.
pub fn setnx(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    if ks.exists(key) {
        out.int(0);
    } else {
        ks.insert_str(key, args.get(2)?);
        out.int(1);
    }
    Ok(())
}

/// `SETEX key seconds value`
pub fn setex(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    set_with_ttl(ks, args, out, ExpireKind::Ex, "setex")
}

/// `PSETEX key milliseconds value`
pub fn psetex(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    set_with_ttl(ks, args, out, ExpireKind::Px, "psetex")
}

fn set_with_ttl(
    ks: &mut Keyspace,
    args: Args,
    out: &mut Reply,
    kind: ExpireKind,
    cmd: &str,
) -> CmdResult {
    let at = expire_at_ms(args.get(2)?, kind, ks.now_ms(), cmd)?;
    ks.insert_str_with_expiry(args.get(1)?, args.get(3)?, Some(at));
    out.ok();
    Ok(())
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]`
/// A GETEX with no option, or PERSIST of a key with no TTL, changes
/// nothing (as in Redis: no watcher's EXEC fails on it).
pub fn getex(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let key = args.get(1)?;
    let o = SetOpts::parse(args.rest(2), true)?;
    let now_ms = ks.now_ms();
    // Redis looks the key up (and type-checks it) before it validates the time.
    let Some(s) = read(ks, key)? else {
        out.null();
        return Ok(Changes::NONE);
    };
    let at = match o.expire {
        Some((k, v)) => Some(expire_at_ms(v, k, now_ms, "getex")?),
        None => None,
    };
    out.bulk(s);
    if let Some(at) = at {
        ks.set_expire_at(key, at);
        return Ok(Changes::ONE);
    }
    match o.persist && ks.persist(key) {
        true => Ok(Changes::ONE),
        false => Ok(Changes::NONE),
    }
}

/// `GETDEL key`
pub fn getdel(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    match read(ks, key)? {
        None => out.null(),
        Some(s) => {
            out.bulk(s);
            ks.remove(key);
        }
    }
    Ok(())
}

/// `GETSET key value`: the old value (or null), and the TTL is cleared.
pub fn getset(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    match read(ks, key)? {
        None => out.null(),
        Some(s) => out.bulk(s),
    }
    ks.insert_str(key, args.get(2)?);
    Ok(())
}

/// `APPEND key value`: the new length.
pub fn append(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let (key, tail) = (args.get(1)?, args.get(2)?);
    let existed = read(ks, key)?.is_some();
    let new = match read(ks, key)? {
        None => tail.to_vec(),
        Some(s) => {
            check_len(s.len() as u64, tail.len() as u64)?;
            let mut v = Vec::with_capacity(s.len() + tail.len());
            v.extend_from_slice(s);
            v.extend_from_slice(tail);
            v
        }
    };
    out.int(new.len() as i64);
    ks.insert_keep_ttl(key, Value::Str(new));
    if existed {
        // Redis appends to its own copy of the value, which is then raw.
        ks.mark_str(key, StrMark::Raw);
    }
    Ok(())
}

/// `STRLEN key`
pub fn strlen(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let n = read(ks, args.get(1)?)?.map_or(0, <[u8]>::len);
    out.int(n as i64);
    Ok(())
}

/// The byte range `[start, end]` (Redis's inclusive, negative-from-the-end
/// indexes) of a string of `len` bytes, as GETRANGE clamps it; `None` if empty.
pub(crate) fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    s = s.max(0);
    e = e.max(0);
    if e >= len {
        e = len - 1;
    }
    if len == 0 || s > e {
        None
    } else {
        Some((s as usize, e as usize))
    }
}

/// `GETRANGE key start end` (and its old name `SUBSTR`).
pub fn getrange(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let (start, end) = (args.i64(2)?, args.i64(3)?);
    let s = read(ks, args.get(1)?)?.unwrap_or_default();
    if start < 0 && end < 0 && start > end {
        out.bulk(b"");
        return Ok(());
    }
    match clamp_range(start, end, s.len()) {
        Some((a, b)) => out.bulk(s.get(a..=b).unwrap_or_default()),
        None => out.bulk(b""),
    }
    Ok(())
}

/// `SETRANGE key offset value`: the new length.
pub fn setrange(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (key, value) = (args.get(1)?, args.get(3)?);
    let offset = args.i64(2)?;
    if offset < 0 {
        return Err(CmdError::Other("ERR offset is out of range".into()));
    }
    let offset = offset as u64;
    let old = read(ks, key)?;
    // An empty value changes nothing, whatever the offset (as in Redis).
    if value.is_empty() {
        out.int(old.map_or(0, |s| s.len() as i64));
        return Ok(Changes::NONE);
    }
    check_len(offset, value.len() as u64)?;
    let old = old.unwrap_or_default();
    let off = offset as usize; // within 512 MiB after check_len
    let mut v = Vec::with_capacity(old.len().max(off + value.len()));
    v.extend_from_slice(old);
    if v.len() < off + value.len() {
        v.resize(off + value.len(), 0);
    }
    v[off..off + value.len()].copy_from_slice(value);
    out.int(v.len() as i64);
    ks.insert_keep_ttl(key, Value::Str(v));
    ks.mark_str(key, StrMark::Raw);
    Ok(Changes::ONE)
}

/// `MGET key [key ...]`: null for missing keys and keys of another type.
pub fn mget(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let keys = args.rest(1);
    out.array(keys.len());
    for k in keys {
        match ks.get(k) {
            Some(ValueRef::Str(s)) => out.bulk(s),
            _ => out.null(),
        }
    }
    Ok(())
}

/// `MSET key value [key value ...]`: sets all and clears their TTLs.
pub fn mset(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    // Key/value pairs: the table says only "at least 3".
    args.check(|n| n % 2 == 1)?;
    for kv in args.rest(1).chunks_exact(2) {
        ks.insert_str(kv[0], kv[1]);
    }
    out.ok();
    Ok(())
}

/// `MSETNX key value [key value ...]`: sets all (1) only if none exists (0).
pub fn msetnx(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    // Key/value pairs: the table says only "at least 3".
    args.check(|n| n % 2 == 1)?;
    let pairs = args.rest(1);
    if pairs.chunks_exact(2).any(|kv| ks.exists(kv[0])) {
        out.int(0);
        return Ok(());
    }
    for kv in pairs.chunks_exact(2) {
        ks.insert_str(kv[0], kv[1]);
    }
    out.int(1);
    Ok(())
}

#[cfg(test)]
mod tests;
