//! Stream commands, as Redis 7.0 runs them: XADD, XTRIM, XDEL, XLEN,
//! XRANGE, XREVRANGE, XSETID here; XREAD and XREADGROUP in [`read`];
//! the consumer group commands in [`groups`]; XINFO in [`info`].
//!
//! What gets logged: a command whose effect depends on more than the
//! keyspace is logged in a form that does not. XADD with `*` or `<ms>-*`
//! is logged with the id it made, and an approximate trim (`~`, `LIMIT`)
//! as the exact trim it amounted to (`MAXLEN = <length after>`, `MINID =
//! <first id after>`), as Redis propagates them; the commands that read
//! the clock for delivery and idle times (XREADGROUP, XCLAIM,
//! XAUTOCLAIM, XGROUP CREATECONSUMER) are logged as `SHARDD.AT <now>
//! <command>` and replay at the time they ran (`persist::rewrite::AT`).

pub mod groups;
pub mod info;
pub mod read;

use common::notify::STREAM;

use super::{eq_ic, Args, Changes, CmdError, CmdResult, CountedResult};
use crate::{
    keyspace::{Keyspace, Value, ValueMut, ValueRef},
    persist::rewrite,
    reply::Reply,
    types::stream::{
        id::{self, Parsed, StreamId, INVALID_ID},
        AddError, NewId, StreamObj, Trim,
    },
};

/// The stream at `key`, `None` if missing, WRONGTYPE for another type.
pub(crate) fn read_stream<'a>(
    ks: &'a mut Keyspace,
    key: &[u8],
) -> Result<Option<&'a StreamObj>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// The stream at `key` for change, `None` if missing.
pub(crate) fn write_stream<'a>(
    ks: &'a mut Keyspace,
    key: &[u8],
) -> Result<Option<&'a mut StreamObj>, CmdError> {
    match ks.get_mut(key) {
        None => Ok(None),
        Some(ValueMut::Stream(s)) => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

fn invalid_id() -> CmdError {
    CmdError::Other(INVALID_ID.into())
}

/// A full id where `-` and `+` are not allowed.
pub(crate) fn strict_id(b: &[u8]) -> Result<StreamId, CmdError> {
    id::parse_id(b, 0, true).ok_or_else(invalid_id)
}

/// A range's start bound (`(` exclusive), as XRANGE reads it.
pub(crate) fn start_bound(b: &[u8]) -> Result<StreamId, CmdError> {
    let (id, excl) = id::parse_bound(b, 0).ok_or_else(invalid_id)?;
    if !excl {
        return Ok(id);
    }
    id.next()
        .ok_or_else(|| CmdError::Other("ERR invalid start ID for the interval".into()))
}

/// A range's end bound (`(` exclusive), as XRANGE reads it.
pub(crate) fn end_bound(b: &[u8]) -> Result<StreamId, CmdError> {
    let (id, excl) = id::parse_bound(b, u64::MAX).ok_or_else(invalid_id)?;
    if !excl {
        return Ok(id);
    }
    id.prev()
        .ok_or_else(|| CmdError::Other("ERR invalid end ID for the interval".into()))
}

/// Writes one entry: `[id, [field, value, ...]]`.
pub(crate) fn entry_reply(out: &mut Reply, id: StreamId, fields: &[&[u8]]) {
    out.array(2);
    out.bulk(id.format(&mut [0; id::ID_TEXT_MAX]));
    out.array(fields.len());
    for f in fields {
        out.bulk(f);
    }
}

/// Writes the entries of `s` from `start` to `end` (down when `rev`), at
/// most `count` (all when 0), as an array; returns how many.
pub(crate) fn range_reply(
    out: &mut Reply,
    s: &StreamObj,
    start: StreamId,
    end: StreamId,
    rev: bool,
    count: usize,
) -> usize {
    let mark = out.begin_array();
    let n = s.range(start, end, rev, count, |id, f| {
        entry_reply(out, id, f);
        true
    });
    out.end_array(mark, n);
    n
}

/// XADD's and XTRIM's trimming options, as Redis parses them.
#[derive(Debug, Default)]
struct TrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: u64,
    /// Argument index of the threshold (for the logged form).
    arg_idx: usize,
    /// Argument index of LIMIT's keyword, if given.
    limit_idx: Option<usize>,
    /// XADD: the id (None for `*`) and where it is.
    id: Option<Parsed>,
    id_idx: usize,
    no_mkstream: bool,
}

