//! Key slots exactly as Redis Cluster computes them: `CRC16(key) mod 16384`,
//! where a non-empty `{hash tag}` replaces the key. Both the proxy (routing)
//! and the shard (per-slot tables, slot moves) use this one function.

/// Number of hash slots.
pub const SLOT_COUNT: usize = 16384;

/// The shard owning `slot` when `shards` shards split the slots into equal
/// contiguous ranges (the proxy's slot table, and what a shard running a
/// script checks its keys against).
pub fn shard_of_slot(slot: u16, shards: usize) -> usize {
    slot as usize * shards.max(1) / SLOT_COUNT
}

/// CRC16-CCITT (XModem: polynomial 0x1021, initial value 0), the variant
/// Redis Cluster uses: `T0` steps one byte, `T1` a byte followed by another
/// (see [`crc16`]).
const CRC16_T0: [u16; 256] = build_table();
const CRC16_T1: [u16; 256] = build_table_2(&CRC16_T0);

const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = (i as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
}

/// `T1[x]`: what `T0[x]` becomes after one more zero byte.
const fn build_table_2(t0: &[u16; 256]) -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let t = t0[i];
        table[i] = ((t & 0xff) << 8) ^ t0[(t >> 8) as usize];
        i += 1;
    }
    table
}

/// CRC16 (XModem) of `data`, two bytes per step.
///
/// One byte: `crc' = crc << 8 ^ T0[crc >> 8 ^ b]`. Since the table is
/// linear over XOR, two bytes `b0 b1` on `crc = H:L` give
/// `T1[H ^ b0] ^ T0[L ^ b1]`, half the dependent steps of the byte loop.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc = 0u16;
    let mut pairs = data.chunks_exact(2);
    for p in &mut pairs {
        let hi = ((crc >> 8) as u8 ^ p[0]) as usize;
        let lo = ((crc & 0xff) as u8 ^ p[1]) as usize;
        crc = CRC16_T1[hi] ^ CRC16_T0[lo];
    }
    for &b in pairs.remainder() {
        crc = (crc << 8) ^ CRC16_T0[((crc >> 8) as u8 ^ b) as usize];
    }
    crc
}

/// The part of `key` that is hashed: the first `{...}` with at least one
/// byte inside, else the whole key.
pub fn hash_tag(key: &[u8]) -> &[u8] {
    if let Some(open) = memchr::memchr(b'{', key) {
        if let Some(len) = memchr::memchr(b'}', &key[open + 1..]) {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// The slot of `key`.
pub fn key_slot(key: &[u8]) -> u16 {
    crc16(hash_tag(key)) & (SLOT_COUNT as u16 - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time definition, to check the two-byte steps against.
    fn crc16_bytewise(data: &[u8]) -> u16 {
        data.iter().fold(0u16, |crc, &b| {
            (crc << 8) ^ CRC16_T0[(((crc >> 8) as u8) ^ b) as usize]
        })
    }

    #[test]
    fn two_byte_steps_match_the_byte_loop() {
        let mut x = 0x2545_f491u32;
        for len in 0..64 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            assert_eq!(crc16(&data), crc16_bytewise(&data), "{data:?}");
        }
    }

    #[test]
    fn crc16_matches_the_reference_check_value() {
        // The CRC-16/XMODEM check value for "123456789".
        assert_eq!(crc16(b"123456789"), 0x31c3);
    }

    #[test]
    fn slots_match_redis_cluster() {
        // Values from `CLUSTER KEYSLOT` on a real Redis.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b""), 0);
    }

    #[test]
    fn hash_tags_select_the_hashed_part() {
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
        assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
        assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
        assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
    }
}
