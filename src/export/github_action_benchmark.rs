//! github-action-benchmark's `customSmallerIsBetter` input: an array of `{name, unit, value,
//! range, extra}` (<https://github.com/benchmark-action/github-action-benchmark>). `range` is
//! free text the action shows beside the value; it gets the half-width of the median's interval,
//! written as the action's own Rust parsers write it (`± 1234`).

use serde_json::{Value, json};

use super::{Exporter, named_rows};
use crate::format::{duration_ns, significant};
use crate::schema::Summary;

/// Writes `customSmallerIsBetter` JSON.
pub(super) struct GithubActionBenchmarkExporter;

impl Exporter for GithubActionBenchmarkExporter {
    fn export(&self, summary: &Summary) -> Value {
        let entries: Vec<Value> = named_rows(summary)
            .map(|(name, row)| {
                let median = row.median_ns;
                let half_width = (median.upper - median.lower) / 2.0;
                json!({
                    "name": name,
                    "unit": "ns/iter",
                    "value": median.point,
                    "range": format!("± {}", significant(half_width)),
                    "extra": format!(
                        "median of {} samples, {}% CI {} – {}; mean {}",
                        row.n,
                        significant(row.confidence_level * 100.0),
                        duration_ns(median.lower),
                        duration_ns(median.upper),
                        duration_ns(row.mean_ns.point),
                    ),
                })
            })
            .collect();
        Value::Array(entries)
    }
}
