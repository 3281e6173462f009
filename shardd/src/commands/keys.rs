//! Generic key commands: existence, type, renaming and copying, walking
//! the keyspace (KEYS, SCAN, RANDOMKEY), flushing, and OBJECT. TTL
//! commands live in [`expire`], DUMP/RESTORE in [`dump`].
//!
//! Only database 0 exists (the keyspace is spread over shards by slot, as
//! in Redis Cluster), so `COPY ... DB n` accepts only 0.

mod dump;
mod expire;
#[cfg(test)]
mod tests;

pub use self::{
    dump::{dump, restore, shardd_dump},
    expire::{expire, expireat, expiretime, persist, pexpire, pexpireat, pexpiretime, pttl, ttl},
};
use super::{
    eq_ic, parse_i64, scan::parse_cursor, Args, Changes, CmdError, CmdResult, CountedResult,
};
use crate::{
    keyspace::{marked_string_encoding, Keyspace, MoveError, ScanFilter, StrMark, ValueRef},
    reply::Reply,
};

/// SCAN's default COUNT.
const SCAN_DEFAULT_COUNT: usize = 10;
/// Shared integers Redis reports with this refcount (0..10000).
const SHARED_INTEGERS: i64 = 10_000;
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// `DEL key [key ...]` and `UNLINK` (values are small enough to free
/// inline). Deleting nothing changes nothing: no log record, no watch
/// touched (Redis signals only the keys it deleted).
/// Most keys of one DEL whose missing ones are marked unchanged (the
/// marks are compared pairwise); past it every key named is touched.
const DEL_MARKS_MAX: usize = 64;

/// A key named that was not there is unchanged: its watchers and blocked
/// clients hear nothing (Redis signals each key it deleted). Up to
/// [`DEL_MARKS_MAX`] keys; a longer DEL touches every key it names.
pub fn del(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let keys = args.rest(1);
    let deleted: smallvec::SmallVec<[bool; 8]> = keys.iter().map(|k| ks.delete(k)).collect();
    let n = deleted.iter().filter(|&&d| d).count();
    if n > 0 && n < keys.len() && keys.len() <= DEL_MARKS_MAX {
        for (i, k) in keys.iter().enumerate() {
            let gone = (0..keys.len()).any(|j| deleted[j] && keys[j] == *k);
            if !deleted[i] && !gone {
                ks.mark_unchanged(k);
            }
        }
    }
    out.int(n as i64);
    Ok(Changes(n as u64))
}

/// `EXISTS key [key ...]` (a key named twice counts twice).
pub fn exists(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let n = args.rest(1).iter().filter(|k| ks.exists_read(k)).count();
    out.int(n as i64);
    Ok(())
}

/// `TOUCH key [key ...]`: counts existing keys (no access times are kept).
pub fn touch(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    exists(ks, args, out)
}

/// `TYPE key`.
pub fn type_(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let name = ks.get(args.get(1)?).map_or("none", |v| v.type_name());
    out.simple(name);
    Ok(())
}

/// `RENAME key newkey`.
pub fn rename(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    rename_generic(ks, args, out, false)
}

/// `RENAMENX key newkey`.
pub fn renamenx(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    rename_generic(ks, args, out, true)
}

/// A key renamed to itself, or RENAMENX onto a key that is there, changes
/// nothing (as in Redis).
fn rename_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, nx: bool) -> CountedResult {
    let (src, dst) = (args.get(1)?, args.get(2)?);
    if !ks.exists(src) {
        return Err(CmdError::NoSuchKey);
    }
    let reply = |out: &mut Reply, done: bool| if nx { out.int(done as i64) } else { out.ok() };
    if src == dst || (nx && ks.exists(dst)) {
        reply(out, false);
        return Ok(Changes::NONE);
    }
    let mark = ks.str_mark(src);
    let (value, ttl) = ks.take_with_expiry(src).ok_or(CmdError::NoSuchKey)?;
    ks.insert_with_expiry(dst, value, ttl);
    ks.mark_str(dst, mark);
    reply(out, true);
    Ok(Changes::ONE)
}

