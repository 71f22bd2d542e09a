//! A chunk's results on the wire: the body of a worker's PARTIAL and RESULTS frames.
//!
//! ```text
//! results := shape:u8 items
//!   shape 0: items of Output                   every task of the frame succeeded
//!   shape 1: items of Result<Output, TaskFailure>   some task failed, or an output did not
//!                                                   serialize
//! ```
//!
//! (`items` is `items.rs`'s: the codec's own sequence and an index of where each value lies.)
//!
//! Why two shapes: when every task succeeded, which is nearly always, the results are the
//! workload's outputs as the codec encodes a `Vec<Output>`, so the pool decodes a chunk in one
//! call straight into the outputs. Wrapping every output in a `Result` cost a variant tag to
//! write and to read per task and a pass to unwrap them: on `pools/squares-10k/ProcessPool/2`
//! (10,000 tasks, the pool's own process the bottleneck) the `Result` impls were 12% of the
//! pool process's profile and 7% of each worker's (issue 19). A frame in which some task failed
//! carries every task's outcome as before, so one failure still fails its task alone.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::Codec;
use super::items::{Items, ItemsWriter};
use super::protocol::TaskFailure;
use crate::executor::Error;

/// Shape 0: outputs only.
const OUTPUTS: u8 = 0;
/// Shape 1: each task's `Result<Output, TaskFailure>`.
const OUTCOMES: u8 = 1;

/// Why a task's result carries no output.
#[derive(Debug, PartialEq)]
pub(crate) enum NoOutput {
    /// The worker says why: the task failed, panicked, or its input or result did not cross.
    Failed(TaskFailure),
    /// Its bytes do not decode here; the message says why.
    Unreadable(String),
}

/// Appends `outcomes` as a results body to `out`: shape 0 when every outcome is an output that
/// serializes, else shape 1, an output that does not serialize replaced by a failure saying so.
///
/// # Errors
///
/// Too many outcomes or bytes for one sequence; `out` may then hold part of the body.
pub(crate) fn encode<O: Serialize>(
    codec: Codec,
    out: &mut Vec<u8>,
    outcomes: &[Result<O, TaskFailure>],
) -> Result<(), String> {
    let start = out.len();
    if outcomes.iter().all(Result::is_ok) {
        out.push(OUTPUTS);
        let mut items = ItemsWriter::begin(codec, out, outcomes.len())?;
        if outcomes.iter().flatten().try_for_each(|output| items.push(output)).is_ok() {
            return items.finish();
        }
        // An output that does not serialize: its task fails, so every outcome is spelled out.
        out.truncate(start);
    }
    out.push(OUTCOMES);
    let mut items = ItemsWriter::begin(codec, out, outcomes.len())?;
    for outcome in outcomes {
        items.push(outcome).or_else(|err| {
            // A failure's encoding does not depend on the output type: any `Ok` type serves.
            items.push(&Err::<(), _>(TaskFailure::ResultUnencodable(err)))
        })?;
    }
    items.finish()
}

/// Appends a results body of one task, failed with `failure`.
pub(crate) fn encode_failure(codec: Codec, out: &mut Vec<u8>, failure: TaskFailure) -> Result<(), String> {
    encode::<()>(codec, out, &[Err(failure)])
}

/// A results body as read: its shape and its items, not yet decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Results<'a> {
    shape: u8,
    items: Items<'a>,
}

impl<'a> Results<'a> {
    /// Reads the parts of a results body in `codec`.
    ///
    /// # Errors
    ///
    /// An empty body, a shape other than 0 or 1, or items that do not parse (`Items::parse`).
    pub(crate) fn parse(codec: Codec, body: &'a [u8]) -> Result<Self, String> {
        let (&shape, rest) = body.split_first().ok_or("results without their shape byte")?;
        if shape != OUTPUTS && shape != OUTCOMES {
            return Err(format!("results of shape {shape}, where 0 and 1 are known"));
        }
        Ok(Results { shape, items: Items::parse(codec, rest)? })
    }

