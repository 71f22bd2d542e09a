//! The regression gate in minutes: a base build and a head build timed in interleaved pairs.
//!
//! `poolbench gate --base REF` builds the base (a git worktree of `REF`, its own target
//! directory) and the head (the working tree), starts their bench binaries in serve mode
//! ([`crate::bench::serve`]: one benchmark set up once, timed on request over a pipe) and times
//! every selected benchmark in pairs of slots of about 10 ms, base and head back to back in
//! alternating order, never both at once, over several rounds of fresh processes. Whole runs of
//! one binary differ by up to 70% on a shared 2-core machine while each run is tight: pairing
//! puts base and head in the same moment of the machine, and the fresh processes of each round
//! put their per-process offsets in the statistic rather than in the verdict.
//!
//! # The rule
//!
//! When a benchmark regressed, improved, is unchanged or is inconclusive, when measuring stops,
//! how false alarms are kept down across benchmarks, and what the canary does, is specified once,
//! in `reports/README.md`, "The paired gate". This module implements it on the paired engine
//! (`crate::paired`: paired log ratios with rounds as the unit that repeats, slot lengths), with
//! `rule.rs` (the sequential rule and the
//! verdicts), `multiplicity.rs` (Benjamini-Hochberg), `run.rs` (rounds, slots and passes),
//! `server.rs` (the driver's side of serve mode), `build.rs` and `plan.rs` (the builds, the
//! benchmarks and the canaries), `session.rs` (all of it in order), and the renderers.
//!
//! # Exit codes
//!
//! [`Outcome::exit_code`]: 0 no regression, 1 an error (or a benchmark that could not be
//! measured), 2 a regression, 3 inconclusive (the canary flagged, or no benchmark was decided).
//! 4 is the command line's when the base predates serve mode ([`Error::is_no_serve_mode`]):
//! `scripts/ci-bench.sh` then falls back to comparing whole runs (`poolbench compare`).

mod build;
mod calibration;
mod cells;
mod error;
mod json;
mod load;
mod markdown;
mod multiplicity;
mod plan;
mod rule;
mod run;
mod server;
mod session;
mod table;

use std::time::Duration;

use serde::Serialize;

pub use crate::paired::Estimate;
pub use calibration::{
    Calibration, CalibrationRun, Goal, GroupResolution, Injection, MOSTLY_SPIN, SpinShare, calibrate,
    render as render_calibration,
};
pub use error::Error;
pub use json::render as render_json;
pub use load::{DISTURBANCE_THRESHOLD, adopt_orphans};
pub use markdown::{MAX_MARKDOWN_CHARS, render as render_markdown};
pub use rule::CANARY_ALPHA;
pub use run::Stop;
pub use session::{Base, Request, build_head, run};
pub use table::render as render_table;

/// The threshold unless told otherwise, in percent: changes within it are never flagged.
pub const DEFAULT_THRESHOLD_PERCENT: f64 = 2.0;
/// The run's false-alarm level unless told otherwise.
pub const DEFAULT_ALPHA: f64 = 0.05;
/// The measurement's time budget unless told otherwise (builds not included).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(300);
/// The canaries unless told otherwise.
pub const DEFAULT_CANARIES: usize = 3;

/// How to gate. Every field states its default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Changes within `±threshold_percent` are never flagged, and one clearly within it is
    /// unchanged. Default: [`DEFAULT_THRESHOLD_PERCENT`].
    pub threshold_percent: f64,
    /// The run's false-alarm level. Default: [`DEFAULT_ALPHA`].
    pub alpha: f64,
    /// The measurement's time budget; every benchmark has its first `min_rounds` rounds whatever
    /// it says. Default: [`DEFAULT_BUDGET`].
    #[serde(with = "seconds")]
    pub budget: Duration,
    /// The most time one benchmark's rounds may take. Default: 20 s.
    #[serde(with = "seconds")]
    pub benchmark_budget: Duration,
    /// The target length of a slot. Default: 10 ms.
    #[serde(with = "seconds")]
    pub slot: Duration,
    /// Pairs of slots per round. Default: 6.
    pub pairs: usize,
    /// Rounds before the rule first looks. Default: 3.
    pub min_rounds: usize,
    /// Rounds at most. Default: 12.
    pub max_rounds: usize,
    /// Benchmarks measured head against head as canaries. Default: [`DEFAULT_CANARIES`].
    pub canaries: usize,
    /// The seed of the slot order within rounds. Default: 1.
    pub seed: u64,
    /// A round whose window shows other programs took more than this share of the machine (0 to
    /// 1) is dropped and measured again; 1 keeps every round. Default: [`DISTURBANCE_THRESHOLD`].
    pub max_disturbance: f64,
}

