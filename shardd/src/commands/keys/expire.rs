//! TTL commands: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with NX|XX|GT|LT, TTL,
//! PTTL, EXPIRETIME, PEXPIRETIME and PERSIST, following Redis 7's
//! `expireGenericCommand` step for step (options first, then the time,
//! overflow checks, the key, the condition, then set or delete).

use super::{eq_ic, Args, CmdError, CmdResult};
use crate::{keyspace::Keyspace, reply::Reply};

/// The NX|XX|GT|LT conditions of the EXPIRE family.
#[derive(Clone, Copy, Default)]
struct Cond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_cond(opts: &[&[u8]]) -> Result<Cond, CmdError> {
    let mut c = Cond::default();
    for o in opts {
        match () {
            _ if eq_ic(o, "nx") => c.nx = true,
            _ if eq_ic(o, "xx") => c.xx = true,
            _ if eq_ic(o, "gt") => c.gt = true,
            _ if eq_ic(o, "lt") => c.lt = true,
            _ => {
                return Err(CmdError::Other(format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(o)
                )))
            }
        }
    }
    if c.nx && (c.xx || c.gt || c.lt) {
        return Err(CmdError::Other(
            "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
        ));
    }
    if c.gt && c.lt {
        return Err(CmdError::Other(
            "ERR GT and LT options at the same time are not compatible".into(),
        ));
    }
    Ok(c)
}

impl Cond {
    /// Whether the new time `when` may replace `current` (`None`: no TTL,
    /// which GT and LT treat as infinite).
    fn allows(&self, current: Option<u64>, when: i64) -> bool {
        let cur = current.map(|t| i64::try_from(t).unwrap_or(i64::MAX));
        !(self.nx && cur.is_some()
            || self.xx && cur.is_none()
            || self.gt && cur.is_none_or(|c| when <= c)
            || self.lt && cur.is_some_and(|c| when >= c))
    }
}

fn expire_generic(
    ks: &mut Keyspace,
    args: Args,
    out: &mut Reply,
    relative: bool,
    secs: bool,
) -> CmdResult {
    let cond = parse_cond(args.rest(3))?;
    let mut when = args.i64(2)?;
    let invalid = || {
        CmdError::Other(format!(
            "ERR invalid expire time in '{}' command",
            args.name_lower()
        ))
    };
    if secs {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    let now = i64::try_from(ks.now_ms()).unwrap_or(i64::MAX);
    if relative {
        when = when.checked_add(now).ok_or_else(invalid)?;
    }
    let key = args.get(1)?;
    let Some(current) = ks.expire_at(key) else {
        out.int(0);
        return Ok(());
    };
    if !cond.allows(current, when) {
        out.int(0);
        return Ok(());
    }
    if when <= now {
        ks.delete(key);
    } else {
        ks.set_expire_at(key, when as u64);
    }
    out.int(1);
    Ok(())
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`.
pub fn expire(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    expire_generic(ks, args, out, true, true)
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`.
pub fn pexpire(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    expire_generic(ks, args, out, true, false)
}

/// `EXPIREAT key unix-time-seconds [NX|XX|GT|LT]`.
pub fn expireat(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    expire_generic(ks, args, out, false, true)
}

/// `PEXPIREAT key unix-time-milliseconds [NX|XX|GT|LT]`.
pub fn pexpireat(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    expire_generic(ks, args, out, false, false)
}

/// What a TTL-reading command reports.
#[derive(Clone, Copy)]
enum TtlKind {
    /// Remaining time.
    Remaining,
    /// Absolute expiry time.
    Absolute,
}

fn ttl_generic(
    ks: &mut Keyspace,
    args: Args,
    out: &mut Reply,
    kind: TtlKind,
    ms: bool,
) -> CmdResult {
    let now = ks.now_ms();
    let reply = match ks.expire_at(args.get(1)?) {
        None => -2,
        Some(None) => -1,
        Some(Some(at)) => {
            let v = match kind {
                TtlKind::Absolute if ms => at,
                TtlKind::Absolute => at / 1000,
                TtlKind::Remaining if ms => at.saturating_sub(now),
                TtlKind::Remaining => (at.saturating_sub(now) + 500) / 1000,
            };
            i64::try_from(v).unwrap_or(i64::MAX)
        }
    };
    out.int(reply);
    Ok(())
}

/// `TTL key`: seconds left (rounded), -1 without TTL, -2 if missing.
pub fn ttl(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    ttl_generic(ks, args, out, TtlKind::Remaining, false)
}

/// `PTTL key`: milliseconds left, -1 without TTL, -2 if missing.
pub fn pttl(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    ttl_generic(ks, args, out, TtlKind::Remaining, true)
}

/// `EXPIRETIME key`: absolute Unix time in seconds.
pub fn expiretime(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    ttl_generic(ks, args, out, TtlKind::Absolute, false)
}

/// `PEXPIRETIME key`: absolute Unix time in milliseconds.
pub fn pexpiretime(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    ttl_generic(ks, args, out, TtlKind::Absolute, true)
}

/// `PERSIST key`.
pub fn persist(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let done = ks.persist(args.get(1)?);
    out.int(done as i64);
    Ok(())
}
