//! What the proxy and the shards both need to know about scripts: a
//! script's name is the SHA1 of its body, in lowercase hex (Redis's
//! `sha1hex`, also `redis.sha1hex` inside scripts).

/// The lowercase hex SHA1 of `body`.
pub fn sha1_hex(body: &[u8]) -> String {
    sha1_smol::Sha1::from(body).digest().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_redis_script_shas() {
        // SCRIPT LOAD "return 1" on redis-server.
        assert_eq!(
            sha1_hex(b"return 1"),
            "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
        );
        assert_eq!(sha1_hex(b""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    }
}
