//! A pool of std threads and one shared job queue: ThreadPoolExecutor's shape, with threads
//! started on demand and hand-offs that spin before they sleep.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use super::prepared::{Prepared, PreparedMap};
use super::spin::{Occupancy, SPIN, spin_until};
use super::{Chunking, Error, Executor, ExecutorKind, check_size, run_chunk, set_up_each};
use crate::workload::Workload;

/// A job, given the index of the thread that runs it.
type Job = Box<dyn FnOnce(usize) + Send + 'static>;

/// When a [`StdPool`] starts its threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ThreadStart {
    /// A thread is started when a job is queued and no thread is idle, up to the size:
    /// `ThreadPoolExecutor`'s rule, with a patience. The map's caller starts the first thread
    /// when it queues a job and the pool has none; after that, while it waits for its results, it
    /// starts one more each time jobs are still queued with no thread idle after a spin's length
    /// (50 µs). So a map of jobs that take microseconds runs on the threads already there instead
    /// of waiting for thread starts that take tens, and a pool that only ever runs one job at a
    /// time has one thread.
    #[default]
    OnDemand,
    /// Every thread is started by [`StdPool::with_start`], up front.
    Eager,
}

/// Up to `size` threads taking chunks of tasks from one shared queue.
///
/// This is the design of Python's `ThreadPoolExecutor`, written out with std alone: a job queue,
/// threads started when a job waits and no thread is idle ([`ThreadStart::OnDemand`], the
/// default) or all up front ([`ThreadStart::Eager`]), no work stealing. Each map copies its
/// inputs into the jobs, chunk by chunk, because the threads outlive any one call; the results
/// are put back in input order. [`prepare`](Executor::prepare) builds one state per thread slot,
/// on the calling thread, and each job reads the state of the thread that runs it.
///
/// A hand-off spins before it sleeps (see `spin.rs`): an idle thread watches the queue, and the
/// caller its results, for a few tens of microseconds, as long as the threads that want a core
/// fit the cores; then it blocks. A pool at rest uses no CPU. Dropping the pool tells its
/// threads to stop and returns without waiting for them: each ends after the job it is running.
#[derive(Debug)]
pub struct StdPool {
    shared: Arc<Shared>,
    size: usize,
    chunking: Chunking,
}

#[derive(Debug)]
struct Shared {
    /// The most threads the pool may start.
    size: usize,
    state: Mutex<State>,
    /// Signalled when a job is queued or the pool shuts down, for threads that sleep.
    work: Condvar,
    /// The queue's length, readable without the lock by a thread that spins.
    queued: AtomicUsize,
    shutdown: AtomicBool,
    /// The pool's threads running a job or spinning, and callers waiting for results.
    occupancy: Occupancy,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Threads started.
    threads: usize,
    /// Threads waiting for a job, spinning or asleep.
    idle: usize,
    /// Threads started that have not looked at the queue yet: as good as idle.
    starting: usize,
    /// Threads asleep on [`Shared::work`].
    asleep: usize,
}

impl StdPool {
    /// A pool of up to `size` threads, started on demand, with [`Chunking::Auto`].
    ///
    /// # Errors
    ///
    /// `size` is 0.
    pub fn new(size: usize) -> Result<Self, Error> {
        check_size(size, "a StdPool needs at least 1 thread")?;
        let shared = Shared {
            size,
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            queued: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            occupancy: Occupancy::default(),
        };
        Ok(StdPool { shared: Arc::new(shared), size, chunking: Chunking::Auto })
    }

    /// The same pool with another chunking rule (default: [`Chunking::Auto`]).
    #[must_use]
    pub fn with_chunking(mut self, chunking: Chunking) -> Self {
        self.chunking = chunking;
        self
    }

    /// The same pool with another rule for starting threads (default: [`ThreadStart::OnDemand`]);
    /// [`ThreadStart::Eager`] starts every thread now.
    ///
    /// # Errors
    ///
    /// A thread could not be started.
    pub fn with_start(self, start: ThreadStart) -> Result<Self, Error> {
        if start == ThreadStart::Eager {
            let mut state = self.shared.lock();
            while state.threads < self.size {
                start_thread(&self.shared, &mut state)?;
            }
        }
        Ok(self)
    }

    /// How many threads the pool has started: at most its size.
    pub fn threads(&self) -> usize {
        self.shared.lock().threads
    }

