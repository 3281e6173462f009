//! One key of the keyspace as a single heap allocation behind a thin pointer.
//!
//! This is the only module of the keyspace with `unsafe` code; everything
//! else uses the safe API of [`Entry`]. The table stores one `Entry` (8
//! bytes) per key, and the entry's one allocation holds, byte-packed with
//! alignment 1:
//!
//! ```text
//! flags:u8 | [expire_at_ms:u64 LE, if HAS_TTL] | key_len:varint
//!          | [value_len:varint, if string] | key bytes
//!          | value bytes (string) or the object's Box pointer (8 bytes)
//! ```
//!
//! A 16-byte key with a 32-byte string value is 51 bytes (jemalloc class 56)
//! plus 8 bytes in the table: that plus the table's control bytes and free
//! buckets is the whole per-key cost. The allocation's size is never stored;
//! it is recomputed from the header whenever it is freed.
//!
//! Cost per lookup: one cache miss for the allocation (flags, TTL and key
//! share its first line), none for a separate TTL table.

use std::{
    alloc::{alloc, dealloc, handle_alloc_error, Layout},
    ptr::NonNull,
};

use super::{Value, ValueMut, ValueRef};
use crate::types::{hash::HashObj, list::ListObj, set::SetObj, zset::ZSetObj};

const KIND_MASK: u8 = 0x07;
const KIND_STR: u8 = 0;
const KIND_HASH: u8 = 1;
const KIND_LIST: u8 = 2;
const KIND_SET: u8 = 3;
const KIND_ZSET: u8 = 4;
const HAS_TTL: u8 = 0x10;
const PTR_BYTES: usize = std::mem::size_of::<usize>();

/// The owned payload of a new entry: string bytes or a boxed object.
enum Payload<'a> {
    Str(&'a [u8]),
    /// A kind tag and a pointer from `Box::into_raw`, owned by the entry.
    Obj(u8, *mut u8),
}

/// The decoded header of an entry: where each part lives.
#[derive(Clone, Copy)]
struct Layout2 {
    flags: u8,
    key_off: usize,
    key_len: usize,
    /// Offset of the value bytes (string) or of the object pointer.
    val_off: usize,
    /// String length, or `PTR_BYTES` for an object.
    val_len: usize,
}

impl Layout2 {
    fn size(&self) -> usize {
        self.val_off + self.val_len
    }
}

/// One key, its value and its optional expiry, in one allocation.
pub struct Entry {
    ptr: NonNull<u8>,
}

/// Length of `v` as a LEB128 varint.
fn varint_len(mut v: usize) -> usize {
    let mut n = 1;
    while v >= 0x80 {
        v >>= 7;
        n += 1;
    }
    n
}

impl Entry {
    /// A string entry holding copies of `key` and `value`.
    pub fn new_str(key: &[u8], value: &[u8], expire_at_ms: Option<u64>) -> Entry {
        Self::build(key, Payload::Str(value), expire_at_ms)
    }

    /// An entry taking ownership of `value`.
    pub fn new(key: &[u8], value: Value, expire_at_ms: Option<u64>) -> Entry {
        let payload = match value {
            Value::Str(s) => return Self::new_str(key, &s, expire_at_ms),
            Value::Hash(h) => Payload::Obj(KIND_HASH, Box::into_raw(h).cast()),
            Value::List(l) => Payload::Obj(KIND_LIST, Box::into_raw(l).cast()),
            Value::Set(s) => Payload::Obj(KIND_SET, Box::into_raw(s).cast()),
            Value::ZSet(z) => Payload::Obj(KIND_ZSET, Box::into_raw(z).cast()),
        };
        Self::build(key, payload, expire_at_ms)
    }

