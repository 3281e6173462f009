//! The request parser: client bytes in, argument ranges out.
//!
//! A client's read buffer may hold many pipelined commands and a partial one
//! at the end. [`RequestParser::parse`] takes the next command off the front
//! of the buffer and returns its arguments as `(start, len)` ranges into that
//! buffer, without copying them (the proxy copies each argument exactly once,
//! into a shard's request ring).
//!
//! It follows Redis 7's `processMultibulkBuffer` / `processInlineBuffer`
//! byte for byte: the same framing, the same leniencies (the two bytes after
//! a bulk are skipped unchecked, `*0` and `*-1` are ignored, as are empty
//! inline lines) and the same protocol error texts, after which the caller
//! replies with the error and closes the connection.
//!
//! The parser is incremental: when a command is incomplete it remembers how
//! far it got (arguments already framed, position of the next header), so a
//! large command arriving in small reads costs linear time, not quadratic.
//! Nothing is reserved from a client-supplied count before the bytes arrive.
//!
//! Cost per command on the hot path: no allocation (up to
//! [`INLINE_ARGS`] arguments live inline), no copy, one `memchr` per header
//! line; a command of up to 99 arguments in canonical framing, wholly in
//! the buffer (`GET`, `SET`, `INCR`, `EVALSHA`, `MGET` of ten keys as
//! clients send them), skips even that (one allocation, for the argument
//! ranges, past [`INLINE_ARGS`]).
//!
//! Divergences from Redis, on purpose: the multibulk count is capped at
//! [`Limits::max_multibulk_args`] (1,048,576 by default; Redis 7 allows up
//! to `INT_MAX`); and a NUL byte before a line end no longer hides that
//! line end (Redis searches with `strchr`, so it waits for more bytes until
//! its 64 KiB limit): an inline line is split up to the NUL, a header line
//! with a NUL is an invalid length. Without NUL bytes, 1,000 random
//! protocol-like inputs got byte-identical replies from redis-server 7.0.15
//! and from this parser plus [`common::table::resolve`].

mod inline;
#[cfg(test)]
mod tests;

use common::num::parse_i64;
use smallvec::SmallVec;

/// Number of arguments kept inline in [`ArgRanges`] before it allocates.
pub const INLINE_ARGS: usize = 12;

/// Arguments of one command as `(start, len)` byte ranges into the buffer
/// that was parsed; the first is the command name.
pub type ArgRanges = SmallVec<[(usize, usize); INLINE_ARGS]>;

/// Most argument ranges reserved up front for a multibulk header, whatever
/// count the client announces; beyond this the vector grows as bulks arrive.
const RESERVE_ARGS_MAX: usize = 1024;

/// Protocol limits, with Redis's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most arguments a multibulk request may announce.
    pub max_multibulk_args: usize,
    /// Longest bulk argument (Redis's `proto-max-bulk-len`).
    pub max_bulk_len_bytes: usize,
    /// Longest inline request line, and longest `*`/`$` header line, searched
    /// for its end before the request is refused.
    pub max_inline_len_bytes: usize,
}

impl Limits {
    /// Default for [`Limits::max_multibulk_args`]: 1,048,576.
    pub const DEFAULT_MAX_MULTIBULK_ARGS: usize = 1024 * 1024;
    /// Default for [`Limits::max_bulk_len_bytes`]: 512 MiB, as Redis.
    pub const DEFAULT_MAX_BULK_LEN_BYTES: usize = 512 * 1024 * 1024;
    /// Redis's `PROTO_INLINE_MAX_SIZE`: 64 KiB.
    pub const DEFAULT_MAX_INLINE_LEN_BYTES: usize = 64 * 1024;
    /// Most arguments a client that must still authenticate may announce.
    pub const UNAUTHENTICATED_MAX_MULTIBULK_ARGS: usize = 10;
    /// Longest bulk a client that must still authenticate may announce.
    pub const UNAUTHENTICATED_MAX_BULK_LEN_BYTES: usize = 16 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_multibulk_args: Self::DEFAULT_MAX_MULTIBULK_ARGS,
            max_bulk_len_bytes: Self::DEFAULT_MAX_BULK_LEN_BYTES,
            max_inline_len_bytes: Self::DEFAULT_MAX_INLINE_LEN_BYTES,
        }
    }
}

