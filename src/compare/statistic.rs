//! Which estimate of a benchmark's time the gate compares, and the test that goes with it.
//!
//! - `pNN` (default `p10`): the NN-th percentile of the samples, tested by a bootstrap of the
//!   ratio. Contention on a shared machine only ever adds time, and comes in bursts that spoil
//!   runs of consecutive samples: the low percentiles of two runs of the same code agree where
//!   their means and medians do not (measured: `reports/README.md`, "Measured, not assumed").
//!   A code change that costs time moves the whole distribution, the low percentiles with it.
//! - `median`: `p50`.
//! - `mean`: Welch's t-test on the log of the means (the delta method), as Criterion does. It
//!   sees regressions that only lengthen the tail, and every burst of contention too.
//!
//! # Runs, not samples, when a side has several
//!
//! The samples of one run are not independent draws: a run that starts on a busy machine, or
//! whose threads the scheduler places badly, is slow from its first sample to its last, and the
//! next process running the same binary may not be. On this project's 2-core VM the 10th
//! percentile of sync/producer-consumer/mutex-condvar came out at 6.6, 3.8 and 6.3 ms in three
//! runs of one binary, each run tight within itself. A test over the pooled samples measures
//! only the spread within runs, so it took such a run-to-run difference for a change: 23 of 216
//! benchmarks were flagged when one commit was compared with itself (the retired `scripts/gate-check.sh`,
//! `reports/README.md`). So when every factor has two runs or more, the run is the unit that
//! repeats: each run gives one value, the log of its statistic, and Welch's t-test compares those
//! values across runs (the interval from Student's t with the Welch-Satterthwaite degrees of
//! freedom: wide with three runs a side, as it should be when runs disagree). On the same data
//! this flagged 0 of 216, and still 26 of the 30 benchmarks slowed down by 20%. With a single
//! run a side there is no run-to-run spread to measure, and the test falls back to the samples
//! (the bootstrap, or Welch on the means), which understates the noise: gate on several runs.

use super::Runs;
use super::bootstrap::{self, Factor, Resampling};
use super::welch::{self, Moments, Term};
use crate::verdict::{Change, Statistic};

impl Statistic {
    /// The statistic of `values` (which must not be empty).
    pub fn of(self, values: &[f64]) -> f64 {
        match self {
            Statistic::Mean => values.iter().sum::<f64>() / values.len() as f64,
            Statistic::Percentile(percent) => {
                let mut sorted = values.to_vec();
                sorted.sort_by(f64::total_cmp);
                bootstrap::quantile_of_sorted(&sorted, f64::from(percent) / 100.0)
            }
        }
    }

    /// The estimate of one side's value: for several runs, the geometric mean of each run's
    /// statistic (what the test compares across runs); else the statistic of
    /// `values`, which must not be empty.
    pub fn estimate(self, values: &[f64], runs: &[&[f64]]) -> f64 {
        match self.log_per_run(runs) {
            Some(logs) => (logs.iter().sum::<f64>() / logs.len() as f64).exp(),
            None => self.of(values),
        }
    }

    /// The log of each run's statistic, when there are two runs or more and every one gives a
    /// positive, finite statistic.
    fn log_per_run(self, runs: &[&[f64]]) -> Option<Vec<f64>> {
        if runs.len() < 2 {
            return None;
        }
        runs.iter()
            .map(|run| {
                let value = if run.is_empty() { f64::NAN } else { self.of(run) };
                (value.is_finite() && value > 0.0).then(|| value.ln())
            })
            .collect()
    }

