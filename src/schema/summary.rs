//! `summary.json`: the report's data, versioned.
//!
//! `summary.json` is a public interface (the HTML and Markdown are views of it; `poolbench
//! compare`, the exports and the history file read it), specified field by field in
//! `reports/README.md`. Times are nanoseconds per iteration of the benchmark, as Criterion
//! measures them.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Error, Machine, Memory, Peers, Quietness};
use crate::executor::ExecutorKind;

/// The version of the `summary.json` schema these types read and write.
///
/// Version 2 made `peers` the peers file's own top level ([`Peers`]): its status is `measured` or
/// `skipped`, and its rows are counted from the groups rather than stated. Version 3 made a
/// row's `speedup` (and so its `efficiency`, the scaling points and fits, the headline) the paired
/// speedup from the group's interleaved rounds where it had them ([`SpeedupBasis::Rounds`]),
/// rather than the ratio of two Criterion medians measured a second apart.
pub const SCHEMA_VERSION: u32 = 3;

/// The whole report: `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// [`SCHEMA_VERSION`] at the time of writing.
    pub schema_version: u32,
    /// The program that wrote it: `poolbench <version>`.
    pub generator: String,
    /// The machine the report was written on.
    pub machine: Machine,
    /// The Criterion directory the results were read from, as given.
    pub criterion_dir: String,
    /// One entry per benchmark group, catalog order first, then other groups by id.
    pub groups: Vec<Group>,
    /// Benchmarks that could not be read, with the file and the reason (a corrupt peers file too).
    pub skipped: Vec<Skipped>,
    /// What became of the Python peers: the peers file without its rows (which are in the
    /// groups), with the path it was looked for at. `None` in a summary built without looking
    /// for them ([`summarize`](crate::report::summarize) alone).
    #[serde(default)]
    pub peers: Option<Peers>,
    /// The cores the machine really gave over every group's rounds; `None` without rounds.
    #[serde(default)]
    pub capacity: Option<Capacity>,
}

/// The cores the machine gave while the rounds ran: its capacity probes (a fixed spin on one
/// thread, then on every core at once), one beside every slot of every round.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Capacity {
    /// The cores the probes spun on.
    pub cores: u32,
    /// Probes taken.
    pub probes: usize,
    /// The median capacity, in cores.
    pub median: f64,
    /// The 10th percentile.
    pub p10: f64,
    /// The share of the cores below which a probe spoiled the slots beside it.
    pub threshold: f64,
    /// The share of probes at or above the threshold.
    pub share_kept: f64,
}

impl Summary {
    /// The group `id`, if the summary has it.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|group| group.id == id)
    }

    /// Reads a `summary.json`, checking its schema version before anything else, so that a future
    /// version is reported as such rather than as a missing field. Versions 1 and 2 are read too
    /// (version 1 without its `peers`, which version 2 changed; version 2's speedups as the
    /// medians' ratios they are): comparing against a baseline written before a change still works.
    ///
    /// The summary is checked as the report checks it before writing (`check.rs`: finite numbers,
    /// intervals whose lower bound is not above their upper, times that are not negative).
    ///
    /// # Errors
    ///
    /// An [`Error`] naming the file: unreadable, not a summary, a schema version this build
    /// does not read, or a row that breaks the checks (named, with what is wrong).
    pub fn read(path: &Path) -> Result<Summary, Error> {
        let summary = Summary::parse(path)?;
        summary.check().map_err(|reason| Error::invalid_summary(path, reason))?;
        Ok(summary)
    }

    /// What every summary must hold to be written or read (`check.rs`), or why this one does not.
    pub(crate) fn check(&self) -> Result<(), String> {
        super::check::summary(self)
    }

    fn parse(path: &Path) -> Result<Summary, Error> {
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let text = std::fs::read(path).map_err(|err| Error::read_summary(path, err))?;
        let version: Version = serde_json::from_slice(&text).map_err(|err| Error::not_summary(path, err))?;
        match version.schema_version {
            // Version 2's rows say nothing of rounds: read, their speedups are the medians'.
            SCHEMA_VERSION | 2 => serde_json::from_slice(&text).map_err(|err| Error::not_summary(path, err)),
            1 => {
                let mut value: serde_json::Value =
                    serde_json::from_slice(&text).map_err(|err| Error::not_summary(path, err))?;
                if let Some(object) = value.as_object_mut() {
                    object.remove("peers");
                }
                serde_json::from_value(value).map_err(|err| Error::not_summary(path, err))
            }
            found => Err(Error::schema_version(path, found)),
        }
    }

    /// Every row of every group, in group order.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        self.groups.iter().flat_map(|group| &group.results)
    }

    /// How many rows came from `source`.
    pub fn rows_from(&self, source: Source) -> usize {
        self.rows().filter(|row| row.source == source).count()
    }
}

