//! pools: every workload on every executor at every pool size, pools up before timing starts.
//!
//! The steady state: what a map costs once the pool exists. Both kinds of case appear: the
//! notebook's ten tiny tasks, where overhead is all there is, and compute-bound batches
//! (factorials of 2,000..20,000, prime counting) where a pool can earn its keep.

use std::time::Duration;

use criterion::{Criterion, criterion_group};
use poolbench::workload::{CpuSpin, Factorial, LatencyServer, Sleep, Squares};

use super::{group, pool_kinds, sizes, sweep};

/// The compute-bound inputs shared with the crossover suite.
pub const CPU_SPIN_TASKS: [u64; 16] = [20_000; 16];
/// The latency of each I/O task.
pub const IO_LATENCY: Duration = Duration::from_millis(1);
/// 16 I/O tasks, named by token.
pub const IO_TOKENS: [u64; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

fn squares_10(c: &mut Criterion) {
    let inputs: Vec<u32> = (1..=10).collect();
    sweep(&mut group(c, "pools/squares-10"), pool_kinds(), &sizes(), &Squares, &inputs);
}

fn factorial_10(c: &mut Criterion) {
    let inputs: Vec<u32> = (1..=10).collect();
    sweep(&mut group(c, "pools/factorial-10"), pool_kinds(), &sizes(), &Factorial, &inputs);
}

fn factorial_large(c: &mut Criterion) {
    let inputs: Vec<u32> = (1..=10).map(|k| k * 2_000).collect();
    sweep(&mut group(c, "pools/factorial-large"), pool_kinds(), &sizes(), &Factorial, &inputs);
}

fn cpu_spin(c: &mut Criterion) {
    sweep(&mut group(c, "pools/cpu-spin"), pool_kinds(), &sizes(), &CpuSpin, &CPU_SPIN_TASKS);
}

fn squares_10k(c: &mut Criterion) {
    let inputs: Vec<u32> = (1..=10_000).collect();
    sweep(&mut group(c, "pools/squares-10k"), pool_kinds(), &sizes(), &Squares, &inputs);
}

fn io_sleep(c: &mut Criterion) {
    sweep(&mut group(c, "pools/io-sleep"), pool_kinds(), &sizes(), &Sleep::new(IO_LATENCY), &IO_TOKENS);
}

fn io_tcp(c: &mut Criterion) {
    let server =
        LatencyServer::start(IO_LATENCY).unwrap_or_else(|err| panic!("io-tcp needs its server: {err}"));
    sweep(&mut group(c, "pools/io-tcp"), pool_kinds(), &sizes(), &server.request(), &IO_TOKENS);
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = squares_10, factorial_10, factorial_large, cpu_spin, squares_10k, io_sleep, io_tcp
}
