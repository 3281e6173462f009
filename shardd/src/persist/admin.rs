//! The commands that act on the data directory rather than the keyspace:
//! SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE as Redis has them, and one the
//! proxy sends on its own (clients cannot name it: the table marks it
//! internal):
//!
//! - `SHARDD.CONFIG epoch seq name value [name value ...]`: what `CONFIG
//!   SET` sends every shard for the parameters shards apply
//!   (`common::wire::SHARD_SETTINGS`), stamped with the proxy's epoch and
//!   the change's number (a pair older than the one in force is skipped,
//!   see [`crate::settings::is_newer`]): `appendfsync` and `appendonly` go
//!   to the data directory, the rest into [`crate::settings`]. All pairs
//!   apply or none; each applies from the next command (the slow log and
//!   the latency monitor, `crate::stats`, read their thresholds there).
//!
//! [`info`] gives the `INFO persistence` fields that `SHARDD.INFO`
//! (`crate::introspect`) includes.
//!
//! The shard's loop asks [`command`] for a request's id (the table's
//! arity check was done by the proxy) when the keyspace has no handler.

use std::fmt::Write as _;

use super::{
    aof::Fsync,
    dir::{ChildKind, DataDir},
};
use common::table::Cmd;

use crate::{keyspace::Keyspace, reply::Reply};

/// A data-directory command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    /// `SAVE`.
    Save,
    /// `BGSAVE [SCHEDULE]`.
    BgSave,
    /// `BGREWRITEAOF`.
    BgRewriteAof,
    /// `LASTSAVE`.
    LastSave,
    /// `SHARDD.CONFIG epoch seq name value ...`.
    Config,
}

const BGSAVE_BUSY: &str = "ERR Background save already in progress";
const REWRITE_BUSY: &str = "ERR Background append only file rewriting already in progress";
const BGSAVE_AOF_BUSY: &str = "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.";

/// The data-directory command `id`, if it is one.
pub const fn command(id: Cmd) -> Option<Admin> {
    Some(match id {
        Cmd::Save => Admin::Save,
        Cmd::Bgsave => Admin::BgSave,
        Cmd::Bgrewriteaof => Admin::BgRewriteAof,
        Cmd::Lastsave => Admin::LastSave,
        Cmd::SharddConfig => Admin::Config,
        _ => return None,
    })
}

/// Runs `cmd`; `dir` is `None` when the shard keeps no data directory.
pub fn run(cmd: Admin, ks: &Keyspace, dir: Option<&mut DataDir>, args: &[&[u8]], out: &mut Reply) {
    if cmd == Admin::Config {
        return match config(ks, dir, args) {
            Ok(()) => out.ok(),
            Err(e) => out.error(&format!("ERR {e}")),
        };
    }
    let Some(dir) = dir else {
        out.error("ERR this shard runs without a data directory");
        return;
    };
    match cmd {
        Admin::Save => save(ks, dir, out),
        Admin::BgSave => bgsave(ks, dir, args, out),
        Admin::BgRewriteAof => bgrewriteaof(ks, dir, out),
        Admin::LastSave => out.int(dir.stats().last_save_unix_secs as i64),
        Admin::Config => {}
    }
}

fn save(ks: &Keyspace, dir: &mut DataDir, out: &mut Reply) {
    if dir.child().is_some() {
        out.error(BGSAVE_BUSY);
        return;
    }
    match dir.save(ks) {
        Ok(_) => out.ok(),
        Err(e) => {
            tracing::error!("SAVE failed: {e}");
            out.error(&format!("ERR SAVE failed: {e}"));
        }
    }
}

