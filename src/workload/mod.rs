//! The notebook's workloads.
//!
//! A workload is a pure function from an input to an output ([`Workload`]), plus, for the
//! notebook's, a sequential reference that computes the same answer a different, obviously
//! correct way. Pure means any [`Executor`](crate::Executor) can run it and be checked against
//! Sequential; serializable and registered (all of these are) means one whose workers are other
//! processes can too; the reference checks Sequential itself, once before every benchmark.
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
//! # Your own workloads
//!
//! Any type implementing [`Workload`] runs on the thread executors. To run on the process
//! executors too, where the worker is this same program started again, the type and its input
//! and output must be serde-serializable, and it must be registered by name with
//! [`poolbench::remote!`](crate::remote), which the worker looks it up by. [`from_fn`] makes a
//! workload of a closure, for the thread executors only.
//!
//! A workload's [`setup`](Workload::setup) runs once per worker (thread or process), outside the
//! timed map when the executor is [prepared](crate::Executor::prepare) first (as a sweep does);
//! its [`State`](Workload::State) is what every task of that worker is given.

mod asynchronous;
pub mod contention;
mod cpu_spin;
mod factorial;
pub(crate) mod fault;
mod from_fn;
mod io_wait;
mod latency_server;
pub mod producer_consumer;
mod shared_counter;
mod squares;

use std::fmt::Debug;

use serde::Serialize;

pub use asynchronous::{AsyncWorkload, Blocking};
pub use cpu_spin::CpuSpin;
pub use factorial::Factorial;
pub use fault::{Fault, FaultAction};
pub use from_fn::{FromFn, from_fn};
pub use io_wait::{LoopbackRequest, Sleep};
pub use latency_server::LatencyServer;
pub use shared_counter::{CounterMapping, SharedCounter, SharedCounterFile};
pub use squares::Squares;

/// A function over inputs, runnable by any executor: the unit poolbench measures.
///
/// Implementations must not depend on which thread or process runs them: the same input gives the
/// same output everywhere, which is what lets every executor be checked against
/// [`Sequential`](crate::Sequential), and [`reference`](Workload::reference) check Sequential.
///
/// ```
/// use poolbench::workload::{Workload, WorkloadError};
///
/// /// The length of a document, in words.
/// #[derive(Clone)]
/// struct WordCount;
///
/// impl Workload for WordCount {
///     type Input = String;
///     type Output = usize;
///     type State = ();
///
///     fn run(&self, (): &(), document: &String) -> Result<usize, WorkloadError> {
///         Ok(document.split_whitespace().count())
///     }
/// }
/// ```
pub trait Workload: Clone + Send + Sync + 'static {
    /// One task's input.
    type Input: Clone + Debug + Send + Sync + 'static;
    /// One task's output.
    type Output: Debug + PartialEq + Send + 'static;
    /// What [`setup`](Workload::setup) builds once per worker and every task of that worker
    /// reads: a parsed file, a table, a connection; `()` for a workload that needs none.
    type State: Send + Sync + 'static;

    /// The workload's name, for messages. Default: its type's name, without the path.
    fn name(&self) -> &str {
        let name = std::any::type_name::<Self>();
        let base = name.split('<').next().unwrap_or(name);
        base.rsplit("::").next().unwrap_or(base)
    }

    /// Builds a worker's state, once per worker (thread or process) before its first task.
    ///
    /// Default: `Ok(())` when [`State`](Workload::State) is `()`, so a workload without a state
    /// leaves it out. A workload with a state of its own implements it; if it does not, every
    /// worker's set-up fails with an error naming the workload and its `State` (at the first
    /// `prepare`, which every sweep runs when it checks the answers, before anything is timed),
    /// since a default cannot build a state it does not know.
    ///
    /// # Errors
    ///
    /// A set-up that fails fails the executor's [`prepare`](crate::Executor::prepare), naming
    /// the worker, or every task of a map that was not prepared.
    fn setup(&self) -> Result<Self::State, WorkloadError> {
        unit_state(self.name(), "setup")
    }

    /// Runs one task with its worker's state.
    ///
    /// # Errors
    ///
    /// A workload that does I/O returns an error naming what failed (a refused connection, a
    /// timeout); the pure ones never fail.
    fn run(&self, state: &Self::State, input: &Self::Input) -> Result<Self::Output, WorkloadError>;

    /// What [`run`](Workload::run) must return for `input`, computed by an independent and
    /// obviously correct method without the cost `run` is there to measure (no sleeping, no
    /// server), when there is one. Default: none, and Sequential's answer is taken as it is.
    fn reference(&self, input: &Self::Input) -> Option<Result<Self::Output, WorkloadError>> {
        let _ = input;
        None
    }
}

/// `()` as a `State`, for the default `setup` of [`Workload`] and [`AsyncWorkload`]; for any other
/// state, the error that says the workload `name` must implement `method` to build it.
pub(crate) fn unit_state<State: 'static>(name: &str, method: &str) -> Result<State, WorkloadError> {
    let unit: Box<dyn std::any::Any> = Box::new(());
    unit.downcast::<State>().map(|state| *state).map_err(|_| {
        WorkloadError::new(format!(
            "workload {name}: its State is {}, not (), so it must implement {method} to build one",
            std::any::type_name::<State>()
        ))
    })
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
