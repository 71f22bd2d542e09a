//! Running the interpreter: one child process in a process group of its own, a deadline, and a
//! thread reading what it says on stderr.
//!
//! The group is what makes the deadline safe. A `multiprocessing` pool's workers are the
//! interpreter's children and keep its pipes open; killing the interpreter alone would leave them
//! running, orphaned. Killing the group ends them all. The group is also signalled once the
//! interpreter has exited, before it is reaped, to end any worker it left behind; the group's id
//! cannot be reused while its leader is unreaped, so that signal reaches only processes this run
//! started.
//!
//! Ctrl-C reaches the terminal's foreground group, which the interpreter is no longer in: the
//! script itself notices when its parent is gone and stops between two samples.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// How many of the last stderr lines are kept, for a reason when the script fails.
const TAIL_LINES: usize = 20;
/// How often the deadline is checked.
const POLL: Duration = Duration::from_millis(20);
/// How long the stderr reader may take to see the end once the interpreter has exited.
const DRAIN: Duration = Duration::from_secs(2);

/// How the interpreter ended.
#[derive(Debug)]
pub(crate) enum Ending {
    /// It exited by itself.
    Exited(ExitStatus),
    /// It ran past the deadline and was killed, with its process group.
    Killed,
}

/// A finished run of the interpreter.
#[derive(Debug)]
pub(crate) struct Ran {
    pub ending: Ending,
    /// The last lines it wrote to stderr.
    pub stderr_tail: Vec<String>,
}

/// Runs `command` (stdin and stdout closed, stderr read line by line and echoed to ours when
/// `echo`) in a process group of its own, killing the group if it is still running after `limit`.
///
/// # Errors
///
/// Only starting the process: its error as the OS gave it.
pub(crate) fn run(mut command: Command, limit: Duration, echo: bool) -> std::io::Result<Ran> {
    command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).process_group(0);
    let mut child = command.spawn()?;
    let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
    let (done, drained) = mpsc::channel::<()>();
    if let Some(stderr) = child.stderr.take() {
        let tail = Arc::clone(&tail);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if echo {
                    eprintln!("{line}");
                }
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
            let _ = done.send(());
        });
    }

    let deadline = Instant::now() + limit;
    let ending = loop {
        match has_exited(child.id()) {
            Ok(true) => {
                // Reaped only after the group is signalled, so that its id is still reserved.
                kill_group(child.id());
                break child.wait().map_or(Ending::Killed, Ending::Exited);
            }
            Ok(false) if Instant::now() < deadline => std::thread::sleep(POLL),
            // Past the deadline, or the child cannot be polled: either way it must not outlive us.
            _ => {
                kill_group(child.id());
                let _ = child.wait();
                break Ending::Killed;
            }
        }
    };
    // A worker that escaped the group could hold stderr open forever: wait a little, not for ever.
    let _ = drained.recv_timeout(DRAIN);
    let stderr_tail = tail.lock().map(|tail| tail.iter().cloned().collect()).unwrap_or_default();
    Ok(Ran { ending, stderr_tail })
}

/// Whether the child `pid` has exited, without reaping it (`waitid` with `WNOWAIT`).
fn has_exited(pid: u32) -> std::io::Result<bool> {
    let id = libc::id_t::from(pid);
    // SAFETY: an all-zero siginfo_t is a valid value (plain integers and unions of them); waitid
    // writes into it and nothing else, and with WNOHANG an unexited child leaves si_pid at 0.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: `info` is a live, writable siginfo_t for the duration of the call.
    if unsafe { libc::waitid(libc::P_PID, id, &mut info, flags) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: waitid filled `info` in (or left it zeroed); si_pid is valid for SIGCHLD info.
    Ok(unsafe { info.si_pid() } != 0)
}

/// Sends SIGKILL to the process group led by `leader`; a group already gone is fine.
fn kill_group(leader: u32) {
    let Ok(group) = libc::pid_t::try_from(leader) else { return };
    // SAFETY: kill(2) takes plain integers and touches no memory of ours. The negative pid names
    // the group `leader` created at spawn (`process_group(0)`); callers signal it before reaping
    // the leader, so its id is still reserved and no unrelated process can be hit.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
}
