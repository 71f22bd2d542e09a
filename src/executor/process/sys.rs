//! The handful of system calls std does not wrap: non-blocking pipes, poll(2), and spawning a
//! child with pipes at fixed descriptors without copying the parent (posix_spawn).
//!
//! Hand-rolled over libc, which poolbench already uses, rather than a second system-call crate:
//! each wrapper is one or a few calls, each `unsafe` block says why it is sound.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::ExitStatus;
use std::time::Duration;

/// A pipe whose both ends are close-on-exec, so that no other child inherits them: a worker must
/// see end-of-file on its request pipe when, and only when, the pool closes it.
pub(crate) fn pipe() -> io::Result<(File, File)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is a valid array of two descriptors for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both descriptors are open and owned by nobody else.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((File::from(read), File::from(write)))
}

/// Puts a descriptor in non-blocking mode: the pool's event loop must never block on one worker.
pub(crate) fn set_nonblocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own, with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Whether `fd` is an open descriptor in this process.
pub(crate) fn is_open(fd: RawFd) -> bool {
    // SAFETY: F_GETFD only reads the descriptor's flags; an invalid fd yields -1 (EBADF).
    unsafe { libc::fcntl(fd, libc::F_GETFD) >= 0 }
}

/// A process to start: what [`spawn`] takes, and what the spawning thread (`spawner.rs`) is
/// handed whole.
#[derive(Debug)]
pub(crate) struct ChildSpec {
    /// The program, run without arguments (a worker's settings are in its environment).
    pub program: PathBuf,
    /// Variables set in the child on top of the current environment.
    pub env: Vec<(String, String)>,
    /// Descriptors of this process, each `(from, to)` placed at `to` in the child.
    pub moves: Vec<(RawFd, RawFd)>,
}

/// Starts `child` by posix_spawn(3): its program with the current environment plus its `env`,
/// each of its `(from, to)` descriptor pairs placed at `to`, stdin on /dev/null, stdout
/// inherited, and a clean signal mask. Returns the child's pid.
///
/// Why not `std::process::Command`: placing descriptors at fixed numbers needs a `pre_exec`
/// hook, and with one std must `fork()`, copying the parent's page tables: measured here, 13 ms
/// per spawn from a process holding 200 MB against 2 ms for posix_spawn, whose glibc
/// implementation shares the parent's memory until exec (CLONE_VFORK). A benchmark process is
/// exactly such a parent, and SpawnPerTask would measure the copy rather than the spawn.
pub(crate) fn spawn(child: &ChildSpec) -> io::Result<libc::pid_t> {
    let ChildSpec { program, env, moves } = child;
    let program = CString::new(program.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the program path contains a NUL byte"))?;
    let argv = [program.clone()];
    // From std's view of the environment, which std guards against concurrent set_var, with
    // `env`'s variables in place of any of the same name.
    let inherited =
        std::env::vars_os().filter(|(key, _)| env.iter().all(|(name, _)| key.as_os_str() != name.as_str()));
    let added = env.iter().map(|(key, value)| (key.into(), value.into()));
    let envp: Vec<CString> = inherited
        .chain(added)
        .filter_map(|(key, value): (std::ffi::OsString, std::ffi::OsString)| {
            let mut entry = key.into_vec();
            entry.push(b'=');
            entry.extend(value.into_vec());
            CString::new(entry).ok()
        })
        .collect();
    let argv_ptrs: Vec<*mut libc::c_char> =
        argv.iter().map(|arg| arg.as_ptr().cast_mut()).chain(std::iter::once(std::ptr::null_mut())).collect();
    let envp_ptrs: Vec<*mut libc::c_char> = envp
        .iter()
        .map(|entry| entry.as_ptr().cast_mut())
        .chain(std::iter::once(std::ptr::null_mut()))
        .collect();

    // Each source is first duplicated above every target, so that placing one cannot clobber
    // another sitting at a target number, and so that no dup2 has `from == to` (which would
    // leave close-on-exec set). The duplicates are close-on-exec: they vanish at exec.
    let mut high = Vec::with_capacity(moves.len());
    for &(from, _) in moves {
        // SAFETY: fcntl with integer arguments; the result is a new descriptor we own.
        let fd = unsafe { libc::fcntl(from, libc::F_DUPFD_CLOEXEC, 10) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fcntl just returned this descriptor, owned by nobody else.
        high.push(unsafe { OwnedFd::from_raw_fd(fd) });
    }

    let mut actions = FileActions::new()?;
    let mut attributes = SpawnAttributes::new()?;
    let dev_null = c"/dev/null";
    // SAFETY: `actions` is initialised; descriptors and the path are valid for the call.
    check(unsafe {
        libc::posix_spawn_file_actions_addopen(&raw mut actions.0, 0, dev_null.as_ptr(), libc::O_RDONLY, 0)
    })?;
    for (fd, &(_, to)) in high.iter().zip(moves) {
        // SAFETY: as above.
        check(unsafe { libc::posix_spawn_file_actions_adddup2(&raw mut actions.0, fd.as_raw_fd(), to) })?;
    }
    // SAFETY: `attributes` is initialised; the signal sets are initialised by sigemptyset and
    // sigaddset before use.
    unsafe {
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut empty);
        let mut defaults: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&raw mut defaults);
        libc::sigaddset(&raw mut defaults, libc::SIGPIPE);
        check(libc::posix_spawnattr_setsigmask(&raw mut attributes.0, &raw const empty))?;
        check(libc::posix_spawnattr_setsigdefault(&raw mut attributes.0, &raw const defaults))?;
        let flags = libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
        check(libc::posix_spawnattr_setflags(&raw mut attributes.0, flags as libc::c_short))?;
    }
    let mut pid: libc::pid_t = 0;
    // SAFETY: every pointer is valid and NUL-terminated for the duration of the call; argv and
    // envp end with a null pointer.
    check(unsafe {
        libc::posix_spawn(
            &raw mut pid,
            program.as_ptr(),
            &raw const actions.0,
            &raw const attributes.0,
            argv_ptrs.as_ptr(),
            envp_ptrs.as_ptr(),
        )
    })?;
    Ok(pid)
}

