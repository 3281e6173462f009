//! The sorted-set type: unique members, each with a score, ordered by
//! (score, member bytes).
//!
//! Like Redis, a small zset is one packed buffer ("listpack": at most
//! `zset-max-listpack-entries` members of at most `zset-max-listpack-value`
//! bytes, the thresholds in force in [`crate::settings`], and never more
//! than [`PACK_MAX_VALUE`] bytes), searched linearly; past that it
//! converts for good to an ordered structure with O(log n) rank and range
//! (see [`tree`]) plus a member -> score table ("skiplist" in OBJECT
//! ENCODING terms, though it is a chunked order-statistic vector).

mod tree;

use std::cmp::Ordering;

use tree::{Chunk, Tree};

use smallvec::SmallVec;

use super::{split_varint, InlineHead};

use crate::types::set::read_u32;

/// Longest member the packed form holds (its length is one byte; 244
/// since entries ended in their size, 1 + 8 + 1 + member + 1, in one byte,
/// and kept so that a configuration's encodings stay as they were): a
/// larger `zset-max-listpack-value` keeps the packed form for members up
/// to this.
pub const PACK_MAX_VALUE: usize = u8::MAX as usize - 11;

/// The packed form's limits in force: (most members, longest member).
fn pack_limits() -> (usize, usize) {
    let e = crate::settings::encoding();
    (
        e.zset_max_listpack_entries,
        e.zset_max_listpack_value.min(PACK_MAX_VALUE),
    )
}

/// The zset order: by score, then by member bytes (-0 and 0 are equal).
pub fn cmp_entry(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2)
        .unwrap_or(Ordering::Equal)
        .then_with(|| m1.cmp(m2))
}

/// Entries packed in order as `[w u8][score: w bytes][len u8][member]`: a
/// score that is an integer fitting an i8, i16 or i32 takes 1, 2 or 4
/// bytes (`w`), any other 8 (its f64 bits), as a listpack stores small
/// integers. Unlike a listpack's, an entry does not end in its size:
/// iterating backwards finds the entries' starts by one walk forwards
/// ([`ZIter`]), and a 10-member zset saves 10 bytes.
#[derive(Clone, Debug, Default)]
struct Pack {
    buf: Vec<u8>,
    len: usize,
}

/// Reads the entry starting at byte `at`: (member, score, entry size).
fn pack_entry(buf: &[u8], at: usize) -> (&[u8], f64, usize) {
    let w = buf[at] as usize;
    let sb = &buf[at + 1..at + 1 + w];
    let score = match w {
        1 => i8::from_le_bytes([sb[0]]) as f64,
        2 => i16::from_le_bytes([sb[0], sb[1]]) as f64,
        4 => i32::from_le_bytes([sb[0], sb[1], sb[2], sb[3]]) as f64,
        _ => {
            let mut a = [0u8; 8];
            a.copy_from_slice(sb);
            f64::from_le_bytes(a)
        }
    };
    let n = buf[at + 1 + w] as usize;
    (&buf[at + 2 + w..at + 2 + w + n], score, n + w + 2)
}

/// Appends the packed entry of `(member, score)` to `out`.
fn push_pack_entry(out: &mut Vec<u8>, member: &[u8], score: f64) {
    let int = score.fract() == 0.0 && score >= i32::MIN as f64 && score <= i32::MAX as f64;
    match score as i64 {
        i if int && i8::try_from(i).is_ok() => {
            out.push(1);
            out.extend_from_slice(&(i as i8).to_le_bytes());
        }
        i if int && i16::try_from(i).is_ok() => {
            out.push(2);
            out.extend_from_slice(&(i as i16).to_le_bytes());
        }
        i if int => {
            out.push(4);
            out.extend_from_slice(&(i as i32).to_le_bytes());
        }
        _ => {
            out.push(8);
            out.extend_from_slice(&score.to_le_bytes());
        }
    }
    out.push(member.len() as u8);
    out.extend_from_slice(member);
}