    /// How many tasks' results.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Hands each task's outcome to `settle`, with its index, in order: its output, what the
    /// worker says went wrong, or why its bytes do not decode here. The whole is decoded in one
    /// call; only when that fails, value by value, so that one result that does not decode here
    /// costs its task only.
    pub(crate) fn decode<O: DeserializeOwned>(&self, mut settle: impl FnMut(usize, Result<O, NoOutput>)) {
        let items = &self.items;
        if self.shape == OUTPUTS {
            match items.decode_all::<O>() {
                Some(all) => all.into_iter().enumerate().for_each(|(at, output)| settle(at, Ok(output))),
                None => (0..items.len())
                    .for_each(|at| settle(at, items.decode_one(at).map_err(NoOutput::Unreadable))),
            }
            return;
        }
        let outcome = |result: Result<O, TaskFailure>| result.map_err(NoOutput::Failed);
        match items.decode_all::<Result<O, TaskFailure>>() {
            Some(all) => all.into_iter().enumerate().for_each(|(at, result)| settle(at, outcome(result))),
            None => (0..items.len()).for_each(|at| {
                settle(at, items.decode_one(at).map_err(NoOutput::Unreadable).and_then(outcome));
            }),
        }
    }

    /// Gives each task's outcome to `into`, task `first + k` being this body's `k`th: a chunk of
    /// outputs that decodes whole goes in as one run, as decoded; a task without an output gets
    /// the error `failed` makes of it, given its index in this body.
    pub(crate) fn collect_into<O: DeserializeOwned>(
        &self,
        first: usize,
        into: &mut Collected<O>,
        failed: &mut dyn FnMut(usize, NoOutput) -> Error,
    ) {
        if self.shape == OUTPUTS
            && let Some(all) = self.items.decode_all::<O>()
        {
            return into.outputs(first, all);
        }
        self.decode::<O>(|at, outcome| match outcome {
            Ok(output) => into.outputs(first + at, vec![output]),
            Err(no_output) => into.failure(first + at, failed(at, no_output)),
        });
    }

    /// Appends result `at` alone, as a results body of one, to `out`: how a worker splits an
    /// answer too long for one frame.
    ///
    /// # Errors
    ///
    /// `at` is past the end, or its index points outside the sequence.
    pub(crate) fn single(&self, at: usize, out: &mut Vec<u8>) -> Result<(), String> {
        let bytes = self.items.bytes(at)?;
        out.push(self.shape);
        let mut one = ItemsWriter::begin(self.items.codec(), out, 1)?;
        one.push_encoded(bytes)?;
        one.finish()
    }

    /// Every outcome, decoded: for tests, which compare them whole.
    #[cfg(test)]
    pub(crate) fn outcomes<O: DeserializeOwned>(&self) -> Vec<Result<O, NoOutput>> {
        let mut all = Vec::new();
        self.decode(|_, outcome| all.push(outcome));
        all
    }
}

/// A map's results, gathered in the pool's process as chunks' answers arrive, in any order: runs
/// of outputs, each a chunk's outputs as they were decoded, and the errors of the tasks that have
/// none. A map then takes the outputs in one pass ([`into_outputs`](Self::into_outputs)), without
/// a slot per task: on ten thousand small tasks, writing and unwrapping a `Result` slot per task
/// was a quarter of the pool process's time (issue 19).
#[derive(Debug)]
pub(crate) struct Collected<O> {
    len: usize,
    runs: Vec<(usize, Vec<O>)>,
    failures: Vec<(usize, Error)>,
}

impl<O> Collected<O> {
    /// Nothing yet, of a map of `len` tasks.
    pub(crate) fn new(len: usize) -> Self {
        Collected { len, runs: Vec::new(), failures: Vec::new() }
    }

    /// The outputs of tasks `first..first + outputs.len()`.
    pub(crate) fn outputs(&mut self, first: usize, outputs: Vec<O>) {
        if !outputs.is_empty() {
            self.runs.push((first, outputs));
        }
    }

    /// Task `task` has no output, for this reason.
    pub(crate) fn failure(&mut self, task: usize, error: Error) {
        self.failures.push((task, error));
    }

    /// Every task's output in input order, or the first error in input order: a failed task's,
    /// or a task's that got no result (a bug in the pool, said as such).
    pub(crate) fn into_outputs(mut self) -> Result<Vec<O>, Error> {
        if self.failures.is_empty() {
            self.runs.sort_unstable_by_key(|(first, _)| *first);
            let tiled =
                self.runs.iter().try_fold(0, |next, (first, run)| (*first == next).then(|| next + run.len()));
            if tiled == Some(self.len) {
                let mut all = Vec::with_capacity(self.len);
                self.runs.into_iter().for_each(|(_, run)| all.extend(run));
                return Ok(all);
            }
        }
        self.into_each().into_iter().collect()
    }

