//! poolbench: sequential, threads or processes, and how many?
//!
//! poolbench measures the same workloads on every kind of executor, at every pool size, in one
//! run, so that the choice between a thread pool, a process pool and a plain loop rests on numbers
//! from the machine at hand. The workloads come from a teaching notebook on Python concurrency
//! (factorials on a thread pool, squares on process pools of 2, 4 and 8, a producer/consumer list
//! under a lock); the Criterion suites in `benches/` time them.
//!
//! # The API
//!
//! What a crate that benchmarks its own code uses, and all poolbench promises to keep:
//!
//! - [`workload`]: the [`Workload`] trait (and [`AsyncWorkload`](workload::AsyncWorkload) for
//!   work that waits), and the notebook's workloads, each a pure function of a serializable input
//!   with an independent sequential reference, so any executor, including one in another
//!   process, can run it and be checked.
//! - [`executor`]: one [`Executor`] trait and its implementations, chosen by [`ExecutorKind`];
//!   [`Prepared`](executor::Prepared), [`PreparedMap`](executor::PreparedMap) and the helpers
//!   [`set_up`](executor::set_up), [`run_task`](executor::run_task) and
//!   [`run_chunk`](executor::run_chunk) for an executor of your own.
//! - [`bench`](mod@bench): the sweep a crate's Criterion bench calls ([`bench::Sweep`], [`bench::Main`]),
//!   and [`main!`], [`remote!`], [`worker_entry!`].
//! - [`env`](mod@env): every environment variable poolbench reads.
//!
//! # The tool
//!
//! The rest is the `poolbench` command's and `cargo bench`'s own machinery: public only so that
//! `src/bin/`, `benches/` and `tests/` reach it, hidden from these docs, and no part of the API
//! (it changes without notice). Where it lives:
//!
//! - `catalog`: every benchmark case `cargo bench` runs, by id. `schema`: the file formats
//!   (`summary.json`, the peers file, `history.jsonl`, rounds and load files), specified in
//!   `reports/README.md`. `criterion`: reading Criterion's output directory. `load` (private):
//!   the machine's load around each benchmark, and what the configuration holds in memory.
//!   `paired`: the paired rounds engine the sweep and the gate share.
//! - `peers`: the notebook's own Python programs, measured in the same run
//!   (`scripts/python_peers.py`). `report`: the pool-size report `cargo bench` writes at its end,
//!   as JSON, HTML and Markdown; `report::merge` puts several machines' reports side by side
//!   (`poolbench merge`): the best executor and pool size against the core count. `export`: a
//!   summary in Bencher's and github-action-benchmark's formats.
//! - `verdict`: the one verdict layer of `compare` and `gate` (verdicts, changes with their
//!   intervals, outcome and exit code, the table, Markdown and versioned JSON, the config file).
//!   `compare`: two saved runs in, a verdict per benchmark out (`poolbench compare`). `gate`: the
//!   regression gate (`poolbench gate --base REF`), base and head timed in interleaved pairs by
//!   their bench binaries' serve mode.
//!
//! ```
//! use poolbench::{Executor, Sequential, StdPool, workload::Factorial};
//!
//! let inputs: Vec<u32> = (1..=10).collect();
//! let pool = StdPool::new(4)?;
//! let pooled = pool.map(&Factorial, &inputs)?;
//! assert_eq!(pooled, Sequential.map(&Factorial, &inputs)?);
//! assert_eq!(pooled[9], 3_628_800u32.into());
//! # Ok::<(), poolbench::executor::Error>(())
//! ```
//!
//! # Errors
//!
//! Every error type in poolbench follows one rule, the Rust Error Handling project group's: an
//! error either writes its cause's message into its own or returns the cause from `source()`,
//! never both, or a chain printed with `{:#}` (anyhow's) shows the cause twice. poolbench writes
//! each message whole, its cause's text included, and returns no `source()`: benches and users
//! print errors with `{}` and must see the whole story. Where a caller may want the cause itself,
//! the error has an accessor for it, such as [`executor::Error::workload_error`].

