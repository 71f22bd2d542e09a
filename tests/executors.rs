//! Every executor, at every size, on every workload, returns exactly what Sequential returns.

mod common;

use std::time::Duration;

use common::{assert_same_as_sequential, executors, latency_server};
use poolbench::workload::{CpuSpin, Factorial, Fault, FaultAction, Sleep, Squares};
use poolbench::{Chunking, Executor, RayonPool, StdPool};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn factorials_match(inputs in prop::collection::vec(0u32..600, 0..40)) {
        for executor in executors() {
            assert_same_as_sequential(executor, &Factorial, &inputs);
        }
    }

    #[test]
    fn squares_match(inputs in prop::collection::vec(any::<u32>(), 0..300)) {
        for executor in executors() {
            assert_same_as_sequential(executor, &Squares, &inputs);
        }
    }

    #[test]
    fn cpu_spin_matches(inputs in prop::collection::vec(0u64..3_000, 0..30)) {
        for executor in executors() {
            assert_same_as_sequential(executor, &CpuSpin, &inputs);
        }
    }

    #[test]
    fn sleeps_return_their_tokens_in_order(inputs in prop::collection::vec(any::<u64>(), 0..20)) {
        let sleep = Sleep::new(Duration::from_micros(20));
        for executor in executors() {
            assert_same_as_sequential(executor, &sleep, &inputs);
        }
    }

    #[test]
    fn loopback_requests_match(inputs in prop::collection::vec(any::<u64>(), 0..12)) {
        let request = latency_server().request();
        for executor in executors() {
            assert_same_as_sequential(executor, &request, &inputs);
        }
    }

    #[test]
    fn any_fixed_chunk_length_keeps_input_order(inputs in prop::collection::vec(any::<u32>(), 0..200), chunk in 1usize..50) {
        for size in common::SIZES {
            let rayon = RayonPool::new(size).unwrap().with_chunking(Chunking::fixed(chunk));
            assert_same_as_sequential(&rayon, &Squares, &inputs);
            let std_pool = StdPool::new(size).unwrap().with_chunking(Chunking::fixed(chunk));
            assert_same_as_sequential(&std_pool, &Squares, &inputs);
        }
    }
}

#[test]
fn a_panicking_task_is_an_error_naming_it_and_the_pool_serves_the_next_map() {
    let mut inputs: Vec<FaultAction> = (0..20).map(FaultAction::Return).collect();
    inputs[13] = FaultAction::Panic("boom at thirteen".into());
    for executor in executors() {
        let results = executor.map_each(&Fault, &inputs);
        assert_eq!(results.len(), 20);
        for (index, result) in results.iter().enumerate() {
            match result {
                Ok(value) => assert_eq!(*value, index as u64, "{}", executor.kind()),
                Err(err) => {
                    assert_eq!(index, 13, "only task 13 fails on {}: {err}", executor.kind());
                    assert!(err.is_panic(), "{err}");
                    assert_eq!(err.task(), Some(13));
                    assert_eq!(err.panic_message(), Some("boom at thirteen"));
                }
            }
        }
        assert!(results[13].is_err(), "{} swallowed the panic", executor.kind());

        let err = executor.map(&Fault, &inputs).unwrap_err();
        assert!(err.to_string().contains("task 13 panicked: boom at thirteen"), "{err}");

        let next: Vec<u32> = (1..=10).collect();
        assert_same_as_sequential(executor, &Squares, &next);
    }
}

#[test]
fn a_failing_task_is_an_error_with_the_workloads_message() {
    let inputs = [FaultAction::Return(1), FaultAction::Fail("disk full".into())];
    for executor in executors() {
        let err = executor.map(&Fault, &inputs).unwrap_err();
        assert!(err.is_workload_error(), "{err}");
        assert_eq!(err.task(), Some(1));
        assert_eq!(err.to_string(), "task 1 failed: disk full");
        assert_eq!(
            err.workload_error().map(|cause| cause.message()),
            Some("disk full"),
            "{}",
            executor.kind()
        );
        let chain = format!("{:#}", anyhow::Error::new(err));
        assert_eq!(chain.matches("disk full").count(), 1, "{chain}");
    }
}

#[test]
fn a_refused_connection_is_an_error_naming_the_address() {
    // Bind then drop a listener: nothing listens on that port any more.
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let request = poolbench::workload::LoopbackRequest { addr, timeout: Duration::from_secs(2) };
    for executor in executors() {
        let err = executor.map(&request, &[1]).unwrap_err();
        assert!(err.is_workload_error(), "{err}");
        assert!(err.to_string().contains(&addr.to_string()), "{err}");
    }
}

#[test]
fn size_zero_is_refused_with_a_clear_error() {
    for kind in poolbench::ExecutorKind::ALL.into_iter().filter(|kind| kind.is_pool()) {
        let err = kind.build(0).unwrap_err();
        assert!(err.is_pool_error());
        assert!(err.to_string().contains("at least 1"), "{err}");
    }
}

#[test]
fn shared_memory_increments_add_up_on_every_executor() {
    let counter = poolbench::workload::SharedCounterFile::create().unwrap();
    let workload = counter.workload();
    for executor in executors() {
        counter.reset();
        let inputs = [1_000u64, 250, 1, 0, 749];
        assert_same_as_sequential(executor, &workload, &inputs);
        // Twice: once by Sequential (the expected answer), once by the executor.
        assert_eq!(counter.value(), 4_000, "{} of {}", executor.kind(), executor.size());
    }
}