/// Where a row's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// poolbench's Criterion suites: `"criterion"`.
    Criterion,
    /// The Python peers (`scripts/python_peers.py`): `"python"`.
    Python,
}

impl Source {
    /// The source as `summary.json` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Source::Criterion => "criterion",
            Source::Python => "python",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A benchmark that is not in the report, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The file (or directory) at fault.
    pub path: String,
    /// The benchmark's id, when its `benchmark.json` could be read.
    pub benchmark: Option<String>,
    /// What is wrong with it.
    pub reason: String,
}

impl Skipped {
    pub(crate) fn new(path: &std::path::Path, benchmark: Option<&str>, reason: String) -> Self {
        Skipped { path: path.display().to_string(), benchmark: benchmark.map(str::to_owned), reason }
    }
}

/// One benchmark group: one workload, every executor and size that ran it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The Criterion group id, `<suite>/<case>` for poolbench's own groups.
    pub id: String,
    /// The part of the id before the first `/` (the whole id when there is none).
    pub suite: String,
    /// What the catalog says of the case; `None` for a group the catalog does not know.
    pub case: Option<CaseInfo>,
    /// What this says, in a sentence: the fastest executor and size, and whether pooling helps.
    pub headline: String,
    /// One row per benchmark of the group: executors in report order, then sizes.
    pub results: Vec<Row>,
    /// For an end-to-end case paired with a steady-state case: the start-up and shut-down cost.
    pub startup: Option<StartupSplit>,
    /// One scaling fit per executor that ran at a pool size above 1 (Sequential excepted).
    pub scaling: Vec<Scaling>,
    /// Criterion's page for the whole group, relative to the Criterion directory, when it exists.
    pub criterion_page: Option<String>,
    /// poolbench's rows against the Python peers doing the same work at the same size.
    #[serde(default)]
    pub ratios: Vec<PeerRatio>,
    /// How the group's interleaved rounds went; `None` when it had none.
    #[serde(default)]
    pub rounds: Option<GroupRounds>,
    /// The answer a person acts on, from the rounds: the fastest configuration, those tied with
    /// it, and the smallest pool size among them; `None` without rounds.
    #[serde(default)]
    pub answer: Option<Answer>,
}

impl Group {
    /// The group `id` of `results`, with nothing derived yet (no headline, fits, ratios, rounds
    /// or answer): what the report's summarizing fills in. Its suite is the part of the id before
    /// the first `/`.
    pub fn new(id: &str, results: Vec<Row>) -> Group {
        Group {
            id: id.to_owned(),
            suite: id.split_once('/').map_or(id, |(suite, _)| suite).to_owned(),
            case: None,
            headline: String::new(),
            results,
            startup: None,
            scaling: Vec::new(),
            criterion_page: None,
            ratios: Vec::new(),
            rounds: None,
            answer: None,
        }
    }
}

/// How a group's interleaved rounds went (its rounds file, `poolbench-rounds/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRounds {
    /// Rounds kept, over every batch.
    pub kept: usize,
    /// Rounds dropped because a probe beside Sequential's slot found fewer cores than the
    /// threshold (a pool's slot so spoiled leaves out only that pool's ratio).
    pub dropped_capacity: usize,
    /// Rounds dropped because other programs took more than the disturbance threshold.
    pub dropped_disturbed: usize,
    /// Batches: more than one when the pools' workers did not fit alive at once.
    pub batches: usize,
    /// Why measuring stopped, per batch: `resolved`, `rounds` or `budget`.
    pub stops: Vec<String>,
    /// The resolution aimed at (0.02: every speedup's 95% interval within ±2%).
    pub resolution: f64,
    /// Seconds the rounds took.
    pub seconds: f64,
}

