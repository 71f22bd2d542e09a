//! One verdict layer: what `poolbench compare` and `poolbench gate` produce, and every way it is
//! ordered, summed up and written.
//!
//! Two ways of measuring a change exist: two saved runs compared offline (`compare`: a bootstrap
//! or Welch's test on each benchmark's samples) and a base and a head timed in paired rounds
//! (`gate`: a sequential rule over rounds of fresh processes). Each produces, per benchmark, a
//! [`Change`] (the ratio with its interval) and a [`Verdict`]; this module holds what they share
//! (STYLE rule 16): the result model ([`Verdict`], [`Change`], [`Outcome`] and its exit code, the
//! table order [`order`]), one [`Table`] model drawn by one terminal writer, one Markdown writer
//! with one comment budget ([`MAX_MARKDOWN_CHARS`]) and one versioned JSON document
//! ([`JSON_VERSION`]), and the one config file both honour ([`Config`]).
//!
//! A path describes its result through [`Judgement`]: the lines above the table, the table, the
//! sentences under it, the outcome and why. The writers never look further.

pub(crate) mod cells;
mod config;
mod error;
mod json;
mod markdown;
mod statistic;
mod terminal;

use serde::Serialize;

pub use cells::{change_with_interval, confidence, p_value, percent, plain};
pub use config::{Config, DEFAULT_RESAMPLES, MAX_RESAMPLES, MIN_RESAMPLES, Rule, glob_matches};
pub use error::Error;
pub use json::{JSON_FORMAT, JSON_VERSION, render as render_json};
pub use markdown::{MAX_MARKDOWN_CHARS, render as render_markdown};
pub use statistic::Statistic;
pub use terminal::render as render_table;

pub(crate) use config::{check_alpha, check_resamples, check_threshold};

/// The false-alarm level of both paths unless told otherwise.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// `compare`'s threshold unless told otherwise, in percent: two saved runs, each tested on its
/// own samples, carry their run-to-run offsets into the ratio, so a smaller change is noise.
pub const COMPARE_THRESHOLD_PERCENT: f64 = 5.0;
/// The gate's threshold unless told otherwise, in percent: paired rounds of fresh processes put
/// base and head in the same moment of the machine, so a change of 2% can be decided.
pub const GATE_THRESHOLD_PERCENT: f64 = 2.0;
/// The config file read when present and none is named: `compare` and `gate` both read it.
pub const DEFAULT_CONFIG_FILE: &str = "poolbench-compare.toml";

/// What happened to one benchmark. Each path gives the verdicts its rule can reach: `compare`
/// never measures, so never fails or stays inconclusive; the gate measures whatever both sides
/// list, so never leaves one ungated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Slower than the base, by more than the threshold.
    Regressed,
    /// Regressed, and the config file accepts the slowdown as intended (`accept = true`, its
    /// reason in the note): not a failure.
    Accepted,
    /// Faster, by more than the threshold.
    Improved,
    /// Could not be measured: see the note.
    Failed,
    /// Measured, but neither clearly changed nor clearly unchanged.
    Inconclusive,
    /// Within the threshold.
    Unchanged,
    /// Only in the new side (the head).
    New,
    /// Only in the base.
    Missing,
    /// Left out by the config file (`ignore = true`).
    Ignored,
    /// In both, but its samples cannot be judged: see the note.
    Ungated,
}

impl Verdict {
    /// The verdict as the tables write it.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Accepted => "accepted",
            Verdict::Improved => "improved",
            Verdict::Failed => "failed",
            Verdict::Inconclusive => "inconclusive",
            Verdict::Unchanged => "unchanged",
            Verdict::New => "new",
            Verdict::Missing => "missing",
            Verdict::Ignored => "ignored",
            Verdict::Ungated => "ungated",
        }
    }

    /// Every verdict, in table order.
    pub const ALL: [Verdict; 10] = [
        Verdict::Regressed,
        Verdict::Accepted,
        Verdict::Improved,
        Verdict::Failed,
        Verdict::Inconclusive,
        Verdict::Unchanged,
        Verdict::New,
        Verdict::Missing,
        Verdict::Ignored,
        Verdict::Ungated,
    ];

    /// Whether the benchmark was decided: regressed, accepted, improved or unchanged.
    pub fn is_decided(self) -> bool {
        matches!(self, Verdict::Regressed | Verdict::Accepted | Verdict::Improved | Verdict::Unchanged)
    }
}

