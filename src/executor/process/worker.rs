//! The worker process's side: read a request, run its tasks, answer, repeat.
//!
//! A worker is the pool's own program started again with `POOLBENCH_ROLE=worker` in its
//! environment (see `role.rs`), which turns it into [`serve_from_env`] before anything else
//! runs. It finds its request and response pipes at descriptors 3 and 4 (see the
//! [`super::protocol`]) and its settings in `POOLBENCH_WORKER_ARGS`, as command-line options:
//! the program's own command line is its user's. It looks each request's workload up by name in
//! the registry (`registry.rs`), sets it up the first time it is named, and keeps it set up.
//!
//! A worker never outlives its pool's process, even mid-task or stopped (SIGSTOP): on Linux it
//! asks the kernel to SIGKILL it when its parent dies (`PR_SET_PDEATHSIG`; the parent is the fork
//! server, which does the same against the pool's process, or for an executed worker the pool's
//! process itself), and exits at once if its parent is no longer the one expected
//! (`--parent-pid`), which died before it could ask. A pool that is dropped tells its idle
//! workers to stop and kills any still there after its shutdown timeout. Elsewhere a second
//! thread waits for the request pipe to hang up and ends the process.

use std::any::Any;
use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::time::Duration;

use super::protocol::{self, EncodeError, FromPool, REQUEST_FD, RESPONSE_FD, TaskFailure, Then};
use super::results::{self, Results};
use super::{Codec, build_id, registry, sys};
use crate::executor::spin;
use crate::workload::fault;

/// The environment variable that carries a worker's settings, as command-line options:
/// `--codec NAME [--max-frame-len BYTES] [--stream] [--parent-pid PID]`.
pub(crate) const ARGS_ENV: &str = "POOLBENCH_WORKER_ARGS";

/// How many set-up workloads a worker keeps. A pool that maps more kinds of workload than this
/// sets the others up again when they come back.
const KEPT_SETUPS: usize = 16;

/// Serves a pool on descriptors 3 and 4 until it says to stop or goes away, with the settings
/// in [`ARGS_ENV`]; returns the exit status: 0, or 2 after saying on stderr what went wrong.
pub(crate) fn serve_from_env() -> i32 {
    serve_with(&std::env::var(ARGS_ENV).unwrap_or_default())
}

/// Serves a pool on descriptors 3 and 4 with `settings` (as in [`ARGS_ENV`]); returns the exit
/// status: what a worker forked by the fork server runs.
pub(crate) fn serve_with(settings: &str) -> i32 {
    match serve_inner(settings.split_whitespace().map(str::to_owned)) {
        Ok(()) => 0,
        Err(message) => {
            eprintln!("poolbench worker: {message}");
            2
        }
    }
}

