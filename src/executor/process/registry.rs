//! The workloads a worker process can run, by name.
//!
//! A worker is this same program started again, so it has the same types; what it lacks is a way
//! to go from the name a request carries to the code that decodes, sets up and runs that
//! workload. Each registered workload contributes a [`Registration`]: its name and, instantiated
//! for its type, the functions that move it across the pipe. poolbench's own workloads are
//! listed here; any crate's are added with [`poolbench::remote!`](crate::remote), which puts the
//! registration in a distributed slice (`linkme`).
//!
//! Why a distributed slice: the registration sits beside the type it registers, in the crate that
//! defines it, as `#[test]` sits beside a test; there is no list in `main` to keep in step with
//! the workloads, and nothing runs before `main` to build one (unlike `inventory`'s
//! constructors). A type registered twice, or two types under one name, is reported when the
//! registry is first searched.
//!
//! The parent finds a workload's registration by its `TypeId` and hands the registration's
//! functions the workload, inputs and result vector type-erased (`dyn Any`, and [`Inputs`] for a
//! slice), which they take back as the types they were instantiated for: no serialization bound
//! reaches the [`Executor`] trait, and a workload that is not registered is refused, by name,
//! when a process pool is prepared.
//!
//! [`Executor`]: crate::Executor

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Codec;
use super::items::{self, Items};
use super::protocol::{self, TaskFailure};
use super::results::{self, Collected, NoOutput, Results};
use crate::executor::{Error, panic_message, try_set_up};
use crate::workload::{CpuSpin, Factorial, Fault, LoopbackRequest, SharedCounter, Sleep, Squares, Workload};

/// Where a worker's results go: a results body (`results.rs`) and whether it is the request's
/// last; `Err` when results can no longer be sent.
pub(crate) type Send<'a> = dyn FnMut(&[u8], bool) -> Result<(), String> + 'a;

/// A workload decoded and set up in a worker: the registration's `(W, W::State)`, boxed.
pub(crate) type SetUp = Box<dyn Any>;

/// A workload, and what moves it across a worker's pipes. Built by [`Registration::of`], through
/// [`poolbench::remote!`](crate::remote).
pub struct Registration {
    name: &'static str,
    type_id: fn() -> TypeId,
    encode_workload: fn(&dyn Any, Codec, &mut Vec<u8>) -> Result<(), String>,
    encode_inputs: fn(Inputs<'_>, Codec, &mut Vec<u8>) -> Result<(), String>,
    /// A [`DecodeResults`] of the workload's output, type-erased: [`Registration::decoder`] gives
    /// it back typed, so the pool decodes each result straight into its slot.
    decode_result: &'static (dyn Any + Sync),
    setup: fn(Codec, &[u8]) -> Result<SetUp, String>,
    run: Run,
}

/// Decodes the results of a RESULTS or PARTIAL frame (a results body, `results.rs`) for tasks
/// `tasks` into `into`; a task that failed, or whose bytes do not decode here, gets the error
/// `failed` makes of it, given its index in the body. `Err` when the results cannot be read at
/// all, or are not one per task: then nothing was collected.
pub(crate) type DecodeResults<O> = fn(
    Codec,
    &[u8],
    Range<usize>,
    &mut Collected<O>,
    &mut dyn FnMut(usize, NoOutput) -> Error,
) -> Result<(), String>;

/// The [`DecodeResults`] of `O`, as a constant a `const fn` can refer to.
struct Decoder<O>(PhantomData<O>);

impl<O: DeserializeOwned + 'static> Decoder<O> {
    const FN: &'static DecodeResults<O> = &(decode_results::<O> as DecodeResults<O>);
}
type Run = fn(&dyn Any, Codec, &[u8], bool, &mut Vec<u8>, &mut Send<'_>) -> Result<(), String>;

impl Registration {
    /// The registration of `W` under `name`, which must be unique in the program:
    /// [`poolbench::remote!`](crate::remote) gives the type's path.
    pub const fn of<W>(name: &'static str) -> Self
    where
        W: Workload + Serialize + DeserializeOwned,
        W::Input: Serialize + DeserializeOwned,
        W::Output: Serialize + DeserializeOwned,
    {
        Registration {
            name,
            type_id: TypeId::of::<W>,
            encode_workload: encode_workload::<W>,
            encode_inputs: encode_inputs::<W>,
            decode_result: Decoder::<W::Output>::FN,
            setup: setup::<W>,
            run: run::<W>,
        }
    }

    /// The name requests carry.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The spec of `workload` (which must be this registration's type): what SETUP and RUN
    /// frames carry to name and rebuild it.
    pub(crate) fn spec<W: Workload>(&self, workload: &W, codec: Codec) -> Result<Vec<u8>, String> {
        protocol::encode_spec(self.name, |out| (self.encode_workload)(workload, codec, out))
    }

    /// Appends `inputs` (of this registration's type), one item each, to `out`.
    pub(crate) fn encode_inputs<I: 'static>(
        &self,
        inputs: &[I],
        codec: Codec,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        (self.encode_inputs)(Inputs::new(inputs), codec, out)
    }

    /// The decoder of this registration's results, if its output type is `O`.
    pub(crate) fn decoder<O: 'static>(&self) -> Option<DecodeResults<O>> {
        let decode_result: &dyn Any = self.decode_result;
        decode_result.downcast_ref::<DecodeResults<O>>().copied()
    }

    /// In a worker: decodes the workload and sets it up; the pair, boxed, is what
    /// [`run`](Self::run) takes. `Err` is the set-up's failure, in words.
    pub(crate) fn setup(&self, codec: Codec, workload: &[u8]) -> Result<SetUp, String> {
        (self.setup)(codec, workload)
    }

    /// In a worker: runs each input of `inputs` (an items sequence) with a set-up workload and
    /// sends the results, encoded into `results`: all at once, or, when `stream`, one at a time as
    /// each task ends. An `Err` from `send` (the pool cannot be written to) stops the run and is
    /// returned, as is inputs that cannot be read at all.
    pub(crate) fn run(
        &self,
        prepared: &dyn Any,
        codec: Codec,
        inputs: &[u8],
        stream: bool,
        results: &mut Vec<u8>,
        send: &mut Send<'_>,
    ) -> Result<(), String> {
        (self.run)(prepared, codec, inputs, stream, results, send)
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration").field("name", &self.name).finish_non_exhaustive()
    }
}

