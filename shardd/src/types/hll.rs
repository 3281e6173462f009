//! The HyperLogLog encoding, byte-compatible with Redis 7's, so a value
//! written by PFADD reads back as the same string and counts the same.
//!
//! Layout (all in one string value):
//! - a 16-byte header: `HYLL`, the encoding (0 dense, 1 sparse), three
//!   unused bytes, and the cached cardinality as 8 little-endian bytes whose
//!   top bit marks the cache stale;
//! - 16384 registers of 6 bits. Dense packs them least significant bit
//!   first (12288 bytes). Sparse run-length codes them with three opcodes:
//!   `00xxxxxx` (1-64 zero registers), `01xxxxxx yyyyyyyy` (1-16384 zero
//!   registers) and `1vvvvvxx` (1-4 registers of value 1-32).
//!
//! An element hashes with MurmurHash64A (seed `0xadc83b19`); the low 14
//! bits pick the register, and the register keeps the largest "position of
//! the first 1 bit" seen in the remaining 50 bits. The cardinality comes
//! from the histogram of register values with Ertl's estimator ("New
//! cardinality estimation algorithms for HyperLogLog sketches", 2017), as
//! Redis 7 computes it, so counts agree exactly.
//!
//! Sparse stays sparse until a register needs a value above 32 or the value
//! would pass `hll-sparse-max-bytes` in force ([`crate::settings`];
//! [`SPARSE_MAX_BYTES`] by default); then it becomes dense for good.

/// Bits of the hash that select the register.
const P_BITS: u32 = 14;
/// Number of registers.
pub const REGISTERS: usize = 1 << P_BITS;
/// Bits of the hash left for the run of zeros.
const Q_BITS: usize = 64 - P_BITS as usize;
/// Header length in bytes.
pub const HEADER_BYTES: usize = 16;
/// Length of a dense value in bytes.
pub const DENSE_BYTES: usize = HEADER_BYTES + REGISTERS * 6 / 8;
/// Largest sparse value (header included) before it turns dense, by
/// default (`hll-sparse-max-bytes`).
pub const SPARSE_MAX_BYTES: usize = 3000;
/// Seed Redis hashes elements with.
const HASH_SEED: u64 = 0xadc8_3b19;

const ENCODING_DENSE: u8 = 0;
const ENCODING_SPARSE: u8 = 1;
const CACHE_STALE_BIT: u8 = 0x80;

const ZERO_MAX_LEN: usize = 64;
const XZERO_MAX_LEN: usize = 16384;
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;

/// A structurally broken value (Redis: `INVALIDOBJ Corrupted HLL object detected`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// MurmurHash64A (Austin Appleby's 64-bit MurmurHash2, little-endian reads).
pub fn murmurhash64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut k = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element goes to and the value it offers (1..=51).
pub fn register_and_rank(element: &[u8]) -> (usize, u8) {
    let h = murmurhash64a(element, HASH_SEED);
    let index = (h & (REGISTERS as u64 - 1)) as usize;
    let rest = (h >> P_BITS) | (1u64 << Q_BITS);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Whether `b` is a value PFADD/PFCOUNT/PFMERGE accept (Redis's
/// `isHLLObjectOrReply`: magic, known encoding, exact dense length).
pub fn is_valid(b: &[u8]) -> bool {
    b.len() >= HEADER_BYTES
        && &b[..4] == b"HYLL"
        && match b[4] {
            ENCODING_DENSE => b.len() == DENSE_BYTES,
            ENCODING_SPARSE => true,
            _ => false,
        }
}

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let bit = i * 6;
    let (b, fb) = (bit / 8, bit % 8);
    let lo = regs[b] >> fb;
    let hi = regs
        .get(b + 1)
        .map_or(0, |&x| x.checked_shl(8 - fb as u32).unwrap_or(0));
    (lo | hi) & 63
}

fn dense_set(regs: &mut [u8], i: usize, v: u8) {
    let bit = i * 6;
    let (b, fb) = (bit / 8, bit % 8);
    regs[b] &= !(63u8 << fb);
    regs[b] |= v << fb;
    if fb > 2 {
        let hi_bits = fb as u32 - 2; // bits that spill into the next byte
        let mask = (1u8 << hi_bits) - 1;
        regs[b + 1] &= !mask;
        regs[b + 1] |= v >> (8 - fb);
    }
}

/// One sparse opcode, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// A run of zero registers; `wide` for the two-byte XZERO form.
    Zero { len: usize, wide: bool },
    /// A run of registers holding `value`.
    Val { value: u8, len: usize },
}

impl Op {
    fn decode(b: &[u8]) -> Result<Op, Corrupt> {
        let first = *b.first().ok_or(Corrupt)?;
        Ok(match first & 0xc0 {
            0x00 => Op::Zero {
                len: (first & 0x3f) as usize + 1,
                wide: false,
            },
            0x40 => {
                let second = *b.get(1).ok_or(Corrupt)?;
                Op::Zero {
                    len: (((first & 0x3f) as usize) << 8 | second as usize) + 1,
                    wide: true,
                }
            }
            _ => Op::Val {
                value: ((first >> 2) & 0x1f) + 1,
                len: (first & 3) as usize + 1,
            },
        })
    }

    fn bytes(self) -> usize {
        match self {
            Op::Zero { wide: true, .. } => 2,
            _ => 1,
        }
    }

    fn len(self) -> usize {
        match self {
            Op::Zero { len, .. } | Op::Val { len, .. } => len,
        }
    }

    /// Appends the encoding of a zero run (ZERO or XZERO by length).
    fn push_zeros(out: &mut Vec<u8>, len: usize) {
        if len > ZERO_MAX_LEN {
            let l = len - 1;
            out.push((l >> 8) as u8 | 0x40);
            out.push((l & 0xff) as u8);
        } else {
            out.push((len - 1) as u8);
        }
    }

    fn val_byte(value: u8, len: usize) -> u8 {
        0x80 | ((value - 1) << 2) | (len - 1) as u8
    }
}

/// Calls `f(first_register, op)` for each opcode of a sparse body; fails if
/// the runs do not cover exactly the 16384 registers.
fn walk_sparse(body: &[u8], mut f: impl FnMut(usize, Op)) -> Result<(), Corrupt> {
    let (mut pos, mut reg) = (0, 0);
    while pos < body.len() {
        let op = Op::decode(&body[pos..])?;
        if reg + op.len() > REGISTERS {
            return Err(Corrupt);
        }
        f(reg, op);
        reg += op.len();
        pos += op.bytes();
    }
    if reg == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

mod sketch;

pub use sketch::{count_registers, Hll};