/// A measured change, new (head) over base, with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// The estimate: 1.05 is 5% slower.
    pub ratio: f64,
    /// The interval's lower bound, at level `1 − alpha`.
    pub lower: f64,
    /// Its upper bound.
    pub upper: f64,
    /// The p-value of the path's null: "no change" (compare), "the change is within the
    /// threshold" (gate).
    pub p_value: f64,
    /// Benjamini-Hochberg's adjusted p-value, when the path adjusts for many benchmarks (the gate).
    pub q_value: Option<f64>,
    /// The smallest change this benchmark's spread lets the path flag half the time, as a
    /// ratio, when the path knows it (the gate).
    pub detectable: Option<f64>,
    /// When a bootstrap resampled an evenly spaced subsample of a side that had more samples
    /// than its cap: that cap. The interval is then the subsample's, wider than all the samples
    /// would give, never narrower; the ratio is of all the samples.
    pub subsample: Option<usize>,
}

impl Change {
    /// A change without the gate's or the bootstrap's extras.
    pub fn new(ratio: f64, lower: f64, upper: f64, p_value: f64) -> Self {
        Change { ratio, lower, upper, p_value, q_value: None, detectable: None, subsample: None }
    }

    /// Whether the change is significant at `alpha`.
    pub fn is_significant(&self, alpha: f64) -> bool {
        self.p_value < alpha
    }

    /// How large the change is, either way: `|ln ratio|`.
    pub fn size(&self) -> f64 {
        let size = self.ratio.ln().abs();
        if size.is_nan() { 0.0 } else { size }
    }
}

/// The table order of two benchmarks: by verdict, the changed and the inconclusive largest
/// change first, the rest by id.
pub fn order(
    (a_verdict, a_change, a_id): (Verdict, Option<&Change>, &str),
    (b_verdict, b_change, b_id): (Verdict, Option<&Change>, &str),
) -> std::cmp::Ordering {
    let size = |change: Option<&Change>| change.map_or(0.0, Change::size);
    a_verdict
        .cmp(&b_verdict)
        .then_with(|| match a_verdict {
            Verdict::Regressed | Verdict::Accepted | Verdict::Improved | Verdict::Inconclusive => {
                size(b_change).total_cmp(&size(a_change))
            }
            _ => std::cmp::Ordering::Equal,
        })
        .then_with(|| a_id.cmp(b_id))
}

/// What a run says as a whole, and the exit code that says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Benchmarks were decided and none regressed: exit code 0.
    NoRegression,
    /// A benchmark could not be measured, and none regressed: exit code 1.
    Failed,
    /// Nothing could be judged at all (`compare`: no benchmark in both runs, or none whose
    /// samples can be tested): exit code 1, since passing would vouch for a change never looked at.
    NothingJudged,
    /// At least one benchmark regressed: exit code 2.
    Regression,
    /// The gate's canary flagged (the machine was too noisy to trust any verdict), or no
    /// benchmark was decided within the budget: exit code 3.
    Inconclusive,
}

impl Outcome {
    /// The exit code of `poolbench compare` and `poolbench gate`.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::NoRegression => 0,
            Outcome::Failed | Outcome::NothingJudged => 1,
            Outcome::Regression => 2,
            Outcome::Inconclusive => 3,
        }
    }

    /// The outcome of `verdicts`: a regression if any, else a failure if any, else `undecided`
    /// when none was decided, else no regression.
    pub fn of(verdicts: impl IntoIterator<Item = Verdict>, undecided: Outcome) -> Outcome {
        let (mut regressed, mut failed, mut decided) = (false, false, false);
        for verdict in verdicts {
            regressed |= verdict == Verdict::Regressed;
            failed |= verdict == Verdict::Failed;
            decided |= verdict.is_decided();
        }
        if regressed {
            Outcome::Regression
        } else if failed {
            Outcome::Failed
        } else if !decided {
            undecided
        } else {
            Outcome::NoRegression
        }
    }
}

/// A column of a [`Table`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// Its heading.
    pub heading: String,
    /// Whether it holds numbers (aligned right).
    pub numeric: bool,
}

impl Column {
    /// A column of words.
    pub fn text(heading: impl Into<String>) -> Self {
        Column { heading: heading.into(), numeric: false }
    }

