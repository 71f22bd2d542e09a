//! A Tokio multi-thread runtime of `n` workers: async beside threads and processes.
//!
//! Synchronous workloads run the way Tokio's documentation tells users to run blocking or
//! CPU-bound work: `spawn_blocking`, one call per chunk (the pools' chunking rule), on a blocking
//! pool capped at `n` threads (Tokio's default cap is 512: capped here so that a Tokio of 8 is
//! compared with pools of 8). [`AsyncWorkload`]s run natively: every input a task on the
//! runtime's `n` workers, all spawned at once, so that a few threads wait on many timers or
//! sockets. The caller waits on `block_on`.
//!
//! Each blocking thread of the `n` has its own set-up state, as a pool's worker does; an async
//! workload is set up once per runtime. A task that fails or panics becomes an [`Error`] naming
//! it, and the runtime serves the next map.

use std::sync::Arc;

use super::prepared::{Prepared, PreparedMap};
use super::{Chunking, Error, Executor, ExecutorKind, check_size, panic_message, run_chunk, set_up_each};
use crate::workload::{AsyncWorkload, Workload};

/// A Tokio runtime of `size` worker threads and at most `size` blocking threads.
///
/// ```
/// use poolbench::{Executor, Sequential, TokioPool, workload::Squares};
///
/// let inputs: Vec<u32> = (1..=10).collect();
/// let tokio = TokioPool::new(2)?;
/// assert_eq!(tokio.map(&Squares, &inputs)?, Sequential.map(&Squares, &inputs)?);
/// # Ok::<(), poolbench::executor::Error>(())
/// ```
#[derive(Debug)]
pub struct TokioPool {
    runtime: tokio::runtime::Runtime,
    size: usize,
    chunking: Chunking,
}

impl TokioPool {
    /// A runtime of `size` workers, its blocking pool capped at `size` threads.
    ///
    /// # Errors
    ///
    /// A size of 0, or a runtime that cannot start.
    pub fn new(size: usize) -> Result<Self, Error> {
        check_size(size, "a TokioPool needs at least 1 worker")?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(size)
            .max_blocking_threads(size)
            .thread_name("poolbench-tokio")
            .enable_all()
            .build()
            .map_err(|err| {
                Error::worker(None, format!("cannot start a Tokio runtime of {size} workers: {err}"))
            })?;
        Ok(TokioPool { runtime, size, chunking: Chunking::Auto })
    }

    /// How a synchronous map's inputs are split into `spawn_blocking` calls. Default:
    /// [`Chunking::Auto`].
    #[must_use]
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }

    /// Sets `workload` up once on the runtime and returns the map that runs each input as an
    /// async task, all at once; `W` is the synchronous workload whose inputs and outputs it
    /// shares, for [`Prepared`]'s type.
    ///
    /// # Errors
    ///
    /// The workload's [`setup`](AsyncWorkload::setup) failed, or panicked.
    pub fn prepare_async<W, A>(&self, workload: &A) -> Result<Prepared<'_, W>, Error>
    where
        W: Workload,
        A: AsyncWorkload<Input = W::Input, Output = W::Output>,
    {
        let setting_up = self.runtime.spawn({
            let workload = workload.clone();
            async move { workload.setup().await }
        });
        let state = match self.runtime.block_on(setting_up) {
            Ok(Ok(state)) => state,
            Ok(Err(err)) => {
                return Err(Error::setup_failed(
                    format!("the runtime of a TokioPool of {}", self.size),
                    format!("could not set up workload {}: {err}", workload.name()),
                ));
            }
            Err(join) => {
                return Err(Error::setup_failed(
                    format!("the runtime of a TokioPool of {}", self.size),
                    format!("could not set up workload {}: {}", workload.name(), join_failure(join)),
                ));
            }
        };
        let map = Tasks { pool: self, workload: workload.clone(), state: Arc::new(state) };
        Ok(Prepared::new(ExecutorKind::Tokio, self.size, map))
    }
}

