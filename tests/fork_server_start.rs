//! A fork server that cannot serve: one that never forks costs one startup timeout for the
//! whole build, whatever its size; one that crashes is reported with its exit status and the
//! tail of its stderr; either way it is reaped and its descriptors closed. Alone in its test
//! binary: the test counts this process's descriptors and zombie children, which another test
//! running beside it would change.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{children_of_this_process, fake_worker, process_pool, process_state};

fn open_descriptors() -> usize {
    std::fs::read_dir("/proc/self/fd").expect("/proc/self/fd").count()
}

fn zombie_children() -> Vec<u32> {
    children_of_this_process().into_iter().filter(|&pid| process_state(pid) == Some('Z')).collect()
}

/// Waits up to 10 s for this process to be back to `descriptors` open and no zombie child (the
/// fork server's reader reaps it and closes its socket on its own thread); returns what is left.
fn leftovers_after_reaping(descriptors: usize) -> (usize, Vec<u32>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = (open_descriptors(), zombie_children());
        if (left.0 <= descriptors && left.1.is_empty()) || Instant::now() >= deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// This process's open descriptors once they stop changing (the same count over 50 ms, within 10
/// s): a failed build returns before the fork server's reader, on its own thread, has closed the
/// server's socket, and a count taken in between would hide a leak of that many.
fn settled_descriptors() -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = (open_descriptors(), Instant::now());
    loop {
        std::thread::sleep(Duration::from_millis(10));
        let now = open_descriptors();
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() >= Duration::from_millis(50) || Instant::now() >= deadline {
            return now;
        }
    }
}

/// A fake worker program that never answers its fork server's requests, and whose child keeps
/// the server's socket open after the server is killed (as a wrapper script that runs the real
/// program without `exec` would): the child writes its pid to `dir/<name>.pid`.
fn deaf_server(dir: &Path, name: &str) -> std::path::PathBuf {
    let pid_file = dir.join(format!("{name}.pid"));
    fake_worker(dir, name, &format!("sleep 30 2>/dev/null & echo $! > '{}'; wait", pid_file.display()))
}

fn kill_sleeper(dir: &Path, name: &str) {
    let pid_file = dir.join(format!("{name}.pid"));
    let pid: libc::pid_t = std::fs::read_to_string(&pid_file)
        .unwrap_or_else(|err| panic!("{}: {err}", pid_file.display()))
        .trim()
        .parse()
        .expect("a pid");
    // SAFETY: kill(2) of the sleeper this test's script started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

#[test]
fn a_fork_server_that_cannot_serve_costs_one_startup_timeout_is_reported_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let crashing = fake_worker(dir.path(), "crashing", "echo 'no such workload here' >&2; exit 3");
    // The first failed build also starts the threads and pipes every pool shares, once per process.
    let err = process_pool(2).worker_program(&crashing).build().unwrap_err();
    let text = err.to_string();
    assert!(err.is_pool_error(), "{text}");
    assert!(text.contains("exited with code 3") && text.contains("no such workload here"), "{text}");
    let descriptors = settled_descriptors();
    assert_eq!(zombie_children(), Vec::<u32>::new(), "the crashed fork server was reaped");

    let timeout = Duration::from_secs(1);
    for size in [1, 4] {
        let name = format!("deaf-{size}");
        let deaf = deaf_server(dir.path(), &name);
        let started = Instant::now();
        let err = process_pool(size).worker_program(&deaf).startup_timeout(timeout).build().unwrap_err();
        let elapsed = started.elapsed();
        let text = err.to_string();
        assert!(text.contains("did not fork") && text.contains("within 1s"), "{text}");
        // One timeout for the whole start, not one per worker waited for in turn.
        assert!(elapsed < 2 * timeout, "a pool of {size} took {elapsed:?} for a {timeout:?} startup timeout");
        // Checked while the sleeper still holds the server's socket.
        let (left, zombies) = leftovers_after_reaping(descriptors);
        kill_sleeper(dir.path(), &name);
        assert_eq!(zombies, Vec::<u32>::new(), "the killed fork server of a pool of {size} was reaped");
        assert_eq!(left, descriptors, "a failed build of {size} left descriptors open");
    }

    let err = process_pool(1).worker_program(&crashing).build().unwrap_err();
    assert!(err.to_string().contains("no such workload here"), "{err}");
    assert_eq!(leftovers_after_reaping(descriptors), (descriptors, Vec::new()), "after a crash");
}
