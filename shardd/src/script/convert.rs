//! Redis 7.0's conversions between Lua values and RESP (`script_lua.c`):
//! a command's reply becomes a Lua value for `redis.call`, and the
//! script's return value becomes the client's reply.
//!
//! Reply to Lua: integer → number; bulk string → string; null bulk and
//! null array → false; status → `{ok=s}`; error → `{err=s}`; array →
//! table. Under `redis.setresp(3)` also: null → nil, boolean → boolean,
//! double → `{double=n}`, map → `{map={k=v}}`, set → `{set={m=true}}`,
//! big number → `{big_number=s}`, verbatim → `{verbatim_string={format=,
//! string=}}`.
//!
//! Lua to reply: string → bulk; number → integer (truncated); boolean →
//! 1 or null (RESP2 scripts) or a boolean (RESP3 scripts); table with
//! `err` → error, `ok` → status, `double`, `big_number`,
//! `verbatim_string`, `map`, `set`; any other table → array up to its
//! first nil; anything else → null.

use common::reply::{Proto, Reply};
use mlua::{Lua, Table, Value};

/// Deepest nesting converted either way; deeper is "reached lua stack
/// limit" (a table that holds itself would otherwise never end).
const DEPTH_MAX: usize = 1000;

/// The error table `{err="CODE msg"}` of a reply error (`-CODE msg`
/// without its dash) or of a message the shard makes: a message with no
/// code gets `ERR`, as Redis's `luaPushErrorBuff`.
pub fn error_table(lua: &Lua, msg: &[u8], has_code: bool) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let text = if has_code {
        match memchr::memchr(b' ', msg) {
            Some(_) => trim(msg).to_vec(),
            None => [b"ERR ".as_slice(), trim(msg)].concat(),
        }
    } else {
        [b"ERR ".as_slice(), trim(msg)].concat()
    };
    t.raw_set("err", lua.create_string(&text)?)?;
    Ok(t)
}

fn trim(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && (b[end - 1] == b'\r' || b[end - 1] == b'\n') {
        end -= 1;
    }
    &b[..end]
}

/// Reads the one reply at the start of `p` into a Lua value. `None` for
/// bytes that are not a whole reply (never from the shard's own commands).
pub fn reply_to_lua(lua: &Lua, p: &[u8]) -> mlua::Result<Option<Value>> {
    Ok(parse(lua, p, 0)?.map(|(v, _)| v))
}

fn line(p: &[u8]) -> Option<(&[u8], usize)> {
    let end = memchr::memchr(b'\n', p)?;
    let body = p.get(1..end.checked_sub(1)?)?;
    Some((body, end + 1))
}

fn number<T: std::str::FromStr>(b: &[u8]) -> Option<T> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn single(lua: &Lua, field: &str, v: impl mlua::IntoLua) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(field, v)?;
    Ok(Value::Table(t))
}

type Parsed = Option<(Value, usize)>;

