//! Where the proxy's worker threads and its shard processes run.
//!
//! `cpu-affinity` (`--cpu-affinity`) is `auto` (the default) or `none`;
//! `worker-cpus` and `shard-cpus` (`--worker-cpus 0`, `--shard-cpus 1-3`)
//! name CPU lists that override auto's choice for their side. Worker `i`
//! runs on the `i`-th CPU of its list (cycling), shard `i` likewise on
//! its list; a shard learns it as `--cpus` on its command line (shards
//! started apart and attached with `--attach` place themselves with the
//! same flag, `ops/start` passes none).
//!
//! Auto, from the CPUs this process may use (`taskset` and cgroups
//! count), `n` of them, for `w` workers and `s` shards:
//!
//! - `n >= w + s + 1`: every worker and every shard gets a CPU of its own
//!   (workers first, from the lowest), and the rest is left to the
//!   clients; the shards spin briefly before they park
//!   ([`shardd::server::SPIN_ROUNDS`]), since nobody needs their core.
//! - fewer: nothing is pinned (measured on 2 cores: every pinning tried,
//!   all on one core, the worker apart from its shards, the worker with
//!   shard 0, was slower in one of P1 and P16 than leaving the kernel to
//!   place them; see `benches/RESULTS.md`), and the shards do not spin:
//!   a spinning shard takes the core its worker or a client needs (P1 GET
//!   CPU per request: shards 5.5 us spinning, 2.7 us not).
//!
//! `none`: nothing pinned, shards spin only when there are CPUs for all
//! as above. Explicit lists pin even when auto would not; a shard spins
//! when its CPUs are shared with no worker and no other shard.

/// `cpu-affinity`: who decides where the threads run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The proxy, from the CPU count (and the lists, if given).
    #[default]
    Auto,
    /// The kernel (lists given anyway still apply).
    None,
}

impl Mode {
    /// Reads `auto` or `none`.
    pub fn parse(text: &str) -> Result<Mode, String> {
        match text.to_ascii_lowercase().as_str() {
            "auto" => Ok(Mode::Auto),
            "none" => Ok(Mode::None),
            other => Err(format!("cpu-affinity must be auto or none, not '{other}'")),
        }
    }
}

/// The placement decided at start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// The CPU each worker cycles over (empty: unpinned).
    workers: Vec<usize>,
    /// The CPU each shard cycles over (empty: unpinned).
    shards: Vec<usize>,
    /// Whether the shards spin before parking.
    spin: bool,
}

