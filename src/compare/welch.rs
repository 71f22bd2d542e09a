//! Welch's t-test: a difference of estimates over its standard error, with the
//! Welch-Satterthwaite degrees of freedom.
//!
//! Written for any number of independent terms, not only two means, because the gate also tests
//! ratios of ratios (a speedup in one run against the speedup in another): on the log scale each
//! mean contributes one term, `ln m` with variance `s² / (n m²)` (the delta method) and `n - 1`
//! degrees of freedom. With two terms and raw means this is the textbook two-sample test.
//! Student's t distribution itself is `statrs`'s.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Student's t distribution with `df` degrees of freedom, standard location and scale; `None`
/// for degrees of freedom that are not a positive number.
fn students_t(df: f64) -> Option<StudentsT> {
    StudentsT::new(0.0, 1.0, df).ok()
}

/// The `p` quantile of Student's t with `df` degrees of freedom; NaN where it does not exist.
pub(crate) fn quantile(p: f64, df: f64) -> f64 {
    match students_t(df) {
        Some(t) if p > 0.0 && p < 1.0 => t.inverse_cdf(p),
        _ => f64::NAN,
    }
}

/// The two-sided p-value of `t`: `P(|T| >= |t|)`.
fn two_sided_p(t: f64, df: f64) -> f64 {
    match students_t(df) {
        Some(_) if t.is_infinite() => 0.0,
        // The upper tail, not 1 - cdf: small p-values keep their digits.
        Some(distribution) => (2.0 * distribution.sf(t.abs())).clamp(0.0, 1.0),
        None => f64::NAN,
    }
}

/// The upper tail `P(T >= t)` of Student's t with `df` degrees of freedom; NaN for degrees of
/// freedom that are not a positive number.
pub(crate) fn upper_tail(t: f64, df: f64) -> f64 {
    match students_t(df) {
        Some(_) if t == f64::INFINITY => 0.0,
        Some(_) if t == f64::NEG_INFINITY => 1.0,
        Some(distribution) => distribution.sf(t).clamp(0.0, 1.0),
        None => f64::NAN,
    }
}

/// One independent estimate's contribution to the difference under test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Term {
    /// The variance of the estimate (for a mean: `s² / n`).
    pub variance: f64,
    /// Its degrees of freedom (for a mean: `n - 1`).
    pub df: f64,
}

impl Term {
    /// The term of a sample mean: variance `s² / n`, `n - 1` degrees of freedom.
    pub fn mean(moments: &Moments) -> Self {
        Term { variance: moments.variance / moments.n as f64, df: moments.n as f64 - 1.0 }
    }

    /// The term of `ln(mean)`, by the delta method: variance `s² / (n m²)`.
    pub fn log_mean(moments: &Moments) -> Self {
        let mean = Term::mean(moments);
        Term { variance: mean.variance / (moments.mean * moments.mean), ..mean }
    }
}

/// The count, mean and (unbiased) variance of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    /// How many values.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample variance, with `n - 1` in the denominator.
    pub variance: f64,
}

