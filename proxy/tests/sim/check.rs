//! The invariants: every reply is checked, in order, against a model of
//! the connection's own keys in which an "unavailable" reply widens the
//! possible values; the shared counter is checked for linearizability.

use std::collections::BTreeMap;

use super::{
    resp::{parse_value, show_reply, unavailable, V},
    Cmd, CounterOp, Sent, Sim, CONNS, SHARED_COUNTER, TOKENS,
};

fn parse_i64(b: &[u8]) -> Option<i64> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn incr_of(v: &Option<Vec<u8>>) -> Option<i64> {
    match v {
        None => Some(1),
        Some(b) => parse_i64(b).map(|n| n + 1),
    }
}

fn show_vals(s: &[Option<Vec<u8>>]) -> String {
    let v: Vec<String> = s
        .iter()
        .map(|x| match x {
            None => "nil".into(),
            Some(b) if b.len() > 24 => {
                format!("{}..({}B)", String::from_utf8_lossy(&b[..12]), b.len())
            }
            Some(b) => String::from_utf8_lossy(b).into_owned(),
        })
        .collect();
    format!("{{{}}}", v.join(", "))
}

impl Sim {
    /// Reads every connection's output and checks each reply.
    pub(super) fn collect(&mut self) -> Result<(), String> {
        for c in 0..CONNS {
            let bytes = self.conns[c].out.borrow_mut().take_output();
            self.conns[c].input.extend_from_slice(&bytes);
            loop {
                let parsed = parse_value(&self.conns[c].input)
                    .map_err(|e| format!("c{c}: malformed reply stream: {e}"))?;
                let Some((v, used)) = parsed else {
                    break;
                };
                self.conns[c].input.drain(..used);
                let Some(sent) = self.conns[c].sent.pop_front() else {
                    return Err(format!("c{c}: a reply with no request: {v:?}"));
                };
                self.log(format!(
                    "c{c} reply to {}: {}",
                    sent.cmd.show(),
                    show_reply(&v)
                ));
                self.check(c, sent, v)?;
            }
        }
        Ok(())
    }

