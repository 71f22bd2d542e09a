//! An entry as the cells of a table row, shared by the terminal and Markdown tables, and the
//! sentences both print around them.

use super::{Change, Entry, Report, Stop};
use crate::compare::cells::{confidence, p_value, percent, plain};
use crate::format::duration_ns;

/// The column headings.
pub fn headings(report: &Report) -> Vec<String> {
    vec![
        "benchmark".to_owned(),
        "base".to_owned(),
        "head".to_owned(),
        format!("change ({} CI)", confidence(report.settings.alpha)),
        "q".to_owned(),
        "rounds".to_owned(),
        "verdict".to_owned(),
        "note".to_owned(),
    ]
}

/// Which columns hold numbers (aligned right).
pub fn numeric() -> Vec<bool> {
    vec![false, true, true, true, true, true, false, false]
}

/// The cells of `entry`, matching [`headings`].
pub fn row(entry: &Entry) -> Vec<String> {
    let time = |ns: Option<f64>| ns.map_or_else(dash, duration_ns);
    vec![
        entry.id.clone(),
        time(entry.base_ns),
        time(entry.head_ns),
        entry.change.map_or_else(dash, |change| change_with_interval(&change)),
        entry.change.and_then(|change| change.q_value).map_or_else(dash, p_value),
        if entry.rounds == 0 { dash() } else { entry.rounds.to_string() },
        entry.verdict.name().to_owned(),
        note(entry),
    ]
}

/// `+5.1% [+4.2%, +6.0%]`.
pub fn change_with_interval(change: &Change) -> String {
    format!("{} [{}, {}]", percent(change.ratio), percent(change.lower), percent(change.upper))
}

/// Why measuring stopped, when that says something, and any failure.
fn note(entry: &Entry) -> String {
    let stop = match entry.stop {
        Some(Stop::Rounds) => Some("every round used".to_owned()),
        Some(Stop::BenchmarkBudget) => Some("its time ran out".to_owned()),
        Some(Stop::Budget) => Some("the run's time ran out".to_owned()),
        _ => None,
    };
    let detectable = entry
        .change
        .filter(|_| stop.is_some())
        .map(|change| format!("could flag {} or more", percent(change.detectable)));
    let dropped =
        (entry.dropped_rounds > 0).then(|| format!("{} disturbed round(s) dropped", entry.dropped_rounds));
    [stop, detectable, dropped, entry.note.clone()].into_iter().flatten().collect::<Vec<_>>().join("; ")
}

/// The rule in a sentence.
pub fn rule_line(report: &Report) -> String {
    let settings = &report.settings;
    let threshold = plain(settings.threshold_percent);
    format!(
        "pairs of ~{} ms slots, base and head back to back in alternating order, {} pairs a round, each round a \
         fresh process a side, {} to {} rounds; regressed (improved) when Benjamini-Hochberg at {} over the \
         benchmarks finds the change beyond +{threshold}% (-{threshold}%); unchanged when the {} interval lies \
         within ±{threshold}%; otherwise inconclusive",
        plain(settings.slot.as_secs_f64() * 1e3),
        settings.pairs,
        settings.min_rounds,
        settings.max_rounds,
        plain(settings.alpha / 2.0),
        confidence(2.0 * settings.alpha),
    )
}

/// The canary in a sentence.
pub fn canary_line(report: &Report) -> String {
    let canary = &report.canary;
    if canary.entries.is_empty() {
        return "none (--canaries 0): nothing checks that the machine was quiet enough".to_owned();
    }
    let ids: Vec<String> = canary
        .entries
        .iter()
        .map(|entry| {
            let change = entry.change.map(|change| percent(change.ratio)).unwrap_or_else(dash);
            format!("{} {change}", entry.id)
        })
        .collect();
    match &canary.flagged {
        Some(why) => format!("FLAGGED: {why}"),
        None => format!("quiet: head against head on {} ({})", ids.len(), ids.join(", ")),
    }
}

/// How long it took and what it started.
pub fn time_line(report: &Report) -> String {
    format!(
        "{} s in all: builds {} s (base) and {} s (head), measurement {} s in {} pass(es), {} + {} processes{}",
        plain(report.wall_seconds.round()),
        plain(report.base.build_seconds.round()),
        plain(report.head.build_seconds.round()),
        plain(report.measure_seconds.round()),
        report.passes,
        report.base.processes,
        report.head.processes,
        if report.budget_ran_out { "; the budget ran out before every benchmark was decided" } else { "" }
    )
}

/// `227 benchmarks: 1 regressed, ...`.
pub fn counts_line(report: &Report) -> String {
    let counts: Vec<String> = super::Verdict::ALL
        .iter()
        .map(|&verdict| format!("{} {}", report.count(verdict), verdict.name()))
        .collect();
    let total = report.entries.len();
    format!("{total} benchmark{}: {}", if total == 1 { "" } else { "s" }, counts.join(", "))
}

/// The outcome and its exit code.
pub fn result_line(report: &Report) -> String {
    let outcome = report.outcome();
    let code = outcome.exit_code();
    match outcome {
        super::Outcome::Regression => format!("REGRESSION (exit code {code})"),
        super::Outcome::NoRegression => format!("no regression (exit code {code})"),
        super::Outcome::Failed => format!("FAILED: a benchmark could not be measured (exit code {code})"),
        super::Outcome::Inconclusive => {
            format!("INCONCLUSIVE (exit code {code}): {}", report.inconclusive().unwrap_or_default())
        }
    }
}

fn dash() -> String {
    "—".to_owned()
}
