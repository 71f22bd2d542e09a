//! rayon, on a pool of its own.

use rayon::prelude::*;

use super::{Chunking, Error, Executor, ExecutorKind, run_task};
use crate::workload::Workload;

/// A dedicated rayon pool of `size` work-stealing threads.
///
/// Never rayon's global pool: Criterion runs its own statistics there, and a benchmark that
/// shared it would measure Criterion too. Tasks are split no finer than the [`Chunking`] rule,
/// and rayon's work stealing balances the rest. Dropping the pool stops its threads.
#[derive(Debug)]
pub struct RayonPool {
    pool: rayon::ThreadPool,
    size: usize,
    chunking: Chunking,
}

impl RayonPool {
    /// Starts a pool of `size` threads with [`Chunking::Auto`].
    ///
    /// # Errors
    ///
    /// `size` is 0, or the threads could not be started.
    pub fn new(size: usize) -> Result<Self, Error> {
        if size == 0 {
            return Err(Error::invalid_config("a RayonPool needs at least 1 thread; got a size of 0"));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(size)
            .thread_name(|index| format!("poolbench-rayon-{index}"))
            .build()
            .map_err(|err| {
                Error::worker(None, format!("cannot start a rayon pool of {size} threads: {err}"))
            })?;
        Ok(RayonPool { pool, size, chunking: Chunking::Auto })
    }

    /// The same pool with another chunking rule (default: [`Chunking::Auto`]).
    #[must_use]
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }
}

impl Executor for RayonPool {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::Rayon
    }

    fn size(&self) -> usize {
        self.size
    }

    fn map_each<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let min_len = self.chunking.chunk_len(inputs.len(), self.size);
        self.pool.install(|| {
            inputs
                .par_iter()
                .enumerate()
                .with_min_len(min_len)
                .map(|(index, input)| run_task(workload, index, input))
                .collect()
        })
    }
}
