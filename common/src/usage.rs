//! What the operating system says about this process and machine: CPU time
//! (`INFO cpu`), the machine's memory and kernel (`INFO server`, `INFO
//! memory`). Each reads `getrusage` or a small `/proc` file: for INFO, never
//! on a command's path.

/// CPU time of this process and of its waited-for children, microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTime {
    /// System time of the process.
    pub sys_us: u64,
    /// User time of the process.
    pub user_us: u64,
    /// System time of its terminated, waited-for children.
    pub children_sys_us: u64,
    /// User time of its terminated, waited-for children.
    pub children_user_us: u64,
}

impl CpuTime {
    /// Adds `other`'s times to these.
    pub fn add(&mut self, other: &CpuTime) {
        self.sys_us += other.sys_us;
        self.user_us += other.user_us;
        self.children_sys_us += other.children_sys_us;
        self.children_user_us += other.children_user_us;
    }
}

fn rusage_us(who: libc::c_int) -> (u64, u64) {
    // SAFETY: getrusage writes a `rusage` into the zeroed value we own and
    // reads nothing else.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return (0, 0);
    }
    let us = |t: libc::timeval| t.tv_sec.max(0) as u64 * 1_000_000 + t.tv_usec.max(0) as u64;
    (us(ru.ru_stime), us(ru.ru_utime))
}

/// This process's CPU time now.
pub fn cpu_time() -> CpuTime {
    let (sys_us, user_us) = rusage_us(libc::RUSAGE_SELF);
    let (children_sys_us, children_user_us) = rusage_us(libc::RUSAGE_CHILDREN);
    CpuTime {
        sys_us,
        user_us,
        children_sys_us,
        children_user_us,
    }
}

/// `us` microseconds as INFO prints CPU seconds (`12.345678`).
pub fn seconds_text(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

/// The machine's memory (`MemTotal` of `/proc/meminfo`), 0 if unknown.
pub fn total_system_memory() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// The kernel as `uname -srm` names it (`Linux 6.1.0 x86_64`).
pub fn os_name() -> String {
    let read = |f: &str| {
        std::fs::read_to_string(f)
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    };
    let sys = match read("/proc/sys/kernel/ostype") {
        s if s.is_empty() => std::env::consts::OS.to_string(),
        s => s,
    };
    format!(
        "{sys} {} {}",
        read("/proc/sys/kernel/osrelease"),
        std::env::consts::ARCH
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_moves_and_prints_as_redis_does() {
        let before = cpu_time();
        let mut x = 0u64;
        for i in 0..2_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let after = cpu_time();
        assert!(after.user_us + after.sys_us >= before.user_us + before.sys_us);
        assert_eq!(seconds_text(12_000_345), "12.000345");
        assert!(total_system_memory() > 0);
        assert!(os_name().starts_with("Linux "), "{}", os_name());
    }
}
