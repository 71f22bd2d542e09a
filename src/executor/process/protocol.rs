//! The wire protocol between a process pool and its worker processes.
//!
//! # Design constraints
//!
//! - **The worker's standard streams stay free.** stdout is the workload's own, stderr is for
//!   logs (the pool drains it, so it can never block the worker, and keeps its tail for error
//!   messages). The protocol runs on two descriptors the pool sets up before exec: the worker
//!   reads requests from fd 3 ([`REQUEST_FD`]) and writes responses to fd 4 ([`RESPONSE_FD`]).
//! - **No side can make the other allocate without limit.** Every frame announces its length
//!   first; a length above the pool's frame limit ([`MAX_FRAME_LEN`], 64 MiB, unless
//!   [`max_frame_len`](super::ProcessPoolBuilder::max_frame_len) says otherwise; the worker is
//!   told it on its command line) is an error before anything is allocated, on both sides, and a
//!   request that would exceed it is refused before it is sent. Results that ran are never
//!   refused for their number: a worker whose answer does not fit one frame sends it in several,
//!   and only a single result over the limit fails, as `TaskFailure::ResultTooLarge`.
//! - **The parent never blocks on one worker.** Its ends are non-blocking and multiplexed with
//!   poll(2). The worker serves one request at a time, in arrival order, so responses come back
//!   in request order and the pool can keep a bounded number of requests queued at each worker.
//! - **A worker never outlives its pool.** A thread in the worker waits for its request pipe to
//!   hang up and exits the process when it does: when the pool closes it, or when the parent
//!   process dies, even by SIGKILL, even while a task is running. On Linux the worker also asks
//!   for SIGKILL when its parent dies (`PR_SET_PDEATHSIG`), which reaches it even stopped, and
//!   exits if its parent is not the pool's process (`--parent-pid PID`): it died too early.
//! - **Versioned.** The worker speaks first, with a hello carrying a magic number, the protocol
//!   version and the codec; anything else is refused with an error that says to rebuild.
//!
//! # Format details
//!
//! ```text
//! frame    := length:u32be payload          length counts the payload, at most the frame limit
//! payload  := kind:u8 body
//!
//! worker -> pool
//!   HELLO    'H'  magic:"PBWK" version:u16be codec:u8 pid:u32be build_len:u8 build
//!                                            build: the identity of the program's build, which
//!                                            must be the pool's own
//!   READY    'K'  request_id:u64be           the SETUP's workload is set up
//!   PARTIAL  'P'  request_id:u64be results   the results of the request's next inputs, at least
//!                                            one and fewer than it has left (RESULTS carries the
//!                                            last); the request stays open
//!   RESULTS  'R'  request_id:u64be results   the results of every input of the request not
//!                                            already sent in a PARTIAL, and the request is done
//!   REJECTED 'X'  request_id:u64be message   message: UTF-8, why the request could not be served;
//!                                            its inputs without results fail, and it is done
//!
//! pool -> worker
//!   SETUP    'u'  request_id:u64be spec      set the workload up now (answered READY or REJECTED)
//!   RUN      'r'  request_id:u64be then:u8 spec_len:u32be spec inputs
//!                                            then: once answered, 0 = wait for the next request
//!                                            blocked, 1 = spin for it first (spin.rs)
//!   SHUTDOWN 's'  (empty)                    the worker exits with status 0
//!
//! spec     := name_len:u16be name workload  name: UTF-8, the registered name (registry.rs);
//!                                            workload: codec(the workload), to the end
//! inputs   := items of Input                  (items.rs: the codec's own sequence, and an
//! results  := items of Result<Output, TaskFailure>   index of where each value lies)
//! ```
//!
//! A chunk's inputs and results each travel as one sequence in the codec's own encoding, decoded
//! in one call, with an index of where each value lies: when the whole does not decode, the
//! values are decoded one by one, so that one that does not decode fails its task only
//! (`TaskFailure::InputUndecodable` from the worker, or an error for a result the pool cannot
//! read), and the worker goes on. A worker sets a workload up once, the first time a
//! SETUP or RUN names it, and keeps it for the requests that follow.
//!
//! The pool chooses the codec and the worker echoes it in its hello; the frame limit (default
//! [`MAX_FRAME_LEN`]), streaming (given when the pool has a task timeout: every result as soon as
//! its task ends, one PARTIAL frame per task and the last in RESULTS, so the pool sees progress
//! per task) and the pool's pid reach the worker in its environment (`worker.rs`). HELLO,
//! READY, SHUTDOWN and REJECTED frames are at most a few KiB, so they fit any limit of at least
//! [`MIN_FRAME_LEN`]. A task that panics or fails comes back as a `TaskFailure` in its slot of
//! the results; the worker goes on serving.
//!
//! Without streaming, a worker answers a request with one RESULTS frame when it fits the limit:
//! one frame per chunk, the fast path for plain maps. When it does not, it sends one PARTIAL
//! frame per result and the last result in RESULTS, as streaming does. Either way, a result that
//! does not fit a frame on its own is replaced by `TaskFailure::ResultTooLarge`, carrying the
//! length of the frame it would have needed.
//!
//! # Versioning
//!
//! [`PROTOCOL_VERSION`] changes with any change to the format above, or to the meaning of the
//! serialized types (a workload, its input or output, `TaskFailure`). A pool refuses a worker of
//! another version, or of another build, whose types may differ even where the version agrees.
//!
//! - 1: HELLO, RESULTS, REJECTED; RUN, SHUTDOWN.
//! - 2: PARTIAL, `TaskFailure::ResultTooLarge`, `--max-frame-len`, `--stream` and
//!   `--parent-pid`: results too many for one frame come back in several, with a task timeout
//!   one per task, and a worker dies with its parent even when stopped.
//! - 3: the worker is the pool's own program: a build identity in HELLO, workloads named by
//!   their registered name (the spec), SETUP and READY, inputs and results encoded one by one
//!   (`TaskFailure::InputUndecodable`, `ResultUnencodable`), settings in the environment.
//! - 4: `then` in RUN: the pool tells the worker, per request, whether it may spin for the next.
//! - 5: inputs and results as one sequence in the codec's encoding with an index (`items.rs`),
//!   instead of one length-prefixed encoding per value: the same isolation of a value that does
//!   not decode, at the cost of one decode per chunk (issue 19).

