//! No worker outlives its pool: not after a drop, a crash, a timeout or a refused start, and not
//! when the parent process itself is killed.
//!
//! One test drives every scenario in turn: it counts the workers this process started (its
//! children but its fork server, and the fork server's children), so nothing else in
//! this binary may start processes at the same time.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{
    fake_worker, fork_servers, process_pool, process_state, workers_left, workers_left_after_reaping,
};
use poolbench::workload::{Fault, FaultAction, Squares};
use poolbench::{Chunking, Executor, ProcessPool};

const HELPER_ENV: &str = "POOLBENCH_TEST_HELPER";

/// Stops a helper run by hand (`--ignored`): it would start workers, keep them busy and prove
/// nothing.
fn assert_run_as_a_helper() {
    assert!(
        std::env::var_os(HELPER_ENV).is_some(),
        "not a test: no_worker_outlives_its_pool_or_its_parent runs this helper with {HELPER_ENV}=1"
    );
}

#[test]
fn no_worker_outlives_its_pool_or_its_parent() {
    {
        let pool = process_pool(4).build().unwrap();
        assert_eq!(pool.map(&Squares, &[1, 2, 3]).unwrap(), [1, 4, 9]);
        let mut workers = workers_left();
        workers.sort_unstable();
        let mut pids = pool.worker_pids();
        pids.sort_unstable();
        assert_eq!(workers, pids, "the pool's four workers are the only ones");
    }
    assert_eq!(workers_left_after_reaping(), Vec::<u32>::new(), "after a plain drop");
    assert!(fork_servers().len() <= 1, "one fork server at most: {:?}", fork_servers());

    {
        let pool = process_pool(2)
            .task_timeout(Duration::from_millis(200))
            .chunking(Chunking::fixed(1))
            .build()
            .unwrap();
        let inputs = [
            FaultAction::Kill,
            FaultAction::Exit(1),
            FaultAction::Abort,
            FaultAction::Hang(Duration::from_secs(60)),
        ];
        assert!(pool.map_each(&Fault, &inputs).iter().all(Result::is_err));
        assert_eq!(pool.worker_pids().len(), 2);
    }
    assert_eq!(workers_left_after_reaping(), Vec::<u32>::new(), "after crashes and a timeout");

    {
        let pool = poolbench::ProcessPool::builder().size(3).build_spawn_per_task().unwrap();
        assert_eq!(pool.map(&Squares, &(1..=10).collect::<Vec<u32>>()).unwrap().len(), 10);
    }
    assert_eq!(workers_left_after_reaping(), Vec::<u32>::new(), "after SpawnPerTask");

    let dir = tempfile::tempdir().unwrap();
    let deaf = fake_worker(dir.path(), "deaf", "exec sleep 60");
    assert!(common::fake_pool(2, &deaf).startup_timeout(Duration::from_millis(300)).build().is_err());
    assert_eq!(workers_left_after_reaping(), Vec::<u32>::new(), "after workers that never said hello");

    workers_exit_when_their_parent_is_killed();
    assert_eq!(workers_left_after_reaping(), Vec::<u32>::new(), "after killing a parent");

    a_stopped_worker_dies_with_a_parent_whose_process_group_was_already_orphaned();
    assert_eq!(workers_left_after_reaping(), Vec::<u32>::new(), "after killing a daemon-like parent");
}

/// Starts the helper test `name` as a parent process and returns it with the worker pids it
/// reports.
fn start_helper_parent(name: &str) -> (Child, Vec<u32>) {
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", name, "--ignored", "--nocapture"])
        .env(HELPER_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = parent.stdout.take().unwrap();
    let (pids_sender, pids) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(pids) = line.strip_prefix("worker pids:") {
                let pids: Vec<u32> = pids.split_whitespace().filter_map(|pid| pid.parse().ok()).collect();
                let _ = pids_sender.send(pids);
            }
        }
    });
    let workers = pids.recv_timeout(Duration::from_secs(60)).expect("the helper parent reports its workers");
    assert!(workers.iter().all(|&pid| process_state(pid).is_some_and(|state| state != 'Z')));
    (parent, workers)
}

