//! A list borrowed for reading ([`ListRef`]), whether it is a boxed
//! [`ListObj`] or a small list written out in a slot arena's entry
//! (`keyspace::store`'s inline collections), and the two conversions
//! between them.

use super::{Chunk, End, ListObj, Repr};
use crate::types::{
    alloc_size,
    hash::{put_bytes, put_varint},
    split_varint, InlineHead, INLINE_MAX_BYTES, INLINE_MIN_BYTES,
};

/// A list, borrowed: a [`ListObj`] in its box, or a small list inline in
/// a slot arena's entry (`[n varint][n end offsets, u16 LE][elements]`,
/// as [`ListObj::write_inline_body`] writes it after its head). Every read goes through it.
#[derive(Clone, Copy)]
pub struct ListRef<'a>(LView<'a>);

#[derive(Clone, Copy)]
enum LView<'a> {
    Obj(&'a ListObj),
    Inline {
        n: usize,
        ends: &'a [u8],
        data: &'a [u8],
    },
}

impl std::fmt::Debug for ListRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListRef").field("len", &self.len()).finish()
    }
}

impl<'a> ListRef<'a> {
    /// The list inline in a slot arena's `field`.
    pub fn inline(field: &'a [u8]) -> Self {
        let (n, rest) = split_varint(field);
        let n = n.min(rest.len() / 2);
        let (ends, data) = rest.split_at(2 * n);
        ListRef(LView::Inline { n, ends, data })
    }

    /// Number of elements.
    pub fn len(self) -> usize {
        match self.0 {
            LView::Obj(l) => l.len(),
            LView::Inline { n, .. } => n,
        }
    }

    /// Whether the list has no elements.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The element at position `i`.
    pub fn get(self, i: usize) -> Option<&'a [u8]> {
        match self.0 {
            LView::Obj(l) => l.get(i),
            LView::Inline { n, ends, data } => {
                if i >= n {
                    return None;
                }
                let end_at =
                    |k: usize| usize::from(u16::from_le_bytes([ends[2 * k], ends[2 * k + 1]]));
                let start = if i == 0 { 0 } else { end_at(i - 1) };
                data.get(start..end_at(i))
            }
        }
    }

    /// The element at `end`, if any.
    pub fn peek(self, end: End) -> Option<&'a [u8]> {
        match (self.0, end) {
            (LView::Obj(l), _) => l.peek(end),
            (_, End::Front) => self.get(0),
            (_, End::Back) => self.get(self.len().checked_sub(1)?),
        }
    }

    /// Every element, head to tail (reversible).
    pub fn iter(self) -> impl DoubleEndedIterator<Item = &'a [u8]> + 'a {
        let (obj, inline) = match self.0 {
            LView::Obj(l) => (Some(l.iter()), None),
            LView::Inline { n, .. } => (None, Some((0..n).filter_map(move |k| self.get(k)))),
        };
        obj.into_iter()
            .flatten()
            .chain(inline.into_iter().flatten())
    }

    /// Elements from position `i` on, head to tail.
    pub fn iter_from(self, i: usize) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (obj, inline) = match self.0 {
            LView::Obj(l) => (Some(l.iter_from(i)), None),
            LView::Inline { n, .. } => (None, Some((i.min(n)..n).filter_map(move |k| self.get(k)))),
        };
        obj.into_iter()
            .flatten()
            .chain(inline.into_iter().flatten())
    }

    /// Elements at positions `start..=end` (clamped to the list), head to tail.
    pub fn range(self, start: usize, end: usize) -> impl Iterator<Item = &'a [u8]> {
        let n = end.saturating_add(1).min(self.len()).saturating_sub(start);
        self.iter_from(start).take(n)
    }

    /// Serializes as [`ListObj::encode`] does.
    pub fn encode(self, out: &mut Vec<u8>) {
        put_varint(out, self.len() as u64);
        for e in self.iter() {
            put_bytes(out, e);
        }
    }

    /// An owned copy.
    pub fn to_owned(self) -> ListObj {
        match self.0 {
            LView::Obj(l) => l.clone(),
            LView::Inline { n, data, .. } => {
                // One chunk, built at its exact size: the elements as they
                // are, their ends widened to four bytes.
                let mut ends = Vec::with_capacity(n);
                let mut end = 0usize;
                for e in self.iter() {
                    end += e.len();
                    ends.push(end as u32);
                }
                let buf = data[..end.min(data.len())].to_vec();
                ListObj {
                    repr: Repr::Small(Chunk {
                        buf,
                        head: 0,
                        ends,
                        first: 0,
                    }),
                }
            }
        }
    }

    /// Bytes this list allocates (`MEMORY USAGE`), its `Box<ListObj>`
    /// included: none for one inline in a slot arena (its entry counts
    /// them).
    pub fn heap_bytes(self, samples: usize) -> usize {
        match self.0 {
            LView::Obj(l) => alloc_size(std::mem::size_of::<ListObj>()) + l.heap_bytes(samples),
            LView::Inline { .. } => 0,
        }
    }
}

impl ListObj {
    /// The list, borrowed for reading.
    pub fn list_ref(&self) -> ListRef<'_> {
        ListRef(LView::Obj(self))
    }

    /// What a slot arena holds in place of the box, if it may (one chunk,
    /// within `types::INLINE_MIN_BYTES..=INLINE_MAX_BYTES` with its
    /// offsets): the head (the element count) and the length of the body
    /// [`ListObj::write_inline_body`] writes. Unlike the other kinds' packed
    /// forms the body is not one slice (the chunk keeps its ends apart and
    /// room at both ends), so the store has it written in place.
    pub fn inline_head(&self) -> Option<(InlineHead, usize)> {
        let Repr::Small(c) = &self.repr else {
            return None;
        };
        let n = c.len();
        let body_len = 2 * n + c.bytes();
        let mut head = InlineHead::default();
        head.push_varint(n);
        let total = head.as_slice().len() + body_len;
        (INLINE_MIN_BYTES..=INLINE_MAX_BYTES)
            .contains(&total)
            .then_some((head, body_len))
    }

    /// Writes the inline body through `out`: each element's end offset (two bytes),
    /// then the elements ([`ListObj::inline_head`] said it fits).
    pub fn write_inline_body(&self, mut out: impl FnMut(&[u8])) {
        let mut end = 0usize;
        for e in self.iter() {
            end += e.len();
            out(&(end as u16).to_le_bytes());
        }
        self.iter().for_each(out);
    }

    /// The list inline in a slot arena's `field`, in a box of its own.
    pub fn from_inline(field: &[u8]) -> Self {
        ListRef::inline(field).to_owned()
    }
}