    pub(super) fn check(&mut self, c: usize, sent: Sent, v: V) -> Result<(), String> {
        let what = sent.cmd.show();
        let bad = |why: String| Err(format!("c{c}: {what} -> {v:?}: {why}"));
        if unavailable(&v) {
            self.totals.unavailable += 1;
            self.unknown_outcome(c, &sent);
            return Ok(());
        }
        match &sent.cmd {
            Cmd::Get(k) => match &v {
                V::Bulk(x) => self.observe(c, k, x, sent.inv).or_else(bad),
                _ => bad("not a bulk reply".into()),
            },
            Cmd::Set(k, val) => match &v {
                V::Simple(s) if s == "OK" => {
                    self.set_model(c, k, Some(val.clone()));
                    Ok(())
                }
                _ => bad("SET not OK".into()),
            },
            Cmd::Incr(k) => match v {
                V::Int(n) => self.incr_acked(c, k, n, sent.inv).or_else(bad),
                _ => bad("not an integer".into()),
            },
            Cmd::Del(keys) => match v {
                V::Int(n) => {
                    let model = &mut self.conns[c].model;
                    let (mut lo, mut hi) = (0, 0);
                    for k in keys {
                        let s = &model[k];
                        lo += i64::from(!s.contains(&None));
                        hi += i64::from(s.iter().any(Option::is_some));
                    }
                    if n < lo || n > hi {
                        return bad(format!("model allows {lo}..={hi} deleted"));
                    }
                    for k in keys {
                        self.set_model(c, k, None);
                    }
                    Ok(())
                }
                _ => bad("not an integer".into()),
            },
            Cmd::Mget(keys) => match &v {
                V::Arr(items) if items.len() == keys.len() => {
                    for (k, item) in keys.iter().zip(items) {
                        let V::Bulk(x) = item else {
                            return bad("element not a bulk".into());
                        };
                        self.observe(c, k, x, sent.inv).or_else(bad)?;
                    }
                    Ok(())
                }
                _ => bad("not an array of the keys' length".into()),
            },
            Cmd::Mset(kv) => match &v {
                V::Simple(s) if s == "OK" => {
                    for (k, val) in kv {
                        self.set_model(c, k, Some(val.clone()));
                    }
                    Ok(())
                }
                _ => bad("MSET not OK".into()),
            },
            Cmd::Multi => match &v {
                V::Simple(s) if s == "OK" => Ok(()),
                _ => bad("MULTI not OK".into()),
            },
            Cmd::Queued(_) => match &v {
                V::Simple(s) if s == "QUEUED" => Ok(()),
                _ => bad("not QUEUED".into()),
            },
            Cmd::ExecTransfer(i) => match &v {
                V::Arr(items) if matches!(items.as_slice(), [V::Int(_), V::Int(_), V::Simple(ok), V::Int(1)] if ok == "OK") =>
                {
                    self.transfers[*i].acked = true;
                    Ok(())
                }
                // Aborted, or its outcome unknown: the marker tells.
                V::Err(e) if e.starts_with("ERR transaction ") => Ok(()),
                _ => bad("neither the transfer's replies nor an abort".into()),
            },
            Cmd::Setup(_) => match &v {
                V::Err(e) => bad(format!("setup failed: {e}")),
                _ => Ok(()),
            },
            Cmd::MoveToken(..) => match &v {
                V::Bulk(_) => Ok(()),
                V::Err(e) if e.starts_with("ERR transaction ") => Ok(()),
                _ => bad("neither a token, nil, nor an abort".into()),
            },
            Cmd::ExecTokens => match &v {
                V::Arr(lists) if lists.len() == self.queues.len() => {
                    let mut seen: Vec<Vec<u8>> = Vec::new();
                    for l in lists {
                        let V::Arr(items) = l else {
                            return bad("not a list".into());
                        };
                        for it in items {
                            let V::Bulk(Some(t)) = it else {
                                return bad("not a token".into());
                            };
                            seen.push(t.clone());
                        }
                    }
                    seen.sort();
                    let want: Vec<Vec<u8>> = {
                        let mut w: Vec<Vec<u8>> =
                            (0..TOKENS).map(|i| format!("t{i}").into_bytes()).collect();
                        w.sort();
                        w
                    };
                    if seen != want {
                        return bad("the tokens are not each in exactly one queue".into());
                    }
                    Ok(())
                }
                V::Err(e) if e.starts_with("ERR transaction ") => Ok(()),
                _ => bad("neither the queues nor an abort".into()),
            },
            Cmd::ExecSum => match &v {
                V::Arr(items) => match items.as_slice() {
                    [V::Arr(values)] if values.len() == self.accounts.len() => {
                        let mut total = 0i64;
                        for x in values {
                            total += match x {
                                V::Bulk(None) => 0,
                                V::Bulk(Some(b)) => parse_i64(b).ok_or("not a number")?,
                                _ => return bad("a balance not a bulk".into()),
                            };
                        }
                        if total != 0 {
                            return bad(format!("a transaction saw the accounts sum to {total}"));
                        }
                        Ok(())
                    }
                    _ => bad("not one MGET reply".into()),
                },
                V::Err(e) if e.starts_with("ERR transaction ") => Ok(()),
                _ => bad("neither the sum nor an abort".into()),
            },
        }
    }

