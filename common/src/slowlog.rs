//! The slow log (`SLOWLOG GET|LEN|RESET`): commands that ran for at least
//! `slowlog-log-slower-than` microseconds, newest first, at most
//! `slowlog-max-len` of them.
//!
//! Every process keeps its own: each shard logs the commands it ran, the
//! proxy the ones it answered itself. A shard's entry names its client by
//! the id the proxy put in the request record; the proxy, which knows the
//! clients, puts the address and name in when it merges the logs
//! ([`merge_newest`]) into one, newest first, with ids made unique across
//! the processes (`local id × processes + process index`).
//!
//! Entries keep at most [`ENTRY_ARGC_MAX`] arguments and
//! [`ENTRY_STRING_MAX_BYTES`] bytes of each, with Redis's markers for what
//! was cut (`... (N more arguments)`, `... (N more bytes)`). Logging
//! allocates (the entry's copy of its arguments), but only for a command
//! that was slow.

use std::collections::VecDeque;

use crate::{reply::Reply, resp_value::Value};

/// Most arguments an entry keeps (the last one then says how many more
/// there were).
pub const ENTRY_ARGC_MAX: usize = 32;
/// Most bytes an entry keeps of one argument.
pub const ENTRY_STRING_MAX_BYTES: usize = 128;

/// One logged command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlowEntry {
    /// Id in the log that holds it (increasing).
    pub id: u64,
    /// When it finished, microseconds since the Unix epoch.
    pub time_us: u64,
    /// How long it ran, microseconds.
    pub duration_us: u64,
    /// Its arguments, name first, cut as Redis cuts them.
    pub args: Vec<Vec<u8>>,
    /// The client's id (`CLIENT ID`), 0 if unknown.
    pub client: u64,
    /// The client's address and name when the process that logged the
    /// entry knows them (the proxy); empty otherwise (a shard: the proxy
    /// fills them in by `client` when it merges).
    pub addr: Vec<u8>,
    /// The client's name (`CLIENT SETNAME`), or empty.
    pub name: Vec<u8>,
}

/// Who ran a command, as a slow log entry records it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Client<'a> {
    /// `CLIENT ID` (0: unknown).
    pub id: u64,
    /// `ip:port`, if known here.
    pub addr: &'a [u8],
    /// `CLIENT SETNAME`, if known here.
    pub name: &'a [u8],
}

/// `argv` as an entry keeps it.
pub fn entry_args<A: AsRef<[u8]>>(argv: &[A]) -> Vec<Vec<u8>> {
    let keep = argv.len().min(ENTRY_ARGC_MAX);
    let mut out = Vec::with_capacity(keep);
    for (i, a) in argv.iter().take(keep).enumerate() {
        let a = a.as_ref();
        if keep < argv.len() && i == keep - 1 {
            let more = argv.len() - keep + 1;
            out.push(format!("... ({more} more arguments)").into_bytes());
        } else if a.len() > ENTRY_STRING_MAX_BYTES {
            let mut s = a[..ENTRY_STRING_MAX_BYTES].to_vec();
            let more = a.len() - ENTRY_STRING_MAX_BYTES;
            s.extend_from_slice(format!("... ({more} more bytes)").as_bytes());
            out.push(s);
        } else {
            out.push(a.to_vec());
        }
    }
    out
}

/// One process's slow log, newest entry first.
#[derive(Debug, Default)]
pub struct SlowLog {
    entries: VecDeque<SlowEntry>,
    next_id: u64,
}

impl SlowLog {
    /// An empty log.
    pub fn new() -> SlowLog {
        SlowLog::default()
    }

    /// Logs `argv` if it ran `duration_us` or longer than `slower_than_us`
    /// (negative: the log is off), then keeps the newest `max_len`.
    pub fn record<A: AsRef<[u8]>>(
        &mut self,
        argv: &[A],
        duration_us: u64,
        client: Client<'_>,
        slower_than_us: i64,
        max_len: u64,
    ) {
        if slower_than_us < 0 {
            return;
        }
        if duration_us >= slower_than_us as u64 {
            self.entries.push_front(SlowEntry {
                id: self.next_id,
                time_us: now_us(),
                duration_us,
                args: entry_args(argv),
                client: client.id,
                addr: client.addr.to_vec(),
                name: client.name.to_vec(),
            });
            self.next_id += 1;
        }
        self.trim(max_len);
    }

