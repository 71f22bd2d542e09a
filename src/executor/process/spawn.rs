//! Starting, watching and burying one worker process.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::protocol::{REQUEST_FD, RESPONSE_FD};
use super::stderr::{self, StderrTail};
use super::sys::ChildSpec;
use super::zygote::{self, ForkTicket, Zygote};
use super::{Codec, WorkerStart, role, spawner, sys, worker};
use crate::env::WORKER as WORKER_ENV;
use crate::executor::Error;

/// Finds the worker program: `$POOLBENCH_WORKER`, else this program itself, when it can serve as
/// its own worker (see `role.rs`).
pub(crate) fn find_worker_program() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(WORKER_ENV) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(Error::worker(
                None,
                format!(
                    "{WORKER_ENV}={} is not a file; point it at a program of this build that serves as its \
                     own worker (poolbench::main! or poolbench::worker_entry!), or unset it",
                    path.display()
                ),
            ))
        };
    }
    if !role::can_serve() {
        return Err(Error::worker(
            None,
            "this program cannot be its own worker process: add `poolbench::main!(...)` to a bench, or \
             `poolbench::worker_entry!();` to a test crate or any other program, so that the process pools \
             can start it again as their workers",
        ));
    }
    std::env::current_exe().map_err(|err| {
        Error::worker(None, format!("cannot locate the running program to start it as a worker: {err}"))
    })
}

/// Why a worker process could not be started, and whether trying again could help.
#[derive(Debug)]
pub(crate) struct SpawnFailure {
    pub(crate) error: Error,
    /// The system was short of processes or memory for a moment (EAGAIN, ENOMEM); anything else
    /// (a program that is missing or not executable, no descriptors left) stays as it is.
    pub(crate) curable: bool,
}

/// How a worker process came to be, which decides how it is signalled and reaped.
#[derive(Debug)]
enum Origin {
    /// Executed by this process: its child, reaped with waitpid.
    Executed,
    /// Forked by the fork server: signalled through its pidfd, and reaped by the server, which
    /// reports how it ended.
    Forked { pidfd: OwnedFd, zygote: Arc<Zygote> },
}

/// How long a killed worker may take to be reported reaped by the fork server.
const KILLED_REPORT: Duration = Duration::from_secs(5);

/// A running worker process and the pool's ends of its pipes. Dropping it kills and reaps the
/// process if nothing else has.
#[derive(Debug)]
pub(crate) struct WorkerProcess {
    pid: libc::pid_t,
    origin: Origin,
    /// How the process ended, once reaped.
    exit: Option<ExitStatus>,
    /// The pool's end of the request pipe (non-blocking); `None` once closed.
    requests: Option<File>,
    /// The pool's end of the response pipe (non-blocking).
    responses: File,
    stderr: Arc<StderrTail>,
    started: Instant,
}

/// A worker asked for and not yet known to be there: its pipes, and for a forked one the fork
/// server's answer to wait for. [`finish`](Self::finish) it: a pool asks for all the workers it
/// needs first, so that the fork server forks them back to back, then finishes each.
#[derive(Debug)]
pub(crate) struct Starting {
    origin: StartingOrigin,
    requests: File,
    responses: File,
    stderr: File,
    /// The program, for error messages.
    program: PathBuf,
    /// When the worker was asked for: its start, fork and hello included, must end within one
    /// startup timeout of this.
    asked: Instant,
}

#[derive(Debug)]
enum StartingOrigin {
    Executed(libc::pid_t),
    Forked(ForkTicket),
}

