//! Regression tracking: two runs in, a verdict per benchmark and for the whole change out.
//!
//! [`compare`] takes two [`Input`]s (each a `summary.json` or a Criterion baseline, read by
//! [`Input::load`]) and gives a [`Comparison`]: one [`Entry`] per benchmark with its
//! [`Verdict`]. The verdict layer ([`crate::verdict`]) orders, renders and encodes it, as it does
//! the gate's: `verdict::render_table(&comparison)`, `render_markdown`, `render_json`. `poolbench
//! compare` is this with the exit code of the [`Outcome`]: 2 when a benchmark regressed, 1 when
//! nothing was judged (no benchmark in both runs, or none whose samples could be tested: a gate
//! that looked at nothing must not pass), 0 otherwise. It is the offline tool for two saved
//! runs (across machines, across releases); a change is gated by `poolbench gate`.
//!
//! # The rule
//!
//! When a benchmark regressed, improved or is unchanged, which statistic is compared, why the
//! run and not the sample is the unit that repeats, and what happens when the machines differ,
//! is specified once, in `reports/README.md`, "Comparing runs". This module implements it:
//! `statistic.rs` (the percentile or mean, and the test), `welch.rs` and `bootstrap.rs` (the
//! tests), `fingerprint.rs` and `reference.rs` (absolute or relative times, [`Gate`]), and
//! [`Config`] (per-benchmark thresholds and exclusions, the config file the gate reads too).
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
//! row's [`Quietness`](crate::schema::Quietness)) is not judged: the benchmark is ungated, with
//! the note saying which side was disturbed and by how much ([`Entry::only_disturbed`]).

mod bootstrap;
mod error;
mod fingerprint;
mod input;
mod reference;
mod render;
mod statistic;
pub mod welch;

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

pub use crate::verdict::{
    COMPARE_THRESHOLD_PERCENT, Change, Config, DEFAULT_ALPHA, DEFAULT_CONFIG_FILE, DEFAULT_RESAMPLES,
    MAX_RESAMPLES, MIN_RESAMPLES, Outcome, Rule, Statistic, Verdict, glob_matches,
};
pub use error::Error;
pub use fingerprint::differences as machine_differences;
pub use input::Input;

use crate::format::share;
use crate::schema::{Group, Machine, Row, Skipped};
use crate::verdict;
use bootstrap::{Factor, Resampling};

/// The most samples a side's bootstrap resamples from, unless [`Settings::max_bootstrap_samples`]
/// says otherwise: a side with more resamples an evenly spaced subsample of this many, and the
/// change says so ([`Change::subsample`]).
pub const MAX_BOOTSTRAP_SAMPLES: usize = 10_000;
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
    /// [`COMPARE_THRESHOLD_PERCENT`].
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
            threshold_percent: COMPARE_THRESHOLD_PERCENT,
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
        verdict::check_alpha(self.alpha).map_err(Error::setting)?;
        verdict::check_threshold(self.threshold_percent).map_err(Error::setting)?;
        verdict::check_resamples(self.resamples).map_err(Error::setting)?;
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

/// One benchmark's statistic on one side.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Measured {
    /// The statistic, ns per iteration.
    pub ns: f64,
    /// Samples.
    pub n: usize,
}

/// How many runs each side holds: one each, since a side is one saved run. The statistics'
/// test across runs (`statistic.rs`) needs two or more a side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub(crate) struct Runs {
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
    /// Whether a side's run was disturbed: the benchmark is then ungated, since that side's
    /// samples cannot be trusted.
    pub only_disturbed: bool,
}

impl Entry {
    /// What the table order sorts by.
    fn key(&self) -> (Verdict, Option<&Change>, &str) {
        (self.verdict, self.gated.as_ref(), &self.id)
    }
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
    /// The significance level.
    pub alpha: f64,
    /// The default threshold, in percent.
    pub threshold_percent: f64,
    /// Every benchmark of either run, in the verdict layer's order ([`crate::verdict::order`]):
    /// regressions first (largest first), then improvements, unchanged, new, missing, ignored
    /// and ungated.
    pub entries: Vec<Entry>,
}

impl Comparison {
    /// Whether any benchmark regressed: the gate fails.
    pub fn has_regression(&self) -> bool {
        self.count(Verdict::Regressed) > 0
    }

    /// What the gate says: a regression, none, or nothing judged.
    pub fn outcome(&self) -> Outcome {
        Outcome::of(self.entries.iter().map(|entry| entry.verdict), Outcome::NothingJudged)
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
                "none of the {} in both runs could be judged ({ungated} ungated, {} of them because a side's \
                 run was disturbed by other programs; {ignored} ignored by the config file)",
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

    /// Benchmarks not judged because a side's run was disturbed.
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
    entries.sort_by(|a, b| verdict::order(a.key(), b.key()));
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
        alpha: settings.alpha,
        threshold_percent: settings.threshold_percent,
        entries,
    })
}

/// `1 benchmark`, `2 benchmarks`.
fn benchmarks(count: usize) -> String {
    format!("{count} benchmark{}", if count == 1 { "" } else { "s" })
}

/// A row of one side, with its group (for the reference).
#[derive(Clone, Copy)]
struct Found<'a> {
    group: &'a Group,
    row: &'a Row,
}

/// The samples of a row the gate judges, and whether its run was disturbed.
struct Kept<'a> {
    /// The samples.
    values: &'a [f64],
    /// The one run they come from, as the statistic's tests take runs.
    runs: [&'a [f64]; 1],
    /// When the run was disturbed: how much of its cores other programs took.
    only_disturbed: Option<f64>,
}

impl<'a> Found<'a> {
    /// The row's samples the gate judges.
    fn kept(&self) -> Kept<'a> {
        let values = self.row.samples_ns.as_slice();
        let load = &self.row.load;
        let only_disturbed =
            load.is_disturbed().then(|| load.measurement().map_or(0.0, |measured| measured.load.disturbance));
        Kept { values, runs: [values], only_disturbed }
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
            rows.entry(row.key()).or_insert(Found { group, row });
        }
    }
    rows
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
        kept.filter(|kept| !kept.values.is_empty())
            .map(|kept| Measured { ns: statistic.estimate(kept.values, &kept.runs), n: kept.values.len() })
    };
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
            .map(|(kept, power)| Factor { values: kept.values, runs: &kept.runs, power: *power })
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
        .map(|(side, worst)| format!("the run of {side} was disturbed ({} of its cores taken)", share(worst)))
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
        Some(change) => entry.verdict = judge(&change, settings.alpha, threshold_percent / 100.0),
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
        let estimate = |kept: &Kept<'_>| statistic.estimate(kept.values, &kept.runs);
        Ok(estimate(&found) / estimate(&reference))
    };
    let relative = Relative {
        reference: new_reference.row.id.clone(),
        base: ratio(base, &base_reference)?,
        new: ratio(new, &new_reference)?,
    };
    Ok((relative, base_reference, new_reference))
}

/// The rule ("Comparing runs" in `reports/README.md`): regressed when significant and the
/// interval lies wholly above the threshold, improved when wholly below, else unchanged.
fn judge(change: &Change, alpha: f64, threshold: f64) -> Verdict {
    if !change.is_significant(alpha) {
        Verdict::Unchanged
    } else if change.lower > 1.0 + threshold {
        Verdict::Regressed
    } else if change.upper < 1.0 - threshold {
        Verdict::Improved
    } else {
        Verdict::Unchanged
    }
}
