//! sync: exercises 4 and 5. The producer/consumer variants; the sharing primitives with 1 to n
//! threads fighting over one counter; and across processes, messages over pipes against an
//! atomic in shared memory.

use std::hint::black_box;

use criterion::Criterion;
use poolbench::bench::timed;
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
        group.bench(variant.name(), 1, || {
            let run = ProducerConsumer::new(variant, ITEMS);
            let accounting = run.run();
            if !accounting.is_exact() {
                return Err(format!("{}: {accounting:?}", variant.name()));
            }
            Ok(timed(move || black_box(run).run()))
        });
    }
}

fn contended_counter(c: &mut Criterion) {
    let mut group = group(c, "sync/contention");
    for primitive in Primitive::ALL {
        for threads in thread_counts() {
            group.threads(threads);
            group.bench(primitive.name(), threads, || {
                let total = contention::increment(primitive, threads, INCREMENTS);
                if total != INCREMENTS {
                    return Err(format!("{} counted {total} of {INCREMENTS}", primitive.name()));
                }
                Ok(timed(move || {
                    contention::increment(black_box(primitive), black_box(threads), black_box(INCREMENTS))
                }))
            });
        }
    }
}

fn condvar_handoff(c: &mut Criterion) {
    let mut group = group(c, "sync/condvar-handoff");
    for threads in thread_counts() {
        group.bench("Condvar", threads, || {
            let passed = contention::condvar_handoff(threads, HANDOFFS);
            if passed != HANDOFFS {
                return Err(format!("the turn was passed {passed} times of {HANDOFFS}"));
            }
            Ok(timed(move || contention::condvar_handoff(black_box(threads), black_box(HANDOFFS))))
        });
    }
}

/// Messages: every increment is one task, one request and one response on a worker's pipes.
fn one_task_per_increment(processes: usize) -> Result<ProcessPool, String> {
    ProcessPool::builder()
        .size(processes)
        .chunking(Chunking::fixed(1))
        .build()
        .map_err(|err| format!("cannot start a ProcessPool of {processes}: {err}"))
}

fn cross_process(c: &mut Criterion) {
    let mut group = group(c, "sync/cross-process");
    let total = |results: Vec<u64>| results.iter().sum::<u64>();
    let ones = vec![1u32; CROSS_PROCESS_INCREMENTS as usize];
    for processes in sizes() {
        group.threads(processes);
        // Each pool lives beside its benchmark, so the prepared map the routine owns can borrow it.
        let mut pool = None;
        group.bench("pipe-queue", processes, || {
            let pool = pool.insert(one_task_per_increment(processes)?);
            let prepared = pool.prepare(&Squares).map_err(|err| err.to_string())?;
            match prepared.map(&ones).map(total) {
                Ok(CROSS_PROCESS_INCREMENTS) => {}
                other => {
                    return Err(format!("the pipe queue counted {other:?} of {CROSS_PROCESS_INCREMENTS}"));
                }
            }
            let ones = &ones;
            Ok(timed(move || prepared.map(black_box(ones)).map(total)))
        });
        drop(pool);

        // Shared memory: one task per worker, each adding its share with atomic increments.
        // Declared first, dropped last: the workers map the counter's file until the pool ends.
        let mut counter = None;
        let mut pool = None;
        group.bench("shared-memory", processes, || {
            let counter = counter.insert(
                SharedCounterFile::create().map_err(|err| format!("cannot create a shared counter: {err}"))?,
            );
            let share = CROSS_PROCESS_INCREMENTS / processes as u64;
            let mut shares = vec![share; processes];
            shares[0] += CROSS_PROCESS_INCREMENTS - share * processes as u64;
            let workload = counter.workload();
            let pool = pool.insert(one_task_per_increment(processes)?);
            let prepared = pool.prepare(&workload).map_err(|err| err.to_string())?;
            counter.reset();
            let counted = prepared.map(&shares).map(total).map_err(|err| err.to_string())?;
            if (counted, counter.value()) != (CROSS_PROCESS_INCREMENTS, CROSS_PROCESS_INCREMENTS) {
                return Err(format!(
                    "{counted} increments reported and {} counted of {CROSS_PROCESS_INCREMENTS}: one was lost \
                     across processes",
                    counter.value()
                ));
            }
            Ok(timed(move || prepared.map(black_box(&shares))))
        });
    }
}

/// The suite.
pub fn benches(c: &mut Criterion) {
    producer_consumer(c);
    contended_counter(c);
    condvar_handoff(c);
    cross_process(c);
}
