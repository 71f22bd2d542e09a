//! The comparison in GitHub-flavoured Markdown, for a pull-request comment: the outcome in the
//! heading, what was compared, every benchmark that needs a look in one table, and the unchanged
//! ones folded away in a `<details>` block. Ids are backslash-escaped as in the report.

use std::fmt::Write as _;

use super::cells;
use super::table::{counts_line, disturbed_line, gate_line, noise_line, rule_line};
use super::{Comparison, Entry, Outcome, Side, Verdict};
use crate::format::markdown::escape;

/// The comparison as Markdown.
pub fn render(comparison: &Comparison) -> String {
    let mut text = String::new();
    let regressions = comparison.count(Verdict::Regressed);
    let outcome = match (comparison.outcome(), regressions) {
        (Outcome::NothingJudged, _) => "⚠️ nothing judged".to_owned(),
        (_, 0) => "✅ no regression".to_owned(),
        (_, 1) => "❌ 1 regression".to_owned(),
        (_, n) => format!("❌ {n} regressions"),
    };
    let _ = writeln!(text, "## poolbench compare: {outcome}\n");
    if let Some(why) = comparison.nothing_judged() {
        let _ = writeln!(text, "**The gate fails: nothing was judged.** {}.\n", escape(&why));
    }
    let _ = writeln!(text, "- **base:** {}", side(&comparison.base));
    let _ = writeln!(text, "- **new:** {}", side(&comparison.new));
    let _ = writeln!(text, "- **gate:** {}", escape(&gate_line(comparison)));
    let _ = writeln!(text, "- **rule:** {}\n", escape(&rule_line(comparison)));

    let (shown, folded): (Vec<&Entry>, Vec<&Entry>) =
        comparison.entries.iter().partition(|entry| entry.verdict != Verdict::Unchanged);
    if shown.is_empty() {
        let _ = writeln!(text, "No benchmark regressed, improved, appeared or disappeared.\n");
    } else {
        table(&mut text, comparison, &shown);
    }
    if !folded.is_empty() {
        let _ = writeln!(text, "<details><summary>{} unchanged</summary>\n", folded.len());
        table(&mut text, comparison, &folded);
        let _ = writeln!(text, "</details>\n");
    }
    let _ = writeln!(text, "{}\n", escape(&counts_line(comparison)));
    let _ = writeln!(text, "{}\n", escape(&noise_line(comparison)));
    let _ = writeln!(text, "{}", escape(&disturbed_line(comparison)));
    for (name, side) in [("base", &comparison.base), ("new", &comparison.new)] {
        skipped(&mut text, name, side);
    }
    text
}

fn side(side: &Side) -> String {
    let commit = match &side.machine.git {
        Some(git) => format!(
            ", commit `{}`{}",
            git.commit.get(..12).unwrap_or(&git.commit),
            if git.dirty { " (dirty tree)" } else { "" }
        ),
        None => String::new(),
    };
    format!(
        "{}{commit}; {} cores, {}",
        escape(&side.label),
        side.machine.cores,
        escape(&side.machine.cpu_model)
    )
}

fn table(text: &mut String, comparison: &Comparison, entries: &[&Entry]) {
    let headings = cells::headings(comparison);
    let numeric = cells::numeric(comparison);
    let _ = writeln!(
        text,
        "| {} |",
        headings.iter().map(|heading| escape(heading)).collect::<Vec<_>>().join(" | ")
    );
    let rule: Vec<&str> = numeric.iter().map(|&right| if right { "---:" } else { "---" }).collect();
    let _ = writeln!(text, "|{}|", rule.join("|"));
    for entry in entries {
        let mut row = cells::row(comparison, entry);
        if entry.verdict == Verdict::Regressed {
            row[0] = format!("**{}**", escape(&row[0]));
        } else {
            row[0] = escape(&row[0]);
        }
        let last = row.len() - 1;
        for cell in &mut row[1..] {
            *cell = escape(cell);
        }
        if entry.verdict == Verdict::Regressed {
            let verdict = last - 1;
            row[verdict] = format!("**{}**", row[verdict]);
        }
        let _ = writeln!(text, "| {} |", row.join(" | "));
    }
    text.push('\n');
}

fn skipped(text: &mut String, name: &str, side: &Side) {
    if side.skipped.is_empty() {
        return;
    }
    let _ = writeln!(text, "\n**{name}:** {} benchmark file(s) could not be read:\n", side.skipped.len());
    for skipped in &side.skipped {
        let id = skipped.benchmark.as_deref().map(|id| format!(" ({})", escape(id))).unwrap_or_default();
        let _ = writeln!(text, "- `{}`{id}: {}", skipped.path.replace('`', "'"), escape(&skipped.reason));
    }
}