/// What [`RequestParser::parse`] found at the front of the buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A complete command (at least one argument) ending at `consumed`.
    /// Its argument ranges stay valid until the caller drops those bytes.
    Command {
        /// The arguments, name first, as ranges into the parsed buffer.
        args: ArgRanges,
        /// Bytes of the buffer this command used; drop them before the
        /// next call.
        consumed: usize,
    },
    /// `consumed` bytes held no command (an empty inline line, `*0`,
    /// `*-1`): drop them and call again.
    Skip {
        /// Bytes to drop.
        consumed: usize,
    },
    /// The buffer ends inside a command: read more bytes, append them and
    /// call again with the same buffer (its start unchanged).
    Incomplete {
        /// At least this many more bytes are needed, when a bulk length says
        /// so. The number comes from the client: cap any reservation made
        /// from it (the bytes may never come).
        more_bytes: Option<usize>,
    },
}

/// A malformed request. The caller replies with [`ProtocolError::write_reply`]
/// and closes the connection, as Redis does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// `*` count that is not an integer, or above the limit.
    #[error("ERR Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// `$` length that is not an integer, negative, or above the limit.
    #[error("ERR Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A bulk header that does not start with `$`; holds the byte found.
    #[error("ERR Protocol error: expected '$', got '{}'", char::from(*.0))]
    ExpectedDollar(u8),
    /// An inline request line longer than the limit.
    #[error("ERR Protocol error: too big inline request")]
    TooBigInlineRequest,
    /// A `*` header line longer than the limit.
    #[error("ERR Protocol error: too big mbulk count string")]
    TooBigMbulkCount,
    /// A `$` header line longer than the limit.
    #[error("ERR Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// A multibulk count above 10 before the client authenticated.
    #[error("ERR Protocol error: unauthenticated multibulk length")]
    UnauthenticatedMultibulkLength,
    /// A bulk length above 16 KiB before the client authenticated.
    #[error("ERR Protocol error: unauthenticated bulk length")]
    UnauthenticatedBulkLength,
    /// An inline request with an unterminated quote, or a closing quote not
    /// followed by a space.
    #[error("ERR Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
}

