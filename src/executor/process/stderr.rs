//! Every worker's stderr, drained by one thread for the whole process.
//!
//! A worker must never block on a full stderr pipe, and a worker that dies must be reported with
//! the last thing it said. So each worker's stderr pipe is read as it comes, into a bounded tail
//! ([`StderrTail`]). One thread polls them all: a thread per worker would cost every start about
//! 60 µs on a 2-vCPU VM, a third as much again as forking the worker. A new pipe reaches the
//! thread through a list and a byte on a wake-up pipe.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use super::sys;

/// How much of a worker's stderr is kept for error messages.
pub(crate) const STDERR_TAIL: usize = 2048;

/// The last bytes a worker wrote to stderr, and whether its stderr has closed.
#[derive(Debug, Default)]
pub(crate) struct StderrTail {
    state: Mutex<(VecDeque<u8>, bool)>,
    done: Condvar,
}

impl StderrTail {
    /// Keeps `bytes`, dropping what falls out of the tail.
    fn keep(&self, bytes: &[u8]) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0.extend(bytes);
        let excess = state.0.len().saturating_sub(STDERR_TAIL);
        state.0.drain(..excess);
    }

    /// Marks the stderr closed: nothing more will come.
    fn close(&self) {
        self.state.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
        self.done.notify_all();
    }

    /// The tail, once the worker's stderr has closed or `patience` has passed.
    pub(crate) fn text(&self, patience: Duration) -> String {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (state, _) = self
            .done
            .wait_timeout_while(state, patience, |(_, closed)| !*closed)
            .unwrap_or_else(PoisonError::into_inner);
        let bytes: Vec<u8> = state.0.iter().copied().collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Pipes for the draining thread to start watching, with their tails.
type NewPipes = Arc<Mutex<Vec<(File, Arc<StderrTail>)>>>;

/// The way to the draining thread.
struct Drainer {
    new: NewPipes,
    /// A byte here wakes the thread to take them (non-blocking: a full pipe is a wake-up due).
    wake: File,
}

/// Drains `stderr` (a worker's stderr pipe) from now until it closes into the tail returned. If
/// the draining thread cannot be started, `stderr` is closed, so that the worker's writes to its
/// stderr fail instead of blocking, and the tail is empty.
pub(crate) fn drain(stderr: File) -> Arc<StderrTail> {
    static DRAINER: OnceLock<Option<Drainer>> = OnceLock::new();
    let tail = Arc::new(StderrTail::default());
    let Some(drainer) = DRAINER.get_or_init(start).as_ref() else {
        tail.close();
        return tail;
    };
    if sys::set_nonblocking(&stderr).is_err() {
        tail.close();
        return tail;
    }
    drainer.new.lock().unwrap_or_else(PoisonError::into_inner).push((stderr, Arc::clone(&tail)));
    let _ = (&drainer.wake).write(&[1]);
    tail
}

fn start() -> Option<Drainer> {
    let (woken, wake) = sys::pipe().ok()?;
    sys::set_nonblocking(&woken).ok()?;
    sys::set_nonblocking(&wake).ok()?;
    let new = NewPipes::default();
    let theirs = Arc::clone(&new);
    std::thread::Builder::new().name("poolbench-stderr".into()).spawn(move || serve(&woken, &theirs)).ok()?;
    Some(Drainer { new, wake })
}

/// The thread: polls the wake-up pipe and every pipe it watches, for ever.
fn serve(mut woken: &File, new: &NewPipes) {
    let mut watched: Vec<(File, Arc<StderrTail>)> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let mut interests = vec![sys::Interest { fd: woken.as_raw_fd(), read: true, write: false }];
        interests.extend(watched.iter().map(|(file, _)| sys::Interest {
            fd: file.as_raw_fd(),
            read: true,
            write: false,
        }));
        let Ok(readiness) = sys::poll(&interests, None) else {
            // poll(2) fails only for want of memory: try again shortly.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        // Read the watched pipes first: the indexes of `readiness` are theirs plus one.
        let mut ended = Vec::new();
        for (index, ready) in readiness.iter().enumerate().skip(1) {
            if !(ready.readable || ready.hung_up) {
                continue;
            }
            let (file, tail) = &mut watched[index - 1];
            loop {
                match file.read(&mut chunk) {
                    Ok(0) => {
                        ended.push(index - 1);
                        break;
                    }
                    Ok(read) => tail.keep(&chunk[..read]),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(_) => {
                        ended.push(index - 1);
                        break;
                    }
                }
            }
        }
        for index in ended.into_iter().rev() {
            let (file, tail) = watched.swap_remove(index);
            drop(file);
            tail.close();
        }
        if readiness[0].readable {
            while matches!(woken.read(&mut chunk), Ok(read) if read > 0) {}
            watched.append(&mut new.lock().unwrap_or_else(PoisonError::into_inner));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_keeps_only_the_end() {
        let tail = StderrTail::default();
        let long: Vec<u8> = (0..STDERR_TAIL + 100).map(|i| b'a' + (i % 26) as u8).collect();
        tail.keep(&long[..100]);
        tail.keep(&long[100..]);
        let text = tail.text(Duration::ZERO);
        assert_eq!(text.len(), STDERR_TAIL);
        assert!(long.ends_with(text.as_bytes()));
    }

    #[test]
    fn pipes_are_drained_as_they_come_and_their_tails_close_with_them() {
        let pipes: Vec<(File, File)> = (0..3).map(|_| sys::pipe().unwrap()).collect();
        let mut tails = Vec::new();
        let mut writers = Vec::new();
        for (index, (read, mut write)) in pipes.into_iter().enumerate() {
            tails.push(drain(read));
            // More than a pipe holds: a writer that nobody drained would block here.
            let line = format!("worker {index} says goodbye\n");
            for _ in 0..(70_000 / line.len()) {
                write.write_all(line.as_bytes()).unwrap();
            }
            writers.push(write);
        }
        drop(writers);
        for (index, tail) in tails.iter().enumerate() {
            let text = tail.text(Duration::from_secs(10));
            assert!(text.ends_with(&format!("worker {index} says goodbye\n")), "{index}: {text:?}");
            assert!(tail.state.lock().unwrap().1, "the tail of pipe {index} closed with it");
        }
    }
}
