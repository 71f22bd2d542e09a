//! The merged report's page (`poolbench merge`): the machines, what to pick on each, then per
//! group its headline, a speedup and an efficiency chart with every machine's lines, and its
//! tables (the best size against the core count, the fits side by side).
//!
//! As the report's page: self-contained, escaped by maud, and readable by tests: each group is a
//! `<section class="group" data-group="...">` with `data-machines` (how many measured it), each
//! chart a `<figure class="chart" data-kind="speedup|efficiency">`.

use maud::{Markup, PreEscaped, html};

use super::{assets, table};
use crate::executor::ExecutorKind;
use crate::format::visible;
use crate::report::charts::{self, ChartKind, ChartLine};
use crate::report::table::{best_table, fits_table, machines_table, overview_table};
use crate::schema::{Merged, MergedGroup};

/// The merged page.
pub(crate) fn render(merged: &Merged) -> String {
    let machines: Vec<&str> = merged.machines.iter().map(|machine| machine.label.as_str()).collect();
    let page = html! {
        (PreEscaped(assets::HEAD))
        header {
            h1 { "poolbench: how many, machine by machine" } "\n"
            p {
                (merged.groups.len()) " benchmark groups on " (merged.machines.len()) " machines ("
                (visible(&machines.join(", "))) "), merged by " (visible(&merged.generator)) "."
            }
            "\n"
        }
        @if !merged.flags.is_empty() {
            section.skipped.flags {
                "\n" h2 { "Read with care" } "\n"
                ul { "\n" @for flag in &merged.flags { li { (visible(flag)) } "\n" } }
            }
            "\n"
        }
        section.machines data-machines=(merged.machines.len()) {
            "\n" (table::table(&machines_table(merged), "", None))
        }
        "\n"
        section.picks { "\n" (table::table(&overview_table(merged), "", None)) }
        "\n"
        nav {
            h2 { "Groups" } "\n"
            ul {
                "\n"
                @for (index, group) in merged.groups.iter().enumerate() {
                    li { a href={ "#group-" (index) } { (visible(&group.id)) } } "\n"
                }
            }
        }
        "\n"
        @for (index, group) in merged.groups.iter().enumerate() {
            (section(index, group, merged))
        }
        (PreEscaped(assets::SCRIPT))
        (PreEscaped(assets::END))
    };
    page.into_string()
}

fn section(index: usize, group: &MergedGroup, merged: &Merged) -> Markup {
    let id = visible(&group.id);
    let id = id.as_ref();
    let tables = [Some(best_table(group, merged)), fits_table(group, merged)];
    html! {
        section.group id={ "group-" (index) } data-group=(id) data-machines=(group.machines.len()) {
            "\n" h2 { (id) } "\n"
            p.headline { strong { "How many:" } " " (table::prose(&group.headline)) } "\n"
            @for note in &group.notes { p.note { (visible(note)) } "\n" }
            div.charts {
                "\n"
                @for kind in [ChartKind::Speedup, ChartKind::Efficiency] {
                    @match chart(group, merged, kind) {
                        Ok(Some(svg)) => {
                            figure.chart data-group=(id) data-kind=(kind.name()) {
                                "\n" (PreEscaped(svg)) "\n"
                                figcaption { (caption(kind)) } "\n"
                            }
                            "\n"
                        }
                        Ok(None) => {}
                        Err(err) => {
                            figure.chart.unavailable data-group=(id) data-kind=(kind.name()) { p { (visible(&err)) } }
                            "\n"
                        }
                    }
                }
            }
            "\n"
            @for table in tables.iter().flatten() {
                (table::table(table, id, None))
            }
        }
        "\n"
    }
}

fn caption(kind: ChartKind) -> &'static str {
    match kind {
        ChartKind::Efficiency => {
            "Efficiency, speedup ÷ pool size, by machine: one colour per executor, solid for the machine with the \
             most cores, dashed for the others; dotted red: each machine's core count"
        }
        _ => {
            "Speedup over each machine's own Sequential by pool size: one colour per executor, solid for the \
             machine with the most cores, dashed for the others; dotted red: each machine's core count; grey: \
             break-even"
        }
    }
}

/// The chart of `kind`: a line per machine and executor, coloured by executor (in the executors'
/// order), solid for the machine with the most cores and dashed for the others.
fn chart(group: &MergedGroup, merged: &Merged, kind: ChartKind) -> Result<Option<String>, String> {
    let mut executors: Vec<&str> = group
        .machines
        .iter()
        .flat_map(|entry| entry.lines.iter().map(|line| line.executor.as_str()))
        .collect();
    executors.sort_by_key(|name| ExecutorKind::ALL.iter().position(|kind| kind.name() == *name));
    executors.dedup();
    let most_cores = group.machines.iter().map(|entry| entry.cores).max().unwrap_or(0);
    let lines = group
        .machines
        .iter()
        .flat_map(|entry| {
            let label = &merged.machines[entry.machine].label;
            let executors = &executors;
            entry.lines.iter().map(move |line| ChartLine {
                executor: line.executor.clone(),
                machine: label.clone(),
                color: executors.iter().position(|name| *name == line.executor).unwrap_or(0),
                dashed: entry.cores < most_cores,
                points: line
                    .points
                    .iter()
                    .map(|point| {
                        let size = f64::from(point.size);
                        let divide = if kind == ChartKind::Efficiency { size } else { 1.0 };
                        (
                            size,
                            point.speedup.lower / divide,
                            point.speedup.point / divide,
                            point.speedup.upper / divide,
                        )
                    })
                    .collect(),
            })
        })
        .collect();
    let cores: Vec<usize> = group.machines.iter().map(|entry| entry.cores).collect();
    charts::draw_lines(lines, kind, &cores)
}
