//! Software x87 80-bit extended precision, just enough for INCRBYFLOAT to
//! reply exactly as Redis does on x86-64, where it computes with C's
//! `long double`: parse like `strtold` (decimal and hex forms, correctly
//! rounded), add with round-to-nearest-even, print like `%.17Lf`.
//!
//! A value is `mant * 2^exp` with a 64-bit significand whose top bit is set
//! (normal), or `exp == EXP_MIN` with the top bit clear (subnormal).

mod bignum;

use bignum::{div_to_u128, BigUint};

/// Smallest exponent: the subnormal step is 2^-16445.
const EXP_MIN: i64 = -16445;
/// Largest exponent of a finite value (about 1.19e4932).
const EXP_MAX: i64 = 16320;
/// Redis refuses float strings this long or longer (`MAX_LONG_DOUBLE_CHARS`).
const MAX_CHARS: usize = 5 * 1024;

/// An 80-bit extended precision number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    neg: bool,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Zero,
    Finite { mant: u64, exp: i64 },
    Inf,
}

impl LongDouble {
    /// +0.
    pub const ZERO: LongDouble = LongDouble {
        neg: false,
        kind: Kind::Zero,
    };

    /// Whether the value is not infinite.
    pub fn is_finite(self) -> bool {
        self.kind != Kind::Inf
    }

    /// The value nearest to `(m + sticky) * 2^e`, where `sticky` stands for
    /// a positive amount below one unit of `m`; ties go to even.
    fn round(neg: bool, m: u128, e: i64, sticky: bool) -> LongDouble {
        if m == 0 {
            return LongDouble {
                neg,
                kind: Kind::Zero,
            };
        }
        let len = 128 - m.leading_zeros() as i64;
        let mut shift = len - 64;
        if e + shift < EXP_MIN {
            shift = EXP_MIN - e;
        }
        let (mut q, mut exp) = (0u128, e + shift);
        if shift <= 0 {
            q = m << -shift;
        } else if shift <= 128 {
            let rem = if shift == 128 {
                m
            } else {
                m & ((1u128 << shift) - 1)
            };
            q = if shift == 128 { 0 } else { m >> shift };
            let half = 1u128 << (shift - 1);
            if rem > half || (rem == half && (sticky || q & 1 == 1)) {
                q += 1;
            }
            if q >> 64 != 0 {
                q >>= 1;
                exp += 1;
            }
        }
        if q == 0 {
            return LongDouble {
                neg,
                kind: Kind::Zero,
            };
        }
        if exp > EXP_MAX {
            return LongDouble {
                neg,
                kind: Kind::Inf,
            };
        }
        LongDouble {
            neg,
            kind: Kind::Finite {
                mant: q as u64,
                exp,
            },
        }
    }

    /// The correctly rounded sum (an infinite or undefined sum is `Inf`).
    pub fn add(self, o: LongDouble) -> LongDouble {
        match (self.kind, o.kind) {
            (Kind::Inf, _) => self,
            (_, Kind::Inf) => o,
            (Kind::Zero, Kind::Zero) if self.neg && o.neg => self,
            (Kind::Zero, Kind::Zero) => LongDouble::ZERO,
            (Kind::Zero, _) => o,
            (_, Kind::Zero) => self,
            (Kind::Finite { mant: ma, exp: ea }, Kind::Finite { mant: mb, exp: eb }) => {
                if ea >= eb {
                    add_finite((self.neg, ma, ea), (o.neg, mb, eb))
                } else {
                    add_finite((o.neg, mb, eb), (self.neg, ma, ea))
                }
            }
        }
    }
}

/// `a + b` for finite non-zero (sign, significand, exponent) with `a`'s
/// exponent the larger.
fn add_finite(a: (bool, u64, i64), b: (bool, u64, i64)) -> LongDouble {
    // 62 guard bits below the significands leave room for the carry.
    let big = (a.1 as u128) << 62;
    let small_full = (b.1 as u128) << 62;
    let d = (a.2 - b.2) as u64;
    let (small, sticky) = if d >= 127 {
        (0, true)
    } else {
        (small_full >> d, small_full & ((1u128 << d) - 1) != 0)
    };
    let e = a.2 - 62;
    if a.0 == b.0 {
        return LongDouble::round(a.0, big + small, e, sticky);
    }
    if sticky {
        // Bits were lost only if `b` is far below `a`: borrow one unit and
        // let the sticky bit stand for the rest.
        return LongDouble::round(a.0, big - small - 1, e, true);
    }
    match big.cmp(&small) {
        std::cmp::Ordering::Equal => LongDouble::ZERO,
        std::cmp::Ordering::Greater => LongDouble::round(a.0, big - small, e, false),
        std::cmp::Ordering::Less => LongDouble::round(b.0, small - big, e, false),
    }
}

mod text;

#[cfg(test)]
mod tests;
