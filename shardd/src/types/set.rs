//! The set type: an unordered collection of unique binary strings.
//!
//! Like Redis 7.2, a set starts in a compact encoding and converts for good
//! to a hash table once it outgrows it:
//! - `intset`: all members are integers (as `string2ll` reads them) and there
//!   are at most `set-max-intset-entries`; stored sorted, packed in the
//!   narrowest of 2, 4 or 8 bytes that fits every member.
//! - `listpack`: at most `set-max-listpack-entries` members of at most
//!   `set-max-listpack-value` bytes (never more than [`PACK_MAX_VALUE`]),
//!   packed one after another in one buffer.
//!
//! The thresholds are the ones in force ([`crate::settings`]).
//! - `hashtable`: a [`MemberTable`], members in a dense vector indexed by a
//!   hashbrown table, so a random member costs O(1) (SPOP, SRANDMEMBER).

use std::borrow::Cow;

use common::num::parse_i64;

use super::{split_varint, InlineHead};
use hashbrown::HashTable;
use rand::Rng;

/// Longest member the packed form can hold (its one-byte length): a larger
/// `set-max-listpack-value` keeps the packed form for members up to this.
pub const PACK_MAX_VALUE: usize = u8::MAX as usize;

/// Whether a listpack set of `len` members may take `member` too, by the
/// thresholds in force.
fn pack_takes(len: usize, member: &[u8]) -> bool {
    let e = crate::settings::encoding();
    len < e.set_max_listpack_entries && member.len() <= e.set_max_listpack_value.min(PACK_MAX_VALUE)
}

/// Members with a value each, stored densely and found by hash.
///
/// Entries live in a vector (so entry `i` is O(1), which random picks and
/// scan cursors use); a hashbrown table maps a member's hash to its index.
/// Removal swaps the last entry into the hole, so indexes only ever move
/// down: a cursor walking from the top down sees every entry that stays.
#[derive(Clone)]
pub struct MemberTable<V> {
    entries: Vec<(Box<[u8]>, V)>,
    index: HashTable<u32>,
    hasher: ahash::RandomState,
}

impl<V: std::fmt::Debug> std::fmt::Debug for MemberTable<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.entries
                    .iter()
                    .map(|(k, v)| (String::from_utf8_lossy(k), v)),
            )
            .finish()
    }
}

impl<V> Default for MemberTable<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> MemberTable<V> {
    /// An empty table.
    pub fn new() -> Self {
        MemberTable {
            entries: Vec::new(),
            index: HashTable::new(),
            hasher: ahash::RandomState::new(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn find(&self, member: &[u8]) -> Option<usize> {
        let hash = self.hasher.hash_one(member);
        let entries = &self.entries;
        self.index
            .find(hash, |&i| &*entries[i as usize].0 == member)
            .map(|&i| i as usize)
    }

    /// The value of `member`.
    pub fn get(&self, member: &[u8]) -> Option<&V> {
        self.find(member).map(|i| &self.entries[i].1)
    }

    /// The value of `member`, for change.
    pub fn get_mut(&mut self, member: &[u8]) -> Option<&mut V> {
        let i = self.find(member)?;
        Some(&mut self.entries[i].1)
    }

    /// Entry `i` (in storage order).
    pub fn entry(&self, i: usize) -> Option<(&[u8], &V)> {
        self.entries.get(i).map(|(k, v)| (&**k, v))
    }

    /// All entries in storage order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], &V)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (&**k, v))
    }

    /// Sets `member` to `value`; returns the previous value.
    pub fn insert(&mut self, member: &[u8], value: V) -> Option<V> {
        if let Some(i) = self.find(member) {
            return Some(std::mem::replace(&mut self.entries[i].1, value));
        }
        let hash = self.hasher.hash_one(member);
        let idx = self.entries.len() as u32;
        self.entries.push((member.into(), value));
        let (entries, hasher) = (&self.entries, &self.hasher);
        self.index
            .insert_unique(hash, idx, |&i| hasher.hash_one(&*entries[i as usize].0));
        None
    }

    /// Removes `member`; returns its value.
    pub fn remove(&mut self, member: &[u8]) -> Option<V> {
        let i = self.find(member)?;
        Some(self.remove_at(i).1)
    }

    /// Removes entry `i` (the last entry moves into its place).
    pub fn remove_at(&mut self, i: usize) -> (Box<[u8]>, V) {
        let hash = self.hasher.hash_one(&*self.entries[i].0);
        if let Ok(e) = self.index.find_entry(hash, |&j| j as usize == i) {
            e.remove();
        }
        let last = self.entries.len() - 1;
        if i != last {
            let h = self.hasher.hash_one(&*self.entries[last].0);
            let slot = self.index.find_mut(h, |&j| j as usize == last);
            debug_assert!(slot.is_some(), "member table index lost an entry");
            if let Some(slot) = slot {
                *slot = i as u32;
            }
        }
        self.entries.swap_remove(i)
    }
}

/// Sorted integers packed in 2, 4 or 8 little-endian bytes each.
#[derive(Clone, Debug)]
struct IntSet {
    width: usize,
    data: Vec<u8>,
}

/// An intset's integers, borrowed (from an [`IntSet`] or a slot arena).
#[derive(Clone, Copy)]
struct IntsRef<'a> {
    width: usize,
    data: &'a [u8],
}

impl IntsRef<'_> {
    fn len(self) -> usize {
        self.data.len() / self.width
    }

