//! A cheap clock for timing commands: the CPU's time-stamp counter where
//! it runs at one constant rate (x86_64 with `constant_tsc` and
//! `nonstop_tsc` in `/proc/cpuinfo`), read with one instruction and
//! scaled to nanoseconds by a factor measured once against the system
//! clock; elsewhere the monotonic system clock.
//!
//! Why: a shard times every command (INFO commandstats, latencystats, the
//! slow log). `Instant::now()` plus the subtraction costs about 60
//! instructions a command under callgrind; reading the counter costs a
//! handful.

use std::{sync::OnceLock, time::Instant};

/// How ticks become nanoseconds: `ns = ticks * mult >> SHIFT`.
const SHIFT: u32 = 24;
/// How long calibration measures the counter against the system clock.
const CALIBRATION_NS: u128 = 2_000_000;

struct Scale {
    /// Fixed-point nanoseconds per tick; 0 when the counter is not used.
    mult: u64,
    origin: Instant,
}

fn scale() -> &'static Scale {
    static SCALE: OnceLock<Scale> = OnceLock::new();
    SCALE.get_or_init(|| {
        let origin = Instant::now();
        let mult = if counter_is_steady() { calibrate() } else { 0 };
        Scale { mult, origin }
    })
}

#[cfg(target_arch = "x86_64")]
fn counter_is_steady() -> bool {
    let Ok(info) = std::fs::read_to_string("/proc/cpuinfo") else {
        return false;
    };
    let flags = info
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or_default();
    let has = |f: &str| flags.split_whitespace().any(|x| x == f);
    has("constant_tsc") && has("nonstop_tsc")
}

#[cfg(not(target_arch = "x86_64"))]
fn counter_is_steady() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn counter() -> u64 {
    // SAFETY: RDTSC has no memory effects; x86_64 always has it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn counter() -> u64 {
    0
}

/// Measures the counter's rate against the system clock (a 2 ms spin, once
/// per process).
fn calibrate() -> u64 {
    let (t0, c0) = (Instant::now(), counter());
    while t0.elapsed().as_nanos() < CALIBRATION_NS {
        std::hint::spin_loop();
    }
    let (ns, ticks) = (t0.elapsed().as_nanos(), counter().wrapping_sub(c0));
    if ticks == 0 {
        return 0;
    }
    u64::try_from((ns << SHIFT) / ticks as u128).unwrap_or(0)
}

/// Sets the clock up now (calibration spins 2 ms) rather than at the first
/// command timed.
pub fn init() {
    scale();
}

/// A reading of the clock, in ticks (only differences mean anything).
#[inline]
pub fn now() -> u64 {
    let s = scale();
    if s.mult != 0 {
        counter()
    } else {
        s.origin.elapsed().as_nanos() as u64
    }
}

/// The nanoseconds between readings `from` and `to` (0 if `to` is earlier).
#[inline]
pub fn ns_between(from: u64, to: u64) -> u64 {
    let d = to.saturating_sub(from);
    let s = scale();
    if s.mult != 0 {
        ((d as u128 * s.mult as u128) >> SHIFT) as u64
    } else {
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_measure_time_against_the_system_clock() {
        init();
        let (t0, c0) = (Instant::now(), now());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (wall, ticks) = (t0.elapsed().as_nanos() as u64, ns_between(c0, now()));
        // Within 10% of the system clock.
        assert!(
            ticks > wall * 9 / 10 && ticks < wall * 11 / 10,
            "{ticks} ns vs {wall}"
        );
        assert_eq!(ns_between(10, 5), 0);
    }
}
