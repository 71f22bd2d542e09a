//! The fork server: one small process, started once, that forks the workers of every pool.
//!
//! Starting a worker by executing the program costs about a millisecond here: the loader maps a
//! program of tens of megabytes, relocates it and runs its initializers. Forking a small
//! single-threaded process costs a fifth of that. Forking the benchmark process itself is out:
//! it is multi-threaded (fork would copy locks held by other threads) and large (fork copies its
//! page tables). So, as Python's `forkserver` and Chromium's zygote do, the pool executes its
//! program once more in the zygote role (`POOLBENCH_ROLE=zygote`, seen by the program's entry
//! before anything else runs, while it is still single-threaded and small), and asks that
//! process for each worker. One zygote serves the whole process, for every pool of the same
//! program; a replacement after a crash is forked too, and a zygote that dies is started again.
//!
//! # The conversation
//!
//! A `SOCK_SEQPACKET` socket at the zygote's descriptor 3, one message per request:
//!
//! ```text
//! pool -> zygote   FORK   'f' settings              + descriptors: requests, responses, stderr
//! zygote -> pool   FORKED 'w' pid:u32be             + descriptor: a pidfd of the worker
//!                  FAILED 'x' message               the fork failed, and why
//!                  ENDED  'e' pid:u32be status:i32be a worker ended (its wait status)
//! ```
//!
//! FORKED and FAILED answer the FORKs in order; ENDED comes whenever a worker is reaped. The
//! workers are the zygote's children, so the zygote reaps them and reports how they ended; the
//! pool signals them through their pidfd, which names that process and no other even after its
//! pid is reused. A worker asks the kernel to kill it when the zygote dies, and the zygote when
//! the pool's process dies (`PR_SET_PDEATHSIG`); a zygote whose socket hangs up kills its
//! workers and exits.
//!
//! # When the zygote fails
//!
//! The zygote's stderr is drained like a worker's. When its socket ends (it crashed, or the pool
//! stopped it), its reader reaps it through a pidfd, so that it is never left a zombie and a
//! reused pid is never signalled, drops it from the process's list, so that its socket closes
//! with the last pool holding it, and answers every FORK left with how it ended and its
//! stderr's tail, as a worker's death is reported. A zygote that does not answer a FORK within
//! the startup timeout, counted from the FORK, is stopped: killed and its socket shut down, since
//! a child of a broken program may hold the zygote's end open after the zygote is dead.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::spawn::describe_exit;
use super::stderr::{self, StderrTail};
use super::{fd_passing, role, spawner, sys, worker};
use crate::executor::error::stderr_note;

/// The zygote's socket.
const SOCKET_FD: RawFd = 3;
const FORK: u8 = b'f';
const FORKED: u8 = b'w';
const FAILED: u8 = b'x';
const ENDED: u8 = b'e';
/// The longest FORK or FAILED message: settings and reasons are a line each.
const MAX_MESSAGE: usize = 4096;
/// How long a zygote whose socket has ended gets to exit by itself, so that its own exit status
/// is the one reported, before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);
/// How long a FORK that could not be sent waits for the reader to learn how the zygote ended.
const END_PATIENCE: Duration = Duration::from_secs(3);

/// A worker the zygote forked: its pid, and a pidfd to signal it by.
#[derive(Debug)]
pub(crate) struct Forked {
    pub(crate) pid: u32,
    pub(crate) pidfd: OwnedFd,
}

/// The pool's side of a zygote: the socket, the zygote's pid (a child of this process), and what
/// the reader thread has heard.
#[derive(Debug)]
pub(crate) struct Zygote {
    socket: OwnedFd,
    pid: libc::pid_t,
    /// Names the zygote until its reader reaps it, and no other process after.
    pidfd: OwnedFd,
    stderr: Arc<StderrTail>,
    /// Why the zygote is gone, once known: the pool stopped it, or the reader reaped it.
    end: Mutex<Option<String>>,
    ended_known: Condvar,
    /// The FORKs sent and not answered yet, oldest first: each waits on its channel. Sending a
    /// FORK and queuing its channel happen under this lock, so answers meet their requests.
    pending: Mutex<VecDeque<SyncSender<io::Result<Forked>>>>,
    /// How the workers that ended ended, until the pool asks.
    ended: Mutex<HashMap<u32, ExitStatus>>,
    heard: Condvar,
    alive: AtomicBool,
}