    fn get(self, i: usize) -> i64 {
        let b = &self.data[i * self.width..(i + 1) * self.width];
        match self.width {
            2 => i16::from_le_bytes([b[0], b[1]]) as i64,
            4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i64,
            _ => i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }
    }

    fn search(self, v: i64) -> Result<usize, usize> {
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(&v) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }
}

impl IntSet {
    fn new() -> Self {
        IntSet {
            width: 2,
            data: Vec::new(),
        }
    }

    fn as_ref(&self) -> IntsRef<'_> {
        IntsRef {
            width: self.width,
            data: &self.data,
        }
    }

    fn len(&self) -> usize {
        self.as_ref().len()
    }

    fn get(&self, i: usize) -> i64 {
        self.as_ref().get(i)
    }

    fn search(&self, v: i64) -> Result<usize, usize> {
        self.as_ref().search(v)
    }

    fn width_for(v: i64) -> usize {
        if i16::try_from(v).is_ok() {
            2
        } else if i32::try_from(v).is_ok() {
            4
        } else {
            8
        }
    }

    fn put(buf: &mut Vec<u8>, width: usize, v: i64) {
        buf.extend_from_slice(&v.to_le_bytes()[..width]);
    }

    fn insert(&mut self, v: i64) -> bool {
        let w = Self::width_for(v);
        if w > self.width {
            let mut data = Vec::with_capacity((self.len() + 1) * w);
            for i in 0..self.len() {
                Self::put(&mut data, w, self.get(i));
            }
            self.data = data;
            self.width = w;
        }
        match self.search(v) {
            Ok(_) => false,
            Err(pos) => {
                let at = pos * self.width;
                let bytes = &v.to_le_bytes()[..self.width];
                self.data.reserve_exact(self.width);
                self.data.splice(at..at, bytes.iter().copied());
                true
            }
        }
    }

    fn remove(&mut self, v: i64) -> bool {
        match self.search(v) {
            Ok(pos) => {
                self.data.drain(pos * self.width..(pos + 1) * self.width);
                true
            }
            Err(_) => false,
        }
    }
}

/// Members packed as `[len u8][bytes]`, in insertion order.
#[derive(Clone, Debug, Default)]
struct Pack {
    buf: Vec<u8>,
    len: usize,
}

/// Packed members, borrowed (from a [`Pack`] or a slot arena).
#[derive(Clone, Copy)]
struct PackRef<'a> {
    buf: &'a [u8],
    len: usize,
}

impl<'a> PackRef<'a> {
    fn iter(self) -> PackIter<'a> {
        PackIter { buf: self.buf }
    }

    /// Byte offset of `member`'s entry.
    fn find(self, member: &[u8]) -> Option<usize> {
        let mut at = 0;
        for m in self.iter() {
            if m == member {
                return Some(at);
            }
            at += 1 + m.len();
        }
        None
    }
}

