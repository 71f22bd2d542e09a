//! The rounds files: a group's configurations timed together, in interleaved rounds.
//!
//! `poolbench-rounds/<group>.json` in the Criterion directory, one per group, written by
//! [`Sweep::run`](crate::bench::Sweep::run) after Criterion has timed each configuration alone:
//! every round times one slot of every configuration of a batch, Sequential among them, in a
//! fresh random order, and probes the cores the machine gave before each slot and after the last
//! (`crate::paired`). The file holds the measurements, not the conclusions: the report computes
//! each configuration's speedup, and which configurations tie, from the rounds kept, by the rule
//! `reports/README.md` specifies ("Paired rounds"), so that anyone can compute them again.
//!
//! ```json
//! {"rounds_version": 1, "group": "pools/cpu-spin", "reference": "pools/cpu-spin/Sequential/1",
//!  "cores": 2, "settings": {...},
//!  "batches": [{"contenders": [{"id": "pools/cpu-spin/Sequential/1", "executor": "Sequential",
//!                               "size": 1, "iterations": 2}, ...],
//!               "rounds": [{"order": [3, 0, 1, 2], "ns": [5.1e6, 2.7e6, 2.8e6, 3.0e6],
//!                           "probes": [1.96, 1.93, 1.05, 1.97, 1.95], "spoiled": [1],
//!                           "disturbance": 0.02, "dropped": null}, ...],
//!               "stop": "resolved", "seconds": 4.2}]}
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Skipped;

/// The rounds files' directory, in the Criterion directory.
pub const ROUNDS_DIR: &str = "poolbench-rounds";

/// The version of the rounds file's format.
pub const ROUNDS_VERSION: u32 = 1;

/// The most bytes a rounds file may have to be read: 16 MiB, about 80 times a full one (200
/// rounds of 50 configurations).
pub const MAX_ROUNDS_FILE_BYTES: u64 = 16 << 20;

/// One group's rounds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundsFile {
    /// [`ROUNDS_VERSION`] when written.
    pub rounds_version: u32,
    /// The Criterion group id.
    pub group: String,
    /// The id every speedup is measured against: the group's Sequential, in every batch.
    pub reference: String,
    /// The cores the capacity probe spun on: the process's CPUs.
    pub cores: u32,
    /// How the rounds went.
    pub settings: RoundsSettings,
    /// One batch per set of configurations whose workers fit alive at once; most groups have one.
    pub batches: Vec<Batch>,
}

/// The settings the rounds ran with (`crate::paired::rounds::Settings`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundsSettings {
    /// The target length of a slot, ns.
    pub slot_ns: f64,
    /// Rounds kept before the rule first looks.
    pub min_rounds: usize,
    /// Rounds kept at most.
    pub max_rounds: usize,
    /// The time the rounds of the group could take, seconds.
    pub budget_seconds: f64,
    /// The precision measuring stopped at, as a share (0.02: every 95% interval within ±2%).
    pub resolution: f64,
    /// A slot next to a capacity probe that found fewer than this share of the cores was spoiled.
    pub min_capacity: f64,
    /// A round in which other programs took more than this share of the machine was dropped.
    pub max_disturbance: f64,
    /// The most workers (threads and processes of the pools) alive at once: configurations
    /// beyond it go to further batches.
    pub max_workers: usize,
}

/// Configurations timed together, the reference first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// The configurations, in the order the rounds' `ns` and `order` index them.
    pub contenders: Vec<Configuration>,
    /// Every round measured, dropped ones included.
    pub rounds: Vec<RoundRecord>,
    /// Why measuring stopped: `resolved` (every speedup known to the resolution), `rounds` (the
    /// most rounds), or `budget`.
    pub stop: String,
    /// The time the batch took, pools' start and calibration included, seconds.
    pub seconds: f64,
}

/// One configuration of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Configuration {
    /// Its benchmark id, as Criterion knows it.
    pub id: String,
    /// The executor.
    pub executor: String,
    /// The pool size (1 for Sequential).
    pub size: u32,
    /// Iterations in each of its slots.
    pub iterations: u64,
}

/// One round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoundRecord {
    /// The epoch (pool start) it was measured in, from 0; absent, 0, in files written before
    /// the field existed, which read as measured on one start.
    #[serde(default)]
    pub epoch: u32,
    /// The contenders' indexes in the order their slots ran.
    pub order: Vec<u32>,
    /// Each contender's slot, ns per iteration, by index.
    pub ns: Vec<f64>,
    /// The cores each capacity probe found: one before each slot, in `order`, and one after the
    /// last; empty without a probe.
    #[serde(default)]
    pub probes: Vec<f64>,
    /// The contenders whose slot had a probe beside it that found fewer cores than the
    /// threshold: their ratios this round are left out.
    #[serde(default)]
    pub spoiled: Vec<u32>,
    /// The share of the machine other programs took over the round; absent when `/proc` could
    /// not be read.
    pub disturbance: Option<f64>,
    /// Why the round does not count at all: `capacity` (the reference's own slot was spoiled) or
    /// `disturbed`; absent when it counts.
    pub dropped: Option<String>,
}

impl RoundRecord {
    /// Whether the round counts.
    pub fn kept(&self) -> bool {
        self.dropped.is_none()
    }

    /// Whether contender `index`'s slot was spoiled.
    pub fn is_spoiled(&self, index: usize) -> bool {
        self.spoiled.iter().any(|&spoiled| spoiled as usize == index)
    }
}

