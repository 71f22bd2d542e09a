//! A sweep's configurations timed together, in interleaved rounds, after Criterion has timed each
//! alone: the measurement the report's speedups and its answer come from.
//!
//! Criterion measures each configuration in a window of its own, about a second long, while the
//! machine's parallel capacity drifts for a second or more at a time: every speedup computed from
//! two of those windows compares two different machines, and the fastest configuration changed
//! from run to run on the same code. So once Criterion is done with a group, the configurations
//! it ran are started again, all at once (pools up, answers checked), and timed in rounds by the
//! paired engine (`crate::paired::rounds`): one slot of every configuration a round, in a fresh
//! random order, Sequential in every round, the machine's capacity probed beside every slot.
//! The rounds go to the group's rounds file (`schema::RoundsFile`); the report computes the
//! speedups and the ties from them.
//!
//! Configurations whose workers do not fit alive at once ([`MAX_WORKERS_ALIVE`]: sizes go to
//! 256) are measured in batches, each with Sequential, and the file says which batch each was in.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::group::{stop, timed};
use super::sweep::{Started, Sweep, Timing, check};
use crate::executor::{ExecutorKind, Prepared};
use crate::paired::capacity::Probe;
use crate::paired::rounds::{self, Capacity, Contender, Dropped, Settings, Stop};
use crate::schema::{Batch, Configuration, ROUNDS_VERSION, RoundRecord, RoundsFile, RoundsSettings};
use crate::workload::Workload;

/// The most workers (pool threads and processes) alive at once in one batch of rounds.
pub const MAX_WORKERS_ALIVE: usize = 64;

/// Each batch's pools are started this many times, a share of its rounds on each: what one pool
/// instance carries for its whole life (where its threads and processes landed) is averaged over
/// four. Measured on `pools/cpu-spin`, one instance per run: ProcessPool/4's speedup went from
/// 1.60× to 1.75× over five runs, each interval about ±3%.
pub const EPOCHS: u32 = 4;

/// A group's rounds take at most this long unless the sweep says otherwise
/// ([`Sweep::rounds_budget`]): about 40 rounds of a dozen configurations.
pub const DEFAULT_ROUNDS_BUDGET: Duration = Duration::from_secs(8);

/// The capacity probe, started once per process: `cores` threads waiting between probes.
fn probe() -> Option<&'static Probe> {
    static PROBE: OnceLock<Option<Probe>> = OnceLock::new();
    PROBE
        .get_or_init(|| match Probe::start(crate::executor::spin::cores()) {
            Ok(probe) => Some(probe),
            Err(err) => {
                eprintln!("poolbench: {err}; rounds are measured without the capacity check");
                None
            }
        })
        .as_ref()
}

/// How a run's rounds go: measured and written, a smoke test's two short rounds, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Measure until resolved or the budget is spent, and write the file.
    Measure,
    /// `--test`: two short rounds, so the path is run; nothing written.
    Smoke,
    /// The end of a run measuring disturbed benchmarks again, one at a time: their measurements
    /// are kept, their groups' rounds (measured already) are not measured again.
    Remeasure,
    /// `--list`, `--ignored`, `--profile-time`: nothing measured is kept, no rounds.
    Off,
}

/// Sets the run's mode (what [`Main::run`](super::Main::run) read on the command line, or
/// [`Mode::Remeasure`] while it measures disturbed benchmarks again, one at a time: their rounds
/// would replace their group's).
pub(crate) fn set_mode(mode: Mode) {
    super::run::with(|run| run.mode = mode);
}

/// Whether this run keeps what it measures: not `--test`, `--list`, `--profile-time`.
pub(crate) fn keeps_measurements() -> bool {
    matches!(mode(), Mode::Measure | Mode::Remeasure)
}

fn mode() -> Mode {
    super::run::with(|run| run.mode)
}

/// The longest budget a group's rounds may be given: an hour, so that a typo (`3600000`) is an
/// error, not a night.
pub const MAX_ROUNDS_BUDGET: Duration = Duration::from_secs(3600);

/// Checks the environment the rounds read (`POOLBENCH_ROUNDS_BUDGET`,
/// `POOLBENCH_MAX_DISTURBANCE`) before anything is measured: a bad value is an error at the
/// start of the run, not after its first group.
pub(crate) fn check_environment() -> Result<(), String> {
    rounds_budget_from_env()?;
    max_disturbance()?;
    Ok(())
}

