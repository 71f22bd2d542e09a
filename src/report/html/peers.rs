//! The page's Python peers section: whether the peers ran, on what, and what failed.

use std::fmt::Write as _;

use super::escape;
use crate::schema::{Peers, PeersStatus};

pub(super) fn peers_section(page: &mut String, peers: &Peers, rows: usize) {
    let status = match peers.status {
        PeersStatus::Measured => "included",
        PeersStatus::Skipped => "skipped",
    };
    let _ = writeln!(page, "<section class=\"peers\" data-status=\"{status}\">\n<h2>Python peers</h2>");
    let reason = escape(peers.reason.as_deref().unwrap_or("no reason given"));
    match peers.status {
        PeersStatus::Skipped => {
            let _ = writeln!(page, "<p class=\"reason\"><strong>Skipped:</strong> {reason}</p>");
        }
        PeersStatus::Measured => {
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
                rows
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
            if let Some(path) = &peers.path {
                item("file", path.clone());
            }
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
