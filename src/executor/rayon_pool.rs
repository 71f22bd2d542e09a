//! rayon, on a pool of its own.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use super::prepared::{Prepared, PreparedMap};
use super::{Chunking, Error, Executor, ExecutorKind, check_size, run_task, set_up, spin};
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
        check_size(size, "a RayonPool needs at least 1 thread")?;
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
        let pieces = inputs.len().div_ceil(min_len.max(1)).min(self.pool.size);
        let map = || {
            inputs
                .par_iter()
                .enumerate()
                .with_min_len(min_len)
                .map(|(index, input)| {
                    // Inside the pool every task runs on one of this pool's threads.
                    let thread = rayon::current_thread_index().unwrap_or(0);
                    run_task(&self.workload, &self.states[thread], index, input)
                })
                .collect()
        };
        if self.pool.pool.current_thread_index().is_some() {
            // Called from one of the pool's own threads: rayon runs it there and steals meanwhile.
            return self.pool.pool.install(map);
        }
        install_spinning(&self.pool.pool, spin::may_spin_beside(pieces), map)
    }
}

/// Runs `job` on `pool` from a thread outside it and waits for its result: spinning first when
/// `may_spin` (spin.rs), then parked. rayon's own `install` blocks the caller on a condition
/// variable at once, and on a VM that halts idle vCPUs waking it costs tens of microseconds,
/// more than a small map itself.
fn install_spinning<R: Send>(pool: &rayon::ThreadPool, may_spin: bool, job: impl FnOnce() -> R + Send) -> R {
    let done = Done { result: Mutex::new(None), finished: AtomicBool::new(false) };
    let caller = std::thread::current();
    let done_ref = &done;
    let task: Box<dyn FnOnce() + Send + '_> = Box::new(move || {
        let result = std::panic::catch_unwind(AssertUnwindSafe(job));
        *done_ref.result.lock().unwrap_or_else(PoisonError::into_inner) = Some(result);
        // The last touch of `done`: once the caller sees it, `done` may be gone.
        done_ref.finished.store(true, Ordering::Release);
        caller.unpark();
    });
    // SAFETY: the task borrows `done` and what `job` borrows, all of which outlive this call: it
    // does not return (nor unwind, see `Abort`) before the task has set `finished`, its last
    // access to anything borrowed.
    let task: Box<dyn FnOnce() + Send + 'static> = unsafe { std::mem::transmute(task) };
    let abort = Abort;
    pool.spawn(task);
    let finished = || done.finished.load(Ordering::Acquire);
    if !(may_spin && spin::spin(finished)) {
        while !finished() {
            std::thread::park();
        }
    }
    std::mem::forget(abort);
    let result = done.result.lock().unwrap_or_else(PoisonError::into_inner).take();
    match result.expect("the task stored its result before it said it had finished") {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Where the task leaves its result.
struct Done<R> {
    result: Mutex<Option<std::thread::Result<R>>>,
    finished: AtomicBool,
}

/// Aborts the process if dropped: armed while a task that borrows the caller's stack may still
/// run, so that an unwinding caller never leaves it a dangling borrow.
struct Abort;

impl Drop for Abort {
    fn drop(&mut self) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_run_from_outside_borrows_the_callers_data_and_gives_its_result() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let numbers: Vec<u64> = (1..=1000).collect();
        for may_spin in [true, false] {
            let sum = install_spinning(&pool, may_spin, || numbers.par_iter().sum::<u64>());
            assert_eq!(sum, 500_500, "may_spin = {may_spin}");
            assert!(rayon::current_thread_index().is_none(), "the caller stayed outside the pool");
        }
    }

    #[test]
    fn a_panic_in_the_job_reaches_the_caller_and_the_pool_goes_on() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
            install_spinning(&pool, true, || -> u32 { panic!("the job's own panic") })
        }));
        let payload = caught.expect_err("the panic came back");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"the job's own panic"));
        assert_eq!(install_spinning(&pool, false, || 7), 7);
    }

    #[test]
    fn a_map_from_one_of_the_pools_own_threads_runs_there() {
        let pool = RayonPool::new(1).unwrap();
        let double = crate::workload::from_fn("double", |n: &u64| n * 2);
        // With one thread, a spawn-and-wait from inside the pool could never be served.
        let inner = pool.pool.install(|| pool.prepare(&double).unwrap().map(&[1, 2, 3]).unwrap());
        assert_eq!(inner, [2, 4, 6]);
    }
}