/// `POOLBENCH_ROUNDS_BUDGET` (seconds, `0` for no rounds), or [`DEFAULT_ROUNDS_BUDGET`].
fn rounds_budget_from_env() -> Result<Duration, String> {
    std::env::var(crate::env::ROUNDS_BUDGET)
        .map_or(Ok(DEFAULT_ROUNDS_BUDGET), |text| parse_rounds_budget(&text))
}

/// A `POOLBENCH_ROUNDS_BUDGET` value: seconds from 0 to [`MAX_ROUNDS_BUDGET`], fractions allowed.
fn parse_rounds_budget(text: &str) -> Result<Duration, String> {
    let name = crate::env::ROUNDS_BUDGET;
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|seconds| (0.0..=MAX_ROUNDS_BUDGET.as_secs_f64()).contains(seconds))
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            format!(
                "{name}={text:?} is not a number of seconds; give one from 0 (no rounds) to {} (default {})",
                MAX_ROUNDS_BUDGET.as_secs(),
                DEFAULT_ROUNDS_BUDGET.as_secs()
            )
        })
}

/// Shares `budget` among `batches` in proportion to their slots a round (Sequential's
/// included): a batch of fifteen configurations gets three times the time of one of five, so
/// that both measure about as many rounds.
fn budget_shares(budget: Duration, batches: &[Vec<(ExecutorKind, usize)>]) -> Vec<Duration> {
    let slots: usize = batches.iter().map(Vec::len).sum();
    batches.iter().map(|batch| budget.mul_f64(batch.len() as f64 / slots.max(1) as f64)).collect()
}

/// `POOLBENCH_MAX_DISTURBANCE`, or the quiet machine's threshold.
fn max_disturbance() -> Result<f64, String> {
    let name = crate::env::MAX_DISTURBANCE;
    match std::env::var(name) {
        Err(_) => Ok(crate::load::DISTURBANCE_THRESHOLD),
        Ok(text) => text.trim().parse::<f64>().ok().filter(|share| *share > 0.0 && *share <= 1.0).ok_or_else(|| {
            format!("{name}={text:?} is not a share of the machine; give one above 0 and at most 1 (1 keeps every round)")
        }),
    }
}

/// The workers a configuration keeps alive (or starts at once) while it is timed.
fn workers(kind: ExecutorKind, size: usize) -> usize {
    if kind.is_pool() { size } else { 0 }
}

/// The configurations in batches whose workers fit [`MAX_WORKERS_ALIVE`], Sequential first in
/// each; a configuration larger than the bound on its own gets a batch of its own.
pub(crate) fn batches(
    configurations: &[(ExecutorKind, usize)],
    max_workers: usize,
) -> Vec<Vec<(ExecutorKind, usize)>> {
    let sequential = (ExecutorKind::Sequential, 1);
    let mut batches: Vec<Vec<(ExecutorKind, usize)>> = Vec::new();
    let mut current = vec![sequential];
    let mut alive = 0;
    for &(kind, size) in configurations.iter().filter(|(kind, _)| *kind != ExecutorKind::Sequential) {
        let needs = workers(kind, size);
        if alive + needs > max_workers && current.len() > 1 {
            batches.push(std::mem::replace(&mut current, vec![sequential]));
            alive = 0;
        }
        current.push((kind, size));
        alive += needs;
    }
    if current.len() > 1 || batches.is_empty() {
        batches.push(current);
    }
    batches
}

