//! Exercise 4: one thread adds numbers to a shared list, another removes them, no race.
//!
//! The notebook guards a Python list with a `threading.Lock` and lets the consumer poll. That is
//! [`Variant::PollingMutex`] here; [`Variant::MutexCondvar`] sleeps on a condition variable
//! instead of polling, and [`Variant::Channel`] hands items over a channel with no shared list at
//! all. Every run is audited: each item the producer made must reach the consumer exactly once,
//! in order, and [`Accounting`] says what happened when one does not.
//!
//! Unlike the notebook's consumer, which gives up after ten attempts and can leave items behind,
//! ours stops only when the producer has finished and the list is empty.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Duration;

/// How the producer hands items to the consumer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The notebook's program: a list under a mutex; the consumer polls, yielding when empty.
    PollingMutex,
    /// A list under a mutex; the consumer waits on a condition variable when empty.
    MutexCondvar,
    /// An unbounded `std::sync::mpsc` channel.
    Channel,
}

impl Variant {
    /// Every variant, in the order reports show them.
    pub const ALL: [Variant; 3] = [Variant::PollingMutex, Variant::MutexCondvar, Variant::Channel];

    /// The variant's stable name, as in benchmark ids.
    pub fn name(self) -> &'static str {
        match self {
            Variant::PollingMutex => "polling-mutex",
            Variant::MutexCondvar => "mutex-condvar",
            Variant::Channel => "channel",
        }
    }
}

/// One producer, one consumer, `items` numbers from 0 up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerConsumer {
    /// How items cross between the threads.
    pub variant: Variant,
    /// How many numbers the producer adds.
    pub items: u64,
    /// When set, each thread sleeps a random time between a fifth of this and this before each
    /// step, as the notebook's threads do (0.1 to 0.5 s); `None` runs flat out.
    pub pace: Option<Duration>,
}

/// What the observer of [`ProducerConsumer::run_observed`] sees, at the moment it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The producer added `item`; `list` is the shared list right after (empty for channels,
    /// which have no list to show).
    Added {
        /// The item added.
        item: u64,
        /// The list after the addition.
        list: Vec<u64>,
    },
    /// The consumer removed `item`; `list` is the shared list right after.
    Removed {
        /// The item removed.
        item: u64,
        /// The list after the removal.
        list: Vec<u64>,
    },
    /// The polling consumer found the list empty.
    Empty,
}

/// The audit of one run: what was produced and what the consumer saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accounting {
    /// Items the producer added.
    pub produced: u64,
    /// Items the consumer removed.
    pub consumed: u64,
    /// Items the consumer saw more than once, or that were never produced.
    pub duplicates: u64,
    /// Items produced but never consumed.
    pub missing: u64,
    /// Items consumed out of production order.
    pub out_of_order: u64,
    /// Times the polling consumer found the list empty: the cost of polling.
    pub empty_polls: u64,
}

impl Accounting {
    /// Whether every produced item was consumed exactly once, in order.
    pub fn is_exact(&self) -> bool {
        self.produced == self.consumed && self.duplicates == 0 && self.missing == 0 && self.out_of_order == 0
    }
}

/// The consumer's ledger: one flag per item, so a duplicate or a gap cannot go unnoticed.
struct Ledger {
    seen: Vec<bool>,
    next: u64,
    accounting: Accounting,
}

impl Ledger {
    fn new(items: u64) -> Self {
        let len = usize::try_from(items).expect("item count fits in memory");
        Ledger { seen: vec![false; len], next: 0, accounting: Accounting::default() }
    }

    fn record(&mut self, item: u64) {
        self.accounting.consumed += 1;
        let slot = usize::try_from(item).ok().and_then(|index| self.seen.get_mut(index));
        match slot {
            Some(seen) if !*seen => *seen = true,
            _ => self.accounting.duplicates += 1,
        }
        if item != self.next {
            self.accounting.out_of_order += 1;
        }
        self.next = item + 1;
    }

    fn close(mut self, produced: u64) -> Accounting {
        self.accounting.produced = produced;
        self.accounting.missing = self.seen.iter().filter(|seen| !**seen).count() as u64;
        self.accounting
    }
}

type Observer<'a> = Option<&'a (dyn Fn(&Event) + Sync)>;

/// The shared list of the mutex variants, with the producer's end-of-stream mark.
#[derive(Default)]
struct SharedList {
    list: VecDeque<u64>,
    closed: bool,
}

impl ProducerConsumer {
    /// The producer/consumer pair with this variant and item count, unpaced.
    pub fn new(variant: Variant, items: u64) -> Self {
        ProducerConsumer { variant, items, pace: None }
    }

    /// Runs the producer and the consumer on two threads and audits the result.
    ///
    /// # Panics
    ///
    /// If `items` does not fit in memory as one flag per item.
    pub fn run(&self) -> Accounting {
        self.run_with(None)
    }

