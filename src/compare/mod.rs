//! Regression tracking: two runs in, a verdict per benchmark and for the whole change out.
//!
//! [`compare`] takes two [`Input`]s (each a `summary.json` or a Criterion baseline, read by
//! [`Input::load`]) and gives a [`Comparison`]: one [`Entry`] per benchmark with its
//! [`Verdict`], rendered by [`render_table`], [`render_markdown`] or [`render_json`]. `poolbench
//! compare` is this with the exit code of the [`Outcome`]: 2 when a benchmark regressed, 1 when
//! nothing was judged (no benchmark in both runs, or none whose samples could be tested: a gate
//! that looked at nothing must not pass), 0 otherwise.
//!
//! # The rule
//!
//! When a benchmark regressed, improved or is unchanged, which statistic is compared, why the
//! run and not the sample is the unit that repeats, and what happens when the machines differ,
//! is specified once, in `reports/README.md`, "Comparing runs". This module implements it:
//! `statistic.rs` (the percentile or mean, and the test), `welch.rs` and `bootstrap.rs` (the
//! tests), `fingerprint.rs` and `reference.rs` (absolute or relative times, [`Gate`]), and
//! [`Config`] (per-benchmark thresholds and exclusions).
//!
//! # Listed, not hidden
//!
//! Benchmarks only in the new run are [`Verdict::New`], only in the base [`Verdict::Missing`],
//! excluded by the config file [`Verdict::Ignored`], and those the gate cannot judge (too few
//! samples, no reference across machines, or every run of a side disturbed) [`Verdict::Ungated`],
//! each with the reason.
//!
//! # Disturbed runs
//!
//! A run measured while other programs took more than the threshold of a benchmark's cores (its
//! row's [`Quietness`](crate::schema::Quietness)) is left out of that benchmark's side when the
//! side has another run to judge by; a benchmark whose every run of a side was disturbed is not
//! judged at all. Each entry counts what it left out ([`Entry::disturbed_left_out`],
//! [`Entry::only_disturbed`]), and the tables say how many.

mod bootstrap;
pub(crate) mod cells;
mod config;
mod error;
mod fingerprint;
mod input;
mod json;
mod markdown;
mod reference;
mod statistic;
mod table;
pub mod welch;

use std::borrow::Cow;
use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

pub use config::{Config, Rule, glob_matches};
pub use error::Error;
pub use fingerprint::differences as machine_differences;
pub use input::{Input, PooledRun};
pub use json::render as render_json;
pub use markdown::render as render_markdown;
pub use statistic::Statistic;
pub use table::render as render_table;

use crate::format::share;
use crate::schema::{Group, Machine, Row, Skipped};
use bootstrap::{Factor, Resampling};

/// The significance level unless told otherwise.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// The threshold unless told otherwise, in percent.
pub const DEFAULT_THRESHOLD_PERCENT: f64 = 5.0;
/// Bootstrap resamples unless told otherwise.
pub const DEFAULT_RESAMPLES: usize = 10_000;
/// The fewest bootstrap resamples accepted: fewer make the interval's 2.5% tails a handful of
/// draws, and the p-value's floor (`2 / (resamples + 1)`) too coarse for alpha = 0.001.
pub const MIN_RESAMPLES: usize = 1_000;
/// The most bootstrap resamples accepted: ten times the default, so that one benchmark's
/// bootstrap stays within seconds (each resample draws every sample of every factor anew).
pub const MAX_RESAMPLES: usize = 100_000;
/// The most samples a side's bootstrap resamples from, unless [`Settings::max_bootstrap_samples`]
/// says otherwise: a side with more resamples an evenly spaced subsample of this many, and the
/// change says so ([`Change::subsample`]).
pub const MAX_BOOTSTRAP_SAMPLES: usize = 10_000;
/// The config file read when present and none is named.
pub const DEFAULT_CONFIG_FILE: &str = "poolbench-compare.toml";

/// Which times the gate compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    /// Absolute times: base and new ran on the same machine.
    Absolute,
    /// Times relative to a reference in the same run: the machines differ.
    Relative,
}

/// How the gate is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GateChoice {
    /// Absolute on the same machine, relative when the fingerprints differ.
    #[default]
    Auto,
    /// Absolute times whatever the machines.
    Absolute,
    /// Relative times whatever the machines.
    Relative,
}

