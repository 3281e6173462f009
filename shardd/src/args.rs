//! Arguments kept back to back in one buffer, with where each ends: one
//! allocation for the bytes and one for the ends, reused when cleared,
//! where a `Vec` per argument costs an allocation each (a script's
//! `redis.call` arguments, a script's effects record).

/// Byte strings back to back.
#[derive(Debug, Default)]
pub struct ArgBlob {
    blob: Vec<u8>,
    /// Where each argument ends in `blob`.
    ends: Vec<usize>,
}

impl ArgBlob {
    /// Whether it holds no argument.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Forgets every argument (keeping the room).
    pub fn clear(&mut self) {
        self.blob.clear();
        self.ends.clear();
    }

    /// Makes room for `args` more arguments of `bytes` bytes in all.
    pub fn reserve(&mut self, bytes: usize, args: usize) {
        self.blob.reserve(bytes);
        self.ends.reserve(args);
    }

    /// Whether no room was ever taken.
    pub fn unallocated(&self) -> bool {
        self.blob.capacity() == 0
    }

    /// Appends one argument.
    pub fn push(&mut self, a: &[u8]) {
        self.blob.extend_from_slice(a);
        self.ends.push(self.blob.len());
    }

    /// Each argument, in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let a = &self.blob[start..end];
            start = end;
            a
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn arguments_come_back_as_pushed() {
        let mut b = super::ArgBlob::default();
        assert!(b.is_empty() && b.unallocated());
        for a in [&b"SET"[..], b"", b"k\r\nx"] {
            b.push(a);
        }
        assert_eq!(b.iter().collect::<Vec<_>>(), [&b"SET"[..], b"", b"k\r\nx"]);
        b.clear();
        assert!(b.is_empty() && b.iter().next().is_none());
    }
}
