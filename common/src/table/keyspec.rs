//! Redis 7 key specs: how `COMMAND INFO` describes where a command's keys
//! are and what it does to them (`RO`, `OW`, `access`, ...).
//!
//! Routing uses the simpler legacy positions and [`super::Keys`]; the specs
//! are here so `COMMAND INFO` shows them as Redis does and so
//! `COMMAND GETKEYSANDFLAGS` can give each key its flags.

use crate::{num::parse_i64, reply::Reply};

use super::{key_positions, CommandSpec, Keys, KeysError};

/// Key-spec flags, as `COMMAND INFO` names them, in Redis's reply order.
pub mod key_flags {
    /// `RO`: reads the key's value.
    pub const K_RO: u16 = 1 << 0;
    /// `RW`: reads and modifies the value.
    pub const K_RW: u16 = 1 << 1;
    /// `OW`: overwrites the value without reading it.
    pub const K_OW: u16 = 1 << 2;
    /// `RM`: deletes the key.
    pub const K_RM: u16 = 1 << 3;
    /// `access`: returns or copies user data from the value.
    pub const K_ACCESS: u16 = 1 << 4;
    /// `update`: updates data in the value.
    pub const K_UPDATE: u16 = 1 << 5;
    /// `insert`: only adds data.
    pub const K_INSERT: u16 = 1 << 6;
    /// `delete`: removes data from the value.
    pub const K_DELETE: u16 = 1 << 7;
    /// `not_key`: not a key, only routed like one.
    pub const K_NOT_KEY: u16 = 1 << 8;
    /// `incomplete`: the spec may miss keys.
    pub const K_INCOMPLETE: u16 = 1 << 9;
    /// `variable_flags`: the flags depend on the arguments.
    pub const K_VARIABLE_FLAGS: u16 = 1 << 10;

    /// Flag names by bit, in the order `COMMAND INFO` lists them.
    pub const NAMES: [&str; 11] = [
        "RO",
        "RW",
        "OW",
        "RM",
        "access",
        "update",
        "insert",
        "delete",
        "not_key",
        "incomplete",
        "variable_flags",
    ];
}

use key_flags::*;

/// Where the search for a spec's keys starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BeginSearch {
    /// At a fixed argument index.
    Index(i32),
    /// After `keyword`, searched from `startfrom` (negative: from the end,
    /// backwards).
    Keyword {
        /// The keyword (any case).
        keyword: &'static str,
        /// Where the search starts.
        startfrom: i32,
    },
    /// Only the command knows.
    Unknown,
}

/// How many keys follow the start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindKeys {
    /// Keys up to `lastkey` (relative to the start; negative: from the end),
    /// every `keystep`, `limit` dividing the rest when `lastkey` is -1.
    Range {
        /// Last key, relative to the start, or negative from the end.
        lastkey: i32,
        /// Step between keys.
        keystep: i32,
        /// With `lastkey` -1: take 1/limit of the remaining arguments.
        limit: i32,
    },
    /// A count at `keynumidx`, keys from `firstkey`, every `keystep`
    /// (both relative to the start).
    KeyNum {
        /// Index of the count, relative to the start.
        keynumidx: i32,
        /// First key, relative to the start.
        firstkey: i32,
        /// Step between keys.
        keystep: i32,
    },
    /// Only the command knows.
    Unknown,
}

/// One key spec of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySpec {
    /// Explanation, or empty.
    pub notes: &'static str,
    /// [`key_flags`] bits.
    pub flags: u16,
    /// Where the search starts.
    pub begin_search: BeginSearch,
    /// How keys are found from there.
    pub find_keys: FindKeys,
}

pub(super) const fn ks(
    notes: &'static str,
    flags: u16,
    begin_search: BeginSearch,
    find_keys: FindKeys,
) -> KeySpec {
    KeySpec {
        notes,
        flags,
        begin_search,
        find_keys,
    }
}

/// Writes the key-specs element of a `COMMAND INFO` entry.
pub(super) fn write_key_specs(specs: &[KeySpec], r: &mut Reply) {
    r.set(specs.len());
    for spec in specs {
        r.map(3 + !spec.notes.is_empty() as usize);
        if !spec.notes.is_empty() {
            r.bulk(b"notes");
            r.bulk(spec.notes.as_bytes());
        }
        r.bulk(b"flags");
        let names = || flag_names(spec.flags);
        r.set(names().count());
        names().for_each(|n| r.simple(n));
        r.bulk(b"begin_search");
        match spec.begin_search {
            BeginSearch::Index(index) => write_typed(r, "index", &[("index", index.into())]),
            BeginSearch::Keyword { keyword, startfrom } => {
                r.map(2);
                r.bulk(b"type");
                r.bulk(b"keyword");
                r.bulk(b"spec");
                r.map(2);
                r.bulk(b"keyword");
                r.bulk(keyword.as_bytes());
                r.bulk(b"startfrom");
                r.int(startfrom.into());
            }
            BeginSearch::Unknown => write_typed(r, "unknown", &[]),
        }
        r.bulk(b"find_keys");
        match spec.find_keys {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => write_typed(
                r,
                "range",
                &[
                    ("lastkey", lastkey.into()),
                    ("keystep", keystep.into()),
                    ("limit", limit.into()),
                ],
            ),
            FindKeys::KeyNum {
                keynumidx,
                firstkey,
                keystep,
            } => write_typed(
                r,
                "keynum",
                &[
                    ("keynumidx", keynumidx.into()),
                    ("firstkey", firstkey.into()),
                    ("keystep", keystep.into()),
                ],
            ),
            FindKeys::Unknown => write_typed(r, "unknown", &[]),
        }
    }
}

