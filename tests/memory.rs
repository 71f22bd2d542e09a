//! The memory of each configuration, as its load file records it: a workload whose set-up holds
//! a known amount per worker is charged that amount per worker, and a configuration whose workers
//! have exited is not charged for them.
//!
//! The sweeps run in a child process, this test binary started again with [`CASE_ENV`] naming the
//! case, running [`child`]: memory is the whole process tree's, which other tests' pools, started
//! on threads beside it, would be part of. Speed is never asserted.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use criterion::{BenchmarkFilter, Criterion};
use poolbench::ExecutorKind;
use poolbench::bench::Sweep;
use poolbench::schema::{LoadFile, Memory};
use poolbench::workload::{Workload, WorkloadError};
use serde::{Deserialize, Serialize};

const CASE_ENV: &str = "POOLBENCH_MEMORY_CASE";

/// The ballast each worker of the `ballast` groups holds.
const MIB: usize = 16;

/// A workload whose set-up allocates `mib` MiB and writes every page of it, so that each worker
/// holds that much resident and private for as long as it lives.
#[derive(Clone, Serialize, Deserialize)]
struct Ballast {
    mib: usize,
}

impl Workload for Ballast {
    type Input = u64;
    type Output = u64;
    type State = Vec<u8>;

    fn setup(&self) -> Result<Vec<u8>, WorkloadError> {
        // Not zeros: a page never written, or written with zeros by calloc, may stay unbacked.
        Ok(vec![7; self.mib << 20])
    }

    fn run(&self, state: &Vec<u8>, input: &u64) -> Result<u64, WorkloadError> {
        Ok(input + u64::from(state.last().copied().unwrap_or(7)))
    }

    fn reference(&self, input: &u64) -> Option<Result<u64, WorkloadError>> {
        Some(Ok(input + 7))
    }
}

poolbench::remote!(Ballast);

/// Runs `case` in a child process with Criterion's files in `criterion_dir`; panics with its
/// stderr unless it succeeds.
fn run_case(case: &str, criterion_dir: &Path) {
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let output = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["--exact", "child", "--ignored", "--nocapture", "--test-threads", "1"])
        .env(CASE_ENV, case)
        .env("CRITERION_HOME", criterion_dir)
        .output()
        .expect("the child runs");
    assert!(output.status.success(), "{case}: {}", String::from_utf8_lossy(&output.stderr));
}

fn criterion() -> Criterion {
    let dir = std::env::var_os("CRITERION_HOME").expect("the parent names the Criterion directory");
    common::tiny_criterion(Path::new(&dir)).with_benchmark_filter(BenchmarkFilter::AcceptAll)
}

fn sweep<'a>(group: &str, workload: &'a Ballast, inputs: &'a [u64]) -> Sweep<'a, Ballast> {
    Sweep::new(group, workload, inputs)
        .executors([ExecutorKind::Sequential, ExecutorKind::ProcessPool])
        .sizes([2])
        .rounds_budget(Duration::ZERO)
}

#[test]
#[ignore = "a child process of the memory tests, not a test"]
fn child() {
    let case = std::env::var(CASE_ENV)
        .unwrap_or_else(|_| panic!("not a test: the memory tests run this with {CASE_ENV} set"));
    let inputs = [1u64; 8];
    // The fork server outlives the pools of a process: started before either group, it is in
    // both baselines and charged to neither.
    drop(poolbench::ProcessPool::new(1).expect("a pool of one starts"));
    let (empty, ballast) = (Ballast { mib: 0 }, Ballast { mib: MIB });
    let mut c = criterion();
    match case.as_str() {
        "steady" => {
            sweep("mem/ballast", &ballast, &inputs).run(&mut c);
            sweep("mem/empty", &empty, &inputs).run(&mut c);
        }
        "end-to-end" => sweep("mem/exited", &ballast, &inputs).end_to_end().run(&mut c),
        other => panic!("no case {other}"),
    }
}

fn memory_of(criterion_dir: &Path, id: &str) -> Memory {
    let file = LoadFile::read(criterion_dir, id).expect("a load file that reads").expect("a load file");
    file.measurements[0].memory.unwrap_or_else(|| panic!("{id}: no memory in {file:?}"))
}

fn mib(bytes: f64) -> f64 {
    bytes / f64::from(1u32 << 20)
}

#[test]
fn a_set_up_that_holds_16_mib_per_worker_is_charged_16_mib_per_process_pool_worker() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    run_case("steady", dir.path());
    let empty = memory_of(dir.path(), "mem/empty/ProcessPool/2");
    let ballast = memory_of(dir.path(), "mem/ballast/ProcessPool/2");
    // Two workers and the fork server, alive at steady state.
    assert_eq!((empty.steady.processes, ballast.steady.processes), (3, 3), "{empty:?} {ballast:?}");
    let per_worker = mib((ballast.held_pss_bytes() - empty.held_pss_bytes()) as f64 / 2.0);
    assert!((per_worker - MIB as f64).abs() <= 0.1 * MIB as f64, "{per_worker} MiB per worker");
    let children = mib((ballast.steady.children_pss_bytes - empty.steady.children_pss_bytes) as f64 / 2.0);
    assert!((children - MIB as f64).abs() <= 0.1 * MIB as f64, "{children} MiB per worker process");
    assert!(ballast.samples > 0 && ballast.peak.pss_bytes >= ballast.steady.pss_bytes, "{ballast:?}");
}

#[test]
fn a_configuration_whose_workers_have_exited_is_not_charged_for_them() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    run_case("steady", dir.path());
    // Measured right after the ballast's pool was dropped: its workers have exited, and neither
    // the baseline nor the figures of the next configuration hold them.
    let next = memory_of(dir.path(), "mem/empty/Sequential/1");
    for sample in [next.baseline, next.steady, next.peak] {
        assert_eq!(sample.processes, 1, "the fork server only: {next:?}");
        assert!(mib(sample.children_pss_bytes as f64) < MIB as f64 / 2.0, "{next:?}");
    }
}

#[test]
fn an_end_to_end_configuration_holds_nothing_at_steady_state_once_its_checked_pool_is_gone() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    run_case("end-to-end", dir.path());
    // The pool that was checked against Sequential is dropped before timing starts: at steady
    // state only the fork server is left. Each timed iteration starts a pool of its own, whose
    // workers may still be exiting when a sample after the call is taken: the peak can see them.
    let exited = memory_of(dir.path(), "mem/exited/ProcessPool/2");
    assert_eq!(exited.steady.processes, 1, "the fork server only: {exited:?}");
    assert!(mib(exited.held_pss_bytes().max(0) as f64) < MIB as f64 / 2.0, "{exited:?}");
    assert!(exited.samples > 0 && exited.peak.pss_bytes >= exited.steady.pss_bytes, "{exited:?}");
}
