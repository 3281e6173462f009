//! The reply writer: commands never build RESP by hand, they call these.
//!
//! Replies are written straight into the shard's output buffer as finished
//! RESP bytes for the requesting connection's protocol (2 or 3), so the proxy
//! can copy them to the client unchanged. The RESP2/RESP3 differences live
//! here and nowhere else: null, map, set, double and boolean encodings.

use std::io::Write as _;

/// Protocol version of the connection that sent the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    /// RESP2, the default for every connection.
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

impl Proto {
    /// The protocol numbered `version` (as `HELLO` and the request record
    /// carry it): 3 is RESP3, anything else RESP2.
    pub fn from_version(version: u8) -> Proto {
        if version == 3 {
            Proto::Resp3
        } else {
            Proto::Resp2
        }
    }

    /// Its number: 2 or 3.
    pub fn version(self) -> u8 {
        match self {
            Proto::Resp2 => 2,
            Proto::Resp3 => 3,
        }
    }
}

/// Writes RESP replies into a byte buffer.
pub struct Reply<'a> {
    buf: &'a mut Vec<u8>,
    proto: Proto,
}

impl<'a> Reply<'a> {
    /// A writer appending to `buf` in `proto`.
    pub fn new(buf: &'a mut Vec<u8>, proto: Proto) -> Self {
        Reply { buf, proto }
    }

    /// The protocol replies are written in.
    pub fn proto(&self) -> Proto {
        self.proto
    }

    /// The bytes written so far (all replies in this buffer).
    pub fn buffer(&self) -> &[u8] {
        self.buf
    }

