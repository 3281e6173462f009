//! LCS: the longest common subsequence of two strings, with Redis's
//! dynamic-programming table and its backtracking order, so the ranges IDX
//! reports are the ones Redis reports.
//!
//! The table has `(len(a)+1) * (len(b)+1)` 32-bit cells; like Redis we
//! refuse to build one larger than `proto-max-bulk-len` bytes.

use super::{
    super::{eq_ic, Args, CmdError, CmdResult},
    proto_max_bulk_len,
};
use crate::{
    keyspace::{Keyspace, ValueRef},
    reply::Reply,
};

/// The options after the two keys.
#[derive(Default)]
struct LcsOpts {
    len: bool,
    idx: bool,
    with_match_len: bool,
    min_match_len: u64,
}

fn parse_opts(args: Args) -> Result<LcsOpts, CmdError> {
    let mut o = LcsOpts::default();
    let mut i = 3;
    while i < args.len() {
        let opt = args.get(i)?;
        if eq_ic(opt, "idx") {
            o.idx = true;
        } else if eq_ic(opt, "len") {
            o.len = true;
        } else if eq_ic(opt, "withmatchlen") {
            o.with_match_len = true;
        } else if eq_ic(opt, "minmatchlen") && i + 1 < args.len() {
            o.min_match_len = args.i64(i + 1)?.max(0) as u64;
            i += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    Ok(o)
}

/// The string at `key` for LCS (empty if missing).
fn lcs_operand(ks: &mut Keyspace, key: &[u8]) -> Result<Vec<u8>, CmdError> {
    match ks.get(key) {
        None => Ok(Vec::new()),
        Some(ValueRef::Str(s)) => Ok(s.to_vec()),
        Some(_) => Err(CmdError::Other(
            "ERR The specified keys must contain string values".into(),
        )),
    }
}

/// The DP table: `t[i * (b.len() + 1) + j]` is the LCS length of `a[..i]`, `b[..j]`.
struct Table<'s> {
    a: &'s [u8],
    b: &'s [u8],
    t: Vec<u32>,
}

impl<'s> Table<'s> {
    fn build(a: &'s [u8], b: &'s [u8]) -> Result<Self, CmdError> {
        let cells = (a.len() as u64 + 1) * (b.len() as u64 + 1);
        if cells.saturating_mul(4) > proto_max_bulk_len() {
            return Err(CmdError::Other(
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
                    .into(),
            ));
        }
        let w = b.len() + 1;
        let mut t = vec![0u32; cells as usize];
        for i in 1..=a.len() {
            for j in 1..=b.len() {
                t[i * w + j] = if a[i - 1] == b[j - 1] {
                    t[(i - 1) * w + j - 1] + 1
                } else {
                    t[(i - 1) * w + j].max(t[i * w + j - 1])
                };
            }
        }
        Ok(Table { a, b, t })
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.t[i * (self.b.len() + 1) + j]
    }
}

/// One run of matching bytes: inclusive ranges in `a` and in `b`.
struct Match {
    a: (usize, usize),
    b: (usize, usize),
}

impl Match {
    fn len(&self) -> usize {
        self.a.1 - self.a.0 + 1
    }
}

/// Walks the table back from the end as Redis does: a match is taken, else
/// the step goes up when that keeps the longer LCS, left otherwise. Returns
/// the LCS bytes and the runs in the order found (last run first).
fn backtrack(t: &Table) -> (Vec<u8>, Vec<Match>) {
    let (mut i, mut j) = (t.a.len(), t.b.len());
    let mut rev = Vec::with_capacity(t.at(i, j) as usize);
    let mut runs = Vec::new();
    let mut open: Option<Match> = None;
    while i > 0 && j > 0 {
        if t.a[i - 1] == t.b[j - 1] {
            rev.push(t.a[i - 1]);
            let m = open.get_or_insert(Match {
                a: (i - 1, i - 1),
                b: (j - 1, j - 1),
            });
            m.a.0 = i - 1;
            m.b.0 = j - 1;
            i -= 1;
            j -= 1;
            if i == 0 || j == 0 {
                runs.extend(open.take());
            }
        } else {
            if t.at(i - 1, j) > t.at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            runs.extend(open.take());
        }
    }
    rev.reverse();
    (rev, runs)
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`
pub fn lcs(ks: &mut Keyspace, args: Args, out: &mut Reply) -> CmdResult {
    let a = lcs_operand(ks, args.get(1)?)?;
    let b = lcs_operand(ks, args.get(2)?)?;
    let o = parse_opts(args)?;
    if o.idx && o.len {
        return Err(CmdError::Other(
            "ERR If you want both the length and indexes, please just use IDX.".into(),
        ));
    }
    let t = Table::build(&a, &b)?;
    let total = t.at(a.len(), b.len()) as i64;
    if o.len {
        out.int(total);
        return Ok(());
    }
    let (s, runs) = backtrack(&t);
    if !o.idx {
        out.bulk(&s);
        return Ok(());
    }
    let kept: Vec<&Match> = runs
        .iter()
        .filter(|m| m.len() as u64 >= o.min_match_len)
        .collect();
    out.map(2);
    out.bulk(b"matches");
    out.array(kept.len());
    for m in kept {
        out.array(2 + o.with_match_len as usize);
        for (s, e) in [m.a, m.b] {
            out.array(2);
            out.int(s as i64);
            out.int(e as i64);
        }
        if o.with_match_len {
            out.int(m.len() as i64);
        }
    }
    out.bulk(b"len");
    out.int(total);
    Ok(())
}
