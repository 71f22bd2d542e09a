//! `summary.md`: the report in GitHub-flavoured Markdown, sized for a pull-request comment.
//!
//! GitHub refuses a comment longer than [`GITHUB_COMMENT_LIMIT`] characters, and the whole
//! report does not fit (72 KB on the full suite). So the Markdown is the report's short form,
//! the telling rows first: the machine in one line, how quiet it was in another, the Python peers
//! in a third, then per group its headline and, from the report's table model (`report/table/`,
//! drawn by `table.rs`), the compact columns of the rows that tell its story: Sequential and each
//! executor at its fastest size, their ratios against the Python peers and their start-up cost,
//! and the scaling fits that mean something. Every row, the charts and the samples are left to
//! `index.html` and `summary.json`, and the file says so at its top.
//!
//! Whatever the input, the file stays within [`MAX_CHARS`]: the sections go in order while they
//! fit, and the ones that do not are counted in a closing line that points to `index.html`.
//! Names are backslash-escaped, so a benchmark called `<script>` or `a|b` neither injects HTML
//! nor breaks a table.

mod merged;
mod table;

pub(crate) use merged::render as render_merged;

use std::fmt::Write as _;

use super::table::Table;
use super::table::{
    PeersSection, answers_table, quiet_line, ratios_table, results_table, rounds_line, scaling_table,
    skipped_list, startup_table,
};
use super::{Error, Exporter};
use crate::bench::DISTURBANCE_THRESHOLD;
use crate::format::markdown::{code, escape};
use crate::format::share;
use crate::schema::{Group, PeersStatus, Source, Summary};

/// The most characters GitHub takes in a pull-request comment.
const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// The most characters `summary.md` holds: GitHub's limit less room for what a workflow adds
/// around it (a heading, the gate's verdict).
const MAX_CHARS: usize = 60_000;

/// The most skipped files or failed peer measurements listed one by one; `summary.json` has all.
const MAX_LISTED: usize = 20;

/// Writes `summary.md`.
pub(crate) struct MarkdownExporter;

impl Exporter for MarkdownExporter {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn export(&self, summary: &Summary) -> Result<Vec<u8>, Error> {
        Ok(render(summary).into_bytes())
    }
}

/// The Markdown for `summary`, at most 60,000 characters (GitHub takes 65,536 in a comment),
/// whatever the summary holds: the sections that do not fit are counted, not written.
pub fn render(summary: &Summary) -> String {
    let machine = &summary.machine;
    let mut head = String::from("## poolbench report\n\n");
    let _ = writeln!(
        head,
        "**Machine:** {}. Pool sizes above {} oversubscribe it.\n",
        escape(&machine.describe()),
        machine.cores
    );
    if let Some(quiet) = quiet_line(summary) {
        let mark = if quiet.warns { "⚠️ " } else { "" };
        let _ = writeln!(head, "**Load:** {mark}{}\n", escape(&quiet.sentence));
    }
    head.push_str(
        "Per group: what it says, and its telling rows (Sequential, and each executor at its fastest size, with \
         their ratios against the Python peers and start-up costs). Every row, interval, chart and sample is in \
         the report's `index.html` and `summary.json`.\n\n",
    );
    if let Some(answers) = answers_table(summary) {
        head.push_str(&answers_within(answers, MAX_CHARS / 3));
    }
    let footer = format!(
        "<sub>Times are Criterion's medians per iteration (its terminal line shows the mean), with 95% confidence \
         intervals. Speedup is paired where a group had interleaved rounds (Sequential's slot over the row's in \
         the same round, the median over the rounds), else Sequential's median over the row's; below 1 it is \
         written as a slowdown. Ratio = Python median ÷ poolbench median. † more workers \
         than cores. Cores busy = CPU time ÷ wall time, of the cores the benchmark could use; memory = what the \
         configuration holds at steady state (proportional set size of the bench process and the processes it \
         started, less the same before the executor started); ⚠️ disturbed = other programs took more than {} of \
         them. Written by {}.</sub>\n",
        share(DISTURBANCE_THRESHOLD),
        escape(&summary.generator)
    );
    let mut sections = Vec::new();
    if let Some(peers) = &summary.peers {
        sections.push(peers_line(&PeersSection::new(peers, summary.rows_from(Source::Python))));
    }
    if let Some(skipped) = skipped_list(&summary.skipped) {
        let mut text = format!("**{}:**\n\n", escape(&skipped.heading));
        for item in skipped.items.iter().take(MAX_LISTED) {
            let benchmark =
                item.benchmark.as_deref().map(|id| format!(" ({})", escape(id))).unwrap_or_default();
            let _ = writeln!(text, "- {}{benchmark}: {}", code(&item.subject), escape(&item.reason));
        }
        more(&mut text, skipped.items.len());
        text.push('\n');
        sections.push(text);
    }
    sections.extend(summary.groups.iter().map(|group| section(group, machine.cores)));
    within_budget(head, sections, footer)
}

