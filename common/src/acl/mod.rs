//! Users and their rules, as Redis 7.0's ACL has them: what a user may
//! run, on which keys, on which channels, with which passwords.
//!
//! The proxy keeps the users and checks every command against its
//! client's user ([`User::check`]) before it goes anywhere; a shard
//! checks each `redis.call` of a script sent by a restricted user against
//! the same rules, sent with the script as their text
//! ([`User::describe`], parsed back by [`User::from_rules`]).
//!
//! A user has flags (`on`/`off`, `nopass`, the sanitize-payload pair),
//! SHA-256 password hashes and selectors; the first selector is the
//! root (the rules given outside parentheses), the others were added with
//! `(...)`. A command is allowed when any selector allows the command, its
//! keys (read and write checked separately, from the key specs' flags) and
//! its channels. Rules are applied as Redis applies them: a category sets
//! the bit of every command (and subcommand) in it, `+@all` also lets in
//! commands added later, and `ACL GETUSER` describes a selector by the
//! same best-fit search over categories Redis makes (`describe.rs`), so
//! the text round-trips.

mod check;
mod describe;
#[cfg(test)]
mod tests;

use crate::table::{self, Cmd, CommandSpec};

pub use check::{channels_of, Denied};

/// The categories, in Redis's order (what `ACL CAT` lists and the order
/// [`describe`] tries them in).
pub const CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Words of a command bitmap: one bit per command id.
const WORDS: usize = Cmd::ALL.len().div_ceil(64);

/// A key pattern may be read (`%R~`).
pub const KEY_READ: u8 = 1;
/// A key pattern may be written (`%W~`).
pub const KEY_WRITE: u8 = 2;
/// `~pattern`: both.
pub const KEY_ALL: u8 = KEY_READ | KEY_WRITE;

/// The bit of category `name` (any case), if it is one.
pub fn category_bit(name: &[u8]) -> Option<u32> {
    CATEGORIES
        .iter()
        .position(|c| c.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

/// The category bits of every command, by id.
fn categories_of(id: Cmd) -> u32 {
    static BY_ID: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    let by_id = BY_ID.get_or_init(|| {
        let mut v = vec![0u32; Cmd::ALL.len()];
        for c in table::every_entry() {
            v[c.id as usize] = c
                .acl_categories
                .iter()
                .filter_map(|a| category_bit(a.trim_start_matches('@').as_bytes()))
                .fold(0, |acc, b| acc | b);
        }
        v
    });
    by_id[id as usize]
}

/// Every Redis command, containers before their subcommands, in table
/// order (what rules apply to; the internal commands are nobody's).
fn universe() -> impl Iterator<Item = &'static CommandSpec> {
    table::every_entry().filter(|c| !c.id.is_internal())
}

/// The commands and subcommands in category `bit` clients can run (what
/// `ACL CAT category` lists).
pub fn commands_in(bit: u32) -> impl Iterator<Item = &'static CommandSpec> {
    universe().filter(move |c| c.exists() && categories_of(c.id) & bit != 0)
}

/// A key pattern with the access it grants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPattern {
    /// Glob over key names.
    pub pattern: Vec<u8>,
    /// [`KEY_READ`] and/or [`KEY_WRITE`].
    pub flags: u8,
}

/// A set of permissions: commands, keys, channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    /// One bit per command id.
    allowed: [u64; WORDS],
    /// `+@all` (or `allcommands`) was the last word on commands: commands
    /// added later are allowed too (Redis's reserved bit).
    future: bool,
    /// Every bit is set and none was cleared since `+@all`: no bit test.
    allcommands: bool,
    /// `+cmd|arg` for a command without subcommands: first arguments
    /// allowed where the command itself is not.
    firstargs: Vec<(Cmd, Vec<Vec<u8>>)>,
    /// `allkeys` / `~*`.
    pub allkeys: bool,
    /// Key patterns, in the order added.
    pub patterns: Vec<KeyPattern>,
    /// `allchannels` / `&*`.
    pub allchannels: bool,
    /// Channel patterns, in the order added.
    pub channels: Vec<Vec<u8>>,
}

