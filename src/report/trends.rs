//! The page's trends: each benchmark's median across the runs in `history.jsonl`, as a small
//! inline SVG line per benchmark (a sparkline), grouped like the rest of the page.
//!
//! Only runs on this report's machine are drawn (same cores, CPU, architecture and OS: another
//! machine's times are another curve), the last [`MAX_RUNS`] of them, so the page stays small:
//! a point is a circle with a tooltip (commit, date, median and interval), the interval a pale
//! band behind the line. The report being written is the last point even before `cargo bench`
//! appends it to the history.
//!
//! Hand-drawn rather than with plotters, which the charts use: a sparkline is one polyline and
//! one polygon, with no axes or text to lay out.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::history::{History, HistoryFile};
use crate::format::{duration_ns, visible};
use crate::schema::Summary;
use crate::schema::history::{Point, Run};

/// The most runs drawn per benchmark: the newest.
pub const MAX_RUNS: usize = 30;

const WIDTH: f64 = 180.0;
const HEIGHT: f64 = 36.0;
const PAD: f64 = 4.0;

/// The trends section for `summary`'s page, from `history`.
pub fn section(history: &HistoryFile, summary: &Summary) -> Markup {
    html! {
        section.trends id="trends" {
            "\n" h2 { "Trends across commits" } "\n"
            @match &history.contents {
                Err(reason) => { p.note { "No trends: " (visible(reason)) "." } "\n" }
                Ok(contents) => (body(contents, summary, &history.path.display().to_string())),
            }
        }
        "\n"
    }
}

fn body(history: &History, summary: &Summary, path: &str) -> Markup {
    let runs = runs_to_draw(history, summary);
    html! {
        p.about {
            "The median of each benchmark over the last " (runs.len()) " runs on this machine (those recorded in "
            code { (visible(path)) } ", and this report), oldest on the left; the band is the median's 95% interval. \
            Hover a point for its commit."
        }
        "\n"
        @if !history.skipped.is_empty() {
            p class="note skipped-lines" {
                "Skipped " (history.skipped.len()) " unreadable line(s) of the history: "
                @for (index, bad) in history.skipped.iter().enumerate() {
                    @if index > 0 { "; " }
                    "line " (bad.line) ": " (visible(&bad.reason))
                }
                "."
            }
            "\n"
        }
        @if runs.len() < 2 {
            p.note {
                "A trend needs two runs on this machine; " (runs.len()) " so far. Every " code { "cargo bench" }
                " adds one."
            }
            "\n"
        } @else {
            @for group in &summary.groups {
                h3 { (visible(&group.id)) } "\n"
                table.trend data-group=(visible(&group.id)) {
                    "\n"
                    thead { tr {
                        th { "benchmark" } th { "median across runs" } th { "runs" } th { "first" } th { "last" }
                        th { "last vs first" }
                    } }
                    "\n"
                    tbody {
                        "\n"
                        @for row in &group.results { (trend_row(&row.key(), &runs)) }
                    }
                    "\n"
                }
                "\n"
            }
        }
    }
}

/// The runs on `summary`'s machine, oldest first, ending with `summary` itself, at most
/// [`MAX_RUNS`].
fn runs_to_draw(history: &History, summary: &Summary) -> Vec<Run> {
    let same_machine = |run: &&Run| {
        let (a, b) = (&run.machine, &summary.machine);
        (a.cores, &a.cpu_model, &a.arch, &a.os) == (b.cores, &b.cpu_model, &b.arch, &b.os)
    };
    let mut runs: Vec<Run> = history.runs.iter().filter(same_machine).cloned().collect();
    if !runs.last().is_some_and(|last| last.is_same_run(&summary.machine)) {
        runs.push(Run::from_summary(summary, |_| true));
    }
    let skip = runs.len().saturating_sub(MAX_RUNS);
    runs.split_off(skip)
}

fn trend_row(key: &str, runs: &[Run]) -> Markup {
    let points: BTreeMap<usize, (&Run, Point)> = runs
        .iter()
        .enumerate()
        .filter_map(|(index, run)| run.benchmarks.get(key).map(|point| (index, (run, *point))))
        .collect();
    let (Some((_, first)), Some((_, last))) = (points.values().next(), points.values().next_back()) else {
        return html! {};
    };
    let change = (last.median_ns.point / first.median_ns.point - 1.0) * 100.0;
    html! {
        tr data-benchmark=(visible(key)) {
            td { (visible(key)) }
            td { (sparkline(&points, runs.len())) }
            td { (points.len()) }
            td { (duration_ns(first.median_ns.point)) }
            td { (duration_ns(last.median_ns.point)) }
            td { @if change.is_finite() { (format!("{change:+.1}%")) } @else { "—" } }
        }
        "\n"
    }
}

fn sparkline(points: &BTreeMap<usize, (&Run, Point)>, runs: usize) -> Markup {
    let low = points
        .values()
        .map(|(_, point)| point.median_ns.lower.min(point.median_ns.point))
        .fold(f64::INFINITY, f64::min);
    let high = points
        .values()
        .map(|(_, point)| point.median_ns.upper.max(point.median_ns.point))
        .fold(f64::NEG_INFINITY, f64::max);
    let span = if high > low { high - low } else { 1.0 };
    let x = |index: usize| PAD + (WIDTH - 2.0 * PAD) * index as f64 / (runs.max(2) - 1) as f64;
    let y = |value: f64| HEIGHT - PAD - (HEIGHT - 2.0 * PAD) * (value - low) / span;
    let coordinates = |value: fn(&Point) -> f64| -> Vec<String> {
        points.iter().map(|(&index, (_, point))| format!("{:.1},{:.1}", x(index), y(value(point)))).collect()
    };
    let upper = coordinates(|point| point.median_ns.upper);
    let mut band = coordinates(|point| point.median_ns.lower);
    band.reverse();
    let band = format!("{} {}", upper.join(" "), band.join(" "));
    let line = coordinates(|point| point.median_ns.point).join(" ");
    html! {
        svg.sparkline width=(WIDTH) height=(HEIGHT) viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img" {
            polygon points=(band) fill="#cfe3f3" {}
            polyline points=(line) fill="none" stroke="#0072b2" stroke-width="1.5" {}
            @for (&index, (run, point)) in points {
                @let commit = match &run.machine.git {
                    Some(git) => format!(
                        "{}{}",
                        git.commit.get(..10).unwrap_or(&git.commit),
                        if git.dirty { " (dirty)" } else { "" }
                    ),
                    None => "no commit".to_owned(),
                };
                circle cx=(format!("{:.1}", x(index))) cy=(format!("{:.1}", y(point.median_ns.point))) r="2"
                    fill="#0072b2" {
                    title {
                        (visible(&commit)) ", " (visible(&run.machine.date)) ": " (duration_ns(point.median_ns.point)) " ("
                        (duration_ns(point.median_ns.lower)) " – " (duration_ns(point.median_ns.upper)) ")"
                    }
                }
            }
        }
    }
}
