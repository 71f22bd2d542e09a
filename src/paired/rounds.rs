//! Rounds of in-process contenders: every contender times one slot a round, in a fresh random
//! order, until every contender's ratio to the reference is known to the resolution or the
//! budget is spent.
//!
//! Each contender's iterations per slot are found once ([`slot_iterations`](super::slot_iterations)),
//! then every contender times one slot, discarded (pools warm, caches filled). The rounds go in
//! *epochs* ([`Session`]), each on fresh pools, so that what one pool instance carries for its
//! whole life is averaged over several. A round then times
//! each contender's slot in an order drawn afresh, with a capacity probe ([`Capacity`]) before every
//! slot and after the last, and reads the machine's load over the round
//! ([`crate::load::Window`]). A slot next to a probe that found fewer cores than `min_capacity`
//! of them is *spoiled*: on this project's 2-vCPU machine the host gives the two vCPUs one core's
//! worth of time for a few tens of milliseconds at a time, which halves a pool's slot, and only a
//! probe next to the slot sees it. A spoiled slot's ratio is left out; a round whose reference
//! slot is spoiled, or in which other programs took more than `max_disturbance` of the machine,
//! is dropped whole, counted, and measured again. A contender's speedup is the [`Median`] of its
//! log ratios to the reference over the rounds where neither slot was spoiled.

use std::time::{Duration, Instant};

use super::Median;
use crate::load::Window;

/// What finds the cores the machine gives at a moment: [`super::capacity::Probe`], or a test's
/// script.
pub(crate) trait Capacity {
    /// The cores given now, from 0 to [`cores`](Self::cores); `None` when it cannot tell.
    fn measure(&self) -> Option<f64>;
    /// The most it can find.
    fn cores(&self) -> usize;
}

impl Capacity for super::capacity::Probe {
    fn measure(&self) -> Option<f64> {
        super::capacity::Probe::measure(self)
    }

    fn cores(&self) -> usize {
        super::capacity::Probe::cores(self)
    }
}

/// How the rounds go. Every field states its default in [`Settings::new`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// The target length of a slot.
    pub slot: Duration,
    /// Rounds kept before the rule first looks.
    pub min_rounds: usize,
    /// Rounds kept at most; twice as many may be measured when some are dropped.
    pub max_rounds: usize,
    /// The most time the rounds may take, calibration included; the first `min_rounds` are
    /// always measured.
    pub budget: Duration,
    /// Measuring stops once every contender's 95% interval lies within `±resolution` (0.02 is
    /// ±2%) of its estimate.
    pub resolution: f64,
    /// A slot next to a capacity probe that found fewer than this share of the cores is spoiled.
    pub min_capacity: f64,
    /// A round in which other programs took more than this share of the machine is dropped.
    pub max_disturbance: f64,
    /// The seed of the slots' order.
    pub seed: u64,
}

impl Settings {
    /// Slots of 10 ms, 12 to 200 rounds, 10 s, ±2%, a slot spoiled below 80% of the cores, a
    /// round dropped above the quiet machine's disturbance threshold, seed 1.
    pub(crate) fn new() -> Self {
        Settings {
            slot: super::DEFAULT_SLOT,
            min_rounds: 12,
            max_rounds: 200,
            budget: Duration::from_secs(10),
            resolution: 0.02,
            min_capacity: MIN_CAPACITY,
            max_disturbance: crate::load::DISTURBANCE_THRESHOLD,
            seed: 1,
        }
    }
}

/// The share of the cores below which a probe spoils its neighbouring slots: chosen by
/// measurement (`reports/README.md`, "Paired rounds").
pub const MIN_CAPACITY: f64 = 0.8;

/// One contender: the routine that times a number of iterations.
pub(crate) struct Contender<'a> {
    pub routine: Box<dyn FnMut(u64) -> Duration + 'a>,
}

/// Why a round was dropped whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dropped {
    /// The reference's slot was spoiled: no ratio of the round can be formed.
    Capacity,
    /// Other programs took more than the threshold of the machine.
    Disturbed,
}