/// The zygotes of this process, by program.
static ZYGOTES: Mutex<Vec<(PathBuf, Arc<Zygote>)>> = Mutex::new(Vec::new());

/// The zygote of `program`, started now if there is none alive.
///
/// # Errors
///
/// The zygote could not be started.
pub(crate) fn for_program(program: &Path) -> io::Result<Arc<Zygote>> {
    let mut zygotes = ZYGOTES.lock().unwrap_or_else(PoisonError::into_inner);
    zygotes.retain(|(_, zygote)| zygote.alive.load(Ordering::Acquire));
    if let Some((_, zygote)) = zygotes.iter().find(|(path, _)| path == program) {
        return Ok(Arc::clone(zygote));
    }
    let zygote = Zygote::start(program)?;
    zygotes.push((program.to_owned(), Arc::clone(&zygote)));
    Ok(zygote)
}

/// Stops every fork server of this process; the next pool starts one again. For measuring a
/// program's first pool, whose start includes the zygote's, apart from the pools after it.
pub fn stop_fork_servers() {
    let zygotes = std::mem::take(&mut *ZYGOTES.lock().unwrap_or_else(PoisonError::into_inner));
    for (_, zygote) in zygotes {
        zygote.alive.store(false, Ordering::Release);
        // SAFETY: shutdown(2) on a socket this process owns; the reader thread then sees the end
        // of the stream, and so does the zygote, which kills its workers and exits.
        unsafe { libc::shutdown(zygote.socket.as_raw_fd(), libc::SHUT_RDWR) };
    }
}

/// A FORK sent to a zygote and not answered yet. Dropped unanswered, the worker it asked for is
/// killed when the answer comes.
#[derive(Debug)]
pub(crate) struct ForkTicket {
    zygote: Arc<Zygote>,
    answered: Receiver<io::Result<Forked>>,
    asked: Instant,
}

impl ForkTicket {
    /// The zygote the worker comes from.
    pub(crate) fn zygote(&self) -> &Arc<Zygote> {
        &self.zygote
    }

    /// Waits for the worker until `timeout` after it was asked for: the FORKs of one start,
    /// asked for together, share one deadline.
    ///
    /// # Errors
    ///
    /// The zygote is gone (the error says how it ended), failed to fork, or did not answer in
    /// time (it is then stopped, and replaced by the next pool that asks).
    pub(crate) fn wait(self, timeout: Duration) -> io::Result<Forked> {
        let left = (self.asked + timeout).saturating_duration_since(Instant::now());
        match self.answered.recv_timeout(left) {
            Ok(forked) => forked,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // A zygote that cannot fork in that long is stuck: it is replaced.
                let reason = format!(
                    "the fork server did not fork a worker within {timeout:?} of being asked, and was killed"
                );
                Err(io::Error::new(io::ErrorKind::TimedOut, self.zygote.stop(reason)))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => Err(self.zygote.gone()),
        }
    }
}

