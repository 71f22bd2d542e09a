//! The `threadpool` crate's `ThreadPool` as a poolbench executor.
//!
//! A pool of this kind takes `'static` jobs and has no hook that runs on each of its threads, so
//! the workload is set up once, in [`prepare`](Executor::prepare), and its state shared by every
//! job through an [`Arc`]; the inputs go to the jobs in chunks, several per thread so that an
//! uneven chunk does not leave the others idle, and the results come back on a channel.

use std::sync::{Arc, mpsc};

use poolbench::executor::{Error, Prepared, PreparedMap, run_chunk, set_up};
use poolbench::workload::Workload;
use poolbench::{Executor, ExecutorKind};

/// How many chunks each thread gets in a map.
const CHUNKS_PER_THREAD: usize = 4;

/// A `threadpool::ThreadPool` of a fixed number of threads.
pub struct Threadpool {
    pool: threadpool::ThreadPool,
}

impl Threadpool {
    /// The name its benchmarks carry: `<group>/threadpool/<size>`.
    pub const NAME: &'static str = "threadpool";

    /// A pool of `size` threads.
    ///
    /// # Errors
    ///
    /// A size of 0 (the crate itself would panic on it).
    pub fn new(size: usize) -> Result<Self, Error> {
        if size == 0 {
            return Err(Error::invalid_config("a threadpool of 0 threads: give a size of at least 1"));
        }
        Ok(Threadpool {
            pool: threadpool::Builder::new().num_threads(size).thread_name("threadpool".into()).build(),
        })
    }
}

impl Executor for Threadpool {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::Custom(Self::NAME)
    }

    fn size(&self) -> usize {
        self.pool.max_count()
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        // Set up once, its state shared by every job; a failure or a panic names the workload.
        let state = set_up(workload, || "the caller of a threadpool".to_owned())?;
        let shared = Arc::new((workload.clone(), state));
        Ok(Prepared::new(self.kind(), self.size(), Mapped { pool: &self.pool, shared }))
    }
}

/// A map on the pool, the workload set up.
struct Mapped<'p, W: Workload> {
    pool: &'p threadpool::ThreadPool,
    shared: Arc<(W, W::State)>,
}

impl<W: Workload> PreparedMap<W> for Mapped<'_, W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let size = inputs.len().div_ceil(self.pool.max_count() * CHUNKS_PER_THREAD).max(1);
        let (send, receive) = mpsc::channel();
        for (number, chunk) in inputs.chunks(size).enumerate() {
            let (shared, chunk, send) = (Arc::clone(&self.shared), chunk.to_vec(), send.clone());
            let first = number * size;
            self.pool.execute(move || {
                let (workload, state) = &*shared;
                // Each task's error or panic becomes an error naming it, numbered in the inputs.
                let results = run_chunk(workload, state, first, &chunk);
                // The receiver is gone only if the caller has stopped waiting: nothing to tell.
                let _ = send.send((first, results));
            });
        }
        drop(send);
        let mut results: Vec<Option<Result<W::Output, Error>>> = inputs.iter().map(|_| None).collect();
        for (first, chunk) in receive {
            for (offset, result) in chunk.into_iter().enumerate() {
                results[first + offset] = Some(result);
            }
        }
        // Every task catches its own panic, so every chunk sends; a task whose chunk never came
        // back (a thread killed under it) is still an error naming it, never a missing result.
        results
            .into_iter()
            .enumerate()
            .map(|(task, result)| {
                result.unwrap_or_else(|| {
                    Err(Error::worker(None, format!("task {task}'s chunk never came back")))
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use poolbench::Sequential;
    use poolbench::workload::{Factorial, Fault, FaultAction};

    use super::*;
    use crate::{LongestChain, ranges};

    #[test]
    fn threadpool_gives_sequentials_answers_at_every_size() {
        let inputs = ranges(37, 300);
        let expected = Sequential.map(&LongestChain, &inputs).unwrap();
        for size in [1, 2, 4, 8] {
            assert_eq!(
                Threadpool::new(size).unwrap().map(&LongestChain, &inputs).unwrap(),
                expected,
                "size {size}"
            );
        }
        let numbers: Vec<u32> = (1..=50).collect();
        assert_eq!(
            Threadpool::new(3).unwrap().map(&Factorial, &numbers).unwrap(),
            Sequential.map(&Factorial, &numbers).unwrap()
        );
    }

    #[test]
    fn a_failing_or_panicking_task_is_an_error_naming_it_and_the_others_still_run() {
        let actions = vec![
            FaultAction::Return(1),
            FaultAction::Fail("disk full".into()),
            FaultAction::Return(3),
            FaultAction::Panic("boom".into()),
        ];
        let results = Threadpool::new(2).unwrap().map_each(&Fault, &actions);
        assert_eq!(results[0].as_ref().unwrap(), &1);
        assert_eq!(results[1].as_ref().unwrap_err().task(), Some(1));
        assert_eq!(results[2].as_ref().unwrap(), &3);
        assert_eq!(results[3].as_ref().unwrap_err().panic_message(), Some("boom"));
    }

    #[test]
    fn a_pool_of_no_threads_is_refused() {
        let err = Threadpool::new(0).err().expect("a pool of 0 threads is refused");
        assert!(err.to_string().contains("at least 1"), "{err}");
    }
}