impl Selector {
    /// A selector that allows nothing; its channels start from
    /// `acl-pubsub-default` (`allchannels` or not).
    pub fn empty(allchannels: bool) -> Selector {
        Selector {
            allowed: [0; WORDS],
            future: false,
            allcommands: false,
            firstargs: Vec::new(),
            allkeys: false,
            patterns: Vec::new(),
            allchannels,
            channels: Vec::new(),
        }
    }

    fn bit(&self, id: Cmd) -> bool {
        let i = id as usize;
        self.allowed[i / 64] & (1 << (i % 64)) != 0
    }

    fn set_bit(&mut self, id: Cmd, on: bool) {
        let i = id as usize;
        if on {
            self.allowed[i / 64] |= 1 << (i % 64);
        } else {
            self.allowed[i / 64] &= !(1 << (i % 64));
            self.allcommands = false;
        }
    }

    /// Allows or denies `c`, and all its subcommands if it has some.
    fn change(&mut self, c: &CommandSpec, on: bool) {
        self.set_bit(c.id, on);
        self.firstargs.retain(|(id, _)| *id != c.id);
        for s in c.subcommands {
            self.set_bit(s.id, on);
        }
    }

    fn set_category(&mut self, bit: u32, on: bool) {
        for c in universe() {
            if categories_of(c.id) & bit != 0 {
                self.change(c, on);
            }
        }
    }

    fn all_commands(&mut self, on: bool) {
        self.allowed = [if on { u64::MAX } else { 0 }; WORDS];
        self.future = on;
        self.allcommands = on;
        self.firstargs.clear();
    }

    /// Applies one selector rule (`+get`, `~key*`, `&chan`, `-@write`,
    /// ...).
    pub fn apply(&mut self, op: &[u8]) -> Result<(), RuleError> {
        let lower = op.to_ascii_lowercase();
        match lower.as_slice() {
            b"allkeys" | b"~*" => {
                self.allkeys = true;
                self.patterns.clear();
            }
            b"resetkeys" => {
                self.allkeys = false;
                self.patterns.clear();
            }
            b"allchannels" | b"&*" => {
                self.allchannels = true;
                self.channels.clear();
            }
            b"resetchannels" => {
                self.allchannels = false;
                self.channels.clear();
            }
            b"allcommands" | b"+@all" => self.all_commands(true),
            b"nocommands" | b"-@all" => self.all_commands(false),
            _ => return self.apply_pattern_or_command(op),
        }
        Ok(())
    }