/// A slice of inputs whose element type is known only as a `TypeId`: how a map's inputs reach a
/// registration's functions, which were instantiated for their type.
#[derive(Clone, Copy)]
pub(crate) struct Inputs<'a> {
    type_id: TypeId,
    start: *const (),
    len: usize,
    slice: PhantomData<&'a ()>,
}

impl<'a> Inputs<'a> {
    fn new<T: 'static>(slice: &'a [T]) -> Self {
        Inputs {
            type_id: TypeId::of::<T>(),
            start: slice.as_ptr().cast(),
            len: slice.len(),
            slice: PhantomData,
        }
    }

    /// The slice, if its elements are `T`s.
    fn get<T: 'static>(self) -> Option<&'a [T]> {
        // SAFETY: `start` and `len` come from a `&'a [U]` (in `new`), and `U` is `T`: their
        // `TypeId`s are equal. The slice is borrowed for 'a, so it is still there.
        (self.type_id == TypeId::of::<T>())
            .then(|| unsafe { std::slice::from_raw_parts(self.start.cast(), self.len) })
    }
}

fn downcast<T: 'static>(value: &dyn Any) -> Result<&T, String> {
    value
        .downcast_ref()
        .ok_or_else(|| format!("not a {}: a registration used for another type", std::any::type_name::<T>()))
}

fn encode_workload<W: Workload + Serialize>(
    workload: &dyn Any,
    codec: Codec,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    codec.encode_into(downcast::<W>(workload)?, out)
}

fn encode_inputs<W: Workload>(inputs: Inputs<'_>, codec: Codec, out: &mut Vec<u8>) -> Result<(), String>
where
    W::Input: Serialize,
{
    let inputs = inputs.get::<W::Input>().ok_or_else(|| {
        format!("not {}: a registration used for another type", std::any::type_name::<W::Input>())
    })?;
    items::encode(codec, out, inputs)
}

fn decode_results<O: DeserializeOwned>(
    codec: Codec,
    results: &[u8],
    tasks: Range<usize>,
    into: &mut Collected<O>,
    failed: &mut dyn FnMut(usize, NoOutput) -> Error,
) -> Result<(), String> {
    let results = Results::parse(codec, results)?;
    if results.len() != tasks.len() {
        return Err(format!("{} results for {} tasks", results.len(), tasks.len()));
    }
    results.collect_into(tasks.start, into, failed);
    Ok(())
}

fn setup<W: Workload + DeserializeOwned>(codec: Codec, bytes: &[u8]) -> Result<SetUp, String> {
    let workload: W = codec.decode(bytes).map_err(|err| format!("cannot decode the workload: {err}"))?;
    let state = try_set_up(&workload)?;
    Ok(Box::new((workload, state)))
}

fn run<W: Workload>(
    prepared: &dyn Any,
    codec: Codec,
    inputs: &[u8],
    stream: bool,
    results: &mut Vec<u8>,
    send: &mut Send<'_>,
) -> Result<(), String>
where
    W::Input: DeserializeOwned,
    W::Output: Serialize,
{
    let (workload, state) = downcast::<(W, W::State)>(prepared)?;
    let inputs =
        Items::parse(codec, inputs).map_err(|err| format!("cannot read the request's inputs: {err}"))?;
    let count = inputs.len();
    // The whole chunk in one decode; value by value only when one of them does not decode.
    let whole = inputs.decode_all::<W::Input>();
    let task = |at: usize| -> Result<W::Output, TaskFailure> {
        let one;
        let input = match &whole {
            Some(all) => &all[at],
            None => {
                one = inputs.decode_one::<W::Input>(at).map_err(TaskFailure::InputUndecodable)?;
                &one
            }
        };
        match catch_unwind(AssertUnwindSafe(|| workload.run(state, input))) {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(err)) => Err(TaskFailure::Failed(err)),
            Err(payload) => Err(TaskFailure::Panicked(panic_message(payload.as_ref()))),
        }
    };
    if stream && count > 0 {
        // A frame per task is the pool's sign of progress: its task timeout restarts with each.
        for at in 0..count {
            let outcome = task(at);
            results.clear();
            results::encode(codec, results, std::slice::from_ref(&outcome))?;
            send(results, at + 1 == count)?;
        }
        return Ok(());
    }
    // Every outcome first: whether they all succeeded decides the results' shape (results.rs).
    let outcomes: Vec<Result<W::Output, TaskFailure>> = (0..count).map(task).collect();
    results.clear();
    results::encode(codec, results, &outcomes)?;
    send(results, true)
}

