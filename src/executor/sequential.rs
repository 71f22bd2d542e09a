//! The floor: a plain loop on the calling thread.

use super::{Error, Executor, ExecutorKind, run_task};
use crate::workload::Workload;

/// Runs every task in order on the calling thread: no pool, no overhead, the answer every other
/// executor is checked against and the time every other executor must beat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sequential;

impl Executor for Sequential {
    fn kind(&self) -> ExecutorKind {
        ExecutorKind::Sequential
    }

    fn size(&self) -> usize {
        1
    }

    fn map_each<W: Workload>(&self, workload: &W, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        inputs.iter().enumerate().map(|(index, input)| run_task(workload, index, input)).collect()
    }
}
