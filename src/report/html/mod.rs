//! `index.html`: the report as one self-contained page.
//!
//! Everything is inline (the CSS, the SVG charts, a few lines of script that sort the tables), so
//! the file can be attached to a CI run or mailed and still show everything: no network, no
//! external scripts. The page is written with maud, which escapes every string it is given: a
//! name that comes from a benchmark cannot become markup. Only the page's own stylesheet and
//! script (`assets.rs`) and the charts plotters draws are inserted as they are.
//!
//! The tables are the report's table model (`report/table/`), drawn by `table.rs`; the group
//! sections with their charts are `group.rs`, the Python peers' section `peers.rs`.
//!
//! The page is built to be read by tests as well as people: each group is a
//! `<section class="group" data-group="...">`, each chart a
//! `<figure class="chart" data-group="..." data-kind="time|speedup|efficiency|memory">`, each table has a
//! class (`results`, `startup`, `scaling`, `ratios`) and the group's `data-group`, and the machine
//! section carries `data-cores`. The line saying how quiet the machine was is `<p class="quiet">`
//! (`quiet warns` when a row is disturbed or not measured); a results row carries `data-load`
//! (`quiet`, `disturbed`, `not_measured`), and a disturbed one the class `disturbed`. The Python peers' section is `<section class="peers"
//! data-status="included|skipped|absent">`; their rows in a results table are `<tr class="python"
//! data-source="python">`; each row of a ratio table carries `data-executor`, `data-peer`,
//! `data-value` and `data-ratio` (the number, unrounded).

mod assets;
mod group;
mod merged;
mod peers;
mod table;

use maud::{Markup, PreEscaped, html};

pub(crate) use merged::render as render_merged;

use super::history::HistoryFile;
use super::links::encode_path;
use super::table::{PeersSection, SkippedList, answers_table, quiet_line, skipped_list};
use super::{Error, Exporter, trends};
use crate::format::visible;
use crate::schema::{Source, Summary};

/// Writes `index.html`.
pub(crate) struct HtmlExporter {
    /// The relative URL from the report's directory to the Criterion directory, when known.
    pub criterion_href: Option<String>,
    /// The history the trends are drawn from.
    pub history: HistoryFile,
}

impl Exporter for HtmlExporter {
    fn file_name(&self) -> &'static str {
        "index.html"
    }

    fn export(&self, summary: &Summary) -> Result<Vec<u8>, Error> {
        Ok(render(summary, self.criterion_href.as_deref(), &self.history).into_bytes())
    }
}

/// The page for `summary`, exactly as [`write()`](super::write) writes it: the groups, then the
/// trends drawn from `history`. `criterion_href` is the relative URL from the page's directory
/// to the Criterion directory (ending in `/`); without it, Criterion's pages are named but not
/// linked.
///
/// ```no_run
/// use poolbench::report::{self, history::HistoryFile};
/// use poolbench::schema::Summary;
///
/// let summary = Summary::read("reports/latest/summary.json".as_ref())?;
/// let history = HistoryFile::read("reports/history.jsonl".as_ref());
/// std::fs::write("page.html", report::render_html(&summary, None, &history))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn render(summary: &Summary, criterion_href: Option<&str>, history: &HistoryFile) -> String {
    let cores = summary.machine.cores;
    let page = html! {
        (PreEscaped(assets::HEAD))
        header {
            h1 { "poolbench: pool sizes, executors, and what the numbers mean" } "\n"
            p {
                "Read from " code { (visible(&summary.criterion_dir)) } " by " (visible(&summary.generator)) "; "
                (summary.groups.len()) " benchmark groups."
            }
            @if let Some(quiet) = quiet_line(summary) {
                "\n"
                p class=(if quiet.warns { "quiet warns" } else { "quiet" }) { (visible(&quiet.sentence)) }
            }
        }
        "\n"
        (machine(summary))
        @if let Some(peers) = &summary.peers {
            (peers::section(&PeersSection::new(peers, summary.rows_from(Source::Python))))
        }
        @if let Some(skipped) = skipped_list(&summary.skipped) {
            (self::skipped(&skipped))
        }
        @if let Some(answers) = answers_table(summary) {
            section.answers {
                "\n"
                (table::table(&answers, "", criterion_href))
            }
            "\n"
        }
        (contents(summary))
        @for (index, group) in summary.groups.iter().enumerate() {
            (group::section(index, group, cores, criterion_href))
        }
        (trends::section(history, summary))
        (PreEscaped(assets::SCRIPT))
        (PreEscaped(assets::END))
    };
    page.into_string()
}

fn machine(summary: &Summary) -> Markup {
    let machine = &summary.machine;
    let git = match &machine.git {
        Some(git) => {
            format!("{}{}", git.commit, if git.dirty { " (dirty tree: uncommitted changes)" } else { "" })
        }
        None => "not a git checkout".to_owned(),
    };
    let cores = machine.cores;
    html! {
        section.machine data-cores=(cores) {
            "\n" h2 { "Machine" } "\n"
            p.cores {
                strong { (visible(&machine.cores_in_words())) "." }
                " Pool sizes above " (cores) " oversubscribe this machine: their workers take turns on the cores, \
                 which pays only when tasks wait (I/O), never for CPU-bound work."
            }
            "\n"
            dl {
                "\n"
                dt { "CPU" } dd { (visible(&machine.cpu_model)) } "\n"
                dt { "OS" } dd { (visible(&machine.os)) " " (visible(&machine.arch)) } "\n"
                dt { "rustc" } dd { (visible(&machine.rustc)) } "\n"
                dt { "commit" } dd { (visible(&git)) } "\n"
                dt { "written" } dd { (visible(&machine.date)) } "\n"
            }
            "\n"
        }
        "\n"
    }
}

fn skipped(list: &SkippedList) -> Markup {
    html! {
        section.skipped {
            "\n" h2 { (list.heading) } "\n"
            ul {
                "\n"
                @for item in &list.items {
                    li {
                        code.path { (visible(&item.subject)) }
                        @if let Some(benchmark) = &item.benchmark { " (" (visible(benchmark)) ")" }
                        ": " (visible(&item.reason))
                    }
                    "\n"
                }
            }
            "\n"
            p { "Run " code { "cargo bench" } " again to measure them anew." } "\n"
        }
        "\n"
    }
}

fn contents(summary: &Summary) -> Markup {
    html! {
        nav {
            h2 { "Groups" } "\n"
            ul {
                "\n"
                @for (index, group) in summary.groups.iter().enumerate() {
                    li { a href={ "#group-" (index) } { (visible(&group.id)) } ": " (table::prose(&group.headline)) } "\n"
                }
            }
            "\n"
            p { a href="#trends" { "Trends across commits" } } "\n"
        }
        "\n"
    }
}

/// A link to one of Criterion's pages, or its path as code when the page cannot link.
fn link(criterion_href: Option<&str>, path: &str, text: &str) -> Markup {
    match criterion_href {
        Some(base) => html! { a href={ (base) (encode_path(path)) } { (text) } },
        None => html! { code { (visible(path)) } },
    }
}
