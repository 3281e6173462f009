//! Putting one reply together from the replies of several shards.
//!
//! A command split per shard (MGET, MSET, DEL, ...) or fanned out to every
//! shard (DBSIZE, KEYS, FLUSHALL, ...) collects one part per shard; when
//! the last part arrives, [`Merge::finish`] builds the client's reply. The
//! parts are finished RESP from the shards; only arrays are taken apart, by
//! skipping over whole RESP values ([`value_len`]), never by re-encoding
//! them. If any part is an error, the reply is the first such error
//! (except for INFO and MEMORY, which show a shard that did not answer as
//! unavailable).

pub mod info;
pub mod latency;
pub mod slowlog;

use common::reply::{Proto, Reply};
use smallvec::SmallVec;

/// Parts a merge keeps inline (more spill to the heap).
const PARTS_INLINE: usize = 8;
/// Array elements a merge keeps inline.
const ELEMS_INLINE: usize = 32;
/// Where [`Merge::add`] notes the last part, which it does not keep.
const LAST_PART: usize = usize::MAX;
/// Most a merge reserves ahead for the parts still to come.
const MERGE_RESERVE_MAX_BYTES: usize = 64 << 10;

/// How the parts combine.
#[derive(Debug)]
pub enum MergeKind {
    /// Arrays whose elements go back in the order of the original keys:
    /// `order[i]` is the part of the i-th key, whose keys went out in key
    /// order (MGET).
    KeyOrder(SmallVec<[u16; 16]>),
    /// Sum of integer replies (DEL, EXISTS, UNLINK, TOUCH, DBSIZE).
    SumInts,
    /// `+OK` if every part said so (MSET, FLUSHALL).
    AllOk,
    /// Concatenate array replies (KEYS).
    ConcatArrays,
    /// One of the parts that are not null, the `pick`-th of them modulo
    /// their number (RANDOMKEY: a random shard among those with keys; the
    /// sender draws `pick`).
    AnyNonNull {
        /// Which non-null part.
        pick: u32,
    },
    /// INFO, MEMORY STATS, MEMORY DOCTOR, LATENCY HISTOGRAM: the shards'
    /// `SHARDD.INFO` parts with the proxy's figures ([`info`]).
    Info(Box<info::InfoMerge>),
    /// SLOWLOG GET and LEN: the shards' slow logs with the proxy's
    /// ([`slowlog`]).
    Slowlog(Box<slowlog::SlowlogMerge>),
    /// LATENCY LATEST, HISTORY, DOCTOR, GRAPH, RESET: the shards' latency
    /// monitors with the proxy's ([`latency`]).
    Latency(Box<latency::LatencyMerge>),
    /// The shards' common reply (SAVE, BGSAVE, BGREWRITEAOF): the first
    /// shard's status when they differ (e.g. one started, one scheduled).
    SameReply,
    /// The smallest integer (LASTSAVE: the time by which every shard had
    /// saved).
    MinInt,
    /// EXEC's reply: `len` replies, some answered by the proxy at EXEC
    /// (`proxy`: position and reply), the others, in order, the elements
    /// of the one part: a transaction's array from its shard. A null
    /// array (a watched key changed) or an error is the whole reply.
    Exec {
        /// Replies in all.
        len: usize,
        /// The proxy's replies and their positions, ascending.
        proxy: Vec<(usize, Vec<u8>)>,
    },
}

/// The argument position of the key event (`channel`, `message`) is
/// about; `usize::MAX` if none of `keys`.
fn position(keys: &[Vec<u8>], channel: &[u8], message: &[u8]) -> usize {
    let key = if channel.starts_with(b"__keyspace@") {
        channel
            .windows(3)
            .position(|w| w == b"__:")
            .map_or(&b""[..], |at| &channel[at + 3..])
    } else {
        message
    };
    keys.iter().position(|k| k == key).unwrap_or(usize::MAX)
}

/// A reply being assembled from shard parts.
#[derive(Debug)]
pub struct Merge {
    kind: MergeKind,
    /// Every part's bytes, in arrival order, in one buffer.
    data: Vec<u8>,
    /// Where part `i` lies in `data`, once it has arrived.
    spans: SmallVec<[Option<(usize, usize)>; PARTS_INLINE]>,
    left: usize,
    proto: Proto,
    /// The command's keys in argument order, kept when keyspace events
    /// are on, to put the parts' events back in that order.
    keys: Option<Vec<Vec<u8>>>,
    /// Events that rode on the parts that came, by part.
    events: Vec<(u16, Vec<u8>)>,
}

