//! A fresh thread per chunk, `n` at a time: the thread counterpart of [`SpawnPerTask`], the
//! baseline that shows what a thread pool buys.
//!
//! Each map splits its inputs into chunks by the pools' rule ([`Chunking`]), and starts one
//! `std::thread::scope` thread per chunk, at most `size` alive at once (the oldest is joined
//! before the next starts). A thread is a fresh worker: it sets the workload up, runs its chunk
//! and ends, so a map pays a thread start and a set-up per chunk where a pool pays them once.
//!
//! [`SpawnPerTask`]: super::SpawnPerTask

use std::collections::VecDeque;

use super::prepared::{Prepared, PreparedMap};
use super::{Chunking, Error, Executor, ExecutorKind, check_size, run_chunk, set_up};
use crate::workload::Workload;

/// A fresh scoped thread per chunk, `size` at a time; no thread outlives a map.
///
/// ```
/// use poolbench::{Executor, ScopedThreads, Sequential, workload::Factorial};
///
/// let inputs: Vec<u32> = (1..=10).collect();
/// let threads = ScopedThreads::new(4)?;
/// assert_eq!(threads.map(&Factorial, &inputs)?, Sequential.map(&Factorial, &inputs)?);
/// # Ok::<(), poolbench::executor::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ScopedThreads {
    size: usize,
    chunking: Chunking,
}

impl ScopedThreads {
    /// At most `size` threads at once.
    ///
    /// # Errors
    ///
    /// A size of 0.
    pub fn new(size: usize) -> Result<Self, Error> {
        check_size(size, "ScopedThreads needs at least 1 thread at a time")?;
        Ok(ScopedThreads { size, chunking: Chunking::Auto })
    }

    /// How inputs are split into chunks. Default: [`Chunking::Auto`].
    #[must_use]
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }
}

impl Executor for ScopedThreads {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::ScopedThreads
    }

    fn size(&self) -> usize {
        self.size
    }

    /// Nothing is set up ahead: every thread is a fresh worker that sets the workload up for its
    /// own chunk, which is what this executor is there to show.
    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        Ok(Prepared::new(
            ExecutorKind::ScopedThreads,
            self.size,
            Fresh { threads: self, workload: workload.clone() },
        ))
    }
}

struct Fresh<'t, W: Workload> {
    threads: &'t ScopedThreads,
    workload: W,
}

impl<W: Workload> PreparedMap<W> for Fresh<'_, W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let size = self.threads.size;
        let chunk_len = self.threads.chunking.chunk_len(inputs.len(), size).max(1);
        let workload = &self.workload;
        let mut results: Vec<Result<W::Output, Error>> = Vec::with_capacity(inputs.len());
        std::thread::scope(|scope| {
            let mut running = VecDeque::with_capacity(size);
            let mut finished = Vec::with_capacity(inputs.len().div_ceil(chunk_len));
            for (number, chunk) in inputs.chunks(chunk_len).enumerate() {
                if running.len() == size {
                    finished.push(join(running.pop_front().expect("a thread is running")));
                }
                let first = number * chunk_len;
                let spawned = std::thread::Builder::new()
                    .name(format!("poolbench-scoped-{number}"))
                    .spawn_scoped(scope, move || fresh_thread(workload, first, chunk, size));
                running.push_back((first, chunk.len(), spawned));
            }
            finished.extend(running.into_iter().map(join));
            for chunk in finished {
                results.extend(chunk);
            }
        });
        results
    }
}

type Running<'scope, O> =
    (usize, usize, std::io::Result<std::thread::ScopedJoinHandle<'scope, Vec<Result<O, Error>>>>);

/// A chunk's results, or an error for each of its tasks when its thread did not start or panicked
/// outside a task (its set-up's panic is caught and reported as a set-up failure).
fn join<O>((first, len, spawned): Running<'_, O>) -> Vec<Result<O, Error>> {
    let failure = match spawned {
        Ok(handle) => match handle.join() {
            Ok(results) => return results,
            Err(payload) => format!("the thread panicked: {}", super::panic_message(payload.as_ref())),
        },
        Err(err) => format!("cannot start a thread: {err}"),
    };
    (first..first + len).map(|task| Err(Error::worker(None, format!("task {task}: {failure}")))).collect()
}

/// A fresh worker's life: set up, run the chunk (tasks numbered from `first`), end.
fn fresh_thread<W: Workload>(
    workload: &W,
    first: usize,
    chunk: &[W::Input],
    size: usize,
) -> Vec<Result<W::Output, Error>> {
    let state = match set_up(workload, || format!("a fresh thread of a ScopedThreads of {size}")) {
        Ok(state) => state,
        Err(error) => return chunk.iter().map(|_| Err(error.clone())).collect(),
    };
    run_chunk(workload, &state, first, chunk)
}
