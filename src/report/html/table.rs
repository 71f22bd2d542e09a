//! The page's drawing of the table model (`report/table/`): every column, every row, each cell
//! with the number the page sorts by (`data-sort`) where its column sorts by number.
//!
//! maud escapes every string it is given; the newlines between elements are there so that the
//! page reads line by line in a diff or a text editor.

use maud::{Markup, html};

use super::link;
use crate::format::{
    busy_cores, duration_ns, efficiency, load_details, mebibytes, percent, quietness, rate, significant,
    speedup, speedup_range, visible,
};
use crate::report::table::{Cell, Line, Row, Span, Table};

/// `table` with its caption and notes, for the group `group_id`.
pub(super) fn table(table: &Table, group_id: &str, criterion_href: Option<&str>) -> Markup {
    let class = if table.sortable { format!("{} sortable", table.kind) } else { table.kind.to_owned() };
    html! {
        @if let Some(caption) = &table.caption {
            h3 { (line(caption)) } "\n"
        }
        @if table.rows.is_empty() {
            @if let Some(empty) = &table.when_empty {
                p.note { (line(empty)) } "\n"
            }
        } @else {
            // A table wider than the page scrolls in its own box, not the whole page sideways.
            div.scroll {
                table class=(class) data-group=(visible(group_id)) {
                    "\n"
                    thead { tr { @for column in &table.columns { th { (visible(&column.heading)) } } } } "\n"
                    tbody {
                        "\n"
                        @for row in &table.rows { (self::row(table, row, criterion_href)) "\n" }
                    }
                    "\n"
                }
            }
            "\n"
            @for note in &table.notes {
                p.note { (line(note)) } "\n"
            }
        }
    }
}

fn row(table: &Table, row: &Row, criterion_href: Option<&str>) -> Markup {
    let classes: Vec<&str> = row.marks.iter().map(|mark| mark.class()).collect();
    let class = (!classes.is_empty()).then(|| classes.join(" "));
    let data = &row.data;
    html! {
        tr class=[class] data-source=[data.source] data-executor=[data.executor.as_deref().map(visible)]
            data-peer=[data.peer.as_deref().map(visible)] data-value=[data.value.as_deref().map(visible)]
            data-ratio=[data.ratio] data-load=[data.load] {
            @for (column, cell) in table.columns.iter().zip(&row.cells) {
                @let sort = column
                    .sorts_by_number
                    .then(|| cell.sort_key().map(|key| key.to_string()).unwrap_or_default());
                td data-sort=[sort] { (self::cell(cell, criterion_href)) }
            }
        }
    }
}

/// One cell's content.
pub(super) fn cell(cell: &Cell, criterion_href: Option<&str>) -> Markup {
    html! {
        @match cell {
            Cell::Text(text) => (visible(text)),
            Cell::Empty => "",
            Cell::Missing => "—",
            Cell::Time(ns) => (duration_ns(*ns)),
            Cell::TimeRange(lower, upper) => { (duration_ns(*lower)) " – " (duration_ns(*upper)) }
            Cell::Speedup(value) => (speedup(*value)),
            Cell::SpeedupRange(lower, upper) => (speedup_range(*lower, *upper)),
            Cell::Efficiency(value) => (efficiency(*value)),
            Cell::Number(value) => (significant(*value)),
            Cell::Rate(value) => (rate(*value)),
            Cell::Bytes(bytes) => (mebibytes(*bytes)),
            Cell::Count(count) => (count),
            Cell::Percent(value) => (percent(*value)),
            Cell::Size { text, oversubscribed, .. } => { (visible(text)) @if *oversubscribed { "†" } }
            Cell::Link { path, text } => (link(criterion_href, path, text)),
            Cell::Remark(cell, words) => { (self::cell(cell, criterion_href)) " " (words) }
            Cell::BusyCores { busy, of } => (busy_cores(*busy, *of)),
            Cell::Load(load) => span title=(visible(&load_details(load))) { (quietness(load)) },
            Cell::Choice { size, speedup, recommended, tied } => {
                span class=(if *recommended { "choice recommended" } else if *tied { "choice tied" } else { "choice" }) {
                    (Cell::choice_text(*size, *speedup, *recommended, *tied))
                }
            }
        }
    }
}

/// Prose written for the Markdown summary too (a headline, a rounds line): its backtick spans
/// as `<code>`, as Markdown shows them; an unpaired backtick stays a backtick.
pub(super) fn prose(text: &str) -> Markup {
    let parts: Vec<&str> = text.split('`').collect();
    let spans: Line = parts
        .iter()
        .enumerate()
        .map(|(index, part)| match index % 2 {
            0 => Span::Text((*part).to_owned()),
            _ if index + 1 < parts.len() => Span::Code((*part).to_owned()),
            _ => Span::Text(format!("`{part}")),
        })
        .collect();
    line(&spans)
}

/// Running text, its code spans as `<code>`.
pub(super) fn line(line: &Line) -> Markup {
    html! {
        @for span in line {
            @match span {
                Span::Text(text) => (visible(text)),
                Span::Code(name) => code { (visible(name)) },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::prose;

    #[test]
    fn prose_shows_backtick_spans_as_code_and_escapes_the_rest() {
        let shown = prose("measure longer (`POOLBENCH_ROUNDS_BUDGET`) <now>; a lone ` stays").into_string();
        assert_eq!(
            shown,
            "measure longer (<code>POOLBENCH_ROUNDS_BUDGET</code>) &lt;now&gt;; a lone ` stays"
        );
    }
}
