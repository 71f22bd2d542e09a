//! The gate's result as plain text for a terminal.

use std::fmt::Write as _;

use super::Report;
use super::cells::{self, canary_line, counts_line, result_line, rule_line, time_line};
use crate::format::columns::aligned;

/// The report as a terminal table.
pub fn render(report: &Report) -> String {
    let mut text = String::from("poolbench gate\n");
    let _ = writeln!(text, "  base:   {}", report.base.label);
    let head_env = if report.head.env.is_empty() {
        String::new()
    } else {
        format!(", with {}", report.head.env.join(" "))
    };
    let _ = writeln!(text, "  head:   {}{head_env}", report.head.label);
    let _ = writeln!(text, "  rule:   {}", rule_line(report));
    let _ = writeln!(text, "  canary: {}", canary_line(report));
    let _ = writeln!(text, "  time:   {}", time_line(report));
    let _ = writeln!(text, "  disturbed rounds: {}\n", report.disturbance);
    let rows: Vec<Vec<String>> = report.entries.iter().map(cells::row).collect();
    text.push_str(&aligned(&cells::headings(report), &cells::numeric(), &rows));
    let _ = writeln!(text, "\n{}", counts_line(report));
    let _ = writeln!(text, "result: {}", result_line(report));
    text
}