    fn build(key: &[u8], payload: Payload<'_>, expire_at_ms: Option<u64>) -> Entry {
        let (kind, val_len) = match payload {
            Payload::Str(v) => (KIND_STR, v.len()),
            Payload::Obj(kind, _) => (kind, PTR_BYTES),
        };
        let flags = kind | if expire_at_ms.is_some() { HAS_TTL } else { 0 };
        let mut size = 1 + if expire_at_ms.is_some() { 8 } else { 0 } + varint_len(key.len());
        if kind == KIND_STR {
            size += varint_len(val_len);
        }
        size += key.len() + val_len;
        let layout = Layout::from_size_align(size, 1)
            .unwrap_or_else(|_| handle_alloc_error(Layout::new::<u8>()));
        // SAFETY: `size >= 2` (flags and a key length), so the layout is not zero-sized.
        let raw = unsafe { alloc(layout) };
        let Some(ptr) = NonNull::new(raw) else {
            handle_alloc_error(layout)
        };
        let mut w = Writer {
            ptr: raw,
            pos: 0,
            cap: size,
        };
        w.put(&[flags]);
        if let Some(t) = expire_at_ms {
            w.put(&t.to_le_bytes());
        }
        w.varint(key.len());
        if kind == KIND_STR {
            w.varint(val_len);
        }
        w.put(key);
        match payload {
            Payload::Str(v) => w.put(v),
            Payload::Obj(_, p) => w.put(&(p as usize).to_le_bytes()),
        }
        assert_eq!(w.pos, size, "entry layout size mismatch");
        Entry { ptr }
    }

    fn flags(&self) -> u8 {
        // SAFETY: every entry allocation is at least 2 bytes and starts with flags.
        unsafe { *self.ptr.as_ptr() }
    }

    fn read_varint(&self, pos: &mut usize) -> usize {
        let mut v = 0usize;
        let mut shift = 0;
        loop {
            // SAFETY: the varint was written by `build` inside the allocation,
            // and its last byte has the high bit clear, so the loop stops in bounds.
            let b = unsafe { *self.ptr.as_ptr().add(*pos) };
            *pos += 1;
            v |= ((b & 0x7f) as usize) << shift;
            if b & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }

    fn layout(&self) -> Layout2 {
        let flags = self.flags();
        let mut pos = 1 + if flags & HAS_TTL != 0 { 8 } else { 0 };
        let key_len = self.read_varint(&mut pos);
        let val_len = if flags & KIND_MASK == KIND_STR {
            self.read_varint(&mut pos)
        } else {
            PTR_BYTES
        };
        Layout2 {
            flags,
            key_off: pos,
            key_len,
            val_off: pos + key_len,
            val_len,
        }
    }

    fn bytes(&self, off: usize, len: usize) -> &[u8] {
        // SAFETY: callers pass ranges from `layout()`, which lie inside the
        // allocation this entry owns; `&self` keeps it alive and unchanged.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(off), len) }
    }

    fn obj_ptr(&self, l: &Layout2) -> *mut u8 {
        let mut b = [0u8; PTR_BYTES];
        b.copy_from_slice(self.bytes(l.val_off, PTR_BYTES));
        usize::from_le_bytes(b) as *mut u8
    }

    /// The key.
    pub fn key(&self) -> &[u8] {
        let l = self.layout();
        self.bytes(l.key_off, l.key_len)
    }

    /// The absolute expiry in Unix milliseconds, if the key has a TTL.
    #[inline]
    pub fn expire_at(&self) -> Option<u64> {
        if self.flags() & HAS_TTL == 0 {
            return None;
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(self.bytes(1, 8));
        Some(u64::from_le_bytes(b))
    }

    /// Whether this is a string entry.
    pub fn is_str(&self) -> bool {
        self.flags() & KIND_MASK == KIND_STR
    }

    /// The value, borrowed.
    pub fn value(&self) -> ValueRef<'_> {
        let l = self.layout();
        let p = self.obj_ptr_or_null(&l);
        // SAFETY: for object kinds `p` came from `Box::into_raw` of the type the
        // kind names and is owned by this entry; `&self` makes the borrow shared.
        unsafe {
            match l.flags & KIND_MASK {
                KIND_HASH => ValueRef::Hash(&*p.cast::<HashObj>()),
                KIND_LIST => ValueRef::List(&*p.cast::<ListObj>()),
                KIND_SET => ValueRef::Set(&*p.cast::<SetObj>()),
                KIND_ZSET => ValueRef::ZSet(&*p.cast::<ZSetObj>()),
                _ => ValueRef::Str(self.bytes(l.val_off, l.val_len)),
            }
        }
    }

    fn obj_ptr_or_null(&self, l: &Layout2) -> *mut u8 {
        if l.flags & KIND_MASK == KIND_STR {
            std::ptr::null_mut()
        } else {
            self.obj_ptr(l)
        }
    }

    /// The value, borrowed for in-place change of collections.
    pub fn value_mut(&mut self) -> ValueMut<'_> {
        let l = self.layout();
        let p = self.obj_ptr_or_null(&l);
        // SAFETY: as in `value`; `&mut self` makes the object borrow exclusive.
        unsafe {
            match l.flags & KIND_MASK {
                KIND_HASH => ValueMut::Hash(&mut *p.cast::<HashObj>()),
                KIND_LIST => ValueMut::List(&mut *p.cast::<ListObj>()),
                KIND_SET => ValueMut::Set(&mut *p.cast::<SetObj>()),
                KIND_ZSET => ValueMut::ZSet(&mut *p.cast::<ZSetObj>()),
                _ => ValueMut::Str(self.bytes(l.val_off, l.val_len)),
            }
        }
    }

