//! One slot's keys: a byte arena of packed entries and a hash table of
//! offsets into it (`keyspace/offsets.rs`: for a slot of few keys, a list
//! of tags and offsets at the end of the arena's block,
//! `keyspace/arena.rs`). The keyspace's `unsafe` code is here (owned
//! pointers inside entries), in the tag scan's SSE2 load (`offsets.rs`)
//! and in the arena's unchecked view of its entries (`arena.rs`); the
//! store's API is safe and speaks keys and hashes, never offsets.
//!
//! Why an arena: a 16-byte key with a 32-byte value packs into 54 bytes,
//! but a per-entry allocation is rounded to jemalloc's 64-byte class and
//! the table needs an 8-byte pointer per bucket. Packed in the slot's arena
//! the entry costs its 54 bytes, 3 of them the clock (plus the arena's
//! growth slack), and its place in the index 3 bytes: a tag byte and a
//! 2-byte offset in a slot of at most 128 keys, else a hashbrown bucket
//! of a 2-byte offset (4 once the arena passes 64 KiB) and its control
//! byte (`keyspace/offsets.rs`).
//!
//! Entry layout (alignment 1), at an offset the table holds:
//!
//! ```text
//! flags:u8 | [expire_at_ms:u64 LE, if HAS_TTL] | clock:u24 LE
//!          | key_len:varint | [str_len:varint, strings and inline or
//!            padded collections] | key bytes
//!          | string bytes (inline), a packed collection (inline), or an
//!            owned pointer (8 bytes LE; then padding, if padded)
//! ```
//!
//! `clock` is Redis's 24 bits per object for eviction and `OBJECT
//! IDLETIME`/`FREQ`: the LRU clock of the last access (seconds), or under
//! an LFU policy the last decrement time (minutes, 16 bits) and a
//! logarithmic access counter (8 bits); the keyspace decides which
//! (`keyspace/evict.rs`), the store only keeps the bytes.
//!
//! The flags byte holds the kind (3 bits), `HAS_TTL`, `DEAD`, for
//! strings how Redis would encode them (`STR_RAW`, `STR_NOT_INT`,
//! `STR_UNSHARED`; see [`StrMark`]; a new value starts with no mark), and
//! for hashes, sorted sets, sets and lists `INLINE` or `PADDED` (the same
//! bits).
//!
//! Strings up to [`INLINE_VALUE_MAX_BYTES`] sit inline; longer strings and
//! collections are owned boxes whose pointer the entry holds, except small
//! packed hashes, sorted sets, sets and lists (8 to 1,024 bytes,
//! `types::INLINE_MIN_BYTES`, `types::INLINE_MAX_BYTES`): `INLINE` entries
//! hold the packed form itself after a small head (a sorted set's entry
//! count, a set's encoding tag and width or count, a list's element
//! count, as `InlineHead` writes them), its length where a string's is
//! (`[str_len:varint]` after the key's length), read through a `HashRef`,
//! `ZSetRef`, `SetRef` or `ListRef`. A 10-field hash saves its
//! `Box<HashObj>` and the allocator's rounding of the pairs' own block
//! (260 bytes of pairs take a 320-byte class). Changing one moves the
//! packed form into a box in place (`PADDED`: the pointer in the field's
//! first bytes, the rest padding counted dead), so a write costs a copy,
//! not a move of the entry; compaction puts small packed values back
//! inline. Invariant:
//! every entry reachable from the table is live (not `DEAD`) and owns its
//! pointer (if any); a dead entry owns nothing. Removing marks the entry
//! dead (or truncates it off the end); when dead bytes pass a quarter of
//! the arena it is compacted and the table rebuilt.
//!
//! Offsets are 2 bytes while the arena is under 64 KiB and widen as it
//! grows (`keyspace/offsets.rs`), so a slot has no size limit.

mod entry;
mod inline;

use entry::*;
pub use entry::{Payload, CLOCK_MAX, INLINE_VALUE_MAX_BYTES};

