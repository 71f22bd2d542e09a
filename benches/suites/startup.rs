//! startup: the notebook's programs end to end: start a pool of n, map, shut it down.
//!
//! Exercise 8 times exactly this, and so does Python's `with Pool(n) as p: p.map(...)`. Compared
//! with the `pools` suite's steady state for the same work, the difference is the price of
//! starting and stopping the pool.

use std::hint::black_box;

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, criterion_group, measurement::WallTime};
use poolbench::workload::{Factorial, Squares};
use poolbench::{Executor, Sequential, Workload};

use super::{bench_map, build, expected, group, pool_kinds, sizes};

fn end_to_end<W: Workload>(group: &mut BenchmarkGroup<'_, WallTime>, workload: &W, inputs: &[W::Input]) {
    let expected = expected(workload, inputs);
    // Sequential has no pool to start: its end to end is its steady state.
    bench_map(group, &Sequential, workload, inputs, &expected);
    for kind in pool_kinds() {
        for size in sizes() {
            let answer = build(kind, size).map(workload, inputs);
            assert_eq!(
                answer.as_deref().ok(),
                Some(&expected[..]),
                "{kind} of {size} on {}",
                workload.name()
            );
            group.bench_function(BenchmarkId::new(kind.name(), size), |b| {
                b.iter(|| {
                    let pool = build(kind, black_box(size));
                    let outputs = pool.map(black_box(workload), black_box(inputs));
                    drop(pool);
                    outputs
                });
            });
        }
    }
}

fn ex8_squares(c: &mut Criterion) {
    end_to_end(&mut group(c, "startup/ex8-squares"), &Squares, &(1..=10).collect::<Vec<u32>>());
}

fn ex7_factorial(c: &mut Criterion) {
    end_to_end(&mut group(c, "startup/ex7-factorial"), &Factorial, &(1..=10).collect::<Vec<u32>>());
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = ex8_squares, ex7_factorial
}
