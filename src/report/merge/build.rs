//! Several machines' summaries into one [`Merged`]: the checks that refuse or flag, the machines
//! ordered by cores, and per group each machine's best configuration, speedup lines and fits.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::headline::headline;
use crate::report::Error;
use crate::report::headline::BEYOND_THE_CORES;
use crate::schema::{
    BestConfiguration, Group, MERGED_VERSION, MachineGroup, Merged, MergedGroup, MergedMachine, Source,
    SpeedupBasis, SpeedupLine, SpeedupPoint, Summary, sequential,
};

/// One machine's summary and the file it was read from.
#[derive(Debug, Clone)]
pub struct MachineSummary {
    /// The `summary.json` it was read from.
    pub path: PathBuf,
    /// Its contents.
    pub summary: Summary,
}

/// Merges `summaries`, one per machine.
///
/// # Errors
///
/// Fewer than two summaries; one file given twice, or two files of the same run; two summaries of
/// different commits unless `allow_different_commits` (then the difference is flagged).
pub fn merge(summaries: Vec<MachineSummary>, allow_different_commits: bool) -> Result<Merged, Error> {
    if summaries.len() < 2 {
        return Err(Error::too_few_summaries(summaries.len()));
    }
    let mut flags = check(&summaries, allow_different_commits)?;
    let mut summaries = summaries;
    // Fewest cores first: the order every table and sentence reads the machines in.
    summaries.sort_by_key(|input| input.summary.machine.cores);
    let labels = labels(&summaries);
    let no_rounds: Vec<&str> = summaries
        .iter()
        .zip(&labels)
        .filter(|(input, _)| !input.summary.groups.iter().any(paired))
        .map(|(_, label)| label.as_str())
        .collect();
    if !no_rounds.is_empty() {
        flags.push(format!(
            "{} had no paired rounds that kept a pool (none ran, or every round was dropped): the best \
             configuration there is the highest ratio of Criterion's medians that the cores can give, not a \
             paired answer",
            crate::format::join_and(no_rounds.iter().map(|label| (*label).to_owned()).collect())
        ));
    }
    let machines: Vec<MergedMachine> = summaries
        .iter()
        .zip(&labels)
        .map(|(input, label)| MergedMachine {
            label: label.clone(),
            path: input.path.display().to_string(),
            machine: input.summary.machine.clone(),
            benchmarks: input.summary.rows().count(),
        })
        .collect();
    let mut ids: Vec<&str> = Vec::new();
    for group in summaries.iter().flat_map(|input| &input.summary.groups) {
        if !ids.contains(&group.id.as_str()) {
            ids.push(&group.id);
        }
    }
    let groups = ids
        .into_iter()
        .map(|id| {
            let found: Vec<(usize, &Group)> = summaries
                .iter()
                .enumerate()
                .filter_map(|(index, input)| input.summary.group(id).map(|group| (index, group)))
                .collect();
            merged_group(id, &found, &machines)
        })
        .collect();
    Ok(Merged {
        schema_version: MERGED_VERSION,
        generator: format!("poolbench {}", env!("CARGO_PKG_VERSION")),
        machines,
        flags,
        groups,
    })
}

/// What refuses the merge, or else what it must flag.
fn check(summaries: &[MachineSummary], allow_different_commits: bool) -> Result<Vec<String>, Error> {
    let mut flags = Vec::new();
    for (index, first) in summaries.iter().enumerate() {
        for second in &summaries[index + 1..] {
            if same_file(&first.path, &second.path) {
                return Err(Error::same_path(&second.path));
            }
            if first.summary.machine == second.summary.machine {
                return Err(Error::same_run(&first.path, &second.path, &first.summary.machine.date));
            }
        }
    }
    let commits: Vec<(&Path, Option<&str>)> = summaries
        .iter()
        .map(|input| {
            (input.path.as_path(), input.summary.machine.git.as_ref().map(|git| git.commit.as_str()))
        })
        .collect();
    let known: Vec<(&Path, &str)> =
        commits.iter().filter_map(|(path, commit)| Some((*path, (*commit)?))).collect();
    if let Some(other) = known.iter().find(|(_, commit)| *commit != known[0].1) {
        if !allow_different_commits {
            return Err(Error::different_commits(known[0], *other));
        }
        let distinct: BTreeSet<&str> = known.iter().map(|(_, commit)| short(commit)).collect();
        flags.push(format!(
            "the machines measured different commits ({}): a difference may be the code's, not the cores'",
            distinct.into_iter().collect::<Vec<_>>().join(", ")
        ));
    }
    for (path, commit) in &commits {
        if commit.is_none() {
            flags.push(format!("{} names no commit (not written in a git checkout)", path.display()));
        }
    }
    let dirty: Vec<String> = summaries
        .iter()
        .filter(|input| input.summary.machine.git.as_ref().is_some_and(|git| git.dirty))
        .map(|input| input.path.display().to_string())
        .collect();
    if !dirty.is_empty() {
        let verb = if dirty.len() == 1 { "was" } else { "were" };
        flags.push(format!(
            "{} {verb} measured with uncommitted changes: the numbers may not be the commit's",
            crate::format::join_and(dirty)
        ));
    }
    Ok(flags)
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}

