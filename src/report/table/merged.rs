//! The merged report's tables (`poolbench merge`), built once for its page and its Markdown: the
//! machines, every group's best configuration on each machine at a glance, and per group the best
//! configuration against the core count and the scaling fits side by side.

use super::{Cell, Column, Mark, Row, Table, code, text};
use crate::executor::ExecutorKind;
use crate::schema::{BestConfiguration, Merged, MergedGroup, SpeedupBasis};

/// The machines merged, fewest cores first.
pub(crate) fn machines_table(merged: &Merged) -> Table {
    let rows = merged
        .machines
        .iter()
        .map(|entry| {
            let machine = &entry.machine;
            let commit = machine.git.as_ref().map(|git| {
                let short = git.commit.get(..12).unwrap_or(&git.commit);
                format!("{short}{}", if git.dirty { " (dirty)" } else { "" })
            });
            Row::new(vec![
                Cell::Text(entry.label.clone()),
                Cell::Count(machine.cores),
                machine.online_cpus.map_or(Cell::Missing, Cell::Count),
                Cell::text_or_missing(machine.cores_limit.map(|limit| limit.describe())),
                Cell::Text(machine.cpu_model.clone()),
                Cell::Text(format!("{} {}", machine.os, machine.arch)),
                Cell::text_or_missing(commit.as_deref()),
                Cell::Text(machine.date.clone()),
                Cell::Count(entry.benchmarks),
                Cell::Text(entry.path.clone()),
            ])
        })
        .collect();
    Table {
        kind: "machines",
        sortable: false,
        caption: Some(vec![text("Machines")]),
        columns: vec![
            Column::text("machine"),
            Column::number("cores").unsorted(),
            Column::number("online CPUs").unsorted().page_only(),
            Column::text("limited by").page_only(),
            Column::text("CPU"),
            Column::text("OS").page_only(),
            Column::text("commit"),
            Column::text("written").page_only(),
            Column::number("benchmarks").unsorted().page_only(),
            Column::text("summary").page_only(),
        ],
        rows,
        notes: vec![vec![
            text(
                "Cores are those the process could use (its CPU affinity and cgroup quota), so a run under ",
            ),
            code("taskset -c 0"),
            text(" is a 1-core machine."),
        ]],
        when_empty: None,
    }
}

/// `Rayon and StdPool at 2`, or `the sequential loop`.
pub(crate) fn pick(best: &BestConfiguration) -> String {
    if best.sequential || best.executors.is_empty() {
        return "the sequential loop".to_owned();
    }
    let mut names: Vec<String> = Vec::new();
    for name in &best.executors {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    format!("{} at {}", crate::format::join_and(names), best.size)
}

/// One row per group: what to pick on each machine.
pub(crate) fn overview_table(merged: &Merged) -> Table {
    let rows = merged
        .groups
        .iter()
        .map(|group| {
            let picks: Vec<String> = group
                .machines
                .iter()
                .map(|entry| {
                    let label = &merged.machines[entry.machine].label;
                    match &entry.best {
                        Some(best) if !best.sequential => {
                            format!("{label}: {} ({})", pick(best), crate::format::speedup(best.speedup))
                        }
                        Some(best) => format!("{label}: {}", pick(best)),
                        None => format!("{label}: —"),
                    }
                })
                .collect();
            Row::new(vec![Cell::Text(group.id.clone()), Cell::Text(picks.join(" · "))])
        })
        .collect();
    Table {
        kind: "picks",
        sortable: false,
        caption: Some(vec![text("What to pick on each machine")]),
        columns: vec![Column::text("group"), Column::text("best, machine by machine")],
        rows,
        notes: vec![vec![text(
            "Each machine's own answer: the paired rounds' recommendation where the group had rounds, else the \
             highest ratio of Criterion's medians; speedups are over that machine's Sequential.",
        )]],
        when_empty: None,
    }
}

/// The best configuration against the core count, one row per machine that measured the group.
pub(crate) fn best_table(group: &MergedGroup, merged: &Merged) -> Table {
    let rows = group
        .machines
        .iter()
        .map(|entry| {
            let label = Cell::Text(merged.machines[entry.machine].label.clone());
            let cores = Cell::Count(entry.cores);
            let Some(best) = &entry.best else {
                return Row::new(vec![
                    label,
                    cores,
                    Cell::Missing,
                    Cell::Missing,
                    Cell::Missing,
                    Cell::Missing,
                ]);
            };
            let oversubscribed = best.size as usize > entry.cores;
            let basis = match best.basis {
                SpeedupBasis::Rounds => "paired rounds",
                SpeedupBasis::Medians => "medians",
            };
            Row {
                marks: if oversubscribed { vec![Mark::Oversubscribed] } else { Vec::new() },
                ..Row::new(vec![
                    label,
                    cores,
                    Cell::Text(pick(best)),
                    Cell::Size { size: Some(best.size), text: best.size.to_string(), oversubscribed },
                    Cell::Speedup(best.speedup),
                    Cell::Text(basis.to_owned()),
                ])
            }
        })
        .collect();
    Table {
        kind: "best",
        sortable: false,
        caption: Some(vec![text("The best size against the core count")]),
        columns: vec![
            Column::text("machine"),
            Column::number("cores").unsorted(),
            Column::text("pick"),
            Column::number("size").unsorted(),
            Column::number("speedup").unsorted(),
            Column::text("basis").page_only(),
        ],
        rows,
        notes: Vec::new(),
        when_empty: None,
    }
}

/// Every machine's fits for each executor, next to each other: executors in the executors' order,
/// machines fewest cores first. `None` when no machine has a fit.
pub(crate) fn fits_table(group: &MergedGroup, merged: &Merged) -> Option<Table> {
    let mut fits: Vec<(usize, &crate::schema::Scaling)> = group
        .machines
        .iter()
        .flat_map(|entry| entry.scaling.iter().map(move |fit| (entry.machine, fit)))
        .collect();
    if fits.is_empty() {
        return None;
    }
    let order =
        |name: &str| ExecutorKind::ALL.iter().position(|kind| kind.name() == name).unwrap_or(usize::MAX);
    fits.sort_by(|a, b| {
        order(&a.1.executor)
            .cmp(&order(&b.1.executor))
            .then(a.1.executor.cmp(&b.1.executor))
            .then(a.0.cmp(&b.0))
    });
    let rows = fits
        .into_iter()
        .map(|(machine, fit)| {
            let lead = [Cell::Text(fit.executor.clone()), Cell::Text(merged.machines[machine].label.clone())];
            super::group::fit_row(fit, lead)
        })
        .collect();
    Some(Table {
        kind: "scaling",
        sortable: false,
        caption: Some(vec![text("Scaling models, machine by machine")]),
        columns: vec![
            Column::text("executor"),
            Column::text("machine"),
            Column::number("Amdahl serial fraction").unsorted(),
            Column::number("USL contention σ").unsorted(),
            Column::number("USL coherency κ").unsorted(),
            Column::number("USL R²").unsorted().page_only(),
            Column::number("best size").unsorted(),
            Column::text("verdict").page_only(),
        ],
        rows,
        notes: Vec::new(),
        when_empty: None,
    })
}
