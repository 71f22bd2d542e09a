//! A deterministic bootstrap of a ratio of sample quantiles.
//!
//! The quantity under test is a product of quantiles of independent samples, each raised to +1
//! or -1: `q(new) / q(base)` for a time, or `(q(new) / q(new reference)) / (q(base) / q(base
//! reference))` for a time relative to a reference measured in the same run. Each resample draws
//! every sample anew, with replacement, and computes the ratio again; the interval is the
//! percentile interval of those ratios, and the p-value the two-sided share of them on the far
//! side of 1 (no change).
//!
//! The work is bounded: each resample draws as many values as the sample has, so a side with more
//! than a cap (`compare::MAX_BOOTSTRAP_SAMPLES`) is resampled from its evenly spaced subsample of
//! that many (`subsample.rs`), and the result says so. The ratio itself is always of all the
//! values; only its interval and p-value come from the subsample, and are the wider for it.
//!
//! The generator is seeded from the benchmark's id, so a comparison gives the same verdict every
//! time it is run on the same files, and one benchmark's draws do not depend on which others
//! are compared.

use std::borrow::Cow;

/// One sample and the power it enters the ratio with.
#[derive(Debug, Clone, Copy)]
pub struct Factor<'a> {
    /// The sample's values, all positive and finite.
    pub values: &'a [f64],
    /// The same values split by the run that measured them, when several runs were pooled;
    /// empty, or one slice, for one run. The bootstrap reads `values` only.
    pub runs: &'a [&'a [f64]],
    /// `1` in the numerator, `-1` in the denominator.
    pub power: i32,
}

/// How a bootstrap resamples: how many times, from at most how many values of each factor, and
/// from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resampling {
    /// Resamples drawn.
    pub resamples: usize,
    /// A factor with more values is resampled from this many, evenly spaced.
    pub max_samples: usize,
    /// The generator's seed ([`seed_for`] the benchmark's id).
    pub seed: u64,
}

/// A bootstrapped ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bootstrapped {
    /// The ratio of the samples' own quantiles.
    pub ratio: f64,
    /// The lower bound of the percentile interval.
    pub lower: f64,
    /// The upper bound.
    pub upper: f64,
    /// The two-sided p-value of "the ratio is 1".
    pub p_value: f64,
    /// Whether a factor had more values than the cap, and was resampled from its subsample.
    pub subsampled: bool,
}

/// The `probability` quantile of `sorted` (ascending), interpolating linearly between order
/// statistics (Hyndman and Fan's type 7, the default of R and NumPy).
pub fn quantile_of_sorted(sorted: &[f64], probability: f64) -> f64 {
    let position = probability.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    // `position` is within 0..len: the casts cannot truncate anything but the fraction.
    let below = position.floor() as usize;
    let above = (below + 1).min(sorted.len() - 1);
    sorted[below] + (sorted[above] - sorted[below]) * (position - below as f64)
}

/// The `probability` quantile of `values` without sorting all of them: two selections.
fn quantile_unsorted(values: &mut [f64], probability: f64) -> f64 {
    let position = probability.clamp(0.0, 1.0) * (values.len() - 1) as f64;
    let below = position.floor() as usize;
    let (_, &mut low, rest) = values.select_nth_unstable_by(below, f64::total_cmp);
    let high = rest.iter().copied().fold(f64::INFINITY, f64::min);
    if rest.is_empty() { low } else { low + (high - low) * (position - below as f64) }
}