/// How to compare. Every field states its default; [`Settings::apply`] takes a config file's.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The statistic compared. Default: [`Statistic::DEFAULT`] (`p10`).
    pub statistic: Statistic,
    /// The significance level; intervals are at level `1 - alpha`. Default: [`DEFAULT_ALPHA`].
    pub alpha: f64,
    /// The threshold in percent: no change smaller is flagged. Default:
    /// [`DEFAULT_THRESHOLD_PERCENT`].
    pub threshold_percent: f64,
    /// Bootstrap resamples, [`MIN_RESAMPLES`] to [`MAX_RESAMPLES`]. Default: [`DEFAULT_RESAMPLES`].
    pub resamples: usize,
    /// Absolute or relative times. Default: [`GateChoice::Auto`].
    pub gate: GateChoice,
    /// Per-benchmark thresholds and exclusions, first match wins. Default: none.
    pub rules: Vec<Rule>,
    /// The most samples of a side the bootstrap resamples from. Default: [`MAX_BOOTSTRAP_SAMPLES`].
    pub max_bootstrap_samples: usize,
}

impl Settings {
    /// The defaults.
    pub fn new() -> Self {
        Settings {
            statistic: Statistic::DEFAULT,
            alpha: DEFAULT_ALPHA,
            threshold_percent: DEFAULT_THRESHOLD_PERCENT,
            resamples: DEFAULT_RESAMPLES,
            gate: GateChoice::Auto,
            rules: Vec::new(),
            max_bootstrap_samples: MAX_BOOTSTRAP_SAMPLES,
        }
    }

    /// Takes the values `config` sets, and its rules.
    pub fn apply(mut self, config: &Config) -> Self {
        self.statistic = config.statistic.unwrap_or(self.statistic);
        self.alpha = config.alpha.unwrap_or(self.alpha);
        self.threshold_percent = config.threshold.unwrap_or(self.threshold_percent);
        self.resamples = config.resamples.unwrap_or(self.resamples);
        self.rules = config.rules.clone();
        self
    }

    fn check(&self) -> Result<(), Error> {
        config::check_alpha(self.alpha).map_err(Error::setting)?;
        config::check_threshold(self.threshold_percent).map_err(Error::setting)?;
        config::check_resamples(self.resamples).map_err(Error::setting)?;
        if self.max_bootstrap_samples < 2 {
            return Err(Error::setting(format!(
                "max_bootstrap_samples = {}: a bootstrap needs at least 2 samples a side",
                self.max_bootstrap_samples
            )));
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

/// What happened to one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Significantly slower, by more than the threshold.
    Regressed,
    /// Significantly faster, by more than the threshold.
    Improved,
    /// Neither.
    Unchanged,
    /// Only in the new run.
    New,
    /// Only in the base run.
    Missing,
    /// Left out of the gate by the config file.
    Ignored,
    /// In both runs, but the gate cannot judge it: see [`Entry::note`].
    Ungated,
}

impl Verdict {
    /// The verdict as the tables write it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Unchanged => "unchanged",
            Verdict::New => "new",
            Verdict::Missing => "missing",
            Verdict::Ignored => "ignored",
            Verdict::Ungated => "ungated",
        }
    }

    /// Every verdict, in table order.
    pub const ALL: [Verdict; 7] = [
        Verdict::Regressed,
        Verdict::Improved,
        Verdict::Unchanged,
        Verdict::New,
        Verdict::Missing,
        Verdict::Ignored,
        Verdict::Ungated,
    ];
}

/// A tested ratio new / base, with its interval and p-value.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// The ratio of the point estimates: 1.2 is 20% slower.
    pub ratio: f64,
    /// The interval's lower bound, at level `1 - alpha`.
    pub lower: f64,
    /// Its upper bound.
    pub upper: f64,
    /// The two-sided p-value of "no change".
    pub p_value: f64,
    /// When the bootstrap resampled an evenly spaced subsample of a side that had more samples
    /// than [`Settings::max_bootstrap_samples`]: that cap. The interval is then the subsample's,
    /// wider than all the samples would give, never narrower; the ratio is of all the samples.
    pub subsample: Option<usize>,
}

impl Change {
    /// Whether the change is significant at `alpha`.
    pub fn is_significant(&self, alpha: f64) -> bool {
        self.p_value < alpha
    }

