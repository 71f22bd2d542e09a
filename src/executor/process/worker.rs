//! The worker process's side: read a request, run its tasks, answer, repeat.
//!
//! `poolbench-worker` is a few lines around [`serve`]. It is started by a pool, never by hand:
//! it finds its request and response pipes at descriptors 3 and 4 (see the
//! [`super::protocol`]). A second thread only waits for the request pipe to hang up and
//! then ends the process, so a worker never outlives its pool, even mid-task. That thread cannot
//! run while the worker is stopped (SIGSTOP), so on Linux the worker also asks the kernel to
//! SIGKILL it when its parent dies (`PR_SET_PDEATHSIG`), and exits at once if its parent is no
//! longer the pool's process (`--parent-pid`), which died before it could ask.

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use serde::Serialize;

use super::protocol::{self, EncodeError, FromPool, REQUEST_FD, RESPONSE_FD, TaskFailure};
use super::{Codec, sys};
use crate::executor::panic_message;
use crate::workload::{Workload, WorkloadSpec, WorkloadVisitor, fault};

/// Serves a pool on descriptors 3 and 4 until it says to stop or goes away.
///
/// `args` are the worker's command-line arguments after the program name:
/// `--codec NAME [--max-frame-len BYTES] [--stream] [--parent-pid PID]`.
pub fn serve(args: impl IntoIterator<Item = String>) -> ExitCode {
    match serve_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("poolbench-worker: {message}");
            ExitCode::from(2)
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

    std::thread::Builder::new()
        .name("poolbench-worker-watchdog".into())
        .spawn(|| {
            sys::wait_for_hangup(REQUEST_FD);
            // The pool is gone: nobody will read what a running task produces.
            std::process::exit(0);
        })
        .map_err(|err| format!("cannot start the watchdog thread: {err}"))?;

    let mut out = Vec::new();
    protocol::encode_hello(&mut out, codec, std::process::id());
    responses.write_all(&out).map_err(|err| format!("cannot write the hello: {err}"))?;

    loop {
        let payload = match protocol::read_frame(&mut requests, max_frame_len) {
            Ok(Some(payload)) => payload,
            Ok(None) => return Ok(()),
            Err(err) => return Err(format!("cannot read a request: {err}")),
        };
        match protocol::decode_from_pool(&payload) {
            Ok(FromPool::Shutdown) => return Ok(()),
            Ok(FromPool::Run { request_id, spec, inputs }) => {
                let mut answer = Answer {
                    codec,
                    request_id,
                    limit: max_frame_len,
                    out: &mut out,
                    responses: &mut responses,
                };
                let served = codec
                    .decode::<WorkloadSpec>(spec)
                    .map_err(|err| Unanswered::Rejected(format!("cannot decode the workload spec: {err}")))
                    .and_then(|spec| spec.visit(RunChunk { inputs, stream, answer: &mut answer }));
                match served {
                    Ok(()) => {}
                    Err(Unanswered::Rejected(message)) => answer.reject(&message)?,
                    Err(Unanswered::Broken(message)) => return Err(message),
                }
            }
            Err(message) => return Err(format!("the pool sent a malformed frame: {message}")),
        }
    }
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
fn die_with_parent(expected: Option<u32>) -> Result<(), String> {
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
fn die_with_parent(_: Option<u32>) -> Result<(), String> {
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

/// The frames that answer one request, written as they are made.
struct Answer<'a> {
    codec: Codec,
    request_id: u64,
    limit: usize,
    out: &'a mut Vec<u8>,
    responses: &'a mut dyn Write,
}

impl Answer<'_> {
    /// Sends `results` and ends the request: in one RESULTS frame if they fit, else one frame
    /// per result, each result too large for a frame of its own replaced by a failure saying so.
    fn results<T: Serialize>(&mut self, results: &[Result<T, TaskFailure>]) -> Result<(), Unanswered> {
        self.out.clear();
        let too_long =
            match protocol::encode_results(self.out, self.codec, self.request_id, results, self.limit) {
                Ok(()) => return self.write(),
                Err(err @ EncodeError::TooLong { .. }) => err,
                Err(EncodeError::Codec(message)) => return Err(Unanswered::Rejected(message)),
            };
        // The tasks ran: a smaller chunk would only run them again, so their results travel apart.
        let Some((last, each)) = results.split_last() else {
            return Err(Unanswered::Rejected(too_long.to_string()));
        };
        for result in each {
            self.one(result, false)?;
        }
        self.one(last, true)
    }

    /// Sends one result, in a PARTIAL frame, or in the RESULTS frame that ends the request.
    fn one<T: Serialize>(&mut self, result: &Result<T, TaskFailure>, last: bool) -> Result<(), Unanswered> {
        let (codec, request_id, limit) = (self.codec, self.request_id, self.limit);
        let encode = |out: &mut Vec<u8>, results: &[Result<T, TaskFailure>]| {
            if last {
                protocol::encode_results(out, codec, request_id, results, limit)
            } else {
                protocol::encode_partial(out, codec, request_id, results, limit)
            }
        };
        self.out.clear();
        match encode(self.out, std::slice::from_ref(result)) {
            Ok(()) => {}
            Err(EncodeError::TooLong { len, .. }) => {
                let too_large = Err(TaskFailure::ResultTooLarge { bytes: len as u64 });
                encode(self.out, &[too_large]).map_err(|err| Unanswered::Rejected(err.to_string()))?;
            }
            Err(EncodeError::Codec(message)) => return Err(Unanswered::Rejected(message)),
        }
        self.write()
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

/// Decodes a request's inputs for the workload the spec named, runs them, sends the results:
/// all at once, or, when `stream`, each as soon as its task ends.
struct RunChunk<'a, 'b> {
    inputs: &'a [u8],
    stream: bool,
    answer: &'a mut Answer<'b>,
}

impl WorkloadVisitor for RunChunk<'_, '_> {
    type Output = Result<(), Unanswered>;

    fn visit<W: Workload>(self, workload: W) -> Result<(), Unanswered> {
        let inputs: Vec<W::Input> = self.answer.codec.decode(self.inputs).map_err(|err| {
            Unanswered::Rejected(format!("cannot decode the inputs of {}: {err}", workload.name()))
        })?;
        let run = |input| match catch_unwind(AssertUnwindSafe(|| workload.run(input))) {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(err)) => Err(TaskFailure::Failed(err)),
            Err(payload) => Err(TaskFailure::Panicked(panic_message(payload.as_ref()))),
        };
        match inputs.split_last() {
            Some((last, each)) if self.stream => {
                // A frame per task is the pool's sign of progress: its task timeout restarts with each.
                for input in each {
                    self.answer.one(&run(input), false)?;
                }
                self.answer.one(&run(last), true)
            }
            _ => self.answer.results(&inputs.iter().map(run).collect::<Vec<_>>()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn a_chunk_runs_every_input_and_turns_panics_into_failures() {
        use crate::workload::{Fault, FaultAction};
        let codec = Codec::Postcard;
        let mut inputs = Vec::new();
        codec
            .encode_into(
                &vec![FaultAction::Return(5), FaultAction::Panic("no".into()), FaultAction::Fail("x".into())],
                &mut inputs,
            )
            .unwrap();
        let (mut out, mut responses) = (Vec::new(), Vec::new());
        let limit = protocol::MAX_FRAME_LEN;
        let mut answer = Answer { codec, request_id: 3, limit, out: &mut out, responses: &mut responses };
        assert!(Fault.spec().visit(RunChunk { inputs: &inputs, stream: false, answer: &mut answer }).is_ok());
        let frames = frames(&responses);
        let [payload] = frames.as_slice() else { panic!("{} frames, not one", frames.len()) };
        let protocol::FromWorker::Results { request_id, results } =
            protocol::decode_from_worker(payload).unwrap()
        else {
            panic!("not RESULTS")
        };
        assert_eq!(request_id, 3);
        let results: Vec<Result<u64, TaskFailure>> = codec.decode(results).unwrap();
        assert_eq!(results[0], Ok(5));
        assert_eq!(results[1], Err(TaskFailure::Panicked("no".into())));
        assert!(matches!(&results[2], Err(TaskFailure::Failed(err)) if err.message() == "x"));
    }

    #[test]
    fn a_streaming_worker_sends_each_result_in_a_frame_of_its_own() {
        use crate::workload::{Fault, FaultAction};
        let codec = Codec::Json;
        let mut inputs = Vec::new();
        codec.encode_into(&(1..=3).map(FaultAction::Return).collect::<Vec<_>>(), &mut inputs).unwrap();
        let (mut out, mut responses) = (Vec::new(), Vec::new());
        let limit = protocol::MAX_FRAME_LEN;
        let mut answer = Answer { codec, request_id: 4, limit, out: &mut out, responses: &mut responses };
        assert!(Fault.spec().visit(RunChunk { inputs: &inputs, stream: true, answer: &mut answer }).is_ok());
        let got: Vec<(bool, Vec<Result<u64, TaskFailure>>)> = frames(&responses)
            .iter()
            .map(|payload| match protocol::decode_from_worker(payload).unwrap() {
                protocol::FromWorker::Partial { request_id: 4, count: 1, results } => {
                    (false, codec.decode(results).unwrap())
                }
                protocol::FromWorker::Results { request_id: 4, results } => {
                    (true, codec.decode(results).unwrap())
                }
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(got, [(false, vec![Ok(1)]), (false, vec![Ok(2)]), (true, vec![Ok(3)])]);
    }

    #[test]
    fn results_too_many_for_one_frame_go_one_per_frame_and_one_too_large_fails_alone() {
        let codec = Codec::Postcard;
        let limit = protocol::MIN_FRAME_LEN;
        let results: Vec<Result<String, TaskFailure>> =
            vec![Ok("a".repeat(30 << 10)), Ok("b".repeat(70 << 10)), Ok("c".repeat(30 << 10))];
        let (mut out, mut responses) = (Vec::new(), Vec::new());
        let mut answer = Answer { codec, request_id: 9, limit, out: &mut out, responses: &mut responses };
        assert!(answer.results(&results).is_ok());
        let mut got = Vec::new();
        for payload in frames(&responses) {
            let (kind, results) = match protocol::decode_from_worker(&payload).unwrap() {
                protocol::FromWorker::Partial { request_id: 9, count: 1, results } => ("partial", results),
                protocol::FromWorker::Results { request_id: 9, results } => ("results", results),
                other => panic!("unexpected {other:?}"),
            };
            let [result]: [Result<String, TaskFailure>; 1] =
                codec.decode::<Vec<_>>(results).unwrap().try_into().unwrap();
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
