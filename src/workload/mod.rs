//! The notebook's workloads.
//!
//! A workload is a pure function from a serializable input to a serializable output, plus a
//! sequential reference that computes the same answer a different, obviously correct way. Pure
//! and serializable means any [`Executor`](crate::Executor) can run it, including one whose
//! workers are other processes; the reference means every executor's answers can be checked, and
//! every benchmark checks them once before it is timed.
//!
//! | workload | input | output | notebook |
//! |---|---|---|---|
//! | [`Factorial`] | `n: u32` | exact `n!` as a `BigUint` | exercise 7 (1..=10), and 2,000..20,000 as CPU-heavy work |
//! | [`Squares`] | `n: u32` | `n * n` as `u64` | exercise 8 |
//! | [`CpuSpin`] | a bound | the number of primes below it | exercise 1, CPU-bound work of tunable cost |
//! | [`Sleep`] | a token | the token, after a fixed sleep | exercise 1, the notebook's own I/O simulation |
//! | [`LoopbackRequest`] | a value | the [`LatencyServer`]'s answer | exercise 1, a real blocking request |
//! | [`Fault`] | a [`FaultAction`] | a value, or a panic, a crash or a hang | exercise 6, for testing how executors fail |
//! | [`SharedCounter`] | a count | the count, added one by one to a counter in shared memory | exercise 5, `multiprocessing.Value` |
//!
//! Exercise 4's producer/consumer is not a map over inputs but a pair of threads sharing a list:
//! it lives in [`producer_consumer`] with its own exactly-once accounting. Exercise 5's sharing
//! primitives under contention live in [`contention`].
//!
//! To cross a process boundary a workload names itself with a [`WorkloadSpec`], the closed set of
//! workloads a worker process knows how to run.

pub mod contention;
mod cpu_spin;
mod factorial;
pub(crate) mod fault;
mod io_wait;
mod latency_server;
pub mod producer_consumer;
mod shared_counter;
mod squares;

use std::fmt::Debug;

use serde::{Serialize, de::DeserializeOwned};

pub use cpu_spin::CpuSpin;
pub use factorial::Factorial;
pub use fault::{Fault, FaultAction};
pub use io_wait::{LoopbackRequest, Sleep};
pub use latency_server::LatencyServer;
pub use shared_counter::{SharedCounter, SharedCounterFile};
pub use squares::Squares;

/// A pure function over serializable inputs, runnable by any executor.
///
/// Implementations must not depend on which thread or process runs them: the same input gives the
/// same output everywhere, which is what lets [`reference`](Workload::reference) check them.
pub trait Workload: Clone + Send + Sync + 'static {
    /// One task's input.
    type Input: Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static;
    /// One task's output.
    type Output: Debug + PartialEq + Send + Serialize + DeserializeOwned + 'static;

    /// The workload's stable name, as it appears in benchmark ids and reports.
    fn name(&self) -> &'static str;

    /// Runs one task.
    ///
    /// # Errors
    ///
    /// A workload that does I/O returns an error naming what failed (a refused connection, a
    /// timeout); the pure ones never fail.
    fn run(&self, input: &Self::Input) -> Result<Self::Output, WorkloadError>;

    /// Computes what [`run`](Workload::run) must return, by an independent and obviously correct
    /// method, without the cost `run` is there to measure (no sleeping, no server).
    ///
    /// # Errors
    ///
    /// The error `run` is expected to return for this input, for workloads that fail on purpose.
    fn reference(&self, input: &Self::Input) -> Result<Self::Output, WorkloadError>;

    /// This workload as a worker process knows it.
    fn spec(&self) -> WorkloadSpec;
}

/// A workload's own failure: an I/O error, or a failure requested on purpose by [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, serde::Deserialize)]
#[error("{message}")]
pub struct WorkloadError {
    message: String,
}

impl WorkloadError {
    /// An error with this message (lowercase, naming what failed and what to do).
    pub fn new(message: impl Into<String>) -> Self {
        WorkloadError { message: message.into() }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// The closed set of workloads a worker process can run: a workload's name and parameters, sent
/// over the pipe ahead of its inputs.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum WorkloadSpec {
    /// [`Factorial`].
    Factorial(Factorial),
    /// [`Squares`].
    Squares(Squares),
    /// [`CpuSpin`].
    CpuSpin(CpuSpin),
    /// [`Sleep`].
    Sleep(Sleep),
    /// [`LoopbackRequest`].
    LoopbackRequest(LoopbackRequest),
    /// [`Fault`].
    Fault(Fault),
    /// [`SharedCounter`].
    SharedCounter(SharedCounter),
}

/// Something to do with a workload whose concrete type is known only at run time: the receiving
/// half of a [`WorkloadSpec`].
pub trait WorkloadVisitor {
    /// What the visit returns.
    type Output;

    /// Called with the concrete workload.
    fn visit<W: Workload>(self, workload: W) -> Self::Output;
}

impl WorkloadSpec {
    /// Calls `visitor` with the concrete workload this spec names.
    pub fn visit<V: WorkloadVisitor>(self, visitor: V) -> V::Output {
        match self {
            WorkloadSpec::Factorial(w) => visitor.visit(w),
            WorkloadSpec::Squares(w) => visitor.visit(w),
            WorkloadSpec::CpuSpin(w) => visitor.visit(w),
            WorkloadSpec::Sleep(w) => visitor.visit(w),
            WorkloadSpec::LoopbackRequest(w) => visitor.visit(w),
            WorkloadSpec::Fault(w) => visitor.visit(w),
            WorkloadSpec::SharedCounter(w) => visitor.visit(w),
        }
    }
}