/// One round.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Round {
    /// The epoch it was measured in: 0 for the session's first pool start, then 1, 2, ...
    pub epoch: u32,
    /// The contenders in the order their slots ran.
    pub order: Vec<usize>,
    /// Each contender's slot, in nanoseconds per iteration, by contender.
    pub ns: Vec<f64>,
    /// The cores each probe found: one before each slot, in order, and one after the last;
    /// empty without a probe.
    pub probes: Vec<f64>,
    /// By contender: a probe next to its slot found fewer cores than the threshold.
    pub spoiled: Vec<bool>,
    /// The share of the machine other programs took, when the load could be read.
    pub disturbance: Option<f64>,
    /// Why it does not count at all, if it does not.
    pub dropped: Option<Dropped>,
}

/// Why measuring stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Every contender's ratio was known to the resolution.
    Resolved,
    /// `max_rounds` were kept, or twice as many measured.
    Rounds,
    /// The budget was spent.
    Budget,
}

/// What the rounds measured.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Measured {
    /// Each contender's iterations per slot.
    pub iterations: Vec<u64>,
    /// Every round, dropped ones included.
    pub rounds: Vec<Round>,
    pub stop: Stop,
    pub elapsed: Duration,
}

/// `ln(a / b)` over the rounds kept where neither slot was spoiled, as a median.
fn compare(rounds: &[Round], a: usize, b: usize) -> Option<Median> {
    super::paired_ratio(
        rounds
            .iter()
            .filter(|round| round.dropped.is_none() && !round.spoiled[a] && !round.spoiled[b])
            .map(|round| (round.epoch, round.ns[a], round.ns[b])),
    )
}

#[cfg(test)]
impl Measured {
    /// The rounds that count.
    pub(crate) fn kept(&self) -> impl Iterator<Item = &Round> {
        self.rounds.iter().filter(|round| round.dropped.is_none())
    }

    /// `ln(a / b)` of their slots over the rounds kept: `compare(reference, c)` is contender
    /// `c`'s log speedup over the reference.
    pub(crate) fn compare(&self, a: usize, b: usize) -> Option<Median> {
        compare(&self.rounds, a, b)
    }
}

/// Rounds measured over one or more *epochs*: the same configurations on fresh pools each epoch,
/// so that what one pool instance carries for its whole life (where its threads and processes
/// landed, its memory's layout) is averaged over several instead of passing for the executor's.
pub(crate) struct Session {
    settings: Settings,
    reference: usize,
    iterations: Option<Vec<u64>>,
    rounds: Vec<Round>,
    rng: fastrand::Rng,
    started: Instant,
    stop: Option<Stop>,
    /// Epochs begun so far.
    epochs: u32,
}

impl Session {
    /// A session against `reference`, the index of the reference in every epoch's contenders.
    pub(crate) fn new(settings: Settings, reference: usize) -> Self {
        let rng = fastrand::Rng::with_seed(settings.seed);
        Session {
            settings,
            reference,
            iterations: None,
            rounds: Vec::new(),
            rng,
            started: Instant::now(),
            stop: None,
            epochs: 0,
        }
    }

    /// Whether measuring is over: resolved, every round allowed, or the budget spent.
    pub(crate) fn is_done(&self) -> bool {
        self.stop.is_some()
    }

