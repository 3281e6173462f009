//! The bytes of one entry in a slot's arena (the layout is in the store's
//! docs): its flags and kinds, reading its header, appending it, and the
//! boxes an entry may own.

use std::ptr;

use super::super::{arena::Arena, Value};
use super::inline::inline_parts;
use crate::types::{hash::HashObj, list::ListObj, set::SetObj, stream::StreamObj, zset::ZSetObj};

/// Longest string stored inline in the arena; longer ones get a box.
pub const INLINE_VALUE_MAX_BYTES: usize = 128;

pub(super) const KIND_MASK: u8 = 0x07;
pub(super) const KIND_STR: u8 = 0;
pub(super) const KIND_HASH: u8 = 1;
pub(super) const KIND_LIST: u8 = 2;
pub(super) const KIND_SET: u8 = 3;
pub(super) const KIND_ZSET: u8 = 4;
pub(super) const KIND_BIG_STR: u8 = 5;
pub(super) const KIND_STREAM: u8 = 6;
/// A string Redis would hold `raw` whatever its bytes (see [`StrMark`]).
pub(super) const STR_RAW: u8 = 0x08;
pub(super) const HAS_TTL: u8 = 0x10;
pub(super) const DEAD: u8 = 0x20;
/// A string Redis would never hold `int`-encoded (see [`StrMark`]).
pub(super) const STR_NOT_INT: u8 = 0x40;
/// A string Redis would hold in a private object (see [`StrMark`]).
pub(super) const STR_UNSHARED: u8 = 0x80;
pub(super) const STR_MARKS: u8 = STR_RAW | STR_NOT_INT | STR_UNSHARED;
/// A hash, sorted set, set or list whose packed form sits in the value
/// field (its length after the key's), no box: the bit strings use for
/// `STR_RAW`.
pub(super) const INLINE: u8 = 0x08;
/// A hash, sorted set, set or list that was inline and has been moved
/// into a box by a change: the value field keeps its length, the pointer
/// in its first `PTR_BYTES` and the rest padding (counted dead) until
/// compaction: the bit strings use for `STR_NOT_INT`.
pub(super) const PADDED: u8 = 0x40;

/// Whether entries of `kind` may hold their value inline (packed).
pub(super) fn packable(kind: u8) -> bool {
    matches!(kind, KIND_HASH | KIND_ZSET | KIND_SET | KIND_LIST)
}
pub(super) const PTR_BYTES: usize = 8;
/// Bytes of an entry's clock.
pub(super) const CLOCK_BYTES: usize = 3;
/// The largest clock value (24 bits).
pub const CLOCK_MAX: u32 = (1 << 24) - 1;

pub(super) fn clock_of(b: &[u8], h: &Header) -> u32 {
    let c = &b[h.clock_off..h.clock_off + CLOCK_BYTES];
    u32::from_le_bytes([c[0], c[1], c[2], 0])
}

pub(super) fn write_clock(b: &mut [u8], h: &Header, clock: u32) {
    b[h.clock_off..h.clock_off + CLOCK_BYTES].copy_from_slice(&clock.to_le_bytes()[..CLOCK_BYTES]);
}

/// What a write stores: borrowed string bytes or an owned value.
pub enum Payload<'a> {
    /// String bytes, copied in.
    Bytes(&'a [u8]),
    /// An owned value, moved in.
    Value(Value),
}

/// Where the parts of one entry lie, relative to its offset.
#[derive(Clone, Copy, Debug)]
pub(super) struct Header {
    pub(super) flags: u8,
    /// Offset of the clock (right after flags and expiry).
    pub(super) clock_off: usize,
    pub(super) key_off: usize,
    pub(super) key_len: usize,
    pub(super) val_off: usize,
    /// Bytes of the value field: the string (inline) or `PTR_BYTES`.
    pub(super) field_len: usize,
    /// String length (inline and boxed strings).
    pub(super) str_len: usize,
}

impl Header {
    pub(super) fn kind(&self) -> u8 {
        self.flags & KIND_MASK
    }
    /// A collection held inline (no box).
    pub(super) fn inline_packed(&self) -> bool {
        packable(self.kind()) && self.flags & INLINE != 0
    }
    /// Whether the value field holds a pointer to a box the entry owns.
    pub(super) fn owns_box(&self) -> bool {
        self.kind() != KIND_STR && !self.inline_packed()
    }
    /// Padding in the value field past a pointer (a collection moved out
    /// of line by a change).
    pub(super) fn padding(&self) -> usize {
        match packable(self.kind()) && self.flags & PADDED != 0 {
            true => self.field_len - PTR_BYTES,
            false => 0,
        }
    }
    pub(super) fn size(&self) -> usize {
        self.val_off + self.field_len
    }
}

