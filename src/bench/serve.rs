//! Serve mode: one benchmark set up once and timed on request, for a driver that times two builds
//! in alternating slots (`poolbench gate`).
//!
//! A bench binary started with `POOLBENCH_SERVE=<benchmark id>` runs its targets as usual, but
//! with Criterion's work suppressed (no benchmark is run, nothing is written): the one
//! [`Group`](super::Group) benchmark whose full id is exactly the one named runs its set-up (pool
//! started, answer checked) and then answers requests on the pipe the driver holds, keeping what
//! the set-up built (the pool) up between them, until the driver closes its end. Every benchmark
//! of a bench built on [`Main`](super::Main) can be served this way, poolbench's own and a user
//! crate's alike, because the hook sits where every benchmark is set up.
//!
//! # Design constraints
//!
//! - **The benchmark's own output never mixes with the protocol.** Before any target runs, the
//!   server moves the protocol off descriptors 0 and 1 onto close-on-exec ones: standard output
//!   then goes to standard error and standard input reads `/dev/null`, so neither what a
//!   workload prints nor a worker process (which inherits 0 and 1, never the protocol) can
//!   corrupt or hold open the driver's pipes. When the server exits, the driver sees the end of
//!   its pipe at once.
//! - **One request at a time**, answered in order: the driver times each wait and kills a server
//!   that does not answer; the server has no timers of its own.
//! - **Text lines** (ASCII, `\n`-terminated, at most 64 bytes): a server can be driven by hand,
//!   and a binary that predates serve mode is told apart by its first line, which is not a hello.
//!
//! # Format details
//!
//! | when | who | line |
//! |---|---|---|
//! | once the set-up succeeded | server | `poolbench-serve 1 <id>`: the hello, protocol version 1, the id served |
//! | a request | driver | `<iterations>`: a decimal integer from 1 to 2^64 − 1 |
//! | its answer | server | `<nanoseconds>`: the routine's time for those iterations, a decimal integer; a later version may add fields after a space, which readers of version 1 ignore |
//! | done | driver | closes its end: the server drops the routine (the pool), then exits with status 0 |
//!
//! A set-up that fails, an id no benchmark has, or a request that is not a number ends the
//! process with a message on standard error and exit status 1, without a hello or an answer.
//! Besides `POOLBENCH_SERVE`, the server reads nothing from the command line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read as _, Write as _};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use criterion::{BenchmarkFilter, Criterion};

use crate::env::SERVE;
use crate::load::Baseline;

/// The hello's first word.
pub const HELLO: &str = "poolbench-serve";
/// The protocol version the hello names.
pub const PROTOCOL_VERSION: u32 = 1;
/// The longest line either side writes, `\n` included.
pub const MAX_LINE: usize = 64;

/// What this process serves: the id, and the protocol's descriptors until a benchmark takes them.
struct Serving {
    id: String,
    channel: Mutex<Option<Channel>>,
}

struct Channel {
    requests: BufReader<File>,
    replies: File,
}

static SERVING: OnceLock<Serving> = OnceLock::new();

/// [`Main::run`](super::Main::run)'s hook: when `POOLBENCH_SERVE` is set, runs the targets in serve
/// mode and returns the exit status; `None` otherwise.
pub(crate) fn main(targets: &[fn(&mut Criterion)]) -> Option<u8> {
    let id = std::env::var_os(SERVE)?;
    Some(match run(id, targets) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("Error: {message}");
            1
        }
    })
}

fn run(id: std::ffi::OsString, targets: &[fn(&mut Criterion)]) -> Result<(), String> {
    let id = id
        .into_string()
        .ok()
        .filter(|id| !id.trim().is_empty() && !id.contains(['\n', '\r']))
        .ok_or_else(|| format!("{SERVE} must name one benchmark id (as `--list` prints it)"))?;
    let channel =
        take_protocol_descriptors().map_err(|err| format!("serve mode cannot take its pipes: {err}"))?;
    let serving = Serving { id: id.clone(), channel: Mutex::new(Some(channel)) };
    if SERVING.set(serving).is_err() {
        return Err("serve mode was entered twice in one process".to_owned());
    }
    // Criterion runs nothing: the benchmark served is run by `intercept`, outside it.
    let mut criterion = Criterion::default().with_benchmark_filter(BenchmarkFilter::RejectAll);
    super::group::catching(|| {
        for target in targets {
            target(&mut criterion);
        }
    })
    .map_err(|err| err.to_string())?;
    let unserved = SERVING.get().is_some_and(|serving| lock(serving).is_some());
    if unserved {
        return Err(format!(
            "this program has no benchmark `{id}` to serve; `--list` lists its ids (the id must match exactly)"
        ));
    }
    Ok(())
}

