//! Choosing an executor by name: the kind enum, and an owned executor of any kind.

use super::{
    Error, Executor, Prepared, ProcessPool, RayonPool, ScopedThreads, Sequential, SpawnPerTask, StdPool,
    TokioPool,
};
use crate::workload::Workload;

/// The kinds of executor, in the order reports show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExecutorKind {
    /// [`Sequential`].
    Sequential,
    /// [`RayonPool`].
    Rayon,
    /// [`StdPool`].
    StdPool,
    /// [`ScopedThreads`]: a fresh thread per chunk, the threads' "no pool".
    ScopedThreads,
    /// [`TokioPool`]: a Tokio runtime; async workloads as tasks, others on `spawn_blocking`.
    Tokio,
    /// [`ProcessPool`].
    ProcessPool,
    /// [`SpawnPerTask`].
    SpawnPerTask,
    /// An executor of another crate's, by the name it is swept under
    /// ([`Sweep::executor`](crate::bench::Sweep::executor)): the function part of its ids.
    Custom(&'static str),
}

impl ExecutorKind {
    /// Every kind.
    pub const ALL: [ExecutorKind; 7] = [
        ExecutorKind::Sequential,
        ExecutorKind::Rayon,
        ExecutorKind::StdPool,
        ExecutorKind::ScopedThreads,
        ExecutorKind::Tokio,
        ExecutorKind::ProcessPool,
        ExecutorKind::SpawnPerTask,
    ];

    /// The kinds a sweep runs unless told otherwise: every built-in kind.
    pub const DEFAULT: [ExecutorKind; 7] = ExecutorKind::ALL;

    /// The kind's stable name: the function part of every benchmark id, so baselines depend on it.
    pub fn name(self) -> &'static str {
        match self {
            ExecutorKind::Sequential => "Sequential",
            ExecutorKind::Rayon => "Rayon",
            ExecutorKind::StdPool => "StdPool",
            ExecutorKind::ScopedThreads => "ScopedThreads",
            ExecutorKind::Tokio => "Tokio",
            ExecutorKind::ProcessPool => "ProcessPool",
            ExecutorKind::SpawnPerTask => "SpawnPerTask",
            ExecutorKind::Custom(name) => name,
        }
    }

    /// The built-in kind with this [`name`](Self::name), ignoring case.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.name().eq_ignore_ascii_case(name))
    }

    /// Whether the kind runs more than one task at a time (everything but [`Sequential`]).
    pub fn is_pool(self) -> bool {
        self != ExecutorKind::Sequential
    }

    /// Whether the kind's workers are other processes (never said of another crate's executor).
    pub fn is_process(self) -> bool {
        matches!(self, ExecutorKind::ProcessPool | ExecutorKind::SpawnPerTask)
    }

    /// Starts an executor of this kind with `size` workers ([`Sequential`] ignores the size),
    /// every other setting at its default.
    ///
    /// # Errors
    ///
    /// As the kind's own constructor: a size of 0, or workers that could not start.
    pub fn build(self, size: usize) -> Result<AnyExecutor, Error> {
        Ok(match self {
            ExecutorKind::Sequential => AnyExecutor::Sequential(Sequential),
            ExecutorKind::Rayon => AnyExecutor::Rayon(RayonPool::new(size)?),
            ExecutorKind::StdPool => AnyExecutor::StdPool(StdPool::new(size)?),
            ExecutorKind::ScopedThreads => AnyExecutor::ScopedThreads(ScopedThreads::new(size)?),
            ExecutorKind::Tokio => AnyExecutor::Tokio(TokioPool::new(size)?),
            ExecutorKind::ProcessPool => AnyExecutor::ProcessPool(ProcessPool::new(size)?),
            ExecutorKind::SpawnPerTask => AnyExecutor::SpawnPerTask(SpawnPerTask::new(size)?),
            ExecutorKind::Custom(name) => {
                return Err(Error::invalid_config(format!(
                    "{name} is another crate's executor: it is started by the constructor given to Sweep::executor"
                )));
            }
        })
    }
}

impl std::fmt::Display for ExecutorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An executor of any kind, owned: what [`ExecutorKind::build`] returns.
#[derive(Debug)]
pub enum AnyExecutor {
    /// A [`Sequential`] executor.
    Sequential(Sequential),
    /// A [`RayonPool`].
    Rayon(RayonPool),
    /// A [`StdPool`].
    StdPool(StdPool),
    /// A [`ScopedThreads`] executor.
    ScopedThreads(ScopedThreads),
    /// A [`TokioPool`].
    Tokio(TokioPool),
    /// A [`ProcessPool`].
    ProcessPool(ProcessPool),
    /// A [`SpawnPerTask`] executor.
    SpawnPerTask(SpawnPerTask),
}

impl Executor for AnyExecutor {
    fn kind(&self) -> ExecutorKind {
        match self {
            AnyExecutor::Sequential(executor) => executor.kind(),
            AnyExecutor::Rayon(executor) => executor.kind(),
            AnyExecutor::StdPool(executor) => executor.kind(),
            AnyExecutor::ScopedThreads(executor) => executor.kind(),
            AnyExecutor::Tokio(executor) => executor.kind(),
            AnyExecutor::ProcessPool(executor) => executor.kind(),
            AnyExecutor::SpawnPerTask(executor) => executor.kind(),
        }
    }

    fn size(&self) -> usize {
        match self {
            AnyExecutor::Sequential(executor) => executor.size(),
            AnyExecutor::Rayon(executor) => executor.size(),
            AnyExecutor::StdPool(executor) => executor.size(),
            AnyExecutor::ScopedThreads(executor) => executor.size(),
            AnyExecutor::Tokio(executor) => executor.size(),
            AnyExecutor::ProcessPool(executor) => executor.size(),
            AnyExecutor::SpawnPerTask(executor) => executor.size(),
        }
    }

    fn prepare<W: Workload>(&self, workload: &W) -> Result<Prepared<'_, W>, Error> {
        match self {
            AnyExecutor::Sequential(executor) => executor.prepare(workload),
            AnyExecutor::Rayon(executor) => executor.prepare(workload),
            AnyExecutor::StdPool(executor) => executor.prepare(workload),
            AnyExecutor::ScopedThreads(executor) => executor.prepare(workload),
            AnyExecutor::Tokio(executor) => executor.prepare(workload),
            AnyExecutor::ProcessPool(executor) => executor.prepare(workload),
            AnyExecutor::SpawnPerTask(executor) => executor.prepare(workload),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pool_refuses_a_size_of_zero_saying_what_it_needs_at_least_one_of() {
        let needs = [
            (ExecutorKind::Rayon, "a RayonPool needs at least 1 thread"),
            (ExecutorKind::StdPool, "a StdPool needs at least 1 thread"),
            (ExecutorKind::ScopedThreads, "ScopedThreads needs at least 1 thread at a time"),
            (ExecutorKind::Tokio, "a TokioPool needs at least 1 worker"),
            (ExecutorKind::ProcessPool, "a ProcessPool needs at least 1 worker"),
            (ExecutorKind::SpawnPerTask, "a SpawnPerTask needs at least 1 worker"),
        ];
        for (kind, needs) in needs {
            let err = kind.build(0).expect_err("a size of 0 is refused");
            assert_eq!(err.to_string(), format!("{needs}; got a size of 0"), "{kind}");
        }
    }
}
