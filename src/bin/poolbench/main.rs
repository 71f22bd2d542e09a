//! The poolbench command line: `poolbench seed` runs the notebook's programs, `poolbench report`
//! writes the pool-size report from Criterion's results, `poolbench compare` gates a change on
//! regressions between two runs, `poolbench gate` between two builds timed in interleaved pairs,
//! `poolbench export` feeds other trackers, `poolbench merge` puts several machines' reports side by
//! side.
//!
//! `main` only runs [`app::run`] and prints its error with the whole chain of context.

mod app;
mod compare;
mod export;
mod gate;
mod merge;
mod report;
mod seed;

use std::process::ExitCode;

// `poolbench seed` starts process pools: their workers are this program, started again.
poolbench::worker_entry!();

fn main() -> ExitCode {
    match app::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
