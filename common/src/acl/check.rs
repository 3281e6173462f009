//! Whether a user may run a command with these arguments.

use crate::table::{
    keyspec::{self, key_flags},
    Cmd, CommandSpec,
};

use super::{Selector, User, KEY_READ, KEY_WRITE};

/// Why a command was refused, in Redis's order of relevance (when no
/// selector allows it, the most relevant refusal is reported: a channel
/// over a key over the command, then the later argument).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Denied {
    /// The command (or subcommand) itself.
    Command,
    /// The key at this argument position.
    Key(usize),
    /// The channel at this argument position.
    Channel(usize),
}

impl Denied {
    /// The `reason` of its `ACL LOG` entry.
    pub fn reason(self) -> &'static str {
        match self {
            Denied::Command => "command",
            Denied::Key(_) => "key",
            Denied::Channel(_) => "channel",
        }
    }

    /// The argument it names, if a key or channel.
    pub fn position(self) -> Option<usize> {
        match self {
            Denied::Command => None,
            Denied::Key(p) | Denied::Channel(p) => Some(p),
        }
    }

    fn rank(self) -> (u8, usize) {
        match self {
            Denied::Command => (0, 0),
            Denied::Key(p) => (1, p),
            Denied::Channel(p) => (2, p),
        }
    }
}

/// The channels `spec` publishes or subscribes to: `(position, is a
/// pattern)` (unsubscribing names no channel to check).
pub fn channels_of(spec: &CommandSpec, argv: &[&[u8]]) -> smallvec::SmallVec<[(usize, bool); 4]> {
    match spec.id {
        Cmd::Publish | Cmd::Spublish => (1..argv.len().min(2)).map(|i| (i, false)).collect(),
        Cmd::Subscribe | Cmd::Ssubscribe => (1..argv.len()).map(|i| (i, false)).collect(),
        Cmd::Psubscribe => (1..argv.len()).map(|i| (i, true)).collect(),
        _ => smallvec::SmallVec::new(),
    }
}

/// The access a key spec's flags ask of a key pattern.
fn wanted(flags: u16) -> u8 {
    let mut want = 0;
    if flags & key_flags::K_ACCESS != 0 {
        want |= KEY_READ;
    }
    if flags & (key_flags::K_INSERT | key_flags::K_DELETE | key_flags::K_UPDATE) != 0 {
        want |= KEY_WRITE;
    }
    want
}

impl Selector {
    /// Whether its patterns let `key` be used with key-spec `flags`.
    pub fn key_ok(&self, key: &[u8], flags: u16) -> bool {
        if self.allkeys {
            return true;
        }
        let want = wanted(flags);
        self.patterns
            .iter()
            .any(|p| p.flags & want == want && crate::glob::matches(&p.pattern, key))
    }

    /// Whether its channel patterns let `channel` be used; a PSUBSCRIBE
    /// pattern must be one of them literally.
    pub fn channel_ok(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.allchannels
            || self.channels.iter().any(|p| match is_pattern {
                true => p == channel,
                false => crate::glob::matches(p, channel),
            })
    }

    fn check(
        &self,
        spec: &CommandSpec,
        argv: &[&[u8]],
        keys: &[(usize, u16)],
    ) -> Result<(), Denied> {
        if !self.allows_command(spec, argv) {
            return Err(Denied::Command);
        }
        if !self.allkeys {
            for &(pos, flags) in keys {
                // Shard channels are in SPUBLISH's key specs, as not keys.
                if flags & key_flags::K_NOT_KEY != 0 {
                    continue;
                }
                if !self.key_ok(argv[pos], flags) {
                    return Err(Denied::Key(pos));
                }
            }
        }
        if !self.allchannels {
            for (pos, pattern) in channels_of(spec, argv) {
                if !self.channel_ok(argv[pos], pattern) {
                    return Err(Denied::Channel(pos));
                }
            }
        }
        Ok(())
    }

    /// Whether it has access `flags` (key-spec flags) to every key.
    fn unrestricted_keys(&self, flags: u16) -> bool {
        let want = wanted(flags);
        self.allkeys
            || self
                .patterns
                .iter()
                .any(|p| p.flags & want == want && p.pattern == b"*")
    }
}

impl User {
    /// Whether it may run `spec` with `argv` (name first); the refusal
    /// to report if not.
    pub fn check(&self, spec: &CommandSpec, argv: &[&[u8]]) -> Result<(), Denied> {
        if self.unrestricted {
            return Ok(());
        }
        // Keys the specs cannot find (a bad numkeys) are no keys, as in Redis.
        let keys = keyspec::keys_and_flags(spec, argv).unwrap_or_default();
        let mut worst: Option<Denied> = None;
        for s in &self.selectors {
            match s.check(spec, argv, &keys) {
                Ok(()) => return Ok(()),
                Err(d) => {
                    if worst.is_none_or(|w| d.rank() > w.rank()) {
                        worst = Some(d);
                    }
                }
            }
        }
        Err(worst.unwrap_or(Denied::Command))
    }

    /// Whether some selector allows `spec` with `argv` and reading every
    /// key (what SORT's BY and GET patterns need).
    pub fn reads_every_key(&self, spec: &CommandSpec, argv: &[&[u8]]) -> bool {
        if self.unrestricted {
            return true;
        }
        let keys = keyspec::keys_and_flags(spec, argv).unwrap_or_default();
        self.selectors
            .iter()
            .any(|s| s.check(spec, argv, &keys).is_ok() && s.unrestricted_keys(key_flags::K_ACCESS))
    }

    /// Whether it may use `channel` (a pattern subscribed with
    /// PSUBSCRIBE if `is_pattern`).
    pub fn channel_ok(&self, channel: &[u8], is_pattern: bool) -> bool {
        self.selectors
            .iter()
            .any(|s| s.channel_ok(channel, is_pattern))
    }

    /// Whether every channel `old` could use, `self` can use too (Redis's
    /// test before it looks for subscribers to disconnect).
    pub fn keeps_channels_of(&self, old: &User) -> bool {
        if self.selectors.iter().any(|s| s.allchannels) {
            return true;
        }
        old.selectors.iter().all(|o| {
            !o.allchannels
                && o.channels
                    .iter()
                    .all(|c| self.selectors.iter().any(|s| s.channels.contains(c)))
        })
    }
}
