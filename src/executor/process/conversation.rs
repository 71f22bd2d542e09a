//! The pool's side of the conversation with one worker: the requests it holds, and what each
//! frame it sends means.
//!
//! A [`Conversation`] holds no process and no pipe: the event loop (`dispatch.rs`) reads a
//! worker's frames and hands each payload to [`receive`](Conversation::receive), which checks it
//! against the protocol and the requests outstanding and turns it into an [`Event`] (a hello, a
//! set-up's outcome, results for a range of tasks, a refusal) or a [`Fault`] that ends the
//! worker. The loop acts on the event (the ledger takes the results, the set-up round its
//! outcome), then [`commit`](Conversation::commit)s it: only then does an answered request leave
//! the worker's queue, so that a request whose results the pool cannot take is still the
//! worker's to account for when it is buried. So every rule of the conversation (hello first and
//! once, of this build, version and codec; answers in request order; a READY only for a SETUP;
//! PARTIAL never the last answer) is here and tested without processes.

use std::collections::VecDeque;
use std::ops::Range;
use std::time::Instant;

use super::ledger::Chunk;
use super::protocol::{self, FromWorker, Hello, PROTOCOL_VERSION};
use super::results::Results;
use super::{Codec, build_id};

/// A request sent to a worker and not answered yet.
#[derive(Debug)]
pub(super) enum Request {
    /// A SETUP, answered READY or REJECTED.
    Setup { request_id: u64 },
    /// A RUN of a chunk's tasks: those without a result yet.
    Run { request_id: u64, chunk: Chunk },
}

impl Request {
    fn request_id(&self) -> u64 {
        match self {
            Request::Setup { request_id } | Request::Run { request_id, .. } => *request_id,
        }
    }
}

