//! A Criterion benchmark group whose benchmarks set themselves up only when they run, and say how
//! busy the machine was while they did.
//!
//! Criterion calls a benchmark's closure only when the benchmark runs: not for `--list`, not when
//! a filter leaves it out. [`Group::bench`] puts everything that costs (starting a pool, checking
//! its answer) inside that first call, so listing or filtering starts nothing, and drops what the
//! set-up built as soon as the benchmark ends, so one pool is alive at a time. What is timed is a
//! routine of the iteration count, `FnMut(u64) -> Duration` (Criterion's `iter_custom`), so that
//! the same routine can be driven by something other than Criterion.
//!
//! Around the timed calls (after the set-up, from the first call of the warm-up to the end of the
//! last sample) the group measures the machine's load, and once Criterion has saved the
//! benchmark writes it beside Criterion's files (`record.rs`): so each row of the report says
//! whether the machine was quiet, and the end of the run can measure a disturbed one again.
//! Beside the load it samples the memory of the process tree (`load/memory.rs`): before the
//! set-up (the baseline), after it (steady state), and after each timed call (the peak), so each
//! row of the report says what its configuration holds; a user's workload's set-up state is part
//! of it, with no change on the user's side.

use std::fmt::Display;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};

use super::record::{self, Timed};
use crate::load::{Baseline, Window};

/// A benchmark group: `<group>/<function>/<value>` ids, set-up on first run.
pub struct Group<'c> {
    id: String,
    inner: BenchmarkGroup<'c, WallTime>,
    threads: Option<u32>,
    ran: usize,
}

impl<'c> Group<'c> {
    /// Opens the group `id` in `criterion`.
    pub fn new(criterion: &'c mut Criterion, id: impl Into<String>) -> Self {
        let id = id.into();
        let inner = criterion.benchmark_group(id.clone());
        Group { id, inner, threads: None, ran: 0 }
    }

    /// How many threads or processes the benchmarks registered after this call keep busy at once,
    /// at most: the cores they could use, against which the machine's quiet is judged (other
    /// programs on the cores a benchmark leaves idle do not disturb it). Default: every core, the
    /// strictest judgement. A [`Sweep`](super::Sweep) says it per benchmark: 1 for Sequential, the
    /// pool size for a pool.
    pub fn threads(&mut self, threads: usize) -> &mut Self {
        self.threads = Some(u32::try_from(threads).unwrap_or(u32::MAX).max(1));
        self
    }

    /// The group's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Criterion's own group, for its settings (sampling mode, sample size, throughput).
    pub fn criterion_group(&mut self) -> &mut BenchmarkGroup<'c, WallTime> {
        &mut self.inner
    }

    /// Benchmarks `<group>/<function>/<value>`. `setup` runs once, when the benchmark first
    /// runs, and returns the routine that times a given number of iterations (see [`timed`]);
    /// whatever the routine owns (a pool) is dropped when the benchmark ends.
    ///
    /// # Errors
    ///
    /// A set-up that fails stops the run before the benchmark is timed: [`Main::run`](super::Main::run)
    /// (or [`Sweep::try_run`](super::Sweep::try_run)) returns it as a [`SetupError`] naming the
    /// benchmark.
    pub fn bench<R>(&mut self, function: &str, value: impl Display, setup: impl FnOnce() -> Result<R, String>)
    where
        R: FnMut(u64) -> Duration,
    {
        let threads = self.threads;
        self.bench_on(function, value, threads, |_: &mut Baseline| setup());
    }

    /// [`bench`](Self::bench), judged against `threads` cores (`None`: every core); whether
    /// it ran (not listed, not filtered out, not served). The set-up is given the memory
    /// baseline, sampled just before it runs, to sample again once it has built what the
    /// configuration should not be charged for.
    pub(crate) fn bench_on<R>(
        &mut self,
        function: &str,
        value: impl Display,
        threads: Option<u32>,
        setup: impl FnOnce(&mut Baseline) -> Result<R, String>,
    ) -> bool
    where
        R: FnMut(u64) -> Duration,
    {
        let value = value.to_string();
        let full_id = format!("{}/{function}/{value}", self.id);
        let ran = measure(&mut self.inner, BenchmarkId::new(function, &value), &full_id, threads, setup);
        self.ran += usize::from(ran);
        ran
    }

    /// Benchmarks `<group>/<value>`, an id without a function (a parameter only), as
    /// [`bench`](Self::bench).
    ///
    /// # Errors
    ///
    /// As [`bench`](Self::bench).
    pub fn bench_value<R>(&mut self, value: impl Display, setup: impl FnOnce() -> Result<R, String>)
    where
        R: FnMut(u64) -> Duration,
    {
        let value = value.to_string();
        let full_id = format!("{}/{value}", self.id);
        let setup = |_: &mut Baseline| setup();
        let ran =
            measure(&mut self.inner, BenchmarkId::from_parameter(&value), &full_id, self.threads, setup);
        self.ran += usize::from(ran);
    }
}

