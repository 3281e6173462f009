//! Every `CONFIG` parameter shardis knows: Redis 7.0.15's parameters (its
//! `config.c` types, bounds, defaults and flags; of the TLS ones, those
//! for clients that rustls can honour, see `crate::tls`) plus Redis 7.2's set listpack thresholds, which
//! shardis's sets have. Defaults are Redis's, except where shardis does
//! otherwise (`appendonly yes`, `save ""`, ...); the values
//! set at start (`port`, `bind`, `dir`, `io-threads`) are filled in by
//! [`super::Settings::new`].
//!
//! `applies` says what a change does ([`Applies`]); the README lists the
//! `Unused` ones.

use super::{
    Applies::{self, *},
    Kind, Param, Special, HIDDEN, IMMUTABLE, PROTECTED,
};

const INT_MIN: i128 = i32::MIN as i128;
const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

/// The largest `proto-max-bulk-len` shardis takes: the largest argument a
/// request record between the proxy and a shard carries (Redis's default).
pub const PROTO_MAX_BULK_LEN_MAX_BYTES: i128 = 512 << 20;

const fn num(min: i128, max: i128, unsigned: bool, memory: bool) -> Kind {
    Kind::Num {
        min,
        max,
        unsigned,
        memory,
        percent: false,
    }
}
/// A signed integer (`int`, `long long`, `time_t`).
const fn int(min: i128, max: i128) -> Kind {
    num(min, max, false, false)
}
/// An unsigned integer (`unsigned int`, `unsigned long`, `size_t`).
const fn uint(min: i128, max: i128) -> Kind {
    num(min, max, true, false)
}
/// A signed memory value (`long long`, `off_t`).
const fn mem(min: i128, max: i128) -> Kind {
    num(min, max, false, true)
}
/// An unsigned memory value (`size_t`, `unsigned long long`).
const fn umem(min: i128, max: i128) -> Kind {
    num(min, max, true, true)
}

const fn p(
    name: &'static str,
    alias: Option<&'static str>,
    kind: Kind,
    default: &'static str,
    flags: u8,
    applies: Applies,
) -> Param {
    Param {
        name,
        alias,
        kind,
        default,
        flags,
        applies,
    }
}

const B: Kind = Kind::Bool;
const S: Kind = Kind::Str;