    fn apply_pattern_or_command(&mut self, op: &[u8]) -> Result<(), RuleError> {
        match op.first() {
            Some(b'~' | b'%') => self.add_key_pattern(op),
            Some(b'&') => {
                if self.allchannels {
                    return Err(RuleError::ChannelAfterAll);
                }
                let pat = &op[1..];
                if has_spaces(pat) {
                    return Err(RuleError::Syntax);
                }
                if !self.channels.iter().any(|c| c == pat) {
                    self.channels.push(pat.to_vec());
                }
                Ok(())
            }
            Some(&sign @ (b'+' | b'-')) if op.get(1) == Some(&b'@') => {
                let bit = category_bit(&op[2..]).ok_or(RuleError::UnknownCommand)?;
                self.set_category(bit, sign == b'+');
                Ok(())
            }
            Some(b'+') => self.allow_command(&op[1..]),
            Some(b'-') => {
                let c = table::entry(&op[1..]).ok_or(RuleError::UnknownCommand)?;
                if c.id.is_internal() {
                    return Err(RuleError::UnknownCommand);
                }
                self.change(c, false);
                Ok(())
            }
            _ => Err(RuleError::Syntax),
        }
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.allkeys {
            return Err(RuleError::KeyAfterAll);
        }
        let (flags, offset) = if op[0] == b'%' {
            let mut flags = 0;
            let mut i = 1;
            loop {
                match op.get(i).map(u8::to_ascii_uppercase) {
                    Some(b'R') if flags & KEY_READ == 0 => flags |= KEY_READ,
                    Some(b'W') if flags & KEY_WRITE == 0 => flags |= KEY_WRITE,
                    // `%~` grants nothing: refused (Redis 7.2 refuses it too).
                    Some(b'~') if flags != 0 => break (flags, i + 1),
                    _ => return Err(RuleError::Syntax),
                }
                i += 1;
            }
        } else {
            (KEY_ALL, 1)
        };
        let pat = &op[offset..];
        if has_spaces(pat) {
            return Err(RuleError::Syntax);
        }
        match self.patterns.iter_mut().find(|p| p.pattern == pat) {
            Some(p) => p.flags |= flags,
            None => self.patterns.push(KeyPattern {
                pattern: pat.to_vec(),
                flags,
            }),
        }
        // `%R~*` then `%W~*`: the same as `~*` (Redis keeps the pattern).
        self.allkeys = false;
        Ok(())
    }

    /// `+name`, `+container|sub` or `+command|first-arg`.
    fn allow_command(&mut self, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let c = table::entry(name).ok_or(RuleError::UnknownCommand)?;
            if c.id.is_internal() {
                return Err(RuleError::UnknownCommand);
            }
            self.change(c, true);
            return Ok(());
        };
        let (head, sub) = (&name[..bar], &name[bar + 1..]);
        let c = table::entry(head).ok_or(RuleError::UnknownCommand)?;
        if c.id.is_internal() {
            return Err(RuleError::UnknownCommand);
        }
        if head.contains(&b'|') {
            // `config|get|x`: a first argument of a subcommand.
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if !c.subcommands.is_empty() {
            let s = table::entry(name).ok_or(RuleError::UnknownCommand)?;
            self.change(s, true);
            return Ok(());
        }
        let sub = sub.to_ascii_lowercase();
        match self.firstargs.iter_mut().find(|(id, _)| *id == c.id) {
            Some((_, args)) => {
                if !args.contains(&sub) {
                    args.push(sub);
                }
            }
            None => self.firstargs.push((c.id, vec![sub])),
        }
        Ok(())
    }

    /// Whether it may run `spec` given its arguments (bits, then
    /// first-argument exceptions; keys and channels are apart).
    fn allows_command(&self, spec: &CommandSpec, argv: &[&[u8]]) -> bool {
        if self.allcommands || spec.has_flag(table::flags::F_NO_AUTH) || self.bit(spec.id) {
            return true;
        }
        let Some((_, args)) = self.firstargs.iter().find(|(id, _)| *id == spec.id) else {
            return false;
        };
        argv.get(1)
            .is_some_and(|a| args.iter().any(|x| x.eq_ignore_ascii_case(a)))
    }
}

/// Whether `s` has a space or a NUL (not allowed in names and patterns).
pub fn has_spaces(s: &[u8]) -> bool {
    s.iter().any(|&b| b == b'\0' || b.is_ascii_whitespace())
}

/// Why a rule was refused (Redis's messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleError {
    /// Not a rule.
    Syntax,
    /// `+name` or `+@name` that is no command or category.
    UnknownCommand,
    /// A key pattern after `allkeys`.
    KeyAfterAll,
    /// A channel pattern after `allchannels`.
    ChannelAfterAll,
    /// `<pass` or `!hash` for a password the user does not have.
    NoSuchPassword,
    /// `#hash` that is not 64 lowercase hex digits.
    BadHash,
    /// `+cmd|sub|arg`.
    FirstArgOfSubcommand,
}

