//! What the proxy tells a shard besides a command's arguments: the request
//! header's flags and command id (the `kind` field of `shared_ring::msg`),
//! the command table both must share (checked at attach), and the settings
//! it passes to the shards it starts or changes in them at run time
//! ([`SHARD_SETTINGS`], sent with `SHARDD.CONFIG epoch seq name value ...`
//! and given to a started shard as `--config name=value`).

use crate::table::{Cmd, TABLE_FINGERPRINT};

/// The word a shard puts in its attach hello's `info` to say which command
/// table its ids come from.
pub fn table_tag() -> String {
    format!("table={TABLE_FINGERPRINT:016x}")
}

/// A shard's answer to a client's blocked command whose key's slot moved
/// to another shard while it waited (`shardd::slots`): the proxy sends the
/// command again to the new owner; a client never sees it.
pub const SLOT_MOVED: &[u8] = b"-TRYAGAIN shardis: the key's slot moved to another shard\r\n";

/// The slots a shard's hello `info` says it owns (`slots=RANGES`):
/// `Some(None)` when it does not know (`slots=?`), `None` when it says
/// nothing (a shard from before slot moves).
pub fn shard_slots(info: &[u8]) -> Option<Option<crate::slotset::SlotSet>> {
    let word = info
        .split(|&b| b == b' ')
        .find_map(|w| w.strip_prefix(b"slots="))?;
    Some(crate::slotset::SlotSet::parse(word))
}

/// The shard id a shard's hello `info` gives (`id=N`), if any.
pub fn shard_id(info: &[u8]) -> Option<usize> {
    info.split(|&b| b == b' ')
        .find_map(|w| w.strip_prefix(b"id="))
        .and_then(|n| std::str::from_utf8(n).ok()?.parse().ok())
}

/// Whether a shard's hello `info` names the same command table as ours (a
/// proxy must not send ids to a shard that reads them differently).
pub fn same_table(info: &[u8]) -> bool {
    let tag = table_tag();
    info.split(|&b| b == b' ').any(|w| w == tag.as_bytes())
}

/// Bytes of the argument that heads each command of a transaction record
/// (`SHARDD.TX`): the command's id (`u16`) and its argument count, name
/// included (`u32`), little-endian.
pub const TX_CMD_HEADER_BYTES: usize = 6;

/// The head argument of one command inside a `SHARDD.TX` request.
pub fn tx_cmd_header(id: Cmd, argc: usize) -> [u8; TX_CMD_HEADER_BYTES] {
    let mut h = [0u8; TX_CMD_HEADER_BYTES];
    h[..2].copy_from_slice(&(id as u16).to_le_bytes());
    h[2..].copy_from_slice(&(argc as u32).to_le_bytes());
    h
}

/// The commands framed in `args` (what follows a `SHARDD.TX` request's
/// fixed arguments): each head argument, then that many arguments. Yields
/// `None` once if the framing is broken (a wrong head, too few arguments)
/// and stops.
pub fn tx_commands<'a, 'b>(args: &'a [&'b [u8]]) -> TxCommands<'a, 'b> {
    TxCommands { rest: args }
}

/// Iterator of [`tx_commands`].
pub struct TxCommands<'a, 'b> {
    rest: &'a [&'b [u8]],
}

impl<'a, 'b> Iterator for TxCommands<'a, 'b> {
    type Item = Option<(Cmd, &'a [&'b [u8]])>;

    fn next(&mut self) -> Option<Self::Item> {
        let (head, rest) = self.rest.split_first()?;
        let parsed = (head.len() == TX_CMD_HEADER_BYTES)
            .then(|| {
                let id = Cmd::from_u16(u16::from_le_bytes([head[0], head[1]]))?;
                let argc = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
                Some((id, rest.get(..argc)?, argc))
            })
            .flatten();
        match parsed {
            Some((id, cmd, argc)) if argc > 0 => {
                self.rest = &rest[argc..];
                Some(Some((id, cmd)))
            }
            _ => {
                self.rest = &[];
                Some(None)
            }
        }
    }
}

/// Request flag set by the proxy on commands the table marks as writes:
/// the shard appends them to its log.
pub const REQ_FLAG_WRITE: u8 = 1;

/// Request flag set by the proxy on the parts of a command sent to several
/// shards (split per shard or fanned out), except the first: the shard adds
/// the part's time to the command's but does not count another call.
pub const REQ_FLAG_PART: u8 = 2;

/// Request flag set by the proxy on a command that runs inside a
/// transaction over several shards: the header's origin is then the
/// transaction's id, not a client's. The shard runs it under the
/// transaction's locks, keeps undo images of the keys it writes and logs
/// its effects only when the transaction prepares or commits
/// (`shardd/TRANSACTIONS.md`).
pub const REQ_FLAG_TX: u8 = 4;

