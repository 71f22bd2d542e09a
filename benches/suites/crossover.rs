//! crossover: exercise 1's question, measured. The same executors on CPU-bound and I/O-bound
//! tasks from 1 worker to twice the largest pool size: CPU-bound work stops gaining at the core
//! count, while tasks that wait keep gaining from more threads (or processes) than cores.

use criterion::{Criterion, criterion_group};
use poolbench::ExecutorKind;
use poolbench::workload::{CpuSpin, LatencyServer, Sleep};

use super::pools::{CPU_SPIN_TASKS, IO_LATENCY, IO_TOKENS};
use super::{crossover_sizes, group, sweep};

const KINDS: [ExecutorKind; 3] = [ExecutorKind::Rayon, ExecutorKind::StdPool, ExecutorKind::ProcessPool];

fn cpu_spin(c: &mut Criterion) {
    sweep(&mut group(c, "crossover/cpu-spin"), KINDS, &crossover_sizes(), &CpuSpin, &CPU_SPIN_TASKS);
}

fn io_sleep(c: &mut Criterion) {
    sweep(
        &mut group(c, "crossover/io-sleep"),
        KINDS,
        &crossover_sizes(),
        &Sleep::new(IO_LATENCY),
        &IO_TOKENS,
    );
}

fn io_tcp(c: &mut Criterion) {
    let server =
        LatencyServer::start(IO_LATENCY).unwrap_or_else(|err| panic!("io-tcp needs its server: {err}"));
    sweep(&mut group(c, "crossover/io-tcp"), KINDS, &crossover_sizes(), &server.request(), &IO_TOKENS);
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = cpu_spin, io_sleep, io_tcp
}