impl RuleError {
    /// Redis's text for it.
    pub fn message(self) -> &'static str {
        match self {
            RuleError::Syntax => "Syntax error",
            RuleError::UnknownCommand => "Unknown command or category name in ACL",
            RuleError::KeyAfterAll => "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns",
            RuleError::ChannelAfterAll => "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels",
            RuleError::NoSuchPassword => "The password you are trying to remove from the user does not exist",
            RuleError::BadHash => "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters",
            RuleError::FirstArgOfSubcommand => "Allowing first-arg of a subcommand is not supported",
        }
    }
}

/// User flag: may log in.
const ON: u8 = 1;
/// User flag: may not log in.
const OFF: u8 = 2;
/// User flag: any password works.
const NOPASS: u8 = 4;
/// User flag: RESTORE payloads are not checked.
const SKIP_SANITIZE: u8 = 8;
/// User flag: RESTORE payloads are checked.
const SANITIZE: u8 = 16;
/// Flag names in Redis's order.
const FLAG_NAMES: [(u8, &str); 5] = [
    (ON, "on"),
    (OFF, "off"),
    (NOPASS, "nopass"),
    (SKIP_SANITIZE, "skip-sanitize-payload"),
    (SANITIZE, "sanitize-payload"),
];

/// One user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Its name.
    pub name: Vec<u8>,
    flags: u8,
    /// SHA-256 of each password, as 64 lowercase hex digits.
    pub passwords: Vec<String>,
    /// The root selector first, then the added ones.
    pub selectors: Vec<Selector>,
    /// Allows every command, key and channel through its root selector:
    /// its commands need no check (kept by [`User::apply`]).
    pub unrestricted: bool,
    /// [`User::permissions`], made once per version of the rules.
    permissions_text: Cached,
}

/// A text made from a user's rules when first asked: forgotten when the
/// rules change (and by a clone, which may be changed), and no part of
/// what makes two users equal.
#[derive(Debug, Default)]
struct Cached(std::sync::OnceLock<String>);

impl Clone for Cached {
    fn clone(&self) -> Cached {
        Cached::default()
    }
}

impl PartialEq for Cached {
    fn eq(&self, _: &Cached) -> bool {
        true
    }
}

impl Eq for Cached {}

impl User {
    /// A new user as `ACL SETUSER name` makes it: off, no password, no
    /// permission; channels as `acl-pubsub-default` says.
    pub fn new(name: &[u8], allchannels: bool) -> User {
        User {
            name: name.to_vec(),
            flags: OFF,
            passwords: Vec::new(),
            selectors: vec![Selector::empty(allchannels)],
            unrestricted: false,
            permissions_text: Cached::default(),
        }
    }

    /// The default user of a server with no ACL configured: on, nopass,
    /// every command, key and channel.
    pub fn default_user() -> User {
        let mut u = User::new(b"default", false);
        for op in ["+@all", "~*", "&*", "on", "nopass"] {
            // These are rules the parser knows.
            let _ = u.apply(op.as_bytes(), false);
        }
        u
    }

    /// Whether it may log in.
    pub fn enabled(&self) -> bool {
        self.flags & ON != 0
    }

    /// Whether any password works (`nopass`).
    pub fn nopass(&self) -> bool {
        self.flags & NOPASS != 0
    }

