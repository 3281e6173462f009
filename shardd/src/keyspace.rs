//! The keyspace: every key of this shard, its value and its expiry time.
//!
//! Commands see the keyspace only through this API, so the table behind it
//! can change without touching them.
//!
//! Layout (the memory budget per key is in `keyspace/KEYSPACE.md`):
//! - One [`store::SlotStore`] per Redis Cluster slot, allocating on its
//!   first insert. A slot moves, counts and scans on its own, and the load
//!   factor averages out over 16384 small tables instead of jumping at one
//!   big resize.
//! - A store packs its entries in one byte arena (flags, optional expiry,
//!   clock, key, inline string or the collection's box pointer) and finds
//!   them, in a slot of at most 128 keys, through a list of tag bytes and
//!   2-byte offsets at the end of the arena's own block, else through a
//!   `hashbrown::HashTable` of 2-byte (past 64 KiB: 4-byte) offsets. No
//!   allocation per key: a 16+32-byte key costs its 54 bytes, a little
//!   arena slack and 3 bytes of index.
//! - The table hash is `ahash(key)` with the key's slot written into bits
//!   43..57 (bits hashbrown never uses for small tables: it probes with the
//!   low bits and tags with the top 7; the list tags with the low 8), so
//!   an expiry-index item `(time, hash)` finds its slot and key without
//!   storing the key.
//!
//! Expiry: lazily on every lookup (the expiry sits in the entry, so a GET
//! costs the same with or without TTLs: no second table), and actively by
//! [`Keyspace::active_expire_cycle`] through the [`expiry::ExpiryIndex`]
//! min-heap, with bounded work per call.
//!
//! Cost of a GET: CRC16 and ahash over the key, a scan of the slot's tags
//! (sixteen a compare; a probe of a small table past 128 keys), one cache
//! miss for the entry. No allocation.
//!
//! The layout, its costs, the expiry and SCAN guarantees and the limits are
//! written up in `keyspace/KEYSPACE.md`; measured with
//! `examples/keyspace_mem.rs`.

mod arena;
mod db;
pub mod defrag;
mod evict;
pub mod expiry;
mod offsets;
pub mod pack;
mod scan;
pub mod store;
#[cfg(test)]
mod tests;
mod value;

use self::{
    db::Db,
    store::{EntryMut, Lookup, Payload, SlotStore, Upserted},
};
pub use self::{
    db::{db_key, db_key_into, split_db_key, MoveError, DEFAULT_DATABASES, MAX_DATABASES},
    scan::{MemoryStats, ScanFilter, SCAN_CURSOR_LIMIT},
    store::INLINE_VALUE_MAX_BYTES,
    value::{marked_string_encoding, string_encoding, StrMark, Value, ValueMut, ValueRef},
};
use crate::{
    clock::{Clock, SystemClock},
    slot::{key_slot, SLOT_COUNT},
};

/// Lowest bit of the slot number inside a table hash.
const SLOT_SHIFT: u32 = 43;
const SLOT_MASK: u64 = (SLOT_COUNT as u64 - 1) << SLOT_SHIFT;

/// How a write treats the key's TTL.
#[derive(Clone, Copy)]
enum Ttl {
    /// Set this expiry (or none).
    Set(Option<u64>),
    /// Keep the expiry of a live previous value.
    Keep,
}

/// Whether a key is there, as [`Keyspace::presence`] sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Not held.
    Missing,
    /// Held and live.
    Live,
    /// Held, but its time has come (it goes at its next access).
    Expired,
}

