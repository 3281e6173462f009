//! The command table: the one source of truth for what a command is.
//!
//! For every command shardis serves it holds what Redis 7's `COMMAND INFO`
//! says (name, arity, flags, legacy first/last/step key positions, ACL
//! categories, tips) and `COMMAND DOCS` summarises, plus what only the
//! proxy needs: a [`Route`] saying how the command reaches the shards, and
//! a [`Keys`] rule for commands whose keys move (`numkeys`, `SORT ... STORE`).
//!
//! The server loop calls [`resolve`] on each parsed command (name and
//! subcommand lookup, arity check, with Redis's exact error replies), then
//! [`key_positions`] for keyed routes. `COMMAND` itself is answered from the
//! table by [`command::reply`].
//!
//! Lookups do not allocate: the name is lowercased into a stack buffer and
//! binary-searched in the sorted static table (about 8 comparisons).

pub mod command;
mod data;
pub mod keyspec;
#[cfg(test)]
mod tests;

use crate::num::parse_i64;
use smallvec::SmallVec;

use self::keyspec::BeginSearch;

pub use self::{
    data::{Cmd, TABLE_FINGERPRINT},
    keyspec::KeySpec,
};

/// The Redis release whose commands and semantics shardis follows (what
/// `HELLO` and `INFO` report as `redis_version`, and what the table was
/// generated from).
pub const REDIS_VERSION: &str = "7.0.15";

/// Command flags, as `COMMAND INFO` names them, in Redis's reply order.
pub mod flags {
    /// `write`: may modify the keyspace.
    pub const F_WRITE: u32 = 1 << 0;
    /// `readonly`: only reads keys.
    pub const F_READONLY: u32 = 1 << 1;
    /// `denyoom`: refused when out of memory.
    pub const F_DENYOOM: u32 = 1 << 2;
    /// `module`: implemented by a module (never here).
    pub const F_MODULE: u32 = 1 << 3;
    /// `admin`: administrative command.
    pub const F_ADMIN: u32 = 1 << 4;
    /// `pubsub`: publish/subscribe command.
    pub const F_PUBSUB: u32 = 1 << 5;
    /// `noscript`: not allowed in scripts.
    pub const F_NOSCRIPT: u32 = 1 << 6;
    /// `blocking`: may block the client.
    pub const F_BLOCKING: u32 = 1 << 7;
    /// `loading`: allowed while the dataset loads.
    pub const F_LOADING: u32 = 1 << 8;
    /// `stale`: allowed on a replica with stale data.
    pub const F_STALE: u32 = 1 << 9;
    /// `skip_monitor`: not shown in MONITOR.
    pub const F_SKIP_MONITOR: u32 = 1 << 10;
    /// `skip_slowlog`: not logged in SLOWLOG.
    pub const F_SKIP_SLOWLOG: u32 = 1 << 11;
    /// `asking`: allowed on an importing slot after ASKING.
    pub const F_ASKING: u32 = 1 << 12;
    /// `fast`: O(1) or O(log N).
    pub const F_FAST: u32 = 1 << 13;
    /// `no_auth`: allowed before AUTH.
    pub const F_NO_AUTH: u32 = 1 << 14;
    /// `no_mandatory_keys`: may legitimately have no key.
    pub const F_NO_MANDATORY_KEYS: u32 = 1 << 15;
    /// `no_async_loading`: refused during async loading.
    pub const F_NO_ASYNC_LOADING: u32 = 1 << 16;
    /// `no_multi`: not allowed inside MULTI.
    pub const F_NO_MULTI: u32 = 1 << 17;
    /// `movablekeys`: key positions depend on the arguments.
    pub const F_MOVABLEKEYS: u32 = 1 << 18;
    /// `allow_busy`: allowed while a script is busy.
    pub const F_ALLOW_BUSY: u32 = 1 << 19;

    /// Flag names by bit, in the order `COMMAND INFO` lists them.
    pub const NAMES: [&str; 20] = [
        "write",
        "readonly",
        "denyoom",
        "module",
        "admin",
        "pubsub",
        "noscript",
        "blocking",
        "loading",
        "stale",
        "skip_monitor",
        "skip_slowlog",
        "asking",
        "fast",
        "no_auth",
        "no_mandatory_keys",
        "no_async_loading",
        "no_multi",
        "movablekeys",
        "allow_busy",
    ];
}

