//! The comparison as the verdict layer draws it: what was compared and how above the table, the
//! table's columns and cells (relative times across machines), and the sentences under it.

use super::{Comparison, Entry, Gate, Measured, Runs, Side};
use crate::format::{duration_ns, ratio, significant};
use crate::verdict::{
    Column, Judgement, Outcome, Row, Table, cells::dash, change_with_interval, confidence, p_value, percent,
    plain,
};

impl Judgement for Comparison {
    const TOOL: &'static str = "compare";

    fn outcome(&self) -> Outcome {
        Comparison::outcome(self)
    }

    fn reason(&self) -> Option<String> {
        self.nothing_judged()
    }

    fn header(&self) -> Vec<(&'static str, String)> {
        vec![
            ("base", side(&self.base)),
            ("new", side(&self.new)),
            ("gate", gate_line(self)),
            ("rule", rule_line(self)),
        ]
    }

    fn table(&self) -> Table {
        Table { columns: columns(self), rows: self.entries.iter().map(|entry| row(self, entry)).collect() }
    }

    fn footer(&self) -> Vec<String> {
        let mut lines = vec![noise_line(self), disturbed_line(self)];
        for (name, side) in [("base", &self.base), ("new", &self.new)] {
            if side.skipped.is_empty() {
                continue;
            }
            lines.push(format!("{name}: {} benchmark file(s) could not be read:", side.skipped.len()));
            for skipped in &side.skipped {
                let id = skipped.benchmark.as_deref().map(|id| format!(" ({id})")).unwrap_or_default();
                lines.push(format!("  {}{id}: {}", skipped.path, skipped.reason));
            }
        }
        lines
    }
}

/// The side's label, then its machine (and commit) on a line of its own.
fn side(side: &Side) -> String {
    let commit = match &side.machine.git {
        Some(git) => format!(
            ", commit {}{}",
            git.commit.get(..12).unwrap_or(&git.commit),
            if git.dirty { " (dirty tree)" } else { "" }
        ),
        None => String::new(),
    };
    format!("{}\n{}{commit}", side.label, side.machine.describe())
}

fn columns(comparison: &Comparison) -> Vec<Column> {
    let statistic = comparison.statistic;
    let confidence = confidence(comparison.alpha);
    let mut columns = vec![
        Column::text("benchmark"),
        Column::number(format!("base {statistic}")),
        Column::number(format!("new {statistic}")),
    ];
    match comparison.gate {
        Gate::Absolute => columns.push(Column::number(format!("change ({confidence} CI)"))),
        Gate::Relative => columns.extend([
            Column::number("time change (info)"),
            Column::text("reference"),
            Column::number("base ×ref"),
            Column::number("new ×ref"),
            Column::number(format!("relative change ({confidence} CI)")),
        ]),
    }
    columns.extend([Column::number("p"), Column::text("verdict"), Column::text("note")]);
    columns
}

fn row(comparison: &Comparison, entry: &Entry) -> Row {
    let time = |measured: Option<Measured>| measured.map_or_else(dash, |m| duration_ns(m.ns));
    let mut cells = vec![entry.id.clone(), time(entry.base), time(entry.new)];
    let gated = entry.gated.as_ref().map_or_else(dash, change_with_interval);
    match comparison.gate {
        Gate::Absolute => cells.push(gated),
        Gate::Relative => {
            cells.push(entry.absolute.map_or_else(dash, |change| percent(change.ratio)));
            match &entry.relative {
                Some(relative) => {
                    cells.extend([relative.reference.clone(), ratio(relative.base), ratio(relative.new)])
                }
                None => cells.extend([dash(), dash(), dash()]),
            }
            cells.push(gated);
        }
    }
    cells.push(entry.gated.map_or_else(dash, |change| p_value(change.p_value)));
    cells.push(entry.verdict.name().to_owned());
    let threshold_note = (entry.threshold_percent != comparison.threshold_percent)
        .then(|| format!("threshold {}%", plain(entry.threshold_percent)));
    let subsample_note = entry
        .gated
        .and_then(|change| change.subsample)
        .map(|cap| format!("bootstrap resampled {cap} evenly spaced samples of a side with more"));
    let note = [threshold_note, entry.note.clone(), subsample_note]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    cells.push(note);
    Row { verdict: entry.verdict, cells }
}

/// What the gate compared, and why.
fn gate_line(comparison: &Comparison) -> String {
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
fn rule_line(comparison: &Comparison) -> String {
    format!(
        "{} by {}; regressed when p < {} and the {} interval of new/base lies wholly above +{}% \
         (improved: wholly below -{}%)",
        comparison.statistic,
        comparison.statistic.test_name(Runs { base: 1, new: 1 }),
        comparison.alpha,
        confidence(comparison.alpha),
        plain(comparison.threshold_percent),
        plain(comparison.threshold_percent),
    )
}

/// How many changes were significant but inside the threshold, against what chance alone gives.
fn noise_line(comparison: &Comparison) -> String {
    let judged = comparison.gated();
    format!(
        "{} of {judged} judged changed significantly at alpha = {} (about {} would by chance alone) but \
         stayed within the threshold: not flagged.",
        comparison.significant_within_threshold(),
        comparison.alpha,
        significant(judged as f64 * comparison.alpha),
    )
}

/// How many benchmarks were not judged because a side's run was disturbed.
fn disturbed_line(comparison: &Comparison) -> String {
    format!(
        "Disturbed runs (other programs took more than the threshold of a benchmark's cores): {} benchmark(s) \
         not judged.",
        comparison.only_disturbed()
    )
}
