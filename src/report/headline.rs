//! "What this says": one plain sentence or two per group, the line a reader should leave with.
//!
//! A group with interleaved rounds gets their answer (`rounds.rs`): the fastest configuration,
//! those tied with it, the smallest pool size among them. Without rounds, it names the fastest
//! executor and size and its speedup over the sequential loop from Criterion's medians, and says
//! plainly when no pool beats that loop, or when the difference is within the confidence
//! intervals. Sizes above the core count are called out: on a two-core machine a pool of 8
//! oversubscribes it, which only pays when tasks wait. It ends with what the answer costs in
//! memory when another executor at its size holds meaningfully more or less (`memory.rs`).

use crate::format::{self, duration_ns};
use crate::schema::{Group, Quietness, Row, sequential};

/// The headline of `group`, on a machine with `cores` cores: the answer from its interleaved
/// rounds when it had them, else the comparison of Criterion's medians.
pub fn headline(group: &Group, cores: usize) -> String {
    let mut text = match &group.answer {
        Some(answer) => answer.sentence.clone(),
        None => {
            let (mut text, rests_on) = comparison(&group.results, cores);
            if let Some(doubt) = doubt(&rests_on) {
                text.push(' ');
                text.push_str(&doubt);
            }
            text
        }
    };
    if let Some(startup) = group.startup.as_ref() {
        // A split within noise (SpawnPerTask's, whose steady state starts processes too) is no
        // start-up cost to quote: it could read as a negative one.
        let pools = startup.rows.iter().filter(|row| !row.is_sequential() && !row.within_noise);
        let cheapest = pools.clone().min_by(|a, b| a.startup_ns.total_cmp(&b.startup_ns));
        let dearest = pools.max_by(|a, b| a.startup_ns.total_cmp(&b.startup_ns));
        match (cheapest, dearest) {
            (Some(only), Some(dearest)) if std::ptr::eq(only, dearest) => text.push_str(&format!(
                " Starting and stopping the pool costs {} ({}).",
                duration_ns(only.startup_ns),
                label(&only.executor, only.value.as_deref()),
            )),
            (Some(cheapest), Some(dearest)) => text.push_str(&format!(
                " Starting and stopping a pool costs from {} ({}) to {} ({}).",
                duration_ns(cheapest.startup_ns),
                label(&cheapest.executor, cheapest.value.as_deref()),
                duration_ns(dearest.startup_ns),
                label(&dearest.executor, dearest.value.as_deref()),
            )),
            _ if startup.rows.iter().any(|row| !row.is_sequential()) => {
                text.push_str(" Starting and stopping a pool costs nothing measurable here.");
            }
            _ => text.push_str(&format!(
                " No start-up split: {} has no matching pool in these results.",
                startup.steady_state_group
            )),
        }
    }
    // Its pools hold nothing between iterations (each is gone by the next): what a pool holds
    // while it is up is its steady-state group's figure, not this group's zeros.
    if super::memory::end_to_end(group)
        && group.results.iter().any(|row| row.memory.is_some() && !row.is_sequential())
    {
        text.push_str(" Each iteration starts and stops its pool, so none is held between them");
        match group.startup.as_ref() {
            Some(startup) => text.push_str(&format!(
                ": {} says what a pool holds while it is up.",
                startup.steady_state_group
            )),
            None => text
                .push_str("; a steady-state sweep of the same work says what a pool holds while it is up."),
        }
    }
    if let Some(memory) = super::memory::note(group) {
        text.push(' ');
        text.push_str(&memory);
    }
    text
}

fn fastest<'a>(rows: impl Iterator<Item = &'a Row>) -> Option<&'a Row> {
    rows.min_by(|a, b| a.median_ns.point.total_cmp(&b.median_ns.point))
}

/// What a sentence that rests on disturbed rows must add: which, and how disturbed.
fn doubt(rows: &[&Row]) -> Option<String> {
    let disturbed: Vec<(String, f64)> = rows
        .iter()
        .filter_map(|row| match &row.load {
            // A row without an executor is named by its id, which holds its value already.
            Quietness::Disturbed(measured) => {
                let name = if row.executor.is_some() { row_label(row) } else { row.id.clone() };
                Some((name, measured.load.disturbance))
            }
            _ => None,
        })
        .collect();
    match disturbed.as_slice() {
        [] => None,
        [(label, share)] => Some(format!(
            "In doubt: {label} was measured while other programs took {} of its cores.",
            format::share(*share)
        )),
        _ => Some(format!(
            "In doubt: {} were measured while other programs took {} of their cores.",
            format::join_and(disturbed.iter().map(|(label, _)| label.clone()).collect()),
            format::join_and(disturbed.iter().map(|(_, share)| format::share(*share)).collect()),
        )),
    }
}

