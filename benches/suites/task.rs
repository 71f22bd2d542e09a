//! task: one task of each workload on one thread, the unit cost every pool divides up.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group};
use poolbench::Workload;
use poolbench::workload::{CpuSpin, Factorial};

use super::group;

fn factorial(c: &mut Criterion) {
    let mut group = group(c, "task/factorial");
    for n in [2_000u32, 20_000] {
        assert_eq!(Factorial.run(&n).unwrap(), Factorial.reference(&n).unwrap(), "{n}!");
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, n| {
            b.iter(|| Factorial.run(black_box(n)))
        });
    }
    group.finish();
}

fn cpu_spin(c: &mut Criterion) {
    let mut group = group(c, "task/cpu-spin");
    let bound = 20_000u64;
    assert_eq!(CpuSpin.run(&bound).unwrap(), CpuSpin.reference(&bound).unwrap());
    group.bench_with_input(BenchmarkId::from_parameter(bound), &bound, |b, bound| {
        b.iter(|| CpuSpin.run(black_box(bound)))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = factorial, cpu_spin
}