/// How a command reaches the shards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// One key: the shard owning its slot runs it.
    Single,
    /// Many independent keys (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH): split
    /// per shard, keeping each key's arguments (step), merge in key order.
    MultiKeySplit,
    /// Several keys that must live on one shard (RENAME, SMOVE, numkeys
    /// commands...): run there if they do, else a clear error.
    Together,
    /// Every shard runs it and the proxy merges (DBSIZE, KEYS, SCAN,
    /// FLUSHALL, INFO...).
    FanOut,
    /// Answered by the proxy itself (PING, HELLO, CLIENT, COMMAND, MULTI...).
    Connection,
    /// No key, but a shard must run it; any shard will do (DEBUG).
    Keyless,
}

/// Where a command's keys are, when the legacy first/last/step cannot say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// `first_key..=last_key` by `key_step` (none when `first_key` is 0).
    Fixed,
    /// A count at `numkeys_index`, then that many keys from `first_index`;
    /// plus a destination at `store_index` when it is not 0 (listed first).
    NumKeys {
        /// Index of the `numkeys` argument.
        numkeys_index: usize,
        /// Index of the first counted key.
        first_index: usize,
        /// Index of the destination key, or 0.
        store_index: usize,
    },
    /// `SORT key ... [STORE dest]`: the key, plus the last STORE's argument.
    Sort,
    /// `GEORADIUS key ... [STORE dest] [STOREDIST dest]` (and BYMEMBER):
    /// the key, plus every STORE's and STOREDIST's argument.
    Georadius,
    /// `XREAD`/`XREADGROUP ... STREAMS key... id...`: the first half of
    /// the arguments after `STREAMS` (Redis's `xreadGetKeys`).
    Streams,
    /// `MIGRATE host port key|"" db timeout [COPY] [REPLACE] [AUTH pw]
    /// [AUTH2 user pw] [KEYS key...]` (Redis's `migrateGetKeys`; for
    /// `ACL DRYRUN`, shardis does not run MIGRATE).
    Migrate,
    /// Keys behind keywords nobody runs yet.
    Unsupported,
}

/// Who runs a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exec {
    /// Nobody yet: unknown to clients, absent from `COMMAND`.
    Missing,
    /// The proxy answers it (connection and server commands; it may ask
    /// the shards with internal commands and merge their answers).
    Proxy,
    /// A shard runs it: the one owning its keys, or every shard for a
    /// fan-out, the proxy merging the parts.
    Shard,
    /// A shard runs it, but only the proxy sends it (`SHARDD.INFO`, ...);
    /// clients cannot name it.
    Internal,
}

/// What `COMMAND DOCS` returns for a command (the argument lists are left
/// out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Docs {
    /// One-line summary.
    pub summary: &'static str,
    /// Redis version that introduced the command.
    pub since: &'static str,
    /// Command group (`string`, `sorted-set`, ...).
    pub group: &'static str,
    /// Time complexity, as documented.
    pub complexity: &'static str,
}

