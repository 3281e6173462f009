//! Inline requests (`SET a "b c"` typed into telnet), split exactly as
//! Redis's `sdssplitargs` does: blanks separate arguments, `"..."` takes
//! the escapes `\n \r \t \b \a \xHH \<any>`, `'...'` takes only `\'`, and a
//! closing quote must be followed by a blank or the end of the line.
//!
//! Unescaping never makes an argument longer than its source, so arguments
//! are written back into the line itself, front to back (the write position
//! never passes the read position), and returned as ranges like multibulk
//! arguments: one code path for the caller, no allocation here.

use super::{ArgRanges, ProtocolError};

/// C's `isspace` in the "C" locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The byte at `i`, or 0 past the end (the C string's terminator).
fn at(line: &[u8], i: usize) -> u8 {
    line.get(i).copied().unwrap_or(0)
}

/// Splits `line` (without its line ending) into arguments, unescaping them
/// in place. Like the C original, the line ends at its first NUL byte.
pub(super) fn split_args(line: &mut [u8]) -> Result<ArgRanges, ProtocolError> {
    let end = memchr::memchr(0, line).unwrap_or(line.len());
    let line = &mut line[..end];
    let mut args = ArgRanges::new();
    let mut read = 0;
    let mut write = 0;
    loop {
        while read < line.len() && is_space(line[read]) {
            read += 1;
        }
        if read >= line.len() {
            return Ok(args);
        }
        let start = write;
        read = split_token(line, read, &mut write)?;
        args.push((start, write - start));
    }
}

/// Where a token is: outside quotes, inside `"..."` or inside `'...'`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    None,
    Double,
    Single,
}

/// Reads one token starting at `read`, writing its bytes at `*write`;
/// returns the read position after it.
fn split_token(
    line: &mut [u8],
    mut read: usize,
    write: &mut usize,
) -> Result<usize, ProtocolError> {
    let mut quote = Quote::None;
    loop {
        debug_assert!(*write <= read);
        let c = at(line, read);
        let mut out = None;
        let mut done = false;
        match quote {
            Quote::Double => {
                let next = at(line, read + 1);
                if c == b'\\' && next == b'x' {
                    if let (Some(hi), Some(lo)) =
                        (hex_value(at(line, read + 2)), hex_value(at(line, read + 3)))
                    {
                        out = Some(hi * 16 + lo);
                        read += 3;
                    } else {
                        read += 1;
                        out = Some(b'x');
                    }
                } else if c == b'\\' && next != 0 {
                    read += 1;
                    out = Some(match next {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    close_quote(next)?;
                    done = true;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    out = Some(c);
                }
            }
            Quote::Single => {
                let next = at(line, read + 1);
                if c == b'\\' && next == b'\'' {
                    read += 1;
                    out = Some(b'\'');
                } else if c == b'\'' {
                    close_quote(next)?;
                    done = true;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    out = Some(c);
                }
            }
            Quote::None => match c {
                b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                b'"' => quote = Quote::Double,
                b'\'' => quote = Quote::Single,
                _ => out = Some(c),
            },
        }
        if let Some(b) = out {
            line[*write] = b;
            *write += 1;
        }
        if at(line, read) != 0 {
            read += 1;
        }
        if done {
            return Ok(read);
        }
    }
}

/// A closing quote must be followed by a blank or the end of the line.
fn close_quote(next: u8) -> Result<(), ProtocolError> {
    if next != 0 && !is_space(next) {
        return Err(ProtocolError::UnbalancedQuotes);
    }
    Ok(())
}
