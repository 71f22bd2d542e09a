//! Process executors: a real process pool, and the spawn-per-task baseline that shows what
//! pooling buys.
//!
//! # Lifecycle
//!
//! A [`ProcessPool`] starts all its workers up front. A worker is the pool's own program again
//! (procspawn's approach; never the benchmark process forked: it is multi-threaded and large):
//! by default forked by a fork server ([`WorkerStart::Fork`], `zygote.rs`), a small
//! single-threaded copy of the program executed once per process in that role, which forks each
//! worker in about a fifth of an exec's time; or, with [`WorkerStart::Exec`], the program
//! executed once per worker. The first pool of a process pays for the server's exec; the others
//! only for forks. Either way the program's [`poolbench::main!`](crate::main) or
//! [`poolbench::worker_entry!`](crate::worker_entry) sees the role in its environment
//! (`POOLBENCH_ROLE`) and turns it into a worker (or the server) before anything else runs. So a worker has the program's own types, and runs
//! any workload registered with [`poolbench::remote!`](crate::remote) (poolbench's own are).
//! [`build`](ProcessPoolBuilder::build) asks for every worker before it waits for any (the
//! server forks them back to back) and returns once each has sent its versioned hello, which
//! carries the identity of its build: a worker of another build is refused. Workers are reused
//! for every map until the pool is dropped.
//!
//! Waiting spins, then blocks (`spin.rs`): on a VM that halts idle vCPUs, waking a blocked
//! process costs tens of microseconds, more than a small task. The pool's event loop polls its
//! workers' pipes without blocking for up to 50 µs before it blocks, when a worker computes and
//! the others computing leave a core free; a worker whose request was a map's last chunk, sent
//! with a core free, spins the same way for its next request (the RUN says so). A pool at rest
//! uses no CPU. [`prepare`](Executor::prepare) sets the
//! workload up in every worker (its [`setup`](crate::Workload::setup), once per worker) and says
//! which worker could not; a replacement worker sets it up before its first task. Another worker
//! program can be named with [`ProcessPoolBuilder::worker_program`] or `$POOLBENCH_WORKER`, as
//! long as it is of the same build.
//!
//! # Faults
//!
//! - A task that panics or fails returns an error carrying the message; the worker goes on.
//! - A worker that dies (a signal, an abort, an exit) loses only the task it was running: that
//!   task fails with an error naming the worker's pid and how it ended (or is retried, with
//!   [`retries`](ProcessPoolBuilder::retries)); the worker is reaped and replaced and the pool
//!   returns to full size. Python's `multiprocessing.Pool` hangs forever here; its
//!   `ProcessPoolExecutor` fails every pending task and refuses new work.
//! - With a [`task_timeout`](ProcessPoolBuilder::task_timeout), a task that runs too long has
//!   its worker killed and replaced, and fails with a timeout error. The timeout is per task,
//!   however long the chunk: the worker then sends each result as its task ends, so a worker
//!   that makes no progress for the timeout is hung, and the tasks of its chunk that finished
//!   keep their results.
//! - A worker that fails to start (it dies before its hello, or stays silent) is started again
//!   after a wait that doubles from 5 ms to 1 s, for as long as the
//!   [`startup_timeout`](ProcessPoolBuilder::startup_timeout) from the first failed start. Only
//!   then does a map with no worker left fail its queued tasks, with an error saying how many
//!   starts failed, the last failure, and that the pool tries again when it is next used. A
//!   build fails the same way, or after three failed starts in a row, since a program that has
//!   never worked is probably broken; a program that cannot be executed or speaks another
//!   protocol version fails at once. The workers of one start share one deadline, counted from
//!   when they were asked for, fork and hello included. A fork server that crashes fails the
//!   start at once, with its exit status and the tail of its stderr; one that does not fork within
//!   the startup timeout is killed; either way it is reaped and its socket closed, and the next
//!   start starts another.
//! - A worker that breaks the protocol (garbage, an oversized frame) is killed; its tasks fail
//!   with an error saying so.
//! - A request over the frame limit ([`max_frame_len`](ProcessPoolBuilder::max_frame_len)) is
//!   not sent: its tasks fail with one error, shared by the chunk, that says what can help (a
//!   smaller chunk; for a chunk of one, a smaller input or the postcard codec). Results that ran
//!   always come back, in several frames if one cannot hold them; only a task whose own result
//!   is over the limit fails, with an error saying that it ran and what can help. Nothing a worker sends can make the pool panic or allocate more
//!   than its frame limit ([`max_frame_len`](ProcessPoolBuilder::max_frame_len), 64 MiB by
//!   default) per frame.
//! - Dropping the pool tells every worker to shut down and returns; a background thread waits
//!   up to the shutdown timeout, then kills and reaps: no zombies, no orphans, no wait. Forked
//!   workers are the fork server's children: it reaps them and reports how they ended, and the
//!   pool signals them through a pidfd, which names that process and no other. If the parent
//!   process dies, even by SIGKILL, its workers die with it, even stopped or mid-task: on Linux
//!   the kernel kills them (a parent-death signal: forked workers when the fork server dies, the
//!   server and executed workers when the pool's process dies); elsewhere a worker's watchdog
//!   thread sees its request pipe hang up. Since Linux
//!   sends that signal when the thread that started the process ends, the server and every
//!   executed worker are started from one thread that lives as long as the process, so a pool
//!   may be built on any thread. A fork server that dies is started again by the next start.
//!
//! The wire format is specified in [`protocol`]; the pool's side of the conversation with one
//! worker, which turns its frames into events, in `conversation.rs`; the event loop that drives
//! the workers and decides the fate of a lost worker's tasks in `dispatch.rs`.

