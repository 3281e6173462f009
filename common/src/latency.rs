//! The latency monitor (`LATENCY LATEST|HISTORY|RESET|DOCTOR|GRAPH`):
//! per event (`command`, `fast-command`), the latency spikes of at least
//! `latency-monitor-threshold` milliseconds, one sample per second (the
//! worst of that second), the last [`SAMPLES_MAX`] seconds with a spike,
//! and the worst ever.
//!
//! Every process keeps its own monitor (a shard for the commands it ran,
//! the proxy for its own); the proxy merges them ([`LatencyMonitor::merge`])
//! into one: samples of the same second keep the worst, the worst ever is
//! the worst of all. A shard sends its events with [`write_wire`].
//!
//! Recording allocates only when an event is first seen.

use std::{
    collections::{BTreeMap, VecDeque},
    fmt::Write as _,
};

use crate::{reply::Reply, resp_value::Value};

/// Samples kept per event (Redis's `LATENCY_TS_LEN`).
pub const SAMPLES_MAX: usize = 160;

/// One second's worst latency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// Unix time, seconds.
    pub time: u64,
    /// Milliseconds.
    pub latency_ms: u64,
}

/// One event's samples, oldest first, and its worst ever.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Series {
    /// Oldest first, one per second, at most [`SAMPLES_MAX`].
    pub samples: VecDeque<Sample>,
    /// The worst latency ever recorded (ms).
    pub max_ms: u64,
}

impl Series {
    fn add(&mut self, time: u64, latency_ms: u64) {
        self.max_ms = self.max_ms.max(latency_ms);
        match self.samples.back_mut() {
            Some(last) if last.time == time => last.latency_ms = last.latency_ms.max(latency_ms),
            _ => {
                self.samples.push_back(Sample { time, latency_ms });
                if self.samples.len() > SAMPLES_MAX {
                    self.samples.pop_front();
                }
            }
        }
    }

    /// The newest sample.
    pub fn latest(&self) -> Option<Sample> {
        self.samples.back().copied()
    }
}

/// Events by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyMonitor {
    events: BTreeMap<String, Series>,
}

impl LatencyMonitor {
    /// No events.
    pub fn new() -> LatencyMonitor {
        LatencyMonitor::default()
    }

    /// Records `latency_ms` for `event` now if the monitor is on
    /// (`threshold_ms` > 0) and the latency reaches it.
    pub fn record(&mut self, event: &str, latency_ms: u64, threshold_ms: u64) {
        if threshold_ms > 0 && latency_ms >= threshold_ms {
            self.add(event, now_secs(), latency_ms);
        }
    }

    /// Adds a sample at `time` (seconds) unconditionally.
    pub fn add(&mut self, event: &str, time: u64, latency_ms: u64) {
        match self.events.get_mut(event) {
            Some(s) => s.add(time, latency_ms),
            None => {
                let mut s = Series::default();
                s.add(time, latency_ms);
                self.events.insert(event.to_string(), s);
            }
        }
    }

    /// The events, by name.
    pub fn events(&self) -> &BTreeMap<String, Series> {
        &self.events
    }

