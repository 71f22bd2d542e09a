//! The Markdown's drawing of the table model (`report/table/`): GitHub-flavoured pipe tables of
//! the compact columns, every cell escaped so that no name can end a cell or become markup.

use std::fmt::Write as _;

use crate::format::markdown::{code, escape};
use crate::format::{
    busy_cores, duration_ns, efficiency, mebibytes, percent, quietness, rate, significant, speedup,
    speedup_range,
};
use crate::report::table::{Align, Cell, Line, Span, Table};

/// `table` with its caption: its [`compact`](crate::report::table::Column::compact) columns and
/// [`telling`](crate::report::table::Row::telling) rows, what it says instead when it has no
/// rows at all, or nothing when none of its rows tells.
pub(super) fn table(text: &mut String, table: &Table) {
    if table.rows.is_empty() {
        if let Some(empty) = &table.when_empty {
            let _ = writeln!(text, "{}\n", line(empty));
        }
        return;
    }
    if !table.rows.iter().any(|row| row.telling) {
        return;
    }
    if let Some(caption) = &table.caption {
        let _ = writeln!(text, "{}:\n", line(caption));
    }
    let shown: Vec<usize> = (0..table.columns.len()).filter(|&index| table.columns[index].compact).collect();
    let headings: Vec<String> = shown.iter().map(|&index| escape(&table.columns[index].heading)).collect();
    let _ = writeln!(text, "| {} |", headings.join(" | "));
    let rule: Vec<&str> = shown
        .iter()
        .map(|&index| match table.columns[index].align {
            Align::Left => "---",
            Align::Right => "--:",
        })
        .collect();
    let _ = writeln!(text, "|{}|", rule.join("|"));
    for row in table.rows.iter().filter(|row| row.telling) {
        let cells: Vec<String> = shown.iter().map(|&index| cell(&row.cells[index])).collect();
        let _ = writeln!(text, "| {} |", cells.join(" | "));
    }
    text.push('\n');
}

/// One cell's text.
fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => escape(text),
        Cell::Empty => String::new(),
        Cell::Missing => "—".to_owned(),
        Cell::Time(ns) => duration_ns(*ns),
        Cell::TimeRange(lower, upper) => format!("{} – {}", duration_ns(*lower), duration_ns(*upper)),
        Cell::Speedup(value) => speedup(*value),
        Cell::SpeedupRange(lower, upper) => speedup_range(*lower, *upper),
        Cell::Efficiency(value) => efficiency(*value),
        Cell::Number(value) => significant(*value),
        Cell::Rate(value) => rate(*value),
        Cell::Bytes(bytes) => mebibytes(*bytes),
        Cell::Count(count) => count.to_string(),
        Cell::Percent(value) => percent(*value),
        Cell::Size { text, oversubscribed, .. } => {
            format!("{}{}", escape(text), if *oversubscribed { "†" } else { "" })
        }
        Cell::Link { path, .. } => code(path),
        Cell::Remark(inner, words) => format!("{} {words}", self::cell(inner)),
        Cell::BusyCores { busy, of } => busy_cores(*busy, *of),
        Cell::Load(load) if load.is_disturbed() => format!("⚠️ **{}**", quietness(load)),
        Cell::Load(load) => quietness(load),
        Cell::Choice { size, speedup, recommended: true, tied } => {
            format!("**{}**", Cell::choice_text(*size, *speedup, true, *tied))
        }
        Cell::Choice { size, speedup, recommended: false, tied } => {
            Cell::choice_text(*size, *speedup, false, *tied)
        }
    }
}

/// Running text, its code spans in backticks.
pub(super) fn line(line: &Line) -> String {
    line.iter()
        .map(|span| match span {
            Span::Text(words) => escape(words),
            Span::Code(name) => code(name),
        })
        .collect()
}
