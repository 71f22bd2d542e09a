//! The numbers of both paths' tables and sentences, formatted one way.

use super::Change;
use crate::format::significant;

/// `+20.3% [+19.1%, +21.6%]`.
pub fn change_with_interval(change: &Change) -> String {
    format!("{} [{}, {}]", percent(change.ratio), percent(change.lower), percent(change.upper))
}

/// A ratio as a signed percentage: 1.203 is `+20.3%`; one too large to mean anything (a
/// detectable change of a benchmark measured once) is `—`.
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

/// What a cell says when its quantity does not apply.
pub(crate) fn dash() -> String {
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
        let change = Change::new(1.2, 1.15, 1.25, 0.0001);
        assert_eq!(change_with_interval(&change), "+20.0% [+15.0%, +25.0%]");
        assert_eq!(p_value(0.0001), "<0.001");
        assert_eq!(p_value(0.0342), "0.034");
        assert_eq!(confidence(0.05), "95%");
        assert_eq!(confidence(0.005), "99.5%");
    }
}