/// Which configuration to pick, and how many workers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The configuration with the highest paired speedup (a benchmark id).
    pub fastest: String,
    /// Every configuration tied with it: none, the fastest or another, is shown faster than it
    /// by more than the resolution (each paired ratio's 95% interval reaches within it), the
    /// fastest included, fastest first.
    pub tied: Vec<String>,
    /// The tied configurations at the smallest pool size where one of them is known to be close
    /// to the fastest (its speedup within 5% of the fastest's, and their paired ratio within 5%
    /// at the median or shown at most 10% slower): what to pick.
    pub recommended: Vec<String>,
    /// That size: the answer to "how many".
    pub size: u32,
    /// Whether Sequential is among the tied: no pool beats the plain loop.
    pub sequential: bool,
    /// Configurations whose speedup exceeds what their workers and the cores can give by more
    /// than the resolution: measured, but not taken as a result.
    pub beyond_the_cores: Vec<String>,
    /// The answer in words.
    pub sentence: String,
}

/// One of poolbench's rows against the Python peer doing the same work at the same size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeerRatio {
    /// poolbench's executor; `None` for the task suite's executor-less rows.
    pub executor: Option<String>,
    /// poolbench's row.
    pub id: String,
    /// The peer's executor: `python-pool-fork`, `python-threadpool`, ...
    pub peer: String,
    /// The peer's row.
    pub peer_id: String,
    /// The peer, for people: `multiprocessing.Pool (fork)`.
    pub peer_label: String,
    /// The peer's multiprocessing start method, if it has one.
    pub start_method: Option<String>,
    /// The value both rows share.
    pub value: Option<String>,
    /// The pool size, when the value is one.
    pub size: Option<u32>,
    /// poolbench's median, ns.
    pub median_ns: Interval,
    /// The peer's median, ns.
    pub peer_median_ns: Interval,
    /// The peer's median over poolbench's: above 1, poolbench is that many times faster. The
    /// interval divides opposite bounds, like the speedup's: "certainly within", wider than 95%.
    pub ratio: Interval,
    /// Whether the interval holds 1: the two cannot be told apart.
    pub within_noise: bool,
    /// The ratio in words: "ProcessPool is 3.20 times faster than multiprocessing.Pool (fork) at n=8".
    pub sentence: String,
}

/// How the tables and sentences name poolbench's side of a ratio without an executor.
pub(crate) const ONE_THREAD: &str = "poolbench (one thread)";

impl PeerRatio {
    /// poolbench's side, for people: the executor, or "poolbench (one thread)" for the task suite.
    pub fn poolbench_label(&self) -> &str {
        self.executor.as_deref().unwrap_or(ONE_THREAD)
    }

    /// The size column, unescaped: the pool size, `input <value>`, or nothing.
    pub fn size_label(&self) -> String {
        match (self.size, &self.value) {
            (Some(size), _) => size.to_string(),
            (None, Some(value)) => format!("input {value}"),
            (None, None) => String::new(),
        }
    }
}

/// What the group's case file (written by its sweep) and poolbench's catalog
/// (`poolbench::catalog`) say of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseInfo {
    /// The notebook exercise the case measures.
    pub exercise: Option<u8>,
    /// Tasks in one iteration.
    pub tasks: u64,
    /// What one iteration does.
    pub about: String,
    /// The steady-state group doing the same work on a pool already up, for an end-to-end case
    /// of poolbench's own.
    pub steady_state: Option<String>,
    /// Whether every iteration starts, uses and stops its pool (exercise 8's way, or a user's
    /// `Sweep::end_to_end`), so that nothing is held between iterations. Absent, read as false,
    /// in files written before it existed.
    #[serde(default)]
    pub end_to_end: bool,
}

impl CaseInfo {
    /// Whether every iteration starts and stops its pool: [`end_to_end`](Self::end_to_end), or
    /// a steady-state group named (all a summary written before the field existed says).
    pub fn is_end_to_end(&self) -> bool {
        self.end_to_end || self.steady_state.is_some()
    }
}

/// A statistic with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// The estimate.
    pub point: f64,
    /// The interval's lower bound.
    pub lower: f64,
    /// The interval's upper bound.
    pub upper: f64,
}