    /// A column of numbers.
    pub fn number(heading: impl Into<String>) -> Self {
        Column { heading: heading.into(), numeric: true }
    }
}

/// A row of a [`Table`]: one benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its verdict: the Markdown stresses regressions and folds the unchanged away.
    pub verdict: Verdict,
    /// One cell per column, as text, in table order; the first is the benchmark id.
    pub cells: Vec<String>,
}

/// The one table model of both paths: columns and rows of text, each row with its verdict.
/// The cells are formatted once (`percent`, `change_with_interval`, ...) so a number read in
/// the terminal is the number in the Markdown.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The columns.
    pub columns: Vec<Column>,
    /// The rows, in table order ([`order`]).
    pub rows: Vec<Row>,
}

/// What a path produced, as the writers need it. `compare::Comparison` and `gate::Report`
/// implement it; everything else here is written once.
pub trait Judgement: Serialize {
    /// The command: `compare` or `gate`.
    const TOOL: &'static str;

    /// What the run says as a whole.
    fn outcome(&self) -> Outcome;

    /// Why the outcome is not a plain pass or regression (nothing judged, inconclusive, failed).
    fn reason(&self) -> Option<String>;

    /// What was compared and how: `(label, sentence)` lines above the table.
    fn header(&self) -> Vec<(&'static str, String)>;

    /// The benchmarks.
    fn table(&self) -> Table;

    /// Sentences under the table.
    fn footer(&self) -> Vec<String>;
}

/// `12 benchmarks: 1 regressed, 11 unchanged`: the verdicts given, in table order.
pub fn counts_line(table: &Table) -> String {
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&verdict| (verdict, table.rows.iter().filter(|row| row.verdict == verdict).count()))
        .filter(|&(_, count)| count > 0)
        .map(|(verdict, count)| format!("{count} {}", verdict.name()))
        .collect();
    let total = table.rows.len();
    let plural = if total == 1 { "" } else { "s" };
    if counts.is_empty() {
        format!("{total} benchmark{plural}")
    } else {
        format!("{total} benchmark{plural}: {}", counts.join(", "))
    }
}

/// The outcome, its exit code, and why: `REGRESSION (exit code 2)`.
pub fn result_line(outcome: Outcome, reason: Option<&str>) -> String {
    let code = outcome.exit_code();
    let why = reason.map(|reason| format!(": {reason}")).unwrap_or_default();
    match outcome {
        Outcome::Regression => format!("REGRESSION (exit code {code})"),
        Outcome::NoRegression => format!("no regression (exit code {code})"),
        Outcome::Failed => format!("FAILED: a benchmark could not be measured (exit code {code}){why}"),
        Outcome::NothingJudged => format!("NOTHING JUDGED (exit code {code}){why}"),
        Outcome::Inconclusive => format!("INCONCLUSIVE (exit code {code}){why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outcome_puts_a_regression_before_a_failure_before_nothing_decided() {
        use Verdict::*;
        let undecided = Outcome::Inconclusive;
        assert_eq!(Outcome::of([Unchanged, Failed, Regressed], undecided), Outcome::Regression);
        assert_eq!(Outcome::of([Unchanged, Failed], undecided), Outcome::Failed);
        assert_eq!(Outcome::of([Inconclusive, New], undecided), Outcome::Inconclusive);
        assert_eq!(Outcome::of([Ungated], Outcome::NothingJudged), Outcome::NothingJudged);
        assert_eq!(Outcome::of([Accepted, Improved], undecided), Outcome::NoRegression);
        assert_eq!(Outcome::NothingJudged.exit_code(), 1);
        assert_eq!(Outcome::Inconclusive.exit_code(), 3);
    }

    #[test]
    fn the_table_order_is_verdict_then_the_largest_change_then_id() {
        let change = |ratio| Change::new(ratio, ratio, ratio, 0.0);
        let (small, large, faster) = (change(1.1), change(1.5), change(0.5));
        let mut rows = [
            (Verdict::Unchanged, None, "a"),
            (Verdict::Regressed, Some(&small), "b"),
            (Verdict::Improved, Some(&faster), "c"),
            (Verdict::Regressed, Some(&large), "d"),
        ];
        rows.sort_by(|a, b| order(*a, *b));
        assert_eq!(rows.iter().map(|row| row.2).collect::<Vec<_>>(), ["d", "b", "c", "a"]);
    }
}
