//! The `CONFIG` parameters: one table ([`table::PARAMS`]) of every
//! parameter shardis knows, with Redis 7.0's name, alias, type and rules,
//! its default, and where it applies ([`Applies`]).
//!
//! `CONFIG GET`, `CONFIG SET`, the config file and the command-line flags
//! all go through it: [`Param::parse`] checks a value with Redis's rules and
//! error texts and turns it into the text `CONFIG GET` shows (the canonical
//! value, which is also what the shards are sent). The values in force live
//! in [`Settings`]; `CONFIG SET` is in `builtin::config`.
//!
//! Where a parameter applies decides what `CONFIG SET` does with it:
//! the proxy applies it at once, every shard applies it (and shards started
//! later get it), or it is one of the parameters Redis has that shardis
//! accepts without using (the README lists them), or shardis fixes it and
//! only its current value is accepted. A Redis parameter not in the table
//! is unknown to `CONFIG GET` and `CONFIG SET`, as in a Redis built without
//! it (TLS).

pub mod rewrite;
mod special;
pub mod table;
mod values;

pub use table::PARAMS;
pub use values::{shard_value, Settings};

/// Redis's `IMMUTABLE_CONFIG`: `CONFIG SET` refuses it ("can't set
/// immutable config"); only the config file sets it.
pub const IMMUTABLE: u8 = 1;
/// Redis's `PROTECTED_CONFIG` with `enable-protected-configs no` (its
/// default): `CONFIG SET` refuses it ("can't set protected config").
pub const PROTECTED: u8 = 2;
/// Redis's `HIDDEN_CONFIG`: `CONFIG GET` shows it only by its exact name.
pub const HIDDEN: u8 = 4;

/// Where a parameter takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applies {
    /// The proxy applies a new value at once.
    Proxy,
    /// Every shard applies it (`SHARDD.CONFIG`); a shard the proxy starts
    /// later gets the value in force.
    Shards,
    /// The proxy and every shard (`proto-max-bulk-len`: the request parser
    /// and the shards' string size checks; the slow log's and the latency
    /// monitor's thresholds: the proxy's for the commands it answers, each
    /// shard's for those it runs).
    ProxyAndShards,
    /// Redis has it, shardis has nothing it would change: accepted, stored
    /// and shown, never used (listed in the README).
    Unused,
    /// What shardis does, set at start: any other value is refused.
    Fixed,
}

/// A parameter's type and Redis's rules for its values.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `yes` or `no`.
    Bool,
    /// A number within `min..=max`: a plain integer (`string2ll`) unless
    /// `memory` (Redis's `memtoull`: `1k`, `1kb`, `1mb`, ...), and with
    /// `percent` also `N%` (kept as `-N`, as Redis does). `unsigned` types
    /// compare as unsigned, so a negative integer is out of range.
    Num {
        /// Smallest value.
        min: i128,
        /// Largest value.
        max: i128,
        /// Compared (and read) as an unsigned C type.
        unsigned: bool,
        /// Memory notation.
        memory: bool,
        /// `N%` accepted.
        percent: bool,
    },
    /// An octal number (`unixsocketperm`).
    Octal {
        /// Largest value.
        max: u32,
    },
    /// One of the names, in Redis's order (its error lists them so).
    Enum(&'static [&'static str]),
    /// Any string.
    Str,
    /// A list of flags (`shutdown-on-sigint`): `default`, or a combination
    /// of the names.
    Flags(&'static [&'static str]),
    /// A parameter with its own syntax.
    Special(Special),
}

/// The parameters with a syntax of their own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Special {
    /// `save`: `seconds changes` pairs.
    Save,
    /// `client-output-buffer-limit`: `class hard soft seconds` groups.
    ClientOutputBufferLimit,
    /// `oom-score-adj-values`: three integers.
    OomScoreAdjValues,
    /// `latency-tracking-info-percentiles`: percentiles.
    Percentiles,
    /// `notify-keyspace-events`: class characters.
    NotifyKeyspaceEvents,
}

/// One parameter.
#[derive(Debug)]
pub struct Param {
    /// Its name.
    pub name: &'static str,
    /// Its other name (Redis keeps the old `ziplist` and `slave` names).
    pub alias: Option<&'static str>,
    /// Its type and rules.
    pub kind: Kind,
    /// Its value when nothing sets it, as `CONFIG GET` shows it.
    pub default: &'static str,
    /// [`IMMUTABLE`], [`PROTECTED`], [`HIDDEN`].
    pub flags: u8,
    /// Where it takes effect.
    pub applies: Applies,
}

/// A parameter as a client names it: the entry and whether the name was
/// its alias (Redis 7.0 keeps name and alias as two entries).
#[derive(Clone, Copy, Debug)]
pub struct Named {
    /// Index in [`PARAMS`].
    pub index: usize,
    /// The name used (name or alias, lowercase).
    pub name: &'static str,
}

