//! The result as plain text for a terminal: what was compared, one aligned table (regressions
//! first), the sentences under it, the counts and the result line.

use std::fmt::Write as _;

use super::{Judgement, counts_line, result_line};
use crate::format::columns::aligned;

/// The result as a terminal table.
pub fn render<J: Judgement>(result: &J) -> String {
    let mut text = format!("poolbench {}\n", J::TOOL);
    let header = result.header();
    let width = header.iter().map(|(label, _)| label.chars().count()).max().unwrap_or(0) + 1;
    for (label, line) in &header {
        // A value of several lines (a side and its machine) continues under its first.
        let line = line.replace('\n', &format!("\n{}", " ".repeat(width + 3)));
        let _ = writeln!(text, "  {:width$} {line}", format!("{label}:"));
    }
    text.push('\n');
    let table = result.table();
    let headings: Vec<String> = table.columns.iter().map(|column| column.heading.clone()).collect();
    let numeric: Vec<bool> = table.columns.iter().map(|column| column.numeric).collect();
    let rows: Vec<Vec<String>> = table.rows.iter().map(|row| row.cells.clone()).collect();
    text.push_str(&aligned(&headings, &numeric, &rows));
    text.push('\n');
    for line in result.footer() {
        let _ = writeln!(text, "{line}");
    }
    let _ = writeln!(text, "{}", counts_line(&table));
    let _ = writeln!(text, "result: {}", result_line(result.outcome(), result.reason().as_deref()));
    text
}
