//! A group's tables: its results, its ratios against the Python peers, its start-up split and its
//! scaling fits, each built once for the page and the Markdown.
//!
//! The rows that tell a group's story ([`Row::telling`], all the Markdown shows) are Sequential's
//! and each executor's at its fastest pool size (and every row whose value is an input or a
//! variant, not a size), with the ratios and start-up splits of those rows, and the fits that
//! mean something.

use std::collections::HashSet;

use super::{Cell, Column, Mark, Row, RowData, Table, code, text};
use crate::bench::DISTURBANCE_THRESHOLD;
use crate::format::{ratio, share};
use crate::schema::{self, Group, Source};

/// The ids of the rows that tell `group`'s story: Sequential's, the answer's recommended ones,
/// and each executor's (of each source) at its fastest pool size, by its speedup where it has
/// one (paired, where the group had rounds: the same measure the headline uses, so the two never
/// name different rows), else by its median; every row whose value is no pool size (an input, a
/// variant).
fn telling_ids(group: &Group) -> HashSet<&str> {
    let faster = |a: &schema::Row, b: &schema::Row| match (a.speedup, b.speedup) {
        (Some(a), Some(b)) => a.point > b.point,
        _ => a.median_ns.point < b.median_ns.point,
    };
    let mut fastest: Vec<&schema::Row> = Vec::new();
    for row in &group.results {
        let same = fastest.iter().position(|other| {
            other.size.is_some() && other.source == row.source && other.executor == row.executor
        });
        match same {
            Some(index) if row.size.is_some() => {
                if faster(row, fastest[index]) {
                    fastest[index] = row;
                }
            }
            _ => fastest.push(row),
        }
    }
    let sequential = schema::sequential(&group.results);
    let recommended = group.answer.iter().flat_map(|answer| &answer.recommended).map(String::as_str);
    fastest.iter().chain(sequential.as_ref()).map(|row| row.id.as_str()).chain(recommended).collect()
}

/// Every row of the group: time, speedup, efficiency, tasks per second.
pub(crate) fn results_table(group: &Group, cores: usize) -> Table {
    let columns = vec![
        Column::text("executor"),
        Column::number("size"),
        Column::number("median"),
        Column::number("95% CI").unsorted(),
        Column::number("mean").page_only(),
        Column::number("95% CI").unsorted().page_only(),
        Column::number("std dev").page_only(),
        Column::number("samples").page_only(),
        Column::number("speedup"),
        Column::number("interval*").unsorted().page_only(),
        Column::text("basis").page_only(),
        Column::number("efficiency").page_only(),
        Column::number("tasks/s").page_only(),
        Column::number("cores busy"),
        Column::number("memory"),
        Column::number("peak").page_only(),
        Column::number("per process").page_only(),
        Column::text("machine"),
        Column::text("Criterion").page_only(),
    ];
    let telling = telling_ids(group);
    let mut oversubscribed = false;
    let rows = group
        .results
        .iter()
        .map(|row| {
            let over = row.size.is_some_and(|size| usize::try_from(size).is_ok_and(|size| size > cores));
            oversubscribed |= over;
            let python = row.source != Source::Criterion;
            let size_text = match (row.size, &row.value) {
                (Some(size), _) => size.to_string(),
                // Without an executor the value is an input (the task suite), not a pool size; so
                // is a Python peer's value that is no size (its executor is `python` there).
                (None, Some(value)) if row.executor.is_none() || python => format!("input {value}"),
                (None, Some(value)) => value.clone(),
                (None, None) => String::new(),
            };
            let or_missing = |value: Option<f64>, cell: fn(f64) -> Cell| value.map_or(Cell::Missing, cell);
            let cells = vec![
                Cell::text_or_missing(row.executor.as_deref()),
                Cell::Size { size: row.size, text: size_text, oversubscribed: over },
                Cell::Time(row.median_ns.point),
                Cell::TimeRange(row.median_ns.lower, row.median_ns.upper),
                Cell::Time(row.mean_ns.point),
                Cell::TimeRange(row.mean_ns.lower, row.mean_ns.upper),
                Cell::Time(row.std_dev_ns),
                Cell::Count(row.n),
                or_missing(row.speedup.map(|s| s.point), Cell::Speedup),
                row.speedup.map_or(Cell::Empty, |s| Cell::SpeedupRange(s.lower, s.upper)),
                match (row.speedup_basis, row.rounds, row.speedup) {
                    (_, _, None) => Cell::Empty,
                    (schema::SpeedupBasis::Rounds, Some(rounds), _) => {
                        Cell::Text(format!("{} rounds", rounds.kept))
                    }
                    (schema::SpeedupBasis::Rounds, None, _) => Cell::Text("rounds".to_owned()),
                    (schema::SpeedupBasis::Medians, ..) => Cell::Text("medians".to_owned()),
                },
                or_missing(row.efficiency, Cell::Efficiency),
                or_missing(row.tasks_per_second, Cell::Rate),
                // The peers' script measures no load: nothing to say, rather than "not measured".
                match row.load.measurement() {
                    _ if python => Cell::Empty,
                    Some(measured) => {
                        Cell::BusyCores { busy: measured.load.busy_cores(), of: measured.load.usable_cores }
                    }
                    None => Cell::Missing,
                },
                or_missing(row.memory.map(|memory| memory.held_pss_bytes() as f64), Cell::Bytes),
                or_missing(row.memory.map(|memory| memory.peak_held_pss_bytes() as f64), Cell::Bytes),
                or_missing(row.memory.and_then(|memory| memory.per_worker_pss_bytes()), Cell::Bytes),
                if python { Cell::Empty } else { Cell::Load(row.load.clone()) },
                row.criterion_page
                    .as_ref()
                    .map_or(Cell::Empty, |path| Cell::Link { path: path.clone(), text: "page" }),
            ];
            let marks = [
                (over, Mark::Oversubscribed),
                (python, Mark::Python),
                (row.load.is_disturbed(), Mark::Disturbed),
            ]
            .into_iter()
            .filter_map(|(on, mark)| on.then_some(mark))
            .collect();
            let load = (!python).then(|| row.load.name());
            let data = RowData { source: Some(row.source.name()), load, ..RowData::default() };
            Row { marks, data, telling: telling.contains(row.id.as_str()), ..Row::new(cells) }
        })
        .collect();
    let mut note = format!(
        "Median: Criterion's, per iteration, from the configuration's own measurement window (Criterion's \
         terminal line shows the mean, in the mean column here). * Speedup \
         intervals: a row of basis \"N rounds\" is paired, the median over N interleaved rounds of Sequential's \
         slot over the row's in the same round, with its 95% interval (order statistics over the rounds, widened \
         by the spread between the pools' starts); a row of basis \
         \"medians\" divides the medians' opposite bounds: wider than a true 95% interval, read it as \
         \"certainly within\". Cores busy: the benchmark's CPU time (its process and the processes it started) \
         over its wall time, of the cores it could use: a pool that keeps them busy computes, one that does not \
         waits. Memory: what the configuration holds at steady state, the proportional set size (Pss) of the \
         bench process and every process it started, less the same before the executor started: its workers, \
         its threads' stacks and each worker's workload set-up (a user's too); peak: the highest between timed \
         calls; per process: the Pss of the processes the configuration started, over their number. Machine: disturbed when other programs and the hypervisor took more than {} of those cores, \
         which puts the row's numbers in doubt. Click a heading to sort.",
        share(DISTURBANCE_THRESHOLD)
    );
    if oversubscribed {
        note.push_str(&format!(" † More workers than the machine's {cores} cores."));
    }
    Table {
        kind: "results",
        sortable: true,
        caption: None,
        columns,
        rows,
        notes: vec![vec![text(note)]],
        when_empty: None,
    }
}

