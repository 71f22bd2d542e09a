//! The Python peers: the notebook's own Python programs, measured in the same run as poolbench's
//! executors, so that the report can put them side by side.
//!
//! `scripts/python_peers.py` (standard library only) times exercise 8 end to end under each
//! start method, exercise 7 end to end, warm `Pool.map` and `ThreadPoolExecutor.map` on the
//! pools suite's inputs, a warm `apply` round trip, `math.factorial(20000)`, the same
//! trial-division prime count as `task/cpu-spin`, and the crossover suite's batches. Same inputs,
//! `Pool.map`'s default chunking (poolbench's own rule), every result checked. Its output, the
//! [peers file](crate::schema::Peers), has rows in `summary.json`'s shape.
//!
//! [`run`] finds the interpreter (`python3` on `PATH` unless told otherwise), writes the script,
//! embedded in this library, to a temporary file (multiprocessing's spawn and forkserver start
//! methods import `__main__` from a real file), runs it under a hard time limit, and parses what it
//! wrote. Python missing, failing or hanging is not an error: the outcome is
//! [`Outcome::Skipped`] with the reason, and the run goes on. [`run_for_bench`] is what
//! `cargo bench` calls between the suites and the report: it honours `POOLBENCH_PYTHON`, starts
//! a latency server for the io-tcp peers, and writes the file beside Criterion's results
//! ([`PEERS_FILE`] in the Criterion directory), where the report
//! finds it.
//!
//! ```no_run
//! use poolbench::peers::{self, Outcome};
//!
//! match peers::run(&peers::Options::new([2, 4, 8]).quick(true))? {
//!     Outcome::Measured(document) => println!("{} rows", document.rows.len()),
//!     Outcome::Skipped { reason } => println!("skipped: {reason}"),
//! }
//! # Ok::<(), poolbench::peers::Error>(())
//! ```

mod bench;
mod error;
mod interpreter;

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub use bench::{BenchRun, run_for_bench};
pub use error::Error;
use interpreter::Ending;

use crate::env::PYTHON as PYTHON_VAR;
use crate::schema::{PEERS_FILE, Peers};

/// The script, as it is in `scripts/python_peers.py`.
pub const SCRIPT: &str = include_str!("../../scripts/python_peers.py");

/// The interpreter looked for on `PATH` when none is named.
pub const DEFAULT_PYTHON: &str = "python3";

/// The time limit of a full run: the script needs about a minute on two cores (budgeted for 90 s); a
/// run this much longer is hung (a `multiprocessing.Pool` whose worker died waits for ever).
pub const FULL_TIMEOUT: Duration = Duration::from_secs(300);

/// The time limit of a `--quick` run, which needs seconds.
pub const QUICK_TIMEOUT: Duration = Duration::from_secs(90);

/// How to run the peers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    python: OsString,
    sizes: Vec<usize>,
    filter: Option<String>,
    latency_server: Option<SocketAddr>,
    quick: bool,
    timeout: Option<Duration>,
    progress: bool,
}

impl Options {
    /// The peers at these pool sizes (the crossover peers add 1 and twice the largest), every
    /// other setting at its default.
    pub fn new(sizes: impl Into<Vec<usize>>) -> Self {
        Options {
            python: OsString::from(DEFAULT_PYTHON),
            sizes: sizes.into(),
            filter: None,
            latency_server: None,
            quick: false,
            timeout: None,
            progress: false,
        }
    }

    /// The interpreter: a name looked up on `PATH`, or a path. Default: [`DEFAULT_PYTHON`].
    pub fn python(mut self, program: impl Into<OsString>) -> Self {
        self.python = program.into();
        self
    }

    /// Only the peers whose id (`<group>/<executor>/<value>`) matches this regex, as Criterion
    /// filters benchmarks. Default: all.
    pub fn filter(mut self, filter: Option<String>) -> Self {
        self.filter = filter;
        self
    }

    /// The [`LatencyServer`](crate::workload::LatencyServer) the io-tcp peers send their requests
    /// to. Default: none, and no io-tcp peers.
    pub fn latency_server(mut self, addr: SocketAddr) -> Self {
        self.latency_server = Some(addr);
        self
    }

    /// A smoke run: 1 to 3 samples each, no warm-up, seconds in all. Default: off.
    pub fn quick(mut self, quick: bool) -> Self {
        self.quick = quick;
        self
    }

