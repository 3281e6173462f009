//! INFO over the shards: the proxy's own sections, then memory, stats,
//! persistence fields and key counts of the proxy and every shard merged
//! into one view, and a `# Shards` section with each shard's figures.
//!
//! Memory is the whole server's: `used_memory` is the bytes jemalloc has
//! handed out in the proxy and every shard, `used_memory_rss` their summed
//! resident memory; `bytes_per_key_rss` and `bytes_per_key_used` divide
//! them by the keys held (the figures the memory benchmark compares with
//! Redis's).
//!
//! Each shard answers `SHARDD.INFO` with `name:value` lines (see
//! `shardd/src/persist/admin.rs`). A field merges by what it means for the
//! whole server: counts add up, "in progress" and durations take the
//! largest, a status is `err` if any shard's is, and the last save time is
//! the oldest (the time by which every shard had saved).

/// How one field combines over the shards.
#[derive(Clone, Copy)]
enum Rule {
    Sum,
    Max,
    Min,
    WorstStatus,
}

/// Fields of Redis's `# Persistence` section the shards report, in
/// Redis's order.
const PERSISTENCE_FIELDS: &[(&str, Rule)] = &[
    ("loading", Rule::Max),
    ("async_loading", Rule::Max),
    ("rdb_changes_since_last_save", Rule::Sum),
    ("rdb_bgsave_in_progress", Rule::Max),
    ("rdb_last_save_time", Rule::Min),
    ("rdb_last_bgsave_status", Rule::WorstStatus),
    ("rdb_last_bgsave_time_sec", Rule::Max),
    ("rdb_current_bgsave_time_sec", Rule::Max),
    ("rdb_saves", Rule::Sum),
    ("aof_enabled", Rule::Max),
    ("aof_rewrite_in_progress", Rule::Max),
    ("aof_rewrite_scheduled", Rule::Max),
    ("aof_last_rewrite_time_sec", Rule::Max),
    ("aof_current_rewrite_time_sec", Rule::Max),
    ("aof_last_bgrewrite_status", Rule::WorstStatus),
    ("aof_rewrites", Rule::Sum),
    ("aof_last_write_status", Rule::WorstStatus),
    ("aof_current_size", Rule::Sum),
];

/// The proxy process's own figures, merged with the shards'.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProxyFigures {
    /// jemalloc's allocated bytes.
    pub used_memory: u64,
    /// Resident memory.
    pub rss: u64,
    /// Allocations made so far.
    pub allocations: u64,
    /// Connections accepted.
    pub connections: u64,
    /// Commands processed.
    pub commands: u64,
    /// Connections refused (maxclients).
    pub rejected: u64,
}

/// `n` bytes as Redis's `*_human` fields write them.
fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["K", "M", "G", "T"];
    if n < 1024 {
        return format!("{n}B");
    }
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.2}{}", UNITS[u])
}

/// One shard's fields.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// Parses a shard's `name:value` lines.
pub fn parse_fields(text: &str) -> Fields<'_> {
    text.split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .collect()
}

fn field<'a>(f: &Fields<'a>, name: &str) -> Option<&'a str> {
    f.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

