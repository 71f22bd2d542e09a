//! A merged group's headline: the best configuration on each machine, then how the best size moves
//! with the cores ("the best size follows the cores up to 8, then ProcessPool stops paying on 16
//! cores: its coherency term κ grows 2.1× (0.0012 → 0.0025)").

use crate::format::{join_and, significant, speedup};
use crate::report::headline::BEYOND_THE_CORES;
use crate::report::table;
use crate::schema::{BestConfiguration, MachineGroup, MergedMachine, Scaling};

/// The headline of one group, from its machines' entries (fewest cores first).
pub(super) fn headline(entries: &[MachineGroup], machines: &[MergedMachine]) -> String {
    let label = |entry: &MachineGroup| machines[entry.machine].label.as_str();
    let with_best: Vec<(&MachineGroup, &BestConfiguration)> =
        entries.iter().filter_map(|entry| entry.best.as_ref().map(|best| (entry, best))).collect();
    if with_best.is_empty() {
        return "No machine has a Sequential run to measure speedups against.".to_owned();
    }
    let picks: Vec<String> =
        with_best.iter().map(|(entry, best)| format!("{} on {}", pick(best), label(entry))).collect();
    let mut text = format!("Best: {}.", picks.join("; "));
    if with_best.len() < 2 {
        text.push_str(" One machine only: nothing to compare across cores.");
        return text;
    }
    if with_best.iter().all(|(_, best)| best.sequential) {
        text.push_str(" No pool pays for this work on any of these machines.");
        return text;
    }
    let follows = |(entry, best): &(&MachineGroup, &BestConfiguration)| best.size as usize == entry.cores;
    let prefix = with_best.iter().take_while(|pair| follows(pair)).count();
    let (first, last) = (with_best[0].0.cores, with_best[with_best.len() - 1].0.cores);
    text.push(' ');
    if prefix == with_best.len() {
        text.push_str(&format!("The best size follows the cores on every machine, from {first} to {last}."));
    } else if prefix == 0 {
        let sizes: Vec<u32> = with_best.iter().map(|(_, best)| best.size).collect();
        if sizes.iter().all(|&size| size == sizes[0]) {
            text.push_str(&format!(
                "The best size stays at {} whatever the cores ({first} to {last}).",
                sizes[0]
            ));
        } else {
            let listed: Vec<String> =
                with_best.iter().map(|(entry, best)| format!("{} on {}", best.size, label(entry))).collect();
            text.push_str(&format!("The best size does not follow the cores: {}.", join_and(listed)));
        }
    } else {
        let (before, best_before) = with_best[prefix - 1];
        let (after, best_after) = with_best[prefix];
        let then = transition(best_before, before, best_after, after, label(after));
        if best_before.sequential {
            // Only a 1-core machine's loop "follows" its cores: said as what it is.
            text.push_str(&format!("No pool pays on {}; {then}.", label(before)));
        } else {
            text.push_str(&format!("The best size follows the cores up to {}, then {then}.", before.cores));
        }
    }
    text
}

/// `Rayon and StdPool at 2 (1.93×)`, or `the sequential loop`.
fn pick(best: &BestConfiguration) -> String {
    if best.sequential {
        return table::pick(best);
    }
    format!("{} ({})", table::pick(best), speedup(best.speedup))
}

/// What happens on the first machine where the best size stops following the cores.
fn transition(
    best_before: &BestConfiguration,
    before: &MachineGroup,
    best_after: &BestConfiguration,
    after: &MachineGroup,
    label: &str,
) -> String {
    if best_after.size as usize > after.cores {
        // Beyond what the cores can give by more than noise: only waiting explains it.
        if best_after.speedup > after.cores as f64 * BEYOND_THE_CORES {
            return format!(
                "more workers than cores pay on {label} (size {}, {}): the tasks wait, and waiting needs no core",
                best_after.size,
                speedup(best_after.speedup)
            );
        }
        // At most `BEYOND_THE_CORES` above the cores: within them, or about them (noise).
        let near = if best_after.speedup <= after.cores as f64 { "within" } else { "about" };
        return format!(
            "on {label} the fastest is {} workers, more than the cores, at {}: {near} the {}× its cores can give, \
             so the workers beyond them add no core's worth",
            best_after.size,
            speedup(best_after.speedup),
            after.cores
        );
    }
    if best_after.sequential {
        return format!("the sequential loop wins on {label}");
    }
    let Some(executor) = best_before.executors.first().filter(|_| !best_before.sequential) else {
        return format!("{label} stops at {} workers", best_after.size);
    };
    let why = growth(fit(before, executor), fit(after, executor));
    format!("{executor} stops paying past {} on {label}{why}", best_after.size)
}

fn fit<'a>(entry: &'a MachineGroup, executor: &str) -> Option<&'a Scaling> {
    // A fit that does not describe its sweep says nothing about why a size stops paying.
    entry.scaling.iter().find(|scaling| scaling.executor == executor && scaling.meaningful)
}

