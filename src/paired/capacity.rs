//! The cores the machine really gives at a moment: a fixed spin timed on one thread, then on
//! `cores` threads at once.
//!
//! A VM's vCPUs are not cores: the host may run two of them on one core's worth of time for a
//! second or more, with nothing in `/proc` to show it (no steal, both vCPUs busy). Measured on
//! this project's 2-vCPU machine, a Rayon pool of 2 ran twelve Criterion samples at 4.8 ms, then
//! eight at 2.6 ms, on the same work, while Sequential held still: a one-thread probe cannot see
//! it. So each probe times the same work on one thread alone, then on `cores` threads together,
//! each thread timing itself (so a late wake-up is not counted): the capacity is the sum over
//! the threads of `alone / together`, each term at most 1. Two cores that both run at full speed
//! give 2; two vCPUs sharing one core's time give about 1.
//!
//! The threads are started once and wait between probes, so a probe costs two spins (half a
//! millisecond each, [`SPIN`]) and a wake-up, not a thread start.

use std::hint::black_box;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long one spin takes on a quiet core: a probe is two of them and a wake-up, beside every
/// slot of a round (a slot is about 10 ms), so it must be short.
pub(crate) const SPIN: Duration = Duration::from_micros(500);

/// How long a probe waits for its threads before it gives up on them.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the waiting threads share: a generation to start a probe, and whether to quit.
#[derive(Default)]
struct Signal {
    generation: u64,
    quit: bool,
}

struct Shared {
    signal: Mutex<Signal>,
    wake: Condvar,
    /// Spin iterations per probe.
    work: u64,
}

/// `cores` threads waiting to spin together.
pub(crate) struct Probe {
    shared: Arc<Shared>,
    /// The threads' times; behind a lock so that one probe runs at a time.
    times: Mutex<Receiver<Duration>>,
    threads: Vec<JoinHandle<()>>,
}

impl Probe {
    /// Starts `cores` threads and calibrates the spin to about [`SPIN`].
    ///
    /// # Errors
    ///
    /// A thread could not be started.
    pub(crate) fn start(cores: usize) -> Result<Probe, String> {
        let work = calibrate();
        let shared = Arc::new(Shared { signal: Mutex::default(), wake: Condvar::new(), work });
        let (sender, times) = mpsc::channel();
        let mut threads = Vec::with_capacity(cores);
        for index in 0..cores.max(1) {
            let (shared, sender) = (Arc::clone(&shared), sender.clone());
            let thread = std::thread::Builder::new()
                .name(format!("poolbench-capacity-{index}"))
                .spawn(move || wait_and_spin(&shared, &sender))
                .map_err(|err| format!("cannot start the capacity probe's threads: {err}"))?;
            threads.push(thread);
        }
        Ok(Probe { shared, times: Mutex::new(times), threads })
    }

    /// How many of the threads' cores the machine gives now: from 0 to the thread count.
    /// `None` when a thread did not answer in time (a machine stopped for seconds).
    pub(crate) fn measure(&self) -> Option<f64> {
        let times = self.times.lock().unwrap_or_else(PoisonError::into_inner);
        // Answers a probe that timed out left behind are not this probe's.
        while times.try_recv().is_ok() {}
        let alone = timed_spin(self.shared.work);
        {
            let mut signal = self.shared.signal.lock().unwrap_or_else(PoisonError::into_inner);
            signal.generation += 1;
        }
        self.shared.wake.notify_all();
        let mut capacity = 0.0;
        for _ in 0..self.threads.len() {
            let together = times.recv_timeout(PROBE_TIMEOUT).ok()?;
            capacity += (alone.as_secs_f64() / together.as_secs_f64().max(1e-9)).min(1.0);
        }
        Some(capacity)
    }

    /// How many threads spin together: the capacity's ceiling.
    pub(crate) fn cores(&self) -> usize {
        self.threads.len()
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.shared.signal.lock().unwrap_or_else(PoisonError::into_inner).quit = true;
        self.shared.wake.notify_all();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn wait_and_spin(shared: &Shared, times: &Sender<Duration>) {
    let mut seen = 0;
    loop {
        {
            let mut signal = shared.signal.lock().unwrap_or_else(PoisonError::into_inner);
            while signal.generation == seen && !signal.quit {
                signal = shared.wake.wait(signal).unwrap_or_else(PoisonError::into_inner);
            }
            if signal.quit {
                return;
            }
            seen = signal.generation;
        }
        if times.send(timed_spin(shared.work)).is_err() {
            return;
        }
    }
}

/// A chain of dependent multiplications: the same work on any core, nothing to optimise away.
fn spin(work: u64) -> u64 {
    let mut x = black_box(0x9E37_79B9_7F4A_7C15_u64);
    for _ in 0..work {
        x = x.wrapping_mul(0x5851_F42D_4C95_7F2D).wrapping_add(1);
    }
    black_box(x)
}

fn timed_spin(work: u64) -> Duration {
    let started = Instant::now();
    spin(work);
    started.elapsed()
}

/// The spin iterations that take about [`SPIN`]: the fastest of several tries, so that a
/// moment of contention does not make the spin shorter than meant.
fn calibrate() -> u64 {
    let trial = 100_000;
    let fastest = (0..5).map(|_| timed_spin(trial)).min().unwrap_or(SPIN).as_secs_f64().max(1e-9);
    ((trial as f64 * SPIN.as_secs_f64() / fastest) as u64).max(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_reports_a_capacity_between_none_and_its_threads_and_stops_its_threads() {
        let probe = Probe::start(2).expect("threads start");
        assert_eq!(probe.cores(), 2);
        for _ in 0..3 {
            let capacity = probe.measure().expect("the threads answer");
            assert!(capacity > 0.0 && capacity <= 2.0, "{capacity}");
        }
        drop(probe);
    }
}
