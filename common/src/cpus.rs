//! CPU lists and thread placement.
//!
//! A CPU list is the kernel's text form (`0-3,6`, as `taskset -c` and
//! `/sys/devices/system/cpu/online` write it). [`allowed`] reads the CPUs
//! this process may run on (`sched_getaffinity`: a cgroup or `taskset`
//! may allow fewer than the machine has) and [`pin_current_thread`] binds
//! the calling thread to a set of them (`sched_setaffinity`). The proxy
//! decides the placement (`proxy/src/placement.rs`); a shard pins itself
//! to the CPUs it is told (`shardd --cpus`).

/// The highest CPU number a list may name (`cpu_set_t` holds 1024).
pub const MAX_CPU: usize = 1023;

/// Parses a CPU list (`0-3,6`); the result is sorted and without
/// repeats. Empty text or a bad item is an error.
pub fn parse_list(text: &str) -> Result<Vec<usize>, String> {
    let mut cpus = Vec::new();
    let bad = || format!("bad CPU list '{text}' (want e.g. 0-3,6)");
    for item in text.split(',') {
        let item = item.trim();
        let (lo, hi) = match item.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (item, item),
        };
        let lo: usize = lo.parse().map_err(|_| bad())?;
        let hi: usize = hi.parse().map_err(|_| bad())?;
        if lo > hi || hi > MAX_CPU {
            return Err(bad());
        }
        cpus.extend(lo..=hi);
    }
    cpus.sort_unstable();
    cpus.dedup();
    Ok(cpus)
}

/// Writes `cpus` (sorted) as a CPU list, runs joined (`0-3,6`).
pub fn format_list(cpus: &[usize]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        match j > i {
            true => out.push_str(&format!("{}-{}", cpus[i], cpus[j])),
            false => out.push_str(&cpus[i].to_string()),
        }
        i = j + 1;
    }
    out
}

/// The CPUs the calling thread may run on.
pub fn allowed() -> std::io::Result<Vec<usize>> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the kernel writes
    // at most its size, which we pass.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: CPU_ISSET reads the set within its size (i <= MAX_CPU).
    Ok((0..=MAX_CPU)
        .filter(|&i| unsafe { libc::CPU_ISSET(i, &set) })
        .collect())
}

/// Binds the calling thread (in a child before `exec`, the process) to
/// `cpus`. Only a system call: safe between `fork` and `exec`.
pub fn pin_current_thread(cpus: &[usize]) -> std::io::Result<()> {
    // SAFETY: as in `allowed`; CPU_SET writes within the set for
    // i <= MAX_CPU, which `parse_list` guarantees and we check again.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    for &c in cpus {
        if c > MAX_CPU {
            return Err(std::io::Error::from(std::io::ErrorKind::InvalidInput));
        }
        unsafe { libc::CPU_SET(c, &mut set) };
    }
    let rc = unsafe { libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    match rc {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_and_print_as_the_kernel_writes_them() {
        assert_eq!(parse_list("0-3,6").unwrap(), vec![0, 1, 2, 3, 6]);
        assert_eq!(parse_list(" 5 , 1-2,2").unwrap(), vec![1, 2, 5]);
        assert_eq!(format_list(&[0, 1, 2, 3, 6, 8, 9]), "0-3,6,8-9");
        assert_eq!(format_list(&[4]), "4");
        assert_eq!(format_list(&[]), "");
        for bad in ["", "a", "3-1", "1,,2", "0-1024", "-1"] {
            assert!(parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_thread_pinned_to_one_allowed_cpu_runs_there_only() {
        let before = allowed().unwrap();
        assert!(!before.is_empty());
        let one = before[before.len() - 1];
        std::thread::spawn(move || {
            pin_current_thread(&[one]).unwrap();
            assert_eq!(allowed().unwrap(), vec![one]);
        })
        .join()
        .unwrap();
        // The other threads keep their own set.
        assert_eq!(allowed().unwrap(), before);
    }
}
