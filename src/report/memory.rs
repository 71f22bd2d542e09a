//! What the answer costs in memory: the sentence the headline ends with when the configurations
//! at the answer's pool size hold meaningfully different amounts, and the Python peers' figures
//! at that size once they arrive.
//!
//! The figure is each row's [`Memory::held_pss_bytes`](crate::schema::Memory::held_pss_bytes):
//! the process tree's proportional set size at steady state less the same before the executor
//! started. "Meaningfully" is [`MEANINGFUL_BYTES`] or more apart: below that, the allocator's
//! rounding and the bench process's own heap move the figure as much.

use crate::ExecutorKind;
use crate::format::{self, join_and};
use crate::schema::{CaseInfo, Group, Row, Source};

/// The least difference the headline mentions: 1 MiB.
pub const MEANINGFUL_BYTES: f64 = 1024.0 * 1024.0;

/// Whether every iteration of the group starts and stops its own pool (a `startup/*` group, or a
/// user's [`Sweep::end_to_end`](crate::bench::Sweep::end_to_end), as its case says): at steady
/// state such a configuration holds nothing ("0 MiB" for every pool, a forked Python one too),
/// so the memory sentences leave the group out; a steady-state group says what a pool holds
/// while it is up, and the end-to-end headline points there.
pub(crate) fn end_to_end(group: &Group) -> bool {
    group.case.as_ref().is_some_and(CaseInfo::is_end_to_end)
}

/// The row the group's answer picks (its first recommended configuration), else its fastest
/// poolbench row by median, when it has memory figures and a pool size.
fn picked(group: &Group) -> Option<&Row> {
    let ours = || group.results.iter().filter(|row| row.source == Source::Criterion);
    let row = match &group.answer {
        Some(answer) => ours().find(|row| answer.recommended.first() == Some(&row.id))?,
        None => ours().min_by(|a, b| a.median_ns.point.total_cmp(&b.median_ns.point))?,
    };
    (row.memory.is_some() && row.size.is_some() && row.executor.is_some()).then_some(row)
}

fn held(row: &Row) -> Option<f64> {
    row.memory.map(|memory| memory.held_pss_bytes() as f64)
}

fn name(row: &Row) -> String {
    match (row.executor.as_deref(), row.size) {
        (Some(executor), _) if row.is_sequential() => executor.to_owned(),
        (Some(executor), Some(size)) => format!("{executor} at {size}"),
        _ => row.id.clone(),
    }
}

/// The memory sentence for poolbench's own rows: what the picked configuration holds, and each
/// other executor at its size that holds [`MEANINGFULLY`](MEANINGFUL_BYTES) more or less, with
/// how much slower it is. `None` when nothing differs meaningfully or nothing was measured.
pub(crate) fn note(group: &Group) -> Option<String> {
    if end_to_end(group) {
        return None;
    }
    let picked = picked(group)?;
    let picked_held = held(picked)?;
    let speedup = |row: &Row| row.speedup.map(|speedup| speedup.point);
    let others: Vec<String> = group
        .results
        .iter()
        .filter(|row| {
            row.source == Source::Criterion && row.size == picked.size && row.executor != picked.executor
        })
        .filter_map(|row| {
            let difference = held(row)? - picked_held;
            if difference.abs() < MEANINGFUL_BYTES {
                return None;
            }
            // A configuration tied with the fastest is not shown slower: the answer's "tie at
            // 1.51-1.71x" and "is 12% slower" would contradict each other.
            let tied = group.answer.as_ref().is_some_and(|answer| answer.tied.contains(&row.id));
            let slower = match (speedup(picked), speedup(row)) {
                (Some(ours), Some(theirs)) if !tied && theirs > 0.0 && ours / theirs > 1.02 => {
                    format!(" and is {} slower", format::share(1.0 - theirs / ours))
                }
                _ => String::new(),
            };
            let more = if difference > 0.0 { "more" } else { "less" };
            Some(format!("{} holds {} {more}{slower}", name(row), format::mebibytes(difference.abs())))
        })
        .collect();
    if others.is_empty() {
        return None;
    }
    Some(format!(
        "In memory, {} holds {}; {}.",
        name(picked),
        format::mebibytes(picked_held),
        join_and(others)
    ))
}

