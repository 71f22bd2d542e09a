//! The process tree's memory, read from `/proc/<pid>/smaps_rollup`: the samples a benchmark's
//! [`Memory`](crate::schema::Memory) is made of.
//!
//! The tree is this process and the live descendants its [`Family`] found (by parent, in
//! `/proc/<pid>/stat`, so a user executor's children count as a process pool's do, with no hook
//! in any executor). A process that ended, or whose `smaps_rollup` cannot be read (a zombie, one
//! reaped between the walk and the read), counts nothing: a pool dropped before a sample is not
//! charged for it. The kernel walks a process's mappings to write `smaps_rollup`, so a sample
//! costs about a hundred microseconds or more per process (measured in `reports/README.md`,
//! "Memory"); it is only taken between timed calls.

use std::io;
use std::time::{Duration, Instant};

use super::proc::Family;
use crate::schema::{Memory, TreeSample};

/// The longest a baseline waits for dropped pools' workers to exit: longer than a pool's
/// shutdown timeout.
const SETTLE_LIMIT: Duration = Duration::from_secs(10);

/// Whether memory is sampled: unless `POOLBENCH_MEMORY` is `0`, `off`, `false` or `no`.
pub(crate) fn enabled() -> bool {
    std::env::var_os(crate::env::MEMORY).is_none_or(|value| {
        let value = value.to_string_lossy();
        !["0", "off", "false", "no"].iter().any(|off| value.trim().eq_ignore_ascii_case(off))
    })
}

/// `Pss` and `Rss` of `smaps_rollup`'s text, bytes; `None` when either is missing.
fn parse_rollup(text: &str) -> Option<(u64, u64)> {
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find_map(|line| line.strip_prefix(name))?;
        let kib: u64 = line.trim().strip_suffix("kB")?.trim().parse().ok()?;
        kib.checked_mul(1024)
    };
    Some((field("Pss:")?, field("Rss:")?))
}

/// `Pss` and `Rss` of process `pid` (`self` for this one), bytes; `None` when it cannot be read.
fn read_rollup(pid: &str) -> Option<(u64, u64)> {
    parse_rollup(&std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?)
}

/// Samples the tree of this process and the descendants `family` knows alive (refresh it first
/// with [`Family::sum`]).
///
/// # Errors
///
/// This process's own `smaps_rollup` cannot be read: not Linux 4.14 or later, or `/proc` not
/// mounted.
pub(crate) fn sample(family: &Family) -> io::Result<TreeSample> {
    let (own_pss, own_rss) = read_rollup("self").ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::Unsupported,
            "/proc/self/smaps_rollup has no Pss and Rss (Linux 4.14 or later)",
        )
    })?;
    let mut tree = TreeSample { pss_bytes: own_pss, rss_bytes: own_rss, children_pss_bytes: 0, processes: 0 };
    for pid in family.alive() {
        if let Some((pss, rss)) = read_rollup(&pid.to_string()) {
            tree.children_pss_bytes += pss;
            tree.pss_bytes += pss;
            tree.rss_bytes += rss;
            tree.processes += 1;
        }
    }
    Ok(tree)
}

/// The tree before a benchmark's executor starts: what its figures are measured from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Baseline(Option<TreeSample>);

impl Baseline {
    /// Samples the tree now: `None` inside when memory is not sampled or cannot be read. The
    /// workers of pools dropped before are seen out first (a dropped pool's workers exit on
    /// their own time, `executor/process/reaper.rs`), so this configuration is not charged with
    /// them, in its baseline or after.
    pub fn take() -> Baseline {
        if !enabled() {
            return Baseline(None);
        }
        crate::executor::process::reaper::settle(SETTLE_LIMIT);
        let mut family = Family::new();
        Baseline(family.sum().ok().and_then(|_| sample(&family).ok()))
    }

    /// No baseline: nothing is sampled (serve mode, which records nothing).
    pub fn none() -> Baseline {
        Baseline(None)
    }

    /// Waits for the pools dropped so far to be seen out (at most [`SETTLE_LIMIT`]), when memory
    /// is sampled: before the steady sample, since an end-to-end benchmark checks its answer on a
    /// pool of its own and drops it in its set-up.
    pub fn settle(&self) {
        if self.0.is_some() {
            crate::executor::process::reaper::settle(SETTLE_LIMIT);
        }
    }