    fn verdict(&self, alpha: f64, threshold: f64) -> Verdict {
        if !self.is_significant(alpha) {
            Verdict::Unchanged
        } else if self.lower > 1.0 + threshold {
            Verdict::Regressed
        } else if self.upper < 1.0 - threshold {
            Verdict::Improved
        } else {
            Verdict::Unchanged
        }
    }
}

/// One benchmark's statistic on one side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measured {
    /// The statistic, ns per iteration: of the samples for one run, the geometric mean of each
    /// run's statistic for several.
    pub ns: f64,
    /// Samples, all runs together.
    pub n: usize,
    /// Runs pooled.
    pub runs: usize,
}

/// How many runs each side pooled, at most over its benchmarks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Runs {
    /// Runs of the base.
    pub base: usize,
    /// Runs of the new side.
    pub new: usize,
}

/// Under [`Gate::Relative`]: the reference and the benchmark's time as a multiple of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Relative {
    /// The reference's id (the same in both runs).
    pub reference: String,
    /// The benchmark's statistic over the reference's, in the base run (0.5: twice as fast).
    pub base: f64,
    /// The same in the new run.
    pub new: f64,
}

/// One benchmark's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The benchmark id (prefixed by its source when that is not Criterion).
    pub id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Its statistic in the base run.
    pub base: Option<Measured>,
    /// Its statistic in the new run.
    pub new: Option<Measured>,
    /// The change of the absolute time; what the gate judged under [`Gate::Absolute`].
    pub absolute: Option<Change>,
    /// The reference and relative times under [`Gate::Relative`].
    pub relative: Option<Relative>,
    /// The change the verdict was decided on: the absolute change, or under [`Gate::Relative`]
    /// the change of the time relative to the reference.
    pub gated: Option<Change>,
    /// The threshold that applied, in percent.
    pub threshold_percent: f64,
    /// Why the benchmark is ignored or ungated, or the config file's reason for its threshold.
    pub note: Option<String>,
    /// Disturbed runs left out of each side: measured while other programs took more than the
    /// threshold of the benchmark's cores, on a side that has quiet runs (or runs whose load was
    /// not measured) to judge it by.
    pub disturbed_left_out: Runs,
    /// Whether every run of a side was disturbed: the benchmark is then ungated, since no run
    /// of that side can be trusted.
    pub only_disturbed: bool,
}

/// One side of the comparison, as the tables describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// The file or baseline.
    pub label: String,
    /// The machine it ran on.
    pub machine: Machine,
    /// Benchmarks its run could not read.
    pub skipped: Vec<Skipped>,
}

/// Two runs compared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// The base run.
    pub base: Side,
    /// The new run.
    pub new: Side,
    /// Absolute or relative times.
    pub gate: Gate,
    /// What differs between the machines (empty for the same machine).
    pub machine_differences: Vec<String>,
    /// The statistic compared.
    pub statistic: Statistic,
    /// How many runs each side pooled: two or more on both sides, and the test is across runs.
    pub runs: Runs,
    /// The significance level.
    pub alpha: f64,
    /// The default threshold, in percent.
    pub threshold_percent: f64,
    /// Every benchmark of either run: regressions first (largest first), then improvements,
    /// unchanged, new, missing, ignored and ungated.
    pub entries: Vec<Entry>,
}

/// What the gate says of the whole comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// At least one benchmark regressed: the gate fails (exit code 2).
    Regression,
    /// Benchmarks were judged and none regressed: the gate passes (exit code 0).
    NoRegression,
    /// No benchmark was judged (no benchmark in both runs, or none whose samples could be
    /// tested): the gate fails (exit code 1), since passing would vouch for a change it never
    /// looked at. [`Comparison::nothing_judged`] says why.
    NothingJudged,
}

impl Outcome {
    /// The exit code of `poolbench compare`: 0, 1 or 2.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::NoRegression => 0,
            Outcome::NothingJudged => 1,
            Outcome::Regression => 2,
        }
    }
}

impl Comparison {
    /// Whether any benchmark regressed: the gate fails.
    pub fn has_regression(&self) -> bool {
        self.count(Verdict::Regressed) > 0
    }

    /// What the gate says: a regression, none, or nothing judged.
    pub fn outcome(&self) -> Outcome {
        if self.has_regression() {
            Outcome::Regression
        } else if self.gated() == 0 {
            Outcome::NothingJudged
        } else {
            Outcome::NoRegression
        }
    }

