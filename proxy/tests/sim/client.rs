//! The proxy side of the simulation: clients generate and send commands
//! through the real dispatch; the flusher, the reply reader and the
//! monitor act when the scheduler picks them.

use std::task::{Context, Poll};

use rand::{rngs::StdRng, Rng};
use shared_ring::{Channel, Hello, RingConfig};

use super::{
    noop_waker, Cmd, Fut, Sent, Sim, SimConn, Transfer, CONNS, PIPELINE_MAX, RING_CAPACITY_BYTES,
    SHARED_COUNTER,
};

impl Sim {
    pub(super) fn gen_cmd(&mut self, c: usize) -> Cmd {
        let conn = &mut self.conns[c];
        conn.seq += 1;
        let seq = conn.seq;
        let rng = &mut self.rng;
        let value = |rng: &mut StdRng, i: usize| {
            let mut v = format!("c{c}.{seq}.{i}").into_bytes();
            // Some values pass a quarter of the ring (chunked records), a
            // few the whole ring.
            let extra = match rng.gen_range(0..40) {
                0 => rng.gen_range(3_000..9_000),
                1..=5 => rng.gen_range(600..1_600),
                _ => 0,
            };
            v.extend(std::iter::repeat_n(b'x', extra));
            v
        };
        let any_key = |rng: &mut StdRng, conn: &SimConn| -> Vec<u8> {
            match rng.gen_range(0..5) {
                0 => SHARED_COUNTER.to_vec(),
                1 | 2 => conn.counters[rng.gen_range(0..conn.counters.len())].clone(),
                _ => conn.registers[rng.gen_range(0..conn.registers.len())].clone(),
            }
        };
        let distinct = |rng: &mut StdRng, pool: &[Vec<u8>], n: usize| -> Vec<Vec<u8>> {
            let mut keys: Vec<Vec<u8>> = pool.to_vec();
            let mut out = Vec::new();
            for _ in 0..n.min(keys.len()) {
                out.push(keys.swap_remove(rng.gen_range(0..keys.len())));
            }
            out
        };
        match rng.gen_range(0..100) {
            0..=19 => Cmd::Get(any_key(rng, conn)),
            20..=37 => {
                let k = conn.registers[rng.gen_range(0..conn.registers.len())].clone();
                Cmd::Set(k, value(rng, 0))
            }
            38..=57 => {
                if rng.gen_ratio(1, 3) {
                    Cmd::Incr(SHARED_COUNTER.to_vec())
                } else {
                    Cmd::Incr(conn.counters[rng.gen_range(0..conn.counters.len())].clone())
                }
            }
            58..=65 => {
                let pool: Vec<Vec<u8>> = conn
                    .counters
                    .iter()
                    .chain(&conn.registers)
                    .cloned()
                    .collect();
                let n = rng.gen_range(1..=3);
                Cmd::Del(distinct(rng, &pool, n))
            }
            66..=82 => {
                let mut pool: Vec<Vec<u8>> = conn
                    .counters
                    .iter()
                    .chain(&conn.registers)
                    .cloned()
                    .collect();
                pool.push(SHARED_COUNTER.to_vec());
                let n = rng.gen_range(1..=5);
                Cmd::Mget(distinct(rng, &pool, n))
            }
            _ => {
                let n = rng.gen_range(1..=3);
                let keys = distinct(rng, &conn.registers, n);
                Cmd::Mset(
                    keys.into_iter()
                        .enumerate()
                        .map(|(i, k)| (k, value(rng, i)))
                        .collect(),
                )
            }
        }
    }

    pub(super) fn client_send(&mut self) {
        let ready: Vec<usize> = (0..CONNS)
            .filter(|&c| self.conns[c].st.is_some() && self.conns[c].sent.len() < PIPELINE_MAX)
            .collect();
        if ready.is_empty() {
            self.log("send: no client can send".into());
            return;
        }
        let c = ready[self.rng.gen_range(0..ready.len())];
        match self.rng.gen_range(0..100) {
            0..=9 => self.send_transfer(c),
            10..=12 => self.send_sum(c),
            13..=17 => {
                let n = self.queues.len();
                let a = self.rng.gen_range(0..n);
                let b = (a + 1 + self.rng.gen_range(0..n - 1)) % n;
                let cmd = Cmd::MoveToken(self.queues[a].clone(), self.queues[b].clone());
                self.send_cmd(c, cmd);
            }
            18..=19 => {
                self.send_cmd(c, Cmd::Multi);
                for q in self.queues.clone() {
                    let lrange = vec![b"LRANGE".to_vec(), q, b"0".to_vec(), b"-1".to_vec()];
                    self.send_cmd(c, Cmd::Queued(lrange));
                }
                self.send_cmd(c, Cmd::ExecTokens);
            }
            _ => {
                let cmd = self.gen_cmd(c);
                self.send_cmd(c, cmd);
            }
        }
    }

