//! DUMP and RESTORE over the payload formats of [`crate::dump`] (DUMP
//! writes Redis's for every type but streams; RESTORE reads both).

use super::{eq_ic, Args, CmdError, CmdResult};
use crate::{dump as payload, keyspace::Keyspace, reply::Reply};

/// Highest FREQ RESTORE accepts.
const FREQ_MAX: i64 = 255;

/// `DUMP key`: the serialised value, or null.
pub fn dump(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    match ks.get(args.get(1)?) {
        None => out.null(),
        Some(v) => out.bulk(&payload::encode_for_dump(v)),
    }
    Ok(())
}

/// `SHARDD.DUMP key` (what a transaction moving a key between shards
/// reads): null, or `[payload, absolute expiry in ms or -1]`, the payload
/// keeping how a string was written (`dump::encode_marked`).
pub fn shardd_dump(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let key = args.get(1)?;
    let mark = ks.str_mark(key);
    let expiry = ks.expire_at(key).flatten();
    match ks.get(key) {
        None => out.null(),
        Some(v) => {
            out.array(2);
            out.bulk(&payload::encode_marked(v, mark));
            out.int(expiry.map_or(-1, |e| i64::try_from(e).unwrap_or(i64::MAX)));
        }
    }
    Ok(())
}

/// Options of RESTORE after the payload.
#[derive(Default)]
struct RestoreOpts {
    replace: bool,
    absttl: bool,
}

fn parse_restore_opts(args: Args) -> Result<RestoreOpts, CmdError> {
    let mut o = RestoreOpts::default();
    let (mut idle_set, mut freq_set) = (false, false);
    let mut i = 4;
    while i < args.len() {
        let (opt, has_value) = (args.get(i)?, i + 1 < args.len());
        if eq_ic(opt, "replace") {
            o.replace = true;
        } else if eq_ic(opt, "absttl") {
            o.absttl = true;
        } else if eq_ic(opt, "idletime") && has_value && !freq_set {
            // Accepted and checked; no access times are kept.
            if args.i64(i + 1)? < 0 {
                return Err(CmdError::Other(
                    "ERR Invalid IDLETIME value, must be >= 0".into(),
                ));
            }
            idle_set = true;
            i += 1;
        } else if eq_ic(opt, "freq") && has_value && !idle_set {
            if !(0..=FREQ_MAX).contains(&args.i64(i + 1)?) {
                return Err(CmdError::Other(
                    "ERR Invalid FREQ value, must be >= 0 and <= 255".into(),
                ));
            }
            freq_set = true;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

/// `RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]`.
pub fn restore(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let opts = parse_restore_opts(args)?;
    let key = args.get(1)?;
    if !opts.replace && ks.exists(key) {
        return Err(CmdError::Other(
            "BUSYKEY Target key name already exists.".into(),
        ));
    }
    let ttl = args.i64(2)?;
    if ttl < 0 {
        return Err(CmdError::Other(
            "ERR Invalid TTL value, must be >= 0".into(),
        ));
    }
    let (value, mark) =
        payload::decode_marked(args.get(3)?).map_err(|e| CmdError::Other(e.to_string()))?;
    if opts.replace {
        ks.delete(key);
    }
    let now = i64::try_from(ks.now_ms()).unwrap_or(i64::MAX);
    let at = if opts.absttl {
        ttl
    } else {
        ttl.saturating_add(now)
    };
    if ttl != 0 && at <= now {
        // Already expired: the key is gone (as Redis does), reply OK.
        out.ok();
        return Ok(());
    }
    ks.insert_with_expiry(key, value, (ttl != 0).then_some(at as u64));
    if mark != crate::keyspace::StrMark::Encoded {
        ks.mark_str(key, mark);
    }
    out.ok();
    Ok(())
}