/// `: its coherency term κ grows 2.1× (0.0012 → 0.0025)`, the USL term that grew most from one
/// machine to the next, when one at least doubled (or rose from 0); empty otherwise.
fn growth(before: Option<&Scaling>, after: Option<&Scaling>) -> String {
    let (Some(before), Some(after)) = (before.and_then(|s| s.usl), after.and_then(|s| s.usl)) else {
        return String::new();
    };
    let terms = [
        ("coherency term κ", before.coherency, after.coherency),
        ("contention σ", before.contention, after.contention),
    ];
    let grown = terms
        .iter()
        .filter(|(_, from, to)| *to > 0.0 && (*from <= 0.0 || to / from >= 2.0))
        .max_by(|a, b| (a.2 / a.1.max(f64::MIN_POSITIVE)).total_cmp(&(b.2 / b.1.max(f64::MIN_POSITIVE))));
    match grown {
        Some((name, from, to)) if *from <= 0.0 => {
            format!(": its {name} rises from 0 to {}", significant(*to))
        }
        Some((name, from, to)) => {
            format!(": its {name} grows {:.1}× ({} → {})", to / from, significant(*from), significant(*to))
        }
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Machine, SpeedupBasis, UslFit};

    fn machine(cores: usize) -> MergedMachine {
        let mut machine = Machine::detect();
        machine.cores = cores;
        MergedMachine {
            label: if cores == 1 { "1 core".to_owned() } else { format!("{cores} cores") },
            path: format!("m{cores}/summary.json"),
            machine,
            benchmarks: 0,
        }
    }

    fn entry(index: usize, cores: usize, executor: &str, size: u32, coherency: f64) -> MachineGroup {
        let usl = UslFit {
            contention: 0.05,
            coherency,
            r_squared: Some(0.99),
            rmse: 0.01,
            clamped: false,
            best_size: size,
            best_speedup: 2.0,
        };
        MachineGroup {
            machine: index,
            cores,
            best: Some(BestConfiguration {
                configurations: vec![format!("g/{executor}/{size}")],
                executors: vec![executor.to_owned()],
                size,
                speedup: 1.9,
                sequential: false,
                basis: SpeedupBasis::Rounds,
            }),
            lines: Vec::new(),
            scaling: vec![Scaling {
                executor: executor.to_owned(),
                baseline: Some("Sequential".to_owned()),
                points: Vec::new(),
                amdahl: None,
                usl: Some(usl),
                meaningful: true,
                verdict: String::new(),
            }],
        }
    }

    #[test]
    fn a_best_size_that_stops_following_the_cores_names_the_executor_and_its_coherency() {
        let machines = [machine(2), machine(8), machine(16)];
        let entries = [
            entry(0, 2, "ProcessPool", 2, 0.001),
            entry(1, 8, "ProcessPool", 8, 0.001),
            entry(2, 16, "ProcessPool", 8, 0.0025),
        ];
        let text = headline(&entries, &machines);
        assert!(text.starts_with("Best: ProcessPool at 2 (1.90×) on 2 cores;"), "{text}");
        assert!(
            text.ends_with(
                "The best size follows the cores up to 8, then ProcessPool stops paying past 8 on 16 cores: its \
                 coherency term κ grows 2.5× (0.00100 → 0.00250)."
            ),
            "{text}"
        );
    }

    #[test]
    fn a_size_that_follows_every_machine_and_one_that_never_moves_are_told_apart() {
        let machines = [machine(1), machine(2)];
        let follows = headline(&[entry(0, 1, "Rayon", 1, 0.0), entry(1, 2, "Rayon", 2, 0.0)], &machines);
        assert!(
            follows.ends_with("The best size follows the cores on every machine, from 1 to 2."),
            "{follows}"
        );
        let stays = headline(&[entry(0, 1, "Rayon", 4, 0.0), entry(1, 2, "Rayon", 4, 0.0)], &machines);
        assert!(stays.ends_with("The best size stays at 4 whatever the cores (1 to 2)."), "{stays}");
    }

    #[test]
    fn a_loop_on_one_core_then_more_workers_than_cores_within_what_they_give_is_said_plainly() {
        // One run of pools/factorial-large under `taskset -c 0` and one on 2 cores read "The best
        // size follows the cores up to 1, then on 2 cores the fastest is 4 workers, more than the
        // cores, at 1.63×: no more than 2 cores can give".
        let machines = [machine(1), machine(2)];
        let mut entries = [entry(0, 1, "Rayon", 1, 0.0), entry(1, 2, "Rayon", 4, 0.0)];
        if let Some(best) = entries[0].best.as_mut() {
            best.sequential = true;
        }
        if let Some(best) = entries[1].best.as_mut() {
            best.speedup = 1.63;
        }
        let text = headline(&entries, &machines);
        assert!(
            text.ends_with(
                "No pool pays on 1 core; on 2 cores the fastest is 4 workers, more than the cores, at 1.63×: \
                 within the 2× its cores can give, so the workers beyond them add no core's worth."
            ),
            "{text}"
        );
        assert!(!text.contains("follows the cores"), "{text}");
        // Above the cores by less than `BEYOND_THE_CORES`: not "within" them.
        if let Some(best) = entries[1].best.as_mut() {
            best.speedup = 2.05;
        }
        let text = headline(&entries, &machines);
        assert!(text.contains("at 2.05×: about the 2× its cores can give"), "{text}");
    }

    #[test]
    fn the_loop_winning_everywhere_is_said_as_such_not_as_a_size_following_the_cores() {
        let machines = [machine(1), machine(2)];
        let mut entries = [entry(0, 1, "Rayon", 1, 0.0), entry(1, 2, "Rayon", 2, 0.0)];
        for entry in &mut entries {
            if let Some(best) = entry.best.as_mut() {
                best.sequential = true;
            }
        }
        let text = headline(&entries, &machines);
        assert!(text.ends_with("No pool pays for this work on any of these machines."), "{text}");
        assert!(!text.contains("follows the cores"), "{text}");
    }
}
