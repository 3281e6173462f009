//! The `struct` library Redis loads into Lua (Roberto Ierusalimschy's
//! struct.c behaviour): `pack(fmt, ...)`, `unpack(fmt, s [, pos])` (the
//! values, then the position after them) and `size(fmt)`.
//!
//! Formats: `>` big endian, `<` and `=` little endian (this machine's),
//! `![n]` alignment (none by default), `x` a zero byte, `b`/`B` char,
//! `h`/`H` short, `l`/`L` long and `T` size_t (8 bytes), `i`/`I[n]` an
//! integer of n bytes (4 by default, at most 32), `f` float, `d` double,
//! `s` a zero-terminated string, `c[n]` n bytes (`c0`: as long as the
//! string when packing; the number unpacked just before when unpacking),
//! spaces ignored; lowercase integers are signed.

use mlua::{Lua, LuaString, MultiValue, Table, Value, Variadic};

/// Largest integer size `i`/`I` take.
const INT_SIZE_MAX: usize = 32;
/// The alignment `!` sets without a number (a double's).
const NATIVE_ALIGN: usize = 8;

/// The `struct` table.
pub fn table(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        lua.create_function(|lua, (fmt, args): (LuaString, Variadic<Value>)| {
            let out = pack(&fmt.as_bytes(), &args)?;
            lua.create_string(&out)
        })?,
    )?;
    t.raw_set(
        "unpack",
        lua.create_function(
            |lua, (fmt, data, pos): (LuaString, LuaString, Option<f64>)| {
                unpack(lua, &fmt.as_bytes(), &data.as_bytes(), pos.unwrap_or(1.0))
            },
        )?,
    )?;
    t.raw_set(
        "size",
        lua.create_function(|_, fmt: LuaString| size(&fmt.as_bytes()))?,
    )?;
    Ok(t)
}

fn err(msg: &str) -> mlua::Error {
    mlua::Error::runtime(msg.to_string())
}

/// Reads one option: its letter and size; `None` at the end.
struct Format<'a> {
    f: &'a [u8],
    at: usize,
    little: bool,
    align: usize,
}

impl<'a> Format<'a> {
    fn new(f: &'a [u8]) -> Format<'a> {
        Format {
            f,
            at: 0,
            little: true,
            align: 1,
        }
    }

    fn number(&mut self, default: usize) -> mlua::Result<usize> {
        let start = self.at;
        let mut n: usize = 0;
        while let Some(d) = self.f.get(self.at).filter(|c| c.is_ascii_digit()) {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(usize::from(d - b'0')))
                .filter(|&n| n <= i32::MAX as usize)
                .ok_or_else(|| err("integral size overflow"))?;
            self.at += 1;
        }
        Ok(if self.at == start { default } else { n })
    }

    /// The next option that packs or unpacks something, with its size,
    /// after applying the ones that only set endianness or alignment.
    fn next(&mut self) -> mlua::Result<Option<(u8, usize)>> {
        loop {
            let Some(&c) = self.f.get(self.at) else {
                return Ok(None);
            };
            self.at += 1;
            let size = match c {
                b' ' => continue,
                b'>' => {
                    self.little = false;
                    continue;
                }
                b'<' | b'=' => {
                    self.little = true;
                    continue;
                }
                b'!' => {
                    let a = self.number(NATIVE_ALIGN)?;
                    if !a.is_power_of_two() {
                        return Err(err(&format!("alignment {a} is not a power of 2")));
                    }
                    self.align = a;
                    continue;
                }
                b'x' | b'b' | b'B' => 1,
                b'h' | b'H' => 2,
                b'l' | b'L' | b'T' | b'd' => 8,
                b'f' => 4,
                b's' => 0,
                b'c' => self.number(1)?,
                b'i' | b'I' => {
                    let n = self.number(4)?;
                    if n > INT_SIZE_MAX {
                        return Err(err(&format!(
                            "integral size {n} is larger than limit of {INT_SIZE_MAX}"
                        )));
                    }
                    n
                }
                other => {
                    return Err(err(&format!("invalid format option '{}'", other as char)));
                }
            };
            return Ok(Some((c, size)));
        }
    }