impl ProtocolError {
    /// Appends the RESP error reply, byte-exact with Redis (the offending
    /// byte of [`ProtocolError::ExpectedDollar`] is written raw, CR and LF
    /// becoming spaces as in every Redis error).
    pub fn write_reply(&self, out: &mut Vec<u8>) {
        out.push(b'-');
        if let ProtocolError::ExpectedDollar(b) = *self {
            out.extend_from_slice(b"ERR Protocol error: expected '$', got '");
            out.push(if b == b'\r' || b == b'\n' { b' ' } else { b });
            out.extend_from_slice(b"'");
        } else {
            out.extend_from_slice(self.to_string().as_bytes());
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Progress through the command at the front of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At a command boundary.
    Idle,
    /// Inside a multibulk request: `remaining` bulks to go, the next header
    /// (or, when `bulk_len` is known, the next bulk's data) at `pos`.
    Multibulk {
        remaining: usize,
        pos: usize,
        bulk_len: Option<usize>,
    },
    /// Inside an inline request whose first `scanned` bytes hold no `\n`.
    Inline { scanned: usize },
}

/// Parses requests off the front of one connection's read buffer,
/// remembering its progress through an incomplete command between calls.
#[derive(Clone, Debug)]
pub struct RequestParser {
    state: State,
    args: ArgRanges,
    auth_pending: bool,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    /// A parser at a command boundary.
    pub fn new() -> Self {
        RequestParser {
            state: State::Idle,
            args: ArgRanges::new(),
            auth_pending: false,
        }
    }

    /// Tells the parser whether the client still has to authenticate: until
    /// it does, Redis refuses announced counts above 10 arguments and
    /// lengths above 16 KiB, so an anonymous peer cannot make the server
    /// buffer much.
    pub fn set_auth_pending(&mut self, pending: bool) {
        self.auth_pending = pending;
    }

    /// Whether the parser is between commands (no partial command pending).
    pub fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// Parses the next command at the front of `buf`.
    ///
    /// After [`Parsed::Incomplete`], the next call must pass the same bytes
    /// (more may be appended). After `Command` or `Skip`, the caller drops
    /// `consumed` bytes from the front before calling again. Inline requests
    /// are unescaped in place, which is why `buf` is mutable; multibulk
    /// requests are never written to. After an error the parser is reset.
    pub fn parse(&mut self, buf: &mut [u8], limits: &Limits) -> Result<Parsed, ProtocolError> {
        let result = match self.state {
            State::Idle => match buf.first() {
                None => return Ok(Parsed::Incomplete { more_bytes: None }),
                Some(b'*') => {
                    let (max_bulk, max_args) = self.fast_limits(limits);
                    if let Some(parsed) = fast_path(buf, max_bulk, max_args) {
                        return Ok(parsed);
                    }
                    self.multibulk_header(buf, limits)
                }
                Some(_) => self.inline(buf, 0, limits),
            },
            State::Multibulk { .. } => self.multibulk_args(buf, limits),
            State::Inline { scanned } => self.inline(buf, scanned, limits),
        };
        if result.is_err() {
            self.reset();
        }
        result
    }

    /// Longest bulk and most arguments the fast path may take (tighter
    /// before AUTH); beyond them the general parser decides the error.
    fn fast_limits(&self, limits: &Limits) -> (usize, usize) {
        if self.auth_pending {
            (
                limits
                    .max_bulk_len_bytes
                    .min(Limits::UNAUTHENTICATED_MAX_BULK_LEN_BYTES),
                limits
                    .max_multibulk_args
                    .min(Limits::UNAUTHENTICATED_MAX_MULTIBULK_ARGS),
            )
        } else {
            (limits.max_bulk_len_bytes, limits.max_multibulk_args)
        }
    }

    fn reset(&mut self) {
        self.state = State::Idle;
        self.args.clear();
    }

    /// Reads `*<count>\r\n` and goes on with the bulks.
    fn multibulk_header(&mut self, buf: &[u8], limits: &Limits) -> Result<Parsed, ProtocolError> {
        let Some(cr) = memchr::memchr(b'\r', buf) else {
            if buf.len() > limits.max_inline_len_bytes {
                return Err(ProtocolError::TooBigMbulkCount);
            }
            return Ok(Parsed::Incomplete { more_bytes: None });
        };
        if cr + 1 >= buf.len() {
            return Ok(Parsed::Incomplete {
                more_bytes: Some(1),
            });
        }
        let count = parse_i64(&buf[1..cr]).ok_or(ProtocolError::InvalidMultibulkLength)?;
        if count > 0 && count as u64 > limits.max_multibulk_args as u64 {
            return Err(ProtocolError::InvalidMultibulkLength);
        }
        if count > Limits::UNAUTHENTICATED_MAX_MULTIBULK_ARGS as i64 && self.auth_pending {
            return Err(ProtocolError::UnauthenticatedMultibulkLength);
        }
        if count <= 0 {
            return Ok(Parsed::Skip { consumed: cr + 2 });
        }
        let count = count as usize;
        self.args.clear();
        self.args.reserve(count.min(RESERVE_ARGS_MAX));
        self.state = State::Multibulk {
            remaining: count,
            pos: cr + 2,
            bulk_len: None,
        };
        self.multibulk_args(buf, limits)
    }

    /// Frames as many bulks as the buffer holds; returns the command once
    /// the last one is complete.
    fn multibulk_args(&mut self, buf: &[u8], limits: &Limits) -> Result<Parsed, ProtocolError> {
        let State::Multibulk {
            mut remaining,
            mut pos,
            mut bulk_len,
        } = self.state
        else {
            debug_assert!(false, "multibulk_args outside a multibulk request");
            return Ok(Parsed::Incomplete { more_bytes: None });
        };
        let outcome = loop {
            if remaining == 0 {
                let args = std::mem::take(&mut self.args);
                self.state = State::Idle;
                return Ok(Parsed::Command {
                    args,
                    consumed: pos,
                });
            }
            let len = match bulk_len {
                Some(len) => len,
                // `get`: a caller that shrank the buffer gets Incomplete, not a panic.
                None => {
                    match bulk_header(buf.get(pos..).unwrap_or(&[]), limits, self.auth_pending)? {
                        Some((len, header_len)) => {
                            pos += header_len;
                            bulk_len = Some(len);
                            len
                        }
                        None => break Parsed::Incomplete { more_bytes: None },
                    }
                }
            };
            let end = pos.saturating_add(len).saturating_add(2);
            if buf.len() < end {
                break Parsed::Incomplete {
                    more_bytes: Some(end - buf.len()),
                };
            }
            self.args.push((pos, len));
            pos = end;
            bulk_len = None;
            remaining -= 1;
        };
        self.state = State::Multibulk {
            remaining,
            pos,
            bulk_len,
        };
        Ok(outcome)
    }

    /// Splits one inline line (sdssplitargs rules) once its `\n` is in.
    fn inline(
        &mut self,
        buf: &mut [u8],
        scanned: usize,
        limits: &Limits,
    ) -> Result<Parsed, ProtocolError> {
        let unscanned = buf.get(scanned..).unwrap_or(&[]);
        let Some(nl) = memchr::memchr(b'\n', unscanned).map(|i| scanned + i) else {
            if buf.len() > limits.max_inline_len_bytes {
                return Err(ProtocolError::TooBigInlineRequest);
            }
            self.state = State::Inline { scanned: buf.len() };
            return Ok(Parsed::Incomplete { more_bytes: None });
        };
        self.state = State::Idle;
        let end = if nl > 0 && buf[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let args = inline::split_args(&mut buf[..end])?;
        if args.is_empty() {
            Ok(Parsed::Skip { consumed: nl + 1 })
        } else {
            Ok(Parsed::Command {
                args,
                consumed: nl + 1,
            })
        }
    }
}

/// Reads a `$<len>\r\n` header at the front of `rest`: `Some((len,
/// header_len))`, or `None` when the line is not complete yet.
fn bulk_header(
    rest: &[u8],
    limits: &Limits,
    auth_pending: bool,
) -> Result<Option<(usize, usize)>, ProtocolError> {
    let Some(cr) = memchr::memchr(b'\r', rest) else {
        if rest.len() > limits.max_inline_len_bytes {
            return Err(ProtocolError::TooBigBulkCount);
        }
        return Ok(None);
    };
    // Like Redis: the line must be whole before its first byte is judged.
    if cr + 1 >= rest.len() {
        return Ok(None);
    }
    if rest[0] != b'$' {
        return Err(ProtocolError::ExpectedDollar(rest[0]));
    }
    match parse_i64(&rest[1..cr]) {
        Some(len) if len >= 0 && len as u64 <= limits.max_bulk_len_bytes as u64 => {
            if auth_pending && len as u64 > Limits::UNAUTHENTICATED_MAX_BULK_LEN_BYTES as u64 {
                return Err(ProtocolError::UnauthenticatedBulkLength);
            }
            Ok(Some((len as usize, cr + 2)))
        }
        _ => Err(ProtocolError::InvalidBulkLength),
    }
}

/// The command at the front of `buf` if the parser's fast path takes it
/// (canonical framing, wholly in the buffer, within `limits` as they are
/// after AUTH): its arguments' ranges (offset by `base`) pushed onto
/// `out`, and the number of arguments and bytes it used. For reading
/// ahead without touching a parser's state (`crate::whole_tx`); `None`
/// (with `out` as it was) says nothing about what the general parser
/// would do.
pub fn canonical_into<const N: usize>(
    buf: &[u8],
    limits: &Limits,
    base: usize,
    out: &mut SmallVec<[(usize, usize); N]>,
) -> Option<(usize, usize)> {
    let mark = out.len();
    let framed = frame(
        buf,
        limits.max_bulk_len_bytes,
        limits.max_multibulk_args,
        out,
        |out, (s, l)| out.push((base + s, l)),
    );
    if framed.is_none() {
        out.truncate(mark);
    }
    framed
}

/// A command of 1 to 99 arguments framed the way every client sends them
/// (`*N` with one or two digits, each bulk header canonical) and wholly in
/// the buffer, framed without a `memchr` per header line. Anything unusual
/// (other spellings of the counts or lengths, a short buffer, an oversized
/// bulk, more arguments than `max_args`) returns `None` and the general
/// parser decides, so both paths always agree.
fn fast_path(buf: &[u8], max_bulk_len_bytes: usize, max_args: usize) -> Option<Parsed> {
    let mut args = ArgRanges::new();
    let (_, consumed) = frame(buf, max_bulk_len_bytes, max_args, &mut args, |a, r| {
        a.push(r)
    })?;
    Some(Parsed::Command { args, consumed })
}

/// [`fast_path`]'s framing: room for the arguments reserved in `out`,
/// each argument's range given to `push` with it (some may have been
/// pushed when it gives up), then the argument count and the bytes used.
#[inline]
fn frame<const N: usize>(
    buf: &[u8],
    max_bulk_len_bytes: usize,
    max_args: usize,
    out: &mut SmallVec<[(usize, usize); N]>,
    push: impl Fn(&mut SmallVec<[(usize, usize); N]>, (usize, usize)),
) -> Option<(usize, usize)> {
    if buf.first() != Some(&b'*') {
        return None;
    }
    let d1 = buf.get(1)?.wrapping_sub(b'0');
    let (argc, mut pos) = if buf.get(2..4)? == b"\r\n" {
        (usize::from(d1), 4)
    } else {
        let d2 = buf.get(2)?.wrapping_sub(b'0');
        if d1 == 0 || d2 > 9 || buf.get(3..5)? != b"\r\n" {
            return None;
        }
        (usize::from(d1) * 10 + usize::from(d2), 5)
    };
    if d1 > 9 || argc == 0 || argc > max_args {
        return None;
    }
    out.reserve(argc);
    for _ in 0..argc {
        let (len, header_len) = fast_bulk_header(buf.get(pos..)?)?;
        if len > max_bulk_len_bytes {
            return None;
        }
        let start = pos + header_len;
        let end = start.checked_add(len)?.checked_add(2)?;
        if buf.len() < end {
            return None;
        }
        push(out, (start, len));
        pos = end;
    }
    Some((argc, pos))
}

/// `$` then 1 to 9 digits in canonical form then `\r` and one more byte.
#[inline]
pub(crate) fn fast_bulk_header(rest: &[u8]) -> Option<(usize, usize)> {
    // Most arguments are under 100 bytes: one or two digits, read by
    // shape without the loop.
    match rest {
        [b'$', d @ b'0'..=b'9', b'\r', _, ..] => return Some((usize::from(d - b'0'), 4)),
        [b'$', d1 @ b'1'..=b'9', d2 @ b'0'..=b'9', b'\r', _, ..] => {
            return Some((usize::from(d1 - b'0') * 10 + usize::from(d2 - b'0'), 5))
        }
        [b'$', ..] => {}
        _ => return None,
    }
    let mut len = 0usize;
    let mut i = 1;
    while let Some(&d) = rest.get(i) {
        if !d.is_ascii_digit() || i > 9 {
            break;
        }
        len = len * 10 + (d - b'0') as usize;
        i += 1;
    }
    let digits = i - 1;
    let canonical = digits == 1 || (digits > 1 && rest[1] != b'0');
    if !canonical || rest.get(i) != Some(&b'\r') || rest.len() < i + 2 {
        return None;
    }
    Some((len, i + 2))
}

/// The bytes of one argument range.
pub fn arg_bytes(buf: &[u8], range: (usize, usize)) -> &[u8] {
    &buf[range.0..range.0 + range.1]
}

/// The arguments of a parsed command as slices of `buf`.
pub fn args_of<'a>(buf: &'a [u8], args: &'a ArgRanges) -> impl Iterator<Item = &'a [u8]> + 'a {
    args.iter().map(move |&r| arg_bytes(buf, r))
}
