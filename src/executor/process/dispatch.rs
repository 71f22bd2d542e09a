//! The pool's event loop: one thread, every worker's pipes multiplexed with poll(2).
//!
//! Work is pulled, not pushed: chunks wait in one queue, and a worker is handed the next chunk
//! whenever it has fewer than `max_in_flight` unanswered requests. So a fast worker takes more
//! chunks than a slow one, no pipe ever holds more than a few requests (queuing 100,000 tasks
//! cannot deadlock on a full pipe), and the number of results in memory is bounded.
//!
//! When a worker dies, times out or breaks the protocol, only the chunk it was running is
//! affected; the chunks queued behind it had not started and go back to the queue. With a task
//! timeout, workers send each result as its task ends (`--stream`), so the task at fault is the
//! chunk's first without a result: the tasks before it have theirs, the tasks after it had not
//! started and go back to the queue, and the timeout counts from the last result, per task,
//! whatever the chunk's length. Without one, results come back per chunk, so a chunk of several
//! tasks is split and its tasks rerun one by one, to find the one at fault; tasks sharing a chunk
//! with a crashing task may then run twice: use a chunk length of 1 where a task must run at most
//! once. The task at fault is retried if the pool allows retries, and otherwise fails with an
//! error naming the worker and how it ended. The dead worker is reaped and replaced, so the pool
//! returns to full size.
//!
//! The queue and the count of tasks still without a result or an error are one map's
//! [`Ledger`]: the loop settles a task only through it, so every task is counted once, and the
//! map ends when the count reaches zero.
//!
//! An empty slot is filled as soon as [`Restarts`] allows: failed starts back off, and a map
//! whose pool has no worker left fails its queued tasks only once no worker could be had for a
//! startup timeout (see `restart.rs`).

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::build_id;
use super::ledger::{Chunk, Job, Ledger, NoJob};
use super::protocol::{self, EncodeError, FrameReader, FromWorker, PROTOCOL_VERSION, Then};
use super::reaper;
use super::restart::Restarts;
use super::spawn::{Starting, WorkerProcess};
use super::{Codec, WorkerStart, sys};
use crate::executor::error::stderr_note;
use crate::executor::{Chunking, Error, spin};
use crate::format::byte_size;
/// How long a worker that has closed its end gets to finish dying before it is killed.
const BURIAL_GRACE: Duration = Duration::from_secs(1);

/// Everything that decides how a pool of worker processes behaves.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub program: PathBuf,
    pub start: WorkerStart,
    pub size: usize,
    pub codec: Codec,
    pub max_frame_len: usize,
    pub chunking: Chunking,
    pub task_timeout: Option<Duration>,
    pub retries: u32,
    pub max_in_flight: usize,
    pub startup_timeout: Duration,
    pub shutdown_timeout: Duration,
    pub lifecycle: Lifecycle,
}

impl Config {
    /// Whether workers send each result as its task ends: with a task timeout, whose clock
    /// restarts with each, and which then knows the task at fault (see the module docs).
    fn streams_results(&self) -> bool {
        self.task_timeout.is_some()
    }
}

/// Why a SETUP did not make a worker ready.
#[derive(Debug)]
enum SetupFailure {
    /// The worker answered REJECTED: the workload's set-up failed, or the worker does not know it.
    Refused(String),
    /// The worker died or broke the protocol before it answered.
    Lost(String),
}

/// How long a worker serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// `size` workers start up front and serve every map until the pool is dropped (ProcessPool).
    Persistent,
    /// A worker is started for one chunk and retired after it, at most `size` at once
    /// (SpawnPerTask).
    OnePerChunk,
}

#[derive(Debug)]
struct InFlight {
    request_id: u64,
    /// The tasks it carries; none for a SETUP.
    chunk: Chunk,
    /// Whether it is a SETUP, answered READY or REJECTED, whose outcome [`Workers::setup_all`]
    /// waits for.
    setup: bool,
}

/// A worker process and the pool's view of the conversation with it.
#[derive(Debug)]
struct Worker {
    process: WorkerProcess,
    ready: bool,
    reader: FrameReader,
    outbox: Vec<u8>,
    sent: usize,
    in_flight: VecDeque<InFlight>,
    /// Since when the oldest unanswered request's first task without a result could have been
    /// running: when the request became the oldest, or when its last result arrived.
    head_since: Instant,
    assigned: u64,
    /// Whether it has answered a request: until then, losing it counts as a failed start.
    served: bool,
    /// Told to shut down (SpawnPerTask, after its one chunk); reaped at end-of-file.
    retiring: Option<Instant>,
}