/// Parses the options from argument 2 on (`streamParseAddOrTrimArgsOrReply`);
/// for XADD it stops at the id.
fn parse_trim_args(args: Args, xadd: bool) -> Result<TrimArgs, CmdError> {
    let argv = args.all();
    let mut t = TrimArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    let syntax = |m: &str| CmdError::Other(format!("ERR syntax error, {m}"));
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = argv[i];
        if xadd && opt == b"*" {
            break;
        } else if (eq_ic(opt, "maxlen") || eq_ic(opt, "minid")) && more > 0 {
            if t.trim.is_some() {
                return Err(syntax(
                    "MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            t.approx = false;
            let next = argv[i + 1];
            if more >= 2 && next == b"~" {
                t.approx = true;
                i += 1;
            } else if more >= 2 && next == b"=" {
                i += 1;
            }
            let v = argv[i + 1];
            if eq_ic(opt, "maxlen") {
                let n = super::parse_i64(v).ok_or(CmdError::NotInteger)?;
                if n < 0 {
                    return Err(CmdError::Other(
                        "ERR The MAXLEN argument must be >= 0.".into(),
                    ));
                }
                t.trim = Some(Trim::MaxLen(n as u64));
            } else {
                t.trim = Some(Trim::MinId(strict_id(v)?));
            }
            i += 1;
            t.arg_idx = i;
        } else if eq_ic(opt, "limit") && more > 0 {
            let n = super::parse_i64(argv[i + 1]).ok_or(CmdError::NotInteger)?;
            if n < 0 {
                return Err(CmdError::Other(
                    "ERR The LIMIT argument must be >= 0.".into(),
                ));
            }
            t.limit = n as u64;
            t.limit_idx = Some(i);
            limit_given = true;
            i += 1;
        } else if xadd && eq_ic(opt, "nomkstream") {
            t.no_mkstream = true;
        } else if xadd {
            t.id = Some(id::parse(opt, 0, true, true).ok_or_else(invalid_id)?);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    t.id_idx = i;
    if t.limit > 0 && t.trim.is_none() {
        return Err(syntax(
            "LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && t.trim.is_none() {
        return Err(syntax("XTRIM must be called with a trimming strategy"));
    }
    if limit_given {
        if !t.approx {
            return Err(syntax("LIMIT cannot be used without the special ~ option"));
        }
    } else if t.approx {
        let per_node = crate::settings::encoding().stream_node_max_entries as u64;
        t.limit = per_node.saturating_mul(100).clamp(1, 1_000_000);
        if per_node == 0 {
            t.limit = 10_000;
        }
    }
    Ok(t)
}

/// The logged form of an XADD or XTRIM that trimmed approximately: `~`
/// becomes `=`, the threshold what it amounted to, LIMIT goes; XADD's id
/// becomes `id` when given.
fn exact_form(argv: &[&[u8]], t: &TrimArgs, s: &StreamObj, id: Option<StreamId>) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::with_capacity(argv.len());
    let limit = t.limit_idx;
    let mut i = 0;
    while i < argv.len() {
        if Some(i) == limit {
            i += 2;
            continue;
        }
        let a = argv[i];
        let v = if t.approx && i + 1 == t.arg_idx && a == b"~" {
            b"=".to_vec()
        } else if t.approx && i == t.arg_idx {
            match t.trim {
                Some(Trim::MaxLen(_)) => s.len().to_string().into_bytes(),
                _ => s.first_raw_id().to_bytes(),
            }
        } else if i == t.id_idx && id.is_some() {
            id.map(StreamId::to_bytes).unwrap_or_default()
        } else {
            a.to_vec()
        };
        out.push(v);
        i += 1;
    }
    out
}

/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]`
pub fn xadd(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let t = parse_trim_args(args, true)?;
    let fields = args.rest(t.id_idx + 1);
    if fields.len() < 2 || !fields.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(args.name_lower()));
    }
    let how = match t.id {
        None => NewId::Auto,
        Some(Parsed::AutoSeq(ms)) => NewId::AutoSeq(ms),
        Some(Parsed::Id(id)) if id.is_zero() => {
            return Err(CmdError::Other(
                "ERR The ID specified in XADD must be greater than 0-0".into(),
            ))
        }
        Some(Parsed::Id(id)) => NewId::Exact(id),
    };
    let key = args.get(1)?;
    let now = ks.now_ms();
    let created = write_stream(ks, key)?.is_none();
    if created {
        if t.no_mkstream {
            out.null();
            return Ok(Changes::NONE);
        }
        ks.insert(key, Value::Stream(Box::default()));
    }
    let Some(s) = write_stream(ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    if s.last_id == StreamId::MAX {
        return Err(CmdError::Other(
            "ERR The stream has exhausted the last possible ID, unable to add more items".into(),
        ));
    }
    let id = match s.append(how, fields, now) {
        Ok(id) => id,
        Err(e) => {
            let msg = match e {
                AddError::NotGreater => {
                    "ERR The ID specified in XADD is equal or smaller than the target stream top item"
                }
                AddError::TooLarge => "ERR Elements are too large to be stored",
            };
            // A stream this XADD created goes with it.
            if created {
                ks.remove(key);
            }
            return Err(CmdError::Other(msg.into()));
        }
    };
    out.bulk(id.to_string().as_bytes());
    let trimmed = match t.trim {
        Some(how) => s.trim(how, t.approx, t.limit),
        None => 0,
    };
    let explicit = matches!(t.id, Some(Parsed::Id(_)));
    if !explicit || t.approx {
        let form = exact_form(args.all(), &t, s, (!explicit).then_some(id));
        ks.log_as(form);
    }
    ks.note_event(STREAM, "xadd", key);
    if trimmed > 0 {
        ks.note_event(STREAM, "xtrim", key);
    }
    Ok(Changes::ONE)
}

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`
pub fn xtrim(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let t = parse_trim_args(args, false)?;
    let key = args.get(1)?;
    let Some(s) = write_stream(ks, key)? else {
        out.int(0);
        return Ok(Changes::NONE);
    };
    let Some(how) = t.trim else {
        return Err(CmdError::Syntax);
    };
    let deleted = s.trim(how, t.approx, t.limit);
    out.int(deleted as i64);
    if deleted == 0 {
        return Ok(Changes::NONE);
    }
    if t.approx {
        let form = exact_form(args.all(), &t, s, None);
        ks.log_as(form);
    }
    ks.note_event(STREAM, "xtrim", key);
    Ok(Changes(deleted))
}

/// `XDEL key id [id ...]`
pub fn xdel(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let key = args.get(1)?;
    let Some(s) = write_stream(ks, key)? else {
        out.int(0);
        return Ok(Changes::NONE);
    };
    let ids = args
        .rest(2)
        .iter()
        .map(|a| strict_id(a))
        .collect::<Result<Vec<_>, _>>()?;
    let deleted = ids.into_iter().filter(|&id| s.delete(id)).count() as u64;
    out.int(deleted as i64);
    if deleted > 0 {
        ks.note_event(STREAM, "xdel", key);
    }
    Ok(Changes(deleted))
}

/// `XLEN key`
pub fn xlen(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let n = read_stream(ks, args.get(1)?)?.map_or(0, |s| s.len());
    out.int(n as i64);
    Ok(())
}

fn xrange_generic(ks: &mut Keyspace, args: Args, out: &mut Reply, rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (args.get(3)?, args.get(2)?)
    } else {
        (args.get(2)?, args.get(3)?)
    };
    let start = start_bound(start_arg)?;
    let end = end_bound(end_arg)?;
    let mut count: Option<i64> = None;
    let rest = args.rest(4);
    let mut i = 0;
    while i < rest.len() {
        if eq_ic(rest[i], "count") && i + 1 < rest.len() {
            count = Some(
                super::parse_i64(rest[i + 1])
                    .ok_or(CmdError::NotInteger)?
                    .max(0),
            );
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(s) = read_stream(ks, args.get(1)?)? else {
        out.array(0);
        return Ok(());
    };
    match count {
        Some(0) => out.null_array(),
        c => {
            let c = usize::try_from(c.unwrap_or(0)).unwrap_or(usize::MAX);
            range_reply(out, s, start, end, rev, c);
        }
    }
    Ok(())
}

/// `XRANGE key start end [COUNT count]`
pub fn xrange(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    xrange_generic(ks, args, out, false)
}

/// `XREVRANGE key end start [COUNT count]`
pub fn xrevrange(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    xrange_generic(ks, args, out, true)
}

/// `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]`
pub fn xsetid(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let id = strict_id(args.get(2)?)?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::MIN;
    let rest = args.rest(3);
    let mut i = 0;
    while i < rest.len() {
        let more = rest.len() - 1 - i;
        if eq_ic(rest[i], "entriesadded") && more > 0 {
            let n = super::parse_i64(rest[i + 1]).ok_or(CmdError::NotInteger)?;
            if n < 0 {
                return Err(CmdError::Other("ERR entries_added must be positive".into()));
            }
            entries_added = Some(n as u64);
        } else if eq_ic(rest[i], "maxdeletedid") && more > 0 {
            max_deleted = strict_id(rest[i + 1])?;
            if id < max_deleted {
                return Err(CmdError::Other(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
                        .into(),
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let key = args.get(1)?;
    let Some(s) = write_stream(ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    if !s.is_empty() {
        if s.edge_id(true).is_some_and(|max| id < max) {
            return Err(CmdError::Other(
                "ERR The ID specified in XSETID is smaller than the target stream top item".into(),
            ));
        }
        if entries_added.is_some_and(|n| s.len() > n) {
            return Err(CmdError::Other(
                "ERR The entries_added specified in XSETID is smaller than the target stream length"
                    .into(),
            ));
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted = max_deleted;
    }
    out.ok();
    ks.note_event(STREAM, "xsetid", key);
    Ok(())
}

/// Logs the command that just ran on `ks` to replay at the time it ran.
pub(crate) fn log_at_now(ks: &mut Keyspace, args: Args) {
    let form = rewrite::at(ks.now_ms(), args.all());
    ks.log_as(form);
}

#[cfg(test)]
mod tests;
