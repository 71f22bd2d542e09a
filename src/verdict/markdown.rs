//! The result in GitHub-flavoured Markdown, for a pull-request comment: the outcome in the
//! heading, what was compared and how, the benchmarks that need a look (most changed first), the
//! unchanged ones folded away in a `<details>` block; never more than [`MAX_MARKDOWN_CHARS`],
//! under GitHub's comment limit (65,536) with room for what a workflow appends. Every cell is
//! escaped, so an id shows as written and cannot end a cell.

use std::fmt::Write as _;

use super::{Judgement, Outcome, Row, Table, Verdict, counts_line, result_line};
use crate::format::markdown::escape;

/// The most characters the Markdown holds.
pub const MAX_MARKDOWN_CHARS: usize = 60_000;

/// The result as Markdown.
pub fn render<J: Judgement>(result: &J) -> String {
    let table = result.table();
    let outcome = result.outcome();
    let regressions = table.rows.iter().filter(|row| row.verdict == Verdict::Regressed).count();
    let heading = match (outcome, regressions) {
        (Outcome::Inconclusive, _) => "⚠️ inconclusive".to_owned(),
        (Outcome::Failed, _) => "⚠️ a benchmark could not be measured".to_owned(),
        (Outcome::NothingJudged, _) => "⚠️ nothing judged".to_owned(),
        (_, 0) => "✅ no regression".to_owned(),
        (_, 1) => "❌ 1 regression".to_owned(),
        (_, n) => format!("❌ {n} regressions"),
    };
    let mut text = format!("## poolbench {}: {heading}\n\n", J::TOOL);
    let reason = result.reason();
    if let (Outcome::NothingJudged, Some(why)) = (outcome, &reason) {
        let _ = writeln!(text, "**The gate fails: nothing was judged.** {}.\n", escape(why));
    }
    for (label, line) in result.header() {
        let line = line.lines().map(escape).collect::<Vec<_>>().join("; ");
        let _ = writeln!(text, "- **{label}:** {line}");
    }
    text.push('\n');
    let mut footer = String::new();
    for line in result.footer() {
        let _ = writeln!(footer, "{}\n", escape(&line));
    }
    let _ = writeln!(footer, "{}\n", escape(&counts_line(&table)));
    let _ = writeln!(footer, "**result:** {}", escape(&result_line(outcome, reason.as_deref())));
    let (shown, folded): (Vec<&Row>, Vec<&Row>) =
        table.rows.iter().partition(|row| row.verdict != Verdict::Unchanged);
    // What is left for the tables once the heading, header and footer are in.
    let mut room = MAX_MARKDOWN_CHARS.saturating_sub(text.chars().count() + footer.chars().count() + 200);
    if shown.is_empty() {
        let _ = writeln!(text, "No benchmark needs a look: none regressed, improved, failed or appeared.\n");
    } else {
        room = room.saturating_sub(rows(&mut text, &table, &shown, room));
    }
    if !folded.is_empty() {
        let _ = writeln!(text, "<details><summary>{} unchanged</summary>\n", folded.len());
        rows(&mut text, &table, &folded, room);
        let _ = writeln!(text, "</details>\n");
    }
    text.push_str(&footer);
    text
}

/// Writes the table's columns and the `rows` that fit in `room` characters, then how many did
/// not; returns the characters written.
fn rows(text: &mut String, table: &Table, rows: &[&Row], room: usize) -> usize {
    let mut written = String::new();
    let headings: Vec<String> = table.columns.iter().map(|column| escape(&column.heading)).collect();
    let _ = writeln!(written, "| {} |", headings.join(" | "));
    let rule: Vec<&str> =
        table.columns.iter().map(|column| if column.numeric { "---:" } else { "---" }).collect();
    let _ = writeln!(written, "|{}|", rule.join("|"));
    let verdict_column = table.columns.iter().position(|column| column.heading == "verdict");
    let mut left_out = 0;
    for row in rows {
        let mut cells: Vec<String> = row.cells.iter().map(|cell| escape(cell)).collect();
        if row.verdict == Verdict::Regressed {
            for at in std::iter::once(0).chain(verdict_column) {
                cells[at] = format!("**{}**", cells[at]);
            }
        }
        let line = format!("| {} |\n", cells.join(" | "));
        if left_out > 0 || written.chars().count() + line.chars().count() > room {
            left_out += 1;
        } else {
            written.push_str(&line);
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            written,
            "\n{left_out} more not shown, to stay within a comment's length: the JSON has them all."
        );
    }
    written.push('\n');
    text.push_str(&written);
    written.chars().count()
}