/// What a frame from a worker means.
#[derive(Debug, PartialEq)]
pub(super) enum Event<'a> {
    /// A valid hello: the worker is ready for requests.
    Hello,
    /// The SETUP `request_id` was answered: the workload is set up, or why not.
    SetUp { request_id: u64, outcome: Result<(), &'a str> },
    /// The results of `tasks`, a results body (`results.rs`).
    Results { tasks: Range<usize>, results: &'a [u8] },
    /// The worker refused a RUN: `tasks`, those of the request without a result, fail.
    Refused { tasks: Range<usize>, message: &'a str },
}

/// An event, and what [`commit`](Conversation::commit)ting it does to the oldest request.
#[derive(Debug, PartialEq)]
pub(super) struct Heard<'a> {
    pub(super) event: Event<'a>,
    progress: Progress,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Progress {
    /// Nothing answered: a hello.
    None,
    /// The oldest request's first `count` tasks have results; it stays open.
    Ahead(usize),
    /// The oldest request is answered.
    Done,
}

/// Why a worker's frame ends it.
#[derive(Debug, PartialEq)]
pub(super) enum Fault {
    /// Before a valid hello: it is not a worker of this build, protocol and codec.
    Startup(String),
    /// After its hello: it broke the protocol.
    Protocol(String),
}

/// The pool's view of the conversation with one worker. See the module docs.
#[derive(Debug)]
pub(super) struct Conversation {
    codec: Codec,
    ready: bool,
    served: bool,
    in_flight: VecDeque<Request>,
    /// Since when the oldest request's first task without a result could have been running:
    /// when the request became the oldest, or when its last result arrived.
    head_since: Instant,
    /// RUN requests sent, ever.
    assigned: u64,
}

impl Conversation {
    /// A worker just started, speaking `codec`, which has yet to say hello.
    pub(super) fn new(codec: Codec, now: Instant) -> Self {
        Conversation {
            codec,
            ready: false,
            served: false,
            in_flight: VecDeque::new(),
            head_since: now,
            assigned: 0,
        }
    }

    /// Whether it has said a valid hello.
    pub(super) fn is_ready(&self) -> bool {
        self.ready
    }

    /// Whether it has answered a request: until then, losing it counts as a failed start.
    pub(super) fn has_served(&self) -> bool {
        self.served
    }

    /// How many requests it holds unanswered.
    pub(super) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// How many RUN requests it was sent.
    pub(super) fn assigned(&self) -> u64 {
        self.assigned
    }

    /// Since when its oldest request has waited for its next result, if it holds one.
    pub(super) fn waiting_since(&self) -> Option<Instant> {
        self.in_flight.front().map(|_| self.head_since)
    }

    /// Records a SETUP sent.
    pub(super) fn sent_setup(&mut self, request_id: u64, now: Instant) {
        self.push(Request::Setup { request_id }, now);
    }

    /// Records a RUN of `chunk` sent.
    pub(super) fn sent_run(&mut self, request_id: u64, chunk: Chunk, now: Instant) {
        self.assigned += 1;
        self.push(Request::Run { request_id, chunk }, now);
    }

    fn push(&mut self, request: Request, now: Instant) {
        if self.in_flight.is_empty() {
            self.head_since = now;
        }
        self.in_flight.push_back(request);
    }

    /// The requests it holds, oldest first: what a worker that is lost leaves to settle.
    pub(super) fn into_requests(self) -> VecDeque<Request> {
        self.in_flight
    }

    /// The fault of a worker whose stream broke with `message` (a frame over the limit).
    pub(super) fn broken(&self, message: String) -> Fault {
        if self.ready { Fault::Protocol(message) } else { Fault::Startup(message) }
    }

    /// What the frame `payload` means. Nothing changes until the event is
    /// [`commit`](Self::commit)ted, but the hello.
    ///
    /// # Errors
    ///
    /// The frame breaks the protocol, or is not the hello of a worker of this build.
    pub(super) fn receive<'a>(&mut self, payload: &'a [u8]) -> Result<Heard<'a>, Fault> {
        let (message, results) = protocol::decode_from_worker(payload).map_err(|message| {
            if self.ready {
                Fault::Protocol(message)
            } else {
                Fault::Startup(format!("sent {message} instead of a hello"))
            }
        })?;
        if !self.ready {
            let FromWorker::Hello(hello) = message else {
                return Err(Fault::Startup("spoke before saying hello".into()));
            };
            self.check_hello(&hello)?;
            self.ready = true;
            return Ok(Heard { event: Event::Hello, progress: Progress::None });
        }
        let protocol = |message: String| Err(Fault::Protocol(message));
        let Some(request_id) = message_id(&message) else { return protocol("said hello twice".into()) };
        let head = self.head(request_id)?;
        let (event, progress) = match (message, head) {
            (FromWorker::Hello(_), _) => return protocol("said hello twice".into()),
            (FromWorker::Ready { request_id }, Request::Setup { .. }) => {
                (Event::SetUp { request_id, outcome: Ok(()) }, Progress::Done)
            }
            (FromWorker::Ready { request_id }, Request::Run { .. }) => {
                return protocol(format!("said it was ready for request {request_id}, not a set-up"));
            }
            (FromWorker::Rejected { request_id, message }, Request::Setup { .. }) => {
                (Event::SetUp { request_id, outcome: Err(message) }, Progress::Done)
            }
            (FromWorker::Rejected { message, .. }, Request::Run { chunk, .. }) => {
                (Event::Refused { tasks: chunk.tasks.clone(), message }, Progress::Done)
            }
            (
                FromWorker::Partial { request_id } | FromWorker::Results { request_id },
                Request::Setup { .. },
            ) => {
                return protocol(format!("sent results for set-up request {request_id}"));
            }
            (FromWorker::Partial { request_id }, Request::Run { chunk, .. }) => {
                let left = chunk.tasks.clone();
                let count = Results::parse(self.codec, results)
                    .map_err(|err| {
                        Fault::Protocol(format!(
                            "sent results for request {request_id} that do not decode: {err}"
                        ))
                    })?
                    .len();
                // RESULTS carries at least the last task, so a request never ends unanswered.
                if count == 0 || count >= left.len() {
                    return protocol(format!(
                        "sent {count} results ahead for request {request_id}, which has {} tasks left",
                        left.len()
                    ));
                }
                (Event::Results { tasks: left.start..left.start + count, results }, Progress::Ahead(count))
            }
            (FromWorker::Results { .. }, Request::Run { chunk, .. }) => {
                (Event::Results { tasks: chunk.tasks.clone(), results }, Progress::Done)
            }
        };
        Ok(Heard { event, progress })
    }

    /// Takes `heard` as acted on: its request advances or is retired.
    pub(super) fn commit(&mut self, heard: &Heard<'_>, now: Instant) {
        match heard.progress {
            Progress::None => return,
            Progress::Ahead(count) => {
                if let Some(Request::Run { chunk, .. }) = self.in_flight.front_mut() {
                    chunk.tasks.start += count;
                }
            }
            Progress::Done => {
                self.in_flight.pop_front();
            }
        }
        // Its tasks have run so far: the wait for the rest, or for the next request, starts now.
        self.head_since = now;
        self.served = true;
    }

    /// The oldest request, which an answer must name.
    fn head(&self, request_id: u64) -> Result<&Request, Fault> {
        match self.in_flight.front() {
            Some(head) if head.request_id() == request_id => Ok(head),
            Some(head) => Err(Fault::Protocol(format!(
                "answered request {request_id} while {} was oldest",
                head.request_id()
            ))),
            None => Err(Fault::Protocol(format!("answered request {request_id}, which was never sent"))),
        }
    }

    fn check_hello(&self, hello: &Hello<'_>) -> Result<(), Fault> {
        if hello.version != PROTOCOL_VERSION {
            return Err(Fault::Startup(format!(
                "speaks protocol version {}, this poolbench speaks {PROTOCOL_VERSION}; rebuild both with \
                 `cargo build --bins` (or point POOLBENCH_WORKER at a matching worker)",
                hello.version
            )));
        }
        if hello.build != build_id::this_build() {
            return Err(Fault::Startup(format!(
                "is another build of the program (build {}, this one is {}): its types may differ from the \
                 pool's; start this same build as the worker (unset POOLBENCH_WORKER, or point it at this build)",
                build_id::hex(hello.build),
                build_id::hex(build_id::this_build())
            )));
        }
        if hello.codec != self.codec.id() {
            let spoken = Codec::from_id(hello.codec)
                .map_or_else(|| format!("unknown codec byte {}", hello.codec), |other| other.to_string());
            return Err(Fault::Startup(format!("answered in {spoken}, not {}", self.codec)));
        }
        Ok(())
    }
}