use std::io::{self, Read};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::Codec;
use crate::format::byte_size;
use crate::workload::WorkloadError;

/// The protocol version spoken by this build.
pub const PROTOCOL_VERSION: u16 = 5;
/// The largest payload either side accepts unless the pool sets another limit: 64 MiB.
pub const MAX_FRAME_LEN: usize = 64 << 20;
/// The smallest frame limit a pool accepts: 64 KiB, room for every fixed-size frame.
pub const MIN_FRAME_LEN: usize = 64 << 10;
/// The descriptor a worker reads requests from.
pub const REQUEST_FD: i32 = 3;
/// The descriptor a worker writes responses to.
pub const RESPONSE_FD: i32 = 4;

const MAGIC: &[u8; 4] = b"PBWK";
const HELLO: u8 = b'H';
const READY: u8 = b'K';
const PARTIAL: u8 = b'P';
const RESULTS: u8 = b'R';
const REJECTED: u8 = b'X';
const SETUP: u8 = b'u';
const RUN: u8 = b'r';
const SHUTDOWN: u8 = b's';
/// A hello's length before its build identity.
const HELLO_FIXED_LEN: usize = 1 + 4 + 2 + 1 + 4 + 1;

/// Why a task failed inside a worker, as carried in its RESULTS slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum TaskFailure {
    /// The workload returned an error.
    Failed(WorkloadError),
    /// The task panicked with this message.
    Panicked(String),
    /// The task ran, but its result alone needed a frame of this many bytes, over the limit.
    ResultTooLarge { bytes: u64 },
    /// The task's input did not deserialize in the worker; the message says why.
    InputUndecodable(String),
    /// The task ran, but its result did not serialize; the message says why.
    ResultUnencodable(String),
}

