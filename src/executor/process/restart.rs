//! When the pool may start a worker, and when it stops waiting for one.
//!
//! A pool restores its size after every death, but a start can fail: the worker dies before its
//! hello, stays silent past the startup timeout, or the program cannot be executed at all. The
//! failed starts in a row, until a newly started worker answers its first request, make a *streak*
//! (a hello is not enough: a worker that says it and dies is a failed start too, or it would be
//! replaced as fast as it dies). Within a streak each start waits a backoff that doubles from
//! [`BACKOFF_MIN`] to [`BACKOFF_MAX`], so a program that fails at once is not started thousands of
//! times a second. The pool stops waiting for a worker (a build fails; a map with no worker left
//! fails its queued tasks; the loop after a map stops restoring the size) when the streak is one
//! startup timeout old, counted from the start of its first failed attempt, so a worker that never
//! says hello costs one timeout in all. It stops at once on a failure that trying again cannot fix
//! (the program cannot be executed, or speaks another protocol), and, until a worker of the pool
//! has said hello, after [`UNPROVEN_ATTEMPTS`] failures: a program that has never worked is
//! probably broken, and a build should say so in milliseconds, not seconds. Each map starts a fresh
//! streak, so a pool that gave up tries again when it is next used.

use std::time::{Duration, Instant};

use crate::executor::Error;

/// The wait before the first retry after a failed start.
pub(crate) const BACKOFF_MIN: Duration = Duration::from_millis(5);
/// The longest wait between two starts.
pub(crate) const BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Failed starts in a row after which a pool none of whose workers ever said hello gives up.
pub(crate) const UNPROVEN_ATTEMPTS: u32 = 3;

/// A pool's record of failed starts, and the rule for the next one. See the module docs.
#[derive(Debug)]
pub(super) struct Restarts {
    window: Duration,
    /// Whether a worker of this pool has ever said hello.
    proven: bool,
    failures: u32,
    /// When the first failed start of the streak began.
    since: Option<Instant>,
    not_before: Option<Instant>,
    backoff: Duration,
    /// A failure that another start cannot fix.
    hopeless: bool,
    last: Option<Error>,
}

impl Restarts {
    /// No failure yet; the pool waits at most `window` (its startup timeout) for a worker.
    pub(super) fn new(window: Duration) -> Self {
        Restarts {
            window,
            proven: false,
            failures: 0,
            since: None,
            not_before: None,
            backoff: BACKOFF_MIN,
            hopeless: false,
            last: None,
        }
    }

    /// A fresh streak, for a new map: earlier failures may have been transient.
    pub(super) fn reset(&mut self) {
        *self = Restarts { proven: self.proven, ..Restarts::new(self.window) };
    }

    /// A worker said hello: the program works, though this worker has yet to serve.
    pub(super) fn hello(&mut self) {
        self.proven = true;
    }

    /// A new worker answered its first request: that proves its start good, and ends the streak.
    /// (A worker that served long ago proves nothing of the starts since.)
    pub(super) fn first_answer(&mut self) {
        self.reset();
    }

    /// A start that began at `started` failed with `error`, noticed at `now`; `curable` says
    /// whether another start could do better.
    pub(super) fn failed(&mut self, started: Instant, now: Instant, error: Error, curable: bool) {
        self.failures += 1;
        self.since = Some(self.since.map_or(started, |since| since.min(started)));
        self.not_before = Some(now + self.backoff);
        self.backoff = self.backoff.saturating_mul(2).min(BACKOFF_MAX);
        self.hopeless |= !curable;
        self.last = Some(error);
    }

    /// Whether the pool has stopped waiting for a worker, for the rest of this map.
    pub(super) fn gave_up(&self, now: Instant) -> bool {
        self.hopeless
            || (!self.proven && self.failures >= UNPROVEN_ATTEMPTS)
            || self.since.is_some_and(|since| since + self.window <= now)
    }

    /// Whether a worker may be started now.
    pub(super) fn may_start(&self, now: Instant) -> bool {
        !self.gave_up(now) && self.not_before.is_none_or(|at| at <= now)
    }

    /// The next moment the answer of [`may_start`](Self::may_start) or
    /// [`gave_up`](Self::gave_up) can change, if one is coming.
    pub(super) fn next_change(&self, now: Instant) -> Option<Instant> {
        if self.gave_up(now) {
            return None;
        }
        let start = self.not_before.filter(|&at| at > now);
        let give_up = self.since.map(|since| since + self.window);
        start.into_iter().chain(give_up).min()
    }