/// `COPY source destination [DB 0] [REPLACE]`.
pub fn copy(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let (src, dst) = (args.get(1)?, args.get(2)?);
    let mut replace = false;
    let mut to_db = ks.selected();
    let mut i = 3;
    while i < args.len() {
        let opt = args.get(i)?;
        if eq_ic(opt, "replace") {
            replace = true;
            i += 1;
        } else if eq_ic(opt, "db") && i + 1 < args.len() {
            to_db = db_index(
                ks,
                &args,
                i + 1,
                "ERR value is not an integer or out of range",
            )?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if src == dst && to_db == ks.selected() {
        return Err(CmdError::Other(
            "ERR source and destination objects are the same".into(),
        ));
    }
    let Some(value) = ks.get(src).map(|v| v.to_value()) else {
        out.int(0);
        return Ok(());
    };
    let ttl = ks.expire_at(src).flatten();
    let mark = match ks.str_mark(src) {
        // Redis duplicates the value: a shared integer becomes private.
        StrMark::Encoded => StrMark::Unshared,
        other => other,
    };
    let here = ks.selected();
    let copied = ks.in_db(to_db, |ks| {
        if ks.exists(dst) {
            if !replace {
                return false;
            }
            ks.delete(dst);
        }
        ks.insert_with_expiry(dst, value, ttl);
        ks.mark_str(dst, mark);
        if to_db != here {
            ks.note_event(common::notify::GENERIC, "copy_to", dst);
        }
        true
    });
    if copied && to_db != here {
        // Written in the other database only: its signals go there.
        ks.mark_unchanged(dst);
        ks.wrote_elsewhere(to_db, dst);
    }
    out.int(i64::from(copied));
    Ok(())
}

/// `RANDOMKEY`.
pub fn randomkey(ks: &mut Keyspace, _args: Args, out: &mut Reply) -> CmdResult {
    match ks.random_key() {
        Some(k) => out.bulk(&k),
        None => out.null(),
    }
    Ok(())
}

/// `DBSIZE` (keys that expired but were not yet removed count, as in Redis).
pub fn dbsize(ks: &mut Keyspace, _args: Args, out: &mut Reply) -> CmdResult {
    out.int(ks.len() as i64);
    Ok(())
}

/// `KEYS pattern`.
pub fn keys(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let keys = ks.keys(args.get(1)?);
    out.array(keys.len());
    for k in keys {
        out.bulk(k);
    }
    Ok(())
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`: the cursor is
/// the next slot to visit and a position inside it (see
/// `keyspace/KEYSPACE.md`); it uses the low 64 bits only.
pub fn scan(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let cursor = parse_cursor(args.get(1)?)?;
    let mut count = SCAN_DEFAULT_COUNT;
    let mut filter = ScanFilter::default();
    let mut i = 2;
    while i < args.len() {
        let (opt, has_value) = (args.get(i)?, i + 1 < args.len());
        if eq_ic(opt, "count") && has_value {
            let n = args.i64(i + 1)?;
            count = usize::try_from(n)
                .ok()
                .filter(|&n| n >= 1)
                .ok_or(CmdError::Syntax)?;
        } else if eq_ic(opt, "match") && has_value {
            let p = args.get(i + 1)?;
            filter.pattern = (p != b"*").then_some(p);
        } else if eq_ic(opt, "type") && has_value {
            filter.type_name = Some(args.get(i + 1)?);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let (next, keys) = ks.scan(cursor, count, filter);
    out.array(2);
    out.bulk(next.to_string().as_bytes());
    out.array(keys.len());
    for k in keys {
        out.bulk(k);
    }
    Ok(())
}

/// The mode argument of FLUSHALL and FLUSHDB (both run at once).
fn flush_mode(args: &Args) -> CmdResult {
    match args.rest(1) {
        [] => Ok(()),
        [mode] if eq_ic(mode, "sync") || eq_ic(mode, "async") => Ok(()),
        _ => Err(CmdError::Syntax),
    }
}

/// `FLUSHALL [ASYNC|SYNC]`: every database.
pub fn flushall(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    flush_mode(&args)?;
    ks.clear_all();
    out.ok();
    Ok(())
}

/// `FLUSHDB [ASYNC|SYNC]`: the selected database.
pub fn flushdb(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    flush_mode(&args)?;
    ks.clear();
    out.ok();
    Ok(())
}

/// A database number argument, with Redis's errors: not an integer
/// (`getIntFromObjectOrReply`), or not a database here.
fn db_index(
    ks: &Keyspace,
    args: &Args,
    i: usize,
    not_int: &'static str,
) -> Result<usize, CmdError> {
    in_range(ks, db_int(args, i, not_int)?)
}

/// The integer of a database argument (`not_int` if it is none).
fn db_int(args: &Args, i: usize, not_int: &'static str) -> Result<i32, CmdError> {
    args.i64(i)
        .ok()
        .and_then(|n| i32::try_from(n).ok())
        .ok_or(CmdError::Other(not_int.into()))
}

/// Database `n`, if there is one.
fn in_range(ks: &Keyspace, n: i32) -> Result<usize, CmdError> {
    usize::try_from(n)
        .ok()
        .filter(|&n| n < ks.databases())
        .ok_or(CmdError::Other("ERR DB index is out of range".into()))
}

/// `MOVE key db`.
pub fn move_(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    let to = db_index(ks, &args, 2, "ERR value is not an integer or out of range")?;
    match ks.move_to(key, to) {
        Ok(moved) => out.int(i64::from(moved)),
        Err(MoveError::SameDb) => {
            return Err(CmdError::Other(
                "ERR source and destination objects are the same".into(),
            ))
        }
        Err(MoveError::OutOfRange) => {
            return Err(CmdError::Other("ERR DB index is out of range".into()))
        }
    }
    Ok(())
}

/// `SWAPDB index1 index2` (this shard's part: every shard runs it).
pub fn swapdb(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    // Both are read as integers before either is checked (Redis's order).
    let a = db_int(&args, 1, "ERR invalid first DB index")?;
    let b = db_int(&args, 2, "ERR invalid second DB index")?;
    let (a, b) = (in_range(ks, a)?, in_range(ks, b)?);
    ks.swap_dbs(a, b);
    out.ok();
    Ok(())
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

/// `OBJECT ENCODING|REFCOUNT|IDLETIME|FREQ key` and `OBJECT HELP`.
/// No access times are kept: IDLETIME is always 0, and FREQ gives Redis's
/// error for a server without an LFU policy.
pub fn object(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let sub = args.get(1)?;
    let lower = String::from_utf8_lossy(sub).to_ascii_lowercase();
    let known = ["help", "encoding", "refcount", "idletime", "freq"];
    if !known.contains(&lower.as_str()) {
        let shown: String = String::from_utf8_lossy(sub).chars().take(128).collect();
        return Err(CmdError::Other(format!(
            "ERR unknown subcommand '{shown}'. Try OBJECT HELP."
        )));
    }
    let want = if lower == "help" { 2 } else { 3 };
    if args.len() != want {
        return Err(CmdError::WrongArity(format!("object|{lower}")));
    }
    if lower == "help" {
        out.array(OBJECT_HELP.len());
        OBJECT_HELP.iter().for_each(|l| out.simple(l));
        return Ok(());
    }
    let mark = ks.str_mark(args.get(2)?);
    let Some(v) = ks.get(args.get(2)?) else {
        out.null();
        return Ok(());
    };
    let encoding = match v {
        ValueRef::Str(s) => marked_string_encoding(s, mark),
        _ => v.encoding(),
    };
    let lfu = crate::settings::eviction().policy.is_lfu();
    match lower.as_str() {
        "encoding" => out.bulk(encoding.as_bytes()),
        "refcount" => out.int(refcount(v, encoding, mark)),
        "idletime" if lfu => return Err(CmdError::Other(LFU_SELECTED.into())),
        "idletime" => {
            let idle = ks.idle_seconds(args.get(2)?).unwrap_or(0);
            out.int(idle as i64);
        }
        _ if !lfu => return Err(CmdError::Other(LFU_NOT_SELECTED.into())),
        _ => {
            let freq = ks.frequency(args.get(2)?).unwrap_or(0);
            out.int(i64::from(freq));
        }
    }
    Ok(())
}

const LFU_SELECTED: &str = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

const LFU_NOT_SELECTED: &str = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

/// Redis shares the integers 0..9999 among all keys (refcount INT_MAX).
fn refcount(v: ValueRef<'_>, encoding: &str, mark: StrMark) -> i64 {
    match v {
        ValueRef::Str(s) if encoding == "int" && mark != StrMark::Unshared => match parse_i64(s) {
            Some(n) if (0..SHARED_INTEGERS).contains(&n) => SHARED_REFCOUNT,
            _ => 1,
        },
        _ => 1,
    }
}
