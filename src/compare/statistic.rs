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

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Change;
use super::bootstrap::{self, Factor};
use super::welch::{self, Moments, Term};

/// The estimate of a benchmark's time that the gate compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statistic {
    /// The mean, tested by Welch's t-test.
    Mean,
    /// A percentile, 1 to 99 (50 is the median), tested by a bootstrap.
    Percentile(u8),
}

impl Statistic {
    /// The default: the 10th percentile.
    pub const DEFAULT: Statistic = Statistic::Percentile(10);

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

    /// Tests the product of the factors' statistics (each to its power) against 1, with an
    /// interval at `level`; bootstraps use `resamples` resamples seeded with `seed`.
    ///
    /// `None` when a factor has fewer than two samples or one that is not positive and finite.
    pub(crate) fn test(
        self,
        factors: &[Factor<'_>],
        level: f64,
        resamples: usize,
        seed: u64,
    ) -> Option<Change> {
        match self {
            Statistic::Mean => {
                let mut log_ratio = 0.0;
                let mut terms = Vec::with_capacity(factors.len());
                for factor in factors {
                    let moments = Moments::of(factor.values).filter(|moments| moments.mean > 0.0)?;
                    log_ratio += f64::from(factor.power) * moments.mean.ln();
                    terms.push(Term::log_mean(&moments));
                }
                let test = welch::test(log_ratio, &terms)?;
                let (lower, upper) = test.interval(level);
                Some(Change {
                    ratio: log_ratio.exp(),
                    lower: lower.exp(),
                    upper: upper.exp(),
                    p_value: test.p_value,
                })
            }
            Statistic::Percentile(percent) => {
                let probability = f64::from(percent) / 100.0;
                let result = bootstrap::ratio_of_quantiles(factors, probability, level, resamples, seed)?;
                Some(Change {
                    ratio: result.ratio,
                    lower: result.lower,
                    upper: result.upper,
                    p_value: result.p_value,
                })
            }
        }
    }

    /// The test behind the statistic, for the report's header.
    pub fn test_name(self) -> &'static str {
        match self {
            Statistic::Mean => "Welch's t-test on the log of the means",
            Statistic::Percentile(_) => "bootstrap of the ratio (seeded, repeatable)",
        }
    }
}

impl Default for Statistic {
    fn default() -> Self {
        Statistic::DEFAULT
    }
}

impl fmt::Display for Statistic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Statistic::Mean => f.write_str("mean"),
            Statistic::Percentile(50) => f.write_str("median"),
            Statistic::Percentile(percent) => write!(f, "p{percent}"),
        }
    }
}

impl FromStr for Statistic {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "`{text}` is not a statistic; use mean, median, or a percentile from p1 to p99 (e.g. p10)"
            )
        };
        match text.trim() {
            "mean" => Ok(Statistic::Mean),
            "median" => Ok(Statistic::Percentile(50)),
            other => {
                let percent: u8 =
                    other.strip_prefix('p').and_then(|digits| digits.parse().ok()).ok_or_else(bad)?;
                if (1..=99).contains(&percent) { Ok(Statistic::Percentile(percent)) } else { Err(bad()) }
            }
        }
    }
}

impl Serialize for Statistic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Statistic {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn the_mean_test_is_welchs_on_the_log_of_the_ratio() {
        let base = [10.0, 11.0, 9.0, 10.5, 9.5];
        let new: Vec<f64> = base.iter().map(|value| value * 2.0).collect();
        let factors = [Factor { values: &new, power: 1 }, Factor { values: &base, power: -1 }];
        let change = Statistic::Mean.test(&factors, 0.95, 0, 0).unwrap();
        assert!((change.ratio - 2.0).abs() < 1e-12);
        assert!(change.lower < 2.0 && change.upper > 2.0 && change.p_value < 1e-6, "{change:?}");
        assert_eq!(Statistic::Mean.of(&base), 10.0);
        assert_eq!(Statistic::Percentile(50).of(&base), 10.0);
    }
}
