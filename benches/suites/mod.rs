//! The suites, and what they share: pool sizes, timing settings, and the one way a workload is
//! benchmarked on an executor (answer checked first, pool built outside the timed closure).

pub mod crossover;
pub mod ipc;
pub mod pools;
pub mod startup;
pub mod sync;
pub mod task;

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkGroup, BenchmarkId, Criterion, measurement::WallTime};
use poolbench::{AnyExecutor, Executor, ExecutorKind, Sequential, Workload};

/// The settings every suite starts from, before Criterion's command-line flags
/// (`--measurement-time`, `--sample-size`, `--quick`...), which override them.
///
/// Small enough that the whole of `cargo bench` stays within ten minutes on a 2-core machine:
/// 0.2 s of warm-up, then 20 samples in about 0.8 s (Criterion's automatic sampling goes flat
/// where a linear ramp of iterations would not fit), and 10,000 bootstrap resamples rather than
/// 100,000, which made Criterion's plots cost about 6 s a benchmark here.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(200))
        .measurement_time(Duration::from_millis(800))
        .sample_size(20)
        .nresamples(10_000)
}

/// Opens the group `group_id`, which must be a case of `poolbench::catalog`: ids are a public
/// interface and are spelled there, once.
pub fn group<'c>(c: &'c mut Criterion, group_id: &str) -> BenchmarkGroup<'c, WallTime> {
    assert!(poolbench::catalog::find(group_id).is_some(), "{group_id} is not in poolbench::catalog::CASES");
    c.benchmark_group(group_id)
}

/// The pool sizes to sweep: `POOLBENCH_SIZES`, else 2, 4 and 8. A bad value stops the run with
/// a message saying what is wrong, before anything is measured.
pub fn sizes() -> Vec<usize> {
    poolbench::catalog::sizes_from_env().unwrap_or_else(|message| {
        eprintln!("Error: {message}");
        std::process::exit(2);
    })
}

/// The crossover sweep: 1, the pool sizes, and twice the largest, so the curve shows both sides
/// of the core count.
pub fn crossover_sizes() -> Vec<usize> {
    let mut sizes = sizes();
    let largest = sizes.last().copied().unwrap_or(1);
    sizes.push(1);
    sizes.push(largest * 2);
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

/// The pool kinds, in report order.
pub fn pool_kinds() -> impl Iterator<Item = ExecutorKind> {
    ExecutorKind::ALL.into_iter().filter(|kind| kind.is_pool())
}

/// What `Sequential` returns on `inputs`, after checking it against the workload's independent
/// reference: the answer every executor must give before it is timed.
pub fn expected<W: Workload>(workload: &W, inputs: &[W::Input]) -> Vec<W::Output> {
    let outputs =
        Sequential.map(workload, inputs).unwrap_or_else(|err| panic!("{} failed: {err}", workload.name()));
    for (input, output) in inputs.iter().zip(&outputs) {
        let reference = workload.reference(input).unwrap_or_else(|err| panic!("{}: {err}", workload.name()));
        assert_eq!(*output, reference, "{} of {input:?} disagrees with its reference", workload.name());
    }
    outputs
}

/// Builds an executor of `kind` with `size` workers, or stops the run saying why.
pub fn build(kind: ExecutorKind, size: usize) -> AnyExecutor {
    kind.build(size).unwrap_or_else(|err| panic!("cannot start a {kind} of {size}: {err}"))
}

/// Benchmarks `executor` mapping `workload` over `inputs`, as `<executor>/<size>`, after checking
/// once that it returns `expected`.
pub fn bench_map<W: Workload>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    executor: &impl Executor,
    workload: &W,
    inputs: &[W::Input],
    expected: &[W::Output],
) {
    let id = BenchmarkId::new(executor.kind().name(), executor.size());
    bench_map_as(group, id, executor, workload, inputs, expected);
}

/// [`bench_map`] under another id, for groups whose functions are not executor kinds.
pub fn bench_map_as<W: Workload>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    executor: &impl Executor,
    workload: &W,
    inputs: &[W::Input],
    expected: &[W::Output],
) {
    let (kind, size) = (executor.kind(), executor.size());
    let got = executor.map(workload, inputs).unwrap_or_else(|err| panic!("{kind} of {size}: {err}"));
    assert_eq!(got, expected, "{kind} of {size} gave a wrong answer on {}", workload.name());
    group.bench_function(id, |b| {
        b.iter(|| executor.map(black_box(workload), black_box(inputs)));
    });
}

/// Sequential at size 1, then every kind in `kinds` at every size in `sizes`: each pool started
/// before its benchmark and stopped after it, so only one is alive at a time.
pub fn sweep<W: Workload>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    kinds: impl IntoIterator<Item = ExecutorKind>,
    sizes: &[usize],
    workload: &W,
    inputs: &[W::Input],
) {
    let expected = expected(workload, inputs);
    bench_map(group, &Sequential, workload, inputs, &expected);
    for kind in kinds {
        for &size in sizes {
            bench_map(group, &build(kind, size), workload, inputs, &expected);
        }
    }
}