mod build_id;
mod codec;
mod conversation;
mod dispatch;
mod fd_passing;
mod items;
mod ledger;
pub mod protocol;
pub(crate) mod reaper;
pub(crate) mod registry;
mod restart;
mod results;
pub(crate) mod role;
mod spawn;
mod spawn_per_task;
mod spawner;
mod stderr;
mod sys;
mod worker;
mod zygote;

use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

pub use codec::Codec;
pub use registry::Registration;
pub use spawn_per_task::SpawnPerTask;
pub use zygote::stop_fork_servers;

/// How a process executor starts its workers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WorkerStart {
    /// Forked by a fork server: a small single-threaded process, the program started once in
    /// that role for the whole process, which forks each worker. A worker is ready in about a
    /// fifth of the time an exec takes; the first pool of a process pays for the server's exec.
    #[default]
    Fork,
    /// The program executed once per worker: no server, each worker a fresh program.
    Exec,
}

use self::dispatch::{Config, Lifecycle, Workers};
use self::ledger::Job;
use self::protocol::{EncodeError, TaskFailure, Then};
use self::results::{Collected, NoOutput};
use super::prepared::{Prepared, PreparedMap};
use super::{Chunking, Error, Executor, ExecutorKind, check_size};
use crate::workload::Workload;

/// A pool of persistent worker processes fed from one task queue. See the [module
/// docs](self) for its lifecycle and how it handles faults.
///
/// ```no_run
/// use poolbench::{Executor, ProcessPool, workload::Squares};
///
/// let pool = ProcessPool::new(4)?;
/// let squares = pool.map(&Squares, &(1..=10).collect::<Vec<u32>>())?;
/// assert_eq!(squares, [1, 4, 9, 16, 25, 36, 49, 64, 81, 100]);
/// # Ok::<(), poolbench::executor::Error>(())
/// ```
#[derive(Debug)]
pub struct ProcessPool {
    workers: Mutex<Workers>,
}

/// Configures a [`ProcessPool`] or a [`SpawnPerTask`]. Every setter states its default.
#[derive(Debug, Clone)]
#[must_use]
pub struct ProcessPoolBuilder {
    size: Option<usize>,
    program: Option<PathBuf>,
    start: WorkerStart,
    codec: Codec,
    max_frame_len: usize,
    chunking: Chunking,
    task_timeout: Option<Duration>,
    retries: u32,
    max_in_flight: usize,
    startup_timeout: Duration,
    shutdown_timeout: Duration,
}

impl Default for ProcessPoolBuilder {
    fn default() -> Self {
        ProcessPoolBuilder {
            size: None,
            program: None,
            start: WorkerStart::Fork,
            codec: Codec::default(),
            max_frame_len: protocol::MAX_FRAME_LEN,
            chunking: Chunking::Auto,
            task_timeout: None,
            retries: 0,
            max_in_flight: 2,
            startup_timeout: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(1),
        }
    }
}

impl ProcessPoolBuilder {
    /// The number of worker processes. Default: the number of cores
    /// (`std::thread::available_parallelism`).
    pub fn size(mut self, size: usize) -> Self {
        self.size = Some(size);
        self
    }

