//! Start-up settings: command-line flags and an optional redis.conf-style
//! file.
//!
//! Precedence: built-in defaults, then the file, then flags. The file holds
//! `name value` lines (`#` comments): shardis's own settings (`shards`,
//! `workers`, `dir`, `attach`, `shard-wait-timeout-ms`, `colocate-after`,
//! `ring-capacity-bytes`, `port`, `bind`, `cpu-affinity`, `worker-cpus`,
//! `shard-cpus`) and any `CONFIG` parameter by its
//! Redis name or alias, checked with Redis's rules ([`crate::params`]).
//! What the file and flags give the parameters becomes the value in force
//! at start ([`crate::params::Settings`]); `CONFIG SET` changes them later.
//!
//! The shards' parameters (`appendonly`, `appendfsync`, `save`, the
//! encoding thresholds, ...) reach every shard the proxy starts (shards
//! started elsewhere and attached with `--attach` keep their own flags;
//! `ops/start` gives both the same values).
//!
//! Decisions written down here: the default bind address is 127.0.0.1 (a
//! server with no password should not listen on every interface); there is
//! one database (SELECT 0 works, any other index gets Redis's "DB index is
//! out of range").

use std::path::PathBuf;

use clap::Parser;

use crate::params::{self, Applies, PARAMS};

/// Command line of the `proxy` binary.
#[derive(Parser, Debug, Clone, Default)]
#[command(
    name = "proxy",
    version,
    about = "shardis: a Redis endpoint over shard processes"
)]
pub struct Flags {
    /// A redis.conf-style file to read first.
    pub config_file: Option<PathBuf>,
    /// TCP port to listen on.
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on.
    #[arg(long)]
    pub bind: Option<String>,
    /// Number of shard processes to start (default: cores, at least 2).
    #[arg(long)]
    pub shards: Option<usize>,
    /// Number of proxy worker threads (default: half the cores, at least 1).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Data directory; shard N lives in DIR/shard-N.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Attach to running shard processes (their control sockets, in shard
    /// order) instead of starting them.
    #[arg(long, value_delimiter = ',')]
    pub attach: Vec<PathBuf>,
    /// Password clients must AUTH with.
    #[arg(long)]
    pub requirepass: Option<String>,
    /// Most client connections at once.
    #[arg(long)]
    pub maxclients: Option<usize>,
    /// Port for TLS clients (0: none), beside `--port`.
    #[arg(long)]
    pub tls_port: Option<u16>,
    /// The server's certificate (PEM), for `--tls-port`.
    #[arg(long)]
    pub tls_cert_file: Option<String>,
    /// The server's private key (PEM).
    #[arg(long)]
    pub tls_key_file: Option<String>,
    /// CA certificates (PEM) client certificates must be signed by.
    #[arg(long)]
    pub tls_ca_cert_file: Option<String>,
    /// Whether TLS clients must show a certificate: yes (default), no, optional.
    #[arg(long, value_name = "yes|no|optional")]
    pub tls_auth_clients: Option<String>,
    /// Serve TLS clients only, on --tls-port (no plain TCP port).
    #[arg(long)]
    pub tls_only: bool,
    /// Refuse clients off loopback while the default user has no password
    /// (yes, the default, as Redis).
    #[arg(long, value_name = "yes|no")]
    pub protected_mode: Option<String>,
    /// Close connections idle this many seconds (0: never).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// How long a command waits for a restarting shard, in milliseconds.
    #[arg(long)]
    pub shard_wait_timeout_ms: Option<u64>,
    /// Weight at which slots that keep needing each other on several
    /// shards are moved to one (`crate::colocate`; 0: never).
    #[arg(long)]
    pub colocate_after: Option<u64>,
    /// Path of a shardd binary to start shards with (default: this binary
    /// in shard mode, so shards always match the proxy's build).
    #[arg(long)]
    pub shardd_bin: Option<PathBuf>,
    /// When each shard makes its append-only log durable: always (before
    /// replying), everysec (default), no (when the kernel likes).
    #[arg(long, value_name = "always|everysec|no")]
    pub appendfsync: Option<String>,
    /// Whether each shard keeps an append-only log (default yes; with no, a
    /// shard's data does not survive its restart).
    #[arg(long, value_name = "yes|no")]
    pub appendonly: Option<String>,
    /// Where workers and shards run: auto (default; see
    /// `proxy/src/placement.rs`) or none (the kernel decides).
    #[arg(long, value_name = "auto|none")]
    pub cpu_affinity: Option<String>,
    /// CPUs the worker threads run on, one each in turn (`0-1`).
    #[arg(long, value_name = "LIST")]
    pub worker_cpus: Option<String>,
    /// CPUs the shards run on, one each in turn (`2-5`).
    #[arg(long, value_name = "LIST")]
    pub shard_cpus: Option<String>,
}