impl WorkerProcess {
    /// Starts a worker of `program`, forked by its fork server or executed (`POOLBENCH_ROLE=worker`),
    /// with the settings `--codec NAME --max-frame-len BYTES [--stream]`, its pipes at descriptors 3
    /// and 4 and its stderr drained: the first half, the pipes made and the worker asked for
    /// (forked: the FORK sent; executed: the program started), without waiting for the fork
    /// server; [`Starting::finish`] is the second.
    pub(crate) fn begin(
        program: &Path,
        start: WorkerStart,
        codec: Codec,
        max_frame_len: usize,
        stream: bool,
    ) -> Result<Starting, SpawnFailure> {
        let fail = |what: &str, err: io::Error| spawn_failure(program, what, &err);
        let asked = Instant::now();
        let (request_read, requests) = sys::pipe().map_err(|err| fail("creating the request pipe", err))?;
        let (responses, response_write) =
            sys::pipe().map_err(|err| fail("creating the response pipe", err))?;
        let (stderr_read, stderr_write) = sys::pipe().map_err(|err| fail("creating the stderr pipe", err))?;
        let mut settings = format!("--codec {} --max-frame-len {max_frame_len}", codec.name());
        if stream {
            settings.push_str(" --stream");
        }
        let origin = match start {
            WorkerStart::Fork => {
                let zygote =
                    zygote::for_program(program).map_err(|err| fail("starting the fork server", err))?;
                let fds = [request_read.as_raw_fd(), response_write.as_raw_fd(), stderr_write.as_raw_fd()];
                StartingOrigin::Forked(
                    zygote.request_fork(&settings, fds).map_err(|err| fail("forking", err))?,
                )
            }
            WorkerStart::Exec => {
                // The worker's parent is this process: it checks, in case this process died first.
                settings.push_str(&format!(" --parent-pid {}", std::process::id()));
                let child = ChildSpec {
                    program: program.to_owned(),
                    env: vec![
                        (role::ROLE_ENV.to_owned(), role::WORKER.to_owned()),
                        (worker::ARGS_ENV.to_owned(), settings),
                    ],
                    moves: vec![
                        (request_read.as_raw_fd(), REQUEST_FD),
                        (response_write.as_raw_fd(), RESPONSE_FD),
                        (stderr_write.as_raw_fd(), libc::STDERR_FILENO),
                    ],
                };
                let pid = spawner::spawn(child).map_err(|err| fail("spawn failed", err))?;
                StartingOrigin::Executed(pid)
            }
        };
        // The worker (or the fork server) holds its own copies now; ours must go, or end-of-file
        // could never arrive.
        drop((request_read, response_write, stderr_write));
        Ok(Starting { origin, requests, responses, stderr: stderr_read, program: program.to_owned(), asked })
    }
}

impl Starting {
    /// The second half of [`WorkerProcess::begin`]: waits for the fork server's answer until
    /// `timeout` after the worker was asked for (a fork that takes longer fails; the workers of
    /// one start, asked for together, share that deadline), then drains the worker's stderr and
    /// makes its pipes non-blocking. The worker's [`started`](WorkerProcess::started) is when it
    /// was asked for, so its hello is due within the same timeout.
    pub(crate) fn finish(self, timeout: Duration) -> Result<WorkerProcess, SpawnFailure> {
        let Starting { origin, requests, responses, stderr: stderr_read, program, asked } = self;
        let fail = |what: &str, err: io::Error| spawn_failure(&program, what, &err);
        let (pid, origin) = match origin {
            StartingOrigin::Executed(pid) => (pid, Origin::Executed),
            StartingOrigin::Forked(ticket) => {
                let zygote = Arc::clone(ticket.zygote());
                let forked = ticket.wait(timeout).map_err(|err| fail("forking", err))?;
                (forked.pid as libc::pid_t, Origin::Forked { pidfd: forked.pidfd, zygote })
            }
        };
        let started = asked;
        let stderr = stderr::drain(stderr_read);
        let nonblocking = sys::set_nonblocking(&requests).and_then(|()| sys::set_nonblocking(&responses));
        let mut worker =
            WorkerProcess { pid, origin, exit: None, requests: Some(requests), responses, stderr, started };
        if let Err(err) = nonblocking {
            worker.kill();
            return Err(fail("making its pipes non-blocking", err));
        }
        Ok(worker)
    }
}

/// A failed start of a worker of `program` at the step `what`.
fn spawn_failure(program: &Path, what: &str, err: &io::Error) -> SpawnFailure {
    SpawnFailure {
        curable: matches!(err.raw_os_error(), Some(libc::EAGAIN | libc::ENOMEM | libc::EINTR)),
        error: Error::worker(None, format!("cannot start worker {}: {what}: {err}", program.display())),
    }
}