/// `{type: kind, spec: {name: int, ...}}`.
fn write_typed(r: &mut Reply, kind: &str, fields: &[(&str, i64)]) {
    r.map(2);
    r.bulk(b"type");
    r.bulk(kind.as_bytes());
    r.bulk(b"spec");
    r.map(fields.len());
    for (name, value) in fields {
        r.bulk(name.as_bytes());
        r.int(*value);
    }
}

/// Names of the set bits of `flags`.
pub fn flag_names(flags: u16) -> impl Iterator<Item = &'static str> {
    NAMES
        .iter()
        .enumerate()
        .filter(move |(i, _)| flags & (1 << i) != 0)
        .map(|(_, n)| *n)
}

/// A command's keys with their key-spec flags, as `COMMAND
/// GETKEYSANDFLAGS` gives them.
pub fn keys_and_flags(spec: &CommandSpec, argv: &[&[u8]]) -> Result<SmallVecKeys, KeysError> {
    let positions = key_positions(spec, argv)?;
    Ok(positions
        .into_iter()
        .map(|pos| (pos, flags_of_key(spec, argv, pos)))
        .collect())
}

/// Key-spec flags that mean a command may change the key.
pub const WRITE_KEY_FLAGS: u16 = key_flags::K_RW
    | key_flags::K_OW
    | key_flags::K_RM
    | key_flags::K_INSERT
    | key_flags::K_DELETE
    | key_flags::K_UPDATE;

/// Whether `spec`, whose key spec gives a key `flags`, may change that
/// key's value: the write flags, and XREADGROUP's keys (read-only in
/// Redis's specs, yet their groups change: last delivered id, pending
/// entries), for whoever copies, moves or undoes written keys.
pub fn may_change(spec: &CommandSpec, flags: u16) -> bool {
    flags & WRITE_KEY_FLAGS != 0 || spec.id == crate::table::Cmd::Xreadgroup
}

/// Key positions paired with [`key_flags`] bits.
pub type SmallVecKeys = smallvec::SmallVec<[(usize, u16); 4]>;

/// The flags Redis gives the key at `pos`: from the command's own key
/// function where its specs leave the flags to it, else from the first
/// spec whose keys include `pos`.
fn flags_of_key(spec: &CommandSpec, argv: &[&[u8]], pos: usize) -> u16 {
    match (spec.name, spec.keys) {
        ("set", _) => {
            let get = argv.iter().skip(3).any(|a| a.eq_ignore_ascii_case(b"get"));
            if get {
                K_RW | K_ACCESS | K_UPDATE
            } else {
                K_OW | K_UPDATE
            }
        }
        ("bitfield", _) => bitfield_flags(argv),
        (_, Keys::Sort | Keys::Georadius) if pos != 1 => K_OW | K_UPDATE,
        // A count Redis's specs reject is read by the old callback, which
        // sets no flags.
        (_, Keys::NumKeys { numkeys_index, .. })
            if argv.get(numkeys_index).and_then(|n| parse_i64(n)).is_none() =>
        {
            0
        }
        _ => spec
            .key_specs
            .iter()
            .find(|ks| spec_covers(ks, argv, pos))
            .map_or(0, |ks| ks.flags),
    }
}

/// `bitfieldGetKeys`: read-only when only GET and OVERFLOW appear.
fn bitfield_flags(argv: &[&[u8]]) -> u16 {
    let mut i = 2;
    while i < argv.len() {
        let remaining = argv.len() - i - 1;
        let arg = argv[i];
        if arg.eq_ignore_ascii_case(b"get") && remaining >= 2 {
            i += 2;
        } else if arg.eq_ignore_ascii_case(b"overflow") && remaining >= 1 {
            i += 1;
        } else {
            // SET, INCRBY, or a syntax error: assume it writes.
            return K_RW | K_ACCESS | K_UPDATE;
        }
        i += 1;
    }
    K_RO | K_ACCESS
}

/// Whether `ks`, applied to `argv` as Redis's `getKeysUsingKeySpecs` does,
/// yields the key at `pos`.
fn spec_covers(ks: &KeySpec, argv: &[&[u8]], pos: usize) -> bool {
    let argc = argv.len() as i64;
    let first = match ks.begin_search {
        BeginSearch::Index(i) => i as i64,
        BeginSearch::Keyword { keyword, startfrom } => {
            // Like Redis, the search stops short of the last (or, backwards,
            // the first) argument.
            let is_keyword = |i: &i64| argv[*i as usize].eq_ignore_ascii_case(keyword.as_bytes());
            let found = if startfrom > 0 {
                (startfrom as i64..argc - 1).find(is_keyword)
            } else {
                (2..=argc + startfrom as i64).rev().find(is_keyword)
            };
            match found {
                Some(i) => i + 1,
                None => return false,
            }
        }
        BeginSearch::Unknown => return false,
    };
    let (first, last, step) = match ks.find_keys {
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            let last = if lastkey >= 0 {
                first + lastkey as i64
            } else if limit == 0 {
                argc + lastkey as i64
            } else {
                first + ((argc - first) / limit as i64 + lastkey as i64)
            };
            (first, last, keystep as i64)
        }
        FindKeys::KeyNum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            let Some(n) = argv
                .get((first + keynumidx as i64) as usize)
                .and_then(|n| parse_i64(n))
            else {
                return false;
            };
            let start = first + firstkey as i64;
            (
                start,
                start.saturating_add(n).saturating_sub(1),
                keystep as i64,
            )
        }
        FindKeys::Unknown => return false,
    };
    let pos = pos as i64;
    step > 0 && pos >= first && pos <= last && last < argc && (pos - first) % step == 0
}