use super::{arena::Arena, offsets::OffsetTable, StrMark, Value, ValueMut, ValueRef};
use crate::types::{
    hash::{HashObj, HashRef},
    list::{ListObj, ListRef},
    set::{SetObj, SetRef},
    stream::StreamObj,
    zset::{ZSetObj, ZSetRef},
};

/// Dead bytes a slot tolerates before compaction is considered.
const COMPACT_MIN_DEAD_BYTES: usize = 512;

pub use common::alloc::size_class;

/// A live entry, borrowed from its slot.
#[derive(Clone, Copy)]
pub struct EntryRef<'a> {
    b: &'a [u8],
    h: Header,
}

impl<'a> EntryRef<'a> {
    /// Bytes the entry takes in its slot's arena (flags, expiry, lengths,
    /// key, and the inline string or the pointer to the value).
    pub fn arena_bytes(&self) -> usize {
        self.h.size()
    }

    /// The key.
    pub fn key(&self) -> &'a [u8] {
        &self.b[self.h.key_off..self.h.key_off + self.h.key_len]
    }

    /// The absolute expiry in Unix milliseconds, if any.
    pub fn expire_at(&self) -> Option<u64> {
        expire_of(self.b, &self.h)
    }

    /// The entry's 24-bit clock (see the module docs).
    pub fn clock(&self) -> u32 {
        clock_of(self.b, &self.h)
    }

    /// How Redis would encode this string (`Encoded` for other types).
    pub fn str_mark(&self) -> StrMark {
        if self.h.kind() != KIND_STR && self.h.kind() != KIND_BIG_STR {
            return StrMark::Encoded;
        }
        match self.h.flags & STR_MARKS {
            STR_RAW => StrMark::Raw,
            STR_NOT_INT => StrMark::NotInt,
            STR_UNSHARED => StrMark::Unshared,
            _ => StrMark::Encoded,
        }
    }

    /// The value.
    pub fn value(&self) -> ValueRef<'a> {
        let h = &self.h;
        debug_assert_eq!(h.flags & DEAD, 0, "a dead entry owns nothing");
        if h.kind() == KIND_STR {
            return ValueRef::Str(&self.b[h.val_off..h.val_off + h.str_len]);
        }
        if h.inline_packed() {
            let field = &self.b[h.val_off..h.val_off + h.str_len];
            return match h.kind() {
                KIND_HASH => ValueRef::Hash(HashRef::inline(field)),
                KIND_SET => ValueRef::Set(SetRef::inline(field)),
                KIND_LIST => ValueRef::List(ListRef::inline(field)),
                _ => ValueRef::ZSet(ZSetRef::inline(field)),
            };
        }
        let p = ptr_of(self.b, h);
        // SAFETY: a live entry owns the box behind `p` (module invariant), of
        // the type its kind names; the shared borrow of the arena for 'a rules
        // out any release or `&mut` access for as long as the reference lives.
        unsafe {
            match h.kind() {
                KIND_BIG_STR => ValueRef::Str(std::slice::from_raw_parts(p, h.str_len)),
                KIND_HASH => ValueRef::Hash((*p.cast::<HashObj>()).hash_ref()),
                KIND_LIST => ValueRef::List((*p.cast::<ListObj>()).list_ref()),
                KIND_SET => ValueRef::Set((*p.cast::<SetObj>()).set_ref()),
                KIND_STREAM => ValueRef::Stream(&*p.cast::<StreamObj>()),
                _ => {
                    debug_assert_eq!(h.kind(), KIND_ZSET);
                    ValueRef::ZSet((*p.cast::<ZSetObj>()).zset_ref())
                }
            }
        }
    }
}

/// A live entry, borrowed for in-place change of its value.
pub struct EntryMut<'a> {
    b: &'a mut [u8],
    h: Header,
    /// The slot's dead bytes (padding left by a hash moved into a box).
    dead: &'a mut usize,
}

