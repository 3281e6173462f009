//! [`Hll`]: one HyperLogLog value being read or changed, and the
//! cardinality estimate.

use super::{
    dense_get, dense_set, is_valid, register_and_rank, walk_sparse, Corrupt, Op, CACHE_STALE_BIT,
    DENSE_BYTES, ENCODING_DENSE, ENCODING_SPARSE, HEADER_BYTES, Q_BITS, REGISTERS, VAL_MAX_LEN,
    VAL_MAX_VALUE, XZERO_MAX_LEN,
};

/// A HyperLogLog value: the whole string, header included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hll {
    bytes: Vec<u8>,
}

impl Default for Hll {
    fn default() -> Self {
        Self::new()
    }
}

impl Hll {
    /// An empty sketch as PFADD creates it: sparse, one XZERO run, cached
    /// cardinality 0.
    pub fn new() -> Self {
        let mut bytes = Vec::with_capacity(HEADER_BYTES + 2);
        bytes.extend_from_slice(b"HYLL");
        bytes.push(ENCODING_SPARSE);
        bytes.extend_from_slice(&[0; 11]);
        Op::push_zeros(&mut bytes, XZERO_MAX_LEN);
        Hll { bytes }
    }

    /// The sketch stored in `b`, or `None` if `b` is not a valid HLL value.
    pub fn from_bytes(b: &[u8]) -> Option<Self> {
        is_valid(b).then(|| Hll { bytes: b.to_vec() })
    }

    /// The string value to store.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The string value.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Whether the registers are stored dense.
    pub fn is_dense(&self) -> bool {
        self.bytes[4] == ENCODING_DENSE
    }

    /// The cached cardinality, if it is still valid.
    pub fn cached_count(&self) -> Option<u64> {
        let card: [u8; 8] = self.bytes[8..16].try_into().ok()?;
        (card[7] & CACHE_STALE_BIT == 0).then(|| u64::from_le_bytes(card))
    }

    /// Stores `n` as the cached cardinality.
    pub fn set_cached_count(&mut self, n: u64) {
        self.bytes[8..16].copy_from_slice(&n.to_le_bytes());
    }

    /// Marks the cached cardinality stale.
    pub fn invalidate_cache(&mut self) {
        self.bytes[15] |= CACHE_STALE_BIT;
    }

    /// Adds an element; true if a register changed.
    pub fn add(&mut self, element: &[u8]) -> Result<bool, Corrupt> {
        let (index, rank) = register_and_rank(element);
        self.set_register(index, rank)
    }

    /// Raises register `index` to `value` if it is lower; true if it changed.
    pub fn set_register(&mut self, index: usize, value: u8) -> Result<bool, Corrupt> {
        if self.is_dense() {
            let regs = &mut self.bytes[HEADER_BYTES..];
            if dense_get(regs, index) >= value {
                return Ok(false);
            }
            dense_set(regs, index, value);
            return Ok(true);
        }
        self.sparse_set(index, value)
    }

    /// Raises each of `max` to this sketch's register where that is higher.
    pub fn merge_into(&self, max: &mut [u8; REGISTERS]) -> Result<(), Corrupt> {
        let body = &self.bytes[HEADER_BYTES..];
        if self.is_dense() {
            for (i, m) in max.iter_mut().enumerate() {
                *m = (*m).max(dense_get(body, i));
            }
            return Ok(());
        }
        walk_sparse(body, |first, op| {
            if let Op::Val { value, len } = op {
                for m in &mut max[first..first + len] {
                    *m = (*m).max(value);
                }
            }
        })
    }

    /// Converts to the dense encoding (no-op if already dense).
    pub fn to_dense(&mut self) -> Result<(), Corrupt> {
        if self.is_dense() {
            return Ok(());
        }
        let mut dense = vec![0u8; DENSE_BYTES];
        dense[..HEADER_BYTES].copy_from_slice(&self.bytes[..HEADER_BYTES]);
        dense[4] = ENCODING_DENSE;
        let regs = &mut dense[HEADER_BYTES..];
        walk_sparse(&self.bytes[HEADER_BYTES..], |first, op| {
            if let Op::Val { value, len } = op {
                for i in first..first + len {
                    dense_set(regs, i, value);
                }
            }
        })?;
        self.bytes = dense;
        Ok(())
    }

