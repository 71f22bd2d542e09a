//! The sweep: one workload on every executor at every pool size, each answer checked against
//! Sequential before it is timed.

use std::cell::OnceCell;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

use super::group::{Group, stop, timed};
use super::sizes::{MAX_SIZE, sizes_from_env};
use crate::executor::{AnyExecutor, Error, Executor, ExecutorKind, Prepared, Sequential, TokioPool};
use crate::load::Baseline;
use crate::schema::CaseFile;
use crate::workload::{AsyncWorkload, Workload};

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
    customs: Vec<Custom<'a, W>>,
    asynchronous: Option<AsyncMap<'a, W>>,
    sizes: Option<Vec<usize>>,
    pub(super) timing: Timing,
    about: Option<String>,
    tasks: Option<u64>,
    pub(super) rounds_budget: Option<Duration>,
}

/// An executor of another crate's, by the name it is swept under, and how to start one.
struct Custom<'a, W: Workload> {
    name: &'static str,
    start: Box<dyn Fn(usize) -> Result<BoxedStarted<'a, W>, Error> + 'a>,
}

/// An executor a sweep has started, boxed.
type BoxedStarted<'a, W> = Box<dyn Started<W> + 'a>;

/// How the Tokio configurations run the workload as async tasks.
type AsyncMap<'a, W> = Box<dyn for<'e> Fn(&'e TokioPool) -> Result<Prepared<'e, W>, Error> + 'a>;

/// An executor a sweep has started, whatever its type: a built-in kind, or another crate's.
pub(super) trait Started<W: Workload> {
    /// Sets the workload up on every worker.
    fn prepare(&self, workload: &W) -> Result<Prepared<'_, W>, Error>;
    /// Prepares and maps in one call, as [`Executor::map_each`] does (the process executors
    /// skip the prepare's round of messages): what an end-to-end iteration runs.
    fn map_each(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>>;
    /// The Tokio runtime, when this is one: an async workload runs on it natively.
    fn as_tokio(&self) -> Option<&TokioPool> {
        None
    }
}

impl<W: Workload> Started<W> for AnyExecutor {
    fn prepare(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        Executor::prepare(self, workload)
    }

    fn map_each(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        Executor::map_each(self, workload, inputs)
    }

    fn as_tokio(&self) -> Option<&TokioPool> {
        match self {
            AnyExecutor::Tokio(tokio) => Some(tokio),
            _ => None,
        }
    }
}

/// Another crate's executor, as a sweep holds it.
struct Theirs<E>(E);

impl<W: Workload, E: Executor> Started<W> for Theirs<E> {
    fn prepare(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        self.0.prepare(workload)
    }

    fn map_each(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        self.0.map_each(workload, inputs)
    }
}

impl<'a, W: Workload> Sweep<'a, W> {
    /// `workload` over `inputs` as the group `group`, on every [`ExecutorKind`] at the sizes
    /// `POOLBENCH_SIZES` names (2, 4 and 8 by default), steady state.
    pub fn new(group: impl Into<String>, workload: &'a W, inputs: &'a [W::Input]) -> Self {
        Sweep {
            group: group.into(),
            workload,
            inputs,
            kinds: ExecutorKind::DEFAULT.to_vec(),
            customs: Vec::new(),
            asynchronous: None,
            sizes: None,
            timing: Timing::SteadyState,
            about: None,
            tasks: None,
            rounds_budget: None,
        }
    }

    /// The built-in executors to sweep, Sequential (at size 1) among them or not. Default: every
    /// kind ([`ExecutorKind::DEFAULT`]). The executors added by [`executor`](Self::executor) are
    /// swept beside them, whatever this says.
    pub fn executors(mut self, kinds: impl IntoIterator<Item = ExecutorKind>) -> Self {
        self.kinds = kinds.into_iter().filter(|kind| !matches!(kind, ExecutorKind::Custom(_))).collect();
        self
    }

    /// Sweeps an executor of your own beside the built-in ones, as `<group>/<name>/<size>`:
    /// `start` builds one of `size` workers, outside the timed routine, and it is checked against
    /// Sequential, timed by Criterion, measured in the same interleaved rounds and reported like
    /// any other. Any type that implements [`Executor`] serves: its
    /// [`prepare`](Executor::prepare) returns a [`Prepared`] built with [`Prepared::new`] around
    /// its map (`examples/own-executor` wraps a pool crate of the registry).
    ///
    /// ```no_run
    /// use criterion::Criterion;
    /// use poolbench::bench::Sweep;
    /// use poolbench::workload::CpuSpin;
    ///
    /// # fn mine(c: &mut Criterion) {
    /// // A StdPool stands in for an executor of your own here.
    /// Sweep::new("mine/primes", &CpuSpin, &[20_000; 16])
    ///     .executor("MyPool", |size| poolbench::StdPool::new(size))
    ///     .run(c);
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// When run: a name that is empty, holds a `/` or a space, or is already a built-in
    /// executor's or another added one's stops the sweep naming it; so does an executor that
    /// cannot start or whose answers differ from Sequential's.
    pub fn executor<E: Executor + 'a>(
        mut self,
        name: &'static str,
        start: impl Fn(usize) -> Result<E, Error> + 'a,
    ) -> Self {
        let start = move |size: usize| -> Result<Box<dyn Started<W> + 'a>, Error> {
            Ok(Box::new(Theirs(start(size)?)))
        };
        self.customs.push(Custom { name, start: Box::new(start) });
        self
    }

    /// Runs the workload as async tasks on the [`Tokio`](ExecutorKind::Tokio) configurations
    /// ([`TokioPool::prepare_async`]), its [`AsyncWorkload`] side, instead of on `spawn_blocking`:
    /// for a workload that waits, and implements both sides with the same input and output
    /// (poolbench's `Sleep` and `LoopbackRequest` do). The other executors run its
    /// [`Workload`] side. Default: Tokio runs the [`Workload`] side on `spawn_blocking`.
    pub fn asynchronously(mut self) -> Self
    where
        W: AsyncWorkload<Input = <W as Workload>::Input, Output = <W as Workload>::Output>,
    {
        let workload = self.workload;
        self.asynchronous = Some(Box::new(move |tokio: &TokioPool| tokio.prepare_async::<W, W>(workload)));
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
    /// Criterion's medians, each from a window of its own. Default: `POOLBENCH_ROUNDS_BUDGET`
    /// seconds where set (for a run that wants a steadier answer than the default buys), else
    /// [`DEFAULT_ROUNDS_BUDGET`](super::DEFAULT_ROUNDS_BUDGET); a budget set here wins over both.
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
                // The run's banner names the sizes of sweeps that set none; this one's are its own.
                if self.sizes.is_some() {
                    eprintln!("poolbench: {} sweeps pool sizes {sizes:?}, set by its sweep", self.group);
                }
                let _ = expected.set(answer);
            }
            Ok(expected.get().expect("set above"))
        };
        let (this, sequential_answer) = (&self, &sequential_answer);
        let mut ran = Vec::new();
        let customs = self.customs.iter().map(|custom| ExecutorKind::Custom(custom.name));
        for kind in self.kinds.iter().copied().chain(customs) {
            let kind_sizes: &[usize] = if kind.is_pool() { &sizes } else { &[1] };
            for &size in kind_sizes {
                // The executor lives here, beside the benchmark, so that the prepared map the
                // timed routine owns can borrow it; both are dropped when the benchmark ends.
                let mut executor: Option<Box<dyn Started<W> + 'a>> = None;
                let slot = &mut executor;
                let setup =
                    move |baseline: &mut Baseline| -> Result<Box<dyn FnMut(u64) -> Duration + '_>, String> {
                        let slot = slot;
                        let expected = sequential_answer()?;
                        // The group's answer is kept for all its configurations: none is charged for it.
                        baseline.retake();
                        let started = this.start(kind, size)?;
                        if this.timing == Timing::EndToEnd {
                            // Checked on a pool of its own, stopped before timing starts more.
                            check(&this.prepare(&*started)?, this.workload, this.inputs, expected)?;
                            drop(started);
                            return Ok(Box::new(this.end_to_end_routine(kind, size)));
                        }
                        let prepared = this.prepare(&**slot.insert(started))?;
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
        if self.kinds.is_empty() && self.customs.is_empty() {
            return Err("no executors to sweep".to_owned());
        }
        for (index, custom) in self.customs.iter().enumerate() {
            check_name(custom.name)?;
            let twice =
                self.customs[..index].iter().any(|other| other.name.eq_ignore_ascii_case(custom.name));
            if ExecutorKind::from_name(custom.name).is_some() || twice {
                return Err(format!(
                    "two executors are named {:?}: give Sweep::executor a name of its own (the built-in ones are {})",
                    custom.name,
                    ExecutorKind::ALL.iter().map(|kind| kind.name()).collect::<Vec<_>>().join(", ")
                ));
            }
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
            end_to_end: self.timing == Timing::EndToEnd,
        }
    }

    /// Starts an executor of `kind` (a built-in one, or one added by
    /// [`executor`](Self::executor)) with `size` workers.
    pub(super) fn start(&self, kind: ExecutorKind, size: usize) -> Result<Box<dyn Started<W> + 'a>, String> {
        let started = match kind {
            ExecutorKind::Custom(name) => {
                let custom = self.customs.iter().find(|custom| custom.name == name).ok_or_else(|| {
                    format!("no executor named {name} was added to the sweep with Sweep::executor")
                })?;
                (custom.start)(size)
            }
            built_in => built_in.build(size).map(|executor| Box::new(executor) as Box<dyn Started<W> + 'a>),
        };
        started.map_err(|err| format!("cannot start a {kind} of {size}: {err}"))
    }

    /// Sets the workload up on `started`: as async tasks on a Tokio runtime when the sweep runs
    /// [`asynchronously`](Self::asynchronously).
    pub(super) fn prepare<'e>(&self, started: &'e dyn Started<W>) -> Result<Prepared<'e, W>, String> {
        let prepared = match (started.as_tokio(), &self.asynchronous) {
            (Some(tokio), Some(asynchronous)) => asynchronous(tokio),
            _ => started.prepare(self.workload),
        };
        prepared.map_err(|err| format!("cannot prepare {}: {err}", self.workload.name()))
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
                let executor = self.start(kind, black_box(size)).unwrap_or_else(|message| {
                    stop(&id, &format!("failed to start while being timed: {message}"))
                });
                let outputs = match (executor.as_tokio(), &self.asynchronous) {
                    (Some(tokio), Some(asynchronous)) => {
                        asynchronous(tokio).map(|prepared| prepared.map_each(black_box(self.inputs)))
                    }
                    _ => Ok(executor.map_each(black_box(self.workload), black_box(self.inputs))),
                };
                drop(executor);
                let _ = black_box(outputs);
            }
            started.elapsed()
        }
    }
}

