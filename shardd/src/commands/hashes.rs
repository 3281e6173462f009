//! Hash commands (`HSET`, `HGET`, `HINCRBY`, `HSCAN`, ...).
//!
//! Each handler checks its arity, parses its options without touching the
//! keyspace, then reads or changes the [`HashObj`] under the key. A command
//! that leaves a hash empty removes the key, as Redis does. Replies and
//! error texts are Redis 7's, in RESP2 and RESP3.

use rand::Rng;

use super::{
    eq_ic, parse_i64,
    scan::{parse_cursor, scan_header, ScanOpts},
    strings::longdouble::LongDouble,
    Args, CmdError, CmdResult,
};
use crate::{
    keyspace::{Keyspace, Value, ValueMut, ValueRef},
    reply::{format_i64, Reply},
    types::hash::{HashObj, HashRef},
};

/// Largest `|count|` a negative-count `HRANDFIELD` answers (the reply grows
/// with it, and a client number must not size an allocation unchecked).
pub const RANDFIELD_REPEAT_MAX: u64 = 1 << 20;

/// The hash at `key` for reading: `None` if missing, `WRONGTYPE` if another type.
fn read<'a>(ks: &'a mut Keyspace, key: &[u8]) -> Result<Option<HashRef<'a>>, CmdError> {
    match ks.get(key) {
        None => Ok(None),
        Some(ValueRef::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Runs `f` on the hash at `key`, creating it if missing; stores a created
/// hash only if it is non-empty and removes the key if `f` emptied it.
fn update<R>(
    ks: &mut Keyspace,
    key: &[u8],
    f: impl FnOnce(&mut HashObj) -> Result<R, CmdError>,
) -> Result<R, CmdError> {
    // Located once: a missing hash is inserted where the lookup looked.
    let at = ks.locate_key(key);
    match ks.get_mut_at(at, key) {
        Some(ValueMut::Hash(h)) => {
            let r = f(h);
            if h.is_empty() {
                ks.remove(key);
            }
            r
        }
        Some(_) => Err(CmdError::WrongType),
        None => {
            let mut h = HashObj::new();
            let r = f(&mut h)?;
            if !h.is_empty() {
                ks.insert_at(at, key, Value::Hash(Box::new(h)));
            }
            Ok(r)
        }
    }
}

fn set_pairs(ks: &mut Keyspace, args: Args) -> Result<i64, CmdError> {
    // Field/value pairs: the table says only "at least 4".
    args.check(|n| n % 2 == 0)?;
    let pairs = args.rest(2);
    update(ks, args.get(1)?, |h| {
        Ok(pairs.chunks_exact(2).filter(|p| h.set(p[0], p[1])).count() as i64)
    })
}

/// `HSET key field value [field value ...]`
pub fn hset(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let added = set_pairs(ks, args)?;
    out.int(added);
    Ok(())
}

/// `HMSET key field value [field value ...]`
pub fn hmset(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    set_pairs(ks, args)?;
    out.ok();
    Ok(())
}

/// `HSETNX key field value`
pub fn hsetnx(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let (field, value) = (args.get(2)?, args.get(3)?);
    let added = update(ks, args.get(1)?, |h| {
        Ok(h.get(field).is_none() && h.set(field, value))
    })?;
    out.int(added as i64);
    Ok(())
}

/// `HGET key field`
pub fn hget(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let field = args.get(2)?;
    match read(ks, args.get(1)?)?.and_then(|h| h.get(field)) {
        Some(v) => out.bulk(v),
        None => out.null(),
    }
    Ok(())
}

/// `HMGET key field [field ...]`
pub fn hmget(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let h = read(ks, args.get(1)?)?;
    let fields = args.rest(2);
    out.array(fields.len());
    for f in fields {
        match h.and_then(|h| h.get(f)) {
            Some(v) => out.bulk(v),
            None => out.null(),
        }
    }
    Ok(())
}

/// `HDEL key field [field ...]`
pub fn hdel(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let fields = args.rest(2);
    let key = args.get(1)?;
    let removed = match ks.get_mut(key) {
        None => 0,
        Some(ValueMut::Hash(h)) => {
            let n = fields.iter().filter(|f| h.remove(f)).count();
            if h.is_empty() {
                ks.remove(key);
            }
            n
        }
        Some(_) => return Err(CmdError::WrongType),
    };
    out.int(removed as i64);
    Ok(())
}

/// `HLEN key`
pub fn hlen(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let n = read(ks, args.get(1)?)?.map_or(0, HashRef::len);
    out.int(n as i64);
    Ok(())
}

/// `HSTRLEN key field`
pub fn hstrlen(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let field = args.get(2)?;
    let n = read(ks, args.get(1)?)?
        .and_then(|h| h.get(field))
        .map_or(0, <[u8]>::len);
    out.int(n as i64);
    Ok(())
}

/// `HEXISTS key field`
pub fn hexists(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let field = args.get(2)?;
    let found = read(ks, args.get(1)?)?.is_some_and(|h| h.get(field).is_some());
    out.int(found as i64);
    Ok(())
}

/// `HKEYS key`
pub fn hkeys(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let Some(h) = read(ks, args.get(1)?)? else {
        out.array(0);
        return Ok(());
    };
    out.array(h.len());
    h.iter().for_each(|(f, _)| out.bulk(f));
    Ok(())
}

/// `HVALS key`
pub fn hvals(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let Some(h) = read(ks, args.get(1)?)? else {
        out.array(0);
        return Ok(());
    };
    out.array(h.len());
    h.iter().for_each(|(_, v)| out.bulk(v));
    Ok(())
}

/// `HGETALL key` (a map in RESP3)
pub fn hgetall(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let Some(h) = read(ks, args.get(1)?)? else {
        out.map(0);
        return Ok(());
    };
    out.map(h.len());
    for (f, v) in h.iter() {
        out.bulk(f);
        out.bulk(v);
    }
    Ok(())
}

/// `HINCRBY key field increment`: parses and formats on the stack, so the
/// only allocation is the one that stores a longer value.
pub fn hincrby(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let field = args.get(2)?;
    let incr = args.i64(3)?;
    let result = update(ks, args.get(1)?, |h| {
        let old = match h.get(field) {
            None => 0,
            Some(v) => parse_i64(v)
                .ok_or_else(|| CmdError::Other("ERR hash value is not an integer".into()))?,
        };
        let new = old.checked_add(incr).ok_or(CmdError::Overflow)?;
        let mut tmp = [0u8; 20];
        h.set(field, format_i64(new, &mut tmp));
        Ok(new)
    })?;
    out.int(result);
    Ok(())
}

/// `HINCRBYFLOAT key field increment`
pub fn hincrbyfloat(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let field = args.get(2)?;
    // Redis adds `long double`s here as INCRBYFLOAT does, so the sums and
    // their text (`%.17Lf`) are the same as there.
    let incr = LongDouble::parse(args.get(3)?).ok_or(CmdError::NotFloat)?;
    if !incr.is_finite() {
        return Err(CmdError::Other("ERR value is NaN or Infinity".into()));
    }
    let text = update(ks, args.get(1)?, |h| {
        let old = match h.get(field) {
            None => LongDouble::ZERO,
            Some(v) => LongDouble::parse(v)
                .ok_or_else(|| CmdError::Other("ERR hash value is not a float".into()))?,
        };
        let new = old.add(incr);
        if !new.is_finite() {
            return Err(CmdError::Other(
                "ERR increment would produce NaN or Infinity".into(),
            ));
        }
        let text = new.to_human_string();
        h.set(field, &text);
        Ok(text)
    })?;
    out.bulk(&text);
    Ok(())
}

/// Writes `(field, value)` items of `HRANDFIELD`: flat in RESP2, pairs in RESP3.
fn write_items<'a>(
    out: &mut Reply,
    n: usize,
    with_values: bool,
    items: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) {
    let resp3 = out.proto() == crate::reply::Proto::Resp3;
    out.array(if with_values && !resp3 { n * 2 } else { n });
    for (f, v) in items {
        if with_values {
            if resp3 {
                out.array(2);
            }
            out.bulk(f);
            out.bulk(v);
        } else {
            out.bulk(f);
        }
    }
}

/// `HRANDFIELD key [count [WITHVALUES]]`
pub fn hrandfield(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let mut rng = rand::thread_rng();
    if args.len() == 2 {
        match read(ks, args.get(1)?)?.and_then(|h| h.random_pair(&mut rng)) {
            Some((f, _)) => out.bulk(f),
            None => out.null(),
        }
        return Ok(());
    }
    let count = args.i64(2)?;
    if count == i64::MIN {
        return Err(CmdError::Other(
            "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
                .into(),
        ));
    }
    // Anything but one WITHVALUES after the count is Redis's syntax error
    // (not an arity error: the table allows any number of arguments).
    let with_values = match args.rest(3) {
        [] => false,
        [a] if eq_ic(a, "withvalues") => true,
        _ => return Err(CmdError::Syntax),
    };
    let out_of_range = (with_values && count.unsigned_abs() > i64::MAX as u64 / 2)
        || (count < 0 && count.unsigned_abs() > RANDFIELD_REPEAT_MAX);
    if out_of_range {
        return Err(CmdError::Other("ERR value is out of range".into()));
    }
    let h = match read(ks, args.get(1)?)? {
        Some(h) if count != 0 => h,
        _ => {
            out.array(0);
            return Ok(());
        }
    };
    // Small hashes are packed (positional access is a scan): index them once.
    let small = if h.encoding() == "listpack" {
        h.pairs()
    } else {
        Vec::new()
    };
    let at = |i: usize| match small.get(i) {
        Some(p) => Some(*p),
        None => h.nth(i),
    };
    let len = h.len();
    if count < 0 {
        let n = count.unsigned_abs() as usize;
        let picks = (0..n).filter_map(|_| at(rng.gen_range(0..len)));
        write_items(out, n, with_values, picks);
    } else if count as u64 >= len as u64 {
        write_items(out, len, with_values, h.iter());
    } else {
        let n = count as usize;
        let idx = rand::seq::index::sample(&mut rng, len, n);
        write_items(out, n, with_values, idx.into_iter().filter_map(at));
    }
    Ok(())
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]` (NOVALUES came with
/// Redis 7.4; 7.0 calls it a syntax error).
pub fn hscan(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let cursor = parse_cursor(args.get(2)?)?;
    let Some(h) = read(ks, args.get(1)?)? else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let o = ScanOpts::parse(args.rest(3))?;
    let mut found: Vec<(&[u8], &[u8])> = Vec::new();
    let next = h.scan(cursor, o.count, |f, v| {
        if o.matches(f) {
            found.push((f, v));
        }
    });
    scan_header(out, next, found.len() * 2);
    for (f, v) in found {
        out.bulk(f);
        out.bulk(v);
    }
    Ok(())
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

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn hset_counts_new_fields_and_hget_reads_them() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "HSET h a 1 b 2"), ":2\r\n");
        assert_eq!(run(&mut ks, "hset h a 3 c 4"), ":1\r\n");
        assert_eq!(run(&mut ks, "HGET h a"), "$1\r\n3\r\n");
        assert_eq!(run(&mut ks, "HGET h zz"), "$-1\r\n");
        assert_eq!(run(&mut ks, "HGET nokey a"), "$-1\r\n");
        assert_eq!(run3(&mut ks, "HGET h zz"), "_\r\n");
        assert_eq!(run(&mut ks, "HMSET h d 5"), "+OK\r\n");
        assert_eq!(run(&mut ks, "HLEN h"), ":4\r\n");
        assert_eq!(run(&mut ks, "HLEN nokey"), ":0\r\n");
    }

    #[test]
    fn wrong_arity_is_refused() {
        let mut ks = Keyspace::new();
        for (cmd, name) in [
            ("HSET h a", "hset"),
            ("HSET h a 1 b", "hset"),
            ("HMSET h a", "hmset"),
            ("HSETNX h a", "hsetnx"),
            ("HGET h", "hget"),
            ("HMGET h", "hmget"),
            ("HDEL h", "hdel"),
            ("HLEN", "hlen"),
            ("HSTRLEN h", "hstrlen"),
            ("HEXISTS h", "hexists"),
            ("HKEYS h x", "hkeys"),
            ("HVALS", "hvals"),
            ("HGETALL", "hgetall"),
            ("HINCRBY h a", "hincrby"),
            ("HINCRBYFLOAT h a", "hincrbyfloat"),
            ("HRANDFIELD", "hrandfield"),
            ("HSCAN h", "hscan"),
        ] {
            let want = format!("-ERR wrong number of arguments for '{name}' command\r\n");
            assert_eq!(run(&mut ks, cmd), want, "{cmd}");
        }
    }

    #[test]
    fn hrandfield_with_more_than_withvalues_is_a_syntax_error() {
        // Redis checks the count first, then refuses anything but one
        // WITHVALUES with its syntax error (the table allows any count).
        let mut ks = Keyspace::new();
        run(&mut ks, "HSET h a 1");
        let syntax = "-ERR syntax error\r\n";
        assert_eq!(run(&mut ks, "HRANDFIELD h 1 withvalues x"), syntax);
        assert_eq!(run(&mut ks, "HRANDFIELD h 1 x"), syntax);
        assert_eq!(
            run(&mut ks, "HRANDFIELD h x withvalues x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut ks, "HRANDFIELD h 1 WITHVALUES"),
            "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
    }

    #[test]
    fn every_command_refuses_a_string_key() {
        let mut ks = Keyspace::new();
        run(&mut ks, "SET s x");
        for cmd in [
            "HSET s a 1",
            "HMSET s a 1",
            "HSETNX s a 1",
            "HGET s a",
            "HMGET s a",
            "HDEL s a",
            "HLEN s",
            "HSTRLEN s a",
            "HEXISTS s a",
            "HKEYS s",
            "HVALS s",
            "HGETALL s",
            "HINCRBY s a 1",
            "HINCRBYFLOAT s a 1",
            "HRANDFIELD s",
            "HRANDFIELD s 2",
            "HSCAN s 0",
        ] {
            assert_eq!(run(&mut ks, cmd), WRONGTYPE, "{cmd}");
        }
    }

    #[test]
    fn hdel_removes_the_key_when_the_hash_empties() {
        let mut ks = Keyspace::new();
        run(&mut ks, "HSET h a 1 b 2");
        assert_eq!(run(&mut ks, "HDEL h a zz a"), ":1\r\n");
        assert_eq!(run(&mut ks, "HDEL h b"), ":1\r\n");
        assert!(!ks.exists(b"h"));
        assert_eq!(run(&mut ks, "HDEL h b"), ":0\r\n");
    }

    #[test]
    fn hsetnx_hmget_hstrlen_hexists() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "HSETNX h a hello"), ":1\r\n");
        assert_eq!(run(&mut ks, "HSETNX h a other"), ":0\r\n");
        assert_eq!(run(&mut ks, "HMGET h a zz"), "*2\r\n$5\r\nhello\r\n$-1\r\n");
        assert_eq!(run(&mut ks, "HMGET nokey a"), "*1\r\n$-1\r\n");
        assert_eq!(run(&mut ks, "HSTRLEN h a"), ":5\r\n");
        assert_eq!(run(&mut ks, "HSTRLEN h zz"), ":0\r\n");
        assert_eq!(run(&mut ks, "HEXISTS h a"), ":1\r\n");
        assert_eq!(run(&mut ks, "HEXISTS h zz"), ":0\r\n");
        assert_eq!(run3(&mut ks, "HEXISTS h a"), ":1\r\n");
    }

    #[test]
    fn hkeys_hvals_hgetall_in_both_protocols() {
        let mut ks = Keyspace::new();
        run(&mut ks, "HSET h a 1 b 2");
        assert_eq!(run(&mut ks, "HKEYS h"), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
        assert_eq!(run(&mut ks, "HVALS h"), "*2\r\n$1\r\n1\r\n$1\r\n2\r\n");
        assert_eq!(
            run(&mut ks, "HGETALL h"),
            "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(
            run3(&mut ks, "HGETALL h"),
            "%2\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
        );
        assert_eq!(run(&mut ks, "HGETALL nokey"), "*0\r\n");
        assert_eq!(run3(&mut ks, "HGETALL nokey"), "%0\r\n");
        assert_eq!(run3(&mut ks, "HKEYS nokey"), "*0\r\n");
    }

    #[test]
    fn hincrby_adds_and_reports_redis_errors() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "HINCRBY h n 5"), ":5\r\n");
        assert_eq!(run(&mut ks, "HINCRBY h n -7"), ":-2\r\n");
        assert_eq!(run(&mut ks, "HGET h n"), "$2\r\n-2\r\n");
        assert_eq!(
            run(&mut ks, "HINCRBY h n x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        run(&mut ks, "HSET h s abc big 9223372036854775807 sp 1.0");
        for f in ["s", "sp"] {
            assert_eq!(
                run(&mut ks, &format!("HINCRBY h {f} 1")),
                "-ERR hash value is not an integer\r\n"
            );
        }
        assert_eq!(
            run(&mut ks, "HINCRBY h big 1"),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(run(&mut ks, "HINCRBY nokey n x").len(), 46);
        assert!(!ks.exists(b"nokey"));
    }

    #[test]
    fn hincrbyfloat_adds_and_reports_redis_errors() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "HINCRBYFLOAT h x 10.5"), "$4\r\n10.5\r\n");
        assert_eq!(run(&mut ks, "HINCRBYFLOAT h x 0.1"), "$4\r\n10.6\r\n");
        assert_eq!(run3(&mut ks, "HINCRBYFLOAT h x -0.6"), "$2\r\n10\r\n");
        assert_eq!(
            run(&mut ks, "HINCRBYFLOAT h x abc"),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(
            run(&mut ks, "HINCRBYFLOAT h x inf"),
            "-ERR value is NaN or Infinity\r\n"
        );
        // Sums are `long double`s printed with `%.17Lf`, as in Redis.
        assert!(run(&mut ks, "HINCRBYFLOAT big x 1e308")
            .starts_with("$308\r\n99999999999999999996685879"));
        assert_eq!(run(&mut ks, "HINCRBYFLOAT h y 0.1"), "$3\r\n0.1\r\n");
        assert_eq!(run(&mut ks, "HINCRBYFLOAT h y 0.2"), "$3\r\n0.3\r\n");
        run(&mut ks, "HSET h s abc i inf");
        assert_eq!(
            run(&mut ks, "HINCRBYFLOAT h s 1"),
            "-ERR hash value is not a float\r\n"
        );
        assert_eq!(
            run(&mut ks, "HINCRBYFLOAT h i 1"),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
    }

    fn fill(ks: &mut Keyspace, n: usize) {
        for i in 0..n {
            run(ks, &format!("HSET h f{i} v{i}"));
        }
    }

    #[test]
    fn hrandfield_counts_follow_redis() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "HRANDFIELD nokey"), "$-1\r\n");
        assert_eq!(run(&mut ks, "HRANDFIELD nokey 3"), "*0\r\n");
        run(&mut ks, "HSET h a 1");
        assert_eq!(run(&mut ks, "HRANDFIELD h"), "$1\r\na\r\n");
        assert_eq!(run(&mut ks, "HRANDFIELD h 0"), "*0\r\n");
        assert_eq!(
            run(&mut ks, "HRANDFIELD h -3"),
            "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"
        );
        assert_eq!(
            run(&mut ks, "HRANDFIELD h 5 WITHVALUES"),
            "*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(
            run3(&mut ks, "HRANDFIELD h -2 withvalues"),
            "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        assert_eq!(run(&mut ks, "HRANDFIELD h 1 x"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut ks, "HRANDFIELD h x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert!(run(&mut ks, "HRANDFIELD h -9223372036854775808").contains("must between"));
        assert_eq!(
            run(&mut ks, "HRANDFIELD h -4611686018427387904 withvalues"),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            run(&mut ks, "HRANDFIELD h -4611686018427387903"),
            "-ERR value is out of range\r\n"
        );
    }

    #[test]
    fn hrandfield_positive_count_is_distinct_on_both_encodings() {
        for n in [20, 300] {
            let mut ks = Keyspace::new();
            fill(&mut ks, n);
            let reply = run(&mut ks, "HRANDFIELD h 10");
            let fields: Vec<&str> = reply.split("\r\n").filter(|l| l.starts_with('f')).collect();
            let distinct: std::collections::HashSet<_> = fields.iter().collect();
            assert_eq!((fields.len(), distinct.len()), (10, 10));
            let reply = run(&mut ks, "HRANDFIELD h -50");
            assert_eq!(reply.matches("$").count(), 50);
        }
    }

    fn scan_all(ks: &mut Keyspace, extra: &str) -> (Vec<String>, usize) {
        let mut cursor = "0".to_string();
        let mut items = Vec::new();
        let mut calls = 0;
        loop {
            let reply = run(ks, &format!("HSCAN h {cursor}{extra}"));
            let lines: Vec<&str> = reply.split("\r\n").collect();
            cursor = lines[2].to_string();
            items.extend(
                lines[4..]
                    .iter()
                    .filter(|l| !l.starts_with('$') && !l.is_empty())
                    .map(|l| l.to_string()),
            );
            calls += 1;
            if cursor == "0" {
                return (items, calls);
            }
        }
    }

    #[test]
    fn hscan_returns_small_hashes_at_once_and_pages_big_ones() {
        let mut ks = Keyspace::new();
        fill(&mut ks, 5);
        let (items, calls) = scan_all(&mut ks, " COUNT 1");
        assert_eq!((items.len(), calls), (10, 1));
        fill(&mut ks, 600);
        let (items, calls) = scan_all(&mut ks, "");
        assert_eq!(items.len(), 1200);
        assert!(calls >= 60);
        let (items, _) = scan_all(&mut ks, " MATCH f1[0-4] COUNT 50");
        let mut items = items;
        items.sort();
        assert_eq!(
            items,
            ["f10", "f11", "f12", "f13", "f14", "v10", "v11", "v12", "v13", "v14"]
        );
    }

    #[test]
    fn hscan_rejects_bad_cursors_and_options() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "HSCAN nokey 0"), "*2\r\n$1\r\n0\r\n*0\r\n");
        run(&mut ks, "HSET h a 1");
        assert_eq!(run(&mut ks, "HSCAN h x"), "-ERR invalid cursor\r\n");
        assert_eq!(
            run(&mut ks, "HSCAN h 18446744073709551616"),
            "-ERR invalid cursor\r\n"
        );
        assert_eq!(run(&mut ks, "HSCAN h 0 COUNT 0"), "-ERR syntax error\r\n");
        assert_eq!(run(&mut ks, "HSCAN h 0 MATCH"), "-ERR syntax error\r\n");
        assert_eq!(
            run(&mut ks, "HSCAN h 0 COUNT x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(run(&mut ks, "HSCAN h 0 NOVALUES"), "-ERR syntax error\r\n");
    }
}