fn short(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// `1 core`, `2 cores`; machines with as many cores get their summary's directory too.
fn labels(summaries: &[MachineSummary]) -> Vec<String> {
    let cores = |input: &MachineSummary| {
        let cores = input.summary.machine.cores;
        format!("{cores} core{}", if cores == 1 { "" } else { "s" })
    };
    summaries
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let shared = summaries.iter().enumerate().any(|(other, them)| {
                other != index && them.summary.machine.cores == input.summary.machine.cores
            });
            if !shared {
                return cores(input);
            }
            let dir =
                input.path.parent().and_then(Path::file_name).map(|name| name.to_string_lossy().into_owned());
            format!("{} ({})", cores(input), dir.unwrap_or_else(|| format!("#{}", index + 1)))
        })
        .collect()
}

fn merged_group(id: &str, found: &[(usize, &Group)], machines: &[MergedMachine]) -> MergedGroup {
    let per_machine: Vec<MachineGroup> = found
        .iter()
        .map(|&(machine, group)| MachineGroup {
            machine,
            cores: machines[machine].machine.cores,
            best: best(group, machines[machine].machine.cores),
            lines: lines(group),
            scaling: group.scaling.clone(),
        })
        .collect();
    let mut notes = Vec::new();
    let missing: Vec<String> = (0..machines.len())
        .filter(|index| !found.iter().any(|(machine, _)| machine == index))
        .map(|index| machines[index].label.clone())
        .collect();
    if !missing.is_empty() {
        notes.push(format!("Not measured on {}.", crate::format::join_and(missing)));
    }
    let unpaired: Vec<String> = found
        .iter()
        .filter(|(_, group)| !paired(group))
        .map(|&(machine, _)| machines[machine].label.clone())
        .collect();
    if !unpaired.is_empty() {
        notes.push(format!(
            "No paired round kept a pool on {}: the best there is the highest ratio of Criterion's medians that \
             the cores can give.",
            crate::format::join_and(unpaired)
        ));
    }
    let sizes: Vec<BTreeSet<u32>> = per_machine
        .iter()
        .map(|entry| entry.lines.iter().flat_map(|line| line.points.iter().map(|point| point.size)).collect())
        .collect();
    if sizes.windows(2).any(|pair| pair[0] != pair[1]) {
        let listed: Vec<String> = per_machine
            .iter()
            .zip(&sizes)
            .map(|(entry, sizes)| {
                let sizes: Vec<String> = sizes.iter().map(u32::to_string).collect();
                format!("{} measured {}", machines[entry.machine].label, sizes.join(", "))
            })
            .collect();
        notes.push(format!(
            "The machines measured different pool sizes ({}): compare the lines where they overlap.",
            listed.join("; ")
        ));
    }
    let headline = headline(&per_machine, machines);
    MergedGroup { id: id.to_owned(), headline, notes, machines: per_machine }
}

/// Whether the group's rounds gave a pool a paired speedup: with every round dropped (a machine
/// too busy to measure), its answer can only name Sequential, which says nothing of the pools.
fn paired(group: &Group) -> bool {
    group.answer.is_some()
        && group.results.iter().any(|row| !row.is_sequential() && row.speedup_basis == SpeedupBasis::Rounds)
}

