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
/// `CRC16_W[k][x]`: the CRC of byte `x` followed by `k` zero bytes, for
/// eight bytes a step (see [`key_slot`]); 4 KiB.
const CRC16_W: [[u16; 256]; 8] = build_word_tables(&CRC16_T0);

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

/// `build_table_2` applied again and again: table `k` is table `k - 1`
/// followed by one more zero byte.
const fn build_word_tables(t0: &[u16; 256]) -> [[u16; 256]; 8] {
    let mut tables = [[0u16; 256]; 8];
    tables[0] = *t0;
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let t = tables[k - 1][i];
            tables[k][i] = ((t & 0xff) << 8) ^ t0[(t >> 8) as usize];
            i += 1;
        }
        k += 1;
    }
    tables
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
    // Most keys are short: eight bytes at a time finds the `{` (or its
    // absence) in fewer instructions than `memchr`'s dispatch and setup
    // (about 90 for a 16-byte key, for every command's every key).
    let open = match key.len() {
        0..=SHORT_KEY => find_open_brace(key),
        _ => memchr::memchr(b'{', key),
    };
    if let Some(open) = open {
        if let Some(len) = memchr::memchr(b'}', &key[open + 1..]) {
            if len > 0 {
                return &key[open + 1..open + 1 + len];
            }
        }
    }
    key
}

/// Keys up to this long are searched for `{` by [`find_open_brace`].
const SHORT_KEY: usize = 32;

/// Marks the bytes of `w` that are `{`: they become zero bytes, and
/// `(w - 0x01..) & !w & 0x80..` marks them (a mark above a true zero byte
/// can be wrong, the lowest one never is; none at all means no `{`).
#[inline]
fn brace_marks(w: u64) -> u64 {
    const BRACES: u64 = u64::from_ne_bytes([b'{'; 8]);
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = w ^ BRACES;
    x.wrapping_sub(LOW) & !x & HIGH
}