impl Settings {
    /// The defaults.
    pub fn new() -> Self {
        Settings {
            threshold_percent: DEFAULT_THRESHOLD_PERCENT,
            alpha: DEFAULT_ALPHA,
            budget: DEFAULT_BUDGET,
            benchmark_budget: Duration::from_secs(20),
            slot: Duration::from_millis(10),
            pairs: 6,
            min_rounds: 3,
            max_rounds: 12,
            canaries: DEFAULT_CANARIES,
            seed: 1,
            max_disturbance: DISTURBANCE_THRESHOLD,
        }
    }

    /// Checks every setting's range.
    ///
    /// # Errors
    ///
    /// A message naming the setting and its range.
    pub fn check(&self) -> Result<(), Error> {
        let fail = |message: String| Err(Error::input(message));
        if !(self.threshold_percent.is_finite()
            && self.threshold_percent > 0.0
            && self.threshold_percent < 100.0)
        {
            return fail(format!(
                "--threshold {}: give a percentage above 0 and below 100",
                self.threshold_percent
            ));
        }
        if !(self.alpha > 0.0 && self.alpha <= 0.5) {
            return fail(format!("--alpha {}: give a level above 0 and at most 0.5", self.alpha));
        }
        if self.slot < Duration::from_micros(100) || self.slot > Duration::from_secs(10) {
            return fail(format!("--slot {:?}: give from 100 µs to 10 s", self.slot));
        }
        if !(1..=1000).contains(&self.pairs) {
            return fail(format!("--pairs {}: give from 1 to 1000 pairs a round", self.pairs));
        }
        if self.min_rounds < 2 || self.max_rounds < self.min_rounds || self.max_rounds > 1000 {
            return fail(format!(
                "--min-rounds {} --max-rounds {}: at least 2 rounds before the first look (two processes a \
                 side, to measure their spread), at most 1000, and no fewer than the minimum",
                self.min_rounds, self.max_rounds
            ));
        }
        if !(self.max_disturbance > 0.0 && self.max_disturbance <= 1.0) {
            return fail(format!(
                "--max-disturbance {}: give a share above 0 and at most 1 (1 keeps every round)",
                self.max_disturbance
            ));
        }
        if self.canaries > 100 {
            return fail(format!("--canaries {}: give at most 100", self.canaries));
        }
        Ok(())
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings::new()
    }
}

mod seconds {
    pub fn serialize<S: serde::Serializer>(
        duration: &std::time::Duration,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(duration.as_secs_f64())
    }
}

/// What happened to one benchmark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Clearly slower than the base, by more than the threshold.
    Regressed,
    /// Regressed, and the config file accepts the slowdown as intended (its reason is the
    /// entry's note): not a failure.
    Accepted,
    /// Clearly faster, by more than the threshold.
    Improved,
    /// Could not be measured: see [`Entry::note`].
    Failed,
    /// Measured within the budget but neither clearly changed nor clearly unchanged.
    Inconclusive,
    /// Clearly within the threshold.
    Unchanged,
    /// Only in the head.
    New,
    /// Only in the base.
    Missing,
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
        }
    }

    /// Every verdict, in table order.
    pub const ALL: [Verdict; 8] = [
        Verdict::Regressed,
        Verdict::Accepted,
        Verdict::Improved,
        Verdict::Failed,
        Verdict::Inconclusive,
        Verdict::Unchanged,
        Verdict::New,
        Verdict::Missing,
    ];
}

/// A benchmark's measured change, head / base.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    /// The estimate: 1.05 is 5% slower.
    pub ratio: f64,
    /// The interval's lower bound, at level `1 − alpha`.
    pub lower: f64,
    /// Its upper bound.
    pub upper: f64,
    /// The p-value of "the change is within the threshold".
    pub p_value: f64,
    /// Benjamini-Hochberg's adjusted p-value (canaries: none).
    pub q_value: Option<f64>,
    /// The smallest change this benchmark's spread lets the gate flag half the time, as a ratio.
    pub detectable: f64,
    /// The estimate itself (log scale).
    pub estimate: Estimate,
}

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The benchmark id.
    pub id: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Base time per iteration, geometric mean over its slots.
    pub base_ns: Option<f64>,
    /// Head time per iteration.
    pub head_ns: Option<f64>,
    /// The change, once two rounds were measured.
    pub change: Option<Change>,
    /// Rounds measured (a fresh process a side each).
    pub rounds: usize,
    /// Pairs of slots measured.
    pub pairs: usize,
    /// Rounds dropped because other programs took more than [`DISTURBANCE_THRESHOLD`] of the
    /// machine while they ran.
    pub dropped_rounds: usize,
    /// Iterations per slot.
    pub iterations: Option<u64>,
    /// Time spent on it, set-ups included.
    pub seconds: f64,
    /// Why measuring stopped.
    pub stop: Option<Stop>,
    /// Why it failed, or other remarks.
    pub note: Option<String>,
}

