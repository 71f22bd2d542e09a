//! `index.html`: the report as one self-contained page.
//!
//! Everything is inline (the CSS, the SVG charts, a few lines of script that sort the tables), so
//! the file can be attached to a CI run or mailed and still show everything: no network, no
//! external scripts. Every name that comes from a benchmark is escaped.
//!
//! The page is built to be read by tests as well as people: each group is a
//! `<section class="group" data-group="...">`, each chart a
//! `<figure class="chart" data-group="..." data-kind="time|speedup|efficiency">`, each table has a
//! class (`results`, `startup`, `scaling`, `ratios`) and the group's `data-group`, and the machine
//! section carries `data-cores`. The Python peers' section is `<section class="peers"
//! data-status="included|skipped|absent">`; their rows in a results table are `<tr class="python"
//! data-source="python">`; each row of a ratio table carries `data-executor`, `data-peer`,
//! `data-value` and `data-ratio` (the number, unrounded).

mod peers;
mod tables;

use std::fmt::Write as _;

use super::charts::{self, ChartKind};
use super::links::encode_path;
use super::{Error, Exporter};
use crate::schema::{Group, Summary};

/// Writes `index.html`.
pub(crate) struct HtmlExporter {
    /// The relative URL from the report's directory to the Criterion directory, when known.
    pub criterion_href: Option<String>,
    /// The trends section, drawn from the history (`trends.rs`).
    pub trends: String,
}

impl Exporter for HtmlExporter {
    fn file_name(&self) -> &'static str {
        "index.html"
    }

    fn export(&self, summary: &Summary) -> Result<Vec<u8>, Error> {
        Ok(render_page(summary, self.criterion_href.as_deref(), &self.trends).into_bytes())
    }
}

/// Escapes text for HTML content and for quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The page for `summary`. `criterion_href` is the relative URL from the page's directory to the
/// Criterion directory (ending in `/`); without it, Criterion's pages are named but not linked.
pub fn render(summary: &Summary, criterion_href: Option<&str>) -> String {
    render_page(summary, criterion_href, "")
}

/// The page, with `trends` (a section of HTML, possibly empty) after the groups.
fn render_page(summary: &Summary, criterion_href: Option<&str>, trends: &str) -> String {
    let cores = summary.machine.cores;
    let mut page = String::new();
    page.push_str(HEAD);
    let _ = write!(
        page,
        "<header><h1>poolbench: pool sizes, executors, and what the numbers mean</h1>\n\
         <p>Read from <code>{}</code> by {}; {} benchmark groups.</p></header>\n",
        escape(&summary.criterion_dir),
        escape(&summary.generator),
        summary.groups.len()
    );
    machine(&mut page, summary);
    if let Some(peers) = &summary.peers {
        peers::peers_section(&mut page, peers, summary.rows_from(crate::schema::Source::Python));
    }
    skipped(&mut page, summary);
    contents(&mut page, summary, !trends.is_empty());
    for (index, group) in summary.groups.iter().enumerate() {
        section(&mut page, index, group, cores, criterion_href);
    }
    page.push_str(trends);
    page.push_str(SCRIPT);
    page.push_str("</body>\n</html>\n");
    page
}

fn machine(page: &mut String, summary: &Summary) {
    let machine = &summary.machine;
    let git = match &machine.git {
        Some(git) => {
            format!("{}{}", git.commit, if git.dirty { " (dirty tree: uncommitted changes)" } else { "" })
        }
        None => "not a git checkout".to_owned(),
    };
    let _ = write!(
        page,
        "<section class=\"machine\" data-cores=\"{cores}\">\n<h2>Machine</h2>\n\
         <p class=\"cores\"><strong>{cores} cores.</strong> Pool sizes above {cores} oversubscribe this machine: \
         their workers take turns on the cores, which pays only when tasks wait (I/O), never for CPU-bound work.</p>\n\
         <dl>\n<dt>CPU</dt><dd>{}</dd>\n<dt>OS</dt><dd>{} {}</dd>\n<dt>rustc</dt><dd>{}</dd>\n\
         <dt>commit</dt><dd>{}</dd>\n<dt>written</dt><dd>{}</dd>\n</dl>\n</section>\n",
        escape(&machine.cpu_model),
        escape(&machine.os),
        escape(&machine.arch),
        escape(&machine.rustc),
        escape(&git),
        escape(&machine.date),
        cores = machine.cores,
    );
}

fn skipped(page: &mut String, summary: &Summary) {
    if summary.skipped.is_empty() {
        return;
    }
    let _ = write!(
        page,
        "<section class=\"skipped\">\n<h2>Skipped: {} benchmark file(s) could not be read</h2>\n<ul>\n",
        summary.skipped.len()
    );
    for skipped in &summary.skipped {
        let benchmark =
            skipped.benchmark.as_deref().map(|id| format!(" ({})", escape(id))).unwrap_or_default();
        let _ = writeln!(
            page,
            "<li><code class=\"path\">{}</code>{benchmark}: {}</li>",
            escape(&skipped.path),
            escape(&skipped.reason)
        );
    }
    page.push_str("</ul>\n<p>Run <code>cargo bench</code> again to measure them anew.</p>\n</section>\n");
}