/// The comparison in words, and the rows it rests on.
fn comparison(rows: &[Row], cores: usize) -> (String, Vec<&Row>) {
    let Some(best) = fastest(rows.iter().filter(|row| row.executor.is_some())) else {
        return (without_executors(rows), rows.iter().take(WITHOUT_EXECUTORS_LISTED).collect());
    };
    let best_pool = fastest(rows.iter().filter(|row| row.executor.is_some() && !row.is_sequential()));
    let oversubscribed = |row: &Row| match row.size {
        Some(size) if usize::try_from(size).is_ok_and(|size| size > cores) => {
            format!(", more workers than the machine's {cores} cores")
        }
        _ => String::new(),
    };
    let Some(sequential) = sequential(rows) else {
        let text = format!(
            "Fastest: {}, {}{}. No Sequential run in this group to compare with.",
            row_label(best),
            duration_ns(best.median_ns.point),
            oversubscribed(best)
        );
        return (text, vec![best]);
    };
    let Some(pool) = best_pool else {
        return (
            format!("Only Sequential ran: {}.", duration_ns(sequential.median_ns.point)),
            vec![sequential],
        );
    };
    let Some(speedup) = pool.speedup else {
        let text = format!("Fastest pool: {}, {}.", row_label(pool), duration_ns(pool.median_ns.point));
        return (text, vec![pool]);
    };
    let text = if speedup.point <= 1.0 {
        format!(
            "No pool beats the sequential loop here: Sequential takes {}; the fastest pool, {}, takes {} ({}).",
            duration_ns(sequential.median_ns.point),
            row_label(pool),
            duration_ns(pool.median_ns.point),
            format::speedup(speedup.point),
        )
    } else if speedup.lower <= 1.0 {
        format!(
            "No pool clearly beats the sequential loop: the fastest, {}, takes {} against Sequential's {} ({}), within the confidence intervals{}.",
            row_label(pool),
            duration_ns(pool.median_ns.point),
            duration_ns(sequential.median_ns.point),
            format::speedup(speedup.point),
            oversubscribed(pool),
        )
    } else {
        let mut text = format!(
            "Pooling helps: {} is fastest, {}, {} the sequential loop's speed ({}){}.",
            row_label(pool),
            duration_ns(pool.median_ns.point),
            format::speedup(speedup.point),
            duration_ns(sequential.median_ns.point),
            oversubscribed(pool),
        );
        if let Some(beyond) = beyond_the_cores(pool, sequential, speedup.point, cores) {
            text.push(' ');
            text.push_str(&beyond);
        }
        text
    };
    (text, vec![pool, sequential])
}

/// How much more than the cores can give a speedup may be before it is questioned: 10%. The
/// merged report (`merge/`) holds a best configuration to the same bound.
pub(super) const BEYOND_THE_CORES: f64 = 1.10;

/// How much less CPU time the pool's iteration may take than Sequential's before the two are
/// said not to have run on the same machine: 15%.
const LESS_CPU: f64 = 0.85;

/// What a speedup above what the pool's cores can give must add, when the load measured around
/// both rows shows that the pool's iteration took less CPU time than the sequential loop's: the
/// same work done in less CPU time means the CPU itself was faster for one row than for the
/// other (on a VM, the host's other tenants or its clock, which `/proc` inside the guest does not
/// show), or that the work fits the caches of several cores better than one. Either way the
/// speedup is not the executor's alone. Work that waits (io-sleep) takes little CPU time in the
/// sequential loop, so it is not questioned.
fn beyond_the_cores(pool: &Row, sequential: &Row, speedup: f64, cores: usize) -> Option<String> {
    let usable =
        pool.size.map_or(cores, |size| usize::try_from(size).unwrap_or(usize::MAX).min(cores)).max(1);
    if speedup <= usable as f64 * BEYOND_THE_CORES {
        return None;
    }
    let cpu = |row: &Row| {
        let load = row.load.measurement()?.load;
        Some(row.median_ns.point * load.busy_cores())
    };
    let (pool_cpu, sequential_cpu) = (cpu(pool)?, cpu(sequential)?);
    if !(sequential_cpu > 0.0 && pool_cpu < sequential_cpu * LESS_CPU) {
        return None;
    }
    Some(format!(
        "In doubt: that is more than {usable} cores can give, and an iteration of {} took {} of the CPU time \
         an iteration of Sequential did ({} against {}): the CPU ran faster for one row \
         than for the other (on a VM, a change /proc cannot see) or the work fits several cores' caches \
         better, so the speedup is not the executor's alone.",
        row_label(pool),
        format::share(pool_cpu / sequential_cpu),
        duration_ns(pool_cpu),
        duration_ns(sequential_cpu),
    ))
}

