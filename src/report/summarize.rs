//! From Criterion's benchmarks to a [`Summary`]: rows grouped by benchmark group, and what the
//! report derives from them.
//!
//! - The pool size is the value, when the id has an executor (function) and the value is a
//!   positive integer. Without an executor (the task suite's `BenchmarkId::from_parameter`) the
//!   value is an input, not a pool size.
//! - Speedup is paired where the group had interleaved rounds (its rounds file, `rounds.rs`):
//!   Sequential's slot over the row's in the same round, over the rounds kept. Elsewhere (rows
//!   the rounds did not measure, groups without them) it is Sequential's median in the same
//!   group (its size-1 row when it has several) over the row's median; efficiency is speedup over pool size; tasks per second is the tasks per
//!   iteration over the median. The tasks per iteration, and a group's description, come from
//!   the group's case file (`poolbench-cases/`, written by the sweep), else from the catalog for
//!   poolbench's own groups; a group with neither gets no tasks per second.
//! - The speedup's interval divides the medians' opposite bounds (Sequential's lower by the row's
//!   upper, and the reverse). It is wider than a true 95% interval of the ratio, which would need
//!   the two bootstrap distributions: read it as "certainly within", not as a 95% interval.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use super::headline::headline;
use super::rounds::{self, Rounds};
use super::scaling;
use super::startup;
use crate::catalog::{self, CASES};
use crate::criterion::{Benchmark, Results};
use crate::executor::ExecutorKind;
use crate::schema::Machine;
use crate::schema::{
    CaseFile, CaseInfo, Group, Interval, RoundsFile, Row, SCHEMA_VERSION, Scaling, ScalingPoint, Source,
    Summary, sequential,
};

/// Builds the summary of `results`, read from `criterion_dir`, on `machine`.
pub fn summarize(results: &Results, machine: Machine, criterion_dir: &Path) -> Summary {
    let mut by_group: BTreeMap<&str, Vec<Row>> = BTreeMap::new();
    for benchmark in &results.benchmarks {
        by_group.entry(&benchmark.id.group_id).or_default().push(row(benchmark));
    }
    let (case_files, mut skipped) = CaseFile::read_all(criterion_dir);
    let (rounds_files, unread) = RoundsFile::read_all(criterion_dir);
    skipped.extend(unread);
    let mut groups: Vec<Group> = by_group
        .into_iter()
        .map(|(id, rows)| {
            let case = case_files
                .iter()
                .find(|file| file.group == id)
                .map(|file| {
                    let known = case_info(id);
                    CaseInfo {
                        tasks: file.tasks,
                        about: file.about.clone(),
                        end_to_end: file.end_to_end || known.as_ref().is_some_and(|case| case.end_to_end),
                        ..known.unwrap_or_default()
                    }
                })
                .or_else(|| case_info(id));
            let rounds = rounds_files.iter().find(|file| file.group == id).map(Rounds::new);
            group(id, rows, case, rounds.as_ref(), machine.cores, criterion_dir)
        })
        .collect();
    skipped.extend(results.skipped.iter().cloned());
    add_startup_splits(&mut groups, machine.cores);
    sort_groups(&mut groups);
    Summary {
        schema_version: SCHEMA_VERSION,
        generator: format!("poolbench {}", env!("CARGO_PKG_VERSION")),
        machine,
        criterion_dir: criterion_dir.display().to_string(),
        groups,
        skipped,
        peers: None,
        capacity: rounds::capacity(&rounds_files),
    }
}

/// Catalog order first, then other groups by id.
pub(crate) fn sort_groups(groups: &mut [Group]) {
    groups.sort_by_key(|group| {
        let position = CASES.iter().position(|case| case.group_id() == group.id);
        (position.unwrap_or(CASES.len()), group.id.clone())
    });
}

/// What the catalog says of the group `id`: the description of a group without a case file.
pub(crate) fn case_info(id: &str) -> Option<CaseInfo> {
    catalog::find(id).map(|case| CaseInfo {
        exercise: case.exercise,
        tasks: case.tasks,
        about: case.about.to_owned(),
        steady_state: case.steady_state.map(str::to_owned),
        end_to_end: case.steady_state.is_some(),
    })
}

