//! A build that does not outlive the gate.
//!
//! `cargo bench --no-run` starts rustc processes of its own, and a gate stopped by a signal
//! (Ctrl-C, a CI timeout's SIGTERM or SIGKILL) used to leave them compiling for a minute or more.
//! So a build runs in a process group of its own, watched by a small `sh` that holds the read end
//! of a pipe whose write end only the gate holds: however the gate ends, the kernel closes that
//! end, the watchdog reads end of file and kills the whole group (whose id the gate wrote to it
//! the moment the build started). The watchdog ignores the
//! terminal's signals, which reach it with the gate's group, so that it lives to do it. When the
//! build ends on its own, the gate kills the watchdog first, so it never signals a group that is
//! gone.

use std::io::{self, Write as _};
use std::os::unix::process::CommandExt as _;
use std::process::{Child, Command, Output, Stdio};

/// Runs `command` to its end, as [`Command::output`] does, in a process group of its own that
/// is killed should the gate end first.
///
/// # Errors
///
/// When the command cannot be started, or its output cannot be read.
pub(crate) fn output(command: &mut Command) -> io::Result<Output> {
    // The watchdog first, so that it is there from the moment the build is: the group is the
    // build's pid, written to the watchdog the moment it is known. Without a watchdog (no `sh`)
    // the build still runs; only the clean-up after a kill is lost.
    let mut watchdog = watchdog().ok();
    command.process_group(0);
    let child = command.spawn()?;
    if let Some(stdin) = watchdog.as_mut().and_then(|watchdog| watchdog.stdin.as_mut()) {
        let _ = writeln!(stdin, "{}", child.id());
    }
    let output = child.wait_with_output();
    if let Some(mut watchdog) = watchdog {
        let _ = watchdog.kill();
        let _ = watchdog.wait();
    }
    output
}

/// A `sh` that reads a process group from its standard input, then kills that group when its
/// standard input reaches end of file: the pipe stays open, unwritten, as long as the gate
/// holds the child's `stdin`.
fn watchdog() -> io::Result<Child> {
    Command::new("sh")
        .args([
            "-c",
            "trap '' INT TERM HUP; read -r group || exit 0; while read -r _; do :; done; \
             kill -KILL -\"$group\" 2>/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::{Duration, Instant};

    use super::*;

    /// Where the helper writes the pid of the build's own child.
    const PID_FILE_ENV: &str = "POOLBENCH_TEST_GROUP_PID_FILE";

    #[test]
    #[ignore = "a child process of a_build_is_killed_with_its_whole_group_when_the_gate_dies, not a test"]
    fn gate_building() {
        let Some(file) = std::env::var_os(PID_FILE_ENV) else { return };
        // A build that starts a process of its own, as cargo starts rustc, and waits for it.
        let _ = output(Command::new("sh").args([
            "-c",
            "sleep 120 & echo $! >\"$0\"; wait",
            &file.to_string_lossy(),
        ]));
    }

    /// Whether `pid` runs: a zombie, waiting for a parent to reap it, runs no more.
    fn runs(pid: &str) -> bool {
        std::fs::read_to_string(Path::new("/proc").join(pid).join("stat")).is_ok_and(|stat| {
            stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X'))
        })
    }

    #[test]
    fn a_build_is_killed_with_its_whole_group_when_the_gate_dies() {
        let dir = tempfile::tempdir().expect("a scratch directory");
        let file = dir.path().join("pid");
        let mut gate = Command::new(std::env::current_exe().expect("the test binary"))
            .args(["--exact", "gate::group::tests::gate_building", "--ignored", "--test-threads", "1"])
            .env(PID_FILE_ENV, &file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the helper");
        let started = Instant::now();
        let pid = loop {
            match std::fs::read_to_string(&file) {
                Ok(text) if text.ends_with('\n') => break text.trim().to_owned(),
                _ if started.elapsed() > Duration::from_secs(20) => {
                    let _ = gate.kill();
                    let _ = gate.wait();
                    panic!("the helper wrote no pid within 20 s");
                }
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        assert!(runs(&pid), "the build's child {pid} runs while the gate does");
        // SIGKILL: the gate gets no chance to clean up; only the watchdog can.
        gate.kill().expect("kill the helper");
        gate.wait().expect("reap the helper");
        let killed = Instant::now();
        while runs(&pid) && killed.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!runs(&pid), "the build's child {pid} outlived the gate by 10 s");
    }
}
