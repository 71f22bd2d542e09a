//! `summary.md`: the report's tables in GitHub-flavoured Markdown, for a pull-request comment.
//!
//! Compact on purpose: the machine in one line, the Python peers in another, then per group its
//! headline and one table (the ratios against the Python peers, the start-up split and the
//! meaningful scaling fits in a line or a small table each). Per-sample
//! data and charts stay in `summary.json` and `index.html`. Names are backslash-escaped, so a
//! benchmark called `<script>` or `a|b` neither injects HTML nor breaks a table.

use std::fmt::Write as _;

use super::{Error, Exporter};
use crate::format::markdown::escape;
use crate::format::{duration_ns, rate, ratio, significant};
use crate::schema::{Group, Peers, PeersStatus, Source, Summary};

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
        peers_line(&mut text, peers, summary.rows_from(Source::Python));
    }
    if !summary.skipped.is_empty() {
        let _ =
            writeln!(text, "**Skipped** ({} benchmark file(s) could not be read):\n", summary.skipped.len());
        for skipped in &summary.skipped {
            let benchmark =
                skipped.benchmark.as_deref().map(|id| format!(" ({})", escape(id))).unwrap_or_default();
            let _ = writeln!(
                text,
                "- `{}`{benchmark}: {}",
                skipped.path.replace('`', "'"),
                escape(&skipped.reason)
            );
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

fn peers_line(text: &mut String, peers: &Peers, rows: usize) {
    let reason = escape(peers.reason.as_deref().unwrap_or("no reason given"));
    match peers.status {
        PeersStatus::Skipped => {
            let _ = writeln!(text, "**Python peers:** skipped: {reason}\n");
        }
        PeersStatus::Measured => {
            let python = peers.python.as_ref().map_or_else(
                || "Python".to_owned(),
                |python| {
                    format!(
                        "{} {}, start methods {}",
                        python.implementation,
                        python.version,
                        python.start_methods.join(", ")
                    )
                },
            );
            let quick = match &peers.parameters {
                Some(parameters) if parameters.quick => " A --quick run: indicative only.",
                _ => "",
            };
            let _ = writeln!(
                text,
                "**Python peers:** {} rows from the notebook's own programs ({}), same inputs and chunking, \
                 results checked. Ratio = Python median ÷ poolbench median: above 1, poolbench is faster.{quick}\n",
                rows,
                escape(&python)
            );
            for failure in &peers.failures {
                let _ = writeln!(
                    text,
                    "- failed, left out: `{}`: {}",
                    failure.id.replace('`', "'"),
                    escape(&failure.reason)
                );
            }
            if !peers.failures.is_empty() {
                text.push('\n');
            }
        }
    }
}

fn ratios(text: &mut String, group: &Group) {
    if group.ratios.is_empty() {
        return;
    }
    text.push_str(
        "Against the Python peers:\n\n| poolbench | Python peer | size | poolbench median | Python median | ratio | in words |\n\
         |---|---|--:|--:|--:|--:|---|\n",
    );
    for pair in &group.ratios {
        let size = escape(&pair.size_label());
        let _ = writeln!(
            text,
            "| {} | {} | {size} | {} | {} | {} | {} |",
            escape(pair.poolbench_label()),
            escape(&pair.peer_label),
            duration_ns(pair.median_ns.point),
            duration_ns(pair.peer_median_ns.point),
            ratio(pair.ratio.point),
            escape(&pair.sentence),
        );
    }
    text.push('\n');
}

fn section(text: &mut String, group: &Group, cores: usize) {
    let _ = writeln!(text, "### {}\n", escape(&group.id));
    if let Some(case) = &group.case {
        let _ = writeln!(text, "_{}_ ({} task(s) per iteration)\n", escape(&case.about), case.tasks);
    }
    let _ = writeln!(text, "{}\n", escape(&group.headline));
    text.push_str("| executor | size | median | 95% CI | mean | speedup | efficiency | tasks/s | n |\n");
    text.push_str("|---|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    for row in &group.results {
        let over = row.size.is_some_and(|size| usize::try_from(size).is_ok_and(|size| size > cores));
        let size = match (row.size, &row.value) {
            (Some(size), _) => format!("{size}{}", if over { "†" } else { "" }),
            // Without an executor the value is an input (the task suite), not a pool size; so is a
            // Python peer's value that is no size (its executor is `python` there).
            (None, Some(value)) if row.executor.is_none() || row.source != Source::Criterion => {
                format!("input {}", escape(value))
            }
            (None, Some(value)) => escape(value),
            (None, None) => String::new(),
        };
        let dash = || "—".to_owned();
        let _ = writeln!(
            text,
            "| {} | {size} | {} | {} – {} | {} | {} | {} | {} | {} |",
            escape(row.executor.as_deref().unwrap_or("—")),
            duration_ns(row.median_ns.point),
            duration_ns(row.median_ns.lower),
            duration_ns(row.median_ns.upper),
            duration_ns(row.mean_ns.point),
            row.speedup.map_or_else(dash, |s| ratio(s.point)),
            row.efficiency.map_or_else(dash, significant),
            row.tasks_per_second.map_or_else(dash, rate),
            row.n,
        );
    }
    text.push('\n');
    ratios(text, group);
    if let Some(startup) = &group.startup {
        if startup.rows.is_empty() {
            let _ = writeln!(
                text,
                "No start-up split: {} has no matching executor and size in these results.\n",
                escape(&startup.steady_state_group)
            );
        } else {
            let _ = writeln!(
                text,
                "Start-up + shut-down (end to end minus {}):\n\n| executor | size | end to end | steady state | start-up |\n|---|--:|--:|--:|--:|",
                escape(&startup.steady_state_group)
            );
            for row in &startup.rows {
                let _ = writeln!(
                    text,
                    "| {} | {} | {} | {} | {}{} |",
                    escape(&row.executor),
                    escape(row.value.as_deref().unwrap_or("")),
                    duration_ns(row.end_to_end_ns.point),
                    duration_ns(row.steady_state_ns.point),
                    duration_ns(row.startup_ns),
                    if row.within_noise { " (noise)" } else { "" },
                );
            }
            text.push('\n');
        }
    }
    for fit in &group.scaling {
        let _ = writeln!(text, "- Scaling of {}: {}", escape(&fit.executor), escape(&fit.verdict));
    }
    if !group.scaling.is_empty() {
        text.push('\n');
    }
}
