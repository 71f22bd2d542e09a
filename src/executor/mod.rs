//! Executors: one [`Executor`] trait, one implementation per way of running tasks.
//!
//! | executor | what it is | Python's counterpart |
//! |---|---|---|
//! | [`Sequential`] | a plain loop on the calling thread: the floor every pool must beat | a `for` loop |
//! | [`RayonPool`] | a dedicated rayon pool of `n` work-stealing threads | none (the GIL) |
//! | [`StdPool`] | `n` std threads sharing one job queue | `ThreadPoolExecutor(n)` |
//! | [`ScopedThreads`] | a fresh scoped thread per chunk, `n` at a time: no pool | `Thread(target=...)` per task |
//! | [`TokioPool`] | a Tokio runtime of `n` workers: async tasks, or `spawn_blocking` | `asyncio` |
//! | [`ProcessPool`] | `n` persistent worker processes fed from one queue | `multiprocessing.Pool(n)` |
//! | [`SpawnPerTask`] | a fresh worker process per chunk, `n` at a time | `Process(target=...)` per task |
//!
//! Every executor returns results in input order, turns a panicking task into an [`Error`] that
//! names the task, and stays usable afterwards. The process executors run the workloads
//! registered with [`poolbench::remote!`](crate::remote) (serializable, with serializable inputs
//! and outputs) and say at [`prepare`](Executor::prepare) that they cannot run any other; their
//! errors say which worker died and how.
//!
//! [`Executor::prepare`] sets a workload up on every worker (its [`setup`](Workload::setup),
//! once per thread or process) and returns a [`Prepared`] map, which is what a benchmark times;
//! [`Executor::map`] prepares and maps in one call.
//!
//! Thread pools hand out work in chunks, by the rule of Python's `Pool.map`: see [`Chunking`].

mod chunking;
mod error;
mod kind;
mod prepared;
pub mod process;
mod rayon_pool;
mod scoped;
mod sequential;
pub(crate) mod spin;
mod std_pool;
mod tokio_pool;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use chunking::Chunking;
pub use error::Error;
pub use kind::{AnyExecutor, ExecutorKind};
pub use prepared::{Prepared, PreparedMap};
pub use process::{Codec, ProcessPool, ProcessPoolBuilder, SpawnPerTask};
pub use rayon_pool::RayonPool;
pub use scoped::ScopedThreads;
pub use sequential::Sequential;
pub use std_pool::{StdPool, ThreadStart};
pub use tokio_pool::TokioPool;

use crate::workload::Workload;

/// Runs a workload over a slice of inputs.
pub trait Executor {
    /// Which kind of executor this is.
    fn kind(&self) -> ExecutorKind;

    /// How many tasks can run at once: the pool size, 1 for [`Sequential`].
    fn size(&self) -> usize;

    /// Sets `workload` up on every worker, once, and returns the map that runs it there.
    ///
    /// # Errors
    ///
    /// A worker whose [`setup`](Workload::setup) failed, named with the reason; for the process
    /// executors, a workload they cannot run (one not registered with
    /// [`poolbench::remote!`](crate::remote)), or a worker that could not be reached.
    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error>;

    /// Runs `workload` on every input and returns each task's own result, in input order: a
    /// [`prepare`](Executor::prepare) (whose failure fails every task) and a map. The process
    /// executors skip the prepare's round of messages to their workers: each worker sets the
    /// workload up on its first chunk of it, and a set-up that fails fails that chunk's tasks.
    ///
    /// One task's failure does not stop the others: every task runs, and reports.
    fn map_each<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        match self.prepare(workload) {
            Ok(prepared) => prepared.map_each(inputs),
            Err(error) => inputs.iter().map(|_| Err(error.clone())).collect(),
        }
    }

    /// Runs `workload` on every input and returns the outputs in input order.
    ///
    /// # Errors
    ///
    /// The first failed task's error, in input order (every task still ran).
    fn map<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Result<Vec<W::Output>, Error> {
        self.map_each(workload, inputs).into_iter().collect()
    }
}

/// Runs one task on the calling thread: a workload error or a panic becomes an [`Error`] naming
/// the task by its index in the inputs. What an executor of your own calls for each task, as the
/// built-in thread executors do (`examples/own-executor`).
///
/// ```
/// use poolbench::executor::run_task;
/// use poolbench::workload::Squares;
///
/// assert_eq!(run_task(&Squares, &(), 0, &7).unwrap(), 49);
/// ```
///
/// # Errors
///
/// The task's own error, or its panic's message, as [`Error`]s naming task `index`.
pub fn run_task<W: Workload>(
    workload: &W,
    state: &W::State,
    index: usize,
    input: &W::Input,
) -> Result<W::Output, Error> {
    match catch_unwind(AssertUnwindSafe(|| workload.run(state, input))) {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(err)) => Err(Error::failed(index, err)),
        Err(payload) => Err(Error::panicked(index, panic_message(payload.as_ref()))),
    }
}

/// Runs a chunk of tasks on the calling thread, each through [`run_task`], numbering them from
/// `first` (the chunk's first task's index in the map's inputs): what a chunked executor of your
/// own runs in each job.
pub fn run_chunk<W: Workload>(
    workload: &W,
    state: &W::State,
    first: usize,
    chunk: &[W::Input],
) -> Vec<Result<W::Output, Error>> {
    chunk.iter().enumerate().map(|(offset, input)| run_task(workload, state, first + offset, input)).collect()
}

/// Refuses a size of 0 for the executor `needs` names, with what it needs at least 1 of ("a
/// RayonPool needs at least 1 thread"): every executor's constructor says it the same way.
pub(crate) fn check_size(size: usize, needs: &str) -> Result<(), Error> {
    if size == 0 {
        return Err(Error::invalid_config(format!("{needs}; got a size of 0")));
    }
    Ok(())
}

/// Runs `workload`'s [`setup`](Workload::setup) for the worker `worker` names ("thread 2 of a
/// RayonPool of 4"), a panic included: what an executor of your own calls once per worker (or
/// once, for a state its workers share) in [`prepare`](Executor::prepare).
///
/// # Errors
///
/// The set-up failed or panicked: an [`Error`] naming the worker, the workload and why.
pub fn set_up<W: Workload>(workload: &W, worker: impl FnOnce() -> String) -> Result<W::State, Error> {
    try_set_up(workload).map_err(|failure| {
        Error::setup_failed(worker(), format!("could not set up workload {}: {failure}", workload.name()))
    })
}

/// [`set_up`] for each of `workers` threads, `worker(i)` naming thread `i`: a pool whose threads
/// each hold a state of their own.
pub(crate) fn set_up_each<W: Workload>(
    workload: &W,
    workers: usize,
    worker: impl Fn(usize) -> String,
) -> Result<Vec<W::State>, Error> {
    (0..workers).map(|thread| set_up(workload, || worker(thread))).collect()
}

/// Runs `workload`'s set-up, a panic included; the failure in words (the workload's error, or
/// "panicked: ..."), for a thread executor's [`Error`] and for a worker process's reply alike.
pub(crate) fn try_set_up<W: Workload>(workload: &W) -> Result<W::State, String> {
    match catch_unwind(AssertUnwindSafe(|| workload.setup())) {
        Ok(Ok(state)) => Ok(state),
        Ok(Err(err)) => Err(err.to_string()),
        Err(payload) => Err(format!("panicked: {}", panic_message(payload.as_ref()))),
    }
}

/// The message of a panic payload: `panic!` gives a `&str` or a `String`.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}