impl Worker {
    fn new(process: WorkerProcess, max_frame_len: usize) -> Self {
        Worker {
            process,
            ready: false,
            reader: FrameReader::new(max_frame_len),
            outbox: Vec::new(),
            sent: 0,
            in_flight: VecDeque::new(),
            head_since: Instant::now(),
            assigned: 0,
            served: false,
            retiring: None,
        }
    }

    /// Writes what the pipe takes now.
    fn flush(&mut self) -> io::Result<()> {
        while self.sent < self.outbox.len() {
            let Some(requests) = self.process.requests() else {
                return Err(io::Error::new(io::ErrorKind::BrokenPipe, "the request pipe is closed"));
            };
            match requests.write(&self.outbox[self.sent..]) {
                Ok(written) => self.sent += written,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        self.outbox.clear();
        self.sent = 0;
        Ok(())
    }
}

/// Why a worker is being buried.
#[derive(Debug)]
enum Cause {
    /// Its response pipe closed, or its request pipe broke.
    Died,
    /// Its oldest request ran past the task timeout.
    TimedOut(Duration),
    /// It said something that is not the protocol.
    Protocol(String),
    /// It did not start: it spoke, but not a valid hello of this build's protocol and codec.
    Startup(String),
    /// It did not say hello within the startup timeout.
    Silent(Duration),
}

/// The workers of one pool and the loop that drives them.
#[derive(Debug)]
pub(crate) struct Workers {
    config: Config,
    slots: Vec<Option<Worker>>,
    next_request_id: u64,
    restarts: Restarts,
    /// The outcome of each SETUP sent, by request id, once known.
    setup_outcomes: HashMap<u64, Result<(), SetupFailure>>,
}

impl Workers {
    /// Starts the pool: for a persistent pool, every worker, in parallel, returning once each has
    /// said hello.
    pub(crate) fn start(config: Config) -> Result<Self, Error> {
        let slots = (0..config.size).map(|_| None).collect();
        let restarts = Restarts::new(config.startup_timeout);
        let mut workers =
            Workers { config, slots, next_request_id: 0, restarts, setup_outcomes: HashMap::new() };
        if workers.config.lifecycle == Lifecycle::Persistent {
            workers.settle();
            if workers.ready_count() < workers.config.size {
                return Err(workers.restarts.build_error(workers.config.size));
            }
        }
        Ok(workers)
    }

    /// The configuration.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// The process ids of the live workers.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.slots.iter().flatten().map(|worker| worker.process.pid()).collect()
    }

    /// Resident memory of each live worker.
    pub(crate) fn resident_bytes(&self) -> Vec<(u32, Option<u64>)> {
        self.slots
            .iter()
            .flatten()
            .map(|worker| (worker.process.pid(), worker.process.resident_bytes()))
            .collect()
    }

    /// How many workers compute: those with a request in flight.
    fn busy_count(&self) -> usize {
        self.slots.iter().flatten().filter(|worker| !worker.in_flight.is_empty()).count()
    }

    fn ready_count(&self) -> usize {
        self.slots.iter().flatten().filter(|worker| worker.ready && worker.retiring.is_none()).count()
    }

    /// Runs `job` to completion: every task gets a result or an error.
    pub(crate) fn run(&mut self, job: &mut dyn Job) {
        let mut ledger = Ledger::new(job, self.config.chunking, self.config.size);
        // A map starts with a clean slate: earlier start-up failures may have been transient.
        self.restarts.reset();
        while ledger.unsettled() > 0 || self.slots.iter().flatten().any(|worker| worker.retiring.is_some()) {
            self.turn(&mut ledger);
        }
        if self.config.lifecycle == Lifecycle::Persistent {
            self.settle();
        }
    }

    /// Sets the workload of `spec` (named `workload`, for messages) up in every live worker of a
    /// persistent pool, or in one worker started for the purpose (SpawnPerTask), and waits for
    /// each to say it is ready.
    ///
    /// # Errors
    ///
    /// The first worker whose set-up failed, died or was refused, named by its pid, with why; or
    /// no worker to set up (the pool could not start one).
    pub(crate) fn setup_all(&mut self, spec: &[u8], workload: &str) -> Result<(), Error> {
        self.restarts.reset();
        // Workers retiring from an earlier map or set-up are reaped first, freeing their slots.
        self.settle();
        if self.config.lifecycle == Lifecycle::OnePerChunk && self.ready_count() == 0 {
            if let Some(slot) = self.slots.iter().position(Option::is_none) {
                self.spawn_into(slot);
                self.settle();
            }
        }
        let mut sent = Vec::new();
        for worker in
            self.slots.iter_mut().flatten().filter(|worker| worker.ready && worker.retiring.is_none())
        {
            let request_id = self.next_request_id;
            self.next_request_id += 1;
            protocol::encode_setup(&mut worker.outbox, request_id, spec, self.config.max_frame_len).map_err(
                |err| {
                    Error::invalid_config(format!(
                        "cannot send the workload {workload} to the workers: {err}"
                    ))
                },
            )?;
            if worker.in_flight.is_empty() {
                worker.head_since = Instant::now();
            }
            worker.in_flight.push_back(InFlight {
                request_id,
                chunk: Chunk { tasks: 0..0, attempts: 0 },
                setup: true,
            });
            sent.push((request_id, worker.process.pid()));
        }
        if sent.is_empty() {
            return Err(self.restarts.map_error());
        }
        let mut nothing = NoJob;
        let mut ledger = Ledger::new(&mut nothing, self.config.chunking, self.config.size);
        while sent.iter().any(|(request_id, _)| !self.setup_outcomes.contains_key(request_id)) {
            self.turn(&mut ledger);
        }
        let mut failure = None;
        for (request_id, pid) in sent {
            let error = match self.setup_outcomes.remove(&request_id) {
                Some(Err(SetupFailure::Refused(message))) => {
                    Error::setup_failed(format!("worker process {pid}"), message)
                }
                Some(Err(SetupFailure::Lost(reason))) => Error::worker(
                    Some(pid),
                    format!("was lost while setting up workload {workload}: {reason}; the pool replaces it"),
                ),
                _ => continue,
            };
            failure.get_or_insert(error);
        }
        if self.config.lifecycle == Lifecycle::Persistent {
            self.settle();
        }
        failure.map_or(Ok(()), Err)
    }

    /// Turns the loop until every slot of a persistent pool holds a ready worker, or the pool gives
    /// up waiting for one, and no worker is retiring.
    fn settle(&mut self) {
        let mut nothing = NoJob;
        let mut ledger = Ledger::new(&mut nothing, self.config.chunking, self.config.size);
        loop {
            let gave_up = self.restarts.gave_up(Instant::now());
            if gave_up {
                self.abandon_starts();
            }
            let busy = self.slots.iter().flatten().any(|worker| !worker.ready || worker.retiring.is_some());
            let can_spawn = self.config.lifecycle == Lifecycle::Persistent
                && self.slots.iter().any(Option::is_none)
                && !gave_up;
            if !busy && !can_spawn {
                return;
            }
            self.turn(&mut ledger);
        }
    }

    /// Kills the workers still starting: the pool has stopped waiting for them. They are not
    /// failed starts, only late ones, so the last real failure stays the one reported.
    fn abandon_starts(&mut self) {
        for slot in &mut self.slots {
            if slot.as_ref().is_some_and(|worker| !worker.ready && worker.retiring.is_none()) {
                // Dropping a worker kills and reaps its process.
                *slot = None;
            }
        }
    }

    /// One turn of the loop: staff, assign, write, wait, read, enforce deadlines.
    fn turn(&mut self, ledger: &mut Ledger<'_>) {
        self.staff(ledger.queued());
        if self.ready_count() == 0 && ledger.queued() > 0 && self.restarts.gave_up(Instant::now()) {
            self.abandon_starts();
            ledger.fail_queued(&self.restarts.map_error());
        }
        self.assign(ledger);

        for slot in 0..self.slots.len() {
            let Some(worker) = self.slots[slot].as_mut() else { continue };
            if worker.flush().is_err() {
                self.read_then_bury(slot, Cause::Died, ledger);
            }
        }

        let waiting = self.slots.iter().flatten().any(|worker| {
            !worker.ready
                || worker.retiring.is_some()
                || !worker.in_flight.is_empty()
                || worker.sent < worker.outbox.len()
        });
        let due = self.next_deadline();
        if !waiting && due.is_none() {
            // Nothing can arrive and nothing is due: every task left was settled without a worker
            // (refused before sending), so polling would wait for ever.
            return;
        }

        let mut watched = Vec::new();
        let mut interests = Vec::new();
        for (slot, worker) in self.slots.iter().enumerate() {
            let Some(worker) = worker else { continue };
            let (responses, requests) = worker.process.fds();
            interests.push(sys::Interest { fd: responses, read: true, write: false });
            watched.push((slot, false));
            if let Some(requests) = requests.filter(|_| worker.sent < worker.outbox.len()) {
                interests.push(sys::Interest { fd: requests, read: false, write: true });
                watched.push((slot, true));
            }
        }
        // Spin, then block: a result due within microseconds is caught without the wake-up of a
        // blocked thread (spin.rs), when a worker computes and the others computing leave a core
        // for the spin. A worker still starting takes far longer than a spin: no spin for it.
        let mut spun = None;
        let busy = self.busy_count();
        if busy > 0 && spin::may_spin_beside(busy) {
            spin::spin(|| match sys::poll(&interests, Some(Duration::ZERO)) {
                Ok(readiness) if !readiness.iter().any(sys::Readiness::any) => false,
                outcome => {
                    spun = Some(outcome);
                    true
                }
            });
        }
        // With no worker to hear (all slots waiting out a backoff), this is a plain sleep.
        let timeout = due.map(|deadline| deadline.saturating_duration_since(Instant::now()));
        let readiness = match spun.unwrap_or_else(|| sys::poll(&interests, timeout)) {
            Ok(readiness) => readiness,
            Err(err) => {
                for slot in 0..self.slots.len() {
                    if self.slots[slot].is_some() {
                        self.bury(slot, Cause::Died, ledger);
                    }
                }
                let error = Error::worker(
                    None,
                    format!("poll(2) failed, so the pool cannot hear its workers: {err}"),
                );
                let now = Instant::now();
                self.restarts.failed(now, now, error, false);
                return;
            }
        };
        for ((slot, for_write), ready) in watched.into_iter().zip(readiness) {
            if for_write {
                if ready.writable || ready.hung_up {
                    if let Some(worker) = self.slots[slot].as_mut() {
                        if worker.flush().is_err() {
                            self.read_then_bury(slot, Cause::Died, ledger);
                        }
                    }
                }
            } else if ready.readable || ready.hung_up {
                self.receive(slot, ledger);
            }
        }
        self.enforce_deadlines(ledger);
    }

    /// Starts workers where they are needed: every empty slot of a persistent pool; for
    /// SpawnPerTask, one per queued chunk up to the pool size.
    fn staff(&mut self, queued: usize) {
        let mut wanted = match self.config.lifecycle {
            Lifecycle::Persistent => self.slots.len(),
            Lifecycle::OnePerChunk => {
                let starting = self.slots.iter().flatten().filter(|worker| !worker.ready).count();
                queued.saturating_sub(starting)
            }
        };
        // Every worker is asked for first and waited for after, so that the fork server forks them
        // back to back while this thread makes the next one's pipes.
        let mut starting = Vec::new();
        for slot in 0..self.slots.len() {
            if wanted == 0 {
                break;
            }
            if self.slots[slot].is_some() {
                continue;
            }
            let now = Instant::now();
            if !self.restarts.may_start(now) {
                break;
            }
            wanted -= 1;
            starting.extend(self.begin_in(slot, now));
        }
        for begun in starting {
            self.finish_in(begun);
        }
    }

    /// Starts a worker in the empty `slot`; a failure is the restarts' to count.
    fn spawn_into(&mut self, slot: usize) {
        if let Some(begun) = self.begin_in(slot, Instant::now()) {
            self.finish_in(begun);
        }
    }

    /// Asks for a worker for `slot` (see [`WorkerProcess::begin`]); a failure is the restarts' to
    /// count.
    fn begin_in(&mut self, slot: usize, now: Instant) -> Option<(usize, Instant, Starting)> {
        let (limit, stream) = (self.config.max_frame_len, self.config.streams_results());
        let (program, start, codec) = (&self.config.program, self.config.start, self.config.codec);
        match WorkerProcess::begin(program, start, codec, limit, stream) {
            Ok(begun) => Some((slot, now, begun)),
            Err(failure) => {
                self.restarts.failed(now, now, failure.error, failure.curable);
                None
            }
        }
    }

    /// Waits for a worker asked for by [`begin_in`](Self::begin_in) and puts it in its slot.
    fn finish_in(&mut self, (slot, asked, begun): (usize, Instant, Starting)) {
        match begun.finish(self.config.startup_timeout) {
            Ok(process) => self.slots[slot] = Some(Worker::new(process, self.config.max_frame_len)),
            Err(failure) => self.restarts.failed(asked, Instant::now(), failure.error, failure.curable),
        }
    }

    /// Hands queued chunks to ready workers, one per worker per pass, until every worker has
    /// `max_in_flight` unanswered requests or the queue is empty.
    fn assign(&mut self, ledger: &mut Ledger<'_>) {
        let lifecycle = self.config.lifecycle;
        let codec = self.config.codec;
        let max_in_flight = self.config.max_in_flight.max(1);
        let mut busy = self.busy_count();
        let mut handed_out = true;
        while handed_out && ledger.queued() > 0 {
            handed_out = false;
            for worker in self.slots.iter_mut().flatten() {
                let open = worker.ready
                    && worker.retiring.is_none()
                    && match lifecycle {
                        Lifecycle::Persistent => worker.in_flight.len() < max_in_flight,
                        Lifecycle::OnePerChunk => worker.assigned == 0,
                    };
                if !open {
                    continue;
                }
                let Some(chunk) = ledger.next_chunk() else { break };
                let request_id = self.next_request_id;
                self.next_request_id += 1;
                // The worker may spin for its next request once it has answered this one only
                // when this is the map's last chunk (nothing queued waits for a core) and the
                // workers computing, this one among them, leave a core free.
                // A worker that retires after this chunk (SpawnPerTask) has no next request.
                let busy_after = busy + usize::from(worker.in_flight.is_empty());
                let then = if lifecycle == Lifecycle::Persistent
                    && ledger.queued() == 0
                    && spin::may_spin_beside(busy_after)
                {
                    Then::Spin
                } else {
                    Then::Block
                };
                match ledger.encode(&mut worker.outbox, request_id, then, chunk.tasks.clone()) {
                    Ok(()) => {
                        if worker.in_flight.is_empty() {
                            worker.head_since = Instant::now();
                            busy += 1;
                        }
                        worker.in_flight.push_back(InFlight { request_id, chunk, setup: false });
                        worker.assigned += 1;
                        handed_out = true;
                    }
                    Err(error) => {
                        let error = not_sent(&chunk.tasks, &error, codec);
                        ledger.fail_chunk(chunk.tasks, &error);
                        handed_out = true;
                    }
                }
            }
        }
    }

    /// The nearest moment something must be checked: a start-up, a task or a retirement deadline,
    /// or, while a slot is empty or its worker starting, the end of a backoff or of the wait for a
    /// worker.
    fn next_deadline(&self) -> Option<Instant> {
        let workers =
            self.slots.iter().flatten().filter_map(|worker| self.deadline(worker).map(|(at, _)| at));
        let staffing = self.slots.iter().any(|slot| slot.as_ref().is_none_or(|worker| !worker.ready));
        let restart = staffing.then(|| self.restarts.next_change(Instant::now())).flatten();
        workers.chain(restart).min()
    }

    fn deadline(&self, worker: &Worker) -> Option<(Instant, Cause)> {
        if let Some(since) = worker.retiring {
            return Some((since + self.config.shutdown_timeout, Cause::Died));
        }
        if !worker.ready {
            let timeout = self.config.startup_timeout;
            return Some((worker.process.started() + timeout, Cause::Silent(timeout)));
        }
        let timeout = self.config.task_timeout?;
        worker.in_flight.front()?;
        Some((worker.head_since + timeout, Cause::TimedOut(timeout)))
    }

    fn enforce_deadlines(&mut self, ledger: &mut Ledger<'_>) {
        for slot in 0..self.slots.len() {
            let Some(worker) = self.slots[slot].as_ref() else { continue };
            let Some((at, cause)) = self.deadline(worker) else { continue };
            if at > Instant::now() {
                continue;
            }
            if let Cause::TimedOut(_) = cause {
                // A result that arrived since the poll is progress: it may save the worker, and
                // it moves the blame to the task that is running now.
                self.receive(slot, ledger);
                let Some(worker) = self.slots[slot].as_ref() else { continue };
                if let Some((at, cause @ Cause::TimedOut(_))) = self.deadline(worker) {
                    if at <= Instant::now() {
                        if let Some(worker) = self.slots[slot].as_mut() {
                            worker.process.kill();
                        }
                        // Results written just before the kill still count.
                        self.read_then_bury(slot, cause, ledger);
                    }
                }
                continue;
            }
            if let Some(worker) = self.slots[slot].as_mut() {
                worker.process.kill();
            }
            self.bury(slot, cause, ledger);
        }
    }

    /// Reads what a worker sent and acts on every complete frame.
    fn receive(&mut self, slot: usize, ledger: &mut Ledger<'_>) {
        let Some(worker) = self.slots[slot].as_mut() else { return };
        // A read error ends the conversation as surely as end-of-file.
        let ended = worker.reader.fill(worker.process.responses()).unwrap_or(true);
        if let Err(cause) = self.handle_frames(slot, ledger) {
            self.bury(slot, cause, ledger);
            return;
        }
        if ended {
            let Some(worker) = self.slots[slot].as_ref() else { return };
            let cause = if worker.reader.has_partial_frame() {
                Cause::Protocol("closed its pipe in the middle of a frame".into())
            } else {
                Cause::Died
            };
            self.bury(slot, cause, ledger);
        }
    }

    /// Reads what is there, then buries: results a worker sent before it died still count.
    fn read_then_bury(&mut self, slot: usize, cause: Cause, ledger: &mut Ledger<'_>) {
        if let Some(worker) = self.slots[slot].as_mut() {
            let _ = worker.reader.fill(worker.process.responses());
        }
        let cause = match self.handle_frames(slot, ledger) {
            Ok(()) => cause,
            Err(protocol) => protocol,
        };
        self.bury(slot, cause, ledger);
    }

    fn handle_frames(&mut self, slot: usize, ledger: &mut Ledger<'_>) -> Result<(), Cause> {
        let codec = self.config.codec;
        let lifecycle = self.config.lifecycle;
        let Some(worker) = self.slots[slot].as_mut() else { return Ok(()) };
        loop {
            let frame = match worker.reader.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => return Ok(()),
                Err(message) if worker.ready => return Err(Cause::Protocol(message)),
                Err(message) => return Err(Cause::Startup(message)),
            };
            let message = match protocol::decode_from_worker(worker.reader.payload(frame)) {
                Ok(message) => message,
                Err(message) if worker.ready => return Err(Cause::Protocol(message)),
                Err(message) => return Err(Cause::Startup(format!("sent {message} instead of a hello"))),
            };
            match (worker.ready, message) {
                (false, FromWorker::Hello(hello)) => {
                    if hello.version != PROTOCOL_VERSION {
                        return Err(Cause::Startup(format!(
                            "speaks protocol version {}, this poolbench speaks {PROTOCOL_VERSION}; rebuild both \
                             with `cargo build --bins` (or point POOLBENCH_WORKER at a matching worker)",
                            hello.version
                        )));
                    }
                    if hello.build != build_id::this_build() {
                        return Err(Cause::Startup(format!(
                            "is another build of the program (build {}, this one is {}): its types may \
                             differ from the pool's; start this same build as the worker (unset \
                             POOLBENCH_WORKER, or point it at this build)",
                            build_id::hex(&hello.build),
                            build_id::hex(build_id::this_build())
                        )));
                    }
                    if hello.codec != codec.id() {
                        let spoken = Codec::from_id(hello.codec).map_or_else(
                            || format!("unknown codec byte {}", hello.codec),
                            |other| other.to_string(),
                        );
                        return Err(Cause::Startup(format!("answered in {spoken}, not {codec}")));
                    }
                    worker.ready = true;
                    self.restarts.hello();
                }
                (false, _) => return Err(Cause::Startup("spoke before saying hello".into())),
                (true, FromWorker::Hello(_)) => return Err(Cause::Protocol("said hello twice".into())),
                (true, FromWorker::Ready { request_id }) => {
                    expect_setup(worker, request_id, true)?;
                    self.setup_outcomes.insert(request_id, Ok(()));
                    finish_head(worker, lifecycle);
                    self.restarts.answered(&mut worker.served);
                }
                (true, FromWorker::Rejected { request_id, message })
                    if expect_setup(worker, request_id, false)? =>
                {
                    self.setup_outcomes.insert(request_id, Err(SetupFailure::Refused(message)));
                    finish_head(worker, lifecycle);
                    self.restarts.answered(&mut worker.served);
                }
                (true, FromWorker::Partial { request_id, count, results }) => {
                    if expect_setup(worker, request_id, false)? {
                        return Err(Cause::Protocol(format!("sent results for set-up request {request_id}")));
                    }
                    let head = expect_head(worker, request_id)?;
                    let count = count as usize;
                    // RESULTS carries at least the last task, so a request never ends unanswered.
                    if count == 0 || count >= head.len() {
                        return Err(Cause::Protocol(format!(
                            "sent {count} results ahead for request {request_id}, which has {} tasks left",
                            head.len()
                        )));
                    }
                    let done = head.start..head.start + count;
                    ledger.accept(done.clone(), results).map_err(|message| {
                        Cause::Protocol(format!(
                            "sent results for tasks {done:?} that do not decode: {message}"
                        ))
                    })?;
                    advance_head(worker, count);
                    self.restarts.answered(&mut worker.served);
                }
                (true, FromWorker::Results { request_id, results }) => {
                    if expect_setup(worker, request_id, false)? {
                        return Err(Cause::Protocol(format!("sent results for set-up request {request_id}")));
                    }
                    let head = expect_head(worker, request_id)?;
                    ledger.accept(head.clone(), results).map_err(|message| {
                        Cause::Protocol(format!(
                            "sent results for tasks {head:?} that do not decode: {message}"
                        ))
                    })?;
                    finish_head(worker, lifecycle);
                    self.restarts.answered(&mut worker.served);
                }
                (true, FromWorker::Rejected { request_id, message }) => {
                    let head = expect_head(worker, request_id)?;
                    let error = Error::worker(
                        Some(worker.process.pid()),
                        format!("{} refused: {message}", tasks_were(&head)),
                    );
                    ledger.fail_chunk(head, &error);
                    finish_head(worker, lifecycle);
                    self.restarts.answered(&mut worker.served);
                }
            }
        }
    }