impl Pack {
    fn as_ref(&self) -> PackRef<'_> {
        PackRef {
            buf: &self.buf,
            len: self.len,
        }
    }

    /// Byte offset of `member`'s entry.
    fn find(&self, member: &[u8]) -> Option<usize> {
        self.as_ref().find(member)
    }

    fn push(&mut self, member: &[u8]) {
        debug_assert!(member.len() <= PACK_MAX_VALUE);
        // Sized exactly, like a listpack: no doubling slack per small set.
        self.buf.reserve_exact(1 + member.len());
        self.buf.push(member.len() as u8);
        self.buf.extend_from_slice(member);
        self.len += 1;
    }

    fn remove_at(&mut self, at: usize) {
        let n = self.buf[at] as usize;
        self.buf.drain(at..at + 1 + n);
        self.len -= 1;
    }
}

struct PackIter<'a> {
    buf: &'a [u8],
}

impl<'a> Iterator for PackIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&n, rest) = self.buf.split_first()?;
        let (m, rest) = rest.split_at(n as usize);
        self.buf = rest;
        Some(m)
    }
}

#[derive(Clone, Debug)]
enum Enc {
    Ints(IntSet),
    Pack(Pack),
    /// Boxed so a small set stays small (the table is ~88 bytes).
    Table(Box<MemberTable<()>>),
}

/// A set value.
#[derive(Clone, Debug)]
pub struct SetObj {
    enc: Enc,
}

impl Default for SetObj {
    fn default() -> Self {
        Self::new()
    }
}

/// Iterator over a set's members (integers are formatted on the fly).
pub struct SetIter<'a> {
    inner: IterInner<'a>,
}

enum IterInner<'a> {
    Ints(IntsRef<'a>, usize),
    Pack(PackIter<'a>),
    Table(std::slice::Iter<'a, (Box<[u8]>, ())>),
}

impl<'a> Iterator for SetIter<'a> {
    type Item = Cow<'a, [u8]>;
    fn next(&mut self) -> Option<Cow<'a, [u8]>> {
        match &mut self.inner {
            IterInner::Ints(s, i) => {
                if *i >= s.len() {
                    return None;
                }
                *i += 1;
                Some(Cow::Owned(s.get(*i - 1).to_string().into_bytes()))
            }
            IterInner::Pack(it) => it.next().map(Cow::Borrowed),
            IterInner::Table(it) => it.next().map(|(k, _)| Cow::Borrowed(&**k)),
        }
    }
}

impl SetObj {
    /// An empty set (intset encoded, as Redis starts one for an integer).
    pub fn new() -> Self {
        SetObj {
            enc: Enc::Ints(IntSet::new()),
        }
    }

    /// The set, borrowed for reading.
    pub fn set_ref(&self) -> SetRef<'_> {
        SetRef {
            view: match &self.enc {
                Enc::Ints(s) => SView::Ints(s.as_ref()),
                Enc::Pack(p) => SView::Pack(p.as_ref()),
                Enc::Table(t) => SView::Table(t),
            },
            boxed: true,
        }
    }

    /// What a slot arena holds in place of the box, if it may (an intset
    /// or a packed set within `types::INLINE_MIN_BYTES..=INLINE_MAX_BYTES`):
    /// a tag (`i` or `p`) and a varint (the width or the member count),
    /// then the packed bytes.
    pub fn inline_parts(&self) -> Option<(InlineHead, &[u8])> {
        let mut head = InlineHead::default();
        match &self.enc {
            Enc::Ints(s) => {
                head.push(b'i');
                head.push_varint(s.width);
                head.fits(&s.data)
            }
            Enc::Pack(p) => {
                head.push(b'p');
                head.push_varint(p.len);
                head.fits(&p.buf)
            }
            Enc::Table(_) => None,
        }
    }

    /// The set inline in a slot arena's `field`, in a box of its own.
    pub fn from_inline(field: &[u8]) -> Self {
        SetRef::inline(field).to_owned()
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.set_ref().len()
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding(&self) -> &'static str {
        self.set_ref().encoding()
    }

    /// Whether `member` is in the set.
    pub fn contains(&self, member: &[u8]) -> bool {
        self.set_ref().contains(member)
    }

    /// Adds `member`; true if it was not there.
    pub fn add(&mut self, member: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Ints(s) => match parse_i64(member) {
                Some(v) => {
                    let added = s.insert(v);
                    if s.len() > crate::settings::encoding().set_max_intset_entries {
                        self.convert_to_table();
                    }
                    added
                }
                None => {
                    if pack_takes(s.len(), member) {
                        self.convert_to_pack();
                    } else {
                        self.convert_to_table();
                    }
                    self.add(member)
                }
            },
            Enc::Pack(p) => {
                if p.find(member).is_some() {
                    return false;
                }
                if pack_takes(p.len, member) {
                    p.push(member);
                    return true;
                }
                self.convert_to_table();
                self.add(member)
            }
            Enc::Table(t) => t.insert(member, ()).is_none(),
        }
    }

    /// Removes `member`; true if it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match &mut self.enc {
            Enc::Ints(s) => parse_i64(member).is_some_and(|v| s.remove(v)),
            Enc::Pack(p) => match p.find(member) {
                Some(at) => {
                    p.remove_at(at);
                    true
                }
                None => false,
            },
            Enc::Table(t) => t.remove(member).is_some(),
        }
    }

    /// All members (intsets in ascending order, others in storage order).
    pub fn iter(&self) -> SetIter<'_> {
        self.set_ref().iter()
    }

    /// Member number `i` in storage order (O(1) except for listpacks).
    pub fn nth(&self, i: usize) -> Option<Cow<'_, [u8]>> {
        self.set_ref().nth(i)
    }

    /// A uniformly random member.
    pub fn random_member(&self, rng: &mut impl Rng) -> Option<Cow<'_, [u8]>> {
        self.set_ref().random_member(rng)
    }

    /// Removes and returns a uniformly random member.
    pub fn pop(&mut self, rng: &mut impl Rng) -> Option<Vec<u8>> {
        if self.is_empty() {
            return None;
        }
        let i = rng.gen_range(0..self.len());
        if let Enc::Table(t) = &mut self.enc {
            return Some(t.remove_at(i).0.into_vec());
        }
        let m = self.nth(i)?.into_owned();
        self.remove(&m);
        Some(m)
    }

    fn convert_to_pack(&mut self) {
        let mut p = Pack::default();
        for m in self.iter() {
            p.push(&m);
        }
        self.enc = Enc::Pack(p);
    }

    fn convert_to_table(&mut self) {
        let mut t = MemberTable::new();
        for m in self.iter() {
            t.insert(&m, ());
        }
        self.enc = Enc::Table(Box::new(t));
    }

    /// Serializes the set as [`SetRef::encode`] does.
    pub fn encode(&self) -> Vec<u8> {
        self.set_ref().encode()
    }

    /// Reads what [`SetObj::encode`] wrote; `None` for anything malformed
    /// (truncated, trailing bytes, duplicate members, empty set).
    pub fn decode(mut b: &[u8]) -> Option<SetObj> {
        let n = read_u32(&mut b)? as usize;
        let mut set = SetObj::new();
        for _ in 0..n {
            let len = read_u32(&mut b)? as usize;
            if len > b.len() {
                return None;
            }
            let (m, rest) = b.split_at(len);
            if !set.add(m) {
                return None;
            }
            b = rest;
        }
        (b.is_empty() && !set.is_empty()).then_some(set)
    }
}

