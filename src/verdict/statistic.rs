//! The statistic `compare` judges (the config file's `statistic`); how it is estimated and
//! tested is `compare`'s (`compare/statistic.rs`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