    /// Padding before an item of `size` at `len`.
    fn pad(&self, len: usize, c: u8, size: usize) -> usize {
        if matches!(c, b'c' | b's' | b'x') || size <= 1 || self.align <= 1 {
            return 0;
        }
        let a = size.min(self.align);
        (a - (len & (a - 1))) & (a - 1)
    }
}

fn number_arg(args: &[Value], i: usize) -> mlua::Result<f64> {
    match args.get(i) {
        Some(Value::Integer(n)) => Ok(*n as f64),
        Some(Value::Number(n)) => Ok(*n),
        Some(Value::String(s)) => std::str::from_utf8(&s.as_bytes())
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| {
                err(&format!(
                    "bad argument #{} to 'pack' (number expected)",
                    i + 2
                ))
            }),
        _ => Err(err(&format!(
            "bad argument #{} to 'pack' (number expected, got no value)",
            i + 2
        ))),
    }
}

fn put_int(n: f64, size: usize, little: bool, out: &mut Vec<u8>) {
    let v: u64 = if n < 0.0 { n as i64 as u64 } else { n as u64 };
    let mut bytes = vec![if n < 0.0 { 0xff } else { 0 }; size];
    for (i, b) in bytes.iter_mut().enumerate().take(size.min(8)) {
        *b = (v >> (8 * i)) as u8;
    }
    if !little {
        bytes.reverse();
    }
    out.extend_from_slice(&bytes);
}

fn pack(fmt: &[u8], args: &[Value]) -> mlua::Result<Vec<u8>> {
    let mut f = Format::new(fmt);
    let mut out = Vec::new();
    let mut arg = 0;
    while let Some((c, size)) = f.next()? {
        let pad = f.pad(out.len(), c, size);
        out.resize(out.len() + pad, 0);
        match c {
            b'x' => out.push(0),
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                put_int(number_arg(args, arg)?, size, f.little, &mut out);
                arg += 1;
            }
            b'f' => {
                let mut b = (number_arg(args, arg)? as f32).to_le_bytes();
                if !f.little {
                    b.reverse();
                }
                out.extend_from_slice(&b);
                arg += 1;
            }
            b'd' => {
                let mut b = number_arg(args, arg)?.to_le_bytes();
                if !f.little {
                    b.reverse();
                }
                out.extend_from_slice(&b);
                arg += 1;
            }
            _ => {
                // 'c' and 's'.
                let s = match args.get(arg) {
                    Some(Value::String(s)) => s.as_bytes().to_vec(),
                    Some(Value::Integer(n)) => n.to_string().into_bytes(),
                    Some(Value::Number(n)) => super::convert::format_g(*n, 14).into_bytes(),
                    _ => {
                        return Err(err(&format!(
                            "bad argument #{} to 'pack' (string expected)",
                            arg + 2
                        )))
                    }
                };
                let n = if size == 0 { s.len() } else { size };
                if s.len() < n {
                    return Err(err(&format!(
                        "bad argument #{} to 'pack' (string too short)",
                        arg + 2
                    )));
                }
                out.extend_from_slice(&s[..n]);
                if c == b's' {
                    out.push(0);
                }
                arg += 1;
            }
        }
    }
    Ok(out)
}