impl Zygote {
    fn start(program: &Path) -> io::Result<Arc<Zygote>> {
        let (ours, theirs) = fd_passing::seqpacket_pair()?;
        let (stderr_read, stderr_write) = sys::pipe()?;
        let pid = spawner::spawn(sys::ChildSpec {
            program: program.to_owned(),
            env: vec![
                (role::ROLE_ENV.to_owned(), role::ZYGOTE.to_owned()),
                (worker::ARGS_ENV.to_owned(), format!("--parent-pid {}", std::process::id())),
            ],
            moves: vec![(theirs.as_raw_fd(), SOCKET_FD), (stderr_write.as_raw_fd(), libc::STDERR_FILENO)],
        })?;
        drop((theirs, stderr_write));
        let stderr = stderr::drain(stderr_read);
        // SAFETY: pidfd_open(2) of this process's own child, not reaped yet (only its reader,
        // started below, reaps it), so the pid names it.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as RawFd;
        if pidfd < 0 {
            let err = io::Error::last_os_error();
            sys::kill(pid);
            let _ = sys::wait(pid, true);
            return Err(err);
        }
        // SAFETY: pidfd_open returned a new descriptor, owned by nobody else.
        let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
        let zygote = Arc::new(Zygote {
            socket: ours,
            pid,
            pidfd,
            stderr,
            end: Mutex::new(None),
            ended_known: Condvar::new(),
            pending: Mutex::new(VecDeque::new()),
            ended: Mutex::new(HashMap::new()),
            heard: Condvar::new(),
            alive: AtomicBool::new(true),
        });
        let listener = Arc::clone(&zygote);
        std::thread::Builder::new()
            .name("poolbench-zygote".into())
            .spawn(move || listener.listen())
            .inspect_err(|_| {
                sys::kill(pid);
                let _ = sys::wait(pid, true);
            })?;
        Ok(zygote)
    }

    /// Stops a zygote that failed the pool, for `reason` (unless it had already ended): kills
    /// it, and shuts its socket down, so that its reader hears the end even if a child of the
    /// zygote holds the other end open. The reader then reaps it. Returns why it is gone.
    fn stop(&self, reason: String) -> String {
        self.alive.store(false, Ordering::Release);
        let reason = {
            let mut end = self.end.lock().unwrap_or_else(PoisonError::into_inner);
            end.get_or_insert(reason).clone()
        };
        self.ended_known.notify_all();
        pidfd_kill(&self.pidfd);
        // SAFETY: shutdown(2) on a socket this process owns.
        unsafe { libc::shutdown(self.socket.as_raw_fd(), libc::SHUT_RDWR) };
        reason
    }

    /// The error for a FORK the zygote cannot answer: how it ended, once its reader knows (it
    /// waits up to [`END_PATIENCE`] for that).
    fn gone(&self) -> io::Error {
        let end = self.end.lock().unwrap_or_else(PoisonError::into_inner);
        let (end, _) = self
            .ended_known
            .wait_timeout_while(end, END_PATIENCE, |end| end.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        let reason = end.clone().unwrap_or_else(|| "the fork server has ended".to_owned());
        io::Error::new(io::ErrorKind::BrokenPipe, reason)
    }

    /// Asks for a worker with `settings` (as `POOLBENCH_WORKER_ARGS`) and the pipes `fds`
    /// (requests, responses, stderr), without waiting: the zygote has its own copies of `fds` once
    /// this returns. Several requests in a row are forked back to back, while the pool goes on.
    ///
    /// # Errors
    ///
    /// The zygote is gone, or its socket failed.
    pub(crate) fn request_fork(self: &Arc<Self>, settings: &str, fds: [RawFd; 3]) -> io::Result<ForkTicket> {
        let (answer, answered) = mpsc::sync_channel(1);
        let asked = Instant::now();
        let mut message = vec![FORK];
        message.extend_from_slice(settings.as_bytes());
        let sent = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            if !self.alive.load(Ordering::Acquire) {
                None
            } else {
                let sent = fd_passing::send(&self.socket, &message, &fds);
                if sent.is_ok() {
                    pending.push_back(answer);
                }
                Some(sent)
            }
        };
        match sent {
            Some(Ok(())) => Ok(ForkTicket { zygote: Arc::clone(self), answered, asked }),
            // A zygote that has exited refuses the message: say how it ended.
            Some(Err(err)) if matches!(err.raw_os_error(), Some(libc::EPIPE | libc::ECONNRESET)) => {
                Err(self.gone())
            }
            Some(Err(err)) => Err(err),
            None => Err(self.gone()),
        }
    }