impl RoundsFile {
    /// The file of `group` in `criterion_dir`.
    pub fn path(criterion_dir: &Path, group: &str) -> PathBuf {
        super::case::group_file(criterion_dir, ROUNDS_DIR, group)
    }

    /// Writes the file into `criterion_dir`.
    ///
    /// # Errors
    ///
    /// The directory or the file cannot be written.
    pub fn write(&self, criterion_dir: &Path) -> std::io::Result<()> {
        let path = Self::path(criterion_dir, &self.group);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        crate::fs::write_atomically(&path, &text)
    }

    /// Every rounds file in `criterion_dir` that holds together; the others are listed with the
    /// reason.
    pub fn read_all(criterion_dir: &Path) -> (Vec<RoundsFile>, Vec<Skipped>) {
        let (mut files, mut skipped) = (Vec::new(), Vec::new());
        let Ok(entries) = std::fs::read_dir(criterion_dir.join(ROUNDS_DIR)) else {
            return (files, skipped);
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
        paths.sort();
        for path in paths.into_iter().filter(|path| path.extension().is_some_and(|ext| ext == "json")) {
            match read(&path) {
                Ok(file) => files.push(file),
                Err(reason) => skipped.push(Skipped::new(&path, None, reason)),
            }
        }
        (files, skipped)
    }

    /// What must hold for the rounds to be read: a version this build reads, a reference among
    /// every batch's contenders, as many times and order entries as contenders in each round,
    /// and times that are positive and finite.
    fn check(&self) -> Result<(), String> {
        if self.rounds_version != ROUNDS_VERSION {
            return Err(format!(
                "has rounds version {}; this poolbench reads {ROUNDS_VERSION}",
                self.rounds_version
            ));
        }
        for (index, batch) in self.batches.iter().enumerate() {
            if !batch.contenders.iter().any(|contender| contender.id == self.reference) {
                return Err(format!("batch {index} does not hold the reference {}", self.reference));
            }
            let count = batch.contenders.len();
            for (number, round) in batch.rounds.iter().enumerate() {
                if round.ns.len() != count || round.order.len() != count {
                    return Err(format!(
                        "round {number} of batch {index} has {} times and {} slots for {count} configurations",
                        round.ns.len(),
                        round.order.len()
                    ));
                }
                if round.ns.iter().any(|ns| !(ns.is_finite() && *ns > 0.0)) {
                    return Err(format!("round {number} of batch {index} has a time that is not positive"));
                }
                if round.spoiled.iter().any(|&spoiled| spoiled as usize >= count) {
                    return Err(format!(
                        "round {number} of batch {index} spoils a configuration it does not have"
                    ));
                }
            }
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<RoundsFile, String> {
    let bytes = crate::fs::read_regular_file(path, MAX_ROUNDS_FILE_BYTES)
        .map_err(|err| format!("cannot be read: {err}"))?;
    let file: RoundsFile =
        serde_json::from_slice(&bytes).map_err(|err| format!("is not a poolbench rounds file ({err})"))?;
    file.check()?;
    Ok(file)
}

#[cfg(test)]
impl RoundsSettings {
    /// The settings of a sweep's rounds at their defaults, for tests' synthetic files.
    pub(crate) fn typical() -> Self {
        RoundsSettings {
            slot_ns: 1e7,
            min_rounds: 10,
            max_rounds: 200,
            budget_seconds: 10.0,
            resolution: 0.02,
            min_capacity: 0.8,
            max_disturbance: 0.15,
            max_workers: 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn file(group: &str) -> RoundsFile {
        let contender = |executor: &str, size: u32| Configuration {
            id: format!("{group}/{executor}/{size}"),
            executor: executor.to_owned(),
            size,
            iterations: 3,
        };
        RoundsFile {
            rounds_version: ROUNDS_VERSION,
            group: group.to_owned(),
            reference: format!("{group}/Sequential/1"),
            cores: 2,
            settings: RoundsSettings::typical(),
            batches: vec![Batch {
                contenders: vec![contender("Sequential", 1), contender("Rayon", 2)],
                rounds: vec![RoundRecord {
                    epoch: 0,
                    order: vec![1, 0],
                    ns: vec![2e6, 1e6],
                    probes: vec![1.9, 1.95, 1.92],
                    spoiled: Vec::new(),
                    disturbance: Some(0.01),
                    dropped: None,
                }],
                stop: "resolved".to_owned(),
                seconds: 1.5,
            }],
        }
    }

    #[test]
    fn rounds_files_round_trip_and_broken_ones_are_listed_with_the_reason() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        file("a/b").write(dir.path()).expect("written");
        let mut broken = file("a/c");
        broken.batches[0].rounds[0].ns.pop();
        broken.write(dir.path()).expect("written");
        let mut negative = file("a/d");
        negative.batches[0].rounds[0].ns[0] = -1.0;
        negative.write(dir.path()).expect("written");
        let mut future = file("a/e");
        future.rounds_version = 9;
        future.write(dir.path()).expect("written");
        let (files, skipped) = RoundsFile::read_all(dir.path());
        assert_eq!(files, [file("a/b")]);
        let reasons: Vec<&str> = skipped.iter().map(|skipped| skipped.reason.as_str()).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons.iter().any(|reason| reason.contains("1 times and 2 slots for 2 configurations")));
        assert!(reasons.iter().any(|reason| reason.contains("not positive")));
        assert!(reasons.iter().any(|reason| reason.contains("rounds version 9")));
    }
}
