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
//! [`Settings::budget`]: a round that would end after it is not started, so the measurement
//! keeps to its budget even when that leaves benchmarks with fewer than `min_rounds` rounds
//! (undecided). Before the first pass ([`budget_warning`]) and after it, when a round of each has
//! been timed, the run says when the budget cannot give every benchmark the rounds the rule needs,
//! and what would.
//!
//! **Long iterations.** A slot holds whole iterations; when one iteration takes more than twice
//! [`Settings::slot`], a round of `pairs` pairs would take `pairs` times that iteration. Such a
//! benchmark's rounds are cut to what a round of ordinary slots costs: one warm-up slot a side
//! and as few pairs as fill `pairs` slots' time, two at least; the run says so
//! ([`Measured::notice`]).
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
    /// Pairs a round and warm-up slots a side: the settings', or fewer for long iterations.
    pub shape: Option<Shape>,
    /// How long its last round took, for the budget.
    pub last_round: Duration,
    /// What the run said of it before timing its pairs (a long iteration).
    pub notice: Option<String>,
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
            shape: None,
            last_round: Duration::ZERO,
            notice: None,
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

/// A round's shape: pairs and warm-up slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub pairs: usize,
    pub warm_up: usize,
}

impl Shape {
    /// The shape of a round whose slot takes `slot_time`: the settings' for an ordinary slot;
    /// for a slot more than twice the target (one long iteration), one warm-up slot and the
    /// fewest pairs (two at least) whose slots take what `settings.pairs` ordinary slots would.
    fn for_slot(slot_time: Duration, settings: &Settings) -> Shape {
        if slot_time <= settings.slot * 2 {
            return Shape { pairs: settings.pairs, warm_up: WARM_UP_SLOTS };
        }
        let fill = settings.pairs as f64 * settings.slot.as_secs_f64() / slot_time.as_secs_f64();
        Shape { pairs: (fill.ceil() as usize).clamp(2, settings.pairs.max(2)), warm_up: 1 }
    }

    /// Slots a round times, both sides.
    fn slots(self) -> usize {
        2 * (self.warm_up + self.pairs)
    }
}

/// Why the budget cannot judge every benchmark, from the settings alone: the rule needs
/// `min_rounds` rounds of each before it decides anything, and each round times at least
/// `2 × (warm-up + pairs)` slots, servers' start-up not counted. `None` when it can.
pub(crate) fn budget_warning(jobs: usize, settings: &Settings) -> Option<String> {
    let shape = Shape { pairs: settings.pairs, warm_up: WARM_UP_SLOTS };
    let need = settings.slot * (shape.slots() * settings.min_rounds * jobs) as u32;
    (need > settings.budget).then(|| {
        format!(
            "the budget ({} s) is too short for {jobs} benchmarks and canaries: the rule needs {} rounds of each before \
             it decides, at least {} s of {} ms slots before any server starts; give a --budget of {} s or more, or \
             select fewer benchmarks with --filter",
            settings.budget.as_secs_f64().round(),
            settings.min_rounds,
            need.as_secs_f64().ceil(),
            settings.slot.as_millis(),
            (need.as_secs_f64() * 2.0).ceil()
        )
    })
}

