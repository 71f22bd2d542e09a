//! The floor: a plain loop on the calling thread.

use super::prepared::{Prepared, PreparedMap};
use super::{Error, Executor, ExecutorKind, run_task, set_up};
use crate::workload::Workload;

/// Runs every task in order on the calling thread: no pool, no overhead, the answer every other
/// executor is checked against and the time every other executor must beat. Its one worker is
/// the calling thread, set up by [`prepare`](Executor::prepare) (or by every
/// [`map`](Executor::map), which prepares each time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sequential;

impl Executor for Sequential {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::Sequential
    }

    fn size(&self) -> usize {
        1
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        let state = set_up(workload, || "the calling thread (Sequential)".to_owned())?;
        Ok(Prepared::new(ExecutorKind::Sequential, 1, Loop { workload: workload.clone(), state }))
    }
}

struct Loop<W: Workload> {
    workload: W,
    state: W::State,
}

impl<W: Workload> PreparedMap<W> for Loop<W> {
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        inputs
            .iter()
            .enumerate()
            .map(|(index, input)| run_task(&self.workload, &self.state, index, input))
            .collect()
    }
}
