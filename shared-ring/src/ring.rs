//! The single-producer/single-consumer byte ring over a [`Segment`].
//!
//! Records are 8-byte aligned: an 8-byte header (payload length u32, kind
//! u32) and the payload, padded to 8. A record that does not fit before
//! the end of the data area is preceded by a padding record that fills the
//! rest, so every record is contiguous and read in place. A record larger
//! than a quarter of the ring travels as chunks (first/middle/last) and is
//! reassembled by the consumer into one buffer; only such records are
//! copied on the way in.
//!
//! Cost per batch (see PROTOCOL.md): the producer writes records with plain
//! stores and publishes them with one release-store of `head`; the consumer
//! reads `head` with one acquire-load, reads every record in place and
//! releases them with one release-store of `tail`. A doorbell syscall
//! happens only when the other side has said it is parked.

use std::sync::{
    atomic::{fence, Ordering},
    Arc,
};

use crate::{doorbell::Doorbell, segment::Segment, RingError};

/// Bytes of a record header.
pub const RECORD_HEADER_BYTES: usize = 8;
/// Default largest record (Redis's bulk limit, 512 MiB).
pub const DEFAULT_MAX_RECORD_BYTES: usize = 512 << 20;

const KIND_WHOLE: u32 = 1;
const KIND_PAD: u32 = 2;
const KIND_FIRST: u32 = 3;
const KIND_MIDDLE: u32 = 4;
const KIND_LAST: u32 = 5;

/// Bytes a record with `len` payload bytes occupies in the ring.
pub fn record_size(len: usize) -> usize {
    (RECORD_HEADER_BYTES + len + 7) & !7
}

/// Largest payload that travels as one in-place record in a ring of
/// `capacity` bytes; larger ones are chunked.
pub fn max_fragment(capacity: usize) -> usize {
    capacity / 4 - RECORD_HEADER_BYTES
}

/// The writing end of a ring.
pub struct Producer {
    seg: Arc<Segment>,
    mask: u64,
    /// Position after the last record written (published or not).
    head: u64,
    /// Position last published to the consumer.
    published: u64,
    /// Last `tail` read from the consumer.
    cached_tail: u64,
    max_record: usize,
    pending: Option<Pending>,
    peer: Option<Doorbell>,
    /// `head` when the data area's pages were last given back.
    released_at: Option<u64>,
}

/// A record the producer accepted but has not fully written yet.
struct Pending {
    data: Vec<u8>,
    /// Bytes of `data` already in the ring (chunked records only).
    sent: usize,
    chunked: bool,
}

impl Producer {
    /// The producer of `seg`; `peer` is the consumer's doorbell, rung when
    /// it has said it is parked. Records up to `max_record` bytes go through.
    /// Refuses positions that break the ring's invariants (the segment's
    /// creator, maybe the peer, wrote them): every record starts 8-aligned,
    /// and the producer is never behind the consumer nor more than the
    /// capacity ahead of it.
    pub fn new(
        seg: Arc<Segment>,
        peer: Option<Doorbell>,
        max_record: usize,
    ) -> Result<Producer, RingError> {
        // `Segment` only ever holds a power of two; the masks rely on it.
        assert!(seg.capacity().is_power_of_two());
        let head = seg.head().load(Ordering::Acquire);
        let tail = seg.tail().load(Ordering::Acquire);
        let aligned = head.is_multiple_of(8) && tail.is_multiple_of(8);
        if !aligned || tail > head || head - tail > seg.capacity() as u64 {
            return Err(RingError::Corrupt("ring positions out of range"));
        }
        Ok(Producer {
            mask: seg.capacity() as u64 - 1,
            seg,
            head,
            published: head,
            cached_tail: tail,
            max_record,
            pending: None,
            peer,
            released_at: None,
        })
    }

