//! Benchmark your own code: the sweep API a crate's Criterion bench calls, and poolbench's own
//! suites call too.
//!
//! A bench target with `harness = false` sweeps its workload across Sequential, Rayon, StdPool,
//! ProcessPool and SpawnPerTask at pool sizes 2, 4 and 8 (`POOLBENCH_SIZES` to change them), as
//! benchmarks `<group>/<executor>/<size>`, and ends by writing the pool-size report:
//!
//! ```no_run
//! use criterion::Criterion;
//! use poolbench::bench::Sweep;
//! use poolbench::workload::CpuSpin;
//!
//! fn primes(c: &mut Criterion) {
//!     Sweep::new("mine/primes", &CpuSpin, &[20_000; 16]).run(c);
//! }
//!
//! poolbench::main!(primes);
//! ```
//!
//! - [`Sweep`]: one workload on every executor and size, each answer checked against Sequential
//!   once before it is timed, each pool started outside the timed routine and stopped after its
//!   benchmark, so only one is alive at a time. Listing (`--list`) and benchmarks a filter leaves
//!   out start nothing.
//! - [`Group`]: the same lazy set-up for benchmarks that are not a sweep (the floors, the
//!   primitives of the sync suite), with [`timed`] to turn work into the routine Criterion times.
//! - [`Main`] and [`poolbench::main!`](crate::main): the bench's `main`: one [`Criterion`]
//!   configured by [`config`] and the command line, a line on stderr as each group ends with how
//!   far the run is (`progress.rs`), the benchmarks judged disturbed measured again
//!   (`remeasure.rs`), then the report of what it measured (`target/poolbench/latest/` unless
//!   told otherwise) and a line of history.
//! - Whether the machine was quiet: every benchmark of a [`Group`] or a [`Sweep`] has the
//!   machine's load measured around its warm-up and measurement, and written beside Criterion's
//!   files (`poolbench-load/<id>.json`, `record.rs`): the benchmark's own CPU time and its worker
//!   processes', the machine's busy and steal time. It is *disturbed* when other programs and the
//!   hypervisor took more than [`DISTURBANCE_THRESHOLD`] of the cores it could have used.
//! - [`parse_sizes`], [`sizes_from_env`], [`MAX_SIZE`]: pool sizes, bounded and checked up front.
//! - [`serve`]: serve mode (`POOLBENCH_SERVE=<id>`): any benchmark of a bench built on [`Main`],
//!   set up once and timed on request over a pipe, which is how `poolbench gate` times a base and
//!   a head build in alternating slots; its protocol is specified there.
//!
//! [`Criterion`]: criterion::Criterion

mod args;
mod group;
mod interleave;
mod main;
mod progress;
mod record;
mod remeasure;
mod run;
pub mod serve;
mod sizes;
mod sweep;

use std::path::PathBuf;
use std::sync::OnceLock;

pub use args::BenchArgs;
pub use group::{Group, SetupError, timed};
pub use interleave::{DEFAULT_ROUNDS_BUDGET, MAX_ROUNDS_BUDGET, MAX_WORKERS_ALIVE};
pub use main::{Error, Main, config};
pub use sizes::{AUTO, DEFAULT_SIZES, MAX_SIZE, auto_sizes, crossover_sizes, parse_sizes, sizes_from_env};
pub use sweep::{Sweep, check, expected_answer};

pub use crate::load::DISTURBANCE_THRESHOLD;

/// Criterion's output directory, found once per process (finding it may run `cargo metadata`).
pub(crate) fn criterion_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(crate::criterion::default_criterion_dir).clone()
}

/// A bench binary's `main`: runs each target (a `fn(&mut Criterion)`) with one Criterion, then
/// writes the pool-size report; what [`Main::run`] does. It also makes the binary its own
/// worker process ([`poolbench::worker_entry!`](crate::worker_entry)), so the process pools run
/// the bench's own workloads.
///
/// ```no_run
/// # use criterion::Criterion;
/// # fn parse(_: &mut Criterion) {}
/// # fn hash(_: &mut Criterion) {}
/// poolbench::main!(parse, hash);
/// ```
///
/// With settings other than [`Main::new`]'s:
///
/// ```no_run
/// # use criterion::Criterion;
/// # fn parse(_: &mut Criterion) {}
/// poolbench::main! {
///     config = poolbench::bench::Main::new().report_dir("reports/latest");
///     targets = parse
/// }
/// ```
#[macro_export]
macro_rules! main {
    (config = $main:expr; targets = $($target:path),+ $(,)?) => {
        $crate::worker_entry!();

        fn main() -> ::std::process::ExitCode {
            $crate::bench::Main::main($main, &[$($target),+])
        }
    };
    ($($target:path),+ $(,)?) => {
        $crate::main! { config = $crate::bench::Main::new(); targets = $($target),+ }
    };
}