/// One benchmark: an executor at a pool size, running the group's workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Where the row comes from: [`Source::Criterion`] for poolbench's own measurements; the
    /// Python peers add rows to the same groups.
    pub source: Source,
    /// The full benchmark id, `<group>/<executor>/<value>`.
    pub id: String,
    /// The executor (Criterion's function id): `Sequential`, `Rayon`, ... `None` when the id is
    /// only a parameter, as in the task suite.
    pub executor: Option<String>,
    /// Criterion's value string: the pool size, or an input size when there is no executor.
    pub value: Option<String>,
    /// The pool size: the value, when there is an executor and the value is a positive integer.
    pub size: Option<u32>,
    /// The confidence level of the intervals below (Criterion's, 0.95 by default).
    pub confidence_level: f64,
    /// The median time per iteration, ns.
    pub median_ns: Interval,
    /// The mean time per iteration, ns.
    pub mean_ns: Interval,
    /// The standard deviation of the time per iteration, ns (Criterion's point estimate).
    pub std_dev_ns: f64,
    /// The number of samples measured (Criterion's, or the peer's): the true count, even when
    /// `samples_ns` holds fewer.
    pub n: usize,
    /// Each sample's time per iteration, ns (`times[i] / iters[i]` of Criterion's `sample.json`);
    /// when there were more than the report copies, an evenly spaced subsample of them
    /// ([`samples_thinned`](Self::samples_thinned)).
    pub samples_ns: Vec<f64>,
    /// Whether `samples_ns` is a subsample: the report copies at most
    /// [`MAX_REPORTED_SAMPLES`](crate::report::MAX_REPORTED_SAMPLES) samples a row, evenly spaced
    /// over the run. `false` in files written before the field existed.
    #[serde(default)]
    pub samples_thinned: bool,
    /// The speedup over Sequential, same group. From the group's interleaved rounds when it had
    /// them ([`SpeedupBasis::Rounds`]): the paired ratio of Sequential's slot over this one's in
    /// the same round, the median over the rounds kept, with its 95% interval (order statistics,
    /// widened by the spread between the pools' starts). Else
    /// ([`SpeedupBasis::Medians`]) Sequential's median over this one: the interval then divides
    /// the medians' opposite bounds, wider than a true 95% interval.
    pub speedup: Option<Interval>,
    /// Where `speedup` comes from. `medians` in files written before the field existed.
    #[serde(default)]
    pub speedup_basis: SpeedupBasis,
    /// The rounds this row's speedup rests on, when it rests on rounds.
    #[serde(default)]
    pub rounds: Option<RowRounds>,
    /// Speedup over pool size.
    pub efficiency: Option<f64>,
    /// The catalog's tasks per iteration over the median, for catalog cases.
    pub tasks_per_second: Option<f64>,
    /// The benchmark's directory under the Criterion directory, `/`-separated.
    pub criterion_dir: Option<String>,
    /// Criterion's page for the benchmark, relative to the Criterion directory, when it exists.
    pub criterion_page: Option<String>,
    /// The last sample of the measurement (Criterion's `sample.json`): its iterations and time,
    /// which identify the measurement (the history keeps a run's own only). `None` for the
    /// Python peers and in files written before the field existed.
    #[serde(default)]
    pub last_sample: Option<super::LastSample>,
    /// Whether the machine was quiet while the benchmark was measured, with the figures: its load
    /// file's (`poolbench-load.json`, [`LoadFile`](super::LoadFile)). Not measured in files
    /// written before the field existed, and for the Python peers.
    #[serde(default)]
    pub load: Quietness,
    /// What the configuration held in memory while it was measured ([`Memory`]): its load file's
    /// for poolbench's rows, the peers script's for the Python peers. `None` when not sampled
    /// (`POOLBENCH_MEMORY=0`), and in files written before the field existed.
    #[serde(default)]
    pub memory: Option<Memory>,
}

/// Where a row's speedup comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeedupBasis {
    /// The group's interleaved rounds: slots timed in the same round, paired.
    Rounds,
    /// Two Criterion medians, each from a window of its own.
    #[default]
    Medians,
}

/// The rounds one row's paired speedup rests on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RowRounds {
    /// Rounds its speedup rests on: kept, and its slot not spoiled.
    pub kept: usize,
    /// Rounds of its batch that it does not rest on: dropped whole, or its slot spoiled.
    pub dropped: usize,
    /// Its batch (0 for most).
    pub batch: usize,
    /// Iterations in each of its slots.
    pub iterations: u64,
    /// The median over those rounds of its slot's time per iteration, ns: the rounds' own
    /// measure of what Criterion's `median_ns` measures in a window of its own. `None` in files
    /// written before it existed.
    #[serde(default)]
    pub slot_median_ns: Option<f64>,
}