/// All keys of one shard.
pub struct Keyspace {
    /// The selected database's keys (`db.rs`): the hot path reaches them
    /// with no indirection.
    db: Db,
    /// Every other database, by number (`None`: never used, or the
    /// selected one, which sits in `db`).
    dbs: Vec<Option<Box<Db>>>,
    /// The selected database's number.
    current: usize,
    /// An empty database's tables, kept for the next database selected
    /// that has none (`db.rs`).
    spare: Option<Box<Db>>,
    hasher: ahash::RandomState,
    expired_total: u64,
    /// Active expiry cycles that ended on their budget, items still due.
    expire_cap_reached: u64,
    /// Reads ([`Keyspace::get`]) that found their key, and that did not.
    hits: u64,
    misses: u64,
    clock: Box<dyn Clock>,
    /// The function libraries (FUNCTION LOAD), each as its code; kept
    /// here so that snapshots and the log carry them with the keys. The
    /// shard's Lua state compiles them (`crate::script`).
    functions: Vec<Vec<u8>>,
    /// Bumped at each change of `functions`.
    functions_gen: u64,
    /// Set by a blocking command that found nothing to pop
    /// ([`Keyspace::set_would_block`]).
    would_block: bool,
    /// Which key happenings to note (`common::notify::NEW`, `EXPIRED`,
    /// `KEY_MISS`; 0: none, the default, and no cost).
    track: u32,
    /// The end of a client pause, Unix ms (0: none): until then keys do
    /// not expire or get evicted ([`Keyspace::pause_expiry`]).
    paused_until_ms: u64,
    /// The noted happenings in order: (its `common::notify` class, its
    /// event name or "" for the class's own, key).
    noted: Vec<Noted>,
    /// What a command asked the loop to log instead of itself
    /// ([`Keyspace::log_as`]).
    log_as: Option<Vec<Vec<u8>>>,
    /// The arguments a blocking command waits with instead of its own
    /// ([`Keyspace::set_would_block_as`]).
    block_as: Option<Vec<Vec<u8>>>,
    /// Whether the request running is a blocked client's, run again.
    rerun: bool,
    /// Keys the write that just ran names but did not change
    /// ([`Keyspace::mark_unchanged`]).
    unchanged: Vec<Vec<u8>>,
    /// A key of another database than the selected one that the command
    /// that just ran wrote (MOVE, COPY ... DB), for WATCH and blocked
    /// clients ([`Keyspace::take_written_elsewhere`]).
    elsewhere: Option<(usize, Vec<u8>)>,
    /// "Now" while the log replays a command that ran at that time.
    pinned_now: Option<u64>,
    /// Keys' clocks and eviction (`evict.rs`).
    clocks: evict::Clocks,
    /// What blocked clients' pops answered, by the proxy's token, so a
    /// request sent again after a restart gets what was popped for it
    /// instead of popping twice or losing it (`crate::blocking`); the
    /// newest [`POPPED_KEEP`], rebuilt from the log.
    popped: std::collections::HashMap<u64, Vec<u8>>,
    popped_order: std::collections::VecDeque<u64>,
    /// Active defragmentation of the arenas (`defrag.rs`).
    pub defrag: defrag::Defrag,
}

/// Where a key lives ([`Keyspace::locate_key`]): computed once, used for a
/// lookup and then a store of the same key.
#[derive(Clone, Copy, Debug)]
pub struct Located {
    slot: usize,
    hash: u64,
}