    /// The estimated cardinality (ignores the cache).
    pub fn count(&self) -> Result<u64, Corrupt> {
        let mut histo = [0u32; 64];
        let body = &self.bytes[HEADER_BYTES..];
        if self.is_dense() {
            for i in 0..REGISTERS {
                histo[dense_get(body, i) as usize] += 1;
            }
        } else {
            walk_sparse(body, |_, op| match op {
                Op::Zero { len, .. } => histo[0] += len as u32,
                Op::Val { value, len } => histo[value as usize] += len as u32,
            })?;
        }
        Ok(estimate(&histo))
    }

    /// Redis's sparse update: find the opcode holding `index`, split it
    /// around the register, then merge equal neighbouring VAL opcodes.
    fn sparse_set(&mut self, index: usize, value: u8) -> Result<bool, Corrupt> {
        if value > VAL_MAX_VALUE {
            return self.promote(index, value);
        }
        let (prev, at, first, op) = self.find_op(index)?;
        let seq = match op {
            Op::Val { value: cur, .. } if cur >= value => return Ok(false),
            Op::Val { len: 1, .. }
            | Op::Zero {
                len: 1,
                wide: false,
            } => {
                self.bytes[at] = Op::val_byte(value, 1);
                self.merge_vals(prev.unwrap_or(HEADER_BYTES));
                return Ok(true);
            }
            _ => split(op, first, index, value),
        };
        let grow = seq.len() as isize - op.bytes() as isize;
        if grow > 0
            && self.bytes.len() + grow as usize > crate::settings::encoding().hll_sparse_max_bytes
        {
            return self.promote(index, value);
        }
        self.bytes.splice(at..at + op.bytes(), seq);
        self.merge_vals(prev.unwrap_or(HEADER_BYTES));
        Ok(true)
    }

    /// The opcode covering register `index`: (offset of the opcode before
    /// it, its offset, its first register, the opcode).
    fn find_op(&self, index: usize) -> Result<(Option<usize>, usize, usize, Op), Corrupt> {
        let (mut prev, mut at, mut first) = (None, HEADER_BYTES, 0);
        while at < self.bytes.len() {
            let op = Op::decode(&self.bytes[at..])?;
            if index < first + op.len() {
                return Ok((prev, at, first, op));
            }
            prev = Some(at);
            at += op.bytes();
            first += op.len();
        }
        Err(Corrupt)
    }

    /// Merges runs of equal VAL opcodes, looking at up to five opcodes from `from`.
    fn merge_vals(&mut self, from: usize) {
        let mut p = from;
        let mut budget = 5;
        while p < self.bytes.len() && budget > 0 {
            budget -= 1;
            let Ok(op) = Op::decode(&self.bytes[p..]) else {
                return;
            };
            let Op::Val { value, len } = op else {
                p += op.bytes();
                continue;
            };
            if let Some(Ok(Op::Val { value: v2, len: l2 })) =
                self.bytes.get(p + 1..).map(Op::decode)
            {
                if v2 == value && len + l2 <= VAL_MAX_LEN {
                    self.bytes[p + 1] = Op::val_byte(value, len + l2);
                    self.bytes.remove(p);
                    continue;
                }
            }
            p += 1;
        }
    }

    fn promote(&mut self, index: usize, value: u8) -> Result<bool, Corrupt> {
        self.to_dense()?;
        self.set_register(index, value)
    }
}

/// The opcodes replacing `op` (first register `first`) when register
/// `index` takes `value`: the part before, one VAL, the part after.
fn split(op: Op, first: usize, index: usize, value: u8) -> Vec<u8> {
    let last = first + op.len() - 1;
    let mut seq = Vec::with_capacity(5);
    let part = |seq: &mut Vec<u8>, len: usize| match op {
        Op::Zero { .. } => Op::push_zeros(seq, len),
        Op::Val { value: cur, .. } => seq.push(Op::val_byte(cur, len)),
    };
    if index != first {
        part(&mut seq, index - first);
    }
    seq.push(Op::val_byte(value, 1));
    if index != last {
        part(&mut seq, last - index);
    }
    seq
}

/// The estimate for plain registers (PFCOUNT of several keys).
pub fn count_registers(regs: &[u8; REGISTERS]) -> u64 {
    let mut histo = [0u32; 64];
    for &r in regs {
        histo[r as usize & 63] += 1;
    }
    estimate(&histo)
}

/// 1 / (2 ln 2), the same double as Redis's `0.721347520444481703680`.
pub(crate) const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// Ertl's improved raw estimator over the register histogram.
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q_BITS + 1] as f64) / m);
    for &h in histo[1..=Q_BITS].iter().rev() {
        z += h as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    (ALPHA_INF * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

#[cfg(test)]
mod tests;