impl Row {
    /// A row of `source` named `id`, measured as `median_ns` over `samples_ns`, and no more: no
    /// executor, value or size, the mean equal to the median at a 95% level, no spread, no load
    /// or memory, and nothing derived yet (speedup, efficiency, rate: the summary's to fill in).
    /// The reader of a source sets what it knows beside it.
    pub(crate) fn new(source: Source, id: String, median_ns: Interval, samples_ns: Vec<f64>) -> Row {
        Row {
            source,
            id,
            executor: None,
            value: None,
            size: None,
            confidence_level: 0.95,
            median_ns,
            mean_ns: median_ns,
            std_dev_ns: 0.0,
            n: samples_ns.len(),
            samples_ns,
            samples_thinned: false,
            speedup: None,
            speedup_basis: SpeedupBasis::Medians,
            rounds: None,
            efficiency: None,
            tasks_per_second: None,
            criterion_dir: None,
            criterion_page: None,
            last_sample: None,
            load: Quietness::default(),
            memory: None,
        }
    }

    /// The executor that measured the row, when its function names one of poolbench's.
    pub fn executor_kind(&self) -> Option<ExecutorKind> {
        self.executor.as_deref().and_then(ExecutorKind::from_name)
    }

    /// Keeps at most `cap` of the samples, evenly spaced over the run (`subsample.rs`), and says
    /// so in [`samples_thinned`](Self::samples_thinned); `n` stays the true count.
    pub(crate) fn thin_samples(&mut self, cap: usize) {
        if let std::borrow::Cow::Owned(kept) = crate::subsample::evenly_spaced(&self.samples_ns, cap) {
            self.samples_ns = kept;
            self.samples_thinned = true;
        }
    }

    /// Whether the row is Sequential's, the reference every speedup is measured against.
    pub fn is_sequential(&self) -> bool {
        self.executor_kind() == Some(ExecutorKind::Sequential)
    }

    /// The name other runs know this row by: the id, prefixed by the source when that is not
    /// Criterion (`python:pools/squares-10/Pool/4`). Comparisons, history and exports key on it.
    pub fn key(&self) -> String {
        match self.source {
            Source::Criterion => self.id.clone(),
            other => format!("{other}:{}", self.id),
        }
    }
}

/// The Sequential row of `rows`, the one every speedup is measured against: the one at size 1 if
/// there are several.
pub fn sequential(rows: &[Row]) -> Option<&Row> {
    let mut sequential = rows.iter().filter(|row| row.is_sequential());
    let first = sequential.clone().next();
    sequential.find(|row| row.size == Some(1)).or(first)
}

/// The start-up and shut-down cost of a pool: an end-to-end case minus its steady-state case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartupSplit {
    /// The steady-state group the end-to-end group pairs with.
    pub steady_state_group: String,
    /// One row per executor and size measured in both groups; empty when the steady-state group
    /// is not in these results (a filtered run).
    pub rows: Vec<SplitRow>,
}

/// One executor at one size, end to end and in steady state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitRow {
    /// The executor.
    pub executor: String,
    /// The value (pool size) both benchmarks share.
    pub value: Option<String>,
    /// The pool size, when the value is one.
    pub size: Option<u32>,
    /// Start a pool, run, shut it down: the median, ns.
    pub end_to_end_ns: Interval,
    /// The same run on a pool already up: the median, ns.
    pub steady_state_ns: Interval,
    /// End to end minus steady state, ns: what starting and stopping the pool costs.
    pub startup_ns: f64,
    /// Whether the difference may be noise: the two medians' intervals overlap, or end to end
    /// came out no slower than steady state.
    pub within_noise: bool,
}

impl SplitRow {
    /// Whether the row is Sequential's, which has no pool to start.
    pub fn is_sequential(&self) -> bool {
        ExecutorKind::from_name(&self.executor) == Some(ExecutorKind::Sequential)
    }
}

