//! The libraries Redis loads into its Lua besides Lua's own: `bit`
//! (LuaBitOp's functions on 32-bit integers), `cjson` (encode, decode,
//! `null` and its settings), `cmsgpack` (`super::msgpack`), `struct`
//! (`super::structlib`), and Redis's
//! `math.random`/`math.randomseed` (the 48-bit generator of `rand.c`, so
//! a seed gives Redis's sequence). Written here from the libraries'
//! documented behaviour.

use std::{cell::Cell, rc::Rc};

use mlua::{Lua, Table, Value, Variadic};

use super::convert::{format_g, lua_number_text};

/// Registers `bit`, `cjson` and Redis's `math.random` in `lua`'s globals.
pub fn register(lua: &Lua) -> mlua::Result<()> {
    let g = lua.globals();
    g.raw_set("bit", bit(lua)?)?;
    g.raw_set("cjson", cjson(lua)?)?;
    g.raw_set("cmsgpack", super::msgpack::table(lua)?)?;
    g.raw_set("struct", super::structlib::table(lua)?)?;
    let math: Table = g.raw_get("math")?;
    let state = Rc::new(Cell::new(LRAND48_SEED));
    let s = state.clone();
    math.raw_set(
        "random",
        lua.create_function(move |_, args: Variadic<f64>| random(&s, &args))?,
    )?;
    math.raw_set(
        "randomseed",
        lua.create_function(move |_, seed: f64| {
            state.set(seed_state(seed as i64 as i32));
            Ok(())
        })?,
    )?;
    Ok(())
}

// ---- math.random -------------------------------------------------------

/// `rand.c`'s starting state: X2 X1 X0 = 0x1234 0xABCD 0x330E.
const LRAND48_SEED: u64 = 0x1234_ABCD_330E;
const LRAND48_MAX: i64 = i32::MAX as i64;

fn seed_state(seed: i32) -> u64 {
    ((seed as u32 as u64) << 16) | 0x330E
}

fn lrand48(state: &Cell<u64>) -> i64 {
    let x = state.get().wrapping_mul(0x5_DEEC_E66D).wrapping_add(0xB) & ((1 << 48) - 1);
    state.set(x);
    (x >> 17) as i64
}

fn random(state: &Cell<u64>, args: &[f64]) -> mlua::Result<f64> {
    let r = (lrand48(state) % LRAND48_MAX) as f64 / LRAND48_MAX as f64;
    match *args {
        [] => Ok(r),
        [u] => {
            let u = u as i64;
            if u < 1 {
                return Err(mlua::Error::runtime(
                    "bad argument #1 to 'random' (interval is empty)",
                ));
            }
            Ok((r * u as f64).floor() + 1.0)
        }
        [l, u] => {
            let (l, u) = (l as i64, u as i64);
            if l > u {
                return Err(mlua::Error::runtime(
                    "bad argument #2 to 'random' (interval is empty)",
                ));
            }
            Ok((r * (u - l + 1) as f64).floor() + l as f64)
        }
        _ => Err(mlua::Error::runtime("wrong number of arguments")),
    }
}

// ---- bit -----------------------------------------------------------------

/// A Lua number as LuaBitOp reads it: modulo 2^32, as a signed 32-bit value.
fn tobit(n: f64) -> i32 {
    let n = n.trunc();
    if !n.is_finite() {
        return 0;
    }
    (n.rem_euclid(4_294_967_296.0) as u64 as u32) as i32
}

