//! The records proxy workers and shards exchange over the rings.
//!
//! This is the one place both sides take the format from. It knows nothing
//! of Redis beyond "a command is a list of byte strings and a reply is bytes".
//!
//! Request: `id u64 | proto u8 | flags u8 | kind u16 | argc u32 | origin
//! u64 | db u32 | reserved u32`, then `argc` times `len u32 | bytes`. The
//! shard reads the arguments in place. `flags`, `kind`, `origin` and `db`
//! belong to the layer above (shardis puts the command's id in `kind`, so
//! the shard never looks a name up, the client's id in `origin`, so the
//! shard can say whose command it logged, and the client's selected
//! database in `db`).
//!
//! Reply: `id u64 | flags u32 | reserved u32`, then the reply bytes
//! (finished RESP for the connection's protocol), copied to the client
//! unchanged.

use crate::RingError;

/// Bytes of a request record's header.
pub const REQUEST_HEADER_BYTES: usize = 32;
/// Bytes of a reply record's header.
pub const REPLY_HEADER_BYTES: usize = 16;

/// The fixed part of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHeader {
    /// Request id, echoed in the reply.
    pub id: u64,
    /// The client connection's protocol (2 or 3).
    pub proto: u8,
    /// Free for the layer above.
    pub flags: u8,
    /// Free for the layer above (what kind of request this is).
    pub kind: u16,
    /// Free for the layer above (who sent the request).
    pub origin: u64,
    /// Free for the layer above (which database the request is for).
    pub db: u32,
}

/// Size of the request record for `args`.
pub fn request_len<A: AsRef<[u8]>>(args: &[A]) -> usize {
    REQUEST_HEADER_BYTES + args.iter().map(|a| 4 + a.as_ref().len()).sum::<usize>()
}

/// Writes a request into `buf`, which is exactly [`request_len`] long.
pub fn write_request<A: AsRef<[u8]>>(buf: &mut [u8], h: RequestHeader, args: &[A]) {
    debug_assert_eq!(buf.len(), request_len(args));
    buf[..8].copy_from_slice(&h.id.to_le_bytes());
    buf[8] = h.proto;
    buf[9] = h.flags;
    buf[10..12].copy_from_slice(&h.kind.to_le_bytes());
    buf[12..16].copy_from_slice(&(args.len() as u32).to_le_bytes());
    buf[16..24].copy_from_slice(&h.origin.to_le_bytes());
    buf[24..28].copy_from_slice(&h.db.to_le_bytes());
    buf[28..32].copy_from_slice(&[0; 4]);
    let mut at = REQUEST_HEADER_BYTES;
    for a in args {
        let a = a.as_ref();
        buf[at..at + 4].copy_from_slice(&(a.len() as u32).to_le_bytes());
        at += 4;
        buf[at..at + a.len()].copy_from_slice(a);
        at += a.len();
    }
}

/// A request read in place from a record, validated: its arguments exactly
/// fill the record.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The header.
    pub header: RequestHeader,
    argc: usize,
    body: &'a [u8],
}

impl<'a> Request<'a> {
    /// Parses and validates `rec`; never reads out of bounds.
    pub fn parse(rec: &'a [u8]) -> Result<Request<'a>, RingError> {
        Self::parse_with(rec, |_| {})
    }

    /// [`Request::parse`], handing each argument to `arg` in the same pass
    /// (the shard collects them without walking the record twice). On an
    /// error some arguments may have been handed over already.
    #[inline]
    pub fn parse_with(
        rec: &'a [u8],
        mut arg: impl FnMut(&'a [u8]),
    ) -> Result<Request<'a>, RingError> {
        if rec.len() < REQUEST_HEADER_BYTES {
            return Err(RingError::Corrupt("short request"));
        }
        let header = RequestHeader {
            id: u64::from_le_bytes(rec[..8].try_into().unwrap_or([0; 8])),
            proto: rec[8],
            flags: rec[9],
            kind: u16::from_le_bytes([rec[10], rec[11]]),
            origin: u64::from_le_bytes(rec[16..24].try_into().unwrap_or([0; 8])),
            db: u32::from_le_bytes([rec[24], rec[25], rec[26], rec[27]]),
        };
        let argc = u32::from_le_bytes([rec[12], rec[13], rec[14], rec[15]]) as usize;
        let body = &rec[REQUEST_HEADER_BYTES..];
        let mut rest = body;
        for _ in 0..argc {
            let len = take_len(&mut rest).ok_or(RingError::Corrupt("request argument overruns"))?;
            let (a, tail) = (
                rest.get(..len)
                    .ok_or(RingError::Corrupt("request argument overruns"))?,
                &rest[len..],
            );
            arg(a);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(RingError::Corrupt("trailing bytes in request"));
        }
        Ok(Request { header, argc, body })
    }

    /// Number of arguments.
    pub fn argc(&self) -> usize {
        self.argc
    }

    /// The arguments, in order, as slices of the record.
    pub fn args(&self) -> Args<'a> {
        Args {
            rest: self.body,
            left: self.argc,
        }
    }
}