fn merge_field(shards: &[Fields<'_>], name: &str, rule: Rule) -> Option<String> {
    let values: Vec<&str> = shards.iter().filter_map(|f| field(f, name)).collect();
    if values.is_empty() {
        return None;
    }
    let ints = || values.iter().filter_map(|v| v.parse::<i64>().ok());
    Some(match rule {
        Rule::Sum => ints().sum::<i64>().to_string(),
        Rule::Max => ints().max().unwrap_or(0).to_string(),
        Rule::Min => ints().min().unwrap_or(0).to_string(),
        Rule::WorstStatus => {
            let ok = values.iter().all(|v| *v == "ok");
            (if ok { "ok" } else { "err" }).to_string()
        }
    })
}

/// The merged `# Memory`, `# Persistence`, `# Stats`, `# Replication`,
/// `# Keyspace` and `# Shards` sections.
pub fn shard_sections(parts: &[Option<&str>], proxy: &ProxyFigures) -> String {
    let shards: Vec<Fields<'_>> = parts
        .iter()
        .map(|p| parse_fields(p.unwrap_or("")))
        .collect();
    let num = |f: &Fields<'_>, n: &str| field(f, n).and_then(|v| v.parse::<u64>().ok());
    let sum = |n: &str| shards.iter().filter_map(|f| num(f, n)).sum::<u64>();
    let keys = sum("keys");
    let expires = sum("expires");
    let used = proxy.used_memory + sum("used_memory");
    let rss = proxy.rss + sum("used_memory_rss");
    let per_key = |bytes: u64| {
        if keys == 0 {
            "0".to_string()
        } else {
            format!("{:.1}", bytes as f64 / keys as f64)
        }
    };
    let mut text = String::from("# Memory\r\n");
    let line = |t: &mut String, name: &str, v: &dyn std::fmt::Display| {
        t.push_str(&format!("{name}:{v}\r\n"));
    };
    line(&mut text, "used_memory", &used);
    line(&mut text, "used_memory_human", &human(used));
    line(&mut text, "used_memory_rss", &rss);
    line(&mut text, "used_memory_rss_human", &human(rss));
    line(&mut text, "used_memory_dataset", &sum("keyspace_bytes"));
    line(&mut text, "used_memory_proxy", &proxy.used_memory);
    line(&mut text, "used_memory_rss_proxy", &proxy.rss);
    line(&mut text, "used_memory_shards", &sum("used_memory"));
    line(&mut text, "used_memory_rss_shards", &sum("used_memory_rss"));
    line(&mut text, "bytes_per_key_used", &per_key(used));
    line(&mut text, "bytes_per_key_rss", &per_key(rss));
    line(&mut text, "maxmemory", &0);
    line(&mut text, "maxmemory_human", &"0B");
    line(&mut text, "maxmemory_policy", &"noeviction");
    line(&mut text, "mem_allocator", &"jemalloc-5.3.0");
    text.push_str("\r\n# Persistence\r\n");
    for &(name, rule) in PERSISTENCE_FIELDS {
        if let Some(v) = merge_field(&shards, name, rule) {
            text.push_str(&format!("{name}:{v}\r\n"));
        }
    }
    text.push_str("\r\n# Stats\r\n");
    line(&mut text, "total_connections_received", &proxy.connections);
    line(&mut text, "total_commands_processed", &proxy.commands);
    line(&mut text, "rejected_connections", &proxy.rejected);
    line(&mut text, "expired_keys", &sum("expired_keys"));
    line(&mut text, "evicted_keys", &0);
    line(
        &mut text,
        "total_allocations",
        &(proxy.allocations + sum("total_allocations")),
    );
    line(&mut text, "total_allocations_proxy", &proxy.allocations);
    line(
        &mut text,
        "total_allocations_shards",
        &sum("total_allocations"),
    );
    text.push_str("\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n");
    text.push_str("\r\n# Keyspace\r\n");
    if keys > 0 {
        text.push_str(&format!("db0:keys={keys},expires={expires},avg_ttl=0\r\n"));
    }
    text.push_str("\r\n# Shards\r\n");
    line(&mut text, "shards", &shards.len());
    for (i, f) in shards.iter().enumerate() {
        if f.is_empty() {
            text.push_str(&format!("shard{i}:status=unavailable\r\n"));
            continue;
        }
        text.push_str(&format!(
            "shard{i}:pid={},keys={},expires={},used_memory={},used_memory_rss={},generation={},appendfsync={}\r\n",
            field(f, "process_id").unwrap_or("?"),
            num(f, "keys").unwrap_or(0),
            num(f, "expires").unwrap_or(0),
            num(f, "used_memory").unwrap_or(0),
            num(f, "used_memory_rss").unwrap_or(0),
            field(f, "shardd_generation").unwrap_or("?"),
            field(f, "shardd_appendfsync").unwrap_or("?"),
        ));
    }
    text
}

/// Keeps the sections of `text` that `wanted` names (lowercase; empty,
/// `all`, `everything` or `default`: every section).
pub fn select_sections(text: &str, wanted: &[String]) -> String {
    if wanted.is_empty()
        || wanted
            .iter()
            .any(|w| matches!(w.as_str(), "all" | "everything" | "default"))
    {
        return text.to_string();
    }
    let mut out = String::new();
    for section in text.split("\r\n\r\n").filter(|s| !s.trim().is_empty()) {
        let name = section
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# "))
            .unwrap_or("")
            .to_ascii_lowercase();
        if wanted.contains(&name) {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            out.push_str(section.trim_end_matches("\r\n"));
            out.push_str("\r\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persistence_fields_merge_by_meaning() {
        let a = "keys:2\r\nexpires:1\r\nrdb_changes_since_last_save:3\r\nrdb_bgsave_in_progress:0\r\nrdb_last_save_time:100\r\nrdb_last_bgsave_status:ok\r\naof_last_write_status:ok\r\nshardd_generation:2\r\nshardd_appendfsync:always\r\n";
        let b = "keys:5\r\nexpires:0\r\nrdb_changes_since_last_save:4\r\nrdb_bgsave_in_progress:1\r\nrdb_last_save_time:90\r\nrdb_last_bgsave_status:err\r\naof_last_write_status:ok\r\n";
        let text = shard_sections(&[Some(a), Some(b)], &ProxyFigures::default());
        for want in [
            "rdb_changes_since_last_save:7\r\n",
            "rdb_bgsave_in_progress:1\r\n",
            "rdb_last_save_time:90\r\n",
            "rdb_last_bgsave_status:err\r\n",
            "aof_last_write_status:ok\r\n",
            "db0:keys=7,expires=1,avg_ttl=0\r\n",
            "shard0:pid=?,keys=2,expires=1,used_memory=0,used_memory_rss=0,generation=2,appendfsync=always\r\n",
        ] {
            assert!(text.contains(want), "{want} in {text}");
        }
        let only = select_sections(
            &format!("# Server\r\na:1\r\n\r\n{text}"),
            &["persistence".into()],
        );
        assert!(only.starts_with("# Persistence\r\nrdb_changes"), "{only}");
        assert!(
            !only.contains("# Server") && !only.contains("# Keyspace"),
            "{only}"
        );
    }
}