impl<W: Workload> Sweep<'_, W> {
    /// Times `ran` (the configurations Criterion ran) together in rounds, batch by batch, and
    /// writes the group's rounds file; `expected` is Sequential's answer, which every pool
    /// started here gives before it is timed.
    ///
    /// # Errors
    ///
    /// A pool that cannot start, or that gives another answer, stops the bench as in the
    /// Criterion phase (`stop`).
    pub(super) fn interleave(&self, ran: &[(ExecutorKind, usize)], expected: &[W::Output]) {
        let mode = mode();
        let measures = matches!(mode, Mode::Measure | Mode::Smoke);
        let budget = match self.rounds_budget.map_or_else(rounds_budget_from_env, Ok) {
            Ok(budget) => budget,
            Err(message) => stop(&self.group, &message),
        };
        if budget.is_zero() || !measures {
            return;
        }
        let probe = probe().map(|probe| probe as &dyn Capacity);
        let cores = probe.map_or_else(crate::executor::spin::cores, Capacity::cores);
        let batches = batches(ran, MAX_WORKERS_ALIVE);
        let max_disturbance = match max_disturbance() {
            Ok(share) => share,
            Err(message) => stop(&self.group, &message),
        };
        let shares = budget_shares(budget, &batches);
        let settings = |share: Duration| match mode {
            Mode::Measure => Settings { budget: share, max_disturbance, ..Settings::new() },
            Mode::Smoke | Mode::Remeasure | Mode::Off => Settings {
                slot: Duration::from_millis(1),
                min_rounds: 2,
                max_rounds: 2,
                budget: Duration::ZERO,
                ..Settings::new()
            },
        };
        let reference = format!("{}/{}/1", self.group, ExecutorKind::Sequential.name());
        let mut written = Vec::with_capacity(batches.len());
        for (batch, &share) in batches.iter().zip(&shares) {
            written.push(self.batch(batch, expected, probe, &settings(share)));
        }
        let settings = settings(budget);
        if mode == Mode::Smoke {
            return;
        }
        let file = RoundsFile {
            rounds_version: ROUNDS_VERSION,
            group: self.group.clone(),
            reference,
            cores: u32::try_from(cores).unwrap_or(u32::MAX),
            settings: RoundsSettings {
                slot_ns: settings.slot.as_nanos() as f64,
                min_rounds: settings.min_rounds,
                max_rounds: settings.max_rounds,
                budget_seconds: budget.as_secs_f64(),
                resolution: settings.resolution,
                min_capacity: settings.min_capacity,
                max_disturbance: settings.max_disturbance,
                max_workers: MAX_WORKERS_ALIVE,
            },
            batches: written,
        };
        let criterion_dir = super::criterion_dir();
        if let Err(err) = file.write(&criterion_dir) {
            eprintln!(
                "poolbench: cannot write the rounds of {} in {}: {err}; the report will use Criterion's medians \
                 for its speedups",
                self.group,
                criterion_dir.display()
            );
        }
    }

    /// One batch: [`EPOCHS`] times its pools up, their answers checked, then rounds.
    fn batch(
        &self,
        batch: &[(ExecutorKind, usize)],
        expected: &[W::Output],
        probe: Option<&dyn Capacity>,
        settings: &Settings,
    ) -> Batch {
        let started = Instant::now();
        let mut session = rounds::Session::new(settings.clone(), 0);
        for epoch in 0..EPOCHS {
            if session.is_done() {
                break;
            }
            // What is left of the budget, shared by the epochs left; the last goes on until the
            // session stops (its mandatory rounds measured, whatever the budget).
            let left = match EPOCHS - epoch {
                1 => Duration::MAX,
                epochs => settings.budget.saturating_sub(started.elapsed()) / epochs,
            };
            self.epoch(batch, expected, probe, &mut session, left);
        }
        let measured = session.finish();
        let id = |kind: ExecutorKind, size: usize| format!("{}/{kind}/{size}", self.group);
        Batch {
            contenders: batch
                .iter()
                .zip(&measured.iterations)
                .map(|(&(kind, size), &iterations)| Configuration {
                    id: id(kind, size),
                    executor: kind.name().to_owned(),
                    size: u32::try_from(size).unwrap_or(u32::MAX),
                    iterations,
                })
                .collect(),
            rounds: measured
                .rounds
                .iter()
                .map(|round| RoundRecord {
                    epoch: round.epoch,
                    order: round
                        .order
                        .iter()
                        .map(|&index| u32::try_from(index).unwrap_or(u32::MAX))
                        .collect(),
                    ns: round.ns.clone(),
                    probes: round.probes.clone(),
                    spoiled: (0..round.spoiled.len())
                        .filter(|&index| round.spoiled[index])
                        .map(|index| u32::try_from(index).unwrap_or(u32::MAX))
                        .collect(),
                    disturbance: round.disturbance,
                    dropped: round.dropped.map(|dropped| {
                        match dropped {
                            Dropped::Capacity => "capacity",
                            Dropped::Disturbed => "disturbed",
                        }
                        .to_owned()
                    }),
                })
                .collect(),
            stop: match measured.stop {
                Stop::Resolved => "resolved",
                Stop::Rounds => "rounds",
                Stop::Budget => "budget",
            }
            .to_owned(),
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// One epoch: every pool of the batch up at once (so that a round can time them back to
    /// back), each checked against Sequential's answer, then rounds for `budget`.
    fn epoch(
        &self,
        batch: &[(ExecutorKind, usize)],
        expected: &[W::Output],
        probe: Option<&dyn Capacity>,
        session: &mut rounds::Session,
        budget: Duration,
    ) {
        let id = |kind: ExecutorKind, size: usize| format!("{}/{kind}/{size}", self.group);
        let executors: Vec<Option<Box<dyn Started<W> + '_>>> = batch
            .iter()
            .map(|&(kind, size)| match self.timing {
                Timing::SteadyState => {
                    Some(self.start(kind, size).unwrap_or_else(|message| stop(&id(kind, size), &message)))
                }
                Timing::EndToEnd => None,
            })
            .collect();
        let prepared: Vec<Option<Prepared<'_, W>>> = executors
            .iter()
            .zip(batch)
            .map(|(executor, &(kind, size))| {
                let executor = executor.as_deref()?;
                let prepared =
                    self.prepare(executor).unwrap_or_else(|message| stop(&id(kind, size), &message));
                if let Err(message) = check(&prepared, self.workload, self.inputs, expected) {
                    stop(&id(kind, size), &message);
                }
                Some(prepared)
            })
            .collect();
        let inputs = self.inputs;
        let mut contenders: Vec<Contender<'_>> = batch
            .iter()
            .zip(&prepared)
            .map(|(&(kind, size), prepared)| Contender {
                routine: match prepared {
                    Some(prepared) => Box::new(timed(move || prepared.map(black_box(inputs)))),
                    None => Box::new(self.end_to_end_routine(kind, size)),
                },
            })
            .collect();
        session.epoch(&mut contenders, probe, budget).unwrap_or_else(|message| stop(&self.group, &message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rounds_budget_is_seconds_within_bounds_and_anything_else_names_the_variable() {
        assert_eq!(parse_rounds_budget("40"), Ok(Duration::from_secs(40)));
        assert_eq!(parse_rounds_budget(" 2.5 "), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_rounds_budget("0"), Ok(Duration::ZERO));
        for bad in ["", "8s", "-1", "NaN", "inf", "3601"] {
            let message = parse_rounds_budget(bad).expect_err(bad);
            assert!(message.starts_with(&format!("POOLBENCH_ROUNDS_BUDGET={bad:?}")), "{message}");
            assert!(message.contains("from 0 (no rounds) to 3600"), "{message}");
        }
    }

    #[test]
    fn the_budget_is_shared_among_batches_by_their_slots_a_round() {
        use ExecutorKind::{ProcessPool, Rayon, Sequential};
        let large =
            vec![(Sequential, 1), (Rayon, 2), (Rayon, 4), (Rayon, 8), (ProcessPool, 2), (ProcessPool, 4)];
        let small = vec![(Sequential, 1), (ProcessPool, 8)];
        let shares = budget_shares(Duration::from_secs(8), &[large, small]);
        assert_eq!(shares, [Duration::from_secs(6), Duration::from_secs(2)]);
        assert_eq!(budget_shares(Duration::from_secs(8), &[vec![(Sequential, 1)]]), [Duration::from_secs(8)]);
    }

    #[test]
    fn configurations_go_in_batches_that_fit_each_with_sequential_first() {
        use ExecutorKind::{ProcessPool, Rayon, Sequential, StdPool};
        let all = [(Sequential, 1), (Rayon, 2), (Rayon, 4), (StdPool, 2), (ProcessPool, 8)];
        assert_eq!(batches(&all, 64), [all.to_vec()]);
        let split = batches(&all, 6);
        assert_eq!(
            split,
            [
                vec![(Sequential, 1), (Rayon, 2), (Rayon, 4)],
                vec![(Sequential, 1), (StdPool, 2)],
                vec![(Sequential, 1), (ProcessPool, 8)],
            ]
        );
        assert_eq!(batches(&[(Sequential, 1)], 64), [vec![(Sequential, 1)]]);
        assert_eq!(batches(&[(Rayon, 256)], 64), [vec![(Sequential, 1), (Rayon, 256)]]);
    }
}