/// Why a frame was not encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EncodeError {
    /// The frame would have held `len` bytes, more than `limit`.
    TooLong { len: usize, limit: usize },
    /// The codec refused a value; the message says why.
    Codec(String),
}

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EncodeError::TooLong { len, limit } => {
                write!(f, "a frame of {len} bytes, over the {} frame limit", byte_size(*limit))
            }
            EncodeError::Codec(message) => f.write_str(message),
        }
    }
}

/// A worker's hello, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hello {
    pub version: u16,
    pub codec: u8,
    pub pid: u32,
    /// The identity of the worker's build.
    pub build: Vec<u8>,
}

/// A frame from a worker, decoded as far as the pool needs without knowing the workload.
#[derive(Debug, PartialEq)]
pub(crate) enum FromWorker<'a> {
    Hello(Hello),
    Ready { request_id: u64 },
    Partial { request_id: u64, count: u32, results: &'a [u8] },
    Results { request_id: u64, results: &'a [u8] },
    Rejected { request_id: u64, message: String },
}

/// A frame from the pool, decoded as far as the worker needs before it picks the workload.
#[derive(Debug, PartialEq)]
pub(crate) enum FromPool<'a> {
    Setup { request_id: u64, spec: &'a [u8] },
    Run { request_id: u64, then: Then, spec: &'a [u8], inputs: &'a [u8] },
    Shutdown,
}

/// What a worker does once it has answered a RUN: the pool decides, because only the pool knows
/// how many of its workers are computing ([`crate::executor::spin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Then {
    /// Wait for the next request blocked: other workers may need the cores.
    Block,
    /// Spin for the next request for a bounded time before blocking: a core is free, and the
    /// next request of a loop of small maps comes within microseconds.
    Spin,
}

/// Starts a frame of `kind` at the end of `out`; returns where it starts, for [`end_frame`].
fn begin_frame(out: &mut Vec<u8>, kind: u8) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.push(kind);
    start
}

/// Writes the length of the frame begun at `start`, or removes it if it is longer than `limit`
/// (at most `u32::MAX`, as the pool's settings ensure).
fn end_frame(out: &mut Vec<u8>, start: usize, limit: usize) -> Result<(), EncodeError> {
    let len = out.len() - start - 4;
    let Some(header) = u32::try_from(len).ok().filter(|_| len <= limit) else {
        out.truncate(start);
        return Err(EncodeError::TooLong { len, limit });
    };
    out[start..start + 4].copy_from_slice(&header.to_be_bytes());
    Ok(())
}

/// Appends a HELLO frame; `build` is at most 255 bytes (a longer one is cut).
pub(crate) fn encode_hello(out: &mut Vec<u8>, codec: Codec, pid: u32, build: &[u8]) {
    let start = begin_frame(out, HELLO);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    out.push(codec.id());
    out.extend_from_slice(&pid.to_be_bytes());
    let build = &build[..build.len().min(255)];
    out.push(build.len() as u8);
    out.extend_from_slice(build);
    end_frame(out, start, MIN_FRAME_LEN).expect("a hello is a few hundred bytes at most");
}

/// The HELLO frame a worker of this build says first, with `pid`: for a worker written by hand,
/// such as a test's fake one. A pool accepts only a hello of its own build.
pub fn this_builds_hello(codec: Codec, pid: u32) -> Vec<u8> {
    let mut out = Vec::new();
    encode_hello(&mut out, codec, pid, super::build_id::this_build());
    out
}

/// Appends a READY frame.
pub(crate) fn encode_ready(out: &mut Vec<u8>, request_id: u64) {
    let start = begin_frame(out, READY);
    out.extend_from_slice(&request_id.to_be_bytes());
    end_frame(out, start, MIN_FRAME_LEN).expect("a dozen bytes");
}

