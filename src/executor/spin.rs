//! Spin, then block: how a thread waiting for a hand-off (a job, a result, a pipe's next frame)
//! waits.
//!
//! On a virtual machine that halts an idle vCPU at once, waking a blocked thread on another vCPU
//! costs tens of microseconds (an interrupt through the host), far more than the hand-off itself:
//! measured on a 2-vCPU VM, a blocking pipe round trip takes 42-60 µs across vCPUs, one that spins
//! on non-blocking reads first 1.2-1.3 µs. So a waiter first checks for a while without sleeping,
//! and only then blocks.
//!
//! Spinning must never cost the work it waits for. It is bounded ([`SPIN`]), and a waiter spins
//! only while the threads that want a core (those running tasks, those spinning, and itself) fit
//! the machine's cores: on two cores a pool of two computing threads is never joined by a third
//! that spins. [`Occupancy`] counts them; a pool at rest has none, and uses no CPU.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The longest a waiter spins before it blocks: long enough to catch the next request of a
/// benchmark loop or a round trip's answer, short against any task worth a pool.
pub(crate) const SPIN: Duration = Duration::from_micros(50);

/// The cores this process may use.
pub(crate) fn cores() -> usize {
    static CORES: OnceLock<usize> = OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// How many threads of one pool want a core now: those running tasks and those spinning.
#[derive(Debug, Default)]
pub(crate) struct Occupancy {
    wanting: AtomicUsize,
}

impl Occupancy {
    /// Marks one more thread as wanting a core (a task starts) until the guard drops.
    pub(crate) fn busy(&self) -> Busy<'_> {
        self.wanting.fetch_add(1, Ordering::Relaxed);
        Busy { occupancy: self }
    }

    /// Whether one more thread may spin: with it, the threads wanting a core fit the cores.
    pub(crate) fn may_spin(&self) -> bool {
        may_spin_beside(self.wanting.load(Ordering::Relaxed))
    }
}

/// One thread counted in an [`Occupancy`], until dropped.
pub(crate) struct Busy<'a> {
    occupancy: &'a Occupancy,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.occupancy.wanting.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Spins until `ready` holds, for at most [`SPIN`], if `occupancy` leaves a core for it (counting
/// itself while it spins); returns whether `ready` held. The caller blocks when it did not.
pub(crate) fn spin_until(occupancy: &Occupancy, mut ready: impl FnMut() -> bool) -> bool {
    if ready() {
        return true;
    }
    if !occupancy.may_spin() {
        return false;
    }
    let _spinning = occupancy.busy();
    spin(ready)
}

/// Whether a thread may spin beside `busy` others that compute: with it, they fit the cores. For
/// waiters that count their pool's busy threads themselves (the process pool's event loop, which
/// knows which workers have requests in flight).
pub(crate) fn may_spin_beside(busy: usize) -> bool {
    busy < cores()
}

/// Spins until `ready` holds, for at most [`SPIN`], whoever else wants a core: the caller has
/// checked that one is free. Returns whether `ready` held.
pub(crate) fn spin(mut ready: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + SPIN;
    loop {
        // Reading the clock costs tens of nanoseconds: check it every few rounds only (few, as
        // `ready` may be a system call of a microsecond).
        for _ in 0..8 {
            if ready() {
                return true;
            }
            std::hint::spin_loop();
        }
        if Instant::now() >= deadline {
            return ready();
        }
        // The thread that will make `ready` hold may be waiting for this very CPU (the scheduler
        // put both here): let it run. With nothing else runnable, a yield returns at once.
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spin_ends_as_soon_as_the_condition_holds_and_gives_up_after_its_bound() {
        let occupancy = Occupancy::default();
        let mut checks = 0;
        assert!(spin_until(&occupancy, || {
            checks += 1;
            checks == 10
        }));
        assert_eq!(checks, 10);
        let started = Instant::now();
        assert!(!spin_until(&occupancy, || false));
        assert!(started.elapsed() >= SPIN, "gave up after {:?}", started.elapsed());
    }

    #[test]
    fn no_spin_when_the_busy_threads_fill_the_cores() {
        let occupancy = Occupancy::default();
        let busy: Vec<Busy<'_>> = (0..cores()).map(|_| occupancy.busy()).collect();
        assert!(!occupancy.may_spin());
        let mut checks = 0;
        assert!(!spin_until(&occupancy, || {
            checks += 1;
            false
        }));
        assert_eq!(checks, 1, "checked once, without spinning");
        drop(busy);
        assert!(occupancy.may_spin());
    }
}