    /// Samples it again, once what the configuration should not be charged for is built (the
    /// group's Sequential answer, which every configuration of the group shares).
    pub fn retake(&mut self) {
        if self.0.is_some() {
            *self = Baseline::take();
        }
    }
}

/// A benchmark's memory samples, from steady state to its last timed call.
#[derive(Debug)]
pub(crate) struct Tracker {
    baseline: TreeSample,
    steady: TreeSample,
    peak: TreeSample,
    samples: u32,
    spent: Duration,
}

impl Tracker {
    /// Starts tracking at steady state, from `baseline`; `None` when there is no baseline or the
    /// tree cannot be read.
    pub fn start(baseline: Baseline, family: &Family) -> Option<Tracker> {
        let baseline = baseline.0?;
        let steady = sample(family).ok()?;
        Some(Tracker { baseline, steady, peak: steady, samples: 0, spent: Duration::ZERO })
    }

    /// Takes one sample after a timed call; the peak is the highest tree `Pss` so far.
    ///
    /// # Errors
    ///
    /// As [`sample`].
    pub fn mark(&mut self, family: &Family) -> io::Result<()> {
        let started = Instant::now();
        let now = sample(family)?;
        self.spent += started.elapsed();
        self.samples += 1;
        if now.pss_bytes > self.peak.pss_bytes {
            self.peak = now;
        }
        Ok(())
    }

    /// The figures so far.
    pub fn memory(&self) -> Memory {
        let sample_ns = self.spent.as_nanos() / u128::from(self.samples.max(1));
        Memory {
            baseline: self.baseline,
            steady: self.steady,
            peak: self.peak,
            samples: self.samples,
            sample_ns: u64::try_from(sample_ns).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smaps_rollup_gives_pss_and_rss_in_bytes() {
        let text = "5576-7ffe ---p 00000000 00:00 0   [rollup]\nRss:                1748 kB\n\
                    Pss:                 297 kB\nPss_Dirty:           112 kB\n";
        assert_eq!(parse_rollup(text), Some((297 * 1024, 1748 * 1024)));
        assert_eq!(parse_rollup("Rss: 1 kB\n"), None, "no Pss");
        assert_eq!(parse_rollup("Rss: 1 kB\nPss: x kB\n"), None);
    }

    #[test]
    fn this_process_alone_is_a_tree_without_descendants_and_its_pss_is_at_most_its_rss() {
        let family = Family::new();
        let tree = sample(&family).expect("/proc/self/smaps_rollup is readable");
        assert_eq!((tree.processes, tree.children_pss_bytes), (0, 0));
        assert!(tree.pss_bytes > 0 && tree.pss_bytes <= tree.rss_bytes, "{tree:?}");
    }

    #[test]
    fn a_child_is_charged_while_it_lives_and_not_once_it_has_exited() {
        use super::super::proc::Reaped;
        let mut family = Family::new();
        let child = std::process::Command::new("sleep").arg("30").spawn().expect("sleep runs");
        let pid = child.id();
        let mut child = Reaped(child);
        family.sum().expect("/proc is readable");
        assert!(family.alive().any(|alive| alive == pid));
        let living = sample(&family).expect("readable");
        // Other tests of this binary start processes too: only this child is asserted on.
        assert!(living.processes >= 1 && living.children_pss_bytes > 0, "{living:?}");
        child.0.kill().expect("the child is killed");
        child.0.wait().expect("the child is reaped");
        // Read before the family learns it is gone: its smaps_rollup is gone with it.
        let after = sample(&family).expect("readable");
        assert!(after.processes < living.processes, "{living:?} {after:?}");
        family.sum().expect("/proc is readable");
        assert!(!family.alive().any(|alive| alive == pid));
    }

    #[test]
    fn the_peak_is_the_highest_sample_and_the_steady_one_stays() {
        let family = Family::new();
        let baseline = Baseline(Some(sample(&family).expect("readable")));
        let mut tracker = Tracker::start(baseline, &family).expect("a baseline");
        let touched: Vec<u8> = vec![1; 8 << 20];
        tracker.mark(&family).expect("readable");
        let memory = tracker.memory();
        assert!(std::hint::black_box(&touched).iter().all(|&byte| byte == 1));
        assert_eq!(memory.samples, 1);
        assert!(memory.peak.pss_bytes >= memory.steady.pss_bytes + (7 << 20), "{memory:?}");
        assert_eq!(memory.defect(), None);
        assert!(Tracker::start(Baseline(None), &family).is_none(), "no baseline, no figures");
    }
}
