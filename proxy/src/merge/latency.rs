//! `LATENCY LATEST|HISTORY|DOCTOR|GRAPH|RESET` over the whole server:
//! every shard's latency monitor (`SHARDD.LATENCY`) and the proxy's own,
//! as one monitor (`common::latency::LatencyMonitor::merge`: the worst
//! spike of each second, the worst ever).

use common::{
    latency::{self, LatencyMonitor},
    reply::Reply,
    resp_value::{self, Value},
};

/// What the merge builds.
#[derive(Clone, Debug)]
pub enum LatencyWhat {
    /// `LATENCY LATEST`.
    Latest,
    /// `LATENCY HISTORY event`.
    History(Vec<u8>),
    /// `LATENCY DOCTOR`.
    Doctor,
    /// `LATENCY GRAPH event`.
    Graph(Vec<u8>),
    /// `LATENCY RESET`: the events the proxy reset (the shards answer
    /// theirs; the reply counts the events reset anywhere).
    Reset(Vec<String>),
}

/// A merge of the shards' latency monitors with the proxy's.
#[derive(Clone, Debug)]
pub struct LatencyMerge {
    /// The proxy's monitor, as it was when the command arrived.
    pub proxy: LatencyMonitor,
    /// `latency-monitor-threshold` (for DOCTOR).
    pub threshold_ms: u64,
    /// `slowlog-log-slower-than` (for DOCTOR).
    pub slower_than_us: i64,
    /// What to build.
    pub what: LatencyWhat,
}

impl LatencyMerge {
    /// Writes the merged reply from the shards' parts (all of them
    /// answered: an error part was already given as the reply).
    pub fn finish(&self, parts: &[&[u8]], r: &mut Reply) {
        let values: Option<Vec<Value<'_>>> = parts
            .iter()
            .map(|p| resp_value::parse(p).map(|(v, _)| v))
            .collect();
        let Some(values) = values else {
            return r.error("ERR bad LATENCY reply from a shard");
        };
        if let LatencyWhat::Reset(mine) = &self.what {
            let mut names = mine.clone();
            for v in &values {
                let theirs = v.as_array().unwrap_or_default();
                names.extend(
                    theirs
                        .iter()
                        .filter_map(|n| n.as_bytes())
                        .map(|n| String::from_utf8_lossy(n).into_owned()),
                );
            }
            names.sort();
            names.dedup();
            return r.int(names.len() as i64);
        }
        let mut all = self.proxy.clone();
        for v in &values {
            match latency::parse_wire(v) {
                Some(m) => all.merge(&m),
                None => return r.error("ERR bad LATENCY reply from a shard"),
            }
        }
        let now = latency::now_secs();
        match &self.what {
            LatencyWhat::Latest => {
                let events = all.events();
                r.array(events.len());
                for (name, s) in events {
                    let last = s.latest();
                    r.array(4);
                    r.bulk(name.as_bytes());
                    r.int(last.map_or(0, |x| x.time) as i64);
                    r.int(last.map_or(0, |x| x.latency_ms) as i64);
                    r.int(s.max_ms as i64);
                }
            }
            LatencyWhat::History(event) => {
                let samples = all
                    .series(&String::from_utf8_lossy(event))
                    .map(|s| s.samples.clone())
                    .unwrap_or_default();
                r.array(samples.len());
                for x in samples {
                    r.array(2);
                    r.int(x.time as i64);
                    r.int(x.latency_ms as i64);
                }
            }
            LatencyWhat::Doctor => {
                let text = latency::doctor(&all, self.threshold_ms, self.slower_than_us, now);
                r.verbatim(text.as_bytes());
            }
            LatencyWhat::Graph(event) => {
                let event = String::from_utf8_lossy(event);
                let found = all
                    .events()
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&event));
                match found {
                    Some((name, s)) => r.verbatim(latency::graph(name, s, now).as_bytes()),
                    None => r.error(&format!("ERR No samples available for event '{event}'")),
                }
            }
            LatencyWhat::Reset(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use common::reply::Proto;

    use super::*;

    fn wire(m: &LatencyMonitor) -> Vec<u8> {
        let mut out = Vec::new();
        latency::write_wire(&mut Reply::new(&mut out, Proto::Resp2), m);
        out
    }

    fn finish(m: &LatencyMerge, parts: &[&[u8]]) -> String {
        let mut out = Vec::new();
        m.finish(parts, &mut Reply::new(&mut out, Proto::Resp2));
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn the_shards_and_the_proxy_make_one_monitor() {
        let mut proxy = LatencyMonitor::new();
        proxy.add("command", 100, 300);
        let mut shard = LatencyMonitor::new();
        shard.add("command", 101, 500);
        shard.add("fast-command", 100, 20);
        let part = wire(&shard);
        let mut m = LatencyMerge {
            proxy,
            threshold_ms: 100,
            slower_than_us: 10_000,
            what: LatencyWhat::Latest,
        };
        assert_eq!(
            finish(&m, &[&part]),
            "*2\r\n*4\r\n$7\r\ncommand\r\n:101\r\n:500\r\n:500\r\n*4\r\n$12\r\nfast-command\r\n:100\r\n:20\r\n:20\r\n"
        );
        m.what = LatencyWhat::History(b"COMMAND".to_vec());
        assert_eq!(
            finish(&m, &[&part]),
            "*2\r\n*2\r\n:100\r\n:300\r\n*2\r\n:101\r\n:500\r\n"
        );
        m.what = LatencyWhat::History(b"nope".to_vec());
        assert_eq!(finish(&m, &[&part]), "*0\r\n");
        m.what = LatencyWhat::Graph(b"nope".to_vec());
        assert_eq!(
            finish(&m, &[&part]),
            "-ERR No samples available for event 'nope'\r\n"
        );
        m.what = LatencyWhat::Graph(b"command".to_vec());
        assert!(finish(&m, &[&part]).contains("command - high 500 ms, low 300 ms"));
        m.what = LatencyWhat::Doctor;
        assert!(finish(&m, &[&part]).contains("2. fast-command: 1 latency spikes"));
        m.what = LatencyWhat::Reset(vec!["command".into()]);
        assert_eq!(
            finish(&m, &[b"*2\r\n$7\r\ncommand\r\n$12\r\nfast-command\r\n"]),
            ":2\r\n"
        );
        m.what = LatencyWhat::Latest;
        assert!(finish(&m, &[b"+what\r\n"]).starts_with("-ERR bad LATENCY"));
        assert!(finish(&m, &[b"*1\r\n"]).starts_with("-ERR bad LATENCY"));
    }
}