fn parse(lua: &Lua, p: &[u8], depth: usize) -> mlua::Result<Parsed> {
    let Some(&kind) = p.first() else {
        return Ok(None);
    };
    if depth > DEPTH_MAX {
        return Ok(None);
    }
    let Some((body, at)) = line(p) else {
        return Ok(None);
    };
    let v = match kind {
        b':' => match number::<i64>(body) {
            Some(n) => Value::Number(n as f64),
            None => return Ok(None),
        },
        b'+' => single(lua, "ok", lua.create_string(body)?)?,
        b'-' => {
            // Counted by the command that answered it: not again when the
            // script returns or raises it (Redis's flag of that name).
            let t = error_table(lua, body, true)?;
            t.raw_set("ignore_error_stats_update", true)?;
            Value::Table(t)
        }
        b'_' => Value::Nil,
        b'#' => Value::Boolean(body == b"t"),
        b',' => {
            let d = match body {
                b"inf" => f64::INFINITY,
                b"-inf" => f64::NEG_INFINITY,
                _ => number::<f64>(body).unwrap_or(f64::NAN),
            };
            single(lua, "double", d)?
        }
        b'(' => single(lua, "big_number", lua.create_string(body)?)?,
        b'$' | b'=' => {
            let Some(n) = number::<i64>(body) else {
                return Ok(None);
            };
            if n < 0 {
                return Ok(Some((Value::Boolean(false), at)));
            }
            let n = n as usize;
            let Some(data) = p.get(at..at + n) else {
                return Ok(None);
            };
            let end = at + n + 2;
            if p.len() < end {
                return Ok(None);
            }
            if kind == b'$' {
                return Ok(Some((Value::String(lua.create_string(data)?), end)));
            }
            let (format, text) = if data.len() >= 4 && data[3] == b':' {
                (&data[..3], &data[4..])
            } else {
                (&b"txt"[..], data)
            };
            let inner = lua.create_table()?;
            inner.raw_set("format", lua.create_string(format)?)?;
            inner.raw_set("string", lua.create_string(text)?)?;
            return Ok(Some((single(lua, "verbatim_string", inner)?, end)));
        }
        b'*' | b'~' | b'%' | b'>' | b'|' => {
            let Some(n) = number::<i64>(body) else {
                return Ok(None);
            };
            if n < 0 {
                return Ok(Some((Value::Boolean(false), at)));
            }
            let n = n as usize;
            let mut at = at;
            // Each element is set as it is read: a Lua value held in Rust
            // takes a slot of Lua's stack (8000 in all).
            let next = |at: &mut usize| -> mlua::Result<Option<Value>> {
                Ok(parse(lua, &p[*at..], depth + 1)?.map(|(v, used)| {
                    *at += used;
                    v
                }))
            };
            let room = p.len() / 3;
            match kind {
                b'|' => {
                    // An attribute: dropped, the value that follows is the reply.
                    for _ in 0..n * 2 {
                        if next(&mut at)?.is_none() {
                            return Ok(None);
                        }
                    }
                    return Ok(parse(lua, &p[at..], depth + 1)?.map(|(v, used)| (v, at + used)));
                }
                b'%' => {
                    let t = lua.create_table_with_capacity(0, n.min(room))?;
                    for _ in 0..n {
                        let (Some(k), Some(v)) = (next(&mut at)?, next(&mut at)?) else {
                            return Ok(None);
                        };
                        if !matches!(k, Value::Nil) {
                            t.raw_set(k, v)?;
                        }
                    }
                    return Ok(Some((single(lua, "map", t)?, at)));
                }
                b'~' => {
                    let t = lua.create_table_with_capacity(0, n.min(room))?;
                    for _ in 0..n {
                        let Some(m) = next(&mut at)? else {
                            return Ok(None);
                        };
                        if !matches!(m, Value::Nil) {
                            t.raw_set(m, true)?;
                        }
                    }
                    return Ok(Some((single(lua, "set", t)?, at)));
                }
                _ => {
                    let t = lua.create_table_with_capacity(n.min(room), 0)?;
                    for i in 1..=n {
                        let Some(v) = next(&mut at)? else {
                            return Ok(None);
                        };
                        t.raw_set(i, v)?;
                    }
                    return Ok(Some((Value::Table(t), at)));
                }
            }
        }
        _ => return Ok(None),
    };
    Ok(Some((v, at)))
}

/// The script's return value `v` as the client's reply; `resp3` says
/// whether the script called `redis.setresp(3)` (its booleans are then
/// booleans, else 1 and null).
pub fn lua_to_reply(v: &Value, resp3: bool, reply: &mut Reply) {
    write(v, resp3, reply, 0);
}

fn text(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::String(s) => Some(s.as_bytes().to_vec()),
        Value::Integer(n) => Some(n.to_string().into_bytes()),
        Value::Number(n) => Some(lua_number_text(*n).into_bytes()),
        _ => None,
    }
}

/// A number as Lua's `tostring` writes it (`%.14g`).
pub fn lua_number_text(n: f64) -> String {
    format_g(n, 14)
}

/// `n` as C's `%.{precision}g`.
pub fn format_g(n: f64, precision: usize) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.to_string();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    let p = precision.max(1);
    // The exponent after rounding to p significant digits.
    let sci = format!("{:.*e}", p - 1, n);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let m = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, n)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

fn write(v: &Value, resp3: bool, reply: &mut Reply, depth: usize) {
    if depth > DEPTH_MAX {
        reply.error("ERR reached lua stack limit");
        return;
    }
    match v {
        Value::String(s) => reply.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if resp3 {
                reply.boolean(*b)
            } else if *b {
                reply.int(1)
            } else {
                reply.null()
            }
        }
        Value::Integer(n) => reply.int(*n),
        Value::Number(n) => reply.int(truncate(*n)),
        Value::Table(t) => write_table(t, resp3, reply, depth),
        _ => reply.null(),
    }
}

