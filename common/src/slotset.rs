//! A set of hash slots (a bitmap of [`SLOT_COUNT`] bits) and its text
//! form, `0-5460,9000,9002-9010` (ascending ranges; `-` alone for none):
//! what a shard owns (its `slots` file, its hello, `SHARDD.SLOTS SET`), and
//! the slot map's lines (`proxy/MIGRATION.md`).

use crate::slot::SLOT_COUNT;

const WORDS: usize = SLOT_COUNT / 64;

/// A set of slots.
#[derive(Clone, PartialEq, Eq)]
pub struct SlotSet {
    bits: Box<[u64; WORDS]>,
}

impl Default for SlotSet {
    fn default() -> Self {
        SlotSet {
            bits: Box::new([0; WORDS]),
        }
    }
}

impl std::fmt::Debug for SlotSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SlotSet({})", self.to_ranges())
    }
}

impl SlotSet {
    /// Slots `lo..=hi`.
    pub fn range(lo: u16, hi: u16) -> SlotSet {
        let mut s = SlotSet::default();
        for slot in lo..=hi.min(SLOT_COUNT as u16 - 1) {
            s.insert(slot);
        }
        s
    }

    /// Whether `slot` is in the set.
    #[inline]
    pub fn contains(&self, slot: u16) -> bool {
        let i = slot as usize % SLOT_COUNT;
        self.bits[i / 64] >> (i % 64) & 1 != 0
    }

    /// Adds `slot`.
    pub fn insert(&mut self, slot: u16) {
        let i = slot as usize % SLOT_COUNT;
        self.bits[i / 64] |= 1 << (i % 64);
    }

    /// Removes `slot`.
    pub fn remove(&mut self, slot: u16) {
        let i = slot as usize % SLOT_COUNT;
        self.bits[i / 64] &= !(1 << (i % 64));
    }

    /// Number of slots in the set.
    pub fn len(&self) -> usize {
        self.bits.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.bits.iter().all(|&w| w == 0)
    }

    /// The slots, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u16> + '_ {
        (0..SLOT_COUNT as u16).filter(|&s| self.contains(s))
    }

    /// Adds every slot of `other`.
    pub fn union_with(&mut self, other: &SlotSet) {
        for (a, b) in self.bits.iter_mut().zip(other.bits.iter()) {
            *a |= b;
        }
    }

    /// Removes every slot of `other`.
    pub fn subtract(&mut self, other: &SlotSet) {
        for (a, b) in self.bits.iter_mut().zip(other.bits.iter()) {
            *a &= !b;
        }
    }

    /// Ascending `(lo, hi)` ranges of consecutive slots.
    pub fn ranges(&self) -> Vec<(u16, u16)> {
        let mut out: Vec<(u16, u16)> = Vec::new();
        for s in self.iter() {
            match out.last_mut() {
                Some((_, hi)) if *hi + 1 == s => *hi = s,
                _ => out.push((s, s)),
            }
        }
        out
    }

    /// The text form: `0-5460,9000` (`-` for the empty set).
    pub fn to_ranges(&self) -> String {
        let r = self.ranges();
        if r.is_empty() {
            return "-".to_string();
        }
        r.iter()
            .map(|&(lo, hi)| match lo == hi {
                true => lo.to_string(),
                false => format!("{lo}-{hi}"),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Parses the text form; `None` for anything else (a slot past 16383,
    /// a range going down, stray characters).
    pub fn parse(text: &[u8]) -> Option<SlotSet> {
        let text = std::str::from_utf8(text).ok()?.trim();
        let mut s = SlotSet::default();
        if text == "-" {
            return Some(s);
        }
        for part in text.split(',') {
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?),
                None => {
                    let v = part.parse::<u16>().ok()?;
                    (v, v)
                }
            };
            if lo > hi || hi as usize >= SLOT_COUNT {
                return None;
            }
            for slot in lo..=hi {
                s.insert(slot);
            }
        }
        Some(s)
    }

    /// The equal contiguous share of `shard` among `shards`
    /// ([`crate::slot::shard_of_slot`]): the map of a fresh start.
    pub fn share(shard: usize, shards: usize) -> SlotSet {
        let mut s = SlotSet::default();
        for slot in 0..SLOT_COUNT as u16 {
            if crate::slot::shard_of_slot(slot, shards) == shard {
                s.insert(slot);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips() {
        for text in ["-", "0-16383", "0-5460,9000,9002-9010", "16383"] {
            let s = SlotSet::parse(text.as_bytes()).expect("valid");
            assert_eq!(s.to_ranges(), text);
        }
        assert_eq!(SlotSet::parse(b"0-16383").map(|s| s.len()), Some(16384));
    }

    #[test]
    fn bad_text_is_refused() {
        for text in ["", "16384", "5-3", "a", "1,,2", "1-2-3", "-1"] {
            assert!(SlotSet::parse(text.as_bytes()).is_none(), "{text}");
        }
    }

    #[test]
    fn shares_cover_every_slot_once() {
        let mut all = SlotSet::default();
        for i in 0..3 {
            let s = SlotSet::share(i, 3);
            let mut both = s.clone();
            both.subtract(&all);
            assert_eq!(both, s, "shares overlap");
            all.union_with(&s);
        }
        assert_eq!(all.len(), SLOT_COUNT);
        assert_eq!(SlotSet::share(0, 2).to_ranges(), "0-8191");
    }
}
