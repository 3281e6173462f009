//! What the load tools in `src/bin` share: `--flag value` parsing, a small
//! seeded generator and RESP command encoding. The criterion benches in
//! `benches/` use the workspace crates directly.

use std::{fmt::Display, str::FromStr};

/// Splits command-line arguments into `(flag, value)` pairs: every flag of
/// these tools takes a value. `--help` or `-h` anywhere gives `Err("")`,
/// so the caller prints its usage and nothing else.
pub fn flag_pairs(args: impl IntoIterator<Item = String>) -> Result<Vec<(String, String)>, String> {
    let mut args = args.into_iter();
    let mut pairs = Vec::new();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}

/// The options `parsed`, or, after printing the error (if any) and the
/// usage line, the exit code: 0 for `--help`, 2 for a bad command line.
pub fn options_or_usage<T>(
    tool: &str,
    usage: &str,
    parsed: Result<T, String>,
) -> Result<T, std::process::ExitCode> {
    parsed.map_err(|e| {
        if !e.is_empty() {
            eprintln!("{tool}: {e}");
        }
        eprintln!("usage: {tool} {usage}");
        std::process::ExitCode::from(if e.is_empty() { 0 } else { 2 })
    })
}

/// Parses `value` given for `flag`; the error names both.
pub fn parse_flag<T>(flag: &str, value: &str) -> Result<T, String>
where
    T: FromStr,
    T::Err: Display,
{
    value
        .parse()
        .map_err(|e| format!("bad value for {flag}: {value} ({e})"))
}

/// xorshift64*: cheap and seeded; the workloads need no more than an even
/// spread of keys and rolls.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any seed, 0 included, gives a live state).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Appends `args` to `out` as one RESP multibulk command.
pub fn encode_command<A: AsRef<[u8]>>(out: &mut Vec<u8>, args: &[A]) {
    out.push(b'*');
    out.extend_from_slice(args.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n");
    for a in args {
        let a = a.as_ref();
        out.push(b'$');
        out.extend_from_slice(a.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_pair_up_and_help_wins() {
        let p = flag_pairs(strings(&["--port", "7000", "--keys", "10"])).expect("pairs");
        assert_eq!(
            p,
            vec![
                ("--port".to_string(), "7000".to_string()),
                ("--keys".to_string(), "10".to_string())
            ]
        );
        assert_eq!(
            flag_pairs(strings(&["--port"])),
            Err("--port needs a value".into())
        );
        assert_eq!(
            flag_pairs(strings(&["--port", "1", "-h"])),
            Err(String::new())
        );
        assert_eq!(parse_flag::<u16>("--port", "7000"), Ok(7000));
        let e = parse_flag::<u16>("--port", "70000").expect_err("out of range");
        assert!(e.starts_with("bad value for --port: 70000"), "{e}");
    }

    #[test]
    fn rng_is_seeded_and_spreads() {
        let (mut a, mut b) = (Rng::new(0), Rng::new(0));
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert!(xs.windows(2).all(|w| w[0] != w[1]));
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[a.below(10) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
        assert_eq!(a.below(0), 0);
    }

    #[test]
    fn commands_encode_as_multibulk() {
        let mut out = Vec::new();
        encode_command(&mut out, &["SET", "k", ""]);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
    }
}
