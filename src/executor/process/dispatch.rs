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
//!
//! What each worker says is its [`Conversation`]'s to judge (`conversation.rs`): the loop reads
//! the pipes, hands each frame to it, and acts on the event it makes of the frame. What one call
//! of the loop waits for is its [`Round`]: a map's ledger, and the outcome of each SETUP sent.

use std::io::{self, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::conversation::{Conversation, Event, Fault, Request};
use super::ledger::{Chunk, Job, Ledger, NoJob};
use super::protocol::{self, EncodeError, FrameReader, Then};
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

/// What one call of the loop waits for: a map's tasks, and the outcome of each SETUP it sent.
struct Round<'j> {
    ledger: Ledger<'j>,
    setups: Vec<SetupWait>,
}

/// A SETUP sent, the pid of the worker it went to, and its outcome once known.
struct SetupWait {
    request_id: u64,
    pid: u32,
    outcome: Option<Result<(), SetupFailure>>,
}

impl<'j> Round<'j> {
    /// A round of `job`'s tasks, for a pool of `config`.
    fn new(job: &'j mut dyn Job, config: &Config) -> Self {
        Round { ledger: Ledger::new(job, config.chunking, config.size), setups: Vec::new() }
    }

    /// Records the outcome of the SETUP `request_id`.
    fn set_up(&mut self, request_id: u64, outcome: Result<(), SetupFailure>) {
        if let Some(waiting) = self.setups.iter_mut().find(|waiting| waiting.request_id == request_id) {
            waiting.outcome = Some(outcome);
        }
    }
}

/// A worker process, its pipes' buffers, and the conversation with it.
#[derive(Debug)]
struct Worker {
    process: WorkerProcess,
    conversation: Conversation,
    reader: FrameReader,
    outbox: Vec<u8>,
    sent: usize,
    /// Told to shut down (SpawnPerTask, after its one chunk); reaped at end-of-file.
    retiring: Option<Instant>,
}

impl Worker {
    fn new(process: WorkerProcess, config: &Config) -> Self {
        Worker {
            conversation: Conversation::new(config.codec, process.started()),
            process,
            reader: FrameReader::new(config.max_frame_len),
            outbox: Vec::new(),
            sent: 0,
            retiring: None,
        }
    }

