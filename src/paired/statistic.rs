//! The statistic of paired measurements: log ratios, summarized round by round.
//!
//! Two uses, one engine. The gate's *round* is a fresh base process and a fresh head process and
//! several pairs timed on them (`round_value` summarizes a round's pairs, [`Estimate::of`] the
//! rounds: a mean and Student's t, which its calibration was measured with). The sweep's round is
//! one slot of every configuration of a group in a random order, so each round gives one log
//! ratio per configuration against Sequential. A VM that gives one core's worth of time to two
//! vCPUs for a few tens of milliseconds halves a pool's slot in a quarter of the rounds or more
//! (measured on this project's machine: `reports/README.md`, "Paired rounds"), so the sweep
//! summarizes its rounds by their [`Median`], with the distribution-free interval of order
//! statistics: half the rounds may be spoiled before it moves.
//!
//! The gate's rounds in detail:
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

/// The median of per-round log ratios, with its distribution-free interval: the order statistics
/// `x(k)` and `x(n−k+1)` for the largest `k` whose binomial tail `P(Bin(n, ½) < k)` is at most
/// half of `1 − level`. It assumes nothing of the ratios' distribution but that rounds are
/// independent, so a share of rounds the machine spoiled widens it rather than moving it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Median {
    /// The median log ratio.
    pub log_ratio: f64,
    /// The interval's lower bound, log scale.
    pub lower: f64,
    /// Its upper bound.
    pub upper: f64,
    /// Rounds it rests on.
    pub rounds: usize,
}

/// The level of the sweep's intervals.
pub const MEDIAN_LEVEL: f64 = 0.95;

/// The fewest rounds an epoch needs for its median to count in [`Median::of_epochs`]: fewer say
/// more about the rounds than about the pool start.
pub const MIN_EPOCH_ROUNDS: usize = 3;