    /// Tests the product of the factors' statistics (each to its power) against 1, with an
    /// interval at `level`: across runs when every factor has two runs or more, else over the
    /// samples (a bootstrap resamples as `resampling` says). See the module's docs.
    ///
    /// `None` when a factor has fewer than two samples or one that is not positive and finite.
    pub(crate) fn test(self, factors: &[Factor<'_>], level: f64, resampling: Resampling) -> Option<Change> {
        if factors.iter().all(|factor| factor.runs.len() >= 2) {
            return self.test_across_runs(factors, level);
        }
        self.test_samples(factors, level, resampling)
    }

    /// Welch's t-test on the log of each run's statistic, one term per factor.
    fn test_across_runs(self, factors: &[Factor<'_>], level: f64) -> Option<Change> {
        let mut log_ratio = 0.0;
        let mut terms = Vec::with_capacity(factors.len());
        for factor in factors {
            let moments = Moments::of(&self.log_per_run(factor.runs)?)?;
            log_ratio += f64::from(factor.power) * moments.mean;
            terms.push(Term::mean(&moments));
        }
        log_change(log_ratio, &terms, level)
    }

    fn test_samples(self, factors: &[Factor<'_>], level: f64, resampling: Resampling) -> Option<Change> {
        match self {
            Statistic::Mean => {
                let mut log_ratio = 0.0;
                let mut terms = Vec::with_capacity(factors.len());
                for factor in factors {
                    let moments = Moments::of(factor.values).filter(|moments| moments.mean > 0.0)?;
                    log_ratio += f64::from(factor.power) * moments.mean.ln();
                    terms.push(Term::log_mean(&moments));
                }
                log_change(log_ratio, &terms, level)
            }
            Statistic::Percentile(percent) => {
                let probability = f64::from(percent) / 100.0;
                let result = bootstrap::ratio_of_quantiles(factors, probability, level, resampling)?;
                Some(Change {
                    subsample: result.subsampled.then_some(resampling.max_samples),
                    ..Change::new(result.ratio, result.lower, result.upper, result.p_value)
                })
            }
        }
    }

    /// The test behind the statistic, for the report's header: across `runs` when both sides
    /// have two or more, else over one run's samples.
    pub(crate) fn test_name(self, runs: Runs) -> String {
        if runs.base >= 2 && runs.new >= 2 {
            return format!(
                "Welch's t-test on the log of each run's {self} across runs ({} base, {} new)",
                runs.base, runs.new
            );
        }
        match self {
            Statistic::Mean => "Welch's t-test on the log of the means of the samples".to_owned(),
            Statistic::Percentile(_) => {
                "bootstrap of the ratio over the samples (seeded, repeatable)".to_owned()
            }
        }
    }
}

/// The change whose log is `log_ratio`, with Welch's test of it over `terms` and its interval at
/// `level`, back on the ratio's scale.
fn log_change(log_ratio: f64, terms: &[Term], level: f64) -> Option<Change> {
    let test = welch::test(log_ratio, terms)?;
    let (lower, upper) = test.interval(level);
    Some(Change::new(log_ratio.exp(), lower.exp(), upper.exp(), test.p_value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    #[test]
    fn statistics_parse_and_print_the_same_way() {
        for text in ["mean", "median", "p10", "p1", "p99"] {
            let statistic: Statistic = text.parse().unwrap();
            assert_eq!(statistic.to_string(), text);
        }
        assert_eq!("p50".parse::<Statistic>(), Ok(Statistic::Percentile(50)));
        for bad in ["p0", "p100", "10", "average", "p-5"] {
            let err = bad.parse::<Statistic>().unwrap_err();
            assert!(err.contains(bad) && err.contains("p10"), "{err}");
        }
    }

    /// Three runs of `samples` timings each, run `k` centred on `centres[k]`, tight within.
    fn runs_at(centres: &[f64], samples: usize) -> Vec<Vec<f64>> {
        centres
            .iter()
            .map(|centre| (0..samples).map(|i| centre * (1.0 + 0.01 * (i % 5) as f64)).collect())
            .collect()
    }

    fn test_pooled(statistic: Statistic, new: &[Vec<f64>], base: &[Vec<f64>], across_runs: bool) -> Change {
        let (new_values, base_values) = (new.concat(), base.concat());
        let new_runs: Vec<&[f64]> = new.iter().map(Vec::as_slice).collect();
        let base_runs: Vec<&[f64]> = base.iter().map(Vec::as_slice).collect();
        let (new_runs, base_runs): (&[&[f64]], &[&[f64]]) =
            if across_runs { (&new_runs, &base_runs) } else { (&[], &[]) };
        let factors = [
            Factor { values: &new_values, runs: new_runs, power: 1 },
            Factor { values: &base_values, runs: base_runs, power: -1 },
        ];
        statistic
            .test(&factors, 0.95, Resampling { resamples: 2_000, max_samples: usize::MAX, seed: 7 })
            .unwrap()
    }

    #[test]
    fn runs_that_disagree_among_themselves_are_noise_across_runs_but_not_over_samples() {
        // What the 2-core VM does: each run tight, whole runs apart by up to 70%.
        let base = runs_at(&[6.6, 3.8, 6.3], 20);
        let new = runs_at(&[5.4, 3.4, 3.3], 20);
        let p10 = Statistic::DEFAULT;
        let over_samples = test_pooled(p10, &new, &base, false);
        assert_eq!(super::super::judge(&over_samples, 0.05, 0.05), Verdict::Improved, "{over_samples:?}");
        let across_runs = test_pooled(p10, &new, &base, true);
        assert_eq!(super::super::judge(&across_runs, 0.05, 0.05), Verdict::Unchanged, "{across_runs:?}");
        assert!(across_runs.lower < 0.95 && across_runs.upper > 1.0, "{across_runs:?}");
    }

    #[test]
    fn a_shift_every_run_shows_is_found_across_runs() {
        let base = runs_at(&[311.0, 312.0, 311.5], 20);
        let slower = runs_at(&[374.6, 379.9, 375.3], 20);
        for statistic in [Statistic::DEFAULT, Statistic::Mean] {
            let change = test_pooled(statistic, &slower, &base, true);
            assert_eq!(
                super::super::judge(&change, 0.05, 0.05),
                Verdict::Regressed,
                "{statistic}: {change:?}"
            );
            assert!(change.lower > 1.15 && change.upper < 1.25, "{statistic}: {change:?}");
            // The estimate is the geometric mean of the runs' statistics, as the test compares.
            let runs: Vec<&[f64]> = slower.iter().map(Vec::as_slice).collect();
            let expected = runs.iter().map(|run| statistic.of(run).ln()).sum::<f64>() / 3.0;
            assert!((statistic.estimate(&slower.concat(), &runs).ln() - expected).abs() < 1e-12);
        }
        // One run a side: the samples' test, as before.
        let one: Vec<&[f64]> = vec![&base[0]];
        assert_eq!(Statistic::DEFAULT.estimate(&base[0], &one), Statistic::DEFAULT.of(&base[0]));
    }

    #[test]
    fn the_mean_test_is_welchs_on_the_log_of_the_ratio() {
        let base = [10.0, 11.0, 9.0, 10.5, 9.5];
        let new: Vec<f64> = base.iter().map(|value| value * 2.0).collect();
        let factors =
            [Factor { values: &new, runs: &[], power: 1 }, Factor { values: &base, runs: &[], power: -1 }];
        let change = Statistic::Mean
            .test(&factors, 0.95, Resampling { resamples: 0, max_samples: 0, seed: 0 })
            .unwrap();
        assert!((change.ratio - 2.0).abs() < 1e-12);
        assert!(change.lower < 2.0 && change.upper > 2.0 && change.p_value < 1e-6, "{change:?}");
        assert_eq!(Statistic::Mean.of(&base), 10.0);
        assert_eq!(Statistic::Percentile(50).of(&base), 10.0);
    }
}
