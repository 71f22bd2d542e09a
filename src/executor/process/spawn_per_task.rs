//! The "no pool" baseline: a fresh worker process for every chunk.

use std::sync::{Mutex, PoisonError};

use super::dispatch::{Lifecycle, Workers};
use super::{ProcessPool, ProcessPoolBuilder, map_unprepared, prepare_on};
use crate::executor::{Error, Executor, ExecutorKind, Prepared};
use crate::workload::Workload;

/// Starts a new worker process for each chunk of tasks and reaps it afterwards, at most `size`
/// at a time: what a process pool saves, measured by doing without it.
///
/// Workers are the same program speaking the same protocol as [`ProcessPool`]'s, so the
/// difference between the two is process start-up and nothing else. Crashes and timeouts are
/// handled the same way. [`prepare`](Executor::prepare) sets the workload up in one worker
/// started for the purpose, to say at once whether it can be; every fresh worker then sets it
/// up again before its chunk, which is part of what spawning per task costs. Built with
/// [`ProcessPoolBuilder::build_spawn_per_task`](super::ProcessPoolBuilder::build_spawn_per_task).
#[derive(Debug)]
pub struct SpawnPerTask {
    workers: Mutex<Workers>,
}

impl SpawnPerTask {
    /// At most `size` single-use workers at a time, every other setting at its default.
    ///
    /// # Errors
    ///
    /// A size of 0, or a worker program that cannot be found.
    pub fn new(size: usize) -> Result<Self, Error> {
        ProcessPool::builder().size(size).build_spawn_per_task()
    }

    /// Starts no worker yet: each is started when there is a chunk for it.
    pub(super) fn build(builder: ProcessPoolBuilder) -> Result<Self, Error> {
        let workers = Workers::start(builder.config(Lifecycle::OnePerChunk)?)?;
        Ok(SpawnPerTask { workers: Mutex::new(workers) })
    }
}

impl Executor for SpawnPerTask {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::SpawnPerTask
    }

    fn size(&self) -> usize {
        self.workers.lock().unwrap_or_else(PoisonError::into_inner).config().size
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        prepare_on(&self.workers, ExecutorKind::SpawnPerTask, workload)
    }

    /// A map without the probe [`prepare`](Executor::prepare) starts: every worker of the map
    /// sets the workload up anyway, and a set-up that fails fails its chunk's tasks, saying why.
    fn map_each<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        map_unprepared(&self.workers, workload, inputs)
    }
}
