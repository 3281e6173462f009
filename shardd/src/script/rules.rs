//! What a script may call and how its calls are shaped: the commands
//! Redis refuses in scripts, the few the proxy answers that a script may
//! call, and SORT's ordering rule for scripts.

use common::{
    reply::Reply,
    table::{
        self,
        flags::{F_BLOCKING, F_NOSCRIPT},
        Cmd,
    },
};

/// SORT `argv` with its `BY <constant>` (no `*`: no sorting) replaced by
/// ALPHA; `None` if it has none.
pub(super) fn sort_ordered<'a>(argv: &[&'a [u8]]) -> Option<smallvec::SmallVec<[&'a [u8]; 16]>> {
    let mut out: smallvec::SmallVec<[&'a [u8]; 16]> = smallvec::SmallVec::new();
    out.extend_from_slice(argv.get(..2)?);
    let mut found = false;
    let mut j = 2;
    while j < argv.len() {
        let a = argv[j];
        let takes = if a.eq_ignore_ascii_case(b"limit") {
            2
        } else if a.eq_ignore_ascii_case(b"store") || a.eq_ignore_ascii_case(b"get") {
            1
        } else if a.eq_ignore_ascii_case(b"by") {
            match argv.get(j + 1) {
                Some(p) if !p.contains(&b'*') => {
                    found = true;
                    j += 2;
                    continue;
                }
                _ => 1,
            }
        } else {
            0
        };
        let end = (j + 1 + takes).min(argv.len());
        out.extend_from_slice(&argv[j..end]);
        j = end;
    }
    if !found {
        return None;
    }
    out.push(b"ALPHA");
    Some(out)
}

/// Whether Redis refuses `argv`'s command in scripts (no-script or
/// blocking), for a command shardis does not run at all: the script gets
/// Redis's refusal rather than "unknown".
pub(super) fn denied_in_scripts(argv: &[&[u8]]) -> bool {
    let Some(base) = argv.first().and_then(|n| table::entry(n)) else {
        return false;
    };
    let spec = match argv.get(1) {
        Some(sub) if !base.subcommands.is_empty() => {
            let mut full = base.name.as_bytes().to_vec();
            full.push(b'|');
            full.extend(sub.iter().map(u8::to_ascii_lowercase));
            table::entry(&full).unwrap_or(base)
        }
        _ => base,
    };
    spec.has_flag(F_NOSCRIPT) || spec.has_flag(F_BLOCKING)
}

/// The few commands the proxy answers that a script may call; false for
/// the others.
pub(super) fn proxy_command(id: Cmd, argv: &[&[u8]], r: &mut Reply) -> bool {
    match id {
        Cmd::Ping => match argv.get(1) {
            Some(m) => r.bulk(m),
            None => r.simple("PONG"),
        },
        Cmd::Echo => r.bulk(argv.get(1).copied().unwrap_or(b"")),
        Cmd::Time => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            r.array(2);
            r.bulk_int(now.as_secs() as i64);
            r.bulk_int(now.subsec_micros() as i64);
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_by_a_constant_becomes_alpha_and_other_options_stay() {
        let got = sort_ordered(&[b"sort", b"s", b"LIMIT", b"0", b"2", b"by", b"_", b"DESC"]);
        let want: Vec<&[u8]> = vec![b"sort", b"s", b"LIMIT", b"0", b"2", b"DESC", b"ALPHA"];
        assert_eq!(got.map(|v| v.to_vec()), Some(want));
        assert!(sort_ordered(&[b"sort", b"s", b"by", b"w_*"]).is_none());
        assert!(sort_ordered(&[b"sort", b"s", b"DESC"]).is_none());
        // An option's argument that reads "by" is not BY.
        assert!(sort_ordered(&[b"sort", b"s", b"store", b"by"]).is_none());
    }
}