/// Iterator over a validated request's arguments.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.left == 0 {
            return None;
        }
        let len = take_len(&mut self.rest)?;
        let (arg, rest) = (self.rest.get(..len)?, self.rest.get(len..)?);
        self.rest = rest;
        self.left -= 1;
        Some(arg)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

fn take_len(rest: &mut &[u8]) -> Option<usize> {
    let b = rest.get(..4)?;
    let len = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    *rest = &rest[4..];
    Some(len)
}

/// Size of a reply record carrying `body_len` bytes.
pub fn reply_len(body_len: usize) -> usize {
    REPLY_HEADER_BYTES + body_len
}

/// Writes a reply header into the first [`REPLY_HEADER_BYTES`] of `buf`;
/// the reply bytes follow.
pub fn write_reply_header(buf: &mut [u8], id: u64, flags: u32) {
    buf[..8].copy_from_slice(&id.to_le_bytes());
    buf[8..12].copy_from_slice(&flags.to_le_bytes());
    buf[12..16].copy_from_slice(&[0; 4]);
}

/// A reply read in place: `(id, flags, body)`.
pub fn parse_reply(rec: &[u8]) -> Result<(u64, u32, &[u8]), RingError> {
    if rec.len() < REPLY_HEADER_BYTES {
        return Err(RingError::Corrupt("short reply"));
    }
    let id = u64::from_le_bytes(rec[..8].try_into().unwrap_or([0; 8]));
    let flags = u32::from_le_bytes([rec[8], rec[9], rec[10], rec[11]]);
    Ok((id, flags, &rec[REPLY_HEADER_BYTES..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn requests_round_trip(
            id: u64,
            proto in 2u8..=3,
            flags: u8,
            kind: u16,
            origin: u64,
            db: u32,
            args in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..40), 0..10),
        ) {
            let h = RequestHeader { id, proto, flags, kind, origin, db };
            let mut buf = vec![0u8; request_len(&args)];
            write_request(&mut buf, h, &args);
            let req = Request::parse(&buf).unwrap();
            prop_assert_eq!(req.header, h);
            let back: Vec<Vec<u8>> = req.args().map(<[u8]>::to_vec).collect();
            prop_assert_eq!(back, args);
        }

        #[test]
        fn garbage_requests_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            if let Ok(req) = Request::parse(&bytes) {
                prop_assert_eq!(req.args().count(), req.argc());
            }
        }
    }

    #[test]
    fn a_huge_argc_is_refused_without_allocating() {
        let mut buf = vec![0u8; REQUEST_HEADER_BYTES];
        buf[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Request::parse(&buf).is_err());
    }

    #[test]
    fn replies_round_trip() {
        let mut buf = vec![0u8; reply_len(5)];
        write_reply_header(&mut buf, 42, 7);
        buf[REPLY_HEADER_BYTES..].copy_from_slice(b"+OK\r\n");
        assert_eq!(parse_reply(&buf).unwrap(), (42, 7, &b"+OK\r\n"[..]));
        assert!(parse_reply(b"short").is_err());
    }
}
