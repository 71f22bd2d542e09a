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
//! - **A chunk's values are written once and read where they lie.** A chunk's inputs and results
//!   are the bulk of the traffic: they follow the message in its frame rather than sit in one of
//!   its fields, so that they are encoded straight into the frame and decoded from the reader's
//!   buffer, never copied.
//!
//! # Format details
//!
//! ```text
//! frame    := length:u32be message body     length counts message and body, at most the limit
//! message  := postcard(FromWorker) | postcard(FromPool)
//!                                           serde enums, derived: the variant's index (a varint),
//!                                           then its fields in order; integers are varints,
//!                                           bytes and strings a varint length and the bytes
//! body     := the rest of the frame          a RUN's inputs, a PARTIAL's or RESULTS' results;
//!                                           empty after every other message
//!
//! worker -> pool (FromWorker)
//!   0 Hello    { magic: [u8; 4] = "PBWK", version: u16, codec: u8, pid: u32, build: bytes }
//!                                           build: the identity of the program's build, which
//!                                           must be the pool's own; variant 0 with these fields
//!                                           in every version from 6 on
//!   1 Ready    { request_id: u64 }           the SETUP's workload is set up
//!   2 Partial  { request_id: u64 }  results  the results of the request's next inputs, at least
//!                                           one and fewer than it has left (RESULTS carries the
//!                                           last); the request stays open
//!   3 Results  { request_id: u64 }  results  the results of every input of the request not
//!                                           already sent in a PARTIAL, and the request is done
//!   4 Rejected { request_id: u64, message: string }
//!                                           why the request could not be served; its inputs
//!                                           without results fail, and it is done
//!
//! pool -> worker (FromPool)
//!   0 Setup    { request_id: u64, spec: bytes }   set the workload up now (READY or REJECTED)
//!   1 Run      { request_id: u64, then: Then, spec: bytes }  inputs
//!                                           then: once answered, 0 = Block (wait for the next
//!                                           request blocked), 1 = Spin for it first (spin.rs)
//!   2 Shutdown                              the worker exits with status 0
//!
//! spec     := postcard(Spec { name: string, workload: bytes })
//!                                           name: the registered name (registry.rs); workload:
//!                                           codec(the workload)
//! inputs   := items of Input                (items.rs: the codec's own sequence, and an
//!                                           index of where each value lies)
//! results  := 0 items of Output             (results.rs) every task of the frame succeeded
//!           | 1 items of Result<Output, TaskFailure>    some did not
//! ```
//!
//! The messages are postcard whatever the codec: the codec is the payloads' (the workload, the
//! inputs and the results), which the pool chooses and the worker echoes in its hello.
//!
//! A chunk's inputs and results each travel as one sequence in the codec's own encoding, decoded
//! in one call, with an index of where each value lies: when the whole does not decode, the
//! values are decoded one by one, so that one that does not decode fails its task only
//! (`TaskFailure::InputUndecodable` from the worker, or an error for a result the pool cannot
//! read), and the worker goes on. A worker sets a workload up once, the first time a
//! SETUP or RUN names it, and keeps it for the requests that follow.
//!
//! The frame limit (default [`MAX_FRAME_LEN`]), streaming (given when the pool has a task
//! timeout: every result as soon as its task ends, one PARTIAL frame per task and the last in
//! RESULTS, so the pool sees progress per task) and the pool's pid reach the worker in its
//! environment (`worker.rs`). HELLO, READY, SHUTDOWN and REJECTED frames are at most a few KiB,
//! so they fit any limit of at least [`MIN_FRAME_LEN`]. A task that panics or fails comes back
//! as a `TaskFailure` in its slot of the results (shape 1); the worker goes on serving.
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
//! The hello of versions 1 to 5 (`'H' "PBWK" version:u16be ...`, hand-encoded) is still
//! recognized, so that such a worker is told which version it speaks.
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
//! - 6: the messages are serde enums in postcard, derived, instead of hand-encoded kinds and
//!   big-endian fields; the spec too (issue 21). The same frames, the same bodies.
//! - 7: results in two shapes (`results.rs`): a frame whose tasks all succeeded carries the
//!   outputs alone, without a `Result` per task (issue 19).