/// One command (or subcommand) of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    /// The id requests carry.
    pub id: Cmd,
    /// Lowercase full name: `get`, or `config|get` for a subcommand.
    pub name: &'static str,
    /// Redis's arity: positive means exactly, negative at least, counting
    /// the name (and the subcommand).
    pub arity: i32,
    /// [`flags`] bits.
    pub flags: u32,
    /// Legacy first key index (0: no key).
    pub first_key: i32,
    /// Legacy last key index; negative counts from the end.
    pub last_key: i32,
    /// Legacy step between keys.
    pub key_step: i32,
    /// ACL categories (`@read`, ...).
    pub acl_categories: &'static [&'static str],
    /// Command tips (`nondeterministic_output`, ...).
    pub tips: &'static [&'static str],
    /// Redis 7 key specs, for `COMMAND INFO` and key flags.
    pub key_specs: &'static [KeySpec],
    /// How the proxy routes it.
    pub route: Route,
    /// How its keys are found.
    pub keys: Keys,
    /// Who runs it.
    pub exec: Exec,
    /// Documentation summary.
    pub docs: Docs,
    /// Subcommands sorted by name (container commands only).
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// Whether flag bit(s) `flag` are set.
    pub fn has_flag(&self, flag: u32) -> bool {
        self.flags & flag == flag
    }

    /// Whether the command has key arguments at all.
    pub fn has_keys(&self) -> bool {
        self.first_key != 0 || self.keys != Keys::Fixed
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = self.arity as i64;
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// Whether it runs as itself: a container runs only through its
    /// subcommands, unless it can be called bare (`COMMAND`).
    pub fn is_runnable(&self) -> bool {
        self.subcommands.is_empty() || self.arity_ok(1)
    }

    /// Whether clients can run it (the table holds every Redis command).
    pub fn exists(&self) -> bool {
        matches!(self.exec, Exec::Proxy | Exec::Shard)
    }

    /// The subcommand part of the name (`get` for `config|get`).
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('|').next().unwrap_or(self.name)
    }
}

#[allow(clippy::too_many_arguments)]
const fn cmd(
    id: Cmd,
    name: &'static str,
    arity: i32,
    flags: u32,
    first_key: i32,
    last_key: i32,
    key_step: i32,
    acl_categories: &'static [&'static str],
    tips: &'static [&'static str],
    key_specs: &'static [KeySpec],
    route: Route,
    keys: Keys,
    exec: Exec,
    docs: Docs,
    subcommands: &'static [CommandSpec],
) -> CommandSpec {
    CommandSpec {
        id,
        name,
        arity,
        flags,
        first_key,
        last_key,
        key_step,
        acl_categories,
        tips,
        key_specs,
        route,
        keys,
        exec,
        docs,
        subcommands,
    }
}

/// Every top-level command clients can run, sorted by name.
pub fn all() -> impl Iterator<Item = &'static CommandSpec> + Clone {
    data::COMMANDS.iter().filter(|c| c.exists())
}

/// Every entry of the table, commands and subcommands, run or not, and
/// the internal commands.
pub fn every_entry() -> impl Iterator<Item = &'static CommandSpec> {
    data::COMMANDS
        .iter()
        .flat_map(|c| std::iter::once(c).chain(c.subcommands.iter()))
        .chain(data::INTERNAL.iter())
}

/// The entry for `id`.
pub fn spec(id: Cmd) -> &'static CommandSpec {
    static BY_ID: std::sync::OnceLock<Vec<&'static CommandSpec>> = std::sync::OnceLock::new();
    let by_id = BY_ID.get_or_init(|| {
        let mut v: Vec<&'static CommandSpec> = every_entry().collect();
        v.sort_by_key(|c| c.id);
        v
    });
    by_id[id as usize]
}

impl Cmd {
    /// The id numbered `n`, if any.
    pub fn from_u16(n: u16) -> Option<Cmd> {
        Cmd::ALL.get(n as usize).copied()
    }

    /// Its table entry.
    pub fn spec(self) -> &'static CommandSpec {
        spec(self)
    }

    /// Whether only the proxy sends it (`SHARDD.INFO`, ...): the internal
    /// commands have the last ids. No lookup, for the shard's hot path.
    #[inline]
    pub fn is_internal(self) -> bool {
        self as usize >= Cmd::ALL.len() - data::INTERNAL.len()
    }
}

/// Longest name looked up; longer names are unknown without a search.
const NAME_MAX_BYTES: usize = 32;

/// Binary-searches `table` for `name` (any case), comparing `name` with
/// each entry's `key` (its name, or its short name for subcommands).
fn find(
    table: &'static [CommandSpec],
    name: &[u8],
    key: impl Fn(&CommandSpec) -> &'static str,
) -> Option<&'static CommandSpec> {
    let mut lower = [0u8; NAME_MAX_BYTES];
    let lower = lower.get_mut(..name.len())?;
    lower.copy_from_slice(name);
    lower.make_ascii_lowercase();
    let lower = &*lower;
    table
        .binary_search_by(|c| key(c).as_bytes().cmp(lower))
        .ok()
        .map(|i| &table[i])
}

