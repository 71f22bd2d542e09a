//! A pool at rest uses no CPU: its waiters spin only for a bounded moment after a hand-off, then
//! block. Alone in its test binary, so that no other test's threads or workers run meanwhile.

mod common;

use std::time::{Duration, Instant};

use poolbench::executor::ThreadStart;
use poolbench::workload::Squares;
use poolbench::{RayonPool, StdPool};

/// CPU time spent so far by a thread (`/proc/self/task/<tid>`) or a process (`/proc/<pid>`), in
/// nanoseconds, from the scheduler's own accounting (`schedstat`: exact, not in clock ticks).
fn cpu_ns(path: &str) -> u64 {
    let text =
        std::fs::read_to_string(format!("{path}/schedstat")).unwrap_or_else(|err| panic!("{path}: {err}"));
    text.split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .unwrap_or_else(|| panic!("{path}: {text:?}"))
}

/// This process's threads other than the test's own: the pools' threads, the dispatcher's
/// helpers (the fork server's reader, the stderr drain, the reaper).
fn other_threads() -> Vec<String> {
    // SAFETY: gettid(2) has no preconditions.
    let me = format!("/proc/self/task/{}", unsafe { libc::gettid() });
    std::fs::read_dir("/proc/self/task")
        .expect("/proc/self/task")
        .map(|entry| entry.expect("a task").path().display().to_string())
        .filter(|path| *path != me)
        .collect()
}

#[test]
fn pools_of_eight_at_rest_use_under_one_percent_of_a_core() {
    let inputs: Vec<u32> = (1..=64).collect();
    let process_pool = common::process_pool(8).build().unwrap();
    // Eager, so that all eight threads exist to be watched: started on demand, two CPU-bound
    // maps on two cores may need only two of them.
    let std_pool = StdPool::new(8).unwrap().with_start(ThreadStart::Eager).unwrap();
    let rayon_pool = RayonPool::new(8).unwrap();
    // Each pool has worked, and each has just handed off: whatever spins after a hand-off has
    // had its chance to start.
    for _ in 0..3 {
        common::assert_same_as_sequential(&process_pool, &Squares, &inputs);
        common::assert_same_as_sequential(&std_pool, &Squares, &inputs);
        common::assert_same_as_sequential(&rayon_pool, &Squares, &inputs);
    }
    assert_eq!(std_pool.threads(), 8, "every thread of the StdPool started, and so is measured");
    // Any spin is bounded to tens of microseconds: this leaves it long past.
    std::thread::sleep(Duration::from_millis(100));

    let mut watched: Vec<String> = other_threads();
    watched.extend(process_pool.worker_pids().iter().map(|pid| format!("/proc/{pid}")));
    watched.extend(common::fork_servers().iter().map(|pid| format!("/proc/{pid}")));
    let before: Vec<u64> = watched.iter().map(|path| cpu_ns(path)).collect();
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let rest = started.elapsed();
    let used: u64 = watched.iter().zip(&before).map(|(path, before)| cpu_ns(path) - before).sum();

    let share = used as f64 / rest.as_nanos() as f64;
    eprintln!(
        "at rest for {rest:?}: {} threads and processes used {:.3} ms of CPU, {:.4}% of one core",
        watched.len(),
        used as f64 / 1e6,
        share * 100.0
    );
    assert!(watched.len() >= 8 + 8 + 8, "watched {watched:?}");
    assert!(share < 0.01, "pools at rest used {:.2}% of one core, not under 1%", share * 100.0);
}
