//! `summary.md`: the report's tables in GitHub-flavoured Markdown, for a pull-request comment.
//!
//! Compact on purpose: the machine in one line, the Python peers in another, then per group its
//! headline and its tables from the report's table model (`report/table/`), drawn by `table.rs`
//! with their compact columns only. Per-sample data and charts stay in `summary.json` and
//! `index.html`. Names are backslash-escaped, so a benchmark called `<script>` or `a|b` neither
//! injects HTML nor breaks a table.

mod table;

use std::fmt::Write as _;

use super::table::{PeersSection, ratios_table, results_table, scaling_table, skipped_list, startup_table};
use super::{Error, Exporter};
use crate::format::markdown::{code, escape};
use crate::schema::{Group, PeersStatus, Source, Summary};

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

/// The Markdown for `summary`.
pub fn render(summary: &Summary) -> String {
    let machine = &summary.machine;
    let mut text = String::new();
    let _ = writeln!(text, "## poolbench report\n");
    let _ = writeln!(
        text,
        "**Machine:** {}. Pool sizes above {} oversubscribe it.\n",
        escape(&machine.describe()),
        machine.cores
    );
    if let Some(peers) = &summary.peers {
        peers_line(&mut text, &PeersSection::new(peers, summary.rows_from(Source::Python)));
    }
    if let Some(skipped) = skipped_list(&summary.skipped) {
        let _ = writeln!(text, "**{}:**\n", escape(&skipped.heading));
        for item in &skipped.items {
            let benchmark =
                item.benchmark.as_deref().map(|id| format!(" ({})", escape(id))).unwrap_or_default();
            let _ = writeln!(text, "- {}{benchmark}: {}", code(&item.subject), escape(&item.reason));
        }
        text.push('\n');
    }
    for group in &summary.groups {
        section(&mut text, group, machine.cores);
    }
    let _ = writeln!(
        text,
        "<sub>Times are medians per iteration with 95% confidence intervals. Speedup is Sequential's median over \
         the row's; its interval divides opposite bounds, so it is wider than a 95% interval. † more workers than cores. \
         Written by {}.</sub>",
        escape(&summary.generator)
    );
    text
}

fn peers_line(text: &mut String, peers: &PeersSection) {
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
    for failure in &peers.failures {
        let _ = writeln!(text, "- failed, left out: {}: {}", code(&failure.subject), escape(&failure.reason));
    }
    if !peers.failures.is_empty() {
        text.push('\n');
    }
}

fn section(text: &mut String, group: &Group, cores: usize) {
    let _ = writeln!(text, "### {}\n", escape(&group.id));
    if let Some(case) = &group.case {
        let _ = writeln!(text, "_{}_ ({} task(s) per iteration)\n", escape(&case.about), case.tasks);
    }
    let _ = writeln!(text, "{}\n", escape(&group.headline));
    table::table(text, &results_table(group, cores));
    for table in [ratios_table(group), startup_table(group), scaling_table(group)].iter().flatten() {
        table::table(text, table);
    }
}