/// How one executor's speedup grows with pool size, and the models fitted to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    /// The executor.
    pub executor: String,
    /// What the speedups are relative to: `"own size 1"` or `"Sequential"`.
    pub baseline: Option<String>,
    /// The measured speedups over the baseline, by pool size.
    pub points: Vec<ScalingPoint>,
    /// Amdahl's law fitted to the points, when a fit could be computed.
    pub amdahl: Option<AmdahlFit>,
    /// The Universal Scalability Law fitted to the points, when a fit could be computed.
    pub usl: Option<UslFit>,
    /// Whether the fits say something: enough sizes, a real speedup somewhere, a good fit.
    pub meaningful: bool,
    /// The fits in plain words, or why they are not meaningful.
    pub verdict: String,
}

/// A measured speedup at one pool size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ScalingPoint {
    /// The pool size.
    pub size: u32,
    /// The baseline's median over this size's median.
    pub speedup: f64,
}

/// Amdahl's law, `S(n) = 1 / (s + (1 - s) / n)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AmdahlFit {
    /// The serial fraction `s`, in `[0, 1]`.
    pub serial_fraction: f64,
    /// `1 / s`, the speedup no pool size can pass; `None` when `s` is 0.
    pub max_speedup: Option<f64>,
    /// Coefficient of determination of the fit on the measured speedups; `None` when the
    /// speedups do not vary.
    pub r_squared: Option<f64>,
    /// Root mean square error of the fitted speedups.
    pub rmse: f64,
    /// Whether `s` was clamped into `[0, 1]`: the law cannot describe a slowdown.
    pub clamped: bool,
}

/// The Universal Scalability Law, `S(n) = n / (1 + σ (n - 1) + κ n (n - 1))`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct UslFit {
    /// Contention σ (queueing on a shared resource), in `[0, 1]`.
    pub contention: f64,
    /// Coherency κ (the cost of keeping workers in step), at least 0.
    pub coherency: f64,
    /// Coefficient of determination of the fit on the measured speedups.
    pub r_squared: Option<f64>,
    /// Root mean square error of the fitted speedups.
    pub rmse: f64,
    /// Whether σ or κ was clamped to its physical range.
    pub clamped: bool,
    /// The pool size with the highest predicted speedup, searched up to four times the largest
    /// size measured.
    pub best_size: u32,
    /// The predicted speedup at `best_size`.
    pub best_speedup: f64,
}

#[cfg(test)]
impl Row {
    /// A row of `source` with these names, median and samples, and nothing derived: for the
    /// tests of everything that reads rows. The size is the value, when there is an executor.
    pub(crate) fn for_test(
        source: Source,
        id: &str,
        executor: Option<&str>,
        value: &str,
        median_ns: Interval,
        samples_ns: Vec<f64>,
    ) -> Row {
        Row {
            executor: executor.map(str::to_owned),
            value: Some(value.to_owned()),
            size: executor.and_then(|_| value.parse().ok()),
            ..Row::new(source, id.to_owned(), median_ns, samples_ns)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Summary {
        let time = Interval { point: 10.0, lower: 9.0, upper: 11.0 };
        let row =
            Row::for_test(Source::Criterion, "g/c/Sequential/1", Some("Sequential"), "1", time, vec![10.0]);
        Summary {
            schema_version: SCHEMA_VERSION,
            generator: "test".to_owned(),
            machine: Machine::detect(),
            criterion_dir: "target/criterion".to_owned(),
            groups: vec![Group::new("g/c", vec![row])],
            skipped: Vec::new(),
            peers: None,
            capacity: None,
        }
    }

    #[test]
    fn a_version_1_summary_reads_without_its_peers_and_a_future_version_is_named() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut value = serde_json::to_value(summary()).expect("encodes");
        value["schema_version"] = 1.into();
        value["peers"] = serde_json::json!({"status": "included", "path": "p", "rows": 3, "failures": []});
        let old = dir.path().join("old.json");
        std::fs::write(&old, value.to_string()).expect("written");
        let read = Summary::read(&old).expect("a version 1 summary reads");
        assert_eq!((read.groups, read.peers), (summary().groups, None));

        value["schema_version"] = 99.into();
        std::fs::write(&old, value.to_string()).expect("written");
        let err = Summary::read(&old).expect_err("version 99 is refused").to_string();
        assert!(err.contains("schema version 99, this poolbench reads versions 1 to 3"), "{err}");
    }
}
