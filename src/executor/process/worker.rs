//! The worker process's side: read a request, run its tasks, answer, repeat.
//!
//! `poolbench-worker` is a few lines around [`serve`]. It is started by a pool, never by hand:
//! it finds its request and response pipes at descriptors 3 and 4 (see the
//! [`super::protocol`]). A second thread only waits for the request pipe to hang up and
//! then ends the process, so a worker never outlives its pool, even mid-task.

use std::fs::File;
use std::io::Write;
use std::os::fd::FromRawFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use super::protocol::{self, FromPool, REQUEST_FD, RESPONSE_FD, TaskFailure};
use super::{Codec, sys};
use crate::executor::panic_message;
use crate::workload::{Workload, WorkloadSpec, WorkloadVisitor, fault};

/// Serves a pool on descriptors 3 and 4 until it says to stop or goes away.
///
/// `args` are the worker's command-line arguments after the program name:
/// `--codec NAME [--max-frame-len BYTES]`.
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
    let Args { codec, max_frame_len } = parse_args(args)?;
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
        out.clear();
        match protocol::decode_from_pool(&payload) {
            Ok(FromPool::Shutdown) => return Ok(()),
            Ok(FromPool::Run { request_id, spec, inputs }) => {
                let answered = codec
                    .decode::<WorkloadSpec>(spec)
                    .map_err(|err| format!("cannot decode the workload spec: {err}"))
                    .and_then(|spec| {
                        spec.visit(RunChunk {
                            codec,
                            request_id,
                            inputs,
                            limit: max_frame_len,
                            out: &mut out,
                        })
                    });
                if let Err(message) = answered {
                    protocol::encode_rejected(&mut out, request_id, &message);
                }
            }
            Err(message) => return Err(format!("the pool sent a malformed frame: {message}")),
        }
        responses.write_all(&out).map_err(|err| format!("cannot write a response: {err}"))?;
    }
}

/// What the pool says on the worker's command line.
#[derive(Debug, PartialEq)]
struct Args {
    codec: Codec,
    max_frame_len: usize,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut args = args.into_iter();
    let mut parsed = Args { codec: Codec::default(), max_frame_len: protocol::MAX_FRAME_LEN };
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
            other => {
                return Err(format!(
                    "unknown argument {other:?}; the pool passes only --codec NAME and --max-frame-len BYTES"
                ));
            }
        }
    }
    Ok(parsed)
}

/// Decodes a request's inputs for the workload the spec named, runs them, encodes the results.
struct RunChunk<'a> {
    codec: Codec,
    request_id: u64,
    inputs: &'a [u8],
    limit: usize,
    out: &'a mut Vec<u8>,
}

impl WorkloadVisitor for RunChunk<'_> {
    type Output = Result<(), String>;

    fn visit<W: Workload>(self, workload: W) -> Result<(), String> {
        let inputs: Vec<W::Input> = self
            .codec
            .decode(self.inputs)
            .map_err(|err| format!("cannot decode the inputs of {}: {err}", workload.name()))?;
        let results: Vec<Result<W::Output, TaskFailure>> = inputs
            .iter()
            .map(|input| match catch_unwind(AssertUnwindSafe(|| workload.run(input))) {
                Ok(Ok(output)) => Ok(output),
                Ok(Err(err)) => Err(TaskFailure::Failed(err)),
                Err(payload) => Err(TaskFailure::Panicked(panic_message(payload.as_ref()))),
            })
            .collect();
        protocol::encode_results(self.out, self.codec, self.request_id, &results, self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_choose_the_codec_and_the_frame_limit_and_anything_else_is_refused() {
        let args = |codec, max_frame_len| Ok(Args { codec, max_frame_len });
        assert_eq!(parse_args(Vec::new()), args(Codec::Postcard, protocol::MAX_FRAME_LEN));
        assert_eq!(parse_args(["--codec".into(), "json".into()]), args(Codec::Json, protocol::MAX_FRAME_LEN));
        assert_eq!(parse_args(["--max-frame-len".into(), "65536".into()]), args(Codec::Postcard, 65536));
        assert!(parse_args(["--max-frame-len".into(), "100".into()]).unwrap_err().contains("\"100\""));
        assert!(parse_args(["--codec".into()]).unwrap_err().contains("needs a value"));
        assert!(parse_args(["--codec".into(), "xml".into()]).unwrap_err().contains("\"xml\""));
        assert!(parse_args(["--verbose".into()]).unwrap_err().contains("\"--verbose\""));
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
        let mut out = Vec::new();
        let limit = protocol::MAX_FRAME_LEN;
        Fault.spec().visit(RunChunk { codec, request_id: 3, inputs: &inputs, limit, out: &mut out }).unwrap();
        let payload = protocol::read_frame(&mut out.as_slice(), limit).unwrap().unwrap();
        let protocol::FromWorker::Results { request_id, results } =
            protocol::decode_from_worker(&payload).unwrap()
        else {
            panic!("not RESULTS")
        };
        assert_eq!(request_id, 3);
        let results: Vec<Result<u64, TaskFailure>> = codec.decode(results).unwrap();
        assert_eq!(results[0], Ok(5));
        assert_eq!(results[1], Err(TaskFailure::Panicked("no".into())));
        assert!(matches!(&results[2], Err(TaskFailure::Failed(err)) if err.message() == "x"));
    }
}