/// posix_spawn's functions return the error number instead of setting errno.
fn check(code: libc::c_int) -> io::Result<()> {
    if code == 0 { Ok(()) } else { Err(io::Error::from_raw_os_error(code)) }
}

struct FileActions(libc::posix_spawn_file_actions_t);

impl FileActions {
    fn new() -> io::Result<Self> {
        // SAFETY: zeroed storage is what posix_spawn_file_actions_init expects to initialise.
        let mut actions = FileActions(unsafe { std::mem::zeroed() });
        // SAFETY: initialises the zeroed storage; destroyed in Drop.
        check(unsafe { libc::posix_spawn_file_actions_init(&raw mut actions.0) })?;
        Ok(actions)
    }
}

impl Drop for FileActions {
    fn drop(&mut self) {
        // SAFETY: initialised in new().
        unsafe { libc::posix_spawn_file_actions_destroy(&raw mut self.0) };
    }
}

struct SpawnAttributes(libc::posix_spawnattr_t);

impl SpawnAttributes {
    fn new() -> io::Result<Self> {
        // SAFETY: zeroed storage is what posix_spawnattr_init expects to initialise.
        let mut attributes = SpawnAttributes(unsafe { std::mem::zeroed() });
        // SAFETY: initialises the zeroed storage; destroyed in Drop.
        check(unsafe { libc::posix_spawnattr_init(&raw mut attributes.0) })?;
        Ok(attributes)
    }
}

impl Drop for SpawnAttributes {
    fn drop(&mut self) {
        // SAFETY: initialised in new().
        unsafe { libc::posix_spawnattr_destroy(&raw mut self.0) };
    }
}