fn bgsave(ks: &Keyspace, dir: &mut DataDir, args: &[&[u8]], out: &mut Reply) {
    let schedule = match args {
        [_] => false,
        [_, s] if s.eq_ignore_ascii_case(b"schedule") => true,
        _ => {
            out.error("ERR syntax error");
            return;
        }
    };
    match dir.child().map(|c| c.kind) {
        Some(ChildKind::BgSave) => out.error(BGSAVE_BUSY),
        Some(ChildKind::Rewrite) if schedule => {
            dir.schedule(ChildKind::BgSave);
            out.simple("Background saving scheduled");
        }
        Some(ChildKind::Rewrite) => out.error(BGSAVE_AOF_BUSY),
        None => match dir.start_child(ks, ChildKind::BgSave) {
            Ok(()) => out.simple("Background saving started"),
            Err(e) => out.error(&format!("ERR Background saving failed: {e}")),
        },
    }
}

fn bgrewriteaof(ks: &Keyspace, dir: &mut DataDir, out: &mut Reply) {
    match dir.child().map(|c| c.kind) {
        Some(ChildKind::Rewrite) => out.error(REWRITE_BUSY),
        Some(ChildKind::BgSave) => {
            dir.schedule(ChildKind::Rewrite);
            out.simple("Background append only file rewriting scheduled");
        }
        None => match dir.start_child(ks, ChildKind::Rewrite) {
            Ok(()) => out.simple("Background append only file rewriting started"),
            Err(e) => out.error(&format!(
                "ERR Background append only file rewriting failed: {e}"
            )),
        },
    }
}