    /// Whether the server is still there to fork and report.
    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::Acquire)
    }

    /// How worker `pid` ended, once the zygote has reaped it: at once, or after up to `wait`.
    pub(crate) fn exit_status(&self, pid: u32, wait: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + wait;
        let mut ended = self.ended.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(status) = ended.remove(&pid) {
                return Some(status);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.alive.load(Ordering::Acquire) {
                return None;
            }
            ended = self.heard.wait_timeout(ended, left).unwrap_or_else(PoisonError::into_inner).0;
        }
    }

    /// The reader thread: routes the zygote's answers and reports until its socket ends, then
    /// reaps it.
    fn listen(&self) {
        let mut buffer = [0u8; MAX_MESSAGE];
        loop {
            let (len, mut fds) = match fd_passing::receive(&self.socket, &mut buffer) {
                Ok((0, _)) | Err(_) => break,
                Ok(received) => received,
            };
            match (buffer[0], &buffer[1..len]) {
                (ENDED, [p0, p1, p2, p3, s0, s1, s2, s3]) => {
                    let pid = u32::from_be_bytes([*p0, *p1, *p2, *p3]);
                    let status = ExitStatus::from_raw(i32::from_be_bytes([*s0, *s1, *s2, *s3]));
                    self.ended.lock().unwrap_or_else(PoisonError::into_inner).insert(pid, status);
                    self.heard.notify_all();
                }
                (FORKED, [p0, p1, p2, p3]) if fds.len() == 1 => {
                    let pid = u32::from_be_bytes([*p0, *p1, *p2, *p3]);
                    let pidfd = fds.remove(0);
                    self.answer(Ok(Forked { pid, pidfd }));
                }
                (FAILED, reason) => {
                    let reason = String::from_utf8_lossy(reason);
                    self.answer(Err(io::Error::other(format!("the fork server could not fork: {reason}"))));
                }
                // Not a message this build sends: the zygote is not of this build, or broken.
                _ => break,
            }
        }
        self.alive.store(false, Ordering::Release);
        self.heard.notify_all();
        // Its socket has ended: it is exiting (or has been stopped). A moment to exit by itself,
        // then it is killed and reaped: no zombie.
        let _ = sys::poll(
            &[sys::Interest { fd: self.pidfd.as_raw_fd(), read: true, write: false }],
            Some(EXIT_GRACE),
        );
        pidfd_kill(&self.pidfd);
        let status = sys::wait(self.pid, true).ok().flatten();
        let reason = {
            let mut end = self.end.lock().unwrap_or_else(PoisonError::into_inner);
            end.get_or_insert_with(|| {
                let how = status.map_or_else(|| "ended".to_owned(), describe_exit);
                let stderr = self.stderr.text(Duration::from_millis(100));
                format!(
                    "the fork server (process {}) {how} before it forked the worker{}",
                    self.pid,
                    stderr_note(&stderr)
                )
            })
            .clone()
        };
        self.ended_known.notify_all();
        for waiting in self.pending.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            let _ = waiting.send(Err(io::Error::new(io::ErrorKind::BrokenPipe, reason.clone())));
        }
        // The socket closes once the last pool holding this zygote lets it go: the list must not
        // keep it until the next pool starts a zygote.
        ZYGOTES
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(_, zygote)| !std::ptr::eq(Arc::as_ptr(zygote), self));
    }

    fn answer(&self, forked: io::Result<Forked>) {
        if let Some(waiting) = self.pending.lock().unwrap_or_else(PoisonError::into_inner).pop_front() {
            // A waiter that gave up has dropped its end: the worker it asked for is killed with
            // the pidfd that nobody keeps.
            if let Err(mpsc::SendError(Ok(orphan))) = waiting.send(forked) {
                pidfd_kill(&orphan.pidfd);
            }
        }
    }
}