/// Request flag set by the proxy on a client's own blocking command
/// (BLPOP, BZPOPMIN, `SHARDD.BWAIT`...) outside MULTI: a shard that finds
/// nothing to pop keeps the request and answers it when a key it waits on
/// gets an element, or when `SHARDD.UNBLOCK` cancels it
/// (`shardd/src/blocking.rs`). Without it the command answers at once.
pub const REQ_FLAG_BLOCK: u8 = 8;

/// Request flag set by the proxy on the steps of its own machinery (the
/// copies a transaction over several shards reads, writes and drops):
/// the shard sends no keyspace events for them (`common::notify`).
pub const REQ_FLAG_QUIET: u8 = 16;

/// With [`REQ_FLAG_BLOCK`]: a pop that finds nothing answers its null at
/// once instead of waiting, but one that pops is remembered by its token
/// as a blocked pop is (sent again after a restart of the shard, it gets
/// what it popped). The proxy's first try of a pop over several shards
/// (`proxy/src/block.rs`).
pub const REQ_FLAG_NOPARK: u8 = 32;

/// Request flag set by the proxy on a read-only command of a client that
/// tracks the keys it reads (`CLIENT TRACKING on`, not `BCAST`): the shard
/// remembers that the client (the header's origin) may cache the keys the
/// command read, and tells the proxy when one of them changes
/// (`shardd/src/tracking.rs`). A script remembers its declared keys if it
/// called a read-only command.
pub const REQ_FLAG_TRACK: u8 = 64;

/// The `CONFIG` parameters every shard applies, with their default values
/// as `CONFIG GET` shows them. The proxy sends a change to every shard
/// (`SHARDD.CONFIG epoch seq name value ...`, primary names only, values as
/// `CONFIG GET` shows them) and starts every shard with the values in force
/// (`--config name=value`); both sides' tests check they agree with this
/// list. `appendonly` and `appendfsync` are also the shard's own
/// `--appendonly` and `--appendfsync` flags.
pub const SHARD_SETTINGS: &[(&str, &str)] = &[
    ("appendonly", "yes"),
    ("appendfsync", "everysec"),
    ("save", ""),
    ("notify-keyspace-events", ""),
    ("tracking-table-max-keys", "1000000"),
    ("auto-aof-rewrite-percentage", "100"),
    ("auto-aof-rewrite-min-size", "67108864"),
    ("proto-max-bulk-len", "536870912"),
    ("slowlog-log-slower-than", "10000"),
    ("slowlog-max-len", "128"),
    ("latency-monitor-threshold", "0"),
    ("hash-max-listpack-entries", "512"),
    ("hash-max-listpack-value", "64"),
    ("set-max-intset-entries", "512"),
    ("set-max-listpack-entries", "128"),
    ("set-max-listpack-value", "64"),
    ("zset-max-listpack-entries", "128"),
    ("zset-max-listpack-value", "64"),
    ("maxmemory", "0"),
    ("maxmemory-policy", "noeviction"),
    ("maxmemory-samples", "5"),
    ("lfu-log-factor", "10"),
    ("lfu-decay-time", "1"),
    ("stream-node-max-bytes", "4096"),
    ("stream-node-max-entries", "100"),
    ("list-max-listpack-size", "-2"),
    ("hll-sparse-max-bytes", "3000"),
    ("databases", "16"),
    ("activedefrag", "yes"),
    ("active-defrag-threshold-lower", "10"),
    ("active-defrag-ignore-bytes", "1048576"),
];

/// When the log is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Before replying to a batch that wrote (group commit).
    Always,
    /// Once a second in the background.
    EverySec,
    /// When the kernel writes back.
    No,
}

impl Fsync {
    /// Parses `always|everysec|no` (any case).
    pub fn parse(s: &str) -> Option<Fsync> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::EverySec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }

    /// The name `CONFIG GET appendfsync` shows.
    pub fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::EverySec => "everysec",
            Fsync::No => "no",
        }
    }
}

/// The start of a shard's answer to a script or a SORT that reached keys
/// it may not read there (another shard's, or held by a transaction over
/// several shards): `-SHARDIS.STRAY` then each key as `x` and its bytes
/// in hex, space separated (none: the shard knows the script strays), and
/// each pattern a script asked every shard's keys of (KEYS, SCAN,
/// DBSIZE, RANDOMKEY or FLUSHDB with several shards) as `p` and its bytes in hex. The
/// proxy runs the command again as a transaction with those keys too, and
/// those patterns' keys of every shard; a client never sees it.
pub const STRAY: &[u8] = b"-SHARDIS.STRAY";