    /// `event`'s series (names are case-insensitive, as in Redis).
    pub fn series(&self, event: &str) -> Option<&Series> {
        self.events
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(event))
            .map(|(_, s)| s)
    }

    /// Forgets the events named (every event if `names` is empty); returns
    /// the names forgotten.
    pub fn reset(&mut self, names: &[&[u8]]) -> Vec<String> {
        let gone: Vec<String> = self
            .events
            .keys()
            .filter(|n| {
                names.is_empty() || names.iter().any(|w| w.eq_ignore_ascii_case(n.as_bytes()))
            })
            .cloned()
            .collect();
        for n in &gone {
            self.events.remove(n);
        }
        gone
    }

    /// Adds `other`'s samples: the worst of each second, the last
    /// [`SAMPLES_MAX`] seconds, the worst ever.
    pub fn merge(&mut self, other: &LatencyMonitor) {
        for (name, theirs) in &other.events {
            let mine = self.events.entry(name.clone()).or_default();
            mine.max_ms = mine.max_ms.max(theirs.max_ms);
            let mut all: Vec<Sample> = mine
                .samples
                .drain(..)
                .chain(theirs.samples.iter().copied())
                .collect();
            all.sort_by_key(|s| (s.time, std::cmp::Reverse(s.latency_ms)));
            all.dedup_by_key(|s| s.time);
            let skip = all.len().saturating_sub(SAMPLES_MAX);
            mine.samples = all.into_iter().skip(skip).collect();
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Writes a monitor as a shard sends it: an array of `[event, max_ms,
/// [time, latency, time, latency, ...]]`.
pub fn write_wire(r: &mut Reply, m: &LatencyMonitor) {
    r.array(m.events.len());
    for (name, s) in &m.events {
        r.array(3);
        r.bulk(name.as_bytes());
        r.int(s.max_ms as i64);
        r.array(s.samples.len() * 2);
        for x in &s.samples {
            r.int(x.time as i64);
            r.int(x.latency_ms as i64);
        }
    }
}

/// Reads what [`write_wire`] wrote.
pub fn parse_wire(v: &Value<'_>) -> Option<LatencyMonitor> {
    let mut m = LatencyMonitor::new();
    for e in v.as_array()? {
        let [name, max, samples] = e.as_array()? else {
            return None;
        };
        let name = std::str::from_utf8(name.as_bytes()?).ok()?.to_string();
        let mut s = Series {
            max_ms: u64::try_from(max.as_int()?).ok()?,
            ..Series::default()
        };
        for pair in samples.as_array()?.chunks(2) {
            let [t, l] = pair else {
                return None;
            };
            s.samples.push_back(Sample {
                time: u64::try_from(t.as_int()?).ok()?,
                latency_ms: u64::try_from(l.as_int()?).ok()?,
            });
        }
        m.events.insert(name, s);
    }
    Some(m)
}

/// Width of `LATENCY GRAPH`, one column per sample.
pub const GRAPH_COLUMNS: usize = 80;
/// Height of `LATENCY GRAPH`'s bars.
const GRAPH_ROWS: u64 = 4;

/// `LATENCY GRAPH event`: the event's samples as bars (one column per
/// second with a spike, newest right), each labelled with how long ago it
/// was, as Redis draws it.
pub fn graph(event: &str, s: &Series, now: u64) -> String {
    let samples: Vec<Sample> = {
        let skip = s.samples.len().saturating_sub(GRAPH_COLUMNS);
        s.samples.iter().skip(skip).copied().collect()
    };
    let high = samples.iter().map(|x| x.latency_ms).max().unwrap_or(0);
    let low = samples.iter().map(|x| x.latency_ms).min().unwrap_or(0);
    let mut out = format!(
        "{event} - high {high} ms, low {low} ms (all time high {} ms)\n{}\n",
        s.max_ms,
        "-".repeat(GRAPH_COLUMNS)
    );
    // Each bar is 1..=GRAPH_ROWS rows, scaled between low and high.
    let height = |l: u64| {
        if high == low {
            GRAPH_ROWS
        } else {
            1 + (l - low) * (GRAPH_ROWS - 1) / (high - low)
        }
    };
    for row in (1..=GRAPH_ROWS).rev() {
        let line: String = samples
            .iter()
            .map(|x| match height(x.latency_ms) {
                h if h > row => '|',
                h if h == row => '_',
                _ => ' ',
            })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    // Labels, written downwards: "12s", "3m", "2h", "1d".
    let labels: Vec<Vec<char>> = samples
        .iter()
        .map(|x| ago(now.saturating_sub(x.time)).chars().collect())
        .collect();
    let rows = labels.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..rows {
        let line: String = labels
            .iter()
            .map(|l| l.get(row).copied().unwrap_or(' '))
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn ago(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// Numbers `LATENCY DOCTOR` gives per event: samples, their average and
/// mean absolute deviation (ms), and the average period between them.
fn event_figures(s: &Series, now: u64) -> (usize, u64, u64, f64) {
    let n = s.samples.len();
    if n == 0 {
        return (0, 0, 0, 0.0);
    }
    let sum: u64 = s.samples.iter().map(|x| x.latency_ms).sum();
    let avg = sum / n as u64;
    let mad = s
        .samples
        .iter()
        .map(|x| x.latency_ms.abs_diff(avg))
        .sum::<u64>()
        / n as u64;
    let oldest = s.samples.iter().map(|x| x.time).min().unwrap_or(now);
    let period = now.saturating_sub(oldest).max(1);
    (n, avg, mad, period as f64 / n as f64)
}

/// `LATENCY DOCTOR`: what the monitor saw and what to do about it, in
/// shardis's words.
pub fn doctor(m: &LatencyMonitor, threshold_ms: u64, slower_than_us: i64, now: u64) -> String {
    if m.events.is_empty() && threshold_ms == 0 {
        return "The latency monitor is off (latency-monitor-threshold is 0) and has recorded nothing. \
                Turn it on with CONFIG SET latency-monitor-threshold <milliseconds>; \
                every shard and the proxy then record commands that take at least that long.\n"
            .to_string();
    }
    if m.events.is_empty() {
        return format!(
            "No latency spike of {threshold_ms} ms or more has been recorded by the proxy or any shard since \
             the monitor was turned on or last reset.\n"
        );
    }
    let mut out = String::from("Latency spikes were recorded:\n\n");
    let mut advice = Vec::new();
    for (i, (name, s)) in m.events.iter().enumerate() {
        let (n, avg, mad, period) = event_figures(s, now);
        let _ = writeln!(
            out,
            "{}. {name}: {n} latency spikes (average {avg}ms, mean deviation {mad}ms, period {period:.2} sec). \
             Worst all time event {}ms.",
            i + 1,
            s.max_ms
        );
        match name.as_str() {
            "command" => {
                if slower_than_us < 0 {
                    advice.push(format!(
                        "- Slow commands cause spikes. Turn on the slow log to see which: \
                         CONFIG SET slowlog-log-slower-than {}.",
                        threshold_ms.saturating_mul(1000)
                    ));
                } else if slower_than_us as u64 / 1000 > threshold_ms {
                    advice.push(format!(
                        "- The slow log only keeps commands slower than the monitor's threshold: \
                         CONFIG SET slowlog-log-slower-than {} to see the commands behind these spikes.",
                        threshold_ms.saturating_mul(1000)
                    ));
                }
                advice.push(
                    "- SLOWLOG GET lists the slow commands. Commands over large values (big sets, \
                     long lists, wide ranges) take time in proportion; split such keys or ask for less at once."
                        .to_string(),
                );
            }
            "fast-command" => advice.push(
                "- Commands that should take constant time were slow: the machine did not give the \
                 shard or the proxy CPU time (load, a noisy neighbour, or processes moving between cores)."
                    .to_string(),
            ),
            _ => {}
        }
    }
    if advice.is_empty() {
        out.push_str("\nNo advice for these events.\n");
    } else {
        out.push_str("\nAdvice:\n\n");
        for a in advice {
            out.push_str(&a);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{reply::Proto, resp_value};

    #[test]
    fn a_second_keeps_its_worst_spike_and_the_series_is_bounded() {
        let mut m = LatencyMonitor::new();
        m.record("command", 5, 0);
        assert!(m.events().is_empty(), "off at threshold 0");
        m.record("command", 5, 10);
        assert!(m.events().is_empty(), "below the threshold");
        m.add("command", 100, 20);
        m.add("command", 100, 30);
        m.add("command", 100, 25);
        let s = m.series("COMMAND").expect("case-insensitive");
        assert_eq!(s.samples.len(), 1);
        assert_eq!(
            s.latest(),
            Some(Sample {
                time: 100,
                latency_ms: 30
            })
        );
        for t in 0..300 {
            m.add("command", 200 + t, 1);
        }
        assert_eq!(
            m.series("command").map(|s| s.samples.len()),
            Some(SAMPLES_MAX)
        );
        assert_eq!(m.series("command").map(|s| s.max_ms), Some(30));
    }

    #[test]
    fn monitors_travel_and_merge() {
        let mut a = LatencyMonitor::new();
        a.add("command", 10, 50);
        a.add("command", 12, 70);
        let mut b = LatencyMonitor::new();
        b.add("command", 10, 60);
        b.add("fast-command", 11, 5);
        let mut buf = Vec::new();
        write_wire(&mut Reply::new(&mut buf, Proto::Resp2), &b);
        let (v, _) = resp_value::parse(&buf).expect("a value");
        let back = parse_wire(&v).expect("a monitor");
        assert_eq!(back, b);
        a.merge(&back);
        let c = a.series("command").expect("merged");
        let got: Vec<(u64, u64)> = c.samples.iter().map(|s| (s.time, s.latency_ms)).collect();
        assert_eq!(got, [(10, 60), (12, 70)]);
        assert_eq!(c.max_ms, 70);
        assert_eq!(a.reset(&[b"fast-command", b"nope"]), ["fast-command"]);
        assert_eq!(a.reset(&[]), ["command"]);
    }

    #[test]
    fn doctor_and_graph_say_something() {
        let mut m = LatencyMonitor::new();
        assert!(doctor(&m, 0, 10_000, 100).contains("off"));
        m.add("command", 90, 300);
        m.add("command", 95, 500);
        let d = doctor(&m, 100, 10_000, 100);
        assert!(
            d.contains("1. command: 2 latency spikes (average 400ms"),
            "{d}"
        );
        let g = graph("command", m.series("command").expect("event"), 100);
        assert!(
            g.starts_with("command - high 500 ms, low 300 ms (all time high 500 ms)\n"),
            "{g}"
        );
        assert!(
            g.ends_with(" _\n |\n |\n_|\n15\n0s\ns\n"),
            "bars, then the labels 10s and 5s downwards: {g}"
        );
    }
}
