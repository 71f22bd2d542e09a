//! A fixed-size pool of std threads and one shared job queue: ThreadPoolExecutor's shape.

use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use super::prepared::{Prepared, PreparedMap};
use super::{Chunking, Error, Executor, ExecutorKind, run_task, set_up};
use crate::workload::Workload;

/// A job, given the index of the thread that runs it.
type Job = Box<dyn FnOnce(usize) + Send + 'static>;

/// `size` threads started up front, taking chunks of tasks from one shared queue.
///
/// This is the design of Python's `ThreadPoolExecutor`, written out with std alone: a job queue
/// (a channel whose receiving end the threads share under a mutex), a fixed set of threads, no
/// work stealing. Each map copies its inputs into the jobs, chunk by chunk, because the threads
/// outlive any one call; the results come back over a channel and are put in input order.
/// [`prepare`](Executor::prepare) builds one state per thread, on the calling thread, and each
/// job reads the state of the thread that runs it. Dropping the pool closes the queue and joins
/// every thread.
#[derive(Debug)]
pub struct StdPool {
    queue: Option<mpsc::Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
    chunking: Chunking,
}

impl StdPool {
    /// Starts `size` threads with [`Chunking::Auto`].
    ///
    /// # Errors
    ///
    /// `size` is 0, or a thread could not be started (the ones already started are joined).
    pub fn new(size: usize) -> Result<Self, Error> {
        if size == 0 {
            return Err(Error::invalid_config("a StdPool needs at least 1 thread; got a size of 0"));
        }
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut pool =
            StdPool { queue: Some(sender), threads: Vec::with_capacity(size), chunking: Chunking::Auto };
        for index in 0..size {
            let receiver = Arc::clone(&receiver);
            let thread = std::thread::Builder::new()
                .name(format!("poolbench-std-{index}"))
                .spawn(move || take_jobs(index, &receiver))
                .map_err(|err| {
                    Error::worker(None, format!("cannot start StdPool thread {index} of {size}: {err}"))
                })?;
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    /// The same pool with another chunking rule (default: [`Chunking::Auto`]).
    #[must_use]
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }
}

fn take_jobs(thread: usize, queue: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The guard is dropped at the end of the statement, before the job runs.
        let job = match queue.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(thread),
            Err(mpsc::RecvError) => return,
        }
    }
}

impl Executor for StdPool {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::StdPool
    }

    fn size(&self) -> usize {
        self.threads.len()
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        let size = self.size();
        let states = (0..size)
            .map(|thread| set_up(workload, || format!("thread {thread} of a StdPool of {size}")))
            .collect::<Result<Vec<_>, Error>>()?;
        let shared = Arc::new(Shared { workload: workload.clone(), states });
        Ok(Prepared::new(ExecutorKind::StdPool, size, Queued { pool: self, shared }))
    }
}

/// What the jobs of a prepared map share: they outlive any one call, so they own it.
struct Shared<W: Workload> {
    workload: W,
    /// One per thread of the pool, by thread index.
    states: Vec<W::State>,
}

struct Queued<'p, W: Workload> {
    pool: &'p StdPool,
    shared: Arc<Shared<W>>,
}

impl<W: Workload> PreparedMap<W> for Queued<'_, W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let chunk_len = self.pool.chunking.chunk_len(inputs.len(), self.pool.size());
        let chunk_count = inputs.len().div_ceil(chunk_len);
        let (results, arrivals) = mpsc::channel();
        for (chunk_index, chunk) in inputs.chunks(chunk_len).enumerate() {
            let chunk = chunk.to_vec();
            let shared = Arc::clone(&self.shared);
            let results = results.clone();
            let first = chunk_index * chunk_len;
            let job: Job = Box::new(move |thread| {
                let state = &shared.states[thread];
                let outputs: Vec<_> = chunk
                    .iter()
                    .enumerate()
                    .map(|(offset, input)| run_task(&shared.workload, state, first + offset, input))
                    .collect();
                // The caller waits for every chunk, so it is still listening.
                let _ = results.send((chunk_index, outputs));
            });
            if let Some(queue) = &self.pool.queue {
                // Fails only if every thread has exited, which a live pool's threads never do;
                // the chunk is then reported missing below.
                let _ = queue.send(job);
            }
        }
        drop(results);

        let mut chunks: Vec<Option<Vec<_>>> = (0..chunk_count).map(|_| None).collect();
        for (chunk_index, outputs) in arrivals {
            chunks[chunk_index] = Some(outputs);
        }
        chunks
            .into_iter()
            .enumerate()
            .flat_map(|(chunk_index, outputs)| {
                outputs.unwrap_or_else(|| {
                    let first = chunk_index * chunk_len;
                    let last = (first + chunk_len).min(inputs.len());
                    (first..last)
                        .map(|task| {
                            Err(Error::worker(
                                None,
                                format!("task {task} was lost: no StdPool thread ran it"),
                            ))
                        })
                        .collect()
                })
            })
            .collect()
    }
}

impl Drop for StdPool {
    fn drop(&mut self) {
        drop(self.queue.take());
        for thread in self.threads.drain(..) {
            // Jobs catch their tasks' panics, so a thread only ends by the queue closing.
            let _ = thread.join();
        }
    }
}
