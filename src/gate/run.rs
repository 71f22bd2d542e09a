//! The measurement: rounds of fresh processes, slots in alternating order, passes over the
//! benchmarks until each is decided or the budget is spent.
//!
//! A *round* of one benchmark starts a fresh base server and a fresh head server, warms each up,
//! then times pairs of slots, base and head back to back, in ABBA order (base first, then head
//! first, ...), one process timing at a time: on two cores a pool of 2 to 8 threads needs the
//! machine to itself. A slot runs as many iterations as take about [`Settings::slot`], found once
//! per benchmark on its first base server and kept for both sides. Both servers are stopped (their
//! pools reaped) before the next round starts.
//!
//! The run goes in *passes*: each pass gives every benchmark still undecided one round, in
//! the same order, with the canaries spread among them, so that a slow spell of the machine
//! spreads over many benchmarks' rounds rather than spoiling one benchmark's. After each round
//! from the rule's `min_rounds`-th on, the rule looks ([`Rule::look`]); a benchmark also stops
//! when it has had [`Settings::benchmark_budget`], and every benchmark stops when the run has had
//! [`Settings::budget`] (once each has had its first `min_rounds`, dropped ones included, which
//! always run).
//!
//! **Disturbed rounds** are dropped, counted and measured again: a round whose window
//! ([`load::Window`](super::load::Window), from before its servers start to after they are reaped)
//! shows other programs took more than [`Settings::max_disturbance`] of the machine. A benchmark has
//! at most twice `max_rounds` rounds in all, dropped ones included, so a machine that stays busy
//! ends it inconclusive rather than measuring forever.

use std::time::{Duration, Instant};

use super::Settings;
use super::load::Window;
use super::rule::{Look, Rule};
use super::server::{Failure, Launch, Server};
use crate::paired::statistic::{Estimate, round_value};

/// How long a server may take to set up (start its pool, check its answer) and say hello.
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a stopped server may take to exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// Slots each server times before its pairs, discarded: caches, page faults, threads started.
const WARM_UP_SLOTS: usize = 2;

/// One benchmark to measure: its id and how to start either side.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub id: String,
    pub base: Launch,
    pub head: Launch,
    /// Head against head.
    pub canary: bool,
    /// Changes within `±margin` (a log ratio) are not flagged: the run's threshold, or the config
    /// file's for this benchmark.
    pub margin: f64,
}

/// Two slots timed back to back: nanoseconds per iteration on each side.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pair {
    pub base_ns: f64,
    pub head_ns: f64,
}

impl Pair {
    fn log_ratio(&self) -> f64 {
        (self.head_ns / self.base_ns).ln()
    }
}

/// Why a benchmark stopped being measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// The rule found it clearly changed.
    Changed,
    /// The rule found it clearly unchanged.
    Unchanged,
    /// It had every round the rule allows.
    Rounds,
    /// It had its share of the time ([`Settings::benchmark_budget`]).
    BenchmarkBudget,
    /// The run's time ran out ([`Settings::budget`]).
    Budget,
    /// It could not be measured.
    Failed,
}

/// What was measured of one benchmark.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    pub job: Job,
    /// Iterations per slot.
    pub iterations: Option<u64>,
    /// Each round's pairs.
    pub rounds: Vec<Vec<Pair>>,
    /// Rounds dropped as disturbed.
    pub dropped: usize,
    /// Time spent on it, set-ups included.
    pub spent: Duration,
    pub stop: Option<Stop>,
    pub failure: Option<String>,
}

impl Measured {
    fn new(job: Job) -> Self {
        Measured {
            job,
            iterations: None,
            rounds: Vec::new(),
            dropped: 0,
            spent: Duration::ZERO,
            stop: None,
            failure: None,
        }
    }

    /// The estimate from the rounds so far.
    pub fn estimate(&self) -> Option<Estimate> {
        let values: Vec<f64> = self
            .rounds
            .iter()
            .filter_map(|pairs| round_value(&pairs.iter().map(Pair::log_ratio).collect::<Vec<_>>()))
            .collect();
        Estimate::of(&values)
    }

