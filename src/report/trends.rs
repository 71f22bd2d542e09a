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
use std::fmt::Write as _;
use std::path::Path;

use super::history::History;
use super::html::escape;
use crate::format::duration_ns;
use crate::schema::Summary;
use crate::schema::history::{Point, Run};

/// The most runs drawn per benchmark: the newest.
pub const MAX_RUNS: usize = 30;

const WIDTH: f64 = 180.0;
const HEIGHT: f64 = 36.0;
const PAD: f64 = 4.0;

/// The trends section for `summary`'s page, from `history` (read from `path`, or the reason it
/// could not be).
pub fn section(history: Result<&History, String>, summary: &Summary, path: &Path) -> String {
    let mut page = String::from("<section class=\"trends\" id=\"trends\">\n<h2>Trends across commits</h2>\n");
    let history = match history {
        Ok(history) => history,
        Err(reason) => {
            let _ = writeln!(page, "<p class=\"note\">No trends: {}.</p>\n</section>", escape(&reason));
            return page;
        }
    };
    let runs = runs_to_draw(history, summary);
    let _ = writeln!(
        page,
        "<p class=\"about\">The median of each benchmark over the last {} runs on this machine (those recorded in \
         <code>{}</code>, and this report), oldest on the left; the band is the median's 95% interval. \
         Hover a point for its commit.</p>",
        runs.len(),
        escape(&path.display().to_string()),
    );
    if !history.skipped.is_empty() {
        let lines: Vec<String> =
            history.skipped.iter().map(|bad| format!("line {}: {}", bad.line, escape(&bad.reason))).collect();
        let _ = writeln!(
            page,
            "<p class=\"note skipped-lines\">Skipped {} unreadable line(s) of the history: {}.</p>",
            history.skipped.len(),
            lines.join("; ")
        );
    }
    if runs.len() < 2 {
        let _ = writeln!(
            page,
            "<p class=\"note\">A trend needs two runs on this machine; {} so far. Every <code>cargo bench</code> adds one.</p>\n</section>",
            runs.len()
        );
        return page;
    }
    for group in &summary.groups {
        let rows: Vec<String> = group.results.iter().map(|row| row.key()).collect();
        let _ = writeln!(
            page,
            "<h3>{}</h3>\n<table class=\"trend\" data-group=\"{}\">\n<thead><tr><th>benchmark</th><th>median across runs</th>\
             <th>runs</th><th>first</th><th>last</th><th>last vs first</th></tr></thead>\n<tbody>",
            escape(&group.id),
            escape(&group.id)
        );
        for key in rows {
            trend_row(&mut page, &key, &runs);
        }
        page.push_str("</tbody>\n</table>\n");
    }
    page.push_str("</section>\n");
    page
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

fn trend_row(page: &mut String, key: &str, runs: &[Run]) {
    let points: BTreeMap<usize, (&Run, Point)> = runs
        .iter()
        .enumerate()
        .filter_map(|(index, run)| run.benchmarks.get(key).map(|point| (index, (run, *point))))
        .collect();
    let (Some((_, first)), Some((_, last))) = (points.values().next(), points.values().next_back()) else {
        return;
    };
    let change = (last.median_ns.point / first.median_ns.point - 1.0) * 100.0;
    let _ = writeln!(
        page,
        "<tr data-benchmark=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        escape(key),
        escape(key),
        sparkline(&points, runs.len()),
        points.len(),
        duration_ns(first.median_ns.point),
        duration_ns(last.median_ns.point),
        if change.is_finite() { format!("{change:+.1}%") } else { "—".to_owned() },
    );
}

fn sparkline(points: &BTreeMap<usize, (&Run, Point)>, runs: usize) -> String {
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
    let mut svg = format!(
        "<svg class=\"sparkline\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\">\
         <polygon points=\"{} {}\" fill=\"#cfe3f3\"/><polyline points=\"{}\" fill=\"none\" stroke=\"#0072b2\" stroke-width=\"1.5\"/>",
        upper.join(" "),
        band.join(" "),
        coordinates(|point| point.median_ns.point).join(" "),
    );
    for (&index, (run, point)) in points {
        let commit = match &run.machine.git {
            Some(git) => format!(
                "{}{}",
                git.commit.get(..10).unwrap_or(&git.commit),
                if git.dirty { " (dirty)" } else { "" }
            ),
            None => "no commit".to_owned(),
        };
        let _ = write!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\" fill=\"#0072b2\"><title>{}, {}: {} ({} – {})</title></circle>",
            x(index),
            y(point.median_ns.point),
            escape(&commit),
            escape(&run.machine.date),
            duration_ns(point.median_ns.point),
            duration_ns(point.median_ns.lower),
            duration_ns(point.median_ns.upper),
        );
    }
    svg.push_str("</svg>");
    svg
}