fn contents(page: &mut String, summary: &Summary, trends: bool) {
    page.push_str("<nav><h2>Groups</h2>\n<ul>\n");
    for (index, group) in summary.groups.iter().enumerate() {
        let _ = writeln!(
            page,
            "<li><a href=\"#group-{index}\">{}</a>: {}</li>",
            escape(&group.id),
            escape(&group.headline)
        );
    }
    page.push_str("</ul>\n");
    if trends {
        page.push_str("<p><a href=\"#trends\">Trends across commits</a></p>\n");
    }
    page.push_str("</nav>\n");
}

fn section(page: &mut String, index: usize, group: &Group, cores: usize, criterion_href: Option<&str>) {
    let id = escape(&group.id);
    let _ =
        writeln!(page, "<section class=\"group\" id=\"group-{index}\" data-group=\"{id}\">\n<h2>{id}</h2>");
    let about = match &group.case {
        Some(case) => {
            let exercise = case.exercise.map(|e| format!("Notebook exercise {e}. ")).unwrap_or_default();
            format!("{exercise}{} task(s) per iteration: {}.", case.tasks, escape(&case.about))
        }
        None => "Not in poolbench's catalog: reported as measured, without tasks per second.".to_owned(),
    };
    let _ = writeln!(page, "<p class=\"about\">{about}</p>");
    let _ = writeln!(
        page,
        "<p class=\"headline\"><strong>What this says:</strong> {}</p>",
        escape(&group.headline)
    );
    charts(page, group, &id, cores);
    tables::results_table(page, group, &id, cores, criterion_href);
    tables::ratios_table(page, group, &id);
    tables::startup_table(page, group, &id);
    tables::scaling_table(page, group, &id);
    if let Some(group_page) = &group.criterion_page {
        let link = link(criterion_href, group_page, "this group on one chart");
        let _ = writeln!(page, "<p class=\"criterion-links\">Criterion's own page: {link}.</p>");
    }
    page.push_str("</section>\n");
}

fn charts(page: &mut String, group: &Group, id: &str, cores: usize) {
    let mut drawn = 0;
    page.push_str("<div class=\"charts\">\n");
    for kind in ChartKind::ALL {
        let figure = |body: &str, class: &str| {
            format!(
                "<figure class=\"{class}\" data-group=\"{id}\" data-kind=\"{}\">\n{body}\n<figcaption>{}</figcaption>\n</figure>\n",
                kind.name(),
                escape(&kind.caption(cores))
            )
        };
        match charts::draw(group, kind, cores) {
            Ok(Some(svg)) => {
                drawn += 1;
                page.push_str(&figure(&svg, "chart"));
            }
            Ok(None) => {}
            Err(err) => page.push_str(&figure(&format!("<p>{}</p>", escape(&err)), "chart unavailable")),
        }
    }
    page.push_str("</div>\n");
    if drawn < ChartKind::ALL.len() {
        let why = if group.results.iter().all(|row| row.size.is_none()) {
            "no executor ran at a numeric pool size"
        } else {
            "no Sequential run to divide by, so no speedup or efficiency"
        };
        let _ = writeln!(page, "<p class=\"note\">Charts left out: {why}.</p>");
    }
}

pub(super) fn link(criterion_href: Option<&str>, path: &str, text: &str) -> String {
    match criterion_href {
        Some(base) => format!("<a href=\"{}{}\">{text}</a>", escape(base), escape(&encode_path(path))),
        None => format!("<code>{}</code>", escape(path)),
    }
}

const HEAD: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>poolbench report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em; color: #222; }
h1 { font-size: 1.5em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
code { background: #f4f4f4; padding: 0 .2em; }
.machine .cores, .headline { background: #f3f7fb; border-left: 4px solid #0072b2; padding: .5em .8em; }
.skipped { background: #fff4e5; border-left: 4px solid #d55e00; padding: .2em 1em; }
dl { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; } dd { margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; max-width: 520px; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .85em; color: #555; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
th, td { border: 1px solid #ddd; padding: .25em .5em; text-align: right; }
td:first-child, th:first-child, .scaling td:last-child { text-align: left; }
.sortable th { cursor: pointer; background: #f4f4f4; } th { background: #f4f4f4; }
tr.oversubscribed td { color: #666; } tr.not-meaningful td { color: #777; }
tr.python td { background: #fbf8ef; font-style: italic; } tr.within-noise td { color: #777; }
.peers { background: #f7f3e8; border-left: 4px solid #e69f00; padding: .2em 1em; }
.note { font-size: .85em; color: #555; }
.trend td:nth-child(2) { padding: 0 .3em; } .sparkline { display: block; }
</style>
</head>
<body>
"#;

/// Sorts a table by the clicked column: by `data-sort` when the cell has it, else by text.
const SCRIPT: &str = r#"<script>
for (const th of document.querySelectorAll("table.sortable th")) {
  th.addEventListener("click", () => {
    const body = th.closest("table").tBodies[0], column = th.cellIndex;
    const ascending = th.dataset.order !== "asc";
    th.dataset.order = ascending ? "asc" : "desc";
    const key = (row) => {
      const cell = row.cells[column];
      if (cell.dataset.sort === undefined) return cell.textContent;
      return cell.dataset.sort === "" ? Infinity : Number(cell.dataset.sort);
    };
    const rows = Array.from(body.rows).sort((a, b) => {
      const x = key(a), y = key(b);
      const order = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y));
      return ascending ? order : -order;
    });
    for (const row of rows) body.appendChild(row);
  });
}
</script>
"#;