impl Named {
    /// The entry.
    pub fn param(self) -> &'static Param {
        &PARAMS[self.index]
    }
}

/// The parameter called `name` (any case), by its name or alias.
pub fn lookup(name: &[u8]) -> Option<Named> {
    PARAMS.iter().enumerate().find_map(|(index, p)| {
        [Some(p.name), p.alias]
            .into_iter()
            .flatten()
            .find(|n| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|name| Named { index, name })
    })
}

/// The index of the parameter named exactly `name` (its primary name).
pub fn index_of(name: &str) -> Option<usize> {
    PARAMS.iter().position(|p| p.name == name)
}

impl Param {
    /// Whether a client may change it with `CONFIG SET` (Redis's immutable
    /// and protected ones are refused with Redis's error).
    pub fn refusal(&self) -> Option<&'static str> {
        if self.flags & IMMUTABLE != 0 {
            Some("can't set immutable config")
        } else if self.flags & PROTECTED != 0 {
            Some("can't set protected config")
        } else {
            None
        }
    }

    /// Checks `raw` with Redis's rules: the value as `CONFIG GET` shows
    /// it, or Redis's error text (without the `CONFIG SET failed` head).
    /// `current` is the value in force (a `client-output-buffer-limit`
    /// keeps the classes a new value does not name).
    pub fn parse(&self, raw: &[u8], current: &str) -> Result<String, String> {
        match self.kind {
            Kind::Bool => match raw {
                v if v.eq_ignore_ascii_case(b"yes") => Ok("yes".into()),
                v if v.eq_ignore_ascii_case(b"no") => Ok("no".into()),
                _ => Err("argument must be 'yes' or 'no'".into()),
            },
            Kind::Num {
                min,
                max,
                unsigned,
                memory,
                percent,
            } => parse_num(raw, min, max, unsigned, memory, percent),
            Kind::Octal { max } => {
                let v = std::str::from_utf8(raw)
                    .ok()
                    .and_then(|s| u32::from_str_radix(s, 8).ok())
                    .ok_or("argument couldn't be parsed as an octal number")?;
                if v > max {
                    return Err(format!("argument must be between 0 and {max:o} inclusive"));
                }
                Ok(format!("{v:o}"))
            }
            Kind::Enum(names) => names
                .iter()
                .find(|n| n.as_bytes().eq_ignore_ascii_case(raw))
                .map(|n| n.to_string())
                .ok_or_else(|| one_of(names)),
            // Kept as text: bytes that are not UTF-8 are refused rather
            // than changed (a password must be what the client sent).
            Kind::Str => String::from_utf8(raw.to_vec())
                .map_err(|_| "shardis takes UTF-8 text for this argument".to_string()),
            Kind::Flags(names) => special::flags(raw, names),
            Kind::Special(s) => special::parse(s, raw, current),
        }
    }
}

/// Redis's error for a value outside an enum.
fn one_of(names: &[&str]) -> String {
    format!(
        "argument(s) must be one of the following: {}",
        names.join(", ")
    )
}

/// Redis's `memtoull`: digits (none reads as 0) and an optional unit
/// (`b`, `k`, `kb`, `m`, `mb`, `g`, `gb`, any case); too large saturates.
pub fn memtoull(raw: &[u8]) -> Option<u64> {
    let digits = raw.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = raw[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1_000,
        b"kb" => 1 << 10,
        b"m" => 1_000_000,
        b"mb" => 1 << 20,
        b"g" => 1_000_000_000,
        b"gb" => 1 << 30,
        _ => return None,
    };
    // strtoull saturates; so does Redis's multiplication in practice.
    let n = raw[..digits].iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    });
    Some(n.saturating_mul(mul))
}

fn parse_num(
    raw: &[u8],
    min: i128,
    max: i128,
    unsigned: bool,
    memory: bool,
    percent: bool,
) -> Result<String, String> {
    let mut v: Option<i128> = None;
    if memory {
        // The bits Redis stores: an unsigned C type keeps them, a signed
        // one reads a huge value as negative.
        v = memtoull(raw).map(|m| {
            if unsigned {
                m as i128
            } else {
                m as i64 as i128
            }
        });
    }
    if v.is_none() && percent && raw.len() > 1 && raw.last() == Some(&b'%') {
        v = common::num::parse_i64(&raw[..raw.len() - 1])
            .filter(|&p| p >= 0)
            .map(|p| -(p as i128));
    }
    if v.is_none() && !memory && !percent {
        v = common::num::parse_i64(raw).map(|n| {
            if unsigned {
                n as u64 as i128
            } else {
                n as i128
            }
        });
    }
    let Some(v) = v else {
        return Err(match (memory, percent) {
            (true, true) => "argument must be a memory or percent value",
            (true, false) => "argument must be a memory value",
            _ => "argument couldn't be parsed into an integer",
        }
        .into());
    };
    if percent && v < 0 {
        if v < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
        return Ok(format!("{}%", -v));
    }
    if v < min || v > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests;
