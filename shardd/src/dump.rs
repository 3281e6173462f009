//! The DUMP/RESTORE payload format (ours, not Redis's RDB):
//!
//! ```text
//! version:u8 (= FORMAT_VERSION) | type tag:u8 | body | crc64:u64 LE
//! ```
//!
//! The CRC is Redis's CRC-64 (Jones polynomial, reflected) over every byte
//! before it, so a truncated or altered payload is refused with Redis's
//! "DUMP payload version or checksum are wrong". A string's body is its
//! bytes. Collection bodies come from the type modules once they provide
//! `encode`/`decode`; until then they are refused (see [`DumpError`]).

use crate::keyspace::{Value, ValueRef};

/// Version byte of the payload format.
pub const FORMAT_VERSION: u8 = 1;
const TAG_STRING: u8 = 0;
const CRC_BYTES: usize = 8;

/// Why a payload could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DumpError {
    /// Wrong version or checksum (Redis's text).
    #[error("ERR DUMP payload version or checksum are wrong")]
    VersionOrChecksum,
    /// Version and checksum fine, body unreadable (Redis's text).
    #[error("ERR Bad data format")]
    BadFormat,
    /// This value type has no serialised form yet.
    #[error("ERR DUMP is not supported yet for {0} values")]
    Unsupported(&'static str),
}

/// Redis's CRC-64 (Jones, reflected, init 0) table.
const CRC64_TABLE: [u64; 256] = build_crc64_table();

const fn build_crc64_table() -> [u64; 256] {
    // Bit-reversed form of the Jones polynomial 0xad93d23594c935a9.
    const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut table = [0u64; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// CRC-64 of `data` as Redis computes it.
pub fn crc64(data: &[u8]) -> u64 {
    data.iter().fold(0u64, |crc, &b| {
        CRC64_TABLE[((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8)
    })
}

/// Serialises `value` into a payload.
pub fn encode(value: ValueRef<'_>) -> Result<Vec<u8>, DumpError> {
    let body = match value {
        ValueRef::Str(s) => s,
        other => return Err(DumpError::Unsupported(other.type_name())),
    };
    let mut out = Vec::with_capacity(2 + body.len() + CRC_BYTES);
    out.push(FORMAT_VERSION);
    out.push(TAG_STRING);
    out.extend_from_slice(body);
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Checks version and checksum, then reads the value.
pub fn decode(payload: &[u8]) -> Result<Value, DumpError> {
    if payload.len() < 2 + CRC_BYTES || payload[0] != FORMAT_VERSION {
        return Err(DumpError::VersionOrChecksum);
    }
    let (data, crc) = payload.split_at(payload.len() - CRC_BYTES);
    let mut want = [0u8; CRC_BYTES];
    want.copy_from_slice(crc);
    if crc64(data) != u64::from_le_bytes(want) {
        return Err(DumpError::VersionOrChecksum);
    }
    match data[1] {
        TAG_STRING => Ok(Value::Str(data[2..].to_vec())),
        _ => Err(DumpError::BadFormat),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_matches_redis_check_value() {
        // From Redis's crc64.c self test.
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn strings_round_trip() {
        for s in [&b""[..], b"hello", &[0u8, 255, 10, 13]] {
            let p = encode(ValueRef::Str(s)).unwrap();
            assert!(matches!(decode(&p), Ok(Value::Str(v)) if v == s));
        }
    }

    #[test]
    fn damaged_payloads_are_refused() {
        let mut p = encode(ValueRef::Str(b"value")).unwrap();
        assert_eq!(
            decode(&p[..p.len() - 1]).unwrap_err(),
            DumpError::VersionOrChecksum
        );
        p[3] ^= 1;
        assert_eq!(decode(&p).unwrap_err(), DumpError::VersionOrChecksum);
        assert_eq!(decode(b"x").unwrap_err(), DumpError::VersionOrChecksum);
        let mut bad_tag = vec![FORMAT_VERSION, 99];
        let crc = crc64(&bad_tag);
        bad_tag.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(decode(&bad_tag).unwrap_err(), DumpError::BadFormat);
    }

    #[test]
    fn collections_are_not_supported_yet() {
        let h = crate::types::hash::HashObj::default();
        assert_eq!(
            encode(ValueRef::Hash(&h)).unwrap_err(),
            DumpError::Unsupported("hash")
        );
    }
}