/// A side as the tables describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// What was built: `main (a1b2c3d4e5f6)`, `working tree (dirty)`, or the programs given.
    pub label: String,
    /// The commit, when known.
    pub commit: Option<String>,
    /// The bench binaries.
    pub programs: Vec<String>,
    /// What its environment added (`--head-env`).
    pub env: Vec<String>,
    /// Seconds spent building and listing.
    pub build_seconds: f64,
    /// Fresh processes started.
    pub processes: usize,
}

/// The canary's result: head against head.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Canary {
    /// The canary benchmarks, judged each at [`CANARY_ALPHA`] over their number.
    pub entries: Vec<Entry>,
    /// Why the run is inconclusive, when a canary flagged.
    pub flagged: Option<String>,
}

/// A whole gate run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The base.
    pub base: Side,
    /// The head.
    pub head: Side,
    /// The settings used.
    pub settings: Settings,
    /// Every benchmark: regressions first (largest first), improvements, failed, inconclusive,
    /// unchanged, new, missing.
    pub entries: Vec<Entry>,
    /// The canary.
    pub canary: Canary,
    /// Whether the run's budget stopped benchmarks still undecided.
    pub budget_ran_out: bool,
    /// Seconds of measurement.
    pub measure_seconds: f64,
    /// Seconds from the start to the verdicts, builds included.
    pub wall_seconds: f64,
    /// Passes over the benchmarks.
    pub passes: usize,
    /// Rounds dropped as disturbed, over all benchmarks and canaries.
    pub dropped_rounds: usize,
    /// How disturbed rounds are found, and what was dropped.
    pub disturbance: String,
}

/// What the gate says of the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No benchmark regressed, and some were decided: exit code 0.
    NoRegression,
    /// A benchmark could not be measured, and none regressed: exit code 1.
    Failed,
    /// At least one benchmark regressed and the canary is quiet: exit code 2.
    Regression,
    /// The canary flagged (the machine was too noisy to trust any verdict), or no benchmark was
    /// decided: exit code 3.
    Inconclusive,
}

impl Outcome {
    /// The exit code of `poolbench gate`.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::NoRegression => 0,
            Outcome::Failed => 1,
            Outcome::Regression => 2,
            Outcome::Inconclusive => 3,
        }
    }
}

impl Report {
    /// How many benchmarks got `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.entries.iter().filter(|entry| entry.verdict == verdict).count()
    }

    /// Turns each regression that a rule of the config file accepts (`accept = true`, its `base`
    /// matching this run's base commit, when it gives one) into [`Verdict::Accepted`], its reason
    /// in the note. Returns the rules that accept a slowdown against this base but matched no
    /// regression: an acceptance no longer needed, for the caller to mention.
    pub fn accept_intended<'r>(
        &mut self,
        rules: &'r [crate::compare::Rule],
    ) -> Vec<&'r crate::compare::Rule> {
        let base = self.base.commit.as_deref();
        let mut used = vec![false; rules.len()];
        for entry in &mut self.entries {
            if entry.verdict != Verdict::Regressed {
                continue;
            }
            let Some(at) = rules.iter().position(|rule| rule.accepts(&entry.id, base)) else { continue };
            used[at] = true;
            entry.verdict = Verdict::Accepted;
            let reason = rules[at].reason.as_deref().unwrap_or("");
            entry.note = Some(match entry.note.take() {
                Some(note) => format!("accepted: {reason}; {note}"),
                None => format!("accepted: {reason}"),
            });
        }
        rules
            .iter()
            .zip(used)
            .filter(|(rule, used)| !used && rule.accept && rule.accepts_base(base))
            .map(|(rule, _)| rule)
            .collect()
    }

    /// What the gate says.
    pub fn outcome(&self) -> Outcome {
        let decided = [Verdict::Regressed, Verdict::Accepted, Verdict::Improved, Verdict::Unchanged]
            .iter()
            .map(|&v| self.count(v))
            .sum::<usize>();
        if self.canary.flagged.is_some() {
            Outcome::Inconclusive
        } else if self.count(Verdict::Regressed) > 0 {
            Outcome::Regression
        } else if self.count(Verdict::Failed) > 0 {
            Outcome::Failed
        } else if decided == 0 {
            Outcome::Inconclusive
        } else {
            Outcome::NoRegression
        }
    }

    /// Why the run is inconclusive, when it is.
    pub fn inconclusive(&self) -> Option<String> {
        if let Some(why) = &self.canary.flagged {
            return Some(why.clone());
        }
        (self.outcome() == Outcome::Inconclusive).then(|| {
            format!(
                "no benchmark was decided within the budget ({} inconclusive); give a larger --budget",
                self.count(Verdict::Inconclusive)
            )
        })
    }
}
