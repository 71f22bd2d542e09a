//! Faults on demand, for testing how executors fail (the notebook's exercise 6).
//!
//! Each input says what its task does: return a value, fail, panic, hang, or end the process
//! running it. The process-ending actions only take effect inside a poolbench worker process;
//! anywhere else they fail the task instead, so a stray `Fault` can never take down a test
//! runner or a benchmark.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Workload, WorkloadError};

/// The fault-injection workload: each input is a [`FaultAction`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault;

/// What one [`Fault`] task does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaultAction {
    /// Returns the value.
    Return(u64),
    /// Returns a [`WorkloadError`] with this message.
    Fail(String),
    /// Panics with this message.
    Panic(String),
    /// Sleeps this long, then returns 0: long enough, and a task timeout fires.
    Hang(Duration),
    /// Exits the worker process with this code.
    Exit(i32),
    /// Aborts the worker process (SIGABRT).
    Abort,
    /// Sends SIGKILL to the worker process itself, as the out-of-memory killer would.
    Kill,
}

static PROCESS_FAULTS_ALLOWED: AtomicBool = AtomicBool::new(false);

/// Lets [`FaultAction::Exit`], [`FaultAction::Abort`] and [`FaultAction::Kill`] end this process:
/// called once by a worker process as it starts.
pub(crate) fn allow_process_faults() {
    PROCESS_FAULTS_ALLOWED.store(true, Ordering::SeqCst);
}

fn refused(action: &FaultAction) -> WorkloadError {
    WorkloadError::new(format!(
        "fault {action:?} ends the process running it, so it only runs inside a poolbench worker \
         process; run it on a ProcessPool or SpawnPerTask"
    ))
}

impl Workload for Fault {
    type Input = FaultAction;
    type Output = u64;
    type State = ();

    fn name(&self) -> &str {
        "fault"
    }

    fn run(&self, (): &(), action: &FaultAction) -> Result<u64, WorkloadError> {
        let process_faults = PROCESS_FAULTS_ALLOWED.load(Ordering::SeqCst);
        match action {
            FaultAction::Return(value) => Ok(*value),
            FaultAction::Fail(message) => Err(WorkloadError::new(message.clone())),
            FaultAction::Panic(message) => panic!("{message}"),
            FaultAction::Hang(duration) => {
                std::thread::sleep(*duration);
                Ok(0)
            }
            FaultAction::Exit(code) if process_faults => std::process::exit(*code),
            FaultAction::Abort if process_faults => std::process::abort(),
            FaultAction::Kill if process_faults => {
                // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
                unsafe { libc::kill(libc::getpid(), libc::SIGKILL) };
                unreachable!("SIGKILL cannot be caught")
            }
            FaultAction::Exit(_) | FaultAction::Abort | FaultAction::Kill => Err(refused(action)),
        }
    }

    fn reference(&self, action: &FaultAction) -> Option<Result<u64, WorkloadError>> {
        Some(match action {
            FaultAction::Return(value) => Ok(*value),
            FaultAction::Hang(_) => Ok(0),
            FaultAction::Fail(message) => Err(WorkloadError::new(message.clone())),
            FaultAction::Panic(message) => Err(WorkloadError::new(format!("panicked: {message}"))),
            FaultAction::Exit(_) | FaultAction::Abort | FaultAction::Kill => Err(refused(action)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_ending_faults_fail_the_task_outside_a_worker() {
        for action in [FaultAction::Exit(3), FaultAction::Abort, FaultAction::Kill] {
            let err = Fault.run(&(), &action).unwrap_err();
            assert!(err.message().contains("ProcessPool"), "{err}");
        }
    }

    #[test]
    fn fail_and_return_do_what_they_say() {
        assert_eq!(Fault.run(&(), &FaultAction::Return(9)), Ok(9));
        assert_eq!(Fault.run(&(), &FaultAction::Fail("no".into())), Err(WorkloadError::new("no")));
    }
}
