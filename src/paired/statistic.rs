//! The statistic of one benchmark: paired log ratios, summarized round by round.
//!
//! A *pair* is a base slot and a head slot timed back to back (in alternating order), and its
//! value `ln(head / base)` of the two times per iteration: whatever the machine did to both
//! slots cancels. A *round* is a fresh base process and a fresh head process and the pairs timed
//! on them; its value is the interquartile mean of its pairs' log ratios (a quarter trimmed from
//! each end), so one slot that another program spoiled moves it little.
//!
//! The rounds, not the pairs, are the unit that repeats: each process has an offset of its own
//! (where its memory landed, how its threads were placed) that pairing cannot cancel, because
//! every pair of a round shares it. So the estimate is the mean of the round values, its standard
//! error their standard deviation over `√rounds`, with `rounds − 1` degrees of freedom
//! (Student's t): a per-process offset widens the interval instead of passing for a change.

use serde::Serialize;

use crate::compare::welch::{Moments, quantile, upper_tail};

/// A round's value: the interquartile mean of its pairs' log ratios; `None` without a pair or
/// with a value that is not finite.
pub(crate) fn round_value(log_ratios: &[f64]) -> Option<f64> {
    if log_ratios.is_empty() || !log_ratios.iter().all(|value| value.is_finite()) {
        return None;
    }
    let mut sorted = log_ratios.to_vec();
    sorted.sort_by(f64::total_cmp);
    let trim = sorted.len() / 4;
    let kept = &sorted[trim..sorted.len() - trim];
    Some(kept.iter().sum::<f64>() / kept.len() as f64)
}

/// The change of one benchmark estimated from its rounds, on the log scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// The mean of the round values: `ln(head / base)`.
    pub log_ratio: f64,
    /// Its standard error: the round values' standard deviation over `√rounds`.
    pub standard_error: f64,
    /// `rounds − 1`.
    pub df: f64,
    /// How many rounds.
    pub rounds: usize,
}

impl Estimate {
    /// The estimate from round values; `None` for fewer than two rounds, which cannot measure
    /// the spread between processes.
    pub fn of(round_values: &[f64]) -> Option<Estimate> {
        let moments = Moments::of(round_values)?;
        Some(Estimate {
            log_ratio: moments.mean,
            standard_error: (moments.variance / moments.n as f64).sqrt(),
            df: (moments.n - 1) as f64,
            rounds: moments.n,
        })
    }

    /// head / base: 1.05 is 5% slower.
    pub fn ratio(&self) -> f64 {
        self.log_ratio.exp()
    }

    /// The two-sided interval of head / base at `level` (0.95 for 95%).
    pub fn interval(&self, level: f64) -> (f64, f64) {
        let half = quantile(0.5 + level / 2.0, self.df) * self.standard_error;
        if self.standard_error == 0.0 {
            return (self.ratio(), self.ratio());
        }
        ((self.log_ratio - half).exp(), (self.log_ratio + half).exp())
    }

    /// The two-sided p-value of "the change is within `±margin`" (on the log scale): small when
    /// the change is clearly beyond the margin, either way.
    pub fn p_changed(&self, margin: f64) -> f64 {
        let slower = self.tail((self.log_ratio - margin) / self.standard_error);
        let faster = self.tail((-self.log_ratio - margin) / self.standard_error);
        (2.0 * slower.min(faster)).min(1.0)
    }

    /// The p-value of "the change is beyond `±margin`" by two one-sided tests: small when the
    /// change is clearly within the margin.
    pub fn p_equivalent(&self, margin: f64) -> f64 {
        // "Above −margin" against "at or below it", and "below +margin" against "at or above it".
        let above_lower = self.tail((self.log_ratio + margin) / self.standard_error);
        let below_upper = self.tail((margin - self.log_ratio) / self.standard_error);
        above_lower.max(below_upper)
    }

    /// The smallest change, as a log ratio, that this estimate's spread lets a test at one-sided
    /// level `alpha` tell from the margin half the time: `margin + t(1 − alpha) × standard error`.
    pub fn detectable(&self, margin: f64, alpha: f64) -> f64 {
        margin + quantile(1.0 - alpha, self.df) * self.standard_error
    }

    /// `P(T >= t)`; a spread of zero makes the estimate exact.
    fn tail(&self, t: f64) -> f64 {
        if t.is_nan() {
            // 0 / 0: the estimate sits exactly on the bound.
            return 0.5;
        }
        upper_tail(t, self.df)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A standard normal draw (Box-Muller) from a seeded generator: synthetic data, never timing.
    pub(crate) fn normal(rng: &mut fastrand::Rng) -> f64 {
        let u = rng.f64().max(f64::MIN_POSITIVE);
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * rng.f64()).cos()
    }

    #[test]
    fn a_round_is_the_interquartile_mean_of_its_pairs() {
        assert_eq!(round_value(&[0.01, 0.02, 0.03, 5.0]), Some(0.025));
        assert_eq!(round_value(&[0.01, 0.03]), Some(0.02));
        assert_eq!(round_value(&[]), None);
        assert_eq!(round_value(&[0.1, f64::NAN]), None);
    }