    /// Each side's geometric mean time per iteration over every pair.
    pub fn geometric_means(&self) -> Option<(f64, f64)> {
        let pairs: Vec<&Pair> = self.rounds.iter().flatten().collect();
        if pairs.is_empty() {
            return None;
        }
        let mean = |side: fn(&Pair) -> f64| {
            (pairs.iter().map(|pair| side(pair).ln()).sum::<f64>() / pairs.len() as f64).exp()
        };
        Some((mean(|pair| pair.base_ns), mean(|pair| pair.head_ns)))
    }
}

/// The whole measurement's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Totals {
    /// Wall time of the measurement.
    pub elapsed: Duration,
    /// Passes made.
    pub passes: usize,
    /// Servers started per side.
    pub base_processes: usize,
    pub head_processes: usize,
    /// Whether the run's budget stopped benchmarks that were still undecided.
    pub budget_ran_out: bool,
    /// The largest others' share of a dropped round.
    pub disturbed_share: f64,
    /// Whether the load could be read (`/proc/stat`, `getrusage`).
    pub load_measured: bool,
}

/// A fatal problem: the base (or head) cannot serve at all, so nothing can be measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoServeMode {
    pub side: &'static str,
    pub program: std::path::PathBuf,
    pub message: String,
}

/// Measures `jobs` under `rule` and `settings`, saying how far it is through `progress`.
///
/// # Errors
///
/// [`NoServeMode`] when a side's program predates serve mode: nothing else can be measured.
pub(crate) fn measure(
    jobs: Vec<Job>,
    rule: &Rule,
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<Measured>, Totals), NoServeMode> {
    let started = Instant::now();
    let mut totals = Totals::default();
    let mut rng = fastrand::Rng::with_seed(settings.seed);
    let mut measured: Vec<Measured> = jobs.into_iter().map(Measured::new).collect();
    let mut last_line = Instant::now();
    let attempts = 2 * rule.max_rounds;
    for pass in 0..attempts {
        let open: Vec<usize> = (0..measured.len()).filter(|&index| measured[index].stop.is_none()).collect();
        if open.is_empty() {
            break;
        }
        totals.passes = pass + 1;
        for (done, &index) in open.iter().enumerate() {
            let entry = &mut measured[index];
            // Dropped rounds count here: once the budget is spent, a busy machine ends a benchmark
            // inconclusive instead of keeping the run going round after dropped round.
            let mandatory = entry.rounds.len() + entry.dropped < rule.min_rounds;
            if !mandatory && started.elapsed() >= settings.budget {
                entry.stop = Some(Stop::Budget);
                totals.budget_ran_out = true;
                continue;
            }
            if !mandatory && entry.spent >= settings.benchmark_budget {
                entry.stop = Some(Stop::BenchmarkBudget);
                continue;
            }
            let round_started = Instant::now();
            let base_first = rng.bool();
            let result = round(entry, settings, base_first, &mut totals);
            entry.spent += round_started.elapsed();
            match result {
                Ok(Round { others_share: Some(share), .. }) if share > settings.max_disturbance => {
                    entry.dropped += 1;
                    totals.disturbed_share = totals.disturbed_share.max(share);
                }
                Ok(Round { pairs, .. }) => entry.rounds.push(pairs),
                Err((side, Failure::NoServeMode(line))) => {
                    let launch = if side == "base" { &entry.job.base } else { &entry.job.head };
                    return Err(NoServeMode {
                        side,
                        program: launch.program.clone(),
                        message: Failure::NoServeMode(line).message(),
                    });
                }
                Err((_, Failure::Broken(message))) => {
                    entry.failure = Some(message);
                    entry.stop = Some(Stop::Failed);
                    continue;
                }
            }
            entry.stop = match rule.with_margin(entry.job.margin).look(entry.estimate().as_ref()) {
                Look::Changed => Some(Stop::Changed),
                Look::Unchanged => Some(Stop::Unchanged),
                Look::Continue
                    if entry.rounds.len() >= rule.max_rounds
                        || entry.rounds.len() + entry.dropped >= attempts =>
                {
                    Some(Stop::Rounds)
                }
                Look::Continue => None,
            };
            if last_line.elapsed() >= Duration::from_secs(15) {
                last_line = Instant::now();
                progress(&format!(
                    "pass {}: {} of {} benchmarks this pass, {} s",
                    pass + 1,
                    done + 1,
                    open.len(),
                    started.elapsed().as_secs()
                ));
            }
        }
        let undecided = measured.iter().filter(|entry| entry.stop.is_none()).count();
        progress(&format!(
            "pass {} done at {} s: {} of {} benchmarks still measuring",
            pass + 1,
            started.elapsed().as_secs(),
            undecided,
            measured.len()
        ));
    }
    for entry in &mut measured {
        entry.stop.get_or_insert(Stop::Rounds);
    }
    totals.elapsed = started.elapsed();
    Ok((measured, totals))
}

