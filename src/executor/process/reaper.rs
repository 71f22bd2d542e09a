//! Chores that must finish but that nobody should wait for: one thread, started on first use,
//! that runs them in order. A dropped pool hands it its workers to see out (see `dispatch.rs`),
//! so that dropping a pool returns as soon as the workers are told to stop.

use std::sync::mpsc::{self, Sender};
use std::sync::{Mutex, PoisonError};

type Chore = Box<dyn FnOnce() + Send + 'static>;

/// The way to the reaping thread, once it runs. Never dropped, so the thread never ends.
static REAPER: Mutex<Option<Sender<Chore>>> = Mutex::new(None);

/// Runs `chore` on the reaping thread, after those before it; where that thread cannot be had
/// (no thread could be started), runs it here, now.
pub(crate) fn later(chore: impl FnOnce() + Send + 'static) {
    let mut chore: Chore = Box::new(chore);
    let mut reaper = REAPER.lock().unwrap_or_else(PoisonError::into_inner);
    if reaper.is_none() {
        let (sender, chores) = mpsc::channel::<Chore>();
        let started = std::thread::Builder::new().name("poolbench-reaper".into()).spawn(move || {
            for chore in chores {
                chore();
            }
        });
        if started.is_ok() {
            *reaper = Some(sender);
        }
    }
    if let Some(sender) = reaper.as_ref() {
        match sender.send(chore) {
            Ok(()) => return,
            Err(mpsc::SendError(back)) => {
                // The thread is gone (a chore panicked): the next chore starts another.
                *reaper = None;
                chore = back;
            }
        }
    }
    drop(reaper);
    chore();
}

/// Waits (at most `limit`) until the chores handed over so far are done: the workers of every
/// pool dropped before this call have exited and been reaped. Whether they were. Starts no
/// thread: with none running, nothing was handed over.
pub(crate) fn settle(limit: std::time::Duration) -> bool {
    if REAPER.lock().unwrap_or_else(PoisonError::into_inner).is_none() {
        return true;
    }
    let (done, finished) = mpsc::channel::<()>();
    later(move || {
        let _ = done.send(());
    });
    finished.recv_timeout(limit).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settling_waits_for_the_chores_handed_over_before() {
        later(|| {});
        let (sender, received) = mpsc::channel::<u32>();
        later(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let _ = sender.send(1);
        });
        assert!(settle(std::time::Duration::from_secs(30)));
        assert_eq!(received.try_recv(), Ok(1), "the earlier chore ran first");
    }
}
