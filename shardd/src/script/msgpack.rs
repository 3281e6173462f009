//! The `cmsgpack` library Redis loads into Lua (lua-cmsgpack's behaviour):
//! `pack(...)`, `unpack(s)`, `unpack_one(s, offset)`, `unpack_limit(s,
//! limit, offset)`.
//!
//! Packing: nil, booleans; numbers that are whole int64 values as the
//! smallest integer form, others as a float32 when that is exact, else a
//! float64; strings as str8/16/32 (fixstr under 32 bytes); a table whose
//! keys are exactly 1..n as an array, any other as a map (in `next`
//! order); tables nested 16 deep are packed as nil (so a table holding
//! itself ends). Unpacking reads every MessagePack type but the
//! extensions, integers and floats as Lua numbers, binary as strings.

use mlua::{Lua, LuaString, MultiValue, Table, Value, Variadic};

/// Tables nested deeper than this pack as nil (lua-cmsgpack's
/// `LUACMSGPACK_MAX_NESTING`).
const PACK_NESTING_MAX: usize = 16;
/// Deepest nesting unpacked (bounded recursion on hostile input).
const UNPACK_NESTING_MAX: usize = 1000;

/// The `cmsgpack` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, args: Variadic<Value>| {
            if args.is_empty() {
                return Err(mlua::Error::runtime("MessagePack pack needs input."));
            }
            let mut out = Vec::new();
            for v in args.iter() {
                pack(v, &mut out, 0)?;
            }
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(|lua, s: LuaString| {
            let (_, values) = unpack_full(lua, &s.as_bytes(), 0, 0)?;
            Ok(MultiValue::from_vec(values))
        })?,
    )?;
    t.raw_set(
        "unpack_one",
        lua.create_function(|lua, (s, offset): (LuaString, Option<i64>)| {
            let (next, mut values) = unpack_full(lua, &s.as_bytes(), 1, offset.unwrap_or(0))?;
            values.insert(0, Value::Number(next as f64));
            Ok(MultiValue::from_vec(values))
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        lua.create_function(
            |lua, (s, limit, offset): (LuaString, Option<i64>, Option<i64>)| {
                let limit = limit.unwrap_or(0).max(0) as usize;
                let (next, mut values) =
                    unpack_full(lua, &s.as_bytes(), limit, offset.unwrap_or(0))?;
                values.insert(0, Value::Number(next as f64));
                Ok(MultiValue::from_vec(values))
            },
        )?,
    )?;
    Ok(t)
}

fn number(n: f64, out: &mut Vec<u8>) {
    if n.is_finite()
        && (n as i64) as f64 == n
        && n >= i64::MIN as f64
        && n < 9.223_372_036_854_776e18
    {
        integer(n as i64, out);
    } else if (n as f32) as f64 == n || n.is_nan() {
        out.push(0xca);
        out.extend_from_slice(&(n as f32).to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn integer(n: i64, out: &mut Vec<u8>) {
    if n >= 0 {
        let u = n as u64;
        if u <= 127 {
            out.push(u as u8);
        } else if u <= 0xff {
            out.extend_from_slice(&[0xcc, u as u8]);
        } else if u <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(u as u16).to_be_bytes());
        } else if u <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(u as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&u.to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn header(len: usize, fix: u8, fix_max: usize, w16: u8, w32: u8, out: &mut Vec<u8>) {
    if len <= fix_max {
        out.push(fix | len as u8);
    } else if len <= 0xffff {
        out.push(w16);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(w32);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    let len = b.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(b);
}

fn pack(v: &Value, out: &mut Vec<u8>, level: usize) -> mlua::Result<()> {
    match v {
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(n) => integer(*n, out),
        Value::Number(n) => number(*n, out),
        Value::String(s) => bytes(&s.as_bytes(), out),
        Value::Table(t) if level < PACK_NESTING_MAX => {
            // Pairs are read one at a time (a Lua value held in Rust takes
            // a slot of Lua's stack): a first pass counts and checks.
            let (mut count, mut max, mut array) = (0usize, 0usize, true);
            t.for_each::<Value, Value>(|k, _| {
                count += 1;
                let n = match k {
                    Value::Integer(n) => n as f64,
                    Value::Number(n) => n,
                    _ => f64::NAN,
                };
                if n > 0.0 && n.fract() == 0.0 && n <= i32::MAX as f64 {
                    max = max.max(n as usize);
                } else {
                    array = false;
                }
                Ok(())
            })?;
            if array && max == count {
                header(max, 0x90, 15, 0xdc, 0xdd, out);
                for i in 1..=max {
                    let item: Value = t.raw_get(i)?;
                    pack(&item, out, level + 1)?;
                }
            } else {
                header(count, 0x80, 15, 0xde, 0xdf, out);
                t.for_each::<Value, Value>(|k, item| {
                    pack(&k, out, level + 1)?;
                    pack(&item, out, level + 1)
                })?;
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

/// Decodes up to `limit` objects (0: all) from byte `offset`; the offset
/// of the next object (-1 at the end) and the objects.
fn unpack_full(lua: &Lua, s: &[u8], limit: usize, offset: i64) -> mlua::Result<(i64, Vec<Value>)> {
    if offset < 0 || limit > i32::MAX as usize {
        return Err(mlua::Error::runtime(
            "Invalid request to unpack with offset of",
        ));
    }
    let mut at = offset as usize;
    if at > s.len() {
        return Err(mlua::Error::runtime(
            "Start offset greater than input length",
        ));
    }
    let mut values = Vec::new();
    while at < s.len() && (limit == 0 || values.len() < limit) {
        let mut r = Reader { s, at };
        values.push(r.value(lua, 0)?);
        at = r.at;
    }
    let next = if at >= s.len() { -1 } else { at as i64 };
    Ok((next, values))
}

struct Reader<'a> {
    s: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> mlua::Result<&[u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.s.len());
        let Some(end) = end else {
            return Err(mlua::Error::runtime("Missing bytes in input."));
        };
        let b = &self.s[self.at..end];
        self.at = end;
        Ok(b)
    }

    fn be(&mut self, n: usize) -> mlua::Result<u64> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn value(&mut self, lua: &Lua, depth: usize) -> mlua::Result<Value> {
        if depth > UNPACK_NESTING_MAX {
            return Err(mlua::Error::runtime("Bad data format in input."));
        }
        let tag = self.take(1)?[0];
        let num = |n: f64| Value::Number(n);
        Ok(match tag {
            0x00..=0x7f => num(f64::from(tag)),
            0xe0..=0xff => num(f64::from(tag as i8)),
            0x80..=0x8f => self.map(lua, usize::from(tag & 0x0f), depth)?,
            0x90..=0x9f => self.array(lua, usize::from(tag & 0x0f), depth)?,
            0xa0..=0xbf => self.string(lua, usize::from(tag & 0x1f))?,
            0xc0 => Value::Nil,
            0xc2 => Value::Boolean(false),
            0xc3 => Value::Boolean(true),
            0xc4 | 0xd9 => {
                let n = self.be(1)? as usize;
                self.string(lua, n)?
            }
            0xc5 | 0xda => {
                let n = self.be(2)? as usize;
                self.string(lua, n)?
            }
            0xc6 | 0xdb => {
                let n = self.be(4)? as usize;
                self.string(lua, n)?
            }
            0xca => num(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => num(f64::from_bits(self.be(8)?)),
            0xcc => num(self.be(1)? as f64),
            0xcd => num(self.be(2)? as f64),
            0xce => num(self.be(4)? as f64),
            0xcf => num(self.be(8)? as f64),
            0xd0 => num(f64::from(self.be(1)? as u8 as i8)),
            0xd1 => num(f64::from(self.be(2)? as u16 as i16)),
            0xd2 => num(f64::from(self.be(4)? as u32 as i32)),
            0xd3 => num(self.be(8)? as i64 as f64),
            0xdc => {
                let n = self.be(2)? as usize;
                self.array(lua, n, depth)?
            }
            0xdd => {
                let n = self.be(4)? as usize;
                self.array(lua, n, depth)?
            }
            0xde => {
                let n = self.be(2)? as usize;
                self.map(lua, n, depth)?
            }
            0xdf => {
                let n = self.be(4)? as usize;
                self.map(lua, n, depth)?
            }
            _ => return Err(mlua::Error::runtime("Bad data format in input.")),
        })
    }

    fn string(&mut self, lua: &Lua, n: usize) -> mlua::Result<Value> {
        let b = self.take(n)?;
        Ok(Value::String(lua.create_string(b)?))
    }

    fn array(&mut self, lua: &Lua, n: usize, depth: usize) -> mlua::Result<Value> {
        // Each element takes at least one byte: a count past the input is
        // refused before any table is sized by it.
        if n > self.s.len() - self.at {
            return Err(mlua::Error::runtime("Missing bytes in input."));
        }
        let t = lua.create_table_with_capacity(n, 0)?;
        for i in 1..=n {
            let v = self.value(lua, depth + 1)?;
            t.raw_set(i, v)?;
        }
        Ok(Value::Table(t))
    }

    fn map(&mut self, lua: &Lua, n: usize, depth: usize) -> mlua::Result<Value> {
        if n > (self.s.len() - self.at) / 2 {
            return Err(mlua::Error::runtime("Missing bytes in input."));
        }
        let t = lua.create_table_with_capacity(0, n)?;
        for _ in 0..n {
            let k = self.value(lua, depth + 1)?;
            let v = self.value(lua, depth + 1)?;
            if !matches!(k, Value::Nil) {
                t.raw_set(k, v)?;
            }
        }
        Ok(Value::Table(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(lua: &Lua, code: &str) -> String {
        let s: LuaString = lua.load(code).eval().expect("eval");
        s.as_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn numbers_pack_as_lua_cmsgpack_does() {
        let lua = Lua::new();
        lua.globals()
            .raw_set("cmsgpack", table(&lua).expect("table"))
            .expect("set");
        assert_eq!(hex(&lua, "return cmsgpack.pack(0.1)"), "cb3fb999999999999a");
        assert_eq!(
            hex(&lua, "return cmsgpack.pack(-1099511627776)"),
            "d3ffffff0000000000"
        );
        assert_eq!(hex(&lua, "return cmsgpack.pack(1.5)"), "ca3fc00000");
        assert_eq!(
            hex(&lua, "return cmsgpack.pack(300, -5, 'ab', true, nil)"),
            "cd012cfba26162c3c0"
        );
        assert_eq!(hex(&lua, "return cmsgpack.pack({1, 2}, {})"), "92010290");
    }

    #[test]
    fn what_is_packed_unpacks_the_same() {
        let lua = Lua::new();
        lua.globals()
            .raw_set("cmsgpack", table(&lua).expect("table"))
            .expect("set");
        let ok: bool = lua
            .load(
                "local t = {a = 1, b = {1, 2, 3}, c = 'x', d = -70000, e = 2^40, f = 0.25} \
                 local u = cmsgpack.unpack(cmsgpack.pack(t)) \
                 return u.a == 1 and u.b[3] == 3 and u.c == 'x' and u.d == -70000 and u.e == 2^40 and u.f == 0.25",
            )
            .eval()
            .expect("eval");
        assert!(ok);
        let bad = lua
            .load("return cmsgpack.unpack('\\220\\255\\255')")
            .eval::<Value>();
        assert!(bad.is_err(), "a count past the input is refused");
    }
}