    /// Reaps a worker and decides the fate of the requests it held. See the module docs.
    fn bury(&mut self, slot: usize, cause: Cause, ledger: &mut Ledger<'_>) {
        let Some(worker) = self.slots[slot].take() else { return };
        if worker.retiring.is_some() {
            worker.process.reap(self.config.shutdown_timeout);
            return;
        }
        let pid = worker.process.pid();
        let started = worker.process.started();
        let (how, stderr) = worker.process.bury(BURIAL_GRACE);
        for setup in worker.in_flight.iter().filter(|waiting| waiting.setup) {
            let reason = match &cause {
                Cause::Protocol(message) => format!("the worker {message}; it {how}"),
                _ => how.clone(),
            };
            let reason = format!("{reason}{}", stderr_note(&stderr));
            self.setup_outcomes.insert(setup.request_id, Err(SetupFailure::Lost(reason)));
        }
        let mut in_flight = worker.in_flight.into_iter().filter(|waiting| !waiting.setup);
        let Some(head) = in_flight.next() else {
            if worker.served {
                // It worked, and no task paid for its loss: the pool replaces it, no questions asked.
                return;
            }
            // Lost before serving anything: a failed start, or a worker that always fails this
            // way would be replaced for ever, as fast as it dies.
            let (reason, curable) = match cause {
                // Not a poolbench worker of this build: another start of it will say the same.
                Cause::Startup(reason) => (format!("{reason}; it {how}"), false),
                Cause::Protocol(reason) => (format!("{reason}; it {how}"), true),
                // A program silent that long is not about to speak, and the wait for a worker,
                // counted from the first failed start (this one at the latest), is over with it:
                // one timeout is the whole cost.
                Cause::Silent(timeout) => {
                    (format!("did not say hello within {timeout:?} of starting; it {how}"), true)
                }
                Cause::Died | Cause::TimedOut(_) if worker.ready => (how, true),
                Cause::Died | Cause::TimedOut(_) => (format!("{how} before saying hello"), true),
            };
            let context = if worker.ready {
                "failed before serving a request".to_owned()
            } else {
                format!("{} did not start", self.config.program.display())
            };
            let error = Error::worker(Some(pid), format!("{context}: {reason}{}", stderr_note(&stderr)));
            self.restarts.failed(started, Instant::now(), error, curable);
            return;
        };
        let chunk = head.chunk;
        let streamed = self.config.streams_results();
        let mut requeue = Vec::new();
        match cause {
            // Every result it sent arrived: nothing is left to settle.
            _ if chunk.tasks.is_empty() => {}
            Cause::Protocol(message) => {
                let error = Error::worker(
                    Some(pid),
                    format!("{} lost: the worker {message}", tasks_were(&chunk.tasks)),
                );
                ledger.fail_chunk(chunk.tasks, &error);
            }
            _ if chunk.tasks.len() > 1 && !streamed => {
                requeue.extend(
                    chunk.tasks.map(|task| Chunk { tasks: task..task + 1, attempts: chunk.attempts }),
                );
            }
            cause => {
                // The chunk's only task, or, results streaming, its first without a result: the
                // one that was running. The tasks after it had not started.
                let task = chunk.tasks.start;
                if chunk.attempts < self.config.retries {
                    requeue.push(Chunk { tasks: task..task + 1, attempts: chunk.attempts + 1 });
                } else if let Cause::TimedOut(after) = cause {
                    ledger.fail_task(task, Error::timed_out(task, pid, after));
                } else {
                    ledger.fail_task(task, Error::worker_died(task, pid, how, stderr));
                }
                if chunk.tasks.len() > 1 {
                    requeue.push(Chunk { tasks: task + 1..chunk.tasks.end, attempts: chunk.attempts });
                }
            }
        }
        requeue.extend(in_flight.map(|waiting| waiting.chunk));
        ledger.requeue(requeue);
    }
}