/// poolbench's rows against the Python peers doing the same work; `None` when the group has no
/// peer rows to pair.
pub(crate) fn ratios_table(group: &Group) -> Option<Table> {
    let columns = vec![
        Column::text("poolbench"),
        Column::text("Python peer"),
        Column::number("size"),
        Column::number("poolbench median").page_only(),
        Column::number("Python median").page_only(),
        Column::number("ratio"),
        Column::number("interval*").unsorted().page_only(),
        Column::text("in words").page_only(),
    ];
    if group.ratios.is_empty() {
        let has_peers = group.results.iter().any(|row| row.source != Source::Criterion);
        return has_peers.then(|| Table {
            kind: "ratios",
            sortable: true,
            caption: None,
            columns,
            rows: Vec::new(),
            notes: Vec::new(),
            when_empty: Some(vec![text(
                "No poolbench row here does a Python peer's work at the same size, so no ratio.",
            )]),
        });
    }
    let telling = telling_ids(group);
    let rows = group
        .ratios
        .iter()
        .map(|pair| {
            let cells = vec![
                Cell::Text(pair.poolbench_label().to_owned()),
                Cell::Text(pair.peer_label.clone()),
                Cell::Size { size: pair.size, text: pair.size_label(), oversubscribed: false },
                Cell::Time(pair.median_ns.point),
                Cell::Time(pair.peer_median_ns.point),
                Cell::Speedup(pair.ratio.point),
                Cell::SpeedupRange(pair.ratio.lower, pair.ratio.upper),
                Cell::Text(pair.sentence.clone()),
            ];
            let data = RowData {
                executor: Some(pair.executor.clone().unwrap_or_default()),
                peer: Some(pair.peer.clone()),
                value: Some(pair.value.clone().unwrap_or_default()),
                ratio: Some(pair.ratio.point),
                ..RowData::default()
            };
            let marks = if pair.within_noise { vec![Mark::WithinNoise] } else { Vec::new() };
            Row { marks, data, telling: telling.contains(pair.id.as_str()), ..Row::new(cells) }
        })
        .collect();
    Some(Table {
        kind: "ratios",
        sortable: true,
        caption: Some(vec![text("Against the Python peers")]),
        columns,
        rows,
        notes: vec![vec![text(
            "Ratio: the Python median over poolbench's, so above 1 poolbench is faster. * The interval divides \
             the medians' opposite bounds: read it as \"certainly within\".",
        )]],
        when_empty: None,
    })
}

