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

/// One executor's prepared map: what an executor of your own implements, for its
/// [`prepare`](super::Executor::prepare) to return inside a [`Prepared`].
///
/// ```
/// use poolbench::executor::{Error, Prepared, PreparedMap};
/// use poolbench::{Executor, ExecutorKind, Sequential};
/// use poolbench::workload::{Squares, Workload};
///
/// /// Runs every task on a thread of its own: an executor another crate could bring.
/// struct ThreadPerTask;
///
/// struct Mapped<W: Workload> {
///     workload: W,
///     state: W::State,
/// }
///
/// impl<W: Workload> PreparedMap<W> for Mapped<W> {
///     fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>> {
///         std::thread::scope(|scope| {
///             let running: Vec<_> = inputs
///                 .iter()
///                 .enumerate()
///                 .map(|(task, input)| scope.spawn(move || self.workload.run(&self.state, input).map_err(|err| Error::failed(task, err))))
///                 .collect();
///             running.into_iter().map(|thread| thread.join().expect("no task panics here")).collect()
///         })
///     }
/// }
///
/// impl Executor for ThreadPerTask {
///     fn kind(&self) -> ExecutorKind {
///         ExecutorKind::Custom("ThreadPerTask")
///     }
///
///     fn size(&self) -> usize {
///         1
///     }
///
///     fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
///         let state = workload.setup().map_err(|err| Error::setup_failed("the caller", err.to_string()))?;
///         Ok(Prepared::new(self.kind(), self.size(), Mapped { workload: workload.clone(), state }))
///     }
/// }
///
/// let inputs: Vec<u32> = (1..=10).collect();
/// assert_eq!(ThreadPerTask.map(&Squares, &inputs)?, Sequential.map(&Squares, &inputs)?);
/// # Ok::<(), Error>(())
/// ```
pub trait PreparedMap<W: Workload> {
    /// Runs the workload on every input, each task's own result in input order: a task that
    /// fails is an [`Error`] naming it ([`Error::failed`], [`Error::panicked`]), and the others
    /// still run.
    fn map_each(&self, inputs: &[W::Input]) -> Vec<Result<W::Output, Error>>;

    /// Runs the workload on every input and returns the outputs in input order, or the first
    /// failed task's error in input order (every task still ran). The default collects
    /// [`map_each`](Self::map_each); an executor that can hand the outputs back without a
    /// `Result` per task overrides it (the process pool does: on many small tasks the slot per
    /// task is a measurable part of its cost).
    fn map(&self, inputs: &[W::Input]) -> Result<Vec<W::Output>, Error> {
        self.map_each(inputs).into_iter().collect()
    }
}

impl<'e, W: Workload> Prepared<'e, W> {
    /// The prepared map of an executor of `kind` and `size`: what [`Executor::prepare`]
    /// returns, `map` holding whatever the workers' set-up built.
    ///
    /// [`Executor::prepare`]: super::Executor::prepare
    pub fn new(kind: ExecutorKind, size: usize, map: impl PreparedMap<W> + 'e) -> Self {
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
        self.map.map(inputs)
    }
}
