//! Workloads that wait as async tasks: what a Rust user weighs against threads for I/O.
//!
//! An [`AsyncWorkload`] is the async counterpart of a [`Workload`]: its set-up and its tasks are
//! futures. The [`Tokio`](crate::TokioPool) executor runs them as tasks on its runtime (a timer,
//! a `TcpStream`), all of a map's tasks at once, so that a few worker threads wait on many. The
//! other executors run the same work blocking, through the type's [`Workload`] side: a type that
//! implements both, with the same input and output (poolbench's [`Sleep`](super::Sleep) and
//! [`LoopbackRequest`](super::LoopbackRequest) do), is swept across threads, processes and async
//! in one group (`Sweep::asynchronously`). A workload that only exists as async code runs on the
//! thread executors through [`Blocking`], which drives each task to completion on the calling
//! thread.

use std::future::Future;

use serde::{Deserialize, Serialize};

use super::{LoopbackRequest, Sleep, Workload, WorkloadError};

/// A workload whose set-up and tasks are futures, run by an async runtime.
///
/// ```
/// use poolbench::workload::{AsyncWorkload, WorkloadError};
///
/// #[derive(Clone)]
/// struct Ping;
///
/// impl AsyncWorkload for Ping {
///     type Input = u64;
///     type Output = u64;
///     type State = ();
///
///     async fn run(&self, (): &(), value: &u64) -> Result<u64, WorkloadError> {
///         tokio::time::sleep(std::time::Duration::from_millis(1)).await;
///         Ok(*value)
///     }
/// }
/// ```
pub trait AsyncWorkload: Clone + Send + Sync + 'static {
    /// One task's input.
    type Input: Clone + std::fmt::Debug + Send + Sync + 'static;
    /// One task's output.
    type Output: std::fmt::Debug + PartialEq + Send + 'static;
    /// What [`setup`](Self::setup) builds once per runtime and every task reads.
    type State: Send + Sync + 'static;

    /// The workload's name, for messages. Default: its type's name, without the path.
    fn name(&self) -> &str {
        let name = std::any::type_name::<Self>();
        let base = name.split('<').next().unwrap_or(name);
        base.rsplit("::").next().unwrap_or(base)
    }

    /// Builds the state every task reads, once per runtime, before the first task.
    ///
    /// Default: as [`Workload::setup`]'s, `Ok(())` when `State` is `()`, and for any other state
    /// an error naming the workload and its `State`.
    ///
    /// # Errors
    ///
    /// A set-up that fails fails every task of the map, naming the runtime.
    fn setup(&self) -> impl Future<Output = Result<Self::State, WorkloadError>> + Send {
        let state = super::unit_state(self.name(), "setup");
        async move { state }
    }

    /// Runs one task.
    ///
    /// # Errors
    ///
    /// As [`Workload::run`].
    fn run(
        &self,
        state: &Self::State,
        input: &Self::Input,
    ) -> impl Future<Output = Result<Self::Output, WorkloadError>> + Send;
}

impl AsyncWorkload for Sleep {
    type Input = u64;
    type Output = u64;
    type State = ();

    fn name(&self) -> &str {
        "io-sleep"
    }

    /// Tokio's timer: the task yields its thread while it waits.
    async fn run(&self, (): &(), token: &u64) -> Result<u64, WorkloadError> {
        tokio::time::sleep(self.duration).await;
        Ok(*token)
    }
}

impl AsyncWorkload for LoopbackRequest {
    type Input = u64;
    type Output = u64;
    type State = ();

    fn name(&self) -> &str {
        "io-tcp"
    }

    /// The same round trip as the blocking one, on Tokio's `TcpStream`, within the same timeout.
    async fn run(&self, (): &(), value: &u64) -> Result<u64, WorkloadError> {
        let request = async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut stream = tokio::net::TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            stream.write_all(&value.to_be_bytes()).await?;
            let mut answer = [0u8; 8];
            stream.read_exact(&mut answer).await?;
            Ok::<u64, std::io::Error>(u64::from_be_bytes(answer))
        };
        match tokio::time::timeout(self.timeout, request).await {
            Ok(Ok(answer)) => Ok(answer),
            Ok(Err(err)) => Err(failed_request(self, &err.to_string())),
            Err(_) => Err(failed_request(self, &format!("no answer within {:?}", self.timeout))),
        }
    }
}

fn failed_request(request: &LoopbackRequest, why: &str) -> WorkloadError {
    WorkloadError::new(format!(
        "request to the latency server at {} failed: {why}; is the server still running (LatencyServer::start) \
         and within {:?} of answering?",
        request.addr, request.timeout
    ))
}

/// An [`AsyncWorkload`] run blocking, as a [`Workload`]: each task is driven to completion on the
/// thread that runs it (a current-thread Tokio runtime per worker, built by its set-up), so that
/// async-only code runs on every thread executor, and on the process executors when registered
/// (`poolbench::remote!(Blocking<MyWorkload>)`; `A` serializable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocking<A>(pub A);

impl<A: AsyncWorkload> Workload for Blocking<A> {
    type Input = A::Input;
    type Output = A::Output;
    type State = (tokio::runtime::Runtime, A::State);

    fn name(&self) -> &str {
        self.0.name()
    }

    fn setup(&self) -> Result<Self::State, WorkloadError> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|err| {
            WorkloadError::new(format!("cannot build a runtime for {}: {err}", self.0.name()))
        })?;
        let state = runtime.block_on(self.0.setup())?;
        Ok((runtime, state))
    }

    fn run(
        &self,
        (runtime, state): &Self::State,
        input: &Self::Input,
    ) -> Result<Self::Output, WorkloadError> {
        runtime.block_on(self.0.run(state, input))
    }
}

/// The async side of a [`Blocking`] workload is the workload itself: so that an async-only
/// workload is swept on threads and processes (blocking) and on Tokio (as tasks) in one group,
/// `Sweep::new(group, &Blocking(mine), &inputs).asynchronously()`.
impl<A: AsyncWorkload> AsyncWorkload for Blocking<A> {
    type Input = A::Input;
    type Output = A::Output;
    type State = A::State;

    fn name(&self) -> &str {
        self.0.name()
    }

    fn setup(&self) -> impl Future<Output = Result<Self::State, WorkloadError>> + Send {
        self.0.setup()
    }

    fn run(
        &self,
        state: &Self::State,
        input: &Self::Input,
    ) -> impl Future<Output = Result<Self::Output, WorkloadError>> + Send {
        self.0.run(state, input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Executor, Sequential};
    use std::time::Duration;

    #[test]
    fn an_async_workload_run_blocking_gives_the_sync_one_s_answers() {
        let sleep = Sleep::new(Duration::from_micros(100));
        let inputs: Vec<u64> = (0..8).collect();
        assert_eq!(
            Sequential.map(&Blocking(sleep), &inputs).unwrap(),
            Sequential.map(&sleep, &inputs).unwrap()
        );
    }
}