impl Placement {
    /// Decides for `workers` workers and `shards` shards on the `allowed`
    /// CPUs. Lists name CPUs the process may use, else an error (the
    /// caller, `main`, stops the start with it).
    pub fn plan(
        mode: Mode,
        worker_cpus: Option<&[usize]>,
        shard_cpus: Option<&[usize]>,
        allowed: &[usize],
        workers: usize,
        shards: usize,
    ) -> Result<Placement, String> {
        for (name, list) in [("worker-cpus", worker_cpus), ("shard-cpus", shard_cpus)] {
            if let Some(c) = list.into_iter().flatten().find(|c| !allowed.contains(c)) {
                return Err(format!(
                    "{name}: CPU {c} is not one this process may use ({})",
                    common::cpus::format_list(allowed)
                ));
            }
        }
        let roomy = allowed.len() > workers + shards;
        let (mut w, mut s) = match (mode, roomy) {
            (Mode::Auto, true) => (
                allowed[..workers].to_vec(),
                allowed[workers..workers + shards].to_vec(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        if let Some(list) = worker_cpus {
            w = list.to_vec();
        }
        if let Some(list) = shard_cpus {
            s = list.to_vec();
        }
        let spin = match s.is_empty() {
            // Unpinned: spin only if everyone can have a core.
            true => roomy,
            // Pinned: spin only on CPUs nobody else is given.
            false => {
                let mut sorted = s.clone();
                sorted.sort_unstable();
                sorted.dedup();
                sorted.len() == s.len() && s.len() >= shards && !s.iter().any(|c| w.contains(c))
            }
        };
        Ok(Placement {
            workers: w,
            shards: s,
            spin,
        })
    }

    /// The CPU worker `id` runs on, if pinned.
    pub fn worker(&self, id: usize) -> Option<usize> {
        (!self.workers.is_empty()).then(|| self.workers[id % self.workers.len()])
    }

    /// The CPU shard `id` runs on, if pinned.
    pub fn shard(&self, id: usize) -> Option<usize> {
        (!self.shards.is_empty()).then(|| self.shards[id % self.shards.len()])
    }

    /// The command-line flags that place shard `id`.
    pub fn shard_flags(&self, id: usize) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(c) = self.shard(id) {
            out.push("--cpus".to_string());
            out.push(c.to_string());
        }
        // A shard a scale-out adds past the pinned list shares a CPU with
        // an earlier one: it does not spin (the earlier one still does, as
        // it was started; a restart of the proxy evens them out).
        if !self.spin || (!self.shards.is_empty() && id >= self.shards.len()) {
            out.push("--spin-rounds".to_string());
            out.push("0".to_string());
        }
        out
    }

    /// One line for the log and `INFO server`: `workers=0 shards=1,2
    /// spin=yes` (`-` for unpinned).
    pub fn describe(&self) -> String {
        let list = |v: &[usize]| match v.is_empty() {
            true => "-".to_string(),
            false => v
                .iter()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(","),
        };
        format!(
            "workers={} shards={} spin={}",
            list(&self.workers),
            list(&self.shards),
            if self.spin { "yes" } else { "no" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(
        mode: Mode,
        w: Option<&[usize]>,
        s: Option<&[usize]>,
        n: usize,
        workers: usize,
        shards: usize,
    ) -> Placement {
        let allowed: Vec<usize> = (0..n).collect();
        Placement::plan(mode, w, s, &allowed, workers, shards).unwrap()
    }

    #[test]
    fn auto_gives_each_a_core_when_there_is_one_to_spare() {
        let p = plan(Mode::Auto, None, None, 8, 2, 4);
        assert_eq!(
            (p.worker(0), p.worker(1), p.worker(2)),
            (Some(0), Some(1), Some(0))
        );
        assert_eq!(
            (p.shard(0), p.shard(3), p.shard(4)),
            (Some(2), Some(5), Some(2))
        );
        assert_eq!(p.shard_flags(1), ["--cpus", "3"]);
        // A fifth shard (a scale-out) shares CPU 2 with shard 0: no spin.
        assert_eq!(p.shard_flags(4), ["--cpus", "2", "--spin-rounds", "0"]);
        assert_eq!(p.describe(), "workers=0,1 shards=2,3,4,5 spin=yes");
    }

    #[test]
    fn auto_on_few_cores_pins_nothing_and_does_not_spin() {
        // 2 cores, 1 worker, 2 shards: the default start on this VM.
        let p = plan(Mode::Auto, None, None, 2, 1, 2);
        assert_eq!((p.worker(0), p.shard(0)), (None, None));
        assert_eq!(p.shard_flags(0), ["--spin-rounds", "0"]);
        // Exactly one core each leaves none for clients: no spinning.
        let p = plan(Mode::Auto, None, None, 3, 1, 2);
        assert_eq!(p.describe(), "workers=- shards=- spin=no");
    }

    #[test]
    fn none_pins_nothing_but_lists_given_still_apply() {
        let p = plan(Mode::None, None, None, 8, 1, 2);
        assert_eq!(p.describe(), "workers=- shards=- spin=yes");
        let p = plan(Mode::None, Some(&[0]), Some(&[0, 1]), 2, 1, 2);
        // Shard 0 shares CPU 0 with the worker: no spinning.
        assert_eq!(p.describe(), "workers=0 shards=0,1 spin=no");
        let p = plan(Mode::Auto, Some(&[0]), Some(&[1, 2]), 4, 1, 2);
        assert_eq!(p.describe(), "workers=0 shards=1,2 spin=yes");
        // Two shards on one CPU: no spinning.
        let p = plan(Mode::Auto, Some(&[0]), Some(&[1]), 4, 1, 2);
        assert!(!p.spin);
    }

    #[test]
    fn a_cpu_outside_the_allowed_set_is_refused() {
        let allowed = [2, 3];
        let e = Placement::plan(Mode::Auto, Some(&[0]), None, &allowed, 1, 1).unwrap_err();
        assert!(e.contains("worker-cpus: CPU 0"), "{e}");
        assert!(Mode::parse("sometimes").is_err());
        assert_eq!(Mode::parse("NONE").unwrap(), Mode::None);
    }
}