    /// Why no benchmark was judged, when none was: which side holds nothing, or what kept the
    /// benchmarks both runs share from being tested.
    pub fn nothing_judged(&self) -> Option<String> {
        if self.gated() > 0 {
            return None;
        }
        let (only_base, only_new) = (self.count(Verdict::Missing), self.count(Verdict::New));
        let (ungated, ignored) = (self.count(Verdict::Ungated), self.count(Verdict::Ignored));
        let in_both = ungated + ignored;
        Some(match (in_both, only_base, only_new) {
            (0, 0, 0) => "neither BASE nor NEW holds a benchmark".to_owned(),
            (0, _, 0) => format!("NEW holds no benchmark (BASE holds {})", benchmarks(only_base)),
            (0, 0, _) => format!("BASE holds no benchmark (NEW holds {})", benchmarks(only_new)),
            (0, _, _) => {
                format!("BASE and NEW share no benchmark ({only_base} only in BASE, {only_new} only in NEW)")
            }
            _ if self.only_disturbed() > 0 => format!(
                "none of the {} in both runs could be judged ({ungated} ungated, {} of them because every run \
                 of a side was disturbed by other programs; {ignored} ignored by the config file)",
                benchmarks(in_both),
                self.only_disturbed()
            ),
            _ => format!(
                "none of the {} in both runs could be judged ({ungated} ungated: too few samples, \
                 or samples that are not positive; {ignored} ignored by the config file)",
                benchmarks(in_both)
            ),
        })
    }

    /// How many benchmarks got `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.entries.iter().filter(|entry| entry.verdict == verdict).count()
    }

    /// The entries with `verdict`, in table order.
    pub fn with(&self, verdict: Verdict) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |entry| entry.verdict == verdict)
    }

    /// How many benchmarks were judged (regressed, improved or unchanged).
    pub fn gated(&self) -> usize {
        [Verdict::Regressed, Verdict::Improved, Verdict::Unchanged].iter().map(|&v| self.count(v)).sum()
    }

    /// Disturbed runs left out, over both sides and every benchmark, and how many benchmarks they
    /// were of.
    pub fn disturbed_left_out(&self) -> (usize, usize) {
        let with = self
            .entries
            .iter()
            .filter(|entry| entry.disturbed_left_out.base + entry.disturbed_left_out.new > 0);
        let runs =
            with.clone().map(|entry| entry.disturbed_left_out.base + entry.disturbed_left_out.new).sum();
        (runs, with.count())
    }

    /// Benchmarks not judged because every run of a side was disturbed.
    pub fn only_disturbed(&self) -> usize {
        self.entries.iter().filter(|entry| entry.only_disturbed).count()
    }

    /// Judged benchmarks whose change was significant at `alpha` but inside the threshold.
    pub fn significant_within_threshold(&self) -> usize {
        self.with(Verdict::Unchanged)
            .filter(|entry| entry.gated.is_some_and(|change| change.is_significant(self.alpha)))
            .count()
    }
}

/// Compares `new` against `base`.
///
/// # Errors
///
/// An [`Error`] when a setting is out of range (alpha outside `(0, 0.5]`, a threshold that is
/// not positive, resamples outside [`MIN_RESAMPLES`]..=[`MAX_RESAMPLES`], a bootstrap cap below 2).
pub fn compare(base: &Input, new: &Input, settings: &Settings) -> Result<Comparison, Error> {
    settings.check()?;
    let machine_differences = fingerprint::differences(&base.summary.machine, &new.summary.machine);
    let gate = match settings.gate {
        GateChoice::Absolute => Gate::Absolute,
        GateChoice::Relative => Gate::Relative,
        GateChoice::Auto if machine_differences.is_empty() => Gate::Absolute,
        GateChoice::Auto => Gate::Relative,
    };
    let base_rows = index(base);
    let new_rows = index(new);
    let mut ids: Vec<&String> = base_rows.keys().chain(new_rows.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut entries: Vec<Entry> =
        ids.par_iter().map(|id| entry(id, base_rows.get(*id), new_rows.get(*id), gate, settings)).collect();
    entries.sort_by(table_order);
    let side = |input: &Input| Side {
        label: input.label.clone(),
        machine: input.summary.machine.clone(),
        skipped: input.summary.skipped.clone(),
    };
    Ok(Comparison {
        base: side(base),
        new: side(new),
        gate,
        machine_differences,
        statistic: settings.statistic,
        runs: Runs { base: most_runs(base), new: most_runs(new) },
        alpha: settings.alpha,
        threshold_percent: settings.threshold_percent,
        entries,
    })
}

/// `1 benchmark`, `2 benchmarks`.
fn benchmarks(count: usize) -> String {
    format!("{count} benchmark{}", if count == 1 { "" } else { "s" })
}

/// A row of one side, with its group (for the reference) and its side (for the runs).
#[derive(Clone, Copy)]
struct Found<'a> {
    group: &'a Group,
    row: &'a Row,
    input: &'a Input,
}