/// Appends a SETUP frame for the workload of `spec`; on error (a frame longer than `limit`)
/// `out` is as before.
pub(crate) fn encode_setup(
    out: &mut Vec<u8>,
    request_id: u64,
    spec: &[u8],
    limit: usize,
) -> Result<(), EncodeError> {
    let start = begin_frame(out, SETUP);
    out.extend_from_slice(&request_id.to_be_bytes());
    out.extend_from_slice(spec);
    end_frame(out, start, limit)
}

/// The spec of a workload: its registered name, then its encoding by `encode_workload`.
///
/// # Errors
///
/// The codec's, or a name longer than 65,535 bytes.
pub(crate) fn encode_spec(
    name: &str,
    encode_workload: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let name_len =
        u16::try_from(name.len()).map_err(|_| format!("a workload name of {} bytes", name.len()))?;
    let mut spec = name_len.to_be_bytes().to_vec();
    spec.extend_from_slice(name.as_bytes());
    encode_workload(&mut spec)?;
    Ok(spec)
}

/// A spec's name and workload bytes.
pub(crate) fn decode_spec(spec: &[u8]) -> Result<(&str, &[u8]), String> {
    let (name_len, rest) = spec.split_first_chunk::<2>().ok_or("a spec without its name's length")?;
    let name_len = usize::from(u16::from_be_bytes(*name_len));
    if name_len > rest.len() {
        return Err(format!("a spec announcing a {name_len}-byte name in {} bytes", rest.len()));
    }
    let (name, workload) = rest.split_at(name_len);
    let name = std::str::from_utf8(name).map_err(|_| "a workload name that is not UTF-8".to_owned())?;
    Ok((name, workload))
}

/// Appends a RUN frame of the workload of `spec` and the inputs `encode_inputs` appends (an
/// items sequence, `items.rs`); on error (a value the codec refuses, a frame longer than `limit`) `out` is
/// as before.
pub(crate) fn encode_run(
    out: &mut Vec<u8>,
    request_id: u64,
    then: Then,
    spec: &[u8],
    encode_inputs: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
    limit: usize,
) -> Result<(), EncodeError> {
    let start = begin_frame(out, RUN);
    out.extend_from_slice(&request_id.to_be_bytes());
    out.push(match then {
        Then::Block => 0,
        Then::Spin => 1,
    });
    let Ok(spec_len) = u32::try_from(spec.len()) else {
        out.truncate(start);
        return Err(EncodeError::Codec("the workload spec is over 4 GiB".to_owned()));
    };
    out.extend_from_slice(&spec_len.to_be_bytes());
    out.extend_from_slice(spec);
    if let Err(err) = encode_inputs(out) {
        out.truncate(start);
        return Err(EncodeError::Codec(format!("cannot serialize the request: {err}")));
    }
    end_frame(out, start, limit)
}

/// Appends a SHUTDOWN frame.
pub(crate) fn encode_shutdown(out: &mut Vec<u8>) {
    let start = begin_frame(out, SHUTDOWN);
    end_frame(out, start, MIN_FRAME_LEN).expect("an empty frame is short");
}

/// Appends a RESULTS frame of `results`, an items sequence (`items.rs`); on error (a frame
/// longer than `limit`) `out` is as before.
pub(crate) fn encode_results(
    out: &mut Vec<u8>,
    request_id: u64,
    results: &[u8],
    limit: usize,
) -> Result<(), EncodeError> {
    encode_answer(out, RESULTS, request_id, results, limit)
}

/// Appends a PARTIAL frame of `results`, as [`encode_results`]; on error `out` is as before.
pub(crate) fn encode_partial(
    out: &mut Vec<u8>,
    request_id: u64,
    results: &[u8],
    limit: usize,
) -> Result<(), EncodeError> {
    encode_answer(out, PARTIAL, request_id, results, limit)
}

