//! The gate's rule: when a benchmark stops being measured, and its verdict.
//!
//! After each round from the `min_rounds`-th on (a *look*), a benchmark stops
//!
//! - as **clearly changed** when its `p_changed` (the change lies beyond `±margin`) is below
//!   `alpha / (2 × benchmarks × looks)`: Bonferroni over every benchmark and every look it may
//!   take, so that stopping early on a lucky look cannot add false alarms;
//! - as **clearly unchanged** when its `p_equivalent` (the change lies beyond the margin) is
//!   below `alpha`: the `1 − 2 alpha` interval lies within `±margin`;
//! - or when its rounds or the time budget run out.
//!
//! Then the verdicts: Benjamini-Hochberg at level `alpha / 2` over every benchmark's
//! `p_changed` flags the changes (regressed when slower, improved when faster); of the others,
//! those whose `p_equivalent` is below `alpha` are unchanged, the rest inconclusive. When nothing
//! changed, the chance of any false alarm in the run is at most `alpha / 2` for the early stops
//! plus `alpha / 2` for the procedure: `alpha`.
//!
//! The canaries (head against head) are judged alone, each at `CANARY_ALPHA / canaries`: a canary
//! whose change is clearly beyond the margin says the machine broke the rule's assumptions, and
//! the whole run is inconclusive.

use super::Verdict;
use super::multiplicity::{adjusted, benjamini_hochberg};
use crate::paired::Estimate;

/// The canaries' family level: a quiet machine makes a run inconclusive about once in a hundred.
pub const CANARY_ALPHA: f64 = 0.01;

/// The rule's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rule {
    /// `ln(1 + threshold)`: changes within it are not flagged.
    pub margin: f64,
    /// The run's false-alarm level.
    pub alpha: f64,
    /// The benchmarks judged together (canaries not included).
    pub benchmarks: usize,
    /// The canaries.
    pub canaries: usize,
    /// Rounds before the first look.
    pub min_rounds: usize,
    /// Rounds at most.
    pub max_rounds: usize,
}

/// What a look decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    /// Measure another round.
    Continue,
    /// Clearly changed: stop.
    Changed,
    /// Clearly unchanged: stop.
    Unchanged,
}

/// A benchmark's verdict and the adjusted p-value behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Judged {
    pub verdict: Verdict,
    /// Benjamini-Hochberg's adjusted p-value: flagged when at most `alpha / 2`.
    pub q_value: f64,
}

impl Rule {
    /// How many looks a benchmark may take.
    pub fn looks(&self) -> usize {
        self.max_rounds.saturating_sub(self.min_rounds) + 1
    }

    /// The level below which a look stops a benchmark as clearly changed.
    pub fn early_level(&self) -> f64 {
        self.alpha / 2.0 / (self.benchmarks.max(1) * self.looks()) as f64
    }

    /// Benjamini-Hochberg's level.
    pub fn final_level(&self) -> f64 {
        self.alpha / 2.0
    }

    /// The level below which a canary flags.
    pub fn canary_level(&self) -> f64 {
        CANARY_ALPHA / self.canaries.max(1) as f64
    }

    /// Whether a benchmark with `estimate` after `rounds` rounds goes on.
    pub fn look(&self, estimate: Option<&Estimate>) -> Look {
        let Some(estimate) = estimate.filter(|estimate| estimate.rounds >= self.min_rounds) else {
            return Look::Continue;
        };
        if estimate.p_changed(self.margin) < self.early_level() {
            Look::Changed
        } else if estimate.p_equivalent(self.margin) < self.alpha {
            Look::Unchanged
        } else {
            Look::Continue
        }
    }

    /// The same rule with another margin: a benchmark's own threshold (the config file's).
    pub fn with_margin(self, margin: f64) -> Rule {
        Rule { margin, ..self }
    }