    /// After the drain: nothing is locked, every acknowledged transfer is
    /// applied, and every account holds exactly the applied transfers (a
    /// transfer applies whole: both amounts and its marker, or nothing).
    pub(super) fn check_bank(&mut self) -> Result<(), String> {
        let mut want: BTreeMap<Vec<u8>, i64> =
            self.accounts.iter().map(|a| (a.clone(), 0)).collect();
        let mut applied = 0;
        let in_set = self.read_members(super::DONE)?;
        for (i, t) in self.transfers.clone().iter().enumerate() {
            let done = self.read_key(&t.marker)?.is_some();
            if done != in_set.contains(&i.to_string().into_bytes()) {
                return Err(format!(
                    "transfer {i}: its marker says applied {done}, the done set not"
                ));
            }
            if t.acked && !done {
                return Err(format!("transfer {i} was acknowledged and is lost: {t:?}"));
            }
            if done {
                applied += 1;
                *want.entry(t.from.clone()).or_default() -= t.amount;
                *want.entry(t.to.clone()).or_default() += t.amount;
            }
        }
        for (a, w) in &want {
            let got = match self.read_key(a)? {
                None => 0,
                Some(b) => parse_i64(&b).ok_or("an account not a number")?,
            };
            if got != *w {
                return Err(format!(
                    "{}: {got}, but its applied transfers make {w}",
                    String::from_utf8_lossy(a)
                ));
            }
        }
        let mut tokens: Vec<Vec<u8>> = Vec::new();
        for q in self.queues.clone() {
            let s = self.w.shared.shard_of(&q);
            let e = self.shards[s]
                .engine
                .as_mut()
                .ok_or(format!("s{s} is down after the drain"))?;
            match e.ks.get(&q) {
                None => {}
                Some(shardd::keyspace::ValueRef::List(l)) => {
                    tokens.extend(l.iter().map(|x| x.to_vec()));
                }
                Some(_) => return Err("a queue is not a list".into()),
            }
        }
        tokens.sort();
        let mut want: Vec<Vec<u8>> = (0..TOKENS).map(|i| format!("t{i}").into_bytes()).collect();
        want.sort();
        if tokens != want {
            return Err(format!(
                "tokens after the drain: {:?}",
                tokens
                    .iter()
                    .map(|t| String::from_utf8_lossy(t).into_owned())
                    .collect::<Vec<_>>()
            ));
        }
        self.log(format!(
            "bank: {} transfers, {applied} applied",
            self.transfers.len()
        ));
        self.totals.transfers += self.transfers.len() as u64;
        self.totals.transfers_acked += self.transfers.iter().filter(|t| t.acked).count() as u64;
        self.totals.transfers_applied += applied;
        Ok(())
    }

    /// The keyspace of `key`'s shard, straight (after the drain).
    fn keyspace_of(&mut self, key: &[u8]) -> Result<&mut shardd::keyspace::Keyspace, String> {
        let s = self.w.shared.shard_of(key);
        let e = self.shards[s]
            .engine
            .as_mut()
            .ok_or(format!("s{s} is down after the drain"))?;
        Ok(&mut e.ks)
    }

    /// The members of the set at `key` (none if it is missing).
    fn read_members(&mut self, key: &[u8]) -> Result<std::collections::BTreeSet<Vec<u8>>, String> {
        Ok(match self.keyspace_of(key)?.get(key) {
            None => Default::default(),
            Some(shardd::keyspace::ValueRef::Set(set)) => {
                set.iter().map(|m| m.into_owned()).collect()
            }
            Some(_) => return Err("the done set is not a set".into()),
        })
    }

    /// `key`'s string value straight from its shard's keyspace.
    fn read_key(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        Ok(match self.keyspace_of(key)?.get(key) {
            None => None,
            Some(shardd::keyspace::ValueRef::Str(b)) => Some(b.to_vec()),
            Some(_) => return Err("not a string".into()),
        })
    }

    pub(super) fn set_model(&mut self, c: usize, k: &[u8], v: Option<Vec<u8>>) {
        if let Some(s) = self.conns[c].model.get_mut(k) {
            *s = vec![v];
        }
    }

    pub(super) fn observe(
        &mut self,
        c: usize,
        k: &[u8],
        x: &Option<Vec<u8>>,
        inv: u64,
    ) -> Result<(), String> {
        if k == SHARED_COUNTER {
            let val = match x {
                None => 0,
                Some(b) => parse_i64(b).ok_or("shared counter not an integer")?,
            };
            self.counter_ops.push(CounterOp {
                incr: false,
                inv,
                resp: self.step,
                val: Some(val),
            });
            return Ok(());
        }
        let s = &mut self.conns[c].model.get_mut(k).ok_or("unknown key")?;
        if !s.contains(x) {
            return Err(format!(
                "{} read {}, model allows {}",
                String::from_utf8_lossy(k),
                show_vals(std::slice::from_ref(x)),
                show_vals(s)
            ));
        }
        **s = vec![x.clone()];
        Ok(())
    }