/// The samples of a row the gate judges: its runs less the disturbed ones, when a run that is not
/// disturbed is left; all of them otherwise.
struct Kept<'a> {
    /// All the kept runs' samples, in order.
    values: Cow<'a, [f64]>,
    /// One slice per kept run.
    runs: Vec<&'a [f64]>,
    /// Disturbed runs left out.
    left_out: usize,
    /// When every run was disturbed: the largest disturbance.
    only_disturbed: Option<f64>,
}

impl<'a> Found<'a> {
    /// The row's samples the gate judges.
    fn kept(&self) -> Kept<'a> {
        let runs = self.input.runs_of(self.row);
        let quiet: Vec<&'a [f64]> =
            runs.iter().filter(|(_, load)| !load.is_disturbed()).map(|(samples, _)| *samples).collect();
        if quiet.is_empty() {
            let worst = runs
                .iter()
                .filter_map(|(_, load)| load.measurement().map(|measured| measured.load.disturbance))
                .fold(0.0, f64::max);
            return Kept {
                values: Cow::Borrowed(&self.row.samples_ns),
                runs: runs.into_iter().map(|(samples, _)| samples).collect(),
                left_out: 0,
                only_disturbed: Some(worst),
            };
        }
        let left_out = runs.len() - quiet.len();
        let values = if left_out == 0 {
            Cow::Borrowed(self.row.samples_ns.as_slice())
        } else {
            Cow::Owned(quiet.concat())
        };
        Kept { values, runs: quiet, left_out, only_disturbed: None }
    }

    /// A row of the same side: the reference.
    fn with_row(self, row: &'a Row) -> Found<'a> {
        Found { row, ..self }
    }
}

/// Every row of a side by its key.
fn index(input: &Input) -> BTreeMap<String, Found<'_>> {
    let mut rows = BTreeMap::new();
    for group in &input.summary.groups {
        for row in &group.results {
            // `Summary::read` refuses a file listing an id twice; a summary built in memory that
            // does keeps its first.
            rows.entry(row.key()).or_insert(Found { group, row, input });
        }
    }
    rows
}

/// The most runs any benchmark of `input` pooled (1 for a single run).
fn most_runs(input: &Input) -> usize {
    input.runs.values().map(Vec::len).max().unwrap_or(1)
}