/// Reads a little-endian `u32` off the front of `b`.
pub(crate) fn read_u32(b: &mut &[u8]) -> Option<u32> {
    if b.len() < 4 {
        return None;
    }
    let (head, rest) = b.split_at(4);
    *b = rest;
    Some(u32::from_le_bytes([head[0], head[1], head[2], head[3]]))
}

impl<V> MemberTable<V> {
    /// Bytes the table allocates: its entry vector, its index, and the
    /// member blocks of the first `samples` entries (all when 0) scaled to
    /// the whole.
    pub fn heap_bytes(&self, samples: usize) -> usize {
        use super::{alloc_size, sampled_sum};
        alloc_size(self.entries.capacity() * std::mem::size_of::<(Box<[u8]>, V)>())
            + self.index.allocation_size()
            + sampled_sum(
                self.entries.len(),
                samples,
                self.entries.iter().map(|(m, _)| alloc_size(m.len())),
            )
    }
}

/// A set, borrowed: its intset or packed members (in a box of their own,
/// or in a slot arena's entry) or its table. Every read goes through it.
#[derive(Clone, Copy)]
pub struct SetRef<'a> {
    view: SView<'a>,
    /// Whether a `Box<SetObj>` holds it (not a slot arena).
    boxed: bool,
}

#[derive(Clone, Copy)]
enum SView<'a> {
    Ints(IntsRef<'a>),
    Pack(PackRef<'a>),
    Table(&'a MemberTable<()>),
}

impl std::fmt::Debug for SetRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetRef")
            .field("len", &self.len())
            .field("boxed", &self.boxed)
            .finish()
    }
}

