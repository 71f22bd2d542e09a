//! crossover: exercise 1's question, measured. The same executors on CPU-bound and I/O-bound
//! tasks from 1 worker to twice the largest pool size: CPU-bound work stops gaining at the core
//! count, while tasks that wait keep gaining from more threads (or processes) than cores, and
//! Tokio's few workers wait on all of them at once (its timer and TcpStream: async tasks).

use criterion::Criterion;
use poolbench::ExecutorKind;
use poolbench::bench::{Sweep, crossover_sizes};
use poolbench::workload::{CpuSpin, LatencyServer, Sleep};

use super::pools::{CPU_SPIN_TASKS, IO_LATENCY, IO_TOKENS};
use super::{case, sizes};

const KINDS: [ExecutorKind; 5] = [
    ExecutorKind::Sequential,
    ExecutorKind::Rayon,
    ExecutorKind::StdPool,
    ExecutorKind::Tokio,
    ExecutorKind::ProcessPool,
];

/// The suite.
pub fn benches(c: &mut Criterion) {
    let sizes = crossover_sizes(&sizes());
    Sweep::new(case("crossover/cpu-spin"), &CpuSpin, &CPU_SPIN_TASKS)
        .executors(KINDS)
        .sizes(sizes.clone())
        .run(c);
    Sweep::new(case("crossover/io-sleep"), &Sleep::new(IO_LATENCY), &IO_TOKENS)
        .executors(KINDS)
        .asynchronously()
        .sizes(sizes.clone())
        .run(c);
    let server =
        LatencyServer::start(IO_LATENCY).unwrap_or_else(|err| panic!("io-tcp needs its server: {err}"));
    Sweep::new(case("crossover/io-tcp"), &server.request(), &IO_TOKENS)
        .executors(KINDS)
        .asynchronously()
        .sizes(sizes)
        .run(c);
}