/// The Python peers' figures beside poolbench's pools, at one size: the answer's pool size, or
/// (when the answer is the loop) the largest size at which the peers measured memory. The
/// peers' own labels come from the group's ratios. `None` without peers that measured memory,
/// and for an end-to-end group.
pub(crate) fn peers_note(group: &Group) -> Option<String> {
    if end_to_end(group) {
        return None;
    }
    let measured_peers =
        || group.results.iter().filter(|row| row.source == Source::Python && row.memory.is_some());
    let size = match picked(group).and_then(|row| row.size).filter(|&size| size > 1) {
        Some(size) => size,
        None => measured_peers().filter_map(|row| row.size).max()?,
    };
    let label = |row: &Row| {
        group
            .ratios
            .iter()
            .find(|ratio| ratio.peer_id == row.id)
            .map_or_else(|| row.executor.clone().unwrap_or_default(), |ratio| ratio.peer_label.clone())
    };
    let figure = |row: &Row| {
        let memory = row.memory?;
        let each = memory
            .per_worker_pss_bytes()
            .map(|each| format!(", {} a process", format::mebibytes(each)))
            .unwrap_or_default();
        Some(format!("{}{each}", format::mebibytes(memory.held_pss_bytes() as f64)))
    };
    let peers: Vec<String> = measured_peers()
        .filter(|row| row.size == Some(size))
        .filter_map(|row| Some(format!("{} holds {}", label(row), figure(row)?)))
        .collect();
    if peers.is_empty() {
        return None;
    }
    let ours: Vec<String> = [ExecutorKind::ProcessPool, ExecutorKind::StdPool]
        .iter()
        .filter_map(|kind| {
            let row = group.results.iter().find(|row| {
                row.source == Source::Criterion
                    && row.size == Some(size)
                    && row.executor.as_deref() == Some(kind.name())
            })?;
            Some(format!("{} holds {}", kind.name(), figure(row)?))
        })
        .collect();
    // The peers' figures are set beside poolbench's own: without one of ours, they answer nothing.
    if ours.is_empty() {
        return None;
    }
    Some(format!("In memory at {size}: {}.", ours.into_iter().chain(peers).collect::<Vec<_>>().join("; ")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::schema::{Interval, Memory, TreeSample};

    /// A row of `source` holding `held_mib` MiB at steady state (and at its peak), in `processes`
    /// started processes, with this speedup.
    pub(crate) fn row(
        source: Source,
        executor: &str,
        size: u32,
        held_mib: u64,
        processes: u32,
        speedup: f64,
    ) -> Row {
        let time = Interval { point: 1.0, lower: 1.0, upper: 1.0 };
        let id = format!("g/c/{executor}/{size}");
        let mut row = Row::for_test(source, &id, Some(executor), &size.to_string(), time, vec![1.0]);
        let sample = |pss: u64, children: u64, processes: u32| TreeSample {
            pss_bytes: pss,
            rss_bytes: pss,
            children_pss_bytes: children,
            processes,
        };
        let base = 20 << 20;
        let steady =
            sample(base + (held_mib << 20), if processes > 0 { held_mib << 20 } else { 0 }, processes);
        row.memory = Some(Memory {
            baseline: sample(base, 0, 0),
            steady,
            peak: steady,
            samples: 3,
            sample_ns: 50_000,
        });
        row.speedup = Some(Interval { point: speedup, lower: speedup, upper: speedup });
        row
    }

    /// A group `g/c` of these rows and nothing derived.
    pub(crate) fn group(results: Vec<Row>) -> Group {
        Group::new("g/c", results)
    }

    #[test]
    fn the_answer_carries_its_memory_cost_when_another_executor_holds_meaningfully_more() {
        let mut fast = row(Source::Criterion, "StdPool", 2, 1, 0, 1.9);
        fast.median_ns.point = 0.5;
        let group = group(vec![
            row(Source::Criterion, "Sequential", 1, 0, 0, 1.0),
            fast,
            row(Source::Criterion, "ProcessPool", 2, 8, 3, 1.73),
            row(Source::Criterion, "Rayon", 2, 1, 0, 1.9),
            row(Source::Python, "python-pool-fork", 2, 4, 2, 1.0),
        ]);
        let text = note(&group).expect("ProcessPool holds 7 MiB more");
        assert_eq!(
            text,
            "In memory, StdPool at 2 holds 1.00 MiB; ProcessPool at 2 holds 7.00 MiB more and is 9% slower."
        );
        // Tied with the fastest, it is not called slower.
        let mut tied = group.clone();
        tied.answer = Some(crate::schema::Answer {
            fastest: "g/c/StdPool/2".to_owned(),
            tied: vec!["g/c/StdPool/2".to_owned(), "g/c/ProcessPool/2".to_owned()],
            recommended: vec!["g/c/StdPool/2".to_owned(), "g/c/ProcessPool/2".to_owned()],
            size: 2,
            sequential: false,
            beyond_the_cores: Vec::new(),
            sentence: String::new(),
        });
        assert_eq!(
            note(&tied).expect("ProcessPool holds 7 MiB more"),
            "In memory, StdPool at 2 holds 1.00 MiB; ProcessPool at 2 holds 7.00 MiB more."
        );
        let peers = peers_note(&group).expect("a forked pool measured at 2");
        assert_eq!(
            peers,
            "In memory at 2: ProcessPool holds 8.00 MiB, 2.67 MiB a process; StdPool holds 1.00 MiB; \
             python-pool-fork holds 4.00 MiB, 2.00 MiB a process."
        );
    }

    #[test]
    fn when_the_loop_is_the_answer_the_peers_are_set_beside_the_pools_at_their_largest_size() {
        let mut sequential = row(Source::Criterion, "Sequential", 1, 0, 0, 1.0);
        sequential.median_ns.point = 0.5;
        let mut rows = vec![sequential, row(Source::Python, "python-sequential", 1, 0, 0, 1.0)];
        for size in [2, 8] {
            rows.push(row(Source::Criterion, "ProcessPool", size, u64::from(size), size + 1, 0.9));
            rows.push(row(Source::Python, "python-pool-fork", size, 4 * u64::from(size), size, 1.0));
        }
        let group = group(rows);
        assert_eq!(note(&group), None, "no pool to cost the loop's answer");
        let peers = peers_note(&group).expect("peers measured at 8");
        assert!(
            peers.starts_with("In memory at 8: ProcessPool holds 8.00 MiB, 0.889 MiB a process"),
            "{peers}"
        );
        assert!(peers.ends_with("python-pool-fork holds 32.0 MiB, 4.00 MiB a process."), "{peers}");
    }

    #[test]
    fn an_end_to_end_group_whose_pools_are_gone_between_iterations_gets_no_memory_sentence() {
        // What its steady state reads: every pool holds nothing, a forked Python one too.
        let rows = || {
            let mut sequential = row(Source::Criterion, "Sequential", 1, 0, 0, 1.0);
            sequential.median_ns.point = 0.5;
            vec![
                sequential,
                row(Source::Criterion, "ProcessPool", 8, 0, 0, 0.1),
                row(Source::Criterion, "StdPool", 8, 0, 0, 0.2),
                row(Source::Python, "python-pool-fork", 8, 0, 0, 0.01),
            ]
        };
        let steady = group(rows());
        assert!(peers_note(&steady).is_some_and(|text| text.contains("ProcessPool holds 0 MiB")));
        let mut end_to_end = group(rows());
        end_to_end.case = Some(crate::schema::CaseInfo {
            exercise: Some(8),
            tasks: 10,
            about: "start a pool of n, map, shut it down".to_owned(),
            steady_state: Some("pools/squares-10".to_owned()),
            end_to_end: true,
        });
        assert_eq!(peers_note(&end_to_end), None);
        assert_eq!(note(&end_to_end), None);
        // A user's end-to-end sweep: no steady-state group of poolbench's, its case file says it.
        let mut theirs = group(rows());
        theirs.case = Some(crate::schema::CaseInfo { end_to_end: true, ..Default::default() });
        assert_eq!((note(&theirs), peers_note(&theirs)), (None, None));
        // A summary written before `end_to_end` existed: its steady-state group says it.
        let mut older = group(rows());
        older.case = Some(crate::schema::CaseInfo {
            steady_state: Some("pools/squares-10".to_owned()),
            ..Default::default()
        });
        assert_eq!((note(&older), peers_note(&older)), (None, None));
        let headline = crate::report::headline::headline(&theirs, 2);
        assert!(!headline.contains("0 MiB"), "{headline}");
        assert!(
            headline.ends_with(
                "Each iteration starts and stops its pool, so none is held between them; a steady-state sweep \
                 of the same work says what a pool holds while it is up."
            ),
            "{headline}"
        );
        let headline = crate::report::headline::headline(
            &crate::schema::Group {
                startup: Some(crate::schema::StartupSplit {
                    steady_state_group: "pools/squares-10".to_owned(),
                    rows: Vec::new(),
                }),
                ..end_to_end
            },
            2,
        );
        assert!(
            headline.contains(
                "Each iteration starts and stops its pool, so none is held between them: pools/squares-10 says \
                 what a pool holds while it is up."
            ),
            "{headline}"
        );
    }

    #[test]
    fn nothing_is_said_when_the_configurations_hold_about_the_same_or_were_not_measured() {
        let mut fast = row(Source::Criterion, "StdPool", 2, 1, 0, 1.9);
        fast.median_ns.point = 0.5;
        let same = group(vec![fast.clone(), row(Source::Criterion, "Rayon", 2, 1, 0, 1.8)]);
        assert_eq!(note(&same), None);
        assert_eq!(peers_note(&same), None);
        let mut unmeasured = fast;
        unmeasured.memory = None;
        assert_eq!(
            note(&group(vec![unmeasured.clone(), row(Source::Criterion, "ProcessPool", 2, 9, 3, 1.0)])),
            None
        );
        // Python's figures alone, with none of ours to set them beside, say nothing.
        let peers_only = group(vec![unmeasured, row(Source::Python, "python-pool-fork", 2, 4, 2, 1.0)]);
        assert_eq!(peers_note(&peers_only), None);
    }
}