fn unpack(lua: &Lua, fmt: &[u8], data: &[u8], pos: f64) -> mlua::Result<MultiValue> {
    if pos < 1.0 {
        return Err(err(
            "bad argument #3 to 'unpack' (offset must be 1 or greater)",
        ));
    }
    let mut at = pos as usize - 1;
    let mut f = Format::new(fmt);
    let mut out: Vec<Value> = Vec::new();
    let short = || err("bad argument #2 to 'unpack' (data string too short)");
    while let Some((c, size)) = f.next()? {
        at += f.pad(at, c, size);
        if at > data.len() {
            return Err(short());
        }
        match c {
            b'x' => at += 1,
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let b = data.get(at..at + size).ok_or_else(short)?;
                let mut v: u64 = 0;
                for i in 0..size.min(8) {
                    let byte = if f.little { b[i] } else { b[size - 1 - i] };
                    v |= u64::from(byte) << (8 * i);
                }
                let n = if c.is_ascii_lowercase() && size < 8 {
                    let shift = 64 - 8 * size as u32;
                    ((v << shift) as i64 >> shift) as f64
                } else if c.is_ascii_lowercase() {
                    v as i64 as f64
                } else {
                    v as f64
                };
                out.push(Value::Number(n));
                at += size;
            }
            b'f' => {
                let b = data.get(at..at + 4).ok_or_else(short)?;
                let mut a = [b[0], b[1], b[2], b[3]];
                if !f.little {
                    a.reverse();
                }
                out.push(Value::Number(f64::from(f32::from_le_bytes(a))));
                at += 4;
            }
            b'd' => {
                let b = data.get(at..at + 8).ok_or_else(short)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                if !f.little {
                    a.reverse();
                }
                out.push(Value::Number(f64::from_le_bytes(a)));
                at += 8;
            }
            b'c' => {
                let n = if size == 0 {
                    match out.pop() {
                        Some(Value::Number(n)) if n >= 0.0 => n as usize,
                        Some(Value::Integer(n)) if n >= 0 => n as usize,
                        _ => return Err(err("format 'c0' needs a previous size")),
                    }
                } else {
                    size
                };
                let b = data.get(at..at.saturating_add(n)).ok_or_else(short)?;
                out.push(Value::String(lua.create_string(b)?));
                at += n;
            }
            _ => {
                // 's'.
                let rest = data.get(at..).ok_or_else(short)?;
                let end =
                    memchr::memchr(0, rest).ok_or_else(|| err("unfinished string in data"))?;
                out.push(Value::String(lua.create_string(&rest[..end])?));
                at += end + 1;
            }
        }
    }
    out.push(Value::Number((at + 1) as f64));
    Ok(MultiValue::from_vec(out))
}

fn size(fmt: &[u8]) -> mlua::Result<usize> {
    let mut f = Format::new(fmt);
    let mut total = 0usize;
    while let Some((c, size)) = f.next()? {
        if c == b's' || (c == b'c' && size == 0) {
            return Err(err("options 'c0' and 's' have no fixed size"));
        }
        total += f.pad(total, c, size) + size;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lua() -> Lua {
        let lua = Lua::new();
        lua.globals()
            .raw_set("struct", table(&lua).expect("table"))
            .expect("set");
        lua
    }

    #[test]
    fn packs_and_unpacks_as_struct_c() {
        let lua = lua();
        let hex: String = lua
            .load("local s = struct.pack('>hIb', 258, 1, -1) return (s:gsub('.', function(c) return string.format('%02x', c:byte()) end))")
            .eval()
            .expect("eval");
        assert_eq!(hex, "010200000001ff");
        let v: (f64, f64, f64, f64) = lua
            .load("return struct.unpack('<hIb', struct.pack('<hIb', -2, 7, 5))")
            .eval()
            .expect("eval");
        assert_eq!(v, (-2.0, 7.0, 5.0, 8.0));
        let (s, n): (String, f64) = lua
            .load("return struct.unpack('Bc0', struct.pack('Bc0', 3, 'abc'))")
            .eval()
            .expect("eval");
        assert_eq!((s.as_str(), n), ("abc", 5.0));
        let size: usize = lua
            .load("return struct.size('>!4bi')")
            .eval()
            .expect("eval");
        assert_eq!(size, 8);
        assert!(lua
            .load("return struct.unpack('i', 'ab')")
            .eval::<Value>()
            .is_err());
    }
}