/// Orphans are reparented to init; an init that does not reap leaves zombies, which hold no
/// memory and run nothing: exited is what matters.
fn exited(pid: u32) -> bool {
    process_state(pid).is_none_or(|state| state == 'Z')
}

/// Waits up to `limit` for every one of `pids` to exit; returns those still there.
fn survivors_after(pids: &[u32], limit: Duration) -> Vec<u32> {
    let deadline = Instant::now() + limit;
    while !pids.iter().all(|&pid| exited(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    pids.iter().copied().filter(|&pid| !exited(pid)).collect()
}

fn workers_exit_when_their_parent_is_killed() {
    let (mut parent, workers) = start_helper_parent("helper_parent_holding_a_pool");
    assert_eq!(workers.len(), 3);
    parent.kill().unwrap();
    parent.wait().unwrap();
    let survivors = survivors_after(&workers, Duration::from_secs(10));
    assert!(survivors.is_empty(), "workers {survivors:?} outlived their SIGKILLed parent");
}

/// A stopped worker cannot read end-of-file or run any thread, and when its parent's process group was orphaned
/// before the parent died (a daemon's, a service's), the kernel sends the group no SIGHUP and
/// SIGCONT at the death: only the parent-death signal the worker asked for ends it.
fn a_stopped_worker_dies_with_a_parent_whose_process_group_was_already_orphaned() {
    let (mut parent, workers) = start_helper_parent("helper_parent_in_a_session_of_its_own");
    let [worker] = workers[..] else { panic!("one worker, not {workers:?}") };
    // SAFETY: kill(2) with integer arguments, on a process this test's helper started.
    unsafe { libc::kill(worker as libc::pid_t, libc::SIGSTOP) };
    let stopped = Instant::now() + Duration::from_secs(10);
    while process_state(worker) != Some('T') && Instant::now() < stopped {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(process_state(worker), Some('T'), "worker {worker} was stopped");

    parent.kill().unwrap();
    parent.wait().unwrap();
    let survivors = survivors_after(&workers, Duration::from_secs(10));
    for &pid in &survivors {
        // Not left behind stopped for ever because the test failed.
        // SAFETY: as above.
        unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    }
    assert!(survivors.is_empty(), "stopped worker {worker} outlived its SIGKILLed parent");
}

/// Not a test: the parent process that `workers_exit_when_their_parent_is_killed` starts and
/// kills. It keeps its three workers busy with minute-long tasks, so that they must notice the
/// parent's death mid-task rather than at their next read.
#[test]
#[ignore = "run as a helper process by no_worker_outlives_its_pool_or_its_parent"]
fn helper_parent_holding_a_pool() {
    assert_run_as_a_helper();
    let pool = ProcessPool::builder().size(3).chunking(Chunking::fixed(1)).build().unwrap();
    let pids: Vec<String> = pool.worker_pids().iter().map(u32::to_string).collect();
    std::thread::scope(|scope| {
        scope.spawn(|| pool.map_each(&Fault, &vec![FaultAction::Hang(Duration::from_secs(60)); 3]));
        std::thread::sleep(Duration::from_millis(300));
        println!("worker pids: {}", pids.join(" "));
    });
}

/// Not a test: the parent process that
/// `a_stopped_worker_dies_with_a_parent_whose_process_group_was_already_orphaned` starts, stops
/// the worker of, and kills. It leads a session of its own, so its process group has no parent
/// in another group of its session: orphaned from the start, as a daemon's is.
#[test]
#[ignore = "run as a helper process by no_worker_outlives_its_pool_or_its_parent"]
fn helper_parent_in_a_session_of_its_own() {
    assert_run_as_a_helper();
    // SAFETY: setsid(2) has no memory-safety preconditions; started by Command, this process
    // leads no process group, so it succeeds.
    let session = unsafe { libc::setsid() };
    assert!(session > 0, "setsid: {}", std::io::Error::last_os_error());
    let pool = ProcessPool::builder().size(1).build().unwrap();
    let pids: Vec<String> = pool.worker_pids().iter().map(u32::to_string).collect();
    println!("worker pids: {}", pids.join(" "));
    // Killed by the test long before this ends.
    std::thread::sleep(Duration::from_secs(60));
}
