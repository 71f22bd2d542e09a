//! A workload set up on every worker of an executor: what a benchmark times.

use super::{Error, ExecutorKind};
use crate::workload::Workload;

/// The map an executor runs once [`prepare`](super::Executor::prepare) has set its workload up on
/// every worker: each worker's [`State`](Workload::State) is built, and stays built for as long
/// as this lives, so a map costs what the workload and the executor cost, not the set-up.
///
/// ```
/// use poolbench::{Executor, StdPool, workload::Squares};
///
/// let pool = StdPool::new(2)?;
/// let prepared = pool.prepare(&Squares)?;
/// assert_eq!(prepared.map(&[1, 2, 3])?, [1, 4, 9]);
/// assert_eq!(prepared.map(&[4])?, [16]);
/// # Ok::<(), poolbench::executor::Error>(())
/// ```
pub struct Prepared<'e, W: Workload> {
    kind: ExecutorKind,
    size: usize,
    map: Box<dyn PreparedMap<W> + 'e>,
}

/// One executor's prepared map.
pub(crate) trait PreparedMap<W: Workload> {
    /// Runs the workload on every input, each task's own result in input order.
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>>;
}

impl<'e, W: Workload> Prepared<'e, W> {
    pub(crate) fn new(kind: ExecutorKind, size: usize, map: impl PreparedMap<W> + 'e) -> Self {
        Prepared { kind, size, map: Box::new(map) }
    }

    /// The executor's kind.
    pub fn kind(&self) -> ExecutorKind {
        self.kind
    }

    /// The executor's size.
    pub fn size(&self) -> usize {
        self.size
    }

    /// Runs the workload on every input and returns each task's own result, in input order.
    pub fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
        self.map.map_each(inputs)
    }

    /// Runs the workload on every input and returns the outputs in input order.
    ///
    /// # Errors
    ///
    /// The first failed task's error, in input order (every task still ran).
    pub fn map(&self, inputs: &[W::Input]) -> Result<Vec<W::Output>, Error> {
        self.map_each(inputs).into_iter().collect()
    }
}
