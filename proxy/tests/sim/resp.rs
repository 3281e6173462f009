//! The client's view of replies: a small RESP2/RESP3 reader and a
//! compact form for the trace.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum V {
    Simple(String),
    Err(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Arr(Vec<V>),
}

/// Parses one RESP2/RESP3 value; `Ok(None)` if incomplete.
pub(crate) fn parse_value(b: &[u8]) -> Result<Option<(V, usize)>, String> {
    let Some(end) = b.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    let Some(&tag) = b.first() else {
        return Ok(None);
    };
    let line = String::from_utf8_lossy(&b[1..end]).into_owned();
    let after = end + 2;
    let int = |s: &str| s.parse::<i64>().map_err(|_| format!("bad number {s:?}"));
    match tag {
        b'+' => Ok(Some((V::Simple(line), after))),
        b'-' => Ok(Some((V::Err(line), after))),
        b':' => Ok(Some((V::Int(int(&line)?), after))),
        b'_' => Ok(Some((V::Bulk(None), after))),
        b'$' => {
            let n = int(&line)?;
            if n < 0 {
                return Ok(Some((V::Bulk(None), after)));
            }
            let n = n as usize;
            if b.len() < after + n + 2 {
                return Ok(None);
            }
            Ok(Some((
                V::Bulk(Some(b[after..after + n].to_vec())),
                after + n + 2,
            )))
        }
        b'*' => {
            let n = int(&line)?;
            if n < 0 {
                return Ok(Some((V::Bulk(None), after)));
            }
            let mut at = after;
            let mut items = Vec::new();
            for _ in 0..n {
                match parse_value(&b[at..])? {
                    Some((v, used)) => {
                        items.push(v);
                        at += used;
                    }
                    None => return Ok(None),
                }
            }
            Ok(Some((V::Arr(items), at)))
        }
        t => Err(format!("unexpected reply type byte {:?}", t as char)),
    }
}

pub(crate) fn unavailable(v: &V) -> bool {
    matches!(v, V::Err(s) if s.starts_with("ERR shard ") && s.ends_with(" is unavailable"))
}

pub(crate) fn show_reply(v: &V) -> String {
    match v {
        V::Bulk(Some(b)) if b.len() > 24 => {
            format!("${}..({}B)", String::from_utf8_lossy(&b[..12]), b.len())
        }
        V::Bulk(Some(b)) => format!("${}", String::from_utf8_lossy(b)),
        V::Bulk(None) => "nil".into(),
        V::Simple(s) => format!("+{s}"),
        V::Err(s) => format!("-{s}"),
        V::Int(n) => format!(":{n}"),
        V::Arr(items) => format!(
            "[{}]",
            items.iter().map(show_reply).collect::<Vec<_>>().join(", ")
        ),
    }
}