/// What to pick on a machine of `cores` cores: the group's paired answer where it has one, else
/// the highest ratio of medians that its workers and the cores can give (the plain loop when no
/// pool beats it).
fn best(group: &Group, cores: usize) -> Option<BestConfiguration> {
    let rows: Vec<_> = group
        .results
        .iter()
        .filter(|row| row.source == Source::Criterion && row.executor.is_some())
        .collect();
    let speedup = |row: &crate::schema::Row| row.speedup.map_or(f64::NEG_INFINITY, |speedup| speedup.point);
    if let Some(answer) = group.answer.as_ref().filter(|_| paired(group)) {
        let picked: Vec<_> = rows.iter().filter(|row| answer.recommended.contains(&row.id)).collect();
        let top = picked.iter().map(|row| speedup(row)).fold(f64::NEG_INFINITY, f64::max);
        return Some(BestConfiguration {
            configurations: answer.recommended.clone(),
            executors: picked.iter().filter_map(|row| row.executor.clone()).collect(),
            size: answer.size,
            speedup: if top.is_finite() { top } else { 1.0 },
            sequential: answer.sequential,
            basis: SpeedupBasis::Rounds,
        });
    }
    let reference = sequential(&group.results)?;
    // As the paired answer does: work that waits may gain from more workers than cores. A loop
    // that other programs kept off its core looks like waiting too: only a quiet one can tell.
    let waits = !reference.load.is_disturbed() && crate::report::rounds::waits(reference);
    let possible = |row: &crate::schema::Row| {
        let size = f64::from(row.size.unwrap_or(1).max(1));
        let limit = if waits { size } else { size.min(cores.max(1) as f64) };
        // Above what its workers and the cores can give by more than the report's own headline
        // allows (`BEYOND_THE_CORES`), a ratio of medians is not taken as a result. The point,
        // not the lower bound: the interval of two medians divides their opposite bounds, and on
        // a busy machine it is wide enough to let 3.9× on 2 cores through.
        row.speedup.is_some_and(|speedup| speedup.point <= limit * BEYOND_THE_CORES)
    };
    let fastest = rows
        .iter()
        .filter(|row| possible(row))
        .max_by(|a, b| speedup(a).total_cmp(&speedup(b)))
        .copied()
        .filter(|row| speedup(row) > 1.0 && !row.is_sequential())
        .unwrap_or(reference);
    Some(BestConfiguration {
        configurations: vec![fastest.id.clone()],
        executors: fastest.executor.iter().cloned().collect(),
        size: if fastest.is_sequential() { 1 } else { fastest.size.unwrap_or(1) },
        speedup: if fastest.is_sequential() { 1.0 } else { speedup(fastest) },
        sequential: fastest.is_sequential(),
        basis: if fastest.is_sequential() { SpeedupBasis::Medians } else { fastest.speedup_basis },
    })
}

/// One line per executor with pool sizes, Sequential excepted, by size.
fn lines(group: &Group) -> Vec<SpeedupLine> {
    let mut lines: Vec<SpeedupLine> = Vec::new();
    for row in group.results.iter().filter(|row| row.source == Source::Criterion && !row.is_sequential()) {
        let (Some(executor), Some(size), Some(speedup)) = (&row.executor, row.size, row.speedup) else {
            continue;
        };
        let point = SpeedupPoint { size, speedup, efficiency: speedup.point / f64::from(size.max(1)) };
        match lines.iter_mut().find(|line| &line.executor == executor) {
            Some(line) => line.points.push(point),
            None => lines.push(SpeedupLine { executor: executor.clone(), points: vec![point] }),
        }
    }
    for line in &mut lines {
        line.points.sort_by_key(|point| point.size);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Answer, Interval, Row};

    fn row(executor: &str, size: &str, speedup: f64) -> Row {
        let time = Interval { point: 1.0, lower: 1.0, upper: 1.0 };
        let id = format!("g/{executor}/{size}");
        let mut row = Row::for_test(Source::Criterion, &id, Some(executor), size, time, vec![1.0]);
        row.speedup = Some(Interval { point: speedup, lower: speedup * 0.5, upper: speedup * 2.0 });
        row
    }

    fn group(results: Vec<Row>, answer: Option<Answer>) -> Group {
        Group { answer, ..Group::new("g", results) }
    }

    #[test]
    fn without_paired_pools_the_best_is_the_fastest_median_the_cores_can_give() {
        let rows = vec![row("Sequential", "1", 1.0), row("Rayon", "2", 1.8), row("StdPool", "2", 3.9)];
        // Every round dropped: the answer can only name Sequential, which says nothing of the pools.
        let only_sequential = Answer {
            fastest: "g/Sequential/1".to_owned(),
            tied: vec!["g/Sequential/1".to_owned()],
            recommended: vec!["g/Sequential/1".to_owned()],
            size: 1,
            sequential: true,
            beyond_the_cores: Vec::new(),
            sentence: "Only Sequential was in the rounds.".to_owned(),
        };
        let best = best(&group(rows, Some(only_sequential)), 2).expect("a best configuration");
        assert_eq!(
            (best.configurations, best.size, best.sequential),
            (vec!["g/Rayon/2".to_owned()], 2, false)
        );
        assert_eq!(best.basis, SpeedupBasis::Medians);
    }

    #[test]
    fn no_pool_faster_than_the_loop_makes_the_loop_the_best() {
        let rows = vec![row("Sequential", "1", 1.0), row("Rayon", "2", 0.7)];
        let best = best(&group(rows, None), 2).expect("a best configuration");
        assert!(best.sequential && best.size == 1 && best.speedup == 1.0, "{best:?}");
    }
}
