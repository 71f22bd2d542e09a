//! poolbench's Criterion suites: `cargo bench` runs them all, then the Python peers, then writes
//! the pool-size report (`reports/latest/`); `cargo bench -- <filter>` runs some and reports what
//! Criterion has. One module per suite in `suites/`, each a `benches` function; every sweep goes
//! through `poolbench::bench`, the API a user's own bench calls.

mod suites;

poolbench::main! {
    config = poolbench::bench::Main::new().report_dir(poolbench::report::DEFAULT_OUT_DIR).python_peers(true);
    targets = suites::task::benches,
        suites::pools::benches,
        suites::startup::benches,
        suites::ipc::benches,
        suites::sync::benches,
        suites::crossover::benches
}
