//! INFO over the shards: the proxy's own sections, then the shards'
//! persistence fields and key counts merged into one view.
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

/// The merged `# Persistence`, `# Keyspace` and `# Shards` sections.
pub fn shard_sections(parts: &[Option<&str>]) -> String {
    let shards: Vec<Fields<'_>> = parts
        .iter()
        .map(|p| parse_fields(p.unwrap_or("")))
        .collect();
    let mut text = String::from("# Persistence\r\n");
    for &(name, rule) in PERSISTENCE_FIELDS {
        if let Some(v) = merge_field(&shards, name, rule) {
            text.push_str(&format!("{name}:{v}\r\n"));
        }
    }
    text.push_str("\r\n# Keyspace\r\n");
    let num = |f: &Fields<'_>, n: &str| field(f, n).and_then(|v| v.parse::<i64>().ok());
    let keys: i64 = shards.iter().filter_map(|f| num(f, "keys")).sum();
    let expires: i64 = shards.iter().filter_map(|f| num(f, "expires")).sum();
    if keys > 0 {
        text.push_str(&format!("db0:keys={keys},expires={expires},avg_ttl=0\r\n"));
    }
    text.push_str("\r\n# Shards\r\n");
    for (i, f) in shards.iter().enumerate() {
        text.push_str(&format!(
            "shard{i}:keys={},generation={},appendfsync={}\r\n",
            num(f, "keys").unwrap_or(0),
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
        let text = shard_sections(&[Some(a), Some(b)]);
        for want in [
            "rdb_changes_since_last_save:7\r\n",
            "rdb_bgsave_in_progress:1\r\n",
            "rdb_last_save_time:90\r\n",
            "rdb_last_bgsave_status:err\r\n",
            "aof_last_write_status:ok\r\n",
            "db0:keys=7,expires=1,avg_ttl=0\r\n",
            "shard0:keys=2,generation=2,appendfsync=always\r\n",
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
