//! The parameter table against Redis 7.0.15's rules and error texts (as
//! redis-server 7.0.15 answers them) and against the shards' list.

use super::*;

fn parse(name: &str, raw: &str) -> Result<String, String> {
    let named = lookup(name.as_bytes()).unwrap_or_else(|| panic!("no parameter {name}"));
    named.param().parse(raw.as_bytes(), named.param().default)
}

#[test]
fn every_default_is_a_value_its_parameter_takes_unchanged() {
    for p in PARAMS {
        // `dir` is filled in at start; an empty default means "unset".
        if p.name == "dir" {
            continue;
        }
        assert_eq!(
            p.parse(p.default.as_bytes(), p.default).as_deref(),
            Ok(p.default),
            "{}",
            p.name
        );
    }
}

#[test]
fn names_and_aliases_are_unique_and_lowercase() {
    let mut seen = std::collections::HashSet::new();
    for p in PARAMS {
        for n in [Some(p.name), p.alias].into_iter().flatten() {
            assert_eq!(n, n.to_ascii_lowercase());
            assert!(seen.insert(n), "{n} twice");
        }
    }
}

#[test]
fn the_shards_parameters_are_the_shards_list_with_its_defaults() {
    let ours: Vec<(&str, &str)> = PARAMS
        .iter()
        .filter(|p| matches!(p.applies, Applies::Shards | Applies::ProxyAndShards))
        .map(|p| (p.name, p.default))
        .collect();
    let mut theirs = common::wire::SHARD_SETTINGS.to_vec();
    let mut ours_sorted = ours.clone();
    theirs.sort();
    ours_sorted.sort();
    assert_eq!(ours_sorted, theirs);
}

#[test]
fn integers_follow_string2ll_and_the_bounds() {
    assert_eq!(parse("timeout", "100"), Ok("100".into()));
    for bad in ["+5", " 5", "05", "1k", "-0", "0x10", ""] {
        assert_eq!(
            parse("timeout", bad),
            Err("argument couldn't be parsed into an integer".into()),
            "{bad:?}"
        );
    }
    assert_eq!(
        parse("timeout", "-1"),
        Err("argument must be between 0 and 2147483647 inclusive".into())
    );
    // Unsigned: a negative number is out of range, not unparsable.
    assert_eq!(
        parse("maxclients", "-5"),
        Err("argument must be between 1 and 4294967295 inclusive".into())
    );
    assert_eq!(
        parse("hash-max-listpack-entries", "-1"),
        Err("argument must be between 0 and 9223372036854775807 inclusive".into())
    );
    assert_eq!(
        parse("slowlog-log-slower-than", "-2"),
        Err("argument must be between -1 and 9223372036854775807 inclusive".into())
    );
    assert_eq!(parse("list-max-ziplist-size", "-5"), Ok("-5".into()));
}

#[test]
fn memory_values_follow_memtoull() {
    assert_eq!(parse("maxmemory", "1K"), Ok("1000".into()));
    assert_eq!(parse("maxmemory", "1kB"), Ok("1024".into()));
    assert_eq!(parse("maxmemory", "1Gb"), Ok("1073741824".into()));
    assert_eq!(parse("maxmemory", "00012"), Ok("12".into()));
    assert_eq!(parse("maxmemory", ""), Ok("0".into()));
    assert_eq!(parse("maxmemory", "k"), Ok("0".into()));
    assert_eq!(
        parse("maxmemory", "99999999999999999999999"),
        Ok("18446744073709551615".into())
    );
    for bad in ["+5", " 5", "1.5", "-1", "1x"] {
        assert_eq!(
            parse("maxmemory", bad),
            Err("argument must be a memory value".into()),
            "{bad:?}"
        );
    }
    assert_eq!(
        parse("proto-max-bulk-len", "1kb"),
        Err("argument must be between 1048576 and 536870912 inclusive".into())
    );
    assert_eq!(parse("proto-max-bulk-len", "1mb"), Ok("1048576".into()));
    assert_eq!(
        parse("client-query-buffer-limit", "1000"),
        Err("argument must be between 1048576 and 9223372036854775807 inclusive".into())
    );
}

#[test]
fn percentages_are_kept_as_redis_shows_them() {
    assert_eq!(parse("maxmemory-clients", "10%"), Ok("10%".into()));
    assert_eq!(parse("maxmemory-clients", "1mb"), Ok("1048576".into()));
    assert_eq!(
        parse("maxmemory-clients", "200%"),
        Err("percentage argument must be less or equal to 100".into())
    );
    assert_eq!(
        parse("maxmemory-clients", "-1%"),
        Err("argument must be a memory or percent value".into())
    );
}

