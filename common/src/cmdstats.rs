//! Per-command statistics (`INFO commandstats`, `INFO latencystats`,
//! `LATENCY HISTOGRAM`) and error statistics (`INFO errorstats`).
//!
//! Each process counts what it runs: a shard its commands, the proxy the
//! commands it answers itself and the calls it rejects before they reach
//! a shard (wrong arity, `NOAUTH`). The proxy merges the shards' tables
//! into its own ([`CmdStats::merge`]); a shard sends its table as
//! `name:value` lines in `SHARDD.INFO` ([`CmdStats::write_lines`],
//! [`CmdStats::parse_lines`]).
//!
//! Cost: the counters are a fixed array indexed by the command's id, so
//! counting a call is two adds and a histogram add; a command's histogram
//! is allocated at its first call, never again (no allocation per
//! command). Error codes are kept in a small sorted list, allocated when a
//! code is first seen.

use std::fmt::Write as _;

use crate::{
    histogram::Histogram,
    table::{self, Cmd, Exec},
};

/// Most distinct error codes counted (as Redis, which stops adding codes
/// past 128 so that errors cannot grow the table without bound).
pub const ERROR_CODES_MAX: usize = 128;

/// One command's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Calls executed.
    pub calls: u64,
    /// Nanoseconds spent executing them.
    pub ns: u64,
    /// Calls that replied with an error.
    pub failed: u64,
    /// Calls refused before they ran (arity, authentication).
    pub rejected: u64,
}

impl Counters {
    fn is_zero(&self) -> bool {
        self.calls == 0 && self.failed == 0 && self.rejected == 0
    }
}

/// The statistics of every command, indexed by id, and of error codes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CmdStats {
    counters: Vec<Counters>,
    histograms: Vec<Option<Box<Histogram>>>,
    /// Error code (`ERR`, `WRONGTYPE`...) and count, sorted by code.
    errors: Vec<(String, u64)>,
}

impl Default for CmdStats {
    fn default() -> Self {
        CmdStats::new()
    }
}

impl CmdStats {
    /// Empty statistics.
    pub fn new() -> CmdStats {
        CmdStats {
            counters: vec![Counters::default(); Cmd::ALL.len()],
            histograms: vec![None; Cmd::ALL.len()],
            errors: Vec::new(),
        }
    }

    /// Counts a call of `id` that took `ns` nanoseconds.
    #[inline]
    pub fn call(&mut self, id: Cmd, ns: u64) {
        let i = id as usize;
        if let Some(c) = self.counters.get_mut(i) {
            c.calls += 1;
            c.ns += ns;
        }
        if let Some(h) = self.histograms.get_mut(i) {
            h.get_or_insert_with(Box::default).record(ns);
        }
    }

    /// Adds `ns` nanoseconds to `id` without counting a call (a part of a
    /// command split over several shards, whose first part counts it).
    #[inline]
    pub fn time_only(&mut self, id: Cmd, ns: u64) {
        if let Some(c) = self.counters.get_mut(id as usize) {
            c.ns += ns;
        }
    }

    /// Counts a call of `id` that replied with an error.
    pub fn failed(&mut self, id: Cmd) {
        if let Some(c) = self.counters.get_mut(id as usize) {
            c.failed += 1;
        }
    }

    /// Counts a call of `id` refused before it ran.
    pub fn rejected(&mut self, id: Cmd) {
        if let Some(c) = self.counters.get_mut(id as usize) {
            c.rejected += 1;
        }
    }

    /// Counts the error reply `reply` (`-CODE message\r\n`) by its code.
    pub fn error_reply(&mut self, reply: &[u8]) {
        if let Some(code) = error_code(reply) {
            self.error_code(code, 1);
        }
    }

    /// Adds `n` to error code `code`.
    pub fn error_code(&mut self, code: &str, n: u64) {
        match self.errors.binary_search_by(|(c, _)| c.as_str().cmp(code)) {
            Ok(i) => self.errors[i].1 += n,
            Err(i) if self.errors.len() < ERROR_CODES_MAX => {
                self.errors.insert(i, (code.to_string(), n));
            }
            Err(_) => {}
        }
    }

    /// `id`'s counters.
    pub fn counters(&self, id: Cmd) -> Counters {
        self.counters.get(id as usize).copied().unwrap_or_default()
    }

    /// `id`'s latency histogram, once it has been called.
    pub fn histogram(&self, id: Cmd) -> Option<&Histogram> {
        self.histograms.get(id as usize)?.as_deref()
    }

    /// Error codes and counts, sorted by code.
    pub fn errors(&self) -> &[(String, u64)] {
        &self.errors
    }

    /// Error replies counted, all codes together.
    pub fn total_errors(&self) -> u64 {
        self.errors.iter().map(|(_, n)| n).sum()
    }