/// The request an answer names; `None` for a hello.
fn message_id(message: &FromWorker<'_>) -> Option<u64> {
    match message {
        FromWorker::Hello(_) => None,
        FromWorker::Ready { request_id }
        | FromWorker::Partial { request_id }
        | FromWorker::Results { request_id }
        | FromWorker::Rejected { request_id, .. } => Some(*request_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::executor::process::protocol::{MAX_FRAME_LEN, TaskFailure};
    use crate::executor::process::results;

    const CODEC: Codec = Codec::Postcard;

    /// The payload of the one frame `encode` appends.
    fn frame(encode: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out);
        protocol::read_frame(&mut out.as_slice(), MAX_FRAME_LEN).unwrap().unwrap()
    }

    fn hello() -> Vec<u8> {
        frame(|out| protocol::encode_hello(out, CODEC, 7, build_id::this_build()))
    }

    /// Results `values` as a RESULTS (`last`) or PARTIAL frame for `request_id`.
    fn results(request_id: u64, values: &[u64], last: bool) -> Vec<u8> {
        let oks: Vec<Result<u64, TaskFailure>> = values.iter().copied().map(Ok).collect();
        let mut body = Vec::new();
        results::encode(CODEC, &mut body, &oks).unwrap();
        frame(|out| protocol::encode_results(out, request_id, &body, last, MAX_FRAME_LEN).unwrap())
    }

    /// A conversation past its hello.
    fn ready() -> Conversation {
        let mut conversation = Conversation::new(CODEC, Instant::now());
        let hello = hello();
        let heard = conversation.receive(&hello).unwrap();
        assert_eq!(heard.event, Event::Hello);
        conversation.commit(&heard, Instant::now());
        assert!(conversation.is_ready() && !conversation.has_served());
        conversation
    }

    fn run(tasks: Range<usize>) -> Chunk {
        Chunk { tasks, attempts: 0 }
    }

    fn fault(conversation: &mut Conversation, payload: &[u8]) -> Fault {
        conversation.receive(payload).unwrap_err()
    }

    #[test]
    fn a_worker_must_say_a_hello_of_this_build_version_and_codec_first() {
        let mut fresh = Conversation::new(CODEC, Instant::now());
        let said_ready = frame(|out| protocol::encode_ready(out, 0));
        assert_eq!(fault(&mut fresh, &said_ready), Fault::Startup("spoke before saying hello".into()));

        let other_build = frame(|out| protocol::encode_hello(out, CODEC, 7, b"another build"));
        let Fault::Startup(message) = fault(&mut fresh, &other_build) else { panic!("not a start-up fault") };
        assert!(message.contains("another build of the program"), "{message}");

        let json = frame(|out| protocol::encode_hello(out, Codec::Json, 7, build_id::this_build()));
        assert_eq!(fault(&mut fresh, &json), Fault::Startup("answered in json, not postcard".into()));

        let version_5 = [b'H', b'P', b'B', b'W', b'K', 0, 5, 1];
        let Fault::Startup(message) = fault(&mut fresh, &version_5) else { panic!("not a start-up fault") };
        let expected = format!("speaks protocol version 5, this poolbench speaks {PROTOCOL_VERSION}");
        assert!(message.starts_with(&expected), "{message}");

        let Fault::Startup(message) = fault(&mut fresh, b"garbage") else { panic!("not a start-up fault") };
        assert!(message.ends_with("instead of a hello"), "{message}");
        assert!(!fresh.is_ready());

        let mut conversation = ready();
        let hello = hello();
        assert_eq!(fault(&mut conversation, &hello), Fault::Protocol("said hello twice".into()));
    }

    #[test]
    fn results_settle_the_oldest_request_in_order_and_partials_keep_it_open() {
        let mut conversation = ready();
        conversation.sent_run(1, run(10..14), Instant::now());
        conversation.sent_run(2, run(14..16), Instant::now());
        assert_eq!((conversation.in_flight(), conversation.assigned()), (2, 2));

        let partial = results(1, &[100, 101], false);
        let heard = conversation.receive(&partial).unwrap();
        let Event::Results { tasks, .. } = &heard.event else { panic!("{heard:?}") };
        assert_eq!(*tasks, 10..12);
        conversation.commit(&heard, Instant::now());
        assert!(conversation.has_served());

        // The rest of request 1, not request 2, is what the next answer must be for.
        let early = results(2, &[1, 2], true);
        assert_eq!(
            fault(&mut conversation, &early),
            Fault::Protocol("answered request 2 while 1 was oldest".into())
        );
        let rest = results(1, &[102, 103], true);
        let heard = conversation.receive(&rest).unwrap();
        assert!(matches!(&heard.event, Event::Results { tasks, .. } if *tasks == (12..14)), "{heard:?}");
        conversation.commit(&heard, Instant::now());
        assert_eq!(conversation.in_flight(), 1);

        // A PARTIAL must leave at least one task for the RESULTS that ends the request.
        let all = results(2, &[1, 2], false);
        let Fault::Protocol(message) = fault(&mut conversation, &all) else { panic!("not a protocol fault") };
        assert_eq!(message, "sent 2 results ahead for request 2, which has 2 tasks left");
    }

    #[test]
    fn an_event_changes_nothing_until_it_is_committed() {
        let mut conversation = ready();
        conversation.sent_run(1, run(0..3), Instant::now());
        let answer = results(1, &[1, 2, 3], true);
        // Results the pool could not take leave the request with the worker, to settle when it
        // is buried.
        let heard = conversation.receive(&answer).unwrap();
        assert!(matches!(heard.event, Event::Results { .. }), "{heard:?}");
        assert_eq!(conversation.in_flight(), 1);
        assert!(!conversation.has_served());
        let requests: Vec<_> = conversation.into_requests().into_iter().collect();
        assert!(matches!(&requests[..], [Request::Run { request_id: 1, chunk }] if chunk.tasks == (0..3)));
    }

    #[test]
    fn a_setup_is_answered_ready_or_rejected_and_a_run_only_with_results_or_a_refusal() {
        let mut conversation = ready();
        conversation.sent_setup(5, Instant::now());
        let results_for_setup = results(5, &[1], true);
        assert_eq!(
            fault(&mut conversation, &results_for_setup),
            Fault::Protocol("sent results for set-up request 5".into())
        );
        let rejected = frame(|out| protocol::encode_rejected(out, 5, "no such workload"));
        let heard = conversation.receive(&rejected).unwrap();
        assert_eq!(heard.event, Event::SetUp { request_id: 5, outcome: Err("no such workload") });
        conversation.commit(&heard, Instant::now());
        assert_eq!((conversation.in_flight(), conversation.assigned()), (0, 0));

        conversation.sent_run(6, run(3..5), Instant::now());
        let ready_for_run = frame(|out| protocol::encode_ready(out, 6));
        assert_eq!(
            fault(&mut conversation, &ready_for_run),
            Fault::Protocol("said it was ready for request 6, not a set-up".into())
        );
        let refused = frame(|out| protocol::encode_rejected(out, 6, "cannot decode the spec"));
        let heard = conversation.receive(&refused).unwrap();
        assert_eq!(heard.event, Event::Refused { tasks: 3..5, message: "cannot decode the spec" });
        conversation.commit(&heard, Instant::now());
        assert_eq!(conversation.waiting_since(), None);

        let unsent = frame(|out| protocol::encode_ready(out, 9));
        assert_eq!(
            fault(&mut conversation, &unsent),
            Fault::Protocol("answered request 9, which was never sent".into())
        );
    }

    #[test]
    fn the_wait_for_a_result_restarts_with_each_one() {
        let mut conversation = ready();
        let sent = Instant::now();
        conversation.sent_run(1, run(0..3), sent);
        assert_eq!(conversation.waiting_since(), Some(sent));
        let partial = results(1, &[1], false);
        let heard = conversation.receive(&partial).unwrap();
        let later = sent + std::time::Duration::from_millis(5);
        conversation.commit(&heard, later);
        assert_eq!(conversation.waiting_since(), Some(later));
    }
}