    /// Its flag names, in Redis's order.
    pub fn flag_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        FLAG_NAMES
            .iter()
            .filter(|(f, _)| self.flags & f != 0)
            .map(|(_, n)| *n)
    }

    /// Whether `password` logs it in (on, and nopass or a matching hash).
    pub fn password_ok(&self, password: &[u8]) -> bool {
        if !self.enabled() {
            return false;
        }
        if self.nopass() {
            return true;
        }
        let hash = hash_password(password);
        // Every hash is compared in full, whichever matches.
        self.passwords.iter().fold(false, |ok, p| {
            ok | same_bytes(p.as_bytes(), hash.as_bytes())
        })
    }

    /// Applies one rule (`on`, `>pass`, `(~k +get)`, `reset`, or a
    /// selector rule for the root selector). `allchannels` is
    /// `acl-pubsub-default`, for `reset` and new selectors.
    pub fn apply(&mut self, op: &[u8], allchannels: bool) -> Result<(), RuleError> {
        let r = self.apply_inner(op, allchannels);
        self.permissions_text = Cached::default();
        self.unrestricted = self.selectors[0].allcommands
            && self.selectors[0].allkeys
            && self.selectors[0].allchannels;
        r
    }

    fn apply_inner(&mut self, op: &[u8], allchannels: bool) -> Result<(), RuleError> {
        if op.is_empty() {
            return Ok(());
        }
        let lower = op.to_ascii_lowercase();
        match lower.as_slice() {
            b"on" => self.flags = (self.flags | ON) & !OFF,
            b"off" => self.flags = (self.flags | OFF) & !ON,
            b"skip-sanitize-payload" => self.flags = (self.flags | SKIP_SANITIZE) & !SANITIZE,
            b"sanitize-payload" => self.flags = (self.flags | SANITIZE) & !SKIP_SANITIZE,
            b"nopass" => {
                self.flags |= NOPASS;
                self.passwords.clear();
            }
            b"resetpass" => {
                self.flags &= !NOPASS;
                self.passwords.clear();
            }
            b"clearselectors" => self.selectors.truncate(1),
            b"reset" => {
                self.flags &= !NOPASS;
                self.passwords.clear();
                let root = &mut self.selectors[0];
                root.apply(b"resetkeys")?;
                root.apply(b"resetchannels")?;
                if allchannels {
                    root.apply(b"allchannels")?;
                }
                self.flags = (self.flags | OFF | SANITIZE) & !(ON | SKIP_SANITIZE);
                self.selectors.truncate(1);
                self.selectors[0].apply(b"-@all")?;
            }
            _ => return self.apply_other(op, allchannels),
        }
        Ok(())
    }

    fn apply_other(&mut self, op: &[u8], allchannels: bool) -> Result<(), RuleError> {
        match op[0] {
            b'>' | b'#' => {
                let hash = if op[0] == b'>' {
                    hash_password(&op[1..])
                } else {
                    valid_hash(&op[1..])?
                };
                if !self.passwords.contains(&hash) {
                    self.passwords.push(hash);
                }
                self.flags &= !NOPASS;
                Ok(())
            }
            b'<' | b'!' => {
                let hash = if op[0] == b'<' {
                    hash_password(&op[1..])
                } else {
                    valid_hash(&op[1..])?
                };
                let at = self.passwords.iter().position(|p| *p == hash);
                let at = at.ok_or(RuleError::NoSuchPassword)?;
                self.passwords.remove(at);
                Ok(())
            }
            b'(' if op.last() == Some(&b')') => {
                let mut s = Selector::empty(allchannels);
                for rule in split_args(&op[1..op.len() - 1]).ok_or(RuleError::Syntax)? {
                    s.apply(&rule)?;
                }
                self.selectors.push(s);
                Ok(())
            }
            _ => self.selectors[0].apply(op),
        }
    }

    /// Applies `ops` all or none: on the first refused rule, the user is
    /// unchanged and the error names that rule as Redis does. Selectors
    /// spread over several arguments (`(~k` `+get)`) are joined first.
    pub fn apply_all(&mut self, ops: &[&[u8]], allchannels: bool) -> Result<(), String> {
        let merged = merge_selectors(ops)?;
        let mut staged = self.clone();
        for op in &merged {
            if let Err(e) = staged.apply(op, allchannels) {
                return Err(format!(
                    "Error in ACL SETUSER modifier '{}': {}",
                    String::from_utf8_lossy(op),
                    e.message()
                ));
            }
        }
        *self = staged;
        Ok(())
    }

    /// Its rules as `ACL LIST` shows them after `user <name> `: flags,
    /// password hashes, the root selector, then `(...)` per added one.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for name in self.flag_names() {
            out.push_str(name);
            out.push(' ');
        }
        for p in &self.passwords {
            out.push('#');
            out.push_str(p);
            out.push(' ');
        }
        out.push_str(self.permissions());
        out
    }

    /// What it may do, as rules: the root selector, then `(...)` per
    /// added one (no flags, no passwords: what a shard is sent to check a
    /// script's calls). Made once per version of the rules.
    pub fn permissions(&self) -> &str {
        self.permissions_text.0.get_or_init(|| {
            let mut out = String::new();
            for (i, s) in self.selectors.iter().enumerate() {
                let d = describe::selector(s);
                if i == 0 {
                    out.push_str(&d);
                } else {
                    out.push_str(" (");
                    out.push_str(&d);
                    out.push(')');
                }
            }
            out
        })
    }

    /// A user from `name` and the rules [`User::describe`] or
    /// [`User::permissions`] wrote (how a shard learns the rules of a
    /// script's caller).
    pub fn from_rules(name: &[u8], rules: &[u8]) -> Result<User, String> {
        let mut u = User::new(name, false);
        let words: Vec<&[u8]> = rules
            .split(|&b| b == b' ')
            .filter(|w| !w.is_empty())
            .collect();
        u.apply_all(&words, false)?;
        Ok(u)
    }
}