impl<'a> EntryMut<'a> {
    /// The entry, read-only.
    pub fn into_ref(self) -> EntryRef<'a> {
        EntryRef {
            b: self.b,
            h: self.h,
        }
    }

    /// The absolute expiry in Unix milliseconds, if any.
    pub fn expire_at(&self) -> Option<u64> {
        expire_of(self.b, &self.h)
    }

    /// The entry's 24-bit clock (see the module docs).
    pub fn clock(&self) -> u32 {
        clock_of(self.b, &self.h)
    }

    /// Sets the entry's 24-bit clock.
    pub fn set_clock(&mut self, clock: u32) {
        write_clock(self.b, &self.h, clock & CLOCK_MAX);
    }

    /// Records how Redis would encode this string; no effect on other types.
    pub fn set_str_mark(&mut self, mark: StrMark) {
        if self.h.kind() != KIND_STR && self.h.kind() != KIND_BIG_STR {
            return;
        }
        let bits = match mark {
            StrMark::Encoded => 0,
            StrMark::Raw => STR_RAW,
            StrMark::NotInt => STR_NOT_INT,
            StrMark::Unshared => STR_UNSHARED,
        };
        self.b[0] = (self.b[0] & !STR_MARKS) | bits;
        self.h.flags = self.b[0];
    }

    /// The string's bytes, if the value is a string.
    pub fn str_bytes(&self) -> Option<&[u8]> {
        let entry = EntryRef {
            b: &*self.b,
            h: self.h,
        };
        match entry.value() {
            ValueRef::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Writes `new` over an inline string of the same length, as a new
    /// value (its encoding marks cleared; expiry and clock stay): INCR's
    /// common case, with no second lookup. False, with nothing changed,
    /// for any other shape.
    pub fn overwrite_str(&mut self, new: &[u8]) -> bool {
        if self.h.kind() != KIND_STR || new.len() != self.h.str_len {
            return false;
        }
        self.b[self.h.val_off..self.h.val_off + new.len()].copy_from_slice(new);
        self.b[0] &= !STR_MARKS;
        self.h.flags = self.b[0];
        true
    }

    /// The value, mutable where the type allows.
    pub fn into_value_mut(mut self) -> ValueMut<'a> {
        let h = self.h;
        debug_assert_eq!(h.flags & DEAD, 0, "a dead entry owns nothing");
        if h.kind() == KIND_STR {
            let b: &'a [u8] = self.b;
            return ValueMut::Str(&b[h.val_off..h.val_off + h.str_len]);
        }
        if h.inline_packed() {
            self.box_inline();
        }
        let h = self.h;
        let p = ptr_of(self.b, &h);
        // SAFETY: as in `EntryRef::value`; the exclusive borrow of the arena
        // for 'a makes this the only access to the box meanwhile.
        unsafe {
            match h.kind() {
                KIND_BIG_STR => ValueMut::Str(std::slice::from_raw_parts(p, h.str_len)),
                KIND_HASH => ValueMut::Hash(&mut *p.cast::<HashObj>()),
                KIND_LIST => ValueMut::List(&mut *p.cast::<ListObj>()),
                KIND_SET => ValueMut::Set(&mut *p.cast::<SetObj>()),
                KIND_STREAM => ValueMut::Stream(&mut *p.cast::<StreamObj>()),
                _ => {
                    debug_assert_eq!(h.kind(), KIND_ZSET);
                    ValueMut::ZSet(&mut *p.cast::<ZSetObj>())
                }
            }
        }
    }
}

/// Result of [`SlotStore::lookup`].
pub enum Lookup<'a> {
    /// No such key.
    Missing,
    /// The key was due and has just been removed.
    Expired,
    /// The live entry.
    Live(EntryMut<'a>),
}

/// Result of [`SlotStore::upsert`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upserted {
    /// `None` if the key was absent, else the previous entry's expiry.
    pub old: Option<Option<u64>>,
    /// The expiry the new entry got.
    pub new: Option<u64>,
}

/// One slot's keys.
#[derive(Default)]
pub struct SlotStore {
    arena: Arena,
    table: OffsetTable,
    dead_bytes: usize,
}

