//! A closure as a workload: the quickest way to sweep a function on the thread executors.

use std::fmt::Debug;
use std::marker::PhantomData;
use std::sync::Arc;

use super::{Workload, WorkloadError};

/// The workload [`from_fn`] makes: `f` on each input, with no set-up and no reference.
///
/// A closure cannot cross into another process, so the process executors refuse it when they are
/// [prepared](crate::Executor::prepare), with a message saying to implement [`Workload`] for a
/// serializable type and register it instead.
pub struct FromFn<F, I, O> {
    name: Arc<str>,
    f: F,
    types: PhantomData<fn(&I) -> O>,
}

/// A workload named `name` that runs `f` on each input.
///
/// ```
/// use poolbench::{Executor, RayonPool, workload::from_fn};
///
/// let double = from_fn("double", |n: &u64| n * 2);
/// assert_eq!(RayonPool::new(2)?.map(&double, &[1, 2, 3])?, [2, 4, 6]);
/// # Ok::<(), poolbench::executor::Error>(())
/// ```
pub fn from_fn<I, O, F>(name: impl Into<String>, f: F) -> FromFn<F, I, O>
where
    F: Fn(&I) -> O + Clone + Send + Sync + 'static,
{
    FromFn { name: Arc::from(name.into()), f, types: PhantomData }
}

impl<F: Clone, I, O> Clone for FromFn<F, I, O> {
    fn clone(&self) -> Self {
        FromFn { name: Arc::clone(&self.name), f: self.f.clone(), types: PhantomData }
    }
}

impl<F, I, O> Workload for FromFn<F, I, O>
where
    F: Fn(&I) -> O + Clone + Send + Sync + 'static,
    I: Clone + Debug + Send + Sync + 'static,
    O: Debug + PartialEq + Send + 'static,
{
    type Input = I;
    type Output = O;
    type State = ();

    fn name(&self) -> &str {
        &self.name
    }

    fn run(&self, (): &(), input: &I) -> Result<O, WorkloadError> {
        Ok((self.f)(input))
    }
}