/// The first `{` in `key`, eight bytes at a time ([`brace_marks`]).
#[inline]
fn find_open_brace(key: &[u8]) -> Option<usize> {
    let mut words = key.chunks_exact(8);
    let mut base = 0;
    for c in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let marks = brace_marks(u64::from_le_bytes(b));
        if marks != 0 {
            return Some(base + (marks.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == b'{')
        .map(|i| base + i)
}

/// The slot of `key`.
///
/// Every command's every key comes through here, in the proxy (routing)
/// and again in its shard (the slot's table), so the common case, a key
/// with no `{`, is one pass over it eight bytes at a time: each word is
/// checked for a `{` ([`brace_marks`]) and folded into the
/// CRC with one lookup per byte in [`CRC16_W`], independent of each other
/// but for the first two. A key with a `{` goes the general way,
/// [`hash_tag`] then [`crc16`].
#[inline]
pub fn key_slot(key: &[u8]) -> u16 {
    const MASK: u16 = SLOT_COUNT as u16 - 1;
    let mut crc = 0u16;
    let mut words = key.chunks_exact(8);
    for c in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(c);
        let w = u64::from_le_bytes(b);
        if brace_marks(w) != 0 {
            return crc16(hash_tag(key)) & MASK;
        }
        // The state's two bytes enter with the word's first two.
        let w = w ^ u64::from(crc.swap_bytes());
        let t = &CRC16_W;
        crc = t[7][(w & 0xff) as usize]
            ^ t[6][((w >> 8) & 0xff) as usize]
            ^ t[5][((w >> 16) & 0xff) as usize]
            ^ t[4][((w >> 24) & 0xff) as usize]
            ^ t[3][((w >> 32) & 0xff) as usize]
            ^ t[2][((w >> 40) & 0xff) as usize]
            ^ t[1][((w >> 48) & 0xff) as usize]
            ^ t[0][(w >> 56) as usize];
    }
    for &b in words.remainder() {
        if b == b'{' {
            return crc16(hash_tag(key)) & MASK;
        }
        crc = (crc << 8) ^ CRC16_T0[((crc >> 8) as u8 ^ b) as usize];
    }
    crc & MASK
}

/// The one slot every key a glob `pattern` matches hashes to, if the
/// pattern says: its hash tag comes before any wildcard (`*`, `?`, `[`)
/// or escape, or it has no wildcard at all (then it is one key). `None`
/// if matching keys may be in any slot.
pub fn pattern_slot(pattern: &[u8]) -> Option<u16> {
    let mut open: Option<usize> = None;
    for (i, &b) in pattern.iter().enumerate() {
        match b {
            b'*' | b'?' | b'[' | b'\\' => return None,
            b'{' if open.is_none() => open = Some(i),
            // `{}`: an empty tag, so the whole key is hashed, wildcards and
            // all: no single slot unless there is no wildcard at all.
            b'}' if open == Some(i.wrapping_sub(1)) => open = Some(usize::MAX),
            b'}' => {
                if let Some(o) = open.filter(|&o| o != usize::MAX) {
                    return Some(crc16(&pattern[o + 1..i]) & (SLOT_COUNT as u16 - 1));
                }
            }
            _ => {}
        }
    }
    Some(key_slot(pattern))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pattern_pins_a_slot_by_its_tag_before_any_wildcard() {
        assert_eq!(pattern_slot(b"{user1}:*"), Some(key_slot(b"user1")));
        assert_eq!(pattern_slot(b"a{user1}b?c*"), Some(key_slot(b"{user1}")));
        assert_eq!(pattern_slot(b"plain"), Some(key_slot(b"plain")));
        assert_eq!(pattern_slot(b"{}x{y}"), Some(key_slot(b"{}x{y}")));
        for any in [
            &b"*"[..],
            b"a*{t}",
            b"{t*}",
            b"{a\\}b}",
            b"{}*",
            b"x[ab]{t}",
        ] {
            assert_eq!(pattern_slot(any), None, "{}", String::from_utf8_lossy(any));
        }
    }

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
    fn word_steps_give_the_slot_of_the_byte_loop_with_or_without_braces() {
        let mut x = 0x9e37_79b9u32;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x
        };
        for len in 0..80 {
            for round in 0..8 {
                let mut key: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                // Half the keys get braces at random places (maybe a tag).
                if round % 2 == 1 && len > 0 {
                    for _ in 0..2 {
                        let at = next() as usize % len;
                        key[at] = if next() % 2 == 0 { b'{' } else { b'}' };
                    }
                }
                let want = crc16_bytewise(hash_tag(&key)) & (SLOT_COUNT as u16 - 1);
                assert_eq!(key_slot(&key), want, "{key:?}");
            }
        }
        // A brace in every position of the words and of the tail.
        for len in 1..40 {
            for at in 0..len {
                let mut key = vec![b'k'; len];
                key[at] = b'{';
                if at + 2 < len {
                    key[at + 2] = b'}';
                }
                let want = crc16_bytewise(hash_tag(&key)) & (SLOT_COUNT as u16 - 1);
                assert_eq!(key_slot(&key), want, "{len} {at}");
            }
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

    #[test]
    fn the_word_search_finds_the_first_brace_among_any_bytes() {
        let fill = [
            0x00u8,
            0x01,
            0x7a,
            0x7c,
            0x7b ^ 0x80,
            0x80,
            0xfb,
            0xff,
            b'}',
        ];
        for len in 0..40 {
            for &f in &fill {
                let mut key = vec![f; len];
                assert_eq!(find_open_brace(&key), None, "{len} {f:#x}");
                for at in (0..len).rev() {
                    key[at] = b'{';
                    assert_eq!(find_open_brace(&key), Some(at), "{len} {f:#x} {at}");
                }
            }
        }
    }

    #[test]
    fn short_and_long_keys_find_the_same_tag() {
        // The byte loop (up to SHORT_KEY bytes) and memchr (past it)
        // agree at every length and position of the braces.
        for len in 0..SHORT_KEY + 8 {
            for open in 0..len {
                for close in open..len {
                    let mut key = vec![b'k'; len];
                    key[open] = b'{';
                    key[close] = b'}';
                    let want = match close > open + 1 {
                        true => &key[open + 1..close],
                        false => &key[..],
                    };
                    assert_eq!(hash_tag(&key), want, "{len} {open} {close}");
                }
            }
        }
    }
}