/// End to end minus steady state, per executor and size; `None` for a group that is no
/// end-to-end case.
pub(crate) fn startup_table(group: &Group) -> Option<Table> {
    let startup = group.startup.as_ref()?;
    let steady = &startup.steady_state_group;
    let telling = telling_ids(group);
    let rows = startup
        .rows
        .iter()
        .map(|row| {
            let of_a_telling_row = group.results.iter().any(|result| {
                telling.contains(result.id.as_str())
                    && result.executor.as_deref() == Some(row.executor.as_str())
                    && result.value == row.value
            });
            let share =
                (row.end_to_end_ns.point > 0.0).then(|| row.startup_ns / row.end_to_end_ns.point * 100.0);
            let startup = Cell::Time(row.startup_ns);
            let cells = vec![
                Cell::Text(row.executor.clone()),
                row.value.clone().map_or(Cell::Empty, Cell::Text),
                Cell::Time(row.end_to_end_ns.point),
                Cell::Time(row.steady_state_ns.point),
                if row.within_noise { Cell::Remark(Box::new(startup), "(within noise)") } else { startup },
                share.map_or(Cell::Missing, Cell::Percent),
            ];
            Row { telling: of_a_telling_row, ..Row::new(cells) }
        })
        .collect();
    Some(Table {
        kind: "startup",
        sortable: true,
        caption: Some(vec![
            text("Start-up and shut-down (end to end minus "),
            code(steady.clone()),
            text(")"),
        ]),
        columns: vec![
            Column::text("executor"),
            Column::text("size"),
            Column::number("end to end"),
            Column::number("steady state"),
            Column::number("start-up + shut-down"),
            Column::number("share of end to end").unsorted().page_only(),
        ],
        rows,
        notes: Vec::new(),
        when_empty: Some(vec![
            text("No split: "),
            code(steady.clone()),
            text(
                " has no matching executor and size in these results (a filtered run?). Run both suites to \
                 see it.",
            ),
        ]),
    })
}

/// A fit's row: `lead`, then its models' cells (Amdahl's serial fraction, USL's σ, κ and R², the
/// best size, the verdict), blank where the fit means nothing: its coefficients would only be
/// misread (summary.json keeps them). The report's table and the merged one draw fits alike.
pub(super) fn fit_row<const N: usize>(fit: &schema::Scaling, lead: [Cell; N]) -> Row {
    let coefficient = |value: Option<f64>| match value {
        Some(value) if fit.meaningful => Cell::Number(value),
        _ => Cell::Missing,
    };
    let best = match (&fit.usl, fit.meaningful) {
        (Some(usl), true) => Cell::Text(format!("{} ({})", usl.best_size, ratio(usl.best_speedup))),
        _ => Cell::Missing,
    };
    let mut cells = Vec::from(lead);
    cells.extend([
        coefficient(fit.amdahl.map(|a| a.serial_fraction)),
        coefficient(fit.usl.map(|u| u.contention)),
        coefficient(fit.usl.map(|u| u.coherency)),
        coefficient(fit.usl.and_then(|u| u.r_squared)),
        best,
        Cell::Text(fit.verdict.clone()),
    ]);
    let mark = if fit.meaningful { Mark::Meaningful } else { Mark::NotMeaningful };
    Row { marks: vec![mark], telling: fit.meaningful, ..Row::new(cells) }
}

/// The Amdahl and USL fits per executor; `None` when no executor has a sweep to fit.
pub(crate) fn scaling_table(group: &Group) -> Option<Table> {
    if group.scaling.is_empty() {
        return None;
    }
    let rows = group
        .scaling
        .iter()
        .map(|fit| {
            let sizes: Vec<String> = fit.points.iter().map(|point| point.size.to_string()).collect();
            let lead = [
                Cell::Text(fit.executor.clone()),
                Cell::text_or_missing(fit.baseline.as_deref()),
                Cell::Text(sizes.join(", ")),
            ];
            fit_row(fit, lead)
        })
        .collect();
    let unsorted = |column: Column| column.unsorted().page_only();
    Some(Table {
        kind: "scaling",
        sortable: false,
        caption: Some(vec![text("Scaling models")]),
        columns: vec![
            Column::text("executor"),
            unsorted(Column::text("baseline")),
            unsorted(Column::text("sizes")),
            unsorted(Column::number("Amdahl serial fraction")),
            unsorted(Column::number("USL contention σ")),
            unsorted(Column::number("USL coherency κ")),
            unsorted(Column::number("USL R²")),
            Column::number("best size").unsorted(),
            Column::text("verdict"),
        ],
        rows,
        notes: Vec::new(),
        when_empty: None,
    })
}
