//! Exercise 5: the primitives for sharing data between threads, under contention.
//!
//! The notebook lists Lock, RLock, Condition, Event and Queue. Here each shares one counter among
//! `n` threads, so that what a primitive costs when threads fight over it can be measured against
//! what it costs alone (`n = 1`): a [`Primitive`] guards `total` increments split across the
//! threads, and [`condvar_handoff`] passes a turn round the threads with a condition variable,
//! the notebook's Condition. Every function returns the count it reached, which the caller checks:
//! a lost update would show.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, RwLock, mpsc};

/// How the threads share the counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Primitive {
    /// A `Mutex<u64>`, locked for every increment (the notebook's `threading.Lock`).
    Mutex,
    /// An `RwLock<u64>`, write-locked for every increment: what a reader-writer lock costs when
    /// every access writes.
    RwLock,
    /// An `AtomicU64`, `fetch_add` per increment: no lock at all.
    Atomic,
    /// No shared counter: each thread sends its increments over a channel to one receiver that
    /// adds them up (the notebook's `queue.Queue`).
    Channel,
}

impl Primitive {
    /// Every primitive, in the order reports show them.
    pub const ALL: [Primitive; 4] =
        [Primitive::Mutex, Primitive::RwLock, Primitive::Atomic, Primitive::Channel];

    /// The primitive's stable name, as in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Primitive::Mutex => "Mutex",
            Primitive::RwLock => "RwLock",
            Primitive::Atomic => "Atomic",
            Primitive::Channel => "Channel",
        }
    }
}

/// The share of `total` that thread `index` of `threads` does: the remainder goes to the first.
fn share(total: u64, threads: usize, index: usize) -> u64 {
    let threads = threads as u64;
    total / threads + u64::from(index == 0) * (total % threads)
}

/// Runs `increment` `total` times in all, split across `threads` scoped threads by [`share`].
fn on_threads(threads: usize, total: u64, increment: impl Fn() + Sync) {
    std::thread::scope(|scope| {
        for index in 0..threads {
            let increment = &increment;
            scope.spawn(move || {
                for _ in 0..share(total, threads, index) {
                    increment();
                }
            });
        }
    });
}

/// Adds 1 to a shared counter `total` times, split across `threads` threads (at least one),
/// through `primitive`; returns the final count, which is `total` unless an update was lost.
pub fn increment(primitive: Primitive, threads: usize, total: u64) -> u64 {
    let threads = threads.max(1);
    match primitive {
        Primitive::Mutex => {
            let counter = Mutex::new(0u64);
            // A panic elsewhere cannot poison it: the critical section is one add.
            on_threads(threads, total, || {
                *counter.lock().unwrap_or_else(std::sync::PoisonError::into_inner) += 1
            });
            counter.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
        }
        Primitive::RwLock => {
            let counter = RwLock::new(0u64);
            on_threads(threads, total, || {
                *counter.write().unwrap_or_else(std::sync::PoisonError::into_inner) += 1
            });
            counter.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner)
        }
        Primitive::Atomic => {
            let counter = AtomicU64::new(0);
            on_threads(threads, total, || {
                counter.fetch_add(1, Ordering::Relaxed);
            });
            counter.into_inner()
        }
        Primitive::Channel => {
            let (sender, receiver) = mpsc::channel::<u64>();
            std::thread::scope(|scope| {
                for index in 0..threads {
                    let sender = sender.clone();
                    scope.spawn(move || {
                        for _ in 0..share(total, threads, index) {
                            // The receiver below outlives every sender.
                            let _ = sender.send(1);
                        }
                    });
                }
                drop(sender);
                receiver.iter().sum()
            })
        }
    }
}

/// Passes a turn round `threads` threads (at least one), in order, `handoffs` times, with one
/// `Mutex` and one `Condvar`: each thread waits until it is its turn, takes it, and wakes the
/// others. Returns the number of turns taken, which is `handoffs`.
///
/// Every handoff wakes every waiting thread (`notify_all`), as the notebook's
/// `Condition.notify_all` does: the cost of a wake-up storm grows with the thread count.
pub fn condvar_handoff(threads: usize, handoffs: u64) -> u64 {
    let threads = threads.max(1);
    // (whose turn it is, turns taken so far)
    let state = Mutex::new((0usize, 0u64));
    let turn = Condvar::new();
    std::thread::scope(|scope| {
        for index in 0..threads {
            let (state, turn) = (&state, &turn);
            scope.spawn(move || {
                let mut guard = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                loop {
                    while guard.0 != index && guard.1 < handoffs {
                        guard = turn.wait(guard).unwrap_or_else(std::sync::PoisonError::into_inner);
                    }
                    if guard.1 >= handoffs {
                        break;
                    }
                    guard.1 += 1;
                    guard.0 = (index + 1) % threads;
                    turn.notify_all();
                }
                // Wake the others so they see the end too.
                turn.notify_all();
            });
        }
    });
    state.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_primitive_loses_an_update_at_any_thread_count() {
        for primitive in Primitive::ALL {
            for threads in [1, 2, 3, 8] {
                assert_eq!(increment(primitive, threads, 10_001), 10_001, "{} x {threads}", primitive.name());
            }
        }
    }

    #[test]
    fn shares_add_up_to_the_total() {
        for threads in 1..10 {
            assert_eq!((0..threads).map(|index| share(1_003, threads, index)).sum::<u64>(), 1_003);
        }
    }

    #[test]
    fn the_turn_goes_round_exactly_as_often_as_asked() {
        for threads in [1, 2, 4] {
            assert_eq!(condvar_handoff(threads, 500), 500, "{threads} threads");
        }
    }
}