/// The commands part of `s` as `ACL GETUSER` shows it.
pub fn describe_commands(s: &Selector) -> String {
    describe::commands(s)
}

/// The keys part of `s` as `ACL GETUSER` shows it.
pub fn describe_keys(s: &Selector) -> String {
    describe::keys(s)
}

/// The channels part of `s` as `ACL GETUSER` shows it.
pub fn describe_channels(s: &Selector) -> String {
    describe::channels(s)
}

/// Joins selector rules given over several arguments (`(~k`, `+get)`)
/// into one, as Redis does; an opening parenthesis never closed is an
/// error naming the argument it started at.
pub fn merge_selectors(ops: &[&[u8]]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::with_capacity(ops.len());
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, op) in ops.iter().enumerate() {
        if let Some((_, sel)) = open.as_mut() {
            sel.push(b' ');
            sel.extend_from_slice(op);
            if op.last() == Some(&b')') {
                if let Some((_, sel)) = open.take() {
                    out.push(sel);
                }
            }
            continue;
        }
        if op.first() == Some(&b'(') && op.last() != Some(&b')') {
            open = Some((i, op.to_vec()));
            continue;
        }
        out.push(op.to_vec());
    }
    if let Some((i, _)) = open {
        return Err(format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            String::from_utf8_lossy(ops[i])
        ));
    }
    Ok(out)
}

/// Splits the inside of a selector on spaces (quotes allowed, as Redis's
/// `sdssplitargs`); `None` for unbalanced quotes.
fn split_args(s: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == s.len() {
            break;
        }
        let mut word = Vec::new();
        let quote = match s[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                Some(q)
            }
            _ => None,
        };
        loop {
            match (s.get(i), quote) {
                (None, Some(_)) => return None,
                (None, None) => break,
                (Some(&c), Some(q)) if c == q => {
                    i += 1;
                    break;
                }
                (Some(c), None) if c.is_ascii_whitespace() => break,
                (Some(&c), _) => {
                    word.push(c);
                    i += 1;
                }
            }
        }
        out.push(word);
    }
    Some(out)
}

/// SHA-256 of `password` as 64 lowercase hex digits.
pub fn hash_password(password: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(password);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn valid_hash(h: &[u8]) -> Result<String, RuleError> {
    let ok = h.len() == 64
        && h.iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    if !ok {
        return Err(RuleError::BadHash);
    }
    Ok(String::from_utf8_lossy(h).into_owned())
}

/// Compares in time independent of where they differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