/// `{ok=s}` as the client's reply: a status line, line breaks as spaces.
pub fn status(s: &[u8], reply: &mut Reply) {
    let s: String = String::from_utf8_lossy(s)
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    reply.simple(&s);
}

/// A Lua number as redis-server's `(long long)` cast gives it on x86-64:
/// truncated toward zero, and NaN or anything past the range (either
/// way) is `i64::MIN`, the conversion instruction's "indefinite" value
/// (found by the differential: a script returning 2^63 answered
/// -9223372036854775808 there).
pub fn truncate(n: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if n.is_nan() || !(-TWO_63..TWO_63).contains(&n) {
        i64::MIN
    } else {
        n as i64
    }
}

fn write_table(t: &Table, resp3: bool, reply: &mut Reply, depth: usize) {
    if let Ok(Value::String(e)) = t.raw_get::<Value>("err") {
        let msg = String::from_utf8_lossy(&e.as_bytes()).into_owned();
        reply.error(&msg);
        return;
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("ok") {
        return status(&s.as_bytes(), reply);
    }
    match t.raw_get::<Value>("double") {
        Ok(Value::Number(d)) => return reply.double(d),
        Ok(Value::Integer(d)) => return reply.double(d as f64),
        _ => {}
    }
    if let Ok(Value::String(s)) = t.raw_get::<Value>("big_number") {
        let s: Vec<u8> = s
            .as_bytes()
            .iter()
            .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c })
            .collect();
        match reply.proto() {
            Proto::Resp2 => reply.bulk(&s),
            Proto::Resp3 => {
                reply.raw(b"(");
                reply.raw(&s);
                reply.raw(b"\r\n");
            }
        }
        return;
    }
    if let Ok(Value::Table(vt)) = t.raw_get::<Value>("verbatim_string") {
        if let (Ok(Value::String(f)), Ok(Value::String(s))) =
            (vt.raw_get::<Value>("format"), vt.raw_get::<Value>("string"))
        {
            let (f, s) = (f.as_bytes(), s.as_bytes());
            match reply.proto() {
                Proto::Resp2 => reply.bulk(&s),
                Proto::Resp3 => {
                    let mut fmt = f.to_vec();
                    fmt.resize(3, b' ');
                    reply.raw(format!("={}\r\n", s.len() + 4).as_bytes());
                    reply.raw(&fmt);
                    reply.raw(b":");
                    reply.raw(&s);
                    reply.raw(b"\r\n");
                }
            }
            return;
        }
    }
    // Pairs and elements are read one at a time (a Lua value held in Rust
    // takes a slot of Lua's stack): a count, then the writing.
    if let Ok(Value::Table(m)) = t.raw_get::<Value>("map") {
        let mut n = 0;
        let _ = m.for_each::<Value, Value>(|_, _| {
            n += 1;
            Ok(())
        });
        reply.map(n);
        let _ = m.for_each::<Value, Value>(|k, v| {
            write(&k, resp3, reply, depth + 1);
            write(&v, resp3, reply, depth + 1);
            Ok(())
        });
        return;
    }
    if let Ok(Value::Table(s)) = t.raw_get::<Value>("set") {
        let mut n = 0;
        let _ = s.for_each::<Value, Value>(|_, _| {
            n += 1;
            Ok(())
        });
        reply.set(n);
        let _ = s.for_each::<Value, Value>(|k, _| {
            write(&k, resp3, reply, depth + 1);
            Ok(())
        });
        return;
    }
    let mut n = 0;
    while !matches!(t.raw_get::<Value>(n + 1), Ok(Value::Nil) | Err(_)) {
        n += 1;
    }
    reply.array(n);
    for i in 1..=n {
        let v = t.raw_get::<Value>(i).unwrap_or(Value::Nil);
        write(&v, resp3, reply, depth + 1);
    }
}