/// The settings the proxy starts with. The `CONFIG` parameters among them
/// (from the file and the flags) are in `params`, checked with Redis's
/// rules; the values in force at run time are in [`crate::params::Settings`].
#[derive(Debug, Clone)]
pub struct Config {
    /// TCP port.
    pub port: u16,
    /// Listen address.
    pub bind: String,
    /// Number of shards.
    pub shards: usize,
    /// Number of worker threads.
    pub workers: usize,
    /// Data directory.
    pub dir: PathBuf,
    /// Control sockets of shards started elsewhere (empty: start our own).
    pub attach: Vec<PathBuf>,
    /// `tls-only yes`: no plain TCP listener, TLS clients only (Redis
    /// does this with `port 0`; shardis's `port 0` picks a free port).
    pub tls_only: bool,
    /// The config file's `user` lines (each without `user`), loaded as
    /// an ACL file at start (`crate::acl`).
    pub users: Vec<String>,
    /// Bounded wait for a restarting shard.
    pub shard_wait_timeout_ms: u64,
    /// `colocate-after` (`crate::colocate`; 0: off).
    pub colocate_after: u64,
    /// Replies queued for a client beyond which the proxy stops reading its
    /// requests until it reads its replies.
    pub client_output_backlog_bytes: usize,
    /// Data bytes of each ring between a worker and a shard.
    pub ring_capacity_bytes: usize,
    /// The shardd binary to start, if set.
    pub shardd_bin: Option<PathBuf>,
    /// `CONFIG` parameters the file or the flags set: (index in
    /// [`PARAMS`], value as `CONFIG GET` shows it), the last one wins.
    pub params: Vec<(usize, String)>,
    /// `cpu-affinity` ([`crate::placement`]).
    pub cpu_affinity: crate::placement::Mode,
    /// `worker-cpus`, if given.
    pub worker_cpus: Option<Vec<usize>>,
    /// `shard-cpus`, if given.
    pub shard_cpus: Option<Vec<usize>>,
    /// The config file read at start (absolute), which `CONFIG REWRITE`
    /// rewrites.
    pub config_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Config {
            port: 6379,
            bind: "127.0.0.1".into(),
            shards: cores.max(2),
            workers: (cores / 2).max(1),
            dir: PathBuf::from("shardis-data"),
            attach: Vec::new(),
            users: Vec::new(),
            tls_only: false,
            shard_wait_timeout_ms: 5_000,
            colocate_after: 64,
            client_output_backlog_bytes: 32 << 20,
            ring_capacity_bytes: 1 << 20,
            shardd_bin: None,
            params: Vec::new(),
            cpu_affinity: crate::placement::Mode::Auto,
            worker_cpus: None,
            shard_cpus: None,
            config_file: None,
        }
    }
}

/// A setting that could not be applied.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