    /// The worker program to execute, which must be of this build and serve as its own worker
    /// ([`poolbench::worker_entry!`](crate::worker_entry)). Default: `$POOLBENCH_WORKER`, else
    /// this program itself.
    pub fn worker_program(mut self, program: impl Into<PathBuf>) -> Self {
        self.program = Some(program.into());
        self
    }

    /// How workers are started: forked by the fork server, or each executed. Default:
    /// [`WorkerStart::Fork`], the faster.
    pub fn start(mut self, start: WorkerStart) -> Self {
        self.start = start;
        self
    }

    /// The payload format on the pipes. Default: [`Codec::Postcard`], the faster.
    pub fn codec(mut self, codec: Codec) -> Self {
        self.codec = codec;
        self
    }

    /// The longest frame either side of the pipes accepts, in bytes: a request (a chunk's
    /// inputs) longer than this fails its tasks unsent, a task whose own result is longer fails
    /// (results that fit one by one come back in several frames), and a worker announcing a
    /// longer frame is killed before the pool allocates it. From [`MIN_FRAME_LEN`](protocol::MIN_FRAME_LEN)
    /// (64 KiB) to `u32::MAX` (the length is a 32-bit number). Default:
    /// [`MAX_FRAME_LEN`](protocol::MAX_FRAME_LEN), 64 MiB.
    pub fn max_frame_len(mut self, bytes: usize) -> Self {
        self.max_frame_len = bytes;
        self
    }

    /// How many tasks go to a worker at once. Default: [`Chunking::Auto`], Python's rule.
    pub fn chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }

    /// The longest one task may run before its worker is killed and replaced and the task fails
    /// with a timeout: per task, whatever the chunk's length, since with a timeout set each
    /// worker sends every result as soon as its task ends, and the clock restarts with each. The
    /// tasks of the chunk that finished keep their results; those after the hung one go back to
    /// the queue. Streaming costs a small frame (and a write) per task, which is why it is only
    /// on with a timeout. Default: none (wait as long as it takes, as every other executor does).
    pub fn task_timeout(mut self, timeout: Duration) -> Self {
        self.task_timeout = Some(timeout);
        self
    }

    /// How many times a task whose worker died or timed out is run again before it fails.
    /// Default: 0.
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    /// How many requests a worker may hold unanswered: 2 lets it start the next chunk without
    /// waiting for a round trip. Default: 2. At least 1.
    pub fn max_in_flight(mut self, requests: usize) -> Self {
        self.max_in_flight = requests;
        self
    }

    /// How long a new worker may take to say hello, and how long the pool goes on starting
    /// workers while starts keep failing, counted from the first failed start: so a pool whose
    /// workers never say hello fails to build after this long, once, whatever its size, and a map
    /// whose pool has no worker left fails its queued tasks only after this long. Default: 10 s.
    pub fn startup_timeout(mut self, timeout: Duration) -> Self {
        self.startup_timeout = timeout;
        self
    }

    /// How long a dropped pool waits for its workers to exit before killing them. Default: 1 s.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    fn config(self, lifecycle: Lifecycle) -> Result<Config, Error> {
        let size = self.size.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
        let kind = match lifecycle {
            Lifecycle::Persistent => ExecutorKind::ProcessPool,
            Lifecycle::OnePerChunk => ExecutorKind::SpawnPerTask,
        };
        check_size(size, &format!("a {kind} needs at least 1 worker"))?;
        if self.max_in_flight == 0 {
            return Err(Error::invalid_config("max_in_flight must be at least 1; got 0"));
        }
        if !(protocol::MIN_FRAME_LEN..=u32::MAX as usize).contains(&self.max_frame_len) {
            return Err(Error::invalid_config(format!(
                "max_frame_len must be from {} to {} bytes (a 32-bit length); got {}",
                protocol::MIN_FRAME_LEN,
                u32::MAX,
                self.max_frame_len
            )));
        }
        let program = match self.program {
            Some(program) => program,
            None => spawn::find_worker_program()?,
        };
        Ok(Config {
            program,
            size,
            codec: self.codec,
            start: self.start,
            max_frame_len: self.max_frame_len,
            chunking: self.chunking,
            task_timeout: self.task_timeout,
            retries: self.retries,
            max_in_flight: self.max_in_flight,
            startup_timeout: self.startup_timeout,
            shutdown_timeout: self.shutdown_timeout,
            lifecycle,
        })
    }

    /// Starts the pool: every worker, in parallel; returns once all have said hello.
    ///
    /// # Errors
    ///
    /// A size of 0, a worker program that cannot be found or started, or a worker that does not
    /// say a valid hello in time; the error names the program and, where there was one, the
    /// pid and what the worker wrote to stderr.
    pub fn build(self) -> Result<ProcessPool, Error> {
        let workers = Workers::start(self.config(Lifecycle::Persistent)?)?;
        Ok(ProcessPool { workers: Mutex::new(workers) })
    }

    /// A [`SpawnPerTask`] executor with these settings (the timeouts, codec and chunking apply;
    /// each chunk gets a fresh worker, at most `size` at once).
    ///
    /// # Errors
    ///
    /// A size of 0, or a worker program that cannot be found.
    pub fn build_spawn_per_task(self) -> Result<SpawnPerTask, Error> {
        SpawnPerTask::build(self)
    }
}

