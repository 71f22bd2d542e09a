//! Measuring the gate itself: A/A runs (nothing changed), and runs with a slowdown injected into
//! cpu-spin in the head only (`POOLBENCH_INJECT_SLOWDOWN`), judged against the goals.
//!
//! Each run is a whole gate run, builds included, so its wall time is what CI pays. A cpu-spin
//! benchmark is one of a group whose id ends in `cpu-spin`; its *spin share* is how much of its
//! time is the spin, measured as its change in the run with the largest factor over that factor's
//! own change (a SpawnPerTask benchmark whose time is mostly process spawns moves little). Only
//! those whose share is at least [`MOSTLY_SPIN`] are expected to be flagged; the others are
//! listed, with their share.

use std::collections::BTreeMap;

use serde::Serialize;

use super::session::{Request, run};
use super::{Error, Outcome, Report, Settings, Verdict};
use crate::env::INJECT_SLOWDOWN;

/// The spin share from which a cpu-spin benchmark counts as mostly spin.
pub const MOSTLY_SPIN: f64 = 0.5;
/// The wall time a run may take, and the one aimed for, in seconds.
const WALL_GOAL_SECONDS: f64 = 600.0;
const WALL_AIM_SECONDS: f64 = 300.0;

/// A slowdown injected in the head's cpu-spin tasks.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Injection {
    /// The factor: 1.05 makes every cpu-spin task take 5% longer.
    pub factor: f64,
}

/// One calibration run, summarized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CalibrationRun {
    /// `A/A 1`, `x1.05`, ...
    pub label: String,
    /// The injected factor, for a slowdown run.
    pub factor: Option<f64>,
    /// The gate's outcome.
    pub outcome: Outcome,
    /// Seconds, builds included.
    pub wall_seconds: f64,
    /// Benchmarks judged, canaries not included.
    pub benchmarks: usize,
    /// Regressed or improved, outside cpu-spin (all of them in an A/A run): false alarms.
    pub false_alarms: Vec<String>,
    /// Of those, the regressions.
    pub false_regressions: usize,
    /// cpu-spin benchmarks flagged as regressed.
    pub spin_flagged: Vec<String>,
    /// Of those, the mostly-spin ones; and how many mostly-spin ones there are.
    pub mostly_spin_flagged: usize,
    /// Mostly-spin benchmarks in the run.
    pub mostly_spin: usize,
    /// Inconclusive benchmarks.
    pub inconclusive: usize,
    /// Whether the canary flagged.
    pub canary_flagged: bool,
}

/// A cpu-spin benchmark's measured spin share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpinShare {
    /// The benchmark.
    pub id: String,
    /// Its change in the largest factor's run over that factor's change; `None` when it was not
    /// measured there.
    pub share: Option<f64>,
    /// Whether it counts as mostly spin.
    pub mostly_spin: bool,
}

/// What a group can detect within the budget: over its benchmarks and the A/A runs, the smallest
/// change the rule would flag half the time ([`Change::detectable`](super::Change::detectable)).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupResolution {
    /// `<suite>/<case>`.
    pub group: String,
    /// Benchmarks in it.
    pub benchmarks: usize,
    /// The median over its benchmarks and runs, in percent.
    pub median_percent: f64,
    /// The largest, in percent.
    pub worst_percent: f64,
}

/// A goal of the issue and whether it was met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Goal {
    /// The goal.
    pub goal: String,
    /// Whether every run met it.
    pub met: bool,
    /// What was measured.
    pub measured: String,
}

/// The whole calibration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// The runs, A/A first.
    pub runs: Vec<CalibrationRun>,
    /// The cpu-spin benchmarks' spin shares.
    pub spin: Vec<SpinShare>,
    /// Each group's resolution.
    pub groups: Vec<GroupResolution>,
    /// The goals.
    pub goals: Vec<Goal>,
}

/// Runs `aa_runs` A/A runs, then one run per injection, each a whole gate run of `request` (with
/// the injection in the head's environment), handing each report to `each` as it is done.
///
/// # Errors
///
/// The first run's error, or an injection factor below 1.
pub fn calibrate(
    request: &Request,
    settings: &Settings,
    aa_runs: usize,
    injections: &[Injection],
    progress: &mut dyn FnMut(&str),
    each: &mut dyn FnMut(&str, &Report),
) -> Result<Calibration, Error> {
    if let Some(bad) =
        injections.iter().find(|injection| !(injection.factor.is_finite() && injection.factor > 1.0))
    {
        return Err(Error::input(format!("--inject {}: give factors above 1, such as 1.05", bad.factor)));
    }
    let mut reports: Vec<(String, Option<f64>, Report)> = Vec::new();
    for run_index in 0..aa_runs {
        let label = format!("A/A {}", run_index + 1);
        progress(&format!("== calibration: {label}"));
        let report = run(request, settings, progress)?;
        each(&label, &report);
        reports.push((label, None, report));
    }
    for injection in injections {
        let label = format!("x{}", injection.factor);
        progress(&format!("== calibration: {label} injected into the head's cpu-spin"));
        let mut injected = request.clone();
        injected.head_env.push((INJECT_SLOWDOWN.to_owned(), injection.factor.to_string()));
        let report = run(&injected, settings, progress)?;
        each(&label, &report);
        reports.push((label, Some(injection.factor), report));
    }
    Ok(summarize(&reports))
}

