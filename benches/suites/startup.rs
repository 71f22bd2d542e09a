//! startup: the notebook's programs end to end: start a pool of n, map, shut it down.
//!
//! Exercise 8 times exactly this, and so does Python's `with Pool(n) as p: p.map(...)`. Compared
//! with the `pools` suite's steady state for the same work, the difference is the price of
//! starting and stopping the pool. Sequential has no pool to start: its end to end is its steady
//! state.

use criterion::Criterion;
use poolbench::bench::Sweep;
use poolbench::workload::{Factorial, Squares};

use super::case;

/// The suite.
pub fn benches(c: &mut Criterion) {
    let one_to_ten: Vec<u32> = (1..=10).collect();
    Sweep::new(case("startup/ex8-squares"), &Squares, &one_to_ten).end_to_end().run(c);
    Sweep::new(case("startup/ex7-factorial"), &Factorial, &one_to_ten).end_to_end().run(c);
}
