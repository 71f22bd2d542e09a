//! rayon, on a pool of its own.

use rayon::prelude::*;

use super::prepared::{Prepared, PreparedMap};
use super::{Chunking, Error, Executor, ExecutorKind, run_task, set_up};
use crate::workload::Workload;

/// A dedicated rayon pool of `size` work-stealing threads.
///
/// Never rayon's global pool: Criterion runs its own statistics there, and a benchmark that
/// shared it would measure Criterion too. Tasks are split no finer than the [`Chunking`] rule,
/// and rayon's work stealing balances the rest. [`prepare`](Executor::prepare) runs the
/// workload's set-up on every thread of the pool at once (`broadcast`), and each task gets the
/// state of the thread it runs on. Dropping the pool stops its threads.
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

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        let size = self.size;
        let states = self.pool.broadcast(|context| {
            let thread = context.index();
            set_up(workload, || format!("thread {thread} of a RayonPool of {size}"))
        });
        let states = states.into_iter().collect::<Result<Vec<_>, Error>>()?;
        let map = Stealing { pool: self, workload: workload.clone(), states };
        Ok(Prepared::new(ExecutorKind::Rayon, size, map))
    }
}

struct Stealing<'p, W: Workload> {
    pool: &'p RayonPool,
    workload: W,
    /// One per thread of the pool, by rayon's thread index.
    states: Vec<W::State>,
}

impl<W: Workload> PreparedMap<W> for Stealing<'_, W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let min_len = self.pool.chunking.chunk_len(inputs.len(), self.pool.size);
        self.pool.pool.install(|| {
            inputs
                .par_iter()
                .enumerate()
                .with_min_len(min_len)
                .map(|(index, input)| {
                    // Inside `install` every task runs on one of this pool's threads.
                    let thread = rayon::current_thread_index().unwrap_or(0);
                    run_task(&self.workload, &self.states[thread], index, input)
                })
                .collect()
        })
    }
}