/// A noted happening: its `common::notify` class, its event name or ""
/// for the class's own, the key and its database.
pub type Noted = (u32, &'static str, Vec<u8>, usize);

/// Pops remembered for requests sent again ([`Keyspace::remember_popped`]).
pub const POPPED_KEEP: usize = 1 << 16;

/// A key's value as it was ([`Keyspace::saved`]).
#[derive(Debug, Clone)]
pub struct Saved {
    value: Value,
    expire_at: Option<u64>,
    mark: StrMark,
}

impl Default for Keyspace {
    fn default() -> Self {
        Self::new()
    }
}

/// The table hash of `key` in `slot` (see the module docs).
fn table_hash(hasher: &ahash::RandomState, key: &[u8], slot: usize) -> u64 {
    (hasher.hash_one(key) & !SLOT_MASK) | ((slot as u64) << SLOT_SHIFT)
}

/// The slot a table hash belongs to.
fn slot_of_hash(hash: u64) -> usize {
    ((hash & SLOT_MASK) >> SLOT_SHIFT) as usize
}

impl Keyspace {
    /// An empty keyspace on the wall clock.
    pub fn new() -> Self {
        Self::with_clock(Box::new(SystemClock))
    }

    /// An empty keyspace on `clock` (tests inject a [`crate::clock::ManualClock`]).
    pub fn with_clock(clock: Box<dyn Clock>) -> Self {
        let mut ks = Keyspace {
            db: Db::default(),
            dbs: (0..db::DEFAULT_DATABASES).map(|_| None).collect(),
            current: 0,
            spare: None,
            hasher: ahash::RandomState::new(),
            expired_total: 0,
            expire_cap_reached: 0,
            hits: 0,
            misses: 0,
            clock,
            functions: Vec::new(),
            functions_gen: 0,
            would_block: false,
            track: 0,
            paused_until_ms: 0,
            noted: Vec::new(),
            log_as: None,
            block_as: None,
            rerun: false,
            unchanged: Vec::new(),
            pinned_now: None,
            elsewhere: None,
            clocks: evict::Clocks::default(),
            popped: Default::default(),
            popped_order: Default::default(),
            defrag: Default::default(),
        };
        // Keys loaded at start get today's clock, not 0 (which would make
        // them the idlest keys once the first round ticks).
        ks.tick(|| None);
        ks
    }

    /// The function libraries' codes, in load order (FLUSHALL keeps them,
    /// as Redis does).
    pub fn functions(&self) -> &[Vec<u8>] {
        &self.functions
    }

    /// Remembers that the blocked request of `token` popped and answered
    /// `reply`.
    pub fn remember_popped(&mut self, token: u64, reply: &[u8]) {
        if self.popped.insert(token, reply.to_vec()).is_none() {
            self.popped_order.push_back(token);
        }
        while self.popped_order.len() > POPPED_KEEP {
            if let Some(old) = self.popped_order.pop_front() {
                self.popped.remove(&old);
            }
        }
    }

    /// Every remembered pop (token, reply), oldest first.
    pub fn popped_entries(&self) -> impl Iterator<Item = (u64, &[u8])> {
        self.popped_order
            .iter()
            .filter_map(|t| self.popped.get(t).map(|r| (*t, r.as_slice())))
    }

    /// What the blocked request of `token` popped, if it did.
    pub fn popped_reply(&self, token: u64) -> Option<&[u8]> {
        self.popped.get(&token).map(Vec::as_slice)
    }

    /// Notes the key happenings of `classes` (new keys, expired keys,
    /// read misses) for keyspace notifications from now on.
    pub fn track(&mut self, classes: u32) {
        use common::notify::{EVICTED, EXPIRED, GENERIC, KEY_MISS, NEW, STREAM};
        self.track = classes & (NEW | EXPIRED | KEY_MISS | STREAM | EVICTED | GENERIC);
        if self.track == 0 {
            self.noted.clear();
        }
    }

    /// Takes the happenings noted since the last call, in order: (class,
    /// event name or "" for the class's own name, key).
    pub fn take_noted(&mut self) -> Vec<Noted> {
        std::mem::take(&mut self.noted)
    }

    fn note(&mut self, class: u32, key: &[u8]) {
        if self.track & class != 0 {
            self.noted.push((class, "", key.to_vec(), self.current));
        }
    }

    /// Notes event `name` of `class` on `key`, for the commands whose
    /// events depend on what they did (the stream commands).
    pub fn note_event(&mut self, class: u32, name: &'static str, key: &[u8]) {
        if self.track & class != 0 {
            self.noted.push((class, name, key.to_vec(), self.current));
        }
    }

    /// The command that just ran is to be logged as `cmds` (each a
    /// command; several make a group), not as it came: its effect depends
    /// on more than the keyspace (the clock, the node layout).
    pub fn log_as(&mut self, cmds: Vec<Vec<u8>>) {
        self.log_as = Some(cmds);
    }

    /// Takes what [`Keyspace::log_as`] set.
    pub fn take_log_as(&mut self) -> Option<Vec<Vec<u8>>> {
        self.log_as.take()
    }

    /// A blocking command found nothing and waits as `args` (XREAD's `$`
    /// made the id it stands for now).
    pub fn set_would_block_as(&mut self, args: Vec<Vec<u8>>) {
        self.would_block = true;
        self.block_as = Some(args);
    }

    /// Takes what [`Keyspace::set_would_block_as`] set.
    pub fn take_block_as(&mut self) -> Option<Vec<Vec<u8>>> {
        self.block_as.take()
    }

    /// The write that just ran did not change `key`, one of its keys
    /// (SMOVE of a member the destination held, DEL of a missing key among
    /// others): no WATCH, blocked client or event hears of it, as in Redis.
    pub fn mark_unchanged(&mut self, key: &[u8]) {
        self.unchanged.push(key.to_vec());
    }

    /// Whether `key` was marked unchanged by the write that just ran.
    pub fn is_unchanged(&self, key: &[u8]) -> bool {
        self.unchanged.iter().any(|k| k.as_slice() == key)
    }

    /// Forgets [`Keyspace::mark_unchanged`]'s keys.
    pub fn clear_unchanged(&mut self) {
        self.unchanged.clear();
    }

    /// Whether the command running is a blocked client's run again.
    pub fn is_rerun(&self) -> bool {
        self.rerun
    }

    /// Says whether the command about to run is a blocked client's run again.
    pub fn set_rerun(&mut self, rerun: bool) {
        self.rerun = rerun;
    }

    /// Makes "now" `at` (the log replaying a command that ran then) until
    /// called with `None`.
    pub fn pin_now(&mut self, at: Option<u64>) {
        self.pinned_now = at;
    }

    /// A blocking command found nothing to pop: a client's own command
    /// (not one inside MULTI or a script) waits instead of answering.
    pub fn set_would_block(&mut self) {
        self.would_block = true;
    }

    /// Whether a blocking command found nothing since the last call.
    pub fn take_would_block(&mut self) -> bool {
        std::mem::take(&mut self.would_block)
    }

    /// How many times the libraries changed (the Lua state reloads them
    /// when this moves).
    pub fn functions_gen(&self) -> u64 {
        self.functions_gen
    }

    /// Replaces the function libraries.
    pub fn set_functions(&mut self, libs: Vec<Vec<u8>>) {
        self.functions = libs;
        self.functions_gen += 1;
    }

    /// Now, in Unix milliseconds, by this keyspace's clock.
    pub fn now_ms(&self) -> u64 {
        match self.pinned_now {
            Some(t) => t,
            None => self.clock.now_ms(),
        }
    }

    /// Number of keys, counting ones that expired but were not yet removed
    /// (as Redis's DBSIZE does).
    pub fn len(&self) -> usize {
        self.db.len
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.db.len == 0
    }

    /// Keys removed by expiry since start.
    pub fn expired_total(&self) -> u64 {
        self.expired_total
    }

    /// Active expiry cycles whose budget ran out with items still due in
    /// the index (`expired_time_cap_reached_count`; a stale item, left by
    /// a key whose TTL changed, counts as due too).
    pub fn expire_cap_reached(&self) -> u64 {
        self.expire_cap_reached
    }

    /// Number of keys that have a TTL.
    pub fn ttl_keys(&self) -> usize {
        self.db.ttl_keys
    }

    /// Reads ([`Keyspace::get`], [`Keyspace::exists_read`]) that found
    /// their key and reads that did not, since start (`keyspace_hits`,
    /// `keyspace_misses`).
    pub fn lookups(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// Forgets the counters `CONFIG RESETSTAT` resets: lookups, expired
    /// keys, active expiry's and defragmentation's.
    pub fn reset_stats(&mut self) {
        self.hits = 0;
        self.misses = 0;
        self.expired_total = 0;
        self.expire_cap_reached = 0;
        self.defrag.reset_stats(self.clock.now_ms());
    }

    /// Where `key` lives: its slot and its table hash (CRC16 and ahash:
    /// what a lookup costs before it probes).
    pub fn locate_key(&self, key: &[u8]) -> Located {
        let (slot, hash) = self.locate(key);
        Located { slot, hash }
    }

    fn locate(&self, key: &[u8]) -> (usize, u64) {
        let slot = key_slot(key) as usize;
        (slot, table_hash(&self.hasher, key, slot))
    }

    /// The clock of `key`'s entry, without touching it.
    fn entry_clock(&mut self, key: &[u8]) -> Option<u32> {
        let touching = std::mem::replace(&mut self.clocks.touching, false);
        let c = self.live_mut(key).map(|e| e.clock());
        self.clocks.touching = touching;
        c
    }

    /// The live entry of `key`; removes it first if its time has come.
    fn live_mut(&mut self, key: &[u8]) -> Option<EntryMut<'_>> {
        self.lookup_live(key, false)
    }

    /// [`Keyspace::live_mut`], counting a hit or a miss when `read`.
    #[inline]
    fn lookup_live(&mut self, key: &[u8], read: bool) -> Option<EntryMut<'_>> {
        let at = self.locate_key(key);
        self.lookup_live_at(at, key, read)
    }

    /// Until `until_ms` (Unix ms; 0: no pause) keys neither expire nor
    /// get evicted, as Redis keeps the dataset still while clients are
    /// paused: the active cycle and eviction skip, and a read of an
    /// expired key answers it missing but leaves it (a write, which a
    /// pause holds at the proxy, still removes it first).
    pub fn pause_expiry(&mut self, until_ms: u64) {
        self.paused_until_ms = until_ms;
    }

    /// Whether a client pause keeps keys from expiring now.
    pub fn expiry_paused(&self) -> bool {
        self.paused_until_ms != 0 && self.clock.now_ms() < self.paused_until_ms
    }

    /// [`Keyspace::lookup_live`] at a known place.
    #[inline]
    fn lookup_live_at(&mut self, at: Located, key: &[u8], read: bool) -> Option<EntryMut<'_>> {
        if read && self.paused_until_ms != 0 && self.expired_while_paused(at, key) {
            self.misses += 1;
            if self.track & common::notify::KEY_MISS != 0 {
                self.noted
                    .push((common::notify::KEY_MISS, "", key.to_vec(), self.current));
            }
            return None;
        }
        let Located { slot, hash } = at;
        let hasher = &self.hasher;
        let clock = &self.clock;
        let store = &mut self.db.slots[slot];
        let rehash = |k: &[u8]| table_hash(hasher, k, slot);
        match store.lookup(hash, key, || clock.now_ms(), &rehash) {
            Lookup::Live(mut e) => {
                self.hits += read as u64;
                if self.clocks.touching {
                    let c = self.clocks.touched(e.clock());
                    e.set_clock(c);
                }
                Some(e)
            }
            Lookup::Missing => {
                self.misses += read as u64;
                if read && self.track & common::notify::KEY_MISS != 0 {
                    self.noted
                        .push((common::notify::KEY_MISS, "", key.to_vec(), self.current));
                }
                None
            }
            Lookup::Expired => {
                self.misses += read as u64;
                self.db.len -= 1;
                self.db.ttl_keys -= 1;
                self.expired_total += 1;
                if self.track & common::notify::EXPIRED != 0 {
                    self.noted
                        .push((common::notify::EXPIRED, "", key.to_vec(), self.current));
                }
                if read && self.track & common::notify::KEY_MISS != 0 {
                    self.noted
                        .push((common::notify::KEY_MISS, "", key.to_vec(), self.current));
                }
                None
            }
        }
    }

    /// Whether `key` is there, past its expiry, while a client pause
    /// keeps it ([`Keyspace::pause_expiry`]).
    #[cold]
    fn expired_while_paused(&self, at: Located, key: &[u8]) -> bool {
        if !self.expiry_paused() {
            return false;
        }
        let now = self.clock.now_ms();
        self.db.slots[at.slot]
            .get(at.hash, key)
            .and_then(|e| e.expire_at())
            .is_some_and(|t| t <= now)
    }

    /// The value of `key`, or `None` if it is missing or expired.
    #[inline]
    pub fn get(&mut self, key: &[u8]) -> Option<ValueRef<'_>> {
        self.lookup_live(key, true).map(|e| e.into_ref().value())
    }

    /// The value of `key` for in-place changes, or `None` if missing or expired.
    /// A caller that empties a collection must [`Keyspace::remove`] the key.
    pub fn get_mut(&mut self, key: &[u8]) -> Option<ValueMut<'_>> {
        self.live_mut(key).map(EntryMut::into_value_mut)
    }

    /// [`Keyspace::get_mut`] at `at`, [`Keyspace::locate_key`]'s answer for
    /// `key`: a write that creates the key when it is missing (HSET, SADD,
    /// ZADD) then inserts it with [`Keyspace::insert_at`], locating it once.
    pub fn get_mut_at(&mut self, at: Located, key: &[u8]) -> Option<ValueMut<'_>> {
        self.lookup_live_at(at, key, false)
            .map(EntryMut::into_value_mut)
    }

    /// The live entry of `key` for a read-modify-write (INCR's): looked up
    /// as a write (no hit or miss counted, no `keymiss` event, as Redis's
    /// `lookupKeyWrite`), its clock touched.
    /// `at` is [`Keyspace::locate_key`]'s answer for `key`, which the
    /// caller keeps to store a new value without locating it again.
    pub fn entry_for_write(&mut self, at: Located, key: &[u8]) -> Option<store::EntryMut<'_>> {
        self.lookup_live_at(at, key, false)
    }

    /// How the string at `key` was written ([`StrMark::Encoded`] if it is
    /// missing or not a string).
    pub fn str_mark(&mut self, key: &[u8]) -> StrMark {
        self.live_mut(key)
            .map_or(StrMark::Encoded, |e| e.into_ref().str_mark())
    }

    /// `f` of the key's value, expiry and string mark, in one lookup that
    /// counts no hit or miss (an undo image: the command that follows
    /// counts its own); `None` if it is missing.
    pub fn with_live<R>(
        &mut self,
        key: &[u8],
        f: impl FnOnce(ValueRef<'_>, Option<u64>, StrMark) -> R,
    ) -> Option<R> {
        let e = self.live_mut(key)?.into_ref();
        Some(f(e.value(), e.expire_at(), e.str_mark()))
    }

    /// The key's value, expiry and string mark, copied (one lookup), to
    /// put back with [`Keyspace::put_back`]; `None` if it is missing.
    pub fn saved(&mut self, key: &[u8]) -> Option<Saved> {
        self.with_live(key, |value, expire_at, mark| Saved {
            value: value.to_value(),
            expire_at,
            mark,
        })
    }

    /// Makes `key` what [`Keyspace::saved`] copied (missing for `None`).
    pub fn put_back(&mut self, key: &[u8], saved: Option<Saved>) {
        self.remove(key);
        if let Some(s) = saved {
            self.insert_with_expiry(key, s.value, s.expire_at);
            self.mark_str(key, s.mark);
        }
    }

    /// Records how the string at `key` was written (after the write; a new
    /// value starts as [`StrMark::Encoded`]). No effect on other types.
    pub fn mark_str(&mut self, key: &[u8], mark: StrMark) {
        if let Some(mut e) = self.live_mut(key) {
            e.set_str_mark(mark);
        }
    }

    /// An estimate of the bytes `key` takes (`MEMORY USAGE key SAMPLES
    /// samples`): its arena entry, its share of its slot's table, and what
    /// its value allocates (collections sample `samples` of their elements,
    /// all when 0); `None` if it does not exist.
    pub fn memory_usage(&mut self, key: &[u8], samples: usize) -> Option<usize> {
        let (slot, _) = self.locate(key);
        let table = self.db.slots[slot].table_bytes_per_key();
        let e = self.live_mut(key)?.into_ref();
        let value = value_heap_bytes(e.value(), samples);
        Some(e.arena_bytes() + table + value)
    }

    /// Whether `key` is held, and whether its time has come, without
    /// removing it (WATCH tells a key that is gone from one that is only
    /// logically expired, as Redis does).
    pub fn presence(&self, key: &[u8]) -> Presence {
        let (slot, hash) = self.locate(key);
        match self.db.slots[slot].get(hash, key) {
            None => Presence::Missing,
            Some(e) if e.expire_at().is_some_and(|t| t <= self.clock.now_ms()) => Presence::Expired,
            Some(_) => Presence::Live,
        }
    }

    /// Whether `key` exists (and has not expired).
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.live_mut(key).is_some()
    }

    /// [`Keyspace::exists`] as a client's read (EXISTS, TOUCH): a hit or a
    /// miss counted, a `keymiss` event for a missing key, as Redis's
    /// `lookupKeyRead` does; the internal checks use `exists`.
    pub fn exists_read(&mut self, key: &[u8]) -> bool {
        self.lookup_live(key, true).is_some()
    }

    /// Sets `key` to `value` and clears any TTL it had.
    pub fn insert(&mut self, key: &[u8], value: Value) {
        self.store(key, Payload::Value(value), Ttl::Set(None));
    }

    /// Sets `key` to `value` with an absolute expiry (or none).
    pub fn insert_with_expiry(&mut self, key: &[u8], value: Value, expire_at_ms: Option<u64>) {
        self.store(key, Payload::Value(value), Ttl::Set(expire_at_ms));
    }

    /// Sets `key` to `value`, keeping the TTL of a live previous value.
    pub fn insert_keep_ttl(&mut self, key: &[u8], value: Value) {
        self.store(key, Payload::Value(value), Ttl::Keep);
    }

    /// Sets `key` to the string `value` (copied once, straight into the
    /// slot's arena) and clears any TTL it had.
    pub fn insert_str(&mut self, key: &[u8], value: &[u8]) {
        self.store(key, Payload::Bytes(value), Ttl::Set(None));
    }

    /// Sets `key` to the string `value` with an absolute expiry (or none).
    pub fn insert_str_with_expiry(&mut self, key: &[u8], value: &[u8], expire_at_ms: Option<u64>) {
        self.store(key, Payload::Bytes(value), Ttl::Set(expire_at_ms));
    }

    /// Sets `key` to the string `value`, keeping the TTL of a live previous value.
    pub fn insert_str_keep_ttl(&mut self, key: &[u8], value: &[u8]) {
        self.store(key, Payload::Bytes(value), Ttl::Keep);
    }

    /// [`Keyspace::insert`] at `at`, [`Keyspace::locate_key`]'s answer for
    /// `key`.
    pub fn insert_at(&mut self, at: Located, key: &[u8], value: Value) {
        self.store_at(at, key, Payload::Value(value), Ttl::Set(None));
    }

    /// [`Keyspace::insert_str_keep_ttl`] at `at`, [`Keyspace::locate_key`]'s
    /// answer for `key`.
    pub fn insert_str_keep_ttl_at(&mut self, at: Located, key: &[u8], value: &[u8]) {
        self.store_at(at, key, Payload::Bytes(value), Ttl::Keep);
    }

    /// The one write path: resolves the expiry against any previous entry
    /// and puts the new one in its place.
    fn store(&mut self, key: &[u8], payload: Payload<'_>, ttl: Ttl) {
        let at = self.locate_key(key);
        self.store_at(at, key, payload, ttl);
    }

    /// [`Keyspace::store`] at a known place.
    #[inline]
    fn store_at(&mut self, at: Located, key: &[u8], payload: Payload<'_>, ttl: Ttl) {
        let Located { slot, hash } = at;
        let hasher = &self.hasher;
        let clock = &self.clock;
        let rehash = |k: &[u8]| table_hash(hasher, k, slot);
        let mut expired = false;
        let resolve = |old: Option<Option<u64>>| {
            let old = old.flatten();
            expired = old.is_some_and(|t| t <= clock.now_ms());
            match ttl {
                Ttl::Set(t) => t,
                Ttl::Keep if expired => None,
                Ttl::Keep => old,
            }
        };
        let store = &mut self.db.slots[slot];
        // Under LFU an overwritten key keeps its counter, as in Redis.
        let keep = self.clocks.ev.policy.is_lfu();
        let fresh = self.clocks.fresh();
        let Upserted { old, new } =
            store.upsert(hash, key, payload, resolve, (fresh, keep), &rehash);
        self.db.len += old.is_none() as usize;
        self.expired_total += expired as u64;
        if self.track != 0 {
            if expired {
                self.note(common::notify::EXPIRED, key);
            }
            if old.is_none() || expired {
                self.note(common::notify::NEW, key);
            }
        }
        let old_expiry = old.flatten();
        self.db.ttl_keys -= old_expiry.is_some() as usize;
        if let Some(t) = new {
            self.db.ttl_keys += 1;
            // Keeping the same time needs no new index item: the old one stands.
            if old_expiry != Some(t) || expired {
                self.db.expiry.push(t, hash);
                self.maybe_rebuild_expiry();
            }
        }
    }

    /// Removes `key`; returns its value if it was live.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        self.take_with_expiry(key).map(|(v, _)| v)
    }

    /// Removes `key` and returns its value (for GETDEL, RENAME, MOVE); the
    /// same as [`Keyspace::remove`].
    pub fn take(&mut self, key: &[u8]) -> Option<Value> {
        self.remove(key)
    }

    /// Removes `key`; true if it was live. Never copies the value.
    pub fn delete(&mut self, key: &[u8]) -> bool {
        let (slot, hash) = self.locate(key);
        let hasher = &self.hasher;
        let rehash = |k: &[u8]| table_hash(hasher, k, slot);
        let store = &mut self.db.slots[slot];
        let Some(old) = store.delete(hash, key, &rehash) else {
            return false;
        };
        self.forget(key, old)
    }

    /// Bookkeeping for removed `key` with expiry `old`; true if it was live.
    fn forget(&mut self, key: &[u8], old: Option<u64>) -> bool {
        self.db.len -= 1;
        if old.is_some() {
            self.db.ttl_keys -= 1;
        }
        if old.is_some_and(|t| t <= self.clock.now_ms()) {
            self.expired_total += 1;
            self.note(common::notify::EXPIRED, key);
            return false;
        }
        true
    }

    /// Removes `key` and returns its value and expiry (for RENAME, MOVE).
    pub fn take_with_expiry(&mut self, key: &[u8]) -> Option<(Value, Option<u64>)> {
        let (slot, hash) = self.locate(key);
        let hasher = &self.hasher;
        let rehash = |k: &[u8]| table_hash(hasher, k, slot);
        let store = &mut self.db.slots[slot];
        let (value, old) = store.take(hash, key, &rehash)?;
        self.forget(key, old).then_some((value, old))
    }

    /// `None` if `key` is missing; `Some(None)` if it has no TTL; else its
    /// absolute expiry in Unix milliseconds.
    pub fn expire_at(&mut self, key: &[u8]) -> Option<Option<u64>> {
        self.live_mut(key).map(|e| e.expire_at())
    }

    /// Sets the absolute expiry of a live `key`; false if it is missing.
    /// A time not after now deletes the key (as Redis does).
    pub fn set_expire_at(&mut self, key: &[u8], at_ms: u64) -> bool {
        if at_ms <= self.clock.now_ms() {
            return self.delete(key);
        }
        let Some(old) = self.set_expire_raw(key, Some(at_ms)) else {
            return false;
        };
        self.db.ttl_keys += old.is_none() as usize;
        let (_, hash) = self.locate(key);
        self.db.expiry.push(at_ms, hash);
        self.maybe_rebuild_expiry();
        true
    }

    /// Sets the expiry of a live key in its store; the old expiry, or `None`
    /// if the key is missing or expired.
    fn set_expire_raw(&mut self, key: &[u8], ttl: Option<u64>) -> Option<Option<u64>> {
        if !self.exists(key) {
            return None;
        }
        let (slot, hash) = self.locate(key);
        let hasher = &self.hasher;
        let rehash = |k: &[u8]| table_hash(hasher, k, slot);
        self.db.slots[slot].set_expire(hash, key, ttl, &rehash)
    }

    /// Removes the TTL of `key`; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        if self.set_expire_raw(key, None).flatten().is_none() {
            return false;
        }
        self.db.ttl_keys -= 1;
        true
    }

    /// Removes every key and frees every slot store.
    pub fn clear(&mut self) {
        for s in self.db.slots.iter_mut().filter(|s| !s.is_pristine()) {
            *s = SlotStore::default();
        }
        self.db.expiry.clear();
        self.db.len = 0;
        self.db.ttl_keys = 0;
    }

    /// Removes up to `budget` due keys, looking at no more than `budget`
    /// index items; returns how many keys it removed. A cycle that leaves
    /// keys due counts in [`Keyspace::expire_cap_reached`].
    pub fn active_expire_cycle(&mut self, budget: usize) -> usize {
        let now = self.clock.now_ms();
        let mut removed = 0;
        for _ in 0..budget {
            let Some((_, hash)) = self.db.expiry.pop_due(now) else {
                break;
            };
            let slot = slot_of_hash(hash);
            let hasher = &self.hasher;
            let rehash = |k: &[u8]| table_hash(hasher, k, slot);
            let store = &mut self.db.slots[slot];
            let track = self.track & common::notify::EXPIRED != 0;
            let noted = &mut self.noted;
            let db = self.current;
            let due = |e: store::EntryRef<'_>| {
                let due = e.expire_at().is_some_and(|t| t <= now) && rehash(e.key()) == hash;
                if due && track {
                    noted.push((common::notify::EXPIRED, "", e.key().to_vec(), db));
                }
                due
            };
            let n = store.remove_where(hash, due, &rehash);
            self.db.len -= n;
            self.db.ttl_keys -= n;
            self.expired_total += n as u64;
            removed += n;
        }
        // The budget ran out with keys still due.
        self.expire_cap_reached += u64::from(self.db.expiry.has_due(now));
        removed
    }

    fn maybe_rebuild_expiry(&mut self) {
        if !self.db.expiry.needs_rebuild(self.db.ttl_keys) {
            return;
        }
        let mut items = Vec::with_capacity(self.db.ttl_keys);
        for (slot, store) in self.db.slots.iter().enumerate() {
            for e in store.iter() {
                if let Some(t) = e.expire_at() {
                    items.push((t, table_hash(&self.hasher, e.key(), slot)));
                }
            }
        }
        self.db.expiry.rebuild(items);
    }

    /// Every slot store.
    fn stores(&self) -> impl Iterator<Item = &SlotStore> {
        self.db.slots.iter()
    }

    /// Calls `f` with every live key of the selected database, its expiry
    /// and its value (order unspecified), stopping at the first error.
    pub fn try_for_each_entry<E>(
        &self,
        f: impl FnMut(&[u8], Option<u64>, ValueRef<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.try_for_each_entry_of(self.current, f)
    }

    /// [`Keyspace::try_for_each_entry`] over database `n` (snapshots).
    pub fn try_for_each_entry_of<E>(
        &self,
        n: usize,
        mut f: impl FnMut(&[u8], Option<u64>, ValueRef<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some(db) = self.db_ref(n) else {
            return Ok(());
        };
        let now = self.clock.now_ms();
        for e in db.slots.iter().flat_map(SlotStore::iter) {
            if e.expire_at().is_none_or(|t| t > now) {
                f(e.key(), e.expire_at(), e.value())?;
            }
        }
        Ok(())
    }

    /// Calls `f` with every key of `slot` in the selected database, live
    /// or expired but not yet removed (a slot move, `crate::slots`).
    pub fn for_each_in_slot(&self, slot: u16, mut f: impl FnMut(&[u8])) {
        if let Some(store) = self.db.slots.get(slot as usize) {
            for e in store.iter() {
                f(e.key());
            }
        }
    }

    /// Calls `f` with every live key (order unspecified).
    pub fn for_each_key(&self, mut f: impl FnMut(&[u8], ValueRef<'_>)) {
        let now = self.clock.now_ms();
        for e in self.stores().flat_map(SlotStore::iter) {
            if e.expire_at().is_none_or(|t| t > now) {
                f(e.key(), e.value());
            }
        }
    }
}

/// The heap bytes `v` holds beyond its entry: a boxed string's bytes, or a
/// collection's object and what it allocated (sampling `samples` elements,
/// all when 0), as `MEMORY USAGE` counts them.
pub(crate) fn value_heap_bytes(v: ValueRef<'_>, samples: usize) -> usize {
    use std::mem::size_of;

    use crate::types::{alloc_size, stream::StreamObj};
    match v {
        ValueRef::Str(s) if s.len() > store::INLINE_VALUE_MAX_BYTES => alloc_size(s.len()),
        ValueRef::Str(_) => 0,
        ValueRef::Hash(h) => h.heap_bytes(samples),
        ValueRef::List(l) => l.heap_bytes(samples),
        ValueRef::Set(s) => s.heap_bytes(samples),
        ValueRef::ZSet(z) => z.heap_bytes(samples),
        ValueRef::Stream(x) => alloc_size(size_of::<StreamObj>()) + x.heap_bytes(samples),
    }
}
