//! Exports of a summary for the regression trackers people already use, so that poolbench's
//! numbers can live in their dashboards too:
//!
//! - [`Format::Bmf`]: Bencher Metric Format, `{"<id>": {"latency": {"value", "lower_value",
//!   "upper_value"}}}` (`bmf.rs`);
//! - [`Format::GithubActionBenchmark`]: github-action-benchmark's `customSmallerIsBetter` input,
//!   `[{"name", "unit", "value", "range", "extra"}]` (`github_action_benchmark.rs`).
//!
//! Both carry each benchmark's median in nanoseconds per iteration with Criterion's interval:
//! the median is what the report headlines, and trackers that plot one number per commit are
//! better served by it than by a mean that a burst of contention drags up. Ids are the
//! summary's; rows from another source than Criterion are prefixed by it (`python:...`).

mod bmf;
mod github_action_benchmark;

use std::fmt;
use std::str::FromStr;

use crate::schema::{Row, Summary};

/// A tracker's input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Bencher Metric Format.
    Bmf,
    /// github-action-benchmark, tool `customSmallerIsBetter`.
    GithubActionBenchmark,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 2] = [Format::Bmf, Format::GithubActionBenchmark];

    /// The format's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Bmf => "bmf",
            Format::GithubActionBenchmark => "github-action-benchmark",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|format| format.name() == text)
            .ok_or_else(|| format!("`{text}` is not an export format; use bmf or github-action-benchmark"))
    }
}

/// `summary` in `format`, as JSON text.
pub fn render(summary: &Summary, format: Format) -> String {
    let exporter: &dyn Exporter = match format {
        Format::Bmf => &bmf::BmfExporter,
        Format::GithubActionBenchmark => &github_action_benchmark::GithubActionBenchmarkExporter,
    };
    let value = exporter.export(summary);
    // A `Value` always encodes: its map keys are strings and its numbers finite.
    let mut text = format!("{value:#}");
    text.push('\n');
    text
}

/// One tracker's format: a summary in, a JSON document out. Encoding is [`render`]'s business.
trait Exporter {
    fn export(&self, summary: &Summary) -> serde_json::Value;
}

/// Every row of `summary` with the name trackers should know it by.
fn named_rows(summary: &Summary) -> impl Iterator<Item = (String, &Row)> {
    summary.rows().map(|row| (row.key(), row))
}