impl WorkerProcess {
    /// The worker's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.pid.unsigned_abs()
    }

    /// When the worker was asked for.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The pool's end of the request pipe, until [`close_requests`](Self::close_requests).
    pub(crate) fn requests(&mut self) -> Option<&mut File> {
        self.requests.as_mut()
    }

    /// The pool's end of the response pipe.
    pub(crate) fn responses(&mut self) -> &mut File {
        &mut self.responses
    }

    /// The descriptors to poll: responses, and requests while open.
    pub(crate) fn fds(&self) -> (i32, Option<i32>) {
        (self.responses.as_raw_fd(), self.requests.as_ref().map(AsRawFd::as_raw_fd))
    }

    /// Closes the request pipe: an idle worker reads end-of-file and exits.
    pub(crate) fn close_requests(&mut self) {
        self.requests = None;
    }

    /// Resident memory of the worker, from `/proc/<pid>/status`.
    pub(crate) fn resident_bytes(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024)
    }

    /// Sends SIGKILL, unless already reaped, and reaps the process.
    pub(crate) fn kill(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = match &self.origin {
                Origin::Executed => {
                    sys::kill(self.pid);
                    sys::wait(self.pid, true).ok().flatten()
                }
                Origin::Forked { pidfd, zygote } => {
                    zygote::pidfd_kill(pidfd);
                    zygote.exit_status(self.pid(), KILLED_REPORT)
                }
            };
        }
        self.exit
    }

    /// Reaps the worker if it has exited.
    fn try_reap(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            self.exit = match &self.origin {
                Origin::Executed => sys::wait(self.pid, false).ok().flatten(),
                Origin::Forked { pidfd, zygote } => {
                    zygote.exit_status(self.pid(), Duration::ZERO).or_else(|| {
                        // A server that died cannot report; its workers die by the SIGKILL they asked
                        // for at its death (`PR_SET_PDEATHSIG`), which their pidfd tells.
                        (!zygote.is_alive() && sys::has_ended(pidfd.as_raw_fd()))
                            .then(|| ExitStatus::from_raw(libc::SIGKILL))
                    })
                }
            };
        }
        self.exit
    }

    /// Waits up to `grace` for the worker to exit by itself, then kills it. `Ok` is its own exit
    /// status; `Err` the status after it had to be killed.
    ///
    /// The first couple of milliseconds spin, since a worker that has closed its pipes is
    /// usually a few microseconds from being reaped; after that, short sleeps.
    fn reap_within(&mut self, grace: Duration) -> Result<ExitStatus, Option<ExitStatus>> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.try_reap() {
                return Ok(status);
            }
            let waited = start.elapsed();
            if waited >= grace {
                return Err(self.kill());
            }
            if waited < Duration::from_millis(2) {
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_micros(100));
            }
        }
    }

    /// Reaps a worker that is exiting or has exited, killing it after `grace`. Returns how it
    /// ended, in words, and the tail of its stderr.
    pub(crate) fn bury(mut self, grace: Duration) -> (String, String) {
        self.requests = None;
        let how = match self.reap_within(grace) {
            Ok(status) => describe_exit(status),
            Err(status) => format!(
                "did not exit within {grace:?} and was killed ({})",
                status.map_or_else(|| "not reaped".into(), describe_exit)
            ),
        };
        (how, self.stderr.text(Duration::from_millis(100)))
    }

    /// Shuts down a worker that was told to stop: waits up to `grace`, then kills. Always reaps.
    pub(crate) fn reap(mut self, grace: Duration) {
        self.requests = None;
        let _ = self.reap_within(grace);
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// "exited with code 3", "was killed by signal 9 (SIGKILL)".
pub(crate) fn describe_exit(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with code {code}");
    }
    match status.signal() {
        Some(signal) => format!("was killed by signal {signal} ({})", signal_name(signal)),
        None => format!("ended ({status})"),
    }
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => "unnamed signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_read_as_words() {
        assert_eq!(describe_exit(ExitStatus::from_raw(3 << 8)), "exited with code 3");
        assert_eq!(describe_exit(ExitStatus::from_raw(9)), "was killed by signal 9 (SIGKILL)");
        assert_eq!(describe_exit(ExitStatus::from_raw(6)), "was killed by signal 6 (SIGABRT)");
    }
}
