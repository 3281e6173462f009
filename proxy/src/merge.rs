//! Putting one reply together from the replies of several shards.
//!
//! A command split per shard (MGET, MSET, DEL, ...) or fanned out to every
//! shard (DBSIZE, KEYS, FLUSHALL, ...) collects one part per shard; when
//! the last part arrives, [`Merge::finish`] builds the client's reply. The
//! parts are finished RESP from the shards; only arrays are taken apart, by
//! skipping over whole RESP values ([`value_len`]), never by re-encoding
//! them. If any part is an error, the reply is the first such error.

pub mod info;

use shardd::reply::{Proto, Reply};

/// How the parts combine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeKind {
    /// Arrays whose elements go back in the order of the original keys:
    /// `order[i]` is (part, element index) of the i-th key (MGET).
    KeyOrder(Vec<(u16, u32)>),
    /// Sum of integer replies (DEL, EXISTS, UNLINK, TOUCH, DBSIZE).
    SumInts,
    /// `+OK` if every part said so (MSET, FLUSHALL).
    AllOk,
    /// Concatenate array replies (KEYS).
    ConcatArrays,
    /// The first part that is not null (RANDOMKEY).
    FirstNonNull,
    /// One shard's SCAN reply, its cursor rewritten to name the shard (see
    /// `fanout`): the walk moves to the next shard when this one is done.
    ScanCursor {
        /// The shard that answered.
        shard: u16,
        /// Number of shards.
        shards: u16,
    },
    /// INFO: the proxy's own sections, then the persistence, keyspace and
    /// shards sections merged from the shards' `SHARDD.INFO` parts
    /// ([`info`]), keeping the sections named (lowercase; empty: all).
    Info {
        /// The proxy's own sections.
        head: String,
        /// The proxy's figures merged with the shards'.
        proxy: info::ProxyFigures,
        /// The sections asked for.
        sections: Vec<String>,
    },
    /// The shards' common reply (SAVE, BGSAVE, BGREWRITEAOF): the first
    /// shard's status when they differ (e.g. one started, one scheduled).
    SameReply,
    /// The smallest integer (LASTSAVE: the time by which every shard had
    /// saved).
    MinInt,
}

/// A reply being assembled from shard parts.
#[derive(Debug)]
pub struct Merge {
    kind: MergeKind,
    parts: Vec<Option<Vec<u8>>>,
    left: usize,
    proto: Proto,
}

impl Merge {
    /// A merge expecting `parts` parts.
    pub fn new(kind: MergeKind, parts: usize, proto: Proto) -> Merge {
        Merge {
            kind,
            parts: vec![None; parts],
            left: parts,
            proto,
        }
    }

    /// Records part `i`; true when every part is in.
    pub fn add(&mut self, i: usize, body: &[u8]) -> bool {
        if let Some(slot) = self.parts.get_mut(i) {
            if slot.is_none() {
                *slot = Some(body.to_vec());
                self.left -= 1;
            }
        }
        self.left == 0
    }

    /// Builds the client's reply into `out`.
    pub fn finish(&self, out: &mut Vec<u8>) {
        let parts: Vec<&[u8]> = self
            .parts
            .iter()
            .map(|p| p.as_deref().unwrap_or(b""))
            .collect();
        if let Some(err) = parts.iter().find(|p| p.first() == Some(&b'-')) {
            out.extend_from_slice(err);
            return;
        }
        let mut r = Reply::new(out, self.proto);
        match &self.kind {
            MergeKind::SumInts => {
                let sum: i64 = parts.iter().filter_map(|p| parse_int_reply(p)).sum();
                r.int(sum);
            }
            MergeKind::AllOk => r.ok(),
            MergeKind::FirstNonNull => match parts.iter().find(|p| !is_null(p)) {
                Some(p) => r.raw(p),
                None => r.null(),
            },
            MergeKind::ConcatArrays => {
                let elems: Vec<Vec<&[u8]>> = parts
                    .iter()
                    .map(|p| array_elements(p).unwrap_or_default())
                    .collect();
                r.array(elems.iter().map(Vec::len).sum());
                for e in elems.iter().flatten() {
                    r.raw(e);
                }
            }
            MergeKind::ScanCursor { shard, shards } => {
                scan_reply(parts[0], *shard, *shards, &mut r)
            }
            MergeKind::Info {
                head,
                proxy,
                sections,
            } => {
                let texts: Vec<Option<&str>> = parts.iter().map(|p| bulk_text(p)).collect();
                let text = format!("{head}{}", info::shard_sections(&texts, proxy));
                r.verbatim(info::select_sections(&text, sections).as_bytes());
            }
            MergeKind::SameReply => match parts.first() {
                Some(p) => r.raw(p),
                None => r.ok(),
            },
            MergeKind::MinInt => {
                let min = parts.iter().filter_map(|p| parse_int_reply(p)).min();
                r.int(min.unwrap_or(0));
            }
            MergeKind::KeyOrder(order) => {
                let elems: Vec<Vec<&[u8]>> = parts
                    .iter()
                    .map(|p| array_elements(p).unwrap_or_default())
                    .collect();
                r.array(order.len());
                for &(part, idx) in order {
                    match elems.get(part as usize).and_then(|e| e.get(idx as usize)) {
                        Some(e) => r.raw(e),
                        None => r.null(),
                    }
                }
            }
        }
    }
}