fn serve_inner(args: impl IntoIterator<Item = String>) -> Result<(), String> {
    let Args { codec, max_frame_len, stream, parent_pid } = parse_args(args)?;
    die_with_parent(parent_pid)?;
    if !sys::is_open(REQUEST_FD) || !sys::is_open(RESPONSE_FD) {
        return Err(format!(
            "descriptors {REQUEST_FD} and {RESPONSE_FD} are not open: this program is started by poolbench's \
             process pool (ProcessPool, SpawnPerTask), not by hand"
        ));
    }
    // SAFETY: both descriptors are open (checked above) and nothing else in this process uses them.
    let (mut requests, mut responses) =
        unsafe { (File::from_raw_fd(REQUEST_FD), File::from_raw_fd(RESPONSE_FD)) };
    fault::allow_process_faults();

    watch_for_hangup()?;

    let mut out = Vec::new();
    protocol::encode_hello(&mut out, codec, std::process::id(), build_id::this_build());
    responses.write_all(&out).map_err(|err| format!("cannot write the hello: {err}"))?;

    let mut setups = Setups::default();
    let mut results = Vec::new();
    loop {
        let payload = match protocol::read_frame(&mut requests, max_frame_len) {
            Ok(Some(payload)) => payload,
            Ok(None) => return Ok(()),
            Err(err) => return Err(format!("cannot read a request: {err}")),
        };
        // Both requests are answered to their id; a RUN also carries inputs, and what to do once
        // they are answered.
        let (request_id, spec, run) = match protocol::decode_from_pool(&payload) {
            Ok((FromPool::Shutdown, _)) => return Ok(()),
            Ok((FromPool::Setup { request_id, spec }, _)) => (request_id, spec, None),
            Ok((FromPool::Run { request_id, then, spec }, inputs)) => {
                (request_id, spec, Some((inputs, then)))
            }
            Err(message) => return Err(format!("the pool sent a malformed frame: {message}")),
        };
        let mut answer =
            Answer { codec, request_id, limit: max_frame_len, out: &mut out, responses: &mut responses };
        let Some((inputs, then)) = run else {
            match setups.get(spec, codec) {
                Ok(_) => answer.ready()?,
                Err(message) => answer.reject(&message)?,
            }
            continue;
        };
        let served =
            setups.get(spec, codec).map_err(Unanswered::Rejected).and_then(|(registration, prepared)| {
                run_chunk(registration, prepared, codec, inputs, stream, &mut results, &mut answer)
            });
        match served {
            Ok(()) => {}
            Err(Unanswered::Rejected(message)) => answer.reject(&message)?,
            Err(Unanswered::Broken(message)) => return Err(message),
        }
        if then == Then::Spin {
            // The pool saw a core free: catch its next request without the wake-up of a
            // blocked process (spin.rs); the read below blocks if none came.
            let next = [sys::Interest { fd: REQUEST_FD, read: true, write: false }];
            spin::spin(|| sys::poll(&next, Some(Duration::ZERO)).is_ok_and(|ready| ready[0].any()));
        }
    }
}

/// Elsewhere than Linux, a second thread waits for the request pipe to hang up and then ends the
/// process, so that a worker does not outlive its pool mid-task. On Linux the parent-death signal
/// does that ([`die_with_parent`]) and a pool that is dropped kills what has not exited after its
/// shutdown timeout; the thread is left out there, because starting it costs each worker about a
/// tenth of a millisecond, half as much again as forking it.
#[cfg(not(target_os = "linux"))]
fn watch_for_hangup() -> Result<(), String> {
    std::thread::Builder::new()
        .name("poolbench-worker-watchdog".into())
        .spawn(|| {
            sys::wait_for_hangup(REQUEST_FD);
            // The pool is gone: nobody will read what a running task produces.
            std::process::exit(0);
        })
        .map(drop)
        .map_err(|err| format!("cannot start the watchdog thread: {err}"))
}

#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_wraps)]
fn watch_for_hangup() -> Result<(), String> {
    Ok(())
}

/// What the pool says on the worker's command line.
#[derive(Debug, PartialEq)]
struct Args {
    codec: Codec,
    max_frame_len: usize,
    /// Send each result as soon as its task ends.
    stream: bool,
    /// The pool's process, which must be this worker's parent.
    parent_pid: Option<u32>,
}

