//! A Criterion benchmark group whose benchmarks set themselves up only when they run.
//!
//! Criterion calls a benchmark's closure only when the benchmark runs: not for `--list`, not when
//! a filter leaves it out. [`Group::bench`] puts everything that costs (starting a pool, checking
//! its answer) inside that first call, so listing or filtering starts nothing, and drops what the
//! set-up built as soon as the benchmark ends, so one pool is alive at a time. What is timed is a
//! routine of the iteration count, `FnMut(u64) -> Duration` (Criterion's `iter_custom`), so that
//! the same routine can be driven by something other than Criterion.

use std::fmt::Display;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};

/// A benchmark group: `<group>/<function>/<value>` ids, set-up on first run.
pub struct Group<'c> {
    id: String,
    inner: BenchmarkGroup<'c, WallTime>,
}

impl<'c> Group<'c> {
    /// Opens the group `id` in `criterion`.
    pub fn new(criterion: &'c mut Criterion, id: impl Into<String>) -> Self {
        let id = id.into();
        let inner = criterion.benchmark_group(id.clone());
        Group { id, inner }
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
    /// A set-up that fails stops the bench: its message is printed with the benchmark's id and
    /// the process exits with status 1, before the benchmark is timed.
    pub fn bench<R>(&mut self, function: &str, value: impl Display, setup: impl FnOnce() -> Result<R, String>)
    where
        R: FnMut(u64) -> Duration,
    {
        let value = value.to_string();
        let full_id = format!("{}/{function}/{value}", self.id);
        self.run(BenchmarkId::new(function, value), full_id, setup);
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
        self.run(BenchmarkId::from_parameter(value), full_id, setup);
    }

    fn run<R>(&mut self, id: BenchmarkId, full_id: String, setup: impl FnOnce() -> Result<R, String>)
    where
        R: FnMut(u64) -> Duration,
    {
        let mut setup = Some(setup);
        let mut routine: Option<R> = None;
        self.inner.bench_function(id, |bencher| {
            if let Some(setup) = setup.take() {
                match setup() {
                    Ok(built) => routine = Some(built),
                    Err(message) => stop(&full_id, &message),
                }
            }
            if let Some(routine) = routine.as_mut() {
                bencher.iter_custom(routine);
            }
        });
        drop(routine);
    }
}

/// Stops the bench run: a benchmark that cannot be measured as asked must not be measured
/// otherwise, and Criterion offers no error path out of a benchmark.
pub(crate) fn stop(benchmark: &str, message: &str) -> ! {
    eprintln!("Error: {benchmark}: {message}");
    std::process::exit(1)
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