impl Config {
    /// Defaults, then the file named by `flags`, then the flags.
    pub fn load(flags: &Flags) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        if let Some(path) = &flags.config_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
            cfg.apply_file(&text)?;
            cfg.config_file = Some(std::path::absolute(path).unwrap_or_else(|_| path.clone()));
        }
        cfg.apply_flags(flags)?;
        cfg.check()?;
        Ok(cfg)
    }

    fn apply_flags(&mut self, f: &Flags) -> Result<(), ConfigError> {
        if let Some(v) = f.port {
            self.port = v;
        }
        if let Some(v) = &f.bind {
            self.bind = v.clone();
        }
        if f.tls_only {
            self.tls_only = true;
        }
        if let Some(v) = f.shards {
            self.shards = v;
        }
        if let Some(v) = f.workers {
            self.workers = v;
        }
        if let Some(v) = &f.dir {
            self.dir = v.clone();
        }
        if !f.attach.is_empty() {
            self.attach = f.attach.clone();
            self.shards = f.attach.len();
        }
        if let Some(v) = f.shard_wait_timeout_ms {
            self.shard_wait_timeout_ms = v;
        }
        if let Some(v) = f.colocate_after {
            self.colocate_after = v;
        }
        if let Some(v) = &f.shardd_bin {
            self.shardd_bin = Some(v.clone());
        }
        for (name, value) in [
            ("cpu-affinity", &f.cpu_affinity),
            ("worker-cpus", &f.worker_cpus),
            ("shard-cpus", &f.shard_cpus),
        ] {
            if let Some(v) = value {
                self.set(name, v)
                    .map_err(|e| ConfigError(format!("--{name}: {}", e.0)))?;
            }
        }
        let params = [
            ("requirepass", f.requirepass.clone()),
            ("maxclients", f.maxclients.map(|v| v.to_string())),
            ("tls-port", f.tls_port.map(|v| v.to_string())),
            ("tls-cert-file", f.tls_cert_file.clone()),
            ("tls-key-file", f.tls_key_file.clone()),
            ("tls-ca-cert-file", f.tls_ca_cert_file.clone()),
            ("tls-auth-clients", f.tls_auth_clients.clone()),
            ("protected-mode", f.protected_mode.clone()),
            ("timeout", f.timeout.map(|v| v.to_string())),
            ("appendfsync", f.appendfsync.clone()),
            ("appendonly", f.appendonly.clone()),
        ];
        for (name, value) in params {
            if let Some(v) = value {
                self.set(name, &v)
                    .map_err(|e| ConfigError(format!("--{name}: {}", e.0)))?;
            }
        }
        Ok(())
    }

    /// The value the file or flags gave parameter `index`, else its default.
    pub fn param(&self, index: usize) -> &str {
        self.params
            .iter()
            .rev()
            .find(|(i, _)| *i == index)
            .map_or(PARAMS[index].default, |(_, v)| v.as_str())
    }

    /// Applies redis.conf-style text.
    pub fn apply_file(&mut self, text: &str) -> Result<(), ConfigError> {
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let value = value.trim().trim_matches('"');
            self.set(&name.to_ascii_lowercase(), value)
                .map_err(|e| ConfigError(format!("line {}: {}", n + 1, e.0)))?;
        }
        Ok(())
    }

    /// Sets one start-up setting by its file name: shardis's own, or a
    /// `CONFIG` parameter checked with Redis's rules. Unknown names are
    /// refused here (a typo in a file should not pass silently), and so is
    /// a value other than shardis's for a parameter shardis fixes.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let num = |v: &str| {
            parse_memory(v).ok_or_else(|| ConfigError(format!("bad value for '{name}': '{v}'")))
        };
        match name {
            "port" => {
                self.port = u16::try_from(num(value)?)
                    .map_err(|_| ConfigError(format!("bad value for 'port': '{value}'")))?
            }
            "bind" => {
                self.bind = value
                    .split_whitespace()
                    .next()
                    .unwrap_or("127.0.0.1")
                    .into()
            }
            "shards" => self.shards = num(value)? as usize,
            "user" => self.users.push(value.to_string()),
            "tls-only" => {
                self.tls_only = match value.to_ascii_lowercase().as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(ConfigError(format!("bad value for 'tls-only': '{value}'"))),
                }
            }
            "workers" => self.workers = num(value)? as usize,
            "dir" => self.dir = PathBuf::from(value),
            "attach" => {
                self.attach = value.split(',').map(PathBuf::from).collect();
                self.shards = self.attach.len();
            }
            "shard-wait-timeout-ms" => self.shard_wait_timeout_ms = num(value)?,
            "colocate-after" => self.colocate_after = num(value)?,
            "ring-capacity-bytes" => self.ring_capacity_bytes = num(value)? as usize,
            "cpu-affinity" => {
                self.cpu_affinity = crate::placement::Mode::parse(value).map_err(ConfigError)?
            }
            "worker-cpus" => {
                self.worker_cpus = Some(common::cpus::parse_list(value).map_err(ConfigError)?)
            }
            "shard-cpus" => {
                self.shard_cpus = Some(common::cpus::parse_list(value).map_err(ConfigError)?)
            }
            _ => return self.set_param(name, value),
        }
        Ok(())
    }

    fn set_param(&mut self, name: &str, value: &str) -> Result<(), ConfigError> {
        let named = params::lookup(name.as_bytes())
            .ok_or_else(|| ConfigError(format!("unknown setting '{name}'")))?;
        let p = named.param();
        let v = p
            .parse(value.as_bytes(), self.param(named.index))
            .map_err(|e| ConfigError(format!("bad value for '{name}': {e}")))?;
        // As in redis.conf, `save` lines add up (an empty one clears them).
        let v = match (
            p.name,
            self.params.iter().rev().find(|(i, _)| *i == named.index),
        ) {
            ("save", Some((_, prev))) if !prev.is_empty() && !v.is_empty() => format!("{prev} {v}"),
            _ => v,
        };
        if p.applies == Applies::Fixed && v != p.default {
            return Err(ConfigError(format!(
                "shardis does not support '{name}' other than '{}'",
                p.default
            )));
        }
        self.params.push((named.index, v));
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.shards == 0 || self.shards > common::scan::MAX_SHARDS {
            return Err(ConfigError("shards must be between 1 and 256".into()));
        }
        if self.workers == 0 || self.workers > 64 {
            return Err(ConfigError("workers must be between 1 and 64".into()));
        }
        let tls_port = crate::params::index_of("tls-port")
            .and_then(|i| self.params.iter().rfind(|(j, _)| *j == i))
            .is_some_and(|(_, v)| v != "0");
        if self.tls_only && !tls_port {
            return Err(ConfigError("tls-only needs a tls-port".into()));
        }
        if !self.ring_capacity_bytes.is_power_of_two() || self.ring_capacity_bytes < 4096 {
            return Err(ConfigError(
                "ring-capacity-bytes must be a power of two >= 4096".into(),
            ));
        }
        Ok(())
    }
}

