//! The page's tables, one per kind: results, the Python ratios, the start-up split, the scaling
//! fits. Each carries a class and the group's `data-group`, so tests find them.

use std::fmt::Write as _;

use super::{escape, link};
use crate::format::{duration_ns, rate, ratio, significant};
use crate::schema::{Group, Source};

pub(super) fn results_table(
    page: &mut String,
    group: &Group,
    id: &str,
    cores: usize,
    criterion_href: Option<&str>,
) {
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
            (None, Some(value)) if row.executor.is_none() || row.source != Source::Criterion => {
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
        let python = row.source != Source::Criterion;
        let class = match (over, python) {
            (true, true) => " class=\"oversubscribed python\"",
            (true, false) => " class=\"oversubscribed\"",
            (false, true) => " class=\"python\"",
            (false, false) => "",
        };
        let source = escape(row.source.name());
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

pub(super) fn ratios_table(page: &mut String, group: &Group, id: &str) {
    if group.ratios.is_empty() {
        if group.results.iter().any(|row| row.source != Source::Criterion) {
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
        let executor = pair.poolbench_label();
        let size = escape(&pair.size_label());
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

pub(super) fn startup_table(page: &mut String, group: &Group, id: &str) {
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

pub(super) fn scaling_table(page: &mut String, group: &Group, id: &str) {
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