    /// Gives the data area's pages back to the kernel if the ring is
    /// empty (the consumer has read everything written) and something was
    /// written since the last time: for an idle producer, so a ring a
    /// burst filled does not stay resident in both processes. Cheap to
    /// call often; returns whether pages went back.
    pub fn release_idle(&mut self) -> bool {
        if self.pending.is_some()
            || self.head != self.published
            || self.released_at == Some(self.head)
        {
            return false;
        }
        // The consumer releases its tail after it is done with the bytes
        // (`Consumer::poll`): tail == head means nobody reads them.
        if self.refresh_tail().is_err() || self.cached_tail != self.head {
            return false;
        }
        self.released_at = Some(self.head);
        self.seg.release_data()
    }

    /// The segment this producer writes.
    pub fn segment(&self) -> &Arc<Segment> {
        &self.seg
    }

    /// Largest record this producer accepts.
    pub fn max_record(&self) -> usize {
        self.max_record
    }

    /// Bytes free as of the last read of the consumer's position, after
    /// reading it again (never fails: an out-of-range position reads as 0).
    pub fn free_bytes_now(&mut self) -> usize {
        self.free_bytes().unwrap_or(0)
    }

    /// Whether a record is accepted but not yet fully in the ring.
    pub fn has_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Bytes free in the ring now (reading the consumer's position).
    pub fn free_bytes(&mut self) -> Result<usize, RingError> {
        self.refresh_tail()?;
        Ok(self.seg.capacity() - (self.head - self.cached_tail) as usize)
    }

    /// Writes a record of `len` bytes, filled in place by `fill`.
    ///
    /// `Err(Full)` means nothing was written: publish, wait for space and
    /// retry. A record larger than the in-place maximum is copied, accepted
    /// (`Ok`) and sent in chunks by later [`Producer::pump`] calls; until
    /// it is through, further writes return `Full`, so order is kept.
    pub fn try_write(&mut self, len: usize, fill: impl FnOnce(&mut [u8])) -> Result<(), RingError> {
        if len > self.max_record {
            return Err(RingError::TooLarge(len));
        }
        if self.pending.is_some() {
            self.pump()?;
            if self.pending.is_some() {
                return Err(RingError::Full);
            }
        }
        if len > max_fragment(self.seg.capacity()) {
            let mut data = vec![0u8; len];
            fill(&mut data);
            self.pending = Some(Pending {
                data,
                sent: 0,
                chunked: true,
            });
            self.pump()?;
            return Ok(());
        }
        let buf = self.reserve(len, KIND_WHOLE)?.ok_or(RingError::Full)?;
        fill(buf);
        Ok(())
    }

    /// Writes `data` as one record (see [`Producer::try_write`]).
    pub fn push(&mut self, data: &[u8]) -> Result<(), RingError> {
        self.try_write(data.len(), |b| b.copy_from_slice(data))
    }

    /// Writes `data` now if it fits, else keeps a copy to write once space
    /// frees up ([`Producer::pump`]). Returns true if it went in at once.
    /// At most one record is kept: with one already pending, `Full`.
    pub fn push_or_defer(&mut self, data: &[u8]) -> Result<bool, RingError> {
        match self.push(data) {
            Ok(()) => Ok(self.pending.is_none()),
            Err(RingError::Full) if self.pending.is_none() => {
                self.pending = Some(Pending {
                    data: data.to_vec(),
                    sent: 0,
                    chunked: false,
                });
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// Writes as much of a pending record as fits; true when none is left.
    pub fn pump(&mut self) -> Result<bool, RingError> {
        let Some(mut p) = self.pending.take() else {
            return Ok(true);
        };
        // On an error the ring is broken and the pending record goes with it.
        let finished = self.pump_pending(&mut p)?;
        if !finished {
            self.pending = Some(p);
        }
        Ok(finished)
    }

    fn pump_pending(&mut self, p: &mut Pending) -> Result<bool, RingError> {
        if !p.chunked {
            let Some(buf) = self.reserve(p.data.len(), KIND_WHOLE)? else {
                return Ok(false);
            };
            buf.copy_from_slice(&p.data);
            return Ok(true);
        }
        let frag = max_fragment(self.seg.capacity());
        let total = p.data.len();
        while p.sent < total {
            let first = p.sent == 0;
            let n = (frag - if first { 8 } else { 0 }).min(total - p.sent);
            let kind = if first {
                KIND_FIRST
            } else if p.sent + n == total {
                KIND_LAST
            } else {
                KIND_MIDDLE
            };
            let len = n + if first { 8 } else { 0 };
            let Some(buf) = self.reserve(len, kind)? else {
                return Ok(false);
            };
            let body = if first {
                buf[..8].copy_from_slice(&(total as u64).to_le_bytes());
                &mut buf[8..]
            } else {
                buf
            };
            body.copy_from_slice(&p.data[p.sent..p.sent + n]);
            p.sent += n;
        }
        Ok(true)
    }

    /// Reserves a record of `len` payload bytes of `kind`, padding to the
    /// start of the data area if needed. `None` if the ring lacks room.
    fn reserve(&mut self, len: usize, kind: u32) -> Result<Option<&mut [u8]>, RingError> {
        let size = record_size(len) as u64;
        let cap = self.seg.capacity() as u64;
        let pos = self.head & self.mask;
        let to_end = cap - pos;
        let pad = if size > to_end { to_end } else { 0 };
        if self.free_now() < pad + size {
            self.refresh_tail()?;
            if self.free_now() < pad + size {
                return Ok(None);
            }
        }
        if pad > 0 {
            // `pos` is 8-aligned and below `cap`, so a pad holds its header.
            debug_assert!(pad >= RECORD_HEADER_BYTES as u64);
            self.write_header(pos, (pad - RECORD_HEADER_BYTES as u64) as u32, KIND_PAD);
            self.head += pad;
        }
        let pos = self.head & self.mask;
        debug_assert!(pos + size <= cap);
        // The record lies in the free part of the ring, which only we write.
        debug_assert!(self.free_now() >= size);
        debug_assert!(u32::try_from(len).is_ok());
        self.write_header(pos, len as u32, kind);
        self.head += size;
        // SAFETY: [pos + 8, pos + 8 + len) lies inside the data area (checked
        // above) and in the free part of the ring, which only we write.
        Ok(Some(unsafe {
            std::slice::from_raw_parts_mut(
                self.seg.data().add(pos as usize + RECORD_HEADER_BYTES),
                len,
            )
        }))
    }

    fn free_now(&self) -> u64 {
        // The consumer is never ahead of us nor more than a ring behind.
        debug_assert!(self.cached_tail <= self.head);
        debug_assert!(self.head - self.cached_tail <= self.seg.capacity() as u64);
        self.seg.capacity() as u64 - (self.head - self.cached_tail)
    }

    fn refresh_tail(&mut self) -> Result<(), RingError> {
        let tail = self.seg.tail().load(Ordering::Acquire);
        // The consumer may only move the tail forward, up to what we published.
        if tail < self.cached_tail || tail > self.published {
            return Err(RingError::Corrupt("consumer position out of range"));
        }
        self.cached_tail = tail;
        Ok(())
    }

    fn write_header(&self, pos: u64, len: u32, kind: u32) {
        debug_assert!(pos.is_multiple_of(8) && pos + 8 <= self.seg.capacity() as u64);
        let word = (len as u64) | ((kind as u64) << 32);
        // SAFETY: `pos` is 8-aligned and at least 8 bytes before the end.
        unsafe { (self.seg.data().add(pos as usize) as *mut u64).write(word.to_le()) };
    }

    /// Makes every record written so far visible to the consumer with one
    /// release-store, and rings its doorbell if it said it is parked.
    /// Returns true if it rang.
    pub fn publish(&mut self) -> bool {
        debug_assert!(self.published <= self.head);
        if self.head == self.published {
            return false;
        }
        self.seg.head().store(self.head, Ordering::Release);
        self.published = self.head;
        // Pairs with the consumer's fence between setting its flag and
        // re-reading `head` (PROTOCOL.md, "Parking"): one of us sees the other.
        fence(Ordering::SeqCst);
        let waiting = self.seg.consumer_waiting();
        if waiting.load(Ordering::Relaxed) != 0 && waiting.swap(0, Ordering::AcqRel) != 0 {
            if let Some(peer) = &self.peer {
                peer.ring();
                return true;
            }
        }
        false
    }

    /// Declares that this producer is about to park until `need` bytes are
    /// free. Returns false (and withdraws) if they already are.
    pub fn prepare_wait(&mut self, need: usize) -> Result<bool, RingError> {
        self.seg.producer_waiting().store(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if self.free_bytes()? >= need {
            self.seg.producer_waiting().store(0, Ordering::Relaxed);
            return Ok(false);
        }
        Ok(true)
    }

    /// Withdraws the waiting flag after a wake-up.
    pub fn finish_wait(&self) {
        self.seg.producer_waiting().store(0, Ordering::Relaxed);
    }

    /// Bytes the pending record still needs in one piece to make progress.
    pub fn pending_need(&self) -> usize {
        match &self.pending {
            None => 0,
            Some(p) if p.chunked => record_size(max_fragment(self.seg.capacity())),
            Some(p) => record_size(p.data.len()),
        }
    }
}

/// The reading end of a ring.
pub struct Consumer {
    seg: Arc<Segment>,
    mask: u64,
    tail: u64,
    /// Position last released to the producer.
    released: u64,
    max_record: usize,
    assembly: Vec<u8>,
    assembly_total: Option<usize>,
    peer: Option<Doorbell>,
}

/// Keeps a reassembly buffer this large between records; a larger one is freed.
const KEEP_ASSEMBLY_BYTES: usize = 1 << 20;

impl Consumer {
    /// The consumer of `seg`; `peer` is the producer's doorbell, rung when
    /// it waits for space. Refuses records over `max_record` bytes, and a
    /// position that is not 8-aligned (the segment's creator, maybe the
    /// peer, wrote it; records are read in place as 8-aligned words). The
    /// producer's position is checked at every [`Consumer::poll`].
    pub fn new(
        seg: Arc<Segment>,
        peer: Option<Doorbell>,
        max_record: usize,
    ) -> Result<Consumer, RingError> {
        // `Segment` only ever holds a power of two; the masks rely on it.
        assert!(seg.capacity().is_power_of_two());
        let tail = seg.tail().load(Ordering::Acquire);
        if !tail.is_multiple_of(8) {
            return Err(RingError::Corrupt("consumer position not aligned"));
        }
        Ok(Consumer {
            mask: seg.capacity() as u64 - 1,
            seg,
            tail,
            released: tail,
            max_record,
            assembly: Vec::new(),
            assembly_total: None,
            peer,
        })
    }

    /// The segment this consumer reads.
    pub fn segment(&self) -> &Arc<Segment> {
        &self.seg
    }

    /// Whether nothing published is waiting to be read.
    pub fn is_empty(&self) -> bool {
        self.seg.head().load(Ordering::Acquire) == self.tail
    }

    /// Reads every published record in place and calls `f` with each
    /// complete one; `f` returns false to stop after the record it got.
    /// The space read is released with one store at the end. Returns the
    /// number of records delivered.
    pub fn poll(&mut self, mut f: impl FnMut(&[u8]) -> bool) -> Result<usize, RingError> {
        let head = self.seg.head().load(Ordering::Acquire);
        let avail = head.wrapping_sub(self.tail);
        if avail > self.seg.capacity() as u64 {
            return Err(RingError::Corrupt("producer position out of range"));
        }
        let mut delivered = 0;
        let result = self.read_until(head, &mut f, &mut delivered);
        self.release();
        result.map(|()| delivered)
    }

    fn read_until(
        &mut self,
        head: u64,
        f: &mut impl FnMut(&[u8]) -> bool,
        delivered: &mut usize,
    ) -> Result<(), RingError> {
        let cap = self.seg.capacity() as u64;
        while self.tail != head {
            let pos = self.tail & self.mask;
            let avail = head - self.tail;
            let to_end = cap - pos;
            // `tail` starts aligned (checked in `new`) and moves by whole
            // records, which are multiples of 8.
            debug_assert!(pos.is_multiple_of(8) && pos < cap);
            // SAFETY: pos is 8-aligned and < cap, so 8 bytes are mapped.
            let word =
                u64::from_le(unsafe { (self.seg.data().add(pos as usize) as *const u64).read() });
            let (len, kind) = (word as u32 as u64, (word >> 32) as u32);
            let size = (RECORD_HEADER_BYTES as u64 + len + 7) & !7;
            if size > to_end || size > avail {
                return Err(RingError::Corrupt("record overruns the published data"));
            }
            debug_assert!(size.is_multiple_of(8) && size >= RECORD_HEADER_BYTES as u64);
            // SAFETY: [pos + 8, pos + 8 + len) is inside the data area and
            // published (both checked above).
            let payload = unsafe {
                std::slice::from_raw_parts(
                    self.seg.data().add(pos as usize + RECORD_HEADER_BYTES),
                    len as usize,
                )
            };
            let done = match kind {
                KIND_PAD => None,
                KIND_WHOLE => {
                    if self.assembly_total.is_some() {
                        return Err(RingError::Corrupt("whole record inside a chunked one"));
                    }
                    Some(f(payload))
                }
                KIND_FIRST | KIND_MIDDLE | KIND_LAST => self.chunk(kind, payload, f)?,
                _ => return Err(RingError::Corrupt("unknown record kind")),
            };
            self.tail += size;
            if let Some(go_on) = done {
                *delivered += 1;
                if !go_on {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Adds a chunk to the reassembly buffer; delivers the record on the last.
    fn chunk(
        &mut self,
        kind: u32,
        payload: &[u8],
        f: &mut impl FnMut(&[u8]) -> bool,
    ) -> Result<Option<bool>, RingError> {
        let body = match (kind, self.assembly_total) {
            (KIND_FIRST, None) => {
                let total_bytes: [u8; 8] = payload
                    .get(..8)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(RingError::Corrupt("short first chunk"))?;
                let total = u64::from_le_bytes(total_bytes);
                if total > self.max_record as u64 {
                    return Err(RingError::TooLarge(total as usize));
                }
                self.assembly_total = Some(total as usize);
                self.assembly.clear();
                self.assembly
                    .reserve((total as usize).min(KEEP_ASSEMBLY_BYTES * 64));
                &payload[8..]
            }
            (KIND_MIDDLE | KIND_LAST, Some(_)) => payload,
            _ => return Err(RingError::Corrupt("chunk out of sequence")),
        };
        let total = self.assembly_total.unwrap_or(0);
        if self.assembly.len() + body.len() > total {
            return Err(RingError::Corrupt("chunks exceed the announced length"));
        }
        self.assembly.extend_from_slice(body);
        if kind != KIND_LAST {
            return Ok(None);
        }
        if self.assembly.len() != total {
            return Err(RingError::Corrupt(
                "chunks fall short of the announced length",
            ));
        }
        self.assembly_total = None;
        let go_on = f(&self.assembly);
        if self.assembly.capacity() > KEEP_ASSEMBLY_BYTES {
            self.assembly = Vec::new();
        }
        Ok(Some(go_on))
    }

    fn release(&mut self) {
        debug_assert!(self.released <= self.tail);
        if self.released == self.tail {
            return;
        }
        self.seg.tail().store(self.tail, Ordering::Release);
        self.released = self.tail;
        // Pairs with the producer's fence in `prepare_wait`.
        fence(Ordering::SeqCst);
        let waiting = self.seg.producer_waiting();
        if waiting.load(Ordering::Relaxed) != 0 && waiting.swap(0, Ordering::AcqRel) != 0 {
            if let Some(peer) = &self.peer {
                peer.ring();
            }
        }
    }

    /// Declares that this consumer is about to park. Returns false (and
    /// withdraws) if records arrived meanwhile, so the caller must not sleep.
    pub fn prepare_park(&self) -> bool {
        self.seg.consumer_waiting().store(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if !self.is_empty() {
            self.seg.consumer_waiting().store(0, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Withdraws the parked flag after a wake-up.
    pub fn finish_park(&self) {
        self.seg.consumer_waiting().store(0, Ordering::Relaxed);
    }
}

/// A producer and consumer over one fresh in-process segment (tests and
/// benchmarks; processes get theirs from the attach handshake).
pub fn local_pair(capacity: usize, max_record: usize) -> Result<(Producer, Consumer), RingError> {
    let seg = Arc::new(Segment::create("local", capacity, 0)?);
    Ok((
        Producer::new(seg.clone(), None, max_record)?,
        Consumer::new(seg, None, max_record)?,
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use proptest::prelude::*;

    use super::*;

    const CAP: usize = 4096;

    fn drain(c: &mut Consumer) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        c.poll(|r| {
            out.push(r.to_vec());
            true
        })
        .unwrap();
        out
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    #[test]
    fn records_arrive_in_order_and_in_place() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        p.push(b"one").unwrap();
        p.push(b"").unwrap();
        p.push(b"three").unwrap();
        assert!(drain(&mut c).is_empty(), "nothing before publish");
        p.publish();
        assert_eq!(
            drain(&mut c),
            vec![b"one".to_vec(), vec![], b"three".to_vec()]
        );
        assert!(c.is_empty());
    }

    #[test]
    fn an_idle_ring_gives_its_pages_back_and_keeps_working() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        // A fresh ring may give back once (a reattached one may hold
        // pages from before), then not again until something is written.
        p.release_idle();
        assert!(!p.release_idle());
        p.push(&[7u8; 100]).unwrap();
        p.publish();
        // Unread: the pages stay.
        assert!(!p.release_idle());
        assert_eq!(c.poll(|r| r == [7u8; 100]).unwrap(), 1);
        assert!(p.release_idle());
        // The data area reads as zeroes now, and only once per write.
        let data = unsafe { std::slice::from_raw_parts(p.segment().data(), CAP) };
        assert!(data.iter().all(|&b| b == 0));
        assert!(!p.release_idle());
        for i in 0..200u8 {
            p.push(&[i; 40]).unwrap();
            p.publish();
            let mut got = Vec::new();
            c.poll(|r| {
                got.extend_from_slice(r);
                true
            })
            .unwrap();
            assert_eq!(got, [i; 40]);
            if i % 7 == 0 {
                assert!(p.release_idle());
            }
        }
    }

    #[test]
    fn wrap_around_works_from_every_offset() {
        for start in (0..CAP).step_by(8) {
            let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
            // Move both positions to `start` with small records.
            let mut at = 0;
            while at < start {
                let size = (start - at).min(512);
                p.push(&vec![0u8; size - RECORD_HEADER_BYTES]).unwrap();
                at += size;
            }
            p.publish();
            drain(&mut c);
            for round in 0..6u8 {
                let len = 1 + (round as usize * 97 + start) % max_fragment(CAP);
                let rec = pattern(len, round);
                p.push(&rec).unwrap();
                p.publish();
                assert_eq!(drain(&mut c), vec![rec], "start {start} round {round}");
            }
        }
    }

    #[test]
    fn a_full_ring_refuses_then_accepts_after_the_consumer_reads() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        let rec = vec![7u8; 500];
        let mut n = 0;
        while p.push(&rec).is_ok() {
            n += 1;
        }
        assert_eq!(n, CAP / record_size(500));
        assert!(matches!(p.push(&rec), Err(RingError::Full)));
        p.publish();
        assert_eq!(drain(&mut c).len(), n);
        p.push(&rec).unwrap();
    }

    #[test]
    fn records_larger_than_the_ring_arrive_whole() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        let big = pattern(100_000, 3);
        p.push(&big).unwrap();
        assert!(p.has_pending());
        assert!(matches!(p.push(b"after"), Err(RingError::Full)));
        let mut got = Vec::new();
        let mut rounds = 0;
        loop {
            p.publish();
            got.extend(drain(&mut c));
            if !p.has_pending() {
                break;
            }
            p.pump().unwrap();
            rounds += 1;
            assert!(rounds < 1000);
        }
        p.push(b"after").unwrap();
        p.publish();
        got.extend(drain(&mut c));
        assert_eq!(got, vec![big, b"after".to_vec()]);
    }

    #[test]
    fn a_record_over_the_maximum_is_refused() {
        let (mut p, _c) = local_pair(CAP, 1000).unwrap();
        assert!(matches!(
            p.push(&[0u8; 1001]),
            Err(RingError::TooLarge(1001))
        ));
    }

    #[test]
    fn push_or_defer_keeps_one_record_until_space_frees() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        while p.push(&[1u8; 8]).is_ok() {}
        assert!(!p.push_or_defer(b"kept").unwrap());
        assert!(matches!(p.push_or_defer(b"more"), Err(RingError::Full)));
        p.publish();
        let first = drain(&mut c);
        assert!(p.pump().unwrap());
        p.publish();
        let second = drain(&mut c);
        assert_eq!(second, vec![b"kept".to_vec()]);
        assert!(!first.is_empty());
    }

    #[test]
    fn the_consumer_can_stop_after_any_record() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        for i in 0..5u8 {
            p.push(&[i]).unwrap();
        }
        p.publish();
        let mut seen = Vec::new();
        assert_eq!(
            c.poll(|r| {
                seen.push(r[0]);
                r[0] < 1
            })
            .unwrap(),
            2
        );
        assert_eq!(drain(&mut c), vec![vec![2], vec![3], vec![4]]);
        assert_eq!(seen, vec![0, 1]);
    }

    #[test]
    fn a_corrupted_length_is_refused_not_read_out_of_bounds() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        p.push(b"hello").unwrap();
        p.publish();
        // Overwrite the record's length as a broken peer would.
        unsafe { (p.segment().data() as *mut u32).write(1 << 30) };
        assert!(matches!(c.poll(|_| true), Err(RingError::Corrupt(_))));
    }

    #[test]
    fn an_unknown_kind_and_a_wild_head_are_refused() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        p.push(b"x").unwrap();
        p.publish();
        unsafe { (p.segment().data().add(4) as *mut u32).write(99) };
        assert!(matches!(c.poll(|_| true), Err(RingError::Corrupt(_))));
        let (p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        p.segment().head().store(CAP as u64 * 3, Ordering::Release);
        assert!(matches!(c.poll(|_| true), Err(RingError::Corrupt(_))));
    }

    #[test]
    fn positions_a_peer_left_out_of_range_are_refused_at_attach() {
        let bad = |head: u64, tail: u64| {
            let seg = Arc::new(Segment::create("t", CAP, 0).unwrap());
            seg.head().store(head, Ordering::Release);
            seg.tail().store(tail, Ordering::Release);
            let p = Producer::new(seg.clone(), None, 1 << 20).err();
            let c = Consumer::new(seg, None, 1 << 20).err();
            (p.is_some(), c.is_some())
        };
        assert_eq!(bad(64, 8), (false, false));
        // A misaligned position would have records read and written as
        // misaligned words.
        assert_eq!(bad(64, 3), (true, true));
        assert_eq!(bad(12, 8), (true, false));
        // The consumer ahead of the producer, or more than a ring behind.
        assert_eq!(bad(8, 64), (true, false));
        assert_eq!(bad(CAP as u64 * 2, 0), (true, false));
    }

    #[test]
    fn chunks_out_of_sequence_are_refused() {
        let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
        // A middle chunk with no first chunk before it.
        let buf = p.reserve(4, KIND_MIDDLE).unwrap().unwrap();
        buf.copy_from_slice(b"abcd");
        p.publish();
        assert!(matches!(c.poll(|_| true), Err(RingError::Corrupt(_))));
    }

    #[test]
    fn an_oversized_announced_chunked_length_is_refused() {
        let (mut p, mut c) = local_pair(CAP, 1000).unwrap();
        let buf = p.reserve(16, KIND_FIRST).unwrap().unwrap();
        buf[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        p.publish();
        assert!(matches!(c.poll(|_| true), Err(RingError::TooLarge(_))));
    }

    #[test]
    fn a_consumer_tail_beyond_the_head_is_refused() {
        let (mut p, _c) = local_pair(CAP, 1 << 20).unwrap();
        p.segment().tail().store(1 << 40, Ordering::Release);
        while p.push(&[0u8; 100]).is_ok() {}
        assert!(matches!(p.push(&[0u8; 100]), Err(RingError::Corrupt(_))));
    }

    #[test]
    fn parking_is_withdrawn_when_records_are_waiting() {
        let (mut p, c) = local_pair(CAP, 1 << 20).unwrap();
        assert!(c.prepare_park());
        c.finish_park();
        p.push(b"x").unwrap();
        p.publish();
        assert!(!c.prepare_park());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push(usize),
        Publish,
        Poll(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => prop_oneof![0usize..64, 0usize..1100, 1100usize..9000].prop_map(Op::Push),
            1 => Just(Op::Publish),
            1 => (1usize..20).prop_map(Op::Poll),
        ]
    }

    proptest! {
        #[test]
        fn ring_behaves_like_a_queue(ops in proptest::collection::vec(op(), 1..200)) {
            let (mut p, mut c) = local_pair(CAP, 1 << 20).unwrap();
            let mut sent: VecDeque<Vec<u8>> = VecDeque::new();
            let mut seed = 0u8;
            for op in ops {
                match op {
                    Op::Push(len) => {
                        seed = seed.wrapping_add(1);
                        let rec = pattern(len, seed);
                        match p.push(&rec) {
                            Ok(()) => sent.push_back(rec),
                            Err(RingError::Full) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                    Op::Publish => {
                        p.publish();
                    }
                    Op::Poll(max) => {
                        let mut got = Vec::new();
                        c.poll(|r| {
                            got.push(r.to_vec());
                            got.len() < max
                        }).unwrap();
                        for g in got {
                            prop_assert_eq!(Some(g), sent.pop_front());
                        }
                        p.pump().unwrap();
                    }
                }
            }
            // Everything accepted eventually arrives, in order.
            for _ in 0..10_000 {
                p.pump().unwrap();
                p.publish();
                c.poll(|r| {
                    assert_eq!(Some(r.to_vec()), sent.pop_front());
                    true
                }).unwrap();
                if sent.is_empty() && !p.has_pending() {
                    break;
                }
            }
            prop_assert!(sent.is_empty());
        }
    }
}

/// Entry points for the fuzz targets: run the consumer over bytes a broken
/// or hostile producer could have left in a segment.
#[cfg(feature = "fuzzing")]
pub mod fuzzing {
    use std::sync::{atomic::Ordering, Arc};

    use super::*;

    /// Copies `data` into a fresh 4 KiB ring's data area, sets the producer
    /// position to `head` and polls everything; returns the records read
    /// and their total bytes, or the error. Never reads out of bounds.
    pub fn consume_raw(
        head: u64,
        data: &[u8],
        max_record: usize,
    ) -> Result<(usize, usize), RingError> {
        let seg = Arc::new(Segment::create("fuzz", 4096, 0)?);
        let n = data.len().min(seg.capacity());
        // SAFETY: copies at most `capacity` bytes into the data area.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), seg.data(), n) };
        seg.head().store(head, Ordering::Release);
        let mut c = Consumer::new(seg, None, max_record)?;
        let mut bytes = 0;
        let mut total = 0;
        for _ in 0..4 {
            let n = c.poll(|r| {
                bytes += r.len();
                true
            })?;
            total += n;
        }
        Ok((total, bytes))
    }
}
