//! Placeholder: f64 arithmetic printed as `%.17Lf` with trailing zeros cut.
//! (To be replaced by an 80-bit extended precision implementation.)

use super::super::parse_f64;

/// A number as INCRBYFLOAT keeps it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LongDouble(f64);

impl LongDouble {
    /// Zero.
    pub const ZERO: LongDouble = LongDouble(0.0);

    /// Parses a float as Redis's `string2ld` does.
    pub fn parse(b: &[u8]) -> Option<LongDouble> {
        parse_f64(b).map(LongDouble)
    }

    /// The rounded sum.
    pub fn add(self, o: LongDouble) -> LongDouble {
        LongDouble(self.0 + o.0)
    }

    /// Whether the value is neither infinite nor NaN.
    pub fn is_finite(self) -> bool {
        self.0.is_finite()
    }

    /// `%.17Lf` with trailing zeros (and a trailing dot) removed, "-0" as "0".
    pub fn to_human_string(self) -> Vec<u8> {
        let mut s = format!("{:.17}", self.0);
        if s.contains('.') {
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
        if s == "-0" {
            s = "0".into();
        }
        s.into_bytes()
    }
}