/// `SHARDD.CONFIG epoch seq name value ...`: every pair is read first (a refusal
/// changes nothing), then the data directory's part is applied (undone if
/// a later part fails), then the settings are put in force.
fn config(ks: &Keyspace, dir: Option<&mut DataDir>, args: &[&[u8]]) -> Result<(), String> {
    if args.len() < 3 || args.len().is_multiple_of(2) {
        return Err("wrong number of arguments for 'shardd.config' command".into());
    }
    let text = |b: &[u8]| {
        std::str::from_utf8(b)
            .map(str::to_owned)
            .map_err(|_| "a setting must be UTF-8".to_string())
    };
    let number = |b: &[u8]| {
        text(b)?
            .parse::<u64>()
            .map_err(|_| "epoch and sequence must be numbers".to_string())
    };
    let (epoch, seq) = (number(args[1])?, number(args[2])?);
    let (mut fsync, mut appendonly) = (None, None);
    let mut pairs = Vec::with_capacity(args.len() / 2);
    let mut names = Vec::with_capacity(args.len() / 2);
    for pair in args[3..].chunks(2) {
        let (name, value) = (text(pair[0])?, text(pair[1])?);
        if !crate::settings::is_newer(epoch, seq, &name) {
            continue;
        }
        names.push(name.clone());
        match name.as_str() {
            "appendfsync" => {
                fsync = Some(
                    Fsync::parse(&value)
                        .ok_or("appendfsync must be one of the following: everysec, always, no")?,
                )
            }
            "appendonly" => {
                appendonly = Some(match value.as_str() {
                    "yes" => true,
                    "no" => false,
                    _ => return Err("appendonly must be 'yes' or 'no'".into()),
                })
            }
            _ => pairs.push((name, value)),
        }
    }
    let next = crate::settings::current()
        .with(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        .map_err(|e| e.to_string())?;
    if fsync.is_some() || appendonly.is_some() {
        let Some(d) = dir else {
            return Err("this shard runs without a data directory".into());
        };
        let before = d.policy();
        if let Some(p) = fsync {
            d.set_policy(p).map_err(|e| format!("appendfsync: {e}"))?;
        }
        if let Some(on) = appendonly {
            if let Err(e) = d.set_appendonly(on, ks) {
                let _ = d.set_policy(before);
                return Err(format!("appendonly: {e}"));
            }
        }
    }
    crate::settings::install(next);
    crate::settings::stamp(epoch, seq, names.iter().map(String::as_str));
    Ok(())
}

/// This shard's persistence fields (Redis's `INFO persistence` names, and
/// the shard's generation and fsync policy), as `name:value` lines.
pub fn info(dir: &DataDir) -> String {
    let st = dir.stats();
    let child = dir.child();
    let running = |k: ChildKind| child.is_some_and(|c| c.kind == k);
    let current = |k: ChildKind| {
        child
            .filter(|c| c.kind == k)
            .map_or(-1, |c| c.started.elapsed().as_secs() as i64)
    };
    let status = |ok: bool| if ok { "ok" } else { "err" };
    let mut s = String::with_capacity(1024);
    let mut line = |name: &str, v: &dyn std::fmt::Display| {
        let _ = write!(s, "{name}:{v}\r\n");
    };
    line("loading", &0);
    line("async_loading", &0);
    line("rdb_changes_since_last_save", &st.dirty);
    line(
        "rdb_bgsave_in_progress",
        &(running(ChildKind::BgSave) as u8),
    );
    line("rdb_last_save_time", &st.last_save_unix_secs);
    line("rdb_last_bgsave_status", &status(st.last_bgsave_ok));
    line("rdb_last_bgsave_time_sec", &st.last_bgsave_secs);
    line("rdb_current_bgsave_time_sec", &current(ChildKind::BgSave));
    line("rdb_saves", &st.saves);
    line("rdb_last_load_keys_expired", &st.loaded.snapshot_expired);
    line("rdb_last_load_keys_loaded", &st.loaded.snapshot_keys);
    line("aof_enabled", &(dir.has_aof() as u8));
    line(
        "aof_rewrite_in_progress",
        &(running(ChildKind::Rewrite) as u8),
    );
    let scheduled = dir.scheduled() == Some(ChildKind::Rewrite);
    line("aof_rewrite_scheduled", &(scheduled as u8));
    line("aof_last_rewrite_time_sec", &st.last_rewrite_secs);
    line("aof_current_rewrite_time_sec", &current(ChildKind::Rewrite));
    line("aof_last_bgrewrite_status", &status(st.last_rewrite_ok));
    line("aof_rewrites", &st.rewrites);
    line(
        "aof_rewrites_consecutive_failures",
        &st.rewrite_failures_in_a_row,
    );
    // A failed log write stops the shard, so a live shard's is always ok.
    line("aof_last_write_status", &"ok");
    line("aof_current_size", &dir.aof_size());
    line("total_forks", &st.forks);
    line("latest_fork_usec", &st.last_fork_us);
    line("mem_aof_buffer", &dir.aof_buffer_bytes());
    line("shardd_generation", &dir.generation());
    line("shardd_appendfsync", &dir.policy().name());
    s
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{persist::dir::lock, reply::Proto};

    fn call(ks: &Keyspace, d: &mut DataDir, cmd: &str) -> String {
        let args: Vec<&[u8]> = cmd.split(' ').map(str::as_bytes).collect();
        let mut out = Vec::new();
        let id = match args[0] {
            b"SHARDD.CONFIG" => Cmd::SharddConfig,
            _ => common::table::resolve(&args).expect("a known command").id,
        };
        let admin = command(id).expect("an admin command");
        run(
            admin,
            ks,
            Some(d),
            &args,
            &mut Reply::new(&mut out, Proto::Resp2),
        );
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn replies_and_busy_errors_match_redis() {
        let dir = std::env::temp_dir().join(format!("shardd-admin-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut ks = Keyspace::new();
        let (mut d, _) =
            DataDir::open(&dir, lock(&dir).unwrap(), Some(Fsync::No), &mut ks).unwrap();
        ks.insert_str(b"k", b"v");
        assert_eq!(command(Cmd::Get), None);
        assert_eq!(command(Cmd::Bgsave), Some(Admin::BgSave));
        assert_eq!(call(&ks, &mut d, "SAVE"), "+OK\r\n");
        assert_eq!(
            call(&ks, &mut d, "BGSAVE"),
            "+Background saving started\r\n"
        );
        assert_eq!(call(&ks, &mut d, "BGSAVE"), format!("-{BGSAVE_BUSY}\r\n"));
        assert_eq!(call(&ks, &mut d, "SAVE"), format!("-{BGSAVE_BUSY}\r\n"));
        assert_eq!(
            call(&ks, &mut d, "BGREWRITEAOF"),
            "+Background append only file rewriting scheduled\r\n"
        );
        assert!(info(&d).contains("rdb_bgsave_in_progress:1\r\n"));
        assert!(d.wait_child(Duration::from_secs(20)));
        d.start_child(&ks, ChildKind::Rewrite).unwrap();
        assert_eq!(
            call(&ks, &mut d, "BGREWRITEAOF"),
            format!("-{REWRITE_BUSY}\r\n")
        );
        assert_eq!(
            call(&ks, &mut d, "BGSAVE"),
            format!("-{BGSAVE_AOF_BUSY}\r\n")
        );
        assert_eq!(
            call(&ks, &mut d, "BGSAVE SCHEDULE"),
            "+Background saving scheduled\r\n"
        );
        assert_eq!(call(&ks, &mut d, "BGSAVE NOW"), "-ERR syntax error\r\n");
        let text = info(&d);
        assert!(text.contains("aof_rewrite_in_progress:1\r\n"), "{text}");
        assert!(d.wait_child(Duration::from_secs(20)));
        let text = info(&d);
        for field in [
            "rdb_bgsave_in_progress:0\r\n",
            "rdb_last_bgsave_status:ok\r\n",
            "aof_last_bgrewrite_status:ok\r\n",
            "aof_enabled:1\r\n",
            "rdb_saves:2\r\n",
        ] {
            assert!(text.contains(field), "{field} in {text}");
        }
        let last = call(&ks, &mut d, "LASTSAVE");
        assert!(last.starts_with(':') && last.len() > 5, "{last}");
        assert_eq!(
            call(&ks, &mut d, "SHARDD.CONFIG 1 1 appendfsync always"),
            "+OK\r\n"
        );
        assert_eq!(d.policy(), Fsync::Always);
        assert!(call(&ks, &mut d, "SHARDD.CONFIG 1 2 appendfsync sometimes").starts_with("-ERR"));
        assert_eq!(d.policy(), Fsync::Always);
    }

    #[test]
    fn shardd_config_applies_every_pair_or_none() {
        let dir = std::env::temp_dir().join(format!("shardd-admin-config-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut ks = Keyspace::new();
        let (mut d, _) =
            DataDir::open(&dir, lock(&dir).unwrap(), Some(Fsync::No), &mut ks).unwrap();
        let setting = |name: &str| crate::settings::current().get(name);
        assert_eq!(
            call(
                &ks,
                &mut d,
                "SHARDD.CONFIG 9 2 slowlog-max-len 7 hash-max-listpack-entries 3"
            ),
            "+OK\r\n"
        );
        assert_eq!(setting("slowlog-max-len").as_deref(), Some("7"));
        assert_eq!(crate::settings::encoding().hash_max_listpack_entries, 3);
        // A bad value anywhere changes nothing, the data directory included.
        let bad = call(
            &ks,
            &mut d,
            "SHARDD.CONFIG 9 3 appendfsync always slowlog-max-len x",
        );
        assert!(
            bad.starts_with("-ERR bad value for 'slowlog-max-len'"),
            "{bad}"
        );
        assert_eq!(d.policy(), Fsync::No);
        assert_eq!(setting("slowlog-max-len").as_deref(), Some("7"));
        assert!(call(&ks, &mut d, "SHARDD.CONFIG 9 4 nosuch 1").starts_with("-ERR unknown setting"));
        assert!(call(&ks, &mut d, "SHARDD.CONFIG 9 5 save").starts_with("-ERR wrong number"));
        assert!(call(&ks, &mut d, "SHARDD.CONFIG x 5 save 1").starts_with("-ERR epoch"));
        // A change older than the one in force, raced through another
        // worker's ring, is skipped.
        assert_eq!(
            call(&ks, &mut d, "SHARDD.CONFIG 9 1 slowlog-max-len 1"),
            "+OK\r\n"
        );
        assert_eq!(setting("slowlog-max-len").as_deref(), Some("7"));
        assert_eq!(
            call(&ks, &mut d, "SHARDD.CONFIG 9 6 appendonly no"),
            "+OK\r\n"
        );
        assert!(!d.has_aof());
        crate::settings::install(crate::settings::Settings::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
