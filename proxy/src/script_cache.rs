//! The script cache (EVAL, SCRIPT LOAD, EVALSHA): sha to body, shared by
//! the proxy's workers, lost when the proxy restarts as Redis's is; and
//! which scripts and functions strayed (reached a key of another shard),
//! so that what their callers pipeline behind them waits
//! (`crate::behind`).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
};

/// The proxy's script cache.
#[derive(Default)]
pub struct Cache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// By sha. ahash, keyed at random per process: a client picks the
    /// shas it sends, and every EVALSHA looks one up (SipHash cost a
    /// tenth of the proxy's work per 1-call EVALSHA). Keyed by bytes: a
    /// lookup checks no UTF-8.
    scripts: HashMap<Box<[u8]>, Entry, ahash::RandomState>,
    /// The functions that strayed, by name (their [`Entry::strays`]).
    functions_strayed: HashMap<Box<[u8]>, Arc<Body>, ahash::RandomState>,
    /// FCALLs sent and not answered yet (FUNCTION STATS names the running
    /// one): (id, executing shard, the client's command).
    fcalls: Vec<SentFcall>,
    next_fcall: u64,
}

/// An FCALL on its way: (id, executing shard, the client's command).
type SentFcall = (u64, usize, Arc<[Vec<u8>]>);

/// A cached script, or a function to call.
#[derive(Clone)]
pub struct Entry {
    /// Its sha (lowercase hex); a function's name.
    pub sha: Arc<str>,
    /// Its body (empty for a function), and whether it strayed.
    pub body: Arc<Body>,
    /// A function (FCALL), not a script.
    pub function: bool,
}

/// A script's body (it derefs to its bytes), and whether it strayed: one
/// allocation, shared by every copy of its entry.
#[derive(Default)]
pub struct Body {
    bytes: Box<[u8]>,
    strays: AtomicBool,
}

impl std::ops::Deref for Body {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Entry {
    /// Whether it strayed (reached a key of another shard) since the
    /// proxy started, or since SCRIPT FLUSH ([`Cache::strayed`]).
    #[inline]
    pub fn strays(&self) -> bool {
        self.body.strays.load(Ordering::Relaxed)
    }
}

impl Cache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers `body`; the script.
    pub fn add(&self, body: &[u8]) -> Entry {
        let sha = common::script::sha1_hex(body);
        let mut c = self.lock();
        c.scripts
            .entry(sha.as_bytes().into())
            .or_insert_with(|| Entry {
                sha: Arc::from(sha.as_str()),
                body: Arc::new(Body {
                    bytes: body.into(),
                    strays: AtomicBool::new(false),
                }),
                function: false,
            })
            .clone()
    }

    /// The function `name`, to call (its code is in the shards).
    pub fn function(&self, name: &[u8]) -> Entry {
        let body = self.lock().functions_strayed.get(name).cloned();
        let name = String::from_utf8_lossy(name).into_owned();
        Entry {
            sha: Arc::from(name.as_str()),
            body: body.unwrap_or_default(),
            function: true,
        }
    }

    /// Notes that `e` strayed: what its later calls' clients pipeline
    /// behind them waits (`crate::behind`).
    pub fn strayed(&self, e: &Entry) {
        if e.body.strays.swap(true, Ordering::Relaxed) || !e.function {
            return;
        }
        let mut c = self.lock();
        c.functions_strayed
            .entry(e.sha.as_bytes().into())
            .or_insert_with(|| e.body.clone());
    }

    /// Notes an FCALL of `argv` sent to `shard`; its id for
    /// [`Cache::fcall_done`].
    pub fn fcall_sent(&self, shard: usize, argv: &[&[u8]]) -> u64 {
        let mut c = self.lock();
        c.next_fcall += 1;
        let id = c.next_fcall;
        let argv: Arc<[Vec<u8>]> = argv.iter().map(|a| a.to_vec()).collect();
        c.fcalls.push((id, shard, argv));
        id
    }

    /// FCALL `id` was answered.
    pub fn fcall_done(&self, id: u64) {
        self.lock().fcalls.retain(|(i, _, _)| *i != id);
    }

    /// The command of the oldest FCALL on its way to `shard`.
    pub fn oldest_fcall(&self, shard: usize) -> Option<Arc<[Vec<u8>]>> {
        self.lock()
            .fcalls
            .iter()
            .find(|(_, s, _)| *s == shard)
            .map(|(_, _, a)| a.clone())
    }
    /// Script `sha` (any case), if cached.
    pub fn get(&self, sha: &[u8]) -> Option<Entry> {
        let c = self.lock();
        match c.scripts.get(sha) {
            Some(e) => Some(e.clone()),
            None if sha.iter().any(u8::is_ascii_uppercase) => {
                c.scripts.get(sha.to_ascii_lowercase().as_slice()).cloned()
            }
            None => None,
        }
    }