#[test]
fn booleans_and_enums_take_any_case_and_list_the_choices() {
    assert_eq!(parse("activerehashing", "YES"), Ok("yes".into()));
    assert_eq!(
        parse("activerehashing", "maybe"),
        Err("argument must be 'yes' or 'no'".into())
    );
    assert_eq!(parse("appendfsync", "ALWAYS"), Ok("always".into()));
    assert_eq!(
        parse("appendfsync", "x"),
        Err("argument(s) must be one of the following: everysec, always, no".into())
    );
}

#[test]
fn save_points_follow_redis() {
    assert_eq!(parse("save", ""), Ok("".into()));
    assert_eq!(parse("save", "3600 1 300 100"), Ok("3600 1 300 100".into()));
    assert_eq!(parse("save", "1 0"), Ok("1 0".into()));
    for bad in ["1 -1", "0 0", "abc", "1 2 ", " 1 2", "1  2", "1 2 3"] {
        assert_eq!(
            parse("save", bad),
            Err("Invalid save parameters".into()),
            "{bad:?}"
        );
    }
}

#[test]
fn the_special_parameters_follow_redis() {
    let p = lookup(b"client-output-buffer-limit")
        .expect("a parameter")
        .param();
    assert_eq!(
        p.parse(b"replica 1mb 2 3", p.default),
        Ok("normal 0 0 0 slave 1048576 2 3 pubsub 33554432 8388608 60".into())
    );
    for (bad, err) in [
        (
            "normal 1 2",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "master 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "normal x 2 3",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
    ] {
        assert_eq!(p.parse(bad.as_bytes(), p.default), Err(err.into()));
    }
    assert_eq!(parse("oom-score-adj-values", "3 2 1"), Ok("3 2 1".into()));
    assert_eq!(
        parse("oom-score-adj-values", "1 2"),
        Err("wrong number of arguments".into())
    );
    assert_eq!(
        parse("oom-score-adj-values", "1 2 3000"),
        Err("Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into())
    );
    assert_eq!(
        parse("latency-tracking-info-percentiles", "50.5 99"),
        Ok("50.5 99".into())
    );
    assert_eq!(
        parse("latency-tracking-info-percentiles", "50 101"),
        Err("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]".into())
    );
    assert_eq!(
        parse("latency-tracking-info-percentiles", "50 x"),
        Err("Invalid latency-tracking-info-percentiles parameters".into())
    );
    assert_eq!(
        parse("shutdown-on-sigint", "nosave now"),
        Ok("nosave now".into())
    );
    assert_eq!(parse("shutdown-on-sigint", "default"), Ok("default".into()));
    assert_eq!(
        parse("shutdown-on-sigint", "save nosave"),
        Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into())
    );
    assert_eq!(
        parse("shutdown-on-sigint", ""),
        Err("argument(s) must be one of the following: default, save, nosave, now, force".into())
    );
}

#[test]
fn redis_refuses_what_is_immutable_or_protected() {
    let refusal = |n: &str| lookup(n.as_bytes()).and_then(|p| p.param().refusal());
    assert_eq!(refusal("daemonize"), Some("can't set immutable config"));
    assert_eq!(refusal("dir"), Some("can't set protected config"));
    assert_eq!(refusal("dbfilename"), Some("can't set protected config"));
    assert_eq!(refusal("maxclients"), None);
}

#[test]
fn the_readme_lists_exactly_the_parameters_accepted_but_not_used() {
    let readme = include_str!("../../../README.md");
    let head = "## CONFIG parameters accepted but not used";
    let start = readme.find(head).expect("the README has the section") + head.len();
    let section = &readme[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut listed: Vec<&str> = section
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| {
            w.chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c == '_')
        })
        .collect();
    listed.sort_unstable();
    listed.dedup();
    let mut unused: Vec<&str> = PARAMS
        .iter()
        .filter(|p| p.applies == Applies::Unused)
        .flat_map(|p| [Some(p.name), p.alias].into_iter().flatten())
        .collect();
    unused.sort_unstable();
    assert_eq!(listed, unused);
}

#[test]
fn a_string_that_is_not_utf8_is_refused_not_changed() {
    let p = lookup(b"requirepass").expect("a parameter").param();
    assert_eq!(p.parse(b"abc\x00def", ""), Ok("abc\u{0}def".into()));
    assert_eq!(
        p.parse(b"\xff\xfe", ""),
        Err("shardis takes UTF-8 text for this argument".into())
    );
}