    /// The verdicts of the benchmarks judged together, from their final estimates (`None`: too
    /// few rounds to estimate, inconclusive).
    #[cfg(test)]
    pub fn judge(&self, estimates: &[Option<Estimate>]) -> Vec<Judged> {
        self.judge_with_margins(
            &estimates.iter().map(|estimate| (*estimate, self.margin)).collect::<Vec<_>>(),
        )
    }

    /// [`Rule::judge`], each benchmark with its own margin.
    pub fn judge_with_margins(&self, estimates: &[(Option<Estimate>, f64)]) -> Vec<Judged> {
        let p_values: Vec<f64> = estimates
            .iter()
            .map(|(estimate, margin)| estimate.map_or(f64::NAN, |estimate| estimate.p_changed(*margin)))
            .collect();
        let flagged = benjamini_hochberg(&p_values, self.final_level());
        let q_values = adjusted(&p_values);
        estimates
            .iter()
            .zip(flagged)
            .zip(q_values)
            .map(|(((estimate, margin), flagged), q_value)| {
                let verdict = match estimate {
                    None => Verdict::Inconclusive,
                    Some(estimate) if flagged && estimate.log_ratio > 0.0 => Verdict::Regressed,
                    Some(_) if flagged => Verdict::Improved,
                    Some(estimate) if estimate.p_equivalent(*margin) < self.alpha => Verdict::Unchanged,
                    Some(_) => Verdict::Inconclusive,
                };
                Judged { verdict, q_value }
            })
            .collect()
    }

    /// Whether a canary's estimate flags.
    pub fn canary_flags(&self, estimate: Option<&Estimate>) -> bool {
        estimate.is_some_and(|estimate| estimate.p_changed(self.margin) < self.canary_level())
    }