    /// Times `contenders` (one epoch: pools up and checked) in rounds until the epoch has had
    /// `epoch_budget`, or the session is done. The first epoch finds each contender's iterations
    /// per slot; later ones keep them, so every slot of a contender does the same work.
    ///
    /// # Errors
    ///
    /// A reference out of range, or contenders of another number than the first epoch's.
    pub(crate) fn epoch(
        &mut self,
        contenders: &mut [Contender<'_>],
        probe: Option<&dyn Capacity>,
        epoch_budget: Duration,
    ) -> Result<(), String> {
        let (settings, reference) = (&self.settings, self.reference);
        if reference >= contenders.len() {
            return Err(format!("no contender {reference} of {} to compare with", contenders.len()));
        }
        let iterations = match &self.iterations {
            Some(iterations) if iterations.len() == contenders.len() => iterations.clone(),
            Some(iterations) => {
                return Err(format!(
                    "{} contenders in an epoch of a session of {}",
                    contenders.len(),
                    iterations.len()
                ));
            }
            None => contenders
                .iter_mut()
                .map(|contender| {
                    super::slot_iterations(settings.slot, |n| {
                        Ok::<_, std::convert::Infallible>((contender.routine)(n))
                    })
                    .unwrap_or(1)
                })
                .collect(),
        };
        // A slot each, discarded: fresh pools warm, caches filled.
        for (contender, &n) in contenders.iter_mut().zip(&iterations) {
            (contender.routine)(n);
        }
        let epoch = self.epochs;
        self.epochs += 1;
        let epoch_started = Instant::now();
        let margin = (1.0 + settings.resolution).ln();
        let mut this_epoch = 0;
        while self.stop.is_none() {
            let kept = self.rounds.iter().filter(|round| round.dropped.is_none()).count();
            let spent = self.started.elapsed();
            self.stop = if kept >= settings.max_rounds || self.rounds.len() >= 2 * settings.max_rounds {
                Some(Stop::Rounds)
            } else if (kept >= settings.min_rounds && spent >= settings.budget)
                // Dropped rounds count toward the mandatory ones: a machine that stays busy ends
                // the rounds at twice the budget rather than measuring for ever.
                || (self.rounds.len() >= settings.min_rounds && spent >= settings.budget * 2)
            {
                Some(Stop::Budget)
            } else {
                None
            };
            // Every epoch measures a round, whatever its budget: its pools were started for it.
            if self.stop.is_some() || (this_epoch > 0 && epoch_started.elapsed() >= epoch_budget) {
                break;
            }
            this_epoch += 1;
            let round =
                Round { epoch, ..round(contenders, &iterations, reference, probe, settings, &mut self.rng) };
            let counts = round.dropped.is_none();
            self.rounds.push(round);
            if counts && kept + 1 >= settings.min_rounds {
                let resolved = (0..contenders.len()).filter(|&c| c != reference).all(|c| {
                    compare(&self.rounds, reference, c).is_some_and(|median| median.half_width() <= margin)
                });
                if resolved {
                    self.stop = Some(Stop::Resolved);
                }
            }
        }
        self.iterations = Some(iterations);
        Ok(())
    }

    /// What was measured.
    pub(crate) fn finish(self) -> Measured {
        Measured {
            iterations: self.iterations.unwrap_or_default(),
            rounds: self.rounds,
            stop: self.stop.unwrap_or(Stop::Budget),
            elapsed: self.started.elapsed(),
        }
    }
}

/// Times `contenders` in rounds against `reference` (one of them), with `probe` for the capacity
/// check (none: no capacity check): a session of one epoch.
///
/// # Errors
///
/// A reference out of range.
#[cfg(test)]
pub(crate) fn measure(
    contenders: &mut [Contender<'_>],
    reference: usize,
    probe: Option<&dyn Capacity>,
    settings: &Settings,
) -> Result<Measured, String> {
    let mut session = Session::new(settings.clone(), reference);
    while !session.is_done() {
        session.epoch(contenders, probe, settings.budget * 2)?;
    }
    Ok(session.finish())
}

/// One round: every slot in a fresh order, a capacity probe before each and after the last, the
/// load over all of it.
fn round(
    contenders: &mut [Contender<'_>],
    iterations: &[u64],
    reference: usize,
    probe: Option<&dyn Capacity>,
    settings: &Settings,
    rng: &mut fastrand::Rng,
) -> Round {
    let window = Window::start().ok();
    let mut order: Vec<usize> = (0..contenders.len()).collect();
    rng.shuffle(&mut order);
    let mut ns = vec![0.0; contenders.len()];
    let mut probes = Vec::with_capacity(contenders.len() + 1);
    for &index in &order {
        probes.extend(probe.and_then(Capacity::measure));
        let took = (contenders[index].routine)(iterations[index]);
        ns[index] = took.as_nanos() as f64 / iterations[index] as f64;
    }
    probes.extend(probe.and_then(Capacity::measure));
    let disturbance = window.and_then(|mut window| {
        window.mark().ok()?;
        let cores = probe.map_or_else(crate::executor::spin::cores, Capacity::cores);
        window.load(u32::try_from(cores).unwrap_or(u32::MAX)).map(|load| load.disturbance)
    });
    // A probe that did not answer leaves a hole: then no slot is judged by probes.
    let judged = probes.len() == order.len() + 1;
    let floor = settings.min_capacity * probe.map_or(1, Capacity::cores) as f64;
    let mut spoiled = vec![false; contenders.len()];
    if judged {
        for (position, &index) in order.iter().enumerate() {
            spoiled[index] = probes[position] < floor || probes[position + 1] < floor;
        }
    }
    let dropped = if disturbance.is_some_and(|disturbance| disturbance > settings.max_disturbance)
        // A routine that reports no time cannot be compared: the round says nothing.
        || ns.iter().any(|ns| ns.is_nan() || *ns <= 0.0)
    {
        Some(Dropped::Disturbed)
    } else if spoiled[reference] {
        Some(Dropped::Capacity)
    } else {
        None
    };
    Round { epoch: 0, order, ns, probes, spoiled, disturbance, dropped }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paired::statistic::tests::normal;

    /// A contender whose slot takes `ns` per iteration, times `factor(round)`: synthetic times,
    /// never a clock.
    fn synthetic<'a>(ns: f64, mut factor: impl FnMut(usize) -> f64 + 'a) -> Contender<'a> {
        let mut calls = 0usize;
        Contender {
            routine: Box::new(move |iterations| {
                calls += 1;
                Duration::from_nanos((ns * factor(calls) * iterations as f64) as u64)
            }),
        }
    }

    fn quiet() -> Settings {
        Settings { max_disturbance: 1.0, budget: Duration::from_secs(30), ..Settings::new() }
    }

    #[test]
    fn a_speedup_is_the_paired_ratio_and_stops_once_resolved() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut noise = move |_| 1.0 + 0.003 * normal(&mut rng);
        let mut contenders = vec![synthetic(1_000_000.0, |_| 1.0), synthetic(520_000.0, &mut noise)];
        let measured = measure(&mut contenders, 0, None, &quiet()).expect("measured");
        assert_eq!(measured.stop, Stop::Resolved);
        let speedup = measured.compare(0, 1).expect("rounds").ratio();
        assert!((speedup - 1.0 / 0.52).abs() < 0.01, "{speedup}");
        assert!(measured.kept().count() >= 10);
    }

