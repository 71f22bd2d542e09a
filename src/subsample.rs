//! The one way poolbench bounds the work a large sample costs: an evenly spaced subsample.
//!
//! Sample `i * n / cap` for `i` in `0..cap`: the first sample, then evenly over the run to near its
//! end. It depends only on `n` and `cap`, so the same file always gives the same subsample and the
//! same verdict, and it keeps the run's spread in time (a run that slowed down halfway is still
//! half slow) and, for Criterion's linear sampling, its spread of iteration counts. The report
//! uses it to bound what it copies into `summary.json` (`report::MAX_REPORTED_SAMPLES`), the gate
//! to bound what its bootstrap resamples (`compare::MAX_BOOTSTRAP_SAMPLES`).

use std::borrow::Cow;

/// `values` when there are at most `cap` of them, else the `cap` evenly spaced ones.
pub(crate) fn evenly_spaced(values: &[f64], cap: usize) -> Cow<'_, [f64]> {
    if values.len() <= cap {
        return Cow::Borrowed(values);
    }
    // i < cap < len, so i * len / cap < len; u128 keeps the product from overflowing.
    let pick = |i: usize| values[(i as u128 * values.len() as u128 / cap as u128) as usize];
    Cow::Owned((0..cap).map(pick).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subsample_starts_at_the_first_sample_and_spreads_evenly_over_the_run() {
        let values: Vec<f64> = (0..10).map(f64::from).collect();
        assert_eq!(*evenly_spaced(&values, 4), [0.0, 2.0, 5.0, 7.0]);
        assert_eq!(*evenly_spaced(&values, 1), [0.0]);
        assert!(matches!(evenly_spaced(&values, 10), Cow::Borrowed(_)));
        assert!(evenly_spaced(&values, 0).is_empty());
        let many: Vec<f64> = (0..1_000_003).map(f64::from).collect();
        let subsample = evenly_spaced(&many, 1_000);
        assert_eq!((subsample.len(), subsample[0], subsample[999]), (1_000, 0.0, 999_002.0));
    }
}
