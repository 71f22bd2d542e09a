//! One map's bookkeeping: the tasks still waiting for a worker, and how many have no result yet.
//!
//! The event loop ends a map when every task is settled: its results accepted, or an error
//! recorded for it. A task settled and not counted leaves the loop waiting for a result that will
//! never come; one counted twice ends the map with a task still out. So settling and counting are
//! one step here: the [`Ledger`]'s methods that record a result or an error are the only way to
//! reach the job, and each counts the tasks it settles. The chunks a worker holds are not in the
//! ledger's queue: they come back to it by [`requeue`](Ledger::requeue), or are settled, when the
//! worker answers or is buried.

use std::collections::VecDeque;
use std::ops::Range;

use super::protocol::{EncodeError, Then};
use crate::executor::{Chunking, Error};

/// One map's tasks, as the event loop sees them: bytes out, bytes in, results kept by the job.
pub(crate) trait Job {
    /// How many tasks.
    fn len(&self) -> usize;
    /// Appends the RUN frame for `tasks` to `out`, telling the worker what to do `then`; on error
    /// `out` is unchanged.
    fn encode(
        &self,
        out: &mut Vec<u8>,
        request_id: u64,
        then: Then,
        tasks: Range<usize>,
    ) -> Result<(), EncodeError>;
    /// Takes the RESULTS body for `tasks`; on error no task's result is recorded.
    fn accept(&mut self, tasks: Range<usize>, results: &[u8]) -> Result<(), String>;
    /// Records that `task` failed.
    fn fail(&mut self, task: usize, error: Error);
}

/// No tasks: what the loop runs while it only waits for workers to start.
pub(super) struct NoJob;

impl Job for NoJob {
    fn len(&self) -> usize {
        0
    }
    fn encode(&self, _: &mut Vec<u8>, _: u64, _: Then, _: Range<usize>) -> Result<(), EncodeError> {
        Err(EncodeError::Codec("no tasks".into()))
    }
    fn accept(&mut self, _: Range<usize>, _: &[u8]) -> Result<(), String> {
        Err("no request was sent".into())
    }
    fn fail(&mut self, _: usize, _: Error) {}
}

/// Consecutive tasks that go to one worker in one request.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Chunk {
    pub(super) tasks: Range<usize>,
    /// How many times these tasks were run again after their worker died or timed out.
    pub(super) attempts: u32,
}

/// A job, the chunks of it no worker holds, and the count of its unsettled tasks, kept in step.
pub(super) struct Ledger<'j> {
    job: &'j mut dyn Job,
    queue: VecDeque<Chunk>,
    unsettled: usize,
    /// Which tasks are settled, to catch one settled twice. Debug builds only: benchmarks run
    /// release builds, whose maps should cost what they cost before.
    #[cfg(debug_assertions)]
    settled: Vec<bool>,
}

impl<'j> Ledger<'j> {
    /// Every task of `job` unsettled and queued, in chunks by `chunking` for `workers` workers.
    pub(super) fn new(job: &'j mut dyn Job, chunking: Chunking, workers: usize) -> Self {
        let len = job.len();
        let chunk_len = chunking.chunk_len(len, workers);
        let queue = (0..len)
            .step_by(chunk_len)
            .map(|start| Chunk { tasks: start..(start + chunk_len).min(len), attempts: 0 })
            .collect();
        Ledger {
            job,
            queue,
            unsettled: len,
            #[cfg(debug_assertions)]
            settled: vec![false; len],
        }
    }

    /// How many tasks have neither a result nor an error yet.
    pub(super) fn unsettled(&self) -> usize {
        self.unsettled
    }

    /// How many chunks wait for a worker.
    pub(super) fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Takes the next chunk to hand to a worker. It stays unsettled: the caller settles it or
    /// gives it back with [`requeue`](Ledger::requeue).
    pub(super) fn next_chunk(&mut self) -> Option<Chunk> {
        self.queue.pop_front()
    }

    /// Puts chunks back at the front of the queue, in the order given, to run before the rest.
    pub(super) fn requeue(&mut self, chunks: Vec<Chunk>) {
        for chunk in chunks.into_iter().rev() {
            self.queue.push_front(chunk);
        }
    }

