//! Number and range parsing for sorted-set commands, matching what Redis
//! accepts through C's `strtod`: hex floats, `inf`/`infinity`, and two
//! strictness levels (scores and weights refuse overflow and leading
//! spaces; range bounds do not).

use crate::commands::CmdError;

/// `strtod` on the whole of `s`: the value and whether it was out of range
/// (overflow to infinity, or underflow to zero). `None` if `s` is not a
/// number or has trailing bytes. NaN is refused.
fn strtod(s: &[u8]) -> Option<(f64, bool)> {
    let text = std::str::from_utf8(s).ok()?;
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let v = if lower == "inf" || lower == "infinity" {
        return Some((
            if neg {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            false,
        ));
    } else if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex(hex)?
    } else {
        // Rust's grammar is strtod's decimal one, minus what we handled above.
        if lower.starts_with(['i', 'n']) || lower.contains(['i', 'n']) {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    let mantissa_nonzero = lower.split(['e', 'p']).next().is_some_and(|m| {
        m.bytes()
            .any(|c| c.is_ascii_hexdigit() && c != b'0' && c != b'x')
    });
    let erange = v.is_infinite() || (v == 0.0 && mantissa_nonzero);
    Some((if neg { -v } else { v }, erange))
}

/// A hex float body after `0x`: hex digits, optional `.` fraction, optional
/// `p` binary exponent (C99's `%a` form; SORT's `strtod` reads it too).
pub(crate) fn parse_hex(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// A score, increment or weight as Redis's `getDoubleFromObject` reads it.
pub(crate) fn parse_score(b: &[u8]) -> Option<f64> {
    if b.first().is_none_or(|c| c.is_ascii_whitespace()) {
        return None;
    }
    match strtod(b)? {
        (_, true) => None,
        (v, false) => Some(v),
    }
}

/// `parse_score` or "ERR value is not a valid float".
pub(crate) fn score_arg(b: &[u8]) -> Result<f64, CmdError> {
    parse_score(b).ok_or(CmdError::NotFloat)
}

/// One end of a score range.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScoreBound {
    pub value: f64,
    pub exclusive: bool,
}

/// A score range `min..max` as ZRANGEBYSCORE and friends take it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct ScoreRange {
    pub min: ScoreBound,
    pub max: ScoreBound,
}

fn score_bound(b: &[u8]) -> Option<ScoreBound> {
    let (exclusive, num) = match b.split_first() {
        Some((b'(', rest)) => (true, rest),
        _ => (false, b),
    };
    // zslParseRange: plain strtod, so spaces lead, overflow is fine, and
    // an empty string reads as 0.
    let start = num
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(num.len());
    let num = &num[start..];
    let value = if num.is_empty() { 0.0 } else { strtod(num)?.0 };
    Some(ScoreBound { value, exclusive })
}

impl ScoreRange {
    /// Parses `min max`, or "ERR min or max is not a float".
    pub fn parse(min: &[u8], max: &[u8]) -> Result<Self, CmdError> {
        let err = || CmdError::Other("ERR min or max is not a float".into());
        Ok(ScoreRange {
            min: score_bound(min).ok_or_else(err)?,
            max: score_bound(max).ok_or_else(err)?,
        })
    }

    /// Whether a score is above the lower bound.
    pub fn above_min(&self, s: f64) -> bool {
        if self.min.exclusive {
            s > self.min.value
        } else {
            s >= self.min.value
        }
    }

    /// Whether a score is below the upper bound.
    pub fn below_max(&self, s: f64) -> bool {
        if self.max.exclusive {
            s < self.max.value
        } else {
            s <= self.max.value
        }
    }
}

/// One end of a lex range.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LexBound<'a> {
    /// `-`: below every member.
    Min,
    /// `+`: above every member.
    Max,
    /// `[x` (inclusive) or `(x` (exclusive).
    At(&'a [u8], bool),
}

/// A lex range `min..max` as ZRANGEBYLEX and friends take it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LexRange<'a> {
    pub min: LexBound<'a>,
    pub max: LexBound<'a>,
}

fn lex_bound(b: &[u8]) -> Option<LexBound<'_>> {
    match b.split_first()? {
        (b'-', []) => Some(LexBound::Min),
        (b'+', []) => Some(LexBound::Max),
        (b'[', rest) => Some(LexBound::At(rest, false)),
        (b'(', rest) => Some(LexBound::At(rest, true)),
        _ => None,
    }
}

impl<'a> LexRange<'a> {
    /// Parses `min max`, or "ERR min or max not valid string range item".
    pub fn parse(min: &'a [u8], max: &'a [u8]) -> Result<Self, CmdError> {
        let err = || CmdError::Other("ERR min or max not valid string range item".into());
        Ok(LexRange {
            min: lex_bound(min).ok_or_else(err)?,
            max: lex_bound(max).ok_or_else(err)?,
        })
    }

    /// Whether no member can be in the range (min above max).
    pub fn is_empty(&self) -> bool {
        match (&self.min, &self.max) {
            (LexBound::Max, _) | (_, LexBound::Min) => true,
            (LexBound::At(a, ea), LexBound::At(b, eb)) => a > b || (a == b && (*ea || *eb)),
            _ => false,
        }
    }

    /// Whether `m` is below the lower bound (so before the range).
    pub fn below_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::At(x, excl) => {
                if *excl {
                    m <= *x
                } else {
                    m < *x
                }
            }
        }
    }

    /// Whether `m` is within the upper bound.
    pub fn below_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::At(x, excl) => {
                if *excl {
                    m < *x
                } else {
                    m <= *x
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_parse_like_get_double_from_object() {
        assert_eq!(parse_score(b"1.5"), Some(1.5));
        assert_eq!(parse_score(b"0x10"), Some(16.0));
        assert_eq!(parse_score(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_score(b"Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_score(b"+.5"), Some(0.5));
        assert_eq!(parse_score(b"1e-310"), Some(1e-310));
        for bad in [
            &b"nan"[..],
            b"1e400",
            b"1e-400",
            b" 1",
            b"",
            b"1x",
            b"abc",
            b"1e",
            b"in",
        ] {
            assert_eq!(parse_score(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn score_bounds_accept_what_strtod_does() {
        let r = ScoreRange::parse(b"(1", b"1e400").unwrap();
        assert!(r.min.exclusive && r.max.value.is_infinite());
        let r = ScoreRange::parse(b"(", b" 2").unwrap();
        assert_eq!((r.min.value, r.max.value), (0.0, 2.0));
        assert!(ScoreRange::parse(b"10abc", b"1").is_err());
        assert!(ScoreRange::parse(b"1", b"nan").is_err());
    }

    #[test]
    fn lex_bounds_need_a_prefix() {
        assert!(LexRange::parse(b"[", b"+").is_ok());
        assert!(LexRange::parse(b"a", b"+").is_err());
        assert!(LexRange::parse(b"-x", b"+").is_err());
        assert!(LexRange::parse(b"", b"+").is_err());
    }
}