impl ProcessPool {
    /// A pool of `size` workers with every other setting at its default.
    ///
    /// # Errors
    ///
    /// As [`ProcessPoolBuilder::build`].
    pub fn new(size: usize) -> Result<Self, Error> {
        Self::builder().size(size).build()
    }

    /// A builder, to set more than the size.
    pub fn builder() -> ProcessPoolBuilder {
        ProcessPoolBuilder::default()
    }

    fn workers(&self) -> MutexGuard<'_, Workers> {
        // The event loop does not panic; if a workload's Drop did, the pool's state is still whole.
        self.workers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The process ids of the workers, one per live worker: after any map, as many as the size,
    /// unless no worker could be started for the startup timeout (the pool tries again when it is
    /// next used).
    pub fn worker_pids(&self) -> Vec<u32> {
        self.workers().pids()
    }

    /// Each worker's pid and resident memory in bytes (`None` where `/proc` could not tell).
    pub fn worker_memory(&self) -> Vec<(u32, Option<u64>)> {
        self.workers().resident_bytes()
    }

    /// The worker program the pool executes.
    pub fn worker_program(&self) -> PathBuf {
        self.workers().config().program.clone()
    }
}

impl Executor for ProcessPool {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::ProcessPool
    }

    fn size(&self) -> usize {
        self.workers().config().size
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        prepare_on(&self.workers, ExecutorKind::ProcessPool, workload)
    }

    /// A map without [`prepare`](Executor::prepare)'s round of SETUP frames: a worker sets the
    /// workload up on its first chunk of it and keeps it set up, and a set-up that fails fails
    /// that chunk's tasks, saying why.
    fn map_each<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        map_unprepared(&self.workers, workload, inputs)
    }
}

/// Sets `workload` up on the workers of a process executor of `kind` (a SETUP frame each) and
/// returns the map that runs it there.
fn prepare_on<'a, W: Workload>(
    workers: &'a Mutex<Workers>,
    kind: ExecutorKind,
    workload: &W,
) -> Result<Prepared<'a, W>, Error> {
    let mut locked = workers.lock().unwrap_or_else(PoisonError::into_inner);
    let wire = Wire::of(workload, locked.config().codec)?;
    locked.setup_all(&wire.spec, workload.name())?;
    let size = locked.config().size;
    drop(locked);
    Ok(Prepared::new(kind, size, PooledMap { workers, wire }))
}

/// A map on the workers of a process executor without a round of SETUP frames first.
fn map_unprepared<W: Workload>(
    workers: &Mutex<Workers>,
    workload: &W,
    inputs: &[W::Input],
) -> Vec<Result<W::Output, Error>> {
    let mut workers = workers.lock().unwrap_or_else(PoisonError::into_inner);
    match Wire::of(workload, workers.config().codec) {
        Ok(wire) => run_on(&mut workers, &wire, inputs).into_each(),
        Err(error) => inputs.iter().map(|_| Err(error.clone())).collect(),
    }
}

/// A workload as it crosses the pipes: its registration and its spec.
struct Wire<W: Workload> {
    workload: W,
    registration: &'static registry::Registration,
    spec: Vec<u8>,
    decode: registry::DecodeResults<W::Output>,
}

