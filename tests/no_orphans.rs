//! No worker outlives its pool: not after a drop, a crash, a timeout or a refused start, and not
//! when the parent process itself is killed.
//!
//! One test drives every scenario in turn: it counts this process's children, so nothing else in
//! this binary may start processes at the same time.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{WORKER, children_of_this_process, fake_worker, process_pool, process_state};
use poolbench::workload::{Fault, FaultAction, Squares};
use poolbench::{Chunking, Executor, ProcessPool};

const HELPER_ENV: &str = "POOLBENCH_TEST_HELPER";

#[test]
fn no_worker_outlives_its_pool_or_its_parent() {
    {
        let pool = process_pool(4).build().unwrap();
        assert_eq!(pool.map(&Squares, &[1, 2, 3]).unwrap(), [1, 4, 9]);
        assert_eq!(children_of_this_process().len(), 4, "the pool's four workers are our children");
    }
    assert_eq!(children_of_this_process(), Vec::<u32>::new(), "after a plain drop");

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
    assert_eq!(children_of_this_process(), Vec::<u32>::new(), "after crashes and a timeout");

    {
        let pool =
            poolbench::ProcessPool::builder().size(3).worker_program(WORKER).build_spawn_per_task().unwrap();
        assert_eq!(pool.map(&Squares, &(1..=10).collect::<Vec<u32>>()).unwrap().len(), 10);
    }
    assert_eq!(children_of_this_process(), Vec::<u32>::new(), "after SpawnPerTask");

    let dir = tempfile::tempdir().unwrap();
    let deaf = fake_worker(dir.path(), "deaf", "exec sleep 60");
    assert!(
        process_pool(2).worker_program(&deaf).startup_timeout(Duration::from_millis(300)).build().is_err()
    );
    assert_eq!(children_of_this_process(), Vec::<u32>::new(), "after workers that never said hello");

    workers_exit_when_their_parent_is_killed();
    assert_eq!(children_of_this_process(), Vec::<u32>::new(), "after killing a parent");
}

fn workers_exit_when_their_parent_is_killed() {
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "helper_parent_holding_a_pool", "--ignored", "--nocapture"])
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
    assert_eq!(workers.len(), 3);
    assert!(workers.iter().all(|&pid| process_state(pid).is_some_and(|state| state != 'Z')));

    parent.kill().unwrap();
    parent.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    // Orphans are reparented to init; an init that does not reap leaves zombies, which hold
    // no memory and run nothing: exited is what matters.
    let exited = |pid: u32| process_state(pid).is_none_or(|state| state == 'Z');
    while !workers.iter().all(|&pid| exited(pid)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    for pid in workers {
        assert!(exited(pid), "worker {pid} outlived its SIGKILLed parent");
    }
}

/// Not a test: the parent process that `workers_exit_when_their_parent_is_killed` starts and
/// kills. It keeps its three workers busy with minute-long tasks, so that they must notice the
/// parent's death mid-task rather than at their next read.
#[test]
#[ignore = "run as a helper process by no_worker_outlives_its_pool_or_its_parent"]
fn helper_parent_holding_a_pool() {
    // Run by hand (`--ignored`), it would keep three workers busy for a minute and prove nothing.
    assert!(
        std::env::var_os(HELPER_ENV).is_some(),
        "not a test: no_worker_outlives_its_pool_or_its_parent runs this helper with {HELPER_ENV}=1"
    );
    let pool =
        ProcessPool::builder().size(3).worker_program(WORKER).chunking(Chunking::fixed(1)).build().unwrap();
    let pids: Vec<String> = pool.worker_pids().iter().map(u32::to_string).collect();
    std::thread::scope(|scope| {
        scope.spawn(|| pool.map_each(&Fault, &vec![FaultAction::Hang(Duration::from_secs(60)); 3]));
        std::thread::sleep(Duration::from_millis(300));
        println!("worker pids: {}", pids.join(" "));
    });
}