impl Merge {
    /// A merge expecting `parts` parts.
    pub fn new(kind: MergeKind, parts: usize, proto: Proto) -> Merge {
        Merge {
            kind,
            data: Vec::new(),
            spans: smallvec::smallvec![None; parts],
            left: parts,
            proto,
            keys: None,
            events: Vec::new(),
        }
    }

    /// Orders the parts' keyspace events by `keys`, the command's keys in
    /// argument order, as Redis makes them one key after another.
    pub fn with_keys(mut self, keys: Vec<Vec<u8>>) -> Merge {
        self.keys = Some(keys);
        self
    }

    /// Keeps the events blob that rode on part `i` until every part is in.
    pub fn add_events(&mut self, i: usize, blob: &[u8]) {
        self.events.push((i as u16, blob.to_vec()));
    }

    /// The kept events as one blob: by the argument position of the key
    /// each is about (the keyspace channel's key, or the keyevent
    /// message), then by part and arrival; those about no key of the
    /// command last.
    pub fn take_events(&mut self) -> Vec<u8> {
        let mut kept = std::mem::take(&mut self.events);
        if kept.is_empty() {
            return Vec::new();
        }
        kept.sort_by_key(|(part, _)| *part);
        let keys = self.keys.as_deref().unwrap_or(&[]);
        let mut all: Vec<(usize, &[u8], &[u8], common::notify::To)> = kept
            .iter()
            .flat_map(|(_, blob)| common::notify::events(blob))
            .map(|(ch, msg, to)| (position(keys, ch, msg), ch, msg, to))
            .collect();
        all.sort_by_key(|e| e.0);
        let mut out = Vec::new();
        for (_, ch, msg, to) in all {
            common::notify::push_to(&mut out, ch, msg, to);
        }
        out
    }

    /// Records part `i`; true when every part is in. The last part is not
    /// kept: it goes to [`Merge::finish`] as it is.
    pub fn add(&mut self, i: usize, body: &[u8]) -> bool {
        if let Some(span) = self.spans.get_mut(i) {
            if span.is_none() {
                self.left -= 1;
                if self.left == 0 {
                    *span = Some((LAST_PART, body.len()));
                    return true;
                }
                if self.data.is_empty() {
                    // Parts of one command tend to be alike in size: one
                    // allocation usually holds those still to come but
                    // the last (up to a bound, so one large KEYS part does
                    // not reserve shards × itself).
                    let guess = body.len().saturating_mul(self.left);
                    self.data
                        .reserve(guess.min(MERGE_RESERVE_MAX_BYTES).max(body.len()));
                }
                *span = Some((self.data.len(), body.len()));
                self.data.extend_from_slice(body);
            }
        }
        self.left == 0
    }