use std::io::{self, Read};
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::Codec;
use crate::format::byte_size;
use crate::workload::WorkloadError;

/// The protocol version spoken by this build.
pub const PROTOCOL_VERSION: u16 = 7;
/// The largest payload either side accepts unless the pool sets another limit: 64 MiB.
pub const MAX_FRAME_LEN: usize = 64 << 20;
/// The smallest frame limit a pool accepts: 64 KiB, room for every fixed-size frame.
pub const MIN_FRAME_LEN: usize = 64 << 10;
/// The descriptor a worker reads requests from.
pub const REQUEST_FD: i32 = 3;
/// The descriptor a worker writes responses to.
pub const RESPONSE_FD: i32 = 4;

const MAGIC: [u8; 4] = *b"PBWK";
/// How a hello of versions 1 to 5 begins: its kind, then the magic number.
const OLD_HELLO: &[u8; 5] = b"HPBWK";
/// The longest REJECTED message: the reason a request was refused fits in a line.
const MAX_MESSAGE: usize = 4096;

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

/// A worker's hello.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Hello<'a> {
    pub magic: [u8; 4],
    pub version: u16,
    pub codec: u8,
    pub pid: u32,
    /// The identity of the worker's build.
    #[serde(borrow, with = "bytes")]
    pub build: &'a [u8],
}

/// A message from a worker; PARTIAL and RESULTS frames carry their results after it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum FromWorker<'a> {
    #[serde(borrow)]
    Hello(Hello<'a>),
    Ready {
        request_id: u64,
    },
    Partial {
        request_id: u64,
    },
    Results {
        request_id: u64,
    },
    Rejected {
        request_id: u64,
        message: &'a str,
    },
}

/// The names of [`FromWorker`]'s kinds, by variant index, for messages.
const WORKER_KINDS: [&str; 5] = ["HELLO", "READY", "PARTIAL", "RESULTS", "REJECTED"];

/// A message from the pool; a RUN frame carries its inputs after it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub(crate) enum FromPool<'a> {
    Setup {
        request_id: u64,
        #[serde(borrow, with = "bytes")]
        spec: &'a [u8],
    },
    Run {
        request_id: u64,
        then: Then,
        #[serde(borrow, with = "bytes")]
        spec: &'a [u8],
    },
    Shutdown,
}

/// The names of [`FromPool`]'s kinds, by variant index, for messages.
const POOL_KINDS: [&str; 3] = ["SETUP", "RUN", "SHUTDOWN"];

/// What a worker does once it has answered a RUN: the pool decides, because only the pool knows
/// how many of its workers are computing ([`crate::executor::spin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Then {
    /// Wait for the next request blocked: other workers may need the cores.
    Block,
    /// Spin for the next request for a bounded time before blocking: a core is free, and the
    /// next request of a loop of small maps comes within microseconds.
    Spin,
}

/// A workload on the wire: its registered name, and the workload in the payload codec.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Spec<'a> {
    name: &'a str,
    #[serde(borrow, with = "bytes")]
    workload: &'a [u8],
}

/// Byte strings as serde bytes (in postcard a varint length, then the bytes, written at once),
/// borrowed from the frame when read. serde's own `&[u8]` would write them as a sequence, a call
/// per byte.
mod bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub(super) fn deserialize<'de: 'a, 'a, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<&'a [u8], D::Error> {
        <&'de [u8]>::deserialize(deserializer)
    }
}

/// Appends a frame of `message` and the body `body` appends, or, if the codec refuses the body
/// or the frame is longer than `limit` (at most `u32::MAX`, as the pool's settings ensure),
/// leaves `out` as it was.
fn encode_frame(
    out: &mut Vec<u8>,
    message: &(impl Serialize + ?Sized),
    body: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
    limit: usize,
) -> Result<(), EncodeError> {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    let encoded = Codec::Postcard.encode_into(message, out).and_then(|()| body(out));
    if let Err(err) = encoded {
        out.truncate(start);
        return Err(EncodeError::Codec(format!("cannot serialize the frame: {err}")));
    }
    let len = out.len() - start - 4;
    let Some(header) = u32::try_from(len).ok().filter(|_| len <= limit) else {
        out.truncate(start);
        return Err(EncodeError::TooLong { len, limit });
    };
    out[start..start + 4].copy_from_slice(&header.to_be_bytes());
    Ok(())
}

