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
//! benchmarks and the canaries), `session.rs` (all of it in order), and `render.rs` (the report as
//! the verdict layer, [`crate::verdict`], draws it: `verdict::render_table(&report)`,
//! `render_markdown`, `render_json`, as for `poolbench compare`).
//!
//! # The config file
//!
//! The gate reads `compare`'s config file ([`crate::verdict::Config`]): its `alpha` and
//! `threshold` (command-line flags win), each `[[benchmark]]` entry's `threshold` (that
//! benchmark's margin), `ignore = true` (listed as ignored, never measured), and `accept = true`
//! (a regression accepted as intended, [`Report::accept_intended`]).
//!
//! # Exit codes
//!
//! [`Outcome::exit_code`]: 0 no regression, 1 an error (or a benchmark that could not be
//! measured), 2 a regression, 3 inconclusive (the canary flagged, or no benchmark was decided).
//! 4 is the command line's when the base predates serve mode ([`Error::is_no_serve_mode`]):
//! nothing was measured; gate against a newer base.

mod build;
mod calibration;
mod error;
mod group;
mod load;
mod multiplicity;
mod plan;
mod render;
mod rule;
mod run;
mod server;
mod session;

use std::time::Duration;

use serde::Serialize;

pub use crate::paired::Estimate;
pub use crate::verdict::{Change, DEFAULT_ALPHA, GATE_THRESHOLD_PERCENT, Outcome, Verdict};
pub use calibration::{
    Calibration, CalibrationRun, Goal, GroupResolution, Injection, MOSTLY_SPIN, SpinShare, calibrate,
    render as render_calibration,
};
pub use error::Error;
pub use load::{DISTURBANCE_THRESHOLD, adopt_orphans};
pub use rule::CANARY_ALPHA;
pub use run::Stop;
pub use session::{Base, Request, build_head, run};
/// The measurement's time budget unless told otherwise (builds not included).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(300);
/// The canaries unless told otherwise.
pub const DEFAULT_CANARIES: usize = 3;

/// How to gate. Every field states its default.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// Changes within `±threshold_percent` are never flagged, and one clearly within it is
    /// unchanged. Default: [`GATE_THRESHOLD_PERCENT`].
    pub threshold_percent: f64,
    /// The run's false-alarm level. Default: [`DEFAULT_ALPHA`].
    pub alpha: f64,
    /// The measurement's time budget, kept to: no round starts that would end after it (even
    /// one of a benchmark's first `min_rounds`), and the run says before measuring when it is too
    /// short to judge every benchmark. Default: [`DEFAULT_BUDGET`].
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
    /// Whether a benchmark the run flags as regressed is measured again in a second pass of fresh
    /// rounds, and stays regressed only when that pass flags it too (else it is inconclusive,
    /// the note saying both passes' figures). Default: true.
    pub confirm: bool,
    /// The config file's `[[benchmark]]` entries, first match wins: a benchmark's own
    /// `threshold`, `ignore = true` (listed as ignored, not measured), `accept = true` (applied
    /// by [`Report::accept_intended`]). Default: none.
    pub rules: Vec<crate::verdict::Rule>,
}

impl Settings {
    /// The defaults.
    pub fn new() -> Self {
        Settings {
            threshold_percent: GATE_THRESHOLD_PERCENT,
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
            confirm: true,
            rules: Vec::new(),
        }
    }

    /// Takes the values `config` sets that the gate uses (`alpha`, `threshold`), and its rules;
    /// `statistic` and `resamples` are `compare`'s.
    pub fn apply(mut self, config: &crate::verdict::Config) -> Self {
        self.alpha = config.alpha.unwrap_or(self.alpha);
        self.threshold_percent = config.threshold.unwrap_or(self.threshold_percent);
        self.rules = config.rules.clone();
        self
    }

    /// The config file's rule for `id`, if one matches.
    pub(crate) fn rule_for(&self, id: &str) -> Option<&crate::verdict::Rule> {
        self.rules.iter().find(|rule| rule.matches(id))
    }

    /// The threshold that applies to `id`, in percent.
    pub(crate) fn threshold_for(&self, id: &str) -> f64 {
        self.rule_for(id).and_then(|rule| rule.threshold).unwrap_or(self.threshold_percent)
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
        for rule in &self.rules {
            if let Some(threshold) =
                rule.threshold.filter(|threshold| !(*threshold > 0.0 && *threshold < 100.0))
            {
                return fail(format!(
                    "[[benchmark]] id = {:?}: threshold = {threshold}: give a percentage above 0 and below 100",
                    rule.id
                ));
            }
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
    /// The estimate behind it (log scale).
    pub estimate: Option<Estimate>,
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

impl Entry {
    /// What the table order sorts by.
    pub(crate) fn key(&self) -> (Verdict, Option<&Change>, &str) {
        (self.verdict, self.change.as_ref(), &self.id)
    }
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
    /// When canaries had too few rounds to estimate (every round dropped as disturbed, or a
    /// failure): how many, and the rounds dropped. Those canaries vouch for nothing.
    pub could_not_judge: Option<String>,
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
    /// What the run said as it measured: a budget too short to judge every benchmark, an
    /// iteration longer than a slot; each says what would help.
    pub warnings: Vec<String>,
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
        rules: &'r [crate::verdict::Rule],
    ) -> Vec<&'r crate::verdict::Rule> {
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
        if self.canary.flagged.is_some() {
            return Outcome::Inconclusive;
        }
        Outcome::of(self.entries.iter().map(|entry| entry.verdict), Outcome::Inconclusive)
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