pub(super) fn read_varint(b: &[u8], pos: &mut usize) -> usize {
    let mut v = 0usize;
    let mut shift = 0;
    loop {
        let byte = b[*pos];
        *pos += 1;
        v |= ((byte & 0x7f) as usize) << shift;
        if byte & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// Bytes [`push_varint`] writes for `v`.
pub(super) fn varint_len(v: usize) -> usize {
    (usize::BITS - (v | 1).leading_zeros()).div_ceil(7) as usize
}

pub(super) fn push_varint(out: &mut Arena, mut v: usize) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Parses the entry at the start of `b`.
pub(super) fn parse(b: &[u8]) -> Header {
    let flags = b[0];
    let clock_off = if flags & HAS_TTL != 0 { 9 } else { 1 };
    let lens_off = clock_off + CLOCK_BYTES;
    let mut pos = lens_off;
    let key_len = read_varint(b, &mut pos);
    let kind = flags & KIND_MASK;
    let sized_packed = packable(kind) && flags & (INLINE | PADDED) != 0;
    let is_str = kind == KIND_STR || kind == KIND_BIG_STR;
    let str_len = if is_str || sized_packed {
        read_varint(b, &mut pos)
    } else {
        0
    };
    let field_len = if kind == KIND_STR || sized_packed {
        str_len
    } else {
        PTR_BYTES
    };
    Header {
        flags,
        clock_off,
        key_off: pos,
        key_len,
        val_off: pos + key_len,
        field_len,
        str_len,
    }
}

pub(super) fn expire_of(b: &[u8], h: &Header) -> Option<u64> {
    if h.flags & HAS_TTL == 0 {
        return None;
    }
    let mut t = [0u8; 8];
    t.copy_from_slice(&b[1..9]);
    Some(u64::from_le_bytes(t))
}

/// The owned pointer in an entry's value field (written by [`push_ptr`]).
pub(super) fn ptr_of(b: &[u8], h: &Header) -> *mut u8 {
    debug_assert!(
        h.owns_box(),
        "inline strings and collections hold no pointer"
    );
    let field = &b[h.val_off..h.val_off + PTR_BYTES];
    // SAFETY: `field` is PTR_BYTES in-bounds bytes; an unaligned read of a
    // pointer from them is allowed, and returns the pointer `push_ptr`
    // stored there with its provenance (arena copies move bytes with
    // `memcpy`, which keeps it).
    unsafe { ptr::read_unaligned(field.as_ptr().cast::<*mut u8>()) }
}

/// Appends `p` as PTR_BYTES bytes that keep its provenance (so miri's
/// strict-provenance mode can follow it).
pub(super) fn push_ptr(arena: &mut Arena, p: *mut u8) {
    debug_assert!(!p.is_null(), "an entry owns a real box");
    let field = arena.extend_zeroed(PTR_BYTES);
    // SAFETY: `field` is PTR_BYTES in-bounds bytes; an unaligned write of a
    // pointer to them is allowed.
    unsafe { ptr::write_unaligned(field.as_mut_ptr().cast::<*mut u8>(), p) };
}

/// Appends an entry; returns its offset. Takes ownership of boxes.
pub(super) fn push_entry(
    arena: &mut Arena,
    key: &[u8],
    payload: Payload<'_>,
    ttl: Option<u64>,
    clock: u32,
) -> usize {
    if let Payload::Value(v) = &payload {
        if let Some((kind, head, body)) = inline_parts(v) {
            // The value's bytes are copied in; its box goes.
            let n = head.as_slice().len() + body.len();
            let off = push_header(arena, kind | INLINE, key, (Some(n), n), ttl, clock);
            arena.extend_from_slice(head.as_slice());
            body.write(arena);
            return off;
        }
    }
    let (kind, ptr, str_len, inline): (u8, *mut u8, usize, &[u8]) = match payload {
        Payload::Value(Value::Str(v)) => {
            if v.len() <= INLINE_VALUE_MAX_BYTES {
                return push_entry(arena, key, Payload::Bytes(&v), ttl, clock);
            }
            let len = v.len();
            (
                KIND_BIG_STR,
                Box::into_raw(v.into_boxed_slice()).cast::<u8>(),
                len,
                &[],
            )
        }
        Payload::Bytes(b) if b.len() > INLINE_VALUE_MAX_BYTES => {
            let boxed: Box<[u8]> = b.into();
            (
                KIND_BIG_STR,
                Box::into_raw(boxed).cast::<u8>(),
                b.len(),
                &[],
            )
        }
        Payload::Bytes(b) => (KIND_STR, ptr::null_mut(), b.len(), b),
        Payload::Value(Value::Hash(o)) => (KIND_HASH, Box::into_raw(o).cast::<u8>(), 0, &[]),
        Payload::Value(Value::List(o)) => (KIND_LIST, Box::into_raw(o).cast::<u8>(), 0, &[]),
        Payload::Value(Value::Set(o)) => (KIND_SET, Box::into_raw(o).cast::<u8>(), 0, &[]),
        Payload::Value(Value::ZSet(o)) => (KIND_ZSET, Box::into_raw(o).cast::<u8>(), 0, &[]),
        Payload::Value(Value::Stream(o)) => (KIND_STREAM, Box::into_raw(o).cast::<u8>(), 0, &[]),
    };
    let is_str = kind == KIND_STR || kind == KIND_BIG_STR;
    let field = if kind == KIND_STR { str_len } else { PTR_BYTES };
    let off = push_header(
        arena,
        kind,
        key,
        (is_str.then_some(str_len), field),
        ttl,
        clock,
    );
    if kind == KIND_STR {
        arena.extend_from_slice(inline);
    } else {
        push_ptr(arena, ptr);
    }
    off
}

/// Appends an entry's flags (`flags`, plus `HAS_TTL` with `ttl`), expiry,
/// clock, key length, value length (`len`, for entries that have one) and
/// key, with room reserved for a value field of `field` bytes; returns
/// the entry's offset. The caller appends the value field.
pub(super) fn push_header(
    arena: &mut Arena,
    flags: u8,
    key: &[u8],
    (len, field): (Option<usize>, usize),
    ttl: Option<u64>,
    clock: u32,
) -> usize {
    // Exactly the entry's bytes: the arena grows only when the entry does
    // not fit, so the room it keeps is the class's rounding and no more.
    let ttl_bytes = if ttl.is_some() { 8 } else { 0 };
    let lens = varint_len(key.len()) + len.map_or(0, varint_len);
    arena.reserve(1 + ttl_bytes + CLOCK_BYTES + lens + key.len() + field);
    let off = arena.len();
    arena.push(flags | if ttl.is_some() { HAS_TTL } else { 0 });
    if let Some(t) = ttl {
        arena.extend_from_slice(&t.to_le_bytes());
    }
    arena.extend_from_slice(&clock.to_le_bytes()[..CLOCK_BYTES]);
    push_varint(arena, key.len());
    if let Some(n) = len {
        push_varint(arena, n);
    }
    arena.extend_from_slice(key);
    off
}

/// Drops the box an entry of `kind` owns.
///
/// # Safety
/// `p` (and `str_len` for boxed strings) must come from the `Box::into_raw`
/// in [`push_entry`] for this kind, and no live entry may hold it after.
pub(super) unsafe fn take_box(kind: u8, p: *mut u8, str_len: usize) -> Value {
    debug_assert!(!p.is_null());
    // Only strings too long to sit inline get a box.
    debug_assert!(kind != KIND_BIG_STR || str_len > INLINE_VALUE_MAX_BYTES);
    // SAFETY: per the function's contract, each arm rebuilds the very box type
    // `push_entry` leaked for that kind.
    unsafe {
        match kind {
            KIND_BIG_STR => {
                Value::Str(Box::from_raw(ptr::slice_from_raw_parts_mut(p, str_len)).into_vec())
            }
            KIND_HASH => Value::Hash(Box::from_raw(p.cast::<HashObj>())),
            KIND_LIST => Value::List(Box::from_raw(p.cast::<ListObj>())),
            KIND_SET => Value::Set(Box::from_raw(p.cast::<SetObj>())),
            KIND_STREAM => Value::Stream(Box::from_raw(p.cast::<StreamObj>())),
            _ => {
                debug_assert_eq!(kind, KIND_ZSET, "an entry kind push_entry never writes");
                Value::ZSet(Box::from_raw(p.cast::<ZSetObj>()))
            }
        }
    }
}