/// Has the kernel SIGKILL this process when its parent dies, and fails if the parent is not
/// `expected`: it died between the spawn and now, too early for the signal.
#[cfg(target_os = "linux")]
pub(crate) fn die_with_parent(expected: Option<u32>) -> Result<(), String> {
    // SAFETY: prctl(2) with PR_SET_PDEATHSIG takes integer arguments only.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) } != 0 {
        return Err(format!("cannot ask for a parent-death signal: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: getppid(2) has no preconditions.
    let parent = unsafe { libc::getppid() }.unsigned_abs();
    match expected {
        Some(expected) if expected != parent => Err(format!(
            "the pool's process {expected} is gone (the parent is now {parent}); nothing to serve"
        )),
        _ => Ok(()),
    }
}

/// Elsewhere the watchdog thread is the only guard.
#[cfg(not(target_os = "linux"))]
pub(crate) fn die_with_parent(_: Option<u32>) -> Result<(), String> {
    Ok(())
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = args.into_iter();
    let mut parsed = Args {
        codec: Codec::default(),
        max_frame_len: protocol::MAX_FRAME_LEN,
        stream: false,
        parent_pid: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--codec" => {
                let name = args.next().ok_or("--codec needs a value: postcard or json")?;
                parsed.codec =
                    Codec::from_name(&name).ok_or(format!("unknown codec {name:?}: use postcard or json"))?;
            }
            "--max-frame-len" => {
                let value = args.next().ok_or("--max-frame-len needs a value in bytes")?;
                parsed.max_frame_len = value
                    .parse()
                    .ok()
                    .filter(|len| (protocol::MIN_FRAME_LEN..=u32::MAX as usize).contains(len))
                    .ok_or(format!(
                        "--max-frame-len {value:?} is not a byte count from 65536 to 4294967295"
                    ))?;
            }
            "--stream" => parsed.stream = true,
            "--parent-pid" => {
                let value = args.next().ok_or("--parent-pid needs a process id")?;
                parsed.parent_pid =
                    Some(value.parse().map_err(|_| format!("--parent-pid {value:?} is not a process id"))?);
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; the pool passes only --codec NAME, --max-frame-len BYTES, \
                     --stream and --parent-pid PID"
                ));
            }
        }
    }
    Ok(parsed)
}

/// Why a request was not answered with results.
enum Unanswered {
    /// It cannot be served; the pool is told why.
    Rejected(String),
    /// The response pipe failed: the worker cannot go on.
    Broken(String),
}

/// The workloads this worker has set up, by spec, and the set-ups that failed, with why: a
/// workload is set up once, however many requests name it.
#[derive(Default)]
struct Setups {
    by_spec: HashMap<Vec<u8>, Result<(&'static registry::Registration, registry::SetUp), String>>,
}

impl Setups {
    /// The registration and the set-up workload of `spec`, set up now if it is new.
    fn get(
        &mut self,
        spec: &[u8],
        codec: Codec,
    ) -> Result<(&'static registry::Registration, &dyn Any), String> {
        if !self.by_spec.contains_key(spec) {
            if self.by_spec.len() >= KEPT_SETUPS {
                self.by_spec.clear();
            }
            let set_up = protocol::decode_spec(spec).and_then(|(name, workload)| {
                let registration = registry::named(name)?;
                let prepared = registration
                    .setup(codec, workload)
                    .map_err(|err| format!("could not set up workload {name}: {err}"))?;
                Ok((registration, prepared))
            });
            self.by_spec.insert(spec.to_vec(), set_up);
        }
        match &self.by_spec[spec] {
            Ok((registration, prepared)) => Ok((registration, prepared.as_ref())),
            Err(message) => Err(message.clone()),
        }
    }
}

/// Runs a request's inputs with a set-up workload and sends the results: all at once, or, when
/// `stream`, each as soon as its task ends. `results` is the buffer they are encoded into, kept
/// from one request to the next so that a chunk allocates nothing for its results.
fn run_chunk(
    registration: &registry::Registration,
    prepared: &dyn Any,
    codec: Codec,
    inputs: &[u8],
    stream: bool,
    results: &mut Vec<u8>,
    answer: &mut Answer<'_>,
) -> Result<(), Unanswered> {
    let mut broken = None;
    let ran = registration.run(prepared, codec, inputs, stream, results, &mut |results, last| {
        let sent = if stream { answer.one(results, last) } else { answer.results(results) };
        sent.map_err(|err| {
            let message = match &err {
                Unanswered::Rejected(message) | Unanswered::Broken(message) => message.clone(),
            };
            broken = Some(err);
            message
        })
    });
    match broken {
        Some(err) => Err(err),
        None => ran.map_err(Unanswered::Rejected),
    }
}

/// The frames that answer one request, written as they are made.
struct Answer<'a> {
    codec: Codec,
    request_id: u64,
    limit: usize,
    out: &'a mut Vec<u8>,
    responses: &'a mut dyn Write,
}