    pub(super) fn incr_acked(
        &mut self,
        c: usize,
        k: &[u8],
        n: i64,
        inv: u64,
    ) -> Result<(), String> {
        if k == SHARED_COUNTER {
            self.counter_ops.push(CounterOp {
                incr: true,
                inv,
                resp: self.step,
                val: Some(n),
            });
            return Ok(());
        }
        let s = self.conns[c].model.get_mut(k).ok_or("unknown key")?;
        if !s.iter().any(|p| incr_of(p) == Some(n)) {
            return Err(format!("INCR gave {n}, model allows from {}", show_vals(s)));
        }
        *s = vec![Some(n.to_string().into_bytes())];
        Ok(())
    }

    /// The command may or may not have run: widen the model.
    pub(super) fn unknown_outcome(&mut self, c: usize, sent: &Sent) {
        let add = |s: &mut Vec<Option<Vec<u8>>>, v: Option<Vec<u8>>| {
            if !s.contains(&v) {
                s.push(v);
            }
        };
        let model = &mut self.conns[c].model;
        match &sent.cmd {
            Cmd::Get(_)
            | Cmd::Mget(_)
            | Cmd::Multi
            | Cmd::Queued(_)
            | Cmd::ExecTransfer(_)
            | Cmd::ExecSum
            | Cmd::Setup(_)
            | Cmd::MoveToken(..)
            | Cmd::ExecTokens => {}
            Cmd::Set(k, v) => add(model.get_mut(k).expect("own key"), Some(v.clone())),
            Cmd::Mset(kv) => {
                for (k, v) in kv {
                    add(model.get_mut(k).expect("own key"), Some(v.clone()));
                }
            }
            Cmd::Del(keys) => {
                for k in keys {
                    add(model.get_mut(k).expect("own key"), None);
                }
            }
            Cmd::Incr(k) if k == SHARED_COUNTER => self.counter_ops.push(CounterOp {
                incr: true,
                inv: sent.inv,
                resp: self.step,
                val: None,
            }),
            Cmd::Incr(k) => {
                let s = model.get_mut(k).expect("own key");
                let next: Vec<Option<Vec<u8>>> = s
                    .iter()
                    .filter_map(incr_of)
                    .map(|n| Some(n.to_string().into_bytes()))
                    .collect();
                for v in next {
                    add(s, v);
                }
            }
        }
    }

    /// The shared counter is linearizable: acknowledged INCRs return
    /// distinct values ordered by real time, and every read lies between
    /// what finished before it and what had started by its end.
    pub(super) fn check_counter(&self) -> Result<(), String> {
        let ops = &self.counter_ops;
        let incrs: Vec<&CounterOp> = ops.iter().filter(|o| o.incr).collect();
        let mut seen = BTreeMap::new();
        for a in incrs.iter().filter(|o| o.val.is_some()) {
            if let Some(b) = seen.insert(a.val, a) {
                return Err(format!(
                    "shared counter: INCR {:?} acknowledged twice: {b:?} and {a:?}",
                    a.val
                ));
            }
        }
        for a in ops {
            let Some(av) = a.val else { continue };
            let started = incrs.iter().filter(|i| i.inv <= a.resp).count() as i64;
            if av > started {
                return Err(format!(
                    "shared counter: {a:?} saw {av} with only {started} INCRs started"
                ));
            }
            for b in ops {
                let Some(bv) = b.val else { continue };
                if a.resp < b.inv && (bv < av || (b.incr && bv == av)) {
                    return Err(format!(
                        "shared counter goes back in time: {a:?} then {b:?}"
                    ));
                }
            }
        }
        Ok(())
    }
}