/// [`Group`](super::Group)'s hook, called with each benchmark's full id and set-up before
/// Criterion sees it: `Some(setup)` back outside serve mode; in serve mode `None`, after serving
/// the benchmark if it is the one named.
///
/// # Errors
///
/// A set-up that fails, or a protocol error, stops the run ([`stop`](super::group::stop)):
/// [`main`] returns exit status 1 with the message.
pub(crate) fn intercept<S, R>(full_id: &str, setup: S) -> Option<S>
where
    S: FnOnce(&mut Baseline) -> Result<R, String>,
    R: FnMut(u64) -> Duration,
{
    let Some(serving) = SERVING.get() else { return Some(setup) };
    if serving.id != full_id {
        return None;
    }
    let mut channel = lock(serving).take()?;
    let mut routine =
        setup(&mut Baseline::none()).unwrap_or_else(|message| super::group::stop(full_id, &message));
    if let Err(message) = serve(full_id, &mut channel, &mut routine) {
        super::group::stop(full_id, &message);
    }
    // The pool goes before the process does, so its workers are stopped and reaped.
    drop(routine);
    None
}

fn lock(serving: &Serving) -> std::sync::MutexGuard<'_, Option<Channel>> {
    serving.channel.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The hello, then one answer per request until the driver closes its end.
fn serve(id: &str, channel: &mut Channel, routine: &mut impl FnMut(u64) -> Duration) -> Result<(), String> {
    let lost = |err: io::Error| format!("serve mode lost its driver: {err}");
    writeln!(channel.replies, "{HELLO} {PROTOCOL_VERSION} {id}").map_err(lost)?;
    loop {
        let Some(iterations) = request(&mut channel.requests)? else { return Ok(()) };
        let took = routine(iterations);
        writeln!(channel.replies, "{}", took.as_nanos()).map_err(lost)?;
    }
}

/// The next request's iteration count; `None` at the end of the driver's pipe.
fn request(requests: &mut BufReader<File>) -> Result<Option<u64>, String> {
    let mut line = String::new();
    let read = requests
        .by_ref()
        .take(MAX_LINE as u64)
        .read_line(&mut line)
        .map_err(|err| format!("serve mode cannot read a request: {err}"))?;
    if read == 0 {
        return Ok(None);
    }
    let Some(text) = line.strip_suffix('\n') else {
        return Err(format!("a request must be one line of at most {MAX_LINE} bytes, got {line:?}"));
    };
    match text.trim().parse::<u64>() {
        Ok(iterations) if iterations > 0 => Ok(Some(iterations)),
        _ => Err(format!("a request is an iteration count from 1 to {}, got {text:?}", u64::MAX)),
    }
}

/// Moves the protocol's pipes (descriptors 0 and 1) to close-on-exec descriptors, then points 0
/// at `/dev/null` and 1 at standard error.
fn take_protocol_descriptors() -> io::Result<Channel> {
    let requests = duplicate(0)?;
    let replies = duplicate(1)?;
    let null = File::open("/dev/null")?;
    // SAFETY: dup2 on descriptors this process owns; Rust's standard output buffers nothing yet
    // (serve mode is entered before anything is printed), and later writes go to standard error.
    unsafe {
        if libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0) < 0 || libc::dup2(2, 1) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(Channel { requests: BufReader::new(File::from(requests)), replies: File::from(replies) })
}

fn duplicate(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: fcntl with integer arguments; the result is a new descriptor nobody else owns.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if copy < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fcntl just returned it.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests_from(text: &str) -> BufReader<File> {
        let mut file = tempfile::tempfile().expect("a temporary file");
        file.write_all(text.as_bytes()).expect("write");
        std::io::Seek::rewind(&mut file).expect("rewind");
        BufReader::new(file)
    }

    #[test]
    fn requests_are_iteration_counts_one_a_line_until_the_end_of_the_pipe() {
        let mut requests = requests_from("3\n18446744073709551615\n");
        assert_eq!(request(&mut requests), Ok(Some(3)));
        assert_eq!(request(&mut requests), Ok(Some(u64::MAX)));
        assert_eq!(request(&mut requests), Ok(None));
    }

    #[test]
    fn a_request_that_is_not_a_positive_count_is_refused_with_what_was_read() {
        for bad in ["0\n", "-1\n", "ten\n", "1e3\n"] {
            let message = request(&mut requests_from(bad)).expect_err(bad);
            assert!(message.contains("iteration count") && message.contains(bad.trim()), "{message}");
        }
        let long = format!("{}\n", "1".repeat(MAX_LINE * 2));
        assert!(request(&mut requests_from(&long)).expect_err("too long").contains("one line"));
        assert!(request(&mut requests_from("12")).expect_err("cut").contains("one line"));
    }
}