/// Appends a frame without a body whose message is a few KiB at most: it fits any frame limit.
fn encode_small(out: &mut Vec<u8>, message: &impl Serialize) {
    // Only a body can fail to encode, and a message this short fits the smallest limit.
    let _ = encode_frame(out, message, |_| Ok(()), MIN_FRAME_LEN);
}

/// Appends a HELLO frame; `build` is at most 255 bytes (a longer one is cut).
pub(crate) fn encode_hello(out: &mut Vec<u8>, codec: Codec, pid: u32, build: &[u8]) {
    let build = &build[..build.len().min(255)];
    let hello = Hello { magic: MAGIC, version: PROTOCOL_VERSION, codec: codec.id(), pid, build };
    encode_small(out, &FromWorker::Hello(hello));
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
    encode_small(out, &FromWorker::Ready { request_id });
}

/// Appends a SETUP frame for the workload of `spec`; on error (a frame longer than `limit`)
/// `out` is as before.
pub(crate) fn encode_setup(
    out: &mut Vec<u8>,
    request_id: u64,
    spec: &[u8],
    limit: usize,
) -> Result<(), EncodeError> {
    encode_frame(out, &FromPool::Setup { request_id, spec }, |_| Ok(()), limit)
}

/// The spec of a workload: its registered name, and its encoding by `encode_workload`.
///
/// # Errors
///
/// The codec's.
pub(crate) fn encode_spec(
    name: &str,
    encode_workload: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let mut workload = Vec::new();
    encode_workload(&mut workload)?;
    let mut spec = Vec::new();
    Codec::Postcard.encode_into(&Spec { name, workload: &workload }, &mut spec)?;
    Ok(spec)
}

/// A spec's name and workload bytes.
pub(crate) fn decode_spec(spec: &[u8]) -> Result<(&str, &[u8]), String> {
    match postcard::from_bytes::<Spec<'_>>(spec) {
        Ok(Spec { name, workload }) => Ok((name, workload)),
        Err(err) => Err(format!("a workload spec that does not decode: {err}")),
    }
}

/// Appends a RUN frame of the workload of `spec` and the inputs `encode_inputs` appends (an
/// items sequence, `items.rs`); on error (a value the codec refuses, a frame longer than `limit`)
/// `out` is as before.
pub(crate) fn encode_run(
    out: &mut Vec<u8>,
    request_id: u64,
    then: Then,
    spec: &[u8],
    encode_inputs: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
    limit: usize,
) -> Result<(), EncodeError> {
    encode_frame(out, &FromPool::Run { request_id, then, spec }, encode_inputs, limit).map_err(
        |err| match err {
            EncodeError::Codec(message) => {
                EncodeError::Codec(format!("cannot serialize the request: {message}"))
            }
            too_long => too_long,
        },
    )
}

/// Appends a SHUTDOWN frame.
pub(crate) fn encode_shutdown(out: &mut Vec<u8>) {
    encode_small(out, &FromPool::Shutdown);
}

/// Appends a frame of `results`, an items sequence (`items.rs`): the RESULTS frame that ends the
/// request when `last`, else a PARTIAL one. On error (a frame longer than `limit`) `out` is as
/// before.
pub(crate) fn encode_results(
    out: &mut Vec<u8>,
    request_id: u64,
    results: &[u8],
    last: bool,
    limit: usize,
) -> Result<(), EncodeError> {
    let message = if last { FromWorker::Results { request_id } } else { FromWorker::Partial { request_id } };
    let body = |out: &mut Vec<u8>| {
        out.extend_from_slice(results);
        Ok(())
    };
    encode_frame(out, &message, body, limit)
}