/// poolbench's own workloads, always present.
static BUILTIN: [Registration; 7] = [
    Registration::of::<Factorial>("poolbench::workload::Factorial"),
    Registration::of::<Squares>("poolbench::workload::Squares"),
    Registration::of::<CpuSpin>("poolbench::workload::CpuSpin"),
    Registration::of::<Sleep>("poolbench::workload::Sleep"),
    Registration::of::<LoopbackRequest>("poolbench::workload::LoopbackRequest"),
    Registration::of::<Fault>("poolbench::workload::Fault"),
    Registration::of::<SharedCounter>("poolbench::workload::SharedCounter"),
];

/// The registrations of other crates' workloads, added by [`poolbench::remote!`](crate::remote).
#[doc(hidden)]
#[linkme::distributed_slice]
pub static REMOTE_WORKLOADS: [Registration];

/// Every registration by name and by type, checked once: no name or type twice.
struct Registry {
    by_name: HashMap<&'static str, &'static Registration>,
    by_type: HashMap<TypeId, &'static Registration>,
    duplicate: Option<String>,
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut registry = Registry { by_name: HashMap::new(), by_type: HashMap::new(), duplicate: None };
        for registration in BUILTIN.iter().chain(REMOTE_WORKLOADS.iter()) {
            if let Some(earlier) = registry.by_name.insert(registration.name, registration) {
                registry.duplicate.get_or_insert(format!(
                    "two workloads are registered under the name {}: register each type once, under its own path",
                    earlier.name
                ));
            }
            if let Some(earlier) = registry.by_type.insert((registration.type_id)(), registration) {
                registry.duplicate.get_or_insert(format!(
                    "one type is registered twice, as {} and as {}: register it once",
                    earlier.name, registration.name
                ));
            }
        }
        registry
    })
}

/// The registration of `W`, for the parent.
///
/// # Errors
///
/// `W` is not registered (a closure, or a type without [`poolbench::remote!`](crate::remote)),
/// or the registry holds a duplicate: the message says what to do.
pub(crate) fn find<W: Workload>(workload: &W) -> Result<&'static Registration, String> {
    let registry = registry();
    if let Some(duplicate) = &registry.duplicate {
        return Err(duplicate.clone());
    }
    registry.by_type.get(&TypeId::of::<W>()).copied().ok_or_else(|| {
        format!(
            "workload {} ({}) cannot run in a worker process: it is not registered. Derive Serialize and \
             Deserialize for it, its input and its output, and add `poolbench::remote!({});` beside it; \
             a closure (workload::from_fn) runs on the thread executors only",
            workload.name(),
            std::any::type_name::<W>(),
            short_type_name::<W>()
        )
    })
}

/// The registration named `name`, for a worker.
///
/// # Errors
///
/// No workload of that name is registered in this program, or the registry holds a duplicate.
pub(crate) fn named(name: &str) -> Result<&'static Registration, String> {
    let registry = registry();
    if let Some(duplicate) = &registry.duplicate {
        return Err(duplicate.clone());
    }
    registry.by_name.get(name).copied().ok_or_else(|| {
        format!(
            "this worker does not know the workload {name}: register it with `poolbench::remote!` in the \
             program the pool runs as its worker (this same program, unless the pool was given another)"
        )
    })
}

fn short_type_name<W>() -> &'static str {
    let name = std::any::type_name::<W>();
    let base = name.split('<').next().unwrap_or(name);
    base.rsplit("::").next().unwrap_or(base)
}