fn row(benchmark: &Benchmark) -> Row {
    let id = &benchmark.id;
    let estimates = &benchmark.estimates;
    let interval = |estimate: &crate::criterion::Estimate| Interval {
        point: estimate.point_estimate,
        lower: estimate.confidence_interval.lower_bound,
        upper: estimate.confidence_interval.upper_bound,
    };
    let size = id
        .function_id
        .as_ref()
        .and(id.value_str.as_deref())
        .and_then(|value| value.parse::<u32>().ok())
        .filter(|&size| size >= 1);
    Row {
        executor: id.function_id.clone(),
        value: id.value_str.clone(),
        size,
        confidence_level: estimates.median.confidence_interval.confidence_level,
        mean_ns: interval(&estimates.mean),
        std_dev_ns: estimates.std_dev.point_estimate,
        criterion_dir: Some(slashed(&benchmark.directory)),
        criterion_page: benchmark.page.as_deref().map(slashed),
        last_sample: benchmark
            .sample
            .iters
            .last()
            .zip(benchmark.sample.times.last())
            .map(|(&iters, &ns)| crate::schema::LastSample { iters, ns }),
        load: benchmark.load.clone(),
        memory: benchmark.memory,
        ..Row::new(
            Source::Criterion,
            id.full_id.clone(),
            interval(&estimates.median),
            benchmark.sample.per_iteration_ns(),
        )
    }
}