// The flags argument of `SHARDD.EVAL` (the proxy sets them, the shard's
// `script` module reads them).

/// `SHARDD.EVAL` flag: the script may not write (EVAL_RO, EVALSHA_RO).
pub const EVAL_READ_ONLY: u8 = 1;
/// `SHARDD.EVAL` flag: compile the script (and keep it) without running
/// it, answering `+OK` or the compile error (SCRIPT LOAD).
pub const EVAL_COMPILE_ONLY: u8 = 2;
/// `SHARDD.EVAL` flag: the client sent EVALSHA (for its statistics).
pub const EVAL_BY_SHA: u8 = 4;
/// `SHARDD.EVAL` flag: FCALL (or FCALL_RO with [`EVAL_READ_ONLY`]): `sha`
/// is the function's name and `body` is empty.
pub const EVAL_FUNCTION: u8 = 8;
/// `SHARDD.EVAL` flag: the caller's user is restricted: its name and its
/// rules (`common::acl::User::describe`) follow the flags, and every
/// `redis.call` is checked against them, as Redis checks a script's
/// calls as its caller.
pub const EVAL_ACL: u8 = 16;
/// `SHARDD.EVAL` flag: writes are refused for want of replicas
/// (`min-replicas-to-write`; shardis has none): a script that declares
/// writes does not run, and a write call fails with `NOREPLICAS`.
pub const EVAL_NO_REPLICAS: u8 = 32;

/// `SHARDD.EVAL` flag: a client monitors; each command the script runs
/// rides on the reply for it (`common::notify::push_monitor`).
pub const EVAL_MONITOR: u8 = 64;
/// `SHARDD.EVAL` flag: the body is left out (an EVALSHA of a script the
/// proxy saw this shard compile): run the script compiled for the sha,
/// or answer NOSCRIPT if there is none (flushed since).
pub const EVAL_NO_BODY: u8 = 128;
/// `SHARDD.EVAL` flag (past the low byte the others use): the run is
/// inside a transaction holding every shard whole, and after the listed
/// keys come `nswept pattern... elsewhere`: the patterns whose keys of
/// every shard are listed (copied here), so that KEYS, SCAN, DBSIZE,
/// RANDOMKEY and FLUSHDB of a swept pattern run here as over one
/// keyspace, and the number of keys on the other shards that are not
/// listed (`-` when not counted), which DBSIZE adds to this shard's
/// (`proxy/src/xtx/sweep.rs`).
pub const EVAL_SWEPT: u16 = 256;
/// `SHARDD.EVAL` flag (past the low byte): the call goes out pipelined
/// with its client's later requests (`proxy/src/script.rs`). If it
/// strays, the shard holds every later request of that client, in
/// order and unrun, until the proxy has run it again over several shards
/// and sends `SHARDD.UNFENCE client` (`shardd/src/xtx/fence.rs`): the
/// client's commands keep their order.
pub const EVAL_FENCE: u16 = 512;

/// The [`STRAY`] reply naming `keys`.
pub fn stray_reply<'k>(keys: impl IntoIterator<Item = &'k [u8]>) -> Vec<u8> {
    stray_reply_with(keys, std::iter::empty(), false)
}

/// The [`STRAY`] reply naming `keys`, the patterns `sweeps` whose keys of
/// every shard the script needs, and (`count`, a lone `c`) whether it
/// needs the number of keys on the other shards (DBSIZE).
pub fn stray_reply_with<'k>(
    keys: impl IntoIterator<Item = &'k [u8]>,
    sweeps: impl IntoIterator<Item = &'k [u8]>,
    count: bool,
) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = STRAY.to_vec();
    let tagged = keys
        .into_iter()
        .map(|k| (b'x', k))
        .chain(sweeps.into_iter().map(|p| (b'p', p)))
        .chain(count.then_some((b'c', &b""[..])));
    for (tag, k) in tagged {
        out.push(b' ');
        out.push(tag);
        for &b in k {
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 15)]);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// What a [`STRAY`] reply names.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Strays {
    /// The keys the command reached (empty: the script is known to
    /// stray).
    pub keys: Vec<Vec<u8>>,
    /// The patterns whose keys of every shard a script asked for.
    pub sweeps: Vec<Vec<u8>>,
    /// A script asked for the number of keys of every shard (DBSIZE).
    pub count: bool,
}

impl Strays {
    /// Whether it asks for anything of every shard (patterns or the count).
    pub fn sweeping(&self) -> bool {
        self.count || !self.sweeps.is_empty()
    }
}