/// Appends a REJECTED frame; a message over 4 KiB is cut.
pub(crate) fn encode_rejected(out: &mut Vec<u8>, request_id: u64, message: &str) {
    let mut end = message.len().min(MAX_MESSAGE);
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    encode_small(out, &FromWorker::Rejected { request_id, message: &message[..end] });
}

/// Decodes the message at the start of `payload`, named by `kinds` in errors; returns it and the
/// body after it.
fn decode<'a, M: Deserialize<'a>>(payload: &'a [u8], kinds: &[&str]) -> Result<(M, &'a [u8]), String> {
    postcard::take_from_bytes(payload).map_err(|err| match payload.first() {
        None => "an empty frame".to_owned(),
        Some(&kind) => match kinds.get(usize::from(kind)) {
            Some(name) => format!("a {name} frame that does not decode: {err}"),
            None => format!("a frame of unknown kind 0x{kind:02x}"),
        },
    })
}

/// Refuses bytes after a message that has no body.
fn no_body<'a, M>(message: M, body: &'a [u8], kind: &str) -> Result<(M, &'a [u8]), String> {
    if body.is_empty() {
        Ok((message, body))
    } else {
        Err(format!("a {kind} frame with {} bytes after its message", body.len()))
    }
}

/// Decodes a worker's frame: its message, and the results a PARTIAL or RESULTS carries.
pub(crate) fn decode_from_worker(payload: &[u8]) -> Result<(FromWorker<'_>, &[u8]), String> {
    if let Some(rest) = payload.strip_prefix(OLD_HELLO) {
        // A worker of versions 1 to 5: enough of its hello to say which version it speaks.
        let version = rest.first_chunk::<2>().map_or(0, |version| u16::from_be_bytes(*version));
        let hello = Hello { magic: MAGIC, version, codec: 0, pid: 0, build: &[] };
        return Ok((FromWorker::Hello(hello), &[]));
    }
    let (message, body) = decode::<FromWorker<'_>>(payload, &WORKER_KINDS)?;
    match message {
        FromWorker::Hello(Hello { magic, .. }) if magic != MAGIC => {
            Err(format!("a hello without poolbench's magic number (got {magic:02x?})"))
        }
        FromWorker::Partial { .. } | FromWorker::Results { .. } => Ok((message, body)),
        FromWorker::Hello(_) => no_body(message, body, "HELLO"),
        FromWorker::Ready { .. } => no_body(message, body, "READY"),
        FromWorker::Rejected { .. } => no_body(message, body, "REJECTED"),
    }
}