/// Bootstraps the product of the factors' `probability` quantiles, with an interval at `level`,
/// as `resampling` says; a factor with more than its `max_samples` values is resampled from that
/// many evenly spaced ones.
///
/// `None` when a factor has fewer than two values or one that is not positive and finite (a
/// ratio of such quantiles means nothing), when there are no resamples, or when `max_samples` is
/// below 2.
pub fn ratio_of_quantiles(
    factors: &[Factor<'_>],
    probability: f64,
    level: f64,
    resampling: Resampling,
) -> Option<Bootstrapped> {
    let Resampling { resamples, max_samples, seed } = resampling;
    let usable = |factor: &Factor<'_>| {
        factor.values.len() >= 2 && factor.values.iter().all(|value| value.is_finite() && *value > 0.0)
    };
    if factors.is_empty() || resamples == 0 || max_samples < 2 || !factors.iter().all(usable) {
        return None;
    }
    let point: f64 = factors
        .iter()
        .map(|factor| {
            let mut sorted = factor.values.to_vec();
            sorted.sort_by(f64::total_cmp);
            f64::from(factor.power) * quantile_of_sorted(&sorted, probability).ln()
        })
        .sum();
    let capped: Vec<Cow<'_, [f64]>> =
        factors.iter().map(|factor| crate::subsample::evenly_spaced(factor.values, max_samples)).collect();
    let subsampled = capped.iter().any(|values| matches!(values, Cow::Owned(_)));
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut scratch = Vec::new();
    let mut draws: Vec<f64> = (0..resamples)
        .map(|_| {
            factors
                .iter()
                .zip(&capped)
                .map(|(factor, values)| {
                    scratch.clear();
                    scratch.extend((0..values.len()).map(|_| values[rng.usize(..values.len())]));
                    f64::from(factor.power) * quantile_unsorted(&mut scratch, probability).ln()
                })
                .sum::<f64>()
        })
        .collect();
    draws.sort_by(f64::total_cmp);
    let tail = (1.0 - level) / 2.0;
    let at_or_below = draws.partition_point(|draw| *draw <= 0.0);
    let at_or_above = draws.len() - draws.partition_point(|draw| *draw < 0.0);
    // The +1s keep a Monte Carlo p-value from claiming 0 (Davison and Hinkley, 1997, §4.2).
    let p_value = (2.0 * (at_or_below.min(at_or_above) + 1) as f64 / (resamples + 1) as f64).min(1.0);
    Some(Bootstrapped {
        ratio: point.exp(),
        lower: quantile_of_sorted(&draws, tail).exp(),
        upper: quantile_of_sorted(&draws, 1.0 - tail).exp(),
        p_value,
        subsampled,
    })
}

/// A stable seed for `id` (64-bit FNV-1a): the same on every platform and in every release.
pub fn seed_for(id: &str) -> u64 {
    id.bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(resamples: usize, seed: u64) -> Resampling {
        Resampling { resamples, max_samples: usize::MAX, seed }
    }

    fn spread(center: f64, n: usize) -> Vec<f64> {
        // Deterministic, skewed like timings: a floor and a tail.
        (0..n).map(|i| center * (1.0 + 0.02 * ((i * 7 % n) as f64 / n as f64).powi(3))).collect()
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let sorted = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_of_sorted(&sorted, 0.5), 3.0);
        assert_eq!(quantile_of_sorted(&sorted, 0.1), 1.4);
        assert_eq!(quantile_of_sorted(&sorted, 1.0), 5.0);
        let mut shuffled = [4.0, 1.0, 5.0, 3.0, 2.0];
        assert_eq!(quantile_unsorted(&mut shuffled, 0.1), 1.4);
        assert_eq!(quantile_unsorted(&mut [7.0, 7.5], 1.0), 7.5);
    }

    #[test]
    fn the_same_sample_twice_is_no_change_and_a_shift_is_found() {
        let base = spread(100.0, 100);
        let same =
            [Factor { values: &base, runs: &[], power: 1 }, Factor { values: &base, runs: &[], power: -1 }];
        let result = ratio_of_quantiles(&same, 0.1, 0.95, at(2_000, 1)).unwrap();
        assert_eq!(result.ratio, 1.0);
        assert!(result.lower <= 1.0 && result.upper >= 1.0 && result.p_value > 0.5, "{result:?}");

        let slower: Vec<f64> = base.iter().map(|value| value * 1.2).collect();
        let shifted =
            [Factor { values: &slower, runs: &[], power: 1 }, Factor { values: &base, runs: &[], power: -1 }];
        let result = ratio_of_quantiles(&shifted, 0.1, 0.95, at(2_000, 1)).unwrap();
        assert!((result.ratio - 1.2).abs() < 1e-12, "{result:?}");
        assert!(result.lower > 1.15 && result.upper < 1.25 && result.p_value < 0.001, "{result:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_answer_and_bad_samples_give_none() {
        let a = spread(10.0, 30);
        let b = spread(11.0, 30);
        let factors =
            [Factor { values: &b, runs: &[], power: 1 }, Factor { values: &a, runs: &[], power: -1 }];
        let first = ratio_of_quantiles(&factors, 0.5, 0.95, at(500, seed_for("x/y/1")));
        assert_eq!(first, ratio_of_quantiles(&factors, 0.5, 0.95, at(500, seed_for("x/y/1"))));
        assert_ne!(seed_for("x/y/1"), seed_for("x/y/2"));
        assert_eq!(seed_for(""), 0xcbf2_9ce4_8422_2325);
        let zero = [0.0, 1.0];
        assert!(
            ratio_of_quantiles(&[Factor { values: &zero, runs: &[], power: 1 }], 0.5, 0.95, at(10, 0))
                .is_none()
        );
        assert!(
            ratio_of_quantiles(&[Factor { values: &[1.0], runs: &[], power: 1 }], 0.5, 0.95, at(10, 0))
                .is_none()
        );
        assert!(ratio_of_quantiles(&factors, 0.5, 0.95, at(0, 0)).is_none());
    }
}