impl SlotStore {
    /// Number of keys (expired ones not yet removed included).
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether the slot holds no keys.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Whether no key was ever stored here (nothing allocated): emptying
    /// the keyspace can skip this slot.
    pub fn is_pristine(&self) -> bool {
        self.arena.capacity() == 0 && self.table.is_empty() && self.dead_bytes == 0
    }

    fn key_at(arena: &[u8], off: usize) -> &[u8] {
        let b = &arena[off..];
        let h = parse(b);
        &b[h.key_off..h.key_off + h.key_len]
    }

    fn at(&self, off: usize) -> EntryRef<'_> {
        let b = &self.arena[off..];
        EntryRef { b, h: parse(b) }
    }

    fn find_off(&self, hash: u64, key: &[u8]) -> Option<usize> {
        let off = self
            .table
            .find(&self.arena, hash, |o| Self::key_at(&self.arena, o) == key)?;
        // Every entry reachable from the table is live (module invariant).
        debug_assert_eq!(self.arena[off] & DEAD, 0, "the table reaches a dead entry");
        Some(off)
    }

    /// The entry of `key`.
    pub fn get(&self, hash: u64, key: &[u8]) -> Option<EntryRef<'_>> {
        self.find_off(hash, key).map(|o| self.at(o))
    }

    /// The entry of `key`, for in-place change.
    pub fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<EntryMut<'_>> {
        let off = self.find_off(hash, key)?;
        let b = &mut self.arena[off..];
        let h = parse(b);
        let dead = &mut self.dead_bytes;
        Some(EntryMut { b, h, dead })
    }

    /// The entry of `key`, removing it first if its expiry is not after
    /// `now()` (called only for keys with a TTL).
    pub fn lookup(
        &mut self,
        hash: u64,
        key: &[u8],
        now: impl FnOnce() -> u64,
        rehash: &impl Fn(&[u8]) -> u64,
    ) -> Lookup<'_> {
        let Some(off) = self.find_off(hash, key) else {
            return Lookup::Missing;
        };
        let h = parse(&self.arena[off..]);
        if expire_of(&self.arena[off..], &h).is_some_and(|t| t <= now()) {
            self.remove_off(hash, off);
            Self::kill(&mut self.arena, &mut self.dead_bytes, off, true);
            self.maybe_compact(rehash);
            return Lookup::Expired;
        }
        Lookup::Live(EntryMut {
            b: &mut self.arena[off..],
            h,
            dead: &mut self.dead_bytes,
        })
    }

    /// Every entry, in arena order.
    pub fn iter(&self) -> impl Iterator<Item = EntryRef<'_>> {
        let arena = &self.arena[..];
        let mut pos = 0;
        std::iter::from_fn(move || loop {
            if pos >= arena.len() {
                return None;
            }
            let b = &arena[pos..];
            let h = parse(b);
            pos += h.size();
            if h.flags & DEAD == 0 {
                return Some(EntryRef { b, h });
            }
        })
    }

    /// Sets `key` to `payload`; `expiry` maps the previous entry's state
    /// (`None`: absent, `Some(t)`: its expiry) to the new expiry.
    #[inline(always)]
    pub fn upsert(
        &mut self,
        hash: u64,
        key: &[u8],
        payload: Payload<'_>,
        expiry: impl FnOnce(Option<Option<u64>>) -> Option<u64>,
        (clock, keep_clock): (u32, bool),
        rehash: &impl Fn(&[u8]) -> u64,
    ) -> Upserted {
        let upserted = match self.find_off(hash, key) {
            Some(off) => {
                let h = parse(&self.arena[off..]);
                let old = expire_of(&self.arena[off..], &h);
                let clock = if keep_clock {
                    clock_of(&self.arena[off..], &h)
                } else {
                    clock
                };
                let new = expiry(Some(old));
                if !Self::overwrite_inline(&mut self.arena[off..], &h, &payload, new, clock) {
                    Self::kill(&mut self.arena, &mut self.dead_bytes, off, true);
                    let new_off = push_entry(&mut self.arena, key, payload, new, clock);
                    let hasher = |a: &[u8], o| rehash(Self::key_at(a, o));
                    self.table
                        .replace(&mut self.arena, hash, (off, new_off), hasher);
                }
                Upserted {
                    old: Some(old),
                    new,
                }
            }
            None => {
                let new = expiry(None);
                let off = push_entry(&mut self.arena, key, payload, new, clock);
                self.table.insert(&mut self.arena, hash, off, |a, o| {
                    rehash(Self::key_at(a, o))
                });
                Upserted { old: None, new }
            }
        };
        self.maybe_compact(rehash);
        upserted
    }

    /// Writes a same-length inline string (and expiry of the same presence)
    /// over the old one; false if the shapes differ.
    fn overwrite_inline(
        b: &mut [u8],
        h: &Header,
        payload: &Payload<'_>,
        ttl: Option<u64>,
        clock: u32,
    ) -> bool {
        let Payload::Bytes(v) = payload else {
            return false;
        };
        if h.kind() != KIND_STR || v.len() != h.str_len || (h.flags & HAS_TTL != 0) != ttl.is_some()
        {
            return false;
        }
        b[h.val_off..h.val_off + v.len()].copy_from_slice(v);
        // A new string value starts without the old one's history.
        b[0] &= !STR_MARKS;
        if let Some(t) = ttl {
            b[1..9].copy_from_slice(&t.to_le_bytes());
        }
        write_clock(b, h, clock);
        true
    }

    /// Marks the entry at `off` dead (or cuts it off the end), dropping
    /// what it owns when `drop_owned`; returns its size.
    fn kill(arena: &mut Arena, dead_bytes: &mut usize, off: usize, drop_owned: bool) -> usize {
        let h = parse(&arena[off..]);
        debug_assert_eq!(h.flags & DEAD, 0, "entry killed twice");
        // Its padding (if any) was counted dead already. (Saturating: a
        // miscount is compaction's check to find, not a panic here with
        // the box already dropped.)
        *dead_bytes = dead_bytes.saturating_sub(h.padding());
        if drop_owned && h.owns_box() {
            let p = ptr_of(&arena[off..], &h);
            // SAFETY: the entry is live, so it owns `p`; it is marked dead or
            // cut off below, so nothing reaches `p` through it again.
            drop(unsafe { take_box(h.kind(), p, h.str_len) });
        }
        if off + h.size() == arena.len() {
            arena.truncate(off);
        } else {
            arena[off] |= DEAD;
            *dead_bytes += h.size();
        }
        debug_assert!(*dead_bytes <= arena.len());
        h.size()
    }

    fn remove_off(&mut self, hash: u64, off: usize) {
        self.table.remove(&mut self.arena, hash, off);
    }

    /// Removes `key`; returns its expiry (`Some(None)`: it had none).
    pub fn delete(
        &mut self,
        hash: u64,
        key: &[u8],
        rehash: &impl Fn(&[u8]) -> u64,
    ) -> Option<Option<u64>> {
        let off = self.find_off(hash, key)?;
        let old = self.at(off).expire_at();
        self.remove_off(hash, off);
        Self::kill(&mut self.arena, &mut self.dead_bytes, off, true);
        self.maybe_compact(rehash);
        Some(old)
    }

    /// Removes `key` and returns its value and expiry.
    pub fn take(
        &mut self,
        hash: u64,
        key: &[u8],
        rehash: &impl Fn(&[u8]) -> u64,
    ) -> Option<(Value, Option<u64>)> {
        let off = self.find_off(hash, key)?;
        let e = self.at(off);
        let old = e.expire_at();
        let value = if !e.h.owns_box() {
            e.value().to_value()
        } else {
            // SAFETY: the entry is live and owns the box; `kill` below is told
            // not to drop it, and marks the entry dead.
            unsafe { take_box(e.h.kind(), ptr_of(e.b, &e.h), e.h.str_len) }
        };
        self.remove_off(hash, off);
        Self::kill(&mut self.arena, &mut self.dead_bytes, off, false);
        self.maybe_compact(rehash);
        Some((value, old))
    }

    /// The first entry with table hash `hash` that `pred` accepts.
    pub fn find_hashed(
        &self,
        hash: u64,
        mut pred: impl FnMut(EntryRef<'_>) -> bool,
    ) -> Option<EntryRef<'_>> {
        let arena = &self.arena;
        let off = self.table.find(arena, hash, |o| {
            let b = &arena[o..];
            pred(EntryRef { b, h: parse(b) })
        })?;
        Some(self.at(off))
    }

    /// Removes every entry with table hash `hash` that `due` accepts;
    /// returns how many.
    pub fn remove_where(
        &mut self,
        hash: u64,
        mut due: impl FnMut(EntryRef<'_>) -> bool,
        rehash: &impl Fn(&[u8]) -> u64,
    ) -> usize {
        let mut n = 0;
        loop {
            let arena = &self.arena;
            let found = self.table.find(arena, hash, |o| {
                let b = &arena[o..];
                due(EntryRef { b, h: parse(b) })
            });
            let Some(off) = found else { break };
            self.table.remove(&mut self.arena, hash, off);
            Self::kill(&mut self.arena, &mut self.dead_bytes, off, true);
            n += 1;
        }
        if n > 0 {
            self.maybe_compact(rehash);
        }
        n
    }

    /// Sets or clears the expiry of `key`; returns the previous expiry
    /// (`None` if the key is missing). Moves the entry only when the
    /// expiry's presence changes.
    pub fn set_expire(
        &mut self,
        hash: u64,
        key: &[u8],
        ttl: Option<u64>,
        rehash: &impl Fn(&[u8]) -> u64,
    ) -> Option<Option<u64>> {
        let found = self.find_off(hash, key)?;
        let off = found;
        let h = parse(&self.arena[off..]);
        let old = expire_of(&self.arena[off..], &h);
        match (old, ttl) {
            (Some(_), Some(t)) => self.arena[off + 1..off + 9].copy_from_slice(&t.to_le_bytes()),
            (None, None) => {}
            _ => {
                // Re-encode: new flags and expiry, then the old lengths, key
                // and value field verbatim (ownership of a box moves along).
                self.arena.reserve(9 + h.size());
                let new_off = self.arena.len();
                let flags = (h.flags & !HAS_TTL) | if ttl.is_some() { HAS_TTL } else { 0 };
                self.arena.push(flags);
                if let Some(t) = ttl {
                    self.arena.extend_from_slice(&t.to_le_bytes());
                }
                self.arena
                    .extend_from_within(off + h.clock_off..off + h.size());
                Self::kill(&mut self.arena, &mut self.dead_bytes, off, false);
                // The copy keeps the padding (if any): dead again.
                self.dead_bytes += h.padding();
                let hasher = |a: &[u8], o| rehash(Self::key_at(a, o));
                self.table
                    .replace(&mut self.arena, hash, (found, new_off), hasher);
                self.maybe_compact(rehash);
            }
        }
        Some(old)
    }

    fn maybe_compact(&mut self, rehash: &impl Fn(&[u8]) -> u64) {
        if self.table.is_empty() && self.dead_bytes > 0 {
            // Everything left is dead and owns nothing.
            self.arena = Arena::default();
            self.dead_bytes = 0;
            return;
        }
        if self.dead_bytes < COMPACT_MIN_DEAD_BYTES || self.dead_bytes * 4 < self.arena.len() {
            return;
        }
        let live = self.arena.len() - self.dead_bytes;
        // The live entries are exactly those the table reaches, and the
        // dead bytes (padding included) were counted right: otherwise the
        // rebuilt table would lose keys or reach a box twice (a double
        // free). Compaction is rare and walks every entry anyway, so this
        // is checked always, before anything moves.
        let (entries, bytes) = self
            .iter()
            .fold((0, 0), |(n, b), e| (n + 1, b + e.h.size() - e.h.padding()));
        assert_eq!(entries, self.table.len(), "live entries and table disagree");
        assert_eq!(bytes, live, "dead bytes miscounted");
        // A block for the live entries and the list of their offsets (if
        // they stay few), which will mostly fit in the class's rounding.
        let n = self.table.len();
        let mut fresh = Arena::with_capacity(size_class(live + OffsetTable::list_tail_for(n)), 0);
        for e in self.iter() {
            if !packable(e.h.kind()) || !e.h.owns_box() {
                fresh.extend_from_slice(&e.b[..e.h.size()]);
                continue;
            }
            // A boxed hash or sorted set goes back inline if it is small
            // and packed (one a change moved out), else as a plain
            // pointer: padding goes.
            // SAFETY: the entry is live and owns its box; the old arena is
            // dropped as bytes below, so only the new entry holds it.
            let value = unsafe { take_box(e.h.kind(), ptr_of(e.b, &e.h), 0) };
            let (ttl, clock) = (e.expire_at(), e.clock());
            push_entry(&mut fresh, e.key(), Payload::Value(value), ttl, clock);
        }
        self.arena = fresh;
        self.dead_bytes = 0;
        self.table = OffsetTable::for_arena(n, &mut self.arena);
        let mut pos = 0;
        while pos < self.arena.len() {
            let b = &self.arena[pos..];
            let h = parse(b);
            let hash = rehash(&b[h.key_off..h.key_off + h.key_len]);
            self.table.insert(&mut self.arena, hash, pos, |a, o| {
                rehash(Self::key_at(a, o))
            });
            pos += h.size();
        }
    }

    /// Packs the arena at its size when it has room to give back or sits
    /// in a sparse pack chunk (`keyspace/pack.rs`), else moves it out of a
    /// sparsely used allocator slab (`common::alloc::defrag`); returns the
    /// bytes moved (0: left where it was). The entries move as bytes,
    /// owned pointers included, as in compaction: offsets are relative,
    /// so the table stays as it is.
    pub fn defrag(&mut self) -> usize {
        if self.arena.pack() || self.arena.defrag() {
            self.arena.capacity()
        } else {
            0
        }
    }

    /// The room packing the arena would give back (`Arena::pack`).
    pub fn packable_room(&self) -> usize {
        self.arena.packable_room()
    }

    /// The table bytes per key: the index's bytes (a table's allocation,
    /// or a list's tail in the arena) shared out over the keys it indexes.
    pub fn table_bytes_per_key(&self) -> usize {
        self.index_bytes() / self.len().max(1)
    }

    /// Bytes of the index: a table's allocation or a list's tail.
    fn index_bytes(&self) -> usize {
        self.table.allocation_size() + self.arena.tail_len()
    }

    /// Bytes held: the arena's block less a list's tail in it, and the
    /// index (the table's allocation, or the list's tail).
    pub fn heap_bytes(&self) -> (usize, usize) {
        let tail = self.arena.tail_len();
        (self.arena.capacity() - tail, self.index_bytes())
    }

    /// The arena's bytes by use: live entries, dead entries not yet
    /// compacted away, and room past the end (a list's tail not counted).
    pub fn arena_use(&self) -> (usize, usize, usize) {
        let len = self.arena.len();
        (
            len - self.dead_bytes.min(len),
            self.dead_bytes,
            self.arena.room(),
        )
    }
}

impl Drop for SlotStore {
    fn drop(&mut self) {
        let mut pos = 0;
        while pos < self.arena.len() {
            let h = parse(&self.arena[pos..]);
            if h.flags & DEAD == 0 && h.owns_box() {
                let p = ptr_of(&self.arena[pos..], &h);
                // SAFETY: a live entry owns its box, and the whole arena goes
                // away with this store, so each box is dropped exactly once.
                drop(unsafe { take_box(h.kind(), p, h.str_len) });
            }
            pos += h.size();
        }
    }
}

#[cfg(test)]
mod tests;
