//! Reading (`strtold` with Redis's `string2ld` checks) and printing
//! (`%.17Lf`, trailing zeros cut) of [`LongDouble`].

use super::{div_to_u128, BigUint, Kind, LongDouble, MAX_CHARS};

/// Decimal exponents past these are certainly out of range (the largest
/// finite value is about 1.19e4932, the smallest subnormal 3.65e-4951).
const DEC_EXP_OVERFLOW: i64 = 4933;
const DEC_EXP_UNDERFLOW: i64 = -4952;

/// A number's digits as read: `digits * base^(-frac_digits) * 2or10^exp`.
struct Parsed {
    neg: bool,
    hex: bool,
    /// Significant digits, leading zeros removed.
    digits: Vec<u8>,
    /// Digits after the point (among those kept).
    frac_digits: i64,
    /// The explicit exponent (saturated).
    exp: i64,
}

fn digit_value(c: u8, hex: bool) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' if hex => Some(c - b'a' + 10),
        b'A'..=b'F' if hex => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Splits `s` into sign, mantissa digits and exponent, requiring the whole
/// input to be one number as `strtold` reads it.
fn lex(s: &[u8]) -> Option<Parsed> {
    let (neg, mut s) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let hex = s.len() > 2 && s[0] == b'0' && (s[1] | 0x20) == b'x';
    if hex {
        s = &s[2..];
    }
    let (mut digits, mut frac_digits, mut seen_digit, mut seen_point) =
        (Vec::new(), 0i64, false, false);
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        if c == b'.' && !seen_point {
            seen_point = true;
        } else if let Some(d) = digit_value(c, hex) {
            seen_digit = true;
            if !(digits.is_empty() && d == 0) {
                digits.push(d);
            }
            // Every digit after the point scales the value, kept or not.
            if seen_point {
                frac_digits += 1;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !seen_digit {
        return None;
    }
    let exp = match s.get(i) {
        None => 0,
        Some(&c) if (hex && (c | 0x20) == b'p') || (!hex && (c | 0x20) == b'e') => {
            lex_exp(&s[i + 1..])?
        }
        Some(_) => return None,
    };
    Some(Parsed {
        neg,
        hex,
        digits,
        frac_digits,
        exp,
    })
}

/// The exponent digits after `e`/`p`: the rest of the input must be one.
fn lex_exp(s: &[u8]) -> Option<i64> {
    let (neg, s) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = s.iter().fold(0i64, |acc, &c| {
        (acc * 10 + (c - b'0') as i64).min(1_000_000_000_000)
    });
    Some(if neg { -v } else { v })
}

fn to_big(digits: &[u8], base: u32) -> BigUint {
    let mut n = BigUint::from_u128(0);
    let per_chunk = if base == 16 { 7 } else { 9 };
    for chunk in digits.chunks(per_chunk) {
        let v = chunk.iter().fold(0u32, |acc, &d| acc * base + d as u32);
        n.mul_add_small(base.pow(chunk.len() as u32), v);
    }
    n
}

impl LongDouble {
    /// Parses `b` as Redis's `string2ld` accepts a float: all of it must be
    /// one `strtold` number (decimal or hex, `inf`/`infinity` allowed), not
    /// NaN, not overflowing, and not a non-zero number that rounds to zero.
    pub fn parse(b: &[u8]) -> Option<LongDouble> {
        if b.is_empty() || b.len() >= MAX_CHARS {
            return None;
        }
        let (neg, rest) = match b[0] {
            b'-' => (true, &b[1..]),
            b'+' => (false, &b[1..]),
            _ => (false, b),
        };
        if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
            return Some(LongDouble {
                neg,
                kind: Kind::Inf,
            });
        }
        let p = lex(b)?;
        if p.digits.is_empty() {
            return Some(LongDouble {
                neg: p.neg,
                kind: Kind::Zero,
            });
        }
        let v = if p.hex {
            from_hex(&p)
        } else {
            from_decimal(&p)?
        };
        match v.kind {
            Kind::Finite { .. } => Some(v),
            _ => None,
        }
    }

    /// The text INCRBYFLOAT stores: `%.17Lf` with trailing zeros and a
    /// trailing point removed, and `-0` written `0`.
    pub fn to_human_string(self) -> Vec<u8> {
        let body = match self.kind {
            Kind::Zero => "0".to_string(),
            Kind::Inf => "inf".to_string(),
            Kind::Finite { mant, exp } if exp >= 0 => BigUint::from_u128(mant as u128)
                .shl(exp as u64)
                .to_decimal(),
            Kind::Finite { mant, exp } => fixed17(mant, -exp),
        };
        let mut s = if self.neg { format!("-{body}") } else { body };
        if s == "-0" {
            s = "0".into();
        }
        s.into_bytes()
    }
}

fn from_hex(p: &Parsed) -> LongDouble {
    let n = to_big(&p.digits, 16);
    let (top, shift, sticky) = n.top128();
    let e = shift as i64 + p.exp - 4 * p.frac_digits;
    LongDouble::round(p.neg, top, e.clamp(-(1 << 40), 1 << 40), sticky)
}

fn from_decimal(p: &Parsed) -> Option<LongDouble> {
    let e10 = p.exp - p.frac_digits;
    let nd = p.digits.len() as i64;
    if nd - 1 + e10 > DEC_EXP_OVERFLOW || nd + e10 < DEC_EXP_UNDERFLOW {
        return None;
    }
    let mut n = to_big(&p.digits, 10);
    if e10 >= 0 {
        n.mul_pow10(e10 as u32);
        let (top, shift, sticky) = n.top128();
        return Some(LongDouble::round(p.neg, top, shift as i64, sticky));
    }
    let mut den = BigUint::from_u128(1);
    den.mul_pow10((-e10) as u32);
    let s = (den.bit_len() as i64 - n.bit_len() as i64 + 127).max(0) as u64;
    let (q, sticky) = div_to_u128(&n.shl(s), &den);
    Some(LongDouble::round(p.neg, q, -(s as i64), sticky))
}

/// `mant / 2^k` rounded (ties to even) to 17 decimals, trailing zeros cut.
fn fixed17(mant: u64, k: i64) -> String {
    const SCALE: u128 = 100_000_000_000_000_000;
    let n = mant as u128 * SCALE; // below 2^121
    let q = if k >= 122 {
        0
    } else {
        let (q, rem) = (n >> k, n & ((1u128 << k) - 1));
        let half = 1u128 << (k - 1);
        q + (rem > half || (rem == half && q & 1 == 1)) as u128
    };
    let mut s = format!("{}.{:017}", q / SCALE, q % SCALE);
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s
}
