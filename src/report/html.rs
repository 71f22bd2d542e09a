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

use std::fmt::Write as _;

use super::charts::{self, ChartKind};
use super::format::{duration_ns, rate, ratio, significant};
use super::links::encode_path;
use super::summary::{Group, Peers, PeersStatus, SOURCE_CRITERION, Summary};
use super::{Error, Exporter};

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
        peers_section(&mut page, peers);
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

fn peers_section(page: &mut String, peers: &Peers) {
    let status = match peers.status {
        PeersStatus::Included => "included",
        PeersStatus::Skipped => "skipped",
        PeersStatus::Absent => "absent",
    };
    let _ = writeln!(page, "<section class=\"peers\" data-status=\"{status}\">\n<h2>Python peers</h2>");
    let reason = escape(peers.reason.as_deref().unwrap_or("no reason given"));
    match peers.status {
        PeersStatus::Skipped => {
            let _ = writeln!(page, "<p class=\"reason\"><strong>Skipped:</strong> {reason}</p>");
        }
        PeersStatus::Absent => {
            let _ = writeln!(page, "<p class=\"reason\"><strong>None:</strong> {reason}</p>");
        }
        PeersStatus::Included => {
            let python = peers.python.as_ref().map_or_else(
                || "Python".to_owned(),
                |python| format!("{} {}", python.implementation, python.version),
            );
            let _ = writeln!(
                page,
                "<p>The notebook's own Python programs, run by {} in the same run with \
                 <code>scripts/python_peers.py</code>: the same inputs, <code>Pool.map</code> with its default \
                 chunksize (poolbench's rule), every result checked. {} rows, marked <em>python</em> in the tables \
                 below; each group compares them with poolbench's executors. A <strong>ratio</strong> is the \
                 Python median over poolbench's: above 1, poolbench is that many times faster.</p>",
                escape(&python),
                peers.rows
            );
            page.push_str("<dl>\n");
            let mut item = |term: &str, text: String| {
                let _ = writeln!(page, "<dt>{term}</dt><dd>{}</dd>", escape(&text));
            };
            if let Some(python) = &peers.python {
                item("interpreter", format!("{} ({})", python.executable, python.platform));
                let default = python.default_start_method.as_deref().unwrap_or("unknown");
                item("start methods", format!("{} (default {default})", python.start_methods.join(", ")));
            }
            if let Some(parameters) = &peers.parameters {
                let list = |sizes: &[u32]| sizes.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
                item(
                    "sizes",
                    format!("{}; crossover {}", list(&parameters.sizes), list(&parameters.crossover_sizes)),
                );
                item(
                    "samples",
                    format!(
                        "{} to {} per measurement, {} s budget each{}{}",
                        parameters.min_samples,
                        parameters.max_samples,
                        parameters.budget_seconds,
                        if parameters.warm_up { ", after one untimed run" } else { "" },
                        if parameters.quick { " (a --quick run: indicative only)" } else { "" },
                    ),
                );
                if let Some(filter) = &parameters.filter {
                    item("filter", filter.clone());
                }
                item(
                    "io-tcp",
                    parameters.latency_server.as_ref().map_or_else(
                        || "not run: no latency server".to_owned(),
                        |addr| format!("against the latency server at {addr}"),
                    ),
                );
            }
            if let (Some(started), Some(seconds)) = (&peers.started, peers.wall_seconds) {
                item("ran", format!("{started}, {seconds:.1} s"));
            }
            item("file", peers.path.clone());
            page.push_str("</dl>\n");
        }
    }
    if !peers.failures.is_empty() {
        let _ = writeln!(page, "<p>Measurements that failed, left out:</p>\n<ul class=\"failures\">");
        for failure in &peers.failures {
            let _ =
                writeln!(page, "<li><code>{}</code>: {}</li>", escape(&failure.id), escape(&failure.reason));
        }
        page.push_str("</ul>\n");
    }
    page.push_str("</section>\n");
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
    results_table(page, group, &id, cores, criterion_href);
    ratios_table(page, group, &id);
    startup_table(page, group, &id);
    scaling_table(page, group, &id);
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

fn results_table(page: &mut String, group: &Group, id: &str, cores: usize, criterion_href: Option<&str>) {
    let _ = writeln!(
        page,
        "<table class=\"results sortable\" data-group=\"{id}\">\n<thead><tr><th>executor</th><th>size</th>\
         <th>median</th><th>95% CI</th><th>mean</th><th>95% CI</th><th>std dev</th><th>samples</th>\
         <th>speedup</th><th>interval*</th><th>efficiency</th><th>tasks/s</th><th>Criterion</th></tr></thead>\n<tbody>"
    );
    let mut oversubscribed = false;
    for row in &group.results {
        let over = row.size.is_some_and(|size| usize::try_from(size).is_ok_and(|size| size > cores));
        oversubscribed |= over;
        let size = match (row.size, &row.value) {
            (Some(size), _) if over => format!("{size}†"),
            (Some(size), _) => size.to_string(),
            // Without an executor the value is an input (the task suite), not a pool size; so is a
            // Python peer's value that is no size (its executor is `python` there).
            (None, Some(value)) if row.executor.is_none() || row.source != SOURCE_CRITERION => {
                format!("input {}", escape(value))
            }
            (None, Some(value)) => escape(value),
            (None, None) => String::new(),
        };
        let sort_key = |value: Option<f64>| value.map(|v| v.to_string()).unwrap_or_default();
        let interval =
            |lower: f64, upper: f64, show: fn(f64) -> String| format!("{} – {}", show(lower), show(upper));
        let page_link = match &row.criterion_page {
            Some(path) => link(criterion_href, path, "page"),
            None => String::new(),
        };
        let python = row.source != SOURCE_CRITERION;
        let class = match (over, python) {
            (true, true) => " class=\"oversubscribed python\"",
            (true, false) => " class=\"oversubscribed\"",
            (false, true) => " class=\"python\"",
            (false, false) => "",
        };
        let source = escape(&row.source);
        let _ = writeln!(
            page,
            "<tr{class} data-source=\"{source}\"><td>{executor}</td><td data-sort=\"{size_key}\">{size}</td>\
             <td data-sort=\"{median}\">{median_text}</td><td>{median_ci}</td>\
             <td data-sort=\"{mean}\">{mean_text}</td><td>{mean_ci}</td>\
             <td data-sort=\"{std_dev}\">{std_dev_text}</td><td data-sort=\"{n}\">{n}</td>\
             <td data-sort=\"{speedup}\">{speedup_text}</td><td>{speedup_ci}</td>\
             <td data-sort=\"{efficiency}\">{efficiency_text}</td>\
             <td data-sort=\"{tasks}\">{tasks_text}</td><td>{page_link}</td></tr>",
            executor = escape(row.executor.as_deref().unwrap_or("—")),
            size_key = sort_key(row.size.map(f64::from)),
            median = row.median_ns.point,
            median_text = duration_ns(row.median_ns.point),
            median_ci = interval(row.median_ns.lower, row.median_ns.upper, duration_ns),
            mean = row.mean_ns.point,
            mean_text = duration_ns(row.mean_ns.point),
            mean_ci = interval(row.mean_ns.lower, row.mean_ns.upper, duration_ns),
            std_dev = row.std_dev_ns,
            std_dev_text = duration_ns(row.std_dev_ns),
            n = row.n,
            speedup = sort_key(row.speedup.map(|s| s.point)),
            speedup_text = row.speedup.map_or_else(|| "—".to_owned(), |s| ratio(s.point)),
            speedup_ci = row.speedup.map_or_else(String::new, |s| interval(s.lower, s.upper, ratio)),
            efficiency = sort_key(row.efficiency),
            efficiency_text = row.efficiency.map_or_else(|| "—".to_owned(), significant),
            tasks = sort_key(row.tasks_per_second),
            tasks_text = row.tasks_per_second.map_or_else(|| "—".to_owned(), rate),
        );
    }
    page.push_str("</tbody>\n</table>\n<p class=\"note\">* Speedup intervals divide the medians' opposite bounds: \
                   wider than a true 95% interval, read them as \"certainly within\". Click a heading to sort.");
    if oversubscribed {
        let _ = write!(page, " † More workers than the machine's {cores} cores.");
    }
    page.push_str("</p>\n");
}

fn ratios_table(page: &mut String, group: &Group, id: &str) {
    if group.ratios.is_empty() {
        if group.results.iter().any(|row| row.source != SOURCE_CRITERION) {
            page.push_str(
                "<p class=\"note\">No poolbench row here does a Python peer's work at the same size, so no ratio.</p>\n",
            );
        }
        return;
    }
    let _ = writeln!(
        page,
        "<h3>Against the Python peers</h3>\n<table class=\"ratios sortable\" data-group=\"{id}\">\n<thead><tr>\
         <th>poolbench</th><th>Python peer</th><th>size</th><th>poolbench median</th><th>Python median</th>\
         <th>ratio</th><th>interval*</th><th>in words</th></tr></thead>\n<tbody>"
    );
    for pair in &group.ratios {
        let executor = pair.executor.as_deref().unwrap_or("poolbench (one thread)");
        let size = match (pair.size, &pair.value) {
            (Some(size), _) => size.to_string(),
            (None, Some(value)) => format!("input {}", escape(value)),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            page,
            "<tr{} data-executor=\"{}\" data-peer=\"{}\" data-value=\"{}\" data-ratio=\"{}\"><td>{}</td><td>{}</td>\
             <td data-sort=\"{}\">{size}</td><td data-sort=\"{}\">{}</td><td data-sort=\"{}\">{}</td>\
             <td data-sort=\"{}\">{}</td><td>{} – {}</td><td>{}</td></tr>",
            if pair.within_noise { " class=\"within-noise\"" } else { "" },
            escape(pair.executor.as_deref().unwrap_or("")),
            escape(&pair.peer),
            escape(pair.value.as_deref().unwrap_or("")),
            pair.ratio.point,
            escape(executor),
            escape(&pair.peer_label),
            pair.size.map(|size| size.to_string()).unwrap_or_default(),
            pair.median_ns.point,
            duration_ns(pair.median_ns.point),
            pair.peer_median_ns.point,
            duration_ns(pair.peer_median_ns.point),
            pair.ratio.point,
            ratio(pair.ratio.point),
            ratio(pair.ratio.lower),
            ratio(pair.ratio.upper),
            escape(&pair.sentence),
        );
    }
    page.push_str(
        "</tbody>\n</table>\n<p class=\"note\">Ratio: the Python median over poolbench's, so above 1 poolbench is \
         faster. * The interval divides the medians' opposite bounds: read it as \"certainly within\".</p>\n",
    );
}

fn startup_table(page: &mut String, group: &Group, id: &str) {
    let Some(startup) = &group.startup else {
        return;
    };
    let steady = escape(&startup.steady_state_group);
    let _ = writeln!(page, "<h3>Start-up and shut-down (end to end minus <code>{steady}</code>)</h3>");
    if startup.rows.is_empty() {
        let _ = writeln!(
            page,
            "<p class=\"note\">No split: <code>{steady}</code> has no matching executor and size in these results \
             (a filtered run?). Run both suites to see it.</p>"
        );
        return;
    }
    let _ = writeln!(
        page,
        "<table class=\"startup sortable\" data-group=\"{id}\">\n<thead><tr><th>executor</th><th>size</th>\
         <th>end to end</th><th>steady state</th><th>start-up + shut-down</th><th>share of end to end</th></tr></thead>\n<tbody>"
    );
    for row in &startup.rows {
        let share = (row.end_to_end_ns.point > 0.0).then(|| row.startup_ns / row.end_to_end_ns.point * 100.0);
        let noise = if row.within_noise { " (within noise)" } else { "" };
        let _ = writeln!(
            page,
            "<tr><td>{}</td><td>{}</td><td data-sort=\"{}\">{}</td><td data-sort=\"{}\">{}</td>\
             <td data-sort=\"{}\">{}{noise}</td><td>{}</td></tr>",
            escape(&row.executor),
            escape(row.value.as_deref().unwrap_or("")),
            row.end_to_end_ns.point,
            duration_ns(row.end_to_end_ns.point),
            row.steady_state_ns.point,
            duration_ns(row.steady_state_ns.point),
            row.startup_ns,
            duration_ns(row.startup_ns),
            share.map_or_else(|| "—".to_owned(), |share| format!("{}%", significant(share))),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

fn scaling_table(page: &mut String, group: &Group, id: &str) {
    if group.scaling.is_empty() {
        return;
    }
    let _ = writeln!(
        page,
        "<h3>Scaling models</h3>\n<table class=\"scaling\" data-group=\"{id}\">\n<thead><tr><th>executor</th>\
         <th>baseline</th><th>sizes</th><th>Amdahl serial fraction</th><th>USL contention σ</th>\
         <th>USL coherency κ</th><th>USL R²</th><th>best size</th><th>verdict</th></tr></thead>\n<tbody>"
    );
    for fit in &group.scaling {
        let sizes: Vec<String> = fit.points.iter().map(|point| point.size.to_string()).collect();
        // Coefficients of a fit that means nothing would only be misread; summary.json keeps them.
        let or_dash = |value: Option<f64>| match value {
            Some(value) if fit.meaningful => significant(value),
            _ => "—".to_owned(),
        };
        let best = match (&fit.usl, fit.meaningful) {
            (Some(usl), true) => format!("{} ({})", usl.best_size, ratio(usl.best_speedup)),
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            page,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{best}</td><td>{}</td></tr>",
            if fit.meaningful { "meaningful" } else { "not-meaningful" },
            escape(&fit.executor),
            escape(fit.baseline.as_deref().unwrap_or("—")),
            sizes.join(", "),
            or_dash(fit.amdahl.map(|a| a.serial_fraction)),
            or_dash(fit.usl.map(|u| u.contention)),
            or_dash(fit.usl.map(|u| u.coherency)),
            or_dash(fit.usl.and_then(|u| u.r_squared)),
            escape(&fit.verdict),
        );
    }
    page.push_str("</tbody>\n</table>\n");
}

fn link(criterion_href: Option<&str>, path: &str, text: &str) -> String {
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