    /// Like [`run`](Self::run), calling `observer` at every step, under the lock where there is
    /// one, so that the list it sees is the list as it was.
    ///
    /// # Panics
    ///
    /// If `items` does not fit in memory as one flag per item.
    pub fn run_observed(&self, observer: &(dyn Fn(&Event) + Sync)) -> Accounting {
        self.run_with(Some(observer))
    }

    fn run_with(&self, observer: Observer<'_>) -> Accounting {
        match self.variant {
            Variant::PollingMutex | Variant::MutexCondvar => self.run_shared_list(observer),
            Variant::Channel => self.run_channel(observer),
        }
    }

    fn pause(&self, rng: &mut fastrand::Rng) {
        if let Some(max) = self.pace {
            std::thread::sleep(max.mul_f64(rng.f64().mul_add(0.8, 0.2)));
        }
    }

    fn run_shared_list(&self, observer: Observer<'_>) -> Accounting {
        let shared = Mutex::new(SharedList::default());
        let ready = Condvar::new();
        let polling = self.variant == Variant::PollingMutex;
        let snapshot = |list: &VecDeque<u64>| list.iter().copied().collect();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut rng = fastrand::Rng::new();
                for item in 0..self.items {
                    self.pause(&mut rng);
                    let mut guard = shared.lock().expect("the consumer never panics holding the lock");
                    guard.list.push_back(item);
                    if let Some(observe) = observer {
                        observe(&Event::Added { item, list: snapshot(&guard.list) });
                    }
                    drop(guard);
                    ready.notify_one();
                }
                shared.lock().expect("the consumer never panics holding the lock").closed = true;
                ready.notify_one();
            });
            let mut ledger = Ledger::new(self.items);
            let mut rng = fastrand::Rng::new();
            let mut guard = shared.lock().expect("the producer never panics holding the lock");
            loop {
                if let Some(item) = guard.list.pop_front() {
                    if let Some(observe) = observer {
                        observe(&Event::Removed { item, list: snapshot(&guard.list) });
                    }
                    ledger.record(item);
                } else if guard.closed {
                    break;
                } else if polling {
                    ledger.accounting.empty_polls += 1;
                    if let Some(observe) = observer {
                        observe(&Event::Empty);
                    }
                    drop(guard);
                    if self.pace.is_some() {
                        self.pause(&mut rng);
                    } else {
                        std::thread::yield_now();
                    }
                    guard = shared.lock().expect("the producer never panics holding the lock");
                    continue;
                } else {
                    guard = ready.wait(guard).expect("the producer never panics holding the lock");
                    continue;
                }
                if self.pace.is_some() {
                    drop(guard);
                    self.pause(&mut rng);
                    guard = shared.lock().expect("the producer never panics holding the lock");
                }
            }
            ledger.close(self.items)
        })
    }

    fn run_channel(&self, observer: Observer<'_>) -> Accounting {
        let (sender, receiver) = mpsc::channel();
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut rng = fastrand::Rng::new();
                for item in 0..self.items {
                    self.pause(&mut rng);
                    if let Some(observe) = observer {
                        observe(&Event::Added { item, list: Vec::new() });
                    }
                    // The receiver lives until the sender is dropped, below.
                    let _ = sender.send(item);
                }
                drop(sender);
            });
            let mut ledger = Ledger::new(self.items);
            let mut rng = fastrand::Rng::new();
            for item in receiver {
                if let Some(observe) = observer {
                    observe(&Event::Removed { item, list: Vec::new() });
                }
                ledger.record(item);
                self.pause(&mut rng);
            }
            ledger.close(self.items)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_moves_a_hundred_thousand_items_exactly_once() {
        for variant in Variant::ALL {
            let accounting = ProducerConsumer::new(variant, 100_000).run();
            assert!(accounting.is_exact(), "{}: {accounting:?}", variant.name());
            assert_eq!(accounting.consumed, 100_000, "{}", variant.name());
        }
    }

    #[test]
    fn the_ledger_catches_duplicates_gaps_and_reordering() {
        let mut ledger = Ledger::new(4);
        for item in [0, 2, 2, 1] {
            ledger.record(item);
        }
        let accounting = ledger.close(4);
        assert!(!accounting.is_exact());
        assert_eq!(accounting.duplicates, 1);
        assert_eq!(accounting.missing, 1, "item 3 never arrived");
        assert_eq!(accounting.out_of_order, 3, "2 came early, 2 again, then 1 late");
    }

    #[test]
    fn the_observer_sees_the_list_as_the_notebook_prints_it() {
        let events = Mutex::new(Vec::new());
        let run = ProducerConsumer::new(Variant::MutexCondvar, 5);
        let accounting = run.run_observed(&|event| events.lock().unwrap().push(event.clone()));
        assert!(accounting.is_exact());
        let events = events.into_inner().unwrap();
        let added = events.iter().filter(|e| matches!(e, Event::Added { .. })).count();
        let removed = events.iter().filter(|e| matches!(e, Event::Removed { .. })).count();
        assert_eq!((added, removed), (5, 5));
        for event in &events {
            if let Event::Added { item, list } = event {
                assert_eq!(list.last(), Some(item), "an added item is at the end of the list");
            }
        }
    }
}
