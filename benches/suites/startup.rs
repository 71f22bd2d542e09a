//! startup: the notebook's programs end to end: start a pool of n, map, shut it down.
//!
//! Exercise 8 times exactly this, and so does Python's `with Pool(n) as p: p.map(...)`. Compared
//! with the `pools` suite's steady state for the same work, the difference is the price of
//! starting and stopping the pool. Sequential has no pool to start: its end to end is its steady
//! state.
//!
//! Beside each sweep, the other ways to start the same pool, so that the default's advantage is
//! measured rather than claimed:
//!
//! - `ProcessPool-exec/n`: every worker executed as a fresh program ([`WorkerStart::Exec`]), where
//!   `ProcessPool/n` forks them from the fork server;
//! - `ProcessPool-cold/n`: the fork server stopped before each iteration, so every start pays for
//!   executing it: what a program's first pool costs, where `ProcessPool/n` is every pool after;
//! - `StdPool-eager/n`: every thread started up front ([`ThreadStart::Eager`]), where `StdPool/n`
//!   starts one when a job waits and no thread is idle.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use poolbench::bench::{Group, Sweep, check, expected_answer};
use poolbench::executor::process::{WorkerStart, stop_fork_servers};
use poolbench::executor::{Error, ThreadStart};
use poolbench::workload::{Factorial, Squares};
use poolbench::{Executor, ProcessPool, StdPool, Workload};

use super::{case, group, sizes};

/// The suite.
pub fn benches(c: &mut Criterion) {
    let one_to_ten: Vec<u32> = (1..=10).collect();

    let ex8 = case("startup/ex8-squares");
    let mut squares = group(c, ex8);
    Sweep::new(ex8, &Squares, &one_to_ten).end_to_end().run_in(&mut squares);
    let exec = |size| ProcessPool::builder().size(size).start(WorkerStart::Exec).build();
    variant(&mut squares, "ProcessPool-exec", &Squares, &one_to_ten, exec);
    let cold = |size| {
        stop_fork_servers();
        ProcessPool::new(size)
    };
    variant(&mut squares, "ProcessPool-cold", &Squares, &one_to_ten, cold);
    drop(squares);

    let ex7 = case("startup/ex7-factorial");
    let mut factorials = group(c, ex7);
    Sweep::new(ex7, &Factorial, &one_to_ten).end_to_end().run_in(&mut factorials);
    let eager = |size| StdPool::new(size)?.with_start(ThreadStart::Eager);
    variant(&mut factorials, "StdPool-eager", &Factorial, &one_to_ten, eager);
}

/// Benchmarks `<group>/<name>/<n>` at every pool size: start the executor `start` builds, map
/// `workload` over `inputs`, shut it down, per iteration; its answer checked against Sequential
/// once before it is timed.
fn variant<W: Workload, E: Executor>(
    group: &mut Group<'_>,
    name: &str,
    workload: &W,
    inputs: &[W::Input],
    start: impl Fn(usize) -> Result<E, Error> + Copy,
) {
    let group_id = group.id().to_owned();
    for size in sizes() {
        let id = format!("{group_id}/{name}/{size}");
        group.bench(name, size, move || {
            let expected = expected_answer(workload, inputs)?;
            let started = start(size).map_err(|err| format!("cannot start a {name} of {size}: {err}"))?;
            check(&started.prepare(workload).map_err(|err| err.to_string())?, workload, inputs, &expected)?;
            drop(started);
            Ok(move |iters| -> Duration {
                let began = Instant::now();
                for _ in 0..iters {
                    let executor = start(black_box(size)).unwrap_or_else(|err| {
                        eprintln!("Error: {id}: a {name} of {size} failed to start while being timed: {err}");
                        std::process::exit(1)
                    });
                    let _ = black_box(executor.map(black_box(workload), black_box(inputs)));
                }
                began.elapsed()
            })
        });
    }
}