#![deny(missing_docs)]

/// The plumbing of the crate's error rule (the crate docs, "Errors") for an opaque error type
/// `Error { kind: Box<ErrorKind> }` (or an `Arc`) whose kind is a `thiserror` enum: `Error::new`, `Display` as
/// the kind's, and a `source()` of `None`. The executors', the report's, the peers' and the
/// comparison's errors use it.
macro_rules! opaque_error {
    ($error:ident, $kind:ident) => {
        impl $error {
            fn new(kind: $kind) -> Self {
                $error { kind: kind.into() }
            }
        }

        impl std::fmt::Display for $error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.kind.fmt(f)
            }
        }

        impl std::error::Error for $error {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                None
            }
        }
    };
}

pub mod bench;
#[doc(hidden)]
pub mod catalog;
#[doc(hidden)]
pub mod compare;
#[doc(hidden)]
pub mod criterion;
pub mod env;
pub mod executor;
#[doc(hidden)]
pub mod export;
mod format;
mod fs;
#[doc(hidden)]
pub mod gate;
mod load;
#[doc(hidden)]
pub mod paired;
#[doc(hidden)]
pub mod peers;
#[doc(hidden)]
pub mod report;
#[doc(hidden)]
pub mod schema;
mod subsample;
#[doc(hidden)]
pub mod verdict;
pub mod workload;

/// Makes this program its own worker process: a process pool it starts runs this same program
/// again, which serves the pool instead of running `main`. [`poolbench::main!`](crate::main)
/// includes it; a test crate, an example or any other program that starts a process pool invokes
/// it once, at the top level of any module:
///
/// ```no_run
/// poolbench::worker_entry!();
/// ```
///
/// It runs from the program's initializers (ELF's `.init_array`), before `main` and before
/// libtest's, which is what lets a test binary serve as a worker too.
#[macro_export]
macro_rules! worker_entry {
    () => {
        const _: () = {
            extern "C" fn poolbench_worker_entry() {
                $crate::__private::worker_entry();
            }

            #[used]
            #[unsafe(link_section = ".init_array")]
            static POOLBENCH_WORKER_ENTRY: extern "C" fn() = poolbench_worker_entry;
        };
    };
}

/// Registers a workload type so that worker processes can run it: the type, its input and its
/// output must be serde-serializable. Put it beside the type, at the top level of a module:
///
/// ```
/// use poolbench::workload::{Workload, WorkloadError};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Clone, Serialize, Deserialize)]
/// struct WordCount;
///
/// impl Workload for WordCount {
///     type Input = String;
///     type Output = usize;
///     type State = ();
///
///     fn run(&self, (): &(), document: &String) -> Result<usize, WorkloadError> {
///         Ok(document.split_whitespace().count())
///     }
/// }
///
/// poolbench::remote!(WordCount);
/// ```
///
/// Workers know it by its path (`module_path!()` and the type), so two types never share a name.
#[macro_export]
macro_rules! remote {
    ($workload:ty) => {
        const _: () = {
            #[$crate::__private::linkme::distributed_slice($crate::__private::REMOTE_WORKLOADS)]
            #[linkme(crate = $crate::__private::linkme)]
            static POOLBENCH_REMOTE_WORKLOAD: $crate::__private::Registration =
                $crate::__private::Registration::of::<$workload>(concat!(
                    module_path!(),
                    "::",
                    stringify!($workload)
                ));
        };
    };
}

/// What the macros expand to; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::executor::process::registry::{REMOTE_WORKLOADS, Registration};
    pub use crate::executor::process::role::entry as worker_entry;
    pub use linkme;
}

pub use executor::{
    AnyExecutor, Chunking, Executor, ExecutorKind, ProcessPool, ProcessPoolBuilder, RayonPool, ScopedThreads,
    Sequential, SpawnPerTask, StdPool, TokioPool,
};
pub use workload::Workload;