    /// Scripts cached.
    pub fn len(&self) -> usize {
        self.lock().scripts.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of their bodies and shas.
    pub fn bytes(&self) -> u64 {
        self.lock()
            .scripts
            .values()
            .map(|e| (e.body.len() + e.sha.len()) as u64)
            .sum()
    }

    /// Whether script `sha` is cached.
    pub fn contains(&self, sha: &[u8]) -> bool {
        self.get(sha).is_some()
    }

    /// Forgets every script.
    pub fn flush(&self) {
        self.lock().scripts.clear();
    }
}

/// The scripts a shard is known to have compiled in its current life,
/// so that an EVALSHA of one goes without its body (a BullMQ script is
/// several kilobytes, copied into the ring at every call otherwise;
/// `crate::script::send_one_shard`). Learnt from the shard's replies to
/// calls that carried the body, forgotten when the link is attached
/// again (a restarted shard has none) or the shard answers that it has
/// not got one (SCRIPT FLUSH). Entries are the script cache's, kept by
/// identity: after SCRIPT FLUSH and a new SCRIPT LOAD the same sha is a
/// new entry, not known here, and goes with its body.
#[derive(Default)]
pub struct KnownScripts {
    /// By the address of the entry's sha, which the value holds (so the
    /// address is not reused while it is here).
    by_address: std::collections::HashMap<usize, std::sync::Arc<str>, ahash::RandomState>,
}

/// Most entries kept; past this the set starts over.
const KNOWN_SCRIPTS_MAX: usize = 4096;

fn address(sha: &std::sync::Arc<str>) -> usize {
    std::sync::Arc::as_ptr(sha).cast::<u8>() as usize
}

impl KnownScripts {
    /// Whether the shard has compiled the script whose cache entry's sha
    /// is `sha`.
    pub fn knows(&self, sha: &std::sync::Arc<str>) -> bool {
        !self.by_address.is_empty() && self.by_address.contains_key(&address(sha))
    }

    /// The shard has compiled it.
    pub fn learn(&mut self, sha: &std::sync::Arc<str>) {
        if self.by_address.len() >= KNOWN_SCRIPTS_MAX {
            self.by_address.clear();
        }
        self.by_address.insert(address(sha), sha.clone());
    }

    /// The shard has not got it (any more).
    pub fn forget(&mut self, sha: &std::sync::Arc<str>) {
        self.by_address.remove(&address(sha));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_is_remembered_for_every_call_of_the_script_or_function() {
        let c = Cache::default();
        let s = c.add(b"return 1");
        assert!(!s.strays());
        c.strayed(&s);
        assert!(c.add(b"return 1").strays());
        assert!(c.get(s.sha.as_bytes()).is_some_and(|e| e.strays()));
        assert!(!c.add(b"return 2").strays());
        let f = c.function(b"f");
        assert!(!f.strays());
        c.strayed(&f);
        assert!(c.function(b"f").strays());
        assert!(!c.function(b"g").strays());
        // SCRIPT FLUSH forgets the scripts, and so their strays.
        c.flush();
        assert!(!c.add(b"return 1").strays());
    }

    #[test]
    fn the_cache_finds_scripts_by_sha_in_any_case() {
        let c = Cache::default();
        let s = c.add(b"return 1");
        assert_eq!(&*s.sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
        assert!(c.contains(b"E0E1F9FABFC9D4800C877A703B823AC0578FF8DB"));
        c.flush();
        assert!(!c.contains(s.sha.as_bytes()));
    }
}

#[cfg(test)]
mod known_tests {
    use std::sync::Arc;

    use super::{KnownScripts, KNOWN_SCRIPTS_MAX};

    #[test]
    fn known_scripts_are_cache_entries_by_identity() {
        let mut k = KnownScripts::default();
        let a: Arc<str> = Arc::from("a".repeat(40));
        let same_text: Arc<str> = Arc::from("a".repeat(40));
        assert!(!k.knows(&a));
        k.learn(&a);
        assert!(k.knows(&a) && k.knows(&a.clone()));
        // The same sha loaded again after a flush is another entry.
        assert!(!k.knows(&same_text));
        k.forget(&a);
        assert!(!k.knows(&a));
        // Bounded: past the most it keeps, it starts over.
        let many: Vec<Arc<str>> = (0..=KNOWN_SCRIPTS_MAX)
            .map(|i| Arc::from(format!("{i:040}")))
            .collect();
        for s in &many {
            k.learn(s);
        }
        assert!(k.by_address.len() <= KNOWN_SCRIPTS_MAX);
        assert!(k.knows(&many[KNOWN_SCRIPTS_MAX]));
    }
}
