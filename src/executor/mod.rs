//! Executors: one [`Executor`] trait, one implementation per way of running tasks.
//!
//! | executor | what it is | Python's counterpart |
//! |---|---|---|
//! | [`Sequential`] | a plain loop on the calling thread: the floor every pool must beat | a `for` loop |
//! | [`RayonPool`] | a dedicated rayon pool of `n` work-stealing threads | none (the GIL) |
//! | [`StdPool`] | `n` std threads sharing one job queue | `ThreadPoolExecutor(n)` |
//! | [`ProcessPool`] | `n` persistent worker processes fed from one queue | `multiprocessing.Pool(n)` |
//! | [`SpawnPerTask`] | a fresh worker process per chunk, `n` at a time | `Process(target=...)` per task |
//!
//! Every executor returns results in input order, turns a panicking task into an [`Error`] that
//! names the task, and stays usable afterwards. Inputs and outputs are serializable (the
//! [`Workload`] trait demands it) so that executors whose workers are other processes can sit
//! behind the same trait; their errors say which worker died and how.
//!
//! Thread pools hand out work in chunks, by the rule of Python's `Pool.map`: see [`Chunking`].

mod chunking;
mod error;
mod kind;
pub mod process;
mod rayon_pool;
mod sequential;
mod std_pool;

use std::panic::{AssertUnwindSafe, catch_unwind};

pub use chunking::Chunking;
pub use error::Error;
pub use kind::{AnyExecutor, ExecutorKind};
pub use process::{Codec, ProcessPool, ProcessPoolBuilder, SpawnPerTask};
pub use rayon_pool::RayonPool;
pub use sequential::Sequential;
pub use std_pool::StdPool;

use crate::workload::Workload;

/// Runs a workload over a slice of inputs.
pub trait Executor {
    /// Which kind of executor this is.
    fn kind(&self) -> ExecutorKind;

    /// How many tasks can run at once: the pool size, 1 for [`Sequential`].
    fn size(&self) -> usize;

    /// Runs `workload` on every input and returns each task's own result, in input order.
    ///
    /// One task's failure does not stop the others: every task runs, and reports.
    fn map_each<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>>;

    /// Runs `workload` on every input and returns the outputs in input order.
    ///
    /// # Errors
    ///
    /// The first failed task's error, in input order (every task still ran).
    fn map<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Result<Vec<W::Output>, Error> {
        self.map_each(workload, inputs).into_iter().collect()
    }
}

/// Runs one task in this process: a workload error or a panic becomes an [`Error`] naming the
/// task by its index in the inputs.
pub(crate) fn run_task<W: Workload>(
    workload: &W,
    index: usize,
    input: &W::Input,
) -> Result<W::Output, Error> {
    match catch_unwind(AssertUnwindSafe(|| workload.run(input))) {
        Ok(Ok(output)) => Ok(output),
        Ok(Err(err)) => Err(Error::failed(index, err)),
        Err(payload) => Err(Error::panicked(index, panic_message(payload.as_ref()))),
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
