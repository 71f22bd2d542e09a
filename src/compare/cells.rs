//! An entry as the cells of a table row, shared by the terminal and Markdown tables so that a
//! number read in one can be found in the other.

use super::{Change, Comparison, Entry, Gate};
use crate::format::{duration_ns, ratio, significant};

/// The column headings for `comparison`'s gate.
pub fn headings(comparison: &Comparison) -> Vec<String> {
    let statistic = comparison.statistic;
    let confidence = confidence(comparison.alpha);
    match comparison.gate {
        Gate::Absolute => vec![
            "benchmark".to_owned(),
            format!("base {statistic}"),
            format!("new {statistic}"),
            format!("change ({confidence} CI)"),
            "p".to_owned(),
            "verdict".to_owned(),
            "note".to_owned(),
        ],
        Gate::Relative => vec![
            "benchmark".to_owned(),
            format!("base {statistic}"),
            format!("new {statistic}"),
            "time change (info)".to_owned(),
            "reference".to_owned(),
            "base ×ref".to_owned(),
            "new ×ref".to_owned(),
            format!("relative change ({confidence} CI)"),
            "p".to_owned(),
            "verdict".to_owned(),
            "note".to_owned(),
        ],
    }
}

/// Which columns hold numbers (aligned right).
pub fn numeric(comparison: &Comparison) -> Vec<bool> {
    match comparison.gate {
        Gate::Absolute => vec![false, true, true, true, true, false, false],
        Gate::Relative => vec![false, true, true, true, false, true, true, true, true, false, false],
    }
}

/// The cells of `entry`, matching [`headings`].
pub fn row(comparison: &Comparison, entry: &Entry) -> Vec<String> {
    let time = |measured: Option<super::Measured>| measured.map_or_else(dash, |m| duration_ns(m.ns));
    let mut cells = vec![entry.id.clone(), time(entry.base), time(entry.new)];
    let threshold_note = (entry.threshold_percent != comparison.threshold_percent)
        .then(|| format!("threshold {}%", plain(entry.threshold_percent)));
    let subsample_note = entry
        .gated
        .and_then(|change| change.subsample)
        .map(|cap| format!("bootstrap resampled {cap} evenly spaced samples of a side with more"));
    let left_out = entry.disturbed_left_out;
    let disturbed_note = (left_out.base + left_out.new > 0).then(|| {
        let sides: Vec<String> = [("BASE", left_out.base), ("NEW", left_out.new)]
            .into_iter()
            .filter(|(_, runs)| *runs > 0)
            .map(|(side, runs)| format!("{runs} of {side}"))
            .collect();
        format!("disturbed runs left out: {}", sides.join(", "))
    });
    let note = [threshold_note, entry.note.clone(), subsample_note, disturbed_note]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("; ");
    match comparison.gate {
        Gate::Absolute => {
            cells.push(entry.gated.map_or_else(dash, |change| change_with_interval(&change)));
        }
        Gate::Relative => {
            cells.push(entry.absolute.map_or_else(dash, |change| percent(change.ratio)));
            match &entry.relative {
                Some(relative) => {
                    cells.push(relative.reference.clone());
                    cells.push(ratio(relative.base));
                    cells.push(ratio(relative.new));
                }
                None => cells.extend([dash(), dash(), dash()]),
            }
            cells.push(entry.gated.map_or_else(dash, |change| change_with_interval(&change)));
        }
    }
    cells.push(entry.gated.map_or_else(dash, |change| p_value(change.p_value)));
    cells.push(entry.verdict.name().to_owned());
    cells.push(note);
    cells
}

/// `+20.3% [+19.1%, +21.6%]`.
pub fn change_with_interval(change: &Change) -> String {
    format!("{} [{}, {}]", percent(change.ratio), percent(change.lower), percent(change.upper))
}

/// A ratio as a signed percentage: 1.203 is `+20.3%`.
pub fn percent(ratio: f64) -> String {
    // Rounded to kill float noise: 0.9 - 1 is -0.09999999999999998, which would print -10.00%.
    let change = ((ratio - 1.0) * 100.0 * 1e9).round() / 1e9;
    if !change.is_finite() {
        return dash();
    }
    let text = significant(change.abs());
    let sign = if change < 0.0 && text != "0" { "-" } else { "+" };
    format!("{sign}{text}%")
}

/// A p-value to three decimals, or `<0.001`.
pub fn p_value(p: f64) -> String {
    if p < 0.001 { "<0.001".to_owned() } else { format!("{p:.3}") }
}

/// The confidence level of the intervals, `95%` for alpha 0.05.
pub fn confidence(alpha: f64) -> String {
    // Rounded to kill float noise (0.95 * 100 is 94.999...), printed without trailing zeros.
    format!("{}%", ((1.0 - alpha) * 100_000.0).round() / 1_000.0)
}

/// A number as typed: `5`, `7.5`, without float noise or trailing zeros.
pub fn plain(value: f64) -> String {
    format!("{}", (value * 1e6).round() / 1e6)
}

fn dash() -> String {
    "—".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_signed_percentages() {
        assert_eq!(percent(1.2034), "+20.3%");
        assert_eq!(percent(0.9), "-10.0%");
        assert_eq!(percent(1.0), "+0%");
        assert_eq!(percent(f64::NAN), "—");
        let change = Change { ratio: 1.2, lower: 1.15, upper: 1.25, p_value: 0.0001, subsample: None };
        assert_eq!(change_with_interval(&change), "+20.0% [+15.0%, +25.0%]");
        assert_eq!(p_value(0.0001), "<0.001");
        assert_eq!(p_value(0.0342), "0.034");
        assert_eq!(confidence(0.05), "95%");
        assert_eq!(confidence(0.005), "99.5%");
    }
}
