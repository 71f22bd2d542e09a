//! poolbench's Criterion suites: `cargo bench` runs them all; `cargo bench -- <filter>` some.
//!
//! One module per suite in `suites/`, each ending in `criterion_group!`.

mod suites;

fn main() {
    suites::task::benches();
    criterion::Criterion::default().configure_from_args().final_summary();
}