fn encode_answer(
    out: &mut Vec<u8>,
    kind: u8,
    request_id: u64,
    results: &[u8],
    limit: usize,
) -> Result<(), EncodeError> {
    let start = begin_frame(out, kind);
    out.extend_from_slice(&request_id.to_be_bytes());
    out.extend_from_slice(results);
    end_frame(out, start, limit)
}

/// Appends a REJECTED frame.
pub(crate) fn encode_rejected(out: &mut Vec<u8>, request_id: u64, message: &str) {
    let start = begin_frame(out, REJECTED);
    out.extend_from_slice(&request_id.to_be_bytes());
    // A message longer than a frame is cut: the reason a request was refused fits in a line.
    out.extend_from_slice(&message.as_bytes()[..message.len().min(4096)]);
    end_frame(out, start, MIN_FRAME_LEN).expect("at most 4 KiB of message");
}

fn split_u64(body: &[u8]) -> Option<(u64, &[u8])> {
    let (head, rest) = body.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*head), rest))
}

/// Decodes a worker's frame.
pub(crate) fn decode_from_worker(payload: &[u8]) -> Result<FromWorker<'_>, String> {
    let Some((&kind, body)) = payload.split_first() else {
        return Err("an empty frame".to_owned());
    };
    match kind {
        HELLO => {
            if payload.len() < HELLO_FIXED_LEN || &body[..4] != MAGIC {
                return Err(format!(
                    "a hello without poolbench's magic number (got {:02x?})",
                    &body[..body.len().min(8)]
                ));
            }
            let build = &body[HELLO_FIXED_LEN - 1..];
            if build.len() != usize::from(body[11]) {
                return Err(format!(
                    "a hello announcing a {}-byte build identity in {} bytes",
                    body[11],
                    build.len()
                ));
            }
            Ok(FromWorker::Hello(Hello {
                version: u16::from_be_bytes([body[4], body[5]]),
                codec: body[6],
                pid: u32::from_be_bytes([body[7], body[8], body[9], body[10]]),
                build: build.to_vec(),
            }))
        }
        READY => {
            let (request_id, rest) = split_u64(body).ok_or("a READY frame shorter than its request id")?;
            if !rest.is_empty() {
                return Err(format!("a READY frame with {} bytes after its request id", rest.len()));
            }
            Ok(FromWorker::Ready { request_id })
        }
        PARTIAL => {
            let (request_id, results) =
                split_u64(body).ok_or("a PARTIAL frame shorter than its request id")?;
            let (count, _) = results.split_first_chunk::<4>().ok_or("a PARTIAL frame without its count")?;
            Ok(FromWorker::Partial { request_id, count: u32::from_be_bytes(*count), results })
        }
        RESULTS => {
            let (request_id, results) =
                split_u64(body).ok_or("a RESULTS frame shorter than its request id")?;
            Ok(FromWorker::Results { request_id, results })
        }
        REJECTED => {
            let (request_id, message) =
                split_u64(body).ok_or("a REJECTED frame shorter than its request id")?;
            Ok(FromWorker::Rejected { request_id, message: String::from_utf8_lossy(message).into_owned() })
        }
        other => Err(format!("a frame of unknown kind 0x{other:02x}")),
    }
}

/// Decodes the pool's frame.
pub(crate) fn decode_from_pool(payload: &[u8]) -> Result<FromPool<'_>, String> {
    match payload.split_first() {
        Some((&RUN, body)) => {
            let (request_id, rest) = split_u64(body).ok_or("a RUN frame shorter than its request id")?;
            let then = match rest.split_first() {
                Some((0, _)) => Then::Block,
                Some((1, _)) => Then::Spin,
                Some((other, _)) => return Err(format!("a RUN frame whose `then` is {other}, not 0 or 1")),
                None => return Err("a RUN frame without its `then`".to_owned()),
            };
            let rest = &rest[1..];
            let (spec_len, rest) =
                rest.split_first_chunk::<4>().ok_or("a RUN frame without its spec length")?;
            let spec_len = u32::from_be_bytes(*spec_len) as usize;
            if spec_len > rest.len() {
                return Err(format!("a RUN frame announcing a {spec_len}-byte spec in {} bytes", rest.len()));
            }
            let (spec, inputs) = rest.split_at(spec_len);
            Ok(FromPool::Run { request_id, then, spec, inputs })
        }
        Some((&SETUP, body)) => {
            let (request_id, spec) = split_u64(body).ok_or("a SETUP frame shorter than its request id")?;
            Ok(FromPool::Setup { request_id, spec })
        }
        Some((&SHUTDOWN, [])) => Ok(FromPool::Shutdown),
        Some((&kind, _)) => Err(format!("a frame of unknown kind 0x{kind:02x}")),
        None => Err("an empty frame".to_owned()),
    }
}