/// A relative path with `/` separators, as URLs and `summary.json` readers on any OS expect.
fn slashed(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|component| match component {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

fn group(
    id: &str,
    mut rows: Vec<Row>,
    case: Option<CaseInfo>,
    rounds: Option<&Rounds<'_>>,
    cores: usize,
    criterion_dir: &Path,
) -> Group {
    rows.sort_by_key(row_order);
    let baseline = sequential(&rows).map(|row| (row.id.clone(), row.median_ns));
    for row in &mut rows {
        row.speedup = match &baseline {
            // Sequential over itself is exactly 1: one measurement, not two to divide.
            Some((id, _)) if *id == row.id => Some(Interval { point: 1.0, lower: 1.0, upper: 1.0 }),
            Some((_, sequential)) => speedup(*sequential, row.median_ns),
            None => None,
        };
    }
    if let Some(rounds) = rounds {
        rounds::apply(&mut rows, rounds);
    }
    for row in &mut rows {
        row.efficiency = match (row.speedup, row.size) {
            (Some(speedup), Some(size)) => finite(speedup.point / f64::from(size)),
            _ => None,
        };
        row.tasks_per_second =
            case.as_ref().and_then(|case| finite(case.tasks as f64 / (row.median_ns.point * 1e-9)));
    }
    let scaling = scaling_fits(&rows, cores);
    let mut group = Group { case, scaling, rounds: rounds.map(Rounds::summary), ..Group::new(id, rows) };
    group.answer = rounds.and_then(|rounds| rounds::answer(&group.results, rounds, cores));
    group.criterion_page = group_page(&group.results, criterion_dir);
    group.headline = headline(&group, cores);
    group
}

/// Criterion puts a group's benchmarks under one directory named after the group (sanitised),
/// with the group's own page in its `report/`.
fn group_page(rows: &[Row], criterion_dir: &Path) -> Option<String> {
    let first = rows.first()?.criterion_dir.as_deref()?;
    let top = first.split('/').next()?;
    let same_top = rows
        .iter()
        .all(|row| row.criterion_dir.as_deref().is_some_and(|dir| dir.split('/').next() == Some(top)));
    let page = format!("{top}/report/index.html");
    (same_top && criterion_dir.join(&page).is_file()).then_some(page)
}

/// Executors in [`ExecutorKind`]'s order, unknown ones after by name; then sizes, then values.
fn row_order(row: &Row) -> (usize, String, Option<u32>, Option<String>) {
    let executor = row.executor.clone().unwrap_or_default();
    let known = ExecutorKind::ALL.iter().position(|kind| kind.name() == executor);
    (known.unwrap_or(ExecutorKind::ALL.len()), executor, row.size, row.value.clone())
}

/// `sequential` over `this`, the interval dividing opposite bounds; `None` if not finite.
pub(crate) fn speedup(sequential: Interval, this: Interval) -> Option<Interval> {
    Some(Interval {
        point: finite(sequential.point / this.point)?,
        lower: finite(sequential.lower / this.upper)?,
        upper: finite(sequential.upper / this.lower)?,
    })
}

pub(crate) fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}

/// One fit per executor with a numeric size above 1 (a single worker has nothing to scale),
/// Sequential excepted. The baseline is the executor's
/// own size-1 point when it has one (pure scaling), else Sequential (scaling and overhead).
fn scaling_fits(rows: &[Row], cores: usize) -> Vec<Scaling> {
    let mut executors: Vec<&str> = Vec::new();
    for row in rows.iter().filter(|row| row.size.is_some_and(|size| size >= 2) && !row.is_sequential()) {
        match row.executor.as_deref() {
            Some(executor) if !executors.contains(&executor) => {
                executors.push(executor);
            }
            _ => {}
        }
    }
    executors
        .into_iter()
        .map(|executor| {
            let sized: Vec<&Row> = rows
                .iter()
                .filter(|row| row.executor.as_deref() == Some(executor) && row.size.is_some())
                .collect();
            // Speedups over Sequential (paired where the group had rounds): over the executor's
            // own size 1 they are divided by that point's.
            let own = sized
                .iter()
                .find(|row| row.size == Some(1))
                .and_then(|row| Some(("own size 1", row.speedup?.point)));
            let baseline = own.or_else(|| sequential(rows).map(|_| (ExecutorKind::Sequential.name(), 1.0)));
            let points = match baseline {
                Some((_, baseline)) => sized
                    .iter()
                    .filter_map(|row| {
                        let speedup = finite(row.speedup?.point / baseline).filter(|s| *s > 0.0)?;
                        Some(ScalingPoint { size: row.size?, speedup })
                    })
                    .collect(),
                None => Vec::new(),
            };
            scaling::fit(executor, baseline.map(|(name, _)| name), points, cores)
        })
        .collect()
}

/// Fills in each end-to-end group's start-up split, from its steady-state group when present.
fn add_startup_splits(groups: &mut [Group], cores: usize) {
    let pairs: Vec<(usize, String)> = groups
        .iter()
        .enumerate()
        .filter_map(|(index, group)| Some((index, group.case.as_ref()?.steady_state.clone()?)))
        .collect();
    for (index, steady_id) in pairs {
        let steady_rows =
            groups.iter().find(|group| group.id == steady_id).map(|group| group.results.clone());
        let group = &mut groups[index];
        group.startup = Some(startup::split(&group.results, &steady_id, steady_rows.as_deref()));
        group.headline = headline(group, cores);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rounds::fixtures::{file, rows};
    use crate::report::table::answers_table;

    /// One page never says two things: where Criterion's medians, each from a window of its own,
    /// favour Rayon at 8 (a window where the machine ran fast) and the paired rounds tie Rayon at
    /// 2 and 4, the headline, the answers table, the rows the Markdown shows and the scaling fits
    /// all follow the rounds, and no part names another size to pick.
    #[test]
    fn the_headline_the_answers_the_telling_rows_and_the_fits_of_one_page_agree() {
        const CONFIGURATIONS: [(&str, u32); 5] =
            [("Sequential", 1), ("Rayon", 2), ("Rayon", 4), ("Rayon", 8), ("StdPool", 2)];
        let paired = [1.0, 1.90, 1.91, 1.60, 1.70];
        let wobble =
            |round: usize, index: usize| 1.0 + 0.004 * (((round * 7 + index * 3) % 11) as f64 - 5.0) / 5.0;
        let mut measured =
            file(&CONFIGURATIONS, 40, |round, index| 1e7 / paired[index] * wobble(round, index));
        measured.group = "pools/g".to_owned();
        measured.reference = "pools/g/Sequential/1".to_owned();
        for (contender, (executor, size)) in measured.batches[0].contenders.iter_mut().zip(CONFIGURATIONS) {
            contender.id = format!("pools/g/{executor}/{size}");
        }
        let rounds = Rounds::new(&measured);
        // Criterion's medians: Rayon/8 at 2.5x the loop, beyond what 2 cores give.
        let medians = [10.0e6, 5.3e6, 5.2e6, 4.0e6, 5.9e6];
        let mut results = rows(&CONFIGURATIONS);
        for (row, median) in results.iter_mut().zip(medians) {
            row.id = format!("pools/{}", row.id);
            row.median_ns = Interval { point: median, lower: median * 0.98, upper: median * 1.02 };
            row.mean_ns = row.median_ns;
        }
        let group = group("pools/g", results, None, Some(&rounds), 2, Path::new("target/criterion"));

        let answer = group.answer.as_ref().expect("an answer from the rounds");
        assert_eq!((answer.recommended.as_slice(), answer.size), (&["pools/g/Rayon/2".to_owned()][..], 2));
        assert!(group.headline.starts_with("Rayon at 2 is fastest"), "{}", group.headline);
        assert!(!group.headline.contains("at 8"), "{}", group.headline);
        for fit in &group.scaling {
            assert!(
                !fit.verdict.contains("best size") && !fit.verdict.contains("fastest"),
                "{}",
                fit.verdict
            );
        }

        let summary = Summary {
            schema_version: SCHEMA_VERSION,
            generator: "test".to_owned(),
            machine: Machine::detect(),
            criterion_dir: "target/criterion".to_owned(),
            groups: vec![group],
            skipped: Vec::new(),
            peers: None,
            capacity: None,
        };
        let at_a_glance = answers_table(&summary).expect("an answers table");
        let cells = format!("{:?}", at_a_glance.rows[0].cells);
        assert!(cells.contains("Rayon at 2"), "{cells}");
        let markdown = crate::report::render_markdown(&summary);
        let rayon_rows: Vec<&str> = markdown.lines().filter(|line| line.starts_with("| Rayon | ")).collect();
        assert!(
            rayon_rows.iter().any(|line| line.starts_with("| Rayon | 2 "))
                && !rayon_rows.iter().any(|line| line.starts_with("| Rayon | 8 ")),
            "the Markdown shows the recommended Rayon row, not the one Criterion's window favoured: {rayon_rows:?}"
        );
    }
}