/// Packed entries, borrowed (from a [`Pack`] or a slot arena's entry).
#[derive(Clone, Copy)]
struct PackRef<'a> {
    buf: &'a [u8],
    len: usize,
}

impl<'a> PackRef<'a> {
    fn iter(self) -> ZIter<'a> {
        ZIter {
            inner: IterInner::Pack {
                buf: self.buf,
                front: 0,
                back: self.buf.len(),
                starts: SmallVec::new(),
            },
            remaining: self.len,
        }
    }

    /// Byte offset and score of `member`.
    fn find(self, member: &[u8]) -> Option<(usize, f64)> {
        let mut at = 0;
        while at < self.buf.len() {
            let (m, s, size) = pack_entry(self.buf, at);
            if m == member {
                return Some((at, s));
            }
            at += size;
        }
        None
    }

    /// Byte offset of the entry with rank `rank` (the end for `len`).
    fn offset_of(self, rank: usize) -> usize {
        let mut at = 0;
        for _ in 0..rank.min(self.len) {
            at += pack_entry(self.buf, at).2;
        }
        at
    }
}

impl Pack {
    fn as_ref(&self) -> PackRef<'_> {
        PackRef {
            buf: &self.buf,
            len: self.len,
        }
    }

    /// Byte offset and score of `member`.
    fn find(&self, member: &[u8]) -> Option<(usize, f64)> {
        self.as_ref().find(member)
    }

    fn remove_at(&mut self, at: usize) {
        let (_, _, size) = pack_entry(&self.buf, at);
        self.buf.drain(at..at + size);
        self.len -= 1;
        if self.buf.capacity() - self.buf.len() > 256 {
            self.buf.shrink_to_fit();
        }
    }

    /// Inserts a member known to be absent, in order.
    fn insert_ordered(&mut self, member: &[u8], score: f64) {
        debug_assert!(member.len() <= PACK_MAX_VALUE);
        // A listpack keeps -0 as 0, as Redis's does.
        let score = if score == 0.0 { 0.0 } else { score };
        let mut at = 0;
        while at < self.buf.len() {
            let (m, s, size) = pack_entry(&self.buf, at);
            if cmp_entry(s, m, score, member) == Ordering::Greater {
                break;
            }
            at += size;
        }
        let mut e = Vec::with_capacity(member.len() + 10);
        push_pack_entry(&mut e, member, score);
        // Sized exactly, like a listpack: no doubling slack per small zset.
        self.buf.reserve_exact(e.len());
        self.buf.splice(at..at, e);
        self.len += 1;
    }
}

#[derive(Clone, Debug)]
enum Enc {
    Pack(Pack),
    Tree(Box<Tree>),
}

/// A sorted-set value.
#[derive(Clone, Debug)]
pub struct ZSetObj {
    enc: Enc,
}

impl Default for ZSetObj {
    fn default() -> Self {
        Self::new()
    }
}

/// A double-ended iterator over a rank range: `(member, score)` pairs.
pub struct ZIter<'a> {
    inner: IterInner<'a>,
    remaining: usize,
}

enum IterInner<'a> {
    /// Byte offsets of the next entry and of the end of the last one;
    /// the first step backwards walks from `front` to `back` once and
    /// keeps the entries' starts, which the later ones pop (inline up to
    /// 16: a ZREVRANGE of a few members allocates nothing).
    Pack {
        buf: &'a [u8],
        front: usize,
        back: usize,
        starts: SmallVec<[u32; 16]>,
    },
    /// (chunk, offset) of the next entry and one past the last one.
    Tree {
        chunks: &'a [Chunk],
        front: (usize, usize),
        back: (usize, usize),
    },
}