/// Once a group's benchmarks are done, and before Criterion draws the group's summary: one line
/// of progress, when the run keeps count (see [`Main`](super::Main)).
impl Drop for Group<'_> {
    fn drop(&mut self) {
        super::progress::group_done(&self.id, self.ran);
    }
}

/// Runs the benchmark `id` in `inner`, its load measured around the timed calls and recorded in
/// its load file; whether it ran.
fn measure<R>(
    inner: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    full_id: &str,
    threads: Option<u32>,
    setup: impl FnOnce(&mut Baseline) -> Result<R, String>,
) -> bool
where
    R: FnMut(u64) -> Duration,
{
    // Serve mode (`serve.rs`) takes the benchmark it serves, and Criterion runs none.
    let Some(setup) = super::serve::intercept(full_id, setup) else { return false };
    let started = Instant::now();
    let mut setup = Some(setup);
    let mut routine: Option<R> = None;
    let mut window: Option<Window> = None;
    let mut last: Option<(u64, Duration)> = None;
    inner.bench_function(id, |bencher| {
        if let Some(setup) = setup.take() {
            let mut baseline = Baseline::take();
            match setup(&mut baseline) {
                Ok(built) => routine = Some(built),
                Err(message) => stop(full_id, &message),
            }
            window = Window::start_with_memory(baseline).map_err(cannot_measure).ok();
        }
        let Some(routine) = routine.as_mut() else { return };
        bencher.iter_custom(|iters| {
            let time = routine(iters);
            last = Some((iters, time));
            time
        });
        if let Some(open) = window.as_mut() {
            if let Err(err) = open.mark() {
                cannot_measure(err);
                window = None;
            }
        }
    });
    drop(routine);
    let threads = threads.unwrap_or(u32::MAX);
    let memory = window.as_ref().and_then(Window::memory);
    if let (Some(load), Some(last)) = (window.and_then(|window| window.load(threads)), last) {
        let criterion_dir = super::criterion_dir();
        record::save(&criterion_dir, full_id, Timed { load, memory, threads, last, took: started.elapsed() });
    }
    last.is_some()
}

/// Says once per process that the load cannot be measured.
fn cannot_measure(err: std::io::Error) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        eprintln!(
            "poolbench: cannot measure the machine's load ({err}; it is read from Linux's /proc): the report \
             will say the benchmarks were not measured"
        );
    }
}

/// Why a benchmark could not be measured as asked: its id and what went wrong (a pool that could
/// not start, an answer that differs from Sequential's, bad arguments).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{benchmark}: {message}")]
pub struct SetupError {
    benchmark: String,
    message: String,
}

impl SetupError {
    /// The benchmark (or group) at fault.
    pub fn benchmark(&self) -> &str {
        &self.benchmark
    }

    /// What went wrong, and what to do.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Stops the run: a benchmark that cannot be measured as asked must not be measured otherwise,
/// and Criterion offers no error path out of a benchmark. The error unwinds (without the panic
/// hook's message) to [`catching`], which [`Main::run`](super::Main::run) and
/// [`Sweep::try_run`](super::Sweep::try_run) wrap around the targets, and which turn it into an
/// error the caller sees; whatever was started on the way (pools) is dropped as it unwinds.
pub(crate) fn stop(benchmark: &str, message: &str) -> ! {
    std::panic::resume_unwind(Box::new(SetupError {
        benchmark: benchmark.to_owned(),
        message: message.to_owned(),
    }))
}

/// Runs `work`, turning a [`stop`] in it into the error; any other panic goes on unwinding.
pub(crate) fn catching<R>(work: impl FnOnce() -> R) -> Result<R, SetupError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
        Ok(done) => Ok(done),
        Err(payload) => match payload.downcast::<SetupError>() {
            Ok(stopped) => Err(*stopped),
            Err(other) => std::panic::resume_unwind(other),
        },
    }
}

/// The routine that runs `work` once per iteration and returns the time they took, each output
/// passed through [`black_box`] so that the work cannot be optimised away.
pub fn timed<O>(mut work: impl FnMut() -> O) -> impl FnMut(u64) -> Duration {
    move |iters| {
        let started = Instant::now();
        for _ in 0..iters {
            black_box(work());
        }
        started.elapsed()
    }
}
