//! sync: exercises 4 and 5. The producer/consumer variants; the sharing primitives with 1 to n
//! threads fighting over one counter; and across processes, messages over pipes against an
//! atomic in shared memory.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group};
use poolbench::workload::contention::{self, Primitive};
use poolbench::workload::producer_consumer::{ProducerConsumer, Variant};
use poolbench::workload::{SharedCounterFile, Squares};
use poolbench::{Chunking, Executor, ProcessPool};

use super::{group, sizes};

const ITEMS: u64 = 10_000;
const INCREMENTS: u64 = 100_000;
const HANDOFFS: u64 = 2_000;
const CROSS_PROCESS_INCREMENTS: u64 = 4_000;

/// 1, then the pool sizes: contention against no contention.
fn thread_counts() -> Vec<usize> {
    let mut counts = sizes();
    counts.insert(0, 1);
    counts.dedup();
    counts
}

fn producer_consumer(c: &mut Criterion) {
    let mut group = group(c, "sync/producer-consumer");
    for variant in Variant::ALL {
        let run = ProducerConsumer::new(variant, ITEMS);
        let accounting = run.run();
        assert!(accounting.is_exact(), "{}: {accounting:?}", variant.name());
        group.bench_function(BenchmarkId::new(variant.name(), 1), |b| b.iter(|| black_box(run).run()));
    }
}

fn contended_counter(c: &mut Criterion) {
    let mut group = group(c, "sync/contention");
    for primitive in Primitive::ALL {
        for threads in thread_counts() {
            assert_eq!(
                contention::increment(primitive, threads, INCREMENTS),
                INCREMENTS,
                "{}",
                primitive.name()
            );
            group.bench_function(BenchmarkId::new(primitive.name(), threads), |b| {
                b.iter(|| {
                    contention::increment(black_box(primitive), black_box(threads), black_box(INCREMENTS))
                });
            });
        }
    }
}

fn condvar_handoff(c: &mut Criterion) {
    let mut group = group(c, "sync/condvar-handoff");
    for threads in thread_counts() {
        assert_eq!(contention::condvar_handoff(threads, HANDOFFS), HANDOFFS);
        group.bench_function(BenchmarkId::new("Condvar", threads), |b| {
            b.iter(|| contention::condvar_handoff(black_box(threads), black_box(HANDOFFS)));
        });
    }
}

fn cross_process(c: &mut Criterion) {
    let mut group = group(c, "sync/cross-process");
    let counter = SharedCounterFile::create()
        .unwrap_or_else(|err| panic!("sync/cross-process needs a shared counter: {err}"));
    for processes in sizes() {
        // Messages: every increment is one task, one request and one response on a worker's pipes.
        let pool = ProcessPool::builder()
            .size(processes)
            .chunking(Chunking::fixed(1))
            .build()
            .unwrap_or_else(|err| panic!("cannot start a ProcessPool of {processes}: {err}"));
        let ones = vec![1u32; CROSS_PROCESS_INCREMENTS as usize];
        let total = |results: Vec<u64>| results.iter().sum::<u64>();
        assert_eq!(pool.map(&Squares, &ones).map(total).ok(), Some(CROSS_PROCESS_INCREMENTS));
        group.bench_function(BenchmarkId::new("pipe-queue", processes), |b| {
            b.iter(|| pool.map(black_box(&Squares), black_box(&ones)).map(total));
        });

        // Shared memory: one task per worker, each adding its share with atomic increments.
        let share = CROSS_PROCESS_INCREMENTS / processes as u64;
        let mut shares = vec![share; processes];
        shares[0] += CROSS_PROCESS_INCREMENTS - share * processes as u64;
        let workload = counter.workload();
        counter.reset();
        assert_eq!(pool.map(&workload, &shares).map(total).ok(), Some(CROSS_PROCESS_INCREMENTS));
        assert_eq!(counter.value(), CROSS_PROCESS_INCREMENTS, "no increment lost across processes");
        group.bench_function(BenchmarkId::new("shared-memory", processes), |b| {
            b.iter(|| pool.map(black_box(&workload), black_box(&shares)));
        });
    }
}

criterion_group! {
    name = benches;
    config = super::config();
    targets = producer_consumer, contended_counter, condvar_handoff, cross_process
}