fn bit(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("tobit", lua.create_function(|_, n: f64| Ok(tobit(n)))?)?;
    t.raw_set("bnot", lua.create_function(|_, n: f64| Ok(!tobit(n)))?)?;
    let fold = |lua: &Lua, f: fn(i32, i32) -> i32| {
        lua.create_function(move |_, args: Variadic<f64>| {
            let mut it = args.iter();
            let first = it.next().ok_or_else(|| {
                mlua::Error::runtime("bad argument #1 (number expected, got no value)")
            })?;
            Ok(it.fold(tobit(*first), |acc, &n| f(acc, tobit(n))))
        })
    };
    t.raw_set("band", fold(lua, |a, b| a & b)?)?;
    t.raw_set("bor", fold(lua, |a, b| a | b)?)?;
    t.raw_set("bxor", fold(lua, |a, b| a ^ b)?)?;
    let shift = |lua: &Lua, f: fn(i32, u32) -> i32| {
        lua.create_function(move |_, (n, s): (f64, f64)| Ok(f(tobit(n), (tobit(s) & 31) as u32)))
    };
    t.raw_set("lshift", shift(lua, |a, s| ((a as u32) << s) as i32)?)?;
    t.raw_set("rshift", shift(lua, |a, s| ((a as u32) >> s) as i32)?)?;
    t.raw_set("arshift", shift(lua, |a, s| a >> s)?)?;
    t.raw_set("rol", shift(lua, |a, s| (a as u32).rotate_left(s) as i32)?)?;
    t.raw_set("ror", shift(lua, |a, s| (a as u32).rotate_right(s) as i32)?)?;
    t.raw_set(
        "bswap",
        lua.create_function(|_, n: f64| Ok((tobit(n) as u32).swap_bytes() as i32))?,
    )?;
    t.raw_set(
        "tohex",
        lua.create_function(|_, (n, digits): (f64, Option<f64>)| {
            let x = tobit(n) as u32;
            let d = digits.map_or(8, tobit);
            let upper = d < 0;
            let d = d.unsigned_abs().min(8) as usize;
            let s = if upper {
                format!("{x:08X}")
            } else {
                format!("{x:08x}")
            };
            Ok(s[8 - d..].to_string())
        })?,
    )?;
    Ok(t)
}

// ---- cjson ---------------------------------------------------------------

/// Deepest nesting `cjson` encodes or decodes by default.
const JSON_DEPTH_MAX: usize = 1000;

/// cjson's settings (kept in the Lua state across scripts, as Redis's
/// are).
#[derive(Clone, Copy)]
struct JsonConfig {
    encode_max_depth: usize,
    decode_max_depth: usize,
    /// 0: refuse NaN and Inf; 1: write them as `nan`/`inf`; 2: as null.
    encode_invalid_numbers: u8,
    number_precision: usize,
    sparse_convert: bool,
    sparse_ratio: usize,
    sparse_safe: usize,
}

impl Default for JsonConfig {
    fn default() -> Self {
        JsonConfig {
            encode_max_depth: JSON_DEPTH_MAX,
            decode_max_depth: JSON_DEPTH_MAX,
            encode_invalid_numbers: 0,
            number_precision: 14,
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
        }
    }
}

type SharedConfig = Rc<Cell<JsonConfig>>;

fn depth_setting(v: Option<f64>, what: &str) -> mlua::Result<Option<usize>> {
    match v {
        None => Ok(None),
        Some(d) if (1.0..=2_147_483_647.0).contains(&d) => Ok(Some(d as usize)),
        Some(_) => Err(mlua::Error::runtime(format!(
            "bad argument #1 to '{what}' (expected integer between 1 and 2147483647)"
        ))),
    }
}