/// Whether `id` is a cpu-spin benchmark: its group ends in `cpu-spin`.
pub(crate) fn is_cpu_spin(id: &str) -> bool {
    let mut parts = id.split('/');
    let group = [parts.next(), parts.next()];
    matches!(group, [Some(_), Some("cpu-spin")])
}

fn group_of(id: &str) -> String {
    id.split('/').take(2).collect::<Vec<_>>().join("/")
}

fn flagged(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Regressed | Verdict::Improved)
}

/// The calibration of finished runs: `(label, injected factor, report)`.
pub(crate) fn summarize(reports: &[(String, Option<f64>, Report)]) -> Calibration {
    let spin = spin_shares(reports);
    let mostly: Vec<&str> =
        spin.iter().filter(|share| share.mostly_spin).map(|share| share.id.as_str()).collect();
    let runs: Vec<CalibrationRun> = reports
        .iter()
        .map(|(label, factor, report)| {
            let outside = |id: &str| factor.is_none() || !is_cpu_spin(id);
            let false_alarms: Vec<&super::Entry> =
                report.entries.iter().filter(|entry| flagged(entry.verdict) && outside(&entry.id)).collect();
            let spin_flagged: Vec<String> = report
                .entries
                .iter()
                .filter(|entry| {
                    factor.is_some() && is_cpu_spin(&entry.id) && entry.verdict == Verdict::Regressed
                })
                .map(|entry| entry.id.clone())
                .collect();
            CalibrationRun {
                label: label.clone(),
                factor: *factor,
                outcome: report.outcome(),
                wall_seconds: report.wall_seconds,
                benchmarks: report.entries.len(),
                false_regressions: false_alarms
                    .iter()
                    .filter(|entry| entry.verdict == Verdict::Regressed)
                    .count(),
                false_alarms: false_alarms
                    .iter()
                    .map(|entry| format!("{} {}", entry.id, entry.verdict.name()))
                    .collect(),
                mostly_spin_flagged: spin_flagged.iter().filter(|id| mostly.contains(&id.as_str())).count(),
                mostly_spin: if factor.is_some() { mostly.len() } else { 0 },
                spin_flagged,
                inconclusive: report.count(Verdict::Inconclusive),
                canary_flagged: report.canary.flagged.is_some(),
            }
        })
        .collect();
    let groups = resolutions(reports);
    let goals = goals(&runs);
    Calibration { runs, spin, groups, goals }
}

fn spin_shares(reports: &[(String, Option<f64>, Report)]) -> Vec<SpinShare> {
    let Some((_, Some(factor), largest)) = reports
        .iter()
        .filter(|(_, factor, _)| factor.is_some())
        .max_by(|a, b| a.1.unwrap_or(0.0).total_cmp(&b.1.unwrap_or(0.0)))
    else {
        return Vec::new();
    };
    largest
        .entries
        .iter()
        .filter(|entry| is_cpu_spin(&entry.id))
        .map(|entry| {
            let share = entry.change.map(|change| (change.ratio - 1.0) / (factor - 1.0));
            SpinShare {
                id: entry.id.clone(),
                share,
                mostly_spin: share.is_some_and(|share| share >= MOSTLY_SPIN),
            }
        })
        .collect()
}

fn resolutions(reports: &[(String, Option<f64>, Report)]) -> Vec<GroupResolution> {
    let mut by_group: BTreeMap<String, (Vec<f64>, std::collections::BTreeSet<String>)> = BTreeMap::new();
    for (_, factor, report) in reports {
        if factor.is_some() {
            continue;
        }
        for entry in &report.entries {
            if let Some(detectable) = entry.change.and_then(|change| change.detectable) {
                let (values, ids) = by_group.entry(group_of(&entry.id)).or_default();
                values.push((detectable - 1.0) * 100.0);
                ids.insert(entry.id.clone());
            }
        }
    }
    by_group
        .into_iter()
        .map(|(group, (mut values, ids))| {
            values.sort_by(f64::total_cmp);
            GroupResolution {
                group,
                benchmarks: ids.len(),
                median_percent: values[values.len() / 2],
                worst_percent: values[values.len() - 1],
            }
        })
        .collect()
}