fn entry(
    id: &str,
    base: Option<&Found<'_>>,
    new: Option<&Found<'_>>,
    gate: Gate,
    settings: &Settings,
) -> Entry {
    let rule = settings.rules.iter().find(|rule| rule.matches(id));
    let threshold_percent = rule.and_then(|rule| rule.threshold).unwrap_or(settings.threshold_percent);
    let statistic = settings.statistic;
    let (base_kept, new_kept) = (base.map(Found::kept), new.map(Found::kept));
    let measured = |kept: Option<&Kept<'_>>| {
        kept.filter(|kept| !kept.values.is_empty()).map(|kept| Measured {
            ns: statistic.estimate(&kept.values, &kept.runs),
            n: kept.values.len(),
            runs: kept.runs.len(),
        })
    };
    let left_out = |kept: &Option<Kept<'_>>| kept.as_ref().map_or(0, |kept| kept.left_out);
    let mut entry = Entry {
        id: id.to_owned(),
        verdict: Verdict::Ungated,
        base: measured(base_kept.as_ref()),
        new: measured(new_kept.as_ref()),
        absolute: None,
        relative: None,
        gated: None,
        threshold_percent,
        note: rule.and_then(|rule| rule.reason.clone()),
        disturbed_left_out: Runs { base: left_out(&base_kept), new: left_out(&new_kept) },
        only_disturbed: false,
    };
    let (Some(base), Some(new), Some(base_kept), Some(new_kept)) = (base, new, &base_kept, &new_kept) else {
        entry.verdict = if new.is_some() { Verdict::New } else { Verdict::Missing };
        return entry;
    };
    let level = 1.0 - settings.alpha;
    let resampling = Resampling {
        resamples: settings.resamples,
        max_samples: settings.max_bootstrap_samples,
        seed: bootstrap::seed_for(id),
    };
    let test = |sides: &[(&Kept<'_>, i32)]| {
        let factors: Vec<Factor<'_>> = sides
            .iter()
            .map(|(kept, power)| Factor { values: &kept.values, runs: &kept.runs, power: *power })
            .collect();
        statistic.test(&factors, level, resampling)
    };
    entry.absolute = test(&[(new_kept, 1), (base_kept, -1)]);
    if rule.is_some_and(|rule| rule.ignore) {
        entry.verdict = Verdict::Ignored;
        entry.note = Some(
            rule.and_then(|rule| rule.reason.clone())
                .unwrap_or_else(|| "ignored by the config file".to_owned()),
        );
        return entry;
    }
    let only_disturbed = [("BASE", base_kept), ("NEW", new_kept)]
        .into_iter()
        .filter_map(|(side, kept)| Some((side, kept.only_disturbed?)))
        .map(|(side, worst)| {
            format!("every run of {side} was disturbed (up to {} of its cores taken)", share(worst))
        })
        .collect::<Vec<_>>();
    if !only_disturbed.is_empty() {
        entry.only_disturbed = true;
        entry.note = Some(format!("{}: measure it again on a quiet machine", only_disturbed.join(", and ")));
        return entry;
    }
    entry.gated = match gate {
        Gate::Absolute => entry.absolute,
        Gate::Relative => match relative(base, new, statistic) {
            Ok((relative, base_reference, new_reference)) => {
                entry.relative = Some(relative);
                let (base_reference, new_reference) = (base_reference.kept(), new_reference.kept());
                test(&[(new_kept, 1), (&new_reference, -1), (base_kept, -1), (&base_reference, 1)])
            }
            Err(reason) => {
                entry.note = Some(format!("not comparable across machines: {reason}"));
                return entry;
            }
        },
    };
    match entry.gated {
        Some(change) => entry.verdict = change.verdict(settings.alpha, threshold_percent / 100.0),
        None => entry.note = Some("too few samples, or a sample time that is not positive".to_owned()),
    }
    entry
}

/// The reference rows of both runs and the relative times, or why there are none.
fn relative<'a>(
    base: &Found<'a>,
    new: &Found<'a>,
    statistic: Statistic,
) -> Result<(Relative, Found<'a>, Found<'a>), String> {
    let base_reference = base
        .with_row(reference::reference(base.group, base.row).map_err(|reason| format!("{reason} (base)"))?);
    let new_reference =
        new.with_row(reference::reference(new.group, new.row).map_err(|reason| format!("{reason} (new)"))?);
    if base_reference.row.id != new_reference.row.id {
        return Err(format!(
            "its reference is {} in the base run but {} in the new",
            base_reference.row.id, new_reference.row.id
        ));
    }
    let ratio = |found: &Found<'_>, reference: &Found<'_>| -> Result<f64, String> {
        let (found, reference) = (found.kept(), reference.kept());
        if found.values.is_empty() || reference.values.is_empty() {
            return Err("no samples".to_owned());
        }
        let estimate = |kept: &Kept<'_>| statistic.estimate(&kept.values, &kept.runs);
        Ok(estimate(&found) / estimate(&reference))
    };
    let relative = Relative {
        reference: new_reference.row.id.clone(),
        base: ratio(base, &base_reference)?,
        new: ratio(new, &new_reference)?,
    };
    Ok((relative, base_reference, new_reference))
}

/// Regressions by size, improvements by size, then the rest by verdict and id.
fn table_order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    let size = |entry: &Entry| entry.gated.map_or(0.0, |change| change.ratio.ln().abs());
    a.verdict
        .cmp(&b.verdict)
        .then_with(|| match a.verdict {
            Verdict::Regressed | Verdict::Improved => size(b).total_cmp(&size(a)),
            _ => std::cmp::Ordering::Equal,
        })
        .then_with(|| a.id.cmp(&b.id))
}