/// Sends SIGKILL to the process `pidfd` names (a no-op once it is reaped).
pub(crate) fn pidfd_kill(pidfd: &OwnedFd) {
    // SAFETY: pidfd_send_signal(2) with a pidfd this process owns and no siginfo.
    unsafe { libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), libc::SIGKILL, 0usize, 0u32) };
}

// The zygote's side.

/// The write end of the pipe a SIGCHLD handler writes a byte to, so the zygote's poll wakes.
static CHILD_SIGNAL: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_child_signal(_: libc::c_int) {
    let fd = CHILD_SIGNAL.load(Ordering::Relaxed);
    // SAFETY: write(2) is async-signal-safe; a full pipe (EAGAIN) already holds a wake-up.
    unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
}

/// Serves as a zygote on descriptor 3 until its socket ends; returns the exit status.
pub(crate) fn serve_from_env() -> i32 {
    match serve() {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("poolbench fork server: {message}");
            2
        }
    }
}

fn serve() -> Result<(), String> {
    let settings = std::env::var(worker::ARGS_ENV).unwrap_or_default();
    let parent = settings
        .strip_prefix("--parent-pid ")
        .and_then(|pid| pid.trim().parse().ok())
        .ok_or("started without --parent-pid: this role is the process pool's to start")?;
    worker::die_with_parent(Some(parent))?;
    if !sys::is_open(SOCKET_FD) {
        return Err(format!("descriptor {SOCKET_FD} is not open: the process pool starts this role"));
    }
    // SAFETY: descriptor 3 is open (checked above) and nothing else in this process uses it.
    let socket = unsafe { OwnedFd::from_raw_fd(SOCKET_FD) };
    let (wake_read, wake_write) =
        sys::pipe().map_err(|err| format!("cannot make the child-signal pipe: {err}"))?;
    sys::set_nonblocking(&wake_read)
        .and_then(|()| sys::set_nonblocking(&wake_write))
        .map_err(|err| err.to_string())?;
    CHILD_SIGNAL.store(wake_write.as_raw_fd(), Ordering::Relaxed);
    // SAFETY: a zeroed sigaction with a handler that only writes to a pipe; SA_NOCLDSTOP because
    // only ends matter, SA_RESTART so that no call here sees EINTR for it.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_child_signal as *const () as usize;
        action.sa_flags = libc::SA_NOCLDSTOP | libc::SA_RESTART;
        libc::sigemptyset(&raw mut action.sa_mask);
        if libc::sigaction(libc::SIGCHLD, &raw const action, std::ptr::null_mut()) != 0 {
            return Err(format!("cannot handle SIGCHLD: {}", io::Error::last_os_error()));
        }
    }
    let mut children: Vec<libc::pid_t> = Vec::new();
    let mut buffer = [0u8; MAX_MESSAGE];
    loop {
        let interests = [
            sys::Interest { fd: socket.as_raw_fd(), read: true, write: false },
            sys::Interest { fd: wake_read.as_raw_fd(), read: true, write: false },
        ];
        let ready = sys::poll(&interests, None).map_err(|err| format!("poll: {err}"))?;
        if ready[1].readable {
            let mut drain = [0u8; 64];
            while std::io::Read::read(&mut &wake_read, &mut drain).is_ok_and(|read| read > 0) {}
            reap(&socket, &mut children);
        }
        if !(ready[0].readable || ready[0].hung_up) {
            continue;
        }
        let (len, fds) = match fd_passing::receive(&socket, &mut buffer) {
            Ok((0, _)) | Err(_) => break,
            Ok(received) => received,
        };
        if buffer[0] != FORK || fds.len() != 3 {
            break;
        }
        let settings =
            format!("{} --parent-pid {}", String::from_utf8_lossy(&buffer[1..len]), std::process::id());
        let fds: [OwnedFd; 3] = fds.try_into().map_err(|_| "three descriptors".to_owned())?;
        // SAFETY: this process has one thread (the zygote starts no other), so the child gets a
        // copy in which no lock is held by a thread that does not exist there.
        match unsafe { libc::fork() } {
            0 => {
                // The child: the worker. It keeps only its pipes, at the worker's descriptors.
                let status = become_worker(&socket, &wake_read, &wake_write, &fds, &settings);
                std::process::exit(status);
            }
            -1 => {
                let reason = io::Error::last_os_error().to_string();
                let mut message = vec![FAILED];
                message.extend_from_slice(reason.as_bytes());
                fd_passing::send(&socket, &message, &[]).map_err(|err| err.to_string())?;
            }
            pid => {
                drop(fds);
                children.push(pid);
                // SAFETY: pidfd_open(2) of this process's own child, not reaped yet (reaping
                // happens on this thread, below), so the pid names it.
                let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as RawFd;
                if pidfd < 0 {
                    let reason = format!("pidfd_open: {}", io::Error::last_os_error());
                    // SAFETY: kill(2) of our own child.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    let mut message = vec![FAILED];
                    message.extend_from_slice(reason.as_bytes());
                    fd_passing::send(&socket, &message, &[]).map_err(|err| err.to_string())?;
                    continue;
                }
                // SAFETY: pidfd_open returned a new descriptor, owned by nobody else.
                let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
                let mut message = vec![FORKED];
                message.extend_from_slice(&pid.unsigned_abs().to_be_bytes());
                fd_passing::send(&socket, &message, &[pidfd.as_raw_fd()]).map_err(|err| err.to_string())?;
            }
        }
    }
    // The pool is gone: so are its workers.
    for pid in children {
        // SAFETY: kill(2) of our own children; they are reaped by the kernel once we exit.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    Ok(())
}