    /// `+OK`.
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string `+s`; `s` must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        debug_assert!(!s.contains(['\r', '\n']));
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error `-MSG`; `msg` carries its own prefix (`ERR ...`, `WRONGTYPE ...`).
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        for &b in msg.as_bytes() {
            // Redis replaces newlines in error texts so the frame stays valid.
            self.buf
                .push(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An integer `:n`.
    pub fn int(&mut self, n: i64) {
        self.buf.push(b':');
        self.write_decimal(n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string `$len\r\nbytes\r\n`.
    pub fn bulk(&mut self, b: &[u8]) {
        self.buf.push(b'$');
        self.write_decimal(b.len() as i64);
        self.buf.extend_from_slice(b"\r\n");
        self.buf.extend_from_slice(b);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_int(&mut self, n: i64) {
        let mut tmp = [0u8; 20];
        let s = format_i64(n, &mut tmp);
        self.bulk(s);
    }

    /// The null reply for a missing value: `$-1` in RESP2, `_` in RESP3.
    pub fn null(&mut self) {
        match self.proto {
            Proto::Resp2 => self.buf.extend_from_slice(b"$-1\r\n"),
            Proto::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// The null reply where Redis 2 sends a null array: `*-1` in RESP2, `_` in RESP3.
    pub fn null_array(&mut self) {
        match self.proto {
            Proto::Resp2 => self.buf.extend_from_slice(b"*-1\r\n"),
            Proto::Resp3 => self.buf.extend_from_slice(b"_\r\n"),
        }
    }

    /// An array header for `n` elements that follow.
    pub fn array(&mut self, n: usize) {
        self.header(b'*', n);
    }

    /// A map header for `n` key/value pairs (RESP2: an array of `2n`).
    pub fn map(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', n * 2),
            Proto::Resp3 => self.header(b'%', n),
        }
    }

    /// A push header for `n` elements (pub/sub messages; RESP2: an array).
    pub fn push_header(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', n),
            Proto::Resp3 => self.header(b'>', n),
        }
    }

    /// A set header for `n` elements (RESP2: an array).
    pub fn set(&mut self, n: usize) {
        match self.proto {
            Proto::Resp2 => self.header(b'*', n),
            Proto::Resp3 => self.header(b'~', n),
        }
    }

    /// A double: RESP3 `,d`, RESP2 a bulk string, formatted as Redis does.
    pub fn double(&mut self, d: f64) {
        let mut s = String::new();
        format_double(d, &mut s);
        match self.proto {
            Proto::Resp2 => self.bulk(s.as_bytes()),
            Proto::Resp3 => {
                self.buf.push(b',');
                self.buf.extend_from_slice(s.as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// A boolean: RESP3 `#t`/`#f`, RESP2 the integer 1/0.
    pub fn boolean(&mut self, b: bool) {
        match self.proto {
            Proto::Resp2 => self.int(b as i64),
            Proto::Resp3 => self
                .buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" }),
        }
    }

    /// A verbatim string (RESP3 `=len\r\ntxt:...`), RESP2 a bulk string.
    pub fn verbatim(&mut self, text: &[u8]) {
        match self.proto {
            Proto::Resp2 => self.bulk(text),
            Proto::Resp3 => {
                self.buf.push(b'=');
                self.write_decimal(text.len() as i64 + 4);
                self.buf.extend_from_slice(b"\r\ntxt:");
                self.buf.extend_from_slice(text);
                self.buf.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Appends raw, already encoded RESP bytes.
    pub fn raw(&mut self, resp: &[u8]) {
        self.buf.extend_from_slice(resp);
    }

    /// Starts an array whose length is known only once its elements are
    /// written: the mark [`Reply::end_array`] takes.
    pub fn begin_array(&self) -> usize {
        self.buf.len()
    }

    /// Puts the header of an array of `n` elements before what was written
    /// since `mark` (one move of those bytes, no second buffer).
    pub fn end_array(&mut self, mark: usize, n: usize) {
        let mut digits = [0u8; 20];
        let d = format_i64(n as i64, &mut digits);
        let mut head = [0u8; 23];
        head[0] = b'*';
        head[1..1 + d.len()].copy_from_slice(d);
        head[1 + d.len()..3 + d.len()].copy_from_slice(b"\r\n");
        let mark = mark.min(self.buf.len());
        self.buf
            .splice(mark..mark, head[..3 + d.len()].iter().copied());
    }

    fn header(&mut self, kind: u8, n: usize) {
        self.buf.push(kind);
        self.write_decimal(n as i64);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn write_decimal(&mut self, n: i64) {
        let mut tmp = [0u8; 20];
        let s = format_i64(n, &mut tmp);
        self.buf.extend_from_slice(s);
    }
}

/// Formats `n` in decimal into `tmp` without allocating; returns the digits.
pub fn format_i64(n: i64, tmp: &mut [u8; 20]) -> &[u8] {
    let mut v = n.unsigned_abs();
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        tmp[i] = b'-';
    }
    &tmp[i..]
}

/// Formats a double the way Redis 7.0 replies with one (`addReplyDouble`):
/// C's `%.17g` (17 significant digits, trailing zeros trimmed, exponent
/// form below 1e-4 and from 1e17 on, so 0.1 is `0.10000000000000001` and
/// 1e20 is `1e+20`), with `inf`, `-inf`, `nan` and a signed `-0`.
pub fn format_double(d: f64, out: &mut String) {
    if d.is_nan() {
        out.push_str("nan");
        return;
    }
    if d.is_infinite() {
        out.push_str(if d > 0.0 { "inf" } else { "-inf" });
        return;
    }
    // Rust's `{:e}` rounds exactly, as glibc's printf does.
    let sci = format!("{d:.16e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if mant.starts_with('-') {
        out.push('-');
    }
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    let trim = |ds: &[u8]| -> String {
        let end = ds.iter().rposition(|&c| c != b'0').map_or(0, |i| i + 1);
        String::from_utf8_lossy(&ds[..end]).into_owned()
    };
    if !(-4..17).contains(&exp) {
        out.push(digits[0] as char);
        let frac = trim(&digits[1..]);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(&frac);
        }
        let sign = if exp < 0 { '-' } else { '+' };
        out.push_str(&format!("e{sign}{:02}", exp.unsigned_abs()));
    } else if exp >= 0 {
        let (int, frac) = digits.split_at(exp as usize + 1);
        out.push_str(&String::from_utf8_lossy(int));
        let frac = trim(frac);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(&frac);
        }
    } else {
        out.push_str("0.");
        out.push_str(&"0".repeat((-exp - 1) as usize));
        out.push_str(&trim(&digits));
    }
}

/// Formats a long double result the way INCRBYFLOAT and HINCRBYFLOAT store it
/// (`%.17Lg` with trailing zeros removed: with `f64`, the shortest text that
/// round-trips is the closest match).
pub fn format_float_value(d: f64) -> Vec<u8> {
    if d.is_nan() {
        return b"nan".to_vec();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            b"inf".to_vec()
        } else {
            b"-inf".to_vec()
        };
    }
    if d == d.trunc() && d.abs() < 1e17 {
        // Integral values print without a fraction, as `%.17Lg` does.
        return (d as i64).to_string().into_bytes();
    }
    d.to_string().into_bytes()
}

/// Writes `args` as a RESP array of bulk strings (used by tests and tools).
pub fn encode_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write!(out, "*{}\r\n", args.len());
    for a in args {
        let _ = write!(out, "${}\r\n", a.len());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_array_gets_its_header_after_its_elements() {
        let mut buf = b"+x\r\n".to_vec();
        let mut r = Reply::new(&mut buf, Proto::Resp2);
        let mark = r.begin_array();
        r.int(1);
        r.bulk(b"ab");
        r.end_array(mark, 2);
        assert_eq!(buf, b"+x\r\n*2\r\n:1\r\n$2\r\nab\r\n");
        let mut buf = Vec::new();
        let mut r = Reply::new(&mut buf, Proto::Resp3);
        let mark = r.begin_array();
        r.end_array(mark, 0);
        assert_eq!(buf, b"*0\r\n");
    }

    fn with(proto: Proto, f: impl FnOnce(&mut Reply)) -> Vec<u8> {
        let mut buf = Vec::new();
        f(&mut Reply::new(&mut buf, proto));
        buf
    }

    #[test]
    fn null_differs_by_protocol() {
        assert_eq!(with(Proto::Resp2, |r| r.null()), b"$-1\r\n");
        assert_eq!(with(Proto::Resp3, |r| r.null()), b"_\r\n");
        assert_eq!(with(Proto::Resp2, |r| r.null_array()), b"*-1\r\n");
    }

    #[test]
    fn map_is_flat_array_in_resp2() {
        assert_eq!(with(Proto::Resp2, |r| r.map(2)), b"*4\r\n");
        assert_eq!(with(Proto::Resp3, |r| r.map(2)), b"%2\r\n");
    }

    #[test]
    fn integers_and_bulks() {
        assert_eq!(with(Proto::Resp2, |r| r.int(-42)), b":-42\r\n");
        assert_eq!(
            with(Proto::Resp2, |r| r.int(i64::MIN)),
            b":-9223372036854775808\r\n"
        );
        assert_eq!(with(Proto::Resp2, |r| r.bulk(b"")), b"$0\r\n\r\n");
        assert_eq!(with(Proto::Resp2, |r| r.bulk_int(10)), b"$2\r\n10\r\n");
    }

    #[test]
    fn doubles_format_like_redis() {
        assert_eq!(with(Proto::Resp2, |r| r.double(3.0)), b"$1\r\n3\r\n");
        assert_eq!(with(Proto::Resp3, |r| r.double(1.5)), b",1.5\r\n");
        assert_eq!(with(Proto::Resp3, |r| r.double(f64::INFINITY)), b",inf\r\n");
    }

    #[test]
    fn doubles_use_c_percent_17g_as_redis_7_0_does() {
        // Expected texts are redis-server 7.0's ZSCORE replies.
        let cases = [
            (0.1, "0.10000000000000001"),
            (0.3, "0.29999999999999999"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e20, "1e+20"),
            (1e17, "1e+17"),
            (1e16, "10000000000000000"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (3.0, "3"),
            (-0.0, "-0"),
            (0.0, "0"),
            (1.5e-7, "1.4999999999999999e-07"),
            (2.5e-310, "2.5000000000000171e-310"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (f64::NEG_INFINITY, "-inf"),
            (1e-5, "1.0000000000000001e-05"),
            (123.456, "123.456"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (9.900000000000001e-5, "9.9000000000000008e-05"),
            (123456780000000.0, "123456780000000"),
        ];
        for (d, want) in cases {
            let mut s = String::new();
            format_double(d, &mut s);
            assert_eq!(s, want, "{d:e}");
        }
    }

    #[test]
    fn errors_never_break_the_frame() {
        assert_eq!(
            with(Proto::Resp2, |r| r.error("ERR a\r\nb")),
            b"-ERR a  b\r\n"
        );
    }
}
