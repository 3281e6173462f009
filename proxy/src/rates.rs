//! Instantaneous rates for `INFO stats` (`instantaneous_ops_per_sec`,
//! `instantaneous_input_kbps`, `instantaneous_output_kbps`), measured as
//! Redis measures them: every [`crate::state::CLOCK_TICK_MS`] the clock
//! thread ([`Rates::sample`]) turns each counter's growth since the
//! previous sample into a per-second figure kept in a ring of the last
//! [`SAMPLES`]; a rate is the mean of the ring (so it reads 0 until the
//! first samples, and follows a change in load within about 1.6 s).
//!
//! Counters that went back (`CONFIG RESETSTAT`) give a 0 sample.

use std::sync::Mutex;

/// Samples a rate is the mean of (Redis's `STATS_METRIC_SAMPLES`).
pub const SAMPLES: usize = 16;

/// What is sampled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Commands processed.
    Commands = 0,
    /// Bytes read from clients.
    NetInput = 1,
    /// Bytes written to clients.
    NetOutput = 2,
}

const METRICS: usize = 3;

#[derive(Debug, Default)]
struct Ring {
    /// The previous sample's time (ms) and counters.
    last: Option<(u64, [u64; METRICS])>,
    /// Per-second figures, by metric.
    samples: [[u64; SAMPLES]; METRICS],
    /// Where the next sample goes.
    next: usize,
}

/// The rings of the sampled counters.
#[derive(Debug, Default)]
pub struct Rates {
    ring: Mutex<Ring>,
}

impl Rates {
    /// Records the counters' values `now` (`now_ms`, any monotonic
    /// milliseconds), in [`Metric`] order.
    pub fn sample(&self, now_ms: u64, values: [u64; METRICS]) {
        let mut r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, before)) = r.last {
            let elapsed = now_ms.saturating_sub(at);
            let at = r.next;
            for m in 0..METRICS {
                let grown = values[m].saturating_sub(before[m]);
                r.samples[m][at] = match elapsed {
                    0 => 0,
                    ms => grown.saturating_mul(1000) / ms,
                };
            }
            r.next = (at + 1) % SAMPLES;
        }
        r.last = Some((now_ms, values));
    }

    /// The mean per-second figure of `m` over the last [`SAMPLES`] samples.
    pub fn rate(&self, m: Metric) -> u64 {
        let r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        r.samples[m as usize].iter().sum::<u64>() / SAMPLES as u64
    }

    /// Forgets the samples (`CONFIG RESETSTAT`).
    pub fn reset(&self) {
        let mut r = self.ring.lock().unwrap_or_else(|p| p.into_inner());
        *r = Ring::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_the_mean_of_the_last_sixteen_per_second_samples() {
        let r = Rates::default();
        // The first call only sets the baseline.
        r.sample(0, [0, 0, 0]);
        assert_eq!(r.rate(Metric::Commands), 0);
        // 100 commands and 2,048 bytes in per 100 ms: 1,000/s and 20,480
        // B/s, but the ring still holds 15 zeros.
        r.sample(100, [100, 2048, 0]);
        assert_eq!(r.rate(Metric::Commands), 1000 / 16);
        for i in 2..=16u64 {
            r.sample(100 * i, [100 * i, 2048 * i, 0]);
        }
        assert_eq!(r.rate(Metric::Commands), 1000);
        assert_eq!(r.rate(Metric::NetInput), 20_480);
        assert_eq!(r.rate(Metric::NetOutput), 0);
        // A late tick (200 ms for 100 commands) counts per second.
        r.sample(1_800, [1_700, 2048 * 16, 0]);
        assert_eq!(r.rate(Metric::Commands), (15 * 1000 + 500) / 16);
        // The load stops: sixteen idle samples bring it to 0.
        for i in 1..=16u64 {
            r.sample(1_800 + 100 * i, [1_700, 2048 * 16, 0]);
        }
        assert_eq!(r.rate(Metric::Commands), 0);
    }

    #[test]
    fn counters_that_went_back_and_a_reset_give_zero() {
        let r = Rates::default();
        r.sample(0, [500, 500, 500]);
        r.sample(100, [0, 0, 0]);
        assert_eq!(r.rate(Metric::NetOutput), 0);
        r.sample(100, [10, 10, 10]);
        assert_eq!(r.rate(Metric::Commands), 0, "no time passed");
        r.sample(200, [110, 10, 10]);
        assert!(r.rate(Metric::Commands) > 0);
        r.reset();
        assert_eq!(r.rate(Metric::Commands), 0);
    }
}
