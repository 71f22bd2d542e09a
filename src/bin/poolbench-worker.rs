//! The worker process of poolbench's process executors (`ProcessPool`, `SpawnPerTask`).
//!
//! Started by a pool with its pipes at descriptors 3 and 4; not meant to be run by hand.

fn main() -> std::process::ExitCode {
    poolbench::executor::process::worker::serve(std::env::args().skip(1))
}