    /// Consumes the entry and returns its value (strings are copied out).
    pub fn into_value(self) -> Value {
        let l = self.layout();
        let p = self.obj_ptr_or_null(&l);
        let value = if l.flags & KIND_MASK == KIND_STR {
            Value::Str(self.bytes(l.val_off, l.val_len).to_vec())
        } else {
            // SAFETY: `p` is the `Box::into_raw` pointer of the kind's type; the
            // entry gives up ownership here: `free_raw` below skips the object.
            unsafe { box_from_raw(l.flags & KIND_MASK, p) }
        };
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: the object (if any) was moved out above; the allocation is freed once.
        unsafe { me.free_raw(&l) };
        value
    }

    /// Sets or clears the expiry, reallocating only when its presence changes.
    pub fn set_expire_at(&mut self, expire_at_ms: Option<u64>) {
        let l = self.layout();
        let has = l.flags & HAS_TTL != 0;
        match (has, expire_at_ms) {
            (true, Some(t)) => {
                // SAFETY: bytes 1..9 hold the expiry when HAS_TTL is set, and
                // `&mut self` gives exclusive access to the allocation.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        t.to_le_bytes().as_ptr(),
                        self.ptr.as_ptr().add(1),
                        8,
                    )
                };
            }
            (false, None) => {}
            _ => {
                let payload = if l.flags & KIND_MASK == KIND_STR {
                    Payload::Str(self.bytes(l.val_off, l.val_len))
                } else {
                    Payload::Obj(l.flags & KIND_MASK, self.obj_ptr(&l))
                };
                let fresh = Self::build(self.bytes(l.key_off, l.key_len), payload, expire_at_ms);
                let old = std::mem::replace(self, fresh);
                let old = std::mem::ManuallyDrop::new(old);
                // SAFETY: the object pointer (if any) now belongs to `fresh`;
                // only the old allocation's bytes are freed.
                unsafe { old.free_raw(&l) };
            }
        }
    }

    /// Bytes this entry's allocation takes (before allocator rounding).
    pub fn alloc_bytes(&self) -> usize {
        self.layout().size()
    }

    /// Frees the allocation without touching the object it may point to.
    ///
    /// # Safety
    /// `l` must be this entry's layout and the entry must not be used after.
    unsafe fn free_raw(&self, l: &Layout2) {
        // SAFETY: the same size and alignment `build` allocated with.
        unsafe {
            dealloc(
                self.ptr.as_ptr(),
                Layout::from_size_align_unchecked(l.size(), 1),
            )
        };
    }
}

