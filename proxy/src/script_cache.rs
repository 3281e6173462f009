//! The script cache (EVAL, SCRIPT LOAD, EVALSHA): sha to body, shared by
//! the proxy's workers, lost when the proxy restarts as Redis's is; and
//! which scripts reached keys outside their shard (they run as
//! transactions over several shards, `crate::script`).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// The proxy's script cache.
#[derive(Default)]
pub struct Cache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    scripts: HashMap<String, Entry>,
}

/// A cached script.
#[derive(Clone)]
pub struct Entry {
    /// Its sha (lowercase hex).
    pub sha: Arc<str>,
    /// Its body.
    pub body: Arc<[u8]>,
    /// It reached keys outside its shard: it runs as a transaction.
    pub(crate) stray: bool,
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
            .entry(sha)
            .or_insert_with_key(|sha| Entry {
                sha: Arc::from(sha.as_str()),
                body: Arc::from(body),
                stray: false,
            })
            .clone()
    }

    /// Script `sha` (any case), if cached.
    pub fn get(&self, sha: &[u8]) -> Option<Entry> {
        let sha = std::str::from_utf8(sha).ok()?;
        let c = self.lock();
        match c.scripts.get(sha) {
            Some(e) => Some(e.clone()),
            None if sha.bytes().any(|b| b.is_ascii_uppercase()) => {
                c.scripts.get(&sha.to_ascii_lowercase()).cloned()
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

    pub(crate) fn mark_stray(&self, sha: &str) {
        if let Some(e) = self.lock().scripts.get_mut(sha) {
            e.stray = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