/// Reaps `pid` if it has exited (`block == false`) or once it has (`block == true`).
pub(crate) fn wait(pid: libc::pid_t, block: bool) -> io::Result<Option<ExitStatus>> {
    let mut status = 0;
    let options = if block { 0 } else { libc::WNOHANG };
    loop {
        // SAFETY: waitpid on our own child with a valid status pointer.
        match unsafe { libc::waitpid(pid, &raw mut status, options) } {
            0 => return Ok(None),
            reaped if reaped == pid => return Ok(Some(ExitStatus::from_raw(status))),
            _ => {
                let err = io::Error::last_os_error();
                if err.kind() != io::ErrorKind::Interrupted {
                    return Err(err);
                }
            }
        }
    }
}

/// Sends SIGKILL to `pid`.
pub(crate) fn kill(pid: libc::pid_t) {
    // SAFETY: kill(2) with integer arguments; a process already gone yields ESRCH, ignored.
    unsafe { libc::kill(pid, libc::SIGKILL) };
}

/// What poll(2) said about one descriptor.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Readiness {
    /// Data (or end-of-file) can be read.
    pub readable: bool,
    /// The pipe has room to write.
    pub writable: bool,
    /// The other end is gone, or the descriptor is in error.
    pub hung_up: bool,
}

impl Readiness {
    /// Whether poll(2) said anything: something to read or write, or the end.
    pub(crate) fn any(&self) -> bool {
        self.readable || self.writable || self.hung_up
    }
}

/// One descriptor to watch, and for what.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Interest {
    /// The descriptor.
    pub fd: RawFd,
    /// Watch for reading.
    pub read: bool,
    /// Watch for writing.
    pub write: bool,
}

/// Waits until one of `interests` is ready or `timeout` passes (`None`: no limit).
/// Interrupted waits count as a timeout, so the caller re-checks its deadlines.
pub(crate) fn poll(interests: &[Interest], timeout: Option<Duration>) -> io::Result<Vec<Readiness>> {
    let mut fds: Vec<libc::pollfd> = interests
        .iter()
        .map(|interest| libc::pollfd {
            fd: interest.fd,
            events: (if interest.read { libc::POLLIN } else { 0 })
                | (if interest.write { libc::POLLOUT } else { 0 }),
            revents: 0,
        })
        .collect();
    let timeout_ms = match timeout {
        None => -1,
        // Round up, so that a deadline 0.3 ms away is not polled with 0 and spun on.
        Some(timeout) => i32::try_from(timeout.as_micros().div_ceil(1000)).unwrap_or(i32::MAX),
    };
    let count = fds.len() as libc::nfds_t;
    // SAFETY: `fds` is a valid, exclusively borrowed array of `count` pollfd structs.
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), count, timeout_ms) };
    if ready < 0 {
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
        fds.iter_mut().for_each(|fd| fd.revents = 0);
    }
    Ok(fds
        .iter()
        .map(|fd| Readiness {
            readable: fd.revents & libc::POLLIN != 0,
            writable: fd.revents & libc::POLLOUT != 0,
            hung_up: fd.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0,
        })
        .collect())
}

/// Whether the process a pidfd names has ended: its pidfd is readable then.
pub(crate) fn has_ended(pidfd: RawFd) -> bool {
    poll(&[Interest { fd: pidfd, read: true, write: false }], Some(Duration::ZERO))
        .is_ok_and(|ready| ready[0].readable || ready[0].hung_up)
}

/// Blocks until the write end of the pipe read through `fd` is closed by everyone: how a
/// worker learns that its pool, or the whole parent process, is gone, even mid-task, where there
/// is no parent-death signal.
#[cfg(not(target_os = "linux"))]
pub(crate) fn wait_for_hangup(fd: RawFd) {
    let mut watched = libc::pollfd { fd, events: 0, revents: 0 };
    loop {
        // SAFETY: one valid pollfd; events = 0 still reports POLLHUP, POLLERR and POLLNVAL.
        let ready = unsafe { libc::poll(&raw mut watched, 1, -1) };
        if ready > 0 && watched.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            return;
        }
    }
}