/// Rebuilds the `Box` of an object kind.
///
/// # Safety
/// `p` must come from `Box::into_raw` of the type `kind` names, and not be used after.
unsafe fn box_from_raw(kind: u8, p: *mut u8) -> Value {
    // SAFETY: per the function's contract.
    unsafe {
        match kind {
            KIND_HASH => Value::Hash(Box::from_raw(p.cast())),
            KIND_LIST => Value::List(Box::from_raw(p.cast())),
            KIND_SET => Value::Set(Box::from_raw(p.cast())),
            _ => Value::ZSet(Box::from_raw(p.cast())),
        }
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        let l = self.layout();
        if l.flags & KIND_MASK != KIND_STR {
            // SAFETY: the entry owns the object; it is dropped exactly once here.
            drop(unsafe { box_from_raw(l.flags & KIND_MASK, self.obj_ptr(&l)) });
        }
        // SAFETY: the entry is being dropped and never used again.
        unsafe { self.free_raw(&l) };
    }
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entry")
            .field("key", &String::from_utf8_lossy(self.key()))
            .field("type", &self.value().type_name())
            .field("expire_at", &self.expire_at())
            .finish()
    }
}

/// Bounds-checked writer into a fresh allocation.
struct Writer {
    ptr: *mut u8,
    pos: usize,
    cap: usize,
}

impl Writer {
    fn put(&mut self, b: &[u8]) {
        assert!(self.pos + b.len() <= self.cap, "entry writer overflow");
        // SAFETY: the range was just checked against the allocation's size, and
        // the source is a distinct live slice.
        unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), self.ptr.add(self.pos), b.len()) };
        self.pos += b.len();
    }

    fn varint(&mut self, mut v: usize) {
        let mut buf = [0u8; 10];
        let mut n = 0;
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                buf[n] = byte;
                n += 1;
                break;
            }
            buf[n] = byte | 0x80;
            n += 1;
        }
        self.put(&buf[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_entry_round_trips_key_value_and_ttl() {
        let e = Entry::new_str(b"key", b"value", Some(42));
        assert_eq!(e.key(), b"key");
        assert!(matches!(e.value(), ValueRef::Str(b"value")));
        assert_eq!(e.expire_at(), Some(42));
        assert_eq!(e.alloc_bytes(), 1 + 8 + 1 + 1 + 3 + 5);
        let e = Entry::new_str(b"", b"", None);
        assert_eq!(e.key(), b"");
        assert_eq!(e.expire_at(), None);
        assert!(matches!(e.into_value(), Value::Str(v) if v.is_empty()));
    }

    #[test]
    fn sixteen_byte_key_and_32_byte_value_take_51_bytes() {
        let e = Entry::new_str(&[b'k'; 16], &[b'v'; 32], None);
        assert_eq!(e.alloc_bytes(), 51);
    }

    #[test]
    fn long_lengths_use_multi_byte_varints() {
        let key = vec![7u8; 300];
        let val = vec![9u8; 70_000];
        let e = Entry::new_str(&key, &val, None);
        assert_eq!(e.key(), &key[..]);
        assert!(matches!(e.value(), ValueRef::Str(v) if v == &val[..]));
        assert_eq!(e.alloc_bytes(), 1 + 2 + 3 + 300 + 70_000);
    }

    #[test]
    fn setting_and_clearing_ttl_keeps_key_and_value() {
        let mut e = Entry::new_str(b"k", b"v", None);
        e.set_expire_at(Some(5));
        assert_eq!(e.expire_at(), Some(5));
        e.set_expire_at(Some(u64::MAX));
        assert_eq!(e.expire_at(), Some(u64::MAX));
        e.set_expire_at(None);
        assert_eq!(e.expire_at(), None);
        assert_eq!(e.key(), b"k");
        assert!(matches!(e.value(), ValueRef::Str(b"v")));
    }

    #[test]
    fn object_entries_own_their_box() {
        for v in [
            Value::Hash(Box::default()),
            Value::List(Box::default()),
            Value::Set(Box::default()),
            Value::ZSet(Box::default()),
        ] {
            let name = v.type_name();
            let mut e = Entry::new(b"obj", v, None);
            assert_eq!(e.value().type_name(), name);
            e.set_expire_at(Some(1));
            assert_eq!(e.value().type_name(), name);
            assert_eq!(e.key(), b"obj");
            let _ = e.value_mut();
            e.set_expire_at(None);
            let back = e.into_value();
            assert_eq!(back.type_name(), name);
        }
        // Dropped with the object still inside: no leak, no double free (miri).
        let _ = Entry::new(b"h", Value::Hash(Box::default()), Some(3));
    }
}
