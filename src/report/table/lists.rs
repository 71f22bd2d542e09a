//! The report's lists, built once for the page and the Markdown: the benchmark files that could
//! not be read, and the Python peers' section (how they ran, what failed).

use crate::schema::{Peers, PeersStatus, Skipped};

/// Something left out of the report, and why: a file that could not be read, a peer's
/// measurement that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    /// What was left out: a path or an id, shown as code.
    pub subject: String,
    /// The benchmark it belongs to, when known.
    pub benchmark: Option<String>,
    /// Why.
    pub reason: String,
}

/// The skipped files, with the heading both renderers give them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedList {
    /// "Skipped: 2 benchmark file(s) could not be read".
    pub heading: String,
    /// One per file.
    pub items: Vec<Item>,
}

/// The skipped files of a summary; `None` when every file was read.
pub(crate) fn skipped_list(skipped: &[Skipped]) -> Option<SkippedList> {
    (!skipped.is_empty()).then(|| SkippedList {
        heading: format!("Skipped: {} benchmark file(s) could not be read", skipped.len()),
        items: skipped
            .iter()
            .map(|skipped| Item {
                subject: skipped.path.clone(),
                benchmark: skipped.benchmark.clone(),
                reason: skipped.reason.clone(),
            })
            .collect(),
    })
}

/// The Python peers: whether they ran, on what, and what failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeersSection {
    /// Whether they were measured.
    pub status: PeersStatus,
    /// Why they were skipped.
    pub reason: String,
    /// The interpreter: `CPython 3.11.7`, or `Python` when the file does not say.
    pub python: String,
    /// The multiprocessing start methods it has, when the file says.
    pub start_methods: Option<String>,
    /// Their rows in the report.
    pub rows: usize,
    /// Whether it was a `--quick` run, indicative only.
    pub quick: bool,
    /// How they ran, term by term: interpreter, sizes, samples, ...
    pub facts: Vec<(&'static str, String)>,
    /// Measurements that failed and were left out.
    pub failures: Vec<Item>,
}

impl PeersSection {
    /// The section for `peers`, whose rows in the report number `rows`.
    pub fn new(peers: &Peers, rows: usize) -> Self {
        let mut facts = Vec::new();
        if let Some(python) = &peers.python {
            facts.push(("interpreter", format!("{} ({})", python.executable, python.platform)));
            let default = python.default_start_method.as_deref().unwrap_or("unknown");
            facts.push(("start methods", format!("{} (default {default})", python.start_methods.join(", "))));
        }
        if let Some(parameters) = &peers.parameters {
            let list = |sizes: &[u32]| sizes.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            facts.push((
                "sizes",
                format!("{}; crossover {}", list(&parameters.sizes), list(&parameters.crossover_sizes)),
            ));
            facts.push((
                "samples",
                format!(
                    "{} to {} per measurement, {} s budget each{}{}",
                    parameters.min_samples,
                    parameters.max_samples,
                    parameters.budget_seconds,
                    if parameters.warm_up { ", after one untimed run" } else { "" },
                    if parameters.quick { " (a --quick run: indicative only)" } else { "" },
                ),
            ));
            if let Some(filter) = &parameters.filter {
                facts.push(("filter", filter.clone()));
            }
            facts.push((
                "io-tcp",
                parameters.latency_server.as_ref().map_or_else(
                    || "not run: no latency server".to_owned(),
                    |addr| format!("against the latency server at {addr}"),
                ),
            ));
        }
        if let (Some(started), Some(seconds)) = (&peers.started, peers.wall_seconds) {
            facts.push(("ran", format!("{started}, {seconds:.1} s")));
        }
        if let Some(path) = &peers.path {
            facts.push(("file", path.clone()));
        }
        PeersSection {
            status: peers.status,
            reason: peers.reason.clone().unwrap_or_else(|| "no reason given".to_owned()),
            python: peers.python.as_ref().map_or_else(
                || "Python".to_owned(),
                |python| format!("{} {}", python.implementation, python.version),
            ),
            start_methods: peers.python.as_ref().map(|python| python.start_methods.join(", ")),
            rows,
            quick: peers.parameters.as_ref().is_some_and(|parameters| parameters.quick),
            facts,
            failures: peers
                .failures
                .iter()
                .map(|failure| Item {
                    subject: failure.id.clone(),
                    benchmark: None,
                    reason: failure.reason.clone(),
                })
                .collect(),
        }
    }
}