/// Checks the name of an executor another crate adds: it is the function part of benchmark ids
/// (`<group>/<name>/<size>`), so it must be a single word.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('/') || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "an executor named {name:?}: a name is the middle part of benchmark ids (`<group>/<name>/<size>`), so \
             give one word, without `/` or spaces (e.g. \"MyPool\")"
        ));
    }
    Ok(())
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
    for (task, (input, output)) in inputs.iter().zip(&outputs).enumerate() {
        match workload.reference(input) {
            None => {}
            Some(Ok(reference)) if reference == *output => {}
            Some(Ok(reference)) => {
                return Err(format!(
                    "Sequential's answer for task {task} (input {}) is {}, but {name}'s reference says {}: \
                     the workload and its reference disagree",
                    brief(input),
                    brief(output),
                    brief(&reference)
                ));
            }
            Some(Err(err)) => {
                return Err(format!(
                    "{name}'s reference fails on task {task} (input {}): {err}",
                    brief(input)
                ));
            }
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
        Some(task) => Err(format!(
            "{kind} of {size} gives {} for task {task} of {name} (input {}), where Sequential gives {}; an \
             executor must give every task the output Sequential gives, in input order, so an output must not \
             depend on which worker ran it, on the order tasks ran in, or on hash order (sort a HashMap's entries \
             before returning them)",
            brief(&got[task]),
            brief(&inputs[task]),
            brief(&expected[task])
        )),
    }
}

/// The longest a value is printed in a message: enough to recognise it, never a whole batch.
const BRIEF_CHARS: usize = 160;

/// `value`'s `Debug`, cut to [`BRIEF_CHARS`] characters with its full length said.
fn brief(value: &impl std::fmt::Debug) -> String {
    let whole = format!("{value:?}");
    let length = whole.chars().count();
    if length <= BRIEF_CHARS {
        return whole;
    }
    let cut: String = whole.chars().take(BRIEF_CHARS).collect();
    format!("{cut}… ({length} characters in all)")
}