/// Parses Redis's memory and number notation: `100`, `1k` (1000), `1kb`
/// (1024), `1mb`, `1gb`, `1m`, `1g`.
pub fn parse_memory(v: &str) -> Option<u64> {
    let v = v.trim().to_ascii_lowercase();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let mul: u64 = match unit {
        "" | "b" => 1,
        "k" => 1_000,
        "kb" => 1 << 10,
        "m" => 1_000_000,
        "mb" => 1 << 20,
        "g" => 1_000_000_000,
        "gb" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mul)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(cfg: &Config, name: &str) -> String {
        cfg.param(params::index_of(name).expect("a parameter"))
            .to_string()
    }

    #[test]
    fn file_then_flags_take_precedence() {
        let mut cfg = Config::default();
        cfg.apply_file("# comment\nport 7000\nrequirepass \"secret\"\nmaxclients 5\n")
            .unwrap();
        assert_eq!(cfg.port, 7000);
        assert_eq!(value(&cfg, "requirepass"), "secret");
        cfg.apply_flags(&Flags {
            port: Some(7001),
            maxclients: Some(9),
            ..Flags::default()
        })
        .unwrap();
        assert_eq!(cfg.port, 7001);
        assert_eq!(value(&cfg, "maxclients"), "9");
        assert_eq!(value(&cfg, "timeout"), "0");
    }

    #[test]
    fn unknown_settings_and_bad_values_are_refused() {
        let mut cfg = Config::default();
        assert!(cfg.apply_file("no-such-thing 1").is_err());
        assert!(cfg.apply_file("port x").is_err());
        assert!(cfg.apply_file("port 70000").is_err());
        let e = cfg.apply_file("maxclients 0").unwrap_err().0;
        assert_eq!(
            e,
            "line 1: bad value for 'maxclients': argument must be between 1 and 4294967295 inclusive"
        );
        // At most 65536 databases (each used one costs a shard its slot table).
        assert!(cfg.apply_file("databases 65537").is_err());
        assert!(cfg.apply_file("databases 0").is_err());
        assert!(cfg.apply_file("databases 32").is_ok());
        assert!(cfg.apply_file("notify-keyspace-events KEA").is_ok());
        assert!(cfg.apply_file("notify-keyspace-events KEq").is_err());
    }

    #[test]
    fn parameters_take_redis_notation_and_aliases() {
        let mut cfg = Config::default();
        cfg.apply_file("hash-max-ziplist-entries 64\nclient-query-buffer-limit 2mb\nsave 900 1\n")
            .unwrap();
        assert_eq!(value(&cfg, "hash-max-listpack-entries"), "64");
        assert_eq!(value(&cfg, "client-query-buffer-limit"), "2097152");
        assert_eq!(value(&cfg, "save"), "900 1");
        cfg.apply_file("save 300 10\n").unwrap();
        assert_eq!(value(&cfg, "save"), "900 1 300 10");
        cfg.apply_file("save \"\"\n").unwrap();
        assert_eq!(value(&cfg, "save"), "");
    }

    #[test]
    fn persistence_flags_are_checked_like_config_set() {
        let mut cfg = Config::default();
        cfg.apply_file("appendfsync always\nappendonly no\n")
            .unwrap();
        assert_eq!(value(&cfg, "appendfsync"), "always");
        assert_eq!(value(&cfg, "appendonly"), "no");
        cfg.apply_flags(&Flags {
            appendfsync: Some("NO".into()),
            appendonly: Some("yes".into()),
            ..Flags::default()
        })
        .unwrap();
        assert_eq!(value(&cfg, "appendfsync"), "no");
        assert_eq!(value(&cfg, "appendonly"), "yes");
        assert!(cfg.apply_file("appendfsync sometimes").is_err());
        assert!(cfg.apply_file("appendonly maybe").is_err());
        let bad = Flags {
            appendfsync: Some("x".into()),
            ..Flags::default()
        };
        assert!(Config::load(&bad).is_err());
    }

    #[test]
    fn memory_units_follow_redis() {
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("512mb"), Some(512 << 20));
        assert_eq!(parse_memory("1x"), None);
    }
}
