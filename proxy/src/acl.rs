//! The users of this proxy, the ACL log, and how a change reaches open
//! connections.
//!
//! The users live here, in the proxy (shared by its workers): a user is
//! connection state's authority, like `requirepass` was, and the shards
//! hold no client. Every command a client sends is checked against its
//! user in [`crate::dispatch`] before it is queued, sent or answered; a
//! script's `redis.call`s are checked by the shard that runs it, against
//! the rules the proxy sends with the script when the user is restricted
//! (`shardd/src/script.rs`, `EVAL_ACL`).
//!
//! **A change applies at once.** Users are kept as immutable
//! `Arc<User>`s; `ACL SETUSER`, `DELUSER` and `LOAD` swap them and bump
//! [`Acl::epoch`]. A connection holds its user's `Arc` and the epoch it
//! saw; before each command it compares the epoch (one relaxed load) and
//! takes its user again when it moved. A deleted user's connections are
//! closed (Redis does the same), a subscriber that lost a channel it
//! listens to is closed too, and the unrestricted default user costs its
//! connections that one load and nothing else.
//!
//! **Start.** The default user (on, nopass, everything), then
//! `requirepass` as its password, then the `user` lines of the config
//! file or the `aclfile` (not both, as Redis): a bad line refuses the
//! start, naming it.

use std::{
    collections::{BTreeMap, VecDeque},
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
};

use common::acl::{Denied, User};

/// Where a refused command was (an `ACL LOG` entry's `context`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    /// Sent by the client.
    Toplevel,
    /// Queued in, or run by, a transaction.
    Multi,
    /// Called by a script.
    Lua,
}

impl Context {
    fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

/// One `ACL LOG` entry.
#[derive(Clone, Debug)]
pub struct LogEntry {
    /// Similar events folded into it.
    pub count: u64,
    /// `command`, `key`, `channel` or `auth`.
    pub reason: &'static str,
    /// `toplevel`, `multi` or `lua`.
    pub context: &'static str,
    /// The command, key, channel, or `AUTH`.
    pub object: Vec<u8>,
    /// The user.
    pub username: Vec<u8>,
    /// Unix milliseconds of its last event.
    pub ctime_ms: u64,
    /// The client's `CLIENT INFO` line at its last event.
    pub client_info: String,
}

/// What an `ACL LOG` entry records of one refusal.
pub struct Event<'a> {
    /// `command`, `key`, `channel` or `auth`.
    pub reason: &'static str,
    /// Where.
    pub context: Context,
    /// The command, key, channel, or `AUTH`.
    pub object: &'a [u8],
    /// The user.
    pub username: &'a [u8],
    /// Unix milliseconds.
    pub at_ms: u64,
}

/// Events closer than this are folded into one entry (Redis's 60 s).
const GROUPING_MS: u64 = 60_000;
/// How many of the newest entries are looked at to fold an event.
const GROUPING_SCAN: usize = 10;

/// The users and the ACL log.
pub struct Acl {
    users: Mutex<BTreeMap<Vec<u8>, Arc<User>>>,
    epoch: AtomicU64,
    log: Mutex<VecDeque<LogEntry>>,
}

impl Default for Acl {
    fn default() -> Acl {
        let default = User::default_user();
        Acl {
            users: Mutex::new(BTreeMap::from([(default.name.clone(), Arc::new(default))])),
            epoch: AtomicU64::new(0),
            log: Mutex::new(VecDeque::new()),
        }
    }
}

/// What `acl-pubsub-default` says new users and selectors start with.
pub fn pubsub_default_all(settings: &crate::params::Settings) -> bool {
    settings.by_name("acl-pubsub-default").as_deref() == Some("allchannels")
}

fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl Acl {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<Vec<u8>, Arc<User>>> {
        self.users.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn log_lock(&self) -> MutexGuard<'_, VecDeque<LogEntry>> {
        self.log.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The number of the last change to any user.
    #[inline]
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// The user called `name`.
    pub fn user(&self, name: &[u8]) -> Option<Arc<User>> {
        self.lock().get(name).cloned()
    }

    /// The default user.
    pub fn default_user(&self) -> Arc<User> {
        match self.user(b"default") {
            Some(u) => u,
            // The default user is never removed; this is the fallback of
            // a bug, and it allows nothing.
            None => Arc::new(User::new(b"default", false)),
        }
    }

    /// Whether a new connection must authenticate first (the default
    /// user has a password, or is off).
    pub fn auth_required(&self) -> bool {
        let d = self.default_user();
        !d.nopass() || !d.enabled()
    }

    /// Every user, by name.
    pub fn users(&self) -> Vec<Arc<User>> {
        self.lock().values().cloned().collect()
    }

    /// The user `name` if `password` logs it in.
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> Option<Arc<User>> {
        self.user(name).filter(|u| u.password_ok(password))
    }

    /// `ACL SETUSER name ops...`: all rules or none; the user before (if
    /// it existed) and after.
    pub fn set_user(
        &self,
        name: &[u8],
        ops: &[&[u8]],
        allchannels: bool,
    ) -> Result<(Option<Arc<User>>, Arc<User>), String> {
        let mut users = self.lock();
        let old = users.get(name).cloned();
        let mut u = match &old {
            Some(u) => User::clone(u),
            None => User::new(name, allchannels),
        };
        u.apply_all(ops, allchannels)?;
        let u = Arc::new(u);
        users.insert(name.to_vec(), u.clone());
        drop(users);
        self.changed();
        Ok((old, u))
    }

    /// Sets the default user's password as `requirepass` does (empty:
    /// nopass).
    pub fn set_requirepass(&self, password: &str) {
        let mut pass = format!(">{password}").into_bytes();
        if password.is_empty() {
            pass = b"nopass".to_vec();
        }
        let ops: [&[u8]; 2] = [b"resetpass", &pass];
        if let Err(e) = self.set_user(b"default", &ops, false) {
            tracing::warn!("requirepass: {e}");
        }
    }

    /// `ACL DELUSER`: removes the users named; how many there were.
    pub fn del_users(&self, names: &[&[u8]]) -> usize {
        let mut users = self.lock();
        let n = names.iter().filter(|n| users.remove(**n).is_some()).count();
        drop(users);
        self.changed();
        n
    }

    /// Replaces every user with `users` (a file loaded whole); a file
    /// without a default user gets a new one (on, nopass, everything),
    /// as in Redis.
    pub fn replace_all(&self, users: Vec<User>) {
        let mut map = self.lock();
        map.clear();
        for u in users {
            map.insert(u.name.clone(), Arc::new(u));
        }
        map.entry(b"default".to_vec())
            .or_insert_with(|| Arc::new(User::default_user()));
        drop(map);
        self.changed();
    }

    /// Records a refused command, key, channel or login, folding it into
    /// a recent similar entry; keeps at most `max_len` entries.
    pub fn log_event(
        &self,
        reason: &'static str,
        context: Context,
        object: &[u8],
        username: &[u8],
        client_info: String,
        max_len: usize,
    ) {
        let event = Event {
            reason,
            context,
            object,
            username,
            at_ms: now_unix_ms(),
        };
        self.log_event_at(event, client_info, max_len);
    }

    /// [`Acl::log_event`] for an event that happened at `event.at_ms` (a
    /// script's refused call, handed over later by its shard).
    pub fn log_event_at(&self, event: Event<'_>, client_info: String, max_len: usize) {
        let Event {
            reason,
            context,
            object,
            username,
            at_ms: now,
        } = event;
        let mut log = self.log_lock();
        let similar = log.iter().take(GROUPING_SCAN).position(|e| {
            e.reason == reason
                && e.context == context.name()
                && e.object == object
                && e.username == username
                && now.abs_diff(e.ctime_ms) <= GROUPING_MS
        });
        if let Some(i) = similar {
            if let Some(mut e) = log.remove(i) {
                e.count += 1;
                e.ctime_ms = now;
                e.client_info = client_info;
                log.push_front(e);
            }
            return;
        }
        log.push_front(LogEntry {
            count: 1,
            reason,
            context: context.name(),
            object: object.to_vec(),
            username: username.to_vec(),
            ctime_ms: now,
            client_info,
        });
        log.truncate(max_len);
    }

    /// The newest `count` entries, and the time now (for their age).
    pub fn log_entries(&self, count: usize) -> (Vec<LogEntry>, u64) {
        let log = self.log_lock();
        (log.iter().take(count).cloned().collect(), now_unix_ms())
    }

    /// `ACL LOG RESET`.
    pub fn log_reset(&self) {
        self.log_lock().clear();
    }
}

tokio::task_local! {
    /// The restricted user of the client command being served
    /// (`in_caller_scope`): a script it runs carries the user's rules to
    /// the shard, from however deep the script is sent.
    static CALLER: Arc<User>;
}

/// The restricted user whose command is being served, if any.
pub fn scoped_caller() -> Option<Arc<User>> {
    CALLER.try_with(Arc::clone).ok()
}

/// Runs `fut` with [`scoped_caller`] `user` if it is restricted (an
/// unrestricted user needs no scope). One future either way (an `async`
/// body awaiting `fut` in two branches holds room for it twice: a
/// connection's future was 100 KB).
pub fn in_caller_scope<F: std::future::Future>(
    user: Arc<User>,
    fut: F,
) -> impl std::future::Future<Output = F::Output> {
    use tokio_util::either::Either;
    match user.unrestricted {
        true => Either::Left(fut),
        false => Either::Right(CALLER.scope(user, fut)),
    }
}

/// What an `ACL LOG` entry names for refusal `d` of `argv` (command
/// `name`): the key or channel refused, or the command.
pub fn object_of<'a>(d: Denied, argv: &[&'a [u8]], name: &'a str) -> &'a [u8] {
    match d.position() {
        Some(p) => argv.get(p).copied().unwrap_or_default(),
        None => name.as_bytes(),
    }
}

