//! The page's Python peers section: whether the peers ran, on what, and what failed.

use maud::{Markup, html};

use crate::format::visible;
use crate::report::table::PeersSection;
use crate::schema::PeersStatus;

pub(super) fn section(peers: &PeersSection) -> Markup {
    let status = match peers.status {
        PeersStatus::Measured => "included",
        PeersStatus::Skipped => "skipped",
    };
    html! {
        section.peers data-status=(status) {
            "\n" h2 { "Python peers" } "\n"
            @match peers.status {
                PeersStatus::Skipped => {
                    p.reason { strong { "Skipped:" } " " (visible(&peers.reason)) } "\n"
                }
                PeersStatus::Measured => {
                    p {
                        "The notebook's own Python programs, run by " (visible(&peers.python)) " in the same run with "
                        code { "scripts/python_peers.py" } ": the same inputs, " code { "Pool.map" }
                        " with its default chunksize (poolbench's rule), every result checked. " (peers.rows)
                        " rows, marked " em { "python" } " in the tables below; each group compares them with \
                        poolbench's executors. A " strong { "ratio" } " is the Python median over poolbench's: \
                        above 1, poolbench is that many times faster."
                    }
                    "\n"
                    dl {
                        "\n"
                        @for (term, text) in &peers.facts { dt { (term) } dd { (visible(text)) } "\n" }
                    }
                    "\n"
                }
            }
            @if !peers.failures.is_empty() {
                p { "Measurements that failed, left out:" } "\n"
                ul.failures {
                    "\n"
                    @for failure in &peers.failures {
                        li { code { (visible(&failure.subject)) } ": " (visible(&failure.reason)) } "\n"
                    }
                }
                "\n"
            }
        }
        "\n"
    }
}