/// How many rows a group without executors names in its headline.
const WITHOUT_EXECUTORS_LISTED: usize = 4;

fn without_executors(rows: &[Row]) -> String {
    let listed: Vec<String> = rows
        .iter()
        .take(WITHOUT_EXECUTORS_LISTED)
        .map(|row| {
            format!("{} → {}", row.value.as_deref().unwrap_or(&row.id), duration_ns(row.median_ns.point))
        })
        .collect();
    let more = if rows.len() > listed.len() { ", ..." } else { "" };
    format!("One thread, no executors to compare: {}{more}.", listed.join("; "))
}

fn row_label(row: &Row) -> String {
    label(row.executor.as_deref().unwrap_or(&row.id), row.value.as_deref())
}

/// `Rayon at 4` for a pool size, `Mutex (fair)` for another value, `Rayon` for none.
pub fn label(executor: &str, value: Option<&str>) -> String {
    match value {
        Some(value) if value.parse::<u32>().is_ok() => format!("{executor} at {value}"),
        Some(value) => format!("{executor} ({value})"),
        None => executor.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Interval, SplitRow, StartupSplit};

    /// A row as the summary holds it; the numbers are the headline's input, not Criterion's files.
    fn row(executor: &str, size: u32, median: f64, spread: f64, sequential: f64) -> Row {
        let median_ns = Interval { point: median, lower: median - spread, upper: median + spread };
        let speedup = Interval {
            point: sequential / median,
            lower: (sequential - spread) / (median + spread),
            upper: (sequential + spread) / (median - spread),
        };
        Row {
            std_dev_ns: spread,
            n: 10,
            samples_ns: Vec::new(),
            speedup: Some(speedup),
            ..Row::for_test(
                crate::schema::Source::Criterion,
                &format!("g/{executor}/{size}"),
                Some(executor),
                &size.to_string(),
                median_ns,
                Vec::new(),
            )
        }
    }

    #[test]
    fn a_sequential_win_is_said_plainly() {
        let rows = [row("Sequential", 1, 1_000.0, 10.0, 1_000.0), row("Rayon", 2, 40_000.0, 10.0, 1_000.0)];
        let (text, _) = comparison(&rows, 2);
        assert!(text.starts_with("No pool beats the sequential loop here"), "{text}");
        assert!(text.contains("Rayon at 2") && text.contains("40.0× slower"), "{text}");
    }

    #[test]
    fn a_clear_win_names_the_fastest_executor_size_and_speedup() {
        let rows = [
            row("Sequential", 1, 8_000.0, 10.0, 8_000.0),
            row("Rayon", 2, 4_000.0, 10.0, 8_000.0),
            row("Rayon", 4, 2_000.0, 10.0, 8_000.0),
        ];
        let (text, _) = comparison(&rows, 2);
        assert!(text.starts_with("Pooling helps: Rayon at 4 is fastest"), "{text}");
        assert!(text.contains("4.00×") && text.contains("more workers than the machine's 2 cores"), "{text}");
    }

    #[test]
    fn a_win_inside_the_intervals_is_called_unclear() {
        let rows = [row("Sequential", 1, 1_000.0, 100.0, 1_000.0), row("StdPool", 2, 950.0, 100.0, 1_000.0)];
        let (text, _) = comparison(&rows, 2);
        assert!(text.starts_with("No pool clearly beats the sequential loop"), "{text}");
    }

    fn split(executor: &str, size: u32, startup_ns: f64, within_noise: bool) -> SplitRow {
        let interval = Interval { point: 1.0, lower: 1.0, upper: 1.0 };
        SplitRow {
            executor: executor.to_owned(),
            value: Some(size.to_string()),
            size: Some(size),
            end_to_end_ns: interval,
            steady_state_ns: interval,
            startup_ns,
            within_noise,
        }
    }

    fn startup_group(rows: Vec<SplitRow>) -> Group {
        Group {
            startup: Some(StartupSplit { steady_state_group: "pools/squares-10".to_owned(), rows }),
            ..Group::new("startup/ex8-squares", vec![row("Sequential", 1, 40.0, 1.0, 40.0)])
        }
    }

    #[test]
    fn start_up_costs_within_noise_are_not_quoted() {
        let group = startup_group(vec![
            split("ProcessPool", 2, 2_000_000.0, false),
            split("Rayon", 2, 100_000.0, false),
            split("SpawnPerTask", 2, -257_000.0, true),
        ]);
        let text = headline(&group, 2);
        assert!(text.contains("from 100 µs (Rayon at 2) to 2.00 ms (ProcessPool at 2)"), "{text}");
        assert!(!text.contains("SpawnPerTask") && !text.contains('-'), "{text}");

        assert!(!text.contains("held"), "no memory sampled, no memory sentence: {text}");

        let noise_only = startup_group(vec![split("SpawnPerTask", 2, -257_000.0, true)]);
        assert!(
            headline(&noise_only, 2).contains("costs nothing measurable"),
            "{}",
            headline(&noise_only, 2)
        );
    }

    #[test]
    fn a_speedup_beyond_the_cores_with_less_cpu_time_than_sequential_is_questioned() {
        use crate::schema::{Load, Times};
        // Sequential: 6.76 ms with one core busy; StdPool at 2: 2.62 ms with 1.96 busy, so
        // 5.14 ms of CPU per iteration against 6.76 (the figures of a real run).
        let quiet = |busy: f64, threads: u32| {
            Quietness::judged(Load::judge(Times::two_cores(1.0, busy, busy, 0.0), threads, 0.15), 1)
        };
        let mut sequential = row("Sequential", 1, 6_760_000.0, 10.0, 6_760_000.0);
        sequential.load = quiet(1.0, 1);
        let mut pool = row("StdPool", 2, 2_620_000.0, 10.0, 6_760_000.0);
        pool.load = quiet(1.96, 2);
        let mut group = startup_group(Vec::new());
        group.startup = None;
        group.results = vec![sequential, pool];
        let text = headline(&group, 2);
        assert!(text.contains("In doubt: that is more than 2 cores can give, and an iteration of StdPool at 2 took 76% of the CPU time"), "{text}");
        // Within what two cores give: not questioned.
        group.results[1].median_ns.point = 3_500_000.0;
        group.results[1].speedup = Some(Interval { point: 6.76 / 3.5, lower: 1.9, upper: 1.95 });
        assert!(!headline(&group, 2).contains("In doubt"), "{}", headline(&group, 2));
        // Beyond the cores, but with as much CPU time as Sequential (work that waits): not
        // questioned either.
        group.results[1].median_ns.point = 2_620_000.0;
        group.results[1].speedup = Some(Interval { point: 2.58, lower: 2.5, upper: 2.6 });
        group.results[0].load = quiet(0.3, 1);
        assert!(!headline(&group, 2).contains("In doubt"), "{}", headline(&group, 2));
        // Without load figures nothing can be said.
        group.results[0].load = Quietness::default();
        assert!(!headline(&group, 2).contains("In doubt"), "{}", headline(&group, 2));
    }

    #[test]
    fn a_headline_that_rests_on_a_disturbed_row_says_so() {
        use crate::schema::{Load, Times};
        let times = Times::two_cores(1.0, 1.2, 2.0, 0.0);
        let mut pool = row("StdPool", 2, 4_000.0, 10.0, 8_000.0);
        pool.load = Quietness::judged(Load::judge(times, 2, 0.15), 1);
        let mut group = startup_group(Vec::new());
        group.startup = None;
        group.results = vec![row("Sequential", 1, 8_000.0, 10.0, 8_000.0), pool];
        let text = headline(&group, 2);
        assert!(text.starts_with("Pooling helps: StdPool at 2"), "{text}");
        assert!(
            text.ends_with("In doubt: StdPool at 2 was measured while other programs took 40% of its cores."),
            "{text}"
        );
        group.results[0].load = group.results[1].load.clone();
        let text = headline(&group, 2);
        assert!(text.contains("In doubt: StdPool at 2 and Sequential at 1 were measured"), "{text}");
        group.results[1].load = Quietness::default();
        group.results[0].load = Quietness::default();
        assert!(!headline(&group, 2).contains("In doubt"));
        let mut one_thread = row("Sequential", 1, 8_000.0, 10.0, 8_000.0);
        (one_thread.executor, one_thread.id, one_thread.value) =
            (None, "task/f/2000".into(), Some("2000".into()));
        one_thread.load = Quietness::judged(Load::judge(Times::two_cores(1.0, 0.6, 2.0, 0.0), 1, 0.15), 1);
        group.results = vec![one_thread];
        let text = headline(&group, 2);
        assert!(text.contains("In doubt: task/f/2000 was measured"), "named by its id alone: {text}");
    }

    #[test]
    fn labels_name_sizes_and_other_values() {
        assert_eq!(label("Rayon", Some("4")), "Rayon at 4");
        assert_eq!(label("Mutex", Some("fair")), "Mutex (fair)");
        assert_eq!(label("Rayon", None), "Rayon");
    }
}