impl<'a> Iterator for ZIter<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match &mut self.inner {
            IterInner::Pack { buf, front, .. } => {
                let (m, s, size) = pack_entry(buf, *front);
                *front += size;
                Some((m, s))
            }
            IterInner::Tree { chunks, front, .. } => {
                while front.1 >= chunks.get(front.0)?.len() {
                    *front = (front.0 + 1, 0);
                }
                let (s, m) = &chunks[front.0][front.1];
                front.1 += 1;
                Some((m, *s))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for ZIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match &mut self.inner {
            IterInner::Pack {
                buf,
                front,
                back,
                starts,
            } => {
                if starts.is_empty() {
                    let mut at = *front;
                    while at < *back {
                        starts.push(at as u32);
                        at += pack_entry(buf, at).2;
                    }
                }
                // `remaining` was not 0: an entry is left between the
                // fronts, and the walk found it.
                let at = starts.pop()? as usize;
                *back = at;
                let (m, s, _) = pack_entry(buf, at);
                Some((m, s))
            }
            IterInner::Tree { chunks, back, .. } => {
                while back.1 == 0 {
                    back.0 = back.0.checked_sub(1)?;
                    back.1 = chunks.get(back.0)?.len();
                }
                back.1 -= 1;
                let (s, m) = &chunks[back.0][back.1];
                Some((m, *s))
            }
        }
    }
}

impl ExactSizeIterator for ZIter<'_> {}

impl ZSetObj {
    /// An empty zset (listpack encoded).
    pub fn new() -> Self {
        ZSetObj {
            enc: Enc::Pack(Pack::default()),
        }
    }

    /// The zset, borrowed for reading.
    pub fn zset_ref(&self) -> ZSetRef<'_> {
        ZSetRef {
            view: match &self.enc {
                Enc::Pack(p) => ZView::Pack(p.as_ref()),
                Enc::Tree(t) => ZView::Tree(t),
            },
            boxed: true,
        }
    }

    /// What a slot arena holds in place of the box, if it may (packed,
    /// and within `types::INLINE_MIN_BYTES..=INLINE_MAX_BYTES`): the entry
    /// count as a varint, then the packed entries.
    pub fn inline_parts(&self) -> Option<(InlineHead, &[u8])> {
        match &self.enc {
            Enc::Pack(p) => {
                let mut head = InlineHead::default();
                head.push_varint(p.len);
                head.fits(&p.buf)
            }
            Enc::Tree(_) => None,
        }
    }

    /// The zset inline in a slot arena's `field`, in a box of its own.
    pub fn from_inline(field: &[u8]) -> Self {
        let (len, buf) = split_varint(field);
        ZSetObj {
            enc: Enc::Pack(Pack {
                buf: buf.to_vec(),
                len,
            }),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.zset_ref().len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding(&self) -> &'static str {
        self.zset_ref().encoding()
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.zset_ref().score(member)
    }

    /// Sets `member`'s score (never NaN); true if the member is new.
    pub fn insert(&mut self, member: &[u8], score: f64) -> bool {
        debug_assert!(!score.is_nan());
        match &mut self.enc {
            Enc::Pack(p) => {
                let old = p.find(member);
                if let Some((at, _)) = old {
                    p.remove_at(at);
                } else if p.len >= pack_limits().0 || member.len() > pack_limits().1 {
                    self.convert_to_tree();
                    return self.insert(member, score);
                }
                p.insert_ordered(member, score);
                old.is_none()
            }
            Enc::Tree(t) => t.insert(member, score),
        }
    }

    /// Removes `member`; returns its score.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match &mut self.enc {
            Enc::Pack(p) => {
                let (at, s) = p.find(member)?;
                p.remove_at(at);
                Some(s)
            }
            Enc::Tree(t) => t.remove(member),
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        self.zset_ref().rank(member)
    }

    /// The member and score at ascending rank `rank`.
    pub fn get(&self, rank: usize) -> Option<(&[u8], f64)> {
        self.zset_ref().get(rank)
    }

    /// Entries with ascending ranks in `start..end` (clamped to the zset).
    pub fn range(&self, start: usize, end: usize) -> ZIter<'_> {
        self.zset_ref().range(start, end)
    }

    /// All entries in ascending order.
    pub fn iter(&self) -> ZIter<'_> {
        self.zset_ref().iter()
    }

    /// As [`ZSetRef::count_while`].
    pub fn count_while(&self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        self.zset_ref().count_while(pred)
    }

    /// An empty zset in the form Redis picks for a result of `size_hint`
    /// members: a skiplist past `zset-max-listpack-entries`. The form
    /// shows beyond OBJECT ENCODING: a listpack stores -0 as 0.
    pub fn with_size_hint(size_hint: usize) -> Self {
        if size_hint > pack_limits().0 {
            ZSetObj {
                enc: Enc::Tree(Box::default()),
            }
        } else {
            Self::new()
        }
    }

    /// Converts a skiplist that fits to the packed form, as Redis does to a
    /// ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE result (-0 scores become 0).
    pub fn pack_if_fits(&mut self) {
        if !matches!(self.enc, Enc::Tree(_)) {
            return;
        }
        if self.is_empty() {
            *self = Self::new();
            return;
        }
        let (max_entries, max_value) = pack_limits();
        let fits = self.len() <= max_entries && self.iter().all(|(m, _)| m.len() <= max_value);
        if fits {
            let mut p = Pack::default();
            for (m, s) in self.iter() {
                p.insert_ordered(m, s);
            }
            self.enc = Enc::Pack(p);
        }
    }

    /// Converts a packed zset to the skiplist form (SORT does, as Redis).
    pub fn convert_to_skiplist(&mut self) {
        if matches!(self.enc, Enc::Pack(_)) {
            self.convert_to_tree();
        }
    }

    fn convert_to_tree(&mut self) {
        let mut t = Tree::default();
        for (m, s) in self.iter() {
            t.insert(m, s);
        }
        self.enc = Enc::Tree(Box::new(t));
    }

    /// Serializes the zset as [`ZSetRef::encode`] does.
    pub fn encode(&self) -> Vec<u8> {
        self.zset_ref().encode()
    }

    /// Reads what [`ZSetObj::encode`] wrote; `None` for anything malformed
    /// (truncated, trailing bytes, NaN, duplicate members, empty zset).
    pub fn decode(mut b: &[u8]) -> Option<ZSetObj> {
        let n = read_u32(&mut b)? as usize;
        let mut z = ZSetObj::new();
        for _ in 0..n {
            if b.len() < 8 {
                return None;
            }
            let (sb, rest) = b.split_at(8);
            let mut a = [0u8; 8];
            a.copy_from_slice(sb);
            let score = f64::from_le_bytes(a);
            b = rest;
            let len = read_u32(&mut b)? as usize;
            if score.is_nan() || len > b.len() {
                return None;
            }
            let (m, rest) = b.split_at(len);
            if !z.insert(m, score) {
                return None;
            }
            b = rest;
        }
        (b.is_empty() && !z.is_empty()).then_some(z)
    }
}