/// The answers table in at most `budget` characters: as many groups as fit, in order, and a note
/// counting the others (every group's section and the page have them).
fn answers_within(mut answers: Table, budget: usize) -> String {
    let mut text = String::new();
    table::table(&mut text, &answers);
    let all = answers.rows.len();
    while text.chars().count() > budget && answers.rows.len() > 1 {
        // Cut in proportion to the excess, at least one row, then draw again.
        let keep = (answers.rows.len() * budget / text.chars().count()).min(answers.rows.len() - 1).max(1);
        answers.rows.truncate(keep);
        text.clear();
        table::table(&mut text, &answers);
    }
    if answers.rows.len() < all {
        let _ = writeln!(
            text,
            "{} more group(s) left out of this table to keep it short: see the report's `index.html`.\n",
            all - answers.rows.len()
        );
    }
    text
}

/// `head`, then each of `sections` that fits within [`MAX_CHARS`], then a line counting those
/// that did not, then `footer`.
fn within_budget(head: String, sections: Vec<String>, footer: String) -> String {
    // Room for the closing line about what was left out.
    const LEFT_OUT_LINE: usize = 200;
    let budget = MAX_CHARS.saturating_sub(footer.chars().count() + LEFT_OUT_LINE);
    let mut used = head.chars().count();
    let mut text = head;
    let mut left_out = 0;
    for section in sections {
        let length = section.chars().count();
        if used + length <= budget {
            used += length;
            text.push_str(&section);
        } else {
            left_out += 1;
        }
    }
    if left_out > 0 {
        let _ = writeln!(
            text,
            "**{left_out} more section(s) left out** to keep this under GitHub's {GITHUB_COMMENT_LIMIT}-character \
             comment limit: see the report's `index.html`.\n"
        );
    }
    text.push_str(&footer);
    text
}

/// "- and 12 more: see `summary.json`." when `count` is over [`MAX_LISTED`].
fn more(text: &mut String, count: usize) {
    if count > MAX_LISTED {
        let _ = writeln!(text, "- and {} more: see `summary.json`.", count - MAX_LISTED);
    }
}

fn peers_line(peers: &PeersSection) -> String {
    let mut text = String::new();
    match peers.status {
        PeersStatus::Skipped => {
            let _ = writeln!(text, "**Python peers:** skipped: {}\n", escape(&peers.reason));
        }
        PeersStatus::Measured => {
            let python = match &peers.start_methods {
                Some(methods) => format!("{}, start methods {methods}", peers.python),
                None => peers.python.clone(),
            };
            let quick = if peers.quick { " A --quick run: indicative only." } else { "" };
            let _ = writeln!(
                text,
                "**Python peers:** {} rows from the notebook's own programs ({}), same inputs and chunking, \
                 results checked. Ratio = Python median ÷ poolbench median: above 1, poolbench is faster.{quick}\n",
                peers.rows,
                escape(&python)
            );
        }
    }
    for failure in peers.failures.iter().take(MAX_LISTED) {
        let _ = writeln!(text, "- failed, left out: {}: {}", code(&failure.subject), escape(&failure.reason));
    }
    more(&mut text, peers.failures.len());
    if !peers.failures.is_empty() {
        text.push('\n');
    }
    text
}

fn section(group: &Group, cores: usize) -> String {
    let mut text = format!("### {}\n\n", escape(&group.id));
    if let Some(case) = &group.case {
        let _ = writeln!(text, "_{}_ ({} task(s) per iteration)\n", escape(&case.about), case.tasks);
    }
    let _ = writeln!(text, "{}\n", escape(&group.headline));
    if let Some(rounds) = rounds_line(group) {
        let _ = writeln!(text, "<sub>{}</sub>\n", escape(&rounds));
    }
    table::table(&mut text, &results_table(group, cores));
    for table in [ratios_table(group), startup_table(group), scaling_table(group)].iter().flatten() {
        table::table(&mut text, table);
    }
    text
}
