//! A group's section of the page: what it is, what it says, its charts and its tables.

use maud::{Markup, PreEscaped, html};

use super::{link, table};
use crate::format::visible;
use crate::report::charts::{self, ChartKind};
use crate::report::table::{ratios_table, results_table, rounds_line, scaling_table, startup_table};
use crate::schema::Group;

/// The section of the group at `index` on the page.
pub(super) fn section(index: usize, group: &Group, cores: usize, criterion_href: Option<&str>) -> Markup {
    let id = visible(&group.id);
    let id = id.as_ref();
    let tables =
        [Some(results_table(group, cores)), ratios_table(group), startup_table(group), scaling_table(group)];
    html! {
        section.group id={ "group-" (index) } data-group=(id) {
            "\n" h2 { (id) } "\n"
            p.about {
                @match &group.case {
                    Some(case) => {
                        @if let Some(exercise) = case.exercise { "Notebook exercise " (exercise) ". " }
                        (case.tasks) " task(s) per iteration: " (visible(&case.about)) "."
                    }
                    None => "Not in poolbench's catalog: reported as measured, without tasks per second.",
                }
            }
            "\n"
            p.headline { strong { "What this says:" } " " (table::prose(&group.headline)) } "\n"
            @if let Some(rounds) = rounds_line(group) {
                p.rounds { (table::prose(&rounds)) } "\n"
            }
            (self::charts(group, cores))
            @for table in tables.iter().flatten() {
                (table::table(table, id, criterion_href))
            }
            @if let Some(group_page) = &group.criterion_page {
                p.criterion-links {
                    "Criterion's own page: " (link(criterion_href, group_page, "this group on one chart")) "."
                }
                "\n"
            }
        }
        "\n"
    }
}

fn charts(group: &Group, cores: usize) -> Markup {
    let drawn: Vec<(ChartKind, Result<String, String>)> = ChartKind::ALL
        .into_iter()
        .filter_map(|kind| charts::draw(group, kind, cores).transpose().map(|chart| (kind, chart)))
        .collect();
    // The memory chart is left out without a word when nothing was sampled (an older summary,
    // POOLBENCH_MEMORY=0): the table's column says so.
    let timed = ChartKind::ALL.iter().filter(|kind| **kind != ChartKind::Memory).count();
    let complete =
        drawn.iter().filter(|(kind, chart)| chart.is_ok() && *kind != ChartKind::Memory).count() == timed;
    let why = if group.results.iter().all(|row| row.size.is_none()) {
        "no executor ran at a numeric pool size"
    } else {
        "no Sequential run to divide by, so no speedup or efficiency"
    };
    html! {
        div.charts {
            "\n"
            @for (kind, chart) in &drawn {
                @let class = if chart.is_ok() { "chart" } else { "chart unavailable" };
                figure class=(class) data-group=(visible(&group.id)) data-kind=(kind.name()) {
                    "\n"
                    @match chart {
                        // plotters' own SVG: its text is escaped by plotters.
                        Ok(svg) => (PreEscaped(svg)),
                        Err(err) => p { (visible(err)) },
                    }
                    "\n" figcaption { (kind.caption(cores)) } "\n"
                }
                "\n"
            }
        }
        "\n"
        @if !complete {
            p.note { "Charts left out: " (why) "." } "\n"
        }
    }
}