fn cjson(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let cfg: SharedConfig = Rc::default();
    t.raw_set("null", Value::NULL)?;
    let c = cfg.clone();
    t.raw_set(
        "encode_max_depth",
        lua.create_function(move |_, d: Option<f64>| {
            let mut now = c.get();
            if let Some(d) = depth_setting(d, "encode_max_depth")? {
                now.encode_max_depth = d;
                c.set(now);
            }
            Ok(now.encode_max_depth)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode_max_depth",
        lua.create_function(move |_, d: Option<f64>| {
            let mut now = c.get();
            if let Some(d) = depth_setting(d, "decode_max_depth")? {
                now.decode_max_depth = d;
                c.set(now);
            }
            Ok(now.decode_max_depth)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_number_precision",
        lua.create_function(move |_, p: Option<f64>| {
            let mut now = c.get();
            match p {
                None => {}
                Some(p) if (1.0..=14.0).contains(&p) => {
                    now.number_precision = p as usize;
                    c.set(now);
                }
                Some(_) => {
                    return Err(mlua::Error::runtime(
                        "bad argument #1 to 'encode_number_precision' (expected integer between 1 and 14)",
                    ))
                }
            }
            Ok(now.number_precision)
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_invalid_numbers",
        lua.create_function(move |lua, v: Option<Value>| {
            let mut now = c.get();
            match v {
                None => {}
                Some(Value::Boolean(b)) => now.encode_invalid_numbers = u8::from(b),
                Some(Value::String(s)) if s.as_bytes().as_ref() == b"null" => {
                    now.encode_invalid_numbers = 2
                }
                Some(Value::String(s)) if s.as_bytes().as_ref() == b"on" => {
                    now.encode_invalid_numbers = 1
                }
                Some(Value::String(s)) if s.as_bytes().as_ref() == b"off" => {
                    now.encode_invalid_numbers = 0
                }
                Some(_) => {
                    return Err(mlua::Error::runtime(
                        "bad argument #1 to 'encode_invalid_numbers' (invalid option)",
                    ))
                }
            }
            c.set(now);
            Ok(match now.encode_invalid_numbers {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                _ => Value::String(lua.create_string("null")?),
            })
        })?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_sparse_array",
        lua.create_function(
            move |_, (convert, ratio, safe): (Option<bool>, Option<f64>, Option<f64>)| {
                let mut now = c.get();
                if let Some(v) = convert {
                    now.sparse_convert = v;
                }
                if let Some(r) = ratio {
                    now.sparse_ratio = r.max(0.0) as usize;
                }
                if let Some(sf) = safe {
                    now.sparse_safe = sf.max(0.0) as usize;
                }
                c.set(now);
                Ok((now.sparse_convert, now.sparse_ratio, now.sparse_safe))
            },
        )?,
    )?;
    // Whether cjson keeps its buffer between calls changes no output: the
    // setting is taken and answered as cjson does.
    t.raw_set(
        "encode_keep_buffer",
        lua.create_function(|_, keep: Option<bool>| Ok(keep.unwrap_or(true)))?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode",
        lua.create_function(move |lua, v: Value| {
            let mut out = Vec::new();
            encode(&v, &mut out, 0, &c.get())?;
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set(
        "decode",
        lua.create_function(move |lua, s: mlua::LuaString| {
            let bytes = s.as_bytes();
            let mut p = Parser {
                s: &bytes,
                at: 0,
                lua,
                max_depth: cfg.get().decode_max_depth,
            };
            p.ws();
            let v = p.value(0)?;
            p.ws();
            if p.at != p.s.len() {
                return Err(p.fail("the end"));
            }
            Ok(v)
        })?,
    )?;
    Ok(t)
}

fn encode(v: &Value, out: &mut Vec<u8>, depth: usize, cfg: &JsonConfig) -> mlua::Result<()> {
    match v {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::LightUserData(p) if p.0.is_null() => out.extend_from_slice(b"null"),
        Value::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Integer(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Number(n) => {
            if !n.is_finite() {
                match cfg.encode_invalid_numbers {
                    0 => {
                        return Err(mlua::Error::runtime(
                            "Cannot serialise number: must not be NaN or Inf",
                        ))
                    }
                    1 => out.extend_from_slice(format_g(*n, 14).as_bytes()),
                    _ => out.extend_from_slice(b"null"),
                }
                return Ok(());
            }
            out.extend_from_slice(format_g(*n, cfg.number_precision).as_bytes())
        }
        Value::String(s) => quote(&s.as_bytes(), out),
        Value::Table(t) => {
            if depth + 1 > cfg.encode_max_depth {
                return Err(mlua::Error::runtime(format!(
                    "Cannot serialise, excessive nesting ({})",
                    depth + 1
                )));
            }
            // Pairs are read one at a time (a Lua value held in Rust takes
            // a slot of Lua's stack): a first pass counts and checks keys.
            let (mut count, mut max, mut array) = (0usize, 0usize, true);
            t.for_each::<Value, Value>(|k, _| {
                count += 1;
                match k {
                    Value::Integer(n) if n >= 1 => max = max.max(n as usize),
                    Value::Number(n) if n >= 1.0 && n.fract() == 0.0 => max = max.max(n as usize),
                    _ => array = false,
                }
                Ok(())
            })?;
            let sparse =
                cfg.sparse_ratio > 0 && max > cfg.sparse_safe && max > count * cfg.sparse_ratio;
            if sparse && !cfg.sparse_convert && array {
                return Err(mlua::Error::runtime(
                    "Cannot serialise table: excessively sparse array",
                ));
            }
            if array && count > 0 && !sparse {
                out.push(b'[');
                for i in 1..=max {
                    if i > 1 {
                        out.push(b',');
                    }
                    let v: Value = t.raw_get(i)?;
                    encode(&v, out, depth + 1, cfg)?;
                }
                out.push(b']');
            } else {
                out.push(b'{');
                let mut first = true;
                t.for_each::<Value, Value>(|k, v| {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    match k {
                        Value::String(s) => quote(&s.as_bytes(), out),
                        Value::Integer(n) => quote(n.to_string().as_bytes(), out),
                        Value::Number(n) => quote(lua_number_text(n).as_bytes(), out),
                        _ => {
                            return Err(mlua::Error::runtime(
                                "Cannot serialise table: table key must be a number or string",
                            ))
                        }
                    }
                    out.push(b':');
                    encode(&v, out, depth + 1, cfg)
                })?;
                out.push(b'}');
            }
        }
        other => {
            return Err(mlua::Error::runtime(format!(
                "Cannot serialise {}: type not supported",
                other.type_name()
            )))
        }
    }
    Ok(())
}

fn quote(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\u{c:04x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'"');
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
    lua: &'a Lua,
    max_depth: usize,
}

impl Parser<'_> {
    fn fail(&self, what: &str) -> mlua::Error {
        mlua::Error::runtime(format!(
            "Expected {what} but found invalid token at character {}",
            self.at + 1
        ))
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.at) {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> mlua::Result<Value> {
        let nests = matches!(self.s.get(self.at), Some(b'{' | b'['));
        if nests && depth + 1 > self.max_depth {
            return Err(mlua::Error::runtime(format!(
                "Found too many nested data structures ({}) at character {}",
                depth + 1,
                self.at + 1
            )));
        }
        match self.s.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let t = self.lua.create_table()?;
                self.ws();
                if self.s.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Ok(Value::Table(t));
                }
                loop {
                    self.ws();
                    if self.s.get(self.at) != Some(&b'"') {
                        return Err(self.fail("object key string"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if self.s.get(self.at) != Some(&b':') {
                        return Err(self.fail("colon"));
                    }
                    self.at += 1;
                    self.ws();
                    let v = self.value(depth + 1)?;
                    t.raw_set(self.lua.create_string(&k)?, v)?;
                    self.ws();
                    match self.s.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return Err(self.fail("comma or object end")),
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let t = self.lua.create_table()?;
                self.ws();
                if self.s.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Ok(Value::Table(t));
                }
                let mut i = 1;
                loop {
                    self.ws();
                    let v = self.value(depth + 1)?;
                    t.raw_set(i, v)?;
                    i += 1;
                    self.ws();
                    match self.s.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Value::Table(t));
                        }
                        _ => return Err(self.fail("comma or array end")),
                    }
                }
            }
            Some(b'"') => Ok(Value::String(self.lua.create_string(self.string()?)?)),
            Some(b't') if self.s[self.at..].starts_with(b"true") => {
                self.at += 4;
                Ok(Value::Boolean(true))
            }
            Some(b'f') if self.s[self.at..].starts_with(b"false") => {
                self.at += 5;
                Ok(Value::Boolean(false))
            }
            Some(b'n') if self.s[self.at..].starts_with(b"null") => {
                self.at += 4;
                Ok(Value::NULL)
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.s.get(self.at)
                {
                    self.at += 1;
                }
                std::str::from_utf8(&self.s[start..self.at])
                    .ok()
                    .and_then(|t| t.parse::<f64>().ok())
                    .map(Value::Number)
                    .ok_or_else(|| {
                        self.at = start;
                        self.fail("value")
                    })
            }
            _ => Err(self.fail("value")),
        }
    }

    fn string(&mut self) -> mlua::Result<Vec<u8>> {
        self.at += 1;
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.s.get(self.at) else {
                return Err(self.fail("string end"));
            };
            self.at += 1;
            match c {
                b'"' => return Ok(out),
                b'\\' => {
                    let Some(&e) = self.s.get(self.at) else {
                        return Err(self.fail("escape"));
                    };
                    self.at += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp)
                                && self.s.get(self.at..self.at + 2) == Some(b"\\u")
                            {
                                self.at += 2;
                                let lo = self.hex4()?;
                                cp = 0x10000
                                    + ((cp - 0xD800) << 10)
                                    + (lo.wrapping_sub(0xDC00) & 0x3ff);
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{fffd}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => return Err(self.fail("escape")),
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> mlua::Result<u32> {
        let h = self
            .s
            .get(self.at..self.at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .ok_or_else(|| self.fail("unicode escape"))?;
        self.at += 4;
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lua() -> Lua {
        let lua = Lua::new();
        register(&lua).expect("libs");
        lua
    }

    #[test]
    fn bit_matches_luabitop() {
        let lua = lua();
        let v: Vec<i64> = lua
            .load("return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 1), bit.lshift(1, 31), bit.rshift(-1, 28), bit.arshift(-256, 4), bit.bnot(0), bit.tobit(0xffffffff), bit.rol(0x12345678, 8)}")
            .eval()
            .expect("eval");
        assert_eq!(
            v,
            vec![15, 7, 4, i32::MIN as i64, 15, -16, -1, -1, 0x34567812]
        );
        let h: String = lua
            .load("return bit.tohex(255) .. bit.tohex(-1, -4)")
            .eval()
            .expect("eval");
        assert_eq!(h, "000000ffFFFF");
    }

    #[test]
    fn cjson_round_trips() {
        let lua = lua();
        let s: String = lua
            .load(r#"return cjson.encode(cjson.decode('{"a":[1,2,{"b":null}],"c":"x\/y"}').a)"#)
            .eval()
            .expect("eval");
        assert_eq!(s, r#"[1,2,{"b":null}]"#);
        let s: String = lua
            .load(r#"return cjson.encode({1, 'two', true})"#)
            .eval()
            .expect("eval");
        assert_eq!(s, r#"[1,"two",true]"#);
        let bad = lua.load(r#"return cjson.decode('{"a":')"#).eval::<Value>();
        assert!(bad.is_err());
    }

    #[test]
    fn random_follows_redis_sequence_from_a_seed() {
        let lua = lua();
        let a: f64 = lua
            .load("math.randomseed(1) return math.random(1000)")
            .eval()
            .expect("eval");
        let b: f64 = lua
            .load("math.randomseed(1) return math.random(1000)")
            .eval()
            .expect("eval");
        assert_eq!(a, b);
        assert!((1.0..=1000.0).contains(&a));
    }
}