    /// The smallest change, as a log ratio, that `estimate`'s spread lets the rule flag half the
    /// time when it is the run's only change (Benjamini-Hochberg's strictest step).
    pub fn detectable(&self, estimate: &Estimate) -> f64 {
        estimate.detectable(self.margin, self.final_level() / 2.0 / self.benchmarks.max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paired::statistic::tests::normal;
    use crate::paired::statistic::{Estimate, round_value};

    fn rule(benchmarks: usize) -> Rule {
        Rule { margin: 1.02f64.ln(), alpha: 0.05, benchmarks, canaries: 3, min_rounds: 3, max_rounds: 12 }
    }

    /// A synthetic benchmark's rounds: a true change, a process offset per round, pair noise.
    fn rounds(rng: &mut fastrand::Rng, change: f64, offset_sd: f64, pair_sd: f64, count: usize) -> Vec<f64> {
        (0..count)
            .map(|_| {
                let offset = offset_sd * normal(rng);
                let pairs: Vec<f64> = (0..6).map(|_| change + offset + pair_sd * normal(rng)).collect();
                round_value(&pairs).expect("pairs")
            })
            .collect()
    }

    /// Measures a synthetic benchmark round by round under the rule, as the gate does.
    fn measured(
        rule: &Rule,
        rng: &mut fastrand::Rng,
        change: f64,
        offset_sd: f64,
        pair_sd: f64,
    ) -> Option<Estimate> {
        let mut values = Vec::new();
        for _ in 0..rule.max_rounds {
            values.extend(rounds(rng, change, offset_sd, pair_sd, 1));
            let estimate = Estimate::of(&values);
            if rule.look(estimate.as_ref()) != Look::Continue {
                return estimate;
            }
        }
        Estimate::of(&values)
    }

    #[test]
    fn a_run_of_227_unchanged_benchmarks_flags_none_in_almost_every_run() {
        let rule = rule(227);
        let mut rng = fastrand::Rng::with_seed(2026);
        let mut runs_with_flags = 0;
        for _ in 0..40 {
            let estimates: Vec<Option<Estimate>> = (0..227)
                .map(|index| {
                    // A mix: quiet benchmarks, noisy ones, ones with large process offsets.
                    let (offset, pair) = [(0.002, 0.01), (0.01, 0.05), (0.03, 0.02)][index % 3];
                    measured(&rule, &mut rng, 0.0, offset, pair)
                })
                .collect();
            let judged = rule.judge(&estimates);
            if judged.iter().any(|judged| matches!(judged.verdict, Verdict::Regressed | Verdict::Improved)) {
                runs_with_flags += 1;
            }
        }
        // At most alpha = 5% of runs in theory; 40 runs allow a few.
        assert!(runs_with_flags <= 4, "{runs_with_flags} of 40 A/A runs flagged something");
    }

    #[test]
    fn a_five_percent_slowdown_of_quiet_benchmarks_is_flagged_and_the_rest_is_not() {
        let rule = rule(227);
        let mut rng = fastrand::Rng::with_seed(5);
        let slower = 1.05f64.ln();
        let estimates: Vec<Option<Estimate>> = (0..227)
            .map(|index| {
                let change = if index < 30 { slower } else { 0.0 };
                measured(&rule, &mut rng, change, 0.003, 0.015)
            })
            .collect();
        let judged = rule.judge(&estimates);
        let regressed: Vec<bool> = judged.iter().map(|judged| judged.verdict == Verdict::Regressed).collect();
        assert!(regressed[..30].iter().all(|&flag| flag), "{:?}", &judged[..30]);
        assert!(
            !judged[30..]
                .iter()
                .any(|judged| matches!(judged.verdict, Verdict::Regressed | Verdict::Improved))
        );
        assert!(judged[30..].iter().filter(|judged| judged.verdict == Verdict::Unchanged).count() > 190);
    }

    #[test]
    fn a_quiet_unchanged_benchmark_stops_at_the_first_look_and_a_noisy_one_runs_out() {
        let rule = rule(227);
        let mut rng = fastrand::Rng::with_seed(3);
        let quiet = measured(&rule, &mut rng, 0.0, 0.001, 0.005).expect("estimate");
        assert_eq!(quiet.rounds, rule.min_rounds);
        assert_eq!(rule.look(Some(&quiet)), Look::Unchanged);
        let noisy = measured(&rule, &mut rng, 0.0, 0.05, 0.3).expect("estimate");
        assert_eq!(noisy.rounds, rule.max_rounds);
        assert_eq!(rule.judge(&[Some(noisy)])[0].verdict, Verdict::Inconclusive);
        let huge = measured(&rule, &mut rng, 2.0f64.ln(), 0.001, 0.005).expect("estimate");
        assert_eq!((huge.rounds, rule.look(Some(&huge))), (rule.min_rounds, Look::Changed));
    }

    #[test]
    fn verdicts_follow_the_sign_and_too_few_rounds_are_inconclusive() {
        let rule = rule(3);
        let slower = Estimate { log_ratio: 0.2, standard_error: 0.001, df: 4.0, rounds: 5 };
        let faster = Estimate { log_ratio: -0.2, ..slower };
        let same = Estimate { log_ratio: 0.0, ..slower };
        let verdicts: Vec<Verdict> = rule
            .judge(&[Some(slower), Some(faster), Some(same), None])
            .iter()
            .map(|judged| judged.verdict)
            .collect();
        assert_eq!(
            verdicts,
            [Verdict::Regressed, Verdict::Improved, Verdict::Unchanged, Verdict::Inconclusive]
        );
    }

    #[test]
    fn a_canary_flags_only_a_clear_change_beyond_the_margin() {
        let rule = rule(227);
        let drifted = Estimate { log_ratio: 0.05, standard_error: 0.002, df: 5.0, rounds: 6 };
        let quiet = Estimate { log_ratio: 0.003, ..drifted };
        assert!(rule.canary_flags(Some(&drifted)));
        assert!(!rule.canary_flags(Some(&quiet)) && !rule.canary_flags(None));
    }
}
