//! A minimal unsigned big integer for exact decimal/binary conversion of
//! extended-precision floats (parse and print). Little-endian 32-bit limbs,
//! always trimmed of high zero limbs.

use std::cmp::Ordering;

/// An unsigned integer of any size.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BigUint {
    limbs: Vec<u32>,
}

impl BigUint {
    /// `v`.
    pub fn from_u128(mut v: u128) -> Self {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        BigUint { limbs }
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    /// `self = self * m + add`.
    pub fn mul_add_small(&mut self, m: u32, add: u32) {
        let mut carry = add as u64;
        for l in &mut self.limbs {
            let v = *l as u64 * m as u64 + carry;
            *l = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    /// `self *= 10^n`.
    pub fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_add_small(1_000_000_000, 0);
            n -= 9;
        }
        self.mul_add_small(10u32.pow(n), 0);
    }

    /// Divides by `d` in place; returns the remainder.
    pub fn div_small(&mut self, d: u32) -> u32 {
        let mut rem = 0u64;
        for l in self.limbs.iter_mut().rev() {
            let cur = (rem << 32) | *l as u64;
            *l = (cur / d as u64) as u32;
            rem = cur % d as u64;
        }
        self.trim();
        rem as u32
    }

    /// Number of significant bits.
    pub fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(&top) => self.limbs.len() as u64 * 32 - top.leading_zeros() as u64,
        }
    }

    /// Bit `i` (0 = least significant).
    pub fn bit(&self, i: u64) -> bool {
        self.limbs
            .get((i / 32) as usize)
            .is_some_and(|l| (l >> (i % 32)) & 1 == 1)
    }

    /// `self << n`.
    pub fn shl(&self, n: u64) -> Self {
        if self.is_zero() {
            return self.clone();
        }
        let (words, bits) = ((n / 32) as usize, (n % 32) as u32);
        let mut limbs = vec![0u32; words];
        let mut carry = 0u32;
        for &l in &self.limbs {
            limbs.push((l << bits) | carry);
            carry = if bits == 0 { 0 } else { l >> (32 - bits) };
        }
        limbs.push(carry);
        let mut r = BigUint { limbs };
        r.trim();
        r
    }

    /// `self >>= 1`.
    pub fn shr1(&mut self) {
        let mut carry = 0u32;
        for l in self.limbs.iter_mut().rev() {
            let next = *l & 1;
            *l = (*l >> 1) | (carry << 31);
            carry = next;
        }
        self.trim();
    }

    /// `self -= o`; `o` must not be larger.
    pub fn sub_assign(&mut self, o: &BigUint) {
        let mut borrow = 0i64;
        for (i, l) in self.limbs.iter_mut().enumerate() {
            let v = *l as i64 - o.limbs.get(i).copied().unwrap_or(0) as i64 - borrow;
            borrow = (v < 0) as i64;
            *l = v.rem_euclid(1 << 32) as u32;
        }
        debug_assert_eq!(borrow, 0, "subtrahend larger than minuend");
        self.trim();
    }

    /// The top 128 bits (right-aligned) and whether any bit below them is set,
    /// with the shift applied: `self ≈ top << shift`.
    pub fn top128(&self) -> (u128, u64, bool) {
        let len = self.bit_len();
        let shift = len.saturating_sub(128);
        let mut top = 0u128;
        for i in (shift..len).rev() {
            top = (top << 1) | self.bit(i) as u128;
        }
        let sticky = (0..shift).any(|i| self.bit(i));
        (top, shift, sticky)
    }

    /// Decimal digits (`"0"` for zero).
    pub fn to_decimal(&self) -> String {
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            chunks.push(n.div_small(1_000_000_000));
        }
        let mut s = chunks
            .pop()
            .map_or_else(|| "0".to_string(), |c| c.to_string());
        for c in chunks.iter().rev() {
            s.push_str(&format!("{c:09}"));
        }
        s
    }
}

impl PartialOrd for BigUint {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for BigUint {
    fn cmp(&self, o: &Self) -> Ordering {
        self.limbs
            .len()
            .cmp(&o.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(o.limbs.iter().rev()))
    }
}

/// `floor(n / d)` (which must fit in 128 bits) and whether a remainder is left.
pub fn div_to_u128(n: &BigUint, d: &BigUint) -> (u128, bool) {
    let mut rem = n.clone();
    let mut sub = d.shl(127);
    let mut q = 0u128;
    for i in (0..128).rev() {
        if rem >= sub {
            rem.sub_assign(&sub);
            q |= 1u128 << i;
        }
        sub.shr1();
    }
    (q, !rem.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_round_trip_and_division() {
        let mut n = BigUint::from_u128(0);
        for d in "123456789012345678901234567890".bytes() {
            n.mul_add_small(10, (d - b'0') as u32);
        }
        assert_eq!(n.to_decimal(), "123456789012345678901234567890");
        let mut p = BigUint::from_u128(1);
        p.mul_pow10(20);
        assert_eq!(p.to_decimal(), "100000000000000000000");
        assert_eq!(div_to_u128(&n, &p), (1234567890, true));
        let v: u128 = 123456789012345678901234567890;
        assert_eq!(n.shl(200).top128(), (v << 31, 169, false));
        assert!(!n.shl(200).shl(0).top128().2);
        let mut odd = n.shl(200);
        odd.mul_add_small(1, 1);
        assert!(odd.top128().2);
        assert_eq!(BigUint::from_u128(0).to_decimal(), "0");
    }
}