/// Decodes the pool's frame: its message, and the inputs a RUN carries.
pub(crate) fn decode_from_pool(payload: &[u8]) -> Result<(FromPool<'_>, &[u8]), String> {
    let (message, body) = decode::<FromPool<'_>>(payload, &POOL_KINDS)?;
    match message {
        FromPool::Run { .. } => Ok((message, body)),
        FromPool::Setup { .. } => no_body(message, body, "SETUP"),
        FromPool::Shutdown => no_body(message, body, "SHUTDOWN"),
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
            let (FromPool::Run { request_id, then, spec }, inputs) = decode_from_pool(&payload).unwrap()
            else {
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
            assert!(
                matches!(decode_from_pool(&payload), Ok((FromPool::Run { then: got, .. }, _)) if got == then)
            );
            // The byte after the kind and the request id (7, one byte as a varint) is `then`: 2
            // is neither.
            let mut bad = payload.clone();
            bad[2] = 2;
            let err = decode_from_pool(&bad).unwrap_err();
            assert!(err.starts_with("a RUN frame that does not decode: "), "{err}");
            let err = decode_from_pool(&payload[..2]).unwrap_err();
            assert!(err.starts_with("a RUN frame that does not decode: "), "{err}");
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
        let hello = Hello {
            magic: MAGIC,
            version: PROTOCOL_VERSION,
            codec: Codec::Json.id(),
            pid: 4242,
            build: &[7; 20],
        };
        assert_eq!(decode_from_worker(frame).unwrap(), (FromWorker::Hello(hello), &[][..]));
        let truncated = &out[4..out.len() - 1];
        let err = decode_from_worker(truncated).unwrap_err();
        assert!(err.starts_with("a HELLO frame that does not decode: "), "{err}");
        let mut other = frame.to_vec();
        other[1] = b'X';
        assert!(decode_from_worker(&other).unwrap_err().contains("magic number"));
    }

    #[test]
    fn a_hello_of_versions_one_to_five_still_says_its_version() {
        // Version 5's hello: 'H', the magic number, the version as a big-endian u16, then more.
        let old = [b'H', b'P', b'B', b'W', b'K', 0, 5, 1, 0, 0, 0, 7, 0];
        let (FromWorker::Hello(hello), _) = decode_from_worker(&old).unwrap() else { panic!("not a hello") };
        assert_eq!(hello.version, 5);
    }

    #[test]
    fn hello_is_variant_zero_and_every_frame_kind_is_one_byte_then_its_fields() {
        let mut out = Vec::new();
        encode_hello(&mut out, Codec::Postcard, 1, &[9]);
        // length, kind 0, magic, version 7, codec 1, pid 1, build of one byte.
        assert_eq!(out[4..], [0, b'P', b'B', b'W', b'K', 7, 1, 1, 1, 9]);
        out.clear();
        encode_ready(&mut out, 300);
        assert_eq!(out, [0, 0, 0, 3, 1, 0xAC, 0x02]);
        out.clear();
        encode_shutdown(&mut out);
        assert_eq!(out, [0, 0, 0, 1, 2]);
        assert_eq!(decode_from_worker(&[5]).unwrap_err(), "a frame of unknown kind 0x05");
        assert_eq!(decode_from_pool(&[]).unwrap_err(), "an empty frame");
        assert!(decode_from_pool(&[2, 0]).unwrap_err().contains("1 bytes after its message"));
    }

    #[test]
    fn frames_split_across_reads_are_reassembled() {
        let mut stream = Vec::new();
        let mut results = Vec::new();
        items::encode(Codec::Postcard, &mut results, &[12u8, 3]).unwrap();
        encode_results(&mut stream, 7, &results, true, MAX_FRAME_LEN).unwrap();
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
        let Ok((FromWorker::Results { request_id: 7 }, body)) = decode_from_worker(&frames[0]) else {
            panic!("not RESULTS for request 7")
        };
        assert_eq!(body, results.as_slice());
        let rejected = decode_from_worker(&frames[1]).unwrap();
        assert_eq!(rejected, (FromWorker::Rejected { request_id: 8, message: "bad spec" }, &[][..]));
        assert_eq!(decode_from_worker(&frames[2]).unwrap(), (FromWorker::Ready { request_id: 9 }, &[][..]));
        assert!(!reader.has_partial_frame());
    }

    #[test]
    fn a_rejected_message_over_four_kib_is_cut_at_a_character() {
        let mut out = Vec::new();
        encode_rejected(&mut out, 1, &"é".repeat(3000));
        let payload = read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap();
        let (FromWorker::Rejected { message, .. }, _) = decode_from_worker(&payload).unwrap() else {
            panic!("not REJECTED")
        };
        assert_eq!(message.len(), MAX_MESSAGE);
    }

    #[test]
    fn a_setup_frame_carries_its_spec() {
        let spec = encode_spec("w", |_| Ok(())).unwrap();
        let mut out = Vec::new();
        encode_setup(&mut out, 3, &spec, MAX_FRAME_LEN).unwrap();
        let payload = read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap();
        assert_eq!(
            decode_from_pool(&payload).unwrap(),
            (FromPool::Setup { request_id: 3, spec: &spec }, &[][..])
        );
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
    fn a_partial_frame_carries_its_results() {
        let mut out = Vec::new();
        let mut results = Vec::new();
        items::encode(Codec::Postcard, &mut results, &[10u8, 20]).unwrap();
        encode_results(&mut out, 5, &results, false, MAX_FRAME_LEN).unwrap();
        let payload = read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap();
        let (FromWorker::Partial { request_id: 5 }, results) = decode_from_worker(&payload).unwrap() else {
            panic!("not a PARTIAL frame for request 5")
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
