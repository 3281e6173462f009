//! List commands (`LPUSH`, `LRANGE`, `LPOS`, `LMOVE`, `LMPOP`, ...).
//!
//! Handlers parse their arguments in the order Redis does (so a command
//! with both a bad option and a missing key fails the way Redis's does),
//! then read or change the [`ListObj`] under the key. A command that leaves a
//! list empty removes the key. The blocking variants (`BLPOP`, ...) are
//! their non-blocking forms here: finding nothing, they answer their
//! timeout reply and mark the keyspace ([`Keyspace::set_would_block`]);
//! the shard's wait queues (`crate::blocking`) then keep a client's
//! request instead of answering it.

use super::{eq_ic, parse_i64, Args, Changes, CmdError, CmdResult, CountedResult};
use crate::{
    keyspace::{Keyspace, Value, ValueMut, ValueRef},
    reply::Reply,
    types::list::{End, ListObj, ListRef},
};

fn other(msg: &str) -> CmdError {
    CmdError::Other(msg.to_owned())
}

/// The list at `key` for reading: `None` if missing, `WRONGTYPE` if another type.
fn read<'a>(ks: &'a mut Keyspace, key: &[u8]) -> Result<Option<ListRef<'a>>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::List(l)) => Ok(Some(l)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Runs `f` on the existing list at `key` (`None` if missing) and removes
/// the key if `f` emptied it.
fn update<R>(
    ks: &mut Keyspace,
    key: &[u8],
    f: impl FnOnce(&mut ListObj) -> R,
) -> Result<Option<R>, CmdError> {
    match ks.get_mut(key) {
        None => Ok(None),
        Some(ValueMut::List(l)) => {
            let r = f(l);
            if l.is_empty() {
                ks.remove(key);
            }
            Ok(Some(r))
        }
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Position `index` (negative counts from the tail) in a list of `len`.
fn resolve(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 {
        (len as i64).checked_add(index)?
    } else {
        index
    };
    usize::try_from(i).ok().filter(|&i| i < len)
}

fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if eq_ic(arg, "left") {
        Ok(End::Front)
    } else if eq_ic(arg, "right") {
        Ok(End::Back)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Parses a count Redis checks with `getPositiveLong...(msg)`: every failure
/// (not a number, negative) replies `msg`.
fn positive(arg: &[u8], msg: &str) -> Result<i64, CmdError> {
    parse_i64(arg).filter(|&n| n >= 0).ok_or_else(|| other(msg))
}

fn push(ks: &mut Keyspace, args: Args, out: &mut Reply, end: End, create: bool) -> CmdResult {
    let key = args.get(1)?;
    let elems = args.rest(2);
    let push_all = |l: &mut ListObj| {
        elems.iter().for_each(|e| l.push(end, e));
        l.len()
    };
    let len = match update(ks, key, push_all)? {
        Some(len) => len,
        None if create => {
            let mut l = ListObj::new();
            let len = push_all(&mut l);
            ks.insert(key, Value::List(Box::new(l)));
            len
        }
        None => 0,
    };
    out.int(len as i64);
    Ok(())
}

/// `LPUSH key element [element ...]`
pub fn lpush(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    push(ks, args, out, End::Front, true)
}

/// `RPUSH key element [element ...]`
pub fn rpush(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    push(ks, args, out, End::Back, true)
}

/// `LPUSHX key element [element ...]`
pub fn lpushx(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    push(ks, args, out, End::Front, false)
}

/// `RPUSHX key element [element ...]`
pub fn rpushx(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    push(ks, args, out, End::Back, false)
}

/// Writes and removes up to `n` elements from `end` as an array.
fn pop_many(l: &mut ListObj, end: End, n: usize, out: &mut Reply) {
    let n = n.min(l.len());
    out.array(n);
    match end {
        End::Front => l.iter().take(n).for_each(|e| out.bulk(e)),
        End::Back => l.iter().rev().take(n).for_each(|e| out.bulk(e)),
    }
    l.discard(end, n);
}

fn pop(ks: &mut Keyspace, args: Args, out: &mut Reply, end: End) -> CmdResult {
    // At most a count: the table says only "at least 2".
    args.check(|n| n <= 3)?;
    let count = match args.rest(2).first() {
        Some(c) => Some(positive(c, "ERR value is out of range, must be positive")?),
        None => None,
    };
    let done = update(ks, args.get(1)?, |l| match count {
        None => {
            if let Some(e) = l.peek(end) {
                out.bulk(e);
            }
            l.discard(end, 1);
        }
        Some(n) => pop_many(l, end, usize::try_from(n).unwrap_or(usize::MAX), out),
    })?;
    if done.is_none() {
        match count {
            None => out.null(),
            Some(_) => out.null_array(),
        }
    }
    Ok(())
}

/// `LPOP key [count]`
pub fn lpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    pop(ks, args, out, End::Front)
}

/// `RPOP key [count]`
pub fn rpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    pop(ks, args, out, End::Back)
}

/// `LLEN key`
pub fn llen(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let n = read(ks, args.get(1)?)?.map_or(0, ListRef::len);
    out.int(n as i64);
    Ok(())
}

/// `LRANGE key start stop`
pub fn lrange(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let (start, stop) = (args.i64(2)?, args.i64(3)?);
    let Some(l) = read(ks, args.get(1)?)? else {
        out.array(0);
        return Ok(());
    };
    let len = l.len() as i64;
    let start = if start < 0 { len + start } else { start }.max(0);
    let stop = if stop < 0 { len + stop } else { stop }.min(len - 1);
    if start > stop || start >= len {
        out.array(0);
        return Ok(());
    }
    let n = (stop - start + 1) as usize;
    out.array(n);
    l.range(start as usize, stop as usize)
        .for_each(|e| out.bulk(e));
    Ok(())
}

/// `LINDEX key index`
pub fn lindex(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let Some(l) = read(ks, args.get(1)?)? else {
        out.null();
        return Ok(());
    };
    let index = args.i64(2)?;
    match resolve(index, l.len()).and_then(|i| l.get(i)) {
        Some(e) => out.bulk(e),
        None => out.null(),
    }
    Ok(())
}

/// `LSET key index element`
pub fn lset(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    let elem = args.get(3)?;
    let Some(l) = read(ks, key)? else {
        return Err(CmdError::NoSuchKey);
    };
    let index = args.i64(2)?;
    let at = resolve(index, l.len()).ok_or_else(|| other("ERR index out of range"))?;
    update(ks, key, |l| l.set(at, elem))?;
    out.ok();
    Ok(())
}

/// `LINSERT key BEFORE|AFTER pivot element`
pub fn linsert(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let where_ = args.get(2)?;
    let after = if eq_ic(where_, "after") {
        true
    } else if eq_ic(where_, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let (pivot, elem) = (args.get(3)?, args.get(4)?);
    let res = update(ks, args.get(1)?, |l| {
        let found = l.iter().position(|e| e == pivot);
        match found {
            Some(p) => {
                l.insert(p + after as usize, elem);
                l.len() as i64
            }
            None => -1,
        }
    })?;
    out.int(res.unwrap_or(0));
    Ok(())
}

/// `LREM key count element`
pub fn lrem(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let count = args.i64(2)?;
    let elem = args.get(3)?;
    let from = if count < 0 { End::Back } else { End::Front };
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = update(ks, args.get(1)?, |l| l.remove_eq(elem, from, limit))?;
    out.int(removed.unwrap_or(0) as i64);
    Ok(())
}

/// `LTRIM key start stop`
/// LTRIM of a missing key changes nothing (as in Redis; of a list, it
/// counts as a change even when it keeps every element, as Redis's does).
pub fn ltrim(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CountedResult {
    let (start, stop) = (args.i64(2)?, args.i64(3)?);
    let trimmed = update(ks, args.get(1)?, |l| {
        let len = l.len() as i64;
        let start = if start < 0 { len + start } else { start }.max(0);
        let stop = if stop < 0 { len + stop } else { stop };
        if start > stop || start >= len {
            l.trim(1, 0);
        } else {
            l.trim(start as usize, stop.min(len - 1) as usize);
        }
    })?;
    out.ok();
    Ok(match trimmed {
        Some(()) => Changes::ONE,
        None => Changes::NONE,
    })
}

/// Options of `LPOS`.
struct LposOpts {
    rank: i64,
    count: Option<usize>,
    maxlen: usize,
}

fn parse_lpos_opts(opts: &[&[u8]]) -> Result<LposOpts, CmdError> {
    let mut o = LposOpts {
        rank: 1,
        count: None,
        maxlen: 0,
    };
    let mut pairs = opts.chunks(2);
    for pair in &mut pairs {
        let [name, val] = pair else {
            return Err(CmdError::Syntax);
        };
        if eq_ic(name, "rank") {
            o.rank = parse_i64(val).ok_or(CmdError::NotInteger)?;
            if o.rank == 0 {
                return Err(other("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"));
            }
        } else if eq_ic(name, "count") {
            let c = positive(val, "ERR COUNT can't be negative")?;
            o.count = Some(usize::try_from(c).unwrap_or(usize::MAX));
        } else if eq_ic(name, "maxlen") {
            let m = positive(val, "ERR MAXLEN can't be negative")?;
            o.maxlen = usize::try_from(m).unwrap_or(usize::MAX);
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok(o)
}

/// Positions (from the head) of matches of `elem` in `l` as `LPOS` selects them.
fn lpos_find(l: ListRef<'_>, elem: &[u8], o: &LposOpts) -> Vec<i64> {
    // Redis 7.0 negates RANK -9223372036854775808 to itself: every match
    // from the tail then qualifies and COUNT never ends the scan.
    let wraps = o.rank == i64::MIN;
    let want = match o.count {
        Some(0) => usize::MAX,
        Some(_) if wraps => usize::MAX,
        Some(c) => c,
        None => 1,
    };
    let limit = if o.maxlen == 0 { usize::MAX } else { o.maxlen };
    let mut skip = if wraps { 0 } else { o.rank.unsigned_abs() - 1 };
    let len = l.len();
    let mut found = Vec::new();
    let mut consider = |k: usize, e: &[u8]| {
        if e == elem {
            if skip > 0 {
                skip -= 1;
            } else {
                found.push(k as i64);
            }
        }
        found.len() < want
    };
    if o.rank > 0 {
        for (k, e) in l.iter().enumerate().take(limit) {
            if !consider(k, e) {
                break;
            }
        }
    } else {
        for (k, e) in l.iter().rev().enumerate().take(limit) {
            if !consider(len - 1 - k, e) {
                break;
            }
        }
    }
    found
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
pub fn lpos(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let elem = args.get(2)?;
    let o = parse_lpos_opts(args.rest(3))?;
    let found = match read(ks, args.get(1)?)? {
        Some(l) => lpos_find(l, elem, &o),
        None => Vec::new(),
    };
    match (o.count, found.first()) {
        (Some(_), _) => {
            out.array(found.len());
            found.iter().for_each(|&p| out.int(p));
        }
        (None, Some(&p)) => out.int(p),
        (None, None) => out.null(),
    }
    Ok(())
}

/// Moves one element from `src`'s `from` end to `dst`'s `to` end.
fn move_one(
    ks: &mut Keyspace,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    out: &mut Reply,
) -> CmdResult {
    if read(ks, src)?.is_none() {
        out.null();
        return Ok(());
    }
    read(ks, dst)?;
    if src == dst {
        update(ks, src, |l| {
            if let Some(e) = l.pop(from) {
                out.bulk(&e);
                l.push(to, &e);
            }
        })?;
        return Ok(());
    }
    let Some(Some(elem)) = update(ks, src, |l| l.pop(from))? else {
        out.null();
        return Ok(());
    };
    if update(ks, dst, |l| l.push(to, &elem))?.is_none() {
        let mut l = ListObj::new();
        l.push(to, &elem);
        ks.insert(dst, Value::List(Box::new(l)));
    }
    out.bulk(&elem);
    Ok(())
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
pub fn lmove(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let from = parse_end(args.get(3)?)?;
    let to = parse_end(args.get(4)?)?;
    move_one(ks, args.get(1)?, args.get(2)?, from, to, out)
}

/// `RPOPLPUSH source destination`
pub fn rpoplpush(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    move_one(ks, args.get(1)?, args.get(2)?, End::Back, End::Front, out)
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub fn lmpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    lmpop_checked(ks, args, out, || Ok(()))
}

/// LMPOP, running `check` once its options parsed (BLMPOP's timeout).
fn lmpop_checked(
    ks: &mut Keyspace,
    args: Args,
    out: &mut Reply,
    check: impl FnOnce() -> CmdResult,
) -> CmdResult {
    let numkeys = parse_i64(args.get(1)?)
        .filter(|&n| n > 0)
        .ok_or_else(|| other("ERR numkeys should be greater than 0"))?;
    let where_at = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(2))
        .filter(|&i| i < args.len())
        .ok_or(CmdError::Syntax)?;
    let end = parse_end(args.get(where_at)?)?;
    let count = match args.rest(where_at + 1) {
        [] => 1,
        [name, val] if eq_ic(name, "count") => parse_i64(val)
            .filter(|&c| c > 0)
            .ok_or_else(|| other("ERR count should be greater than 0"))?,
        _ => return Err(CmdError::Syntax),
    };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    check()?;
    for key in args.all().get(2..where_at).unwrap_or(&[]) {
        if read(ks, key)?.is_none() {
            continue;
        }
        out.array(2);
        out.bulk(key);
        update(ks, key, |l| pop_many(l, end, count, out))?;
        return Ok(());
    }
    out.null_array();
    Ok(())
}

/// Parses a blocking command's timeout (Redis's error if bad).
fn timeout(arg: &[u8]) -> CmdResult {
    common::blocking::parse_timeout(arg)
        .map(drop)
        .map_err(other)
}

fn blocking_pop(ks: &mut Keyspace, args: Args, out: &mut Reply, end: End) -> CmdResult {
    let all = args.all();
    timeout(all.last().copied().unwrap_or_default())?;
    for key in all.get(1..all.len().saturating_sub(1)).unwrap_or(&[]) {
        if read(ks, key)?.is_none() {
            continue;
        }
        out.array(2);
        out.bulk(key);
        update(ks, key, |l| {
            if let Some(e) = l.pop(end) {
                out.bulk(&e);
            }
        })?;
        return Ok(());
    }
    out.null_array();
    ks.set_would_block();
    Ok(())
}

/// `BLPOP key [key ...] timeout`
pub fn blpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    blocking_pop(ks, args, out, End::Front)
}

/// `BRPOP key [key ...] timeout`
pub fn brpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    blocking_pop(ks, args, out, End::Back)
}

fn blocking_move(ks: &mut Keyspace, args: Args, from: End, to: End, out: &mut Reply) -> CmdResult {
    let src = args.get(1)?;
    if read(ks, src)?.is_none() {
        out.null();
        ks.set_would_block();
        return Ok(());
    }
    move_one(ks, src, args.get(2)?, from, to, out)
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
pub fn blmove(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let from = parse_end(args.get(3)?)?;
    let to = parse_end(args.get(4)?)?;
    timeout(args.get(5)?)?;
    blocking_move(ks, args, from, to, out)
}

/// `BRPOPLPUSH source destination timeout`
pub fn brpoplpush(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    timeout(args.get(3)?)?;
    blocking_move(ks, args, End::Back, End::Front, out)
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`: LMPOP's
/// parsing and reply, the timeout checked after the options as Redis does.
pub fn blmpop(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let all = args.all();
    let mut argv: Vec<&[u8]> = Vec::with_capacity(all.len().saturating_sub(1));
    argv.push(b"LMPOP");
    argv.extend_from_slice(all.get(2..).unwrap_or(&[]));
    let start = out.buffer().len();
    lmpop_checked(ks, Args::new(&argv), out, || timeout(args.get(1)?))?;
    if is_null(&out.buffer()[start..]) {
        ks.set_would_block();
    }
    Ok(())
}

/// Whether `reply` is a null (RESP2's null bulk or array, RESP3's null).
pub fn is_null(reply: &[u8]) -> bool {
    matches!(reply, b"*-1\r\n" | b"$-1\r\n" | b"_\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        commands::{execute, test_util::run},
        reply::Proto,
    };

    fn run3(ks: &mut Keyspace, cmd: &str) -> String {
        let argv: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        let mut buf = Vec::new();
        execute(ks, &argv, &mut Reply::new(&mut buf, Proto::Resp3));
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// The bulk strings of a flat RESP2 array reply, joined by spaces.
    fn items(reply: &str) -> String {
        let lines: Vec<&str> = reply.split("\r\n").collect();
        lines
            .iter()
            .skip(1)
            .filter(|l| !l.is_empty() && !l.starts_with('$') && !l.starts_with('*'))
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
    const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";

    #[test]
    fn pushes_return_the_length_and_keep_order() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "RPUSH l a b"), ":2\r\n");
        assert_eq!(run(&mut ks, "LPUSH l x y"), ":4\r\n");
        assert_eq!(items(&run(&mut ks, "LRANGE l 0 -1")), "y x a b");
        assert_eq!(run(&mut ks, "LPUSHX nokey a"), ":0\r\n");
        assert_eq!(run(&mut ks, "RPUSHX l z"), ":5\r\n");
        assert!(!ks.exists(b"nokey"));
        assert_eq!(run(&mut ks, "LLEN l"), ":5\r\n");
        assert_eq!(run(&mut ks, "LLEN nokey"), ":0\r\n");
    }

    #[test]
    fn wrong_arity_is_refused() {
        let mut ks = Keyspace::new();
        for (cmd, name) in [
            ("LPUSH l", "lpush"),
            ("RPUSHX l", "rpushx"),
            ("LPOP", "lpop"),
            ("RPOP l 1 2", "rpop"),
            ("LLEN", "llen"),
            ("LRANGE l 0", "lrange"),
            ("LINDEX l", "lindex"),
            ("LSET l 0", "lset"),
            ("LINSERT l before a", "linsert"),
            ("LREM l 0", "lrem"),
            ("LTRIM l 0", "ltrim"),
            ("LPOS l", "lpos"),
            ("LMOVE a b left", "lmove"),
            ("RPOPLPUSH a", "rpoplpush"),
            ("LMPOP 1 l", "lmpop"),
        ] {
            let want = format!("-ERR wrong number of arguments for '{name}' command\r\n");
            assert_eq!(run(&mut ks, cmd), want, "{cmd}");
        }
    }

    #[test]
    fn every_command_refuses_a_string_key() {
        let mut ks = Keyspace::new();
        run(&mut ks, "SET s x");
        run(&mut ks, "RPUSH l a");
        for cmd in [
            "LPUSH s a",
            "RPUSH s a",
            "LPUSHX s a",
            "RPUSHX s a",
            "LPOP s",
            "RPOP s 2",
            "LLEN s",
            "LRANGE s 0 -1",
            "LINDEX s 0",
            "LSET s 0 a",
            "LINSERT s before a b",
            "LREM s 0 a",
            "LTRIM s 0 1",
            "LPOS s a",
            "LMOVE s l left left",
            "LMOVE l s left left",
            "RPOPLPUSH s l",
            "RPOPLPUSH l s",
            "LMPOP 2 nokey s left",
        ] {
            assert_eq!(run(&mut ks, cmd), WRONGTYPE, "{cmd}");
        }
        assert_eq!(run(&mut ks, "LLEN l"), ":1\r\n");
    }

    #[test]
    fn pop_replies_null_or_empty_array_as_redis() {
        let mut ks = Keyspace::new();
        run(&mut ks, "RPUSH l a b c");
        assert_eq!(run(&mut ks, "LPOP l 0"), "*0\r\n");
        assert_eq!(run(&mut ks, "LPOP nokey 0"), "*-1\r\n");
        assert_eq!(run(&mut ks, "LPOP nokey"), "$-1\r\n");
        assert_eq!(run3(&mut ks, "LPOP nokey 2"), "_\r\n");
        assert_eq!(run(&mut ks, "LPOP l"), "$1\r\na\r\n");
        assert_eq!(run(&mut ks, "RPOP l 5"), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");
        assert!(!ks.exists(b"l"));
        let bad = "-ERR value is out of range, must be positive\r\n";
        assert_eq!(run(&mut ks, "LPOP l -1"), bad);
        assert_eq!(run(&mut ks, "LPOP l x"), bad);
    }

    #[test]
    fn lrange_and_lindex_clamp_like_redis() {
        let mut ks = Keyspace::new();
        run(&mut ks, "RPUSH l a b c d");
        assert_eq!(items(&run(&mut ks, "LRANGE l -100 100")), "a b c d");
        assert_eq!(items(&run(&mut ks, "LRANGE l 1 -2")), "b c");
        assert_eq!(run(&mut ks, "LRANGE l 3 1"), "*0\r\n");
        assert_eq!(run(&mut ks, "LRANGE l 9 10"), "*0\r\n");
        assert_eq!(run(&mut ks, "LRANGE nokey 0 -1"), "*0\r\n");
        assert_eq!(
            run(&mut ks, "LRANGE l -9223372036854775808 9223372036854775807").len(),
            run(&mut ks, "LRANGE l 0 -1").len()
        );
        assert_eq!(run(&mut ks, "LRANGE l x 1"), NOT_INT);
        assert_eq!(run(&mut ks, "LINDEX l -1"), "$1\r\nd\r\n");
        assert_eq!(run(&mut ks, "LINDEX l 4"), "$-1\r\n");
        assert_eq!(run(&mut ks, "LINDEX l -5"), "$-1\r\n");
        assert_eq!(run(&mut ks, "LINDEX l x"), NOT_INT);
        assert_eq!(run(&mut ks, "LINDEX nokey x"), "$-1\r\n");
    }

    #[test]
    fn lset_reports_missing_keys_and_bad_indexes() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "LSET nokey 0 x"), "-ERR no such key\r\n");
        run(&mut ks, "RPUSH l a b");
        assert_eq!(run(&mut ks, "LSET l -1 z"), "+OK\r\n");
        assert_eq!(run(&mut ks, "LSET l 2 z"), "-ERR index out of range\r\n");
        assert_eq!(run(&mut ks, "LSET l x z"), NOT_INT);
        assert_eq!(items(&run(&mut ks, "LRANGE l 0 -1")), "a z");
    }

    #[test]
    fn linsert_lrem_ltrim() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "LINSERT nokey before a x"), ":0\r\n");
        run(&mut ks, "RPUSH l a b a c a");
        assert_eq!(
            run(&mut ks, "LINSERT l middle a x"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(run(&mut ks, "LINSERT l before zz x"), ":-1\r\n");
        assert_eq!(run(&mut ks, "LINSERT l AFTER b x"), ":6\r\n");
        assert_eq!(run(&mut ks, "LREM l -2 a"), ":2\r\n");
        assert_eq!(items(&run(&mut ks, "LRANGE l 0 -1")), "a b x c");
        assert_eq!(run(&mut ks, "LREM l x a"), NOT_INT);
        assert_eq!(run(&mut ks, "LREM nokey 0 a"), ":0\r\n");
        assert_eq!(run(&mut ks, "LTRIM l 1 -2"), "+OK\r\n");
        assert_eq!(items(&run(&mut ks, "LRANGE l 0 -1")), "b x");
        assert_eq!(run(&mut ks, "LTRIM l 0 x"), NOT_INT);
        assert_eq!(run(&mut ks, "LTRIM l 5 10"), "+OK\r\n");
        assert!(!ks.exists(b"l"));
        assert_eq!(run(&mut ks, "LTRIM nokey 0 1"), "+OK\r\n");
    }

    #[test]
    fn lpos_options_and_errors() {
        let mut ks = Keyspace::new();
        run(&mut ks, "RPUSH l a b c a b c a");
        assert_eq!(run(&mut ks, "LPOS l a"), ":0\r\n");
        assert_eq!(run(&mut ks, "LPOS l a RANK 2"), ":3\r\n");
        assert_eq!(run(&mut ks, "LPOS l a RANK -1"), ":6\r\n");
        assert_eq!(run(&mut ks, "LPOS l a COUNT 0"), "*3\r\n:0\r\n:3\r\n:6\r\n");
        assert_eq!(
            run(&mut ks, "LPOS l a RANK -2 COUNT 2"),
            "*2\r\n:3\r\n:0\r\n"
        );
        assert_eq!(
            run(&mut ks, "LPOS l a COUNT 0 MAXLEN 4"),
            "*2\r\n:0\r\n:3\r\n"
        );
        assert_eq!(run(&mut ks, "LPOS l zz"), "$-1\r\n");
        assert_eq!(run3(&mut ks, "LPOS l zz"), "_\r\n");
        assert_eq!(run(&mut ks, "LPOS l zz COUNT 1"), "*0\r\n");
        assert_eq!(run(&mut ks, "LPOS nokey a COUNT 1"), "*0\r\n");
        assert!(run(&mut ks, "LPOS l a RANK 0").starts_with("-ERR RANK can't be zero"));
        // Redis 7.0 wraps -RANK: all matches from the tail, COUNT ignored.
        assert_eq!(run(&mut ks, "LPOS l a RANK -9223372036854775808"), ":6\r\n");
        assert_eq!(
            run(
                &mut ks,
                "LPOS l a RANK -9223372036854775808 COUNT 1 MAXLEN 5"
            ),
            "*2\r\n:6\r\n:3\r\n"
        );
        assert_eq!(run(&mut ks, "LPOS l a RANK x"), NOT_INT);
        assert_eq!(
            run(&mut ks, "LPOS l a COUNT -1"),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            run(&mut ks, "LPOS l a MAXLEN -1"),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(run(&mut ks, "LPOS l a RANK"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut ks, "LPOS l a FOO 1"), "-ERR syntax error\r\n");
    }

    #[test]
    fn lmove_and_rpoplpush_move_between_and_within_lists() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "RPOPLPUSH nokey l"), "$-1\r\n");
        run(&mut ks, "RPUSH a 1 2 3");
        assert_eq!(run(&mut ks, "RPOPLPUSH a b"), "$1\r\n3\r\n");
        assert_eq!(run(&mut ks, "LMOVE a b LEFT RIGHT"), "$1\r\n1\r\n");
        assert_eq!(items(&run(&mut ks, "LRANGE b 0 -1")), "3 1");
        assert_eq!(run(&mut ks, "LMOVE a a left right"), "$1\r\n2\r\n");
        assert_eq!(items(&run(&mut ks, "LRANGE a 0 -1")), "2");
        assert_eq!(run(&mut ks, "LMOVE a b up down"), "-ERR syntax error\r\n");
        run(&mut ks, "LMOVE a b left left");
        assert!(!ks.exists(b"a"));
        assert_eq!(items(&run(&mut ks, "LRANGE b 0 -1")), "2 3 1");
        run(&mut ks, "RPUSH c x y");
        assert_eq!(run(&mut ks, "LMOVE c c right left"), "$1\r\ny\r\n");
        assert_eq!(items(&run(&mut ks, "LRANGE c 0 -1")), "y x");
    }

    #[test]
    fn lmpop_pops_from_the_first_non_empty_list() {
        let mut ks = Keyspace::new();
        run(&mut ks, "RPUSH l a b c");
        assert_eq!(
            run(&mut ks, "LMPOP 2 nokey l left"),
            "*2\r\n$1\r\nl\r\n*1\r\n$1\r\na\r\n"
        );
        assert_eq!(
            run(&mut ks, "LMPOP 1 l RIGHT COUNT 10"),
            "*2\r\n$1\r\nl\r\n*2\r\n$1\r\nc\r\n$1\r\nb\r\n"
        );
        assert!(!ks.exists(b"l"));
        assert_eq!(run(&mut ks, "LMPOP 1 l left"), "*-1\r\n");
        assert_eq!(run3(&mut ks, "LMPOP 1 l left"), "_\r\n");
        let numkeys = "-ERR numkeys should be greater than 0\r\n";
        assert_eq!(run(&mut ks, "LMPOP 0 l left"), numkeys);
        assert_eq!(run(&mut ks, "LMPOP x l left"), numkeys);
        assert_eq!(run(&mut ks, "LMPOP 2 l left"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut ks, "LMPOP 9223372036854775807 l left"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(run(&mut ks, "LMPOP 1 l middle"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut ks, "LMPOP 1 l left count 0"),
            "-ERR count should be greater than 0\r\n"
        );
        assert_eq!(
            run(&mut ks, "LMPOP 1 l left count 2 count 3"),
            "-ERR syntax error\r\n"
        );
    }

    #[test]
    fn big_lists_work_across_chunks() {
        let mut ks = Keyspace::new();
        let elem = "x".repeat(100);
        for i in 0..500 {
            run(&mut ks, &format!("RPUSH l {elem}{i}"));
        }
        assert_eq!(
            run(&mut ks, "LINDEX l 250"),
            format!("$103\r\n{elem}250\r\n")
        );
        assert_eq!(
            run(
                &mut ks,
                "LPOS l {elem}499".replace("{elem}", &elem).as_str()
            ),
            ":499\r\n"
        );
        assert_eq!(run(&mut ks, "LTRIM l 100 199"), "+OK\r\n");
        assert_eq!(run(&mut ks, "LLEN l"), ":100\r\n");
        assert_eq!(run(&mut ks, "LINDEX l 0"), format!("$103\r\n{elem}100\r\n"));
    }
}