/// The top-level command called `name` (any case), if clients can run it.
/// GET and SET, most of any workload, skip the search.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    lookup_entry(name).filter(|c| c.exists())
}

/// The table's entry called `name` (any case), whoever runs it.
fn lookup_entry(name: &[u8]) -> Option<&'static CommandSpec> {
    static HOT: std::sync::OnceLock<[Option<&'static CommandSpec>; 2]> = std::sync::OnceLock::new();
    if name.len() == 3 {
        let hot = HOT.get_or_init(|| {
            [
                find(data::COMMANDS, b"get", |c| c.name),
                find(data::COMMANDS, b"set", |c| c.name),
            ]
        });
        if name.eq_ignore_ascii_case(b"get") {
            return hot[0];
        }
        if name.eq_ignore_ascii_case(b"set") {
            return hot[1];
        }
    }
    find_top(name)
}

/// Slots of the top-level name index (a power of two, over four times the
/// commands: probes stay short).
const INDEX_SLOTS: usize = 1024;

/// A name of up to [`NAME_MAX_BYTES`] bytes in ASCII lowercase, as four
/// little-endian words, zero-padded: two names are equal in any case when
/// their words and lengths are. Lowered eight bytes at a time.
fn name_words(name: &[u8]) -> Option<[u64; 4]> {
    let mut bytes = [0u8; NAME_MAX_BYTES];
    bytes.get_mut(..name.len())?.copy_from_slice(name);
    let mut words = [0u64; 4];
    for (w, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *w = lower8(u64::from_le_bytes(b));
    }
    Some(words)
}

/// `x`'s eight bytes with `A`..=`Z` made lowercase (any other byte, and
/// every byte of 128 and up, unchanged).
fn lower8(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let low = x & (0x7f * ONES);
    // Bit 7 of each byte: at least 'A', and above 'Z' (no carry crosses a
    // byte: at most 0x7f + 0x3f).
    let from_a = low + (0x80 - u64::from(b'A')) * ONES;
    let past_z = low + (0x80 - u64::from(b'Z') - 1) * ONES;
    let upper = (from_a ^ past_z) & !x & (0x80 * ONES);
    x | (upper >> 2)
}

/// Where `words` start probing in [`name_index`].
fn slot_of(words: &[u64; 4]) -> usize {
    let h =
        words[0] ^ words[1].rotate_left(17) ^ words[2].rotate_left(31) ^ words[3].rotate_left(47);
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 54) as usize & (INDEX_SLOTS - 1)
}

/// The top-level commands by their name's words ([`name_words`]): an
/// open-addressing table of `(index + 1, words)` (0: empty), built at
/// first use. One probe, usually, and a comparison of four words, where a
/// byte-by-byte hash and comparison cost about 250 instructions (callgrind,
/// an EVALSHA's lookup), and a binary search over the table about eight
/// comparisons.
fn name_index() -> &'static [(u16, [u64; 4])] {
    static INDEX: std::sync::OnceLock<Vec<(u16, [u64; 4])>> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = vec![(0u16, [0u64; 4]); INDEX_SLOTS];
        for (i, c) in data::COMMANDS.iter().enumerate().take(INDEX_SLOTS / 2) {
            let Some(words) = name_words(c.name.as_bytes()) else {
                continue;
            };
            let mut h = slot_of(&words);
            while index[h].0 != 0 {
                h = (h + 1) & (INDEX_SLOTS - 1);
            }
            index[h] = (i as u16 + 1, words);
        }
        index
    })
}

/// A top-level entry by name (any case), through [`name_index`].
fn find_top(name: &[u8]) -> Option<&'static CommandSpec> {
    if data::COMMANDS.len() > INDEX_SLOTS / 2 {
        return find(data::COMMANDS, name, |c| c.name);
    }
    let words = name_words(name)?;
    let index = name_index();
    let mut h = slot_of(&words);
    loop {
        let (i, w) = &index[h];
        let c = &data::COMMANDS[(*i as usize).checked_sub(1)?];
        if *w == words && c.name.len() == name.len() {
            return Some(c);
        }
        h = (h + 1) & (INDEX_SLOTS - 1);
    }
}