/// The users of an ACL file's text (`user name rules...` per line), or
/// every error, each naming its file and line, as Redis lists them.
pub fn parse_file(text: &str, file: &str, allchannels: bool) -> Result<Vec<User>, String> {
    let mut users: Vec<User> = Vec::new();
    let mut errors = String::new();
    for (i, line) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = line.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split(' ').filter(|w| !w.is_empty()).collect();
        if words.first() != Some(&"user") || words.len() < 2 {
            errors.push_str(&format!(
                "{file}:{n} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = words[1].as_bytes();
        if users.iter().any(|u| u.name == name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {n}. ",
                words[1]
            ));
            continue;
        }
        let mut u = User::new(name, allchannels);
        let ops: Vec<&[u8]> = words[2..].iter().map(|w| w.as_bytes()).collect();
        if let Err(e) = u.apply_all(&ops, allchannels) {
            errors.push_str(&format!("{file}:{n}: {e}. "));
            continue;
        }
        users.push(u);
    }
    if errors.is_empty() {
        Ok(users)
    } else {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was performed",
        );
        Err(errors)
    }
}

/// Loads the users at start: `requirepass`, then the config file's
/// `user` lines or the `aclfile` (both is refused, as by Redis).
pub fn load_at_start(
    acl: &Acl,
    s: &crate::params::Settings,
    lines: &[String],
) -> Result<(), String> {
    if let Some(pw) = s.requirepass() {
        acl.set_requirepass(&pw);
    }
    let all = pubsub_default_all(s);
    let file = aclfile(s);
    if file.is_some() && !lines.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.".into());
    }
    if !lines.is_empty() {
        let text: Vec<String> = lines.iter().map(|l| format!("user {l}")).collect();
        let users = parse_file(&text.join("\n"), "config", all)?;
        acl.replace_all(users);
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("Error loading ACLs, opening file '{}': {e}", path.display()))?;
        let users = parse_file(&text, &path.display().to_string(), all)?;
        acl.replace_all(users);
    }
    Ok(())
}

/// The `aclfile` in force, if set.
pub fn aclfile(settings: &crate::params::Settings) -> Option<PathBuf> {
    settings
        .by_name("aclfile")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
}

/// Writes every user to `path` as `ACL LIST` shows them, atomically (a
/// temporary file beside it, synced, then renamed over it).
pub fn save_file(acl: &Acl, path: &std::path::Path) -> std::io::Result<()> {
    use std::io::Write;
    let mut text = String::new();
    for u in acl.users() {
        text.push_str(&format!(
            "user {} {}\n",
            String::from_utf8_lossy(&u.name),
            u.describe()
        ));
    }
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_loads_whole_or_not_at_all() {
        let users = parse_file("user alice on >a ~* +@all\n\nuser bob off\n", "f", false)
            .expect("a valid file");
        assert_eq!(users.len(), 2);
        let e = parse_file(
            "user alice on\nuser bob +nosuch\nuser alice\nfoo\n",
            "f",
            false,
        )
        .expect_err("refused");
        assert!(
            e.contains("f:2: Error in ACL SETUSER modifier '+nosuch'"),
            "{e}"
        );
        assert!(e.contains("Duplicate user 'alice' found on line 3"), "{e}");
        assert!(e.contains("f:4 should start with user keyword"), "{e}");
    }

    #[test]
    fn similar_events_fold_and_the_log_is_bounded() {
        let acl = Acl::default();
        for _ in 0..3 {
            acl.log_event("command", Context::Toplevel, b"get", b"u", String::new(), 2);
        }
        acl.log_event("key", Context::Toplevel, b"k1", b"u", String::new(), 2);
        acl.log_event("key", Context::Toplevel, b"k2", b"u", String::new(), 2);
        let (entries, _) = acl.log_entries(10);
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].object, b"k2");
        let acl = Acl::default();
        for _ in 0..3 {
            acl.log_event("command", Context::Toplevel, b"get", b"u", String::new(), 5);
        }
        assert_eq!(acl.log_entries(10).0[0].count, 3);
    }

    #[test]
    fn requirepass_sets_the_default_users_password() {
        let acl = Acl::default();
        assert!(!acl.auth_required());
        acl.set_requirepass("pw");
        assert!(acl.auth_required());
        assert!(acl.authenticate(b"default", b"pw").is_some());
        acl.set_requirepass("");
        assert!(!acl.auth_required());
    }
}