    /// Commands with something counted, in table order (by name, each
    /// container followed by its subcommands), internal commands left out.
    pub fn active(&self) -> impl Iterator<Item = (Cmd, Counters)> + '_ {
        table::every_entry()
            .filter(|c| c.exec != Exec::Internal)
            .map(|c| (c.id, self.counters(c.id)))
            .filter(|(_, c)| !c.is_zero())
    }

    /// Adds `other` into these statistics.
    pub fn merge(&mut self, other: &CmdStats) {
        for (a, b) in self.counters.iter_mut().zip(&other.counters) {
            a.calls += b.calls;
            a.ns += b.ns;
            a.failed += b.failed;
            a.rejected += b.rejected;
        }
        for (a, b) in self.histograms.iter_mut().zip(&other.histograms) {
            if let Some(b) = b {
                a.get_or_insert_with(Box::default).merge(b);
            }
        }
        for (code, n) in &other.errors {
            self.error_code(code, *n);
        }
    }

    /// Forgets everything (`CONFIG RESETSTAT`).
    pub fn reset(&mut self) {
        self.counters.fill(Counters::default());
        self.histograms.fill(None);
        self.errors.clear();
    }

    /// Appends the statistics as `name:value` lines: when `commands`,
    /// `cmdstat_NAME:calls=N,nsec=N,failed_calls=N,rejected_calls=N` per
    /// command used and, when `histograms` too, `cmdhist_NAME:index=
    /// count,...` per histogram; always `errorstat_CODE:count=N` per error
    /// code.
    pub fn write_lines(&self, out: &mut String, commands: bool, histograms: bool) {
        for (id, c) in self.active().filter(|_| commands) {
            let name = id.spec().name;
            let _ = write!(
                out,
                "cmdstat_{name}:calls={},nsec={},failed_calls={},rejected_calls={}\r\n",
                c.calls, c.ns, c.failed, c.rejected
            );
            if let (true, Some(h)) = (histograms, self.histogram(id)) {
                let _ = write!(out, "cmdhist_{name}:");
                h.write_sparse(out);
                out.push_str("\r\n");
            }
        }
        for (code, n) in &self.errors {
            let _ = write!(out, "errorstat_{code}:count={n}\r\n");
        }
    }

    /// Reads the lines [`CmdStats::write_lines`] wrote (other lines are
    /// skipped, and so are names this table does not know).
    pub fn parse_lines(text: &str) -> CmdStats {
        let mut s = CmdStats::new();
        for line in text.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if let Some(cmd) = name.strip_prefix("cmdstat_") {
                if let Some(spec) = table::entry(cmd.as_bytes()) {
                    let c = &mut s.counters[spec.id as usize];
                    for (k, v) in value.split(',').filter_map(|kv| kv.split_once('=')) {
                        let v: u64 = v.parse().unwrap_or(0);
                        match k {
                            "calls" => c.calls += v,
                            "nsec" => c.ns += v,
                            "failed_calls" => c.failed += v,
                            "rejected_calls" => c.rejected += v,
                            _ => {}
                        }
                    }
                }
            } else if let Some(cmd) = name.strip_prefix("cmdhist_") {
                let h = Histogram::parse_sparse(value);
                if let (Some(spec), Some(h)) = (table::entry(cmd.as_bytes()), h) {
                    s.histograms[spec.id as usize]
                        .get_or_insert_with(Box::default)
                        .merge(&h);
                }
            } else if let Some(code) = name.strip_prefix("errorstat_") {
                let n = value
                    .strip_prefix("count=")
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                s.error_code(code, n);
            }
        }
        s
    }
}

/// The code of an error reply: the word after `-` (`ERR`, `WRONGTYPE`),
/// with the characters INFO cannot show replaced as Redis does; `None` if
/// `reply` is not an error.
pub fn error_code(reply: &[u8]) -> Option<&str> {
    let body = reply.strip_prefix(b"-")?;
    let end = body
        .iter()
        .position(|&b| b == b' ' || b == b'\r' || b == b'\n')
        .unwrap_or(body.len());
    let code = std::str::from_utf8(&body[..end]).ok()?;
    (!code.is_empty() && !code.contains([':', '#', ','])).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_errors_and_histograms_add_up_and_survive_the_wire() {
        let mut a = CmdStats::new();
        a.call(Cmd::Get, 1_500);
        a.call(Cmd::Get, 2_500);
        a.time_only(Cmd::Get, 1_000);
        a.failed(Cmd::Get);
        a.rejected(Cmd::ConfigSet);
        a.error_reply(b"-WRONGTYPE Operation against a key\r\n");
        a.error_reply(b"-ERR syntax error\r\n");
        a.error_reply(b"+OK\r\n");
        let mut text = String::new();
        a.write_lines(&mut text, true, true);
        assert!(
            text.contains("cmdstat_get:calls=2,nsec=5000,failed_calls=1,rejected_calls=0\r\n"),
            "{text}"
        );
        assert!(text.contains("cmdstat_config|set:calls=0,"), "{text}");
        assert!(text.contains("errorstat_ERR:count=1\r\nerrorstat_WRONGTYPE:count=1\r\n"));
        let back = CmdStats::parse_lines(&text);
        assert_eq!(back, a);
        let mut sum = back.clone();
        sum.merge(&a);
        assert_eq!(sum.counters(Cmd::Get).calls, 4);
        assert_eq!(sum.histogram(Cmd::Get).map(Histogram::total), Some(4));
        assert_eq!(sum.total_errors(), 4);
        sum.reset();
        assert_eq!(sum, CmdStats::new());
    }

    #[test]
    fn error_codes_are_bounded() {
        let mut s = CmdStats::new();
        for i in 0..ERROR_CODES_MAX + 10 {
            s.error_code(&format!("E{i}"), 1);
        }
        assert_eq!(s.errors().len(), ERROR_CODES_MAX);
        assert_eq!(
            error_code(b"-NOAUTH Authentication required.\r\n"),
            Some("NOAUTH")
        );
        assert_eq!(error_code(b"-ERR\r\n"), Some("ERR"));
        assert_eq!(error_code(b":1\r\n"), None);
    }
}