/// The subcommand `sub` (any case) of `container`, if clients can run it.
pub fn lookup_subcommand(container: &CommandSpec, sub: &[u8]) -> Option<&'static CommandSpec> {
    find(container.subcommands, sub, CommandSpec::short_name).filter(|c| c.exists())
}

/// A command or subcommand by full name, `get` or `config|get` (as
/// `COMMAND INFO` and `COMMAND DOCS` take them).
pub fn lookup_full_name(name: &[u8]) -> Option<&'static CommandSpec> {
    match memchr::memchr(b'|', name) {
        None => lookup(name),
        Some(bar) => lookup_subcommand(lookup(&name[..bar])?, &name[bar + 1..]),
    }
}

/// The table's entry for a full name (`get`, `config|get`), whoever runs
/// it, even nobody (for key positions and flags of any Redis command).
pub fn entry(full_name: &[u8]) -> Option<&'static CommandSpec> {
    match memchr::memchr(b'|', full_name) {
        None => lookup_entry(full_name),
        Some(bar) => find(
            lookup_entry(&full_name[..bar])?.subcommands,
            &full_name[bar + 1..],
            CommandSpec::short_name,
        ),
    }
}

/// Why [`resolve`] refused a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResolveError {
    /// No such command.
    UnknownCommand,
    /// A container command without this subcommand.
    UnknownSubcommand,
    /// The argument count does not fit the arity of this (sub)command.
    WrongArity(&'static CommandSpec),
}