    /// Ready for requests: it said hello and is not retiring.
    fn serves(&self) -> bool {
        self.conversation.is_ready() && self.retiring.is_none()
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

impl From<Fault> for Cause {
    fn from(fault: Fault) -> Self {
        match fault {
            Fault::Startup(message) => Cause::Startup(message),
            Fault::Protocol(message) => Cause::Protocol(message),
        }
    }
}

/// The workers of one pool and the loop that drives them.
#[derive(Debug)]
pub(crate) struct Workers {
    config: Config,
    slots: Vec<Option<Worker>>,
    next_request_id: u64,
    restarts: Restarts,
}

impl Workers {
    /// Starts the pool: for a persistent pool, every worker, in parallel, returning once each has
    /// said hello.
    pub(crate) fn start(config: Config) -> Result<Self, Error> {
        let slots = (0..config.size).map(|_| None).collect();
        let restarts = Restarts::new(config.startup_timeout);
        let mut workers = Workers { config, slots, next_request_id: 0, restarts };
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
        self.slots.iter().flatten().filter(|worker| worker.conversation.in_flight() > 0).count()
    }

    fn ready_count(&self) -> usize {
        self.slots.iter().flatten().filter(|worker| worker.serves()).count()
    }

    /// Runs `job` to completion: every task gets a result or an error.
    pub(crate) fn run(&mut self, job: &mut dyn Job) {
        let mut round = Round::new(job, &self.config);
        // A map starts with a clean slate: earlier start-up failures may have been transient.
        self.restarts.reset();
        while round.ledger.unsettled() > 0
            || self.slots.iter().flatten().any(|worker| worker.retiring.is_some())
        {
            self.turn(&mut round);
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
        let mut nothing = NoJob;
        let mut round = Round::new(&mut nothing, &self.config);
        for worker in self.slots.iter_mut().flatten().filter(|worker| worker.serves()) {
            let request_id = self.next_request_id;
            self.next_request_id += 1;
            protocol::encode_setup(&mut worker.outbox, request_id, spec, self.config.max_frame_len).map_err(
                |err| {
                    Error::invalid_config(format!(
                        "cannot send the workload {workload} to the workers: {err}"
                    ))
                },
            )?;
            worker.conversation.sent_setup(request_id, Instant::now());
            round.setups.push(SetupWait { request_id, pid: worker.process.pid(), outcome: None });
        }
        if round.setups.is_empty() {
            return Err(self.restarts.map_error());
        }
        while round.setups.iter().any(|waiting| waiting.outcome.is_none()) {
            self.turn(&mut round);
        }
        let mut failure = None;
        for SetupWait { pid, outcome, .. } in std::mem::take(&mut round.setups) {
            let error = match outcome {
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
        let mut round = Round::new(&mut nothing, &self.config);
        loop {
            let gave_up = self.restarts.gave_up(Instant::now());
            if gave_up {
                self.abandon_starts();
            }
            let busy = self.slots.iter().flatten().any(|worker| !worker.serves());
            let can_spawn = self.config.lifecycle == Lifecycle::Persistent
                && self.slots.iter().any(Option::is_none)
                && !gave_up;
            if !busy && !can_spawn {
                return;
            }
            self.turn(&mut round);
        }
    }

    /// Kills the workers still starting: the pool has stopped waiting for them. They are not
    /// failed starts, only late ones, so the last real failure stays the one reported.
    fn abandon_starts(&mut self) {
        for slot in &mut self.slots {
            if slot
                .as_ref()
                .is_some_and(|worker| !worker.conversation.is_ready() && worker.retiring.is_none())
            {
                // Dropping a worker kills and reaps its process.
                *slot = None;
            }
        }
    }

    /// One turn of the loop: staff, assign, write, wait, read, enforce deadlines.
    fn turn(&mut self, round: &mut Round<'_>) {
        self.staff(round.ledger.queued());
        if self.ready_count() == 0 && round.ledger.queued() > 0 && self.restarts.gave_up(Instant::now()) {
            self.abandon_starts();
            round.ledger.fail_queued(&self.restarts.map_error());
        }
        self.assign(&mut round.ledger);

        for slot in 0..self.slots.len() {
            let Some(worker) = self.slots[slot].as_mut() else { continue };
            if worker.flush().is_err() {
                self.read_then_bury(slot, Cause::Died, round);
            }
        }

        let waiting = self.slots.iter().flatten().any(|worker| {
            !worker.serves() || worker.conversation.in_flight() > 0 || worker.sent < worker.outbox.len()
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
                        self.bury(slot, Cause::Died, round);
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
                            self.read_then_bury(slot, Cause::Died, round);
                        }
                    }
                }
            } else if ready.readable || ready.hung_up {
                self.receive(slot, round);
            }
        }
        self.enforce_deadlines(round);
    }

    /// Starts workers where they are needed: every empty slot of a persistent pool; for
    /// SpawnPerTask, one per queued chunk up to the pool size.
    fn staff(&mut self, queued: usize) {
        let mut wanted = match self.config.lifecycle {
            Lifecycle::Persistent => self.slots.len(),
            Lifecycle::OnePerChunk => {
                let starting =
                    self.slots.iter().flatten().filter(|worker| !worker.conversation.is_ready()).count();
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
            Ok(process) => self.slots[slot] = Some(Worker::new(process, &self.config)),
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
                let open = worker.serves()
                    && match lifecycle {
                        Lifecycle::Persistent => worker.conversation.in_flight() < max_in_flight,
                        Lifecycle::OnePerChunk => worker.conversation.assigned() == 0,
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
                let busy_after = busy + usize::from(worker.conversation.in_flight() == 0);
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
                        busy += usize::from(worker.conversation.in_flight() == 0);
                        worker.conversation.sent_run(request_id, chunk, Instant::now());
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
        let staffing =
            self.slots.iter().any(|slot| slot.as_ref().is_none_or(|worker| !worker.conversation.is_ready()));
        let restart = staffing.then(|| self.restarts.next_change(Instant::now())).flatten();
        workers.chain(restart).min()
    }

    fn deadline(&self, worker: &Worker) -> Option<(Instant, Cause)> {
        if let Some(since) = worker.retiring {
            return Some((since + self.config.shutdown_timeout, Cause::Died));
        }
        if !worker.conversation.is_ready() {
            let timeout = self.config.startup_timeout;
            return Some((worker.process.started() + timeout, Cause::Silent(timeout)));
        }
        let timeout = self.config.task_timeout?;
        Some((worker.conversation.waiting_since()? + timeout, Cause::TimedOut(timeout)))
    }

    fn enforce_deadlines(&mut self, round: &mut Round<'_>) {
        for slot in 0..self.slots.len() {
            let Some(worker) = self.slots[slot].as_ref() else { continue };
            let Some((at, cause)) = self.deadline(worker) else { continue };
            if at > Instant::now() {
                continue;
            }
            if let Cause::TimedOut(_) = cause {
                // A result that arrived since the poll is progress: it may save the worker, and
                // it moves the blame to the task that is running now.
                self.receive(slot, round);
                let Some(worker) = self.slots[slot].as_ref() else { continue };
                if let Some((at, cause @ Cause::TimedOut(_))) = self.deadline(worker) {
                    if at <= Instant::now() {
                        if let Some(worker) = self.slots[slot].as_mut() {
                            worker.process.kill();
                        }
                        // Results written just before the kill still count.
                        self.read_then_bury(slot, cause, round);
                    }
                }
                continue;
            }
            if let Some(worker) = self.slots[slot].as_mut() {
                worker.process.kill();
            }
            self.bury(slot, cause, round);
        }
    }

    /// Reads what a worker sent and acts on every complete frame.
    fn receive(&mut self, slot: usize, round: &mut Round<'_>) {
        let Some(worker) = self.slots[slot].as_mut() else { return };
        // A read error ends the conversation as surely as end-of-file.
        let ended = worker.reader.fill(worker.process.responses()).unwrap_or(true);
        if let Err(cause) = self.handle_frames(slot, round) {
            self.bury(slot, cause, round);
            return;
        }
        if ended {
            let Some(worker) = self.slots[slot].as_ref() else { return };
            let cause = if worker.reader.has_partial_frame() {
                Cause::Protocol("closed its pipe in the middle of a frame".into())
            } else {
                Cause::Died
            };
            self.bury(slot, cause, round);
        }
    }

    /// Reads what is there, then buries: results a worker sent before it died still count.
    fn read_then_bury(&mut self, slot: usize, cause: Cause, round: &mut Round<'_>) {
        if let Some(worker) = self.slots[slot].as_mut() {
            let _ = worker.reader.fill(worker.process.responses());
        }
        let cause = match self.handle_frames(slot, round) {
            Ok(()) => cause,
            Err(protocol) => protocol,
        };
        self.bury(slot, cause, round);
    }

    /// Acts on every complete frame a worker has sent: its conversation says what each means.
    fn handle_frames(&mut self, slot: usize, round: &mut Round<'_>) -> Result<(), Cause> {
        let lifecycle = self.config.lifecycle;
        let Some(worker) = self.slots[slot].as_mut() else { return Ok(()) };
        loop {
            let frame = match worker.reader.next_frame() {
                Ok(Some(frame)) => frame,
                Ok(None) => return Ok(()),
                Err(message) => return Err(worker.conversation.broken(message).into()),
            };
            let heard = worker.conversation.receive(worker.reader.payload(frame))?;
            let first_answer = !worker.conversation.has_served();
            match &heard.event {
                Event::Hello => self.restarts.hello(),
                Event::SetUp { request_id, outcome } => {
                    let outcome = outcome.map_err(|message| SetupFailure::Refused(message.to_owned()));
                    round.set_up(*request_id, outcome);
                }
                Event::Results { tasks, results } => {
                    round.ledger.accept(tasks.clone(), results).map_err(|message| {
                        Cause::Protocol(format!(
                            "sent results for tasks {tasks:?} that do not decode: {message}"
                        ))
                    })?;
                }
                Event::Refused { tasks, message } => {
                    let pid = Some(worker.process.pid());
                    let error = Error::worker(pid, format!("{} refused: {message}", tasks_were(tasks)));
                    round.ledger.fail_chunk(tasks.clone(), &error);
                }
            }
            worker.conversation.commit(&heard, Instant::now());
            if worker.conversation.has_served() && first_answer {
                self.restarts.first_answer();
            }
            if lifecycle == Lifecycle::OnePerChunk
                && worker.conversation.in_flight() == 0
                && worker.conversation.has_served()
                && worker.retiring.is_none()
            {
                // A SpawnPerTask worker is told to shut down once it has answered.
                protocol::encode_shutdown(&mut worker.outbox);
                worker.retiring = Some(Instant::now());
            }
        }
    }

    /// Reaps a worker and decides the fate of the requests it held. See the module docs.
    fn bury(&mut self, slot: usize, cause: Cause, round: &mut Round<'_>) {
        let Some(worker) = self.slots[slot].take() else { return };
        if worker.retiring.is_some() {
            worker.process.reap(self.config.shutdown_timeout);
            return;
        }
        let (ready, served) = (worker.conversation.is_ready(), worker.conversation.has_served());
        let pid = worker.process.pid();
        let started = worker.process.started();
        let (how, stderr) = worker.process.bury(BURIAL_GRACE);
        let mut runs = Vec::new();
        for request in worker.conversation.into_requests() {
            match request {
                Request::Setup { request_id } => {
                    let reason = match &cause {
                        Cause::Protocol(message) => format!("the worker {message}; it {how}"),
                        _ => how.clone(),
                    };
                    let reason = format!("{reason}{}", stderr_note(&stderr));
                    round.set_up(request_id, Err(SetupFailure::Lost(reason)));
                }
                Request::Run { chunk, .. } => runs.push(chunk),
            }
        }
        let mut runs = runs.into_iter();
        let Some(running) = runs.next() else {
            if served {
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
                Cause::Died | Cause::TimedOut(_) if ready => (how, true),
                Cause::Died | Cause::TimedOut(_) => (format!("{how} before saying hello"), true),
            };
            let context = if ready {
                "failed before serving a request".to_owned()
            } else {
                format!("{} did not start", self.config.program.display())
            };
            let error = Error::worker(Some(pid), format!("{context}: {reason}{}", stderr_note(&stderr)));
            self.restarts.failed(started, Instant::now(), error, curable);
            return;
        };
        let Fate { fail, mut requeue } =
            fate(running, &cause, self.config.retries, self.config.streams_results());
        match (fail, cause) {
            (None, _) => {}
            (Some(tasks), Cause::Protocol(message)) => {
                let error =
                    Error::worker(Some(pid), format!("{} lost: the worker {message}", tasks_were(&tasks)));
                round.ledger.fail_chunk(tasks, &error);
            }
            (Some(tasks), Cause::TimedOut(after)) => {
                round.ledger.fail_task(tasks.start, Error::timed_out(tasks.start, pid, after));
            }
            (Some(tasks), _) => {
                round.ledger.fail_task(tasks.start, Error::worker_died(tasks.start, pid, how, stderr));
            }
        }
        // The requests queued behind the running one had not started.
        requeue.extend(runs);
        round.ledger.requeue(requeue);
    }
}

/// What becomes of the chunk a lost worker was running.
#[derive(Debug, PartialEq)]
struct Fate {
    /// The tasks that fail: the whole chunk, for a worker that broke the protocol; else the one
    /// task that was running, when it has no retry left.
    fail: Option<Range<usize>>,
    /// The tasks that go back to the queue, to run before the rest.
    requeue: Vec<Chunk>,
}

/// The failure policy for `chunk`, the tasks without a result of the request a worker lost by
/// `cause` was running, with `retries` allowed and results `streamed` or not. See the module docs.
fn fate(chunk: Chunk, cause: &Cause, retries: u32, streamed: bool) -> Fate {
    let Chunk { tasks, attempts } = chunk;
    match cause {
        // Every result it sent arrived: nothing is left to settle.
        _ if tasks.is_empty() => Fate { fail: None, requeue: Vec::new() },
        Cause::Protocol(_) => Fate { fail: Some(tasks), requeue: Vec::new() },
        // Which of its tasks was running is unknown: each runs again on its own, to find out.
        _ if tasks.len() > 1 && !streamed => Fate {
            fail: None,
            requeue: tasks.map(|task| Chunk { tasks: task..task + 1, attempts }).collect(),
        },
        _ => {
            // The chunk's only task, or, results streaming, its first without a result: the
            // one that was running. The tasks after it had not started.
            let task = tasks.start;
            let mut fate = Fate { fail: None, requeue: Vec::new() };
            if attempts < retries {
                fate.requeue.push(Chunk { tasks: task..task + 1, attempts: attempts + 1 });
            } else {
                fate.fail = Some(task..task + 1);
            }
            if tasks.len() > 1 {
                fate.requeue.push(Chunk { tasks: task + 1..tasks.end, attempts });
            }
            fate
        }
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
            if worker.serves() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(tasks: Range<usize>, attempts: u32) -> Chunk {
        Chunk { tasks, attempts }
    }

    #[test]
    fn a_worker_lost_mid_chunk_without_streaming_has_its_tasks_rerun_one_by_one() {
        let fate = fate(chunk(4..7, 0), &Cause::Died, 0, false);
        assert_eq!(fate, Fate { fail: None, requeue: vec![chunk(4..5, 0), chunk(5..6, 0), chunk(6..7, 0)] });
    }

    #[test]
    fn the_running_task_fails_or_is_retried_and_the_tasks_after_it_go_back_to_the_queue() {
        // Streaming: the first task without a result was running.
        let failed = fate(chunk(4..7, 0), &Cause::TimedOut(Duration::from_secs(1)), 0, true);
        assert_eq!(failed, Fate { fail: Some(4..5), requeue: vec![chunk(5..7, 0)] });
        let retried = fate(chunk(4..7, 0), &Cause::Died, 1, true);
        assert_eq!(retried, Fate { fail: None, requeue: vec![chunk(4..5, 1), chunk(5..7, 0)] });
        let out_of_retries = fate(chunk(4..5, 1), &Cause::Died, 1, false);
        assert_eq!(out_of_retries, Fate { fail: Some(4..5), requeue: Vec::new() });
    }

    #[test]
    fn a_worker_that_broke_the_protocol_fails_its_whole_chunk_and_one_with_every_result_sent_nothing() {
        let broke = fate(chunk(2..9, 0), &Cause::Protocol("sent garbage".into()), 3, false);
        assert_eq!(broke, Fate { fail: Some(2..9), requeue: Vec::new() });
        assert_eq!(fate(chunk(9..9, 0), &Cause::Died, 0, true), Fate { fail: None, requeue: Vec::new() });
    }
}
