//! Which part a process plays: a program that starts process pools, or a worker of one.
//!
//! A worker is the pool's own program started again (procspawn's approach): the same types, the
//! same registered workloads. The program must look at its role before anything else runs, or a
//! worker would start to run the benchmarks it was started to serve. [`entry`] does, and is what
//! [`poolbench::main!`](crate::main) (for a bench) and
//! [`poolbench::worker_entry!`](crate::worker_entry) (for a test crate, or any other program)
//! run, the latter from the program's initializers, before `main` and before libtest's. It also
//! records that the program can serve as its own worker: without that record a pool refuses to
//! start this program as one, rather than start a copy of the whole bench.

use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable a pool sets in the processes it starts: `worker`.
pub(crate) const ROLE_ENV: &str = "POOLBENCH_ROLE";
/// Its value for a worker.
pub(crate) const WORKER: &str = "worker";
/// Its value for the fork server that forks the workers (`zygote.rs`).
pub(crate) const ZYGOTE: &str = "zygote";

static ENTRY_RAN: AtomicBool = AtomicBool::new(false);

/// Serves as a worker process, and exits, if this process was started as one; otherwise records
/// that this program can be started as its own worker, and returns.
pub fn entry() {
    ENTRY_RAN.store(true, Ordering::SeqCst);
    let Some(role) = std::env::var_os(ROLE_ENV) else { return };
    let status = if role == WORKER {
        super::worker::serve_from_env()
    } else if role == ZYGOTE {
        super::zygote::serve_from_env()
    } else {
        return;
    };
    std::process::exit(status);
}

/// Whether [`entry`] ran in this process: the program can serve as its own worker.
pub(crate) fn can_serve() -> bool {
    ENTRY_RAN.load(Ordering::SeqCst)
}