    #[test]
    fn a_configuration_slowed_in_some_rounds_only_is_not_ranked_by_them() {
        // The machine halves the pool's speed in one round of three (the VM giving one core's
        // worth of time to two vCPUs), and no probe sees it: only the statistic can help. The
        // median keeps the pool at 1.92x; a mean would say about 1.6x.
        let slowed = |call: usize| if call % 3 == 0 { 2.0 } else { 1.0 };
        let mut contenders = vec![synthetic(1_000_000.0, |_| 1.0), synthetic(520_000.0, slowed)];
        let settings = Settings { min_rounds: 40, max_rounds: 40, ..quiet() };
        let measured = measure(&mut contenders, 0, None, &settings).expect("measured");
        let median = measured.compare(0, 1).expect("rounds").ratio();
        assert!((median - 1.0 / 0.52).abs() < 0.01, "{median}");
        let ratios: Vec<f64> = measured.kept().map(|round| (round.ns[0] / round.ns[1]).ln()).collect();
        let mean = crate::paired::Estimate::of(&ratios).expect("rounds").ratio();
        assert!(mean < 1.75, "{mean}");
    }

    /// A machine that gives one core of two in stretches, seen by its probes: the pool's slots
    /// run at half speed exactly while the probes say so.
    struct Stretches {
        calls: std::cell::Cell<usize>,
        slow: std::rc::Rc<std::cell::Cell<bool>>,
    }

