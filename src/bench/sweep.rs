//! The sweep: one workload on every executor at every pool size, each answer checked against
//! Sequential before it is timed.

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

use super::group::{Group, stop, timed};
use super::interleave::DEFAULT_ROUNDS_BUDGET;
use super::sizes::{MAX_SIZE, sizes_from_env};
use crate::executor::{AnyExecutor, Executor, ExecutorKind, Prepared, Sequential};
use crate::schema::CaseFile;
use crate::workload::Workload;

/// What is timed: a map on a pool already up, or the whole program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timing {
    /// The pool is started before timing and reused: what a map costs once the pool exists.
    SteadyState,
    /// Every iteration starts a pool, maps, and shuts it down: what a program that needs a pool
    /// once pays.
    EndToEnd,
}

/// One workload swept across executors and pool sizes, as the group `<group>`: benchmarks
/// `<group>/Sequential/1` and `<group>/<executor>/<size>` for every other kind and size.
///
/// ```no_run
/// use criterion::Criterion;
/// use poolbench::bench::Sweep;
/// use poolbench::workload::Factorial;
///
/// fn factorials(c: &mut Criterion) {
///     let inputs: Vec<u32> = (1..=10).map(|k| k * 2_000).collect();
///     Sweep::new("mine/factorials", &Factorial, &inputs).run(c);
/// }
/// ```
///
/// Each benchmark starts its executor when it first runs (not for `--list`, not when a filter
/// leaves it out), outside the timed routine, [prepares](Executor::prepare) the workload on every
/// worker (its set-up, once per worker), checks once that it gives Sequential's answer, and stops
/// it when it ends: one pool is alive at a time. Sequential's answer is itself checked
/// against the workload's [`reference`](Workload::reference) first. Whether the machine was quiet
/// is judged against the cores each benchmark could use: one for Sequential, the pool size for a
/// pool (see [`Group::threads`]).
#[must_use = "a sweep measures nothing until it is run"]
pub struct Sweep<'a, W: Workload> {
    pub(super) group: String,
    pub(super) workload: &'a W,
    pub(super) inputs: &'a [W::Input],
    kinds: Vec<ExecutorKind>,
    sizes: Option<Vec<usize>>,
    pub(super) timing: Timing,
    about: Option<String>,
    tasks: Option<u64>,
    pub(super) rounds_budget: Option<Duration>,
}

impl<'a, W: Workload> Sweep<'a, W> {
    /// `workload` over `inputs` as the group `group`, on every [`ExecutorKind`] at the sizes
    /// `POOLBENCH_SIZES` names (2, 4 and 8 by default), steady state.
    pub fn new(group: impl Into<String>, workload: &'a W, inputs: &'a [W::Input]) -> Self {
        Sweep {
            group: group.into(),
            workload,
            inputs,
            kinds: ExecutorKind::ALL.to_vec(),
            sizes: None,
            timing: Timing::SteadyState,
            about: None,
            tasks: None,
            rounds_budget: Some(DEFAULT_ROUNDS_BUDGET),
        }
    }