/// Reaps every child that has ended and tells the pool how.
fn reap(socket: &OwnedFd, children: &mut Vec<libc::pid_t>) {
    loop {
        let mut status = 0;
        // SAFETY: waitpid(2) with a valid status pointer.
        let pid = unsafe { libc::waitpid(-1, &raw mut status, libc::WNOHANG) };
        if pid <= 0 {
            return;
        }
        children.retain(|&child| child != pid);
        let mut message = vec![ENDED];
        message.extend_from_slice(&pid.unsigned_abs().to_be_bytes());
        message.extend_from_slice(&status.to_be_bytes());
        // A pool that is gone hears nothing; the loop ends at its socket's end anyway.
        let _ = fd_passing::send(socket, &message, &[]);
    }
}

/// In the forked child: closes the zygote's descriptors, puts the pipes at the worker's, restores
/// the signal the zygote handles, and serves.
fn become_worker(
    socket: &OwnedFd,
    wake_read: &std::fs::File,
    wake_write: &std::fs::File,
    fds: &[OwnedFd; 3],
    settings: &str,
) -> i32 {
    // SAFETY: in a single-threaded child, dup2/close/signal on descriptors it owns. Each pipe is
    // first duplicated above every target, so that placing one cannot close another.
    unsafe {
        libc::signal(libc::SIGCHLD, libc::SIG_DFL);
        let high: Vec<RawFd> = fds.iter().map(|fd| libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD, 10)).collect();
        if high.iter().any(|fd| *fd < 0) {
            return 2;
        }
        libc::close(socket.as_raw_fd());
        libc::close(wake_read.as_raw_fd());
        libc::close(wake_write.as_raw_fd());
        for fd in fds {
            libc::close(fd.as_raw_fd());
        }
        for (fd, target) in
            high.iter().zip([super::protocol::REQUEST_FD, super::protocol::RESPONSE_FD, libc::STDERR_FILENO])
        {
            libc::dup2(*fd, target);
            libc::close(*fd);
        }
    }
    worker::serve_with(settings)
}