    #[test]
    fn rounds_give_the_t_interval_of_their_mean() {
        // R: t.test(c(0.01, 0.03, 0.02, 0.04)): mean 0.025, 95% CI -0.0000 .. 0.0455 (df 3).
        let estimate = Estimate::of(&[0.01, 0.03, 0.02, 0.04]).expect("four rounds");
        assert_eq!((estimate.rounds, estimate.df), (4, 3.0));
        assert!((estimate.log_ratio - 0.025).abs() < 1e-12);
        let (lower, upper) = estimate.interval(0.95);
        assert!((lower.ln() - 0.004_457_4).abs() < 1e-6, "{}", lower.ln());
        assert!((upper.ln() - 0.045_542_6).abs() < 1e-6, "{}", upper.ln());
        assert!(Estimate::of(&[0.01]).is_none());
    }

    #[test]
    fn a_clear_change_beyond_the_margin_has_a_small_p_and_a_change_within_it_a_large_one() {
        let margin = 1.02f64.ln();
        let slower = Estimate::of(&[0.049, 0.051, 0.050, 0.048, 0.052]).expect("rounds");
        assert!(slower.p_changed(margin) < 1e-4, "{}", slower.p_changed(margin));
        assert!(slower.p_equivalent(margin) > 0.99);
        let faster = Estimate { log_ratio: -slower.log_ratio, ..slower };
        assert!((faster.p_changed(margin) - slower.p_changed(margin)).abs() < 1e-15);
        let same = Estimate::of(&[0.001, -0.002, 0.0, 0.002, -0.001]).expect("rounds");
        assert!(same.p_changed(margin) > 0.5 && same.p_equivalent(margin) < 1e-3);
        // A change exactly at the margin is a coin toss for both questions.
        let edge = Estimate { log_ratio: margin, ..same };
        assert!((edge.p_changed(margin) - 1.0).abs() < 1e-12 && edge.p_equivalent(margin) >= 0.5);
    }

    #[test]
    fn an_exact_estimate_is_certain_either_way() {
        let margin = 0.02;
        let changed = Estimate { log_ratio: 0.05, standard_error: 0.0, df: 4.0, rounds: 5 };
        assert_eq!((changed.p_changed(margin), changed.p_equivalent(margin)), (0.0, 1.0));
        let unchanged = Estimate { log_ratio: 0.0, ..changed };
        assert_eq!((unchanged.p_changed(margin), unchanged.p_equivalent(margin)), (1.0, 0.0));
        assert_eq!(unchanged.interval(0.95), (1.0, 1.0));
    }

    #[test]
    fn p_values_under_no_change_are_uniform_enough_that_a_level_holds() {
        // 4,000 synthetic benchmarks with no change at the margin's edge: the share whose
        // p_changed falls below 0.05 is about 5%, never far above.
        let mut rng = fastrand::Rng::with_seed(7);
        let margin = 0.0;
        let mut below = 0;
        for _ in 0..4_000 {
            let rounds: Vec<f64> = (0..5).map(|_| 0.01 * normal(&mut rng)).collect();
            if Estimate::of(&rounds).expect("rounds").p_changed(margin) < 0.05 {
                below += 1;
            }
        }
        assert!((120..=280).contains(&below), "{below} of 4000 below 0.05");
    }

    #[test]
    fn a_process_offset_widens_the_interval_instead_of_passing_for_a_change() {
        // Each round's processes carry an offset of sd 2% that its 16 pairs share. Pairs taken as
        // independent (sd 0.5% each) understate the spread of the mean fourfold and call about
        // half of these unchanged benchmarks changed at the 1% level; the rounds' t-test, 1%.
        let mut rng = fastrand::Rng::with_seed(11);
        let margin = 0.0;
        let mut flagged_by_rounds = 0;
        let mut flagged_by_pairs = 0;
        for _ in 0..500 {
            let rounds: Vec<Vec<f64>> = (0..4)
                .map(|_| {
                    let offset = 0.02 * normal(&mut rng);
                    (0..16).map(|_| offset + 0.005 * normal(&mut rng)).collect()
                })
                .collect();
            let values: Vec<f64> = rounds.iter().filter_map(|round| round_value(round)).collect();
            if Estimate::of(&values).expect("rounds").p_changed(margin) < 0.01 {
                flagged_by_rounds += 1;
            }
            let pairs: Vec<f64> = rounds.concat();
            let as_if_independent = Estimate::of(&pairs).expect("pairs");
            if as_if_independent.p_changed(margin) < 0.01 {
                flagged_by_pairs += 1;
            }
        }
        assert!(flagged_by_rounds <= 15, "{flagged_by_rounds} of 500 flagged by rounds");
        assert!(flagged_by_pairs > 150, "{flagged_by_pairs} of 500 flagged by pairs");
    }

    #[test]
    fn the_detectable_change_shrinks_with_the_spread() {
        let margin = 0.01;
        let tight = Estimate { log_ratio: 0.0, standard_error: 0.001, df: 9.0, rounds: 10 };
        let loose = Estimate { standard_error: 0.01, ..tight };
        assert!(tight.detectable(margin, 0.001) < loose.detectable(margin, 0.001));
        assert!(tight.detectable(margin, 0.001) > margin);
    }
}