impl Moments {
    /// The moments of `values`; `None` for fewer than two, or any value that is not finite.
    pub fn of(values: &[f64]) -> Option<Self> {
        if values.len() < 2 || !values.iter().all(|value| value.is_finite()) {
            return None;
        }
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let variance = values.iter().map(|value| (value - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Some(Moments { n, mean, variance })
    }
}

/// The outcome of a t-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TTest {
    /// The difference under test.
    pub difference: f64,
    /// Its standard error.
    pub standard_error: f64,
    /// `difference / standard_error`.
    pub t: f64,
    /// The Welch-Satterthwaite degrees of freedom.
    pub df: f64,
    /// The two-sided p-value.
    pub p_value: f64,
}

impl TTest {
    /// The two-sided confidence interval of the difference at `level` (0.95 for 95%).
    pub fn interval(&self, level: f64) -> (f64, f64) {
        if self.standard_error == 0.0 {
            return (self.difference, self.difference);
        }
        let half_width = quantile(0.5 + level / 2.0, self.df) * self.standard_error;
        (self.difference - half_width, self.difference + half_width)
    }
}

/// Welch's test of `difference` (a sum of the terms' estimates, with signs) against zero.
///
/// Without any variance the difference is exact: `p` is 1 when it is zero and 0 otherwise.
/// `None` when a term has no degree of freedom or a variance is negative or not finite.
pub fn test(difference: f64, terms: &[Term]) -> Option<TTest> {
    let valid = |term: &Term| term.df > 0.0 && term.variance.is_finite() && term.variance >= 0.0;
    if terms.is_empty() || !terms.iter().all(valid) || !difference.is_finite() {
        return None;
    }
    let variance: f64 = terms.iter().map(|term| term.variance).sum();
    let standard_error = variance.sqrt();
    if standard_error == 0.0 {
        let p_value = if difference == 0.0 { 1.0 } else { 0.0 };
        let df = terms.iter().map(|term| term.df).sum();
        let t = if difference == 0.0 { 0.0 } else { difference.signum() * f64::INFINITY };
        return Some(TTest { difference, standard_error, t, df, p_value });
    }
    let df =
        variance * variance / terms.iter().map(|term| term.variance * term.variance / term.df).sum::<f64>();
    let t = difference / standard_error;
    Some(TTest { difference, standard_error, t, df, p_value: two_sided_p(t, df) })
}

/// The textbook two-sample Welch test of `mean(a) - mean(b)`.
pub fn two_sample(a: &Moments, b: &Moments) -> Option<TTest> {
    test(a.mean - b.mean, &[Term::mean(a), Term::mean(b)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_samples_give_r_t_test_numbers() {
        // R: t.test(c(11,9,10,11,10,12,9,11,12,9), c(11,13,10,13,12,9,11,12,12,11))
        // t = -1.8325, df = 17.9, p-value = 0.08356, 95% CI -2.1469104 0.1469104.
        let a = Moments::of(&[11.0, 9.0, 10.0, 11.0, 10.0, 12.0, 9.0, 11.0, 12.0, 9.0]).unwrap();
        let b = Moments::of(&[11.0, 13.0, 10.0, 13.0, 12.0, 9.0, 11.0, 12.0, 12.0, 11.0]).unwrap();
        let test = two_sample(&a, &b).unwrap();
        assert!((test.t - -1.8325).abs() < 5e-5, "t = {}", test.t);
        assert!((test.df - 17.9).abs() < 0.05, "df = {}", test.df);
        assert!((test.p_value - 0.08356).abs() < 5e-6, "p = {}", test.p_value);
        let (low, high) = test.interval(0.95);
        assert!((low - -2.146_910_4).abs() < 1e-6 && (high - 0.146_910_4).abs() < 1e-6, "{low} {high}");
    }

    #[test]
    fn a_textbook_summary_gives_its_t_and_degrees_of_freedom() {
        // n = 20, mean 100, s = 15 against n = 20, mean 95, s = 20: t ≈ 0.894, df ≈ 35.2.
        let a = Moments { n: 20, mean: 100.0, variance: 225.0 };
        let b = Moments { n: 20, mean: 95.0, variance: 400.0 };
        let test = two_sample(&a, &b).unwrap();
        assert!((test.t - 0.894_427).abs() < 1e-5, "{}", test.t);
        assert!((test.df - 35.237).abs() < 0.001, "{}", test.df);
        assert!(test.p_value > 0.3 && test.p_value < 0.4, "{}", test.p_value);
    }

    #[test]
    fn t_quantiles_and_p_values_match_the_printed_tables() {
        // Two-sided 95% and 99% critical values, from any table of Student's t.
        for (p, df, expected) in [
            (0.975, 1.0, 12.706_204_736),
            (0.975, 10.0, 2.228_138_852),
            (0.975, 30.0, 2.042_272_456),
            (0.995, 30.0, 2.749_995_654),
            (0.95, 5.0, 2.015_048_373),
        ] {
            let got = quantile(p, df);
            assert!((got - expected).abs() < 1e-6, "t({p}, {df}) = {got}, expected {expected}");
            assert!((quantile(1.0 - p, df) + expected).abs() < 1e-6);
        }
        assert!((two_sided_p(2.228_138_852, 10.0) - 0.05).abs() < 1e-9);
        // df = 1 is the Cauchy distribution: P(|T| >= 1) = 1/2.
        assert!((two_sided_p(1.0, 1.0) - 0.5).abs() < 1e-12);
        assert_eq!(two_sided_p(f64::INFINITY, 3.0), 0.0);
        assert!(quantile(1.0, 3.0).is_nan() && quantile(0.5, f64::NAN).is_nan());
        assert!(two_sided_p(1.0, 0.0).is_nan());
    }

    #[test]
    fn identical_samples_are_not_different_and_exact_values_are_exact() {
        let a = Moments::of(&[3.0, 4.0, 5.0]).unwrap();
        let same = two_sample(&a, &a).unwrap();
        assert_eq!((same.t, same.p_value), (0.0, 1.0));
        let flat = Moments::of(&[2.0, 2.0]).unwrap();
        let other = Moments::of(&[3.0, 3.0]).unwrap();
        assert_eq!(two_sample(&flat, &flat).unwrap().p_value, 1.0);
        assert_eq!(two_sample(&flat, &other).unwrap().p_value, 0.0);
        assert!(Moments::of(&[1.0]).is_none() && Moments::of(&[1.0, f64::NAN]).is_none());
    }
}
