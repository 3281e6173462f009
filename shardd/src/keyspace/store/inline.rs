//! The slot store's inline collections: which values an entry holds in
//! place of a box (`INLINE`, see the store's docs) and how, and how a
//! change moves one into a box in place (`PADDED`).

use std::ptr;

use super::{
    Arena, EntryMut, Value, INLINE, KIND_HASH, KIND_LIST, KIND_SET, KIND_ZSET, PADDED, PTR_BYTES,
};
use crate::types::{hash::HashObj, list::ListObj, set::SetObj, zset::ZSetObj, InlineHead};

/// What an entry of the value's kind holds inline in place of its box, if
/// it may: the kind, the field's head, and its packed body
/// (`HashObj::inline_parts` and the like).
pub(super) fn inline_parts(v: &Value) -> Option<(u8, InlineHead, Body<'_>)> {
    fn bytes((head, b): (InlineHead, &[u8])) -> (InlineHead, Body<'_>) {
        (head, Body::Bytes(b))
    }
    let (kind, (head, body)) = match v {
        Value::Hash(h) => (KIND_HASH, h.inline_parts().map(bytes)?),
        Value::ZSet(z) => (KIND_ZSET, z.inline_parts().map(bytes)?),
        Value::Set(s) => (KIND_SET, s.inline_parts().map(bytes)?),
        Value::List(l) => {
            let (head, n) = l.inline_head()?;
            (KIND_LIST, (head, Body::List(l, n)))
        }
        _ => return None,
    };
    Some((kind, head, body))
}

/// An inline value's packed body: a slice the value holds, or a list's
/// (written in place, [`ListObj::write_inline_body`]) and its length.
pub(super) enum Body<'a> {
    Bytes(&'a [u8]),
    List(&'a ListObj, usize),
}

impl Body<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Body::Bytes(b) => b.len(),
            Body::List(_, n) => *n,
        }
    }

    pub(super) fn write(&self, out: &mut Arena) {
        match self {
            Body::Bytes(b) => out.extend_from_slice(b),
            Body::List(l, _) => l.write_inline_body(|b| out.extend_from_slice(b)),
        }
    }
}

impl EntryMut<'_> {
    /// Moves an inline hash, sorted set, set or list into a box of its own, in
    /// place: the pointer goes in the first bytes of the value field, the
    /// rest is padding (counted dead, as `PADDED` says) until the slot is
    /// compacted, which puts a small packed value back inline.
    pub(super) fn box_inline(&mut self) {
        let h = self.h;
        debug_assert!(h.inline_packed() && h.str_len >= PTR_BYTES);
        let field = &mut self.b[h.val_off..h.val_off + h.str_len];
        let p = match h.kind() {
            KIND_HASH => Box::into_raw(Box::new(HashObj::from_inline(field))).cast::<u8>(),
            KIND_SET => Box::into_raw(Box::new(SetObj::from_inline(field))).cast::<u8>(),
            KIND_LIST => Box::into_raw(Box::new(ListObj::from_inline(field))).cast::<u8>(),
            _ => Box::into_raw(Box::new(ZSetObj::from_inline(field))).cast::<u8>(),
        };
        // SAFETY: `field` has at least PTR_BYTES bytes (inline values are at
        // least `INLINE_MIN_BYTES` long); the entry owns the box from here,
        // as `PADDED` now says.
        unsafe { ptr::write_unaligned(field.as_mut_ptr().cast::<*mut u8>(), p) };
        self.b[0] = (self.b[0] & !INLINE) | PADDED;
        self.h.flags = self.b[0];
        *self.dead += h.str_len - PTR_BYTES;
    }
}
