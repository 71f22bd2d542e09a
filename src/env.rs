//! The environment variables poolbench reads, each named once.
//!
//! | variable | read by | what it does |
//! |---|---|---|
//! | [`SIZES`] | the suites, the peers | the pool sizes to sweep, `2,4,8` unless set; `auto` adds the usable cores and twice them |
//! | [`PYTHON`] | the peers | `0` (or `off`, `false`, `no`) leaves the Python peers out; any other value names the interpreter |
//! | [`WORKER`] | the process executors | the worker program (of the same build), instead of the running program itself |
//! | [`SERVE`] | [`bench::Main`](crate::bench::Main) | serve mode: the one benchmark id to set up and time on request ([`bench::serve`](crate::bench::serve)) |
//! | [`INJECT_SLOWDOWN`] | [`CpuSpin`](crate::workload::CpuSpin) | a test-only factor that makes cpu-spin tasks slower, to show the gate catches it |
//! | [`MEMORY`] | [`bench::Group`](crate::bench::Group) | `0` (or `off`, `false`, `no`) leaves out the memory of each configuration (`reports/README.md`, "Memory") |
//! | [`ROUNDS_BUDGET`] | [`Sweep`](crate::bench::Sweep)'s rounds | the seconds a group's interleaved rounds may take where the sweep does not set its own; `0` measures none |
//! | [`MAX_DISTURBANCE`] | [`Sweep`](crate::bench::Sweep)'s rounds | the share of the machine other programs may take in a round before it is dropped; `1` keeps every round |

/// The pool sizes to sweep: comma-separated, e.g. `1,2,4,8,16`; or `auto`, which adds the cores
/// this process may use and twice them to 2, 4 and 8 ([`auto_sizes`](crate::bench::auto_sizes)).
pub const SIZES: &str = "POOLBENCH_SIZES";

/// The Python peers' interpreter, or `0` to leave them out.
pub const PYTHON: &str = "POOLBENCH_PYTHON";

/// The worker program of the process executors, instead of the running program itself.
pub const WORKER: &str = "POOLBENCH_WORKER";

/// The test-only slowdown factor of cpu-spin tasks.
pub const INJECT_SLOWDOWN: &str = "POOLBENCH_INJECT_SLOWDOWN";

/// The seconds a group's interleaved rounds may take (`reports/README.md`, "Paired rounds"),
/// where a sweep does not set its own budget: more buys narrower intervals and a steadier
/// answer, `0` measures no rounds. Default: 8 ([`DEFAULT_ROUNDS_BUDGET`](crate::bench::DEFAULT_ROUNDS_BUDGET)).
pub const ROUNDS_BUDGET: &str = "POOLBENCH_ROUNDS_BUDGET";

/// The share of the machine (0 to 1) other programs may take during a sweep's round before the
/// round is dropped and measured again; `1` keeps every round (a machine busy with other work
/// on purpose). Default: the quiet machine's threshold, 0.15.
pub const MAX_DISTURBANCE: &str = "POOLBENCH_MAX_DISTURBANCE";

/// `0` (or `off`, `false`, `no`) to leave out the memory samples around each benchmark: what the
/// paired comparison of sampling on and off runs.
pub const MEMORY: &str = "POOLBENCH_MEMORY";

/// Serve mode's benchmark id: a bench binary set up for that benchmark only, timed on request.
pub const SERVE: &str = "POOLBENCH_SERVE";
