//! `history.jsonl`: one line per `cargo bench` run, so that the page can draw each benchmark's
//! trend across commits.
//!
//! [JSON Lines](https://jsonlines.org/): each line one [`Run`], appended at the end of a bench run:
//!
//! ```json
//! {"history_version":1,"machine":{"cores":2,"cpu_model":"...","os":"linux 6.8.0","arch":"x86_64",
//!  "rustc":"rustc 1.95.0 ...","git":{"commit":"4f1c...","dirty":false},"date":"2026-11-24T23:41:03Z"},
//!  "benchmarks":{"task/factorial/2000":{"median_ns":{"point":45512.1,"lower":45391.0,"upper":45650.2},
//!  "mean_ns":{"point":45770.4,"lower":45602.3,"upper":45958.8},"n":100}}}
//! ```
//!
//! `machine` is the report's (`summary.json`'s), so the commit, the dirty flag and the date are
//! `machine.git.commit`, `machine.git.dirty` and `machine.date`. Benchmarks are keyed like
//! [`Row::key`], with Criterion's median and mean intervals (ns per iteration) and the sample
//! count; not the samples, so a line stays a few hundred bytes per benchmark. Only benchmarks
//! measured by the run are recorded: a filtered `cargo bench -- pools` reports older results of
//! other suites too, and recording those again would draw flat lines through commits that never
//! measured them. [`HISTORY_VERSION`] goes up on the same terms as `summary.json`'s schema
//! version. Reading and appending the file is the report's: `report::history`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Interval, Machine, Row, Summary};

/// The history file's name, in the report directory's parent.
pub const FILE_NAME: &str = "history.jsonl";

/// The version of the line format written.
pub const HISTORY_VERSION: u32 = 1;

/// One bench run: one line of `history.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    /// [`HISTORY_VERSION`] when written.
    pub history_version: u32,
    /// The machine and commit, as in `summary.json`.
    pub machine: Machine,
    /// Each benchmark measured, by [`Row::key`].
    pub benchmarks: BTreeMap<String, Point>,
}

/// One benchmark in one run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The median time per iteration, ns, with Criterion's interval.
    pub median_ns: Interval,
    /// The mean time per iteration, ns, with Criterion's interval.
    pub mean_ns: Interval,
    /// Samples.
    pub n: usize,
}

impl Run {
    /// The rows of `summary` for which `measured` holds.
    pub fn from_summary(summary: &Summary, measured: impl Fn(&Row) -> bool) -> Self {
        let benchmarks = summary
            .groups
            .iter()
            .flat_map(|group| &group.results)
            .filter(|row| measured(row))
            .map(|row| (row.key(), Point { median_ns: row.median_ns, mean_ns: row.mean_ns, n: row.n }))
            .collect();
        Run { history_version: HISTORY_VERSION, machine: summary.machine.clone(), benchmarks }
    }

    /// Whether `other` is the same run: the same date and commit.
    pub fn is_same_run(&self, other: &Machine) -> bool {
        self.machine.date == other.date && self.machine.git == other.git
    }
}