    impl Capacity for Stretches {
        fn measure(&self) -> Option<f64> {
            let call = self.calls.get() + 1;
            self.calls.set(call);
            // Every 7th to 10th probe of each 17: a stretch of one core.
            let slow = (7..=10).contains(&(call % 17));
            self.slow.set(slow);
            Some(if slow { 1.05 } else { 1.95 })
        }

        fn cores(&self) -> usize {
            2
        }
    }

    #[test]
    fn slots_next_to_a_probe_that_found_one_core_are_left_out_and_a_spoiled_reference_drops_the_round() {
        let slow = std::rc::Rc::new(std::cell::Cell::new(false));
        let probe = Stretches { calls: std::cell::Cell::new(0), slow: std::rc::Rc::clone(&slow) };
        let halved = std::rc::Rc::clone(&slow);
        let mut contenders = vec![
            synthetic(1_000_000.0, |_| 1.0),
            synthetic(520_000.0, move |_| if halved.get() { 2.0 } else { 1.0 }),
            synthetic(700_000.0, |_| 1.0),
        ];
        let settings = Settings { min_rounds: 30, max_rounds: 30, ..quiet() };
        let measured = measure(&mut contenders, 0, Some(&probe), &settings).expect("measured");
        assert!(
            measured.rounds.iter().any(|round| round.spoiled[1]),
            "some of the pool's slots were spoiled"
        );
        assert!(measured.rounds.iter().any(|round| round.dropped == Some(Dropped::Capacity)));
        assert!(measured.rounds.iter().all(|round| round.probes.len() == 4));
        // Every ratio left is a clean one: exactly the pool's speed.
        let median = measured.compare(0, 1).expect("rounds");
        assert!((median.ratio() - 1.0 / 0.52).abs() < 1e-3 && median.half_width() < 1e-3, "{median:?}");
    }

    #[test]
    fn rounds_the_machine_spoiled_are_dropped_and_measured_again() {
        // The load window is real, so the disturbance rule is given a threshold no round can
        // pass: every round is dropped, until twice the rounds allowed were measured.
        let mut contenders = vec![synthetic(1_000.0, |_| 1.0), synthetic(500.0, |_| 1.0)];
        let settings = Settings { max_disturbance: -1.0, min_rounds: 3, max_rounds: 5, ..quiet() };
        let measured = measure(&mut contenders, 0, None, &settings).expect("measured");
        assert!(
            measured.rounds.iter().all(|round| round.disturbance.is_some()),
            "the load is read from /proc"
        );
        assert_eq!(measured.rounds.len(), 10);
        assert_eq!(measured.kept().count(), 0);
        assert_eq!(measured.stop, Stop::Rounds);
        assert!(measured.compare(0, 1).is_none());
    }

    #[test]
    fn epochs_keep_each_contenders_iterations_and_add_up_their_rounds() {
        let settings = Settings { min_rounds: 4, max_rounds: 6, ..quiet() };
        let mut session = Session::new(settings, 0);
        for _ in 0..2 {
            let mut contenders = vec![synthetic(1_000_000.0, |_| 1.0), synthetic(400_000.0, |_| 1.0)];
            session.epoch(&mut contenders, None, Duration::from_secs(30)).expect("an epoch");
        }
        assert!(session.is_done());
        let mut three = vec![synthetic(1.0, |_| 1.0), synthetic(1.0, |_| 1.0), synthetic(1.0, |_| 1.0)];
        assert!(session.epoch(&mut three, None, Duration::ZERO).unwrap_err().contains("3 contenders"));
        let measured = session.finish();
        assert_eq!(measured.iterations.len(), 2);
        assert!(measured.kept().count() >= 4 && measured.kept().count() <= 6, "{}", measured.kept().count());
        assert!((measured.compare(0, 1).expect("rounds").ratio() - 2.5).abs() < 1e-6);
    }

    #[test]
    fn a_reference_that_is_not_a_contender_is_an_error() {
        let mut contenders = vec![synthetic(1_000.0, |_| 1.0)];
        assert!(measure(&mut contenders, 1, None, &quiet()).unwrap_err().contains("no contender 1 of 1"));
    }
}