    /// Appends the RUN frame for `tasks` to `out`, as [`Job::encode`].
    pub(super) fn encode(
        &self,
        out: &mut Vec<u8>,
        request_id: u64,
        then: Then,
        tasks: Range<usize>,
    ) -> Result<(), EncodeError> {
        self.job.encode(out, request_id, then, tasks)
    }

    /// Settles `tasks` with the results a worker sent; if they do not decode, nothing is settled.
    pub(super) fn accept(&mut self, tasks: Range<usize>, results: &[u8]) -> Result<(), String> {
        self.job.accept(tasks.clone(), results)?;
        self.count_settled(tasks);
        Ok(())
    }

    /// Settles one task with an error.
    pub(super) fn fail_task(&mut self, task: usize, error: Error) {
        self.job.fail(task, error);
        self.count_settled(task..task + 1);
    }

    /// Settles every task of `tasks` with one `error`, shared: one failure of a chunk costs one
    /// message, however many tasks it holds.
    pub(super) fn fail_chunk(&mut self, tasks: Range<usize>, error: &Error) {
        for task in tasks {
            self.fail_task(task, error.clone());
        }
    }

    /// Settles every queued task with `error`, shared: no worker is left to run them.
    pub(super) fn fail_queued(&mut self, error: &Error) {
        while let Some(chunk) = self.queue.pop_front() {
            self.fail_chunk(chunk.tasks, error);
        }
    }

