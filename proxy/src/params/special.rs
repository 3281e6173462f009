//! The parameters with a syntax of their own, checked as Redis 7.0 checks
//! them, with its error texts: `save`, `client-output-buffer-limit`,
//! `oom-score-adj-values`, `latency-tracking-info-percentiles`,
//! `notify-keyspace-events`, and the flag lists (`shutdown-on-sigint`).

use super::{memtoull, Special};

/// Redis splits a multi-argument value on single spaces; an empty value
/// is no argument at all.
fn split(raw: &[u8]) -> Vec<&[u8]> {
    if raw.is_empty() {
        Vec::new()
    } else {
        raw.split(|&b| b == b' ').collect()
    }
}

/// C's `strtoll` with the whole token consumed: leading white space, a
/// sign, digits (saturating); an empty token reads as 0.
fn strtoll_full(tok: &[u8]) -> Option<i64> {
    if tok.is_empty() {
        return Some(0);
    }
    let rest = tok.trim_ascii_start();
    let (neg, digits) = match rest.first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits.iter().fold(0i128, |n, &d| {
        (n * 10 + i128::from(d - b'0')).min(i128::from(i64::MAX) + 1)
    });
    let v = if neg { -v } else { v };
    Some(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// Checks a special parameter's value; `current` is its value in force
/// (`client-output-buffer-limit` changes only the classes it names).
pub fn parse(kind: Special, raw: &[u8], current: &str) -> Result<String, String> {
    match kind {
        Special::Save => save(raw),
        Special::ClientOutputBufferLimit => output_limits(raw, current),
        Special::OomScoreAdjValues => oom_values(raw),
        Special::Percentiles => percentiles(raw),
        Special::NotifyKeyspaceEvents => common::notify::parse(raw)
            .map(common::notify::to_text)
            .ok_or_else(|| "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()),
    }
}

fn save(raw: &[u8]) -> Result<String, String> {
    const ERR: &str = "Invalid save parameters";
    let args = split(raw);
    if !args.len().is_multiple_of(2) {
        return Err(ERR.into());
    }
    let mut out = Vec::with_capacity(args.len());
    for (j, a) in args.iter().enumerate() {
        let v = strtoll_full(a).ok_or(ERR)?;
        if (j % 2 == 0 && v < 1) || (j % 2 == 1 && v < 0) {
            return Err(ERR.into());
        }
        // Redis keeps the number of changes in an int.
        let v = if j % 2 == 1 { i64::from(v as i32) } else { v };
        out.push(v.to_string());
    }
    Ok(out.join(" "))
}

/// The classes of `client-output-buffer-limit`, in the order `CONFIG GET`
/// shows them.
const CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];

fn output_limits(raw: &[u8], current: &str) -> Result<String, String> {
    let args = split(raw);
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".into());
    }
    let mut values: Vec<[String; 3]> = CLASSES
        .iter()
        .map(|class| {
            let mut words = current.split(' ');
            let found = words.by_ref().position(|w| w == *class).is_some();
            let mut next = || {
                found
                    .then(|| words.next())
                    .flatten()
                    .unwrap_or("0")
                    .to_string()
            };
            [next(), next(), next()]
        })
        .collect();
    let mut set: Vec<(usize, [String; 3])> = Vec::new();
    for group in args.chunks(4) {
        let class = match group[0].to_ascii_lowercase().as_slice() {
            b"normal" => 0,
            b"slave" | b"replica" => 1,
            b"pubsub" => 2,
            _ => {
                return Err("Invalid client class specified in buffer limit configuration.".into())
            }
        };
        let hard = memtoull(group[1]);
        let soft = memtoull(group[2]);
        let secs = strtoll_full(group[3]).filter(|&s| s >= 0);
        let (Some(hard), Some(soft), Some(secs)) = (hard, soft, secs) else {
            return Err(
                "Error in hard, soft or soft_seconds setting in buffer limit configuration.".into(),
            );
        };
        set.push((
            class,
            [
                hard.to_string(),
                soft.to_string(),
                (secs as i32).to_string(),
            ],
        ));
    }
    for (class, v) in set {
        values[class] = v;
    }
    Ok(CLASSES
        .iter()
        .zip(&values)
        .map(|(c, [h, s, t])| format!("{c} {h} {s} {t}"))
        .collect::<Vec<_>>()
        .join(" "))
}

fn oom_values(raw: &[u8]) -> Result<String, String> {
    let args = split(raw);
    if args.len() != 3 {
        return Err("wrong number of arguments".into());
    }
    let mut out = Vec::with_capacity(3);
    for a in args {
        match strtoll_full(a).filter(|v| (-2000..=2000).contains(v)) {
            Some(v) => out.push(v.to_string()),
            None => {
                return Err(
                    "Invalid oom-score-adj-values, elements must be between -2000 and 2000.".into(),
                )
            }
        }
    }
    Ok(out.join(" "))
}

fn percentiles(raw: &[u8]) -> Result<String, String> {
    let mut out = Vec::new();
    for a in split(raw) {
        let Some(p) = common::num::parse_f64(a).filter(|p| p.is_finite()) else {
            return Err("Invalid latency-tracking-info-percentiles parameters".into());
        };
        if !(0.0..=100.0).contains(&p) {
            return Err(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                    .into(),
            );
        }
        out.push(p.to_string());
    }
    Ok(out.join(" "))
}

/// A list of flags from `names` (`names[0]` is the empty set, as
/// `default`), shown in `names` order.
pub fn flags(raw: &[u8], names: &[&str]) -> Result<String, String> {
    let args = split(raw);
    let one_of = || super::one_of(names);
    if args.is_empty() {
        return Err(one_of());
    }
    let mut set = vec![false; names.len()];
    for a in args {
        let i = names
            .iter()
            .position(|n| n.as_bytes().eq_ignore_ascii_case(a))
            .ok_or_else(one_of)?;
        set[i] = true;
    }
    let chosen: Vec<&str> = names
        .iter()
        .zip(&set)
        .skip(1)
        .filter(|(_, &on)| on)
        .map(|(n, _)| *n)
        .collect();
    if chosen.contains(&"save") && chosen.contains(&"nosave") {
        return Err("shutdown options SAVE and NOSAVE can't be used simultaneously".into());
    }
    Ok(if chosen.is_empty() {
        names[0].to_string()
    } else {
        chosen.join(" ")
    })
}