/// The tasks of the oldest unanswered request, which `request_id` must name.
fn expect_head(worker: &Worker, request_id: u64) -> Result<Range<usize>, Cause> {
    match worker.in_flight.front() {
        Some(head) if head.request_id == request_id => Ok(head.chunk.tasks.clone()),
        Some(head) => Err(Cause::Protocol(format!(
            "answered request {request_id} while {} was oldest",
            head.request_id
        ))),
        None => Err(Cause::Protocol(format!("answered request {request_id}, which was never sent"))),
    }
}

/// Whether the oldest request, which `request_id` must name, is a SETUP; a READY (`ready`) must
/// answer one, and tasks' results must not.
fn expect_setup(worker: &Worker, request_id: u64, ready: bool) -> Result<bool, Cause> {
    let setup = worker.in_flight.front().is_some_and(|head| head.request_id == request_id && head.setup);
    match (ready, setup) {
        (true, false) => {
            Err(Cause::Protocol(format!("said it was ready for request {request_id}, not a set-up")))
        }
        _ => Ok(setup),
    }
}

/// Takes the first `count` tasks of the oldest request as answered; the rest are still running.
fn advance_head(worker: &mut Worker, count: usize) {
    if let Some(head) = worker.in_flight.front_mut() {
        head.chunk.tasks.start += count;
        // Its tasks have run so far: the wait for the rest starts now.
        worker.head_since = Instant::now();
    }
}