    /// Queues `job`, starting the pool's first thread if it has none.
    ///
    /// # Errors
    ///
    /// No thread runs and none could be started: the job is handed back.
    fn submit(&self, job: Job) -> Result<(), (Job, Error)> {
        let mut state = self.shared.lock();
        if state.threads == 0 {
            if let Err(error) = start_thread(&self.shared, &mut state) {
                return Err((job, error));
            }
        }
        state.queue.push_back(job);
        self.shared.queued.fetch_add(1, Ordering::Release);
        if state.asleep > 0 {
            self.shared.work.notify_one();
        }
        Ok(())
    }
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("queued", &self.queue.len())
            .field("threads", &self.threads)
            .field("idle", &self.idle)
            .field("starting", &self.starting)
            .field("asleep", &self.asleep)
            .finish()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A job never runs under the lock, so a panic cannot leave the state half-changed.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next job, or `None` once the pool shuts down.
    fn next_job(self: &Arc<Self>) -> Option<Job> {
        let mut state = self.lock();
        loop {
            if let Some(job) = state.queue.pop_front() {
                self.queued.fetch_sub(1, Ordering::Relaxed);
                return Some(job);
            }
            if self.shutdown.load(Ordering::Acquire) {
                return None;
            }
            state.idle += 1;
            drop(state);
            let woken = spin_until(&self.occupancy, || {
                self.queued.load(Ordering::Acquire) > 0 || self.shutdown.load(Ordering::Acquire)
            });
            state = self.lock();
            if !woken {
                while state.queue.is_empty() && !self.shutdown.load(Ordering::Acquire) {
                    state.asleep += 1;
                    state = self.work.wait(state).unwrap_or_else(PoisonError::into_inner);
                    state.asleep -= 1;
                }
            }
            state.idle -= 1;
        }
    }
}

impl Shared {
    /// Starts one more thread if jobs are queued, no thread is idle and the pool is below its
    /// size. Returns whether more threads may be wanted later: jobs are still queued and the pool
    /// is below its size.
    fn staff(self: &Arc<Self>) -> bool {
        let mut state = self.lock();
        if !state.queue.is_empty() && state.idle + state.starting == 0 && state.threads < self.size {
            // The jobs wait either way: a thread that cannot start leaves them to the others.
            let _ = start_thread(self, &mut state);
        }
        !state.queue.is_empty() && state.threads < self.size
    }
}

/// Starts one more thread of the pool; `state` counts it.
fn start_thread(shared: &Arc<Shared>, state: &mut State) -> Result<(), Error> {
    let index = state.threads;
    let size = shared.size;
    let thread_shared = Arc::clone(shared);
    std::thread::Builder::new()
        .name(format!("poolbench-std-{index}"))
        .spawn(move || take_jobs(index, &thread_shared))
        .map_err(|err| {
            Error::worker(None, format!("cannot start StdPool thread {index} of {size}: {err}"))
        })?;
    state.threads += 1;
    state.starting += 1;
    Ok(())
}

fn take_jobs(thread: usize, shared: &Arc<Shared>) {
    shared.lock().starting -= 1;
    while let Some(job) = shared.next_job() {
        let _busy = shared.occupancy.busy();
        job(thread);
    }
}

impl Executor for StdPool {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::StdPool
    }

    fn size(&self) -> usize {
        self.size
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        let size = self.size;
        let states = set_up_each(workload, size, |thread| format!("thread {thread} of a StdPool of {size}"))?;
        let workload = Arc::new(Tasks { workload: workload.clone(), states });
        Ok(Prepared::new(ExecutorKind::StdPool, size, Queued { pool: self, workload }))
    }
}

impl Drop for StdPool {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Release);
        // Under the lock, so no thread is between its check of `shutdown` and its wait.
        let _state = self.shared.lock();
        self.shared.work.notify_all();
    }
}

/// What the jobs of a prepared map share: they outlive any one call, so they own it.
struct Tasks<W: Workload> {
    workload: W,
    /// One per thread of the pool, by thread index.
    states: Vec<W::State>,
}

struct Queued<'p, W: Workload> {
    pool: &'p StdPool,
    workload: Arc<Tasks<W>>,
}

impl<W: Workload> PreparedMap<W> for Queued<'_, W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        let chunk_len = self.pool.chunking.chunk_len(inputs.len(), self.pool.size);
        let chunk_count = inputs.len().div_ceil(chunk_len);
        let results = Arc::new(Results::new(chunk_count));
        let mut no_thread = None;
        for (chunk_index, chunk) in inputs.chunks(chunk_len).enumerate() {
            let chunk = chunk.to_vec();
            let tasks = Arc::clone(&self.workload);
            let delivery = Delivery::new(&results, chunk_index);
            let first = chunk_index * chunk_len;
            let job: Job = Box::new(move |thread| {
                delivery.deliver(run_chunk(&tasks.workload, &tasks.states[thread], first, &chunk));
            });
            if let Err((job, error)) = self.pool.submit(job) {
                // Dropping the job delivers its chunk as lost.
                drop(job);
                no_thread.get_or_insert(error);
            }
        }
        let shared = &self.pool.shared;
        let chunks = results.wait(&shared.occupancy, || shared.staff());
        chunks
            .into_iter()
            .enumerate()
            .flat_map(|(chunk_index, outputs)| {
                outputs.unwrap_or_else(|| {
                    let first = chunk_index * chunk_len;
                    let last = (first + chunk_len).min(inputs.len());
                    let reason = no_thread.as_ref().map_or_else(
                        || "no StdPool thread ran it".to_owned(),
                        |error| format!("no StdPool thread ran it: {error}"),
                    );
                    (first..last)
                        .map(|task| Err(Error::worker(None, format!("task {task} was lost: {reason}"))))
                        .collect()
                })
            })
            .collect()
    }
}

