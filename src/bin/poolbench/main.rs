//! The poolbench command line: `poolbench seed` runs the notebook's programs, `poolbench report`
//! writes the pool-size report from Criterion's results.
//!
//! `main` only runs [`app::run`] and prints its error with the whole chain of context.

mod app;
mod report;
mod seed;

use std::process::ExitCode;

fn main() -> ExitCode {
    match app::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("Error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