/// Why the budget cannot give every benchmark the rounds the rule needs, from the first pass's
/// rounds: the time their remaining first `min_rounds` rounds will take, against what is left.
fn pass_warning(
    measured: &[Measured],
    rule: &Rule,
    settings: &Settings,
    elapsed: Duration,
) -> Option<String> {
    let remaining = |entry: &Measured| rule.min_rounds.saturating_sub(entry.rounds.len() + entry.dropped);
    let need: Duration = measured
        .iter()
        .filter(|entry| entry.stop.is_none())
        .map(|entry| entry.last_round * remaining(entry) as u32)
        .sum();
    let left = settings.budget.saturating_sub(elapsed);
    if need <= left {
        return None;
    }
    let mut slowest: Vec<&Measured> = measured.iter().filter(|entry| entry.stop.is_none()).collect();
    slowest.sort_by_key(|entry| std::cmp::Reverse(entry.last_round));
    let named: Vec<String> = slowest
        .iter()
        .take(3)
        .map(|entry| format!("{} ({:.1} s a round)", entry.job.id, entry.last_round.as_secs_f64()))
        .collect();
    let per_benchmark = (elapsed + need).as_secs_f64() / measured.len().max(1) as f64;
    Some(format!(
        "the budget cannot judge every benchmark: after a round of each ({:.0} s), their first {} rounds need \
         about {:.0} s more and {:.0} s are left, so some will stop undecided; give a --budget of {:.0} s or more \
         (about {:.0} s per benchmark), or select fewer with --filter (the slowest: {})",
        elapsed.as_secs_f64(),
        rule.min_rounds,
        need.as_secs_f64(),
        left.as_secs_f64(),
        ((elapsed + need).as_secs_f64() * 1.2).ceil(),
        per_benchmark.ceil(),
        named.join(", ")
    ))
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

impl Totals {
    /// Adds a later pass's figures (the confirmation's) to these.
    pub fn add_pass(&mut self, later: &Totals) {
        self.elapsed += later.elapsed;
        self.base_processes += later.base_processes;
        self.head_processes += later.head_processes;
        self.load_measured |= later.load_measured;
        self.disturbed_share = self.disturbed_share.max(later.disturbed_share);
    }
}

/// A fatal problem: the base (or head) cannot serve at all, so nothing can be measured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoServeMode {
    pub side: &'static str,
    pub program: std::path::PathBuf,
    pub message: String,
}