    /// Drops the oldest entries past `max_len`.
    pub fn trim(&mut self, max_len: u64) {
        let max = usize::try_from(max_len).unwrap_or(usize::MAX);
        self.entries.truncate(max);
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every entry (ids keep increasing, as in Redis).
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// The newest `count` entries, newest first.
    pub fn newest(&self, count: usize) -> impl Iterator<Item = &SlowEntry> {
        self.entries.iter().take(count)
    }
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Writes entries as a shard sends them to the proxy: an array of
/// `[id, time_us, duration_us, [args...], client]`.
pub fn write_wire(r: &mut Reply, entries: &[&SlowEntry]) {
    r.array(entries.len());
    for e in entries {
        r.array(5);
        r.int(e.id as i64);
        r.int(e.time_us as i64);
        r.int(e.duration_us as i64);
        r.array(e.args.len());
        for a in &e.args {
            r.bulk(a);
        }
        r.int(e.client as i64);
    }
}

/// Reads what [`write_wire`] wrote; `None` if it is something else.
pub fn parse_wire(v: &Value<'_>) -> Option<Vec<SlowEntry>> {
    let mut out = Vec::new();
    for e in v.as_array()? {
        let f = e.as_array()?;
        let [id, time, duration, args, client] = f else {
            return None;
        };
        let args = args
            .as_array()?
            .iter()
            .map(|a| a.as_bytes().map(<[u8]>::to_vec))
            .collect::<Option<Vec<_>>>()?;
        out.push(SlowEntry {
            id: u64::try_from(id.as_int()?).ok()?,
            time_us: u64::try_from(time.as_int()?).ok()?,
            duration_us: u64::try_from(duration.as_int()?).ok()?,
            args,
            client: u64::try_from(client.as_int()?).ok()?,
            addr: Vec::new(),
            name: Vec::new(),
        });
    }
    Some(out)
}

/// The newest `count` entries of several logs (`sources[i]` is process
/// `i`'s, newest first), newest first, each with its id made unique:
/// `id × sources + i`.
pub fn merge_newest(sources: Vec<Vec<SlowEntry>>, count: usize) -> Vec<(u64, SlowEntry)> {
    let n = sources.len() as u64;
    let mut all: Vec<(u64, SlowEntry)> = sources
        .into_iter()
        .enumerate()
        .flat_map(|(i, es)| {
            es.into_iter()
                .map(move |e| (e.id.saturating_mul(n).saturating_add(i as u64), e))
        })
        .collect();
    all.sort_by_key(|e| std::cmp::Reverse((e.1.time_us, e.0)));
    all.truncate(count);
    all
}

/// Writes one entry as `SLOWLOG GET` shows it: `[id, unix time, duration
/// µs, [args...], client address, client name]`.
pub fn write_entry(r: &mut Reply, id: u64, e: &SlowEntry) {
    r.array(6);
    r.int(id as i64);
    r.int((e.time_us / 1_000_000) as i64);
    r.int(e.duration_us as i64);
    r.array(e.args.len());
    for a in &e.args {
        r.bulk(a);
    }
    r.bulk(&e.addr);
    r.bulk(&e.name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{reply::Proto, resp_value};

    #[test]
    fn long_commands_and_long_arguments_are_cut_as_redis_cuts_them() {
        let many: Vec<Vec<u8>> = (0..35).map(|i| i.to_string().into_bytes()).collect();
        let argv: Vec<&[u8]> = many.iter().map(Vec::as_slice).collect();
        let args = entry_args(&argv);
        assert_eq!(args.len(), 32);
        assert_eq!(args[30], b"30");
        assert_eq!(args[31], b"... (4 more arguments)");
        let long = vec![b'A'; 129];
        let args = entry_args(&[&b"sadd"[..], b"set", &long]);
        assert_eq!(args[2].len(), 128 + "... (1 more bytes)".len());
        assert!(args[2].ends_with(b"A... (1 more bytes)"));
        assert_eq!(entry_args(&[&b"get"[..], &[b'x'; 128]])[1].len(), 128);
    }

    #[test]
    fn the_log_keeps_the_newest_and_can_be_turned_off() {
        let mut log = SlowLog::new();
        let who = Client {
            id: 7,
            addr: b"127.0.0.1:5000",
            name: b"app",
        };
        for i in 0..5u64 {
            log.record(&[b"ping"], i, who, 0, 3);
        }
        assert_eq!(log.len(), 3);
        let ids: Vec<u64> = log.newest(10).map(|e| e.id).collect();
        assert_eq!(ids, [4, 3, 2]);
        log.record(&[b"ping"], 5, who, 10, 3);
        assert_eq!(log.len(), 3, "faster than the threshold");
        log.record(&[b"ping"], 1_000_000, who, -1, 3);
        assert_eq!(log.newest(1).next().map(|e| e.id), Some(4), "off");
        log.trim(1);
        assert_eq!(log.len(), 1);
        log.reset();
        assert!(log.is_empty());
        log.record(&[b"ping"], 0, who, 0, 3);
        let e = log.newest(1).next().expect("an entry");
        assert_eq!((e.id, e.name.as_slice()), (5, &b"app"[..]));
    }

    #[test]
    fn logs_travel_and_merge_newest_first_with_unique_ids() {
        let mut a = SlowLog::new();
        let who = Client {
            id: 3,
            ..Client::default()
        };
        a.record(&[&b"set"[..], b"k", b"v"], 12, who, 0, 10);
        let mut buf = Vec::new();
        write_wire(
            &mut Reply::new(&mut buf, Proto::Resp2),
            &a.newest(10).collect::<Vec<_>>(),
        );
        let (v, _) = resp_value::parse(&buf).expect("a value");
        let back = parse_wire(&v).expect("entries");
        assert_eq!(back, a.newest(10).cloned().collect::<Vec<_>>());
        let e = |id, time_us| SlowEntry {
            id,
            time_us,
            duration_us: 1,
            args: vec![],
            client: 0,
            addr: vec![],
            name: vec![],
        };
        let merged = merge_newest(vec![vec![e(1, 30), e(0, 10)], vec![e(0, 20)]], 2);
        let ids: Vec<u64> = merged.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [2, 1]);
    }
}
