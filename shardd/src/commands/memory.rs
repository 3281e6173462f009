//! `MEMORY USAGE key [SAMPLES count]`: an estimate of the bytes a key takes
//! in this shard (see [`Keyspace::memory_usage`]); `MEMORY PURGE`, which
//! every shard runs (and the proxy for itself). The other `MEMORY`
//! subcommands are the proxy's: they speak for every process.

use super::{eq_ic, Args, CmdError, CmdResult};
use crate::{keyspace::Keyspace, reply::Reply};

/// Elements of a collection sampled when `SAMPLES` is not given (Redis's
/// default).
pub const DEFAULT_SAMPLES: usize = 5;

/// `MEMORY USAGE key [SAMPLES count]`: bytes, or null for a missing key.
/// `SAMPLES 0` looks at every element.
pub fn usage(ks: &mut Keyspace, a: Args, out: &mut Reply) -> CmdResult {
    let key = a.get(2)?;
    let mut samples = DEFAULT_SAMPLES;
    let mut i = 3;
    while i < a.len() {
        if eq_ic(a.get(i)?, "samples") && i + 1 < a.len() {
            let n = a.i64(i + 1)?;
            samples = usize::try_from(n).map_err(|_| CmdError::Syntax)?;
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    match ks.memory_usage(key, samples) {
        Some(n) => out.int(n as i64),
        None => out.null(),
    }
    Ok(())
}

/// `MEMORY PURGE`: the allocator gives its unused dirty pages back now.
pub fn purge(_: &mut Keyspace, _: Args, out: &mut Reply) -> CmdResult {
    match common::alloc::purge() {
        true => out.ok(),
        false => out.error("ERR Error purging dirty pages"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{commands::test_util::run, keyspace::Keyspace};

    fn bytes(reply: &str) -> usize {
        reply
            .trim_start_matches(':')
            .trim_end()
            .parse()
            .unwrap_or_else(|_| panic!("not an integer: {reply}"))
    }

    #[test]
    fn every_type_has_a_sensible_size() {
        let mut ks = Keyspace::new();
        assert_eq!(run(&mut ks, "MEMORY USAGE nokey"), "$-1\r\n");
        run(&mut ks, "SET small v");
        let small = bytes(&run(&mut ks, "MEMORY USAGE small"));
        assert!((5..64).contains(&small), "{small}");
        let big = "A".repeat(33_000);
        run(&mut ks, &format!("SET big {big}"));
        let n = bytes(&run(&mut ks, "MEMORY USAGE big"));
        // Redis's own test wants under 42000 for a 33 kB string.
        assert!((33_000..42_000).contains(&n), "{n}");
        run(&mut ks, "HSET h f v");
        let packed = bytes(&run(&mut ks, "MEMORY USAGE h"));
        for i in 0..1000 {
            run(&mut ks, &format!("HSET h field:{i} value:{i}"));
            run(&mut ks, &format!("RPUSH l element:{i}"));
            run(&mut ks, &format!("SADD s member:{i}"));
            run(&mut ks, &format!("ZADD z {i} member:{i}"));
        }
        let table = bytes(&run(&mut ks, "MEMORY USAGE h"));
        assert!(packed < table && table > 1000 * 16, "{packed} {table}");
        for key in ["l", "s", "z"] {
            let n = bytes(&run(&mut ks, &format!("MEMORY USAGE {key} SAMPLES 0")));
            assert!(n > 1000 * 10 && n < 1000 * 200, "{key}: {n}");
        }
        run(&mut ks, "SADD ints 1 2 3");
        assert!(bytes(&run(&mut ks, "MEMORY USAGE ints")) > 0);
    }

    #[test]
    fn bad_options_get_redis_errors() {
        let mut ks = Keyspace::new();
        run(&mut ks, "SET k v");
        assert_eq!(
            run(&mut ks, "MEMORY USAGE k SAMPLES x"),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(&mut ks, "MEMORY USAGE k SAMPLES -1"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut ks, "MEMORY USAGE k foo 2"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            run(&mut ks, "MEMORY USAGE k SAMPLES"),
            "-ERR syntax error\r\n"
        );
        assert!(run(&mut ks, "MEMORY USAGE k samples 0").starts_with(':'));
    }
}
