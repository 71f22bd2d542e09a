//! Helpers shared by the integration tests.

#![allow(dead_code, reason = "each test binary uses its own subset of these helpers")]

use std::sync::OnceLock;
use std::time::Duration;

use poolbench::workload::{LatencyServer, Workload};
use poolbench::{AnyExecutor, Executor, ExecutorKind, Sequential};

/// The notebook's pool sizes.
pub const SIZES: [usize; 3] = [2, 4, 8];

/// One executor of every pool kind at every size in [`SIZES`], plus [`Sequential`], built once
/// per test binary: starting pools per proptest case would test start-up, not answers.
pub fn executors() -> &'static [AnyExecutor] {
    static EXECUTORS: OnceLock<Vec<AnyExecutor>> = OnceLock::new();
    EXECUTORS.get_or_init(|| {
        let mut executors = vec![AnyExecutor::Sequential(Sequential)];
        for kind in ExecutorKind::ALL.into_iter().filter(|kind| kind.is_pool()) {
            for size in SIZES {
                executors.push(kind.build(size).unwrap_or_else(|err| panic!("{kind} of {size}: {err}")));
            }
        }
        executors
    })
}

/// A latency server shared by the tests of one binary, answering after 50 µs.
pub fn latency_server() -> &'static LatencyServer {
    static SERVER: OnceLock<LatencyServer> = OnceLock::new();
    SERVER.get_or_init(|| LatencyServer::start(Duration::from_micros(50)).expect("start the latency server"))
}

/// Asserts that `executor` gives exactly what [`Sequential`] gives, and that Sequential gives
/// what the workload's independent reference computes.
pub fn assert_same_as_sequential<W: Workload>(executor: &impl Executor, workload: &W, inputs: &[W::Input]) {
    let expected = Sequential.map(workload, inputs).expect("the sequential run succeeds");
    for (input, output) in inputs.iter().zip(&expected) {
        assert_eq!(
            Ok(output),
            workload.reference(input).as_ref(),
            "Sequential vs the reference on {input:?}"
        );
    }
    let got = executor.map(workload, inputs).unwrap_or_else(|err| {
        panic!("{} of {} on {}: {err}", executor.kind(), executor.size(), workload.name())
    });
    assert_eq!(got, expected, "{} of {} on {}", executor.kind(), executor.size(), workload.name());
}