/// Measures `jobs` under `rule` and `settings`, saying how far it is through `progress`;
/// returns what was measured, the totals, and the warnings said on the way.
///
/// # Errors
///
/// [`NoServeMode`] when a side's program predates serve mode: nothing else can be measured.
pub(crate) fn measure(
    jobs: Vec<Job>,
    rule: &Rule,
    settings: &Settings,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<Measured>, Totals, Vec<String>), NoServeMode> {
    let mut warnings: Vec<String> = Vec::new();
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
            // inconclusive instead of keeping the run going round after dropped round. A round
            // that would end after the budget is not started, the first `min_rounds` neither:
            // the budget is the user's, and the warnings said what it cannot judge.
            let mandatory = entry.rounds.len() + entry.dropped < rule.min_rounds;
            if started.elapsed() + entry.last_round >= settings.budget {
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
            let had_notice = entry.notice.is_some();
            let result = round(entry, settings, base_first, &mut totals);
            entry.last_round = round_started.elapsed();
            entry.spent += entry.last_round;
            // Said once per benchmark, though its canary calibrates on its own.
            if let Some(notice) =
                entry.notice.as_ref().filter(|notice| !had_notice && !warnings.contains(notice))
            {
                progress(notice);
                warnings.push(notice.clone());
            }
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
        if pass == 0 {
            if let Some(warning) = pass_warning(&measured, rule, settings, started.elapsed()) {
                progress(&warning);
                warnings.push(warning);
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
    Ok((measured, totals, warnings))
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
    // The side that times first in the round's first pair also starts first and warms up first:
    // whatever being the older process or the first to run costs falls on either side at random.
    let start_base =
        || Server::start(&entry.job.base, &id, START_TIMEOUT).map_err(|failure| ("base", failure));
    let start_head =
        || Server::start(&entry.job.head, &id, START_TIMEOUT).map_err(|failure| ("head", failure));
    let (mut base, mut head) = if base_first {
        let base = start_base()?;
        (base, start_head()?)
    } else {
        let head = start_head()?;
        (start_base()?, head)
    };
    totals.base_processes += 1;
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
    let (iterations, shape) = match (entry.iterations, entry.shape) {
        (Some(iterations), Some(shape)) => (iterations, shape),
        _ => {
            let (iterations, slot_time) = calibrate(base, settings.slot)?;
            let shape = Shape::for_slot(slot_time, settings);
            if shape.warm_up < WARM_UP_SLOTS {
                entry.notice = Some(format!(
                    "{id}: one iteration takes {}, longer than a {} slot: each slot is one whole iteration, with \
                     {} pairs a round and {} warm-up slot a side (a round of about {:.1} s); if its rounds do not \
                     decide it, give it a larger --benchmark-budget and --budget, or leave it out with --filter",
                    crate::format::duration_ns(slot_time.as_nanos() as f64),
                    crate::format::duration_ns(settings.slot.as_nanos() as f64),
                    shape.pairs,
                    shape.warm_up,
                    (slot_time * shape.slots() as u32).as_secs_f64(),
                ));
            }
            (entry.iterations, entry.shape) = (Some(iterations), Some(shape));
            (iterations, shape)
        }
    };
    let timeout = slot_timeout(settings.slot);
    for _ in 0..shape.warm_up {
        if base_first {
            base.time(iterations, timeout)?;
            head.time(iterations, timeout)?;
        } else {
            head.time(iterations, timeout)?;
            base.time(iterations, timeout)?;
        }
    }
    let per_iteration = |time: Duration| time.as_nanos() as f64 / iterations as f64;
    let mut pairs = Vec::with_capacity(shape.pairs);
    for index in 0..shape.pairs {
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

/// The iterations that take about `slot` on `server` (`crate::paired::slot_iterations`), and
/// how long a slot of them took when it was one iteration that overran (else `slot`).
fn calibrate(server: &mut Server, slot: Duration) -> Result<(u64, Duration), Failure> {
    let timeout = slot_timeout(slot);
    let mut one = Duration::ZERO;
    let iterations = crate::paired::slot_iterations(slot, |iterations| {
        let took = server.time(iterations, timeout)?;
        if iterations == 1 {
            // The last (warm) time of one iteration.
            one = took;
        }
        Ok(took)
    })?;
    Ok((iterations, if iterations == 1 { one.max(slot) } else { slot }))
}

/// How long one slot may take: generous, since one iteration of some benchmarks exceeds the
/// target on its own.
fn slot_timeout(slot: Duration) -> Duration {
    (slot * 200).max(Duration::from_secs(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(min_rounds: usize) -> Rule {
        Rule { margin: 0.02, alpha: 0.05, benchmarks: 3, canaries: 0, min_rounds, max_rounds: 12 }
    }

    fn measured(id: &str, rounds: usize, last_round: Duration) -> Measured {
        let launch = Launch { program: "bench".into(), env: Vec::new() };
        let job = Job { id: id.to_owned(), base: launch.clone(), head: launch, canary: false, margin: 0.02 };
        Measured { rounds: vec![Vec::new(); rounds], last_round, ..Measured::new(job) }
    }

    #[test]
    fn a_slot_of_one_long_iteration_cuts_the_round_to_what_ordinary_slots_cost() {
        let settings = Settings::new();
        let ordinary = Shape::for_slot(settings.slot, &settings);
        assert_eq!(ordinary, Shape { pairs: settings.pairs, warm_up: WARM_UP_SLOTS });
        assert_eq!(Shape::for_slot(Duration::from_millis(200), &settings), Shape { pairs: 2, warm_up: 1 });
        assert_eq!(Shape::for_slot(Duration::from_millis(25), &settings), Shape { pairs: 3, warm_up: 1 });
    }

    #[test]
    fn the_budget_is_said_too_short_before_and_after_the_first_pass_naming_the_slowest() {
        let settings = Settings { budget: Duration::from_secs(240), ..Settings::new() };
        assert_eq!(budget_warning(26, &settings), None, "26 × 3 rounds of 16 slots of 10 ms fit in 4 min");
        let before = budget_warning(2_000, &settings).expect("2,000 do not");
        assert!(before.starts_with("the budget (240 s) is too short for 2000 benchmarks"), "{before}");

        // After a pass: 26 benchmarks whose rounds took 4 s each (servers' start-up included).
        let mut pass: Vec<Measured> =
            (0..26).map(|k| measured(&format!("g/{k:02}"), 1, Duration::from_secs(4))).collect();
        pass[7].last_round = Duration::from_secs(9);
        let after = pass_warning(&pass, &rule(3), &settings, Duration::from_secs(109)).expect("too short");
        assert!(
            after.starts_with("the budget cannot judge every benchmark: after a round of each (109 s)"),
            "{after}"
        );
        assert!(after.contains("need about 218 s more and 131 s are left"), "{after}");
        assert!(after.contains("(the slowest: g/07 (9.0 s a round), g/00 (4.0 s a round)"), "{after}");
        assert_eq!(
            pass_warning(&pass, &rule(1), &settings, Duration::from_secs(109)),
            None,
            "one round suffices"
        );
    }
}