/// "task 3 was", "tasks 3 to 9 were": the subject of a chunk's one error.
fn tasks_were(tasks: &Range<usize>) -> String {
    match tasks.len() {
        1 => format!("task {} was", tasks.start),
        _ => format!("tasks {} to {} were", tasks.start, tasks.end.saturating_sub(1)),
    }
}

/// Why the tasks of a request the pool could not encode fail, and what can help: for several
/// tasks a smaller chunk; for one, a smaller input or a more compact codec.
fn not_sent(tasks: &Range<usize>, error: &EncodeError, codec: Codec) -> Error {
    let reason = match error {
        EncodeError::TooLong { len, limit } if tasks.len() == 1 => format!(
            "its request is {len} bytes, over the {} frame limit; make its input smaller{}, or raise \
             ProcessPoolBuilder::max_frame_len",
            byte_size(*limit),
            if codec == Codec::Json { ", use the postcard codec (more compact than json)" } else { "" }
        ),
        EncodeError::TooLong { len, limit } => format!(
            "their request is {len} bytes, over the {} frame limit; use a smaller chunk size (Chunking::Fixed), \
             or raise ProcessPoolBuilder::max_frame_len",
            byte_size(*limit)
        ),
        EncodeError::Codec(message) => message.clone(),
    };
    Error::worker(None, format!("{} not sent: {reason}", tasks_were(tasks)))
}