/// Checks an announced frame length against the frame limit.
fn check_len(header: [u8; 4], limit: usize) -> Result<usize, String> {
    let len = u32::from_be_bytes(header) as usize;
    if len > limit {
        return Err(format!(
            "announced a frame of {len} bytes, more than the {} limit: not a poolbench peer, or a corrupt stream",
            byte_size(limit)
        ));
    }
    Ok(len)
}

/// Reads one frame of at most `limit` bytes from a blocking reader (the worker's side).
/// `Ok(None)` is a clean end of stream between frames.
pub(crate) fn read_frame(reader: &mut impl Read, limit: usize) -> io::Result<Option<Vec<u8>>> {
    let mut header = [0u8; 4];
    let mut filled = 0;
    while filled < header.len() {
        match reader.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the stream ended inside a frame header",
                ));
            }
            Ok(read) => filled += read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    let len = check_len(header, limit).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
    let mut payload = vec![0; len];
    reader.read_exact(&mut payload)?;
    Ok(Some(payload))
}

/// Reassembles frames from a non-blocking stream (the pool's side), whatever pieces the bytes
/// arrive in.
#[derive(Debug)]
pub(crate) struct FrameReader {
    /// Bytes read, then room to read into: `buffer[..filled]` came from the stream, and the rest
    /// is zeroed space kept between reads, so that a read zeroes nothing.
    buffer: Vec<u8>,
    filled: usize,
    /// Bytes at the front of `buffer` already handed out as frames.
    consumed: usize,
    /// How much room a read asks for: small for a worker that answers little (a new worker's
    /// first pages cost a fault each, 1.5 µs here, and SpawnPerTask starts one per chunk),
    /// doubled whenever a read fills it, up to [`MAX_READ_ROOM`].
    room: usize,
    limit: usize,
}

/// The room a reader starts with.
const MIN_READ_ROOM: usize = 4 << 10;
/// The most room a read asks for.
const MAX_READ_ROOM: usize = 1 << 20;

