//! Every worker process is started from one thread that lives as long as the process.
//!
//! A worker asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`, see
//! `worker.rs`), so that a worker dies with the pool's process even mid-task or stopped. But Linux sends that signal when the *thread* that started the child ends,
//! not the process: the workers of a pool built on a thread that later ends (a test's, a scoped
//! thread, a request handler's) would all be killed with it. So no pool starts a worker on its
//! own thread: it hands the spawn to this thread, started on first use and never ended, and
//! waits for the pid. The hop costs a few microseconds against the milliseconds of a spawn.

use std::io;
use std::sync::mpsc::{self, Sender, SyncSender};
use std::sync::{Mutex, PoisonError};

use super::sys::{self, ChildSpec};

struct Request {
    child: ChildSpec,
    reply: SyncSender<io::Result<libc::pid_t>>,
}

/// The way to the spawning thread, once it runs. Never dropped, so the thread never ends.
static SPAWNER: Mutex<Option<Sender<Request>>> = Mutex::new(None);

/// [`sys::spawn`], run on the spawning thread. The descriptors in the child's `moves` must stay
/// open until this returns, which they do: the caller owns them and waits here.
pub(crate) fn spawn(child: ChildSpec) -> io::Result<libc::pid_t> {
    let (reply, answer) = mpsc::sync_channel(1);
    let request = Request { child, reply };
    let sender = {
        let mut spawner = SPAWNER.lock().unwrap_or_else(PoisonError::into_inner);
        match &*spawner {
            Some(sender) => sender.clone(),
            None => spawner.insert(start()?).clone(),
        }
    };
    let gone = || io::Error::other("the thread that starts worker processes has ended");
    if sender.send(request).is_err() {
        // It cannot end by itself: only a panic could have taken it. The next spawn starts another.
        *SPAWNER.lock().unwrap_or_else(PoisonError::into_inner) = None;
        return Err(gone());
    }
    answer.recv().map_err(|_| gone())?
}

fn start() -> io::Result<Sender<Request>> {
    let (sender, requests) = mpsc::channel::<Request>();
    std::thread::Builder::new().name("poolbench-spawner".into()).spawn(move || {
        for request in requests {
            // The caller blocks on the reply until it comes, so it is there to take it.
            let _ = request.reply.send(sys::spawn(&request.child));
        }
    })?;
    Ok(sender)
}
