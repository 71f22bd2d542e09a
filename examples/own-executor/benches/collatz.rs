//! The longest Collatz chain in 64 ranges, on the `threadpool` crate's pool beside Rayon, StdPool
//! and the process pool, at pool sizes 2, 4 and 8, and the pool-size report.

use criterion::Criterion;
use own_executor::{LongestChain, Threadpool, ranges};
use poolbench::ExecutorKind;
use poolbench::bench::Sweep;

fn longest_chain(c: &mut Criterion) {
    let inputs = ranges(64, 2_000);
    Sweep::new("collatz/longest-chain", &LongestChain, &inputs)
        .about("the longest Collatz chain in 64 ranges of 2,000 numbers")
        .executors([
            ExecutorKind::Sequential,
            ExecutorKind::Rayon,
            ExecutorKind::StdPool,
            ExecutorKind::ProcessPool,
        ])
        .executor(Threadpool::NAME, Threadpool::new)
        .run(c);
}

poolbench::main!(longest_chain);