    /// The hard time limit, after which the interpreter and its workers are killed. Default:
    /// [`FULL_TIMEOUT`], or [`QUICK_TIMEOUT`] for a quick run.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// Whether to pass the script's progress lines (one per measurement) on to stderr. Default:
    /// off.
    pub fn progress(mut self, echo: bool) -> Self {
        self.progress = echo;
        self
    }

    fn limit(&self) -> Duration {
        self.timeout.unwrap_or(if self.quick { QUICK_TIMEOUT } else { FULL_TIMEOUT })
    }
}

/// What came of running the peers.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The script ran; its document, checked (boxed: it is large beside a reason).
    Measured(Box<Peers>),
    /// Nothing was measured, and why.
    Skipped {
        /// What happened and what to do, in a sentence.
        reason: String,
    },
}

impl Outcome {
    /// The document to write: the measured one, or one saying why the peers were skipped.
    pub fn into_document(self) -> Peers {
        match self {
            Outcome::Measured(document) => *document,
            Outcome::Skipped { reason } => Peers::skipped(reason),
        }
    }
}

/// Runs the script with `options` and returns what it measured.
///
/// # Errors
///
/// Only poolbench's side: the temporary directory or the script file cannot be written. An
/// interpreter that is absent, fails, writes a bad file or runs past the time limit gives
/// [`Outcome::Skipped`] with the reason.
pub fn run(options: &Options) -> Result<Outcome, Error> {
    let dir = tempfile::Builder::new()
        .prefix("poolbench-peers-")
        .tempdir()
        .map_err(|err| Error::script(&std::env::temp_dir(), err))?;
    let script = dir.path().join("python_peers.py");
    std::fs::write(&script, SCRIPT).map_err(|err| Error::script(&script, err))?;
    let out = dir.path().join(PEERS_FILE);

    let mut command = Command::new(&options.python);
    // Isolated mode: no PYTHONPATH, no user site-packages; the script needs the standard library only.
    command.arg("-I").arg(&script).arg("--out").arg(&out);
    let sizes: Vec<String> = options.sizes.iter().map(usize::to_string).collect();
    command.arg("--sizes").arg(sizes.join(","));
    if options.quick {
        command.arg("--quick");
    }
    if let Some(addr) = options.latency_server {
        command.arg("--latency-server").arg(addr.to_string());
    }
    if let Some(filter) = &options.filter {
        // After `--`, a filter that starts with `-` is still a filter.
        command.arg("--").arg(filter);
    }

    let python = options.python.to_string_lossy();
    let limit = options.limit();
    let ran = match interpreter::run(command, limit, options.progress) {
        Ok(ran) => ran,
        Err(err) => return Ok(Outcome::Skipped { reason: not_started(&python, &err) }),
    };
    let last_words = || match ran.stderr_tail.iter().rev().take(3).collect::<Vec<_>>() {
        lines if lines.is_empty() => String::new(),
        lines => {
            let lines: Vec<&str> = lines.into_iter().rev().map(String::as_str).collect();
            format!("; it said: {}", lines.join(" | "))
        }
    };
    match ran.ending {
        Ending::Killed => Ok(Outcome::Skipped {
            reason: format!(
                "{python} ran the peers past their {} s time limit and was killed, with its worker processes \
                 (a hung multiprocessing pool is the usual cause){}",
                limit.as_secs_f64(),
                last_words()
            ),
        }),
        Ending::Exited(status) if !status.success() => Ok(Outcome::Skipped {
            reason: format!("{python} {} failed ({status}){}", script_name(&script), last_words()),
        }),
        Ending::Exited(_) => Ok(match Peers::read(&out) {
            Ok(document) => Outcome::Measured(Box::new(document)),
            Err(err) => Outcome::Skipped { reason: format!("{python} ran the peers, but {err}") },
        }),
    }
}

fn not_started(python: &str, err: &std::io::Error) -> String {
    let what = if python.contains('/') { python.to_owned() } else { format!("{python} on PATH") };
    match err.kind() {
        std::io::ErrorKind::NotFound => format!(
            "{what} not found; install Python 3.8 or later, name an interpreter with {PYTHON_VAR}=/path/to/python3, \
             or set {PYTHON_VAR}=0 to leave the peers out"
        ),
        _ => format!(
            "cannot start {what}: {err}; name another interpreter with {PYTHON_VAR}, or set {PYTHON_VAR}=0"
        ),
    }
}

fn script_name(script: &Path) -> String {
    script.file_name().map_or_else(String::new, |name| name.to_string_lossy().into_owned())
}
