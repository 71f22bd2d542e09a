//! What a configuration holds in memory: the `memory` of a load file's measurement and of a
//! `summary.json` row.
//!
//! The figure is the process tree's: the bench process and every live process it started (a
//! process pool's workers and fork server, a user executor's children), each read from
//! `/proc/<pid>/smaps_rollup`. Its proportional set size (`Pss`) charges a page shared by `k`
//! processes `1/k` to each, so the pages a forked worker shares with its fork server are counted
//! once over the tree; the resident size (`Rss`) counts them in every process, and is kept
//! beside it. Three samples: the **baseline**, the tree before the executor starts (after the
//! group's Sequential answer is known, so the answer the group keeps is not charged to the first
//! configuration); **steady**, after the set-up and the check against Sequential, before the first
//! timed call; and the **peak**, the highest tree `Pss` among steady and one sample after each of
//! Criterion's calls (warm-up and samples: between timed calls, never inside one). What the
//! configuration *holds* is steady less the baseline. `reports/README.md`, "Memory", says what
//! this counts and misses (a peak inside a timed call is not seen).

use serde::{Deserialize, Serialize};

/// One sample of the process tree's memory, bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeSample {
    /// The tree's proportional set size: the bench process's and its live descendants'.
    pub pss_bytes: u64,
    /// The tree's resident size: a page shared by several processes counts in each.
    pub rss_bytes: u64,
    /// The descendants' proportional set size alone.
    pub children_pss_bytes: u64,
    /// The live descendants read (a process that ended between the walk and the read is not).
    pub processes: u32,
}

impl TreeSample {
    /// The descendants' proportional set size per process; `None` without descendants.
    pub fn per_process_pss_bytes(&self) -> Option<f64> {
        (self.processes > 0).then(|| self.children_pss_bytes as f64 / f64::from(self.processes))
    }
}

/// A configuration's memory over one measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Memory {
    /// Before the executor started.
    pub baseline: TreeSample,
    /// After the set-up and the check, before timing.
    pub steady: TreeSample,
    /// The sample with the highest tree `Pss`: steady, or one taken after a timed call.
    pub peak: TreeSample,
    /// Samples taken after timed calls (the steady one not counted).
    pub samples: u32,
    /// What one sample took on average, ns: time spent between timed calls, not in them.
    pub sample_ns: u64,
}

impl Memory {
    /// What the configuration holds at steady state: the tree's `Pss` less the baseline's, bytes;
    /// negative when the bench process gave memory back while it set up.
    pub fn held_pss_bytes(&self) -> i64 {
        difference(self.steady.pss_bytes, self.baseline.pss_bytes)
    }

    /// The proportional set size of each process the configuration started, on average: the
    /// descendants' `Pss` less the baseline's, over the processes added since it; `None` when it
    /// started none (a thread pool beside a process that lingers, a fork server, has no figure
    /// of its own).
    pub fn per_worker_pss_bytes(&self) -> Option<f64> {
        let started =
            self.steady.processes.checked_sub(self.baseline.processes).filter(|&started| started > 0)?;
        let held = self.steady.children_pss_bytes.saturating_sub(self.baseline.children_pss_bytes);
        Some(held as f64 / f64::from(started))
    }

    /// The same at the peak, bytes.
    pub fn peak_held_pss_bytes(&self) -> i64 {
        difference(self.peak.pss_bytes, self.baseline.pss_bytes)
    }

    /// The resident size held at steady state, bytes: pages shared by workers counted in each.
    pub fn held_rss_bytes(&self) -> i64 {
        difference(self.steady.rss_bytes, self.baseline.rss_bytes)
    }

    /// Why these figures cannot be true, if they cannot: a phrase naming the field.
    pub(crate) fn defect(&self) -> Option<String> {
        for (name, sample) in [("baseline", self.baseline), ("steady", self.steady), ("peak", self.peak)] {
            if sample.children_pss_bytes > sample.pss_bytes {
                return Some(format!(
                    "its {name} children_pss_bytes {} is above the whole tree's pss_bytes {}",
                    sample.children_pss_bytes, sample.pss_bytes
                ));
            }
        }
        (self.peak.pss_bytes < self.steady.pss_bytes).then(|| {
            format!(
                "its peak pss_bytes {} is below its steady pss_bytes {}",
                self.peak.pss_bytes, self.steady.pss_bytes
            )
        })
    }
}

fn difference(a: u64, b: u64) -> i64 {
    i64::try_from(i128::from(a) - i128::from(b)).unwrap_or(if a > b { i64::MAX } else { i64::MIN })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(pss: u64, children: u64, processes: u32) -> TreeSample {
        TreeSample { pss_bytes: pss, rss_bytes: pss * 2, children_pss_bytes: children, processes }
    }

    #[test]
    fn what_a_configuration_holds_is_its_steady_tree_less_the_baseline() {
        let memory = Memory {
            baseline: sample(10 << 20, 0, 0),
            steady: sample(30 << 20, 16 << 20, 4),
            peak: sample(34 << 20, 16 << 20, 4),
            samples: 12,
            sample_ns: 40_000,
        };
        assert_eq!(memory.held_pss_bytes(), 20 << 20);
        assert_eq!(memory.peak_held_pss_bytes(), 24 << 20);
        assert_eq!(memory.held_rss_bytes(), 40 << 20);
        assert_eq!(memory.steady.per_process_pss_bytes(), Some(f64::from(4u32 << 20)));
        assert_eq!(memory.baseline.per_process_pss_bytes(), None);
        assert_eq!(memory.per_worker_pss_bytes(), Some(f64::from(4u32 << 20)));
        assert_eq!(memory.defect(), None);
        let shrunk = Memory { steady: sample(8 << 20, 0, 0), peak: sample(8 << 20, 0, 0), ..memory };
        assert_eq!(shrunk.held_pss_bytes(), -(2 << 20));
    }

    #[test]
    fn a_process_alive_before_the_configuration_started_is_not_one_of_its_workers() {
        // A fork server of 2 MiB started by an earlier process pool lingers through the run.
        let threads = Memory {
            baseline: sample(10 << 20, 2 << 20, 1),
            steady: sample(10 << 20, 2 << 20, 1),
            peak: sample(10 << 20, 2 << 20, 1),
            samples: 1,
            sample_ns: 40_000,
        };
        assert_eq!(threads.per_worker_pss_bytes(), None, "a thread pool starts no process");
        let processes = Memory { steady: sample(12 << 20, 4 << 20, 3), ..threads };
        assert_eq!(processes.per_worker_pss_bytes(), Some(f64::from(1u32 << 20)), "two workers of 1 MiB");
    }

    #[test]
    fn figures_that_cannot_be_true_are_named() {
        let good = sample(10, 5, 1);
        let memory = Memory { baseline: good, steady: good, peak: good, samples: 1, sample_ns: 1 };
        let low_peak = Memory { peak: sample(9, 5, 1), ..memory };
        assert!(low_peak.defect().expect("a peak below steady").contains("peak pss_bytes 9"));
        let children = Memory { baseline: sample(4, 5, 1), ..memory };
        assert!(
            children.defect().expect("children above the tree").contains("its baseline children_pss_bytes")
        );
    }
}