    fn count_settled(&mut self, tasks: Range<usize>) {
        #[cfg(debug_assertions)]
        for task in tasks.clone() {
            assert!(!std::mem::replace(&mut self.settled[task], true), "task {task} was settled twice");
        }
        // Saturating, so that a release build with such a bug ends the map (the task shows as
        // "got no result") instead of waiting for ever on a count that wrapped.
        self.unsettled = self.unsettled.saturating_sub(tasks.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what each task got: `Some(Ok(()))` for accepted results, `Some(Err(_))` for a failure.
    struct Recorder {
        outcomes: Vec<Option<Result<(), Error>>>,
    }

    impl Recorder {
        fn with_tasks(len: usize) -> Self {
            Recorder { outcomes: (0..len).map(|_| None).collect() }
        }
    }

    impl Job for Recorder {
        fn len(&self) -> usize {
            self.outcomes.len()
        }
        fn encode(&self, _: &mut Vec<u8>, _: u64, _: Then, _: Range<usize>) -> Result<(), EncodeError> {
            Ok(())
        }
        fn accept(&mut self, tasks: Range<usize>, results: &[u8]) -> Result<(), String> {
            if results.len() != tasks.len() {
                return Err(format!("{} results for {} tasks", results.len(), tasks.len()));
            }
            for task in tasks {
                self.outcomes[task] = Some(Ok(()));
            }
            Ok(())
        }
        fn fail(&mut self, task: usize, error: Error) {
            self.outcomes[task] = Some(Err(error));
        }
    }

    fn chunk_tasks(ledger: &mut Ledger<'_>) -> Vec<Range<usize>> {
        std::iter::from_fn(|| ledger.next_chunk()).map(|chunk| chunk.tasks).collect()
    }

    #[test]
    fn every_task_starts_unsettled_and_queued_in_chunks() {
        let mut job = Recorder::with_tasks(7);
        let mut ledger = Ledger::new(&mut job, Chunking::fixed(3), 2);
        assert_eq!((ledger.unsettled(), ledger.queued()), (7, 3));
        assert_eq!(chunk_tasks(&mut ledger), [0..3, 3..6, 6..7]);
        assert_eq!(ledger.unsettled(), 7, "a chunk handed out is not settled");
    }

    #[test]
    fn accepted_results_and_failures_are_counted_as_they_are_recorded() {
        let mut job = Recorder::with_tasks(5);
        let mut ledger = Ledger::new(&mut job, Chunking::fixed(2), 1);
        let [first, second, last] = [0, 1, 2].map(|_| ledger.next_chunk().expect("three chunks"));
        ledger.accept(first.tasks, &[0, 0]).expect("two results for two tasks");
        assert_eq!(ledger.unsettled(), 3);
        ledger.fail_chunk(second.tasks, &Error::worker(None, "tasks 2 and 3 were lost"));
        assert_eq!(ledger.unsettled(), 1);
        ledger.fail_task(last.tasks.start, Error::worker(None, "task 4 was lost"));
        assert_eq!(ledger.unsettled(), 0);

        let failed: Vec<bool> = job.outcomes.iter().map(|outcome| matches!(outcome, Some(Err(_)))).collect();
        assert_eq!(failed, [false, false, true, true, true]);
        assert!(job.outcomes.iter().all(Option::is_some));
    }

    #[test]
    fn a_failed_chunk_and_the_failed_queue_share_one_error_among_their_tasks() {
        let mut job = Recorder::with_tasks(6);
        let mut ledger = Ledger::new(&mut job, Chunking::fixed(3), 1);
        let chunk = ledger.next_chunk().expect("a chunk");
        ledger.fail_chunk(chunk.tasks, &Error::worker(None, "tasks 0 to 2 were not sent"));
        ledger.fail_queued(&Error::worker(None, "no worker process is running"));
        let errors: Vec<&Error> =
            job.outcomes.iter().map(|outcome| outcome.as_ref().unwrap().as_ref().unwrap_err()).collect();
        assert!(errors[..3].iter().all(|err| err.is_same_failure(errors[0])));
        assert!(errors[3..].iter().all(|err| err.is_same_failure(errors[3])));
        assert!(!errors[0].is_same_failure(errors[3]));
    }

    #[test]
    fn results_that_do_not_decode_settle_nothing() {
        let mut job = Recorder::with_tasks(2);
        let mut ledger = Ledger::new(&mut job, Chunking::fixed(2), 1);
        let chunk = ledger.next_chunk().expect("one chunk");
        assert!(ledger.accept(chunk.tasks.clone(), &[0]).is_err());
        assert_eq!(ledger.unsettled(), 2);
        ledger.accept(chunk.tasks, &[0, 0]).expect("the retry decodes");
        assert_eq!(ledger.unsettled(), 0);
    }

    #[test]
    fn requeued_chunks_run_next_in_the_order_given() {
        let mut job = Recorder::with_tasks(6);
        let mut ledger = Ledger::new(&mut job, Chunking::fixed(3), 1);
        let held = ledger.next_chunk().expect("a chunk");
        let split = held.tasks.map(|task| Chunk { tasks: task..task + 1, attempts: 0 }).collect();
        ledger.requeue(split);
        assert_eq!(chunk_tasks(&mut ledger), [0..1, 1..2, 2..3, 3..6]);
        assert_eq!(ledger.unsettled(), 6);
    }

    #[test]
    fn failing_the_queue_settles_every_queued_task() {
        let mut job = Recorder::with_tasks(5);
        let mut ledger = Ledger::new(&mut job, Chunking::fixed(2), 1);
        let held = ledger.next_chunk().expect("a chunk");
        ledger.fail_queued(&Error::worker(None, "no worker is running"));
        assert_eq!((ledger.unsettled(), ledger.queued()), (2, 0), "the held chunk is still out");
        ledger.accept(held.tasks, &[0, 0]).expect("two results");
        assert_eq!(ledger.unsettled(), 0);
    }

    #[test]
    fn a_ledger_without_a_job_has_nothing_to_settle() {
        let mut nothing = NoJob;
        let mut ledger = Ledger::new(&mut nothing, Chunking::Auto, 4);
        assert_eq!((ledger.unsettled(), ledger.queued()), (0, 0));
        assert!(ledger.next_chunk().is_none());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "task 1 was settled twice")]
    fn settling_a_task_twice_is_caught() {
        let mut job = Recorder::with_tasks(3);
        let mut ledger = Ledger::new(&mut job, Chunking::fixed(3), 1);
        let chunk = ledger.next_chunk().expect("one chunk");
        ledger.fail_task(1, Error::worker(None, "task 1 was lost"));
        let _ = ledger.accept(chunk.tasks, &[0, 0, 0]);
    }
}