/// What a [`STRAY`] reply names, or `None` for any other reply.
pub fn stray_parts(reply: &[u8]) -> Option<Strays> {
    let rest = reply.strip_prefix(STRAY)?;
    let line = rest.strip_suffix(b"\r\n")?;
    if !line.is_empty() && line[0] != b' ' {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Strays::default();
    for w in line.split(|&c| c == b' ').filter(|w| !w.is_empty()) {
        let (tag, hex) = w.split_first()?;
        let bytes = hex
            .chunks(2)
            .map(|p| match p {
                [h, l] => Some(digit(*h)? << 4 | digit(*l)?),
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()?;
        match tag {
            b'x' => out.keys.push(bytes),
            b'p' => out.sweeps.push(bytes),
            b'c' if bytes.is_empty() => out.count = true,
            _ => return None,
        }
    }
    Some(out)
}

/// The keys a [`STRAY`] reply names (empty: the script is known to
/// stray), or `None` for any other reply. For SORT, which never asks for
/// patterns; scripts read [`stray_parts`].
pub fn strays_of(reply: &[u8]) -> Option<Vec<Vec<u8>>> {
    stray_parts(reply).map(|s| s.keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stray_replies_carry_any_key() {
        let keys: [&[u8]; 3] = [b"k1", b"", b"a b\r\n\xff"];
        let r = stray_reply(keys);
        assert!(r.starts_with(STRAY) && r.ends_with(b"\r\n"));
        assert_eq!(r.iter().filter(|&&c| c == b'\n').count(), 1);
        let back = strays_of(&r).unwrap_or_default();
        assert_eq!(back, keys.iter().map(|k| k.to_vec()).collect::<Vec<_>>());
        assert_eq!(strays_of(b"-SHARDIS.STRAY\r\n"), Some(Vec::new()));
        assert_eq!(strays_of(b"-SHARDIS.STRAYX\r\n"), None);
        assert_eq!(strays_of(b"-SHARDIS.STRAY x6\r\n"), None);
        assert_eq!(strays_of(b"-ERR x\r\n"), None);
        assert_eq!(strays_of(b"$1\r\nx\r\n"), None);
        assert_eq!(strays_of(b"-SHARDIS.STRAY q61\r\n"), None);
        assert_eq!(strays_of(b"-SHARDIS.STRAY \r\n"), Some(Vec::new()));
    }

    #[test]
    fn stray_replies_carry_patterns_after_keys() {
        let keys: [&[u8]; 2] = [b"k", b"p"];
        let sweeps: [&[u8]; 2] = [b"job:*", b"*"];
        let r = stray_reply_with(keys, sweeps, false);
        let back = stray_parts(&r).unwrap_or_default();
        assert_eq!(back.keys, vec![b"k".to_vec(), b"p".to_vec()]);
        assert_eq!(back.sweeps, vec![b"job:*".to_vec(), b"*".to_vec()]);
        assert!(!back.count);
        // Patterns alone, and the count.
        let r = stray_reply_with(std::iter::empty(), [&b"a?"[..]], true);
        let back = stray_parts(&r).unwrap_or_default();
        assert!(back.keys.is_empty());
        assert_eq!(back.sweeps, vec![b"a?".to_vec()]);
        assert!(back.count && back.sweeping());
        assert_eq!(strays_of(&r), Some(Vec::new()));
        assert_eq!(stray_parts(b"-SHARDIS.STRAY c00\r\n"), None);
    }

    #[test]
    fn transaction_records_frame_their_commands() {
        let set: [&[u8]; 3] = [b"SET", b"k", b"v"];
        let h1 = tx_cmd_header(Cmd::Set, 3);
        let h2 = tx_cmd_header(Cmd::Get, 2);
        let args: Vec<&[u8]> = vec![&h1, set[0], set[1], set[2], &h2, b"GET", b"k"];
        let cmds: Vec<_> = tx_commands(&args).collect();
        assert_eq!(
            cmds,
            vec![Some((Cmd::Set, &args[1..4])), Some((Cmd::Get, &args[5..7]))]
        );
        let short: Vec<&[u8]> = vec![&h1, b"SET"];
        assert_eq!(tx_commands(&short).collect::<Vec<_>>(), vec![None]);
        let junk: Vec<&[u8]> = vec![b"xx"];
        assert_eq!(tx_commands(&junk).collect::<Vec<_>>(), vec![None]);
    }

    #[test]
    fn a_shard_hello_names_its_table() {
        let info = format!("shardd id=3 {}", table_tag());
        assert!(same_table(info.as_bytes()));
        assert!(!same_table(b"shardd id=3 table=0000000000000000"));
        assert!(!same_table(b"shardd id=3"));
        assert_eq!(shard_id(info.as_bytes()), Some(3));
        assert_eq!(shard_id(b"shardd table=1"), None);
        assert_eq!(shard_id(b"shardd id=x"), None);
    }
}