impl<W: Workload> Wire<W> {
    /// `workload`'s registration and spec in `codec`.
    ///
    /// # Errors
    ///
    /// The workload is not registered (the message says how to register it), or its spec does not
    /// encode.
    fn of(workload: &W, codec: Codec) -> Result<Self, Error> {
        let registration = registry::find(workload).map_err(Error::invalid_config)?;
        let spec = registration.spec(workload, codec).map_err(|err| {
            Error::invalid_config(format!("cannot encode the workload {}: {err}", workload.name()))
        })?;
        let decode = registration.decoder::<W::Output>().ok_or_else(|| {
            Error::invalid_config(format!(
                "the registration {} is not for {}: a bug in the registry",
                registration.name(),
                std::any::type_name::<W>()
            ))
        })?;
        Ok(Wire { workload: workload.clone(), registration, spec, decode })
    }
}

/// A process executor's prepared map.
struct PooledMap<'p, W: Workload> {
    workers: &'p Mutex<Workers>,
    wire: Wire<W>,
}

impl<W: Workload> PreparedMap<W> for PooledMap<'_, W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let mut workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        run_on(&mut workers, &self.wire, inputs).into_each()
    }

    /// The outputs as each chunk's were decoded, without a `Result` per task (`results.rs`).
    fn map(&self, inputs: &[W::Input]) -> Result<Vec<W::Output>, Error> {
        let mut workers = self.workers.lock().unwrap_or_else(PoisonError::into_inner);
        run_on(&mut workers, &self.wire, inputs).into_outputs()
    }
}

/// Runs a map on a set of workers: shared by both process executors.
fn run_on<W: Workload>(workers: &mut Workers, wire: &Wire<W>, inputs: &[W::Input]) -> Collected<W::Output> {
    let mut job = MapJob::<W> {
        wire,
        inputs,
        codec: workers.config().codec,
        max_frame_len: workers.config().max_frame_len,
        results: Collected::new(inputs.len()),
    };
    if !inputs.is_empty() {
        workers.run(&mut job);
    }
    job.results
}

/// One map, typed: encodes inputs for the wire, decodes outputs from it.
struct MapJob<'a, W: Workload> {
    wire: &'a Wire<W>,
    inputs: &'a [W::Input],
    codec: Codec,
    max_frame_len: usize,
    results: Collected<W::Output>,
}

impl<W: Workload> Job for MapJob<'_, W> {
    fn len(&self) -> usize {
        self.inputs.len()
    }

    fn encode(
        &self,
        out: &mut Vec<u8>,
        request_id: u64,
        then: Then,
        tasks: Range<usize>,
    ) -> Result<(), EncodeError> {
        let (registration, codec, inputs) = (self.wire.registration, self.codec, &self.inputs[tasks]);
        let encode_inputs = |out: &mut Vec<u8>| registration.encode_inputs(inputs, codec, out);
        protocol::encode_run(out, request_id, then, &self.wire.spec, encode_inputs, self.max_frame_len)
    }

    fn accept(&mut self, tasks: Range<usize>, results: &[u8]) -> Result<(), String> {
        let (name, codec, max_frame_len) = (self.wire.workload.name(), self.codec, self.max_frame_len);
        let first = tasks.start;
        (self.wire.decode)(codec, results, tasks, &mut self.results, &mut |index, no_output| {
            let task = first + index;
            match no_output {
                NoOutput::Unreadable(err) => Error::worker(
                    None,
                    format!("task {task} ran, but its result does not deserialize here ({name}): {err}"),
                ),
                NoOutput::Failed(TaskFailure::Failed(err)) => Error::failed(task, err),
                NoOutput::Failed(TaskFailure::Panicked(message)) => Error::panicked(task, message),
                NoOutput::Failed(TaskFailure::InputUndecodable(err)) => Error::worker(
                    None,
                    format!(
                        "task {task} did not run: its input does not deserialize in the worker ({name}): {err}"
                    ),
                ),
                NoOutput::Failed(TaskFailure::ResultUnencodable(err)) => Error::worker(
                    None,
                    format!("task {task} ran, but its result does not serialize ({name}): {err}"),
                ),
                NoOutput::Failed(TaskFailure::ResultTooLarge { bytes }) => {
                    let hint = match codec {
                        Codec::Json => {
                            "use the postcard codec (more compact than json), make the output smaller, or raise \
                             ProcessPoolBuilder::max_frame_len"
                        }
                        Codec::Postcard => {
                            "make the output smaller, or raise ProcessPoolBuilder::max_frame_len"
                        }
                    };
                    Error::result_too_large(task, bytes, max_frame_len, hint)
                }
            }
        })
    }

    fn fail(&mut self, task: usize, error: Error) {
        self.results.failure(task, error);
    }
}
