//! Every worker process is started from one thread that lives as long as the process.
//!
//! A worker asks the kernel to kill it when its parent dies (`PR_SET_PDEATHSIG`, see
//! `worker.rs`), so that a worker dies with the pool's process even mid-task or stopped. But Linux sends that signal when the *thread* that started the child ends,
//! not the process: the workers of a pool built on a thread that later ends (a test's, a scoped
//! thread, a request handler's) would all be killed with it. So no pool starts a worker on its
//! own thread: it hands the spawn to this thread, started on first use and never ended, and
//! waits for the pid. The hop costs a few microseconds against the milliseconds of a spawn.

use std::io;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender, SyncSender};
use std::sync::{Mutex, PoisonError};

use super::sys;

struct Request {
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    moves: Vec<(RawFd, RawFd)>,
    reply: SyncSender<io::Result<libc::pid_t>>,
}

/// The way to the spawning thread, once it runs. Never dropped, so the thread never ends.
static SPAWNER: Mutex<Option<Sender<Request>>> = Mutex::new(None);

/// [`sys::spawn`], run on the spawning thread. The descriptors in `moves` must stay open until
/// this returns, which they do: the caller owns them and waits here.
pub(crate) fn spawn(
    program: &Path,
    args: &[&str],
    env: &[(String, String)],
    moves: &[(RawFd, RawFd)],
) -> io::Result<libc::pid_t> {
    let (reply, answer) = mpsc::sync_channel(1);
    let request = Request {
        program: program.to_owned(),
        args: args.iter().map(|&arg| arg.to_owned()).collect(),
        env: env.to_vec(),
        moves: moves.to_vec(),
        reply,
    };
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
            let args: Vec<&str> = request.args.iter().map(String::as_str).collect();
            // The caller blocks on the reply until it comes, so it is there to take it.
            let _ = request.reply.send(sys::spawn(&request.program, &args, &request.env, &request.moves));
        }
    })?;
    Ok(sender)
}