/// A round's pairs, and the others' share of the machine over it (`None`: not readable).
struct Round {
    pairs: Vec<Pair>,
    others_share: Option<f64>,
}

/// One round: fresh servers, warm-up, the pairs; a failure says which side's server failed
/// to start (`base` or `head`), or `pair` for one that failed later.
fn round(
    entry: &mut Measured,
    settings: &Settings,
    base_first: bool,
    totals: &mut Totals,
) -> Result<Round, (&'static str, Failure)> {
    let id = entry.job.id.clone();
    let window = Window::open().ok();
    let mut base = Server::start(&entry.job.base, &id, START_TIMEOUT).map_err(|failure| ("base", failure))?;
    totals.base_processes += 1;
    let mut head = Server::start(&entry.job.head, &id, START_TIMEOUT).map_err(|failure| ("head", failure))?;
    totals.head_processes += 1;
    let pairs = timed_pairs(entry, settings, base_first, &mut base, &mut head)
        .map_err(|failure| ("pair", failure))?;
    // Stopped before the next round starts, so that no pool is reaped while another is timed.
    base.stop(STOP_TIMEOUT).map_err(|failure| ("base", failure))?;
    head.stop(STOP_TIMEOUT).map_err(|failure| ("head", failure))?;
    let others_share = window.and_then(|window| window.others_share().ok());
    totals.load_measured |= others_share.is_some();
    Ok(Round { pairs, others_share })
}

/// The calibration (first round only), the warm-up and the pairs of a round, then both servers
/// stopped.
fn timed_pairs(
    entry: &mut Measured,
    settings: &Settings,
    base_first: bool,
    base: &mut Server,
    head: &mut Server,
) -> Result<Vec<Pair>, Failure> {
    let id = entry.job.id.clone();
    let iterations = match entry.iterations {
        Some(iterations) => iterations,
        None => {
            let found = calibrate(base, settings.slot)?;
            entry.iterations = Some(found);
            found
        }
    };
    let timeout = slot_timeout(settings.slot);
    for _ in 0..WARM_UP_SLOTS {
        base.time(iterations, timeout)?;
        head.time(iterations, timeout)?;
    }
    let per_iteration = |time: Duration| time.as_nanos() as f64 / iterations as f64;
    let mut pairs = Vec::with_capacity(settings.pairs);
    for index in 0..settings.pairs {
        let (base_time, head_time) = if (index % 2 == 0) == base_first {
            let base_time = base.time(iterations, timeout)?;
            (base_time, head.time(iterations, timeout)?)
        } else {
            let head_time = head.time(iterations, timeout)?;
            (base.time(iterations, timeout)?, head_time)
        };
        let pair = Pair { base_ns: per_iteration(base_time), head_ns: per_iteration(head_time) };
        if !(pair.base_ns > 0.0 && pair.head_ns > 0.0) {
            return Err(Failure::Broken(format!(
                "{id}: a slot of {iterations} iteration(s) took 0 ns; the routine must return the time it took"
            )));
        }
        pairs.push(pair);
    }
    Ok(pairs)
}

/// The iterations that take about `slot` on `server` (`crate::paired::slot_iterations`).
fn calibrate(server: &mut Server, slot: Duration) -> Result<u64, Failure> {
    let timeout = slot_timeout(slot);
    crate::paired::slot_iterations(slot, |iterations| server.time(iterations, timeout))
}

/// How long one slot may take: generous, since one iteration of some benchmarks exceeds the
/// target on its own.
fn slot_timeout(slot: Duration) -> Duration {
    (slot * 200).max(Duration::from_secs(60))
}
