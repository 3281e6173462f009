//! The shard's settings that change at run time, by their Redis names.
//!
//! The proxy owns `CONFIG SET`: it checks a value (with
//! `common::wire::parse_shard_setting`, Redis's errors) and sends it to
//! every shard as `SHARDD.CONFIG name value [name value ...]`
//! ([`Settings::set`]); a shard it restarts gets the values in force as
//! `--set name=value` flags. Today: the slow log's threshold and length and
//! the latency monitor's threshold (`common::wire::SHARD_SETTINGS`).

use common::wire::{parse_shard_setting, shard_setting_default};

/// Settings in force in this shard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `slowlog-log-slower-than`: log commands that take at least this
    /// many microseconds; negative turns the slow log off.
    pub slowlog_log_slower_than_us: i64,
    /// `slowlog-max-len`: entries the slow log keeps.
    pub slowlog_max_len: u64,
    /// `latency-monitor-threshold`: record latency spikes of at least this
    /// many milliseconds; 0 turns the monitor off.
    pub latency_monitor_threshold_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        let d = |n| shard_setting_default(n).unwrap_or(0);
        Settings {
            slowlog_log_slower_than_us: d("slowlog-log-slower-than"),
            slowlog_max_len: d("slowlog-max-len").max(0) as u64,
            latency_monitor_threshold_ms: d("latency-monitor-threshold").max(0) as u64,
        }
    }
}

impl Settings {
    /// Sets `name` (any case) to `value`; the error is `CONFIG SET`'s.
    pub fn set(&mut self, name: &[u8], value: &[u8]) -> Result<(), String> {
        let name = String::from_utf8_lossy(name).to_ascii_lowercase();
        let v = parse_shard_setting(&name, value).map_err(|e| {
            e.unwrap_or_else(|| {
                format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
            })
        })?;
        match name.as_str() {
            "slowlog-log-slower-than" => self.slowlog_log_slower_than_us = v,
            "slowlog-max-len" => self.slowlog_max_len = v.max(0) as u64,
            "latency-monitor-threshold" => self.latency_monitor_threshold_ms = v.max(0) as u64,
            _ => return Err(format!("ERR shard setting '{name}' is not applied here")),
        }
        Ok(())
    }

    /// Sets every `name value` pair of `args`, all or none.
    pub fn set_all(&mut self, args: &[&[u8]]) -> Result<(), String> {
        if !args.len().is_multiple_of(2) {
            return Err("ERR wrong number of arguments for 'shardd.config' command".into());
        }
        let mut next = *self;
        for pair in args.chunks(2) {
            next.set(pair[0], pair[1])?;
        }
        *self = next;
        Ok(())
    }

    /// Applies a `--set name=value` flag.
    pub fn set_flag(&mut self, flag: &str) -> Result<(), String> {
        let (name, value) = flag
            .split_once('=')
            .ok_or_else(|| format!("--set wants name=value, not '{flag}'"))?;
        self.set(name.as_bytes(), value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_start_at_redis_defaults_and_change_all_or_nothing() {
        let mut s = Settings::default();
        assert_eq!(s.slowlog_log_slower_than_us, 10_000);
        assert_eq!(s.slowlog_max_len, 128);
        assert_eq!(s.latency_monitor_threshold_ms, 0);
        s.set_all(&[
            b"SLOWLOG-MAX-LEN",
            b"5",
            b"latency-monitor-threshold",
            b"100",
        ])
        .unwrap();
        assert_eq!(
            (s.slowlog_max_len, s.latency_monitor_threshold_ms),
            (5, 100)
        );
        let before = s;
        let e = s.set_all(&[b"slowlog-max-len", b"7", b"slowlog-log-slower-than", b"-2"]);
        assert!(e.unwrap_err().contains("between -1 and"));
        assert_eq!(s, before);
        assert!(s.set_all(&[b"maxmemory", b"1"]).is_err());
        s.set_flag("slowlog-log-slower-than=-1").unwrap();
        assert_eq!(s.slowlog_log_slower_than_us, -1);
        assert!(s.set_flag("nonsense").is_err());
    }
}
