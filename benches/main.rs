//! poolbench's Criterion suites: `cargo bench` runs them all, then the Python peers, then writes
//! the pool-size report (`reports/latest/`); `cargo bench -- <filter>` runs some and reports what
//! Criterion has.
//!
//! One module per suite in `suites/`, each ending in `criterion_group!`.

mod suites;

use poolbench::report::{self, Options};

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    println!("poolbench: {cores} cores; pool sizes {:?}", suites::sizes());
    // The history records only what this run measured: results written from here on.
    let started = std::time::SystemTime::now();
    suites::task::benches();
    suites::pools::benches();
    suites::startup::benches();
    suites::ipc::benches();
    suites::sync::benches();
    suites::crossover::benches();
    criterion::Criterion::default().configure_from_args().final_summary();

    // The notebook's Python programs, measured as peers for the report (`POOLBENCH_PYTHON=0`: off).
    match poolbench::peers::run_for_bench(std::env::args().skip(1)) {
        Ok(Some(peers)) => println!("{peers}"),
        Ok(None) => {}
        // Peers are extras: the report of the suites that did run is still written.
        Err(err) => eprintln!("python peers: {err}"),
    }
    // `--list` and `--test` (CI's smoke run) measure nothing: a report would repeat older results.
    if std::env::args().any(|arg| arg == "--list" || arg == "--test") {
        return;
    }
    match report::write(&Options::new()) {
        Ok(written) => {
            print!("{written}");
            match report::history::record(&written, started) {
                Ok(recorded) => print!("{recorded}"),
                // A run's numbers are in the report already: a history that cannot be written
                // is worth a warning, not a failed bench run.
                Err(err) => eprintln!("poolbench history: {err}"),
            }
        }
        // A filter that matched nothing leaves nothing to report: say so, without failing the run.
        Err(err) if err.is_no_results() => eprintln!("poolbench report: {err}"),
        Err(err) => {
            eprintln!("Error: {err}");
            std::process::exit(1);
        }
    }
}