impl Answer<'_> {
    /// Sends `results` (an items sequence) and ends the request: in one RESULTS frame if they
    /// fit, else one frame per result, each result too large for a frame of its own replaced by
    /// a failure saying so.
    fn results(&mut self, results: &[u8]) -> Result<(), Unanswered> {
        self.out.clear();
        let too_long = match protocol::encode_results(self.out, self.request_id, results, true, self.limit) {
            Ok(()) => return self.write(),
            Err(err @ EncodeError::TooLong { .. }) => err,
            Err(EncodeError::Codec(message)) => return Err(Unanswered::Rejected(message)),
        };
        // The tasks ran: a smaller chunk would only run them again, so their results travel apart.
        let each = Results::parse(self.codec, results).map_err(Unanswered::Rejected)?;
        if each.len() == 0 {
            return Err(Unanswered::Rejected(too_long.to_string()));
        }
        let mut one = Vec::new();
        for at in 0..each.len() {
            one.clear();
            each.single(at, &mut one).map_err(Unanswered::Rejected)?;
            self.one(&one, at + 1 == each.len())?;
        }
        Ok(())
    }

    /// Sends one result (a results body of one), in a PARTIAL frame, or in the RESULTS frame
    /// that ends the request.
    fn one(&mut self, result: &[u8], last: bool) -> Result<(), Unanswered> {
        let (codec, request_id, limit) = (self.codec, self.request_id, self.limit);
        let encode =
            |out: &mut Vec<u8>, result: &[u8]| protocol::encode_results(out, request_id, result, last, limit);
        self.out.clear();
        match encode(self.out, result) {
            Ok(()) => {}
            Err(EncodeError::TooLong { len, .. }) => {
                let failure = TaskFailure::ResultTooLarge { bytes: len as u64 };
                let mut too_large = Vec::new();
                results::encode_failure(codec, &mut too_large, failure).map_err(Unanswered::Rejected)?;
                encode(self.out, &too_large).map_err(|err| Unanswered::Rejected(err.to_string()))?;
            }
            Err(EncodeError::Codec(message)) => return Err(Unanswered::Rejected(message)),
        }
        self.write()
    }

    /// Ends a SETUP with a READY frame.
    fn ready(&mut self) -> Result<(), String> {
        self.out.clear();
        protocol::encode_ready(self.out, self.request_id);
        self.write().map_err(|_| "cannot write a response".to_owned())
    }

    /// Ends the request with a REJECTED frame.
    fn reject(&mut self, message: &str) -> Result<(), String> {
        self.out.clear();
        protocol::encode_rejected(self.out, self.request_id, message);
        self.write().map_err(|_| "cannot write a response".to_owned())
    }

    fn write(&mut self) -> Result<(), Unanswered> {
        self.responses
            .write_all(self.out)
            .map_err(|err| Unanswered::Broken(format!("cannot write a response: {err}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::process::items::{self, ItemsWriter};
    use crate::executor::process::results::NoOutput;

    /// A results body's outcomes as the worker wrote them; one that does not decode panics.
    fn outcomes<O: serde::de::DeserializeOwned>(codec: Codec, body: &[u8]) -> Vec<Result<O, TaskFailure>> {
        let outcomes = Results::parse(codec, body).unwrap().outcomes::<O>().into_iter();
        outcomes
            .map(|outcome| {
                outcome.map_err(|no_output| match no_output {
                    NoOutput::Failed(failure) => failure,
                    NoOutput::Unreadable(err) => panic!("a result does not decode: {err}"),
                })
            })
            .collect()
    }

    #[test]
    fn arguments_choose_the_codec_the_frame_limit_streaming_and_the_parent_and_anything_else_is_refused() {
        let args = |codec, max_frame_len| Ok(Args { codec, max_frame_len, stream: false, parent_pid: None });
        assert_eq!(parse_args(Vec::new()), args(Codec::Postcard, protocol::MAX_FRAME_LEN));
        assert_eq!(parse_args(["--codec".into(), "json".into()]), args(Codec::Json, protocol::MAX_FRAME_LEN));
        assert_eq!(parse_args(["--max-frame-len".into(), "65536".into()]), args(Codec::Postcard, 65536));
        assert!(parse_args(["--max-frame-len".into(), "100".into()]).unwrap_err().contains("\"100\""));
        assert!(parse_args(["--stream".into()]).unwrap().stream);
        assert_eq!(parse_args(["--parent-pid".into(), "42".into()]).unwrap().parent_pid, Some(42));
        assert!(parse_args(["--parent-pid".into(), "me".into()]).unwrap_err().contains("\"me\""));
        assert!(parse_args(["--codec".into()]).unwrap_err().contains("needs a value"));
        assert!(parse_args(["--codec".into(), "xml".into()]).unwrap_err().contains("\"xml\""));
        assert!(parse_args(["--verbose".into()]).unwrap_err().contains("\"--verbose\""));
    }

    /// Every frame in `stream`, decoded.
    fn frames(stream: &[u8]) -> Vec<Vec<u8>> {
        let mut reader = stream;
        std::iter::from_fn(|| protocol::read_frame(&mut reader, protocol::MAX_FRAME_LEN).unwrap()).collect()
    }

    /// The spec of `Fault` in `codec`.
    fn fault_spec(codec: Codec) -> Vec<u8> {
        use crate::workload::Fault;
        registry::find(&Fault).unwrap().spec(&Fault, codec).unwrap()
    }

    /// `inputs` as a RUN frame's inputs.
    fn items<T: serde::Serialize>(codec: Codec, inputs: &[T]) -> Vec<u8> {
        let mut out = Vec::new();
        items::encode(codec, &mut out, inputs).unwrap();
        out
    }

    /// Serves one RUN of `inputs` (already encoded) with `Fault`; returns each frame's kind and
    /// results.
    fn serve_fault(codec: Codec, inputs: &[u8], stream: bool) -> Vec<(bool, Vec<Result<u64, TaskFailure>>)> {
        let mut setups = Setups::default();
        let (registration, prepared) = setups.get(&fault_spec(codec), codec).unwrap();
        let (mut out, mut responses) = (Vec::new(), Vec::new());
        let limit = protocol::MAX_FRAME_LEN;
        let mut answer = Answer { codec, request_id: 3, limit, out: &mut out, responses: &mut responses };
        assert!(
            run_chunk(registration, prepared, codec, inputs, stream, &mut Vec::new(), &mut answer).is_ok()
        );
        frames(&responses)
            .iter()
            .map(|payload| {
                let (last, body) = match protocol::decode_from_worker(payload).unwrap() {
                    (protocol::FromWorker::Partial { request_id: 3 }, results) => (false, results),
                    (protocol::FromWorker::Results { request_id: 3 }, results) => (true, results),
                    other => panic!("unexpected {other:?}"),
                };
                (last, outcomes(codec, body))
            })
            .collect()
    }

    #[test]
    fn a_chunk_runs_every_input_and_turns_panics_into_failures() {
        use crate::workload::FaultAction;
        let codec = Codec::Postcard;
        let inputs = items(
            codec,
            &[FaultAction::Return(5), FaultAction::Panic("no".into()), FaultAction::Fail("x".into())],
        );
        let frames = serve_fault(codec, &inputs, false);
        let [(true, results)] = frames.as_slice() else { panic!("{} frames, not one RESULTS", frames.len()) };
        assert_eq!(results[0], Ok(5));
        assert_eq!(results[1], Err(TaskFailure::Panicked("no".into())));
        assert!(matches!(&results[2], Err(TaskFailure::Failed(err)) if err.message() == "x"));
    }

    #[test]
    fn a_streaming_worker_sends_each_result_in_a_frame_of_its_own() {
        use crate::workload::FaultAction;
        let codec = Codec::Json;
        let inputs = items(codec, &(1..=3).map(FaultAction::Return).collect::<Vec<_>>());
        let got = serve_fault(codec, &inputs, true);
        assert_eq!(got, [(false, vec![Ok(1)]), (false, vec![Ok(2)]), (true, vec![Ok(3)])]);
    }

    #[test]
    fn an_input_that_does_not_decode_fails_its_task_only() {
        use crate::workload::FaultAction;
        let codec = Codec::Postcard;
        let mut inputs = Vec::new();
        let mut writer = ItemsWriter::begin(codec, &mut inputs, 3).unwrap();
        writer.push(&FaultAction::Return(1)).unwrap();
        // Valid postcard, but not a FaultAction: the variant index is out of range.
        writer.push_encoded(&[0x7F, 0x01]).unwrap();
        writer.push(&FaultAction::Return(3)).unwrap();
        writer.finish().unwrap();
        let frames = serve_fault(codec, &inputs, false);
        let [(true, results)] = frames.as_slice() else { panic!("{} frames", frames.len()) };
        assert_eq!(results[0], Ok(1));
        assert!(matches!(&results[1], Err(TaskFailure::InputUndecodable(_))), "{:?}", results[1]);
        assert_eq!(results[2], Ok(3));
    }

    #[test]
    fn a_workload_name_the_worker_does_not_know_is_refused_naming_it_and_how_to_register() {
        let spec = protocol::encode_spec("my_crate::Unknown", |_| Ok(())).unwrap();
        let Err(err) = Setups::default().get(&spec, Codec::Postcard) else {
            panic!("a workload it does not know was set up")
        };
        assert!(err.contains("my_crate::Unknown") && err.contains("poolbench::remote!"), "{err}");
    }

    #[test]
    fn results_too_many_for_one_frame_go_one_per_frame_and_one_too_large_fails_alone() {
        let codec = Codec::Postcard;
        let limit = protocol::MIN_FRAME_LEN;
        let texts = ["a".repeat(30 << 10), "b".repeat(70 << 10), "c".repeat(30 << 10)];
        let mut results = Vec::new();
        let oks: Vec<Result<String, TaskFailure>> = texts.into_iter().map(Ok).collect();
        results::encode(codec, &mut results, &oks).unwrap();
        let (mut out, mut responses) = (Vec::new(), Vec::new());
        let mut answer = Answer { codec, request_id: 9, limit, out: &mut out, responses: &mut responses };
        assert!(answer.results(&results).is_ok());
        let mut got = Vec::new();
        for payload in frames(&responses) {
            let (kind, results) = match protocol::decode_from_worker(&payload).unwrap() {
                (protocol::FromWorker::Partial { request_id: 9 }, results) => ("partial", results),
                (protocol::FromWorker::Results { request_id: 9 }, results) => ("results", results),
                other => panic!("unexpected {other:?}"),
            };
            let [result]: [Result<String, TaskFailure>; 1] = outcomes(codec, results).try_into().unwrap();
            got.push((kind, result.map(|text| text.len())));
        }
        assert_eq!(got[0], ("partial", Ok(30 << 10)));
        assert!(
            matches!(got[1], ("partial", Err(TaskFailure::ResultTooLarge { bytes })) if bytes > (70 << 10)),
            "{:?}",
            got[1]
        );
        assert_eq!(got[2], ("results", Ok(30 << 10)));
    }
}