fn goals(runs: &[CalibrationRun]) -> Vec<Goal> {
    let mut goals = Vec::new();
    let walls: Vec<String> =
        runs.iter().map(|run| format!("{} {:.0} s", run.label, run.wall_seconds)).collect();
    let slowest = runs.iter().map(|run| run.wall_seconds).fold(0.0, f64::max);
    goals.push(Goal {
        goal: format!("wall time at most {WALL_GOAL_SECONDS:.0} s per run, builds included (aim {WALL_AIM_SECONDS:.0} s)"),
        met: !runs.is_empty() && slowest <= WALL_GOAL_SECONDS,
        measured: walls.join(", "),
    });
    let aa: Vec<&CalibrationRun> = runs.iter().filter(|run| run.factor.is_none()).collect();
    if !aa.is_empty() {
        goals.push(Goal {
            goal: "A/A: at most 1 benchmark flagged in each run".to_owned(),
            met: aa.iter().all(|run| run.false_alarms.len() <= 1),
            measured: aa
                .iter()
                .map(|run| {
                    let canary = if run.canary_flagged { ", canary flagged" } else { "" };
                    format!("{}: {} of {} flagged{canary}", run.label, run.false_alarms.len(), run.benchmarks)
                })
                .collect::<Vec<_>>()
                .join("; "),
        });
    }
    for run in runs.iter().filter(|run| run.factor.is_some()) {
        let factor = run.factor.unwrap_or(1.0);
        let needed = if factor < 1.1 { 0.9 } else { 1.0 };
        let share =
            if run.mostly_spin == 0 { 0.0 } else { run.mostly_spin_flagged as f64 / run.mostly_spin as f64 };
        goals.push(Goal {
            goal: format!(
                "{}: at least {:.0}% of the mostly-spin cpu-spin benchmarks flagged as regressed, nothing else \
                 flagged as regressed",
                run.label,
                needed * 100.0
            ),
            met: run.mostly_spin > 0 && share >= needed && run.false_regressions == 0,
            measured: format!(
                "{} of {} mostly-spin flagged ({} cpu-spin in all); {} other(s) flagged, {} as regressed{}",
                run.mostly_spin_flagged,
                run.mostly_spin,
                run.spin_flagged.len(),
                run.false_alarms.len(),
                run.false_regressions,
                if run.canary_flagged { "; canary flagged" } else { "" }
            ),
        });
    }
    goals
}

/// The calibration as text.
pub fn render(calibration: &Calibration) -> String {
    use std::fmt::Write as _;
    let mut text = String::from("poolbench gate calibrate\n\nruns:\n");
    for run in &calibration.runs {
        let _ = writeln!(
            text,
            "  {:<8} {:>5.0} s  {:?}; {} benchmarks, {} inconclusive; false alarms: {}{}{}",
            run.label,
            run.wall_seconds,
            run.outcome,
            run.benchmarks,
            run.inconclusive,
            if run.false_alarms.is_empty() { "none".to_owned() } else { run.false_alarms.join(", ") },
            if run.factor.is_some() {
                format!(
                    "; cpu-spin regressed: {} ({} of {} mostly spin)",
                    run.spin_flagged.len(),
                    run.mostly_spin_flagged,
                    run.mostly_spin
                )
            } else {
                String::new()
            },
            if run.canary_flagged { "; CANARY FLAGGED" } else { "" },
        );
    }
    if !calibration.spin.is_empty() {
        let _ = writeln!(
            text,
            "\ncpu-spin benchmarks not mostly spin (share below {MOSTLY_SPIN}), not expected to be flagged:"
        );
        for share in calibration.spin.iter().filter(|share| !share.mostly_spin) {
            let measured = share
                .share
                .map_or_else(|| "not measured".to_owned(), |share| format!("{:.0}% spin", share * 100.0));
            let _ = writeln!(text, "  {} ({measured})", share.id);
        }
    }
    let _ = writeln!(
        text,
        "\nsmallest change each group can detect within the budget (A/A runs; median, worst):"
    );
    for group in &calibration.groups {
        let _ = writeln!(
            text,
            "  {:<28} {:>3} benchmarks  {:>6.1}%  {:>6.1}%",
            group.group, group.benchmarks, group.median_percent, group.worst_percent
        );
    }
    let _ = writeln!(text, "\ngoals:");
    for goal in &calibration.goals {
        let _ = writeln!(
            text,
            "  [{}] {}\n        {}",
            if goal.met { "met" } else { "NOT MET" },
            goal.goal,
            goal.measured
        );
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_spin_benchmarks_are_those_of_cpu_spin_groups() {
        assert!(is_cpu_spin("pools/cpu-spin/Rayon/2") && is_cpu_spin("task/cpu-spin/20000"));
        assert!(
            !is_cpu_spin("pools/squares-10/Rayon/2")
                && !is_cpu_spin("cpu-spin")
                && !is_cpu_spin("a/b/cpu-spin")
        );
        assert_eq!(group_of("crossover/cpu-spin/Rayon/16"), "crossover/cpu-spin");
    }
}