/// A sorted set, borrowed: its packed entries (in a box of their own, or
/// in a slot arena's entry) or its tree. Every read goes through it.
#[derive(Clone, Copy)]
pub struct ZSetRef<'a> {
    view: ZView<'a>,
    /// Whether a `Box<ZSetObj>` holds it (not a slot arena).
    boxed: bool,
}

#[derive(Clone, Copy)]
enum ZView<'a> {
    Pack(PackRef<'a>),
    Tree(&'a Tree),
}

impl std::fmt::Debug for ZSetRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZSetRef")
            .field("len", &self.len())
            .field("boxed", &self.boxed)
            .finish()
    }
}

impl<'a> ZSetRef<'a> {
    /// The zset inline in a slot arena's `field` ([`ZSetObj::inline_parts`]).
    pub fn inline(field: &'a [u8]) -> Self {
        let (len, buf) = split_varint(field);
        ZSetRef {
            view: ZView::Pack(PackRef { buf, len }),
            boxed: false,
        }
    }

    /// Number of members.
    pub fn len(self) -> usize {
        match self.view {
            ZView::Pack(p) => p.len,
            ZView::Tree(t) => t.len(),
        }
    }

    /// Whether there are no members.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The name `OBJECT ENCODING` replies with.
    pub fn encoding(self) -> &'static str {
        match self.view {
            ZView::Pack(_) => "listpack",
            ZView::Tree(_) => "skiplist",
        }
    }

    /// The score of `member`.
    pub fn score(self, member: &[u8]) -> Option<f64> {
        match self.view {
            ZView::Pack(p) => p.find(member).map(|(_, s)| s),
            ZView::Tree(t) => t.score(member),
        }
    }

    /// The 0-based ascending rank of `member`.
    pub fn rank(self, member: &[u8]) -> Option<usize> {
        match self.view {
            ZView::Pack(p) => p.iter().position(|(m, _)| m == member),
            ZView::Tree(t) => t.rank(member),
        }
    }

    /// The member and score at ascending rank `rank`.
    pub fn get(self, rank: usize) -> Option<(&'a [u8], f64)> {
        match self.view {
            ZView::Pack(p) => p.iter().nth(rank),
            ZView::Tree(t) => t.get(rank),
        }
    }

    /// Entries with ascending ranks in `start..end` (clamped to the zset).
    pub fn range(self, start: usize, end: usize) -> ZIter<'a> {
        let end = end.min(self.len());
        let start = start.min(end);
        let remaining = end - start;
        let inner = match self.view {
            ZView::Pack(p) => IterInner::Pack {
                buf: p.buf,
                front: p.offset_of(start),
                back: p.offset_of(end),
                starts: SmallVec::new(),
            },
            ZView::Tree(t) => IterInner::Tree {
                chunks: &t.chunks,
                front: t.position(start),
                back: t.position(end),
            },
        };
        ZIter { inner, remaining }
    }

    /// All entries in ascending order.
    pub fn iter(self) -> ZIter<'a> {
        self.range(0, self.len())
    }

    /// How many leading entries satisfy `pred`, which must hold for a prefix
    /// of the order and not after it (a score or lex lower bound).
    pub fn count_while(self, pred: impl Fn(f64, &[u8]) -> bool) -> usize {
        match self.view {
            ZView::Pack(p) => p.iter().take_while(|(m, s)| pred(*s, m)).count(),
            ZView::Tree(t) => t.count_while(pred),
        }
    }

    /// Entries in storage order of the member table, for SCAN cursors; `None`
    /// for the listpack encoding (scanned whole).
    pub fn table_entry(self, i: usize) -> Option<Option<(&'a [u8], f64)>> {
        match self.view {
            ZView::Pack(_) => None,
            ZView::Tree(t) => Some(t.map.entry(i).map(|(m, s)| (m, *s))),
        }
    }

    /// Serializes the zset: `u32` LE count, then per entry the score as `f64`
    /// LE and the member as a `u32` LE length-prefixed byte string.
    pub fn encode(self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for (m, s) in self.iter() {
            out.extend_from_slice(&s.to_le_bytes());
            out.extend_from_slice(&(m.len() as u32).to_le_bytes());
            out.extend_from_slice(m);
        }
        out
    }

    /// An owned copy.
    pub fn to_owned(self) -> ZSetObj {
        match self.view {
            ZView::Pack(p) => ZSetObj {
                enc: Enc::Pack(Pack {
                    buf: p.buf.to_vec(),
                    len: p.len,
                }),
            },
            ZView::Tree(t) => ZSetObj {
                enc: Enc::Tree(Box::new(t.clone())),
            },
        }
    }

    /// Bytes this sorted set allocates (`MEMORY USAGE`), its `Box<ZSetObj>`
    /// included: none for one inline in a slot arena (its entry counts
    /// them); exact for a boxed packed one; sampled for the tree and its
    /// table.
    pub fn heap_bytes(self, samples: usize) -> usize {
        use super::alloc_size;
        if !self.boxed {
            return 0;
        }
        alloc_size(std::mem::size_of::<ZSetObj>())
            + match self.view {
                ZView::Pack(p) => alloc_size(p.buf.len()),
                ZView::Tree(t) => alloc_size(std::mem::size_of::<Tree>()) + t.heap_bytes(samples),
            }
    }
}

#[cfg(test)]
mod tests;