    /// Why a build of `size` workers failed.
    pub(super) fn build_error(&self, size: usize) -> Error {
        match &self.last {
            Some(last) if self.failures > 1 && !self.hopeless => Error::worker(
                None,
                format!(
                    "{size} worker process{} did not all start: {} starts in a row failed, the last: {last}",
                    if size == 1 { "" } else { "es" },
                    self.failures
                ),
            ),
            Some(last) => last.clone(),
            None => Error::worker(None, "the worker processes failed to start"),
        }
    }

    /// Why a map's queued tasks fail: no worker could be had.
    pub(super) fn map_error(&self) -> Error {
        let retry = format!(
            "the pool tries again when it is next used, waiting {BACKOFF_MIN:?} between starts at first, \
             doubling up to {BACKOFF_MAX:?}"
        );
        match &self.last {
            Some(last) if self.hopeless => {
                Error::worker(None, format!("no worker process can be started: {last}; {retry}"))
            }
            Some(last) => Error::worker(
                None,
                format!(
                    "no worker process could be started within {:?}: {} starts in a row failed, the last: {last}; \
                     {retry}",
                    self.window, self.failures
                ),
            ),
            None => Error::worker(None, format!("no worker process is running; {retry}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure() -> Error {
        Error::worker(Some(7), "exited with code 1 before saying hello")
    }

    #[test]
    fn the_wait_between_starts_doubles_up_to_its_cap() {
        let mut restarts = Restarts::new(Duration::from_secs(3600));
        restarts.hello();
        let mut waits = Vec::new();
        for _ in 0..10 {
            let before = Instant::now();
            restarts.failed(before, before, failure(), true);
            let wait = restarts.not_before.unwrap() - before;
            waits.push(wait.as_millis());
            assert!(!restarts.may_start(before), "a start right after a failure waits");
        }
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
    }

    #[test]
    fn a_streak_gives_up_one_window_after_its_first_failed_start_began() {
        let window = Duration::from_millis(300);
        let mut restarts = Restarts::new(window);
        restarts.hello();
        let began = Instant::now();
        restarts.failed(began, began, failure(), true);
        assert!(!restarts.gave_up(began + window - Duration::from_millis(1)));
        assert!(restarts.gave_up(began + window));
        assert_eq!(restarts.next_change(began), Some(began + BACKOFF_MIN));
        // A later failure that started earlier (a worker silent since before) moves the start back.
        restarts.failed(began - Duration::from_millis(100), began, failure(), true);
        assert!(restarts.gave_up(began + window - Duration::from_millis(100)));
    }

    #[test]
    fn a_pool_that_never_worked_gives_up_after_three_failures_and_one_that_did_keeps_going() {
        let now = Instant::now();
        let mut unproven = Restarts::new(Duration::from_secs(3600));
        let mut proven = Restarts::new(Duration::from_secs(3600));
        proven.hello();
        for _ in 0..UNPROVEN_ATTEMPTS {
            unproven.failed(now, now, failure(), true);
            proven.failed(now, now, failure(), true);
        }
        assert!(unproven.gave_up(now));
        assert!(!proven.gave_up(now));
        assert!(proven.map_error().to_string().contains("3 starts in a row failed"));
    }

    #[test]
    fn an_incurable_failure_gives_up_at_once_and_a_new_map_starts_afresh() {
        let now = Instant::now();
        let mut restarts = Restarts::new(Duration::from_secs(3600));
        restarts.hello();
        restarts.failed(now, now, Error::worker(None, "speaks protocol version 9"), false);
        assert!(restarts.gave_up(now) && !restarts.may_start(now + BACKOFF_MAX));
        assert!(restarts.map_error().to_string().contains("speaks protocol version 9"));
        restarts.reset();
        assert!(restarts.may_start(now) && restarts.proven);
    }

    #[test]
    fn the_first_answer_of_a_new_worker_ends_the_streak() {
        let now = Instant::now();
        let mut restarts = Restarts::new(Duration::from_millis(1));
        restarts.hello();
        restarts.failed(now, now, failure(), true);
        assert!(!restarts.may_start(now));
        restarts.first_answer();
        assert!(restarts.may_start(now + Duration::from_secs(1)));
        assert_eq!(restarts.next_change(now), None);
    }
}