impl Executor for TokioPool {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::Tokio
    }

    fn size(&self) -> usize {
        self.size
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        let size = self.size;
        let states = set_up_each(workload, size, |thread| {
            format!("blocking thread {thread} of a TokioPool of {size}")
        })?;
        let map = Blocking { pool: self, workload: Arc::new(workload.clone()), states: Arc::new(states) };
        Ok(Prepared::new(ExecutorKind::Tokio, size, map))
    }
}

/// A synchronous workload, one `spawn_blocking` per chunk.
struct Blocking<'p, W: Workload> {
    pool: &'p TokioPool,
    workload: Arc<W>,
    states: Arc<Vec<W::State>>,
}

impl<W: Workload> PreparedMap<W> for Blocking<'_, W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let chunk_len = self.pool.chunking.chunk_len(inputs.len(), self.pool.size).max(1);
        // `spawn_blocking` takes 'static work, as a program of Tokio's would give it: the chunks
        // are owned copies of the inputs.
        let handles: Vec<_> = inputs
            .chunks(chunk_len)
            .enumerate()
            .map(|(number, chunk)| {
                let first = number * chunk_len;
                let (workload, states, chunk) =
                    (Arc::clone(&self.workload), Arc::clone(&self.states), chunk.to_vec());
                let handle = self.pool.runtime.spawn_blocking(move || {
                    run_chunk(&*workload, &states[number % states.len()], first, &chunk)
                });
                (first, chunk_len.min(inputs.len() - first), handle)
            })
            .collect();
        self.pool.runtime.block_on(async move {
            let mut results = Vec::with_capacity(inputs.len());
            for (first, len, handle) in handles {
                match handle.await {
                    Ok(chunk) => results.extend(chunk),
                    Err(join) => {
                        let failure = join_failure(join);
                        results.extend(
                            (first..first + len)
                                .map(|task| Err(Error::worker(None, format!("task {task}: {failure}")))),
                        );
                    }
                }
            }
            results
        })
    }
}

/// An async workload, one task per input.
struct Tasks<'p, A: AsyncWorkload> {
    pool: &'p TokioPool,
    workload: A,
    state: Arc<A::State>,
}

impl<W, A> PreparedMap<W> for Tasks<'_, A>
where
    W: Workload,
    A: AsyncWorkload<Input = W::Input, Output = W::Output>,
{
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let runtime = &self.pool.runtime;
        let handles: Vec<_> = inputs
            .iter()
            .map(|input| {
                let (workload, state, input) =
                    (self.workload.clone(), Arc::clone(&self.state), input.clone());
                runtime.spawn(async move { workload.run(&state, &input).await })
            })
            .collect();
        runtime.block_on(async move {
            let mut results = Vec::with_capacity(handles.len());
            for (task, handle) in handles.into_iter().enumerate() {
                results.push(match handle.await {
                    Ok(Ok(output)) => Ok(output),
                    Ok(Err(err)) => Err(Error::failed(task, err)),
                    Err(join) if join.is_panic() => {
                        Err(Error::panicked(task, panic_message(join.into_panic().as_ref())))
                    }
                    Err(join) => Err(Error::worker(None, format!("task {task}: {}", join_failure(join)))),
                });
            }
            results
        })
    }
}

/// What became of a Tokio task that did not return.
fn join_failure(join: tokio::task::JoinError) -> String {
    if join.is_panic() {
        format!("it panicked: {}", panic_message(join.into_panic().as_ref()))
    } else {
        "it was cancelled (the runtime is shutting down)".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sequential;
    use crate::workload::{Sleep, Squares};
    use std::time::Duration;

    #[test]
    fn sync_and_async_maps_give_sequentials_answers() {
        let tokio = TokioPool::new(2).expect("a runtime");
        let inputs: Vec<u32> = (1..=100).collect();
        assert_eq!(tokio.map(&Squares, &inputs).unwrap(), Sequential.map(&Squares, &inputs).unwrap());
        let sleep = Sleep::new(Duration::from_millis(1));
        let tokens: Vec<u64> = (0..16).collect();
        let prepared = tokio.prepare_async::<Sleep, _>(&sleep).expect("set up");
        assert_eq!(prepared.map(&tokens).unwrap(), tokens);
        assert!(TokioPool::new(0).unwrap_err().to_string().contains("size of 0"));
    }
}
