//! Reading a finished RESP reply back into values: for the few replies the
//! proxy takes apart beyond arrays of parts (a shard's slow log entries and
//! latency series, which nest arrays of integers and bulk strings).
//!
//! Never panics and never allocates more than the input justifies: an
//! array's declared length is only trusted as far as elements follow.

/// A RESP value borrowed from the reply bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<'a> {
    /// `:n`.
    Int(i64),
    /// `$len` bulk string, `+simple` string or `=len` verbatim string.
    Bytes(&'a [u8]),
    /// `-error` (the text after `-`).
    Error(&'a [u8]),
    /// A null (`$-1`, `*-1`, `_`).
    Null,
    /// `*n`, `~n` (set) or `%n` (map, as `2n` elements).
    Array(Vec<Value<'a>>),
}

impl<'a> Value<'a> {
    /// The integer, if this is one (a bulk string of digits counts too).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::Bytes(b) => std::str::from_utf8(b).ok()?.parse().ok(),
            _ => None,
        }
    }

    /// The bytes, if this is a string.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Array(v) => Some(v),
            _ => None,
        }
    }
}

/// Deepest nesting read.
const DEPTH_MAX: usize = 8;

/// Reads the one value at the start of `p`: the value and the bytes it
/// took; `None` if `p` does not start with a whole value.
pub fn parse(p: &[u8]) -> Option<(Value<'_>, usize)> {
    parse_at(p, 0)
}

fn line(p: &[u8]) -> Option<(&[u8], usize)> {
    let end = memchr::memchr(b'\n', p)?;
    let body = p.get(1..end.checked_sub(1)?)?;
    Some((body, end + 1))
}

fn number(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn parse_at(p: &[u8], depth: usize) -> Option<(Value<'_>, usize)> {
    if depth > DEPTH_MAX {
        return None;
    }
    let kind = *p.first()?;
    let (body, at) = line(p)?;
    match kind {
        b':' => Some((Value::Int(number(body)?), at)),
        b'+' => Some((Value::Bytes(body), at)),
        b'-' => Some((Value::Error(body), at)),
        b'_' => Some((Value::Null, at)),
        b'$' | b'=' => {
            let n = number(body)?;
            if n < 0 {
                return Some((Value::Null, at));
            }
            let end = at.checked_add(usize::try_from(n).ok()?)?;
            let bytes = p.get(at..end)?;
            if p.get(end..end + 2)? != b"\r\n" {
                return None;
            }
            // A verbatim string starts with its 3-letter format and `:`.
            let bytes = match kind {
                b'=' => bytes.get(4..)?,
                _ => bytes,
            };
            Some((Value::Bytes(bytes), end + 2))
        }
        b'*' | b'~' | b'%' => {
            let n = number(body)?;
            if n < 0 {
                return Some((Value::Null, at));
            }
            let count = usize::try_from(n)
                .ok()?
                .checked_mul(if kind == b'%' { 2 } else { 1 })?;
            let mut items = Vec::with_capacity(count.min(p.len() / 3));
            let mut at = at;
            for _ in 0..count {
                let (v, used) = parse_at(p.get(at..)?, depth + 1)?;
                items.push(v);
                at += used;
            }
            Some((Value::Array(items), at))
        }
        _ => None,
    }
}

/// The body of a bulk string reply (`$n\r\n...\r\n`), if it is one.
pub fn bulk_body(reply: &[u8]) -> Option<&[u8]> {
    let rest = reply.strip_prefix(b"$")?;
    let nl = rest.iter().position(|&b| b == b'\r')?;
    let n: usize = std::str::from_utf8(&rest[..nl]).ok()?.parse().ok()?;
    rest.get(nl + 2..nl + 2 + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_replies_read_back_and_truncated_ones_are_refused() {
        let p = b"*3\r\n:5\r\n*2\r\n$3\r\nabc\r\n$-1\r\n%1\r\n+k\r\n=7\r\ntxt:abc\r\nrest";
        let (v, used) = parse(p).expect("a value");
        assert_eq!(used, p.len() - 4);
        let a = v.as_array().expect("an array");
        assert_eq!(a[0].as_int(), Some(5));
        assert_eq!(a[1], Value::Array(vec![Value::Bytes(b"abc"), Value::Null]));
        assert_eq!(
            a[2],
            Value::Array(vec![Value::Bytes(b"k"), Value::Bytes(b"abc")])
        );
        assert!(parse(b"*2\r\n:1\r\n").is_none());
        assert!(parse(b"$5\r\nab\r\n").is_none());
        assert!(parse(b"*99999999999\r\n").is_none());
        assert!(parse(b"?").is_none());
    }
}