    /// The executors to sweep, Sequential (at size 1) among them or not. Default: every kind.
    pub fn executors(mut self, kinds: impl IntoIterator<Item = ExecutorKind>) -> Self {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// The pool sizes, from 1 to [`MAX_SIZE`]. Default: `POOLBENCH_SIZES`, else 2, 4 and 8.
    pub fn sizes(mut self, sizes: impl IntoIterator<Item = usize>) -> Self {
        self.sizes = Some(sizes.into_iter().collect());
        self
    }

    /// Times the whole program, as exercise 8 does: every iteration starts a pool of the size,
    /// maps and shuts the pool down. Default: steady state, the pool started before timing.
    pub fn end_to_end(mut self) -> Self {
        self.timing = Timing::EndToEnd;
        self
    }

    /// What one iteration does, in a line, for the report. Default: the catalog's line for
    /// poolbench's own groups, else the workload's name and the number of inputs.
    pub fn about(mut self, about: impl Into<String>) -> Self {
        self.about = Some(about.into());
        self
    }

    /// How many tasks one iteration runs, for the report's tasks per second. Default: the
    /// catalog's for poolbench's own groups, else the number of inputs.
    pub fn tasks_per_iteration(mut self, tasks: u64) -> Self {
        self.tasks = Some(tasks);
        self
    }

    /// The most time the group's interleaved rounds may take, once Criterion has timed each
    /// configuration alone: every configuration up at once, one slot of each a round in a fresh
    /// random order, until every speedup over Sequential is known to ±2% (`reports/README.md`,
    /// "Paired rounds"). The report's speedups, and its answer to "which, and how many", come
    /// from them. [`Duration::ZERO`] measures no rounds: the speedups are then the ratios of
    /// Criterion's medians, each from a window of its own. Default: [`DEFAULT_ROUNDS_BUDGET`].
    pub fn rounds_budget(mut self, budget: Duration) -> Self {
        self.rounds_budget = Some(budget);
        self
    }

    /// Registers and runs the sweep's benchmarks in `criterion`.
    ///
    /// # Errors
    ///
    /// Bad arguments stop the run before the benchmark concerned is timed: no inputs, a size of 0
    /// or above [`MAX_SIZE`], an executor that cannot start or that gives another answer than
    /// Sequential, a Sequential answer that disagrees with the workload's reference. The
    /// [`SetupError`](super::SetupError), naming the group (and the executor, where one is at
    /// fault), unwinds to [`Main::run`](super::Main::run), which returns it (`poolbench::main!`
    /// prints it and exits with status 1); outside a `Main`, [`try_run`](Self::try_run) returns it.
    pub fn run(self, criterion: &mut Criterion) {
        let mut group = Group::new(criterion, self.group.clone());
        self.run_in(&mut group);
    }

    /// [`run`](Self::run), returning a bad set-up as an error instead of unwinding with it: for a
    /// caller that drives Criterion itself.
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub fn try_run(self, criterion: &mut Criterion) -> Result<(), super::SetupError> {
        super::group::catching(|| self.run(criterion))
    }

    /// Runs the sweep's benchmarks in `group`, an open group of the same id, beside benchmarks of
    /// its own (the ipc suite's floors).
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run), and a group of another id.
    pub fn run_in(self, group: &mut Group<'_>) {
        if group.id() != self.group {
            stop(&self.group, &format!("the sweep was run in the group {}, not its own", group.id()));
        }
        let sizes = self.checked_sizes().unwrap_or_else(|message| stop(&self.group, &message));
        let case = self.case();
        let expected = OnceCell::new();
        let sequential_answer = || -> Result<&Vec<W::Output>, String> {
            if expected.get().is_none() {
                let answer = expected_answer(self.workload, self.inputs)?;
                // Written once per group, when its first benchmark runs: a listed or filtered
                // group leaves nothing behind.
                let criterion_dir = super::criterion_dir();
                if let Err(err) = case.write(&criterion_dir) {
                    eprintln!(
                        "poolbench: cannot write the case file of {} in {}: {err}; the report will not \
                         describe the group",
                        self.group,
                        criterion_dir.display()
                    );
                }
                let _ = expected.set(answer);
            }
            Ok(expected.get().expect("set above"))
        };
        let (this, sequential_answer) = (&self, &sequential_answer);
        let mut ran = Vec::new();
        for kind in self.kinds.iter().copied() {
            let kind_sizes: &[usize] = if kind.is_pool() { &sizes } else { &[1] };
            for &size in kind_sizes {
                // The executor lives here, beside the benchmark, so that the prepared map the
                // timed routine owns can borrow it; both are dropped when the benchmark ends.
                let mut executor: Option<AnyExecutor> = None;
                let slot = &mut executor;
                let setup = move || -> Result<Box<dyn FnMut(u64) -> Duration + '_>, String> {
                    let slot = slot;
                    let expected = sequential_answer()?;
                    let started = this.start(kind, size)?;
                    if this.timing == Timing::EndToEnd {
                        // Checked on a pool of its own, stopped before timing starts more.
                        check(&this.prepare(&started)?, this.workload, this.inputs, expected)?;
                        drop(started);
                        return Ok(Box::new(this.end_to_end_routine(kind, size)));
                    }
                    let prepared = this.prepare(slot.insert(started))?;
                    check(&prepared, this.workload, this.inputs, expected)?;
                    let inputs = this.inputs;
                    Ok(Box::new(timed(move || prepared.map(black_box(inputs)))))
                };
                // Judged against the cores the benchmark could use: one for Sequential, the pool's size.
                let threads = u32::try_from(size).unwrap_or(u32::MAX);
                if group.bench_on(kind.name(), size, Some(threads), setup) {
                    ran.push((kind, size));
                }
            }
        }
        if ran.is_empty() {
            return;
        }
        let expected = sequential_answer().unwrap_or_else(|message| stop(&self.group, &message));
        self.interleave(&ran, expected);
    }

    fn checked_sizes(&self) -> Result<Vec<usize>, String> {
        if self.inputs.is_empty() {
            return Err("no inputs: a sweep maps the workload over at least one input".to_owned());
        }
        if self.kinds.is_empty() {
            return Err("no executors to sweep".to_owned());
        }
        let sizes = match &self.sizes {
            Some(sizes) => sizes.clone(),
            None => sizes_from_env()?,
        };
        if sizes.is_empty() {
            return Err("no pool sizes to sweep".to_owned());
        }
        if let Some(bad) = sizes.iter().find(|size| !(1..=MAX_SIZE).contains(*size)) {
            return Err(format!("a pool size of {bad}; give sizes from 1 to {MAX_SIZE}"));
        }
        Ok(sizes)
    }

    fn case(&self) -> CaseFile {
        let known = crate::catalog::find(&self.group);
        CaseFile {
            case_version: crate::schema::CASE_VERSION,
            group: self.group.clone(),
            about: self
                .about
                .clone()
                .or_else(|| known.map(|case| case.about.to_owned()))
                .unwrap_or_else(|| format!("{} over {} input(s)", self.workload.name(), self.inputs.len())),
            tasks: self.tasks.or(known.map(|case| case.tasks)).unwrap_or(self.inputs.len() as u64),
        }
    }

    pub(super) fn start(&self, kind: ExecutorKind, size: usize) -> Result<AnyExecutor, String> {
        kind.build(size).map_err(|err| format!("cannot start a {kind} of {size}: {err}"))
    }

    pub(super) fn prepare<'e>(&self, executor: &'e AnyExecutor) -> Result<Prepared<'e, W>, String> {
        let (kind, size) = (executor.kind(), executor.size());
        executor.prepare(self.workload).map_err(|err| format!("cannot prepare a {kind} of {size}: {err}"))
    }

    /// Start a pool, map, shut it down: per iteration.
    pub(super) fn end_to_end_routine(
        &self,
        kind: ExecutorKind,
        size: usize,
    ) -> impl FnMut(u64) -> Duration + '_ {
        let id = format!("{}/{kind}/{size}", self.group);
        move |iters| {
            let started = Instant::now();
            for _ in 0..iters {
                let executor = kind.build(black_box(size)).unwrap_or_else(|err| {
                    stop(&id, &format!("a {kind} of {size} failed to start while being timed: {err}"))
                });
                let outputs = executor.map(black_box(self.workload), black_box(self.inputs));
                drop(executor);
                let _ = black_box(outputs);
            }
            started.elapsed()
        }
    }
}