impl FrameReader {
    /// A reader of frames of at most `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        FrameReader { buffer: Vec::new(), filled: 0, consumed: 0, room: MIN_READ_ROOM, limit }
    }

    /// Reads what `reader` has now. Returns `Ok(true)` at end of stream.
    pub(crate) fn fill(&mut self, reader: &mut impl Read) -> io::Result<bool> {
        if self.consumed > 0 {
            self.buffer.copy_within(self.consumed..self.filled, 0);
            self.filled -= self.consumed;
            self.consumed = 0;
        }
        loop {
            if self.buffer.len() - self.filled < self.room {
                self.buffer.resize(self.filled + self.room, 0);
            }
            match reader.read(&mut self.buffer[self.filled..]) {
                Ok(0) => return Ok(true),
                Ok(read) => {
                    if read == self.buffer.len() - self.filled {
                        self.room = (self.room * 2).min(MAX_READ_ROOM);
                    }
                    self.filled += read;
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Where the next complete frame's payload lies, if one has arrived; read it with
    /// [`payload`](Self::payload).
    ///
    /// # Errors
    ///
    /// The next frame announces more than the limit.
    pub(crate) fn next_frame(&mut self) -> Result<Option<Range<usize>>, String> {
        let pending = &self.buffer[self.consumed..self.filled];
        let Some(header) = pending.first_chunk::<4>() else { return Ok(None) };
        let len = check_len(*header, self.limit)?;
        if pending.len() < 4 + len {
            return Ok(None);
        }
        let start = self.consumed + 4;
        self.consumed = start + len;
        Ok(Some(start..start + len))
    }

    /// The payload [`next_frame`](Self::next_frame) located.
    pub(crate) fn payload(&self, frame: Range<usize>) -> &[u8] {
        &self.buffer[frame]
    }

    /// Whether bytes of an unfinished frame are waiting.
    pub(crate) fn has_partial_frame(&self) -> bool {
        self.filled > self.consumed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::process::items::{self, Items};
    use proptest::prelude::*;

    fn inputs_of(values: &[u32], codec: Codec) -> impl FnOnce(&mut Vec<u8>) -> Result<(), String> + '_ {
        move |out| items::encode(codec, out, values)
    }

    #[test]
    fn a_run_frame_round_trips_and_names_its_parts() {
        for codec in Codec::ALL {
            let spec = encode_spec("a::Workload", |out| codec.encode_into(&"params", out)).unwrap();
            let mut out = Vec::new();
            encode_run(&mut out, 42, Then::Spin, &spec, inputs_of(&[1, 2, 3], codec), MAX_FRAME_LEN).unwrap();
            let payload = read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap();
            let FromPool::Run { request_id, then, spec, inputs } = decode_from_pool(&payload).unwrap() else {
                panic!("not a RUN frame")
            };
            assert_eq!((request_id, then), (42, Then::Spin));
            let (name, workload) = decode_spec(spec).unwrap();
            assert_eq!((name, codec.decode::<String>(workload).unwrap().as_str()), ("a::Workload", "params"));
            assert_eq!(Items::parse(codec, inputs).unwrap().decode_all::<u32>(), Some(vec![1, 2, 3]));
        }
    }

    #[test]
    fn a_run_says_block_or_spin_and_anything_else_is_refused() {
        for then in [Then::Block, Then::Spin] {
            let mut out = Vec::new();
            encode_run(&mut out, 7, then, &[], inputs_of(&[1], Codec::Postcard), MAX_FRAME_LEN).unwrap();
            let payload = read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap();
            assert!(matches!(decode_from_pool(&payload), Ok(FromPool::Run { then: got, .. }) if got == then));
            // The byte after the request id is `then`: 2 is neither.
            let mut bad = payload.clone();
            bad[1 + 8] = 2;
            assert_eq!(decode_from_pool(&bad).unwrap_err(), "a RUN frame whose `then` is 2, not 0 or 1");
            assert_eq!(decode_from_pool(&payload[..1 + 8]).unwrap_err(), "a RUN frame without its `then`");
        }
    }

    #[test]
    fn a_hello_carries_magic_version_codec_pid_and_build() {
        let mut out = Vec::new();
        encode_hello(&mut out, Codec::Json, 4242, &[7; 20]);
        let mut reader = FrameReader::new(MAX_FRAME_LEN);
        reader.fill(&mut out.as_slice()).unwrap();
        let frame = reader.next_frame().unwrap().unwrap();
        let frame = reader.payload(frame);
        let hello =
            Hello { version: PROTOCOL_VERSION, codec: Codec::Json.id(), pid: 4242, build: vec![7; 20] };
        assert_eq!(decode_from_worker(frame).unwrap(), FromWorker::Hello(hello));
        let mut truncated = out[4..out.len() - 1].to_vec();
        truncated[0] = HELLO;
        assert!(decode_from_worker(&truncated).unwrap_err().contains("20-byte build identity"));
    }

    #[test]
    fn frames_split_across_reads_are_reassembled() {
        let mut stream = Vec::new();
        let mut results = Vec::new();
        items::encode(Codec::Postcard, &mut results, &[12u8, 3]).unwrap();
        encode_results(&mut stream, 7, &results, MAX_FRAME_LEN).unwrap();
        encode_rejected(&mut stream, 8, "bad spec");
        encode_ready(&mut stream, 9);
        let mut reader = FrameReader::new(MAX_FRAME_LEN);
        let mut frames = Vec::new();
        for byte in &stream {
            reader.fill(&mut std::slice::from_ref(byte)).unwrap();
            while let Some(frame) = reader.next_frame().unwrap() {
                frames.push(reader.payload(frame).to_vec());
            }
        }
        assert_eq!(frames.len(), 3);
        let Ok(FromWorker::Results { request_id: 7, results: body }) = decode_from_worker(&frames[0]) else {
            panic!("not RESULTS for request 7")
        };
        assert_eq!(body, results.as_slice());
        let rejected = decode_from_worker(&frames[1]).unwrap();
        assert_eq!(rejected, FromWorker::Rejected { request_id: 8, message: "bad spec".into() });
        assert_eq!(decode_from_worker(&frames[2]).unwrap(), FromWorker::Ready { request_id: 9 });
        assert!(!reader.has_partial_frame());
    }

    #[test]
    fn a_setup_frame_carries_its_spec() {
        let spec = encode_spec("w", |_| Ok(())).unwrap();
        let mut out = Vec::new();
        encode_setup(&mut out, 3, &spec, MAX_FRAME_LEN).unwrap();
        let payload = read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap();
        assert_eq!(decode_from_pool(&payload).unwrap(), FromPool::Setup { request_id: 3, spec: &spec });
    }

    #[test]
    fn an_announced_four_gib_frame_is_refused_before_allocating() {
        let mut reader = FrameReader::new(MAX_FRAME_LEN);
        reader.fill(&mut [0xFF, 0xFF, 0xFF, 0xFF, 0].as_slice()).unwrap();
        let err = reader.next_frame().unwrap_err();
        assert!(err.contains("4294967295 bytes") && err.contains("64 MiB"), "{err}");
        let err = read_frame(&mut [0xFF, 0xFF, 0xFF, 0xFF].as_slice(), MAX_FRAME_LEN).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[test]
    fn a_request_over_the_limit_is_refused_and_leaves_the_buffer_as_it_was() {
        let mut out = vec![9];
        let big = vec![0u32; MIN_FRAME_LEN / 4 + 1];
        let err = encode_run(&mut out, 1, Then::Block, &[], inputs_of(&big, Codec::Postcard), MIN_FRAME_LEN)
            .unwrap_err();
        assert!(matches!(err, EncodeError::TooLong { len, limit } if len > limit && limit == MIN_FRAME_LEN));
        assert!(err.to_string().ends_with("over the 64 KiB frame limit"), "{err}");
        assert_eq!(out, [9]);
    }

    #[test]
    fn a_partial_frame_carries_its_count_and_results() {
        let mut out = Vec::new();
        let mut results = Vec::new();
        items::encode(Codec::Postcard, &mut results, &[10u8, 20]).unwrap();
        encode_partial(&mut out, 5, &results, MAX_FRAME_LEN).unwrap();
        let payload = read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap();
        let FromWorker::Partial { request_id: 5, count: 2, results } = decode_from_worker(&payload).unwrap()
        else {
            panic!("not a PARTIAL frame for request 5 of 2 results")
        };
        assert_eq!(Items::parse(Codec::Postcard, results).unwrap().decode_all::<u8>(), Some(vec![10, 20]));
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic_the_decoders(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_from_worker(&bytes);
            let _ = decode_from_pool(&bytes);
            let _ = decode_spec(&bytes);
            let mut reader = FrameReader::new(MAX_FRAME_LEN);
            reader.fill(&mut bytes.as_slice()).unwrap();
            while let Ok(Some(frame)) = reader.next_frame() {
                let _ = decode_from_worker(reader.payload(frame));
            }
            let _ = read_frame(&mut bytes.as_slice(), MIN_FRAME_LEN);
        }
    }
}