    /// Each task's own result, in input order; a task that got none has an error saying so.
    pub(crate) fn into_each(self) -> Vec<Result<O, Error>> {
        let mut slots: Vec<Option<Result<O, Error>>> = (0..self.len).map(|_| None).collect();
        for (first, run) in self.runs {
            for (slot, output) in slots.iter_mut().skip(first).zip(run) {
                *slot = Some(Ok(output));
            }
        }
        for (task, error) in self.failures {
            if let Some(slot) = slots.get_mut(task) {
                *slot = Some(Err(error));
            }
        }
        let missing = |task| Error::worker(None, format!("task {task} got no result: a bug in the pool"));
        slots.into_iter().enumerate().map(|(task, slot)| slot.unwrap_or_else(|| Err(missing(task)))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::WorkloadError;

    fn written<O: Serialize>(codec: Codec, outcomes: &[Result<O, TaskFailure>]) -> Vec<u8> {
        let mut out = Vec::new();
        encode(codec, &mut out, outcomes).unwrap();
        out
    }

    #[test]
    fn outputs_alone_when_every_task_succeeded_and_each_outcome_when_one_failed() {
        for codec in Codec::ALL {
            let body = written(codec, &[Ok(1u64), Ok(2)]);
            assert_eq!(body[0], OUTPUTS, "{codec}");
            // The sequence is the codec's own `Vec<Output>`: no tag per task.
            let mut plain = Vec::new();
            super::super::items::encode(codec, &mut plain, &[1u64, 2]).unwrap();
            assert_eq!(&body[1..], plain.as_slice(), "{codec}");
            let results = Results::parse(codec, &body).unwrap();
            assert_eq!(results.outcomes::<u64>(), [Ok(1), Ok(2)], "{codec}");

            let failed = TaskFailure::Failed(WorkloadError::new("no"));
            let body = written(codec, &[Ok(1u64), Err(failed.clone()), Ok(3)]);
            assert_eq!(body[0], OUTCOMES, "{codec}");
            let results = Results::parse(codec, &body).unwrap();
            assert_eq!(results.outcomes::<u64>(), [Ok(1), Err(NoOutput::Failed(failed)), Ok(3)], "{codec}");
        }
    }

    #[test]
    fn an_output_that_does_not_serialize_fails_its_task_alone() {
        /// A number that refuses to serialize when it is 0.
        struct Output(u32);
        impl Serialize for Output {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self.0 {
                    0 => Err(serde::ser::Error::custom("refused")),
                    n => serializer.serialize_u32(n),
                }
            }
        }
        for codec in Codec::ALL {
            let body = written(codec, &[Ok(Output(7)), Ok(Output(0)), Ok(Output(9))]);
            assert_eq!(body[0], OUTCOMES, "{codec}");
            let got = Results::parse(codec, &body).unwrap().outcomes::<u32>();
            assert_eq!(got[0], Ok(7), "{codec}");
            // postcard keeps no custom message ("Serde Serialization Error"); JSON does.
            assert!(
                matches!(&got[1], Err(NoOutput::Failed(TaskFailure::ResultUnencodable(why)))
                    if codec == Codec::Postcard || why.contains("refused")),
                "{codec}: {:?}",
                got[1]
            );
            assert_eq!(got[2], Ok(9), "{codec}");
        }
    }

    #[test]
    fn a_result_that_does_not_decode_here_fails_its_task_alone_in_either_shape() {
        use std::num::NonZeroU32;
        for codec in Codec::ALL {
            let failed = TaskFailure::Panicked("boom".into());
            for outcomes in [vec![Ok(1u32), Ok(0), Ok(3)], vec![Ok(1), Ok(0), Err(failed.clone())]] {
                let body = written(codec, &outcomes);
                // Read as a NonZeroU32, the 0 does not decode; its neighbours do.
                let got = Results::parse(codec, &body).unwrap().outcomes::<NonZeroU32>();
                assert_eq!(got[0], Ok(NonZeroU32::MIN), "{codec}");
                assert!(matches!(got[1], Err(NoOutput::Unreadable(_))), "{codec}: {:?}", got[1]);
                let third = outcomes[2].clone().map(|value| NonZeroU32::new(value).unwrap());
                assert_eq!(got[2], third.map_err(NoOutput::Failed), "{codec}");
            }
        }
    }

    #[test]
    fn a_result_alone_keeps_its_shape() {
        for codec in Codec::ALL {
            let failed = TaskFailure::Panicked("boom".into());
            for outcomes in [vec![Ok(5u32), Ok(6)], vec![Ok(5), Err(failed)]] {
                let body = written(codec, &outcomes);
                let results = Results::parse(codec, &body).unwrap();
                for (at, outcome) in outcomes.iter().enumerate() {
                    let mut one = Vec::new();
                    results.single(at, &mut one).unwrap();
                    let got = Results::parse(codec, &one).unwrap().outcomes::<u32>();
                    assert_eq!(got, [outcome.clone().map_err(NoOutput::Failed)], "{codec}");
                }
            }
        }
    }

    #[test]
    fn a_body_without_a_known_shape_is_refused() {
        assert!(Results::parse(Codec::Postcard, &[]).unwrap_err().contains("shape"));
        let mut body = written(Codec::Postcard, &[Ok(1u8)]);
        body[0] = 7;
        assert!(Results::parse(Codec::Postcard, &body).unwrap_err().contains("shape 7"));
    }

    #[test]
    fn a_failure_alone_is_a_body_of_one() {
        let mut out = Vec::new();
        encode_failure(Codec::Json, &mut out, TaskFailure::ResultTooLarge { bytes: 9 }).unwrap();
        let got = Results::parse(Codec::Json, &out).unwrap().outcomes::<String>();
        assert_eq!(got, [Err(NoOutput::Failed(TaskFailure::ResultTooLarge { bytes: 9 }))]);
    }

    #[test]
    fn collected_runs_in_any_order_come_out_in_input_order() {
        let mut collected = Collected::new(5);
        collected.outputs(3, vec![30, 40]);
        collected.outputs(0, vec![0, 10]);
        collected.outputs(2, vec![20]);
        assert_eq!(collected.into_outputs().unwrap(), [0, 10, 20, 30, 40]);
    }

    #[test]
    fn collected_gives_the_first_failure_in_input_order_and_each_task_its_own_result() {
        let each = || {
            let mut collected = Collected::new(4);
            collected.outputs(0, vec![1]);
            collected.failure(3, Error::panicked(3, "late".into()));
            collected.failure(1, Error::panicked(1, "early".into()));
            collected.outputs(2, vec![3]);
            collected
        };
        assert!(each().into_outputs().unwrap_err().to_string().contains("task 1 panicked: early"));
        let results = each().into_each();
        assert_eq!(results[0].as_ref().ok(), Some(&1));
        assert!(results[1].as_ref().unwrap_err().to_string().contains("early"));
        assert_eq!(results[2].as_ref().ok(), Some(&3));
        assert!(results[3].as_ref().unwrap_err().to_string().contains("late"));
    }

    #[test]
    fn a_task_without_a_result_is_an_error_naming_it_never_a_short_answer() {
        let mut collected = Collected::new(3);
        collected.outputs(0, vec![1]);
        collected.outputs(2, vec![3]);
        let err = collected.into_outputs().unwrap_err().to_string();
        assert!(err.contains("task 1 got no result"), "{err}");
        // Overlapping runs (a task answered twice) do not tile the map either.
        let mut collected = Collected::new(2);
        collected.outputs(0, vec![1, 2]);
        collected.outputs(1, vec![2]);
        assert_eq!(collected.into_outputs().unwrap(), [1, 2], "the later answer of task 1 stands, whole");
    }

    #[test]
    fn a_body_collects_whole_or_task_by_task() {
        for codec in Codec::ALL {
            let failed = TaskFailure::Panicked("boom".into());
            let body = written(codec, &[Ok(7u32), Err(failed), Ok(9)]);
            let mut collected = Collected::new(5);
            collected.outputs(0, vec![1u32, 2]);
            let mut named = Vec::new();
            Results::parse(codec, &body).unwrap().collect_into(2, &mut collected, &mut |at, no_output| {
                named.push(at);
                Error::worker(None, format!("{no_output:?}"))
            });
            assert_eq!(named, [1], "{codec}: the failure is named by its index in the body");
            let each = collected.into_each();
            assert_eq!(
                each.iter().map(|result| result.as_ref().ok().copied()).collect::<Vec<_>>(),
                [Some(1), Some(2), Some(7), None, Some(9)]
            );
        }
    }
}