/// Sequential's answer for `workload` over `inputs`, after checking it against the workload's
/// [`reference`](Workload::reference): what every executor must give before it is timed.
///
/// # Errors
///
/// A message naming the input where Sequential and the reference disagree, or the failure of
/// either.
pub fn expected_answer<W: Workload>(workload: &W, inputs: &[W::Input]) -> Result<Vec<W::Output>, String> {
    let name = workload.name();
    let outputs =
        Sequential.map(workload, inputs).map_err(|err| format!("Sequential cannot run {name}: {err}"))?;
    for (input, output) in inputs.iter().zip(&outputs) {
        match workload.reference(input) {
            None => {}
            Some(Ok(reference)) if reference == *output => {}
            Some(Ok(reference)) => {
                return Err(format!(
                    "Sequential's answer for input {input:?} is {output:?}, but {name}'s reference says \
                     {reference:?}: the workload and its reference disagree"
                ));
            }
            Some(Err(err)) => return Err(format!("{name}'s reference fails on input {input:?}: {err}")),
        }
    }
    Ok(outputs)
}

/// Checks that a prepared executor gives `expected` (Sequential's answer) for `workload` over
/// `inputs`.
///
/// # Errors
///
/// A message naming the executor, its size and the first input whose answer differs, or the
/// task's failure.
pub fn check<W: Workload>(
    prepared: &Prepared<'_, W>,
    workload: &W,
    inputs: &[W::Input],
    expected: &[W::Output],
) -> Result<(), String> {
    let (kind, size, name) = (prepared.kind(), prepared.size(), workload.name());
    let got = prepared.map(inputs).map_err(|err| format!("{kind} of {size}: {err}"))?;
    match got.iter().zip(expected).position(|(got, expected)| got != expected) {
        None => Ok(()),
        Some(index) => Err(format!(
            "{kind} of {size} gives {:?} for input {:?} of {name}, where Sequential gives {:?}",
            got[index], inputs[index], expected[index]
        )),
    }
}