/// Retires the answered request; a SpawnPerTask worker is then told to shut down.
fn finish_head(worker: &mut Worker, lifecycle: Lifecycle) {
    worker.in_flight.pop_front();
    worker.head_since = Instant::now();
    if lifecycle == Lifecycle::OnePerChunk && worker.in_flight.is_empty() {
        protocol::encode_shutdown(&mut worker.outbox);
        worker.retiring = Some(Instant::now());
    }
}

impl Drop for Workers {
    /// Tells every worker to shut down and closes its request pipe, then leaves the rest to the
    /// reaping thread and returns: waiting up to the shutdown timeout for the workers to hang
    /// up, then reaping them, killing any that stayed. No zombies, no orphans, and no wait.
    fn drop(&mut self) {
        let mut workers: Vec<Worker> = self.slots.iter_mut().filter_map(Option::take).collect();
        if workers.is_empty() {
            return;
        }
        for worker in &mut workers {
            if worker.ready && worker.retiring.is_none() {
                protocol::encode_shutdown(&mut worker.outbox);
            }
            let _ = worker.flush();
            worker.process.close_requests();
        }
        let timeout = self.config.shutdown_timeout;
        reaper::later(move || see_out(workers, timeout));
    }
}

/// Waits up to `timeout` for workers told to stop to hang up, then reaps them, killing any that
/// stayed.
fn see_out(mut workers: Vec<Worker>, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let mut open: Vec<&mut Worker> = workers.iter_mut().collect();
    while !open.is_empty() && Instant::now() < deadline {
        let interests: Vec<sys::Interest> = open
            .iter()
            .map(|worker| sys::Interest { fd: worker.process.fds().0, read: true, write: false })
            .collect();
        let Ok(readiness) = sys::poll(&interests, Some(deadline.saturating_duration_since(Instant::now())))
        else {
            break;
        };
        let mut index = 0;
        open.retain_mut(|worker| {
            let ready = readiness[index];
            index += 1;
            // Whatever a worker still says is of no interest now; end-of-file is.
            let ended = (ready.readable || ready.hung_up)
                && worker.reader.fill(worker.process.responses()).unwrap_or(true);
            !ended
        });
    }
    for worker in workers {
        worker.process.reap(deadline.saturating_duration_since(Instant::now()));
    }
}