/// The string form Lua's `tostring` gives a string or number (for
/// messages), if it is one.
pub fn as_text(v: &Value) -> Option<Vec<u8>> {
    text(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_integers_as_redis_server_casts_them() {
        assert_eq!(truncate(3.99), 3);
        assert_eq!(truncate(-7.5), -7);
        assert_eq!(
            truncate(9_223_372_036_854_774_784.0),
            9_223_372_036_854_774_784
        );
        assert_eq!(truncate(-9_223_372_036_854_775_808.0), i64::MIN);
        for past in [
            9_223_372_036_854_775_808.0,
            1e300,
            f64::INFINITY,
            -1e300,
            f64::NEG_INFINITY,
            f64::NAN,
        ] {
            assert_eq!(truncate(past), i64::MIN, "{past}");
        }
    }

    #[test]
    fn numbers_format_as_c_does() {
        assert_eq!(format_g(1.0, 17), "1");
        assert_eq!(format_g(0.1, 17), "0.10000000000000001");
        assert_eq!(format_g(3.5, 14), "3.5");
        assert_eq!(format_g(1e20, 17), "1e+20");
        assert_eq!(format_g(1e-5, 14), "1e-05");
        assert_eq!(format_g(123456789012345678.0, 17), "1.2345678901234568e+17");
        assert_eq!(format_g(-2.5, 17), "-2.5");
    }

    fn roundtrip(resp: &[u8], proto: Proto) -> Vec<u8> {
        let lua = Lua::new();
        let v = reply_to_lua(&lua, resp)
            .expect("lua")
            .expect("a whole reply");
        let mut out = Vec::new();
        lua_to_reply(&v, proto == Proto::Resp3, &mut Reply::new(&mut out, proto));
        out
    }

    #[test]
    fn replies_come_back_as_redis_converts_them() {
        assert_eq!(roundtrip(b":5\r\n", Proto::Resp2), b":5\r\n");
        assert_eq!(roundtrip(b"$3\r\nabc\r\n", Proto::Resp2), b"$3\r\nabc\r\n");
        // A null bulk string is false, which a RESP2 script returns as null.
        assert_eq!(roundtrip(b"$-1\r\n", Proto::Resp2), b"$-1\r\n");
        assert_eq!(roundtrip(b"+OK\r\n", Proto::Resp2), b"+OK\r\n");
        assert_eq!(
            roundtrip(b"-WRONGTYPE bad\r\n", Proto::Resp2),
            b"-WRONGTYPE bad\r\n"
        );
        assert_eq!(
            roundtrip(b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n", Proto::Resp2),
            b"*3\r\n:1\r\n$1\r\na\r\n*1\r\n:2\r\n"
        );
        // An array stops at its first nil (false is not nil).
        assert_eq!(
            roundtrip(b"*2\r\n$-1\r\n:1\r\n", Proto::Resp2),
            b"*2\r\n$-1\r\n:1\r\n"
        );
        assert_eq!(roundtrip(b"%1\r\n+a\r\n:1\r\n", Proto::Resp3).len(), 12);
        assert_eq!(roundtrip(b",1.5\r\n", Proto::Resp3), b",1.5\r\n");
        assert_eq!(roundtrip(b"#t\r\n", Proto::Resp3), b"#t\r\n");
    }

    #[test]
    fn replies_and_tables_bigger_than_lua_stack_convert() {
        let lua = Lua::new();
        let mut resp = b"*20000\r\n".to_vec();
        for _ in 0..20_000 {
            resp.extend_from_slice(b"$1\r\nx\r\n");
        }
        let out = roundtrip(&resp, Proto::Resp2);
        assert_eq!(out, resp);
        let t: Table = lua
            .load("local t = {} for i = 1, 20000 do t['k' .. i] = i end return {map = t}")
            .eval()
            .expect("eval");
        let mut out = Vec::new();
        lua_to_reply(
            &Value::Table(t),
            true,
            &mut Reply::new(&mut out, Proto::Resp3),
        );
        assert!(out.starts_with(b"%20000\r\n"));
    }

    #[test]
    fn a_table_holding_itself_ends_in_an_error() {
        let lua = Lua::new();
        let t: Table = lua
            .load("local t = {} t[1] = t return t")
            .eval()
            .expect("eval");
        let mut out = Vec::new();
        lua_to_reply(
            &Value::Table(t),
            false,
            &mut Reply::new(&mut out, Proto::Resp2),
        );
        assert!(out.ends_with(b"-ERR reached lua stack limit\r\n"));
    }
}
