//! The one error type of every executor.

use std::sync::Arc;
use std::time::Duration;

use crate::format::byte_size;
use crate::workload::WorkloadError;

/// Why a task, or a whole pool, failed.
///
/// Opaque, as rayon's and std's errors are: ask it what happened with the `is_*` methods, which
/// task with [`task`](Error::task), which worker process with [`pid`](Error::pid), the
/// workload's own error with [`workload_error`](Error::workload_error). Its message names the
/// task or the worker and, where there is something to do, says what, as the crate's [error
/// rule](crate#errors) asks.
///
/// One failure of several tasks (a chunk that could not be sent, or that no worker could be
/// started for) is one error shared by all of them: cloning an error shares it, so a map of a
/// million tasks that fail together holds one message, not a million copies; see
/// [`is_same_failure`](Error::is_same_failure).
#[derive(Debug, Clone)]
pub struct Error {
    kind: Arc<ErrorKind>,
}

#[derive(Debug, Clone, thiserror::Error)]
enum ErrorKind {
    #[error("{0}")]
    InvalidConfig(String),
    #[error("task {task} failed: {error}")]
    Failed { task: usize, error: WorkloadError },
    #[error("task {task} panicked: {message}")]
    Panicked { task: usize, message: String },
    #[error("task {task} was lost: worker process {pid} {how}{}; the pool replaced the worker", stderr_note(.stderr))]
    WorkerDied { task: usize, pid: u32, how: String, stderr: String },
    #[error("task {task} timed out after {after:?}: worker process {pid} was killed and replaced")]
    TimedOut { task: usize, pid: u32, after: Duration },
    #[error(
        "task {task} ran, but its result is too large to send back: {bytes} bytes, over the {} frame limit; {hint}",
        byte_size(*.limit)
    )]
    ResultTooLarge { task: usize, bytes: u64, limit: usize, hint: &'static str },
    #[error("{}{message}", pid_prefix(*.pid))]
    Worker { pid: Option<u32>, message: String },
    #[error("{worker} {message}")]
    SetupFailed { worker: String, message: String },
}

/// " (its stderr ended with: ...)", or nothing when the worker wrote nothing.
pub(crate) fn stderr_note(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() { String::new() } else { format!(" (its stderr ended with: {stderr})") }
}

fn pid_prefix(pid: Option<u32>) -> String {
    pid.map(|pid| format!("worker process {pid}: ")).unwrap_or_default()
}