fn scan_reply(part: &[u8], shard: u16, shards: u16, r: &mut Reply) {
    let parsed = array_elements(part).and_then(|e| {
        let cursor = bulk_text(e.first()?)?.parse::<u64>().ok()?;
        Some((cursor, *e.get(1)?))
    });
    let Some((cursor, keys)) = parsed else {
        r.error("ERR bad SCAN reply from a shard");
        return;
    };
    let next = if cursor != 0 {
        (cursor << crate::fanout::SCAN_SHARD_BITS) | shard as u64
    } else if shard + 1 < shards {
        shard as u64 + 1
    } else {
        0
    };
    r.array(2);
    r.bulk(next.to_string().as_bytes());
    r.raw(keys);
}

fn bulk_text(v: &[u8]) -> Option<&str> {
    let (kind, n, at) = header(v)?;
    if kind != b'$' {
        return None;
    }
    std::str::from_utf8(v.get(at..at + usize::try_from(n).ok()?)?).ok()
}

fn is_null(p: &[u8]) -> bool {
    p == b"$-1\r\n" || p == b"*-1\r\n" || p == b"_\r\n"
}

/// The integer of a `:n` reply.
pub fn parse_int_reply(p: &[u8]) -> Option<i64> {
    let digits = p.strip_prefix(b":")?.strip_suffix(b"\r\n")?;
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The elements of an array (or set) reply, each as its whole RESP bytes.
pub fn array_elements(p: &[u8]) -> Option<Vec<&[u8]>> {
    let (kind, n, mut at) = header(p)?;
    if kind != b'*' && kind != b'~' {
        return None;
    }
    let n = usize::try_from(n).ok()?;
    let mut out = Vec::with_capacity(n.min(p.len() / 3));
    for _ in 0..n {
        let len = value_len(&p[at..])?;
        out.push(&p[at..at + len]);
        at += len;
    }
    Some(out)
}

/// Reads a `Xnumber\r\n` line: (type byte, number, bytes used).
fn header(p: &[u8]) -> Option<(u8, i64, usize)> {
    let end = memchr::memchr(b'\n', p)?;
    let line = p.get(1..end.checked_sub(1)?)?;
    let n = std::str::from_utf8(line).ok()?.parse().ok()?;
    Some((p[0], n, end + 1))
}

/// Length in bytes of the one complete RESP value at the start of `p`.
pub fn value_len(p: &[u8]) -> Option<usize> {
    let kind = *p.first()?;
    match kind {
        b'+' | b'-' | b':' | b',' | b'#' | b'_' | b'(' => Some(memchr::memchr(b'\n', p)? + 1),
        b'$' | b'=' | b'!' => {
            let (_, n, at) = header(p)?;
            if n < 0 {
                return Some(at);
            }
            let end = at.checked_add(usize::try_from(n).ok()?)?.checked_add(2)?;
            (end <= p.len()).then_some(end)
        }
        b'*' | b'~' | b'%' | b'>' | b'|' => {
            let (_, n, mut at) = header(p)?;
            if n < 0 {
                return Some(at);
            }
            let count = usize::try_from(n).ok()? * if kind == b'%' || kind == b'|' { 2 } else { 1 };
            for _ in 0..count {
                at += value_len(p.get(at..)?)?;
            }
            Some(at)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mget_parts_merge_back_in_key_order() {
        // Keys a, b, c: a and c on part 0, b on part 1.
        let order = vec![(0, 0), (1, 0), (0, 1)];
        let mut m = Merge::new(MergeKind::KeyOrder(order), 2, Proto::Resp2);
        assert!(!m.add(1, b"*1\r\n$1\r\nB\r\n"));
        assert!(m.add(0, b"*2\r\n$1\r\nA\r\n$-1\r\n"));
        let mut out = Vec::new();
        m.finish(&mut out);
        assert_eq!(out, b"*3\r\n$1\r\nA\r\n$1\r\nB\r\n$-1\r\n");
    }

    #[test]
    fn integer_parts_sum_and_errors_win() {
        let mut m = Merge::new(MergeKind::SumInts, 2, Proto::Resp2);
        m.add(0, b":2\r\n");
        m.add(1, b":3\r\n");
        let mut out = Vec::new();
        m.finish(&mut out);
        assert_eq!(out, b":5\r\n");
        let mut m = Merge::new(MergeKind::AllOk, 2, Proto::Resp2);
        m.add(0, b"+OK\r\n");
        m.add(1, b"-ERR shard 1 is unavailable\r\n");
        let mut out = Vec::new();
        m.finish(&mut out);
        assert_eq!(out, b"-ERR shard 1 is unavailable\r\n");
    }

    #[test]
    fn save_replies_merge_to_the_common_status_and_lastsave_to_the_oldest() {
        let merged = |kind: MergeKind, parts: &[&[u8]]| {
            let mut m = Merge::new(kind, parts.len(), Proto::Resp2);
            for (i, p) in parts.iter().enumerate() {
                m.add(i, p);
            }
            let mut out = Vec::new();
            m.finish(&mut out);
            out
        };
        let started: &[u8] = b"+Background saving started\r\n";
        assert_eq!(merged(MergeKind::SameReply, &[started, started]), started);
        let busy: &[u8] = b"-ERR Background save already in progress\r\n";
        assert_eq!(merged(MergeKind::SameReply, &[started, busy]), busy);
        assert_eq!(
            merged(MergeKind::MinInt, &[b":1700000100\r\n", b":1700000050\r\n"]),
            b":1700000050\r\n"
        );
    }

    #[test]
    fn value_len_skips_nested_values_and_refuses_truncated_ones() {
        let v = b"*2\r\n%1\r\n+a\r\n:1\r\n$3\r\nxyz\r\nrest";
        assert_eq!(value_len(v), Some(v.len() - 4));
        assert_eq!(value_len(b"$5\r\nab"), None);
        assert_eq!(value_len(b"*-1\r\n"), Some(5));
        assert_eq!(value_len(b"?"), None);
    }
}