impl ResolveError {
    /// Appends Redis's error reply for `argv` (the command as sent).
    pub fn write_reply(&self, argv: &[&[u8]], out: &mut Vec<u8>) {
        let start = out.len();
        out.push(b'-');
        match self {
            ResolveError::UnknownCommand => unknown_command_text(argv, out),
            ResolveError::UnknownSubcommand => unknown_subcommand_text(argv, out),
            ResolveError::WrongArity(spec) => {
                out.extend_from_slice(b"ERR wrong number of arguments for '");
                out.extend_from_slice(spec.name.as_bytes());
                out.extend_from_slice(b"' command");
            }
        }
        // Client bytes end up in the text: keep the frame valid, as Redis.
        for b in &mut out[start..] {
            if *b == b'\r' || *b == b'\n' {
                *b = b' ';
            }
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Like C's `%.Ns` on a Redis string: at most `max` bytes, up to a NUL.
fn c_str(arg: &[u8], max: usize) -> &[u8] {
    let arg = &arg[..arg.len().min(max)];
    memchr::memchr(0, arg).map_or(arg, |nul| &arg[..nul])
}

/// Longest command name, subcommand and argument prefix quoted in errors.
const ERROR_QUOTE_MAX_BYTES: usize = 128;

fn unknown_command_text(argv: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(b"ERR unknown command '");
    out.extend_from_slice(c_str(
        argv.first().copied().unwrap_or(b""),
        ERROR_QUOTE_MAX_BYTES,
    ));
    out.extend_from_slice(b"', with args beginning with: ");
    let mut args_len = 0;
    for arg in argv.iter().skip(1) {
        if args_len >= ERROR_QUOTE_MAX_BYTES {
            break;
        }
        let quoted = c_str(arg, ERROR_QUOTE_MAX_BYTES - args_len);
        out.push(b'\'');
        out.extend_from_slice(quoted);
        out.extend_from_slice(b"' ");
        args_len += quoted.len() + 3;
    }
}

fn unknown_subcommand_text(argv: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(b"ERR unknown subcommand '");
    out.extend_from_slice(c_str(
        argv.get(1).copied().unwrap_or(b""),
        ERROR_QUOTE_MAX_BYTES,
    ));
    out.extend_from_slice(b"'. Try ");
    let name = c_str(argv.first().copied().unwrap_or(b""), usize::MAX);
    out.extend(name.iter().map(u8::to_ascii_uppercase));
    out.extend_from_slice(b" HELP.");
}

/// Finds the (sub)command `argv` names and checks its arity, as Redis's
/// `processCommand` does before running anything.
pub fn resolve(argv: &[&[u8]]) -> Result<&'static CommandSpec, ResolveError> {
    let name = argv.first().ok_or(ResolveError::UnknownCommand)?;
    let base = lookup(name).ok_or(ResolveError::UnknownCommand)?;
    let spec = match argv.get(1) {
        Some(sub) if !base.subcommands.is_empty() => {
            lookup_subcommand(base, sub).ok_or(ResolveError::UnknownSubcommand)?
        }
        _ => base,
    };
    if !spec.arity_ok(argv.len()) {
        return Err(ResolveError::WrongArity(spec));
    }
    Ok(spec)
}

/// Indexes into `argv` of a command's keys, in Redis's order (up to 16
/// without a heap allocation: MGET and MSET of 10 keys are common).
pub type KeyPositions = SmallVec<[usize; 16]>;

/// Why no keys could be extracted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeysError {
    /// The command takes no keys at all.
    NoKeyArguments,
    /// The arguments do not describe valid keys (a bad `numkeys`...); the
    /// command itself will fail with its own error.
    InvalidArguments,
}

/// The positions of `spec`'s keys in `argv` (which includes the name), as
/// `COMMAND GETKEYS` finds them. `argv` must have passed the arity check.
pub fn key_positions(spec: &CommandSpec, argv: &[&[u8]]) -> Result<KeyPositions, KeysError> {
    if !spec.has_keys() {
        return Err(KeysError::NoKeyArguments);
    }
    match spec.keys {
        Keys::Fixed => fixed_keys(spec, argv.len()),
        Keys::NumKeys {
            numkeys_index,
            first_index,
            store_index,
        } => numkeys_keys(argv, numkeys_index, first_index, store_index),
        Keys::Sort => Ok(sort_keys(argv)),
        Keys::Georadius => Ok(georadius_keys(spec, argv)),
        Keys::Streams => stream_keys(argv),
        Keys::Migrate => Ok(migrate_keys(argv)),
        Keys::Unsupported => Err(KeysError::InvalidArguments),
    }
}

/// The position of `spec`'s first key in `argv`, as the first of
/// [`key_positions`] (`None` where that is an error or empty), without
/// building the list for the common case of fixed key positions.
pub fn first_key_position(spec: &CommandSpec, argv: &[&[u8]]) -> Option<usize> {
    if spec.keys == Keys::Fixed && spec.has_keys() {
        return fixed_bounds(spec, argv.len()).map(|(first, _)| first);
    }
    key_positions(spec, argv).ok()?.first().copied()
}

/// First and last key positions of a fixed-position command with `argc`
/// arguments, if they fit.
fn fixed_bounds(spec: &CommandSpec, argc: usize) -> Option<(usize, usize)> {
    let argc = argc as i64;
    let first = spec.first_key as i64;
    let last = match spec.last_key < 0 {
        true => argc + spec.last_key as i64,
        false => spec.last_key as i64,
    };
    let ok = last < argc && last >= first && first < argc && spec.key_step > 0;
    ok.then_some((first as usize, last as usize))
}

fn fixed_keys(spec: &CommandSpec, argc: usize) -> Result<KeyPositions, KeysError> {
    let (first, last) = fixed_bounds(spec, argc).ok_or(KeysError::InvalidArguments)?;
    Ok((first..=last).step_by(spec.key_step as usize).collect())
}

fn numkeys_keys(
    argv: &[&[u8]],
    numkeys_index: usize,
    first_index: usize,
    store_index: usize,
) -> Result<KeyPositions, KeysError> {
    let arg = argv.get(numkeys_index).ok_or(KeysError::InvalidArguments)?;
    // Redis reads keys with its key specs (canonical integer, destination
    // first) and, when they reject the count, with the old `atoi` callback
    // (destination last).
    let (numkeys, store_first) = match parse_i64(arg) {
        Some(n) => (n, true),
        None => (atoi(arg), false),
    };
    let available = argv.len().saturating_sub(first_index) as i64;
    if numkeys < 1 || numkeys > available {
        return Err(KeysError::InvalidArguments);
    }
    let mut keys = KeyPositions::new();
    let store = (store_index != 0).then_some(store_index);
    if store_first {
        keys.extend(store);
    }
    keys.extend(first_index..first_index + numkeys as usize);
    if !store_first {
        keys.extend(store);
    }
    Ok(keys)
}

/// C's `atoi`: leading blanks, a sign, then digits up to the first other
/// byte; 0 when there are none (saturating instead of overflowing).
fn atoi(b: &[u8]) -> i64 {
    let mut i = 0;
    while b
        .get(i)
        .is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
    {
        i += 1;
    }
    let negative = b.get(i) == Some(&b'-');
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut n: i64 = 0;
    while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add((d - b'0') as i64);
        i += 1;
    }
    if negative {
        -n
    } else {
        n
    }
}