const FSYNC: &[&str] = &["everysec", "always", "no"];
const POLICY: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
const LOGLEVEL: &[&str] = &["debug", "verbose", "notice", "warning"];
const SUPERVISED: &[&str] = &["upstart", "systemd", "auto", "no"];
const FACILITY: &[&str] = &[
    "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];
const DISKLESS_LOAD: &[&str] = &["disabled", "on-empty-db", "swapdb"];
const OOM: &[&str] = &["no", "yes", "relative", "absolute"];
const PUBSUB_DEFAULT: &[&str] = &["allchannels", "resetchannels"];
const TLS_AUTH: &[&str] = &["no", "yes", "optional"];
const SANITIZE: &[&str] = &["no", "yes", "clients"];
const PROTECTED_ACTION: &[&str] = &["no", "yes", "local"];
const ENDPOINT: &[&str] = &["ip", "hostname", "unknown-endpoint"];
const PROPAGATION: &[&str] = &["ignore", "panic", "panic-on-replicas"];
const SHUTDOWN: &[&str] = &["default", "save", "nosave", "now", "force"];

/// The parameters, in the order `CONFIG GET *` lists them.
#[rustfmt::skip]
pub static PARAMS: &[Param] = &[
    // Applied by the proxy at once.
    p("requirepass", None, S, "", 0, Proxy),
    // TLS for clients (`crate::tls`): the port is bound at start, the rest
    // builds the configuration new TLS connections get.
    p("tls-port", None, int(0, 65535), "0", IMMUTABLE, Proxy),
    p("tls-cert-file", None, S, "", 0, Proxy),
    p("tls-key-file", None, S, "", 0, Proxy),
    p("tls-ca-cert-file", None, S, "", 0, Proxy),
    p("tls-ca-cert-dir", None, S, "", 0, Proxy),
    p("tls-auth-clients", None, Kind::Enum(TLS_AUTH), "yes", 0, Proxy),
    p("tls-protocols", None, S, "", 0, Proxy),
    p("tls-ciphersuites", None, S, "", 0, Proxy),
    p("timeout", None, int(0, INT_MAX), "0", 0, Proxy),
    p("maxclients", None, uint(1, UINT_MAX), "10000", 0, Proxy),
    p("tcp-keepalive", None, int(0, INT_MAX), "300", 0, Proxy),
    p("client-query-buffer-limit", None, umem(1 << 20, LONG_MAX), "1073741824", 0, Proxy),
    // INFO latencystats, which the proxy writes.
    p("latency-tracking", None, B, "yes", 0, Proxy),
    p("latency-tracking-info-percentiles", None, Kind::Special(Special::Percentiles), "50 99 99.9", 0, Proxy),
    // Applied by the proxy (to the commands it answers) and every shard.
    p("proto-max-bulk-len", None, mem(1 << 20, PROTO_MAX_BULK_LEN_MAX_BYTES), "536870912", 0, ProxyAndShards),
    p("slowlog-log-slower-than", None, int(-1, LONG_MAX), "10000", 0, ProxyAndShards),
    p("slowlog-max-len", None, uint(0, LONG_MAX), "128", 0, ProxyAndShards),
    p("latency-monitor-threshold", None, int(0, LONG_MAX), "0", 0, ProxyAndShards),
    // Applied by every shard.
    p("appendonly", None, B, "yes", 0, Shards),
    p("appendfsync", None, Kind::Enum(FSYNC), "everysec", 0, Shards),
    p("save", None, Kind::Special(Special::Save), "", 0, Shards),
    p("auto-aof-rewrite-percentage", None, int(0, INT_MAX), "100", 0, Shards),
    p("auto-aof-rewrite-min-size", None, mem(0, LONG_MAX), "67108864", 0, Shards),
    p("hash-max-listpack-entries", Some("hash-max-ziplist-entries"), uint(0, LONG_MAX), "512", 0, Shards),
    p("hash-max-listpack-value", Some("hash-max-ziplist-value"), umem(0, LONG_MAX), "64", 0, Shards),
    p("set-max-intset-entries", None, uint(0, LONG_MAX), "512", 0, Shards),
    p("set-max-listpack-entries", None, uint(0, LONG_MAX), "128", 0, Shards),
    p("set-max-listpack-value", None, umem(0, LONG_MAX), "64", 0, Shards),
    p("zset-max-listpack-entries", Some("zset-max-ziplist-entries"), uint(0, LONG_MAX), "128", 0, Shards),
    p("zset-max-listpack-value", Some("zset-max-ziplist-value"), umem(0, LONG_MAX), "64", 0, Shards),
    p("list-max-listpack-size", Some("list-max-ziplist-size"), int(INT_MIN, INT_MAX), "-2", 0, Shards),
    p("hll-sparse-max-bytes", None, umem(0, LONG_MAX), "3000", 0, Shards),
    // What shardis does, set at start.
    // A new port is bound before it is stored (`builtin::config`).
    p("port", None, int(0, 65535), "6379", 0, Proxy),
    p("bind", None, S, "127.0.0.1", 0, Fixed),
    p("dir", None, S, "", PROTECTED, Fixed),
    p("databases", None, int(1, 65536), "16", IMMUTABLE, Shards),
    p("io-threads", None, int(1, 128), "1", IMMUTABLE, Fixed),
    p("daemonize", None, B, "no", IMMUTABLE, Fixed),
    p("pidfile", None, S, "", IMMUTABLE, Fixed),
    p("logfile", None, S, "", IMMUTABLE, Fixed),
    p("unixsocket", None, S, "", IMMUTABLE, Fixed),
    p("supervised", None, Kind::Enum(SUPERVISED), "no", IMMUTABLE, Fixed),
    p("syslog-enabled", None, B, "no", IMMUTABLE, Fixed),
    p("cluster-enabled", None, B, "no", IMMUTABLE, Fixed),
    p("replicaof", Some("slaveof"), S, "", IMMUTABLE, Fixed),
    p("tcp-backlog", None, int(0, INT_MAX), "1024", IMMUTABLE, Fixed),
    p("enable-protected-configs", None, Kind::Enum(PROTECTED_ACTION), "no", IMMUTABLE, Fixed),
    p("enable-debug-command", None, Kind::Enum(PROTECTED_ACTION), "yes", IMMUTABLE, Fixed),
    p("enable-module-command", None, Kind::Enum(PROTECTED_ACTION), "no", IMMUTABLE, Fixed),
    p("notify-keyspace-events", None, Kind::Special(Special::NotifyKeyspaceEvents), "", 0, Shards),
    p("stop-writes-on-bgsave-error", None, B, "no", 0, Fixed),
    p("proc-title-template", None, S, "{title} {listen-addr} {server-mode}", 0, Fixed),
    // Accepted and shown, not used (the README lists them).
    p("maxmemory", None, umem(0, ULLONG_MAX), "0", 0, Shards),
    p("maxmemory-policy", None, Kind::Enum(POLICY), "noeviction", 0, Shards),
    p("maxmemory-samples", None, int(1, INT_MAX), "5", 0, Shards),
    p("maxmemory-eviction-tenacity", None, int(0, 100), "10", 0, Unused),
    p("maxmemory-clients", None, Kind::Num { min: -100, max: LONG_MAX, unsigned: false, memory: true, percent: true }, "0", 0, Unused),
    p("client-output-buffer-limit", None, Kind::Special(Special::ClientOutputBufferLimit), "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", 0, Proxy),
    p("protected-mode", None, B, "yes", 0, Proxy),
    p("loglevel", None, Kind::Enum(LOGLEVEL), "notice", 0, Unused),
    p("hz", None, int(0, INT_MAX), "10", 0, Unused),
    p("dynamic-hz", None, B, "yes", 0, Unused),
    p("activerehashing", None, B, "yes", 0, Unused),
    p("active-expire-effort", None, int(1, 10), "1", 0, Unused),
    p("activedefrag", None, B, "yes", 0, Shards),
    p("active-defrag-cycle-min", None, int(1, 99), "1", 0, Unused),
    p("active-defrag-cycle-max", None, int(1, 99), "25", 0, Unused),
    p("active-defrag-threshold-lower", None, int(0, 1000), "10", 0, Shards),
    p("active-defrag-threshold-upper", None, int(0, 1000), "100", 0, Unused),
    p("active-defrag-ignore-bytes", None, umem(1, LONG_MAX), "1048576", 0, Shards),
    p("active-defrag-max-scan-fields", None, uint(1, LONG_MAX), "1000", 0, Unused),
    p("jemalloc-bg-thread", None, B, "yes", 0, Unused),
    p("lazyfree-lazy-eviction", None, B, "no", 0, Unused),
    p("lazyfree-lazy-expire", None, B, "no", 0, Unused),
    p("lazyfree-lazy-server-del", None, B, "no", 0, Unused),
    p("lazyfree-lazy-user-del", None, B, "no", 0, Unused),
    p("lazyfree-lazy-user-flush", None, B, "no", 0, Unused),
    p("lfu-log-factor", None, int(0, INT_MAX), "10", 0, Shards),
    p("lfu-decay-time", None, int(0, INT_MAX), "1", 0, Shards),
    p("list-compress-depth", None, int(0, INT_MAX), "0", 0, Unused),
    p("stream-node-max-bytes", None, umem(0, LONG_MAX), "4096", 0, Shards),
    p("stream-node-max-entries", None, int(0, LONG_MAX), "100", 0, Shards),
    p("tracking-table-max-keys", None, uint(0, LONG_MAX), "1000000", 0, Shards),
    p("busy-reply-threshold", Some("lua-time-limit"), int(0, LONG_MAX), "5000", 0, Proxy),
    // shardis has no replicas: a positive count (with a positive lag)
    // refuses every write, as a Redis master without replicas does.
    p("min-replicas-to-write", Some("min-slaves-to-write"), int(0, INT_MAX), "0", 0, Proxy),
    p("min-replicas-max-lag", Some("min-slaves-max-lag"), int(0, INT_MAX), "10", 0, Proxy),
    p("acllog-max-len", None, uint(0, LONG_MAX), "128", 0, Proxy),
    p("acl-pubsub-default", None, Kind::Enum(PUBSUB_DEFAULT), "resetchannels", 0, Proxy),
    p("sanitize-dump-payload", None, Kind::Enum(SANITIZE), "no", 0, Unused),
    p("shutdown-timeout", None, int(0, INT_MAX), "10", 0, Unused),
    p("shutdown-on-sigint", None, Kind::Flags(SHUTDOWN), "default", 0, Proxy),
    p("shutdown-on-sigterm", None, Kind::Flags(SHUTDOWN), "default", 0, Proxy),
    p("oom-score-adj", None, Kind::Enum(OOM), "no", 0, Unused),
    p("oom-score-adj-values", None, Kind::Special(Special::OomScoreAdjValues), "0 200 800", 0, Unused),
    p("crash-log-enabled", None, B, "yes", 0, Unused),
    p("crash-memcheck-enabled", None, B, "yes", 0, Unused),
    p("ignore-warnings", None, S, "", 0, Unused),
    p("bind-source-addr", None, S, "", 0, Unused),
    p("propagation-error-behavior", None, Kind::Enum(PROPAGATION), "ignore", 0, Unused),
    p("dbfilename", None, S, "dump.rdb", PROTECTED, Unused),
    p("rdbcompression", None, B, "yes", 0, Unused),
    p("rdb-del-sync-files", None, B, "no", 0, Unused),
    p("rdb-save-incremental-fsync", None, B, "yes", 0, Unused),
    p("aof-rewrite-incremental-fsync", None, B, "yes", 0, Unused),
    p("aof-load-truncated", None, B, "yes", 0, Unused),
    p("aof-use-rdb-preamble", None, B, "yes", 0, Unused),
    p("aof-timestamp-enabled", None, B, "no", 0, Unused),
    p("aof-disable-auto-gc", None, B, "no", 0, Unused),
    p("no-appendfsync-on-rewrite", None, B, "no", 0, Unused),
    p("masterauth", None, S, "", 0, Unused),
    p("masteruser", None, S, "", 0, Unused),
    p("repl-backlog-size", None, mem(1, LONG_MAX), "1048576", 0, Unused),
    p("repl-backlog-ttl", None, int(0, LONG_MAX), "3600", 0, Unused),
    p("repl-timeout", None, int(1, INT_MAX), "60", 0, Unused),
    p("repl-ping-replica-period", Some("repl-ping-slave-period"), int(1, INT_MAX), "10", 0, Unused),
    p("repl-disable-tcp-nodelay", None, B, "no", 0, Unused),
    p("repl-diskless-sync", None, B, "yes", 0, Unused),
    p("repl-diskless-sync-delay", None, int(0, INT_MAX), "5", 0, Unused),
    p("repl-diskless-sync-max-replicas", None, int(0, INT_MAX), "0", 0, Unused),
    p("repl-diskless-load", None, Kind::Enum(DISKLESS_LOAD), "disabled", 0, Unused),
    p("replica-announce-ip", Some("slave-announce-ip"), S, "", 0, Unused),
    p("replica-announce-port", Some("slave-announce-port"), int(0, 65535), "0", 0, Unused),
    p("replica-announced", None, B, "yes", 0, Unused),
    p("replica-priority", Some("slave-priority"), int(0, INT_MAX), "100", 0, Unused),
    p("replica-read-only", Some("slave-read-only"), B, "yes", 0, Unused),
    p("replica-serve-stale-data", Some("slave-serve-stale-data"), B, "yes", 0, Unused),
    p("replica-lazy-flush", Some("slave-lazy-flush"), B, "no", 0, Unused),
    p("replica-ignore-maxmemory", Some("slave-ignore-maxmemory"), B, "yes", 0, Unused),
    p("replica-ignore-disk-write-errors", None, B, "no", 0, Unused),
    p("cluster-announce-ip", None, S, "", 0, Unused),
    p("cluster-announce-hostname", None, S, "", 0, Unused),
    p("cluster-announce-port", None, int(0, 65535), "0", 0, Unused),
    p("cluster-announce-bus-port", None, int(0, 65535), "0", 0, Unused),
    p("cluster-announce-tls-port", None, int(0, 65535), "0", 0, Unused),
    p("cluster-node-timeout", None, int(0, LONG_MAX), "15000", 0, Unused),
    p("cluster-migration-barrier", None, int(0, INT_MAX), "1", 0, Unused),
    p("cluster-replica-validity-factor", Some("cluster-slave-validity-factor"), int(0, INT_MAX), "10", 0, Unused),
    p("cluster-replica-no-failover", Some("cluster-slave-no-failover"), B, "no", 0, Unused),
    p("cluster-require-full-coverage", None, B, "yes", 0, Unused),
    p("cluster-allow-reads-when-down", None, B, "no", 0, Unused),
    p("cluster-allow-pubsubshard-when-down", None, B, "yes", 0, Unused),
    p("cluster-allow-replica-migration", None, B, "yes", 0, Unused),
    p("cluster-link-sendbuf-limit", None, umem(0, ULLONG_MAX), "0", 0, Unused),
    p("cluster-preferred-endpoint-type", None, Kind::Enum(ENDPOINT), "ip", 0, Unused),
    // Redis's immutable ones: the config file may set them, CONFIG SET
    // refuses them as Redis does.
    p("rdbchecksum", None, B, "yes", IMMUTABLE, Unused),
    p("always-show-logo", None, B, "no", IMMUTABLE, Unused),
    p("set-proc-title", None, B, "yes", IMMUTABLE, Unused),
    p("disable-thp", None, B, "yes", IMMUTABLE, Unused),
    p("io-threads-do-reads", None, B, "no", IMMUTABLE, Unused),
    p("aclfile", None, S, "", IMMUTABLE, Proxy),
    p("appendfilename", None, S, "appendonly.aof", IMMUTABLE, Unused),
    p("appenddirname", None, S, "appendonlydir", IMMUTABLE, Unused),
    p("cluster-config-file", None, S, "nodes.conf", IMMUTABLE, Unused),
    p("cluster-port", None, int(0, 65535), "0", IMMUTABLE, Unused),
    p("syslog-ident", None, S, "redis", IMMUTABLE, Unused),
    p("syslog-facility", None, Kind::Enum(FACILITY), "local0", IMMUTABLE, Unused),
    p("unixsocketperm", None, Kind::Octal { max: 0o777 }, "0", IMMUTABLE, Unused),
    p("socket-mark-id", None, uint(0, UINT_MAX), "0", IMMUTABLE, Unused),
    p("server_cpulist", None, S, "", IMMUTABLE, Unused),
    p("bio_cpulist", None, S, "", IMMUTABLE, Unused),
    p("aof_rewrite_cpulist", None, S, "", IMMUTABLE, Unused),
    p("bgsave_cpulist", None, S, "", IMMUTABLE, Unused),
    // Redis's hidden ones (CONFIG GET shows them by exact name only).
    p("key-load-delay", None, int(INT_MIN, INT_MAX), "0", HIDDEN, Unused),
    p("rdb-key-save-delay", None, int(INT_MIN, INT_MAX), "0", HIDDEN, Unused),
    p("loading-process-events-interval-bytes", None, int(1024, INT_MAX), "2097152", HIDDEN, Unused),
    p("watchdog-period", None, int(0, INT_MAX), "0", HIDDEN, Unused),
    p("use-exit-on-panic", None, B, "no", HIDDEN, Unused),
];
