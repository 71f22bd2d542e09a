//! The end of a run: the benchmarks judged disturbed are measured again, while there is time.
//!
//! The most disturbed first, each until it is measured quiet or has had its attempts
//! ([`Main::remeasure`](super::Main::remeasure), 2 more by default), all within one budget
//! ([`Main::remeasure_budget`](super::Main::remeasure_budget)) that counts the waits too: a
//! benchmark whose last run took longer than what is left is not started. Before each attempt the
//! machine is probed, a quarter of a second at a time, until other programs would leave the
//! benchmark its cores or [`MAX_WAIT`] has passed; then it is measured, whatever the probe said.
//!
//! A benchmark is measured again by running the bench's targets once more with Criterion's exact
//! filter on its id: set-up is lazy ([`Group`](super::Group)), so only its own pool starts. The
//! new measurement replaces the old in Criterion's files and its load file counts the attempts;
//! the quiet measurement is the one kept, and one that stays disturbed keeps its last, marked so.

use std::fmt;
use std::time::{Duration, Instant};

use criterion::{BenchmarkFilter, Criterion};

use super::progress::duration;
use super::record::{self, Measured};
use crate::format::first_few;
use crate::load;

/// The longest wait for a quiet machine before an attempt.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(5);

/// How many benchmarks the closing line names in each of its lists; the rest are counted.
const NAMED: usize = 5;

/// How long one probe of the machine lasts.
const PROBE: Duration = Duration::from_millis(250);

/// What the re-measurement did.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Outcome {
    /// The benchmarks measured again, with the disturbance of their last measurement, in order.
    pub again: Vec<(String, f64, bool)>,
    /// Disturbed benchmarks not measured again: no time left.
    pub left: Vec<String>,
    /// The budget.
    pub budget: Duration,
}

impl fmt::Display for Outcome {
    /// What the run says at its end: how many were measured again, and which stayed disturbed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let still: Vec<String> = self
            .again
            .iter()
            .filter(|(_, _, disturbed)| *disturbed)
            .map(|(id, disturbance, _)| format!("{id} ({:.0}% of its cores taken)", disturbance * 100.0))
            .collect();
        write!(f, "poolbench: measured {} disturbed benchmark(s) again", self.again.len())?;
        match still.len() {
            0 => write!(f, ", all quiet now")?,
            count => write!(f, "; {count} stayed disturbed: {}", first_few(&still, NAMED))?,
        }
        if !self.left.is_empty() {
            write!(
                f,
                "; {} not measured again, no time left in the {} budget: {}",
                self.left.len(),
                duration(self.budget),
                first_few(&self.left, NAMED)
            )?;
        }
        Ok(())
    }
}

impl Outcome {
    /// Whether there is anything to say: a benchmark was disturbed.
    pub fn is_empty(&self) -> bool {
        self.again.is_empty() && self.left.is_empty()
    }
}

/// The disturbed benchmarks of `measured`, the most disturbed first.
fn disturbed(measured: &[Measured]) -> Vec<Measured> {
    let mut disturbed: Vec<Measured> =
        measured.iter().filter(|entry| entry.load.is_disturbed()).cloned().collect();
    disturbed.sort_by(|a, b| b.load.disturbance.total_cmp(&a.load.disturbance));
    disturbed
}

/// Measures the disturbed benchmarks of this run again: up to `attempts` more times each, within
/// `budget`, each Criterion made by `make` and given `targets`.
pub(crate) fn run(
    targets: &[fn(&mut Criterion)],
    make: fn() -> Criterion,
    attempts: u32,
    budget: Duration,
) -> Outcome {
    let started = Instant::now();
    let mut outcome = Outcome { budget, ..Outcome::default() };
    for mut entry in disturbed(&record::measured()) {
        let first_attempt = entry.attempts;
        while entry.load.is_disturbed() && entry.attempts - first_attempt < attempts {
            let left = budget.saturating_sub(started.elapsed());
            if entry.took > left {
                break;
            }
            wait_for_quiet(entry.threads, started + budget - entry.took);
            eprintln!(
                "poolbench: measuring {} again: other programs took {:.0}% of its cores",
                entry.id,
                entry.load.disturbance * 100.0
            );
            let mut criterion = make().with_benchmark_filter(BenchmarkFilter::Exact(entry.id.clone()));
            for target in targets {
                target(&mut criterion);
            }
            match record::measured().into_iter().find(|again| again.id == entry.id) {
                Some(again) if again.attempts > entry.attempts => entry = again,
                // The targets did not measure it again (its load could not be saved): no use trying.
                _ => break,
            }
        }
        if entry.attempts > first_attempt {
            outcome.again.push((entry.id.clone(), entry.load.disturbance, entry.load.is_disturbed()));
        } else {
            outcome.left.push(entry.id.clone());
        }
    }
    outcome
}

/// Probes the machine until other programs would leave a benchmark of `threads` threads its
/// cores, for at most [`MAX_WAIT`] and not past `deadline`.
fn wait_for_quiet(threads: u32, deadline: Instant) {
    let until = deadline.min(Instant::now() + MAX_WAIT);
    while Instant::now() + PROBE <= until {
        match load::probe(PROBE, threads) {
            Ok(load) if load.is_disturbed() => continue,
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Load, Times};

    fn measured(id: &str, others_seconds: f64) -> Measured {
        let times = Times::two_cores(1.0, 1.0, 1.0 + others_seconds, 0.0);
        let load = Load::judge(times, 2, 0.15);
        Measured {
            id: id.to_owned(),
            load,
            attempts: 1,
            threads: 2,
            took: Duration::from_secs(1),
            last: crate::schema::LastSample { iters: 1.0, ns: 1.0 },
        }
    }

    #[test]
    fn the_most_disturbed_go_first_and_quiet_ones_not_at_all() {
        let run = [measured("g/a", 0.4), measured("g/quiet", 0.1), measured("g/b", 0.9)];
        let ids: Vec<String> = disturbed(&run).into_iter().map(|entry| entry.id).collect();
        assert_eq!(ids, ["g/b", "g/a"]);
    }

    #[test]
    fn the_last_line_says_how_many_were_measured_again_and_which_stayed_disturbed() {
        let outcome = Outcome {
            again: vec![("g/a".to_owned(), 0.02, false), ("g/b".to_owned(), 0.41, true)],
            left: vec!["g/c".to_owned()],
            budget: Duration::from_secs(54),
        };
        assert_eq!(
            outcome.to_string(),
            "poolbench: measured 2 disturbed benchmark(s) again; 1 stayed disturbed: g/b (41% of its cores taken); \
             1 not measured again, no time left in the 54 s budget: g/c"
        );
        let quiet = Outcome { again: vec![("g/a".to_owned(), 0.02, false)], ..outcome };
        assert!(
            quiet
                .to_string()
                .starts_with("poolbench: measured 1 disturbed benchmark(s) again, all quiet now")
        );
        assert!(Outcome::default().is_empty());
    }
}