    /// Builds the client's reply into `out`; `last` is the part whose
    /// [`Merge::add`] completed the merge.
    pub fn finish(&self, last: &[u8], out: &mut Vec<u8>) {
        let parts: SmallVec<[&[u8]; PARTS_INLINE]> = self
            .spans
            .iter()
            .map(|s| match *s {
                Some((LAST_PART, _)) => last,
                Some((at, len)) => &self.data[at..at + len],
                None => &b""[..],
            })
            .collect();
        let mut r = Reply::new(out, self.proto);
        if let MergeKind::Info(m) = &self.kind {
            // A shard that is down is shown as such, not as INFO's failure.
            let texts: SmallVec<[Option<&str>; PARTS_INLINE]> =
                parts.iter().map(|p| bulk_text(p)).collect();
            return m.finish(&texts, &mut r);
        }
        if let Some(err) = parts.iter().find(|p| p.first() == Some(&b'-')) {
            r.raw(err);
            return;
        }
        match &self.kind {
            MergeKind::SumInts => {
                let sum: i64 = parts.iter().filter_map(|p| parse_int_reply(p)).sum();
                r.int(sum);
            }
            MergeKind::AllOk => r.ok(),
            MergeKind::AnyNonNull { pick } => {
                let found = parts.iter().filter(|p| !is_null(p));
                let count = found.clone().count();
                match found.clone().nth(*pick as usize % count.max(1)) {
                    Some(p) => r.raw(p),
                    None => r.null(),
                }
            }
            MergeKind::ConcatArrays => {
                let (elems, _) = elements_of(&parts);
                r.array(elems.len());
                for e in &elems {
                    r.raw(e);
                }
            }
            MergeKind::Info(_) => {}
            MergeKind::Slowlog(m) => m.finish(&parts, &mut r),
            MergeKind::Latency(m) => m.finish(&parts, &mut r),
            MergeKind::SameReply => match parts.first() {
                Some(p) => r.raw(p),
                None => r.ok(),
            },
            MergeKind::Exec { len, proxy } => exec_reply(parts[0], *len, proxy, &mut r),
            MergeKind::MinInt => {
                let min = parts.iter().filter_map(|p| parse_int_reply(p)).min();
                r.int(min.unwrap_or(0));
            }
            MergeKind::KeyOrder(order) => key_order(&parts, order, &mut r),
        }
    }
}

/// MGET's reply: each key's element from its part, in key order. A part's
/// elements are taken in their order (its keys went out in key order), so
/// each part is walked once with a cursor; a part that is not an array,
/// or runs short, gives nulls for the rest of its keys.
fn key_order(parts: &[&[u8]], order: &[u16], r: &mut Reply) {
    // (rest of the part, elements left) per part.
    let mut cursors: SmallVec<[(&[u8], usize); PARTS_INLINE]> = parts
        .iter()
        .map(|p| match header(p) {
            Some((b'*' | b'~', n, at)) => (&p[at..], usize::try_from(n).unwrap_or(0)),
            _ => (&b""[..], 0),
        })
        .collect();
    r.array(order.len());
    for &part in order {
        let next = cursors.get_mut(part as usize).and_then(|(rest, left)| {
            if *left == 0 {
                return None;
            }
            let len = value_len(rest)?;
            let (e, tail) = rest.split_at(len);
            *rest = tail;
            *left -= 1;
            Some(e)
        });
        match next {
            Some(e) => r.raw(e),
            None => {
                // A part that went wrong gives nulls from here on.
                if let Some(c) = cursors.get_mut(part as usize) {
                    c.1 = 0;
                }
                r.null()
            }
        }
    }
}

