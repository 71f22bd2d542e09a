//! pools: every workload on every executor at every pool size, pools up before timing starts.
//!
//! The steady state: what a map costs once the pool exists. Both kinds of case appear: the
//! notebook's ten tiny tasks, where overhead is all there is, and compute-bound batches
//! (factorials of 2,000..20,000, prime counting) where a pool can earn its keep.

use std::time::Duration;

use criterion::Criterion;
use poolbench::bench::Sweep;
use poolbench::workload::{CpuSpin, Factorial, LatencyServer, Sleep, Squares};

use super::case;

/// The compute-bound inputs shared with the crossover suite.
pub const CPU_SPIN_TASKS: [u64; 16] = [20_000; 16];
/// The latency of each I/O task.
pub const IO_LATENCY: Duration = Duration::from_millis(1);
/// 16 I/O tasks, named by token.
pub const IO_TOKENS: [u64; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// The suite.
pub fn benches(c: &mut Criterion) {
    let one_to_ten: Vec<u32> = (1..=10).collect();
    Sweep::new(case("pools/squares-10"), &Squares, &one_to_ten).run(c);
    Sweep::new(case("pools/factorial-10"), &Factorial, &one_to_ten).run(c);
    let large: Vec<u32> = (1..=10).map(|k| k * 2_000).collect();
    Sweep::new(case("pools/factorial-large"), &Factorial, &large).run(c);
    Sweep::new(case("pools/cpu-spin"), &CpuSpin, &CPU_SPIN_TASKS).run(c);
    let squares: Vec<u32> = (1..=10_000).collect();
    Sweep::new(case("pools/squares-10k"), &Squares, &squares).run(c);
    // Waiting work: Tokio runs it as async tasks (its timer, its TcpStream), the others blocking.
    Sweep::new(case("pools/io-sleep"), &Sleep::new(IO_LATENCY), &IO_TOKENS).asynchronously().run(c);
    let server =
        LatencyServer::start(IO_LATENCY).unwrap_or_else(|err| panic!("io-tcp needs its server: {err}"));
    Sweep::new(case("pools/io-tcp"), &server.request(), &IO_TOKENS).asynchronously().run(c);
}