/// `sortGetKeys`: the sorted key, plus the argument after the last
/// `STORE`, skipping the arguments of `LIMIT`, `GET` and `BY`.
/// GEORADIUS's keys: the source at 1, then the argument of every `STORE`
/// and `STOREDIST` from the position the key specs search from. Redis
/// 7.0's `COMMAND GETKEYS` (its key specs) gives the first of each; the
/// command writes the last, so a repeated STORE lists every destination
/// here: the key written is always one the proxy routed and locked.
fn georadius_keys(spec: &CommandSpec, argv: &[&[u8]]) -> KeyPositions {
    let mut keys = KeyPositions::new();
    keys.push(1);
    let from = spec
        .key_specs
        .iter()
        .filter_map(|ks| match ks.begin_search {
            BeginSearch::Keyword { startfrom, .. } if startfrom > 0 => Some(startfrom as usize),
            _ => None,
        })
        .min()
        .unwrap_or(argv.len());
    let mut i = from;
    while i + 1 < argv.len() {
        if argv[i].eq_ignore_ascii_case(b"store") || argv[i].eq_ignore_ascii_case(b"storedist") {
            keys.push(i + 1);
            i += 1;
        }
        i += 1;
    }
    keys
}

/// XREAD's and XREADGROUP's keys as `xreadGetKeys` finds them: options
/// (`BLOCK n`, `COUNT n`, `GROUP g c`, `NOACK`) up to `STREAMS`, then half
/// of what follows; anything else is invalid.
fn stream_keys(argv: &[&[u8]]) -> Result<KeyPositions, KeysError> {
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"block") || a.eq_ignore_ascii_case(b"count") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"group") {
            i += 3;
        } else if a.eq_ignore_ascii_case(b"noack") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"streams") {
            let rest = argv.len() - i - 1;
            if rest == 0 || !rest.is_multiple_of(2) {
                return Err(KeysError::InvalidArguments);
            }
            return Ok((i + 1..i + 1 + rest / 2).collect());
        } else {
            break;
        }
    }
    Err(KeysError::InvalidArguments)
}

fn migrate_keys(argv: &[&[u8]]) -> KeyPositions {
    let mut i = 6;
    while i < argv.len() {
        let a = argv[i];
        if a.eq_ignore_ascii_case(b"auth") {
            i += 1;
        } else if a.eq_ignore_ascii_case(b"auth2") {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"keys") {
            if argv.get(3).is_some_and(|k| !k.is_empty()) {
                return KeyPositions::new();
            }
            return (i + 1..argv.len()).collect();
        }
        i += 1;
    }
    (3..argv.len().min(4)).collect()
}

fn sort_keys(argv: &[&[u8]]) -> KeyPositions {
    let mut keys = KeyPositions::new();
    keys.push(1);
    let mut store = None;
    let mut i = 2;
    while i < argv.len() {
        let arg = argv[i];
        if arg.eq_ignore_ascii_case(b"limit") {
            i += 2;
        } else if arg.eq_ignore_ascii_case(b"get") || arg.eq_ignore_ascii_case(b"by") {
            i += 1;
        } else if arg.eq_ignore_ascii_case(b"store") && i + 1 < argv.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    keys.extend(store);
    keys
}