/// The array elements of every part, in one list, and where each part's
/// elements lie in it (start, count); a part that is not an array has none.
#[allow(clippy::type_complexity)]
fn elements_of<'a>(
    parts: &[&'a [u8]],
) -> (
    SmallVec<[&'a [u8]; ELEMS_INLINE]>,
    SmallVec<[(usize, usize); PARTS_INLINE]>,
) {
    let mut elems: SmallVec<[&'a [u8]; ELEMS_INLINE]> = SmallVec::new();
    let mut ranges = SmallVec::new();
    for p in parts {
        let start = elems.len();
        if push_elements(p, |e| elems.push(e)).is_none() {
            elems.truncate(start);
        }
        ranges.push((start, elems.len() - start));
    }
    (elems, ranges)
}

fn exec_reply(part: &[u8], len: usize, proxy: &[(usize, Vec<u8>)], r: &mut Reply) {
    if is_null(part) {
        r.raw(part);
        return;
    }
    // No reply of the proxy's own to put in: the shard's array is the
    // reply (trusted as every shard reply is; its elements not walked).
    if proxy.is_empty()
        && matches!(header(part), Some((b'*', n, _)) if usize::try_from(n) == Ok(len))
    {
        r.raw(part);
        return;
    }
    let Some(elems) = array_elements(part).filter(|e| e.len() + proxy.len() == len) else {
        r.error("ERR bad transaction reply from a shard");
        return;
    };
    r.array(len);
    let (mut shard, mut mine) = (elems.iter(), proxy.iter().peekable());
    for i in 0..len {
        match mine.next_if(|(at, _)| *at == i) {
            Some((_, reply)) => r.raw(reply),
            None => r.raw(shard.next().copied().unwrap_or(b"$-1\r\n")),
        }
    }
}

/// A shard's SCAN reply: its cursor and the keys (each as its RESP
/// bytes); `None` for anything else (an error).
pub fn scan_parts(reply: &[u8]) -> Option<(u64, Vec<&[u8]>)> {
    let e = array_elements(reply)?;
    let cursor = bulk_text(e.first()?)?.parse::<u64>().ok()?;
    Some((cursor, array_elements(e.get(1)?)?))
}

fn bulk_text(v: &[u8]) -> Option<&str> {
    std::str::from_utf8(bulk_bytes(v)?).ok()
}

/// The bytes of a bulk string reply; `None` for anything else (a null).
pub fn bulk_bytes(v: &[u8]) -> Option<&[u8]> {
    let (kind, n, at) = header(v)?;
    if kind != b'$' {
        return None;
    }
    v.get(at..at + usize::try_from(n).ok()?)
}

fn is_null(p: &[u8]) -> bool {
    p == b"$-1\r\n" || p == b"*-1\r\n" || p == b"_\r\n"
}

/// The integer of a `:n` reply.
pub fn parse_int_reply(p: &[u8]) -> Option<i64> {
    match header(p)? {
        (b':', n, used) if used == p.len() => Some(n),
        _ => None,
    }
}

/// The elements of an array (or set) reply, each as its whole RESP bytes.
pub fn array_elements(p: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    push_elements(p, |e| out.push(e))?;
    Some(out)
}

/// Hands each element of an array (or set) reply to `push`; `None` (with
/// some elements perhaps pushed) if `p` is not one whole array.
fn push_elements<'a>(p: &'a [u8], mut push: impl FnMut(&'a [u8])) -> Option<()> {
    let (kind, n, mut at) = header(p)?;
    if kind != b'*' && kind != b'~' {
        return None;
    }
    for _ in 0..usize::try_from(n).ok()? {
        let len = value_len(p.get(at..)?)?;
        push(p.get(at..at + len)?);
        at += len;
    }
    Some(())
}

/// Reads a `Xnumber\r\n` line: (type byte, number, bytes used). The
/// digits are read in place (a merge reads one such line per element).
fn header(p: &[u8]) -> Option<(u8, i64, usize)> {
    let kind = *p.first()?;
    let neg = p.get(1) == Some(&b'-');
    let start = 1 + usize::from(neg);
    let mut at = start;
    let mut n: i64 = 0;
    while let Some(d) = p.get(at).map(|c| c.wrapping_sub(b'0')).filter(|&d| d <= 9) {
        n = n.checked_mul(10)?;
        n = if neg {
            n.checked_sub(i64::from(d))?
        } else {
            n.checked_add(i64::from(d))?
        };
        at += 1;
    }
    (at > start && p.get(at..at + 2) == Some(b"\r\n")).then_some((kind, n, at + 2))
}

/// Length in bytes of the one complete RESP value at the start of `p`.
pub fn value_len(p: &[u8]) -> Option<usize> {
    let kind = *p.first()?;
    if kind == b'$' {
        if let Some(len) = short_bulk_len(p) {
            return Some(len);
        }
    }
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

/// The length of a null or of a bulk string whose header is canonical
/// (the shards' always are) at the start of `p`, read by shape with the
/// request parser's [`crate::resp::fast_bulk_header`]: the elements MGET
/// merges by the thousand; `None` for anything else (a part cut short),
/// which [`value_len`]'s general way then reads.
#[inline]
fn short_bulk_len(p: &[u8]) -> Option<usize> {
    if p.get(1) == Some(&b'-') {
        // A null (a missing key) is the other common element.
        return (p.get(..5) == Some(b"$-1\r\n")).then_some(5);
    }
    let (n, at) = crate::resp::fast_bulk_header(p)?;
    let end = at.checked_add(n)?.checked_add(2)?;
    (end <= p.len()).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `parts` (index, body) in turn; the reply once the last is in.
    fn fed(m: &mut Merge, parts: &[(usize, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (n, &(i, body)) in parts.iter().enumerate() {
            assert_eq!(m.add(i, body), n + 1 == parts.len(), "part {i}");
            if n + 1 == parts.len() {
                m.finish(body, &mut out);
            }
        }
        out
    }

    #[test]
    fn an_exec_reply_passes_through_or_takes_the_proxys_replies_in_place() {
        let exec = |part: &[u8], len: usize, proxy: &[(usize, Vec<u8>)]| {
            let mut out = Vec::new();
            exec_reply(part, len, proxy, &mut Reply::new(&mut out, Proto::Resp2));
            String::from_utf8_lossy(&out).into_owned()
        };
        let shard = b"*2\r\n+OK\r\n:1\r\n";
        assert_eq!(exec(shard, 2, &[]), "*2\r\n+OK\r\n:1\r\n");
        assert_eq!(
            exec(shard, 3, &[(1, b"+PONG\r\n".to_vec())]),
            "*3\r\n+OK\r\n+PONG\r\n:1\r\n"
        );
        assert_eq!(exec(b"*-1\r\n", 2, &[]), "*-1\r\n");
        assert!(exec(shard, 3, &[]).starts_with("-ERR bad transaction reply"));
    }

    #[test]
    fn events_of_the_parts_come_out_in_the_order_of_the_keys() {
        use common::notify::{events, push_event};
        // MSET a 1 c 2 d 3: a and d on part 1, c on part 0; part 0 first.
        let keys = vec![b"a".to_vec(), b"c".to_vec(), b"d".to_vec()];
        let mut m = Merge::new(MergeKind::AllOk, 2, Proto::Resp2).with_keys(keys);
        let mut part0 = Vec::new();
        push_event(&mut part0, b"__keyspace@0__:c", b"set");
        push_event(&mut part0, b"__keyevent@0__:set", b"c");
        let mut part1 = Vec::new();
        for k in ["a", "d"] {
            push_event(&mut part1, format!("__keyspace@0__:{k}").as_bytes(), b"set");
            push_event(&mut part1, b"__keyevent@0__:set", k.as_bytes());
        }
        push_event(&mut part1, b"__keyevent@0__:other", b"zzz");
        m.add_events(0, &part0);
        assert!(!m.add(0, b"+OK\r\n"));
        m.add_events(1, &part1);
        assert!(m.add(1, b"+OK\r\n"));
        let blob = m.take_events();
        let got: Vec<(String, String)> = events(&blob)
            .map(|(c, msg, _)| {
                (
                    String::from_utf8_lossy(c).into_owned(),
                    String::from_utf8_lossy(msg).into_owned(),
                )
            })
            .collect();
        let want = [
            ("__keyspace@0__:a", "set"),
            ("__keyevent@0__:set", "a"),
            ("__keyspace@0__:c", "set"),
            ("__keyevent@0__:set", "c"),
            ("__keyspace@0__:d", "set"),
            ("__keyevent@0__:set", "d"),
            ("__keyevent@0__:other", "zzz"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(c, m)| (c.to_string(), m.to_string()))
            .collect();
        assert_eq!(got, want);
        assert!(m.take_events().is_empty());
    }

    #[test]
    fn mget_parts_merge_back_in_key_order() {
        // Keys a, b, c: a and c on part 0, b on part 1.
        let order = smallvec::smallvec![0, 1, 0];
        let mut m = Merge::new(MergeKind::KeyOrder(order), 2, Proto::Resp2);
        let out = fed(
            &mut m,
            &[(1, b"*1\r\n$1\r\nB\r\n"), (0, b"*2\r\n$1\r\nA\r\n$-1\r\n")],
        );
        assert_eq!(out, b"*3\r\n$1\r\nA\r\n$1\r\nB\r\n$-1\r\n");
    }

    #[test]
    fn parts_past_the_inline_sizes_and_broken_parts_still_merge() {
        // 12 parts (past PARTS_INLINE) of 4 elements (48, past
        // ELEMS_INLINE), arriving last first.
        let n = 12;
        let mut order: SmallVec<[u16; 16]> = SmallVec::new();
        for _ in 0..4 {
            for p in 0..n {
                order.push(p as u16);
            }
        }
        // Part 5 answers with something that is not an array: its keys are
        // null; a key past a part's elements is null too.
        order.push(0);
        let mut m = Merge::new(MergeKind::KeyOrder(order), n, Proto::Resp2);
        let mut bodies = Vec::new();
        for p in (0..n).rev() {
            let body = if p == 5 {
                b"+what\r\n".to_vec()
            } else {
                (0..4).fold(b"*4\r\n".to_vec(), |mut b, e| {
                    b.extend_from_slice(
                        format!("$2\r\n{}{e}\r\n", (b'a' + p as u8) as char).as_bytes(),
                    );
                    b
                })
            };
            bodies.push((p, body));
        }
        let parts: Vec<(usize, &[u8])> = bodies.iter().map(|(p, b)| (*p, &b[..])).collect();
        let out = fed(&mut m, &parts);
        let mut want = b"*49\r\n".to_vec();
        for e in 0..4 {
            for p in 0..n {
                if p == 5 {
                    want.extend_from_slice(b"$-1\r\n");
                } else {
                    want.extend_from_slice(
                        format!("$2\r\n{}{e}\r\n", (b'a' + p as u8) as char).as_bytes(),
                    );
                }
            }
        }
        want.extend_from_slice(b"$-1\r\n");
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&want)
        );

        let mut m = Merge::new(MergeKind::ConcatArrays, 3, Proto::Resp2);
        // A truncated array (part 1) contributes nothing.
        let out = fed(
            &mut m,
            &[
                (2, b"*1\r\n$1\r\nc\r\n"),
                (0, b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
                (1, b"*3\r\n$1\r\nx\r\n"),
            ],
        );
        assert_eq!(out, b"*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
    }

    #[test]
    fn integer_parts_sum_and_errors_win() {
        let mut m = Merge::new(MergeKind::SumInts, 2, Proto::Resp2);
        let out = fed(&mut m, &[(0, b":2\r\n"), (1, b":3\r\n")]);
        assert_eq!(out, b":5\r\n");
        let mut m = Merge::new(MergeKind::AllOk, 2, Proto::Resp2);
        let out = fed(
            &mut m,
            &[(0, b"+OK\r\n"), (1, b"-ERR shard 1 is unavailable\r\n")],
        );
        assert_eq!(out, b"-ERR shard 1 is unavailable\r\n");
    }

    #[test]
    fn save_replies_merge_to_the_common_status_and_lastsave_to_the_oldest() {
        let merged = |kind: MergeKind, parts: &[&[u8]]| {
            let mut m = Merge::new(kind, parts.len(), Proto::Resp2);
            let parts: Vec<(usize, &[u8])> = parts.iter().copied().enumerate().collect();
            fed(&mut m, &parts)
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
    fn headers_read_their_number_in_place_and_refuse_malformed_lines() {
        assert_eq!(header(b"$3\r\nabc\r\n"), Some((b'$', 3, 4)));
        assert_eq!(header(b"*-1\r\n"), Some((b'*', -1, 5)));
        assert_eq!(header(b"*0\r\n"), Some((b'*', 0, 4)));
        assert_eq!(
            header(b":-9223372036854775808\r\n"),
            Some((b':', i64::MIN, 23))
        );
        for bad in [
            &b"$\r\n"[..],
            b"$-\r\n",
            b"$12x\r\n",
            b"$5\n",
            b"$5\r",
            b"$5",
            b"",
            b"$9223372036854775808\r\n",
        ] {
            assert_eq!(header(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn bulk_strings_short_and_long_read_whole_or_not_at_all() {
        for n in [0usize, 1, 9, 10, 99, 100, 999, 1000, 9999, 10000, 12345] {
            let mut v = format!("${n}\r\n").into_bytes();
            v.extend(std::iter::repeat_n(b'x', n));
            v.extend_from_slice(b"\r\nnext");
            assert_eq!(value_len(&v), Some(v.len() - 4), "{n}");
            assert_eq!(value_len(&v[..v.len() - 5]), None, "{n} cut");
        }
        for odd in [
            &b"$\r\n"[..],
            b"$12a\r\n",
            b"$-1\r\n",
            b"$1\rx",
            b"$",
            b"$00001\r\nx\r\n",
        ] {
            let general = header(odd).and_then(|(_, n, at)| match n {
                n if n < 0 => Some(at),
                n => Some(at + n as usize + 2).filter(|&e| e <= odd.len()),
            });
            assert_eq!(value_len(odd), general, "{}", String::from_utf8_lossy(odd));
        }
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