/// One map's chunks of results, as the jobs deliver them.
struct Results<T> {
    chunks: Mutex<Vec<Option<T>>>,
    /// Chunks not delivered yet, readable without the lock by a caller that spins.
    remaining: AtomicUsize,
    delivered: Condvar,
}

impl<T> Results<T> {
    fn new(chunks: usize) -> Self {
        Results {
            chunks: Mutex::new((0..chunks).map(|_| None).collect()),
            remaining: AtomicUsize::new(chunks),
            delivered: Condvar::new(),
        }
    }

    /// Every chunk, once each is delivered (or lost: `None`): spins first, then sleeps. While
    /// jobs wait with no thread free for them, it calls `staff` (which starts a thread, see
    /// [`Shared::staff`]) every [`SPIN`] of waiting, for as long as `staff` says more may be
    /// wanted: the caller, idle anyway, starts threads only for work that is still queued after a
    /// moment, so that jobs of a few microseconds are not made to wait for thread starts of tens.
    fn wait(&self, occupancy: &Occupancy, mut staff: impl FnMut() -> bool) -> Vec<Option<T>> {
        let lock = || self.chunks.lock().unwrap_or_else(PoisonError::into_inner);
        let done = || self.remaining.load(Ordering::Acquire) == 0;
        let mut staffing = true;
        while !spin_until(occupancy, done) {
            if staffing {
                staffing = staff();
            }
            let mut chunks = lock();
            if staffing {
                if !done() {
                    chunks =
                        self.delivered.wait_timeout(chunks, SPIN).unwrap_or_else(PoisonError::into_inner).0;
                }
            } else {
                while !done() {
                    chunks = self.delivered.wait(chunks).unwrap_or_else(PoisonError::into_inner);
                }
            }
            drop(chunks);
        }
        std::mem::take(&mut *lock())
    }
}

/// A job's promise to deliver its chunk: kept by running, or, if the job is dropped unrun (the
/// pool shut down, or no thread could start), broken on drop, so the caller never waits for ever.
struct Delivery<T> {
    results: Arc<Results<T>>,
    chunk: usize,
    delivered: bool,
}

impl<T> Delivery<T> {
    fn new(results: &Arc<Results<T>>, chunk: usize) -> Self {
        Delivery { results: Arc::clone(results), chunk, delivered: false }
    }

    fn deliver(mut self, outputs: T) {
        self.settle(Some(outputs));
    }

    fn settle(&mut self, outputs: Option<T>) {
        self.delivered = true;
        let mut chunks = self.results.chunks.lock().unwrap_or_else(PoisonError::into_inner);
        chunks[self.chunk] = outputs;
        if self.results.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.results.delivered.notify_all();
        }
    }
}

impl<T> Drop for Delivery<T> {
    fn drop(&mut self) {
        if !self.delivered {
            self.settle(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{CpuSpin, Squares};

    #[test]
    fn threads_start_on_demand_up_to_the_size_or_all_at_once_when_eager() {
        let pool = StdPool::new(4).unwrap();
        assert_eq!(pool.threads(), 0, "none before the first job");
        assert_eq!(pool.map(&Squares, &[3]).unwrap(), [9]);
        assert_eq!(pool.threads(), 1, "one job, one thread");
        // Milliseconds of work queued: the waiting caller starts more threads for it.
        assert_eq!(pool.map(&CpuSpin, &[20_000; 16]).unwrap().len(), 16);
        assert!((2..=4).contains(&pool.threads()), "{} threads", pool.threads());
        let eager = StdPool::new(3).unwrap().with_start(ThreadStart::Eager).unwrap();
        assert_eq!(eager.threads(), 3);
    }

    #[test]
    fn a_dropped_pool_delivers_every_chunk_it_had_taken() {
        let pool = StdPool::new(2).unwrap();
        let inputs: Vec<u32> = (0..1_000).collect();
        let answers = pool.map(&Squares, &inputs).unwrap();
        drop(pool);
        assert_eq!(answers[999], 998_001);
    }
}