impl<'a> SetRef<'a> {
    /// The set inline in a slot arena's `field` ([`SetObj::inline_parts`]).
    pub fn inline(field: &'a [u8]) -> Self {
        let (tag, rest) = field.split_first().unwrap_or((&b'p', &[]));
        let (n, data) = split_varint(rest);
        let view = match tag {
            // A width the store wrote is 2, 4 or 8; anything else reads as
            // no integers rather than a division by zero.
            b'i' if matches!(n, 2 | 4 | 8) => SView::Ints(IntsRef { width: n, data }),
            b'i' => SView::Ints(IntsRef {
                width: 8,
                data: &[],
            }),
            _ => SView::Pack(PackRef { buf: data, len: n }),
        };
        SetRef { view, boxed: false }
    }

    /// Number of members.
    pub fn len(self) -> usize {
        match self.view {
            SView::Ints(s) => s.len(),
            SView::Pack(p) => p.len,
            SView::Table(t) => t.len(),
        }
    }

    /// Whether the set has no members.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding(self) -> &'static str {
        match self.view {
            SView::Ints(_) => "intset",
            SView::Pack(_) => "listpack",
            SView::Table(_) => "hashtable",
        }
    }

    /// Whether `member` is in the set.
    pub fn contains(self, member: &[u8]) -> bool {
        match self.view {
            SView::Ints(s) => parse_i64(member).is_some_and(|v| s.search(v).is_ok()),
            SView::Pack(p) => p.find(member).is_some(),
            SView::Table(t) => t.get(member).is_some(),
        }
    }

    /// All members (intsets in ascending order, others in storage order).
    pub fn iter(self) -> SetIter<'a> {
        let inner = match self.view {
            SView::Ints(s) => IterInner::Ints(s, 0),
            SView::Pack(p) => IterInner::Pack(p.iter()),
            SView::Table(t) => IterInner::Table(t.entries.iter()),
        };
        SetIter { inner }
    }

    /// Member number `i` in storage order (O(1) except for listpacks).
    pub fn nth(self, i: usize) -> Option<Cow<'a, [u8]>> {
        match self.view {
            SView::Ints(s) => (i < s.len()).then(|| Cow::Owned(s.get(i).to_string().into_bytes())),
            SView::Pack(p) => p.iter().nth(i).map(Cow::Borrowed),
            SView::Table(t) => t.entry(i).map(|(k, _)| Cow::Borrowed(k)),
        }
    }

    /// A uniformly random member.
    pub fn random_member(self, rng: &mut impl Rng) -> Option<Cow<'a, [u8]>> {
        if self.is_empty() {
            return None;
        }
        self.nth(rng.gen_range(0..self.len()))
    }

    /// Serializes the set: member count, then each member, as `u32` LE
    /// length-prefixed byte strings.
    pub fn encode(self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for m in self.iter() {
            out.extend_from_slice(&(m.len() as u32).to_le_bytes());
            out.extend_from_slice(&m);
        }
        out
    }

    /// An owned copy.
    pub fn to_owned(self) -> SetObj {
        let enc = match self.view {
            SView::Ints(s) => Enc::Ints(IntSet {
                width: s.width,
                data: s.data.to_vec(),
            }),
            SView::Pack(p) => Enc::Pack(Pack {
                buf: p.buf.to_vec(),
                len: p.len,
            }),
            SView::Table(t) => Enc::Table(Box::new(t.clone())),
        };
        SetObj { enc }
    }

    /// Bytes this set allocates (`MEMORY USAGE`), its `Box<SetObj>`
    /// included: none for one inline in a slot arena (its entry counts
    /// them); exact for a boxed intset or packed set; sampled for a table.
    pub fn heap_bytes(self, samples: usize) -> usize {
        use super::alloc_size;
        if !self.boxed {
            return 0;
        }
        alloc_size(std::mem::size_of::<SetObj>())
            + match self.view {
                SView::Ints(s) => alloc_size(s.data.len()),
                SView::Pack(p) => alloc_size(p.buf.len()),
                SView::Table(t) => {
                    alloc_size(std::mem::size_of::<MemberTable<()>>()) + t.heap_bytes(samples)
                }
            }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use rand::{rngs::StdRng, SeedableRng};

    use super::*;

    fn members(s: &SetObj) -> BTreeSet<Vec<u8>> {
        s.iter().map(|m| m.into_owned()).collect()
    }

    #[test]
    fn integers_stay_an_intset_until_512() {
        let mut s = SetObj::new();
        for i in 0..512 {
            assert!(s.add(i.to_string().as_bytes()));
        }
        assert_eq!(s.encoding(), "intset");
        s.add(b"512");
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 513);
    }

    #[test]
    fn intset_widens_and_keeps_order() {
        let mut s = SetObj::new();
        for v in [5i64, -3, 70_000, i64::MIN, 1] {
            s.add(v.to_string().as_bytes());
        }
        let got: Vec<Vec<u8>> = s.iter().map(|m| m.into_owned()).collect();
        let want: Vec<Vec<u8>> = [i64::MIN, -3, 1, 5, 70_000]
            .iter()
            .map(|v| v.to_string().into_bytes())
            .collect();
        assert_eq!(got, want);
        assert!(s.contains(b"70000"));
        assert!(!s.contains(b"070000"));
    }

    #[test]
    fn a_string_turns_an_intset_into_a_listpack_then_a_table() {
        let mut s = SetObj::new();
        s.add(b"1");
        s.add(b"a");
        assert_eq!(s.encoding(), "listpack");
        for i in 0..126 {
            s.add(format!("m{i}").as_bytes());
        }
        assert_eq!((s.len(), s.encoding()), (128, "listpack"));
        s.add(b"one more");
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn a_long_member_goes_straight_to_a_table() {
        let mut s = SetObj::new();
        s.add(b"x");
        s.add(&[b'y'; 65]);
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.contains(&[b'y'; 65]));
    }

    #[test]
    fn a_set_value_is_small() {
        assert!(std::mem::size_of::<SetObj>() <= 40);
        assert!(std::mem::size_of::<crate::types::zset::ZSetObj>() <= 40);
    }

    #[test]
    fn decode_refuses_garbage() {
        assert!(SetObj::decode(b"").is_none());
        assert!(SetObj::decode(&[1, 0, 0, 0, 9, 0, 0, 0, b'a']).is_none());
        assert!(SetObj::decode(&[255, 255, 255, 255]).is_none());
        assert!(SetObj::decode(&[2, 0, 0, 0, 1, 0, 0, 0, b'a', 1, 0, 0, 0, b'a']).is_none());
        assert!(SetObj::decode(&[0, 0, 0, 0]).is_none());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add(Vec<u8>),
        Remove(Vec<u8>),
        Pop(u64),
    }

    fn member() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            (-40i64..40).prop_map(|v| v.to_string().into_bytes()),
            any::<i64>().prop_map(|v| v.to_string().into_bytes()),
            proptest::collection::vec(b'a'..b'e', 0..4),
            proptest::collection::vec(any::<u8>(), 60..70),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => member().prop_map(Op::Add),
            3 => member().prop_map(Op::Remove),
            1 => any::<u64>().prop_map(Op::Pop),
        ]
    }

    proptest! {
        #[test]
        fn set_matches_a_btreeset(ops in proptest::collection::vec(op(), 0..700)) {
            let mut s = SetObj::new();
            let mut model = BTreeSet::new();
            let mut only_ints = true;
            for op in ops {
                match op {
                    Op::Add(m) => {
                        only_ints &= parse_i64(&m).is_some();
                        prop_assert_eq!(s.add(&m), model.insert(m));
                    }
                    Op::Remove(m) => prop_assert_eq!(s.remove(&m), model.remove(&m)),
                    Op::Pop(seed) => {
                        let got = s.pop(&mut StdRng::seed_from_u64(seed));
                        match got {
                            Some(m) => prop_assert!(model.remove(&m)),
                            None => prop_assert!(model.is_empty()),
                        }
                    }
                }
                prop_assert_eq!(s.len(), model.len());
            }
            prop_assert_eq!(members(&s), model.clone());
            for m in &model {
                prop_assert!(s.contains(m));
            }
            // Encodings only ever grow, as in Redis.
            if only_ints && s.encoding() != "hashtable" {
                prop_assert_eq!(s.encoding(), "intset");
            }
            if !model.is_empty() {
                let back = SetObj::decode(&s.encode());
                prop_assert_eq!(back.map(|b| members(&b)), Some(model));
            }
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = SetObj::decode(&bytes);
        }
    }
}
