//! The comparison as plain text for a terminal: a header saying what was compared and how, one
//! aligned table (regressions first), and the counts.

use std::fmt::Write as _;

use super::cells::{self, confidence, plain};
use super::{Comparison, Gate, Outcome, Side, Verdict};
use crate::format::columns::aligned;
use crate::format::significant;

/// The comparison as a terminal table.
pub fn render(comparison: &Comparison) -> String {
    let mut text = String::from("poolbench compare\n");
    let _ =
        writeln!(text, "  base: {}\n        {}", comparison.base.label, comparison.base.machine.describe());
    let _ = writeln!(text, "  new:  {}\n        {}", comparison.new.label, comparison.new.machine.describe());
    let _ = writeln!(text, "  gate: {}", gate_line(comparison));
    let _ = writeln!(text, "  rule: {}\n", rule_line(comparison));
    let headings = cells::headings(comparison);
    let numeric = cells::numeric(comparison);
    let rows: Vec<Vec<String>> =
        comparison.entries.iter().map(|entry| cells::row(comparison, entry)).collect();
    text.push_str(&aligned(&headings, &numeric, &rows));
    text.push('\n');
    text.push_str(&counts_line(comparison));
    text.push('\n');
    text.push_str(&noise_line(comparison));
    text.push('\n');
    text.push_str(&disturbed_line(comparison));
    text.push('\n');
    for (name, side) in [("base", &comparison.base), ("new", &comparison.new)] {
        skipped(&mut text, name, side);
    }
    let _ = writeln!(text, "result: {}", result_line(comparison));
    text
}

/// The outcome and its exit code: `REGRESSION (exit code 2)`, `no regression (exit code 0)`, or
/// `NOTHING JUDGED (exit code 1): ` and why.
pub fn result_line(comparison: &Comparison) -> String {
    let outcome = comparison.outcome();
    let code = outcome.exit_code();
    match outcome {
        Outcome::Regression => format!("REGRESSION (exit code {code})"),
        Outcome::NoRegression => format!("no regression (exit code {code})"),
        Outcome::NothingJudged => {
            format!("NOTHING JUDGED (exit code {code}): {}", comparison.nothing_judged().unwrap_or_default())
        }
    }
}

/// What the gate compared, and why.
pub fn gate_line(comparison: &Comparison) -> String {
    match comparison.gate {
        Gate::Absolute if comparison.machine_differences.is_empty() => {
            "absolute times: both runs come from the same machine".to_owned()
        }
        Gate::Absolute => format!(
            "absolute times, as asked, although the machines differ ({})",
            comparison.machine_differences.join("; ")
        ),
        Gate::Relative if comparison.machine_differences.is_empty() => {
            "times relative to a reference in the same run, as asked".to_owned()
        }
        Gate::Relative => format!(
            "times relative to a reference in the same run (Sequential, or a raw pipe or channel round trip), because the \
             machines differ ({}); absolute times are shown for information only",
            comparison.machine_differences.join("; ")
        ),
    }
}

/// The rule in a sentence.
pub fn rule_line(comparison: &Comparison) -> String {
    format!(
        "{} by {}; regressed when p < {} and the {} interval of new/base lies wholly above +{}% \
         (improved: wholly below -{}%)",
        comparison.statistic,
        comparison.statistic.test_name(comparison.runs),
        comparison.alpha,
        confidence(comparison.alpha),
        plain(comparison.threshold_percent),
        plain(comparison.threshold_percent),
    )
}

/// `12 benchmarks: 1 regressed, ...`.
pub fn counts_line(comparison: &Comparison) -> String {
    let counts: Vec<String> = Verdict::ALL
        .iter()
        .map(|&verdict| format!("{} {}", comparison.count(verdict), verdict.name()))
        .collect();
    let total = comparison.entries.len();
    format!("{total} benchmark{}: {}", if total == 1 { "" } else { "s" }, counts.join(", "))
}

/// How many changes were significant but inside the threshold, against what chance alone gives.
pub fn noise_line(comparison: &Comparison) -> String {
    let judged = comparison.gated();
    format!(
        "{} of {judged} judged changed significantly at alpha = {} (about {} would by chance alone) but \
         stayed within the threshold: not flagged.",
        comparison.significant_within_threshold(),
        comparison.alpha,
        significant(judged as f64 * comparison.alpha),
    )
}

/// What the gate did about disturbed runs: how many it left out, how many benchmarks it did not
/// judge because every run of a side was disturbed.
pub fn disturbed_line(comparison: &Comparison) -> String {
    let (runs, benchmarks) = comparison.disturbed_left_out();
    let only = comparison.only_disturbed();
    format!(
        "Disturbed runs (other programs took more than the threshold of a benchmark's cores): {runs} left out of \
         {benchmarks} benchmark(s) judged on their other runs; {only} benchmark(s) not judged, every run of a side \
         disturbed."
    )
}

fn skipped(text: &mut String, name: &str, side: &Side) {
    if side.skipped.is_empty() {
        return;
    }
    let _ = writeln!(text, "{name}: {} benchmark file(s) could not be read:", side.skipped.len());
    for skipped in &side.skipped {
        let id = skipped.benchmark.as_deref().map(|id| format!(" ({id})")).unwrap_or_default();
        let _ = writeln!(text, "  {}{id}: {}", skipped.path, skipped.reason);
    }
}