impl Median {
    /// The median of `values` and its interval at [`MEDIAN_LEVEL`]; `None` for no values or one
    /// that is not finite. With fewer than six values no pair of order statistics reaches 95%:
    /// the interval is then the whole range.
    pub fn of(values: &[f64]) -> Option<Median> {
        if values.is_empty() || !values.iter().all(|value| value.is_finite()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let middle = middle(&sorted)?;
        let k = order_statistic(n, (1.0 - MEDIAN_LEVEL) / 2.0);
        let (lower, upper) = if k == 0 { (sorted[0], sorted[n - 1]) } else { (sorted[k - 1], sorted[n - k]) };
        Some(Median { log_ratio: middle, lower, upper, rounds: n })
    }

    /// The median of `values` (each with its epoch) and an interval that holds both the order
    /// statistics' interval of [`of`](Self::of) and Student's t interval (at [`MEDIAN_LEVEL`]) of
    /// the mean of the epochs' own medians, when at least two epochs have
    /// [`MIN_EPOCH_ROUNDS`] values each.
    ///
    /// Why: an epoch is the same configurations on freshly started pools, and each start carries
    /// an offset of its own for its whole life (where its threads and processes landed) that
    /// pairing within a round cannot cancel, as every round of the epoch shares it: the gate's
    /// per-process offset, in the sweep. On this project's VM five runs of `pools/cpu-spin`
    /// moved a size-2 pool's speedup by 10-13% between runs while each run's order-statistic
    /// interval was about ±1% (`reports/README.md`, "Paired rounds"); the spread between a run's
    /// epochs is the part of that a run can see.
    pub fn of_epochs(values: &[(u32, f64)]) -> Option<Median> {
        let all: Vec<f64> = values.iter().map(|&(_, value)| value).collect();
        let mut median = Median::of(&all)?;
        let mut by_epoch: std::collections::BTreeMap<u32, Vec<f64>> = std::collections::BTreeMap::new();
        for &(epoch, value) in values {
            by_epoch.entry(epoch).or_default().push(value);
        }
        let medians: Vec<f64> = by_epoch
            .values()
            .filter(|of_epoch| of_epoch.len() >= MIN_EPOCH_ROUNDS)
            .filter_map(|of_epoch| Median::of(of_epoch))
            .map(|median| median.log_ratio)
            .collect();
        // The starts as the gate's rounds: a mean and Student's t over them (`None` below two).
        if let Some(starts) = Estimate::of(&medians) {
            let (lower, upper) = starts.interval(MEDIAN_LEVEL);
            if lower.is_finite() && upper.is_finite() {
                median.lower = median.lower.min(lower.ln());
                median.upper = median.upper.max(upper.ln());
            }
        }
        Some(median)
    }

    /// The ratio: `exp` of the median log ratio.
    pub fn ratio(&self) -> f64 {
        self.log_ratio.exp()
    }

    /// The interval as ratios.
    pub fn interval(&self) -> (f64, f64) {
        (self.lower.exp(), self.upper.exp())
    }

    /// The interval's larger distance from the median, log scale: how well it is known.
    pub fn half_width(&self) -> f64 {
        (self.log_ratio - self.lower).max(self.upper - self.log_ratio)
    }
}

/// The median of `sorted` (ascending): its middle value, or the mean of the middle two for an
/// even count; `None` when it is empty.
pub(crate) fn middle(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The largest `k` (1-based) with `P(Bin(n, ½) ≤ k − 1) ≤ tail`; 0 when even `k = 1` is too
/// likely.
fn order_statistic(n: usize, tail: f64) -> usize {
    // P(B = j) = C(n, j) / 2^n, summed in logs so that n in the hundreds does not overflow.
    let ln_half_n = n as f64 * 0.5f64.ln();
    let mut ln_choose = 0.0; // ln C(n, 0)
    let mut cumulative = 0.0;
    let mut k = 0;
    for j in 0..n {
        cumulative += (ln_choose + ln_half_n).exp();
        if cumulative > tail {
            break;
        }
        k = j + 1;
        ln_choose += ((n - j) as f64).ln() - ((j + 1) as f64).ln();
    }
    k
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
    fn the_median_interval_is_the_binomial_order_statistics() {
        // n = 10: P(B <= 1) = 11/1024 = 0.0107 <= 0.025 < P(B <= 2) = 0.0547, so k = 2: the
        // interval is x(2) .. x(9) (the textbook 97.9% interval for n = 10).
        assert_eq!(order_statistic(10, 0.025), 2);
        // n = 100: k = 40, x(40) .. x(61) (the usual table).
        assert_eq!(order_statistic(100, 0.025), 40);
        assert_eq!(order_statistic(5, 0.025), 0);
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let median = Median::of(&values).expect("ten values");
        assert_eq!((median.log_ratio, median.lower, median.upper, median.rounds), (5.5, 2.0, 9.0, 10));
        assert_eq!(
            Median::of(&[3.0, 1.0, 2.0]).map(|m| (m.log_ratio, m.lower, m.upper)),
            Some((2.0, 1.0, 3.0))
        );
        assert!(Median::of(&[]).is_none() && Median::of(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn pool_starts_that_disagree_widen_the_interval_and_ones_that_agree_do_not() {
        // Four epochs of 30 rounds, a little noise; each start offset by its own 0 to +15%.
        let mut rng = fastrand::Rng::with_seed(11);
        let rounds = |offset: &dyn Fn(u32) -> f64, rng: &mut fastrand::Rng| -> Vec<(u32, f64)> {
            (0..120u32).map(|round| (round / 30, 0.005 * normal(rng) + offset(round / 30))).collect()
        };
        let agree = rounds(&|_| 0.0, &mut rng);
        let one_start =
            Median::of(&agree.iter().map(|&(_, value)| value).collect::<Vec<_>>()).expect("rounds");
        let starts = Median::of_epochs(&agree).expect("rounds");
        assert_eq!(starts.log_ratio, one_start.log_ratio);
        assert!(
            starts.half_width() < 0.01,
            "{starts:?}: starts that agree leave the interval about as it was"
        );

        let disagree = rounds(&|epoch| 0.05 * f64::from(epoch), &mut rng);
        let within =
            Median::of(&disagree.iter().map(|&(_, value)| value).collect::<Vec<_>>()).expect("rounds");
        let across = Median::of_epochs(&disagree).expect("rounds");
        assert!(within.lower > 0.02 && within.upper < 0.13, "{within:?}: the rounds alone look sure");
        assert!(
            across.lower < 0.0 && across.upper > 0.15,
            "{across:?}: the starts' spread is in the interval"
        );
        assert_eq!(across.log_ratio, within.log_ratio, "the point stays the median of the rounds");

        // Epochs too thin to have a median of their own leave the interval as the rounds give it.
        let thin: Vec<(u32, f64)> =
            disagree.iter().map(|&(_, value)| value).enumerate().map(|(i, v)| (i as u32, v)).collect();
        assert_eq!(Median::of_epochs(&thin), Some(within));
    }

    #[test]
    fn a_third_of_spoiled_rounds_does_not_move_the_median() {
        // 60 rounds at a speedup of 1.9 with a little noise; 20 of them halved by the machine.
        let mut rng = fastrand::Rng::with_seed(5);
        let values: Vec<f64> = (0..60)
            .map(|round| {
                let spoiled = if round % 3 == 0 { 2.0f64.ln() } else { 0.0 };
                1.9f64.ln() + 0.01 * normal(&mut rng) - spoiled
            })
            .collect();
        let median = Median::of(&values).expect("rounds");
        assert!((median.ratio() - 1.9).abs() < 0.03, "{}", median.ratio());
        let mean = Estimate::of(&values).expect("rounds").ratio();
        assert!(mean < 1.65, "a mean would say {mean}");
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