impl Error {
    /// An executor built with a setting it cannot take: `message` says which and what to give.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidConfig(message.into()))
    }

    /// Task `task` (its index in the inputs) returned `error`: what an executor of your own
    /// returns for it.
    pub fn failed(task: usize, error: WorkloadError) -> Self {
        Error::new(ErrorKind::Failed { task, error })
    }

    /// Task `task` panicked with `message`.
    pub fn panicked(task: usize, message: String) -> Self {
        Error::new(ErrorKind::Panicked { task, message })
    }

    pub(crate) fn worker_died(task: usize, pid: u32, how: String, stderr: String) -> Self {
        Error::new(ErrorKind::WorkerDied { task, pid, how, stderr })
    }

    pub(crate) fn timed_out(task: usize, pid: u32, after: Duration) -> Self {
        Error::new(ErrorKind::TimedOut { task, pid, after })
    }

    /// `hint` says what can help, which depends on the codec.
    pub(crate) fn result_too_large(task: usize, bytes: u64, limit: usize, hint: &'static str) -> Self {
        Error::new(ErrorKind::ResultTooLarge { task, bytes, limit, hint })
    }

    /// A worker failed outside any one task (`pid` when it is a process): `message` says how.
    pub fn worker(pid: Option<u32>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Worker { pid, message: message.into() })
    }

    /// `worker` ("thread 2 of a RayonPool of 4") could not set the workload up: `message` says
    /// so whole ("could not set up workload x: ...").
    pub fn setup_failed(worker: impl Into<String>, message: impl Into<String>) -> Self {
        Error::new(ErrorKind::SetupFailed { worker: worker.into(), message: message.into() })
    }

    /// The index, in the inputs, of the task that failed; `None` for a failure of the pool.
    pub fn task(&self) -> Option<usize> {
        match &*self.kind {
            ErrorKind::Failed { task, .. }
            | ErrorKind::Panicked { task, .. }
            | ErrorKind::WorkerDied { task, .. }
            | ErrorKind::TimedOut { task, .. }
            | ErrorKind::ResultTooLarge { task, .. } => Some(*task),
            ErrorKind::InvalidConfig(_) | ErrorKind::Worker { .. } | ErrorKind::SetupFailed { .. } => None,
        }
    }

    /// The worker process involved, for process executors.
    pub fn pid(&self) -> Option<u32> {
        match &*self.kind {
            ErrorKind::WorkerDied { pid, .. } | ErrorKind::TimedOut { pid, .. } => Some(*pid),
            ErrorKind::Worker { pid, .. } => *pid,
            _ => None,
        }
    }

    /// Whether the task's workload returned an error; the error is in
    /// [`workload_error`](Error::workload_error).
    pub fn is_workload_error(&self) -> bool {
        matches!(*self.kind, ErrorKind::Failed { .. })
    }

    /// The error the task's workload returned, if it returned one. Its message is already in this
    /// error's: this is for a caller that wants the workload's error itself.
    ///
    /// ```
    /// use poolbench::workload::{Fault, FaultAction};
    /// use poolbench::{Executor, Sequential};
    ///
    /// let err = Sequential.map(&Fault, &[FaultAction::Fail("disk full".into())]).unwrap_err();
    /// assert_eq!(err.to_string(), "task 0 failed: disk full");
    /// assert_eq!(err.workload_error().map(|cause| cause.message()), Some("disk full"));
    /// ```
    pub fn workload_error(&self) -> Option<&WorkloadError> {
        match &*self.kind {
            ErrorKind::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Whether the task panicked; its message is in [`panic_message`](Error::panic_message).
    pub fn is_panic(&self) -> bool {
        matches!(*self.kind, ErrorKind::Panicked { .. })
    }

    /// The panic's message, if the task panicked.
    pub fn panic_message(&self) -> Option<&str> {
        match &*self.kind {
            ErrorKind::Panicked { message, .. } => Some(message),
            _ => None,
        }
    }

    /// Whether the worker process running the task died (a signal, an exit, an abort).
    pub fn is_worker_death(&self) -> bool {
        matches!(*self.kind, ErrorKind::WorkerDied { .. })
    }

    /// Whether the task ran past the pool's task timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(*self.kind, ErrorKind::TimedOut { .. })
    }

    /// Whether a worker could not set the workload up: its [`setup`](crate::Workload::setup)
    /// failed or panicked, or (in a worker process) the workload is not one it can run.
    pub fn is_setup_failure(&self) -> bool {
        matches!(*self.kind, ErrorKind::SetupFailed { .. })
    }

    /// Whether the pool itself is at fault: a bad setting (a task's input or result over the
    /// frame limit among them), a worker that could not start or that broke the protocol.
    pub fn is_pool_error(&self) -> bool {
        matches!(
            *self.kind,
            ErrorKind::InvalidConfig(_) | ErrorKind::ResultTooLarge { .. } | ErrorKind::Worker { .. }
        )
    }

    /// Whether `self` and `other` are one failure, reported for several tasks: the tasks of a
    /// chunk that could not be sent, that a worker refused or lost by breaking the protocol, or
    /// that no worker could be started for share one error. A caller printing the errors of a
    /// map can print each failure once.
    ///
    /// ```
    /// use poolbench::workload::{Fault, FaultAction};
    /// use poolbench::{Executor, Sequential};
    ///
    /// let errors: Vec<_> = Sequential
    ///     .map_each(&Fault, &[FaultAction::Fail("a".into()), FaultAction::Fail("a".into())])
    ///     .into_iter()
    ///     .map(Result::unwrap_err)
    ///     .collect();
    /// // Two tasks that each failed: two failures, though their messages agree.
    /// assert!(!errors[0].is_same_failure(&errors[1]));
    /// assert!(errors[0].is_same_failure(&errors[0].clone()));
    /// ```
    pub fn is_same_failure(&self, other: &Error) -> bool {
        Arc::ptr_eq(&self.kind, &other.kind)
    }
}

opaque_error!(Error, ErrorKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_task_and_the_worker() {
        let died = Error::worker_died(7, 4242, "was killed by SIGKILL".into(), "oom\n".into());
        let text = died.to_string();
        assert!(text.contains("task 7") && text.contains("4242") && text.contains("SIGKILL"), "{text}");
        assert!(text.contains("oom"), "{text}");
        assert!(died.is_worker_death() && !died.is_timeout());
        assert_eq!((died.task(), died.pid()), (Some(7), Some(4242)));

        let timed_out = Error::timed_out(3, 99, Duration::from_millis(250));
        assert!(timed_out.is_timeout());
        assert!(timed_out.to_string().contains("250ms"), "{timed_out}");
    }

    #[test]
    fn a_workload_error_prints_once_and_stays_reachable() {
        let err = Error::failed(2, WorkloadError::new("connection refused"));
        assert_eq!(err.to_string(), "task 2 failed: connection refused");
        let chain = format!("{:#}", anyhow::Error::new(err.clone()).context("running the map"));
        assert_eq!(chain, "running the map: task 2 failed: connection refused");
        assert_eq!(chain.matches("connection refused").count(), 1, "{chain}");
        assert!(std::error::Error::source(&err).is_none());
        assert_eq!(err.workload_error(), Some(&WorkloadError::new("connection refused")));
        assert_eq!(Error::panicked(2, "boom".into()).workload_error(), None);
    }

    #[test]
    fn an_error_is_one_pointer_wide_so_results_stay_small() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
        assert_eq!(std::mem::size_of::<Result<u64, Error>>(), 16);
    }
}
