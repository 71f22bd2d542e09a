//! The fork server: one per process, the parent of every forked worker, started again when it
//! dies. Alone in its test binary, because one test here kills the server every pool shares.

mod common;

use poolbench::executor::process::WorkerStart;
use poolbench::workload::{Fault, FaultAction, Squares};
use poolbench::{Chunking, Executor};

/// The parent of `pid`, from `/proc/<pid>/stat`.
fn parent_of(pid: u32) -> u32 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process's stat");
    let fields: Vec<&str> = stat.rsplit_once(')').expect("a stat line").1.split_whitespace().collect();
    fields[1].parse().expect("a parent pid")
}

#[test]
fn one_fork_server_forks_every_worker_and_is_started_again_when_it_dies() {
    let pool = common::process_pool(2).chunking(Chunking::fixed(1)).build().unwrap();
    let [server] = common::fork_servers()[..] else {
        panic!("one fork server: {:?}", common::fork_servers())
    };
    assert!(pool.worker_pids().iter().all(|&pid| parent_of(pid) == server), "forked by the server");

    let second = common::process_pool(1).build().unwrap();
    assert_eq!(parent_of(second.worker_pids()[0]), server, "one server for every pool");
    drop(second);

    // A replacement after a crash is forked too.
    assert!(pool.map_each(&Fault, &[FaultAction::Kill])[0].as_ref().unwrap_err().is_worker_death());
    assert_eq!(pool.worker_pids().len(), 2);
    assert!(pool.worker_pids().iter().all(|&pid| parent_of(pid) == server), "replaced from the server");

    // A server that dies takes its workers with it; the pool starts another and goes on.
    let old_workers = pool.worker_pids();
    // SAFETY: kill(2) of this test's own child.
    unsafe { libc::kill(server as libc::pid_t, libc::SIGKILL) };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !old_workers.iter().all(|&pid| common::process_state(pid).is_none_or(|state| state == 'Z')) {
        assert!(std::time::Instant::now() < deadline, "workers {old_workers:?} outlived their fork server");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let answers = loop {
        match pool.map(&Squares, &[1, 2, 3]) {
            Ok(answers) => break answers,
            Err(err) if std::time::Instant::now() < deadline => {
                assert!(err.is_worker_death() || err.is_pool_error(), "{err}")
            }
            Err(err) => panic!("the pool did not recover from its fork server's death: {err}"),
        }
    };
    assert_eq!(answers, [1, 4, 9]);
    let [again] = common::fork_servers()[..] else { panic!("one fork server: {:?}", common::fork_servers()) };
    assert_ne!(again, server, "a new server");
    assert!(pool.worker_pids().iter().all(|&pid| parent_of(pid) == again));

    let executed = common::process_pool(2).start(WorkerStart::Exec).build().unwrap();
    let me = std::process::id();
    assert!(
        executed.worker_pids().iter().all(|&pid| parent_of(pid) == me),
        "executed workers are our children"
    );
    assert_eq!(executed.map(&Squares, &[4]).unwrap(), [16]);
}