    /// A transfer between two accounts as one transaction (MULTI and the
    /// queued commands are answered by the proxy at once; EXEC may wait).
    fn send_transfer(&mut self, c: usize) {
        let n = self.accounts.len();
        let a = self.rng.gen_range(0..n);
        let b = (a + 1 + self.rng.gen_range(0..n - 1)) % n;
        let amount = self.rng.gen_range(1..=9);
        let i = self.transfers.len();
        let t = Transfer {
            from: self.accounts[a].clone(),
            to: self.accounts[b].clone(),
            amount,
            marker: format!("m:{i}").into_bytes(),
            acked: false,
        };
        let n = amount.to_string().into_bytes();
        let queued = [
            vec![b"DECRBY".to_vec(), t.from.clone(), n.clone()],
            vec![b"INCRBY".to_vec(), t.to.clone(), n],
            vec![b"SET".to_vec(), t.marker.clone(), b"1".to_vec()],
            // A set every transfer adds to: its undo is a step
            // (`txlog::Delta`), through every crash as the rest.
            vec![
                b"SADD".to_vec(),
                super::DONE.to_vec(),
                i.to_string().into_bytes(),
            ],
        ];
        self.transfers.push(t);
        self.send_cmd(c, Cmd::Multi);
        for q in queued {
            self.send_cmd(c, Cmd::Queued(q));
        }
        self.send_cmd(c, Cmd::ExecTransfer(i));
    }

    /// `MULTI; MGET every account; EXEC`: must always sum to 0.
    fn send_sum(&mut self, c: usize) {
        let mut mget = vec![b"MGET".to_vec()];
        mget.extend(self.accounts.iter().cloned());
        self.send_cmd(c, Cmd::Multi);
        self.send_cmd(c, Cmd::Queued(mget));
        self.send_cmd(c, Cmd::ExecSum);
    }

    pub(super) fn send_cmd(&mut self, c: usize, cmd: Cmd) {
        self.log(format!("c{c} send {}", cmd.show()));
        self.totals.commands += 1;
        let argv = cmd.argv();
        let conn = &mut self.conns[c];
        conn.sent.push_back(Sent {
            cmd,
            inv: self.step,
        });
        let Some(mut st) = conn.st.take() else {
            panic!("c{c} sends while blocked");
        };
        let w = self.w.clone();
        let out = conn.out.clone();
        let fut: Fut = Box::pin(tokio::task::unconstrained(async move {
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            proxy::dispatch::handle(&w, &mut st, &out, &refs).await;
            st
        }));
        conn.blocked = Some(fut);
        self.poll_conn(c);
    }

    /// Polls a command blocked in dispatch (waiting for ring space or for
    /// its shard), as the runtime would after a wake-up.
    pub(super) fn poll_conn(&mut self, c: usize) {
        let conn = &mut self.conns[c];
        let Some(fut) = conn.blocked.as_mut() else {
            return;
        };
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(st) => {
                conn.blocked = None;
                conn.st = Some(st);
            }
            Poll::Pending => {
                if self.w.links.borrow().iter().any(|l| l.wants_space) {
                    self.totals.full_waits += 1;
                }
            }
        }
    }

    pub(super) fn poll_blocked(&mut self) {
        for c in 0..CONNS {
            self.poll_conn(c);
        }
        self.poll_resolver();
    }

    /// Polls the resolver of transactions in doubt; starts it again if an
    /// attach came while it ran.
    fn poll_resolver(&mut self) {
        if self.resolver.is_none() && std::mem::take(&mut self.resolve_again) {
            let w = self.w.clone();
            self.resolver = Some(Box::pin(tokio::task::unconstrained(async move {
                proxy::builtin::xtx::resolve_in_doubt(&w).await;
            })));
            self.log("resolver starts".into());
        }
        let Some(fut) = self.resolver.as_mut() else {
            return;
        };
        let waker = noop_waker();
        let mut cx = Context::from_waker(&waker);
        if fut.as_mut().poll(&mut cx).is_ready() {
            self.resolver = None;
            self.log("resolver done".into());
        }
    }

    pub(super) fn flush(&mut self) {
        self.log("flusher publishes".into());
        self.w.flush_now();
    }

    pub(super) fn read_replies(&mut self) {
        let n = self.w.read_replies();
        self.log(format!("reply reader delivers {n}"));
    }

    pub(super) fn notice_hang_up(&mut self, s: usize) {
        let n = self.w.links.borrow()[s].inflight();
        self.log(format!("monitor: s{s} hung up, {n} in flight fail"));
        self.w.links.borrow_mut()[s].set_down();
    }

    pub(super) fn attach(&mut self, s: usize) {
        let sh = &mut self.shards[s];
        sh.generation += 1;
        let cfg = RingConfig {
            capacity_bytes: RING_CAPACITY_BYTES,
            max_record_bytes: 1 << 20,
        };
        let worker = Hello {
            generation: sh.generation,
            ..Hello::default()
        };
        let (proxy_end, shard_end) =
            Channel::local_pair(cfg, worker, Hello::default()).expect("local ring pair");
        sh.ch = Some(shard_end);
        let g = sh.generation;
        self.log(format!("monitor: s{s} attached (generation {g})"));
        self.w.links.borrow_mut()[s].set_up(proxy_end);
        self.resolve_again = true;
    }
}
